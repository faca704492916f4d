/* SMP bring-up, per-CPU data, the call mailbox and IPI dispatch (boot/smp.h). */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/smp.h"
#include "boot/bootargs.h"
#include "mmu/tlb.h"
#include "mmu/pgtable.h"
#include "mmu/mm_internal.h"
#include <asm/mmu.h>
#include <asm/counters.h>

struct cpu cpus[SMP_MAX_CPUS];
_Static_assert(__builtin_offsetof(struct cpu, ev) == 0, "the per-CPU register points at the event counters");
_Static_assert(__builtin_offsetof(struct cpu, id) == EV_COUNT * sizeof(uint64_t),
               "mm_cpu_id() reads the id right after the event counters");
_Static_assert(SMP_MAX_CPUS <= MM_MAX_CPUS, "the mm layer's per-CPU state covers every CPU");
unsigned smp_nr_cpus = 1;
unsigned smp_nr_listed = 1;

#define SECONDARY_STACK (16 * 1024)
static uint8_t secondary_stacks[SMP_MAX_CPUS - 1][SECONDARY_STACK] __attribute__((aligned(16)));

static int secondary_fault_hook(const struct fault_info *fi)
{
    enum fault_result r;
    return smp_secondary_fault(fi, &r) ? (int)r : -1;
}

void smp_early_init(uint64_t boot_hwid)
{
    extern char __stack_top[];
    cpus[0].id = 0;
    cpus[0].hwid = boot_hwid;
    cpus[0].online = 1;
    cpus[0].stack_top = (uint64_t)(uintptr_t)__stack_top;
    arch_set_this_cpu(&cpus[0]);
}

/* The secondary entry (arch entry.S) lands here with its stack, vectors,
 * translation (the kernel's table) and per-CPU pointer in place. */
__attribute__((noreturn)) void smp_secondary_main(struct cpu *c)
{
    arch_secondary_init(c);
    tlb_note_active(c->id, 0);      /* the kernel's table, ASID 0 */
    __atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
    for (;;) {
        uint64_t seq = __atomic_load_n(&c->call_seq, __ATOMIC_ACQUIRE);
        if (seq != c->done_seq) {
            c->fn(c->arg);
            __atomic_store_n(&c->done_seq, seq, __ATOMIC_RELEASE);
            continue;
        }
        arch_cpu_idle();
    }
}

/* How long a started CPU may take to say it is online: 200 ms of the
 * architected timer (virtual time under -icount). */
#define CPU_UP_TIMEOUT_MS 200

void smp_boot(void)
{
    const struct dt_info *dt = &boot.dt;
    smp_nr_listed = dt->n_cpus ? (unsigned)dt->n_cpus : 1;
    const char *want = bootarg_value("smp");
    unsigned limit = want ? (unsigned)bootarg_number("smp", SMP_MAX_CPUS) : SMP_MAX_CPUS;
    tlb_smp_init();
    if (dt->n_cpus <= 1 || limit <= 1)
        return;
    if (!arch_smp_supported()) {
        printf("# smp: %d CPUs listed; this arch runs on CPU 0 only (no SMP support yet)\n", dt->n_cpus);
        return;
    }
    bool ipi_ready = false;         /* the interrupt controller, once a CPU is to start */
    unsigned next = 1;
    for (int i = 0; i < dt->n_cpus; i++) {
        if (dt->cpus[i].id == cpus[0].hwid)
            continue;
        const struct dt_cpu *dc = &dt->cpus[i];
        if (dc->disabled) {
            printf("# smp: cpu with id 0x%llx is disabled in the device tree: left off\n",
                   (unsigned long long)dc->id);
            continue;
        }
        if (strcmp(dc->enable_method, "spin-table") == 0) {
            /* Raspberry Pi 4 without Trusted Firmware: no PSCI. */
            printf("# smp: cpu with id 0x%llx waits in the firmware's spin table (release address "
                   "0x%llx): left there (spin-table release is not implemented)\n",
                   (unsigned long long)dc->id, (unsigned long long)dc->release_addr);
            continue;
        }
        if (!arch_cpu_can_join(dc)) {
            printf("# smp: cpu with id 0x%llx left off: %s\n", (unsigned long long)dc->id,
                   arch_cpu_cannot_join_why(dc));
            continue;
        }
        if (next >= SMP_MAX_CPUS || next >= limit) {
            printf("# smp: cpu with id 0x%llx left off (%s %u CPUs)\n",
                   (unsigned long long)dt->cpus[i].id,
                   next >= SMP_MAX_CPUS ? "this kernel supports" : "smp= asks for", next);
            continue;
        }
        struct cpu *c = &cpus[next];
        c->id = next;
        c->hwid = dt->cpus[i].id;
        c->stack_top = (uint64_t)(uintptr_t)(secondary_stacks[next - 1] + SECONDARY_STACK);
        if (!ipi_ready) {
            arch_ipi_init();
            ipi_ready = true;
        }
        long err = arch_cpu_start(c);
        if (err) {
            printf("# smp: error: cpu %u (id 0x%llx) did not start: %s (%ld)\n", next,
                   (unsigned long long)c->hwid, arch_cpu_start_error(err), err);
            memset(c, 0, sizeof(*c));
            continue;
        }
        uint64_t t0 = read_timer(), limit_ticks = timer_freq_hz() / 1000 * CPU_UP_TIMEOUT_MS;
        while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && read_timer() - t0 < limit_ticks)
            arch_cpu_relax();
        if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
            /* Its slot is never reused: the CPU may still arrive late. */
            printf("# smp: error: cpu %u (id 0x%llx) was started but did not come up within %d ms\n",
                   next, (unsigned long long)c->hwid, CPU_UP_TIMEOUT_MS);
            next++;
            continue;
        }
        smp_nr_cpus++;
        next++;
    }
    /* Online CPUs have contiguous ids unless one failed to come up. */
    for (unsigned i = 1; i < SMP_MAX_CPUS; i++)
        if (cpus[i].id == i && !cpus[i].online && cpus[i].hwid)
            printf("# smp: note: cpu %u is missing; tests that need %u CPUs skip\n", i, i + 1);
    tlb_nr_cpus = smp_nr_cpus;
    const char *sd = bootarg_value("shootdown");
    int method = sd ? tlb_shootdown_parse(sd) : -1;
    if (method >= 0)            /* boot arguments were checked against this arch's choices */
        tlb_params.shootdown = (enum tlb_shootdown)method;
    arch_irq_enable();
}

void smp_describe(void)
{
    printf("# smp: %u of %u CPUs online (", smp_nr_cpus, smp_nr_listed);
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
        if (cpus[i].online)
            printf("%s%u=0x%llx", i ? " " : "", i, (unsigned long long)cpus[i].hwid);
    printf("), IPIs %s\n", smp_nr_cpus > 1 ? arch_ipi_name() : "unused");
}

int smp_call_start(unsigned cpu, smp_fn_t fn, void *arg)
{
    if (cpu >= SMP_MAX_CPUS || cpu == smp_id() || !cpus[cpu].online)
        return -1;
    struct cpu *c = &cpus[cpu];
    if (__atomic_load_n(&c->done_seq, __ATOMIC_ACQUIRE) != c->call_seq)
        return -1;
    smp_fault_hook = secondary_fault_hook;     /* from the first handed-over work on */
    c->fn = fn;
    c->arg = arg;
    __atomic_store_n(&c->call_seq, c->call_seq + 1, __ATOMIC_RELEASE);
    arch_cpu_wake(c);
    return 0;
}

void smp_call_wait(unsigned cpu)
{
    struct cpu *c = &cpus[cpu];
    while (__atomic_load_n(&c->done_seq, __ATOMIC_ACQUIRE) != c->call_seq)
        arch_cpu_relax();
}

void smp_send_ipi(unsigned cpu, uint32_t reason)
{
    struct cpu *c = &cpus[cpu];
    __atomic_fetch_or(&c->ipi_pending, reason, __ATOMIC_RELEASE);
    arch_send_ipi(c);
}

void smp_ipi_received(void)
{
    struct cpu *c = this_cpu();
    uint32_t why = __atomic_exchange_n(&c->ipi_pending, 0, __ATOMIC_ACQUIRE);
    if (!why)
        return;         /* already served by spin_wait() (the interrupt came after) */
    if (why & IPI_SHOOTDOWN)
        tlb_shootdown_ipi();
    __atomic_fetch_add(&c->ipis_received, 1, __ATOMIC_RELEASE);   /* (may nest: spin_wait, then the interrupt) */
}

/* Between tries at a lock (mmu/spinlock.h) or while waiting for the other
 * CPUs: serve a request addressed to this CPU even with its interrupts
 * masked (a fault handler's), since its sender may be the holder waiting
 * for this CPU; then let the next vCPU run (-icount round robin). */
void spin_wait(void)
{
    if (__atomic_load_n(&this_cpu()->ipi_pending, __ATOMIC_RELAXED))
        smp_ipi_received();
    arch_cpu_relax();
}

bool smp_secondary_fault(const struct fault_info *fi, enum fault_result *r)
{
    struct cpu *c = this_cpu();
    if (c->id == 0)
        return false;
    if (c->mm && mm_handle_fault_in(c->mm, fi) == FAULT_HANDLED) {
        *r = FAULT_HANDLED;
        return true;
    }
    /* A spurious fault: the entry already allows the access, this CPU's TLB
     * still holds an older one that does not (permissions were raised
     * without a shootdown, which needs none). As Linux's
     * flush_tlb_fix_spurious_fault: drop the local entry, retry. Bounded,
     * so a real fault is never retried forever. */
    if (c->pt) {
        int level;
        pte_t *e = pt_lookup(c->pt, fi->addr, &level);
        pte_t v = e ? pte_read_once(e) : 0;
        unsigned need = fi->access == ACCESS_WRITE ? HWP_WRITE
                      : fi->access == ACCESS_EXEC ? HWP_KEXEC : HWP_READ;
        unsigned have = e ? pte_hw_perms(v, mmu_caps.hw_af, mmu_caps.hw_dirty) : 0;
        uint64_t page = fi->addr & ~(uint64_t)4095;
        if ((have & need) == need && !(c->spurious_va == page && c->spurious_repeat >= 4)) {
            c->spurious_repeat = c->spurious_va == page ? c->spurious_repeat + 1 : 1;
            c->spurious_va = page;
            c->spurious++;
            /* The stale entry may be a cached invalid one that is global
             * (riscv protnone entries carry G): the fence that reaches it
             * (riscv rs2 = x0; arm64 never caches a faulting entry).
             * arch_flush_local_page() issues its own barriers (arm64 DSB
             * NSHST / TLBI VALE1 / DSB NSH; ISB; riscv none needed). */
            unsigned bars;
            arch_flush_local_page(c->pt->asid, page, &bars);
            *r = FAULT_HANDLED;
            return true;
        }
        c->spurious_va = 0;
    }
    c->last_fault = *fi;
    __atomic_store_n(&c->faults, c->faults + 1, __ATOMIC_RELEASE);
    *r = FAULT_UNHANDLED;
    return true;
}
