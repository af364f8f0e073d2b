/* SPDX-License-Identifier: MIT */
/*
 * xsr_convert_version on arbitrary bytes.  Input: one selector byte, then
 * the stream.  Selector bits 0-1: target version (0 and 1 mean 4, else 2 or
 * 3); bit 2: allow lossy conversion; bit 3: strict.
 *
 * Invariants: the result is 0 or a verdict on the input with err set; the
 * info counts no more bytes than were given and written, and input errors
 * exactly when strict verify rejects the input; a successful output is a
 * stream the walker reads to its end, of the target version, and if lenient
 * verify accepted the input it accepts the output; a stream lenient verify
 * (strict verify, when strict) accepts converts unless the conversion would
 * lose data (XSR_EUNSUP) or the input is bigger than the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static const uint32_t versions[4] = {4, 4, 2, 3};

/* Walk a successful output to its end; returns the stream version seen. */
static uint32_t walk_output(const uint8_t *buf, size_t len)
{
    struct xsr_error err;
    struct xsr_event ev;
    uint32_t version = 0;
    int rc;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    struct xsr_walker *w = ch ? xsr_walker_new(ch, NULL, &err) : NULL;
    if (!w) {
        FZ_CHECK(err.code == XSR_ENOMEM, "walking the output failed to start: %d", err.code);
        xsr_chan_close(ch, NULL);
        return 0;
    }
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1)
        if (ev.kind == XSR_EV_IMAGE_HEADER)
            version = ev.u.ihdr.version;
    char msg[XSR_ERROR_MSG_MAX + 128];
    xsr_error_format(&err, msg, sizeof(msg));
    FZ_CHECK(rc == 0 || rc == XSR_ENOMEM, "the converted stream does not walk: %s", msg);
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
    return version;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *s = data + 1;
    size_t n = size - 1;
    int valid = fz_verify(s, n, true), strict_valid = fz_verify(s, n, false);
    if (valid == XSR_ENOMEM || strict_valid == XSR_ENOMEM)
        return 0;

    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = versions[data[0] & 3];
    o.allow_lossy = data[0] & 4;
    o.strict = data[0] & 8;
    o.max_buffer = 1u << 20;
    struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
    struct xsr_chan *in = xsr_chan_mem_reader(s, n, &err);
    struct xsr_chan *out = in ? xsr_chan_mem_writer(&err) : NULL;
    int rc = out ? xsr_convert_version(in, out, &o, &info, &err) : err.code;
    fz_check_analysis("convert", rc, false, &err);
    if (rc == 0) {
        size_t len;
        const uint8_t *buf = xsr_chan_mem_data(out, &len);
        FZ_CHECK(info.in_bytes <= n, "read %llu bytes of %zu", (unsigned long long)info.in_bytes, n);
        FZ_CHECK(info.out_bytes == len, "wrote %zu bytes, the info says %llu", len,
                 (unsigned long long)info.out_bytes);
        FZ_CHECK(info.to_version == o.version, "converted to %u, asked for %u", info.to_version,
                 o.version);
        FZ_CHECK((info.input_errors == 0) == (strict_valid == 0),
                 "convert counts %u input errors, strict verify calls the input %s",
                 info.input_errors, strict_valid ? "invalid" : "valid");
        uint32_t v = walk_output(buf, len);
        FZ_CHECK(v == 0 || v == o.version, "the output is version %u, asked for %u", v, o.version);
        if (valid == 0) {
            int ov = fz_verify(buf, len, true);
            FZ_CHECK(ov != 1, "a valid stream converted to version %u does not verify", o.version);
        }
    }
    if ((o.strict ? strict_valid : valid) == 0 && rc != XSR_ENOMEM && rc != XSR_EUNSUP &&
        rc != XSR_ELIMIT) {
        char msg[XSR_ERROR_MSG_MAX + 128];
        xsr_error_format(&err, msg, sizeof(msg));
        FZ_CHECK(rc == 0, "%s verify accepts what convert to version %u refuses: %s",
                 o.strict ? "strict" : "lenient", o.version, msg);
    }
    xsr_chan_close(out, NULL);
    xsr_chan_close(in, NULL);
    return 0;
}
