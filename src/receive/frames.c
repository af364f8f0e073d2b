/* SPDX-License-Identifier: MIT */
/*
 * Per-frame state of the receiver: a leaf per block of XSRI_LEAF_FRAMES
 * frames the stream names, found through an open-addressing hash on the
 * block's number.  A leaf starts with room for XSRI_FEW_MAX frames without
 * data (24 bytes) and becomes dense (a state per frame of the block) when it
 * gets more, or a data page.  So a guest that is mostly present costs about
 * 3 bytes a frame (11 with aux), and a stream that names frames far apart
 * about 60 bytes a frame named, where the stream spent 8 (doc/analyze.md).
 */
#include <inttypes.h>
#include <stddef.h>
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
#define FEW_SIZE offsetof(struct xsri_leaf, mark)

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
    for (size_t i = 0; p->dir && i <= p->dir_mask; i++) {
        if (p->dir[i]) {
            if (!p->dir[i]->few)
                free(p->dir[i]->aux);
            free(p->dir[i]);
        }
    }
    free(p->dir);
    free(p->leaf);
    free(p->pass_list);
    memset(p, 0, sizeof(*p));
}

static size_t slot_of(uint64_t base, unsigned bits)
{
    /* Fibonacci hashing of the block's number: neighbours spread out */
    return (size_t)(((base >> XSRI_LEAF_SHIFT) * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

/* The directory slot of the leaf of base, or the free slot it would take. */
static size_t dir_find(const struct xsri_pfns *p, uint64_t base)
{
    size_t i = slot_of(base, p->dir_bits);
    while (p->dir[i] && p->dir[i]->base != base)
        i = (i + 1) & p->dir_mask;
    return i;
}

struct xsri_leaf *xsri_pfns_leaf(const struct xsri_pfns *p, uint64_t pfn)
{
    uint64_t base = pfn & ~LEAF_MASK;
    if (p->last && p->last->base == base)
        return p->last;
    return p->dir ? p->dir[dir_find(p, base)] : NULL;
}

/* Index of slot among a leaf's few frames, or of where it would go. */
static unsigned few_index(const struct xsri_leaf *l, unsigned slot)
{
    unsigned i = 0;
    while (i < l->few && l->few_slot[i] < slot)
        i++;
    return i;
}

uint16_t xsri_pfns_get(const struct xsri_pfns *p, uint64_t pfn)
{
    const struct xsri_leaf *l = xsri_pfns_leaf(p, pfn);
    unsigned slot = (unsigned)(pfn & LEAF_MASK);
    if (!l)
        return 0;
    if (!l->few)
        return l->st[slot];
    unsigned i = few_index(l, slot);
    return i < l->few && l->few_slot[i] == slot ? l->few_st[i] : 0;
}

uint16_t *xsri_pfns_st(struct xsri_pfns *p, uint64_t pfn)
{
    struct xsri_leaf *l = xsri_pfns_leaf(p, pfn);
    unsigned slot = (unsigned)(pfn & LEAF_MASK);
    return l->few ? &l->few_st[few_index(l, slot)] : &l->st[slot];
}

/* Room for one more leaf in the directory and the sorted list; on failure
 * both are as they were. */
static int make_room(struct xsri_pfns *p, struct xsr_error *err)
{
    size_t slots = p->dir ? p->dir_mask + 1 : 0;
    if (2 * (p->nleaves + 1) > slots) {
        unsigned bits = p->dir ? p->dir_bits + 1 : DIR_MIN_BITS;
        size_t n = (size_t)1 << bits;
        struct xsri_leaf **d = calloc(n, sizeof(*d));
        struct xsri_leaf **v = d ? realloc(p->leaf, n / 2 * sizeof(*v)) : NULL;
        if (!v) {
            free(d);
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the directory of %zu frames",
                                 p->nleaves * XSRI_LEAF_FRAMES);
        }
        p->leaf = v;
        for (size_t i = 0; i < slots; i++) {
            struct xsri_leaf *l = p->dir[i];
            if (l) {
                size_t j = slot_of(l->base, bits);
                while (d[j])
                    j = (j + 1) & (n - 1);
                d[j] = l;
            }
        }
        free(p->dir);
        p->dir = d;
        p->dir_bits = bits;
        p->dir_mask = n - 1;
    }
    return 0;
}

/* Make the leaf in directory slot i dense, its frames kept. */
static int densify(struct xsri_pfns *p, size_t i, struct xsr_error *err)
{
    struct xsri_leaf *old = p->dir[i];
    struct xsri_leaf *l = calloc(1, sizeof(*l));
    if (!l)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of the frames from %#" PRIx64,
                             old->base);
    l->base = old->base;
    for (unsigned k = 0; k < old->few; k++)
        l->st[old->few_slot[k]] = old->few_st[k];
    p->dir[i] = l;
    if (p->last == old)
        p->last = l;
    free(old);
    p->dense++;
    p->sorted = false; /* the list holds the old leaf */
    return 0;
}

int xsri_pfns_reserve(struct xsri_pfns *p, uint64_t pfn, bool data, struct xsr_error *err)
{
    if (pfn >= p->limit)
        return xsr_error_set(err, XSR_ELIMIT,
                             "pfn %#" PRIx64 " is at or above the limit of %#" PRIx64
                             " frames (%" PRIu64 " GiB of guest memory); raise the pfn limit "
                             "if the guest really is that large", pfn, p->limit, p->limit >> 18);
    uint64_t base = pfn & ~LEAF_MASK;
    unsigned slot = (unsigned)(pfn & LEAF_MASK);
    struct xsri_leaf *l = p->last && p->last->base == base ? p->last : NULL;
    size_t i = 0;
    int rc;

    if (!l || l->few) { /* its directory slot is needed */
        i = p->dir ? dir_find(p, base) : 0;
        l = p->dir ? p->dir[i] : NULL;
    }
    if (!l) {
        if ((rc = make_room(p, err)) < 0)
            return rc;
        l = calloc(1, data ? sizeof(*l) : FEW_SIZE);
        if (!l)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of frame %#" PRIx64, pfn);
        l->base = base;
        if (data) {
            p->dense++;
        } else {
            l->few = 1;
            l->few_slot[0] = (uint8_t)slot;
        }
        p->dir[dir_find(p, base)] = l; /* the directory may have grown */
        p->nleaves++;
        p->sorted = false;
    } else if (l->few) {
        unsigned k = few_index(l, slot);
        bool named = k < l->few && l->few_slot[k] == slot;
        if (data || (!named && l->few == XSRI_FEW_MAX)) {
            if ((rc = densify(p, i, err)) < 0)
                return rc;
            l = p->dir[i];
        } else if (!named) {
            memmove(&l->few_slot[k + 1], &l->few_slot[k], l->few - k);
            memmove(&l->few_st[k + 1], &l->few_st[k], (l->few - k) * sizeof(l->few_st[0]));
            l->few_slot[k] = (uint8_t)slot;
            l->few_st[k] = 0;
            l->few++;
        }
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

void xsri_pfns_mark_pass(struct xsri_pfns *p, uint64_t pfn)
{
    *xsri_pfns_st(p, pfn) |= XSRI_PF_PASS;
    if (p->pass_overflow)
        return;
    /* the frames held: those of dense leaves, and at most a few per other */
    uint64_t held = (uint64_t)p->dense * XSRI_LEAF_FRAMES + (uint64_t)(p->nleaves - p->dense) * XSRI_FEW_MAX;
    uint64_t most = held / PASS_SHARE;
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
        for (size_t i = 0; p->dir && i <= p->dir_mask; i++) {
            struct xsri_leaf *l = p->dir[i];
            unsigned n = !l ? 0 : l->few ? l->few : XSRI_LEAF_FRAMES;
            uint16_t *st = l && l->few ? l->few_st : l ? l->st : NULL;
            for (unsigned j = 0; j < n; j++)
                st[j] &= (uint16_t)~XSRI_PF_PASS;
        }
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
    if (p->sorted)
        return;
    size_t n = 0;
    for (size_t i = 0; p->dir && i <= p->dir_mask; i++)
        if (p->dir[i])
            p->leaf[n++] = p->dir[i];
    qsort(p->leaf, n, sizeof(*p->leaf), by_base);
    p->sorted = true;
}

uint64_t xsri_pfns_bytes(const struct xsri_pfns *p)
{
    size_t slots = p->dir ? p->dir_mask + 1 : 0;
    uint64_t b = (uint64_t)p->dense * sizeof(struct xsri_leaf) + (uint64_t)(p->nleaves - p->dense) * FEW_SIZE;
    for (size_t i = 0; i < slots; i++)
        if (p->dir[i] && !p->dir[i]->few && p->dir[i]->aux)
            b += XSRI_LEAF_FRAMES * sizeof(uint64_t);
    return b + slots * sizeof(*p->dir) + slots / 2 * sizeof(*p->leaf) + p->pass_cap * sizeof(*p->pass_list);
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
    if (lo < p->nleaves && from > p->leaf[lo]->base) {
        const struct xsri_leaf *l = p->leaf[lo];
        unsigned slot = (unsigned)(from - l->base);
        it->pos = l->few ? few_index(l, slot) : slot;
    }
}
