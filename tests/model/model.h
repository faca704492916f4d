/*
 * Reference model of the mm core's user-visible behaviour, for randomized
 * tests (tests/kernel/random_tests.c) and host self-checks
 * (tests/host/test_random_model.c). Plain C11, no kernel headers.
 *
 * The model knows nothing of page tables: per address space it tracks, for
 * each page of a small region, whether it is mapped, its protection, and
 * where its contents live: a private value (copy-on-write semantics: fork
 * copies it) or a page of a shared object (one value seen by every mapping
 * of the object). Every mm operation that must not change contents (NUMA
 * scan, migration, soft-dirty clearing, parameter changes) is a no-op here.
 */
#ifndef TESTS_MODEL_MODEL_H
#define TESTS_MODEL_MODEL_H
#include <stdbool.h>
#include <stdint.h>

#define MODEL_MAX_MMS   4
#define MODEL_MAX_PAGES 256
#define MODEL_MAX_OBJS  64      /* the kernel's shared-object pool holds 64 */

/* Protection bits: the values of the kernel's VM_READ/VM_WRITE/VM_EXEC. */
enum { MODEL_READ = 1, MODEL_WRITE = 2, MODEL_EXEC = 4 };
#define MODEL_PROT_MASK 7u

/* Return codes: the kernel's MM_E* values. */
enum { MODEL_OK = 0, MODEL_ENOMEM = -12, MODEL_EFAULT = -14, MODEL_EEXIST = -17, MODEL_EINVAL = -22 };

struct model_page {
    bool mapped;
    uint8_t prot;               /* MODEL_* bits */
    int16_t obj;                /* shared object index, -1 = private */
    uint32_t vma;               /* id of the mapping this page came from (split VMAs keep it) */
    uint32_t objoff;            /* page index in the object */
    uint64_t val;               /* private contents (last value written by this mm) */
    bool guard;                 /* MADV_GUARD_INSTALL: every access faults */
};

struct model_mm {
    bool live;
    struct model_page pages[MODEL_MAX_PAGES];
};

struct model_obj {
    int refs;                   /* mapped pages of all mms that refer to it */
    uint32_t npages;
    uint64_t vals[MODEL_MAX_PAGES];
};

struct model {
    unsigned npages;            /* size of the region, <= MODEL_MAX_PAGES */
    uint32_t next_vma;
    struct model_mm mm[MODEL_MAX_MMS];
    struct model_obj obj[MODEL_MAX_OBJS];
};

void model_init(struct model *m, unsigned npages);
/* A new empty mm: slot index or -1. */
int model_mm_create(struct model *m);
/* Copy of parent: private pages copied, shared ones shared. Slot or -1. */
int model_fork(struct model *m, int parent);
void model_destroy(struct model *m, int mm);
unsigned model_live_mms(const struct model *m);
unsigned model_live_objs(const struct model *m);

/* Pages [first, first+n). Results as the kernel's mm_map/mm_unmap/mm_mprotect. */
int model_map(struct model *m, int mm, unsigned first, unsigned n, unsigned prot, bool shared);
int model_unmap(struct model *m, int mm, unsigned first, unsigned n);
int model_mprotect(struct model *m, int mm, unsigned first, unsigned n, unsigned prot);

/* May this access happen? Read: mapped with any prot bit; write: MODEL_WRITE. */
bool model_access_ok(const struct model *m, int mm, unsigned page, bool write);
/* MADV_DONTNEED: private pages read as zero again, shared ones keep their
 * contents (the object has them); guards stay. Every page must be mapped. */
int model_zap(struct model *m, int mm, unsigned first, unsigned n);
/* MADV_GUARD_INSTALL (zaps, then every access faults) / _REMOVE. */
int model_guard(struct model *m, int mm, unsigned first, unsigned n, bool install);
/* Expected value of a read (the page must be mapped). */
uint64_t model_value(const struct model *m, int mm, unsigned page);
/* An access: 0 (and *val for reads) if allowed, -1 if it must fault; a
 * disallowed access changes nothing. */
int model_read(const struct model *m, int mm, unsigned page, uint64_t *val);
int model_write(struct model *m, int mm, unsigned page, uint64_t val);

static inline const struct model_page *model_page(const struct model *m, int mm, unsigned page)
{
    return &m->mm[mm].pages[page];
}

/* Self-consistency (object reference counts, slots, offsets): NULL if fine,
 * else what is wrong. */
const char *model_check(const struct model *m);
#endif
