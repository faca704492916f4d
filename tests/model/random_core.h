/*
 * The randomized mm test's core, shared by the in-kernel KTAP cases
 * (tests/kernel/random_tests.c, real MMU under QEMU) and the host run
 * (tests/host/test_mm_random.c, simulated MMU under ASan/UBSan).
 *
 * Random operations (map, unmap, read, write, fork, mprotect, soft-dirty
 * clearing, NUMA scan, migration, mm_params changes) on up to three
 * address spaces over a small region at MM_VA_BASE, checked after every
 * step against the reference model (tests/model/model.h) and invariants
 * over every present PTE (see random_core.c).
 *
 * Needs from its environment: the mm core, trap_faults(), ktest_log().
 */
#ifndef TESTS_MODEL_RANDOM_CORE_H
#define TESTS_MODEL_RANDOM_CORE_H
#include <stdbool.h>
#include <stdint.h>

enum rt_mode { RT_SMALL, RT_LARGE, RT_MIXED };

#define RT_DEFAULT_SEED  20240611ULL
#define RT_DEFAULT_STEPS 3400U   /* x 3 cases: >= 1e4 random operations per QEMU configuration */

struct rt_result {
    bool failed;
    unsigned nfail;             /* failed checks (the first one fails the run) */
    unsigned fail_step;         /* step of the first failure */
    char fail_op[112];          /* the operation it ran */
    char fail_msg[200];         /* what was wrong */
    uint64_t free_before, free_after;   /* allocator free pages around the run */
    /* what the run exercised */
    unsigned steps_run;
    unsigned n_ops[13], protnone_traps, cont_seen, writes_ok, segv_ok;
};

/* One run: `steps` random operations from the stream (seed, case_no);
 * mode picks the anonymous folio order (0, 4, or switched at random).
 * Leaves no address space behind and restores mm_params. */
void rt_run(enum rt_mode mode, unsigned case_no, uint64_t seed, unsigned steps,
            struct rt_result *res);

/* "seed=S case=C step=N op: ..." of the running step (for failures found
 * outside the core: the rule checker, the host's simulated MMU). */
const char *rt_where(void);
/* A failure found outside the core (the host's simulated MMU): fails the
 * running step like the core's own checks (ignored outside a run). */
void rt_external_failure(const char *what);
/* Called after every step when set (the host audits its simulated TLB). */
extern void (*rt_step_hook)(void);
#endif
