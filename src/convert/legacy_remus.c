/* SPDX-License-Identifier: MIT */
/*
 * Compressed Remus checkpoints of legacy streams ("format B"): page batches
 * carry only their pfns; the pages follow later, encoded against the
 * sender's cache (see convert_internal.h), in compressed-data chunks that
 * may split a page anywhere.  Batches wait here until their pages are
 * decoded and are then written as ordinary PAGE_DATA records.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_internal.h"

#define QUEUE_MAX 64u /* batches waiting for their pages */

struct pend {
    uint32_t n;                         /* entries */
    uint32_t data_total, data_done;     /* pages with data */
    uint64_t offset;                    /* of the batch in the input */
    uint64_t words[XSR_LEGACY_MAX_BATCH]; /* output pfn words */
};

struct xsri_remus {
    struct xsri_dcache *cache;
    struct pend *q;                     /* ring of QUEUE_MAX */
    uint32_t qhead, qlen;
    uint8_t *data;                      /* pages of the head batch */
    uint8_t carry[XSRI_DELTA_MAX];      /* an encoding split across chunks */
    size_t carry_len;
    uint64_t carry_off;                 /* its input offset */
    uint64_t block_left;                /* pages left in the sender's block */
    uint64_t pending_data;              /* announced pages not decoded yet */
    uint64_t pages;                     /* decoded in all */
};

struct xsri_remus *xsri_remus_new(uint32_t cache_pages, struct xsr_error *err)
{
    struct xsri_remus *r = calloc(1, sizeof(*r));

    if (r) {
        r->cache = xsri_dcache_new(cache_pages ? cache_pages : XSRI_REMUS_CACHE);
        r->q = malloc(sizeof(*r->q) * QUEUE_MAX);
        r->data = malloc((size_t)XSR_LEGACY_MAX_BATCH * XSR_PAGE_SIZE);
    }
    if (!r || !r->cache || !r->q || !r->data) {
        xsri_remus_free(r);
        xsr_error_set(err, XSR_ENOMEM, "out of memory for decoding compressed checkpoints");
        return NULL;
    }
    return r;
}

void xsri_remus_free(struct xsri_remus *r)
{
    if (!r)
        return;
    xsri_dcache_free(r->cache);
    free(r->q);
    free(r->data);
    free(r);
}

uint64_t xsri_remus_pages(const struct xsri_remus *r)
{
    return r->pages;
}

static struct pend *at(struct xsri_remus *r, uint32_t i)
{
    return &r->q[(r->qhead + i) % QUEUE_MAX];
}

static bool has_data(uint64_t word)
{
    return xsr_pfn_word_type(word) < XSR_PFN_BROKEN;
}

/* Write every complete batch at the head of the queue. */
static int emit_ready(struct xsri_remus *r, struct xsri_lout *out)
{
    while (r->qlen && at(r, 0)->data_done == at(r, 0)->data_total) {
        struct pend *p = at(r, 0);
        int rc = xsri_lout_page_data(out, p->n, p->words, r->data,
                                     (size_t)p->data_total * XSR_PAGE_SIZE);
        if (rc < 0)
            return rc;
        r->qhead = (r->qhead + 1) % QUEUE_MAX;
        r->qlen--;
    }
    return 0;
}

int xsri_remus_batch(struct xsri_remus *r, struct xsri_lout *out, const uint32_t *words,
                     uint32_t n, uint64_t offset, struct xsr_error *err)
{
    struct pend *p;

    if (n == 0)
        return 0;
    if (r->qlen == QUEUE_MAX) {
        xsr_error_set(err, XSR_ELIMIT,
                      "more than %u page batches wait for their compressed pages", QUEUE_MAX);
        xsr_error_locate(err, offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return XSR_ELIMIT;
    }
    p = at(r, r->qlen);
    p->n = n;
    p->data_total = p->data_done = 0;
    p->offset = offset;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = words[i];
        p->words[i] = xsr_pfn_word_make(w >> XSR_LEGACY_TYPE_SHIFT, w & XSR_LEGACY_PFN_MASK);
        if (has_data(p->words[i]))
            p->data_total++;
    }
    r->qlen++;
    r->pending_data += p->data_total;
    return emit_ready(r, out);
}

/*
 * The sender drops page tables from its cache as it adds them to its buffer
 * of XSRI_REMUS_BLOCK pages, before compressing the buffer: replay that for
 * the block starting with the next page to decode.
 */
static void start_block(struct xsri_remus *r)
{
    uint64_t size = r->pending_data < XSRI_REMUS_BLOCK ? r->pending_data : XSRI_REMUS_BLOCK;
    uint64_t left = size;

    for (uint32_t b = 0; b < r->qlen && left; b++) {
        struct pend *p = at(r, b);
        uint32_t seen = 0;
        for (uint32_t i = 0; i < p->n && left; i++) {
            if (!has_data(p->words[i]))
                continue;
            if (b == 0 && seen++ < p->data_done)
                continue;
            if (xsr_pfn_type_level(xsr_pfn_word_type(p->words[i])))
                xsri_dcache_drop(r->cache, xsr_pfn_word_pfn(p->words[i]));
            left--;
        }
    }
    r->block_left = size;
}

/* The entry of the next page to decode (head batch). */
static uint64_t next_word(struct xsri_remus *r)
{
    struct pend *p = at(r, 0);
    uint32_t seen = 0;

    for (uint32_t i = 0; i < p->n; i++)
        if (has_data(p->words[i]) && seen++ == p->data_done)
            return p->words[i];
    return 0; /* not reached: data_done < data_total */
}

/* Decode one page from buf; returns bytes used, 0 if incomplete, or < 0. */
static long decode_one(struct xsri_remus *r, const uint8_t *buf, size_t len, uint64_t offset,
                       struct xsr_error *err)
{
    uint64_t word, pfn;
    unsigned type;
    uint8_t *base = NULL, *dst;
    bool needs_base;
    long used;

    if (!r->qlen || r->pending_data == 0) {
        xsr_error_set(err, XSR_EFORMAT,
                      "compressed data holds more pages than the page batches before it "
                      "announced");
        xsr_error_locate(err, offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return XSR_EFORMAT;
    }
    if (r->block_left == 0)
        start_block(r);
    word = next_word(r);
    pfn = xsr_pfn_word_pfn(word);
    type = xsr_pfn_word_type(word);
    if (!xsr_pfn_type_level(type))
        base = xsri_dcache_get(r->cache, pfn);
    dst = r->data + (size_t)at(r, 0)->data_done * XSR_PAGE_SIZE;
    struct xsr_error e;
    xsr_error_clear(&e);
    used = xsri_delta_decode(buf, len, base, dst, &needs_base, &e);
    if (used < 0) {
        xsr_error_set(err, (int)used, "compressed page for pfn %#" PRIx64 ": %s", pfn, e.message);
        xsr_error_locate(err, offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return used;
    }
    if (used == 0)
        return 0;
    if (!xsr_pfn_type_level(type)) {
        if (!base) {
            base = xsri_dcache_put(r->cache, pfn);
            if (!base)
                return xsr_error_set(err, XSR_ENOMEM, "out of memory for the delta cache");
        }
        memcpy(base, dst, XSR_PAGE_SIZE);
    }
    at(r, 0)->data_done++;
    r->pending_data--;
    r->block_left--;
    r->pages++;
    return used;
}

int xsri_remus_data(struct xsri_remus *r, struct xsri_lin *in, struct xsri_lout *out,
                    uint64_t size, uint64_t offset)
{
    struct xsr_error *err = in->err;
    uint64_t left = size;

    while (left) {
        size_t n = left < (1u << 20) ? (size_t)left : (1u << 20);
        uint64_t pos = xsri_lin_off(in);
        const uint8_t *p;
        int rc = xsri_lin_get(in, n, &p, "compressed page data");

        if (rc < 0)
            return rc;
        left -= n;
        while (n) {
            long used;
            if (r->carry_len) {
                /* Complete the encoding split across pieces. */
                size_t take = sizeof(r->carry) - r->carry_len < n ? sizeof(r->carry) - r->carry_len : n;
                size_t before = r->carry_len;
                memcpy(r->carry + r->carry_len, p, take);
                r->carry_len += take;
                used = decode_one(r, r->carry, r->carry_len, r->carry_off, err);
                if (used < 0)
                    return (int)used;
                if (used == 0) {
                    if (r->carry_len == sizeof(r->carry))
                        return xsr_error_set(err, XSR_EFORMAT, "undecodable compressed page");
                    p += take;
                    pos += take;
                    n -= take;
                    continue;
                }
                size_t from_p = (size_t)used - before;
                r->carry_len = 0;
                p += from_p;
                pos += from_p;
                n -= from_p;
            } else {
                used = decode_one(r, p, n, pos, err);
                if (used < 0)
                    return (int)used;
                if (used == 0) {
                    memcpy(r->carry, p, n);
                    r->carry_len = n;
                    r->carry_off = pos;
                    break;
                }
                p += used;
                pos += (uint64_t)used;
                n -= (size_t)used;
            }
            rc = emit_ready(r, out);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int xsri_remus_end(struct xsri_remus *r, uint64_t offset, struct xsr_error *err)
{
    int rc = 0;

    if (r->carry_len)
        rc = xsr_error_set(err, XSR_EFORMAT,
                           "the checkpoint's compressed data ends inside the encoding of a page");
    else if (r->pending_data)
        rc = xsr_error_set(err, XSR_EFORMAT,
                           "%" PRIu64 " pages announced by the checkpoint's page batches are "
                           "missing from its compressed data", r->pending_data);
    if (rc < 0) {
        xsr_error_locate(err, offset, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        return rc;
    }
    r->block_left = 0;
    return 0;
}
