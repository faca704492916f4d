/*
 * riscv64 MMU as the mm layer sees it (same contract as arm64's asm/mmu.h).
 * The kernel is uniprocessor today: sfence.vma is local, which on one hart
 * is the whole machine; SMP will need SBI RFENCE (remote) for broadcasts.
 *
 * sfence.vma with rs1 = va only covers the *leaf* entry for va, so when a
 * table page was freed (last_level == false) the whole ASID is flushed.
 * Global (kernel) entries are not touched by ASID-specific fences.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/sysreg.h>
#include "mmu/events.h"
#include "mmu/rule_check.h"

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
};
extern struct mmu_caps mmu_caps;

static inline pte_t pte_read_once(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void pte_store(pte_t *p, pte_t v)
{
    if (rule_check_on)
        rule_check_store(p, *p, v);
    *(volatile pte_t *)p = v;
    ev_inc(EV_PTE_STORE);
}
/* The walker's implicit reads are only ordered after PTE stores by an
 * sfence.vma; flush_after_make_valid() provides it for each new entry. */
static inline void pte_stores_visible(void) {}

static inline void tlb_pre_invalidate(void) {}      /* sfence.vma orders prior stores itself */
static inline void tlb_post_invalidate(void) {}

/* ASID 0 is the kernel's: its entries are global, which an ASID-qualified
 * sfence.vma does not touch, so ASID 0 fences name no ASID (rs2 = x0). */
static inline void tlbi_all(void);
static inline void tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    if (asid == 0 && last_level) {
        __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
        ev_inc(EV_TLBI_PAGE);
    } else if (asid == 0) {
        tlbi_all();
        return;
    } else if (last_level) {
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((uint64_t)asid) : "memory");
        ev_inc(EV_TLBI_PAGE);
    } else {
        __asm__ volatile("sfence.vma zero, %0" :: "r"((uint64_t)asid) : "memory");
        ev_inc(EV_TLBI_ASID);
        if (rule_check_on)
            rule_check_tlbi(asid, 0, ~0ULL);
        return;
    }
    if (rule_check_on)
        rule_check_tlbi(asid, va, va + 4096);
}
static inline void tlbi_asid(uint16_t asid)
{
    __asm__ volatile("sfence.vma zero, %0" :: "r"((uint64_t)asid) : "memory");
    ev_inc(EV_TLBI_ASID);
    if (rule_check_on)
        rule_check_tlbi(asid, 0, ~0ULL);
}
static inline void tlbi_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
    ev_inc(EV_TLBI_ALL);
    if (rule_check_on)
        rule_check_tlbi(-1, 0, ~0ULL);
}
/* The privileged spec lets a hart cache invalid entries: after making an
 * invalid or protnone entry valid, a local fence for that page is needed or
 * the access faults again (forever). */
static inline void flush_after_make_valid(uint16_t asid, uint64_t va)
{
    if (asid == 0)
        __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
    else
        __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((uint64_t)asid) : "memory");
    ev_inc(EV_TLBI_PAGE_LOCAL);
    if (rule_check_on)
        rule_check_local_flush(asid, va);
}
/* After granting write on a valid entry: the local fence that also covers
 * negative caching. */
static inline void flush_local_page(uint16_t asid, uint64_t va) { flush_after_make_valid(asid, va); }

/* Svinval batch: sfence.w.inval; sinval.vma...; sfence.inval.ir */
static inline void tlbi_sinval_begin(void)
{
    __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x0" ::: "memory");    /* sfence.w.inval */
    ev_inc(EV_BARRIER);
}
static inline void tlbi_sinval_page(uint16_t asid, uint64_t va)
{
    __asm__ volatile(".insn r 0x73, 0, 0x0b, x0, %0, %1" :: "r"(va), "r"((uint64_t)asid) : "memory");
    ev_inc(EV_TLBI_SINVAL);
    if (rule_check_on)
        rule_check_tlbi(asid, va, va + 4096);
}
static inline void tlbi_sinval_end(void)
{
    __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x1" ::: "memory");    /* sfence.inval.ir */
    ev_inc(EV_BARRIER);
}
/* Range operations do not exist on riscv: the caller falls back. */
static inline bool tlbi_range_flush(uint16_t asid, uint64_t va, uint64_t pages, bool last_level)
{
    (void)asid, (void)va, (void)pages, (void)last_level;
    return false;
}

/* The entry one level down that maps `pfn` with the attributes of leaf
 * entry blk (riscv leaves have the same format at every level). */
static inline pte_t pte_block_to_next(pte_t blk, uint64_t pfn, int next_level)
{
    (void)next_level;
    return (blk & ~(((1ULL << 44) - 1) << 10)) | (pfn << 10);
}

/* The same leaf entry (valid or not, every bit kept) pointing at pfn. */
static inline pte_t pte_set_pfn(pte_t v, uint64_t pfn) { return pte_block_to_next(v, pfn, 3); }

/* Kernel MMIO mappings: with Svpbmt, PBMT = IO (non-cacheable, strongly
 * ordered; bits 62:61 = 0b10); without it the PMAs already make MMIO I/O, and
 * the PBMT bits are reserved (they must stay 0). */
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
void arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
bool arch_set_hw_ad(bool on);
/* riscv: hardware A/D is found by probing after the MMU is on. */
void arch_set_hw_ad_probed(bool hw);
#endif
