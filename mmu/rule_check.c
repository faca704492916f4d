/* Architecture-rule checker (see rule_check.h). */
#include "boot/kernel.h"
#include "mmu/rule_check.h"
#include "mmu/page.h"
#include "mmu/pgtable.h"
#include "tests/kernel/ktest.h"

bool rule_check_on;

#define MAX_TRACKED 40
#define MAX_PENDING 1024
#define RING 24
#define CACHE 64

static const struct pgtable *tracked[MAX_TRACKED];

enum pend_kind { NEEDS_TLBI = 1, NEEDS_LOCAL_FLUSH = 2, NEEDS_STALE_FLUSH = 4 };
struct pending {
    uint64_t *ptep;
    uint64_t va;
    uint64_t old;           /* the entry as a TLB may still hold it */
    uint16_t asid;
    uint8_t kind;
};
static struct pending pend[MAX_PENDING];
static unsigned npend;

/* Blocks touched during the operation, checked at its end. */
static struct { uint64_t *first; uint64_t va; } blocks[128];
static unsigned nblocks;

static struct { char what; uint64_t a, b, c; } ring[RING];
static unsigned ring_pos;

static bool stores_unordered, tlbi_incomplete;   /* R5 state */
static unsigned violations;
static bool expecting;

static struct { uint64_t table, base; uint16_t asid; bool leaf; } cache[CACHE];
static unsigned cache_pos;

static void record(char what, uint64_t a, uint64_t b, uint64_t c)
{
    ring[ring_pos % RING].what = what;
    ring[ring_pos % RING].a = a;
    ring[ring_pos % RING].b = b;
    ring[ring_pos % RING].c = c;
    ring_pos++;
}

static char msg[160];
#define VIOLATION(rule, ...) do { snprintf(msg, sizeof(msg), __VA_ARGS__); violation(rule); } while (0)

static void violation(const char *rule)
{
    violations++;
    if (expecting) {
        ktest_log("rule checker (expected): %s: %s", rule, msg);
        return;
    }
    printf("        # RULE VIOLATION %s: %s\n", rule, msg);
    printf("        # recent events (oldest first):\n");
    unsigned start = ring_pos > RING ? ring_pos - RING : 0;
    for (unsigned i = start; i < ring_pos; i++) {
        const char w = ring[i % RING].what;
        unsigned long long a = ring[i % RING].a, b = ring[i % RING].b, c = ring[i % RING].c;
        if (w == 'S')
            printf("        #   store  va 0x%llx: 0x%llx -> 0x%llx\n", a, b, c);
        else if (w == 'T')
            printf("        #   tlbi   asid %lld va 0x%llx..0x%llx\n", (long long)a, b, c);
        else if (w == 'L')
            printf("        #   local  asid %llu va 0x%llx\n", a, b);
        else if (w == 'B')
            printf("        #   %s\n", a ? "dsb ish" : "dsb ishst");
        else if (w == 'E')
            printf("        #   end of operation\n");
    }
    ktest_fail_current(rule);
}

void rule_check_expect(bool expect) { expecting = expect; }
unsigned rule_check_violations(void) { return violations; }

void rule_check_reset(void)
{
    npend = nblocks = 0;
    stores_unordered = tlbi_incomplete = false;
}

void rule_check_track(const struct pgtable *pt)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (!tracked[i]) {
            tracked[i] = pt;
            return;
        }
}

void rule_check_untrack(const struct pgtable *pt)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == pt)
            tracked[i] = NULL;
    memset(cache, 0, sizeof(cache));
    /* Entries of a destroyed address space have no obligations left once
     * its ASID was flushed (pgtable_destroy does that). */
    unsigned j = 0;
    for (unsigned i = 0; i < npend; i++)
        if (pend[i].asid != pt->asid)
            pend[j++] = pend[i];
    npend = j;
}

void rule_check_table_freed(uint64_t table_pa)
{
    for (unsigned i = 0; i < CACHE; i++)
        if (cache[i].table == table_pa)
            cache[i].table = 0;
}

/* Which tracked address space and VA does the entry at ptep belong to? */
static bool find_table(uint64_t table, int level, uint64_t base, uint64_t want, uint64_t *vbase,
                       bool *leaf)
{
    if (table == want) {
        *vbase = base;
        *leaf = level == LEAF_LEVEL;
        return true;
    }
    if (level == LEAF_LEVEL)
        return false;
    const pte_t *t = pt_table(table);
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
        uint64_t va = base + (uint64_t)i * pt_level_size(level);
        uint64_t span_end = va + pt_level_size(level);
        if (span_end <= MM_VA_BASE || va >= MM_VA_END)
            continue;               /* the kernel's shared entries */
        if (t[i] && pte_is_table(t[i], level) &&
            find_table(pte_table_pa(t[i]), level + 1, va, want, vbase, leaf))
            return true;
    }
    return false;
}

static bool locate(uint64_t *ptep, uint64_t *va, uint16_t *asid)
{
    uint64_t table = (uint64_t)(uintptr_t)ptep & ~(uint64_t)(PAGE_SIZE - 1);
    unsigned idx = (unsigned)(((uintptr_t)ptep & (PAGE_SIZE - 1)) / sizeof(pte_t));
    for (unsigned i = 0; i < CACHE; i++)
        if (cache[i].table == table) {
            if (!cache[i].leaf)
                return false;
            *va = cache[i].base + (uint64_t)idx * PAGE_SIZE;
            *asid = cache[i].asid;
            return true;
        }
    for (int k = 0; k < MAX_TRACKED; k++) {
        const struct pgtable *pt = tracked[k];
        uint64_t base;
        bool leaf;
        if (!pt || !find_table(pt->root, pt_root_level(), 0, table, &base, &leaf))
            continue;
        unsigned c = cache_pos++ % CACHE;
        cache[c].table = table;
        cache[c].base = base;
        cache[c].asid = pt->asid;
        cache[c].leaf = leaf;
        if (!leaf)
            return false;
        *va = base + (uint64_t)idx * PAGE_SIZE;
        *asid = pt->asid;
        return true;
    }
    return false;
}

static void add_pending(uint64_t *ptep, uint64_t va, uint64_t old, uint16_t asid, uint8_t kind)
{
    for (unsigned i = 0; i < npend; i++)
        if (pend[i].ptep == ptep && pend[i].kind == kind)
            return;             /* the first (oldest) cached value is what matters */
    if (npend == MAX_PENDING) {
        VIOLATION("checker overflow", "more than %d pending obligations", MAX_PENDING);
        return;
    }
    pend[npend++] = (struct pending){ ptep, va, old, asid, kind };
}

static void note_block(uint64_t *ptep, uint64_t va)
{
    uint64_t *first = ptep - (va % CONT_SIZE) / PAGE_SIZE;
    for (unsigned i = 0; i < nblocks; i++)
        if (blocks[i].first == first)
            return;
    if (nblocks < ARRAY_SIZE(blocks)) {
        blocks[nblocks].first = first;
        blocks[nblocks].va = va - va % CONT_SIZE;
        nblocks++;
    }
}

void rule_check_store(uint64_t *ptep, uint64_t oldv, uint64_t newv)
{
    uint64_t va;
    uint16_t asid;
    if (!locate(ptep, &va, &asid))
        return;
    record('S', va, oldv, newv);
    stores_unordered = true;
    bool ov = pte_valid(oldv), nv = pte_valid(newv);
    if (ov && nv && (pte_napot_pfn(oldv, va) != pte_napot_pfn(newv, va) || pte_cont(oldv) != pte_cont(newv)))
        VIOLATION("R1 break-before-make", "va 0x%llx changed 0x%llx -> 0x%llx while valid",
                  (unsigned long long)va, (unsigned long long)oldv, (unsigned long long)newv);
    if (!ov && nv) {
        /* Re-validation: a broken entry whose invalidate has not happened yet
         * may not come back with another output address or CONT bit. */
        for (unsigned i = 0; i < npend; i++)
            if (pend[i].ptep == ptep && pend[i].kind == NEEDS_TLBI &&
                (pte_napot_pfn(pend[i].old, va) != pte_napot_pfn(newv, va) ||
                 pte_cont(pend[i].old) != pte_cont(newv)))
                VIOLATION("R1 break-before-make", "va 0x%llx made valid as 0x%llx before the invalidate of 0x%llx",
                          (unsigned long long)va, (unsigned long long)newv, (unsigned long long)pend[i].old);
#ifdef __riscv
        add_pending(ptep, va, oldv, asid, NEEDS_LOCAL_FLUSH);
#endif
    }
    if (ov && (!nv || (pte_write(oldv) && !pte_write(newv)) || pte_cont(oldv) != pte_cont(newv) ||
               pte_napot_pfn(oldv, va) != pte_napot_pfn(newv, va)))
        add_pending(ptep, va, oldv, asid, NEEDS_TLBI);
    else if (ov && nv && ((pte_write(newv) && !pte_write(oldv)) ||
                          (pte_write(newv) && pte_hw_dirty(newv) && !pte_hw_dirty(oldv))))
        add_pending(ptep, va, oldv, asid, NEEDS_STALE_FLUSH);
    if (pte_cont(oldv) || pte_cont(newv))
        note_block(ptep, va);
}

static void clear_pending(int asid, uint64_t start, uint64_t end, uint8_t kinds)
{
    unsigned j = 0;
    for (unsigned i = 0; i < npend; i++) {
        struct pending *p = &pend[i];
        /* An invalidate of any address of a contiguous block removes the
         * block's single TLB entry. */
        uint64_t lo = p->va, hi = p->va + PAGE_SIZE;
        if (pte_cont(p->old)) {
            lo = ALIGN_DOWN(p->va, CONT_SIZE);
            hi = lo + CONT_SIZE;
        }
        bool hit = (p->kind & kinds) && (asid < 0 || p->asid == asid) && lo < end && start < hi;
        if (!hit)
            pend[j++] = *p;
    }
    npend = j;
}

void rule_check_tlbi(int asid, uint64_t start, uint64_t end)
{
    record('T', (uint64_t)(int64_t)asid, start, end);
#ifndef __riscv
    if (stores_unordered)
        VIOLATION("R5 barriers", "TLBI of 0x%llx issued before a dsb ishst ordered the PTE stores",
                  (unsigned long long)start);
    tlbi_incomplete = true;
#endif
    /* riscv: sfence.vma (and Svinval) are local, which on one hart is all;
     * they also serve as the negative-caching fence. */
    clear_pending(asid, start, end, NEEDS_TLBI | NEEDS_LOCAL_FLUSH | NEEDS_STALE_FLUSH);
}

void rule_check_local_flush(int asid, uint64_t va)
{
    record('L', (uint64_t)asid, va, 0);
    clear_pending(asid, va, va + PAGE_SIZE, NEEDS_LOCAL_FLUSH | NEEDS_TLBI | NEEDS_STALE_FLUSH);
}

void rule_check_barrier(bool full)
{
    record('B', full, 0, 0);
    stores_unordered = false;
    if (full)
        tlbi_incomplete = false;
}

void rule_check_op_end(const char *op)
{
    if (!rule_check_on)
        return;
    record('E', 0, 0, 0);
    for (unsigned i = 0; i < npend; i++) {
        if (pend[i].kind == NEEDS_TLBI)
            VIOLATION("R3 missing invalidate", "va 0x%llx (asid %u): 0x%llx downgraded or broken, never invalidated",
                      (unsigned long long)pend[i].va, pend[i].asid, (unsigned long long)pend[i].old);
        else if (pend[i].kind == NEEDS_STALE_FLUSH)
            VIOLATION("R6 stale read-only entry", "va 0x%llx: write granted over 0x%llx, never invalidated",
                      (unsigned long long)pend[i].va, (unsigned long long)pend[i].old);
        else
            VIOLATION("R4 negative caching", "va 0x%llx: invalid->valid without a local fence",
                      (unsigned long long)pend[i].va);
    }
    npend = 0;
    if (tlbi_incomplete)
        VIOLATION("R5 barriers", "%s ended with TLBIs not completed by dsb ish", op);
    tlbi_incomplete = false;
    for (unsigned i = 0; i < nblocks; i++) {
        bool any_cont = false;
        for (unsigned k = 0; k < CONT_PTES; k++)
            any_cont |= pte_cont(blocks[i].first[k]);
        const char *err = any_cont ? cont_block_check(blocks[i].first, blocks[i].va) : NULL;
        if (err)
            VIOLATION("R2 contiguous block", "block at 0x%llx after %s: %s",
                      (unsigned long long)blocks[i].va, op, err);
    }
    nblocks = 0;
}
