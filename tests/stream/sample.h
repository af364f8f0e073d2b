/* SPDX-License-Identifier: MIT */
/*
 * Hand-built streams for the stream-layer tests.  A builder writes a stream
 * with the writer into memory and records, for every header and record, the
 * event the walker must report (kind, layer, index, type, offset).
 */
#ifndef XSR_TESTS_STREAM_SAMPLE_H
#define XSR_TESTS_STREAM_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/stream.h>

#define SAMPLE_MAX_EVENTS 128

struct exp_ev {
    enum xsr_event_kind kind;
    enum xsr_layer layer;
    int64_t index;
    uint32_t type;   /* records */
    uint32_t length; /* records: body length; xl header: optional data length */
    uint64_t offset;
};

struct sample {
    uint8_t *buf; /* after sb_finish */
    size_t len;
    struct exp_ev ev[SAMPLE_MAX_EVENTS];
    size_t nev;
    /* building */
    struct xsr_chan *ch;
    struct xsr_writer *w;
    int64_t libxl_idx, libxc_idx;
    enum xsr_byte_order libxl_order, libxc_order;
};

/* Body byte i of a record of the given type (so bodies can be checked). */
static inline uint8_t sample_body_byte(uint32_t type, uint32_t i)
{
    return (uint8_t)(type * 17u + i * 5u + 1u);
}

void sb_begin(struct sample *s, size_t batch);
void sb_xl(struct sample *s, enum xsr_byte_order o, bool streamv2, uint32_t optional_len);
void sb_libxl_hdr(struct sample *s, enum xsr_byte_order o);
void sb_libxl_rec(struct sample *s, uint32_t type, uint32_t len);
void sb_ihdr(struct sample *s, uint32_t version, enum xsr_byte_order o);
void sb_dhdr(struct sample *s);
void sb_rec(struct sample *s, uint32_t type, uint32_t len);
/* Bytes that are not a structure (trailing data, a legacy stream). */
void sb_raw(struct sample *s, const void *buf, size_t n);
/* Expect an event without writing anything (LEGACY). */
void sb_expect(struct sample *s, enum xsr_event_kind kind, enum xsr_layer layer);
void sb_finish(struct sample *s);
void sample_free(struct sample *s);

/* The samples used throughout. */
void sample_xl_libxl_libxc(struct sample *s);    /* xl + libxl + libxc, little-endian */
void sample_bare_libxc_be(struct sample *s);     /* bare libxc v4, big-endian */
void sample_bare_libxl(struct sample *s);        /* bare libxl + libxc */
void sample_checkpointed(struct sample *s);      /* libxl with two checkpoints */
void sample_libxc_checkpoints(struct sample *s); /* bare libxc with CHECKPOINT records */

/* Channels over a byte buffer, by kind. */
enum chan_kind { CK_MEM, CK_MMAP, CK_FD_FILE, CK_PIPE, CK_FAULT, CK_COUNT };
const char *chan_kind_name(enum chan_kind k);
/* A reading channel over buf; for CK_PIPE a thread feeds it in small pieces
 * (joined by chan_done).  Files are temporary and unlinked at once. */
struct xsr_chan *chan_over(enum chan_kind k, const uint8_t *buf, size_t len);
void chan_done(struct xsr_chan *ch);

/* Walk the whole input, checking every event against s->ev; returns the
 * final walker result (0 expected) and copies events through the writer into
 * a memory buffer (*out, malloc'd) when out is non-NULL. */
int walk_and_check(const struct sample *s, struct xsr_chan *ch, size_t trailing_chunk,
                   uint8_t **out, size_t *out_len);

#endif
