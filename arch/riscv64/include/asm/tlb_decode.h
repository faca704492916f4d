/*
 * What each riscv address-translation fence removes, decoded from the
 * registers it was issued with (privileged spec, "Supervisor Memory-
 * Management Fence Instruction" and the Svinval extension; pure bit logic).
 *
 *   sfence.vma rs1, rs2   rs1 = x0: every VA, all levels (walk caches too);
 *                         else only LEAF entries for the page holding rs1.
 *                         rs2 = x0: every address space, global entries too;
 *                         else only non-global entries of ASID rs2.
 *   sinval.vma rs1, rs2   the same set, but ordered only between
 *                         sfence.w.inval and sfence.inval.ir.
 * Every fence is local to the hart that executes it (remote harts need SBI
 * RFENCE or an IPI).
 */
#ifndef ASM_TLB_DECODE_H
#define ASM_TLB_DECODE_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/tlbi_effect.h"

enum riscv_tlbi_insn { RISCV_none, RISCV_sfence_vma, RISCV_sinval_vma };

static inline void tlbi_decode(const struct tlbi_rec *r, struct tlbi_effect *e)
{
    *e = (struct tlbi_effect){ .end = ~0ULL, .ttl_level = -1 };
    if (r->insn != RISCV_sfence_vma && r->insn != RISCV_sinval_vma) {
        e->none = true;
        return;
    }
    if (!r->rs1_x0) {
        e->start = r->rs1 & ~0xfffULL;
        e->end = e->start + 4096;
        e->leaf_only = true;
    }
    if (r->rs2_x0)
        e->any_asid = e->global = true;
    else
        e->asid = (uint16_t)r->rs2;
    e->needs_fences = r->insn == RISCV_sinval_vma;
}
#endif
