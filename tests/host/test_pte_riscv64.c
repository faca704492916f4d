/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host tests for arch/riscv64/include/asm/pte.h.
 *
 * Every expected value below is written out by hand from the bit layout:
 *   V 0x1, R 0x2, W 0x4, X 0x8, U 0x10, G 0x20, A 0x40, D 0x80,
 *   SOFT_DIRTY (RSW0) 0x100, UFFD_WP (RSW1) 0x200, PPN 53:10,
 *   PBMT 62:61 (IO = 0x4000..), N 63 (0x8000..).
 *   pte_modify replaces V|R|W|X|U|G (0x3f) and PBMT.
 *
 * Test PFN 0x12345 -> PPN field 0x12345 << 10 = 0x48d1400.
 * Napot block base 0x12340 -> encoded PPN 0x12348 -> 0x48d2000.
 */
#define PTE_CONT_IDENTICAL      1
#define PTE_HAS_SPECIAL         0
#define PTE_KERNEL_EXEC_VISIBLE 1
#define PTE_HW_MARK_DIRTY(p)    ((p) | UINT64_C(0x80))   /* Svadu: D set */
#include "pte_cases.h"

/* pgprots, by hand */
#define UR   UINT64_C(0x13)   /* V|R|U */
#define URW  UINT64_C(0x17)   /* V|R|W|U */
#define URX  UINT64_C(0x1b)   /* V|R|X|U */
#define URWX UINT64_C(0x1f)
#define NONE UINT64_C(0x22)   /* G(PROT_NONE)|R */
#define KR   UINT64_C(0xe3)   /* V|R|G|A|D */
#define KRW  UINT64_C(0xe7)
#define KRX  UINT64_C(0xeb)
#define KRWX UINT64_C(0xef)
#define KDEV UINT64_C(0xe7)   /* V|R|W|G|A|D (no Svpbmt) */

static const struct pgprot_case pgprot_cases[] = {
	{ 0, true, NONE },
	{ 0, false, NONE },
	{ PROT_READ, true, UR },
	{ PROT_WRITE, true, URW },                  /* write implies read */
	{ PROT_READ | PROT_WRITE, true, URW },
	{ PROT_EXEC, true, URX },                   /* exec implies read */
	{ PROT_READ | PROT_EXEC, true, URX },
	{ PROT_WRITE | PROT_EXEC, true, URWX },
	{ PROT_READ | PROT_WRITE | PROT_EXEC, true, URWX },
	{ PROT_READ, false, KR },
	{ PROT_READ | PROT_WRITE, false, KRW },
	{ PROT_READ | PROT_EXEC, false, KRX },
	{ PROT_READ | PROT_WRITE | PROT_EXEC, false, KRWX },
	{ 8, true, NONE },                          /* unknown bits ignored */
};

#define S(...) { __VA_ARGS__ }
#define ST(op) { op, 0 }
#define MU(prot) { OP_MODIFY_USER, prot }

#define UPRES (P_VALID | P_PRESENT | P_USER | P_READ)
#define PINV  (P_PRESENT | P_PRESENT_INVALID)
#define DIRT  (P_HW_DIRTY | P_DIRTY)      /* D: the only dirty bit */

static const struct pte_case pte_cases[] = {
	/* construction, young, dirty */
	{ "pfn_pte user RW: old, clean, writable",
	  0x00000000048d1417, S(ST(OP_ID)), 0x00000000048d1417,
	  UPRES | P_WRITE, P_ALL },
	{ "mkyoung sets A",
	  0x00000000048d1417, S(ST(OP_MKYOUNG)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkold clears A",
	  0x00000000048d1457, S(ST(OP_MKOLD)), 0x00000000048d1417,
	  UPRES | P_WRITE, P_ALL },
	{ "mkdirty sets D",
	  0x00000000048d1457, S(ST(OP_MKDIRTY)), 0x00000000048d14d7,
	  UPRES | P_WRITE | P_YOUNG | DIRT, P_ALL },
	{ "mkdirty read-only sets D",
	  0x00000000048d1453, S(ST(OP_MKDIRTY)), 0x00000000048d14d3,
	  UPRES | P_YOUNG | DIRT, P_ALL },
	{ "mkclean clears D, keeps W",
	  0x00000000048d14d7, S(ST(OP_MKCLEAN)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* write protection (pitfall 7) */
	{ "wrprotect dirty: W clear, D kept",
	  0x00000000048d14d7, S(ST(OP_WRPROTECT)), 0x00000000048d14d3,
	  UPRES | P_YOUNG | DIRT, P_ALL },
	{ "wrprotect then mkwrite of dirty",
	  0x00000000048d14d7, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x00000000048d14d7,
	  UPRES | P_WRITE | P_YOUNG | DIRT, P_ALL },
	{ "wrprotect then mkwrite of clean: stays clean",
	  0x00000000048d1457, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkwrite clean read-only",
	  0x00000000048d1453, S(ST(OP_MKWRITE)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* pitfall 1 analogue: G means global while V is set */
	{ "V + G (global kernel pte) is not protnone",
	  0x00000000048d14e7, S(ST(OP_ID)), 0x00000000048d14e7,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_YOUNG | DIRT, P_ALL },

	/* protnone */
	{ "PAGE_NONE pte (G|R, V clear)",
	  0x00000000048d1422, S(ST(OP_ID)), 0x00000000048d1422,
	  PINV | P_PROTNONE, P_ALL },
	{ "protnone young + dirty",
	  0x00000000048d14e2, S(ST(OP_ID)), 0x00000000048d14e2,
	  PINV | P_PROTNONE | P_YOUNG | DIRT, P_ALL },
	/* pitfall 5 */
	{ "protnone dirty -> modify(RW) keeps pfn/young/dirty",
	  0x00000000048d14e2, S(MU(PROT_READ | PROT_WRITE)), 0x00000000048d14d7,
	  UPRES | P_WRITE | P_YOUNG | DIRT, P_ALL },
	{ "protnone clean -> modify(R)",
	  0x00000000048d1462, S(MU(PROT_READ)), 0x00000000048d1453,
	  UPRES | P_YOUNG, P_ALL },

	/* pitfall 3: modify and dirty */
	{ "modify dirty RW -> R keeps D",
	  0x00000000048d14d7, S(MU(PROT_READ)), 0x00000000048d14d3,
	  UPRES | P_YOUNG | DIRT, P_ALL },
	{ "modify dirty R -> RW",
	  0x00000000048d14d3, S(MU(PROT_READ | PROT_WRITE)), 0x00000000048d14d7,
	  UPRES | P_WRITE | P_YOUNG | DIRT, P_ALL },
	{ "modify clean RW -> NONE",
	  0x00000000048d1457, S(MU(PROT_NONE)), 0x00000000048d1462,
	  PINV | P_PROTNONE | P_YOUNG, P_ALL },
	{ "modify dirty RW -> NONE keeps D",
	  0x00000000048d14d7, S(MU(PROT_NONE)), 0x00000000048d14e2,
	  PINV | P_PROTNONE | P_YOUNG | DIRT, P_ALL },
	{ "modify keeps N / napot PPN / RSW bits",
	  0x80000000048d2357, S(MU(PROT_READ | PROT_EXEC)), 0x80000000048d235b,
	  UPRES | P_YOUNG | P_EXEC | P_CONT | P_SOFT_DIRTY | P_UFFD_WP, P_ALL },
	{ "modify replaces PBMT",
	  0x40000000048d1457, S(MU(PROT_READ | PROT_WRITE)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* pitfall 2: mkinvalid */
	{ "mkinvalid user RW: present (leaf bits), not protnone",
	  0x00000000048d1457, S(ST(OP_MKINVALID)), 0x00000000048d1456,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG, P_ALL },
	{ "mkinvalid user RX",
	  0x00000000048d145b, S(ST(OP_MKINVALID)), 0x00000000048d145a,
	  PINV | P_USER | P_READ | P_EXEC | P_YOUNG, P_ALL },
	{ "mkinvalid dirty keeps D",
	  0x00000000048d14d7, S(ST(OP_MKINVALID)), 0x00000000048d14d6,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG | DIRT, P_ALL },
	{ "mkinvalid protnone: identity",
	  0x00000000048d1422, S(ST(OP_MKINVALID)), 0x00000000048d1422,
	  PINV | P_PROTNONE, P_ALL },
	{ "mkinvalid kernel pte clears G: not protnone",
	  0x00000000048d14e7, S(ST(OP_MKINVALID)), 0x00000000048d14c6,
	  PINV | P_READ | P_WRITE | P_YOUNG | DIRT, P_ALL },

	/* kernel */
	{ "kernel normal RWX",
	  0x00000000048d14ef, S(ST(OP_ID)), 0x00000000048d14ef,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_EXEC | P_YOUNG | DIRT, P_ALL },
	{ "kernel RX",
	  0x00000000048d14eb, S(ST(OP_ID)), 0x00000000048d14eb,
	  P_VALID | P_PRESENT | P_READ | P_EXEC | P_YOUNG | DIRT, P_ALL },

	/* napot and software bits */
	{ "mkcont: N + PPN[3:0] = 0b1000",
	  0x00000000048d1457, S(ST(OP_MKCONT)), 0x80000000048d2057,
	  UPRES | P_WRITE | P_YOUNG | P_CONT, P_ALL },
	{ "mkcont from slot 15 gives the same entry",
	  0x00000000048d3c57, S(ST(OP_MKCONT)), 0x80000000048d2057,
	  UPRES | P_WRITE | P_YOUNG | P_CONT, P_ALL },
	{ "mknoncont: block base page",
	  0x80000000048d2057, S(ST(OP_MKNONCONT)), 0x00000000048d0057,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mknoncont of a non-napot pte: identity",
	  0x00000000048d1457, S(ST(OP_MKNONCONT)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mksoft_dirty",
	  0x00000000048d1457, S(ST(OP_MKSOFT_DIRTY)), 0x00000000048d1557,
	  UPRES | P_WRITE | P_YOUNG | P_SOFT_DIRTY, P_ALL },
	{ "clear_soft_dirty",
	  0x00000000048d1557, S(ST(OP_CLEAR_SOFT_DIRTY)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkuffd_wp",
	  0x00000000048d1457, S(ST(OP_MKUFFD_WP)), 0x00000000048d1657,
	  UPRES | P_WRITE | P_YOUNG | P_UFFD_WP, P_ALL },
	{ "clear_uffd_wp",
	  0x00000000048d1657, S(ST(OP_CLEAR_UFFD_WP)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkspecial: identity (no RSW bit left)",
	  0x00000000048d1457, S(ST(OP_MKSPECIAL)), 0x00000000048d1457,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* pitfall 4: non-present entries */
	{ "none", 0, S(ST(OP_ID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "mkinvalid(none) = none", 0, S(ST(OP_MKINVALID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "swap 3/0x1234", 0x00000000012341c0, S(ST(OP_ID)), 0x00000000012341c0,
	  P_SWAP, P_NONPRESENT_SET },
	{ "mkinvalid(swap) = swap", 0x00000000012341c0, S(ST(OP_MKINVALID)),
	  0x00000000012341c0, P_SWAP, P_NONPRESENT_SET },
	{ "swap 30/max offset", 0x3fffffffffffff40, S(ST(OP_ID)), 0x3fffffffffffff40,
	  P_SWAP, P_NONPRESENT_SET },
	{ "marker UFFD_WP", 0x0000000000001fc0, S(ST(OP_ID)), 0x0000000000001fc0,
	  P_MARKER, P_NONPRESENT_SET },
};

static const struct swap_case swap_cases[] = {
	/* TAG 0x40 | type << 7 | offset << 12 */
	{ false, 0, 0, 0x0000000000000040 },
	{ false, 1, 1, 0x00000000000010c0 },
	{ false, 3, 0x1234, 0x00000000012341c0 },
	{ false, 17, 0x2aaaaaaaaaaaa, 0x2aaaaaaaaaaaa8c0 },
	{ false, 30, SWP_OFFSET_MASK, 0x3fffffffffffff40 },
	/* markers: type 31 -> 0xf80 | TAG */
	{ true, 0, 0, 0x0000000000000fc0 },
	{ true, 0, PTE_MARKER_UFFD_WP, 0x0000000000001fc0 },
	{ true, 0, PTE_MARKER_POISONED, 0x0000000000002fc0 },
	{ true, 0, PTE_MARKER_GUARD, 0x0000000000004fc0 },
	{ true, 0, 7, 0x0000000000007fc0 },
};

static const struct level_case level_cases[] = {
	{ "table (V, R=W=X=0)", 0x0000000010000401, 0, true, false },
	{ "table (V, R=W=X=0)", 0x0000000010000401, 1, true, false },
	{ "table (V, R=W=X=0)", 0x0000000010000401, 2, true, false },
	{ "non-leaf at level 3 is neither", 0x0000000010000401, 3, false, false },
	{ "leaf at level 2: megapage", 0x00000000100000e7, 2, false, true },
	{ "leaf at level 1: gigapage", 0x00000000100000e7, 1, false, true },
	{ "leaf at level 0: terapage (Sv48)", 0x00000000100000e7, 0, false, true },
	{ "leaf at level 3 is a page", 0x00000000100000e7, 3, false, false },
	{ "invalid table", 0x0000000010000400, 1, false, false },
	{ "protnone leaf", 0x0000000010000022, 2, false, false },
	{ "none", 0, 2, false, false },
};

static void test_riscv64_pgprot(void **state)
{
	(void)state;
	run_pgprot_cases(pgprot_cases, ARRAY_LEN(pgprot_cases));
	assert_int_equal(pgprot_val(pgprot_kernel_normal()), KRWX);
	assert_int_equal(pgprot_val(pgprot_kernel_device()), KDEV);
}

static void test_riscv64_pte_table(void **state)
{
	(void)state;
	run_pte_cases(pte_cases, ARRAY_LEN(pte_cases));
}

static void test_riscv64_swap_table(void **state)
{
	(void)state;
	run_swap_cases(swap_cases, ARRAY_LEN(swap_cases));
}

static void test_riscv64_level_table(void **state)
{
	(void)state;
	run_level_cases(level_cases, ARRAY_LEN(level_cases));
}

static void test_riscv64_ctors(void **state)
{
	pgprot_t urw = pgprot_from_prot(PROT_READ | PROT_WRITE, true);
	pgprot_t krw = pgprot_from_prot(PROT_READ | PROT_WRITE, false);
	pgprot_t none = pgprot_from_prot(PROT_NONE, true);
	const struct ctor_case c[] = {
		{ "pfn_pte(0x12345, URW)", pfn_pte(0x12345, urw), 0x00000000048d1417 },
		{ "pfn_pte(max 44-bit pfn)", pfn_pte(0xfffffffffff, urw), 0x003ffffffffffc17 },
		{ "pfn_pte(45-bit pfn) masked", pfn_pte(0x100000000005, urw), 0x0000000000001417 },
		{ "pfn_pte(kernel normal)", pfn_pte(0x12345, pgprot_kernel_normal()), 0x00000000048d14ef },
		{ "pfn_pte(kernel device)", pfn_pte(0x12345, pgprot_kernel_device()), 0x00000000048d14e7 },
		{ "pfn_pte(PAGE_NONE)", pfn_pte(0x12345, none), 0x00000000048d1422 },
		{ "pte_pfn(max)", pte_pfn(0x003ffffffffffc17), 0xfffffffffff },
		{ "pte_pfn ignores flags/PBMT", pte_pfn(0x40000000048d17ff), 0x12345 },
		{ "pte_pfn(napot) = block base", pte_pfn(0x80000000048d2057), 0x12340 },
		{ "pte_napot_pfn slot 5", pte_napot_pfn(0x80000000048d2057, UINT64_C(0x7fff12345000)), 0x12345 },
		{ "pte_napot_pfn slot 15 + offset", pte_napot_pfn(0x80000000048d2057, UINT64_C(0x7fff1234fabc)), 0x1234f },
		{ "pte_napot_pfn slot 0", pte_napot_pfn(0x80000000048d2057, UINT64_C(0xffffffc000010000)), 0x12340 },
		{ "pte_napot_pfn non-napot ignores va", pte_napot_pfn(0x00000000048d1457, 0xf000), 0x12345 },
		{ "pte_mktable", pte_mktable(0x40001000), 0x0000000010000401 },
		{ "pte_mktable drops offset", pte_mktable(0x40001abc), 0x0000000010000401 },
		{ "pte_table_pa", pte_table_pa(0x0000000010000401), 0x40001000 },
		{ "pfn_block level 2", pfn_block(0x40000, krw, 2), 0x00000000100000e7 },
		{ "pfn_block level 0", pfn_block(0x40000, krw, 0), 0x00000000100000e7 },
		{ "pfn_block level 3", pfn_block(0x40000, krw, 3), 0x00000000100000e7 },
		{ "pfn_block level 4 invalid", pfn_block(0x40000, krw, 4), 0 },
		{ "pfn_block protnone", pfn_block(0x40000, none, 2), 0x0000000010000022 },
		{ "swp type", pte_swp_type(0x2aaaaaaaaaaaa8c0), 17 },
		{ "swp offset", pte_swp_offset(0x2aaaaaaaaaaaa8c0), 0x2aaaaaaaaaaaa },
		{ "swp offset masked to 50 bits", swp_entry_pte(2, UINT64_C(0xfffc000000000001)), 0x0000000000001140 },
	};

	(void)state;
	run_ctor_cases(c, ARRAY_LEN(c));
}

/* Pitfall 6: napot pfn math for every 4K inside a 64K block, by hand:
 * entry 0x80000000048d2057 (base 0x12340) maps va page j to 0x12340 + j. */
static void test_riscv64_napot_every_page(void **state)
{
	static const uint64_t va_blocks[] = {
		0x0, 0x10000, UINT64_C(0x3fffff0000), UINT64_C(0xffffffc0deaf0000),
	};
	unsigned i, j;
	size_t k;

	(void)state;
	for (i = 0; i < CONT_PTES; i++) {
		/* pfn_pte(0x12340 + i) | A, then mkcont: identical entries */
		pte_t slot = (UINT64_C(0x12340) + i) << 10 | 0x57;

		assert_int_equal(pte_mkcont(slot), 0x80000000048d2057);
	}
	for (k = 0; k < ARRAY_LEN(va_blocks); k++) {
		for (j = 0; j < CONT_PTES; j++) {
			uint64_t va = va_blocks[k] + ((uint64_t)j << 12) + 0x123;

			assert_int_equal(pte_napot_pfn(0x80000000048d2057, va), 0x12340 + j);
			assert_int_equal(pte_pfn(0x80000000048d2057), 0x12340);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_riscv64_pgprot),
		cmocka_unit_test(test_riscv64_pte_table),
		cmocka_unit_test(test_riscv64_swap_table),
		cmocka_unit_test(test_riscv64_level_table),
		cmocka_unit_test(test_riscv64_ctors),
		cmocka_unit_test(test_riscv64_napot_every_page),
		PTE_COMMON_TESTS,
	};

	return cmocka_run_group_tests_name("pte_riscv64", tests, NULL, NULL);
}
