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

/* Per-frame state is kept in leaves, one per block of XSRI_LEAF_FRAMES
 * frames the stream names, found through a hash directory, so that it costs
 * what the stream names, not its highest pfn.  A leaf holds up to
 * XSRI_FEW_MAX frames that never had data in a few bytes (a stream that
 * names frames far apart pays about 60 bytes a frame, not a whole block),
 * and becomes dense when it gets more, or a data page. */
#define XSRI_LEAF_SHIFT 6
#define XSRI_LEAF_FRAMES (1u << XSRI_LEAF_SHIFT)
#define XSRI_FEW_MAX 5

struct xsri_leaf {
    uint64_t base;                  /* first pfn, a multiple of XSRI_LEAF_FRAMES */
    /* a leaf of few frames: 1..XSRI_FEW_MAX frames, by slot; 0 if dense */
    uint8_t few;
    uint8_t few_slot[XSRI_FEW_MAX]; /* ascending */
    uint16_t few_st[XSRI_FEW_MAX];
    /* a dense leaf only (a leaf of few frames is allocated without them) */
    uint64_t mark;                  /* a bit per frame for the client (xsri_pfns_set_mark) */
    /* a word per frame for the client, if want_aux: from the leaf's first
     * data page on (a page costs the stream 4 KiB, a pfn word 8) */
    uint64_t *aux;
    uint16_t st[XSRI_LEAF_FRAMES];  /* XSRI_PF_* */
};

struct xsri_pfns {
    /* open addressing on the leaf's number; NULL is a free slot */
    struct xsri_leaf **dir;
    size_t dir_mask;
    unsigned dir_bits;
    size_t nleaves, dense;
    /* the leaves in pfn order, once sorted (xsri_pfns_sort); room for
     * every leaf is kept so that sorting cannot fail */
    struct xsri_leaf **leaf;
    bool sorted;
    struct xsri_leaf *last;         /* the leaf reserved last */
    bool want_aux;
    uint64_t limit;    /* pfns must be below */
    bool any;
    uint64_t max_pfn;  /* highest pfn reserved (valid if any) */
    /* pfns marked XSRI_PF_PASS, to clear them cheaply at the next pass;
     * grown up to 1 in 32 of the frames held, so that a sweep of every leaf
     * (pass_overflow) costs at most 32 frames per frame the pass named */
    uint64_t *pass_list;
    size_t pass_n, pass_cap;
    bool pass_overflow;
};

int xsri_pfns_init(struct xsri_pfns *p, uint64_t limit, bool aux, struct xsr_error *err);
void xsri_pfns_free(struct xsri_pfns *p);
/* Make room for pfn, and for its client word and bit if it comes with data.
 * On failure the state is as before.  Pointers from xsri_pfns_st and
 * xsri_pfns_aux are valid until the next reserve. */
int xsri_pfns_reserve(struct xsri_pfns *p, uint64_t pfn, bool data, struct xsr_error *err);
/* The leaf holding pfn's block, or NULL. */
struct xsri_leaf *xsri_pfns_leaf(const struct xsri_pfns *p, uint64_t pfn);
/* A frame's state: 0 if never reserved. */
uint16_t xsri_pfns_get(const struct xsri_pfns *p, uint64_t pfn);
/* The state of a reserved pfn. */
uint16_t *xsri_pfns_st(struct xsri_pfns *p, uint64_t pfn);
/* The client word and bit of a pfn reserved with data. */
static inline uint64_t *xsri_pfns_aux(struct xsri_pfns *p, uint64_t pfn)
{
    return &xsri_pfns_leaf(p, pfn)->aux[pfn & (XSRI_LEAF_FRAMES - 1)];
}
void xsri_pfns_set_mark(struct xsri_pfns *p, uint64_t pfn, bool on);
/* Mark pfn as named in the current pass. */
void xsri_pfns_mark_pass(struct xsri_pfns *p, uint64_t pfn);
/* Forget the current pass. */
void xsri_pfns_clear_pass(struct xsri_pfns *p);
/* Put the leaves in pfn order (xsri_scan_run does at its end). */
void xsri_pfns_sort(struct xsri_pfns *p);
/* Frames known: max_pfn + 1, or 0. */
static inline uint64_t xsri_pfns_count(const struct xsri_pfns *p) { return p->any ? p->max_pfn + 1 : 0; }
/* Bytes the state takes (leaves, directory, pass list), malloc's own
 * overhead aside. */
uint64_t xsri_pfns_bytes(const struct xsri_pfns *p);

/* The frames with a state (not 0) in [from, end), in pfn order, of a sorted
 * state:
 *     struct xsri_pfn_iter it;
 *     for (xsri_pfns_iter(&it, p, 0, UINT64_MAX); xsri_pfns_next(&it);)
 *         use it.pfn, it.st
 * Frames without a state were never named: absent from a restored guest. */
struct xsri_pfn_iter {
    const struct xsri_pfns *p;
    size_t i;                       /* leaf looked at */
    unsigned pos;                   /* next slot (dense) or entry (few) looked at in it */
    uint64_t end;
    const struct xsri_leaf *leaf;   /* of the frame returned */
    unsigned slot;                  /* of the frame returned, in its leaf */
    uint64_t pfn;
    uint16_t st;
};

void xsri_pfns_iter(struct xsri_pfn_iter *it, const struct xsri_pfns *p, uint64_t from, uint64_t end);
static inline bool xsri_pfns_next(struct xsri_pfn_iter *it)
{
    const struct xsri_pfns *p = it->p;
    for (; it->i < p->nleaves; it->i++, it->pos = 0) {
        const struct xsri_leaf *l = p->leaf[it->i];
        unsigned n = l->few ? l->few : XSRI_LEAF_FRAMES;
        while (it->pos < n) {
            unsigned j = l->few ? l->few_slot[it->pos] : it->pos;
            uint16_t st = l->few ? l->few_st[it->pos] : l->st[j];
            it->pos++;
            if (l->base + j >= it->end) {
                it->i = p->nleaves;
                return false;
            }
            if (st) {
                it->leaf = l;
                it->slot = j;
                it->pfn = l->base + j;
                it->st = st;
                return true;
            }
        }
    }
    return false;
}
/* The client word of the frame returned, if it has data. */
static inline uint64_t xsri_pfn_iter_aux(const struct xsri_pfn_iter *it) { return it->leaf->aux[it->slot]; }
/* The client bit of the frame returned (never set on a frame without data). */
static inline bool xsri_pfn_iter_mark(const struct xsri_pfn_iter *it)
{
    return !it->leaf->few && (it->leaf->mark >> it->slot & 1);
}

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
