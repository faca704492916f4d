/* Contiguous-PTE folding, unfolding and batched mprotect (see contpte.h). */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

struct contpte_stats contpte_stats;

static inline pte_t *block_first(pte_t *ptep, uint64_t addr)
{
    return ptep - (addr - ALIGN_DOWN(addr, CONT_SIZE)) / PAGE_SIZE;
}

/* Attributes that must agree inside a block (output address, A/D removed). */
static pte_t block_attrs(pte_t v) { return pte_set_pfn(pte_mkold(pte_mkclean(pte_mknoncont(v))), 0); }

pte_t contpte_get(const pte_t *ptep, uint64_t addr)
{
    pte_t v = pte_read_once(ptep);
    if (!pte_cont(v))
        return v;
    const pte_t *first = ptep - (addr - ALIGN_DOWN(addr, CONT_SIZE)) / PAGE_SIZE;
    for (unsigned i = 0; i < CONT_PTES; i++) {
        pte_t e = pte_read_once(&first[i]);
        if (pte_young(e))
            v = pte_mkyoung(v);
        if (pte_dirty(e))
            v = pte_mkdirty(v);
    }
    return v;
}

/* Break: clear the 16 entries atomically and invalidate every page of the
 * block; returns the entries as they were (with hardware A/D updates up to
 * the instant each was cleared). The CONT bit / Svnapot is only a hint: a
 * CPU may hold the 16 pages as 16 TLB entries, and an invalidate by VA
 * removes the one for its own page only (Arm ARM D8.6.1; riscv Svnapot:
 * "every PTE of the NAPOT region"; Linux's contpte_convert flushes the
 * block with a PAGE_SIZE stride). Only the unsafe-per-block what-if strides
 * over the block. */
static void block_break(struct mm *mm, pte_t *first, uint64_t base, pte_t old[CONT_PTES])
{
    bool any_valid = false, all_cont = true;
    for (unsigned i = 0; i < CONT_PTES; i++) {
        old[i] = pte_get_and_clear(&first[i]);
        any_valid |= pte_valid(old[i]);
        all_cont &= pte_cont(old[i]);
    }
    bool what_if = tlb_params.policy == TLBI_UNSAFE_PER_BLOCK && all_cont;
    if (any_valid)
        flush_tlb_range(mm->pt.asid, base, base + CONT_SIZE, what_if ? CONT_SIZE : PAGE_SIZE, true);
}

void contpte_unfold(struct mm *mm, uint64_t addr, pte_t *ptep)
{
    uint64_t base = ALIGN_DOWN(addr, CONT_SIZE);
    pte_t *first = block_first(ptep, addr);
    pte_t old[CONT_PTES];
    block_break(mm, first, base, old);
    /* Keep the block's gathered access/dirty state on every entry (the
     * folio-level state; Linux's contpte_convert does the same). */
    bool young = false, dirty = false;
    for (unsigned i = 0; i < CONT_PTES; i++) {
        young |= pte_young(old[i]);
        dirty |= pte_dirty(old[i]);
    }
    for (unsigned i = 0; i < CONT_PTES; i++) {
        pte_t n = pte_set_pfn(pte_mknoncont(old[i]), pte_napot_pfn(old[i], base + i * PAGE_SIZE));
        if (young)
            n = pte_mkyoung(n);
        if (dirty)
            n = pte_mkdirty(n);
        mm_set_pte_new(mm, &first[i], base + i * PAGE_SIZE, n);
    }
    contpte_stats.unfolds++;
}

/* Do these 16 entries qualify for a contiguous block? */
static bool block_foldable(const struct vma *v, const pte_t *first, uint64_t base)
{
    if (base < v->start || base + CONT_SIZE > v->end)
        return false;
    pte_t e0 = pte_read_once(&first[0]);
    if (!pte_valid(e0) || pte_cont(e0))
        return false;
    uint64_t pfn0 = pte_pfn(e0);
    if (pfn0 % CONT_PTES)
        return false;
    struct page *p0 = pfn_to_page(pfn0);
    if (!p0 || p0 == zero_page || page_head(p0)->order < 4)
        return false;
    pte_t a0 = block_attrs(e0);
    for (unsigned i = 1; i < CONT_PTES; i++) {
        pte_t e = pte_read_once(&first[i]);
        if (!pte_valid(e) || pte_pfn(e) != pfn0 + i || block_attrs(e) != a0)
            return false;
    }
    return true;
}

bool contpte_try_fold(struct mm *mm, const struct vma *v, uint64_t addr)
{
    if (!mmu_caps.cont)
        return false;
    uint64_t base = ALIGN_DOWN(addr, CONT_SIZE);
    pte_t *ptep = mm_pte_ptr(mm, addr, false);
    if (!ptep)
        return false;
    pte_t *first = block_first(ptep, addr);
    if (!block_foldable(v, first, base))
        return false;
    pte_t old[CONT_PTES];
    block_break(mm, first, base, old);
    for (unsigned i = 0; i < CONT_PTES; i++)
        mm_set_pte_new(mm, &first[i], base + i * PAGE_SIZE, pte_mkcont(old[i]));
    contpte_stats.folds++;
    return true;
}

/* The new value of one present entry: the VMA's protection, then the write
 * upgrade where can_change_pte_writable() allows it (asked only when the
 * result would not be writable anyway, as mprotect_new_pte()). */
static inline pte_t new_value(const struct vma *v, uint64_t addr, pte_t old, pgprot_t newprot, bool upgrade)
{
    pte_t n = pte_modify(old, newprot);
    if (upgrade && !pte_write(n) && can_change_pte_writable(v, addr, n))
        n = pte_mkwrite(n);
    return n;
}

/*
 * The write upgrade of a whole contiguous block, decided once. Within a
 * valid block every attribute but the output address and access/dirty
 * state agrees (the block's rule), so of can_change_pte_writable()'s
 * conditions only anon-exclusive differs between entries of a private
 * mapping, and it is read from each entry's own page (never the folio's
 * first one: the 2025 batching bug). Returns 1: every entry becomes
 * writable; 0: none does; -1: the entries differ (the block must be
 * unfolded and handled entry by entry). Shared mappings decide on each
 * entry's dirty state: -1.
 */
static int block_write_upgrade(const struct vma *v, const pte_t *first, uint64_t va, pte_t n0,
                               pgprot_t newprot, bool upgrade)
{
    if (!upgrade || pte_write(n0))
        return 0;
    if (v->flags & VM_SHARED)
        return -1;
    struct page *p0 = vm_normal_page(v, va, n0);
    if (!p0)
        return -1;
    /* The block's pages are consecutive struct pages (one folio). */
    const uint32_t excl = PG_ANON | PG_ANON_EXCLUSIVE;
    uint32_t all = excl, any = 0;
#pragma GCC unroll 16
    for (unsigned k = 0; k < CONT_PTES; k++) {
        all &= p0[k].flags;
        any |= p0[k].flags & PG_ANON_EXCLUSIVE;
    }
    if (!any)
        return 0;                       /* refused everywhere: no exclusive page */
    unsigned some = 0;
    while ((p0[some].flags & excl) != excl)
        some++;
    /* Ask the rule for an exclusive entry: its answer is the block-wide
     * conditions' (VMA write, soft-dirty, uffd-wp, protnone). */
    pte_t nk = pte_modify(pte_read_once(&first[some]), newprot);
    if (!can_change_pte_writable(v, va + some * PAGE_SIZE, nk))
        return 0;
    return all == excl ? 1 : -1;
}

/*
 * Repaint a fully covered contiguous block with its new protection: clear
 * the 16 entries and write them back with the CONT/N bit, with no
 * invalidate for the block. Allowed because the output address, the CONT
 * bit and the size do not change (only permissions do), so no
 * break-before-make is needed; the stale entries go with the single flush
 * of the whole range that tlb_gather_finish() issues before mprotect
 * returns. Returns the entries changed (16, or 0 if nothing changes), or
 * -1 if the entries would differ (the caller unfolds the block).
 */
static long repaint_block(struct mm *mm, const struct vma *v, pte_t *e, uint64_t va, pgprot_t newprot,
                          bool upgrade, struct tlb_gather *g)
{
    pte_t o0 = pte_read_once(e);
    pte_t n0 = pte_modify(o0, newprot);
    int w = block_write_upgrade(v, e, va, n0, newprot, upgrade);
    if (w < 0)
        return -1;
    if (w)
        n0 = pte_mkwrite(n0);
    if (block_attrs(n0) == block_attrs(o0))
        return 0;                       /* the protection it already has */
    bool valid = pte_valid(o0);
    if (!mmu_caps.caches_invalid) {
        /* Clear all 16 atomically first (Linux's modify_prot_start on a
         * contpte block): each new value keeps the access/dirty state its
         * entry had when it went, and no walker can update them now. The
         * decision above does not depend on that state. */
        pte_t ov[CONT_PTES];
        for (unsigned k = 0; k < CONT_PTES; k++)
            ov[k] = pte_get_and_clear(&e[k]);
        if (w)
            for (unsigned k = 0; k < CONT_PTES; k++)
                pte_store(&e[k], pte_mkcont(pte_mkwrite(pte_modify(ov[k], newprot))));
        else
            for (unsigned k = 0; k < CONT_PTES; k++)
                pte_store(&e[k], pte_mkcont(pte_modify(ov[k], newprot)));
    } else {
        /* The TLB may cache transient invalid entries (riscv): repaint
         * valid -> valid, each entry by compare-and-exchange, which is
         * allowed because only permissions change. */
        for (unsigned k = 0; k < CONT_PTES; k++) {
            pte_t ok = pte_read_once(&e[k]), n;
            do {
                n = pte_modify(ok, newprot);
                n = pte_mkcont(w ? pte_mkwrite(n) : n);
            } while (!pte_cmpxchg(&e[k], &ok, n));
        }
    }
    /* The old translations go with the operation's single flush
     * (tlb_gather_finish), page by page or by range. A block made valid
     * from protnone needs a local fence per page where invalid entries may
     * be cached (riscv; a no-op on arm64, which never caches them). */
    if (valid)
        tlb_gather_add_block(g, va, CONT_SIZE);
    else
        for (unsigned k = 0; k < CONT_PTES; k++)
            flush_after_make_valid(mm->pt.asid, va + k * PAGE_SIZE);
    contpte_stats.blocks_repainted++;
    return CONT_PTES;
}

/* Could the 16 entries from this one (64 KiB aligned, not a block) become
 * a block: a page 64 KiB aligned in a folio of 16 pages or more? A tail
 * page carries its block's order, so no head lookup. */
static bool fold_candidate(const struct vma *v, uint64_t va, pte_t e)
{
    if (!pte_valid(e) || pte_napot_pfn(e, va) % CONT_PTES)
        return false;
    struct page *p = vm_normal_page(v, va, e);
    return p && p->order >= 4;
}

/*
 * Batched change_protection over [start, end) of one VMA (called by
 * mprotect's loop from the first entry of a contiguous block or of a large
 * folio on): one walk per page table. A fully covered contiguous block
 * whose entries agree is repainted whole (repaint_block); a partly covered
 * one, or one whose entries would differ (mixed anon-exclusive pages), is
 * unfolded (break-before-make) and handled entry by entry, each page's
 * metadata looked up from its own PFN. Afterwards, 64 KiB pieces of a
 * large folio that are not blocks fold again if their entries now agree.
 */
long contpte_change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                               pgprot_t newprot, bool upgrade, struct tlb_gather *g)
{
    long changed = 0;
    pte_t *ptep;
    for (uint64_t a = start; (a = pt_next_leaf(&mm->pt, a, end, &ptep)) < end;) {
        uint64_t stop = pt_leaf_stop(a, end), fold_at = ~0ULL;
        for (; a < stop; a += PAGE_SIZE, ptep++) {
            pte_t old = pte_read_once(ptep);
            if (!pte_present(old))
                continue;
            if (pte_cont(old)) {
                if (IS_ALIGNED(a, CONT_SIZE) && a + CONT_SIZE <= stop) {
                    long r = repaint_block(mm, v, ptep, a, newprot, upgrade, g);
                    if (r >= 0) {
                        changed += r;
                        a += CONT_SIZE - PAGE_SIZE;
                        ptep += CONT_PTES - 1;
                        continue;
                    }
                }
                contpte_unfold(mm, a, ptep);    /* partly covered or mixed */
                old = pte_read_once(ptep);
                if (IS_ALIGNED(a, CONT_SIZE) && a + CONT_SIZE <= stop)
                    fold_at = a;                /* may agree again afterwards */
            } else if (IS_ALIGNED(a, CONT_SIZE) && a + CONT_SIZE <= stop && fold_candidate(v, a, old)) {
                fold_at = a;
            }
            pte_t nvv;
            do      /* atomic read-modify-write: no hardware A/D update lost */
                nvv = new_value(v, a, old, newprot, upgrade);
            while (nvv != old && !pte_cmpxchg(ptep, &old, nvv));
            if (nvv != old) {
                changed++;
                if (pte_valid(old))
                    tlb_gather_add(g, a, PAGE_SIZE);
                else if (pte_valid(nvv))
                    flush_after_make_valid(mm->pt.asid, a);
            }
            /* The last entry of a 64 KiB piece of a large folio: the piece
             * becomes a block again if its entries now agree. */
            if (fold_at != ~0ULL && a == fold_at + CONT_SIZE - PAGE_SIZE) {
                contpte_try_fold(mm, v, fold_at);
                fold_at = ~0ULL;
            }
        }
    }
    return changed;
}
