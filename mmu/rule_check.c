/* Architecture-rule checker and worst-case TLB model (see rule_check.h). */
#include "boot/kernel.h"
#include "mmu/rule_check.h"
#include "mmu/page.h"
#include "mmu/pgtable.h"
#include "mmu/tlb.h"
#include "mmu/mm.h"
#include "tests/kernel/ktest.h"

bool rule_check_on;

#define MAX_TRACKED 40
#define MAX_CACHED  8192
#define NBUCKETS    4096
#define RING        24
#define LOCATE_CACHE 64
#define MAX_UNPUBLISHED 64
#define SMALL_RANGE_PAGES 64

/* PEs as bits: with several CPUs online bit c is CPU c, and "this PE" is
 * the CPU calling in; on one CPU bit 0 is this PE and bit 1 stands for any
 * other PE that might share the TLB (arm64's broadcast assumption). */
#define PE_THIS   (1u << mm_cpu_id())
#define PE_OTHERS 2u

/*
 * SMP: the model is one, shared by the CPUs, behind checker_lock (taken by
 * every entry point below). A judgement (rule_check_op_end) compares the
 * records with the entries as they are now, which is only fair when no
 * other CPU is half-way through a change: an operation is judged when no
 * other CPU holds a page-table lock (mm_lock tells the checker, under
 * checker_lock, so none can start during a judgement); else the judgement
 * waits for the next operation end that finds the CPUs quiet (the case's
 * end always does: the workers are stopped by then).
 */
static spinlock_t checker_lock;
unsigned rule_check_locks_held;
#define locks_held rule_check_locks_held
static unsigned held_by[32];

/*
 * The model: translations a PE may hold that are NOT the current entries.
 * The current entries may always be cached and need no record; what is
 * recorded is what a store left behind (the old value) until an invalidate
 * that architecturally removes it. At a checkpoint each record is compared
 * with the entry now: a record granting more (or mapping elsewhere) is a
 * violation, one granting less is one on this PE (a fault forever), one
 * that equals the entry now is harmless and forgotten.
 */
enum cached_kind { C_LEAF, C_BLOCK_HINT, C_WALK, C_NEG };
static const char *const cached_kind_name[] = {
    [C_LEAF] = "leaf entry", [C_BLOCK_HINT] = "64 KiB block entry",
    [C_WALK] = "walk-cache (table) entry", [C_NEG] = "invalid entry",
};

struct cached {
    uint64_t va, size;      /* what it translates: [va, va + size) */
    uint64_t value;         /* the descriptor as a PE may hold it */
    uint64_t *ptep;         /* where it was read from */
    uint16_t asid;
    bool global, live;
    uint8_t kind, level, pes;
    int32_t next;           /* bucket chain / free list */
};
static struct cached ent[MAX_CACHED];
static int32_t bucket[NBUCKETS];
static int32_t free_head;
static unsigned nlive, high_water;
static bool initialized, overflowed;

static const struct pgtable *tracked[MAX_TRACKED];

static struct { uint64_t table, base; const struct pgtable *pt; int level; } loc_cache[LOCATE_CACHE];
static unsigned loc_pos;

/* Blocks touched during the operation, checked at its end (R2). */
static struct { uint64_t *first; uint64_t va; } blocks[128];
static unsigned nblocks;

static struct { char what; uint64_t a, b, c; } ring[RING];
static unsigned ring_pos;

/* R5 state. */
/* Per CPU: a barrier orders and completes only its own CPU's stores and
 * invalidates. */
static struct { bool unordered_bc, unordered_local, incomplete_bc, incomplete_local; } order_cpu[MM_MAX_CPUS];
#define unordered_bc     order_cpu[mm_cpu_id()].unordered_bc
#define unordered_local  order_cpu[mm_cpu_id()].unordered_local
#define incomplete_bc    order_cpu[mm_cpu_id()].incomplete_bc
#define incomplete_local order_cpu[mm_cpu_id()].incomplete_local
/* R9: tables allocated (zeroed with plain stores) and not yet ordered. */
static uint64_t unpublished_cpu[MM_MAX_CPUS][MAX_UNPUBLISHED];
static unsigned nunpublished_cpu[MM_MAX_CPUS];
#define unpublished  unpublished_cpu[mm_cpu_id()]
#define nunpublished nunpublished_cpu[mm_cpu_id()]
/* R8: which root each hardware ASID last ran, and whether it may hold entries. */
static struct { uint16_t asid; bool used, dirty; uint64_t root; } asid_map[64];
static bool r8_pending;
static uint8_t r8_pes;          /* the PEs that may still hold the old root's entries */
/* R8 with several CPUs: bit c (c > 0) of the byte of r8_held for a hardware
 * ASID: CPU c switched to that ASID (tlb_note_active, whatever root it ran
 * there) since an invalidate of every entry of the ASID last reached it,
 * so its TLB may still hold entries of that root. Set from any CPU
 * (atomically, by aligned word: rv64imac has no byte AMOs); cleared by the
 * whole-ASID invalidates that reach the CPU (a broadcast one, or a remote
 * flush). CPU 0's own state is asid_map's dirty flag. */
static uint32_t r8_held[65536 / 4];
static uint64_t current_root;
static uint16_t current_hw_asid;
static uint16_t r8_asid;
static uint64_t r8_from, r8_to;

static unsigned violations, fired[10];
static bool expecting;
static const char *last_rule = "";
static char msg[200];

/* ---- reporting ---- */
static void record(char what, uint64_t a, uint64_t b, uint64_t c)
{
    ring[ring_pos % RING].what = what;
    ring[ring_pos % RING].a = a;
    ring[ring_pos % RING].b = b;
    ring[ring_pos % RING].c = c;
    ring_pos++;
}

#define VIOLATION(rule, ...) do { snprintf(msg, sizeof(msg), __VA_ARGS__); violation(rule); } while (0)

static void violation(const char *rule)
{
    violations++;
    last_rule = rule;
    if (rule[0] == 'R' && rule[1] >= '1' && rule[1] <= '9')
        fired[rule[1] - '0']++;
    if (expecting) {
        ktest_log("rule checker (expected): %s: %s", rule, msg);
        return;
    }
    printf("        # RULE VIOLATION %s: %s\n", rule, msg);
    printf("        # recent events (oldest first):\n");
    unsigned start = ring_pos > RING ? ring_pos - RING : 0;
    for (unsigned i = start; i < ring_pos; i++) {
        const char w = ring[i % RING].what;
        unsigned long long a = ring[i % RING].a, b = ring[i % RING].b, c = ring[i % RING].c;
        if (w == 'S')
            printf("        #   store  va 0x%llx: 0x%llx -> 0x%llx\n", a, b, c);
        else if (w == 'T')
            printf("        #   tlbi   insn %llu operands 0x%llx 0x%llx\n", a, b, c);
        else if (w == 'B')
            printf("        #   barrier 0x%llx\n", a);
        else if (w == 'W')
            printf("        #   switch root 0x%llx asid %llu\n", a, b);
        else if (w == 'R')
            printf("        #   remote flush cpus 0x%llx asid %llu from 0x%llx\n", a, b, c);
        else if (w == 'E')
            printf("        #   checkpoint\n");
    }
    ktest_fail_current(rule);
}

void rule_check_expect(bool expect) { expecting = expect; }
unsigned rule_check_violations(void) { return violations; }
unsigned rule_check_fired(int rule) { return rule >= 1 && rule <= 9 ? fired[rule] : 0; }
const char *rule_check_last_rule(void) { return last_rule; }
const char *rule_check_last_message(void) { return msg; }
unsigned rule_check_cached(void) { return nlive; }

/* ---- the set of cached translations ---- */
static unsigned size_class(uint64_t size) { return (unsigned)__builtin_ctzll(size); }
static unsigned hash(uint64_t va, uint64_t size)
{
    return (unsigned)(((va >> 12) ^ (va >> 24) ^ ((uint64_t)size_class(size) * 0x9e37u)) % NBUCKETS);
}

static void model_init(void)
{
    for (unsigned i = 0; i < NBUCKETS; i++)
        bucket[i] = -1;
    for (int i = 0; i < MAX_CACHED; i++) {
        ent[i].live = false;
        ent[i].next = i + 1 < MAX_CACHED ? i + 1 : -1;
    }
    free_head = 0;
    nlive = high_water = 0;
    overflowed = false;
    initialized = true;
}

/* Which PEs may hold an entry of asid once written. With several CPUs
 * online: bit c = CPU c, from the CPU mask the TLB layer keeps per ASID
 * (mmu/tlb.h), plus this CPU (bit 0: the mm runs its operations on CPU 0).
 * On one CPU: arm64 still assumes another PE may hold it (the code is
 * written for SMP and broadcasts), riscv this hart only. */
static uint8_t all_pes_of(uint16_t asid)
{
    if (tlb_nr_cpus > 1)
        return (uint8_t)(tlb_asid_cpus[asid] | PE_THIS);
    return mmu_caps.broadcast_tlbi ? PE_THIS | PE_OTHERS : PE_THIS;
}
#define all_pes() all_pes_of(asid)
static uint16_t asid_mask(void)
{
    return mmu_caps.asid_bits >= 16 ? 0xffff : (uint16_t)((1u << mmu_caps.asid_bits) - 1);
}

static void cached_remove(int32_t i)
{
    struct cached *e = &ent[i];
    int32_t *pp = &bucket[hash(e->va, e->size)];
    while (*pp != i)
        pp = &ent[*pp].next;
    *pp = e->next;
    e->live = false;
    e->next = free_head;
    free_head = i;
    nlive--;
}

static void cached_add(uint8_t kind, uint64_t va, uint64_t size, uint64_t value, uint64_t *ptep,
                       uint16_t asid, bool global, int level, uint8_t pes)
{
    unsigned h = hash(va, size);
    for (int32_t i = bucket[h]; i >= 0; i = ent[i].next) {
        struct cached *e = &ent[i];
        if (e->kind == kind && e->va == va && e->size == size && e->value == value && e->ptep == ptep &&
            e->asid == asid) {
            e->pes |= pes;
            return;
        }
    }
    if (free_head < 0) {
        if (!overflowed)
            VIOLATION("checker overflow", "more than %d translations held", MAX_CACHED);
        overflowed = true;
        return;
    }
    int32_t i = free_head;
    struct cached *e = &ent[i];
    free_head = e->next;
    *e = (struct cached){ .va = va, .size = size, .value = value, .ptep = ptep, .asid = asid,
                          .global = global, .live = true, .kind = kind, .level = (uint8_t)level,
                          .pes = pes, .next = bucket[h] };
    bucket[h] = i;
    nlive++;
    if ((unsigned)i + 1 > high_water)
        high_water = (unsigned)i + 1;
}

/* Records whose range covers va (any size), into out[]; returns how many. */
static unsigned covering(uint64_t va, int32_t *out, unsigned max)
{
    static const uint64_t sizes[] = { 1ULL << 12, 1ULL << 16, 1ULL << 21, 1ULL << 30, 1ULL << 39 };
    unsigned n = 0;
    for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
        uint64_t base = ALIGN_DOWN(va, sizes[s]);
        for (int32_t i = bucket[hash(base, sizes[s])]; i >= 0 && n < max; i = ent[i].next)
            if (ent[i].va == base && ent[i].size == sizes[s])
                out[n++] = i;
    }
    return n;
}

/* ---- which tracked address space, level and VA an entry belongs to ---- */
struct loc {
    const struct pgtable *pt;
    uint64_t va;            /* first VA the entry translates */
    int level;
};

static bool find_table(uint64_t table, int level, uint64_t base, uint64_t want, uint64_t *vbase, int *lvl)
{
    if (table == want) {
        *vbase = base;
        *lvl = level;
        return true;
    }
    if (level == LEAF_LEVEL)
        return false;
    const pte_t *t = pt_table(table);
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
        uint64_t va = base + (uint64_t)i * pt_level_size(level);
        if (va + pt_level_size(level) <= MM_VA_BASE || va >= MM_VA_END)
            continue;               /* the kernel's shared entries */
        if (t[i] && pte_is_table(t[i], level) &&
            find_table(pte_table_pa(t[i]), level + 1, va, want, vbase, lvl))
            return true;
    }
    return false;
}

static bool locate(uint64_t *ptep, struct loc *l)
{
    uint64_t table = (uint64_t)(uintptr_t)ptep & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t idx = ((uintptr_t)ptep & (PAGE_SIZE - 1)) / sizeof(pte_t);
    for (unsigned i = 0; i < LOCATE_CACHE; i++)
        if (loc_cache[i].table == table && loc_cache[i].pt) {
            l->pt = loc_cache[i].pt;
            l->level = loc_cache[i].level;
            l->va = loc_cache[i].base + idx * pt_level_size(l->level);
            return true;
        }
    for (int k = 0; k < MAX_TRACKED; k++) {
        const struct pgtable *pt = tracked[k];
        uint64_t base;
        int level;
        if (!pt || !pt->root || !find_table(pt->root, pt_root_level(), 0, table, &base, &level))
            continue;
        unsigned c = loc_pos++ % LOCATE_CACHE;
        loc_cache[c].table = table;
        loc_cache[c].base = base;
        loc_cache[c].pt = pt;
        loc_cache[c].level = level;
        l->pt = pt;
        l->level = level;
        l->va = base + idx * pt_level_size(level);
        return true;
    }
    return false;
}

static void rule_check_track_unlocked(const struct pgtable *pt)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (!tracked[i]) {
            tracked[i] = pt;
            return;
        }
}

static void rule_check_untrack_unlocked(const struct pgtable *pt)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i] == pt)
            tracked[i] = NULL;
    memset(loc_cache, 0, sizeof(loc_cache));
    /* Its records went with the ASID flush of pgtable_destroy; whatever is
     * left was judged at that operation's end. */
    if (!initialized)
        return;
    for (unsigned i = 0; i < high_water; i++)
        if (ent[i].live && ent[i].asid == pt->asid)
            cached_remove((int32_t)i);
}

/* ---- translations, as the hardware sees them ---- */
static bool is_leaf(pte_t v, int level)
{
    return pte_valid(v) && (level == LEAF_LEVEL || pte_is_block(v, level));
}
static unsigned perms(pte_t v) { return pte_hw_perms(v, mmu_caps.hw_af, mmu_caps.hw_dirty); }

/* The translation one cached record gives to page va: output PFN, size of
 * the TLB entry (a CONT member is part of a 64 KiB entry) and memory type. */
struct xlate { uint64_t pfn, size, mem; unsigned perms; };

static struct xlate xlate_of(pte_t v, uint64_t entry_va, int level, uint64_t va)
{
    struct xlate x = { .size = pt_level_size(level), .mem = pte_hw_memattr(v), .perms = perms(v) };
    if (level == LEAF_LEVEL) {
        x.pfn = pte_napot_pfn(v, entry_va) + (uint64_t)((int64_t)(va - entry_va) / (int64_t)PAGE_SIZE);
        if (pte_cont(v))
            x.size = CONT_SIZE;
    } else {
        x.pfn = pte_pfn(v) + (va - ALIGN_DOWN(entry_va, x.size)) / PAGE_SIZE;
    }
    return x;
}
static bool same_shape(struct xlate a, struct xlate b)
{
    return a.pfn == b.pfn && a.size == b.size && a.mem == b.mem;
}

/* The member index of a CONT entry in its 16-entry block (blocks are
 * 128-byte aligned inside their table). */
static unsigned member_of(const uint64_t *ptep) { return (unsigned)(((uintptr_t)ptep / sizeof(pte_t)) % CONT_PTES); }

/* ---- R1: break-before-make, at the moment an entry is made valid ---- */
static bool bbm_conflict_at(pte_t newv, uint64_t new_va, int level, uint16_t asid, uint64_t va,
                            pte_t *why_old)
{
    struct xlate nx = xlate_of(newv, new_va, level, va);
    int32_t idx[16];
    unsigned n = covering(va, idx, ARRAY_SIZE(idx));
    for (unsigned k = 0; k < n; k++) {
        struct cached *e = &ent[idx[k]];
        if ((e->kind != C_LEAF && e->kind != C_BLOCK_HINT) || (!e->global && e->asid != asid))
            continue;
        uint64_t member_va = e->kind == C_BLOCK_HINT ? e->va + member_of(e->ptep) * PAGE_SIZE : e->va;
        struct xlate ox = xlate_of(e->value, member_va, e->level, va);
        if (!same_shape(nx, ox)) {
            *why_old = e->value;
            return true;
        }
    }
    return false;
}

static void check_bbm(uint64_t *ptep, pte_t newv, const struct loc *l)
{
    uint16_t asid = l->pt->asid;
    pte_t old;
    if (bbm_conflict_at(newv, l->va, l->level, asid, l->va, &old)) {
        VIOLATION("R1 break-before-make", "va 0x%llx asid %u made valid as 0x%llx while a TLB may hold 0x%llx "
                  "(another output address, size or memory type)", (unsigned long long)l->va, asid,
                  (unsigned long long)newv, (unsigned long long)old);
        return;
    }
    if (l->level != LEAF_LEVEL || !mmu_caps.cont)
        return;
    uint64_t base = ALIGN_DOWN(l->va, CONT_SIZE);
    uint64_t *first = ptep - member_of(ptep);
    struct xlate nx_here = xlate_of(newv, l->va, LEAF_LEVEL, l->va);
    for (unsigned k = 0; k < CONT_PTES; k++) {
        uint64_t va = base + k * PAGE_SIZE;
        pte_t c = first[k];
        if (&first[k] == ptep || !pte_valid(c))
            continue;
        /* A current member held as a 64 KiB block entry covers this page;
         * a new 64 KiB entry covers every member's page. */
        if (pte_cont(c)) {
            struct xlate cx = xlate_of(c, va, LEAF_LEVEL, l->va);
            if (!same_shape(cx, nx_here)) {
                VIOLATION("R1 break-before-make", "va 0x%llx asid %u made valid as 0x%llx while block member "
                          "0x%llx = 0x%llx may be cached as a 64 KiB entry covering it",
                          (unsigned long long)l->va, asid, (unsigned long long)newv, (unsigned long long)va,
                          (unsigned long long)c);
                return;
            }
        }
        if (pte_cont(newv)) {
            struct xlate nx = xlate_of(newv, l->va, LEAF_LEVEL, va);
            if (!same_shape(nx, xlate_of(c, va, LEAF_LEVEL, va)) ||
                bbm_conflict_at(newv, l->va, LEAF_LEVEL, asid, va, &old)) {
                VIOLATION("R1 break-before-make", "va 0x%llx asid %u made a 64 KiB entry 0x%llx while page 0x%llx "
                          "(0x%llx) may be cached with another translation",
                          (unsigned long long)l->va, asid, (unsigned long long)newv, (unsigned long long)va,
                          (unsigned long long)c);
                return;
            }
        }
    }
}

static void note_block(uint64_t *ptep, uint64_t va)
{
    uint64_t *first = ptep - member_of(ptep);
    for (unsigned i = 0; i < nblocks; i++)
        if (blocks[i].first == first)
            return;
    if (nblocks < ARRAY_SIZE(blocks)) {
        blocks[nblocks].first = first;
        blocks[nblocks].va = ALIGN_DOWN(va, CONT_SIZE);
        nblocks++;
    }
}

static bool is_unpublished(uint64_t table)
{
    for (unsigned i = 0; i < nunpublished; i++)
        if (unpublished[i] == table)
            return true;
    return false;
}

static void rule_check_store_unlocked(uint64_t *ptep, uint64_t oldv, uint64_t newv)
{
    if (!initialized)
        model_init();
    struct loc l;
    if (!locate(ptep, &l))
        return;
    record('S', l.va, oldv, newv);
    unordered_bc = unordered_local = true;
    uint16_t asid = l.pt->asid;
    uint64_t size = pt_level_size(l.level);
    if (oldv == newv)
        return;

    /* What the old value leaves behind in the TLBs. */
    if (l.level < LEAF_LEVEL && pte_valid(oldv) && pte_is_table(oldv, l.level))
        cached_add(C_WALK, l.va, size, oldv, ptep, asid, false, l.level, all_pes());
    if (is_leaf(oldv, l.level) && (perms(oldv) || mmu_caps.caches_invalid)) {
        bool same = is_leaf(newv, l.level) && perms(newv) == perms(oldv) &&
                    pte_hw_global(newv) == pte_hw_global(oldv) &&
                    same_shape(xlate_of(oldv, l.va, l.level, l.va), xlate_of(newv, l.va, l.level, l.va));
        if (!same) {
            cached_add(C_LEAF, l.va, size, oldv, ptep, asid, pte_hw_global(oldv), l.level, all_pes());
            if (l.level == LEAF_LEVEL && pte_cont(oldv))
                cached_add(C_BLOCK_HINT, ALIGN_DOWN(l.va, CONT_SIZE), CONT_SIZE, oldv, ptep, asid,
                           pte_hw_global(oldv), LEAF_LEVEL, all_pes());
        }
    }
    if (!pte_valid(oldv) && mmu_caps.caches_invalid && pte_valid(newv))
        cached_add(C_NEG, l.va, size, oldv, ptep, asid, pte_hw_global(oldv), l.level, PE_THIS);

    /* What the new value may conflict with. */
    if (is_leaf(newv, l.level))
        check_bbm(ptep, newv, &l);
    if (l.level < LEAF_LEVEL && pte_valid(newv) && pte_is_table(newv, l.level)) {
        if (is_unpublished(pte_table_pa(newv)))
            VIOLATION("R9 table publication", "va 0x%llx asid %u: table 0x%llx linked before its zeroing was "
                      "ordered (dsb ishst / fence)", (unsigned long long)l.va, asid,
                      (unsigned long long)pte_table_pa(newv));
        int32_t idx[16];
        unsigned n = covering(l.va, idx, ARRAY_SIZE(idx));
        for (unsigned k = 0; k < n; k++)
            if (ent[idx[k]].kind == C_LEAF && ent[idx[k]].level == l.level && ent[idx[k]].ptep == ptep)
                VIOLATION("R1 break-before-make", "va 0x%llx asid %u: table linked where a TLB may still hold "
                          "block 0x%llx", (unsigned long long)l.va, asid, (unsigned long long)ent[idx[k]].value);
    }
    if (l.level == LEAF_LEVEL && (pte_cont(oldv) || pte_cont(newv)))
        note_block(ptep, l.va);
}

/* ---- R8 per CPU ---- */
static uint8_t held_of(uint16_t hw)
{
    return (uint8_t)(__atomic_load_n(&r8_held[hw / 4], __ATOMIC_RELAXED) >> ((hw % 4) * 8));
}

static void rule_check_note_active_unlocked(unsigned cpu, uint16_t asid)
{
    uint16_t hw = asid & asid_mask();
    if (cpu == 0 || cpu >= 8 || (held_of(hw) & (1u << cpu)))
        return;
    __atomic_fetch_or(&r8_held[hw / 4], (uint32_t)(1u << cpu) << ((hw % 4) * 8), __ATOMIC_RELAXED);
}

/* Every entry of hardware ASID hw (all: of every ASID) was invalidated on
 * the PEs `pes`: they hold nothing of any root that ran under it. */
static void r8_flushed(bool all, uint16_t hw, uint8_t pes)
{
    if (all) {
        /* The ASIDs CPU 0 ran (the only ones an R8 check looks at). */
        for (unsigned i = 0; i < ARRAY_SIZE(asid_map); i++)
            if (asid_map[i].used)
                __atomic_fetch_and(&r8_held[asid_map[i].asid / 4],
                                   ~((uint32_t)pes << ((asid_map[i].asid % 4) * 8)), __ATOMIC_RELAXED);
    } else {
        __atomic_fetch_and(&r8_held[hw / 4], ~((uint32_t)pes << ((hw % 4) * 8)), __ATOMIC_RELAXED);
    }
    if (r8_pending && (all || hw == r8_asid)) {
        r8_pes &= (uint8_t)~pes;
        if (!r8_pes)
            r8_pending = false;
    }
}

/* ---- maintenance ---- */
static void apply_all(const struct tlbi_effect *e, uint8_t clear);
static void apply(const struct tlbi_effect *e, int32_t i, uint8_t clear)
{
    struct cached *c = &ent[i];
    if (c->va >= e->end || e->start >= c->va + c->size)
        return;
    uint16_t m = asid_mask();
    if (c->global ? !e->global : !(e->any_asid || (c->asid & m) == (e->asid & m)))
        return;
    if (c->kind == C_WALK ? e->leaf_only || e->ttl_level >= 0
                          : e->ttl_level >= 0 && c->level != e->ttl_level)
        return;
    c->pes &= (uint8_t)~clear;
    if (!c->pes)
        cached_remove(i);
}

static void rule_check_tlbi_unlocked(const struct tlbi_rec *r)
{
    if (!initialized)
        model_init();
    struct tlbi_effect e;
    tlbi_decode(r, &e);
    record('T', r->insn, r->rs1, r->rs2);
    if (e.none)
        return;
    if (e.needs_fences) {
        if (e.broadcast ? unordered_bc : unordered_local)
            VIOLATION("R5 barriers", "invalidate (insn %u, operand 0x%llx) issued before a barrier ordered the "
                      "PTE stores", r->insn, (unsigned long long)r->rs1);
        if (e.broadcast)
            incomplete_bc = true;
        else
            incomplete_local = true;
    }
    uint8_t clear = e.broadcast ? 0xff : PE_THIS;
    if (e.start == 0 && e.end == ~0ULL) {   /* a whole-ASID or whole-TLB flush: R8 state */
        for (unsigned i = 0; i < ARRAY_SIZE(asid_map) && (clear & 1); i++)    /* (CPU 0's roots) */
            if (e.any_asid || asid_map[i].asid == (e.asid & asid_mask()))
                /* The root running now refills entries right after. */
                asid_map[i].dirty = asid_map[i].root == current_root && asid_map[i].asid == current_hw_asid;
        r8_flushed(e.any_asid, e.asid & asid_mask(), clear);
    }
    apply_all(&e, clear);
}

/* Walk the records an effect may touch and clear `clear` PEs from them. */
static void apply_all(const struct tlbi_effect *ep, uint8_t clear)
{
    struct tlbi_effect e = *ep;
    if (e.end > e.start && e.end - e.start <= SMALL_RANGE_PAGES * PAGE_SIZE) {
        for (uint64_t va = e.start; va < e.end; va += PAGE_SIZE) {
            int32_t idx[32];
            unsigned n = covering(va, idx, ARRAY_SIZE(idx));
            /* apply() may remove: handle the found ones in reverse order of
             * discovery (removal only unlinks the one removed). */
            for (unsigned k = n; k-- > 0;)
                apply(&e, idx[k], clear);
        }
        return;
    }
    for (unsigned i = 0; i < high_water; i++)
        if (ent[i].live)
            apply(&e, (int32_t)i, clear);
}

/* Other CPUs (bit c = CPU c) invalidated [start, end) of asid on their
 * own TLBs: an IPI's handler, or SBI RFENCE, completed before this
 * returns. */
static void rule_check_remote_flush_unlocked(uint8_t pes, uint16_t asid, uint64_t start, uint64_t end, bool leaf_only)
{
    if (!initialized)
        model_init();
    record('R', pes, asid, start);
    /* ASID 0 over the whole range is every entry of every ASID (the IPI
     * handler's vmalle1 / sfence.vma x0, x0; SBI remote_sfence_vma). */
    bool whole = start == 0 && end == ~0ULL;
    struct tlbi_effect e = { .asid = asid, .global = asid == 0, .any_asid = asid == 0 && whole,
                             .start = start, .end = end, .leaf_only = leaf_only, .ttl_level = -1 };
    apply_all(&e, pes);
    if (whole)
        r8_flushed(asid == 0, asid & asid_mask(), pes);
}

static void rule_check_barrier_unlocked(unsigned bits)
{
    record('B', bits, 0, 0);
    if (bits & (HWB_STORE_ORDER | HWB_FENCE | HWB_COMPLETE))
        nunpublished = 0;
    if (bits & (HWB_STORE_ORDER | HWB_COMPLETE))
        unordered_bc = unordered_local = false;
    if (bits & (HWB_LOCAL_STORE_ORDER | HWB_LOCAL_COMPLETE))
        unordered_local = false;
    if (bits & HWB_COMPLETE)
        incomplete_bc = incomplete_local = false;
    if (bits & HWB_LOCAL_COMPLETE)
        incomplete_local = false;
}

static void rule_check_table_alloc_unlocked(uint64_t table_pa)
{
    if (nunpublished < MAX_UNPUBLISHED)
        unpublished[nunpublished++] = table_pa;
}

static void rule_check_table_freed_unlocked(uint64_t table_pa)
{
    for (unsigned i = 0; i < LOCATE_CACHE; i++)
        if (loc_cache[i].table == table_pa)
            loc_cache[i].pt = NULL, loc_cache[i].table = 0;
    if (!initialized)
        return;
    for (unsigned i = 0; i < high_water; i++) {
        struct cached *e = &ent[i];
        if (!e->live)
            continue;
        bool inside = ((uint64_t)(uintptr_t)e->ptep & ~(uint64_t)(PAGE_SIZE - 1)) == table_pa;
        if (e->kind == C_WALK && pte_table_pa(e->value) == table_pa)
            VIOLATION("R7 walk cache", "table 0x%llx freed while a walk cache of asid %u may still hold the "
                      "entry 0x%llx for va 0x%llx (needs a non-last-level invalidate)",
                      (unsigned long long)table_pa, e->asid, (unsigned long long)e->value,
                      (unsigned long long)e->va);
        else if (inside && (e->kind == C_LEAF || e->kind == C_BLOCK_HINT) && perms(e->value))
            VIOLATION("R3 stale translation", "table 0x%llx freed while a TLB may still hold its entry 0x%llx "
                      "for va 0x%llx asid %u", (unsigned long long)table_pa, (unsigned long long)e->value,
                      (unsigned long long)e->va, e->asid);
        else if (!inside)
            continue;
        cached_remove((int32_t)i);
    }
}

static void rule_check_switch_unlocked(uint64_t root_pa, uint16_t asid)
{
    record('W', root_pa, asid, 0);
    current_root = root_pa;
    current_hw_asid = asid & asid_mask();
    if (nunpublished)
        VIOLATION("R9 table publication", "root 0x%llx (asid %u) switched to before the zeroing of table 0x%llx "
                  "was ordered", (unsigned long long)root_pa, asid, (unsigned long long)unpublished[0]);
    uint16_t hw = asid & asid_mask();
    if (root_pa == kernel_pgtable.root)
        return;                 /* the kernel's table: global entries only */
    unsigned slot = ARRAY_SIZE(asid_map);
    for (unsigned i = 0; i < ARRAY_SIZE(asid_map); i++)
        if (asid_map[i].used && asid_map[i].asid == hw)
            slot = i;
    if (slot == ARRAY_SIZE(asid_map))
        for (unsigned i = 0; i < ARRAY_SIZE(asid_map); i++)
            if (!asid_map[i].used) {
                slot = i;
                break;
            }
    if (slot == ARRAY_SIZE(asid_map))
        return;
    /* Judged at the next checkpoint: a flush right after the switch (before
     * anything relies on the TLB) is the correct order too. */
    /* Who may hold the old root's entries under this ASID: this CPU, and
     * (several CPUs online) every other CPU that ran the ASID since an
     * invalidate of it last reached that CPU. */
    uint8_t pes = asid_map[slot].dirty ? PE_THIS : 0;
    if (tlb_nr_cpus > 1)
        pes |= held_of(hw) & (uint8_t)~PE_THIS;
    if (asid_map[slot].used && asid_map[slot].root != root_pa && pes) {
        r8_pending = true;
        r8_pes = pes;
        r8_asid = hw;
        r8_from = asid_map[slot].root;
        r8_to = root_pa;
    }
    asid_map[slot].used = true;
    asid_map[slot].asid = hw;
    asid_map[slot].root = root_pa;
    asid_map[slot].dirty = true;
}

static void rule_check_reset_unlocked(void)
{
    model_init();
    nblocks = 0;
    memset(nunpublished_cpu, 0, sizeof(nunpublished_cpu));
    memset(order_cpu, 0, sizeof(order_cpu));
    memset(asid_map, 0, sizeof(asid_map));
    memset(r8_held, 0, sizeof(r8_held));
    r8_pending = false;
    r8_pes = 0;
}

/* ---- checkpoints ---- */
static const char *pe_name(uint8_t pes)
{
    static char buf[24];
    if (pes & PE_THIS)
        return "this PE";
    if (tlb_nr_cpus > 1) {
        snprintf(buf, sizeof(buf), "CPU %d", __builtin_ctz(pes));
        return buf;
    }
    return "another PE";
}

/* Judge one record against the entries now; true if it is to be forgotten. */
static bool judge(struct cached *e, const char *op)
{
    pte_t now = *e->ptep;
    if (e->kind == C_WALK) {
        if (now != e->value)
            VIOLATION("R7 walk cache", "%s: va 0x%llx asid %u level %u: a walk cache may still hold table entry "
                      "0x%llx, now 0x%llx", op, (unsigned long long)e->va, e->asid, e->level,
                      (unsigned long long)e->value, (unsigned long long)now);
        return true;
    }
    if (e->kind == C_NEG) {
        if (perms(now) && (e->pes & PE_THIS))
            VIOLATION("R4 negative caching", "%s: va 0x%llx asid %u: this hart may still hold the invalid "
                      "entry 0x%llx, now valid 0x%llx: the access would fault forever", op,
                      (unsigned long long)e->va, e->asid, (unsigned long long)e->value, (unsigned long long)now);
        return true;
    }
    /* Pages a leaf record translates: itself, or all 16 for a block entry. */
    unsigned pages = e->kind == C_BLOCK_HINT ? CONT_PTES : 1;
    uint64_t member_va = e->kind == C_BLOCK_HINT ? e->va + member_of(e->ptep) * PAGE_SIZE : e->va;
    uint64_t *first = e->kind == C_BLOCK_HINT ? e->ptep - member_of(e->ptep) : e->ptep;
    for (unsigned k = 0; k < pages; k++) {
        uint64_t va = e->kind == C_BLOCK_HINT ? e->va + k * PAGE_SIZE : e->va;
        pte_t cur = first[k];
        struct xlate ox = xlate_of(e->value, member_va, e->level, va);
        bool cur_leaf = is_leaf(cur, e->level);
        struct xlate cx = cur_leaf ? xlate_of(cur, va, e->level, va) : (struct xlate){ 0 };
        /* A cached entry that writes without a descriptor update (dirty)
         * for an entry that is clean now would lose the dirty state: more.
         * The converse is no fault: the hardware updates the descriptor. */
        unsigned more = ox.perms & ~cx.perms, less = cx.perms & ~ox.perms & ~(unsigned)HWP_SILENT_WRITE;
        bool elsewhere = ox.perms && cur_leaf && cx.perms && (ox.pfn != cx.pfn || ox.mem != cx.mem);
        if (more || elsewhere) {
            VIOLATION("R3 stale translation", "%s: va 0x%llx asid %u: %s may still hold %s 0x%llx, entry now 0x%llx "
                      "(%s%s%s%s%s%s)", op, (unsigned long long)va, e->asid, pe_name(e->pes),
                      cached_kind_name[e->kind], (unsigned long long)e->value, (unsigned long long)cur,
                      elsewhere ? "another output address or memory type" : "grants ",
                      more & HWP_WRITE ? "write " : "", more & (HWP_UEXEC | HWP_KEXEC) ? "exec " : "",
                      more & HWP_USER ? "user " : "", more & HWP_READ ? "read " : "",
                      more & HWP_SILENT_WRITE ? "write without marking the entry dirty" : "");
            return true;
        }
        if (less && (e->pes & PE_THIS) && !mmu_caps.caches_invalid) {
            VIOLATION("R6 stale entry", "%s: va 0x%llx asid %u: this PE may still hold %s 0x%llx, which allows "
                      "less than the entry now 0x%llx: the access would fault again and again", op,
                      (unsigned long long)va, e->asid, cached_kind_name[e->kind], (unsigned long long)e->value,
                      (unsigned long long)cur);
            return true;
        }
        if (less && (e->pes & PE_THIS)) {
            VIOLATION("R4 negative caching", "%s: va 0x%llx asid %u: this hart may still hold 0x%llx, which "
                      "faults where the entry now 0x%llx does not: the access would fault forever", op,
                      (unsigned long long)va, e->asid, (unsigned long long)e->value, (unsigned long long)cur);
            return true;
        }
    }
    return true;
}

static void rule_check_op_end_unlocked(const char *op)
{
    if (!rule_check_on)
        return;
    if (locks_held > held_by[mm_cpu_id()])
        return;                     /* another CPU is mid-change: judged at a later checkpoint */
    if (!initialized)
        model_init();
    record('E', 0, 0, 0);
    if (incomplete_bc || incomplete_local)
        VIOLATION("R5 barriers", "%s ended with invalidates not completed by a dsb ish%s", op,
                  incomplete_bc ? "" : " / dsb nsh");
    incomplete_bc = incomplete_local = false;
    if (r8_pending)
        VIOLATION("R8 ASID reuse", "%s: ASID %u switched from root 0x%llx to root 0x%llx and used without "
                  "flushing it on %s", op, r8_asid, (unsigned long long)r8_from, (unsigned long long)r8_to,
                  pe_name(r8_pes));
    r8_pending = false;
    r8_pes = 0;
    for (unsigned i = 0; i < high_water && nlive; i++)
        if (ent[i].live && judge(&ent[i], op))
            cached_remove((int32_t)i);
    for (unsigned i = 0; i < nblocks; i++) {
        bool any_cont = false;
        for (unsigned k = 0; k < CONT_PTES; k++)
            any_cont |= pte_cont(blocks[i].first[k]);
        const char *err = any_cont ? cont_block_check(blocks[i].first, blocks[i].va) : NULL;
        if (err)
            VIOLATION("R2 contiguous block", "block at 0x%llx after %s: %s",
                      (unsigned long long)blocks[i].va, op, err);
    }
    nblocks = 0;
}

/* ---- the entry points: one CPU at a time in the model ---- */
void rule_check_track(const struct pgtable *pt)
{
    spin_lock(&checker_lock);
    rule_check_track_unlocked(pt);
    spin_unlock(&checker_lock);
}

void rule_check_untrack(const struct pgtable *pt)
{
    spin_lock(&checker_lock);
    rule_check_untrack_unlocked(pt);
    spin_unlock(&checker_lock);
}

void rule_check_store(uint64_t *ptep, uint64_t oldv, uint64_t newv)
{
    spin_lock(&checker_lock);
    rule_check_store_unlocked(ptep, oldv, newv);
    spin_unlock(&checker_lock);
}

void rule_check_tlbi(const struct tlbi_rec *r)
{
    spin_lock(&checker_lock);
    rule_check_tlbi_unlocked(r);
    spin_unlock(&checker_lock);
}

void rule_check_remote_flush(uint8_t pes, uint16_t asid, uint64_t start, uint64_t end, bool leaf_only)
{
    spin_lock(&checker_lock);
    rule_check_remote_flush_unlocked(pes, asid, start, end, leaf_only);
    spin_unlock(&checker_lock);
}

void rule_check_barrier(unsigned bits)
{
    spin_lock(&checker_lock);
    rule_check_barrier_unlocked(bits);
    spin_unlock(&checker_lock);
}

void rule_check_table_alloc(uint64_t table_pa)
{
    spin_lock(&checker_lock);
    rule_check_table_alloc_unlocked(table_pa);
    spin_unlock(&checker_lock);
}

void rule_check_table_freed(uint64_t table_pa)
{
    spin_lock(&checker_lock);
    rule_check_table_freed_unlocked(table_pa);
    spin_unlock(&checker_lock);
}

void rule_check_switch(uint64_t root_pa, uint16_t asid)
{
    spin_lock(&checker_lock);
    rule_check_switch_unlocked(root_pa, asid);
    spin_unlock(&checker_lock);
}

void rule_check_reset(void)
{
    spin_lock(&checker_lock);
    rule_check_reset_unlocked();
    spin_unlock(&checker_lock);
}

void rule_check_op_end(const char *op)
{
    if (!rule_check_on)
        return;                     /* (benchmarks: no lock taken) */
    spin_lock(&checker_lock);
    rule_check_op_end_unlocked(op);
    spin_unlock(&checker_lock);
}

void rule_check_note_active(unsigned cpu, uint16_t asid)
{
    spin_lock(&checker_lock);
    rule_check_note_active_unlocked(cpu, asid);
    spin_unlock(&checker_lock);
}

void rule_check_lock_taken_slow(void)
{
    unsigned me = mm_cpu_id();
    spin_lock(&checker_lock);
    locks_held++;
    held_by[me]++;
    spin_unlock(&checker_lock);
}

void rule_check_lock_dropped_slow(void)
{
    unsigned me = mm_cpu_id();
    spin_lock(&checker_lock);
    if (held_by[me]) {      /* (taken while the checker was off: not counted) */
        held_by[me]--;
        locks_held--;
    }
    spin_unlock(&checker_lock);
}
