/* The mprotect batch rule, kept free of kernel state so the host tests it. */
#include <stdint.h>
#include <stdbool.h>
#include <asm/pte.h>
#include "mmu/contpte.h"

unsigned pte_batch_len(const pte_t *ptes, unsigned max, uint64_t va)
{
    if (max == 0 || !pte_present(ptes[0]))
        return 0;
    uint64_t pfn0 = pte_napot_pfn(ptes[0], va);
    bool w0 = pte_write(ptes[0]), sd0 = pte_soft_dirty(ptes[0]);
    unsigned n = 1;
    while (n < max) {
        pte_t e = ptes[n];
        if (!pte_present(e) || pte_napot_pfn(e, va + n * 4096ULL) != pfn0 + n ||
            pte_write(e) != w0 || pte_soft_dirty(e) != sd0)
            break;
        n++;
    }
    return n;
}
