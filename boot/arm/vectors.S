/*
 * 32-bit Arm exception vectors (VBAR). Each handled entry stores its return
 * state (SRS) on the SVC stack, switches to SVC mode (the mode the kernel
 * runs in) and saves r0-r12, sp, lr, the kind and the fault status/address
 * in a frame (asm/exception.h), then calls arm_exception(frame). On return
 * the registers are reloaded from the frame (a handler may change pc or
 * r0) and RFE resumes. Interrupts stay masked; the kernel has no user mode.
 * The banked ABT/UND stacks are never used: SRS writes straight to SVC's.
 */
#include <asm/sysreg_defs.h>

    .syntax unified
    .arch armv7ve
    .arm
    .text
    .balign 32
    .global arm_vectors
arm_vectors:
    b       vec_reset
    b       vec_undef
    b       vec_svc
    b       vec_pabt
    b       vec_dabt
    b       vec_unused
    b       vec_irq
    b       vec_fiq

/* Save state: \lr_adjust makes lr the faulting instruction (or the next one
 * for svc), \fsr/\far read the syndrome (or zero). */
.macro entry kind, lr_adjust
    sub     lr, lr, #\lr_adjust
    srsdb   sp!, #PSR_MODE_SVC          /* lr, spsr of this mode onto SVC's stack */
    cps     #PSR_MODE_SVC
    sub     sp, sp, #(FRAME_SIZE - 8)
    stmia   sp, {r0-r12}
    add     r0, sp, #FRAME_SIZE
    str     r0, [sp, #FRAME_SP]
    str     lr, [sp, #FRAME_LR]
    mov     r0, #\kind
    str     r0, [sp, #FRAME_KIND]
.endm

vec_dabt:
    entry   KIND_DABT, 8
    mrc     p15, 0, r1, c5, c0, 0       /* DFSR */
    mrc     p15, 0, r2, c6, c0, 0       /* DFAR */
    b       common
vec_pabt:
    entry   KIND_PABT, 4
    mrc     p15, 0, r1, c5, c0, 1       /* IFSR */
    mrc     p15, 0, r2, c6, c0, 2       /* IFAR */
    b       common
vec_undef:
    entry   KIND_UNDEF, 4
    b       nosyndrome
vec_svc:
    entry   KIND_SVC, 0
    b       nosyndrome
vec_reset:
vec_unused:
    entry   0, 0
    b       nosyndrome
vec_irq:
    entry   KIND_IRQ, 4
    b       nosyndrome
vec_fiq:
    entry   KIND_FIQ, 4
nosyndrome:
    mov     r1, #0
    mov     r2, #0
common:
    str     r1, [sp, #FRAME_FSR]
    str     r2, [sp, #FRAME_FAR]
    mov     r0, sp
    mov     r4, sp
    bic     sp, sp, #7                  /* AAPCS: 8-byte aligned at the call */
    bl      arm_exception
    mov     sp, r4
    ldr     lr, [sp, #FRAME_LR]
    ldmia   sp, {r0-r12}
    add     sp, sp, #FRAME_PC
    rfeia   sp!                         /* pc, cpsr from the frame */
