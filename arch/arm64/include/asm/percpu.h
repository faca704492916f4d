/* This CPU's struct cpu (boot/smp.h), from TPIDR_EL1 (set by
 * arch_set_this_cpu before anything per-CPU is used). Not volatile: the
 * register does not change under a running CPU, so the compiler may keep
 * the value across a function. */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H
#include <stdint.h>
static inline void *arch_percpu_base(void)
{
    uint64_t p;
    __asm__("mrs %0, tpidr_el1" : "=r"(p));
    return (void *)(uintptr_t)p;
}
#endif
