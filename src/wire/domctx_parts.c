/* SPDX-License-Identifier: MIT */
/*
 * DOMAIN_CONTEXT (v9 layout) <-> the v3 records it replaces: the shared-info
 * structure (the leading part of the SHARED_INFO page) and the TSC info.
 * Entry-level encoding is in domctx.c.
 */
#include <inttypes.h>
#include <string.h>

#include <xsr/domctx.h>

/* Encode into dst (NULL: size only); returns the size, or 0 if dst is too small. */
static size_t encode(const struct xsr_domctx_parts *p, enum xsr_byte_order o, uint8_t *dst,
                     size_t cap)
{
    uint8_t hdr[XSR_DOMCTX_HEADER_SIZE];
    struct xsr_domctx_header h = {
        .magic = XSR_DOMCTX_MAGIC, .xen_major = p->xen_major, .xen_minor = p->xen_minor,
        .version = XSR_DOMCTX_VERSION, .pad = 0,
    };
    size_t off = 0;
    int rc;

    xsr_domctx_header_encode(&h, o, hdr);
    rc = xsr_domctx_put(dst, cap, &off, XSR_DOMCTX_HEADER, 0, hdr, 12, o);
    if (rc == 0 && p->has_shinfo) {
        size_t at = off;
        rc = xsr_domctx_put(dst, cap, &off, XSR_DOMCTX_SHARED_INFO, 0, NULL,
                            XSR_DOMCTX_SHINFO_HDR_SIZE + p->shinfo_size, o);
        if (rc == 0 && dst) {
            uint8_t *b = dst + at + XSR_DOMCTX_DESC_SIZE;
            xsr_domctx_shinfo_encode_hdr(p->shinfo_flags, p->shinfo_size, o, b);
            if (p->shinfo_size)
                memcpy(b + XSR_DOMCTX_SHINFO_HDR_SIZE, p->shinfo, p->shinfo_size);
        }
    }
    if (rc == 0 && p->has_tsc) {
        uint8_t t[XSR_DOMCTX_TSC_SIZE];
        struct xsr_domctx_tsc v = {
            .mode = p->tsc.mode, .incarnation = p->tsc.incarnation,
            .elapsed_nsec = p->tsc.nsec, .khz = p->tsc.khz, .tail = 0,
        };
        xsr_domctx_tsc_encode(&v, o, t);
        rc = xsr_domctx_put(dst, cap, &off, XSR_DOMCTX_TSC_INFO, 0, t, sizeof(t), o);
    }
    if (rc == 0)
        rc = xsr_domctx_put(dst, cap, &off, XSR_DOMCTX_END, 0, NULL, 0, o);
    return rc == 0 ? off : 0;
}

int xsr_domctx_build(const struct xsr_domctx_parts *p, enum xsr_byte_order o, uint8_t *dst,
                     size_t cap, size_t *len, struct xsr_error *err)
{
    if (p->has_shinfo && (p->shinfo_size > XSR_DOMCTX_SHINFO_MAX || (p->shinfo_size && !p->shinfo)))
        return xsr_error_set(err, XSR_EINVAL,
                             "a shared-info entry of %" PRIu32 " bytes exceeds the %u bytes of "
                             "the structure", p->shinfo_size, XSR_DOMCTX_SHINFO_MAX);
    if (p->has_shinfo && (p->shinfo_flags & ~XSR_DOMCTX_SHINFO_32BIT))
        return xsr_error_set(err, XSR_EINVAL, "shared-info flags %#" PRIx32 " have unknown bits",
                             p->shinfo_flags);
    *len = encode(p, o, NULL, 0);
    if (!dst)
        return 0;
    if (cap < *len)
        return xsr_error_set(err, XSR_ELIMIT, "a domain context of %zu bytes does not fit in %zu "
                             "bytes", *len, cap);
    encode(p, o, dst, cap);
    return 0;
}

int xsr_domctx_split(const uint8_t *blob, size_t len, enum xsr_byte_order o,
                     struct xsr_domctx_parts *p, struct xsr_error *err)
{
    struct xsr_domctx_iter it;
    struct xsr_domctx_entry e;
    bool header = false, end = false;
    int rc = 0;

    memset(p, 0, sizeof(*p));
    xsr_domctx_iter_init(&it, blob, len, o);
    while (!end && (rc = xsr_domctx_next(&it, &e, err)) == 1) {
        const char *name = xsr_domctx_type_name(e.desc.typecode);
        if (!name)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "domain context entry at offset %zu has unknown type %" PRIu16,
                                 e.offset, e.desc.typecode);
        if (e.desc.instance != 0)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "domain context %s entry at offset %zu has instance %" PRIu16
                                 ", not 0", name, e.offset, e.desc.instance);
        if (!header && e.desc.typecode != XSR_DOMCTX_HEADER)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "domain context starts with a %s entry instead of HEADER", name);
        switch (e.desc.typecode) {
        case XSR_DOMCTX_HEADER: {
            struct xsr_domctx_header h;
            if (header)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context has a second HEADER at offset %zu", e.offset);
            if (e.desc.length != XSR_DOMCTX_HEADER_SIZE)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context HEADER has length %" PRIu32 ", not %u",
                                     e.desc.length, XSR_DOMCTX_HEADER_SIZE);
            xsr_domctx_header_decode(e.body, o, &h);
            if (h.magic != XSR_DOMCTX_MAGIC || h.version != XSR_DOMCTX_VERSION || h.pad)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context HEADER has magic %#" PRIx32 ", version %"
                                     PRIu32 " and padding %#" PRIx32 " (want %#x, %u, 0)",
                                     h.magic, h.version, h.pad, XSR_DOMCTX_MAGIC,
                                     XSR_DOMCTX_VERSION);
            p->xen_major = h.xen_major;
            p->xen_minor = h.xen_minor;
            header = true;
            break;
        }
        case XSR_DOMCTX_SHARED_INFO: {
            struct xsr_domctx_shinfo s;
            rc = xsr_domctx_shinfo_decode(e.body, e.desc.length, o, &s, err);
            if (rc < 0)
                return rc;
            if (s.flags & ~XSR_DOMCTX_SHINFO_32BIT)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context SHARED_INFO flags %#" PRIx32
                                     " have unknown bits", s.flags);
            if (s.buffer_size > XSR_DOMCTX_SHINFO_MAX)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context SHARED_INFO of %" PRIu32 " bytes exceeds "
                                     "the %u bytes of the structure", s.buffer_size,
                                     XSR_DOMCTX_SHINFO_MAX);
            size_t used = XSR_DOMCTX_SHINFO_HDR_SIZE + (size_t)s.buffer_size;
            if (!xsr_all_zero(e.body + used, e.desc.length - used))
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context SHARED_INFO has non-zero bytes after its "
                                     "%" PRIu32 "-byte buffer", s.buffer_size);
            /* A later entry is applied over an earlier one, and the 32-bit
             * flag, once set, stays set (Xen's loader). */
            p->has_shinfo = true;
            p->shinfo_flags |= s.flags;
            p->shinfo = s.buffer;
            p->shinfo_size = s.buffer_size;
            break;
        }
        case XSR_DOMCTX_TSC_INFO: {
            struct xsr_domctx_tsc t;
            if (e.desc.length != XSR_DOMCTX_TSC_SIZE)
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context TSC_INFO has length %" PRIu32 ", not %u",
                                     e.desc.length, XSR_DOMCTX_TSC_SIZE);
            /* The last 4 bytes are the struct's padding, which Xen never
             * initialises: not checked. */
            xsr_domctx_tsc_decode(e.body, o, &t);
            p->has_tsc = true;
            p->tsc.mode = t.mode;
            p->tsc.khz = t.khz;
            p->tsc.nsec = t.elapsed_nsec;
            p->tsc.incarnation = t.incarnation;
            p->tsc.reserved = 0;
            break;
        }
        case XSR_DOMCTX_END:
            if (!xsr_all_zero(e.body, e.desc.length))
                return xsr_error_set(err, XSR_EFORMAT,
                                     "domain context END entry has non-zero content");
            end = true;
            break;
        default:
            break;
        }
    }
    if (!end) {
        if (rc < 0)
            return rc;
        return xsr_error_set(err, XSR_EFORMAT, "domain context of %zu bytes has no END entry", len);
    }
    /* Bytes after END are never read by Xen's loader; the checker flags them. */
    return 0;
}
