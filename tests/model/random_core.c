/*
 * The randomized mm test's core (see random_core.h), checked against the
 * reference model (tests/model/model.c). After each step:
 *  - every access result matches the model (allowed -> 0 and the expected
 *    value, forbidden -> -1 and nothing changes);
 *  - invariants over every present PTE of every live mm: a writable PTE maps
 *    an exclusive anonymous page (private) or is dirty (shared with
 *    write-notify), is soft-dirty while the VMA tracks soft-dirty, is never
 *    the zero page, never a COW-shared page; no valid PTE in a VMA with
 *    prot none; the page under every PTE holds the model's value; mapcounts
 *    equal the PTEs found; a sampled protnone PTE really traps.
 *  - at the end, every page of every mm reads back the model's value and
 *    the allocator's free pages return to their starting count.
 *
 * The kernel's Makefile builds tests/kernel/ only, so random_tests.c
 * #includes this file; the host test compiles it directly.
 */
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/mm.h"
#include "mmu/mm_internal.h"           /* vma_hw_prot: the rule under test */
#include "mmu/page_alloc.h"
#include "tests/kernel/ktest.h"         /* ktest_log */
#include "tests/model/model.h"
#include "tests/model/random_core.h"
#include <stdarg.h>

_Static_assert((int)MODEL_READ == (int)VM_READ && (int)MODEL_WRITE == (int)VM_WRITE && (int)MODEL_EXEC == (int)VM_EXEC, "prot bits");
_Static_assert(MODEL_ENOMEM == MM_ENOMEM && MODEL_EFAULT == MM_EFAULT && MODEL_EEXIST == MM_EEXIST &&
               MODEL_EINVAL == MM_EINVAL, "error codes");

#define RT_PAGES     128                 /* 512 KiB: 8 contiguous blocks */
#define RT_BASE      MM_VA_BASE
#define RT_MAX_LIVE  3

struct rt {
    struct rt_result *res;
    enum rt_mode mode;
    uint64_t seed, rng;
    unsigned case_no;
    unsigned step;
    bool failed;
    char op[112];
    struct mm *mms[MODEL_MAX_MMS];
    struct model m;
};
static struct rt rt;

/* ---- random numbers (splitmix64) ---- */
static uint64_t rnd(void)
{
    uint64_t z = (rt.rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static unsigned rnd_below(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }

static uint64_t va_of(unsigned page) { return RT_BASE + (uint64_t)page * PAGE_SIZE; }
/* The word of each page the test uses: spread over the page so a partial
 * copy is seen. */
static unsigned word_off(unsigned page) { return ((page * 37u) % (PAGE_SIZE / 8)) * 8; }

/* ---- failure reporting ---- */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    struct rt_result *r = rt.res;
    /* The first failure fails the run; a few more lines help diagnose it. */
    if (!rt.failed) {
        ktest_log("FAIL seed=%llu case=%u step=%u op: %s", (unsigned long long)rt.seed, rt.case_no,
                  rt.step, rt.op);
        ktest_log("  %s", buf);
        r->failed = true;
        r->fail_step = rt.step;
        snprintf(r->fail_op, sizeof(r->fail_op), "%s", rt.op);
        snprintf(r->fail_msg, sizeof(r->fail_msg), "%s", buf);
    } else if (r->nfail < 8) {
        ktest_log("  also: %s", buf);
    }
    r->nfail++;
    rt.failed = true;
}

const char *rt_where(void)
{
    static char buf[200];
    snprintf(buf, sizeof(buf), "seed=%llu case=%u step=%u op: %s", (unsigned long long)rt.seed,
             rt.case_no, rt.step, rt.op);
    return buf;
}

void (*rt_step_hook)(void);

void rt_external_failure(const char *what)
{
    if (rt.res)
        fail("%s", what);
}

static const char *prot_name(unsigned prot)
{
    static const char *const n[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };
    return n[prot & 7];
}

/* Build with -DRT_TRACE to log every operation before it runs (and the PTE a touch sees). */
#ifdef RT_TRACE
#define trace_op() ktest_log("step %u: %s", rt.step, rt.op)
#else
#define trace_op() do { } while (0)
#endif

/* ---- random choices ---- */
static int pick_live(void)
{
    int live[MODEL_MAX_MMS], n = 0;
    for (int i = 0; i < MODEL_MAX_MMS; i++)
        if (rt.m.mm[i].live)
            live[n++] = i;
    return live[rnd_below((unsigned)n)];
}

/* A page of mm: usually a mapped one. */
static unsigned pick_page(int s, unsigned mapped_pct)
{
    unsigned p = rnd_below(RT_PAGES);
    if (rnd_below(100) < mapped_pct)
        for (int tries = 0; tries < 24 && !model_page(&rt.m, s, p)->mapped; tries++)
            p = rnd_below(RT_PAGES);
    return p;
}

static unsigned pick_prot(void)
{
    return rnd_below(2) ? (VM_READ | VM_WRITE) : rnd_below(8);
}

static bool range_free(int s, unsigned first, unsigned n)
{
    for (unsigned p = first; p < first + n; p++)
        if (model_page(&rt.m, s, p)->mapped)
            return false;
    return true;
}

/* ---- operations ---- */
enum { OP_MAP, OP_UNMAP, OP_READ, OP_WRITE, OP_FORK, OP_MPROTECT, OP_CLEAR_SD, OP_NUMA_SCAN,
       OP_MIGRATE, OP_PARAMS, OP_UFFD, OP_ZAP, OP_GUARD };

static void op_map(int s)
{
    unsigned first = 0, n = 1;
    for (int tries = 0; tries < 8; tries++) {
        if (rt.mode != RT_SMALL && rnd_below(2)) {
            n = 16 * (1 + rnd_below(3));
            first = 16 * rnd_below(RT_PAGES / 16);
        } else {
            n = 1 + rnd_below(24);
            first = rnd_below(RT_PAGES);
        }
        if (first + n > RT_PAGES)
            n = RT_PAGES - first;
        if (range_free(s, first, n))
            break;
    }
    unsigned prot = pick_prot();
    bool shared = rnd_below(100) < 30;
    if (shared && model_live_objs(&rt.m) >= MODEL_MAX_OBJS - 8)
        shared = false;                 /* stay clear of the kernel's object pool limit */
    snprintf(rt.op, sizeof(rt.op), "map mm%d [%u,+%u) %s%s", s, first, n, prot_name(prot),
             shared ? " shared" : "");
    trace_op();
    int want = model_map(&rt.m, s, first, n, prot, shared);
    int got = mm_map(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE, prot | (shared ? VM_SHARED : 0));
    if (got != want)
        fail("mm_map returned %d, model %d", got, want);
}

static void op_unmap(int s)
{
    unsigned first = rnd_below(RT_PAGES), n = 1 + rnd_below(40);
    if (first + n > RT_PAGES)
        n = RT_PAGES - first;
    snprintf(rt.op, sizeof(rt.op), "unmap mm%d [%u,+%u)", s, first, n);
    trace_op();
    int want = model_unmap(&rt.m, s, first, n);
    int got = mm_unmap(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE);
    if (got != want)
        fail("mm_unmap returned %d, model %d", got, want);
}

static void check_read(int s, unsigned p, const char *what)
{
    uint64_t got = 0xdeadbeefULL, want = 0;
    int wr = model_read(&rt.m, s, p, &want);
#ifdef RT_TRACE
    ktest_log("  %s mm%d page %u: pte 0x%llx", what, s, p, (unsigned long long)mm_get_pte(rt.mms[s], va_of(p)));
#endif
    int r = mm_read(rt.mms[s], va_of(p) + word_off(p), &got);
    if (r != wr)
        fail("%s: mm_read of page %u returned %d, model %d (pte 0x%llx)", what, p, r, wr,
             (unsigned long long)mm_get_pte(rt.mms[s], va_of(p)));
    else if (r == 0 && got != want)
        fail("%s: page %u read 0x%llx, model 0x%llx (pte 0x%llx)", what, p, (unsigned long long)got,
             (unsigned long long)want, (unsigned long long)mm_get_pte(rt.mms[s], va_of(p)));
    rt.res->segv_ok += r != 0;
}

static void op_read(int s)
{
    unsigned p = pick_page(s, 85);
    snprintf(rt.op, sizeof(rt.op), "read mm%d page %u", s, p);
    trace_op();
    check_read(s, p, "read");
}

static void op_write(int s)
{
    unsigned p = pick_page(s, 85);
    uint64_t val = (rnd() << 1) | 1;    /* never 0: a lost write can't pass for a fresh page */
    snprintf(rt.op, sizeof(rt.op), "write mm%d page %u = 0x%llx", s, p, (unsigned long long)val);
    trace_op();
    int wr = model_write(&rt.m, s, p, val);
#ifdef RT_TRACE
    ktest_log("  pte 0x%llx", (unsigned long long)mm_get_pte(rt.mms[s], va_of(p)));
#endif
    int r = mm_write(rt.mms[s], va_of(p) + word_off(p), val);
    if (r != wr)
        fail("mm_write returned %d, model %d (pte 0x%llx)", r, wr,
             (unsigned long long)mm_get_pte(rt.mms[s], va_of(p)));
    rt.res->writes_ok += r == 0;
    rt.res->segv_ok += r != 0;
}

static void op_fork(int s)
{
    if (model_live_mms(&rt.m) >= RT_MAX_LIVE) {
        int victim;
        do
            victim = pick_live();
        while (victim == s);
        snprintf(rt.op, sizeof(rt.op), "destroy mm%d, fork mm%d", victim, s);
        trace_op();
        mm_destroy(rt.mms[victim]);
        rt.mms[victim] = NULL;
        model_destroy(&rt.m, victim);
    } else {
        snprintf(rt.op, sizeof(rt.op), "fork mm%d", s);
        trace_op();
    }
    int c = model_fork(&rt.m, s);
    struct mm *mm = mm_fork(rt.mms[s]);
    if (!mm || c < 0) {
        fail("fork failed (kernel %p, model slot %d)", (void *)mm, c);
        if (mm)
            mm_destroy(mm);
        if (c >= 0)
            model_destroy(&rt.m, c);
        return;
    }
    rt.mms[c] = mm;
}

static void pick_range(int s, unsigned *first_out, unsigned *n_out);

static void op_mprotect(int s)
{
    unsigned first, n;
    pick_range(s, &first, &n);
    unsigned prot = pick_prot();
    snprintf(rt.op, sizeof(rt.op), "mprotect mm%d [%u,+%u) %s", s, first, n, prot_name(prot));
    trace_op();
    int want = model_mprotect(&rt.m, s, first, n, prot);
    int got = mm_mprotect(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE, prot);
    if (got != want)
        fail("mm_mprotect returned %d, model %d", got, want);
}

/* A range of mapped pages around a mapped page (may span VMAs), or now and
 * then any range. */
static void pick_range(int s, unsigned *first_out, unsigned *n_out)
{
    unsigned first, n;
    if (rnd_below(10) == 0) {
        first = rnd_below(RT_PAGES);
        n = 1 + rnd_below(32);
    } else {
        first = pick_page(s, 100);
        unsigned last = first, down = rnd_below(24), up = rnd_below(24);
        while (down-- && first > 0 && model_page(&rt.m, s, first - 1)->mapped)
            first--;
        while (up-- && last + 1 < RT_PAGES && model_page(&rt.m, s, last + 1)->mapped)
            last++;
        n = last - first + 1;
    }
    if (first + n > RT_PAGES)
        n = RT_PAGES - first;
    *first_out = first;
    *n_out = n;
}

/* userfaultfd write-protect with a monitor that resolves every message by
 * unprotecting the page: the contents follow the model unchanged, while
 * protect/unprotect/unregister (and the messages) run under the checker. */
static void op_uffd(int s)
{
    unsigned first, n;
    pick_range(s, &first, &n);
    unsigned what = rnd_below(4), hints = rnd_below(4);
    static const char *const names[] = { "register+protect", "unprotect", "protect", "unregister" };
    snprintf(rt.op, sizeof(rt.op), "uffd %s mm%d [%u,+%u) hints %u", names[what], s, first, n, hints);
    trace_op();
    struct mm *mm = rt.mms[s];
    mm_uffd_set_handler(mm, uffd_resolve_by_unprotect, NULL);
    uint64_t va = va_of(first), len = (uint64_t)n * PAGE_SIZE;
    int r = what == 0 ? mm_uffd_wp(mm, va, len, true)
          : what == 1 ? mm_uffd_writeprotect(mm, va, len, false, hints)
          : what == 2 ? mm_uffd_writeprotect(mm, va, len, true, 0)
                      : mm_uffd_unregister(mm, va, len);
    bool all = true;
    for (unsigned p = first; p < first + n; p++)
        all &= model_page(&rt.m, s, p)->mapped;
    if (r != 0 && r != MM_ENOENT && r != MM_EINVAL && r != MM_ENOMEM)
        fail("uffd %s returned %d", names[what], r);
    else if (r == MM_EINVAL && all)
        fail("uffd %s refused a mapped range", names[what]);
    else if (r == 0 && !all)
        fail("uffd %s accepted a range with holes", names[what]);
}

static void op_zap(int s)
{
    unsigned first, n;
    pick_range(s, &first, &n);
    snprintf(rt.op, sizeof(rt.op), "zap mm%d [%u,+%u)", s, first, n);
    trace_op();
    int want = model_zap(&rt.m, s, first, n);
    int got = mm_zap(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE);
    if (got != want)
        fail("mm_zap returned %d, model %d", got, want);
}

static void op_guard(int s)
{
    unsigned first, n;
    pick_range(s, &first, &n);
    if (n > 4)
        n = 1 + rnd_below(4);           /* guards are small */
    bool install = rnd_below(3) != 0;
    snprintf(rt.op, sizeof(rt.op), "guard %s mm%d [%u,+%u)", install ? "install" : "remove", s, first, n);
    trace_op();
    int want = model_guard(&rt.m, s, first, n, install);
    int got = mm_guard(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE, install);
    if (got != want)
        fail("mm_guard returned %d, model %d", got, want);
}

static void op_numa_scan(int s)
{
    unsigned first = rnd_below(RT_PAGES), n = 1 + rnd_below(RT_PAGES);
    if (first + n > RT_PAGES)
        n = RT_PAGES - first;
    int target = (int)rnd_below((unsigned)palloc_nr_nodes() + 1) - 1;
    snprintf(rt.op, sizeof(rt.op), "numa_scan mm%d [%u,+%u) node %d", s, first, n, target);
    trace_op();
    long r = mm_numa_scan(rt.mms[s], va_of(first), (uint64_t)n * PAGE_SIZE, target);
    if (r < 0 || r > (long)n)
        fail("mm_numa_scan returned %ld", r);
}

static void op_migrate(int s)
{
    unsigned p = pick_page(s, 90);
    int node = (int)rnd_below((unsigned)palloc_nr_nodes());
    snprintf(rt.op, sizeof(rt.op), "migrate mm%d page %u node %d", s, p, node);
    trace_op();
    int r = mm_migrate(rt.mms[s], va_of(p), node);
    if (r != 0 && r != MM_EINVAL && r != MM_EEXIST && r != MM_ENOMEM && r != MM_EFAULT)
        fail("mm_migrate returned %d", r);
    /* A present, private, non-COW-shared anon page must move (or already be there). */
    struct page *pg = mm_page_at(rt.mms[s], va_of(p));
    if (r == 0 && pg && !mm_is_zero_page(pg) && folio_of(pg)->node != node)
        fail("mm_migrate returned 0 but the page is on node %d", folio_of(pg)->node);
}

static void op_params(void)
{
    if (rt.mode == RT_MIXED)
        mm_params.anon_order = rnd_below(2) ? 4 : 0;
    mm_params.numa_wp = (enum numa_write_policy)rnd_below(NUMA_WP_COUNT);
    mm_params.batch_mprotect = rnd_below(2);
    snprintf(rt.op, sizeof(rt.op), "params anon_order=%u numa_wp=%s batch=%d", mm_params.anon_order,
             numa_wp_names[mm_params.numa_wp], mm_params.batch_mprotect);
    trace_op();
}

/* ---- invariants ---- */
struct seen { struct page *pg; pte_t pte; int s; unsigned p; bool priv, writable; };
static struct seen seen[MODEL_MAX_MMS * RT_PAGES];

static bool vma_tracks_sd(const struct vma *v) { return !(v->flags & VM_SOFTDIRTY); }
static bool vma_writenotify(const struct vma *v)
{
    return (v->flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
           ((v->flags & VM_WRITENOTIFY_FS) || vma_tracks_sd(v) || (v->flags & VM_UFFD_WP));
}

#define PTEFAIL(s, p, pte, fmt, ...)                                                          \
    fail("mm%d page %u (va 0x%llx) pte 0x%llx: " fmt, s, p, (unsigned long long)va_of(p),     \
         (unsigned long long)(pte), ##__VA_ARGS__)

static void check_state(bool deep)
{
    unsigned nseen = 0, ncand = 0;
    int cand_s = -1;
    unsigned cand_p = 0;
    for (int s = 0; s < MODEL_MAX_MMS; s++) {
        if (!rt.m.mm[s].live)
            continue;
        struct mm *mm = rt.mms[s];
        for (unsigned p = 0; p < RT_PAGES; p++) {
            uint64_t va = va_of(p);
            const struct model_page *mp = model_page(&rt.m, s, p);
            pte_t pte = mm_get_pte(mm, va);
            struct vma *v = mm_find_vma(mm, va);
            if (!mp->mapped) {
                if (v)
                    PTEFAIL(s, p, pte, "a VMA [0x%llx,0x%llx) where the model has none",
                            (unsigned long long)v->start, (unsigned long long)v->end);
                if (pte_present(pte))
                    PTEFAIL(s, p, pte, "present PTE outside every VMA");
                continue;
            }
            if (!v) {
                PTEFAIL(s, p, pte, "no VMA, model has one (%s)", prot_name(mp->prot));
                continue;
            }
            if ((v->flags & VM_PROT_MASK) != mp->prot || !!(v->flags & VM_SHARED) != (mp->obj >= 0))
                PTEFAIL(s, p, pte, "VMA flags 0x%x, model %s%s", (unsigned)v->flags, prot_name(mp->prot),
                        mp->obj >= 0 ? " shared" : "");
            /* An accessible VMA whose pages get PROT_NONE protection: every
             * access would take a hint fault that restores protnone again,
             * forever (Linux: VM_WRITE implies read, protection_map). */
            if ((v->flags & VM_PROT_MASK) && vma_hw_prot(v) == PROT_NONE)
                PTEFAIL(s, p, pte, "VMA flags 0x%x (%s) get PROT_NONE page protection: accesses fault forever",
                        (unsigned)v->flags, prot_name(v->flags));
            if (!pte_present(pte))
                continue;
            struct page *pg = mm_page_at(mm, va);
            if (!pg) {
                PTEFAIL(s, p, pte, "present PTE without a struct page");
                continue;
            }
            bool zero = mm_is_zero_page(pg);
            bool priv = !(v->flags & VM_SHARED);
            bool writable = pte_valid(pte) && pte_write(pte);
            rt.res->cont_seen += pte_cont(pte) && pte_valid(pte);
            if (!(mp->prot & MODEL_PROT_MASK) && pte_valid(pte))
                PTEFAIL(s, p, pte, "valid PTE in a prot-none VMA");
            if (writable) {
                if (!(v->flags & VM_WRITE))
                    PTEFAIL(s, p, pte, "writable PTE in a VMA without VM_WRITE (flags 0x%x)", (unsigned)v->flags);
                if (zero)
                    PTEFAIL(s, p, pte, "the zero page mapped writable");
                else if (priv && (!(pg->flags & PG_ANON) || !(pg->flags & PG_ANON_EXCLUSIVE)))
                    PTEFAIL(s, p, pte, "writable private PTE of a page that is not anon-exclusive (flags 0x%x)",
                            (unsigned)pg->flags);
                else if (priv && pg->mapcount > 1)
                    PTEFAIL(s, p, pte, "writable PTE of a COW-shared page (mapcount %d)", (int)pg->mapcount);
                if (!priv && vma_writenotify(v) && !pte_dirty(pte))
                    PTEFAIL(s, p, pte, "writable clean PTE in a write-notify shared VMA");
                if (vma_tracks_sd(v) && !pte_soft_dirty(pte))
                    PTEFAIL(s, p, pte, "writable PTE not soft-dirty while the VMA tracks soft-dirty");
            }
            /* Data: the page under the PTE holds the model's value. */
            uint64_t want = model_value(&rt.m, s, p);
            uint64_t got = *(volatile uint64_t *)(uintptr_t)(page_to_phys(pg) + word_off(p));
            if (got != want)
                PTEFAIL(s, p, pte, "page 0x%llx holds 0x%llx, model 0x%llx%s",
                        (unsigned long long)page_to_phys(pg), (unsigned long long)got,
                        (unsigned long long)want, zero ? " (zero page)" : "");
            if (!zero)
                seen[nseen++] = (struct seen){ pg, pte, s, p, priv, writable };
            if (pte_protnone(pte) && (mp->prot & MODEL_PROT_MASK) && rnd_below(++ncand) == 0) {
                cand_s = s;
                cand_p = p;
            }
        }
    }
    if (deep) {
        /* Mapcounts equal the PTEs found; a page mapped twice privately is
         * neither writable nor anon-exclusive. (All PTEs of these pages are
         * in this region of the live mms.) */
        for (unsigned i = 0; i < nseen; i++) {
            int n = 0;
            bool any_writable = false;
            for (unsigned j = 0; j < nseen; j++)
                if (seen[j].pg == seen[i].pg) {
                    n++;
                    any_writable |= seen[j].writable;
                }
            struct seen *e = &seen[i];
            if (n != e->pg->mapcount)
                PTEFAIL(e->s, e->p, e->pte, "mapcount %d but %d PTEs map the page", (int)e->pg->mapcount, n);
            if (e->priv && n > 1 && (any_writable || (e->pg->flags & PG_ANON_EXCLUSIVE)))
                PTEFAIL(e->s, e->p, e->pte, "page mapped %d times privately: %s", n,
                        any_writable ? "writable" : "anon-exclusive");
        }
    }
    /* A protnone PTE (NUMA hinting) must trap and resolve (sampled: it changes state). */
    if (cand_s >= 0 && !rt.failed && rnd_below(4) == 0) {
        pte_t before = mm_get_pte(rt.mms[cand_s], va_of(cand_p));
        unsigned faults = trap_faults()->count;
        check_read(cand_s, cand_p, "protnone trap");
        pte_t after = mm_get_pte(rt.mms[cand_s], va_of(cand_p));
        if (trap_faults()->count < faults + 1)
            PTEFAIL(cand_s, cand_p, before, "read of a protnone PTE did not fault");
        if (!pte_valid(after))
            PTEFAIL(cand_s, cand_p, after, "protnone PTE still not valid after the hint fault (was 0x%llx)",
                    (unsigned long long)before);
        rt.res->protnone_traps++;
    }
}


/* ---- the run ---- */
static uint64_t free_pages_total(void)
{
    uint64_t n = 0;
    for (int node = 0; node < palloc_nr_nodes(); node++) {
        struct palloc_stats st;
        palloc_node_stats(node, &st);
        n += st.free_pages;
    }
    return n;
}

void rt_run(enum rt_mode mode, unsigned case_no, uint64_t seed, unsigned steps, struct rt_result *res)
{
    struct mm_params saved = mm_params;

    memset(res, 0, sizeof(*res));
    memset(&rt, 0, sizeof(rt));
    res->free_before = free_pages_total();
    rt.res = res;
    rt.mode = mode;
    rt.seed = seed;
    rt.case_no = case_no;
    rt.rng = seed * 3 + case_no;        /* each case its own stream, replayed by seed */
    mm_params.anon_order = mode == RT_LARGE ? 4 : 0;

    model_init(&rt.m, RT_PAGES);
    int s0 = model_mm_create(&rt.m);
    snprintf(rt.op, sizeof(rt.op), "start");
    trace_op();
    rt.mms[s0] = mm_create();
    if (!rt.mms[s0]) {
        fail("mm_create failed");
        mm_params = saved;
        rt.res = NULL;
        return;
    }

    for (rt.step = 0; rt.step < steps && !rt.failed; rt.step++) {
        int s = pick_live();
        unsigned r = rnd_below(100), op;
        if (r < 14) op = OP_MAP;
        else if (r < 20) op = OP_UNMAP;
        else if (r < 40) op = OP_READ;
        else if (r < 62) op = OP_WRITE;
        else if (r < 66) op = OP_FORK;
        else if (r < 75) op = OP_MPROTECT;
        else if (r < 77) op = OP_CLEAR_SD;
        else if (r < 83) op = OP_NUMA_SCAN;
        else if (r < 89) op = OP_MIGRATE;
        else if (r < 94) op = OP_UFFD;
        else if (r < 96) op = OP_ZAP;
        else if (r < 97) op = OP_GUARD;
        else op = OP_PARAMS;
        res->n_ops[op]++;
        switch (op) {
        case OP_MAP: op_map(s); break;
        case OP_UNMAP: op_unmap(s); break;
        case OP_READ: op_read(s); break;
        case OP_WRITE: op_write(s); break;
        case OP_FORK: op_fork(s); break;
        case OP_MPROTECT: op_mprotect(s); break;
        case OP_CLEAR_SD:
            snprintf(rt.op, sizeof(rt.op), "clear_soft_dirty mm%d", s);
            trace_op();
            if (mm_clear_soft_dirty(rt.mms[s]) != 0)
                fail("mm_clear_soft_dirty failed");
            break;
        case OP_NUMA_SCAN: op_numa_scan(s); break;
        case OP_MIGRATE: op_migrate(s); break;
        case OP_UFFD: op_uffd(s); break;
        case OP_ZAP: op_zap(s); break;
        case OP_GUARD: op_guard(s); break;
        default: op_params(); break;
        }
        if (!rt.failed)
            check_state((rt.step & 15) == 0);
        if (!rt.failed && rt_step_hook)
            rt_step_hook();
        const char *mc = model_check(&rt.m);
        if (mc)
            fail("model inconsistent: %s", mc);
    }
    res->steps_run = rt.step;

    /* Data never lost: every page of every mm reads back the model's value. */
    if (!rt.failed) {
        rt.step = steps;
        snprintf(rt.op, sizeof(rt.op), "final read-back");
        trace_op();
        check_state(true);
        for (int s = 0; s < MODEL_MAX_MMS && !rt.failed; s++)
            if (rt.m.mm[s].live)
                for (unsigned p = 0; p < RT_PAGES; p++)
                    check_read(s, p, "final");
    }
    ktest_log("ops: map %u unmap %u read %u write %u fork %u mprotect %u clear_sd %u numa_scan %u "
              "migrate %u params %u uffd %u zap %u guard %u; writes ok %u, segv %u, protnone traps %u, "
              "cont PTEs seen %u",
              res->n_ops[0], res->n_ops[1], res->n_ops[2], res->n_ops[3], res->n_ops[4], res->n_ops[5],
              res->n_ops[6], res->n_ops[7], res->n_ops[8], res->n_ops[9], res->n_ops[10], res->n_ops[11],
              res->n_ops[12], res->writes_ok, res->segv_ok, res->protnone_traps, res->cont_seen);

    snprintf(rt.op, sizeof(rt.op), "destroy every mm");
    for (int s = 0; s < MODEL_MAX_MMS; s++)
        if (rt.mms[s]) {
            mm_destroy(rt.mms[s]);
            rt.mms[s] = NULL;
        }
    mm_params = saved;
    rt.res = NULL;
    res->free_after = free_pages_total();
    if (res->free_after != res->free_before)
        ktest_log("free pages %llu before, %llu after (seed=%llu case=%u)",
                  (unsigned long long)res->free_before, (unsigned long long)res->free_after,
                  (unsigned long long)seed, case_no);
}
