/*
 * riscv64 entry in S-mode, from OpenSBI (a0 = hartid, a1 = DTB address).
 * QEMU starts an ELF at its lowest load address, so this must be first
 * in .text (linker/common.ld keeps .text.boot first).
 */
    .section .text.boot, "ax"
#ifdef BOARD_IMAGE_HEADER
/*
 * RISC-V Image header (Linux Documentation/arch/riscv/boot-image-header.rst),
 * for U-Boot's booti. The image runs at its link address: U-Boot must load
 * it there (boards/<board>.mk, the boot script).
 */
    .global _image_header
_image_header:
    j       _start                      /* code0 (4 bytes: 32-bit jal x0) */
    .balign 8                           /* code1 */
    .quad   BOARD_TEXT_OFFSET           /* text_offset */
    .quad   __image_size                /* image_size */
    .quad   0                           /* flags: little-endian */
    .long   2                           /* version 0.2 */
    .long   0                           /* res1 */
    .quad   0                           /* res2 */
    .ascii  "RISCV\0\0\0"               /* magic (deprecated) */
    .ascii  "RSC\x05"                    /* magic2 */
    .long   0                           /* res3 (no PE/COFF header) */
#endif
    .cfi_sections .debug_frame
    .global _start
_start:
    .cfi_startproc
    .cfi_undefined ra                   /* outermost frame: no caller to unwind to */
    /* No interrupts, no FP (the kernel is built without F/D). */
    csrw    sie, zero
    csrci   sstatus, 2
    mv      s0, a0
    mv      s1, a1
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    /* Zero BSS, including .sbss (linker/common.ld puts both in .bss). */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    la      t0, riscv_trap_entry
    csrw    stvec, t0
    mv      a0, s1          /* DTB */
    mv      a1, s0          /* hartid */
    /* The outermost frame: fp (s0) = 0 and ra = 0 (set by the call to the
     * return address; kmain never returns), so a debugger's backtrace ends
     * at kmain's caller cleanly. */
    li      s0, 0
    call    kmain
3:  wfi
    j       3b
    .cfi_endproc

/*
 * Secondary harts (SBI HSM hart_start from boot/smp.c) start here in
 * S-mode with translation off, a0 = hart id, a1 = the opaque value: the
 * address of their struct smp_boot_ctx (satp at 0, stack top at 8, struct
 * cpu * at 16). The per-CPU pointer lives in sscratch (tp is left alone:
 * the C library may use it for thread-local storage).
 */
    .section .text
    .balign 4
    .global riscv_secondary_entry
riscv_secondary_entry:
    csrw    sie, zero
    csrci   sstatus, 2
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    ld      sp, 8(a1)
    ld      t0, 16(a1)
    csrw    sscratch, t0
    la      t1, riscv_trap_entry
    csrw    stvec, t1
    ld      t1, 0(a1)
    sfence.vma
    csrw    satp, t1
    sfence.vma
    mv      a0, t0
    call    smp_secondary_main
1:  wfi
    j       1b
