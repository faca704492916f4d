/* Event counters (see events.h). */
#include <string.h>
#include "mmu/events.h"

#ifdef HOST_TEST
uint64_t mm_events_host[EV_COUNT];
#define NR_EV_CPUS 1
static uint64_t *ev_cpu(unsigned c) { (void)c; return mm_events_host; }
#else
#include "boot/smp.h"
#define NR_EV_CPUS SMP_MAX_CPUS
static uint64_t *ev_cpu(unsigned c) { return cpus[c].ev; }
#endif

const char *const mm_event_names[EV_COUNT] = {
    [EV_PTE_STORE] = "pte_stores", [EV_TLBI_PAGE] = "tlbi_page",
    [EV_TLBI_PAGE_LOCAL] = "tlbi_page_local", [EV_TLBI_RANGE] = "tlbi_range",
    [EV_TLBI_SINVAL] = "tlbi_sinval", [EV_TLBI_ASID] = "tlbi_asid", [EV_TLBI_ALL] = "tlbi_all",
    [EV_BARRIER] = "barriers", [EV_PT_ALLOC] = "pt_alloc", [EV_PT_FREE] = "pt_free",
    [EV_FAULT_TRANSLATION] = "fault_translation", [EV_FAULT_PERMISSION] = "fault_permission",
    [EV_FAULT_ACCESS_FLAG] = "fault_access_flag", [EV_FAULT_PAGE] = "fault_page",
    [EV_FAULT_RESOLVED] = "fault_resolved",
};

/* Resetting while other CPUs count would race with their increments:
 * called between tests, with the other CPUs idle. */
void ev_reset(void)
{
    for (unsigned c = 0; c < NR_EV_CPUS; c++)
        memset(ev_cpu(c), 0, EV_COUNT * sizeof(uint64_t));
}

uint64_t ev_get(enum mm_event e)
{
    uint64_t n = 0;
    for (unsigned c = 0; c < NR_EV_CPUS; c++)
        n += __atomic_load_n(&ev_cpu(c)[e], __ATOMIC_RELAXED);
    return n;
}

void ev_snapshot(struct ev_snapshot *s)
{
    for (int i = 0; i < EV_COUNT; i++)
        s->v[i] = ev_get((enum mm_event)i);
}

void ev_delta(const struct ev_snapshot *since, struct ev_snapshot *d)
{
    for (int i = 0; i < EV_COUNT; i++)
        d->v[i] = ev_get((enum mm_event)i) - since->v[i];
}

uint64_t ev_tlbi_total(const struct ev_snapshot *s)
{
    return s->v[EV_TLBI_PAGE] + s->v[EV_TLBI_RANGE] + s->v[EV_TLBI_SINVAL] +
           s->v[EV_TLBI_ASID] + s->v[EV_TLBI_ALL];
}
