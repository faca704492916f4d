/*
 * GICv3 SGI generation (GIC architecture specification v3/v4, ICC_SGI1R_EL1):
 *   Aff3 55:48, RS 47:44, IRM 40 (0: the target list), Aff2 39:32,
 *   INTID 27:24, Aff1 23:16, TargetList 15:0.
 * The SGI goes to PE Aff3.Aff2.Aff1.(RS * 16 + n) for each bit n of
 * TargetList: a PE whose Aff0 is 16 or more needs RS = Aff0 / 16, which the
 * CPU interface honours only with ICC_CTLR_EL1.RSS (bit 18) = 1 (Range
 * Selector Support; else only Aff0 0..15 can be targeted). Pure: host-tested
 * in tests/host/test_gic_sgi.c.
 */
#ifndef ASM_GIC_SGI_H
#define ASM_GIC_SGI_H
#include <stdbool.h>
#include <stdint.h>

#define ICC_CTLR_EL1_RSS (1ULL << 18)

/* ICC_SGI1R_EL1 value sending SGI intid (0..15) to the one PE of MPIDR mpidr. */
static inline uint64_t gicv3_sgi1r_value(uint64_t mpidr, unsigned intid)
{
    uint64_t aff0 = mpidr & 0xff;
    return ((mpidr >> 32) & 0xff) << 48 | (aff0 / 16) << 44 | ((mpidr >> 16) & 0xff) << 32 |
           (uint64_t)(intid & 0xf) << 24 | ((mpidr >> 8) & 0xff) << 16 | 1ULL << (aff0 % 16);
}

/* Whether a CPU interface with this ICC_CTLR_EL1 can send an SGI to mpidr. */
static inline bool gicv3_sgi_reachable(uint64_t icc_ctlr, uint64_t mpidr)
{
    return (mpidr & 0xff) < 16 || (icc_ctlr & ICC_CTLR_EL1_RSS);
}
#endif
