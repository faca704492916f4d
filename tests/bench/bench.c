/*
 * In-kernel benchmark harness: boot argument bench=<globs>, reps=N.
 *
 * Selection: bench= takes comma-separated globs ('*', '?') over the names
 * below; the word `default` selects the default set (make run). bench=*
 * runs everything (the full set). An unknown name lists what exists.
 *
 * Benchmarks (name: variants; params; baseline) -- [D] = in bench=default:
 *   overhead [D]      back-to-back, empty-op: the counter reads around every
 *                     measurement (reported, never subtracted)
 *   tlb_raw [D]       per-page, per-block, range, asid; pages=1,16,512;
 *                     baseline per-page; plus pre+post (op=barriers): raw
 *                     invalidates on a private ASID whose pages are in the
 *                     TLB. range = arm64 FEAT_TLBIRANGE or riscv Svinval,
 *                     per-block needs CONT/Svnapot (else "unavailable")
 *   first_access [D]  preset, hw-ad, sw-fault; pages=128, op=first-write;
 *                     baseline preset: first write to each page after a
 *                     write-unprotect that preset young+dirty, or left them
 *                     to hardware A/D, or to software A/D faults (which ones
 *                     run depends on the CPU and boot; a comment says)
 *   mprotect [D]      per-page, per-block, range, asid, auto, each also
 *                     -unbatched; size_kib=64,2048 x folio_kib=4,64 x
 *                     op=rw->ro,ro->rw; baseline per-page: one mm_mprotect
 *                     call (explicit policies with no ASID threshold; auto =
 *                     Linux's choice and threshold)
 *   mprotect_full     the same over size_kib=512, 8192, 32768
 *   mprotect_slope [D] range (asid without range ops), each also -unbatched;
 *                     from_kib=2048, to_kib=8192 x folio_kib=4,64 x
 *                     op=rw->ro,ro->rw; baseline the -unbatched variant: the
 *                     marginal cost per page, (8 MiB - 2 MiB figures) / 1536
 *                     pages, comparable with Linux's slope (in the note)
 *   numa_hint [D]     none, savedwrite, can_change; size_kib=1024 x
 *                     folio_kib=4,64; baseline none: NUMA scan (no target
 *                     node) + one write per page
 *   numa_migrate      folio-4k, folio-64k; size_kib=256; baseline folio-4k:
 *                     mm_migrate of every folio to the other node (needs two
 *                     NUMA nodes, else a comment and no result)
 *   fault_roundtrip [D] fixup; op=read-unmapped: per fault, a probe read of
 *                     page 0 that faults and resumes at the probe's fixup
 *                     (the exception path with nothing resolved)
 *   anon_fault [D]    folio-4k, folio-64k; size_kib=1024; baseline folio-4k:
 *                     first-touch write faults
 *   fork_cow [D]      folio-4k, folio-64k; size_kib=1024 x phase=fork,
 *                     cow-write; baseline folio-4k: mm_fork of a freshly
 *                     written mm, then the COW write of every page in the child
 * Variants this machine cannot run print "# bench <name>: variant ...
 * unavailable: <why>" instead of a result. Self-tests: tests/bench/bench_tests.c.
 *
 * Each case runs 1 warm-up repetition and `reps` measured ones (default 5)
 * and prints one line (a single printf):
 *   BENCH {"schema":1,"name":...,"variant":...,"params":{...},"reps":5,
 *          "cycles":{"min","median","max"},"instructions":{...},"time_ns":{...},
 *          "events":{<mm_event_names>: deltas of the median repetition},
 *          "per":{"unit":"page","count":N,"cycles_milli":..,"instructions_milli":..,
 *                 "tlbi_milli":..,"faults_milli":..},"baseline":...}
 * between BENCH-BEGIN {"schema":1,"arch":...,"selected":[...]} and
 * BENCH-END {"schema":1,"count":N}. The median is the lower middle value
 * (an observed repetition); "events" are per operation (per call of the
 * timed op); figures per unit are in "per" as integer thousandths
 * (tlbi_milli: broadcast invalidates, ev_tlbi_total; faults_milli: faults
 * resolved). No floating point anywhere.
 * Counters are read timer, instret, cycles ... op ... cycles, instret,
 * timer (cycles is the innermost window); a counter that does not advance
 * in this boot (boot.have_*) is printed as null with the reason in "note".
 * Nothing in a BENCH line depends on addresses: under QEMU
 * -icount shift=0,sleep=off two identical runs print identical lines
 * (without sleep=off QEMU's virtual clock starts at a varying offset, so on
 * riscv, whose timer ticks every 100 ns, time_ns may differ by one tick).
 */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "boot/arch.h"
#include "boot/bootargs.h"
#include "tests/bench/bench.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/ktest.h"
#include <stdarg.h>
#include <asm/counters.h>
#if defined(__aarch64__) || defined(__arm__)
#include <asm/sysreg.h>
#endif

#define KBENCH_MAX_REPS 64
#define KBENCH_WARMUP 1
#define LINE_MAX_LEN 1536

/* ------------------------------------------------------------ JSON text */
struct jbuf { char *p; size_t cap, len; bool overflow; };

static void jb_printf(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(struct jbuf *j, const char *fmt, ...)
{
    if (j->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->p + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= j->cap - j->len) {
        j->overflow = true;
        j->p[j->len] = '\0';
        return;
    }
    j->len += (size_t)n;
}

/* A JSON string: printable ASCII only, quotes and backslashes escaped. */
static void jb_str(struct jbuf *j, const char *s)
{
    jb_printf(j, "\"");
    for (; s && *s; s++) {
        char c = *s;
        if (c == '"' || c == '\\')
            jb_printf(j, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            jb_printf(j, "%c", c);
        else
            jb_printf(j, "?");
    }
    jb_printf(j, "\"");
}

static void jb_stats(struct jbuf *j, const char *key, bool have, const struct kbench_stats *s)
{
    if (!have) {
        jb_printf(j, ",\"%s\":null", key);
        return;
    }
    jb_printf(j, ",\"%s\":{\"min\":%llu,\"median\":%llu,\"max\":%llu}", key,
              (unsigned long long)s->min, (unsigned long long)s->median,
              (unsigned long long)s->max);
}

/* ------------------------------------------------------------ target identity */
static char machine_name[48];
static char cpu_name[24];

static void identify_target(void)
{
    if (machine_name[0])
        return;
    const void *val;
    uint32_t len;
    const char *m = "qemu-virt";
    /* QEMU's virt boards: compatible "linux,dummy-virt" (arm64) and
     * "riscv-virtio" (riscv64); otherwise the board's model string. */
    if (boot.dtb && dt_get_prop(boot.dtb, boot.dt.total_size, "/", "compatible", &val, &len) == 0 &&
        len > 0 && ((const char *)val)[len - 1] == '\0') {
        const char *c = val;
        if (strcmp(c, "linux,dummy-virt") != 0 && strncmp(c, "riscv-virtio", 12) != 0) {
            m = c;
            if (dt_get_prop(boot.dtb, boot.dt.total_size, "/", "model", &val, &len) == 0 &&
                len > 0 && ((const char *)val)[len - 1] == '\0')
                m = val;
        }
    }
    size_t i = 0;
    for (; m[i] && i < sizeof(machine_name) - 1; i++) {
        char c = m[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == ',' || c == '.' || c == '_' || c == '-' || c == '+';
        machine_name[i] = ok ? c : '-';
    }
    machine_name[i] = '\0';
#ifdef __aarch64__
    snprintf(cpu_name, sizeof(cpu_name), "midr:0x%08llx",
             (unsigned long long)(read_sysreg(midr_el1) & 0xffffffffULL));
#elif defined(__arm__)
    snprintf(cpu_name, sizeof(cpu_name), "midr:0x%08lx", (unsigned long)read_midr());
#else
    snprintf(cpu_name, sizeof(cpu_name), "rv64");
#endif
}

/* ------------------------------------------------------------ measurement */
struct sample { uint64_t cyc, ins, tim; };

static struct sample samples[KBENCH_MAX_REPS];
static struct ev_snapshot sample_ev[KBENCH_MAX_REPS];

static uint64_t ticks_to_ns(uint64_t t)
{
    uint64_t f = timer_freq_hz();
    if (!f)
        return 0;
    return (t / f) * 1000000000ULL + (t % f) * 1000000000ULL / f;
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Sort indices 0..n-1 by key (insertion sort, stable: equal keys keep rep order). */
static void sort_idx(unsigned *idx, unsigned n, const uint64_t *key)
{
    for (unsigned i = 0; i < n; i++)
        idx[i] = i;
    for (unsigned i = 1; i < n; i++) {
        unsigned v = idx[i], k = i;
        while (k > 0 && cmp_u64(key[idx[k - 1]], key[v]) > 0) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = v;
    }
}

static struct kbench_stats stats_of(const uint64_t *v, unsigned n, unsigned *median_rep)
{
    unsigned idx[KBENCH_MAX_REPS];
    sort_idx(idx, n, v);
    struct kbench_stats s = { v[idx[0]], v[idx[(n - 1) / 2]], v[idx[n - 1]] };
    if (median_rep)
        *median_rep = idx[(n - 1) / 2];
    return s;
}

/* Comment lines are indented like KTAP diagnostics in the self-tests. */
static const char *pfx(const struct kbench_ctx *b) { return b->test_mode ? "        " : ""; }

static void print_line(struct kbench_ctx *b, const char *json)
{
    if (b->test_mode)
        printf("        # BENCH-TEST %s\n", json);
    else
        printf("BENCH %s\n", json);
}

static bool params_ok(const char *p)
{
    /* A cheap guard against typos in the callers' params text. */
    int depth = 0;
    bool in_str = false;
    for (; *p; p++) {
        if (*p == '"')
            in_str = !in_str;
        else if (!in_str && (*p == '{' || *p == '['))
            depth++;
        else if (!in_str && (*p == '}' || *p == ']'))
            depth--;
    }
    return !in_str && depth == 0;
}

/* Markers for the instruction profiler (make profile: tools/profile.py and
 * its QEMU plugin, which watches the first instruction of each). They do
 * nothing; noipa keeps each a distinct function that is really called. */
#define PROFILE_MARKER __attribute__((noinline, noipa, used))
PROFILE_MARKER void kbench_profile_op_begin(void) { __asm__ volatile("" ::: "memory"); }
PROFILE_MARKER void kbench_profile_op_end(void) { __asm__ volatile("" ::: "memory"); }
PROFILE_MARKER void kbench_profile_case_end(void) { __asm__ volatile("" ::: "memory"); }
PROFILE_MARKER void kbench_profile_emit(void) { __asm__ volatile("" ::: "memory"); }

/* Run the warm-up and measured repetitions of one case; fills *res
 * (statistics, events of the median repetition). 0, or -1 with a
 * "# bench ...: error" line. */
static int measure_case(struct kbench_ctx *b, const struct kbench_case *c, struct kbench_result *res)
{
    const char *params = c->params ? c->params : "";
    unsigned reps = b->reps;
    if (reps < 1)
        reps = 1;
    if (reps > KBENCH_MAX_REPS)
        reps = KBENCH_MAX_REPS;
    if (!c->variant || !*c->variant || !c->unit || c->per == 0 || !params_ok(params)) {
        printf("%s# bench %s: error: malformed case (variant %s)\n", pfx(b), b->bench->name,
               c->variant ? c->variant : "(null)");
        b->failed++;
        return -1;
    }
    for (int r = -(int)b->warmup; r < (int)reps; r++) {
        struct ev_snapshot e0;
        if (c->setup && c->setup(c->arg) != 0) {
            if (c->teardown)
                c->teardown(c->arg);        /* must cope with a partial setup */
            printf("%s# bench %s: error: variant %s {%s}: setup failed\n", pfx(b), b->bench->name,
                   c->variant, params);
            b->failed++;
            return -1;
        }
        ev_snapshot(&e0);
        kbench_profile_op_begin();
        uint64_t t0 = read_timer(), i0 = read_instret(), c0 = read_cycles();
        int rc = c->op ? c->op(c->arg) : 0;
        uint64_t c1 = read_cycles(), i1 = read_instret(), t1 = read_timer();
        kbench_profile_op_end();
        struct ev_snapshot d;
        ev_delta(&e0, &d);
        if (c->teardown)
            c->teardown(c->arg);
        if (rc != 0) {
            printf("%s# bench %s: error: variant %s {%s}: operation failed (%d)\n", pfx(b),
                   b->bench->name, c->variant, params, rc);
            b->failed++;
            return -1;
        }
        if (r < 0)
            continue;
        samples[r] = (struct sample){ c1 - c0, i1 - i0, t1 - t0 };
        sample_ev[r] = d;
    }

    uint64_t cyc[KBENCH_MAX_REPS], ins[KBENCH_MAX_REPS], tns[KBENCH_MAX_REPS];
    for (unsigned r = 0; r < reps; r++) {
        cyc[r] = samples[r].cyc;
        ins[r] = samples[r].ins;
        tns[r] = ticks_to_ns(samples[r].tim);
    }
    /* The events come from the repetition with the median of the best
     * counter available. */
    unsigned mrep_c, mrep_i, mrep_t;
    memset(res, 0, sizeof(*res));
    res->bench = b->bench->name;
    res->per = c->per;
    res->reps = reps;
    snprintf(res->variant, sizeof(res->variant), "%s", c->variant);
    res->cycles = stats_of(cyc, reps, &mrep_c);
    res->instructions = stats_of(ins, reps, &mrep_i);
    res->time_ns = stats_of(tns, reps, &mrep_t);
    unsigned mrep = boot.have_cycles ? mrep_c : boot.have_instret ? mrep_i : mrep_t;
    res->events = sample_ev[mrep];
    snprintf(res->params, sizeof(res->params), "%s", params);
    kbench_profile_case_end();
    return 0;
}

/* Print res (measured for case c) as one BENCH line and keep it. */
static int emit_result(struct kbench_ctx *b, const struct kbench_case *c, struct kbench_result *res)
{
    kbench_profile_emit();
    identify_target();
    struct jbuf j = { res->line, sizeof(res->line), 0, false };
    jb_printf(&j, "{\"schema\":1,\"name\":");
    jb_str(&j, b->bench->name);
    jb_printf(&j, ",\"arch\":\"%s\",\"machine\":", arch_name);
    jb_str(&j, machine_name);
    jb_printf(&j, ",\"cpu\":\"%s\",\"variant\":", cpu_name);
    jb_str(&j, c->variant);
    jb_printf(&j, ",\"params\":{%s},\"reps\":%u,\"warmup\":%u,\"icount\":%s", res->params, res->reps,
              b->warmup, boot.icount ? "true" : "false");
    /* What the "cycles" figures are: instruction counts (QEMU -icount, proven
     * by boot/counters.c), the CPU's cycle counter (a board; QEMU without
     * -icount: its virtual clock), or nothing. */
    jb_printf(&j, ",\"cycles_are\":\"%s\"",
              boot.icount ? "instructions" : boot.have_cycles ? "cycle-counter" : "unavailable");
    jb_printf(&j, ",\"counters\":{\"cycles\":\"%s\",\"instructions\":\"%s\",\"time\":\"%s\"}",
              COUNTER_CYCLES_NAME, COUNTER_INSTR_NAME, COUNTER_TIME_NAME);
    jb_stats(&j, "cycles", boot.have_cycles, &res->cycles);
    jb_stats(&j, "instructions", boot.have_instret, &res->instructions);
    jb_stats(&j, "time_ns", boot.have_timer, &res->time_ns);
    jb_printf(&j, ",\"events\":{");
    for (int e = 0; e < EV_COUNT; e++)
        jb_printf(&j, "%s\"%s\":%llu", e ? "," : "", mm_event_names[e],
                  (unsigned long long)res->events.v[e]);
    jb_printf(&j, "},\"per\":{\"unit\":");
    jb_str(&j, c->unit);
    jb_printf(&j, ",\"count\":%llu", (unsigned long long)res->per);
    if (boot.have_cycles)
        jb_printf(&j, ",\"cycles_milli\":%llu",
                  (unsigned long long)(res->cycles.median * 1000 / res->per));
    if (boot.have_instret)
        jb_printf(&j, ",\"instructions_milli\":%llu",
                  (unsigned long long)(res->instructions.median * 1000 / res->per));
    /* Events per unit, for the figures that matter most per page. */
    jb_printf(&j, ",\"tlbi_milli\":%llu,\"faults_milli\":%llu}",
              (unsigned long long)(ev_tlbi_total(&res->events) * 1000 / res->per),
              (unsigned long long)(res->events.v[EV_FAULT_RESOLVED] * 1000 / res->per));
    if (c->baseline)
        jb_printf(&j, ",\"baseline\":\"%s\"", c->baseline);
    char note[256];
    struct jbuf n = { note, sizeof(note), 0, false };
    note[0] = '\0';
    if (c->note)
        jb_printf(&n, "%s", c->note);
    if (!boot.have_cycles)
        jb_printf(&n, "%scycles: %s does not advance (PMU not accessible at this level?)",
                  n.len ? "; " : "", COUNTER_CYCLES_NAME);
    if (!boot.have_instret)
        jb_printf(&n, "%sinstructions: %s does not advance (QEMU counts them only with -icount)",
                  n.len ? "; " : "", COUNTER_INSTR_NAME);
    if (!boot.have_timer)
        jb_printf(&n, "%stime: %s does not advance", n.len ? "; " : "", COUNTER_TIME_NAME);
    if (note[0]) {
        jb_printf(&j, ",\"note\":");
        jb_str(&j, note);
    }
    jb_printf(&j, "}");
    if (j.overflow) {
        printf("%s# bench %s: error: variant %s: result line too long\n", pfx(b),
               b->bench->name, c->variant);
        b->failed++;
        return -1;
    }
    print_line(b, res->line);
    b->emitted++;
    if (b->results && b->nresults < b->max_results)
        b->results[b->nresults++] = *res;
    return 0;
}

int kbench_measure(struct kbench_ctx *b, const struct kbench_case *c)
{
    static struct kbench_result res;
    if (measure_case(b, c, &res) != 0)
        return -1;
    return emit_result(b, c, &res);
}

/* large - small, at least 0 (a figure that shrinks with size has no slope). */
static uint64_t diff0(uint64_t large, uint64_t small) { return large > small ? large - small : 0; }

/* The marginal interval: median difference, bounded by the most and least
 * the extra units can have cost (under -icount all three agree). */
static struct kbench_stats stats_diff(struct kbench_stats l, struct kbench_stats s)
{
    return (struct kbench_stats){ diff0(l.min, s.max), diff0(l.median, s.median),
                                  diff0(l.max, s.min) };
}

int kbench_measure_slope(struct kbench_ctx *b, const struct kbench_case *small,
                         const struct kbench_case *large, const struct kbench_case *out)
{
    static struct kbench_result rs, rl;
    if (small->per >= large->per) {
        printf("%s# bench %s: error: slope of %s needs a larger second size\n", pfx(b),
               b->bench->name, out->variant ? out->variant : "(null)");
        b->failed++;
        return -1;
    }
    if (measure_case(b, small, &rs) != 0 || measure_case(b, large, &rl) != 0)
        return -1;
    struct kbench_case c = *out;
    c.per = large->per - small->per;
    if (!c.variant || !*c.variant || !c.unit || !params_ok(c.params ? c.params : "")) {
        printf("%s# bench %s: error: malformed slope case\n", pfx(b), b->bench->name);
        b->failed++;
        return -1;
    }
    rl.per = c.per;
    rl.cycles = stats_diff(rl.cycles, rs.cycles);
    rl.instructions = stats_diff(rl.instructions, rs.instructions);
    rl.time_ns = stats_diff(rl.time_ns, rs.time_ns);
    for (int e = 0; e < EV_COUNT; e++)
        rl.events.v[e] = diff0(rl.events.v[e], rs.events.v[e]);
    snprintf(rl.variant, sizeof(rl.variant), "%s", c.variant);
    snprintf(rl.params, sizeof(rl.params), "%s", c.params ? c.params : "");
    return emit_result(b, &c, &rl);
}

void kbench_unavailable(struct kbench_ctx *b, const char *variant, const char *params,
                        const char *why)
{
    printf("%s# bench %s: variant %s {%s} unavailable: %s\n", pfx(b), b->bench->name, variant,
           params ? params : "", why);
    b->unavailable++;
}

void kbench_note(struct kbench_ctx *b, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("%s# bench %s: %s\n", pfx(b), b->bench->name, msg);
}

/* ------------------------------------------------------------ selection */
const struct kbench *kbench_find(const char *name)
{
    for (const struct kbench *const *p = __kbench_start; p < __kbench_end; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

/* Does the comma-separated list contain the word `default`? */
static bool wants_default(const char *glob)
{
    for (const char *p = glob; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 7 && strncmp(p, "default", 7) == 0)
            return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

static bool selected(const char *glob, const struct kbench *k)
{
    return glob_match_list(glob, k->name) || ((k->flags & KBENCH_DEFAULT) && wants_default(glob));
}

static void list_available(void)
{
    printf("# available benchmarks ([default] = in bench=default; bench=* runs all):\n");
    for (const struct kbench *const *p = __kbench_start; p < __kbench_end; p++)
        printf("#   %-14s %s%s\n", (*p)->name, (*p)->flags & KBENCH_DEFAULT ? "[default] " : "",
               (*p)->desc);
}

void kbench_run_one(struct kbench_ctx *b, const struct kbench *k)
{
    b->bench = k;
    k->run(b);
}

int bench_run(const char *glob)
{
    if (!glob || !*glob)
        glob = "default";
    if (boot.counter_traps) {
        /* Every timed operation reads all three counters. */
        printf("# bench: error: reading the %s counter traps on this machine (the firmware "
               "does not let this mode read it): benchmarks cannot run\n",
               boot.counter_traps & 1 ? "cycle" : boot.counter_traps & 2 ? "instruction" : "time");
        return -1;
    }
    char sel[512];
    struct jbuf j = { sel, sizeof(sel), 0, false };
    unsigned n = 0;
    for (const struct kbench *const *p = __kbench_start; p < __kbench_end; p++)
        if (selected(glob, *p)) {
            jb_printf(&j, "%s", n ? "," : "");
            jb_str(&j, (*p)->name);
            n++;
        }
    if (n == 0) {
        printf("# error: bench=%s matches no benchmark\n", glob);
        list_available();
        return BENCH_NO_MATCH;
    }
    unsigned long long reps = bootarg_number("reps", 5);
    if (reps < 1 || reps > KBENCH_MAX_REPS) {
        printf("# bench: reps=%llu out of range, using %llu\n", reps,
               reps < 1 ? 1ULL : (unsigned long long)KBENCH_MAX_REPS);
        reps = reps < 1 ? 1 : KBENCH_MAX_REPS;
    }
    boot_report_first_test();
    printf("BENCH-BEGIN {\"schema\":1,\"arch\":\"%s\",\"selected\":[%s]}\n", arch_name, sel);
    struct kbench_ctx ctx = { .reps = (unsigned)reps, .warmup = KBENCH_WARMUP };
    for (const struct kbench *const *p = __kbench_start; p < __kbench_end; p++)
        if (selected(glob, *p))
            kbench_run_one(&ctx, *p);
    printf("BENCH-END {\"schema\":1,\"count\":%u}\n", ctx.emitted);
    if (ctx.failed)
        printf("# bench: %u case(s) failed\n", ctx.failed);
    return ctx.failed ? BENCH_FAILED : (int)ctx.emitted;
}
