/*
 * userfaultfd write-protect, PTE markers, MADV_DONTNEED/guard and
 * device-exclusive entries: Linux's answers (Linux 6.12 run on the same
 * scenarios), on the real MMU, for 4 KiB and 64 KiB folios.
 */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"
#include "tests/kernel/ktest.h"

#define BASE (MM_VA_BASE + 0x40000000ULL)
#define NPAGES 16
#define LEN (NPAGES * PAGE_SIZE)

static struct mm_params saved;
static void before(struct ktest *t) { (void)t; saved = mm_params; trap_reset_faults(); }
static void after(struct ktest *t) { (void)t; mm_params = saved; mm_activate(NULL); }

static const unsigned orders[] = { 0, 4 };

/* An address space with 16 private anonymous pages written (exclusive). */
static struct mm *populated(unsigned order, unsigned vm_flags)
{
    mm_params.anon_order = order;
    struct mm *mm = mm_create();
    if (!mm)
        return NULL;
    mm_map(mm, BASE, LEN, vm_flags);
    for (unsigned k = 0; k < NPAGES; k++)
        mm_write(mm, BASE + k * PAGE_SIZE, 0x100 + k);
    return mm;
}

/* Write faults taken by one write to every page (a write that fails counts
 * as a fault too: it is reported by the caller). */
static unsigned write_pass(struct mm *mm, uint64_t val, unsigned *failed)
{
    trap_reset_faults();
    *failed = 0;
    for (unsigned k = 0; k < NPAGES; k++)
        *failed += mm_write(mm, BASE + k * PAGE_SIZE, val + k) < 0;
    return trap_faults()->count;
}

/* register + protect + unprotect: the exclusive anonymous pages are
 * writable at once (unprotect runs the write upgrade): 0 write faults. */
static void unprotect_restores_write(struct ktest *t)
{
    for (size_t o = 0; o < ARRAY_SIZE(orders); o++) {
        struct mm *mm = populated(orders[o], VM_READ | VM_WRITE);
        KASSERT(t, mm != NULL);
        KEXPECT_EQ(t, mm_uffd_register(mm, BASE, LEN, UFFD_REGISTER_WP), 0);
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, true, 0), 0);
        for (unsigned k = 0; k < NPAGES; k++) {
            pte_t e = mm_get_pte(mm, BASE + k * PAGE_SIZE);
            KEXPECT(t, pte_uffd_wp(e) && !pte_write(e), "order %u page %u: pte 0x%llx", orders[o], k,
                    (unsigned long long)e);
        }
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, false, 0), 0);
        unsigned failed, f = write_pass(mm, 0x200, &failed);
        KEXPECT(t, f == 0 && failed == 0, "order %u: %u write faults, %u failed", orders[o], f, failed);
        /* Unprotect keeps the registration: protecting again works. */
        struct vma *v = mm_find_vma(mm, BASE);
        KEXPECT(t, v && (v->flags & VM_UFFD_WP), "registration lost by unprotect");
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, true, 0), 0);
        /* The 64 KiB folio is one block again after protect and unprotect. */
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, false, 0), 0);
        if (orders[o] == 4 && mmu_caps.cont)
            KEXPECT(t, pte_cont(mm_get_pte(mm, BASE)), "block not folded again after unprotect");
        /* Unregister resolves and upgrades too. */
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, true, 0), 0);
        KEXPECT_EQ(t, mm_uffd_unregister(mm, BASE, LEN), 0);
        f = write_pass(mm, 0x300, &failed);
        KEXPECT(t, f == 0 && failed == 0, "order %u after unregister: %u write faults", orders[o], f);
        mm_destroy(mm);
    }
}

/* A write to a protected entry is the monitor's: exactly one message per
 * page, nothing written until it resolves. */
static void protected_write_is_reported(struct ktest *t)
{
    for (size_t o = 0; o < ARRAY_SIZE(orders); o++) {
        struct mm *mm = populated(orders[o], VM_READ | VM_WRITE);
        KASSERT(t, mm != NULL);
        KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, LEN, true), 0);
        unsigned failed;
        write_pass(mm, 0x400, &failed);
        KEXPECT_EQ(t, failed, NPAGES);
        KEXPECT_EQ(t, mm->uffd.delivered, NPAGES);
        struct uffd_msg m;
        unsigned n = 0;
        while (mm_uffd_read(mm, &m) == 0) {
            KEXPECT(t, m.addr == BASE + n * PAGE_SIZE && m.flags == (UFFD_MSG_WP | UFFD_MSG_WRITE),
                    "message %u: 0x%llx flags %u", n, (unsigned long long)m.addr, m.flags);
            n++;
        }
        KEXPECT_EQ(t, n, NPAGES);
        uint64_t v;
        for (unsigned k = 0; k < NPAGES; k++)
            KEXPECT(t, mm_read(mm, BASE + k * PAGE_SIZE, &v) == 0 && v == 0x100 + k, "page %u written", k);
        /* A handler that unprotects: one message per page, then the writes land. */
        mm_uffd_set_handler(mm, uffd_resolve_by_unprotect, NULL);
        uint64_t d0 = mm->uffd.delivered;
        unsigned f = write_pass(mm, 0x500, &failed);
        KEXPECT(t, failed == 0 && mm->uffd.delivered - d0 == NPAGES, "order %u: %u failed, %llu messages",
                orders[o], failed, (unsigned long long)(mm->uffd.delivered - d0));
        ktest_log("order %u: %u faults for 16 resolved writes", orders[o], f);
        for (unsigned k = 0; k < NPAGES; k++)
            KEXPECT(t, mm_read(mm, BASE + k * PAGE_SIZE, &v) == 0 && v == 0x500 + k);
        mm_destroy(mm);
    }
}

/* Bad requests change nothing, as in Linux: register over a hole or an
 * unmapped range fails (-EINVAL); protecting an unregistered range fails
 * (-ENOENT). */
static void bad_requests(struct ktest *t)
{
    struct mm *mm = populated(0, VM_READ | VM_WRITE);
    KASSERT(t, mm != NULL);
    KEXPECT_EQ(t, mm_uffd_register(mm, BASE + LEN, PAGE_SIZE, UFFD_REGISTER_WP), MM_EINVAL);
    KEXPECT_EQ(t, mm_uffd_register(mm, BASE, LEN + PAGE_SIZE, UFFD_REGISTER_WP), MM_EINVAL);
    KEXPECT_EQ(t, mm_uffd_register(mm, BASE, LEN, 0), MM_EINVAL);
    KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, true, 0), MM_ENOENT);
    struct vma *v = mm_find_vma(mm, BASE);
    KEXPECT(t, v && !(v->flags & (VM_UFFD_WP | VM_UFFD_MISSING)) && v->end == BASE + LEN, "VMA changed");
    KEXPECT(t, pte_write(mm_get_pte(mm, BASE)), "PTE changed");
    mm_destroy(mm);
}

/* A protected page of a shared mapping, zapped: the marker keeps the
 * protection, so the next write is reported; after unmap + map the marker
 * is gone. */
static void marker_survives_zap(struct ktest *t)
{
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL);
    mm_map(mm, BASE, LEN, VM_READ | VM_WRITE | VM_SHARED);
    for (unsigned k = 0; k < NPAGES; k++)
        mm_write(mm, BASE + k * PAGE_SIZE, 0x600 + k);
    KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, LEN, true), 0);
    KEXPECT_EQ(t, mm_zap(mm, BASE, LEN), 0);
    pte_t e = mm_get_pte(mm, BASE);
    KEXPECT(t, pte_is_uffd_marker(e) && !pte_present(e) && !pte_protnone(e) && !pte_is_swap(e),
            "pte 0x%llx after zap", (unsigned long long)e);
    uint64_t v;
    /* A read maps the page (from the shared object) read-only, uffd-wp kept. */
    KEXPECT(t, mm_read(mm, BASE, &v) == 0 && v == 0x600, "read 0x%llx", (unsigned long long)v);
    e = mm_get_pte(mm, BASE);
    KEXPECT(t, pte_valid(e) && pte_uffd_wp(e) && !pte_write(e), "pte 0x%llx after read", (unsigned long long)e);
    /* A write (on a page still a marker, and on the one just read) is reported. */
    KEXPECT_EQ(t, mm_write(mm, BASE + PAGE_SIZE, 1), -1);
    KEXPECT_EQ(t, mm_write(mm, BASE, 1), -1);
    KEXPECT_EQ(t, mm->uffd.delivered, 2);
    KEXPECT(t, mm_read(mm, BASE + PAGE_SIZE, &v) == 0 && v == 0x601, "written while protected");
    /* Unmap drops markers: a new mapping there has none. */
    KEXPECT_EQ(t, mm_unmap(mm, BASE, LEN), 0);
    mm_map(mm, BASE, LEN, VM_READ | VM_WRITE | VM_SHARED);
    KEXPECT(t, pte_none(mm_get_pte(mm, BASE + 2 * PAGE_SIZE)), "marker outlived unmap");
    KEXPECT_EQ(t, mm_write(mm, BASE + 2 * PAGE_SIZE, 2), 0);
    mm_destroy(mm);
}

/* fork without UFFD_FEATURE_EVENT_FORK drops uffd-wp in the child (VMA
 * unregistered, PTE bits cleared); with it the child keeps it. */
static void fork_feature(struct ktest *t)
{
    for (int feature = 0; feature < 2; feature++) {
        struct mm *mm = populated(0, VM_READ | VM_WRITE);
        KASSERT(t, mm != NULL);
        mm->uffd.features = feature ? UFFD_FEATURE_EVENT_FORK : 0;
        KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, LEN, true), 0);
        struct mm *c = mm_fork(mm);
        KASSERT(t, c != NULL);
        struct vma *cv = mm_find_vma(c, BASE);
        pte_t ce = mm_get_pte(c, BASE);
        KEXPECT(t, !!(cv->flags & VM_UFFD_WP) == feature && pte_uffd_wp(ce) == feature,
                "feature %d: child VMA flags 0x%x pte 0x%llx", feature, cv->flags, (unsigned long long)ce);
        /* Without the feature the child's write is a plain COW fault. */
        int r = mm_write(c, BASE, 9);
        KEXPECT(t, feature ? (r == -1 && c->uffd.delivered == 1) : (r == 0 && c->uffd.delivered == 0),
                "feature %d: child write %d, %llu messages", feature, r, (unsigned long long)c->uffd.delivered);
        KEXPECT_EQ(t, mm->uffd.delivered, 0);
        mm_destroy(c);
        mm_destroy(mm);
    }
}

/* Access/write hints on unprotect: young with access-likely, dirty with
 * write-likely where write is granted, nothing without hints. */
static void unprotect_hints(struct ktest *t)
{
    static const unsigned hints[] = { 0, UFFD_HINT_ACCESS_LIKELY, UFFD_HINT_ACCESS_LIKELY | UFFD_HINT_WRITE_LIKELY };
    for (size_t h = 0; h < ARRAY_SIZE(hints); h++) {
        struct mm *mm = populated(0, VM_READ | VM_WRITE);
        KASSERT(t, mm != NULL);
        KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, LEN, true), 0);
        /* Make the entries old and clean, as after writeback and aging. */
        for (unsigned k = 0; k < NPAGES; k++) {
            pte_t *p = mm_pte_ptr(mm, BASE + k * PAGE_SIZE, false);
            pte_t o = pte_get_and_clear(p);
            flush_tlb_range(mm->pt.asid, BASE + k * PAGE_SIZE, BASE + (k + 1) * PAGE_SIZE, PAGE_SIZE, true);
            mm_set_pte_new(mm, p, BASE + k * PAGE_SIZE, pte_mkold(pte_mkclean(o)));
        }
        rule_check_op_end("age");
        KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, false, hints[h]), 0);
        pte_t e = mm_get_pte(mm, BASE);
        bool young = hints[h] & UFFD_HINT_ACCESS_LIKELY, dirty = hints[h] & UFFD_HINT_WRITE_LIKELY;
        KEXPECT(t, pte_write(e) && pte_young(e) == young && pte_dirty(e) == dirty,
                "hints %u: pte 0x%llx young %d dirty %d", hints[h], (unsigned long long)e, pte_young(e),
                pte_dirty(e));
        mm_destroy(mm);
    }
    /* The alternative: dirty whenever write is granted. */
    struct mm *mm = populated(0, VM_READ | VM_WRITE);
    KASSERT(t, mm != NULL);
    mm->uffd.dirty_on_unprotect = true;
    KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, LEN, true), 0);
    KEXPECT_EQ(t, mm_uffd_writeprotect(mm, BASE, LEN, false, 0), 0);
    KEXPECT(t, pte_dirty(mm_get_pte(mm, BASE)), "dirty_on_unprotect: clean");
    mm_destroy(mm);
}

/* MADV_GUARD_INSTALL: every access faults; zap keeps the guard, unmap drops it. */
static void guard_markers(struct ktest *t)
{
    struct mm *mm = populated(0, VM_READ | VM_WRITE);
    KASSERT(t, mm != NULL);
    KEXPECT_EQ(t, mm_guard(mm, BASE + PAGE_SIZE, 2 * PAGE_SIZE, true), 0);
    uint64_t v;
    KEXPECT_EQ(t, mm_read(mm, BASE + PAGE_SIZE, &v), -1);
    KEXPECT_EQ(t, mm_write(mm, BASE + 2 * PAGE_SIZE, 1), -1);
    KEXPECT_EQ(t, mm_last_fault_error, MM_EFAULT);
    KEXPECT(t, mm_read(mm, BASE, &v) == 0 && v == 0x100, "neighbour lost");
    KEXPECT_EQ(t, mm_zap(mm, BASE, LEN), 0);
    KEXPECT(t, pte_is_guard(mm_get_pte(mm, BASE + PAGE_SIZE)), "zap dropped the guard");
    KEXPECT_EQ(t, mm_read(mm, BASE + PAGE_SIZE, &v), -1);
    KEXPECT(t, mm_read(mm, BASE, &v) == 0 && v == 0, "zapped anonymous page not empty");
    KEXPECT_EQ(t, mm_guard(mm, BASE + PAGE_SIZE, PAGE_SIZE, false), 0);
    KEXPECT(t, mm_read(mm, BASE + PAGE_SIZE, &v) == 0 && v == 0, "removed guard still faults");
    KEXPECT_EQ(t, mm_unmap(mm, BASE, LEN), 0);
    mm_map(mm, BASE, LEN, VM_READ | VM_WRITE);
    KEXPECT_EQ(t, mm_write(mm, BASE + 2 * PAGE_SIZE, 3), 0);
    mm_destroy(mm);
}

/* Device-exclusive: the CPU's next access takes the page back; restored
 * writable only where can_change_pte_writable() allows, dirty exactly when
 * the folio is; the device cannot write after the CPU took it back. */
static void device_exclusive(struct ktest *t)
{
    enum { EXCL, COW_SHARED, SD_CLEAN } kinds[] = { EXCL, COW_SHARED, SD_CLEAN };
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        for (int dirty = 0; dirty < 2; dirty++) {
            struct mm *mm = populated(0, VM_READ | VM_WRITE), *child = NULL;
            KASSERT(t, mm != NULL);
            if (kinds[i] == COW_SHARED)
                child = mm_fork(mm);
            if (kinds[i] == SD_CLEAN)
                mm_clear_soft_dirty(mm);
            struct page *p = mm_page_at(mm, BASE);
            if (!dirty)
                page_head(p)->flags &= ~PG_DIRTY;
            struct dev_agent dev;
            KEXPECT_EQ(t, mm_make_device_exclusive(mm, BASE, &dev), 0);
            pte_t e = mm_get_pte(mm, BASE);
            KEXPECT(t, pte_is_device_exclusive(e) && !pte_present(e), "pte 0x%llx", (unsigned long long)e);
            KEXPECT_EQ(t, dev_write(&dev, 8, 0xd0), 0);
            if (!dirty)
                page_head(p)->flags &= ~PG_DIRTY;       /* a device write that did not dirty it */
            uint64_t v;
            trap_reset_faults();
            KEXPECT(t, mm_read(mm, BASE + 8, &v) == 0 && v == 0xd0, "CPU read 0x%llx", (unsigned long long)v);
            KEXPECT(t, !dev.exclusive && dev.notified == 1, "device not told");
            e = mm_get_pte(mm, BASE);
            bool want_write = kinds[i] == EXCL;
            KEXPECT(t, pte_valid(e) && pte_write(e) == want_write && pte_dirty(e) == (want_write && dirty) &&
                       (!mmu_caps.hw_af || true),
                    "kind %u dirty %d: restored pte 0x%llx write %d dirty %d", (unsigned)kinds[i], dirty,
                    (unsigned long long)e, pte_write(e), pte_dirty(e));
            KEXPECT(t, pte_soft_dirty(e) == (kinds[i] != SD_CLEAN), "soft-dirty not carried");
            KEXPECT_EQ(t, dev_write(&dev, 16, 0xbad), -1);
            KEXPECT(t, mm_read(mm, BASE + 16, &v) == 0 && v != 0xbad, "device wrote after losing the page");
            if (child)
                mm_destroy(child);
            mm_destroy(mm);
        }
    }
    /* mprotect leaves device-exclusive entries alone; unmap drops them and tells the device. */
    struct mm *mm = populated(0, VM_READ | VM_WRITE);
    KASSERT(t, mm != NULL);
    struct dev_agent dev;
    KEXPECT_EQ(t, mm_make_device_exclusive(mm, BASE, &dev), 0);
    pte_t e = mm_get_pte(mm, BASE);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, LEN, VM_READ), 0);
    KEXPECT_EQ(t, mm_get_pte(mm, BASE), e);
    KEXPECT_EQ(t, mm_unmap(mm, BASE, LEN), 0);
    KEXPECT(t, !dev.exclusive && dev.notified == 1, "unmap did not tell the device");
    mm_destroy(mm);
}

static const struct ktest_case uffd_cases[] = {
    KTEST_CASE(unprotect_restores_write),
    KTEST_CASE(protected_write_is_reported),
    KTEST_CASE(bad_requests),
    KTEST_CASE(marker_survives_zap),
    KTEST_CASE(fork_feature),
    KTEST_CASE(unprotect_hints),
    KTEST_CASE(guard_markers),
    KTEST_CASE(device_exclusive),
};
KTEST_SUITE(uffd, 35, .before = before, .after = after);
