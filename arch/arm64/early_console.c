/* Console before the device tree is read: the board's fixed UART (QEMU virt:
 * the PL011 at 0x09000000; boards/<board>.mk may name another). */
#include <stdint.h>
#include "boot/console.h"

#if defined(EARLY_BCM2835_AUX_BASE)
void arch_early_putc(char c) { uart_bcm2835_aux.put_char(EARLY_BCM2835_AUX_BASE, 0, 4, c); }
#else
#ifndef EARLY_PL011_BASE
#define EARLY_PL011_BASE 0x09000000ULL
#endif
void arch_early_putc(char c) { uart_pl011.put_char(EARLY_PL011_BASE, 0, 4, c); }
#endif
