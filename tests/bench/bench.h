/* In-kernel benchmarks (boot argument bench=<glob>). */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H
/* Run the benchmarks matching glob; prints BENCH-BEGIN, one BENCH {json}
 * line per result, BENCH-END. Returns the number run, or -1 if the glob
 * matched nothing (after listing the available ones). */
int bench_run(const char *glob);
#endif
