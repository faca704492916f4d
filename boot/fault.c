/*
 * The arch-neutral half of fault handling, shared by the kernel's trap path
 * (boot/trap.c) and the host's simulated MMU (tests/host/fakearch): names,
 * the registered handler, the fault record, the event counters.
 */
#include <string.h>
#include "boot/trap.h"

struct fault_state fault_state;
#define fault_handler fault_state.handler
#define faults fault_state.record
int (*smp_fault_hook)(const struct fault_info *fi);

/* SMP (boot/smp.c): a fault another CPU took is handled there. */
enum fault_result fault_dispatch_smp(const struct fault_info *fi, void *frame)
{
    int sr = smp_fault_hook(fi);
    if (sr >= 0)
        return (enum fault_result)sr;
    return fault_dispatch_here(fi, frame);
}

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
