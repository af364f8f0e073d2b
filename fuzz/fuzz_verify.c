/* SPDX-License-Identifier: MIT */
/*
 * xsr_verify on arbitrary bytes, with auto-detection of the format, in strict
 * and lenient mode, from memory (zero-copy views) and through a fault channel
 * that hands out a few bytes per read (the copying reader paths).
 *
 * Invariants: results are 0/1 (never a crash, a leak or another code on
 * in-memory input); what strict mode accepts, lenient mode accepts; the
 * channel makes no difference to the result or the findings; an input cut
 * short by an injected end of file reads like the same prefix in memory;
 * an injected I/O error is reported as XSR_EIO with its errno; the walker's
 * events written back with the writer give a prefix of the input (all of it
 * when the walk completes, unless a legacy stream, which is not walked, ends
 * it).
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"

struct run {
    int rc;
    struct fz_findings f;
    struct xsr_check_summary sum;
    struct xsr_error err;
};

/* Verify data through a channel: the memory reader itself, or a fault
 * channel around it when spec is non-NULL. */
static void verify(const uint8_t *data, size_t size, bool lenient,
                   const struct xsr_fault_spec *spec, struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->sum.size = sizeof(r->sum);
    xsr_error_clear(&r->err);
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &r->err);
    if (ch && spec)
        ch = xsr_chan_fault(ch, spec, &r->err);
    if (!ch) {
        r->rc = r->err.code;
        FZ_CHECK(r->rc == XSR_ENOMEM, "opening a channel failed with %d", r->rc);
        return;
    }
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.lenient = lenient;
    opts.on_finding = fz_on_finding;
    opts.ctx = &r->f;
    r->rc = xsr_verify(ch, XSR_LAYER_NONE, &opts, &r->sum, &r->err);
    xsr_chan_close(ch, NULL);
}

static void check_summary(const char *what, const struct run *r, size_t size)
{
    if (r->rc == XSR_ENOMEM)
        return;
    FZ_CHECK((r->rc == 1) == (r->f.errors > 0), "%s: result %d with %u errors", what, r->rc,
             r->f.errors);
    /* the summary counts every finding; beyond a rule's limits they are
     * counted but not reported, and a check.suppressed note says how many */
    uint64_t counted = (uint64_t)r->sum.errors + r->sum.warnings + r->sum.notes;
    uint64_t reported = (uint64_t)r->f.errors + r->f.warnings + r->f.notes;
    FZ_CHECK(r->sum.errors >= r->f.errors && r->sum.warnings >= r->f.warnings &&
                 r->sum.notes >= r->f.notes && counted == reported + r->f.suppressed,
             "%s: summary counts %u/%u/%u differ from the findings %u/%u/%u (+%llu suppressed)",
             what, r->sum.errors, r->sum.warnings, r->sum.notes, r->f.errors, r->f.warnings,
             r->f.notes, (unsigned long long)r->f.suppressed);
    FZ_CHECK(r->sum.bytes <= size, "%s: walked %llu bytes of %zu", what,
             (unsigned long long)r->sum.bytes, size);
}

/* Walk the input and write every event back: the bytes must be the input's. */
static void check_round_trip(const uint8_t *data, size_t size)
{
    struct xsr_error err;
    struct xsr_event ev;
    int rc = -1, wrc = 0;
    bool legacy = false;

    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(data, size, &err);
    struct xsr_chan *out = in ? xsr_chan_mem_writer(&err) : NULL;
    struct xsr_walker *w = out ? xsr_walker_new(in, NULL, &err) : NULL;
    struct xsr_writer *wr = w ? xsr_writer_new(out, 0, &err) : NULL;
    if (!wr) {
        FZ_CHECK(err.code == XSR_ENOMEM, "setting up a round trip failed with %d", err.code);
    } else {
        while (wrc == 0 && (rc = xsr_walker_next(w, &ev, &err)) == 1) {
            legacy |= ev.kind == XSR_EV_LEGACY; /* the walker stops there */
            wrc = xsr_writer_event(wr, &ev, &err);
        }
        if (wrc == 0)
            wrc = xsr_writer_flush(wr, &err);
        FZ_CHECK(wrc == 0 || wrc == XSR_ENOMEM, "writing an event back failed with %d", wrc);
        if (wrc == 0) {
            size_t n;
            const uint8_t *d = xsr_chan_mem_data(out, &n);
            FZ_CHECK(n <= size && (n == 0 || memcmp(d, data, n) == 0),
                     "the events written back (%zu bytes) are not a prefix of the input (%zu)", n,
                     size);
            if (rc == 0 && !legacy)
                FZ_CHECK(n == size, "a complete walk wrote back %zu of %zu bytes", n, size);
        }
    }
    xsr_writer_free(wr, NULL);
    xsr_walker_free(w);
    xsr_chan_close(out, NULL);
    xsr_chan_close(in, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_round_trip(data, size);

    struct run strict, lenient, small, cut, ioerr;

    verify(data, size, false, NULL, &strict);
    fz_check_rc("strict verify", strict.rc, &strict.err);
    check_summary("strict", &strict, size);

    verify(data, size, true, NULL, &lenient);
    fz_check_rc("lenient verify", lenient.rc, &lenient.err);
    check_summary("lenient", &lenient, size);
    if (strict.rc == 0 && lenient.rc != XSR_ENOMEM)
        FZ_CHECK(lenient.rc == 0, "strict mode accepts what lenient mode rejects");
    if (strict.rc == XSR_ENOMEM)
        return 0;

    /* Small reads, interrupted now and then: same verdict, same findings. */
    struct xsr_fault_spec sp = { .size = sizeof(struct xsr_fault_spec), .max_io = 1 + size % 13, .eintr_every = 7,
                                .fail_after = UINT64_MAX, .fail_errno = 0};
    verify(data, size, false, &sp, &small);
    fz_check_rc("verify with small reads", small.rc, &small.err);
    if (small.rc != XSR_ENOMEM) {
        check_summary("small reads", &small, size);
        FZ_CHECK(small.rc == strict.rc, "small reads give %d, memory %d", small.rc, strict.rc);
        FZ_CHECK(small.f.errors == strict.f.errors && small.f.warnings == strict.f.warnings &&
                     small.f.notes == strict.f.notes && small.f.digest == strict.f.digest,
                 "small reads give other findings than memory (%u/%u/%u vs %u/%u/%u)",
                 small.f.errors, small.f.warnings, small.f.notes, strict.f.errors,
                 strict.f.warnings, strict.f.notes);
    }

    if (size < 2)
        return 0;
    /* An end of file injected half way reads like the prefix in memory. */
    size_t half = size / 2;
    sp = (struct xsr_fault_spec){ .size = sizeof(struct xsr_fault_spec), .max_io = 0, .fail_after = half, .fail_errno = 0};
    verify(data, size, false, &sp, &cut);
    fz_check_rc("verify with an early end of file", cut.rc, &cut.err);
    struct run prefix;
    verify(data, half, false, NULL, &prefix);
    fz_check_rc("verify of a prefix", prefix.rc, &prefix.err);
    if (cut.rc != XSR_ENOMEM && prefix.rc != XSR_ENOMEM)
        FZ_CHECK(cut.rc == prefix.rc, "an end of file after %zu bytes gives %d, the prefix %d",
                 half, cut.rc, prefix.rc);

    /* An I/O error half way: reported as such unless the walk ended before. */
    sp = (struct xsr_fault_spec){ .size = sizeof(struct xsr_fault_spec), .max_io = 0, .fail_after = half, .fail_errno = EIO};
    verify(data, size, false, &sp, &ioerr);
    FZ_CHECK(ioerr.rc == 0 || ioerr.rc == 1 || ioerr.rc == XSR_EIO || ioerr.rc == XSR_ENOMEM,
             "an I/O error gives %d", ioerr.rc);
    if (ioerr.rc == 0 || ioerr.rc == 1)
        FZ_CHECK(ioerr.sum.bytes <= half, "an I/O error after %zu bytes went unnoticed (%llu walked)",
                 half, (unsigned long long)ioerr.sum.bytes);
    if (ioerr.rc == XSR_EIO)
        FZ_CHECK(ioerr.err.code == XSR_EIO && ioerr.err.sys_errno == EIO,
                 "an I/O error is reported as code %d errno %d", ioerr.err.code,
                 ioerr.err.sys_errno);
    return 0;
}
