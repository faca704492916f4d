/* riscv64 trap decode: scause/stval to struct fault_info, register dumps. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/trap.h"
#include <asm/exception.h>

static const char *cause_name(uint64_t cause)
{
    static const char *const names[] = {
        "instruction address misaligned", "instruction access fault",
        "illegal instruction", "breakpoint", "load address misaligned",
        "load access fault", "store address misaligned", "store access fault",
        "ecall from U", "ecall from S", "reserved", "ecall from M",
        "instruction page fault", "load page fault", "reserved", "store page fault",
    };
    if (cause & CAUSE_INTERRUPT)
        return "interrupt";
    return cause < ARRAY_SIZE(names) ? names[cause] : "exception";
}

/* Anything but a page fault: name it, dump the registers, fail the running
 * test. Never returns. */
static __attribute__((noinline, noreturn)) void unexpected(struct trap_frame *f)
{
    uint64_t c = f->cause;
    char what[160];
    snprintf(what, sizeof(what), "%s (scause 0x%llx) at pc 0x%llx, stval 0x%llx",
             cause_name(c), (unsigned long long)c, (unsigned long long)f->epc,
             (unsigned long long)f->tval);
    trap_unexpected(what, f);
}

extern char riscv_cboz_trial[];
extern volatile bool riscv_cboz_trapped;
void riscv_ipi(void);       /* arch/riscv64/smp.c */
bool riscv_timer_irq(void); /* arch/riscv64/smp.c */

/* An illegal instruction at a fixup site (riscv_counter_read_safe in
 * probe.S: a counter CSR the firmware hides) resumes at its fixup. */
struct fixup_entry { uint64_t insn, target; };
extern const struct fixup_entry __fixup_start[], __fixup_end[];

static bool illegal_insn_fixup(struct trap_frame *f)
{
    for (const struct fixup_entry *e = __fixup_start; e < __fixup_end; e++)
        if (e->insn == f->epc) {
            f->epc = e->target;
            return true;
        }
    return false;
}

/* Interrupts, out of line (the page-fault path keeps its small frame): the
 * supervisor software interrupt (an IPI) and the supervisor timer interrupt
 * of this hart's armed one-shot; anything else is unexpected. */
static __attribute__((noinline)) void interrupt(struct trap_frame *f)
{
    if (f->cause == (CAUSE_INTERRUPT | 1))
        riscv_ipi();
    else if (!(f->cause == (CAUSE_INTERRUPT | 5) && riscv_timer_irq()))
        unexpected(f);
}

void riscv_trap(struct trap_frame *f)
{
    uint64_t c = f->cause;
    if (c == CAUSE_ILLEGAL_INSN && f->epc == (uintptr_t)riscv_cboz_trial) {
        riscv_cboz_trapped = true;      /* arch/riscv64/mmu.c's Zicboz trial */
        f->epc += 4;
        return;
    }
    if (c == CAUSE_ILLEGAL_INSN && illegal_insn_fixup(f))
        return;
    if (c != CAUSE_INSN_PAGE_FAULT && c != CAUSE_LOAD_PAGE_FAULT && c != CAUSE_STORE_PAGE_FAULT) {
        if (c & CAUSE_INTERRUPT) {
            interrupt(f);
            return;
        }
        unexpected(f);
    }
    struct fault_info fi = {
        .addr = f->tval, .pc = f->epc, .syndrome = c, .kind = FAULT_PAGE, .level = -1,
        .access = c == CAUSE_INSN_PAGE_FAULT ? ACCESS_EXEC
                : c == CAUSE_STORE_PAGE_FAULT ? ACCESS_WRITE : ACCESS_READ,
    };
    trap_fault(&fi, f);
}

void arch_dump_frame(const void *frame)
{
    static const char *const abi[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
        "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
        "s10", "s11", "t3", "t4", "t5", "t6",
    };
    const struct trap_frame *f = frame;
    printf("REGISTERS (riscv64, %s)\n", cause_name(f->cause));
    printf("  sepc %016llx  sstatus %016llx  scause %016llx  stval %016llx\n",
           (unsigned long long)f->epc, (unsigned long long)f->status,
           (unsigned long long)f->cause, (unsigned long long)f->tval);
    for (int i = 1; i < 32; i += 4) {
        printf(" ");
        for (int j = i; j < i + 4 && j < 32; j++)
            printf(" %-4s %016llx", abi[j], (unsigned long long)f->x[j - 1]);
        printf("\n");
    }
}

uint64_t arch_frame_pc(const void *frame) { return ((const struct trap_frame *)frame)->epc; }
void arch_frame_set_pc(void *frame, uint64_t pc) { ((struct trap_frame *)frame)->epc = pc; }
void arch_frame_set_ret(void *frame, uint64_t v) { ((struct trap_frame *)frame)->x[9] = v; /* a0 = x10 */ }
