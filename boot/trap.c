/* Arch-neutral fault dispatch, probe fixups and the unexpected-trap path. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/trap.h"
#include "tests/kernel/ktest.h"
#include "mmu/events.h"

struct fixup_entry { uint64_t insn, target; };
extern const struct fixup_entry __fixup_start[], __fixup_end[];
/* probe_exec: the address being called and where to resume if it faults. */
extern volatile uint64_t probe_exec_target;
extern char probe_exec_fail[];

static fault_handler_t fault_handler;
static struct fault_record faults;
static unsigned trap_depth;

static const char *const kind_names[FAULT_KIND_COUNT] = {
    [FAULT_TRANSLATION] = "translation", [FAULT_PERMISSION] = "permission",
    [FAULT_ACCESS_FLAG] = "access-flag", [FAULT_PAGE] = "page",
    [FAULT_ALIGNMENT] = "alignment", [FAULT_OTHER] = "other",
};

const char *fault_kind_name(enum fault_kind k)
{
    return (unsigned)k < FAULT_KIND_COUNT ? kind_names[k] : "?";
}

const char *access_type_name(enum access_type a)
{
    return a == ACCESS_WRITE ? "write" : a == ACCESS_EXEC ? "exec" : "read";
}

fault_handler_t trap_set_fault_handler(fault_handler_t h)
{
    fault_handler_t old = fault_handler;
    fault_handler = h;
    return old;
}

void trap_reset_faults(void) { memset(&faults, 0, sizeof(faults)); }
const struct fault_record *trap_faults(void) { return &faults; }

static uint64_t fixup_for(uint64_t pc)
{
    for (const struct fixup_entry *f = __fixup_start; f < __fixup_end; f++)
        if (f->insn == pc)
            return f->target;
    return 0;
}

void trap_fault(const struct fault_info *fi, void *frame)
{
    static const enum mm_event ev[FAULT_KIND_COUNT] = {
        [FAULT_TRANSLATION] = EV_FAULT_TRANSLATION, [FAULT_PERMISSION] = EV_FAULT_PERMISSION,
        [FAULT_ACCESS_FLAG] = EV_FAULT_ACCESS_FLAG, [FAULT_PAGE] = EV_FAULT_PAGE,
    };
    if (ev[fi->kind])
        ev_inc(ev[fi->kind]);
    faults.count++;
    faults.last = *fi;
    if (trap_depth > 0)
        trap_unexpected("fault inside the fault handler", frame);
    trap_depth++;
    enum fault_result r = fault_handler ? fault_handler(fi) : FAULT_UNHANDLED;
    trap_depth--;
    if (r == FAULT_HANDLED) {
        ev_inc(EV_FAULT_RESOLVED);
        return;
    }
    faults.unresolved++;
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
