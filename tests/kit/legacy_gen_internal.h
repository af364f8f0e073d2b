/* SPDX-License-Identifier: MIT */
/*
 * The legacy stream generator's state, shared by legacy_gen.c (output, the
 * stream's header and tails, options) and legacy_gen_body.c (pages, page
 * batches, compressed checkpoints, chunks).
 */
#ifndef XSR_LEGACY_GEN_H
#define XSR_LEGACY_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/convert.h>

#include "xsr_testkit.h"

#include "convert/convert_internal.h"


/* Where the PV page tables live (pfns), when page_tables is set. */
#define PT_TOP 1u   /* L4 (64-bit guest) or L3 (32-bit PAE guest), pinned */
#define PT_L3 2u    /* 64-bit only */
#define PT_L2 3u
#define PT_L1 4u
#define START_INFO_PFN 5u

struct xsri_lg {
    const struct xsr_legacy_gen_opts *o;
    struct xsr_chan *out;
    struct xsr_error *err;
    uint8_t *buf;
    size_t len;
    uint64_t off;            /* bytes emitted */
    unsigned ulong;          /* bytes of an unsigned long: 4 or 8 */
    bool pv;
    unsigned gw;             /* guest width (PV) */
    uint32_t basic_len;
    uint8_t *page;           /* scratch page */
    struct xsri_dcache *cache;
    uint8_t *comp;           /* compressed data not sent yet */
    size_t comp_len, comp_cap;
    struct { uint64_t pfn; unsigned type; } *pend; /* pages added, not compressed */
    uint32_t npend;
    unsigned image;          /* being sent */
    uint64_t p2m_first, p2m_count; /* pfns holding the guest's p2m */
};


/* Output, counted in g->off; marks name what starts at the offset. */
int xsri_lg_put(struct xsri_lg *g, const void *p, size_t n);
int xsri_lg_put32(struct xsri_lg *g, uint32_t v);
int xsri_lg_put64(struct xsri_lg *g, uint64_t v);
int xsri_lg_put_ulong(struct xsri_lg *g, uint64_t v);
void xsri_lg_mark(struct xsri_lg *g, const char *what);

/* The body of image k: memory and chunks, up to the end chunk. */
int xsri_lg_send_body(struct xsri_lg *g, unsigned k);

#endif
