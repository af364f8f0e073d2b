/* SPDX-License-Identifier: MIT */
/*
 * The dump's emitter: decoders describe what they found once (objects,
 * lists, scalars with keys), and the emitter renders it either as indented
 * text or as json-c objects.  Keys are the same in both, so the text dump
 * and doc/json.md share one vocabulary.
 *
 * Text rendering: scalars in a block object print as "key: value" lines; an
 * inline object prints as "key: a=1 b=2" on one line; a list of scalars
 * prints as "key: v1, v2"; a list of objects prints one "- a=1 b=2" line
 * per item.  A flat object (XSRI_FLAT) adds no heading and no indentation
 * in text; in JSON it is an ordinary object.
 *
 * JSON rendering: each top-level object (depth 0) is built as a json-c tree
 * and written by xsri_emit_json_flush(), so memory stays bounded by one item.
 */
#ifndef XSR_INSPECT_DUMP_EMIT_H
#define XSR_INSPECT_DUMP_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct xsri_emit;

enum xsri_obj_style { XSRI_BLOCK = 0, XSRI_INLINE = 1, XSRI_FLAT = 2 };

/* text: renders to out as it goes; indent: spaces before depth-0 fields. */
struct xsri_emit *xsri_emit_text_new(FILE *out, unsigned indent);
struct xsri_emit *xsri_emit_json_new(void);
void xsri_emit_free(struct xsri_emit *e);
bool xsri_emit_is_json(const struct xsri_emit *e);
/* true once an allocation failed (output from then on is incomplete) */
bool xsri_emit_failed(const struct xsri_emit *e);

/* key is NULL for items of a list (and for the JSON root). */
void xsri_emit_obj_begin(struct xsri_emit *e, const char *key, enum xsri_obj_style style);
void xsri_emit_obj_end(struct xsri_emit *e);
void xsri_emit_list_begin(struct xsri_emit *e, const char *key);
void xsri_emit_list_end(struct xsri_emit *e);

void xsri_emit_uint(struct xsri_emit *e, const char *key, uint64_t v);  /* v < 2^53; decimal */
void xsri_emit_int(struct xsri_emit *e, const char *key, int64_t v);
void xsri_emit_xnum(struct xsri_emit *e, const char *key, uint64_t v);  /* v < 2^53; hex in text */
void xsri_emit_hex64(struct xsri_emit *e, const char *key, uint64_t v); /* JSON: "0x..." string */
/* A 64-bit quantity (nanoseconds...): decimal in text, "0x..." string in JSON. */
void xsri_emit_u64(struct xsri_emit *e, const char *key, uint64_t v);
void xsri_emit_str(struct xsri_emit *e, const char *key, const char *s); /* NULL: null */
/* n bytes that may lack a NUL or hold odd bytes: made printable in text. */
void xsri_emit_strn(struct xsri_emit *e, const char *key, const char *s, size_t n);
void xsri_emit_bool(struct xsri_emit *e, const char *key, bool v);
void xsri_emit_null(struct xsri_emit *e, const char *key);
/* A JSON value as it is (v keeps the caller's reference): in JSON, the value
 * itself; in text, pretty-printed JSON lines under "key:" (a block object's
 * field) or compact JSON on the line (elsewhere). */
void xsri_emit_json_value(struct xsri_emit *e, const char *key, struct json_object *v);

/*
 * JSON only: key gets a placeholder that the writer of the finished object
 * replaces with a value it writes itself (a list too long to build as a
 * tree).  The placeholder is a string of control characters, which no
 * string of the emitter holds (they become "\xNN"); a JSON value the stream
 * supplies (xsri_emit_json_value) may, so the writer looks for
 * XSRI_JSON_SPLICE_TEXT only in an object that xsri_emit_json_take says has
 * a placeholder, and no such object carries a stream's JSON value.
 */
#define XSRI_JSON_SPLICE "\001splice\001"
#define XSRI_JSON_SPLICE_TEXT "\"\\u0001splice\\u0001\""
void xsri_emit_json_splice(struct xsri_emit *e, const char *key);

/* Text only (ignored in JSON): a raw line at the current indentation. */
void xsri_emit_text_line(struct xsri_emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Printable ASCII and valid UTF-8 kept, other bytes as "\xNN" (malloc'd;
 * NULL if out of memory).  Used for every string the stream supplies. */
char *xsri_clean_string(const char *s, size_t n);

/* JSON only: the finished depth-0 object (the caller owns it), or NULL;
 * *spliced (if not NULL): whether it holds an xsri_emit_json_splice
 * placeholder. */
struct json_object *xsri_emit_json_take(struct xsri_emit *e, bool *spliced);

#endif
