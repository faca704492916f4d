/*
 * mmu/page_alloc.c - physical page allocator: binary buddy system with one
 * set of free lists per NUMA node, struct page array per memory range.
 *
 * Layout decisions:
 *  - Each range keeps its own struct page array ("memmap"), carved from the
 *    highest hole of the range that avoids reserved regions.  pfn -> page is
 *    map[pfn - start_pfn].
 *  - Buddies are computed on the physical pfn (buddy = pfn ^ (1 << order)),
 *    so every block is naturally aligned in physical address whatever the
 *    range alignment.  A buddy outside the range is never merged, which
 *    keeps blocks inside one range and therefore inside one node.
 *  - Free lists are doubly linked through page->next/prev with head and
 *    tail pointers.  palloc_init() appends blocks in ascending address
 *    order, splits hand out the lower half and keep the upper half at the
 *    list head, frees push at the head (LIFO).  Fully deterministic.
 *
 * Concurrency: one spinlock (pa_lock) around every list and page-state
 * change of palloc_alloc / palloc_free / the pcp drains. A single page
 * from a per-node list is filled in (and zeroed) after the lock is
 * dropped; the slow path (buddy split, higher orders) fills in and zeroes
 * under it, which holds up other CPUs' allocations for that long.
 * Range/reserve tables are immutable after palloc_init(), which, like
 * palloc_reserve and palloc_check, runs with one CPU.
 */
#include "mmu/page_alloc.h"
#include "mmu/spinlock.h"

#if defined(__has_include)
#if __has_include(<string.h>)
#include <string.h>
#define PA_HAVE_STRING_H 1
#endif
#endif
#ifndef PA_HAVE_STRING_H
void *memset(void *s, int c, size_t n);    /* provided by the kernel */
#endif

struct pa_freelist {
    struct page *head, *tail;
};

struct pa_node {
    /* lock would go here */
    struct pa_freelist free[MAX_ORDER + 1];
    uint32_t nonempty;               /* bit o: free[o] has a block (an O(1) search) */
    struct page *pcp, *pcp_tail;     /* free single pages in front of the buddy lists */
    uint64_t pcp_count;
    uint64_t free_blocks[MAX_ORDER + 1];
    uint64_t total_pages, free_pages, reserved_pages;
};

struct pa_range {
    uint64_t start_pfn, end_pfn;     /* [start, end) in pfns */
    int node;
    bool managed;                    /* set by palloc_init() */
    struct page *map;                /* end_pfn - start_pfn entries */
};

struct pa_resv {
    uint64_t start_pfn, end_pfn;
};

uintptr_t palloc_section_base[PA_SECTIONS];

static struct pa_range ranges[PA_MAX_RANGES];
static unsigned nr_ranges;
static struct pa_resv resv[PA_MAX_RESERVED];
static unsigned nr_resv;
static struct pa_node nodes[PA_MAX_NODES];
static bool initialised;
static unsigned pcp_high;            /* 0: no page lists (the default) */

/* One lock for the allocator's lists and page states (Linux has one per
 * zone): every CPU may allocate (a fault on a secondary, a migration). */
static spinlock_t pa_lock;
static const char *free_locked(struct pa_range *r, uint64_t pfn, unsigned order);

void (*palloc_panic_hook)(const char *msg);

static void pa_panic(const char *msg)
{
    if (palloc_panic_hook)
        palloc_panic_hook(msg);
    else
        __builtin_trap();
}

/* ------------------------------------------------------------------ */
/* helpers                                                            */

static inline uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static inline struct page *range_page(const struct pa_range *r, uint64_t pfn)
{
    return &r->map[pfn - r->start_pfn];
}

static inline uint64_t range_pfn(const struct pa_range *r, const struct page *p)
{
    return r->start_pfn + (uint64_t)(p - r->map);
}

/* The range holding pfn by search (sections covered in part, or past the table). */
static struct pa_range *range_of_pfn_search(uint64_t pfn)
{
    for (unsigned i = 0; i < nr_ranges; i++) {
        struct pa_range *r = &ranges[i];
        if (r->managed && pfn >= r->start_pfn && pfn < r->end_pfn)
            return r;
    }
    return NULL;
}

static struct pa_range *range_of_pfn(uint64_t pfn)
{
    uint64_t s = pfn >> PA_SECTION_SHIFT;
    if (s < PA_SECTIONS && palloc_section_base[s])
        return &ranges[((struct page *)(palloc_section_base[s] + (uintptr_t)pfn * sizeof(struct page)))->range];
    return range_of_pfn_search(pfn);
}

/* Is p an entry of r's struct page array? Its index there in *idx. */
static inline bool range_holds(const struct pa_range *r, const struct page *p, uint64_t *idx)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)r->map;
    uint64_t i = off / sizeof(struct page);
    *idx = i;
    return r->managed && i < r->end_pfn - r->start_pfn && i * sizeof(struct page) == off;
}

/* range_of_page() for a pointer that is not what it claims: search. */
static __attribute__((noinline)) struct pa_range *range_of_page_search(const struct page *p, uint64_t *idx)
{
    for (unsigned i = 0; i < nr_ranges; i++)
        if (range_holds(&ranges[i], p, idx))
            return &ranges[i];
    return NULL;
}

/* The range whose struct page array holds p (and p's index in it), NULL if
 * p is not a managed struct page: the index p carries, checked (an
 * arbitrary pointer is refused by the search). */
static inline struct pa_range *range_of_page_idx(const struct page *p, uint64_t *idx)
{
    if ((uintptr_t)p % _Alignof(struct page) == 0) {
        unsigned i = p->range;
        if (i < nr_ranges && range_holds(&ranges[i], p, idx))
            return &ranges[i];
    }
    return range_of_page_search(p, idx);
}

static inline struct pa_range *range_of_page(const struct page *p)
{
    uint64_t idx;
    return range_of_page_idx(p, &idx);
}

/* Zero `bytes` (a multiple of 256) with plain 64-bit stores, 32 to an
 * iteration (the kernel's memset stores 8 bytes at a time too, with 4 times
 * the loop overhead). The attribute keeps the compiler from calling memset.
 * The fallback of arch_zero_pages(), and what the host tests use. */
__attribute__((optimize("O2", "no-tree-loop-distribute-patterns")))
void palloc_zero_stores(void *p, size_t bytes)
{
    uint64_t *q = p, *end = q + bytes / 8;
    for (; q < end; q += 32)
#pragma GCC unroll 32
        for (unsigned i = 0; i < 32; i++)
            q[i] = 0;
}

/* An architecture with a cache-block zeroing instruction (arm64 DC ZVA,
 * riscv Zicboz cbo.zero) overrides this. */
__attribute__((weak)) void arch_zero_pages(void *p, size_t bytes)
{
    palloc_zero_stores(p, bytes);
}

static void zero_pages(phys_addr_t pa, unsigned order)
{
    arch_zero_pages((void *)(uintptr_t)pa, PAGE_SIZE << order);
}

static void fl_remove(struct pa_node *n, unsigned order, struct page *p)
{
    struct pa_freelist *fl = &n->free[order];
    if (p->prev)
        p->prev->next = p->next;
    else
        fl->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        fl->tail = p->prev;
    if (!fl->head)
        n->nonempty &= ~(1u << order);
    p->next = p->prev = NULL;
    n->free_blocks[order]--;
    n->free_pages -= 1ull << order;
}

/* Make p the head of a free block of 2^order pages and put it on a list. */
static void fl_add(struct pa_node *n, unsigned order, struct page *p, bool at_tail)
{
    struct pa_freelist *fl = &n->free[order];
    n->nonempty |= 1u << order;
    p->flags = PG_FREE;
    p->order = (uint8_t)order;
    p->refcount = 0;
    p->mapcount = 0;
    p->private_data = 0;
    if (at_tail) {
        p->next = NULL;
        p->prev = fl->tail;
        if (fl->tail)
            fl->tail->next = p;
        else
            fl->head = p;
        fl->tail = p;
    } else {
        p->prev = NULL;
        p->next = fl->head;
        if (fl->head)
            fl->head->prev = p;
        else
            fl->tail = p;
        fl->head = p;
    }
    n->free_blocks[order]++;
    n->free_pages += 1ull << order;
}

/* Reset a page to "inside a free block, not a head". */
static inline void page_clear(struct page *p)
{
    p->flags = 0;
    p->order = 0;
    p->refcount = 0;
    p->mapcount = 0;
    p->next = p->prev = NULL;
    p->private_data = 0;
}

/*
 * Find the free block of range r that contains pfn.  Returns its head page
 * or NULL if pfn is not free.  A free head h <= pfn whose block does not
 * reach pfn proves pfn is not free (blocks are disjoint and aligned).
 */
static struct page *free_block_containing(const struct pa_range *r, uint64_t pfn)
{
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        uint64_t h = pfn & ~((1ull << o) - 1);
        if (h < r->start_pfn)
            return NULL;
        struct page *p = range_page(r, h);
        if (p->flags & PG_FREE)
            return (pfn - h < (1ull << p->order)) ? p : NULL;
        if (p->flags & (PG_HEAD | PG_RESERVED))
            return NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* page <-> phys                                                      */

struct page *phys_to_page(phys_addr_t pa)
{
    uint64_t pfn = pa >> PAGE_SHIFT, s = pfn >> PA_SECTION_SHIFT;
    if (s < PA_SECTIONS && palloc_section_base[s])
        return (struct page *)(palloc_section_base[s] + (uintptr_t)pfn * sizeof(struct page));
    struct pa_range *r = range_of_pfn_search(pfn);
    return r ? range_page(r, pfn) : NULL;
}

static __attribute__((noinline)) phys_addr_t page_to_phys_search(const struct page *p)
{
    uint64_t idx;
    struct pa_range *r = range_of_page_search(p, &idx);
    return r ? (phys_addr_t)(r->start_pfn + idx) << PAGE_SHIFT : 0;
}

/* The checked index first, in a leaf without a stack frame; the search for
 * a pointer that is not what it claims is out of line. */
phys_addr_t page_to_phys(const struct page *p)
{
    uint64_t idx;
    if ((uintptr_t)p % _Alignof(struct page) == 0) {
        unsigned i = p->range;
        if (i < nr_ranges && range_holds(&ranges[i], p, &idx))
            return (phys_addr_t)(ranges[i].start_pfn + idx) << PAGE_SHIFT;
    }
    return page_to_phys_search(p);
}

struct page *page_head(struct page *p)
{
    uint64_t idx;
    struct pa_range *r = range_of_page_idx(p, &idx);
    if (!r)
        return NULL;
    if (!(p->flags & PG_TAIL))
        return p;
    uint64_t pfn = r->start_pfn + idx;
    /* A tail page carries its block's order: the head is the aligned pfn. */
    uint64_t h = pfn & ~((1ull << p->order) - 1);
    if (p->order > 0 && p->order <= MAX_ORDER && h >= r->start_pfn && (range_page(r, h)->flags & PG_HEAD))
        return range_page(r, h);
    for (unsigned o = 1; o <= MAX_ORDER; o++) {
        uint64_t h = pfn & ~((1ull << o) - 1);
        if (h < r->start_pfn)
            break;
        struct page *hp = range_page(r, h);
        if (hp->flags & PG_HEAD)
            return hp;
    }
    return p;   /* corrupt metadata; caller gets the page itself */
}

/* ------------------------------------------------------------------ */
/* setup                                                              */

void palloc_reset(void)
{
    memset(ranges, 0, sizeof(ranges));
    memset(resv, 0, sizeof(resv));
    memset(nodes, 0, sizeof(nodes));
    memset(palloc_section_base, 0, sizeof(palloc_section_base));
    nr_ranges = 0;
    nr_resv = 0;
    initialised = false;
    pcp_high = 0;
}

int palloc_add_range(phys_addr_t base, uint64_t size, int node)
{
    if (initialised)
        return PA_EBUSY;
    if (node == -1)
        node = 0;
    if (node < 0 || node >= PA_MAX_NODES || size == 0)
        return PA_EINVAL;
    if (base + size < base)          /* wraps */
        return PA_EINVAL;
    if (base > UINT64_MAX - (PAGE_SIZE - 1))
        return PA_EINVAL;
    uint64_t s = (base + PAGE_SIZE - 1) >> PAGE_SHIFT;
    uint64_t e = (base + size) >> PAGE_SHIFT;
    if (e <= s)
        return PA_EINVAL;            /* no whole page */
    for (unsigned i = 0; i < nr_ranges; i++)
        if (s < ranges[i].end_pfn && ranges[i].start_pfn < e)
            return PA_EEXIST;
    if (nr_ranges >= PA_MAX_RANGES)
        return PA_ENOSPC;
    ranges[nr_ranges++] = (struct pa_range){ .start_pfn = s, .end_pfn = e, .node = node };
    return 0;
}

/* Post-init reservation of one range: pages are free or already reserved. */
static void reserve_live(struct pa_range *r, uint64_t s, uint64_t e)
{
    struct pa_node *n = &nodes[r->node];
    for (uint64_t pfn = s; pfn < e; pfn++) {
        struct page *hp = free_block_containing(r, pfn);
        if (!hp)
            continue;                /* already reserved (checked by caller) */
        uint64_t h = range_pfn(r, hp);
        unsigned o = hp->order;
        fl_remove(n, o, hp);
        page_clear(hp);
        /* split down to the single page pfn, freeing the other halves */
        while (o > 0) {
            o--;
            uint64_t half = 1ull << o;
            if (pfn < h + half) {
                fl_add(n, o, range_page(r, h + half), false);
            } else {
                fl_add(n, o, range_page(r, h), false);
                h += half;
            }
        }
        struct page *p = range_page(r, pfn);
        page_clear(p);
        p->flags = PG_RESERVED;
        p->refcount = 1;
        n->reserved_pages++;
    }
}

int palloc_reserve(phys_addr_t base, uint64_t size)
{
    if (size == 0)
        return 0;
    uint64_t end = base + size;
    if (end < base)
        end = UINT64_MAX;            /* clamp: reserve up to the top */
    uint64_t s = base >> PAGE_SHIFT;
    uint64_t e = (end >> PAGE_SHIFT) + ((end & (PAGE_SIZE - 1)) ? 1 : 0);

    if (initialised) {
        palloc_drain_pcp();          /* a page on a list is free, not in a buddy block */
        /* First pass: refuse if any page in the region is allocated. */
        for (unsigned i = 0; i < nr_ranges; i++) {
            struct pa_range *r = &ranges[i];
            if (!r->managed)
                continue;
            uint64_t a = max_u64(s, r->start_pfn), b = min_u64(e, r->end_pfn);
            for (uint64_t pfn = a; pfn < b; pfn++) {
                if (range_page(r, pfn)->flags & PG_RESERVED)
                    continue;
                if (!free_block_containing(r, pfn))
                    return PA_EBUSY;
            }
        }
        for (unsigned i = 0; i < nr_ranges; i++) {
            struct pa_range *r = &ranges[i];
            if (!r->managed)
                continue;
            uint64_t a = max_u64(s, r->start_pfn), b = min_u64(e, r->end_pfn);
            if (a < b)
                reserve_live(r, a, b);
        }
        return 0;
    }

    /* Before init: remember it, merging with overlapping/adjacent regions. */
    unsigned i = 0;
    while (i < nr_resv) {
        if (s <= resv[i].end_pfn && resv[i].start_pfn <= e) {
            s = min_u64(s, resv[i].start_pfn);
            e = max_u64(e, resv[i].end_pfn);
            resv[i] = resv[--nr_resv];
            i = 0;                   /* merged region may touch earlier ones */
            continue;
        }
        i++;
    }
    if (nr_resv >= PA_MAX_RESERVED)
        return PA_ENOSPC;            /* only reachable when nothing was merged: no change */
    resv[nr_resv++] = (struct pa_resv){ s, e };
    return 0;
}

static uint64_t memmap_pages(uint64_t npages)
{
    uint64_t bytes = npages * sizeof(struct page);
    return (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* Highest window of `need` pages in [s, e) overlapping no reserved region;
 * returns its start pfn or UINT64_MAX. */
static uint64_t place_memmap(uint64_t s, uint64_t e, uint64_t need)
{
    uint64_t top = e;
    for (;;) {
        if (top < s || top - s < need)
            return UINT64_MAX;
        uint64_t lo = top - need;
        uint64_t new_top = top;
        for (unsigned i = 0; i < nr_resv; i++)
            if (resv[i].start_pfn < top && resv[i].end_pfn > lo && resv[i].start_pfn < new_top)
                new_top = resv[i].start_pfn;
        if (new_top == top)
            return lo;
        top = new_top;
    }
}

/* Count pages of [s, e) not covered by reserved regions (regions are
 * disjoint after merging). */
static uint64_t unreserved_pages(uint64_t s, uint64_t e)
{
    uint64_t n = e - s;
    for (unsigned i = 0; i < nr_resv; i++) {
        uint64_t a = max_u64(s, resv[i].start_pfn), b = min_u64(e, resv[i].end_pfn);
        if (a < b)
            n -= b - a;
    }
    return n;
}

/* The reserved pfn intervals of range r: its memmap [map_pfn, +need) and
 * the part in r of every reserved region (disjoint: palloc_reserve()
 * merges them and place_memmap() avoids them), sorted by start. */
static unsigned reserved_intervals(const struct pa_range *r, uint64_t map_pfn, uint64_t need,
                                   struct pa_resv *out)
{
    unsigned n = 0;
    out[n++] = (struct pa_resv){ map_pfn, map_pfn + need };
    for (unsigned i = 0; i < nr_resv; i++) {
        uint64_t a = max_u64(r->start_pfn, resv[i].start_pfn), b = min_u64(r->end_pfn, resv[i].end_pfn);
        if (a < b)
            out[n++] = (struct pa_resv){ a, b };
    }
    for (unsigned i = 1; i < n; i++)
        for (unsigned k = i; k > 0 && out[k - 1].start_pfn > out[k].start_pfn; k--) {
            struct pa_resv t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

/* Add the free run [s, e) of range r as maximal naturally aligned blocks. */
static void add_free_run(struct pa_range *r, uint64_t s, uint64_t e)
{
    struct pa_node *n = &nodes[r->node];
    while (s < e) {
        unsigned o = MAX_ORDER;
        while (o > 0 && ((s & ((1ull << o) - 1)) || e - s < (1ull << o)))
            o--;
        fl_add(n, o, range_page(r, s), true);
        s += 1ull << o;
    }
}

int palloc_init(void)
{
    if (initialised)
        return PA_EBUSY;

    /* Process ranges in ascending address order so the initial free lists
     * are sorted by address even if the device tree lists them otherwise. */
    bool done[PA_MAX_RANGES] = { false };
    bool any = false;
    for (unsigned k = 0; k < nr_ranges; k++) {
        unsigned best = nr_ranges;
        for (unsigned i = 0; i < nr_ranges; i++)
            if (!done[i] && (best == nr_ranges || ranges[i].start_pfn < ranges[best].start_pfn))
                best = i;
        done[best] = true;
        struct pa_range *r = &ranges[best];

        uint64_t npages = r->end_pfn - r->start_pfn;
        uint64_t need = memmap_pages(npages);
        if (need >= npages)
            continue;
        uint64_t map_pfn = place_memmap(r->start_pfn, r->end_pfn, need);
        if (map_pfn == UINT64_MAX)
            continue;
        if (unreserved_pages(r->start_pfn, r->end_pfn) <= need)
            continue;                /* nothing left to hand out */

        r->map = (struct page *)(uintptr_t)(map_pfn << PAGE_SHIFT);
        r->managed = true;
        any = true;

        /* Every struct page cleared, with its node and range. */
        struct pa_node *n = &nodes[r->node];
        n->total_pages += npages;
        /* Written a word at a time through a union (GCC's sanctioned
         * type pun): a field-wise copy stores the bytes one by one. */
        union page_words { struct page p; uint64_t w[sizeof(struct page) / 8]; };
        _Static_assert(sizeof(struct page) % 8 == 0, "struct page is whole words");
        union page_words blank = { .p = { .node = (uint8_t)r->node, .range = (uint8_t)best } };
        union page_words *u = (union page_words *)r->map;
#pragma GCC unroll 4
        for (uint64_t i = 0; i < npages; i++)
            for (unsigned k = 0; k < sizeof(struct page) / 8; k++)
                u[i].w[k] = blank.w[k];

        /* Reserved: the memmap itself and the reserved regions; free: the
         * runs between them. Walked interval by interval, so the cost
         * follows the number of regions, not of pages. */
        struct pa_resv iv[PA_MAX_RESERVED + 1];
        unsigned niv = reserved_intervals(r, map_pfn, need, iv);
        uint64_t pfn = r->start_pfn;
        for (unsigned i = 0; i < niv; i++) {
            for (uint64_t q = iv[i].start_pfn; q < iv[i].end_pfn; q++) {
                struct page *p = range_page(r, q);
                p->flags = PG_RESERVED;
                p->refcount = 1;
            }
            n->reserved_pages += iv[i].end_pfn - iv[i].start_pfn;
            if (iv[i].start_pfn > pfn)
                add_free_run(r, pfn, iv[i].start_pfn);
            pfn = iv[i].end_pfn;
        }
        if (pfn < r->end_pfn)
            add_free_run(r, pfn, r->end_pfn);
    }
    if (!any)
        return PA_ENOMEM;
    /* Sections wholly inside one managed range: O(1) pfn -> page. */
    for (unsigned i = 0; i < nr_ranges; i++) {
        const struct pa_range *r = &ranges[i];
        if (!r->managed)
            continue;
        uint64_t first = (r->start_pfn + (1ull << PA_SECTION_SHIFT) - 1) >> PA_SECTION_SHIFT;
        for (uint64_t sec = first; sec < PA_SECTIONS && (sec + 1) << PA_SECTION_SHIFT <= r->end_pfn; sec++)
            palloc_section_base[sec] = (uintptr_t)r->map - (uintptr_t)r->start_pfn * sizeof(struct page);
    }
    initialised = true;
    return 0;
}

/* ------------------------------------------------------------------ */
/* alloc / free                                                       */

/* Take a free block of 2^order pages from node n's buddy lists, splitting
 * a larger one if needed (the lower half is kept, the upper halves go back).
 * The head's struct page is not initialised. NULL if there is none. */
static struct page *buddy_take(struct pa_node *n, unsigned order)
{
    uint32_t avail = n->nonempty >> order;
    if (!avail)
        return NULL;
    unsigned o = order + (unsigned)__builtin_ctz(avail);
    struct page *p = n->free[o].head;
    fl_remove(n, o, p);
    /* A free-list entry is a struct page of this allocator: its range
     * index is trusted (no validation as page_to_phys() does for a caller's
     * pointer). */
    struct pa_range *r = &ranges[p->range];
    uint64_t pfn = r->start_pfn + (uint64_t)(p - r->map);
    while (o > order) {
        o--;
        fl_add(n, o, range_page(r, pfn + (1ull << o)), false);
    }
    return p;
}

/*
 * Per-node lists of free single pages (Linux's per-CPU page lists; one per
 * node here). An order-0 allocation pops the most recently freed (cache
 * hot) one; an empty list is refilled
 * with a whole 2^PCP_BATCH_ORDER block taken from the buddy lists at once
 * (one split instead of one per page), or a single page when memory is too
 * fragmented for that. An order-0 free pushes the page; a list longer than
 * pcp_high gives its PCP_BATCH coldest pages back to the buddy lists
 * (merging). Pages
 * on a list count as free (free_pages), flagged PG_PCP; a higher-order
 * allocation that fails drains every list and tries again.
 */
#define PCP_BATCH_ORDER 4
#define PCP_BATCH (1u << PCP_BATCH_ORDER)

static void pcp_push(struct pa_node *n, struct page *p)
{
    *p = (struct page){ .flags = PG_PCP, .node = p->node, .range = p->range, .next = n->pcp };
    if (n->pcp)
        n->pcp->prev = p;
    else
        n->pcp_tail = p;
    n->pcp = p;
    n->pcp_count++;
    n->free_pages++;
}

static void pcp_refill(struct pa_node *n)
{
    unsigned cnt = PCP_BATCH;
    struct page *p = buddy_take(n, PCP_BATCH_ORDER);
    if (!p) {
        cnt = 1;
        p = buddy_take(n, 0);
        if (!p)
            return;
    }
    /* buddy_take() took them off free_pages; pcp_push() counts them again. */
    for (unsigned i = cnt; i-- > 0;)
        pcp_push(n, &p[i]);          /* the lowest address on top */
}

static void buddy_free(struct pa_range *r, uint64_t pfn, unsigned order);

static void pcp_drain_node(struct pa_node *n, uint64_t keep)
{
    while (n->pcp_count > keep) {
        struct page *p = n->pcp_tail;        /* the coldest: freed longest ago */
        n->pcp_tail = p->prev;
        if (p->prev)
            p->prev->next = NULL;
        else
            n->pcp = NULL;
        n->pcp_count--;
        n->free_pages--;             /* buddy_free() counts it again */
        struct pa_range *r = &ranges[p->range];
        buddy_free(r, r->start_pfn + (uint64_t)(p - r->map), 0);
    }
}

static void drain_all_pcp(void)
{
    for (int i = 0; i < PA_MAX_NODES; i++)
        pcp_drain_node(&nodes[i], 0);
}

void palloc_drain_pcp(void)
{
    spin_lock(&pa_lock);
    drain_all_pcp();
    spin_unlock(&pa_lock);
}

void palloc_set_pcp(unsigned high)
{
    spin_lock(&pa_lock);
    drain_all_pcp();
    spin_unlock(&pa_lock);
    pcp_high = high == 0 ? 0 : high < 2 * PCP_BATCH ? 2 * PCP_BATCH : high > PALLOC_PCP_MAX ? PALLOC_PCP_MAX : high;
}

/* Hand out block p (2^order pages, taken off a list): head and tail
 * states, zeroed on request. */
static inline phys_addr_t alloc_finish(struct page *p, unsigned order, unsigned flags)
{
    struct pa_range *r = &ranges[p->range];
    phys_addr_t pa = (phys_addr_t)(r->start_pfn + (uint64_t)(p - r->map)) << PAGE_SHIFT;
    *p = (struct page){ .flags = PG_HEAD, .order = (uint8_t)order, .node = p->node,
                        .range = p->range, .refcount = 1 };
    for (uint64_t i = 1; i < (1ull << order); i++) {
        page_clear(&p[i]);
        p[i].flags = PG_TAIL;
        p[i].order = (uint8_t)order;
    }
    if (flags & PA_ZERO)
        zero_pages(pa, order);
    return pa;
}

static inline struct page *pcp_pop(struct pa_node *n)
{
    struct page *p = n->pcp;
    n->pcp = p->next;
    if (p->next)
        p->next->prev = NULL;
    else
        n->pcp_tail = NULL;
    n->pcp_count--;
    n->free_pages--;
    return p;
}

static phys_addr_t alloc_from_node(int nid, unsigned order, unsigned flags)
{
    struct pa_node *n = &nodes[nid];
    struct page *p;
    if (order == 0 && pcp_high) {
        if (!n->pcp)
            pcp_refill(n);
        if (!n->pcp)
            return 0;
        p = pcp_pop(n);
    } else {
        p = buddy_take(n, order);
        if (!p)
            return 0;
    }
    return alloc_finish(p, order, flags);
}

static phys_addr_t alloc_any(unsigned order, int node, unsigned flags)
{
    phys_addr_t pa;
    if (node >= 0) {
        pa = alloc_from_node(node, order, flags);
        if (pa || (flags & PA_NODE_STRICT))
            return pa;
    }
    for (int i = 0; i < PA_MAX_NODES; i++) {
        if (i == node)
            continue;
        pa = alloc_from_node(i, order, flags);
        if (pa)
            return pa;
    }
    return 0;
}

phys_addr_t palloc_alloc(unsigned order, int node, unsigned flags)
{
    /* The common case first: a single page from the first node tried
     * (pcp_high is 0 until palloc_init() has run); the page is filled in
     * (and zeroed) after the lock is dropped: it is this caller's. */
    if (order == 0 && pcp_high && node >= -1 && node < PA_MAX_NODES) {
        struct pa_node *n = &nodes[node < 0 ? 0 : node];
        spin_lock(&pa_lock);
        if (n->pcp) {
            struct page *p = pcp_pop(n);
            spin_unlock(&pa_lock);
            return alloc_finish(p, 0, flags);
        }
        spin_unlock(&pa_lock);
    }
    if (!initialised || order > MAX_ORDER || node < -1 || node >= PA_MAX_NODES)
        return 0;
    spin_lock(&pa_lock);
    phys_addr_t pa = alloc_any(order, node, flags);
    if (!pa && order > 0 && pcp_high) {
        /* Single pages on the lists may be what keeps blocks from merging. */
        drain_all_pcp();
        pa = alloc_any(order, node, flags);
    }
    spin_unlock(&pa_lock);
    return pa;
}

void palloc_free(phys_addr_t pa, unsigned order)
{
    if (!initialised) {
        pa_panic("palloc_free: allocator not initialised");
        return;
    }
    if (order > MAX_ORDER) {
        pa_panic("palloc_free: order too large");
        return;
    }
    if (pa & (PAGE_SIZE - 1)) {
        pa_panic("palloc_free: misaligned address (not page aligned)");
        return;
    }
    uint64_t pfn = pa >> PAGE_SHIFT;
    struct pa_range *r = range_of_pfn(pfn);
    if (!r) {
        pa_panic("palloc_free: address outside managed memory");
        return;
    }
    if (pfn & ((1ull << order) - 1)) {
        pa_panic("palloc_free: misaligned address for order");
        return;
    }
    spin_lock(&pa_lock);
    const char *err = free_locked(r, pfn, order);
    spin_unlock(&pa_lock);
    if (err)
        pa_panic(err);
}

/* The state checks and the free itself, under pa_lock. */
static const char *free_locked(struct pa_range *r, uint64_t pfn, unsigned order)
{
    struct page *p = range_page(r, pfn);
    if (p->flags & PG_RESERVED)
        return "palloc_free: reserved page";
    if (p->flags & PG_FREE)
        return "palloc_free: double free (page is free)";
    if (p->flags & PG_TAIL)
        return "palloc_free: not a block head (tail page)";
    if (!(p->flags & PG_HEAD))
        return "palloc_free: page not allocated (double free)";
    if (p->order != order)
        return "palloc_free: wrong order";
    if (order == 0 && pcp_high) {
        struct pa_node *n = &nodes[r->node];
        pcp_push(n, p);
        if (n->pcp_count > pcp_high)
            pcp_drain_node(n, pcp_high - PCP_BATCH);
        return NULL;
    }
    buddy_free(r, pfn, order);
    return NULL;
}

/* Give a block back to the buddy lists, merging it with free buddies. */
static void buddy_free(struct pa_range *r, uint64_t pfn, unsigned order)
{
    struct page *p = range_page(r, pfn);
    for (uint64_t i = 1; i < (1ull << order); i++)
        page_clear(&p[i]);
    page_clear(p);

    struct pa_node *n = &nodes[r->node];
    while (order < MAX_ORDER) {
        uint64_t buddy = pfn ^ (1ull << order);
        if (buddy < r->start_pfn || buddy >= r->end_pfn)
            break;
        struct page *b = range_page(r, buddy);
        if (!(b->flags & PG_FREE) || b->order != order)
            break;
        fl_remove(n, order, b);
        page_clear(b);
        pfn &= ~(1ull << order);
        order++;
    }
    fl_add(n, order, range_page(r, pfn), false);
}

/* ------------------------------------------------------------------ */
/* stats / checks                                                     */

void palloc_node_stats(int node, struct palloc_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (node < 0 || node >= PA_MAX_NODES)
        return;
    const struct pa_node *n = &nodes[node];
    out->total_pages = n->total_pages;
    out->free_pages = n->free_pages;
    out->reserved_pages = n->reserved_pages;
    out->pcp_pages = n->pcp_count;
    for (unsigned o = 0; o <= MAX_ORDER; o++)
        out->free_blocks[o] = n->free_blocks[o];
}

int palloc_nr_nodes(void)
{
    int nr = 0;
    for (unsigned i = 0; i < nr_ranges; i++)
        if ((!initialised || ranges[i].managed) && ranges[i].node + 1 > nr)
            nr = ranges[i].node + 1;
    return nr;
}

int palloc_check(void)
{
    if (!initialised)
        return 0;
    for (int nid = 0; nid < PA_MAX_NODES; nid++) {
        const struct pa_node *n = &nodes[nid];
        uint64_t free_pages = 0;
        for (unsigned o = 0; o <= MAX_ORDER; o++) {
            uint64_t cnt = 0;
            const struct page *prev = NULL;
            for (const struct page *p = n->free[o].head; p; p = p->next) {
                if (p->prev != prev)
                    return -1;                      /* broken back link */
                if (!(p->flags & PG_FREE) || p->order != o || p->node != nid)
                    return -2;                      /* wrong state on list */
                const struct pa_range *r = range_of_page(p);
                if (!r || r->node != nid)
                    return -3;
                uint64_t pfn = range_pfn(r, p);
                if ((pfn & ((1ull << o) - 1)) || pfn + (1ull << o) > r->end_pfn)
                    return -4;                      /* misaligned / out of range */
                if (++cnt > n->free_blocks[o])
                    return -5;                      /* list longer than count (or loop) */
                prev = p;
            }
            if (n->free[o].tail != prev || cnt != n->free_blocks[o] ||
                !!(n->nonempty & (1u << o)) != (cnt != 0))
                return -6;                      /* tail, count or the order bitmap disagree */
            free_pages += cnt << o;
        }
        uint64_t on_list = 0;
        const struct page *last = NULL;
        for (const struct page *p = n->pcp; p; last = p, p = p->next) {
            if ((p->flags & PG_ALLOC_MASK) != PG_PCP || p->node != nid || p->order != 0 ||
                p->prev != last)
                return -14;                         /* wrong state or back link on a page list */
            if (++on_list > n->pcp_count)
                return -15;                         /* list longer than its count (or a loop) */
        }
        if (on_list != n->pcp_count || n->pcp_tail != last || (on_list && !pcp_high))
            return -15;
        if (free_pages + on_list != n->free_pages)
            return -7;
    }
    /* walk every page: classify, check interior pages and count */
    uint64_t tot[PA_MAX_NODES] = { 0 }, fr[PA_MAX_NODES] = { 0 }, rs[PA_MAX_NODES] = { 0 };
    for (unsigned i = 0; i < nr_ranges; i++) {
        const struct pa_range *r = &ranges[i];
        if (!r->managed)
            continue;
        tot[r->node] += r->end_pfn - r->start_pfn;
        uint64_t pfn = r->start_pfn;
        while (pfn < r->end_pfn) {
            const struct page *p = range_page(r, pfn);
            if (p->node != r->node)
                return -8;
            uint32_t f = p->flags & PG_ALLOC_MASK;
            if (f == PG_RESERVED) {
                rs[r->node]++;
                pfn++;
            } else if (f == PG_PCP) {
                fr[r->node]++;                      /* free, on a page list */
                pfn++;
            } else if (f == PG_FREE || f == PG_HEAD) {
                uint64_t len = 1ull << p->order;
                if (p->order > MAX_ORDER || (pfn & (len - 1)) || pfn + len > r->end_pfn)
                    return -9;
                for (uint64_t j = 1; j < len; j++) {
                    uint32_t g = p[j].flags & PG_ALLOC_MASK;
                    if (g != (f == PG_FREE ? 0u : (uint32_t)PG_TAIL) ||
                        p[j].order != (f == PG_FREE ? 0 : p->order))
                        return -10;                 /* interior page in wrong state */
                }
                if (f == PG_FREE) {
                    fr[r->node] += len;
                    /* a free block whose buddy is free with the same order
                     * should have been merged */
                    uint64_t buddy = pfn ^ len;
                    if (p->order < MAX_ORDER && buddy >= r->start_pfn && buddy < r->end_pfn) {
                        const struct page *b = range_page(r, buddy);
                        if ((b->flags & PG_FREE) && b->order == p->order)
                            return -11;
                    }
                }
                pfn += len;
            } else {
                return -12;                         /* stray interior/tail page */
            }
        }
    }
    for (int nid = 0; nid < PA_MAX_NODES; nid++)
        if (tot[nid] != nodes[nid].total_pages || fr[nid] != nodes[nid].free_pages ||
            rs[nid] != nodes[nid].reserved_pages)
            return -13;
    return 0;
}
