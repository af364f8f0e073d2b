/* SPDX-License-Identifier: MIT */
/* Internals of the legacy stream converter: input, output and Remus parts. */
#ifndef XSR_LEGACY_INTERNAL_H
#define XSR_LEGACY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/convert.h>
#include <xsr/io.h>
#include <xsr/stream.h>

#include "convert_internal.h"

/* ----------------------------------------------------------------- input */
/*
 * Exact reads from the input channel with the byte offset of every
 * structure, errors that say what was being read where, a few bytes of
 * look-ahead (to tell what follows a tail), and zero-copy views when the
 * channel can give them.
 */
#define XSRI_LIN_PEEK_MAX 64u

struct xsri_lin {
    struct xsr_chan *ch;
    struct xsr_error *err;
    bool can_view;
    uint8_t *scratch;          /* copies of what cannot be viewed */
    size_t scratch_cap;
    uint8_t peek[XSRI_LIN_PEEK_MAX]; /* read ahead, not consumed yet */
    size_t peek_len, peek_pos;
    uint64_t consumed;         /* offset of the next byte handed out */
    int64_t size;
    xsr_progress_fn progress;
    void *progress_ctx;
    uint64_t next_progress;
};

int xsri_lin_init(struct xsri_lin *in, struct xsr_chan *ch, struct xsr_error *err);
void xsri_lin_fini(struct xsri_lin *in);
static inline uint64_t xsri_lin_off(const struct xsri_lin *in) { return in->consumed; }
/* Point *p at the next n bytes (view or internal copy, valid until the next
 * call) and consume them.  Truncation is reported naming `what`, located at
 * the offset it started at. */
int xsri_lin_get(struct xsri_lin *in, size_t n, const uint8_t **p, const char *what);
/* Copy the next n bytes into dst. */
int xsri_lin_read(struct xsri_lin *in, void *dst, size_t n, const char *what);
int xsri_lin_skip(struct xsri_lin *in, uint64_t n, const char *what);
/* Look at up to n (<= XSRI_LIN_PEEK_MAX) next bytes without consuming them;
 * *got may be less than n at the end of the input. */
int xsri_lin_peek(struct xsri_lin *in, size_t n, const uint8_t **p, size_t *got);
/* Read up to n bytes into dst; *got is 0 only at the end of the input. */
int xsri_lin_read_some(struct xsri_lin *in, void *dst, size_t n, size_t *got);
/* Consume and count everything up to the end of the input. */
int xsri_lin_drain(struct xsri_lin *in, uint64_t *n);
/* A format error located at offset. */
int xsri_lin_fail(struct xsri_lin *in, uint64_t offset, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------------- output */
/*
 * The records of the converted stream, in the order and byte layout Xen's
 * converter writes them for version 3; for version 4, X86_TSC_INFO and
 * SHARED_INFO are held back and written as one DOMAIN_CONTEXT after the
 * memory, before the vCPU / HVM records (PV vCPU records are held until the
 * shared info arrives, which the legacy tail sends last).
 */
struct xsri_lout {
    struct xsr_chan *ch;
    struct xsr_builder *b;           /* from xsri_lout_headers on */
    struct xsr_error *err;
    bool xl;                         /* an xl header goes in front (libxl output) */
    struct xsr_xl_hdr xl_hdr;
    uint8_t *xl_data;                /* its optional data, kept until the headers */
    uint32_t version;
    bool libxl;
    bool pv;
    unsigned guest_width;
    uint16_t xen_major, xen_minor;   /* of the domain header, for v4 HEADER */
    bool have_tsc;
    struct xsr_tsc_info tsc;
    bool context_written;            /* v4: this checkpoint's DOMAIN_CONTEXT */
    uint8_t *held;                   /* v4 PV: framed vCPU records */
    size_t held_len, held_cap;
};

/* Keep the input's xl header (and a copy of its optional data) for the output. */
int xsri_lout_xl(struct xsri_lout *o, const struct xsr_xl_hdr *h, const uint8_t *data);
/* The headers of every layer (the stream builder starts here). */
int xsri_lout_headers(struct xsri_lout *o, uint32_t dom_type);
int xsri_lout_record(struct xsri_lout *o, uint32_t type, const void *body, uint32_t len);
int xsri_lout_pv_info(struct xsri_lout *o, unsigned guest_width, unsigned levels);
int xsri_lout_page_data(struct xsri_lout *o, uint32_t count, const uint64_t *words,
                        const uint8_t *data, size_t data_len);
int xsri_lout_tsc(struct xsri_lout *o, const struct xsr_tsc_info *tsc);
/* End of a checkpoint's memory (HVM v4: the DOMAIN_CONTEXT goes here). */
int xsri_lout_end_of_memory(struct xsri_lout *o);
int xsri_lout_vcpu(struct xsri_lout *o, uint32_t type, uint32_t vcpu, const uint8_t *ctx,
                   uint32_t len);
int xsri_lout_shared_info(struct xsri_lout *o, const uint8_t page[XSR_SHARED_INFO_SIZE],
                          uint64_t in_offset);
/* HVM_PARAMS from count (index, value) pairs. */
int xsri_lout_hvm_params(struct xsri_lout *o, const uint64_t *pairs, uint32_t count);
/* The libxc END (final) or a CHECKPOINT. */
int xsri_lout_end_image(struct xsri_lout *o, bool final);
/* libxl records (emulator id 0: converted from legacy); the builder writes
 * CHECKPOINT_END and END. */
int xsri_lout_libxl(struct xsri_lout *o, uint32_t type, const uint8_t *data, size_t len,
                    bool emulator);
/* Every END still missing (libxl output). */
int xsri_lout_end(struct xsri_lout *o);
/* Bytes after the END of a bare libxc output. */
int xsri_lout_trailing(struct xsri_lout *o, const void *buf, size_t n);
void xsri_lout_fini(struct xsri_lout *o);

/* --------------------------------------------------------------- Remus */
/*
 * Compressed checkpoints: page batches announce their pfns first; the pages
 * arrive later in compressed-data chunks.  Batches wait in a queue and are
 * written as PAGE_DATA as their pages are decoded.
 */
struct xsri_remus;
struct xsri_remus *xsri_remus_new(uint32_t cache_pages, struct xsr_error *err);
void xsri_remus_free(struct xsri_remus *r);
/* Queue a batch (validated entries, legacy words) read at offset. */
int xsri_remus_batch(struct xsri_remus *r, struct xsri_lout *out, const uint32_t *words,
                     uint32_t n, uint64_t offset, struct xsr_error *err);
/* Decode size bytes of compressed data from in (a chunk at offset). */
int xsri_remus_data(struct xsri_remus *r, struct xsri_lin *in, struct xsri_lout *out,
                    uint64_t size, uint64_t offset);
/* End of a checkpoint's body at offset: every announced page must be in. */
int xsri_remus_end(struct xsri_remus *r, uint64_t offset, struct xsr_error *err);
uint64_t xsri_remus_pages(const struct xsri_remus *r);

#endif
