/*
 * Event counters: every PTE store, TLB invalidate, barrier, page-table page
 * and fault is counted, so tests and benchmarks assert on events instead of
 * guessing. Per CPU, summed when read; resettable.
 */
#ifndef MMU_EVENTS_H
#define MMU_EVENTS_H
#include <stdint.h>

enum mm_event {
    EV_PTE_STORE,           /* a write of a page-table entry (any level) */
    EV_TLBI_PAGE,           /* one-page invalidate, broadcast (arm64 vale1is/vae1is; riscv sfence.vma va,asid) */
    EV_TLBI_PAGE_LOCAL,     /* one-page local invalidate after invalid->valid (riscv negative caching) */
    EV_TLBI_RANGE,          /* arm64 FEAT_TLBIRANGE operation (rvale1is/rvae1is) */
    EV_TLBI_SINVAL,         /* riscv Svinval sinval.vma */
    EV_TLBI_ASID,           /* whole address space */
    EV_TLBI_ALL,            /* everything */
    EV_BARRIER,             /* dsb/isb, sfence.w.inval/sfence.inval.ir, fence */
    EV_PT_ALLOC,            /* page-table pages allocated */
    EV_PT_FREE,             /* page-table pages freed */
    EV_FAULT_TRANSLATION,
    EV_FAULT_PERMISSION,
    EV_FAULT_ACCESS_FLAG,
    EV_FAULT_PAGE,          /* riscv page fault before classification */
    EV_FAULT_RESOLVED,      /* a fault the mm handler fixed */
    EV_COUNT
};

extern const char *const mm_event_names[EV_COUNT];

/*
 * Per CPU: each CPU counts into its own array, found through the per-CPU
 * register (arm64 TPIDR_EL1, riscv sscratch, arm TPIDRPRW: the CPU's
 * struct cpu, whose first member is the array, boot/smp.h), so counting
 * needs no atomics and costs what a global counter does. Readers sum over
 * the CPUs. The host tests have one CPU.
 */
#ifdef HOST_TEST
extern uint64_t mm_events_host[EV_COUNT];
static inline uint64_t *ev_this_cpu(void) { return mm_events_host; }
#else
#include <asm/percpu.h>
static inline uint64_t *ev_this_cpu(void) { return (uint64_t *)arch_percpu_base(); }
#endif

static inline void ev_inc(enum mm_event e) { ev_this_cpu()[e]++; }
static inline void ev_add(enum mm_event e, uint64_t n) { ev_this_cpu()[e] += n; }
uint64_t ev_get(enum mm_event e);       /* summed over the CPUs */

struct ev_snapshot { uint64_t v[EV_COUNT]; };
void ev_reset(void);
void ev_snapshot(struct ev_snapshot *s);
/* d = now - since */
void ev_delta(const struct ev_snapshot *since, struct ev_snapshot *d);
uint64_t ev_tlbi_total(const struct ev_snapshot *s);   /* broadcast invalidate instructions */
#endif
