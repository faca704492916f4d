/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host tests for arch/arm64/include/asm/tlbi_range.h.
 *
 * Every page count 1 .. TLBI_RANGE_MAX_PAGES (2^21) is planned and checked:
 * exact contiguous coverage, field ranges, operand round trip, and the op
 * count against the closed form
 *     (pages & 1) + #nonzero base-32 digits of pages/2
 * (digits d0..d2 are 5 bits, d3 = (pages/2) >> 15 is 0..32), which is also
 * <= TLBI_RANGE_PLAN_MAX_OPS = 5.  Checks in the hot loop are plain ifs
 * with a failure counter, so the whole sweep stays well under 2 s with
 * ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <asm/tlbi_range.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Field extraction by hand (not via the header's shift macros). */
#define F_ASID(x)  ((x) >> 48)
#define F_TG(x)    (((x) >> 46) & 0x3)
#define F_SCALE(x) (((x) >> 44) & 0x3)
#define F_NUM(x)   (((x) >> 39) & 0x1f)
#define F_TTL(x)   (((x) >> 37) & 0x3)
#define F_BADDR(x) ((x) & UINT64_C(0x1fffffffff))

static void test_operand_fields(void **state)
{
	(void)state;
	/* all fields at their maximum */
	assert_int_equal(tlbi_range_operand(UINT64_C(0x1fffffffff000), 0xffff, 3, 31),
			 UINT64_C(0xffff7f9fffffffff));
	/* everything zero except TG = 0b01 */
	assert_int_equal(tlbi_range_operand(0, 0, 0, 0), UINT64_C(0x0000400000000000));
	/* one field at a time */
	assert_int_equal(tlbi_range_operand(0, 0x1234, 0, 0), UINT64_C(0x1234400000000000));
	assert_int_equal(tlbi_range_operand(0, 0, 1, 0), UINT64_C(0x0000500000000000));
	assert_int_equal(tlbi_range_operand(0, 0, 2, 0), UINT64_C(0x0000600000000000));
	assert_int_equal(tlbi_range_operand(0, 0, 0, 1), UINT64_C(0x0000408000000000));
	assert_int_equal(tlbi_range_operand(0, 0, 0, 16), UINT64_C(0x0000480000000000));
	assert_int_equal(tlbi_range_operand(0x1000, 0, 0, 0), UINT64_C(0x0000400000000001));
	assert_int_equal(tlbi_range_operand(UINT64_C(0x7fffffffe000), 0, 0, 0),
			 UINT64_C(0x00004007fffffffe));
	/* kernel VA: VA[48:12] kept (bits 36,35 = VA[48],VA[47]) */
	assert_int_equal(tlbi_range_operand(UINT64_C(0xffff800000000000), 0, 0, 0),
			 UINT64_C(0x0000401800000000));
	/* out-of-range scale/num are masked, never spill into other fields */
	assert_int_equal(tlbi_range_operand(0, 0, 4, 32), UINT64_C(0x0000400000000000));
	assert_int_equal(tlbi_range_operand(0, 0, 7, 63), UINT64_C(0x00007f8000000000));

	/* vale1is operand: ASID | VA[55:12] */
	assert_int_equal(tlbi_page_operand(0x1000, 0), 1);
	assert_int_equal(tlbi_page_operand(UINT64_C(0xffff800000001000), 0xabcd),
			 UINT64_C(0xabcd0ff800000001));

	/* page counts */
	assert_int_equal(tlbi_range_pages(0, 0), 2);
	assert_int_equal(tlbi_range_pages(0, 31), 64);
	assert_int_equal(tlbi_range_pages(1, 0), 64);
	assert_int_equal(tlbi_range_pages(2, 0), 2048);
	assert_int_equal(tlbi_range_pages(3, 0), 65536);
	assert_int_equal(tlbi_range_pages(3, 31), 2097152);
	assert_int_equal(TLBI_RANGE_MAX_PAGES, UINT64_C(1) << 21);
	assert_int_equal(TLBI_RANGE_PLAN_MAX_OPS, 5);
}

static void test_plan_examples(void **state)
{
	struct tlbi_op ops[TLBI_RANGE_PLAN_MAX_OPS];
	const uint64_t va = 0x400000;

	(void)state;
	/* 1 page: single op */
	assert_int_equal(tlbi_range_plan(va, 1, ops, 5), 1);
	assert_false(ops[0].is_range);
	assert_int_equal(ops[0].va, va);

	/* 2 pages: scale 0 num 0 */
	assert_int_equal(tlbi_range_plan(va, 2, ops, 5), 1);
	assert_true(ops[0].is_range);
	assert_int_equal(ops[0].scale, 0);
	assert_int_equal(ops[0].num, 0);

	/* 3 pages: single + range(0,0) starting one page later */
	assert_int_equal(tlbi_range_plan(va, 3, ops, 5), 2);
	assert_false(ops[0].is_range);
	assert_true(ops[1].is_range);
	assert_int_equal(ops[1].va, va + 0x1000);
	assert_int_equal(ops[1].num, 0);

	/* 512 pages (2 MiB) = 8 << 6: scale 1, num 7 */
	assert_int_equal(tlbi_range_plan(va, 512, ops, 5), 1);
	assert_int_equal(ops[0].scale, 1);
	assert_int_equal(ops[0].num, 7);

	/* 2^21 pages: scale 3 num 31 */
	assert_int_equal(tlbi_range_plan(va, UINT64_C(1) << 21, ops, 5), 1);
	assert_int_equal(ops[0].scale, 3);
	assert_int_equal(ops[0].num, 31);

	/* 2^21 - 1: single + 3 x num 30 + scale 0 num 30 */
	assert_int_equal(tlbi_range_plan(va, (UINT64_C(1) << 21) - 1, ops, 5), 5);
	assert_false(ops[0].is_range);
	assert_int_equal(ops[1].scale, 3);
	assert_int_equal(ops[1].num, 30);
	assert_int_equal(ops[4].scale, 0);
	assert_int_equal(ops[4].num, 30);

	/* edge cases */
	assert_int_equal(tlbi_range_plan(va, 0, ops, 5), 0);
	assert_int_equal(tlbi_range_plan(va, (UINT64_C(1) << 21) + 1, ops, 5), -1);
	assert_int_equal(tlbi_range_plan(va, UINT64_C(1) << 40, ops, 5), -1);
	assert_int_equal(tlbi_range_plan(va, 3, ops, 1), -1);
	assert_int_equal(tlbi_range_plan(va, 1, ops, 0), -1);
}

static unsigned expected_ops(uint64_t pages)
{
	uint64_t h = pages >> 1;

	return (unsigned)(pages & 1) + ((h >> 15) != 0) + (((h >> 10) & 31) != 0) +
	       (((h >> 5) & 31) != 0) + ((h & 31) != 0);
}

/* Every page count 1..2^21. */
static void test_plan_every_count(void **state)
{
	struct tlbi_op ops[TLBI_RANGE_PLAN_MAX_OPS];
	const uint16_t asid = 0xa5c3;
	uint64_t pages;
	unsigned long fails = 0, total_ops = 0;
	unsigned max_seen = 0;

	(void)state;
	for (pages = 1; pages <= TLBI_RANGE_MAX_PAGES; pages++) {
		/* vary the base so BaseADDR bits get exercised */
		uint64_t va = UINT64_C(0x0000ffff00000000) - (pages << 12);
		uint64_t cur = va, covered = 0;
		int n = tlbi_range_plan(va, pages, ops, TLBI_RANGE_PLAN_MAX_OPS);
		int i;
		bool ok = n > 0 && (unsigned)n == expected_ops(pages);

		for (i = 0; ok && i < n; i++) {
			const struct tlbi_op *o = &ops[i];

			ok = o->va == cur;
			if (!o->is_range) {
				uint64_t x = tlbi_page_operand(o->va, asid);

				/* single ops only lead, for an odd count */
				ok = ok && i == 0 && (pages & 1);
				ok = ok && x == (((uint64_t)asid << 48) |
						 ((o->va >> 12) & UINT64_C(0xfffffffffff)));
				cur += 0x1000;
				covered += 1;
			} else {
				uint64_t x = tlbi_range_operand(o->va, asid, o->scale, o->num);
				uint64_t cnt = (uint64_t)(o->num + 1) << (5 * o->scale + 1);

				ok = ok && o->scale <= 3 && o->num <= 31;
				/* scales strictly decreasing */
				ok = ok && (i == 0 || !ops[i - 1].is_range ||
					    ops[i - 1].scale > o->scale);
				ok = ok && F_ASID(x) == asid && F_TG(x) == 1 &&
				     F_SCALE(x) == o->scale && F_NUM(x) == o->num &&
				     F_TTL(x) == 0 &&
				     F_BADDR(x) == ((o->va >> 12) & UINT64_C(0x1fffffffff));
				/* no bit outside the fields: rebuild exactly */
				ok = ok && x == (((uint64_t)asid << 48) | (UINT64_C(1) << 46) |
						 ((uint64_t)o->scale << 44) |
						 ((uint64_t)o->num << 39) | F_BADDR(x));
				ok = ok && cnt == tlbi_range_pages(o->scale, o->num);
				cur += cnt << 12;
				covered += cnt;
			}
		}
		ok = ok && covered == pages && cur == va + (pages << 12);
		if (!ok) {
			if (fails < 10)
				print_error("FAIL pages=%llu: n=%d expected %u\n",
					    (unsigned long long)pages, n,
					    expected_ops(pages));
			fails++;
		}
		if (n > 0) {
			total_ops += (unsigned long)n;
			if ((unsigned)n > max_seen)
				max_seen = (unsigned)n;
		}
	}
	print_message("    %llu page counts planned, %lu ops, max %u ops/count\n",
		      (unsigned long long)TLBI_RANGE_MAX_PAGES, total_ops, max_seen);
	assert_int_equal(fails, 0);
	assert_int_equal(max_seen, TLBI_RANGE_PLAN_MAX_OPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operand_fields),
		cmocka_unit_test(test_plan_examples),
		cmocka_unit_test(test_plan_every_count),
	};

	return cmocka_run_group_tests_name("tlbi_range", tests, NULL, NULL);
}
