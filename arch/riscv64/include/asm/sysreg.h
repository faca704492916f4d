/* riscv64 CSR access: one-line helpers named after the CSR. */
#ifndef ASM_SYSREG_H
#define ASM_SYSREG_H
#include <stdint.h>

#define csr_read(c) ({ uint64_t __v; __asm__ volatile("csrr %0, " #c : "=r"(__v) :: "memory"); __v; })
#define csr_write(c, v) __asm__ volatile("csrw " #c ", %0" :: "rK"((uint64_t)(v)) : "memory")
#define csr_set(c, v) __asm__ volatile("csrs " #c ", %0" :: "rK"((uint64_t)(v)) : "memory")
#define csr_clear(c, v) __asm__ volatile("csrc " #c ", %0" :: "rK"((uint64_t)(v)) : "memory")

static inline void wfi(void) { __asm__ volatile("wfi"); }

/* SBI call (a7 = extension, a6 = function). Returns error in .error, value in .value. */
struct sbiret { long error; long value; };
static inline struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ r0, r1 };
}
#define SBI_EXT_BASE    0x10
#define SBI_EXT_SRST    0x53525354
#define SBI_EXT_DBCN    0x4442434E

#endif
