/* Address spaces and VMAs: create, map, unmap, access, lookups (see mm.h). */
#include "mmu/mm_internal.h"
#include "boot/trap.h"
#include "mmu/contpte.h"
#include "mmu/asid.h"

#define MAX_VMAS 1024

struct mm_params mm_params = { .anon_order = 0, .numa_wp = NUMA_WP_CAN_CHANGE, .batch_mprotect = true };
struct mm_fault_stats mm_fault_stats;
const char *const numa_wp_names[NUMA_WP_COUNT] = {
    [NUMA_WP_NONE] = "none", [NUMA_WP_SAVEDWRITE] = "savedwrite", [NUMA_WP_CAN_CHANGE] = "can_change",
};

static struct mm mm_pool[MAX_MMS];
static bool mm_used[MAX_MMS];
static struct vma vma_pool[MAX_VMAS];
static struct vma *vma_free_list;
static struct mm *current_mm;

/* ---- locks ---- */
void mm_lock(struct mm *mm, const char *who)
{
    unsigned me = mm_cpu_id() + 1;
    /* Held by this CPU: re-entry (a fault while the lock is held), which
     * would spin forever: report it instead. */
    if (mm->ptl.cpu == me)
        panic("page-table lock of mm %d taken by %s while this CPU holds it for %s", mm->id, who,
              mm->ptl.owner);
    spin_lock(&mm->ptl.lock);
    mm->ptl.cpu = me;
    mm->ptl.owner = who;
    rule_check_lock_taken();
}

void mm_unlock(struct mm *mm)
{
    if (mm->ptl.cpu != mm_cpu_id() + 1)
        panic("unlock of a page-table lock this CPU does not hold (mm %d)", mm->id);
    rule_check_lock_dropped();
    mm->ptl.owner = NULL;
    mm->ptl.cpu = 0;
    spin_unlock(&mm->ptl.lock);
}

/* ---- VMA rules ---- */
bool vma_wants_writenotify(const struct vma *v)
{
    if ((v->flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE))
        return false;
    return (v->flags & VM_WRITENOTIFY_FS) || vma_soft_dirty_enabled(v) || (v->flags & VM_UFFD_WP);
}

bool vma_wants_manual_pte_write_upgrade(const struct vma *v)
{
    if (v->flags & VM_SHARED)
        return vma_wants_writenotify(v);
    return v->flags & VM_WRITE;
}

unsigned vma_hw_prot(const struct vma *v)
{
    unsigned p = 0;
    /* As Linux's protection_map: write-only (and exec-only) mappings are
     * readable in hardware; a PROT_NONE result here would read as protnone. */
    if (v->flags & (VM_READ | VM_WRITE | VM_EXEC))
        p |= PROT_READ;
    if (v->flags & VM_EXEC)
        p |= PROT_EXEC;
    if ((v->flags & VM_WRITE) && (v->flags & VM_SHARED) && !vma_wants_writenotify(v))
        p |= PROT_WRITE;
    return p;
}

pgprot_t vma_page_prot(const struct vma *v) { return pgprot_from_prot(vma_hw_prot(v), true); }

/* ---- pools ---- */
static unsigned vma_nfree;

static void vma_pool_init(void)
{
    static bool init;
    if (init)
        return;
    init = true;
    for (int i = MAX_VMAS - 1; i >= 0; i--) {
        vma_pool[i].next = vma_free_list;
        vma_free_list = &vma_pool[i];
    }
    vma_nfree = MAX_VMAS;
}

unsigned vma_available(void)
{
    vma_pool_init();
    return vma_nfree;
}

struct vma *vma_alloc(void)
{
    vma_pool_init();
    struct vma *v = vma_free_list;
    if (v) {
        vma_free_list = v->next;
        vma_nfree--;
        memset(v, 0, sizeof(*v));
    }
    return v;
}

void vma_free(struct vma *v)
{
    v->next = vma_free_list;
    vma_free_list = v;
    vma_nfree++;
}

/* VMAs an operation on [start, end) needs for its splits: one where start
 * falls strictly inside a VMA, one where end does. Checked before anything
 * changes, so running out is a clean error (MM_ENOMEM), never a half-done
 * operation. */
int vma_reserve_splits(struct mm *mm, uint64_t start, uint64_t end)
{
    unsigned n = 0;
    for (struct vma *v = mm->vmas; v; v = v->next) {
        n += v->start < start && start < v->end;
        n += v->start < end && end < v->end;
    }
    return n > vma_available() ? MM_ENOMEM : 0;
}

static struct shared_obj obj_pool[64];

static struct shared_obj *shared_obj_create(uint64_t npages)
{
    for (unsigned i = 0; i < ARRAY_SIZE(obj_pool); i++) {
        struct shared_obj *o = &obj_pool[i];
        if (o->refs)
            continue;
        uint64_t bytes = npages * sizeof(struct page *);
        unsigned order = 0;
        while ((PAGE_SIZE << order) < bytes)
            order++;
        uint64_t pa = palloc_alloc(order, -1, PA_ZERO);
        if (!pa)
            return NULL;
        o->pages = (struct page **)(uintptr_t)pa;
        o->npages = npages;
        o->refs = 1;
        return o;
    }
    return NULL;
}

static void shared_obj_put(struct shared_obj *o)
{
    if (--o->refs > 0)
        return;
    for (uint64_t i = 0; i < o->npages; i++)
        if (o->pages[i])
            folio_put(page_head(o->pages[i]));
    uint64_t bytes = o->npages * sizeof(struct page *);
    unsigned order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    palloc_free((uintptr_t)o->pages, order);
    memset(o, 0, sizeof(*o));
}

struct vma *vma_split(struct mm *mm, struct vma *v, uint64_t addr)
{
    (void)mm;
    struct vma *n = vma_alloc();
    if (!n)     /* callers reserve first (vma_reserve_splits): a bug if reached */
        panic("out of VMAs in a split that was not reserved");
    *n = *v;
    n->start = addr;
    n->pgoff = v->pgoff + (addr - v->start) / PAGE_SIZE;
    v->end = addr;
    v->next = n;
    if (n->obj)
        n->obj->refs++;
    return n;
}

void vma_for_each_in_range(struct mm *mm, uint64_t start, uint64_t end,
                           void (*fn)(struct mm *mm, struct vma *v, void *arg), void *arg)
{
    for (struct vma *v = mm->vmas; v; v = v->next) {
        if (v->end <= start || v->start >= end)
            continue;
        if (v->start < start) {
            vma_split(mm, v, start);
            continue;           /* the upper part comes next */
        }
        if (v->end > end)
            vma_split(mm, v, end);
        fn(mm, v, arg);
    }
}

/* ---- address spaces ---- */
static enum fault_result fault_entry(const struct fault_info *fi) { return mm_handle_fault(fi); }

void mm_init(void)
{
    zero_page = folio_alloc(0, -1, true);
    if (!zero_page)
        panic("no memory for the zero page");
    zero_page->flags |= PG_ZERO;
    zero_page->refcount = 1;            /* never freed */
    trap_set_fault_handler(fault_entry);
    asid_init();
}

struct mm *mm_create(void)
{
    for (int i = 0; i < MAX_MMS; i++) {
        if (mm_used[i])
            continue;
        struct mm *mm = &mm_pool[i];
        memset(mm, 0, sizeof(*mm));
        mm->id = i + 1;
        /* ASID = id while ASIDs outnumber address spaces (a destroyed mm's
         * ASID is flushed before reuse by pgtable_destroy); else one is
         * handed out at activation (mmu/asid.c). */
        if (pgtable_create(&mm->pt, asid_initial(mm->id)) < 0)
            return NULL;
        mm_used[i] = true;
        rule_check_track(&mm->pt);
        return mm;
    }
    return NULL;
}

struct mm *mm_current(void) { return current_mm; }

void mm_activate(struct mm *mm)
{
    current_mm = mm;
    asid_prepare_switch(mm);
    pgtable_activate(mm ? &mm->pt : &kernel_pgtable);
    asid_after_switch(mm);
    /* The mm runs its operations and accesses on CPU 0: from now on its
     * TLB may hold this ASID's entries (mmu/tlb.h). */
    tlb_note_active(0, mm ? mm->pt.asid : 0);
}

struct vma *mm_find_vma(struct mm *mm, uint64_t addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (addr >= v->start && addr < v->end)
            return v;
    return NULL;
}

static bool range_ok(uint64_t start, uint64_t len)
{
    return len && IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(len, PAGE_SIZE) &&
           start >= MM_VA_BASE && start + len <= MM_VA_END && start + len > start;
}

int mm_map(struct mm *mm, uint64_t start, uint64_t len, unsigned vm_flags)
{
    if (!range_ok(start, len) || (vm_flags & ~(VM_PROT_MASK | VM_SHARED | VM_WRITENOTIFY_FS)))
        return MM_EINVAL;
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (start < v->end && v->start < start + len)
            return MM_EEXIST;
    struct vma *n = vma_alloc();
    if (!n)
        return MM_ENOMEM;
    n->start = start;
    n->end = start + len;
    n->flags = vm_flags | VM_SOFTDIRTY;     /* new mappings are soft-dirty (not tracked) */
    if (vm_flags & VM_SHARED) {
        n->obj = shared_obj_create(len / PAGE_SIZE);
        if (!n->obj) {
            vma_free(n);
            return MM_ENOMEM;
        }
    }
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < start)
        pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    return 0;
}

/* Remove the PTEs of [start, end) (inside one VMA), dropping page references. */
static void zap_range(struct mm *mm, uint64_t start, uint64_t end, struct tlb_gather *g)
{
    unfold_partial_blocks(mm, start, end);
    /* Clear each present entry atomically (the dirty state it had at the
     * instant it went is the one that counts), gather its flush, and
     * release its page only after that flush (tlb_gather_finish). */
    struct pte_iter it = pte_iter_start(&mm->pt, start, end);
    while (pte_iter_next(&it)) {
        uint64_t a = it.va;
        pte_t *e = it.ptep;
        pte_t cur = pte_read_once(e);
        if (pte_is_device_exclusive(cur)) {
            pte_store(e, 0);
            devx_drop(mm, a, cur, g);       /* the device loses the page too */
            continue;
        }
        if (!pte_present(cur))
            continue;       /* none, or a marker: unmap drops markers with the tables (pt_unmap) */
        pte_t v = pte_get_and_clear(e);
        if (pte_valid(v))
            tlb_gather_add(g, a, PAGE_SIZE);
        struct page *p = pfn_to_page(pte_napot_pfn(v, a));
        if (p)
            tlb_gather_remove_page(g, p);
    }
    pt_unmap(&mm->pt, start, end - start, g);
}

int mm_unmap(struct mm *mm, uint64_t start, uint64_t len)
{
    if (!range_ok(start, len))
        return MM_EINVAL;
    uint64_t end = start + len;
    if (vma_reserve_splits(mm, start, end) < 0)
        return MM_ENOMEM;
    mm_lock(mm, "unmap");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    struct vma **pp = &mm->vmas;
    while (*pp) {
        struct vma *v = *pp;
        if (v->end <= start || v->start >= end) {
            pp = &v->next;
            continue;
        }
        if (v->start < start) {
            vma_split(mm, v, start);
            pp = &v->next;
            continue;
        }
        if (v->end > end)
            vma_split(mm, v, end);
        zap_range(mm, v->start, v->end, &g);
        *pp = v->next;
        if (v->obj)
            shared_obj_put(v->obj);
        vma_free(v);
    }
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("unmap");
    return 0;
}

void mm_destroy(struct mm *mm)
{
    if (current_mm == mm)
        mm_activate(NULL);
    mm_unmap(mm, MM_VA_BASE, MM_VA_END - MM_VA_BASE);
    pgtable_destroy(&mm->pt);
    rule_check_untrack(&mm->pt);
    mm_used[mm->id - 1] = false;
}

/* The address space stays current after the access: a test's accesses run
 * in the mm under test with no root switch between them, so a stale TLB
 * entry is really used (QEMU drops its whole TLB on an ASID switch). */
static void access_prepare(struct mm *mm, uint64_t addr)
{
    if (current_mm != mm)
        mm_activate(mm);
    (void)addr;
    rule_check_op_end("kernel access");     /* the access relies on the TLB */
}

int mm_read(struct mm *mm, uint64_t addr, uint64_t *val)
{
    access_prepare(mm, addr);
    return probe_read64((void *)(uintptr_t)addr, val);
}

int mm_write(struct mm *mm, uint64_t addr, uint64_t val)
{
    access_prepare(mm, addr);
    return probe_write64((void *)(uintptr_t)addr, val);
}

pte_t *mm_pte_ptr(struct mm *mm, uint64_t addr, bool alloc)
{
    int level;
    pte_t *e = pt_walk(&mm->pt, addr, LEAF_LEVEL, alloc, &level);
    return e && level == LEAF_LEVEL ? e : NULL;
}

pte_t mm_get_pte(struct mm *mm, uint64_t addr)
{
    pte_t *e = mm_pte_ptr(mm, addr, false);
    return e ? pte_read_once(e) : 0;
}

struct page *mm_page_at(struct mm *mm, uint64_t addr)
{
    pte_t v = mm_get_pte(mm, addr);
    if (!pte_present(v))
        return NULL;
    return pfn_to_page(pte_napot_pfn(v, addr));
}

void mm_set_pte_new(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v)
{
    pte_store(ptep, v);
    flush_after_make_valid(mm->pt.asid, addr);
}

void mm_relax_pte(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v)
{
    pte_t old = pte_read_once(ptep);
    pte_store(ptep, v);
    /* Granting hardware write (write bit, or the dirty state that clears
     * arm64's read-only bit): the stale entry must go. Setting only the
     * access flag needs nothing on arm64 (entries that raise an access-flag
     * fault are not cached); riscv fences either way. */
    bool write_granted = (pte_write(v) && !pte_write(old)) || (pte_hw_dirty(v) && !pte_hw_dirty(old));
    if (pte_valid(old) && write_granted)
        flush_local_page(mm->pt.asid, addr);
    else
        flush_after_make_valid(mm->pt.asid, addr);
}

void mm_replace_pte(struct mm *mm, pte_t *ptep, uint64_t addr, pte_t v)
{
    pte_store(ptep, 0);
    flush_tlb_range(mm->pt.asid, addr, addr + PAGE_SIZE, PAGE_SIZE, true);
    pte_store(ptep, v);
    flush_after_make_valid(mm->pt.asid, addr);
}
