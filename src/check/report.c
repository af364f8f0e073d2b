/* SPDX-License-Identifier: MIT */
/*
 * Findings: location, message, severity per mode, and the bounds that keep a
 * hostile stream from flooding the caller (per record and per stream).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "check_internal.h"

static void loc_set(struct xsri_checker *c, enum xsr_layer layer, uint64_t offset, int64_t index,
                    uint32_t type)
{
    c->loc.layer = layer;
    c->loc.offset = offset;
    c->loc.index = index;
    c->loc.type = type;
    memset(c->rec_count, 0, sizeof(c->rec_count));
}

static void name_record(char *buf, size_t n, const char *prefix, const char *name, uint32_t type)
{
    if (name)
        snprintf(buf, n, "%s%s", prefix, name);
    else if (type & XSR_REC_OPTIONAL)
        snprintf(buf, n, "%soptional record 0x%08" PRIx32, prefix, type);
    else
        snprintf(buf, n, "%srecord type 0x%08" PRIx32, prefix, type);
}

void xsri_loc_event(struct xsri_checker *c, const struct xsr_event *ev)
{
    uint32_t type = 0;

    switch (ev->kind) {
    case XSR_EV_RECORD:
        type = ev->u.rec.type;
        name_record(c->loc.what, sizeof(c->loc.what), "", xsr_rec_type_name(type), type);
        break;
    case XSR_EV_LIBXL_RECORD:
        type = ev->u.rec.type;
        name_record(c->loc.what, sizeof(c->loc.what), "libxl ", xsr_libxl_rec_type_name(type),
                    type);
        break;
    case XSR_EV_XL_HEADER:
        snprintf(c->loc.what, sizeof(c->loc.what), "xl header");
        break;
    case XSR_EV_LIBXL_HEADER:
        snprintf(c->loc.what, sizeof(c->loc.what), "libxl header");
        break;
    case XSR_EV_IMAGE_HEADER:
        snprintf(c->loc.what, sizeof(c->loc.what), "image header");
        break;
    case XSR_EV_DOMAIN_HEADER:
        snprintf(c->loc.what, sizeof(c->loc.what), "domain header");
        break;
    case XSR_EV_LEGACY:
        snprintf(c->loc.what, sizeof(c->loc.what), "legacy stream");
        break;
    case XSR_EV_TRAILING:
        snprintf(c->loc.what, sizeof(c->loc.what), "trailing data");
        break;
    default:
        snprintf(c->loc.what, sizeof(c->loc.what), "event %d", (int)ev->kind);
        break;
    }
    bool is_rec = ev->kind == XSR_EV_RECORD || ev->kind == XSR_EV_LIBXL_RECORD;
    loc_set(c, ev->layer, ev->offset, is_rec ? ev->index : XSR_NO_INDEX, type);
}

void xsri_loc_end(struct xsri_checker *c)
{
    snprintf(c->loc.what, sizeof(c->loc.what), "end of stream");
    loc_set(c, XSR_LAYER_NONE, c->sum.bytes, XSR_NO_INDEX, 0);
}

int xsri_sev(const struct xsri_checker *c, enum xsri_rule r)
{
    return xsri_rule_severity(r, c->opts.lenient);
}

/* Saturating: a stream with 2^32 errors must not wrap round to "valid". */
static void bump(unsigned *n)
{
    if (*n < UINT_MAX)
        (*n)++;
}

static void count(struct xsri_checker *c, int sev)
{
    if (sev == XSR_SEV_ERROR)
        bump(&c->sum.errors);
    else if (sev == XSR_SEV_WARNING)
        bump(&c->sum.warnings);
    else
        bump(&c->sum.notes);
}

static void vreport(struct xsri_checker *c, enum xsri_rule r, int sev, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));
static void vreport(struct xsri_checker *c, enum xsri_rule r, int sev, const char *fmt,
                    va_list ap)
{
    if (sev == XSRI_SEV_OFF)
        return;
    count(c, sev);
    if (r != XSRI_R_CHECK_SUPPRESSED &&
        (c->rec_count[r] >= XSRI_MAX_PER_RECORD || c->rule_count[r] >= XSRI_MAX_PER_RULE)) {
        c->suppressed[r]++;
        return;
    }
    c->rec_count[r]++;
    c->rule_count[r]++;
    if (!c->opts.on_finding)
        return;

    /* "<what> at offset 0x... (record N): <detail>" */
    int n;
    if (c->loc.offset == XSR_NO_OFFSET)
        n = snprintf(c->msg, sizeof(c->msg), "%s: ", c->loc.what);
    else if (c->loc.index != XSR_NO_INDEX)
        n = snprintf(c->msg, sizeof(c->msg), "%s at offset 0x%" PRIx64 " (record %" PRId64 "): ",
                     c->loc.what, c->loc.offset, c->loc.index);
    else
        n = snprintf(c->msg, sizeof(c->msg), "%s at offset 0x%" PRIx64 ": ", c->loc.what,
                     c->loc.offset);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof(c->msg))
        vsnprintf(c->msg + n, sizeof(c->msg) - (size_t)n, fmt, ap);

    struct xsr_finding f = {
        .severity = (enum xsr_severity)sev,
        .rule = xsri_rule_id(r),
        .layer = c->loc.layer,
        .offset = c->loc.offset,
        .record_index = c->loc.index,
        .record_type = c->loc.type,
        .message = c->msg,
    };
    c->opts.on_finding(c->opts.ctx, &f);
}

void xsri_report(struct xsri_checker *c, enum xsri_rule r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, r, xsri_sev(c, r), fmt, ap);
    va_end(ap);
}

void xsri_report_sev(struct xsri_checker *c, enum xsri_rule r, int sev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, r, sev, fmt, ap);
    va_end(ap);
}

void xsri_report_suppressed(struct xsri_checker *c)
{
    for (unsigned r = 0; r < XSRI_RULE_COUNT; r++) {
        if (!c->suppressed[r] || r == XSRI_R_CHECK_SUPPRESSED)
            continue;
        uint64_t n = c->suppressed[r];
        xsri_report(c, XSRI_R_CHECK_SUPPRESSED,
                    "%" PRIu64 " further finding%s of rule %s %s counted but not reported one "
                    "by one (at most %u per record and %u per stream are)",
                    n, n == 1 ? "" : "s", xsri_rule_id((enum xsri_rule)r),
                    n == 1 ? "was" : "were", XSRI_MAX_PER_RECORD, XSRI_MAX_PER_RULE);
    }
}

int xsr_finding_error(const struct xsr_finding *f, const char *note, struct xsr_error *err)
{
    /* the location goes into the error's fields, not twice into its text */
    const char *m = strstr(f->message, ": ");
    m = m ? m + 2 : f->message;
    xsr_error_set(err, XSR_EFORMAT, "%s [%s]%s", m, f->rule, note ? note : "");
    xsr_error_locate(err, f->offset, f->layer, f->record_index, f->record_type);
    return XSR_EFORMAT;
}
