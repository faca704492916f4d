/*
 * SBI hart masks (SBI specification v2.0, "Hart list parameter"): a call
 * that names harts takes hart_mask, a bit vector of one XLEN-bit word, and
 * hart_mask_base, the hart id of its bit 0 (hart_mask_base = -1 means every
 * hart and is never produced here). Hart ids are arbitrary unsigned longs,
 * not CPU numbers: a set of harts is sent as one or more (base, mask)
 * windows of 64 ids. Pure (no SBI call): host-tested in
 * tests/host/test_sbi_harts.c.
 */
#ifndef ASM_SBI_HARTS_H
#define ASM_SBI_HARTS_H
#include <stdint.h>

struct sbi_hart_window { uint64_t base, mask; };

/* The harts hartids[0..n) (distinct, n <= 64) as windows, each based at the
 * lowest id not yet covered and holding every id within 64 of it: as few
 * windows as a sweep from the lowest id gives (ids that fit one window
 * share one call). out has room for n; returns how many were written. */
static inline unsigned sbi_hart_windows(const uint64_t *hartids, unsigned n, struct sbi_hart_window *out)
{
    uint64_t covered = 0;           /* bit i: hartids[i] is in a window */
    unsigned nw = 0;
    if (n > 64)
        return 0;
    for (;;) {
        int lo = -1;
        for (unsigned i = 0; i < n; i++)
            if (!(covered >> i & 1) && (lo < 0 || hartids[i] < hartids[lo]))
                lo = (int)i;
        if (lo < 0)
            return nw;
        uint64_t base = hartids[lo], mask = 0;
        for (unsigned i = 0; i < n; i++)
            if (!(covered >> i & 1) && hartids[i] - base < 64) {     /* hartids[i] >= base */
                mask |= 1ULL << (hartids[i] - base);
                covered |= 1ULL << i;
            }
        out[nw++] = (struct sbi_hart_window){ base, mask };
    }
}
#endif
