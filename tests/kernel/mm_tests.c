/*
 * mm core against the real MMU (issue 4): the write-upgrade decision on
 * mprotect and on NUMA hint faults, COW, NUMA migration, and regression
 * tests for the Linux bugs in REFERENCE.md section 9 that concern these paths.
 */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"
#include "tests/kernel/ktest.h"
#include "mmu/asid.h"
#include "mmu/page_alloc.h"

#define BASE (MM_VA_BASE + 0x10000000ULL)

static struct mm_params saved_params;
static void before(struct ktest *t) { (void)t; saved_params = mm_params; trap_reset_faults(); }
static void after(struct ktest *t) { (void)t; mm_params = saved_params; mm_activate(NULL); }

static unsigned faults_of_write(struct mm *mm, uint64_t addr, uint64_t val)
{
    trap_reset_faults();
    if (mm_write(mm, addr, val) < 0)
        return 1000;        /* segv */
    return trap_faults()->count;
}

/* ---- can_change_pte_writable(), table-driven ---- */
enum setup { S_PRIVATE_EXCL, S_PRIVATE_FORKED, S_SHARED_DIRTY, S_SHARED_CLEAN, S_SD_TRACKED_CLEAN,
             S_SD_TRACKED_DIRTY, S_UFFD_WP };
struct wcase {
    const char *name;
    enum setup setup;
    bool writable_after_mprotect;   /* and so: 0 faults on the next write, else 1 */
    unsigned numa_faults_can_change; /* faults on the first write after a NUMA scan */
};
static const struct wcase wcases[] = {
    { "private exclusive", S_PRIVATE_EXCL, true, 1 },
    { "private after fork", S_PRIVATE_FORKED, false, 1 },   /* scan skips COW-shared: 1 COW fault */
    { "shared dirty", S_SHARED_DIRTY, true, 1 },
    { "shared clean", S_SHARED_CLEAN, false, 2 },           /* hint + write-notify */
    { "soft-dirty tracked, clean", S_SD_TRACKED_CLEAN, false, 2 },
    { "soft-dirty tracked, dirty", S_SD_TRACKED_DIRTY, true, 1 },
    { "uffd-wp armed", S_UFFD_WP, false, 2 },
};

/* Build the case's state on one page at BASE; returns the mm (and the fork child). */
static struct mm *setup_case(const struct wcase *c, struct mm **child)
{
    struct mm *mm = mm_create();
    *child = NULL;
    bool shared = c->setup == S_SHARED_DIRTY || c->setup == S_SHARED_CLEAN;
    unsigned fl = VM_READ | VM_WRITE | (shared ? VM_SHARED | VM_WRITENOTIFY_FS : 0);
    mm_map(mm, BASE, PAGE_SIZE, fl);
    if (c->setup == S_SHARED_CLEAN) {
        uint64_t v;
        mm_read(mm, BASE, &v);              /* populated, clean */
    } else {
        mm_write(mm, BASE, 0x11);
    }
    switch (c->setup) {
    case S_PRIVATE_FORKED:
        *child = mm_fork(mm);
        break;
    case S_SD_TRACKED_CLEAN:
        mm_clear_soft_dirty(mm);
        break;
    case S_SD_TRACKED_DIRTY:
        mm_clear_soft_dirty(mm);
        mm_write(mm, BASE, 0x22);           /* records soft-dirty */
        break;
    case S_UFFD_WP:
        /* The write is the monitor's to resolve: it unprotects the page. */
        mm_uffd_wp(mm, BASE, PAGE_SIZE, true);
        mm_uffd_set_handler(mm, uffd_resolve_by_unprotect, NULL);
        break;
    default:
        break;
    }
    return mm;
}

static void can_change_on_mprotect(struct ktest *t)
{
    for (size_t i = 0; i < ARRAY_SIZE(wcases); i++) {
        const struct wcase *c = &wcases[i];
        struct mm *child, *mm = setup_case(c, &child);
        KASSERT(t, mm != NULL);
        KEXPECT_EQ(t, mm_mprotect(mm, BASE, PAGE_SIZE, VM_READ), 0);
        KEXPECT(t, !pte_write(mm_get_pte(mm, BASE)), "%s: writable after mprotect(R)", c->name);
        KEXPECT_EQ(t, mm_mprotect(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE), 0);
        pte_t e = mm_get_pte(mm, BASE);
        KEXPECT(t, pte_write(e) == c->writable_after_mprotect, "%s: pte 0x%llx write %d, expected %d",
                c->name, (unsigned long long)e, pte_write(e), c->writable_after_mprotect);
        unsigned f = faults_of_write(mm, BASE, 0x33);
        KEXPECT(t, f == (c->writable_after_mprotect ? 0u : 1u), "%s: %u write faults", c->name, f);
        uint64_t v = 0;
        mm_read(mm, BASE, &v);
        KEXPECT_EQ(t, v, 0x33);
        if (child) {
            mm_read(child, BASE, &v);
            KEXPECT(t, v == 0x11, "%s: the child sees the parent's write", c->name);
            mm_destroy(child);
        }
        mm_destroy(mm);
    }
}

static void can_change_on_numa_hint(struct ktest *t)
{
    static const enum numa_write_policy pols[] = { NUMA_WP_CAN_CHANGE, NUMA_WP_NONE };
    for (size_t pi = 0; pi < ARRAY_SIZE(pols); pi++) {
        mm_params.numa_wp = pols[pi];
        for (size_t i = 0; i < ARRAY_SIZE(wcases); i++) {
            const struct wcase *c = &wcases[i];
            struct mm *child, *mm = setup_case(c, &child);
            long n = mm_numa_scan(mm, BASE, PAGE_SIZE, -1);
            pte_t e = mm_get_pte(mm, BASE);
            if (c->setup == S_PRIVATE_FORKED)
                KEXPECT(t, n == 0 && pte_valid(e), "%s: a COW-shared page was made protnone", c->name);
            else
                KEXPECT(t, n == 1 && pte_protnone(e), "%s: scan changed %ld", c->name, n);
            unsigned f = faults_of_write(mm, BASE, 0x44);
            unsigned want = c->numa_faults_can_change;
            if (pols[pi] == NUMA_WP_NONE && c->setup != S_PRIVATE_FORKED)
                want = 2;               /* the hint fault never grants write */
            KEXPECT(t, f == want, "%s, policy %s: %u faults, expected %u", c->name,
                    numa_wp_names[pols[pi]], f, want);
            if (child)
                mm_destroy(child);
            mm_destroy(mm);
        }
    }
}

/* The decision function itself, including the inverted soft-dirty flag. */
static void can_change_direct(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 1);
    struct vma *v = mm_find_vma(mm, BASE);
    pte_t e = pte_clear_soft_dirty(pte_wrprotect(mm_get_pte(mm, BASE)));
    /* VM_SOFTDIRTY set = not tracking: a PTE without the soft-dirty bit may
     * still be made writable (Linux once tested the flag the wrong way). */
    v->flags |= VM_SOFTDIRTY;
    KEXPECT(t, can_change_pte_writable(v, BASE, e), "untracked VMA refused");
    v->flags &= ~VM_SOFTDIRTY;
    KEXPECT(t, !can_change_pte_writable(v, BASE, e), "tracked VMA, clean PTE allowed");
    KEXPECT(t, can_change_pte_writable(v, BASE, pte_mksoft_dirty(e)));
    /* protnone never. */
    KEXPECT(t, !can_change_pte_writable(v, BASE, pte_modify(e, pgprot_from_prot(PROT_NONE, true))));
    /* uffd-wp: only when armed on both VMA and PTE. */
    e = pte_mksoft_dirty(e);
    KEXPECT(t, can_change_pte_writable(v, BASE, pte_mkuffd_wp(e)), "uffd bit without armed VMA");
    v->flags |= VM_UFFD_WP;
    KEXPECT(t, !can_change_pte_writable(v, BASE, pte_mkuffd_wp(e)));
    KEXPECT(t, can_change_pte_writable(v, BASE, e));
    v->flags &= ~VM_UFFD_WP;
    /* Private mapping, exclusive anon page: writable whether dirty or not
     * (only shared mappings need the dirty state). */
    KEXPECT(t, can_change_pte_writable(v, BASE, pte_mkold(pte_mkclean(e))),
            "private exclusive clean PTE refused");
    /* Not VM_WRITE: never. */
    v->flags &= ~VM_WRITE;
    KEXPECT(t, !can_change_pte_writable(v, BASE, e));
    v->flags |= VM_WRITE;
    /* Not exclusive: no. */
    struct page *p = mm_page_at(mm, BASE);
    p->flags &= ~PG_ANON_EXCLUSIVE;
    KEXPECT(t, !can_change_pte_writable(v, BASE, e));
    p->flags |= PG_ANON_EXCLUSIVE;
    mm_destroy(mm);
}

/* ---- NUMA ---- */
static void numa_faults_per_page(struct ktest *t)
{
    static const struct { enum numa_write_policy p; unsigned faults; } want[] = {
        { NUMA_WP_CAN_CHANGE, 1 }, { NUMA_WP_SAVEDWRITE, 1 }, { NUMA_WP_NONE, 2 },
    };
    const unsigned n = 16;
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        mm_params.numa_wp = want[i].p;
        struct mm *mm = mm_create();
        mm_map(mm, BASE, n * PAGE_SIZE, VM_READ | VM_WRITE);
        for (unsigned k = 0; k < n; k++)
            mm_write(mm, BASE + k * PAGE_SIZE, k);
        KEXPECT_EQ(t, mm_numa_scan(mm, BASE, n * PAGE_SIZE, -1), n);
        trap_reset_faults();
        for (unsigned k = 0; k < n; k++)
            mm_write(mm, BASE + k * PAGE_SIZE, k + 100);
        KEXPECT(t, trap_faults()->count == n * want[i].faults, "policy %s: %u faults for %u pages",
                numa_wp_names[want[i].p], trap_faults()->count, n);
        mm_destroy(mm);
    }
}

static const char *need_two_nodes(void) { return palloc_nr_nodes() < 2 ? "needs 2 NUMA nodes" : NULL; }

static uint64_t pattern(uint64_t k, unsigned w) { return (k * 0x9e3779b97f4a7c15ULL) ^ w; }

static void numa_migrate_keeps_data(struct ktest *t)
{
    if (need_two_nodes()) {
        ktest_skip(t, "%s", need_two_nodes());
        return;
    }
    const unsigned n = 8;
    struct mm *mm = mm_create();
    mm_map(mm, BASE, n * PAGE_SIZE, VM_READ | VM_WRITE);
    for (unsigned k = 0; k < n; k++)
        for (unsigned w = 0; w < PAGE_SIZE; w += 512)
            mm_write(mm, BASE + k * PAGE_SIZE + w, pattern(k, w));
    /* Half the pages clean-for-the-test: map them read-only-clean by a
     * soft-dirty clear is not "clean"; instead check dirty is kept. */
    KEXPECT_EQ(t, mm_page_at(mm, BASE)->node, 0);
    KEXPECT_EQ(t, mm_numa_scan(mm, BASE, n * PAGE_SIZE, 1), n);
    trap_reset_faults();
    uint64_t v;
    for (unsigned k = 0; k < n; k++)
        mm_read(mm, BASE + k * PAGE_SIZE, &v);
    KEXPECT_EQ(t, trap_faults()->count, n);
    for (unsigned k = 0; k < n; k++) {
        struct page *p = mm_page_at(mm, BASE + k * PAGE_SIZE);
        KEXPECT(t, p && page_head(p)->node == 1, "page %u not on node 1", k);
        KEXPECT(t, pte_dirty(mm_get_pte(mm, BASE + k * PAGE_SIZE)), "page %u lost dirty", k);
        KEXPECT(t, p && (page_head(p)->flags & PG_DIRTY));
        KEXPECT(t, p && page_anon_exclusive(p));
        for (unsigned w = 0; w < PAGE_SIZE; w += 512) {
            mm_read(mm, BASE + k * PAGE_SIZE + w, &v);
            if (v != pattern(k, w)) {
                KEXPECT_EQ(t, v, pattern(k, w));
                break;
            }
        }
    }
    /* Writability was decided again after the migration dropped the lock:
     * the new exclusive page is writable without another fault. */
    trap_reset_faults();
    mm_write(mm, BASE, 5);
    KEXPECT_EQ(t, trap_faults()->count, 0);
    KEXPECT(t, mm_fault_stats.numa_migrated >= n);
    mm_destroy(mm);
}

/* A large folio split across two VMAs: the hint fault rebuilds entries only
 * inside the faulting VMA. */
static void numa_large_folio_clamped(struct ktest *t)
{
    mm_params.anon_order = 4;
    struct mm *mm = mm_create();
    mm_map(mm, BASE, CONT_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 1);                   /* one 64 KiB folio */
    struct page *p0 = mm_page_at(mm, BASE);
    KASSERT(t, p0 && page_head(p0)->order == 4, "no 64 KiB folio");
    /* Split the VMA in the middle of the folio (both halves stay R/W). */
    KEXPECT_EQ(t, mm_mprotect(mm, BASE + CONT_SIZE / 2, CONT_SIZE / 2, VM_READ | VM_WRITE), 0);
    KEXPECT(t, mm_find_vma(mm, BASE) != mm_find_vma(mm, BASE + CONT_SIZE / 2), "VMA not split");
    KEXPECT_EQ(t, mm_numa_scan(mm, BASE, CONT_SIZE, -1), CONT_PTES);
    uint64_t v;
    trap_reset_faults();
    mm_read(mm, BASE, &v);
    KEXPECT_EQ(t, trap_faults()->count, 1);
    for (unsigned i = 0; i < CONT_PTES; i++) {
        pte_t e = mm_get_pte(mm, BASE + i * PAGE_SIZE);
        if (i < CONT_PTES / 2)
            KEXPECT(t, pte_valid(e), "entry %u inside the VMA not rebuilt", i);
        else
            KEXPECT(t, pte_protnone(e), "entry %u beyond the VMA end rebuilt", i);
    }
    mm_destroy(mm);
}

/* riscv caches invalid entries: restoring protnone needs a local fence per
 * page (or the fault repeats forever); arm64 needs none. Exactly 1 fault. */
static void numa_restore_negative_caching(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 9);
    uint64_t v;
    mm_read(mm, BASE, &v);                   /* the protnone-to-be entry is cached */
    mm_numa_scan(mm, BASE, PAGE_SIZE, -1);
    struct ev_snapshot s, d;
    ev_snapshot(&s);
    trap_reset_faults();
    KEXPECT_EQ(t, mm_read(mm, BASE, &v), 0);
    ev_delta(&s, &d);
    KEXPECT_EQ(t, trap_faults()->count, 1);
    KEXPECT_EQ(t, v, 9);
#ifdef __riscv
    KEXPECT(t, d.v[EV_TLBI_PAGE_LOCAL] >= 1, "no local fence after protnone -> valid");
#else
    KEXPECT_EQ(t, d.v[EV_TLBI_PAGE_LOCAL], 0);
#endif
    KEXPECT_EQ(t, ev_tlbi_total(&d), 0);
    mm_destroy(mm);
}

/* mprotect over protnone entries issues no invalidate (nothing is cached). */
static void mprotect_protnone_no_tlbi(struct ktest *t)
{
    const unsigned n = 8;
    struct mm *mm = mm_create();
    mm_map(mm, BASE, n * PAGE_SIZE, VM_READ | VM_WRITE);
    for (unsigned k = 0; k < n; k++)
        mm_write(mm, BASE + k * PAGE_SIZE, k);
    mm_numa_scan(mm, BASE, n * PAGE_SIZE, -1);
    struct ev_snapshot s, d;
    ev_snapshot(&s);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, n * PAGE_SIZE, VM_READ), 0);
    ev_delta(&s, &d);
    KEXPECT_EQ(t, ev_tlbi_total(&d), 0);
    mm_destroy(mm);
}

/* A restored clean page stays clean; a dirty one stays dirty. */
static void numa_restore_keeps_clean(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE | VM_SHARED | VM_WRITENOTIFY_FS);
    uint64_t v;
    mm_read(mm, BASE, &v);                   /* clean */
    mm_write(mm, BASE + PAGE_SIZE, 3);       /* dirty */
    mm_numa_scan(mm, BASE, 2 * PAGE_SIZE, -1);
    mm_read(mm, BASE, &v);
    mm_read(mm, BASE + PAGE_SIZE, &v);
    KEXPECT(t, !pte_dirty(mm_get_pte(mm, BASE)), "clean page restored dirty");
    KEXPECT(t, pte_young(mm_get_pte(mm, BASE)), "restored page not young");
    KEXPECT(t, pte_dirty(mm_get_pte(mm, BASE + PAGE_SIZE)), "dirty page restored clean");
    mm_destroy(mm);
}

/* Protnone is not the same as a transiently invalid user entry. */
static void protnone_vs_transient_invalid(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 1);
    pte_t e = mm_get_pte(mm, BASE);
    KEXPECT(t, !pte_protnone(e));
    KEXPECT(t, !pte_protnone(pte_mkinvalid(e)), "transiently invalid user PTE reads as protnone");
    KEXPECT(t, pte_present(pte_mkinvalid(e)));
    KEXPECT(t, pte_protnone(pte_modify(e, pgprot_from_prot(PROT_NONE, true))));
    KEXPECT(t, !pte_protnone(pte_marker(PTE_MARKER_UFFD_WP)));
    KEXPECT(t, !pte_present(pte_marker(PTE_MARKER_UFFD_WP)));
    mm_destroy(mm);
}

/* ---- COW ---- */
static void check_no_shared_writable(struct ktest *t, struct mm *mm, uint64_t len)
{
    for (uint64_t a = BASE; a < BASE + len; a += PAGE_SIZE) {
        pte_t e = mm_get_pte(mm, a);
        struct page *p = mm_page_at(mm, a);
        if (pte_valid(e) && pte_write(e))
            KEXPECT(t, p && page_anon_exclusive(p) && p->mapcount == 1,
                    "writable PTE at 0x%llx maps a shared page", (unsigned long long)a);
    }
}

static void cow_after_fork(struct ktest *t)
{
    const unsigned n = 4;
    struct mm *parent = mm_create();
    mm_map(parent, BASE, n * PAGE_SIZE, VM_READ | VM_WRITE);
    for (unsigned k = 0; k < n; k++)
        mm_write(parent, BASE + k * PAGE_SIZE, 10 + k);
    struct mm *child = mm_fork(parent);
    KASSERT(t, child != NULL);
    check_no_shared_writable(t, parent, n * PAGE_SIZE);
    check_no_shared_writable(t, child, n * PAGE_SIZE);
    for (unsigned k = 0; k < n; k++) {
        KEXPECT(t, !page_anon_exclusive(mm_page_at(parent, BASE + k * PAGE_SIZE)));
        KEXPECT(t, mm_page_at(parent, BASE + k * PAGE_SIZE) == mm_page_at(child, BASE + k * PAGE_SIZE));
    }
    /* Writes on either side copy; contents stay independent. */
    KEXPECT_EQ(t, faults_of_write(parent, BASE, 100), 1);
    check_no_shared_writable(t, parent, n * PAGE_SIZE);
    check_no_shared_writable(t, child, n * PAGE_SIZE);
    KEXPECT_EQ(t, faults_of_write(child, BASE + PAGE_SIZE, 201), 1);
    check_no_shared_writable(t, parent, n * PAGE_SIZE);
    check_no_shared_writable(t, child, n * PAGE_SIZE);
    uint64_t v;
    mm_read(child, BASE, &v);
    KEXPECT_EQ(t, v, 10);
    mm_read(parent, BASE, &v);
    KEXPECT_EQ(t, v, 100);
    mm_read(parent, BASE + PAGE_SIZE, &v);
    KEXPECT_EQ(t, v, 11);
    mm_read(child, BASE + PAGE_SIZE, &v);
    KEXPECT_EQ(t, v, 201);
    /* The page left mapped only by the parent after the child copied it: the
     * parent's write reuses it (refcount 1), no copy. */
    KEXPECT_EQ(t, faults_of_write(parent, BASE + PAGE_SIZE, 111), 1);
    KEXPECT(t, page_anon_exclusive(mm_page_at(parent, BASE + PAGE_SIZE)));
    mm_destroy(child);
    /* After the child is gone a write still works (reuse). */
    KEXPECT(t, faults_of_write(parent, BASE + 2 * PAGE_SIZE, 7) <= 1);
    check_no_shared_writable(t, parent, n * PAGE_SIZE);
    mm_destroy(parent);
}

static void segv_on_bad_access(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, PAGE_SIZE, VM_READ);
    uint64_t v;
    KEXPECT_EQ(t, mm_read(mm, BASE, &v), 0);
    KEXPECT_EQ(t, mm_write(mm, BASE, 1), -1);
    KEXPECT_EQ(t, mm_read(mm, BASE + PAGE_SIZE, &v), -1);     /* no VMA */
    KEXPECT(t, !pte_write(mm_get_pte(mm, BASE)));
    mm_destroy(mm);
}

/* The kernel never executes user pages (arm64 PXN; riscv S-mode may not
 * execute U pages): such a fault is refused at once, never retried. */
static void exec_of_user_page_refused(struct ktest *t)
{
    struct mm *mm = mm_create();
    mm_map(mm, BASE, PAGE_SIZE, VM_READ | VM_WRITE | VM_EXEC);
#ifdef __riscv
    KEXPECT_EQ(t, mm_write(mm, BASE, 0x00008067), 0);      /* ret */
#else
    KEXPECT_EQ(t, mm_write(mm, BASE, 0xd65f03c0), 0);      /* ret */
#endif
    uint64_t segv0 = mm_fault_stats.segv;
    mm_activate(mm);
    trap_reset_faults();
    int r = probe_exec((void *)(uintptr_t)BASE);
    mm_activate(NULL);
    KEXPECT_EQ(t, r, -1);
    KEXPECT_EQ(t, trap_faults()->count, 1);
    KEXPECT_EQ(t, trap_faults()->last.access, ACCESS_EXEC);
    KEXPECT_EQ(t, mm_fault_stats.segv, segv0 + 1);
    mm_destroy(mm);
}

/* No leaks: every page comes back after the suite's operations. */
static void no_page_leaks(struct ktest *t)
{
    struct palloc_stats before_st, after_st;
    palloc_node_stats(0, &before_st);
    mm_params.anon_order = 4;
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL, "no address space (memory exhausted?)");
    mm_map(mm, BASE, 4 * CONT_SIZE, VM_READ | VM_WRITE);
    for (unsigned k = 0; k < 64; k++)
        mm_write(mm, BASE + k * PAGE_SIZE, k);
    struct mm *c = mm_fork(mm);
    if (!c) {
        mm_destroy(mm);
        KASSERT(t, c != NULL, "fork failed (memory exhausted?)");
    }
    mm_write(c, BASE, 1);
    mm_mprotect(mm, BASE + PAGE_SIZE, 3 * PAGE_SIZE, VM_READ);
    mm_numa_scan(mm, BASE, 4 * CONT_SIZE, -1);
    mm_destroy(c);
    mm_destroy(mm);
    palloc_node_stats(0, &after_st);
    KEXPECT_EQ(t, after_st.free_pages, before_st.free_pages);
}

/* More address spaces than ASIDs (asid_bits=): each keeps its own data at
 * the same VA through rollovers, and no ASID serves two roots without a
 * flush (the checker's R8). With enough ASIDs: static, no rollover. */
static void asid_rollover(struct ktest *t)
{
    enum { N = 6, ROUNDS = 4 };
    struct mm *mms[N];
    uint64_t r0 = asid_stats.rollovers, f0 = asid_stats.switch_flushes;
    for (int i = 0; i < N; i++) {
        mms[i] = mm_create();
        KASSERT(t, mms[i] != NULL);
        KEXPECT_EQ(t, mm_map(mms[i], BASE, PAGE_SIZE, VM_READ | VM_WRITE), 0);
        KEXPECT_EQ(t, mm_write(mms[i], BASE, 0x1000 + (uint64_t)i), 0);
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < N; i++) {
            uint64_t v = 0;
            KEXPECT(t, mm_read(mms[i], BASE, &v) == 0 && v == 0x1000 + (uint64_t)i + (uint64_t)r,
                    "mm %d round %d read 0x%llx", i, r, (unsigned long long)v);
            KEXPECT_EQ(t, mm_write(mms[i], BASE, 0x1000 + (uint64_t)i + (uint64_t)r + 1), 0);
        }
    uint64_t rolls = asid_stats.rollovers - r0;
    ktest_log("%u usable ASIDs (%s), %llu rollover(s) for %d address spaces", asid_count(),
              asid_static() ? "static: ASID = mm id" : "allocated per generation", (unsigned long long)rolls, N);
    if (asid_count() == 0)      /* no ASIDs: every switch to an address space flushes */
        KEXPECT(t, asid_stats.switch_flushes - f0 >= (uint64_t)N * ROUNDS, "%llu switch flushes",
                (unsigned long long)(asid_stats.switch_flushes - f0));
    else if (asid_count() < N)
        KEXPECT(t, rolls >= ROUNDS - 1, "only %llu rollovers", (unsigned long long)rolls);
    else
        KEXPECT_EQ(t, rolls, 0);
    mm_activate(NULL);
    for (int i = 0; i < N; i++)
        mm_destroy(mms[i]);
}

/* ---- exhaustion: a clean error that changes nothing, never a panic ---- */

static uint64_t free_pages_all(void)
{
    uint64_t n = 0;
    for (int node = 0; node < palloc_nr_nodes(); node++) {
        struct palloc_stats st;
        palloc_node_stats(node, &st);
        n += st.free_pages;
    }
    return n;
}

/* Take free pages until `leave` are left; returns how many were taken. */
/* Exhaustion takes the largest blocks first, so a board with gigabytes of RAM
 * (Raspberry Pi 4) needs no more slots than QEMU's 256 MiB. */
static struct { uint64_t pa; unsigned order; } hog[70000];
static unsigned exhaust_memory(uint64_t leave)
{
    unsigned n = 0;
    for (int order = 9; order >= 0; order--) {
        for (;;) {
            if (free_pages_all() < leave + (1ULL << order) || n == ARRAY_SIZE(hog))
                break;
            uint64_t pa = palloc_alloc((unsigned)order, -1, 0);
            if (!pa)
                break;
            hog[n].pa = pa;
            hog[n++].order = (unsigned)order;
        }
    }
    return n;
}
static void release_memory(unsigned n)
{
    while (n) {
        n--;
        palloc_free(hog[n].pa, hog[n].order);
    }
}

/* Fill the VMA pool (shared by all address spaces) with 4 KiB mappings in
 * a second address space; returns it (mm_destroy frees them). */
static struct mm *exhaust_vmas(void)
{
    struct mm *hogmm = mm_create();
    if (!hogmm)
        return NULL;
    for (uint64_t a = BASE + (1ULL << 30); mm_map(hogmm, a, PAGE_SIZE, VM_READ) == 0; a += 2 * PAGE_SIZE)
        ;
    return hogmm;
}

static void vma_exhaustion_is_an_error(struct ktest *t)
{
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL);
    KEXPECT_EQ(t, mm_map(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE), 0);
    KEXPECT_EQ(t, mm_write(mm, BASE, 7), 0);
    KEXPECT_EQ(t, mm_write(mm, BASE + PAGE_SIZE, 8), 0);
    struct mm *hogmm = exhaust_vmas();
    KASSERT(t, hogmm != NULL);
    KEXPECT_EQ(t, vma_available(), 0);
    pte_t before = mm_get_pte(mm, BASE);
    /* Each needs one split (of the 8 KiB VMA): refused, nothing changed. */
    KEXPECT_EQ(t, mm_unmap(mm, BASE, PAGE_SIZE), MM_ENOMEM);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, PAGE_SIZE, VM_READ), MM_ENOMEM);
    KEXPECT_EQ(t, mm_uffd_wp(mm, BASE, PAGE_SIZE, true), MM_ENOMEM);
    KEXPECT_EQ(t, mm_fork(mm), NULL);
    struct vma *v = mm_find_vma(mm, BASE);
    KEXPECT(t, v && v->start == BASE && v->end == BASE + 2 * PAGE_SIZE && !v->next, "VMA changed");
    KEXPECT_EQ(t, mm_get_pte(mm, BASE), before);
    uint64_t x;
    KEXPECT(t, mm_read(mm, BASE + PAGE_SIZE, &x) == 0 && x == 8);
    /* Whole-VMA operations need no split: still fine. */
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, 2 * PAGE_SIZE, VM_READ), 0);
    mm_destroy(hogmm);
    KEXPECT_EQ(t, mm_unmap(mm, BASE, PAGE_SIZE), 0);
    mm_destroy(mm);
}

static void fork_out_of_memory_changes_nothing(struct ktest *t)
{
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL);
    /* Pages spread over several last-level tables, so the child needs some. */
    mm_map(mm, BASE, 8ULL << 20, VM_READ | VM_WRITE);
    for (uint64_t a = BASE; a < BASE + (8ULL << 20); a += 2ULL << 20)
        KEXPECT_EQ(t, mm_write(mm, a, a), 0);
    for (uint64_t leave = 0; leave <= 4; leave++) {
        unsigned n = exhaust_memory(leave);
        uint64_t free0 = free_pages_all();
        pte_t before = mm_get_pte(mm, BASE);
        KEXPECT_EQ(t, mm_fork(mm), NULL);
        uint64_t free1 = free_pages_all();
        KEXPECT(t, free1 == free0, "%llu free pages left: fork kept %lld pages",
                (unsigned long long)leave, (long long)(free0 - free1));
        KEXPECT_EQ(t, mm_get_pte(mm, BASE), before);
        KEXPECT(t, page_anon_exclusive(mm_page_at(mm, BASE)), "parent page lost anon-exclusive");
        release_memory(n);
    }
    struct mm *c = mm_fork(mm);
    KEXPECT(t, c != NULL, "fork with memory back failed");
    if (c)
        mm_destroy(c);
    mm_destroy(mm);
}

static void oom_fault_says_out_of_memory(struct ktest *t)
{
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL);
    mm_map(mm, BASE, 4 * PAGE_SIZE, VM_READ | VM_WRITE);
    KEXPECT_EQ(t, mm_write(mm, BASE, 1), 0);                /* its table exists */
    uint64_t oom0 = mm_fault_stats.oom, segv0 = mm_fault_stats.segv;
    unsigned n = exhaust_memory(0);
    KEXPECT_EQ(t, mm_write(mm, BASE + PAGE_SIZE, 2), -1);
    KEXPECT_EQ(t, mm_last_fault_error, MM_ENOMEM);
    KEXPECT_EQ(t, mm_fault_stats.oom - oom0, 1);
    KEXPECT_EQ(t, mm_fault_stats.segv, segv0);
    release_memory(n);
    KEXPECT_EQ(t, mm_write(mm, BASE + PAGE_SIZE, 2), 0);
    mm_destroy(mm);
}

/* A huge, sparsely touched VMA: every operation visits what is mapped (two
 * last-level tables here), not the 32 GiB of the range. */
static void sparse_vma_costs_what_is_mapped(struct ktest *t)
{
    uint64_t len = 32ULL << 30;
    struct mm *mm = mm_create();
    KASSERT(t, mm != NULL);
    KEXPECT_EQ(t, mm_map(mm, BASE, len, VM_READ | VM_WRITE), 0);
    KEXPECT_EQ(t, mm_write(mm, BASE, 1), 0);
    KEXPECT_EQ(t, mm_write(mm, BASE + len - PAGE_SIZE, 2), 0);
    pte_iter_visits = 0;
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, len, VM_READ), 0);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, len, VM_READ | VM_WRITE), 0);
    KEXPECT(t, mm_numa_scan(mm, BASE, len, -1) >= 0);
    KEXPECT_EQ(t, mm_clear_soft_dirty(mm), 0);
    struct mm *c = mm_fork(mm);
    KEXPECT(t, c != NULL);
    if (c)
        mm_destroy(c);
    KEXPECT_EQ(t, mm_unmap(mm, BASE, len), 0);
    /* 7 operations (fork walks twice) over 2 tables of 512 entries, with
     * some slack; page by page over the range would be 8 M per operation. */
    KEXPECT(t, pte_iter_visits <= 10 * 2 * PTRS_PER_TABLE, "%llu entries visited",
            (unsigned long long)pte_iter_visits);
    ktest_log("32 GiB VMA, 2 pages touched: %llu entries visited by 7 operations",
              (unsigned long long)pte_iter_visits);
    mm_destroy(mm);
}

static const struct ktest_case mm_cases[] = {
    KTEST_CASE(vma_exhaustion_is_an_error),
    KTEST_CASE(fork_out_of_memory_changes_nothing),
    KTEST_CASE(oom_fault_says_out_of_memory),
    KTEST_CASE(sparse_vma_costs_what_is_mapped),
    KTEST_CASE(asid_rollover),
    KTEST_CASE(can_change_direct),
    KTEST_CASE(can_change_on_mprotect),
    KTEST_CASE(can_change_on_numa_hint),
    KTEST_CASE(numa_faults_per_page),
    KTEST_CASE(numa_migrate_keeps_data),
    KTEST_CASE(numa_large_folio_clamped),
    KTEST_CASE(numa_restore_negative_caching),
    KTEST_CASE(mprotect_protnone_no_tlbi),
    KTEST_CASE(numa_restore_keeps_clean),
    KTEST_CASE(protnone_vs_transient_invalid),
    KTEST_CASE(cow_after_fork),
    KTEST_CASE(segv_on_bad_access),
    KTEST_CASE(exec_of_user_page_refused),
    KTEST_CASE(no_page_leaks),
};
KTEST_SUITE(mm, 30, .before = before, .after = after);
