/*
 * Architecture-rule checker with a worst-case TLB model: on in tests, off
 * in benchmarks. Every PTE store, invalidate, barrier, table allocation and
 * free and root switch of the address spaces it tracks reaches it through
 * mmu/hw.h. It keeps the set of translations a CPU is ALLOWED to hold that
 * differ from the page tables now (the current entries may always be
 * cached; what matters is what else may be):
 *   - a valid leaf entry, once written, per 4 KiB page; a CONT/Svnapot
 *     member also as one 64 KiB block entry reached from any member;
 *     level-1/2 blocks as one entry;
 *   - non-leaf (table) entries in walk caches;
 *   - riscv: invalid entries (negative caching), global if G was set;
 *   - on arm64, every PE of the Inner Shareable domain holds its own copy
 *     (the kernel is written for SMP): a local invalidate removes only this
 *     PE's. riscv fences are all local and the kernel runs one hart.
 * Each maintenance instruction removes exactly what the architecture says,
 * decoded from the operand really issued (asm/tlb_decode.h).
 * Rules (a violation prints rule, VA, ASID, cached and current entry and the
 * operation, and fails the running test):
 *   R1 break-before-make: an entry made valid while a TLB may hold a
 *      translation of the same VA with another output address, size
 *      (CONT/N, block/table) or memory type;
 *   R2 every contiguous block consistent at the end of an operation;
 *   R3 at a checkpoint (end of an operation, kernel access to an address
 *      space, end of a test) no PE may hold a translation granting more than
 *      the entry (write, exec, user, read) or another output address or
 *      memory type;
 *   R4 riscv: no hart may hold an invalid (or faulting) entry for a VA that
 *      is valid now: it would fault forever (negative caching);
 *   R5 barriers: arm64 TLBIs ordered after the PTE stores (dsb ishst; dsb
 *      nshst for a local TLBI) and completed (dsb ish / nsh) before the
 *      operation ends; riscv sinval.vma only between sfence.w.inval and
 *      sfence.inval.ir;
 *   R6 this PE may not hold an entry granting less than the entry (a write
 *      granted without invalidating the stale read-only entry): the access
 *      would fault again and again;
 *   R7 walk caches: a table entry changed or a table freed while a walk
 *      cache may still hold the old table entry (needs a non-last-level
 *      invalidate: vae1is / sfence.vma x0);
 *   R8 an ASID reused by another address space without flushing it (on
 *      every CPU that ran the ASID since it was last flushed there: the
 *      violation names the CPU);
 *   R9 a table linked, or a root switched to, before the zeroed table was
 *      ordered before the link (dsb ishst / fence w,w).
 */
#ifndef MMU_RULE_CHECK_H
#define MMU_RULE_CHECK_H
#include <stdbool.h>
#include <stdint.h>
#include "mmu/spinlock.h"
#include "mmu/tlbi_effect.h"

extern bool rule_check_on;
struct pgtable;

void rule_check_track(const struct pgtable *pt);
void rule_check_untrack(const struct pgtable *pt);
void rule_check_store(uint64_t *ptep, uint64_t oldv, uint64_t newv);
void rule_check_tlbi(const struct tlbi_rec *r);
void rule_check_barrier(unsigned hwb_bits);
/* CPUs `pes` (bit c = CPU c) invalidated [start, end) of asid locally
 * (a shootdown's IPI handlers, or SBI RFENCE), complete on return. */
void rule_check_remote_flush(uint8_t pes, uint16_t asid, uint64_t start, uint64_t end, bool leaf_only);
void rule_check_table_alloc(uint64_t table_pa);
void rule_check_table_freed(uint64_t table_pa);
void rule_check_switch(uint64_t root_pa, uint16_t asid);
/* CPU `cpu` switched to asid (any CPU may call it: tlb_note_active does);
 * until an invalidate of that ASID reaches it, it may hold entries of the
 * root it ran there (R8 per CPU). */
void rule_check_note_active(unsigned cpu, uint16_t asid);
/* A checkpoint: the end of an operation (mprotect, fault, scan...) or a
 * kernel access about to rely on the TLB. */
void rule_check_op_end(const char *op);
/* mm_lock / mm_unlock tell the checker a CPU is inside a change (SMP: an
 * operation is judged only when no other CPU is; rule_check.c). */
extern unsigned rule_check_locks_held;
void rule_check_lock_taken_slow(void);
void rule_check_lock_dropped_slow(void);
static inline void rule_check_lock_taken(void) { if (rule_check_on) rule_check_lock_taken_slow(); }
static inline void rule_check_lock_dropped(void)
{
    if (__atomic_load_n(&rule_check_locks_held, __ATOMIC_RELAXED))
        rule_check_lock_dropped_slow();
}
/* Forget all state (a test that breaks rules on purpose cleans up). */
void rule_check_reset(void);
/* Violations so far; with `expect`, violations are counted but do not fail
 * the running test (the checker's own tests). The last rule that fired
 * ("R3", ...) and its message, for those tests. */
unsigned rule_check_violations(void);
void rule_check_expect(bool expect);
const char *rule_check_last_rule(void);
/* How many violations of rule Rn (1..9) so far. */
unsigned rule_check_fired(int rule);
const char *rule_check_last_message(void);
/* Translations the model holds now (for tests and the shell). */
unsigned rule_check_cached(void);
#endif
