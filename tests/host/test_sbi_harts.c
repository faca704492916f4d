/*
 * Host tests for arch/riscv64/include/asm/sbi_harts.h: the SBI hart list
 * (hart_mask, hart_mask_base) windows a remote fence is sent as.
 * Every window must name only harts of the set, every hart of the set
 * exactly once, bit 0 of each mask must be set (its base is a hart of the
 * set) and no two windows may overlap; sets whose ids fit in 64 go as one
 * window. Checked on hand-made sets (ids at 0, 63, 64, 4095, near
 * UINT64_MAX) and on 100000 random sets of 1..8 ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <asm/sbi_harts.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The windows cover exactly the set, each hart once; returns how many. */
static unsigned check_windows(const uint64_t *ids, unsigned n)
{
    struct sbi_hart_window w[64];
    unsigned nw = sbi_hart_windows(ids, n, w);
    assert_true(nw <= n);
    if (n)
        assert_true(nw >= 1);
    unsigned named = 0;
    for (unsigned i = 0; i < nw; i++) {
        assert_true(w[i].mask & 1);                 /* based at a hart of the set */
        for (unsigned b = 0; b < 64; b++) {
            if (!(w[i].mask >> b & 1))
                continue;
            assert_true(w[i].base + b >= w[i].base); /* no wrap past UINT64_MAX */
            uint64_t id = w[i].base + b;
            unsigned found = 0;
            for (unsigned k = 0; k < n; k++)
                found += ids[k] == id;
            assert_int_equal(found, 1);             /* only harts of the set */
            for (unsigned j = 0; j < nw; j++)       /* named by no other window */
                if (j != i && id >= w[j].base && id - w[j].base < 64)
                    assert_false(w[j].mask >> (id - w[j].base) & 1);
            named++;
        }
    }
    assert_int_equal(named, n);                     /* every hart of the set */
    return nw;
}

static void test_small_ids_one_window(void **state)
{
    (void)state;
    const uint64_t ids[] = { 1, 2, 3 };
    struct sbi_hart_window w[3];
    assert_int_equal(sbi_hart_windows(ids, 3, w), 1);
    assert_int_equal(w[0].base, 1);
    assert_int_equal(w[0].mask, 0x7);
    assert_int_equal(check_windows(ids, 3), 1);
}

static void test_empty_set(void **state)
{
    (void)state;
    struct sbi_hart_window w[1];
    assert_int_equal(sbi_hart_windows(NULL, 0, w), 0);
}

/* Ids 64 and above: the old single-mask code shifted 1 by the id (undefined
 * from 64 on, and a wrong hart below that on most compilers). */
static void test_ids_at_and_above_64(void **state)
{
    (void)state;
    const uint64_t a[] = { 64 };
    struct sbi_hart_window w[4];
    assert_int_equal(sbi_hart_windows(a, 1, w), 1);
    assert_int_equal(w[0].base, 64);
    assert_int_equal(w[0].mask, 1);

    const uint64_t b[] = { 0, 63 };                 /* one window, both ends */
    assert_int_equal(sbi_hart_windows(b, 2, w), 1);
    assert_int_equal(w[0].base, 0);
    assert_int_equal(w[0].mask, 0x8000000000000001ULL);

    const uint64_t c[] = { 64, 0 };                 /* 64 apart: two windows */
    assert_int_equal(sbi_hart_windows(c, 2, w), 2);
    assert_int_equal(w[0].base, 0);
    assert_int_equal(w[0].mask, 1);
    assert_int_equal(w[1].base, 64);
    assert_int_equal(w[1].mask, 1);

    const uint64_t d[] = { 4095, 100, 130, 4000, 163 };
    assert_int_equal(check_windows(d, ARRAY_LEN(d)), 3);   /* {100,130,163} {4000} {4095} */
    sbi_hart_windows(d, ARRAY_LEN(d), w);
    assert_int_equal(w[0].base, 100);
    assert_int_equal(w[0].mask, (1ULL << 0) | (1ULL << 30) | (1ULL << 63));
    assert_int_equal(w[1].base, 4000);
    assert_int_equal(w[1].mask, 1);                 /* 4095 - 4000 = 95: not in it */
    assert_int_equal(w[2].base, 4095);
    assert_int_equal(w[2].mask, 1);
}

static void test_ids_near_the_top(void **state)
{
    (void)state;
    const uint64_t ids[] = { UINT64_MAX, UINT64_MAX - 63, UINT64_MAX - 64, 5 };
    check_windows(ids, ARRAY_LEN(ids));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random sets of 1..8 distinct ids, clustered or spread; ids within 64 of
 * the lowest always in one window. */
static void test_random_sets(void **state)
{
    (void)state;
    for (unsigned iter = 0; iter < 100000; iter++) {
        uint64_t ids[8];
        unsigned n = 1 + (unsigned)(rnd() % 8);
        uint64_t spread = (uint64_t[]){ 8, 64, 65, 200, 1ULL << 20, UINT64_MAX }[rnd() % 6];
        uint64_t origin = rnd() % 3 == 0 ? 0 : rnd();
        for (unsigned i = 0; i < n; i++) {
            uint64_t id;
            bool dup;
            do {
                id = origin + (spread == UINT64_MAX ? rnd() : rnd() % spread);
                dup = false;
                for (unsigned k = 0; k < i; k++)
                    dup |= ids[k] == id;
            } while (dup);
            ids[i] = id;
        }
        unsigned nw = check_windows(ids, n);
        uint64_t lo = ids[0], hi = ids[0];
        for (unsigned i = 1; i < n; i++) {
            lo = ids[i] < lo ? ids[i] : lo;
            hi = ids[i] > hi ? ids[i] : hi;
        }
        if (hi - lo < 64)
            assert_int_equal(nw, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_small_ids_one_window),
        cmocka_unit_test(test_ids_at_and_above_64),
        cmocka_unit_test(test_ids_near_the_top),
        cmocka_unit_test(test_random_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
