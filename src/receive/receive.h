/* SPDX-License-Identifier: MIT */
/*
 * The receiver model: what a receiver does with the memory of a libxc
 * stream, once, for every consumer (extract drives it with a file, stats,
 * diff and map with counters, the restore engine with a domain).
 *
 * The rules it applies (format.md §1.4, facts.md §3e):
 * - the last copy of a page wins; a frame can be sent any number of times;
 * - XALLOC populates a frame without data: it restores as a zero page;
 *   XTAB (invalid since a live pass) and BROKEN leave the frame without
 *   data, whatever it held before;
 * - pages after a VERIFY record are compared with what the receiver holds,
 *   not applied (xsri_page.verify; the state is not changed);
 * - a CHECKPOINT commits everything received before it (a checkpointed
 *   receiver applies the pages since the last one only at the next);
 * - a run of PAGE_DATA records between other records is an iteration, split
 *   again where a pfn repeats (a new pass of a live save).
 *
 * The receiver reads the stream through the checked walk (check/walk.h):
 * every event has been checked when the sink sees it; the findings go to
 * cb->check's callback, s->cw->ev_errors counts the errors of the current
 * event and s->check holds the checker's summary once the walk is over.
 * The findings never stop the walk: a sink decides what they mean (extract
 * and the analyses ignore them, as a lenient receiver would).
 *
 * The receiver walks the stream and calls a sink (struct xsri_scan_cb):
 *   event       every walker event (PAGE_DATA: before its batch);
 *   iter_begin  a new iteration starts with this PAGE_DATA record;
 *   batch       ≤ XSR_PAGE_BATCH_MAX pfn entries of a PAGE_DATA record, before
 *               their pages: populate them in one call; their data pages
 *               are contiguous (b->data), a view into the input;
 *   page        each valid pfn entry, frame state already updated: write
 *               pg->data, mark XTAB/BROKEN, or compare when pg->verify;
 *   record_end  after the last page of the record.
 * Page data is never copied: pg->data and the batch's data point into
 * the reader's buffer or the input's mapping and stay valid until the
 * callback for the next event; a sink that needs them later copies them.
 * A callback's negative return stops the walk with that error.
 */
#ifndef XSR_RECEIVE_RECEIVE_H
#define XSR_RECEIVE_RECEIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/analyze.h>
#include <xsr/check.h>
#include <xsr/stream.h>

#include "check/walk.h"

/* ------------------------------------------------------ per-frame state */

/* 16 bits per frame. */
#define XSRI_PF_TYPE 0x000fu     /* last type the frame was sent with */
#define XSRI_PF_SEEN 0x0010u     /* named outside a verify pass */
#define XSRI_PF_DATA 0x0020u     /* holds data now */
#define XSRI_PF_HAD_DATA 0x0040u /* held data at some point */
#define XSRI_PF_PASS 0x0080u     /* named in the current iteration */
#define XSRI_PF_SENT_SHIFT 8     /* times named (outside verify), saturating */
#define XSRI_PF_SENT_MAX 255u

static inline unsigned xsri_pf_sent(uint16_t st) { return st >> XSRI_PF_SENT_SHIFT; }
/* The receiver populates a frame last sent as XALLOC without writing it: it
 * restores as a zero page (whatever it held before, as extract writes it). */
static inline bool xsri_pf_zero_page(uint16_t st)
{
    return (st & (XSRI_PF_SEEN | XSRI_PF_DATA | XSRI_PF_TYPE)) == (XSRI_PF_SEEN | XSR_PFN_XALLOC);
}
/* The frame has memory after a restore: its data, or a zero page. */
static inline bool xsri_pf_memory(uint16_t st) { return (st & XSRI_PF_DATA) || xsri_pf_zero_page(st); }

struct xsri_pfns {
    uint16_t *st;      /* cap entries */
    uint64_t *aux;     /* cap entries if want_aux, else NULL */
    bool want_aux;
    uint64_t cap;
    uint64_t limit;    /* pfns must be below */
    bool any;
    uint64_t max_pfn;  /* highest pfn reserved (valid if any) */
    /* pfns marked XSRI_PF_PASS, to clear them cheaply at the next pass;
     * grown up to 1 in 32 frames of cap, so that a sweep of the whole state
     * (pass_overflow) costs at most 32 frames per frame the pass named */
    uint64_t *pass_list;
    size_t pass_n, pass_cap;
    bool pass_overflow;
};

int xsri_pfns_init(struct xsri_pfns *p, uint64_t limit, bool aux, struct xsr_error *err);
void xsri_pfns_free(struct xsri_pfns *p);
/* Make room for pfn (grows geometrically, new entries zero). */
int xsri_pfns_reserve(struct xsri_pfns *p, uint64_t pfn, struct xsr_error *err);
/* Mark pfn as named in the current pass. */
void xsri_pfns_mark_pass(struct xsri_pfns *p, uint64_t pfn);
/* Forget the current pass. */
void xsri_pfns_clear_pass(struct xsri_pfns *p);
/* Frames known: max_pfn + 1, or 0. */
static inline uint64_t xsri_pfns_count(const struct xsri_pfns *p) { return p->any ? p->max_pfn + 1 : 0; }

/* -------------------------------------------------------------- scanner */

struct xsri_page {
    uint64_t pfn;
    unsigned type;          /* XSR_PFN_* */
    const uint8_t *data;    /* 4096 bytes, or NULL if the type carries none */
    uint64_t offset;        /* in the input: of the data, or of the pfn word */
    uint16_t prev;          /* frame state before this entry */
    bool verify;            /* a verification copy (state not changed) */
};

struct xsri_scan;

/* A batch of a PAGE_DATA record: pfn entries [first, first + count) of pd,
 * count ≤ XSR_PAGE_BATCH_MAX (a longer record comes as several batches),
 * before any page of the batch is applied. */
struct xsri_batch {
    const struct xsr_page_data *pd; /* the whole record, decoded (views) */
    uint32_t first, count;
    const uint8_t *data;            /* the batch's data pages, contiguous */
    uint32_t data_pages;
    uint64_t data_offset;           /* of data in the input */
    bool verify;                    /* after VERIFY: its pages are compared */
};

/* The sink (see the top of this file). */
struct xsri_scan_cb {
    void *ctx;
    /* Every walker event (for PAGE_DATA: after iteration bookkeeping, before
     * its pages). May be NULL. */
    int (*event)(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err);
    /* A new iteration starts with this PAGE_DATA record. May be NULL. */
    int (*iter_begin)(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err);
    /* Each batch of a PAGE_DATA record (after event), before its pages:
     * frame state not yet updated, s->pfns holds what the receiver had (the
     * frames of the whole record are reserved already). May be NULL. */
    int (*batch)(void *ctx, struct xsri_scan *s, const struct xsri_batch *b, struct xsr_error *err);
    /* Every valid pfn entry of a PAGE_DATA record, state already updated.
     * pg->data is valid until record_end returns. */
    int (*page)(void *ctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err);
    /* After the last page of a PAGE_DATA record. May be NULL. */
    int (*record_end)(void *ctx, struct xsri_scan *s, struct xsr_error *err);
    /* The checker's options (NULL = strict, findings only counted). */
    const struct xsr_check_opts *check;
};

struct xsri_scan {
    struct xsri_pfns pfns;
    /* learnt from the stream */
    uint32_t dom_type;
    uint32_t version;
    enum xsr_byte_order order;
    unsigned guest_width;
    uint32_t xen_major, xen_minor;
    /* progress of the walk */
    uint64_t records;          /* libxc records */
    uint64_t page_records;
    uint64_t checkpoints;
    uint64_t since_checkpoint; /* data pages applied since the last CHECKPOINT */
    uint64_t iters;            /* iterations started */
    bool verify;               /* a VERIFY record was seen */
    bool complete;             /* the walk ended cleanly */
    uint64_t bytes;            /* offset reached */
    int64_t total;             /* input size, -1 unknown */
    /* the check: during the walk, the checked walk itself (ev_errors, its
     * summary so far); after it, the checker's summary (end-of-stream rules
     * included when the walk got that far) */
    const struct xsri_check_walk *cw;
    struct xsr_check_summary check;
    /* internal */
    bool page_run;             /* the last libxc record was PAGE_DATA */
    uint64_t next_progress;
};

/*
 * Walk in to the end, checked.  aux: allocate a u64 per frame for the client.
 * Returns 0 at a clean end, the walker's or a callback's error otherwise
 * (state and counters stay valid for what was walked).  Legacy streams give
 * XSR_EUNSUP.
 */
int xsri_scan_run(struct xsr_chan *in, const struct xsr_analyze_opts *o, bool aux,
                  const struct xsri_scan_cb *cb, struct xsri_scan *s, struct xsr_error *err);
/* Free the state (the struct itself is the caller's). */
void xsri_scan_free(struct xsri_scan *s);

#endif
