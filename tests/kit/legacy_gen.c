/* SPDX-License-Identifier: MIT */
/*
 * Legacy stream generator: writes what a pre-v2 saver (xc_domain_save of
 * Xen 4.x) writes, for a synthetic guest: PV or HVM, 32- or 64-bit toolstack,
 * every chunk type, Remus checkpoints with or without compression, an xl
 * header, a device-model record.  Deterministic for a given option set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/convert.h>
#include <xsr/domctx.h>
#include <xsr/io.h>
#include <xsr/vcpu.h>

#include "legacy_gen_internal.h"

#define OUT_BUF (1u << 20)

/* ------------------------------------------------------------- output */

static int flush(struct xsri_lg *g)
{
    int rc = 0;

    if (g->len)
        rc = xsr_chan_write(g->out, g->buf, g->len, g->err);
    g->len = 0;
    return rc;
}

int xsri_lg_put(struct xsri_lg *g, const void *p, size_t n)
{
    const uint8_t *s = p;

    while (n) {
        if (g->len == OUT_BUF) {
            int rc = flush(g);
            if (rc < 0)
                return rc;
        }
        size_t k = OUT_BUF - g->len < n ? OUT_BUF - g->len : n;
        memcpy(g->buf + g->len, s, k);
        g->len += k;
        g->off += k;
        s += k;
        n -= k;
    }
    return 0;
}

int xsri_lg_put32(struct xsri_lg *g, uint32_t v)
{
    uint8_t b[4];
    xsr_st32(b, v, XSR_LITTLE_ENDIAN);
    return xsri_lg_put(g, b, 4);
}

int xsri_lg_put64(struct xsri_lg *g, uint64_t v)
{
    uint8_t b[8];
    xsr_st64(b, v, XSR_LITTLE_ENDIAN);
    return xsri_lg_put(g, b, 8);
}

int xsri_lg_put_ulong(struct xsri_lg *g, uint64_t v)
{
    return g->ulong == 8 ? xsri_lg_put64(g, v) : xsri_lg_put32(g, (uint32_t)v);
}

void xsri_lg_mark(struct xsri_lg *g, const char *what)
{
    if (g->o->mark)
        g->o->mark(g->o->mark_ctx, what, g->off);
}

/* ---------------------------------------------------------- PV parts */

/* A vcpu_guest_context: mostly a pattern, with the fields a restorer
 * follows pointing at the right pages. */
static void vcpu_context(struct xsri_lg *g, unsigned vcpu, unsigned k, uint8_t *ctx)
{
    uint64_t s = xsri_mix64(g->o->seed + vcpu * 1000 + k);

    for (uint32_t i = 0; i + 8 <= g->basic_len; i += 8) {
        s = xsri_mix64(s);
        xsr_st64(ctx + i, s, XSR_LITTLE_ENDIAN);
    }
    const enum xsr_vcpu_kind kd = xsr_vcpu_kind_pv(g->gw);
    const enum xsr_byte_order o = XSR_LITTLE_ENDIAN;
    const uint32_t ldt = xsr_vcpu_offset(kd, XSR_VCPU_LDT_BASE, 0);
    const uint32_t ctrl = xsr_vcpu_offset(kd, XSR_VCPU_CTRLREG, 0);
    xsr_vcpu_put(ctx, kd, XSR_VCPU_FLAGS, 0, 1u << 1 | 1u << 2, o); /* in kernel, failsafe */
    xsr_vcpu_put(ctx, kd, XSR_VCPU_RDX, 0, vcpu == 0 ? START_INFO_PFN : 0, o);
    memset(ctx + ldt, 0, ctrl - ldt);               /* ldt, gdt frames and count, kernel ss/sp */
    memset(ctx + ctrl, 0, 16 * (size_t)g->gw);      /* ctrlreg, debugreg */
    /* 32-bit guests keep cr3 in the "extended cr3" rotation. */
    xsr_vcpu_put(ctx, kd, XSR_VCPU_CR3, 0, xsr_pv_frame_to_cr3(PT_TOP, g->gw), o);
    xsr_vcpu_put(ctx, kd, XSR_VCPU_KERNEL_SS, 0, g->gw == 8 ? 0xe02b : 0xe021, o);
}

/* The extended context as XEN_DOMCTL_get_ext_vcpucontext returns it, in the
 * 128 bytes the legacy tail reserves. */
static void vcpu_extended(unsigned vcpu, uint8_t *ext)
{
    memset(ext, 0, XSR_LEGACY_EXTV_SIZE);
    xsr_st32(ext, vcpu, XSR_LITTLE_ENDIAN);
    xsr_st32(ext + 4, 64, XSR_LITTLE_ENDIAN);
    xsr_st64(ext + 8, 0xffffffff81000000ULL + vcpu, XSR_LITTLE_ENDIAN);
    xsr_st64(ext + 16, 0xffffffff81000100ULL, XSR_LITTLE_ENDIAN);
    xsr_st16(ext + 24, 0xe033, XSR_LITTLE_ENDIAN);
    xsr_st16(ext + 26, 0xe033, XSR_LITTLE_ENDIAN);
}

static int pv_header(struct xsri_lg *g)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    uint32_t total = 8 + g->basic_len + (o->extv ? 8 : 0) + (o->xsave_size ? 12 : 0);
    uint8_t *ctx = calloc(1, g->basic_len);
    int rc;

    if (!ctx)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
    xsri_lg_mark(g, "extended_info");
    rc = xsri_lg_put_ulong(g, UINT64_MAX);
    if (rc == 0)
        rc = xsri_lg_put32(g, total);
    if (rc == 0) {
        xsri_lg_mark(g, "ext_vcpu");
        rc = xsri_lg_put(g, "vcpu", 4);
    }
    if (rc == 0)
        rc = xsri_lg_put32(g, g->basic_len);
    if (rc == 0) {
        vcpu_context(g, 0, 0, ctx);
        rc = xsri_lg_put(g, ctx, g->basic_len);
    }
    if (rc == 0 && o->extv) {
        xsri_lg_mark(g, "ext_extv");
        rc = xsri_lg_put(g, "extv", 4);
        if (rc == 0)
            rc = xsri_lg_put32(g, 0);
    }
    if (rc == 0 && o->xsave_size) {
        xsri_lg_mark(g, "ext_xcnt");
        rc = xsri_lg_put(g, "xcnt", 4);
        if (rc == 0)
            rc = xsri_lg_put32(g, 4);
        if (rc == 0)
            rc = xsri_lg_put32(g, o->xsave_size + 16);
    }
    free(ctx);
    if (rc < 0)
        return rc;
    xsri_lg_mark(g, "p2m_frames");
    for (uint64_t i = 0; rc == 0 && i < g->p2m_count; i++)
        rc = xsri_lg_put_ulong(g, g->p2m_first + i);
    return rc;
}

static int pv_tail(struct xsri_lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    uint8_t *ctx = malloc(g->basic_len > XSR_PAGE_SIZE ? g->basic_len : XSR_PAGE_SIZE);
    int rc;

    if (!ctx)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
    xsri_lg_mark(g, "tail");
    /* Unmapped pfns: bogus, and dropped by converters. */
    rc = xsri_lg_put32(g, o->all_chunks ? 2 : 0);
    if (rc == 0 && o->all_chunks) {
        rc = xsri_lg_put_ulong(g, o->nr_pages + 1);
        if (rc == 0)
            rc = xsri_lg_put_ulong(g, o->nr_pages + 7);
    }
    unsigned vcpus = o->no_vcpu_info ? 1 : o->nr_vcpus;
    for (unsigned v = 0; rc == 0 && v < vcpus; v++) {
        xsri_lg_mark(g, "vcpu_basic");
        vcpu_context(g, v, k, ctx);
        rc = xsri_lg_put(g, ctx, g->basic_len);
        if (rc == 0 && o->extv) {
            xsri_lg_mark(g, "vcpu_extended");
            vcpu_extended(v, ctx);
            rc = xsri_lg_put(g, ctx, XSR_LEGACY_EXTV_SIZE);
        }
        if (rc == 0 && o->xsave_size) {
            xsri_lg_mark(g, "vcpu_xsave");
            rc = xsri_lg_put64(g, 0x7);                 /* xfeature mask */
            if (rc == 0)
                rc = xsri_lg_put64(g, o->xsave_size);
            /* the domctl buffer: xcr0, xcr0_accum, XSAVE image */
            for (uint32_t i = 0; rc == 0 && i < o->xsave_size; i += 8) {
                uint64_t w = i == 0 ? 0x7 : i == 8 ? 0x7 : xsri_mix64(o->seed + v * 77 + i + k);
                uint8_t b[8];
                xsr_st64(b, w, XSR_LITTLE_ENDIAN);
                rc = xsri_lg_put(g, b, o->xsave_size - i < 8 ? o->xsave_size - i : 8);
            }
        }
    }
    if (rc == 0) {
        /* Shared info: the structure, zero beyond it (as Xen keeps it). */
        uint32_t size = xsr_shinfo_size(g->gw);
        memset(ctx, 0, XSR_PAGE_SIZE);
        for (uint32_t i = 0; i + 8 <= size; i += 8)
            xsr_st64(ctx + i, xsri_mix64(o->seed + 0x5a + i + k) & 0x0101010101010101ULL,
                     XSR_LITTLE_ENDIAN);
        xsri_lg_mark(g, "shared_info");
        rc = xsri_lg_put(g, ctx, XSR_PAGE_SIZE);
    }
    free(ctx);
    return rc;
}

/* --------------------------------------------------------- HVM parts */

static int hvm_tail(struct xsri_lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    size_t cap = 0, len = 0;
    uint8_t *blob = NULL;
    int rc;

    xsri_lg_mark(g, "tail");
    rc = xsri_lg_put64(g, 0xfeff1 + k); /* ioreq */
    if (rc == 0)
        rc = xsri_lg_put64(g, 0xfeff2);  /* buffered ioreq */
    if (rc == 0)
        rc = xsri_lg_put64(g, 0xfeffc);  /* xenstore */
    if (rc < 0)
        return rc;

    /* An HVM context blob: HEADER, per-vCPU CPU and LAPIC, a PIT, END. */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t hdr[XSR_HVMCTX_HEADER_SIZE], body[1032];
        struct xsr_hvmctx_header h = { XSR_HVMCTX_MAGIC, XSR_HVMCTX_VERSION, 0x4005, 0x306c3,
                                       2793435 };
        len = 0;
        xsr_hvmctx_header_encode(&h, XSR_LITTLE_ENDIAN, hdr);
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_HEADER, 0, hdr, sizeof(hdr), XSR_LITTLE_ENDIAN);
        for (unsigned v = 0; v < o->nr_vcpus; v++) {
            for (uint32_t i = 0; i < sizeof(body); i++)
                body[i] = (uint8_t)xsri_mix64(o->seed + v * 4096 + i + k);
            xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_CPU, (uint16_t)v, body,
                           xsr_hvmctx_type_size(XSR_HVMCTX_CPU), XSR_LITTLE_ENDIAN);
            xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_LAPIC, (uint16_t)v, body,
                           xsr_hvmctx_type_size(XSR_HVMCTX_LAPIC), XSR_LITTLE_ENDIAN);
        }
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_PIT, 0, body,
                       xsr_hvmctx_type_size(XSR_HVMCTX_PIT), XSR_LITTLE_ENDIAN);
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_END, 0, NULL, 0, XSR_LITTLE_ENDIAN);
        if (pass == 0) {
            cap = len;
            blob = malloc(cap);
            if (!blob)
                return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
        }
    }
    xsri_lg_mark(g, "hvm_context");
    rc = xsri_lg_put32(g, (uint32_t)len);
    if (rc == 0)
        rc = xsri_lg_put(g, blob, len);
    free(blob);
    if (rc == 0 && o->device_model) {
        /* Remus checkpoints carry the device model with its own signature. */
        const char *sig = o->checkpoints > 1 ? XSR_LEGACY_DM_SIG_REMUS : XSR_LEGACY_DM_SIG;
        xsri_lg_mark(g, "device_model");
        rc = xsri_lg_put(g, sig, XSR_LEGACY_DM_SIG_SIZE);
        if (rc == 0)
            rc = xsri_lg_put32(g, o->dm_size);
        for (uint32_t i = 0; rc == 0 && i < o->dm_size; i++) {
            uint8_t c = i < 4 ? (uint8_t)"QEVM"[i] : (uint8_t)xsri_mix64(o->seed + i + k * 3);
            rc = xsri_lg_put(g, &c, 1);
        }
    }
    return rc;
}

/* ----------------------------------------------------------- xl header */

static int xl_header(struct xsri_lg *g)
{
    char cfg[256];
    uint8_t hdr[XSR_XL_HDR_SIZE];
    int n = snprintf(cfg, sizeof(cfg),
                     "{\n    \"c_info\": {\n        \"type\": \"%s\",\n"
                     "        \"name\": \"legacy-%s\"\n    }\n}\n",
                     g->pv ? "pv" : "hvm", g->pv ? "pv" : "hvm");
    struct xsr_xl_hdr h = { XSR_LITTLE_ENDIAN, XSR_XL_FLAG_JSON, 0, 4 + (uint32_t)n + 1 };
    int rc;

    xsri_lg_mark(g, "xl_header");
    xsr_xl_hdr_encode(&h, hdr);
    rc = xsri_lg_put(g, hdr, sizeof(hdr));
    if (rc == 0)
        rc = xsri_lg_put32(g, (uint32_t)n + 1);
    if (rc == 0)
        rc = xsri_lg_put(g, cfg, (size_t)n + 1);
    return rc;
}

/* ------------------------------------------------------------ the lot */

void xsr_legacy_gen_opts_init(struct xsr_legacy_gen_opts *o, unsigned width, uint32_t guest)
{
    memset(o, 0, sizeof(*o));
    o->width = width == 32 ? 32 : 64;
    o->guest = guest == XSR_DOM_X86_HVM ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV;
    o->guest_width = 8;
    o->nr_pages = 256;
    o->nr_vcpus = 1;
    o->batch = XSR_LEGACY_MAX_BATCH;
    o->extv = true;
    o->page_tables = o->guest == XSR_DOM_X86_PV;
    o->last_checkpoint = true;
    o->dm_size = 4096;
    o->device_model = o->guest == XSR_DOM_X86_HVM;
    o->seed = 1;
}

static int check_opts(const struct xsr_legacy_gen_opts *o, struct xsr_error *err)
{
    if (o->width != 32 && o->width != 64)
        return xsr_error_set(err, XSR_EINVAL, "toolstack width %u is neither 32 nor 64", o->width);
    if (o->guest != XSR_DOM_X86_PV && o->guest != XSR_DOM_X86_HVM)
        return xsr_error_set(err, XSR_EINVAL, "guest type %" PRIu32 " is neither PV nor HVM",
                             o->guest);
    if (o->guest == XSR_DOM_X86_PV && o->guest_width != 4 && o->guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", o->guest_width);
    /* PV: page tables and start info in pfns 1..5, the p2m at the end */
    if (o->nr_pages < 8 || o->nr_pages > XSR_LEGACY_PFN_MASK)
        return xsr_error_set(err, XSR_EINVAL, "%" PRIu64 " pages: need 8 to 2^28 - 1",
                             o->nr_pages);
    if (o->nr_vcpus < 1 || o->max_vcpu_id + 1 < o->nr_vcpus ||
        o->max_vcpu_id > XSR_LEGACY_MAX_VCPU_ID)
        return xsr_error_set(err, XSR_EINVAL, "%u vCPUs with max id %u: need 1 <= vCPUs <= "
                             "max id + 1 <= 4096", o->nr_vcpus, o->max_vcpu_id);
    if (o->batch < 1 || o->batch > XSR_LEGACY_MAX_BATCH)
        return xsr_error_set(err, XSR_EINVAL, "batch of %u entries: need 1 to 1024", o->batch);
    if (o->compress && o->checkpoints < 2)
        return xsr_error_set(err, XSR_EINVAL, "compression needs at least 2 checkpoints");
    if (o->xsave_size > (1u << 20))
        return xsr_error_set(err, XSR_EINVAL, "xsave size %" PRIu32 " above 1 MiB", o->xsave_size);
    if (o->dm_size > (64u << 20))
        return xsr_error_set(err, XSR_EINVAL, "device model size %" PRIu32 " above 64 MiB",
                             o->dm_size);
    return 0;
}

int xsr_legacy_gen_write(const struct xsr_legacy_gen_opts *opts, struct xsr_chan *out,
                         struct xsr_error *err)
{
    struct xsr_legacy_gen_opts o = *opts;
    struct xsri_lg g = { 0 };
    int rc;

    if (o.max_vcpu_id + 1 < o.nr_vcpus)
        o.max_vcpu_id = o.nr_vcpus ? o.nr_vcpus - 1 : 0;
    rc = check_opts(&o, err);
    if (rc < 0)
        return rc;
    g.o = &o;
    g.out = out;
    g.err = err;
    g.ulong = o.width / 8;
    g.pv = o.guest == XSR_DOM_X86_PV;
    g.gw = g.pv ? o.guest_width : 8;
    g.basic_len = g.gw == 8 ? XSR_LEGACY_EXT_VCPU_64 : XSR_LEGACY_EXT_VCPU_32;
    if (g.pv) {
        uint64_t fpp = XSR_PAGE_SIZE / g.gw;
        g.p2m_count = (o.nr_pages - 1) / fpp + 1;
        g.p2m_first = o.nr_pages - g.p2m_count;
    }
    g.buf = malloc(OUT_BUF);
    g.page = malloc(XSR_PAGE_SIZE);
    if (o.compress) {
        g.cache = xsri_dcache_new(XSRI_REMUS_CACHE);
        g.pend = malloc(sizeof(*g.pend) * XSRI_REMUS_BLOCK);
    }
    if (!g.buf || !g.page || (o.compress && (!g.cache || !g.pend))) {
        rc = xsr_error_set(err, XSR_ENOMEM, "out of memory for the legacy generator");
        goto out;
    }

    if (o.xl_header)
        rc = xl_header(&g);
    if (rc == 0) {
        xsri_lg_mark(&g, "p2m_size");
        rc = xsri_lg_put_ulong(&g, o.nr_pages);
    }
    if (rc == 0 && g.pv)
        rc = pv_header(&g);
    unsigned images = o.checkpoints > 1 ? o.checkpoints : 1;
    for (unsigned k = 0; rc == 0 && k < images; k++) {
        rc = xsri_lg_send_body(&g, k);
        if (rc == 0)
            rc = g.pv ? pv_tail(&g, k) : hvm_tail(&g, k);
    }
    if (rc == 0)
        rc = flush(&g);
out:
    free(g.buf);
    free(g.page);
    free(g.comp);
    free(g.pend);
    xsri_dcache_free(g.cache);
    return rc;
}

