/*
 * riscv64 MMU as the mm layer sees it (same contract as arm64's asm/mmu.h):
 * capabilities and RAW operations only; mmu/hw.h counts and checks them.
 * The kernel is uniprocessor today: sfence.vma is local, which on one hart
 * is the whole machine; SMP will need SBI RFENCE (remote) for broadcasts.
 *
 * sfence.vma with rs1 = va only covers the *leaf* entry for va, so when a
 * table page was freed (last_level == false) the whole ASID is flushed.
 * Global (kernel) entries are not touched by ASID-specific fences: ASID 0
 * (the kernel's) fences name no ASID (rs2 = x0).
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

static inline pte_t arch_pte_read(const pte_t *p) { return *(const volatile pte_t *)p; }
static inline void arch_pte_write(pte_t *p, pte_t v) { *(volatile pte_t *)p = v; }
/* amoswap.d / lr.d-sc.d: no hardware A/D update between read and write is lost. */
static inline pte_t arch_pte_xchg(pte_t *p, pte_t v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
static inline bool arch_pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    return __atomic_compare_exchange_n(p, expected, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* The walker's implicit reads are only ordered after PTE stores by an
 * sfence.vma; arch_flush_after_make_valid() provides it for each new entry. */
static inline unsigned arch_pte_stores_visible(void) { return 0; }
/* Before linking a freshly zeroed table: order the zeroing before the link
 * for any other observer's walker (Linux's smp_wmb() in pmd_install). */
static inline unsigned arch_table_publish(void)
{
    __asm__ volatile("fence w, w" ::: "memory");
    return HWB_FENCE;
}
static inline unsigned arch_tlb_pre_invalidate(void) { return 0; }   /* sfence.vma orders prior stores itself */
static inline unsigned arch_tlb_post_invalidate(void) { return 0; }

/* The four forms of sfence.vma, each recording the registers it names. */
static inline struct tlbi_rec sfence_vma_va_asid(uint64_t va, uint16_t asid, uint8_t kind)
{
    __asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((uint64_t)asid) : "memory");
    return (struct tlbi_rec){ .kind = kind, .insn = RISCV_sfence_vma, .rs1 = va, .rs2 = asid };
}
static inline struct tlbi_rec sfence_vma_va(uint64_t va, uint8_t kind)
{
    __asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
    return (struct tlbi_rec){ .kind = kind, .insn = RISCV_sfence_vma, .rs1 = va, .rs2_x0 = true };
}
static inline struct tlbi_rec sfence_vma_asid(uint16_t asid)
{
    __asm__ volatile("sfence.vma zero, %0" :: "r"((uint64_t)asid) : "memory");
    return (struct tlbi_rec){ .kind = TLBK_ASID, .insn = RISCV_sfence_vma, .rs1_x0 = true, .rs2 = asid };
}
static inline struct tlbi_rec sfence_vma_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
    return (struct tlbi_rec){ .kind = TLBK_ALL, .insn = RISCV_sfence_vma, .rs1_x0 = true, .rs2_x0 = true };
}

static inline struct tlbi_rec arch_tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    if (last_level)
        return asid ? sfence_vma_va_asid(va, asid, TLBK_PAGE) : sfence_vma_va(va, TLBK_PAGE);
    /* Non-leaf entries are only removed by rs1 = x0 fences. */
    return asid ? sfence_vma_asid(asid) : sfence_vma_all();
}
static inline struct tlbi_rec arch_tlbi_asid(uint16_t asid) { return asid ? sfence_vma_asid(asid) : sfence_vma_all(); }
static inline struct tlbi_rec arch_tlbi_all(void) { return sfence_vma_all(); }
/* The privileged spec lets a hart cache invalid entries: after making an
 * invalid or protnone entry valid, a local fence for that page is needed or
 * the access faults again (forever). rs2 = x0, as Linux's
 * local_flush_tlb_page(): a cached invalid entry may be global (protnone
 * entries carry G), which an ASID-qualified fence does not reach. */
static inline struct tlbi_rec arch_flush_after_make_valid(uint16_t asid, uint64_t va)
{
    (void)asid;
    return sfence_vma_va(va, TLBK_PAGE_LOCAL);
}
/* After granting write on a valid entry: the same local fence. */
static inline struct tlbi_rec arch_flush_local_page(uint16_t asid, uint64_t va, unsigned *bars)
{
    *bars = 0;
    return arch_flush_after_make_valid(asid, va);
}

/* Local forms for the shootdown methods: sfence.vma is local anyway. */
static inline struct tlbi_rec arch_tlbi_page_local(uint16_t asid, uint64_t va, bool last_level)
{
    return arch_tlbi_page(asid, va, last_level);
}
static inline struct tlbi_rec arch_tlbi_asid_local(uint16_t asid) { return arch_tlbi_asid(asid); }
static inline unsigned arch_tlb_local_pre(void) { return 0; }
static inline unsigned arch_tlb_local_post(void) { return 0; }

/* Svinval batch: sfence.w.inval; sinval.vma...; sfence.inval.ir */
static inline unsigned arch_tlbi_sinval_begin(void)
{
    __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x0" ::: "memory");    /* sfence.w.inval */
    return HWB_STORE_ORDER;
}
static inline struct tlbi_rec arch_tlbi_sinval_page(uint16_t asid, uint64_t va)
{
    if (asid == 0) {
        __asm__ volatile(".insn r 0x73, 0, 0x0b, x0, %0, x0" :: "r"(va) : "memory");
        return (struct tlbi_rec){ .kind = TLBK_SINVAL, .insn = RISCV_sinval_vma, .rs1 = va, .rs2_x0 = true };
    }
    __asm__ volatile(".insn r 0x73, 0, 0x0b, x0, %0, %1" :: "r"(va), "r"((uint64_t)asid) : "memory");
    return (struct tlbi_rec){ .kind = TLBK_SINVAL, .insn = RISCV_sinval_vma, .rs1 = va, .rs2 = asid };
}
static inline unsigned arch_tlbi_sinval_end(void)
{
    __asm__ volatile(".insn r 0x73, 0, 0x0c, x0, x0, x1" ::: "memory");    /* sfence.inval.ir */
    return HWB_COMPLETE;
}
/* Range operations do not exist on riscv: -1, nothing issued. */
static inline int arch_tlbi_range(uint16_t asid, uint64_t va, uint64_t pages, bool last_level,
                                  struct tlbi_rec *recs, int max)
{
    (void)asid, (void)va, (void)pages, (void)last_level, (void)recs, (void)max;
    return -1;
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
unsigned arch_switch_root(uint64_t root_pa, uint16_t asid);
uint64_t arch_current_root(void);
void arch_mmu_describe(void);
bool arch_set_hw_ad(bool on);
/* riscv: hardware A/D is found by probing after the MMU is on. */
void arch_set_hw_ad_probed(bool hw);
/* Arch constants the arch-neutral mm reads (no #ifdef on the arch there):
 * Linux's invalidate-by-ASID threshold (riscv's tlb_flush_all_threshold),
 * the shootdown through the firmware (SBI RFENCE) rather than a hardware
 * broadcast, hardware A/D found by trying (Svadu vs Svade). */
#define ARCH_TLB_ASID_THRESHOLD 64
#define ARCH_FIRMWARE_SHOOTDOWN 1
#define ARCH_PROBES_HW_AD 1

#endif
