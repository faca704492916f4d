/*
 * 32-bit Arm: the arch half of boot/smp.h for one CPU. The kernel runs on
 * the CPU that booted; secondary CPUs the device tree lists are left off
 * (arch_smp_supported() is false: boot/smp.c says so once and starts none),
 * so TLB maintenance never needs a shootdown here. Bringing them up would
 * take PSCI CPU_ON (virt) or the Pi 2's mailbox release, the GIC (virt) or
 * the BCM2836 local interrupt controller (Pi 2) for IPIs: not done yet.
 */
#include "boot/kernel.h"
#include "boot/smp.h"
#include "boot/fdt.h"
#include "boot/timer.h"

#include <asm/percpu.h>

bool arch_smp_supported(void) { return false; }
/* TPIDRPRW (asm/percpu.h): the event counters count through it. */
struct cpu *this_cpu(void) { return arch_percpu_base(); }
void arch_set_this_cpu(struct cpu *c)
{
    __asm__ volatile("mcr p15, 0, %0, c13, c0, 4" :: "r"((uint32_t)(uintptr_t)c) : "memory");
}
void arch_cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }
void arch_cpu_idle(void) { __asm__ volatile("wfi" ::: "memory"); }
void arch_cpu_wake(struct cpu *c) { (void)c; }
void arch_irq_enable(void) {}
void arch_ipi_init(void) {}
void arch_secondary_init(struct cpu *c) { (void)c; }
void arch_send_ipi(struct cpu *c) { (void)c; }
const char *arch_ipi_name(void) { return "none (one CPU on arm)"; }
long arch_cpu_start(struct cpu *c) { (void)c; return -1; }
const char *arch_cpu_start_error(long err) { (void)err; return "SMP is not implemented on arm"; }

unsigned arch_firmware_remote_fence(uint32_t cpu_mask, uint16_t asid, uint64_t start, uint64_t size)
{
    (void)cpu_mask, (void)asid, (void)start, (void)size;
    panic("arch_firmware_remote_fence: no firmware shootdown on arm");
}

bool arch_cpu_can_join(const struct dt_cpu *c) { (void)c; return true; }
const char *arch_cpu_cannot_join_why(const struct dt_cpu *c) { (void)c; return ""; }

/* Per-CPU timer interrupts (boot/timer.h): not on 32-bit Arm, which has no
 * GIC driver here (virt) nor one for the BCM2836 local controller (Pi 2). */
bool arch_timer_init(void) { return false; }
const char *arch_timer_why(void)
{
    return "not implemented on 32-bit arm (no GIC / BCM2836 interrupt driver here)";
}
const char *arch_timer_name(void) { return "none"; }
void arch_timer_arm(uint64_t deadline) { (void)deadline; }
void arch_timer_mask(void) {}
