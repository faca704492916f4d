/*
 * arm64 MMU as the mm layer sees it (the same contract as riscv64's asm/mmu.h):
 * capabilities and RAW operations only: PTE stores and atomic exchanges,
 * barriers, TLB maintenance, root switch. Nothing here counts or checks:
 * mmu/hw.h wraps every operation once, for both arches, with the event
 * counters and the TLB model.
 *
 * Each TLB-maintenance function returns a tlbi_rec holding the instruction
 * and the operand register it really issued (mmu/tlbi_effect.h), decoded by
 * asm/tlb_decode.h; each barrier function returns the HWB_* bits it issued.
 *
 * Maintenance contract (both arches):
 *   arch_tlb_pre_invalidate()    order earlier PTE stores before the invalidates
 *   arch_tlbi_page / _range_op / _asid / _all     issue invalidates
 *   arch_tlb_post_invalidate()   wait for them to complete, resynchronise
 *   arch_flush_after_make_valid() after invalid->valid: arm64 nothing (the Arm
 *                                ARM never caches entries that produce a
 *                                Translation fault), riscv a local sfence.vma
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/sysreg.h>
#include <asm/tlbi_range.h>
#include <asm/tlb_decode.h>
#include "mmu/tlbi_effect.h"

struct mmu_caps {
    int va_bits, levels;        /* 48/4 or 39/3 */
    unsigned asid_bits;         /* 8 or 16 (or fewer with asid_bits=) */
    bool hw_af, hw_dirty;       /* FEAT_HAFDBS in use (TCR.HA / TCR.HD) */
    bool hw_af_avail, hw_dirty_avail;
    bool tlbi_range;            /* FEAT_TLBIRANGE */
    bool cont;                  /* contiguous hint: always architected on arm64 */
    bool svinval;               /* riscv only: false here */
    unsigned bbm_level;         /* FEAT_BBM level (ID_AA64MMFR2_EL1.BBM) */
    bool caches_invalid;        /* TLBs may hold invalid entries: never on arm64 */
    bool broadcast_tlbi;        /* invalidates reach every PE (the ...is forms) */
    bool tlbi_va_nonleaf;       /* a by-VA invalidate can remove walk-cache entries (vae1is) */
};
extern struct mmu_caps mmu_caps;

/* ---- PTE stores: single-copy atomic 64-bit accesses ---- */
static inline pte_t arch_pte_read(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void arch_pte_write(pte_t *p, pte_t v) { *(volatile pte_t *)p = v; }
/* Atomic read-and-replace: no hardware access/dirty update made between the
 * read and the write is lost (LL/SC on armv8.0, LSE swp where the compiler
 * is allowed to use it). */
static inline pte_t arch_pte_xchg(pte_t *p, pte_t v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
static inline bool arch_pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    return __atomic_compare_exchange_n(p, expected, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* ---- barriers ---- */
/* After storing entries the walker must see before the next access from
 * this CPU (a fault fixed, a range mapped). */
static inline unsigned arch_pte_stores_visible(void)
{
    __asm__ volatile("dsb ishst; isb" ::: "memory");
    return HWB_STORE_ORDER | HWB_ISB;
}
/* Before linking a freshly zeroed table: its zeroes must reach the walker
 * before the table entry does (else a speculative walk may cache garbage). */
static inline unsigned arch_table_publish(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    return HWB_STORE_ORDER;
}
static inline unsigned arch_tlb_pre_invalidate(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    return HWB_STORE_ORDER;
}
static inline unsigned arch_tlb_post_invalidate(void)
{
    __asm__ volatile("dsb ish; isb" ::: "memory");
    return HWB_COMPLETE | HWB_ISB;
}

/* ---- TLB maintenance ---- */
/* Issue `tlbi <name>, op` and record exactly that (name and operand). */
#define ARM64_TLBI(rec, k, name, op) do {                                      \
        uint64_t __op = (op);                                                  \
        __asm__ volatile("tlbi " #name ", %0" :: "r"(__op) : "memory");        \
        (rec) = (struct tlbi_rec){ .kind = (k), .insn = ARM64_##name, .rs1 = __op }; \
    } while (0)
#define ARM64_TLBI_NOARG(rec, k, name) do {                                    \
        __asm__ volatile("tlbi " #name ::: "memory");                          \
        (rec) = (struct tlbi_rec){ .kind = (k), .insn = ARM64_##name };        \
    } while (0)

static inline uint64_t tlbi_va_operand(uint16_t asid, uint64_t va) { return tlbi_page_operand(va, asid); }

/* last_level: only leaf entries changed (vale1is); otherwise table entries
 * were freed too and the walk caches must go (vae1is). */
static inline struct tlbi_rec arch_tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    struct tlbi_rec r;
    if (last_level)
        ARM64_TLBI(r, TLBK_PAGE, vale1is, tlbi_va_operand(asid, va));
    else
        ARM64_TLBI(r, TLBK_PAGE, vae1is, tlbi_va_operand(asid, va));
    return r;
}
/* One FEAT_TLBIRANGE operation from tlbi_range_plan(); `sys` encodings so
 * the kernel builds for armv8.0 boards (rvale1is: op2 5, rvae1is: op2 1). */
static inline struct tlbi_rec arch_tlbi_range_op(uint16_t asid, const struct tlbi_op *o, bool last_level)
{
    if (!o->is_range)
        return arch_tlbi_page(asid, o->va, last_level);
    uint64_t op = tlbi_range_operand(o->va, asid, o->scale, o->num);
    if (last_level) {
        __asm__ volatile("sys #0, c8, c2, #5, %0" :: "r"(op) : "memory");
        return (struct tlbi_rec){ .kind = TLBK_RANGE, .insn = ARM64_rvale1is, .rs1 = op };
    }
    __asm__ volatile("sys #0, c8, c2, #1, %0" :: "r"(op) : "memory");
    return (struct tlbi_rec){ .kind = TLBK_RANGE, .insn = ARM64_rvae1is, .rs1 = op };
}
/* Invalidate `pages` pages from va with the FEAT_TLBIRANGE operations
 * tlbi_range_plan() finds, recording each in recs; -1 (nothing issued) if the
 * CPU has no range operations or the range does not fit one plan. */
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
/* Every non-global entry of asid, all levels. ASID 0 is the kernel's, whose
 * entries are global: aside1is would not touch them, so it takes vmalle1is. */
static inline struct tlbi_rec arch_tlbi_asid(uint16_t asid)
{
    struct tlbi_rec r;
    if (asid == 0)
        ARM64_TLBI_NOARG(r, TLBK_ALL, vmalle1is);
    else
        ARM64_TLBI(r, TLBK_ASID, aside1is, (uint64_t)asid << 48);
    return r;
}
static inline struct tlbi_rec arch_tlbi_all(void)
{
    struct tlbi_rec r;
    ARM64_TLBI_NOARG(r, TLBK_ALL, vmalle1is);
    return r;
}
/* Not needed on arm64: invalid entries are never held in a TLB. */
static inline struct tlbi_rec arch_flush_after_make_valid(uint16_t asid, uint64_t va)
{
    (void)asid, (void)va;
    return (struct tlbi_rec){ .kind = TLBK_NONE, .insn = ARM64_none };
}
/* After granting write on a valid entry: a TLB may still hold the read-only
 * (or clean, hardware read-only) entry and fault again, so invalidate it on
 * this CPU (Linux arm64 __ptep_set_access_flags: "Invalidate a stale
 * read-only entry"). Other CPUs holding it take a spurious fault, which the
 * fault path resolves by finding the entry already writable. *bars receives
 * the barriers issued. */
static inline struct tlbi_rec arch_flush_local_page(uint16_t asid, uint64_t va, unsigned *bars)
{
    struct tlbi_rec r;
    __asm__ volatile("dsb nshst" ::: "memory");
    ARM64_TLBI(r, TLBK_PAGE_LOCAL, vale1, tlbi_va_operand(asid, va));
    __asm__ volatile("dsb nsh; isb" ::: "memory");
    *bars = HWB_LOCAL_STORE_ORDER | HWB_LOCAL_COMPLETE | HWB_ISB;
    return r;
}
/* Local (this PE only, non-shareable) forms, for the IPI shootdown method:
 * the initiator and each CPU an IPI reaches invalidate their own TLB. */
static inline struct tlbi_rec arch_tlbi_page_local(uint16_t asid, uint64_t va, bool last_level)
{
    struct tlbi_rec r;
    if (last_level)
        ARM64_TLBI(r, TLBK_PAGE, vale1, tlbi_va_operand(asid, va));
    else
        ARM64_TLBI(r, TLBK_PAGE, vae1, tlbi_va_operand(asid, va));
    return r;
}
static inline struct tlbi_rec arch_tlbi_asid_local(uint16_t asid)
{
    struct tlbi_rec r;
    if (asid == 0)
        ARM64_TLBI_NOARG(r, TLBK_ALL, vmalle1);
    else
        ARM64_TLBI(r, TLBK_ASID, aside1, (uint64_t)asid << 48);
    return r;
}
static inline unsigned arch_tlb_local_pre(void)
{
    __asm__ volatile("dsb ishst" ::: "memory");    /* the stores reach every walker */
    return HWB_STORE_ORDER;
}
static inline unsigned arch_tlb_local_post(void)
{
    __asm__ volatile("dsb nsh; isb" ::: "memory");
    return HWB_LOCAL_COMPLETE | HWB_ISB;
}

/* riscv-only Svinval batch: never used on arm64 (mmu_caps.svinval is false). */
static inline unsigned arch_tlbi_sinval_begin(void) { return 0; }
static inline struct tlbi_rec arch_tlbi_sinval_page(uint16_t asid, uint64_t va) { return arch_tlbi_page(asid, va, true); }
static inline unsigned arch_tlbi_sinval_end(void) { return 0; }

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
/* Make root_pa with asid the current translation; returns the barriers
 * issued (the table stores are ordered before the switch). */
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
/* Runtime switch of hardware A/D (tests); returns false if unsupported. */
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
