/*
 * Host unit tests for mmu/page_alloc.c (cmocka, run under ASan/UBSan).
 *
 * The "physical" memory is a host arena from aligned_alloc(); its address
 * is used directly as the physical base (the kernel is identity mapped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmu/page_alloc.h"

#define KiB (1024ull)
#define MiB (1024ull * KiB)
#define ARENA_SIZE  (16 * MiB)
#define ARENA_ALIGN (4 * MiB)
#define ARENA_PAGES (ARENA_SIZE / PAGE_SIZE)
#define PG(n) ((uint64_t)(n) * PAGE_SIZE)

static uint8_t *arena;
#define A ((phys_addr_t)(uintptr_t)arena)

/* ---- panic hook ---------------------------------------------------- */

static int hook_calls;
static char hook_msg[160];

static void record_panic(const char *msg)
{
    hook_calls++;
    strncpy(hook_msg, msg, sizeof(hook_msg) - 1);
    hook_msg[sizeof(hook_msg) - 1] = '\0';
}

/* ---- bookkeeping of what the test has allocated -------------------- */

static uint64_t allocated[PA_MAX_NODES];     /* pages, per node */

static int setup(void **state)
{
    (void)state;
    arena = aligned_alloc(ARENA_ALIGN, ARENA_SIZE);
    assert_non_null(arena);
    memset(arena, 0x5a, ARENA_SIZE);
    palloc_reset();
    palloc_panic_hook = record_panic;
    hook_calls = 0;
    hook_msg[0] = '\0';
    memset(allocated, 0, sizeof(allocated));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    palloc_reset();
    free(arena);
    arena = NULL;
    return 0;
}

/* free + allocated + reserved == total for every node, totals agree */
static void check_stats(void)
{
    for (int n = 0; n < PA_MAX_NODES; n++) {
        struct palloc_stats s;
        palloc_node_stats(n, &s);
        assert_int_equal(s.free_pages + allocated[n] + s.reserved_pages, s.total_pages);
        uint64_t sum = s.pcp_pages;         /* free single pages on the node's list */
        for (unsigned o = 0; o <= MAX_ORDER; o++)
            sum += s.free_blocks[o] << o;
        assert_int_equal(sum, s.free_pages);
    }
}

static void check_all(void)
{
    assert_int_equal(palloc_check(), 0);
    check_stats();
}

static phys_addr_t t_alloc(unsigned order, int node, unsigned flags)
{
    phys_addr_t pa = palloc_alloc(order, node, flags);
    if (pa) {
        assert_int_equal(pa & ((PAGE_SIZE << order) - 1), 0);
        struct page *p = phys_to_page(pa);
        assert_non_null(p);
        assert_int_equal(p->flags, PG_HEAD);
        assert_int_equal(p->order, order);
        assert_int_equal(p->refcount, 1);
        assert_int_equal(p->mapcount, 0);
        if (node >= 0 && (flags & PA_NODE_STRICT))
            assert_int_equal(p->node, node);
        allocated[p->node] += 1ull << order;
    }
    return pa;
}

static void t_free(phys_addr_t pa, unsigned order)
{
    struct page *p = phys_to_page(pa);
    assert_non_null(p);
    int node = p->node;
    int calls = hook_calls;
    palloc_free(pa, order);
    assert_int_equal(hook_calls, calls);
    allocated[node] -= 1ull << order;
}

static void stats0(struct palloc_stats *s) { palloc_node_stats(0, s); }

static void assert_stats_eq(const struct palloc_stats *a, const struct palloc_stats *b)
{
    assert_memory_equal(a, b, sizeof(*a));
}

static uint64_t memmap_pages_for(uint64_t npages)
{
    return (npages * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* ---- tests --------------------------------------------------------- */

static void test_init_basic(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_nr_nodes(), 1);
    assert_null(phys_to_page(A));                    /* not before init */
    assert_int_equal(palloc_init(), 0);

    struct palloc_stats s;
    stats0(&s);
    uint64_t mm = memmap_pages_for(2048);
    assert_int_equal(s.total_pages, 2048);
    assert_int_equal(s.reserved_pages, mm);
    assert_int_equal(s.free_pages, 2048 - mm);
    assert_int_equal(s.free_blocks[MAX_ORDER], 1);  /* lower 4 MiB intact */
    check_all();

    /* memmap lives inside the range, in its reserved pages */
    struct page *map = phys_to_page(A);
    phys_addr_t m = (phys_addr_t)(uintptr_t)map;
    assert_true(m >= A && m + 2048 * sizeof(struct page) <= A + 8 * MiB);
    assert_int_equal(phys_to_page(m & ~(phys_addr_t)(PAGE_SIZE - 1))->flags, PG_RESERVED);

    /* phys <-> page round trip */
    for (uint64_t i = 0; i < 2048; i++) {
        phys_addr_t pa = A + PG(i);
        struct page *p = phys_to_page(pa);
        assert_ptr_equal(p, map + i);
        assert_ptr_equal(phys_to_page(pa + 123), p);
        assert_int_equal(page_to_phys(p), pa);
        assert_int_equal(page_to_pfn(p), pa >> PAGE_SHIFT);
        assert_ptr_equal(pfn_to_page(pa >> PAGE_SHIFT), p);
        assert_int_equal(p->node, 0);
    }
    assert_null(phys_to_page(A - 1));
    assert_null(phys_to_page(A + 8 * MiB));
    struct page fake;
    assert_int_equal(page_to_phys(&fake), 0);
    assert_null(page_head(&fake));
    assert_int_equal(page_to_phys((struct page *)((char *)map + 1)), 0);
}

static void test_alignment_every_order(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        phys_addr_t pa = t_alloc(o, 0, 0);
        assert_true(pa != 0);
        assert_int_equal(pa % (PAGE_SIZE << o), 0);
        struct page *h = phys_to_page(pa);
        for (uint64_t i = 1; i < (1ull << o); i++) {
            struct page *t = phys_to_page(pa + PG(i));
            assert_int_equal(t->flags, PG_TAIL);
            assert_ptr_equal(page_head(t), h);
        }
        assert_ptr_equal(page_head(h), h);
        check_all();
        t_free(pa, o);
        check_all();
    }
    assert_null(palloc_alloc(MAX_ORDER + 1, 0, 0) ? (void *)1 : NULL);
}

/* Greedily allocate blocks of decreasing order in [lo, hi); check each. */
static unsigned fill_greedy(phys_addr_t lo, phys_addr_t hi, phys_addr_t *out, unsigned *orders, unsigned max)
{
    unsigned n = 0;
    for (int o = MAX_ORDER; o >= 0; o--) {
        phys_addr_t pa;
        while ((pa = t_alloc((unsigned)o, -1, 0)) != 0) {
            assert_true(n < max);
            assert_int_equal(pa % (PAGE_SIZE << o), 0);
            assert_true(pa >= lo && pa + (PAGE_SIZE << o) <= hi);
            out[n] = pa;
            orders[n++] = (unsigned)o;
        }
    }
    return n;
}

static void test_unaligned_range(void **state)
{
    (void)state;
    /* byte-unaligned both ends: pages [A+2p, A+2047p) */
    assert_int_equal(palloc_add_range(A + 0x1234, 8 * MiB - 0x1234 - 0x321, 0), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats s0;
    stats0(&s0);
    assert_int_equal(s0.total_pages, 2045);
    assert_null(phys_to_page(A + PG(1)));
    assert_non_null(phys_to_page(A + PG(2)));
    assert_non_null(phys_to_page(A + PG(2046)));
    assert_null(phys_to_page(A + PG(2047)));
    /* no 4 MiB-aligned 4 MiB block fits in the range */
    assert_int_equal(s0.free_blocks[MAX_ORDER], 0);
    assert_int_equal(palloc_alloc(MAX_ORDER, 0, 0), 0);
    check_all();

    static phys_addr_t blocks[4096];
    static unsigned orders[4096];
    unsigned n = fill_greedy(A + PG(2), A + PG(2047), blocks, orders, 4096);
    assert_true(n > 0);
    check_all();
    struct palloc_stats s;
    stats0(&s);
    assert_int_equal(s.free_pages, 0);
    for (unsigned i = 0; i < n; i++)
        t_free(blocks[i], orders[i]);
    stats0(&s);
    assert_stats_eq(&s, &s0);
    check_all();
}

static void test_unaligned_start_alignment(void **state)
{
    (void)state;
    /* range starting 3 pages + 123 bytes in: every order must still be
     * naturally aligned in physical address */
    phys_addr_t base = A + PG(3) + 123, end = A + 12 * MiB - PG(5) - 77;
    assert_int_equal(palloc_add_range(base, end - base, 0), 0);
    assert_int_equal(palloc_init(), 0);
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        phys_addr_t pa = t_alloc(o, 0, 0);
        assert_true(pa != 0);
        assert_int_equal(pa % (PAGE_SIZE << o), 0);
        assert_true(pa >= A + PG(4) && pa + (PAGE_SIZE << o) <= A + 12 * MiB - PG(6));
        t_free(pa, o);
    }
    static phys_addr_t blocks[4096];
    static unsigned orders[4096];
    unsigned n = fill_greedy(A + PG(4), A + 12 * MiB - PG(6), blocks, orders, 4096);
    assert_true(n > 0);
    check_all();
    for (unsigned i = 0; i < n; i++)
        t_free(blocks[i], orders[i]);
    check_all();
}

static bool in(phys_addr_t pa, phys_addr_t lo, phys_addr_t hi) { return pa >= lo && pa < hi; }

static void test_reserve_before_init(void **state)
{
    (void)state;
    /* before add_range: unaligned, inside -> pages 256..258 */
    assert_int_equal(palloc_reserve(A + 1 * MiB + 100, PG(3) - 100), 0);
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    /* overlapping the start of the range: 16 pages inside */
    assert_int_equal(palloc_reserve(A - 64 * KiB, 128 * KiB), 0);
    /* overlapping the end: 8 pages inside */
    assert_int_equal(palloc_reserve(A + 8 * MiB - 32 * KiB, 64 * KiB), 0);
    /* entirely outside */
    assert_int_equal(palloc_reserve(A + 10 * MiB, 1 * MiB), 0);
    /* two overlapping ones inside -> 4 pages */
    assert_int_equal(palloc_reserve(A + 2 * MiB, PG(2)), 0);
    assert_int_equal(palloc_reserve(A + 2 * MiB + PG(1), PG(3)), 0);
    /* wrapping past the top of the address space: clamped, outside */
    assert_int_equal(palloc_reserve(UINT64_MAX - PAGE_SIZE, PG(4)), 0);
    /* zero size: no-op */
    assert_int_equal(palloc_reserve(A + 3 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);

    struct palloc_stats s0;
    stats0(&s0);
    uint64_t mm = memmap_pages_for(2048);
    assert_int_equal(s0.total_pages, 2048);
    assert_int_equal(s0.reserved_pages, mm + 3 + 16 + 8 + 4);
    check_all();

    struct { phys_addr_t lo, hi; } r[] = {
        { A + 1 * MiB, A + 1 * MiB + PG(3) },
        { A, A + 64 * KiB },
        { A + 8 * MiB - 32 * KiB, A + 8 * MiB },
        { A + 2 * MiB, A + 2 * MiB + PG(4) },
    };
    for (unsigned i = 0; i < 4; i++)
        for (phys_addr_t pa = r[i].lo; pa < r[i].hi; pa += PAGE_SIZE)
            assert_int_equal(phys_to_page(pa)->flags, PG_RESERVED);
    assert_int_equal(phys_to_page(A + 1 * MiB + PG(3))->flags & PG_RESERVED, 0);
    assert_null(phys_to_page(A + 10 * MiB));

    /* memmap is below the end reservation, not overlapping any */
    phys_addr_t m = (phys_addr_t)(uintptr_t)phys_to_page(A);
    phys_addr_t me = m + 2048 * sizeof(struct page);
    for (unsigned i = 0; i < 4; i++)
        assert_true(me <= r[i].lo || m >= r[i].hi);

    /* hand out everything: never a reserved page */
    static phys_addr_t pages[2048];
    unsigned n = 0;
    phys_addr_t pa;
    while ((pa = t_alloc(0, 0, 0)) != 0) {
        for (unsigned i = 0; i < 4; i++)
            assert_false(in(pa, r[i].lo, r[i].hi));
        assert_false(in(pa, m & ~(phys_addr_t)(PAGE_SIZE - 1), me));
        pages[n++] = pa;
    }
    assert_int_equal(n, 2048 - s0.reserved_pages);
    check_all();
    for (unsigned i = 0; i < n; i++)
        t_free(pages[i], 0);
    struct palloc_stats s;
    stats0(&s);
    assert_stats_eq(&s, &s0);
    check_all();
}

static void test_reserve_after_init(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats s0, s;
    stats0(&s0);

    /* carve 3 pages out of the free 4 MiB block */
    assert_int_equal(palloc_reserve(A + 1 * MiB + PG(5), PG(3)), 0);
    stats0(&s);
    assert_int_equal(s.reserved_pages, s0.reserved_pages + 3);
    assert_int_equal(s.free_pages, s0.free_pages - 3);
    assert_int_equal(s.free_blocks[MAX_ORDER], 0);
    for (unsigned i = 5; i < 8; i++)
        assert_int_equal(phys_to_page(A + 1 * MiB + PG(i))->flags, PG_RESERVED);
    check_all();

    /* overlapping existing reservation + outside: only new pages count */
    assert_int_equal(palloc_reserve(A + 1 * MiB + PG(6), PG(4)), 0);
    assert_int_equal(palloc_reserve(A + 9 * MiB, PG(4)), 0);
    stats0(&s);
    assert_int_equal(s.reserved_pages, s0.reserved_pages + 5);
    check_all();

    /* allocated page inside: refused, nothing changes */
    phys_addr_t pa = t_alloc(0, 0, 0);
    assert_true(pa != 0);
    struct palloc_stats before;
    stats0(&before);
    assert_int_equal(palloc_reserve(pa - PAGE_SIZE, PG(3)), PA_EBUSY);
    stats0(&s);
    assert_stats_eq(&s, &before);
    assert_int_equal(phys_to_page(pa)->flags, PG_HEAD);
    check_all();

    /* reserved pages are never handed out, and can't be freed */
    hook_calls = 0;
    palloc_free(A + 1 * MiB + PG(5), 0);
    assert_int_equal(hook_calls, 1);
    stats0(&s);
    assert_stats_eq(&s, &before);
    phys_addr_t got;
    while ((got = t_alloc(0, 0, 0)) != 0)
        assert_false(in(got, A + 1 * MiB + PG(5), A + 1 * MiB + PG(10)));
    check_all();
}

static void test_reserve_covers_range(void **state)
{
    (void)state;
    /* fully reserved range is skipped; another range still works */
    assert_int_equal(palloc_add_range(A, 1 * MiB, 0), 0);
    assert_int_equal(palloc_add_range(A + 4 * MiB, 4 * MiB, 1), 0);
    assert_int_equal(palloc_reserve(A - PAGE_SIZE, 1 * MiB + 2 * PAGE_SIZE), 0);
    assert_int_equal(palloc_init(), 0);
    assert_null(phys_to_page(A));
    assert_non_null(phys_to_page(A + 4 * MiB));
    struct palloc_stats s;
    stats0(&s);
    assert_int_equal(s.total_pages, 0);
    assert_int_equal(palloc_nr_nodes(), 2);
    /* the skipped range was not touched */
    for (size_t i = 0; i < 1 * MiB; i++)
        if (arena[i] != 0x5a)
            fail_msg("skipped range modified at %zu", i);
    check_all();
}

static void test_reserve_all_but_small_hole(void **state)
{
    (void)state;
    /* a hole too small for the memmap -> range unusable -> ENOMEM */
    assert_int_equal(palloc_add_range(A, 4 * MiB, 0), 0);
    assert_int_equal(palloc_reserve(A, 2 * MiB), 0);
    assert_int_equal(palloc_reserve(A + 2 * MiB + PG(2), 2 * MiB), 0);
    assert_int_equal(palloc_init(), PA_ENOMEM);
    assert_int_equal(palloc_alloc(0, -1, 0), 0);
}

static void test_memmap_avoids_reserve(void **state)
{
    (void)state;
    /* reserve the top 1 MiB and a 64 KiB hole just below */
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_reserve(A + 7 * MiB, 1 * MiB), 0);
    assert_int_equal(palloc_reserve(A + 7 * MiB - 64 * KiB - PG(10), 64 * KiB), 0);
    assert_int_equal(palloc_init(), 0);
    phys_addr_t m = (phys_addr_t)(uintptr_t)phys_to_page(A);
    phys_addr_t me = m + 2048 * sizeof(struct page);
    assert_true(me <= A + 7 * MiB - 64 * KiB - PG(10));
    assert_int_equal(phys_to_page(m)->flags, PG_RESERVED);
    struct palloc_stats s;
    stats0(&s);
    assert_int_equal(s.reserved_pages, 256 + 16 + memmap_pages_for(2048));
    check_all();
}

static void test_exhaustion_and_full_merge(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats s0, s;
    stats0(&s0);

    static phys_addr_t pages[2048];
    static uint8_t seen[2048];
    memset(seen, 0, sizeof(seen));
    uint64_t n = 0;
    for (; n < s0.free_pages; n++) {
        pages[n] = t_alloc(0, 0, 0);
        assert_true(pages[n] != 0);
        uint64_t idx = (pages[n] - A) / PAGE_SIZE;
        assert_true(idx < 2048);
        assert_int_equal(seen[idx], 0);
        seen[idx] = 1;
        if (n % 128 == 0)
            check_all();
    }
    assert_int_equal(palloc_alloc(0, 0, 0), 0);
    assert_int_equal(palloc_alloc(0, -1, 0), 0);
    stats0(&s);
    assert_int_equal(s.free_pages, 0);
    check_all();

    for (uint64_t i = 0; i < n; i++)
        t_free(pages[i], 0);
    stats0(&s);
    assert_stats_eq(&s, &s0);
    check_all();

    phys_addr_t big = t_alloc(MAX_ORDER, 0, 0);
    assert_int_equal(big, A);
    assert_int_equal(palloc_alloc(MAX_ORDER, 0, 0), 0);   /* only one 4 MiB block */
    phys_addr_t half = t_alloc(MAX_ORDER - 1, 0, 0);
    assert_true(half != 0);
    check_all();
    t_free(big, MAX_ORDER);
    t_free(half, MAX_ORDER - 1);
    stats0(&s);
    assert_stats_eq(&s, &s0);
}

static void test_fragmentation(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats s0, s;
    stats0(&s0);

    static phys_addr_t pages[2048];
    uint64_t n = 0;
    phys_addr_t pa;
    while ((pa = t_alloc(0, 0, 0)) != 0)
        pages[n++] = pa;
    assert_int_equal(n, s0.free_pages);

    uint64_t freed = 0;
    for (uint64_t i = 0; i < n; i++)
        if (((pages[i] >> PAGE_SHIFT) & 1) == 0) {
            t_free(pages[i], 0);
            freed++;
        }
    stats0(&s);
    assert_int_equal(s.free_pages, freed);
    assert_int_equal(s.free_blocks[0], freed);
    assert_true(freed >= n / 2 - 1);
    int calls = hook_calls;
    for (unsigned o = 1; o <= MAX_ORDER; o++) {
        assert_int_equal(s.free_blocks[o], 0);
        assert_int_equal(palloc_alloc(o, -1, 0), 0);
    }
    assert_int_equal(hook_calls, calls);
    check_all();

    for (uint64_t i = 0; i < n; i++)
        if ((pages[i] >> PAGE_SHIFT) & 1)
            t_free(pages[i], 0);
    stats0(&s);
    assert_stats_eq(&s, &s0);
    check_all();
    assert_int_equal(t_alloc(MAX_ORDER, 0, 0), A);
}

/* Whatever the user writes into its pages (here: fake "free" struct pages)
 * must not confuse the allocator, e.g. a buddy just outside the range. */
static void fill_fake_pages(phys_addr_t pa, uint64_t bytes, phys_addr_t map)
{
    struct page fake;
    memset(&fake, 0, sizeof(fake));
    fake.flags = PG_FREE;
    fake.order = 0;
    /* slots lined up with the real memmap, so map[-1] etc. look free */
    uint64_t off = (map - pa) % sizeof(fake);
    for (; off + sizeof(fake) <= bytes; off += sizeof(fake))
        memcpy((void *)(uintptr_t)(pa + off), &fake, sizeof(fake));
}

static void test_page_contents_irrelevant(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A + PG(1), 8 * MiB - PG(2), 0), 0);
    assert_int_equal(palloc_init(), 0);
    phys_addr_t map = (phys_addr_t)(uintptr_t)phys_to_page(A + PG(1));
    fill_fake_pages(A, PAGE_SIZE, map);
    struct palloc_stats s0, s;
    stats0(&s0);
    static phys_addr_t pages[2048];
    uint64_t n = 0;
    phys_addr_t pa;
    while ((pa = t_alloc(0, 0, 0)) != 0) {
        fill_fake_pages(pa, PAGE_SIZE, map);
        pages[n++] = pa;
    }
    for (uint64_t i = 0; i < n; i++) {
        t_free(pages[i], 0);
        if (i % 256 == 0)
            check_all();
    }
    stats0(&s);
    assert_stats_eq(&s, &s0);
    check_all();
}

static void test_two_nodes(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A + 8 * MiB, 8 * MiB, 1), 0);   /* listed first */
    assert_int_equal(palloc_add_range(A, 8 * MiB, -1), 0);            /* -1 -> node 0 */
    assert_int_equal(palloc_nr_nodes(), 2);
    assert_int_equal(palloc_init(), 0);
    assert_int_equal(palloc_nr_nodes(), 2);

    struct palloc_stats n0, n1, s;
    palloc_node_stats(0, &n0);
    palloc_node_stats(1, &n1);
    assert_int_equal(n0.total_pages, 2048);
    assert_int_equal(n1.total_pages, 2048);
    palloc_node_stats(2, &s);
    assert_int_equal(s.total_pages, 0);
    palloc_node_stats(-1, &s);
    assert_int_equal(s.total_pages, 0);
    palloc_node_stats(PA_MAX_NODES, &s);
    assert_int_equal(s.total_pages, 0);
    assert_int_equal(phys_to_page(A)->node, 0);
    assert_int_equal(phys_to_page(A + 8 * MiB)->node, 1);

    phys_addr_t p1 = t_alloc(0, 1, 0);
    assert_true(in(p1, A + 8 * MiB, A + 16 * MiB));
    phys_addr_t p0 = t_alloc(0, 0, 0);
    assert_true(in(p0, A, A + 8 * MiB));
    phys_addr_t pany = t_alloc(0, -1, 0);
    assert_true(in(pany, A, A + 8 * MiB));
    check_all();

    /* invalid requests */
    assert_int_equal(palloc_alloc(0, PA_MAX_NODES, 0), 0);
    assert_int_equal(palloc_alloc(0, -2, 0), 0);
    assert_int_equal(palloc_alloc(MAX_ORDER + 1, -1, 0), 0);
    /* empty node: strict fails, otherwise falls back */
    assert_int_equal(palloc_alloc(0, 3, PA_NODE_STRICT), 0);
    phys_addr_t p3 = t_alloc(0, 3, 0);
    assert_true(in(p3, A, A + 8 * MiB));

    /* exhaust node 1 with STRICT */
    static phys_addr_t pages[2048];
    palloc_node_stats(1, &n1);
    uint64_t n = 0;
    phys_addr_t pa;
    while ((pa = t_alloc(0, 1, PA_NODE_STRICT)) != 0) {
        assert_true(in(pa, A + 8 * MiB, A + 16 * MiB));
        pages[n++] = pa;
    }
    assert_int_equal(n, n1.free_pages);
    assert_int_equal(palloc_alloc(0, 1, PA_NODE_STRICT), 0);
    assert_int_equal(palloc_alloc(MAX_ORDER, 1, PA_NODE_STRICT), 0);
    /* fallback */
    phys_addr_t fb = t_alloc(0, 1, 0);
    assert_true(in(fb, A, A + 8 * MiB));
    assert_int_equal(phys_to_page(fb)->node, 0);
    phys_addr_t fb10 = t_alloc(MAX_ORDER, 1, 0);
    assert_int_equal(fb10, A);
    check_all();

    for (uint64_t i = 0; i < n; i++)
        t_free(pages[i], 0);
    t_free(fb, 0);
    t_free(fb10, MAX_ORDER);
    t_free(p0, 0);
    t_free(p1, 0);
    t_free(pany, 0);
    t_free(p3, 0);
    palloc_node_stats(0, &s);
    assert_int_equal(s.free_pages + s.reserved_pages, s.total_pages);
    assert_int_equal(s.free_blocks[MAX_ORDER], 1);
    palloc_node_stats(1, &s);
    assert_int_equal(s.free_pages + s.reserved_pages, s.total_pages);
    assert_int_equal(s.free_blocks[MAX_ORDER], 1);
    check_all();
}

/* Adjacent ranges whose boundary is not 4 MiB aligned: no block may straddle
 * it, neither across nodes nor between two ranges of one node. */
static void check_no_straddle(int node_b)
{
    assert_int_equal(palloc_add_range(A, 6 * MiB, 0), 0);
    assert_int_equal(palloc_add_range(A + 6 * MiB, 6 * MiB, node_b), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats a0, b0, s;
    palloc_node_stats(0, &a0);
    palloc_node_stats(node_b, &b0);

    static phys_addr_t pages[4096];
    uint64_t n = 0;
    phys_addr_t pa;
    while ((pa = t_alloc(0, -1, 0)) != 0)
        pages[n++] = pa;
    check_all();
    for (uint64_t i = 0; i < n; i++)
        t_free(pages[i], 0);
    check_all();
    palloc_node_stats(0, &s);
    if (node_b == 0) {
        assert_stats_eq(&s, &a0);
    } else {
        assert_stats_eq(&s, &a0);
        palloc_node_stats(node_b, &s);
        assert_stats_eq(&s, &b0);
    }
    /* every order-10/9 block lies in one range */
    for (int o = MAX_ORDER; o >= 9; o--)
        while ((pa = t_alloc((unsigned)o, -1, 0)) != 0) {
            phys_addr_t end = pa + (PAGE_SIZE << o);
            assert_false(pa < A + 6 * MiB && end > A + 6 * MiB);
        }
    check_all();
}

static void test_no_merge_across_nodes(void **state)
{
    (void)state;
    check_no_straddle(1);
}

static void test_no_merge_across_ranges(void **state)
{
    (void)state;
    check_no_straddle(0);
}

static void expect_bad_free(phys_addr_t pa, unsigned order, const char *substr)
{
    struct page *map = phys_to_page(A);
    static struct page snap[2048];
    memcpy(snap, map, sizeof(snap));
    struct palloc_stats before, after;
    stats0(&before);
    int calls = hook_calls;
    palloc_free(pa, order);
    assert_int_equal(hook_calls, calls + 1);
    if (substr && !strstr(hook_msg, substr))
        fail_msg("panic message \"%s\" lacks \"%s\"", hook_msg, substr);
    stats0(&after);
    assert_stats_eq(&after, &before);
    assert_memory_equal(map, snap, sizeof(snap));   /* metadata untouched */
    check_all();
}

static void test_bad_free(void **state)
{
    (void)state;
    /* before init */
    palloc_free(A, 0);
    assert_int_equal(hook_calls, 1);

    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    phys_addr_t a = t_alloc(2, 0, 0);
    phys_addr_t b = t_alloc(0, 0, 0);
    phys_addr_t c = t_alloc(0, 0, 0);
    assert_true(a && b && c);
    check_all();

    expect_bad_free(a, 1, "wrong order");
    expect_bad_free(a, 0, "wrong order");
    expect_bad_free(a, 3, (a & PG(4)) ? "misaligned" : "wrong order");
    expect_bad_free(a + PG(1), 0, "tail");
    expect_bad_free(a + PG(2), 1, "tail");
    expect_bad_free(a + 1, 2, "misaligned");
    expect_bad_free(a + PG(1), 2, "misaligned");
    expect_bad_free(a, MAX_ORDER + 1, "order");
    expect_bad_free(A + 8 * MiB - PAGE_SIZE, 0, "reserved");   /* memmap page */
    expect_bad_free(A + 9 * MiB, 0, "outside");
    expect_bad_free(A - PAGE_SIZE, 0, "outside");
    expect_bad_free(0, 0, "outside");

    /* double free of b: first ok, second detected */
    t_free(b, 0);
    check_all();
    expect_bad_free(b, 0, "double free");
    /* never-allocated page inside a free block */
    expect_bad_free(A + 1 * MiB, 0, "not allocated");
    /* free head of a large free block */
    expect_bad_free(A, MAX_ORDER, "free");

    t_free(a, 2);
    expect_bad_free(a, 2, "double free");
    t_free(c, 0);
    check_all();
}

static void test_zero(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    for (unsigned o = 0; o <= MAX_ORDER; o += 3) {
        phys_addr_t pa = t_alloc(o, 0, 0);
        assert_true(pa != 0);
        memset((void *)(uintptr_t)pa, 0xa5, PAGE_SIZE << o);
        t_free(pa, o);
        phys_addr_t pz = t_alloc(o, 0, PA_ZERO);
        assert_int_equal(pz, pa);                   /* LIFO: same block back */
        const uint8_t *z = (const uint8_t *)(uintptr_t)pz;
        for (uint64_t i = 0; i < (PAGE_SIZE << o); i++)
            if (z[i])
                fail_msg("byte %llu of order-%u block not zero", (unsigned long long)i, o);
        t_free(pz, o);
    }
    /* PA_ZERO on a node fallback path too */
    phys_addr_t pa = t_alloc(1, 5, PA_ZERO);
    assert_true(pa != 0);
    for (uint64_t i = 0; i < PG(2); i++)
        assert_int_equal(((uint8_t *)(uintptr_t)pa)[i], 0);
    t_free(pa, 1);
    check_all();
}

static void test_api_errors(void **state)
{
    (void)state;
    assert_int_equal(palloc_nr_nodes(), 0);
    assert_int_equal(palloc_init(), PA_ENOMEM);                 /* nothing */
    assert_int_equal(palloc_add_range(A, 0, 0), PA_EINVAL);
    assert_int_equal(palloc_add_range(A, 1 * MiB, PA_MAX_NODES), PA_EINVAL);
    assert_int_equal(palloc_add_range(A, 1 * MiB, -2), PA_EINVAL);
    assert_int_equal(palloc_add_range(A + 100, 200, 0), PA_EINVAL); /* no whole page */
    assert_int_equal(palloc_add_range(UINT64_MAX - PAGE_SIZE, PG(4), 0), PA_EINVAL);
    assert_int_equal(palloc_add_range(UINT64_MAX - 10, 5, 0), PA_EINVAL);

    /* tiny ranges only: unusable */
    assert_int_equal(palloc_add_range(A, PAGE_SIZE, 0), 0);      /* 1 page: no room */
    assert_int_equal(palloc_add_range(A + 1 * MiB, 1 * MiB, 0), 0);
    assert_int_equal(palloc_reserve(A + 1 * MiB, 1 * MiB), 0);
    assert_int_equal(palloc_init(), PA_ENOMEM);
    palloc_reset();

    /* overlap, table full */
    assert_int_equal(palloc_add_range(A, 1 * MiB, 0), 0);
    assert_int_equal(palloc_add_range(A + 1 * MiB - PAGE_SIZE, 1 * MiB, 0), PA_EEXIST);
    assert_int_equal(palloc_add_range(A - PAGE_SIZE, 2 * PAGE_SIZE, 0), PA_EEXIST);
    /* touching but rounding apart -> fine */
    assert_int_equal(palloc_add_range(A + 1 * MiB + 10, 1 * MiB, 0), 0);
    for (unsigned i = 2; i < PA_MAX_RANGES; i++)
        assert_int_equal(palloc_add_range(A + 2 * MiB + PG(8) * i, PG(8), i % PA_MAX_NODES), 0);
    assert_int_equal(palloc_add_range(A + 15 * MiB, 1 * MiB, 0), PA_ENOSPC);
    assert_int_equal(palloc_nr_nodes(), PA_MAX_NODES);

    /* reserve table: disjoint entries fill it, merging ones don't */
    for (unsigned i = 0; i < PA_MAX_RESERVED; i++)
        assert_int_equal(palloc_reserve(A + 12 * MiB + PG(2) * i, PAGE_SIZE), 0);
    assert_int_equal(palloc_reserve(A + 14 * MiB, PAGE_SIZE), PA_ENOSPC);
    assert_int_equal(palloc_reserve(A + 12 * MiB + PAGE_SIZE, PAGE_SIZE), 0);    /* merges 3 -> 1 */
    assert_int_equal(palloc_reserve(A + 14 * MiB, PAGE_SIZE), 0);

    assert_int_equal(palloc_init(), 0);
    assert_int_equal(palloc_init(), PA_EBUSY);
    assert_int_equal(palloc_add_range(A + 15 * MiB, 1 * MiB, 0), PA_EBUSY);
    /* 8-page ranges: 1 memmap page, 7 free, naturally aligned blocks */
    for (unsigned i = 2; i < PA_MAX_RANGES; i++) {
        struct page *p = phys_to_page(A + 2 * MiB + PG(8) * i);
        assert_non_null(p);
        assert_int_equal(p->node, i % PA_MAX_NODES);
    }
    assert_int_equal(palloc_nr_nodes(), PA_MAX_NODES);
    check_all();

    /* reset and reuse */
    palloc_reset();
    assert_int_equal(palloc_nr_nodes(), 0);
    assert_null(phys_to_page(A));
    assert_int_equal(palloc_alloc(0, -1, 0), 0);
    assert_int_equal(palloc_add_range(A, 2 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    assert_true(t_alloc(0, 0, 0) != 0);
    check_all();
}

/* ---- randomized ---------------------------------------------------- */

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct live { phys_addr_t pa; unsigned order; };

static uint64_t random_run(uint64_t seed, unsigned ops, unsigned pcp)
{
    static uint8_t bitmap[ARENA_PAGES / 8];
    static struct live live[8192];
    unsigned nlive = 0;
    memset(bitmap, 0, sizeof(bitmap));
    memset(allocated, 0, sizeof(allocated));
    palloc_reset();

    /* two nodes, unaligned ranges, reservations inside and across */
    assert_int_equal(palloc_add_range(A + PG(3) + 17, 7 * MiB - PG(3) - 17 + 0x800, 0), 0);
    assert_int_equal(palloc_add_range(A + 7 * MiB + PG(3), 9 * MiB - PG(5), 1), 0);
    assert_int_equal(palloc_reserve(A + 1 * MiB, 40 * KiB), 0);
    assert_int_equal(palloc_reserve(A + 7 * MiB - PG(2), PG(8)), 0);
    assert_int_equal(palloc_init(), 0);
    assert_int_equal(palloc_reserve(A + 9 * MiB + 5, 100 * KiB), 0);
    palloc_set_pcp(pcp);
    struct palloc_stats init[2];
    palloc_node_stats(0, &init[0]);
    palloc_node_stats(1, &init[1]);
    check_all();

    rng = seed;
    uint64_t hash = 1469598103934665603ull;
    for (unsigned op = 0; op < ops; op++) {
        if (nlive == 0 || (nlive < 8192 && rnd() % 100 < 55)) {
            unsigned order = (rnd() % 100 < 60) ? 0 : (unsigned)(rnd() % (MAX_ORDER + 1));
            int node = (int)(rnd() % 3) - 1;
            unsigned flags = (rnd() % 4 == 0) ? PA_NODE_STRICT : 0;
            phys_addr_t pa = t_alloc(order, node, flags);
            hash = (hash ^ (pa ? pa - A : 0)) * 1099511628211ull;
            if (!pa) {
                /* failure must be genuine: no block of >= order where allowed */
                for (int n = 0; n < 2; n++) {
                    if (node >= 0 && (flags & PA_NODE_STRICT) && n != node)
                        continue;
                    struct palloc_stats s;
                    palloc_node_stats(n, &s);
                    for (unsigned o = order; o <= MAX_ORDER; o++)
                        assert_int_equal(s.free_blocks[o], 0);
                    if (order == 0)
                        assert_int_equal(s.pcp_pages, 0);
                }
                continue;
            }
            uint64_t first = (pa - A) / PAGE_SIZE;
            assert_true(pa >= A && first + (1ull << order) <= ARENA_PAGES);
            for (uint64_t i = first; i < first + (1ull << order); i++) {
                assert_int_equal(bitmap[i / 8] & (1u << (i % 8)), 0);   /* overlap */
                bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
                assert_int_equal(phys_to_page(A + PG(i))->flags & PG_RESERVED, 0);
            }
            live[nlive++] = (struct live){ pa, order };
        } else {
            unsigned k = (unsigned)(rnd() % nlive);
            struct live l = live[k];
            live[k] = live[--nlive];
            uint64_t first = (l.pa - A) / PAGE_SIZE;
            for (uint64_t i = first; i < first + (1ull << l.order); i++)
                bitmap[i / 8] &= (uint8_t)~(1u << (i % 8));
            t_free(l.pa, l.order);
        }
        check_stats();
        if (op % 4999 == 0)
            assert_int_equal(palloc_check(), 0);
        if (pcp && op % 9973 == 0)
            palloc_drain_pcp();             /* lists emptied in the middle of it all */
    }
    check_all();
    while (nlive) {
        nlive--;
        t_free(live[nlive].pa, live[nlive].order);
    }
    check_all();
    palloc_drain_pcp();                     /* then everything merges back */
    check_all();
    struct palloc_stats s;
    palloc_node_stats(0, &s);
    assert_stats_eq(&s, &init[0]);
    palloc_node_stats(1, &s);
    assert_stats_eq(&s, &init[1]);
    return hash;
}

static void test_random(void **state)
{
    (void)state;
    uint64_t h1 = random_run(0x9e3779b97f4a7c15ull, 100000, 0);
    uint64_t h2 = random_run(0x9e3779b97f4a7c15ull, 100000, 0);
    assert_int_equal(h1, h2);                       /* deterministic */
    assert_int_equal(hook_calls, 0);
}

/* The same with per-node page lists (small and large high marks). */
static void test_random_pcp(void **state)
{
    (void)state;
    uint64_t h1 = random_run(0x2545f4914f6cdd1dull, 100000, 32);
    uint64_t h2 = random_run(0x2545f4914f6cdd1dull, 100000, 32);
    assert_int_equal(h1, h2);
    random_run(0x9e3779b97f4a7c15ull, 100000, PALLOC_PCP_MAX);
    assert_int_equal(hook_calls, 0);
}

static int cmp_pa(const void *a, const void *b)
{
    phys_addr_t x = *(const phys_addr_t *)a, y = *(const phys_addr_t *)b;
    return x < y ? -1 : x > y;
}

/* Per-node page lists: refill by a 16-page block (lowest address first),
 * frees pushed, trimmed above the high mark, drained by a failing
 * higher-order allocation, a listed page's second free refused. */
static void test_pcp(void **state)
{
    (void)state;
    assert_int_equal(palloc_add_range(A, 8 * MiB, 0), 0);
    assert_int_equal(palloc_init(), 0);
    struct palloc_stats s0, s;
    stats0(&s0);
    palloc_set_pcp(64);
    stats0(&s);
    assert_stats_eq(&s, &s0);                       /* turning them on moves nothing */

    phys_addr_t a = t_alloc(0, 0, 0), b = t_alloc(0, -1, PA_ZERO);
    assert_int_equal(b, a + PAGE_SIZE);             /* the block's pages in order */
    assert_int_equal(a % (16 * PAGE_SIZE), (A % (16 * PAGE_SIZE)));   /* a 16-page block */
    stats0(&s);
    assert_int_equal(s.pcp_pages, 14);              /* 16 taken at once, 2 handed out */
    assert_int_equal(s.free_pages, s0.free_pages - 2);
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        assert_int_equal(arena[b - A + i], 0);
    check_all();

    t_free(a, 0);
    stats0(&s);
    assert_int_equal(s.pcp_pages, 15);
    assert_int_equal(phys_to_page(a)->flags, PG_PCP);
    assert_int_equal(t_alloc(0, 0, 0), a);          /* last freed, first reused */
    t_free(a, 0);
    int calls = hook_calls;
    palloc_free(a, 0);                              /* a second free of a listed page */
    assert_int_equal(hook_calls, calls + 1);
    assert_non_null(strstr(hook_msg, "double free"));
    stats0(&s);
    assert_int_equal(s.pcp_pages, 15);
    check_all();

    /* Every page out one by one, then back: the list keeps at most the high mark. */
    static phys_addr_t pages[2048];
    uint64_t n = 0;
    while ((pages[n] = t_alloc(0, 0, 0)) != 0)
        n++;
    assert_int_equal(n, s0.free_pages - 1);         /* b is still out */
    stats0(&s);
    assert_int_equal(s.free_pages, 0);
    for (uint64_t i = 0; i < n; i++) {
        t_free(pages[i], 0);
        stats0(&s);
        assert_true(s.pcp_pages <= 64);
    }
    t_free(b, 0);
    check_all();
    stats0(&s);
    assert_true(s.pcp_pages > 0 && s.pcp_pages <= 64);
    palloc_drain_pcp();
    stats0(&s);
    assert_stats_eq(&s, &s0);                       /* everything merged back */
    palloc_set_pcp(64);

    /* Every page out, then back highest address first: the list keeps the
     * lowest pages, which split the only 4 MiB block; a 4 MiB allocation
     * drains the list and succeeds. */
    n = 0;
    while ((pages[n] = t_alloc(0, 0, 0)) != 0)
        n++;
    qsort(pages, n, sizeof(pages[0]), cmp_pa);
    while (n)
        t_free(pages[--n], 0);
    stats0(&s);
    assert_int_equal(s.free_blocks[MAX_ORDER], 0);
    assert_int_equal(phys_to_page(A)->flags, PG_PCP);
    phys_addr_t big = t_alloc(MAX_ORDER, 0, 0);
    assert_int_equal(big, A);
    stats0(&s);
    assert_int_equal(s.pcp_pages, 0);
    t_free(big, MAX_ORDER);
    check_all();

    palloc_set_pcp(0);                              /* off: drained */
    stats0(&s);
    assert_stats_eq(&s, &s0);
    assert_int_equal(hook_calls, calls + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_init_basic),
        T(test_alignment_every_order),
        T(test_unaligned_range),
        T(test_unaligned_start_alignment),
        T(test_reserve_before_init),
        T(test_reserve_after_init),
        T(test_reserve_covers_range),
        T(test_reserve_all_but_small_hole),
        T(test_memmap_avoids_reserve),
        T(test_exhaustion_and_full_merge),
        T(test_fragmentation),
        T(test_page_contents_irrelevant),
        T(test_two_nodes),
        T(test_no_merge_across_nodes),
        T(test_no_merge_across_ranges),
        T(test_bad_free),
        T(test_zero),
        T(test_api_errors),
        T(test_random),
        T(test_random_pcp),
        T(test_pcp),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
