/*
 * What each 32-bit Arm (VMSAv7, CP15 c8) TLB-maintenance operation removes,
 * decoded from the operand register it was really issued with (Arm ARM v7-A
 * B4.2.2 "TLB maintenance operations"; pure bit logic, host-testable).
 * Written apart from the encoder in asm/mmu.h (tlbi_mva_operand), so an
 * encoder bug shows up as a page the model does not see invalidated.
 *
 *   TLBIMVA(IS)   Rt = MVA[31:12] | ASID[7:0]: entries for that page with that
 *                 ASID, and global entries for that page. ARMv7 has no
 *                 last-level-only form (TLBIMVAL is ARMv8 AArch32): walk-cache
 *                 entries for the address go too.
 *   TLBIMVAA(IS)  Rt = MVA[31:12] (bits 11:0 SBZ): entries for that page,
 *                 every ASID and global.
 *   TLBIASID(IS)  Rt = ASID[7:0]: every non-global entry of that ASID.
 *   TLBIALL(IS)   everything of the PL1&0 regime (the register is ignored).
 *   The IS forms reach every PE of the Inner Shareable domain; the plain
 *   forms this PE only. Every one is completed by a DSB (and, for this PE's
 *   instruction fetches, an ISB).
 */
#ifndef ASM_TLB_DECODE_H
#define ASM_TLB_DECODE_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/tlbi_effect.h"

enum arm_tlbi_insn {
    ARM_none, ARM_tlbimvais, ARM_tlbimvaais, ARM_tlbiasidis, ARM_tlbiallis,
    ARM_tlbimva, ARM_tlbimvaa, ARM_tlbiasid, ARM_tlbiall,
};

static inline void tlbi_decode(const struct tlbi_rec *r, struct tlbi_effect *e)
{
    uint32_t x = (uint32_t)r->rs1;
    *e = (struct tlbi_effect){ .end = ~0ULL, .ttl_level = -1, .needs_fences = true };
    switch (r->insn) {
    case ARM_tlbimvais: case ARM_tlbimva:
        e->asid = (uint16_t)(x & 0xff);
        e->start = x & 0xfffff000u;
        e->end = e->start + 4096;
        e->global = true;
        e->broadcast = r->insn == ARM_tlbimvais;
        return;
    case ARM_tlbimvaais: case ARM_tlbimvaa:
        e->start = x & 0xfffff000u;
        e->end = e->start + 4096;
        e->any_asid = e->global = true;
        e->broadcast = r->insn == ARM_tlbimvaais;
        return;
    case ARM_tlbiasidis: case ARM_tlbiasid:
        e->asid = (uint16_t)(x & 0xff);
        e->start = 0;
        e->broadcast = r->insn == ARM_tlbiasidis;
        return;
    case ARM_tlbiallis: case ARM_tlbiall:
        e->start = 0;
        e->any_asid = e->global = true;
        e->broadcast = r->insn == ARM_tlbiallis;
        return;
    default:
        e->none = true;
        return;
    }
}
#endif
