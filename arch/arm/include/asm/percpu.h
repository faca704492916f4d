/* This CPU's struct cpu (boot/smp.h), from TPIDRPRW (the PL1-only thread
 * ID register, set by arch_set_this_cpu). Not volatile: it does not change
 * under a running CPU. */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H
#include <stdint.h>
static inline void *arch_percpu_base(void)
{
    uint32_t p;
    __asm__("mrc p15, 0, %0, c13, c0, 4" : "=r"(p));
    return (void *)(uintptr_t)p;
}
#endif
