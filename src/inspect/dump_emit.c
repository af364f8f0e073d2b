/* SPDX-License-Identifier: MIT */
/* The dump's emitter: text and JSON renderings of one description. */
#include "dump_emit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define EMIT_DEPTH_MAX 16 /* decoders nest at most a few levels */
#define TEXT_INDENT_STEP 2

enum frame_kind { FRAME_OBJ, FRAME_LIST };

struct frame {
    enum frame_kind kind;
    enum xsri_obj_style style;
    bool in_line;        /* text: rendered on the current line */
    bool braces;         /* text, in_line: closed by '}' or ']' */
    bool newline_after;  /* text: end the line when closed */
    bool scalar_list;    /* text, block list: items are on one line */
    unsigned indent;     /* text: column of this frame's fields */
    unsigned items;
    const char *key;     /* text, block list: printed with the first item */
    struct json_object *obj; /* JSON */
};

struct xsri_emit {
    bool json;
    bool failed;
    FILE *out;
    unsigned base_indent;
    unsigned depth;
    unsigned overflow;   /* frames beyond EMIT_DEPTH_MAX (ignored) */
    struct frame st[EMIT_DEPTH_MAX];
    struct json_object *done; /* JSON: finished root */
    bool spliced;             /* JSON: a placeholder was set since the last take */
};

struct xsri_emit *xsri_emit_text_new(FILE *out, unsigned indent)
{
    struct xsri_emit *e = calloc(1, sizeof(*e));

    if (e) {
        e->out = out;
        e->base_indent = indent;
    }
    return e;
}

struct xsri_emit *xsri_emit_json_new(void)
{
    struct xsri_emit *e = calloc(1, sizeof(*e));

    if (e)
        e->json = true;
    return e;
}

void xsri_emit_free(struct xsri_emit *e)
{
    if (!e)
        return;
    if (e->json) {
        if (e->depth > 0)
            json_object_put(e->st[0].obj);
        json_object_put(e->done);
    }
    free(e);
}

bool xsri_emit_is_json(const struct xsri_emit *e) { return e->json; }
bool xsri_emit_failed(const struct xsri_emit *e) { return e->failed; }

static struct frame *top(struct xsri_emit *e)
{
    return e->depth ? &e->st[e->depth - 1] : NULL;
}

/* ------------------------------------------------------ string cleaning */

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) { len = 2; cp = s[0] & 0x1f; }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) { len = 3; cp = s[0] & 0x0f; }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) { len = 4; cp = s[0] & 0x07; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* Printable ASCII and valid UTF-8 kept; anything else as "\xNN".  The same
 * form in text and JSON, so both show the bytes the stream holds. */
char *xsri_clean_string(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out, *p;

    if (n > (SIZE_MAX - 1) / 4)
        return NULL;
    out = malloc(n * 4 + 1);
    if (!out)
        return NULL;
    p = out;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);

        if (l == 1 && (u[i] < 0x20 || u[i] == 0x7f || u[i] == '\\'))
            l = 0;
        if (l == 0) {
            if (u[i] == '\\') {
                *p++ = '\\'; *p++ = '\\';
            } else {
                p += sprintf(p, "\\x%02x", u[i]);
            }
            i++;
        } else {
            memcpy(p, u + i, l);
            p += l;
            i += l;
        }
    }
    *p = '\0';
    return out;
}

/* ---------------------------------------------------------------- text */

static void t_indent(struct xsri_emit *e, unsigned n)
{
    fprintf(e->out, "%*s", (int)n, "");
}

/* Start a value named key in the top frame: writes what goes before it. */
static void t_before_value(struct xsri_emit *e, const char *key)
{
    struct frame *f = top(e);

    if (!f) /* bare scalar at depth 0: print as a line */
        return;
    if (f->kind == FRAME_LIST) {
        if (f->in_line) {
            if (f->items)
                fputs(", ", e->out);
        } else if (f->items == 0) {
            t_indent(e, f->indent);
            fprintf(e->out, "%s: ", f->key ? f->key : "");
            f->scalar_list = true;
        } else {
            fputs(", ", e->out);
        }
    } else if (f->in_line) {
        if (f->items)
            fputc(' ', e->out);
        fprintf(e->out, "%s=", key ? key : "");
    } else {
        t_indent(e, f->indent);
        fprintf(e->out, "%s: ", key ? key : "");
    }
}

static void t_after_value(struct xsri_emit *e)
{
    struct frame *f = top(e);

    if (!f) {
        fputc('\n', e->out);
        return;
    }
    if (f->kind == FRAME_OBJ && !f->in_line)
        fputc('\n', e->out);
    f->items++;
}

static void t_scalar(struct xsri_emit *e, const char *key, const char *value, bool quote)
{
    const struct frame *f = top(e);

    t_before_value(e, key);
    /* Inside one-line renderings a string that could be mistaken for
     * separators (or is empty) is quoted. */
    if (quote && f && (f->in_line || f->kind == FRAME_LIST) && (!*value || strpbrk(value, " ,=\"{}[]"))) {
        fputc('"', e->out);
        for (const char *p = value; *p; p++) {
            if (*p == '"')
                fputc('\\', e->out);
            fputc(*p, e->out);
        }
        fputc('"', e->out);
    } else {
        fputs(value, e->out);
    }
    t_after_value(e);
}

static struct frame *push(struct xsri_emit *e, enum frame_kind kind, enum xsri_obj_style style)
{
    struct frame *f;

    if (e->depth >= EMIT_DEPTH_MAX) {
        e->overflow++;
        return NULL;
    }
    f = &e->st[e->depth++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->style = style;
    return f;
}

/* A nested object or list in a one-line parent: separator and "key=". */
static void t_inline_key(struct xsri_emit *e, const struct frame *p, const char *key)
{
    if (p->items)
        fputs(p->kind == FRAME_LIST ? ", " : " ", e->out);
    if (p->kind == FRAME_OBJ)
        fprintf(e->out, "%s=", key ? key : "");
}

/* A nested object or list as an item of a block list: "- " on its own line,
 * the list's key on the line before the first item. */
static void t_list_item(struct xsri_emit *e, const struct frame *p)
{
    if (p->items == 0) {
        t_indent(e, p->indent);
        fprintf(e->out, "%s:\n", p->key ? p->key : "");
    }
    t_indent(e, p->indent + TEXT_INDENT_STEP);
    fputs("- ", e->out);
}

static void t_obj_begin(struct xsri_emit *e, const char *key, enum xsri_obj_style style)
{
    struct frame *p = top(e), *f;
    unsigned indent = p ? p->indent : e->base_indent;

    if (!p) {
        f = push(e, FRAME_OBJ, style);
        if (f)
            f->indent = e->base_indent;
        return;
    }
    if (p->in_line) {
        t_inline_key(e, p, key);
        fputc('{', e->out);
        p->items++;
        f = push(e, FRAME_OBJ, XSRI_INLINE);
        if (f) {
            f->in_line = true;
            f->braces = true;
        }
        return;
    }
    if (p->kind == FRAME_LIST) {
        t_list_item(e, p);
        p->items++;
        f = push(e, FRAME_OBJ, XSRI_INLINE);
        if (f) {
            f->in_line = true;
            f->newline_after = true;
        }
        return;
    }
    p->items++;
    switch (style) {
    case XSRI_INLINE:
        t_indent(e, indent);
        fprintf(e->out, "%s: ", key ? key : "");
        f = push(e, FRAME_OBJ, style);
        if (f) {
            f->in_line = true;
            f->newline_after = true;
        }
        break;
    case XSRI_FLAT:
        f = push(e, FRAME_OBJ, style);
        if (f)
            f->indent = indent;
        break;
    default:
        t_indent(e, indent);
        fprintf(e->out, "%s:\n", key ? key : "");
        f = push(e, FRAME_OBJ, style);
        if (f)
            f->indent = indent + TEXT_INDENT_STEP;
        break;
    }
}

static void t_list_begin(struct xsri_emit *e, const char *key)
{
    struct frame *p = top(e), *f;

    if (p && (p->in_line || p->kind == FRAME_LIST)) {
        if (p->in_line)
            t_inline_key(e, p, key);
        else
            t_list_item(e, p);
        fputc('[', e->out);
        f = push(e, FRAME_LIST, XSRI_INLINE);
        if (f) {
            f->in_line = true;
            f->braces = true;
            f->newline_after = !p->in_line;
        }
        p->items++;
        return;
    }
    if (p)
        p->items++;
    f = push(e, FRAME_LIST, XSRI_BLOCK);
    if (f) {
        f->indent = p ? p->indent : e->base_indent;
        f->key = key;
    }
}

static void t_end(struct xsri_emit *e)
{
    struct frame *f = top(e);

    if (!f)
        return;
    if (f->in_line) {
        if (f->braces)
            fputc(f->kind == FRAME_LIST ? ']' : '}', e->out);
        else if (f->items == 0)
            fputs("(none)", e->out);
        if (f->newline_after)
            fputc('\n', e->out);
    } else if (f->kind == FRAME_LIST) {
        if (f->items == 0) {
            t_indent(e, f->indent);
            fprintf(e->out, "%s: (none)\n", f->key ? f->key : "");
        } else if (f->scalar_list) {
            fputc('\n', e->out);
        }
    }
    e->depth--;
}

/* ---------------------------------------------------------------- JSON */

static void j_add(struct xsri_emit *e, const char *key, struct json_object *v, bool is_null)
{
    struct frame *f = top(e);

    if (e->failed || !f || !f->obj) {
        json_object_put(v);
        return;
    }
    if (!v && !is_null) {
        e->failed = true;
        return;
    }
    if (f->kind == FRAME_LIST) {
        if (json_object_array_add(f->obj, v) != 0) {
            json_object_put(v);
            e->failed = true;
        }
    } else if (json_object_object_add(f->obj, key ? key : "", v) != 0) {
        json_object_put(v);
        e->failed = true;
    }
    f->items++;
}

static void j_begin(struct xsri_emit *e, const char *key, enum frame_kind kind)
{
    struct json_object *o = kind == FRAME_LIST ? json_object_new_array() : json_object_new_object();
    struct frame *f;

    if (!o)
        e->failed = true;
    if (e->depth == 0) {
        json_object_put(e->done);
        e->done = NULL;
    } else if (o) {
        /* the parent holds its own reference; ours is dropped at the end */
        j_add(e, key, json_object_get(o), false);
    }
    f = push(e, kind, XSRI_BLOCK);
    if (f)
        f->obj = o;
    else
        json_object_put(o);
}

static void j_end(struct xsri_emit *e)
{
    struct frame *f = top(e);

    if (!f)
        return;
    if (e->depth == 1)
        e->done = f->obj;
    else
        json_object_put(f->obj);
    e->depth--;
}

/* ------------------------------------------------------------- dispatch */

/* Nesting beyond EMIT_DEPTH_MAX is counted, not rendered: true if so. */
static bool too_deep(struct xsri_emit *e)
{
    if (e->overflow || e->depth >= EMIT_DEPTH_MAX) {
        e->overflow++;
        return true;
    }
    return false;
}

void xsri_emit_obj_begin(struct xsri_emit *e, const char *key, enum xsri_obj_style style)
{
    if (too_deep(e))
        return;
    if (e->json)
        j_begin(e, key, FRAME_OBJ);
    else
        t_obj_begin(e, key, style);
}

void xsri_emit_list_begin(struct xsri_emit *e, const char *key)
{
    if (too_deep(e))
        return;
    if (e->json)
        j_begin(e, key, FRAME_LIST);
    else
        t_list_begin(e, key);
}

static void end(struct xsri_emit *e)
{
    if (e->overflow) {
        e->overflow--;
        return;
    }
    if (e->json)
        j_end(e);
    else
        t_end(e);
}

void xsri_emit_obj_end(struct xsri_emit *e) { end(e); }
void xsri_emit_list_end(struct xsri_emit *e) { end(e); }

static bool skip(const struct xsri_emit *e)
{
    return e->overflow > 0;
}

/* An unsigned value as json-c's int64: bit 63 is dropped rather than
 * turning the number negative (callers keep to 2^53 anyway). */
static int64_t json_uint(uint64_t v)
{
    return (int64_t)(v & ((1ULL << 63) - 1));
}

static void number(struct xsri_emit *e, const char *key, int64_t json, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A number: the integer json in JSON, fmt and its arguments in text. */
static void number(struct xsri_emit *e, const char *key, int64_t json, const char *fmt, ...)
{
    char buf[32];
    va_list ap;

    if (skip(e))
        return;
    if (e->json) {
        j_add(e, key, json_object_new_int64(json), false);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    t_scalar(e, key, buf, false);
}

/* A 64-bit value: a "0x..." string in JSON; in text hex, or decimal. */
static void wide(struct xsri_emit *e, const char *key, uint64_t v, bool text_decimal)
{
    char buf[32];

    if (skip(e))
        return;
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    if (e->json) {
        j_add(e, key, json_object_new_string(buf), false);
        return;
    }
    if (text_decimal)
        snprintf(buf, sizeof(buf), "%" PRIu64, v);
    t_scalar(e, key, buf, false);
}

void xsri_emit_uint(struct xsri_emit *e, const char *key, uint64_t v)
{
    number(e, key, json_uint(v), "%" PRIu64, v);
}

void xsri_emit_int(struct xsri_emit *e, const char *key, int64_t v)
{
    number(e, key, v, "%" PRId64, v);
}

void xsri_emit_xnum(struct xsri_emit *e, const char *key, uint64_t v)
{
    number(e, key, json_uint(v), "0x%" PRIx64, v);
}

void xsri_emit_hex64(struct xsri_emit *e, const char *key, uint64_t v)
{
    wide(e, key, v, false);
}

void xsri_emit_u64(struct xsri_emit *e, const char *key, uint64_t v)
{
    wide(e, key, v, true);
}

void xsri_emit_str(struct xsri_emit *e, const char *key, const char *s)
{
    if (!s) {
        xsri_emit_null(e, key);
        return;
    }
    xsri_emit_strn(e, key, s, strlen(s));
}

void xsri_emit_strn(struct xsri_emit *e, const char *key, const char *s, size_t n)
{
    char *clean;

    if (skip(e))
        return;
    clean = xsri_clean_string(s, n);
    if (!clean) {
        e->failed = true;
        return;
    }
    if (e->json)
        j_add(e, key, json_object_new_string(clean), false);
    else
        t_scalar(e, key, clean, true);
    free(clean);
}

void xsri_emit_bool(struct xsri_emit *e, const char *key, bool v)
{
    if (skip(e))
        return;
    if (e->json)
        j_add(e, key, json_object_new_boolean(v), false);
    else
        t_scalar(e, key, v ? "true" : "false", false);
}

void xsri_emit_null(struct xsri_emit *e, const char *key)
{
    if (skip(e))
        return;
    if (e->json)
        j_add(e, key, NULL, true);
    else
        t_scalar(e, key, "-", false);
}

void xsri_emit_json_value(struct xsri_emit *e, const char *key, struct json_object *v)
{
    const struct frame *f;

    if (skip(e))
        return;
    if (e->json) {
        j_add(e, key, json_object_get(v), v == NULL);
        return;
    }
    f = top(e);
    if (!v || !f || f->kind != FRAME_OBJ || f->in_line ||
        (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array))) {
        const char *txt = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        t_scalar(e, key, txt ? txt : "-", false);
        return;
    }
    const char *txt = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!txt) {
        e->failed = true;
        return;
    }
    t_indent(e, f->indent);
    fprintf(e->out, "%s:\n", key ? key : "");
    while (*txt) {
        size_t n = strcspn(txt, "\n");
        t_indent(e, f->indent + TEXT_INDENT_STEP);
        fwrite(txt, 1, n, e->out);
        fputc('\n', e->out);
        txt += n + (txt[n] == '\n');
    }
    top(e)->items++;
}

void xsri_emit_json_splice(struct xsri_emit *e, const char *key)
{
    if (e->json && !skip(e)) {
        j_add(e, key, json_object_new_string(XSRI_JSON_SPLICE), false);
        e->spliced = true;
    }
}

void xsri_emit_text_line(struct xsri_emit *e, const char *fmt, ...)
{
    const struct frame *f = top(e);
    va_list ap;

    if (e->json || skip(e))
        return;
    t_indent(e, f ? f->indent : 0);
    va_start(ap, fmt);
    vfprintf(e->out, fmt, ap);
    va_end(ap);
    fputc('\n', e->out);
}

struct json_object *xsri_emit_json_take(struct xsri_emit *e, bool *spliced)
{
    struct json_object *o = e->done;

    if (spliced)
        *spliced = e->spliced;
    e->spliced = false;
    e->done = NULL;
    return o;
}
