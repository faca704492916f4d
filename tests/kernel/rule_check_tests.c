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
#include "mmu/page_alloc.h"
#include "mmu/tlb.h"
#include "boot/smp.h"

#define BASE (MM_VA_BASE + 0x30000000ULL)
#ifdef __riscv
#define IS_RISCV 1
#else
#define IS_RISCV 0
#endif

static struct mm *mm;
static pte_t *ptep;
static pte_t orig0, orig1;      /* the two entries as before() made them */

static void before(struct ktest *t)
{
    (void)t;
    mm = mm_create();
    mm_map(mm, BASE, 2 * PAGE_SIZE, VM_READ | VM_WRITE);
    mm_write(mm, BASE, 1);
    mm_write(mm, BASE + PAGE_SIZE, 2);
    ptep = mm_pte_ptr(mm, BASE, false);
    orig0 = pte_read_once(ptep);
    orig1 = pte_read_once(ptep + 1);
    rule_check_expect(true);
}

static void after(struct ktest *t)
{
    (void)t;
    rule_check_expect(false);
    rule_check_reset();
    mm_destroy(mm);
}

/* Put both entries back as before() made them, by the rules, and forget
 * what the sequence left in the model. */
static void restore(void)
{
    pte_store(ptep, 0);
    pte_store(ptep + 1, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + 2 * PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, orig0);
    pte_store(ptep + 1, orig1);
    flush_after_make_valid(mm->pt.asid, BASE);
    flush_after_make_valid(mm->pt.asid, BASE + PAGE_SIZE);
    rule_check_reset();
}

static unsigned violations_of(void (*seq)(void))
{
    unsigned before_n = rule_check_violations();
    seq();
    rule_check_op_end("checker test");
    unsigned n = rule_check_violations() - before_n;
    restore();
    return n;
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

/* ---- one deliberately broken sequence per rule (and per kind of loss) ---- */

static void seq_exec_removed_without_tlbi(void)
{
    pte_t e = pte_read_once(ptep);
#ifdef __riscv
    pte_store(ptep, e | RISCV_PTE_X);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, e & ~RISCV_PTE_X);
#elif defined(__arm__)
    pte_store(ptep, e & ~LPAE_PTE_XN);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, e | LPAE_PTE_XN);
#else
    pte_store(ptep, e & ~ARM64_PTE_UXN);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, e | ARM64_PTE_UXN);
#endif
}

static void seq_user_removed_without_tlbi(void)
{
    pte_t e = pte_read_once(ptep);
#ifdef __riscv
    pte_store(ptep, e & ~RISCV_PTE_U);
#elif defined(__arm__)
    pte_store(ptep, e & ~LPAE_PTE_USER);
#else
    pte_store(ptep, e & ~ARM64_PTE_USER);
#endif
}

/* Dirty -> clean (arm64: RDONLY set, DBM kept; riscv: D cleared) without an
 * invalidate: a cached dirty entry lets the next write through without
 * marking the entry dirty again, so the write is lost to writeback. */
static void seq_clean_without_tlbi(void)
{
    pte_store(ptep, pte_mkdirty(pte_mkwrite(pte_read_once(ptep))));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, pte_mkclean(pte_read_once(ptep)));
}

static void seq_memtype_change_without_bbm(void)
{
    pte_t e = pte_read_once(ptep);
#ifdef __riscv
    pte_store(ptep, e | RISCV_PTE_PBMT_NC);
#elif defined(__arm__)
    pte_store(ptep, (e & ~LPAE_PTE_ATTRINDX_MASK) | LPAE_PTE_ATTRINDX(LPAE_MT_DEVICE_nGnRE));
#else
    pte_store(ptep, (e & ~ARM64_PTE_ATTRINDX_MASK) | ARM64_PTE_ATTRINDX(ARM64_MT_DEVICE_nGnRE));
#endif
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, e);
    flush_after_make_valid(mm->pt.asid, BASE);
}

/* A local invalidate where another PE may hold the entry (arm64: vale1
 * instead of vale1is): the model's other PE keeps the writable entry. */
static void seq_local_only_invalidate(void)
{
    if (tlb_nr_cpus > 1)
        tlb_note_active(1, mm->pt.asid);    /* CPU 1 ran the address space */
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    flush_local_page(mm->pt.asid, BASE);
}

/* TLBI issued, never completed by dsb ish before the operation ends. */
static __attribute__((unused)) void seq_tlbi_not_completed(void)
{
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    tlb_pre_invalidate();
    tlbi_page(mm->pt.asid, BASE, true);
}

/* Svinval: sinval.vma without the sfence.w.inval that orders the stores. */
static __attribute__((unused)) void seq_sinval_unordered(void)
{
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    tlbi_sinval_page(mm->pt.asid, BASE);
    tlbi_sinval_end();
}

/* riscv: a protnone entry (G set) cached as a global invalid entry is not
 * reached by an ASID-qualified fence. */
static void seq_protnone_then_asid_fence(void)
{
    pte_t e = pte_read_once(ptep);
    pte_store(ptep, pte_modify(e, pgprot_from_prot(PROT_NONE, true)));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test setup");
    pte_store(ptep, e);
    tlbi_page(mm->pt.asid, BASE, true);         /* sfence.vma va, asid: not global */
}

/* The level-2 entry of BASE, the table it points to. */
static pte_t *l2_entry(uint64_t va)
{
    int level;
    pte_t *e = pt_walk(&mm->pt, va, 2, false, &level);
    return e && level == 2 ? e : NULL;
}

/* A table unlinked and freed after a last-level-only invalidate: a walk
 * cache may still hold the table entry and walk the freed page. */
static uint64_t unlinked_table;
static void seq_table_freed_after_leaf_invalidate(void)
{
    pte_t *l2 = l2_entry(BASE);
    pte_t saved = pte_read_once(l2);
    unlinked_table = pte_table_pa(saved);
    pte_store(ptep, 0);
    pte_store(ptep + 1, 0);
    pte_store(l2, 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + 2 * PAGE_SIZE, PAGE_SIZE, true);  /* leaf only */
    rule_check_table_freed(unlinked_table);     /* (not really freed: relinked below) */
    pte_store(l2, saved);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, false);
}

/* A table unlinked and freed with no invalidate at all: a walk cache may
 * still point into it (every arch; on 32-bit Arm the only way to get R7,
 * since its by-VA invalidates always take the walk caches too). */
static __attribute__((unused)) void seq_table_freed_without_invalidate(void)
{
    pte_t *l2 = l2_entry(BASE);
    pte_t saved = pte_read_once(l2);
    unlinked_table = pte_table_pa(saved);
    pte_store(ptep, 0);
    pte_store(ptep + 1, 0);
    pte_store(l2, 0);
    rule_check_table_freed(unlinked_table);     /* (not really freed: relinked below) */
    pte_store(l2, saved);
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, false);
}

/* Another address space run under the same ASID without flushing it. */
static void seq_asid_reused_without_flush(void)
{
    struct pgtable other;
    if (pgtable_create(&other, mm->pt.asid) < 0)
        return;
    mm_activate(mm);
    pgtable_activate(&other);
    rule_check_op_end("access through the other root");    /* relies on the TLB */
    mm_activate(NULL);
    pgtable_destroy(&other);
}

/* A freshly zeroed table linked with no barrier ordering its zeroes first. */
static void seq_table_linked_unordered(void)
{
    pte_t *l2 = l2_entry(BASE);
    uint64_t va = BASE + (2ULL << 20);          /* the next 2 MiB: no table yet */
    pte_t *slot = l2 + 1;
    if (pte_read_once(slot))
        return;
    uint64_t t = pt_alloc_table();
    pte_store(slot, pte_mktable(t));
    pte_store(slot, 0);
    flush_tlb_range(mm->pt.asid, va, va + PAGE_SIZE, PAGE_SIZE, false);
    rule_check_table_freed(t);
    palloc_free(t, 0);
}

/* Runs seq, then a checkpoint; true if rule Rn fired (and how often in all). */
static bool fires(void (*seq)(void), int rule, unsigned *total)
{
    unsigned before_rule = rule_check_fired(rule), before_all = rule_check_violations();
    seq();
    rule_check_op_end("checker test");
    *total = rule_check_violations() - before_all;
    restore();
    return rule_check_fired(rule) > before_rule;
}
#define KEXPECT_RULE(t, seq, rule) do {                                                   \
        unsigned n_;                                                                      \
        bool f_ = fires(seq, rule, &n_);                                                  \
        KEXPECT(t, f_, #seq ": R%d not reported (%u other violation(s), last %s: %s)", rule, \
                n_, rule_check_last_rule(), rule_check_last_message());                   \
    } while (0)

static void checker_accepts_correct_sequences(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_correct), 0);
}

static void checker_catches_bbm(struct ktest *t)
{
    KEXPECT_RULE(t, seq_valid_to_valid_new_address, 1);
    KEXPECT_RULE(t, seq_remake_before_invalidate, 1);
#ifdef __riscv
    if (mmu_caps.svpbmt)
#endif
        KEXPECT_RULE(t, seq_memtype_change_without_bbm, 1);
}

static void checker_catches_missing_invalidate(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_wrprotect_without_tlbi), 1);
    KEXPECT_EQ(t, violations_of(seq_protnone_without_tlbi), 1);
    KEXPECT_RULE(t, seq_exec_removed_without_tlbi, 3);
    KEXPECT_RULE(t, seq_user_removed_without_tlbi, 3);
    KEXPECT_RULE(t, seq_clean_without_tlbi, 3);
}

/* The kernel's invalidates must reach every PE that may hold the entry:
 * on one CPU, arm64's model assumes another PE may (the code is written for
 * SMP); with several online, the CPUs that ran the address space (here
 * CPU 1, on both arches). */
static void checker_catches_local_only_invalidate(struct ktest *t)
{
    if (!mmu_caps.broadcast_tlbi && tlb_nr_cpus < 2) {
        ktest_skip(t, "riscv with one hart: every fence is local and reaches every hart there is");
        return;
    }
    KEXPECT_RULE(t, seq_local_only_invalidate, 3);
    const char *who = tlb_nr_cpus > 1 ? "CPU 1" : "another PE";
    KEXPECT(t, strstr(rule_check_last_message(), who) != NULL, "%s", rule_check_last_message());
}

/* A shootdown (ipi on arm64, the default sbi on riscv) that skips one of
 * the CPUs that ran the address space: R3 names that CPU. */
static void seq_shootdown_skips_cpu2(void)
{
    tlb_note_active(1, mm->pt.asid);
    tlb_note_active(2, mm->pt.asid);
    pte_store(ptep, pte_wrprotect(pte_read_once(ptep)));
    flush_tlb_range(mm->pt.asid, BASE, BASE + PAGE_SIZE, PAGE_SIZE, true);
}

static void checker_catches_shootdown_missing_cpu(struct ktest *t)
{
    if (smp_nr_cpus < 3) {
        ktest_skip(t, "needs 3 CPUs online (-smp 3 or more)");
        return;
    }
    enum tlb_shootdown saved = tlb_params.shootdown;
#ifndef __riscv
    tlb_params.shootdown = SHOOTDOWN_IPI;
#endif
    KEXPECT_EQ(t, violations_of(seq_shootdown_skips_cpu2), 0);     /* all reached: fine */
    tlb_shootdown_skip_cpu = 2;
    KEXPECT_RULE(t, seq_shootdown_skips_cpu2, 3);
    tlb_shootdown_skip_cpu = -1;
    KEXPECT(t, strstr(rule_check_last_message(), "CPU 2") != NULL, "%s", rule_check_last_message());
    tlb_params.shootdown = saved;
}

static void checker_catches_stale_readonly(struct ktest *t)
{
    KEXPECT_EQ(t, violations_of(seq_grant_write_without_flush), 1);
    KEXPECT_RULE(t, seq_grant_write_without_flush, IS_RISCV ? 4 : 6);
}

static void checker_catches_barrier(struct ktest *t)
{
    KEXPECT(t, violations_of(seq_barrier_or_fence_missing) >= 1);
#ifdef __riscv
    KEXPECT_RULE(t, seq_barrier_or_fence_missing, 4);
    if (mmu_caps.svinval)
        KEXPECT_RULE(t, seq_sinval_unordered, 5);
#else
    KEXPECT_RULE(t, seq_barrier_or_fence_missing, 5);
    KEXPECT_RULE(t, seq_tlbi_not_completed, 5);
#endif
}

static void checker_catches_global_negative_entry(struct ktest *t)
{
    if (!mmu_caps.caches_invalid) {
        ktest_skip(t, "Arm never caches entries that fault (arm64 and LPAE)");
        return;
    }
    if (mm->pt.asid == 0) {
        ktest_skip(t, "no ASIDs: every fence names no ASID (rs2 = x0) and reaches global entries");
        return;
    }
    KEXPECT_RULE(t, seq_protnone_then_asid_fence, 4);
}

static void checker_catches_walk_cache(struct ktest *t)
{
#ifdef __arm__
    /* ARMv7 TLBIMVA(IS) has no leaf-only form: the "leaf" invalidate takes
     * the walk-cache entries for the address as well (tlbi_va_nonleaf), so
     * this sequence is correct here and the checker must accept it. */
    KEXPECT_EQ(t, violations_of(seq_table_freed_after_leaf_invalidate), 0);
    KEXPECT_RULE(t, seq_table_freed_without_invalidate, 7);
#else
    KEXPECT_RULE(t, seq_table_freed_after_leaf_invalidate, 7);
#endif
}

static void checker_catches_asid_reuse(struct ktest *t)
{
    KEXPECT_RULE(t, seq_asid_reused_without_flush, 8);
}

static void checker_catches_unordered_table(struct ktest *t)
{
    KEXPECT_RULE(t, seq_table_linked_unordered, 9);
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
    unsigned r2 = rule_check_fired(2), r1 = rule_check_fired(1);
    /* Make one entry differ in permission while the rest keep CONT. */
    pte_store(&first[6], pte_wrprotect(pte_read_once(&first[6])));
    flush_tlb_range(mm->pt.asid, b, b + CONT_SIZE, PAGE_SIZE, true);
    rule_check_op_end("checker test");
    KEXPECT(t, rule_check_fired(2) > r2, "inconsistent block missed");
    pte_store(&first[6], pte_mkwrite(pte_read_once(&first[6])));
    flush_after_make_valid(mm->pt.asid, b + 6 * PAGE_SIZE);
    rule_check_reset();
    /* Clear the block, invalidate only its first page, then fold it again at
     * another output address: the other 15 pages may still be cached. */
    pte_t old[CONT_PTES];
    for (unsigned k = 0; k < CONT_PTES; k++)
        old[k] = pte_get_and_clear(&first[k]);
    flush_tlb_range(mm->pt.asid, b, b + PAGE_SIZE, PAGE_SIZE, true);
    for (unsigned k = 0; k < CONT_PTES; k++)
        pte_store(&first[k], pte_set_pfn(old[k], pte_pfn(old[k]) ^ 0x10));
    KEXPECT(t, rule_check_fired(1) > r1, "block refolded elsewhere after one invalidate: R1 missed");
    for (unsigned k = 0; k < CONT_PTES; k++)
        pte_store(&first[k], 0);
    flush_tlb_range(mm->pt.asid, b, b + CONT_SIZE, PAGE_SIZE, true);
    for (unsigned k = 0; k < CONT_PTES; k++)
        pte_store(&first[k], old[k]);
    flush_tlb_range(mm->pt.asid, b, b + CONT_SIZE, PAGE_SIZE, true);
    rule_check_reset();
}

/* The decoder reads what was issued, by the architecture's field layout. */
static void tlbi_operands_decoded(struct ktest *t)
{
    struct tlbi_effect e;
#ifdef __riscv
    struct tlbi_rec r = { .insn = RISCV_sfence_vma, .rs1 = 0x2000001234ULL, .rs2 = 7 };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.start == 0x2000001000ULL && e.end == 0x2000002000ULL && e.leaf_only && !e.global && e.asid == 7);
    r = (struct tlbi_rec){ .insn = RISCV_sfence_vma, .rs1_x0 = true, .rs2_x0 = true };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.start == 0 && e.end == ~0ULL && !e.leaf_only && e.global && e.any_asid);
#elif defined(__arm__)
    /* TLBIMVAIS, ASID 5, MVA 0x80123000 (bits 11:8 of the register are SBZ
     * and ignored): one page, that ASID and global, walk caches too. */
    struct tlbi_rec r = { .insn = ARM_tlbimvais, .rs1 = 0x80123005u };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.start == 0x80123000ULL && e.end == 0x80124000ULL && e.asid == 5 && e.global &&
               !e.any_asid && !e.leaf_only && e.broadcast, "TLBIMVAIS decoded as [0x%llx, 0x%llx) asid %u",
            (unsigned long long)e.start, (unsigned long long)e.end, e.asid);
    r = (struct tlbi_rec){ .insn = ARM_tlbimvaa, .rs1 = 0x80123000u };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.any_asid && e.global && !e.broadcast && e.start == 0x80123000ULL);
    r = (struct tlbi_rec){ .insn = ARM_tlbiasidis, .rs1 = 9 };
    tlbi_decode(&r, &e);
    KEXPECT(t, !e.global && !e.any_asid && e.asid == 9 && e.start == 0 && e.end == ~0ULL && e.broadcast);
    r = (struct tlbi_rec){ .insn = ARM_tlbiallis };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.any_asid && e.global && e.start == 0 && e.end == ~0ULL);
    r = (struct tlbi_rec){ .insn = ARM_none };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.none);
#else
    /* rvale1is, ASID 5, TG 4K, SCALE 1, NUM 3, BaseADDR 0x2000000: (3+1) << 6 = 256 pages. */
    uint64_t op = (5ULL << 48) | (1ULL << 46) | (1ULL << 44) | (3ULL << 39) | 0x2000000ULL;
    struct tlbi_rec r = { .insn = ARM64_rvale1is, .rs1 = op };
    tlbi_decode(&r, &e);
    KEXPECT(t, e.start == 0x2000000000ULL && e.end == 0x2000000000ULL + 256 * 4096 && e.asid == 5 &&
               e.leaf_only && e.broadcast, "range decoded as [0x%llx, 0x%llx) asid %u",
            (unsigned long long)e.start, (unsigned long long)e.end, e.asid);
    r.rs1 = op & ~(3ULL << 46);                 /* TG = 0: reserved, removes nothing reliable */
    tlbi_decode(&r, &e);
    KEXPECT(t, e.none);
    r = (struct tlbi_rec){ .insn = ARM64_vale1, .rs1 = (9ULL << 48) | 0x2000123ULL };
    tlbi_decode(&r, &e);
    KEXPECT(t, !e.broadcast && e.start == 0x2000123000ULL && e.asid == 9 && e.global);
    r = (struct tlbi_rec){ .insn = ARM64_aside1is, .rs1 = 9ULL << 48 };
    tlbi_decode(&r, &e);
    KEXPECT(t, !e.global && e.asid == 9 && e.start == 0 && e.end == ~0ULL);
#endif
}

static const struct ktest_case rule_check_cases[] = {
    KTEST_CASE(checker_accepts_correct_sequences),
    KTEST_CASE(checker_catches_bbm),
    KTEST_CASE(checker_catches_missing_invalidate),
    KTEST_CASE(checker_catches_stale_readonly),
    KTEST_CASE(checker_catches_barrier),
    KTEST_CASE(checker_catches_broken_block),
    KTEST_CASE(checker_catches_local_only_invalidate),
    KTEST_CASE(checker_catches_shootdown_missing_cpu),
    KTEST_CASE(checker_catches_global_negative_entry),
    KTEST_CASE(checker_catches_walk_cache),
    KTEST_CASE(checker_catches_asid_reuse),
    KTEST_CASE(checker_catches_unordered_table),
    KTEST_CASE(tlbi_operands_decoded),
};
KTEST_SUITE(rule_check, 45, .before = before, .after = after);
