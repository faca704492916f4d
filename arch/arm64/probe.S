/* Probe accessors (boot/trap.h): one access each; a fault that the mm
 * handler does not resolve resumes at the fixup and returns -1. */
    .text
    .global probe_read64
probe_read64:                   /* x0 = addr, x1 = out */
1:  ldr     x2, [x0]
    str     x2, [x1]
    mov     x0, #0
    ret
2:  mov     x0, #-1
    ret
    .section .fixup, "a"
    .quad 1b, 2b
    .text

    .global probe_write64
probe_write64:                  /* x0 = addr, x1 = value */
1:  str     x1, [x0]
    mov     x0, #0
    ret
2:  mov     x0, #-1
    ret
    .section .fixup, "a"
    .quad 1b, 2b
    .text

    .global probe_exec
probe_exec:                     /* x0 = code address (holding a ret) */
    stp     x29, x30, [sp, #-16]!
    adrp    x1, probe_exec_target
    str     x0, [x1, :lo12:probe_exec_target]
    blr     x0
    mov     x0, #0
    b       1f
    .global probe_exec_fail
probe_exec_fail:
    mov     x0, #-1
1:  adrp    x1, probe_exec_target
    str     xzr, [x1, :lo12:probe_exec_target]
    ldp     x29, x30, [sp], #16
    ret

    .bss
    .balign 8
    .global probe_exec_target
probe_exec_target:
    .quad 0
