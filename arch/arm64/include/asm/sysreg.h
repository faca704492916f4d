/* arm64 system register access: one-line helpers named after the register. */
#ifndef ASM_SYSREG_H
#define ASM_SYSREG_H
#include <stdint.h>
#include <asm/sysreg_defs.h>

#define read_sysreg(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((uint64_t)(v)))

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline unsigned current_el(void) { return (unsigned)(read_sysreg(CurrentEL) >> 2) & 3; }
static inline void wfi(void) { __asm__ volatile("wfi"); }

#endif
