/*
 * Boot arguments from /chosen/bootargs: space-separated `key` or `key=value`.
 * Every key is declared in the table in bootargs.c with the values it takes
 * (numbers with their range, arch-only keys with their arch); anything else
 * is rejected with a message before the kernel does anything: an unknown
 * key or value, a number out of range (overflow included), an argument of
 * the other arch, a test=/bench= pattern that selects nothing, test= with
 * bench=. Arguments that are valid but have no effect in this run (reps=
 * without bench=, seed=/steps= when no mm_random case runs, test=/bench=
 * with shell) are accepted with a note (bootargs_print_notes).
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
/* List the arguments, test suites and benchmarks (after a rejection). */
void bootargs_print_help(void);
/* One "# bootargs: note: <argument> ignored: <why>" line per argument the
 * last successful parse accepted but that this run does not use. */
void bootargs_print_notes(void);
#endif
