/*
 * Interactive serial shell (boot argument `shell`, `make console`).
 *
 * Line oriented and scriptable: every command prints its results, then a
 * final line `ok` or `error: <message>`, then the prompt `mm> `. A command
 * that ends in `error:` has changed nothing, with one documented exception:
 * `touch` stops at the first access whose fault the mm could not resolve
 * (a segfault: e.g. a write to a read-only VMA) and reports it as
 * `error: segv ...` after its `faults` line; pages touched before it stay
 * touched. Everything else is validated completely before anything is done.
 *
 * The parser is a set of small pure functions (shell_tokenize,
 * shell_parse_number, shell_parse_size, shell_parse_flags) on top of which
 * each command validates its arguments and then acts.
 *
 * Input: a line is at most SHELL_LINE_MAX characters and SHELL_MAX_ARGS
 * words. Backspace (0x08) and DEL (0x7f) erase the last byte, ^C drops the
 * line, ^D on an empty line ends the shell, terminal escape sequences (ESC [
 * ... final byte, ESC O x, ESC x: arrow and function keys) are ignored, except
 * up/down (ESC [ A / ESC [ B), which recall the last 8 distinct lines. Any
 * other byte below 0x20 (except tab) or above 0x7e refuses the whole line
 * with `error: control character 0x.. in the command` (or `non-ASCII byte`):
 * the line is never run with the byte dropped.
 */
#include <stdarg.h>
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/console.h"
#include "boot/shell.h"
#include "boot/trap.h"
#include "mmu/events.h"
#include "mmu/mm_internal.h"
#include "mmu/page_alloc.h"
#include "mmu/tlb.h"
#include "tests/bench/bench.h"
#include "tests/kernel/ktest.h"

#define SHELL_LINE_MAX 256
#define SHELL_MAX_ARGS 8
#define SHELL_MAX_MMS MAX_MMS      /* every address space the mm core can hold */
#define PTE_DUMP_MAX 512
#define PROMPT "mm> "

/* ---- pure parsing helpers ------------------------------------------------ */

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Split line in place at blanks. Returns the number of words, or -1 if
 * there are more than max. */
static int shell_tokenize(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (is_space(*p))
            *p++ = '\0';
        if (!*p)
            return n;
        if (n == max)
            return -1;
        argv[n++] = p;
        while (*p && !is_space(*p))
            p++;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse the first len characters of s: decimal or 0x-hex, no sign.
 * Returns 0, or -1 if malformed or larger than 2^64-1. */
static int parse_digits(const char *s, size_t len, uint64_t *out)
{
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -1;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int shell_parse_number(const char *s, uint64_t *out) { return parse_digits(s, strlen(s), out); }

/* A number with an optional K, M or G suffix (binary multiples). */
static int shell_parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    unsigned shift = 0;
    if (len > 1) {
        switch (s[len - 1]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: break;
        }
    }
    uint64_t v;
    if (parse_digits(s, shift ? len - 1 : len, &v) < 0)
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* "-" for none, or a non-empty combination of r, w, x, each at most once. */
static int shell_parse_flags(const char *s, unsigned *out)
{
    if (strcmp(s, "-") == 0) {
        *out = 0;
        return 0;
    }
    unsigned f = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned bit = *s == 'r' ? VM_READ : *s == 'w' ? VM_WRITE : *s == 'x' ? VM_EXEC : 0;
        if (!bit || (f & bit))
            return -1;
        f |= bit;
    }
    *out = f;
    return 0;
}

/* ---- command context ------------------------------------------------------ */

static struct mm *mms[SHELL_MAX_MMS];
static struct mm *cur;
static char errbuf[160];

/* Record an error message; the command returns -1 and the loop prints it. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return -1;
}

static const char *mm_errname(int e)
{
    switch (e) {
    case MM_EINVAL: return "EINVAL";
    case MM_ENOMEM: return "ENOMEM";
    case MM_EEXIST: return "EEXIST";
    case MM_EFAULT: return "EFAULT";
    case MM_ENOENT: return "ENOENT (not registered for write-protect)";
    case MM_EUFFD: return "left to userfaultfd";
    default: return "error";
    }
}

static int need_args(int argc, int min, int max, const char *usage)
{
    if (argc < min || argc > max)
        return fail("usage: %s", usage);
    return 0;
}

static int need_mm(void)
{
    if (!cur)
        return fail("no current mm (use 'mm new' or 'mm use <id>')");
    return 0;
}

static int arg_number(const char *s, const char *what, uint64_t *out)
{
    if (shell_parse_number(s, out) < 0)
        return fail("bad %s '%s' (decimal or 0x-hex)", what, s);
    return 0;
}

static int arg_size(const char *s, const char *what, uint64_t *out)
{
    if (shell_parse_size(s, out) < 0)
        return fail("bad %s '%s' (decimal or 0x-hex, optional K/M/G)", what, s);
    return 0;
}

static int arg_flags(const char *s, unsigned *out)
{
    if (shell_parse_flags(s, out) < 0)
        return fail("bad flags '%s' (a combination of r, w, x, or '-')", s);
    return 0;
}

static int arg_node(const char *s, int *out)
{
    uint64_t n;
    if (arg_number(s, "node", &n) < 0)
        return -1;
    if (n >= (uint64_t)palloc_nr_nodes())
        return fail("node %llu out of range (%d node%s)", (unsigned long long)n, palloc_nr_nodes(),
                    palloc_nr_nodes() == 1 ? "" : "s");
    *out = (int)n;
    return 0;
}

/* A page-aligned, non-empty range inside the managed window. */
static int check_range(uint64_t addr, uint64_t len)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return fail("address 0x%llx is not page aligned", (unsigned long long)addr);
    if (len == 0)
        return fail("length must not be 0");
    if (!IS_ALIGNED(len, PAGE_SIZE))
        return fail("length 0x%llx is not a multiple of the page size", (unsigned long long)len);
    if (addr < MM_VA_BASE || addr >= MM_VA_END || len > MM_VA_END - addr)
        return fail("range 0x%llx+0x%llx is outside the managed window [0x%llx, 0x%llx)",
                    (unsigned long long)addr, (unsigned long long)len,
                    (unsigned long long)MM_VA_BASE, (unsigned long long)MM_VA_END);
    return 0;
}

static int arg_range(const char *a, const char *l, uint64_t *addr, uint64_t *len)
{
    if (arg_number(a, "address", addr) < 0 || arg_size(l, "length", len) < 0)
        return -1;
    return check_range(*addr, *len);
}

static int mm_slot(struct mm *mm)
{
    for (int i = 0; i < SHELL_MAX_MMS; i++)
        if (mms[i] == mm)
            return i;
    return -1;
}

static void prot_str(unsigned f, char s[4])
{
    s[0] = (f & VM_READ) ? 'r' : '-';
    s[1] = (f & VM_WRITE) ? 'w' : '-';
    s[2] = (f & VM_EXEC) ? 'x' : '-';
    s[3] = '\0';
}

/* ---- commands ------------------------------------------------------------- */

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
};

#define MAP_USAGE "map <addr> <len> <r|w|x combination or -> [shared] [notify]"
static int cmd_help(int argc, char **argv);

static int cmd_mm(int argc, char **argv)
{
    const char *usage = "mm new|list|use <id>|del <id>";
    if (argc < 2)
        return fail("usage: %s", usage);
    if (strcmp(argv[1], "new") == 0 || strcmp(argv[1], "list") == 0) {
        if (argc != 2)
            return fail("usage: %s", usage);
    } else if (strcmp(argv[1], "use") == 0 || strcmp(argv[1], "del") == 0) {
        if (argc != 3)
            return fail("usage: %s", usage);
    } else {
        return fail("unknown mm subcommand '%s' (usage: %s)", argv[1], usage);
    }

    if (strcmp(argv[1], "new") == 0) {
        int slot = mm_slot(NULL);
        if (slot < 0)
            return fail("mm table full (%d address spaces)", SHELL_MAX_MMS);
        struct mm *mm = mm_create();
        if (!mm)
            return fail("mm_create failed (out of memory or address spaces)");
        mms[slot] = mm;
        cur = mm;
        printf("mm %d\n", mm->id);
        return 0;
    }
    if (strcmp(argv[1], "list") == 0) {
        for (int i = 0; i < SHELL_MAX_MMS; i++) {
            if (!mms[i])
                continue;
            int nv = 0;
            for (struct vma *v = mms[i]->vmas; v; v = v->next)
                nv++;
            printf("mm %d vmas=%d%s\n", mms[i]->id, nv, mms[i] == cur ? " current" : "");
        }
        return 0;
    }
    uint64_t id;
    if (arg_number(argv[2], "mm id", &id) < 0)
        return -1;
    struct mm *mm = NULL;
    for (int i = 0; i < SHELL_MAX_MMS; i++)
        if (mms[i] && (uint64_t)mms[i]->id == id)
            mm = mms[i];
    if (!mm)
        return fail("no mm %llu", (unsigned long long)id);
    if (strcmp(argv[1], "use") == 0) {
        cur = mm;
        printf("mm %d\n", mm->id);
        return 0;
    }
    mms[mm_slot(mm)] = NULL;
    if (cur == mm)
        cur = NULL;
    mm_destroy(mm);
    return 0;
}

static int cmd_map(int argc, char **argv)
{
    uint64_t addr, len;
    unsigned flags;
    if (need_args(argc, 4, 6, MAP_USAGE) < 0 || need_mm() < 0 ||
        arg_range(argv[1], argv[2], &addr, &len) < 0 || arg_flags(argv[3], &flags) < 0)
        return -1;
    for (int i = 4; i < argc; i++) {
        unsigned bit = strcmp(argv[i], "shared") == 0   ? VM_SHARED
                       : strcmp(argv[i], "notify") == 0 ? VM_WRITENOTIFY_FS
                                                        : 0;
        if (!bit)
            return fail("unknown map option '%s' (shared, notify)", argv[i]);
        if (flags & bit)
            return fail("map option '%s' given twice", argv[i]);
        flags |= bit;
    }
    if ((flags & VM_WRITENOTIFY_FS) && !(flags & VM_SHARED))
        return fail("notify needs shared");
    int r = mm_map(cur, addr, len, flags);
    if (r < 0)
        return fail("mm_map: %s%s", mm_errname(r), r == MM_EEXIST ? " (overlaps a mapping)" : "");
    return 0;
}

static int cmd_unmap(int argc, char **argv)
{
    uint64_t addr, len;
    if (need_args(argc, 3, 3, "unmap <addr> <len>") < 0 || need_mm() < 0 ||
        arg_range(argv[1], argv[2], &addr, &len) < 0)
        return -1;
    int r = mm_unmap(cur, addr, len);
    return r < 0 ? fail("mm_unmap: %s", mm_errname(r)) : 0;
}

static int cmd_mprotect(int argc, char **argv)
{
    uint64_t addr, len;
    unsigned flags;
    if (need_args(argc, 4, 4, "mprotect <addr> <len> <flags>") < 0 || need_mm() < 0 ||
        arg_range(argv[1], argv[2], &addr, &len) < 0 || arg_flags(argv[3], &flags) < 0)
        return -1;
    int r = mm_mprotect(cur, addr, len, flags);
    if (r < 0)
        return fail("mm_mprotect: %s%s", mm_errname(r),
                    r == MM_EFAULT ? " (range not entirely mapped)" : "");
    return 0;
}

static int cmd_touch(int argc, char **argv)
{
    const char *usage = "touch <addr> [len] r|w [value]";
    if (need_args(argc, 3, 5, usage) < 0 || need_mm() < 0)
        return -1;
    /* touch A r|w [V]  or  touch A L r|w [V] */
    int ai = (strcmp(argv[2], "r") == 0 || strcmp(argv[2], "w") == 0) ? 2 : 3;
    if (ai >= argc || (strcmp(argv[ai], "r") != 0 && strcmp(argv[ai], "w") != 0))
        return fail("usage: %s", usage);
    bool write = argv[ai][0] == 'w';
    if (argc > ai + 2 || (!write && argc > ai + 1))
        return fail("usage: %s (a value only with w)", usage);
    /* Default length: the one 8-byte access itself (so the last word of the
     * window can be touched); an explicit length touches the first word of
     * every page in [addr, addr+len). */
    uint64_t addr, len = 8, val = 1;
    if (arg_number(argv[1], "address", &addr) < 0)
        return -1;
    if (ai == 3 && arg_size(argv[2], "length", &len) < 0)
        return -1;
    if (write && argc == ai + 2 && arg_number(argv[ai + 1], "value", &val) < 0)
        return -1;
    if (!IS_ALIGNED(addr, 8))
        return fail("address 0x%llx is not 8-byte aligned", (unsigned long long)addr);
    if (len == 0)
        return fail("length must not be 0");
    if (addr < MM_VA_BASE || addr >= MM_VA_END || len > MM_VA_END - addr)
        return fail("range 0x%llx+0x%llx is outside the managed window [0x%llx, 0x%llx)",
                    (unsigned long long)addr, (unsigned long long)len,
                    (unsigned long long)MM_VA_BASE, (unsigned long long)MM_VA_END);

    trap_reset_faults();
    uint64_t first = 0, pages = 0, bad = 0;
    bool segv = false;
    for (uint64_t a = addr; a < addr + len && a >= addr; a += PAGE_SIZE) {
        uint64_t v = 0;
        int r = write ? mm_write(cur, a, val) : mm_read(cur, a, &v);
        if (r < 0) {
            segv = true;
            bad = a;
            break;
        }
        if (pages++ == 0)
            first = v;
    }
    const struct fault_record *fr = trap_faults();
    printf("pages=%llu faults=%u unresolved=%u\n", (unsigned long long)pages, fr->count,
           fr->unresolved);
    if (!write && pages)
        printf("value=0x%llx\n", (unsigned long long)first);
    if (segv && mm_last_fault_error == MM_EUFFD)
        return fail("uffd-wp fault at 0x%llx (%s): message queued, nothing written (uffd events; "
                    "uffd unprotect, or uffd handler unprotect)", (unsigned long long)bad,
                    write ? "write" : "read");
    if (segv && mm_last_fault_error == MM_ENOMEM)
        return fail("out of memory at 0x%llx (%s): no page or page table for the fault",
                    (unsigned long long)bad, write ? "write" : "read");
    if (segv)
        return fail("segv at 0x%llx (%s, %s fault)", (unsigned long long)bad,
                    write ? "write" : "read", fault_kind_name(fr->last.kind));
    return 0;
}

static int cmd_fork(int argc, char **argv)
{
    if (need_args(argc, 1, 1, "fork") < 0 || need_mm() < 0)
        return -1;
    int slot = mm_slot(NULL);
    if (slot < 0)
        return fail("mm table full (%d address spaces)", SHELL_MAX_MMS);
    struct mm *child = mm_fork(cur);
    if (!child)
        return fail("mm_fork failed (out of memory or address spaces)");
    mms[slot] = child;
    printf("mm %d\n", child->id);
    return 0;
}

static int cmd_softdirty(int argc, char **argv)
{
    if (need_args(argc, 2, 2, "softdirty clear") < 0)
        return -1;
    if (strcmp(argv[1], "clear") != 0)
        return fail("usage: softdirty clear");
    if (need_mm() < 0)
        return -1;
    int r = mm_clear_soft_dirty(cur);
    return r < 0 ? fail("mm_clear_soft_dirty: %s", mm_errname(r)) : 0;
}

static int parse_on_off(const char *s, bool *on, const char *usage)
{
    if (strcmp(s, "on") == 0)
        *on = true;
    else if (strcmp(s, "off") == 0)
        *on = false;
    else
        return fail("usage: %s", usage);
    return 0;
}

#define UFFD_USAGE "uffd <addr> <len> on|off | uffd register <addr> <len> [wp] [missing] | " \
    "uffd unregister|protect <addr> <len> | uffd unprotect <addr> <len> [access] [write] | uffd events | " \
    "uffd handler queue|unprotect | uffd features fork|none | uffd dirty-on-unprotect on|off"

static int cmd_uffd_range_op(int argc, char **argv)
{
    uint64_t addr, len;
    const char *op = argv[1];
    bool reg = strcmp(op, "register") == 0, unprot = strcmp(op, "unprotect") == 0;
    int max = reg ? 6 : unprot ? 6 : 4;
    if (need_args(argc, 4, max, reg ? "uffd register <addr> <len> [wp] [missing]"
                                : unprot ? "uffd unprotect <addr> <len> [access] [write]"
                                         : "uffd unregister|protect <addr> <len>") < 0 ||
        arg_range(argv[2], argv[3], &addr, &len) < 0)
        return -1;
    unsigned opts = 0;
    for (int i = 4; i < argc; i++) {
        if (reg && strcmp(argv[i], "wp") == 0)
            opts |= UFFD_REGISTER_WP;
        else if (reg && strcmp(argv[i], "missing") == 0)
            opts |= UFFD_REGISTER_MISSING;
        else if (unprot && strcmp(argv[i], "access") == 0)
            opts |= UFFD_HINT_ACCESS_LIKELY;
        else if (unprot && strcmp(argv[i], "write") == 0)
            opts |= UFFD_HINT_WRITE_LIKELY;
        else
            return fail("unknown option '%s' for uffd %s", argv[i], op);
    }
    int r = reg ? mm_uffd_register(cur, addr, len, opts ? opts : UFFD_REGISTER_WP)
          : strcmp(op, "unregister") == 0 ? mm_uffd_unregister(cur, addr, len)
          : mm_uffd_writeprotect(cur, addr, len, !unprot, opts);
    return r < 0 ? fail("uffd %s: %s", op, mm_errname(r)) : 0;
}

static int cmd_uffd(int argc, char **argv)
{
    if (need_mm() < 0)
        return -1;
    if (argc >= 2 && (strcmp(argv[1], "register") == 0 || strcmp(argv[1], "unregister") == 0 ||
                      strcmp(argv[1], "protect") == 0 || strcmp(argv[1], "unprotect") == 0))
        return cmd_uffd_range_op(argc, argv);
    if (argc == 2 && strcmp(argv[1], "events") == 0) {
        struct uffd_msg m;
        unsigned n = 0;
        while (mm_uffd_read(cur, &m) == 0) {
            printf("uffd message %s%s%s at 0x%llx\n", (m.flags & UFFD_MSG_WP) ? "wp " : "",
                   (m.flags & UFFD_MSG_MISSING) ? "missing " : "", (m.flags & UFFD_MSG_WRITE) ? "write" : "read",
                   (unsigned long long)m.addr);
            n++;
        }
        printf("uffd messages read %u, delivered %llu, dropped %u\n", n,
               (unsigned long long)cur->uffd.delivered, cur->uffd.dropped);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "handler") == 0) {
        if (strcmp(argv[2], "queue") == 0)
            mm_uffd_set_handler(cur, NULL, NULL);
        else if (strcmp(argv[2], "unprotect") == 0)
            mm_uffd_set_handler(cur, uffd_resolve_by_unprotect, NULL);
        else
            return fail("usage: uffd handler queue|unprotect");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "features") == 0) {
        if (strcmp(argv[2], "fork") == 0)
            cur->uffd.features = UFFD_FEATURE_EVENT_FORK;
        else if (strcmp(argv[2], "none") == 0)
            cur->uffd.features = 0;
        else
            return fail("usage: uffd features fork|none");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "dirty-on-unprotect") == 0) {
        bool on = false;
        if (parse_on_off(argv[2], &on, "uffd dirty-on-unprotect on|off") < 0)
            return -1;
        cur->uffd.dirty_on_unprotect = on;
        return 0;
    }
    uint64_t addr, len;
    bool on = false;
    const char *short_usage = "uffd <addr> <len> on|off, or uffd register|unregister|protect|unprotect|"
                              "events|handler|features|dirty-on-unprotect ... (see help)";
    if (need_args(argc, 4, 4, short_usage) < 0 || arg_range(argv[1], argv[2], &addr, &len) < 0 ||
        parse_on_off(argv[3], &on, short_usage) < 0)
        return -1;
    int r = mm_uffd_wp(cur, addr, len, on);
    return r < 0 ? fail("uffd %s: %s", on ? "on (register + protect)" : "off (unregister)", mm_errname(r)) : 0;
}

static int cmd_zap(int argc, char **argv)
{
    uint64_t addr, len;
    if (need_args(argc, 3, 3, "zap <addr> <len>") < 0 || need_mm() < 0 ||
        arg_range(argv[1], argv[2], &addr, &len) < 0)
        return -1;
    int r = mm_zap(cur, addr, len);
    return r < 0 ? fail("zap: %s%s", mm_errname(r), r == MM_EINVAL ? " (the whole range must be mapped)" : "") : 0;
}

static int cmd_guard(int argc, char **argv)
{
    const char *usage = "guard <addr> <len> install|remove";
    uint64_t addr, len;
    if (need_args(argc, 4, 4, usage) < 0 || need_mm() < 0 || arg_range(argv[1], argv[2], &addr, &len) < 0)
        return -1;
    bool install = strcmp(argv[3], "install") == 0;
    if (!install && strcmp(argv[3], "remove") != 0)
        return fail("usage: %s", usage);
    int r = mm_guard(cur, addr, len, install);
    return r < 0 ? fail("guard: %s%s", mm_errname(r), r == MM_EINVAL ? " (the whole range must be mapped)" : "") : 0;
}

/* One device agent for the shell. */
static struct dev_agent shell_dev;

static int cmd_devx(int argc, char **argv)
{
    const char *usage = "devx <addr> | devx write <offset> <value> | devx read <offset> | devx status";
    if (need_args(argc, 2, 4, usage) < 0)
        return -1;
    if (strcmp(argv[1], "status") == 0 && argc == 2) {
        printf("devx addr=0x%llx exclusive=%d notified=%u writes=%u refused=%u\n",
               (unsigned long long)shell_dev.addr, shell_dev.exclusive, shell_dev.notified, shell_dev.writes,
               shell_dev.refused);
        return 0;
    }
    if ((strcmp(argv[1], "write") == 0 && argc == 4) || (strcmp(argv[1], "read") == 0 && argc == 3)) {
        uint64_t off, val = 0;
        if (arg_number(argv[2], "offset", &off) < 0 || (argc == 4 && arg_number(argv[3], "value", &val) < 0))
            return -1;
        if (off >= PAGE_SIZE || !IS_ALIGNED(off, 8))
            return fail("offset must be 8-byte aligned and below 0x%llx", (unsigned long long)PAGE_SIZE);
        if (!shell_dev.mm)
            return fail("no device-exclusive page (devx <addr> first)");
        int r = argc == 4 ? dev_write(&shell_dev, off, val) : dev_read(&shell_dev, off, &val);
        if (r < 0)
            return fail("the device lost the page (a CPU access took it back)");
        if (argc == 3)
            printf("value=0x%llx\n", (unsigned long long)val);
        return 0;
    }
    uint64_t addr;
    if (argc != 2 || need_mm() < 0 || arg_number(argv[1], "address", &addr) < 0)
        return argc != 2 ? fail("usage: %s", usage) : -1;
    if (shell_dev.exclusive)
        return fail("the device already holds 0x%llx", (unsigned long long)shell_dev.addr);
    /* The agent is registered by address: it must be the shell's own
     * (written only on success). */
    int r = mm_make_device_exclusive(cur, addr, &shell_dev);
    if (r < 0)
        return fail("devx: %s%s", mm_errname(r),
                    r == MM_EFAULT ? " (no present page there)" : r == MM_EINVAL ? " (anonymous pages only)" : "");
    return 0;
}

static int cmd_numa(int argc, char **argv)
{
    const char *usage = "numa scan <addr> <len> <node|none> | numa policy none|savedwrite|can_change";
    if (argc >= 2 && strcmp(argv[1], "policy") == 0) {
        if (argc != 3)
            return fail("usage: %s", usage);
        for (int i = 0; i < NUMA_WP_COUNT; i++) {
            if (strcmp(argv[2], numa_wp_names[i]) == 0) {
                mm_params.numa_wp = (enum numa_write_policy)i;
                printf("numa policy %s\n", numa_wp_names[i]);
                return 0;
            }
        }
        return fail("unknown numa policy '%s' (none, savedwrite, can_change)", argv[2]);
    }
    if (argc < 2 || strcmp(argv[1], "scan") != 0 || argc != 5)
        return fail("usage: %s", usage);
    uint64_t addr, len;
    int node = -1;
    if (need_mm() < 0 || arg_range(argv[2], argv[3], &addr, &len) < 0)
        return -1;
    if (strcmp(argv[4], "none") != 0 && arg_node(argv[4], &node) < 0)
        return -1;
    long r = mm_numa_scan(cur, addr, len, node);
    if (r < 0)
        return fail("mm_numa_scan: %s", mm_errname((int)r));
    printf("changed %ld\n", r);
    return 0;
}

static int cmd_migrate(int argc, char **argv)
{
    uint64_t addr;
    int node;
    if (need_args(argc, 3, 3, "migrate <addr> <node>") < 0 || need_mm() < 0 ||
        arg_number(argv[1], "address", &addr) < 0 || check_range(addr, PAGE_SIZE) < 0 ||
        arg_node(argv[2], &node) < 0)
        return -1;
    int r = mm_migrate(cur, addr, node);
    if (r < 0)
        return fail("mm_migrate: %s%s", mm_errname(r),
                    r == MM_EINVAL  ? " (no anonymous page mapped there)"
                    : r == MM_EEXIST ? " (folio is COW-shared)"
                                     : "");
    return 0;
}

static int cmd_folio(int argc, char **argv)
{
    uint64_t o;
    if (need_args(argc, 2, 2, "folio 0|4") < 0 || arg_number(argv[1], "order", &o) < 0)
        return -1;
    if (o != 0 && o != 4)
        return fail("folio order must be 0 or 4");
    mm_params.anon_order = (unsigned)o;
    printf("anon_order %u\n", mm_params.anon_order);
    return 0;
}

static int cmd_tlbi(int argc, char **argv)
{
    const char *usage = "tlbi auto|per-page|range|asid|unsafe-per-block [threshold]";
    if (need_args(argc, 2, 3, usage) < 0)
        return -1;
    int p = tlbi_policy_parse(argv[1]);
    if (p < 0)
        return fail("unknown tlbi policy '%s' (usage: %s)", argv[1], usage);
    uint64_t th = tlb_params.asid_threshold;
    if (argc == 3 && arg_number(argv[2], "threshold", &th) < 0)
        return -1;
    tlb_params.policy = (enum tlbi_policy)p;
    tlb_params.asid_threshold = th;
    printf("tlbi %s threshold=%llu\n", tlbi_policy_names[p], (unsigned long long)th);
    return 0;
}

static int cmd_batch(int argc, char **argv)
{
    bool on = false;
    if (need_args(argc, 2, 2, "batch on|off") < 0 || parse_on_off(argv[1], &on, "batch on|off") < 0)
        return -1;
    mm_params.batch_mprotect = on;
    printf("batch %s\n", on ? "on" : "off");
    return 0;
}

static void print_pte(uint64_t va)
{
    pte_t v = mm_get_pte(cur, va);
    if (pte_none(v)) {
        printf("0x%llx none\n", (unsigned long long)va);
        return;
    }
    printf("0x%llx pte=0x%llx", (unsigned long long)va, (unsigned long long)v);
    if (!pte_present(v)) {
        if (pte_is_device_exclusive(v))
            printf(" device-exclusive pfn=0x%llx%s%s\n", (unsigned long long)(pte_swp_offset(v) >> 2),
                   (pte_swp_offset(v) & 1) ? " SD" : "", (pte_swp_offset(v) & 2) ? " UW" : "");
        else if (pte_is_marker(v))
            printf(" marker%s%s (0x%llx)\n", pte_is_uffd_marker(v) ? " uffd-wp" : "",
                   pte_is_guard(v) ? " guard" : "", (unsigned long long)pte_marker_flags(v));
        else
            printf(" swap type=%u offset=0x%llx\n", pte_swp_type(v),
                   (unsigned long long)pte_swp_offset(v));
        return;
    }
    static const char *const names[] = { "P", "V", "PN", "W", "D", "Y", "U", "X", "C", "SD", "UW" };
    bool bits[] = { pte_present(v), pte_valid(v), pte_protnone(v), pte_write(v), pte_dirty(v),
                    pte_young(v), pte_user(v), pte_exec(v), pte_cont(v), pte_soft_dirty(v),
                    pte_uffd_wp(v) };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (bits[i])
            printf(" %s", names[i]);
    printf(" pfn=0x%llx", (unsigned long long)pte_napot_pfn(v, va));
    struct page *p = mm_page_at(cur, va);
    if (p) {
        struct page *h = page_head(p);
        printf(" node=%u folio=%u excl=%d map=%d%s", p->node, h ? h->order : 0,
               (p->flags & PG_ANON_EXCLUSIVE) ? 1 : 0, (int)p->mapcount,
               mm_is_zero_page(p) ? " zero" : "");
    }
    printf("\n");
}

static int cmd_pte(int argc, char **argv)
{
    uint64_t addr, count = 1;
    if (need_args(argc, 2, 3, "pte <addr> [count]") < 0 || need_mm() < 0 ||
        arg_number(argv[1], "address", &addr) < 0 ||
        (argc == 3 && arg_number(argv[2], "count", &count) < 0))
        return -1;
    if (count == 0 || count > PTE_DUMP_MAX)
        return fail("count must be 1..%d", PTE_DUMP_MAX);
    if (check_range(addr, count * PAGE_SIZE) < 0)
        return -1;
    for (uint64_t i = 0; i < count; i++)
        print_pte(addr + i * PAGE_SIZE);
    return 0;
}

static int cmd_vma(int argc, char **argv)
{
    if (need_args(argc, 1, 1, "vma") < 0 || need_mm() < 0)
        return -1;
    for (struct vma *v = cur->vmas; v; v = v->next) {
        char prot[4];
        prot_str(v->flags, prot);
        printf("0x%llx 0x%llx %s%s%s%s%s%s\n", (unsigned long long)v->start,
               (unsigned long long)v->end, prot, (v->flags & VM_SHARED) ? " shared" : "",
               (v->flags & VM_WRITENOTIFY_FS) ? " notify" : "",
               (v->flags & VM_SOFTDIRTY) ? " softdirty" : "",
               (v->flags & VM_UFFD_WP) ? " uffd_wp" : "", (v->flags & VM_UFFD_MISSING) ? " uffd_missing" : "");
    }
    return 0;
}

static int cmd_events(int argc, char **argv)
{
    if (need_args(argc, 1, 2, "events [reset]") < 0)
        return -1;
    if (argc == 2) {
        if (strcmp(argv[1], "reset") != 0)
            return fail("usage: events [reset]");
        ev_reset();
        memset(&mm_fault_stats, 0, sizeof(mm_fault_stats));
        return 0;
    }
    for (int e = 0; e < EV_COUNT; e++)
        printf("event %s %llu\n", mm_event_names[e], (unsigned long long)ev_get((enum mm_event)e));
    const struct mm_fault_stats *s = &mm_fault_stats;
    const struct { const char *name; uint64_t v; } f[] = {
        { "anon_read", s->anon_read }, { "anon_write", s->anon_write },
        { "wp_reuse", s->wp_reuse }, { "wp_copy", s->wp_copy },
        { "write_notify", s->write_notify }, { "numa_hint", s->numa_hint },
        { "numa_migrated", s->numa_migrated }, { "access_flag", s->access_flag },
        { "dirty_bit", s->dirty_bit }, { "segv", s->segv }, { "oom", s->oom },
        { "uffd", s->uffd }, { "marker_fill", s->marker_fill }, { "devx_restore", s->devx_restore },
    };
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        printf("fault %s %llu\n", f[i].name, (unsigned long long)f[i].v);
    return 0;
}

static int cmd_test(int argc, char **argv)
{
    if (need_args(argc, 2, 2, "test <glob>") < 0)
        return -1;
    int r = ktest_run(argv[1]);
    if (r < 0)
        return fail("no test matches '%s'", argv[1]);
    return r ? fail("%d test case%s failed", r, r == 1 ? "" : "s") : 0;
}

static int cmd_bench(int argc, char **argv)
{
    if (need_args(argc, 2, 2, "bench <glob>") < 0)
        return -1;
    int r = bench_run(argv[1]);
    if (r == BENCH_NO_MATCH)
        return fail("no benchmark matches '%s'", argv[1]);
    return r < 0 ? fail("a benchmark case failed (out of memory?)") : 0;
}

static int cmd_info(int argc, char **argv)
{
    if (need_args(argc, 1, 1, "info") < 0)
        return -1;
    printf("arch %s\n", arch_name);
    printf("mmu va_bits=%d levels=%d asid_bits=%u hw_af=%d hw_dirty=%d tlbi_range=%d cont=%d "
           "svinval=%d bbm_level=%u\n",
           mmu_caps.va_bits, mmu_caps.levels, mmu_caps.asid_bits, mmu_caps.hw_af,
           mmu_caps.hw_dirty, mmu_caps.tlbi_range, mmu_caps.cont, mmu_caps.svinval,
           mmu_caps.bbm_level);
    printf("nodes %d\n", palloc_nr_nodes());
    for (int n = 0; n < palloc_nr_nodes(); n++) {
        struct palloc_stats st;
        palloc_node_stats(n, &st);
        printf("node %d total=%llu free=%llu reserved=%llu\n", n,
               (unsigned long long)st.total_pages, (unsigned long long)st.free_pages,
               (unsigned long long)st.reserved_pages);
    }
    int used = 0, vmas = 0;
    for (int i = 0; i < SHELL_MAX_MMS; i++) {
        if (!mms[i])
            continue;
        used++;
        for (struct vma *v = mms[i]->vmas; v; v = v->next)
            vmas++;
    }
    printf("limits mms=%d/%d vmas=%d line=%d words=%d pte_count=%d\n", used, SHELL_MAX_MMS, vmas,
           SHELL_LINE_MAX, SHELL_MAX_ARGS, PTE_DUMP_MAX);
    printf("params anon_order=%u numa_wp=%s batch=%s tlbi=%s threshold=%llu\n",
           mm_params.anon_order, numa_wp_names[mm_params.numa_wp],
           mm_params.batch_mprotect ? "on" : "off", tlbi_policy_names[tlb_params.policy],
           (unsigned long long)tlb_params.asid_threshold);
    return 0;
}

static int cmd_exit(int argc, char **argv)
{
    return need_args(argc, 1, 1, argv[0]);
}

static const struct command commands[] = {
    { "help", cmd_help, "help" },
    { "mm", cmd_mm, "mm new | mm list | mm use <id> | mm del <id>" },
    { "map", cmd_map, MAP_USAGE },
    { "unmap", cmd_unmap, "unmap <addr> <len>" },
    { "mprotect", cmd_mprotect, "mprotect <addr> <len> <flags>" },
    { "touch", cmd_touch, "touch <addr> [len] r|w [value]   (access through the MMU: the first "
                          "word of each page, default len 8 = one access)" },
    { "fork", cmd_fork, "fork   (copy-on-write child of the current mm)" },
    { "softdirty", cmd_softdirty, "softdirty clear" },
    { "uffd", cmd_uffd, UFFD_USAGE },
    { "zap", cmd_zap, "zap <addr> <len>   (MADV_DONTNEED)" },
    { "guard", cmd_guard, "guard <addr> <len> install|remove   (MADV_GUARD_INSTALL/REMOVE)" },
    { "devx", cmd_devx, "devx <addr> | devx write <offset> <value> | devx read <offset> | devx status" },
    { "numa", cmd_numa, "numa scan <addr> <len> <node|none> | numa policy none|savedwrite|can_change" },
    { "migrate", cmd_migrate, "migrate <addr> <node>" },
    { "folio", cmd_folio, "folio 0|4   (anonymous folio order)" },
    { "tlbi", cmd_tlbi, "tlbi auto|per-page|range|asid|unsafe-per-block [threshold]" },
    { "batch", cmd_batch, "batch on|off   (batched mprotect)" },
    { "pte", cmd_pte, "pte <addr> [count]" },
    { "vma", cmd_vma, "vma" },
    { "events", cmd_events, "events [reset]" },
    { "test", cmd_test, "test <glob>" },
    { "bench", cmd_bench, "bench <glob>" },
    { "info", cmd_info, "info" },
    { "exit", cmd_exit, "exit | quit" },
    { "quit", cmd_exit, "quit" },
};

static int cmd_help(int argc, char **argv)
{
    if (need_args(argc, 1, 1, "help") < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (commands[i].fn != cmd_exit || strcmp(commands[i].name, "exit") == 0)
            printf("%s\n", commands[i].usage);
    printf("numbers: decimal or 0x-hex; lengths may end in K, M or G\n");
    return 0;
}

/* Run one line. Returns true if the shell should end. */
static bool shell_execute(char *line)
{
    char *argv[SHELL_MAX_ARGS];
    int argc = shell_tokenize(line, argv, SHELL_MAX_ARGS);
    if (argc == 0 || (argc > 0 && argv[0][0] == '#'))
        return false;                       /* empty line or comment: just the prompt */
    if (argc < 0) {
        printf("error: too many arguments (at most %d words)\n", SHELL_MAX_ARGS);
        return false;
    }
    const struct command *c = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            c = &commands[i];
    if (!c) {
        printf("error: unknown command '%s' (try help)\n", argv[0]);
        return false;
    }
    errbuf[0] = '\0';
    if (c->fn(argc, argv) < 0) {
        printf("error: %s\n", errbuf);
        return false;
    }
    printf("ok\n");
    return c->fn == cmd_exit;
}

/* ---- line input ----------------------------------------------------------- */

static int getc_blocking(void)
{
    int c;
    while ((c = console_getc()) < 0)
        ;
    return c;
}

/* read_line results besides the line itself */
enum { LINE_OK = 1, LINE_TOO_LONG = 0, LINE_EOF = -1, LINE_BAD_BYTE = -2 };
static int bad_byte;        /* LINE_BAD_BYTE: the first offending byte */

/* Read one line with echo and backspace. Every byte the line held is kept
 * (a NUL too), so a line with a byte that is not printable ASCII is refused
 * as a whole rather than run with the byte dropped; escape sequences never
 * reach the buffer. Returns LINE_OK, LINE_TOO_LONG (discarded), LINE_EOF
 * (^D on an empty line) or LINE_BAD_BYTE (bad_byte set). */
/* Command history: the last HISTORY_MAX distinct lines, recalled with the
 * up/down arrow keys (ESC [ A / ESC [ B, or ESC O A / ESC O B). */
#define HISTORY_MAX 8
static char history[HISTORY_MAX][SHELL_LINE_MAX + 1];
static unsigned history_count;      /* lines ever added; newest at (count-1) % MAX */

static void history_add(const char *line)
{
    if (!line[0])
        return;
    if (history_count && strcmp(history[(history_count - 1) % HISTORY_MAX], line) == 0)
        return;
    snprintf(history[history_count % HISTORY_MAX], SHELL_LINE_MAX + 1, "%s", line);
    history_count++;
}

/* Replace the line being edited (n bytes, all echoed) by history entry `back`
 * lines back (1 = newest), or by an empty line for 0. */
static size_t history_recall(char *buf, size_t size, size_t n, unsigned back)
{
    for (size_t i = 0; i < n; i++) {
        console_putc('\b');
        console_putc(' ');
        console_putc('\b');
    }
    n = 0;
    if (back) {
        const char *h = history[(history_count - back) % HISTORY_MAX];
        for (; h[n] && n + 1 < size; n++) {
            buf[n] = h[n];
            console_putc(h[n]);
        }
    }
    return n;
}

static int read_line(char *buf, size_t size)
{
    static bool last_cr;
    enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 } esc = ESC_NONE;
    size_t n = 0;
    bool overflow = false, csi_params = false;
    unsigned back = 0;              /* history position: 0 = the new line */
    unsigned avail = history_count < HISTORY_MAX ? history_count : HISTORY_MAX;
    for (;;) {
        int c = getc_blocking();
        if (c == '\n' && last_cr) {         /* the LF of a CRLF */
            last_cr = false;
            continue;
        }
        last_cr = c == '\r';
        /* Escape sequences: ESC [ <0x20-0x3f>* <0x40-0x7e>, ESC O <char>,
         * ESC <char>. A control byte ends one early and is then handled
         * as usual (so Enter always ends the line). */
        if (esc == ESC_START) {
            if (c == 0x1b)
                continue;
            esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
            csi_params = false;
            if (c >= 0x20)
                continue;
        } else if (esc == ESC_CSI || esc == ESC_SS3) {
            bool final = esc == ESC_SS3 ? c >= 0x20 : c >= 0x40 && c <= 0x7e;
            if (esc == ESC_CSI && c >= 0x20 && c < 0x40) {
                csi_params = true;
                continue;
            }
            esc = ESC_NONE;
            if (final) {
                /* Up / down without parameters: walk the history (a line
                 * that overflowed is not echoed whole: leave it alone). */
                if ((c == 'A' || c == 'B') && !csi_params && !overflow) {
                    unsigned to = c == 'A' ? (back < avail ? back + 1 : back)
                                           : (back > 0 ? back - 1 : 0);
                    if (to != back) {
                        back = to;
                        n = history_recall(buf, size, n, back);
                    }
                }
                continue;
            }
        }
        if (c == 0x1b) {
            esc = ESC_START;
            continue;
        }
        if (c == '\r' || c == '\n') {
            console_putc('\n');
            buf[n] = '\0';
            if (overflow)
                return LINE_TOO_LONG;
            for (size_t i = 0; i < n; i++) {
                unsigned char b = (unsigned char)buf[i];
                if ((b < 0x20 && b != '\t') || b > 0x7e) {
                    bad_byte = b;
                    return LINE_BAD_BYTE;
                }
            }
            return LINE_OK;
        }
        if (c == 0x7f || c == 0x08) {
            if (n > 0 && !overflow) {
                unsigned char b = (unsigned char)buf[--n];
                if ((b >= 0x20 && b <= 0x7e) || b == '\t') {   /* it was echoed */
                    console_putc('\b');
                    console_putc(' ');
                    console_putc('\b');
                }
            }
            continue;
        }
        if (c == 0x04 && n == 0 && !overflow)
            return LINE_EOF;
        if (c == 0x03) {                    /* ^C: drop the line */
            printf("^C\n");
            buf[0] = '\0';
            return LINE_OK;
        }
        if ((c >= 0x20 && c <= 0x7e) || c == '\t')
            console_putc((char)c);
        if (n + 1 >= size)
            overflow = true;
        else
            buf[n++] = (char)c;
    }
}

void shell_run(void)
{
    static char line[SHELL_LINE_MAX + 1];
    printf("# mm shell: type 'help' for commands, 'exit' to end\n");
    for (;;) {
        printf(PROMPT);
        int r = read_line(line, sizeof(line));
        if (r == LINE_EOF) {
            printf("\nok\n");
            break;
        }
        if (r == LINE_TOO_LONG) {
            printf("error: line longer than %d characters\n", SHELL_LINE_MAX);
            continue;
        }
        if (r == LINE_BAD_BYTE) {
            printf("error: %s 0x%02x in the command\n",
                   bad_byte < 0x20 ? "control character" : "non-ASCII byte", bad_byte);
            continue;
        }
        history_add(line);
        if (shell_execute(line))
            break;
    }
    /* Leave the kernel translation active. */
    mm_activate(NULL);
}
