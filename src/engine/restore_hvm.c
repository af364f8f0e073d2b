/* SPDX-License-Identifier: MIT */
/*
 * The HVM part of a restore (Xen's xg_sr_restore_x86_hvm.c): HVM params
 * (each entry set, in stream order) and the HVM context (the last one wins),
 * both set once the stream is complete.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "restore_internal.h"

#define HVM_PARAM_PAE_ENABLED 4u /* obsolete: dropped, as Xen's restorer does */
#define PARAMS_MAX (1u << 20)    /* entries kept across all HVM_PARAMS records */

struct hvm_priv {
    struct xsri_stash context;
    struct xsri_stash params_at; /* where the last HVM_PARAMS was, for messages */
    uint64_t *params;            /* index, value pairs */
    size_t n, cap;
};

static struct hvm_priv *priv(struct xsri_restore *r, struct xsr_error *err)
{
    if (!r->type_priv && !(r->type_priv = calloc(1, sizeof(struct hvm_priv))))
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate the HVM restore's state");
    return r->type_priv;
}

static int params(struct hvm_priv *h, const struct xsr_event *ev, struct xsr_error *err)
{
    struct xsr_hvm_params p;
    int rc = xsr_hvm_params_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &p, err);
    if (rc < 0)
        return rc;
    if (h->n + p.count > PARAMS_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "more than %u HVM params in the stream", PARAMS_MAX);
    if (h->n + p.count > h->cap) {
        size_t cap = h->cap ? h->cap : 64;
        while (cap < h->n + p.count)
            cap *= 2;
        uint64_t *np = realloc(h->params, cap * 2 * sizeof(uint64_t));
        if (!np)
            return xsr_error_set(err, XSR_ENOMEM, "cannot keep %zu HVM params", cap);
        h->params = np;
        h->cap = cap;
    }
    for (uint32_t i = 0; i < p.count; i++, h->n++)
        xsr_hvm_params_entry(&p, i, &h->params[2 * h->n], &h->params[2 * h->n + 1]);
    h->params_at = (struct xsri_stash){ .set = true, .offset = ev->offset, .index = ev->index,
                                        .type = ev->u.rec.type };
    return 0;
}

static int hvm_record(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    struct hvm_priv *h;
    switch (ev->u.rec.type) {
    case XSR_REC_HVM_CONTEXT:
        if (!(h = priv(r, err)))
            return XSR_ENOMEM;
        return ev->u.rec.length ? xsri_stash_set(&h->context, ev, err) : 0;
    case XSR_REC_HVM_PARAMS:
        if (!(h = priv(r, err)))
            return XSR_ENOMEM;
        return params(h, ev, err);
    default:
        return 1;
    }
}

static int hvm_localise(struct xsri_restore *r, unsigned type, uint8_t *page, struct xsr_error *err)
{
    (void)r;
    (void)type;
    (void)page;
    (void)err;
    return 0; /* an HVM guest's tables hold guest frame numbers already */
}

static int hvm_complete(struct xsri_restore *r, struct xsr_error *err)
{
    struct hvm_priv *h = r->type_priv;
    if (!h)
        return 0;
    for (size_t i = 0; i < h->n; i++) {
        uint64_t index = h->params[2 * i], value = h->params[2 * i + 1];
        if (index == HVM_PARAM_PAE_ENABLED)
            continue;
        int rc = index > UINT32_MAX ? xsr_error_set(err, XSR_ELIMIT, "HVM param index %#" PRIx64, index)
                                    : XSR_DOMAIN_CALL(r->d, set_hvm_param, err, (uint32_t)index, value, err);
        if (rc < 0) {
            xsri_stash_locate(&h->params_at, err);
            return rc;
        }
    }
    if (h->context.set) {
        int rc = XSR_DOMAIN_CALL(r->d, set_hvm_context, err, h->context.body, h->context.len, err);
        if (rc < 0) {
            xsri_stash_locate(&h->context, err);
            return rc;
        }
    }
    return 0;
}

static void hvm_free(struct xsri_restore *r)
{
    struct hvm_priv *h = r->type_priv;
    if (!h)
        return;
    xsri_stash_free(&h->context);
    free(h->params);
    free(h);
    r->type_priv = NULL;
}

const struct xsri_restore_type xsri_restore_hvm = {
    .record = hvm_record, .localise_page = hvm_localise, .complete = hvm_complete, .free = hvm_free,
};
