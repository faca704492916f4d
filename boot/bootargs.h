/*
 * Boot arguments from /chosen/bootargs: space-separated `key` or `key=value`.
 * Every key is declared in the table in bootargs.c with the values it takes;
 * anything else is rejected with a message before the kernel does anything.
 */
#ifndef BOOT_BOOTARGS_H
#define BOOT_BOOTARGS_H
#include <stdbool.h>
#include <stddef.h>

/* Parse and validate; on error writes a one-line message to err and
 * returns -1, leaving the previously parsed arguments untouched. */
int bootargs_parse(const char *cmdline, char *err, size_t errlen);
/* Value of key=value, "" for a bare key, NULL if absent. */
const char *bootarg_value(const char *key);
bool bootarg_present(const char *key);
/* Numeric value or dflt if absent (validated at parse time). */
unsigned long long bootarg_number(const char *key, unsigned long long dflt);
void bootargs_print_help(void);
#endif
