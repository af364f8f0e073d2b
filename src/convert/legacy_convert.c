/* SPDX-License-Identifier: MIT */
/*
 * Legacy (pre-v2) stream -> libxc stream v3/v4, bare or in a libxl stream.
 *
 * The reading follows Xen's legacy restore code; the records written and
 * their bytes follow Xen's convert-legacy-stream for version 3.  Checkpoints
 * of a Remus stream (images following each other without a "last
 * checkpoint" chunk) become a checkpointed stream, and compressed Remus
 * checkpoints are decoded.  Where the reference converter writes records
 * that its own verifier or Xen's restore code rejects, or accepts input that
 * is corrupt, this converter refuses the input or leaves the bad record out,
 * and says so (doc/xsr-convert-legacy.1).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_conv.h"
#include "util/opts.h"

int xsri_lc_fail(struct xsri_conv *c, uint64_t off, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(c->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(c->err, off, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
    return code;
}

static int fail_xl(struct xsri_conv *c, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_xl(struct xsri_conv *c, uint64_t off, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(c->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(c->err, off, XSR_LAYER_XL, XSR_NO_INDEX, 0);
    return code;
}

int xsri_lc_rd32(struct xsri_conv *c, uint32_t *v, const char *what)
{
    uint8_t b[4];
    *v = 0;
    int rc = xsri_lin_read(&c->in, b, 4, what);
    if (rc == 0)
        *v = xsr_ld32(b, XSR_LITTLE_ENDIAN);
    return rc;
}

int xsri_lc_rd64(struct xsri_conv *c, uint64_t *v, const char *what)
{
    uint8_t b[8];
    *v = 0;
    int rc = xsri_lin_read(&c->in, b, 8, what);
    if (rc == 0)
        *v = xsr_ld64(b, XSR_LITTLE_ENDIAN);
    return rc;
}

int xsri_lc_rd_ulong(struct xsri_conv *c, uint64_t *v, const char *what)
{
    uint32_t w = 0;
    int rc;

    if (c->ulong == 8)
        return xsri_lc_rd64(c, v, what);
    rc = xsri_lc_rd32(c, &w, what);
    *v = w;
    return rc;
}

/* --------------------------------------------------------- xl header */

static int xl_header(struct xsri_conv *c, bool *present)
{
    const uint8_t *p;
    size_t got;
    struct xsr_xl_hdr h;
    int rc;

    *present = false;
    if (c->opts->xl == XSR_LEGACY_XL_ABSENT)
        return 0;
    rc = xsri_lin_peek(&c->in, XSR_XL_MAGIC_SIZE, &p, &got);
    if (rc < 0)
        return rc;
    if (got < XSR_XL_MAGIC_SIZE || memcmp(p, xsr_xl_magic, XSR_XL_MAGIC_SIZE) != 0) {
        if (c->opts->xl == XSR_LEGACY_XL_PRESENT)
            return xsri_lc_fail(c, xsri_lin_off(&c->in), XSR_EFORMAT,
                        "no xl header at offset %#" PRIx64 ": the input does not start with "
                        "the xl save-file magic", xsri_lin_off(&c->in));
        return 0;
    }
    uint64_t off = xsri_lin_off(&c->in);
    rc = xsri_lin_get(&c->in, XSR_XL_HDR_SIZE, &p, "xl header");
    if (rc < 0)
        return rc;
    rc = xsr_xl_hdr_decode(p, &h, c->err);
    if (rc < 0) {
        xsr_error_locate(c->err, off, XSR_LAYER_XL, XSR_NO_INDEX, 0);
        return rc;
    }
    if (h.mandatory_flags & XSR_XL_FLAG_STREAMV2)
        return fail_xl(c, off, XSR_EUNSUP,
                    "the xl header says a libxl (migration v2) stream follows, not a legacy "
                    "one: use 'xsr convert' to change its stream version");
    if (h.mandatory_flags & ~XSR_XL_FLAGS_KNOWN)
        return fail_xl(c, off, XSR_EUNSUP,
                    "the xl header has unknown mandatory flags %#" PRIx32,
                    h.mandatory_flags & ~XSR_XL_FLAGS_KNOWN);
    if (h.optional_data_len > XL_OPTIONAL_MAX)
        return fail_xl(c, off, XSR_ELIMIT,
                    "the xl header announces %" PRIu32 " bytes of optional data, more than "
                    "the %u MiB accepted", h.optional_data_len, XL_OPTIONAL_MAX >> 20);
    rc = xsri_lin_get(&c->in, h.optional_data_len, &p, "xl header optional data");
    if (rc < 0)
        return rc;
    *present = true;
    c->info->xl_header = true;
    /* Decide the output format now: it is the first thing written. */
    if (c->out.libxl) {
        /* What follows is now a libxl stream. */
        return xsri_lout_xl(&c->out, &h, p);
    }
    c->info->xl_header_dropped = true;
    return 0;
}

/* ---------------------------------------------------------- detection */

static int detect(struct xsri_conv *c)
{
    const uint8_t *p;
    size_t got;
    struct xsr_legacy_probe probe = XSR_LEGACY_PROBE_INIT;
    struct xsr_error e;
    uint64_t off = xsri_lin_off(&c->in);
    int rc = xsri_lin_peek(&c->in, 24, &p, &got), prc;

    if (rc < 0)
        return rc;
    if (got == 0)
        return xsri_lc_fail(c, off, XSR_ETRUNC, "the legacy stream ends at offset %#" PRIx64 ": the "
                    "input is empty where it should start", off);
    xsr_error_clear(&e);
    prc = xsr_legacy_probe(p, got, &probe, &e);
    if (prc == XSR_EUNSUP && got < 24 && (!c->opts->width || !c->opts->guest))
        return xsri_lc_fail(c, off + got, XSR_ETRUNC,
                    "the legacy stream ends at offset %#" PRIx64 ", too soon to tell its writer's "
                    "width and guest type", off + got);
    unsigned width = c->opts->width;
    uint32_t guest = c->opts->guest;
    if (width == 0) {
        if (!probe.width)
            return xsri_lc_fail(c, off, prc == XSR_EFORMAT ? XSR_EFORMAT : XSR_EUNSUP,
                        "cannot tell the legacy writer's width: %s", e.message);
        width = probe.width;
        c->info->width_detected = true;
    }
    if (guest == 0) {
        if (!probe.guest || probe.width != width)
            return xsri_lc_fail(c, off, prc == XSR_EFORMAT ? XSR_EFORMAT : XSR_EUNSUP,
                        "cannot tell the guest type of the legacy stream: %s",
                        probe.guest ? "the stream looks like one of the other width" : e.message);
        guest = probe.guest;
        c->info->guest_detected = true;
    }
    if (width != 32 && width != 64)
        return xsr_error_set(c->err, XSR_EINVAL, "toolstack width %u is neither 32 nor 64", width);
    if (guest != XSR_DOM_X86_PV && guest != XSR_DOM_X86_HVM)
        return xsr_error_set(c->err, XSR_EINVAL, "guest type %" PRIu32 " is neither x86 PV nor HVM",
                             guest);
    c->ulong = width / 8;
    c->pv = guest == XSR_DOM_X86_PV;
    c->info->width = width;
    c->info->guest = guest;
    return 0;
}

/* ------------------------------------------------------- PV header */

/* A block id for messages: non-printable bytes as '.'. */
static const char *block_id(const uint8_t id[4], char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '.';
    out[4] = 0;
    return out;
}

static int ext_info(struct xsri_conv *c)
{
    uint64_t off = xsri_lin_off(&c->in), marker;
    uint64_t all_ones = c->ulong == 8 ? UINT64_MAX : UINT32_MAX;
    uint32_t total, so_far = 0;
    bool vcpu = false;
    int rc = xsri_lc_rd_ulong(c, &marker, "extended-info marker");

    if (rc < 0)
        return rc;
    if (marker != all_ones)
        return xsri_lc_fail(c, off, XSR_EUNSUP,
                    "the PV stream has no extended-info block (marker %#" PRIx64 " at offset %#"
                    PRIx64 "): streams older than Xen 3.0 cannot be converted", marker, off);
    rc = xsri_lc_rd32(c, &total, "extended-info length");
    while (rc == 0 && so_far < total) {
        uint64_t boff = xsri_lin_off(&c->in);
        uint8_t id[4];
        char idtxt[5];
        uint32_t size;

        rc = xsri_lin_read(&c->in, id, 4, "extended-info block");
        if (rc == 0)
            rc = xsri_lc_rd32(c, &size, "extended-info block");
        if (rc < 0)
            return rc;
        if ((uint64_t)so_far + 8 + size > total)
            return xsri_lc_fail(c, boff, XSR_EFORMAT,
                        "extended-info block '%s' of %" PRIu32 " bytes at offset %#" PRIx64
                        " overruns the %" PRIu32 " bytes the extended info announced",
                        block_id(id, idtxt), size, boff, total);
        so_far += 8 + size;
        if (memcmp(id, "vcpu", 4) == 0) {
            if (vcpu)
                return xsri_lc_fail(c, boff, XSR_EFORMAT,
                            "a second 'vcpu' extended-info block at offset %#" PRIx64, boff);
            vcpu = true;
            if (size == XSR_LEGACY_EXT_VCPU_64) {
                c->gw = 8;
                c->levels = 4;
            } else if (size == XSR_LEGACY_EXT_VCPU_32) {
                c->gw = 4;
                c->levels = 3;
            } else {
                return xsri_lc_fail(c, boff, XSR_EFORMAT,
                            "the 'vcpu' extended-info block is %" PRIu32 " bytes: neither a "
                            "64-bit (%u) nor a 32-bit (%u) vcpu_guest_context",
                            size, XSR_LEGACY_EXT_VCPU_64, XSR_LEGACY_EXT_VCPU_32);
            }
            c->basic_len = size;
            /* Its content (vCPU 0's context) is sent again in the tail. */
            rc = xsri_lin_skip(&c->in, size, "extended-info block");
            if (rc == 0)
                rc = xsri_lout_pv_info(&c->out, c->gw, c->levels);
        } else if (memcmp(id, "extv", 4) == 0) {
            c->extv = true;
            rc = xsri_lin_skip(&c->in, size, "extended-info block");
        } else if (memcmp(id, "xcnt", 4) == 0) {
            if (size < 4)
                return xsri_lc_fail(c, boff, XSR_EFORMAT,
                            "the 'xcnt' extended-info block is %" PRIu32 " bytes, too short for "
                            "its 4-byte xsave size", size);
            rc = xsri_lc_rd32(c, &c->xsave_len, "extended-info block");
            if (rc == 0)
                rc = xsri_lin_skip(&c->in, size - 4, "extended-info block");
            if (rc < 0)
                return rc;
            if (c->xsave_len && (c->xsave_len < 16 || c->xsave_len - 16 > XSR_REC_LENGTH_MAX - 8))
                return xsri_lc_fail(c, boff, XSR_EFORMAT,
                            "the 'xcnt' extended-info block gives an xsave size of %" PRIu32
                            " bytes per vCPU: not between 16 and the record limit", c->xsave_len);
        } else {
            return xsri_lc_fail(c, boff, XSR_EFORMAT,
                        "unknown extended-info block '%s' at offset %#" PRIx64,
                        block_id(id, idtxt), boff);
        }
    }
    if (rc < 0)
        return rc;
    if (!vcpu)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "the extended info has no 'vcpu' block: the guest's width is unknown");
    return 0;
}

static int p2m_frames(struct xsri_conv *c)
{
    uint64_t fpp = XSR_PAGE_SIZE / c->gw, n = (c->p2m_size - 1) / fpp + 1;
    uint64_t len = XSR_P2M_FRAMES_HDR_SIZE + 8 * n;
    int rc = 0;

    if (len > XSR_REC_LENGTH_MAX)
        return xsri_lc_fail(c, xsri_lin_off(&c->in), XSR_ELIMIT,
                    "the P2M frame list of %" PRIu64 " entries does not fit in one record", n);
    uint8_t *body = malloc((size_t)len);
    if (!body)
        return xsr_error_set(c->err, XSR_ENOMEM, "out of memory for a P2M frame list of %"
                             PRIu64 " entries", n);
    xsr_st32(body, 0, XSR_LITTLE_ENDIAN);
    xsr_st32(body + 4, (uint32_t)(c->p2m_size - 1), XSR_LITTLE_ENDIAN);
    for (uint64_t done = 0; rc == 0 && done < n;) {
        size_t k = n - done < 512 ? (size_t)(n - done) : 512;
        const uint8_t *p;
        rc = xsri_lin_get(&c->in, k * c->ulong, &p, "P2M frame list");
        for (size_t i = 0; rc == 0 && i < k; i++)
            xsr_st64(body + XSR_P2M_FRAMES_HDR_SIZE + 8 * (done + i),
                     xsri_lc_ld_ulong(c, p + i * c->ulong), XSR_LITTLE_ENDIAN);
        done += k;
    }
    if (rc == 0)
        rc = xsri_lout_record(&c->out, XSR_REC_X86_PV_P2M_FRAMES, body, (uint32_t)len);
    free(body);
    return rc;
}

/* ------------------------------------------------------------ images */

static void reset_image(struct xsri_conv *c)
{
    c->vcpu_info_seen = false;
    c->nparams = 0;
    c->xs_len = 0;
    c->xs_entries = 0;
    c->have_dm = false;
    c->dm = NULL;
    c->dm_len = 0;
}

/* After an image: write its end, and tell whether another follows. */
static int end_image(struct xsri_conv *c, bool *more)
{
    bool final = false, to_eof = false;
    int rc = 0;

    if (!c->pv)
        rc = xsri_lc_device_model(c, &to_eof);
    if (rc < 0)
        return rc;
    if (to_eof) {
        final = true;
    } else if (c->last_checkpoint) {
        /* The stream said this was its last image: what follows is not
         * part of it (Xen's restore does not read it either). */
        uint64_t n;
        rc = xsri_lin_drain(&c->in, &n);
        if (rc < 0)
            return rc;
        c->info->trailing_bytes += n;
        final = true;
    } else {
        const uint8_t *p;
        size_t got;
        rc = xsri_lin_peek(&c->in, 1, &p, &got);
        if (rc < 0)
            return rc;
        final = got == 0;
    }
    if (!final)
        c->checkpointed = true;
    if (c->checkpointed && !c->pv && c->have_dm && !c->out.libxl)
        return xsri_lc_fail(c, xsri_lin_off(&c->in), XSR_EUNSUP,
                    "a checkpointed HVM stream carries a device model per checkpoint, which "
                    "only a libxl stream can hold: convert with the libxl format");

    /* libxc part */
    rc = xsri_lout_end_image(&c->out, !c->checkpointed);
    /* libxl part.  Physmap keys of a PV guest (which has no device model)
     * would make libxl refuse the stream: left out. */
    if (c->pv && c->xs_len) {
        c->info->physmap_dropped += c->xs_entries;
        c->xs_len = 0;
    }
    if (rc == 0 && c->out.libxl && c->xs_len)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, c->xenstore,
                             c->xs_len, true);
    if (rc == 0 && c->out.libxl && c->have_dm)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_EMULATOR_CONTEXT, c->dm, c->dm_len, true);
    /* (the builder closes a checkpoint's libxl records with CHECKPOINT_END) */
    if (rc == 0 && !c->out.libxl && c->have_dm) {
        /* A bare libxc stream: the device model follows the END as it
         * did in the legacy stream. */
        uint8_t len[4];
        xsr_st32(len, c->dm_len, XSR_LITTLE_ENDIAN);
        rc = xsri_lout_trailing(&c->out, XSR_LEGACY_DM_SIG, XSR_LEGACY_DM_SIG_SIZE);
        if (rc == 0)
            rc = xsri_lout_trailing(&c->out, len, 4);
        if (rc == 0)
            rc = xsri_lout_trailing(&c->out, c->dm, c->dm_len);
    }
    /* the ENDs still missing: libxc (checkpointed), libxl */
    if (rc == 0 && final && (c->checkpointed || c->out.libxl))
        rc = xsri_lout_end(&c->out);
    *more = !final;
    return rc;
}

static int convert(struct xsri_conv *c)
{
    bool xl, more = true;
    uint64_t off;
    int rc;

    rc = xl_header(c, &xl);
    if (rc < 0)
        return rc;
    rc = detect(c);
    if (rc < 0)
        return rc;
    off = xsri_lin_off(&c->in);
    rc = xsri_lc_rd_ulong(c, &c->p2m_size, "p2m size");
    if (rc < 0)
        return rc;
    if (c->p2m_size == 0 || c->p2m_size > (1ULL << 32))
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "the p2m size %#" PRIx64 " at offset %#" PRIx64 " is not between 1 and 2^32",
                    c->p2m_size, off);
    c->info->p2m_size = c->p2m_size;
    c->out.pv = c->pv;
    rc = xsri_lout_headers(&c->out, c->pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
    if (rc == 0 && c->pv)
        rc = ext_info(c);
    if (rc == 0)
        rc = xsri_lout_record(&c->out, XSR_REC_STATIC_DATA_END, NULL, 0);
    if (rc == 0 && c->pv) {
        c->info->guest_width = c->gw;
        c->info->pt_levels = c->levels;
        rc = p2m_frames(c);
    }
    for (c->image = 0; rc == 0 && more; c->image++) {
        reset_image(c);
        rc = xsri_lc_body(c);
        if (rc == 0)
            rc = c->pv ? xsri_lc_pv_tail(c) : xsri_lc_hvm_tail(c);
        if (rc == 0)
            rc = end_image(c, &more);
        if (rc == 0 && more && c->compression_enabled && !c->compressing) {
            c->remus = xsri_remus_new(c->opts->delta_cache, c->err);
            if (!c->remus)
                return XSR_ENOMEM;
            c->compressing = true;
            c->info->compressed = true;
        }
    }
    c->info->checkpoints = c->image;
    if (c->remus)
        c->info->compressed_pages = xsri_remus_pages(c->remus);
    return rc;
}

static int convert_legacy(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_legacy_opts *o,
                          struct xsr_legacy_info *info, struct xsr_error *err)
{
    struct xsri_conv *c;
    int rc;

    memset(info, 0, sizeof(*info));
    if (!in || !out)
        return xsr_error_set(err, XSR_EINVAL, "legacy conversion needs an input and an output");
    if (o->version != 0 && o->version != 3 && o->version != 4)
        return xsr_error_set(err, XSR_EINVAL,
                             "a legacy stream converts to stream version 3 or 4, not %" PRIu32,
                             o->version);
    if (o->format != XSR_LAYER_NONE && o->format != XSR_LAYER_LIBXC && o->format != XSR_LAYER_LIBXL)
        return xsr_error_set(err, XSR_EINVAL, "a legacy stream converts to a libxc or libxl stream");
    if ((o->width && o->width != 32 && o->width != 64) ||
        (o->guest && o->guest != XSR_DOM_X86_PV && o->guest != XSR_DOM_X86_HVM))
        return xsr_error_set(err, XSR_EINVAL, "width must be 32 or 64 and guest PV or HVM");
    c = calloc(1, sizeof(*c));
    if (!c)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    c->err = err;
    c->opts = o;
    c->info = info;
    xsri_lin_init(&c->in, in, err);
    c->in.progress = o->progress;
    c->in.progress_ctx = o->progress_ctx;
    c->out.err = err;
    c->out.version = o->version ? o->version : 3;
    c->out.ch = out;
    rc = 0;
    /* Output format: libxl when asked, or by default when an xl header
     * comes first (xl needs a libxl stream behind its header). */
    if (o->format != XSR_LAYER_NONE) {
        c->out.libxl = o->format == XSR_LAYER_LIBXL;
    } else if (o->xl != XSR_LEGACY_XL_ABSENT) {
        const uint8_t *p;
        size_t got;
        rc = xsri_lin_peek(&c->in, XSR_XL_MAGIC_SIZE, &p, &got);
        c->out.libxl = rc == 0 && got == XSR_XL_MAGIC_SIZE &&
                       memcmp(p, xsr_xl_magic, XSR_XL_MAGIC_SIZE) == 0;
    }
    if (rc == 0)
        rc = convert(c);
    if (c->out.b) {
        int frc = rc == 0 ? xsr_builder_flush(c->out.b, err) : 0;
        info->out_bytes = xsr_builder_offset(c->out.b);
        xsr_builder_free(c->out.b, NULL);
        if (rc == 0)
            rc = frc;
    }
    info->format = c->out.libxl ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC;
    info->version = c->out.version;
    info->in_bytes = xsri_lin_off(&c->in);
    if (rc == 0)
        xsri_progress_read(o->progress, o->progress_ctx, info->in_bytes, c->in.size);
    xsri_lout_fini(&c->out);
    xsri_lin_fini(&c->in);
    xsri_remus_free(c->remus);
    free(c->xenstore);
    free(c->dm_buf);
    free(c);
    return rc;
}


int xsr_convert_legacy(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_legacy_opts *opts,
                       struct xsr_legacy_info *info, struct xsr_error *err)
{
    struct xsr_legacy_opts o;
    struct xsr_legacy_info full;

    if (info && xsri_opts_check(info->size, sizeof(full), sizeof(full), "xsr_legacy_info", err) < 0)
        return XSR_EINVAL;
    if (xsri_opts_load(&o, sizeof(o), opts, sizeof(o), "xsr_legacy_opts", err) < 0)
        return XSR_EINVAL;
    int rc = convert_legacy(in, out, &o, &full, err);
    full.size = sizeof(full);
    if (info)
        memcpy(info, &full, info->size); /* the caller's layout */
    return rc;
}
