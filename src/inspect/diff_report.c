/* SPDX-License-Identifier: MIT */
/* The differences of xsr_diff, kept per section and rendered as text or
 * JSON (doc/json.md "diff"). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/xsr.h>

#include "diff_internal.h"
#include "dump_internal.h"

static const struct {
    const char *key;   /* JSON */
    const char *title; /* text */
} sections[XSRI_DS_COUNT] = {
    [XSRI_DS_HEADERS] = { "headers", "headers" },
    [XSRI_DS_GUEST] = { "guest", "guest" },
    [XSRI_DS_CONFIG] = { "config", "domain configuration (xl, JSON paths)" },
    [XSRI_DS_CPUID] = { "cpuid", "CPUID policy" },
    [XSRI_DS_MSR] = { "msr", "MSR policy" },
    [XSRI_DS_TSC] = { "tsc", "TSC" },
    [XSRI_DS_HVM_PARAMS] = { "hvm_params", "HVM params" },
    [XSRI_DS_RECORDS] = { "records", "other records" },
    [XSRI_DS_VCPUS] = { "vcpus", "vcpus" },
    [XSRI_DS_PAGES] = { "pages", "pages" },
};

struct json_object *xsri_jhex(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return json_object_new_string(buf);
}

struct json_object *xsri_jnum(uint64_t v)
{
    return json_object_new_int64((int64_t)v);
}

struct json_object *xsri_jstr(const char *s)
{
    if (!s)
        return NULL;
    char *clean = xsri_clean_string(s, strlen(s));
    struct json_object *o = clean ? json_object_new_string(clean) : NULL;
    free(clean);
    return o;
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = true;
    return d;
}

void xsri_diff_add(struct xsri_diffout *d, enum xsri_dsec s, struct json_object *keys,
                   const char *what, bool has_a, struct json_object *a, bool has_b,
                   struct json_object *b, const char *note)
{
    struct xsri_dsection *sec = &d->sec[s];
    unsigned max = d->max ? d->max : 100;

    sec->total++;
    if (sec->n >= max)
        goto drop;
    if (!sec->v && !(sec->v = calloc(max, sizeof(*sec->v)))) {
        d->oom = true;
        goto drop;
    }
    struct xsri_dent *e = &sec->v[sec->n++];
    e->what = dup_or_null(what, &d->oom);
    e->note = dup_or_null(note, &d->oom);
    e->keys = keys;
    e->has_a = has_a;
    e->has_b = has_b;
    e->a = has_a ? a : NULL;
    e->b = has_b ? b : NULL;
    if (!has_a)
        json_object_put(a);
    if (!has_b)
        json_object_put(b);
    return;
drop:
    json_object_put(keys);
    json_object_put(a);
    json_object_put(b);
}

void xsri_diff_free(struct xsri_diffout *d)
{
    for (unsigned s = 0; s < XSRI_DS_COUNT; s++) {
        struct xsri_dsection *sec = &d->sec[s];
        for (unsigned i = 0; i < sec->n; i++) {
            free(sec->v[i].what);
            free(sec->v[i].note);
            json_object_put(sec->v[i].keys);
            json_object_put(sec->v[i].a);
            json_object_put(sec->v[i].b);
        }
        free(sec->v);
    }
    memset(d, 0, sizeof(*d));
}

/* ---------------------------------------------------------------- text */

/* A value for people: strings as they are (JSON in the configuration, where
 * the type matters), objects as k=v pairs. */
static void text_value(FILE *f, struct json_object *v, bool as_json)
{
    if (as_json || !v || json_object_is_type(v, json_type_array)) {
        fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), f);
        return;
    }
    if (json_object_is_type(v, json_type_object)) {
        const char *sep = "";
        json_object_object_foreach(v, k, x) {
            fprintf(f, "%s%s=", sep, k);
            text_value(f, x, false);
            sep = " ";
        }
        return;
    }
    fputs(json_object_get_string(v), f);
}

static void text_image(FILE *f, const char *label, const struct xsri_diff_image *m)
{
    fprintf(f, "%s: %s: ", label, m->name ? m->name : "-");
    if (m->format)
        fprintf(f, "%s, ", m->format);
    if (m->version)
        fprintf(f, "libxc stream v%" PRIu32 ", ", m->version);
    if (m->guest_type) {
        fprintf(f, "%s guest", m->guest_type);
        if (m->guest_width)
            fprintf(f, " (%u-bit)", m->guest_width * 8);
    } else if (m->has_dhdr) {
        fprintf(f, "domain type %" PRIu32, m->dom_type);
    } else {
        fputs("no domain header", f);
    }
    if (m->has_dhdr)
        fprintf(f, ", saved by Xen %" PRIu32 ".%" PRIu32, m->xen_major, m->xen_minor);
    fputc('\n', f);
    if (!m->complete)
        fprintf(f, "   %s stopped early (compared as far as it was read): %s\n", label,
                m->stopped ? m->stopped : "the stream ends early");
}

static void text_render(FILE *f, const struct xsri_diffout *d, const struct xsri_diff_image *a,
                        const struct xsri_diff_image *b, const struct xsr_diff_result *res, bool same)
{
    text_image(f, "A", a);
    text_image(f, "B", b);
    for (unsigned s = 0; s < XSRI_DS_COUNT; s++) {
        const struct xsri_dsection *sec = &d->sec[s];
        if (!sec->total)
            continue;
        fprintf(f, "%s:\n", sections[s].title);
        for (unsigned i = 0; i < sec->n; i++) {
            const struct xsri_dent *e = &sec->v[i];
            fprintf(f, "  %s:", e->what ? e->what : "");
            if (e->has_a || e->has_b) {
                fputc(' ', f);
                if (e->has_a)
                    text_value(f, e->a, s == XSRI_DS_CONFIG);
                else
                    fputs("(absent)", f);
                fputs(" -> ", f);
                if (e->has_b)
                    text_value(f, e->b, s == XSRI_DS_CONFIG);
                else
                    fputs("(absent)", f);
                if (e->note)
                    fprintf(f, " (%s)", e->note);
            } else if (e->note) {
                fprintf(f, " %s", e->note);
            }
            fputc('\n', f);
        }
        if (sec->total > sec->n)
            fprintf(f, "  ... %" PRIu64 " more\n", sec->total - sec->n);
    }
    fprintf(f, "memory: %" PRIu64 " frames with data in A or B: %" PRIu64 " differ, %" PRIu64
            " only in A, %" PRIu64 " only in B\n", res->pages_compared, res->pages_differ,
            res->pages_only_a, res->pages_only_b);
    if (same) {
        fputs(a->complete && b->complete ? "the images are equivalent\n"
                                         : "no differences in what was read\n", f);
        return;
    }
    fputs(a->complete && b->complete ? "the images differ:" : "in what was read, the images differ:", f);
    const char *sep = " ";
    for (unsigned s = 0; s < XSRI_DS_COUNT; s++) {
        if (s == XSRI_DS_PAGES || !d->sec[s].total)
            continue;
        fprintf(f, "%s%s (%" PRIu64 ")", sep, sections[s].key, d->sec[s].total);
        sep = ", ";
    }
    uint64_t frames = res->pages_differ + res->pages_only_a + res->pages_only_b;
    if (frames)
        fprintf(f, "%smemory (%" PRIu64 " frames)", sep, frames);
    fputc('\n', f);
}

/* ---------------------------------------------------------------- JSON */

static struct json_object *json_image(const struct xsri_diff_image *m)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "input", xsri_jstr(m->name));
    json_object_object_add(o, "format", xsri_jstr(m->format));
    json_object_object_add(o, "version", xsri_jnum(m->version));
    json_object_object_add(o, "byte_order", xsri_jstr(m->byte_order));
    json_object_object_add(o, "dom_type", xsri_jnum(m->dom_type));
    json_object_object_add(o, "guest_type", xsri_jstr(m->guest_type));
    json_object_object_add(o, "guest_width", xsri_jnum(m->guest_width));
    json_object_object_add(o, "xen_major", xsri_jnum(m->xen_major));
    json_object_object_add(o, "xen_minor", xsri_jnum(m->xen_minor));
    json_object_object_add(o, "complete", json_object_new_boolean(m->complete));
    json_object_object_add(o, "bytes", xsri_jnum(m->bytes));
    json_object_object_add(o, "stopped", xsri_jstr(m->complete ? NULL : m->stopped ? m->stopped : "ended early"));
    return o;
}

static struct json_object *json_section(const struct xsri_dsection *sec)
{
    struct json_object *o = json_object_new_object(), *list = json_object_new_array();
    if (!o || !list) {
        json_object_put(o);
        json_object_put(list);
        return NULL;
    }
    for (unsigned i = 0; i < sec->n; i++) {
        const struct xsri_dent *e = &sec->v[i];
        struct json_object *x = json_object_new_object();
        if (!x)
            break;
        json_object_object_add(x, "what", xsri_jstr(e->what));
        if (e->keys) {
            json_object_object_foreach(e->keys, k, v)
                json_object_object_add(x, k, json_object_get(v));
        }
        if (e->has_a)
            json_object_object_add(x, "a", json_object_get(e->a));
        if (e->has_b)
            json_object_object_add(x, "b", json_object_get(e->b));
        json_object_array_add(list, x);
    }
    json_object_object_add(o, "count", xsri_jnum(sec->total));
    json_object_object_add(o, "not_shown", xsri_jnum(sec->total - sec->n));
    json_object_object_add(o, "entries", list);
    return o;
}

static bool json_render(FILE *f, const struct xsri_diffout *d, const struct xsri_diff_image *a,
                        const struct xsri_diff_image *b, const struct xsr_diff_result *res, bool same)
{
    struct json_object *root = json_object_new_object(), *imgs = json_object_new_object(),
                       *diffs = json_object_new_object(), *mem = json_object_new_object();
    bool ok = root && imgs && diffs && mem;
    if (ok) {
        json_object_object_add(root, "json_version", xsri_jnum(1));
        json_object_object_add(root, "command", json_object_new_string("diff"));
        json_object_object_add(root, "xsr_version", json_object_new_string(xsr_version()));
        json_object_object_add(imgs, "a", json_image(a));
        json_object_object_add(imgs, "b", json_image(b));
        json_object_object_add(root, "images", imgs);
        for (unsigned s = 0; s < XSRI_DS_COUNT; s++)
            json_object_object_add(diffs, sections[s].key, json_section(&d->sec[s]));
        json_object_object_add(root, "differences", diffs);
        json_object_object_add(mem, "frames_compared", xsri_jnum(res->pages_compared));
        json_object_object_add(mem, "differ", xsri_jnum(res->pages_differ));
        json_object_object_add(mem, "only_a", xsri_jnum(res->pages_only_a));
        json_object_object_add(mem, "only_b", xsri_jnum(res->pages_only_b));
        json_object_object_add(root, "memory", mem);
        json_object_object_add(root, "equivalent", json_object_new_boolean(same));
        json_object_object_add(root, "complete", json_object_new_boolean(a->complete && b->complete));
        ok = xsri_json_write(f, root) && fputc('\n', f) != EOF;
    } else {
        json_object_put(imgs);
        json_object_put(diffs);
        json_object_put(mem);
    }
    json_object_put(root);
    return ok;
}

bool xsri_diff_render(FILE *f, bool json, const struct xsri_diffout *d,
                      const struct xsri_diff_image *a, const struct xsri_diff_image *b,
                      const struct xsr_diff_result *res)
{
    bool same = true;
    for (unsigned s = 0; s < XSRI_DS_COUNT; s++)
        same = same && !d->sec[s].total;
    same = same && !res->pages_differ && !res->pages_only_a && !res->pages_only_b;
    if (json)
        return json_render(f, d, a, b, res, same);
    text_render(f, d, a, b, res, same);
    return !ferror(f);
}
