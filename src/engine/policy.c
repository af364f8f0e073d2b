/* SPDX-License-Identifier: MIT */
/*
 * When to stop pre-copying.  Xen's rule (xg_sr_save.c) stops after a fixed
 * number of passes or once few pages are dirty, whatever that costs in
 * downtime.  The downtime rule keeps Xen's passes while they pay off and
 * then weighs the downtime: it stops once what is dirty can be sent within
 * the target at the bandwidth just measured (QEMU's downtime-limit), and
 * gives up early when a pass no longer shrinks the dirty set, since more
 * passes would only resend what the guest keeps writing.  So it is never
 * later than Xen's rule where the guest converges, and sooner where it
 * does not.
 */
#include <xsr/engine.h>

#include "engine_internal.h"

#define XEN_MAX_ITERATIONS 5u
#define XEN_DIRTY_THRESHOLD 50u
#define DOWNTIME_MAX_ITERATIONS 10u
#define DOWNTIME_DEFAULT_MS 300u
/* a pass that leaves more than this share of the pages it sent dirty again
 * made no progress */
#define STALL_NUM 9u
#define STALL_DEN 10u

static bool timed_out(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    return o->timeout_ms && s->elapsed_ms >= o->timeout_ms;
}

static uint64_t dirty_threshold(const struct xsr_save_opts *o)
{
    return o->max_dirty_pages ? o->max_dirty_pages : XEN_DIRTY_THRESHOLD;
}

static bool fits(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    return xsri_policy_downtime_ms(s) <= (o->downtime_ms ? o->downtime_ms : DOWNTIME_DEFAULT_MS);
}

/* Out of passes or time without converging: the user chooses between a
 * long downtime and keeping the guest where it is. */
static enum xsr_live_decision give_up(const struct xsr_save_opts *o)
{
    return o->abort_if_not_converged ? XSR_LIVE_ABORT : XSR_LIVE_STOP_AND_COPY;
}

enum xsr_live_decision xsr_policy_xen(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    uint32_t max_it = o->max_iterations ? o->max_iterations : XEN_MAX_ITERATIONS;
    if (s->dirty < dirty_threshold(o))
        return XSR_LIVE_STOP_AND_COPY;
    if (s->iteration >= max_it || timed_out(o, s))
        return give_up(o);
    return XSR_LIVE_CONTINUE;
}

uint64_t xsri_policy_downtime_ms(const struct xsr_live_state *s)
{
    if (s->dirty == 0)
        return 0;
    if (s->bandwidth <= 0)
        return UINT64_MAX;
    double bytes = (double)s->dirty * (XSR_PAGE_SIZE + 8);
    return (uint64_t)(bytes / s->bandwidth * 1000.0);
}

bool xsri_policy_converged(const struct xsr_save_opts *o, const struct xsr_live_state *s)
{
    return s->dirty < dirty_threshold(o) || fits(o, s);
}

enum xsr_live_decision xsr_policy_downtime(const struct xsr_save_opts *o,
                                           const struct xsr_live_state *s)
{
    uint32_t max_it = o->max_iterations ? o->max_iterations : DOWNTIME_MAX_ITERATIONS;
    uint32_t xen_it = max_it < XEN_MAX_ITERATIONS ? max_it : XEN_MAX_ITERATIONS;
    if (s->dirty < dirty_threshold(o))
        return XSR_LIVE_STOP_AND_COPY;
    if (timed_out(o, s))
        return fits(o, s) ? XSR_LIVE_STOP_AND_COPY : give_up(o);
    /* the guest dirties at least as fast as a pass sends: no pass can
     * shrink what the final one must send */
    if (s->iteration >= 2 && s->dirty >= s->prev_dirty)
        return fits(o, s) ? XSR_LIVE_STOP_AND_COPY : give_up(o);
    /* Xen's passes while the dirty set shrinks: each one cuts the downtime */
    if (s->iteration < xen_it)
        return XSR_LIVE_CONTINUE;
    if (fits(o, s))
        return XSR_LIVE_STOP_AND_COPY;
    bool stalled = s->prev_dirty && s->dirty * STALL_DEN >= s->prev_dirty * STALL_NUM;
    if (stalled || s->iteration >= max_it)
        return give_up(o);
    return XSR_LIVE_CONTINUE;
}
