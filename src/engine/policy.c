/* SPDX-License-Identifier: MIT */
/*
 * When to stop pre-copying.  Xen's rule (xg_sr_save.c) stops after a fixed
 * number of passes or once few pages are dirty, whatever that costs in
 * downtime.  The downtime rule stops as soon as what is dirty can be sent
 * within the target at the bandwidth just measured (QEMU's downtime-limit),
 * and stops early when a pass no longer shrinks the dirty set: more passes
 * would only resend what the guest keeps writing.
 */
#include <xsr/engine.h>

#include "engine_internal.h"

#define XEN_MAX_ITERATIONS 5u
#define XEN_DIRTY_THRESHOLD 50u
#define DOWNTIME_MAX_ITERATIONS 30u
#define DOWNTIME_DEFAULT_MS 300u
/* a pass that leaves more than this share of the pages it sent dirty again
 * made no progress */
#define STALL_NUM 9u
#define STALL_DEN 10u

static bool timed_out(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    return o->timeout_ms && s->elapsed_ms >= o->timeout_ms;
}

enum xsr_live_decision xsr_policy_xen(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    uint32_t max_it = o->max_iterations ? o->max_iterations : XEN_MAX_ITERATIONS;
    uint64_t thr = o->max_dirty_pages ? o->max_dirty_pages : XEN_DIRTY_THRESHOLD;
    if (s->dirty < thr)
        return XSR_LIVE_STOP_AND_COPY;
    if (s->iteration >= max_it || timed_out(o, s))
        return o->abort_if_not_converged ? XSR_LIVE_ABORT : XSR_LIVE_STOP_AND_COPY;
    return XSR_LIVE_CONTINUE;
}

uint64_t xsri_policy_downtime_ms(const struct xsr_live_state *s)
{
    if (s->bandwidth <= 0)
        return UINT64_MAX;
    double bytes = (double)s->dirty * (XSR_PAGE_SIZE + 8);
    return (uint64_t)(bytes / s->bandwidth * 1000.0);
}

enum xsr_live_decision xsr_policy_downtime(const struct xsr_save_opts *o,
                                           const struct xsr_live_state *s)
{
    uint32_t target = o->downtime_ms ? o->downtime_ms : DOWNTIME_DEFAULT_MS;
    uint32_t max_it = o->max_iterations ? o->max_iterations : DOWNTIME_MAX_ITERATIONS;
    if (s->dirty == 0 || xsri_policy_downtime_ms(s) <= target)
        return XSR_LIVE_STOP_AND_COPY;
    bool stalled = s->iteration >= 2 && s->prev_dirty &&
                   s->dirty * STALL_DEN >= s->prev_dirty * STALL_NUM;
    if (stalled || s->iteration >= max_it || timed_out(o, s))
        return o->abort_if_not_converged ? XSR_LIVE_ABORT : XSR_LIVE_STOP_AND_COPY;
    return XSR_LIVE_CONTINUE;
}
