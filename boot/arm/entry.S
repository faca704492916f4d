/*
 * 32-bit Arm (ARMv7-A) entry, A32 state. Reached in SVC mode (QEMU -kernel
 * with an ELF on -M virt) or in HYP mode (-M virt,virtualization=on, the
 * Raspberry Pi firmware, U-Boot on boards with the Virtualization
 * Extensions); HYP is set up so PL1 runs unhindered and left for SVC.
 * r2 holds the DTB address under the Linux boot protocol (raw images:
 * QEMU's boot stub, the Pi firmware); an ELF on QEMU virt gets none, so
 * kmain also probes the start of RAM (BOARD_DTB_PROBE).
 *
 * Only CPU 0 runs the kernel: others (if a loader releases them here) park.
 * Registers a loader may leave set that change this kernel's behaviour are
 * written before they matter (SCTLR, HSCTLR, HCR, HSTR, HCPTR, HDCR,
 * CNTHCTL, VTTBR).
 */
#include <asm/sysreg_defs.h>

    .syntax unified
    .arch armv7ve
    .arm
    .section .text.boot, "ax"
    .global _start
_start:
    cpsid   aif                         /* no interrupts, no asynchronous aborts */
    /* Run from the link address: a raw image may be loaded elsewhere (the
     * Pi firmware loads kernel7.img at 0x8000, QEMU's -kernel at 0x10000).
     * This code is position independent up to the final jump. The loaded
     * file image ([_start, __bss_start)) may overlap its destination, and
     * the copy loop with it, so it goes in two non-overlapping copies:
     * first to a scratch place above both, whose copy of this code then
     * copies it to the link address. Registers r0-r3 (the boot protocol's)
     * are kept. */
    adr     r4, _start                  /* where we run */
    ldr     r5, =_start                 /* where we are linked */
    cmp     r4, r5
    beq     relocated
    ldr     r6, =__bss_start
    sub     r6, r6, r5                  /* bytes, a multiple of 16 */
    cmp     r4, r5
    movhi   r11, r4
    movls   r11, r5
    add     r11, r11, r6                /* scratch: 64 KiB aligned, 64 KiB above both */
    add     r11, r11, #0x20000
    bic     r11, r11, #0xff00
    bic     r11, r11, #0x00ff
    mov     r7, r4
    mov     r8, r11
    bl      copy_image
    adr     r9, stage2                  /* continue in the scratch copy */
    sub     r9, r9, r4
    add     r9, r9, r11
    bx      r9
stage2:
    mov     r7, r11
    mov     r8, r5
    bl      copy_image
    ldr     pc, =relocated
/* Copy r6 bytes from r7 to r8 (not overlapping), then make the new
 * instructions visible (caches are off, the pipeline and predictors not). */
copy_image:
    mov     r12, r6
1:  ldr     r9, [r7], #4
    str     r9, [r8], #4
    subs    r12, r12, #4
    bhi     1b
    dsb
    mov     r9, #0
    mcr     p15, 0, r9, c7, c5, 0       /* ICIALLU */
    mcr     p15, 0, r9, c7, c5, 6       /* BPIALL */
    dsb
    isb
    bx      lr
relocated:
    mov     r10, r2                     /* DTB pointer (or garbage: kmain checks the magic) */
    mrs     r11, cpsr
    and     r11, r11, #PSR_MODE_MASK    /* boot mode, passed to kmain */
    cmp     r11, #PSR_MODE_HYP
    beq     hyp_setup
    cmp     r11, #PSR_MODE_SVC
    beq     svc_start
    cmp     r11, #PSR_MODE_SYS          /* some loaders enter in SYS: same privilege */
    beq     svc_start
1:  wfe                                 /* user, monitor, ...: not supported, park */
    b       1b

hyp_setup:
    /* HYP vectors first: an unexpected trap to HYP then parks in
     * hyp_unexpected instead of running whatever HVBAR held. */
    adr     r0, hyp_vectors
    mcr     p15, 4, r0, c12, c0, 0      /* HVBAR */
    ldr     r0, =HSCTLR_CLEAN           /* HYP MMU and caches off, little-endian */
    mcr     p15, 4, r0, c1, c0, 0       /* HSCTLR */
    isb
    mov     r0, #0
    mcr     p15, 4, r0, c1, c1, 0       /* HCR: no traps, no stage 2, interrupts to PL1 */
    mcr     p15, 4, r0, c1, c1, 3       /* HSTR: no CP15 traps */
    mov     r1, #0
    mcrr    p15, 6, r0, r1, c2          /* VTTBR = 0 */
    mcrr    p15, 4, r0, r1, c14         /* CNTVOFF = 0 */
    ldr     r0, =0x33ff                 /* HCPTR: RES1 bits only, no coprocessor traps */
    mcr     p15, 4, r0, c1, c1, 2
    mrc     p15, 4, r0, c14, c1, 0      /* CNTHCTL: PL1 may read CNTPCT, use the */
    orr     r0, r0, #3                  /* physical timer (PL1PCTEN, PL1PCEN) */
    mcr     p15, 4, r0, c14, c1, 0
    /* HDCR: every PMU event counter to PL1 (HPMN = PMCR.N), no traps.
     * Without a PMU (ID_DFR0.PerfMon 0 or 0xf) PMCR is UNDEFINED: HPMN 0. */
    mov     r1, #0
    mrc     p15, 0, r0, c0, c1, 2       /* ID_DFR0 */
    ubfx    r0, r0, #24, #4
    cmp     r0, #0
    beq     2f
    cmp     r0, #0xf
    beq     2f
    mrc     p15, 0, r1, c9, c12, 0      /* PMCR */
    ubfx    r1, r1, #11, #5             /* N */
2:  mcr     p15, 4, r1, c1, c1, 1       /* HDCR */
    mrc     p15, 0, r0, c0, c0, 0
    mcr     p15, 4, r0, c0, c0, 0       /* VPIDR = MIDR */
    mrc     p15, 0, r0, c0, c0, 5
    mcr     p15, 4, r0, c0, c0, 5       /* VMPIDR = MPIDR */
    ldr     r0, =SCTLR_CLEAN
    mcr     p15, 0, r0, c1, c0, 0       /* PL1 SCTLR: MMU and caches off */
    mov     r0, #(PSR_MODE_SVC | PSR_I | PSR_F | PSR_A)
    msr     spsr_hyp, r0
    adr     r0, svc_start
    msr     elr_hyp, r0
    eret

svc_start:
    cpsid   aif, #PSR_MODE_SVC
    /* SCTLR: MMU, caches, alignment checks off, low vectors via VBAR. */
    ldr     r0, =SCTLR_CLEAN
    mcr     p15, 0, r0, c1, c0, 0
    isb
    /* Only CPU 0 (MPIDR affinity 0) runs the kernel. */
    mrc     p15, 0, r0, c0, c0, 5
    ands    r0, r0, #0xff
    beq     4f
3:  wfe
    b       3b
4:  mov     r0, #0
    mcr     p15, 0, r0, c7, c5, 0       /* ICIALLU: no stale instructions */
    mcr     p15, 0, r0, c7, c5, 6       /* BPIALL */
    dsb
    isb
    ldr     sp, =__stack_top
    /* Zero BSS. */
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
    mov     r3, #0
5:  cmp     r0, r1
    strdlo  r2, r3, [r0], #8
    blo     5b
    ldr     r0, =arm_vectors
    mcr     p15, 0, r0, c12, c0, 0      /* VBAR */
    isb
    /* Caches and an identity map before any C library call: with the MMU
     * off every access is Strongly-ordered, where unaligned accesses (newlib's
     * string routines) fault. */
    bl      arm_early_mmu_enable
    bl      newlib_init
    mov     r0, r10                     /* kmain(uint64_t dtb, uint64_t boot_mode) */
    mov     r1, #0
    mov     r2, r11
    mov     r3, #0
    bl      kmain
6:  wfe
    b       6b

/*
 * HYP vectors (HVBAR). Never reached in normal operation: HYP only prepares
 * PL1 and erets, and HCR = 0 routes nothing here but HVC. An unexpected
 * entry saves nothing and parks with r0 = HSR (its EC names the cause),
 * r1 = ELR_hyp, r2 = HDFAR, for a debugger (QEMU -s, JTAG) to read: no UART
 * is known at this point.
 */
    .balign 32
hyp_vectors:
    .rept 8
    b       hyp_unexpected
    .endr
hyp_unexpected:
    mrc     p15, 4, r0, c5, c2, 0       /* HSR */
    mrs     r1, elr_hyp
    mrc     p15, 4, r2, c6, c0, 0       /* HDFAR */
7:  wfe
    b       7b
    .ltorg
