/* Reference model of the mm core (see model.h). Plain C11, no libc needed. */
#include "tests/model/model.h"

static void page_clear(struct model_page *p)
{
    p->mapped = false;
    p->guard = false;
    p->prot = 0;
    p->obj = -1;
    p->vma = 0;
    p->objoff = 0;
    p->val = 0;
}

void model_init(struct model *m, unsigned npages)
{
    m->npages = npages > MODEL_MAX_PAGES ? MODEL_MAX_PAGES : npages;
    m->next_vma = 1;
    for (unsigned i = 0; i < MODEL_MAX_MMS; i++) {
        m->mm[i].live = false;
        for (unsigned p = 0; p < MODEL_MAX_PAGES; p++)
            page_clear(&m->mm[i].pages[p]);
    }
    for (unsigned o = 0; o < MODEL_MAX_OBJS; o++) {
        m->obj[o].refs = 0;
        m->obj[o].npages = 0;
    }
}

int model_mm_create(struct model *m)
{
    for (int i = 0; i < MODEL_MAX_MMS; i++) {
        if (m->mm[i].live)
            continue;
        m->mm[i].live = true;
        for (unsigned p = 0; p < MODEL_MAX_PAGES; p++)
            page_clear(&m->mm[i].pages[p]);
        return i;
    }
    return -1;
}

int model_fork(struct model *m, int parent)
{
    int c = model_mm_create(m);
    if (c < 0)
        return -1;
    for (unsigned p = 0; p < m->npages; p++) {
        const struct model_page *pp = &m->mm[parent].pages[p];
        m->mm[c].pages[p] = *pp;          /* private contents are copied: COW */
        if (pp->mapped && pp->obj >= 0)
            m->obj[pp->obj].refs++;
    }
    return c;
}

static void page_unmap(struct model *m, struct model_page *p)
{
    if (p->mapped && p->obj >= 0)
        m->obj[p->obj].refs--;
    page_clear(p);
}

void model_destroy(struct model *m, int mm)
{
    for (unsigned p = 0; p < m->npages; p++)
        page_unmap(m, &m->mm[mm].pages[p]);
    m->mm[mm].live = false;
}

unsigned model_live_mms(const struct model *m)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MODEL_MAX_MMS; i++)
        n += m->mm[i].live;
    return n;
}

unsigned model_live_objs(const struct model *m)
{
    unsigned n = 0;
    for (unsigned o = 0; o < MODEL_MAX_OBJS; o++)
        n += m->obj[o].refs > 0;
    return n;
}

static bool range_ok(const struct model *m, unsigned first, unsigned n)
{
    return n && first < m->npages && n <= m->npages - first;
}

int model_map(struct model *m, int mm, unsigned first, unsigned n, unsigned prot, bool shared)
{
    if (!range_ok(m, first, n) || (prot & ~MODEL_PROT_MASK))
        return MODEL_EINVAL;
    struct model_page *pg = m->mm[mm].pages;
    for (unsigned p = first; p < first + n; p++)
        if (pg[p].mapped)
            return MODEL_EEXIST;
    int obj = -1;
    if (shared) {
        for (int o = 0; o < MODEL_MAX_OBJS && obj < 0; o++)
            if (m->obj[o].refs == 0)
                obj = o;
        if (obj < 0)
            return MODEL_ENOMEM;
        m->obj[obj].npages = n;
        for (unsigned i = 0; i < MODEL_MAX_PAGES; i++)
            m->obj[obj].vals[i] = 0;    /* a new object reads as zeroes */
    }
    uint32_t id = m->next_vma++;
    for (unsigned i = 0; i < n; i++) {
        struct model_page *p = &pg[first + i];
        page_clear(p);
        p->mapped = true;
        p->prot = (uint8_t)prot;
        p->vma = id;
        p->obj = (int16_t)obj;
        p->objoff = shared ? i : 0;
        if (shared)
            m->obj[obj].refs++;
    }
    return MODEL_OK;
}

int model_unmap(struct model *m, int mm, unsigned first, unsigned n)
{
    if (!range_ok(m, first, n))
        return MODEL_EINVAL;
    for (unsigned p = first; p < first + n; p++)
        page_unmap(m, &m->mm[mm].pages[p]);
    return MODEL_OK;
}

int model_mprotect(struct model *m, int mm, unsigned first, unsigned n, unsigned prot)
{
    if (!range_ok(m, first, n) || (prot & ~MODEL_PROT_MASK))
        return MODEL_EINVAL;
    struct model_page *pg = m->mm[mm].pages;
    for (unsigned p = first; p < first + n; p++)
        if (!pg[p].mapped)
            return MODEL_EFAULT;        /* Linux: the whole range must be mapped */
    for (unsigned p = first; p < first + n; p++)
        pg[p].prot = (uint8_t)prot;
    return MODEL_OK;
}

bool model_access_ok(const struct model *m, int mm, unsigned page, bool write)
{
    if (page >= m->npages)
        return false;
    const struct model_page *p = &m->mm[mm].pages[page];
    if (!p->mapped || p->guard)
        return false;
    return write ? (p->prot & MODEL_WRITE) != 0 : (p->prot & MODEL_PROT_MASK) != 0;
}

static bool all_mapped(const struct model *m, int mm, unsigned first, unsigned n)
{
    for (unsigned p = first; p < first + n; p++)
        if (!m->mm[mm].pages[p].mapped)
            return false;
    return true;
}

int model_zap(struct model *m, int mm, unsigned first, unsigned n)
{
    if (!range_ok(m, first, n) || !all_mapped(m, mm, first, n))
        return MODEL_EINVAL;
    for (unsigned p = first; p < first + n; p++)
        if (m->mm[mm].pages[p].obj < 0)
            m->mm[mm].pages[p].val = 0;
    return MODEL_OK;
}

int model_guard(struct model *m, int mm, unsigned first, unsigned n, bool install)
{
    if (!range_ok(m, first, n) || !all_mapped(m, mm, first, n))
        return MODEL_EINVAL;
    for (unsigned p = first; p < first + n; p++) {
        struct model_page *pg = &m->mm[mm].pages[p];
        if (install && pg->obj < 0)
            pg->val = 0;
        pg->guard = install;
    }
    return MODEL_OK;
}

uint64_t model_value(const struct model *m, int mm, unsigned page)
{
    const struct model_page *p = &m->mm[mm].pages[page];
    if (!p->mapped)
        return 0;
    return p->obj >= 0 ? m->obj[p->obj].vals[p->objoff] : p->val;
}

int model_read(const struct model *m, int mm, unsigned page, uint64_t *val)
{
    if (!model_access_ok(m, mm, page, false))
        return -1;
    *val = model_value(m, mm, page);
    return 0;
}

int model_write(struct model *m, int mm, unsigned page, uint64_t val)
{
    if (!model_access_ok(m, mm, page, true))
        return -1;
    struct model_page *p = &m->mm[mm].pages[page];
    if (p->obj >= 0)
        m->obj[p->obj].vals[p->objoff] = val;
    else
        p->val = val;
    return 0;
}

const char *model_check(const struct model *m)
{
    int refs[MODEL_MAX_OBJS] = { 0 };
    if (m->npages > MODEL_MAX_PAGES)
        return "region larger than MODEL_MAX_PAGES";
    for (unsigned i = 0; i < MODEL_MAX_MMS; i++) {
        const struct model_mm *mm = &m->mm[i];
        for (unsigned p = 0; p < MODEL_MAX_PAGES; p++) {
            const struct model_page *pg = &mm->pages[p];
            if (!pg->mapped) {
                if (pg->obj != -1 || pg->prot || pg->val || pg->vma || pg->guard)
                    return "unmapped page with state";
                continue;
            }
            if (!mm->live)
                return "page mapped in a dead mm";
            if (p >= m->npages)
                return "page mapped outside the region";
            if (pg->prot & ~MODEL_PROT_MASK)
                return "bad prot bits";
            if (!pg->vma || pg->vma >= m->next_vma)
                return "bad mapping id";
            if (pg->obj < -1 || pg->obj >= MODEL_MAX_OBJS)
                return "bad object index";
            if (pg->obj >= 0) {
                if (pg->val)
                    return "shared page with a private value";
                if (pg->objoff >= m->obj[pg->obj].npages)
                    return "object offset past the object";
                refs[pg->obj]++;
                /* Pages of one mapping are consecutive in their object. */
                if (p > 0 && mm->pages[p - 1].mapped && mm->pages[p - 1].vma == pg->vma &&
                    (mm->pages[p - 1].obj != pg->obj || mm->pages[p - 1].objoff + 1 != pg->objoff))
                    return "object offsets not consecutive within a mapping";
            } else if (pg->objoff) {
                return "private page with an object offset";
            }
        }
    }
    for (unsigned o = 0; o < MODEL_MAX_OBJS; o++)
        if (refs[o] != m->obj[o].refs)
            return "object reference count mismatch";
    return 0;
}
