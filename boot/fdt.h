/* Flattened device tree (DTB) reader.
 *
 * Freestanding: no allocation, no global state. Every multi-byte field is
 * decoded from big-endian bytes by hand, so the blob may sit at any address.
 * Every read is bounds-checked against min(max_size, header totalsize).
 */
#ifndef BOOT_FDT_H
#define BOOT_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_MAX_MEM 16
#define DT_MAX_RESERVED 16
#define DT_MAX_CPUS 16
#define DT_MAX_NODES 8          /* NUMA nodes */
#define DT_BOOTARGS_MAX 512
#define DT_ISA_MAX 128
#define DT_MMU_TYPE_MAX 16
#define DT_ENABLE_METHOD_MAX 16
#define DT_MODEL_MAX 80
#define DT_MAX_DEPTH 32         /* deepest node nesting accepted (root = depth 1) */

enum dt_err {
    DT_OK = 0,
    DT_ERR_MAGIC = -1,
    DT_ERR_VERSION = -2,
    DT_ERR_TRUNCATED = -3,
    DT_ERR_BAD_OFFSET = -4,
    DT_ERR_BAD_STRUCTURE = -5,
    DT_ERR_TOO_MANY = -6,
    DT_ERR_NOT_FOUND = -7,
};
const char *dt_strerror(int err);

enum dt_uart_kind {
    DT_UART_NONE = 0,
    DT_UART_PL011,          /* "arm,pl011" */
    DT_UART_NS16550,        /* "ns16550a", "ns16550" */
    DT_UART_DW8250,         /* "snps,dw-apb-uart": 16550 registers at reg-shift/reg-io-width */
    DT_UART_BCM2835_AUX,    /* "brcm,bcm2835-aux-uart": the Raspberry Pi mini UART */
    DT_UART_SIFIVE,         /* "sifive,uart0" */
};
/* The compatible string a kind was recognised by ("arm,pl011", ...), "none" for DT_UART_NONE. */
const char *dt_uart_kind_name(enum dt_uart_kind kind);

struct dt_range {
    uint64_t base, size;
    int node;                    /* numa-node-id, -1 if none */
};

struct dt_cpu {
    uint64_t id;                 /* first reg address: MPIDR (arm64) or hartid (riscv) */
    int node;                    /* numa-node-id, -1 if none */
    char isa[DT_ISA_MAX];        /* "riscv,isa" (cut to DT_ISA_MAX-1 chars) or "" */
    bool isa_truncated;          /* "riscv,isa" was longer than DT_ISA_MAX-1 chars */
    char mmu_type[DT_MMU_TYPE_MAX]; /* "mmu-type" (e.g. "riscv,sv57"), "" if absent or too long */
    char enable_method[DT_ENABLE_METHOD_MAX]; /* "enable-method" ("spin-table", "psci"), the
                                    node's, else the /cpus one; "" if absent or too long */
    uint64_t release_addr;       /* "cpu-release-addr" (spin table), 0 if absent */
    bool disabled;               /* status is present and not "okay"/"ok" */
};

struct dt_uart {
    enum dt_uart_kind kind;
    uint64_t base, size;         /* first reg entry, translated through parent "ranges" */
    uint32_t reg_shift;          /* "reg-shift", default 0 */
    uint32_t reg_io_width;       /* "reg-io-width", default 4 for pl011, bcm2835-aux and sifive,
                                    1 for ns16550 and dw-apb-uart */
    uint32_t clock_hz;           /* "clock-frequency", else "clock-frequency" of the node the
                                    first "clocks" phandle points at, else 0 */
};

struct dt_info {
    uint32_t total_size;                       /* header totalsize */
    char model[DT_MODEL_MAX];                  /* root "model" (cut to DT_MODEL_MAX-1), "" if absent */
    struct dt_range mem[DT_MAX_MEM]; int n_mem; /* every device_type="memory" node's reg entries */
    struct dt_range reserved[DT_MAX_RESERVED]; int n_reserved;
        /* memreserve block, then /reserved-memory children reg (node=-1) */
    struct dt_uart uart;
        /* /chosen stdout-path (or linux,stdout-path) if it resolves (path or alias, ":opts"
           ignored) to a UART of a known kind, else the first such node whose status is okay */
    bool stdout_unknown;                       /* stdout-path names a node of no known kind */
    char bootargs[DT_BOOTARGS_MAX];            /* /chosen/bootargs, "" if absent */
    struct dt_cpu cpus[DT_MAX_CPUS]; int n_cpus; /* /cpus children with device_type "cpu" */
    uint32_t timebase_hz;                      /* /cpus timebase-frequency, 0 if absent */
    int n_numa_nodes;                          /* 1 + highest numa-node-id on memory/cpus, or 1 */
    uint32_t distance[DT_MAX_NODES][DT_MAX_NODES];
        /* defaults 10 on the diagonal, 20 elsewhere, then "numa-distance-map-v1" triplets
           (a,b,d) set [a][b]=d and, unless (b,a) is given explicitly, [b][a]=d */
    uint64_t test_finisher_base;               /* "sifive,test0"/"sifive,test1" reg base, or 0 */
    bool psci_hvc;                             /* /psci method == "hvc" */
    bool psci_smc;                             /* /psci method == "smc" */
};

/* Validate header and the whole structure block, then fill *out (zeroed first).
   blob may be unaligned; the reader never touches bytes at or beyond
   min(max_size, totalsize). Returns DT_OK or a negative enum dt_err. */
int dt_parse(const void *blob, size_t max_size, struct dt_info *out);

/* ---- Lower-level access ---- */

/* Decoded, validated header. */
struct dt_blob {
    const uint8_t *base;
    uint32_t total_size;          /* == header totalsize (<= max_size) */
    uint32_t version, last_comp_version, boot_cpuid_phys;
    uint32_t off_struct, size_struct;
    uint32_t off_strings, size_strings;
    uint32_t off_rsvmap, n_rsv;   /* n_rsv: entries before the (0,0) terminator */
};

/* Check the header, block placement and the memory reservation block. */
int dt_check_header(const void *blob, size_t max_size, struct dt_blob *b);
/* Read reservation entry i (< b->n_rsv). */
void dt_rsv_entry(const struct dt_blob *b, uint32_t i, uint64_t *addr, uint64_t *size);

enum dt_tok_type { DT_TOK_BEGIN_NODE = 1, DT_TOK_END_NODE = 2, DT_TOK_PROP = 3, DT_TOK_END = 9 };

struct dt_token {
    enum dt_tok_type type;
    int depth;                    /* BEGIN_NODE: depth of the new node (root = 1);
                                     PROP: depth of the node owning it; END_NODE: depth of the
                                     node being closed; END: 0 */
    const char *name;             /* node name (BEGIN_NODE) or property name (PROP), else "" */
    const void *val;              /* PROP: value bytes (unaligned), else NULL */
    uint32_t len;                 /* PROP: value length */
};

/* Structure-block iterator. NOPs are skipped. Every token is validated as it is read
   (bounds, NUL termination, nesting, properties-before-subnodes, FDT_END placement). */
struct dt_iter {
    const struct dt_blob *b;
    uint32_t pos;                 /* offset inside the structure block */
    int depth;
    bool done, child_seen;
};
void dt_iter_init(struct dt_iter *it, const struct dt_blob *b);
/* DT_OK with *tok filled (the last token is DT_TOK_END; calling again after it also
   returns DT_TOK_END), or a negative error. */
int dt_iter_next(struct dt_iter *it, struct dt_token *tok);

/* Walk the whole structure block once (full validation). */
int dt_validate(const struct dt_blob *b);

/* Find property prop of the node at node_path ("/", "/cpus/cpu@0"; a component without
   "@unit" matches a node name "component@..."; first match wins). *val points into the blob
   (unaligned). DT_ERR_NOT_FOUND if the node or property does not exist. */
int dt_get_prop(const void *blob, size_t max_size, const char *node_path, const char *prop,
                const void **val, uint32_t *len);
int dt_get_prop_b(const struct dt_blob *b, const char *node_path, size_t path_len,
                  const char *prop, const void **val, uint32_t *len);

/* Big-endian loads from possibly unaligned memory. */
static inline uint32_t dt_be32(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}
static inline uint64_t dt_be64(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return ((uint64_t)dt_be32(b) << 32) | dt_be32(b + 4);
}

#endif /* BOOT_FDT_H */
