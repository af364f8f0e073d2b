/* SPDX-License-Identifier: MIT */
/*
 * Text dump: a run of PAGE_DATA records is shown as its first record and
 * one item for the rest (counts, pfn range, data pages, types), so that a
 * guest's memory does not bury the records around it.  Records with
 * findings, and every record with --pages, are shown one by one.
 */
#ifndef XSR_INSPECT_DUMP_RUNS_H
#define XSR_INSPECT_DUMP_RUNS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xsr/stream.h>

struct xsri_page_run {
    bool open;            /* the last item shown was a PAGE_DATA record of the run */
    uint64_t n;           /* records folded into the run since */
    uint64_t first_off, bytes;
    int64_t first_idx, last_idx;
    uint64_t pfns, data_pages, pfn_min, pfn_max;
    uint64_t types[16];
};

/* A libxc PAGE_DATA record without findings: true if it is folded into the
 * open run (nothing to show for it now); false if it is to be shown, in
 * which case it opens a run when it decodes. */
bool xsri_page_run_add(struct xsri_page_run *r, const struct xsr_event *ev);
/* Show what was folded into the run, if anything, and close it. */
void xsri_page_run_end(struct xsri_page_run *r, FILE *out);

#endif
