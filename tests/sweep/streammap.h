/* SPDX-License-Identifier: MIT */
/*
 * A map of a save image: where each header and record lies, from the
 * library's walker.  Used by the sweep, differential and fixture tests to
 * find the bytes they flip, cut or compare, and by helpers that edit a
 * stream (insert, delete, replace bytes) to build broken variants.
 */
#ifndef XSR_TEST_STREAMMAP_H
#define XSR_TEST_STREAMMAP_H

#include <stddef.h>
#include <stdint.h>

#include <xsr/xsr.h>

struct sm_item {
    enum xsr_event_kind kind;
    enum xsr_layer layer;
    uint64_t offset;   /* of the header or record */
    uint64_t size;     /* bytes it occupies (record: header + body + padding) */
    uint32_t type;     /* record type (records only) */
    uint32_t length;   /* record body length; header: raw length */
    int64_t index;     /* record index within its layer */
};

struct sm_map {
    struct sm_item *items;
    size_t n;
    int walk_rc;       /* last xsr_walker_next result: 0 complete, <0 failed */
    char walk_msg[XSR_ERROR_MSG_MAX + 128];
};

/* Walk buf and record every event.  Returns 0 (the map may be partial:
 * see walk_rc) or -1 if the walker could not be created. */
int sm_build(const uint8_t *buf, size_t len, struct sm_map *m);
void sm_free(struct sm_map *m);

/* The nth (0-based) record of a layer with a type, or NULL. */
const struct sm_item *sm_record(const struct sm_map *m, enum xsr_layer layer, uint32_t type,
                                unsigned nth);
/* The first event of a kind, or NULL. */
const struct sm_item *sm_kind(const struct sm_map *m, enum xsr_event_kind kind);
/* Number of records of a layer and type. */
unsigned sm_count(const struct sm_map *m, enum xsr_layer layer, uint32_t type);

/* Byte edits: each returns a new malloc'd buffer (*len updated), the input
 * is left alone.  NULL on allocation failure. */
uint8_t *ed_splice(const uint8_t *buf, size_t *len, uint64_t at, uint64_t remove,
                   const void *insert, size_t insert_len);
/*
 * A smaller copy of a valid stream: only the first keep_pages pages that
 * carry data are kept in the PAGE_DATA records (the other data-carrying pfn
 * entries are dropped, entries without data stay, and a record left with no
 * pfn at all is dropped).  The generator writes at least 16 pages; this gets
 * seeds and sweep inputs down to a few KiB.  NULL if buf cannot be walked.
 */
uint8_t *sm_shrink(const uint8_t *buf, size_t *len, unsigned keep_pages);
/* Encode a record (header, body, zero padding) into a malloc'd buffer. */
uint8_t *ed_record(uint32_t type, const void *body, uint32_t body_len, enum xsr_byte_order o,
                   size_t *out_len);

#endif
