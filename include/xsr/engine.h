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

#include <xsr/check.h>
#include <xsr/domain.h>
#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/progress.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- progress */

/* struct xsr_progress (xsr/progress.h), phases LIVE, FINAL, RESTORE and DONE. */

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
    XSR_POLICY_DOWNTIME = 0, /* Xen's passes while they shrink the dirty set, then stop
                              * once it fits the downtime target; give up sooner when
                              * a pass no longer shrinks it */
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
    uint32_t max_iterations;   /* 0: 5 (Xen) / 10 (downtime) */
    uint32_t downtime_ms;      /* 0: 300 */
    uint64_t max_dirty_pages;  /* stop below this many dirty pages; 0: 50 */
    uint32_t timeout_ms;       /* 0: none; then stop-and-copy (or abort) */
    uint64_t bandwidth_limit;  /* bytes/s, 0: none */
    bool abort_if_not_converged;
    /* the xl layer's domain configuration (JSON, with its NUL); NULL: a
     * minimal one describing the domain */
    const void *xl_config;
    uint32_t xl_config_len;
    xsr_progress_fn progress;
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

/* -------------------------------------------------------------- restore */

struct xsr_restore_opts {
    size_t size;             /* XSR_RESTORE_OPTS_INIT */
    enum xsr_layer format;   /* XSR_LAYER_NONE: detect (xl, libxl or bare libxc) */
    bool lenient;            /* accept what Xen's restorer accepts, not only valid streams */
    bool unpause;            /* let the guest run once it is complete (default: paused) */
    /* The new domain's size: highest pfn and vCPU count.  0: from the stream
     * (X86_PV_P2M_FRAMES for PV; a look ahead at the records when the input
     * is a mapped file), else 2^20 - 1 (4 GiB) and 64. */
    uint64_t max_pfn;
    uint32_t max_vcpus;
    xsr_finding_fn on_finding; /* every finding of the checker (may be NULL) */
    void *finding_ctx;
    xsr_progress_fn progress; /* every few MiB and at the end (may be NULL) */
    void *progress_ctx;
};
#define XSR_RESTORE_OPTS_INIT { .size = sizeof(struct xsr_restore_opts) }

struct xsr_restore_result {
    size_t size;             /* XSR_RESTORE_RESULT_INIT */
    enum xsr_layer format;   /* outermost layer of the input */
    uint32_t version;        /* libxc stream version */
    uint32_t dom_type;       /* XSR_DOM_X86_PV or XSR_DOM_X86_HVM */
    unsigned guest_width;
    uint64_t bytes;          /* of input read */
    uint64_t pages;          /* data pages written, re-sent copies included */
    uint64_t resent;         /* of those, copies of a frame that had data already */
    uint64_t zero_pages;     /* XALLOC entries (populated, no data) */
    uint64_t xtab, broken;   /* XTAB and BROKEN entries */
    uint64_t iterations;     /* memory passes */
    uint64_t verified;       /* pages compared after VERIFY */
    uint64_t verify_mismatches;
    uint64_t first_mismatch_pfn; /* UINT64_MAX if none */
    uint64_t tables;         /* PV page tables localised (copies) */
    uint64_t pinned;         /* PV tables pinned */
    uint32_t vcpus;          /* vCPUs given a context */
    unsigned warnings;       /* findings of the checker below error */
    uint64_t total_ms;
};
#define XSR_RESTORE_RESULT_INIT { .size = sizeof(struct xsr_restore_result) }

/*
 * Read a stream (v2, v3 or v4; xl, libxl or bare libxc) from in and build a
 * domain from it with factory f.  Every event goes through the checker
 * before anything of it is applied; memory goes through the receiver model
 * (last copy wins, XALLOC a zero page, XTAB/BROKEN, VERIFY compared).  PV
 * page tables, the P2M and the vCPUs' frames are localised (pfn -> the new
 * domain's mfn) and the tables pinned; then vCPU, HVM and domain state are
 * set.  The domain stays paused unless opts->unpause.
 *
 * On success the domain is committed; *out (may be NULL: then it is closed)
 * gets its handle.  On any failure nothing is left: the half-built domain is
 * destroyed, and err says what and where (byte offset, record index).
 * result may be NULL.
 */
int xsr_restore(struct xsr_chan *in, const struct xsr_domain_factory *f,
                const struct xsr_restore_opts *opts, struct xsr_restore_result *result,
                struct xsr_domain **out, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
