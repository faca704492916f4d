/* 32-bit Arm boot-time CPU set-up: boot mode, exit paths, PMU enable, features. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/bootargs.h"
#include "boot/fdt.h"
#include "boot/boot.h"
#include <asm/sysreg.h>
#include <asm/counters.h>

const char arch_name[] = "arm";
unsigned arm_boot_mode;             /* CPSR.M at entry, set by kmain from entry.S */
struct arm_counter_ext arm_cycles_ext, arm_instret_ext;

enum exit_method { EXIT_PSCI_HVC, EXIT_PSCI_SMC, EXIT_SEMIHOSTING, EXIT_NONE };
static enum exit_method exit_method = EXIT_NONE;

const char *arch_boot_mode(void) { return arm_boot_mode == PSR_MODE_HYP ? "HYP" : "SVC"; }

void arch_init(const struct dt_info *dt)
{
    const char *e = bootarg_value("exit");
    if (e && strcmp(e, "semihosting") == 0)
        exit_method = EXIT_SEMIHOSTING;
    else if (dt->psci_smc)
        exit_method = EXIT_PSCI_SMC;
    else if (dt->psci_hvc)
        exit_method = EXIT_PSCI_HVC;
    arch_counters_enable();
}

void arch_describe(void)
{
    uint32_t mmfr0 = read_id_mmfr0();
    printf("# cpu: midr 0x%08lx, ID_MMFR0 VMSA %lu%s, TTBCR.EAE %lu, timer %llu Hz\n",
           (unsigned long)read_midr(), (unsigned long)(mmfr0 & 0xf),
           (mmfr0 & 0xf) >= 5 ? " (LPAE)" : "", (unsigned long)(read_ttbcr() >> 31),
           (unsigned long long)timer_freq_hz());
}

/* PMU (ID_DFR0.PerfMon 1..4 = PMUv1..v3; 0xf = none): the cycle counter
 * and event counter 0 = 0x08 (instructions architecturally executed),
 * counting at PL1; PMSELR left at 0 so PMXEVCNTR reads counter 0. */
void arch_counters_enable(void)
{
    unsigned perfmon = (read_id_dfr0() >> 24) & 0xf;
    if (perfmon == 0 || perfmon == 0xf)
        return;                         /* no PMU: probes report unavailable */
    write_cp15(0, c9, c12, 5, 0);       /* PMSELR = counter 0 */
    isb();
    write_cp15(0, c9, c13, 1, 0x08);    /* PMXEVTYPER: INST_RETIRED, all PLs */
    write_cp15(0, c9, c12, 1, (1u << 31) | 1);                          /* PMCNTENSET: C, P0 */
    write_cp15(0, c9, c12, 0, read_cp15(0, c9, c12, 0) | 1 | 2 | 4);    /* PMCR: E, P, C reset */
    isb();
}

/* AArch32 semihosting (SVC 0x123456 in A32 state): SYS_EXIT_EXTENDED (0x20)
 * with {ADP_Stopped_ApplicationExit, code}, so QEMU exits with `code`
 * (plain SYS_EXIT in AArch32 carries no status). */
__noreturn static void semihosting_exit(int code)
{
    static volatile uint32_t block[2];
    block[0] = 0x20026;
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm__("r0") = 0x20;
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
    __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
    for (;;)
        wfi();
}

__noreturn void arch_exit(int code)
{
    if (exit_method == EXIT_NONE) {
        if (strstr(boot.dt.bootargs, "exit=semihosting"))
            exit_method = EXIT_SEMIHOSTING;
        else if (boot.dt.psci_smc)
            exit_method = EXIT_PSCI_SMC;
        else if (boot.dt.psci_hvc)
            exit_method = EXIT_PSCI_HVC;
    }
    register uint32_t r0 __asm__("r0") = 0x84000008;   /* PSCI SYSTEM_OFF */
    switch (exit_method) {
    case EXIT_SEMIHOSTING:
        semihosting_exit(code);
    case EXIT_PSCI_HVC:
        __asm__ volatile("hvc #0" : "+r"(r0) :: "memory");
        break;
    case EXIT_PSCI_SMC:
        __asm__ volatile(".arch_extension sec\n\tsmc #0" : "+r"(r0) :: "memory");
        break;
    case EXIT_NONE:
        break;
    }
    for (;;)
        wfi();
}
