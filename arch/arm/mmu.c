/* 32-bit Arm (LPAE) translation set-up: features, TTBCR/MAIR/TTBR0, root switch. */
#include "boot/kernel.h"
#include "boot/bootargs.h"
#include <asm/mmu.h>

struct mmu_caps mmu_caps;

void arch_mmu_probe(void)
{
    uint32_t mmfr0 = read_id_mmfr0(), mmfr1 = read_id_mmfr1();
    if ((mmfr0 & 0xf) < 5)
        panic("ID_MMFR0.VMSA = %lu: this CPU has no LPAE (VMSAv7 with long descriptors)",
              (unsigned long)(mmfr0 & 0xf));
    mmu_caps.va_bits = 32;
    mmu_caps.levels = 3;
    mmu_caps.asid_bits = 8;
    unsigned cap = (unsigned)bootarg_number("asid_bits", 8);
    if (cap < mmu_caps.asid_bits)
        mmu_caps.asid_bits = cap;       /* use fewer than the CPU has (tests of rollover) */
    mmu_caps.cont = true;
    mmu_caps.broadcast_tlbi = true;
    mmu_caps.tlbi_va_nonleaf = true;
    /* ID_MMFR1.BPred (31:28): 4 = branch predictors need no maintenance. */
    mmu_caps.bp_maintenance = (mmfr1 >> 28) < 4;
}

/* Switch from the early map to the kernel table: the MMU is turned off for
 * the few instructions that change TTBR0 (both maps are identity maps of
 * this code, but with different block sizes: an MMU-on switch would need
 * break-before-make). Touches no memory while the MMU is off. */
void arch_mmu_enable(uint64_t root_pa)
{
    uint32_t sctlr = read_sctlr();
    __asm__ volatile(
        "dsb\n\t"
        "mcr p15, 0, %[off], c1, c0, 0\n\t"     /* SCTLR.M = 0 */
        "isb\n\t"
        "mcrr p15, 0, %Q[ttbr], %R[ttbr], c2\n\t"
        "isb\n\t"
        "mcr p15, 0, %[zero], c8, c7, 0\n\t"    /* TLBIALL */
        "mcr p15, 0, %[zero], c7, c5, 6\n\t"    /* BPIALL */
        "dsb\n\t"
        "isb\n\t"
        "mcr p15, 0, %[on], c1, c0, 0\n\t"
        "isb"
        :: [off] "r"(sctlr & ~(uint32_t)SCTLR_M), [on] "r"(sctlr | SCTLR_M),
           [ttbr] "r"(root_pa), [zero] "r"(0) : "memory");
}

/* TTBR0 holds the ASID (bits 55:48) and the table in one 64-bit register,
 * written by one MCRR: no window with a new ASID and an old table. */
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    write_ttbr0(root_pa | ((uint64_t)(asid & 0xff) << 48));
    isb();
    return HWB_STORE_ORDER | HWB_ISB | arch_bp_invalidate();
}

uint64_t arch_current_root(void) { return read_ttbr0() & 0x000000fffffff000ULL; }

bool arch_set_hw_ad(bool on) { return !on; }

/* DCCMVAU each line, DSB, ICIMVAU each line, BPIALL, DSB, ISB. */
void icache_sync(uint64_t va, uint64_t len)
{
    uint32_t ctr = read_cp15(0, c0, c0, 1);
    uint32_t dline = 4u << ((ctr >> 16) & 0xf), iline = 4u << (ctr & 0xf);
    uint32_t start = (uint32_t)va, end = (uint32_t)(va + len);
    for (uint32_t a = start & ~(dline - 1); a < end; a += dline)
        write_cp15(0, c7, c11, 1, a);
    __asm__ volatile("dsb ish" ::: "memory");
    for (uint32_t a = start & ~(iline - 1); a < end; a += iline)
        write_cp15(0, c7, c5, 1, a);
    write_cp15(0, c7, c5, 6, 0);
    __asm__ volatile("dsb ish; isb" ::: "memory");
}

void arch_mmu_describe(void)
{
    printf("# mmu: arm LPAE 4K pages, %d-bit VA (%d levels), %u-bit ASIDs, HW AF absent, "
           "HW dirty absent, TLBI range no, contiguous hint yes, BPIALL %s\n",
           mmu_caps.va_bits, mmu_caps.levels, mmu_caps.asid_bits,
           mmu_caps.bp_maintenance ? "after mapping changes" : "not needed (ID_MMFR1.BPred)");
}
