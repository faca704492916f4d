/*
 * The peer's /init: a static Linux program that runs, on a real Linux kernel
 * booted in the testbed's QEMU under -icount shift=0, the same operations as
 * the testbed's benchmarks (mprotect RW<->RO, anonymous first touch, fork +
 * copy-on-write, plus the null syscall) and the same write-upgrade semantics
 * scenarios as tools/peer/peer.py drives through the testbed's shell, prints
 * the results on the console and powers the machine off.
 *
 * Output (one line each, parsed by tools/peer/peer.py and tools/benchread.py):
 *   PEER-BEGIN {"schema":1,"kernel":<uname -r>,"variant":"linux-<ver>",...}
 *   BENCH-BEGIN / BENCH {json, schema 1} / BENCH-END    (README: BENCH schema)
 *   PEER-SEMANTICS {"schema":1,"scenario":..,"folio_kib":..,"write_faults":..}
 *   PEER-END {"schema":1,"bench":N,"semantics":N}
 *
 * Timing: the virtual counter (arm64 CNTVCT_EL0, riscv rdcycle) read from
 * user space around the call. Under -icount shift=0 QEMU's virtual clock
 * advances one nanosecond per instruction, so a delta is the instruction
 * count of the whole path: syscall entry and exit, the kernel's work, and any
 * interrupt or kernel thread that ran in between (hence medians).
 * Faults: getrusage(RUSAGE_SELF).ru_minflt deltas.
 *
 * Kernel command line options read from /proc/cmdline: peer.icount=1 (the
 * host ran QEMU with -icount: say so in every line), peer.reps=N (measured
 * repetitions of the mprotect cases, default 7), peer.quick=1 (small sizes).
 *
 * Built with `aarch64-linux-gnu-gcc -static -O2` (Debian libc6-dev-arm64-cross).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024UL
#define PAGE 4096UL
#define REGION_VA 0x2000000000UL        /* the testbed's managed window */
#define MAX_REPS 64
#define SEM_PAGES 16

static const char *thp_dir = "/sys/kernel/mm/transparent_hugepage";
static char variant[64], kernel_release[128], cpu_id[32], counter_name[32];
static const char *arch_name;
static int icount, quick, reps = 7;
static uint64_t counter_hz;
static unsigned bench_count, semantics_count;
static int have_mthp64;                 /* hugepages-64kB/enabled exists */

/* ------------------------------------------------------------ counters */
#if defined(__aarch64__)
static inline uint64_t counter(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}
static uint64_t counter_freq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}
#elif defined(__riscv)
static int use_rdcycle;
static inline uint64_t counter(void)
{
    uint64_t v;
    if (use_rdcycle)
        __asm__ volatile("fence; rdcycle %0" : "=r"(v) : : "memory");
    else
        __asm__ volatile("fence; rdtime %0" : "=r"(v) : : "memory");
    return v;
}
static uint64_t counter_freq(void);
#else
#error "the peer's init is for arm64 and riscv64"
#endif

/* Counter ticks to nanoseconds (= instructions under -icount shift=0). */
static uint64_t ticks_ns(uint64_t t)
{
    if (!counter_hz || counter_hz == 1000000000ULL)
        return t;
    return (t / counter_hz) * 1000000000ULL + (t % counter_hz) * 1000000000ULL / counter_hz;
}

/* ------------------------------------------------------------ small helpers */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
}

static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return (int)n;
}

static long read_number(const char *path)
{
    char b[64];
    if (read_file(path, b, sizeof(b)) <= 0)
        return -1;
    return strtol(b, NULL, 10);
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct stats { uint64_t min, median, max; };

/* Lower median, as the testbed's harness (an observed repetition). */
static struct stats stats_of(const uint64_t *v, unsigned n)
{
    uint64_t s[MAX_REPS * 16];
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), cmp_u64);
    struct stats r = { s[0], s[(n - 1) / 2], s[n - 1] };
    return r;
}

/* A fresh anonymous region of `len` bytes at the testbed's address (aligned
 * to 2 MiB, nothing around it, so no VMA merge or split is measured). */
static char *region(size_t len, int shared)
{
    void *p = mmap((void *)REGION_VA, len, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | (shared ? MAP_SHARED : MAP_PRIVATE), -1, 0);
    if (p == MAP_FAILED) {
        say("# peer: mmap %zu KiB at 0x%lx failed: %s\n", len / KIB, REGION_VA, strerror(errno));
        return NULL;
    }
    return p;
}

static void write_pass(volatile char *p, size_t pages, char v)
{
    for (size_t i = 0; i < pages; i++)
        p[i * PAGE] = v;
}

static void read_pass(volatile char *p, size_t pages)
{
    for (size_t i = 0; i < pages; i++)
        (void)p[i * PAGE];
}

/* ------------------------------------------------------------ THP set-up */
/* folio_kib 4: every anonymous THP size off; 64: 64 KiB mTHP always (anon
 * and, where the kernel has it, shmem), every other size off. */
static int set_folio(unsigned folio_kib)
{
    char path[256];
    write_file("/sys/kernel/mm/transparent_hugepage/enabled", "never");
    write_file("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "never");
    static const unsigned sizes[] = { 16, 32, 64, 128, 256, 512, 1024, 2048, 32768, 65536, 524288 };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const char *v = (folio_kib == 64 && sizes[i] == 64) ? "always" : "never";
        snprintf(path, sizeof(path), "%s/hugepages-%ukB/enabled", thp_dir, sizes[i]);
        write_file(path, v);
        snprintf(path, sizeof(path), "%s/hugepages-%ukB/shmem_enabled", thp_dir, sizes[i]);
        write_file(path, v);
    }
    if (folio_kib == 64 && !have_mthp64)
        return -1;
    return 0;
}

static long mthp64_allocs(void)
{
    return read_number("/sys/kernel/mm/transparent_hugepage/hugepages-64kB/stats/anon_fault_alloc");
}

/* ------------------------------------------------------------ BENCH lines */
struct result {
    const char *name, *params, *unit, *baseline, *note;
    unsigned reps, warmup;
    uint64_t per;
    struct stats ns;
    long faults;            /* per operation, -1 = not counted */
    long mthp;              /* 64 KiB mTHP allocations per operation, -1 = not counted */
    const char *variant_suffix;
};

static void emit(const struct result *r)
{
    char events[160] = "";
    int n = 0;
    if (r->faults >= 0)
        n += snprintf(events + n, sizeof(events) - n, "\"minor_faults\":%ld", r->faults);
    if (r->mthp >= 0)
        n += snprintf(events + n, sizeof(events) - n, "%s\"mthp_64k_allocs\":%ld", n ? "," : "", r->mthp);
    char perx[96] = "";
    if (r->faults >= 0)
        snprintf(perx, sizeof(perx), ",\"faults_milli\":%llu",
                 (unsigned long long)((uint64_t)r->faults * 1000 / r->per));
    char stats[128];
    snprintf(stats, sizeof(stats), "{\"min\":%llu,\"median\":%llu,\"max\":%llu}",
             (unsigned long long)r->ns.min, (unsigned long long)r->ns.median,
             (unsigned long long)r->ns.max);
    uint64_t milli = r->ns.median * 1000 / r->per;
    say("BENCH {\"schema\":1,\"name\":\"%s\",\"arch\":\"%s\",\"machine\":\"qemu-virt\",\"cpu\":\"%s\","
        "\"variant\":\"%s%s\",\"params\":{%s},\"reps\":%u,\"warmup\":%u,\"icount\":%s,"
        "\"counters\":{\"cycles\":\"%s\",\"instructions\":\"%s\",\"time\":\"%s\"},"
        "\"cycles\":%s,\"instructions\":%s,\"time_ns\":%s,\"events\":{%s},"
        "\"per\":{\"unit\":\"%s\",\"count\":%llu,\"cycles_milli\":%llu,\"instructions_milli\":%llu%s},"
        "\"baseline\":%s%s%s,\"kernel\":\"%s\",\"note\":\"Linux %s: whole-syscall instruction count "
        "under icount (%s delta from user space, 1 ns = 1 instruction)%s%s\"}\n",
        r->name, arch_name, cpu_id, variant, r->variant_suffix ? r->variant_suffix : "", r->params,
        r->reps, r->warmup ? r->warmup : 1, icount ? "true" : "false", counter_name, counter_name, counter_name, stats, stats,
        stats, events, r->unit, (unsigned long long)r->per, (unsigned long long)milli,
        (unsigned long long)milli, perx, r->baseline ? "\"" : "", r->baseline ? r->baseline : "null",
        r->baseline ? "\"" : "", kernel_release, kernel_release, counter_name,
        r->note ? "; " : "", r->note ? r->note : "");
    bench_count++;
}

/* ------------------------------------------------------------ null syscall */
static void bench_syscall(void)
{
    enum { N = 201 };
    uint64_t v[N], e[N];
    for (int i = -8; i < N; i++) {          /* 8 warm-up calls */
        uint64_t t0 = counter();
        syscall(SYS_getppid);
        uint64_t t1 = counter();
        uint64_t t2 = counter();
        uint64_t t3 = counter();
        if (i >= 0) {
            v[i] = ticks_ns(t1 - t0);
            e[i] = ticks_ns(t3 - t2);
        }
    }
    struct result r = { .name = "syscall", .params = "\"op\":\"getppid\"", .unit = "call",
                        .reps = N, .warmup = 8, .per = 1, .ns = stats_of(v, N), .faults = -1, .mthp = -1,
                        .note = "null syscall: the fixed cost of every Linux call, counter reads included" };
    emit(&r);
    struct result o = { .name = "syscall", .params = "\"op\":\"counter-reads\"", .unit = "call",
                        .reps = N, .warmup = 8, .per = 1, .ns = stats_of(e, N), .faults = -1, .mthp = -1,
                        .note = "two counter reads back to back: included in every figure, not subtracted" };
    emit(&o);
}

/* ------------------------------------------------------------ mprotect */
static void bench_mprotect_size(unsigned size_kib, unsigned folio_kib)
{
    size_t len = (size_t)size_kib * KIB, pages = len / PAGE;
    if (set_folio(folio_kib) < 0)
        return;
    long a0 = mthp64_allocs();
    char *p = region(len, 0);
    if (!p)
        return;
    write_pass(p, pages, 1);
    long mthp = folio_kib == 64 && a0 >= 0 ? mthp64_allocs() - a0 : -1;
    const char *name = (size_kib == 64 || size_kib == 2048) ? "mprotect" : "mprotect_full";
    for (int dir = 0; dir < 2; dir++) {
        int from = dir == 0 ? PROT_READ | PROT_WRITE : PROT_READ;
        int to = dir == 0 ? PROT_READ : PROT_READ | PROT_WRITE;
        uint64_t v[MAX_REPS];
        long faults = 0;
        for (int i = -1; i < reps; i++) {
            mprotect(p, len, from);
            long f0 = minor_faults();
            uint64_t t0 = counter();
            int rc = mprotect(p, len, to);
            uint64_t t1 = counter();
            long f1 = minor_faults();
            if (rc != 0)
                say("# peer: mprotect failed: %s\n", strerror(errno));
            if (i >= 0) {
                v[i] = ticks_ns(t1 - t0);
                faults = f1 - f0;
            }
        }
        char params[96];
        snprintf(params, sizeof(params), "\"size_kib\":%u,\"folio_kib\":%u,\"op\":\"%s\"", size_kib,
                 folio_kib, dir == 0 ? "rw->ro" : "ro->rw");
        char note[200];
        if (folio_kib == 64)
            snprintf(note, sizeof(note), "one mprotect() of a populated private anonymous range, "
                     "64 KiB mTHP folios (contiguous bit on arm64): %ld of %zu populated as 64 KiB folios",
                     mthp, len / (64 * KIB));
        else
            snprintf(note, sizeof(note), "one mprotect() of a populated private anonymous range, 4 KiB folios");
        struct result r = { .name = name, .params = params, .unit = "page", .reps = reps,
                            .per = pages, .ns = stats_of(v, reps), .faults = faults,
                            .mthp = -1, .baseline = "auto", .note = note };
        emit(&r);
    }
    munmap(p, len);
}

/* ------------------------------------------------------------ anon_fault */
static void bench_anon_fault(unsigned folio_kib)
{
    enum { N = 21 };
    size_t len = (quick ? 64 : 1024) * KIB, pages = len / PAGE;
    if (set_folio(folio_kib) < 0)
        return;
    uint64_t v[N];
    long faults = 0, mthp = -1;
    for (int i = -1; i < N; i++) {
        char *p = region(len, 0);
        if (!p)
            return;
        long a0 = mthp64_allocs();
        long f0 = minor_faults();
        uint64_t t0 = counter();
        write_pass(p, pages, 1);
        uint64_t t1 = counter();
        long f1 = minor_faults();
        if (i >= 0) {
            v[i] = ticks_ns(t1 - t0);
            faults = f1 - f0;
            mthp = folio_kib == 64 && a0 >= 0 ? mthp64_allocs() - a0 : -1;
        }
        munmap(p, len);
    }
    char params[64];
    snprintf(params, sizeof(params), "\"size_kib\":%zu,\"op\":\"first-write\"", len / KIB);
    const char *fv = folio_kib == 64 ? " folio-64k" : " folio-4k";
    struct result r = { .name = "anon_fault", .params = params, .unit = "page", .reps = N,
                        .per = pages, .ns = stats_of(v, N), .faults = faults, .mthp = mthp,
                        .baseline = fv + 1, .variant_suffix = fv,
                        .note = "first write to every page of a fresh private anonymous mapping" };
    emit(&r);
}

/* ------------------------------------------------------------ fork_cow */
/* phase 0: the parent's fork() of a process with `len` populated; phase 1:
 * the child's first write to every page (copy-on-write), timed in the child. */
static void bench_fork_cow(unsigned folio_kib, int phase, size_t size_kib)
{
    enum { N = 21 };
    size_t len = size_kib * KIB, pages = len / PAGE;
    if (set_folio(folio_kib) < 0)
        return;
    uint64_t v[N];
    long faults = 0;
    for (int i = -1; i < N; i++) {
        char *p = NULL;
        if (len) {
            p = region(len, 0);
            if (!p)
                return;
            write_pass(p, pages, 1);
        }
        int res[2], go[2];
        if (pipe(res) || pipe(go))
            return;
        uint64_t t0 = counter();
        pid_t pid = fork();
        uint64_t t1 = counter();
        if (pid == 0) {
            uint64_t out[2] = { 0, 0 };
            char c;
            /* Wait for the parent's go, so nothing of ours runs inside its window. */
            if (read(go[0], &c, 1) != 1)
                _exit(1);
            if (phase == 1) {
                long f0 = minor_faults();
                uint64_t a = counter();
                write_pass(p, pages, 2);
                uint64_t b = counter();
                out[0] = ticks_ns(b - a);
                out[1] = (uint64_t)(minor_faults() - f0);
            }
            if (write(res[1], out, sizeof(out)) != sizeof(out))
                _exit(1);
            _exit(0);
        }
        uint64_t got[2] = { 0, 0 };
        if (pid > 0) {
            if (write(go[1], "g", 1) != 1 || read(res[0], got, sizeof(got)) != sizeof(got))
                say("# peer: fork child did not report\n");
            waitpid(pid, NULL, 0);
        } else {
            say("# peer: fork failed: %s\n", strerror(errno));
        }
        close(res[0]), close(res[1]), close(go[0]), close(go[1]);
        if (i >= 0) {
            v[i] = phase == 0 ? ticks_ns(t1 - t0) : got[0];
            faults = phase == 0 ? 0 : (long)got[1];
        }
        if (p)
            munmap(p, len);
    }
    char params[64];
    snprintf(params, sizeof(params), "\"size_kib\":%zu,\"phase\":\"%s\"", size_kib,
             phase ? "cow-write" : "fork");
    const char *fv = folio_kib == 64 ? " folio-64k" : " folio-4k";
    struct result r = { .name = "fork_cow", .params = params, .unit = len ? "page" : "op",
                        .reps = N, .per = len ? pages : 1, .ns = stats_of(v, N),
                        .faults = phase ? faults : -1, .mthp = -1,
                        .baseline = len ? fv + 1 : NULL, .variant_suffix = len ? fv : NULL,
                        .note = phase ? "the child's first write to every page (copy-on-write), timed in the child"
                                : (len ? "fork() as seen by the parent (SCHED_FIFO, child created SCHED_OTHER): "
                                         "process creation plus the page-table copy"
                                       : "fork() of the init process with nothing extra mapped: the fixed cost") };
    emit(&r);
}

/* ------------------------------------------------------------ semantics */
struct sem {
    const char *scenario;
    long write_faults;      /* on the final write pass over SEM_PAGES pages */
    long setup_faults;
    const char *status;     /* "ok" or why the scenario could not run as meant */
    char detail[160];
};

static void emit_sem(unsigned folio_kib, const struct sem *s)
{
    say("PEER-SEMANTICS {\"schema\":1,\"variant\":\"%s\",\"kernel\":\"%s\",\"arch\":\"%s\","
        "\"scenario\":\"%s\",\"folio_kib\":%u,\"pages\":%d,\"write_faults\":%ld,"
        "\"setup_faults\":%ld,\"status\":\"%s\",\"detail\":\"%s\"}\n",
        variant, kernel_release, arch_name, s->scenario, folio_kib, SEM_PAGES, s->write_faults,
        s->setup_faults, s->status, s->detail);
    semantics_count++;
}

/* mprotect RO then RW, then the counted write pass. */
static long upgrade_then_write(char *p)
{
    size_t len = SEM_PAGES * PAGE;
    mprotect(p, len, PROT_READ);
    mprotect(p, len, PROT_READ | PROT_WRITE);
    long f0 = minor_faults();
    write_pass(p, SEM_PAGES, 7);
    return minor_faults() - f0;
}

static int soft_dirty_bit(char *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint64_t e = 0;
    ssize_t n = pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / PAGE * sizeof(e)));
    close(fd);
    return n == sizeof(e) ? (int)((e >> 55) & 1) : -1;
}

static void sem_simple(unsigned folio_kib, const char *scenario, int shared, int first_write)
{
    struct sem s = { .scenario = scenario, .status = "ok" };
    char *p = region(SEM_PAGES * PAGE, shared);
    if (!p)
        return;
    long a0 = mthp64_allocs();
    long f0 = minor_faults();
    if (first_write)
        write_pass(p, SEM_PAGES, 1);
    else
        read_pass(p, SEM_PAGES);
    s.setup_faults = minor_faults() - f0;
    long a = a0 >= 0 ? mthp64_allocs() - a0 : -1;
    s.write_faults = upgrade_then_write(p);
    snprintf(s.detail, sizeof(s.detail), "%s mapping, first %s, mprotect RO then RW; 64k mTHP allocs %ld",
             shared ? "shared anonymous" : "private anonymous", first_write ? "write" : "read", a);
    emit_sem(folio_kib, &s);
    munmap(p, SEM_PAGES * PAGE);
}

/* COW-shared: written, forked; then the parent (child_side 0) or the child
 * (1) does mprotect RO, RW and the counted write pass while the other side
 * still maps the pages. */
static void sem_cow(unsigned folio_kib, int child_side)
{
    struct sem s = { .scenario = child_side ? "cow-child" : "cow-parent", .status = "ok" };
    char *p = region(SEM_PAGES * PAGE, 0);
    if (!p)
        return;
    long f0 = minor_faults();
    write_pass(p, SEM_PAGES, 1);
    s.setup_faults = minor_faults() - f0;
    int res[2], done[2];
    if (pipe(res) || pipe(done))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        long out = -1;
        char c;
        if (child_side)
            out = upgrade_then_write(p);
        if (write(res[1], &out, sizeof(out)) != sizeof(out))
            _exit(1);
        /* Keep mapping the pages until the parent is done. */
        if (read(done[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    long child_faults = -1;
    if (pid < 0 || read(res[0], &child_faults, sizeof(child_faults)) != sizeof(child_faults))
        s.status = "fork failed";
    s.write_faults = child_side ? child_faults : upgrade_then_write(p);
    if (pid > 0) {
        if (write(done[1], "d", 1) != 1)
            s.status = "child lost";
        waitpid(pid, NULL, 0);
    }
    close(res[0]), close(res[1]), close(done[0]), close(done[1]);
    snprintf(s.detail, sizeof(s.detail), "written, fork, then in the %s (the other side still maps "
             "the pages): mprotect RO then RW", child_side ? "child" : "parent");
    emit_sem(folio_kib, &s);
    munmap(p, SEM_PAGES * PAGE);
}

/* Soft-dirty: written, clear_refs 4 (clear soft-dirty), mprotect RO/RW,
 * counted write (softdirty-cleared); then mprotect RO/RW and a counted write
 * again (softdirty-rewritten). */
static void sem_soft_dirty(unsigned folio_kib)
{
    struct sem s = { .scenario = "softdirty-cleared", .status = "ok" };
    char *p = region(SEM_PAGES * PAGE, 0);
    if (!p)
        return;
    long f0 = minor_faults();
    write_pass(p, SEM_PAGES, 1);
    s.setup_faults = minor_faults() - f0;
    int before = soft_dirty_bit(p);
    int rc = write_file("/proc/self/clear_refs", "4");
    int cleared = soft_dirty_bit(p);
    s.write_faults = upgrade_then_write(p);
    int after = soft_dirty_bit(p);
    if (rc < 0)
        s.status = "clear_refs failed";
    else if (before != 1)
        s.status = "no soft-dirty tracking in this kernel (pagemap bit 55 never set)";
    snprintf(s.detail, sizeof(s.detail), "written, clear_refs 4, mprotect RO then RW; pagemap "
             "soft-dirty before/after clear/after write: %d/%d/%d", before, cleared, after);
    emit_sem(folio_kib, &s);

    struct sem t = { .scenario = "softdirty-rewritten", .status = s.status };
    t.setup_faults = 0;
    t.write_faults = upgrade_then_write(p);
    snprintf(t.detail, sizeof(t.detail), "the soft-dirty case after its write pass: mprotect RO then "
             "RW again");
    emit_sem(folio_kib, &t);
    munmap(p, SEM_PAGES * PAGE);
}

/* uffd-wp: written, registered for write-protect, protected, unprotected,
 * then the counted write pass (in a child, so a write that would wait for a
 * userfaultfd handler cannot hang the run: the child is killed after 10 s). */
static void sem_uffd(unsigned folio_kib)
{
    struct sem s = { .scenario = "uffd-wp-unprotect", .status = "ok", .write_faults = -1 };
    int res[2];
    if (pipe(res))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        long out[3] = { -1, -1, 0 };        /* write faults, setup faults, error code */
        size_t len = SEM_PAGES * PAGE;
        char *p = region(len, 0);
        long f0 = minor_faults();
        if (p)
            write_pass(p, SEM_PAGES, 1);
        out[1] = minor_faults() - f0;
        int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
        struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
        struct uffdio_register reg = { .range = { (uintptr_t)p, len }, .mode = UFFDIO_REGISTER_MODE_WP };
        struct uffdio_writeprotect wp = { .range = { (uintptr_t)p, len }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
        if (!p)
            out[2] = 1;
        else if (fd < 0)
            out[2] = 2;
        else if (ioctl(fd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP))
            out[2] = 3;
        else if (ioctl(fd, UFFDIO_REGISTER, &reg))
            out[2] = 4;
        else if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
            out[2] = 5;
        else {
            wp.mode = 0;
            if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
                out[2] = 6;
        }
        if (out[2])
            out[2] = out[2] * 1000 + errno;
        else {
            alarm(10);
            long g0 = minor_faults();
            write_pass(p, SEM_PAGES, 7);
            out[0] = minor_faults() - g0;
        }
        if (write(res[1], out, sizeof(out)) != sizeof(out))
            _exit(1);
        _exit(0);
    }
    long out[3] = { -1, -1, 0 };
    if (pid < 0 || read(res[0], out, sizeof(out)) != sizeof(out))
        s.status = "the child did not report (killed while writing?)";
    if (pid > 0)
        waitpid(pid, NULL, 0);
    close(res[0]), close(res[1]);
    s.write_faults = out[0];
    s.setup_faults = out[1];
    static const char *steps[] = { "", "mmap", "userfaultfd()", "UFFDIO_API with PAGEFAULT_FLAG_WP",
                                   "UFFDIO_REGISTER MODE_WP", "UFFDIO_WRITEPROTECT (protect)",
                                   "UFFDIO_WRITEPROTECT (unprotect)" };
    if (out[2]) {
        long step = out[2] / 1000;
        snprintf(s.detail, sizeof(s.detail), "unsupported: %s failed: %s",
                 step > 0 && step < 7 ? steps[step] : "?", strerror((int)(out[2] % 1000)));
        s.status = "unsupported";
    } else {
        snprintf(s.detail, sizeof(s.detail), "written, UFFDIO_REGISTER MODE_WP, WRITEPROTECT on, "
                 "WRITEPROTECT off, then the write pass (no mprotect)");
    }
    emit_sem(folio_kib, &s);
}

static void semantics(unsigned folio_kib)
{
    if (set_folio(folio_kib) < 0) {
        say("# peer: no 64 KiB mTHP in this kernel: semantics with 64 KiB folios skipped\n");
        return;
    }
    /* Fault in the code and stack the passes use, so only data faults count. */
    char *warm = region(SEM_PAGES * PAGE, 0);
    if (warm) {
        write_pass(warm, SEM_PAGES, 1);
        read_pass(warm, SEM_PAGES);
        (void)upgrade_then_write(warm);
        (void)soft_dirty_bit(warm);
        munmap(warm, SEM_PAGES * PAGE);
    }
    sem_simple(folio_kib, "private-exclusive", 0, 1);
    sem_simple(folio_kib, "zero-page", 0, 0);
    sem_cow(folio_kib, 0);
    sem_cow(folio_kib, 1);
    sem_simple(folio_kib, "shared-dirty", 1, 1);
    sem_simple(folio_kib, "shared-clean", 1, 0);
    sem_soft_dirty(folio_kib);
    sem_uffd(folio_kib);
}

/* ------------------------------------------------------------ set-up */
#if defined(__riscv)
static uint64_t counter_freq(void)
{
    if (use_rdcycle)
        return 1000000000ULL;       /* instructions under icount: reported as ns 1:1 */
    int fd = open("/proc/device-tree/cpus/timebase-frequency", O_RDONLY);
    uint32_t be = 0;
    if (fd >= 0) {
        if (read(fd, &be, 4) != 4)
            be = 0;
        close(fd);
    }
    return __builtin_bswap32(be);
}
#endif

static void identify(void)
{
    struct utsname u;
    uname(&u);
    snprintf(kernel_release, sizeof(kernel_release), "%s", u.release);
    /* "6.12.95+deb12-cloud-arm64" -> "linux-6.12.95" */
    size_t n = strcspn(u.release, "+-");
    snprintf(variant, sizeof(variant), "linux-%.*s", (int)n, u.release);
#if defined(__aarch64__)
    arch_name = "arm64";
    snprintf(counter_name, sizeof(counter_name), "cntvct_el0");
    char midr[64];
    if (read_file("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", midr, sizeof(midr)) > 0)
        snprintf(cpu_id, sizeof(cpu_id), "midr:0x%08llx",
                 (unsigned long long)(strtoull(midr, NULL, 16) & 0xffffffffULL));
    else
        snprintf(cpu_id, sizeof(cpu_id), "unknown");
#else
    arch_name = "riscv64";
    snprintf(cpu_id, sizeof(cpu_id), "rv64");
    /* rdcycle from user space needs perf_user_access=2 (legacy); under
     * icount it counts every instruction. Else rdtime (10 MHz on virt). */
    write_file("/proc/sys/kernel/perf_user_access", "2");
    use_rdcycle = 1;
    uint64_t a = counter();
    for (volatile int i = 0; i < 1000; i++)
        ;
    if (counter() == a)
        use_rdcycle = 0;
    snprintf(counter_name, sizeof(counter_name), use_rdcycle ? "rdcycle" : "rdtime");
#endif
    counter_hz = counter_freq();
}

static void read_cmdline(void)
{
    char c[1024];
    if (read_file("/proc/cmdline", c, sizeof(c)) <= 0)
        return;
    for (char *t = strtok(c, " "); t; t = strtok(NULL, " ")) {
        if (!strcmp(t, "peer.icount=1"))
            icount = 1;
        else if (!strcmp(t, "peer.quick=1"))
            quick = 1;
        else if (!strncmp(t, "peer.reps=", 10)) {
            int r = atoi(t + 10);
            if (r >= 1 && r <= MAX_REPS)
                reps = r;
        }
    }
}

static void console_setup(void)
{
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    if (fcntl(1, F_GETFD) < 0) {         /* no /dev/console in the initramfs */
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
}

int main(void)
{
    console_setup();
    read_cmdline();
    identify();
    struct stat st;
    have_mthp64 = stat("/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled", &st) == 0;
    /* Real-time, so no other task of ours (a forked child) runs inside a
     * timed window; children start as SCHED_OTHER (SCHED_RESET_ON_FORK). */
    struct sched_param sp = { .sched_priority = 1 };
    int rt = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
    say("PEER-BEGIN {\"schema\":1,\"kernel\":\"%s\",\"variant\":\"%s\",\"arch\":\"%s\",\"cpu\":\"%s\","
        "\"counter\":\"%s\",\"counter_hz\":%llu,\"icount\":%s,\"reps\":%d,\"quick\":%s,"
        "\"mthp_64k\":%s,\"sched_fifo\":%s}\n",
        kernel_release, variant, arch_name, cpu_id, counter_name, (unsigned long long)counter_hz,
        icount ? "true" : "false", reps, quick ? "true" : "false", have_mthp64 ? "true" : "false",
        rt == 0 ? "true" : "false");

    static const unsigned sizes[] = { 64, 512, 2048, 8192, 32768 }, quick_sizes[] = { 64, 512 };
    const unsigned *sz = quick ? quick_sizes : sizes;
    unsigned nsz = quick ? 2 : 5;
    say("BENCH-BEGIN {\"schema\":1,\"arch\":\"%s\",\"variant\":\"%s\",\"selected\":[\"syscall\","
        "\"mprotect\",%s\"anon_fault\",\"fork_cow\"]}\n", arch_name, variant,
        quick ? "" : "\"mprotect_full\",");
    bench_syscall();
    for (unsigned f = 0; f < 2; f++) {
        unsigned folio = f ? 64 : 4;
        if (f && !have_mthp64) {
            say("# peer: no /sys/kernel/mm/transparent_hugepage/hugepages-64kB: 64 KiB folio cases skipped\n");
            continue;
        }
        for (unsigned i = 0; i < nsz; i++)
            bench_mprotect_size(sz[i], folio);
        bench_anon_fault(folio);
        bench_fork_cow(folio, 0, quick ? 64 : 1024);
        bench_fork_cow(folio, 1, quick ? 64 : 1024);
    }
    bench_fork_cow(4, 0, 0);
    say("BENCH-END {\"schema\":1,\"count\":%u}\n", bench_count);

    semantics(4);
    if (have_mthp64)
        semantics(64);
    set_folio(4);
    say("PEER-END {\"schema\":1,\"bench\":%u,\"semantics\":%u}\n", bench_count, semantics_count);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}
