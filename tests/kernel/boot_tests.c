/* Foundation suite: what the boot code found and set up. */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/bootargs.h"
#include "boot/console.h"
#include "mmu/page_alloc.h"
#include "tests/kernel/ktest.h"
#include <asm/counters.h>

extern char __image_start[], __image_end[];

static void dtb_parsed(struct ktest *t)
{
    KEXPECT(t, boot.dtb != NULL);
    KEXPECT(t, boot.dt.n_mem > 0, "no memory node");
    KEXPECT(t, boot.dt.uart.kind != DT_UART_NONE, "no UART in the device tree");
    KEXPECT(t, boot.dt.n_cpus > 0, "no cpu nodes");
}

static void console_matches_dtb(struct ktest *t)
{
    const struct uart_driver *d = uart_driver_for(boot.dt.uart.kind);
    KEXPECT(t, d != NULL, "the device tree's UART (%s) has no driver",
            dt_uart_kind_name(boot.dt.uart.kind));
    if (d)
        KEXPECT(t, strcmp(console_name(), d->name) == 0, "console %s, dtb says %s (driver %s)",
                console_name(), dt_uart_kind_name(boot.dt.uart.kind), d->name);
}

/* Every page of every memory range is accounted for, and the kernel image is reserved. */
static void memory_accounted(struct ktest *t)
{
    uint64_t dt_pages = 0, total = 0;
    for (int i = 0; i < boot.dt.n_mem; i++)
        dt_pages += boot.dt.mem[i].size / PAGE_SIZE;
    for (int n = 0; n < palloc_nr_nodes(); n++) {
        struct palloc_stats st;
        palloc_node_stats(n, &st);
        total += st.total_pages;
        KEXPECT(t, st.free_pages + st.reserved_pages <= st.total_pages);
    }
    KEXPECT_EQ(t, total, dt_pages);
    KEXPECT(t, phys_to_page((uintptr_t)__image_start) != NULL);
    KEXPECT(t, phys_to_page((uintptr_t)__image_start)->flags & PG_RESERVED, "kernel image not reserved");
}

static void alloc_aligned_blocks(struct ktest *t)
{
    for (unsigned order = 0; order <= 4; order++) {
        phys_addr_t pa = palloc_alloc(order, -1, PA_ZERO);
        KASSERT(t, pa != 0, "order %u allocation failed", order);
        KEXPECT(t, IS_ALIGNED(pa, PAGE_SIZE << order), "order %u at 0x%llx", order, (unsigned long long)pa);
        KEXPECT(t, pa >= (uintptr_t)__image_end || pa + (PAGE_SIZE << order) <= (uintptr_t)__image_start,
                "allocation overlaps the kernel image");
        KEXPECT_EQ(t, *(volatile uint64_t *)(uintptr_t)pa, 0);
        palloc_free(pa, order);
    }
}

/* A bad boot argument is rejected and leaves the parsed arguments as they were. */
static void bootargs_rejects_bad_input(struct ktest *t)
{
    static const char *const bad[] = {
        "frobnicate", "test", "shell=1", "exit=nowhere", "seed=12x", "seed=", "test=a test=b",
    };
    char before[64], err[128];
    const char *v = bootarg_value("test");
    snprintf(before, sizeof(before), "%s", v ? v : "(none)");
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err[0] = 0;
        KEXPECT(t, bootargs_parse(bad[i], err, sizeof(err)) < 0, "'%s' accepted", bad[i]);
        KEXPECT(t, err[0] != 0, "no message for '%s'", bad[i]);
        v = bootarg_value("test");
        KEXPECT(t, strcmp(before, v ? v : "(none)") == 0, "'%s' changed test=", bad[i]);
    }
    /* Re-parsing the real command line succeeds and restores the same values. */
    KEXPECT(t, bootargs_parse(boot.dt.bootargs, err, sizeof(err)) == 0, "%s", err);
}

static void counters_advance(struct ktest *t)
{
    if (!boot.have_cycles && !boot.have_instret) {
        ktest_skip(t, "no cycle or instruction counter advances on this CPU");
        return;
    }
    uint64_t c0 = boot.have_cycles ? read_cycles() : 0, i0 = boot.have_instret ? read_instret() : 0;
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t c1 = boot.have_cycles ? read_cycles() : 0, i1 = boot.have_instret ? read_instret() : 0;
    if (boot.have_cycles)
        KEXPECT(t, c1 > c0, "cycles did not advance");
    if (boot.have_instret)
        KEXPECT(t, i1 - i0 >= 1000, "instructions advanced by only %llu", (unsigned long long)(i1 - i0));
}

/* A counter read that traps (riscv: mcounteren hides it from S-mode) is caught
 * and reported, not fatal: shown on an M-mode CSR, which always traps in S-mode. */
static void counter_read_trap_is_caught(struct ktest *t)
{
#ifdef ARCH_COUNTER_READ_SAFE
    uint64_t v = 0x5a5a;
    KEXPECT_EQ(t, ARCH_COUNTER_READ_SAFE(3, &v), -1);
    KEXPECT_EQ(t, v, 0x5a5a);
    for (unsigned k = 0; k < 3; k++)
        KEXPECT_EQ(t, ARCH_COUNTER_READ_SAFE(k, &v), (boot.counter_traps >> k) & 1 ? -1 : 0);
#else
    ktest_skip(t, "arm64: EL2 set-up grants EL1 the PMU and counters (no trap-safe read needed)");
#endif
}

static void timer_frequency_known(struct ktest *t)
{
    if (!boot.have_timer) {
        ktest_skip(t, "timer does not advance");
        return;
    }
    KEXPECT(t, timer_freq_hz() > 0, "timer frequency unknown");
}

static void glob_matching(struct ktest *t)
{
    KEXPECT(t, glob_match_list("boot", "boot"));
    KEXPECT(t, glob_match_list("bo*", "boot"));
    KEXPECT(t, glob_match_list("x,b?ot", "boot"));
    KEXPECT(t, glob_match_list("*.case", "suite.case"));
    KEXPECT(t, !glob_match_list("boo", "boot"));
    KEXPECT(t, !glob_match_list("", "boot"));
    KEXPECT(t, glob_match_list("*", ""));
    KEXPECT(t, glob_match_list("a*b*c", "aXbYc"));
    KEXPECT(t, !glob_match_list("a*b*c", "aXbY"));
}

static const struct ktest_case boot_cases[] = {
    KTEST_CASE(dtb_parsed),
    KTEST_CASE(console_matches_dtb),
    KTEST_CASE(memory_accounted),
    KTEST_CASE(alloc_aligned_blocks),
    KTEST_CASE(bootargs_rejects_bad_input),
    KTEST_CASE(counters_advance),
    KTEST_CASE(counter_read_trap_is_caught),
    KTEST_CASE(timer_frequency_known),
    KTEST_CASE(glob_matching),
};
KTEST_SUITE(boot, 10);
