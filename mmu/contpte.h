/*
 * Contiguous PTEs: arm64 CONT bit / riscv Svnapot (64 KiB = 16 entries).
 *
 * Rules (Arm ARM "contiguous bit"; RISC-V Svnapot):
 *  - a block is 16 consecutive entries, 64 KiB aligned in VA and PA, mapping
 *    16 consecutive pages of one folio with identical attributes (access and
 *    dirty state may differ: hardware updates them per entry);
 *  - changing the output address, the CONT/N bit or the block size of a
 *    valid entry needs break-before-make: clear all 16, invalidate the block,
 *    then write all 16 (FEAT_BBM level 2 would allow skipping the break for a
 *    CONT change; this kernel never relies on it);
 *  - a read of a block's state ORs access/dirty over all 16 entries.
 */
#ifndef MMU_CONTPTE_H
#define MMU_CONTPTE_H
#include "mmu/mm.h"

/* Unfold the block holding addr into 16 ordinary entries (BBM). The gathered
 * access/dirty state is kept on every entry. */
void contpte_unfold(struct mm *mm, uint64_t addr, pte_t *ptep);
/* Fold the 64 KiB block holding addr if its 16 entries qualify (BBM).
 * Returns true if folded. */
bool contpte_try_fold(struct mm *mm, const struct vma *v, uint64_t addr);
/* The entry for addr with access/dirty gathered from its whole block. */
pte_t contpte_get(const pte_t *ptep, uint64_t addr);
/* Batched change_protection over [start, end) of one VMA. */
long contpte_change_protection(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
                               pgprot_t newprot, bool upgrade, struct tlb_gather *g);
pte_t mprotect_new_pte(const struct vma *v, uint64_t addr, pte_t old, pgprot_t newprot, bool upgrade);

/* Batch rule (host-tested): how many entries from ptes[0] form one batch:
 * present, consecutive PFNs, same write and soft-dirty bits (access/dirty may
 * differ), at most max (the caller clamps to the table, the folio, the range). */
unsigned pte_batch_len(const pte_t *ptes, unsigned max, uint64_t va);

struct contpte_stats { uint64_t folds, unfolds, blocks_repainted; };
extern struct contpte_stats contpte_stats;
#endif
