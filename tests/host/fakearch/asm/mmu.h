/*
 * Host stand-in for arch/arm64/include/asm/mmu.h (tests/host/mm_random.mk).
 *
 * With -Itests/host/fakearch ahead of -Iarch/arm64/include this header
 * replaces arm64's asm/mmu.h while arm64's real asm/pte.h and
 * asm/tlbi_range.h are used. Same API and the same logic as the arm64
 * inline functions, minus the instructions: every barrier, PTE store and
 * invalidate is counted and reported to the rule checker exactly as there,
 * and the invalidates also drop entries of the simulated TLB
 * (tests/host/fakearch/sim_mmu.c), decoded from the same operands the
 * arm64 instructions would get.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/tlbi_range.h>
#include "mmu/events.h"
#include "mmu/rule_check.h"

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
};
extern struct mmu_caps mmu_caps;

/* The simulated TLB (sim_mmu.c): drop the entries of asid (-1: every ASID)
 * overlapping [start, end). */
void sim_tlb_invalidate(int asid, uint64_t start, uint64_t end);

static inline void dsb_ishst(void)
{
    ev_inc(EV_BARRIER);
    if (rule_check_on)
        rule_check_barrier(false);
}
static inline void dsb_ish(void)
{
    ev_inc(EV_BARRIER);
    if (rule_check_on)
        rule_check_barrier(true);
}
static inline void isb_counted(void) { ev_inc(EV_BARRIER); }

static inline pte_t pte_read_once(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void pte_store(pte_t *p, pte_t v)
{
    if (rule_check_on)
        rule_check_store(p, *p, v);
    *(volatile pte_t *)p = v;
    ev_inc(EV_PTE_STORE);
}
static inline void pte_stores_visible(void) { dsb_ishst(); isb_counted(); }

static inline void tlb_pre_invalidate(void) { dsb_ishst(); }
static inline void tlb_post_invalidate(void) { dsb_ish(); isb_counted(); }

static inline uint64_t tlbi_va_operand(uint16_t asid, uint64_t va)
{
    return ((va >> 12) & ((1ULL << 44) - 1)) | ((uint64_t)asid << 48);
}
/* What `tlbi vale1is/vae1is, op` does to the simulated TLB. */
static inline void sim_tlbi_va_op(uint64_t op)
{
    uint64_t va = (op & ((1ULL << 44) - 1)) << 12;
    sim_tlb_invalidate((int)(op >> 48), va, va + 4096);
}
static inline void tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    uint64_t op = tlbi_va_operand(asid, va);
    (void)last_level;           /* no walk caches are simulated */
    sim_tlbi_va_op(op);
    ev_inc(EV_TLBI_PAGE);
    if (rule_check_on)
        rule_check_tlbi(asid, va, va + 4096);
}
/* What `tlbi rvale1is/rvae1is, op` does: decoded from the operand. */
static inline void sim_tlbi_range_op(uint64_t op)
{
    uint64_t va = (op & TLBI_RANGE_BADDR_MASK) << TLBI_PAGE_SHIFT;
    unsigned scale = (unsigned)((op >> TLBI_RANGE_SCALE_SHIFT) & TLBI_RANGE_SCALE_MASK);
    unsigned num = (unsigned)((op >> TLBI_RANGE_NUM_SHIFT) & TLBI_RANGE_NUM_MASK);
    sim_tlb_invalidate((int)(op >> TLBI_ASID_SHIFT), va, va + tlbi_range_pages(scale, num) * 4096);
}
static inline void tlbi_range_op(uint16_t asid, const struct tlbi_op *o, bool last_level)
{
    if (!o->is_range) {
        tlbi_page(asid, o->va, last_level);
        return;
    }
    uint64_t op = tlbi_range_operand(o->va, asid, o->scale, o->num);
    sim_tlbi_range_op(op);
    ev_inc(EV_TLBI_RANGE);
    if (rule_check_on)
        rule_check_tlbi(asid, o->va, o->va + tlbi_range_pages(o->scale, o->num) * 4096);
}
static inline bool tlbi_range_flush(uint16_t asid, uint64_t va, uint64_t pages, bool last_level)
{
    struct tlbi_op ops[8];
    if (!mmu_caps.tlbi_range || pages == 0 || pages > TLBI_RANGE_MAX_PAGES)
        return false;
    int n = tlbi_range_plan(va, pages, ops, 8);
    if (n <= 0)
        return false;
    for (int i = 0; i < n; i++)
        tlbi_range_op(asid, &ops[i], last_level);
    return true;
}
static inline void tlbi_asid(uint16_t asid)
{
    sim_tlb_invalidate(asid, 0, ~0ULL);
    ev_inc(EV_TLBI_ASID);
    if (rule_check_on)
        rule_check_tlbi(asid, 0, ~0ULL);
}
static inline void tlbi_all(void)
{
    sim_tlb_invalidate(-1, 0, ~0ULL);
    ev_inc(EV_TLBI_ALL);
    if (rule_check_on)
        rule_check_tlbi(-1, 0, ~0ULL);
}
static inline void flush_after_make_valid(uint16_t asid, uint64_t va) { (void)asid, (void)va; }
static inline void flush_local_page(uint16_t asid, uint64_t va)
{
    sim_tlb_invalidate(asid, va, va + 4096);
    ev_inc(EV_TLBI_PAGE_LOCAL);
    ev_add(EV_BARRIER, 3);
    if (rule_check_on)
        rule_check_local_flush(asid, va);
}
static inline void tlbi_sinval_begin(void) {}
static inline void tlbi_sinval_page(uint16_t asid, uint64_t va) { tlbi_page(asid, va, true); }
static inline void tlbi_sinval_end(void) {}

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
void arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
bool arch_set_hw_ad(bool on);
#endif
