/*
 * The mm fault handler, registered with the exception layer. Every memory
 * fault in a managed address space comes here:
 *   none PTE          anonymous first touch (zero page on read, a new folio
 *                     on write; 64 KiB folios where mm_params.anon_order and
 *                     the VMA allow, as Linux's mTHP), or a shared page
 *   protnone PTE      NUMA hint fault (numa.c)
 *   valid, old        software access flag (no hardware AF / Svade)
 *   valid, write to !write   write-protect fault: reuse an exclusive anon
 *                     page, copy otherwise; shared: write-notify (mark dirty)
 *   valid, writable, clean   software dirty (no hardware DBM / Svade)
 *   anything else     spurious (a stale TLB entry): the access is retried
 */
#include "mmu/mm_internal.h"
#include "boot/trap.h"
#include "mmu/contpte.h"

/* Per CPU: the address (and entry) of this CPU's last spurious fault,
 * remembered only until its next fault, and how many times in a row. */
static uint64_t last_spurious_cpu[MM_MAX_CPUS] = { [0 ... MM_MAX_CPUS - 1] = ~0ULL };
static uint64_t prev_spurious_cpu[MM_MAX_CPUS] = { [0 ... MM_MAX_CPUS - 1] = ~0ULL };
#define last_spurious last_spurious_cpu[mm_cpu_id()]
#define prev_spurious prev_spurious_cpu[mm_cpu_id()]
static pte_t spurious_pte_cpu[MM_MAX_CPUS];
static unsigned spurious_repeat_cpu[MM_MAX_CPUS];
#define spurious_pte spurious_pte_cpu[mm_cpu_id()]
#define spurious_repeat spurious_repeat_cpu[mm_cpu_id()]
#define SPURIOUS_LIMIT 4

int mm_last_fault_error_cpu[MM_MAX_CPUS];

static enum fault_result segv(void)
{
    FSTAT_ADD(segv, 1);
    mm_last_fault_error = MM_EFAULT;
    return FAULT_UNHANDLED;
}

static bool access_allowed(const struct vma *v, enum access_type a)
{
    if (a == ACCESS_WRITE)
        return v->flags & VM_WRITE;
    if (a == ACCESS_EXEC)
        return v->flags & VM_EXEC;
    return v->flags & (VM_READ | VM_WRITE | VM_EXEC);
}

/* First touch of anonymous memory. */
static int do_anonymous(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, bool write)
{
    if (!write) {
        /* Read: map the shared zero page read-only (Linux does too). */
        pte_t e = pte_mkyoung(pfn_pte(page_to_pfn(zero_page), pgprot_from_prot(PROT_READ, true)));
        mm_set_pte_new(mm, ptep, addr, e);
        FSTAT_ADD(anon_read, 1);
        return 0;
    }
    /* Write: a large folio if the aligned block lies in the VMA and all its
     * entries are empty, else one page. */
    unsigned order = mm_params.anon_order;
    uint64_t base = addr;
    if (order) {
        uint64_t sz = PAGE_SIZE << order;
        base = ALIGN_DOWN(addr, sz);
        bool fits = base >= v->start && base + sz <= v->end;
        pte_t *first = ptep - (addr - base) / PAGE_SIZE;
        for (unsigned i = 0; fits && i < (1u << order); i++)
            fits = pte_none(pte_read_once(&first[i]));
        if (!fits) {
            order = 0;
            base = addr;
        }
    }
    uint64_t pfn;
    struct page *head = folio_alloc_pfn(order, -1, true, &pfn);
    if (!head && order) {
        order = 0;
        base = addr;
        head = folio_alloc_pfn(0, -1, true, &pfn);
    }
    if (!head)
        return MM_ENOMEM;
    pte_t *first = ptep - (addr - base) / PAGE_SIZE;
    /* New writable entries, young and dirty. A whole 64 KiB folio is mapped
     * as contiguous blocks right away: the entries were empty, so no
     * break-before-make is needed. */
    uint64_t n = 1ULL << order;
    pte_t e = pte_mkwrite(pte_mkdirty_sd(pte_mkyoung(pfn_pte(pfn, vma_page_prot(v)))));
    bool cont = order >= 4 && mmu_caps.cont;
    for (uint64_t i = 0; i < n; i++) {
        head[i].flags |= PG_ANON | PG_ANON_EXCLUSIVE;
        head[i].mapcount++;                     /* page_add_map() without the folio lookup */
        pte_t ei = pte_set_pfn(e, pfn + i);
        pte_store(&first[i], cont ? pte_mkcont(ei) : ei);
        flush_after_make_valid(mm->pt.asid, base + i * PAGE_SIZE);
    }
    head->refcount += (int32_t)n;               /* ... and its folio references, at once */
    head->flags |= PG_DIRTY;
    FSTAT_ADD(anon_write, 1);
    return 0;
}

/* First touch of a shared mapping: the object's page (created zeroed). */
static int do_shared(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, bool write)
{
    uint64_t idx = v->pgoff + (addr - v->start) / PAGE_SIZE;
    struct page *p = v->obj->pages[idx];
    if (!p) {
        p = folio_alloc(0, -1, true);
        if (!p)
            return MM_ENOMEM;
        folio_get(p);                   /* the object's reference */
        v->obj->pages[idx] = p;
    }
    page_add_map(p);
    pte_t e = pte_mkyoung(pfn_pte(page_to_pfn(p), vma_page_prot(v)));
    if (write) {
        /* A write fault dirties the page; with write-notify the PTE was
         * mapped read-only only to catch this first write. */
        e = pte_mkwrite(pte_mkdirty_sd(e));
        page_head(p)->flags |= PG_DIRTY;
        if (vma_wants_writenotify(v))
            FSTAT_ADD(write_notify, 1);
    }
    mm_set_pte_new(mm, ptep, addr, e);
    FSTAT_ADD(anon_read, !write);
    FSTAT_ADD(anon_write, write);
    return 0;
}

/* Write to a present, non-writable PTE. */
static int do_wp_page_entry(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, pte_t old);

static int do_wp_page(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, pte_t old)
{
    /* The write bit of one entry changes: a contiguous block must be
     * unfolded first (its entries may not differ in permissions). */
    if (pte_cont(old)) {
        contpte_unfold(mm, addr, ptep);
        old = pte_read_once(ptep);
    }
    int r = do_wp_page_entry(mm, v, addr, ptep, old);
    /* The last entry of a large folio made writable: the block may fold
     * again (a tail page carries its block's order: no head lookup). */
    if (r == 0 && mmu_caps.cont) {
        struct page *p = vm_normal_page(v, addr, pte_read_once(ptep));
        if (p && p->order >= 4)
            contpte_try_fold(mm, v, addr);
    }
    return r;
}

static int do_wp_page_entry(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, pte_t old)
{
    if (v->flags & VM_SHARED) {
        /* Write-notify: the first write to a clean shared page. */
        struct page *p = vm_normal_page(v, addr, old);
        if (p)
            page_head(p)->flags |= PG_DIRTY;
        mm_relax_pte(mm, ptep, addr, pte_mkyoung(pte_mkwrite(pte_mkdirty_sd(old))));
        FSTAT_ADD(write_notify, 1);
        return 0;
    }
    struct page *p = vm_normal_page(v, addr, old);
    if (p && (p->flags & PG_ANON)) {
        /* Reuse: the page is ours alone (anon-exclusive), or its only
         * mapping is this one and nobody else holds the folio. */
        struct page *head = folio_head(p);
        bool reuse = page_anon_exclusive(p) ||
                     (p->mapcount == 1 && head->order == 0 && head->refcount == 1);
        if (reuse) {
            p->flags |= PG_ANON_EXCLUSIVE;
            head->flags |= PG_DIRTY;
            mm_relax_pte(mm, ptep, addr, pte_mkyoung(pte_mkwrite(pte_mkdirty_sd(old))));
            FSTAT_ADD(wp_reuse, 1);
            return 0;
        }
    }
    /* Copy (from the shared page, or from the zero page). */
    struct page *n = folio_alloc(0, -1, p == NULL);
    if (!n)
        return MM_ENOMEM;
    if (p)
        copy_page_data(page_to_phys(n), page_to_phys(p));
    n->flags |= PG_ANON | PG_ANON_EXCLUSIVE | PG_DIRTY;
    page_add_map(n);
    pte_t e = pte_mkwrite(pte_mkdirty_sd(pte_mkyoung(pfn_pte(page_to_pfn(n), vma_page_prot(v)))));
    if (pte_uffd_wp(old))
        e = pte_mkuffd_wp(e);
    /* Different output address: break-before-make. */
    mm_replace_pte(mm, ptep, addr, e);
    if (p)
        page_remove_map(p);
    FSTAT_ADD(wp_copy, 1);
    return 0;
}

static int handle_pte_fault(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep,
                            enum access_type acc)
{
    bool write = acc == ACCESS_WRITE;
    pte_t old = pte_read_once(ptep);
    if (!pte_present(old)) {
        if (pte_is_guard(old))
            return MM_EFAULT;                   /* MADV_GUARD_INSTALL: SIGSEGV */
        if (pte_is_device_exclusive(old))
            return devx_restore(mm, v, addr, ptep, old);
        if (!pte_none_mostly(old))
            return MM_EFAULT;                   /* no swap here */
        /* Empty or a uffd-wp marker (pte_none_mostly): the fill paths. */
        bool marker = pte_is_uffd_marker(old);
        if (!marker && (v->flags & VM_UFFD_MISSING)) {
            int r = uffd_fault_message(mm, addr, UFFD_MSG_MISSING | (write ? UFFD_MSG_WRITE : 0));
            if (r < 0)
                return r;
        }
        /* A marker: map the page read-only with uffd-wp kept (Linux's
         * pte_marker_uffd_wp handling), then a write is reported. */
        int r = (v->flags & VM_SHARED) ? do_shared(mm, v, addr, ptep, write && !marker)
                                       : do_anonymous(mm, v, addr, ptep, write && !marker);
        if (r < 0 || !marker)
            return r;
        pte_store(ptep, pte_mkuffd_wp(pte_wrprotect(pte_read_once(ptep))));  /* valid RO -> RO + sw bit */
        FSTAT_ADD(marker_fill, 1);
        return write && (v->flags & VM_UFFD_WP) ? uffd_fault_message(mm, addr, UFFD_MSG_WP | UFFD_MSG_WRITE) : 0;
    }
    if (pte_protnone(old))
        return numa_hint_fault(mm, v, addr, ptep, write);
    if (!pte_valid(old))
        return MM_EFAULT;       /* transiently invalid (being changed): cannot happen on one CPU */
    /* A write to a uffd-wp protected entry is the userfaultfd handler's to
     * resolve, not the kernel's (handle_userfault): report it, change nothing. */
    if (write && pte_uffd_wp(old) && (v->flags & VM_UFFD_WP))
        return uffd_fault_message(mm, addr, UFFD_MSG_WP | UFFD_MSG_WRITE);
    if (write && !pte_write(old))
        return do_wp_page(mm, v, addr, ptep, old);
    pte_t n = pte_mkyoung(old);
    if (write)
        n = pte_mkdirty_sd(n);
    if (n != old) {
        if (!pte_young(old))
            FSTAT_ADD(access_flag, 1);
        else
            FSTAT_ADD(dirty_bit, 1);
        if (write)
            page_head(vm_normal_page(v, addr, old) ?: zero_page)->flags |= PG_DIRTY;
        mm_relax_pte(mm, ptep, addr, n);
        return 0;
    }
    /* Spurious: the PTE already allows this access. On one CPU that is a
     * stale TLB entry; with several it is also the common race in which
     * another CPU resolved the same fault (or a later one: a new scan, a
     * migration) while this one waited for the lock. Invalidate the local
     * entry and retry. The hardware disagreeing with this decoding would
     * loop: the same address faulting spuriously with the same entry
     * SPURIOUS_LIMIT times in a row (no other CPU changed it meanwhile,
     * or changed it back) fails the access instead. */
    if (prev_spurious == addr && spurious_pte == old) {
        if (++spurious_repeat >= SPURIOUS_LIMIT) {
            printf("# mm: repeated spurious %s fault at 0x%llx, pte 0x%llx (%u times)\n",
                   write ? "write" : "read", (unsigned long long)addr, (unsigned long long)old,
                   spurious_repeat);
            spurious_repeat = 0;
            return MM_EFAULT;
        }
    } else {
        spurious_repeat = 1;
    }
    spurious_pte = old;
    last_spurious = addr;
    flush_local_page(mm->pt.asid, addr);
    return 0;
}

/* A fault in the managed window of mm, on any CPU. The VMA is looked up
 * under the page-table lock too: it also stands for mmap_lock (mm.h). */
static __attribute__((noinline)) enum fault_result handle_mm_fault(struct mm *mm, const struct fault_info *fi,
                                                                   uint64_t addr)
{
    mm_lock(mm, "fault");
    struct vma *v = mm_find_vma(mm, addr);
    /* The kernel never executes user pages (arm64 PXN, riscv S-mode and U):
     * an exec fault here cannot be resolved. */
    if (!v || !access_allowed(v, fi->access) || fi->access == ACCESS_EXEC) {
        mm_unlock(mm);
        return segv();
    }
    /* The userfaultfd context (its message queue, the registered handler)
     * is CPU 0's: another CPU's fault in a registered VMA is not handled. */
    if ((v->flags & (VM_UFFD_MISSING | VM_UFFD_WP)) && mm_cpu_id() != 0) {
        mm_unlock(mm);
        return segv();
    }
    prev_spurious = last_spurious;
    last_spurious = ~0ULL;
    mm_in_fault = true;
    int level;      /* one walk, allocating missing tables */
    pte_t *ptep = pt_walk(&mm->pt, addr, LEAF_LEVEL, true, &level);
    if (level != LEAF_LEVEL)
        ptep = NULL;
    int r = ptep ? handle_pte_fault(mm, v, addr, ptep, fi->access) : MM_ENOMEM;
    pte_stores_visible();
    mm_in_fault = false;
    /* Judged under the lock when it is still held: no other CPU can be
     * half-way through a change of this address space (rule_check.c). */
    if (mm->ptl.cpu == mm_cpu_id() + 1) {   /* (a path that waits drops it) */
        if (rule_check_on)
            rule_check_op_end("fault");
        mm_unlock(mm);
    } else if (rule_check_on) {
        rule_check_op_end("fault");
    }
    if (r == MM_EUFFD) {
        /* The page-table lock is released: the context's handler may run
         * (and resolve: the access is retried), else the message waits. */
        if (uffd_after_fault(mm))
            return FAULT_HANDLED;
        mm_last_fault_error = MM_EUFFD;
        return FAULT_UNHANDLED;
    }
    if (r == MM_ENOMEM) {
        FSTAT_ADD(oom, 1);
        mm_last_fault_error = MM_ENOMEM;
        return FAULT_UNHANDLED;
    }
    return r == 0 ? FAULT_HANDLED : segv();
}

/* A fault another CPU took in mm (boot/smp.c: a worker that runs the mm's
 * handler), with the same rules. */
enum fault_result mm_handle_fault_in(struct mm *mm, const struct fault_info *fi)
{
    uint64_t addr = ALIGN_DOWN(fi->addr, PAGE_SIZE);
    if (addr - MM_VA_BASE >= MM_VA_END - MM_VA_BASE)
        return FAULT_UNHANDLED;
    return handle_mm_fault(mm, fi, addr);
}

enum fault_result mm_handle_fault(const struct fault_info *fi)
{
    /* Outside the managed window (a kernel access, which its fixup or the
     * crash report handles): declined before anything else is looked at. */
    uint64_t addr = ALIGN_DOWN(fi->addr, PAGE_SIZE);
    if (addr - MM_VA_BASE >= MM_VA_END - MM_VA_BASE)
        return FAULT_UNHANDLED;
    struct mm *mm = mm_current();
    return mm ? handle_mm_fault(mm, fi, addr) : FAULT_UNHANDLED;
}
