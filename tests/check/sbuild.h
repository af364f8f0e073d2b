/* SPDX-License-Identifier: MIT */
/*
 * A small stream builder for the checker's tests: a save image as a list of
 * items (headers and records of each layer) that a test can edit (insert,
 * remove, change bodies or padding) before serialising it byte for byte.
 * Everything is encoded here by hand, so the tests do not depend on the
 * encoders they might otherwise share a bug with.
 */
#ifndef XSR_TEST_SBUILD_H
#define XSR_TEST_SBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/xsr.h>

enum sb_kind {
    SB_XL_HDR,     /* 48 bytes + optional data */
    SB_LIBXL_HDR,  /* 16 bytes */
    SB_IHDR,       /* 24 bytes */
    SB_DHDR,       /* 16 bytes */
    SB_REC,        /* a record of item.layer */
    SB_RAW,        /* bytes as they are */
};

struct sb_item {
    enum sb_kind kind;
    enum xsr_layer layer; /* SB_REC: XSR_LAYER_LIBXL or XSR_LAYER_LIBXC */
    uint32_t type;
    uint8_t *body;
    uint32_t len;
    uint8_t pad_fill;     /* byte written as padding (0 = valid) */
};

struct sb {
    struct sb_item *items;
    size_t n, cap;
    enum xsr_byte_order order;       /* libxc records and domain header */
    enum xsr_byte_order libxl_order;
    uint32_t version, dom_type;
    unsigned width;
};

#define SB_NONE ((size_t)-1)

void sb_init(struct sb *s, enum xsr_byte_order order);
void sb_free(struct sb *s);

/* Append / insert an item (body copied; body NULL = len zero bytes). */
size_t sb_add(struct sb *s, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
              const void *body, uint32_t len);
size_t sb_insert(struct sb *s, size_t at, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
                 const void *body, uint32_t len);
/* Shorthands for records. */
size_t sb_rec(struct sb *s, uint32_t type, const void *body, uint32_t len);       /* libxc */
size_t sb_libxl_rec(struct sb *s, uint32_t type, const void *body, uint32_t len); /* libxl */
size_t sb_insert_rec(struct sb *s, size_t at, uint32_t type, const void *body, uint32_t len);
void sb_remove(struct sb *s, size_t at);
void sb_set_body(struct sb *s, size_t i, const void *body, uint32_t len);
/* Index of the nth (0-based) item of that kind/layer/type, or SB_NONE. */
size_t sb_find(const struct sb *s, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
               unsigned nth);
size_t sb_find_rec(const struct sb *s, uint32_t type, unsigned nth); /* libxc record */
size_t sb_find_kind(const struct sb *s, enum sb_kind kind);
/* Move item i to just before item j (indices before the move). */
void sb_move(struct sb *s, size_t i, size_t j);

/* Serialise into a malloc'd buffer. */
uint8_t *sb_bytes(const struct sb *s, size_t *len);

/* ---- valid streams */
/* Bare libxc PV stream (width 8 or 4) of version 2, 3 or 4. */
void sb_pv(struct sb *s, uint32_t version, unsigned width);
/* Bare libxc HVM stream. */
void sb_hvm(struct sb *s, uint32_t version);
/* Wrap what is there in a libxl stream (header, LIBXC_CONTEXT, [emulator records], END). */
void sb_wrap_libxl(struct sb *s, enum xsr_byte_order order);
/* Wrap in an xl header with a JSON config. */
void sb_wrap_xl(struct sb *s, enum xsr_byte_order order);

/* ---- bodies (caller frees) */
uint8_t *sb_domctx_blob(enum xsr_byte_order o, unsigned width, bool pv, uint32_t *len);
uint8_t *sb_hvmctx_blob(enum xsr_byte_order o, uint32_t *len);
/* A PAGE_DATA body for count words (types with data get a 4096-byte page). */
uint8_t *sb_page_data(enum xsr_byte_order o, const uint64_t *words, uint32_t count,
                      uint32_t *len);

#endif
