/* 32-bit Arm constants usable from assembly and C. */
#ifndef ASM_SYSREG_DEFS_H
#define ASM_SYSREG_DEFS_H

/* CPSR mode field and mask bits. */
#define PSR_MODE_MASK       0x1f
#define PSR_MODE_USR        0x10
#define PSR_MODE_FIQ        0x11
#define PSR_MODE_IRQ        0x12
#define PSR_MODE_SVC        0x13
#define PSR_MODE_ABT        0x17
#define PSR_MODE_HYP        0x1a
#define PSR_MODE_UND        0x1b
#define PSR_MODE_SYS        0x1f
#define PSR_F               (1 << 6)
#define PSR_I               (1 << 7)
#define PSR_A               (1 << 8)

/* SCTLR (B4.1.130). */
#define SCTLR_M             (1 << 0)
#define SCTLR_A             (1 << 1)
#define SCTLR_C             (1 << 2)
#define SCTLR_Z             (1 << 11)
#define SCTLR_I             (1 << 12)
#define SCTLR_V             (1 << 13)
/* Reset-like value: MMU, caches, alignment checks, high vectors off; the
 * RES1 bits of ARMv7 (4:3 SBOP, 22 U, 23 SBOP) set; TE = EE = 0 (A32,
 * little-endian exceptions). */
#define SCTLR_CLEAN         0x00c50078
/* HSCTLR: HYP MMU and caches off, little-endian, RES1 bits (29:28, 23:22, 18, 16, 11, 4:3). */
#define HSCTLR_CLEAN        0x30c50818

/* TTBCR (B4.1.153), long-descriptor: EAE, T0SZ = 0 (TTBR0 covers all 4 GiB),
 * table walks inner/outer write-back write-allocate, inner shareable,
 * EPD1 (no TTBR1 walks), A1 = 0 (ASID from TTBR0). */
#define TTBCR_EAE           (1u << 31)
#define TTBCR_IRGN0_WBWA    (1 << 8)
#define TTBCR_ORGN0_WBWA    (1 << 10)
#define TTBCR_SH0_INNER     (3 << 12)
#define TTBCR_EPD1          (1 << 23)
#define TTBCR_VALUE         (TTBCR_EAE | TTBCR_IRGN0_WBWA | TTBCR_ORGN0_WBWA | TTBCR_SH0_INNER | TTBCR_EPD1)
/* MAIR0: Attr0 = 0xff Normal inner/outer write-back write-allocate,
 * Attr1 = 0x04 Device (v7; Device-nGnRE on v8). */
#define MAIR0_VALUE         0x000004ff

/* Exception frame (boot/arm/vectors.S, asm/exception.h), 4-byte words. */
#define FRAME_SP            (13 * 4)
#define FRAME_LR            (14 * 4)
#define FRAME_KIND          (15 * 4)
#define FRAME_FSR           (16 * 4)
#define FRAME_FAR           (17 * 4)
#define FRAME_PC            (18 * 4)
#define FRAME_CPSR          (19 * 4)
#define FRAME_SIZE          (20 * 4)

/* Exception kinds (vector numbers). */
#define KIND_UNDEF          1
#define KIND_SVC            2
#define KIND_PABT           3
#define KIND_DABT           4
#define KIND_IRQ            6
#define KIND_FIQ            7
#endif
