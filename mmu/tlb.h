/*
 * TLB invalidation for the mm layer: policies and a gather.
 *
 * Policies (selectable at run time so they can be compared in one boot):
 *   per-page   one invalidate per entry (4 KiB page, or 2 MiB / 1 GiB block),
 *              always (the naive baseline)
 *   range      arm64 FEAT_TLBIRANGE operations, riscv Svinval batches
 *              (per entry where neither exists; the whole ASID past
 *              asid_threshold entries or what one plan can encode)
 *   asid       per entry below asid_threshold entries, else the whole
 *              address space (Linux's rule; threshold 0 = always the ASID)
 *   auto       what Linux does: arm64 range ops if present, else asid
 *   unsafe-per-block   a what-if, architecturally WRONG: one invalidate per
 *              64 KiB contiguous block. The CONT bit and Svnapot are hints:
 *              a CPU may hold the 16 pages as 16 separate TLB entries, and an
 *              invalidate by VA removes only the one for its page (Arm ARM
 *              D8.6.1 "contiguous bit"; riscv privileged spec, Svnapot: every
 *              PTE of a NAPOT region must be invalidated). Kept to measure
 *              what the elision would save and to show that the rule checker
 *              and QEMU catch it; never chosen by auto.
 * A contiguous block is therefore always invalidated page by page (or by a
 * range op or an ASID flush covering it), as Linux does (contpte_convert,
 * and hugetlb's flush of CONT_PTE_SIZE with a PAGE_SIZE stride).
 * Thresholds are parameters (tlb_params), not constants.
 */
#ifndef MMU_TLB_H
#define MMU_TLB_H
#include <stdbool.h>
#include <stdint.h>

enum tlbi_policy { TLBI_AUTO, TLBI_PER_PAGE, TLBI_UNSAFE_PER_BLOCK, TLBI_RANGE, TLBI_ASID, TLBI_POLICY_COUNT };
extern const char *const tlbi_policy_names[TLBI_POLICY_COUNT];

/* How other CPUs' TLBs are reached (run time: shootdown= or the shell):
 *   broadcast  arm64 ...is maintenance: the hardware reaches every PE of the
 *              Inner Shareable domain, no IPI
 *   ipi        an IPI to each other CPU that may hold the address space's
 *              entries; the initiator and each target invalidate locally
 *              (arm64 non-IS forms + dsb nsh; riscv sfence.vma)
 *   sbi        riscv SBI RFENCE remote_sfence_vma_asid to those harts (the
 *              firmware does the IPIs), after a local sfence.vma
 * With one CPU online, or none other holding the ASID, every method is a
 * local flush (arm64 broadcast still uses the ...is forms). */
enum tlb_shootdown { SHOOTDOWN_BROADCAST, SHOOTDOWN_IPI, SHOOTDOWN_SBI, SHOOTDOWN_COUNT };
extern const char *const tlb_shootdown_names[SHOOTDOWN_COUNT];
int tlb_shootdown_parse(const char *name);  /* -1 if unknown or not on this arch */

struct tlb_params {
    enum tlbi_policy policy;
    enum tlb_shootdown shootdown;
    /* asid policy: this many entries or more become one ASID flush (0 =
     * always); also the range policy's fallback where a range cannot be
     * encoded. Linux: arm64 without range ops 512 (MAX_DVM_OPS), riscv 64. */
    uint64_t asid_threshold;
};
extern struct tlb_params tlb_params;
void tlb_params_default(void);
int tlbi_policy_parse(const char *name);    /* -1 if unknown */

/* ---- which CPUs may hold an address space's entries (mm_cpumask) ----
 * Bit c of tlb_asid_cpus[asid]: CPU c switched to that ASID since the
 * ASID was last flushed everywhere. A CPU that switched away keeps its bit:
 * its TLB may still hold the entries. */
#define TLB_MAX_CPUS 8
extern uint8_t tlb_asid_cpus[65536];
extern unsigned tlb_nr_cpus;                /* CPUs online (1 = no remote TLBs) */
void tlb_smp_init(void);                    /* boot/smp.c, before bring-up */
void tlb_note_active(unsigned cpu, uint16_t asid);
/* Flush the whole ASID on every CPU that may hold it, then forget them
 * (an address space destroyed: its ASID may be reused). */
void flush_tlb_asid_everywhere(uint16_t asid);
/* The IPI handler's half of a shootdown (boot/smp.c). */
void tlb_shootdown_ipi(void);
struct tlb_smp_stats {
    uint64_t shootdowns;        /* flushes that had to reach another CPU */
    uint64_t ipis;              /* IPIs sent for them (ipi method) */
    uint64_t sbi_rfences;       /* SBI RFENCE calls (sbi method) */
    uint64_t remote_cpus;       /* CPUs reached, summed */
};
extern struct tlb_smp_stats tlb_smp_stats;
/* Test hook (planted bug "shootdown skips one CPU"): never set in normal runs. */
extern int tlb_shootdown_skip_cpu;

/* Invalidate [start, end) of asid: entries of `stride` bytes (4 KiB pages,
 * which includes every member of a contiguous block, or 2 MiB / 1 GiB
 * blocks). last_level: only leaf entries
 * changed; false when table pages were freed (walk caches must go too).
 * Includes the barriers before and after. */
void flush_tlb_range(uint16_t asid, uint64_t start, uint64_t end, uint64_t stride, bool last_level);

/* Collects what an operation changed; one flush at the end. Page-table pages
 * unlinked during the operation are freed only after that flush. */
#define TLB_GATHER_MAX_TABLES 32
#define TLB_GATHER_MAX_PAGES 256
struct page;
struct tlb_gather {
    uint16_t asid;
    uint64_t start, end;        /* start == end: nothing to flush */
    bool page_granular;         /* something was added page by page (else only
                                   whole contiguous blocks: unsafe-per-block) */
    bool freed_tables;
    int nr_tables;
    uint64_t tables[TLB_GATHER_MAX_TABLES];
    /* Pages whose mapping was removed: released (page_remove_map, which may
     * free them) only after the flush, so no TLB can still reach a page
     * that was handed to someone else (Linux's mmu_gather page batch). */
    int nr_pages;
    struct page *pages[TLB_GATHER_MAX_PAGES];
};
void tlb_gather_init(struct tlb_gather *g, uint16_t asid);
void tlb_gather_add(struct tlb_gather *g, uint64_t va, uint64_t size);
/* A whole contiguous block: flushed page by page like any other range; only
 * the unsafe-per-block what-if flushes it once. */
void tlb_gather_add_block(struct tlb_gather *g, uint64_t va, uint64_t size);
void tlb_gather_free_table(struct tlb_gather *g, uint64_t table_pa);
/* Drop one mapping of p after the flush that removes it from the TLBs. */
void tlb_gather_remove_page(struct tlb_gather *g, struct page *p);
void tlb_gather_finish(struct tlb_gather *g);
#endif
