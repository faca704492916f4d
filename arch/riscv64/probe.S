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

/* int riscv_counter_read_safe(unsigned which, uint64_t *out): which = 0 cycle,
 * 1 instret, 2 time, 3 mcycle (an M-mode CSR: always traps in S-mode, the
 * self-test of this path). Returns 0 with *out set, or -1 when the read
 * raised an illegal-instruction exception (the firmware's mcounteren hides
 * the counter from S-mode); arch/riscv64/exception.c resumes at the fixup. */
    .text
    .global riscv_counter_read_safe
riscv_counter_read_safe:
    li      t1, 1
    beqz    a0, 1f
    beq     a0, t1, 2f
    li      t1, 2
    beq     a0, t1, 3f
4:  csrr    t0, mcycle
    j       9f
1:  rdcycle t0
    j       9f
2:  rdinstret t0
    j       9f
3:  rdtime  t0
9:  sd      t0, 0(a1)
    li      a0, 0
    ret
8:  li      a0, -1
    ret
    .section .fixup, "a"
    .balign 8
    .dword 1b, 8b
    .dword 2b, 8b
    .dword 3b, 8b
    .dword 4b, 8b
    .text
