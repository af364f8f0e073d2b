/* SPDX-License-Identifier: MIT */
/*
 * The save/restore engine: a stream from a domain (save, optionally live:
 * pre-copy over the dirty log) and a domain from a stream (restore), over the
 * back-end contract of xsr/domain.h only.
 */
#ifndef XSR_ENGINE_H
#define XSR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/domain.h>
#include <xsr/error.h>
#include <xsr/io.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- progress */

enum xsr_engine_phase {
    XSR_PHASE_LIVE = 1,  /* a pre-copy pass while the guest runs */
    XSR_PHASE_FINAL,     /* the guest is paused: last pass and its state */
    XSR_PHASE_RESTORE,   /* reading a stream into a domain */
    XSR_PHASE_DONE,
};

/* One progress report (sizes in bytes, rates per second, times in ms). */
struct xsr_engine_progress {
    size_t size; /* sizeof(struct xsr_engine_progress) of the library */
    enum xsr_engine_phase phase;
    uint32_t iteration;   /* pass number, from 1 */
    uint64_t bytes;       /* written (save) or read (restore) so far */
    uint64_t pages;       /* page records' data pages so far */
    uint64_t total_bytes; /* restore: the input's size if known, else 0 */
    uint64_t dirty;       /* live: pages dirtied during the last pass */
    double bandwidth;     /* bytes/s measured over the last pass */
    double dirty_rate;    /* pages/s dirtied over the last pass */
    uint64_t elapsed_ms;
    int64_t eta_ms;       /* -1 unknown */
    int64_t downtime_ms;  /* -1 until known (after the final pass) */
};
typedef void (*xsr_engine_progress_fn)(void *ctx, const struct xsr_engine_progress *p);

/* ----------------------------------------------------------------- save */

/* What a live policy decides after each pre-copy pass. */
enum xsr_live_decision {
    XSR_LIVE_CONTINUE = 0,  /* another pass */
    XSR_LIVE_STOP_AND_COPY, /* pause, last pass, state */
    XSR_LIVE_ABORT,         /* give up; the guest keeps running */
};

/* What a live policy sees after each pre-copy pass. */
struct xsr_live_state {
    size_t size;          /* sizeof(struct xsr_live_state) of the library */
    uint32_t iteration;   /* passes done, from 1 */
    uint64_t pages_sent;  /* in all passes so far */
    uint64_t bytes_sent;
    uint64_t dirty;       /* pages dirty now: what the next pass (or the final one) sends */
    uint64_t prev_dirty;  /* pages the last pass sent (all pages after the first) */
    double bandwidth;     /* bytes/s over the last pass */
    double dirty_rate;    /* pages/s dirtied over the last pass */
    uint64_t elapsed_ms;  /* since the save started */
};
typedef enum xsr_live_decision (*xsr_live_policy_fn)(void *ctx, const struct xsr_live_state *s);

enum xsr_live_policy {
    XSR_POLICY_DOWNTIME = 0, /* stop as soon as the dirty pages fit the downtime target */
    XSR_POLICY_XEN,          /* Xen's: after max_iterations (5) or below max_dirty_pages (50) */
};

struct xsr_save_opts {
    size_t size;               /* XSR_SAVE_OPTS_INIT */
    enum xsr_layer format;     /* XSR_LAYER_XL (default), _LIBXL or _LIBXC */
    uint32_t version;          /* libxc stream version 2, 3 (default) or 4 */
    bool no_zero_elision;      /* send every page with its data */
    bool live;                 /* pre-copy while the guest runs */
    bool debug;                /* Xen's --debug: a VERIFY pass of every page after the state */
    bool resume;               /* unpause the guest after the save (xl save -c) */
    /* live only */
    enum xsr_live_policy policy;
    xsr_live_policy_fn policy_fn; /* overrides policy when set */
    void *policy_ctx;
    uint32_t max_iterations;   /* 0: 5 (Xen) / 30 (downtime) */
    uint32_t downtime_ms;      /* 0: 300 */
    uint64_t max_dirty_pages;  /* Xen's policy: 0: 50 */
    uint32_t timeout_ms;       /* 0: none; then stop-and-copy (or abort) */
    uint64_t bandwidth_limit;  /* bytes/s, 0: none */
    bool abort_if_not_converged;
    /* the xl layer's domain configuration (JSON, with its NUL); NULL: a
     * minimal one describing the domain */
    const void *xl_config;
    uint32_t xl_config_len;
    xsr_engine_progress_fn progress;
    void *progress_ctx;
};
#define XSR_SAVE_OPTS_INIT { .size = sizeof(struct xsr_save_opts), .format = XSR_LAYER_XL, .version = 3 }

struct xsr_save_result {
    size_t size;            /* XSR_SAVE_RESULT_INIT */
    uint64_t bytes;         /* of the stream */
    uint64_t pages;         /* pages sent with data, all passes */
    uint64_t zero_pages;    /* sent as XALLOC without data */
    uint64_t xtab;          /* pfns sent as XTAB (holes, unmappable frames) */
    uint32_t iterations;    /* passes (the final one included) */
    uint64_t final_pages;   /* pages sent while paused */
    uint64_t downtime_ms;   /* from the pause to the end of the stream */
    uint64_t total_ms;
    bool converged;         /* live: the policy stopped below its target */
};
#define XSR_SAVE_RESULT_INIT { .size = sizeof(struct xsr_save_result) }

/*
 * Write domain d as a stream to out.  The guest is paused for the final
 * pass and stays paused afterwards unless opts->resume (a toolstack then
 * destroys or keeps it).  On failure the guest is resumed if it was running
 * when the save began; what was written is incomplete (the caller removes
 * it).  result may be NULL.
 */
int xsr_save(struct xsr_domain *d, struct xsr_chan *out, const struct xsr_save_opts *opts,
             struct xsr_save_result *result, struct xsr_error *err);

/* The built-in policies, for callers that wrap them. */
enum xsr_live_decision xsr_policy_xen(const struct xsr_save_opts *o, const struct xsr_live_state *s);
enum xsr_live_decision xsr_policy_downtime(const struct xsr_save_opts *o,
                                           const struct xsr_live_state *s);

#ifdef __cplusplus
}
#endif
#endif
