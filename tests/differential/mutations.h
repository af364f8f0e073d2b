/* SPDX-License-Identifier: MIT */
/*
 * Targeted mutations of valid streams, one per rule (or per difference), as
 * data: what to change, on which kinds of stream it applies, and what both
 * verifiers are expected to say.
 */
#ifndef XSR_TEST_MUTATIONS_H
#define XSR_TEST_MUTATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "differences.h"
#include "streammap.h"

/* A valid stream that mutations start from. */
struct base {
    const char *name;
    uint32_t version, dom_type;
    unsigned width;
    enum xsr_layer wrap;
    uint8_t *buf;
    size_t len;
    struct sm_map map;
    enum xsr_byte_order order;
};

enum mut_op {
    OP_POKE,           /* set (or OR in) a field of a header or record */
    OP_COPY,           /* copy a field of a record body over another */
    OP_REMOVE,         /* drop a record */
    OP_DUP,            /* repeat a record right after itself */
    OP_MOVE_BEFORE,    /* move record `at` before record `at2` */
    OP_SWAP,           /* exchange the places of two records */
    OP_INSERT_BEFORE,  /* a new record before `at` */
    OP_RESIZE,         /* grow (zeros) or shrink a record body by delta */
    OP_REPLACE_BODY,   /* give a record a new body */
    OP_PADDING,        /* a non-zero padding byte after `at` (grown by delta if unpadded) */
    OP_APPEND,         /* bytes after the end */
    OP_CUT_AT,         /* cut the stream where `at` starts */
    OP_CUT_HALF,       /* cut the stream in the middle */
    OP_DUP_LIBXC,      /* a second LIBXC_CONTEXT with a whole libxc stream */
    OP_REMOVE_LIBXC,   /* no LIBXC_CONTEXT and no libxc stream */
};

/* A header (kind) or the nth record of a type (kind RECORD / LIBXL_RECORD). */
struct where {
    enum xsr_event_kind kind;
    uint32_t type;
    unsigned nth;
};

/* Which streams a mutation applies to: bit masks, 0 = any. */
#define G_PV 0x1u
#define G_HVM 0x2u
#define W_LIBXC 0x1u
#define W_LIBXL 0x2u
#define W_XL 0x4u
#define W_WRAPPED (W_LIBXL | W_XL)
#define V_2 0x1u
#define V_3 0x2u

struct mutation {
    const char *name;
    unsigned guests, wraps, versions;
    enum mut_op op;
    struct where at, at2;
    int off;              /* POKE/COPY: byte offset in the body (negative: record header) or header */
    unsigned width;       /* POKE/COPY: 1, 2, 4 or 8 */
    uint64_t value;       /* POKE: value; COPY: source offset */
    enum { POKE_SET = 0, POKE_OR, POKE_XOR } mode; /* POKE: how value is applied */
    int delta;            /* RESIZE, PADDING */
    uint32_t ins_type;    /* INSERT_BEFORE */
    const void *body;     /* INSERT_BEFORE, REPLACE_BODY, APPEND */
    uint32_t body_len;
    /* Expectation: with diff D_NONE both verifiers say `valid`; otherwise
     * they differ as the difference says. */
    enum diff_id diff;
    bool valid;
    const char *rule;     /* a rule xsr must report (an error unless valid), or NULL */
};

extern const struct mutation mutations[];
extern const size_t nr_mutations;

bool mutation_applies(const struct mutation *m, const struct base *b);
/* The mutated stream (malloc'd), or NULL if the base lacks the target. */
uint8_t *mutation_apply(const struct mutation *m, const struct base *b, size_t *len);

#endif
