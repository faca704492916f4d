/* Which counters advance? A counter that reads the same before and after a
 * busy loop is reported unavailable, so tests skip instead of failing. */
#include "boot/kernel.h"
#include "boot/boot.h"
#include <asm/counters.h>

void counters_probe(void)
{
    uint64_t c0 = read_cycles(), i0 = read_instret(), t0 = read_timer();
    for (volatile int i = 0; i < 20000; i++)
        ;
    uint64_t c1 = read_cycles(), i1 = read_instret(), t1 = read_timer();
    boot.have_cycles = c1 != c0;
    boot.have_instret = i1 != i0;
    boot.have_timer = t1 != t0;
    /* Under QEMU -icount shift=0 one instruction is one ns of virtual time:
     * the cycle counter then advances exactly with the instruction count.
     * Detect it by comparing the two over the same loop: with icount their
     * ratio is 1:1 (to within the counters' own read cost). */
    if (boot.have_cycles && boot.have_instret) {
        uint64_t dc = c1 - c0, di = i1 - i0;
        uint64_t diff = dc > di ? dc - di : di - dc;
        boot.icount = diff * 100 < di;
    }
    printf("# counters: cycles %s (%s), instructions %s (%s), timer %s (%s, %llu Hz)%s\n",
           boot.have_cycles ? "yes" : "unavailable", COUNTER_CYCLES_NAME,
           boot.have_instret ? "yes" : "unavailable", COUNTER_INSTR_NAME,
           boot.have_timer ? "yes" : "unavailable", COUNTER_TIME_NAME,
           (unsigned long long)timer_freq_hz(),
           boot.icount ? "; icount: cycles are instruction counts (QEMU does not model TLB costs)" : "");
}

void boot_report_first_test(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    uint64_t t = read_timer(), f = timer_freq_hz();
    uint64_t ns = f ? (t * 1000000000ULL / f) : 0;
    uint64_t i = read_instret();
    printf("# boot-to-first-test: %llu ns since reset (%s); %llu instructions since the counter "
           "started (%s), %llu of them in the kernel since kmain%s\n",
           (unsigned long long)ns, COUNTER_TIME_NAME, (unsigned long long)i, COUNTER_INSTR_NAME,
           (unsigned long long)(i - boot.boot_instret),
           boot.icount ? " [icount: 1 instruction = 1 ns]" : "");
}
