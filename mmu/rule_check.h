/*
 * Architecture-rule checker: on in tests, off in benchmarks. It sees every
 * PTE store, invalidate and barrier (hooks in asm/mmu.h) for the address
 * spaces it tracks, and checks:
 *   R1 break-before-make: no valid->valid change of output address or
 *      CONT/N bit, and no re-validation of a broken entry before the
 *      invalidate that the break needs;
 *   R2 every contiguous block consistent at the end of an operation
 *      (16 entries, aligned PFN, same attributes, all valid or all invalid);
 *   R3 no write permission removed and no entry made invalid/protnone
 *      without an invalidate before the operation returns;
 *   R4 riscv: a local fence after every invalid->valid change (negative
 *      caching);
 *   R5 arm64: TLBIs ordered after the PTE stores (dsb ishst) and completed
 *      (dsb ish) before the operation returns;
 *   R6 a valid entry granted write (write bit, or arm64's hardware-dirty
 *      state) is invalidated before the operation returns: a TLB may keep the
 *      stale read-only entry, and the access would fault again and again.
 * A violation prints the rule, the entry and the recent event sequence, and
 * fails the running test.
 */
#ifndef MMU_RULE_CHECK_H
#define MMU_RULE_CHECK_H
#include <stdbool.h>
#include <stdint.h>

extern bool rule_check_on;
struct pgtable;

void rule_check_track(const struct pgtable *pt);
void rule_check_untrack(const struct pgtable *pt);
void rule_check_store(uint64_t *ptep, uint64_t oldv, uint64_t newv);
void rule_check_tlbi(int asid, uint64_t start, uint64_t end);     /* asid -1: all */
void rule_check_local_flush(int asid, uint64_t va);
void rule_check_barrier(bool full);         /* dsb ishst (false) / dsb ish (true) */
void rule_check_table_freed(uint64_t table_pa);
/* End of an operation (mprotect, fault, scan...): pending obligations are
 * violations now. */
void rule_check_op_end(const char *op);
/* Forget pending state (a test that breaks rules on purpose cleans up). */
void rule_check_reset(void);
/* Violations so far; with `expect`, violations are counted but do not fail
 * the running test (the checker's own tests). */
unsigned rule_check_violations(void);
void rule_check_expect(bool expect);
#endif
