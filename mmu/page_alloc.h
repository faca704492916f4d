/*
 * mmu/page_alloc.h - physical page allocator (binary buddy, one set of free
 * lists per NUMA node).
 *
 * Boot sequence:
 *   palloc_add_range()  for every memory range from the device tree
 *   palloc_reserve()    for the kernel image, DTB, firmware, ... (any order
 *                       relative to add_range; may also be called after
 *                       palloc_init() to take still-free pages away)
 *   palloc_init()       places each range's struct page array inside the
 *                       range itself and builds the free lists
 * then palloc_alloc()/palloc_free().
 *
 * Blocks are naturally aligned in physical address, never straddle a range
 * boundary (so never a node boundary) and never contain reserved pages.
 * Allocation is deterministic: the same call sequence yields the same
 * addresses.
 *
 * Not thread safe: the kernel is uniprocessor for now.  All mutable state is
 * per node (struct pa_node in page_alloc.c) so a per-node lock can be added
 * for SMP.
 */
#ifndef MMU_PAGE_ALLOC_H
#define MMU_PAGE_ALLOC_H

#include "mmu/page.h"

#define PA_MAX_NODES    8
#define PA_MAX_RANGES   16
#define PA_MAX_RESERVED 32           /* reserved regions remembered before palloc_init() */

/* palloc_alloc() flags */
#define PA_NODE_STRICT  (1u << 0)    /* do not fall back to another node */
#define PA_ZERO         (1u << 1)    /* zero-fill the block */

/* Error codes (negative, errno-style values). */
#define PA_EINVAL  (-22)             /* bad argument (node, empty or wrapping range) */
#define PA_EEXIST  (-17)             /* range overlaps an already added range */
#define PA_ENOSPC  (-28)             /* range/reserve table full */
#define PA_EBUSY   (-16)             /* already initialised / reserving allocated pages */
#define PA_ENOMEM  (-12)             /* palloc_init(): no usable memory at all */

/* Add RAM [base, base+size) to node (-1 -> 0).  Rounded inward to pages.
 * Errors: PA_EINVAL, PA_EEXIST, PA_ENOSPC, PA_EBUSY (after palloc_init). */
int  palloc_add_range(phys_addr_t base, uint64_t size, int node);

/* Never hand out [base, base+size) (rounded outward to pages).  May lie partly
 * or wholly outside managed memory.  Before palloc_init() it is remembered
 * (PA_ENOSPC if more than PA_MAX_RESERVED disjoint regions); after it, free
 * pages in the region are removed from the free lists (PA_EBUSY, with no
 * change, if any page in the region is currently allocated). */
int  palloc_reserve(phys_addr_t base, uint64_t size);

/* Finalise.  Ranges too small (or too reserved) to hold their own struct
 * page array plus at least one free page are skipped and left untouched.
 * Returns 0, PA_ENOMEM if nothing is usable, PA_EBUSY if called twice. */
int  palloc_init(void);

/* Forget everything (ranges, reservations, free lists).  Leaves
 * palloc_panic_hook alone. */
void palloc_reset(void);

/* Naturally aligned 2^order pages.  node -1 = any (tries nodes 0,1,...);
 * otherwise node first, then the other nodes in increasing order unless
 * PA_NODE_STRICT.  Returns the physical address, 0 on failure. */
phys_addr_t palloc_alloc(unsigned order, int node, unsigned flags);

/* Free a block returned by palloc_alloc(…order…); merges buddies.  Anything
 * else (double free, wrong order, misaligned, tail page, reserved page,
 * unmanaged address) calls palloc_panic_hook(msg) and changes nothing. */
void palloc_free(phys_addr_t pa, unsigned order);

/* Per-node lists of free single pages in front of the buddy lists (as
 * Linux's per-CPU lists): order-0 allocations pop, frees push, an empty
 * list takes a 16-page block at once, a list above `high` gives 16 back.
 * high = 0 (the default, which the host tests' exact buddy states assume)
 * turns them off; otherwise it is clamped to [32, PALLOC_PCP_MAX]. Changing
 * it drains the lists first. palloc_drain_pcp() gives every listed page back
 * to the buddy lists (a failing higher-order allocation does it itself). */
#define PALLOC_PCP_MAX 1024
void palloc_set_pcp(unsigned high);
void palloc_drain_pcp(void);

/* Called on allocator misuse.  If NULL, the allocator traps. */
extern void (*palloc_panic_hook)(const char *msg);

struct palloc_stats {
    uint64_t total_pages, free_pages, reserved_pages;   /* allocated = total - free - reserved */
    uint64_t pcp_pages;                                 /* of the free pages, on the node's page list */
    uint64_t free_blocks[MAX_ORDER + 1];
};
/* Zero memory the allocator hands out with PA_ZERO: `bytes` is a multiple of
 * the page size, p is page aligned and mapped Normal cacheable. An arch with
 * a block-zeroing instruction provides it; else palloc_zero_stores(). Like
 * plain stores, what it writes is ordered by the barriers that publish a
 * table (arm64 DC ZVA and riscv cbo.zero are stores for memory ordering). */
void arch_zero_pages(void *p, size_t bytes);
void palloc_zero_stores(void *p, size_t bytes);

/* Stats of one node (all zero for an unknown/empty node). */
void palloc_node_stats(int node, struct palloc_stats *out);

/* Highest node id with memory + 1 (0 before any range is added). */
int  palloc_nr_nodes(void);

/* Debug: walk every free list and every struct page and check the
 * allocator's invariants.  Returns 0 if consistent, else a negative number
 * identifying the first failed check. O(managed pages). */
int  palloc_check(void);

#endif /* MMU_PAGE_ALLOC_H */
