/* SiFive UART ("sifive,uart0": QEMU -M sifive_u 0x10010000, FU540/FU740
 * boards). txdata bit 31 = FIFO full; rxdata bit 31 = empty (a read pops a
 * byte). Polled; the firmware (OpenSBI, U-Boot) has enabled TX/RX and set the
 * divisor. */
#include <stdint.h>
#include "boot/console.h"

#define TXDATA      0x00
#define RXDATA      0x04
#define FULL_EMPTY  (1u << 31)

static inline volatile uint32_t *reg(uint64_t base, unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

static void sifive_putc(uint64_t base, unsigned shift, unsigned width, char c)
{
    (void)shift, (void)width;
    while (*reg(base, TXDATA) & FULL_EMPTY)
        ;
    *reg(base, TXDATA) = (uint8_t)c;
}

static int sifive_getc(uint64_t base, unsigned shift, unsigned width)
{
    (void)shift, (void)width;
    uint32_t v = *reg(base, RXDATA);
    return v & FULL_EMPTY ? -1 : (int)(v & 0xff);
}

const struct uart_driver uart_sifive = { "sifive-uart", sifive_putc, sifive_getc };
