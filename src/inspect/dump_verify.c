/* SPDX-License-Identifier: MIT */
/*
 * xsr_verify_report: what `xsr verify` prints.  Text: one line per finding as
 * it is found, then a verdict.  JSON: one document (doc/json.md, "verify"),
 * findings written as they come so memory stays bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/inspect.h>
#include <xsr/stream.h>
#include <xsr/xsr.h>

#include "dump_internal.h"

#define VERIFY_JSON_VERSION 1

struct report {
    const struct xsr_report_opts *o;
    FILE *out;
    struct xsri_emit *em; /* JSON only */
    uint64_t findings;
    bool oom;
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct report *r = ctx;
    struct json_object *obj;

    if (r->o->json) {
        xsri_dump_finding(r->em, NULL, f);
        obj = xsri_emit_json_take(r->em);
        if (!obj) {
            r->oom = true;
            return;
        }
        fputs(r->findings ? ",\n" : "\n", r->out);
        xsri_json_write(r->out, obj);
        json_object_put(obj);
    } else if (!r->o->quiet) {
        if (r->o->progress_clear)
            r->o->progress_clear(r->o->progress_ctx);
        xsri_dump_finding_line(r->out, "", f);
    }
    r->findings++;
}

static void json_begin(const struct report *r)
{
    FILE *out = r->out;

    fprintf(out, "{\"json_version\":%d,\"command\":\"verify\",\"xsr_version\":", VERIFY_JSON_VERSION);
    xsri_json_write_str(out, xsr_version());
    fputs(",\"input\":", out);
    xsri_json_write_str(out, r->o->input_name);
    fprintf(out, ",\"options\":{\"format\":\"%s\",\"lenient\":%s},\"findings\":[",
            r->o->format == XSR_LAYER_NONE ? "auto" : xsr_layer_name(r->o->format),
            r->o->lenient ? "true" : "false");
}

static void json_end(struct report *r, const struct xsr_check_summary *s)
{
    struct json_object *obj;

    fputs("],\n\"summary\":", r->out);
    xsri_dump_summary(r->em, NULL, s);
    obj = xsri_emit_json_take(r->em);
    if (obj) {
        xsri_json_write(r->out, obj);
        json_object_put(obj);
    } else {
        r->oom = true;
        fputs("null", r->out);
    }
    fprintf(r->out, ",\n\"valid\":%s}\n", s->errors ? "false" : "true");
}

int xsr_verify_report(struct xsr_chan *in, const struct xsr_report_opts *o, FILE *out, struct xsr_error *err)
{
    struct xsr_walker_opts wo = { 0 };
    struct xsr_check_opts co = { 0 };
    struct xsr_walker *w = NULL;
    struct xsr_checker *c = NULL;
    struct xsr_error werr;
    struct xsr_event ev;
    struct report r;
    const struct xsr_check_summary *s;
    int64_t total;
    int rc, walk_rc;

    if (!in || !o || !out)
        return xsr_error_set(err, XSR_EINVAL, "xsr_verify_report needs an input channel, options and an output stream");
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.out = out;
    if (o->json) {
        r.em = xsri_emit_json_new();
        if (!r.em)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory starting the report");
    }
    wo.format = o->format;
    co.lenient = o->lenient;
    co.on_finding = on_finding;
    co.ctx = &r;
    w = xsr_walker_new(in, &wo, err);
    c = w ? xsr_checker_new(&co, err) : NULL;
    if (!w || !c) {
        rc = err && err->code ? err->code : XSR_ENOMEM;
        goto out;
    }
    total = xsr_chan_size(in);
    if (o->json)
        json_begin(&r);
    xsr_error_clear(&werr);
    while ((walk_rc = xsr_walker_next(w, &ev, &werr)) > 0) {
        rc = xsr_checker_event(c, &ev, err);
        if (rc < 0)
            goto out;
        if (o->progress)
            o->progress(o->progress_ctx, ev.offset, total);
    }
    rc = xsr_checker_finish(c, walk_rc, walk_rc < 0 ? &werr : NULL, err);
    if (rc < 0)
        goto out;
    s = xsr_checker_summary(c);
    if (o->json) {
        json_end(&r, s);
    } else if (!o->quiet) {
        if (o->progress_clear)
            o->progress_clear(o->progress_ctx);
        xsri_dump_verdict(out, o->input_name, s);
    }
    if (r.oom)
        rc = xsr_error_set(err, XSR_ENOMEM, "out of memory: the report is incomplete");
    else if (fflush(out) != 0 || ferror(out))
        rc = xsr_error_sys(err, EIO, "writing the report failed");
    else if (walk_rc < 0 && (werr.code == XSR_EIO || werr.code == XSR_ENOMEM)) {
        if (err)
            *err = werr;
        rc = werr.code;
    } else
        rc = s->errors ? 1 : 0;
out:
    xsr_checker_free(c);
    xsr_walker_free(w);
    xsri_emit_free(r.em);
    return rc;
}
