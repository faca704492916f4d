/*
 * Per-CPU timer interrupts (boot/timer.h; issue 13's "timers per CPU").
 *
 * Every online CPU arms its own one-shot a few ms ahead (CPUs 1..N-1
 * through smp_call_start) and must take exactly one timer interrupt, on
 * itself: its own count goes up by one, no other CPU's moves, the handler
 * ran at or after the deadline. A timer left unmasked after its expiry
 * would be taken again at once with nothing armed: that is an unexpected
 * interrupt, which crashes the run with the registers (the mutants
 * timer-*-not-masked-on-expiry are caught that way). Counts and the counter's own deadlines
 * decide; the time limits only bound a wait that would otherwise hang.
 * Under -icount the timer runs on virtual time (deterministic); without it
 * (multi-threaded TCG) on the host's clock, hence the generous limits.
 */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/timer.h"
#include "tests/kernel/ktest.h"
#include <asm/counters.h>

#define ARM_MS      2       /* the one-shot's distance */
#define QUIET_MS    1       /* after it was taken: no second interrupt */
#define LIMIT_MS    1000    /* give up waiting (a failure, never a pass) */

static uint64_t ms_ticks(uint64_t ms) { return timer_freq_hz() / 1000 * ms; }

static const char *need_timer(void)
{
    if (!timer_available()) {
        static char why[96];
        snprintf(why, sizeof(why), "no timer interrupts: %s", timer_unavailable_why());
        return why;
    }
    return NULL;
}

static void before_case(struct ktest *t)
{
    (void)t;
    timer_cancel();
}

/* What one CPU saw of its own one-shot. */
struct shot {
    uint64_t arm_ms;
    int armed;                  /* timer_arm_oneshot's return */
    unsigned cpu;               /* where it ran */
    uint64_t before, after_fire, after_quiet;
    uint64_t deadline, fired_at;
    bool timed_out;
};
static struct shot shots[SMP_MAX_CPUS];

static uint64_t my_irqs(void) { return __atomic_load_n(&this_cpu()->timer_irqs, __ATOMIC_ACQUIRE); }

/* Arm, wait for the interrupt (bounded), then stay QUIET_MS more. */
static void one_shot(void *arg)
{
    struct shot *s = arg;
    struct cpu *c = this_cpu();
    s->cpu = c->id;
    s->before = my_irqs();
    s->armed = timer_arm_oneshot(ms_ticks(s->arm_ms));
    s->deadline = c->timer_deadline;
    uint64_t t0 = read_timer();
    while (my_irqs() == s->before && read_timer() - t0 < ms_ticks(LIMIT_MS))
        arch_cpu_relax();
    s->after_fire = my_irqs();
    s->timed_out = s->after_fire == s->before;
    s->fired_at = c->timer_fired_at;
    uint64_t t1 = read_timer();
    while (read_timer() - t1 < ms_ticks(QUIET_MS))
        arch_cpu_relax();
    s->after_quiet = my_irqs();
    if (s->timed_out)
        timer_cancel();
}

static void check_shot(struct ktest *t, unsigned cpu, const struct shot *s)
{
    KEXPECT_EQ(t, s->armed, 0);
    KEXPECT_EQ(t, s->cpu, cpu);
    KEXPECT(t, !s->timed_out, "cpu %u: no timer interrupt within %d ms of arming it for %llu ms", cpu,
            LIMIT_MS, (unsigned long long)s->arm_ms);
    KEXPECT(t, s->after_fire == s->before + 1, "cpu %u: %llu timer interrupts when it was taken, expected 1",
            cpu, (unsigned long long)(s->after_fire - s->before));
    KEXPECT(t, s->timed_out || s->fired_at >= s->deadline, "cpu %u: taken at %llu, before its deadline %llu",
            cpu, (unsigned long long)s->fired_at, (unsigned long long)s->deadline);
}

static void snapshot(uint64_t *n)
{
    for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
        n[c] = __atomic_load_n(&cpus[c].timer_irqs, __ATOMIC_ACQUIRE);
}

/* One CPU at a time: that CPU's count +1, every other CPU's unchanged. */
static void t_oneshot_on_each_cpu(struct ktest *t)
{
    for (unsigned c = 0; c < smp_nr_cpus; c++) {
        uint64_t n0[SMP_MAX_CPUS], n1[SMP_MAX_CPUS];
        struct shot *s = &shots[c];
        memset(s, 0, sizeof(*s));
        s->arm_ms = ARM_MS;
        snapshot(n0);
        if (c == 0) {
            one_shot(s);
        } else {
            KASSERT(t, smp_call_start(c, one_shot, s) == 0, "cpu %u takes work", c);
            smp_call_wait(c);
        }
        snapshot(n1);
        check_shot(t, c, s);
        for (unsigned o = 0; o < SMP_MAX_CPUS; o++)
            KEXPECT(t, n1[o] - n0[o] == (o == c), "cpu %u armed; cpu %u took %llu timer interrupts", c, o,
                    (unsigned long long)(n1[o] - n0[o]));
        if (!s->timed_out && s->fired_at >= s->deadline)
            ktest_log("cpu %u: armed %d ms ahead (%llu ticks of %s), taken %llu ticks after the deadline",
                      c, ARM_MS, (unsigned long long)ms_ticks(ARM_MS), COUNTER_TIME_NAME,
                      (unsigned long long)(s->fired_at - s->deadline));
    }
}

/* Every CPU armed at once, deadlines 1 ms apart: each takes its own, once. */
static void t_oneshot_all_cpus_at_once(struct ktest *t)
{
    uint64_t n0[SMP_MAX_CPUS], n1[SMP_MAX_CPUS];
    snapshot(n0);
    for (unsigned c = 0; c < smp_nr_cpus; c++) {
        memset(&shots[c], 0, sizeof(shots[c]));
        shots[c].arm_ms = ARM_MS + c;
    }
    for (unsigned c = 1; c < smp_nr_cpus; c++)
        KASSERT(t, smp_call_start(c, one_shot, &shots[c]) == 0, "cpu %u takes work", c);
    one_shot(&shots[0]);
    for (unsigned c = 1; c < smp_nr_cpus; c++)
        smp_call_wait(c);
    snapshot(n1);
    for (unsigned c = 0; c < smp_nr_cpus; c++) {
        check_shot(t, c, &shots[c]);
        KEXPECT(t, n1[c] - n0[c] == 1, "cpu %u took %llu timer interrupts", c,
                (unsigned long long)(n1[c] - n0[c]));
    }
}

/* A cancelled one-shot is never taken; re-arming replaces the deadline. */
static void t_cancel_and_rearm(struct ktest *t)
{
    uint64_t n = my_irqs();
    /* 10 ms: without -icount the vCPU thread may be descheduled between
     * the two calls (a shot taken before the cancel would fail this). */
    KASSERT_EQ(t, timer_arm_oneshot(ms_ticks(10)), 0);
    timer_cancel();
    uint64_t t0 = read_timer();
    while (read_timer() - t0 < ms_ticks(10 + QUIET_MS))
        arch_cpu_relax();
    KEXPECT(t, my_irqs() == n, "%llu timer interrupts after a cancelled one-shot", (unsigned long long)(my_irqs() - n));
    KEXPECT(t, !this_cpu()->timer_armed);

    /* Armed 500 ms ahead, then re-armed 1 ms ahead: one interrupt, at the
     * second deadline, long before the first. */
    KASSERT_EQ(t, timer_arm_oneshot(ms_ticks(500)), 0);
    uint64_t first = this_cpu()->timer_deadline;
    struct shot s = { .arm_ms = 1 };
    one_shot(&s);
    check_shot(t, 0, &s);
    KEXPECT(t, s.fired_at < first, "taken at %llu, not before the replaced deadline %llu",
            (unsigned long long)s.fired_at, (unsigned long long)first);
}

/* IPIs are still taken by a CPU with an armed one-shot, and both kinds of
 * interrupt are counted apart: CPU 1 arms 1 s ahead (never reached: it is
 * replaced), CPU 0 pings it 8 times, then CPU 1 re-arms 2 ms ahead and
 * must take exactly that one. */
struct ipi_shot { struct shot s; volatile int armed_long, pings_done; };
static struct ipi_shot ipi_shot;

static void armed_during_pings(void *arg)
{
    struct ipi_shot *x = arg;
    x->s.armed = timer_arm_oneshot(ms_ticks(60000));     /* never reached: replaced after the pings */
    __atomic_store_n(&x->armed_long, 1, __ATOMIC_RELEASE);
    uint64_t t0 = read_timer();
    while (!__atomic_load_n(&x->pings_done, __ATOMIC_ACQUIRE) && read_timer() - t0 < ms_ticks(LIMIT_MS))
        arch_cpu_relax();
    one_shot(&x->s);
}

static void t_ipis_while_armed(struct ktest *t)
{
    if (smp_nr_cpus < 2) {
        ktest_skip(t, "one CPU online (run with -smp 2 or more)");
        return;
    }
    memset(&ipi_shot, 0, sizeof(ipi_shot));
    ipi_shot.s.arm_ms = ARM_MS;
    uint64_t i0 = cpus[1].ipis_received, n0 = cpus[1].timer_irqs;
    KASSERT(t, smp_call_start(1, armed_during_pings, &ipi_shot) == 0);
    uint64_t t0 = read_timer();
    while (!__atomic_load_n(&ipi_shot.armed_long, __ATOMIC_ACQUIRE) && read_timer() - t0 < ms_ticks(LIMIT_MS))
        arch_cpu_relax();
    bool armed = ipi_shot.armed_long && cpus[1].timer_armed;
    KEXPECT(t, armed, "cpu 1 armed its one-shot");
    unsigned sent = 0;
    for (int k = 0; k < 8 && armed; k++) {
        uint64_t was = cpus[1].ipis_received;
        smp_send_ipi(1, IPI_PING);
        sent++;
        uint64_t t1 = read_timer();
        while (__atomic_load_n(&cpus[1].ipis_received, __ATOMIC_ACQUIRE) == was &&
               read_timer() - t1 < ms_ticks(LIMIT_MS))
            arch_cpu_relax();
        if (!KEXPECT(t, cpus[1].ipis_received != was, "cpu 1 answered IPI %d while its timer was armed", k))
            break;
    }
    KEXPECT(t, cpus[1].timer_armed && cpus[1].timer_irqs == n0,
            "cpu 1 still armed, no timer interrupt, after the IPIs");
    __atomic_store_n(&ipi_shot.pings_done, 1, __ATOMIC_RELEASE);
    smp_call_wait(1);
    check_shot(t, 1, &ipi_shot.s);
    KEXPECT_EQ(t, cpus[1].ipis_received - i0, sent);
    KEXPECT_EQ(t, cpus[1].timer_irqs - n0, 1);
    ktest_log("%u IPIs answered by cpu 1 while its one-shot was armed, then its one timer interrupt", sent);
}

static const struct ktest_case timer_cases[] = {
    KTEST_CASE(t_oneshot_on_each_cpu),
    KTEST_CASE(t_oneshot_all_cpus_at_once),
    KTEST_CASE(t_cancel_and_rearm),
    KTEST_CASE(t_ipis_while_armed),
};
KTEST_SUITE(timer, 82, .setup = need_timer, .before = before_case);
