/*
 * ASIDs for address spaces (see asid.c). ASID 0 is the kernel's.
 */
#ifndef MMU_ASID_H
#define MMU_ASID_H
#include <stdbool.h>
#include <stdint.h>

struct mm;
struct asid_stats { uint64_t rollovers, switch_flushes, assigned; };
extern struct asid_stats asid_stats;

/* After the MMU's ASID width is known (mmu_caps.asid_bits). */
void asid_init(void);
/* true: every mm keeps ASID = its id for life (enough ASIDs). */
bool asid_static(void);
/* The ASID mm is created with (its id when static, else none yet). */
uint16_t asid_initial(int mm_id);
/* Before switching to mm: make sure it holds an ASID of this generation
 * (possibly rolling the generation over, which flushes every ASID). */
void asid_prepare_switch(struct mm *mm);
/* After the switch: with no ASIDs at all, the TLB must be flushed. */
void asid_after_switch(struct mm *mm);
/* Usable ASIDs besides the kernel's (for info and tests). */
unsigned asid_count(void);
#endif
