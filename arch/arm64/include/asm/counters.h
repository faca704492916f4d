/* arm64 counters: PMU cycle counter, INST_RETIRED event counter 0, generic timer. */
#ifndef ASM_COUNTERS_H
#define ASM_COUNTERS_H
#include <stdint.h>
#include <asm/sysreg.h>

/* Names printed with every figure, so a reader knows what was counted. */
#define COUNTER_CYCLES_NAME "pmccntr_el0"
#define COUNTER_INSTR_NAME  "pmu_inst_retired"
#define COUNTER_TIME_NAME   "cntvct_el0"

static inline uint64_t read_cycles(void) { isb(); return read_sysreg(pmccntr_el0); }
static inline uint64_t read_instret(void) { isb(); return read_sysreg(pmevcntr0_el0); }
static inline uint64_t read_timer(void) { isb(); return read_sysreg(cntvct_el0); }
static inline uint64_t timer_freq_hz(void) { return read_sysreg(cntfrq_el0); }
#endif
