/*
 * A simulated riscv64 (Sv48 / Sv39) hart MMU for the host run of the mm
 * core (tests/host/mm_random_riscv.mk), modelling the worst case the
 * privileged spec (with Svnapot, Svinval, Svadu / Svade) allows, so that a
 * missing fence is observable.
 *
 * Memory: as in the arm64 simulator (tests/host/fakearch/sim_mmu.c), the
 * page allocator manages host arenas and a physical address is the pointer;
 * VAs of the managed window are only reached through probe_read64/
 * probe_write64, which translate here. Faults go to boot/fault.c as
 * arch/riscv64/exception.c reports them: FAULT_PAGE, level -1, scause.
 *
 * The walk (asm/pte.h encoding, satp mode from mmu_caps.levels):
 *   - V=0 at any level: page fault. A non-leaf entry (V, R=W=X=0) at the
 *     last level, W without R, reserved bits (60:54, PBMT without Svpbmt,
 *     N outside a last-level leaf or with PPN[3:0] != 0b1000, a misaligned
 *     superpage, A/D/U/N/PBMT in a non-leaf entry): page fault, and
 *     reported (the mm never writes such entries);
 *   - loads need R, stores need W. S-mode accesses to U pages are allowed
 *     (the kernel sets sstatus.SUM, arch/riscv64/arch.c);
 *   - A/D: with Svadu (hw_af/hw_dirty) the walker sets A on any access and
 *     A|D on a store, by an atomic compare-and-swap of the entry in memory;
 *     with Svade A=0, or a store with D=0, is a page fault.
 *   Every table the walk reads must be an allocated page.
 * The TLB (set-associative, large enough that nothing is evicted in this
 * test; ASID-tagged, G entries global; G anywhere on the path makes the
 * translation global):
 *   - every walk that reaches a leaf fills an entry with the leaf as walked
 *     (also when the access then faults on its permissions or A/D: such an
 *     entry keeps faulting until a fence removes it); a Svnapot leaf is
 *     cached per 4 KiB page, so a fence of one page leaves the other 15;
 *   - NEGATIVE caching: a walk that meets an invalid entry caches the
 *     fault for that 4 KiB page (global if the invalid entry has G, as
 *     protnone entries do): the access keeps faulting until a fence;
 *   - walk caches: every valid non-leaf entry a walk reads is cached per
 *     ASID, and a walk starts from the deepest cached one for the VA;
 *   - speculative walks: when satp is switched and between operations,
 *     every valid leaf of the current address space's managed window that
 *     allows a read without an A/D update is cached (and the non-leaf
 *     entries above it): the next operation must fence whatever it changes.
 *     Invalid entries are not prefetched and A is never set speculatively.
 * Checks:
 *   - a hit is used as is, like hardware: a store through an entry without
 *     W (or, with Svade, without D) faults from the TLB alone; with Svadu a
 *     store through an entry with D=0 walks again (the update is done in
 *     memory). A hit that allows what the table no longer does (invalid
 *     now, another page, read-only, clean outside a Svnapot block) is
 *     reported;
 *   - a fault from a cached entry (invalid, or granting less) of the same
 *     address space that the table now allows: the mm relaxed an entry
 *     without the local fence it owes (the access would fault forever on a
 *     hart that keeps the entry; the mm's spurious-fault path hides it).
 *     From a global invalid entry of another address space it is only
 *     counted;
 *   - a walk through a cached non-leaf entry the tables no longer hold (a
 *     table unlinked, freed or replaced without sfence.vma x0, or an ASID
 *     reused by another root without a flush);
 *   - sim_tlb_audit() (between operations): every cached leaf entry that
 *     grants more than the table now (read, write, exec, user, another
 *     page, a write without the D update) and every walk-cache entry the
 *     tables no longer hold. Negative entries are never "more permissive"
 *     and are not audited.
 * Fences, decoded from the registers issued (asm/tlb_decode.h): rs1 = x0
 * removes every entry of the address spaces it names, walk caches too;
 * rs1 != x0 removes only leaf (and negative) entries of that page. rs2 = x0
 * names every ASID and global entries, else only non-global entries of that
 * ASID. sinval.vma removes the same set, but only at the next
 * sfence.inval.ir (until then the entries are still used), and nothing if
 * a PTE store since the last sfence.w.inval / sfence.vma is not ordered
 * before it (a walk may refill the old entry after the invalidation).
 * Not simulated: speculative walks in the middle of an operation, other
 * harts, exec accesses, PBMT memory types, Svvptc.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/asid.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "mmu/mm.h"
#include "tests/host/fakearch/sim.h"

struct mmu_caps mmu_caps;
enum sim_mutation sim_mutation;
struct sim_stats sim_stats;

/* Beyond struct sim_stats (printed at exit). */
static struct {
    uint64_t neg_fills, neg_hits, spurious_foreign, wc_fills, wc_starts, sinval_marked, sinval_dropped;
    uint64_t fence_va, fence_all, spec_fills, evictions, sinval_unordered;
} rstats;

#define SCAUSE_LOAD_PAGE_FAULT  13
#define SCAUSE_STORE_PAGE_FAULT 15

#define PTE_RESERVED_60_54 (0x7fULL << 54)
#define PPN_OF(v)          (((v) & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT)

/* ---- the current translation (satp) ---- */
static uint64_t cur_root;
static uint16_t cur_asid;
static uint64_t kroot_sv48, kroot_sv39;     /* the kernel's root in each mode */

static void prefetch(void);

unsigned arch_switch_root(uint64_t root_pa, uint16_t asid)
{
    /* csrw satp: no fence (the real one issues none either). The hart may
     * start walking the new address space speculatively right away. */
    cur_root = root_pa;
    cur_asid = asid;
    prefetch();
    return 0;
}
uint64_t arch_current_root(void) { return cur_root; }
void arch_mmu_probe(void) {}
void arch_mmu_enable(uint64_t root_pa) { arch_switch_root(root_pa, 0); }
void arch_mmu_describe(void)
{
    printf("# sim mmu: riscv64 Sv%d (%d levels), %u-bit ASIDs, HW A/D %s, Svnapot %s, Svinval %s\n",
           mmu_caps.va_bits, mmu_caps.levels, mmu_caps.asid_bits,
           mmu_caps.hw_af ? "on (Svadu)" : "off (Svade)", mmu_caps.cont ? "yes" : "no",
           mmu_caps.svinval ? "yes" : "no");
}
void icache_sync(uint64_t va, uint64_t len) { (void)va, (void)len; }

/* ---- TLB and walk caches ---- */
/* Set-associative, indexed by the 4 KiB page number, large enough that the
 * three address spaces of the test (128 pages each, the same VAs) and their
 * cached faults stay cached; superpages in a small fully associative part. */
#define TLB_SETS     256
#define TLB_WAYS     8
#define TLB_SP       16
#define TLB_ENTRIES  (TLB_SETS * TLB_WAYS + TLB_SP)
struct tlb_entry {
    bool valid;
    bool neg;                   /* a cached fault (invalid entry at w.level) */
    bool global;
    bool doomed;                /* removed by a sinval.vma: gone at sfence.inval.ir */
    uint16_t asid;
    int level;
    uint64_t va, size;          /* [va, va+size): 4 KiB (also each Svnapot member) or a superpage */
    uint64_t pa;                /* output address of va (leaf entries) */
    pte_t pte;                  /* the entry as walked */
    uint64_t root;              /* the table it was walked from */
};
static struct tlb_entry tlb[TLB_ENTRIES];
static uint8_t tlb_set_next[TLB_SETS];
static unsigned tlb_sp_next;

static struct tlb_entry *tlb_set(uint64_t va) { return &tlb[((va >> 12) % TLB_SETS) * TLB_WAYS]; }
static struct tlb_entry *tlb_sp(void) { return &tlb[TLB_SETS * TLB_WAYS]; }

#define WC_ENTRIES 64
struct wc_entry {
    bool valid, global;
    uint16_t asid;
    int level;                  /* the level of the cached non-leaf entry */
    uint64_t va;                /* the region it covers: [va, va + pt_level_size(level)) */
    uint64_t table;             /* the next-level table it points to */
    uint64_t root;
};
static struct wc_entry wc[WC_ENTRIES];
static unsigned wc_next;

static void flush_everything(void)
{
    memset(tlb, 0, sizeof(tlb));
    memset(wc, 0, sizeof(wc));
}

static bool asid_match(bool global, uint16_t asid, const struct tlbi_effect *e)
{
    if (e->any_asid)
        return true;            /* rs2 = x0: every address space, global entries too */
    return !global && asid == e->asid;
}

/* A PTE store since the last fence that orders it before invalidations. */
static bool stores_unordered;

void sim_pte_stored(void) { stores_unordered = true; }

void sim_tlb_apply(const struct tlbi_rec *r)
{
    struct tlbi_effect e;
    tlbi_decode(r, &e);
    if (sim_mutation == SIM_MUT_TLBI_NOOP || e.none)
        return;
    if (e.needs_fences && stores_unordered) {
        /* sinval.vma not ordered after the PTE stores (no sfence.w.inval
         * since): the invalidation may be done before the walker sees the
         * stores, and a walk in between caches the old entry again. */
        rstats.sinval_unordered++;
        return;
    }
    if (!e.needs_fences)
        stores_unordered = false;   /* sfence.vma orders the earlier stores itself */
    if (e.leaf_only)
        rstats.fence_va++;
    else
        rstats.fence_all++;
    /* One page: its set and the superpages; else everything. */
    bool one_page = e.end - e.start == PAGE_SIZE;
    for (unsigned i = 0; i < (one_page ? TLB_WAYS + TLB_SP : TLB_ENTRIES); i++) {
        struct tlb_entry *t = one_page ? (i < TLB_WAYS ? &tlb_set(e.start)[i] : &tlb_sp()[i - TLB_WAYS]) : &tlb[i];
        if (!t->valid || !asid_match(t->global, t->asid, &e) || !(t->va < e.end && e.start < t->va + t->size))
            continue;
        if (e.needs_fences) {
            /* sinval.vma: ordered only by sfence.inval.ir; used until then. */
            t->doomed = true;
            rstats.sinval_marked++;
        } else {
            t->valid = false;
        }
    }
    if (e.leaf_only)
        return;                 /* rs1 != x0: leaf entries only, walk caches stay */
    for (unsigned i = 0; i < WC_ENTRIES; i++) {
        struct wc_entry *c = &wc[i];
        if (!c->valid || !asid_match(c->global, c->asid, &e))
            continue;
        /* (a sinval.vma with rs1 = x0 is never issued; treat it as sfence.vma) */
        c->valid = false;
    }
}

void sim_sfence_w_inval(void) { stores_unordered = false; }

void sim_sfence_inval_ir(void)
{
    for (unsigned i = 0; i < TLB_ENTRIES; i++)
        if (tlb[i].valid && tlb[i].doomed) {
            tlb[i].valid = false;
            rstats.sinval_dropped++;
        }
}

/* riscv: Svadu or Svade is the machine's choice, found by probing. */
void arch_set_hw_ad_probed(bool hw)
{
    mmu_caps.hw_af = mmu_caps.hw_dirty = hw;
    mmu_caps.hw_af_avail = mmu_caps.hw_dirty_avail = hw;
}

bool arch_set_hw_ad(bool on) { return on == mmu_caps.hw_af; }

/* Another simulated machine (Svadu or Svade): nothing cached survives. */
void sim_set_hw_ad(bool on)
{
    arch_set_hw_ad_probed(on);
    flush_everything();
}

void sim_riscv_configure(int va_bits, bool svinval, unsigned asid_bits)
{
    bool sv39 = va_bits == 39;
    mmu_caps.va_bits = sv39 ? 39 : 48;
    mmu_caps.levels = sv39 ? 3 : 4;
    mmu_caps.svinval = svinval;
    mmu_caps.asid_bits = asid_bits > 16 ? 16 : asid_bits;
    asid_init();
    /* The Sv39 root is the Sv48 kernel root's level-1 table (pgtable_create
     * copies the kernel's level-1 entries from either). */
    kernel_pgtable.root = sv39 ? kroot_sv39 : kroot_sv48;
    flush_everything();
    arch_switch_root(kernel_pgtable.root, 0);
}

/* Is pa memory the allocator handed out (a live page or table)? */
static bool pa_allocated(uint64_t pa)
{
    struct page *p = phys_to_page(pa);
    return p && (p->flags & (PG_HEAD | PG_TAIL));
}

/* ---- the walk ---- */
struct walk {
    pte_t *ptep;
    pte_t pte;                  /* the last entry read (the leaf, or the invalid one) */
    int level;
    uint64_t pa;                /* output address of the accessed byte (leaf) */
    bool global;                /* G on the path (or on the final entry) */
    bool leaf;                  /* a well-formed valid leaf was reached */
};

static bool va_canonical(uint64_t va)
{
    int64_t s = (int64_t)(va << (64 - mmu_caps.va_bits)) >> (64 - mmu_caps.va_bits);
    return (uint64_t)s == va;
}

/* Decode a valid leaf at level l: false for a reserved encoding (why set). */
static bool leaf_decode(pte_t v, int l, uint64_t va, uint64_t *pa, const char **why)
{
    uint64_t ppn = PPN_OF(v);
    *why = NULL;
    if ((v & RISCV_PTE_W) && !(v & RISCV_PTE_R))
        *why = "W without R";
    else if (v & PTE_RESERVED_60_54)
        *why = "reserved bits 60:54 set";
    else if ((v & RISCV_PTE_PBMT_MASK) && (!mmu_caps.svpbmt || (v & RISCV_PTE_PBMT_MASK) == RISCV_PTE_PBMT_MASK))
        *why = "reserved PBMT value";
    else if ((v & RISCV_PTE_N) && l != LEAF_LEVEL)
        *why = "N set in a superpage";
    else if ((v & RISCV_PTE_N) && !mmu_caps.cont)
        *why = "N set without Svnapot";
    else if ((v & RISCV_PTE_N) && (ppn & 0xf) != 0x8)
        *why = "N set with PPN[3:0] != 0b1000";
    else if (l < LEAF_LEVEL && (ppn & ((pt_level_size(l) >> 12) - 1)))
        *why = "misaligned superpage";
    if (*why)
        return false;
    if (v & RISCV_PTE_N)
        *pa = (pte_napot_pfn(v, va) << 12) | (va & 0xfff);
    else
        *pa = (ppn << 12) + (va & (pt_level_size(l) - 1));
    return true;
}

static void wc_fill(uint64_t va, int level, uint64_t table, bool global)
{
    struct wc_entry *c = NULL;
    for (unsigned i = 0; i < WC_ENTRIES && !c; i++)
        if (!wc[i].valid)
            c = &wc[i];
    if (!c) {
        c = &wc[wc_next++ % WC_ENTRIES];
        rstats.evictions++;
    }
    *c = (struct wc_entry){
        .valid = true, .global = global, .asid = cur_asid, .level = level,
        .va = ALIGN_DOWN(va, pt_level_size(level)), .table = table, .root = cur_root,
    };
    rstats.wc_fills++;
}

/* The walk from `table` at `level` down. With `hw`, the walk of the hart:
 * it fills walk caches and reports reserved encodings; without, a reference
 * walk of the page table now (no side effects). false: page fault. */
static bool walk_down(uint64_t table, int level, bool global, uint64_t va, bool hw, struct walk *w)
{
    memset(w, 0, sizeof(*w));
    w->global = global;
    w->level = level;
    for (int l = level; l <= LEAF_LEVEL; l++) {
        if (!pa_allocated(table)) {
            host_fail("sim mmu: walk of va 0x%llx reads level-%d table 0x%llx, not an allocated page",
                      (unsigned long long)va, l, (unsigned long long)table);
            w->level = l;
            return false;
        }
        pte_t *e = &pt_table(table)[pt_index(va, l)];
        pte_t v = __atomic_load_n(e, __ATOMIC_RELAXED);
        w->ptep = e;
        w->pte = v;
        w->level = l;
        if (v & RISCV_PTE_G)
            w->global = true;
        if (!(v & RISCV_PTE_V))
            return false;
        if (!(v & RISCV_PTE_LEAF)) {
            /* Non-leaf. */
            if (l == LEAF_LEVEL) {
                if (hw)
                    host_fail("sim mmu: va 0x%llx: non-leaf entry 0x%llx at the last level",
                              (unsigned long long)va, (unsigned long long)v);
                return false;
            }
            if (v & (RISCV_PTE_A | RISCV_PTE_D | RISCV_PTE_U | RISCV_PTE_N | RISCV_PTE_PBMT_MASK |
                     PTE_RESERVED_60_54)) {
                if (hw)
                    host_fail("sim mmu: va 0x%llx: reserved bits in the level-%d non-leaf entry 0x%llx",
                              (unsigned long long)va, l, (unsigned long long)v);
                return false;
            }
            table = pte_table_pa(v);
            if (hw)
                wc_fill(va, l, table, w->global);
            continue;
        }
        const char *why;
        if (!leaf_decode(v, l, va, &w->pa, &why)) {
            if (hw)
                host_fail("sim mmu: va 0x%llx: level-%d leaf 0x%llx is a reserved encoding (%s)",
                          (unsigned long long)va, l, (unsigned long long)v, why);
            return false;
        }
        w->leaf = true;
        return true;
    }
    return false;
}

/* The page table now, from root (no walk caches, no side effects). */
static bool ref_walk(uint64_t root, uint64_t va, struct walk *w)
{
    return walk_down(root, pt_root_level(), false, va, false, w);
}

/* The table a walk from root reads at `level` for va, 0 if the path ends above. */
static uint64_t ref_table_at(uint64_t root, uint64_t va, int level)
{
    uint64_t table = root;
    for (int l = pt_root_level(); l < level; l++) {
        if (!pa_allocated(table))
            return 0;
        pte_t v = pt_table(table)[pt_index(va, l)];
        if (!pte_is_table(v, l))
            return 0;
        table = pte_table_pa(v);
    }
    return table;
}

static struct wc_entry *wc_lookup(uint64_t va)
{
    struct wc_entry *best = NULL;
    for (unsigned i = 0; i < WC_ENTRIES; i++) {
        struct wc_entry *c = &wc[i];
        if (c->valid && (c->global || c->asid == cur_asid) && va >= c->va &&
            va - c->va < pt_level_size(c->level) && (!best || c->level > best->level))
            best = c;
    }
    return best;
}

/* The hart's walk: from the deepest walk-cache entry for va, else satp. */
static bool hw_walk(uint64_t va, struct walk *w)
{
    sim_stats.walks++;
    if (!va_canonical(va)) {
        memset(w, 0, sizeof(*w));
        w->level = pt_root_level();
        return false;
    }
    struct wc_entry *c = wc_lookup(va);
    if (!c)
        return walk_down(cur_root, pt_root_level(), false, va, true, w);
    rstats.wc_starts++;
    uint64_t now = ref_table_at(cur_root, va, c->level + 1);
    if (now != c->table || (!c->global && c->root != cur_root)) {
        pte_t *ent = NULL;
        uint64_t parent = ref_table_at(cur_root, va, c->level);
        if (parent)
            ent = &pt_table(parent)[pt_index(va, c->level)];
        host_fail("sim mmu: walk of va 0x%llx asid %u used a stale walk-cache entry (level %d -> table 0x%llx%s%s); "
                  "the entry now: 0x%llx", (unsigned long long)va, cur_asid, c->level, (unsigned long long)c->table,
                  pa_allocated(c->table) ? "" : ", freed", c->root != cur_root ? ", another root" : "",
                  (unsigned long long)(ent ? *ent : 0));
        /* Continue like the hardware would (through the cached table), if it is still memory. */
        if (!pa_allocated(c->table)) {
            memset(w, 0, sizeof(*w));
            w->level = c->level + 1;
            return false;
        }
    }
    return walk_down(c->table, c->level + 1, c->global, va, true, w);
}

/* ---- access checks ---- */

/* Does leaf v allow the access (maybe with a hardware A/D update)? */
static bool leaf_allows(pte_t v, bool write, bool *set_a, bool *set_d)
{
    *set_a = *set_d = false;
    if (write ? !((v & RISCV_PTE_W) || sim_mutation == SIM_MUT_IGNORE_RDONLY) : !(v & RISCV_PTE_R))
        return false;
    if (!(v & RISCV_PTE_A)) {
        if (!mmu_caps.hw_af)
            return false;       /* Svade: A=0 faults */
        *set_a = true;
    }
    if (write && !(v & RISCV_PTE_D)) {
        if (!mmu_caps.hw_dirty)
            return false;       /* Svade: a store to D=0 faults */
        *set_d = true;
    }
    return true;
}

static struct tlb_entry *tlb_lookup(uint64_t va)
{
    for (unsigned i = 0; i < TLB_WAYS + TLB_SP; i++) {
        struct tlb_entry *t = i < TLB_WAYS ? &tlb_set(va)[i] : &tlb_sp()[i - TLB_WAYS];
        if (t->valid && (t->global || t->asid == cur_asid) && va >= t->va && va - t->va < t->size)
            return t;
    }
    return NULL;
}

static void tlb_fill(uint64_t va, const struct walk *w)
{
    /* A Svnapot leaf is cached per 4 KiB page (worst case for fences); a
     * superpage as one entry (any fence inside it removes it). */
    uint64_t sz = (!w->leaf || (w->pte & RISCV_PTE_N)) ? PAGE_SIZE : pt_level_size(w->level);
    struct tlb_entry *f = NULL;
    if (sz == PAGE_SIZE) {
        struct tlb_entry *set = tlb_set(va);
        for (unsigned i = 0; i < TLB_WAYS && !f; i++)
            if (!set[i].valid)
                f = &set[i];
        if (!f) {
            uint8_t *next = &tlb_set_next[(va >> 12) % TLB_SETS];
            f = &set[(*next)++ % TLB_WAYS];
            rstats.evictions++;
        }
    } else {
        f = &tlb_sp()[tlb_sp_next++ % TLB_SP];
    }
    *f = (struct tlb_entry){
        .valid = true, .neg = !w->leaf, .global = w->global, .asid = cur_asid, .level = w->level,
        .va = ALIGN_DOWN(va, sz), .size = sz, .pte = w->pte, .root = cur_root,
    };
    if (w->leaf)
        f->pa = w->pa - (va - f->va);
    if (f->neg)
        rstats.neg_fills++;
    else
        sim_stats.tlb_fills++;
}

/* Does the page table (now) allow what a TLB hit allowed? NULL if so. */
static const char *stale_hit(const struct tlb_entry *t, uint64_t va, bool write, uint64_t pa)
{
    struct walk w;
    if (!ref_walk(cur_root, va, &w))
        return "the entry is invalid now";
    if (w.pa != pa)
        return "the entry maps another page now";
    if (!write && !(w.pte & RISCV_PTE_R))
        return "the entry is not readable now";
    if (write && !(w.pte & RISCV_PTE_W))
        return "the entry is read-only now";
    /* The cached D=1 lets the store through without the D update: the page
     * would stay clean. In a Svnapot block D may differ per entry (the
     * walker updates the one it read): only W must be there. */
    if (write && !(w.pte & RISCV_PTE_D) && !(t->pte & RISCV_PTE_N))
        return "the entry is clean now";
    return NULL;
}

/* A fault from a cached entry that the table no longer backs (a spurious
 * fault: the mm's handler fences it away). From an entry of this very
 * address space it means the mm relaxed the entry (made it valid, readable,
 * writable, young or dirty) without the local sfence.vma it owes: on a hart
 * that keeps the entry, the access would fault again and again. A global
 * invalid entry cached from another address space (a protnone entry has G)
 * is not the mm's fault there: only counted. */
static void spurious_check(const struct tlb_entry *t, uint64_t va, bool write)
{
    struct walk w;
    bool set_a, set_d;
    if (!ref_walk(cur_root, va, &w) || !leaf_allows(w.pte, write, &set_a, &set_d))
        return;
    if (t->asid != cur_asid || t->root != cur_root) {
        rstats.spurious_foreign++;
        return;
    }
    host_fail("sim mmu: %s of va 0x%llx faulted on a cached %s entry 0x%llx, the table allows it (pte 0x%llx): "
              "no sfence.vma after the change", write ? "write" : "read", (unsigned long long)va,
              t->neg ? "invalid" : "leaf", (unsigned long long)t->pte, (unsigned long long)w.pte);
}

/* One translation: 0 and *pa, or the page fault in *fi. */
static int translate(uint64_t va, enum access_type acc, uint64_t *pa, struct fault_info *fi)
{
    bool write = acc == ACCESS_WRITE;
    memset(fi, 0, sizeof(*fi));
    fi->addr = va;
    fi->access = acc;
    fi->kind = FAULT_PAGE;      /* as arch/riscv64/exception.c: scause, no level */
    fi->level = -1;
    fi->syndrome = write ? SCAUSE_STORE_PAGE_FAULT : SCAUSE_LOAD_PAGE_FAULT;
    bool set_a, set_d;
    struct tlb_entry *t = tlb_lookup(va);
    if (t) {
        sim_stats.tlb_hits++;
        rstats.neg_hits += t->neg;
        if (t->neg || !leaf_allows(t->pte, write, &set_a, &set_d)) {
            /* The cached entry forbids it: a fault without a walk, even if
             * the table allows the access by now. */
            sim_stats.tlb_faults++;
            spurious_check(t, va, write);
            return -1;
        }
        if (set_a || set_d) {
            /* Svadu: the update is done on the entry in memory (checked
             * there to be valid and to allow the access): walk again. */
            t->valid = false;
            t = NULL;
        }
    }
    if (t) {
        *pa = t->pa + (va - t->va);
        if (!t->global && t->root != cur_root)
            host_fail("sim mmu: TLB entry asid %u va 0x%llx pte 0x%llx of another root used: ASID reused "
                      "without a flush", t->asid, (unsigned long long)t->va, (unsigned long long)t->pte);
        const char *why = stale_hit(t, va, write, *pa);
        if (why)
            host_fail("sim mmu: stale TLB entry (asid %u va 0x%llx pte 0x%llx%s) allowed a %s: %s (pte 0x%llx)",
                      t->asid, (unsigned long long)t->va, (unsigned long long)t->pte,
                      t->doomed ? ", sinval'd, no sfence.inval.ir" : "", access_type_name(acc), why,
                      (unsigned long long)mm_get_pte(mm_current(), va));
        return 0;
    }
    struct walk w;
    if (!hw_walk(va, &w)) {
        tlb_fill(va, &w);       /* negative caching */
        return -1;
    }
    if (!leaf_allows(w.pte, write, &set_a, &set_d)) {
        tlb_fill(va, &w);       /* the entry that faulted stays cached */
        return -1;
    }
    if (set_a || set_d) {
        pte_t n = w.pte | RISCV_PTE_A | (set_d ? RISCV_PTE_D : 0);
        pte_t expected = w.pte;
        if (!__atomic_compare_exchange_n(w.ptep, &expected, n, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            host_fail("sim mmu: the entry of va 0x%llx changed during the walk", (unsigned long long)va);
            return -1;
        }
        sim_stats.hw_af_sets += set_a;
        sim_stats.hw_dirty_sets += set_d;
        w.pte = n;
    }
    tlb_fill(va, &w);
    *pa = w.pa;
    return 0;
}

/* ---- speculative walks (between operations) ---- */

static bool wc_has(uint64_t va, int level)
{
    for (unsigned i = 0; i < WC_ENTRIES; i++) {
        const struct wc_entry *c = &wc[i];
        if (c->valid && (c->global || c->asid == cur_asid) && c->level == level && c->va == va)
            return true;
    }
    return false;
}

/* The hart may walk any VA at any time and cache what it finds (the
 * worst case for a missing fence: every translation is in the TLB when the
 * next operation starts). Every valid non-leaf entry of the current address
 * space over the managed window goes to the walk cache and every valid leaf
 * that allows a read with no A/D update (A is never set speculatively
 * here, so the mm's view of aging is unchanged) to the TLB, unless cached
 * already. Invalid entries are not prefetched. */
static void prefetch_table(uint64_t table, int level, uint64_t base, bool global)
{
    uint64_t size = pt_level_size(level);
    for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
        uint64_t va = base + i * size;
        if (va + size <= MM_VA_BASE || va >= MM_VA_END)
            continue;
        pte_t v = __atomic_load_n(&pt_table(table)[i], __ATOMIC_RELAXED);
        if (!(v & RISCV_PTE_V))
            continue;
        bool g = global || (v & RISCV_PTE_G);
        if (!(v & RISCV_PTE_LEAF)) {
            uint64_t next = pte_table_pa(v);
            if (level == LEAF_LEVEL || !pa_allocated(next))
                continue;       /* a demand walk reports these */
            if (!wc_has(va, level))
                wc_fill(va, level, next, g);
            prefetch_table(next, level + 1, va, g);
            continue;
        }
        bool set_a, set_d;
        struct walk w = { .ptep = &pt_table(table)[i], .pte = v, .level = level, .global = g, .leaf = true };
        const char *why;
        if (!leaf_decode(v, level, va, &w.pa, &why) || !leaf_allows(v, false, &set_a, &set_d) || set_a ||
            tlb_lookup(va))
            continue;
        tlb_fill(va, &w);
        rstats.spec_fills++;
    }
}

static void prefetch(void)
{
    if (!pa_allocated(cur_root))
        return;
    prefetch_table(cur_root, pt_root_level(), 0, false);
}

/* ---- the audit (between operations) ---- */

static void audit_tlb_entry(const struct tlb_entry *t)
{
    unsigned cached = pte_hw_perms(t->pte, mmu_caps.hw_af, mmu_caps.hw_dirty);
    if (!cached)
        return;                 /* faults on every access (A=0 with Svade) */
    uint64_t step = t->size > (2ULL << 20) ? (2ULL << 20) : PAGE_SIZE;    /* 1 GiB: sample */
    for (uint64_t va = t->va; va < t->va + t->size; va += step) {
        struct walk w;
        const char *why = NULL;
        bool ok = ref_walk(t->root, va, &w);
        /* A only matters for aging (clearing it needs no fence). */
        unsigned now = ok ? pte_hw_perms(w.pte | RISCV_PTE_A, mmu_caps.hw_af, mmu_caps.hw_dirty) : 0;
        char buf[96];
        if (!ok)
            why = "the entry is invalid now";
        else if (w.pa != t->pa + (va - t->va))
            why = "the entry maps another page now";
        else if (cached & ~now) {
            unsigned more = cached & ~now;
            snprintf(buf, sizeof(buf), "it grants more:%s%s%s%s%s", more & HWP_READ ? " read" : "",
                     more & HWP_WRITE ? " write" : "", more & HWP_USER ? " user" : "",
                     more & HWP_UEXEC ? " user-exec" : "", more & HWP_KEXEC ? " kernel-exec" : "");
            why = buf;
        } else if ((cached & HWP_WRITE) && (t->pte & RISCV_PTE_D) && !(w.pte & RISCV_PTE_D) &&
                   !(t->pte & RISCV_PTE_N))
            why = "clean now, dirty in the TLB";
        if (why) {
            host_fail("sim mmu: after the op the TLB holds asid %u va 0x%llx pte 0x%llx%s%s: %s (pte 0x%llx)",
                      t->asid, (unsigned long long)va, (unsigned long long)t->pte,
                      (t->pte & RISCV_PTE_N) ? " (napot)" : "", t->doomed ? " (sinval'd, no sfence.inval.ir)" : "",
                      why, (unsigned long long)w.pte);
            return;
        }
    }
}

void sim_tlb_audit(void)
{
    sim_stats.audits++;
    unsigned failures = host_failures;
    for (unsigned i = 0; i < TLB_ENTRIES && host_failures == failures; i++) {
        const struct tlb_entry *t = &tlb[i];
        if (!t->valid || t->neg)
            continue;
        if (!pa_allocated(t->root)) {
            host_fail("sim mmu: TLB entry asid %u va 0x%llx outlived its address space (root 0x%llx freed)",
                      t->asid, (unsigned long long)t->va, (unsigned long long)t->root);
            return;
        }
        audit_tlb_entry(t);
    }
    for (unsigned i = 0; i < WC_ENTRIES && host_failures == failures; i++) {
        const struct wc_entry *c = &wc[i];
        if (!c->valid)
            continue;
        if (!pa_allocated(c->root)) {
            host_fail("sim mmu: walk-cache entry asid %u va 0x%llx level %d outlived its address space "
                      "(root freed)", c->asid, (unsigned long long)c->va, c->level);
            return;
        }
        uint64_t now = ref_table_at(c->root, c->va, c->level + 1);
        if (now != c->table) {
            host_fail("sim mmu: after the op the walk cache holds asid %u va 0x%llx level %d -> table 0x%llx%s, "
                      "the tables now 0x%llx (no sfence.vma x0)", c->asid, (unsigned long long)c->va, c->level,
                      (unsigned long long)c->table, pa_allocated(c->table) ? "" : " (freed)", (unsigned long long)now);
            return;
        }
    }
    if (host_failures == failures)
        prefetch();
}

/* ---- faults: boot/fault.c does the dispatch, as in the kernel ---- */
static bool last_fault_handled;

void trap_unexpected(const char *what, void *frame)
{
    (void)frame;
    fprintf(stderr, "UNEXPECTED EXCEPTION: %s\n", what);
    abort();
}

/* As boot/trap.c, for a probe access: the result is last_fault_handled. */
void trap_fault(const struct fault_info *fi, void *frame)
{
    sim_stats.faults++;
    last_fault_handled = fault_dispatch(fi, frame) == FAULT_HANDLED;
}

/* More faults than this on one access: the handler "resolves" a fault
 * that comes straight back (would hang the real machine). */
#define MAX_FAULTS_PER_ACCESS 6

static int sim_access(uint64_t va, enum access_type acc, uint64_t *val)
{
    sim_stats.accesses++;
    if (va & 7) {
        host_fail("sim mmu: misaligned probe at 0x%llx", (unsigned long long)va);
        return -1;
    }
    for (unsigned n = 0;; n++) {
        uint64_t pa;
        struct fault_info fi;
        if (translate(va, acc, &pa, &fi) == 0) {
            if (n > sim_stats.retries_max)
                sim_stats.retries_max = n;
            if (!pa_allocated(pa)) {
                host_fail("sim mmu: %s of va 0x%llx reaches pa 0x%llx, not an allocated page",
                          access_type_name(acc), (unsigned long long)va, (unsigned long long)pa);
                return -1;
            }
            if (acc == ACCESS_WRITE)
                *(volatile uint64_t *)(uintptr_t)pa = *val;
            else
                *val = *(volatile uint64_t *)(uintptr_t)pa;
            return 0;
        }
        if (n == MAX_FAULTS_PER_ACCESS) {
            host_fail("sim mmu: %s of va 0x%llx faulted %u times (last: page fault, pte 0x%llx): fault forever",
                      access_type_name(acc), (unsigned long long)va, n + 1,
                      (unsigned long long)mm_get_pte(mm_current(), va));
            return -1;
        }
        trap_fault(&fi, NULL);
        if (!last_fault_handled)
            return -1;
    }
}

int probe_read64(const volatile void *addr, uint64_t *val)
{
    uint64_t v = 0;
    int r = sim_access((uint64_t)(uintptr_t)addr, ACCESS_READ, &v);
    if (r == 0)
        *val = v;
    return r;
}

int probe_write64(volatile void *addr, uint64_t val)
{
    return sim_access((uint64_t)(uintptr_t)addr, ACCESS_WRITE, &val);
}

int probe_exec(const void *addr)
{
    (void)addr;
    host_fail("sim mmu: probe_exec is not simulated");
    return -1;
}

/* ---- set-up ---- */
#define ARENA0_SIZE (64ULL << 20)
#define ARENA1_SIZE (32ULL << 20)
#define ARENA_ALIGN (4ULL << 20)        /* the largest buddy block */

static void palloc_panic(const char *msg) { panic("page allocator: %s", msg); }

static void print_stats(void)
{
    printf("# sim riscv: %llu negative fills, %llu negative hits, %llu spurious faults from global invalid entries "
           "of other address spaces, "
           "%llu walk-cache fills, %llu walks from the walk cache, %llu sfence.vma/sinval.vma va, "
           "%llu rs1=x0, %llu entries sinval.vma'd, %llu dropped at sfence.inval.ir, %llu speculative fills, %llu evictions (TLB and walk cache), %llu sinval.vma not ordered after the "
           "PTE stores\n",
           (unsigned long long)rstats.neg_fills, (unsigned long long)rstats.neg_hits,
           (unsigned long long)rstats.spurious_foreign, (unsigned long long)rstats.wc_fills,
           (unsigned long long)rstats.wc_starts, (unsigned long long)rstats.fence_va,
           (unsigned long long)rstats.fence_all, (unsigned long long)rstats.sinval_marked,
           (unsigned long long)rstats.sinval_dropped, (unsigned long long)rstats.spec_fills, (unsigned long long)rstats.evictions,
           (unsigned long long)rstats.sinval_unordered);
}

void sim_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    void *a0 = aligned_alloc(ARENA_ALIGN, ARENA0_SIZE), *a1 = aligned_alloc(ARENA_ALIGN, ARENA1_SIZE);
    if (!a0 || !a1)
        panic("no memory for the arenas");
    /* PPN is 44 bits: physical addresses below 2^56. */
    if ((uintptr_t)a0 + ARENA0_SIZE > (1ULL << 56) || (uintptr_t)a1 + ARENA1_SIZE > (1ULL << 56))
        panic("arena above 2^56");
    palloc_panic_hook = palloc_panic;
    if (palloc_add_range((uintptr_t)a0, ARENA0_SIZE, 0) < 0 || palloc_add_range((uintptr_t)a1, ARENA1_SIZE, 1) < 0 ||
        palloc_init() < 0)
        panic("page allocator set-up failed");

    mmu_caps = (struct mmu_caps){
        .va_bits = 48, .levels = 4, .asid_bits = 16, .tlbi_range = false, .cont = true, .svinval = false,
        .svpbmt = false, .bbm_level = 0, .caches_invalid = true, .broadcast_tlbi = false,
        .tlbi_va_nonleaf = false,
    };
    arch_set_hw_ad_probed(true);
    tlb_params_default();

    /* The kernel's table: an Sv48 root whose entry 0 holds the level-1
     * table every address space copies its entries below the managed
     * window from (empty here: the host kernel is not mapped); in Sv39 that
     * level-1 table is the root. */
    kernel_pgtable.asid = 0;
    kroot_sv48 = pt_alloc_table();
    kroot_sv39 = pt_alloc_table();
    if (!kroot_sv48 || !kroot_sv39)
        panic("no memory for the kernel table");
    pt_table(kroot_sv48)[0] = pte_mktable(kroot_sv39);
    kernel_pgtable.root = kroot_sv48;
    arch_mmu_enable(kernel_pgtable.root);
    mm_init();
    atexit(print_stats);
}
