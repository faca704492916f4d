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

const char *const tlb_shootdown_names[SHOOTDOWN_COUNT] = {
    [SHOOTDOWN_BROADCAST] = "broadcast", [SHOOTDOWN_IPI] = "ipi", [SHOOTDOWN_SBI] = "sbi",
};

/* The arch's own method (ARCH_FIRMWARE_SHOOTDOWN: riscv's SBI remote
 * fence; else the hardware broadcast), or IPIs. */
int tlb_shootdown_parse(const char *name)
{
    if (ARCH_FIRMWARE_SHOOTDOWN && strcmp(name, "sbi") == 0)
        return SHOOTDOWN_SBI;
    if (!ARCH_FIRMWARE_SHOOTDOWN && strcmp(name, "broadcast") == 0)
        return SHOOTDOWN_BROADCAST;
    if (strcmp(name, "ipi") == 0)
        return SHOOTDOWN_IPI;
    return -1;
}

uint8_t tlb_asid_cpus[65536] __attribute__((aligned(4)));

/* Atomic OR / AND-NOT of one byte of tlb_asid_cpus through its aligned
 * 32-bit word (rv64imac has word and doubleword AMOs only; little endian). */
static void asid_cpus_update(uint16_t asid, uint8_t set, uint8_t clear)
{
    uint32_t *w = (uint32_t *)(void *)&tlb_asid_cpus[asid & ~3u];
    unsigned sh = (asid & 3u) * 8;
    if (set)
        __atomic_fetch_or(w, (uint32_t)set << sh, __ATOMIC_RELAXED);
    if (clear)
        __atomic_fetch_and(w, ~((uint32_t)clear << sh), __ATOMIC_RELAXED);
}
unsigned tlb_nr_cpus = 1;
struct tlb_smp_stats tlb_smp_stats;
int tlb_shootdown_skip_cpu = -1;

void tlb_params_default(void)
{
    tlb_params.policy = TLBI_AUTO;
    tlb_params.shootdown = ARCH_FIRMWARE_SHOOTDOWN ? SHOOTDOWN_SBI : SHOOTDOWN_BROADCAST;
    tlb_params.asid_threshold = ARCH_TLB_ASID_THRESHOLD;     /* Linux's, per arch */
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

void tlb_note_active(unsigned cpu, uint16_t asid)
{
    uint8_t bit = (uint8_t)(1u << cpu);
    if (!(__atomic_load_n(&tlb_asid_cpus[asid], __ATOMIC_RELAXED) & bit)) {
        asid_cpus_update(asid, bit, 0);
        /* The bit before this CPU's first walk of the address space: an
         * initiator that changed an entry and then reads the mask (a full
         * fence there too, remote_cpus_of) either sees the bit or its
         * change is visible to this CPU's walk (store-buffer ordering). */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    if (rule_check_on)
        rule_check_note_active(cpu, asid);
}

#ifndef HOST_TEST
#include "boot/smp.h"
#include <asm/sysreg.h>

/* One shootdown in flight at a time (sd_lock); the targets read sd_req. */
static struct {
    uint16_t asid;
    bool whole, last_level;
    uint64_t start, end, stride;
} sd_req;
static volatile uint32_t sd_acks;
static volatile int sd_lock;

/* Other CPUs that may hold asid's entries. */
static uint32_t remote_cpus_of(uint16_t asid)
{
    if (tlb_nr_cpus <= 1)
        return 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* the entry changes before the mask read */
    return __atomic_load_n(&tlb_asid_cpus[asid], __ATOMIC_RELAXED) & ~(1u << smp_id());
}

/* This CPU's invalidate of the request: raw, local. */
static void local_flush_raw(uint16_t asid, bool whole, uint64_t start, uint64_t end, uint64_t stride,
                            bool last_level)
{
    arch_tlb_local_pre();
    if (whole)
        arch_tlbi_asid_local(asid);
    else
        for (uint64_t va = start; va < end; va += stride)
            arch_tlbi_page_local(asid, va, last_level);
    arch_tlb_local_post();
}

void tlb_shootdown_ipi(void)
{
    uint32_t me = 1u << smp_id();
    if (!(__atomic_load_n(&sd_acks, __ATOMIC_ACQUIRE) & me))
        return;
    local_flush_raw(sd_req.asid, sd_req.whole, sd_req.start, sd_req.end, sd_req.stride, sd_req.last_level);
    __atomic_fetch_and(&sd_acks, ~me, __ATOMIC_RELEASE);
}

/* Reach the CPUs in `others` (this CPU already flushed itself). */
static void remote_flush(uint32_t others, uint16_t asid, bool whole, uint64_t start, uint64_t end,
                         uint64_t stride, bool last_level)
{
    uint32_t reach = others;            /* every CPU that may hold the entries */
    if (tlb_shootdown_skip_cpu >= 0)
        reach &= ~(1u << tlb_shootdown_skip_cpu);         /* the checker's own test */
    others = reach;
    __atomic_fetch_add(&tlb_smp_stats.shootdowns, 1, __ATOMIC_RELAXED);    /* any CPU may initiate */
    __atomic_fetch_add(&tlb_smp_stats.remote_cpus, (uint64_t)__builtin_popcount(others), __ATOMIC_RELAXED);
    if (ARCH_FIRMWARE_SHOOTDOWN && tlb_params.shootdown == SHOOTDOWN_SBI) {
        /* Under -icount: a virtual-clock deadline, so the firmware's wait
         * for the other harts does not run a whole 100 ms slice first. */
        arch_cpu_relax();
        unsigned calls = arch_firmware_remote_fence(others, asid, whole ? 0 : start, whole ? 0 : end - start);
        __atomic_fetch_add(&tlb_smp_stats.sbi_rfences, calls, __ATOMIC_RELAXED);    /* any CPU may initiate */
        if (rule_check_on)
            rule_check_remote_flush((uint8_t)others, asid, whole ? 0 : start, whole ? ~0ULL : end,
                                    !whole && last_level);
        return;
    }
    while (__atomic_exchange_n(&sd_lock, 1, __ATOMIC_ACQUIRE))
        spin_wait();                /* another initiator's request is served meanwhile */
    sd_req.asid = asid;
    sd_req.whole = whole;
    sd_req.start = start;
    sd_req.end = end;
    sd_req.stride = stride;
    sd_req.last_level = last_level;
    __atomic_store_n(&sd_acks, others, __ATOMIC_RELEASE);
    for (unsigned c = 0; c < TLB_MAX_CPUS; c++)
        if (others & (1u << c)) {
            smp_send_ipi(c, IPI_SHOOTDOWN);
            __atomic_fetch_add(&tlb_smp_stats.ipis, 1, __ATOMIC_RELAXED);    /* any CPU may initiate */
        }
    while (__atomic_load_n(&sd_acks, __ATOMIC_ACQUIRE))
        spin_wait();
    __atomic_store_n(&sd_lock, 0, __ATOMIC_RELEASE);
    if (rule_check_on)
        rule_check_remote_flush((uint8_t)others, asid, whole ? 0 : start, whole ? ~0ULL : end,
                                !whole && last_level);
}

/* The initiator's local part (non-IS forms on arm64; sfence.vma on riscv),
 * through hw.h so it is counted and modelled; then the remote part. */
static void flush_with_shootdown(uint32_t others, uint16_t asid, uint64_t start, uint64_t end,
                                 uint64_t stride, bool last_level, bool whole)
{
    hw_account_barriers(arch_tlb_local_pre());
    if (whole) {
        struct tlbi_rec r = arch_tlbi_asid_local(asid);
        hw_account_tlbi(&r);
    } else {
        for (uint64_t va = start; va < end; va += stride) {
            struct tlbi_rec r = arch_tlbi_page_local(asid, va, last_level);
            hw_account_tlbi(&r);
        }
    }
    hw_account_barriers(arch_tlb_local_post());
    remote_flush(others, asid, whole, start, end, stride, last_level);
}

void flush_tlb_asid_everywhere(uint16_t asid)
{
    uint32_t others = remote_cpus_of(asid);
    if (others && !(mmu_caps.broadcast_tlbi && tlb_params.shootdown == SHOOTDOWN_BROADCAST)) {
        flush_with_shootdown(others, asid, 0, ~0ULL, PAGE_SIZE, false, true);
    } else {
        tlb_pre_invalidate();
        tlbi_asid(asid);
        tlb_post_invalidate();
    }
    if (asid)
        asid_cpus_update(asid, 0, 0xff);
}

void tlb_smp_init(void) {}
#else
static uint32_t remote_cpus_of(uint16_t asid) { (void)asid; return 0; }
static void flush_with_shootdown(uint32_t others, uint16_t asid, uint64_t start, uint64_t end,
                                 uint64_t stride, bool last_level, bool whole)
{
    (void)others, (void)asid, (void)start, (void)end, (void)stride, (void)last_level, (void)whole;
}
void flush_tlb_asid_everywhere(uint16_t asid)
{
    tlb_pre_invalidate();
    tlbi_asid(asid);
    tlb_post_invalidate();
}
#endif

/* Another CPU may hold asid's entries and the method is not the hardware
 * broadcast: the initiator flushes locally, then reaches them (true).
 * Out of line: the one-CPU path stays as it was. */
static __attribute__((noinline)) bool flush_tlb_range_smp(uint16_t asid, uint64_t start, uint64_t end,
                                                          uint64_t stride, bool last_level)
{
    if (mmu_caps.broadcast_tlbi && tlb_params.shootdown == SHOOTDOWN_BROADCAST)
        return false;
    uint32_t others = remote_cpus_of(asid);
    if (!others)
        return false;
    /* Linux's threshold decides per-page vs whole ASID; walk caches
     * need the whole ASID on riscv (no by-VA non-leaf fence). */
    if (stride < PAGE_SIZE)
        stride = PAGE_SIZE;
    start = ALIGN_DOWN(start, PAGE_SIZE);
    uint64_t entries = (end - start + stride - 1) / stride;
    bool whole = (tlb_params.asid_threshold && entries >= tlb_params.asid_threshold) ||
                 !tlb_params.asid_threshold || (!last_level && !mmu_caps.tlbi_va_nonleaf);
    flush_with_shootdown(others, asid, start, end, stride, last_level, whole);
    return true;
}

static void flush_tlb_range_here(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride,
                                 bool last_level);

/* Another CPU than CPU 0 (where the mm runs its operations) may hold
 * asid's entries: the shootdown, or the hardware broadcast (the one-CPU
 * path). Out of line, a tail call: the common path stays frameless. */
static __attribute__((noinline)) void flush_tlb_range_others(uint16_t asid, uint64_t start, uint64_t end,
                                                             uint64_t stride, bool last_level)
{
    if (!flush_tlb_range_smp(asid, start, end, stride, last_level))
        flush_tlb_range_here(asid, start, end, stride, last_level);
}

void flush_tlb_range(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride, bool last_level)
{
    if (start >= end)
        return;
    /* With other CPUs online the mask is read after a full fence (the
     * entry changes before it: tlb_note_active); on one CPU it is CPU 0's
     * own bit at most. */
    if (__builtin_expect(tlb_nr_cpus > 1, 0))
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect(tlb_asid_cpus[asid] & ~1u, 0))
        flush_tlb_range_others(asid, start, end, stride, last_level);
    else
        flush_tlb_range_here(asid, start, end, stride, last_level);
}

static void flush_tlb_range_here(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride,
                                 bool last_level)
{
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
