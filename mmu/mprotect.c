/*
 * mprotect (Linux change_protection) and the write-upgrade decision.
 *
 * For every present PTE of the range: apply the VMA's new protection keeping
 * PFN, A/D, soft-dirty and uffd-wp (pte_modify); then, where the VMA wants a
 * manual write upgrade and the new PTE is not writable, ask
 * can_change_pte_writable() whether it may be writable right away instead of
 * taking a write fault later. Only entries that were valid and changed need
 * invalidating; protnone and other non-valid entries never do (nothing of
 * them can be in a TLB).
 */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

/* The page a PTE maps, or NULL for the zero page and non-present entries
 * (Linux vm_normal_page: the zero page is recognised by its PFN here, as on
 * architectures without a special bit). Defined here, next to
 * can_change_pte_writable(), which asks it once per entry of every mprotect
 * write upgrade, so that the compiler inlines the O(1) lookup there. */
__attribute__((always_inline)) inline struct page *vm_normal_page(const struct vma *v, uint64_t addr, pte_t pte)
{
    (void)v;
    if (!pte_present(pte))
        return NULL;
    uint64_t pfn = pte_napot_pfn(pte, addr);
    struct page *p = pfn_to_page(pfn);
    if (!p || p == zero_page)
        return NULL;
    return p;
}

/* The conditions of can_change_pte_writable() that depend on the VMA alone,
 * taken once per mprotect call rather than once per entry (one word, so a
 * loop keeps it in a register). */
enum {
    WU_VMA_WRITABLE = 1,        /* VM_WRITE */
    WU_SOFT_DIRTY_TRACKED = 2,  /* tracking on (VM_SOFTDIRTY clear): the PTE must be soft-dirty */
    WU_UFFD_WP_ARMED = 4,       /* VM_UFFD_WP: uffd-wp PTEs stay read-only */
    WU_SHARED = 8,              /* VM_SHARED: decided on the PTE's dirty state */
};

static inline unsigned write_upgrade_of(const struct vma *v)
{
    return (v->flags & VM_WRITE ? WU_VMA_WRITABLE : 0) |
           (vma_soft_dirty_enabled(v) ? WU_SOFT_DIRTY_TRACKED : 0) |
           (v->flags & VM_UFFD_WP ? WU_UFFD_WP_ARMED : 0) | (v->flags & VM_SHARED ? WU_SHARED : 0);
}

/* can_change_pte_writable() with the VMA's part (w) already taken. */
static inline __attribute__((always_inline)) bool
pte_may_write(unsigned w, const struct vma *v, uint64_t addr, pte_t pte)
{
    if (!(w & WU_VMA_WRITABLE))
        return false;
    /* Not even readable: leave NUMA hinting entries to the hint fault. */
    if (pte_protnone(pte))
        return false;
    /* Soft-dirty tracking: a clean-for-soft-dirty PTE must take the write
     * fault that records the write. Tracking is on when VM_SOFTDIRTY is
     * clear (the inverted flag). */
    if ((w & WU_SOFT_DIRTY_TRACKED) && !pte_soft_dirty(pte))
        return false;
    /* userfaultfd write-protect armed on the VMA and this PTE. */
    if ((w & WU_UFFD_WP_ARMED) && pte_uffd_wp(pte))
        return false;
    if (!(w & WU_SHARED)) {
        /* Private: only an exclusive anonymous page (no dirty requirement);
         * the page is looked up from this PTE's own PFN. */
        struct page *p = vm_normal_page(v, addr, pte);
        return p && (p->flags & PG_ANON) && page_anon_exclusive(p);
    }
    /* Shared: only if already dirty; a clean page still needs the
     * write-notify fault. */
    return pte_dirty(pte);
}

bool can_change_pte_writable(const struct vma *v, uint64_t addr, pte_t pte)
{
    return pte_may_write(write_upgrade_of(v), v, addr, pte);
}

/* The new value of one present PTE under the VMA's protection: pte_modify,
 * then the write upgrade where the VMA wants it and the rule allows it. */
static inline __attribute__((always_inline)) pte_t
new_pte_value(unsigned w, const struct vma *v, uint64_t addr, pte_t old,
              pgprot_t newprot, bool upgrade)
{
    pte_t n = pte_modify(old, newprot);
    if (upgrade && !pte_write(n) && pte_may_write(w, v, addr, n))
        n = pte_mkwrite(n);
    return n;
}

/* Where the batched path takes over: a contiguous block, or a 64 KiB
 * aligned entry of a large folio (whose entries may fold into a block). A
 * tail page carries its block's order, so no head lookup. */
static inline bool batch_starts_here(const struct vma *v, uint64_t a, pte_t old)
{
    if (pte_cont(old))
        return true;
    if (!IS_ALIGNED(a, CONT_SIZE) || !pte_valid(old) || pte_napot_pfn(old, a) % CONT_PTES)
        return false;
    struct page *p = vm_normal_page(v, a, old);
    return p && p->order >= 4;
}

/*
 * Change the present entries of [start, end) (one VMA), one walk per page
 * table, entry by entry: load, new value, compare-and-exchange.
 *
 * Unbatched, each downgraded entry is added to the gather on its own, and
 * a block an entry of which changes is unfolded first (its entries may not
 * differ in permissions). Batched, the gather takes runs of consecutive
 * downgraded entries at once, and from the first contiguous block or large
 * folio of a table on, the rest of the table goes to the batched path
 * (contpte_change_protection: blocks repainted whole, folios refolded).
 * Specialised for each mode, for whether the write upgrade applies and for
 * the common private writable VMA without tracking (constants after
 * inlining), so each loop carries only what it uses.
 */
static inline __attribute__((always_inline)) long
change_pte_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, pgprot_t newprot,
                 const unsigned w, const bool upgrade, const bool batched, struct tlb_gather *g)
{
    long changed = 0;
    pte_t *table;
    for (uint64_t a = start; (a = pt_next_leaf(&mm->pt, a, end, &table)) < end;) {
        uint64_t stop = pt_leaf_stop(a, end);
        uint64_t run = 0;       /* batched: start of the run of downgraded entries ending at a */
        for (pte_t *ptep = table; a < stop; a += PAGE_SIZE, ptep++) {
            pte_t old = pte_read_once(ptep);
            pte_t n;
            if (!pte_present(old))
                goto next;
            if (batched && __builtin_expect(pte_cont(old) || IS_ALIGNED(a, CONT_SIZE), 0) &&
                batch_starts_here(v, a, old)) {
                if (run)
                    tlb_gather_add(g, run, a - run);
                run = 0;
                changed += contpte_change_protection(mm, v, a, stop, newprot, upgrade, g);
                a = stop;
                break;
            }
            n = new_pte_value(w, v, a, old, newprot, upgrade);
            if (n == old)
                goto next;
            if (!batched && pte_cont(old)) {
                contpte_unfold(mm, a, ptep);    /* this entry must differ from its block */
                old = pte_read_once(ptep);
                n = pte_mknoncont(new_pte_value(w, v, a, old, newprot, upgrade));
            }
            /* Read-modify-write of a live entry: compare-and-exchange, so a
             * hardware access/dirty update between the read and the write is
             * not lost (it makes the exchange fail and the value is recomputed). */
            while (!pte_cmpxchg(ptep, &old, n))
                n = pte_mknoncont(new_pte_value(w, v, a, old, newprot, upgrade));
            changed++;
            if (pte_valid(old)) {
                if (!batched)
                    tlb_gather_add(g, a, PAGE_SIZE);
                else if (!run)
                    run = a;
                continue;
            }
            if (pte_valid(n))
                flush_after_make_valid(mm->pt.asid, a);   /* protnone -> valid */
        next:
            if (batched && run) {
                tlb_gather_add(g, run, a - run);
                run = 0;
            }
        }
        if (batched && run)
            tlb_gather_add(g, run, a - run);
    }
    return changed;
}

long change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                       struct tlb_gather *g)
{
    assert_locked(mm);
    pgprot_t newprot = vma_page_prot(v);
    bool upgrade = vma_wants_manual_pte_write_upgrade(v);
    bool batched = mm_params.batch_mprotect && mmu_caps.cont;
    unsigned w = write_upgrade_of(v);
#define CHANGE(w_, upgrade_, batched_) change_pte_range(mm, v, start, end, newprot, w_, upgrade_, batched_, g)
    if (!upgrade)
        return batched ? CHANGE(w, false, true) : CHANGE(w, false, false);
    if (w == WU_VMA_WRITABLE)
        return batched ? CHANGE(WU_VMA_WRITABLE, true, true) : CHANGE(WU_VMA_WRITABLE, true, false);
    return batched ? CHANGE(w, true, true) : CHANGE(w, true, false);
#undef CHANGE
}

/* Exposed for the batched path: the per-PTE value rule. */
pte_t mprotect_new_pte(const struct vma *v, uint64_t addr, pte_t old, pgprot_t newprot, bool upgrade)
{
    return new_pte_value(write_upgrade_of(v), v, addr, old, newprot, upgrade);
}

struct mprotect_arg { unsigned vm_prot; struct tlb_gather *g; };

static void mprotect_vma(struct mm *mm, struct vma *v, void *arg)
{
    struct mprotect_arg *a = arg;
    v->flags = (v->flags & ~VM_PROT_MASK) | a->vm_prot;
    change_protection(mm, v, v->start, v->end, a->g);
}

int mm_mprotect(struct mm *mm, uint64_t start, uint64_t len, unsigned vm_prot)
{
    if (!len || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE) ||
        start < MM_VA_BASE || start + len > MM_VA_END || (vm_prot & ~VM_PROT_MASK))
        return MM_EINVAL;
    uint64_t end = start + len;
    /* Linux: the whole range must be mapped. */
    uint64_t a = start;
    for (struct vma *v = mm->vmas; v && a < end; v = v->next) {
        if (v->end <= a)
            continue;
        if (v->start > a)
            return MM_EFAULT;
        a = v->end;
    }
    if (a < end)
        return MM_EFAULT;
    if (vma_reserve_splits(mm, start, end) < 0)
        return MM_ENOMEM;
    mm_lock(mm, "mprotect");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    struct mprotect_arg arg = { vm_prot, &g };
    vma_for_each_in_range(mm, start, end, mprotect_vma, &arg);
    tlb_gather_finish(&g);
    rule_check_op_end("mprotect");      /* under the lock: see rule_check.c */
    mm_unlock(mm);
    return 0;
}
