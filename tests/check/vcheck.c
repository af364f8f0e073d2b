/* SPDX-License-Identifier: MIT */
#include "vcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void collect(void *ctx, const struct xsr_finding *f)
{
    struct vc_result *r = ctx;
    if (r->n >= VC_MAX_FINDINGS)
        return;
    struct vc_finding *d = &r->f[r->n++];
    snprintf(d->rule, sizeof(d->rule), "%s", f->rule);
    d->severity = (int)f->severity;
    d->layer = f->layer;
    d->offset = f->offset;
    d->record_index = f->record_index;
    d->record_type = f->record_type;
    snprintf(d->message, sizeof(d->message), "%s", f->message);
}

void vc_run(const uint8_t *buf, size_t len, bool lenient, struct vc_result *r)
{
    struct xsr_error err;
    memset(r, 0, sizeof(*r));
    r->sum.size = sizeof(r->sum);
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    assert_non_null(ch);
    struct xsr_check_opts o = XSR_CHECK_OPTS_INIT;
    o.lenient = lenient;
    o.on_finding = collect;
    o.ctx = r;
    r->rc = xsr_verify(ch, XSR_LAYER_NONE, &o, &r->sum, &err);
    if (r->rc < 0)
        fprintf(stderr, "xsr_verify failed: %s\n", err.message);
    xsr_chan_close(ch, NULL);
}

void vc_run_sb(const struct sb *s, bool lenient, struct vc_result *r)
{
    size_t len;
    uint8_t *b = sb_bytes(s, &len);
    vc_run(b, len, lenient, r);
    free(b);
}

const struct vc_finding *vc_find(const struct vc_result *r, const char *rule)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->f[i].rule, rule) == 0)
            return &r->f[i];
    return NULL;
}

unsigned vc_count(const struct vc_result *r, const char *rule)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->n; i++)
        n += strcmp(r->f[i].rule, rule) == 0;
    return n;
}

void vc_dump(const struct vc_result *r)
{
    fprintf(stderr, "  rc %d, %u errors, %u warnings, %u notes:\n", r->rc, r->sum.errors,
            r->sum.warnings, r->sum.notes);
    for (unsigned i = 0; i < r->n; i++)
        fprintf(stderr, "  [%s] %s: %s\n", xsr_severity_name((enum xsr_severity)r->f[i].severity),
                r->f[i].rule, r->f[i].message);
}

void vc_expect(const struct vc_result *r, const char *rule, int sev, const char *substr)
{
    const struct vc_finding *f = vc_find(r, rule);
    if (sev < 0) {
        if (f) {
            fprintf(stderr, "rule %s reported, expected nothing\n", rule);
            vc_dump(r);
        }
        assert_null(f);
        return;
    }
    if (!f) {
        fprintf(stderr, "rule %s not reported\n", rule);
        vc_dump(r);
        fail();
        return;
    }
    if (f->severity != sev) {
        fprintf(stderr, "rule %s reported as %s, expected %s\n", rule,
                xsr_severity_name((enum xsr_severity)f->severity),
                xsr_severity_name((enum xsr_severity)sev));
        vc_dump(r);
    }
    assert_int_equal(f->severity, sev);
    if (substr && !strstr(f->message, substr)) {
        fprintf(stderr, "rule %s message lacks \"%s\": %s\n", rule, substr, f->message);
        fail();
    }
    /* An error makes the stream invalid, anything else does not by itself. */
    if (sev == XSR_SEV_ERROR)
        assert_int_equal(r->rc, 1);
}

void vc_expect_clean(const struct vc_result *r)
{
    if (r->sum.errors || r->sum.warnings || r->rc != 0)
        vc_dump(r);
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->sum.errors, 0);
    assert_int_equal(r->sum.warnings, 0);
}

void vc_feed(const struct xsr_event *ev, size_t n, int walk_rc, bool lenient, struct vc_result *r)
{
    struct xsr_error err;
    memset(r, 0, sizeof(*r));
    xsr_error_clear(&err);
    struct xsr_check_opts o = XSR_CHECK_OPTS_INIT;
    o.lenient = lenient;
    o.on_finding = collect;
    o.ctx = r;
    struct xsr_checker *k = xsr_checker_new(&o, &err);
    assert_non_null(k);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(xsr_checker_event(k, &ev[i], &err), 0);
    struct xsr_error werr;
    xsr_error_clear(&werr);
    if (walk_rc < 0)
        xsr_error_set(&werr, walk_rc, "the walk failed here");
    r->rc = xsr_checker_finish(k, walk_rc, &werr, &err);
    r->sum = *xsr_checker_summary(k);
    if (r->rc == 0)
        r->rc = r->sum.errors ? 1 : 0;
    xsr_checker_free(k);
}
