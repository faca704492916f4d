/*
 * Benchmarks that drive the page tables and TLB directly (no mm core):
 * overhead, tlb_raw, first_access. See bench.c for the list.
 */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/trap.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "tests/bench/kbench.h"
#include <asm/counters.h>

/* ------------------------------------------------------------ overhead */
static int empty_op(void *arg)
{
    (void)arg;
    return 0;
}

static void overhead_run(struct kbench_ctx *b)
{
    struct kbench_case c = {
        .variant = "back-to-back", .params = "", .unit = "read", .per = 1,
        .note = "timer, instret, cycle reads back to back with nothing between; "
                "included in every other result, not subtracted",
    };
    kbench_measure(b, &c);
    c.variant = "empty-op";
    c.baseline = "back-to-back";
    c.op = empty_op;
    c.note = "the harness window around an empty operation (indirect call): "
             "the fixed cost inside every other result, not subtracted";
    kbench_measure(b, &c);
}
KBENCH(overhead, 00, KBENCH_DEFAULT, "cost of the counter reads around each measurement");

/* ------------------------------------------------------------ a private address space */
/* A 2 MiB window of KBENCH_ASID mapped to one physical 2 MiB block with
 * 4 KiB entries (contiguous blocks where the CPU has them), young and, for
 * first_access, writable. Activated while a benchmark runs. */
struct rawas {
    struct pgtable pt;
    uint64_t pa, va, size;
    unsigned order;
    bool active;
};

static int rawas_create(struct rawas *a, uint64_t size, unsigned prot, unsigned flags)
{
    memset(a, 0, sizeof(*a));
    a->size = size;
    a->va = KBENCH_VA;
    a->order = 0;
    while ((PAGE_SIZE << a->order) < size)
        a->order++;
    if (pgtable_create(&a->pt, KBENCH_ASID) < 0)
        return -1;
    a->pa = palloc_alloc(a->order, -1, PA_ZERO);
    if (!a->pa) {
        pgtable_destroy(&a->pt);
        return -1;
    }
    if (pt_map(&a->pt, a->va, a->pa, size, pgprot_from_prot(prot, true), flags) < 0) {
        pgtable_destroy(&a->pt);
        palloc_free(a->pa, a->order);
        return -1;
    }
    pgtable_activate(&a->pt);
    a->active = true;
    return 0;
}

static void rawas_destroy(struct rawas *a)
{
    if (a->active)
        pgtable_activate(&kernel_pgtable);
    pgtable_destroy(&a->pt);
    palloc_free(a->pa, a->order);
    a->active = false;
}

/* ------------------------------------------------------------ tlb_raw */
enum raw_kind { RAW_PER_PAGE, RAW_PER_BLOCK, RAW_RANGE, RAW_ASID, RAW_BARRIERS };

struct raw_arg {
    struct rawas *as;
    enum raw_kind kind;
    uint64_t pages;
};

/* Load the pages' translations into the TLB (a real CPU's; QEMU's too). */
static int raw_touch(void *arg)
{
    struct raw_arg *r = arg;
    for (uint64_t i = 0; i < r->pages; i++)
        (void)*(volatile uint64_t *)(uintptr_t)(r->as->va + i * PAGE_SIZE);
    return 0;
}

static int raw_op(void *arg)
{
    struct raw_arg *r = arg;
    uint16_t asid = r->as->pt.asid;
    uint64_t va = r->as->va;
    switch (r->kind) {
    case RAW_BARRIERS:
        tlb_pre_invalidate();
        tlb_post_invalidate();
        break;
    case RAW_PER_PAGE:
        tlb_pre_invalidate();
        for (uint64_t i = 0; i < r->pages; i++)
            tlbi_page(asid, va + i * PAGE_SIZE, true);
        tlb_post_invalidate();
        break;
    case RAW_PER_BLOCK:
        tlb_pre_invalidate();
        for (uint64_t i = 0; i < r->pages; i += CONT_PTES)
            tlbi_page(asid, va + i * PAGE_SIZE, true);
        tlb_post_invalidate();
        break;
    case RAW_RANGE:
        tlb_pre_invalidate();
        if (mmu_caps.tlbi_range) {
            if (!tlbi_range_flush(asid, va, r->pages, true))
                return -1;
        } else {
            tlbi_sinval_begin();
            for (uint64_t i = 0; i < r->pages; i++)
                tlbi_sinval_page(asid, va + i * PAGE_SIZE);
            tlbi_sinval_end();
        }
        tlb_post_invalidate();
        break;
    case RAW_ASID:
        tlb_pre_invalidate();
        tlbi_asid(asid);
        tlb_post_invalidate();
        break;
    }
    return 0;
}

static void tlb_raw_run(struct kbench_ctx *b)
{
    static const uint64_t sizes_full[] = { 1, 16, 512 }, sizes_quick[] = { 1, 16 };
    const uint64_t *sizes = b->quick ? sizes_quick : sizes_full;
    unsigned nsizes = b->quick ? ARRAY_SIZE(sizes_quick) : ARRAY_SIZE(sizes_full);
    uint64_t maxpages = sizes[nsizes - 1];
    struct rawas as;
    unsigned flags = PT_MAP_YOUNG | (mmu_caps.cont ? PT_MAP_CONT : 0);
    if (rawas_create(&as, maxpages * PAGE_SIZE, PROT_READ, flags) < 0) {
        kbench_note(b, "error: cannot build the address space");
        b->failed++;
        return;
    }
    const char *range_note = mmu_caps.tlbi_range ? "arm64 FEAT_TLBIRANGE rvale1is (tlbi_range_plan)"
                             : mmu_caps.svinval ? "riscv Svinval: sfence.w.inval; sinval.vma x N; sfence.inval.ir"
                             : NULL;
    static const char *const names[] = { "per-page", "unsafe-per-block", "range", "asid" };
    char params[64];
    struct raw_arg arg = { .as = &as };
    struct kbench_case c = { .unit = "page", .setup = raw_touch, .op = raw_op, .arg = &arg };

    /* The barrier pair alone: what every flush below pays once. */
    snprintf(params, sizeof(params), "\"op\":\"barriers\"");
    arg.kind = RAW_BARRIERS;
    arg.pages = 1;
    c.variant = "pre+post";
    c.params = params;
    c.unit = "op";
    c.per = 1;
#ifdef __riscv
    c.note = "riscv: sfence.vma orders the stores itself; no barrier instructions";
#else
    c.note = "arm64: dsb ishst; dsb ish; isb";
#endif
    kbench_measure(b, &c);
    c.unit = "page";

    for (unsigned s = 0; s < nsizes; s++) {
        uint64_t pages = sizes[s];
        snprintf(params, sizeof(params), "\"pages\":%llu,\"size_kib\":%llu",
                 (unsigned long long)pages, (unsigned long long)(pages * PAGE_SIZE / 1024));
        for (int k = RAW_PER_PAGE; k <= RAW_ASID; k++) {
            arg.kind = (enum raw_kind)k;
            arg.pages = pages;
            c.variant = names[k];
            c.baseline = k == RAW_PER_PAGE ? NULL : "per-page";
            c.per = pages;
            c.note = NULL;
            if (k == RAW_PER_BLOCK) {
                if (pages < CONT_PTES)
                    continue;       /* same as per-page below one block */
                if (!mmu_caps.cont) {
                    kbench_unavailable(b, names[k], params,
                                       "no contiguous (CONT/Svnapot) mappings on this CPU");
                    continue;
                }
                c.note = "UNSAFE what-if: one invalidate per 64 KiB block leaves the other 15 pages' entries (CONT/Svnapot are hints)";
            }
            if (k == RAW_RANGE) {
                if (!range_note) {
                    kbench_unavailable(b, names[k], params,
#ifdef __riscv
                                       "no Svinval on this hart"
#else
                                       "no FEAT_TLBIRANGE on this CPU"
#endif
                    );
                    continue;
                }
                c.note = range_note;
            }
            kbench_measure(b, &c);
        }
    }
    rawas_destroy(&as);
}
KBENCH(tlb_raw, 10, KBENCH_DEFAULT, "raw TLB invalidates: page, 64 KiB block, range, ASID, barriers");

/* ------------------------------------------------------------ first_access */
/*
 * First write to each page after a write-unprotect (RO -> RW). The unprotect
 * (untimed) either presets young+dirty (what Linux does with a "will need"
 * hint) or leaves the PTE old and clean; then the first write costs a
 * hardware A/D update (FEAT_HAFDBS, Svadu) or software faults (arm64: an
 * access-flag fault, then a permission fault for dirty; riscv Svade: one
 * page fault). Timed: one write to each page.
 */
enum fa_mode { FA_PRESET, FA_HW, FA_SW };

struct fa_arg {
    struct rawas *as;
    enum fa_mode mode;
    uint64_t pages;
};

static struct fa_arg *fa_active;

static enum fault_result fa_fault(const struct fault_info *fi)
{
    struct fa_arg *a = fa_active;
    uint64_t va = ALIGN_DOWN(fi->addr, PAGE_SIZE);
    if (!a || va < a->as->va || va >= a->as->va + a->pages * PAGE_SIZE)
        return FAULT_UNHANDLED;
    int level;
    pte_t *e = pt_lookup(&a->as->pt, va, &level);
    if (!e || level != LEAF_LEVEL || !pte_valid(pte_read_once(e)))
        return FAULT_UNHANDLED;
    pte_t v = pte_read_once(e);
    uint16_t asid = a->as->pt.asid;
    if (fi->kind == FAULT_PERMISSION) {
        /* arm64 dirty fault: a writable-clean PTE (DBM set, RDONLY set)
         * without hardware dirty. The old read-only entry may be cached:
         * invalidate it (Linux: ptep_set_access_flags, then flush). */
        if (fi->access != ACCESS_WRITE || !pte_write(v))
            return FAULT_UNHANDLED;
        pte_store(e, pte_mkdirty(pte_mkyoung(v)));
        flush_tlb_range(asid, va, va + PAGE_SIZE, PAGE_SIZE, true);
        return FAULT_HANDLED;
    }
    if (fi->kind == FAULT_ACCESS_FLAG || fi->kind == FAULT_PAGE) {
        /* arm64 access flag (entries that fault on AF are never cached);
         * riscv Svade: set A, and D on a write, then the local fence the
         * spec asks for. */
        pte_t n = pte_mkyoung(v);
        if (fi->kind == FAULT_PAGE && fi->access == ACCESS_WRITE) {
            if (!pte_write(v))
                return FAULT_UNHANDLED;
            n = pte_mkdirty(n);
        }
        if (n == v)
            return FAULT_UNHANDLED;
        pte_store(e, n);
        flush_after_make_valid(asid, va);
        pte_stores_visible();
        return FAULT_HANDLED;
    }
    return FAULT_UNHANDLED;
}

/* Untimed: write-protect every page (young), flush, then write-unprotect
 * the way the variant says, flush. */
static int fa_setup(void *arg)
{
    struct fa_arg *a = arg;
    struct pgtable *pt = &a->as->pt;
    uint64_t end = a->as->va + a->pages * PAGE_SIZE;
    for (uint64_t va = a->as->va; va < end; va += PAGE_SIZE) {
        int level;
        pte_t *e = pt_lookup(pt, va, &level);
        if (!e || level != LEAF_LEVEL)
            return -1;
        pte_store(e, pte_mkyoung(pte_modify(pte_read_once(e), pgprot_from_prot(PROT_READ, true))));
    }
    flush_tlb_range(pt->asid, a->as->va, end, PAGE_SIZE, true);
    for (uint64_t va = a->as->va; va < end; va += PAGE_SIZE) {
        int level;
        pte_t *e = pt_lookup(pt, va, &level);
        pte_t v = pte_modify(pte_mkclean(pte_read_once(e)),
                             pgprot_from_prot(PROT_READ | PROT_WRITE, true));
        v = a->mode == FA_PRESET ? pte_mkdirty(pte_mkyoung(v)) : pte_mkold(v);
        pte_store(e, v);
    }
    flush_tlb_range(pt->asid, a->as->va, end, PAGE_SIZE, true);
    return 0;
}

static int fa_op(void *arg)
{
    struct fa_arg *a = arg;
    for (uint64_t i = 0; i < a->pages; i++)
        if (probe_write64((volatile void *)(uintptr_t)(a->as->va + i * PAGE_SIZE), i) != 0)
            return -1;
    return 0;
}

static void first_access_run(struct kbench_ctx *b)
{
    uint64_t pages = b->quick ? 16 : 128;
    struct rawas as;
    if (rawas_create(&as, pages * PAGE_SIZE, PROT_READ, PT_MAP_YOUNG) < 0) {
        kbench_note(b, "error: cannot build the address space");
        b->failed++;
        return;
    }
    bool hw_boot = mmu_caps.hw_af;
    /* Which variants this boot can run. */
#ifdef __riscv
    bool can_hw = mmu_caps.hw_af, can_sw = !mmu_caps.hw_af;
    const char *hw_note = "Svadu: the hart sets A and D";
    const char *sw_note = "Svade: a page fault sets A and D";
    const char *no_hw = "this hart raises page faults on A/D = 0 (Svade)";
    const char *no_sw = "this hart updates A/D in hardware (Svadu; boot with -cpu rv64,svade=on)";
#else
    bool can_hw = mmu_caps.hw_af_avail, can_sw = true;
    const char *hw_note = mmu_caps.hw_dirty_avail ? "FEAT_HAFDBS: TCR.HA and TCR.HD set"
                                                  : "FEAT_HAFDBS AF only: dirty still faults";
    const char *sw_note = "TCR.HA/HD cleared for this case: access-flag fault, then permission fault";
    const char *no_hw = "no FEAT_HAFDBS on this CPU";
    const char *no_sw = "";
#endif
    kbench_note(b, "variants in this boot: preset%s%s (hardware A/D %s at boot)",
                can_hw ? " hw-ad" : "", can_sw ? " sw-fault" : "", hw_boot ? "on" : "off");
    char params[64];
    snprintf(params, sizeof(params), "\"pages\":%llu,\"op\":\"first-write\"",
             (unsigned long long)pages);
    struct fa_arg arg = { .as = &as, .pages = pages };
    struct kbench_case c = { .params = params, .unit = "page", .per = pages, .setup = fa_setup,
                             .op = fa_op, .arg = &arg };
    fault_handler_t saved = trap_set_fault_handler(fa_fault);
    fa_active = &arg;

    arg.mode = FA_PRESET;
    c.variant = "preset";
    c.note = "write-unprotect sets young and dirty: no update at first write";
    kbench_measure(b, &c);

    c.baseline = "preset";
    if (can_hw) {
        bool ok = arch_set_hw_ad(true);
        arg.mode = FA_HW;
        c.variant = "hw-ad";
        c.note = hw_note;
        if (ok)
            kbench_measure(b, &c);
        else
            kbench_unavailable(b, "hw-ad", params, "cannot switch hardware A/D on");
    } else {
        kbench_unavailable(b, "hw-ad", params, no_hw);
    }
    if (can_sw) {
        bool ok = arch_set_hw_ad(false);
        arg.mode = FA_SW;
        c.variant = "sw-fault";
        c.note = sw_note;
        if (ok)
            kbench_measure(b, &c);
        else
            kbench_unavailable(b, "sw-fault", params, "cannot switch hardware A/D off");
    } else {
        kbench_unavailable(b, "sw-fault", params, no_sw);
    }
    arch_set_hw_ad(hw_boot);

    fa_active = NULL;
    trap_set_fault_handler(saved);
    rawas_destroy(&as);
}
KBENCH(first_access, 20, KBENCH_DEFAULT,
       "first write after write-unprotect: A/D preset, hardware A/D, software A/D fault");
