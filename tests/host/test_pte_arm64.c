/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host tests for arch/arm64/include/asm/pte.h.
 *
 * Every expected value below is written out by hand from the bit layout:
 *   V 0, TYPE 1, AttrIndx 4:2, USER 6 (0x40), RDONLY 7 (0x80), SH 9:8
 *   (0x300), AF 10 (0x400), nG/PRESENT_INVALID 11 (0x800), OA 47:12,
 *   DBM/WRITE 51 (0x0008 << 48), CONT 52 (0x0010..), PXN 53 (0x0020..),
 *   UXN 54 (0x0040..), DIRTY 55 (0x0080..), SPECIAL 56 (0x0100..),
 *   SOFT_DIRTY 57 (0x0200..), UFFD_WP 58 (0x0400..).
 *   pte_modify mask = USER|PXN|UXN|RDONLY|bit11|VALID|WRITE|AttrIndx:
 *   low 12 bits 0x8dd (kept low bits: & 0x722), high 0x0068.
 *
 * Test PFN 0x12345 -> OA 0x0000000012345000.
 */
#define PTE_CONT_IDENTICAL      0
#define PTE_HAS_SPECIAL         1
#define PTE_KERNEL_EXEC_VISIBLE 0
#define PTE_HW_MARK_DIRTY(p)    ((p) & ~UINT64_C(0x80))  /* DBM: RDONLY clear */
#include "pte_cases.h"

/* pgprots, by hand */
#define UR   UINT64_C(0x0060000000000bc3) /* 3|SH|nG|USER|RDONLY, PXN|UXN */
#define URW  UINT64_C(0x0068000000000bc3) /* UR + DBM */
#define URX  UINT64_C(0x0020000000000bc3) /* UR - UXN */
#define URWX UINT64_C(0x0028000000000bc3)
#define NONE UINT64_C(0x0060000000000b82) /* 2|SH|PI|RDONLY, PXN|UXN */
#define KR   UINT64_C(0x0060000000000783) /* 3|SH|AF|RDONLY, PXN|UXN */
#define KRW  UINT64_C(0x0068000000000703) /* 3|SH|AF, DBM|PXN|UXN */
#define KRX  UINT64_C(0x0040000000000783) /* 3|SH|AF|RDONLY, UXN */
#define KRWX UINT64_C(0x0048000000000703) /* 3|SH|AF, DBM|UXN */
#define KDEV UINT64_C(0x0068000000000707) /* KRW + AttrIndx 1 */

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
#define HDIRT (P_HW_DIRTY | P_DIRTY)
#define SDIRT (P_SW_DIRTY | P_DIRTY)

static const struct pte_case pte_cases[] = {
	/* construction, young, dirty */
	{ "pfn_pte user RW: old, clean, writable, nG valid",
	  0x0068000012345bc3, S(ST(OP_ID)), 0x0068000012345bc3,
	  UPRES | P_WRITE, P_ALL },
	{ "mkyoung sets AF",
	  0x0068000012345bc3, S(ST(OP_MKYOUNG)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkold clears AF",
	  0x0068000012345fc3, S(ST(OP_MKOLD)), 0x0068000012345bc3,
	  UPRES | P_WRITE, P_ALL },
	{ "mkdirty writable: sw DIRTY + RDONLY clear",
	  0x0068000012345fc3, S(ST(OP_MKDIRTY)), 0x00e8000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "hw dirty (DBM cleared RDONLY), no sw DIRTY",
	  0x0068000012345f43, S(ST(OP_ID)), 0x0068000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "mkdirty read-only: sw DIRTY only, RDONLY stays",
	  0x0060000012345fc3, S(ST(OP_MKDIRTY)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "mkclean hw-dirty -> writable-clean",
	  0x0068000012345f43, S(ST(OP_MKCLEAN)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkclean sw+hw dirty",
	  0x00e8000012345f43, S(ST(OP_MKCLEAN)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* write protection (pitfall 7) */
	{ "wrprotect hw-dirty: dirty moves to sw DIRTY",
	  0x0068000012345f43, S(ST(OP_WRPROTECT)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "wrprotect then mkwrite of dirty: hw dirty again",
	  0x0068000012345f43, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x00e8000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "wrprotect then mkwrite of clean: stays clean",
	  0x0068000012345fc3, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkwrite clean read-only: writable-clean",
	  0x0060000012345fc3, S(ST(OP_MKWRITE)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* pitfall 1: nG vs PRESENT_INVALID */
	{ "VALID + nG, USER clear, UXN set: not protnone/present-invalid",
	  0x0060000012345f83, S(ST(OP_ID)), 0x0060000012345f83,
	  P_VALID | P_PRESENT | P_YOUNG | P_READ, P_ALL },

	/* protnone */
	{ "PAGE_NONE pte",
	  0x0060000012345b82, S(ST(OP_ID)), 0x0060000012345b82,
	  PINV | P_PROTNONE, P_ALL },
	{ "protnone young + sw dirty",
	  0x00e0000012345f82, S(ST(OP_ID)), 0x00e0000012345f82,
	  PINV | P_PROTNONE | P_YOUNG | SDIRT, P_ALL },
	/* pitfall 5 */
	{ "protnone dirty -> modify(RW) keeps pfn/young/dirty, hw dirty",
	  0x00e0000012345f82, S(MU(PROT_READ | PROT_WRITE)), 0x00e8000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "protnone clean -> modify(R)",
	  0x0060000012345f82, S(MU(PROT_READ)), 0x0060000012345fc3,
	  UPRES | P_YOUNG, P_ALL },

	/* pitfall 3: modify and dirty */
	{ "modify hw-dirty RW -> R: DIRTY|RDONLY",
	  0x0068000012345f43, S(MU(PROT_READ)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "modify sw-dirty R -> RW: hw dirty (RDONLY clear)",
	  0x00e0000012345fc3, S(MU(PROT_READ | PROT_WRITE)), 0x00e8000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "modify clean RW -> NONE",
	  0x0068000012345fc3, S(MU(PROT_NONE)), 0x0060000012345f82,
	  PINV | P_PROTNONE | P_YOUNG, P_ALL },
	{ "modify hw-dirty RW -> NONE keeps dirty",
	  0x0068000012345f43, S(MU(PROT_NONE)), 0x00e0000012345f82,
	  PINV | P_PROTNONE | P_YOUNG | SDIRT, P_ALL },
	{ "modify keeps CONT/SPECIAL/SOFT_DIRTY/UFFD_WP",
	  0x0778000012345fc3, S(MU(PROT_READ | PROT_EXEC)), 0x0730000012345fc3,
	  UPRES | P_YOUNG | P_EXEC | P_CONT | P_SPECIAL | P_SOFT_DIRTY | P_UFFD_WP, P_ALL },

	/* pitfall 2: mkinvalid */
	{ "mkinvalid user RW: present, not protnone",
	  0x0068000012345fc3, S(ST(OP_MKINVALID)), 0x0068000012345fc2,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG, P_ALL },
	{ "mkinvalid user RX",
	  0x0020000012345fc3, S(ST(OP_MKINVALID)), 0x0020000012345fc2,
	  PINV | P_USER | P_READ | P_EXEC | P_YOUNG, P_ALL },
	{ "mkinvalid hw-dirty keeps dirty",
	  0x0068000012345f43, S(ST(OP_MKINVALID)), 0x0068000012345f42,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "mkinvalid protnone: identity",
	  0x0060000012345b82, S(ST(OP_MKINVALID)), 0x0060000012345b82,
	  PINV | P_PROTNONE, P_ALL },
	{ "mkinvalid kernel pte reads as protnone (as in Linux)",
	  0x0068000012345703, S(ST(OP_MKINVALID)), 0x0068000012345f02,
	  PINV | P_PROTNONE | P_WRITE | P_YOUNG | HDIRT, P_ALL },

	/* kernel */
	{ "kernel normal RWX: hw dirty, young, global, UXN",
	  0x0048000012345703, S(ST(OP_ID)), 0x0048000012345703,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "kernel device",
	  0x0068000012345707, S(ST(OP_ID)), 0x0068000012345707,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "kernel RX: pte_exec is user-exec (false)",
	  0x0040000012345783, S(ST(OP_ID)), 0x0040000012345783,
	  P_VALID | P_PRESENT | P_READ | P_YOUNG, P_ALL },

	/* cont and software bits */
	{ "mkcont",
	  0x0068000012345fc3, S(ST(OP_MKCONT)), 0x0078000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_CONT, P_ALL },
	{ "mknoncont",
	  0x0078000012345fc3, S(ST(OP_MKNONCONT)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mksoft_dirty",
	  0x0068000012345fc3, S(ST(OP_MKSOFT_DIRTY)), 0x0268000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_SOFT_DIRTY, P_ALL },
	{ "clear_soft_dirty",
	  0x0268000012345fc3, S(ST(OP_CLEAR_SOFT_DIRTY)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkuffd_wp",
	  0x0068000012345fc3, S(ST(OP_MKUFFD_WP)), 0x0468000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_UFFD_WP, P_ALL },
	{ "clear_uffd_wp",
	  0x0468000012345fc3, S(ST(OP_CLEAR_UFFD_WP)), 0x0068000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkspecial",
	  0x0068000012345fc3, S(ST(OP_MKSPECIAL)), 0x0168000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_SPECIAL, P_ALL },

	/* pitfall 4: non-present entries */
	{ "none", 0, S(ST(OP_ID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "mkinvalid(none) = none", 0, S(ST(OP_MKINVALID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "swap 3/0x1234", 0x000000000123401c, S(ST(OP_ID)), 0x000000000123401c,
	  P_SWAP, P_NONPRESENT_SET },
	{ "mkinvalid(swap) = swap (bit 11 not set)", 0x000000000123401c,
	  S(ST(OP_MKINVALID)), 0x000000000123401c, P_SWAP, P_NONPRESENT_SET },
	{ "swap 30/max offset (UXN/PXN/DBM positions set)", 0x3ffffffffffff0f4,
	  S(ST(OP_ID)), 0x3ffffffffffff0f4, P_SWAP, P_NONPRESENT_SET },
	{ "marker UFFD_WP", 0x00000000000010fc, S(ST(OP_ID)), 0x00000000000010fc,
	  P_MARKER, P_NONPRESENT_SET },
};

static const struct swap_case swap_cases[] = {
	/* TAG 0x4 | type << 3 | offset << 12 */
	{ false, 0, 0, 0x0000000000000004 },
	{ false, 1, 1, 0x000000000000100c },
	{ false, 3, 0x1234, 0x000000000123401c },
	{ false, 17, 0x2aaaaaaaaaaaa, 0x2aaaaaaaaaaaa08c },
	{ false, 30, SWP_OFFSET_MASK, 0x3ffffffffffff0f4 },
	/* markers: type 31 -> 0xf8 | TAG */
	{ true, 0, 0, 0x00000000000000fc },
	{ true, 0, PTE_MARKER_UFFD_WP, 0x00000000000010fc },
	{ true, 0, PTE_MARKER_POISONED, 0x00000000000020fc },
	{ true, 0, PTE_MARKER_GUARD, 0x00000000000040fc },
	{ true, 0, 7, 0x00000000000070fc },
};

static const struct level_case level_cases[] = {
	{ "table", 0x0000000040001003, 0, true, false },
	{ "table", 0x0000000040001003, 1, true, false },
	{ "table", 0x0000000040001003, 2, true, false },
	{ "0b11 at level 3 is a page", 0x0000000040001003, 3, false, false },
	{ "block 0b01", 0x0068000040000701, 1, false, true },
	{ "block 0b01", 0x0068000040000701, 2, false, true },
	{ "no level-0 block with 4K granule", 0x0068000040000701, 0, false, false },
	{ "0b01 at level 3 is not a block", 0x0068000040000701, 3, false, false },
	{ "page pte at level 3", 0x0068000012345fc3, 3, false, false },
	{ "same bits at level 2 are a table", 0x0068000012345fc3, 2, true, false },
	{ "protnone block (0b00)", 0x0060000040000b80, 2, false, false },
	{ "none", 0, 2, false, false },
};

static void test_arm64_pgprot(void **state)
{
	(void)state;
	run_pgprot_cases(pgprot_cases, ARRAY_LEN(pgprot_cases));
	assert_int_equal(pgprot_val(pgprot_kernel_normal()), KRWX);
	assert_int_equal(pgprot_val(pgprot_kernel_device()), KDEV);
}

static void test_arm64_pte_table(void **state)
{
	(void)state;
	run_pte_cases(pte_cases, ARRAY_LEN(pte_cases));
}

static void test_arm64_swap_table(void **state)
{
	(void)state;
	run_swap_cases(swap_cases, ARRAY_LEN(swap_cases));
}

static void test_arm64_level_table(void **state)
{
	(void)state;
	run_level_cases(level_cases, ARRAY_LEN(level_cases));
}

static void test_arm64_ctors(void **state)
{
	pgprot_t urw = pgprot_from_prot(PROT_READ | PROT_WRITE, true);
	pgprot_t krw = pgprot_from_prot(PROT_READ | PROT_WRITE, false);
	pgprot_t none = pgprot_from_prot(PROT_NONE, true);
	const struct ctor_case c[] = {
		{ "pfn_pte(0x12345, URW)", pfn_pte(0x12345, urw), 0x0068000012345bc3 },
		{ "pfn_pte(max 36-bit pfn)", pfn_pte(0xfffffffff, urw), 0x0068fffffffffbc3 },
		{ "pfn_pte(37-bit pfn) masked", pfn_pte(0x1fffffffff, urw), 0x0068fffffffffbc3 },
		{ "pfn_pte(kernel normal)", pfn_pte(0x12345, pgprot_kernel_normal()), 0x0048000012345703 },
		{ "pfn_pte(kernel device)", pfn_pte(0x12345, pgprot_kernel_device()), 0x0068000012345707 },
		{ "pfn_pte(PAGE_NONE)", pfn_pte(0x12345, none), 0x0060000012345b82 },
		{ "pte_pfn(max)", pte_pfn(0x0068fffffffffbc3), 0xfffffffff },
		{ "pte_pfn ignores sw bits", pte_pfn(0x07f8000012345fc3), 0x12345 },
		{ "pte_napot_pfn: cont ptes own their pfn", pte_napot_pfn(0x0078000012345fc3, 0x7000), 0x12345 },
		{ "pte_mktable", pte_mktable(0x40001000), 0x0000000040001003 },
		{ "pte_mktable masks", pte_mktable(UINT64_C(0xffff000040001abc)), 0x0000000040001003 },
		{ "pte_table_pa", pte_table_pa(0x0000000040001003), 0x40001000 },
		{ "pfn_block level 2", pfn_block(0x40000, krw, 2), 0x0068000040000701 },
		{ "pfn_block level 1", pfn_block(0x40000, krw, 1), 0x0068000040000701 },
		{ "pfn_block level 3 = page", pfn_block(0x40000, krw, 3), 0x0068000040000703 },
		{ "pfn_block level 0 unsupported", pfn_block(0x40000, krw, 0), 0 },
		{ "pfn_block protnone", pfn_block(0x40000, none, 2), 0x0060000040000b80 },
		{ "swp type", pte_swp_type(0x2aaaaaaaaaaaa08c), 17 },
		{ "swp offset", pte_swp_offset(0x2aaaaaaaaaaaa08c), 0x2aaaaaaaaaaaa },
		{ "swp offset masked to 50 bits", swp_entry_pte(2, UINT64_C(0xfffc000000000001)), 0x0000000000001014 },
	};

	(void)state;
	run_ctor_cases(c, ARRAY_LEN(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm64_pgprot),
		cmocka_unit_test(test_arm64_pte_table),
		cmocka_unit_test(test_arm64_swap_table),
		cmocka_unit_test(test_arm64_level_table),
		cmocka_unit_test(test_arm64_ctors),
		PTE_COMMON_TESTS,
	};

	return cmocka_run_group_tests_name("pte_arm64", tests, NULL, NULL);
}
