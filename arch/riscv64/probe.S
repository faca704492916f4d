/* Probe accessors (boot/trap.h): one access each; a fault that the mm
 * handler does not resolve resumes at the fixup and returns -1. */
    .text
    .global probe_read64
probe_read64:                   /* a0 = addr, a1 = out */
1:  ld      t0, 0(a0)
    sd      t0, 0(a1)
    li      a0, 0
    ret
2:  li      a0, -1
    ret
    .section .fixup, "a"
    .balign 8
    .dword 1b, 2b
    .text

    .global probe_write64
probe_write64:                  /* a0 = addr, a1 = value */
1:  sd      a1, 0(a0)
    li      a0, 0
    ret
2:  li      a0, -1
    ret
    .section .fixup, "a"
    .balign 8
    .dword 1b, 2b
    .text

    .global probe_exec
probe_exec:                     /* a0 = code address (holding a ret) */
    addi    sp, sp, -16
    sd      ra, 8(sp)
    la      t0, probe_exec_target
    sd      a0, 0(t0)
    jalr    ra, 0(a0)
    li      a0, 0
    j       1f
    .global probe_exec_fail
probe_exec_fail:
    li      a0, -1
1:  la      t0, probe_exec_target
    sd      zero, 0(t0)
    ld      ra, 8(sp)
    addi    sp, sp, 16
    ret

    .bss
    .balign 8
    .global probe_exec_target
probe_exec_target:
    .dword 0
