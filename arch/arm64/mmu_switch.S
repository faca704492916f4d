/* arm64_mmu_switch(tcr, ttbr0): MMU off, new TCR/TTBR0, invalidate, MMU on.
 * Runs from the identity map; touches no memory while the MMU is off. */
#include <asm/sysreg_defs.h>
    .text
    .global arm64_mmu_switch
arm64_mmu_switch:
    dsb     ish                     /* page-table stores complete */
    mrs     x2, sctlr_el1
    bic     x3, x2, #SCTLR_M
    msr     sctlr_el1, x3
    isb
    msr     tcr_el1, x0
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    orr     x2, x2, #SCTLR_M
    msr     sctlr_el1, x2
    isb
    ret
