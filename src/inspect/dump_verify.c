/* SPDX-License-Identifier: MIT */
/*
 * xsr_verify_report: what `xsr verify` prints.  Text: one line per finding as
 * it is found, then a verdict.  JSON: one document (doc/json.md, "verify"),
 * findings written as they come so memory stays bounded.
 */
#include <stdio.h>
#include <string.h>

#include <xsr/inspect.h>
#include <xsr/stream.h>
#include <xsr/xsr.h>

#include "dump_internal.h"
#include "dump_report.h"
#include "util/opts.h"
#include "util/progress.h"

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

    if (r->o->json) {
        xsri_dump_finding(r->em, NULL, f);
        if (!xsri_json_write_taken(r->out, r->findings ? ",\n" : "\n", r->em)) {
            r->oom = true;
            return;
        }
    } else if (!r->o->quiet) {
        if (r->o->progress_clear)
            r->o->progress_clear(r->o->progress_ctx);
        xsri_dump_finding_line(r->out, "", f);
    }
    r->findings++;
}

static void json_begin(const struct report *r)
{
    xsri_json_doc_begin(r->out, VERIFY_JSON_VERSION, "verify", r->o->input_name, r->o->format);
    fprintf(r->out, ",\"lenient\":%s},\"findings\":[", r->o->lenient ? "true" : "false");
}

static void json_end(struct report *r, const struct xsr_check_summary *s)
{
    fputs("],\n\"summary\":", r->out);
    xsri_dump_summary(r->em, NULL, s);
    if (!xsri_json_write_taken(r->out, "", r->em)) {
        r->oom = true;
        fputs("null", r->out);
    }
    fprintf(r->out, ",\n\"valid\":%s,\n\"restorable_by\":[", s->errors ? "false" : "true");
    unsigned n, first = 1;
    const struct xsr_xen_target *t = xsr_xen_targets(&n);
    struct xsr_restore_verdict v = XSR_RESTORE_VERDICT_INIT;
    for (unsigned i = 0; i < n; i++) {
        xsr_xen_target_check(&t[i], s, &v, NULL);
        if (v.restorable) {
            fprintf(r->out, "%s\"%s\"", first ? "" : ",", t[i].name);
            first = 0;
        }
    }
    fputc(']', r->out);
    if (r->o->target) {
        xsr_xen_target_check(r->o->target, s, &v, NULL);
        fputs(",\n\"target\":{\"name\":", r->out);
        xsri_json_write_str(r->out, r->o->target_name ? r->o->target_name : r->o->target->name);
        fprintf(r->out, ",\"rules\":\"%s\",\"restorable\":%s,\"reasons\":[", r->o->target->name,
                v.restorable ? "true" : "false");
        for (unsigned i = 0; i < v.n_reasons; i++) {
            if (i)
                fputc(',', r->out);
            xsri_json_write_str(r->out, v.reasons[i]);
        }
        fputs("]}", r->out);
    }
    fputs("}\n", r->out);
}

/* "xen-4.17: restorable" or "xen-4.17: NOT restorable: why; why". */
static bool print_target(const struct report *r, const struct xsr_check_summary *s)
{
    const struct xsr_report_opts *o = r->o;
    struct xsr_restore_verdict v = XSR_RESTORE_VERDICT_INIT;

    xsr_xen_target_check(o->target, s, &v, NULL);
    if (o->quiet || o->json)
        return v.restorable;
    fprintf(r->out, "%s (%s): %s", o->target_name ? o->target_name : o->target->name, o->target->releases,
            v.restorable ? "restorable" : "NOT restorable: ");
    for (unsigned i = 0; i < v.n_reasons; i++)
        fprintf(r->out, "%s%s", i ? "; " : "", v.reasons[i]);
    fputc('\n', r->out);
    return v.restorable;
}

int xsr_verify_report(struct xsr_chan *in, const struct xsr_report_opts *user, FILE *out,
                      struct xsr_error *err)
{
    struct xsr_report_opts opts;
    const struct xsr_report_opts *o = &opts;
    struct xsri_check_walk k = { 0 };
    struct xsr_event ev;
    struct report r;
    const struct xsr_check_summary *s;
    int64_t total;
    int rc;

    if (!in || !user || !out)
        return xsr_error_set(err, XSR_EINVAL, "xsr_verify_report needs an input channel, options and an output stream");
    if (xsri_opts_load(&opts, sizeof(opts), user, sizeof(opts), "xsr_report_opts", err) < 0)
        return XSR_EINVAL;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.out = out;
    if (o->json) {
        r.em = xsri_emit_json_new();
        if (!r.em)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory starting the report");
    }
    rc = xsri_dump_walk_start(&k, in, o->format, o->lenient, true, on_finding, &r, err);
    if (rc < 0)
        goto out;
    total = xsr_chan_size(in);
    if (o->json)
        json_begin(&r);
    while ((rc = xsri_check_walk_next(&k, &ev, err)) > 0) {
        xsri_progress_read(o->progress, o->progress_ctx, ev.offset, total);
    }
    if (rc < 0)
        goto out;
    rc = xsri_check_walk_finish(&k, err);
    if (rc < 0)
        goto out;
    s = xsri_check_walk_summary(&k);
    if (o->json) {
        json_end(&r, s);
    } else if (!o->quiet) {
        if (o->progress_clear)
            o->progress_clear(o->progress_ctx);
        xsri_dump_verdict(out, o->input_name, s);
    }
    bool restorable = !o->target || print_target(&r, s);
    rc = xsri_check_walk_result(&k, "report", r.oom, out, s, err);
    if (rc == 0 && !restorable)
        rc = 1;
out:
    xsri_check_walk_free(&k);
    xsri_emit_free(r.em);
    return rc;
}
