/* Which counters advance? A counter that reads the same before and after a
 * busy loop is reported unavailable, so tests skip instead of failing. */
#include "boot/kernel.h"
#include "boot/boot.h"
#include <asm/counters.h>

/* One run of a fixed loop: counter deltas. noinline so every call executes
 * the same instructions. */
struct probe_delta { uint64_t dc, di, dt; };

#define CAN_READ(bit) (!(boot.counter_traps & (1u << (bit))))

static __attribute__((noinline)) void probe_loop(struct probe_delta *d)
{
    uint64_t c0 = CAN_READ(0) ? read_cycles() : 0, i0 = CAN_READ(1) ? read_instret() : 0;
    uint64_t t0 = CAN_READ(2) ? read_timer() : 0;
    for (volatile int i = 0; i < 20000; i++)
        ;
    uint64_t c1 = CAN_READ(0) ? read_cycles() : 0, i1 = CAN_READ(1) ? read_instret() : 0;
    uint64_t t1 = CAN_READ(2) ? read_timer() : 0;
    d->dc = c1 - c0;
    d->di = i1 - i0;
    d->dt = t1 - t0;
}

static bool within(uint64_t a, uint64_t b, unsigned percent)
{
    uint64_t diff = a > b ? a - b : b - a;
    return diff * 100 <= (uint64_t)percent * b;
}

/*
 * Is this QEMU -icount shift=0, where a "cycle" is an instruction and one
 * instruction is one ns of virtual time? Claimed only when proven, by three
 * facts that together hold nowhere else:
 *   1. the same loop retires exactly the same number of instructions on
 *      every run (true on hardware too, false where "instret" is a host
 *      tick count: QEMU riscv without -icount returns host ticks for both
 *      cycle and instret);
 *   2. cycles equal instructions to within 1% (QEMU riscv without -icount
 *      passes this one too, hence 1 and 3);
 *   3. the timer, converted to ns, equals the instruction count to within 2%
 *      (1 instruction = 1 ns; on hardware the timer runs at wall-clock rate).
 * Anything else, and the counters are reported for what they are.
 */
void counters_probe(void)
{
    struct probe_delta d[3];
#ifdef ARCH_COUNTER_READ_SAFE
    /* A counter the firmware hides from this mode traps when read: find out
     * first, with a read that survives the trap, and never read it again. */
    for (unsigned k = 0; k < 3; k++) {
        uint64_t v;
        if (ARCH_COUNTER_READ_SAFE(k, &v) < 0)
            boot.counter_traps |= 1u << k;
    }
#endif
    for (int r = 0; r < 3; r++)
        probe_loop(&d[r]);
    boot.have_cycles = d[1].dc != 0 && d[2].dc != 0;
    boot.have_instret = d[1].di != 0 && d[2].di != 0;
    boot.have_timer = d[1].dt != 0 || d[2].dt != 0;
    uint64_t f = timer_freq_hz();
    boot.icount = false;
    const char *why = "";
    if (!boot.have_cycles || !boot.have_instret || !boot.have_timer || !f)
        why = "a counter does not advance";
    else if (d[1].di != d[2].di)
        why = "instruction counts of one loop differ between runs (not a retired-instruction count)";
    else if (!within(d[1].dc, d[1].di, 1) || !within(d[2].dc, d[2].di, 1))
        why = "cycles differ from instructions";
    else if (!within(d[1].dt * 1000000000ULL / f, d[1].di, 2))
        why = "the timer does not advance 1 ns per instruction";
    else
        boot.icount = true;
    static const char *const state[] = { "yes", "unavailable", "unavailable: reading it traps" };
#define STATE(have, bit) state[(have) ? 0 : CAN_READ(bit) ? 1 : 2]
    printf("# counters: cycles %s (%s), instructions %s (%s), timer %s (%s, %llu Hz)\n",
           STATE(boot.have_cycles, 0), COUNTER_CYCLES_NAME,
           STATE(boot.have_instret, 1), COUNTER_INSTR_NAME,
           STATE(boot.have_timer, 2), COUNTER_TIME_NAME, (unsigned long long)f);
#undef STATE
    if (boot.icount)
        printf("# icount: yes: cycles are instruction counts, 1 instruction = 1 ns "
               "(QEMU -icount shift=0; QEMU does not model TLB costs)\n");
    else
        printf("# icount: no (%s): cycles and instructions are what the counters count\n", why);
}

void boot_report_first_test(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    uint64_t t = CAN_READ(2) ? read_timer() : 0, f = timer_freq_hz();
    uint64_t ns = f ? (t * 1000000000ULL / f) : 0;
    uint64_t i = CAN_READ(1) ? read_instret() : 0;
    printf("# boot-to-first-test: %llu ns since reset (%s); %llu instructions since the counter "
           "started (%s), %llu of them in the kernel since kmain%s\n",
           (unsigned long long)ns, COUNTER_TIME_NAME, (unsigned long long)i, COUNTER_INSTR_NAME,
           (unsigned long long)(i - boot.boot_instret),
           boot.icount ? " [icount: 1 instruction = 1 ns]" : "");
}
