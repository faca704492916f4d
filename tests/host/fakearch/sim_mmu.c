/*
 * A simulated arm64 stage-1 MMU for the host run of the mm core.
 *
 * Memory: the page allocator manages host arenas (aligned_alloc), and as in
 * the kernel's identity map a physical address is the pointer. Address
 * spaces' VAs ([MM_VA_BASE, MM_VA_END)) are never dereferenced on the host:
 * mm_read/mm_write reach probe_read64/probe_write64, which translate here.
 *
 * The walker reads the current root (arch_switch_root) like hardware: 4
 * levels, 4 KiB granule, asm/pte.h decoding. Per arm64:
 *   - an invalid entry (none, swap, marker, protnone) at any level, a
 *     block at level 0 or a block encoding at level 3: translation fault;
 *   - AF clear: hardware sets it with TCR.HA (hw_af), else access-flag fault;
 *   - a write to AP[2]=1 (RDONLY): with DBM and TCR.HD (hw_dirty) hardware
 *     clears RDONLY, else permission fault. EL1 data accesses to USER pages
 *     are allowed (PAN off). Access flag is checked before permission.
 * The TLB: TLB_ENTRIES ASID-tagged entries filled by successful walks
 * (round-robin replacement), never for faulting walks. A CONT entry is
 * cached as one 64 KiB entry (the attributes of the entry walked), as
 * hardware may. A TLB hit is used as is, like hardware, so a missing
 * invalidate is observable; in addition every hit is compared with the
 * page table and a hit that allows what the table no longer allows (invalid
 * now, another output address, a write to a now read-only/clean entry) is
 * reported right away. A write hitting a read-only cached entry: with
 * DBM in the entry and TCR.HD, a walk (the dirty update is done in memory);
 * otherwise a permission fault from the TLB alone, even if the table allows
 * the write by now. An entry that caused a permission fault stays cached
 * (the architecture allows it): the mm must invalidate the stale read-only
 * entry when it grants write, or the access faults forever.
 * Not simulated: walk caches (freed tables reached through stale table
 * entries), speculative walks and TLB fills, other CPUs, exec accesses,
 * memory attributes, FEAT_BBM conflicts (the rule checker covers BBM).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "boot/kernel.h"
#include "boot/trap.h"
#include "mmu/page_alloc.h"
#include "mmu/pgtable.h"
#include "mmu/mm.h"
#include "tests/host/fakearch/sim.h"

struct mmu_caps mmu_caps;
enum sim_mutation sim_mutation;
struct sim_stats sim_stats;

/* ---- the current translation ---- */
static uint64_t cur_root;
static uint16_t cur_asid;

unsigned arch_switch_root(uint64_t root_pa, uint16_t asid)
{
    cur_root = root_pa;
    cur_asid = asid;
    return HWB_STORE_ORDER | HWB_ISB;
}
uint64_t arch_current_root(void) { return cur_root; }
void arch_mmu_probe(void) {}
void arch_mmu_enable(uint64_t root_pa) { arch_switch_root(root_pa, 0); }
void arch_mmu_describe(void)
{
    printf("# sim mmu: %d-bit VA, hw AF %s, hw dirty %s, range TLBI %s\n", mmu_caps.va_bits,
           mmu_caps.hw_af ? "on" : "off", mmu_caps.hw_dirty ? "on" : "off",
           mmu_caps.tlbi_range ? "yes" : "no");
}
void icache_sync(uint64_t va, uint64_t len) { (void)va, (void)len; }

/* ---- the TLB ---- */
#define TLB_ENTRIES 256
struct tlb_entry {
    bool valid;
    uint16_t asid;
    uint64_t va, size;          /* [va, va+size): 4 KiB or a 64 KiB CONT block */
    uint64_t pa;                /* output address of va */
    pte_t pte;                  /* the descriptor as walked */
    uint64_t root;              /* the table it was walked from */
};
static struct tlb_entry tlb[TLB_ENTRIES];
static unsigned tlb_next;

/* What an invalidate removes from the simulated TLB, decoded from the
 * operand (asm/tlb_decode.h): its VA range, of its ASID or of all. Entries
 * of the managed window are non-global; one PE, so local = broadcast. */
void sim_tlb_apply(const struct tlbi_rec *r)
{
    struct tlbi_effect e;
    tlbi_decode(r, &e);
    if (sim_mutation == SIM_MUT_TLBI_NOOP || e.none)
        return;
    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        struct tlb_entry *t = &tlb[i];
        if (t->valid && (e.any_asid || t->asid == e.asid) && t->va < e.end && e.start < t->va + t->size)
            t->valid = false;
    }
}

bool arch_set_hw_ad(bool on)
{
    mmu_caps.hw_af = on && mmu_caps.hw_af_avail;
    mmu_caps.hw_dirty = on && mmu_caps.hw_dirty_avail;
    memset(tlb, 0, sizeof(tlb));        /* TCR.HA/HD may be cached in TLB entries */
    return true;
}

void sim_set_hw_ad(bool on) { arch_set_hw_ad(on); }

static struct tlb_entry *tlb_lookup(uint64_t va)
{
    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        struct tlb_entry *t = &tlb[i];
        if (t->valid && t->asid == cur_asid && va >= t->va && va < t->va + t->size)
            return t;
    }
    return NULL;
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
    pte_t pte;
    int level;
    uint64_t pa;                /* output address of the accessed byte */
};

/* Descriptor walk from root. false: translation fault at w->level. */
static bool walk_from(uint64_t root, uint64_t va, struct walk *w)
{
    uint64_t table = root;
    sim_stats.walks++;
    for (int l = pt_root_level(); l <= 3; l++) {
        if (!pa_allocated(table)) {
            host_fail("sim mmu: walk of va 0x%llx reads level-%d table 0x%llx, not an allocated page",
                      (unsigned long long)va, l, (unsigned long long)table);
            w->level = l;
            return false;
        }
        pte_t *e = &pt_table(table)[pt_index(va, l)];
        pte_t v = *(volatile pte_t *)e;
        w->ptep = e;
        w->pte = v;
        w->level = l;
        if (!pte_valid(v))
            return false;
        if (l < 3 && pte_is_table(v, l)) {
            table = pte_table_pa(v);
            continue;
        }
        if (l == 3 ? (v & ARM64_PTE_TYPE_MASK) != ARM64_PTE_TYPE_PAGE : !pte_is_block(v, l))
            return false;       /* reserved encoding */
        uint64_t sz = pt_level_size(l);
        w->pa = (v & ARM64_PTE_ADDR_MASK & ~(sz - 1)) + (va & (sz - 1));
        return true;
    }
    return false;
}

static bool walk(uint64_t va, struct walk *w) { return walk_from(cur_root, va, w); }

/* The permission outcome of a descriptor for an access (no side effects). */
static enum fault_kind desc_check(pte_t v, bool write, bool *needs_af, bool *needs_dirty)
{
    *needs_af = *needs_dirty = false;
    if (!(v & ARM64_PTE_AF)) {
        if (!mmu_caps.hw_af)
            return FAULT_ACCESS_FLAG;
        *needs_af = true;
    }
    if (write && (v & ARM64_PTE_RDONLY) && sim_mutation != SIM_MUT_IGNORE_RDONLY) {
        if (!(mmu_caps.hw_dirty && (v & ARM64_PTE_WRITE)))
            return FAULT_PERMISSION;
        *needs_dirty = true;
    }
    return FAULT_OTHER;         /* no fault */
}

/* Does the page table (now) allow what a TLB hit allowed? NULL if so. */
static const char *stale_hit(const struct tlb_entry *t, uint64_t va, bool write, uint64_t pa)
{
    struct walk w;
    if (!walk_from(t->root, va, &w))
        return "the entry is invalid now";
    if (w.pa != pa)
        return "the entry maps another page now";
    bool cont = t->size > PAGE_SIZE;
    /* Inside a CONT block dirty state may differ per entry (hardware
     * updates one): only the write permission (DBM) must still be there. */
    if (write && (w.pte & ARM64_PTE_RDONLY) && (cont ? !(w.pte & ARM64_PTE_WRITE) : true))
        return cont ? "the entry is read-only now" : "the entry is read-only or clean now";
    return NULL;
}

/* One translation: 0 and *pa, or the fault. */
static int translate(uint64_t va, enum access_type acc, uint64_t *pa, struct fault_info *fi)
{
    bool write = acc == ACCESS_WRITE;
    memset(fi, 0, sizeof(*fi));
    fi->addr = va;
    fi->access = acc;
    fi->level = -1;
    struct tlb_entry *t = tlb_lookup(va);
    if (t && write && (t->pte & ARM64_PTE_RDONLY) && sim_mutation != SIM_MUT_IGNORE_RDONLY) {
        if (mmu_caps.hw_dirty && (t->pte & ARM64_PTE_WRITE)) {
            /* The hardware dirty update is done on the descriptor in memory. */
            t->valid = false;
            t = NULL;
        } else {
            /* The cached entry forbids the write: a permission fault without
             * a walk, even if the table allows it by now (spurious fault). */
            sim_stats.tlb_hits++;
            sim_stats.tlb_faults++;
            fi->kind = FAULT_PERMISSION;
            fi->level = 3;
            return -1;
        }
    }
    if (t) {
        sim_stats.tlb_hits++;
        *pa = t->pa + (va - t->va);
        const char *why = stale_hit(t, va, write, *pa);
        if (why)
            host_fail("sim mmu: stale TLB entry (asid %u va 0x%llx pte 0x%llx) allowed a %s: %s (pte 0x%llx)",
                      t->asid, (unsigned long long)t->va, (unsigned long long)t->pte,
                      access_type_name(acc), why, (unsigned long long)mm_get_pte(mm_current(), va));
        return 0;
    }
    struct walk w;
    if (!walk(va, &w)) {
        fi->kind = FAULT_TRANSLATION;
        fi->level = w.level;
        return -1;
    }
    bool needs_af, needs_dirty;
    enum fault_kind k = desc_check(w.pte, write, &needs_af, &needs_dirty);
    if (k != FAULT_OTHER) {
        fi->kind = k;
        fi->level = w.level;
        return -1;
    }
    /* Hardware updates: atomic read-modify-write of the descriptor. */
    if (needs_af || needs_dirty) {
        pte_t n = w.pte;
        if (needs_af) {
            n |= ARM64_PTE_AF;
            sim_stats.hw_af_sets++;
        }
        if (needs_dirty) {
            n &= ~ARM64_PTE_RDONLY;
            sim_stats.hw_dirty_sets++;
        }
        *(volatile pte_t *)w.ptep = n;
        w.pte = n;
    }
    /* Fill the TLB. */
    struct tlb_entry *f = &tlb[tlb_next++ % TLB_ENTRIES];
    /* Worst case for invalidation: a CONT member is cached as its own
     * 4 KiB entry (the hint allows either), so an invalidate of one page
     * of a block leaves the other 15 pages' entries in place. */
    uint64_t sz = pt_level_size(w.level);
    f->valid = true;
    f->asid = cur_asid;
    f->va = ALIGN_DOWN(va, sz);
    f->size = sz;
    f->pa = w.pa - (va - f->va);
    f->pte = w.pte;
    f->root = cur_root;
    sim_stats.tlb_fills++;
    *pa = w.pa;
    return 0;
}

/* Between operations every TLB entry must be one the page tables still
 * allow (R3 of the rule checker, here against what a TLB really holds):
 * each page it covers still mapped to the same page, and still writable
 * (and dirty, outside CONT blocks) if the entry allows writes. */
void sim_tlb_audit(void)
{
    sim_stats.audits++;
    for (unsigned i = 0; i < TLB_ENTRIES; i++) {
        struct tlb_entry *t = &tlb[i];
        if (!t->valid)
            continue;
        if (!pa_allocated(t->root)) {
            host_fail("sim mmu: TLB entry asid %u va 0x%llx outlived its address space (root 0x%llx freed)",
                      t->asid, (unsigned long long)t->va, (unsigned long long)t->root);
            return;
        }
        bool write = !(t->pte & ARM64_PTE_RDONLY);
        for (uint64_t va = t->va; va < t->va + t->size; va += PAGE_SIZE) {
            const char *why = stale_hit(t, va, write, t->pa + (va - t->va));
            if (why) {
                struct walk w;
                walk_from(t->root, va, &w);
                host_fail("sim mmu: after the operation the TLB still holds asid %u va 0x%llx (pte 0x%llx%s), "
                          "page 0x%llx: %s (pte 0x%llx)", t->asid, (unsigned long long)t->va,
                          (unsigned long long)t->pte, t->size > PAGE_SIZE ? ", 64 KiB block" : "",
                          (unsigned long long)va, why,
                          (unsigned long long)w.pte);
                return;
            }
        }
    }
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
            host_fail("sim mmu: %s of va 0x%llx faulted %u times (last: %s at level %d, pte 0x%llx): fault forever",
                      access_type_name(acc), (unsigned long long)va, n + 1, fault_kind_name(fi.kind), fi.level,
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

void sim_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    void *a0 = aligned_alloc(ARENA_ALIGN, ARENA0_SIZE), *a1 = aligned_alloc(ARENA_ALIGN, ARENA1_SIZE);
    if (!a0 || !a1)
        panic("no memory for the arenas");
    /* Output addresses are 48-bit (ARM64_PTE_ADDR_MASK). */
    if ((uintptr_t)a0 + ARENA0_SIZE > (1ULL << 48) || (uintptr_t)a1 + ARENA1_SIZE > (1ULL << 48))
        panic("arena above 2^48");
    palloc_panic_hook = palloc_panic;
    if (palloc_add_range((uintptr_t)a0, ARENA0_SIZE, 0) < 0 || palloc_add_range((uintptr_t)a1, ARENA1_SIZE, 1) < 0 ||
        palloc_init() < 0)
        panic("page allocator set-up failed");

    mmu_caps = (struct mmu_caps){
        .va_bits = 48, .levels = 4, .asid_bits = 16, .hw_af_avail = true, .hw_dirty_avail = true,
        .tlbi_range = true, .cont = true, .svinval = false, .bbm_level = 0, .caches_invalid = false,
        .broadcast_tlbi = true, .tlbi_va_nonleaf = true,
    };
    arch_set_hw_ad(true);
    tlb_params_default();

    /* The kernel's table: a root and the level-1 table every address
     * space copies its entries below the managed window from (empty here:
     * the host kernel is not mapped). */
    kernel_pgtable.asid = 0;
    kernel_pgtable.root = pt_alloc_table();
    uint64_t l1 = pt_alloc_table();
    if (!kernel_pgtable.root || !l1)
        panic("no memory for the kernel table");
    pt_table(kernel_pgtable.root)[0] = pte_mktable(l1);
    arch_mmu_enable(kernel_pgtable.root);
    mm_init();
}
