/* The contract each arch/<arch>/ implements for the boot code. */
#ifndef BOOT_ARCH_H
#define BOOT_ARCH_H
#include <stdint.h>
#include <stdbool.h>

struct dt_info;

/* Name of the architecture ("arm64", "riscv64"). */
extern const char arch_name[];
/* Exception level / privilege mode the kernel was entered in ("EL1", "EL2", "S"). */
const char *arch_boot_mode(void);
/* After the device tree is read and the console is up: trap vectors are
 * already live; this reads CPU features (printed by arch_describe). */
void arch_init(const struct dt_info *dt);
void arch_describe(void);
/* Exit the machine with a status; how is chosen from boot arguments and the
 * device tree (semihosting, PSCI, test finisher, SBI SRST). */
__attribute__((noreturn)) void arch_exit(int code);
/* Enable the cycle and instruction counters. */
void arch_counters_enable(void);
/* Register dump of a trap frame (one "REGISTERS" header line, then values). */
void arch_dump_frame(const void *frame);
uint64_t arch_frame_pc(const void *frame);
void arch_frame_set_pc(void *frame, uint64_t pc);
void arch_frame_set_ret(void *frame, uint64_t value);
#endif
