/* Serial console: the UART named by the device tree (PL011 or NS16550). */
#ifndef BOOT_CONSOLE_H
#define BOOT_CONSOLE_H
#include <stdbool.h>
#include <stdint.h>

struct uart_driver {
    const char *name;
    void (*put_char)(uint64_t base, unsigned shift, unsigned width, char c);
    int (*get_char)(uint64_t base, unsigned shift, unsigned width);  /* -1 if nothing */
};
extern const struct uart_driver uart_pl011, uart_ns16550, uart_dw8250, uart_bcm2835_aux, uart_sifive;

struct dt_info;
/* The driver for a device-tree UART kind (enum dt_uart_kind), NULL if none. */
const struct uart_driver *uart_driver_for(int kind);

struct dt_info;
/* Use the device tree's UART; returns false if it names none we drive. */
bool console_init(const struct dt_info *dt);
/* Before the device tree is read: the board's fixed UART (arm64) or the SBI
 * debug console (riscv), so even a bad DTB gets an error message out. */
void console_init_early(void);
void console_putc(char c);
int console_getc(void);             /* non-blocking, -1 if no input */
const char *console_name(void);
#endif
