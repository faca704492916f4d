/* Boot argument parsing and validation (see bootargs.h). */
#include "boot/kernel.h"
#include "boot/bootargs.h"

enum arg_type { ARG_FLAG, ARG_STRING, ARG_NUMBER, ARG_CHOICE };
struct arg_spec {
    const char *key;
    enum arg_type type;
    const char *choices;        /* ARG_CHOICE: '|'-separated */
    const char *help;
};

static const struct arg_spec specs[] = {
    { "test", ARG_STRING, NULL, "run the test suites/cases matching a glob (comma-separated list)" },
    { "bench", ARG_STRING, NULL, "run the benchmarks matching a glob" },
    { "shell", ARG_FLAG, NULL, "start the interactive serial shell" },
    { "exit", ARG_CHOICE, "semihosting|psci|finisher|sbi", "how to end the run" },
    { "hwad", ARG_CHOICE, "on|off", "hardware access/dirty flag update (arm64 FEAT_HAFDBS)" },
    { "va", ARG_CHOICE, "39|48", "arm64 virtual address bits" },
    { "satp", ARG_CHOICE, "sv39|sv48", "riscv translation mode" },
    { "asid_bits", ARG_CHOICE, "0|1|2|3|4|5|6|7|8|16", "use at most this many ASID bits (ASID rollover)" },
    { "seed", ARG_NUMBER, NULL, "seed of randomized tests" },
    { "steps", ARG_NUMBER, NULL, "steps of randomized tests" },
    { "reps", ARG_NUMBER, NULL, "benchmark repetitions" },
};

#define MAX_ARGS 16
#define CMDLINE_MAX 512
static char buf[CMDLINE_MAX];
static struct { const char *key, *value; } args[MAX_ARGS];
static int nargs;

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

static bool number_ok(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++)
        if (*v < '0' || *v > '9')
            return false;
    return true;
}

int bootargs_parse(const char *cmdline, char *err, size_t errlen)
{
    static char tmp[CMDLINE_MAX];
    struct { const char *key, *value; } parsed[MAX_ARGS];
    int n = 0;
    if (strlen(cmdline) >= sizeof(tmp)) {
        snprintf(err, errlen, "boot arguments longer than %d characters", CMDLINE_MAX - 1);
        return -1;
    }
    strcpy(tmp, cmdline);
    char *p = tmp;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        char *tok = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
        char *eq = strchr(tok, '=');
        size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
        const struct arg_spec *s = find_spec(tok, klen);
        if (!s) {
            snprintf(err, errlen, "unknown boot argument '%.*s'", (int)klen, tok);
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
        if (s->type == ARG_CHOICE && !choice_ok(s->choices, val)) {
            snprintf(err, errlen, "boot argument %s=%s: expected one of %s", s->key, val, s->choices);
            return -1;
        }
        if (s->type == ARG_NUMBER && !number_ok(val)) {
            snprintf(err, errlen, "boot argument %s=%s: expected a decimal number", s->key, val);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (strcmp(parsed[i].key, s->key) == 0) {
                snprintf(err, errlen, "boot argument '%s' given twice", s->key);
                return -1;
            }
        if (n == MAX_ARGS) {
            snprintf(err, errlen, "more than %d boot arguments", MAX_ARGS);
            return -1;
        }
        parsed[n].key = s->key;
        parsed[n].value = val;
        n++;
    }
    /* Commit only after everything validated. */
    memcpy(buf, tmp, sizeof(buf));
    for (int i = 0; i < n; i++) {
        args[i].key = parsed[i].key;
        args[i].value = buf + (parsed[i].value - tmp);
        if (!*parsed[i].value)
            args[i].value = "";
    }
    nargs = n;
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
    if (!v)
        return dflt;
    unsigned long long n = 0;
    for (; *v; v++)
        n = n * 10 + (unsigned)(*v - '0');
    return n;
}

void bootargs_print_help(void)
{
    printf("# boot arguments:\n");
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++)
        printf("#   %s%s%s  %s\n", specs[i].key,
               specs[i].type == ARG_FLAG ? "" : "=",
               specs[i].type == ARG_CHOICE ? specs[i].choices
               : specs[i].type == ARG_FLAG ? "" : "<value>", specs[i].help);
}
