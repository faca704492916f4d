/* Page-table walker, map and unmap (see pgtable.h). */
#include "boot/kernel.h"
#include "mmu/pgtable.h"
#include "mmu/page_alloc.h"

struct pgtable kernel_pgtable;

uint64_t pt_alloc_table(void)
{
    uint64_t pa = palloc_alloc(0, -1, PA_ZERO);
    if (pa) {
        ev_inc(EV_PT_ALLOC);
        if (rule_check_on)
            rule_check_table_alloc(pa);     /* zeroed with plain stores: not yet ordered */
    }
    return pa;
}

/* Link a new, zeroed table under the empty entry e. false: out of memory. */
static __attribute__((noinline)) bool link_new_table(pte_t *e)
{
    uint64_t t = pt_alloc_table();
    if (!t)
        return false;
    /* A new table is linked invalid->valid: no invalidate needed (riscv:
     * the local fence for the leaf covers the walk). Its zeroing must be
     * ordered before the link, or a walker (a speculative one on this CPU,
     * or another CPU's) may read the old contents of the page through the
     * new entry. */
    table_publish();
    pte_store(e, pte_mktable(t));
    return true;
}

/* One step of a walk at level l: true with *table the table the entry for
 * va links to, or false when the walk stops here, with *stop what
 * pt_walk() returns (the entry if it is a block, else NULL: no table and no
 * allocation). */
static inline __attribute__((always_inline)) bool
walk_down(uint64_t *table, uint64_t va, int l, bool alloc, pte_t **stop, int *level)
{
    pte_t *e = &pt_table(*table)[pt_index(va, l)];
    pte_t v = pte_read_once(e);
    if (!pte_is_table(v, l)) {
        if (v || !alloc) {
            *level = l;
            *stop = v ? e : NULL;
            return false;
        }
        if (!link_new_table(e)) {
            *stop = NULL;
            return false;
        }
        v = pte_read_once(e);
    }
    *table = pte_table_pa(v);
    return true;
}

pte_t *pt_walk(struct pgtable *pt, uint64_t va, int stop_level, bool alloc, int *level)
{
    uint64_t table = pt->root;
    int l = pt_root_level();
    pte_t *stop = NULL;
    if (stop_level == LEAF_LEVEL) {
        /* The walk to a 4 KiB entry (faults, lookups), with each level's
         * shift a constant. */
        if ((l == 0 && !walk_down(&table, va, 0, alloc, &stop, level)) ||
            !walk_down(&table, va, 1, alloc, &stop, level) ||
            !walk_down(&table, va, 2, alloc, &stop, level))
            return stop;
        *level = LEAF_LEVEL;
        return &pt_table(table)[pt_index(va, LEAF_LEVEL)];
    }
    for (;; l++) {
        if (l == stop_level) {
            *level = l;
            return &pt_table(table)[pt_index(va, l)];
        }
        if (!walk_down(&table, va, l, alloc, &stop, level))
            return stop;
    }
}

pte_t *pt_lookup(struct pgtable *pt, uint64_t va, int *level)
{
    pte_t *e = pt_walk(pt, va, LEAF_LEVEL, false, level);
    return e && !pte_none(pte_read_once(e)) ? e : NULL;
}

/* The first va in [va, end) whose last-level table exists, with its entry in
 * *ptep; end if none. Absent (or block) entries above are skipped whole. */
static uint64_t next_leaf_table(struct pgtable *pt, uint64_t va, uint64_t end, pte_t **ptep)
{
    while (va < end) {
        uint64_t table = pt->root;
        int l = pt_root_level();
        for (; l < LEAF_LEVEL; l++) {
            pte_t v = pte_read_once(&pt_table(table)[pt_index(va, l)]);
            if (!v || !pte_is_table(v, l))
                break;
            table = pte_table_pa(v);
        }
        if (l == LEAF_LEVEL) {
            *ptep = &pt_table(table)[pt_index(va, LEAF_LEVEL)];
            return va;
        }
        uint64_t next = ALIGN_DOWN(va, pt_level_size(l)) + pt_level_size(l);
        if (next <= va)
            break;                  /* wrapped past the top */
        va = next;
    }
    return end;
}

uint64_t pte_iter_visits;

uint64_t pt_next_leaf(struct pgtable *pt, uint64_t va, uint64_t end, pte_t **ptep)
{
    va = next_leaf_table(pt, va, end, ptep);
    if (va < end)
        pte_iter_visits += (pt_leaf_stop(va, end) - va) / PAGE_SIZE;
    return va;
}

bool pte_iter_next(struct pte_iter *it)
{
    pte_iter_visits++;
    if (it->ptep) {
        it->va += PAGE_SIZE;
        if (it->va >= it->end)
            return false;
        if (it->va % pt_level_size(LEAF_LEVEL - 1)) {
            it->ptep++;             /* same table */
            return true;
        }
    }
    it->va = next_leaf_table(it->pt, it->va, it->end, &it->ptep);
    return it->va < it->end;
}

static bool can_use_block(int level, uint64_t va, uint64_t pa, uint64_t left, unsigned flags)
{
    if (!(flags & PT_MAP_BLOCKS) || level < 1 || level >= LEAF_LEVEL)
        return false;
    uint64_t sz = pt_level_size(level);
    return IS_ALIGNED(va, sz) && IS_ALIGNED(pa, sz) && left >= sz;
}

int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, pgprot_t prot, unsigned flags)
{
    uint64_t start = va, end = va + size;
    while (va < end) {
        int level = LEAF_LEVEL;
        for (int l = 1; l < LEAF_LEVEL; l++)
            if (can_use_block(l, va, pa, end - va, flags)) {
                level = l;
                break;
            }
        int got;
        pte_t *e = pt_walk(pt, va, level, true, &got);
        if (!e)
            return -1;
        if (got != level || !pte_none(pte_read_once(e)))
            return -2;
        pte_t v = level == LEAF_LEVEL ? pfn_pte(pa >> PAGE_SHIFT, prot)
                                      : pfn_block(pa >> PAGE_SHIFT, prot, level);
        if (flags & PT_MAP_YOUNG)
            v = pte_mkyoung(v);
        if (flags & PT_MAP_DIRTY)
            v = pte_mkdirty(v);
        if (level == LEAF_LEVEL && (flags & PT_MAP_CONT) && mmu_caps.cont) {
            uint64_t blk_va = ALIGN_DOWN(va, CONT_SIZE), blk_pa = pa - (va - blk_va);
            /* the whole 64 KiB block lies inside this mapping, aligned in PA too */
            if (IS_ALIGNED(blk_pa, CONT_SIZE) && blk_va >= start && blk_va + CONT_SIZE <= end)
                v = pte_mkcont(v);
        }
        pte_store(e, v);
        if (!(flags & PT_MAP_NOFLUSH))
            flush_after_make_valid(pt->asid, va);
        va += pt_level_size(level);
        pa += pt_level_size(level);
    }
    if (!(flags & PT_MAP_NOFLUSH))
        pte_stores_visible();
    return 0;
}

int pt_split_block(struct pgtable *pt, pte_t *entry, int level, uint64_t va)
{
    pte_t blk = pte_read_once(entry);
    uint64_t t = pt_alloc_table();
    if (!t)
        return -1;
    uint64_t base_va = ALIGN_DOWN(va, pt_level_size(level));
    uint64_t pfn = pte_pfn(blk);
    uint64_t step = pt_level_size(level + 1) >> PAGE_SHIFT;
    pte_t *child = pt_table(t);
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
        child[i] = pte_block_to_next(blk, pfn + i * step, level + 1);
    }
    ev_add(EV_PTE_STORE, PTRS_PER_TABLE);   /* not live yet: plain stores */
    table_publish();
    /* Break-before-make: the block and the table map the same memory with
     * different sizes; both in a TLB at once is a conflict. */
    pte_store(entry, 0);
    flush_tlb_range(pt->asid, base_va, base_va + pt_level_size(level), pt_level_size(level), true);
    pte_store(entry, pte_mktable(t));
    flush_after_make_valid(pt->asid, va);
    pte_stores_visible();
    return 0;
}

/* Is the table page at pa all empty? */
static bool table_empty(uint64_t pa)
{
    const pte_t *t = pt_table(pa);
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++)
        if (t[i])
            return false;
    return true;
}

static void unmap_level(struct pgtable *pt, uint64_t table, int level, uint64_t va, uint64_t end,
                        struct tlb_gather *g)
{
    uint64_t sz = pt_level_size(level);
    while (va < end) {
        uint64_t next = MIN(ALIGN_DOWN(va, sz) + sz, end);
        pte_t *e = &pt_table(table)[pt_index(va, level)];
        pte_t v = pte_read_once(e);
        if (!v) {
            va = next;
            continue;
        }
        if (level < LEAF_LEVEL && pte_is_block(v, level) && (next - va) < sz) {
            /* Partly covered block: split, then handle the table below. */
            if (pt_split_block(pt, e, level, va) < 0)
                panic("out of memory splitting a block");
            v = pte_read_once(e);
        }
        if (level == LEAF_LEVEL || pte_is_block(v, level)) {
            pte_store(e, 0);
            if (pte_valid(v))
                tlb_gather_add(g, ALIGN_DOWN(va, sz), sz);
            va = next;
            continue;
        }
        uint64_t child = pte_table_pa(v);
        unmap_level(pt, child, level + 1, va, next, g);
        uint64_t span = ALIGN_DOWN(va, sz);
        /* Free the child only if it lies wholly inside the managed window:
         * the kernel's shared tables are outside it. */
        if (span >= MM_VA_BASE && span + sz <= MM_VA_END && table_empty(child)) {
            pte_store(e, 0);
            tlb_gather_add(g, span, PAGE_SIZE);   /* walk caches: any VA in the span */
            tlb_gather_free_table(g, child);
        }
        va = next;
    }
}

void pt_unmap(struct pgtable *pt, uint64_t va, uint64_t size, struct tlb_gather *g)
{
    unmap_level(pt, pt->root, pt_root_level(), va, va + size, g);
}

int pgtable_create(struct pgtable *pt, uint16_t asid)
{
    pt->asid = asid;
    pt->root = pt_alloc_table();
    if (!pt->root)
        return -1;
    /* Share the kernel's entries below the managed window. With 4 levels the
     * window shares root entry 0 with the kernel, so this address space gets
     * its own level-1 table holding copies of the kernel's level-1 entries. */
    uint64_t kl1 = kernel_pgtable.root, l1 = pt->root;
    if (mmu_caps.levels == 4) {
        pte_t k0 = pt_table(kernel_pgtable.root)[0];
        kl1 = pte_table_pa(k0);
        l1 = pt_alloc_table();
        if (!l1) {
            palloc_free(pt->root, 0);
            return -1;
        }
        pt_table(pt->root)[0] = pte_mktable(l1);
        ev_inc(EV_PTE_STORE);
    }
    for (unsigned i = 0; i < pt_index(MM_VA_BASE, 1); i++)
        pt_table(l1)[i] = pt_table(kl1)[i];
    /* Not live until the first switch to it: plain stores, then one barrier
     * so that every walker sees them before the root is used. */
    table_publish();
    return 0;
}

void pgtable_destroy(struct pgtable *pt)
{
    struct tlb_gather g;
    tlb_gather_init(&g, pt->asid);
    pt_unmap(pt, MM_VA_BASE, MM_VA_END - MM_VA_BASE, &g);
    tlb_gather_finish(&g);
    flush_tlb_asid_everywhere(pt->asid);    /* the ASID may be reused */
    if (mmu_caps.levels == 4) {
        palloc_free(pte_table_pa(pt_table(pt->root)[0]), 0);
        ev_inc(EV_PT_FREE);
    }
    palloc_free(pt->root, 0);
    ev_inc(EV_PT_FREE);
    pt->root = 0;
}

void pgtable_activate(const struct pgtable *pt)
{
    hw_switch_root(pt->root, pt->asid);
}

/* Attributes of an entry with its output address, access and dirty state removed. */
static pte_t cont_attrs(pte_t v)
{
    return pte_block_to_next(pte_mkold(pte_mkclean(v)), 0, LEAF_LEVEL);
}

const char *cont_block_check(const pte_t *first, uint64_t va)
{
    uint64_t blk_va = ALIGN_DOWN(va, CONT_SIZE);
    const pte_t *e = first;
    bool valid0 = pte_valid(e[0]);
    for (unsigned i = 0; i < CONT_PTES; i++) {
        if (pte_valid(e[i]) != valid0)
            return "block mixes valid and invalid entries";
        if (!valid0)
            continue;
        if (!pte_cont(e[i]))
            return "entry without the contiguous bit";
        uint64_t pfn = pte_napot_pfn(e[i], blk_va + i * PAGE_SIZE);
        uint64_t pfn0 = pte_napot_pfn(e[0], blk_va);
        if (pfn0 % CONT_PTES)
            return "block not 64 KiB aligned in physical memory";
        if (pfn != pfn0 + i)
            return "output addresses not consecutive";
        if (cont_attrs(e[i]) != cont_attrs(e[0]))
            return "attributes differ inside the block";
    }
    return NULL;
}
