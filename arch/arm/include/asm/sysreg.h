/* 32-bit Arm CP15 system register access: one-line helpers named after the
 * register (Arm ARM v7-A B4.1, B6.1; the (opc1, CRn, CRm, opc2) of each). */
#ifndef ASM_SYSREG_H
#define ASM_SYSREG_H
#include <stdint.h>
#include <asm/sysreg_defs.h>

#define read_cp15(opc1, crn, crm, opc2) ({ uint32_t __v;                          \
        __asm__ volatile("mrc p15, " #opc1 ", %0, " #crn ", " #crm ", " #opc2 : "=r"(__v)); __v; })
#define write_cp15(opc1, crn, crm, opc2, v)                                         \
        __asm__ volatile("mcr p15, " #opc1 ", %0, " #crn ", " #crm ", " #opc2 :: "r"((uint32_t)(v)) : "memory")
#define read_cp15_64(opc1, crm) ({ uint64_t __v;                                   \
        __asm__ volatile("mrrc p15, " #opc1 ", %Q0, %R0, " #crm : "=r"(__v)); __v; })
#define write_cp15_64(opc1, crm, v)                                                 \
        __asm__ volatile("mcrr p15, " #opc1 ", %Q0, %R0, " #crm :: "r"((uint64_t)(v)) : "memory")

static inline uint32_t read_midr(void) { return read_cp15(0, c0, c0, 0); }
static inline uint32_t read_mpidr(void) { return read_cp15(0, c0, c0, 5); }
static inline uint32_t read_id_pfr1(void) { return read_cp15(0, c0, c1, 1); }
static inline uint32_t read_id_dfr0(void) { return read_cp15(0, c0, c1, 2); }
static inline uint32_t read_id_mmfr0(void) { return read_cp15(0, c0, c1, 4); }
static inline uint32_t read_id_mmfr1(void) { return read_cp15(0, c0, c1, 5); }
static inline uint32_t read_sctlr(void) { return read_cp15(0, c1, c0, 0); }
static inline void write_sctlr(uint32_t v) { write_cp15(0, c1, c0, 0, v); }
static inline uint32_t read_ttbcr(void) { return read_cp15(0, c2, c0, 2); }
static inline void write_ttbcr(uint32_t v) { write_cp15(0, c2, c0, 2, v); }
static inline uint64_t read_ttbr0(void) { return read_cp15_64(0, c2); }
static inline void write_ttbr0(uint64_t v) { write_cp15_64(0, c2, v); }
static inline void write_mair0(uint32_t v) { write_cp15(0, c10, c2, 0, v); }
static inline void write_mair1(uint32_t v) { write_cp15(0, c10, c2, 1, v); }
static inline uint32_t read_dfsr(void) { return read_cp15(0, c5, c0, 0); }
static inline uint32_t read_ifsr(void) { return read_cp15(0, c5, c0, 1); }
static inline uint32_t read_dfar(void) { return read_cp15(0, c6, c0, 0); }
static inline uint32_t read_ifar(void) { return read_cp15(0, c6, c0, 2); }
static inline uint32_t read_cntfrq(void) { return read_cp15(0, c14, c0, 0); }
static inline uint64_t read_cntvct(void) { return read_cp15_64(1, c14); }

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi"); }
#endif
