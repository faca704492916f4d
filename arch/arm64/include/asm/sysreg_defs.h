/* arm64 system register constants, usable from assembly and C. */
#ifndef ASM_SYSREG_DEFS_H
#define ASM_SYSREG_DEFS_H

#define HCR_EL2_RW          (1 << 31)
#define HCR_EL2_E2H_BIT     34          /* bit number, for ubfx/tbnz */
#define CPTR_EL2_RES1       0x33ff
/* CPTR_EL2 when HCR_EL2.E2H = 1 has the CPACR_EL1 layout: FPEN = 0b11. */
#define CPTR_EL2_E2H_FPEN   (3 << 20)
#define PMCCFILTR_NSH       (1 << 27)
/* SCTLR_EL1 RES1 bits (29,28,23,22,20,11), MMU/caches off, little-endian. */
#define SCTLR_EL1_RES1      0x30d00800
/* SCTLR_EL2 (E2H = 0) RES1 bits (29,28,23,22,18,16,11,5,4), MMU/caches off,
 * little-endian, WXN = 0, A = 0: Linux's INIT_SCTLR_EL2_MMU_OFF. */
#define SCTLR_EL2_RES1      0x30c50830
/* HCRX_EL2 enables, the subset of Linux's __init_el2_hcrx this kernel
 * wants: FEAT_MOPS instructions (MSCEn) and TCR2_EL1 (TCR2En) at EL1. */
#define HCRX_EL2_MSCEn      (1 << 11)
#define HCRX_EL2_TCR2En     (1 << 14)

/* Registers newer than the assembler's -march=armv8.4-a, by generic
 * encoding S<op0>_<op1>_C<CRn>_C<CRm>_<op2> (Arm ARM; Linux's
 * arch/arm64/tools/sysreg). Assembly only. */
#define REG_HFGRTR_EL2      S3_4_C1_C1_4    /* FEAT_FGT */
#define REG_HFGWTR_EL2      S3_4_C1_C1_5
#define REG_HFGITR_EL2      S3_4_C1_C1_6
#define REG_HDFGRTR_EL2     S3_4_C3_C1_4
#define REG_HDFGWTR_EL2     S3_4_C3_C1_5
#define REG_HAFGRTR_EL2     S3_4_C3_C1_6    /* FEAT_FGT with FEAT_AMUv1 */
#define REG_HDFGRTR2_EL2    S3_4_C3_C1_0    /* FEAT_FGT2 */
#define REG_HDFGWTR2_EL2    S3_4_C3_C1_1
#define REG_HFGRTR2_EL2     S3_4_C3_C1_2
#define REG_HFGWTR2_EL2     S3_4_C3_C1_3
#define REG_HFGITR2_EL2     S3_4_C3_C1_7
#define REG_HCRX_EL2        S3_4_C1_C2_2    /* FEAT_HCX */
#define REG_ID_AA64MMFR3_EL1 S3_0_C0_C7_3
#define REG_TCR2_EL1        S3_0_C2_C0_3    /* FEAT_TCR2 */
#define SPSR_EL1H_DAIF      0x3c5       /* EL1h, D A I F masked */

#define SCTLR_M             (1 << 0)
#define SCTLR_C             (1 << 2)
#define SCTLR_SA            (1 << 3)
#define SCTLR_I             (1 << 12)

/* Frame layout of the exception entry (boot/arm64/vectors.S, asm/exception.h). */
#define FRAME_X0            0
#define FRAME_SP            (31 * 8)
#define FRAME_ELR           (32 * 8)
#define FRAME_SPSR          (33 * 8)
#define FRAME_ESR           (34 * 8)
#define FRAME_FAR           (35 * 8)
#define FRAME_KIND          (36 * 8)
#define FRAME_FP            (38 * 8)    /* q0..q31, 16-byte aligned */
#define FRAME_FPSR          (FRAME_FP + 32 * 16)
#define FRAME_SIZE          (FRAME_FPSR + 16)

#endif
