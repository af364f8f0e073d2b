/* SPDX-License-Identifier: MIT */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* FNV-1a, enough to tell two finding sequences apart. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

void fz_on_finding(void *ctx, const struct xsr_finding *f)
{
    struct fz_findings *c = ctx;
    FZ_CHECK(f->rule && *f->rule, "finding without a rule id");
    FZ_CHECK(f->message && *f->message, "finding %s without a message", f->rule);
    FZ_CHECK(strlen(f->message) < 4096, "finding %s with a runaway message", f->rule);
    switch (f->severity) {
    case XSR_SEV_ERROR: c->errors++; break;
    case XSR_SEV_WARNING: c->warnings++; break;
    case XSR_SEV_NOTE: c->notes++; break;
    default: fz_fail("finding %s with severity %d", f->rule, (int)f->severity);
    }
    if (strcmp(f->rule, "check.suppressed") == 0) { /* "<where>: N further findings of ..." */
        const char *n = strrchr(f->message, ':');
        FZ_CHECK(n && n[1] == ' ' && n[2] >= '1' && n[2] <= '9', "check.suppressed without a count: %s",
                 f->message);
        c->suppressed += strtoull(n + 2, NULL, 10);
    }
    uint64_t h = c->digest ? c->digest : 0xcbf29ce484222325ULL;
    int sev = (int)f->severity;
    h = mix(h, &sev, sizeof(sev));
    h = mix(h, f->rule, strlen(f->rule) + 1);
    h = mix(h, &f->offset, sizeof(f->offset));
    h = mix(h, &f->record_index, sizeof(f->record_index));
    c->digest = h;
}

int fz_check_rc(const char *what, int rc, const struct xsr_error *err)
{
    if (rc == 0 || rc == 1 || rc == XSR_ENOMEM)
        return rc;
    char msg[XSR_ERROR_MSG_MAX + 128];
    xsr_error_format(err, msg, sizeof(msg));
    fz_fail("%s returned %d (%s) on in-memory input: %s", what, rc, xsr_strerror(rc), msg);
}

int fz_check_analysis(const char *what, int rc, bool one_ok, const struct xsr_error *err)
{
    char msg[XSR_ERROR_MSG_MAX + 128];
    if (rc == 0 || (rc == 1 && one_ok))
        return rc;
    xsr_error_format(err, msg, sizeof(msg));
    switch (rc) {
    case XSR_EFORMAT:
    case XSR_ETRUNC:
    case XSR_ELIMIT:
    case XSR_EUNSUP:
    case XSR_ENOMEM:
        FZ_CHECK(err->code == rc, "%s returned %d but err holds %d (%s)", what, rc, err->code,
                 msg);
        FZ_CHECK(err->message[0] != '\0', "%s returned %d without a message", what, rc);
        return rc;
    default:
        fz_fail("%s returned %d (%s) on in-memory input: %s", what, rc, xsr_strerror(rc), msg);
    }
}

int fz_verify(const uint8_t *data, size_t size, bool lenient)
{
    struct xsr_error err;
    struct fz_findings f = {0};
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.lenient = lenient;
    opts.on_finding = fz_on_finding;
    opts.ctx = &f;
    int rc = ch ? xsr_verify(ch, XSR_LAYER_NONE, &opts, NULL, &err) : err.code;
    xsr_chan_close(ch, NULL);
    return fz_check_rc("verify", rc, &err);
}

void fz_check_accepts(const char *what, int valid, int rc, const struct xsr_error *err)
{
    if (valid != 0 || rc == 0 || rc == XSR_ENOMEM || rc == XSR_ELIMIT)
        return;
    char msg[XSR_ERROR_MSG_MAX + 128];
    xsr_error_format(err, msg, sizeof(msg));
    fz_fail("lenient verify accepts what %s refuses: %s", what, msg);
}
