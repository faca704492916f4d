/* Shared by the SMP test suites: a worker CPU running in an address space. */
#ifndef TESTS_KERNEL_SMP_UTIL_H
#define TESTS_KERNEL_SMP_UTIL_H
#include "boot/smp.h"
#include "mmu/mm_internal.h"
#include "mmu/tlb.h"
#include <asm/mmu.h>

/* Run in mm on this CPU: its root and ASID, and the CPU mask notes it. */
static inline void smp_enter_mm(struct mm *mm)
{
    tlb_note_active(smp_id(), mm->pt.asid);
    this_cpu()->pt = &mm->pt;
    arch_switch_root(mm->pt.root, mm->pt.asid);
}

static inline void smp_leave_mm(void)
{
    arch_switch_root(kernel_pgtable.root, 0);
    this_cpu()->pt = NULL;
}
#endif
