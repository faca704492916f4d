/* arm64 boot-time CPU set-up: boot mode, exit paths, PMU enable, features. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/bootargs.h"
#include "boot/fdt.h"
#include "boot/boot.h"
#include <asm/sysreg.h>
#include <asm/counters.h>

const char arch_name[] = "arm64";
unsigned arm64_boot_el;             /* set by kmain from entry.S */

enum exit_method { EXIT_PSCI_HVC, EXIT_PSCI_SMC, EXIT_SEMIHOSTING, EXIT_NONE };
static enum exit_method exit_method = EXIT_NONE;

const char *arch_boot_mode(void) { return arm64_boot_el == 2 ? "EL2" : "EL1"; }

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
    uint64_t midr = read_sysreg(midr_el1);
    uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    printf("# cpu: midr 0x%llx, PARange %llu, ASID bits %s, timer %llu Hz\n",
           (unsigned long long)midr, (unsigned long long)(mmfr0 & 0xf),
           ((mmfr0 >> 4) & 0xf) == 2 ? "16" : "8",
           (unsigned long long)timer_freq_hz());
}

/* PMU: enable the cycle counter and event counter 0 = INST_RETIRED (0x08),
 * counting at EL1 (and EL2 via PMCCFILTR.NSH, set in entry.S when at EL2). */
void arch_counters_enable(void)
{
    uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
    unsigned pmuver = (dfr0 >> 8) & 0xf;
    if (pmuver == 0 || pmuver == 0xf)
        return;                         /* no PMUv3: probes report unavailable */
    write_sysreg(pmevtyper0_el0, 0x08);         /* INST_RETIRED, count EL1 */
    write_sysreg(pmccfiltr_el0, read_sysreg(pmccfiltr_el0) & ~(1ULL << 31)); /* P=0: count EL1 */
    write_sysreg(pmcntenset_el0, (1ULL << 31) | 1);
    write_sysreg(pmcr_el0, read_sysreg(pmcr_el0) | 1 | 2 | 4 | (1 << 6)); /* E, P, C reset, LC */
    isb();
}

__noreturn static void semihosting_exit(int code)
{
    /* SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit and the status. */
    static volatile uint64_t block[2];
    block[0] = 0x20026;
    block[1] = (uint64_t)code;
    register uint64_t x0 __asm__("x0") = 0x18;
    register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
    __asm__ volatile("hlt #0xf000" :: "r"(x0), "r"(x1) : "memory");
    for (;;)
        wfi();
}

__noreturn void arch_exit(int code)
{
    /* Exiting before arch_init (a bad device tree or boot argument): decide
     * from the raw command line and the device tree. */
    if (exit_method == EXIT_NONE) {
        if (strstr(boot.dt.bootargs, "exit=semihosting"))
            exit_method = EXIT_SEMIHOSTING;
        else if (boot.dt.psci_smc)
            exit_method = EXIT_PSCI_SMC;
        else if (boot.dt.psci_hvc)
            exit_method = EXIT_PSCI_HVC;
    }
    const uint64_t psci_system_off = 0x84000008;
    register uint64_t x0 __asm__("x0") = psci_system_off;
    switch (exit_method) {
    case EXIT_SEMIHOSTING:
        semihosting_exit(code);
    case EXIT_PSCI_HVC:
        __asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
        break;
    case EXIT_PSCI_SMC:
        __asm__ volatile("smc #0" : "+r"(x0) :: "memory");
        break;
    case EXIT_NONE:
        break;
    }
    /* Still here: no PSCI (Raspberry Pi 4 firmware without TF-A) or it
     * returned. The TESTBED line above is the result; tools/runner.py stops
     * at this line. */
    printf("# parked: %s; the TESTBED line is the result\n",
           exit_method == EXIT_NONE ? "no PSCI and no semihosting to power off with"
                                    : "PSCI SYSTEM_OFF returned");
    for (;;)
        wfi();
}
