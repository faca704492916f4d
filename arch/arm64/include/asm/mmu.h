/*
 * arm64 MMU as the mm layer sees it (the same contract as riscv64's asm/mmu.h):
 * capabilities, PTE stores, TLB maintenance with its barriers, root switch.
 * Every PTE store, invalidate and barrier is counted in mmu/events.h.
 *
 * TLB maintenance contract (both arches):
 *   tlb_pre_invalidate()        order earlier PTE stores before the invalidates
 *   tlbi_page / tlbi_range_op / tlbi_asid / tlbi_all      issue invalidates
 *   tlb_post_invalidate()       wait for them to complete, resynchronise
 *   flush_after_make_valid()    after invalid->valid: arm64 nothing (the Arm ARM
 *                               never caches entries that produce a Translation
 *                               fault), riscv a local sfence.vma (negative caching)
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/sysreg.h>
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

static inline void dsb_ishst(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    ev_inc(EV_BARRIER);
    if (rule_check_on)
        rule_check_barrier(false);
}
static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
    ev_inc(EV_BARRIER);
    if (rule_check_on)
        rule_check_barrier(true);
}
static inline void isb_counted(void) { __asm__ volatile("isb" ::: "memory"); ev_inc(EV_BARRIER); }

static inline pte_t pte_read_once(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void pte_store(pte_t *p, pte_t v)
{
    if (rule_check_on)
        rule_check_store(p, *p, v);
    *(volatile pte_t *)p = v;
    ev_inc(EV_PTE_STORE);
}
/* After storing valid entries that the walker must see before the next access
 * from this CPU (a fault handler fixing a PTE, a freshly mapped range). */
static inline void pte_stores_visible(void) { dsb_ishst(); isb_counted(); }

static inline void tlb_pre_invalidate(void) { dsb_ishst(); }
static inline void tlb_post_invalidate(void) { dsb_ish(); isb_counted(); }

static inline uint64_t tlbi_va_operand(uint16_t asid, uint64_t va)
{
    return ((va >> 12) & ((1ULL << 44) - 1)) | ((uint64_t)asid << 48);
}
/* last_level: only leaf entries changed (vale1is); otherwise table entries
 * were freed too and the walk caches must go (vae1is). */
static inline void tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    uint64_t op = tlbi_va_operand(asid, va);
    if (last_level)
        __asm__ volatile("tlbi vale1is, %0" :: "r"(op) : "memory");
    else
        __asm__ volatile("tlbi vae1is, %0" :: "r"(op) : "memory");
    ev_inc(EV_TLBI_PAGE);
    if (rule_check_on)
        rule_check_tlbi(asid, va, va + 4096);
}
/* FEAT_TLBIRANGE: one operation from tlbi_range_plan() (asm/tlbi_range.h).
 * Encoded with `sys` so the kernel builds for armv8.0 boards. */
static inline void tlbi_range_op(uint16_t asid, const struct tlbi_op *o, bool last_level)
{
    if (!o->is_range) {
        tlbi_page(asid, o->va, last_level);
        return;
    }
    uint64_t op = tlbi_range_operand(o->va, asid, o->scale, o->num);
    if (last_level)
        __asm__ volatile("sys #0, c8, c2, #5, %0" :: "r"(op) : "memory");   /* rvale1is */
    else
        __asm__ volatile("sys #0, c8, c2, #1, %0" :: "r"(op) : "memory");   /* rvae1is */
    ev_inc(EV_TLBI_RANGE);
    if (rule_check_on)
        rule_check_tlbi(asid, o->va, o->va + tlbi_range_pages(o->scale, o->num) * 4096);
}
/* Invalidate `pages` pages from va with as few FEAT_TLBIRANGE operations as
 * tlbi_range_plan() finds; false if the CPU has no range operations. */
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
    __asm__ volatile("tlbi aside1is, %0" :: "r"((uint64_t)asid << 48) : "memory");
    ev_inc(EV_TLBI_ASID);
    if (rule_check_on)
        rule_check_tlbi(asid, 0, ~0ULL);
}
static inline void tlbi_all(void)
{
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    ev_inc(EV_TLBI_ALL);
    if (rule_check_on)
        rule_check_tlbi(-1, 0, ~0ULL);
}
/* Not needed on arm64: invalid entries are never held in a TLB. */
static inline void flush_after_make_valid(uint16_t asid, uint64_t va) { (void)asid, (void)va; }
/* After granting write on a valid entry: a TLB may still hold the read-only
 * (or clean, hardware read-only) entry and fault again, so invalidate it on
 * this CPU (Linux arm64 __ptep_set_access_flags: "Invalidate a stale
 * read-only entry"). One CPU today; SMP needs the broadcast form or a
 * spurious-fault fix-up on the others. */
static inline void flush_local_page(uint16_t asid, uint64_t va)
{
    __asm__ volatile("dsb nshst" ::: "memory");
    __asm__ volatile("tlbi vale1, %0" :: "r"(tlbi_va_operand(asid, va)) : "memory");
    __asm__ volatile("dsb nsh; isb" ::: "memory");
    ev_inc(EV_TLBI_PAGE_LOCAL);
    ev_add(EV_BARRIER, 3);
    if (rule_check_on)
        rule_check_local_flush(asid, va);
}
/* riscv-only Svinval batch: never used on arm64 (mmu_caps.svinval is false). */
static inline void tlbi_sinval_begin(void) {}
static inline void tlbi_sinval_page(uint16_t asid, uint64_t va) { tlbi_page(asid, va, true); }
static inline void tlbi_sinval_end(void) {}

/* The entry one level down that maps `pfn` with the attributes of block
 * entry blk (a page at level 3, a block above). */
static inline pte_t pte_block_to_next(pte_t blk, uint64_t pfn, int next_level)
{
    pte_t attrs = blk & ~(ARM64_PTE_ADDR_MASK | ARM64_PTE_TYPE_MASK);
    return attrs | (pfn << 12) | (next_level == 3 ? ARM64_PTE_TYPE_PAGE : ARM64_PTE_TYPE_BLOCK);
}

/* The same leaf entry (valid or not, every bit kept) pointing at pfn. */
static inline pte_t pte_set_pfn(pte_t v, uint64_t pfn)
{
    return (v & ~ARM64_PTE_ADDR_MASK) | (pfn << 12);
}

/* Kernel MMIO mappings: Device-nGnRE (MAIR attribute 1). */
static inline pgprot_t pgprot_mmio(void) { return pgprot_kernel_device(); }

/* Make freshly written instructions at [va, va+len) executable. */
void icache_sync(uint64_t va, uint64_t len);

void arch_mmu_probe(void);                  /* capabilities + boot arguments */
void arch_mmu_enable(uint64_t root_pa);     /* switch to the kernel's table, ASID 0 */
void arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
/* Runtime switch of hardware A/D (tests); returns false if unsupported. */
bool arch_set_hw_ad(bool on);
#endif
