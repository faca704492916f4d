/* KTAP v1 test runner (see ktest.h). */
#include "boot/kernel.h"
#include "boot/boot.h"
#include "mmu/rule_check.h"
#include "tests/kernel/ktest.h"
#include <stdarg.h>

extern const struct ktest_suite *const __ktest_start[], *const __ktest_end[];

static struct ktest *running;
static const struct ktest_suite *running_suite;
static unsigned running_case_no, running_suite_no;

bool glob_match(const char *p, size_t plen, const char *s)
{
    const char *pend = p + plen, *star = NULL, *resume = NULL;
    while (*s) {
        if (p < pend && (*p == '?' || *p == *s)) {
            p++, s++;
        } else if (p < pend && *p == '*') {
            star = p++;
            resume = s;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (p < pend && *p == '*')
        p++;
    return p == pend;
}

/* Does any comma-separated pattern match? With `literal_prefix`, only
 * patterns whose text before the first wildcard is non-empty count (so
 * "test=*" does not select explicit-only suites). */
static bool match_any(const char *patterns, const char *name, bool literal_prefix)
{
    const char *p = patterns;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        bool prefix_ok = !literal_prefix || (len > 0 && p[0] != '*' && p[0] != '?');
        if (len && prefix_ok && glob_match(p, len, name))
            return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

bool glob_match_list(const char *patterns, const char *name)
{
    return match_any(patterns, name, false);
}

static void case_name(char *buf, size_t n, const struct ktest_suite *s, const struct ktest_case *c)
{
    snprintf(buf, n, "%s.%s", s->name, c->name);
}

/* Is case c of suite s selected by glob? */
static bool case_selected(const char *glob, const struct ktest_suite *s, const struct ktest_case *c)
{
    bool explicit_only = s->flags & KTEST_EXPLICIT;
    if (!glob)
        return !explicit_only;
    char full[96];
    case_name(full, sizeof(full), s, c);
    return match_any(glob, s->name, explicit_only) || match_any(glob, full, explicit_only);
}

static size_t selected_cases(const char *glob, const struct ktest_suite *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ncases; i++)
        n += case_selected(glob, s, &s->cases[i]);
    return n;
}

static void list_available(void)
{
    printf("# available tests (suite: cases; [explicit] = run only when named):\n");
    for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++) {
        const struct ktest_suite *s = *sp;
        printf("#   %s%s:", s->name, s->flags & KTEST_EXPLICIT ? " [explicit]" : "");
        for (size_t i = 0; i < s->ncases; i++)
            printf(" %s", s->cases[i].name);
        printf("\n");
    }
}

bool ktest_check(struct ktest *t, bool ok, const char *file, int line, const char *expr,
                 const char *fmt, ...)
{
    t->checks++;
    if (ok)
        return true;
    t->failed = true;
    printf("        # %s:%d: expected %s", file, line, expr);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(": ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    return false;
}

bool ktest_check_eq(struct ktest *t, uint64_t a, uint64_t b, const char *file, int line,
                    const char *ea, const char *eb)
{
    t->checks++;
    if (a == b)
        return true;
    t->failed = true;
    printf("        # %s:%d: expected %s == %s, got 0x%llx (%llu) vs 0x%llx (%llu)\n", file, line,
           ea, eb, (unsigned long long)a, (unsigned long long)a, (unsigned long long)b,
           (unsigned long long)b);
    return false;
}

void ktest_skip(struct ktest *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
    va_end(ap);
    t->skipped = true;
}

void ktest_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("        # ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

void ktest_fail_current(const char *why)
{
    if (running)
        running->failed = true;
    else
        printf("# failure outside any test: %s\n", why);
}

const char *ktest_current(void)
{
    static char buf[96];
    if (!running)
        return NULL;
    snprintf(buf, sizeof(buf), "%s.%s", running->suite, running->name);
    return buf;
}

void ktest_crashed(const char *what)
{
    if (!running) {
        printf("Bail out! %s (outside any test)\n", what);
        return;
    }
    printf("    not ok %u %s # crashed: %s\n", running_case_no, running->name, what);
    printf("not ok %u %s\n", running_suite_no, running_suite->name);
    printf("Bail out! test %s crashed\n", ktest_current());
    running = NULL;
}

/* KUnit-style counts (Documentation/dev-tools/kunit: "# <suite>: pass:N fail:N
 * skip:N total:N" per suite, "# Totals: ..." at the end), so a board's serial
 * log alone carries them. */
struct ktap_counts { unsigned pass, fail, skip; };

static void print_counts(const char *indent, const char *what, const struct ktap_counts *c)
{
    printf("%s# %s: pass:%u fail:%u skip:%u total:%u\n", indent, what, c->pass, c->fail, c->skip,
           c->pass + c->fail + c->skip);
}

static unsigned run_suite(const char *glob, const struct ktest_suite *s, unsigned suite_no,
                          unsigned *failed_cases, struct ktap_counts *totals)
{
    struct ktap_counts sc = { 0, 0, 0 };
    size_t n = selected_cases(glob, s);
    printf("    KTAP version 1\n    # Subtest: %s\n    1..%lu\n", s->name, (unsigned long)n);
    const char *skip_all = s->setup ? s->setup() : NULL;
    unsigned no = 0, failed = 0;
    for (size_t i = 0; i < s->ncases; i++) {
        const struct ktest_case *c = &s->cases[i];
        if (!case_selected(glob, s, c))
            continue;
        struct ktest t = { .suite = s->name, .name = c->name };
        no++;
        if (skip_all) {
            ktest_skip(&t, "%s", skip_all);
        } else {
            running = &t;
            running_suite = s;
            running_case_no = no;
            running_suite_no = suite_no;
            if (s->before)
                s->before(&t);
            rule_check_reset();
            rule_check_on = true;
            c->fn(&t);
            if (s->after)
                s->after(&t);
            rule_check_op_end("test case");
            running = NULL;
        }
        if (t.failed) {
            failed++;
            sc.fail++;
            printf("    not ok %u %s\n", no, c->name);
        } else if (t.skipped) {
            sc.skip++;
            printf("    ok %u %s # SKIP %s\n", no, c->name, t.skip_reason);
        } else {
            sc.pass++;
            printf("    ok %u %s\n", no, c->name);
        }
    }
    print_counts("    ", s->name, &sc);
    totals->pass += sc.pass;
    totals->fail += sc.fail;
    totals->skip += sc.skip;
    if (!skip_all && s->teardown)
        s->teardown();
    *failed_cases += failed;
    return failed;
}

int ktest_run(const char *glob)
{
    if (glob && !*glob)
        glob = NULL;
    unsigned nsuites = 0;
    for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++)
        nsuites += selected_cases(glob, *sp) > 0;
    if (nsuites == 0) {
        printf("# error: test=%s matches no test suite or case\n", glob ? glob : "");
        list_available();
        return -1;
    }
    boot_report_first_test();
    printf("KTAP version 1\n1..%u\n", nsuites);
    unsigned no = 0, failed_cases = 0;
    struct ktap_counts totals = { 0, 0, 0 };
    for (const struct ktest_suite *const *sp = __ktest_start; sp < __ktest_end; sp++) {
        const struct ktest_suite *s = *sp;
        if (!selected_cases(glob, s))
            continue;
        no++;
        unsigned f = run_suite(glob, s, no, &failed_cases, &totals);
        printf("%s %u %s\n", f ? "not ok" : "ok", no, s->name);
    }
    print_counts("", "Totals", &totals);
    return (int)failed_cases;
}
