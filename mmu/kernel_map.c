/* The kernel's identity map, built from the device tree, and MMU start-up. */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/trap.h"
#include "mmu/pgtable.h"
#include "mmu/page_alloc.h"

#define KMAP_FLAGS (PT_MAP_BLOCKS | PT_MAP_YOUNG | PT_MAP_NOFLUSH)

static void map_device(uint64_t base, uint64_t size)
{
    int level;
    for (uint64_t a = ALIGN_DOWN(base, 2ULL << 20); a < base + size; a += 2ULL << 20)
        if (!pt_lookup(&kernel_pgtable, a, &level) &&
            pt_map(&kernel_pgtable, a, a, 2ULL << 20, pgprot_mmio(), KMAP_FLAGS) == -1)
            panic("out of memory mapping MMIO at 0x%llx", (unsigned long long)a);
}

/* riscv: does the hardware set A/D (Svadu), or does an access with A clear
 * fault (Svade)? Read a page mapped with A clear and see. */
static void probe_hw_access_flag(void)
{
    uint64_t pa = palloc_alloc(0, -1, PA_ZERO);
    uint64_t va = MM_VA_BASE;
    int level;
    if (!pa || pt_map(&kernel_pgtable, va, pa, PAGE_SIZE, pgprot_from_prot(PROT_READ, true), 0) < 0)
        panic("cannot map the A/D probe page");
    pte_t *pe = pt_lookup(&kernel_pgtable, va, &level);
    pte_store(pe, pte_mkold(pte_mkclean(pte_read_once(pe))));
    flush_after_make_valid(kernel_pgtable.asid, va);
    uint64_t v;
    fault_handler_t old = trap_set_fault_handler(NULL);
    int r = probe_read64((void *)(uintptr_t)va, &v);
    trap_set_fault_handler(old);
    pte_t *e = pt_lookup(&kernel_pgtable, va, &level);
    bool hw = r == 0 && e && pte_young(pte_read_once(e));
    arch_set_hw_ad_probed(hw);
    struct tlb_gather g;
    tlb_gather_init(&g, kernel_pgtable.asid);
    pt_unmap(&kernel_pgtable, va, PAGE_SIZE, &g);
    tlb_gather_finish(&g);
    palloc_free(pa, 0);
    trap_reset_faults();
}

void mmu_init(void)
{
    const struct dt_info *dt = &boot.dt;
    arch_mmu_probe();
    tlb_params_default();
    kernel_pgtable.asid = 0;
    kernel_pgtable.root = pt_alloc_table();
    if (!kernel_pgtable.root)
        panic("no memory for the kernel page table");
    uint64_t lowest_ram = ~0ULL;
    for (int i = 0; i < dt->n_mem; i++) {
        uint64_t b = dt->mem[i].base, s = dt->mem[i].size;
        /* Page 0 stays unmapped even where it is RAM (Raspberry Pi 4: RAM from
         * 0, the firmware's spin table in page 0, /memreserve/d), so a NULL
         * dereference faults on every board. */
        if (b == 0 && s > PAGE_SIZE) {
            b = PAGE_SIZE;
            s -= PAGE_SIZE;
        } else if (b == 0) {
            continue;
        }
        if (pt_map(&kernel_pgtable, b, b, s, pgprot_kernel_normal(), KMAP_FLAGS) < 0)
            panic("cannot map RAM 0x%llx+0x%llx", (unsigned long long)b, (unsigned long long)s);
        lowest_ram = MIN(lowest_ram, b);
    }
    /* MMIO: everything below RAM (QEMU virt), plus the UART and the test
     * finisher wherever they are (Raspberry Pi: above RAM). */
    /* Page 0 stays unmapped, so a NULL dereference faults on both arches
     * (QEMU arm64 virt has flash there, which would read as data). */
    if (lowest_ram && lowest_ram != ~0ULL && lowest_ram > PAGE_SIZE)
        if (pt_map(&kernel_pgtable, PAGE_SIZE, PAGE_SIZE, lowest_ram - PAGE_SIZE, pgprot_mmio(), KMAP_FLAGS) < 0)
            panic("cannot map MMIO below RAM");
    if (dt->uart.base)
        map_device(dt->uart.base, 4096);
    if (dt->test_finisher_base)
        map_device(dt->test_finisher_base, 4096);
    arch_mmu_enable(kernel_pgtable.root);
    if (ARCH_PROBES_HW_AD)          /* riscv: Svadu vs Svade is only seen by trying */
        probe_hw_access_flag();
    arch_mmu_describe();
}
