/* arm64 translation set-up: features, TCR/MAIR/TTBR0, root switch. */
#include "boot/kernel.h"
#include "boot/bootargs.h"
#include <asm/mmu.h>
#include "mmu/page_alloc.h"

struct mmu_caps mmu_caps;

#define TCR_IRGN0_WB    (1ULL << 8)
#define TCR_ORGN0_WB    (1ULL << 10)
#define TCR_SH0_INNER   (3ULL << 12)
#define TCR_EPD1        (1ULL << 23)
#define TCR_IPS_SHIFT   32
#define TCR_AS          (1ULL << 36)
#define TCR_HA          (1ULL << 39)
#define TCR_HD          (1ULL << 40)

void arch_mmu_probe(void)
{
    uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
    uint64_t mmfr2 = read_sysreg(id_aa64mmfr2_el1);
    uint64_t isar0 = read_sysreg(id_aa64isar0_el1);
    unsigned hafdbs = mmfr1 & 0xf;
    mmu_caps.hw_af_avail = hafdbs >= 1;
    mmu_caps.hw_dirty_avail = hafdbs >= 2;
    const char *hwad = bootarg_value("hwad");
    bool want = !(hwad && strcmp(hwad, "off") == 0);
    mmu_caps.hw_af = want && mmu_caps.hw_af_avail;
    mmu_caps.hw_dirty = want && mmu_caps.hw_dirty_avail;
    mmu_caps.asid_bits = ((mmfr0 >> 4) & 0xf) == 2 ? 16 : 8;
    unsigned cap = (unsigned)bootarg_number("asid_bits", 16);
    if (cap < mmu_caps.asid_bits)
        mmu_caps.asid_bits = cap;       /* use fewer than the CPU has (tests of rollover) */
    mmu_caps.tlbi_range = ((isar0 >> 56) & 0xf) == 2;
    mmu_caps.cont = true;
    mmu_caps.broadcast_tlbi = true;
    mmu_caps.tlbi_va_nonleaf = true;
    mmu_caps.bbm_level = (unsigned)((mmfr2 >> 52) & 0xf);
    mmu_caps.va_bits = bootarg_number("va", 48) == 39 ? 39 : 48;
    mmu_caps.levels = mmu_caps.va_bits == 48 ? 4 : 3;
}

static uint64_t tcr_value(void)
{
    uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 7;
    uint64_t tcr = (uint64_t)(64 - mmu_caps.va_bits) | TCR_IRGN0_WB | TCR_ORGN0_WB |
                   TCR_SH0_INNER | TCR_EPD1 | (parange << TCR_IPS_SHIFT);
    if (mmu_caps.asid_bits == 16)
        tcr |= TCR_AS;
    if (mmu_caps.hw_af)
        tcr |= TCR_HA;
    if (mmu_caps.hw_dirty)
        tcr |= TCR_HD;
    return tcr;
}

/* Switch from the early 1 GiB identity map to the kernel table: the MMU is
 * turned off for the few instructions that change TCR and TTBR0 (the two maps
 * are identical for this code, but an MMU-on switch between tables with
 * different block sizes and VA sizes would need break-before-make). */
void arm64_mmu_switch(uint64_t tcr, uint64_t ttbr0);   /* arch/arm64/mmu_switch.S */

/* DC ZVA block size in bytes, 0 while it may not be used: before the
 * kernel's table is live (with the MMU off, or on the early map, memory may
 * be Device, where DC ZVA takes an alignment fault), or when DCZID_EL0.DZP
 * says it is prohibited (HCR_EL2.TDZ set by a hypervisor reads as DZP here). */
static unsigned zva_bytes;

void arch_mmu_enable(uint64_t root_pa)
{
    arm64_mmu_switch(tcr_value(), root_pa);
    uint64_t dczid = read_sysreg(dczid_el0);
    unsigned bs = 4u << (dczid & 0xf);          /* BS: log2 of the block size in words */
    if (!(dczid & (1u << 4)) && bs >= 16 && bs <= PAGE_SIZE)
        zva_bytes = bs;
}

/* Zero whole pages with DC ZVA, one block per instruction (64 bytes on the
 * Cortex-A72 and QEMU's -cpu max: 64 instructions and 16 loop iterations
 * per 4 KiB instead of 256 store pairs). DC ZVA is a store for the memory
 * model, so the dsb ishst that publishes a zeroed table orders it too. */
void arch_zero_pages(void *p, size_t bytes)
{
    uintptr_t a = (uintptr_t)p, end = a + bytes;
    if (zva_bytes == 64) {
        /* DC ZVA takes no offset: two instructions a block, 16 blocks (1 KiB:
         * bytes is a multiple of the page size) to an iteration. */
        while (a < end)
            __asm__ volatile(".rept 16\n\tdc zva, %0\n\tadd %0, %0, #64\n\t.endr"
                             : "+r"(a) :: "memory");
    } else if (zva_bytes) {
        for (; a < end; a += zva_bytes)
            __asm__ volatile("dc zva, %0" :: "r"(a) : "memory");
    } else {
        palloc_zero_stores(p, bytes);
    }
}

unsigned arch_switch_root(uint64_t root_pa, uint16_t asid)
{
    /* The new tables' stores reach the walker before it can use the root. */
    __asm__ volatile("dsb ishst" ::: "memory");
    write_sysreg(ttbr0_el1, root_pa | ((uint64_t)asid << 48));
    isb();
    return HWB_STORE_ORDER | HWB_ISB;
}

uint64_t arch_current_root(void) { return read_sysreg(ttbr0_el1) & 0x0000fffffffff000ULL; }

bool arch_set_hw_ad(bool on)
{
    if (on && !mmu_caps.hw_af_avail)
        return false;
    mmu_caps.hw_af = on && mmu_caps.hw_af_avail;
    mmu_caps.hw_dirty = on && mmu_caps.hw_dirty_avail;
    write_sysreg(tcr_el1, tcr_value());
    isb();
    /* TCR.HA/HD may be cached in TLB entries: drop them all. */
    __asm__ volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb" ::: "memory");
    return true;
}

void icache_sync(uint64_t va, uint64_t len)
{
    for (uint64_t a = ALIGN_DOWN(va, 64); a < va + len; a += 64)
        __asm__ volatile("dc cvau, %0" :: "r"(a) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
    for (uint64_t a = ALIGN_DOWN(va, 64); a < va + len; a += 64)
        __asm__ volatile("ic ivau, %0" :: "r"(a) : "memory");
    __asm__ volatile("dsb ish; isb" ::: "memory");
}

void arch_mmu_describe(void)
{
    printf("# mmu: arm64 4K granule, %d-bit VA (%d levels), %u-bit ASIDs, HW AF %s, HW dirty %s, "
           "TLBI range %s, BBM level %u, page zeroing %s\n", mmu_caps.va_bits, mmu_caps.levels, mmu_caps.asid_bits,
           mmu_caps.hw_af ? "on" : mmu_caps.hw_af_avail ? "off (hwad=off)" : "absent",
           mmu_caps.hw_dirty ? "on" : mmu_caps.hw_dirty_avail ? "off (hwad=off)" : "absent",
           mmu_caps.tlbi_range ? "yes" : "no", mmu_caps.bbm_level,
           zva_bytes ? "DC ZVA" : "stores");
}
