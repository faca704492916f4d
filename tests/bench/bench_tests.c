/*
 * Self-tests of the benchmark harness and the benchmarks: every registered
 * benchmark runs once (reps=1, no warm-up, tiny sizes) with its output
 * routed to "# BENCH-TEST {json}" diagnostic lines, so a log reader never
 * takes them for a real run. The cases check that each result line is
 * well formed and that the event counts make sense (never the time).
 */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "mmu/events.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/ktest.h"
#include <asm/counters.h>

#define MAX_RESULTS 200
static struct kbench_result results[MAX_RESULTS];
static struct kbench_ctx ctx;
static bool all_ran;

/* ------------------------------------------------------------ lookups */
static const struct kbench_result *find(const char *bench, const char *variant, const char *params_sub)
{
    for (unsigned i = 0; i < ctx.nresults; i++) {
        const struct kbench_result *r = &results[i];
        if (strcmp(r->bench, bench) == 0 && strcmp(r->variant, variant) == 0 &&
            (!params_sub || strstr(r->params, params_sub)))
            return r;
    }
    return NULL;
}

static unsigned count_of(const char *bench)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ctx.nresults; i++)
        n += strcmp(results[i].bench, bench) == 0;
    return n;
}

static uint64_t ev(const struct kbench_result *r, enum mm_event e) { return r->events.v[e]; }
static uint64_t tlbi(const struct kbench_result *r) { return ev_tlbi_total(&r->events); }

/* ------------------------------------------------------------ line checks */
static bool has(const char *line, const char *what) { return strstr(line, what) != NULL; }

/* Balanced braces outside strings, printable ASCII only, one object. */
static const char *json_shape(const char *s)
{
    int depth = 0;
    bool in_str = false;
    if (*s != '{')
        return "does not start with '{'";
    for (const char *p = s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e)
            return "control or non-ASCII character";
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
            continue;
        }
        if (*p == '"')
            in_str = true;
        else if (*p == '{')
            depth++;
        else if (*p == '}' && --depth == 0 && p[1])
            return "text after the closing brace";
        else if (*p == '.')
            return "a '.' outside strings (floating point?)";
    }
    return in_str ? "unterminated string" : depth ? "unbalanced braces" : NULL;
}

static void check_line(struct ktest *t, const struct kbench_result *r)
{
    const char *l = r->line;
    char want[160];
    const char *shape = json_shape(l);
    KEXPECT(t, shape == NULL, "%s/%s: %s", r->bench, r->variant, shape ? shape : "");
    snprintf(want, sizeof(want), "{\"schema\":1,\"name\":\"%s\",\"arch\":\"%s\",", r->bench, arch_name);
    KEXPECT(t, strncmp(l, want, strlen(want)) == 0, "%s: line starts %.60s", r->bench, l);
    snprintf(want, sizeof(want), "\"variant\":\"%s\",\"params\":{%s},\"reps\":1,", r->variant, r->params);
    KEXPECT(t, has(l, want), "%s/%s: no %s", r->bench, r->variant, want);
    static const char *const fields[] = {
        "\"machine\":\"", "\"cpu\":\"", "\"icount\":", "\"counters\":{\"cycles\":\"" COUNTER_CYCLES_NAME
        "\",\"instructions\":\"" COUNTER_INSTR_NAME "\",\"time\":\"" COUNTER_TIME_NAME "\"}",
        "\"cycles\":", "\"instructions\":", "\"time_ns\":", "\"events\":{", "\"per\":{\"unit\":\"",
    };
    for (unsigned i = 0; i < ARRAY_SIZE(fields); i++)
        KEXPECT(t, has(l, fields[i]), "%s/%s: no %s", r->bench, r->variant, fields[i]);
    for (int e = 0; e < EV_COUNT; e++) {
        snprintf(want, sizeof(want), "\"%s\":%llu", mm_event_names[e],
                 (unsigned long long)r->events.v[e]);
        KEXPECT(t, has(l, want), "%s/%s: no %s", r->bench, r->variant, want);
    }
    snprintf(want, sizeof(want), "\"count\":%llu", (unsigned long long)r->per);
    KEXPECT(t, r->per > 0 && has(l, want), "%s/%s: per.count", r->bench, r->variant);
    /* A baseline must name a variant reported with the same params. */
    const char *b = strstr(l, "\"baseline\":\"");
    if (b) {
        char base[32];
        size_t n = 0;
        for (b += 12; *b && *b != '"' && n < sizeof(base) - 1; b++)
            base[n++] = *b;
        base[n] = '\0';
        const struct kbench_result *br = NULL;
        for (unsigned i = 0; i < ctx.nresults && !br; i++)
            if (strcmp(results[i].bench, r->bench) == 0 && strcmp(results[i].variant, base) == 0 &&
                strcmp(results[i].params, r->params) == 0)
                br = &results[i];
        KEXPECT(t, br != NULL, "%s/%s {%s}: baseline %s not reported", r->bench, r->variant,
                r->params, base);
    }
}

/* ------------------------------------------------------------ cases */
static void every_benchmark_runs(struct ktest *t)
{
    memset(&ctx, 0, sizeof(ctx));
    ctx.reps = 1;
    ctx.warmup = 0;
    ctx.quick = true;
    ctx.test_mode = true;
    ctx.results = results;
    ctx.max_results = MAX_RESULTS;
    unsigned n = 0;
    for (const struct kbench *const *p = __kbench_start; p < __kbench_end; p++, n++) {
        unsigned e0 = ctx.emitted, f0 = ctx.failed, u0 = ctx.unavailable;
        kbench_run_one(&ctx, *p);
        KEXPECT(t, ctx.failed == f0, "%s: %u case(s) failed", (*p)->name, ctx.failed - f0);
        KEXPECT(t, ctx.emitted > e0 || ctx.unavailable > u0, "%s: no result and no reason",
                (*p)->name);
    }
    KEXPECT(t, n >= 9, "only %u benchmarks registered", n);
    KEXPECT(t, ctx.nresults == ctx.emitted, "results kept %u of %u (raise MAX_RESULTS)",
            ctx.nresults, ctx.emitted);
    all_ran = true;
}

static bool need_results(struct ktest *t)
{
    if (!all_ran) {
        ktest_skip(t, "every_benchmark_runs did not run");
        return false;
    }
    return true;
}

static void lines_well_formed(struct ktest *t)
{
    if (!need_results(t))
        return;
    for (unsigned i = 0; i < ctx.nresults; i++) {
        check_line(t, &results[i]);
        /* The reader keys results by (name, variant, params): no duplicates. */
        for (unsigned k = 0; k < i; k++)
            KEXPECT(t, strcmp(results[i].bench, results[k].bench) || strcmp(results[i].variant, results[k].variant) ||
                       strcmp(results[i].params, results[k].params),
                    "%s/%s {%s} reported twice", results[i].bench, results[i].variant,
                    results[i].params);
    }
}

static void selection_and_registry(struct ktest *t)
{
    static const char *const names[] = { "overhead", "tlb_raw", "first_access", "mprotect",
                                         "mprotect_full", "numa_hint", "numa_migrate",
                                         "anon_fault", "fork_cow", "mprotect_slope",
                                         "fault_roundtrip" };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
        KEXPECT(t, kbench_find(names[i]) != NULL, "%s not registered", names[i]);
    KEXPECT(t, kbench_find("nonexistent") == NULL);
    /* bench= globs use the shared matcher. */
    KEXPECT(t, glob_match_list("mprotect*", "mprotect_full"));
    KEXPECT(t, glob_match_list("tlb_raw,anon*", "anon_fault"));
    KEXPECT(t, !glob_match_list("mprotect", "mprotect_full"));
}

static void overhead_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *r = find("overhead", "back-to-back", NULL);
    KASSERT(t, r != NULL);
    for (int e = 0; e < EV_COUNT; e++)
        KEXPECT_EQ(t, r->events.v[e], 0);
    KEXPECT(t, find("overhead", "empty-op", NULL) != NULL);
}

static void tlb_raw_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *pp = find("tlb_raw", "per-page", "\"pages\":16,");
    const struct kbench_result *pb = find("tlb_raw", "unsafe-per-block", "\"pages\":16,");
    const struct kbench_result *rg = find("tlb_raw", "range", "\"pages\":16,");
    const struct kbench_result *as = find("tlb_raw", "asid", "\"pages\":16,");
    const struct kbench_result *one = find("tlb_raw", "per-page", "\"pages\":1,");
    const struct kbench_result *bar = find("tlb_raw", "pre+post", NULL);
    KASSERT(t, pp && as && one && bar);
    KEXPECT_EQ(t, ev(pp, EV_TLBI_PAGE), 16);
    KEXPECT_EQ(t, ev(one, EV_TLBI_PAGE), 1);
    KEXPECT_EQ(t, ev(as, EV_TLBI_ASID), 1);
    KEXPECT_EQ(t, tlbi(as), 1);
    KEXPECT_EQ(t, ev(pp, EV_PTE_STORE), 0);
    if (mmu_caps.cont) {
        KASSERT(t, pb != NULL);
        KEXPECT_EQ(t, ev(pb, EV_TLBI_PAGE), 1);
    }
    if (mmu_caps.tlbi_range) {
        KASSERT(t, rg != NULL);
        KEXPECT(t, ev(rg, EV_TLBI_RANGE) >= 1 && tlbi(rg) < tlbi(pp), "range: %llu invalidates",
                (unsigned long long)tlbi(rg));
    } else if (mmu_caps.svinval) {
        KASSERT(t, rg != NULL);
        KEXPECT_EQ(t, ev(rg, EV_TLBI_SINVAL), 16);
        KEXPECT_EQ(t, ev(rg, EV_TLBI_PAGE), 0);
    } else {
        KEXPECT(t, rg == NULL, "range reported without range operations");
    }
#ifdef __aarch64__
    KEXPECT_EQ(t, ev(bar, EV_BARRIER), 3);      /* dsb ishst; dsb ish; isb */
#elif defined(__arm__)
    /* dsb ishst; (bpiallis where ID_MMFR1.BPred asks for it;) dsb ish; isb */
    KEXPECT_EQ(t, ev(bar, EV_BARRIER), mmu_caps.bp_maintenance ? 4 : 3);
#else
    KEXPECT_EQ(t, ev(bar, EV_BARRIER), 0);      /* sfence.vma orders itself */
#endif
}

static void first_access_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *pre = find("first_access", "preset", NULL);
    const struct kbench_result *hw = find("first_access", "hw-ad", NULL);
    const struct kbench_result *sw = find("first_access", "sw-fault", NULL);
    KASSERT(t, pre != NULL);
    KEXPECT(t, hw || sw, "neither hw-ad nor sw-fault ran");
    KEXPECT_EQ(t, ev(pre, EV_FAULT_RESOLVED), 0);
    KEXPECT_EQ(t, ev(pre, EV_PTE_STORE), 0);
    if (hw && mmu_caps.hw_dirty_avail)
        KEXPECT_EQ(t, ev(hw, EV_FAULT_RESOLVED), 0);
    if (sw) {
        KEXPECT(t, ev(sw, EV_FAULT_RESOLVED) >= sw->per, "sw-fault: %llu faults for %llu pages",
                (unsigned long long)ev(sw, EV_FAULT_RESOLVED), (unsigned long long)sw->per);
#if defined(__aarch64__) || defined(__arm__)
        KEXPECT_EQ(t, ev(sw, EV_FAULT_ACCESS_FLAG), sw->per);
        KEXPECT_EQ(t, ev(sw, EV_FAULT_PERMISSION), sw->per);
#endif
    }
}

/* Per-policy invalidate counts of one mprotect call over N pages. */
static void mprotect_checks(struct ktest *t, const char *bench)
{
    unsigned checked = 0;
    for (unsigned i = 0; i < ctx.nresults; i++) {
        const struct kbench_result *r = &results[i];
        if (strcmp(r->bench, bench) != 0)
            continue;
        uint64_t n = r->per;
        checked++;
        KEXPECT(t, ev(r, EV_PTE_STORE) >= n, "%s/%s {%s}: %llu PTE stores for %llu pages", bench,
                r->variant, r->params, (unsigned long long)ev(r, EV_PTE_STORE), (unsigned long long)n);
        KEXPECT_EQ(t, ev(r, EV_FAULT_RESOLVED), 0);
        /* per-page: at least one invalidate per page; the unsafe what-if: per 64 KiB. */
        uint64_t min_page_tlbi = strncmp(r->variant, "per-page", 8) == 0           ? n
                                 : strncmp(r->variant, "unsafe-per-block", 16) == 0 ? n / CONT_PTES
                                                                                   : 0;
        KEXPECT(t, ev(r, EV_TLBI_PAGE) >= min_page_tlbi,
                "%s/%s {%s}: %llu page invalidates for %llu pages", bench, r->variant, r->params,
                (unsigned long long)ev(r, EV_TLBI_PAGE), (unsigned long long)n);
        if (strncmp(r->variant, "asid", 4) == 0) {
            KEXPECT_EQ(t, ev(r, EV_TLBI_ASID), 1);
            KEXPECT_EQ(t, tlbi(r), 1);
        }
        if (strncmp(r->variant, "range", 5) == 0) {
            KEXPECT_EQ(t, ev(r, EV_TLBI_PAGE), 0);
            if (mmu_caps.tlbi_range)
                KEXPECT(t, tlbi(r) >= 1 && tlbi(r) < n, "%s/%s {%s}: %llu invalidates", bench,
                        r->variant, r->params, (unsigned long long)tlbi(r));
        }
    }
    /* 2 folio sizes x 2 directions x the policies this machine has. */
    unsigned policies = (mmu_caps.tlbi_range || mmu_caps.svinval) ? 5 : 4;
    unsigned want = 2 * 2 * policies * (mmu_caps.cont ? 2 : 1);
    KEXPECT(t, checked == want, "%s: %u results, expected %u", bench, checked, want);
}

static void mprotect_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    mprotect_checks(t, "mprotect");
    mprotect_checks(t, "mprotect_full");
}

/* The marginal figures: one line per folio size, direction and variant,
 * over the extra pages, each of which changes (a PTE store at least). */
static void mprotect_slope_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    unsigned n = 0;
    for (unsigned i = 0; i < ctx.nresults; i++) {
        const struct kbench_result *r = &results[i];
        if (strcmp(r->bench, "mprotect_slope") != 0)
            continue;
        n++;
        KEXPECT_EQ(t, r->per, 48);      /* quick: 256 KiB - 64 KiB */
        KEXPECT(t, strstr(r->params, "\"from_kib\":64,\"to_kib\":256,") != NULL, "%s", r->params);
        KEXPECT(t, ev(r, EV_PTE_STORE) >= r->per, "%s {%s}: %llu PTE stores", r->variant, r->params,
                (unsigned long long)ev(r, EV_PTE_STORE));
        KEXPECT_EQ(t, ev(r, EV_FAULT_RESOLVED), 0);
        KEXPECT(t, r->instructions.min <= r->instructions.median &&
                   r->instructions.median <= r->instructions.max);
    }
    KEXPECT_EQ(t, n, 2 * 2 * (mmu_caps.cont ? 2 : 1));
}

static void numa_hint_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *none = find("numa_hint", "none", "\"folio_kib\":4,");
    const struct kbench_result *cc = find("numa_hint", "can_change", "\"folio_kib\":4,");
    const struct kbench_result *sw = find("numa_hint", "savedwrite", "\"folio_kib\":4,");
    const struct kbench_result *cc64 = find("numa_hint", "can_change", "\"folio_kib\":64,");
    KASSERT(t, none && cc && sw && cc64);
    /* One hint fault per page; policy none adds a write fault per page. */
    KEXPECT_EQ(t, ev(cc, EV_FAULT_RESOLVED), cc->per);
    KEXPECT_EQ(t, ev(sw, EV_FAULT_RESOLVED), sw->per);
    KEXPECT_EQ(t, ev(none, EV_FAULT_RESOLVED), 2 * none->per);
    /* A 64 KiB folio is rebuilt whole by its first hint fault. */
    KEXPECT(t, ev(cc64, EV_FAULT_RESOLVED) >= 1 && ev(cc64, EV_FAULT_RESOLVED) < cc64->per,
            "%llu faults", (unsigned long long)ev(cc64, EV_FAULT_RESOLVED));
    /* valid -> protnone needs invalidating. */
    KEXPECT(t, tlbi(cc) >= 1);
}

static void numa_migrate_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    if (palloc_nr_nodes() < 2) {
        KEXPECT_EQ(t, count_of("numa_migrate"), 0);
        ktest_skip(t, "one NUMA node");
        return;
    }
    const struct kbench_result *m4 = find("numa_migrate", "folio-4k", NULL);
    const struct kbench_result *m64 = find("numa_migrate", "folio-64k", NULL);
    KASSERT(t, m4 && m64);
    KEXPECT(t, tlbi(m4) >= 1 && tlbi(m64) >= 1);
    KEXPECT(t, ev(m4, EV_PTE_STORE) >= 2 * m4->per, "break and make: 2 stores per page");
}

static void fault_roundtrip_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *r = find("fault_roundtrip", "fixup", NULL);
    KASSERT(t, r != NULL);
    /* Every fault taken, none resolved, nothing written. */
    uint64_t faults = ev(r, EV_FAULT_TRANSLATION) + ev(r, EV_FAULT_PAGE);
    KEXPECT_EQ(t, faults, r->per);
    KEXPECT_EQ(t, ev(r, EV_FAULT_RESOLVED), 0);
    KEXPECT_EQ(t, ev(r, EV_PTE_STORE), 0);
}

static void anon_fault_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *a4 = find("anon_fault", "folio-4k", NULL);
    const struct kbench_result *a64 = find("anon_fault", "folio-64k", NULL);
    KASSERT(t, a4 && a64);
    KEXPECT_EQ(t, ev(a4, EV_FAULT_RESOLVED), a4->per);
    KEXPECT_EQ(t, ev(a64, EV_FAULT_RESOLVED), a64->per / CONT_PTES);
    KEXPECT_EQ(t, tlbi(a4), 0);     /* invalid -> valid: no broadcast invalidate */
    KEXPECT_EQ(t, tlbi(a64), 0);
}

static void fork_cow_counts(struct ktest *t)
{
    if (!need_results(t))
        return;
    const struct kbench_result *f4 = find("fork_cow", "folio-4k", "\"fork\"");
    const struct kbench_result *f64 = find("fork_cow", "folio-64k", "\"fork\"");
    const struct kbench_result *c4 = find("fork_cow", "folio-4k", "\"cow-write\"");
    const struct kbench_result *c64 = find("fork_cow", "folio-64k", "\"cow-write\"");
    KASSERT(t, f4 && f64 && c4 && c64);
    KEXPECT_EQ(t, ev(f4, EV_FAULT_RESOLVED), 0);
    KEXPECT(t, tlbi(f4) >= 1, "fork write-protects the parent: it must invalidate");
    KEXPECT(t, ev(f4, EV_PTE_STORE) >= 2 * f4->per, "parent and child entries");
    KEXPECT_EQ(t, ev(c4, EV_FAULT_RESOLVED), c4->per);
    KEXPECT(t, ev(c64, EV_FAULT_RESOLVED) >= 1);
}

static const struct ktest_case bench_cases[] = {
    KTEST_CASE(every_benchmark_runs),
    KTEST_CASE(lines_well_formed),
    KTEST_CASE(selection_and_registry),
    KTEST_CASE(overhead_counts),
    KTEST_CASE(tlb_raw_counts),
    KTEST_CASE(first_access_counts),
    KTEST_CASE(mprotect_counts),
    KTEST_CASE(mprotect_slope_counts),
    KTEST_CASE(numa_hint_counts),
    KTEST_CASE(numa_migrate_counts),
    KTEST_CASE(fault_roundtrip_counts),
    KTEST_CASE(anon_fault_counts),
    KTEST_CASE(fork_cow_counts),
};
KTEST_SUITE(bench, 90);
