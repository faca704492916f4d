/*
 * arm64 early identity map, enabled from entry.S before any C library call:
 * with the MMU off every access is Device-nGnRnE, where the unaligned loads
 * of picolibc's string routines fault. 39-bit VA (translation starts at
 * level 1), 1 GiB blocks: one GiB is Device (BOARD_EARLY_DEVICE_GIB: the
 * first, MMIO on QEMU virt; the fourth on the Raspberry Pi 4, whose
 * peripherals sit below 4 GiB and RAM from 0), the other three Normal
 * write-back. mmu/kernel_map.c replaces this map with one built from the
 * device tree.
 * No library calls and no unaligned accesses in here.
 */
#include <stdint.h>
#include <asm/sysreg.h>

#define MAIR_NORMAL_WB      0xffULL     /* AttrIndx 0 */
#define MAIR_DEVICE_nGnRE   0x04ULL     /* AttrIndx 1 */
#define BLOCK_NORMAL        (1ULL | (0ULL << 2) | (3ULL << 8) | (1ULL << 10))
#define BLOCK_DEVICE        (1ULL | (1ULL << 2) | (1ULL << 10) | (1ULL << 53) | (1ULL << 54))

#ifndef BOARD_EARLY_DEVICE_GIB
#define BOARD_EARLY_DEVICE_GIB 0
#endif

static uint64_t early_l1[512] __attribute__((aligned(4096)));

void arm64_early_mmu_enable(void)
{
    for (uint64_t g = 0; g < 4; g++)
        early_l1[g] = (g << 30) | (g == BOARD_EARLY_DEVICE_GIB ? BLOCK_DEVICE : BLOCK_NORMAL);
    uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 7;
    uint64_t tcr = 25                   /* T0SZ: 39-bit VA */
        | (1ULL << 8) | (1ULL << 10)    /* IRGN0, ORGN0: write-back */
        | (3ULL << 12)                  /* SH0 inner shareable */
        | (1ULL << 23)                  /* EPD1: no TTBR1 walks */
        | (parange << 32);              /* IPS */
    write_sysreg(mair_el1, MAIR_NORMAL_WB | (MAIR_DEVICE_nGnRE << 8));
    write_sysreg(tcr_el1, tcr);
    write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)early_l1);
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I);
    isb();
}
