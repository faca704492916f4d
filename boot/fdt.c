/* Flattened device tree (DTB) reader. See fdt.h.
 *
 * Layout facts used here come from the Devicetree Specification (v0.4), chapter 5:
 * 40-byte big-endian header, memory reservation block of (u64 address, u64 size) pairs
 * ended by (0,0), structure block of 4-byte aligned tokens, strings block.
 */
#include "boot/fdt.h"

#include <string.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HDR_V17 40u
#define FDT_HDR_V16 36u

#define TOK_BEGIN_NODE 1u
#define TOK_END_NODE 2u
#define TOK_PROP 3u
#define TOK_NOP 4u
#define TOK_END 9u

const char *dt_strerror(int err)
{
    switch (err) {
    case DT_OK: return "ok";
    case DT_ERR_MAGIC: return "bad magic";
    case DT_ERR_VERSION: return "unsupported version";
    case DT_ERR_TRUNCATED: return "truncated";
    case DT_ERR_BAD_OFFSET: return "bad offset";
    case DT_ERR_BAD_STRUCTURE: return "bad structure";
    case DT_ERR_TOO_MANY: return "too many entries";
    case DT_ERR_NOT_FOUND: return "not found";
    default: return "unknown error";
    }
}

/* ------------------------------------------------------------------------ */
/* Header                                                                    */

/* [off, off+size) lies inside [0, total). */
static bool block_inside(uint32_t off, uint32_t size, uint32_t total)
{
    return off <= total && size <= total - off;
}

/* Half-open intervals overlap (empty intervals never do). */
static bool blocks_overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    if (alen == 0 || blen == 0)
        return false;
    return a < b + blen && b < a + alen; /* no overflow: both inside totalsize (u32) */
}

int dt_check_header(const void *blob, size_t max_size, struct dt_blob *b)
{
    const uint8_t *p = (const uint8_t *)blob;
    uint32_t total, hdr, rsv_end, i;

    memset(b, 0, sizeof(*b));
    if (!p || max_size < 4)
        return DT_ERR_TRUNCATED;
    if (dt_be32(p) != FDT_MAGIC)
        return DT_ERR_MAGIC;
    if (max_size < 8)
        return DT_ERR_TRUNCATED;
    total = dt_be32(p + 4);
    if ((size_t)total > max_size)
        return DT_ERR_TRUNCATED;
    if (total < FDT_HDR_V17)
        return DT_ERR_TRUNCATED;

    b->base = p;
    b->total_size = total;
    b->off_struct = dt_be32(p + 8);
    b->off_strings = dt_be32(p + 12);
    b->off_rsvmap = dt_be32(p + 16);
    b->version = dt_be32(p + 20);
    b->last_comp_version = dt_be32(p + 24);
    b->boot_cpuid_phys = dt_be32(p + 28);
    b->size_strings = dt_be32(p + 32);

    if (b->version < 16 || b->last_comp_version > 17)
        return DT_ERR_VERSION;
    hdr = b->version >= 17 ? FDT_HDR_V17 : FDT_HDR_V16;

    if ((b->off_struct & 3u) || (b->off_rsvmap & 7u))
        return DT_ERR_BAD_OFFSET;
    if (b->off_struct < hdr || b->off_strings < hdr || b->off_rsvmap < hdr)
        return DT_ERR_BAD_OFFSET;
    if (b->off_struct > total || b->off_strings > total || b->off_rsvmap > total)
        return DT_ERR_BAD_OFFSET;

    if (b->version >= 17) {
        b->size_struct = dt_be32(p + 36);
    } else {
        /* v16 has no size_dt_struct: it extends to the next block or the end. */
        uint32_t end = total;
        if (b->off_strings > b->off_struct && b->off_strings < end)
            end = b->off_strings;
        if (b->off_rsvmap > b->off_struct && b->off_rsvmap < end)
            end = b->off_rsvmap;
        b->size_struct = end - b->off_struct;
    }
    if (!block_inside(b->off_struct, b->size_struct, total) ||
        !block_inside(b->off_strings, b->size_strings, total))
        return DT_ERR_BAD_OFFSET;
    if (b->size_struct < 4)
        return DT_ERR_BAD_STRUCTURE;

    /* Memory reservation block: entries until (0,0), all inside totalsize. */
    for (i = 0;; i++) {
        uint32_t pos = b->off_rsvmap + 16u * i; /* i < total/16, no overflow */
        if (total - pos < 16u)
            return DT_ERR_TRUNCATED;
        if (dt_be64(p + pos) == 0 && dt_be64(p + pos + 8) == 0)
            break;
    }
    b->n_rsv = i;
    rsv_end = 16u * (i + 1);

    if (blocks_overlap(b->off_rsvmap, rsv_end, b->off_struct, b->size_struct) ||
        blocks_overlap(b->off_rsvmap, rsv_end, b->off_strings, b->size_strings) ||
        blocks_overlap(b->off_struct, b->size_struct, b->off_strings, b->size_strings))
        return DT_ERR_BAD_OFFSET;
    return DT_OK;
}

void dt_rsv_entry(const struct dt_blob *b, uint32_t i, uint64_t *addr, uint64_t *size)
{
    const uint8_t *e = b->base + b->off_rsvmap + 16u * i;
    *addr = dt_be64(e);
    *size = dt_be64(e + 8);
}

/* ------------------------------------------------------------------------ */
/* Structure block iteration                                                 */

void dt_iter_init(struct dt_iter *it, const struct dt_blob *b)
{
    memset(it, 0, sizeof(*it));
    it->b = b;
}


int dt_iter_next(struct dt_iter *it, struct dt_token *tok)
{
    const struct dt_blob *b = it->b;
    const uint8_t *s = b->base + b->off_struct;
    uint32_t size = b->size_struct;

    tok->name = "";
    tok->val = NULL;
    tok->len = 0;
    if (it->done) {
        tok->type = DT_TOK_END;
        tok->depth = 0;
        return DT_OK;
    }
    for (;;) {
        uint32_t tag, pos = it->pos;
        if (pos > size || size - pos < 4u)
            return DT_ERR_TRUNCATED;
        tag = dt_be32(s + pos);
        pos += 4u;
        switch (tag) {
        case TOK_NOP:
            it->pos = pos;
            continue;
        case TOK_BEGIN_NODE: {
            uint32_t n = pos;
            if (it->depth >= DT_MAX_DEPTH)
                return DT_ERR_BAD_STRUCTURE;
            if (it->depth == 0 && it->child_seen)
                return DT_ERR_BAD_STRUCTURE; /* second root node */
            while (n < size && s[n] != 0)
                n++;
            if (n >= size)
                return DT_ERR_TRUNCATED;
            n++; /* past NUL */
            if (n & 3u) {
                uint32_t pad = 4u - (n & 3u);
                if (size - n < pad)
                    return DT_ERR_TRUNCATED;
                n += pad;
            }
            tok->type = DT_TOK_BEGIN_NODE;
            tok->name = (const char *)(s + pos);
            it->depth++;
            tok->depth = it->depth;
            it->child_seen = false;
            it->pos = n;
            return DT_OK;
        }
        case TOK_END_NODE:
            if (it->depth == 0)
                return DT_ERR_BAD_STRUCTURE;
            tok->type = DT_TOK_END_NODE;
            tok->depth = it->depth;
            it->depth--;
            it->child_seen = true; /* the parent (or, at depth 0, the tree) has had a child */
            it->pos = pos;
            return DT_OK;
        case TOK_PROP: {
            uint32_t len, nameoff, i;
            if (it->depth == 0 || it->child_seen)
                return DT_ERR_BAD_STRUCTURE; /* outside a node, or after a subnode */
            if (size - pos < 8u)
                return DT_ERR_TRUNCATED;
            len = dt_be32(s + pos);
            nameoff = dt_be32(s + pos + 4);
            pos += 8u;
            if (len > size - pos)
                return DT_ERR_TRUNCATED;
            tok->val = s + pos;
            tok->len = len;
            pos += len;
            if (pos & 3u) {
                uint32_t pad = 4u - (pos & 3u);
                if (size - pos < pad)
                    return DT_ERR_TRUNCATED;
                pos += pad;
            }
            if (nameoff >= b->size_strings)
                return DT_ERR_BAD_OFFSET;
            {
                const uint8_t *str = b->base + b->off_strings;
                for (i = nameoff; i < b->size_strings && str[i] != 0; i++)
                    ;
                if (i >= b->size_strings)
                    return DT_ERR_BAD_OFFSET;
                tok->name = (const char *)(str + nameoff);
            }
            tok->type = DT_TOK_PROP;
            tok->depth = it->depth;
            it->pos = pos;
            return DT_OK;
        }
        case TOK_END:
            if (it->depth != 0 || !it->child_seen)
                return DT_ERR_BAD_STRUCTURE;
            tok->type = DT_TOK_END;
            tok->depth = 0;
            it->pos = pos;
            it->done = true;
            return DT_OK;
        default:
            return DT_ERR_BAD_STRUCTURE;
        }
    }
}

int dt_validate(const struct dt_blob *b)
{
    struct dt_iter it;
    struct dt_token tok;
    int r;

    dt_iter_init(&it, b);
    do {
        r = dt_iter_next(&it, &tok);
        if (r < 0)
            return r;
    } while (tok.type != DT_TOK_END);
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

/* Node name n matches path component c[0..clen): exactly, or c has no unit
   address and n is "c@...". */
static bool name_match(const char *n, const char *c, size_t clen)
{
    size_t i;
    bool c_has_at = false;

    for (i = 0; i < clen; i++) {
        if (n[i] != c[i])
            return false;
        if (c[i] == '@')
            c_has_at = true;
    }
    return n[clen] == 0 || (n[clen] == '@' && !c_has_at);
}

/* Value is exactly the string s (including its NUL). */
static bool prop_streq(const uint8_t *v, uint32_t len, const char *s)
{
    size_t n = strlen(s) + 1;
    return v && len == n && memcmp(v, s, n) == 0;
}

/* NUL-separated string list contains s. */
static bool prop_strlist_has(const uint8_t *v, uint32_t len, const char *s)
{
    size_t n = strlen(s) + 1;
    uint32_t i = 0;

    if (!v)
        return false;
    while (i < len) {
        uint32_t j = i;
        while (j < len && v[j] != 0)
            j++;
        if (j >= len)
            return false; /* unterminated tail */
        if (j - i + 1 == n && memcmp(v + i, s, n) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

/* Length of the string in v (up to its NUL); -1 if v has no NUL within len.
   A zero-length property counts as the empty string. */
static int64_t prop_strlen(const uint8_t *v, uint32_t len)
{
    uint32_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (v[i] == 0)
            return i;
    return -1;
}

/* One- or two-cell integer that fits 32 bits. */
static bool prop_u32(const uint8_t *v, uint32_t len, uint32_t *out)
{
    if (!v)
        return false;
    if (len == 4) {
        *out = dt_be32(v);
        return true;
    }
    if (len == 8 && dt_be32(v) == 0) {
        *out = dt_be32(v + 4);
        return true;
    }
    return false;
}

static uint64_t read_cells(const uint8_t *p, unsigned n)
{
    return n == 2 ? dt_be64(p) : dt_be32(p);
}

/* ------------------------------------------------------------------------ */
/* Path lookup                                                               */

/* Per-depth state for matching one path against the tree. */
struct path_match {
    const char *path;
    size_t len;
    size_t tpos[DT_MAX_DEPTH + 1];  /* path offset after this node's component */
    bool match[DT_MAX_DEPTH + 1];   /* this node lies on the path */
};

static void pm_init(struct path_match *pm, const char *path, size_t len)
{
    pm->path = path;
    pm->len = len;
}

/* Called on BEGIN_NODE at depth d; returns true when this node is the path's target. */
static bool pm_begin(struct path_match *pm, int d, const char *name)
{
    size_t i, j;

    if (d == 1) {
        pm->match[1] = pm->len > 0 && pm->path[0] == '/';
        pm->tpos[1] = 0;
    } else {
        pm->match[d] = false;
        if (pm->match[d - 1]) {
            i = pm->tpos[d - 1];
            while (i < pm->len && pm->path[i] == '/')
                i++;
            j = i;
            while (j < pm->len && pm->path[j] != '/')
                j++;
            if (j > i && name_match(name, pm->path + i, j - i)) {
                pm->match[d] = true;
                pm->tpos[d] = j;
            }
        }
    }
    if (!pm->match[d])
        return false;
    for (i = pm->tpos[d]; i < pm->len && pm->path[i] == '/'; i++)
        ;
    return i == pm->len;
}

static int find_prop(const struct dt_blob *b, const char *path, size_t plen, const char *prop,
                     size_t proplen, const uint8_t **val, uint32_t *len);

/* Resolve path, which may be an alias name, to a path inside the blob. */
static int resolve_path(const struct dt_blob *b, const char *path, size_t plen, const char **out,
                        size_t *olen)
{
    const uint8_t *v;
    uint32_t vl;
    int64_t sl;
    int r;
    size_t i;

    if (plen > 0 && path[0] == '/') {
        *out = path;
        *olen = plen;
        return DT_OK;
    }
    if (plen == 0)
        return DT_ERR_NOT_FOUND;
    for (i = 0; i < plen; i++)
        if (path[i] == '/' || path[i] == 0)
            return DT_ERR_NOT_FOUND; /* "alias/sub" is not supported */
    r = find_prop(b, "/aliases", 8, path, plen, &v, &vl);
    if (r < 0)
        return r;
    sl = prop_strlen(v, vl);
    if (sl <= 0 || v[0] != '/')
        return DT_ERR_NOT_FOUND;
    *out = (const char *)v;
    *olen = (size_t)sl;
    return DT_OK;
}

static int find_prop(const struct dt_blob *b, const char *path, size_t plen, const char *prop,
                     size_t proplen, const uint8_t **val, uint32_t *len)
{
    struct path_match pm;
    struct dt_iter it;
    struct dt_token tok;
    int r, target = 0;

    if (plen == 0 || path[0] != '/')
        return DT_ERR_NOT_FOUND;
    pm_init(&pm, path, plen);
    dt_iter_init(&it, b);
    for (;;) {
        r = dt_iter_next(&it, &tok);
        if (r < 0)
            return r;
        switch (tok.type) {
        case DT_TOK_BEGIN_NODE:
            if (target)
                return DT_ERR_NOT_FOUND; /* target's properties are over */
            if (pm_begin(&pm, tok.depth, tok.name))
                target = tok.depth;
            break;
        case DT_TOK_PROP:
            if (target && tok.depth == target && strncmp(tok.name, prop, proplen) == 0 &&
                tok.name[proplen] == 0) {
                *val = (const uint8_t *)tok.val;
                *len = tok.len;
                return DT_OK;
            }
            break;
        case DT_TOK_END_NODE:
            if (target)
                return DT_ERR_NOT_FOUND;
            break;
        case DT_TOK_END:
            return DT_ERR_NOT_FOUND;
        }
    }
}

int dt_get_prop_b(const struct dt_blob *b, const char *node_path, size_t path_len,
                  const char *prop, const void **val, uint32_t *len)
{
    const char *p;
    size_t pl;
    const uint8_t *v;
    int r;

    if (!node_path || !prop)
        return DT_ERR_NOT_FOUND;
    r = resolve_path(b, node_path, path_len, &p, &pl);
    if (r < 0)
        return r;
    r = find_prop(b, p, pl, prop, strlen(prop), &v, len);
    if (r == DT_OK)
        *val = v;
    return r;
}

int dt_get_prop(const void *blob, size_t max_size, const char *node_path, const char *prop,
                const void **val, uint32_t *len)
{
    struct dt_blob b;
    int r = dt_check_header(blob, max_size, &b);

    if (r < 0)
        return r;
    if (!node_path)
        return DT_ERR_NOT_FOUND;
    return dt_get_prop_b(&b, node_path, strlen(node_path), prop, val, len);
}

/* ------------------------------------------------------------------------ */
/* dt_parse                                                                  */

enum {
    P_ADDR_CELLS, P_SIZE_CELLS, P_RANGES, P_REG, P_DEVICE_TYPE, P_COMPAT, P_STATUS, P_NUMA,
    P_ISA, P_MMU, P_CLOCK_FREQ, P_CLOCKS, P_REG_SHIFT, P_REG_IO_WIDTH, P_TIMEBASE, P_METHOD,
    P_BOOTARGS, P_DISTANCE, P_ENABLE_METHOD, P_RELEASE_ADDR, P_MODEL, P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    [P_ADDR_CELLS] = "#address-cells",
    [P_SIZE_CELLS] = "#size-cells",
    [P_RANGES] = "ranges",
    [P_REG] = "reg",
    [P_DEVICE_TYPE] = "device_type",
    [P_COMPAT] = "compatible",
    [P_STATUS] = "status",
    [P_NUMA] = "numa-node-id",
    [P_ISA] = "riscv,isa",
    [P_MMU] = "mmu-type",
    [P_CLOCK_FREQ] = "clock-frequency",
    [P_CLOCKS] = "clocks",
    [P_REG_SHIFT] = "reg-shift",
    [P_REG_IO_WIDTH] = "reg-io-width",
    [P_TIMEBASE] = "timebase-frequency",
    [P_METHOD] = "method",
    [P_BOOTARGS] = "bootargs",
    [P_DISTANCE] = "distance-matrix",
    [P_ENABLE_METHOD] = "enable-method",
    [P_RELEASE_ADDR] = "cpu-release-addr",
    [P_MODEL] = "model",
};

const char *dt_uart_kind_name(enum dt_uart_kind kind)
{
    switch (kind) {
    case DT_UART_PL011: return "arm,pl011";
    case DT_UART_NS16550: return "ns16550a";
    case DT_UART_DW8250: return "snps,dw-apb-uart";
    case DT_UART_BCM2835_AUX: return "brcm,bcm2835-aux-uart";
    case DT_UART_SIFIVE: return "sifive,uart0";
    case DT_UART_NONE: break;
    }
    return "none";
}


#define F_RANGES 0x01u    /* node has a "ranges" property */
#define F_CPUS 0x02u      /* node is /cpus */
#define F_RESMEM 0x04u    /* node is /reserved-memory */

/* Copy a string property into buf (size n): whole if it fits, else cut to n-1
 * characters when cut is set, else left "". */
static void copy_str(char *buf, size_t n, const uint8_t *v, uint32_t len, bool cut)
{
    int64_t sl = v ? prop_strlen(v, len) : -1;
    buf[0] = 0;
    if (sl < 0)
        return;
    if ((uint64_t)sl > n - 1) {
        if (!cut)
            return;
        sl = (int64_t)n - 1;
    }
    memcpy(buf, v, (size_t)sl);
    buf[sl] = 0;
}

struct frame {
    const uint8_t *ranges;
    uint32_t ranges_len;
    uint8_t ac, sc;       /* #address-cells / #size-cells for this node's children */
    uint8_t flags;
    char enable_method[DT_ENABLE_METHOD_MAX];  /* /cpus: the default for its cpu nodes */
};

struct node_props {
    const char *name;
    int depth;
    bool pending;         /* properties collected, node not yet processed */
    bool stdout_target;
    const uint8_t *v[P_COUNT];
    uint32_t l[P_COUNT];
};

struct uart_cand {
    bool found;
    struct dt_uart u;
    uint32_t clock_phandle; /* 0: none */
};

struct parse_state {
    const struct dt_blob *b;
    struct dt_info *out;
    struct frame fr[DT_MAX_DEPTH + 1];
    struct node_props np;
    struct path_match pm;  /* stdout-path target */
    bool have_stdout, stdout_seen;
    struct uart_cand uart_stdout, uart_first;
    bool have_dist, have_finisher;
    int max_numa;
};

static bool cells_ok(unsigned c)
{
    return c == 1 || c == 2;
}

/* Translate addr, a bus address of a child of the node at depth d, to a root (CPU)
   address by walking "ranges" upwards. A bus without "ranges", or with an empty one,
   maps 1:1. Returns false when no ranges window contains addr. */
static bool translate(const struct parse_state *st, int d, uint64_t *addr)
{
    int k;

    for (k = d; k >= 2; k--) {
        const struct frame *f = &st->fr[k];
        unsigned ca = f->ac, pa = st->fr[k - 1].ac, sz = f->sc, esz;
        uint32_t off;
        bool hit = false;

        if (!(f->flags & F_RANGES) || f->ranges_len == 0)
            continue;
        if (!cells_ok(ca) || !cells_ok(pa) || !cells_ok(sz))
            return false;
        esz = 4u * (ca + pa + sz);
        if (f->ranges_len % esz)
            return false;
        for (off = 0; off < f->ranges_len; off += esz) {
            const uint8_t *e = f->ranges + off;
            uint64_t cb = read_cells(e, ca);
            uint64_t pb = read_cells(e + 4u * ca, pa);
            uint64_t len = read_cells(e + 4u * (ca + pa), sz);
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

/* Check the reg property of the current node against the parent's cells. */
static int reg_layout(const struct parse_state *st, unsigned *ac, unsigned *sc, uint32_t *n)
{
    const struct frame *parent = &st->fr[st->np.depth - 1];
    uint32_t esz;

    *ac = parent->ac;
    *sc = parent->sc;
    if (!cells_ok(*ac) || !cells_ok(*sc))
        return DT_ERR_BAD_STRUCTURE;
    esz = 4u * (*ac + *sc);
    if (st->np.l[P_REG] % esz)
        return DT_ERR_BAD_STRUCTURE;
    *n = st->np.l[P_REG] / esz;
    return DT_OK;
}

static void reg_entry(const struct parse_state *st, unsigned ac, unsigned sc, uint32_t i,
                      uint64_t *base, uint64_t *size)
{
    const uint8_t *e = st->np.v[P_REG] + 4u * (ac + sc) * i;
    *base = read_cells(e, ac);
    *size = read_cells(e + 4u * ac, sc);
}

static int node_numa(const struct parse_state *st, int *node)
{
    uint32_t v;

    *node = -1;
    if (!st->np.v[P_NUMA])
        return DT_OK;
    if (!prop_u32(st->np.v[P_NUMA], st->np.l[P_NUMA], &v))
        return DT_ERR_BAD_STRUCTURE;
    if (v >= DT_MAX_NODES)
        return DT_ERR_TOO_MANY;
    *node = (int)v;
    return DT_OK;
}

static bool status_ok(const struct node_props *np)
{
    return !np->v[P_STATUS] || prop_streq(np->v[P_STATUS], np->l[P_STATUS], "okay") ||
           prop_streq(np->v[P_STATUS], np->l[P_STATUS], "ok");
}

static int do_memory(struct parse_state *st)
{
    struct dt_info *o = st->out;
    unsigned ac, sc;
    uint32_t n, i;
    int node, r;

    if (!st->np.v[P_REG])
        return DT_OK;
    r = reg_layout(st, &ac, &sc, &n);
    if (r < 0)
        return r;
    r = node_numa(st, &node);
    if (r < 0)
        return r;
    if (node > st->max_numa)
        st->max_numa = node;
    for (i = 0; i < n; i++) {
        uint64_t base, size;
        reg_entry(st, ac, sc, i, &base, &size);
        if (!translate(st, st->np.depth - 1, &base))
            continue; /* not reachable from the CPU: leave it out */
        if (o->n_mem >= DT_MAX_MEM)
            return DT_ERR_TOO_MANY;
        o->mem[o->n_mem].base = base;
        o->mem[o->n_mem].size = size;
        o->mem[o->n_mem].node = node;
        o->n_mem++;
    }
    return DT_OK;
}

static int do_reserved_child(struct parse_state *st)
{
    struct dt_info *o = st->out;
    unsigned ac, sc;
    uint32_t n, i;
    int r;

    if (!st->np.v[P_REG])
        return DT_OK; /* dynamically placed ("size" only): nothing fixed to reserve */
    r = reg_layout(st, &ac, &sc, &n);
    if (r < 0)
        return r;
    for (i = 0; i < n; i++) {
        uint64_t base, size;
        reg_entry(st, ac, sc, i, &base, &size);
        (void)translate(st, st->np.depth - 1, &base); /* untranslatable: keep raw */
        if (o->n_reserved >= DT_MAX_RESERVED)
            return DT_ERR_TOO_MANY;
        o->reserved[o->n_reserved].base = base;
        o->reserved[o->n_reserved].size = size;
        o->reserved[o->n_reserved].node = -1;
        o->n_reserved++;
    }
    return DT_OK;
}

static int do_cpu(struct parse_state *st)
{
    struct dt_info *o = st->out;
    const struct frame *parent = &st->fr[st->np.depth - 1];
    struct dt_cpu *c;
    int64_t sl;
    int node, r;

    if (!cells_ok(parent->ac))
        return DT_ERR_BAD_STRUCTURE;
    if (!st->np.v[P_REG] || st->np.l[P_REG] < 4u * parent->ac)
        return DT_ERR_BAD_STRUCTURE;
    r = node_numa(st, &node);
    if (r < 0)
        return r;
    if (o->n_cpus >= DT_MAX_CPUS)
        return DT_ERR_TOO_MANY;
    if (node > st->max_numa)
        st->max_numa = node;
    c = &o->cpus[o->n_cpus];
    c->id = read_cells(st->np.v[P_REG], parent->ac);
    c->node = node;
    if (st->np.v[P_ISA]) {
        sl = prop_strlen(st->np.v[P_ISA], st->np.l[P_ISA]);
        if (sl < 0)
            return DT_ERR_BAD_STRUCTURE;
        if (sl > DT_ISA_MAX - 1) {
            sl = DT_ISA_MAX - 1;
            c->isa_truncated = true;
        }
        memcpy(c->isa, st->np.v[P_ISA], (size_t)sl);
        c->isa[sl] = 0;
    }
    if (st->np.v[P_MMU]) {
        sl = prop_strlen(st->np.v[P_MMU], st->np.l[P_MMU]);
        if (sl > 0 && sl < DT_MMU_TYPE_MAX) {
            memcpy(c->mmu_type, st->np.v[P_MMU], (size_t)sl);
            c->mmu_type[sl] = 0;
        }
    }
    if (st->np.v[P_ENABLE_METHOD])
        copy_str(c->enable_method, sizeof(c->enable_method), st->np.v[P_ENABLE_METHOD],
                 st->np.l[P_ENABLE_METHOD], false);
    else
        memcpy(c->enable_method, parent->enable_method, sizeof(c->enable_method));
    if (st->np.v[P_RELEASE_ADDR]) {
        uint32_t l = st->np.l[P_RELEASE_ADDR];
        if (l != 4 && l != 8)
            return DT_ERR_BAD_STRUCTURE;
        c->release_addr = read_cells(st->np.v[P_RELEASE_ADDR], l / 4);
    }
    c->disabled = !status_ok(&st->np);
    o->n_cpus++;
    return DT_OK;
}

static int do_chosen(struct parse_state *st)
{
    const uint8_t *v = st->np.v[P_BOOTARGS];
    int64_t sl;

    if (!v)
        return DT_OK;
    sl = prop_strlen(v, st->np.l[P_BOOTARGS]);
    if (sl < 0)
        return DT_ERR_BAD_STRUCTURE;
    if (sl > DT_BOOTARGS_MAX - 1)
        return DT_ERR_TOO_MANY;
    memcpy(st->out->bootargs, v, (size_t)sl);
    st->out->bootargs[sl] = 0;
    return DT_OK;
}

static int do_distance(struct parse_state *st)
{
    const uint8_t *v = st->np.v[P_DISTANCE];
    uint32_t len = st->np.l[P_DISTANCE], off;
    uint64_t explicit_set = 0;

    if (!v)
        return DT_OK;
    if (len % 12u)
        return DT_ERR_BAD_STRUCTURE;
    for (off = 0; off < len; off += 12u) {
        uint32_t a = dt_be32(v + off), bb = dt_be32(v + off + 4), d = dt_be32(v + off + 8);
        if (a >= DT_MAX_NODES || bb >= DT_MAX_NODES)
            return DT_ERR_TOO_MANY;
        st->out->distance[a][bb] = d;
        explicit_set |= 1ull << (a * DT_MAX_NODES + bb);
        if (!(explicit_set & (1ull << (bb * DT_MAX_NODES + a))))
            st->out->distance[bb][a] = d;
    }
    return DT_OK;
}

/* First reg entry of the current node, translated. 1: ok, 0: unusable, <0: error. */
static int first_reg(struct parse_state *st, uint64_t *base, uint64_t *size)
{
    unsigned ac, sc;
    uint32_t n;
    int r;

    if (!st->np.v[P_REG])
        return 0;
    r = reg_layout(st, &ac, &sc, &n);
    if (r < 0)
        return r;
    if (n == 0)
        return 0;
    reg_entry(st, ac, sc, 0, base, size);
    return translate(st, st->np.depth - 1, base) ? 1 : 0;
}

static int do_uart(struct parse_state *st, enum dt_uart_kind kind, struct uart_cand *c)
{
    const struct node_props *np = &st->np;
    uint64_t base, size;
    uint32_t v;
    int r = first_reg(st, &base, &size);

    if (r <= 0)
        return r;
    memset(c, 0, sizeof(*c));
    c->found = true;
    c->u.kind = kind;
    c->u.base = base;
    c->u.size = size;
    c->u.reg_io_width = kind == DT_UART_NS16550 || kind == DT_UART_DW8250 ? 1 : 4;
    if (prop_u32(np->v[P_REG_SHIFT], np->l[P_REG_SHIFT], &v))
        c->u.reg_shift = v;
    if (prop_u32(np->v[P_REG_IO_WIDTH], np->l[P_REG_IO_WIDTH], &v))
        c->u.reg_io_width = v;
    if (prop_u32(np->v[P_CLOCK_FREQ], np->l[P_CLOCK_FREQ], &v))
        c->u.clock_hz = v;
    else if (np->v[P_CLOCKS] && np->l[P_CLOCKS] >= 4)
        c->clock_phandle = dt_be32(np->v[P_CLOCKS]);
    return DT_OK;
}

static enum dt_uart_kind uart_kind(const struct node_props *np)
{
    const uint8_t *v = np->v[P_COMPAT];
    uint32_t l = np->l[P_COMPAT];

    if (prop_strlist_has(v, l, "arm,pl011"))
        return DT_UART_PL011;
    if (prop_strlist_has(v, l, "ns16550a") || prop_strlist_has(v, l, "ns16550"))
        return DT_UART_NS16550;
    if (prop_strlist_has(v, l, "snps,dw-apb-uart"))
        return DT_UART_DW8250;
    if (prop_strlist_has(v, l, "brcm,bcm2835-aux-uart"))
        return DT_UART_BCM2835_AUX;
    if (prop_strlist_has(v, l, "sifive,uart0"))
        return DT_UART_SIFIVE;
    return DT_UART_NONE;
}

/* All properties of the node at st->np.depth are known, its subnodes not yet seen. */
static int process_node(struct parse_state *st)
{
    struct node_props *np = &st->np;
    struct frame *f = &st->fr[np->depth];
    const struct frame *parent = np->depth > 1 ? &st->fr[np->depth - 1] : NULL;
    const uint8_t *compat = np->v[P_COMPAT];
    uint32_t compat_len = np->l[P_COMPAT], v;
    enum dt_uart_kind kind;
    int r;

    np->pending = false;

    /* Cells and ranges for the children. */
    f->ac = 2;
    f->sc = 1;
    if (np->v[P_ADDR_CELLS]) {
        if (np->l[P_ADDR_CELLS] != 4)
            return DT_ERR_BAD_STRUCTURE;
        v = dt_be32(np->v[P_ADDR_CELLS]);
        f->ac = v > 255 ? 255 : (uint8_t)v;
    }
    if (np->v[P_SIZE_CELLS]) {
        if (np->l[P_SIZE_CELLS] != 4)
            return DT_ERR_BAD_STRUCTURE;
        v = dt_be32(np->v[P_SIZE_CELLS]);
        f->sc = v > 255 ? 255 : (uint8_t)v;
    }
    f->flags = 0;
    f->ranges = np->v[P_RANGES];
    f->ranges_len = np->l[P_RANGES];
    if (np->v[P_RANGES])
        f->flags |= F_RANGES;

    if (np->depth == 1) {
        copy_str(st->out->model, sizeof(st->out->model), np->v[P_MODEL], np->l[P_MODEL], true);
        return DT_OK;
    }

    if (np->depth == 2) {
        if (name_match(np->name, "chosen", 6)) {
            r = do_chosen(st);
            if (r < 0)
                return r;
        } else if (name_match(np->name, "cpus", 4)) {
            f->flags |= F_CPUS;
            copy_str(f->enable_method, sizeof(f->enable_method), np->v[P_ENABLE_METHOD],
                     np->l[P_ENABLE_METHOD], false);
            if (prop_u32(np->v[P_TIMEBASE], np->l[P_TIMEBASE], &v))
                st->out->timebase_hz = v;
        } else if (name_match(np->name, "reserved-memory", 15)) {
            f->flags |= F_RESMEM;
        } else if (name_match(np->name, "psci", 4)) {
            st->out->psci_hvc = prop_streq(np->v[P_METHOD], np->l[P_METHOD], "hvc");
            st->out->psci_smc = prop_streq(np->v[P_METHOD], np->l[P_METHOD], "smc");
        }
    }

    if (parent && (parent->flags & F_CPUS) && prop_streq(np->v[P_DEVICE_TYPE],
                                                         np->l[P_DEVICE_TYPE], "cpu")) {
        r = do_cpu(st);
        if (r < 0)
            return r;
    }
    if (prop_streq(np->v[P_DEVICE_TYPE], np->l[P_DEVICE_TYPE], "memory")) {
        r = do_memory(st);
        if (r < 0)
            return r;
    }
    if (parent && (parent->flags & F_RESMEM)) {
        r = do_reserved_child(st);
        if (r < 0)
            return r;
    }
    if (!st->have_dist && prop_strlist_has(compat, compat_len, "numa-distance-map-v1")) {
        st->have_dist = true;
        r = do_distance(st);
        if (r < 0)
            return r;
    }
    if (!st->have_finisher && status_ok(np) &&
        (prop_strlist_has(compat, compat_len, "sifive,test0") ||
         prop_strlist_has(compat, compat_len, "sifive,test1"))) {
        uint64_t base, size;
        r = first_reg(st, &base, &size);
        if (r < 0)
            return r;
        if (r > 0) {
            st->have_finisher = true;
            st->out->test_finisher_base = base;
        }
    }
    kind = uart_kind(np);
    if (kind == DT_UART_NONE && np->stdout_target)
        st->out->stdout_unknown = true;
    if (kind != DT_UART_NONE) {
        if (np->stdout_target) {
            r = do_uart(st, kind, &st->uart_stdout);
            if (r < 0)
                return r;
        }
        if (!st->uart_first.found && status_ok(np)) {
            r = do_uart(st, kind, &st->uart_first);
            if (r < 0)
                return r;
        }
    }
    return DT_OK;
}

static void np_reset(struct node_props *np, const char *name, int depth)
{
    memset(np, 0, sizeof(*np));
    np->name = name;
    np->depth = depth;
    np->pending = true;
}

static int prop_index(const char *name)
{
    int i;
    for (i = 0; i < P_COUNT; i++)
        if (strcmp(name, prop_names[i]) == 0)
            return i;
    return -1;
}

/* Find the clock-frequency of the node whose phandle is ph. */
static uint32_t phandle_clock(const struct dt_blob *b, uint32_t ph)
{
    struct dt_iter it;
    struct dt_token tok;
    int depth = 0;
    bool hit = false;
    uint32_t freq = 0, v;

    dt_iter_init(&it, b);
    for (;;) {
        if (dt_iter_next(&it, &tok) < 0)
            return 0;
        if (tok.type == DT_TOK_END)
            return 0;
        if (tok.type == DT_TOK_BEGIN_NODE || tok.type == DT_TOK_END_NODE) {
            if (hit)
                return freq;
            depth = tok.depth;
            freq = 0;
            continue;
        }
        if (tok.depth != depth)
            continue;
        if ((strcmp(tok.name, "phandle") == 0 || strcmp(tok.name, "linux,phandle") == 0) &&
            tok.len == 4 && dt_be32(tok.val) == ph)
            hit = true;
        else if (strcmp(tok.name, "clock-frequency") == 0 &&
                 prop_u32((const uint8_t *)tok.val, tok.len, &v))
            freq = v;
    }
}

/* Locate the stdout-path target (path without ":options"). */
static int stdout_target(const struct dt_blob *b, const char **path, size_t *plen)
{
    const void *v;
    uint32_t len;
    int64_t sl;
    size_t n;
    int r;

    r = dt_get_prop_b(b, "/chosen", 7, "stdout-path", &v, &len);
    if (r == DT_ERR_NOT_FOUND)
        r = dt_get_prop_b(b, "/chosen", 7, "linux,stdout-path", &v, &len);
    if (r < 0)
        return r;
    sl = prop_strlen(v, len);
    if (sl <= 0)
        return DT_ERR_NOT_FOUND;
    for (n = 0; n < (size_t)sl && ((const char *)v)[n] != ':'; n++)
        ;
    return resolve_path(b, (const char *)v, n, path, plen);
}

int dt_parse(const void *blob, size_t max_size, struct dt_info *out)
{
    struct parse_state st;
    struct dt_blob b;
    struct dt_iter it;
    struct dt_token tok;
    const char *sp = NULL;
    size_t splen = 0;
    uint32_t i, j;
    int r;

    memset(out, 0, sizeof(*out));
    r = dt_check_header(blob, max_size, &b);
    if (r < 0)
        return r;
    r = dt_validate(&b);
    if (r < 0)
        return r;

    out->total_size = b.total_size;
    for (i = 0; i < DT_MAX_NODES; i++)
        for (j = 0; j < DT_MAX_NODES; j++)
            out->distance[i][j] = i == j ? 10 : 20;

    for (i = 0; i < b.n_rsv; i++) {
        if (out->n_reserved >= DT_MAX_RESERVED)
            return DT_ERR_TOO_MANY;
        dt_rsv_entry(&b, i, &out->reserved[i].base, &out->reserved[i].size);
        out->reserved[i].node = -1;
        out->n_reserved++;
    }

    memset(&st, 0, sizeof(st));
    st.b = &b;
    st.out = out;
    st.max_numa = -1;
    r = stdout_target(&b, &sp, &splen);
    if (r == DT_OK)
        st.have_stdout = true;
    else if (r != DT_ERR_NOT_FOUND)
        return r;
    pm_init(&st.pm, sp, splen);
    st.fr[0].ac = 2;
    st.fr[0].sc = 1;

    dt_iter_init(&it, &b);
    for (;;) {
        r = dt_iter_next(&it, &tok);
        if (r < 0)
            return r;
        if (tok.type == DT_TOK_END)
            break;
        switch (tok.type) {
        case DT_TOK_BEGIN_NODE:
            if (st.np.pending) {
                r = process_node(&st);
                if (r < 0)
                    return r;
            }
            np_reset(&st.np, tok.name, tok.depth);
            /* pm_begin must see every node; only the first match is the target. */
            if (st.have_stdout && pm_begin(&st.pm, tok.depth, tok.name) && !st.stdout_seen) {
                st.stdout_seen = true;
                st.np.stdout_target = true;
            }
            break;
        case DT_TOK_PROP: {
            int k = prop_index(tok.name);
            if (k >= 0 && st.np.pending && tok.depth == st.np.depth) {
                st.np.v[k] = (const uint8_t *)tok.val;
                st.np.l[k] = tok.len;
            }
            break;
        }
        case DT_TOK_END_NODE:
            if (st.np.pending) {
                r = process_node(&st);
                if (r < 0)
                    return r;
            }
            break;
        default:
            break;
        }
    }

    out->n_numa_nodes = st.max_numa >= 0 ? st.max_numa + 1 : 1;
    if (st.uart_stdout.found || st.uart_first.found) {
        const struct uart_cand *c = st.uart_stdout.found ? &st.uart_stdout : &st.uart_first;
        out->uart = c->u;
        if (c->u.clock_hz == 0 && c->clock_phandle != 0)
            out->uart.clock_hz = phandle_clock(&b, c->clock_phandle);
    }
    return DT_OK;
}
