/* arm64 system register constants, usable from assembly and C. */
#ifndef ASM_SYSREG_DEFS_H
#define ASM_SYSREG_DEFS_H

#define HCR_EL2_RW          (1 << 31)
#define CPTR_EL2_RES1       0x33ff
#define PMCCFILTR_NSH       (1 << 27)
/* SCTLR_EL1 RES1 bits (29,28,23,22,20,11), MMU/caches off, little-endian. */
#define SCTLR_EL1_RES1      0x30d00800
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
