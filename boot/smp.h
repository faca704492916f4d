/*
 * Symmetric multiprocessing: every CPU the device tree lists is started
 * (arm64 PSCI CPU_ON through the conduit /psci names, riscv SBI HSM
 * hart_start), each with its own stack, its own exception state and a
 * logical id (0 = the CPU that booted; the others in device-tree order).
 *
 * Secondary CPUs run no mm code of their own accord: they idle until CPU 0
 * hands them a function (smp_call_start), and answer IPIs (TLB shootdown
 * requests, pings). A fault a secondary takes while running such a
 * function goes to the mm's fault handler if the worker named its mm
 * (struct cpu .mm: hint faults, migrations and first touches then happen
 * on that CPU, under the mm's page-table lock); otherwise, or if the
 * handler cannot resolve it, it is recorded in that CPU's struct cpu and
 * the access is failed through the probe fixups (tests count the faults
 * their workers took).
 */
#ifndef BOOT_SMP_H
#define BOOT_SMP_H
#include <stdbool.h>
#include <stdint.h>
#include "boot/trap.h"
#include "mmu/events.h"

struct pgtable;
struct mm;

#define SMP_MAX_CPUS 8

typedef void (*smp_fn_t)(void *arg);

struct cpu {
    /* First: the per-CPU register points here, and mmu/events.h counts
     * through it (ev_this_cpu). */
    uint64_t ev[EV_COUNT];
    unsigned id;                    /* logical: 0 = boot CPU */
    uint64_t hwid;                  /* MPIDR affinity (arm64) / hart id (riscv) */
    volatile int online;
    uint64_t stack_top;
    /* work handed over by smp_call_start: seq advances once per call */
    smp_fn_t volatile fn;
    void *volatile arg;
    volatile uint64_t call_seq, done_seq;
    /* the address space a worker runs in (NULL: the kernel's table) */
    struct pgtable *pt;
    /* set by a worker that wants its faults handled by that mm's fault
     * handler (NUMA hint faults, first touch...) as CPU 0's are; NULL:
     * faults are only recorded and the access fails */
    struct mm *mm;
    /* faults taken while running a handed-over function */
    volatile uint64_t faults, spurious;
    uint64_t spurious_va;
    unsigned spurious_repeat;
    struct fault_info last_fault;
    /* IPIs */
    volatile uint32_t ipi_pending;  /* IPI_* bits set by the sender */
    volatile uint64_t ipis_received;
    volatile uint64_t shootdowns_done;
    uint32_t gic_mask;              /* arm64 GICv2: this CPU interface's target bit */
    /* This CPU's one-shot timer (boot/timer.h) */
    volatile int timer_armed;       /* armed and not yet taken */
    uint64_t timer_deadline;        /* read_timer() value it was armed for */
    volatile uint64_t timer_irqs;   /* timer interrupts taken on this CPU */
    volatile uint64_t timer_fired_at;   /* read_timer() in the last one's handler */
} __attribute__((aligned(64)));

extern struct cpu cpus[SMP_MAX_CPUS];
extern unsigned smp_nr_cpus;        /* CPUs online (1 until smp_boot) */
extern unsigned smp_nr_listed;      /* CPUs the device tree lists */

/* The running CPU's struct cpu / logical id (arm64 TPIDR_EL1, riscv sscratch). */
struct cpu *this_cpu(void);
static inline unsigned smp_id(void) { return this_cpu()->id; }

/* Boot CPU: before anything per-CPU is used (kmain). */
void smp_early_init(uint64_t boot_hwid);
/* Start every CPU the device tree lists (after mmu_init). */
void smp_boot(void);
void smp_describe(void);

/* Run fn(arg) on cpu (not the caller); returns at once. -1 if the CPU is
 * not online or still busy. */
int smp_call_start(unsigned cpu, smp_fn_t fn, void *arg);
/* Wait until the function last started on cpu has returned. */
void smp_call_wait(unsigned cpu);

/* IPIs: bit per reason, delivered by the arch (GIC SGI 0 / SBI IPI). */
enum { IPI_PING = 1u << 0, IPI_SHOOTDOWN = 1u << 1 };
void smp_send_ipi(unsigned cpu, uint32_t reason);
/* The arch's interrupt entry calls this for every IPI taken. Must not use
 * FP/SIMD or the C library (arm64 does not save FP/SIMD state on IRQ). */
void smp_ipi_received(void);

/* Fault taken by a CPU other than 0 (boot/fault.c calls it first). */
bool smp_secondary_fault(const struct fault_info *fi, enum fault_result *r);

/* A fresh CPU-mask helper. */
static inline uint32_t smp_online_mask(void) { return smp_nr_cpus >= 32 ? ~0u : (1u << smp_nr_cpus) - 1; }

/* ---- the arch half (arch/<arch>/smp.c) ---- */
/* ARCH_FIRMWARE_SHOOTDOWN arches (riscv): the firmware's remote fence
 * (SBI RFENCE remote_sfence_vma[_asid]) on the CPUs in cpu_mask (bit c =
 * logical CPU c, whatever its hart id), size 0 = the whole address space
 * (ASID 0: every ASID). Returns the firmware calls made (one per window of
 * 64 hart ids: hart_mask_base). */
unsigned arch_firmware_remote_fence(uint32_t cpu_mask, uint16_t asid, uint64_t start, uint64_t size);
/* Whether a CPU the device tree lists can run this kernel (riscv: a hart
 * with no MMU, such as sifive_u's E51 monitor core, cannot); why not. */
struct dt_cpu;
bool arch_cpu_can_join(const struct dt_cpu *c);
const char *arch_cpu_cannot_join_why(const struct dt_cpu *c);
/* Whether this arch starts secondary CPUs at all (arm: not yet). */
bool arch_smp_supported(void);
/* Start CPU c at the secondary entry; 0 or the firmware's error code. */
long arch_cpu_start(struct cpu *c);
const char *arch_cpu_start_error(long err);
void arch_secondary_init(struct cpu *c);    /* on the new CPU: per-CPU hardware */
void arch_ipi_init(void);                   /* boot CPU: interrupt controller */
void arch_send_ipi(struct cpu *c);
void arch_irq_enable(void);
void arch_set_this_cpu(struct cpu *c);
void arch_cpu_relax(void);
/* Idle until woken (arm64 wfe, riscv wfi with the software interrupt as
 * the only wake-up source). */
void arch_cpu_idle(void);
void arch_cpu_wake(struct cpu *c);
const char *arch_ipi_name(void);
#endif
