/* This CPU's struct cpu (boot/smp.h), from sscratch (the kernel runs in
 * S-mode only, so sscratch is free to hold it; set by arch_set_this_cpu,
 * and by the secondary entry). Not volatile: it does not change under a
 * running hart, so the compiler may keep the value across a function. */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H
#include <stdint.h>
static inline void *arch_percpu_base(void)
{
    uint64_t p;
    __asm__("csrr %0, sscratch" : "=r"(p));
    return (void *)(uintptr_t)p;
}
#endif
