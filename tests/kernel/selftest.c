/* Tests of the test harness itself. `selftest` runs by default and checks
 * that a failed expectation is recorded; `selftest_crash` runs only when
 * named (test=selftest_crash*): each case dies on purpose, so the runner can
 * check that a crash prints the registers and fails the run. */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "boot/smp.h"
#include "boot/timer.h"
#include "tests/kernel/ktest.h"
#include <asm/counters.h>

static void failed_expectation_is_recorded(struct ktest *t)
{
    struct ktest inner = { .suite = "inner", .name = "inner" };
    printf("        # (the next diagnostic line is expected)\n");
    bool r = KEXPECT_EQ(&inner, 1, 2);
    KEXPECT(t, !r);
    KEXPECT(t, inner.failed, "a false expectation did not fail its test");
    KEXPECT_EQ(t, inner.checks, 1);
    struct ktest ok = { .suite = "inner", .name = "ok" };
    KEXPECT(t, KEXPECT(&ok, 1 == 1));
    KEXPECT(t, !ok.failed);
}

static void skip_is_recorded(struct ktest *t)
{
    struct ktest inner = { 0 };
    ktest_skip(&inner, "reason %d", 7);
    KEXPECT(t, inner.skipped);
    KEXPECT(t, strcmp(inner.skip_reason, "reason 7") == 0);
}

static void current_test_name(struct ktest *t)
{
    const char *n = ktest_current();
    KEXPECT(t, n && strcmp(n, "selftest.current_test_name") == 0, "got %s", n ? n : "NULL");
}

static const struct ktest_case selftest_cases[] = {
    KTEST_CASE(failed_expectation_is_recorded),
    KTEST_CASE(skip_is_recorded),
    KTEST_CASE(current_test_name),
};
KTEST_SUITE(selftest, 05);

/* ---- deliberately crashing tests (explicit only) ---- */
static void undefined_instruction(struct ktest *t)
{
    (void)t;
#if defined(__aarch64__) || defined(__arm__)
    __asm__ volatile("udf #0x42");
#else
    __asm__ volatile("unimp");
#endif
}

static void wild_pointer(struct ktest *t)
{
    (void)t;
    /* Far outside any mapping or memory: an unresolved fault, not a probe. */
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)0x7ff0000000ULL;
    *p = 0xdead;
}

/* A timer interrupt nobody armed (the arch timer programmed directly, this
 * CPU's timer_armed left 0): the interrupt path must report it with the
 * registers, not swallow it. Where there are no timer interrupts (32-bit
 * arm) the case fails without crashing, which the runner also rejects. */
static void unarmed_timer_interrupt(struct ktest *t)
{
    KASSERT(t, timer_available(), "no timer interrupts: %s", timer_unavailable_why());
    KASSERT(t, !this_cpu()->timer_armed);
    arch_timer_arm(read_timer());
    uint64_t t0 = read_timer();
    while (read_timer() - t0 < timer_freq_hz() / 10)
        ;
    arch_timer_mask();
    KEXPECT(t, false, "no interrupt within 100 ms of an unarmed timer's deadline");
}

static const struct ktest_case selftest_crash_cases[] = {
    KTEST_CASE(undefined_instruction),
    KTEST_CASE(wild_pointer),
    KTEST_CASE(unarmed_timer_interrupt),
};
KTEST_SUITE(selftest_crash, 99, .flags = KTEST_EXPLICIT);
