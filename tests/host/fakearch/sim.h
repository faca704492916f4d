/*
 * Host environment of the mm core (tests/host/mm_random.mk): a simulated
 * arm64 MMU (sim_mmu.c) and the few kernel services mmu/ needs
 * (host_kernel.c).
 */
#ifndef TESTS_HOST_FAKEARCH_SIM_H
#define TESTS_HOST_FAKEARCH_SIM_H
#include <stdbool.h>
#include <stdint.h>

/* Memory arenas (node 0 and node 1) into the page allocator, the kernel's
 * root table, caps, mm_init(). Once per process. */
void sim_init(void);

/* Hardware access-flag / dirty-bit management (TCR.HA/HD); flushes the TLB. */
void sim_set_hw_ad(bool on);

/* Check every simulated TLB entry against the page tables (between
 * operations: a more permissive entry is a missing invalidate). */
void sim_tlb_audit(void);

/* Deliberate hardware bugs, to show the test notices them. */
enum sim_mutation {
    SIM_MUT_NONE,
    SIM_MUT_TLBI_NOOP,          /* invalidates leave the simulated TLB alone */
    SIM_MUT_IGNORE_RDONLY,      /* the walker ignores AP[2] (read-only) */
};
extern enum sim_mutation sim_mutation;

struct sim_stats {
    uint64_t accesses, walks, tlb_hits, tlb_fills, tlb_faults;
    uint64_t hw_af_sets, hw_dirty_sets, faults, retries_max, audits;
};
extern struct sim_stats sim_stats;

/* Failures found outside the core's checks (rule checker, simulated MMU):
 * counted and printed with rt_where(). */
extern unsigned host_failures;
extern char host_first_failure[256];
void host_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void host_reset_failures(void);
#endif
