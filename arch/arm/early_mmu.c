/*
 * 32-bit Arm early identity map, enabled from entry.S before any C library
 * call: with the MMU off every access is Strongly-ordered, where newlib's
 * unaligned loads fault. LPAE (TTBCR.EAE), T0SZ = 0: a 4-entry level-1
 * table, the first two GiB through two level-2 tables of 2 MiB blocks,
 * Normal write-back inside [EARLY_RAM_START, EARLY_RAM_END), Device
 * elsewhere (QEMU virt: RAM from 1 GiB; Raspberry Pi 2: RAM from 0, the
 * peripherals at 0x3f000000 and 0x40000000). arch/arm/mmu.c replaces this
 * map with one built from the device tree.
 * No library calls in here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <asm/sysreg.h>

#ifndef EARLY_RAM_START
#define EARLY_RAM_START 0x40000000u
#endif
#ifndef EARLY_RAM_END
#define EARLY_RAM_END   0x80000000u
#endif

#define BLOCK_NORMAL    (1ULL | (0ULL << 2) | (3ULL << 8) | (1ULL << 10))
#define BLOCK_DEVICE    (1ULL | (1ULL << 2) | (1ULL << 10) | (1ULL << 53) | (1ULL << 54))
#define TABLE           3ULL

static uint64_t early_l1[4] __attribute__((aligned(32)));
static uint64_t early_l2[2][512] __attribute__((aligned(4096)));

void arm_early_mmu_enable(void)
{
    for (uint32_t g = 0; g < 2; g++) {
        for (uint32_t i = 0; i < 512; i++) {
            uint32_t pa = (g << 30) | (i << 21);
            bool ram = pa - EARLY_RAM_START < EARLY_RAM_END - EARLY_RAM_START;
            early_l2[g][i] = (uint64_t)pa | (ram ? BLOCK_NORMAL : BLOCK_DEVICE);
        }
        early_l1[g] = (uint64_t)(uintptr_t)early_l2[g] | TABLE;
    }
    write_mair0(MAIR0_VALUE);
    write_mair1(0);
    write_ttbcr(TTBCR_VALUE);
    write_ttbr0((uint64_t)(uintptr_t)early_l1);        /* ASID 0 */
    __asm__ volatile("dsb; mcr p15, 0, %0, c8, c7, 0; dsb; isb" :: "r"(0) : "memory");  /* TLBIALL */
    write_sctlr(read_sctlr() | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_Z);
    isb();
}
