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

bool can_change_pte_writable(const struct vma *v, uint64_t addr, pte_t pte)
{
    if (!(v->flags & VM_WRITE))
        return false;
    /* Not even readable: leave NUMA hinting entries to the hint fault. */
    if (pte_protnone(pte))
        return false;
    /* Soft-dirty tracking: a clean-for-soft-dirty PTE must take the write
     * fault that records the write. Tracking is on when VM_SOFTDIRTY is
     * clear (the inverted flag). */
    if (vma_soft_dirty_enabled(v) && !pte_soft_dirty(pte))
        return false;
    /* userfaultfd write-protect armed on the VMA and this PTE. */
    if ((v->flags & VM_UFFD_WP) && pte_uffd_wp(pte))
        return false;
    if (!(v->flags & VM_SHARED)) {
        /* Private: only an exclusive anonymous page (no dirty requirement);
         * the page is looked up from this PTE's own PFN. */
        struct page *p = vm_normal_page(v, addr, pte);
        return p && (p->flags & PG_ANON) && page_anon_exclusive(p);
    }
    /* Shared: only if already dirty; a clean page still needs the
     * write-notify fault. */
    return pte_dirty(pte);
}

/* The new value of one present PTE under the VMA's protection. */
static pte_t new_pte_value(const struct vma *v, uint64_t addr, pte_t old, pgprot_t newprot,
                           bool upgrade)
{
    pte_t n = pte_modify(old, newprot);
    if (upgrade && !pte_write(n) && can_change_pte_writable(v, addr, n))
        n = pte_mkwrite(n);
    return n;
}

/* One PTE at a time: the unbatched path (and the reference for the batched one). */
static long change_pte_range_single(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                                    pgprot_t newprot, bool upgrade, struct tlb_gather *g)
{
    long changed = 0;
    struct pte_iter it = pte_iter_start(&mm->pt, start, end);
    while (pte_iter_next(&it)) {
        uint64_t a = it.va;
        pte_t *ptep = it.ptep;
        pte_t old = pte_read_once(ptep);
        if (!pte_present(old))
            continue;
        pte_t n = new_pte_value(v, a, old, newprot, upgrade);
        if (n == old)
            continue;
        if (pte_cont(old))
            contpte_unfold(mm, a, ptep);        /* this entry must differ from its block */
        /* Read-modify-write of a live entry: compare-and-exchange, so a
         * hardware access/dirty update between the read and the write is
         * not lost (it makes the exchange fail and the value is recomputed). */
        old = pte_read_once(ptep);
        do
            n = pte_mknoncont(new_pte_value(v, a, old, newprot, upgrade));
        while (!pte_cmpxchg(ptep, &old, n));
        changed++;
        if (pte_valid(old))
            tlb_gather_add(g, a, PAGE_SIZE);
        else if (pte_valid(n))
            flush_after_make_valid(mm->pt.asid, a);   /* protnone -> valid */
    }
    return changed;
}

long change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                       struct tlb_gather *g)
{
    assert_locked(mm);
    pgprot_t newprot = vma_page_prot(v);
    bool upgrade = vma_wants_manual_pte_write_upgrade(v);
    if (mm_params.batch_mprotect && mmu_caps.cont)
        return contpte_change_protection(mm, v, start, end, newprot, upgrade, g);
    return change_pte_range_single(mm, v, start, end, newprot, upgrade, g);
}

/* Exposed for the batched path: the per-PTE value rule. */
pte_t mprotect_new_pte(const struct vma *v, uint64_t addr, pte_t old, pgprot_t newprot, bool upgrade)
{
    return new_pte_value(v, addr, old, newprot, upgrade);
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
    mm_unlock(mm);
    rule_check_op_end("mprotect");
    return 0;
}
