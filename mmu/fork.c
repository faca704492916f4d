/*
 * fork (copy-on-write sharing), soft-dirty clearing and uffd-wp arming:
 * the operations that make "not exclusive" and "not soft-dirty" real states
 * that the write-upgrade decision must respect.
 */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

/* Duplicate parent's VMAs into child; share private anonymous folios
 * copy-on-write: clear anon-exclusive and write-protect both sides. Shared
 * mappings share their object; their PTEs are faulted in again by the child. */
struct mm *mm_fork(struct mm *parent)
{
    /* Everything that can run out is had before the parent changes, so a
     * failed fork leaves it as it was: the child's VMAs, then its page
     * tables for every present entry of the parent. */
    unsigned nvmas = 0;
    for (struct vma *v = parent->vmas; v; v = v->next)
        nvmas++;
    if (nvmas > vma_available())
        return NULL;
    struct mm *child = mm_create();
    if (!child)
        return NULL;
    for (struct vma *v = parent->vmas; v; v = v->next) {
        struct pte_iter it = pte_iter_start(&parent->pt, v->start, v->end);
        while (pte_iter_next(&it))
            if (!pte_none(pte_read_once(it.ptep)) && !mm_pte_ptr(child, it.va, true)) {
                mm_destroy(child);
                return NULL;
            }
    }
    /* userfaultfd: without UFFD_FEATURE_EVENT_FORK the child's VMAs are not
     * registered (Linux dup_userfaultfd), so its PTEs lose uffd-wp and its
     * uffd-wp markers are not copied; with it the child gets a context of
     * its own with the same features and handler. */
    bool keep_uffd = parent->uffd.features & UFFD_FEATURE_EVENT_FORK;
    if (keep_uffd) {
        child->uffd = parent->uffd;
        child->uffd.head = child->uffd.count = child->uffd.dropped = 0;
        child->uffd.delivered = 0;
    }
    mm_lock(parent, "fork");
    struct tlb_gather g;
    tlb_gather_init(&g, parent->pt.asid);
    struct vma **tail = &child->vmas;
    for (struct vma *v = parent->vmas; v; v = v->next) {
        struct vma *c = vma_alloc();
        if (!c)
            panic("out of VMAs in fork after reserving them");
        *c = *v;
        c->next = NULL;
        if (!keep_uffd)
            c->flags &= ~(VM_UFFD_WP | VM_UFFD_MISSING);
        *tail = c;
        tail = &c->next;
        if (v->obj)
            v->obj->refs++;
        struct pte_iter it = pte_iter_start(&parent->pt, v->start, v->end);
        while (pte_iter_next(&it)) {
            uint64_t a = it.va;
            pte_t *pp = it.ptep;
            pte_t o = pte_read_once(pp);
            if (pte_is_device_exclusive(o) && !v->obj) {
                /* Linux copy_nonpresent_pte: the CPU takes the page back
                 * from the device first, then it is shared as any other. */
                devx_restore(parent, v, a, pp, o);
                o = pte_read_once(pp);
            }
            if (!pte_present(o)) {
                /* Markers: guards always travel; uffd-wp ones only where
                 * the child's VMA keeps uffd-wp (copy_nonpresent_pte). */
                if (pte_is_guard(o) || (pte_is_uffd_marker(o) && (c->flags & VM_UFFD_WP)))
                    pte_store(mm_pte_ptr(child, a, false), o);
                continue;
            }
            if (v->obj)
                continue;               /* shared: faulted in again by the child */
            struct page *p = vm_normal_page(v, a, o);
            if (pte_cont(o)) {
                /* Parent entries are about to differ from the child's view:
                 * keep it simple and unfold before write-protecting. */
                contpte_unfold(parent, a, pp);
                o = pte_read_once(pp);
            }
            if (p) {
                p->flags &= ~PG_ANON_EXCLUSIVE;
                page_add_map(p);
            }
            pte_t shared;
            do      /* atomic: a hardware dirty update may race the write-protect */
                shared = pte_wrprotect(o);
            while (shared != o && !pte_cmpxchg(pp, &o, shared));
            if (shared != o && pte_valid(o))
                tlb_gather_add(&g, a, PAGE_SIZE);
            /* Linux drops uffd-wp in the child unless the VMA keeps it armed. */
            pte_t ce = (c->flags & VM_UFFD_WP) ? shared : pte_clear_uffd_wp(shared);
            pte_t *cp = mm_pte_ptr(child, a, false);
            if (!cp)
                panic("fork: the child's table for 0x%llx was allocated above", (unsigned long long)a);
            mm_set_pte_new(child, cp, a, ce);
        }
    }
    tlb_gather_finish(&g);
    rule_check_op_end("fork");          /* under the lock: see rule_check.c */
    mm_unlock(parent);
    return child;
}

/* Rewrite every present PTE of [start, end) with fn. A contiguous block is
 * unfolded first (its entries would no longer agree). An entry that was valid
 * and writable and may lose write is invalidated through g; the software bits
 * (soft-dirty, uffd-wp) change without an invalidate. */
static void rewrite_present_ptes(struct mm *mm, uint64_t start, uint64_t end, pte_t (*fn)(pte_t),
                                 struct tlb_gather *g)
{
    struct pte_iter it = pte_iter_start(&mm->pt, start, end);
    while (pte_iter_next(&it)) {
        uint64_t a = it.va;
        pte_t *pp = it.ptep;
        pte_t o = pte_read_once(pp);
        if (!pte_present(o))
            continue;
        if (pte_cont(o)) {
            contpte_unfold(mm, a, pp);
            o = pte_read_once(pp);
        }
        pte_t n;
        do      /* atomic: a hardware access/dirty update may race */
            n = fn(o);
        while (n != o && !pte_cmpxchg(pp, &o, n));
        if (n == o)
            continue;
        if (pte_valid(o) && pte_write(o))
            tlb_gather_add(g, a, PAGE_SIZE);
    }
}

static pte_t soft_dirty_clear(pte_t e) { return pte_clear_soft_dirty(pte_wrprotect(e)); }

/* CLEAR_REFS_SOFT_DIRTY: start tracking (clear the inverted VM_SOFTDIRTY) and
 * write-protect every PTE, clearing its soft-dirty bit, so the next write
 * faults and records itself. */
int mm_clear_soft_dirty(struct mm *mm)
{
    mm_lock(mm, "clear_soft_dirty");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        v->flags &= ~VM_SOFTDIRTY;
        rewrite_present_ptes(mm, v->start, v->end, soft_dirty_clear, &g);
    }
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("clear_soft_dirty");
    return 0;
}

