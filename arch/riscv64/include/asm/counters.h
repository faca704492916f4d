/* riscv64 counters: Zicntr cycle / instret / time (OpenSBI opens them to S-mode). */
#ifndef ASM_COUNTERS_H
#define ASM_COUNTERS_H
#include <stdint.h>

#define COUNTER_CYCLES_NAME "rdcycle"
#define COUNTER_INSTR_NAME  "rdinstret"
#define COUNTER_TIME_NAME   "rdtime"

static inline uint64_t read_cycles(void) { uint64_t v; __asm__ volatile("rdcycle %0" : "=r"(v)); return v; }
static inline uint64_t read_instret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }
static inline uint64_t read_timer(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
/* 0 cycle, 1 instret, 2 time, 3 mcycle (always traps: self-test); -1 if the read traps */
int riscv_counter_read_safe(unsigned which, uint64_t *out);
#define ARCH_COUNTER_READ_SAFE(which, out) riscv_counter_read_safe((which), (out))
extern uint64_t riscv_timebase_hz;      /* from the device tree /cpus timebase-frequency */
static inline uint64_t timer_freq_hz(void) { return riscv_timebase_hz; }
#endif
