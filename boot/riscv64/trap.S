/*
 * riscv64 trap entry (stvec, direct mode). Saves x1-x31, sepc, sstatus,
 * scause and stval in a frame on the current stack and calls
 * riscv_trap(frame). On return sepc (a handler may move it: a probe's
 * fixup), sstatus and the registers C may clobber (ra, t0-t6, a0-a7) are
 * restored; gp and tp are never changed by the kernel, and s0-s11 are
 * saved for register dumps only: the handler is C, which preserves them.
 * The kernel runs in S-mode only, so sp is always a kernel stack. The
 * kernel has no FP state (built for rv64imac).
 */
#include <asm/trap_defs.h>

    .section .text
    .balign 4
    .global riscv_trap_entry
riscv_trap_entry:
    addi    sp, sp, -FRAME_SIZE
    sd      x1, 1*8(sp)
    sd      x3, 3*8(sp)
    sd      x4, 4*8(sp)
    sd      x5, 5*8(sp)
    sd      x6, 6*8(sp)
    sd      x7, 7*8(sp)
    sd      x8, 8*8(sp)
    sd      x9, 9*8(sp)
    sd      x10, 10*8(sp)
    sd      x11, 11*8(sp)
    sd      x12, 12*8(sp)
    sd      x13, 13*8(sp)
    sd      x14, 14*8(sp)
    sd      x15, 15*8(sp)
    sd      x16, 16*8(sp)
    sd      x17, 17*8(sp)
    sd      x18, 18*8(sp)
    sd      x19, 19*8(sp)
    sd      x20, 20*8(sp)
    sd      x21, 21*8(sp)
    sd      x22, 22*8(sp)
    sd      x23, 23*8(sp)
    sd      x24, 24*8(sp)
    sd      x25, 25*8(sp)
    sd      x26, 26*8(sp)
    sd      x27, 27*8(sp)
    sd      x28, 28*8(sp)
    sd      x29, 29*8(sp)
    sd      x30, 30*8(sp)
    sd      x31, 31*8(sp)
    addi    t0, sp, FRAME_SIZE
    sd      t0, 2*8(sp)             /* sp before the trap */
    csrr    t0, sepc
    sd      t0, FRAME_EPC(sp)
    csrr    t0, sstatus
    sd      t0, FRAME_STATUS(sp)
    csrr    t0, scause
    sd      t0, FRAME_CAUSE(sp)
    csrr    t0, stval
    sd      t0, FRAME_TVAL(sp)

    mv      a0, sp
    call    riscv_trap

    ld      t0, FRAME_EPC(sp)
    csrw    sepc, t0
    ld      t0, FRAME_STATUS(sp)
    csrw    sstatus, t0
    ld      x1, 1*8(sp)
    ld      x5, 5*8(sp)
    ld      x6, 6*8(sp)
    ld      x7, 7*8(sp)
    ld      x10, 10*8(sp)
    ld      x11, 11*8(sp)
    ld      x12, 12*8(sp)
    ld      x13, 13*8(sp)
    ld      x14, 14*8(sp)
    ld      x15, 15*8(sp)
    ld      x16, 16*8(sp)
    ld      x17, 17*8(sp)
    ld      x28, 28*8(sp)
    ld      x29, 29*8(sp)
    ld      x30, 30*8(sp)
    ld      x31, 31*8(sp)
    addi    sp, sp, FRAME_SIZE
    sret
