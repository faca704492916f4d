/*
 * Benchmarks of the mm core (mmu/mm.h): mprotect, mprotect_full, numa_hint,
 * numa_migrate, anon_fault, fork_cow. See bench.c for the list.
 *
 * Every case builds its address space in untimed setup and times one
 * operation: one mm_* call, or one pass of first writes over the range with
 * the mm active (probe_write64 per page, so the fault path is what is timed,
 * not an address-space switch per page).
 */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "mmu/tlb.h"
#include "tests/bench/kbench.h"

#define BENCH_MM_VA MM_VA_BASE

/* mm_params and tlb_params are global: every benchmark puts them back. */
struct saved_params { struct mm_params mm; struct tlb_params tlb; };
static void params_save(struct saved_params *s) { s->mm = mm_params; s->tlb = tlb_params; }
static void params_restore(const struct saved_params *s) { mm_params = s->mm; tlb_params = s->tlb; }

/* Write one word to each page of [start, start + pages) with mm active;
 * 0, or -1 if a write faulted without being resolved. */
static int write_pages(struct mm *mm, uint64_t start, uint64_t pages, uint64_t stride_pages)
{
    struct mm *prev = mm_current();
    if (prev != mm)
        mm_activate(mm);
    int r = 0;
    for (uint64_t i = 0; i < pages && r == 0; i += stride_pages)
        r = probe_write64((volatile void *)(uintptr_t)(start + i * PAGE_SIZE), i + 1);
    if (prev != mm)
        mm_activate(prev);
    return r;
}

/* A new mm with [BENCH_MM_VA, +pages) mapped read-write, every page written
 * (populated with folios of 2^order pages). NULL on failure. */
static struct mm *populated_mm(uint64_t pages, unsigned order)
{
    struct mm *mm = mm_create();
    if (!mm)
        return NULL;
    unsigned saved = mm_params.anon_order;
    mm_params.anon_order = order;
    int r = mm_map(mm, BENCH_MM_VA, pages * PAGE_SIZE, VM_READ | VM_WRITE);
    if (r == 0)
        r = write_pages(mm, BENCH_MM_VA, pages, 1);
    mm_params.anon_order = saved;
    if (r != 0) {
        mm_destroy(mm);
        return NULL;
    }
    return mm;
}

static const char *folio_variant(unsigned order) { return order ? "folio-64k" : "folio-4k"; }

/* ------------------------------------------------------------ mprotect */
struct mp_arg {
    struct mm *mm;
    uint64_t pages;
    unsigned to;        /* VM_* protection the timed call sets */
};

static int mp_setup(void *arg)
{
    struct mp_arg *a = arg;
    unsigned from = a->to == VM_READ ? VM_READ | VM_WRITE : VM_READ;
    return mm_mprotect(a->mm, BENCH_MM_VA, a->pages * PAGE_SIZE, from);
}

static int mp_op(void *arg)
{
    struct mp_arg *a = arg;
    return mm_mprotect(a->mm, BENCH_MM_VA, a->pages * PAGE_SIZE, a->to);
}

struct mp_variant {
    const char *name;
    enum tlbi_policy policy;
    bool batched;
};

static const struct mp_variant mp_variants[] = {
    { "per-page", TLBI_PER_PAGE, true },
    { "unsafe-per-block", TLBI_UNSAFE_PER_BLOCK, true },
    { "range", TLBI_RANGE, true },
    { "asid", TLBI_ASID, true },
    { "auto", TLBI_AUTO, true },
    { "per-page-unbatched", TLBI_PER_PAGE, false },
    { "unsafe-per-block-unbatched", TLBI_UNSAFE_PER_BLOCK, false },
    { "range-unbatched", TLBI_RANGE, false },
    { "asid-unbatched", TLBI_ASID, false },
    { "auto-unbatched", TLBI_AUTO, false },
};

static void mprotect_sizes(struct kbench_ctx *b, const uint64_t *sizes_kib, unsigned nsizes)
{
    struct saved_params saved;
    params_save(&saved);
    tlb_params_default();
    uint64_t linux_threshold = tlb_params.asid_threshold;
    params_restore(&saved);
    bool have_range = mmu_caps.tlbi_range || mmu_caps.svinval;
    /* change_protection batches only where the CPU has contiguous mappings. */
    bool have_batch = mmu_caps.cont;
    const char *baseline = have_batch ? "per-page" : "per-page-unbatched";
    if (!have_batch)
        kbench_note(b, "no contiguous (CONT/Svnapot) mappings: the mm never batches, "
                       "only the -unbatched variants run");
    for (unsigned s = 0; s < nsizes; s++) {
        uint64_t pages = sizes_kib[s] * 1024 / PAGE_SIZE;
        for (unsigned order = 0; order <= 4; order += 4) {
            struct mm *mm = populated_mm(pages, order);
            if (!mm) {
                kbench_note(b, "error: cannot populate %llu KiB with order-%u folios",
                            (unsigned long long)sizes_kib[s], order);
                b->failed++;
                continue;
            }
            for (int dir = 0; dir < 2; dir++) {
                char params[96];
                snprintf(params, sizeof(params),
                         "\"size_kib\":%llu,\"folio_kib\":%u,\"op\":\"%s\"",
                         (unsigned long long)sizes_kib[s], order ? 64 : 4,
                         dir == 0 ? "rw->ro" : "ro->rw");
                struct mp_arg arg = { mm, pages, dir == 0 ? VM_READ : VM_READ | VM_WRITE };
                for (unsigned v = 0; v < ARRAY_SIZE(mp_variants); v++) {
                    const struct mp_variant *mv = &mp_variants[v];
                    if (mv->batched && !have_batch)
                        continue;
                    if (mv->policy == TLBI_RANGE && !have_range) {
                        kbench_unavailable(b, mv->name, params,
                                           "no FEAT_TLBIRANGE / Svinval: the range policy "
                                           "would fall back to per-page");
                        continue;
                    }
                    tlb_params.policy = mv->policy;
                    /* Pure policies; auto keeps Linux's switch to a whole-ASID flush. */
                    tlb_params.asid_threshold = mv->policy == TLBI_AUTO ? linux_threshold : 0;
                    mm_params.batch_mprotect = mv->batched;
                    char note[160];
                    bool unsafe = mv->policy == TLBI_UNSAFE_PER_BLOCK;
                    snprintf(note, sizeof(note), "%s%s%s", mv->batched ? "batched" : "unbatched",
                             unsafe ? "; UNSAFE what-if: one invalidate per 64 KiB block is not enough" : "",
                             mv->policy == TLBI_AUTO
                                 ? (mmu_caps.tlbi_range || mmu_caps.svinval
                                        ? "; auto = range ops"
                                        : "; auto = per page up to the ASID threshold")
                                 : "");
                    struct kbench_case c = {
                        .variant = mv->name, .params = params, .unit = "page", .per = pages,
                        .baseline = strcmp(mv->name, baseline) ? baseline : NULL, .note = note,
                        .setup = mp_setup, .op = mp_op, .arg = &arg,
                    };
                    /* The what-if breaks the architecture's rules on purpose:
                     * where the checker runs (bench tests) it must say so,
                     * and nothing may stay cached for the next variant. */
                    if (unsafe)
                        rule_check_expect(true);
                    kbench_measure(b, &c);
                    if (unsafe) {
                        rule_check_expect(false);
                        rule_check_reset();
                        tlb_pre_invalidate();
                        tlbi_asid(mm->pt.asid);
                        tlb_post_invalidate();
                    }
                    params_restore(&saved);
                }
            }
            mm_destroy(mm);
        }
    }
    params_restore(&saved);
}

static void mprotect_run(struct kbench_ctx *b)
{
    static const uint64_t sizes[] = { 64, 2048 }, quick[] = { 64 };
    if (b->quick)
        mprotect_sizes(b, quick, ARRAY_SIZE(quick));
    else
        mprotect_sizes(b, sizes, ARRAY_SIZE(sizes));
}
KBENCH(mprotect, 30, KBENCH_DEFAULT,
       "mprotect RW<->RO, 64 KiB and 2 MiB, 4K/64K folios, TLB policies, batched/unbatched");

static void mprotect_full_run(struct kbench_ctx *b)
{
    static const uint64_t sizes[] = { 512, 8192, 32768 }, quick[] = { 128 };
    if (b->quick)
        mprotect_sizes(b, quick, ARRAY_SIZE(quick));
    else
        mprotect_sizes(b, sizes, ARRAY_SIZE(sizes));
}
KBENCH(mprotect_full, 31, 0, "mprotect as above over 512 KiB, 8 MiB and 32 MiB");

/* ------------------------------------------------------------ mprotect_slope */
/* The marginal cost per page of mprotect between a 2 MiB and an 8 MiB region
 * ((8 MiB figure - 2 MiB figure) / 1536 pages): fixed costs cancel, so the
 * figure compares one to one with another kernel measured the same way. On
 * arm64 the note carries Linux's slope measured on the same QEMU under
 * -icount shift=0 (issue 10: -M virt -cpu max, a static test program as
 * init; instructions per 4 KiB page). */
static const char *linux_slope(unsigned folio_kib, bool to_ro)
{
#ifdef __aarch64__
    if (folio_kib == 4)
        return to_ro ? "125/119/243/220" : "209/203/314/265";
    return to_ro ? "277/258/62.7/62.4" : "361/342/82/84.5";
#else
    (void)folio_kib;
    (void)to_ro;
    return NULL;
#endif
}

static void mprotect_slope_run(struct kbench_ctx *b)
{
    struct saved_params saved;
    params_save(&saved);
    uint64_t small_kib = b->quick ? 64 : 2048, large_kib = b->quick ? 256 : 8192;
    uint64_t small_pages = small_kib * 1024 / PAGE_SIZE, large_pages = large_kib * 1024 / PAGE_SIZE;
    bool have_range = mmu_caps.tlbi_range || mmu_caps.svinval;
    bool have_batch = mmu_caps.cont;
    /* The row: the range policy (one flush for the whole call);
     * the ASID flush where the CPU has no range operations. */
    enum tlbi_policy policy = have_range ? TLBI_RANGE : TLBI_ASID;
    const char *batched = have_range ? "range" : "asid";
    const char *unbatched = have_range ? "range-unbatched" : "asid-unbatched";
    for (unsigned order = 0; order <= 4; order += 4) {
        struct mm *ms = populated_mm(small_pages, order);
        struct mm *ml = ms ? populated_mm(large_pages, order) : NULL;
        if (!ml) {
            kbench_note(b, "error: cannot populate %llu KiB with order-%u folios",
                        (unsigned long long)large_kib, order);
            b->failed++;
            if (ms)
                mm_destroy(ms);
            continue;
        }
        for (int dir = 0; dir < 2; dir++) {
            char params[112];
            snprintf(params, sizeof(params),
                     "\"from_kib\":%llu,\"to_kib\":%llu,\"folio_kib\":%u,\"op\":\"%s\"",
                     (unsigned long long)small_kib, (unsigned long long)large_kib, order ? 64 : 4,
                     dir == 0 ? "rw->ro" : "ro->rw");
            unsigned to = dir == 0 ? VM_READ : VM_READ | VM_WRITE;
            for (int batch = have_batch ? 1 : 0; batch >= 0; batch--) {
                struct mp_arg as = { ms, small_pages, to }, al = { ml, large_pages, to };
                const char *variant = batch ? batched : unbatched;
                char note[200];
                const char *lx = linux_slope(order ? 64 : 4, dir == 0);
                snprintf(note, sizeof(note),
                         "%s; (%llu KiB - %llu KiB figures) / %llu pages%s%s",
                         batch ? "batched" : "unbatched", (unsigned long long)large_kib,
                         (unsigned long long)small_kib,
                         (unsigned long long)(large_pages - small_pages),
                         lx ? "; Linux 6.12/6.16/6.17/7.3 on this QEMU: " : "", lx ? lx : "");
                struct kbench_case cs = {
                    .variant = variant, .params = params, .unit = "page", .per = small_pages,
                    .setup = mp_setup, .op = mp_op, .arg = &as,
                };
                struct kbench_case cl = cs;
                cl.per = large_pages;
                cl.arg = &al;
                struct kbench_case out = {
                    .variant = variant, .params = params, .unit = "page",
                    .baseline = batch ? unbatched : NULL, .note = note,
                };
                tlb_params.policy = policy;
                tlb_params.asid_threshold = 0;
                mm_params.batch_mprotect = batch;
                kbench_measure_slope(b, &cs, &cl, &out);
                params_restore(&saved);
            }
        }
        mm_destroy(ml);
        mm_destroy(ms);
    }
    params_restore(&saved);
}
KBENCH(mprotect_slope, 32, KBENCH_DEFAULT,
       "mprotect marginal cost per page between 2 MiB and 8 MiB (RW<->RO, 4K/64K folios, batched/unbatched)");

/* ------------------------------------------------------------ numa_hint */
struct nh_arg {
    struct mm *mm;
    uint64_t pages;
};

static int nh_setup(void *arg)
{
    /* Every page present, writable and dirty again (the previous pass may
     * have left them read-only under policy none). */
    struct nh_arg *a = arg;
    return write_pages(a->mm, BENCH_MM_VA, a->pages, 1);
}

static int nh_op(void *arg)
{
    struct nh_arg *a = arg;
    long n = mm_numa_scan(a->mm, BENCH_MM_VA, a->pages * PAGE_SIZE, -1);
    if (n < 0)
        return (int)n;
    return write_pages(a->mm, BENCH_MM_VA, a->pages, 1);
}

static void numa_hint_run(struct kbench_ctx *b)
{
    struct saved_params saved;
    params_save(&saved);
    uint64_t pages = b->quick ? 16 : 256;
    static const enum numa_write_policy order_of_variants[] = {
        NUMA_WP_NONE, NUMA_WP_SAVEDWRITE, NUMA_WP_CAN_CHANGE };
    for (unsigned order = 0; order <= 4; order += 4) {
        struct mm *mm = populated_mm(pages, order);
        if (!mm) {
            kbench_note(b, "error: cannot populate the range");
            b->failed++;
            continue;
        }
        char params[96];
        snprintf(params, sizeof(params), "\"size_kib\":%llu,\"folio_kib\":%u,\"op\":\"scan+write\"",
                 (unsigned long long)(pages * PAGE_SIZE / 1024), order ? 64 : 4);
        struct nh_arg arg = { mm, pages };
        for (unsigned v = 0; v < ARRAY_SIZE(order_of_variants); v++) {
            enum numa_write_policy wp = order_of_variants[v];
            mm_params.numa_wp = wp;
            struct kbench_case c = {
                .variant = numa_wp_names[wp], .params = params, .unit = "page", .per = pages,
                .baseline = wp == NUMA_WP_NONE ? NULL : numa_wp_names[NUMA_WP_NONE],
                .note = "scan without a target node (no migration), then one write per page",
                .setup = nh_setup, .op = nh_op, .arg = &arg,
            };
            kbench_measure(b, &c);
        }
        mm_destroy(mm);
        params_restore(&saved);
    }
    params_restore(&saved);
}
KBENCH(numa_hint, 40, KBENCH_DEFAULT,
       "NUMA hinting scan + first write per page: write policy none/savedwrite/can_change");

/* ------------------------------------------------------------ numa_migrate */
struct nm_arg {
    struct mm *mm;
    uint64_t pages, folio_pages;
    int target;
};

static int nm_setup(void *arg)
{
    /* Alternate: every repetition moves the range to the other node. */
    struct nm_arg *a = arg;
    struct page *p = mm_page_at(a->mm, BENCH_MM_VA);
    if (!p)
        return -1;
    a->target = p->node == 0 ? 1 : 0;
    return 0;
}

static int nm_op(void *arg)
{
    struct nm_arg *a = arg;
    for (uint64_t i = 0; i < a->pages; i += a->folio_pages) {
        int r = mm_migrate(a->mm, BENCH_MM_VA + i * PAGE_SIZE, a->target);
        if (r != 0)
            return r;
    }
    return 0;
}

static void numa_migrate_run(struct kbench_ctx *b)
{
    uint64_t pages = b->quick ? 16 : 64;
    char params[96];
    snprintf(params, sizeof(params), "\"size_kib\":%llu,\"op\":\"migrate\"",
             (unsigned long long)(pages * PAGE_SIZE / 1024));
    if (palloc_nr_nodes() < 2) {
        kbench_unavailable(b, "folio-4k,folio-64k", params,
                           "one NUMA node (boot QEMU with two -numa node options)");
        return;
    }
    for (unsigned order = 0; order <= 4; order += 4) {
        struct mm *mm = populated_mm(pages, order);
        if (!mm) {
            kbench_note(b, "error: cannot populate the range");
            b->failed++;
            continue;
        }
        struct nm_arg arg = { mm, pages, 1ULL << order, 1 };
        struct kbench_case c = {
            .variant = folio_variant(order), .params = params, .unit = "page", .per = pages,
            .baseline = order ? "folio-4k" : NULL,
            .note = "mm_migrate of every folio to the other node (alternating each repetition)",
            .setup = nm_setup, .op = nm_op, .arg = &arg,
        };
        kbench_measure(b, &c);
        mm_destroy(mm);
    }
}
KBENCH(numa_migrate, 41, 0, "folio migration between NUMA nodes, per page (needs 2 nodes)");

/* ------------------------------------------------------------ fault_roundtrip */
/* The exception path alone: a read of page 0 (never mapped) through the
 * probe accessor faults, the mm handler declines at once (no address space
 * of its own there), the probe's fixup resumes the access with an error.
 * Entry, syndrome decode, dispatch, fixup lookup and return: what every
 * fault pays before the mm does anything. */
#define FR_FAULTS 64

static int fr_op(void *arg)
{
    (void)arg;
    uint64_t val;
    for (unsigned i = 0; i < FR_FAULTS; i++)
        if (probe_read64((const volatile void *)(uintptr_t)8, &val) == 0)
            return -1;      /* page 0 mapped after all */
    return 0;
}

static void fault_roundtrip_run(struct kbench_ctx *b)
{
    struct kbench_case c = {
        .variant = "fixup", .params = "\"op\":\"read-unmapped\"", .unit = "fault", .per = FR_FAULTS,
        .note = "probe read of page 0: exception entry, decode, dispatch (declined), fixup, return",
        .op = fr_op,
    };
    kbench_measure(b, &c);
}
KBENCH(fault_roundtrip, 45, KBENCH_DEFAULT, "a minimal fault round trip: fault, fix-up, resume");

/* ------------------------------------------------------------ anon_fault */
struct af_arg {
    struct mm *mm;
    uint64_t pages;
    unsigned order;
};

static int af_setup(void *arg)
{
    struct af_arg *a = arg;
    a->mm = mm_create();
    if (!a->mm || mm_map(a->mm, BENCH_MM_VA, a->pages * PAGE_SIZE, VM_READ | VM_WRITE) != 0)
        return -1;
    mm_params.anon_order = a->order;
    mm_activate(a->mm);
    return 0;
}

/* The measured first write to each of `pages` pages from BENCH_MM_VA, through
 * the real MMU (each may fault); -1 if one is not resolved. */
static int write_every_page(uint64_t pages)
{
    for (uint64_t i = 0; i < pages; i++)
        if (probe_write64((volatile void *)(uintptr_t)(BENCH_MM_VA + i * PAGE_SIZE), i) != 0)
            return -1;
    return 0;
}

static int af_op(void *arg)
{
    struct af_arg *a = arg;
    return write_every_page(a->pages);
}

static void af_teardown(void *arg)
{
    struct af_arg *a = arg;
    mm_activate(NULL);
    if (a->mm)
        mm_destroy(a->mm);
    a->mm = NULL;
}

static void anon_fault_run(struct kbench_ctx *b)
{
    struct saved_params saved;
    params_save(&saved);
    uint64_t pages = b->quick ? 16 : 256;
    char params[64];
    snprintf(params, sizeof(params), "\"size_kib\":%llu,\"op\":\"first-write\"",
             (unsigned long long)(pages * PAGE_SIZE / 1024));
    for (unsigned order = 0; order <= 4; order += 4) {
        struct af_arg arg = { NULL, pages, order };
        struct kbench_case c = {
            .variant = folio_variant(order), .params = params, .unit = "page", .per = pages,
            .baseline = order ? "folio-4k" : NULL,
            .note = order ? "mm_params.anon_order=4: one fault maps a 64 KiB folio"
                          : "mm_params.anon_order=0",
            .setup = af_setup, .op = af_op, .teardown = af_teardown, .arg = &arg,
        };
        kbench_measure(b, &c);
        params_restore(&saved);
    }
    params_restore(&saved);
}
KBENCH(anon_fault, 50, KBENCH_DEFAULT, "anonymous first-touch write faults per page, 4K vs 64K folios");

/* ------------------------------------------------------- uffd_unprotect */
/* The access/write hints of userfaultfd unprotect (the thread's "an old,
 * clean writable PTE costs an A/D update or fault at first access"): pages
 * written, write-protected, aged (old and clean, as after writeback), then
 * the measured op: unprotect the range and write every page once. With
 * software A/D (arm64 hwad=off, riscv Svade) each missing bit is a fault. */
struct uu_arg {
    struct mm *mm;
    uint64_t pages;
    unsigned hints;
};

static int uu_setup(void *arg)
{
    struct uu_arg *a = arg;
    mm_params.anon_order = 0;
    a->mm = mm_create();
    uint64_t len = a->pages * PAGE_SIZE;
    if (!a->mm || mm_map(a->mm, BENCH_MM_VA, len, VM_READ | VM_WRITE) != 0)
        return -1;
    mm_activate(a->mm);
    if (write_pages(a->mm, BENCH_MM_VA, a->pages, 1) != 0 || mm_uffd_wp(a->mm, BENCH_MM_VA, len, true) != 0)
        return -1;
    for (uint64_t i = 0; i < a->pages; i++) {
        uint64_t va = BENCH_MM_VA + i * PAGE_SIZE;
        pte_t *p = mm_pte_ptr(a->mm, va, false);
        pte_t o = pte_get_and_clear(p);
        flush_tlb_range(a->mm->pt.asid, va, va + PAGE_SIZE, PAGE_SIZE, true);
        mm_set_pte_new(a->mm, p, va, pte_mkold(pte_mkclean(o)));
    }
    rule_check_op_end("age");
    return 0;
}

static int uu_op(void *arg)
{
    struct uu_arg *a = arg;
    if (mm_uffd_writeprotect(a->mm, BENCH_MM_VA, a->pages * PAGE_SIZE, false, a->hints) != 0)
        return -1;
    return write_every_page(a->pages);
}

static void uu_teardown(void *arg)
{
    struct uu_arg *a = arg;
    mm_activate(NULL);
    if (a->mm)
        mm_destroy(a->mm);
    a->mm = NULL;
}

static void uffd_unprotect_run(struct kbench_ctx *b)
{
    struct saved_params saved;
    params_save(&saved);
    uint64_t pages = b->quick ? 16 : 128;
    char params[64];
    snprintf(params, sizeof(params), "\"size_kib\":%llu,\"op\":\"unprotect+first-write\"",
             (unsigned long long)(pages * PAGE_SIZE / 1024));
    static const struct { const char *name; unsigned hints; } v[] = {
        { "no-hints", 0 }, { "access-likely", UFFD_HINT_ACCESS_LIKELY },
        { "access+write-likely", UFFD_HINT_ACCESS_LIKELY | UFFD_HINT_WRITE_LIKELY },
    };
    const char *note = mmu_caps.hw_af ? "hardware A/D: the bits cost no fault here (QEMU models no A/D update cost)"
                                      : "software A/D: each missing young/dirty bit is a fault";
    for (unsigned i = 0; i < ARRAY_SIZE(v); i++) {
        struct uu_arg arg = { NULL, pages, v[i].hints };
        struct kbench_case c = {
            .variant = v[i].name, .params = params, .unit = "page", .per = pages,
            .baseline = i ? "no-hints" : NULL, .note = note,
            .setup = uu_setup, .op = uu_op, .teardown = uu_teardown, .arg = &arg,
        };
        kbench_measure(b, &c);
        params_restore(&saved);
    }
    params_restore(&saved);
}
KBENCH(uffd_unprotect, 55, 0, "userfaultfd unprotect + first write per page, with and without access/write hints");

/* ------------------------------------------------------------ fork_cow */
struct fc_arg {
    struct mm *parent, *child;
    uint64_t pages;
    unsigned order;
    bool cow_phase;
};

/* A fresh parent for every repetition: after a child goes away the
 * parent's pages stay write-protected (and a large folio would be copied
 * apart by the next write), so reusing it would not measure a fork of a
 * freshly written address space. */
static int fc_setup(void *arg)
{
    struct fc_arg *a = arg;
    a->parent = populated_mm(a->pages, a->order);
    if (!a->parent)
        return -1;
    if (a->cow_phase) {
        a->child = mm_fork(a->parent);
        if (!a->child)
            return -1;
        mm_activate(a->child);
    }
    return 0;
}

static int fc_op(void *arg)
{
    struct fc_arg *a = arg;
    if (!a->cow_phase) {
        a->child = mm_fork(a->parent);
        return a->child ? 0 : -1;
    }
    return write_every_page(a->pages);
}

static void fc_teardown(void *arg)
{
    struct fc_arg *a = arg;
    mm_activate(NULL);
    if (a->child)
        mm_destroy(a->child);
    if (a->parent)
        mm_destroy(a->parent);
    a->child = a->parent = NULL;
}

static void fork_cow_run(struct kbench_ctx *b)
{
    uint64_t pages = b->quick ? 16 : 256;
    for (int phase = 0; phase < 2; phase++) {
        char params[64];
        snprintf(params, sizeof(params), "\"size_kib\":%llu,\"phase\":\"%s\"",
                 (unsigned long long)(pages * PAGE_SIZE / 1024), phase ? "cow-write" : "fork");
        for (unsigned order = 0; order <= 4; order += 4) {
            struct fc_arg arg = { NULL, NULL, pages, order, phase == 1 };
            struct kbench_case c = {
                .variant = folio_variant(order), .params = params, .unit = "page", .per = pages,
                .baseline = order ? "folio-4k" : NULL,
                .note = phase ? "first write to every page in the child (copy-on-write)"
                              : "mm_fork of a freshly written address space",
                .setup = fc_setup, .op = fc_op, .teardown = fc_teardown, .arg = &arg,
            };
            kbench_measure(b, &c);
        }
    }
}
KBENCH(fork_cow, 60, KBENCH_DEFAULT, "fork and copy-on-write first writes per page, 4K vs 64K folios");
