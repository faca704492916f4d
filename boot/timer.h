/*
 * Per-CPU timer interrupts: each CPU's own one-shot timer, armed on the
 * calling CPU and taken as an interrupt on that CPU.
 *
 *   arm64:   the EL1 virtual timer (CNTV_CVAL_EL0 / CNTV_CTL_EL0), the same
 *            counter read_timer() reads (CNTVCT_EL0); its private peripheral
 *            interrupt (PPI) from the device tree's arm,armv8-timer node
 *            (third `interrupts` entry; QEMU virt: INTID 27), enabled in the
 *            GIC for every CPU (GICv2: the banked GICD_ISENABLER0; GICv3: the
 *            CPU's redistributor SGI frame).
 *   riscv64: the supervisor timer interrupt (scause 5): Sstc's stimecmp
 *            where the ISA string lists sstc, else SBI TIME set_timer;
 *            sie.STIE is set only while a one-shot is armed.
 *   arm:     not implemented (one CPU, no GIC driver): timer_available()
 *            is false and timer_unavailable_why() says so.
 *
 * Off unless armed: no timer interrupt is ever taken by a CPU that did not
 * arm one (benchmarks and tests see none). On expiry the handler masks the
 * timer (arm64 CNTV_CTL_EL0.ENABLE = 0; riscv sie.STIE = 0) before it
 * returns, so a level-sensitive timer is taken exactly once.
 */
#ifndef BOOT_TIMER_H
#define BOOT_TIMER_H
#include <stdbool.h>
#include <stdint.h>

/* Boot CPU, after smp_boot(): find the timer interrupt, unmask it where
 * the interrupt controller was not yet set up (one CPU), enable interrupts
 * on the boot CPU. Secondary CPUs are set up by arch_secondary_init(). */
void timer_init(void);
void timer_describe(void);          /* the "# timer:" line */
bool timer_available(void);
const char *timer_unavailable_why(void);

/* Arm this CPU's one-shot timer to fire `ticks` counter ticks from now
 * (read_timer()/timer_freq_hz() units). Re-arming replaces a pending one.
 * 0, or -1 if there are no timer interrupts here (timer_unavailable_why()). */
int timer_arm_oneshot(uint64_t ticks);
/* Disarm this CPU's one-shot (no interrupt will follow). */
void timer_cancel(void);

/* The arch's interrupt path calls this when this CPU's timer interrupt is
 * taken, after masking it. False if no one-shot was armed on this CPU (the
 * caller reports an unexpected interrupt). No FP/SIMD, no C library. */
bool timer_interrupt(void);

/* ---- the arch half (arch/<arch>/smp.c) ---- */
bool arch_timer_init(void);         /* boot CPU: false if unavailable */
const char *arch_timer_name(void);
const char *arch_timer_why(void);
void arch_timer_arm(uint64_t deadline);     /* absolute read_timer() value; unmasks */
void arch_timer_mask(void);
#endif
