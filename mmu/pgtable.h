/*
 * Page tables: walk, map, unmap for any VA range, on both architectures.
 *
 * Levels are numbered as on arm64 for both arches: level 3 holds 4 KiB page
 * entries, level 2 maps 2 MiB per entry, level 1 1 GiB, level 0 512 GiB.
 * A 4-level table (arm64 48-bit VA, riscv Sv48) starts at level 0, a 3-level
 * one (arm64 39-bit, riscv Sv39) at level 1.
 *
 *   63      48 47    39 38    30 29    21 20    12 11       0
 *  +----------+--------+--------+--------+--------+----------+
 *  | sign/0   | lvl 0  | lvl 1  | lvl 2  | lvl 3  |  offset  |
 *  +----------+--------+--------+--------+--------+----------+
 *
 * Address spaces managed by the mm live in [MM_VA_BASE, MM_VA_END); the
 * kernel's identity map (RAM and MMIO, global entries) is shared into every
 * address space's root and is never changed or freed through this API.
 */
#ifndef MMU_PGTABLE_H
#define MMU_PGTABLE_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/hw.h"
#include "mmu/tlb.h"

#define LEAF_LEVEL  3
/* The window is the arch's (asm/pte.h): arm64 and riscv64 128 GiB + 64 GiB
 * (fits Sv39's positive half), 32-bit arm the upper 2 GiB (below: RAM and MMIO). */
#define MM_VA_BASE  ARCH_MM_VA_BASE
#define MM_VA_END   ARCH_MM_VA_END

static inline int pt_root_level(void) { return 4 - mmu_caps.levels; }
static inline unsigned pt_shift(int level) { return 12 + 9 * (unsigned)(3 - level); }
static inline uint64_t pt_level_size(int level) { return 1ULL << pt_shift(level); }
static inline unsigned pt_index(uint64_t va, int level) { return (va >> pt_shift(level)) & 511; }
static inline pte_t *pt_table(uint64_t pa) { return (pte_t *)(uintptr_t)pa; }   /* identity map */

struct pgtable {
    uint64_t root;          /* physical address of the root table */
    uint16_t asid;
};
extern struct pgtable kernel_pgtable;

/* Build the kernel's identity map from the device tree and turn it on. */
void mmu_init(void);

/* A new address space: root table with the kernel's entries, given ASID.
 * Returns 0 or -1 (out of memory). */
int pgtable_create(struct pgtable *pt, uint16_t asid);
/* Unmap the whole managed window, free every table, flush the ASID. */
void pgtable_destroy(struct pgtable *pt);
/* Make pt the current translation (TTBR0 / satp). */
void pgtable_activate(const struct pgtable *pt);

/* Walk to the entry mapping va. Stops at the first entry that is not a
 * table, or at `stop_level`. With alloc, missing tables down to stop_level
 * are allocated (PT_ALLOC events). *level receives the entry's level.
 * Returns NULL if a table is missing (alloc false) or allocation failed. */
pte_t *pt_walk(struct pgtable *pt, uint64_t va, int stop_level, bool alloc, int *level);
/* The leaf or block entry for va, or NULL. */
pte_t *pt_lookup(struct pgtable *pt, uint64_t va, int *level);

/* Visit the 4 KiB entries of [start, end) that have a last-level table,
 * skipping absent tables at every level (cost follows what is mapped, not
 * the size of the range):
 *     struct pte_iter it = pte_iter_start(pt, start, end);
 *     while (pte_iter_next(&it)) ... it.va, it.ptep ...
 * The body may change entries, not free tables. */
struct pte_iter {
    struct pgtable *pt;
    uint64_t va, end;
    pte_t *ptep;            /* NULL before the first step */
};
static inline struct pte_iter pte_iter_start(struct pgtable *pt, uint64_t start, uint64_t end)
{
    return (struct pte_iter){ .pt = pt, .va = start, .end = end, .ptep = NULL };
}
bool pte_iter_next(struct pte_iter *it);
extern uint64_t pte_iter_visits;    /* entries visited so far (tests of sparse ranges) */

/* One walk per last-level table, for loops that step through a table's
 * entries themselves (mprotect, NUMA scan):
 *     pte_t *ptep;
 *     for (uint64_t a = start; (a = pt_next_leaf(pt, a, end, &ptep)) < end;)
 *         for (uint64_t stop = pt_leaf_stop(a, end); a < stop; a += PAGE_SIZE, ptep++)
 *             ... *ptep maps a ...
 * pt_next_leaf() returns the first va in [va, end) whose last-level table
 * exists, its entry in *ptep (the table's later entries follow it in
 * memory), or end if there is none; absent tables at every level are
 * skipped whole. The entries up to pt_leaf_stop() count as visited. */
uint64_t pt_next_leaf(struct pgtable *pt, uint64_t va, uint64_t end, pte_t **ptep);
/* The end of the walk through the table holding va: the table's end or end. */
static inline uint64_t pt_leaf_stop(uint64_t va, uint64_t end)
{
    uint64_t table_end = (va | (pt_level_size(LEAF_LEVEL - 1) - 1)) + 1;
    return table_end < end ? table_end : end;
}

enum {
    PT_MAP_BLOCKS = 1,      /* use 1 GiB / 2 MiB blocks where aligned */
    PT_MAP_YOUNG = 2,       /* set the access flag */
    PT_MAP_DIRTY = 4,
    PT_MAP_NOFLUSH = 8,     /* table not live yet (before the MMU is on) */
    PT_MAP_CONT = 16,       /* 16-entry contiguous blocks (arm64 CONT, riscv
                               Svnapot) where va and pa are 64 KiB aligned */
};
#define CONT_SIZE ((uint64_t)CONT_PTES * 4096)

/* Check the 16 entries of the contiguous block holding va against the
 * architecture's rules: all valid or all invalid; if valid, every entry has
 * the CONT/N bit, the block is 64 KiB aligned in VA and PA, PFNs are
 * consecutive, and all attributes agree (access and dirty state may differ:
 * hardware updates them per entry). NULL if fine, else what is wrong. */
const char *cont_block_check(const pte_t *first, uint64_t va);
/* Map [va, va+size) to [pa, pa+size). Every entry must be empty (an
 * invalid->valid change: no invalidate on arm64, a local flush on riscv).
 * Returns 0, -1 out of memory, -2 if something is already mapped there. */
int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, pgprot_t prot, unsigned flags);
/* Unmap [va, va+size) (page-aligned), freeing tables that become empty.
 * Blocks partly covered are split first. What needs invalidating is added
 * to g; the caller runs tlb_gather_finish(). */
void pt_unmap(struct pgtable *pt, uint64_t va, uint64_t size, struct tlb_gather *g);
/* Replace a block entry by a table of next-level entries mapping the same
 * memory (break-before-make: clear, invalidate, write the table). */
int pt_split_block(struct pgtable *pt, pte_t *entry, int level, uint64_t va);

/* Allocate one zeroed page-table page (counted). 0 on failure. */
uint64_t pt_alloc_table(void);
#endif
