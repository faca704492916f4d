/*
 * Host tests for the reference model of tests/model/ (cmocka, ASan/UBSan):
 * directed cases for its semantics and a long random walk checking
 * model_check() and per-operation properties after every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/model/model.h"

static struct model m, snap;

static void directed_cow_and_shared(void **state)
{
    (void)state;
    uint64_t v;
    model_init(&m, 64);
    int a = model_mm_create(&m);
    assert_int_equal(a, 0);
    assert_int_equal(model_map(&m, a, 0, 8, MODEL_READ | MODEL_WRITE, false), MODEL_OK);
    assert_int_equal(model_map(&m, a, 8, 8, MODEL_READ | MODEL_WRITE, true), MODEL_OK);
    assert_int_equal(model_map(&m, a, 4, 8, MODEL_READ, false), MODEL_EEXIST);
    assert_int_equal(model_read(&m, a, 3, &v), 0);
    assert_int_equal(v, 0);                             /* never written: zero */
    assert_int_equal(model_write(&m, a, 3, 11), 0);
    assert_int_equal(model_write(&m, a, 9, 22), 0);
    int b = model_fork(&m, a);
    assert_int_equal(b, 1);
    assert_int_equal(model_value(&m, b, 3), 11);        /* copied at fork */
    assert_int_equal(model_write(&m, b, 3, 33), 0);     /* COW: parent keeps its value */
    assert_int_equal(model_value(&m, a, 3), 11);
    assert_int_equal(model_write(&m, b, 9, 44), 0);     /* shared: both see it */
    assert_int_equal(model_value(&m, a, 9), 44);
    /* Partial unmap keeps the object alive for the rest. */
    assert_int_equal(model_unmap(&m, a, 8, 2), MODEL_OK);
    assert_int_equal(model_live_objs(&m), 1);
    assert_int_equal(model_value(&m, b, 9), 44);
    assert_int_equal(model_read(&m, a, 9, &v), -1);
    /* mprotect over a hole fails and changes nothing. */
    snap = m;
    assert_int_equal(model_mprotect(&m, a, 6, 6, MODEL_READ), MODEL_EFAULT);
    assert_memory_equal(&snap, &m, sizeof(m));
    assert_int_equal(model_mprotect(&m, a, 0, 8, MODEL_WRITE), MODEL_OK);
    assert_true(model_access_ok(&m, a, 0, false));      /* write implies read */
    assert_int_equal(model_mprotect(&m, a, 0, 8, 0), MODEL_OK);
    assert_false(model_access_ok(&m, a, 0, false));
    assert_int_equal(model_write(&m, a, 0, 5), -1);
    model_destroy(&m, b);
    model_destroy(&m, a);
    assert_int_equal(model_live_objs(&m), 0);
    assert_null(model_check(&m));
}

static void object_pool_limit(void **state)
{
    (void)state;
    model_init(&m, MODEL_MAX_PAGES);
    int a = model_mm_create(&m);
    for (int i = 0; i < MODEL_MAX_OBJS; i++)
        assert_int_equal(model_map(&m, a, (unsigned)i, 1, MODEL_READ, true), MODEL_OK);
    assert_int_equal(model_map(&m, a, MODEL_MAX_OBJS, 1, MODEL_READ, true), MODEL_ENOMEM);
    assert_int_equal(model_unmap(&m, a, 0, 1), MODEL_OK);
    assert_int_equal(model_map(&m, a, MODEL_MAX_OBJS, 1, MODEL_READ, true), MODEL_OK);
    assert_null(model_check(&m));
}

static uint64_t rng = 12345;
static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return n ? (unsigned)((rng >> 33) % n) : 0;
}

static void random_walk(void **state)
{
    (void)state;
    const unsigned npages = 96;
    model_init(&m, npages);
    model_mm_create(&m);
    for (unsigned step = 0; step < 200000; step++) {
        int live[MODEL_MAX_MMS], nl = 0;
        for (int i = 0; i < MODEL_MAX_MMS; i++)
            if (m.mm[i].live)
                live[nl++] = i;
        int s = live[rnd((unsigned)nl)];
        unsigned first = rnd(npages), n = 1 + rnd(24), prot = rnd(8);
        if (first + n > npages)
            n = npages - first;
        unsigned p = rnd(npages);
        snap = m;
        switch (rnd(7)) {
        case 0: {
            int r = model_map(&m, s, first, n, prot, rnd(3) == 0);
            if (r == MODEL_OK)
                for (unsigned i = first; i < first + n; i++)
                    assert_int_equal(model_value(&m, s, i), 0);
            else
                assert_memory_equal(&snap, &m, sizeof(m));
            break;
        }
        case 1:
            assert_int_equal(model_unmap(&m, s, first, n), MODEL_OK);
            for (unsigned i = first; i < first + n; i++)
                assert_false(model_page(&m, s, i)->mapped);
            break;
        case 2: {
            int r = model_mprotect(&m, s, first, n, prot);
            if (r != MODEL_OK)
                assert_memory_equal(&snap, &m, sizeof(m));
            break;
        }
        case 3: {
            uint64_t v = ((uint64_t)step << 8) | 1;
            int r = model_write(&m, s, p, v);
            if (r) {
                assert_memory_equal(&snap, &m, sizeof(m));
                break;
            }
            assert_int_equal(model_value(&m, s, p), v);
            /* Other mms change only where they map the same object page. */
            const struct model_page *w = model_page(&m, s, p);
            for (int o = 0; o < MODEL_MAX_MMS; o++)
                for (unsigned i = 0; o != s && m.mm[o].live && i < npages; i++) {
                    const struct model_page *q = model_page(&m, o, i);
                    bool same = q->mapped && w->obj >= 0 && q->obj == w->obj && q->objoff == w->objoff;
                    if (!same)
                        assert_int_equal(model_value(&m, o, i), model_value(&snap, o, i));
                }
            break;
        }
        case 4: {
            uint64_t v;
            int r = model_read(&m, s, p, &v);
            assert_int_equal(r == 0, model_access_ok(&m, s, p, false));
            assert_memory_equal(&snap, &m, sizeof(m));
            break;
        }
        case 5:
            if (nl >= 3) {
                int victim = live[rnd((unsigned)nl)];
                if (victim != s)
                    model_destroy(&m, victim);
            } else {
                int c = model_fork(&m, s);
                assert_true(c >= 0);
                for (unsigned i = 0; i < npages; i++) {
                    assert_int_equal(model_value(&m, c, i), model_value(&m, s, i));
                    assert_int_equal(model_access_ok(&m, c, i, true), model_access_ok(&m, s, i, true));
                }
            }
            break;
        default:
            break;
        }
        const char *err = model_check(&m);
        if (err)
            fail_msg("step %u: %s", step, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(directed_cow_and_shared),
        cmocka_unit_test(object_pool_limit),
        cmocka_unit_test(random_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
