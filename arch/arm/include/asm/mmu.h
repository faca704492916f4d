/*
 * 32-bit Arm (ARMv7-A, LPAE) MMU as the mm layer sees it (the contract of
 * arch/arm64's and arch/riscv64's asm/mmu.h): capabilities and RAW
 * operations only. mmu/hw.h counts and checks every one of them.
 *
 * TLB maintenance is CP15 c8 (Arm ARM v7-A B4.2.2), each operation a
 * 32-bit register write recorded as issued (asm/tlb_decode.h decodes it):
 *   TLBIMVAIS   c8, c3, 1   one page of one ASID (+ global), walk caches too
 *   TLBIMVAAIS  c8, c3, 3   one page, every ASID (the kernel's global pages)
 *   TLBIASIDIS  c8, c3, 2   one ASID
 *   TLBIALLIS   c8, c3, 0   everything
 *   and the local forms c8, c7, {1,3,2,0}.
 * v7 has no last-level-only by-VA form and no range operations: a by-VA
 * invalidate always takes the walk caches for the address with it
 * (tlbi_va_nonleaf), and tlbi_range is false.
 *
 * Barriers: as on arm64, DSB ISHST orders PTE stores before the walker and
 * the invalidates, DSB ISH completes the invalidates, ISB resynchronises
 * this PE's fetches. ARMv7 also asks for branch predictor invalidation
 * (BPIALL) after a change to the translation of instruction fetches and
 * after a TTBR/ASID change (B2.2.6 "Branch predictors"), unless ID_MMFR1.BPred
 * says the predictors need no maintenance (0b0100): mmu_caps.bp_maintenance.
 *
 * 64-bit descriptors are read and written with LDRD/STRD, single-copy atomic
 * with LPAE (-march=armv7ve); exchanges use LDREXD/STREXD.
 */
#ifndef ASM_MMU_H
#define ASM_MMU_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/pte.h>
#include <asm/sysreg.h>
#include <asm/tlb_decode.h>
#include "mmu/tlbi_effect.h"

struct mmu_caps {
    int va_bits, levels;        /* 32 / 3 (translation starts at level 1, 4 entries) */
    unsigned asid_bits;         /* 8 (TTBR0[55:48]) or fewer with asid_bits= */
    bool hw_af, hw_dirty;       /* always false: LPAE has neither */
    bool hw_af_avail, hw_dirty_avail;
    bool tlbi_range;            /* false: no range operations in v7 */
    bool cont;                  /* contiguous hint, architected in LPAE */
    bool svinval;               /* riscv only: false */
    unsigned bbm_level;         /* 0: every CONT change needs break-before-make */
    bool caches_invalid;        /* false: entries that fault are never cached */
    bool broadcast_tlbi;        /* the ...IS forms */
    bool tlbi_va_nonleaf;       /* true: TLBIMVA also drops walk-cache entries */
    bool bp_maintenance;        /* ID_MMFR1.BPred < 4: BPIALL after mapping changes */
};
extern struct mmu_caps mmu_caps;

/* ---- PTE stores: LDRD/STRD, single-copy atomic with LPAE ---- */
static inline pte_t arch_pte_read(const pte_t *p)
{
    pte_t v;
    __asm__ volatile("ldrd %Q0, %R0, [%1]" : "=&r"(v) : "r"(p) : "memory");
    return v;
}
static inline void arch_pte_write(pte_t *p, pte_t v)
{
    __asm__ volatile("strd %Q0, %R0, [%1]" :: "r"(v), "r"(p) : "memory");
}
/* LDREXD/STREXD loops (no walker updates descriptors on LPAE, but another
 * PE may, and the contract asks for atomic read-and-replace). */
static inline pte_t arch_pte_xchg(pte_t *p, pte_t v)
{
    pte_t old;
    uint32_t fail;
    __asm__ volatile("1: ldrexd %Q0, %R0, [%2]\n\t"
                     "strexd %1, %Q3, %R3, [%2]\n\t"
                     "teq %1, #0\n\t"
                     "bne 1b"
                     : "=&r"(old), "=&r"(fail) : "r"(p), "r"(v) : "cc", "memory");
    return old;
}
static inline bool arch_pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    pte_t old;
    uint32_t fail;
    do {
        __asm__ volatile("ldrexd %Q0, %R0, [%1]" : "=&r"(old) : "r"(p) : "memory");
        if (old != *expected) {
            __asm__ volatile("clrex" ::: "memory");
            *expected = old;
            return false;
        }
        __asm__ volatile("strexd %0, %Q1, %R1, [%2]" : "=&r"(fail) : "r"(v), "r"(p) : "memory");
    } while (fail);
    return true;
}

/* ---- barriers ---- */
static inline unsigned arch_bp_invalidate(void)
{
    if (!mmu_caps.bp_maintenance)
        return 0;
    __asm__ volatile("mcr p15, 0, %0, c7, c1, 6" :: "r"(0) : "memory");     /* BPIALLIS */
    return HWB_BP_INVALIDATE;
}
static inline unsigned arch_pte_stores_visible(void)
{
    __asm__ volatile("dsb ishst; isb" ::: "memory");
    return HWB_STORE_ORDER | HWB_ISB;
}
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
/* BPIALLIS before the DSB, so that the one DSB completes both. */
static inline unsigned arch_tlb_post_invalidate(void)
{
    unsigned b = arch_bp_invalidate();
    __asm__ volatile("dsb ish; isb" ::: "memory");
    return b | HWB_COMPLETE | HWB_ISB;
}

/* ---- TLB maintenance ---- */
/* Issue `mcr p15, 0, op, c8, <crm>, <op2>` and record exactly that. */
#define ARM_TLBI(rec, k, name, crm, op2, opnd) do {                            \
        uint32_t __op = (opnd);                                                \
        __asm__ volatile("mcr p15, 0, %0, c8, " #crm ", " #op2 :: "r"(__op) : "memory"); \
        (rec) = (struct tlbi_rec){ .kind = (k), .insn = ARM_##name, .rs1 = __op }; \
    } while (0)

/* TLBIMVA operand: MVA[31:12], ASID[7:0]. */
static inline uint32_t tlbi_mva_operand(uint16_t asid, uint64_t va)
{
    return ((uint32_t)va & 0xfffff000u) | (asid & 0xffu);
}

/* last_level is not expressible in v7: TLBIMVA always removes the walk
 * caches for the address too, which covers both cases. ASID 0 is the
 * kernel's, whose entries are global: TLBIMVAA names every ASID. */
static inline struct tlbi_rec arch_tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    struct tlbi_rec r;
    (void)last_level;
    if (asid == 0)
        ARM_TLBI(r, TLBK_PAGE, tlbimvaais, c3, 3, (uint32_t)va & 0xfffff000u);
    else
        ARM_TLBI(r, TLBK_PAGE, tlbimvais, c3, 1, tlbi_mva_operand(asid, va));
    return r;
}
/* No range operations: the caller falls back to pages or the ASID. */
static inline int arch_tlbi_range(uint16_t asid, uint64_t va, uint64_t pages, bool last_level,
                                  struct tlbi_rec *recs, int max)
{
    (void)asid, (void)va, (void)pages, (void)last_level, (void)recs, (void)max;
    return -1;
}
static inline struct tlbi_rec arch_tlbi_asid(uint16_t asid)
{
    struct tlbi_rec r;
    if (asid == 0)
        ARM_TLBI(r, TLBK_ALL, tlbiallis, c3, 0, 0);
    else
        ARM_TLBI(r, TLBK_ASID, tlbiasidis, c3, 2, asid & 0xffu);
    return r;
}
static inline struct tlbi_rec arch_tlbi_all(void)
{
    struct tlbi_rec r;
    ARM_TLBI(r, TLBK_ALL, tlbiallis, c3, 0, 0);
    return r;
}
/* Entries that give a Translation or Access flag fault are never cached
 * (v7 B3.10.2), so invalid -> valid needs no invalidate. */
static inline struct tlbi_rec arch_flush_after_make_valid(uint16_t asid, uint64_t va)
{
    (void)asid, (void)va;
    return (struct tlbi_rec){ .kind = TLBK_NONE, .insn = ARM_none };
}
/* After granting write on a valid entry: drop a stale read-only copy on
 * this PE (DSB NSHST; TLBIMVA; DSB NSH; ISB). */
static inline struct tlbi_rec arch_flush_local_page(uint16_t asid, uint64_t va, unsigned *bars)
{
    struct tlbi_rec r;
    __asm__ volatile("dsb nshst" ::: "memory");
    if (asid == 0)
        ARM_TLBI(r, TLBK_PAGE_LOCAL, tlbimvaa, c7, 3, (uint32_t)va & 0xfffff000u);
    else
        ARM_TLBI(r, TLBK_PAGE_LOCAL, tlbimva, c7, 1, tlbi_mva_operand(asid, va));
    __asm__ volatile("dsb nsh; isb" ::: "memory");
    *bars = HWB_LOCAL_STORE_ORDER | HWB_LOCAL_COMPLETE | HWB_ISB;
    return r;
}
/* The local forms, for a shootdown by IPI (mmu/tlb.c): TLBIMVA(A) and
 * TLBIASID without IS, after DSB ISHST, completed by DSB NSH; ISB. This kernel runs
 * on one CPU on arm (arch/arm/smp.c), so only the one-CPU paths use them. */
static inline struct tlbi_rec arch_tlbi_page_local(uint16_t asid, uint64_t va, bool last_level)
{
    struct tlbi_rec r;
    (void)last_level;                   /* TLBIMVA also drops walk-cache entries */
    if (asid == 0)
        ARM_TLBI(r, TLBK_PAGE, tlbimvaa, c7, 3, (uint32_t)va & 0xfffff000u);
    else
        ARM_TLBI(r, TLBK_PAGE, tlbimva, c7, 1, tlbi_mva_operand(asid, va));
    return r;
}
static inline struct tlbi_rec arch_tlbi_asid_local(uint16_t asid)
{
    struct tlbi_rec r;
    if (asid == 0)
        ARM_TLBI(r, TLBK_ALL, tlbiall, c7, 0, 0);
    else
        ARM_TLBI(r, TLBK_ASID, tlbiasid, c7, 2, asid & 0xffu);
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
static inline unsigned arch_tlbi_sinval_begin(void) { return 0; }
static inline struct tlbi_rec arch_tlbi_sinval_page(uint16_t asid, uint64_t va) { return arch_tlbi_page(asid, va, true); }
static inline unsigned arch_tlbi_sinval_end(void) { return 0; }

static inline pte_t pte_block_to_next(pte_t blk, uint64_t pfn, int next_level)
{
    pte_t attrs = blk & ~(LPAE_PTE_ADDR_MASK | LPAE_PTE_TYPE_MASK);
    return attrs | (pfn << 12) | (next_level == 3 ? LPAE_PTE_TYPE_PAGE : LPAE_PTE_TYPE_BLOCK);
}
static inline pte_t pte_set_pfn(pte_t v, uint64_t pfn)
{
    return (v & ~LPAE_PTE_ADDR_MASK) | ((pfn << 12) & LPAE_PTE_ADDR_MASK);
}
static inline pgprot_t pgprot_mmio(void) { return pgprot_kernel_device(); }

void icache_sync(uint64_t va, uint64_t len);
void arch_mmu_probe(void);
void arch_mmu_enable(uint64_t root_pa);
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
/* No hardware A/D on LPAE: on = true is refused (false), off is the state. */
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
