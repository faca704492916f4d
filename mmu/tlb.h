/*
 * TLB invalidation for the mm layer: policies and a gather.
 *
 * Policies (selectable at run time so they can be compared in one boot):
 *   per-page   one invalidate per page, always (the naive baseline)
 *   per-block  one invalidate per stride (64 KiB for contiguous blocks: a TLB
 *              holds one entry for a CONT/Svnapot block, and an invalidate of
 *              any address inside it removes that entry), always
 *   range      arm64 FEAT_TLBIRANGE operations, riscv Svinval batches
 *              (falls back to per-stride where neither exists)
 *   asid       per stride up to asid_threshold entries, then the whole
 *              address space (Linux's rule; threshold 0 = always the ASID)
 *   auto       what Linux does: arm64 range ops if present, else asid
 * Thresholds are parameters (tlb_params), not constants.
 */
#ifndef MMU_TLB_H
#define MMU_TLB_H
#include <stdbool.h>
#include <stdint.h>

enum tlbi_policy { TLBI_AUTO, TLBI_PER_PAGE, TLBI_PER_BLOCK, TLBI_RANGE, TLBI_ASID, TLBI_POLICY_COUNT };
extern const char *const tlbi_policy_names[TLBI_POLICY_COUNT];

struct tlb_params {
    enum tlbi_policy policy;
    /* asid policy: more entries than this become one ASID flush
     * (0 = always). Linux: arm64 without range ops 512, riscv 64. */
    uint64_t asid_threshold;
};
extern struct tlb_params tlb_params;
void tlb_params_default(void);
int tlbi_policy_parse(const char *name);    /* -1 if unknown */

/* Invalidate [start, end) of asid: entries of `stride` bytes (4 KiB pages,
 * 64 KiB contiguous blocks, 2 MiB blocks). last_level: only leaf entries
 * changed; false when table pages were freed (walk caches must go too).
 * Includes the barriers before and after. */
void flush_tlb_range(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride, bool last_level);

/* Collects what an operation changed; one flush at the end. Page-table pages
 * unlinked during the operation are freed only after that flush. */
#define TLB_GATHER_MAX_TABLES 32
struct tlb_gather {
    uint16_t asid;
    uint64_t start, end;        /* start == end: nothing to flush */
    uint64_t stride;            /* PAGE_SIZE, or CONT_SIZE when only whole blocks were added */
    bool page_granular;         /* something was added page by page */
    bool freed_tables;
    int nr_tables;
    uint64_t tables[TLB_GATHER_MAX_TABLES];
};
void tlb_gather_init(struct tlb_gather *g, uint16_t asid);
void tlb_gather_add(struct tlb_gather *g, uint64_t va, uint64_t size);
/* A whole contiguous block (one TLB entry): lets per-block flush at 64 KiB stride. */
void tlb_gather_add_block(struct tlb_gather *g, uint64_t va, uint64_t size);
void tlb_gather_free_table(struct tlb_gather *g, uint64_t table_pa);
void tlb_gather_finish(struct tlb_gather *g);
#endif
