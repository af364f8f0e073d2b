/* SPDX-License-Identifier: MIT */
/* The fixed headers: xl save-file header, libxl header, image and domain headers. */
#include <inttypes.h>
#include <string.h>

#include "check_internal.h"

void xsri_check_xl_header(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_xl_hdr *h = &ev->u.xl.hdr;
    const uint8_t *od = ev->u.xl.optional_data;
    uint32_t len = h->optional_data_len;

    uint32_t unknown = h->mandatory_flags & ~XSR_XL_FLAGS_KNOWN;
    if (unknown)
        xsri_report(c, XSRI_R_XL_MANDATORY_FLAGS,
                    "mandatory_flags 0x%08" PRIx32 " has unknown bits 0x%08" PRIx32
                    " set; xl refuses to restore the image",
                    h->mandatory_flags, unknown);
    if (h->optional_flags)
        xsri_report(c, XSRI_R_XL_OPTIONAL_FLAGS,
                    "optional_flags is 0x%08" PRIx32 ", expected 0 (no optional flag is defined)",
                    h->optional_flags);
    if (h->order == XSR_BIG_ENDIAN)
        xsri_report(c, XSRI_R_XL_BIG_ENDIAN,
                    "the header was written by a big-endian host; xl on x86 refuses it");

    if (len == 0 || !od) {
        xsri_report(c, XSRI_R_XL_NO_CONFIG,
                    "there is no optional data, so no domain configuration is embedded "
                    "(xl restore then needs one on its command line)");
        return;
    }
    if (len < 4) {
        xsri_report(c, XSRI_R_XL_CONFIG_LENGTH,
                    "optional_data_len %" PRIu32 " is too short for the 4-byte config length",
                    len);
        return;
    }
    uint32_t cfg = xsr_ld32(od, h->order);
    if (cfg > len - 4) {
        xsri_report(c, XSRI_R_XL_CONFIG_LENGTH,
                    "the config length %" PRIu32 " exceeds the %" PRIu32
                    " bytes of optional data that follow it",
                    cfg, len - 4);
        return;
    }
    if (cfg == 0) {
        xsri_report(c, XSRI_R_XL_NO_CONFIG,
                    "the config length is 0, so no domain configuration is embedded "
                    "(xl restore then needs one on its command line)");
        return;
    }
    if ((h->mandatory_flags & XSR_XL_FLAG_JSON) && od[4 + cfg - 1] != 0)
        xsri_report(c, XSRI_R_XL_JSON_CONFIG,
                    "the JSON flag is set but the %" PRIu32
                    "-byte config does not end with a NUL byte",
                    cfg);
}

void xsri_check_libxl_header(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_libxl_hdr *h = &ev->u.libxl_hdr;

    c->libxl_seen = true;
    c->libxl_order = xsr_libxl_hdr_order(h);
    if (h->ident != XSR_LIBXL_IDENT)
        xsri_report(c, XSRI_R_LIBXL_IDENT,
                    "ident is 0x%016" PRIx64 ", expected 0x%016" PRIx64 " (\"LibxlFmt\")",
                    h->ident, (uint64_t)XSR_LIBXL_IDENT);
    if (h->version != XSR_LIBXL_VERSION)
        xsri_report(c, XSRI_R_LIBXL_VERSION, "version is %" PRIu32 ", expected %u", h->version,
                    XSR_LIBXL_VERSION);
    uint32_t reserved = h->options & ~(uint32_t)(XSR_LIBXL_OPT_BIG_ENDIAN | XSR_LIBXL_OPT_LEGACY);
    if (reserved)
        xsri_report(c, XSRI_R_LIBXL_OPTIONS,
                    "options 0x%08" PRIx32 " has reserved bits 0x%08" PRIx32 " set", h->options,
                    reserved);
    if (h->options & XSR_LIBXL_OPT_BIG_ENDIAN)
        xsri_report(c, XSRI_R_LIBXL_BIG_ENDIAN,
                    "the stream is big-endian; libxl on x86 refuses it");
    if (h->options & XSR_LIBXL_OPT_LEGACY)
        xsri_report(c, XSRI_R_LIBXL_CONVERTED,
                    "options bit 1: the stream was converted from a legacy stream");
}

void xsri_check_ihdr(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_ihdr *h = &ev->u.ihdr;

    /* A second libxc stream (LIBXC_CONTEXT twice) starts from scratch. */
    memset(&c->x, 0, sizeof(c->x));
    c->x.ihdr_seen = true;
    c->x.order = xsr_ihdr_order(h);
    c->sum.order = c->x.order;
    c->sum.version = h->version;

    if (h->marker != XSR_IHDR_MARKER)
        xsri_report(c, XSRI_R_IHDR_MARKER, "marker is 0x%016" PRIx64 ", expected 0x%016" PRIx64,
                    h->marker, (uint64_t)XSR_IHDR_MARKER);
    if (h->id != XSR_IHDR_ID)
        xsri_report(c, XSRI_R_IHDR_ID, "id is 0x%08" PRIx32 ", expected 0x%08" PRIx32 " (\"XENF\")",
                    h->id, (uint32_t)XSR_IHDR_ID);
    if (h->version < XSR_VERSION_MIN || h->version > XSR_VERSION_MAX)
        xsri_report(c, XSRI_R_IHDR_VERSION, "version %" PRIu32 " is not one of 2, 3 or 4",
                    h->version);
    else
        c->x.version = h->version;

    uint16_t ropt = h->options & (uint16_t)~XSR_IHDR_OPT_BIG_ENDIAN;
    if (ropt || h->reserved1 || h->reserved2)
        xsri_report(c, XSRI_R_IHDR_RESERVED,
                    "reserved fields are not zero: options bits 1-15 0x%04" PRIx16
                    ", reserved 0x%04" PRIx16 " and 0x%08" PRIx32,
                    ropt, h->reserved1, h->reserved2);
    if (h->options & XSR_IHDR_OPT_BIG_ENDIAN)
        xsri_report(c, XSRI_R_IHDR_BIG_ENDIAN,
                    "the stream is big-endian; Xen's restore code refuses it");
}

void xsri_check_dhdr(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_dhdr *h = &ev->u.dhdr;

    c->x.dom_type = h->type;
    c->sum.dom_type = h->type;
    c->sum.xen_major = h->xen_major;
    c->sum.xen_minor = h->xen_minor;

    switch (h->type) {
    case XSR_DOM_X86_PV:
    case XSR_DOM_X86_HVM:
        break;
    case XSR_DOM_X86_PVH:
    case XSR_DOM_ARM:
        xsri_report(c, XSRI_R_DHDR_UNRESTORABLE,
                    "domain type %" PRIu32 " (%s) exists only in drafts of the format and cannot "
                    "be restored; its records are checked without guest-type rules",
                    h->type, xsr_dom_type_name(h->type));
        break;
    default:
        xsri_report(c, XSRI_R_DHDR_TYPE,
                    "domain type %" PRIu32 " is unknown (1 x86 PV, 2 x86 HVM)", h->type);
        break;
    }
    /* 12 in the other byte order: the image header's byte-order bit
     * disagrees with how the stream was written */
    bool swapped = h->page_shift == (uint16_t)(XSR_PAGE_SHIFT << 8);
    if (h->page_shift != XSR_PAGE_SHIFT)
        xsri_report(c, XSRI_R_DHDR_PAGE_SHIFT, "page_shift is %" PRIu16 ", expected %u%s",
                    h->page_shift, XSR_PAGE_SHIFT,
                    swapped ? ": it reads 12 in the other byte order, so the image header's "
                              "byte-order bit (options bit 0) does not match the stream" : "");
    if (h->reserved)
        xsri_report(c, XSRI_R_DHDR_RESERVED, "reserved field is 0x%04" PRIx16 ", expected 0",
                    h->reserved);
    if (h->xen_major == 0)
        xsri_report(c, XSRI_R_DHDR_CONVERTED,
                    "xen_major 0: converted from a legacy stream (converter version %" PRIu32 ")",
                    h->xen_minor);
}
