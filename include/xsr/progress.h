/* SPDX-License-Identifier: MIT */
/*
 * Progress of a long operation, one type for every API that reports it
 * (analyses, verification, conversions, save and restore).  The library
 * fills the structure and passes it to the caller's function; members are
 * only appended, and size says how many the library filled.
 */
#ifndef XSR_PROGRESS_H
#define XSR_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xsr_phase {
    XSR_PHASE_READ = 0,  /* reading an input: analyses, verify, conversions */
    XSR_PHASE_LIVE,      /* save: a pre-copy pass while the guest runs */
    XSR_PHASE_FINAL,     /* save: the guest is paused, last pass and its state */
    XSR_PHASE_RESTORE,   /* reading a stream into a domain */
    XSR_PHASE_DONE,      /* save or restore: the last report */
};

/* One report (sizes in bytes, rates per second, times in ms). */
struct xsr_progress {
    size_t size;          /* sizeof(struct xsr_progress) of the library */
    enum xsr_phase phase;
    uint32_t iteration;   /* save: pass number, from 1; else 0 */
    uint64_t bytes;       /* read so far (a save: written) */
    uint64_t pages;       /* save and restore: data pages so far */
    uint64_t total_bytes; /* the input's size if known, else 0 */
    uint64_t dirty;       /* live: pages dirtied during the last pass */
    double bandwidth;     /* bytes/s measured over the last pass */
    double dirty_rate;    /* pages/s dirtied over the last pass */
    uint64_t elapsed_ms;
    int64_t eta_ms;       /* -1 unknown */
    int64_t downtime_ms;  /* -1 until known (after a save's final pass) */
};

/* Called every few MiB and at the end; p is valid during the call only. */
typedef void (*xsr_progress_fn)(void *ctx, const struct xsr_progress *p);

#ifdef __cplusplus
}
#endif
#endif
