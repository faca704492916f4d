/* Host tests for boot/fdt.c.
 *
 * Fixture directory: argv[1], else $FDT_FIXTURES, else build/host/fixtures (see
 * tests/host/fdt.mk). For every fixture DTB the expected struct dt_info is rebuilt from
 * what `fdtget` (and `dtc -O dts` for /memreserve/) reports, then compared field by field
 * with dt_parse(). The hand-written fixtures are also checked against hand-written
 * expectations, and malformed blobs (derived from a good one, or built here token by
 * token) must be rejected without reading out of bounds (every buffer is malloc'd to its
 * exact length so ASan sees over-reads).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "boot/fdt.h"

static const char *fixture_dir = "build/host/fixtures";

/* ------------------------------------------------------------------------ */
/* Utilities                                                                 */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static char *fixture_path(const char *name)
{
    size_t n = strlen(fixture_dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", fixture_dir, name);
    return p;
}

/* Whole file into an exactly-sized malloc'd buffer. */
static uint8_t *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        print_error("cannot open fixture %s (build it with make, or set FDT_FIXTURES)\n", path);
        fail();
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint8_t *load_fixture(const char *name, size_t *len)
{
    char *p = fixture_path(name);
    uint8_t *b = load_file(p, len);
    free(p);
    return b;
}

static uint8_t *dup_exact(const void *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

/* Single-quote s for /bin/sh into out. */
static void shq(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    out[o++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            assert_true(o + 5 < cap);
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else {
            assert_true(o + 2 < cap);
            out[o++] = *s;
        }
    }
    out[o++] = '\'';
    out[o] = 0;
}

/* Run a shell command; returns malloc'd stdout (trailing newline stripped), sets *rc. */
static char *run(int *rc, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    FILE *p;
    char *out = NULL;
    size_t len = 0, cap = 0, n;
    int st;

    va_start(ap, fmt);
    n = (size_t)vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_true(n < sizeof(cmd));
    p = popen(cmd, "r");
    assert_non_null(p);
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        n = fread(out + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    st = pclose(p);
    out[len] = 0;
    if (len && out[len - 1] == '\n')
        out[--len] = 0;
    *rc = st;
    return out;
}

/* ------------------------------------------------------------------------ */
/* fdtget-based model                                                        */

struct fg {
    char blob_q[1024];           /* quoted blob path */
    const char *blob;            /* the path itself */
};

/* Run argv[0] (found on PATH) with no shell: the thousands of fdtget runs
 * per fixture then cost one process each, not two. Returns malloc'd stdout
 * (trailing newline stripped), sets *rc to the wait status; stderr is
 * discarded when quiet. */
extern char **environ;
static char *run_argv(int *rc, char *const argv[], int quiet)
{
    int fds[2];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    char *out = NULL;
    size_t len = 0, cap = 0;
    ssize_t n;
    int st = 0;

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        n = read(fds[0], out + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    assert_true(waitpid(pid, &st, 0) == pid);
    out[len] = 0;
    if (len && out[len - 1] == '\n')
        out[--len] = 0;
    *rc = st;
    return out;
}

/* fdtget -t TYPE blob node prop; NULL if fdtget fails. */
static char *fg_get(const struct fg *g, const char *type, const char *node, const char *prop)
{
    int rc;
    char *o;
    char *const argv[] = { "fdtget", "-t", (char *)type, (char *)g->blob, (char *)node, (char *)prop, NULL };

    o = run_argv(&rc, argv, 1);
    if (rc != 0) {
        free(o);
        return NULL;
    }
    return o;
}

/* Lines of `fdtget -p|-l blob node` into a malloc'd array of malloc'd strings. */
static int fg_list(const struct fg *g, const char *opt, const char *node, char ***items)
{
    int rc, n = 0;
    char *o, *save = NULL, *tok;
    char **v = NULL;
    char *const argv[] = { "fdtget", (char *)opt, (char *)g->blob, (char *)node, NULL };

    o = run_argv(&rc, argv, 0);
    assert_int_equal(rc, 0);
    for (tok = strtok_r(o, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
        v = realloc(v, sizeof(*v) * (size_t)(n + 1));
        assert_non_null(v);
        v[n] = strdup(tok);
        assert_non_null(v[n]);
        n++;
    }
    free(o);
    *items = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Cells of a property (fdtget -t x); -1 if fdtget fails. */
static int fg_cells(const struct fg *g, const char *node, const char *prop, uint32_t *out, int max)
{
    char *o = fg_get(g, "x", node, prop), *p, *end;
    int n = 0;

    if (!o)
        return -1;
    for (p = o; *p;) {
        unsigned long v;
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        v = strtoul(p, &end, 16);
        assert_true(end != p);
        assert_true(n < max);
        out[n++] = (uint32_t)v;
        p = end;
    }
    free(o);
    return n;
}

struct mbus {
    unsigned ac, sc;             /* for this node's children */
    bool has_ranges;
    uint32_t ranges[256];
    int n_ranges;                /* cells */
};

struct phent {
    uint32_t ph, freq;
};

struct model {
    struct fg g;
    struct dt_info *e;
    /* stdout-path target components */
    char target[512];
    bool have_target, target_seen;
    bool uart_stdout_found, uart_first_found;
    struct dt_uart uart_stdout, uart_first;
    uint32_t ph_stdout, ph_first;
    struct phent ph[512];
    int n_ph;
    bool have_dist, have_fin;
    int max_numa;
    struct mbus bus[DT_MAX_DEPTH + 1];
    int n_nodes, n_props;
    char cpus_enable_method[DT_ENABLE_METHOD_MAX];
};

static bool has(char **props, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(props[i], name) == 0)
            return true;
    return false;
}

static bool fg_str_eq(const struct model *m, const char *node, const char *prop, const char *want)
{
    char *o = fg_get(&m->g, "s", node, prop);
    bool r = o && strcmp(o, want) == 0;
    free(o);
    return r;
}

/* compatible contains want (fdtget -t s prints the list space-separated). */
static bool fg_compat(const struct model *m, const char *node, const char *want)
{
    char *o = fg_get(&m->g, "s", node, "compatible"), *save = NULL, *t;
    bool r = false;

    if (!o)
        return false;
    for (t = strtok_r(o, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (strcmp(t, want) == 0)
            r = true;
    free(o);
    return r;
}

static uint64_t cells_val(const uint32_t *c, unsigned n)
{
    return n == 2 ? ((uint64_t)c[0] << 32) | c[1] : c[0];
}

static bool model_translate(const struct model *m, int d, uint64_t *addr)
{
    for (int k = d; k >= 2; k--) {
        const struct mbus *b = &m->bus[k];
        unsigned ca = b->ac, pa = m->bus[k - 1].ac, sz = b->sc, esz = ca + pa + sz;
        bool hit = false;

        if (!b->has_ranges || b->n_ranges == 0)
            continue;
        if (ca < 1 || ca > 2 || pa < 1 || pa > 2 || sz < 1 || sz > 2)
            return false;
        if (b->n_ranges % (int)esz)
            return false;
        for (int i = 0; i < b->n_ranges; i += (int)esz) {
            uint64_t cb = cells_val(&b->ranges[i], ca), pb = cells_val(&b->ranges[i + (int)ca], pa);
            uint64_t len = cells_val(&b->ranges[i + (int)(ca + pa)], sz);
            if (*addr >= cb && *addr - cb < len) {
                *addr = pb + (*addr - cb);
                hit = true;
                break;
            }
        }
        if (!hit)
            return false;
    }
    return true;
}

/* Does node path p match the target (unit address may be omitted in the target)? */
static bool model_path_match(const char *target, const char *p)
{
    char tb[512], pb[512];
    char *ts = NULL, *ps = NULL, *t, *c;

    snprintf(tb, sizeof(tb), "%s", target);
    snprintf(pb, sizeof(pb), "%s", p);
    t = strtok_r(tb, "/", &ts);
    c = strtok_r(pb, "/", &ps);
    while (t && c) {
        size_t tl = strlen(t);
        bool ok = strcmp(t, c) == 0 ||
                  (!strchr(t, '@') && strncmp(t, c, tl) == 0 && c[tl] == '@');
        if (!ok)
            return false;
        t = strtok_r(NULL, "/", &ts);
        c = strtok_r(NULL, "/", &ps);
    }
    return !t && !c;
}

static int model_numa(struct model *m, const char *path, char **props, int np)
{
    uint32_t c[4];
    if (!has(props, np, "numa-node-id"))
        return -1;
    assert_int_equal(fg_cells(&m->g, path, "numa-node-id", c, 4), 1);
    assert_true(c[0] < DT_MAX_NODES);
    if ((int)c[0] > m->max_numa)
        m->max_numa = (int)c[0];
    return (int)c[0];
}

/* reg entries of node at depth d (parent bus d-1). Returns number of entries. */
static int model_reg(struct model *m, const char *path, int d, uint64_t *base, uint64_t *size,
                     int max)
{
    static uint32_t c[1024];
    unsigned ac = m->bus[d - 1].ac, sc = m->bus[d - 1].sc;
    int n = fg_cells(&m->g, path, "reg", c, 1024), i;

    assert_true(ac >= 1 && ac <= 2 && sc >= 1 && sc <= 2);
    assert_true(n >= 0);
    assert_int_equal(n % (int)(ac + sc), 0);
    for (i = 0; i < n / (int)(ac + sc) && i < max; i++) {
        base[i] = cells_val(&c[i * (int)(ac + sc)], ac);
        size[i] = cells_val(&c[i * (int)(ac + sc) + (int)ac], sc);
    }
    return n / (int)(ac + sc);
}

static void model_uart(struct model *m, const char *path, int d, char **props, int np,
                       enum dt_uart_kind kind, struct dt_uart *u, uint32_t *ph, bool *found)
{
    uint64_t base[1], size[1];
    uint32_t c[8];

    if (!has(props, np, "reg") || model_reg(m, path, d, base, size, 1) < 1)
        return;
    if (!model_translate(m, d - 1, &base[0]))
        return;
    memset(u, 0, sizeof(*u));
    *found = true;
    *ph = 0;
    u->kind = kind;
    u->base = base[0];
    u->size = size[0];
    u->reg_io_width = kind == DT_UART_NS16550 || kind == DT_UART_DW8250 ? 1 : 4;
    if (has(props, np, "reg-shift") && fg_cells(&m->g, path, "reg-shift", c, 8) == 1)
        u->reg_shift = c[0];
    if (has(props, np, "reg-io-width") && fg_cells(&m->g, path, "reg-io-width", c, 8) == 1)
        u->reg_io_width = c[0];
    if (has(props, np, "clock-frequency") && fg_cells(&m->g, path, "clock-frequency", c, 8) == 1)
        u->clock_hz = c[0];
    else if (has(props, np, "clocks") && fg_cells(&m->g, path, "clocks", c, 8) >= 1)
        *ph = c[0];
}

static void model_node(struct model *m, const char *path, const char *name, int d)
{
    struct dt_info *e = m->e;
    char **props, **kids;
    int np, nk, i;
    uint32_t c[64];
    char *s;
    struct mbus *bus = &m->bus[d];
    bool is_cpu_parent = false, is_resmem_parent = false, status_ok;

    assert_true(d <= DT_MAX_DEPTH);
    m->n_nodes++;
    np = fg_list(&m->g, "-p", path, &props);
    m->n_props += np;

    /* cells / ranges for children */
    bus->ac = 2;
    bus->sc = 1;
    bus->has_ranges = false;
    bus->n_ranges = 0;
    if (has(props, np, "#address-cells")) {
        assert_int_equal(fg_cells(&m->g, path, "#address-cells", c, 64), 1);
        bus->ac = c[0];
    }
    if (has(props, np, "#size-cells")) {
        assert_int_equal(fg_cells(&m->g, path, "#size-cells", c, 64), 1);
        bus->sc = c[0];
    }
    if (has(props, np, "ranges")) {
        bus->has_ranges = true;
        bus->n_ranges = fg_cells(&m->g, path, "ranges", bus->ranges, 256);
        assert_true(bus->n_ranges >= 0);
    }

    status_ok = !has(props, np, "status") || fg_str_eq(m, path, "status", "okay") ||
                fg_str_eq(m, path, "status", "ok");

    if (has(props, np, "phandle") || has(props, np, "linux,phandle")) {
        struct phent *p = &m->ph[m->n_ph++];
        assert_true(m->n_ph <= 512);
        assert_int_equal(fg_cells(&m->g, path, has(props, np, "phandle") ? "phandle" : "linux,phandle",
                                  c, 64), 1);
        p->ph = c[0];
        p->freq = 0;
        if (has(props, np, "clock-frequency") && fg_cells(&m->g, path, "clock-frequency", c, 64) == 1)
            p->freq = c[0];
    }

    if (d == 3) {
        /* parent is a child of the root: which one? */
        char pp[1024];
        const char *q = strchr(path + 1, '/');
        snprintf(pp, sizeof(pp), "%.*s", (int)(q - path), path);
        is_cpu_parent = model_path_match("/cpus", pp);
        is_resmem_parent = model_path_match("/reserved-memory", pp);
    }

    if (d == 2 && model_path_match("/chosen", path) && has(props, np, "bootargs")) {
        s = fg_get(&m->g, "s", path, "bootargs");
        assert_non_null(s);
        assert_true(strlen(s) < DT_BOOTARGS_MAX);
        strcpy(e->bootargs, s);
        free(s);
    }
    if (d == 1 && has(props, np, "model")) {
        s = fg_get(&m->g, "s", path, "model");
        assert_non_null(s);
        snprintf(e->model, sizeof(e->model), "%s", s);      /* cut to DT_MODEL_MAX-1 */
        free(s);
    }
    if (d == 2 && model_path_match("/cpus", path)) {
        m->cpus_enable_method[0] = 0;
        if (has(props, np, "enable-method")) {
            s = fg_get(&m->g, "s", path, "enable-method");
            if (s && strlen(s) < DT_ENABLE_METHOD_MAX)
                strcpy(m->cpus_enable_method, s);
            free(s);
        }
    }
    if (d == 2 && model_path_match("/cpus", path) && has(props, np, "timebase-frequency")) {
        assert_int_equal(fg_cells(&m->g, path, "timebase-frequency", c, 64), 1);
        e->timebase_hz = c[0];
    }
    if (d == 2 && model_path_match("/psci", path) && has(props, np, "method")) {
        e->psci_hvc = fg_str_eq(m, path, "method", "hvc");
        e->psci_smc = fg_str_eq(m, path, "method", "smc");
    }
    if (is_cpu_parent && has(props, np, "device_type") && fg_str_eq(m, path, "device_type", "cpu")) {
        struct dt_cpu *cpu = &e->cpus[e->n_cpus++];
        assert_true(e->n_cpus <= DT_MAX_CPUS);
        assert_true(fg_cells(&m->g, path, "reg", c, 64) >= (int)m->bus[2].ac);
        cpu->id = cells_val(c, m->bus[2].ac);
        cpu->node = model_numa(m, path, props, np);
        if (has(props, np, "riscv,isa")) {
            s = fg_get(&m->g, "s", path, "riscv,isa");
            assert_non_null(s);
            cpu->isa_truncated = strlen(s) > DT_ISA_MAX - 1;
            snprintf(cpu->isa, sizeof(cpu->isa), "%s", s);
            free(s);
        }
        if (has(props, np, "mmu-type")) {
            s = fg_get(&m->g, "s", path, "mmu-type");
            assert_non_null(s);
            if (strlen(s) < DT_MMU_TYPE_MAX)
                strcpy(cpu->mmu_type, s);
            free(s);
        }
        if (has(props, np, "enable-method")) {
            s = fg_get(&m->g, "s", path, "enable-method");
            assert_non_null(s);
            if (strlen(s) < DT_ENABLE_METHOD_MAX)
                strcpy(cpu->enable_method, s);
            free(s);
        } else {
            strcpy(cpu->enable_method, m->cpus_enable_method);
        }
        if (has(props, np, "cpu-release-addr")) {
            int n = fg_cells(&m->g, path, "cpu-release-addr", c, 64);
            assert_true(n == 1 || n == 2);
            cpu->release_addr = cells_val(c, (unsigned)n);
        }
        cpu->disabled = !status_ok;
    }
    if (has(props, np, "device_type") && fg_str_eq(m, path, "device_type", "memory") &&
        has(props, np, "reg")) {
        uint64_t base[64], size[64];
        int node = model_numa(m, path, props, np);
        int n = model_reg(m, path, d, base, size, 64);
        for (i = 0; i < n; i++) {
            if (!model_translate(m, d - 1, &base[i]))
                continue;
            assert_true(e->n_mem < DT_MAX_MEM);
            e->mem[e->n_mem].base = base[i];
            e->mem[e->n_mem].size = size[i];
            e->mem[e->n_mem].node = node;
            e->n_mem++;
        }
    }
    if (is_resmem_parent && has(props, np, "reg")) {
        uint64_t base[64], size[64];
        int n = model_reg(m, path, d, base, size, 64);
        for (i = 0; i < n; i++) {
            (void)model_translate(m, d - 1, &base[i]);
            assert_true(e->n_reserved < DT_MAX_RESERVED);
            e->reserved[e->n_reserved].base = base[i];
            e->reserved[e->n_reserved].size = size[i];
            e->reserved[e->n_reserved].node = -1;
            e->n_reserved++;
        }
    }
    if (has(props, np, "compatible")) {
        if (!m->have_dist && fg_compat(m, path, "numa-distance-map-v1")) {
            static uint32_t dm[3 * 64];
            int n;
            uint64_t explicit_set = 0;
            m->have_dist = true;
            n = has(props, np, "distance-matrix") ? fg_cells(&m->g, path, "distance-matrix", dm, 3 * 64) : 0;
            assert_int_equal(n % 3, 0);
            for (i = 0; i < n; i += 3) {
                assert_true(dm[i] < DT_MAX_NODES && dm[i + 1] < DT_MAX_NODES);
                e->distance[dm[i]][dm[i + 1]] = dm[i + 2];
                explicit_set |= 1ull << (dm[i] * 8 + dm[i + 1]);
                if (!(explicit_set & (1ull << (dm[i + 1] * 8 + dm[i]))))
                    e->distance[dm[i + 1]][dm[i]] = dm[i + 2];
            }
        }
        if (!m->have_fin && status_ok &&
            (fg_compat(m, path, "sifive,test0") || fg_compat(m, path, "sifive,test1")) &&
            has(props, np, "reg")) {
            uint64_t base[1], size[1];
            if (model_reg(m, path, d, base, size, 1) >= 1 && model_translate(m, d - 1, &base[0])) {
                m->have_fin = true;
                e->test_finisher_base = base[0];
            }
        }
        {
            enum dt_uart_kind kind = DT_UART_NONE;
            bool is_target = false;
            if (fg_compat(m, path, "arm,pl011"))
                kind = DT_UART_PL011;
            else if (fg_compat(m, path, "ns16550a") || fg_compat(m, path, "ns16550"))
                kind = DT_UART_NS16550;
            else if (fg_compat(m, path, "snps,dw-apb-uart"))
                kind = DT_UART_DW8250;
            else if (fg_compat(m, path, "brcm,bcm2835-aux-uart"))
                kind = DT_UART_BCM2835_AUX;
            else if (fg_compat(m, path, "sifive,uart0"))
                kind = DT_UART_SIFIVE;
            if (m->have_target && !m->target_seen && model_path_match(m->target, path)) {
                m->target_seen = true;
                is_target = true;
                if (kind == DT_UART_NONE)
                    e->stdout_unknown = true;
            }
            if (kind != DT_UART_NONE && is_target)
                model_uart(m, path, d, props, np, kind, &m->uart_stdout, &m->ph_stdout,
                           &m->uart_stdout_found);
            if (kind != DT_UART_NONE && !m->uart_first_found && status_ok)
                model_uart(m, path, d, props, np, kind, &m->uart_first, &m->ph_first,
                           &m->uart_first_found);
        }
    } else if (m->have_target && !m->target_seen && model_path_match(m->target, path)) {
        m->target_seen = true;
        e->stdout_unknown = true;
    }
    (void)name;

    nk = fg_list(&m->g, "-l", path, &kids);
    for (i = 0; i < nk; i++) {
        char cp[1024];
        snprintf(cp, sizeof(cp), "%s/%s", d == 1 ? "" : path, kids[i]);
        model_node(m, cp, kids[i], d + 1);
    }
    free_list(kids, nk);
    free_list(props, np);
}

/* Build the expected dt_info of a DTB file from fdtget / dtc output. */
static void model_build(const char *blob_path, size_t file_len, struct dt_info *e, int *n_nodes,
                        int *n_props)
{
    static struct model m;
    char *s, *save = NULL, *line;
    int rc;

    memset(&m, 0, sizeof(m));
    memset(e, 0, sizeof(*e));
    shq(m.g.blob_q, sizeof(m.g.blob_q), blob_path);
    m.g.blob = blob_path;
    m.e = e;
    m.max_numa = -1;
    /* header totalsize as fdtdump prints it; dtc and QEMU write exactly that many bytes */
    s = run(&rc, "fdtdump %s 2>/dev/null | sed -n 's/^.. totalsize:.*(\\([0-9]*\\)).*/\\1/p' | head -1",
            m.g.blob_q);
    assert_int_equal(rc, 0);
    e->total_size = (uint32_t)strtoul(s, NULL, 10);
    assert_int_equal(e->total_size, file_len);
    free(s);
    for (int i = 0; i < DT_MAX_NODES; i++)
        for (int j = 0; j < DT_MAX_NODES; j++)
            e->distance[i][j] = i == j ? 10 : 20;

    /* memory reservation block, as decompiled by dtc */
    s = run(&rc, "dtc -q -I dtb -O dts %s", m.g.blob_q);
    assert_int_equal(rc, 0);
    for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long a, b;
        if (sscanf(line, "/memreserve/ %llx %llx", &a, &b) == 2) {
            assert_true(e->n_reserved < DT_MAX_RESERVED);
            e->reserved[e->n_reserved].base = a;
            e->reserved[e->n_reserved].size = b;
            e->reserved[e->n_reserved].node = -1;
            e->n_reserved++;
        }
    }
    free(s);

    /* stdout-path target */
    s = fg_get(&m.g, "s", "/chosen", "stdout-path");
    if (!s)
        s = fg_get(&m.g, "s", "/chosen", "linux,stdout-path");
    if (s) {
        char *colon = strchr(s, ':');
        if (colon)
            *colon = 0;
        if (s[0] == '/') {
            snprintf(m.target, sizeof(m.target), "%s", s);
            m.have_target = true;
        } else if (s[0]) {
            char *a = fg_get(&m.g, "s", "/aliases", s);
            if (a && a[0] == '/') {
                snprintf(m.target, sizeof(m.target), "%s", a);
                m.have_target = true;
            }
            free(a);
        }
        free(s);
    }

    m.bus[0].ac = 2;
    m.bus[0].sc = 1;
    model_node(&m, "/", "", 1);

    e->n_numa_nodes = m.max_numa >= 0 ? m.max_numa + 1 : 1;
    if (m.uart_stdout_found || m.uart_first_found) {
        uint32_t ph = m.uart_stdout_found ? m.ph_stdout : m.ph_first;
        e->uart = m.uart_stdout_found ? m.uart_stdout : m.uart_first;
        if (e->uart.clock_hz == 0 && ph)
            for (int i = 0; i < m.n_ph; i++)
                if (m.ph[i].ph == ph) {
                    e->uart.clock_hz = m.ph[i].freq;
                    break;
                }
    }
    *n_nodes = m.n_nodes;
    *n_props = m.n_props;
}

/* ------------------------------------------------------------------------ */
/* Comparison                                                                */

static int mismatches;

#define CMP_NUM(what, got, want)                                                              \
    do {                                                                                      \
        unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want);   \
        if (g_ != w_) {                                                                       \
            print_error("%s: %s = 0x%llx, expected 0x%llx\n", tag, what, g_, w_);             \
            mismatches++;                                                                     \
        }                                                                                     \
    } while (0)

#define CMP_STR(what, got, want)                                                              \
    do {                                                                                      \
        if (strcmp((got), (want)) != 0) {                                                     \
            print_error("%s: %s = \"%s\", expected \"%s\"\n", tag, what, (got), (want));      \
            mismatches++;                                                                     \
        }                                                                                     \
    } while (0)

static void compare_info(const char *tag, const struct dt_info *got, const struct dt_info *want)
{
    char w[64];

    mismatches = 0;
    CMP_NUM("total_size", got->total_size, want->total_size);
    CMP_NUM("n_mem", got->n_mem, want->n_mem);
    for (int i = 0; i < want->n_mem && i < got->n_mem; i++) {
        snprintf(w, sizeof(w), "mem[%d].base", i);
        CMP_NUM(w, got->mem[i].base, want->mem[i].base);
        snprintf(w, sizeof(w), "mem[%d].size", i);
        CMP_NUM(w, got->mem[i].size, want->mem[i].size);
        snprintf(w, sizeof(w), "mem[%d].node", i);
        CMP_NUM(w, got->mem[i].node, want->mem[i].node);
    }
    CMP_NUM("n_reserved", got->n_reserved, want->n_reserved);
    for (int i = 0; i < want->n_reserved && i < got->n_reserved; i++) {
        snprintf(w, sizeof(w), "reserved[%d].base", i);
        CMP_NUM(w, got->reserved[i].base, want->reserved[i].base);
        snprintf(w, sizeof(w), "reserved[%d].size", i);
        CMP_NUM(w, got->reserved[i].size, want->reserved[i].size);
        snprintf(w, sizeof(w), "reserved[%d].node", i);
        CMP_NUM(w, got->reserved[i].node, want->reserved[i].node);
    }
    CMP_NUM("uart.kind", got->uart.kind, want->uart.kind);
    CMP_NUM("uart.base", got->uart.base, want->uart.base);
    CMP_NUM("uart.size", got->uart.size, want->uart.size);
    CMP_NUM("uart.reg_shift", got->uart.reg_shift, want->uart.reg_shift);
    CMP_NUM("uart.reg_io_width", got->uart.reg_io_width, want->uart.reg_io_width);
    CMP_NUM("uart.clock_hz", got->uart.clock_hz, want->uart.clock_hz);
    CMP_STR("bootargs", got->bootargs, want->bootargs);
    CMP_NUM("n_cpus", got->n_cpus, want->n_cpus);
    for (int i = 0; i < want->n_cpus && i < got->n_cpus; i++) {
        snprintf(w, sizeof(w), "cpus[%d].id", i);
        CMP_NUM(w, got->cpus[i].id, want->cpus[i].id);
        snprintf(w, sizeof(w), "cpus[%d].node", i);
        CMP_NUM(w, got->cpus[i].node, want->cpus[i].node);
        snprintf(w, sizeof(w), "cpus[%d].isa", i);
        CMP_STR(w, got->cpus[i].isa, want->cpus[i].isa);
        snprintf(w, sizeof(w), "cpus[%d].isa_truncated", i);
        CMP_NUM(w, got->cpus[i].isa_truncated, want->cpus[i].isa_truncated);
        snprintf(w, sizeof(w), "cpus[%d].mmu_type", i);
        CMP_STR(w, got->cpus[i].mmu_type, want->cpus[i].mmu_type);
    }
    for (int i = 0; i < want->n_cpus && i < got->n_cpus; i++) {
        snprintf(w, sizeof(w), "cpus[%d].enable_method", i);
        CMP_STR(w, got->cpus[i].enable_method, want->cpus[i].enable_method);
        snprintf(w, sizeof(w), "cpus[%d].release_addr", i);
        CMP_NUM(w, got->cpus[i].release_addr, want->cpus[i].release_addr);
        snprintf(w, sizeof(w), "cpus[%d].disabled", i);
        CMP_NUM(w, got->cpus[i].disabled, want->cpus[i].disabled);
    }
    CMP_STR("model", got->model, want->model);
    CMP_NUM("stdout_unknown", got->stdout_unknown, want->stdout_unknown);
    CMP_NUM("timebase_hz", got->timebase_hz, want->timebase_hz);
    CMP_NUM("n_numa_nodes", got->n_numa_nodes, want->n_numa_nodes);
    for (int i = 0; i < DT_MAX_NODES; i++)
        for (int j = 0; j < DT_MAX_NODES; j++) {
            snprintf(w, sizeof(w), "distance[%d][%d]", i, j);
            CMP_NUM(w, got->distance[i][j], want->distance[i][j]);
        }
    CMP_NUM("test_finisher_base", got->test_finisher_base, want->test_finisher_base);
    CMP_NUM("psci_hvc", got->psci_hvc, want->psci_hvc);
    CMP_NUM("psci_smc", got->psci_smc, want->psci_smc);
    assert_int_equal(mismatches, 0);
}

static void default_distances(struct dt_info *e)
{
    for (int i = 0; i < DT_MAX_NODES; i++)
        for (int j = 0; j < DT_MAX_NODES; j++)
            e->distance[i][j] = i == j ? 10 : 20;
}

/* ------------------------------------------------------------------------ */
/* Every fixture: dt_parse vs fdtget                                         */

static const char *const all_fixtures[] = {
    "fdt-cells32.dtb", "fdt-numa.dtb", "fdt-fallback.dtb",
    "qemu-arm64.dtb", "qemu-arm64-numa.dtb", "qemu-arm64-append.dtb",
    "qemu-riscv64.dtb", "qemu-riscv64-numa.dtb", "qemu-riscv64-append.dtb",
    /* the boards' own device trees, from Debian's kernel packages (tools/boardfiles.py) */
    "board-rpi4.dtb", "board-visionfive2.dtb",
};
#define N_FIXTURES (sizeof(all_fixtures) / sizeof(all_fixtures[0]))

/* Count nodes and properties with the public iterator. */
static void iter_count(const uint8_t *blob, size_t len, int *nodes, int *props)
{
    struct dt_blob b;
    struct dt_iter it;
    struct dt_token tok;
    int depth = 0;

    *nodes = *props = 0;
    assert_int_equal(dt_check_header(blob, len, &b), DT_OK);
    dt_iter_init(&it, &b);
    do {
        assert_int_equal(dt_iter_next(&it, &tok), DT_OK);
        if (tok.type == DT_TOK_BEGIN_NODE) {
            (*nodes)++;
            assert_int_equal(tok.depth, ++depth);
        } else if (tok.type == DT_TOK_END_NODE) {
            assert_int_equal(tok.depth, depth--);
        } else if (tok.type == DT_TOK_PROP) {
            (*props)++;
            assert_int_equal(tok.depth, depth);
        }
    } while (tok.type != DT_TOK_END);
    assert_int_equal(depth, 0);
    /* stays at END */
    assert_int_equal(dt_iter_next(&it, &tok), DT_OK);
    assert_int_equal(tok.type, DT_TOK_END);
}

static void test_vs_fdtget(void **state)
{
    const char *name = *state;
    char *path = fixture_path(name);
    size_t len;
    uint8_t *blob = load_file(path, &len);
    static struct dt_info got, want;
    int mn, mp, in, ip;

    assert_int_equal(dt_parse(blob, len, &got), DT_OK);
    model_build(path, len, &want, &mn, &mp);
    compare_info(name, &got, &want);
    iter_count(blob, len, &in, &ip);
    assert_int_equal(in, mn);
    assert_int_equal(ip, mp);
    free(blob);
    free(path);
}

/* ------------------------------------------------------------------------ */
/* Hand-written expectations                                                 */

static void parse_fixture(const char *name, struct dt_info *out)
{
    size_t len;
    uint8_t *blob = load_fixture(name, &len);
    assert_int_equal(dt_parse(blob, len, out), DT_OK);
    assert_int_equal(out->total_size, len);
    free(blob);
}

static void test_cells32_expected(void **state)
{
    static struct dt_info got, e;
    (void)state;

    parse_fixture("fdt-cells32.dtb", &got);
    memset(&e, 0, sizeof(e));
    default_distances(&e);
    e.total_size = got.total_size;
    e.n_mem = 3;
    e.mem[0] = (struct dt_range){ 0x80000000, 0x10000000, -1 };
    e.mem[1] = (struct dt_range){ 0xa0000000, 0x08000000, -1 };
    e.mem[2] = (struct dt_range){ 0xc0000000, 0x20000000, -1 };
    e.n_reserved = 5;
    e.reserved[0] = (struct dt_range){ 0x80000000, 0x10000, -1 };
    e.reserved[1] = (struct dt_range){ 0x9ff00000, 0x100000, -1 };
    e.reserved[2] = (struct dt_range){ 0x9e000000, 0x200000, -1 };
    e.reserved[3] = (struct dt_range){ 0x9c000000, 0x1000, -1 };
    e.reserved[4] = (struct dt_range){ 0x9c100000, 0x2000, -1 };
    e.uart = (struct dt_uart){ DT_UART_NS16550, 0x10028000, 0x400, 2, 4, 24000000 };
    strcpy(e.bootargs, "console=ttyS0,115200 earlycon root=/dev/vda rw");
    e.n_cpus = 3;
    e.cpus[0].id = 0;
    e.cpus[1].id = 1;
    e.cpus[2].id = 0x100;
    for (int i = 0; i < 3; i++)
        e.cpus[i].node = -1;
    e.n_numa_nodes = 1;
    e.psci_smc = true;
    strcpy(e.model, "fdt test: 32-bit cells");
    for (int i = 0; i < 3; i++)
        strcpy(e.cpus[i].enable_method, "psci");
    compare_info("fdt-cells32 (hand)", &got, &e);
}

static void test_numa_expected(void **state)
{
    static struct dt_info got, e;
    (void)state;

    parse_fixture("fdt-numa.dtb", &got);
    memset(&e, 0, sizeof(e));
    default_distances(&e);
    e.total_size = got.total_size;
    e.n_mem = 2;
    e.mem[0] = (struct dt_range){ 0x80000000, 0x40000000, 0 };
    e.mem[1] = (struct dt_range){ 0x100000000ull, 0x40000000, 1 };
    e.uart = (struct dt_uart){ DT_UART_NS16550, 0x10000000, 0x100, 0, 1, 3686400 };
    e.n_cpus = 3;
    e.cpus[0].id = 0;
    e.cpus[0].node = 0;
    strcpy(e.cpus[0].isa, "rv64imafdc_zicsr_zifencei_svpbmt");
    strcpy(e.cpus[0].mmu_type, "riscv,sv48");
    e.cpus[1].id = 1;
    e.cpus[1].node = 1;
    {
        static const char long_isa[] =
            "rv64imafdch_zic64b_zicbom_zicbop_zicboz_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_"
            "zicsr_zifencei_zihintntl_zihintpause_zihpm_zmmul_za64rs_zaamo_zalrsc_svpbmt_svnapot";
        memcpy(e.cpus[1].isa, long_isa, DT_ISA_MAX - 1);
        e.cpus[1].isa[DT_ISA_MAX - 1] = 0;
    }
    assert_int_equal(strlen(e.cpus[1].isa), DT_ISA_MAX - 1);
    e.cpus[1].isa_truncated = true;
    strcpy(e.cpus[1].mmu_type, "riscv,sv57");
    e.cpus[2].id = 2;
    e.cpus[2].node = 1;
    strcpy(e.cpus[2].isa, "rv64imac");
    e.timebase_hz = 10000000;
    e.n_numa_nodes = 2;
    e.distance[0][1] = 25;
    e.distance[1][0] = 25;
    e.test_finisher_base = 0x100000;
    e.cpus[2].disabled = true;                              /* status = "disabled" */
    compare_info("fdt-numa (hand)", &got, &e);
}

static void test_fallback_expected(void **state)
{
    static struct dt_info got, e;
    (void)state;

    parse_fixture("fdt-fallback.dtb", &got);
    memset(&e, 0, sizeof(e));
    default_distances(&e);
    e.total_size = got.total_size;
    e.n_mem = 1;
    e.mem[0] = (struct dt_range){ 0x40000000, 0x10000000, -1 };
    e.uart = (struct dt_uart){ DT_UART_PL011, 0x9010000, 0x1000, 0, 4, 24000000 };
    e.n_numa_nodes = 1;
    e.psci_hvc = true;
    compare_info("fdt-fallback (hand)", &got, &e);
}

static void test_qemu_spot_checks(void **state)
{
    static struct dt_info a, an, aa, r, rn, ra;
    (void)state;

    parse_fixture("qemu-arm64.dtb", &a);
    parse_fixture("qemu-arm64-numa.dtb", &an);
    parse_fixture("qemu-arm64-append.dtb", &aa);
    parse_fixture("qemu-riscv64.dtb", &r);
    parse_fixture("qemu-riscv64-numa.dtb", &rn);
    parse_fixture("qemu-riscv64-append.dtb", &ra);

    assert_int_equal(a.n_mem, 1);
    assert_int_equal(a.mem[0].base, 0x40000000);
    assert_int_equal(a.mem[0].size, 256u << 20);
    assert_int_equal(a.uart.kind, DT_UART_PL011);
    assert_int_equal(a.uart.base, 0x9000000);
    assert_int_equal(a.uart.clock_hz, 24000000);
    assert_true(a.psci_hvc || a.psci_smc);
    assert_int_equal(a.n_cpus, 1);
    assert_int_equal(a.n_numa_nodes, 1);
    assert_string_equal(a.bootargs, "");
    assert_int_equal(a.test_finisher_base, 0);

    assert_int_equal(an.n_mem, 2);
    assert_int_equal(an.n_cpus, 2);
    assert_int_equal(an.n_numa_nodes, 2);
    assert_int_equal(an.distance[0][1], 20);
    assert_int_equal(an.distance[1][1], 10);
    assert_string_equal(aa.bootargs, "test=foo* shell");

    assert_int_equal(r.n_mem, 1);
    assert_int_equal(r.mem[0].base, 0x80000000);
    assert_int_equal(r.uart.kind, DT_UART_NS16550);
    assert_int_equal(r.uart.base, 0x10000000);
    assert_int_equal(r.uart.clock_hz, 3686400);
    assert_int_equal(r.timebase_hz, 10000000);
    assert_int_equal(r.test_finisher_base, 0x100000);
    assert_int_equal(r.n_cpus, 1);
    assert_true(strncmp(r.cpus[0].isa, "rv64", 4) == 0);
    assert_true(r.cpus[0].mmu_type[0] != 0);
    assert_false(r.psci_hvc || r.psci_smc);

    assert_int_equal(rn.n_mem, 2);
    assert_int_equal(rn.n_cpus, 2);
    assert_int_equal(rn.cpus[1].node, 1);
    assert_int_equal(rn.n_numa_nodes, 2);
    assert_string_equal(ra.bootargs, "test=foo* shell");
}

/* ------------------------------------------------------------------------ */
/* dt_get_prop / header helpers                                              */

/* The boards' device trees: what the kernel relies on, spelled out. */
static void test_board_spot_checks(void **state)
{
    static struct dt_info d;
    (void)state;
    parse_fixture("board-rpi4.dtb", &d);
    assert_string_equal(d.model, "Raspberry Pi 4 Model B");
    assert_int_equal(d.uart.kind, DT_UART_BCM2835_AUX);     /* stdout-path = serial1 */
    assert_int_equal(d.uart.base, 0xfe215040);              /* 0x7e215040 through /soc ranges */
    assert_int_equal(d.uart.reg_io_width, 4);
    assert_false(d.stdout_unknown);
    assert_int_equal(d.n_cpus, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(d.cpus[i].id, (uint64_t)i);
        assert_string_equal(d.cpus[i].enable_method, "spin-table");
        assert_int_equal(d.cpus[i].release_addr, 0xd8 + 8 * (uint64_t)i);
    }
    assert_false(d.psci_hvc || d.psci_smc);                 /* no PSCI: park after TESTBED */
    assert_int_equal(d.mem[0].base, 0);

    parse_fixture("board-visionfive2.dtb", &d);
    assert_string_equal(d.model, "StarFive VisionFive 2 v1.3B");
    assert_int_equal(d.uart.kind, DT_UART_DW8250);
    assert_int_equal(d.uart.base, 0x10000000);
    assert_int_equal(d.uart.reg_shift, 2);
    assert_int_equal(d.uart.reg_io_width, 4);
    assert_int_equal(d.n_mem, 1);
    assert_int_equal(d.mem[0].base, 0x40000000);
    assert_int_equal(d.n_cpus, 5);
    assert_true(d.cpus[0].disabled);                        /* the S7 monitor core */
    assert_string_equal(d.cpus[0].mmu_type, "");
    for (int i = 1; i < 5; i++) {
        assert_false(d.cpus[i].disabled);
        assert_string_equal(d.cpus[i].mmu_type, "riscv,sv39");   /* U74: Sv39 only */
        assert_string_equal(d.cpus[i].isa, "rv64imafdc_zba_zbb");
    }
}

static void test_get_prop(void **state)
{
    size_t len;
    uint8_t *blob = load_fixture("fdt-cells32.dtb", &len);
    const void *v;
    uint32_t l;
    (void)state;

    assert_int_equal(dt_get_prop(blob, len, "/chosen", "stdout-path", &v, &l), DT_OK);
    assert_int_equal(l, sizeof("serial0:115200n8"));
    assert_memory_equal(v, "serial0:115200n8", l);
    /* unit address omitted: first memory node */
    assert_int_equal(dt_get_prop(blob, len, "/memory", "reg", &v, &l), DT_OK);
    assert_int_equal(l, 16);
    assert_int_equal(dt_be32(v), 0x80000000);
    /* first match wins: only memory@c0000000 is hotpluggable */
    assert_int_equal(dt_get_prop(blob, len, "/memory", "hotpluggable", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "/memory@c0000000", "hotpluggable", &v, &l), DT_OK);
    assert_int_equal(l, 0);
    assert_int_equal(dt_get_prop(blob, len, "/memory@c0000000", "reg", &v, &l), DT_OK);
    assert_int_equal(dt_be32(v), 0xc0000000);
    assert_int_equal(dt_get_prop(blob, len, "/soc@10000000/serial@28000", "reg-shift", &v, &l), DT_OK);
    assert_int_equal(l, 4);
    assert_int_equal(dt_be32(v), 2);
    assert_int_equal(dt_get_prop(blob, len, "/soc/serial", "reg-io-width", &v, &l), DT_OK);
    assert_int_equal(dt_be32(v), 4);
    /* alias */
    assert_int_equal(dt_get_prop(blob, len, "serial0", "reg-shift", &v, &l), DT_OK);
    assert_int_equal(dt_be32(v), 2);
    assert_int_equal(dt_get_prop(blob, len, "serial1", "clock-frequency", &v, &l), DT_OK);
    assert_int_equal(dt_be32(v), 24000000);
    /* root, trailing slash, empty property */
    assert_int_equal(dt_get_prop(blob, len, "/", "compatible", &v, &l), DT_OK);
    assert_string_equal((const char *)v, "test,cells32");
    assert_int_equal(dt_get_prop(blob, len, "/cpus/", "#size-cells", &v, &l), DT_OK);
    assert_int_equal(dt_be32(v), 0);
    assert_int_equal(dt_get_prop(blob, len, "/reserved-memory", "ranges", &v, &l), DT_OK);
    assert_int_equal(l, 0);
    /* not found */
    assert_int_equal(dt_get_prop(blob, len, "/chosen", "nope", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "/nope", "reg", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "/cpus/cpu@0/x", "reg", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "/cpu", "reg", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "/memory@8", "reg", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "", "reg", &v, &l), DT_ERR_NOT_FOUND);
    assert_int_equal(dt_get_prop(blob, len, "serial9", "reg", &v, &l), DT_ERR_NOT_FOUND);
    /* property of the parent is not found on the child */
    assert_int_equal(dt_get_prop(blob, len, "/cpus/cpu@1", "#size-cells", &v, &l), DT_ERR_NOT_FOUND);
    /* bad blob */
    assert_int_equal(dt_get_prop(blob, len - 1, "/chosen", "bootargs", &v, &l), DT_ERR_TRUNCATED);
    free(blob);
}

static void test_strerror(void **state)
{
    (void)state;
    for (int e = 0; e >= -8; e--) {
        assert_non_null(dt_strerror(e));
        assert_true(strlen(dt_strerror(e)) > 0);
    }
    assert_string_equal(dt_strerror(DT_OK), "ok");
    assert_string_not_equal(dt_strerror(DT_ERR_TRUNCATED), dt_strerror(DT_ERR_MAGIC));
}

static void test_header_fields(void **state)
{
    size_t len;
    uint8_t *blob = load_fixture("fdt-cells32.dtb", &len);
    struct dt_blob b;
    uint64_t a, s;
    (void)state;

    assert_int_equal(dt_check_header(blob, len, &b), DT_OK);
    assert_int_equal(b.total_size, len);
    assert_int_equal(b.version, 17);
    assert_int_equal(b.n_rsv, 2);
    dt_rsv_entry(&b, 1, &a, &s);
    assert_int_equal(a, 0x9ff00000);
    assert_int_equal(s, 0x100000);
    assert_int_equal(dt_validate(&b), DT_OK);
    free(blob);
}

/* Parse from every misalignment: results must not change (UBSan checks the loads). */
static void test_unaligned(void **state)
{
    size_t len;
    uint8_t *blob = load_fixture("fdt-numa.dtb", &len);
    static struct dt_info ref, got;
    (void)state;

    assert_int_equal(dt_parse(blob, len, &ref), DT_OK);
    for (size_t off = 1; off < 8; off++) {
        uint8_t *buf = malloc(len + off);
        assert_non_null(buf);
        memcpy(buf + off, blob, len);
        assert_int_equal(dt_parse(buf + off, len, &got), DT_OK);
        assert_memory_equal(&got, &ref, sizeof(got));
        free(buf);
    }
    free(blob);
}

/* A larger max_size than totalsize is fine; bytes past totalsize are never used. */
static void test_max_size_larger(void **state)
{
    size_t len;
    uint8_t *blob = load_fixture("fdt-cells32.dtb", &len);
    uint8_t *buf = malloc(len + 100);
    static struct dt_info ref, got;
    (void)state;

    assert_non_null(buf);
    memcpy(buf, blob, len);
    memset(buf + len, 0xff, 100);
    assert_int_equal(dt_parse(blob, len, &ref), DT_OK);
    assert_int_equal(dt_parse(buf, len + 100, &got), DT_OK);
    assert_memory_equal(&got, &ref, sizeof(got));
    free(buf);
    free(blob);
}

static void test_version16(void **state)
{
    size_t len;
    uint8_t *blob = load_fixture("fdt-cells32.dtb", &len);
    static struct dt_info ref, got;
    (void)state;

    assert_int_equal(dt_parse(blob, len, &ref), DT_OK);
    put_be32(blob + 20, 16);
    put_be32(blob + 24, 16);
    put_be32(blob + 36, 0xdeadbeef); /* size_dt_struct does not exist in v16 */
    assert_int_equal(dt_parse(blob, len, &got), DT_OK);
    assert_memory_equal(&got, &ref, sizeof(got));
    free(blob);
}

/* ------------------------------------------------------------------------ */
/* Malformed blobs derived from a good one                                   */

/* dt_parse and dt_get_prop on an exactly-sized copy. Returns dt_parse's result. */
static int parse_copy(const uint8_t *src, size_t len)
{
    uint8_t *buf = dup_exact(src, len);
    static struct dt_info info;
    const void *v;
    uint32_t l;
    int r = dt_parse(buf, len, &info);
    (void)dt_get_prop(buf, len, "/chosen", "bootargs", &v, &l);
    (void)dt_get_prop(buf, len, "serial0", "reg", &v, &l);
    free(buf);
    return r;
}

struct good {
    uint8_t *b;
    size_t len;
    uint32_t off_struct, off_strings, off_rsv, size_struct, size_strings;
};

static void good_load(struct good *g)
{
    g->b = load_fixture("fdt-cells32.dtb", &g->len);
    g->off_struct = get_be32(g->b + 8);
    g->off_strings = get_be32(g->b + 12);
    g->off_rsv = get_be32(g->b + 16);
    g->size_strings = get_be32(g->b + 32);
    g->size_struct = get_be32(g->b + 36);
    assert_int_equal(parse_copy(g->b, g->len), DT_OK);
}

/* Apply a 32-bit patch at off, check parse returns < 0 (or == want if want != 0), undo. */
static void expect_patch(struct good *g, uint32_t off, uint32_t val, int want)
{
    uint32_t old = get_be32(g->b + off);
    int r;
    put_be32(g->b + off, val);
    r = parse_copy(g->b, g->len);
    put_be32(g->b + off, old);
    if (want)
        assert_int_equal(r, want);
    else if (r >= 0) {
        print_error("patch at 0x%x = 0x%x was accepted\n", off, val);
        fail();
    }
}

/* Offset (inside the blob) of the n-th token of the given type, walking raw tokens. */
static uint32_t find_token(const struct good *g, uint32_t type, int nth)
{
    uint32_t pos = g->off_struct, end = g->off_struct + g->size_struct;
    while (pos + 4 <= end) {
        uint32_t t = get_be32(g->b + pos);
        if (t == type && nth-- == 0)
            return pos;
        if (t == 1) {
            size_t n = strlen((const char *)g->b + pos + 4) + 1;
            pos += 4 + (uint32_t)((n + 3) & ~(size_t)3);
        } else if (t == 3) {
            uint32_t l = get_be32(g->b + pos + 4);
            pos += 12 + ((l + 3) & ~3u);
        } else {
            pos += 4;
        }
    }
    fail_msg("token %u #%d not found", type, nth);
    return 0;
}

static void test_bad_header(void **state)
{
    struct good g;
    (void)state;
    good_load(&g);

    expect_patch(&g, 0, 0xd00dfeee, DT_ERR_MAGIC);
    expect_patch(&g, 0, 0xedfe0dd0, DT_ERR_MAGIC);
    expect_patch(&g, 20, 15, DT_ERR_VERSION);
    expect_patch(&g, 20, 1, DT_ERR_VERSION);
    expect_patch(&g, 24, 18, DT_ERR_VERSION);
    /* totalsize larger than the buffer / smaller than a header */
    expect_patch(&g, 4, (uint32_t)g.len + 1, DT_ERR_TRUNCATED);
    expect_patch(&g, 4, 0xffffffff, DT_ERR_TRUNCATED);
    expect_patch(&g, 4, 39, 0);
    expect_patch(&g, 4, 0, 0);
    /* blocks outside totalsize */
    expect_patch(&g, 12, (uint32_t)g.len + 4, 0);                 /* off_dt_strings past end */
    expect_patch(&g, 12, (uint32_t)g.len - 2, 0);                 /* strings run past end */
    expect_patch(&g, 32, g.size_strings + 1, 0);                  /* size_dt_strings too big */
    expect_patch(&g, 32, 0xffffffff, 0);
    expect_patch(&g, 8, (uint32_t)g.len + 4, 0);                  /* off_dt_struct past end */
    expect_patch(&g, 36, 0xfffffffc, 0);                          /* size_dt_struct overflow */
    expect_patch(&g, 36, g.size_struct + g.size_strings + 4, 0);
    expect_patch(&g, 16, (uint32_t)(g.len + 8) & ~7u, 0);         /* rsvmap past end */
    expect_patch(&g, 16, 0xfffffff8, 0);
    /* overlapping blocks */
    expect_patch(&g, 12, g.off_struct, 0);                        /* strings == struct */
    expect_patch(&g, 12, g.off_struct + g.size_struct - 4, 0);    /* strings inside struct */
    expect_patch(&g, 16, g.off_struct, 0);                        /* rsvmap on struct */
    expect_patch(&g, 16, 0, 0);                                   /* rsvmap on header */
    expect_patch(&g, 16, 32, 0);
    expect_patch(&g, 8, 0, 0);                                    /* struct on header */
    expect_patch(&g, 8, g.off_rsv, 0);                            /* struct on rsvmap */
    expect_patch(&g, 12, 4, 0);                                   /* strings on header */
    expect_patch(&g, 36, g.size_struct + 4, 0);                   /* struct into strings */
    /* misaligned blocks */
    expect_patch(&g, 8, g.off_struct + 2, DT_ERR_BAD_OFFSET);
    expect_patch(&g, 16, g.off_rsv + 4, DT_ERR_BAD_OFFSET);
    free(g.b);
}

static void test_truncated_every_length(void **state)
{
    struct good g;
    (void)state;
    good_load(&g);

    for (size_t l = 0; l < g.len; l++) {
        uint8_t *buf = dup_exact(g.b, l);
        static struct dt_info info;
        struct dt_blob b;
        int r;

        /* (a) header still says the full size */
        r = dt_parse(buf, l, &info);
        if (r >= 0)
            fail_msg("truncated to %zu bytes: accepted", l);
        assert_true(dt_check_header(buf, l, &b) < 0);

        /* (b) totalsize patched to the new length */
        if (l >= 8) {
            put_be32(buf + 4, (uint32_t)l);
            r = dt_parse(buf, l, &info);
            if (r >= 0)
                fail_msg("truncated to %zu bytes, totalsize patched: accepted", l);
        }
        /* (c) ... and the block sizes clipped to fit, so only the walk can notice */
        if (l >= 40) {
            uint32_t ss = g.size_struct, sg = g.size_strings;
            if (g.off_struct < l && g.off_struct + ss > l)
                ss = (uint32_t)l - g.off_struct;
            if (g.off_strings < l && g.off_strings + sg > l)
                sg = (uint32_t)l - g.off_strings;
            put_be32(buf + 36, ss);
            put_be32(buf + 32, sg);
            r = dt_parse(buf, l, &info);
            if (r >= 0)
                fail_msg("truncated to %zu bytes, header fixed up: accepted", l);
        }
        free(buf);
    }
    free(g.b);
}

static void test_bad_structure(void **state)
{
    struct good g;
    uint32_t p, end_tok, root_end, remain;
    (void)state;
    good_load(&g);

    end_tok = g.off_struct + g.size_struct - 4;
    assert_int_equal(get_be32(g.b + end_tok), 9);
    root_end = end_tok - 4;
    assert_int_equal(get_be32(g.b + root_end), 2);

    /* missing FDT_END */
    expect_patch(&g, end_tok, 4 /* NOP */, 0);
    expect_patch(&g, end_tok, 0, 0);
    expect_patch(&g, end_tok, 2 /* extra END_NODE */, 0);
    expect_patch(&g, end_tok, 1 /* second root without name space */, 0);
    /* unbalanced BEGIN/END */
    expect_patch(&g, root_end, 4, DT_ERR_BAD_STRUCTURE);
    p = find_token(&g, 2, 0); /* first END_NODE */
    expect_patch(&g, p, 4, 0);
    expect_patch(&g, g.off_struct, 2, 0); /* first token END_NODE */
    expect_patch(&g, g.off_struct, 9, 0); /* first token END */
    expect_patch(&g, g.off_struct, 3, 0); /* property before any node */
    p = find_token(&g, 1, 1); /* second BEGIN_NODE (first child) */
    expect_patch(&g, p, 4, 0);
    expect_patch(&g, p, 2, 0);
    /* unknown token */
    expect_patch(&g, p, 5, DT_ERR_BAD_STRUCTURE);
    expect_patch(&g, p, 0x10, DT_ERR_BAD_STRUCTURE);

    /* property nameoff out of range */
    p = find_token(&g, 3, 0);
    expect_patch(&g, p + 8, g.size_strings, DT_ERR_BAD_OFFSET);
    expect_patch(&g, p + 8, 0xffffffff, DT_ERR_BAD_OFFSET);
    expect_patch(&g, p + 8, 0x80000000, DT_ERR_BAD_OFFSET);
    /* strings block loses its final NUL */
    expect_patch(&g, 32, g.size_strings - 1, DT_ERR_BAD_OFFSET);
    /* property length running past the block, or overflowing 32-bit arithmetic */
    remain = g.off_struct + g.size_struct - (p + 12);
    expect_patch(&g, p + 4, remain + 1, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, remain + 4, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, g.size_struct, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, 0xffffffff, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, 0xfffffffc, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, 0xfffffff9, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, 0x80000000, DT_ERR_TRUNCATED);
    expect_patch(&g, p + 4, remain - 1, 0); /* in range, but the rest is misparsed */
    free(g.b);
}

/* ------------------------------------------------------------------------ */
/* Blobs built token by token                                                */

struct bld {
    uint8_t st[65536];
    uint32_t sl;
    char str[4096];
    uint32_t strl;
    uint64_t rsv[64][2];
    int nrsv;
    bool rsv_unterminated;
};

static void b_init(struct bld *b)
{
    memset(b, 0, sizeof(*b));
}

static void b_u32(struct bld *b, uint32_t v)
{
    assert_true(b->sl + 4 <= sizeof(b->st));
    put_be32(b->st + b->sl, v);
    b->sl += 4;
}

static void b_bytes(struct bld *b, const void *p, size_t n)
{
    assert_true(b->sl + n + 4 <= sizeof(b->st));
    memcpy(b->st + b->sl, p, n);
    b->sl += (uint32_t)n;
    while (b->sl & 3)
        b->st[b->sl++] = 0;
}

static void b_begin(struct bld *b, const char *name)
{
    b_u32(b, 1);
    b_bytes(b, name, strlen(name) + 1);
}

static void b_end(struct bld *b)
{
    b_u32(b, 2);
}

static uint32_t b_stroff(struct bld *b, const char *name)
{
    size_t n = strlen(name) + 1;
    for (uint32_t i = 0; i + n <= b->strl; i++)
        if (memcmp(b->str + i, name, n) == 0 && (i == 0 || b->str[i - 1] == 0))
            return i;
    assert_true(b->strl + n <= sizeof(b->str));
    memcpy(b->str + b->strl, name, n);
    b->strl += (uint32_t)n;
    return b->strl - (uint32_t)n;
}

static void b_prop(struct bld *b, const char *name, const void *v, uint32_t len)
{
    b_u32(b, 3);
    b_u32(b, len);
    b_u32(b, b_stroff(b, name));
    b_bytes(b, v, len);
}

static void b_prop_str(struct bld *b, const char *name, const char *s)
{
    b_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

static void b_prop_cells(struct bld *b, const char *name, int n, ...)
{
    uint8_t v[256];
    va_list ap;
    assert_true(n * 4 <= (int)sizeof(v));
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        put_be32(v + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    b_prop(b, name, v, (uint32_t)(4 * n));
}

static void b_end_tree(struct bld *b)
{
    b_u32(b, 9);
}

/* Header + rsvmap + struct + strings, in a malloc'd exactly-sized buffer. */
static uint8_t *b_blob(const struct bld *b, size_t *len)
{
    uint32_t rsv = 40, nrsv = (uint32_t)b->nrsv + (b->rsv_unterminated ? 0 : 1);
    uint32_t st = rsv + 16 * nrsv, strs = st + b->sl, total = strs + b->strl;
    uint8_t *p = calloc(1, total);

    assert_non_null(p);
    put_be32(p + 0, 0xd00dfeed);
    put_be32(p + 4, total);
    put_be32(p + 8, st);
    put_be32(p + 12, strs);
    put_be32(p + 16, rsv);
    put_be32(p + 20, 17);
    put_be32(p + 24, 16);
    put_be32(p + 28, 0);
    put_be32(p + 32, b->strl);
    put_be32(p + 36, b->sl);
    for (int i = 0; i < b->nrsv; i++) {
        put_be64(p + rsv + 16 * i, b->rsv[i][0]);
        put_be64(p + rsv + 16 * i + 8, b->rsv[i][1]);
    }
    memcpy(p + st, b->st, b->sl);
    memcpy(p + strs, b->str, b->strl);
    *len = total;
    return p;
}

static int b_parse(const struct bld *b, struct dt_info *out)
{
    size_t len;
    uint8_t *p = b_blob(b, &len);
    int r = dt_parse(p, len, out);
    free(p);
    return r;
}

/* Start a tree: root with 2/2 cells. */
static void b_root(struct bld *b)
{
    b_init(b);
    b_begin(b, "");
    b_prop_cells(b, "#address-cells", 1, 2u);
    b_prop_cells(b, "#size-cells", 1, 2u);
}

static void test_built_basic(void **state)
{
    static struct bld b;
    static struct dt_info info;
    (void)state;

    /* the smallest tree */
    b_init(&b);
    b_begin(&b, "");
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.n_mem, 0);
    assert_int_equal(info.n_numa_nodes, 1);
    assert_int_equal(info.uart.kind, DT_UART_NONE);
    assert_int_equal(info.distance[3][3], 10);
    assert_int_equal(info.distance[3][4], 20);

    /* NOPs anywhere */
    b_init(&b);
    b_u32(&b, 4);
    b_begin(&b, "");
    b_u32(&b, 4);
    b_prop_cells(&b, "x", 1, 1u);
    b_u32(&b, 4);
    b_begin(&b, "a");
    b_end(&b);
    b_u32(&b, 4);
    b_end(&b);
    b_u32(&b, 4);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);

    /* empty struct block */
    b_init(&b);
    assert_true(b_parse(&b, &info) < 0);
    /* only END */
    b_init(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* two roots */
    b_init(&b);
    b_begin(&b, "");
    b_end(&b);
    b_begin(&b, "");
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* property after a subnode */
    b_init(&b);
    b_begin(&b, "");
    b_begin(&b, "a");
    b_end(&b);
    b_prop_cells(&b, "x", 1, 1u);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* token after FDT_END is ignored, struct block may have slack after END */
    b_init(&b);
    b_begin(&b, "");
    b_end(&b);
    b_end_tree(&b);
    b_u32(&b, 0xffffffff);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    /* node name without NUL at the end of the block */
    b_init(&b);
    b_begin(&b, "");
    b_u32(&b, 1);
    memcpy(b.st + b.sl, "abcd", 4);
    b.sl += 4;
    assert_int_equal(b_parse(&b, &info), DT_ERR_TRUNCATED);
    /* name NUL is the last byte, padding would run past the block */
    b_init(&b);
    b_begin(&b, "");
    b_u32(&b, 1);
    memcpy(b.st + b.sl, "a\0", 2);
    b.sl += 2;
    assert_int_equal(b_parse(&b, &info), DT_ERR_TRUNCATED);
    /* property header cut short */
    b_init(&b);
    b_begin(&b, "");
    b_u32(&b, 3);
    b_u32(&b, 0);
    assert_int_equal(b_parse(&b, &info), DT_ERR_TRUNCATED);
}

static void test_built_depth(void **state)
{
    static struct bld b;
    static struct dt_info info;
    (void)state;

    for (int depth = DT_MAX_DEPTH; depth <= DT_MAX_DEPTH + 1; depth++) {
        b_init(&b);
        for (int i = 0; i < depth; i++)
            b_begin(&b, i ? "n" : "");
        for (int i = 0; i < depth; i++)
            b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), depth <= DT_MAX_DEPTH ? DT_OK : DT_ERR_BAD_STRUCTURE);
    }
    /* very deep: still a clean error */
    b_init(&b);
    for (int i = 0; i < 5000; i++)
        b_begin(&b, "");
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
}

static void add_mem(struct bld *b, uint64_t base, uint64_t size)
{
    char name[64];
    snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
    b_begin(b, name);
    b_prop_str(b, "device_type", "memory");
    b_prop_cells(b, "reg", 4, (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
                 (uint32_t)size);
    b_end(b);
}

static void test_built_limits(void **state)
{
    static struct bld b;
    static struct dt_info info;
    char big[DT_BOOTARGS_MAX + 1];
    (void)state;

    /* memory entries: DT_MAX_MEM fit, one more does not */
    for (int n = DT_MAX_MEM; n <= DT_MAX_MEM + 1; n++) {
        b_root(&b);
        for (int i = 0; i < n; i++)
            add_mem(&b, 0x100000000ull * (uint64_t)(i + 1), 0x1000);
        b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), n <= DT_MAX_MEM ? DT_OK : DT_ERR_TOO_MANY);
        if (n == DT_MAX_MEM) {
            assert_int_equal(info.n_mem, DT_MAX_MEM);
            assert_int_equal(info.mem[15].base, 0x1000000000ull);
        }
    }
    /* memreserve entries */
    for (int n = DT_MAX_RESERVED; n <= DT_MAX_RESERVED + 1; n++) {
        b_root(&b);
        b_end(&b);
        b_end_tree(&b);
        b.nrsv = n;
        for (int i = 0; i < n; i++) {
            b.rsv[i][0] = 0x1000u * (unsigned)(i + 1);
            b.rsv[i][1] = 0x1000;
        }
        assert_int_equal(b_parse(&b, &info), n <= DT_MAX_RESERVED ? DT_OK : DT_ERR_TOO_MANY);
    }
    /* memreserve block without its terminator */
    b_root(&b);
    b_end(&b);
    b_end_tree(&b);
    b.nrsv = 1;
    b.rsv[0][0] = 0x1000;
    b.rsv[0][1] = 0x1000;
    b.rsv_unterminated = true;
    assert_true(b_parse(&b, &info) < 0);
    /* cpus */
    for (int n = DT_MAX_CPUS; n <= DT_MAX_CPUS + 1; n++) {
        b_root(&b);
        b_begin(&b, "cpus");
        b_prop_cells(&b, "#address-cells", 1, 2u);
        b_prop_cells(&b, "#size-cells", 1, 0u);
        for (int i = 0; i < n; i++) {
            char name[32];
            snprintf(name, sizeof(name), "cpu@%d", i);
            b_begin(&b, name);
            b_prop_str(&b, "device_type", "cpu");
            b_prop_cells(&b, "reg", 2, 0x1u, (uint32_t)i);
            b_end(&b);
        }
        b_end(&b);
        b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), n <= DT_MAX_CPUS ? DT_OK : DT_ERR_TOO_MANY);
        if (n == DT_MAX_CPUS)
            assert_int_equal(info.cpus[5].id, 0x100000005ull);
    }
    /* bootargs: DT_BOOTARGS_MAX-1 characters fit */
    for (int n = DT_BOOTARGS_MAX - 1; n <= DT_BOOTARGS_MAX; n++) {
        memset(big, 'x', (size_t)n);
        big[n] = 0;
        b_root(&b);
        b_begin(&b, "chosen");
        b_prop_str(&b, "bootargs", big);
        b_end(&b);
        b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), n < DT_BOOTARGS_MAX ? DT_OK : DT_ERR_TOO_MANY);
        if (n < DT_BOOTARGS_MAX)
            assert_string_equal(info.bootargs, big);
    }
    /* bootargs without a NUL */
    b_root(&b);
    b_begin(&b, "chosen");
    b_prop(&b, "bootargs", "abc", 3);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* NUMA node id out of range */
    b_root(&b);
    b_begin(&b, "memory@0");
    b_prop_str(&b, "device_type", "memory");
    b_prop_cells(&b, "reg", 4, 0u, 0u, 0u, 0x1000u);
    b_prop_cells(&b, "numa-node-id", 1, (uint32_t)DT_MAX_NODES);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_TOO_MANY);
}

static void test_built_cells(void **state)
{
    static struct bld b;
    static struct dt_info info;
    (void)state;

    /* #address-cells 3 / #size-cells 0 / 3 are rejected where reg is decoded */
    for (int c = 0; c < 4; c++) {
        uint32_t ac = c == 0 ? 3u : c == 1 ? 2u : c == 2 ? 0u : 1u;
        uint32_t sc = c == 0 ? 1u : c == 1 ? 0u : c == 2 ? 1u : 3u;
        b_init(&b);
        b_begin(&b, "");
        b_prop_cells(&b, "#address-cells", 1, ac);
        b_prop_cells(&b, "#size-cells", 1, sc);
        b_begin(&b, "memory@0");
        b_prop_str(&b, "device_type", "memory");
        b_prop_cells(&b, "reg", 4, 0u, 0u, 0u, 0u);
        b_end(&b);
        b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    }
    /* ...but a 3-cell bus elsewhere (PCI) is fine */
    b_root(&b);
    b_begin(&b, "pcie@10000000");
    b_prop_cells(&b, "#address-cells", 1, 3u);
    b_prop_cells(&b, "#size-cells", 1, 2u);
    b_prop_cells(&b, "reg", 4, 0u, 0x10000000u, 0u, 0x1000u);
    b_begin(&b, "dev@0");
    b_prop_cells(&b, "reg", 5, 0u, 0u, 0u, 0u, 0u);
    b_end(&b);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    /* reg length not a multiple of the entry size */
    b_root(&b);
    b_begin(&b, "memory@0");
    b_prop_str(&b, "device_type", "memory");
    b_prop_cells(&b, "reg", 3, 0u, 0u, 0u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* #address-cells of the wrong size */
    b_init(&b);
    b_begin(&b, "");
    b_prop(&b, "#address-cells", "\0\0", 2);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* cpu without reg */
    b_root(&b);
    b_begin(&b, "cpus");
    b_prop_cells(&b, "#address-cells", 1, 1u);
    b_prop_cells(&b, "#size-cells", 1, 0u);
    b_begin(&b, "cpu@0");
    b_prop_str(&b, "device_type", "cpu");
    b_end(&b);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    /* memory node in a bus with a translating ranges; a window that misses is dropped */
    b_root(&b);
    b_begin(&b, "bus@0");
    b_prop_cells(&b, "#address-cells", 1, 1u);
    b_prop_cells(&b, "#size-cells", 1, 1u);
    b_prop_cells(&b, "ranges", 4, 0x1000u, 0x8u, 0x0u, 0x10000u);
    b_begin(&b, "memory@1000");
    b_prop_str(&b, "device_type", "memory");
    b_prop_cells(&b, "reg", 4, 0x2000u, 0x100u, 0x20000u, 0x100u);
    b_end(&b);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.n_mem, 1);
    assert_int_equal(info.mem[0].base, 0x800001000ull);
    assert_int_equal(info.mem[0].size, 0x100);
}

/* Overlaps that only the block-placement check can catch: a reservation map whose
   terminator, or a strings block whose names, lie inside a property value. */
static void test_built_overlap(void **state)
{
    static struct bld b;
    static struct dt_info info;
    uint8_t val[32] = "pad";
    uint8_t *p;
    size_t len;
    uint32_t voff;
    (void)state;

    b_init(&b);
    b_begin(&b, "");
    b_prop(&b, "pad", val, sizeof(val));
    b_end(&b);
    b_end_tree(&b);
    p = b_blob(&b, &len);
    voff = get_be32(p + 8) + 20; /* BEGIN, "", PROP, len, nameoff */
    assert_memory_equal(p + voff, "pad", 4);
    assert_int_equal(dt_parse(p, len, &info), DT_OK);

    put_be32(p + 16, (voff + 7) & ~7u); /* rsvmap = 16 zero bytes inside the value */
    assert_int_equal(dt_parse(p, len, &info), DT_ERR_BAD_OFFSET);
    put_be32(p + 16, 40);
    assert_int_equal(dt_parse(p, len, &info), DT_OK);

    put_be32(p + 12, voff); /* strings block = "pad\0" inside the value */
    put_be32(p + 32, 4);
    assert_int_equal(dt_parse(p, len, &info), DT_ERR_BAD_OFFSET);
    free(p);

    /* strings block = the header; nameoff 20 is the high (zero) byte of "version", a
       valid empty name */
    b_init(&b);
    b_begin(&b, "");
    b_u32(&b, 3);
    b_u32(&b, 0);
    b_u32(&b, 20);
    b_end(&b);
    b_end_tree(&b);
    b_stroff(&b, "x");
    p = b_blob(&b, &len);
    assert_int_equal(dt_parse(p, len, &info), DT_ERR_BAD_OFFSET); /* 20 >= size_strings */
    put_be32(p + 12, 0);
    put_be32(p + 32, 40);
    assert_int_equal(dt_parse(p, len, &info), DT_ERR_BAD_OFFSET);
    put_be32(p + 12, 8); /* still inside the header */
    assert_int_equal(dt_parse(p, len, &info), DT_ERR_BAD_OFFSET);
    free(p);
}

static void test_built_distance(void **state)
{
    static struct bld b;
    static struct dt_info info;
    (void)state;

    /* explicit in both directions, in either order */
    for (int order = 0; order < 2; order++) {
        b_root(&b);
        b_begin(&b, "distance-map");
        b_prop_str(&b, "compatible", "numa-distance-map-v1");
        if (order == 0)
            b_prop_cells(&b, "distance-matrix", 6, 0u, 1u, 25u, 1u, 0u, 30u);
        else
            b_prop_cells(&b, "distance-matrix", 6, 1u, 0u, 30u, 0u, 1u, 25u);
        b_end(&b);
        b_end(&b);
        b_end_tree(&b);
        assert_int_equal(b_parse(&b, &info), DT_OK);
        assert_int_equal(info.distance[0][1], 25);
        assert_int_equal(info.distance[1][0], 30);
        assert_int_equal(info.distance[0][0], 10);
        assert_int_equal(info.distance[2][3], 20);
        assert_int_equal(info.n_numa_nodes, 1); /* only memory/cpus count */
    }
    /* one direction only: mirrored */
    b_root(&b);
    b_begin(&b, "distance-map");
    b_prop_str(&b, "compatible", "numa-distance-map-v1");
    b_prop_cells(&b, "distance-matrix", 3, 2u, 7u, 40u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.distance[2][7], 40);
    assert_int_equal(info.distance[7][2], 40);
    /* malformed: length, node id */
    b_root(&b);
    b_begin(&b, "distance-map");
    b_prop_str(&b, "compatible", "numa-distance-map-v1");
    b_prop_cells(&b, "distance-matrix", 4, 0u, 1u, 25u, 1u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_BAD_STRUCTURE);
    b_root(&b);
    b_begin(&b, "distance-map");
    b_prop_str(&b, "compatible", "numa-distance-map-v1");
    b_prop_cells(&b, "distance-matrix", 3, 0u, (uint32_t)DT_MAX_NODES, 25u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_ERR_TOO_MANY);
}

static void test_built_uart(void **state)
{
    static struct bld b;
    static struct dt_info info;
    (void)state;

    /* stdout-path is a full path with options, chosen comes after the uart; the alias
       and the first-compatible fallback point elsewhere */
    b_root(&b);
    b_begin(&b, "aliases");
    b_prop_str(&b, "serial0", "/a@1000");
    b_end(&b);
    b_begin(&b, "a@1000");
    b_prop_str(&b, "compatible", "ns16550");
    b_prop_cells(&b, "reg", 4, 0u, 0x1000u, 0u, 0x100u);
    b_end(&b);
    b_begin(&b, "b@2000");
    b_prop_str(&b, "compatible", "ns16550a");
    b_prop_cells(&b, "reg", 4, 0u, 0x2000u, 0u, 0x100u);
    b_prop_cells(&b, "reg-io-width", 1, 4u);
    b_prop_cells(&b, "clock-frequency", 2, 0u, 1843200u);
    b_end(&b);
    b_begin(&b, "chosen");
    b_prop_str(&b, "linux,stdout-path", "/b@2000:115200n8");
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.uart.kind, DT_UART_NS16550);
    assert_int_equal(info.uart.base, 0x2000);
    assert_int_equal(info.uart.reg_io_width, 4);
    assert_int_equal(info.uart.clock_hz, 1843200);

    /* stdout-path resolves to something that is not a UART: fall back */
    b_root(&b);
    b_begin(&b, "chosen");
    b_prop_str(&b, "stdout-path", "/fb@0");
    b_end(&b);
    b_begin(&b, "fb@0");
    b_prop_str(&b, "compatible", "simple-framebuffer");
    b_end(&b);
    b_begin(&b, "uart@9000000");
    b_prop(&b, "compatible", "arm,sbsa-uart\0arm,pl011", sizeof("arm,sbsa-uart\0arm,pl011"));
    b_prop_cells(&b, "reg", 4, 0u, 0x9000000u, 0u, 0x1000u);
    b_prop_cells(&b, "clocks", 1, 0x77u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.uart.kind, DT_UART_PL011);
    assert_int_equal(info.uart.base, 0x9000000);
    assert_int_equal(info.uart.clock_hz, 0); /* phandle 0x77 does not exist */

    /* a compatible list without its final NUL matches nothing */
    b_root(&b);
    b_begin(&b, "uart@9000000");
    b_prop(&b, "compatible", "arm,pl011", 9);
    b_prop_cells(&b, "reg", 4, 0u, 0x9000000u, 0u, 0x1000u);
    b_end(&b);
    b_end(&b);
    b_end_tree(&b);
    assert_int_equal(b_parse(&b, &info), DT_OK);
    assert_int_equal(info.uart.kind, DT_UART_NONE);
}

/* ------------------------------------------------------------------------ */
/* Random mutations: whatever the result, no out-of-bounds access            */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void fuzz_one(const char *name, int iters)
{
    size_t len;
    uint8_t *good = load_fixture(name, &len);
    int ok = 0;

    for (int i = 0; i < iters; i++) {
        uint8_t *buf = dup_exact(good, len);
        int flips = 1 + (int)(rnd() % 4);
        size_t l = len;
        for (int k = 0; k < flips; k++) {
            uint32_t pos = rnd() % (uint32_t)len;
            switch (rnd() % 4) {
            case 0: buf[pos] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: buf[pos] = (uint8_t)rnd(); break;
            case 2: /* a random 32-bit word at an aligned spot */
                pos &= ~3u;
                if (pos + 4 <= len)
                    put_be32(buf + pos, rnd() % 3 ? rnd() % 16 : rnd());
                break;
            default: /* small integers land on lengths, offsets and tokens */
                pos &= ~3u;
                if (pos + 4 <= len)
                    put_be32(buf + pos, get_be32(buf + pos) + (rnd() % 9) - 4);
                break;
            }
        }
        if (rnd() % 4 == 0)
            l = rnd() % (uint32_t)len; /* and sometimes shorten the buffer too */
        {
            uint8_t *cut = dup_exact(buf, l);
            if (parse_copy(cut, l) == DT_OK)
                ok++;
            free(cut);
        }
        free(buf);
    }
    (void)ok;
    free(good);
}

static void test_fuzz(void **state)
{
    (void)state;
    fuzz_one("fdt-cells32.dtb", 4000);
    fuzz_one("fdt-numa.dtb", 4000);
    fuzz_one("qemu-riscv64-numa.dtb", 2000);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static struct CMUnitTest fx[N_FIXTURES];
    static char names[N_FIXTURES][96];
    const char *env = getenv("FDT_FIXTURES");
    int failed;

    if (argc > 1)
        fixture_dir = argv[1];
    else if (env && *env)
        fixture_dir = env;

    for (size_t i = 0; i < N_FIXTURES; i++) {
        snprintf(names[i], sizeof(names[i]), "vs_fdtget:%s", all_fixtures[i]);
        memset(&fx[i], 0, sizeof(fx[i]));
        fx[i].name = names[i];
        fx[i].test_func = test_vs_fdtget;
        fx[i].initial_state = (void *)all_fixtures[i];
    }

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells32_expected),
        cmocka_unit_test(test_numa_expected),
        cmocka_unit_test(test_fallback_expected),
        cmocka_unit_test(test_qemu_spot_checks),
        cmocka_unit_test(test_board_spot_checks),
        cmocka_unit_test(test_get_prop),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_unaligned),
        cmocka_unit_test(test_max_size_larger),
        cmocka_unit_test(test_version16),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_built_basic),
        cmocka_unit_test(test_built_depth),
        cmocka_unit_test(test_built_limits),
        cmocka_unit_test(test_built_cells),
        cmocka_unit_test(test_built_overlap),
        cmocka_unit_test(test_built_distance),
        cmocka_unit_test(test_built_uart),
        cmocka_unit_test(test_fuzz),
    };

    failed = _cmocka_run_group_tests("fdt_fdtget", fx, N_FIXTURES, NULL, NULL);
    failed += cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
    return failed ? 1 : 0;
}
