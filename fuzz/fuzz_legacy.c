/* SPDX-License-Identifier: MIT */
/*
 * The legacy stream converter.  Input: one selector byte, then the stream.
 * Selector bit 0: libxl output (else libxc); bit 1: version 4 (else 3);
 * bit 2: give the width (bit 3: 32, else 64) instead of detecting it;
 * bit 4: give the guest type (bit 5: HVM, else PV).
 *
 * Invariants: the conversion returns 0 or one of the codes a bad stream may
 * give, with a message and an offset inside the input; a successful output
 * is a complete, well-framed stream the walker reads to its end, the info
 * counts what was read and written; reading through a fault channel (a few
 * bytes per read, EINTR now and then) gives the same result and bytes; a
 * successful version 3 output converts to version 4 or fails cleanly.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

struct result {
    int rc;
    struct xsr_error err;
    struct xsr_legacy_info info;
    uint8_t *out;
    size_t out_len;
};

static void convert(const uint8_t *data, size_t size, const struct xsr_legacy_opts *o, bool faulty,
                    struct result *r)
{
    struct xsr_chan *in, *out;
    size_t n = 0;

    xsr_error_clear(&r->err);
    in = xsr_chan_mem_reader(data, size, &r->err);
    FZ_CHECK(in, "mem reader: %s", r->err.message);
    if (faulty) {
        struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 3, .eintr_every = 5, .fail_after = UINT64_MAX };
        in = xsr_chan_fault(in, &spec, &r->err);
        FZ_CHECK(in, "fault channel: %s", r->err.message);
    }
    out = xsr_chan_mem_writer(&r->err);
    FZ_CHECK(out, "mem writer: %s", r->err.message);
    r->info.size = sizeof(r->info);
    r->rc = xsr_convert_legacy(in, out, o, &r->info, &r->err);
    const uint8_t *d = xsr_chan_mem_data(out, &n);
    r->out = malloc(n ? n : 1);
    FZ_CHECK(r->out, "malloc failed");
    if (n)
        memcpy(r->out, d, n);
    r->out_len = n;
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

static void check_output(const struct result *r, size_t in_size)
{
    struct xsr_error err;
    struct xsr_chan *ch;
    struct xsr_walker *w;
    struct xsr_event ev;
    int rc;

    FZ_CHECK(r->info.in_bytes <= in_size, "consumed %llu of %zu bytes",
             (unsigned long long)r->info.in_bytes, in_size);
    FZ_CHECK(r->info.out_bytes == r->out_len, "info says %llu bytes out, wrote %zu",
             (unsigned long long)r->info.out_bytes, r->out_len);
    FZ_CHECK(r->info.checkpoints >= 1, "no image converted");
    FZ_CHECK(r->info.width == 32 || r->info.width == 64, "width %u", r->info.width);
    xsr_error_clear(&err);
    ch = xsr_chan_mem_reader(r->out, r->out_len, &err);
    w = xsr_walker_new(ch, NULL, &err);
    FZ_CHECK(w, "walker: %s", err.message);
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
        /* a bare libxc HVM stream has the device model after its END */
        if (ev.kind == XSR_EV_TRAILING)
            FZ_CHECK(r->info.format == XSR_LAYER_LIBXC && r->info.device_model,
                     "trailing bytes after a converted stream");
    }
    FZ_CHECK(rc == 0, "converted output does not walk: %s", err.message);
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
}

static void check_v4(const struct result *r)
{
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = 4;
    struct xsr_error err;
    struct xsr_chan *in, *out;

    xsr_error_clear(&err);
    in = xsr_chan_mem_reader(r->out, r->out_len, &err);
    out = xsr_chan_mem_writer(&err);
    FZ_CHECK(in && out, "channels: %s", err.message);
    int rc = xsr_convert_version(in, out, &o, NULL, &err);
    FZ_CHECK(rc == 0 || rc == XSR_EUNSUP || rc == XSR_EFORMAT || rc == XSR_ELIMIT ||
             rc == XSR_ENOMEM, "version conversion of converted output: %d (%s)", rc, err.message);
    FZ_CHECK(rc == 0 || err.message[0], "version conversion failed without a message");
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct result a, b;

    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    o.format = sel & 1 ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC;
    o.version = sel & 2 ? 4 : 3;
    if (sel & 4)
        o.width = sel & 8 ? 32 : 64;
    if (sel & 16)
        o.guest = sel & 32 ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV;

    convert(data, size, &o, false, &a);
    FZ_CHECK(a.rc == 0 || a.rc == XSR_EFORMAT || a.rc == XSR_ETRUNC || a.rc == XSR_ELIMIT ||
             a.rc == XSR_EUNSUP || a.rc == XSR_ENOMEM,
             "unexpected result %d: %s", a.rc, a.err.message);
    if (a.rc < 0) {
        FZ_CHECK(a.err.code == a.rc, "error code %d, result %d", a.err.code, a.rc);
        FZ_CHECK(a.err.message[0], "error without a message");
        FZ_CHECK(a.rc == XSR_ENOMEM || (a.err.offset != XSR_NO_OFFSET && a.err.offset <= size),
                 "error offset %llu outside the %zu-byte input: %s",
                 (unsigned long long)a.err.offset, size, a.err.message);
    } else {
        check_output(&a, size);
        if (o.version == 3)
            check_v4(&a);
    }

    convert(data, size, &o, true, &b);
    FZ_CHECK(b.rc == a.rc, "short reads give %d, memory %d", b.rc, a.rc);
    FZ_CHECK(b.out_len == a.out_len && memcmp(a.out, b.out, a.out_len) == 0,
             "short reads give other output (%zu vs %zu bytes)", b.out_len, a.out_len);
    if (a.rc < 0)
        FZ_CHECK(b.err.offset == a.err.offset && strcmp(a.err.message, b.err.message) == 0,
                 "short reads give another error: '%s' vs '%s'", b.err.message, a.err.message);
    free(a.out);
    free(b.out);
    return 0;
}
