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
    VM_UFFD_MISSING = 1u << 7,  /* userfaultfd missing-page tracking */
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
/* The page-table lock of an address space (Linux's page_table_lock; here
 * it also stands for mmap_lock: VMAs change under it too). `cpu` is the
 * holder's CPU id + 1, 0 when free: written only by the holder, so a CPU
 * reading its own id + 1 there holds the lock (re-entry, which would
 * deadlock, is reported instead). */
#include "mmu/spinlock.h"
struct mm_lock { spinlock_t lock; volatile unsigned cpu; const char *owner; };

#define MAX_MMS 32          /* address spaces that can exist at once */

/* userfaultfd (mmu/uffd.c): one context per address space. A fault the
 * context must hear of is not resolved by the kernel: it becomes a message;
 * with a handler registered the handler runs (it may resolve, e.g. by
 * write-unprotecting) and the access is retried, without one the message
 * is queued and the access fails (mm_last_fault_error == MM_EUFFD). */
enum { UFFD_MSG_WP = 1, UFFD_MSG_WRITE = 2, UFFD_MSG_MISSING = 4 };
struct uffd_msg { uint64_t addr; unsigned flags; };
struct mm;
typedef bool (*uffd_handler_t)(struct mm *mm, const struct uffd_msg *msg, void *arg);
#define UFFD_QUEUE 32
struct uffd_ctx {
    unsigned features;              /* UFFD_FEATURE_* */
    uffd_handler_t handler;         /* NULL: queue and fail the access */
    void *handler_arg;
    bool dirty_on_unprotect;        /* the alternative argued on the list: dirty whenever write is granted */
    struct uffd_msg queue[UFFD_QUEUE];
    unsigned head, count, dropped;
    uint64_t delivered;             /* messages produced, handled or queued */
};

struct mm {
    struct pgtable pt;
    struct vma *vmas;
    struct mm_lock ptl;
    int id;
    uint64_t asid_gen;      /* generation of pt.asid (mmu/asid.c) */
    struct uffd_ctx uffd;
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
/* userfaultfd (Linux's semantics; mmu/uffd.c). Register a range (every page
 * mapped, else MM_EINVAL) for write-protect and/or missing-page tracking;
 * unregister (resolves write-protection, with the write upgrade of
 * can_change_pte_writable); write-protect or unprotect a registered range
 * (MM_ENOENT if not registered for WP) with access/write hints; read a
 * queued message (0, or MM_ENOENT if none). */
enum { UFFD_REGISTER_MISSING = 1, UFFD_REGISTER_WP = 2 };
enum { UFFD_HINT_ACCESS_LIKELY = 1, UFFD_HINT_WRITE_LIKELY = 2 };
enum { UFFD_FEATURE_EVENT_FORK = 1 };
int mm_uffd_register(struct mm *mm, uint64_t start, uint64_t len, unsigned modes);
int mm_uffd_unregister(struct mm *mm, uint64_t start, uint64_t len);
int mm_uffd_writeprotect(struct mm *mm, uint64_t start, uint64_t len, bool wp, unsigned hints);
int mm_uffd_read(struct mm *mm, struct uffd_msg *out);
void mm_uffd_set_handler(struct mm *mm, uffd_handler_t h, void *arg);
/* The handler a write-protect monitor typically runs: unprotect the page
 * (UFFDIO_WRITEPROTECT off, which wakes the faulting access). arg unused. */
bool uffd_resolve_by_unprotect(struct mm *mm, const struct uffd_msg *msg, void *arg);
/* Register for WP and protect (on), or unregister (off): one-step form. */
int mm_uffd_wp(struct mm *mm, uint64_t start, uint64_t len, bool on);
/* MADV_DONTNEED: drop the pages of the range, keeping the VMAs; a uffd-wp
 * protected entry of a shared mapping leaves a uffd-wp marker, guard
 * markers stay. */
int mm_zap(struct mm *mm, uint64_t start, uint64_t len);
/* MADV_GUARD_INSTALL / _REMOVE (Linux 6.13): any access to a guard page
 * faults (segv); zap keeps guards, unmap drops them. */
int mm_guard(struct mm *mm, uint64_t start, uint64_t len, bool install);

/* Device-exclusive access (Linux 6.15 semantics, mmu/uffd.c): a device
 * agent takes exclusive access to one anonymous page; the PTE becomes a
 * non-present device-exclusive entry until a CPU access takes it back. */
struct dev_agent {
    struct mm *mm;
    uint64_t addr, pfn;
    bool exclusive;                 /* the device may access the page now */
    unsigned notified, writes, refused;
};
int mm_make_device_exclusive(struct mm *mm, uint64_t addr, struct dev_agent *dev);
/* The device's accesses to its page: -1 (refused) once the CPU took it back. */
int dev_write(struct dev_agent *dev, uint64_t offset, uint64_t val);
int dev_read(struct dev_agent *dev, uint64_t offset, uint64_t *val);
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
             numa_migrated, access_flag, dirty_bit, segv, oom, uffd, marker_fill, devx_restore;
};
extern struct mm_fault_stats mm_fault_stats;
/* Counted by whichever CPU handles the fault: atomically. */
#define FSTAT_ADD(field, n) __atomic_fetch_add(&mm_fault_stats.field, (uint64_t)(n), __ATOMIC_RELAXED)
/* Why the last fault the mm could not resolve failed: MM_EFAULT (no VMA or
 * not allowed: a segfault) or MM_ENOMEM (no memory for a page or a table). */
#define MM_MAX_CPUS 8        /* per-CPU state of the mm layer (boot/smp.h's SMP_MAX_CPUS fits) */
extern int mm_last_fault_error_cpu[MM_MAX_CPUS];
#define mm_last_fault_error (mm_last_fault_error_cpu[mm_cpu_id()])    /* this CPU's */

/* Folios: the head page of a block of 2^order pages. */
static inline unsigned folio_order(const struct page *head) { return head->order; }
struct page *folio_of(struct page *p);

#define MM_EINVAL (-22)
#define MM_ENOMEM (-12)
#define MM_EEXIST (-17)
#define MM_EFAULT (-14)
#define MM_ENOENT (-2)
#define MM_EUFFD  (-1000)   /* a fault left to userfaultfd (queued message) */
#endif
