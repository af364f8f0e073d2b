/* SPDX-License-Identifier: MIT */
/* libxl stream records and the libxl-level order around the libxc stream. */
#include <inttypes.h>
#include <string.h>

#include "check_internal.h"

static void check_empty(struct xsri_checker *c, const struct xsr_record *rec)
{
    if (rec->length)
        xsri_report(c, XSRI_R_LIBXL_LENGTH, "has a body of %" PRIu32 " bytes, expected none",
                    rec->length);
}

static void check_xenstore_data(struct xsri_checker *c, const uint8_t *d, uint32_t n)
{
    if (n == 0)
        return; /* no key/value pairs: libxl accepts that */
    if (d[n - 1] != 0) {
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "the %" PRIu32 " bytes of key/value data are not NUL-terminated", n);
        return;
    }
    /* libxl also refuses an empty key and one that is not relative. */
    uint64_t strings = 0, empty = 0, absolute = 0, first_empty = 0, first_absolute = 0;
    for (const uint8_t *p = d, *end = d + n; p < end; p++) {
        const uint8_t *s = p;
        p = memchr(p, 0, (size_t)(end - p));
        if (strings % 2 == 0 && p == s && empty++ == 0)
            first_empty = strings;
        if (strings % 2 == 0 && *s == '/' && absolute++ == 0)
            first_absolute = strings;
        strings++;
    }
    if (strings % 2)
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "the key/value data holds %" PRIu64
                    " strings; keys and values come in pairs, so the count must be even",
                    strings);
    if (empty == 1)
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "key %" PRIu64 " (string %" PRIu64 ") is empty; libxl refuses empty keys",
                    first_empty / 2, first_empty);
    else if (empty)
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "key %" PRIu64 " (string %" PRIu64 ") is empty (%" PRIu64
                    " keys are); libxl refuses empty keys",
                    first_empty / 2, first_empty, empty);
    if (absolute == 1)
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "key %" PRIu64 " (string %" PRIu64 ") starts with '/'; libxl takes only keys "
                    "relative to the device model's xenstore directory",
                    first_absolute / 2, first_absolute);
    else if (absolute)
        xsri_report(c, XSRI_R_LIBXL_XENSTORE_DATA,
                    "key %" PRIu64 " (string %" PRIu64 ") starts with '/' (%" PRIu64
                    " keys do); libxl takes only keys relative to the device model's xenstore "
                    "directory",
                    first_absolute / 2, first_absolute, absolute);
}

static void check_emulator(struct xsri_checker *c, const struct xsr_record *rec,
                           enum xsr_byte_order o)
{
    if (rec->length < XSR_EMULATOR_HDR_SIZE) {
        xsri_report(c, XSRI_R_LIBXL_EMULATOR_SHORT,
                    "length %" PRIu32 " is shorter than the %u-byte emulator header",
                    rec->length, XSR_EMULATOR_HDR_SIZE);
        return;
    }
    uint32_t id = xsr_ld32(rec->body, o);
    if (!xsr_emulator_name(id))
        xsri_report(c, XSRI_R_LIBXL_EMULATOR_ID,
                    "emulator id %" PRIu32 " is unknown (0 unknown, 1 qemu-traditional, "
                    "2 qemu-upstream)",
                    id);
    if (!c->libxc_context_seen)
        xsri_report(c, XSRI_R_LIBXL_ORDER,
                    "comes before LIBXC_CONTEXT; emulator records follow the libxc stream");
    if (c->x.dom_type == XSR_DOM_X86_PV)
        xsri_report(c, XSRI_R_LIBXL_EMULATOR_PV,
                    "the guest is x86 PV, which has no device model; libxl accepts emulator "
                    "records only for HVM guests");
    if (rec->type == XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA)
        check_xenstore_data(c, rec->body + XSR_EMULATOR_HDR_SIZE,
                            rec->length - XSR_EMULATOR_HDR_SIZE);
}

static void check_checkpoint_state(struct xsri_checker *c, const struct xsr_record *rec,
                                   enum xsr_byte_order o)
{
    /* The spec draws u32 control_id + 4 bytes of padding; libxl writes 4 bytes. */
    if (rec->length < 4 || rec->length > 8) {
        xsri_report(c, XSRI_R_LIBXL_CHECKPOINT_STATE,
                    "length %" PRIu32 " is neither 4 (control id) nor 8 (control id + padding)",
                    rec->length);
        return;
    }
    uint32_t id = xsr_ld32(rec->body, o);
    if (id > XSR_CHECKPOINT_SVM_RESUMED)
        xsri_report(c, XSRI_R_LIBXL_CHECKPOINT_STATE,
                    "control id %" PRIu32 " is unknown (0 NEW .. 3 SVM_RESUMED)", id);
    if (rec->length > 4 && !xsr_all_zero(rec->body + 4, rec->length - 4))
        xsri_report(c, XSRI_R_LIBXL_CHECKPOINT_STATE,
                    "the padding after the control id is not zero");
}

void xsri_check_libxl_record(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_record *rec = &ev->u.rec;
    enum xsr_byte_order o = ev->order;
    uint32_t pad = xsr_rec_pad(rec->length);

    if (pad && rec->padding && !xsr_all_zero(rec->padding, pad))
        xsri_report(c, XSRI_R_REC_PADDING,
                    "the %" PRIu32 " padding bytes after the %" PRIu32 "-byte body are not zero",
                    pad, rec->length);

    switch (rec->type) {
    case XSR_LIBXL_REC_END:
        check_empty(c, rec);
        c->libxl_end_seen = true;
        if (!c->libxc_context_seen) {
            xsri_report(c, XSRI_R_LIBXL_LIBXC_MISSING,
                        "the libxl stream ends without a LIBXC_CONTEXT record, so it carries "
                        "no domain");
            break;
        }
        if (c->libxl_in_checkpoint)
            xsri_report(c, XSRI_R_LIBXL_CP_END_MISSING,
                        "the stream ends inside a checkpoint: no CHECKPOINT_END after the "
                        "libxc CHECKPOINT");
        if (c->x.ihdr_seen && !c->x.end_seen)
            xsri_report(c, XSRI_R_END_MISSING,
                        "the libxl stream ends but the libxc stream had no END record");
        break;
    case XSR_LIBXL_REC_LIBXC_CONTEXT:
        check_empty(c, rec);
        if (c->libxc_context_seen)
            xsri_report(c, XSRI_R_LIBXL_LIBXC_DUPLICATE,
                        "a second LIBXC_CONTEXT; the libxc stream is sent once");
        c->libxc_context_seen = true;
        break;
    case XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA:
    case XSR_LIBXL_REC_EMULATOR_CONTEXT:
        check_emulator(c, rec, o);
        break;
    case XSR_LIBXL_REC_CHECKPOINT_END:
        check_empty(c, rec);
        if (!c->libxl_in_checkpoint)
            xsri_report(c, XSRI_R_LIBXL_CP_END_OUTSIDE,
                        "CHECKPOINT_END without a preceding libxc CHECKPOINT");
        c->libxl_in_checkpoint = false;
        break;
    case XSR_LIBXL_REC_CHECKPOINT_STATE:
        check_checkpoint_state(c, rec, o);
        break;
    default:
        xsri_report(c, XSRI_R_LIBXL_UNKNOWN_RECORD,
                    "libxl does not know record type 0x%08" PRIx32
                    " and refuses it (optional types included)",
                    rec->type);
        break;
    }
}
