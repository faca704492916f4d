/* 32-bit Arm trap frame, as saved by boot/arm/vectors.S on the SVC stack. */
#ifndef ASM_EXCEPTION_H
#define ASM_EXCEPTION_H
#include <stdint.h>
#include <asm/sysreg_defs.h>

struct trap_frame {
    uint32_t r[13];
    uint32_t sp, lr;        /* the interrupted (SVC) context's */
    uint32_t kind;          /* KIND_* */
    uint32_t fsr, far;      /* DFSR/DFAR or IFSR/IFAR, as the kind says */
    uint32_t pc, cpsr;      /* return state (SRS layout, for RFE) */
};
_Static_assert(__builtin_offsetof(struct trap_frame, sp) == FRAME_SP, "frame sp");
_Static_assert(__builtin_offsetof(struct trap_frame, kind) == FRAME_KIND, "frame kind");
_Static_assert(__builtin_offsetof(struct trap_frame, fsr) == FRAME_FSR, "frame fsr");
_Static_assert(__builtin_offsetof(struct trap_frame, pc) == FRAME_PC, "frame pc");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame size");

/* Long-descriptor fault status (DFSR/IFSR with TTBCR.EAE = 1, B4.1.52). */
#define FSR_LPAE            (1u << 9)
#define FSR_WNR             (1u << 11)      /* DFSR: write */
#define FSR_CM              (1u << 13)      /* DFSR: cache maintenance */
#define FSR_STATUS(fsr)     ((fsr) & 0x3f)
#endif
