/*
 * In-kernel test harness, KTAP version 1 output (Linux
 * Documentation/dev-tools/ktap.rst). A suite is a list of cases registered
 * with KTEST_SUITE(); suites run in the order of their priority prefix.
 *
 *   static void my_case(struct ktest *t) { KEXPECT_EQ(t, 1 + 1, 2); }
 *   static const struct ktest_case mysuite_cases[] = { KTEST_CASE(my_case) };
 *   KTEST_SUITE(mysuite, 40);
 *
 * KEXPECT* record a failure and go on; KASSERT* also return from the case.
 */
#ifndef TESTS_KERNEL_KTEST_H
#define TESTS_KERNEL_KTEST_H
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct ktest {
    const char *suite, *name;
    bool failed, skipped;
    unsigned checks;
    char skip_reason[96];
};
typedef void (*ktest_fn)(struct ktest *t);
struct ktest_case { const char *name; ktest_fn fn; };

enum { KTEST_EXPLICIT = 1 };    /* runs only when test= names it explicitly */
struct ktest_suite {
    const char *name;
    const struct ktest_case *cases;
    size_t ncases;
    unsigned flags;
    /* Optional: runs before the suite; a non-NULL return skips every case with that reason. */
    const char *(*setup)(void);
    void (*teardown)(void);
    /* Optional: runs before and after each case. */
    void (*before)(struct ktest *t);
    void (*after)(struct ktest *t);
};

#define KTEST_CASE(fn) { #fn, fn }
#define KTEST_SUITE(ident, prio, ...)                                            \
    static const struct ktest_suite ident##_suite = {                            \
        .name = #ident, .cases = ident##_cases,                                  \
        .ncases = sizeof(ident##_cases) / sizeof(ident##_cases[0]), __VA_ARGS__ }; \
    static const struct ktest_suite *const ident##_suite_ptr                     \
        __attribute__((section(".ktest." #prio "_" #ident), used)) = &ident##_suite

bool ktest_check(struct ktest *t, bool ok, const char *file, int line, const char *expr,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
bool ktest_check_eq(struct ktest *t, uint64_t a, uint64_t b, const char *file, int line,
                    const char *ea, const char *eb);
void ktest_skip(struct ktest *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Diagnostic line inside the running case ("    # ..."). */
void ktest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KEXPECT(t, cond, ...) ktest_check((t), !!(cond), __FILE__, __LINE__, #cond, "" __VA_ARGS__)
#define KEXPECT_EQ(t, a, b) ktest_check_eq((t), (uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define KASSERT(t, cond, ...) do { if (!KEXPECT(t, cond, __VA_ARGS__)) return; } while (0)
#define KASSERT_EQ(t, a, b) do { if (!KEXPECT_EQ(t, a, b)) return; } while (0)

/* Run the suites selected by `glob` (NULL = all non-explicit suites).
 * Returns the number of failed cases, or -1 if the glob matched nothing
 * (after printing the available names). */
int ktest_run(const char *glob);
/* Called by the trap code when an unexpected exception hits a running case:
 * reports it `not ok` and bails out of the KTAP stream. */
void ktest_crashed(const char *what);
/* Fail the running case (from outside it: the rule checker). */
void ktest_fail_current(const char *why);
/* Name of the running case ("suite.case") or NULL. */
const char *ktest_current(void);
/* Glob matching shared with benchmarks and the shell: '*', '?', and
 * comma-separated alternatives. */
bool glob_match_list(const char *patterns, const char *name);
bool glob_match(const char *pat, size_t plen, const char *name);
#endif
