/* SPDX-License-Identifier: MIT */
/* Findings, summary and verdict: shared by xsr_dump and xsr_verify_report. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/check.h>
#include <xsr/wire.h>

#include "dump_internal.h"

void xsri_dump_finding(struct xsri_emit *e, const char *key, const struct xsr_finding *f)
{
    const char *type_name = NULL;

    xsri_emit_obj_begin(e, key, XSRI_INLINE);
    xsri_emit_str(e, "severity", xsr_severity_name(f->severity));
    xsri_emit_str(e, "rule", f->rule);
    if (f->layer != XSR_LAYER_NONE)
        xsri_emit_str(e, "layer", xsr_layer_name(f->layer));
    else
        xsri_emit_null(e, "layer");
    if (f->offset != XSR_NO_OFFSET)
        xsri_emit_uint(e, "offset", f->offset);
    else
        xsri_emit_null(e, "offset");
    if (f->record_index != XSR_NO_INDEX) {
        xsri_emit_int(e, "record_index", f->record_index);
        xsri_emit_uint(e, "record_type", f->record_type);
        type_name = xsri_dump_rec_name(f->layer, f->record_type);
        xsri_emit_str(e, "record_type_name", type_name);
    } else {
        xsri_emit_null(e, "record_index");
        xsri_emit_null(e, "record_type");
        xsri_emit_null(e, "record_type_name");
    }
    xsri_emit_str(e, "message", f->message);
    xsri_emit_obj_end(e);
}

void xsri_dump_finding_line(FILE *out, const char *indent, const struct xsr_finding *f)
{
    fprintf(out, "%s%s: %s [%s]\n", indent, xsr_severity_name(f->severity),
            f->message ? f->message : "", f->rule ? f->rule : "-");
}

static const char *order_name(enum xsr_byte_order o)
{
    return o == XSR_BIG_ENDIAN ? "big-endian" : "little-endian";
}

/* Text: "N (M MiB)" for a count whose size in bytes is size. */
static void emit_mib(struct xsri_emit *e, const char *key, uint64_t n, uint64_t size)
{
    char buf[64];
    double mib = (double)size / (1024.0 * 1024.0);

    if (size % (1024 * 1024) == 0)
        snprintf(buf, sizeof(buf), "%" PRIu64 " (%" PRIu64 " MiB)", n, size / (1024 * 1024));
    else
        snprintf(buf, sizeof(buf), "%" PRIu64 " (%.1f MiB)", n, mib);
    xsri_emit_str(e, key, buf);
}

void xsri_dump_summary(struct xsri_emit *e, const char *key, const struct xsr_check_summary *s)
{
    bool json = xsri_emit_is_json(e);
    uint64_t invalid = s->pages_by_type[5] + s->pages_by_type[6] + s->pages_by_type[7] + s->pages_by_type[8];

    xsri_emit_obj_begin(e, key, XSRI_BLOCK);
    xsri_emit_str(e, "format", s->format != XSR_LAYER_NONE ? xsr_layer_name(s->format) : NULL);
    xsri_emit_uint(e, "version", s->version);
    xsri_emit_str(e, "byte_order", order_name(s->order));
    xsri_emit_uint(e, "dom_type", s->dom_type);
    xsri_emit_str(e, "guest_type", s->dom_type ? xsr_dom_type_name(s->dom_type) : NULL);
    /* JSON: always present (0: unknown or not PV); text: only when known */
    if (json || s->guest_width)
        xsri_emit_uint(e, "guest_width", s->guest_width);
    if (json || s->pt_levels)
        xsri_emit_uint(e, "pt_levels", s->pt_levels);
    xsri_emit_uint(e, "xen_major", s->xen_major);
    xsri_emit_uint(e, "xen_minor", s->xen_minor);
    xsri_emit_uint(e, "vcpus", s->vcpus);
    xsri_emit_uint(e, "records", s->records);
    xsri_emit_uint(e, "libxl_records", s->libxl_records);
    xsri_emit_uint(e, "page_records", s->page_records);
    xsri_emit_uint(e, "pfn_entries", s->pfn_entries);
    if (json)
        xsri_emit_uint(e, "data_pages", s->data_pages);
    else
        emit_mib(e, "data_pages", s->data_pages, s->data_pages * XSR_PAGE_SIZE);
    /* JSON: every key always present; text: only what occurred. */
    xsri_emit_obj_begin(e, "pages_by_type", XSRI_INLINE);
    for (unsigned t = 0; t < 16; t++)
        if (xsr_pfn_type_valid(t) && (json || s->pages_by_type[t]))
            xsri_emit_uint(e, xsr_pfn_type_name(t), s->pages_by_type[t]);
    if (json || invalid)
        xsri_emit_uint(e, "INVALID", invalid);
    xsri_emit_obj_end(e);
    xsri_emit_uint(e, "checkpoints", s->checkpoints);
    if (json)
        xsri_emit_uint(e, "bytes", s->bytes);
    else
        emit_mib(e, "bytes", s->bytes, s->bytes);
    xsri_emit_obj_begin(e, "bytes_by_record_type", XSRI_INLINE);
    for (uint32_t t = 0; t < XSR_REC_TYPE_COUNT; t++)
        if (json || s->bytes_by_type[t])
            xsri_emit_uint(e, xsr_rec_type_name(t), s->bytes_by_type[t]);
    xsri_emit_obj_end(e);
    xsri_emit_uint(e, "errors", s->errors);
    xsri_emit_uint(e, "warnings", s->warnings);
    xsri_emit_uint(e, "notes", s->notes);
    xsri_emit_bool(e, "complete", s->complete);
    xsri_emit_bool(e, "valid", s->errors == 0);
    xsri_emit_obj_end(e);
}

static const char *plural(unsigned n)
{
    return n == 1 ? "" : "s";
}

void xsri_dump_verdict(FILE *out, const char *input, const struct xsr_check_summary *s)
{
    const char *guest = s->dom_type ? xsr_dom_type_name(s->dom_type) : NULL;

    fprintf(out, "%s: %s", input ? input : "stream", s->errors ? "INVALID" : "valid");
    fprintf(out, " (%s", s->format != XSR_LAYER_NONE ? xsr_layer_name(s->format) : "unknown format");
    if (s->version)
        fprintf(out, ", libxc stream v%" PRIu32, s->version);
    if (guest)
        fprintf(out, ", %s", guest);
    else if (s->dom_type)
        fprintf(out, ", guest type %" PRIu32, s->dom_type);
    if (s->guest_width)
        fprintf(out, " %u-bit", s->guest_width * 8);
    fprintf(out, "; %u error%s, %u warning%s, %u note%s)", s->errors, plural(s->errors), s->warnings,
            plural(s->warnings), s->notes, plural(s->notes));
    if (!s->errors)
        xsri_print_restorable_by(out, s);
    fputc('\n', out);
}

/* "; restorable by Xen 4.14 and later": runs of release groups that accept. */
void xsri_print_restorable_by(FILE *out, const struct xsr_check_summary *s)
{
    struct xsr_restore_verdict v = XSR_RESTORE_VERDICT_INIT;
    unsigned n, runs = 0;
    const struct xsr_xen_target *t = xsr_xen_targets(&n);

    for (unsigned i = 0; i < n; i++) {
        xsr_xen_target_check(&t[i], s, &v, NULL);
        if (!v.restorable)
            continue;
        unsigned j = i;
        while (j + 1 < n && (xsr_xen_target_check(&t[j + 1], s, &v, NULL), v.restorable))
            j++;
        fprintf(out, "%s Xen 4.%u", runs++ ? "," : "; restorable by", t[i].first_minor);
        if (t[j].last_minor == UINT_MAX)
            fputs(" and later", out);
        else if (t[j].last_minor != t[i].first_minor)
            fprintf(out, "-4.%u", t[j].last_minor);
        i = j;
    }
    if (!runs)
        fputs("; no released Xen restores it", out);
}

bool xsri_json_write(FILE *out, struct json_object *o)
{
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    return s && fputs(s, out) >= 0;
}

bool xsri_json_write_str(FILE *out, const char *s)
{
    struct json_object *o;
    char *clean;
    bool ok;

    if (!s)
        return fputs("null", out) >= 0;
    clean = xsri_clean_string(s, strlen(s));
    o = clean ? json_object_new_string(clean) : NULL;
    free(clean);
    if (!o)
        return false;
    ok = xsri_json_write(out, o);
    json_object_put(o);
    return ok;
}
