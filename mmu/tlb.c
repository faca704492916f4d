/* TLB invalidation policies and the gather (see tlb.h). */
#include "boot/kernel.h"
#include "mmu/tlb.h"
#include "mmu/page_alloc.h"
#include <asm/mmu.h>

const char *const tlbi_policy_names[TLBI_POLICY_COUNT] = {
    [TLBI_AUTO] = "auto", [TLBI_PER_PAGE] = "per-page", [TLBI_PER_BLOCK] = "per-block",
    [TLBI_RANGE] = "range", [TLBI_ASID] = "asid",
};

struct tlb_params tlb_params;

void tlb_params_default(void)
{
    tlb_params.policy = TLBI_AUTO;
#ifdef __riscv
    tlb_params.asid_threshold = 64;
#else
    tlb_params.asid_threshold = 512;
#endif
}

int tlbi_policy_parse(const char *name)
{
    for (int i = 0; i < TLBI_POLICY_COUNT; i++)
        if (strcmp(name, tlbi_policy_names[i]) == 0)
            return i;
    return -1;
}

static void flush_by_stride(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride,
                            bool last_level)
{
    for (uint64_t va = start; va < end; va += stride)
        tlbi_page(asid, va, last_level);
}

void flush_tlb_range(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride, bool last_level)
{
    if (start >= end)
        return;
    if (stride < PAGE_SIZE)
        stride = PAGE_SIZE;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    uint64_t pages = (end - start + PAGE_SIZE - 1) / PAGE_SIZE;
    enum tlbi_policy p = tlb_params.policy;
    if (p == TLBI_AUTO)
        p = mmu_caps.tlbi_range ? TLBI_RANGE : TLBI_ASID;

    tlb_pre_invalidate();
    switch (p) {
    case TLBI_ASID:
        /* Linux's rule: per page up to the threshold, then the whole ASID. */
        if (tlb_params.asid_threshold && (end - start) / stride <= tlb_params.asid_threshold)
            flush_by_stride(asid, start, end, stride, last_level);
        else
            tlbi_asid(asid);
        break;
    case TLBI_RANGE:
        if (tlbi_range_flush(asid, start, pages, last_level))
            break;
        if (mmu_caps.svinval && last_level) {
            tlbi_sinval_begin();
            for (uint64_t va = start; va < end; va += stride)
                tlbi_sinval_page(asid, va);
            tlbi_sinval_end();
            break;
        }
        flush_by_stride(asid, start, end, stride, last_level);
        break;
    case TLBI_PER_BLOCK:
        flush_by_stride(asid, start, end, stride, last_level);
        break;
    case TLBI_PER_PAGE:
    default:
        flush_by_stride(asid, start, end, PAGE_SIZE, last_level);
        break;
    }
    tlb_post_invalidate();
}

void tlb_gather_init(struct tlb_gather *g, uint16_t asid)
{
    memset(g, 0, sizeof(*g));
    g->asid = asid;
    g->stride = PAGE_SIZE;
}

static void gather_extend(struct tlb_gather *g, uint64_t va, uint64_t size)
{
    if (g->start == g->end) {
        g->start = va;
        g->end = va + size;
        return;
    }
    g->start = MIN(g->start, va);
    g->end = MAX(g->end, va + size);
}

void tlb_gather_add(struct tlb_gather *g, uint64_t va, uint64_t size)
{
    g->page_granular = true;
    gather_extend(g, va, size);
}

void tlb_gather_add_block(struct tlb_gather *g, uint64_t va, uint64_t size)
{
    gather_extend(g, va, size);
}

void tlb_gather_free_table(struct tlb_gather *g, uint64_t table_pa)
{
    g->freed_tables = true;
    if (g->nr_tables == TLB_GATHER_MAX_TABLES) {
        /* Full: flush what we have so these tables can be freed now. */
        uint64_t s = g->start, e = g->end;
        tlb_gather_finish(g);
        g->start = s;
        g->end = e;
        g->freed_tables = true;
    }
    g->tables[g->nr_tables++] = table_pa;
}

void tlb_gather_finish(struct tlb_gather *g)
{
    if (g->start != g->end)
        flush_tlb_range(g->asid, g->start, g->end,
                        g->page_granular || g->freed_tables ? PAGE_SIZE : 16 * PAGE_SIZE,
                        !g->freed_tables);
    /* Only now can no walker reach the unlinked tables: free them. */
    for (int i = 0; i < g->nr_tables; i++) {
        rule_check_table_freed(g->tables[i]);
        palloc_free(g->tables[i], 0);
        ev_inc(EV_PT_FREE);
    }
    g->nr_tables = 0;
    g->start = g->end = 0;
    g->freed_tables = false;
    g->page_granular = false;
}
