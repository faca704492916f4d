/* Event counters (see events.h). */
#include <string.h>
#include "mmu/events.h"

uint64_t mm_events[MAX_CPUS][EV_COUNT];

const char *const mm_event_names[EV_COUNT] = {
    [EV_PTE_STORE] = "pte_stores", [EV_TLBI_PAGE] = "tlbi_page",
    [EV_TLBI_PAGE_LOCAL] = "tlbi_page_local", [EV_TLBI_RANGE] = "tlbi_range",
    [EV_TLBI_SINVAL] = "tlbi_sinval", [EV_TLBI_ASID] = "tlbi_asid", [EV_TLBI_ALL] = "tlbi_all",
    [EV_BARRIER] = "barriers", [EV_PT_ALLOC] = "pt_alloc", [EV_PT_FREE] = "pt_free",
    [EV_FAULT_TRANSLATION] = "fault_translation", [EV_FAULT_PERMISSION] = "fault_permission",
    [EV_FAULT_ACCESS_FLAG] = "fault_access_flag", [EV_FAULT_PAGE] = "fault_page",
    [EV_FAULT_RESOLVED] = "fault_resolved",
};

void ev_reset(void) { memset(mm_events, 0, sizeof(mm_events)); }

void ev_snapshot(struct ev_snapshot *s) { memcpy(s->v, mm_events[0], sizeof(s->v)); }

void ev_delta(const struct ev_snapshot *since, struct ev_snapshot *d)
{
    for (int i = 0; i < EV_COUNT; i++)
        d->v[i] = mm_events[0][i] - since->v[i];
}

uint64_t ev_tlbi_total(const struct ev_snapshot *s)
{
    return s->v[EV_TLBI_PAGE] + s->v[EV_TLBI_RANGE] + s->v[EV_TLBI_SINVAL] +
           s->v[EV_TLBI_ASID] + s->v[EV_TLBI_ALL];
}
