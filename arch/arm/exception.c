/* 32-bit Arm exception decode: DFSR/IFSR + DFAR/IFAR to struct fault_info,
 * register dumps. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/trap.h"
#include <asm/exception.h>

static const char *const kind_names[8] = {
    "reset/unused vector", "undefined instruction", "svc", "prefetch abort", "data abort",
    "unused vector", "irq", "fiq",
};

static const char *kind_name(uint32_t kind) { return kind < 8 ? kind_names[kind] : "exception"; }

static __attribute__((noinline, noreturn)) void unexpected(struct trap_frame *f)
{
    char what[160];
    snprintf(what, sizeof(what), "%s (FSR 0x%lx) at pc 0x%lx, FAR 0x%lx", kind_name(f->kind),
             (unsigned long)f->fsr, (unsigned long)f->pc, (unsigned long)f->far);
    trap_unexpected(what, f);
}

/*
 * Every exception: a prefetch or data abort reported in the long-descriptor
 * format (FSR.LPAE) as a translation fault (STATUS 0b0001LL), an access flag
 * fault (0b0010LL) or a permission fault (0b0011LL), LL the level, goes to
 * trap_fault(); anything else (alignment, external aborts, debug events,
 * undefined instructions, svc, interrupts) is unexpected.
 */
void arm_exception(struct trap_frame *f)
{
    static const uint8_t kind_of_status[3] = { FAULT_TRANSLATION, FAULT_ACCESS_FLAG, FAULT_PERMISSION };
    bool data = f->kind == KIND_DABT;
    if ((!data && f->kind != KIND_PABT) || !(f->fsr & FSR_LPAE))
        unexpected(f);
    unsigned status = FSR_STATUS(f->fsr);
    if (status - 0x04u >= 12u)
        unexpected(f);
    struct fault_info fi = { .addr = f->far, .pc = f->pc, .syndrome = f->fsr };
    fi.kind = (enum fault_kind)kind_of_status[(status - 0x04u) >> 2];
    fi.level = (int)(status & 3);
    /* Cache maintenance faults report WnR = 1 but are reads of the mapping. */
    if (!data)
        fi.access = ACCESS_EXEC;
    else if ((f->fsr & (FSR_WNR | FSR_CM)) == FSR_WNR)
        fi.access = ACCESS_WRITE;
    else
        fi.access = ACCESS_READ;
    trap_fault(&fi, f);
}

void arch_dump_frame(const void *frame)
{
    const struct trap_frame *f = frame;
    printf("REGISTERS (arm, %s)\n", kind_name(f->kind));
    printf("  pc   %08lx  cpsr %08lx  fsr  %08lx  far  %08lx\n", (unsigned long)f->pc,
           (unsigned long)f->cpsr, (unsigned long)f->fsr, (unsigned long)f->far);
    for (int i = 0; i < 13; i += 4) {
        printf(" ");
        for (int j = i; j < i + 4 && j < 13; j++)
            printf(" r%-2d  %08lx", j, (unsigned long)f->r[j]);
        if (i == 12)
            printf("  sp   %08lx  lr   %08lx", (unsigned long)f->sp, (unsigned long)f->lr);
        printf("\n");
    }
}

uint64_t arch_frame_pc(const void *frame) { return ((const struct trap_frame *)frame)->pc; }
void arch_frame_set_pc(void *frame, uint64_t pc) { ((struct trap_frame *)frame)->pc = (uint32_t)pc; }
void arch_frame_set_ret(void *frame, uint64_t v) { ((struct trap_frame *)frame)->r[0] = (uint32_t)v; }
