/*
 * arm64 entry. Reached at EL1 (QEMU -kernel default), at EL2 (QEMU
 * virtualization=on, Raspberry Pi firmware) or EL3 is not supported.
 * x0 may hold the DTB address (boards); QEMU passes no register for an ELF,
 * so kmain also probes the start of RAM.
 *
 * Nothing here relies on reset values: QEMU resets every system register to
 * a known value, but a board's firmware or boot loader (Raspberry Pi start4.elf
 * + armstub, U-Boot, TF-A) hands over with whatever it last used, and many
 * EL2/EL1 registers reset to UNKNOWN values on real CPUs anyway. Every
 * register whose stale content could change the behaviour of this kernel is
 * written before it matters.
 *
 * The image must run at its link address (absolute `ldr =sym` below); if a
 * loader enters with the MMU on, that address must be identity-mapped, as
 * U-Boot and UEFI do. Only CPU 0 is expected: loaders that hold the other
 * CPUs in firmware (spin table, PSCI) are supported.
 */
#include <asm/sysreg_defs.h>

/*
 * Until SCTLR_ELx is reset, nothing here loads from memory (no `ldr =` literal,
 * addresses by adrp/add, constants by movz/movk): a loader may have left
 * SCTLR_ELx.EE = 1 (big-endian data), and a literal load would then read a
 * byte-swapped value.
 */
.macro mov32 reg, val
    movz    \reg, #((\val) & 0xffff)
    movk    \reg, #(((\val) >> 16) & 0xffff), lsl #16
.endm

/*
 * Data cache maintenance by VA to the Point of Coherency over the whole image
 * (text, data, bss and stack: [__image_start, __image_end), page aligned).
 * \op is cvac (clean) or civac (clean and invalidate). Uses only x1-x4, no
 * stack and no data access, so it is safe with the MMU in either state.
 */
.macro image_dcache op
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4             /* DminLine: log2(words) of the smallest D line */
    mov     x4, #4
    lsl     x4, x4, x3                  /* line size in bytes */
    adrp    x1, __image_start
    add     x1, x1, :lo12:__image_start
    adrp    x2, __image_end
    add     x2, x2, :lo12:__image_end
.Ldc_loop\@:
    dc      \op, x1
    add     x1, x1, x4
    cmp     x1, x2
    b.lo    .Ldc_loop\@
    dsb     sy
.endm

    .section .text.boot, "ax"
#ifdef BOARD_IMAGE_HEADER
/*
 * arm64 Image header (Linux Documentation/arch/arm64/booting.rst), for
 * loaders that take an Image: the Raspberry Pi firmware (kernel8.img),
 * U-Boot's booti, QEMU's -kernel on a raw image. The image runs at its link
 * address: the loader must place it at RAM base + text_offset (the Pi's
 * config.txt pins kernel_address to it).
 */
    .global _image_header
_image_header:
    b       _start                      /* code0 */
    .long   0                           /* code1 */
    .quad   BOARD_TEXT_OFFSET           /* text_offset */
    .quad   __image_size                /* image_size: to __image_end, bss and stack included */
    .quad   (1 << 1)                    /* flags: little-endian, 4 KiB pages, 2 MiB-aligned base */
    .quad   0, 0, 0                     /* res2-res4 */
    .ascii  "ARM\x64"                   /* magic */
    .long   0                           /* res5 (no PE/COFF header) */
#endif
    .cfi_sections .debug_frame
    .global _start
_start:
    .cfi_startproc
    .cfi_undefined x30                  /* outermost frame: no caller to unwind to */
    mov     x19, x0                     /* DTB pointer (or 0) */
    mov     x22, #0                     /* boot CPU */
    b       common_entry

/*
 * Secondary CPUs (PSCI CPU_ON from boot/smp.c) start here with x0 = the
 * context id, the physical address of their struct smp_boot_ctx (cleaned
 * to the PoC by the boot CPU: this CPU reads it with the MMU off). Same EL
 * handling as the boot CPU (QEMU starts them at the caller's EL, firmware
 * may start them at EL2), then secondary_el1.
 */
    .global arm64_secondary_entry
arm64_secondary_entry:
    mov     x19, x0
    mov     x22, #1
common_entry:
    mrs     x20, CurrentEL
    lsr     x20, x20, #2                /* boot exception level, passed to kmain */
    cmp     x20, #2
    b.eq    el2_setup
    cmp     x20, #1
    b.eq    el1_start
1:  wfe                                 /* EL3 or EL0: not supported, park */
    b       1b

el2_setup:
    /* Vectors first: VBAR_EL2 is UNKNOWN at reset, or points into firmware
     * that may be overwritten. An unexpected trap to EL2 (here, or later from
     * EL1) then parks in el2_unexpected instead of running garbage. */
    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1
    isb

    /* EL2 MMU and caches off (SCTLR_EL2 = RES1 only: M = C = I = 0, A = 0,
     * WXN = 0, EE = 0). U-Boot and UEFI run EL2 with the MMU and D-cache on;
     * then the image may still be dirty in the cache: clean it to the PoC
     * first, or the first non-cacheable fetches and loads after the switch
     * read stale memory (Linux's init_el2 does the same). The MMU must be off
     * before HCR_EL2.E2H changes below: E2H selects the EL2 translation
     * regime, so flipping it with the MMU on would reinterpret live tables. */
    mrs     x1, sctlr_el2
    tbz     x1, #0, 1f                  /* SCTLR_EL2.M */
    image_dcache cvac
1:  mov32   x1, SCTLR_EL2_RES1
    msr     sctlr_el2, x1
    isb

    /* HCR_EL2 = RW only: EL1 is AArch64, no virtualisation traps, no stage 2,
     * physical interrupts to EL1, TGE = 0 and E2H = 0. Firmware on a FEAT_VHE
     * CPU may leave E2H = 1 (and TGE = 1), which changes the layout of
     * CPTR_EL2 and CNTHCTL_EL2: write HCR_EL2 before them, with an isb. */
    ldr     x1, =HCR_EL2_RW
    msr     hcr_el2, x1
    isb
    /* CPUs without FEAT_E2H0 (ID_AA64MMFR4_EL1.E2H0 < 0; Apple M1-class
     * cores) have E2H RAO/WI: they can only run EL1 under E2H = 1, TGE = 0.
     * x21 = 1 selects the E2H = 1 layouts below (QEMU does not model such
     * a CPU; the path was tested by forcing E2H = 1 in this write). */
    mrs     x1, hcr_el2
    ubfx    x21, x1, #HCR_EL2_E2H_BIT, #1

    /* HCRX_EL2 (FEAT_HCX, ID_AA64MMFR1_EL1.HCX, bits 43:40) resets UNKNOWN.
     * Linux sets MSCEn | TCR2En | EnFPM (+ GCSEn, EnALS, EnASR when those
     * features exist). This kernel takes MSCEn and TCR2En, so that MOPS and
     * TCR2_EL1 behave at EL1 as when entered at EL1 directly (el1_start
     * zeroes TCR2_EL1, which would trap here with TCR2En = 0). All other bits
     * 0: FP8, GCS, LS64, NMI, D128, SCTLR2 stay disabled at EL1 (unused). */
    mrs     x1, id_aa64mmfr1_el1
    ubfx    x1, x1, #40, #4
    cbz     x1, 2f
    mov     x1, #(HCRX_EL2_MSCEn | HCRX_EL2_TCR2En)
    msr     REG_HCRX_EL2, x1
2:
    /* Fine-grained traps (FEAT_FGT, ID_AA64MMFR0_EL1.FGT, bits 59:56): the
     * registers reset UNKNOWN and firmware may leave traps set; zero them.
     * Zero clears every positive trap bit (TLBI, DC, AT, ERET, PMU, debug,
     * MAIR/TCR/TTBR...). Bits named n<reg> (nPIR_EL1, nPOR_EL0, nTPIDR2_EL0,
     * nGCS_EL1, nBRBDATA, ...) trap when 0: they gate SME/S1PIE/S1POE/GCS/
     * BRBE registers, which this kernel does not use; a test that starts
     * using one must set its bit here, as Linux's __init_el2_fgt does. */
    mrs     x1, id_aa64mmfr0_el1
    ubfx    x1, x1, #56, #4
    cbz     x1, 4f
    msr     REG_HFGRTR_EL2, xzr
    msr     REG_HFGWTR_EL2, xzr
    msr     REG_HFGITR_EL2, xzr
    msr     REG_HDFGRTR_EL2, xzr
    msr     REG_HDFGWTR_EL2, xzr
    cmp     x1, #2                      /* FGT = 0b0010: FEAT_FGT2 */
    b.lo    3f
    msr     REG_HDFGRTR2_EL2, xzr
    msr     REG_HDFGWTR2_EL2, xzr
    msr     REG_HFGRTR2_EL2, xzr
    msr     REG_HFGWTR2_EL2, xzr
    msr     REG_HFGITR2_EL2, xzr
3:  mrs     x1, id_aa64pfr0_el1         /* HAFGRTR_EL2 exists only with AMU */
    ubfx    x1, x1, #44, #4
    cbz     x1, 4f
    msr     REG_HAFGRTR_EL2, xzr
4:
    /* Let EL1 use the physical counter and timer; no virtual offset.
     * EL1PCTEN/EL1PCEN are bits 0,1 with E2H = 0 and bits 10,11 with E2H = 1. */
    mrs     x1, cnthctl_el2
    orr     x2, x1, #3
    orr     x3, x1, #(3 << 10)
    cmp     x21, #0
    csel    x1, x2, x3, eq
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    /* Do not trap FP/SIMD (TFP=0), RES1 bits of non-VHE CPTR_EL2 set;
     * with E2H = 1: FPEN = 0b11. SVE and SME stay trapped in both. */
    ldr     x1, =CPTR_EL2_RES1
    mov     x2, #CPTR_EL2_E2H_FPEN
    cmp     x21, #0
    csel    x1, x1, x2, eq
    msr     cptr_el2, x1
    /* Give every PMU event counter to EL1 (HPMN = PMCR_EL0.N), no traps.
     * Without PMUv3 (ID_AA64DFR0_EL1.PMUVer 0 or IMPLEMENTATION DEFINED 0xf)
     * PMCR_EL0 and PMCCFILTR_EL0 are UNDEFINED: leave HPMN = 0 and skip. */
    mov     x1, xzr
    mrs     x2, id_aa64dfr0_el1
    ubfx    x2, x2, #8, #4
    cbz     x2, 5f
    cmp     x2, #0xf
    b.eq    5f
    mrs     x1, pmcr_el0
    ubfx    x1, x1, #11, #5
    /* Count cycles at EL2 too (PMCCFILTR_EL0.NSH): else PMCCNTR reads 0 here. */
    ldr     x2, =PMCCFILTR_NSH
    msr     pmccfiltr_el0, x2
5:  msr     mdcr_el2, x1
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
    /* SCTLR_EL1 = RES1 only (MMU, caches, alignment check A, WXN, EE all 0)
     * before anything else: a loader entering at EL1 may leave WXN, A, SA or
     * even the MMU and caches on, and arm64_early_mmu_enable ORs M|C|I into
     * whatever SCTLR_EL1 holds. If the MMU is on, clean the image to the PoC
     * first (the same reason as at EL2); the code runs from its physical
     * address, so turning translation off does not move it. */
    mrs     x1, sctlr_el1
    tbz     x1, #0, 1f                  /* SCTLR_EL1.M */
    image_dcache cvac
1:  mov32   x1, SCTLR_EL1_RES1
    msr     sctlr_el1, x1
    isb
    /* TCR2_EL1 (FEAT_TCR2, ID_AA64MMFR3_EL1.TCRX, bits 3:0) resets UNKNOWN
     * and extends TCR_EL1 (PIE, POE, D128, HAFT...): a stale PIE = 1 would
     * reinterpret every permission of the early map. Zero it, as Linux's
     * __cpu_setup does. ID_AA64MMFR3_EL1 reads as 0 on older CPUs (reserved
     * ID space is RAZ). */
    mrs     x1, REG_ID_AA64MMFR3_EL1
    ubfx    x1, x1, #0, #4
    cbz     x1, 2f
    msr     REG_TCR2_EL1, xzr
    isb
2:
    cbnz    x22, secondary_el1
    /* Only CPU 0 enters at _start; others park (boot/smp.c starts them
     * through PSCI at arm64_secondary_entry). */
    mrs     x1, mpidr_el1
    and     x1, x1, #0xffffff
    cbz     x1, 4f
3:  wfe
    b       3b
4:
    /* With the MMU and caches off from here until arm64_early_mmu_enable,
     * stores go to memory, not the cache. Clean and invalidate the image so
     * no line from before (a loader's clean copy, a dirty line left by a
     * sloppy loader, a speculative fill) shadows BSS, the stack or the early
     * page table once caches are on; clean first, so a dirty line is
     * written back, never lost. Then drop stale instructions. */
    image_dcache civac
    ic      iallu
    dsb     nsh
    isb
    ldr     x1, =__stack_top
    mov     sp, x1
    /* Zero BSS. */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
5:  cmp     x1, x2
    b.hs    6f
    str     xzr, [x1], #8
    b       5b
6:
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
    /* The outermost frame: a zero frame record (x29 = x30 = 0), so a
     * debugger's backtrace ends here cleanly (the CFI below says the same). */
    mov     x29, xzr
    mov     x30, xzr
    bl      kmain
7:  wfe
    b       7b
    .cfi_endproc

/*
 * A secondary CPU at EL1, MMU off, x19 = struct smp_boot_ctx (identity
 * mapped): the kernel's MAIR/TCR/TTBR0/SCTLR as the boot CPU runs them,
 * stale local TLB entries dropped before the MMU goes on, then its own
 * stack and per-CPU pointer (TPIDR_EL1) and smp_secondary_main(cpu).
 */
secondary_el1:
    ic      iallu
    dsb     nsh
    isb
    mov     x1, #(3 << 20)              /* FP/SIMD on, as on the boot CPU */
    msr     cpacr_el1, x1
    ldr     x1, =arm64_vectors
    msr     vbar_el1, x1
    ldr     x1, [x19, #0]               /* mair */
    msr     mair_el1, x1
    ldr     x1, [x19, #8]               /* tcr */
    msr     tcr_el1, x1
    ldr     x1, [x19, #16]              /* ttbr0 */
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x2, [x19, #24]              /* sctlr (M, C, I set) */
    ldr     x1, [x19, #32]              /* stack top */
    ldr     x0, [x19, #40]              /* struct cpu * */
    msr     sctlr_el1, x2
    isb
    mov     sp, x1
    msr     tpidr_el1, x0
    bl      smp_secondary_main
8:  wfe
    b       8b

/*
 * EL2 vectors (VBAR_EL2, installed by el2_setup). Never reached in normal
 * operation: EL2 only prepares EL1 and erets, and HCR_EL2 routes nothing to
 * EL2 afterwards except HVC (HCR_EL2.HCD = 0) and the traps left at 0 above.
 * An unexpected entry saves nothing (no EL2 stack exists) and parks with
 *   x0 = ESR_EL2, x1 = ELR_EL2, x2 = FAR_EL2, x3 = vector offset
 *   (0x000-0x1ff: from EL2 itself, 0x400 sync / 0x480 irq ... from EL1),
 * the previous x0-x3 being lost. A debugger (gdb on QEMU's -s, JTAG on a
 * board) shows them with `info registers`; QEMU's -d int logs the entry.
 * Board independent on purpose: no UART is known at EL2 (the DTB is not
 * parsed yet), and a wrong MMIO address would fault again, here.
 */
.macro el2_ventry off
    .balign 0x80
    mov     x3, #\off
    b       el2_unexpected
.endm

    .section .text, "ax"
    .balign 0x800                       /* VBAR_EL2[10:0] are RES0 */
el2_vectors:
    el2_ventry 0x000                    /* current EL, SP_EL0: sync, irq, fiq, serror */
    el2_ventry 0x080
    el2_ventry 0x100
    el2_ventry 0x180
    el2_ventry 0x200                    /* current EL, SP_EL2 */
    el2_ventry 0x280
    el2_ventry 0x300
    el2_ventry 0x380
    el2_ventry 0x400                    /* lower EL, AArch64 (HVC from EL1: 0x400) */
    el2_ventry 0x480
    el2_ventry 0x500
    el2_ventry 0x580
    el2_ventry 0x600                    /* lower EL, AArch32 */
    el2_ventry 0x680
    el2_ventry 0x700
    el2_ventry 0x780

el2_unexpected:
    mrs     x0, esr_el2
    mrs     x1, elr_el2
    mrs     x2, far_el2
1:  wfe
    b       1b
