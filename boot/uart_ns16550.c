/* NS16550A UART (QEMU riscv virt 0x10000000; reg-shift 2 / 32-bit on many
 * boards such as the VisionFive 2). Polled. */
#include <stdint.h>
#include "boot/console.h"

#define RBR_THR     0
#define LSR         5
#define LSR_DR      (1u << 0)
#define LSR_THRE    (1u << 5)

static uint32_t rd(uint64_t base, unsigned shift, unsigned width, unsigned r)
{
    uintptr_t a = (uintptr_t)(base + ((uint64_t)r << shift));
    return width == 4 ? *(volatile uint32_t *)a : *(volatile uint8_t *)a;
}

static void wr(uint64_t base, unsigned shift, unsigned width, unsigned r, uint32_t v)
{
    uintptr_t a = (uintptr_t)(base + ((uint64_t)r << shift));
    if (width == 4)
        *(volatile uint32_t *)a = v;
    else
        *(volatile uint8_t *)a = (uint8_t)v;
}

static void ns16550_putc(uint64_t base, unsigned shift, unsigned width, char c)
{
    while (!(rd(base, shift, width, LSR) & LSR_THRE))
        ;
    wr(base, shift, width, RBR_THR, (uint8_t)c);
}

static int ns16550_getc(uint64_t base, unsigned shift, unsigned width)
{
    if (!(rd(base, shift, width, LSR) & LSR_DR))
        return -1;
    return (int)(rd(base, shift, width, RBR_THR) & 0xff);
}

const struct uart_driver uart_ns16550 = { "ns16550a", ns16550_putc, ns16550_getc };
/* Synopsys DesignWare APB UART (VisionFive 2 / JH7110: reg-shift 2, reg-io-width 4):
 * 16550 registers, polled the same way; only LSR and RBR/THR are touched (no LCR
 * write, which the DW UART refuses while busy). */
const struct uart_driver uart_dw8250 = { "dw-apb-uart", ns16550_putc, ns16550_getc };
