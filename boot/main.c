/* kmain: from the entry assembly to the selected job (tests, benchmarks, shell). */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/boot.h"
#include "boot/bootargs.h"
#include "boot/console.h"
#include "boot/fdt.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "mmu/mm.h"
#include "mmu/rule_check.h"
#include "tests/kernel/ktest.h"
#include "tests/bench/bench.h"
#include "boot/shell.h"
#include <stdarg.h>
#include <asm/counters.h>

struct boot_info boot;
extern char __image_start[], __image_end[];

#define DTB_MAX_SIZE (1u << 20)

static void palloc_panic(const char *msg) { panic("page allocator: %s", msg); }

static void setup_memory(void)
{
    const struct dt_info *dt = &boot.dt;
    palloc_panic_hook = palloc_panic;
    for (int i = 0; i < dt->n_mem; i++)
        if (palloc_add_range(dt->mem[i].base, dt->mem[i].size, dt->mem[i].node) < 0)
            panic("cannot add memory range 0x%llx+0x%llx", (unsigned long long)dt->mem[i].base,
                  (unsigned long long)dt->mem[i].size);
    palloc_reserve((uintptr_t)__image_start, (uint64_t)(__image_end - __image_start));
    palloc_reserve((uintptr_t)boot.dtb, ALIGN_UP(dt->total_size, 4096));
    for (int i = 0; i < dt->n_reserved; i++)
        palloc_reserve(dt->reserved[i].base, dt->reserved[i].size);
    if (palloc_init() < 0)
        panic("no usable memory");
    for (int n = 0; n < palloc_nr_nodes(); n++) {
        struct palloc_stats st;
        palloc_node_stats(n, &st);
        printf("# memory: node %d: %llu pages, %llu free, %llu reserved\n", n,
               (unsigned long long)st.total_pages, (unsigned long long)st.free_pages,
               (unsigned long long)st.reserved_pages);
    }
}

static const void *find_dtb(uint64_t arg)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)arg;
    if (p && p[0] == 0xd0 && p[1] == 0x0d && p[2] == 0xfe && p[3] == 0xed)
        return p;
#ifdef BOARD_DTB_PROBE
    /* QEMU arm64 passes no register for an ELF: its DTB is at the start of RAM. */
    p = (const uint8_t *)(uintptr_t)BOARD_DTB_PROBE;
    if (p[0] == 0xd0 && p[1] == 0x0d && p[2] == 0xfe && p[3] == 0xed)
        return p;
#endif
    return NULL;
}

#ifdef __aarch64__
extern unsigned arm64_boot_el;
#endif

void kmain(uint64_t dtb_arg, uint64_t boot_arg)
{
    boot.boot_timer = read_timer();
    boot.boot_instret = read_instret();
#ifdef __aarch64__
    arm64_boot_el = (unsigned)boot_arg;
#else
    (void)boot_arg;
#endif
    console_init_early();
    boot.dtb = find_dtb(dtb_arg);
    if (!boot.dtb) {
        printf("testbed: error: no device tree found (register 0x%llx)\n",
               (unsigned long long)dtb_arg);
        kernel_exit(1);
    }
    int err = dt_parse(boot.dtb, DTB_MAX_SIZE, &boot.dt);
    if (err < 0) {
        printf("testbed: error: device tree at %p: %s\n", boot.dtb, dt_strerror(err));
        kernel_exit(1);
    }
    if (!console_init(&boot.dt))
        printf("testbed: warning: device tree names no PL011/NS16550 UART; using the early console\n");
    printf("\ntestbed: %s, entered at %s, console %s, dtb %p (%u bytes)\n", arch_name,
           arch_boot_mode(), console_name(), boot.dtb, boot.dt.total_size);

    char msg[160];
    if (bootargs_parse(boot.dt.bootargs, msg, sizeof(msg)) < 0) {
        printf("testbed: error: %s\n", msg);
        bootargs_print_help();
        kernel_exit(1);
    }
    printf("# bootargs: \"%s\"\n", boot.dt.bootargs);
    arch_init(&boot.dt);
    arch_describe();
    counters_probe();
    setup_memory();
    mmu_init();
    mm_init();

    if (bootarg_present("shell")) {
        shell_run();
        kernel_exit(0);
    }
    if (bootarg_present("bench")) {
        rule_check_on = false;          /* benchmarks measure the bare paths */
        int r = bench_run(bootarg_value("bench"));
        kernel_exit(r < 0 ? 1 : 0);
    }
    int failed = ktest_run(bootarg_value("test"));
    kernel_exit(failed != 0 ? 1 : 0);
}

__noreturn void kernel_exit(int code)
{
    printf("TESTBED: status=%s code=%d\n", code == 0 ? "pass" : "fail", code);
    arch_exit(code);
}

__noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("\n# PANIC: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    char what[64];
    snprintf(what, sizeof(what), "panic");
    ktest_crashed(what);
    kernel_exit(3);
}
