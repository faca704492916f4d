/*
 * NUMA hinting: a scan makes PTEs protnone; the next access faults; the hint
 * fault restores the VMA's protection, marks the entry young, decides its
 * write bit by policy, and may migrate the folio to the scan's target node.
 */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

static int numa_target = -1;
bool mm_in_fault;        /* where hint faults migrate to (-1: never) */

long mm_numa_scan(struct mm *mm, uint64_t start, uint64_t len, int target_node)
{
    if (!len || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
        start < MM_VA_BASE || start + len > MM_VA_END || target_node >= palloc_nr_nodes())
        return MM_EINVAL;
    numa_target = target_node;
    long changed = 0;
    pgprot_t none = pgprot_from_prot(PROT_NONE, true);
    mm_lock(mm, "numa_scan");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        uint64_t s = MAX(start, v->start), e = MIN(start + len, v->end);
        struct pte_iter it = pte_iter_start(&mm->pt, s, e);
        while (pte_iter_next(&it)) {
            uint64_t a = it.va;
            pte_t *ptep = it.ptep;
            pte_t old = pte_read_once(ptep);
            /* Already protnone: nothing to do, and no TLBI (it is not valid). */
            if (!pte_valid(old))
                continue;
            struct page *p = vm_normal_page(v, a, old);
            if (!p)
                continue;                               /* the zero page */
            if (vma_is_private(v) && folio_mapped_shared(page_head(p)))
                continue;                               /* COW-shared */
            if (target_node >= 0 && page_head(p)->node == target_node)
                continue;                               /* already there */
            if (pte_cont(old))
                contpte_unfold(mm, a, ptep);
            old = pte_read_once(ptep);
            pte_t n;
            do {    /* atomic: the dirty state is kept in the protnone entry */
                n = pte_mknoncont(pte_modify(old, none));
                /* savedwrite (pre-2022 Linux): the protnone entry remembers the
                 * write bit; hardware ignores it since the entry is invalid. */
                if (mm_params.numa_wp == NUMA_WP_SAVEDWRITE && pte_write(old))
                    n = pte_mkwrite(n);
            } while (!pte_cmpxchg(ptep, &old, n));
            tlb_gather_add(&g, a, PAGE_SIZE);           /* valid -> protnone: must go */
            changed++;
        }
    }
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("numa_scan");
    return changed;
}

/* Restore one protnone entry: VMA protection, young, write bit by policy. */
static pte_t numa_restore(const struct vma *v, uint64_t addr, pte_t old)
{
    bool saved_write = pte_write(old);
    pte_t n = pte_mkyoung(pte_modify(old, vma_page_prot(v)));
    switch (mm_params.numa_wp) {
    case NUMA_WP_NONE:
        break;
    case NUMA_WP_SAVEDWRITE:
        if (saved_write && (v->flags & VM_WRITE))
            n = pte_mkwrite(n);
        break;
    case NUMA_WP_CAN_CHANGE:
    default:
        if (!pte_write(n) && vma_wants_manual_pte_write_upgrade(v) &&
            can_change_pte_writable(v, addr, n))
            n = pte_mkwrite(n);
        break;
    }
    return n;
}

/* Rebuild every protnone entry of the folio mapping addr, clamped to the
 * VMA and to this page table (a large folio may straddle either). Called
 * with the lock held; decides writability under it. */
static int numa_rebuild_folio(struct mm *mm, struct vma *v, uint64_t addr, struct page *head)
{
    uint64_t pfn = page_to_pfn(head);
    uint64_t npages = 1ULL << head->order;
    pte_t *ptep = mm_pte_ptr(mm, addr, false);
    pte_t cur = pte_read_once(ptep);
    uint64_t idx = pte_napot_pfn(cur, addr) - pfn;   /* this page's index in the folio */
    uint64_t fstart = addr - idx * PAGE_SIZE;
    uint64_t table_start = ALIGN_DOWN(addr, pt_level_size(2));
    uint64_t s = MAX(MAX(fstart, v->start), table_start);
    uint64_t e = MIN(MIN(fstart + npages * PAGE_SIZE, v->end), table_start + pt_level_size(2));
    int rebuilt = 0;
    for (uint64_t a = s; a < e; a += PAGE_SIZE) {
        pte_t *p = mm_pte_ptr(mm, a, false);
        pte_t o = pte_read_once(p);
        /* Only this folio's own protnone entries (the VA range may hold others). */
        if (!pte_protnone(o) || pte_napot_pfn(o, a) != pfn + (a - fstart) / PAGE_SIZE)
            continue;
        mm_set_pte_new(mm, p, a, numa_restore(v, a, o));
        rebuilt++;
    }
    /* Whole 64 KiB pieces of the folio mapped alike fold back into blocks. */
    for (uint64_t b = ALIGN_UP(s, CONT_SIZE); b + CONT_SIZE <= e; b += CONT_SIZE)
        contpte_try_fold(mm, v, b);
    return rebuilt;
}

int numa_hint_fault(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, bool write)
{
    (void)write;
    assert_locked(mm);
    mm_fault_stats.numa_hint++;
    pte_t old = pte_read_once(ptep);
    struct page *p = vm_normal_page(v, addr, old);
    if (!p) {
        mm_set_pte_new(mm, ptep, addr, numa_restore(v, addr, old));
        return 0;
    }
    struct page *head = page_head(p);
    if (numa_target >= 0 && head->node != numa_target && !folio_mapped_shared(head)) {
        /* Migration runs without the page-table lock (copying takes long);
         * the PTE may change meanwhile, so everything is decided again. */
        mm_unlock(mm);
        int r = mm_migrate(mm, addr, numa_target);
        mm_lock(mm, "numa_fault_after_migrate");
        if (r == 0)
            mm_fault_stats.numa_migrated++;
        ptep = mm_pte_ptr(mm, addr, false);
        old = ptep ? pte_read_once(ptep) : 0;
        if (!pte_protnone(old))
            return 0;           /* someone else resolved it */
        p = vm_normal_page(v, addr, old);
        head = page_head(p);
    }
    numa_rebuild_folio(mm, v, addr, head);
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
    static uint64_t addrs[MIGRATE_MAX_PAGES];
    static pte_t olds[MIGRATE_MAX_PAGES];
    int moved = 0;
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
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
    struct page *p = mm_page_at(mm, addr);
    if (!p || mm_is_zero_page(p) || !(p->flags & PG_ANON))
        return MM_EINVAL;
    struct page *head = page_head(p);
    if (head->node == node)
        return 0;
    if (folio_mapped_shared(head))
        return MM_EEXIST;                               /* COW-shared: not migrated */
    mm_lock(mm, "migrate");
    int r = migrate_folio_locked(mm, head, node, ALIGN_DOWN(addr, PAGE_SIZE));
    mm_unlock(mm);
    if (!mm_in_fault)
        rule_check_op_end("migrate");
    return r;
}
