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

/* Fault status code (DFSC/IFSC) to kind and level. */
static void decode_fsc(unsigned fsc, struct fault_info *fi)
{
    fi->level = -1;
    if (fsc == 0x2b) {                      /* translation fault, level -1 */
        fi->kind = FAULT_TRANSLATION;
    } else if (fsc >= 0x04 && fsc <= 0x07) {
        fi->kind = FAULT_TRANSLATION;
        fi->level = (int)(fsc & 3);
    } else if (fsc >= 0x08 && fsc <= 0x0b) {
        fi->kind = FAULT_ACCESS_FLAG;
        fi->level = (int)(fsc & 3);
    } else if (fsc >= 0x0c && fsc <= 0x0f) {
        fi->kind = FAULT_PERMISSION;
        fi->level = (int)(fsc & 3);
    } else if (fsc == 0x21) {
        fi->kind = FAULT_ALIGNMENT;
    } else {
        fi->kind = FAULT_OTHER;
    }
}

void arm64_exception(struct trap_frame *f, uint64_t kind)
{
    unsigned ec = ESR_EC(f->esr);
    bool sync = (kind & 3) == 0;
    if (sync && (ec == EC_DABT_CUR || ec == EC_DABT_LOW ||
                 ec == EC_IABT_CUR || ec == EC_IABT_LOW)) {
        struct fault_info fi = {
            .addr = f->far, .pc = f->elr, .syndrome = f->esr,
        };
        bool data = ec == EC_DABT_CUR || ec == EC_DABT_LOW;
        /* Cache maintenance faults report WnR = 1 but are reads of the mapping. */
        if (!data)
            fi.access = ACCESS_EXEC;
        else if ((f->esr & ESR_ISS_WNR) && !(f->esr & ESR_ISS_CM))
            fi.access = ACCESS_WRITE;
        else
            fi.access = ACCESS_READ;
        decode_fsc(ESR_FSC(f->esr), &fi);
        if (fi.kind != FAULT_OTHER && fi.kind != FAULT_ALIGNMENT) {
            trap_fault(&fi, f);
            return;
        }
    }
    char what[160];
    snprintf(what, sizeof(what), "%s: %s (ESR 0x%llx EC 0x%x) at pc 0x%llx, FAR 0x%llx",
             vector_names[kind & 15], ec_name(ec), (unsigned long long)f->esr, ec,
             (unsigned long long)f->elr, (unsigned long long)f->far);
    trap_unexpected(what, f);
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
