/* SPDX-License-Identifier: MIT */
/*
 * The frame xsr_dump and xsr_verify_report share: a walker and a checker
 * over one input, every event checked before the caller renders it, the
 * head of the JSON document, and the result once the output is written.
 */
#ifndef XSR_INSPECT_DUMP_REPORT_H
#define XSR_INSPECT_DUMP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <xsr/check.h>
#include <xsr/stream.h>

#include "dump_emit.h"

struct xsri_check_walk {
    struct xsr_walker *w;
    struct xsr_checker *c;
    int walk_rc;            /* the walker's last answer: 0 at the end, < 0 stopped early */
    struct xsr_error werr;  /* why it stopped early */
};

/* Start walking and checking in; findings go to on_finding(ctx).  Returns 0
 * or a negative code (err); call xsri_check_walk_free either way. */
int xsri_check_walk_start(struct xsri_check_walk *k, struct xsr_chan *in, enum xsr_layer format,
                          bool lenient, xsr_finding_fn on_finding, void *ctx, struct xsr_error *err);
/* 1 and the next event, already checked; 0 when the walk is over (walk_rc
 * says how); < 0 if the checker failed (err). */
int xsri_check_walk_next(struct xsri_check_walk *k, struct xsr_event *ev, struct xsr_error *err);
/* After the last event: the check's end-of-stream findings.  0 or < 0 (err). */
int xsri_check_walk_finish(struct xsri_check_walk *k, struct xsr_error *err);
/*
 * What xsr_dump and xsr_verify_report return once the output (of the kind
 * `what`, for messages) is written: XSR_ENOMEM if it is incomplete (oom),
 * XSR_EIO if writing it failed, the walker's own I/O or memory error (it is
 * not a property of the stream), else 1 if the check found errors, 0 if not.
 */
int xsri_check_walk_result(const struct xsri_check_walk *k, const char *what, bool oom, FILE *out,
                           const struct xsr_check_summary *s, struct xsr_error *err);
void xsri_check_walk_free(struct xsri_check_walk *k);

/* {"json_version":V,"command":C,"xsr_version":...,"input":...,"options":{"format":F
 * -- the caller adds its other options and closes the object. */
void xsri_json_doc_begin(FILE *out, int version, const char *command, const char *input,
                         enum xsr_layer format);
/* Write the emitter's finished JSON object after sep; false (nothing
 * written) if there is none, the emitter having run out of memory. */
bool xsri_json_write_taken(FILE *out, const char *sep, struct xsri_emit *e);

#endif
