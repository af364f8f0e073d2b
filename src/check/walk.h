/* SPDX-License-Identifier: MIT */
/*
 * The checked walk: the one loop that walks a stream and checks each event
 * before a consumer sees it.  Verify, dump, the receiver model (extract,
 * stats, diff, map, the restore engine) and the version converter all read
 * a stream through it, so every one of them sees a checked stream: the
 * checker's findings for an event have gone to the findings callback (and
 * into the summary) when the event is handed out.
 *
 * A framing error ends the walk without being a failure of the walk itself:
 * next returns 0 and walk_rc/werr say why, so that a dump can still show
 * and judge what came before; a consumer that cannot go on takes the error
 * with xsri_check_walk_error.
 */
#ifndef XSR_CHECK_WALK_H
#define XSR_CHECK_WALK_H

#include <xsr/check.h>
#include <xsr/stream.h>

struct xsri_check_walk {
    struct xsr_walker *w;
    struct xsr_checker *c;
    int walk_rc;            /* the walker's last answer: 0 at the end, < 0 stopped early */
    struct xsr_error werr;  /* why it stopped early */
    unsigned ev_errors;     /* errors the last event drew (strict or lenient, as checked) */
};

/* Start walking and checking in.  wo, co: NULL = the defaults (auto-detect,
 * strict, findings only counted).  Returns 0 or a negative code (err); call
 * xsri_check_walk_free either way. */
int xsri_check_walk_start(struct xsri_check_walk *k, struct xsr_chan *in,
                          const struct xsr_walker_opts *wo, const struct xsr_check_opts *co,
                          struct xsr_error *err);
/* 1 and the next event, already checked; 0 when the walk is over (walk_rc
 * says how); < 0 if the checker failed (err). */
int xsri_check_walk_next(struct xsri_check_walk *k, struct xsr_event *ev, struct xsr_error *err);
/* After the last event: the check's end-of-stream findings.  0 or < 0 (err). */
int xsri_check_walk_finish(struct xsri_check_walk *k, struct xsr_error *err);
/* walk_rc, with werr copied to err if it is < 0. */
int xsri_check_walk_error(const struct xsri_check_walk *k, struct xsr_error *err);
const struct xsr_check_summary *xsri_check_walk_summary(const struct xsri_check_walk *k);
void xsri_check_walk_free(struct xsri_check_walk *k);

#endif
