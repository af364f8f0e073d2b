/* SPDX-License-Identifier: MIT */
/* What xsr_dump and xsr_verify_report share (dump_report.h). */
#include "dump_report.h"

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/xsr.h>

#include "dump_internal.h"

int xsri_dump_walk_start(struct xsri_check_walk *k, struct xsr_chan *in, enum xsr_layer format,
                         bool lenient, bool skip_pages, xsr_finding_fn on_finding, void *ctx,
                         struct xsr_error *err)
{
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    struct xsr_check_opts co = XSR_CHECK_OPTS_INIT;

    wo.format = format;
    wo.skip_page_data = skip_pages;
    co.lenient = lenient;
    co.on_finding = on_finding;
    co.ctx = ctx;
    return xsri_check_walk_start(k, in, &wo, &co, err);
}

int xsri_check_walk_result(const struct xsri_check_walk *k, const char *what, bool oom, FILE *out,
                           const struct xsr_check_summary *s, struct xsr_error *err)
{
    if (oom)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory: the %s is incomplete", what);
    errno = 0;
    if (fflush(out) != 0 || ferror(out)) /* ENOSPC says more than EIO */
        return xsr_error_sys(err, errno ? errno : EIO, "writing the %s failed", what);
    if (k->walk_rc < 0 && (k->werr.code == XSR_EIO || k->werr.code == XSR_ENOMEM)) {
        if (err)
            *err = k->werr;
        return k->werr.code;
    }
    return s->errors ? 1 : 0;
}

void xsri_json_doc_begin(FILE *out, int version, const char *command, const char *input,
                         enum xsr_layer format)
{
    fprintf(out, "{\"json_version\":%d,\"command\":\"%s\",\"xsr_version\":", version, command);
    xsri_json_write_str(out, xsr_version());
    fputs(",\"input\":", out);
    xsri_json_write_str(out, input);
    fprintf(out, ",\"options\":{\"format\":\"%s\"",
            format == XSR_LAYER_NONE ? "auto" : xsr_layer_name(format));
}

bool xsri_json_write_taken(FILE *out, const char *sep, struct xsri_emit *e)
{
    struct json_object *o = xsri_emit_json_take(e, NULL);

    if (!o)
        return false;
    fputs(sep, out);
    xsri_json_write(out, o);
    json_object_put(o);
    return true;
}
