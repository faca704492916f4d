/*
 * Host tests for arch/arm64/include/asm/gic_sgi.h: the ICC_SGI1R_EL1 value
 * that sends an SGI to one PE, for every Aff0 (0..255) and sample
 * Aff1/Aff2/Aff3, decoded back by hand with the field positions of the GIC
 * architecture specification (Aff3 55:48, RS 47:44, IRM 40, Aff2 39:32,
 * INTID 27:24, Aff1 23:16, TargetList 15:0): exactly one target bit, and
 * RS * 16 + bit = Aff0; no bit outside those fields. And which PEs a CPU
 * interface without Range Selector Support can reach (Aff0 < 16).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <asm/gic_sgi.h>

static void test_every_aff0(void **state)
{
    (void)state;
    const uint64_t highs[] = { 0, 0x0100, 0x2a0000, 0x7f00000000ULL, 0x12345600ULL | 0xff00000000ULL };
    for (unsigned h = 0; h < sizeof(highs) / sizeof(highs[0]); h++)
        for (unsigned aff0 = 0; aff0 < 256; aff0++)
            for (unsigned intid = 0; intid < 16; intid += 5) {
                /* MPIDR: Aff3 39:32, U 30 / MT 24 ignored, Aff2 23:16, Aff1 15:8, Aff0 7:0 */
                uint64_t mpidr = highs[h] | (1ULL << 31) | aff0;
                uint64_t v = gicv3_sgi1r_value(mpidr, intid);
                uint64_t target = v & 0xffff, rs = (v >> 44) & 0xf;
                assert_int_equal(__builtin_popcountll(target), 1);
                assert_int_equal(rs * 16 + (unsigned)__builtin_ctzll(target), aff0);
                assert_int_equal((v >> 16) & 0xff, (mpidr >> 8) & 0xff);     /* Aff1 */
                assert_int_equal((v >> 32) & 0xff, (mpidr >> 16) & 0xff);    /* Aff2 */
                assert_int_equal((v >> 48) & 0xff, (mpidr >> 32) & 0xff);    /* Aff3 */
                assert_int_equal((v >> 24) & 0xf, intid);
                assert_int_equal(v >> 40 & 1, 0);                            /* IRM: the list */
                /* nothing outside the fields (RES0: 63:56, 43:41, 31:28) */
                assert_int_equal(v & ~(0xffULL << 48 | 0xfULL << 44 | 0xffULL << 32 | 0xfULL << 24 |
                                       0xffULL << 16 | 0xffffULL), 0);
            }
}

static void test_known_values(void **state)
{
    (void)state;
    assert_int_equal(gicv3_sgi1r_value(0x0, 0), 0x1);
    assert_int_equal(gicv3_sgi1r_value(0x3, 0), 0x8);
    assert_int_equal(gicv3_sgi1r_value(0x10, 0), 1ULL << 44 | 0x1);          /* Aff0 16: RS 1, bit 0 */
    assert_int_equal(gicv3_sgi1r_value(0x2f, 0), 2ULL << 44 | 1ULL << 15);    /* Aff0 47: RS 2, bit 15 */
    assert_int_equal(gicv3_sgi1r_value(0xff, 3), 15ULL << 44 | 3ULL << 24 | 1ULL << 15);
    assert_int_equal(gicv3_sgi1r_value(0x0000000100020304ULL, 1),
                     1ULL << 48 | 2ULL << 32 | 1ULL << 24 | 3ULL << 16 | 1ULL << 4);
}

static void test_reachable_without_rss(void **state)
{
    (void)state;
    for (unsigned aff0 = 0; aff0 < 256; aff0++) {
        assert_int_equal(gicv3_sgi_reachable(0, 0x100 | aff0), aff0 < 16);
        assert_true(gicv3_sgi_reachable(ICC_CTLR_EL1_RSS, 0x100 | aff0));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_every_aff0),
        cmocka_unit_test(test_reachable_without_rss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
