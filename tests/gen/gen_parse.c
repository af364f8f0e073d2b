/* SPDX-License-Identifier: MIT */
#include "gen_parse.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/io.h>

struct cursor {
    const uint8_t *buf;
    size_t len, pos;
    struct gp_image *img;
};

static int fail(struct cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cursor *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->img->error, sizeof(c->img->error), "at offset %zu: ", c->pos);
    va_start(ap, fmt);
    vsnprintf(c->img->error + n, sizeof(c->img->error) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int add(struct cursor *c, enum gp_kind kind, enum xsr_layer layer, uint32_t type,
               const uint8_t *body, uint32_t len, uint64_t offset)
{
    struct gp_image *img = c->img;
    if ((img->n & 63) == 0) {
        struct gp_rec *r = realloc(img->recs, (img->n + 64) * sizeof(*r));
        if (!r)
            return fail(c, "out of memory");
        img->recs = r;
    }
    img->recs[img->n++] = (struct gp_rec){ kind, layer, type, body, len, offset };
    return 0;
}

static int take(struct cursor *c, size_t n, const uint8_t **p)
{
    if (c->len - c->pos < n)
        return fail(c, "truncated: %zu bytes needed, %zu left", n, c->len - c->pos);
    *p = c->buf + c->pos;
    c->pos += n;
    return 0;
}

static int header(struct cursor *c, enum gp_kind kind, enum xsr_layer layer, size_t n,
                  const uint8_t **p)
{
    uint64_t off = c->pos;
    if (take(c, n, p) < 0)
        return -1;
    return add(c, kind, layer, 0, *p, (uint32_t)n, off);
}

static int record(struct cursor *c, enum xsr_layer layer, enum xsr_byte_order o, uint32_t *type)
{
    const uint8_t *h = NULL, *body = NULL, *pad = NULL;
    uint64_t off = c->pos;
    struct xsr_rhdr rh;
    if (take(c, XSR_RHDR_SIZE, &h) < 0)
        return -1;
    xsr_rhdr_decode(h, o, &rh);
    if (rh.length > XSR_REC_LENGTH_MAX)
        return fail(c, "record length %" PRIu32 " over the limit", rh.length);
    if (take(c, rh.length, &body) < 0 || take(c, xsr_rec_pad(rh.length), &pad) < 0)
        return -1;
    if (!xsr_all_zero(pad, xsr_rec_pad(rh.length)))
        return fail(c, "non-zero padding after record type %#" PRIx32, rh.type);
    *type = rh.type;
    return add(c, GP_REC, layer, rh.type, body, rh.length, off);
}

static int libxc_headers(struct cursor *c)
{
    const uint8_t *p = NULL;
    if (header(c, GP_IHDR, XSR_LAYER_LIBXC, XSR_IHDR_SIZE, &p) < 0)
        return -1;
    xsr_ihdr_decode(p, &c->img->ihdr);
    if (c->img->ihdr.marker != XSR_IHDR_MARKER || c->img->ihdr.id != XSR_IHDR_ID)
        return fail(c, "bad image header");
    c->img->order = xsr_ihdr_order(&c->img->ihdr);
    if (header(c, GP_DHDR, XSR_LAYER_LIBXC, XSR_DHDR_SIZE, &p) < 0)
        return -1;
    xsr_dhdr_decode(p, c->img->order, &c->img->dhdr);
    return 0;
}

/* libxc records up to END (returns 0) or CHECKPOINT (returns 1). */
static int libxc_records(struct cursor *c)
{
    for (;;) {
        uint32_t type = 0;
        if (record(c, XSR_LAYER_LIBXC, c->img->order, &type) < 0)
            return -1;
        if (type == XSR_REC_END)
            return 0;
        if (type == XSR_REC_CHECKPOINT)
            return 1;
    }
}

static int libxl_stream(struct cursor *c)
{
    const uint8_t *p = NULL;
    if (header(c, GP_LIBXL_HDR, XSR_LAYER_LIBXL, XSR_LIBXL_HDR_SIZE, &p) < 0)
        return -1;
    xsr_libxl_hdr_decode(p, &c->img->libxl);
    if (c->img->libxl.ident != XSR_LIBXL_IDENT || c->img->libxl.version != XSR_LIBXL_VERSION)
        return fail(c, "bad libxl header");
    enum xsr_byte_order o = xsr_libxl_hdr_order(&c->img->libxl);
    bool in_checkpoint = false;
    for (;;) {
        uint32_t type;
        if (record(c, XSR_LAYER_LIBXL, o, &type) < 0)
            return -1;
        if (type == XSR_LIBXL_REC_END)
            return 0;
        int rc = 0;
        if (type == XSR_LIBXL_REC_LIBXC_CONTEXT) {
            if (libxc_headers(c) < 0)
                return -1;
            rc = libxc_records(c);
        } else if (type == XSR_LIBXL_REC_CHECKPOINT_END) {
            if (!in_checkpoint)
                return fail(c, "CHECKPOINT_END outside a checkpoint");
            rc = libxc_records(c);
        }
        if (rc < 0)
            return -1;
        in_checkpoint = rc == 1 || (in_checkpoint && type != XSR_LIBXL_REC_CHECKPOINT_END);
    }
}

int gp_parse(const uint8_t *buf, size_t len, struct gp_image *img)
{
    memset(img, 0, sizeof(*img));
    struct cursor c = { buf, len, 0, img };
    const uint8_t *p = NULL;
    int rc;

    img->outer = xsr_detect(buf, len);
    switch (img->outer) {
    case XSR_LAYER_XL: {
        if (take(&c, XSR_XL_HDR_SIZE, &p) < 0)
            return -1;
        if (xsr_xl_hdr_decode(p, &img->xl, NULL) < 0)
            return fail(&c, "bad xl header");
        c.pos = 0;
        if (header(&c, GP_XL_HDR, XSR_LAYER_XL, XSR_XL_HDR_SIZE + img->xl.optional_data_len, &p) < 0)
            return -1;
        img->xl_opt = p + XSR_XL_HDR_SIZE;
        rc = libxl_stream(&c);
        break;
    }
    case XSR_LAYER_LIBXL:
        rc = libxl_stream(&c);
        break;
    case XSR_LAYER_LIBXC:
        /* checkpoint after checkpoint until END */
        rc = libxc_headers(&c);
        while (rc == 0 && (rc = libxc_records(&c)) == 1)
            rc = 0;
        break;
    default:
        return fail(&c, "unknown format");
    }
    if (rc < 0)
        return -1;
    if (c.pos != len)
        return fail(&c, "%zu trailing bytes", len - c.pos);
    return 0;
}

void gp_free(struct gp_image *img)
{
    free(img->recs);
    img->recs = NULL;
    img->n = 0;
}

static const char *rec_name(const struct gp_rec *r, char *tmp, size_t n)
{
    switch (r->kind) {
    case GP_XL_HDR: return "xl";
    case GP_LIBXL_HDR: return "libxl";
    case GP_IHDR: return "ihdr";
    case GP_DHDR: return "dhdr";
    case GP_REC: break;
    }
    const char *s = r->layer == XSR_LAYER_LIBXL ? xsr_libxl_rec_type_name(r->type)
                                                : xsr_rec_type_name(r->type);
    if (s)
        return s;
    snprintf(tmp, n, "%#" PRIx32, r->type);
    return tmp;
}

void gp_sequence(const struct gp_image *img, char *out, size_t n)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < img->n; i++) {
        char tmp[16];
        const char *name = rec_name(&img->recs[i], tmp, sizeof(tmp));
        size_t run = 1;
        if (img->recs[i].kind == GP_REC && img->recs[i].layer == XSR_LAYER_LIBXC &&
            img->recs[i].type == XSR_REC_PAGE_DATA) {
            while (i + run < img->n && img->recs[i + run].kind == GP_REC &&
                   img->recs[i + run].layer == XSR_LAYER_LIBXC &&
                   img->recs[i + run].type == XSR_REC_PAGE_DATA)
                run++;
            i += run - 1;
        }
        int w = run > 1 ? snprintf(out + used, n - used, "%s%s*%zu", used ? " " : "", name, run)
                        : snprintf(out + used, n - used, "%s%s", used ? " " : "", name);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

size_t gp_count(const struct gp_image *img, enum xsr_layer layer, uint32_t type)
{
    size_t k = 0;
    for (size_t i = 0; i < img->n; i++)
        if (img->recs[i].kind == GP_REC && img->recs[i].layer == layer && img->recs[i].type == type)
            k++;
    return k;
}

const struct gp_rec *gp_find(const struct gp_image *img, enum xsr_layer layer, uint32_t type,
                             size_t idx)
{
    for (size_t i = 0; i < img->n; i++)
        if (img->recs[i].kind == GP_REC && img->recs[i].layer == layer &&
            img->recs[i].type == type && idx-- == 0)
            return &img->recs[i];
    return NULL;
}

uint8_t *gp_generate(const struct xsr_gen_opts *o, size_t *len)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    uint8_t *out = NULL;
    if (ch && xsr_gen_write(o, ch, &err) == 0) {
        size_t n;
        const uint8_t *d = xsr_chan_mem_data(ch, &n);
        out = malloc(n ? n : 1);
        if (out) {
            memcpy(out, d, n);
            *len = n;
        }
    } else {
        char msg[600];
        xsr_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "generator failed: %s\n", msg);
    }
    xsr_chan_close(ch, NULL);
    return out;
}
