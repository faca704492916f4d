/* Arm PL011 UART (QEMU virt 0x09000000, Raspberry Pi 4 0xfe201000). Polled;
 * the firmware or QEMU has already set the baud rate. */
#include <stdint.h>
#include "boot/console.h"

#define UARTDR      0x00
#define UARTFR      0x18
#define FR_RXFE     (1u << 4)
#define FR_TXFF     (1u << 5)

static inline volatile uint32_t *reg(uint64_t base, unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

static void pl011_putc(uint64_t base, unsigned shift, unsigned width, char c)
{
    (void)shift, (void)width;
    while (*reg(base, UARTFR) & FR_TXFF)
        ;
    *reg(base, UARTDR) = (uint8_t)c;
}

static int pl011_getc(uint64_t base, unsigned shift, unsigned width)
{
    (void)shift, (void)width;
    if (*reg(base, UARTFR) & FR_RXFE)
        return -1;
    return (int)(*reg(base, UARTDR) & 0xff);
}

const struct uart_driver uart_pl011 = { "pl011", pl011_putc, pl011_getc };
