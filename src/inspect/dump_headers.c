/* SPDX-License-Identifier: MIT */
/* Decoded fields of the xl, libxl, image and domain headers and of libxl
 * records for the dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/wire.h>

#include "dump_internal.h"
#include "xl_config.h"

static const char *order_name(enum xsr_byte_order o)
{
    return o == XSR_BIG_ENDIAN ? "big-endian" : "little-endian";
}

/* Names of the set bits of flags; unknown bits as "0x..". */
static void flag_names(struct xsri_emit *e, const char *key, uint32_t flags, const char *const names[32])
{
    xsri_emit_list_begin(e, key);
    for (unsigned bit = 0; bit < 32; bit++) {
        char buf[16];

        if (!(flags & (1u << bit)))
            continue;
        if (names[bit]) {
            xsri_emit_str(e, NULL, names[bit]);
        } else {
            snprintf(buf, sizeof(buf), "0x%x", 1u << bit);
            xsri_emit_str(e, NULL, buf);
        }
    }
    xsri_emit_list_end(e);
}

void xsri_dump_xl_header(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev)
{
    static const char *const mandatory[32] = { "JSON", "STREAMv2" };
    static const char *const none[32] = { NULL };
    const struct xsr_xl_hdr *h = &ev->u.xl.hdr;
    const uint8_t *opt = ev->u.xl.optional_data;
    struct xsri_xl_config c;

    xsri_emit_str(e, "byte_order", order_name(h->order));
    xsri_emit_xnum(e, "mandatory_flags", h->mandatory_flags);
    flag_names(e, "mandatory_flag_names", h->mandatory_flags, mandatory);
    xsri_emit_xnum(e, "optional_flags", h->optional_flags);
    flag_names(e, "optional_flag_names", h->optional_flags, none);
    xsri_emit_uint(e, "optional_data_len", h->optional_data_len);
    s->cfg_type[0] = '\0';
    if (opt && h->optional_data_len >= 4) {
        bool whole = xsri_xl_config_get(h, opt, &c);
        struct json_object *cfg = whole ? xsri_xl_config_parse(&c) : NULL;
        const char *type = cfg ? xsri_json_str_at(cfg, "c_info.type") : NULL;

        xsri_emit_uint(e, "config_length", xsr_ld32(opt, h->order));
        xsri_emit_str(e, "config_format", (h->mandatory_flags & XSR_XL_FLAG_JSON) ? "json" : "text");
        xsri_emit_str(e, "domain_name", cfg ? xsri_json_str_at(cfg, "c_info.name") : NULL);
        xsri_emit_str(e, "guest_type", type);
        if (type && strlen(type) < sizeof(s->cfg_type))
            strcpy(s->cfg_type, type);
        /* the configuration itself: JSON as a value, text (or JSON that
         * does not parse) as a string, null if its length is wrong */
        if (cfg)
            xsri_emit_json_value(e, "config", cfg);
        else if (whole)
            xsri_emit_strn(e, "config", c.text, c.len);
        else
            xsri_emit_null(e, "config");
        json_object_put(cfg);
    } else {
        xsri_emit_null(e, "config_length");
        xsri_emit_null(e, "config_format");
        xsri_emit_null(e, "domain_name");
        xsri_emit_null(e, "guest_type");
        xsri_emit_null(e, "config");
    }
}

void xsri_dump_libxl_header(struct xsri_emit *e, const struct xsr_event *ev)
{
    static const char *const options[32] = { "big-endian", "legacy" };
    const struct xsr_libxl_hdr *h = &ev->u.libxl_hdr;

    if (ev->raw && ev->raw_len >= 8)
        xsri_emit_strn(e, "ident", (const char *)ev->raw, 8);
    else
        xsri_emit_hex64(e, "ident", h->ident);
    xsri_emit_uint(e, "version", h->version);
    xsri_emit_xnum(e, "options", h->options);
    flag_names(e, "option_names", h->options, options);
    xsri_emit_str(e, "byte_order", order_name(xsr_libxl_hdr_order(h)));
}

static const char *checkpoint_state_name(uint32_t id)
{
    static const char *const names[] = { "NEW", "SVM_SUSPENDED", "SVM_READY", "SVM_RESUMED" };

    return id < sizeof(names) / sizeof(names[0]) ? names[id] : NULL;
}

/* NUL-terminated key, value, key, value... */
static void xenstore_pairs(struct xsri_emit *e, const uint8_t *p, uint32_t len)
{
    uint32_t off = 0, n = 0;
    const char *why = NULL;

    xsri_emit_list_begin(e, "pairs");
    while (off < len) {
        const uint8_t *key = p + off, *kend, *val, *vend;

        kend = memchr(key, '\0', len - off);
        if (!kend) {
            why = "a key lacks its terminating NUL";
            break;
        }
        if ((uint32_t)(kend - p) + 1 >= len) {
            why = "a key has no value";
            break;
        }
        val = kend + 1;
        vend = memchr(val, '\0', len - (uint32_t)(val - p));
        if (!vend) {
            why = "a value lacks its terminating NUL";
            break;
        }
        off = (uint32_t)(vend - p) + 1;
        if (n++ >= XSRI_DUMP_LIST_MAX)
            continue;
        xsri_emit_obj_begin(e, NULL, XSRI_INLINE);
        xsri_emit_strn(e, "key", (const char *)key, (size_t)(kend - key));
        xsri_emit_strn(e, "value", (const char *)val, (size_t)(vend - val));
        xsri_emit_obj_end(e);
    }
    xsri_emit_list_end(e);
    xsri_emit_uint(e, "count", n);
    if (n > XSRI_DUMP_LIST_MAX)
        xsri_emit_uint(e, "pairs_not_shown", n - XSRI_DUMP_LIST_MAX);
    if (why)
        xsri_emit_str(e, "malformed", why);
}

void xsri_dump_libxl_record(struct xsri_emit *e, const struct xsr_event *ev)
{
    const struct xsr_record *r = &ev->u.rec;
    struct xsr_emulator_rec em;
    struct xsr_error err;

    xsr_error_clear(&err);
    switch (r->type) {
    case XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA:
    case XSR_LIBXL_REC_EMULATOR_CONTEXT:
        if (xsr_emulator_rec_decode(r->body, r->length, ev->order, &em, &err) < 0) {
            xsri_emit_str(e, "malformed", err.message);
            break;
        }
        xsri_emit_uint(e, "emulator_id", em.id);
        xsri_emit_str(e, "emulator", xsr_emulator_name(em.id));
        xsri_emit_uint(e, "emulator_index", em.index);
        if (r->type == XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA)
            xenstore_pairs(e, em.data, em.data_len);
        else
            xsri_emit_uint(e, "data_length", em.data_len);
        break;
    case XSR_LIBXL_REC_CHECKPOINT_STATE:
        if (r->length < 4) {
            xsri_emit_str(e, "malformed", "the body is shorter than its 4-byte control id");
            break;
        }
        xsri_emit_uint(e, "control_id", xsr_ld32(r->body, ev->order));
        xsri_emit_str(e, "state", checkpoint_state_name(xsr_ld32(r->body, ev->order)));
        break;
    case XSR_LIBXL_REC_END:
    case XSR_LIBXL_REC_LIBXC_CONTEXT:
    case XSR_LIBXL_REC_CHECKPOINT_END:
        break;
    default:
        xsri_emit_bool(e, "unknown", true);
        xsri_emit_text_line(e, "(unknown libxl record type: libxl rejects it)");
        break;
    }
}

void xsri_dump_image_header(struct xsri_emit *e, const struct xsr_event *ev)
{
    const struct xsr_ihdr *h = &ev->u.ihdr;

    xsri_emit_hex64(e, "marker", h->marker);
    xsri_emit_xnum(e, "id", h->id);
    xsri_emit_uint(e, "version", h->version);
    xsri_emit_xnum(e, "options", h->options);
    xsri_emit_str(e, "byte_order", order_name(xsr_ihdr_order(h)));
    xsri_emit_xnum(e, "reserved1", h->reserved1);
    xsri_emit_xnum(e, "reserved2", h->reserved2);
}

void xsri_dump_domain_header(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev)
{
    const struct xsr_dhdr *h = &ev->u.dhdr;

    xsri_emit_uint(e, "type", h->type);
    xsri_emit_str(e, "type_name", xsr_dom_type_name(h->type));
    /* the guest as a person knows it: a PVH guest travels as x86 HVM */
    xsri_emit_str(e, "guest", xsri_guest_type(h->type, s->cfg_type[0] ? s->cfg_type : NULL));
    xsri_emit_uint(e, "page_shift", h->page_shift);
    xsri_emit_xnum(e, "reserved", h->reserved);
    xsri_emit_uint(e, "xen_major", h->xen_major);
    xsri_emit_uint(e, "xen_minor", h->xen_minor);
    s->dom_type = h->type;
    s->guest_width = 0; /* a new libxc stream: X86_PV_INFO comes again */
}
