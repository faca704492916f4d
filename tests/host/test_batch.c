/*
 * The mprotect batch rule (mmu/batch.c) on hand-built PTE runs: a batch is
 * present entries with consecutive PFNs and the same write and soft-dirty
 * bits; access and dirty may differ. Built against the arch's real PTE
 * encoding (arm64 or riscv64, chosen by the include path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <asm/pte.h>
#include "mmu/contpte.h"

#define VA 0x2000100000ULL

static pgprot_t rw(void) { return pgprot_from_prot(PROT_READ | PROT_WRITE, true); }
static pgprot_t ro(void) { return pgprot_from_prot(PROT_READ, true); }

static void run(pte_t *p, unsigned n, uint64_t pfn0, pgprot_t prot)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = pte_mkyoung(pfn_pte(pfn0 + i, prot));
}

static void whole_run_is_one_batch(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 16, 0x1000, rw());
    assert_int_equal(pte_batch_len(p, 16, VA), 16);
    assert_int_equal(pte_batch_len(p, 5, VA), 5);       /* clamped by the caller's max */
    assert_int_equal(pte_batch_len(p, 0, VA), 0);
}

static void access_and_dirty_may_differ(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 16, 0x1000, rw());
    p[3] = pte_mkold(p[3]);
    p[7] = pte_mkdirty(p[7]);
    p[9] = pte_mkclean(pte_mkold(p[9]));
    assert_int_equal(pte_batch_len(p, 16, VA), 16);
}

static void write_bit_splits(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 16, 0x1000, rw());
    for (unsigned i = 6; i < 16; i++)
        p[i] = pte_wrprotect(p[i]);
    assert_int_equal(pte_batch_len(p, 16, VA), 6);
    assert_int_equal(pte_batch_len(p + 6, 10, VA + 6 * 4096), 10);
    /* Alternating writable / read-only: batches of one. */
    run(p, 16, 0x1000, rw());
    for (unsigned i = 1; i < 16; i += 2)
        p[i] = pte_wrprotect(p[i]);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(pte_batch_len(p + i, 16 - i, VA + i * 4096ULL), 1);
}

static void soft_dirty_splits(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 16, 0x1000, ro());
    for (unsigned i = 0; i < 10; i++)
        p[i] = pte_mksoft_dirty(p[i]);
    assert_int_equal(pte_batch_len(p, 16, VA), 10);
    assert_int_equal(pte_batch_len(p + 10, 6, VA + 10 * 4096), 6);
}

static void pfn_gap_splits(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 8, 0x1000, rw());
    run(p + 8, 8, 0x2008, rw());        /* next folio elsewhere */
    assert_int_equal(pte_batch_len(p, 16, VA), 8);
    run(p, 16, 0x1000, rw());
    p[4] = pfn_pte(0x1004 + 100, rw());  /* one page out of sequence */
    assert_int_equal(pte_batch_len(p, 16, VA), 4);
}

static void non_present_ends_or_empties(void **state)
{
    (void)state;
    pte_t p[16];
    run(p, 16, 0x1000, rw());
    p[5] = 0;
    assert_int_equal(pte_batch_len(p, 16, VA), 5);
    p[0] = pte_marker(PTE_MARKER_UFFD_WP);
    assert_int_equal(pte_batch_len(p, 16, VA), 0);
    p[0] = swp_entry_pte(3, 77);
    assert_int_equal(pte_batch_len(p, 16, VA), 0);
    /* A protnone run is present: it batches (mprotect changes it without a TLBI). */
    run(p, 16, 0x1000, rw());
    for (unsigned i = 0; i < 16; i++)
        p[i] = pte_modify(p[i], pgprot_from_prot(PROT_NONE, true));
    assert_int_equal(pte_batch_len(p, 16, VA), 16);
}

static void batch_starting_mid_folio(void **state)
{
    (void)state;
    /* The 2025 case: the batch starts at the folio's 5th page. */
    pte_t p[16];
    run(p, 16, 0x3000, ro());
    assert_int_equal(pte_batch_len(p + 4, 12, VA + 4 * 4096), 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_run_is_one_batch),
        cmocka_unit_test(access_and_dirty_may_differ),
        cmocka_unit_test(write_bit_splits),
        cmocka_unit_test(soft_dirty_splits),
        cmocka_unit_test(pfn_gap_splits),
        cmocka_unit_test(non_present_ends_or_empties),
        cmocka_unit_test(batch_starting_mid_folio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
