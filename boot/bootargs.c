/* Boot argument parsing and validation (see bootargs.h). */
#include "boot/kernel.h"
#include "boot/arch.h"
#include "boot/bootargs.h"
#include "tests/kernel/ktest.h"
#include "tests/bench/kbench.h"

extern const struct ktest_suite *const __ktest_start[], *const __ktest_end[];

#ifdef __aarch64__
#define THIS_ARCH "arm64"
#define OTHER_ARCH "riscv64"
#define EXIT_CHOICES_HERE "semihosting|psci"
#define SHOOTDOWN_CHOICES_HERE "broadcast|ipi"
#elif defined(__arm__)
#define THIS_ARCH "arm"
#define OTHER_ARCH "riscv64"
#define EXIT_CHOICES_HERE "semihosting|psci"
#define SHOOTDOWN_CHOICES_HERE "broadcast"
#else
#define THIS_ARCH "riscv64"
#define OTHER_ARCH "arm64"
#define EXIT_CHOICES_HERE "finisher|sbi"
#define SHOOTDOWN_CHOICES_HERE "sbi|ipi"
#endif

enum arg_type { ARG_FLAG, ARG_STRING, ARG_NUMBER, ARG_CHOICE };
struct arg_spec {
    const char *key;
    enum arg_type type;
    const char *choices;        /* ARG_CHOICE: '|'-separated, every arch */
    const char *choices_here;   /* ARG_CHOICE: the ones this arch takes (NULL = all) */
    const char *arch;           /* only meaningful on this arch (NULL = both) */
    unsigned long long min, max;/* ARG_NUMBER: accepted range */
    const char *help;
};

/* Upper bounds: steps is what the randomized test can run in a sensible
 * time (3400 x 3 cases by default); reps is the sample array of the
 * benchmark harness (KBENCH_MAX_REPS in tests/bench/bench.c). */
#define STEPS_MAX 10000000ULL
#define REPS_MAX 64ULL

static const struct arg_spec specs[] = {
    { "test", ARG_STRING, NULL, NULL, NULL, 0, 0,
      "run the test suites/cases matching a glob (comma-separated list)" },
    { "bench", ARG_STRING, NULL, NULL, NULL, 0, 0, "run the benchmarks matching a glob" },
    { "shell", ARG_FLAG, NULL, NULL, NULL, 0, 0, "start the interactive serial shell" },
    { "exit", ARG_CHOICE, "semihosting|psci|finisher|sbi", EXIT_CHOICES_HERE, NULL, 0, 0,
      "how to end the run (arm64, arm: semihosting|psci, riscv64: finisher|sbi)" },
    { "hwad", ARG_CHOICE, "on|off", NULL, "arm64", 0, 0,
      "arm64: hardware access/dirty flag update (FEAT_HAFDBS)" },
    { "va", ARG_CHOICE, "39|48", NULL, "arm64", 0, 0, "arm64: virtual address bits" },
    { "satp", ARG_CHOICE, "sv39|sv48", NULL, "riscv64", 0, 0, "riscv64: translation mode" },
    { "asid_bits", ARG_CHOICE, "0|1|2|3|4|5|6|7|8|16", NULL, NULL, 0, 0,
      "use at most this many ASID bits (ASID rollover)" },
    { "seed", ARG_NUMBER, NULL, NULL, NULL, 0, UINT64_MAX, "seed of randomized tests" },
    { "steps", ARG_NUMBER, NULL, NULL, NULL, 1, STEPS_MAX, "steps of randomized tests" },
    { "reps", ARG_NUMBER, NULL, NULL, NULL, 1, REPS_MAX, "benchmark repetitions (default 5)" },
    { "smp", ARG_NUMBER, NULL, NULL, NULL, 1, 8, "start at most this many CPUs (default: all listed)" },
    { "smp_rounds", ARG_NUMBER, NULL, NULL, NULL, 1, 1000000, "rounds of the SMP racing tests (default 50)" },
    { "race_rounds", ARG_NUMBER, NULL, NULL, NULL, 1, 100000, "rounds of the smp_race suite (default 40)" },
    { "shootdown", ARG_CHOICE, "broadcast|ipi|sbi", SHOOTDOWN_CHOICES_HERE, NULL, 0, 0,
      "TLB shootdown (arm64: broadcast|ipi, riscv64: sbi|ipi)" },
};

#define MAX_ARGS 16
#define CMDLINE_MAX 512
#define MAX_NOTES 4
#define NOTE_MAX 160
static char buf[CMDLINE_MAX];
static struct { const char *key, *value; } args[MAX_ARGS];
static int nargs;
static char notes[MAX_NOTES][NOTE_MAX];
static int nnotes;

static const struct arg_spec *find_spec(const char *key, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++)
        if (strlen(specs[i].key) == len && strncmp(specs[i].key, key, len) == 0)
            return &specs[i];
    return NULL;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && strncmp(p, v, l) == 0)
            return true;
        p += l + (bar ? 1 : 0);
    }
    return false;
}

/* Decimal digits only; -1 if malformed, -2 if larger than 2^64-1. */
static int parse_decimal(const char *v, unsigned long long *out)
{
    if (!*v)
        return -1;
    unsigned long long n = 0;
    bool overflow = false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return -1;
        unsigned d = (unsigned)(*v - '0');
        if (n > (UINT64_MAX - d) / 10)
            overflow = true;        /* keep scanning: a later non-digit is "malformed" */
        else
            n = n * 10 + d;
    }
    if (overflow)
        return -2;
    *out = n;
    return 0;
}

/* A value for a message: at most 40 characters, "..." if cut. */
static const char *shown(const char *v)
{
    static char s[48];
    size_t l = strlen(v);
    if (l <= 40)
        return v;
    snprintf(s, sizeof(s), "%.37s...", v);
    return s;
}

/* ---- what test= and bench= select ----------------------------------------- */

/* Does one pattern (not NUL-terminated) select case c of suite s? As
 * tests/kernel/ktest.c: an explicit-only suite needs a pattern whose text
 * before the first wildcard is not empty. */
static bool pattern_selects_case(const char *p, size_t len, const struct ktest_suite *s,
                                 const struct ktest_case *c)
{
    if ((s->flags & KTEST_EXPLICIT) && (len == 0 || p[0] == '*' || p[0] == '?'))
        return false;
    char full[96];
    snprintf(full, sizeof(full), "%s.%s", s->name, c->name);
    return glob_match(p, len, s->name) || glob_match(p, len, full);
}

/* Does pattern p select any case (of suite `only` if not NULL)? */
static bool pattern_selects_test(const char *p, size_t len, const char *only)
{
    for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++) {
        const struct ktest_suite *s = *sp;
        if (only && strcmp(s->name, only) != 0)
            continue;
        for (size_t i = 0; i < s->ncases; i++)
            if (pattern_selects_case(p, len, s, &s->cases[i]))
                return true;
    }
    return false;
}

static bool pattern_selects_bench(const char *p, size_t len)
{
    for (const struct kbench *const *kp = __kbench_start; kp < __kbench_end; kp++) {
        if (glob_match(p, len, (*kp)->name))
            return true;
        if (len == 7 && strncmp(p, "default", 7) == 0 && ((*kp)->flags & KBENCH_DEFAULT))
            return true;
    }
    return false;
}

/* Every comma-separated pattern of test=/bench= must be non-empty and
 * select something: a pattern selecting nothing is a typo, and would
 * otherwise be dropped silently as long as another one matched. */
static int check_patterns(const char *key, const char *glob, char *err, size_t errlen)
{
    bool test = strcmp(key, "test") == 0;
    for (const char *p = glob;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            snprintf(err, errlen, "boot argument %s=%s: empty pattern in the list", key,
                     shown(glob));
            return -1;
        }
        if (!(test ? pattern_selects_test(p, len, NULL) : pattern_selects_bench(p, len))) {
            snprintf(err, errlen, "boot argument %s=%s: '%.*s' matches no %s", key, shown(glob),
                     (int)(len > 40 ? 40 : len), p,
                     test ? "test suite or case" : "benchmark");
            return -1;
        }
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Does the run select a case of suite `suite`? glob NULL = the default set. */
static bool selects_suite(const char *glob, const char *suite)
{
    if (!glob) {
        for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++)
            if (strcmp((*sp)->name, suite) == 0)
                return !((*sp)->flags & KTEST_EXPLICIT);
        return false;
    }
    for (const char *p = glob;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (pattern_selects_test(p, len, suite))
            return true;
        if (!comma)
            return false;
        p = comma + 1;
    }
}

/* ---- parsing ------------------------------------------------------------------ */

struct parsed { const char *key, *value; };

static const char *find_parsed(const struct parsed *parsed, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(parsed[i].key, key) == 0)
            return parsed[i].value;
    return NULL;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int bootargs_parse(const char *cmdline, char *err, size_t errlen)
{
    static char tmp[CMDLINE_MAX];
    static char tnotes[MAX_NOTES][NOTE_MAX];
    struct parsed parsed[MAX_ARGS];
    int n = 0, tn = 0;
    size_t cl = strlen(cmdline);
    if (cl >= sizeof(tmp)) {
        snprintf(err, errlen, "boot arguments are %lu characters, at most %d are accepted", (unsigned long)cl,
                 CMDLINE_MAX - 1);
        return -1;
    }
    strcpy(tmp, cmdline);
    char *p = tmp;
    while (*p) {
        while (is_blank(*p))
            *p++ = '\0';
        if (!*p)
            break;
        char *tok = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = '\0';
        char *eq = strchr(tok, '=');
        size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
        const struct arg_spec *s = find_spec(tok, klen);
        if (!s) {
            snprintf(err, errlen, "unknown boot argument '%.*s'", (int)(klen > 40 ? 40 : klen),
                     tok);
            return -1;
        }
        const char *val = eq ? eq + 1 : "";
        if (s->type == ARG_FLAG && eq) {
            snprintf(err, errlen, "boot argument '%s' takes no value", s->key);
            return -1;
        }
        if (s->type != ARG_FLAG && !*val) {
            snprintf(err, errlen, "boot argument '%s' needs a value", s->key);
            return -1;
        }
        if (s->arch && strcmp(s->arch, THIS_ARCH) != 0) {
            snprintf(err, errlen, "boot argument %s= is for %s only (this kernel is %s)", s->key,
                     s->arch, THIS_ARCH);
            return -1;
        }
        if (s->type == ARG_CHOICE && !choice_ok(s->choices, val)) {
            snprintf(err, errlen, "boot argument %s=%s: expected one of %s", s->key, shown(val),
                     s->choices_here ? s->choices_here : s->choices);
            return -1;
        }
        if (s->type == ARG_CHOICE && s->choices_here && !choice_ok(s->choices_here, val)) {
            snprintf(err, errlen, "boot argument %s=%s is for %s (this kernel is %s: one of %s)",
                     s->key, val, OTHER_ARCH, THIS_ARCH, s->choices_here);
            return -1;
        }
        if (s->type == ARG_NUMBER) {
            unsigned long long num = 0;
            int r = parse_decimal(val, &num);
            if (r == -1) {
                snprintf(err, errlen, "boot argument %s=%s: expected a decimal number", s->key,
                         shown(val));
                return -1;
            }
            if (r == -2 || num < s->min || num > s->max) {
                snprintf(err, errlen, "boot argument %s=%s: out of range %llu..%llu", s->key,
                         shown(val), s->min, s->max);
                return -1;
            }
        }
        if (find_parsed(parsed, n, s->key)) {
            snprintf(err, errlen, "boot argument '%s' given twice", s->key);
            return -1;
        }
        if (n == MAX_ARGS) {
            snprintf(err, errlen, "more than %d boot arguments", MAX_ARGS);
            return -1;
        }
        if (s->type == ARG_STRING && check_patterns(s->key, val, err, errlen) < 0)
            return -1;
        parsed[n].key = s->key;
        parsed[n].value = val;
        n++;
    }

    /* Combinations. One job runs: the shell, the benchmarks or the tests. */
    const char *test = find_parsed(parsed, n, "test");
    const char *bench = find_parsed(parsed, n, "bench");
    bool shell = find_parsed(parsed, n, "shell") != NULL;
    if (test && bench && !shell) {
        snprintf(err, errlen, "test= and bench= both given: a run either tests or benchmarks "
                              "(use the shell for both)");
        return -1;
    }
    if (shell && (test || bench))
        snprintf(tnotes[tn++], NOTE_MAX, "%s%s%s ignored: the shell runs instead (use its "
                 "test/bench commands)", test ? "test=" : "", test && bench ? " and " : "",
                 bench ? "bench=" : "");
    if (find_parsed(parsed, n, "reps") && !bench && !shell)
        snprintf(tnotes[tn++], NOTE_MAX, "reps= ignored: only benchmarks (bench=) use it");
    const char *rnd = find_parsed(parsed, n, "seed") && find_parsed(parsed, n, "steps")
                          ? "seed= and steps="
                      : find_parsed(parsed, n, "seed") ? "seed="
                      : find_parsed(parsed, n, "steps") ? "steps=" : NULL;
    if (rnd && !shell && bench)
        snprintf(tnotes[tn++], NOTE_MAX, "%s ignored: only the mm_random tests use %s, and "
                 "bench= runs no tests", rnd, strchr(rnd, ' ') ? "them" : "it");
    else if (rnd && !shell && !selects_suite(test, "mm_random"))
        snprintf(tnotes[tn++], NOTE_MAX, "%s ignored: only the mm_random tests use %s, and "
                 "test=%s selects none of them", rnd, strchr(rnd, ' ') ? "them" : "it",
                 shown(test ? test : ""));

    /* Commit only after everything validated. */
    memcpy(buf, tmp, sizeof(buf));
    for (int i = 0; i < n; i++) {
        args[i].key = parsed[i].key;
        args[i].value = buf + (parsed[i].value - tmp);
        if (!*parsed[i].value)
            args[i].value = "";
    }
    nargs = n;
    memcpy(notes, tnotes, sizeof(notes));
    nnotes = tn;
    return 0;
}

const char *bootarg_value(const char *key)
{
    for (int i = 0; i < nargs; i++)
        if (strcmp(args[i].key, key) == 0)
            return args[i].value;
    return NULL;
}

bool bootarg_present(const char *key) { return bootarg_value(key) != NULL; }

unsigned long long bootarg_number(const char *key, unsigned long long dflt)
{
    const char *v = bootarg_value(key);
    unsigned long long n;
    if (!v || parse_decimal(v, &n) < 0)     /* validated at parse time */
        return dflt;
    return n;
}

void bootargs_print_notes(void)
{
    for (int i = 0; i < nnotes; i++)
        printf("# bootargs: note: %s\n", notes[i]);
}

void bootargs_print_help(void)
{
    printf("# boot arguments:\n");
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        const struct arg_spec *s = &specs[i];
        char what[48];
        if (s->type == ARG_FLAG)
            what[0] = '\0';
        else if (s->type == ARG_CHOICE)
            snprintf(what, sizeof(what), "=%s", s->choices_here ? s->choices_here : s->choices);
        else if (s->type == ARG_NUMBER)
            snprintf(what, sizeof(what), "=%llu..%llu", s->min, s->max);
        else
            snprintf(what, sizeof(what), "=<glob>[,<glob>...]");
        printf("#   %s%s  %s%s\n", s->key, what, s->help,
               s->arch && strcmp(s->arch, THIS_ARCH) != 0 ? " [not on this arch]" : "");
    }
    printf("# test suites (test=SUITE or SUITE.CASE, globs; [explicit] = only when named):");
    for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++)
        printf(" %s%s", (*sp)->name, (*sp)->flags & KTEST_EXPLICIT ? "[explicit]" : "");
    printf("\n# benchmarks (bench=NAME, globs, default):");
    for (const struct kbench *const *kp = __kbench_start; kp < __kbench_end; kp++)
        printf(" %s", (*kp)->name);
    printf("\n");
}
