/*
 * Host tests for arch/arm/include/asm/pte.h (32-bit Arm, LPAE long
 * descriptors) and asm/tlb_decode.h (CP15 TLB maintenance).
 *
 * Every expected value below is written out by hand from the bit layout:
 *   V 0, TYPE 1, AttrIndx 4:2, USER 6 (0x40), RDONLY 7 (0x80), SH 9:8
 *   (0x300), AF 10 (0x400), nG/PRESENT_INVALID 11 (0x800), OA 39:12,
 *   CONT 52 (0x0010 << 48), PXN 53 (0x0020..), XN 54 (0x0040..),
 *   DIRTY 55 (0x0080..), SPECIAL 56 (0x0100..), SOFT_DIRTY 57 (0x0200..),
 *   UFFD_WP 58 (0x0400..), WRITE 59 (0x0800..; an IGNORED bit on LPAE).
 *   The arm64 tables with DBM (bit 51, SBZP on LPAE) moved to bit 59,
 *   and the kernel's execute permissions redone for XN covering PL1.
 *
 * Test PFN 0x12345 -> OA 0x0000000012345000.
 */
#define PTE_CONT_IDENTICAL      0
#define PTE_HAS_SPECIAL         1
#define PTE_KERNEL_EXEC_VISIBLE 1
/* No hardware dirty on LPAE: the write fault's handler clears RDONLY. */
#define PTE_HW_MARK_DIRTY(p)    ((p) & ~UINT64_C(0x80))
#define PTE_MAX_PFN             UINT64_C(0xfffffff)     /* 40-bit PA */
#include "pte_cases.h"
#include <asm/tlb_decode.h>

/* pgprots, by hand */
#define UR   UINT64_C(0x0060000000000bc3) /* 3|SH|nG|USER|RDONLY, PXN|XN */
#define URW  UINT64_C(0x0860000000000bc3) /* UR + WRITE */
#define URX  UINT64_C(0x0020000000000bc3) /* UR - XN */
#define URWX UINT64_C(0x0820000000000bc3)
#define NONE UINT64_C(0x0060000000000b82) /* 2|SH|PI|RDONLY, PXN|XN */
#define KR   UINT64_C(0x0060000000000783) /* 3|SH|AF|RDONLY, PXN|XN */
#define KRW  UINT64_C(0x0860000000000703) /* 3|SH|AF, WRITE|PXN|XN */
#define KRX  UINT64_C(0x0000000000000783) /* 3|SH|AF|RDONLY */
#define KRWX UINT64_C(0x0800000000000703) /* 3|SH|AF, WRITE */
#define KDEV UINT64_C(0x0860000000000707) /* KRW + AttrIndx 1 */

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
	  0x0860000012345bc3, S(ST(OP_ID)), 0x0860000012345bc3,
	  UPRES | P_WRITE, P_ALL },
	{ "mkyoung sets AF",
	  0x0860000012345bc3, S(ST(OP_MKYOUNG)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkold clears AF",
	  0x0860000012345fc3, S(ST(OP_MKOLD)), 0x0860000012345bc3,
	  UPRES | P_WRITE, P_ALL },
	{ "mkdirty writable: sw DIRTY + RDONLY clear",
	  0x0860000012345fc3, S(ST(OP_MKDIRTY)), 0x08e0000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "dirty (the write fault cleared RDONLY), no sw DIRTY",
	  0x0860000012345f43, S(ST(OP_ID)), 0x0860000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "mkdirty read-only: sw DIRTY only, RDONLY stays",
	  0x0060000012345fc3, S(ST(OP_MKDIRTY)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "mkclean hw-dirty -> writable-clean",
	  0x0860000012345f43, S(ST(OP_MKCLEAN)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkclean sw+hw dirty",
	  0x08e0000012345f43, S(ST(OP_MKCLEAN)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* write protection (pitfall 7) */
	{ "wrprotect hw-dirty: dirty moves to sw DIRTY",
	  0x0860000012345f43, S(ST(OP_WRPROTECT)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "wrprotect then mkwrite of dirty: hw dirty again",
	  0x0860000012345f43, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x08e0000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "wrprotect then mkwrite of clean: stays clean",
	  0x0860000012345fc3, S(ST(OP_WRPROTECT), ST(OP_MKWRITE)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkwrite clean read-only: writable-clean",
	  0x0060000012345fc3, S(ST(OP_MKWRITE)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },

	/* pitfall 1: nG vs PRESENT_INVALID */
	{ "VALID + nG, USER clear, XN set: not protnone/present-invalid",
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
	  0x00e0000012345f82, S(MU(PROT_READ | PROT_WRITE)), 0x08e0000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "protnone clean -> modify(R)",
	  0x0060000012345f82, S(MU(PROT_READ)), 0x0060000012345fc3,
	  UPRES | P_YOUNG, P_ALL },

	/* pitfall 3: modify and dirty */
	{ "modify hw-dirty RW -> R: DIRTY|RDONLY",
	  0x0860000012345f43, S(MU(PROT_READ)), 0x00e0000012345fc3,
	  UPRES | P_YOUNG | SDIRT, P_ALL },
	{ "modify sw-dirty R -> RW: hw dirty (RDONLY clear)",
	  0x00e0000012345fc3, S(MU(PROT_READ | PROT_WRITE)), 0x08e0000012345f43,
	  UPRES | P_WRITE | P_YOUNG | HDIRT | P_SW_DIRTY, P_ALL },
	{ "modify clean RW -> NONE",
	  0x0860000012345fc3, S(MU(PROT_NONE)), 0x0060000012345f82,
	  PINV | P_PROTNONE | P_YOUNG, P_ALL },
	{ "modify hw-dirty RW -> NONE keeps dirty",
	  0x0860000012345f43, S(MU(PROT_NONE)), 0x00e0000012345f82,
	  PINV | P_PROTNONE | P_YOUNG | SDIRT, P_ALL },
	{ "modify keeps CONT/SPECIAL/SOFT_DIRTY/UFFD_WP",
	  0x0f70000012345fc3, S(MU(PROT_READ | PROT_EXEC)), 0x0730000012345fc3,
	  UPRES | P_YOUNG | P_EXEC | P_CONT | P_SPECIAL | P_SOFT_DIRTY | P_UFFD_WP, P_ALL },

	/* pitfall 2: mkinvalid */
	{ "mkinvalid user RW: present, not protnone",
	  0x0860000012345fc3, S(ST(OP_MKINVALID)), 0x0860000012345fc2,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG, P_ALL },
	{ "mkinvalid user RX",
	  0x0020000012345fc3, S(ST(OP_MKINVALID)), 0x0020000012345fc2,
	  PINV | P_USER | P_READ | P_EXEC | P_YOUNG, P_ALL },
	{ "mkinvalid hw-dirty keeps dirty",
	  0x0860000012345f43, S(ST(OP_MKINVALID)), 0x0860000012345f42,
	  PINV | P_USER | P_READ | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "mkinvalid protnone: identity",
	  0x0060000012345b82, S(ST(OP_MKINVALID)), 0x0060000012345b82,
	  PINV | P_PROTNONE, P_ALL },
	{ "mkinvalid kernel pte reads as protnone (as in Linux)",
	  0x0860000012345703, S(ST(OP_MKINVALID)), 0x0860000012345f02,
	  PINV | P_PROTNONE | P_WRITE | P_YOUNG | HDIRT, P_ALL },

	/* kernel */
	{ "kernel normal RWX: dirty, young, global, executable (XN clear)",
	  0x0800000012345703, S(ST(OP_ID)), 0x0800000012345703,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_YOUNG | HDIRT | P_EXEC, P_ALL },
	{ "kernel device",
	  0x0860000012345707, S(ST(OP_ID)), 0x0860000012345707,
	  P_VALID | P_PRESENT | P_READ | P_WRITE | P_YOUNG | HDIRT, P_ALL },
	{ "kernel RX: pte_exec is XN clear (true: XN covers PL1 too)",
	  0x0000000012345783, S(ST(OP_ID)), 0x0000000012345783,
	  P_VALID | P_PRESENT | P_READ | P_YOUNG | P_EXEC, P_ALL },
	{ "kernel R: XN and PXN",
	  0x0060000012345783, S(ST(OP_ID)), 0x0060000012345783,
	  P_VALID | P_PRESENT | P_READ | P_YOUNG, P_ALL },

	/* cont and software bits */
	{ "mkcont",
	  0x0860000012345fc3, S(ST(OP_MKCONT)), 0x0870000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_CONT, P_ALL },
	{ "mknoncont",
	  0x0870000012345fc3, S(ST(OP_MKNONCONT)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mksoft_dirty",
	  0x0860000012345fc3, S(ST(OP_MKSOFT_DIRTY)), 0x0a60000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_SOFT_DIRTY, P_ALL },
	{ "clear_soft_dirty",
	  0x0a60000012345fc3, S(ST(OP_CLEAR_SOFT_DIRTY)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkuffd_wp",
	  0x0860000012345fc3, S(ST(OP_MKUFFD_WP)), 0x0c60000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_UFFD_WP, P_ALL },
	{ "clear_uffd_wp",
	  0x0c60000012345fc3, S(ST(OP_CLEAR_UFFD_WP)), 0x0860000012345fc3,
	  UPRES | P_WRITE | P_YOUNG, P_ALL },
	{ "mkspecial",
	  0x0860000012345fc3, S(ST(OP_MKSPECIAL)), 0x0960000012345fc3,
	  UPRES | P_WRITE | P_YOUNG | P_SPECIAL, P_ALL },

	/* pitfall 4: non-present entries */
	{ "none", 0, S(ST(OP_ID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "mkinvalid(none) = none", 0, S(ST(OP_MKINVALID)), 0, P_NONE, P_NONPRESENT_SET },
	{ "swap 3/0x1234", 0x000000000123401c, S(ST(OP_ID)), 0x000000000123401c,
	  P_SWAP, P_NONPRESENT_SET },
	{ "mkinvalid(swap) = swap (bit 11 not set)", 0x000000000123401c,
	  S(ST(OP_MKINVALID)), 0x000000000123401c, P_SWAP, P_NONPRESENT_SET },
	{ "swap 30/max offset (XN/PXN/WRITE positions set)", 0x3ff7fffffffff0f4,
	  S(ST(OP_ID)), 0x3ff7fffffffff0f4, P_SWAP, P_NONPRESENT_SET },
	{ "marker UFFD_WP", 0x00000000000010fc, S(ST(OP_ID)), 0x00000000000010fc,
	  P_MARKER, P_NONPRESENT_SET },
};

static const struct swap_case swap_cases[] = {
	/* TAG 0x4 | type << 3 | offset << 12: the arm64 format (V = 0: all software) */
	{ false, 0, 0, 0x0000000000000004 },
	{ false, 1, 1, 0x000000000000100c },
	{ false, 3, 0x1234, 0x000000000123401c },
	{ false, 17, 0x2aaaaaaaaaaaa, 0x2aaaaaaaaaaaa08c },
	{ false, 30, SWP_OFFSET_MASK, 0x3ffffffffffff0f4 },
	{ true, 0, 0, 0x00000000000000fc },
	{ true, 0, PTE_MARKER_UFFD_WP, 0x00000000000010fc },
	{ true, 0, PTE_MARKER_POISONED, 0x00000000000020fc },
	{ true, 0, PTE_MARKER_GUARD, 0x00000000000040fc },
	{ true, 0, 7, 0x00000000000070fc },
};

static const struct level_case level_cases[] = {
	{ "table", 0x0000000040001003, 1, true, false },
	{ "table", 0x0000000040001003, 2, true, false },
	{ "0b11 at level 3 is a page", 0x0000000040001003, 3, false, false },
	{ "block 0b01 (1 GiB)", 0x0860000040000701, 1, false, true },
	{ "block 0b01 (2 MiB)", 0x0860000040000701, 2, false, true },
	{ "0b01 at level 3 is not a block", 0x0860000040000701, 3, false, false },
	{ "page pte at level 3", 0x0860000012345fc3, 3, false, false },
	{ "same bits at level 2 are a table", 0x0860000012345fc3, 2, true, false },
	{ "protnone block (0b00)", 0x0060000040000b80, 2, false, false },
	{ "none", 0, 2, false, false },
};

static void test_arm_pgprot(void **state)
{
	(void)state;
	run_pgprot_cases(pgprot_cases, ARRAY_LEN(pgprot_cases));
	assert_int_equal(pgprot_val(pgprot_kernel_normal()), KRWX);
	assert_int_equal(pgprot_val(pgprot_kernel_device()), KDEV);
}

static void test_arm_pte_table(void **state)
{
	(void)state;
	run_pte_cases(pte_cases, ARRAY_LEN(pte_cases));
}

static void test_arm_swap_table(void **state)
{
	(void)state;
	run_swap_cases(swap_cases, ARRAY_LEN(swap_cases));
}

static void test_arm_level_table(void **state)
{
	(void)state;
	run_level_cases(level_cases, ARRAY_LEN(level_cases));
}

static void test_arm_ctors(void **state)
{
	pgprot_t urw = pgprot_from_prot(PROT_READ | PROT_WRITE, true);
	pgprot_t krw = pgprot_from_prot(PROT_READ | PROT_WRITE, false);
	pgprot_t none = pgprot_from_prot(PROT_NONE, true);
	const struct ctor_case c[] = {
		{ "pfn_pte(0x12345, URW)", pfn_pte(0x12345, urw), 0x0860000012345bc3 },
		{ "pfn_pte(max 28-bit pfn: PA bit 39)", pfn_pte(0xfffffff, urw), 0x086000fffffffbc3 },
		{ "pfn_pte(29-bit pfn) masked", pfn_pte(0x1fffffff, urw), 0x086000fffffffbc3 },
		{ "pfn_pte(above 4 GiB)", pfn_pte(0x123456, urw), 0x0860000123456bc3 },
		{ "pfn_pte(kernel normal)", pfn_pte(0x12345, pgprot_kernel_normal()), 0x0800000012345703 },
		{ "pfn_pte(kernel device)", pfn_pte(0x12345, pgprot_kernel_device()), 0x0860000012345707 },
		{ "pfn_pte(PAGE_NONE)", pfn_pte(0x12345, none), 0x0060000012345b82 },
		{ "pte_pfn(max)", pte_pfn(0x086000fffffffbc3), 0xfffffff },
		{ "pte_pfn ignores sw bits", pte_pfn(0x0ff0000012345fc3), 0x12345 },
		{ "pte_pfn ignores SBZP bits 51:40", pte_pfn(0x000fff0012345fc3), 0x12345 },
		{ "pte_napot_pfn: cont ptes own their pfn", pte_napot_pfn(0x0870000012345fc3, 0x7000), 0x12345 },
		{ "pte_mktable", pte_mktable(0x40001000), 0x0000000040001003 },
		{ "pte_mktable masks", pte_mktable(UINT64_C(0xffff000040001abc)), 0x0000000040001003 },
		{ "pte_table_pa", pte_table_pa(0x0000000040001003), 0x40001000 },
		{ "pfn_block level 2", pfn_block(0x40000, krw, 2), 0x0860000040000701 },
		{ "pfn_block level 1", pfn_block(0x40000, krw, 1), 0x0860000040000701 },
		{ "pfn_block level 3 = page", pfn_block(0x40000, krw, 3), 0x0860000040000703 },
		{ "pfn_block level 0 unsupported", pfn_block(0x40000, krw, 0), 0 },
		{ "pfn_block protnone", pfn_block(0x40000, none, 2), 0x0060000040000b80 },
		{ "swp type", pte_swp_type(0x2aaaaaaaaaaaa08c), 17 },
		{ "swp offset", pte_swp_offset(0x2aaaaaaaaaaaa08c), 0x2aaaaaaaaaaaa },
		{ "window base", ARCH_MM_VA_BASE, 0x80000000 },
		{ "window end", ARCH_MM_VA_END, 0x100000000 },
	};

	(void)state;
	run_ctor_cases(c, ARRAY_LEN(c));
}

/* What a cached copy of a descriptor allows: no hardware AF or dirty on
 * LPAE whatever the flags say, XN stops PL1 fetches too. */
static void test_arm_hw_perms(void **state)
{
	(void)state;
	/* user RW clean young: read only until the write fault clears RDONLY */
	assert_int_equal(pte_hw_perms(0x0860000012345fc3, true, true), HWP_READ | HWP_USER);
	assert_int_equal(pte_hw_perms(0x0860000012345f43, false, false),
			 HWP_READ | HWP_WRITE | HWP_SILENT_WRITE | HWP_USER);
	/* AF clear: never cached (Access flag fault), even if asked for hw AF */
	assert_int_equal(pte_hw_perms(0x0860000012345bc3, true, true), 0);
	/* user RX: PL0 may fetch, PL1 not (PXN) */
	assert_int_equal(pte_hw_perms(0x0020000012345fc3, false, false), HWP_READ | HWP_USER | HWP_UEXEC);
	/* kernel RX: both; kernel R: neither (XN) */
	assert_int_equal(pte_hw_perms(0x0000000012345783, false, false), HWP_READ | HWP_UEXEC | HWP_KEXEC);
	assert_int_equal(pte_hw_perms(0x0060000012345783, false, false), HWP_READ);
	/* invalid and protnone */
	assert_int_equal(pte_hw_perms(0x0060000012345f82, false, false), 0);
	assert_true(pte_hw_global(0x0800000012345703));
	assert_false(pte_hw_global(0x0860000012345fc3));
	assert_false(pte_hw_global(0x0060000012345b82));       /* invalid: bit 11 is PRESENT_INVALID */
}

/* CP15 c8 operands decoded by hand from the Arm ARM v7-A B4.2.2 layouts. */
static void test_arm_tlbi_decode(void **state)
{
	struct tlbi_effect e;
	(void)state;
	struct tlbi_rec r = { .insn = ARM_tlbimvais, .rs1 = 0xfffff0ffu };     /* MVA 0xfffff000, ASID 0xff */
	tlbi_decode(&r, &e);
	assert_false(e.none);
	assert_int_equal(e.start, 0xfffff000u);
	assert_int_equal(e.end, 0x100000000ULL);
	assert_int_equal(e.asid, 0xff);
	assert_true(e.global && e.broadcast && !e.any_asid && !e.leaf_only);
	r = (struct tlbi_rec){ .insn = ARM_tlbimva, .rs1 = 0x80000a01u };       /* bits 11:8 SBZ, ignored */
	tlbi_decode(&r, &e);
	assert_int_equal(e.start, 0x80000000u);
	assert_int_equal(e.asid, 1);
	assert_false(e.broadcast);
	r = (struct tlbi_rec){ .insn = ARM_tlbimvaais, .rs1 = 0x80001000u };
	tlbi_decode(&r, &e);
	assert_true(e.any_asid && e.global && e.broadcast);
	assert_int_equal(e.end - e.start, 4096);
	r = (struct tlbi_rec){ .insn = ARM_tlbiasid, .rs1 = 0x1234u };          /* ASID is bits 7:0 */
	tlbi_decode(&r, &e);
	assert_int_equal(e.asid, 0x34);
	assert_true(!e.global && !e.any_asid && !e.broadcast);
	assert_int_equal(e.start, 0);
	assert_int_equal(e.end, ~0ULL);
	r = (struct tlbi_rec){ .insn = ARM_tlbiallis, .rs1 = 0x1234u };         /* register ignored */
	tlbi_decode(&r, &e);
	assert_true(e.any_asid && e.global && e.broadcast);
	r = (struct tlbi_rec){ .insn = 200 };
	tlbi_decode(&r, &e);
	assert_true(e.none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_pgprot),
		cmocka_unit_test(test_arm_pte_table),
		cmocka_unit_test(test_arm_swap_table),
		cmocka_unit_test(test_arm_level_table),
		cmocka_unit_test(test_arm_ctors),
		cmocka_unit_test(test_arm_hw_perms),
		cmocka_unit_test(test_arm_tlbi_decode),
		PTE_COMMON_TESTS,
	};

	return cmocka_run_group_tests_name("pte_arm", tests, NULL, NULL);
}
