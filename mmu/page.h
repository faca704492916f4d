/*
 * mmu/page.h - physical page frames and their per-page metadata.
 *
 * Every page of every range managed by the physical allocator
 * (mmu/page_alloc.c) has one struct page.  The array for a range lives
 * inside that range's own memory, so phys_to_page()/page_to_phys() only
 * work after palloc_init() and only for managed ranges.
 *
 * Page states as seen by the allocator (bits 0..7 of flags):
 *   PG_FREE      head of a free buddy block of 2^order pages
 *   (flags == 0) any other page inside a free block
 *   PG_HEAD      head of an allocated block; order = block (folio) order,
 *                refcount = 1, mapcount = 0 at allocation
 *   PG_TAIL      any other page of an allocated block; order = the
 *                block's order (so page_head() is O(1))
 *   PG_RESERVED  never handed out (kernel image, DTB, firmware, the
 *                struct page arrays themselves); refcount = 1
 * Bits 8.. belong to the mm core; the allocator clears them on free.
 *
 * Blocks are naturally aligned in physical address, so the head of the
 * block containing any page is found by clearing the low pfn bits its
 * order names (page_head()).
 *
 * Lookups are O(1): pfn -> page through a table with one entry per 64 MiB
 * section of physical address space (the base of the struct page array of
 * the range covering the whole section: pfn_to_page() is one load, a
 * multiply and an add, as Linux's vmemmap); page -> pfn through the range
 * index each struct page carries. Sections a range covers only in part,
 * and addresses past the table, fall back to searching the ranges.
 */
#ifndef MMU_PAGE_H
#define MMU_PAGE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t phys_addr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define MAX_ORDER 10                 /* largest block = 2^10 pages = 4 MiB */

struct page {
    uint32_t flags;                  /* PG_* bits below */
    uint8_t  order;                  /* buddy order when free; folio order on the head page when allocated */
    uint8_t  node;                   /* NUMA node of this page */
    uint8_t  range;                  /* the allocator's index of the memory range holding it */
    uint8_t  _pad;
    int32_t  refcount;               /* for the mm core (allocator sets 1 on the head page at alloc, 0 when free) */
    int32_t  mapcount;               /* for the mm core (allocator sets 0) */
    struct page *next, *prev;        /* free-list links while free; the mm core may reuse them while allocated */
    uint64_t private_data;           /* for the mm core */
};

enum {
    PG_FREE           = 1u << 0,     /* head of a free buddy block */
    PG_RESERVED       = 1u << 1,
    PG_HEAD           = 1u << 2,     /* head of an allocated block */
    PG_TAIL           = 1u << 3,
    PG_PCP            = 1u << 4,     /* free, on its node's list of single pages */
    /* bits 8.. reserved for the mm core: */
    PG_ANON           = 1u << 8,
    PG_ANON_EXCLUSIVE = 1u << 9,
    PG_DIRTY          = 1u << 10,
    PG_ZERO           = 1u << 11,
};

#define PG_ALLOC_MASK 0xffu          /* bits owned by the allocator */

/* NULL if pa is not in a managed range (or before palloc_init()). */
struct page *phys_to_page(phys_addr_t pa);
/* Physical address of the page; 0 if p is not a managed struct page. */
phys_addr_t page_to_phys(const struct page *p);
/* Head page of the allocated block containing p (p itself for a head or a
 * non-tail page); NULL if p is not a managed struct page. */
struct page *page_head(struct page *p);

static inline uint64_t page_to_pfn(const struct page *p) { return page_to_phys(p) >> PAGE_SHIFT; }

/* page_head() of a page known to be managed (one pfn_to_page() returned):
 * a page that is not a tail is its own head, with no lookup. */
static inline struct page *folio_head(struct page *p)
{
    return (p->flags & PG_TAIL) ? page_head(p) : p;
}

/* The section table behind pfn_to_page() (filled by palloc_init()). */
#define PA_SECTION_SHIFT 14                  /* 2^14 pages = 64 MiB per section */
#define PA_SECTIONS      1024                /* the first 64 GiB of physical memory */
extern uintptr_t palloc_section_base[PA_SECTIONS];

/* NULL if pfn is not in a managed range. */
static inline struct page *pfn_to_page(uint64_t pfn)
{
    uint64_t s = pfn >> PA_SECTION_SHIFT;
    uintptr_t base = s < PA_SECTIONS ? palloc_section_base[s] : 0;
    if (base)
        return (struct page *)(base + (uintptr_t)pfn * sizeof(struct page));
    return phys_to_page((phys_addr_t)pfn << PAGE_SHIFT);
}

#endif /* MMU_PAGE_H */
