/* Things every kernel file needs: fixed-width types, printf, panic, helpers. */
#ifndef BOOT_KERNEL_H
#define BOOT_KERNEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ULL << (n))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif

/* Print a message with the register state of the caller's context and end
 * the run with a failing status. Never returns. */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the run: prints the final "TESTBED: status=..." line and exits QEMU
 * (or powers the board off) with `code` (0 = pass). */
__noreturn void kernel_exit(int code);

#endif
