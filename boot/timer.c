/* Per-CPU one-shot timer interrupts: the arch-neutral half (boot/timer.h). */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/timer.h"
#include <asm/counters.h>

static bool timer_ok;

void timer_init(void)
{
    timer_ok = arch_timer_init();
}

bool timer_available(void) { return timer_ok; }
const char *timer_unavailable_why(void) { return timer_ok ? "" : arch_timer_why(); }

void timer_describe(void)
{
    if (timer_ok)
        printf("# timer: per-CPU one-shot interrupts: %s, %llu Hz, off unless armed\n",
               arch_timer_name(), (unsigned long long)timer_freq_hz());
    else
        printf("# timer: no timer interrupts: %s\n", arch_timer_why());
}

int timer_arm_oneshot(uint64_t ticks)
{
    if (!timer_ok)
        return -1;
    struct cpu *c = this_cpu();
    arch_timer_mask();              /* a pending one is replaced, not taken */
    uint64_t deadline = read_timer() + ticks;
    c->timer_deadline = deadline;
    /* Armed before unmasked: the handler (this CPU only) checks it. */
    __atomic_store_n(&c->timer_armed, 1, __ATOMIC_RELEASE);
    arch_timer_arm(deadline);
    return 0;
}

void timer_cancel(void)
{
    if (!timer_ok)
        return;
    arch_timer_mask();
    __atomic_store_n(&this_cpu()->timer_armed, 0, __ATOMIC_RELEASE);
}

bool timer_interrupt(void)
{
    struct cpu *c = this_cpu();
    if (!__atomic_load_n(&c->timer_armed, __ATOMIC_ACQUIRE))
        return false;
    c->timer_fired_at = read_timer();
    __atomic_store_n(&c->timer_armed, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&c->timer_irqs, c->timer_irqs + 1, __ATOMIC_RELEASE);
    return true;
}
