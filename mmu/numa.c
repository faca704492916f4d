/*
 * NUMA hinting: a scan makes PTEs protnone; the next access faults; the hint
 * fault restores the VMA's protection, marks the entry young, decides its
 * write bit by policy, and may migrate the folio to the scan's target node.
 */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

static int numa_target = -1;
bool mm_in_fault_cpu[MM_MAX_CPUS];
/* Hint faults taken and folios they migrated, per CPU (the SMP tests). */
uint64_t numa_hint_cpu[MM_MAX_CPUS], numa_migrated_cpu[MM_MAX_CPUS];

/* The protnone entry a scan leaves for a present one (keeping the dirty
 * state; under savedwrite, the write bit too: hardware ignores it since the
 * entry is invalid). */
static inline pte_t scan_value(pte_t old, pgprot_t none)
{
    pte_t n = pte_mknoncont(pte_modify(old, none));
    if (mm_params.numa_wp == NUMA_WP_SAVEDWRITE && pte_write(old))
        n = pte_mkwrite(n);
    return n;
}

/* Make a fully covered contiguous block protnone: clear its 16 entries
 * (atomically: the access/dirty state each had when it went is kept) and
 * write them back protnone, as separate entries with the block's gathered
 * access/dirty state on every one (the folio-level state, as an unfold
 * keeps it). No invalidate per block: the entries stay invalid from the
 * clear on, so nothing new can be cached (no break-before-make concerns a
 * change to invalid), and the old translations go with the scan's single
 * flush at the end. */
static void scan_block(pte_t *e, uint64_t va, pgprot_t none, struct tlb_gather *g)
{
    pte_t old[CONT_PTES];
    bool young = false, dirty = false;
    for (unsigned k = 0; k < CONT_PTES; k++) {
        old[k] = pte_get_and_clear(&e[k]);
        young |= pte_young(old[k]);
        dirty |= pte_dirty(old[k]);
    }
    /* Apart from the output address, the 16 protnone values agree: the
     * entries did (the block's rule), and their access/dirty state is now
     * the block's. */
    uint64_t pfn = pte_napot_pfn(old[0], va);
    pte_t o = pte_set_pfn(pte_mknoncont(old[0]), pfn);
    if (young)
        o = pte_mkyoung(o);
    if (dirty)
        o = pte_mkdirty(o);
    pte_t n = scan_value(o, none);
    for (unsigned k = 0; k < CONT_PTES; k++)
        pte_store(&e[k], pte_set_pfn(n, pfn + k));
    tlb_gather_add(g, va, CONT_SIZE);
}

long mm_numa_scan(struct mm *mm, uint64_t start, uint64_t len, int target_node)
{
    if (!len || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
        start < MM_VA_BASE || start + len > MM_VA_END || target_node >= palloc_nr_nodes())
        return MM_EINVAL;
    __atomic_store_n(&numa_target, target_node, __ATOMIC_RELAXED);
    long changed = 0;
    pgprot_t none = pgprot_from_prot(PROT_NONE, true);
    mm_lock(mm, "numa_scan");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        uint64_t s = MAX(start, v->start), e = MIN(start + len, v->end);
        bool private = vma_is_private(v);
        pte_t *table;
        for (uint64_t a = s; (a = pt_next_leaf(&mm->pt, a, e, &table)) < e;) {
            /* The decision is per folio: taken once for a run of its pages. */
            struct page *head = NULL;
            bool skip = false;
            for (pte_t *ptep = table, *stop = table + (pt_leaf_stop(a, e) - a) / PAGE_SIZE; ptep < stop;
                 a += PAGE_SIZE, ptep++) {
                pte_t old = pte_read_once(ptep);
                /* Already protnone: nothing to do, and no TLBI (it is not valid). */
                if (!pte_valid(old))
                    continue;
                struct page *p = vm_normal_page(v, a, old);
                if (!p)
                    continue;                           /* the zero page */
                if (folio_head(p) != head) {
                    head = folio_head(p);
                    skip = (private && folio_mapped_shared(head))     /* COW-shared */
                           || (target_node >= 0 && head->node == target_node);   /* already there */
                }
                if (skip)
                    continue;
                if (pte_cont(old)) {
                    if (IS_ALIGNED(a, CONT_SIZE) && ptep + CONT_PTES <= stop) {
                        scan_block(ptep, a, none, &g);
                        changed += CONT_PTES;
                        a += CONT_SIZE - PAGE_SIZE;
                        ptep += CONT_PTES - 1;
                        continue;
                    }
                    contpte_unfold(mm, a, ptep);
                    old = pte_read_once(ptep);
                }
                pte_t n;
                do      /* atomic: the dirty state is kept in the protnone entry */
                    n = scan_value(old, none);
                while (!pte_cmpxchg(ptep, &old, n));
                tlb_gather_add(&g, a, PAGE_SIZE);           /* valid -> protnone: must go */
                changed++;
            }
        }
    }
    tlb_gather_finish(&g);
    if (rule_check_on)
        rule_check_op_end("numa_scan");     /* under the lock: see rule_check.c */
    mm_unlock(mm);
    return changed;
}

/* How a hint fault restores entries of one VMA: its protection, and
 * whether the write upgrade is wanted at all (decided once per fault). */
struct numa_restore_ctx {
    const struct vma *v;
    pgprot_t prot;
    bool upgrade;
};

/* Restore one protnone entry: VMA protection, young, write bit by policy. */
static pte_t numa_restore(const struct numa_restore_ctx *c, uint64_t addr, pte_t old)
{
    bool saved_write = pte_write(old);
    pte_t n = pte_mkyoung(pte_modify(old, c->prot));
    switch (mm_params.numa_wp) {
    case NUMA_WP_NONE:
        break;
    case NUMA_WP_SAVEDWRITE:
        if (saved_write && (c->v->flags & VM_WRITE))
            n = pte_mkwrite(n);
        break;
    case NUMA_WP_CAN_CHANGE:
    default:
        if (!pte_write(n) && c->upgrade && can_change_pte_writable(c->v, addr, n))
            n = pte_mkwrite(n);
        break;
    }
    return n;
}

/* The attributes a contiguous block's entries must share (output address,
 * access and dirty state removed; the rule of mmu/contpte.h). */
static inline pte_t block_attrs(pte_t v) { return pte_set_pfn(pte_mkold(pte_mkclean(pte_mknoncont(v))), 0); }

/*
 * Restore the 16 protnone entries from e (64 KiB aligned at va, all of this
 * folio, consecutive pages from pfn) straight into a contiguous block: they
 * are invalid, so no TLB holds them and no break-before-make is needed (a
 * fold of the valid entries afterwards would need one). Under can_change
 * the write upgrade of a private folio differs between entries only by
 * each page's anon-exclusive flag: decided once when they all agree.
 * false (nothing written) if the entries are not all this folio's
 * protnone ones, or would not agree.
 */
static bool restore_block(struct mm *mm, const struct numa_restore_ctx *c, pte_t *e, uint64_t va,
                          uint64_t pfn, struct page *p0)
{
    pte_t n[CONT_PTES];
    for (unsigned k = 0; k < CONT_PTES; k++) {
        pte_t o = pte_read_once(&e[k]);
        if (!pte_protnone(o) || pte_napot_pfn(o, va + k * PAGE_SIZE) != pfn + k)
            return false;
        n[k] = o;
    }
    const uint32_t excl = PG_ANON | PG_ANON_EXCLUSIVE;
    uint32_t all = excl, any = 0;
    for (unsigned k = 0; k < CONT_PTES; k++) {
        all &= p0[k].flags;
        any |= p0[k].flags & PG_ANON_EXCLUSIVE;
    }
    bool uniform = mm_params.numa_wp == NUMA_WP_CAN_CHANGE && !(c->v->flags & VM_SHARED) &&
                   (all == excl || !any);
    if (uniform) {
        pte_t r0 = numa_restore(c, va, n[0]);
        for (unsigned k = 0; k < CONT_PTES; k++)
            n[k] = pte_set_pfn(r0, pfn + k);
    } else {
        for (unsigned k = 0; k < CONT_PTES; k++)
            n[k] = numa_restore(c, va + k * PAGE_SIZE, n[k]);
        for (unsigned k = 1; k < CONT_PTES; k++)
            if (block_attrs(n[k]) != block_attrs(n[0]))
                return false;
    }
    for (unsigned k = 0; k < CONT_PTES; k++) {     /* mm_set_pte_new() of each */
        pte_store(&e[k], pte_mkcont(n[k]));
        flush_after_make_valid(mm->pt.asid, va + k * PAGE_SIZE);
    }
    return true;
}

/* Rebuild every protnone entry of the folio (head, of which p is the page
 * at addr, mapped by *ptep) clamped to the VMA and to this page table (a
 * large folio may straddle either). Called with the lock held; decides
 * writability under it. */
static int numa_rebuild_folio(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep,
                              struct page *head, struct page *p)
{
    struct numa_restore_ctx c = { v, vma_page_prot(v), vma_wants_manual_pte_write_upgrade(v) };
    if (head->order == 0) {
        mm_set_pte_new(mm, ptep, addr, numa_restore(&c, addr, pte_read_once(ptep)));
        return 1;
    }
    uint64_t idx = (uint64_t)(p - head);                    /* this page's index in the folio */
    uint64_t pfn = pte_napot_pfn(pte_read_once(ptep), addr) - idx;
    uint64_t npages = 1ULL << head->order;
    uint64_t fstart = addr - idx * PAGE_SIZE;
    uint64_t table_start = ALIGN_DOWN(addr, pt_level_size(2));
    uint64_t s = MAX(MAX(fstart, v->start), table_start);
    uint64_t e = MIN(MIN(fstart + npages * PAGE_SIZE, v->end), table_start + pt_level_size(2));
    pte_t *ep = ptep - (addr - s) / PAGE_SIZE;
    int rebuilt = 0;
    for (uint64_t a = s; a < e; a += PAGE_SIZE, ep++) {
        uint64_t k = (a - fstart) / PAGE_SIZE;
        if (mmu_caps.cont && IS_ALIGNED(a, CONT_SIZE) && a + CONT_SIZE <= e && (pfn + k) % CONT_PTES == 0 &&
            restore_block(mm, &c, ep, a, pfn + k, head + k)) {
            rebuilt += CONT_PTES;
            a += CONT_SIZE - PAGE_SIZE;
            ep += CONT_PTES - 1;
            continue;
        }
        pte_t o = pte_read_once(ep);
        /* Only this folio's own protnone entries (the VA range may hold others). */
        if (!pte_protnone(o) || pte_napot_pfn(o, a) != pfn + k)
            continue;
        mm_set_pte_new(mm, ep, a, numa_restore(&c, a, o));
        rebuilt++;
    }
    /* Whole 64 KiB pieces of the folio restored entry by entry (not as
     * blocks above) fold back into blocks if they agree. */
    pte_t *first = ptep - (addr - s) / PAGE_SIZE;
    for (uint64_t b = ALIGN_UP(s, CONT_SIZE); b + CONT_SIZE <= e; b += CONT_SIZE)
        if (!pte_cont(pte_read_once(first + (b - s) / PAGE_SIZE)))
            contpte_try_fold(mm, v, b);
    return rebuilt;
}

int numa_hint_fault(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, bool write)
{
    (void)write;
    assert_locked(mm);
    FSTAT_ADD(numa_hint, 1);
    numa_hint_cpu[mm_cpu_id()]++;
    pte_t old = pte_read_once(ptep);
    struct page *p = vm_normal_page(v, addr, old);
    if (!p) {
        struct numa_restore_ctx c = { v, vma_page_prot(v), vma_wants_manual_pte_write_upgrade(v) };
        mm_set_pte_new(mm, ptep, addr, numa_restore(&c, addr, old));
        return 0;
    }
    struct page *head = folio_head(p);
    /* Read once: CPU 0's next scan may set another target meanwhile. */
    int target = __atomic_load_n(&numa_target, __ATOMIC_RELAXED);
    if (target >= 0 && head->node != target && !folio_mapped_shared(head)) {
        /* Migration runs without the page-table lock (copying takes long);
         * the PTE may change meanwhile, so everything is decided again.
         * Counted as migrated only if this fault moved it: with several
         * CPUs another may have moved it first ("already there" is 0). */
        uint64_t pfn_before = page_to_pfn(head);
        mm_unlock(mm);
        int r = mm_migrate(mm, addr, target);
        mm_lock(mm, "numa_fault_after_migrate");
        ptep = mm_pte_ptr(mm, addr, false);
        old = ptep ? pte_read_once(ptep) : 0;
        if (!pte_protnone(old))
            return 0;           /* someone else resolved it */
        p = vm_normal_page(v, addr, old);
        head = page_head(p);
        if (r == 0 && page_to_pfn(head) != pfn_before && head->node == target) {
            FSTAT_ADD(numa_migrated, 1);
            numa_migrated_cpu[mm_cpu_id()]++;
        }
    }
    numa_rebuild_folio(mm, v, addr, ptep, head, p);
    return 0;
}

/* Move a folio to node: copy, then break-before-make every entry that maps
 * it in this mm (clear all, one flush, write all), keeping each entry's bits. */
#define MIGRATE_MAX_PAGES 512
int migrate_folio_locked(struct mm *mm, struct page *head, int node, uint64_t hint_va)
{
    assert_locked(mm);
    unsigned order = head->order;
    uint64_t npages = 1ULL << order;
    if (npages > MIGRATE_MAX_PAGES)
        return MM_EINVAL;
    struct page *n = folio_alloc(order, node, false);
    if (!n)
        return MM_ENOMEM;
    if (n->node != node) {
        palloc_free(page_to_phys(n), order);
        return MM_ENOMEM;
    }
    uint64_t opfn = page_to_pfn(head), npfn = page_to_pfn(n);
    /* Per CPU: CPUs migrating in different address spaces at once. */
    static uint64_t addrs_cpu[MM_MAX_CPUS][MIGRATE_MAX_PAGES];
    static pte_t olds_cpu[MM_MAX_CPUS][MIGRATE_MAX_PAGES];
    uint64_t *addrs = addrs_cpu[mm_cpu_id()];
    pte_t *olds = olds_cpu[mm_cpu_id()];
    int moved = 0;
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    const bool copy_after_unmap = true;     /* false: the planted bug "copy before unmap" */
    for (uint64_t i = 0; !copy_after_unmap && i < npages; i++)
        copy_page_data(page_to_phys(n + i), page_to_phys(head + i));
    /* Break: clear every entry mapping the old folio. A private anonymous
     * folio that is not COW-shared is mapped once, at consecutive addresses
     * around hint_va: only that span is searched. */
    pte_t hint = mm_get_pte(mm, hint_va);
    uint64_t fstart = hint_va - (pte_napot_pfn(hint, hint_va) - opfn) * PAGE_SIZE;
    for (struct vma *v = mm->vmas; v; v = v->next) {
        uint64_t s = MAX(v->start, fstart), e = MIN(v->end, fstart + npages * PAGE_SIZE);
        for (uint64_t a = s; a < e && moved < MIGRATE_MAX_PAGES; a += PAGE_SIZE) {
            pte_t *ptep = mm_pte_ptr(mm, a, false);
            if (!ptep)
                continue;
            pte_t o = pte_read_once(ptep);
            if (!pte_present(o))
                continue;
            uint64_t pfn = pte_napot_pfn(o, a);
            if (pfn < opfn || pfn >= opfn + npages)
                continue;
            if (pte_cont(o)) {
                contpte_unfold(mm, a, ptep);
                o = pte_read_once(ptep);
            }
            o = pte_get_and_clear(ptep);     /* with the dirty state it had when it went */
            if (pte_valid(o))
                tlb_gather_add(&g, a, PAGE_SIZE);
            addrs[moved] = a;
            olds[moved] = o;
            moved++;
        }
    }
    tlb_gather_finish(&g);
    /* Copy only now: no CPU can write the old folio any more (its entries
     * are cleared and flushed), so nothing written to it is lost (Linux's
     * migrate_pages: unmap, flush, copy, remap). */
    for (uint64_t i = 0; i < npages; i++) {
        if (copy_after_unmap)
            copy_page_data(page_to_phys(n + i), page_to_phys(head + i));
        n[i].flags |= head[i].flags & (PG_ANON | PG_ANON_EXCLUSIVE);
    }
    n->flags |= head->flags & PG_DIRTY;
    /* Make: the same entries pointing at the new folio. */
    for (int i = 0; i < moved; i++) {
        uint64_t idx = pte_napot_pfn(olds[i], addrs[i]) - opfn;
        pte_t ne = pte_set_pfn(olds[i], npfn + idx);
        mm_set_pte_new(mm, mm_pte_ptr(mm, addrs[i], false), addrs[i], ne);
        page_add_map(n + idx);
        page_remove_map(head + idx);
    }
    pte_stores_visible();
    if (!moved) {
        palloc_free(page_to_phys(n), order);
        return MM_EFAULT;
    }
    return 0;
}

int mm_migrate(struct mm *mm, uint64_t addr, int node)
{
    if (node < 0 || node >= palloc_nr_nodes())
        return MM_EINVAL;
    /* The folio is looked up under the lock: another CPU's migration
     * (a hint fault) may free the one mapped a moment ago. */
    mm_lock(mm, "migrate");
    struct page *p = mm_page_at(mm, addr);
    int r;
    if (!p || mm_is_zero_page(p) || !(p->flags & PG_ANON))
        r = MM_EINVAL;
    else if (page_head(p)->node == node)
        r = 0;
    else if (folio_mapped_shared(page_head(p)))
        r = MM_EEXIST;                                  /* COW-shared: not migrated */
    else
        r = migrate_folio_locked(mm, page_head(p), node, ALIGN_DOWN(addr, PAGE_SIZE));
    if (!mm_in_fault)
        rule_check_op_end("migrate");       /* under the lock: see rule_check.c */
    mm_unlock(mm);
    return r;
}
