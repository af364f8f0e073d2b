/* SPDX-License-Identifier: MIT */
/*
 * The engine's inside: the save context shared by the generic save
 * (save.c) and its per-guest-type parts (save_pv.c, save_hvm.c), chosen
 * through an ops table as Xen's xg_sr_save*.c do.
 */
#ifndef XSR_ENGINE_INTERNAL_H
#define XSR_ENGINE_INTERNAL_H

#include <stdint.h>
#include <sys/uio.h>

#include <xsr/engine.h>
#include <xsr/stream.h>

struct xsri_save;

/* What differs between PV and HVM guests. */
struct xsri_save_type {
    /* Records of the static data before STATIC_DATA_END (besides the CPU
     * policies), e.g. X86_PV_INFO. */
    int (*static_data)(struct xsri_save *s, struct xsr_error *err);
    /* Records after STATIC_DATA_END, before the memory (X86_PV_P2M_FRAMES). */
    int (*start_of_stream)(struct xsri_save *s, struct xsr_error *err);
    /* Make the copy of a page-table page fit for the stream (PV: MFN -> PFN);
     * XSR_EAGAIN-like deferral is reported through *defer while running. */
    int (*normalise_table)(struct xsri_save *s, uint64_t pfn, unsigned type, uint8_t *page,
                           bool *defer, struct xsr_error *err);
    /* The state after the last pass (vCPUs, HVM context, ...): records up to
     * the END.  SHARED_INFO / TSC_INFO / DOMAIN_CONTEXT are the generic part's. */
    int (*end_of_checkpoint)(struct xsri_save *s, struct xsr_error *err);
};

extern const struct xsri_save_type xsri_save_pv, xsri_save_hvm;

struct xsri_save {
    struct xsr_domain *d;
    struct xsr_domain_info info;
    struct xsr_save_opts o;
    struct xsr_builder *b;
    const struct xsri_save_type *t;
    bool paused; /* by us, for the final pass */
    /* bitmaps of info.max_pfn + 1 bits */
    uint64_t nbits;
    uint64_t *sent_data; /* sent with data at least once */
    uint64_t *dirty;     /* to send in the next pass */
    uint64_t *deferred;  /* PV tables that named a frame in flux: resend paused */
    /* one batch */
    uint64_t pfns[XSR_PAGE_BATCH_MAX];
    uint64_t mpfns[XSR_PAGE_BATCH_MAX]; /* the batch's pfns that have a frame */
    uint64_t words[XSR_PAGE_BATCH_MAX];
    uint32_t types[XSR_PAGE_BATCH_MAX];
    void *pages[XSR_PAGE_BATCH_MAX];
    int errs[XSR_PAGE_BATCH_MAX];
    struct iovec iov[XSR_PAGE_BATCH_MAX];
    uint8_t *tables; /* copies of the batch's page tables, XSR_PAGE_BATCH_MAX pages */
    /* counters */
    uint64_t pages_sent, zero_pages, xtab, final_pages;
    uint64_t bytes_done; /* of the stream, once the builder is gone */
    uint32_t iteration;
    uint64_t t0_ns, pause_ns, last_report_ns;
};

/* The downtime a stop now would cost at the measured bandwidth (policy.c). */
uint64_t xsri_policy_downtime_ms(const struct xsr_live_state *s);
/* Whether a live save stopping in state s met its target (policy.c). */
bool xsri_policy_converged(const struct xsr_save_opts *o, const struct xsr_live_state *s);

/* Monotonic time in ns. */
uint64_t xsri_now_ns(void);

/* Bitmap helpers (bit p of word p / 64). */
static inline bool xsri_test(const uint64_t *bm, uint64_t p) { return (bm[p / 64] >> (p % 64)) & 1u; }
static inline void xsri_set(uint64_t *bm, uint64_t p) { bm[p / 64] |= 1ull << (p % 64); }
static inline void xsri_clear(uint64_t *bm, uint64_t p) { bm[p / 64] &= ~(1ull << (p % 64)); }

/* A blob getter's result in a malloc'd buffer (size query first); *len 0: none. */
int xsri_get_blob(struct xsri_save *s,
                  int (*get)(struct xsr_domain *, uint8_t *, size_t, size_t *, struct xsr_error *),
                  const char *what, uint8_t **buf, size_t *len, struct xsr_error *err);

#endif
