/* SPDX-License-Identifier: MIT */
/*
 * xsr_dump: walk a save image, check it, and print every header and record
 * with its decoded fields, the findings about it, and a summary.  Text or
 * JSON (doc/json.md); the JSON document is written item by item so that
 * memory stays bounded whatever the size of the image.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/inspect.h>
#include <xsr/stream.h>
#include <xsr/xsr.h>

#include "dump_findings.h"
#include "dump_internal.h"
#include "dump_report.h"
#include "util/opts.h"
#include "dump_runs.h"

#define DUMP_JSON_VERSION 1
#define TEXT_FIELD_INDENT 4

struct dump {
    const struct xsr_dump_opts *opts;
    FILE *out;
    struct xsri_emit *em;
    struct xsri_findings pending;
    struct xsri_dump_state st;
    struct xsri_page_run run; /* text: PAGE_DATA records folded into one item */
    bool first_item;
    bool oom;              /* an item could not be written whole */
};

static const char *kind_name(enum xsr_event_kind k)
{
    switch (k) {
    case XSR_EV_XL_HEADER: return "xl_header";
    case XSR_EV_LIBXL_HEADER: return "libxl_header";
    case XSR_EV_LIBXL_RECORD: return "libxl_record";
    case XSR_EV_IMAGE_HEADER: return "image_header";
    case XSR_EV_DOMAIN_HEADER: return "domain_header";
    case XSR_EV_RECORD: return "record";
    case XSR_EV_LEGACY: return "legacy";
    case XSR_EV_TRAILING: return "trailing";
    }
    return "unknown";
}

static bool is_record(const struct xsr_event *ev)
{
    return ev->kind == XSR_EV_RECORD || ev->kind == XSR_EV_LIBXL_RECORD;
}

static uint64_t item_length(const struct xsr_event *ev)
{
    if (is_record(ev))
        return ev->u.rec.length;
    if (ev->kind == XSR_EV_XL_HEADER)
        return XSR_XL_HDR_SIZE + (uint64_t)ev->u.xl.hdr.optional_data_len;
    return ev->raw_len;
}

static void text_item_header(FILE *out, const struct xsr_event *ev)
{
    const char *name;

    fprintf(out, "0x%08" PRIx64 "  %-6s ", ev->offset, xsr_layer_name(ev->layer));
    switch (ev->kind) {
    case XSR_EV_XL_HEADER:
        fprintf(out, "xl save-file header, %u bytes + %" PRIu32 " bytes of optional data\n", XSR_XL_HDR_SIZE,
                ev->u.xl.hdr.optional_data_len);
        break;
    case XSR_EV_LIBXL_HEADER:
        fputs("libxl stream header\n", out);
        break;
    case XSR_EV_IMAGE_HEADER:
        fputs("image header\n", out);
        break;
    case XSR_EV_DOMAIN_HEADER:
        fputs("domain header\n", out);
        break;
    case XSR_EV_RECORD:
    case XSR_EV_LIBXL_RECORD:
        name = xsri_dump_rec_name(ev->layer, ev->u.rec.type);
        fprintf(out, "#%" PRId64 " ", ev->index);
        if (name)
            fprintf(out, "%s (0x%" PRIx32 ")", name, ev->u.rec.type);
        else if (ev->kind == XSR_EV_RECORD && (ev->u.rec.type & XSR_REC_OPTIONAL))
            fprintf(out, "optional record 0x%" PRIx32, ev->u.rec.type);
        else
            fprintf(out, "unknown record type 0x%" PRIx32, ev->u.rec.type);
        fprintf(out, ", %" PRIu32 " bytes\n", ev->u.rec.length);
        break;
    case XSR_EV_LEGACY:
        fputs("legacy (pre-v2) stream starts here: not walked further\n", out);
        break;
    case XSR_EV_TRAILING:
        fprintf(out, "%zu bytes after the end of the stream\n", ev->raw_len);
        break;
    }
}

static void fields(struct dump *d, const struct xsr_event *ev)
{
    struct xsri_emit *e = d->em;

    switch (ev->kind) {
    case XSR_EV_XL_HEADER: xsri_dump_xl_header(e, &d->st, ev); break;
    case XSR_EV_LIBXL_HEADER: xsri_dump_libxl_header(e, ev); break;
    case XSR_EV_LIBXL_RECORD: xsri_dump_libxl_record(e, ev); break;
    case XSR_EV_IMAGE_HEADER: xsri_dump_image_header(e, ev); break;
    case XSR_EV_DOMAIN_HEADER: xsri_dump_domain_header(e, &d->st, ev); break;
    case XSR_EV_RECORD: xsri_dump_libxc_record(e, &d->st, ev); break;
    case XSR_EV_LEGACY: break;
    case XSR_EV_TRAILING: xsri_emit_uint(e, "trailing_bytes", ev->raw_len); break;
    }
}

/* Write the finished JSON object of the emitter, after sep. */
static void json_flush(struct dump *d, const char *sep)
{
    xsri_json_write_taken(d->out, sep, d->em);
}

/* Write the finished item after sep, with the list the item left for its
 * writer (XSRI_JSON_SPLICE: the pfns of --pages) streamed in its place. */
static void json_flush_item(struct dump *d, const char *sep, const struct xsr_event *ev)
{
    bool spliced;
    struct json_object *o = xsri_emit_json_take(d->em, &spliced);
    const char *txt, *at;

    if (!o)
        return;
    txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    /* only an item with a placeholder: a stream's JSON (the xl
     * configuration) may hold the placeholder's text as a string */
    at = txt && spliced ? strstr(txt, XSRI_JSON_SPLICE_TEXT) : NULL;
    if (!txt) {
        d->oom = true;
    } else if (!at) {
        fputs(sep, d->out);
        fputs(txt, d->out);
    } else {
        fputs(sep, d->out);
        fwrite(txt, 1, (size_t)(at - txt), d->out);
        if (!xsri_dump_pfns_json(d->out, ev))
            fputs("null", d->out); /* not reached: the placeholder is only set for a decoded record */
        fputs(at + strlen(XSRI_JSON_SPLICE_TEXT), d->out);
    }
    json_object_put(o);
}

static void json_item(struct dump *d, const struct xsr_event *ev)
{
    struct xsri_emit *e = d->em;
    const char *name;

    xsri_emit_obj_begin(e, NULL, XSRI_BLOCK);
    xsri_emit_str(e, "kind", kind_name(ev->kind));
    xsri_emit_uint(e, "offset", ev->offset);
    xsri_emit_str(e, "layer", xsr_layer_name(ev->layer));
    if (is_record(ev)) {
        name = xsri_dump_rec_name(ev->layer, ev->u.rec.type);
        xsri_emit_int(e, "index", ev->index);
        xsri_emit_uint(e, "type", ev->u.rec.type);
        xsri_emit_str(e, "type_name", name);
        xsri_emit_bool(e, "optional", ev->kind == XSR_EV_RECORD && (ev->u.rec.type & XSR_REC_OPTIONAL));
    } else {
        xsri_emit_null(e, "index");
        xsri_emit_null(e, "type");
        xsri_emit_null(e, "type_name");
        xsri_emit_bool(e, "optional", false);
    }
    xsri_emit_uint(e, "length", item_length(ev));
    xsri_emit_obj_begin(e, "fields", XSRI_BLOCK);
    fields(d, ev);
    xsri_emit_obj_end(e);
    xsri_emit_list_begin(e, "findings");
    for (size_t i = 0; i < d->pending.n; i++)
        xsri_dump_finding(e, NULL, &d->pending.v[i]);
    xsri_emit_list_end(e);
    xsri_emit_obj_end(e);
    json_flush_item(d, d->first_item ? "\n" : ",\n", ev);
    d->first_item = false;
}

static void text_item(struct dump *d, const struct xsr_event *ev)
{
    if (d->opts->summary_only)
        return;
    if (!d->opts->pages && ev->kind == XSR_EV_RECORD && ev->u.rec.type == XSR_REC_PAGE_DATA &&
        d->pending.n == 0) {
        if (xsri_page_run_add(&d->run, ev))
            return;
    } else {
        xsri_page_run_end(&d->run, d->out);
    }
    text_item_header(d->out, ev);
    xsri_emit_obj_begin(d->em, NULL, XSRI_FLAT);
    fields(d, ev);
    xsri_emit_obj_end(d->em);
    for (size_t i = 0; i < d->pending.n; i++)
        xsri_dump_finding_line(d->out, "    ", &d->pending.v[i]);
}

static void json_begin(struct dump *d)
{
    xsri_json_doc_begin(d->out, DUMP_JSON_VERSION, "dump", d->opts->input_name, d->opts->format);
    fprintf(d->out, ",\"pages\":%s,\"lenient\":%s},\"items\":[", d->opts->pages ? "true" : "false",
            d->opts->lenient ? "true" : "false");
}

static void json_end(struct dump *d, const struct xsr_check_summary *s)
{
    fputs("\n],\"stream_findings\":[", d->out);
    for (size_t i = 0; i < d->pending.n; i++) {
        xsri_dump_finding(d->em, NULL, &d->pending.v[i]);
        json_flush(d, i ? ",\n" : "\n");
    }
    fputs("],\n\"summary\":", d->out);
    xsri_dump_summary(d->em, NULL, s);
    json_flush(d, "");
    fprintf(d->out, ",\n\"valid\":%s}\n", s->errors ? "false" : "true");
}

static void text_end(struct dump *d, const struct xsr_check_summary *s)
{
    xsri_page_run_end(&d->run, d->out);
    if (!d->opts->summary_only) {
        if (d->pending.n)
            fputs("end of stream\n", d->out);
        for (size_t i = 0; i < d->pending.n; i++)
            xsri_dump_finding_line(d->out, "    ", &d->pending.v[i]);
        fputc('\n', d->out);
    }
    fprintf(d->out, "Summary%s%s:\n", d->opts->input_name ? " of " : "",
            d->opts->input_name ? d->opts->input_name : "");
    xsri_dump_summary(d->em, NULL, s);
    fputs("Verdict: ", d->out);
    xsri_dump_verdict(d->out, d->opts->input_name, s);
}

int xsr_dump(struct xsr_chan *in, const struct xsr_dump_opts *user, FILE *out, struct xsr_error *err)
{
    struct xsr_dump_opts o;
    const struct xsr_dump_opts *opts = &o;
    struct xsri_check_walk k = { 0 };
    struct xsr_event ev;
    struct dump d;
    const struct xsr_check_summary *s;
    int rc;

    if (!in || !user || !out)
        return xsr_error_set(err, XSR_EINVAL, "xsr_dump needs an input channel, options and an output stream");
    if (xsri_opts_load(&o, sizeof(o), user, sizeof(o), "xsr_dump_opts", err) < 0)
        return XSR_EINVAL;
    memset(&d, 0, sizeof(d));
    d.opts = opts;
    d.out = out;
    d.st.pages = opts->pages;
    d.first_item = true;
    d.em = opts->json ? xsri_emit_json_new() : xsri_emit_text_new(out, TEXT_FIELD_INDENT);
    if (!d.em)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory starting the dump");

    rc = xsri_dump_walk_start(&k, in, opts->format, opts->lenient, false, xsri_findings_add, &d.pending, err);
    if (rc < 0)
        goto out;
    if (opts->json)
        json_begin(&d);
    while ((rc = xsri_check_walk_next(&k, &ev, err)) > 0) {
        if (opts->json)
            json_item(&d, &ev);
        else
            text_item(&d, &ev);
        xsri_findings_clear(&d.pending);
        if (ferror(out))
            break;
    }
    if (rc < 0)
        goto out;
    if (ferror(out)) {
        rc = xsr_error_sys(err, EIO, "writing the dump failed");
        goto out;
    }
    rc = xsri_check_walk_finish(&k, err);
    if (rc < 0)
        goto out;
    s = xsri_check_walk_summary(&k);
    if (opts->json)
        json_end(&d, s);
    else
        text_end(&d, s);
    rc = xsri_check_walk_result(&k, "dump", d.oom || d.pending.oom || xsri_emit_failed(d.em), out, s, err);
out:
    xsri_findings_free(&d.pending);
    xsri_check_walk_free(&k);
    xsri_emit_free(d.em);
    return rc;
}
