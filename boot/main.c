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
#include "boot/smp.h"
#include "boot/timer.h"
#include <stdarg.h>
#include <asm/counters.h>

struct boot_info boot;
extern char __image_start[], __image_end[];

#define DTB_MAX_SIZE (1u << 20)

static void palloc_panic(const char *msg) { panic("page allocator: %s", msg); }

/* RAM is identity-mapped by the kernel, so none may lie in the mm's window
 * (32-bit arm: [2 GiB, 4 GiB), reached with -m above 1 GiB on QEMU virt):
 * such RAM is left unused, with a note. */
static void clip_memory_to_window(struct dt_info *dt)
{
    for (int i = 0; i < dt->n_mem; i++) {
        uint64_t b = dt->mem[i].base, e = b + dt->mem[i].size;
        if (e <= MM_VA_BASE || b >= MM_VA_END)
            continue;
        uint64_t keep = b < MM_VA_BASE ? MM_VA_BASE - b : 0;
        printf("# memory: 0x%llx-0x%llx left unused: it overlaps the mm's address window "
               "[0x%llx, 0x%llx)\n", (unsigned long long)(b + keep), (unsigned long long)e,
               (unsigned long long)MM_VA_BASE, (unsigned long long)MM_VA_END);
        dt->mem[i].size = keep;
    }
}

static void setup_memory(void)
{
    clip_memory_to_window(&boot.dt);
    const struct dt_info *dt = &boot.dt;
    palloc_panic_hook = palloc_panic;
    for (int i = 0; i < dt->n_mem; i++)
        if (dt->mem[i].size && palloc_add_range(dt->mem[i].base, dt->mem[i].size, dt->mem[i].node) < 0)
            panic("cannot add memory range 0x%llx+0x%llx", (unsigned long long)dt->mem[i].base,
                  (unsigned long long)dt->mem[i].size);
    palloc_reserve((uintptr_t)__image_start, (uint64_t)(__image_end - __image_start));
    /* Page 0 is never mapped (mmu/kernel_map.c): where RAM starts at 0
     * (Raspberry Pi; also where its firmware and QEMU's boot stub hold the
     * secondary CPUs), it is never handed out either. */
    for (int i = 0; i < dt->n_mem; i++)
        if (dt->mem[i].base == 0)
            palloc_reserve(0, PAGE_SIZE);
    palloc_reserve((uintptr_t)boot.dtb, ALIGN_UP(dt->total_size, 4096));
    for (int i = 0; i < dt->n_reserved; i++)
        palloc_reserve(dt->reserved[i].base, dt->reserved[i].size);
    if (palloc_init() < 0)
        panic("no usable memory");
    /* Per-node lists of single pages in front of the buddy lists (Linux's
     * pcp lists): 16-page refills, up to 128 pages per node. */
    palloc_set_pcp(128);
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
#elif defined(__arm__)
extern unsigned arm_boot_mode;
#endif

/*
 * The device tree could not be parsed as a whole (e.g. boot arguments longer
 * than DT_BOOTARGS_MAX: "too many entries"), so boot.dt is partly filled and
 * arch_exit would not see how the run is meant to end: exit=semihosting on
 * arm64 (without it, PSCI SYSTEM_OFF, which QEMU reports as status 0), the
 * riscv test finisher. Probe just those from the raw blob, so that an early
 * failure still ends with a failing exit status. Only what arch_exit reads
 * before arch_init is set: boot.dt.bootargs (the exit= argument alone),
 * psci_hvc/psci_smc and test_finisher_base.
 */
static bool compat_has(const char *list, uint32_t len, const char *want)
{
    size_t wl = strlen(want);
    for (uint32_t i = 0; i < len;) {
        size_t l = 0;
        while (i + l < len && list[i + l])
            l++;
        if (l == wl && memcmp(list + i, want, wl) == 0)
            return true;
        i += (uint32_t)l + 1;
    }
    return false;
}

static uint64_t unit_address(const char *name)
{
    const char *at = strchr(name, '@');
    uint64_t a = 0;
    if (!at || !at[1])
        return 0;
    for (const char *p = at + 1; *p && *p != ','; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
              : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
        if (d < 0 || a >> 60)
            return 0;
        a = a << 4 | (uint64_t)d;
    }
    return a;
}

static void early_exit_probe(const void *dtb)
{
    struct dt_blob b;
    const void *val;
    uint32_t len;
    memset(&boot.dt, 0, sizeof(boot.dt));
    if (dt_check_header(dtb, DTB_MAX_SIZE, &b) < 0)
        return;
    if (dt_get_prop_b(&b, "/chosen", 7, "bootargs", &val, &len) == DT_OK) {
        const char *s = val;
        uint32_t n = len && s[len - 1] == '\0' ? len - 1 : len;
        if (n >= DT_BOOTARGS_MAX)
            printf("testbed: error: the boot arguments are %u characters, at most %d are "
                   "accepted\n", (unsigned)n, DT_BOOTARGS_MAX - 1);
        /* The last exit=<word> wins; copied alone, so arch_exit sees it. */
        for (uint32_t i = 0; i < n;) {
            while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
            uint32_t start = i;
            while (i < n && s[i] && s[i] != ' ' && s[i] != '\t')
                i++;
            if (i - start > 5 && i - start < 32 && memcmp(s + start, "exit=", 5) == 0) {
                memcpy(boot.dt.bootargs, s + start, i - start);
                boot.dt.bootargs[i - start] = '\0';
            }
            if (i < n && !s[i])
                break;
        }
    }
    if (dt_get_prop_b(&b, "/psci", 5, "method", &val, &len) == DT_OK && len >= 3) {
        boot.dt.psci_hvc = memcmp(val, "hvc", 3) == 0;
        boot.dt.psci_smc = memcmp(val, "smc", 3) == 0;
    }
    /* riscv: a "sifive,test0|1" node (QEMU virt's test finisher, reg = its
     * unit address), unless exit=sbi asks for SBI SRST. */
    if (strcmp(boot.dt.bootargs, "exit=sbi") == 0)
        return;
    struct dt_iter it;
    struct dt_token tok;
    const char *names[DT_MAX_DEPTH + 1] = { 0 };
    dt_iter_init(&it, &b);
    while (dt_iter_next(&it, &tok) == DT_OK && tok.type != DT_TOK_END) {
        if (tok.type == DT_TOK_BEGIN_NODE && tok.depth <= DT_MAX_DEPTH)
            names[tok.depth] = tok.name;
        if (tok.type == DT_TOK_PROP && tok.depth <= DT_MAX_DEPTH && names[tok.depth] &&
            strcmp(tok.name, "compatible") == 0 &&
            (compat_has(tok.val, tok.len, "sifive,test0") ||
             compat_has(tok.val, tok.len, "sifive,test1"))) {
            boot.dt.test_finisher_base = unit_address(names[tok.depth]);
            if (boot.dt.test_finisher_base)
                return;
        }
    }
}

void kmain(uint64_t dtb_arg, uint64_t boot_arg)
{
#ifdef ARCH_COUNTER_READ_SAFE
    /* A board's firmware may hide the counters from S-mode: no plain read yet. */
    if (ARCH_COUNTER_READ_SAFE(2, &boot.boot_timer) < 0)
        boot.boot_timer = 0;
    if (ARCH_COUNTER_READ_SAFE(1, &boot.boot_instret) < 0)
        boot.boot_instret = 0;
#else
    boot.boot_timer = read_timer();
    boot.boot_instret = read_instret();
#endif
#ifdef __aarch64__
    arm64_boot_el = (unsigned)boot_arg;
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    smp_early_init(mpidr & 0xff00ffffffULL);
#elif defined(__arm__)
    arm_boot_mode = (unsigned)boot_arg;
    uint32_t mpidr;
    __asm__ volatile("mrc p15, 0, %0, c0, c0, 5" : "=r"(mpidr));
    smp_early_init(mpidr & 0xffffffu);
#else
    smp_early_init(boot_arg);       /* the hart id OpenSBI passed */
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
        early_exit_probe(boot.dtb);
        kernel_exit(1);
    }
    if (!console_init(&boot.dt))
        printf("testbed: warning: device tree names no UART this kernel drives (pl011, ns16550a, "
               "snps,dw-apb-uart, brcm,bcm2835-aux-uart, sifive,uart0); using the early console\n");
    else if (boot.dt.stdout_unknown)
        printf("testbed: warning: /chosen/stdout-path names a UART this kernel does not drive; "
               "using the first %s instead\n", dt_uart_kind_name(boot.dt.uart.kind));
    printf("\ntestbed: %s, entered at %s, console %s, dtb %p (%u bytes)\n", arch_name,
           arch_boot_mode(), console_name(), boot.dtb, (unsigned)boot.dt.total_size);

    /* What the board is (BENCH lines carry it too) and how its other CPUs
     * are released; only CPU 0 runs this kernel. */
    const char *em = boot.dt.n_cpus ? boot.dt.cpus[0].enable_method : "";
    printf("# board: model \"%s\", %d cpu node(s), enable-method %s",
           boot.dt.model[0] ? boot.dt.model : "(none)", boot.dt.n_cpus, em[0] ? em : "(none)");
    if (boot.dt.n_cpus > 1 && boot.dt.cpus[1].release_addr)
        printf(" (cpu 1 release address 0x%llx)", (unsigned long long)boot.dt.cpus[1].release_addr);
    printf("\n");

    char msg[256];
    if (bootargs_parse(boot.dt.bootargs, msg, sizeof(msg)) < 0) {
        printf("testbed: error: %s\n", msg);
        bootargs_print_help();
        kernel_exit(1);
    }
    printf("# bootargs: \"%s\"\n", boot.dt.bootargs);
    bootargs_print_notes();
    arch_init(&boot.dt);
    arch_describe();
    counters_probe();
    setup_memory();
    mmu_init();
    mm_init();
    smp_boot();
    smp_describe();
    timer_init();
    timer_describe();

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
