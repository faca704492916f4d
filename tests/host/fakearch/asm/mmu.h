/*
 * Host stand-in for arch/arm64/include/asm/mmu.h (tests/host/mm_random.mk).
 *
 * With -Itests/host/fakearch ahead of -Iarch/arm64/include this header
 * replaces arm64's asm/mmu.h while arm64's real asm/pte.h, asm/tlbi_range.h
 * and asm/tlb_decode.h are used. The same raw API, minus the instructions:
 * each invalidate is recorded with the operand arm64 would issue (from the
 * same encoders) and also drops entries of the simulated TLB
 * (tests/host/fakearch/sim_mmu.c), decoded from that operand. Counting and
 * checking happen once, in mmu/hw.h, exactly as in the kernel.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/tlbi_range.h>
#include <asm/tlb_decode.h>
#include "mmu/tlbi_effect.h"

struct mmu_caps {
    int va_bits, levels;        /* 48/4 or 39/3 */
    unsigned asid_bits;         /* 8 or 16 */
    bool hw_af, hw_dirty;       /* FEAT_HAFDBS in use (TCR.HA / TCR.HD) */
    bool hw_af_avail, hw_dirty_avail;
    bool tlbi_range;            /* FEAT_TLBIRANGE */
    bool cont;                  /* contiguous hint: always architected on arm64 */
    bool svinval;               /* riscv only: false here */
    unsigned bbm_level;         /* FEAT_BBM level (ID_AA64MMFR2_EL1.BBM) */
    bool caches_invalid;        /* TLBs may hold invalid entries: never on arm64 */
    bool broadcast_tlbi;
    bool tlbi_va_nonleaf;
};
extern struct mmu_caps mmu_caps;

/* The simulated TLB (sim_mmu.c): drop what the decoded instruction removes. */
void sim_tlb_apply(const struct tlbi_rec *r);

static inline pte_t arch_pte_read(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void arch_pte_write(pte_t *p, pte_t v) { *(volatile pte_t *)p = v; }
static inline pte_t arch_pte_xchg(pte_t *p, pte_t v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
static inline bool arch_pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    return __atomic_compare_exchange_n(p, expected, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline unsigned arch_pte_stores_visible(void) { return HWB_STORE_ORDER | HWB_ISB; }
static inline unsigned arch_table_publish(void) { return HWB_STORE_ORDER; }
static inline unsigned arch_tlb_pre_invalidate(void) { return HWB_STORE_ORDER; }
static inline unsigned arch_tlb_post_invalidate(void) { return HWB_COMPLETE | HWB_ISB; }

static inline struct tlbi_rec sim_tlbi(uint8_t kind, uint8_t insn, uint64_t op)
{
    struct tlbi_rec r = { .kind = kind, .insn = insn, .rs1 = op };
    sim_tlb_apply(&r);
    return r;
}
static inline uint64_t tlbi_va_operand(uint16_t asid, uint64_t va) { return tlbi_page_operand(va, asid); }
static inline struct tlbi_rec arch_tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    return sim_tlbi(TLBK_PAGE, last_level ? ARM64_vale1is : ARM64_vae1is, tlbi_va_operand(asid, va));
}
static inline struct tlbi_rec arch_tlbi_range_op(uint16_t asid, const struct tlbi_op *o, bool last_level)
{
    if (!o->is_range)
        return arch_tlbi_page(asid, o->va, last_level);
    return sim_tlbi(TLBK_RANGE, last_level ? ARM64_rvale1is : ARM64_rvae1is,
                    tlbi_range_operand(o->va, asid, o->scale, o->num));
}
static inline int arch_tlbi_range(uint16_t asid, uint64_t va, uint64_t pages, bool last_level,
                                  struct tlbi_rec *recs, int max)
{
    struct tlbi_op ops[TLBI_RANGE_PLAN_MAX_OPS];
    if (!mmu_caps.tlbi_range || pages == 0 || pages > TLBI_RANGE_MAX_PAGES)
        return -1;
    int n = tlbi_range_plan(va, pages, ops, TLBI_RANGE_PLAN_MAX_OPS);
    if (n <= 0 || n > max)
        return -1;
    for (int i = 0; i < n; i++)
        recs[i] = arch_tlbi_range_op(asid, &ops[i], last_level);
    return n;
}
static inline struct tlbi_rec arch_tlbi_asid(uint16_t asid)
{
    if (asid == 0)
        return sim_tlbi(TLBK_ALL, ARM64_vmalle1is, 0);
    return sim_tlbi(TLBK_ASID, ARM64_aside1is, (uint64_t)asid << 48);
}
static inline struct tlbi_rec arch_tlbi_all(void) { return sim_tlbi(TLBK_ALL, ARM64_vmalle1is, 0); }
static inline struct tlbi_rec arch_flush_after_make_valid(uint16_t asid, uint64_t va)
{
    (void)asid, (void)va;
    return (struct tlbi_rec){ .kind = TLBK_NONE, .insn = ARM64_none };
}
static inline struct tlbi_rec arch_flush_local_page(uint16_t asid, uint64_t va, unsigned *bars)
{
    *bars = HWB_LOCAL_STORE_ORDER | HWB_LOCAL_COMPLETE | HWB_ISB;
    return sim_tlbi(TLBK_PAGE_LOCAL, ARM64_vale1, tlbi_va_operand(asid, va));
}
static inline unsigned arch_tlbi_sinval_begin(void) { return 0; }
static inline struct tlbi_rec arch_tlbi_sinval_page(uint16_t asid, uint64_t va) { return arch_tlbi_page(asid, va, true); }
static inline unsigned arch_tlbi_sinval_end(void) { return 0; }

static inline pte_t pte_block_to_next(pte_t blk, uint64_t pfn, int next_level)
{
    pte_t attrs = blk & ~(ARM64_PTE_ADDR_MASK | ARM64_PTE_TYPE_MASK);
    return attrs | (pfn << 12) | (next_level == 3 ? ARM64_PTE_TYPE_PAGE : ARM64_PTE_TYPE_BLOCK);
}

static inline pte_t pte_set_pfn(pte_t v, uint64_t pfn)
{
    return (v & ~ARM64_PTE_ADDR_MASK) | (pfn << 12);
}

void icache_sync(uint64_t va, uint64_t len);

void arch_mmu_probe(void);
void arch_mmu_enable(uint64_t root_pa);
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
bool arch_set_hw_ad(bool on);
/* Arch constants the arch-neutral mm reads (no #ifdef on the arch there):
 * Linux's invalidate-by-ASID threshold, whether a TLB shootdown goes
 * through the firmware (riscv SBI RFENCE) rather than a hardware broadcast,
 * whether hardware A/D must be found by trying (riscv Svadu vs Svade). */
#define ARCH_TLB_ASID_THRESHOLD 512
#define ARCH_FIRMWARE_SHOOTDOWN 0
#define ARCH_PROBES_HW_AD 0
static inline void arch_set_hw_ad_probed(bool hw) { (void)hw; }

#endif
