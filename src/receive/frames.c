/* SPDX-License-Identifier: MIT */
/*
 * Per-frame state of the receiver: leaves of XSRI_LEAF_FRAMES frames,
 * created as the stream names frames, found through an open-addressing
 * hash on the leaf's number.  A frame costs what its leaf costs: about 3
 * bytes (11 with aux) in a guest that is mostly present, one leaf (about
 * 200 bytes) when the stream names frames far apart (doc/analyze.md).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "receive.h"

/* Pfns remembered per pass at first; the list grows up to a 1/PASS_SHARE of
 * the frames held before a sweep of every leaf replaces it. */
#define PASS_LIST_MIN 65536u
#define PASS_SHARE 32u
/* Directory slots at first (a power of two); it keeps under half full. */
#define DIR_MIN_BITS 6u

#define LEAF_MASK ((uint64_t)XSRI_LEAF_FRAMES - 1)

int xsri_pfns_init(struct xsri_pfns *p, uint64_t limit, bool aux, struct xsr_error *err)
{
    memset(p, 0, sizeof(*p));
    if (limit == 0)
        limit = XSR_ANALYZE_PFN_LIMIT_DEFAULT;
    if (limit > XSR_PFN_MASK + 1)
        return xsr_error_set(err, XSR_EINVAL,
                             "the pfn limit %#" PRIx64 " exceeds the format's 52-bit pfn range", limit);
    p->limit = limit;
    p->pass_list = malloc(PASS_LIST_MIN * sizeof(*p->pass_list));
    if (!p->pass_list)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the per-pass frame list");
    p->pass_cap = PASS_LIST_MIN;
    p->want_aux = aux;
    p->sorted = true;
    return 0;
}

void xsri_pfns_free(struct xsri_pfns *p)
{
    for (size_t i = 0; i < p->nleaves; i++) {
        free(p->leaf[i]->aux);
        free(p->leaf[i]);
    }
    free(p->leaf);
    free(p->dir);
    free(p->pass_list);
    memset(p, 0, sizeof(*p));
}

static size_t slot_of(uint64_t base, unsigned bits)
{
    /* Fibonacci hashing of the leaf's number: neighbours spread out */
    return (size_t)(((base >> XSRI_LEAF_SHIFT) * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

struct xsri_leaf *xsri_pfns_leaf(const struct xsri_pfns *p, uint64_t pfn)
{
    uint64_t base = pfn & ~LEAF_MASK;
    if (p->last && p->last->base == base)
        return p->last;
    if (!p->dir)
        return NULL;
    for (size_t i = slot_of(base, p->dir_bits);; i = (i + 1) & p->dir_mask) {
        struct xsri_leaf *l = p->dir[i];
        if (!l || l->base == base)
            return l;
    }
}

static void dir_put(struct xsri_leaf **dir, unsigned bits, struct xsri_leaf *l)
{
    size_t mask = ((size_t)1 << bits) - 1;
    size_t i = slot_of(l->base, bits);
    while (dir[i])
        i = (i + 1) & mask;
    dir[i] = l;
}

/* Room for one more leaf in the list and the directory; on failure both
 * are as they were. */
static int make_room(struct xsri_pfns *p, struct xsr_error *err)
{
    if (p->nleaves == p->leaf_cap) {
        size_t n = p->leaf_cap ? 2 * p->leaf_cap : 64;
        struct xsri_leaf **v = realloc(p->leaf, n * sizeof(*v));
        if (!v)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of %zu frames",
                                 n * XSRI_LEAF_FRAMES);
        p->leaf = v;
        p->leaf_cap = n;
    }
    if (!p->dir || 2 * (p->nleaves + 1) > p->dir_mask + 1) {
        unsigned bits = p->dir ? p->dir_bits + 1 : DIR_MIN_BITS;
        struct xsri_leaf **d = calloc((size_t)1 << bits, sizeof(*d));
        if (!d)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the directory of %zu frames",
                                 p->nleaves * XSRI_LEAF_FRAMES);
        for (size_t i = 0; i < p->nleaves; i++)
            dir_put(d, bits, p->leaf[i]);
        free(p->dir);
        p->dir = d;
        p->dir_bits = bits;
        p->dir_mask = ((size_t)1 << bits) - 1;
    }
    return 0;
}

int xsri_pfns_reserve(struct xsri_pfns *p, uint64_t pfn, bool data, struct xsr_error *err)
{
    if (pfn >= p->limit)
        return xsr_error_set(err, XSR_ELIMIT,
                             "pfn %#" PRIx64 " is at or above the limit of %#" PRIx64
                             " frames (%" PRIu64 " GiB of guest memory); raise the pfn limit "
                             "if the guest really is that large", pfn, p->limit, p->limit >> 18);
    struct xsri_leaf *l = xsri_pfns_leaf(p, pfn);
    if (!l) {
        int rc = make_room(p, err);
        if (rc < 0)
            return rc;
        l = calloc(1, sizeof(*l));
        if (!l)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of frame %#" PRIx64, pfn);
        l->base = pfn & ~LEAF_MASK;
        if (p->nleaves && p->leaf[p->nleaves - 1]->base > l->base)
            p->sorted = false;
        p->leaf[p->nleaves++] = l;
        dir_put(p->dir, p->dir_bits, l);
    }
    p->last = l;
    if (data && p->want_aux && !l->aux) {
        l->aux = calloc(XSRI_LEAF_FRAMES, sizeof(*l->aux));
        if (!l->aux)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of frame %#" PRIx64, pfn);
    }
    if (!p->any || pfn > p->max_pfn) {
        p->max_pfn = pfn;
        p->any = true;
    }
    return 0;
}

void xsri_pfns_set_mark(struct xsri_pfns *p, uint64_t pfn, bool on)
{
    struct xsri_leaf *l = xsri_pfns_leaf(p, pfn);
    uint64_t bit = 1ull << (pfn & LEAF_MASK);
    l->mark = on ? l->mark | bit : l->mark & ~bit;
}

bool xsri_pfns_mark(const struct xsri_pfns *p, uint64_t pfn)
{
    const struct xsri_leaf *l = xsri_pfns_leaf(p, pfn);
    return l && (l->mark >> (pfn & LEAF_MASK) & 1);
}

void xsri_pfns_mark_pass(struct xsri_pfns *p, uint64_t pfn)
{
    *xsri_pfns_st(p, pfn) |= XSRI_PF_PASS;
    if (p->pass_overflow)
        return;
    uint64_t most = (uint64_t)p->nleaves * XSRI_LEAF_FRAMES / PASS_SHARE;
    if (p->pass_n == p->pass_cap && p->pass_cap < most) {
        /* a sweep of every leaf for each pass of this size would cost more
         * than PASS_SHARE frames per frame named: remember more */
        size_t n = p->pass_cap * 2 < most ? p->pass_cap * 2 : (size_t)most;
        uint64_t *l = realloc(p->pass_list, n * sizeof(*l));
        if (l) {
            p->pass_list = l;
            p->pass_cap = n;
        }
    }
    if (p->pass_n < p->pass_cap)
        p->pass_list[p->pass_n++] = pfn;
    else
        p->pass_overflow = true;
}

void xsri_pfns_clear_pass(struct xsri_pfns *p)
{
    if (p->pass_overflow) {
        for (size_t i = 0; i < p->nleaves; i++)
            for (unsigned j = 0; j < XSRI_LEAF_FRAMES; j++)
                p->leaf[i]->st[j] &= (uint16_t)~XSRI_PF_PASS;
    } else {
        for (size_t i = 0; i < p->pass_n; i++)
            *xsri_pfns_st(p, p->pass_list[i]) &= (uint16_t)~XSRI_PF_PASS;
    }
    p->pass_n = 0;
    p->pass_overflow = false;
}

static int by_base(const void *a, const void *b)
{
    uint64_t x = (*(struct xsri_leaf *const *)a)->base, y = (*(struct xsri_leaf *const *)b)->base;
    return (x > y) - (x < y);
}

void xsri_pfns_sort(struct xsri_pfns *p)
{
    if (!p->sorted)
        qsort(p->leaf, p->nleaves, sizeof(*p->leaf), by_base);
    p->sorted = true;
}

uint64_t xsri_pfns_bytes(const struct xsri_pfns *p)
{
    uint64_t aux = 0;
    for (size_t i = 0; i < p->nleaves; i++)
        aux += p->leaf[i]->aux ? XSRI_LEAF_FRAMES * sizeof(uint64_t) : 0;
    return (uint64_t)p->nleaves * sizeof(struct xsri_leaf) + aux + p->leaf_cap * sizeof(*p->leaf) +
           (p->dir ? (p->dir_mask + 1) * sizeof(*p->dir) : 0) + p->pass_cap * sizeof(*p->pass_list);
}

void xsri_pfns_iter(struct xsri_pfn_iter *it, const struct xsri_pfns *p, uint64_t from, uint64_t end)
{
    /* the first leaf that ends after from */
    size_t lo = 0, hi = p->nleaves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->leaf[mid]->base + XSRI_LEAF_FRAMES <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    memset(it, 0, sizeof(*it));
    it->p = p;
    it->i = lo;
    it->end = end;
    if (lo < p->nleaves && from > p->leaf[lo]->base)
        it->pos = (unsigned)(from - p->leaf[lo]->base);
}
