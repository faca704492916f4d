/*
 * The kernel services mmu/ and the random test core use, on the host:
 * panic (abort, so ASan prints the stack), ktest_log/ktest_fail_current/
 * ktest_current (failures are counted for the cmocka test to assert on).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "boot/kernel.h"
#include "tests/kernel/ktest.h"
#include "tests/model/random_core.h"
#include "tests/host/fakearch/sim.h"

unsigned host_failures;
char host_first_failure[256];

void panic(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "PANIC (%s): ", rt_where());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}


void host_reset_failures(void)
{
    host_failures = 0;
    host_first_failure[0] = 0;
}

void host_fail(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (host_failures++ == 0)
        snprintf(host_first_failure, sizeof(host_first_failure), "%s (%s)", buf, rt_where());
    /* The core logs it with the seed, step and operation, and stops. */
    rt_external_failure(buf);
}

void ktest_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("        # ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

void ktest_fail_current(const char *why) { host_fail("rule checker: %s", why); }

const char *ktest_current(void) { return "mm_random (host)"; }
