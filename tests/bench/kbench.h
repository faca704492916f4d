/*
 * In-kernel benchmark harness (see bench.c for the benchmark list).
 *
 * A benchmark is a function registered with KBENCH(); it measures one or
 * more cases (variant x params) with kbench_measure(), which runs warm-up
 * repetitions, then N measured ones, and prints one `BENCH {json}` line per
 * case (schema 1, read by tools/benchread.py):
 *
 *   static int my_op(void *arg) { ... return 0; }            // timed
 *   static void mybench_run(struct kbench_ctx *b)
 *   {
 *       struct kbench_case c = { .variant = "v", .params = "\"pages\":16",
 *                                .unit = "page", .per = 16, .op = my_op };
 *       kbench_measure(b, &c);
 *   }
 *   KBENCH(mybench, 50, KBENCH_DEFAULT, "what it measures");
 *
 * Benchmarks run in the order of their priority prefix (two digits).
 */
#ifndef TESTS_BENCH_KBENCH_H
#define TESTS_BENCH_KBENCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mmu/events.h"

enum {
    KBENCH_DEFAULT = 1,     /* part of bench=default (make run) */
};

struct kbench_ctx;
struct kbench {
    const char *name;
    const char *desc;
    unsigned flags;
    void (*run)(struct kbench_ctx *b);
};

#define KBENCH(ident, prio, flags_, desc_)                                       \
    static const struct kbench ident##_kbench = {                                \
        .name = #ident, .desc = desc_, .flags = flags_, .run = ident##_run };   \
    static const struct kbench *const ident##_kbench_ptr                         \
        __attribute__((section(".kbench." #prio "_" #ident), used)) = &ident##_kbench

/* One measured case. `op` runs once per repetition between the counter
 * reads; setup/teardown run around it, outside the window. op == NULL
 * measures the counter reads back to back (the harness's own overhead). */
struct kbench_case {
    const char *variant;
    const char *baseline;       /* variant compared against, NULL = none */
    const char *params;         /* JSON object members without braces ("" = none) */
    const char *unit;           /* what `per` counts: "page", "op", "read" */
    uint64_t per;               /* units per operation (> 0) */
    const char *note;           /* optional, printed in "note" */
    int (*setup)(void *arg);    /* nonzero: the case fails (teardown still runs) */
    int (*op)(void *arg);       /* nonzero: the case fails */
    void (*teardown)(void *arg);
    void *arg;
};

/* What one emitted case measured (kept for the self-tests). */
struct kbench_stats { uint64_t min, median, max; };
struct kbench_result {
    const char *bench;
    char variant[32];
    char params[128];
    uint64_t per;
    unsigned reps;
    struct kbench_stats cycles, instructions, time_ns;
    struct ev_snapshot events;      /* deltas of the median repetition */
    char line[1536];                /* the JSON object as printed */
};

struct kbench_ctx {
    const struct kbench *bench;
    unsigned reps, warmup;
    bool quick;                     /* tiny sizes (self-tests) */
    bool test_mode;                 /* print "# BENCH-TEST {json}" instead of "BENCH {json}" */
    unsigned emitted, failed, unavailable;
    /* Optional sink for results (self-tests): up to max_results kept. */
    struct kbench_result *results;
    unsigned max_results, nresults;
};

/* Measure and print one case. Returns 0, or -1 if setup/op failed (a
 * "# bench ...: error" line is printed instead of a result). */
int kbench_measure(struct kbench_ctx *b, const struct kbench_case *c);
/* The marginal cost of one operation between two sizes: measure `small`
 * and `large` (the same operation over small->per and large->per units),
 * print one line for `out` (variant, params, unit, baseline, note; its per
 * is ignored) whose figures are large minus small over
 * large->per - small->per units. Fixed costs (the call, the final flush,
 * the walk down to the first table) cancel, so the per-unit figure
 * compares one to one with another kernel's slope. Events are differences
 * too (0 where the small size had more). 0, or -1 after an error line. */
int kbench_measure_slope(struct kbench_ctx *b, const struct kbench_case *small,
                         const struct kbench_case *large, const struct kbench_case *out);
/* Report a variant that this machine or boot cannot run (a comment line). */
void kbench_unavailable(struct kbench_ctx *b, const char *variant, const char *params,
                        const char *why);
/* A "# bench <name>: ..." comment line. */
void kbench_note(struct kbench_ctx *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Profiler markers (tools/profile.py): called around each timed operation,
 * after each measured case and before each printed result. */
void kbench_profile_op_begin(void);
void kbench_profile_op_end(void);
void kbench_profile_case_end(void);
void kbench_profile_emit(void);

/* Registered benchmarks. */
extern const struct kbench *const __kbench_start[], *const __kbench_end[];
const struct kbench *kbench_find(const char *name);
/* Run one benchmark with an explicit context (self-tests). */
void kbench_run_one(struct kbench_ctx *b, const struct kbench *k);

/* Address-space identifiers and VA windows the benchmarks use for their own
 * page tables (never handed out by the mm core's allocator, which starts low). */
#define KBENCH_ASID         201
#if UINTPTR_MAX == 0xffffffffu
#define KBENCH_VA           0xc0000000ULL       /* 32-bit arm: MM_VA_BASE + 1 GiB */
#else
#define KBENCH_VA           0x2800000000ULL     /* MM_VA_BASE + 32 GiB */
#endif
#endif
