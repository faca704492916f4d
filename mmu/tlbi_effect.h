/*
 * What a TLB-maintenance instruction was issued with, and what it removes.
 *
 * arch/ fills a tlbi_rec from the very operand register values it handed the
 * instruction (never from the plan it was asked to carry out), and decodes a
 * rec into a tlbi_effect by the architecture's own rules (asm/tlb_decode.h).
 * mmu/hw.h counts recs; the TLB model (mmu/rule_check.c) applies effects.
 * Data types only: no code, no policy.
 */
#ifndef MMU_TLBI_EFFECT_H
#define MMU_TLBI_EFFECT_H
#include <stdbool.h>
#include <stdint.h>

/* Which event counter an instruction belongs to. */
enum tlbi_kind { TLBK_NONE, TLBK_PAGE, TLBK_PAGE_LOCAL, TLBK_RANGE, TLBK_SINVAL, TLBK_ASID, TLBK_ALL };

struct tlbi_rec {
    uint8_t kind;           /* enum tlbi_kind */
    uint8_t insn;           /* arch's instruction id (asm/tlb_decode.h) */
    bool rs1_x0, rs2_x0;    /* riscv: the register operand was x0 */
    uint64_t rs1, rs2;      /* operand registers as issued (arm64: Xt in rs1) */
};

struct tlbi_effect {
    bool none;              /* removes nothing (a reserved encoding, or no instruction) */
    bool any_asid;          /* non-global entries of every ASID ... */
    uint16_t asid;          /* ... else only of this ASID */
    bool global;            /* global entries too */
    uint64_t start, end;    /* VA range [start, end) */
    bool leaf_only;         /* walk-cache (non-leaf) entries are kept */
    int ttl_level;          /* only entries of this level (arm64 TTL hint), -1: any */
    bool broadcast;         /* every PE of the Inner Shareable domain, else this PE */
    bool needs_fences;      /* riscv sinval.vma: only between sfence.w.inval and sfence.inval.ir */
};

/* Barrier instructions, as a bit mask of what one call issued. */
enum {
    HWB_STORE_ORDER = 1,        /* arm64 dsb ishst; riscv sfence.w.inval */
    HWB_COMPLETE = 2,           /* arm64 dsb ish; riscv sfence.inval.ir */
    HWB_ISB = 4,                /* arm64 isb */
    HWB_LOCAL_STORE_ORDER = 8,  /* arm64 dsb nshst */
    HWB_LOCAL_COMPLETE = 16,    /* arm64 dsb nsh */
    HWB_FENCE = 32,             /* riscv fence rw,rw (orders stores before a walk's reads) */
    HWB_BP_INVALIDATE = 64,     /* arm (ARMv7) BPIALLIS: branch predictors after a mapping change */
};
#endif
