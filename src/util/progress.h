/* SPDX-License-Identifier: MIT */
/* Reporting progress through the one public type (xsr/progress.h). */
#ifndef XSR_UTIL_PROGRESS_H
#define XSR_UTIL_PROGRESS_H

#include <xsr/progress.h>

/* A reader's report: done bytes of an input of total (< 0: unknown). */
static inline void xsri_progress_read(xsr_progress_fn fn, void *ctx, uint64_t done, int64_t total)
{
    if (!fn)
        return;
    struct xsr_progress p = {
        .size = sizeof(p), .phase = XSR_PHASE_READ, .bytes = done,
        .total_bytes = total > 0 ? (uint64_t)total : 0, .eta_ms = -1, .downtime_ms = -1,
    };
    fn(ctx, &p);
}

#endif
