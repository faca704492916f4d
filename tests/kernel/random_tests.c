/*
 * Randomized mm test checked against a reference model (tests/model/):
 * the KTAP cases around the shared core (tests/model/random_core.c, also
 * run on the host by tests/host/test_mm_random.c under a simulated MMU).
 *
 * Thousands of random operations (map, unmap, read, write, fork, mprotect,
 * soft-dirty clearing, NUMA scan, migration, mm_params changes) run on up to
 * three address spaces over a small region at MM_VA_BASE, every access
 * through the real MMU; see random_core.c for the checks.
 * Boot arguments: seed=N (printed, replays a run), steps=N (per case).
 */
#include "boot/kernel.h"
#include "boot/bootargs.h"
#include "tests/kernel/ktest.h"
#include "tests/model/random_core.h"
/* The Makefile builds tests/kernel/ only: the model and the core are compiled in here. */
#include "tests/model/model.c"
#include "tests/model/random_core.c"

static struct rt_result rt_res;

static void run(struct ktest *t, enum rt_mode mode, unsigned case_no)
{
    uint64_t seed = bootarg_number("seed", RT_DEFAULT_SEED);
    unsigned steps = (unsigned)bootarg_number("steps", RT_DEFAULT_STEPS);
    ktest_log("seed=%llu steps=%u (replay: seed=%llu steps=%u test=mm_random.%s)",
              (unsigned long long)seed, steps, (unsigned long long)seed, steps, t->name);
    rt_run(mode, case_no, seed, steps, &rt_res);
    KEXPECT(t, !rt_res.failed, "step %u, %s: %s", rt_res.fail_step, rt_res.fail_op, rt_res.fail_msg);
    KEXPECT_EQ(t, rt_res.free_after, rt_res.free_before);
}

static void random_small_folios(struct ktest *t) { run(t, RT_SMALL, 0); }
static void random_large_folios(struct ktest *t) { run(t, RT_LARGE, 1); }
static void random_mixed(struct ktest *t) { run(t, RT_MIXED, 2); }

static const struct ktest_case mm_random_cases[] = {
    KTEST_CASE(random_small_folios),
    KTEST_CASE(random_large_folios),
    KTEST_CASE(random_mixed),
};
KTEST_SUITE(mm_random, 60);
