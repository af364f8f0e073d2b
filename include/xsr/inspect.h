/* SPDX-License-Identifier: MIT */
/*
 * Inspection: human and JSON dumps of a save image.  Output goes to a FILE
 * the caller supplies (a terminal, a file, or open_memstream in tests).
 */
#ifndef XSR_INSPECT_H
#define XSR_INSPECT_H

#include <stdbool.h>
#include <stdio.h>

#include <xsr/check.h>
#include <xsr/error.h>
#include <xsr/io.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xsr_dump_opts {
    enum xsr_layer format; /* XSR_LAYER_NONE = auto-detect */
    bool json;             /* one JSON document (doc/json.md) instead of text */
    bool pages;            /* every pfn of every PAGE_DATA, not a summary */
    bool lenient;          /* checker mode for the findings in the dump */
};

/* Dump every header and record with decoded fields, findings inline, and a
 * summary.  Returns 0 if the stream is valid, 1 if it has errors (the dump
 * is still complete up to where the stream could be walked), <0 on failure. */
int xsr_dump(struct xsr_chan *in, const struct xsr_dump_opts *opts, FILE *out, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
