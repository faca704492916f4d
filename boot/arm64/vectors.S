/*
 * arm64 exception vectors (VBAR_EL1). Every entry saves the general
 * registers (x0-x30, sp, elr, spsr, esr, far) in a frame on the stack and
 * calls arm64_exception(frame, kind) with the vector's number; on return
 * the frame's pc and x0-x18, x30 (what a handler may change, and what the
 * C code it runs may clobber) are restored and eret resumes. x19-x29 are
 * saved for register dumps only: the handler is C, which preserves them.
 *
 * FP/SIMD state is not saved. The kernel is built -mgeneral-regs-only, so
 * none of its code holds FP/SIMD values; the only code that does is in the
 * C library (picolibc's printf family keeps its variadic save area and
 * clears structures with q registers, libgcc's __popcountdi2 counts in v0),
 * which runs to completion without faulting: exceptions are synchronous
 * (interrupts stay masked), taken only at the kernel's own accesses (the
 * probe accessors), and a fault inside the library is a crash, which never
 * returns. So a handler that calls printf cannot clobber live FP/SIMD
 * state. If interrupts are ever enabled, q0-q31, FPSR and FPCR (the
 * frame's FRAME_FP area, still reserved) must be saved again.
 */
#include <asm/sysreg_defs.h>

.macro ventry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       exception_common
.endm

    .section .text
    .balign 0x800
    .global arm64_vectors
arm64_vectors:
    ventry 0    /* current EL, SP_EL0: sync */
    ventry 1    /*                   irq  */
    ventry 2    /*                   fiq  */
    ventry 3    /*                   serror */
    ventry 4    /* current EL, SP_ELx: sync */
    ventry 5
    ventry 6
    ventry 7
    ventry 8    /* lower EL, AArch64 */
    ventry 9
    ventry 10
    ventry 11
    ventry 12   /* lower EL, AArch32 */
    ventry 13
    ventry 14
    ventry 15

exception_common:                       /* x1 = kind */
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    add     x2, sp, #FRAME_SIZE         /* sp before the exception */
    stp     x30, x2, [sp, #240]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #FRAME_ELR]
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #FRAME_ESR]
    str     x1, [sp, #FRAME_KIND]

    mov     x0, sp
    bl      arm64_exception

    ldp     x1, x2, [sp, #FRAME_ELR]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldr     x18, [sp, #144]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret
