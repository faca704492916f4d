/*
 * The randomized mm test (tests/model/random_core.c) on the host: the real
 * mm core on the simulated arm64 MMU of tests/host/fakearch/ (which also
 * catches stale TLB entries, accesses to freed pages and faults that never
 * resolve), under ASan/UBSan, over many seeds.
 *
 * Configurations: hardware A/D on with the default TLBI policy, hardware
 * A/D off, and every TLBI policy in turn. The first is what QEMU's
 * arm64-numa configuration (tests/qemu.conf: 2 nodes, like the host's two
 * arenas) runs: the same seed gives the same operations there (a failing
 * seed replays with seed=N steps=N test=mm_random.<case>). Two self-tests break the simulated hardware on purpose
 * and require the test to notice.
 * Built with -DSIM_RISCV (tests/host/mm_random_riscv.mk) the same runs use
 * the simulated riscv hart of tests/host/fakearch-riscv/ (Svinval on in
 * every other run) and add an Sv39 + Svade configuration with 16, 2 or no
 * ASID bits in turn (random_sv39).
 *
 * Environment: MM_RANDOM_SEED (first seed, default the kernel's),
 * MM_RANDOM_SEEDS (seeds per configuration and mode), MM_RANDOM_STEPS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/trap.h"
#include "mmu/mm.h"
#include "mmu/rule_check.h"
#include "mmu/tlb.h"
#include "tests/model/random_core.h"
#include "tests/host/fakearch/sim.h"

#define DEFAULT_SEEDS 5
#define DEFAULT_STEPS 10000   /* both simulators together: >= 1e6 random operations per make test */

#ifdef SIM_RISCV
/* riscv (tests/host/mm_random_riscv.mk): the satp mode of the runs
 * (random_sv39 switches it, and the ASID width in turn); Svinval on in
 * every other run. Both by seed and case, so that a replay gets the same. */
static int riscv_va_bits = 48;
#define QEMU_CONFIG "riscv64-numa, if Sv48 svinval=on hwad=on tlbi=auto"
#else
#define QEMU_CONFIG "arm64-numa, if hwad=on tlbi=auto"
#endif

static uint64_t env_num(const char *name, uint64_t def)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : def;
}

static const char *const case_names[3] = { "random_small_folios", "random_large_folios", "random_mixed" };
static struct rt_result res;
static uint64_t total_steps;

/* One run; true if it passed. `expect_fail` runs stay quiet about replays. */
static bool one_run(enum rt_mode mode, uint64_t seed, unsigned steps, const char *config)
{
    host_reset_failures();
    rule_check_reset();
    rule_check_on = true;
    trap_reset_faults();
    rt_run(mode, (unsigned)mode, seed, steps, &res);
    rule_check_op_end("test case");
    rule_check_on = false;
    total_steps += res.steps_run;
    bool ok = !res.failed && host_failures == 0 && res.free_after == res.free_before;
    if (!ok)
        printf("        # FAILED [%s] %s: replay on the host: MM_RANDOM_SEED=%llu MM_RANDOM_SEEDS=1 "
               "MM_RANDOM_STEPS=%u; in QEMU (config " QEMU_CONFIG "): seed=%llu steps=%u "
               "test=mm_random.%s\n", config, res.failed ? res.fail_msg : host_failures ? host_first_failure
               : "free pages changed", (unsigned long long)seed, steps, (unsigned long long)seed, steps,
               case_names[mode]);
    return ok;
}

static void run_config(bool hw_ad, int policy)
{
    uint64_t seed0 = env_num("MM_RANDOM_SEED", RT_DEFAULT_SEED);
    unsigned nseeds = (unsigned)env_num("MM_RANDOM_SEEDS", DEFAULT_SEEDS);
    unsigned steps = (unsigned)env_num("MM_RANDOM_STEPS", DEFAULT_STEPS);
    unsigned failed = 0;
    memset(&sim_stats, 0, sizeof(sim_stats));
    sim_set_hw_ad(hw_ad);
    for (unsigned i = 0; i < nseeds; i++)
        for (int mode = RT_SMALL; mode <= RT_MIXED; mode++) {
            tlb_params_default();
            /* Every policy but the unsafe what-if (which must fail: below). */
            static const int safe[] = { TLBI_AUTO, TLBI_PER_PAGE, TLBI_RANGE, TLBI_ASID };
            int p = policy >= 0 ? policy : safe[(i * 3 + (unsigned)mode) % 4];
            tlb_params.policy = (enum tlbi_policy)p;
            char config[80];
#ifdef SIM_RISCV
            bool svinval = ((seed0 + i + (unsigned)mode) & 1) != 0;
            static const unsigned widths[] = { 16, 2, 0 };
            unsigned asid_bits = riscv_va_bits == 39 ? widths[(seed0 + i + (unsigned)mode) % 3] : 16;
            sim_riscv_configure(riscv_va_bits, svinval, asid_bits);
            snprintf(config, sizeof(config), "Sv%d asid_bits=%u svinval=%s hwad=%s tlbi=%s", riscv_va_bits,
                     asid_bits, svinval ? "on" : "off", hw_ad ? "on" : "off", tlbi_policy_names[p]);
#else
            snprintf(config, sizeof(config), "hwad=%s tlbi=%s", hw_ad ? "on" : "off", tlbi_policy_names[p]);
#endif
            failed += !one_run((enum rt_mode)mode, seed0 + i, steps, config);
        }
    tlb_params_default();
    sim_set_hw_ad(true);
    printf("        # %u runs of %u steps: %u failed; sim: %llu accesses, %llu walks, %llu TLB hits, "
           "%llu faults (%llu from TLB entries), %llu hw AF sets, %llu hw dirty sets, at most %llu faults per access\n",
           nseeds * 3, steps, failed, (unsigned long long)sim_stats.accesses, (unsigned long long)sim_stats.walks,
           (unsigned long long)sim_stats.tlb_hits, (unsigned long long)sim_stats.faults,
           (unsigned long long)sim_stats.tlb_faults,
           (unsigned long long)sim_stats.hw_af_sets, (unsigned long long)sim_stats.hw_dirty_sets,
           (unsigned long long)sim_stats.retries_max);
    assert_int_equal(failed, 0);
}

static void random_hwad_on(void **state) { (void)state; run_config(true, TLBI_AUTO); }
static void random_hwad_off(void **state) { (void)state; run_config(false, TLBI_AUTO); }
static void random_tlbi_policies(void **state) { (void)state; run_config(true, -1); }
#ifdef SIM_RISCV
/* Sv39 with Svade (A/D page faults), as QEMU's riscv64-svade, every policy,
 * and 16, 2 or 0 ASID bits (ASID rollover; a flush at every switch). */
static void random_sv39(void **state)
{
    (void)state;
    riscv_va_bits = 39;
    run_config(false, -1);
    riscv_va_bits = 48;
}
#endif

/* A broken simulated MMU (or the unsafe what-if policy, policy >= 0) must
 * make the test fail (within a few seeds). */
static void expect_detected(enum sim_mutation mut, bool hw_ad, int policy)
{
    uint64_t seed0 = env_num("MM_RANDOM_SEED", RT_DEFAULT_SEED);
    unsigned detected = 0, runs = 0;
#ifdef SIM_RISCV
    sim_riscv_configure(48, true, 16);
#endif
    sim_set_hw_ad(hw_ad);
    sim_mutation = mut;
    for (unsigned i = 0; i < 4 && !detected; i++)
        for (int mode = RT_SMALL; mode <= RT_MIXED; mode++, runs++) {
            printf("        # (a failure is expected here)\n");
            tlb_params_default();
            if (policy >= 0)
                tlb_params.policy = (enum tlbi_policy)policy;
            detected += !one_run((enum rt_mode)mode, seed0 + i, 3000,
                                 policy >= 0 ? "unsafe policy" : "mutated hardware");
        }
    tlb_params_default();
    sim_mutation = SIM_MUT_NONE;
    sim_set_hw_ad(true);
    printf("        # mutation detected in %u of %u runs\n", detected, runs);
    assert_true(detected > 0);
}

static void mutation_tlbi_noop_is_detected(void **state) { (void)state; expect_detected(SIM_MUT_TLBI_NOOP, true, -1); }
static void mutation_ignore_rdonly_is_detected(void **state) { (void)state; expect_detected(SIM_MUT_IGNORE_RDONLY, false, -1); }
/* One invalidate per 64 KiB block: caught by the rule checker's model and by
 * the simulated TLB, which caches each member of a block separately. */
static void unsafe_per_block_is_detected(void **state)
{
    (void)state;
    expect_detected(SIM_MUT_NONE, true, TLBI_UNSAFE_PER_BLOCK);
}

static int setup(void **state)
{
    (void)state;
    sim_init();
    rt_step_hook = sim_tlb_audit;
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_hwad_on),
        cmocka_unit_test(random_hwad_off),
        cmocka_unit_test(random_tlbi_policies),
#ifdef SIM_RISCV
        cmocka_unit_test(random_sv39),
#endif
        cmocka_unit_test(mutation_tlbi_noop_is_detected),
        cmocka_unit_test(mutation_ignore_rdonly_is_detected),
        cmocka_unit_test(unsafe_per_block_is_detected),
    };
    int r = cmocka_run_group_tests(tests, setup, NULL);
    printf("# mm_random (host): %llu steps in all\n", (unsigned long long)total_steps);
    return r;
}
