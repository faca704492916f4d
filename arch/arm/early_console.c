/* Console before the device tree is read: the board's PL011 (QEMU virt;
 * the Raspberry Pi 2 build passes its address). */
#include <stdint.h>
#include "boot/console.h"

#ifndef EARLY_PL011_BASE
#define EARLY_PL011_BASE 0x09000000ULL
#endif

void arch_early_putc(char c) { uart_pl011.put_char(EARLY_PL011_BASE, 0, 4, c); }
