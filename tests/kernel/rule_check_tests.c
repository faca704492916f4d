/*
 * The architecture-rule checker must catch broken sequences (so its silence
 * elsewhere means something). Each case commits one violation on purpose,
 * in "expect" mode, and checks it was counted.
 */
#include "boot/kernel.h"
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"
#include "mmu/rule_check.h"
#include "tests/kernel/ktest.h"

#define BASE (MM_VA_BASE + 0x30000000ULL)

static struct mm *mm;
static pte_t *ptep;

static void before(struct ktest *t)
{
    (void)t;
    mm = mm_create();
    mm_map(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 1);
    mm_write(mm, BASE + PAGE_SIZE, 2);
    ptep = mm_pte_ptr(mm, BASE, false);
    rule_check_expect(true);
}

static void after(struct ktest *t)
{
    (void)t;
    rule_check_expect(false);
    rule_check_reset();
    mm_destroy(mm);
}

static unsigned violations_of(void (*seq)(void))
{
    unsigned before_n = rule_check_violations();
    seq();
    rule_check_op_end("checker test");
    return rule_check_violations() - before_n;
}

static void seq_correct(void)
{
    /* wrprotect + flush: allowed. */
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    /* break-before-make to another page: allowed. */
    pte_t e = pte_read_once(ptep), other = pte_read_once(ptep + 1);
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, pte_set_pfn(e, pte_pfn(other)));
    flush_after_make_valid(mm->pt.asid, BASE);
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, e);
    flush_after_make_valid(mm->pt.asid, BASE);
}

static void seq_valid_to_valid_new_address(void)
{
    pte_t e = pte_read_once(ptep);
    pte_store(ptep, pte_set_pfn(e, pte_pfn(pte_read_once(ptep + 1))));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, e);             /* and back, also without a break */
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
}

static void seq_remake_before_invalidate(void)
{
    pte_t e = pte_read_once(ptep);
    pte_store(ptep, 0);
    pte_store(ptep, pte_set_pfn(e, pte_pfn(pte_read_once(ptep + 1))));   /* no TLBI in between */
    flush_tlb_range(mm->pt.asid, BASE, BASE + 2 * PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, e);
    flush_after_make_valid(mm->pt.asid, BASE);
}

static void seq_wrprotect_without_tlbi(void)
{
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
}

static void seq_protnone_without_tlbi(void)
{
    pte_store(ptep, pte_modify(pte_read_once(ptep), pgprot_from_prot(PROT_NONE, true)));
}

static void seq_barrier_or_fence_missing(void)
{
#ifdef __riscv
    /* invalid -> valid with no local fence (negative caching). */
    pte_t e = pte_read_once(ptep);
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, e);
#else
    /* TLBI before any dsb ishst ordered the store. */
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    tlbi_page(mm->pt.asid, BASE, true);
    tlb_post_invalidate();
#endif
}

/* Grant write on a valid read-only entry and never invalidate the stale one. */
static void seq_grant_write_without_flush(void)
{
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, pte_mkwrite(pte_mkdirty(pte_read_once(ptep))));
}

static void checker_accepts_correct_sequences(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_correct), 0);
}

static void checker_catches_bbm(struct ktest *t)
{
    KEXPECT(t, violations_of(seq_valid_to_valid_new_address) >= 1, "valid->valid address change missed");
    KEXPECT(t, violations_of(seq_remake_before_invalidate) >= 1, "re-validation before TLBI missed");
}

static void checker_catches_missing_invalidate(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_wrprotect_without_tlbi), 1);
    KEXPECT_EQ(t, violations_of(seq_protnone_without_tlbi), 1);
}

static void checker_catches_stale_readonly(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_grant_write_without_flush), 1);
}

static void checker_catches_barrier(struct ktest *t)
{
    KEXPECT(t, violations_of(seq_barrier_or_fence_missing) >= 1);
}

static void checker_catches_broken_block(struct ktest *t)
{
    if (!mmu_caps.cont) {
        ktest_skip(t, "no contiguous mappings");
        return;
    }
    struct mm_params saved = mm_params;
    mm_params.anon_order = 4;
    uint64_t b = BASE + 0x100000;
    mm_map(mm, b, CONT_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, b, 1);
    mm_params = saved;
    pte_t *first = mm_pte_ptr(mm, b, false);
    KASSERT(t, pte_cont(pte_read_once(first)));
    unsigned n0 = rule_check_violations();
    /* Make one entry differ in permission while the rest keep CONT. */
    pte_store(&first[6], pte_wrprotect(pte_read_once(&first[6])));
    flush_tlb_range(mm->pt.asid, b, b + CONT_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test");
    KEXPECT(t, rule_check_violations() - n0 >= 1, "inconsistent block missed");
    pte_store(&first[6], pte_mkwrite(pte_read_once(&first[6])));
    flush_after_make_valid(mm->pt.asid, b + 6 * PAGE_SIZE);
    rule_check_reset();
}

static const struct ktest_case rule_check_cases[] = {
    KTEST_CASE(checker_accepts_correct_sequences),
    KTEST_CASE(checker_catches_bbm),
    KTEST_CASE(checker_catches_missing_invalidate),
    KTEST_CASE(checker_catches_stale_readonly),
    KTEST_CASE(checker_catches_barrier),
    KTEST_CASE(checker_catches_broken_block),
};
KTEST_SUITE(rule_check, 45, .before = before, .after = after);
