/* riscv64 translation set-up: Sv39/Sv48, ASIDs, extensions, root switch. */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/bootargs.h"
#include <asm/mmu.h>
#include "mmu/page_alloc.h"

struct mmu_caps mmu_caps;

#define SATP_MODE_SV39  (8ULL << 60)
#define SATP_MODE_SV48  (9ULL << 60)
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  0xffffULL

static uint64_t satp_mode;

static const char *isa = "";

/* Zicboz cbo.zero block size in bytes, 0 while not usable: the ISA string
 * must name zicboz, the cpu node give riscv,cboz-block-size, and a trial
 * cbo.zero must not trap (S-mode may execute it only if the firmware set
 * menvcfg.CBZE, which S-mode cannot read). */
static unsigned cboz_bytes, cboz_dt_bytes;
volatile bool riscv_cboz_trapped;       /* set by riscv_trap() for the trial */

bool riscv_isa_has(const char *ext);
bool riscv_isa_has(const char *ext)
{
    /* riscv,isa: "rv64imafdch_zicsr_..._svnapot_..." ; match "_ext" followed by '_' or end */
    size_t n = strlen(ext);
    for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_'))
        if (strncmp(p + 1, ext, n) == 0 && (p[1 + n] == '_' || p[1 + n] == '\0'))
            return true;
    return false;
}

void arch_mmu_probe(void)
{
    /* The largest mode the CPU supports, from the device tree, capped at Sv48. */
    const void *val;
    uint32_t len;
    bool sv48 = false;
    char path[32];
    snprintf(path, sizeof(path), "/cpus/cpu@%llx", (unsigned long long)boot.dt.cpus[0].id);
    if (dt_get_prop(boot.dtb, boot.dt.total_size, path, "mmu-type", &val, &len) == 0)
        sv48 = strcmp(val, "riscv,sv48") == 0 || strcmp(val, "riscv,sv57") == 0;
    /* The full riscv,isa string (hundreds of bytes on -cpu max). */
    if (dt_get_prop(boot.dtb, boot.dt.total_size, path, "riscv,isa", &val, &len) == 0 &&
        len > 0 && ((const char *)val)[len - 1] == '\0')
        isa = val;
    const char *want = bootarg_value("satp");
    if (want && strcmp(want, "sv39") == 0)
        sv48 = false;
    mmu_caps.va_bits = sv48 ? 48 : 39;
    mmu_caps.levels = sv48 ? 4 : 3;
    satp_mode = sv48 ? SATP_MODE_SV48 : SATP_MODE_SV39;
    mmu_caps.cont = riscv_isa_has("svnapot");
    mmu_caps.svinval = riscv_isa_has("svinval");
    mmu_caps.svpbmt = riscv_isa_has("svpbmt");
    if (riscv_isa_has("zicboz") &&
        dt_get_prop(boot.dtb, boot.dt.total_size, path, "riscv,cboz-block-size", &val, &len) == 0 &&
        len == 4) {
        uint32_t b = dt_be32(val);
        if (b >= 16 && b <= PAGE_SIZE && (b & (b - 1)) == 0)
            cboz_dt_bytes = b;
    }
    mmu_caps.tlbi_range = false;
    mmu_caps.caches_invalid = true;
    mmu_caps.broadcast_tlbi = false;        /* one hart; remote fences come with SMP */
    mmu_caps.tlbi_va_nonleaf = false;
    /* A/D: found by probing once translation is on (arch_set_hw_ad_probed). */
}

void arch_mmu_enable(uint64_t root_pa)
{
    /* ASID width: write all ones, read back what sticks (WARL). */
    csr_write(satp, satp_mode | (SATP_ASID_MASK << SATP_ASID_SHIFT) | (root_pa >> 12));
    uint64_t got = csr_read(satp);
    unsigned bits = 0;
    for (uint64_t a = (got >> SATP_ASID_SHIFT) & SATP_ASID_MASK; a & 1; a >>= 1)
        bits++;
    unsigned cap = (unsigned)bootarg_number("asid_bits", 16);
    mmu_caps.asid_bits = bits < cap ? bits : cap;   /* asid_bits=: use fewer (rollover tests) */
    csr_write(satp, satp_mode | (root_pa >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    if ((csr_read(satp) >> 60) != (satp_mode >> 60))
        panic("satp mode %llu not accepted", (unsigned long long)(satp_mode >> 60));
    if (cboz_dt_bytes) {
        /* The trial: an illegal-instruction trap at riscv_cboz_trial is
         * skipped by riscv_trap(), which sets riscv_cboz_trapped. */
        static uint8_t scratch[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
        riscv_cboz_trapped = false;
        __asm__ volatile(".globl riscv_cboz_trial\nriscv_cboz_trial:\n\t"
                         ".insn i 0x0f, 2, x0, %0, 4" :: "r"(scratch) : "memory");
        if (!riscv_cboz_trapped)
            cboz_bytes = cboz_dt_bytes;
    }
}

/* Zero whole pages with cbo.zero, one cache block per instruction (64
 * bytes on QEMU: 64 per 4 KiB instead of 512 stores). cbo.zero is a store
 * for the memory model: the fence w,w that publishes a zeroed table orders
 * it too. Encoding: MISC-MEM, funct3 2, rd 0, imm 4 (cbo.zero rs1). */
void arch_zero_pages(void *p, size_t bytes)
{
    uintptr_t a = (uintptr_t)p, end = a + bytes;
    if (cboz_bytes == 64) {
        /* cbo.zero takes no offset: two instructions a block, 16 blocks
         * (1 KiB: bytes is a multiple of the page size) to an iteration. */
        while (a < end)
            __asm__ volatile(".rept 16\n\t.insn i 0x0f, 2, x0, %0, 4\n\taddi %0, %0, 64\n\t.endr"
                             : "+r"(a) :: "memory");
    } else if (cboz_bytes) {
        for (; a < end; a += cboz_bytes)
            __asm__ volatile(".insn i 0x0f, 2, x0, %0, 4" :: "r"(a) : "memory");
    } else {
        palloc_zero_stores(p, bytes);
    }
}

unsigned arch_switch_root(uint64_t root_pa, uint16_t asid)
{
    csr_write(satp, satp_mode | ((uint64_t)asid << SATP_ASID_SHIFT) | (root_pa >> 12));
    /* Different ASIDs never share entries, so no fence is needed; ASID reuse
     * is the allocator's business (it flushes the ASID before reuse), and a
     * new address space's tables were ordered when they were created. */
    return 0;
}

uint64_t arch_current_root(void) { return (csr_read(satp) & ((1ULL << 44) - 1)) << 12; }

void arch_set_hw_ad_probed(bool hw)
{
    mmu_caps.hw_af = mmu_caps.hw_dirty = hw;
    mmu_caps.hw_af_avail = mmu_caps.hw_dirty_avail = hw;
}

bool arch_set_hw_ad(bool on)
{
    /* Svadu vs Svade is the machine's choice (QEMU: -cpu rv64,svade=on). */
    return on == mmu_caps.hw_af;
}

void icache_sync(uint64_t va, uint64_t len)
{
    (void)va, (void)len;
    __asm__ volatile("fence.i" ::: "memory");
}

void arch_mmu_describe(void)
{
    printf("# mmu: riscv64 Sv%d (%d levels), %u-bit ASIDs, HW A/D %s, Svnapot %s, Svinval %s, Svpbmt %s, page zeroing %s\n",
           mmu_caps.va_bits, mmu_caps.levels, mmu_caps.asid_bits,
           mmu_caps.hw_af ? "on (Svadu)" : "off (A/D faults, Svade)",
           mmu_caps.cont ? "yes" : "no", mmu_caps.svinval ? "yes" : "no",
           mmu_caps.svpbmt ? "yes" : "no",
           cboz_bytes ? "cbo.zero" : cboz_dt_bytes ? "stores (cbo.zero traps: menvcfg.CBZE clear)" : "stores");
}
