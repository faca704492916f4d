/* In-kernel benchmarks (boot argument bench=<glob>). */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H
/* Run the benchmarks matching glob (comma-separated globs; the word
 * "default" = the default set; NULL or "" = the default set); prints
 * BENCH-BEGIN, one BENCH {json} line per result, BENCH-END. Returns the
 * number of results, BENCH_NO_MATCH if the glob matched nothing (after
 * listing the available ones), or BENCH_FAILED if a case failed (out of
 * memory, say). Harness API: tests/bench/kbench.h. */
#define BENCH_NO_MATCH (-1)
#define BENCH_FAILED (-2)
int bench_run(const char *glob);
#endif
