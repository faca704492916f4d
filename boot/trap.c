/* The kernel's trap path: dispatch (boot/fault.c), probe fixups, unexpected traps. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/trap.h"
#include "tests/kernel/ktest.h"

struct fixup_entry { uint64_t insn, target; };
extern const struct fixup_entry __fixup_start[], __fixup_end[];
/* probe_exec: the address being called and where to resume if it faults. */
extern volatile uint64_t probe_exec_target;
extern char probe_exec_fail[];

static uint64_t fixup_for(uint64_t pc)
{
    for (const struct fixup_entry *f = __fixup_start; f < __fixup_end; f++)
        if (f->insn == pc)
            return f->target;
    return 0;
}

void trap_fault(const struct fault_info *fi, void *frame)
{
    if (fault_dispatch(fi, frame) == FAULT_HANDLED)
        return;
    uint64_t target = fixup_for(fi->pc);
    if (!target && fi->access == ACCESS_EXEC && probe_exec_target &&
        fi->pc == probe_exec_target)
        target = (uint64_t)(uintptr_t)probe_exec_fail;
    if (target) {
        arch_frame_set_pc(frame, target);
        return;
    }
    char what[160];
    snprintf(what, sizeof(what), "unhandled %s fault (%s) at 0x%llx, pc 0x%llx, level %d",
             fault_kind_name(fi->kind), access_type_name(fi->access),
             (unsigned long long)fi->addr, (unsigned long long)fi->pc, fi->level);
    trap_unexpected(what, frame);
}

void trap_unexpected(const char *what, void *frame)
{
    static bool dying;
    if (dying)      /* a fault while reporting one: stop without printing */
        arch_exit(3);
    dying = true;
    printf("\n# UNEXPECTED EXCEPTION: %s\n", what);
    arch_dump_frame(frame);
    ktest_crashed(what);    /* prints not ok for the running test, bails out */
    kernel_exit(2);
}
