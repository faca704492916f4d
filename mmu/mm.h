/*
 * The mm core: address spaces, VMAs, folios, faults, COW, mprotect with
 * write-upgrade, soft-dirty, NUMA hinting and migration. Arch-neutral; it
 * reaches hardware only through asm/ (PTEs, TLB) and mmu/pgtable.h.
 *
 * Decisions follow Linux (mm/mprotect.c, mm/memory.c); where Linux's rule is
 * subtle the comment says so and a test pins it.
 */
#ifndef MMU_MM_H
#define MMU_MM_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/page.h"
#include "mmu/pgtable.h"

/* VMA flags (Linux names and meanings). */
enum {
    VM_READ = 1u << 0,
    VM_WRITE = 1u << 1,
    VM_EXEC = 1u << 2,
    VM_SHARED = 1u << 3,
    /* Linux's inverted flag: VM_SOFTDIRTY set means "not tracking" (every
     * page counts as soft-dirty); clearing soft-dirty clears it and starts
     * tracking. Linux once got this inversion wrong in the write-upgrade. */
    VM_SOFTDIRTY = 1u << 4,
    VM_UFFD_WP = 1u << 5,       /* userfaultfd write-protect armed */
    /* Shared mapping of a "filesystem" that wants to hear of the first write
     * to each clean page (page_mkwrite): clean pages stay read-only. */
    VM_WRITENOTIFY_FS = 1u << 6,
};
#define VM_PROT_MASK (VM_READ | VM_WRITE | VM_EXEC)

/* Memory shared between the VMAs that map it (a tiny shmem/file object):
 * one folio slot per page, filled on first touch. */
struct shared_obj {
    uint64_t npages;
    struct page **pages;        /* head-or-page pointers, NULL = not yet populated */
    int refs;
};

struct vma {
    uint64_t start, end;        /* page aligned, [start, end) */
    unsigned flags;
    struct shared_obj *obj;     /* VM_SHARED only */
    uint64_t pgoff;             /* offset of start in obj, in pages */
    struct vma *next;           /* sorted by start */
};

/* A page-table lock per address space: real even on one CPU (SMP is next).
 * mm_lock_held() is asserted on every path that reads-then-writes PTEs. */
struct mm_lock { volatile int held; const char *owner; };

#define MAX_MMS 32          /* address spaces that can exist at once */

struct mm {
    struct pgtable pt;
    struct vma *vmas;
    struct mm_lock ptl;
    int id;
    uint64_t asid_gen;      /* generation of pt.asid (mmu/asid.c) */
};

/* Write-bit policy on NUMA hint faults (the history the seeds measure). */
enum numa_write_policy {
    NUMA_WP_NONE,           /* always map read-only: a write takes a 2nd fault */
    NUMA_WP_SAVEDWRITE,     /* pre-2022 Linux: the protnone PTE stashes the old write bit */
    NUMA_WP_CAN_CHANGE,     /* today's Linux: can_change_pte_writable() under the lock */
    NUMA_WP_COUNT
};
extern const char *const numa_wp_names[NUMA_WP_COUNT];

struct mm_params {
    unsigned anon_order;            /* largest anonymous folio order tried on first touch (0 or 4) */
    enum numa_write_policy numa_wp;
    bool batch_mprotect;            /* contiguous/batched change_protection (issue 5) */
};
extern struct mm_params mm_params;

/* mm_init: zero page, fault handler. */
void mm_init(void);
struct mm *mm_create(void);
void mm_destroy(struct mm *mm);
void mm_activate(struct mm *mm);        /* make it the current translation */
struct mm *mm_current(void);

/* Map [start, start+len) anonymous (private) or shared (VM_SHARED: a new
 * shared object). Returns 0 or a negative MM_E* code. Nothing is populated. */
int mm_map(struct mm *mm, uint64_t start, uint64_t len, unsigned vm_flags);
int mm_unmap(struct mm *mm, uint64_t start, uint64_t len);
/* mprotect: new VM_READ/WRITE/EXEC for the range (splitting VMAs). */
int mm_mprotect(struct mm *mm, uint64_t start, uint64_t len, unsigned vm_prot);
/* fork: a new mm sharing every anonymous folio copy-on-write. */
struct mm *mm_fork(struct mm *mm);
/* Clear soft-dirty over the whole mm: write-protect and start tracking. */
int mm_clear_soft_dirty(struct mm *mm);
/* Arm/disarm userfaultfd write-protect on the VMAs of the range. */
int mm_uffd_wp(struct mm *mm, uint64_t start, uint64_t len, bool on);
/* NUMA hinting scan: make present PTEs of the range protnone, skipping
 * protnone, zero-page, COW-shared and already-on-`target_node` pages.
 * Returns the number of PTEs changed, or a negative error. */
long mm_numa_scan(struct mm *mm, uint64_t start, uint64_t len, int target_node);
/* Migrate the folio mapping addr to node (copy, remap, keep dirty). */
int mm_migrate(struct mm *mm, uint64_t addr, int node);

/* Access memory of mm through the real MMU (mm is activated for the access
 * and the previous translation restored). 0 or -1 if the access faulted
 * and the fault was not resolved (segfault). */
int mm_read(struct mm *mm, uint64_t addr, uint64_t *val);
int mm_write(struct mm *mm, uint64_t addr, uint64_t val);

/* Lookups for tests, the shell and the reference model. */
struct vma *mm_find_vma(struct mm *mm, uint64_t addr);
pte_t mm_get_pte(struct mm *mm, uint64_t addr);        /* 0 if none */
struct page *mm_page_at(struct mm *mm, uint64_t addr); /* the page mapped at addr, or NULL */
bool mm_is_zero_page(const struct page *p);

/* The Linux decision, exposed for table-driven tests. */
bool can_change_pte_writable(const struct vma *vma, uint64_t addr, pte_t pte);

/* Statistics of faults handled by the mm, by cause. */
struct mm_fault_stats {
    uint64_t anon_read, anon_write, wp_reuse, wp_copy, write_notify, numa_hint,
             numa_migrated, access_flag, dirty_bit, segv, oom;
};
extern struct mm_fault_stats mm_fault_stats;
/* Why the last fault the mm could not resolve failed: MM_EFAULT (no VMA or
 * not allowed: a segfault) or MM_ENOMEM (no memory for a page or a table). */
extern int mm_last_fault_error;

/* Folios: the head page of a block of 2^order pages. */
static inline unsigned folio_order(const struct page *head) { return head->order; }
struct page *folio_of(struct page *p);

#define MM_EINVAL (-22)
#define MM_ENOMEM (-12)
#define MM_EEXIST (-17)
#define MM_EFAULT (-14)
#endif
