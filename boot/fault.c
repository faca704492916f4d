/*
 * The arch-neutral half of fault handling, shared by the kernel's trap path
 * (boot/trap.c) and the host's simulated MMU (tests/host/fakearch): names,
 * the registered handler, the fault record, the event counters.
 */
#include <string.h>
#include "boot/trap.h"
#include "mmu/events.h"

static fault_handler_t fault_handler;
static struct fault_record faults;
static unsigned dispatch_depth;
int (*smp_fault_hook)(const struct fault_info *fi);

static const char *const kind_names[FAULT_KIND_COUNT] = {
    [FAULT_TRANSLATION] = "translation", [FAULT_PERMISSION] = "permission",
    [FAULT_ACCESS_FLAG] = "access-flag", [FAULT_PAGE] = "page",
    [FAULT_ALIGNMENT] = "alignment", [FAULT_OTHER] = "other",
};

const char *fault_kind_name(enum fault_kind k)
{
    return (unsigned)k < FAULT_KIND_COUNT ? kind_names[k] : "?";
}

const char *access_type_name(enum access_type a)
{
    return a == ACCESS_WRITE ? "write" : a == ACCESS_EXEC ? "exec" : "read";
}

fault_handler_t trap_set_fault_handler(fault_handler_t h)
{
    fault_handler_t old = fault_handler;
    fault_handler = h;
    return old;
}

void trap_reset_faults(void) { memset(&faults, 0, sizeof(faults)); }
const struct fault_record *trap_faults(void) { return &faults; }

static inline __attribute__((always_inline)) enum fault_result
dispatch_here(const struct fault_info *fi, void *frame)
{
    static const enum mm_event ev[FAULT_KIND_COUNT] = {
        [FAULT_TRANSLATION] = EV_FAULT_TRANSLATION, [FAULT_PERMISSION] = EV_FAULT_PERMISSION,
        [FAULT_ACCESS_FLAG] = EV_FAULT_ACCESS_FLAG, [FAULT_PAGE] = EV_FAULT_PAGE,
    };
    if (ev[fi->kind])
        ev_inc(ev[fi->kind]);
    faults.count++;
    faults.last = *fi;
    if (dispatch_depth > 0)
        trap_unexpected("fault inside the fault handler", frame);
    dispatch_depth++;
    enum fault_result r = fault_handler ? fault_handler(fi) : FAULT_UNHANDLED;
    dispatch_depth--;
    if (r == FAULT_HANDLED)
        ev_inc(EV_FAULT_RESOLVED);
    else
        faults.unresolved++;
    return r;
}

/* SMP (boot/smp.c): a fault another CPU took is handled there. */
static __attribute__((noinline)) enum fault_result dispatch_smp(const struct fault_info *fi, void *frame)
{
    int sr = smp_fault_hook(fi);
    if (sr >= 0)
        return (enum fault_result)sr;
    return dispatch_here(fi, frame);
}

enum fault_result fault_dispatch(const struct fault_info *fi, void *frame)
{
    if (__builtin_expect(smp_fault_hook != NULL, 0))
        return dispatch_smp(fi, frame);
    return dispatch_here(fi, frame);
}
