/* SPDX-License-Identifier: MIT */
/*
 * Inspection: human and JSON dumps of a save image.  Output goes to a FILE
 * the caller supplies (a terminal, a file, or open_memstream in tests).
 */
#ifndef XSR_INSPECT_H
#define XSR_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xsr/check.h>
#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/progress.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xsr_dump_opts {
    size_t size;           /* sizeof(struct xsr_dump_opts): XSR_DUMP_OPTS_INIT */
    enum xsr_layer format; /* XSR_LAYER_NONE = auto-detect */
    bool json;             /* one JSON document (doc/json.md) instead of text */
    bool pages;            /* every pfn of every PAGE_DATA, not a summary */
    bool lenient;          /* checker mode for the findings in the dump */
    bool summary_only;     /* text: only the summary and the verdict */
    const char *input_name; /* shown in the dump ("-" = standard input); may be NULL */
};
#define XSR_DUMP_OPTS_INIT { .size = sizeof(struct xsr_dump_opts) }

/* Dump every header and record with decoded fields, findings inline, and a
 * summary.  Returns 0 if the stream is valid, 1 if it has errors (the dump
 * is still complete up to where the stream could be walked), <0 on failure. */
int xsr_dump(struct xsr_chan *in, const struct xsr_dump_opts *opts, FILE *out, struct xsr_error *err);

/*
 * Verify with a report (what `xsr verify` prints): in text mode each finding
 * as "error: <message> [rule-id]" (warnings and notes likewise) and a
 * one-line verdict; in JSON mode one document (doc/json.md, "verify").
 * quiet suppresses text output.  progress, if set, is called now and then
 * with the bytes walked and the input size (0 if unknown); progress_clear,
 * if set, before the report writes a line of text (so that a caller drawing
 * a progress line on the same terminal can erase it first).
 * Returns as xsr_verify: 0 valid, 1 invalid, <0 on failure.
 */
struct xsr_report_opts {
    size_t size;            /* sizeof(struct xsr_report_opts): XSR_REPORT_OPTS_INIT */
    enum xsr_layer format;  /* XSR_LAYER_NONE = auto-detect */
    bool json;
    bool lenient;
    bool quiet;
    const char *input_name; /* may be NULL */
    xsr_progress_fn progress;
    void (*progress_clear)(void *ctx);
    void *progress_ctx;
    /* Also say whether this release group's restorer accepts the image
     * (the result is then 1 when it does not); NULL: only the validity. */
    const struct xsr_xen_target *target;
    const char *target_name; /* as the user named it ("xen-4.17"); may be NULL */
};
#define XSR_REPORT_OPTS_INIT { .size = sizeof(struct xsr_report_opts) }
int xsr_verify_report(struct xsr_chan *in, const struct xsr_report_opts *opts, FILE *out,
                      struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
