/* TLB invalidation policies and the gather (see tlb.h). */
#include "boot/kernel.h"
#include "mmu/tlb.h"
#include "mmu/page_alloc.h"
#include "mmu/mm_internal.h"
#include "mmu/hw.h"

const char *const tlbi_policy_names[TLBI_POLICY_COUNT] = {
    [TLBI_AUTO] = "auto", [TLBI_PER_PAGE] = "per-page", [TLBI_UNSAFE_PER_BLOCK] = "unsafe-per-block",
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

/* The longest Svinval batch the range policy issues (16 MiB of pages);
 * past it, the whole ASID. */
#define SINVAL_MAX_ENTRIES 4096

/* The whole ASID, once. */
static void flush_asid(uint16_t asid) { tlbi_asid(asid); }

void flush_tlb_range(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride, bool last_level)
{
    if (start >= end)
        return;
    if (stride < PAGE_SIZE)
        stride = PAGE_SIZE;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    uint64_t pages = (end - start + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t entries = (end - start + stride - 1) / stride;
    bool over_threshold = !tlb_params.asid_threshold || entries >= tlb_params.asid_threshold;
    enum tlbi_policy p = tlb_params.policy;
    if (p == TLBI_AUTO)
        p = mmu_caps.tlbi_range ? TLBI_RANGE : TLBI_ASID;

    tlb_pre_invalidate();
    if (!last_level && !mmu_caps.tlbi_va_nonleaf) {
        /* Tables were freed and no by-VA invalidate reaches walk caches
         * (riscv: sfence.vma rs1 != x0 covers leaf entries only). */
        flush_asid(asid);
    } else {
        switch (p) {
        case TLBI_ASID:
            /* Linux's rule: per entry below the threshold, then the whole ASID. */
            if (over_threshold)
                flush_asid(asid);
            else
                flush_by_stride(asid, start, end, stride, last_level);
            break;
        case TLBI_RANGE:
            if (tlbi_range_flush(asid, start, pages, last_level))
                break;
            if (mmu_caps.svinval ? entries > SINVAL_MAX_ENTRIES : over_threshold) {
                /* Too long for one range plan (or one Svinval batch worth
                 * issuing), or no range ops at all: one ASID flush instead of
                 * millions of single invalidates. */
                flush_asid(asid);
                break;
            }
            if (mmu_caps.svinval && last_level) {
                tlbi_sinval_begin();
                for (uint64_t va = start; va < end; va += stride)
                    tlbi_sinval_page(asid, va);
                tlbi_sinval_end();
                break;
            }
            flush_by_stride(asid, start, end, stride, last_level);
            break;
        case TLBI_UNSAFE_PER_BLOCK:
            /* The what-if: WRONG for contiguous blocks (see tlb.h). */
            flush_by_stride(asid, start, end, stride, last_level);
            break;
        case TLBI_PER_PAGE:
        default:
            flush_by_stride(asid, start, end, stride, last_level);
            break;
        }
    }
    tlb_post_invalidate();
}

void tlb_gather_init(struct tlb_gather *g, uint16_t asid)
{
    memset(g, 0, sizeof(*g));
    g->asid = asid;
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

/* Flush what was gathered so far (the gather is full) and start again. */
static void gather_flush_now(struct tlb_gather *g)
{
    uint64_t s = g->start, e = g->end;
    bool freed = g->freed_tables, pg = g->page_granular;
    tlb_gather_finish(g);
    /* Later additions extend the same range: flushing it again is harmless. */
    g->start = s;
    g->end = e;
    g->freed_tables = freed;
    g->page_granular = pg;
}

void tlb_gather_free_table(struct tlb_gather *g, uint64_t table_pa)
{
    g->freed_tables = true;
    if (g->nr_tables == TLB_GATHER_MAX_TABLES)
        gather_flush_now(g);
    g->tables[g->nr_tables++] = table_pa;
}

void tlb_gather_remove_page(struct tlb_gather *g, struct page *p)
{
    if (g->nr_pages == TLB_GATHER_MAX_PAGES)
        gather_flush_now(g);
    g->pages[g->nr_pages++] = p;
}

void tlb_gather_finish(struct tlb_gather *g)
{
    /* Every page of every contiguous block is invalidated (see tlb.h);
     * only the unsafe-per-block what-if strides over whole blocks. */
    bool per_block = tlb_params.policy == TLBI_UNSAFE_PER_BLOCK && !g->page_granular && !g->freed_tables;
    if (g->start != g->end)
        flush_tlb_range(g->asid, g->start, g->end, per_block ? CONT_PTES * PAGE_SIZE : PAGE_SIZE,
                        !g->freed_tables);
    /* Only now can no TLB reach the unmapped pages: release them. */
    for (int i = 0; i < g->nr_pages; i++)
        page_remove_map(g->pages[i]);
    g->nr_pages = 0;
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
