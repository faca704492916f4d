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

/*
 * Batched change_protection. Walk the range by batches (pte_batch_len); for
 * each fully covered contiguous block whose 16 new values agree, rewrite it
 * in place: clear the 16 entries and repaint them with the CONT/N bit, with
 * no invalidate for the block. That is allowed because the output address,
 * the CONT bit and the size do not change (only permissions do), so no
 * break-before-make is needed; the stale entries are removed by the single
 * flush of the whole range that tlb_gather_finish() issues before mprotect
 * returns. A partly covered block, or one whose entries would differ (say
 * mixed anon-exclusive pages), is unfolded (break-before-make) and handled
 * entry by entry. Anon-exclusive is looked up per entry from its own PFN.
 */
long contpte_change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                               pgprot_t newprot, bool upgrade, struct tlb_gather *g)
{
    long changed = 0;
    uint64_t a = start;
    while (a < end) {
        /* Absent tables at any level are skipped whole. */
        struct pte_iter it = pte_iter_start(&mm->pt, a, end);
        if (!pte_iter_next(&it))
            break;
        a = it.va;
        pte_t *ptep = it.ptep;
        pte_t old = pte_read_once(ptep);
        if (!pte_present(old)) {
            a += PAGE_SIZE;
            continue;
        }
        /* A batch stays inside one page table, the range and the folio of
         * its first entry: clamp before scanning, so small folios cost one
         * entry each, not a scan to the end of the table. */
        uint64_t table_end = ALIGN_DOWN(a, pt_level_size(2)) + pt_level_size(2);
        unsigned max = (unsigned)((MIN(end, table_end) - a) / PAGE_SIZE);
        struct page *p = vm_normal_page(v, a, old);
        struct page *head = p ? page_head(p) : NULL;
        if (!head || (head->order == 0 && !pte_cont(old))) {
            /* A small folio (or the zero page) is a batch of one: no batch
             * machinery, as Linux batches only large folios. */
            pte_t nvv;
            do      /* atomic read-modify-write: no hardware A/D update lost */
                nvv = mprotect_new_pte(v, a, old, newprot, upgrade);
            while (nvv != old && !pte_cmpxchg(ptep, &old, nvv));
            if (nvv != old) {
                changed++;
                if (pte_valid(old))
                    tlb_gather_add(g, a, PAGE_SIZE);
                else if (pte_valid(nvv))
                    flush_after_make_valid(mm->pt.asid, a);
            }
            a += PAGE_SIZE;
            continue;
        }
        uint64_t left = (1ULL << head->order) - (uint64_t)(p - head);
        if (max > left)
            max = (unsigned)left;
        unsigned n = pte_batch_len(ptep, max, a);
        if (n == 0)
            n = 1;
        for (unsigned i = 0; i < n;) {
            uint64_t va = a + i * PAGE_SIZE;
            pte_t *e = ptep + i;
            pte_t o = pte_read_once(e);
            bool full_block = pte_cont(o) && IS_ALIGNED(va, CONT_SIZE) && n - i >= CONT_PTES;
            if (full_block) {
                pte_t nv[CONT_PTES];
                bool same = true;
                for (unsigned k = 0; k < CONT_PTES; k++) {
                    pte_t ok = pte_read_once(&e[k]);
                    nv[k] = mprotect_new_pte(v, va + k * PAGE_SIZE, ok, newprot, upgrade);
                    same &= block_attrs(nv[k]) == block_attrs(nv[0]);
                }
                if (same) {
                    bool valid = pte_valid(o);
                    if (!mmu_caps.caches_invalid) {
                        /* Clear all 16 atomically first (Linux's
                         * modify_prot_start on a contpte block), so the new
                         * values are computed from the A/D state each entry
                         * had when it went; no walker can update them now. */
                        pte_t ov[CONT_PTES];
                        bool still_same = true;
                        for (unsigned k = 0; k < CONT_PTES; k++)
                            ov[k] = pte_get_and_clear(&e[k]);
                        for (unsigned k = 0; k < CONT_PTES; k++) {
                            nv[k] = mprotect_new_pte(v, va + k * PAGE_SIZE, ov[k], newprot, upgrade);
                            still_same &= block_attrs(nv[k]) == block_attrs(nv[0]);
                        }
                        if (!still_same) {
                            /* A dirty bit raced in and changed a decision:
                             * the block cannot stay whole. Break it fully
                             * (every page invalidated) before the entries
                             * come back as separate pages. */
                            flush_tlb_range(mm->pt.asid, va, va + CONT_SIZE, PAGE_SIZE, true);
                            for (unsigned k = 0; k < CONT_PTES; k++)
                                mm_set_pte_new(mm, &e[k], va + k * PAGE_SIZE, pte_mknoncont(nv[k]));
                            changed += CONT_PTES;
                            i += CONT_PTES;
                            continue;
                        }
                        for (unsigned k = 0; k < CONT_PTES; k++)
                            pte_store(&e[k], pte_mkcont(nv[k]));
                    } else {
                        /* The TLB may cache transient invalid entries
                         * (riscv): repaint valid -> valid, each entry by
                         * compare-and-exchange, which is allowed because
                         * only permissions change. */
                        for (unsigned k = 0; k < CONT_PTES; k++) {
                            pte_t ok = pte_read_once(&e[k]), n;
                            do
                                n = pte_mkcont(mprotect_new_pte(v, va + k * PAGE_SIZE, ok, newprot, upgrade));
                            while (!pte_cmpxchg(&e[k], &ok, n));
                        }
                    }
                    /* The old translations go with the operation's single
                     * flush (tlb_gather_finish), page by page or by range. A
                     * block made valid from protnone needs a local fence per
                     * page where invalid entries may be cached (riscv; a
                     * no-op on arm64, which never caches them). */
                    if (valid)
                        tlb_gather_add_block(g, va, CONT_SIZE);
                    else
                        for (unsigned k = 0; k < CONT_PTES; k++)
                            flush_after_make_valid(mm->pt.asid, va + k * PAGE_SIZE);
                    contpte_stats.blocks_repainted++;
                    changed += CONT_PTES;
                    i += CONT_PTES;
                    continue;
                }
            }
            if (pte_cont(o)) {
                contpte_unfold(mm, va, e);
                o = pte_read_once(e);
            }
            pte_t nvv;
            do
                nvv = mprotect_new_pte(v, va, o, newprot, upgrade);
            while (nvv != o && !pte_cmpxchg(e, &o, nvv));
            if (nvv != o) {
                changed++;
                if (pte_valid(o))
                    tlb_gather_add(g, va, PAGE_SIZE);
                else if (pte_valid(nvv))
                    flush_after_make_valid(mm->pt.asid, va);
            }
            i++;
        }
        /* Entries of a whole folio that now agree become a block again. */
        for (uint64_t b = ALIGN_UP(a, CONT_SIZE); b + CONT_SIZE <= a + n * PAGE_SIZE; b += CONT_SIZE) {
            pte_t *bp = mm_pte_ptr(mm, b, false);
            if (bp && !pte_cont(pte_read_once(bp)))
                contpte_try_fold(mm, v, b);
        }
        a += n * PAGE_SIZE;
    }
    return changed;
}
