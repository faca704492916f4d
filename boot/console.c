/* Console multiplexer and the picolibc stdout hook (newlib's: boot/libc_newlib.c). */
#include "boot/kernel.h"
#include "boot/console.h"
#include "boot/fdt.h"

static const struct uart_driver *drv;
static uint64_t base;
static unsigned shift, width;
static void (*early_putc)(char c);
void arch_early_putc(char c);      /* arch/<arch>/early_console.c */

void console_init_early(void) { early_putc = arch_early_putc; }

const struct uart_driver *uart_driver_for(int kind)
{
    switch (kind) {
    case DT_UART_PL011: return &uart_pl011;
    case DT_UART_NS16550: return &uart_ns16550;
    case DT_UART_DW8250: return &uart_dw8250;
    case DT_UART_BCM2835_AUX: return &uart_bcm2835_aux;
    case DT_UART_SIFIVE: return &uart_sifive;
    default: return NULL;
    }
}

bool console_init(const struct dt_info *dt)
{
    drv = uart_driver_for(dt->uart.kind);
    if (!drv)
        return false;
    base = dt->uart.base;
    shift = dt->uart.reg_shift;
    width = dt->uart.reg_io_width ? dt->uart.reg_io_width : 1;
    return true;
}

const char *console_name(void) { return drv ? drv->name : "early"; }

void console_putc(char c)
{
    if (c == '\n')
        console_putc('\r');
    if (drv)
        drv->put_char(base, shift, width, c);
    else if (early_putc)
        early_putc(c);
}

int console_getc(void) { return drv ? drv->get_char(base, shift, width) : -1; }

#ifdef __PICOLIBC__
static int stdout_put(char c, FILE *f)
{
    (void)f;
    console_putc(c);
    return (unsigned char)c;
}

static int stdin_get(FILE *f)
{
    (void)f;
    int c;
    while ((c = console_getc()) < 0)
        ;
    return c;
}

static FILE console_file = FDEV_SETUP_STREAM(stdout_put, stdin_get, NULL, _FDEV_SETUP_RW);
FILE *const stdout = &console_file;
FILE *const stdin = &console_file;
FILE *const stderr = &console_file;
#endif
