/*
 * arm64 entry. Reached at EL1 (QEMU -kernel default), at EL2 (QEMU
 * virtualization=on, Raspberry Pi firmware) or EL3 is not supported.
 * x0 may hold the DTB address (boards); QEMU passes no register for an ELF,
 * so kmain also probes the start of RAM.
 */
#include <asm/sysreg_defs.h>

    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0                     /* DTB pointer (or 0) */
    mrs     x20, CurrentEL
    lsr     x20, x20, #2                /* boot exception level, passed to kmain */
    cmp     x20, #2
    b.eq    el2_setup
    cmp     x20, #1
    b.eq    el1_start
1:  wfe                                 /* EL3 or EL0: not supported, park */
    b       1b

el2_setup:
    /* EL1 is AArch64, no virtualisation traps. */
    ldr     x1, =HCR_EL2_RW
    msr     hcr_el2, x1
    /* Let EL1 use the physical counter and timer; no virtual offset. */
    mrs     x1, cnthctl_el2
    orr     x1, x1, #3
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    /* Do not trap FP/SIMD (TFP=0), RES1 bits of non-VHE CPTR_EL2 set. */
    ldr     x1, =CPTR_EL2_RES1
    msr     cptr_el2, x1
    /* Give every PMU event counter to EL1 (HPMN = PMCR_EL0.N), no traps. */
    mrs     x1, pmcr_el0
    ubfx    x1, x1, #11, #5
    msr     mdcr_el2, x1
    /* Count cycles at EL2 too (PMCCFILTR_EL0.NSH): else PMCCNTR reads 0 here. */
    ldr     x1, =PMCCFILTR_NSH
    msr     pmccfiltr_el0, x1
    msr     vttbr_el2, xzr
    mrs     x1, midr_el1
    msr     vpidr_el2, x1
    mrs     x1, mpidr_el1
    msr     vmpidr_el2, x1
    ldr     x1, =SCTLR_EL1_RES1
    msr     sctlr_el1, x1
    mov     x1, #SPSR_EL1H_DAIF
    msr     spsr_el2, x1
    adr     x1, el1_start
    msr     elr_el2, x1
    eret

el1_start:
    /* Only CPU 0 runs the kernel; others park (SMP comes later). */
    mrs     x1, mpidr_el1
    and     x1, x1, #0xffffff
    cbz     x1, 2f
1:  wfe
    b       1b
2:
    ldr     x1, =__stack_top
    mov     sp, x1
    /* Zero BSS. */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
3:  cmp     x1, x2
    b.hs    4f
    str     xzr, [x1], #8
    b       3b
4:
    /* FP/SIMD on (CPACR_EL1.FPEN = 0b11): picolibc's printf and string
     * routines use the vector registers and would trap without it. */
    mov     x1, #(3 << 20)
    msr     cpacr_el1, x1
    isb
    ldr     x1, =arm64_vectors
    msr     vbar_el1, x1
    isb
    /* Caches and an identity map before any C library call: with the MMU
     * off all memory is Device, where unaligned accesses fault. */
    bl      arm64_early_mmu_enable
    mov     x0, x19
    mov     x1, x20
    bl      kmain
5:  wfe
    b       5b
