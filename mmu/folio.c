/*
 * Folios: a head page and its 2^order pages, physically contiguous and
 * naturally aligned. The head's refcount counts mappings (one per PTE) plus
 * holders (a shared object's slot); each page's mapcount counts the PTEs
 * mapping that page; anon-exclusive is per page, as in Linux.
 */
#include "mmu/mm_internal.h"

struct page *zero_page;

struct page *folio_of(struct page *p) { return page_head(p); }

bool mm_is_zero_page(const struct page *p) { return p && p == zero_page; }

struct page *folio_alloc(unsigned order, int node, bool zero)
{
    uint64_t pfn;
    return folio_alloc_pfn(order, node, zero, &pfn);
}

struct page *folio_alloc_pfn(unsigned order, int node, bool zero, uint64_t *pfn)
{
    uint64_t pa = palloc_alloc(order, node, zero ? PA_ZERO : 0);
    if (!pa)
        return NULL;
    *pfn = pa >> PAGE_SHIFT;
    struct page *head = pfn_to_page(*pfn);
    head->order = (uint8_t)order;
    head->refcount = 0;
    for (unsigned i = 0; i < (1u << order); i++) {
        head[i].mapcount = 0;
        head[i].flags &= PG_ALLOC_MASK;         /* no stale mm flags */
    }
    return head;
}

void folio_get(struct page *head) { head->refcount++; }

void folio_put(struct page *head)
{
    if (head == zero_page)
        return;
    if (head->refcount <= 0)
        panic("folio_put: folio 0x%llx has refcount %d", (unsigned long long)page_to_phys(head),
              (int)head->refcount);
    if (--head->refcount == 0)
        palloc_free(page_to_phys(head), head->order);
}

void page_add_map(struct page *p)
{
    if (p == zero_page)
        return;
    p->mapcount++;
    folio_get(folio_head(p));
}

void page_remove_map(struct page *p)
{
    if (p == zero_page)
        return;
    if (p->mapcount <= 0)
        panic("page 0x%llx unmapped more often than mapped", (unsigned long long)page_to_phys(p));
    p->mapcount--;
    folio_put(folio_head(p));
}

bool folio_mapped_shared(struct page *head)
{
    for (unsigned i = 0; i < (1u << head->order); i++)
        if (head[i].mapcount > 1)
            return true;
    return false;
}

/* Copy one page with plain 64-bit loads and stores, 16 to an iteration (no
 * picolibc memcpy: it may use SIMD registers; the attribute keeps the
 * compiler from turning the loop into a memcpy call). */
__attribute__((optimize("O2", "no-tree-loop-distribute-patterns")))
void copy_page_data(uint64_t dst_pa, uint64_t src_pa)
{
    uint64_t *d = (uint64_t *)(uintptr_t)dst_pa;
    const uint64_t *s = (const uint64_t *)(uintptr_t)src_pa;
    for (unsigned i = 0; i < PAGE_SIZE / 8; i += 16, d += 16, s += 16) {
        uint64_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6], a7 = s[7];
        uint64_t b0 = s[8], b1 = s[9], b2 = s[10], b3 = s[11], b4 = s[12], b5 = s[13], b6 = s[14], b7 = s[15];
        d[0] = a0; d[1] = a1; d[2] = a2; d[3] = a3; d[4] = a4; d[5] = a5; d[6] = a6; d[7] = a7;
        d[8] = b0; d[9] = b1; d[10] = b2; d[11] = b3; d[12] = b4; d[13] = b5; d[14] = b6; d[15] = b7;
    }
}

/* vm_normal_page() is in mprotect.c, next to its hottest caller. */
