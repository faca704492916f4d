/* Probe accessors (boot/trap.h): one access each; a fault that the mm
 * handler does not resolve resumes at the fixup and returns -1. The fixup
 * table holds 64-bit {faulting pc, resume pc} pairs on every arch. */
    .syntax unified
    .arch armv7ve
    .arm
    .text
    .global probe_read64
probe_read64:                   /* r0 = addr, r1 = out */
1:  ldrd    r2, r3, [r0]
    strd    r2, r3, [r1]
    mov     r0, #0
    bx      lr
2:  mvn     r0, #0
    bx      lr
    .section .fixup, "a"
    .word 1b, 0, 2b, 0
    .text

    .global probe_write64
probe_write64:                  /* r0 = addr, r2:r3 = value (AAPCS: even pair) */
1:  strd    r2, r3, [r0]
    mov     r0, #0
    bx      lr
2:  mvn     r0, #0
    bx      lr
    .section .fixup, "a"
    .word 1b, 0, 2b, 0
    .text

    .global probe_exec
probe_exec:                     /* r0 = code address (holding a bx lr) */
    push    {r4, lr}
    ldr     r1, =probe_exec_target
    mov     r2, #0
    str     r0, [r1]
    str     r2, [r1, #4]
    blx     r0
    mov     r0, #0
    b       1f
    .global probe_exec_fail
probe_exec_fail:
    mvn     r0, #0
1:  ldr     r1, =probe_exec_target
    mov     r2, #0
    str     r2, [r1]
    str     r2, [r1, #4]
    pop     {r4, pc}
    .ltorg

    .bss
    .balign 8
    .global probe_exec_target
probe_exec_target:
    .quad 0
