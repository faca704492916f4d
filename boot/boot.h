/* What the boot code learned, for the rest of the kernel. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H
#include <stdbool.h>
#include <stdint.h>
#include "boot/fdt.h"

struct boot_info {
    const void *dtb;                /* where the device tree was found */
    struct dt_info dt;
    uint64_t boot_timer, boot_instret;  /* read at kmain entry */
    bool have_cycles, have_instret, have_timer;   /* counters that advance */
    bool icount;                    /* cycles == instructions (QEMU -icount) */
    unsigned counter_traps;         /* bit 0 cycles, 1 instructions, 2 timer: reading it
                                       traps (riscv: hidden by the firmware's mcounteren) */
};
extern struct boot_info boot;

/* Print how far the boot took to reach the first test (once). */
void boot_report_first_test(void);
/* Probe which counters advance (boot/counters.c). */
void counters_probe(void);
#endif
