/*
 * ASIDs for address spaces, one CPU (Linux's arm64 and riscv scheme, cut to
 * what one CPU needs).
 *
 *   - More hardware ASIDs than address spaces can exist (the usual case,
 *     8 or 16 bits): an mm keeps ASID = its id for life; pgtable_destroy()
 *     flushes that ASID, so the next mm with the id starts clean.
 *   - Fewer (a riscv hart may implement 0..16 ASID bits; `asid_bits=` caps
 *     the width to test this): ASIDs are handed out at activation, tagged
 *     with a generation. When none is free, the generation rolls over: every
 *     ASID's entries are flushed and ASIDs are handed out afresh, so an ASID
 *     is never reused by another address space without a flush (rule R8).
 *     The flush comes right after the switch to the new root (as Linux riscv
 *     does), so nothing the old root's walks filled can survive under the
 *     reused ASID.
 *   - No ASID bits: every address space runs as ASID 0 and each switch to
 *     one flushes the whole TLB.
 */
#include "boot/kernel.h"
#include "mmu/asid.h"
#include "mmu/mm_internal.h"

#define MAX_HW_ASIDS 256        /* bitmap size for the allocating modes */

struct asid_stats asid_stats;
static unsigned nr_asids;       /* usable ASIDs, 1 .. nr_asids */
static bool is_static;
static uint64_t generation = 1;
static uint8_t used[MAX_HW_ASIDS / 8];
static uint16_t next_asid = 1;
static bool flush_pending;

void asid_init(void)
{
    unsigned bits = mmu_caps.asid_bits;
    nr_asids = bits >= 16 ? 65535 : (1u << bits) - 1;
    is_static = nr_asids >= MAX_MMS;
    if (!is_static && nr_asids >= MAX_HW_ASIDS)
        nr_asids = MAX_HW_ASIDS - 1;
}

bool asid_static(void) { return is_static; }
unsigned asid_count(void) { return nr_asids; }
uint16_t asid_initial(int mm_id) { return is_static ? (uint16_t)mm_id : 0; }

static void rollover(void)
{
    generation++;
    memset(used, 0, sizeof(used));
    next_asid = 1;
    asid_stats.rollovers++;
    flush_pending = true;       /* done once the new root is in place */
}

void asid_prepare_switch(struct mm *mm)
{
    if (!mm || is_static || nr_asids == 0)
        return;
    if (mm->asid_gen == generation)
        return;
    if (next_asid > nr_asids)
        rollover();
    uint16_t a = next_asid++;
    used[a / 8] |= (uint8_t)(1u << (a % 8));
    mm->pt.asid = a;
    mm->asid_gen = generation;
    asid_stats.assigned++;
}

void asid_after_switch(struct mm *mm)
{
    if (!mm)
        return;
    if (nr_asids == 0 || flush_pending) {
        /* Every ASID (all of them shared or just reissued): the whole TLB,
         * global kernel entries included (they are unchanged, so that only
         * costs refills). With other CPUs online, on every CPU that may hold
         * entries (ASID 0's mask: every CPU that ran): riscv's sfence.vma is
         * local, and a hart that ran an old mm under a reissued ASID would
         * otherwise keep its translations (R8). */
        if (tlb_nr_cpus > 1) {
            flush_tlb_asid_everywhere(0);
        } else {
            tlb_pre_invalidate();
            tlbi_all();
            tlb_post_invalidate();
        }
        asid_stats.switch_flushes++;
        flush_pending = false;
    }
}
