/* Helpers shared by the mm core's files (not for users of mmu/mm.h). */
#ifndef MMU_MM_INTERNAL_H
#define MMU_MM_INTERNAL_H
#include "boot/kernel.h"
#include "mmu/mm.h"
#include "mmu/page_alloc.h"
#include "boot/trap.h"
#include "mmu/rule_check.h"

/* ---- the page-table lock ---- */
void mm_lock(struct mm *mm, const char *who);
void mm_unlock(struct mm *mm);
#define assert_locked(mm) do { if ((mm)->ptl.cpu != mm_cpu_id() + 1) \
        panic("%s: page-table lock not held by this CPU", __func__); } while (0)

/* ---- VMA rules (Linux names) ---- */
static inline bool vma_soft_dirty_enabled(const struct vma *v) { return !(v->flags & VM_SOFTDIRTY); }
static inline bool vma_is_private(const struct vma *v) { return !(v->flags & VM_SHARED); }
/* vma_wants_writenotify(): a shared writable mapping whose clean pages must
 * stay read-only so the first write is seen (filesystem page_mkwrite,
 * soft-dirty tracking, or uffd-wp). */
bool vma_wants_writenotify(const struct vma *v);
/* Linux vma_wants_manual_pte_write_upgrade(): private -> VM_WRITE;
 * shared -> the mapping wants write-notify. */
bool vma_wants_manual_pte_write_upgrade(const struct vma *v);
/* The protection new PTEs of this VMA get (Linux vm_page_prot): private
 * mappings never get write (copy-on-write decides), shared ones unless
 * they want write-notify. */
pgprot_t vma_page_prot(const struct vma *v);
unsigned vma_hw_prot(const struct vma *v);   /* PROT_* bits of vma_page_prot */

/* ---- pages and folios ---- */
extern struct page *zero_page;
struct page *vm_normal_page(const struct vma *v, uint64_t addr, pte_t pte);  /* NULL: zero page, not present */
struct page *folio_alloc(unsigned order, int node, bool zero);
/* The same, and the head's pfn in *pfn (no page_to_pfn() lookup after). */
struct page *folio_alloc_pfn(unsigned order, int node, bool zero, uint64_t *pfn);
void folio_get(struct page *head);
void folio_put(struct page *head);              /* frees at zero references */
void page_add_map(struct page *p);              /* mapcount++ and a folio reference */
void page_remove_map(struct page *p);
static inline bool page_anon_exclusive(const struct page *p) { return p->flags & PG_ANON_EXCLUSIVE; }
void copy_page_data(uint64_t dst_pa, uint64_t src_pa);
bool folio_mapped_shared(struct page *head);    /* any page of it mapped more than once */

/* ---- page tables of an mm ---- */
pte_t *mm_pte_ptr(struct mm *mm, uint64_t addr, bool alloc);   /* leaf entry pointer or NULL */
/* Set a new PTE over a none/protnone/marker entry (no broadcast needed). */
void mm_set_pte_new(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v);
/* Relax a valid PTE (more permission, young, dirty): when write is granted
 * the stale read-only entry is invalidated on this CPU; setting young alone
 * needs no invalidate on arm64; riscv always takes its local fence. */
void mm_relax_pte(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v);
/* Replace a valid PTE by another with a different output address:
 * break-before-make (clear, invalidate, write). */
void mm_replace_pte(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v);
/* Mark a new writable entry: dirty and soft-dirty, as Linux's pte_mkdirty does on x86. */
static inline pte_t pte_mkdirty_sd(pte_t v) { return pte_mksoft_dirty(pte_mkdirty(v)); }

/* ---- pools ---- */
struct vma *vma_alloc(void);
void vma_free(struct vma *v);
/* Split vma at addr (page aligned, strictly inside); returns the upper part. */
struct vma *vma_split(struct mm *mm, struct vma *v, uint64_t addr);
unsigned vma_available(void);
/* 0, or MM_ENOMEM if the splits an operation on [start, end) needs cannot be had. */
int vma_reserve_splits(struct mm *mm, uint64_t start, uint64_t end);
/* Split the VMAs at start and end so that [start, end) is made of whole VMAs,
 * and call fn on each of them, in address order. */
void vma_for_each_in_range(struct mm *mm, uint64_t start, uint64_t end,
                           void (*fn)(struct mm *mm, struct vma *v, void *arg), void *arg);

/* ---- userfaultfd, markers, device-exclusive (uffd.c) ---- */
#define SWP_DEVICE_EXCLUSIVE 30u    /* swap type of device-exclusive entries */
static inline bool pte_is_device_exclusive(pte_t v) { return pte_is_swap(v) && pte_swp_type(v) == SWP_DEVICE_EXCLUSIVE; }
static inline bool pte_is_uffd_marker(pte_t v) { return pte_is_marker(v) && (pte_marker_flags(v) & PTE_MARKER_UFFD_WP); }
static inline bool pte_is_guard(pte_t v) { return pte_is_marker(v) && (pte_marker_flags(v) & PTE_MARKER_GUARD); }
/* Linux pte_none_mostly(): empty, or a uffd-wp marker (fill paths treat it as empty). */
static inline bool pte_none_mostly(pte_t v) { return pte_none(v) || pte_is_uffd_marker(v); }
/* A write to a uffd-wp protected entry, or a missing page of a registered
 * range: record the message (mm locked); 0 if the context resolves it
 * later (see uffd_after_fault), MM_EUFFD otherwise. */
int uffd_fault_message(struct mm *mm, uint64_t addr, unsigned flags);
/* After the fault handler released the lock: run the handler on the
 * message recorded by this fault, if any. true: resolved, retry. */
bool uffd_after_fault(struct mm *mm);
/* A CPU access to a device-exclusive entry: the device is told, the PTE
 * restored (Linux restore_exclusive_pte). */
int devx_restore(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, pte_t old);
/* A contiguous block only partly inside [start, end) is unfolded (its
 * remaining entries may not keep the CONT bit next to changed ones). */
void unfold_partial_blocks(struct mm *mm, uint64_t start, uint64_t end);
/* Drop a device-exclusive entry on unmap/zap (the device loses access). */
void devx_drop(struct mm *mm, uint64_t addr, pte_t old, struct tlb_gather *g);

/* ---- fault handling, NUMA, batching ---- */
enum fault_result mm_handle_fault(const struct fault_info *fi);
enum fault_result mm_handle_fault_in(struct mm *mm, const struct fault_info *fi);   /* any CPU */
extern bool mm_in_fault_cpu[MM_MAX_CPUS];
extern uint64_t numa_hint_cpu[MM_MAX_CPUS], numa_migrated_cpu[MM_MAX_CPUS];
#define mm_in_fault (mm_in_fault_cpu[mm_cpu_id()])  /* this CPU is in the fault handler: operations end with it */
int numa_hint_fault(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, bool write);
/* Change the protection of [start, end) inside one VMA (mprotect.c). */
long change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                       struct tlb_gather *g);
/* Move a folio mapped (privately, once) around hint_va to node. */
int migrate_folio_locked(struct mm *mm, struct page *head, int node, uint64_t hint_va);
#endif
