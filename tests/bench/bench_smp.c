/*
 * SMP benchmarks (issue 13), not in the default set: what a TLB shootdown
 * costs the CPU that changes the page tables, per method, with 1, 2 or 4
 * CPUs holding the address space (having run in it: their TLBs may hold its
 * entries), and an IPI round trip.
 *
 *   smp_shootdown  mprotect RW->RO of 16 pages (one flush), and a NUMA
 *                  hinting scan of 16 pages (one flush), per method:
 *                  arm64 broadcast | ipi, riscv sbi | ipi
 *   ipi_roundtrip  CPU 0 sends an IPI to CPU 1 and waits for its handler
 *
 * Instructions are CPU 0's (exact under -icount shift=0, which is how
 * make bench runs; without icount the counters are not instruction counts).
 * The initiator's count includes its wait for the other CPUs' answers,
 * which under -icount is instructions CPU 0 spins, not TLB latency: QEMU
 * models none. IPIs and SBI RFENCE calls per operation are counted by the
 * shootdown code (tlb_smp_stats) and given in the note.
 */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/smp.h"
#include "mmu/mm_internal.h"
#include "mmu/tlb.h"
#include "mmu/rule_check.h"
#include "tests/bench/kbench.h"
#include <asm/mmu.h>

#define SMPB_VA (MM_VA_BASE + 0x40000000ULL)
#define SMPB_PAGES 16

struct smpb {
    struct mm *mm;
    bool numa;
    struct tlb_smp_stats s0;
};
static struct smpb sb;

static void touch_in_mm(void *arg)
{
    struct mm *mm = arg;
    tlb_note_active(smp_id(), mm->pt.asid);
    arch_switch_root(mm->pt.root, mm->pt.asid);
    for (unsigned p = 0; p < SMPB_PAGES; p++)
        (void)*(volatile uint64_t *)(uintptr_t)(SMPB_VA + p * PAGE_SIZE);
    arch_switch_root(kernel_pgtable.root, 0);
    /* The CPU switched away: its TLB may still hold the entries, and its
     * bit stays in the ASID's mask. */
}

static int sb_setup_holders(unsigned holders)
{
    sb.mm = mm_create();
    if (!sb.mm || mm_map(sb.mm, SMPB_VA, SMPB_PAGES * PAGE_SIZE, VM_READ | VM_WRITE) < 0)
        return -1;
    for (unsigned p = 0; p < SMPB_PAGES; p++)
        if (mm_write(sb.mm, SMPB_VA + p * PAGE_SIZE, p) < 0)
            return -1;
    for (unsigned c = 1; c < holders; c++) {
        if (smp_call_start(c, touch_in_mm, sb.mm) < 0)
            return -1;
        smp_call_wait(c);
    }
    sb.s0 = tlb_smp_stats;
    return 0;
}

static unsigned cur_holders;
static int sb_setup(void *arg) { (void)arg; return sb_setup_holders(cur_holders); }
static void sb_teardown(void *arg)
{
    (void)arg;
    if (sb.mm) {
        mm_activate(NULL);
        mm_destroy(sb.mm);
    }
    sb.mm = NULL;
}
static int op_mprotect(void *arg)
{
    (void)arg;
    return mm_mprotect(sb.mm, SMPB_VA, SMPB_PAGES * PAGE_SIZE, VM_READ);
}
static int op_numa_scan(void *arg)
{
    (void)arg;
    return mm_numa_scan(sb.mm, SMPB_VA, SMPB_PAGES * PAGE_SIZE, -1) == SMPB_PAGES ? 0 : -1;
}

static void smp_shootdown_run(struct kbench_ctx *b)
{
    static const unsigned holders[] = { 1, 2, 4 };
#ifdef __riscv
    static const enum tlb_shootdown methods[] = { SHOOTDOWN_SBI, SHOOTDOWN_IPI };
#else
    static const enum tlb_shootdown methods[] = { SHOOTDOWN_BROADCAST, SHOOTDOWN_IPI };
#endif
    enum tlb_shootdown saved = tlb_params.shootdown;
    for (unsigned m = 0; m < ARRAY_SIZE(methods); m++)
        for (unsigned h = 0; h < ARRAY_SIZE(holders); h++)
            for (int which = 0; which < 2; which++) {
                char variant[32], params[96], note[200];
                snprintf(variant, sizeof(variant), "%s", tlb_shootdown_names[methods[m]]);
                snprintf(params, sizeof(params), "\"op\":\"%s\",\"pages\":%d,\"cpus_holding\":%u",
                         which ? "numa_scan" : "mprotect_ro", SMPB_PAGES, holders[h]);
                if (holders[h] > smp_nr_cpus) {
                    kbench_unavailable(b, variant, params, "fewer CPUs online");
                    continue;
                }
                tlb_params.shootdown = methods[m];
                cur_holders = holders[h];
                struct tlb_smp_stats before = tlb_smp_stats;
                unsigned runs = b->reps + b->warmup;
                snprintf(note, sizeof(note), "one flush per operation; CPU 0's instructions, its wait for "
                         "the other CPUs included");
                struct kbench_case c = {
                    .variant = variant, .params = params, .unit = "op", .per = 1, .note = note,
                    .setup = sb_setup, .op = which ? op_numa_scan : op_mprotect, .teardown = sb_teardown,
                };
                kbench_measure(b, &c);
                struct tlb_smp_stats d = tlb_smp_stats;
                /* setup and teardown flush too (mm_destroy's ASID flush):
                 * count only what the timed operations sent, from a
                 * dedicated run of the op alone. */
                (void)before, (void)runs;
                sb_setup_holders(holders[h]);
                struct tlb_smp_stats s1 = tlb_smp_stats;
                (which ? op_numa_scan : op_mprotect)(NULL);
                d = tlb_smp_stats;
                sb_teardown(NULL);
                kbench_note(b, "%s %s cpus_holding=%u: per operation %llu IPIs, %llu SBI RFENCE calls, "
                            "%llu remote CPUs reached, %llu shootdowns (counted on one extra run)",
                            variant, which ? "numa_scan" : "mprotect_ro", holders[h],
                            (unsigned long long)(d.ipis - s1.ipis),
                            (unsigned long long)(d.sbi_rfences - s1.sbi_rfences),
                            (unsigned long long)(d.remote_cpus - s1.remote_cpus),
                            (unsigned long long)(d.shootdowns - s1.shootdowns));
            }
    tlb_params.shootdown = saved;
}
KBENCH(smp_shootdown, 70, 0, "mprotect RW->RO and a NUMA hinting scan of 16 pages with 1/2/4 CPUs "
       "holding the address space, per shootdown method");

static int op_ipi(void *arg)
{
    (void)arg;
    uint64_t was = __atomic_load_n(&cpus[1].ipis_received, __ATOMIC_ACQUIRE);
    smp_send_ipi(1, IPI_PING);
    for (unsigned long i = 0; i < 10000000UL; i++) {
        if (__atomic_load_n(&cpus[1].ipis_received, __ATOMIC_ACQUIRE) != was)
            return 0;
        arch_cpu_relax();       /* under -icount: lets CPU 1 run now */
    }
    return -1;
}

static void ipi_roundtrip_run(struct kbench_ctx *b)
{
    if (smp_nr_cpus < 2) {
        kbench_unavailable(b, arch_ipi_name(), "", "one CPU online");
        return;
    }
    struct kbench_case c = {
        .variant = "cpu0-to-cpu1", .params = "", .unit = "op", .per = 1, .op = op_ipi,
        .note = "send, CPU 1's handler runs, CPU 0 sees its count move; instructions are CPU 0's "
                "(the send and its wait), not CPU 1's handler (under QEMU's round-robin -icount "
                "time_ns was seen to advance by CPU 0's instructions only)",
    };
    kbench_measure(b, &c);
}
KBENCH(ipi_roundtrip, 71, 0, "IPI round trip from CPU 0 to CPU 1");
