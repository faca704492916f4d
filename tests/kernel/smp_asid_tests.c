/*
 * ASID rollover with other CPUs online (issue 13 review): when the ASIDs
 * run out, the generation rolls over and ASIDs are handed out again; a CPU
 * other than 0 that ran an old address space under an ASID may still hold
 * its entries, so the rollover must flush every CPU, not only CPU 0
 * (riscv's sfence.vma is local; rule R8 on every CPU).
 *
 * Run with few ASIDs (asid_bits=2: 3 usable) and 2 or more CPUs
 * (configurations *-smp4-asid2). More address spaces than ASIDs, each
 * with its own value at the same VA, are made current on CPU 0 in turn (it
 * hands out the ASIDs, rolling over) and each is then read by a secondary
 * CPU through its own root and ASID: the secondary must see that address
 * space's value, never the one of the address space that last ran under
 * the same ASID on it.
 *
 * Who catches a missing every-CPU flush:
 *   - the rule checker's per-CPU R8 model (mmu/rule_check.c): the
 *     secondary's switch to an ASID marks it as holding the ASID's entries
 *     until an invalidate of that ASID reaches it; CPU 0's switch to a
 *     reissued ASID while another CPU may still hold the old root's
 *     entries is R8 naming that CPU, at the checkpoint the test takes before
 *     the secondary relies on its TLB;
 *   - the secondary's read on hardware that keeps entries across satp /
 *     TTBR0 writes. QEMU does not: riscv flushes a hart's whole TLB on every
 *     satp write, and arm64's TLBIs on the rollover path are broadcast
 *     (vmalle1is: even CPU 0's "local" whole flush reaches every PE), so
 *     under QEMU the read passes either way and the checker is the witness.
 */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/asid.h"
#include "mmu/tlb.h"
#include "mmu/hw.h"
#include "mmu/rule_check.h"
#include "tests/kernel/ktest.h"

#define BASE (MM_VA_BASE + 0x34000000ULL)
#define MAX_SPACES 16

static const char *need_smp(void)
{
    return smp_nr_cpus < 2 ? "one CPU online (run with -smp 2 or more)" : NULL;
}

static uint64_t value_of(int i) { return 0xa51d000000000000ULL | (uint64_t)i << 16 | 0x5a; }

/* What a secondary read, in the address space it was handed. */
struct reader {
    struct mm *mm;
    uint16_t asid;
    int read_ok;
    uint64_t seen;
};
static struct reader rd[SMP_MAX_CPUS];

static void read_in_mm(void *arg)
{
    struct reader *r = arg;
    tlb_note_active(smp_id(), r->asid);
    this_cpu()->pt = &r->mm->pt;
    arch_switch_root(r->mm->pt.root, r->asid);
    r->read_ok = probe_read64((const volatile void *)(uintptr_t)BASE, &r->seen) == 0;
    arch_switch_root(kernel_pgtable.root, 0);
    this_cpu()->pt = NULL;
    /* Back on the kernel's table; the TLB may still hold the address
     * space's entries under its ASID (nothing here flushes them). */
}

/* More address spaces than ASIDs, each made current on CPU 0 and then read
 * on a secondary: after every rollover, an ASID a secondary used for one
 * address space goes to another one, and that secondary reads through it.
 * Once per shootdown method (the rollover's every-CPU flush takes it). */
static void rollover_with(struct ktest *t, enum tlb_shootdown method)
{
    unsigned n = 2 * asid_count() + 1;
    if (n > MAX_SPACES)
        n = MAX_SPACES;
    enum { ROUNDS = 4 };
    enum tlb_shootdown saved = tlb_params.shootdown;
    tlb_params.shootdown = method;
    struct mm *mms[MAX_SPACES] = { 0 };
    for (unsigned i = 0; i < n; i++) {
        mms[i] = mm_create();
        KASSERT(t, mms[i] != NULL);
        KASSERT_EQ(t, mm_map(mms[i], BASE, PAGE_SIZE, VM_READ | VM_WRITE), 0);
        KASSERT_EQ(t, mm_write(mms[i], BASE, value_of((int)i)), 0);
    }
    /* Per CPU and ASID: the address space that last ran under it there. */
    static int last_on[SMP_MAX_CPUS][256];
    for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
        for (unsigned a = 0; a < 256; a++)
            last_on[c][a] = -1;
    uint64_t r0 = asid_stats.rollovers;
    unsigned v0 = rule_check_violations();
    unsigned reissued = 0, reads = 0, wrong = 0, failed = 0;
    for (unsigned round = 0; round < ROUNDS; round++)
        for (unsigned i = 0; i < n; i++) {
            unsigned cpu = 1 + (i + round) % (smp_nr_cpus - 1);
            mm_activate(mms[i]);            /* CPU 0 hands out the ASID (maybe rolling over) */
            uint16_t asid = mms[i]->pt.asid;
            KASSERT(t, asid > 0 && asid < 256, "asid %u", asid);
            /* A checkpoint: the secondary is about to rely on its TLB. */
            rule_check_op_end("smp_asid: switch");
            if (last_on[cpu][asid] >= 0 && last_on[cpu][asid] != (int)i)
                reissued++;
            rd[cpu] = (struct reader){ .mm = mms[i], .asid = asid };
            KASSERT(t, smp_call_start(cpu, read_in_mm, &rd[cpu]) == 0);
            smp_call_wait(cpu);
            reads++;
            if (!rd[cpu].read_ok) {
                if (!failed++)
                    ktest_log("cpu %u: the read of address space %u (asid %u) faulted", cpu, i, asid);
            } else if (rd[cpu].seen != value_of((int)i)) {
                if (!wrong++)
                    ktest_log("cpu %u: address space %u (asid %u) read 0x%llx, its value is 0x%llx "
                              "(address space %d ran under asid %u there before)", cpu, i, asid,
                              (unsigned long long)rd[cpu].seen, (unsigned long long)value_of((int)i),
                              last_on[cpu][asid], asid);
            }
            last_on[cpu][asid] = (int)i;
        }
    mm_activate(NULL);
    uint64_t rolls = asid_stats.rollovers - r0;
    ktest_log("shootdown=%s: %u address spaces, %u usable ASIDs, %u CPUs: %llu rollovers, %u reads on "
              "secondaries, %u of them through an ASID the same CPU had used for another address space",
              tlb_shootdown_names[method], n, asid_count(), smp_nr_cpus, (unsigned long long)rolls, reads,
              reissued);
    KEXPECT_EQ(t, wrong, 0);
    KEXPECT_EQ(t, failed, 0);
    KEXPECT_EQ(t, rule_check_violations() - v0, 0);
    /* The scenario happened (else the test proves nothing). */
    KEXPECT(t, rolls >= ROUNDS, "only %llu rollovers", (unsigned long long)rolls);
    KEXPECT(t, reissued >= n, "only %u reads through a reissued ASID", reissued);
    for (unsigned i = 0; i < n; i++)
        mm_destroy(mms[i]);
    tlb_params.shootdown = saved;
}

static void t_rollover_flushes_every_cpu(struct ktest *t)
{
    if (asid_static() || asid_count() == 0) {
        ktest_skip(t, "%s: no rollover (boot with asid_bits=1..4)",
                   asid_count() ? "ASIDs are static, one per address space" : "no ASIDs at all");
        return;
    }
#ifdef __riscv
    rollover_with(t, SHOOTDOWN_SBI);
#else
    rollover_with(t, SHOOTDOWN_BROADCAST);
#endif
    rollover_with(t, SHOOTDOWN_IPI);
}

/* The checker's own case: its per-CPU R8 model, without the allocator.
 * CPU 1 ran root A under ASID k; CPU 0 switches to root B under k and
 * flushes (a) only itself: R8 naming CPU 1 (on arm64 the whole-TLB
 * invalidate is broadcast, vmalle1is, and reaches CPU 1: no violation);
 * (b) itself and CPU 1 (the shootdown's remote flush): no violation. */
static void t_checker_names_cpu_holding_reissued_asid(struct ktest *t)
{
    const uint16_t k = 1;
    const uint64_t root_a = 0x7f000000ULL, root_b = 0x7f001000ULL;   /* model only: never walked */
    mm_activate(NULL);                      /* CPU 0 on the kernel's table, as the model ends */
    for (int reach_cpu1 = 0; reach_cpu1 < 2; reach_cpu1++) {
        rule_check_reset();
        rule_check_expect(true);
        unsigned v0 = rule_check_violations(), r8 = rule_check_fired(8);
        rule_check_switch(root_a, k);
        rule_check_note_active(1, k);
        rule_check_switch(kernel_pgtable.root, 0);
        rule_check_switch(root_b, k);         /* k reissued to B */
        tlb_pre_invalidate();
        tlbi_all();                            /* CPU 0's whole-TLB invalidate */
        tlb_post_invalidate();
        if (reach_cpu1)
            rule_check_remote_flush(1u << 1, 0, 0, ~0ULL, false);
        rule_check_op_end("checker test");
        unsigned fired = rule_check_fired(8) - r8, all = rule_check_violations() - v0;
        const char *m = rule_check_last_message();
        rule_check_expect(false);
        rule_check_reset();
        /* The model's current root is the kernel's again, as the CPU's. */
        rule_check_switch(kernel_pgtable.root, 0);
        if (reach_cpu1 || mmu_caps.broadcast_tlbi) {
            KEXPECT_EQ(t, all, 0);
        } else {
            KEXPECT_EQ(t, fired, 1);
            KEXPECT(t, strstr(m, "CPU 1") != NULL, "%s", m);
        }
    }
}

static const struct ktest_case smp_asid_cases[] = {
    KTEST_CASE(t_checker_names_cpu_holding_reissued_asid),
    KTEST_CASE(t_rollover_flushes_every_cpu),
};
KTEST_SUITE(smp_asid, 81, .setup = need_smp);
