/*
 * Arch-neutral fault plumbing. arch/<arch>/exception.c decodes the syndrome
 * (ESR/FAR, scause/stval) into a struct fault_info and calls trap_fault();
 * the mm layer registers a handler that may resolve the fault; tests ask
 * "did this access fault, and how" through the probe_* accessors.
 */
#ifndef BOOT_TRAP_H
#define BOOT_TRAP_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/events.h"

enum access_type { ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC };
enum fault_kind {
    FAULT_TRANSLATION,      /* no valid entry at `level` */
    FAULT_PERMISSION,       /* valid entry forbids the access */
    FAULT_ACCESS_FLAG,      /* arm64: AF clear and no hardware AF update */
    FAULT_PAGE,             /* riscv: page fault; translation vs permission is
                               decided by the mm layer from the page table */
    FAULT_ALIGNMENT,
    FAULT_OTHER,
};
#define FAULT_KIND_COUNT (FAULT_OTHER + 1)

struct fault_info {
    uint64_t addr;          /* faulting virtual address (FAR / stval) */
    uint64_t pc;            /* faulting instruction */
    uint64_t syndrome;      /* raw ESR / scause */
    enum access_type access;
    enum fault_kind kind;
    int level;              /* table level reported by hardware, -1 if unknown */
};

const char *fault_kind_name(enum fault_kind k);
const char *access_type_name(enum access_type a);

/* Returned by a fault handler. */
enum fault_result { FAULT_HANDLED, FAULT_UNHANDLED };
typedef enum fault_result (*fault_handler_t)(const struct fault_info *fi);

/* Install the mm layer's handler for memory-access faults (NULL removes it).
 * Returns the previous one. */
fault_handler_t trap_set_fault_handler(fault_handler_t h);


/* SMP (boot/smp.c): sees every fault first once other CPUs run work; -1 =
 * not its business (CPU 0), else the enum fault_result of a fault another
 * CPU took and handled there. NULL on one CPU and on the host. */
extern int (*smp_fault_hook)(const struct fault_info *fi);

/* Called by the arch layer for every data/instruction abort or page fault.
 * Runs the handler; if it does not resolve the fault and the faulting
 * instruction is a probe accessor, the probe returns an error instead. Any
 * other unresolved fault is fatal (trap_unexpected). */
void trap_fault(const struct fault_info *fi, void *frame);
/* Called for every other exception: prints the registers, names the running
 * test, fails it and ends the run. */
__attribute__((noreturn)) void trap_unexpected(const char *what, void *frame);

/*
 * Probe accessors: perform one access, return 0 if it completed (possibly
 * after the fault handler fixed the mapping) or -1 if it faulted and was not
 * resolved. Every fault taken (resolved or not) is recorded.
 */
int probe_read64(const volatile void *addr, uint64_t *val);
int probe_write64(volatile void *addr, uint64_t val);
int probe_exec(const void *addr);   /* calls addr, which must hold a `ret` */

/* Faults seen since the last trap_reset_faults(): count and the last one. */
struct fault_record {
    unsigned count;             /* all memory faults taken */
    unsigned unresolved;        /* of which the handler did not resolve */
    struct fault_info last;
};
void trap_reset_faults(void);
const struct fault_record *trap_faults(void);

/* Count and record one fault and run the registered handler: inline in the
 * kernel's trap path (boot/trap.c) and the host's simulated MMU, its state
 * in boot/fault.c. */
struct fault_state {
    fault_handler_t handler;
    struct fault_record record;
    unsigned depth;             /* a fault inside the handler is fatal */
};
extern struct fault_state fault_state;

static inline enum fault_result fault_dispatch_here(const struct fault_info *fi, void *frame)
{
    static const enum mm_event ev[FAULT_KIND_COUNT] = {
        [FAULT_TRANSLATION] = EV_FAULT_TRANSLATION, [FAULT_PERMISSION] = EV_FAULT_PERMISSION,
        [FAULT_ACCESS_FLAG] = EV_FAULT_ACCESS_FLAG, [FAULT_PAGE] = EV_FAULT_PAGE,
    };
    struct fault_state *st = &fault_state;
    if (ev[fi->kind])
        ev_inc(ev[fi->kind]);
    st->record.count++;
    st->record.last = *fi;
    if (st->depth > 0)
        trap_unexpected("fault inside the fault handler", frame);
    st->depth++;
    enum fault_result r = st->handler ? st->handler(fi) : FAULT_UNHANDLED;
    st->depth--;
    if (r == FAULT_HANDLED)
        ev_inc(EV_FAULT_RESOLVED);
    else
        st->record.unresolved++;
    return r;
}

/* SMP: once other CPUs run work, smp_fault_hook sees every fault first (a
 * fault another CPU took is handled there); out of line. */
enum fault_result fault_dispatch_smp(const struct fault_info *fi, void *frame);

static inline enum fault_result fault_dispatch(const struct fault_info *fi, void *frame)
{
    if (__builtin_expect(smp_fault_hook != NULL, 0))
        return fault_dispatch_smp(fi, frame);
    return fault_dispatch_here(fi, frame);
}
#endif
