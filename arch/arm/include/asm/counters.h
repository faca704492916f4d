/*
 * 32-bit Arm counters: the PMU cycle counter PMCCNTR and event counter 0
 * programmed with event 0x08 (instructions architecturally executed), both
 * CP15 c9 and 32 bits wide, and the generic timer's 64-bit CNTVCT.
 * The 32-bit counters are extended to 64 bits in software: each read adds
 * 2^32 when the value went down since the previous read, which is exact as
 * long as reads come less than 2^32 counts apart (4.3 s of virtual time at
 * QEMU's 1 GHz; every measured operation here is far shorter).
 */
#ifndef ASM_COUNTERS_H
#define ASM_COUNTERS_H
#include <stdint.h>
#include <asm/sysreg.h>

#define COUNTER_CYCLES_NAME "pmccntr"
#define COUNTER_INSTR_NAME  "pmu_inst_retired"
#define COUNTER_TIME_NAME   "cntvct"

struct arm_counter_ext { uint32_t last; uint64_t high; };
extern struct arm_counter_ext arm_cycles_ext, arm_instret_ext;

static inline uint64_t arm_counter_extend(struct arm_counter_ext *e, uint32_t now)
{
    if (now < e->last)
        e->high += 1ULL << 32;
    e->last = now;
    return e->high | now;
}
static inline uint64_t read_cycles(void)
{
    isb();
    return arm_counter_extend(&arm_cycles_ext, read_cp15(0, c9, c13, 0));     /* PMCCNTR */
}
static inline uint64_t read_instret(void)
{
    isb();
    return arm_counter_extend(&arm_instret_ext, read_cp15(0, c9, c13, 2));    /* PMXEVCNTR (PMSELR = 0) */
}
static inline uint64_t read_timer(void) { isb(); return read_cntvct(); }
static inline uint64_t timer_freq_hz(void) { return read_cntfrq(); }
#endif
