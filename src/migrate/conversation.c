/* SPDX-License-Identifier: MIT */
/*
 * Both sides of xl's migration conversation as state machines over
 * caller-supplied steps.  The rule they keep: the guest is given up by the
 * source only after the target has said it holds the whole domain (READY),
 * and the target keeps it only after the source has said so (GO).  A
 * failure before GO leaves the guest on the source, resumed; a failed
 * unpause on the target gives it back with PERMISSION; a conversation that
 * breaks after GO cannot be resolved by either side alone, so the source
 * keeps its copy paused and says so (xl does the same).
 */
#include <string.h>

#include <xsr/migrate.h>

#include "util/opts.h"

struct side {
    struct xsr_chan *in, *out;
    uint64_t in0, out0;
    struct xsr_migrate_result *res;
};

static void account(struct side *s, enum xsr_migrate_outcome o)
{
    s->res->outcome = o;
    s->res->sent = xsr_chan_offset(s->out) - s->out0;
    s->res->received = xsr_chan_offset(s->in) - s->in0;
}

static int start(struct side *s, struct xsr_chan *in, struct xsr_chan *out,
                 const void *ops, size_t ops_size, size_t ops_min, const char *ops_name,
                 struct xsr_migrate_result *res, struct xsr_error *err)
{
    if (!in || !out || !ops || !res)
        return xsr_error_set(err, XSR_EINVAL, "migration: no channel, operations or result");
    int rc = xsri_opts_check(*(const size_t *)ops, ops_size, ops_min, ops_name, err);
    if (rc < 0)
        return rc;
    rc = xsri_opts_check(res->size, sizeof(*res), sizeof(*res), "xsr_migrate_result", err);
    if (rc < 0)
        return rc;
    res->outcome = XSR_MIGRATE_NONE;
    res->status = -1;
    res->sent = res->received = 0;
    *s = (struct side){.in = in, .out = out, .res = res,
                       .in0 = xsr_chan_offset(in), .out0 = xsr_chan_offset(out)};
    return 0;
}

/* Prefix err's message with what the side was doing (the location stays). */
static int during(struct xsr_error *err, int rc, const char *what)
{
    if (err && err->code < 0) {
        char msg[XSR_ERROR_MSG_MAX];
        size_t w = strnlen(what, sizeof(msg) - 3), m = strnlen(err->message, sizeof(msg));
        if (m > sizeof(msg) - 3 - w)
            m = sizeof(msg) - 3 - w;
        memcpy(msg, what, w);
        memcpy(msg + w, ": ", 2);
        memcpy(msg + w + 2, err->message, m);
        msg[w + 2 + m] = '\0';
        memcpy(err->message, msg, sizeof(msg));
    }
    return rc;
}

/* ---------------------------------------------------------------- source */

/* Before GO: the guest stays here.  Resume it; the first error is kept. */
static int give_back(struct side *s, const struct xsr_migrate_source_ops *ops, int rc,
                     struct xsr_error *err)
{
    struct xsr_error rerr = {0};
    if (ops->resume && ops->resume(ops->ctx, &rerr) < 0) {
        account(s, XSR_MIGRATE_UNDEFINED);
        if (err) {
            char first[XSR_ERROR_MSG_MAX];
            memcpy(first, err->message, sizeof(first));
            xsr_error_set(err, rc, "%s; and the source's copy could not be resumed: %s", first,
                          rerr.message);
        }
        return rc;
    }
    account(s, XSR_MIGRATE_RESUMED);
    return rc;
}

int xsr_migrate_source(struct xsr_chan *in, struct xsr_chan *out,
                       const struct xsr_migrate_source_ops *ops, struct xsr_migrate_result *res,
                       struct xsr_error *err)
{
    struct side s = {0};
    int rc = start(&s, in, out, ops, sizeof(*ops), sizeof(*ops), "xsr_migrate_source_ops", res,
                   err);
    if (rc < 0)
        return rc;
    if (!ops->send_stream || !ops->resume || !ops->destroy)
        return xsr_error_set(err, XSR_EINVAL, "migration: a source operation is missing");

    /* Nothing is sent until the receiver says it is there: a wrong peer
     * (or a shell that printed a greeting) stops it here. */
    if ((rc = xsr_xlmig_expect(in, XSR_XLMIG_BANNER, err)) < 0)
        return give_back(&s, ops, during(err, rc, "waiting for the receiver"), err);
    if ((rc = ops->send_stream(ops->ctx, out, err)) < 0)
        return give_back(&s, ops, during(err, rc, "sending the domain"), err);
    if ((rc = xsr_xlmig_expect(in, XSR_XLMIG_READY, err)) < 0)
        return give_back(&s, ops, during(err, rc, "waiting for the receiver to build the domain"),
                         err);

    /* The point of no return. */
    if ((rc = xsr_xlmig_send(out, XSR_XLMIG_GO, err)) < 0) {
        account(&s, XSR_MIGRATE_UNDEFINED);
        return during(err, rc, "handing the domain over (domain state is now undefined; the "
                               "source's copy is kept paused)");
    }
    uint8_t status;
    if ((rc = xsr_xlmig_expect(in, XSR_XLMIG_REPORT, err)) < 0 ||
        (rc = xsr_chan_read(in, &status, 1, NULL, err)) < 0) {
        account(&s, XSR_MIGRATE_UNDEFINED);
        return during(err, rc, "waiting for the receiver to unpause (domain state is now "
                               "undefined; the source's copy is kept paused)");
    }
    res->status = status;
    if (status != XSR_XLMIG_STATUS_OK) {
        /* The receiver could not run it and destroys its copy; it tells us
         * when, and only then may the guest run here again. */
        if ((rc = xsr_xlmig_expect(in, XSR_XLMIG_PERMISSION, err)) < 0) {
            account(&s, XSR_MIGRATE_UNDEFINED);
            return during(err, rc, "the receiver failed to unpause (status %u) and did not "
                                   "confirm; domain state is now undefined, the source's copy "
                                   "is kept paused");
        }
        xsr_error_set(err, XSR_EFAULT, "the receiver failed to unpause the domain (status %u); "
                                       "the source's copy runs again", status);
        return give_back(&s, ops, XSR_EFAULT, err);
    }
    if ((rc = ops->destroy(ops->ctx, err)) < 0) {
        account(&s, XSR_MIGRATE_DONE);
        return during(err, rc, "the domain runs on the receiver, but the source's copy could "
                               "not be destroyed");
    }
    account(&s, XSR_MIGRATE_DONE);
    return 0;
}

/* ---------------------------------------------------------------- target */

static int drop(struct side *s, const struct xsr_migrate_target_ops *ops,
                enum xsr_migrate_outcome o, int rc)
{
    if (ops->discard)
        ops->discard(ops->ctx);
    account(s, o);
    return rc;
}

int xsr_migrate_target(struct xsr_chan *in, struct xsr_chan *out,
                       const struct xsr_migrate_target_ops *ops, struct xsr_migrate_result *res,
                       struct xsr_error *err)
{
    struct side s = {0};
    int rc = start(&s, in, out, ops, sizeof(*ops), sizeof(*ops), "xsr_migrate_target_ops", res,
                   err);
    if (rc < 0)
        return rc;
    if (!ops->receive_stream || !ops->activate || !ops->discard)
        return xsr_error_set(err, XSR_EINVAL, "migration: a target operation is missing");

    if ((rc = xsr_xlmig_send(out, XSR_XLMIG_BANNER, err)) < 0)
        return drop(&s, ops, XSR_MIGRATE_RESUMED, during(err, rc, "greeting the sender"));
    if ((rc = ops->receive_stream(ops->ctx, in, err)) < 0)
        return drop(&s, ops, XSR_MIGRATE_RESUMED, during(err, rc, "receiving the domain"));
    if ((rc = xsr_xlmig_send(out, XSR_XLMIG_READY, err)) < 0)
        return drop(&s, ops, XSR_MIGRATE_RESUMED, during(err, rc, "reporting the domain built"));
    /* Until GO has arrived whole, the sender may still resume: ours goes. */
    if ((rc = xsr_xlmig_expect(in, XSR_XLMIG_GO, err)) < 0)
        return drop(&s, ops, XSR_MIGRATE_RESUMED,
                    during(err, rc, "waiting for the sender to hand the domain over"));

    struct xsr_error aerr = {0};
    int arc = ops->activate(ops->ctx, &aerr);
    uint8_t status = arc < 0 ? XSR_XLMIG_STATUS_FAIL : XSR_XLMIG_STATUS_OK;
    res->status = status;
    if ((rc = xsr_xlmig_send(out, XSR_XLMIG_REPORT, err)) >= 0)
        rc = xsr_chan_write(out, &status, 1, err);
    if (arc < 0) {
        if (ops->discard)
            ops->discard(ops->ctx);
        int prc = rc < 0 ? rc : xsr_xlmig_send(out, XSR_XLMIG_PERMISSION, err);
        account(&s, prc < 0 ? XSR_MIGRATE_UNDEFINED : XSR_MIGRATE_RESUMED);
        if (err)
            *err = aerr;
        return during(err, arc, prc < 0 ? "starting the domain (and the sender could not be "
                                           "told to resume its copy)"
                                         : "starting the domain (the sender resumes its copy)");
    }
    if (rc < 0) {
        /* It runs here; the sender keeps a paused copy it cannot account for. */
        account(&s, XSR_MIGRATE_UNDEFINED);
        return during(err, rc, "the domain runs here, but the sender could not be told");
    }
    account(&s, XSR_MIGRATE_DONE);
    return 0;
}
