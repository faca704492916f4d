/*
 * Contiguous-PTE batching with TLB-invalidate elision (issue 5), on the real
 * MMU. Counts come from the event counters; PTE states from the tables.
 */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"
#include "tests/kernel/ktest.h"
#include "mmu/page_alloc.h"

#define BASE (MM_VA_BASE + 0x20000000ULL)
#define SZ_2M (2ULL << 20)

static struct mm_params saved_params;
static struct tlb_params saved_tlb;

static const char *need_cont(void)
{
    return mmu_caps.cont ? NULL : "no contiguous/Svnapot mappings on this CPU";
}
static void before(struct ktest *t) { (void)t; saved_params = mm_params; saved_tlb = tlb_params; }
static void after(struct ktest *t) { (void)t; mm_params = saved_params; tlb_params = saved_tlb; mm_activate(NULL); }

static struct mm *populate_64k(uint64_t len)
{
    mm_params.anon_order = 4;
    mm_params.batch_mprotect = true;
    struct mm *mm = mm_create();
    mm_map(mm, BASE, len, VM_READ | VM_WRITE);
    for (uint64_t a = BASE; a < BASE + len; a += PAGE_SIZE)
        mm_write(mm, a, a);
    return mm;
}

/* PTE flags that must come out identical whatever the flush policy. */
static uint64_t pte_state_hash(struct mm *mm, uint64_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (uint64_t a = BASE; a < BASE + len; a += PAGE_SIZE) {
        pte_t e = mm_get_pte(mm, a);
        uint64_t bits = (uint64_t)pte_valid(e) | (uint64_t)pte_write(e) << 1 | (uint64_t)pte_cont(e) << 2 |
                        (uint64_t)pte_dirty(e) << 3 | (uint64_t)pte_young(e) << 4;
        h = (h ^ bits) * 1099511628211ULL;
    }
    return h;
}

static uint64_t mprotect_tlbis(struct mm *mm, uint64_t len, unsigned prot)
{
    struct ev_snapshot s, d;
    ev_snapshot(&s);
    mm_mprotect(mm, BASE, len, prot);
    ev_delta(&s, &d);
    return ev_tlbi_total(&d);
}

/* What each policy must issue for one mprotect of 2 MiB of 64 KiB folios:
 * architecturally enough, i.e. every 4 KiB page of every block (a CPU may
 * hold the 16 members of a block as 16 TLB entries), by single invalidates,
 * range operations or one ASID flush. */
static uint64_t expected_2m(enum tlbi_policy p)
{
    switch (p) {
    case TLBI_PER_PAGE:
        return 512;
    case TLBI_ASID:
        return 1;                       /* threshold 0: always the ASID */
    case TLBI_RANGE:
        if (mmu_caps.tlbi_range)
            return 0;                   /* a few range ops: checked below */
        if (mmu_caps.svinval)
            return 512;                 /* one sinval.vma per page, between two fences */
        return 1;                       /* no range op at all: the ASID */
    default:
        return 0;
    }
}

static void mprotect_2m_policies(struct ktest *t)
{
    static const enum tlbi_policy pol[] = { TLBI_PER_PAGE, TLBI_ASID, TLBI_RANGE };
    uint64_t ref = 0;
    for (size_t i = 0; i < ARRAY_SIZE(pol); i++) {
        struct mm *mm = populate_64k(SZ_2M);
        tlb_params.policy = pol[i];
        tlb_params.asid_threshold = 0;
        uint64_t ro = mprotect_tlbis(mm, SZ_2M, VM_READ);
        uint64_t rw = mprotect_tlbis(mm, SZ_2M, VM_READ | VM_WRITE);
        uint64_t h_rw = pte_state_hash(mm, SZ_2M);
        /* After RW no write faults. */
        trap_reset_faults();
        for (uint64_t a = BASE; a < BASE + SZ_2M; a += CONT_SIZE)
            mm_write(mm, a, 1);
        KEXPECT_EQ(t, trap_faults()->count, 0);
        uint64_t ro2 = mprotect_tlbis(mm, SZ_2M, VM_READ);
        /* After RO a write faults (and is refused: the VMA is read-only). */
        KEXPECT_EQ(t, mm_write(mm, BASE + 5 * PAGE_SIZE, 2), -1);
        uint64_t want = expected_2m(pol[i]);
        if (want) {
            KEXPECT(t, ro == want && rw == want && ro2 == want,
                    "%s: %llu/%llu/%llu invalidates, expected %llu each", tlbi_policy_names[pol[i]],
                    (unsigned long long)ro, (unsigned long long)rw, (unsigned long long)ro2,
                    (unsigned long long)want);
        } else {
            KEXPECT(t, ro <= 4 && rw <= 4 && ro2 <= 4, "range: %llu/%llu/%llu", (unsigned long long)ro,
                    (unsigned long long)rw, (unsigned long long)ro2);
        }
        ktest_log("%s: RO %llu, RW %llu, RO %llu invalidate instructions for 2 MiB of 64 KiB folios",
                  tlbi_policy_names[pol[i]], (unsigned long long)ro, (unsigned long long)rw,
                  (unsigned long long)ro2);
        if (i == 0)
            ref = h_rw;
        KEXPECT_EQ(t, h_rw, ref);
        for (uint64_t a = BASE; a < BASE + SZ_2M; a += CONT_SIZE)
            KEXPECT(t, pte_cont(mm_get_pte(mm, a)), "block at 0x%llx unfolded", (unsigned long long)a);
        mm_destroy(mm);
    }
}

/* The stale-write test QEMU can witness: with the address space current
 * (no ASID switch, which would make QEMU drop its whole TLB), write all 16
 * pages of a folded 64 KiB folio so each has a writable TLB entry, mprotect
 * PROT_READ, then write each page again: every write must fault. Under the
 * policies Linux uses (per page, range, ASID past the threshold) this holds
 * on every CPU model; an invalidate per 64 KiB block would leave 15 pages'
 * entries writable (seen on QEMU's arm64 TLB, which keeps per-page entries
 * across a single-page TLBI). */
static void stale_write_after_mprotect(struct ktest *t)
{
    static const struct { enum tlbi_policy p; uint64_t threshold; } pol[] = {
        { TLBI_PER_PAGE, 0 }, { TLBI_RANGE, 512 }, { TLBI_ASID, 512 }, { TLBI_ASID, 0 }, { TLBI_AUTO, 512 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(pol); i++) {
        struct mm *mm = populate_64k(CONT_SIZE);
        tlb_params.policy = pol[i].p;
        tlb_params.asid_threshold = pol[i].threshold;
        for (unsigned k = 0; k < CONT_PTES; k++)
            KEXPECT_EQ(t, mm_write(mm, BASE + k * PAGE_SIZE, k), 0);
        KEXPECT_EQ(t, mm_mprotect(mm, BASE, CONT_SIZE, VM_READ), 0);
        trap_reset_faults();
        unsigned refused = 0;
        for (unsigned k = 0; k < CONT_PTES; k++)
            refused += mm_write(mm, BASE + k * PAGE_SIZE, 0xdead) == -1;
        KEXPECT(t, refused == CONT_PTES && trap_faults()->count == CONT_PTES,
                "%s (threshold %llu): %u of 16 writes refused, %u faults", tlbi_policy_names[pol[i].p],
                (unsigned long long)pol[i].threshold, refused, trap_faults()->count);
        uint64_t v;
        for (unsigned k = 0; k < CONT_PTES; k++)
            KEXPECT(t, mm_read(mm, BASE + k * PAGE_SIZE, &v) == 0 && v == k, "page %u changed", k);
        mm_destroy(mm);
    }
}

/* The unsafe what-if must be caught: by the checker always (a PE may hold
 * the other 15 pages' writable entries after one invalidate per block), and
 * on arm64 by QEMU's TLB too (writes go through). */
static void unsafe_per_block_caught(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    tlb_params.policy = TLBI_UNSAFE_PER_BLOCK;
    for (unsigned k = 0; k < CONT_PTES; k++)
        mm_write(mm, BASE + k * PAGE_SIZE, k);
    unsigned v0 = rule_check_violations();
    rule_check_expect(true);
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ);
    rule_check_expect(false);
    unsigned caught = rule_check_violations() - v0;
    KEXPECT(t, caught >= 1 && strncmp(rule_check_last_rule(), "R3", 2) == 0,
            "unsafe-per-block not flagged (%u violations, last %s)", caught, rule_check_last_rule());
    /* What QEMU's TLB lets through before anything else flushes it. */
    rule_check_on = false;
    unsigned through = 0;
    for (unsigned k = 0; k < CONT_PTES; k++)
        through += mm_write(mm, BASE + k * PAGE_SIZE, 0xbad) == 0;
    rule_check_on = true;
    ktest_log("unsafe-per-block: checker reported %u violation(s); %u of 16 stale writes went through QEMU's TLB",
              caught, through);
    tlb_params = saved_tlb;
    tlbi_asid(mm->pt.asid);
    rule_check_reset();
    mm_destroy(mm);
}

/* Linux 2025: the batch took anon-exclusive from the folio's first page.
 * Start the batch at the folio's 5th page with mixed flags. */
static void batch_exclusive_per_pte(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ);
    struct page *head = page_head(mm_page_at(mm, BASE));
    KASSERT(t, head->order == 4);
    /* Pages 4, 6, 9..11 not exclusive; the first page (0) exclusive. */
    static const unsigned not_excl[] = { 4, 6, 9, 10, 11 };
    for (size_t i = 0; i < ARRAY_SIZE(not_excl); i++)
        head[not_excl[i]].flags &= ~PG_ANON_EXCLUSIVE;
    KEXPECT_EQ(t, mm_mprotect(mm, BASE + 4 * PAGE_SIZE, 12 * PAGE_SIZE, VM_READ | VM_WRITE), 0);
    for (unsigned i = 0; i < CONT_PTES; i++) {
        pte_t e = mm_get_pte(mm, BASE + i * PAGE_SIZE);
        bool excl = page_anon_exclusive(&head[i]);
        bool want = i >= 4 && excl;
        KEXPECT(t, pte_write(e) == want, "page %u: write %d, exclusive %d", i, pte_write(e), excl);
        KEXPECT(t, !pte_cont(e), "page %u still contiguous in a mixed block", i);
    }
    for (unsigned i = 0; i < CONT_PTES; i++)
        head[i].flags |= PG_ANON_EXCLUSIVE;
    mm_destroy(mm);
}

/* Ranges starting and ending mid-block, crossing a page-table boundary. */
static void ranges_mid_block_across_tables(struct ktest *t)
{
    struct mm *mm = populate_64k(2 * SZ_2M);
    uint64_t s = BASE + SZ_2M - 3 * PAGE_SIZE, e = BASE + SZ_2M + 5 * PAGE_SIZE;
    KEXPECT_EQ(t, mm_mprotect(mm, s, e - s, VM_READ), 0);
    for (uint64_t a = BASE + SZ_2M - CONT_SIZE; a < BASE + SZ_2M + CONT_SIZE; a += PAGE_SIZE) {
        pte_t pe = mm_get_pte(mm, a);
        bool in = a >= s && a < e;
        KEXPECT(t, pte_write(pe) == !in, "0x%llx write %d", (unsigned long long)a, pte_write(pe));
        const char *err = NULL;
        if (pte_cont(pe))
            err = cont_block_check(mm_pte_ptr(mm, a, false) - (a % CONT_SIZE) / PAGE_SIZE, a);
        KEXPECT(t, err == NULL, "%s", err);
    }
    /* Blocks wholly outside the range stay folded. */
    KEXPECT(t, pte_cont(mm_get_pte(mm, BASE)));
    KEXPECT(t, pte_cont(mm_get_pte(mm, BASE + SZ_2M + CONT_SIZE)));
    mm_destroy(mm);
}

/* Alternating writable / read-only entries in one folio: mprotect RW must
 * not make the read-only (non-exclusive) ones writable. */
static void alternating_write_bits(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ);
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ | VM_WRITE);
    struct page *head = page_head(mm_page_at(mm, BASE));
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ);
    for (unsigned i = 1; i < CONT_PTES; i += 2)
        head[i].flags &= ~PG_ANON_EXCLUSIVE;
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ | VM_WRITE);
    for (unsigned i = 0; i < CONT_PTES; i++)
        KEXPECT(t, pte_write(mm_get_pte(mm, BASE + i * PAGE_SIZE)) == !(i & 1), "page %u", i);
    /* Again over the now alternating entries (batches of one). */
    mm_mprotect(mm, BASE, CONT_SIZE, VM_READ | VM_WRITE);
    for (unsigned i = 0; i < CONT_PTES; i++)
        KEXPECT(t, pte_write(mm_get_pte(mm, BASE + i * PAGE_SIZE)) == !(i & 1), "page %u (2nd)", i);
    for (unsigned i = 0; i < CONT_PTES; i++)
        head[i].flags |= PG_ANON_EXCLUSIVE;
    mm_destroy(mm);
}

/* A/D gathering: a block reads young/dirty if any entry is; with software
 * A/D a fault on an entry without AF makes progress even though the block's
 * gathered state says young. */
static void access_dirty_gathering(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    pte_t *first = mm_pte_ptr(mm, BASE, false);
    KASSERT(t, pte_cont(first[0]));
    /* Make every entry old and clean, then entry 0 young and entry 3 dirty. */
    for (unsigned i = 0; i < CONT_PTES; i++)
        pte_store(&first[i], pte_mkold(pte_mkclean(first[i])));
    first[0] = pte_mkyoung(first[0]);
    first[3] = pte_mkdirty(first[3]);
    flush_tlb_range(mm->pt.asid, BASE, BASE + CONT_SIZE, PAGE_SIZE, true);
    KEXPECT(t, pte_young(contpte_get(&first[9], BASE + 9 * PAGE_SIZE)));
    KEXPECT(t, pte_dirty(contpte_get(&first[9], BASE + 9 * PAGE_SIZE)));
    KEXPECT(t, !pte_young(first[9]) && !pte_dirty(first[9]));
    uint64_t v;
    trap_reset_faults();
    KEXPECT_EQ(t, mm_read(mm, BASE + 9 * PAGE_SIZE, &v), 0);
    KEXPECT_EQ(t, v, BASE + 9 * PAGE_SIZE);
    if (mmu_caps.hw_af)
        KEXPECT_EQ(t, trap_faults()->count, 0);
    else
        KEXPECT_EQ(t, trap_faults()->count, 1);     /* one fault, not an endless loop */
    KEXPECT(t, pte_young(first[9]));
    KEXPECT(t, pte_cont(first[9]), "an access-flag update unfolded the block");
    mm_destroy(mm);
}

/* Replacing a folded block by another (break-before-make) never leaves a
 * stale translation: every page reads the new folio afterwards. */
static void replace_block_no_stale(struct ktest *t)
{
    if (palloc_nr_nodes() < 2) {
        /* Replace through COW instead: fork, then a write copies one page of
         * the block and unfolds it; the rest still translate to the old folio. */
        struct mm *mm = populate_64k(CONT_SIZE);
        uint64_t v;
        for (unsigned i = 0; i < CONT_PTES; i++)
            mm_read(mm, BASE + i * PAGE_SIZE, &v);
        struct mm *c = mm_fork(mm);
        mm_write(mm, BASE + 7 * PAGE_SIZE, 77);
        for (unsigned i = 0; i < CONT_PTES; i++) {
            mm_read(mm, BASE + i * PAGE_SIZE, &v);
            KEXPECT_EQ(t, v, i == 7 ? 77 : BASE + i * PAGE_SIZE);
            mm_read(c, BASE + i * PAGE_SIZE, &v);
            KEXPECT_EQ(t, v, BASE + i * PAGE_SIZE);
        }
        mm_destroy(c);
        mm_destroy(mm);
        return;
    }
    struct mm *mm = populate_64k(CONT_SIZE);
    uint64_t v;
    for (unsigned i = 0; i < CONT_PTES; i++)
        mm_read(mm, BASE + i * PAGE_SIZE, &v);      /* the old block is cached */
    uint64_t old_pfn = page_to_pfn(mm_page_at(mm, BASE));
    KEXPECT_EQ(t, mm_migrate(mm, BASE, 1), 0);
    KEXPECT(t, page_to_pfn(mm_page_at(mm, BASE)) != old_pfn);
    /* Scribble on the old (freed) memory: a stale translation would read it. */
    for (unsigned i = 0; i < CONT_PTES; i++)
        *(volatile uint64_t *)(uintptr_t)((old_pfn + i) << PAGE_SHIFT) = 0xdead;
    for (unsigned i = 0; i < CONT_PTES; i++) {
        mm_read(mm, BASE + i * PAGE_SIZE, &v);
        KEXPECT_EQ(t, v, BASE + i * PAGE_SIZE);
    }
    mm_destroy(mm);
}

/* Unbatched vs batched over the same state: identical PTEs, fewer stores. */
static void batched_matches_unbatched(struct ktest *t)
{
    uint64_t h[2], stores[2];
    for (int b = 0; b < 2; b++) {
        struct mm *mm = populate_64k(4 * CONT_SIZE);
        mm_params.batch_mprotect = b;
        mm_mprotect(mm, BASE, 4 * CONT_SIZE, VM_READ);
        struct ev_snapshot s, d;
        ev_snapshot(&s);
        mm_mprotect(mm, BASE + PAGE_SIZE, 4 * CONT_SIZE - 2 * PAGE_SIZE, VM_READ | VM_WRITE);
        ev_delta(&s, &d);
        stores[b] = d.v[EV_PTE_STORE];
        uint64_t hh = 0;
        for (uint64_t a = BASE; a < BASE + 4 * CONT_SIZE; a += PAGE_SIZE)
            hh = hh * 3 + pte_write(mm_get_pte(mm, a));
        h[b] = hh;
        mm_destroy(mm);
    }
    KEXPECT_EQ(t, h[0], h[1]);
    ktest_log("PTE stores: unbatched %llu, batched %llu", (unsigned long long)stores[0],
              (unsigned long long)stores[1]);
}

/* Rewrite a block's 16 entries by the rules (clear, flush, write). */
static void block_set(struct mm *mm, pte_t *first, const pte_t nv[CONT_PTES])
{
    for (unsigned k = 0; k < CONT_PTES; k++)
        pte_store(&first[k], 0);
    flush_tlb_range(mm->pt.asid, BASE, BASE + CONT_SIZE, PAGE_SIZE, true);
    for (unsigned k = 0; k < CONT_PTES; k++)
        mm_set_pte_new(mm, &first[k], BASE + k * PAGE_SIZE, nv[k]);
    pte_stores_visible();
}

/* Unfolding keeps the block's gathered access/dirty state on EVERY entry
 * (the state is the folio's: one dirty member means the folio is dirty),
 * and does not invent any: an old and clean block stays old and clean. */
static void unfold_spreads_access_dirty(struct ktest *t)
{
    for (int dirty_member = -1; dirty_member < 16; dirty_member += 11) {
        struct mm *mm = populate_64k(CONT_SIZE);
        pte_t *first = mm_pte_ptr(mm, BASE, false);
        KASSERT(t, pte_cont(pte_read_once(first)));
        pte_t nv[CONT_PTES];
        for (unsigned k = 0; k < CONT_PTES; k++) {
            nv[k] = pte_mkold(pte_mkclean(pte_read_once(&first[k])));
            if ((int)k == dirty_member)
                nv[k] = pte_mkyoung(pte_mkdirty(nv[k]));
        }
        block_set(mm, first, nv);
        contpte_unfold(mm, BASE, first);
        rule_check_op_end("unfold");
        for (unsigned k = 0; k < CONT_PTES; k++) {
            pte_t e = pte_read_once(&first[k]);
            KEXPECT(t, !pte_cont(e), "entry %u still contiguous", k);
            KEXPECT(t, pte_dirty(e) == (dirty_member >= 0) && pte_young(e) == (dirty_member >= 0),
                    "dirty member %d: entry %u dirty %d young %d", dirty_member, k, pte_dirty(e), pte_young(e));
        }
        mm_destroy(mm);
    }
}

/* Folding needs 16 entries mapping 16 consecutive pages of one 64 KiB-aligned
 * folio: a block with one foreign page must stay unfolded. */
static void fold_refuses_foreign_page(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    pte_t *first = mm_pte_ptr(mm, BASE, false);
    contpte_unfold(mm, BASE, first);
    rule_check_op_end("unfold");
    /* Entry 7 now maps a page of another folio (with its data copied). */
    struct page *foreign = folio_alloc(0, -1, true);
    KASSERT(t, foreign != NULL);
    pte_t e7 = pte_read_once(&first[7]);
    pte_store(&first[7], 0);
    flush_tlb_range(mm->pt.asid, BASE + 7 * PAGE_SIZE, BASE + 8 * PAGE_SIZE, PAGE_SIZE, true);
    mm_set_pte_new(mm, &first[7], BASE + 7 * PAGE_SIZE, pte_set_pfn(e7, page_to_pfn(foreign)));
    rule_check_op_end("replace");
    KEXPECT(t, !contpte_try_fold(mm, mm_find_vma(mm, BASE), BASE), "folded a block with a foreign page");
    rule_check_op_end("fold attempt");
    for (unsigned k = 0; k < CONT_PTES; k++)
        KEXPECT(t, !pte_cont(pte_read_once(&first[k])), "entry %u contiguous", k);
    /* Put the folio's own page back: now it folds. */
    pte_store(&first[7], 0);
    flush_tlb_range(mm->pt.asid, BASE + 7 * PAGE_SIZE, BASE + 8 * PAGE_SIZE, PAGE_SIZE, true);
    mm_set_pte_new(mm, &first[7], BASE + 7 * PAGE_SIZE, e7);
    KEXPECT(t, contpte_try_fold(mm, mm_find_vma(mm, BASE), BASE), "the folio's own block did not fold");
    rule_check_op_end("fold");
    mm_destroy(mm);
    palloc_free(page_to_phys(foreign), 0);      /* never mapped by the mm: no references */
}

/* PROT_NONE, then RW, on a folded block: the block comes back valid from
 * protnone, which on riscv needs a local fence per page (a hart may have
 * cached the invalid entries, and protnone ones carry G); none on arm64. */
static void protnone_block_back_to_valid(struct ktest *t)
{
    struct mm *mm = populate_64k(CONT_SIZE);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, CONT_SIZE, 0), 0);
    KEXPECT(t, pte_protnone(mm_get_pte(mm, BASE)), "not protnone");
    uint64_t v;
    KEXPECT_EQ(t, mm_read(mm, BASE + 3 * PAGE_SIZE, &v), -1);     /* traps (and may be cached) */
    struct ev_snapshot s, d;
    ev_snapshot(&s);
    KEXPECT_EQ(t, mm_mprotect(mm, BASE, CONT_SIZE, VM_READ | VM_WRITE), 0);
    ev_delta(&s, &d);
    KEXPECT_EQ(t, d.v[EV_TLBI_PAGE_LOCAL], mmu_caps.caches_invalid ? CONT_PTES : 0);
    KEXPECT_EQ(t, ev_tlbi_total(&d), 0);        /* protnone -> valid: nothing broadcast */
    trap_reset_faults();
    for (unsigned k = 0; k < CONT_PTES; k++)
        KEXPECT(t, mm_read(mm, BASE + k * PAGE_SIZE, &v) == 0 && v == BASE + k * PAGE_SIZE, "page %u", k);
    KEXPECT_EQ(t, trap_faults()->count, 0);
    KEXPECT(t, pte_cont(mm_get_pte(mm, BASE)), "block not contiguous again");
    mm_destroy(mm);
}

static const struct ktest_case contpte_cases[] = {
    KTEST_CASE(unfold_spreads_access_dirty),
    KTEST_CASE(fold_refuses_foreign_page),
    KTEST_CASE(protnone_block_back_to_valid),
    KTEST_CASE(mprotect_2m_policies),
    KTEST_CASE(stale_write_after_mprotect),
    KTEST_CASE(unsafe_per_block_caught),
    KTEST_CASE(batch_exclusive_per_pte),
    KTEST_CASE(ranges_mid_block_across_tables),
    KTEST_CASE(alternating_write_bits),
    KTEST_CASE(access_dirty_gathering),
    KTEST_CASE(replace_block_no_stale),
    KTEST_CASE(batched_matches_unbatched),
};
KTEST_SUITE(contpte, 40, .setup = need_cont, .before = before, .after = after);
