/* SPDX-License-Identifier: MIT */
/*
 * State both guest types carry: CPU policies, TSC info, shared info (PV),
 * the v4 domain context.  Kept as records until the stream is complete
 * (the last copy wins, as in Xen's restorer), then set in one go.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "restore_internal.h"

int xsri_stash_set(struct xsri_stash *st, const struct xsr_event *ev, struct xsr_error *err)
{
    const struct xsr_record *rec = &ev->u.rec;
    uint8_t *b = malloc(rec->length ? rec->length : 1);
    if (!b)
        return xsr_error_set(err, XSR_ENOMEM, "cannot keep a record of %" PRIu32 " bytes", rec->length);
    memcpy(b, rec->body, rec->length);
    free(st->body);
    *st = (struct xsri_stash){ .body = b, .len = rec->length, .set = true, .offset = ev->offset,
                               .index = ev->index, .type = rec->type };
    return 0;
}

void xsri_stash_free(struct xsri_stash *st)
{
    free(st->body);
    *st = (struct xsri_stash){ 0 };
}

void xsri_stash_locate(const struct xsri_stash *st, struct xsr_error *err)
{
    if (st->set)
        xsr_error_locate(err, st->offset, XSR_LAYER_LIBXC, st->index, st->type);
}

int xsri_restore_common_record(struct xsri_restore *r, const struct xsr_event *ev,
                               struct xsr_error *err)
{
    struct xsri_stash *st;
    switch (ev->u.rec.type) {
    case XSR_REC_X86_CPUID_POLICY:
        st = &r->cpuid;
        break;
    case XSR_REC_X86_MSR_POLICY:
        st = &r->msr;
        break;
    case XSR_REC_X86_TSC_INFO:
        if (ev->u.rec.length != XSR_TSC_INFO_SIZE)
            return xsr_error_set(err, XSR_EFORMAT, "X86_TSC_INFO has %" PRIu32 " bytes, not %u",
                                 ev->u.rec.length, XSR_TSC_INFO_SIZE);
        st = &r->tsc_info;
        break;
    case XSR_REC_SHARED_INFO:
        if (r->dom_type != XSR_DOM_X86_PV)
            return 1;
        if (ev->u.rec.length != XSR_SHARED_INFO_SIZE)
            return xsr_error_set(err, XSR_EFORMAT, "SHARED_INFO has %" PRIu32 " bytes, not %u",
                                 ev->u.rec.length, XSR_SHARED_INFO_SIZE);
        st = &r->shared_info;
        break;
    case XSR_REC_DOMAIN_CONTEXT:
        st = &r->domain_context;
        break;
    default:
        return 1;
    }
    if (ev->u.rec.length == 0)
        return 0; /* empty variable-size records are skipped (the spec's errata) */
    return xsri_stash_set(st, ev, err);
}

static int policy(struct xsri_restore *r, struct xsri_stash *st, unsigned kind, struct xsr_error *err)
{
    if (!st->set)
        return 0;
    int rc = XSR_DOMAIN_CALL(r->d, set_cpu_policy, err, kind, st->body, st->len, err);
    if (rc < 0)
        xsri_stash_locate(st, err);
    return rc;
}

int xsri_restore_common_state(struct xsri_restore *r, struct xsr_error *err)
{
    int rc;
    if ((rc = policy(r, &r->cpuid, XSR_POLICY_CPUID, err)) < 0 ||
        (rc = policy(r, &r->msr, XSR_POLICY_MSR, err)) < 0)
        return rc;
    if (r->tsc_info.set) {
        struct xsr_tsc_info tsc;
        xsr_tsc_info_decode(r->tsc_info.body, XSR_LITTLE_ENDIAN, &tsc);
        if ((rc = XSR_DOMAIN_CALL(r->d, set_tsc_info, err, &tsc, err)) < 0) {
            xsri_stash_locate(&r->tsc_info, err);
            return rc;
        }
    }
    if (r->shared_info.set &&
        (rc = XSR_DOMAIN_CALL(r->d, set_shared_info, err, r->shared_info.body, r->shared_info.len,
                              err)) < 0) {
        xsri_stash_locate(&r->shared_info, err);
        return rc;
    }
    if (r->domain_context.set &&
        (rc = XSR_DOMAIN_CALL(r->d, set_domain_context, err, r->domain_context.body,
                              r->domain_context.len, err)) < 0) {
        xsri_stash_locate(&r->domain_context, err);
        return rc;
    }
    return 0;
}
