/* riscv64 trap frame, as saved by boot/riscv64/trap.S. */
#ifndef ASM_EXCEPTION_H
#define ASM_EXCEPTION_H
#include <stdint.h>
#include <asm/trap_defs.h>

struct trap_frame {
    uint64_t epc;           /* slot of x0 */
    uint64_t x[31];         /* x1..x31 at x[0..30] */
    uint64_t status, cause, tval, _pad;
};
_Static_assert(__builtin_offsetof(struct trap_frame, status) == FRAME_STATUS, "status");
_Static_assert(__builtin_offsetof(struct trap_frame, cause) == FRAME_CAUSE, "cause");
_Static_assert(__builtin_offsetof(struct trap_frame, tval) == FRAME_TVAL, "tval");
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "size");

#define CAUSE_INTERRUPT         (1ULL << 63)
#define CAUSE_INSN_MISALIGNED   0
#define CAUSE_INSN_ACCESS       1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_LOAD_MISALIGNED   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_STORE_MISALIGNED  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_INSN_PAGE_FAULT   12
#define CAUSE_LOAD_PAGE_FAULT   13
#define CAUSE_STORE_PAGE_FAULT  15
#endif
