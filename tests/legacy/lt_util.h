/* SPDX-License-Identifier: MIT */
/* Helpers of the legacy and convert tests: generate, convert, list records. */
#ifndef XSR_LT_UTIL_H
#define XSR_LT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/xsr.h>

#include "xsr_testkit.h"

/* One header or record of a walked image. */
struct lt_rec {
    enum xsr_event_kind kind;
    enum xsr_layer layer;
    uint32_t type;        /* records */
    uint64_t offset;
    uint32_t length;      /* body length of records */
    const uint8_t *body;  /* into the walked buffer */
    unsigned checkpoint;  /* libxc CHECKPOINT records before it */
};

struct lt_list {
    struct lt_rec *r;
    size_t n;
    int walk_rc;          /* what the walker returned last (0: complete) */
    char walk_msg[512];
};

/* Generate a legacy stream into a malloc'd buffer (NULL on failure, with the
 * message printed).  marks (may be NULL) records the generator's marks. */
struct lt_marks {
    size_t n;
    char what[4096][24];
    uint64_t off[4096];
};
uint8_t *lt_gen(const struct xsr_legacy_gen_opts *o, size_t *len, struct lt_marks *marks);
/* Offset of the nth (0-based) mark named what, or UINT64_MAX. */
uint64_t lt_mark(const struct lt_marks *m, const char *what, unsigned nth);

/* Convert in memory; returns xsr_convert_legacy's code, *out malloc'd (also
 * on failure: what was written). */
int lt_convert(const uint8_t *in, size_t len, const struct xsr_legacy_opts *o, uint8_t **out,
               size_t *out_len, struct xsr_legacy_info *info, struct xsr_error *err);
int lt_convert_version(const uint8_t *in, size_t len, const struct xsr_convert_opts *o,
                       uint8_t **out, size_t *out_len, struct xsr_convert_info *info,
                       struct xsr_error *err);

/* Walk an image and list its headers and records (pointers into buf). */
void lt_walk(const uint8_t *buf, size_t len, struct lt_list *l);
void lt_free(struct lt_list *l);
size_t lt_count(const struct lt_list *l, enum xsr_layer layer, uint32_t type);
/* nth record of a type in a layer, NULL if none. */
const struct lt_rec *lt_find(const struct lt_list *l, enum xsr_layer layer, uint32_t type,
                             unsigned nth);

/* xsr_verify on a buffer: 0 valid, 1 invalid; the first error message is
 * copied to msg. */
int lt_verify(const uint8_t *buf, size_t len, bool lenient, char *msg, size_t msg_len);

/* A fresh temporary directory (removed with its files by lt_rmdir). */
char *lt_tmpdir(void);
void lt_rmdir(const char *dir);
/* Number of entries in a directory (not . and ..). */
int lt_dir_entries(const char *dir);

#endif
