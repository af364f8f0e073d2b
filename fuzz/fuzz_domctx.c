/* SPDX-License-Identifier: MIT */
/*
 * The two blobs inside records: the v4 DOMAIN_CONTEXT blob and the HVM
 * context blob (HVM_CONTEXT).  Input: one selector byte, then the blob.
 * Selector bit 0: big-endian; bit 1: embed as an HVM stream (else PV);
 * bit 2: lenient checking.
 *
 * Both iterators and the entry decoders run over the blob (whatever its
 * contents), then the blob is embedded in a minimal v4 stream and checked
 * by xsr_verify, so the checker's blob rules see it too.
 *
 * Invariants: iteration terminates, makes progress and never hands out an
 * entry beyond the blob; decoded views stay inside their entry; entries
 * re-encoded with the wire encoders give back the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static volatile uint8_t sink;

/* Read every byte of a view, so that a view beyond the input is caught. */
static void touch(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= p[i];
    sink = x;
}

static void walk_domctx(const uint8_t *blob, size_t len, enum xsr_byte_order o)
{
    struct xsr_domctx_iter it;
    struct xsr_domctx_entry e;
    struct xsr_error err;
    uint8_t *copy = malloc(len ? len : 1);
    size_t copy_off = 0, n = 0, next = 0;
    int rc;

    FZ_CHECK(copy, "malloc failed");
    xsr_error_clear(&err);
    xsr_domctx_iter_init(&it, blob, len, o);
    while ((rc = xsr_domctx_next(&it, &e, &err)) == 1) {
        FZ_CHECK(++n <= len / XSR_DOMCTX_DESC_SIZE, "domctx: %zu entries in %zu bytes", n, len);
        FZ_CHECK(e.offset == next, "domctx: entry at %zu, expected %zu", e.offset, next);
        FZ_CHECK(e.offset + XSR_DOMCTX_DESC_SIZE + (uint64_t)e.desc.length <= len,
                 "domctx: entry at %zu (length %u) beyond the blob (%zu)", e.offset,
                 e.desc.length, len);
        FZ_CHECK(e.body == blob + e.offset + XSR_DOMCTX_DESC_SIZE, "domctx: body view misplaced");
        touch(e.body, e.desc.length);
        next = e.offset + XSR_DOMCTX_DESC_SIZE + e.desc.length;
        (void)xsr_domctx_type_name(e.desc.typecode);

        if (e.desc.typecode == XSR_DOMCTX_HEADER && e.desc.length >= XSR_DOMCTX_HEADER_SIZE) {
            struct xsr_domctx_header h;
            xsr_domctx_header_decode(e.body, o, &h);
            uint8_t again[XSR_DOMCTX_HEADER_SIZE];
            xsr_domctx_header_encode(&h, o, again);
            FZ_CHECK(memcmp(again, e.body, sizeof(again)) == 0, "domctx: header re-encodes differently");
        } else if (e.desc.typecode == XSR_DOMCTX_SHARED_INFO) {
            struct xsr_domctx_shinfo s;
            if (xsr_domctx_shinfo_decode(e.body, e.desc.length, o, &s, &err) == 0) {
                FZ_CHECK(s.buffer >= e.body + XSR_DOMCTX_SHINFO_HDR_SIZE &&
                             s.buffer + s.buffer_size <= e.body + e.desc.length,
                         "domctx: shared-info buffer (%u bytes) outside its entry (%u)",
                         s.buffer_size, e.desc.length);
                touch(s.buffer, s.buffer_size);
            }
        } else if (e.desc.typecode == XSR_DOMCTX_TSC_INFO && e.desc.length >= XSR_DOMCTX_TSC_SIZE) {
            struct xsr_domctx_tsc t;
            xsr_domctx_tsc_decode(e.body, o, &t);
            uint8_t again[XSR_DOMCTX_TSC_SIZE];
            xsr_domctx_tsc_encode(&t, o, again);
            FZ_CHECK(memcmp(again, e.body, sizeof(again)) == 0, "domctx: TSC entry re-encodes differently");
        }
        /* Entries whose length is already aligned re-encode to the same bytes. */
        if (e.desc.length % XSR_DOMCTX_ALIGN == 0) {
            size_t before = copy_off;
            rc = xsr_domctx_put(copy, len, &copy_off, e.desc.typecode, e.desc.instance, e.body,
                                e.desc.length, o);
            FZ_CHECK(rc == 0 && copy_off == next &&
                         memcmp(copy + before, blob + e.offset, next - e.offset) == 0,
                     "domctx: entry at %zu re-encodes differently", e.offset);
        } else {
            copy_off = next;
        }
    }
    FZ_CHECK(rc == 0 || rc == XSR_EFORMAT, "domctx: iterator returned %d", rc);
    if (rc == 0)
        FZ_CHECK(next == len, "domctx: iteration ended at %zu of %zu", next, len);
    else
        FZ_CHECK(err.message[0] != '\0', "domctx: iterator error without a message");
    free(copy);
}

static void walk_hvmctx(const uint8_t *blob, size_t len, enum xsr_byte_order o)
{
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    struct xsr_error err;
    uint8_t *copy = malloc(len ? len : 1);
    size_t copy_off = 0, n = 0, next = 0;
    int rc;

    FZ_CHECK(copy, "malloc failed");
    xsr_error_clear(&err);
    xsr_hvmctx_iter_init(&it, blob, len, o);
    while ((rc = xsr_hvmctx_next(&it, &e, &err)) == 1) {
        FZ_CHECK(++n <= len / XSR_HVMCTX_DESC_SIZE, "hvmctx: %zu entries in %zu bytes", n, len);
        FZ_CHECK(e.offset == next, "hvmctx: entry at %zu, expected %zu", e.offset, next);
        FZ_CHECK(e.offset + XSR_HVMCTX_DESC_SIZE + (uint64_t)e.desc.length <= len,
                 "hvmctx: entry at %zu (length %u) beyond the blob (%zu)", e.offset,
                 e.desc.length, len);
        FZ_CHECK(e.body == blob + e.offset + XSR_HVMCTX_DESC_SIZE, "hvmctx: body view misplaced");
        touch(e.body, e.desc.length);
        next = e.offset + XSR_HVMCTX_DESC_SIZE + e.desc.length;
        (void)xsr_hvmctx_type_name(e.desc.typecode);
        (void)xsr_hvmctx_type_size(e.desc.typecode);
        (void)xsr_hvmctx_type_per_vcpu(e.desc.typecode);

        if (e.desc.typecode == XSR_HVMCTX_HEADER && e.desc.length >= XSR_HVMCTX_HEADER_SIZE) {
            struct xsr_hvmctx_header h;
            xsr_hvmctx_header_decode(e.body, o, &h);
            uint8_t again[XSR_HVMCTX_HEADER_SIZE];
            xsr_hvmctx_header_encode(&h, o, again);
            FZ_CHECK(memcmp(again, e.body, sizeof(again)) == 0, "hvmctx: header re-encodes differently");
        }
        size_t before = copy_off;
        rc = xsr_hvmctx_put(copy, len, &copy_off, e.desc.typecode, e.desc.instance, e.body,
                            e.desc.length, o);
        FZ_CHECK(rc == 0 && copy_off == next &&
                     memcmp(copy + before, blob + e.offset, next - e.offset) == 0,
                 "hvmctx: entry at %zu re-encodes differently", e.offset);
    }
    FZ_CHECK(rc == 0 || rc == XSR_EFORMAT, "hvmctx: iterator returned %d", rc);
    if (rc == 0)
        FZ_CHECK(next == len, "hvmctx: iteration ended at %zu of %zu", next, len);
    else
        FZ_CHECK(err.message[0] != '\0', "hvmctx: iterator error without a message");
    free(copy);
}

/* Append a record (header, body, zero padding) at *off. */
static void put_record(uint8_t *buf, size_t *off, uint32_t type, const uint8_t *body, uint32_t len,
                       enum xsr_byte_order o)
{
    struct xsr_rhdr h = {.type = type, .length = len};
    xsr_rhdr_encode(&h, o, buf + *off);
    *off += XSR_RHDR_SIZE;
    if (len)
        memcpy(buf + *off, body, len);
    memset(buf + *off + len, 0, xsr_rec_pad(len));
    *off += xsr_rec_padded(len);
}

/* A v4 stream carrying the blob as DOMAIN_CONTEXT (and as HVM_CONTEXT for
 * HVM), checked by xsr_verify. */
static void check_embedded(const uint8_t *blob, size_t len, enum xsr_byte_order o, bool hvm,
                           bool lenient)
{
    if (len > XSR_REC_LENGTH_MAX)
        return;
    size_t cap = XSR_IHDR_SIZE + XSR_DHDR_SIZE + 6 * XSR_RHDR_SIZE + XSR_PV_INFO_SIZE +
                 2 * xsr_rec_padded((uint32_t)len);
    uint8_t *s = malloc(cap), pv[XSR_PV_INFO_SIZE];
    size_t off = 0;
    FZ_CHECK(s, "malloc failed");

    struct xsr_ihdr ih = xsr_ihdr_make(4, o);
    xsr_ihdr_encode(&ih, s);
    off += XSR_IHDR_SIZE;
    struct xsr_dhdr dh = {.type = hvm ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV,
                          .page_shift = XSR_PAGE_SHIFT, .xen_major = 4, .xen_minor = 17};
    xsr_dhdr_encode(&dh, o, s + off);
    off += XSR_DHDR_SIZE;
    if (!hvm) {
        struct xsr_pv_info pi = {.guest_width = 8, .pt_levels = 4};
        xsr_pv_info_encode(&pi, o, pv);
        put_record(s, &off, XSR_REC_X86_PV_INFO, pv, sizeof(pv), o);
    }
    put_record(s, &off, XSR_REC_STATIC_DATA_END, NULL, 0, o);
    put_record(s, &off, XSR_REC_DOMAIN_CONTEXT, blob, (uint32_t)len, o);
    if (hvm)
        put_record(s, &off, XSR_REC_HVM_CONTEXT, blob, (uint32_t)len, o);
    put_record(s, &off, XSR_REC_END, NULL, 0, o);

    struct xsr_error err;
    struct fz_findings f = {0};
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(s, off, &err);
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.lenient = lenient;
    opts.on_finding = fz_on_finding;
    opts.ctx = &f;
    int rc = ch ? xsr_verify(ch, XSR_LAYER_LIBXC, &opts, NULL, &err) : err.code;
    xsr_chan_close(ch, NULL);
    fz_check_rc("verify of an embedded blob", rc, &err);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum xsr_byte_order o = (data[0] & 1) ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
    bool hvm = data[0] & 2, lenient = data[0] & 4;
    /* A copy of exactly the blob's size, so that reading past it is caught. */
    size_t len = size - 1;
    uint8_t *blob = malloc(len ? len : 1);
    FZ_CHECK(blob, "malloc failed");
    memcpy(blob, data + 1, len);

    walk_domctx(blob, len, o);
    walk_hvmctx(blob, len, o);
    check_embedded(blob, len, o, hvm, lenient);
    free(blob);
    return 0;
}
