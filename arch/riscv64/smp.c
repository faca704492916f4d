/*
 * riscv64 SMP: SBI HSM hart_start, SBI IPI (the supervisor software
 * interrupt), SBI RFENCE, and the per-CPU pointer in sscratch.
 *
 * Facts used (RISC-V SBI specification v2.0):
 *   HSM  EID 0x48534D:   FID 0 hart_start(hartid, start_addr, opaque): the
 *        hart starts in S-mode at start_addr, satp = 0, sstatus.SIE = 0,
 *        a0 = hartid, a1 = opaque; FID 2 hart_get_status.
 *   IPI  EID 0x735049:   FID 0 send_ipi(hart_mask, hart_mask_base): sets
 *        sip.SSIP on each hart named; the receiver clears it.
 *   RFENCE EID 0x52464E43: FID 1 remote_sfence_vma(mask, base, start, size),
 *        FID 2 remote_sfence_vma_asid(mask, base, start, size, asid);
 *        start = size = 0 or size = ~0 flush everything (of the ASID).
 *   Errors: -1 FAILED, -2 NOT_SUPPORTED, -3 INVALID_PARAM, -5
 *   INVALID_ADDRESS, -6 ALREADY_AVAILABLE.
 * sfence.vma acts on the executing hart only (privileged spec): a remote
 * hart's TLB is reached only through an SBI RFENCE or an IPI whose handler
 * fences locally.
 */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/fdt.h"
#include "boot/timer.h"
#include <asm/sysreg.h>
#include <asm/counters.h>
#include <asm/sbi_harts.h>

#define SBI_EXT_HSM     0x48534D
#define SBI_EXT_IPI     0x735049
#define SBI_EXT_RFENCE  0x52464E43
#define SIP_SSIP        (1ULL << 1)
#define SIE_STIE        (1ULL << 5)
#define SBI_EXT_TIME    0x54494D45
#define SSTATUS_SIE     (1ULL << 1)
#define SSTATUS_SUM     (1ULL << 18)

struct smp_boot_ctx { uint64_t satp, stack_top, cpu; };
static struct smp_boot_ctx boot_ctx[SMP_MAX_CPUS];

struct sbiret sbi_call5(long ext, long fid, long a0, long a1, long a2, long a3, long a4)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r3 __asm__("a3") = a3;
    register long r4 __asm__("a4") = a4;
    register long r6 __asm__("a6") = fid;
    register long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ r0, r1 };
}

bool arch_smp_supported(void) { return true; }
struct cpu *this_cpu(void)
{
    struct cpu *c = (struct cpu *)(uintptr_t)csr_read(sscratch);
    return c ? c : &cpus[0];
}

void arch_set_this_cpu(struct cpu *c) { csr_write(sscratch, (uint64_t)(uintptr_t)c); }
/* Zihintpause pause (a fence encoding: a no-op where absent), and a timer
 * deadline one tick away (SBI TIME set_timer, EID 0x54494D45; sie.STIE
 * stays clear, so it is never taken): under -icount QEMU runs the CPUs
 * one after the other until the next virtual-clock deadline (else 100 ms),
 * and on riscv nothing like arm64's yield hands the thread over. Without
 * icount (MTTCG) it only costs the call.
 * While this hart has a one-shot armed (boot/timer.h: sie.STIE set) the
 * deadline is left alone: it is the one-shot's, which then also serves as
 * the scheduling deadline. Writing now + 20 would replace it, and a hart
 * spinning for its one-shot would push it ahead on every spin: never taken.
 * The interrupt handler clears STIE before it clears timer_armed, so a
 * relax that sees timer_armed = 0 has STIE clear (same hart, program order). */
static bool have_sstc;

void arch_cpu_relax(void)
{
    uint64_t now;
    __asm__ volatile(".4byte 0x0100000f; rdtime %0" : "=r"(now) :: "memory");
    if (__atomic_load_n(&this_cpu()->timer_armed, __ATOMIC_RELAXED))
        return;
    if (have_sstc)      /* stimecmp (Sstc, CSR 0x14d): no trip to the firmware */
        __asm__ volatile("csrw 0x14d, %0" :: "r"(now + 20) : "memory");
    else
        sbi_call5(0x54494D45, 0, (long)(now + 20), 0, 0, 0, 0);
}

/* wfi wakes on an interrupt pending and enabled in sie even with
 * sstatus.SIE clear; SIE is off across check-and-sleep so the IPI is not
 * taken (and SSIP cleared) between them, then the trap runs after. */
void arch_cpu_idle(void)
{
    struct cpu *c = this_cpu();
    csr_clear(sstatus, SSTATUS_SIE);
    if (__atomic_load_n(&c->call_seq, __ATOMIC_ACQUIRE) == c->done_seq)
        wfi();
    csr_set(sstatus, SSTATUS_SIE);
}

void arch_irq_enable(void)
{
    csr_set(sie, SIP_SSIP);
    csr_set(sstatus, SSTATUS_SIE);
}

const char *arch_ipi_name(void) { return "SBI IPI (supervisor software interrupt)"; }

const char *arch_cpu_start_error(long err)
{
    switch (err) {
    case -1: return "SBI FAILED";
    case -2: return "SBI NOT_SUPPORTED (no HSM extension)";
    case -3: return "SBI INVALID_PARAM";
    case -5: return "SBI INVALID_ADDRESS";
    case -6: return "SBI ALREADY_AVAILABLE";
    default: return "SBI error";
    }
}

long arch_cpu_start(struct cpu *c)
{
    extern char riscv_secondary_entry[];
    struct smp_boot_ctx *x = &boot_ctx[c->id];
    x->satp = csr_read(satp) & ~(0xffffULL << 44);      /* the kernel's table, ASID 0 */
    x->stack_top = c->stack_top;
    x->cpu = (uint64_t)(uintptr_t)c;
    __asm__ volatile("fence rw, rw" ::: "memory");
    struct sbiret r = sbi_call5(SBI_EXT_HSM, 0, (long)c->hwid, (long)(uintptr_t)riscv_secondary_entry,
                                (long)(uintptr_t)x, 0, 0);
    return r.error;
}

bool riscv_isa_has(const char *ext);     /* arch/riscv64/mmu.c */
void arch_ipi_init(void) { have_sstc = riscv_isa_has("sstc"); }

/* ---- the per-CPU timer (boot/timer.h): the supervisor timer interrupt ----
 * Sstc: stimecmp (CSR 0x14d) per hart; sip.STIP = (time >= stimecmp), so a
 * write of a later value clears it. Else SBI TIME set_timer (EID
 * 0x54494D45, FID 0), which per the SBI specification also clears the
 * pending supervisor timer interrupt. Outside a one-shot STIP is usually
 * pending (arch_cpu_relax's deadlines) with sie.STIE clear: never taken,
 * and wfi does not wake on it (wfi wakes on pending AND enabled). */
static const char *stimer_why = "";

bool arch_timer_init(void)
{
    uint64_t t;
    have_sstc = riscv_isa_has("sstc");
    if (riscv_counter_read_safe(2, &t) < 0) {
        stimer_why = "the time CSR traps in S-mode (no rdtime)";
        return false;
    }
    if (!riscv_timebase_hz) {
        stimer_why = "the device tree gives no /cpus timebase-frequency";
        return false;
    }
    if (!have_sstc && sbi_call(SBI_EXT_BASE, 3, SBI_EXT_TIME, 0, 0).value == 0) {
        stimer_why = "no Sstc and the SBI firmware has no TIME extension";
        return false;
    }
    arch_irq_enable();      /* the boot hart (smp_boot did it when harts started) */
    return true;
}
const char *arch_timer_why(void) { return stimer_why; }
const char *arch_timer_name(void)
{
    return have_sstc ? "supervisor timer interrupt (Sstc stimecmp)"
                     : "supervisor timer interrupt (SBI TIME set_timer)";
}
void arch_timer_arm(uint64_t deadline)
{
    if (have_sstc)
        __asm__ volatile("csrw 0x14d, %0" :: "r"(deadline) : "memory");
    else
        sbi_call5(SBI_EXT_TIME, 0, (long)deadline, 0, 0, 0, 0);
    csr_set(sie, SIE_STIE);
}
void arch_timer_mask(void) { csr_clear(sie, SIE_STIE); }

/* The supervisor timer interrupt (arch/riscv64/exception.c): false if this
 * hart armed none (an unexpected interrupt). STIP stays pending (level):
 * STIE is cleared first, so it is taken once. */
bool riscv_timer_irq(void)
{
    /* Sstc: a stimecmp write reaches STIP "eventually": an interrupt taken
     * before the armed deadline is spurious. STIE stays set (the real
     * expiry is still to come); known, not counted. */
    struct cpu *c = this_cpu();
    if (__atomic_load_n(&c->timer_armed, __ATOMIC_ACQUIRE) && read_timer() < c->timer_deadline)
        return true;
    csr_clear(sie, SIE_STIE);
    return timer_interrupt();
}

void arch_secondary_init(struct cpu *c)
{
    (void)c;
    csr_set(sstatus, SSTATUS_SUM);      /* as arch_init does on the boot hart */
    arch_irq_enable();
}

/* SBI send_ipi with hart_mask_base = the hart id: one hart. */
void arch_send_ipi(struct cpu *c)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
    sbi_call5(SBI_EXT_IPI, 0, 1, (long)c->hwid, 0, 0, 0);
}

void arch_cpu_wake(struct cpu *c) { arch_send_ipi(c); }

/* The supervisor software interrupt (arch/riscv64/exception.c). */
void riscv_ipi(void)
{
    csr_clear(sip, SIP_SSIP);
    smp_ipi_received();
}

/* SBI RFENCE (EID 0x52464E43): remote_sfence_vma (FID 1) for ASID 0, the
 * kernel's and global entries, else remote_sfence_vma_asid (FID 2); size 0
 * asks for the whole address space (SBI: start 0, size -1). The harts go as
 * (hart_mask, hart_mask_base) windows of 64 ids (asm/sbi_harts.h), so any
 * hart id works, not only ids below 64. A refused fence is not a shootdown
 * done: it stops the kernel. */
unsigned arch_firmware_remote_fence(uint32_t cpu_mask, uint16_t asid, uint64_t start, uint64_t size)
{
    uint64_t ids[SMP_MAX_CPUS];
    unsigned n = 0;
    for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
        if (cpu_mask & (1u << c))
            ids[n++] = cpus[c].hwid;
    struct sbi_hart_window w[SMP_MAX_CPUS];
    unsigned nw = sbi_hart_windows(ids, n, w);
    long st = size ? (long)start : 0, sz = size ? (long)size : -1L;
    for (unsigned i = 0; i < nw; i++) {
        struct sbiret r = asid ? sbi_call5(SBI_EXT_RFENCE, 2, (long)w[i].mask, (long)w[i].base, st, sz, asid)
                               : sbi_call5(SBI_EXT_RFENCE, 1, (long)w[i].mask, (long)w[i].base, st, sz, 0);
        if (r.error)
            panic("SBI RFENCE (harts 0x%llx from %llu, asid %u): %s (%ld)", (unsigned long long)w[i].mask,
                  (unsigned long long)w[i].base, asid, arch_cpu_start_error(r.error), r.error);
    }
    return nw;
}

/* A hart without an MMU (no mmu-type, or "riscv,none": sifive_u's and the
 * JH7110's E51/S7 monitor core) cannot run a kernel that translates. */
bool arch_cpu_can_join(const struct dt_cpu *c)
{
    return c->mmu_type[0] && strcmp(c->mmu_type, "riscv,none") != 0;
}
const char *arch_cpu_cannot_join_why(const struct dt_cpu *c)
{
    (void)c;
    return "the device tree gives it no MMU (mmu-type)";
}
