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
    uint64_t pa = palloc_alloc(order, node, zero ? PA_ZERO : 0);
    if (!pa)
        return NULL;
    struct page *head = phys_to_page(pa);
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
              head->refcount);
    if (--head->refcount == 0)
        palloc_free(page_to_phys(head), head->order);
}

void page_add_map(struct page *p)
{
    if (p == zero_page)
        return;
    p->mapcount++;
    folio_get(page_head(p));
}

void page_remove_map(struct page *p)
{
    if (p == zero_page)
        return;
    if (p->mapcount <= 0)
        panic("page 0x%llx unmapped more often than mapped", (unsigned long long)page_to_phys(p));
    p->mapcount--;
    folio_put(page_head(p));
}

bool folio_mapped_shared(struct page *head)
{
    for (unsigned i = 0; i < (1u << head->order); i++)
        if (head[i].mapcount > 1)
            return true;
    return false;
}

/* Word copy: no picolibc memcpy here, it may use SIMD registers. */
void copy_page_data(uint64_t dst_pa, uint64_t src_pa)
{
    volatile uint64_t *d = (uint64_t *)(uintptr_t)dst_pa;
    const volatile uint64_t *s = (const uint64_t *)(uintptr_t)src_pa;
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        d[i] = s[i];
}

/* The page a PTE maps, or NULL for the zero page and non-present entries
 * (Linux vm_normal_page: the zero page is recognised by its PFN here, as on
 * architectures without a special bit). */
struct page *vm_normal_page(const struct vma *v, uint64_t addr, pte_t pte)
{
    (void)v;
    if (!pte_present(pte))
        return NULL;
    uint64_t pfn = pte_napot_pfn(pte, addr);
    struct page *p = pfn_to_page(pfn);
    if (!p || p == zero_page)
        return NULL;
    return p;
}
