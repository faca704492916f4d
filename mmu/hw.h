/*
 * The one accounting layer between the mm and the MMU: every PTE store,
 * atomic PTE exchange, barrier, TLB-maintenance instruction and root switch
 * the mm issues goes through here. arch/ (asm/mmu.h) performs the raw
 * operation and says what it issued; this layer counts it (mmu/events.h)
 * and hands it to the TLB model of the rule checker (mmu/rule_check.h) when
 * that is on. Both arches and the host simulator share it.
 */
#ifndef MMU_HW_H
#define MMU_HW_H
#include <stdbool.h>
#include <stdint.h>
#include <asm/mmu.h>
#include "mmu/events.h"
#include "mmu/rule_check.h"

static inline void hw_account_barriers(unsigned bits)
{
    if (!bits)
        return;
    ev_add(EV_BARRIER, (uint64_t)__builtin_popcount(bits));
    if (rule_check_on)
        rule_check_barrier(bits);
}

static inline void hw_account_tlbi(const struct tlbi_rec *r)
{
    static const uint8_t ev_of_kind[] = {
        [TLBK_NONE] = EV_COUNT, [TLBK_PAGE] = EV_TLBI_PAGE, [TLBK_PAGE_LOCAL] = EV_TLBI_PAGE_LOCAL,
        [TLBK_RANGE] = EV_TLBI_RANGE, [TLBK_SINVAL] = EV_TLBI_SINVAL, [TLBK_ASID] = EV_TLBI_ASID,
        [TLBK_ALL] = EV_TLBI_ALL,
    };
    if (r->kind == TLBK_NONE)
        return;
    ev_inc((enum mm_event)ev_of_kind[r->kind]);
    if (rule_check_on)
        rule_check_tlbi(r);
}

/* ---- entries ---- */
static inline pte_t pte_read_once(const pte_t *p) { return arch_pte_read(p); }
/* A plain store: for entries no walker can be updating (not valid, or
 * being made valid from not valid), and for changes hardware A/D cannot
 * race (the caller holds the entry cleared, or the bits it drops are set
 * again by the next access). */
static inline void pte_store(pte_t *p, pte_t v)
{
    if (rule_check_on)
        rule_check_store(p, arch_pte_read(p), v);
    arch_pte_write(p, v);
    ev_inc(EV_PTE_STORE);
}
/* Atomic exchange of a live entry: returns the entry as it was at the
 * instant of the store, hardware access/dirty updates included (Linux's
 * ptep_get_and_clear / ptep_modify_prot_start use the same primitive). */
static inline pte_t pte_xchg(pte_t *p, pte_t v)
{
    pte_t old = arch_pte_xchg(p, v);
    if (rule_check_on)
        rule_check_store(p, old, v);
    ev_inc(EV_PTE_STORE);
    return old;
}
static inline pte_t pte_get_and_clear(pte_t *p) { return pte_xchg(p, 0); }
/* Replace *p by v only if it still holds *expected; else *expected gets the
 * entry as it is now and nothing is stored (the caller recomputes). */
static inline bool pte_cmpxchg(pte_t *p, pte_t *expected, pte_t v)
{
    pte_t old = *expected;
    if (!arch_pte_cmpxchg(p, expected, v))
        return false;
    if (rule_check_on)
        rule_check_store(p, old, v);
    ev_inc(EV_PTE_STORE);
    return true;
}

/* ---- barriers ---- */
static inline void pte_stores_visible(void) { hw_account_barriers(arch_pte_stores_visible()); }
static inline void table_publish(void) { hw_account_barriers(arch_table_publish()); }
static inline void tlb_pre_invalidate(void) { hw_account_barriers(arch_tlb_pre_invalidate()); }
static inline void tlb_post_invalidate(void) { hw_account_barriers(arch_tlb_post_invalidate()); }

/* ---- TLB maintenance (see asm/mmu.h for what each issues) ---- */
static inline void tlbi_page(uint16_t asid, uint64_t va, bool last_level)
{
    struct tlbi_rec r = arch_tlbi_page(asid, va, last_level);
    hw_account_tlbi(&r);
}
/* Range operations for `pages` pages from va; false (nothing issued) where
 * the CPU has none or the range does not fit. */
static inline bool tlbi_range_flush(uint16_t asid, uint64_t va, uint64_t pages, bool last_level)
{
    struct tlbi_rec recs[8];
    int n = arch_tlbi_range(asid, va, pages, last_level, recs, 8);
    for (int i = 0; i < n; i++)
        hw_account_tlbi(&recs[i]);
    return n > 0;
}
static inline void tlbi_asid(uint16_t asid)
{
    struct tlbi_rec r = arch_tlbi_asid(asid);
    hw_account_tlbi(&r);
}
static inline void tlbi_all(void)
{
    struct tlbi_rec r = arch_tlbi_all();
    hw_account_tlbi(&r);
}
static inline void flush_after_make_valid(uint16_t asid, uint64_t va)
{
    struct tlbi_rec r = arch_flush_after_make_valid(asid, va);
    hw_account_tlbi(&r);
}
static inline void flush_local_page(uint16_t asid, uint64_t va)
{
    unsigned bars;
    struct tlbi_rec r = arch_flush_local_page(asid, va, &bars);
    ev_add(EV_BARRIER, (uint64_t)__builtin_popcount(bars));
    if (rule_check_on)
        rule_check_barrier(bars & (HWB_LOCAL_STORE_ORDER | HWB_STORE_ORDER));
    hw_account_tlbi(&r);
    if (rule_check_on)
        rule_check_barrier(bars & ~(HWB_LOCAL_STORE_ORDER | HWB_STORE_ORDER));
}
static inline void tlbi_sinval_begin(void) { hw_account_barriers(arch_tlbi_sinval_begin()); }
static inline void tlbi_sinval_page(uint16_t asid, uint64_t va)
{
    struct tlbi_rec r = arch_tlbi_sinval_page(asid, va);
    hw_account_tlbi(&r);
}
static inline void tlbi_sinval_end(void) { hw_account_barriers(arch_tlbi_sinval_end()); }

/* ---- translation root ---- */
static inline void hw_switch_root(uint64_t root_pa, uint16_t asid)
{
    hw_account_barriers(arch_switch_root(root_pa, asid));
    if (rule_check_on)
        rule_check_switch(root_pa, asid);
}
#endif
