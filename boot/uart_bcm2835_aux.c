/* BCM2835/BCM2711 auxiliary "mini UART" (Raspberry Pi 4 UART1, the device
 * tree's stdout-path; on GPIO 14/15 unless config.txt moves the PL011 there).
 * The node's reg is the AUX_MU_IO register (0x7e215040 -> 0xfe215040 on the
 * Pi 4); the others follow at 4-byte steps. Polled; the firmware has set the
 * baud rate (enable_uart=1 also pins the core clock the divisor derives from).
 * A transmitter that never drains (the UART left disabled by the firmware)
 * drops characters after a bounded wait instead of hanging the kernel. */
#include <stdint.h>
#include "boot/console.h"

#define MU_IO       0x00
#define MU_LSR      0x14
#define LSR_DATA_READY  (1u << 0)
#define LSR_TX_EMPTY    (1u << 5)   /* the FIFO can accept at least one byte */
#define TX_POLL_MAX     1000000u

static inline volatile uint32_t *reg(uint64_t base, unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

static void aux_putc(uint64_t base, unsigned shift, unsigned width, char c)
{
    (void)shift, (void)width;
    for (unsigned i = 0; !(*reg(base, MU_LSR) & LSR_TX_EMPTY); i++)
        if (i == TX_POLL_MAX)
            return;
    *reg(base, MU_IO) = (uint8_t)c;
}

static int aux_getc(uint64_t base, unsigned shift, unsigned width)
{
    (void)shift, (void)width;
    if (!(*reg(base, MU_LSR) & LSR_DATA_READY))
        return -1;
    return (int)(*reg(base, MU_IO) & 0xff);
}

const struct uart_driver uart_bcm2835_aux = { "bcm2835-aux", aux_putc, aux_getc };
