/* arm64 exception decode: ESR/FAR to struct fault_info, register dumps. */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/trap.h"
#include <asm/exception.h>

static const char *const vector_names[16] = {
    "sync (EL1t)", "irq (EL1t)", "fiq (EL1t)", "serror (EL1t)",
    "sync", "irq", "fiq", "serror",
    "sync (lower EL)", "irq (lower EL)", "fiq (lower EL)", "serror (lower EL)",
    "sync (lower EL32)", "irq (lower EL32)", "fiq (lower EL32)", "serror (lower EL32)",
};

static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case EC_UNKNOWN: return "undefined instruction";
    case EC_SVC64: return "svc";
    case EC_IABT_LOW: case EC_IABT_CUR: return "instruction abort";
    case EC_PC_ALIGN: return "pc alignment";
    case EC_DABT_LOW: case EC_DABT_CUR: return "data abort";
    case EC_SP_ALIGN: return "sp alignment";
    case EC_BRK64: return "brk";
    case 0x07: return "fp/simd access trap";
    case 0x18: return "msr/mrs trap";
    default: return "exception";
    }
}

/* Anything but a translation, access-flag or permission fault: name it,
 * dump the registers, fail the running test. Never returns. */
static __attribute__((noinline, noreturn)) void unexpected(struct trap_frame *f, uint64_t kind)
{
    unsigned ec = ESR_EC(f->esr);
    char what[160];
    snprintf(what, sizeof(what), "%s: %s (ESR 0x%llx EC 0x%x) at pc 0x%llx, FAR 0x%llx",
             vector_names[kind & 15], ec_name(ec), (unsigned long long)f->esr, ec,
             (unsigned long long)f->elr, (unsigned long long)f->far);
    trap_unexpected(what, f);
}

int arm64_irq(void);       /* arch/arm64/smp.c */

/* An INTID the IRQ path does not expect. Never returns. */
static __attribute__((noinline, noreturn, cold)) void unexpected_irq(struct trap_frame *f, int intid)
{
    char what[96];
    snprintf(what, sizeof(what), "irq: INTID %d not expected (neither SGI 0 nor an armed timer) "
             "at pc 0x%llx", intid, (unsigned long long)f->elr);
    trap_unexpected(what, f);
}

/* Vector 5, out of line (the fault path keeps its small frame): the GIC's
 * interrupts; an INTID nobody expects is reported with the registers. */
static __attribute__((noinline)) void irq_entry(struct trap_frame *f)
{
    int bad = arm64_irq();
    if (bad >= 0)
        unexpected_irq(f, bad);
}

/* DFSC/IFSC -> what trap_fault() gets: bit 7 set for the codes it handles,
 * the fault kind in bits 4-6, the level + 1 in bits 0-3 (0 = -1, FEAT_LPA2). */
#define FSC(kind, level) (0x80 | (kind) << 4 | ((level) + 1))
static const uint8_t fsc_decode[64] = {
    [0x04] = FSC(FAULT_TRANSLATION, 0), [0x05] = FSC(FAULT_TRANSLATION, 1),
    [0x06] = FSC(FAULT_TRANSLATION, 2), [0x07] = FSC(FAULT_TRANSLATION, 3),
    [0x08] = FSC(FAULT_ACCESS_FLAG, 0), [0x09] = FSC(FAULT_ACCESS_FLAG, 1),
    [0x0a] = FSC(FAULT_ACCESS_FLAG, 2), [0x0b] = FSC(FAULT_ACCESS_FLAG, 3),
    [0x0c] = FSC(FAULT_PERMISSION, 0), [0x0d] = FSC(FAULT_PERMISSION, 1),
    [0x0e] = FSC(FAULT_PERMISSION, 2), [0x0f] = FSC(FAULT_PERMISSION, 3),
    [0x2b] = FSC(FAULT_TRANSLATION, -1),
};

/*
 * Every exception: a synchronous instruction or data abort taken from the
 * kernel (current EL, SP_ELx) that is a translation fault (levels 0-3, or
 * -1 with FEAT_LPA2: 0x2b), an access-flag fault or a permission fault goes
 * to trap_fault(); anything else is unexpected. Fault status codes
 * (DFSC/IFSC): 0x04-0x07 translation, 0x08-0x0b access flag, 0x0c-0x0f
 * permission, the level in bits 1:0 (fsc_decode above).
 */
void arm64_exception(struct trap_frame *f, uint64_t kind)
{
    uint64_t esr = f->esr;
    unsigned ec = ESR_EC(esr);
    bool data = (ec | 1) == EC_DABT_CUR;        /* EC_DABT_LOW or EC_DABT_CUR */
    unsigned d = fsc_decode[ESR_FSC(esr) & 63];
    if ((kind & 3) != 0 || (!data && (ec | 1) != EC_IABT_CUR) || !(d & 0x80)) {
        /* IRQ from EL1 with SP_EL1 (vector 5): the GIC's SGI 0 (IPIs) and
         * the per-CPU virtual timer's PPI; any other INTID (or the timer
         * with no one-shot armed) is unexpected. The handler uses no FP/SIMD
         * register, which the vectors do not save. Tested here, off the
         * synchronous path. */
        if (kind == 5) {
            irq_entry(f);
            return;
        }
        unexpected(f, kind);                    /* alignment and the rest */
    }
    /* Cache maintenance faults report WnR = 1 but are reads of the mapping. */
    struct fault_info fi = {
        .addr = f->far, .pc = f->elr, .syndrome = esr,
        .access = !data ? ACCESS_EXEC
                : (esr & (ESR_ISS_WNR | ESR_ISS_CM)) == ESR_ISS_WNR ? ACCESS_WRITE : ACCESS_READ,
        .kind = (enum fault_kind)((d >> 4) & 7), .level = (int)(d & 15) - 1,
    };
    trap_fault(&fi, f);
}

void arch_dump_frame(const void *frame)
{
    const struct trap_frame *f = frame;
    printf("REGISTERS (arm64, %s)\n", vector_names[f->kind & 15]);
    printf("  pc   %016llx  spsr %016llx  esr  %016llx  far  %016llx\n",
           (unsigned long long)f->elr, (unsigned long long)f->spsr,
           (unsigned long long)f->esr, (unsigned long long)f->far);
    for (int i = 0; i < 31; i += 4) {
        printf(" ");
        for (int j = i; j < i + 4 && j < 31; j++)
            printf(" x%-2d  %016llx", j, (unsigned long long)f->x[j]);
        if (i == 28)
            printf("  sp   %016llx", (unsigned long long)f->sp);
        printf("\n");
    }
}

uint64_t arch_frame_pc(const void *frame) { return ((const struct trap_frame *)frame)->elr; }
void arch_frame_set_pc(void *frame, uint64_t pc) { ((struct trap_frame *)frame)->elr = pc; }
void arch_frame_set_ret(void *frame, uint64_t v) { ((struct trap_frame *)frame)->x[0] = v; }
