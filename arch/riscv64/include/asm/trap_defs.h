/* riscv64 trap frame layout, shared by boot/riscv64/trap.S and asm/exception.h. */
#ifndef ASM_TRAP_DEFS_H
#define ASM_TRAP_DEFS_H
/* x1..x31 at index 1..31 (index 0 holds sepc), then status, cause, tval. */
#define FRAME_EPC       0
#define FRAME_STATUS    (32 * 8)
#define FRAME_CAUSE     (33 * 8)
#define FRAME_TVAL      (34 * 8)
#define FRAME_SIZE      (36 * 8)
#endif
