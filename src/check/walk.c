/* SPDX-License-Identifier: MIT */
/* The checked walk (walk.h). */
#include "walk.h"

#include <string.h>

int xsri_check_walk_start(struct xsri_check_walk *k, struct xsr_chan *in,
                          const struct xsr_walker_opts *wo, const struct xsr_check_opts *co,
                          struct xsr_error *err)
{
    memset(k, 0, sizeof(*k));
    xsr_error_clear(&k->werr);
    k->w = xsr_walker_new(in, wo, err);
    k->c = k->w ? xsr_checker_new(co, err) : NULL;
    if (!k->w || !k->c)
        return err && err->code < 0 ? err->code : XSR_ENOMEM;
    return 0;
}

int xsri_check_walk_next(struct xsri_check_walk *k, struct xsr_event *ev, struct xsr_error *err)
{
    unsigned before;
    int rc;

    k->ev_errors = 0;
    k->walk_rc = xsr_walker_next(k->w, ev, &k->werr);
    if (k->walk_rc <= 0)
        return 0;
    before = xsr_checker_summary(k->c)->errors;
    rc = xsr_checker_event(k->c, ev, err);
    k->ev_errors = xsr_checker_summary(k->c)->errors - before;
    return rc < 0 ? rc : 1;
}

int xsri_check_walk_finish(struct xsri_check_walk *k, struct xsr_error *err)
{
    return xsr_checker_finish(k->c, k->walk_rc, k->walk_rc < 0 ? &k->werr : NULL, err);
}

int xsri_check_walk_error(const struct xsri_check_walk *k, struct xsr_error *err)
{
    if (k->walk_rc < 0 && err)
        *err = k->werr;
    return k->walk_rc;
}

const struct xsr_check_summary *xsri_check_walk_summary(const struct xsri_check_walk *k)
{
    return xsr_checker_summary(k->c);
}

void xsri_check_walk_free(struct xsri_check_walk *k)
{
    xsr_checker_free(k->c);
    xsr_walker_free(k->w);
    k->c = NULL;
    k->w = NULL;
}
