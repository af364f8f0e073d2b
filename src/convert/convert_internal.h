/* SPDX-License-Identifier: MIT */
/* Internal interfaces shared by the files of the convert layer. */
#ifndef XSR_CONVERT_INTERNAL_H
#define XSR_CONVERT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/convert.h>
#include <xsr/domctx.h>
#include <xsr/error.h>
#include <xsr/wire.h>

#include "util/progress.h"

/* Deterministic 64-bit mixing (splitmix64 finaliser). */
static inline uint64_t xsri_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ------------------------------------------------ Remus delta cache */
/*
 * The sender of a compressed Remus checkpoint keeps the last copy it sent of
 * recently sent pages (an LRU of 8192 pages) and sends a page either whole
 * or as runs of 32-bit words that changed against that copy.  Page-table
 * pages are always sent whole and dropped from the cache when they are
 * added to the sender's buffer of XSRI_REMUS_BLOCK pages, which it
 * compresses when full and at the end of each checkpoint.  The converter
 * replays the same sequence on an LRU of at least the same capacity, so
 * every delta finds its base.
 */
#define XSRI_REMUS_CACHE 8192u  /* pages in the sender's delta cache */
#define XSRI_REMUS_BLOCK 8192u  /* pages the sender buffers before compressing */

struct xsri_dcache;
struct xsri_dcache *xsri_dcache_new(uint32_t capacity);
void xsri_dcache_free(struct xsri_dcache *c);
/* The cached copy of pfn, moved to most recently used; NULL if absent. */
uint8_t *xsri_dcache_get(struct xsri_dcache *c, uint64_t pfn);
/* A slot for pfn (evicting the least recently used page if full), most
 * recently used; its contents are undefined.  NULL on allocation failure. */
uint8_t *xsri_dcache_put(struct xsri_dcache *c, uint64_t pfn);
void xsri_dcache_drop(struct xsri_dcache *c, uint64_t pfn);

/* Encoded page: marker 0x00 = unchanged, 0x80 = whole page follows, else
 * runs {u8 (skip ? 0x80 : 0) | words (1..127), words*4 bytes if not skip}. */
#define XSRI_DELTA_EMPTY 0x00u
#define XSRI_DELTA_FULL 0x80u
#define XSRI_DELTA_SKIP 0x80u
#define XSRI_DELTA_LEN_MASK 0x7fu
#define XSRI_DELTA_MAX (XSR_PAGE_SIZE + 1 + 9) /* worst case of an encoding */

/* Encode page against base (NULL: whole page) into out (XSRI_DELTA_MAX
 * bytes); returns the encoded length. */
size_t xsri_delta_encode(const uint8_t *page, const uint8_t *base, uint8_t *out);

/*
 * Decode one page from in[0..len).  Returns the bytes consumed (> 0), 0 if
 * in holds only part of the encoding (more input needed; then len is below
 * XSRI_DELTA_MAX, as longer encodings are refused), or XSR_EFORMAT.
 * *needs_base is set if the encoding refers to the previous copy (empty page
 * or skip runs); base then must be non-NULL, else XSR_EFORMAT is returned
 * with err explaining.  out gets the page.
 */
long xsri_delta_decode(const uint8_t *in, size_t len, const uint8_t *base, uint8_t *out,
                       bool *needs_base, struct xsr_error *err);

/* ------------------------------------------------ DOMAIN_CONTEXT helpers */

/* Whether the SHARED_INFO page bytes beyond the structure are all zero. */
static inline bool xsri_shinfo_tail_zero(const uint8_t page[XSR_SHARED_INFO_SIZE],
                                         unsigned guest_width)
{
    uint32_t size = xsr_shinfo_size(guest_width);
    return xsr_all_zero(page + size, XSR_SHARED_INFO_SIZE - size);
}

#endif
