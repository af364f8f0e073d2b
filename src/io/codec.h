/* SPDX-License-Identifier: MIT */
/*
 * Decoders of the compressed formats an image may be kept in (zstd, gzip,
 * xz), behind one streaming interface for the decompressing channel.  Each
 * codec file wraps one Debian library; the channel does the buffering, the
 * end-of-input logic and the error reporting.
 */
#ifndef XSR_SRC_IO_CODEC_H
#define XSR_SRC_IO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a decoder's description of what is wrong with its input. */
#define XSRI_CODEC_WHY_MAX 160

struct xsri_codec {
    const char *name; /* "zstd", "gzip", "xz" */
    /* Does b (n bytes, the start of the input) begin with this format? */
    bool (*sniff)(const uint8_t *b, size_t n);
    /* A decoder state, or NULL (out of memory). */
    void *(*init)(void);
    /*
     * Decode from in[0..in_len) into out[0..out_cap): *used input bytes are
     * consumed, *made output bytes written.  finish: no input follows in.
     * *boundary is set when the input decoded so far ends exactly after a
     * complete frame/member (a clean place for the input to end).  Returns
     * 0, or -1 with a sentence in why (ENOMEM-like failures say so).
     */
    int (*step)(void *st, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out,
                size_t out_cap, size_t *made, bool finish, bool *boundary,
                char why[XSRI_CODEC_WHY_MAX]);
    void (*fini)(void *st);
};

extern const struct xsri_codec xsri_codec_zstd;
extern const struct xsri_codec xsri_codec_gzip;
extern const struct xsri_codec xsri_codec_xz;

/* Bytes xsri_codec_sniff looks at (the longest magic, with room to spare). */
#define XSRI_CODEC_SNIFF_BYTES 32u

/*
 * The codec whose magic b starts with, or NULL: also NULL when the bytes
 * start an xl, libxl or libxc header, which no compressed format begins with.
 */
const struct xsri_codec *xsri_codec_sniff(const uint8_t *b, size_t n);

#endif
