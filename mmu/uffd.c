/*
 * userfaultfd write-protect and missing-page tracking, PTE markers
 * (uffd-wp, guard), MADV_DONTNEED and device-exclusive entries, with
 * Linux's semantics (mm/userfaultfd.c, mm/mprotect.c, mm/memory.c,
 * mm/madvise.c; device-exclusive after the 6.15 series that moved restore
 * onto can_change_pte_writable()). See mm.h for the API.
 */
#include "mmu/mm_internal.h"
#include "mmu/contpte.h"

/* ---- messages ---- */

/* The message the current fault produced (one CPU: one fault at a time),
 * handed to the context's handler once the page-table lock is released. */
static struct { struct mm *mm; struct uffd_msg msg; bool pending; } fault_msg;
/* A missing-page message resolved by the handler: the retried access fills
 * the page itself (as UFFDIO_ZEROPAGE would). */
static struct { struct mm *mm; uint64_t addr; } missing_resolved = { NULL, ~0ULL };

static void queue_msg(struct mm *mm, const struct uffd_msg *m)
{
    struct uffd_ctx *c = &mm->uffd;
    if (c->count == UFFD_QUEUE) {
        c->dropped++;
        return;
    }
    c->queue[(c->head + c->count) % UFFD_QUEUE] = *m;
    c->count++;
}

int uffd_fault_message(struct mm *mm, uint64_t addr, unsigned flags)
{
    if ((flags & UFFD_MSG_MISSING) && missing_resolved.mm == mm && missing_resolved.addr == addr) {
        missing_resolved.mm = NULL;
        return 0;                       /* resolved: fill it */
    }
    mm->uffd.delivered++;
    FSTAT_ADD(uffd, 1);
    fault_msg.mm = mm;
    fault_msg.msg = (struct uffd_msg){ .addr = addr, .flags = flags };
    fault_msg.pending = true;
    return MM_EUFFD;
}

bool uffd_after_fault(struct mm *mm)
{
    if (!fault_msg.pending || fault_msg.mm != mm)
        return false;
    fault_msg.pending = false;
    struct uffd_msg m = fault_msg.msg;
    if (mm->uffd.handler && mm->uffd.handler(mm, &m, mm->uffd.handler_arg)) {
        if (m.flags & UFFD_MSG_MISSING) {
            missing_resolved.mm = mm;
            missing_resolved.addr = m.addr;
        }
        return true;                    /* the access is retried */
    }
    queue_msg(mm, &m);
    return false;
}

int mm_uffd_read(struct mm *mm, struct uffd_msg *out)
{
    struct uffd_ctx *c = &mm->uffd;
    if (!c->count)
        return MM_ENOENT;
    *out = c->queue[c->head];
    c->head = (c->head + 1) % UFFD_QUEUE;
    c->count--;
    return 0;
}

bool uffd_resolve_by_unprotect(struct mm *mm, const struct uffd_msg *msg, void *arg)
{
    (void)arg;
    if (!(msg->flags & UFFD_MSG_WP))
        return false;
    return mm_uffd_writeprotect(mm, ALIGN_DOWN(msg->addr, PAGE_SIZE), PAGE_SIZE, false, 0) == 0;
}

void mm_uffd_set_handler(struct mm *mm, uffd_handler_t h, void *arg)
{
    mm->uffd.handler = h;
    mm->uffd.handler_arg = arg;
}

/* ---- ranges ---- */

static bool range_valid(uint64_t start, uint64_t len)
{
    return len && IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(len, PAGE_SIZE) && start >= MM_VA_BASE &&
           start + len <= MM_VA_END && start + len > start;
}

/* Every page of [start, end) in a VMA, and (with need) every VMA has all of
 * the flags in need. */
static bool range_covered(struct mm *mm, uint64_t start, uint64_t end, unsigned need)
{
    uint64_t a = start;
    for (struct vma *v = mm->vmas; v && a < end; v = v->next) {
        if (v->end <= a)
            continue;
        if (v->start > a || (v->flags & need) != need)
            return false;
        a = v->end;
    }
    return a >= end;
}

/* Write-protect (wp) or unprotect [start, end) of VMA v: Linux's
 * change_protection with MM_CP_UFFD_WP, or MM_CP_UFFD_WP_RESOLVE with
 * MM_CP_TRY_CHANGE_WRITABLE (the write bit comes back at once where
 * can_change_pte_writable() allows it) and the access/write hints. */
static void wp_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool wp, unsigned hints,
                     struct tlb_gather *g)
{
    bool upgrade = !wp && vma_wants_manual_pte_write_upgrade(v);
    bool shared = v->flags & VM_SHARED;
    struct pte_iter it = pte_iter_start(&mm->pt, start, end);
    while (pte_iter_next(&it)) {
        uint64_t a = it.va;
        pte_t *pp = it.ptep;
        pte_t o = pte_read_once(pp);
        if (!pte_present(o)) {
            /* An empty slot of a shared mapping keeps its protection in a
             * marker (the page may come back from the page cache);
             * unprotecting removes it. Neither is valid: no TLB work. */
            if (wp && pte_none(o) && shared)
                pte_store(pp, pte_marker(PTE_MARKER_UFFD_WP));
            else if (!wp && pte_is_uffd_marker(o))
                pte_store(pp, 0);
            continue;
        }
        if (pte_cont(o)) {
            contpte_unfold(mm, a, pp);
            o = pte_read_once(pp);
        }
        pte_t n;
        do {
            if (wp) {
                n = pte_mkuffd_wp(pte_wrprotect(o));
            } else {
                n = pte_clear_uffd_wp(o);
                bool granted = false;
                if (upgrade && pte_valid(n) && !pte_write(n) && can_change_pte_writable(v, a, n)) {
                    n = pte_mkwrite(n);
                    granted = true;
                }
                /* Hints (MM_CP_WILL_NEED): an access is likely, so set young
                 * now rather than take an access-flag update or fault; a
                 * write is likely, so set dirty where write was granted.
                 * Without hints nothing is marked (no needless writeback). */
                if (pte_valid(n) && (hints & UFFD_HINT_ACCESS_LIKELY))
                    n = pte_mkyoung(n);
                if (granted && ((hints & UFFD_HINT_WRITE_LIKELY) || mm->uffd.dirty_on_unprotect))
                    n = pte_mkdirty(n);
            }
        } while (n != o && !pte_cmpxchg(pp, &o, n));
        /* Write removed, or granted (a stale read-only entry would fault
         * again): either way the old translation goes, with the range. */
        if (n != o && pte_valid(o))
            tlb_gather_add(g, a, PAGE_SIZE);
    }
    /* Whole 64 KiB folios whose entries agree again become blocks again. */
    for (uint64_t b = ALIGN_UP(start, CONT_SIZE); b + CONT_SIZE <= end; b += CONT_SIZE) {
        pte_t *bp = mm_pte_ptr(mm, b, false);
        if (bp && pte_present(pte_read_once(bp)) && !pte_cont(pte_read_once(bp)))
            contpte_try_fold(mm, v, b);
    }
}

static void register_vma(struct mm *mm, struct vma *v, void *flags)
{
    (void)mm;
    v->flags |= *(unsigned *)flags;
}

/* userfaultfd_clear_vma: resolve write-protection with the write upgrade
 * (uffd_wp_range(..., false)), then unregister. */
static void unregister_vma(struct mm *mm, struct vma *v, void *g)
{
    if (v->flags & VM_UFFD_WP) {
        v->flags &= ~VM_UFFD_WP;            /* so can_change sees it unarmed */
        wp_range(mm, v, v->start, v->end, false, 0, g);
    }
    v->flags &= ~(VM_UFFD_WP | VM_UFFD_MISSING);
}

int mm_uffd_register(struct mm *mm, uint64_t start, uint64_t len, unsigned modes)
{
    if (!range_valid(start, len) || !modes || (modes & ~(UFFD_REGISTER_MISSING | UFFD_REGISTER_WP)))
        return MM_EINVAL;
    uint64_t end = start + len;
    /* Linux's UFFDIO_REGISTER: -EINVAL unless the range is all mapped. */
    if (!range_covered(mm, start, end, 0))
        return MM_EINVAL;
    if (vma_reserve_splits(mm, start, end) < 0)
        return MM_ENOMEM;
    unsigned flags = ((modes & UFFD_REGISTER_WP) ? VM_UFFD_WP : 0) |
                     ((modes & UFFD_REGISTER_MISSING) ? VM_UFFD_MISSING : 0);
    mm_lock(mm, "uffd_register");
    vma_for_each_in_range(mm, start, end, register_vma, &flags);
    mm_unlock(mm);
    return 0;
}

int mm_uffd_unregister(struct mm *mm, uint64_t start, uint64_t len)
{
    if (!range_valid(start, len))
        return MM_EINVAL;
    uint64_t end = start + len;
    if (!range_covered(mm, start, end, 0))
        return MM_EINVAL;
    if (vma_reserve_splits(mm, start, end) < 0)
        return MM_ENOMEM;
    mm_lock(mm, "uffd_unregister");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    vma_for_each_in_range(mm, start, end, unregister_vma, &g);
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("uffd_unregister");
    return 0;
}

int mm_uffd_writeprotect(struct mm *mm, uint64_t start, uint64_t len, bool wp, unsigned hints)
{
    if (!range_valid(start, len) || (hints & ~(UFFD_HINT_ACCESS_LIKELY | UFFD_HINT_WRITE_LIKELY)))
        return MM_EINVAL;
    uint64_t end = start + len;
    /* UFFDIO_WRITEPROTECT: -ENOENT unless the range is registered for WP. */
    if (!range_covered(mm, start, end, VM_UFFD_WP))
        return MM_ENOENT;
    mm_lock(mm, "uffd_writeprotect");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->end > start && v->start < end)
            wp_range(mm, v, MAX(start, v->start), MIN(end, v->end), wp, hints, &g);
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("uffd_writeprotect");
    return 0;
}

int mm_uffd_wp(struct mm *mm, uint64_t start, uint64_t len, bool on)
{
    if (!on)
        return mm_uffd_unregister(mm, start, len);
    int r = mm_uffd_register(mm, start, len, UFFD_REGISTER_WP);
    return r < 0 ? r : mm_uffd_writeprotect(mm, start, len, true, 0);
}

/* ---- device-exclusive entries ---- */

#define MAX_DEV_AGENTS 16
static struct dev_agent *agents[MAX_DEV_AGENTS];

static struct dev_agent *agent_of(struct mm *mm, uint64_t addr)
{
    for (unsigned i = 0; i < MAX_DEV_AGENTS; i++)
        if (agents[i] && agents[i]->mm == mm && agents[i]->addr == addr)
            return agents[i];
    return NULL;
}

/* The device hears that it lost the page (Linux: the MMU notifier). */
static void agent_notify(struct mm *mm, uint64_t addr)
{
    for (unsigned i = 0; i < MAX_DEV_AGENTS; i++)
        if (agents[i] && agents[i]->mm == mm && agents[i]->addr == addr) {
            agents[i]->exclusive = false;
            agents[i]->notified++;
            agents[i] = NULL;
        }
}

/* The entry keeps the PFN, soft-dirty and uffd-wp (Linux keeps the last two
 * in the swap PTE's software bits; here in the offset, on both arches). */
static pte_t devx_entry(uint64_t pfn, bool soft_dirty, bool uffd_wp)
{
    return swp_entry_pte(SWP_DEVICE_EXCLUSIVE, (pfn << 2) | (uffd_wp ? 2 : 0) | (soft_dirty ? 1 : 0));
}

int mm_make_device_exclusive(struct mm *mm, uint64_t addr, struct dev_agent *dev)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || !dev)
        return MM_EINVAL;
    struct vma *v = mm_find_vma(mm, addr);
    if (!v)
        return MM_EFAULT;
    unsigned slot = MAX_DEV_AGENTS;
    for (unsigned i = 0; i < MAX_DEV_AGENTS; i++)
        if (!agents[i]) {
            slot = i;
            break;
        }
    if (slot == MAX_DEV_AGENTS || agent_of(mm, addr))
        return MM_EEXIST;
    mm_lock(mm, "make_device_exclusive");
    pte_t *ptep = mm_pte_ptr(mm, addr, false);
    pte_t old = ptep ? pte_read_once(ptep) : 0;
    struct page *p = pte_valid(old) ? vm_normal_page(v, addr, old) : NULL;
    if (!p || !(p->flags & PG_ANON)) {
        /* Linux supports anonymous folios only; the page must be present. */
        mm_unlock(mm);
        return p ? MM_EINVAL : MM_EFAULT;
    }
    if (pte_cont(old))
        contpte_unfold(mm, addr, ptep);
    /* Clear atomically (the dirty state the entry had when it went is the
     * folio's), invalidate the CPU's translation, then install the entry. */
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    old = pte_get_and_clear(ptep);
    tlb_gather_add(&g, addr, PAGE_SIZE);
    tlb_gather_finish(&g);
    if (pte_dirty(old))
        page_head(p)->flags |= PG_DIRTY;
    pte_store(ptep, devx_entry(page_to_pfn(p), pte_soft_dirty(old), pte_uffd_wp(old)));
    *dev = (struct dev_agent){ .mm = mm, .addr = addr, .pfn = page_to_pfn(p), .exclusive = true };
    agents[slot] = dev;
    mm_unlock(mm);
    rule_check_op_end("make_device_exclusive");
    return 0;
}

int devx_restore(struct mm *mm, struct vma *v, uint64_t addr, pte_t *ptep, pte_t old)
{
    uint64_t off = pte_swp_offset(old), pfn = off >> 2;
    struct page *p = pfn_to_page(pfn);
    if (!p)
        return MM_EFAULT;
    agent_notify(mm, addr);
    /* restore_exclusive_pte(): old, the VMA's protection, soft-dirty and
     * uffd-wp carried over; writable only if VM_WRITE and
     * can_change_pte_writable(), and then dirty only if the folio is. */
    pte_t e = pte_mkold(pfn_pte(pfn, vma_page_prot(v)));
    if (off & 1)
        e = pte_mksoft_dirty(e);
    if (off & 2)
        e = pte_mkuffd_wp(e);
    if ((v->flags & VM_WRITE) && can_change_pte_writable(v, addr, e)) {
        if (page_head(p)->flags & PG_DIRTY)
            e = pte_mkdirty(e);
        e = pte_mkwrite(e);
    }
    mm_set_pte_new(mm, ptep, addr, e);
    FSTAT_ADD(devx_restore, 1);
    return 0;
}

void devx_drop(struct mm *mm, uint64_t addr, pte_t old, struct tlb_gather *g)
{
    agent_notify(mm, addr);
    struct page *p = pfn_to_page(pte_swp_offset(old) >> 2);
    if (p)
        tlb_gather_remove_page(g, p);
}

static uint64_t *agent_word(struct dev_agent *dev, uint64_t offset)
{
    return (uint64_t *)(uintptr_t)((dev->pfn << PAGE_SHIFT) + (offset & (PAGE_SIZE - 8)));
}

int dev_write(struct dev_agent *dev, uint64_t offset, uint64_t val)
{
    if (!dev->exclusive) {
        dev->refused++;
        return -1;
    }
    *(volatile uint64_t *)agent_word(dev, offset) = val;
    page_head(pfn_to_page(dev->pfn))->flags |= PG_DIRTY;     /* the device wrote the page */
    dev->writes++;
    return 0;
}

int dev_read(struct dev_agent *dev, uint64_t offset, uint64_t *val)
{
    if (!dev->exclusive) {
        dev->refused++;
        return -1;
    }
    *val = *(volatile uint64_t *)agent_word(dev, offset);
    return 0;
}

/* ---- MADV_DONTNEED and guard markers ---- */

/* Drop the entry at pp (present or device-exclusive), its page after the
 * flush; a uffd-wp protected entry of a registered shared mapping leaves a
 * marker (Linux's zap_install_uffd_wp_if_needed; anonymous memory: zap
 * drops everything). */
static void zap_one(struct mm *mm, struct vma *v, uint64_t a, pte_t *pp, bool keep_uffd, struct tlb_gather *g)
{
    pte_t o = pte_read_once(pp);
    bool wp = false;
    if (pte_is_device_exclusive(o)) {
        pte_store(pp, 0);
        devx_drop(mm, a, o, g);
        wp = pte_swp_offset(o) & 2;
    } else if (pte_present(o)) {
        o = pte_get_and_clear(pp);
        if (pte_valid(o))
            tlb_gather_add(g, a, PAGE_SIZE);
        struct page *p = pfn_to_page(pte_napot_pfn(o, a));
        if (p)
            tlb_gather_remove_page(g, p);
        wp = pte_uffd_wp(o);
    } else {
        return;         /* empty, or a marker: kept */
    }
    if (keep_uffd && wp && (v->flags & VM_UFFD_WP) && (v->flags & VM_SHARED))
        pte_store(pp, pte_marker(PTE_MARKER_UFFD_WP));
}

void unfold_partial_blocks(struct mm *mm, uint64_t start, uint64_t end)
{
    uint64_t edges[2] = { start, end - PAGE_SIZE };
    for (int i = 0; i < 2; i++) {
        pte_t *e = mm_pte_ptr(mm, edges[i], false);
        uint64_t b = ALIGN_DOWN(edges[i], CONT_SIZE);
        if (e && pte_cont(pte_read_once(e)) && (b < start || b + CONT_SIZE > end))
            contpte_unfold(mm, edges[i], e);
    }
}

int mm_zap(struct mm *mm, uint64_t start, uint64_t len)
{
    if (!range_valid(start, len))
        return MM_EINVAL;
    uint64_t end = start + len;
    if (!range_covered(mm, start, end, 0))
        return MM_EINVAL;           /* madvise: -ENOMEM for holes; nothing done either way */
    mm_lock(mm, "zap");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    unfold_partial_blocks(mm, start, end);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        if (v->end <= start || v->start >= end)
            continue;
        struct pte_iter it = pte_iter_start(&mm->pt, MAX(start, v->start), MIN(end, v->end));
        while (pte_iter_next(&it))
            zap_one(mm, v, it.va, it.ptep, true, &g);
    }
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end("zap");
    return 0;
}

int mm_guard(struct mm *mm, uint64_t start, uint64_t len, bool install)
{
    if (!range_valid(start, len))
        return MM_EINVAL;
    uint64_t end = start + len;
    if (!range_covered(mm, start, end, 0))
        return MM_EINVAL;
    /* The tables first, so running out of memory changes nothing. */
    if (install)
        for (uint64_t a = start; a < end; a += PAGE_SIZE)
            if (!mm_pte_ptr(mm, a, true))
                return MM_ENOMEM;
    mm_lock(mm, install ? "guard_install" : "guard_remove");
    struct tlb_gather g;
    tlb_gather_init(&g, mm->pt.asid);
    unfold_partial_blocks(mm, start, end);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        if (v->end <= start || v->start >= end)
            continue;
        struct pte_iter it = pte_iter_start(&mm->pt, MAX(start, v->start), MIN(end, v->end));
        while (pte_iter_next(&it)) {
            if (install) {
                zap_one(mm, v, it.va, it.ptep, false, &g);
                pte_store(it.ptep, pte_marker(PTE_MARKER_GUARD));
            } else if (pte_is_guard(pte_read_once(it.ptep))) {
                pte_store(it.ptep, 0);
            }
        }
    }
    tlb_gather_finish(&g);
    mm_unlock(mm);
    rule_check_op_end(install ? "guard_install" : "guard_remove");
    return 0;
}
