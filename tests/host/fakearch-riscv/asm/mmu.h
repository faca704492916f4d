/*
 * Host stand-in for arch/riscv64/include/asm/mmu.h (tests/host/mm_random_riscv.mk).
 *
 * With -Itests/host/fakearch-riscv ahead of -Iarch/riscv64/include this
 * header replaces riscv64's asm/mmu.h while riscv64's real asm/pte.h and
 * asm/tlb_decode.h are used. The same raw API, minus the instructions: each
 * fence builds the struct tlbi_rec the real one returns (the registers it
 * names: rs1/rs2, or x0) and hands it to the simulated TLB
 * (tests/host/fakearch-riscv/sim_mmu_riscv.c), which decodes it with
 * tlbi_decode() like the rule checker does. sfence.w.inval and
 * sfence.inval.ir also reach the simulator: a sinval.vma takes effect only
 * at the next sfence.inval.ir, and not at all for a page whose PTE store
 * was not ordered before it (sfence.w.inval); PTE stores are reported to
 * the simulator for that. Counting and checking happen once, in
 * mmu/hw.h, exactly as in the kernel.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/tlb_decode.h>
#include "mmu/tlbi_effect.h"

struct mmu_caps {
    int va_bits, levels;        /* Sv48: 48/4, Sv39: 39/3 */
    unsigned asid_bits;
    bool hw_af, hw_dirty;       /* hardware A/D update (Svadu), found by probing */
    bool hw_af_avail, hw_dirty_avail;
    bool tlbi_range;            /* no range invalidate on riscv */
    bool cont;                  /* Svnapot 64 KiB */
    bool svinval;
    bool svpbmt;
    unsigned bbm_level;         /* 0: Svnapot changes always need break-before-make */
    bool caches_invalid;        /* the privileged spec allows caching invalid entries */
    bool broadcast_tlbi;        /* false: every fence is local */
    bool tlbi_va_nonleaf;       /* false: sfence.vma va removes leaf entries only */
};
extern struct mmu_caps mmu_caps;

/* ---- the simulated hart (sim_mmu_riscv.c); not part of the real API ---- */
/* sfence.vma / sinval.vma: drop (sinval: mark) what the decoded fence removes. */
void sim_tlb_apply(const struct tlbi_rec *r);
/* sfence.w.inval / sfence.inval.ir (the latter completes pending sinval.vma). */
void sim_sfence_w_inval(void);
void sim_sfence_inval_ir(void);
/* A PTE store (not yet ordered before a later sinval.vma). */
void sim_pte_stored(void);
/* Translation mode, Svinval and ASID width for the next runs (no address
 * space may exist but the kernel's): va_bits 48 (Sv48) or 39 (Sv39),
 * asid_bits 0..16 (as the satp.ASID probe would find). */
void sim_riscv_configure(int va_bits, bool svinval, unsigned asid_bits);

static inline pte_t arch_pte_read(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void arch_pte_write(pte_t *p, pte_t v)
{
    *(volatile pte_t *)p = v;
    sim_pte_stored();
}
static inline pte_t arch_pte_xchg(pte_t *p, pte_t v)
{
    pte_t old = __atomic_exchange_n(p, v, __ATOMIC_RELAXED);
    sim_pte_stored();
    return old;
}
static inline bool arch_pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    bool ok = __atomic_compare_exchange_n(p, expected, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    if (ok)
        sim_pte_stored();
    return ok;
}

static inline unsigned arch_pte_stores_visible(void) { return 0; }
static inline unsigned arch_table_publish(void) { return HWB_FENCE; }  /* fence w, w */
static inline unsigned arch_tlb_pre_invalidate(void) { return 0; }
static inline unsigned arch_tlb_post_invalidate(void) { return 0; }

static inline struct tlbi_rec sim_fence(struct tlbi_rec r)
{
    sim_tlb_apply(&r);
    return r;
}

/* The four forms of sfence.vma, each recording the registers it names. */
static inline struct tlbi_rec sfence_vma_va_asid(uint64_t va, uint16_t asid, uint8_t kind)
{
    return sim_fence((struct tlbi_rec){ .kind = kind, .insn = RISCV_sfence_vma, .rs1 = va, .rs2 = asid });
}
static inline struct tlbi_rec sfence_vma_va(uint64_t va, uint8_t kind)
{
    return sim_fence((struct tlbi_rec){ .kind = kind, .insn = RISCV_sfence_vma, .rs1 = va, .rs2_x0 = true });
}
static inline struct tlbi_rec sfence_vma_asid(uint16_t asid)
{
    return sim_fence((struct tlbi_rec){ .kind = TLBK_ASID, .insn = RISCV_sfence_vma, .rs1_x0 = true, .rs2 = asid });
}
static inline struct tlbi_rec sfence_vma_all(void)
{
    return sim_fence((struct tlbi_rec){ .kind = TLBK_ALL, .insn = RISCV_sfence_vma, .rs1_x0 = true, .rs2_x0 = true });
}

static inline struct tlbi_rec arch_tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    if (last_level)
        return asid ? sfence_vma_va_asid(va, asid, TLBK_PAGE) : sfence_vma_va(va, TLBK_PAGE);
    return asid ? sfence_vma_asid(asid) : sfence_vma_all();
}
static inline struct tlbi_rec arch_tlbi_asid(uint16_t asid) { return asid ? sfence_vma_asid(asid) : sfence_vma_all(); }
static inline struct tlbi_rec arch_tlbi_all(void) { return sfence_vma_all(); }
static inline struct tlbi_rec arch_flush_after_make_valid(uint16_t asid, uint64_t va)
{
    (void)asid, (void)va;
    return sfence_vma_va(va, TLBK_PAGE_LOCAL);
}
static inline struct tlbi_rec arch_flush_local_page(uint16_t asid, uint64_t va, unsigned *bars)
{
    *bars = 0;
    return arch_flush_after_make_valid(asid, va);
}

/* Svinval batch: sfence.w.inval; sinval.vma...; sfence.inval.ir */
static inline unsigned arch_tlbi_sinval_begin(void)
{
    sim_sfence_w_inval();
    return HWB_STORE_ORDER;
}
static inline struct tlbi_rec arch_tlbi_sinval_page(uint16_t asid, uint64_t va)
{
    if (asid == 0)
        return sim_fence((struct tlbi_rec){ .kind = TLBK_SINVAL, .insn = RISCV_sinval_vma, .rs1 = va, .rs2_x0 = true });
    return sim_fence((struct tlbi_rec){ .kind = TLBK_SINVAL, .insn = RISCV_sinval_vma, .rs1 = va, .rs2 = asid });
}
static inline unsigned arch_tlbi_sinval_end(void)
{
    sim_sfence_inval_ir();
    return HWB_COMPLETE;
}
static inline int arch_tlbi_range(uint16_t asid, uint64_t va, uint64_t pages, bool last_level,
                                  struct tlbi_rec *recs, int max)
{
    (void)asid, (void)va, (void)pages, (void)last_level, (void)recs, (void)max;
    return -1;
}

static inline pte_t pte_block_to_next(pte_t blk, uint64_t pfn, int next_level)
{
    (void)next_level;
    return (blk & ~(((1ULL << 44) - 1) << 10)) | (pfn << 10);
}

static inline pte_t pte_set_pfn(pte_t v, uint64_t pfn) { return pte_block_to_next(v, pfn, 3); }

static inline pgprot_t pgprot_mmio(void)
{
    pgprot_t p = pgprot_kernel_device();
    if (mmu_caps.svpbmt)
        p.bits |= 1ULL << 62;
    return p;
}

void icache_sync(uint64_t va, uint64_t len);
void arch_mmu_probe(void);
void arch_mmu_enable(uint64_t root_pa);
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
bool arch_set_hw_ad(bool on);
void arch_set_hw_ad_probed(bool hw);
/* Arch constants the arch-neutral mm reads (no #ifdef on the arch there):
 * Linux's invalidate-by-ASID threshold (riscv's tlb_flush_all_threshold),
 * the shootdown through the firmware (SBI RFENCE) rather than a hardware
 * broadcast, hardware A/D found by trying (Svadu vs Svade). */
#define ARCH_TLB_ASID_THRESHOLD 64
#define ARCH_FIRMWARE_SHOOTDOWN 1
#define ARCH_PROBES_HW_AD 1

#endif
