/* SPDX-License-Identifier: MIT */
/*
 * The generic restore: one checked walk of the receiver model, each event
 * refused on the checker's first error before anything of it is applied,
 * the domain created once its shape is known, and the completion (per-type
 * state, common state, commit).  A failure anywhere leaves no domain behind.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "restore_internal.h"
#include "util/opts.h"

#define PROGRESS_STEP (16u << 20)
#define DEFAULT_MAX_PFN ((1ull << 20) - 1)
#define DEFAULT_MAX_VCPUS 64u

uint64_t xsri_restore_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void progress(struct xsri_restore *r, uint64_t bytes, bool final)
{
    if (!r->o.progress || (!final && bytes < r->next_progress))
        return;
    r->next_progress = bytes + PROGRESS_STEP;
    struct xsr_progress p = { .size = sizeof p, .phase = final ? XSR_PHASE_DONE : XSR_PHASE_RESTORE,
                                     .iteration = (uint32_t)r->res.iterations, .bytes = bytes,
                                     .pages = r->res.pages, .eta_ms = -1, .downtime_ms = -1 };
    int64_t total = xsr_chan_size(r->in);
    p.total_bytes = total > 0 ? (uint64_t)total : 0;
    uint64_t ns = xsri_restore_now_ns() - r->t0_ns;
    p.elapsed_ms = ns / 1000000u;
    if (ns)
        p.bandwidth = (double)bytes * 1e9 / (double)ns;
    if (p.total_bytes > bytes && p.bandwidth > 0)
        p.eta_ms = (int64_t)((double)(p.total_bytes - bytes) * 1000.0 / p.bandwidth);
    r->o.progress(r->o.progress_ctx, &p);
}

/* The receiver's reading progress, reported as the restore's. */
static void on_progress(void *ctx, const struct xsr_progress *p)
{
    progress(ctx, p->bytes, false);
}

/* ------------------------------------------------------------- checker */

/* Is the rule one that Xen's restorer lets pass? */
static bool lenient_accepts(const char *rule)
{
    unsigned n = 0;
    const struct xsr_rule_info *t = xsr_rules(&n);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(t[i].id, rule) == 0)
            return t[i].lenient_severity != XSR_SEV_ERROR;
    return false;
}

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct xsri_restore *r = ctx;
    if (r->o.on_finding)
        r->o.on_finding(r->o.finding_ctx, f);
    if (f->severity != XSR_SEV_ERROR) {
        if (r->res.warnings < UINT32_MAX)
            r->res.warnings++;
        return;
    }
    if (r->check_failed)
        return;
    r->check_failed = true;
    bool hint = !r->o.lenient && lenient_accepts(f->rule);
    xsr_finding_error(f, hint ? " (Xen's restorer accepts it: lenient)" : NULL, &r->check_err);
}

/* The checked walk has given the event's findings to on_finding already. */
static int check_failed(struct xsri_restore *r, struct xsr_error *err)
{
    if (!r->check_failed)
        return 0;
    if (err)
        *err = r->check_err;
    return XSR_EFORMAT;
}

/* --------------------------------------------------------------- domain */

int xsri_restore_domain(struct xsri_restore *r, struct xsr_error *err)
{
    if (r->d)
        return 0;
    if (!r->t)
        return xsr_error_set(err, XSR_EFORMAT, "no domain header came before the guest's memory");
    if (r->dom_type == XSR_DOM_X86_PV && !r->pv_info)
        return xsr_error_set(err, XSR_EFORMAT, "no X86_PV_INFO came before the guest's memory");
    struct xsr_domain_config cfg = XSR_DOMAIN_CONFIG_INIT;
    cfg.type = r->dom_type;
    cfg.guest_width = r->guest_width;
    cfg.pt_levels = r->pt_levels;
    cfg.max_pfn = r->o.max_pfn ? r->o.max_pfn : r->max_pfn ? r->max_pfn : DEFAULT_MAX_PFN;
    cfg.max_vcpus = r->o.max_vcpus ? r->o.max_vcpus : r->max_vcpus ? r->max_vcpus : DEFAULT_MAX_VCPUS;
    r->max_pfn = cfg.max_pfn;
    r->max_vcpus = cfg.max_vcpus;
    int rc = r->f->create(r->f, &cfg, &r->d, err);
    if (rc < 0) {
        r->d = NULL;
        return rc;
    }
    return 0;
}

/* ----------------------------------------------------------- the sink */

static int image_header(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    r->version = ev->u.ihdr.version;
    r->res.version = r->version;
    if (xsr_ihdr_order(&ev->u.ihdr) != XSR_LITTLE_ENDIAN)
        return xsr_error_set(err, XSR_EUNSUP,
                             "a big-endian stream cannot be restored into an x86 domain");
    return 0;
}

static int domain_header(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    if (r->t)
        return xsr_error_set(err, XSR_EFORMAT, "a second domain header");
    r->dom_type = ev->u.dhdr.type;
    r->res.dom_type = r->dom_type;
    switch (r->dom_type) {
    case XSR_DOM_X86_PV:
        r->t = &xsri_restore_pv;
        break;
    case XSR_DOM_X86_HVM:
        r->t = &xsri_restore_hvm;
        r->guest_width = 8;
        r->res.guest_width = 8;
        break;
    default:
        return xsr_error_set(err, XSR_EUNSUP, "a domain of type %" PRIu32 " cannot be restored",
                             r->dom_type);
    }
    return 0;
}

static int libxc_record(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    uint32_t type = ev->u.rec.type;
    switch (type) {
    case XSR_REC_END:
    case XSR_REC_PAGE_DATA: /* the batches */
    case XSR_REC_VERIFY:    /* the receiver model */
    case XSR_REC_STATIC_DATA_END:
        return 0;
    case XSR_REC_CHECKPOINT:
        return xsr_error_set(err, XSR_EUNSUP,
                             "a checkpointed (Remus/COLO) stream is not restored as a plain one");
    default:
        break;
    }
    if (!r->t)
        return xsr_error_set(err, XSR_EFORMAT, "a record before the domain header");
    int rc = xsri_restore_common_record(r, ev, err);
    if (rc <= 0)
        return rc;
    rc = r->t->record(r, ev, err);
    if (rc <= 0)
        return rc;
    if (type & XSR_REC_OPTIONAL)
        return 0;
    const char *name = xsr_rec_type_name(type);
    return xsr_error_set(err, XSR_EFORMAT, "mandatory record %s%s%#" PRIx32 " is not one this %s restore handles",
                         name ? name : "", name ? " " : "type ", name ? 0 : type,
                         r->dom_type == XSR_DOM_X86_PV ? "PV" : "HVM");
}

static int on_event(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    (void)s;
    struct xsri_restore *r = ctx;
    int rc = check_failed(r, err);
    if (rc == 0) {
        switch (ev->kind) {
        case XSR_EV_IMAGE_HEADER:
            rc = image_header(r, ev, err);
            break;
        case XSR_EV_DOMAIN_HEADER:
            rc = domain_header(r, ev, err);
            break;
        case XSR_EV_RECORD:
            rc = libxc_record(r, ev, err);
            break;
        default: /* xl and libxl framing, the toolstack's records */
            break;
        }
    }
    return rc;
}

static int on_iter(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    (void)s;
    (void)ev;
    (void)err;
    struct xsri_restore *r = ctx;
    r->res.iterations++;
    return 0;
}

/* ------------------------------------------------------------ the end */

static int complete(struct xsri_restore *r, struct xsr_error *err)
{
    int rc = xsri_restore_domain(r, err);
    if (rc < 0)
        return rc;
    rc = r->t->complete(r, err);
    if (rc < 0)
        return rc;
    rc = xsri_restore_common_state(r, err);
    if (rc < 0)
        return rc;
    if (r->o.unpause && (rc = xsr_domain_unpause(r->d, err)) < 0)
        return rc;
    return XSR_DOMAIN_CALL(r->d, commit, err, err);
}

static void cleanup(struct xsri_restore *r)
{
    xsri_restore_unmap(r);
    if (r->t && r->t->free)
        r->t->free(r);
    xsri_stash_free(&r->shared_info);
    xsri_stash_free(&r->tsc_info);
    xsri_stash_free(&r->domain_context);
    xsri_stash_free(&r->cpuid);
    xsri_stash_free(&r->msr);
}

static int run(struct xsri_restore *r, struct xsr_error *err)
{
    struct xsr_check_opts co = XSR_CHECK_OPTS_INIT;
    co.lenient = r->o.lenient;
    co.on_finding = on_finding;
    co.ctx = r;
    xsri_restore_size(r);

    /* nothing after the END is read: on a migration connection xl's
     * conversation goes on there */
    struct xsr_analyze_opts ao = XSR_ANALYZE_OPTS_INIT;
    ao.format = r->o.format;
    ao.progress = on_progress;
    ao.progress_ctx = r;
    ao.stop_at_end = true;
    const struct xsri_scan_cb cb = {
        .ctx = r, .event = on_event, .iter_begin = on_iter, .batch = xsri_restore_batch,
        .page = xsri_restore_page, .record_end = xsri_restore_record_end, .check = &co,
    };
    struct xsri_scan scan;
    r->scan = &scan;
    int rc = xsri_scan_run(r->in, &ao, false, &cb, &scan, err);
    xsri_restore_unmap(r);
    r->res.bytes = scan.bytes;
    r->res.format = scan.check.format;
    /* a framing error is the walk's (err says where); the end-of-stream
     * rules have been checked when the walk ended cleanly */
    if (rc == 0)
        rc = check_failed(r, err);
    if (rc == 0 && (rc = complete(r, err)) < 0)
        xsr_error_locate(err, r->res.bytes, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
    xsri_scan_free(&scan);
    r->scan = NULL;
    return rc;
}

int xsr_restore(struct xsr_chan *in, const struct xsr_domain_factory *f,
                const struct xsr_restore_opts *opts, struct xsr_restore_result *result,
                struct xsr_domain **out, struct xsr_error *err)
{
    if (out)
        *out = NULL;
    if (!in || !f || !f->create)
        return xsr_error_set(err, XSR_EINVAL, "xsr_restore needs an input and a domain factory");
    if (f->version != XSR_DOMAIN_FACTORY_VERSION)
        return xsr_error_set(err, XSR_EINVAL, "domain factory version %" PRIu32 " is not %u",
                             f->version, XSR_DOMAIN_FACTORY_VERSION);
    if (result && xsri_opts_check(result->size, sizeof(*result), sizeof(*result),
                                  "xsr_restore_result", err) < 0)
        return XSR_EINVAL;
    struct xsri_restore *r = calloc(1, sizeof(*r));
    if (!r)
        return xsr_error_set(err, XSR_ENOMEM, "cannot allocate the restore's state");
    int rc = xsri_opts_load(&r->o, sizeof(r->o), opts, sizeof(r->o), "xsr_restore_opts", err);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->res.size = sizeof(r->res);
    r->res.first_mismatch_pfn = UINT64_MAX;
    r->f = f;
    r->in = in;
    r->t0_ns = xsri_restore_now_ns();

    rc = run(r, err);
    r->res.total_ms = (xsri_restore_now_ns() - r->t0_ns) / 1000000u;
    if (rc == 0)
        progress(r, r->res.bytes, true);
    cleanup(r);
    if (rc < 0 || !out)
        xsr_domain_close(r->d); /* uncommitted: destroyed */
    else
        *out = r->d;
    if (result) {
        size_t sz = result->size;
        memcpy(result, &r->res, sz);
        result->size = sz;
    }
    free(r);
    return rc;
}
