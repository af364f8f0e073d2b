/* SPDX-License-Identifier: MIT */
/* Per-frame state of the receiver: a compact array grown to the highest pfn. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "receive.h"

/* Pfns remembered per pass at first; the list grows up to a 1/PASS_SHARE of
 * the frames before a sweep of the whole array replaces it. */
#define PASS_LIST_MIN 65536u
#define PASS_SHARE 32u
/* First allocation, in frames (64 MiB of guest memory). */
#define INITIAL_CAP 16384u

int xsri_pfns_init(struct xsri_pfns *p, uint64_t limit, bool aux, struct xsr_error *err)
{
    memset(p, 0, sizeof(*p));
    if (limit == 0)
        limit = XSR_ANALYZE_PFN_LIMIT_DEFAULT;
    if (limit > XSR_PFN_MASK + 1)
        return xsr_error_set(err, XSR_EINVAL,
                             "the pfn limit %#" PRIx64 " exceeds the format's 52-bit pfn range", limit);
    if (limit > SIZE_MAX / sizeof(uint64_t))
        return xsr_error_set(err, XSR_EINVAL, "the pfn limit %#" PRIx64 " cannot be addressed", limit);
    p->limit = limit;
    p->pass_list = malloc(PASS_LIST_MIN * sizeof(*p->pass_list));
    if (!p->pass_list)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the per-pass frame list");
    p->pass_cap = PASS_LIST_MIN;
    p->want_aux = aux;
    return 0;
}

void xsri_pfns_free(struct xsri_pfns *p)
{
    free(p->st);
    free(p->aux);
    free(p->pass_list);
    memset(p, 0, sizeof(*p));
}

/* Grow st[] (and aux[]) to cover pfn; on failure cap still says what both
 * arrays hold. */
static int grow(struct xsri_pfns *p, uint64_t pfn, struct xsr_error *err)
{
    uint64_t ncap = p->cap ? p->cap : INITIAL_CAP;
    while (ncap <= pfn)
        ncap *= 2;
    if (ncap > p->limit)
        ncap = p->limit;

    uint16_t *st = realloc(p->st, ncap * sizeof(*st));
    if (!st)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of %" PRIu64 " frames", ncap);
    memset(st + p->cap, 0, (ncap - p->cap) * sizeof(*st));
    p->st = st;
    if (p->want_aux) {
        uint64_t *aux = realloc(p->aux, ncap * sizeof(*aux));
        if (!aux)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for the state of %" PRIu64 " frames",
                                 ncap);
        memset(aux + p->cap, 0, (ncap - p->cap) * sizeof(*aux));
        p->aux = aux;
    }
    p->cap = ncap;
    return 0;
}

int xsri_pfns_reserve(struct xsri_pfns *p, uint64_t pfn, struct xsr_error *err)
{
    if (pfn >= p->limit)
        return xsr_error_set(err, XSR_ELIMIT,
                             "pfn %#" PRIx64 " is at or above the limit of %#" PRIx64
                             " frames (%" PRIu64 " GiB of guest memory); raise the pfn limit "
                             "if the guest really is that large", pfn, p->limit, p->limit >> 18);
    if (pfn >= p->cap) {
        int rc = grow(p, pfn, err);
        if (rc < 0)
            return rc;
    }
    /* only now: max_pfn bounds what readers of st[] and aux[] touch */
    if (!p->any || pfn > p->max_pfn) {
        p->max_pfn = pfn;
        p->any = true;
    }
    return 0;
}

void xsri_pfns_mark_pass(struct xsri_pfns *p, uint64_t pfn)
{
    p->st[pfn] |= XSRI_PF_PASS;
    if (p->pass_overflow)
        return;
    if (p->pass_n == p->pass_cap && p->pass_cap < p->cap / PASS_SHARE) {
        /* a sweep of the whole array for each pass of this size would cost
         * more than PASS_SHARE frames per frame named: remember more */
        size_t n = p->pass_cap * 2 < p->cap / PASS_SHARE ? p->pass_cap * 2 : (size_t)(p->cap / PASS_SHARE);
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
        for (uint64_t i = 0; i < p->cap; i++)
            p->st[i] &= (uint16_t)~XSRI_PF_PASS;
    } else {
        for (size_t i = 0; i < p->pass_n; i++)
            p->st[p->pass_list[i]] &= (uint16_t)~XSRI_PF_PASS;
    }
    p->pass_n = 0;
    p->pass_overflow = false;
}
