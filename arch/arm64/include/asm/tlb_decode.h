/*
 * What each arm64 TLB-maintenance instruction removes, decoded from the
 * operand it was really issued with (Arm ARM D8.13 "TLB maintenance
 * instructions"; pure bit logic, host-testable). Written independently of
 * the encoders in asm/tlbi_range.h, so an encoder bug shows up as a range
 * the model does not see invalidated.
 *
 *   vae1is/vale1is  Xt = ASID[63:48] TTL[47:44] VA[55:12]: entries for that
 *                   VA with that ASID, and global entries for that VA; the
 *                   L form only last-level (leaf) entries, else walk caches
 *                   too. TTL != 0: only entries of level TTL[1:0] (TTL[3:2]
 *                   = 0b01 for the 4 KiB granule; another value: any level).
 *   rvae1is/rvale1is  ASID[63:48] TG[47:46] SCALE[45:44] NUM[43:39]
 *                   TTL[38:37] BaseADDR[36:0]: (NUM+1) << (5*SCALE+1) pages
 *                   from BaseADDR << 12 (TG = 0b01, 4 KiB). TG = 0b00 is
 *                   reserved, and a TG not matching the granule in use
 *                   removes nothing that can be relied on: decoded as none.
 *   aside1is        Xt = ASID[63:48]: every non-global entry of that ASID.
 *   vmalle1is       everything at EL1&0.
 *   The forms without "is" act on this PE only.
 */
#ifndef ASM_TLB_DECODE_H
#define ASM_TLB_DECODE_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/tlbi_effect.h"

enum arm64_tlbi_insn {
    ARM64_none, ARM64_vale1is, ARM64_vae1is, ARM64_vale1, ARM64_vae1,
    ARM64_rvale1is, ARM64_rvae1is, ARM64_aside1is, ARM64_aside1, ARM64_vmalle1is, ARM64_vmalle1,
};

static inline void tlbi_decode(const struct tlbi_rec *r, struct tlbi_effect *e)
{
    uint64_t x = r->rs1;
    /* Every arm64 TLBI is ordered after the PTE stores by a DSB and completed
     * by one (Arm ARM: "TLB maintenance instructions ... completed by DSB"). */
    *e = (struct tlbi_effect){ .asid = (uint16_t)(x >> 48), .end = ~0ULL, .ttl_level = -1, .needs_fences = true };
    switch (r->insn) {
    case ARM64_vale1is: case ARM64_vae1is: case ARM64_vale1: case ARM64_vae1: {
        uint64_t va = (x & ((1ULL << 44) - 1)) << 12;
        if (va & (1ULL << 55))
            va |= 0xff00000000000000ULL;            /* VA[63:56] copy VA[55] */
        e->start = va;
        e->end = va + 4096;
        e->global = true;
        e->leaf_only = r->insn == ARM64_vale1is || r->insn == ARM64_vale1;
        e->broadcast = r->insn == ARM64_vale1is || r->insn == ARM64_vae1is;
        unsigned ttl = (unsigned)(x >> 44) & 0xf;
        if ((ttl >> 2) == 1)
            e->ttl_level = (int)(ttl & 3);
        return;
    }
    case ARM64_rvale1is: case ARM64_rvae1is: {
        unsigned tg = (unsigned)(x >> 46) & 3, scale = (unsigned)(x >> 44) & 3;
        unsigned num = (unsigned)(x >> 39) & 0x1f, ttl = (unsigned)(x >> 37) & 3;
        if (tg != 1) {
            e->none = true;
            return;
        }
        e->start = (x & ((1ULL << 37) - 1)) << 12;
        e->end = e->start + (((uint64_t)num + 1) << (5 * scale + 1)) * 4096;
        e->global = true;
        e->leaf_only = r->insn == ARM64_rvale1is;
        e->broadcast = true;
        if (ttl)
            e->ttl_level = (int)ttl;
        return;
    }
    case ARM64_aside1is: case ARM64_aside1:
        e->start = 0;
        e->broadcast = r->insn == ARM64_aside1is;
        return;
    case ARM64_vmalle1is: case ARM64_vmalle1:
        e->start = 0;
        e->any_asid = e->global = true;
        e->broadcast = r->insn == ARM64_vmalle1is;
        return;
    default:
        e->none = true;
        return;
    }
}
#endif
