/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared, arch-neutral part of the <asm/pte.h> host tests.
 *
 * Included by tests/host/test_pte_<arch>.c after it defines:
 *   PTE_CONT_IDENTICAL      1 if all CONT_PTES entries of a contiguous block
 *                           are the same value (riscv Svnapot), 0 if each
 *                           keeps its own PFN (arm64)
 *   PTE_HAS_SPECIAL         1 if pte_mkspecial() sets a real bit
 *   PTE_KERNEL_EXEC_VISIBLE 1 if pte_exec() is true for an executable
 *                           kernel pte (riscv X), 0 if it means user-exec
 *   PTE_HW_MARK_DIRTY(p)    what the MMU does to a writable pte on a write
 *                           with hardware dirty management (arm64 DBM:
 *                           clear RDONLY; riscv Svadu: set D), written with
 *                           raw bits, not the API
 *
 * It provides
 *   - table runners: pgprot_case, pte_case (ops applied to a hex input,
 *     expected hex output and expected predicate set), swap_case and
 *     level_case; the arch files hold the hand-computed hex tables;
 *   - property tests that only use the API (PTE_COMMON_TESTS).
 */
#ifndef TESTS_HOST_PTE_CASES_H
#define TESTS_HOST_PTE_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <asm/pte.h>

#ifndef PTE_CONT_IDENTICAL
#error "define PTE_CONT_IDENTICAL before including pte_cases.h"
#endif
#ifndef PTE_HAS_SPECIAL
#error "define PTE_HAS_SPECIAL before including pte_cases.h"
#endif
#ifndef PTE_KERNEL_EXEC_VISIBLE
#error "define PTE_KERNEL_EXEC_VISIBLE before including pte_cases.h"
#endif
#ifndef PTE_HW_MARK_DIRTY
#error "define PTE_HW_MARK_DIRTY(p) before including pte_cases.h"
#endif

/* The largest PFN an entry holds: 36 bits (arm64 OA 47:12, riscv Sv39/48
 * PPN fits more) unless the arch file says less (arm LPAE: 28 bits, OA 39:12). */
#ifndef PTE_MAX_PFN
#define PTE_MAX_PFN UINT64_C(0xfffffffff)
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PG_SZ        UINT64_C(4096)

/* ---- predicates --------------------------------------------------------- */

enum {
	P_NONE = 1u << 0,
	P_VALID = 1u << 1,
	P_PRESENT = 1u << 2,
	P_PRESENT_INVALID = 1u << 3,
	P_PROTNONE = 1u << 4,
	P_WRITE = 1u << 5,
	P_HW_DIRTY = 1u << 6,
	P_SW_DIRTY = 1u << 7,
	P_DIRTY = 1u << 8,
	P_YOUNG = 1u << 9,
	P_USER = 1u << 10,
	P_EXEC = 1u << 11,
	P_READ = 1u << 12,
	P_CONT = 1u << 13,
	P_SPECIAL = 1u << 14,
	P_SOFT_DIRTY = 1u << 15,
	P_UFFD_WP = 1u << 16,
	P_SWAP = 1u << 17,
	P_MARKER = 1u << 18,
	P_ALL = (1u << 19) - 1,
	/* The only predicates meaningful for a non-present entry. */
	P_NONPRESENT_SET = P_NONE | P_VALID | P_PRESENT | P_PRESENT_INVALID |
			   P_PROTNONE | P_SWAP | P_MARKER,
};

static const char *const pred_names[] = {
	"none", "valid", "present", "present_invalid", "protnone", "write",
	"hw_dirty", "sw_dirty", "dirty", "young", "user", "exec", "read",
	"cont", "special", "soft_dirty", "uffd_wp", "swap", "marker",
};

static uint32_t pte_preds(pte_t p)
{
	uint32_t r = 0;

	r |= pte_none(p) ? P_NONE : 0;
	r |= pte_valid(p) ? P_VALID : 0;
	r |= pte_present(p) ? P_PRESENT : 0;
	r |= pte_present_invalid(p) ? P_PRESENT_INVALID : 0;
	r |= pte_protnone(p) ? P_PROTNONE : 0;
	r |= pte_write(p) ? P_WRITE : 0;
	r |= pte_hw_dirty(p) ? P_HW_DIRTY : 0;
	r |= pte_sw_dirty(p) ? P_SW_DIRTY : 0;
	r |= pte_dirty(p) ? P_DIRTY : 0;
	r |= pte_young(p) ? P_YOUNG : 0;
	r |= pte_user(p) ? P_USER : 0;
	r |= pte_exec(p) ? P_EXEC : 0;
	r |= pte_read(p) ? P_READ : 0;
	r |= pte_cont(p) ? P_CONT : 0;
	r |= pte_special(p) ? P_SPECIAL : 0;
	r |= pte_soft_dirty(p) ? P_SOFT_DIRTY : 0;
	r |= pte_uffd_wp(p) ? P_UFFD_WP : 0;
	r |= pte_is_swap(p) ? P_SWAP : 0;
	r |= pte_is_marker(p) ? P_MARKER : 0;
	return r;
}

static void print_pred_diff(uint32_t got, uint32_t want, uint32_t mask)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(pred_names); i++) {
		uint32_t b = 1u << i;

		if ((mask & b) && (got & b) != (want & b))
			print_error("    pte_%s: got %d want %d\n", pred_names[i],
				    !!(got & b), !!(want & b));
	}
}

/* ---- pte_case: ops applied to a hex pte ---------------------------------- */

enum pte_op {
	OP_ID = 0,              /* also terminates steps[] */
	OP_MKWRITE,
	OP_WRPROTECT,
	OP_MKCLEAN,
	OP_MKDIRTY,
	OP_MKYOUNG,
	OP_MKOLD,
	OP_MKINVALID,
	OP_MKCONT,
	OP_MKNONCONT,
	OP_MKSOFT_DIRTY,
	OP_CLEAR_SOFT_DIRTY,
	OP_MKUFFD_WP,
	OP_CLEAR_UFFD_WP,
	OP_MKSPECIAL,
	OP_MODIFY_USER,         /* pte_modify(p, pgprot_from_prot(arg, true)) */
	OP_MODIFY_KERNEL,       /* pte_modify(p, pgprot_from_prot(arg, false)) */
};

struct pte_step {
	enum pte_op op;
	unsigned arg;
};

struct pte_case {
	const char *desc;
	pte_t in;
	struct pte_step steps[4];
	pte_t out;
	uint32_t preds;         /* expected predicates of out */
	uint32_t checked;       /* predicates compared; 0 means P_ALL */
};

static pte_t apply_step(pte_t p, struct pte_step s)
{
	switch (s.op) {
	case OP_ID:               return p;
	case OP_MKWRITE:          return pte_mkwrite(p);
	case OP_WRPROTECT:        return pte_wrprotect(p);
	case OP_MKCLEAN:          return pte_mkclean(p);
	case OP_MKDIRTY:          return pte_mkdirty(p);
	case OP_MKYOUNG:          return pte_mkyoung(p);
	case OP_MKOLD:            return pte_mkold(p);
	case OP_MKINVALID:        return pte_mkinvalid(p);
	case OP_MKCONT:           return pte_mkcont(p);
	case OP_MKNONCONT:        return pte_mknoncont(p);
	case OP_MKSOFT_DIRTY:     return pte_mksoft_dirty(p);
	case OP_CLEAR_SOFT_DIRTY: return pte_clear_soft_dirty(p);
	case OP_MKUFFD_WP:        return pte_mkuffd_wp(p);
	case OP_CLEAR_UFFD_WP:    return pte_clear_uffd_wp(p);
	case OP_MKSPECIAL:        return pte_mkspecial(p);
	case OP_MODIFY_USER:      return pte_modify(p, pgprot_from_prot(s.arg, true));
	case OP_MODIFY_KERNEL:    return pte_modify(p, pgprot_from_prot(s.arg, false));
	}
	return p;
}

static void run_pte_cases(const struct pte_case *c, size_t n)
{
	size_t i, j;
	int fails = 0;

	for (i = 0; i < n; i++) {
		pte_t p = c[i].in;
		uint32_t mask = c[i].checked ? c[i].checked : P_ALL;
		uint32_t got;

		for (j = 0; j < ARRAY_LEN(c[i].steps); j++)
			p = apply_step(p, c[i].steps[j]);
		got = pte_preds(p);
		if (p != c[i].out || (got & mask) != (c[i].preds & mask)) {
			print_error("FAIL [%s]: in %#018llx -> %#018llx, want %#018llx\n",
				    c[i].desc, (unsigned long long)c[i].in,
				    (unsigned long long)p,
				    (unsigned long long)c[i].out);
			print_pred_diff(got, c[i].preds, mask);
			fails++;
		}
	}
	print_message("    %zu pte cases checked\n", n);
	assert_int_equal(fails, 0);
}

/* ---- pgprot_case ---------------------------------------------------------- */

struct pgprot_case {
	unsigned prot;
	bool user;
	uint64_t bits;
};

static void run_pgprot_cases(const struct pgprot_case *c, size_t n)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < n; i++) {
		uint64_t got = pgprot_val(pgprot_from_prot(c[i].prot, c[i].user));

		if (got != c[i].bits) {
			print_error("FAIL pgprot_from_prot(%u, %d) = %#018llx, want %#018llx\n",
				    c[i].prot, c[i].user, (unsigned long long)got,
				    (unsigned long long)c[i].bits);
			fails++;
		}
	}
	print_message("    %zu pgprot cases checked\n", n);
	assert_int_equal(fails, 0);
}

/* ---- swap_case: swap and marker encodings --------------------------------- */

struct swap_case {
	bool marker;
	unsigned type;          /* swap only */
	uint64_t val;           /* swap offset or marker flags */
	pte_t pte;
};

static void run_swap_cases(const struct swap_case *c, size_t n)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < n; i++) {
		pte_t p = c[i].marker ? pte_marker(c[i].val)
				      : swp_entry_pte(c[i].type, c[i].val);
		uint32_t want = c[i].marker ? P_MARKER : P_SWAP;
		uint32_t got = pte_preds(p) & P_NONPRESENT_SET;
		bool ok = p == c[i].pte && got == want;

		if (c[i].marker)
			ok = ok && pte_marker_flags(c[i].pte) == c[i].val;
		else
			ok = ok && pte_swp_type(c[i].pte) == c[i].type &&
			     pte_swp_offset(c[i].pte) == c[i].val;
		ok = ok && pte_mkinvalid(c[i].pte) == c[i].pte;
		if (!ok) {
			print_error("FAIL %s(%u, %#llx) = %#018llx, want %#018llx\n",
				    c[i].marker ? "pte_marker" : "swp_entry_pte",
				    c[i].type, (unsigned long long)c[i].val,
				    (unsigned long long)p,
				    (unsigned long long)c[i].pte);
			print_pred_diff(got, want, P_NONPRESENT_SET);
			fails++;
		}
	}
	print_message("    %zu swap/marker cases checked\n", n);
	assert_int_equal(fails, 0);
}

/* ---- level_case: table / block descriptors --------------------------------- */

struct level_case {
	const char *desc;
	pte_t pte;
	int level;
	bool is_table;
	bool is_block;
};

static void run_level_cases(const struct level_case *c, size_t n)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < n; i++) {
		bool t = pte_is_table(c[i].pte, c[i].level);
		bool b = pte_is_block(c[i].pte, c[i].level);

		if (t != c[i].is_table || b != c[i].is_block) {
			print_error("FAIL [%s] level %d: table %d/%d block %d/%d\n",
				    c[i].desc, c[i].level, t, c[i].is_table, b,
				    c[i].is_block);
			fails++;
		}
	}
	print_message("    %zu level cases checked\n", n);
	assert_int_equal(fails, 0);
}

/* ---- ctor_case: constructors / decoders evaluated at run time ------------- */

struct ctor_case {
	const char *desc;
	uint64_t got;           /* expression under test */
	uint64_t want;          /* hand-computed */
};

static void run_ctor_cases(const struct ctor_case *c, size_t n)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < n; i++) {
		if (c[i].got != c[i].want) {
			print_error("FAIL [%s] = %#018llx, want %#018llx\n", c[i].desc,
				    (unsigned long long)c[i].got,
				    (unsigned long long)c[i].want);
			fails++;
		}
	}
	print_message("    %zu constructor cases checked\n", n);
	assert_int_equal(fails, 0);
}

/* ---- arch-neutral property tests (API only) -------------------------------- */

static const uint64_t test_pfns[] = {
	0x0, 0x1, 0x12345, 0x80000, PTE_MAX_PFN,
};

/* Every PROT_* combination for user pages: decode matches the request. */
static void test_prot_matrix(void **state)
{
	size_t i;
	unsigned prot;

	(void)state;
	for (i = 0; i < ARRAY_LEN(test_pfns); i++) {
		for (prot = 0; prot < 8; prot++) {
			uint64_t pfn = test_pfns[i];
			pte_t p = pfn_pte(pfn, pgprot_from_prot(prot, true));
			bool any = prot != 0;

			assert_int_equal(pte_pfn(p), pfn);
			assert_false(pte_none(p));
			assert_true(pte_present(p));
			assert_int_equal(pte_valid(p), any);
			assert_int_equal(pte_protnone(p), !any);
			assert_int_equal(pte_present_invalid(p), !any);
			assert_int_equal(pte_user(p), any);
			assert_int_equal(pte_read(p), any);
			assert_int_equal(pte_write(p), (prot & PROT_WRITE) != 0);
			assert_int_equal(pte_exec(p), (prot & PROT_EXEC) != 0);
			assert_false(pte_young(p));
			assert_false(pte_dirty(p));
			assert_false(pte_cont(p) || pte_special(p) ||
				     pte_soft_dirty(p) || pte_uffd_wp(p));
			assert_false(pte_is_swap(p) || pte_is_marker(p));

			/* young / dirty are independent of the prot */
			assert_true(pte_young(pte_mkyoung(p)));
			assert_false(pte_young(pte_mkold(pte_mkyoung(p))));
			assert_true(pte_dirty(pte_mkdirty(p)));
			assert_false(pte_dirty(pte_mkclean(pte_mkdirty(p))));
			if (prot & PROT_WRITE) {
				assert_true(pte_hw_dirty(pte_mkdirty(p)));
				assert_true(pte_write(pte_mkclean(pte_mkdirty(p))));
			}
			assert_int_equal(pte_pfn(pte_mkdirty(pte_mkyoung(p))), pfn);
		}

		/* kernel mappings */
		for (prot = 1; prot < 8; prot++) {
			pte_t p = pfn_pte(test_pfns[i], pgprot_from_prot(prot, false));

			assert_int_equal(pte_pfn(p), test_pfns[i]);
			assert_true(pte_valid(p) && pte_present(p) && pte_read(p));
			assert_false(pte_user(p) || pte_protnone(p));
			assert_true(pte_young(p));
			assert_int_equal(pte_write(p), (prot & PROT_WRITE) != 0);
			assert_int_equal(pte_exec(p),
					 PTE_KERNEL_EXEC_VISIBLE && (prot & PROT_EXEC));
		}
	}
	assert_int_equal(pgprot_val(pgprot_from_prot(7, false)),
			 pgprot_val(pgprot_kernel_normal()));
	assert_int_equal(pgprot_val(pgprot_from_prot(0, false)),
			 pgprot_val(pgprot_from_prot(0, true)));
	{
		pte_t d = pfn_pte(0x9000, pgprot_kernel_device());

		assert_true(pte_valid(d) && pte_write(d) && pte_young(d));
		assert_false(pte_user(d) || pte_exec(d));
		assert_int_equal(pte_pfn(d), 0x9000);
	}
}

/* Pitfall 2: pte_mkinvalid of a user pte is present but not protnone. */
static void test_mkinvalid_user(void **state)
{
	unsigned prot, v;

	(void)state;
	for (prot = 1; prot < 8; prot++) {
		for (v = 0; v < 4; v++) {
			pte_t p = pfn_pte(0x12345, pgprot_from_prot(prot, true));
			pte_t inv;

			if (v & 1)
				p = pte_mkyoung(p);
			if (v & 2)
				p = pte_mkdirty(p);
			inv = pte_mkinvalid(p);
			assert_false(pte_valid(inv));
			assert_true(pte_present(inv));
			assert_true(pte_present_invalid(inv));
			assert_false(pte_protnone(inv));
			assert_true(pte_user(inv));
			assert_int_equal(pte_pfn(inv), 0x12345);
			assert_int_equal(pte_young(inv), pte_young(p));
			assert_int_equal(pte_dirty(inv), pte_dirty(p));
			assert_int_equal(pte_write(inv), pte_write(p));
			assert_false(pte_is_swap(inv) || pte_is_marker(inv));
			assert_int_equal(pte_mkinvalid(inv), inv);
		}
	}
	/* protnone stays protnone */
	{
		pte_t pn = pte_mkyoung(pfn_pte(7, pgprot_from_prot(0, true)));

		assert_int_equal(pte_mkinvalid(pn), pn);
		assert_true(pte_protnone(pte_mkinvalid(pn)));
	}
	assert_int_equal(pte_mkinvalid(0), 0);
}

/*
 * Pitfalls 3 and 5: pte_modify never loses or invents dirty, keeps PFN,
 * young and the software bits, for every old/new protection pair.
 */
static void test_modify_matrix(void **state)
{
	unsigned from, to, v;

	(void)state;
	for (from = 0; from < 8; from++) {
		for (to = 0; to < 8; to++) {
			for (v = 0; v < 32; v++) {
				pte_t p = pfn_pte(0xabcde, pgprot_from_prot(from, true));
				pte_t m, back;
				bool dirty = (v & 2) || ((v & 16) && (from & PROT_WRITE));

				if (v & 1)
					p = pte_mkyoung(p);
				if (v & 2)
					p = pte_mkdirty(p);
				if (v & 4)
					p = pte_mksoft_dirty(p);
				if (v & 8)
					p = pte_mkuffd_wp(p);
				if ((v & 16) && pte_write(p) && pte_valid(p))
					p = PTE_HW_MARK_DIRTY(p);  /* MMU write */
				assert_int_equal(pte_dirty(p), dirty);
				m = pte_modify(p, pgprot_from_prot(to, true));

				assert_int_equal(pte_pfn(m), 0xabcde);
				assert_true(pte_present(m));
				assert_int_equal(pte_valid(m), to != 0);
				assert_int_equal(pte_protnone(m), to == 0);
				assert_int_equal(pte_user(m), to != 0);
				assert_int_equal(pte_write(m), (to & PROT_WRITE) != 0);
				assert_int_equal(pte_exec(m), (to & PROT_EXEC) != 0);
				assert_int_equal(pte_young(m), (v & 1) != 0);
				assert_int_equal(pte_dirty(m), dirty);
				assert_int_equal(pte_soft_dirty(m), (v & 4) != 0);
				assert_int_equal(pte_uffd_wp(m), (v & 8) != 0);
				/* writable + dirty must be hardware-dirty (no
				 * spurious write fault / lost DBM state) */
				if (pte_write(m) && pte_dirty(m))
					assert_true(pte_hw_dirty(m));
				/* idempotent */
				assert_int_equal(pte_modify(m, pgprot_from_prot(to, true)), m);

				back = pte_modify(m, pgprot_from_prot(from, true));
				assert_int_equal(pte_pfn(back), 0xabcde);
				assert_int_equal(pte_dirty(back), dirty);
				assert_int_equal(pte_young(back), (v & 1) != 0);
			}
		}
	}
}

/* Pitfall 7: wrprotect then mkwrite of a dirty pte. */
static void test_wrprotect_mkwrite(void **state)
{
	unsigned v;

	(void)state;
	for (v = 0; v < 8; v++) {
		pte_t p = pfn_pte(0x4242, pgprot_from_prot(PROT_READ | PROT_WRITE, true));
		pte_t ro, rw;
		bool dirty = v & 5;

		if (v & 1)
			p = pte_mkdirty(p);
		if (v & 2)
			p = pte_mkyoung(p);
		if (v & 4)
			p = PTE_HW_MARK_DIRTY(p);      /* MMU write */
		assert_int_equal(pte_dirty(p), dirty);
		ro = pte_wrprotect(p);
		assert_false(pte_write(ro));
		assert_int_equal(pte_dirty(ro), dirty);
		assert_int_equal(pte_young(ro), (v & 2) != 0);
		assert_true(pte_valid(ro));
		rw = pte_mkwrite(ro);
		assert_true(pte_write(rw));
		assert_int_equal(pte_dirty(rw), dirty);
		assert_int_equal(pte_hw_dirty(rw), dirty);
		if (v & 1)
			assert_int_equal(rw, p);   /* exact round trip */
		assert_int_equal(pte_wrprotect(ro), ro);
		/* mkclean keeps writability */
		assert_true(pte_write(pte_mkclean(rw)));
		assert_false(pte_dirty(pte_mkclean(rw)));
	}
}

/* Pitfall 4: swap and marker entries never decode as present. */
static void test_swap_marker_props(void **state)
{
	static const uint64_t offs[] = {
		0, 1, 2, 0x7ff, 0x800, 0xfff, 0x1000, 0x12345678,
		UINT64_C(0x2aaaaaaaaaaaa), UINT64_C(0x1555555555555),
		SWP_OFFSET_MASK >> 1, SWP_OFFSET_MASK,
	};
	unsigned type;
	size_t i;
	int bit;

	(void)state;
	for (type = 0; type < SWP_NR_TYPES; type++) {
		for (i = 0; i < ARRAY_LEN(offs); i++) {
			pte_t e = swp_entry_pte(type, offs[i]);

			assert_int_equal(pte_preds(e) & P_NONPRESENT_SET, P_SWAP);
			assert_int_equal(pte_swp_type(e), type);
			assert_int_equal(pte_swp_offset(e), offs[i]);
			assert_int_equal(pte_mkinvalid(e), e);
		}
		/* every single offset bit */
		for (bit = 0; bit < SWP_OFFSET_BITS; bit++) {
			pte_t e = swp_entry_pte(type, UINT64_C(1) << bit);

			assert_int_equal(pte_preds(e) & P_NONPRESENT_SET, P_SWAP);
			assert_int_equal(pte_swp_offset(e), UINT64_C(1) << bit);
			assert_int_equal(pte_swp_type(e), type);
		}
	}
	for (i = 0; i < ARRAY_LEN(offs); i++) {
		pte_t m = pte_marker(offs[i]);

		assert_int_equal(pte_preds(m) & P_NONPRESENT_SET, P_MARKER);
		assert_int_equal(pte_marker_flags(m), offs[i]);
		assert_int_equal(pte_mkinvalid(m), m);
	}
	assert_int_equal(pte_marker_flags(pte_marker(PTE_MARKER_UFFD_WP)),
			 PTE_MARKER_UFFD_WP);
	/* none is neither */
	assert_int_equal(pte_preds(0) & P_NONPRESENT_SET, P_NONE);
}

/* Table and block descriptors round-trip and are told apart by level. */
static void test_table_block_props(void **state)
{
	static const uint64_t pas[] = {
		0x1000, 0x40001000, (PTE_MAX_PFN >> 2) << 12,
	};
	size_t i;
	int lvl;

	(void)state;
	for (i = 0; i < ARRAY_LEN(pas); i++) {
		pte_t t = pte_mktable(pas[i]);

		assert_true(pte_valid(t) && pte_present(t));
		assert_int_equal(pte_table_pa(t), pas[i]);
		for (lvl = 0; lvl <= 2; lvl++) {
			assert_true(pte_is_table(t, lvl));
			assert_false(pte_is_block(t, lvl));
		}
		assert_false(pte_is_table(t, 3));
		assert_false(pte_is_block(t, 3));
	}
	for (lvl = 1; lvl <= 2; lvl++) {
		pgprot_t rw = pgprot_from_prot(PROT_READ | PROT_WRITE, true);
		uint64_t pfn = lvl == 1 ? 0x40000 : 0x200;
		pte_t b = pfn_block(pfn, rw, lvl);
		pte_t pn = pfn_block(pfn, pgprot_from_prot(0, true), lvl);

		assert_true(pte_is_block(b, lvl));
		assert_false(pte_is_table(b, lvl));
		assert_true(pte_valid(b) && pte_write(b) && pte_user(b));
		assert_int_equal(pte_pfn(b), pfn);
		assert_true(pte_protnone(pn) && pte_present(pn));
		assert_false(pte_is_block(pn, lvl) || pte_is_table(pn, lvl));
		assert_int_equal(pte_pfn(pn), pfn);
	}
	assert_int_equal(pfn_block(5, pgprot_kernel_normal(), 3),
			 pfn_pte(5, pgprot_kernel_normal()));
	assert_int_equal(pfn_block(5, pgprot_kernel_normal(), 4), 0);
	assert_int_equal(pfn_block(5, pgprot_kernel_normal(), -1), 0);
}

/*
 * Pitfall 6: contiguous / napot blocks.  Slot j of the block (the entry the
 * MMU uses for va_base + j * 4K) must translate va_base + j * 4K to
 * base + j, for every j; with identical entries (riscv) every slot must.
 */
static void test_cont_every_page(void **state)
{
	static const uint64_t bases[] = { 0x0, 0x12340, 0x80000, PTE_MAX_PFN & ~UINT64_C(0xf) };
	static const uint64_t vas[] = {
		0x0, 0x10000, UINT64_C(0x7fffffff0000), UINT64_C(0xffffffc012340000),
	};
	size_t b, k;
	unsigned i, j;

	(void)state;
	for (b = 0; b < ARRAY_LEN(bases); b++) {
		for (k = 0; k < ARRAY_LEN(vas); k++) {
			pgprot_t prot = pgprot_from_prot(PROT_READ | PROT_WRITE, true);
			pte_t e[CONT_PTES];

			for (i = 0; i < CONT_PTES; i++) {
				e[i] = pte_mkcont(pte_mkyoung(pfn_pte(bases[b] + i, prot)));
				assert_true(pte_cont(e[i]) && pte_valid(e[i]) &&
					    pte_young(e[i]) && pte_write(e[i]));
				if (PTE_CONT_IDENTICAL)
					assert_int_equal(e[i], e[0]);
			}
			for (i = 0; i < CONT_PTES; i++) {
				for (j = 0; j < CONT_PTES; j++) {
					uint64_t va = vas[k] + j * PG_SZ + (j * 0x111 & 0xfff);
					uint64_t want = PTE_CONT_IDENTICAL || i == j
							? bases[b] + j : bases[b] + i;

					assert_int_equal(pte_napot_pfn(e[i], va), want);
				}
				/* dropping the contiguous bit maps a plain page:
				 * slot i's own page (arm64) or the block base
				 * (riscv, all slots identical) */
				assert_false(pte_cont(pte_mknoncont(e[i])));
				assert_int_equal(pte_pfn(pte_mknoncont(e[i])),
						 PTE_CONT_IDENTICAL ? bases[b] : bases[b] + i);
				assert_int_equal(pte_mkcont(e[i]), e[i]);
				/* pte_modify keeps the contiguous encoding */
				assert_int_equal(pte_modify(e[i], pgprot_from_prot(PROT_READ, true)),
						 pte_mkcont(pte_wrprotect(e[i])));
			}
			/* non-cont pte: napot pfn == pfn whatever the va */
			assert_int_equal(pte_napot_pfn(pfn_pte(bases[b] + 3, prot), vas[k] + 9 * PG_SZ),
					 bases[b] + 3);
			assert_int_equal(pte_mknoncont(pfn_pte(bases[b] + 3, prot)),
					 pfn_pte(bases[b] + 3, prot));
		}
	}
}

/* Software bits: set/clear and kept across the other modifiers. */
static void test_sw_bits(void **state)
{
	pte_t p = pte_mkyoung(pfn_pte(0x777, pgprot_from_prot(PROT_READ | PROT_WRITE, true)));
	pte_t s;

	(void)state;
	s = pte_mkuffd_wp(pte_mksoft_dirty(pte_mkspecial(p)));
	assert_true(pte_soft_dirty(s) && pte_uffd_wp(s));
	assert_int_equal(pte_special(s), PTE_HAS_SPECIAL);
	assert_int_equal(pte_clear_uffd_wp(pte_clear_soft_dirty(s)), pte_mkspecial(p));
	s = pte_mkold(pte_mkclean(pte_wrprotect(pte_mkdirty(pte_mkinvalid(s)))));
	assert_true(pte_soft_dirty(s) && pte_uffd_wp(s));
	assert_int_equal(pte_special(s), PTE_HAS_SPECIAL);
	assert_int_equal(pte_pfn(s), 0x777);
	assert_false(pte_special(p));
}

#define PTE_COMMON_TESTS                                  \
	cmocka_unit_test(test_prot_matrix),               \
	cmocka_unit_test(test_mkinvalid_user),            \
	cmocka_unit_test(test_modify_matrix),             \
	cmocka_unit_test(test_wrprotect_mkwrite),         \
	cmocka_unit_test(test_swap_marker_props),         \
	cmocka_unit_test(test_table_block_props),         \
	cmocka_unit_test(test_cont_every_page),           \
	cmocka_unit_test(test_sw_bits)

#endif /* TESTS_HOST_PTE_CASES_H */
