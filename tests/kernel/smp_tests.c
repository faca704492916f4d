/*
 * SMP (issue 13): every CPU up, IPIs, and the TLB shootdown against the real
 * MMU of other CPUs. Workers on CPUs 1..N-1 run in an address space with
 * the probe accessors (their faults are recorded per CPU, boot/smp.c) while
 * CPU 0 changes its page tables; counts, never time, decide.
 *
 * mprotect_racing_writers: workers write self-checking values (CPU, page,
 * sequence) into their own slot of every page, without pause, while CPU 0
 * flips the range RW -> RO -> RW. A worker reads the "RO has returned"
 * flag before each write: a write that succeeds after it saw the flag is a
 * stale writable TLB entry on that CPU (a missed shootdown). At the end
 * every slot must hold the worker's last successful write (no write lost).
 */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/trap.h"
#include "mmu/mm_internal.h"
#include "mmu/tlb.h"
#include "mmu/hw.h"
#include "mmu/page_alloc.h"
#include "boot/bootargs.h"
#include "boot/boot.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/smp_util.h"
#include <asm/counters.h>

#define BASE (MM_VA_BASE + 0x30000000ULL)
#define NPAGES 8
#define MAX_PAGES 32            /* a worker's pages: NPAGES, or more where asked (npages) */
#define NUMA_PAGES 32           /* the hint-fault test: more faults per scan */

static const char *need_smp(void)
{
    return smp_nr_cpus < 2 ? "one CPU online (run with -smp 2 or more)" : NULL;
}

static void t_all_listed_online(struct ktest *t)
{
    KEXPECT_EQ(t, smp_nr_cpus, smp_nr_listed);
    for (unsigned c = 0; c < smp_nr_cpus; c++) {
        KEXPECT(t, cpus[c].online, "cpu %u online", c);
        KEXPECT_EQ(t, cpus[c].id, c);
    }
}

static volatile unsigned seen_id[SMP_MAX_CPUS];
static void report_id(void *arg) { (void)arg; seen_id[this_cpu()->id] = this_cpu()->id + 100; }

static void t_call_on_each_cpu(struct ktest *t)
{
    for (unsigned c = 1; c < smp_nr_cpus; c++) {
        seen_id[c] = 0;
        KASSERT(t, smp_call_start(c, report_id, NULL) == 0);
        smp_call_wait(c);
        KEXPECT_EQ(t, seen_id[c], c + 100);
    }
    KEXPECT_EQ(t, smp_id(), 0);
}

/* Wait for cpu's IPI count to pass `was`; false after ~1e8 polls. */
static bool wait_ipi(unsigned c, uint64_t was)
{
    for (unsigned long i = 0; i < 100000000UL; i++)
        if (__atomic_load_n(&cpus[c].ipis_received, __ATOMIC_ACQUIRE) != was)
            return true;
    return false;
}

static void t_ipi_ping(struct ktest *t)
{
    for (unsigned c = 1; c < smp_nr_cpus; c++)
        for (int k = 0; k < 100; k++) {
            uint64_t was = cpus[c].ipis_received;
            smp_send_ipi(c, IPI_PING);
            KASSERT(t, wait_ipi(c, was), "cpu %u answered IPI %d", c, k);
        }
}

/* ---- workers in an address space ---- */
struct worker {
    struct mm *mm;
    volatile int stop;
    volatile int *ro_done;      /* CPU 0: "the RW->RO mprotect has returned" */
    uint64_t writes_ok, writes_faulted, stale_writes, attempts;
    unsigned npages;            /* pages it writes (0: NPAGES) */
    uint64_t last[MAX_PAGES];   /* last value written successfully per page */
    uint64_t first_stale_va;
    uint64_t lost_writes, first_lost, first_lost_saw;
    int wrote_in[MAX_PAGES];    /* the odd epoch of the last write made entirely inside it */
    bool handle_faults;         /* this CPU's faults go to the mm's handler (struct cpu .mm) */
};
static struct worker workers[SMP_MAX_CPUS];


static uint64_t slot_va(unsigned page, unsigned cpu) { return BASE + page * PAGE_SIZE + cpu * 64; }
static uint64_t pattern(unsigned cpu, unsigned page, uint64_t seq)
{
    return (uint64_t)cpu << 56 | (uint64_t)page << 48 | (seq & 0xffffffffffffULL);
}

static void writer(void *arg)
{
    struct worker *w = arg;
    unsigned me = smp_id();
    smp_enter_mm(w->mm);
    if (w->handle_faults)
        this_cpu()->mm = w->mm;
    uint64_t seq = 1;
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        unsigned np = w->npages ? w->npages : NPAGES;
        for (unsigned k = 0; k < np; k++, seq++) {
            /* Workers that take their own faults start at different pages
             * and hand over after each one (under -icount's round robin
             * the CPUs then take turns page by page, so each meets a
             * protnone entry first on its own pages). */
            unsigned p = w->handle_faults ? (k + me * np / SMP_MAX_CPUS * 2) % np : k;
            if (w->handle_faults)
                arch_cpu_relax();
            /* Epoch odd: CPU 0's mprotect(RO) has returned and its
             * mprotect(RW) has not begun. A write that succeeded with the
             * same odd epoch before and after it ran entirely in that
             * window: a stale writable TLB entry. */
            /* Nobody else writes this slot: it must still hold this
             * CPU's last successful write, else that write was lost (it
             * went to a page that was copied before it and then dropped). */
            uint64_t cur;
            if (w->last[p] && probe_read64((void *)(uintptr_t)slot_va(p, me), &cur) == 0 &&
                cur != w->last[p]) {
                if (!w->lost_writes)
                    w->first_lost = w->last[p], w->first_lost_saw = cur;
                w->lost_writes++;
                w->last[p] = cur;
            }
            int e1 = __atomic_load_n(w->ro_done, __ATOMIC_ACQUIRE);
            uint64_t v = pattern(me, p, seq);
            w->attempts++;
            int r = probe_write64((void *)(uintptr_t)slot_va(p, me), v);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            int e2 = __atomic_load_n(w->ro_done, __ATOMIC_ACQUIRE);
            if (r == 0) {
                w->writes_ok++;
                w->last[p] = v;
                if ((e1 & 1) && e1 == e2)
                    __atomic_store_n(&w->wrote_in[p], e1, __ATOMIC_RELEASE);
                if ((e1 & 1) && e1 == e2) {
                    if (!w->stale_writes)
                        w->first_stale_va = slot_va(p, me);
                    w->stale_writes++;
                }
            } else {
                w->writes_faulted++;
            }
        }
        /* Under -icount (one thread, round robin) this hands the host
         * thread to the next CPU: the interleaving is one pass per CPU
         * rather than QEMU's 100 ms slices. A hint only under MTTCG. */
        arch_cpu_relax();
    }
    this_cpu()->mm = NULL;
    smp_leave_mm();
}

/* Let every writer make one pass, or give up after `us` microseconds of
 * the architected timer: under multi-threaded TCG a writer's host thread
 * may be off-CPU (4 vCPU threads, 2 host cores); the checks are per write
 * and do not depend on the wait. Under -icount (virtual time: 1 us is
 * 1000 instructions) the relax hands the single host thread to the
 * writers, whose pass of NPAGES takes a few hundred. */
static void wait_writers_us(unsigned n, unsigned us)
{
    uint64_t t0 = read_timer(), limit = timer_freq_hz() / 1000000 * us;
    for (unsigned c = 1; c < n; c++) {
        uint64_t a = __atomic_load_n(&workers[c].attempts, __ATOMIC_RELAXED);
        unsigned pass = workers[c].npages ? workers[c].npages : NPAGES;
        while (__atomic_load_n(&workers[c].attempts, __ATOMIC_RELAXED) < a + pass &&
               read_timer() - t0 < limit)
            arch_cpu_relax();
    }
}
static void wait_writers(unsigned n) { wait_writers_us(n, 500); }


/* An address space with npages populated pages, and a writer started on
 * every other CPU with the given epoch word; NULL (the case failed) if
 * any step did not work. */
static struct mm *start_writers(struct ktest *t, unsigned npages, volatile int *epoch, bool handle_faults)
{
    struct mm *mm = mm_create();
    if (!KEXPECT(t, mm != NULL))
        return NULL;
    if (!KEXPECT_EQ(t, mm_map(mm, BASE, npages * PAGE_SIZE, VM_READ | VM_WRITE), 0))
        return NULL;
    for (unsigned p = 0; p < npages; p++)
        if (!KEXPECT_EQ(t, mm_write(mm, BASE + p * PAGE_SIZE + 8 * 64, 1), 0))   /* populated */
            return NULL;
    *epoch = 0;
    for (unsigned c = 1; c < smp_nr_cpus; c++) {
        memset(&workers[c], 0, sizeof(workers[c]));
        workers[c].mm = mm;
        workers[c].ro_done = epoch;
        workers[c].handle_faults = handle_faults;
        workers[c].npages = npages == NPAGES ? 0 : npages;
        if (!KEXPECT(t, smp_call_start(c, writer, &workers[c]) == 0))
            return NULL;
    }
    return mm;
}

/* Stop every writer and wait until each has returned. */
static void stop_writers(void)
{
    for (unsigned c = 1; c < smp_nr_cpus; c++)
        __atomic_store_n(&workers[c].stop, 1, __ATOMIC_RELEASE);
    for (unsigned c = 1; c < smp_nr_cpus; c++)
        smp_call_wait(c);
}

static unsigned rounds_arg(void)
{
    return (unsigned)bootarg_number("smp_rounds", 50);
}

static void t_mprotect_racing_writers(struct ktest *t)
{
    static volatile int ro_done;
    struct mm *mm = start_writers(t, NPAGES, &ro_done, false);
    if (!mm)
        return;
    unsigned n = smp_nr_cpus;
    struct tlb_smp_stats s0 = tlb_smp_stats;
    unsigned rounds = rounds_arg(), ops = 0;
    uint64_t i0 = read_instret();
    for (unsigned r = 0; r < rounds; r++) {
        /* let the writers write (and refill their TLBs) */
        wait_writers(n);
        KASSERT_EQ(t, mm_mprotect(mm, BASE, NPAGES * PAGE_SIZE, VM_READ), 0);
        __atomic_store_n(&ro_done, ro_done + 1, __ATOMIC_RELEASE);     /* odd */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wait_writers(n);                        /* each writer tries after the return */
        __atomic_store_n(&ro_done, ro_done + 1, __ATOMIC_RELEASE);     /* even */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        KASSERT_EQ(t, mm_mprotect(mm, BASE, NPAGES * PAGE_SIZE, VM_READ | VM_WRITE), 0);
        ops += 2;
    }
    uint64_t insns = read_instret() - i0;
    stop_writers();
    uint64_t ok = 0, faulted = 0, stale = 0;
    for (unsigned c = 1; c < n; c++) {
        struct worker *w = &workers[c];
        ok += w->writes_ok;
        faulted += w->writes_faulted;
        stale += w->stale_writes;
        KEXPECT(t, w->lost_writes == 0, "cpu %u: %llu successful writes lost", c,
                (unsigned long long)w->lost_writes);
        KEXPECT(t, w->stale_writes == 0, "cpu %u: %llu writes succeeded after mprotect(RO) returned "
                "(first at 0x%llx): a stale writable TLB entry", c,
                (unsigned long long)w->stale_writes, (unsigned long long)w->first_stale_va);
        for (unsigned p = 0; p < NPAGES; p++) {
            uint64_t v = 0;
            KASSERT_EQ(t, mm_read(mm, slot_va(p, c), &v), 0);
            KEXPECT(t, v == w->last[p], "cpu %u page %u: memory 0x%llx, last write 0x%llx (lost)",
                    c, p, (unsigned long long)v, (unsigned long long)w->last[p]);
        }
    }
    ktest_log("%u mprotect calls racing %u writer CPUs (shootdown %s): %llu writes ok, %llu faulted, "
              "%llu after return succeeded; shootdowns %llu, IPIs %llu, SBI rfences %llu; "
              "CPU 0 instructions %llu%s", ops, n - 1, tlb_shootdown_names[tlb_params.shootdown],
              (unsigned long long)ok, (unsigned long long)faulted, (unsigned long long)stale,
              (unsigned long long)(tlb_smp_stats.shootdowns - s0.shootdowns),
              (unsigned long long)(tlb_smp_stats.ipis - s0.ipis),
              (unsigned long long)(tlb_smp_stats.sbi_rfences - s0.sbi_rfences),
              boot.icount ? (unsigned long long)insns : 0ULL,
              boot.icount ? " (icount: exact, waits included)" : " (not counted: no -icount)");
    KEXPECT(t, faulted > 0, "the writers' writes to the read-only range faulted");
    mm_activate(NULL);
    mm_destroy(mm);
}

/*
 * fork_racing_writers: the same writers; CPU 0 forks (the parent's entries
 * become read-only, copy-on-write, one shootdown) and, after fork returns,
 * every writer's write must fault; then the child is dropped and CPU 0's own
 * write makes the pages writable again (COW reuse). The last fork's child
 * is kept: it must hold exactly each writer's last successful write (the
 * snapshot at fork), the writes after it having all failed.
 */
static void t_fork_racing_writers(struct ktest *t)
{
    static volatile int epoch;
    struct mm *mm = start_writers(t, NPAGES, &epoch, false);
    if (!mm)
        return;
    unsigned n = smp_nr_cpus;
    struct tlb_smp_stats s0 = tlb_smp_stats;
    unsigned rounds = rounds_arg() / 4 + 1, forks = 0;
    struct mm *child = NULL;
    for (unsigned r = 0; r < rounds; r++) {
        wait_writers(n);
        child = mm_fork(mm);
        KASSERT(t, child != NULL);
        forks++;
        __atomic_store_n(&epoch, epoch + 1, __ATOMIC_RELEASE);     /* odd: fork returned */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wait_writers(n);
        if (r + 1 == rounds)
            break;                      /* keep the last child */
        __atomic_store_n(&epoch, epoch + 1, __ATOMIC_RELEASE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        mm_destroy(child);
        child = NULL;
        mm_activate(NULL);
        for (unsigned p = 0; p < NPAGES; p++)       /* COW reuse: writable again */
            KASSERT_EQ(t, mm_write(mm, BASE + p * PAGE_SIZE + 8 * 64, r), 0);
    }
    stop_writers();
    uint64_t ok = 0, faulted = 0;
    for (unsigned c = 1; c < n; c++) {
        struct worker *w = &workers[c];
        ok += w->writes_ok;
        faulted += w->writes_faulted;
        KEXPECT(t, w->lost_writes == 0, "cpu %u: %llu successful writes lost", c,
                (unsigned long long)w->lost_writes);
        KEXPECT(t, w->stale_writes == 0, "cpu %u: %llu writes succeeded after fork returned "
                "(first at 0x%llx)", c, (unsigned long long)w->stale_writes,
                (unsigned long long)w->first_stale_va);
        for (unsigned p = 0; p < NPAGES; p++) {
            uint64_t v = 0;
            KASSERT_EQ(t, mm_read(child, slot_va(p, c), &v), 0);
            KEXPECT(t, v == w->last[p], "cpu %u page %u: the child holds 0x%llx, the last write before "
                    "the fork was 0x%llx", c, p, (unsigned long long)v, (unsigned long long)w->last[p]);
        }
    }
    ktest_log("%u forks racing %u writer CPUs (shootdown %s): %llu writes ok, %llu faulted; "
              "shootdowns %llu, IPIs %llu, SBI rfences %llu", forks, n - 1,
              tlb_shootdown_names[tlb_params.shootdown], (unsigned long long)ok,
              (unsigned long long)faulted,
              (unsigned long long)(tlb_smp_stats.shootdowns - s0.shootdowns),
              (unsigned long long)(tlb_smp_stats.ipis - s0.ipis),
              (unsigned long long)(tlb_smp_stats.sbi_rfences - s0.sbi_rfences));
    mm_activate(NULL);
    mm_destroy(child);
    mm_destroy(mm);
}

/*
 * migrate_racing_writers (2 NUMA nodes): the same writers; CPU 0 moves every
 * page of the range to the other node, again and again. A write during a
 * migration faults (the entry is cleared) and is retried later; none may be
 * lost: at the end every slot holds its writer's last successful write. A
 * migration that copied before unmapping (and flushing) would let a write
 * land in the old page after the copy, and lose it.
 */
static void t_migrate_racing_writers(struct ktest *t)
{
    if (palloc_nr_nodes() < 2) {
        ktest_skip(t, "one NUMA node");
        return;
    }
    static volatile int epoch;      /* stays even: no window where writes must fail */
    struct mm *mm = start_writers(t, NPAGES, &epoch, false);
    if (!mm)
        return;
    unsigned n = smp_nr_cpus;
    struct tlb_smp_stats s0 = tlb_smp_stats;
    unsigned rounds = rounds_arg() / 4 + 1, migrations = 0;    /* NPAGES migrations a round */
    for (unsigned r = 0; r < rounds; r++) {
        wait_writers(n);
        for (unsigned p = 0; p < NPAGES; p++) {
            struct page *pg = mm_page_at(mm, BASE + p * PAGE_SIZE);
            KASSERT(t, pg != NULL);
            int to = page_head(pg)->node == 0 ? 1 : 0;
            int e = mm_migrate(mm, BASE + p * PAGE_SIZE, to);
            KASSERT(t, e == 0, "migrate page %u to node %d: %d", p, to, e);
            if (page_head(mm_page_at(mm, BASE + p * PAGE_SIZE))->node == to)
                migrations++;
        }
    }
    stop_writers();
    uint64_t ok = 0, faulted = 0;
    for (unsigned c = 1; c < n; c++) {
        struct worker *w = &workers[c];
        ok += w->writes_ok;
        faulted += w->writes_faulted;
        KEXPECT(t, w->lost_writes == 0, "cpu %u: %llu successful writes lost (first: wrote 0x%llx, "
                "later read 0x%llx)", c, (unsigned long long)w->lost_writes,
                (unsigned long long)w->first_lost, (unsigned long long)w->first_lost_saw);
        for (unsigned p = 0; p < NPAGES; p++) {
            uint64_t v = 0;
            KASSERT_EQ(t, mm_read(mm, slot_va(p, c), &v), 0);
            KEXPECT(t, v == w->last[p], "cpu %u page %u: memory 0x%llx, last successful write 0x%llx "
                    "(lost in a migration)", c, p, (unsigned long long)v, (unsigned long long)w->last[p]);
        }
    }
    ktest_log("%u page migrations racing %u writer CPUs (shootdown %s): %llu writes ok, %llu faulted; "
              "shootdowns %llu, IPIs %llu, SBI rfences %llu", migrations, n - 1,
              tlb_shootdown_names[tlb_params.shootdown], (unsigned long long)ok,
              (unsigned long long)faulted,
              (unsigned long long)(tlb_smp_stats.shootdowns - s0.shootdowns),
              (unsigned long long)(tlb_smp_stats.ipis - s0.ipis),
              (unsigned long long)(tlb_smp_stats.sbi_rfences - s0.sbi_rfences));
    KEXPECT(t, migrations > 0);
    mm_activate(NULL);
    mm_destroy(mm);
}

/*
 * dirty_racing_repaint: hardware A/D (arm64 FEAT_HAFDBS dirty, riscv Svadu)
 * against the repaint. Each round CPU 0 makes every entry clean-writable
 * (atomically, then one shootdown), publishes an odd epoch, lets the
 * writers write (their walkers set the dirty state in the entries), then
 * mprotect(RO) repaints the entries. A writer's write that succeeded
 * entirely inside the odd epoch reached memory through an entry the
 * hardware made dirty after the clean: the read-only entry mprotect left
 * must still say dirty (arm64 moves hardware dirty into the software
 * DIRTY bit). A repaint that read the entry and stored a value computed
 * from it non-atomically would drop a dirty bit set in between.
 */
static void t_dirty_racing_repaint(struct ktest *t)
{
    if (!mmu_caps.hw_dirty) {
        ktest_skip(t, "no hardware dirty-state update on this machine or boot");
        return;
    }
    static volatile int epoch;
    struct mm *mm = start_writers(t, NPAGES, &epoch, false);
    if (!mm)
        return;
    unsigned n = smp_nr_cpus;
    unsigned rounds = rounds_arg() / 4 + 1, checked = 0, lost = 0, repaints = 0;
    for (unsigned r = 0; r < rounds; r++) {
        /* clean-writable, atomically (the walkers may be setting dirty) */
        mm_lock(mm, "test clean");
        for (unsigned p = 0; p < NPAGES; p++) {
            pte_t *e = mm_pte_ptr(mm, BASE + p * PAGE_SIZE, false);
            KASSERT(t, e != NULL);
            pte_t o = pte_read_once(e);
            while (!pte_cmpxchg(e, &o, pte_mkclean(o)))
                ;
        }
        flush_tlb_range(mm->pt.asid, BASE, BASE + NPAGES * PAGE_SIZE, PAGE_SIZE, true);
        mm_unlock(mm);
        rule_check_op_end("test clean");
        __atomic_store_n(&epoch, epoch + 1, __ATOMIC_RELEASE);     /* odd: clean done */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        int odd = epoch;
        /* No wait: the writers' first writes after the clean (the walker
         * setting dirty) race the repaint itself. */
        if (r & 1)
            wait_writers(n);
        KASSERT_EQ(t, mm_mprotect(mm, BASE, NPAGES * PAGE_SIZE, VM_READ), 0);
        repaints++;
        __atomic_store_n(&epoch, epoch + 1, __ATOMIC_RELEASE);     /* even */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wait_writers(n);
        for (unsigned p = 0; p < NPAGES; p++) {
            bool written = false;
            for (unsigned c = 1; c < n; c++)
                written |= __atomic_load_n(&workers[c].wrote_in[p], __ATOMIC_ACQUIRE) == odd;
            if (!written)
                continue;
            checked++;
            pte_t v = mm_get_pte(mm, BASE + p * PAGE_SIZE);
            if (!pte_dirty(v)) {
                if (!lost)
                    KEXPECT(t, pte_dirty(v), "round %u page %u: written while clean-writable, entry "
                            "0x%llx after mprotect(RO) is clean: the dirty bit was lost", r, p,
                            (unsigned long long)v);
                lost++;
            }
        }
        KASSERT_EQ(t, mm_mprotect(mm, BASE, NPAGES * PAGE_SIZE, VM_READ | VM_WRITE), 0);
        repaints++;
    }
    stop_writers();
    uint64_t ok = 0, faulted = 0;
    for (unsigned c = 1; c < n; c++) {
        ok += workers[c].writes_ok;
        faulted += workers[c].writes_faulted;
        /* (odd epochs are the writable window here: stale_writes counts
         * the writes inside it, which are expected) */
    }
    ktest_log("%u repaints (mprotect) racing %u writer CPUs' hardware dirty updates: %u pages written "
              "in the clean window checked, %u dirty bits lost; %llu writes ok, %llu faulted",
              repaints, n - 1, checked, lost, (unsigned long long)ok, (unsigned long long)faulted);
    KEXPECT_EQ(t, lost, 0);
    mm_activate(NULL);
    mm_destroy(mm);
}


/*
 * numa_hint_faults_on_every_cpu (2 NUMA nodes): workers whose faults go to
 * the mm's handler (struct cpu .mm) write their slots of every page while
 * CPU 0 scans the range again and again (every entry protnone, one
 * shootdown), the target node alternating. Each worker's next access to a
 * page takes the hint fault on its own CPU: under the page-table lock the
 * handler migrates the folio to the target node (clear, shootdown from
 * that CPU to the others, copy, remap) and restores the entry. Several
 * CPUs take hint faults at once, on the same pages, racing the scans
 * and each other's migrations: no access may fail, no write may be lost
 * (a scan whose shootdown missed a CPU lets it write the old folio after
 * the migration's copy: lost), and every worker CPU must have taken hint
 * faults and migrated folios itself (per-CPU counts in mmu/numa.c). CPU 0
 * waits up to 20 ms for each writer's full pass after a scan, so a scan is
 * followed by up to NUMA_PAGES hint faults per CPU.
 */
static void t_numa_hint_faults_on_every_cpu(struct ktest *t)
{
    if (palloc_nr_nodes() < 2) {
        ktest_skip(t, "one NUMA node");
        return;
    }
    static volatile int epoch;          /* stays even: every access must succeed */
    unsigned n = smp_nr_cpus;
    uint64_t f0[SMP_MAX_CPUS], m0[SMP_MAX_CPUS];
    for (unsigned c = 1; c < n; c++) {     /* before the workers start faulting */
        f0[c] = numa_hint_cpu[c];
        m0[c] = numa_migrated_cpu[c];
    }
    struct mm *mm = start_writers(t, NUMA_PAGES, &epoch, true);
    if (!mm)
        return;
    struct mm_fault_stats s0 = mm_fault_stats;
    struct tlb_smp_stats t0 = tlb_smp_stats;
    unsigned rounds = rounds_arg(), scans = 0;
    uint64_t protnone = 0;
    for (unsigned r = 0; r < rounds; r++) {
        wait_writers_us(n, 20000);
        long ch = mm_numa_scan(mm, BASE, NUMA_PAGES * PAGE_SIZE, (int)(r & 1));
        KASSERT(t, ch >= 0, "numa scan: %ld", ch);
        protnone += (uint64_t)ch;
        scans++;
    }
    wait_writers_us(n, 20000);
    stop_writers();
    /* The counts before CPU 0's own checks below (its reads may fault). */
    uint64_t hints = mm_fault_stats.numa_hint - s0.numa_hint;
    uint64_t migrated = mm_fault_stats.numa_migrated - s0.numa_migrated;
    uint64_t ok = 0, failed = 0, hints_1n = 0, migrated_1n = 0;
    unsigned cpus_hinting = 0, cpus_migrating = 0;
    for (unsigned c = 1; c < n; c++) {
        struct worker *w = &workers[c];
        ok += w->writes_ok;
        failed += w->writes_faulted;
        uint64_t h = numa_hint_cpu[c] - f0[c], m = numa_migrated_cpu[c] - m0[c];
        hints_1n += h;
        migrated_1n += m;
        cpus_hinting += h > 0;
        cpus_migrating += m > 0;
        KEXPECT(t, w->writes_faulted == 0, "cpu %u: %llu writes failed (the mm's handler left a fault "
                "unresolved; last at 0x%llx)", c, (unsigned long long)w->writes_faulted,
                (unsigned long long)cpus[c].last_fault.addr);
        KEXPECT(t, w->lost_writes == 0, "cpu %u: %llu successful writes lost (first: wrote 0x%llx, "
                "later read 0x%llx)", c, (unsigned long long)w->lost_writes,
                (unsigned long long)w->first_lost, (unsigned long long)w->first_lost_saw);
        for (unsigned p = 0; p < NUMA_PAGES; p++) {
            uint64_t v = 0;
            KASSERT_EQ(t, mm_read(mm, slot_va(p, c), &v), 0);
            KEXPECT(t, v == w->last[p], "cpu %u page %u: memory 0x%llx, last successful write 0x%llx "
                    "(lost in a migration)", c, p, (unsigned long long)v, (unsigned long long)w->last[p]);
        }
    }
    ktest_log("%u NUMA scans (%llu entries made protnone) racing %u CPUs that take the hint faults "
              "themselves: %llu hint faults (%llu on CPUs 1-%u, %u of them took some), %llu folios migrated "
              "by the faulting CPU (%llu by CPUs 1-%u, %u of them); %llu writes ok, %llu failed; "
              "shootdowns %llu, IPIs %llu, SBI rfences %llu (shootdown %s)", scans,
              (unsigned long long)protnone, n - 1, (unsigned long long)hints, (unsigned long long)hints_1n,
              n - 1, cpus_hinting, (unsigned long long)migrated, (unsigned long long)migrated_1n, n - 1,
              cpus_migrating, (unsigned long long)ok, (unsigned long long)failed,
              (unsigned long long)(tlb_smp_stats.shootdowns - t0.shootdowns),
              (unsigned long long)(tlb_smp_stats.ipis - t0.ipis),
              (unsigned long long)(tlb_smp_stats.sbi_rfences - t0.sbi_rfences),
              tlb_shootdown_names[tlb_params.shootdown]);
    KEXPECT(t, cpus_hinting == n - 1, "hint faults taken on %u of the %u worker CPUs", cpus_hinting, n - 1);
    KEXPECT(t, cpus_migrating == n - 1, "folios migrated by hint faults on %u of the %u worker CPUs",
            cpus_migrating, n - 1);
    mm_activate(NULL);
    mm_destroy(mm);
}

static const struct ktest_case smp_cases[] = {
    KTEST_CASE(t_all_listed_online),
    KTEST_CASE(t_call_on_each_cpu),
    KTEST_CASE(t_ipi_ping),
    KTEST_CASE(t_mprotect_racing_writers),
    KTEST_CASE(t_fork_racing_writers),
    KTEST_CASE(t_migrate_racing_writers),
    KTEST_CASE(t_dirty_racing_repaint),
    KTEST_CASE(t_numa_hint_faults_on_every_cpu),
};
KTEST_SUITE(smp, 80, .setup = need_smp);
