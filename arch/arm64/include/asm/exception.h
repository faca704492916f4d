/* arm64 trap frame, as saved by boot/arm64/vectors.S. */
#ifndef ASM_EXCEPTION_H
#define ASM_EXCEPTION_H
#include <stdint.h>
#include <asm/sysreg_defs.h>

struct trap_frame {
    uint64_t x[31];
    uint64_t sp;
    uint64_t elr, spsr, esr, far;
    uint64_t kind, _pad;
    __uint128_t q[32];
    uint64_t fpsr, fpcr;
};
_Static_assert(__builtin_offsetof(struct trap_frame, sp) == FRAME_SP, "frame sp");
_Static_assert(__builtin_offsetof(struct trap_frame, elr) == FRAME_ELR, "frame elr");
_Static_assert(__builtin_offsetof(struct trap_frame, esr) == FRAME_ESR, "frame esr");
_Static_assert(__builtin_offsetof(struct trap_frame, kind) == FRAME_KIND, "frame kind");
_Static_assert(__builtin_offsetof(struct trap_frame, q) == FRAME_FP, "frame fp");
_Static_assert(__builtin_offsetof(struct trap_frame, fpsr) == FRAME_FPSR, "frame fpsr");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame size");

/* ESR_ELx exception classes used here. */
#define ESR_EC(esr)         (((esr) >> 26) & 0x3f)
#define EC_UNKNOWN          0x00
#define EC_SVC64            0x15
#define EC_IABT_LOW         0x20
#define EC_IABT_CUR         0x21
#define EC_PC_ALIGN         0x22
#define EC_DABT_LOW         0x24
#define EC_DABT_CUR         0x25
#define EC_SP_ALIGN         0x26
#define EC_BRK64            0x3c
#define ESR_ISS_WNR         (1u << 6)
#define ESR_ISS_CM          (1u << 8)
#define ESR_ISS_FNV         (1u << 10)
#define ESR_FSC(esr)        ((esr) & 0x3f)
#endif
