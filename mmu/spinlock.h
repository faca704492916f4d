/*
 * A spinlock for SMP (test-and-test-and-set): the exchange that takes it is
 * an acquire, the store that drops it a release, so everything written
 * under the lock is seen by the next holder. arm64 builds it from LL/SC
 * (ldaxr/stlxr; the kernel is built for ARMv8.0, so no LSE swpa), riscv
 * from amoswap.w.aq, arm from ldrex/strex + dmb.
 *
 * A waiter spins on a plain load and calls spin_wait() between tries: the
 * kernel's serves a TLB shootdown request addressed to this CPU (so a
 * holder that waits for every CPU's acknowledgement, with this CPU's
 * interrupts masked in a fault handler, is not waited on forever) and
 * gives the host thread to the next vCPU under -icount's round robin.
 */
#ifndef MMU_SPINLOCK_H
#define MMU_SPINLOCK_H
#include <stdbool.h>
#include <stdint.h>

typedef struct { uint32_t v; } spinlock_t;

#ifdef HOST_TEST
static inline void spin_wait(void) {}
static inline unsigned mm_cpu_id(void) { return 0; }
#else
#include "mmu/events.h"
void spin_wait(void);               /* boot/smp.c */
/* The logical CPU id (boot/smp.h smp_id), inline: struct cpu holds it
 * right after the event counters the per-CPU register points at (checked
 * in boot/smp.c). */
static inline unsigned mm_cpu_id(void) { return *(const unsigned *)(ev_this_cpu() + EV_COUNT); }
#endif

static inline bool spin_trylock(spinlock_t *l)
{
    return __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
            spin_wait();
}

static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE); }
#endif
