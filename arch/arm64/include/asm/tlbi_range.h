/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 TLBI operand encoders (FEAT_TLBIRANGE), pure functions.
 *
 * Range operand, `tlbi rvale1is, Xt` (4 KiB granule):
 *
 *   63        48 47 46 45  44 43   39 38 37 36                         0
 *  +------------+-----+------+-------+-----+----------------------------+
 *  |    ASID    | TG  |SCALE |  NUM  | TTL |   BaseADDR = VA[48:12]     |
 *  +------------+-----+------+-------+-----+----------------------------+
 *   TG = 0b01 (4 KiB), TTL = 0 (no level hint).
 *   Covers (NUM + 1) << (5 * SCALE + 1) pages from BaseADDR.
 *
 * Single-page operand, `tlbi vale1is, Xt`:
 *
 *   63        48 47  44 43                                            0
 *  +------------+------+-----------------------------------------------+
 *  |    ASID    | TTL  |                VA[55:12]                      |
 *  +------------+------+-----------------------------------------------+
 */
#ifndef ARCH_ARM64_ASM_TLBI_RANGE_H
#define ARCH_ARM64_ASM_TLBI_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#define TLBI_PAGE_SHIFT        12

#define TLBI_RANGE_BADDR_MASK  ((UINT64_C(1) << 37) - 1)   /* 36:0  */
#define TLBI_RANGE_TTL_SHIFT   37                          /* 38:37 */
#define TLBI_RANGE_NUM_SHIFT   39                          /* 43:39 */
#define TLBI_RANGE_NUM_MASK    UINT64_C(0x1f)
#define TLBI_RANGE_SCALE_SHIFT 44                          /* 45:44 */
#define TLBI_RANGE_SCALE_MASK  UINT64_C(0x3)
#define TLBI_RANGE_TG_SHIFT    46                          /* 47:46 */
#define TLBI_TG_4K             UINT64_C(1)
#define TLBI_ASID_SHIFT        48                          /* 63:48 */
#define TLBI_PAGE_VA_MASK      ((UINT64_C(1) << 44) - 1)   /* 43:0  */

#define TLBI_RANGE_MAX_SCALE   3u
#define TLBI_RANGE_MAX_NUM     31u
#define TLBI_RANGE_PAGES(scale, num) \
	((uint64_t)((num) + 1) << (5 * (scale) + 1))
/* (31 + 1) << (5 * 3 + 1) = 2^21 pages = 8 GiB */
#define TLBI_RANGE_MAX_PAGES   TLBI_RANGE_PAGES(TLBI_RANGE_MAX_SCALE, TLBI_RANGE_MAX_NUM)

/*
 * Upper bound of tlbi_range_plan() ops: one odd leading page plus at most
 * one range op per SCALE (after SCALE s the remainder is below
 * 2 << 5s pages, so each scale is used at most once).
 */
#define TLBI_RANGE_PLAN_MAX_OPS (1 + (int)TLBI_RANGE_MAX_SCALE + 1)

/* Pages covered by one range op. */
static inline uint64_t tlbi_range_pages(unsigned scale, unsigned num)
{
	return TLBI_RANGE_PAGES(scale, num);
}

/* rvale1is operand.  scale/num are masked to their fields (callers must
 * pass scale <= 3, num <= 31); va must be page aligned. */
static inline uint64_t tlbi_range_operand(uint64_t va, uint16_t asid,
					  unsigned scale, unsigned num)
{
	return ((uint64_t)asid << TLBI_ASID_SHIFT) |
	       (TLBI_TG_4K << TLBI_RANGE_TG_SHIFT) |
	       (((uint64_t)scale & TLBI_RANGE_SCALE_MASK) << TLBI_RANGE_SCALE_SHIFT) |
	       (((uint64_t)num & TLBI_RANGE_NUM_MASK) << TLBI_RANGE_NUM_SHIFT) |
	       ((va >> TLBI_PAGE_SHIFT) & TLBI_RANGE_BADDR_MASK);
}

/* vale1is / vae1is operand for one page, TTL = 0. */
static inline uint64_t tlbi_page_operand(uint64_t va, uint16_t asid)
{
	return ((uint64_t)asid << TLBI_ASID_SHIFT) |
	       ((va >> TLBI_PAGE_SHIFT) & TLBI_PAGE_VA_MASK);
}

struct tlbi_op {
	bool is_range;          /* false: single page (vale1is) at va */
	unsigned scale, num;    /* range op only */
	uint64_t va;
};

/*
 * Split [va, va + pages * 4 KiB) into TLBI ops the way Linux's
 * __flush_tlb_range_op() does with range ops: an odd leading page is a
 * single-page op (range ops cover an even count), then SCALE from 3 down
 * to 0, each with the largest NUM that fits the remainder.
 * Returns the number of ops written (0 for pages == 0), or -1 if
 * pages > TLBI_RANGE_MAX_PAGES (caller should flush the whole ASID) or
 * max_ops is too small (TLBI_RANGE_PLAN_MAX_OPS always suffices).
 */
static inline int tlbi_range_plan(uint64_t va, uint64_t pages,
				  struct tlbi_op *ops, int max_ops)
{
	int n = 0;
	int scale;

	if (pages > TLBI_RANGE_MAX_PAGES)
		return -1;
	if (pages & 1) {
		if (n >= max_ops)
			return -1;
		ops[n++] = (struct tlbi_op){ .is_range = false, .va = va };
		va += UINT64_C(1) << TLBI_PAGE_SHIFT;
		pages--;
	}
	for (scale = (int)TLBI_RANGE_MAX_SCALE; scale >= 0 && pages; scale--) {
		uint64_t units = pages >> (5 * scale + 1);
		uint64_t cover;

		/* units <= 32: pages <= 2^21 at SCALE 3, and below
		 * 2 << 5(s+1) pages are left when SCALE s is reached. */
		if (units == 0)
			continue;
		if (n >= max_ops)
			return -1;
		ops[n++] = (struct tlbi_op){ .is_range = true,
					     .scale = (unsigned)scale,
					     .num = (unsigned)(units - 1),
					     .va = va };
		cover = units << (5 * scale + 1);
		va += cover << TLBI_PAGE_SHIFT;
		pages -= cover;
	}
	return n;
}

#endif /* ARCH_ARM64_ASM_TLBI_RANGE_H */
