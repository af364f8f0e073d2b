/* SPDX-License-Identifier: MIT */
/*
 * What xsr_dump and xsr_verify_report share around the checked walk
 * (check/walk.h): the head of the JSON document and the result once the
 * output is written.
 */
#ifndef XSR_INSPECT_DUMP_REPORT_H
#define XSR_INSPECT_DUMP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <xsr/check.h>
#include <xsr/stream.h>

#include "check/walk.h"
#include "dump_emit.h"

/* The checked walk over in as dump and report run it: format, leniency,
 * findings to on_finding(ctx); skip_pages: pass over the pages of PAGE_DATA
 * unread (no consumer then sees them). */
int xsri_dump_walk_start(struct xsri_check_walk *k, struct xsr_chan *in, enum xsr_layer format,
                         bool lenient, bool skip_pages, xsr_finding_fn on_finding, void *ctx,
                         struct xsr_error *err);
/*
 * What xsr_dump and xsr_verify_report return once the output (of the kind
 * `what`, for messages) is written: XSR_ENOMEM if it is incomplete (oom),
 * XSR_EIO if writing it failed, the walker's own I/O or memory error (it is
 * not a property of the stream), else 1 if the check found errors, 0 if not.
 */
int xsri_check_walk_result(const struct xsri_check_walk *k, const char *what, bool oom, FILE *out,
                           const struct xsr_check_summary *s, struct xsr_error *err);

/* {"json_version":V,"command":C,"xsr_version":...,"input":...,"options":{"format":F
 * -- the caller adds its other options and closes the object. */
void xsri_json_doc_begin(FILE *out, int version, const char *command, const char *input,
                         enum xsr_layer format);
/* Write the emitter's finished JSON object after sep; false (nothing
 * written) if there is none, the emitter having run out of memory. */
bool xsri_json_write_taken(FILE *out, const char *sep, struct xsri_emit *e);

#endif
