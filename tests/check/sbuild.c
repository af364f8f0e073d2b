/* SPDX-License-Identifier: MIT */
#include "sbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

void sb_init(struct sb *s, enum xsr_byte_order order)
{
    memset(s, 0, sizeof(*s));
    s->order = order;
    s->libxl_order = XSR_LITTLE_ENDIAN;
}

void sb_free(struct sb *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i].body);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

size_t sb_insert(struct sb *s, size_t at, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
                 const void *body, uint32_t len)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        struct sb_item *p = realloc(s->items, s->cap * sizeof(*p));
        if (!p)
            abort();
        s->items = p;
    }
    if (at > s->n)
        at = s->n;
    memmove(s->items + at + 1, s->items + at, (s->n - at) * sizeof(*s->items));
    struct sb_item *it = &s->items[at];
    memset(it, 0, sizeof(*it));
    it->kind = kind;
    it->layer = layer;
    it->type = type;
    it->len = len;
    it->body = xmalloc(len);
    if (body && len)
        memcpy(it->body, body, len);
    s->n++;
    return at;
}

size_t sb_add(struct sb *s, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
              const void *body, uint32_t len)
{
    return sb_insert(s, s->n, kind, layer, type, body, len);
}

size_t sb_rec(struct sb *s, uint32_t type, const void *body, uint32_t len)
{
    return sb_add(s, SB_REC, XSR_LAYER_LIBXC, type, body, len);
}

size_t sb_libxl_rec(struct sb *s, uint32_t type, const void *body, uint32_t len)
{
    return sb_add(s, SB_REC, XSR_LAYER_LIBXL, type, body, len);
}

size_t sb_insert_rec(struct sb *s, size_t at, uint32_t type, const void *body, uint32_t len)
{
    return sb_insert(s, at, SB_REC, XSR_LAYER_LIBXC, type, body, len);
}

void sb_remove(struct sb *s, size_t at)
{
    if (at >= s->n)
        abort();
    free(s->items[at].body);
    memmove(s->items + at, s->items + at + 1, (s->n - at - 1) * sizeof(*s->items));
    s->n--;
}

void sb_set_body(struct sb *s, size_t i, const void *body, uint32_t len)
{
    if (i >= s->n)
        abort();
    uint8_t *b = xmalloc(len);
    if (body && len)
        memcpy(b, body, len);
    free(s->items[i].body);
    s->items[i].body = b;
    s->items[i].len = len;
}

size_t sb_find(const struct sb *s, enum sb_kind kind, enum xsr_layer layer, uint32_t type,
               unsigned nth)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct sb_item *it = &s->items[i];
        if (it->kind != kind)
            continue;
        if (kind == SB_REC && (it->layer != layer || it->type != type))
            continue;
        if (nth-- == 0)
            return i;
    }
    return SB_NONE;
}

size_t sb_find_rec(const struct sb *s, uint32_t type, unsigned nth)
{
    return sb_find(s, SB_REC, XSR_LAYER_LIBXC, type, nth);
}

size_t sb_find_kind(const struct sb *s, enum sb_kind kind)
{
    return sb_find(s, kind, XSR_LAYER_NONE, 0, 0);
}

void sb_move(struct sb *s, size_t i, size_t j)
{
    if (i >= s->n || j > s->n)
        abort();
    struct sb_item it = s->items[i];
    memmove(s->items + i, s->items + i + 1, (s->n - i - 1) * sizeof(it));
    if (j > i)
        j--;
    memmove(s->items + j + 1, s->items + j, (s->n - 1 - j) * sizeof(it));
    s->items[j] = it;
}

uint8_t *sb_bytes(const struct sb *s, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct sb_item *it = &s->items[i];
        total += it->len;
        if (it->kind == SB_REC)
            total += 8 + xsr_rec_pad(it->len);
    }
    uint8_t *out = xmalloc(total), *p = out;
    for (size_t i = 0; i < s->n; i++) {
        const struct sb_item *it = &s->items[i];
        if (it->kind == SB_REC) {
            enum xsr_byte_order o = it->layer == XSR_LAYER_LIBXL ? s->libxl_order : s->order;
            xsr_st32(p, it->type, o);
            xsr_st32(p + 4, it->len, o);
            p += 8;
        }
        memcpy(p, it->body, it->len);
        p += it->len;
        if (it->kind == SB_REC) {
            uint32_t pad = xsr_rec_pad(it->len);
            memset(p, it->pad_fill, pad);
            p += pad;
        }
    }
    *len = total;
    return out;
}

/* ------------------------------------------------------------ bodies */

uint8_t *sb_page_data(enum xsr_byte_order o, const uint64_t *words, uint32_t count, uint32_t *len)
{
    uint32_t data = 0;
    for (uint32_t i = 0; i < count; i++)
        if (xsr_pfn_type_has_data((unsigned)(words[i] >> 60)))
            data++;
    *len = 8 + 8 * count + 4096 * data;
    uint8_t *b = xmalloc(*len);
    xsr_st32(b, count, o);
    for (uint32_t i = 0; i < count; i++)
        xsr_st64(b + 8 + 8 * i, words[i], o);
    /* recognisable page contents */
    for (uint32_t i = 0; i < data; i++)
        memset(b + 8 + 8 * count + 4096 * i, 0x40 + (int)i, 4096);
    return b;
}

static size_t put_entry(uint8_t *b, size_t off, uint16_t type, uint32_t len, enum xsr_byte_order o)
{
    xsr_st16(b + off, type, o);
    xsr_st16(b + off + 2, 0, o);
    xsr_st32(b + off + 4, len, o);
    return off + 8;
}

uint8_t *sb_domctx_blob(enum xsr_byte_order o, unsigned width, bool pv, uint32_t *len)
{
    uint32_t shsize = (pv && width == 4) ? 2344 : 3136;
    uint32_t shlen = (8 + shsize + 7) & ~7u;
    *len = 8 + 16 + 8 + shlen + 8 + 24 + 8;
    uint8_t *b = xmalloc(*len);
    size_t off = put_entry(b, 0, 1, 16, o);
    xsr_st32(b + off, 0x53415645u, o);
    xsr_st16(b + off + 4, 4, o);
    xsr_st16(b + off + 6, 17, o);
    xsr_st32(b + off + 8, 1, o);
    off += 16;
    off = put_entry(b, off, 2, shlen, o);
    xsr_st32(b + off, (pv && width == 4) ? 1 : 0, o);
    xsr_st32(b + off + 4, shsize, o);
    memset(b + off + 8, 0x5a, shsize);
    off += shlen;
    off = put_entry(b, off, 3, 24, o);
    xsr_st32(b + off, 0, o);             /* mode */
    xsr_st32(b + off + 4, 1, o);         /* incarnation */
    xsr_st64(b + off + 8, 123456789, o); /* elapsed_nsec */
    xsr_st32(b + off + 16, 2000000, o);  /* khz */
    xsr_st32(b + off + 20, 0xdeadbeef, o); /* uninitialised tail: allowed */
    off += 24;
    off = put_entry(b, off, 0, 0, o);
    if (off != *len)
        abort();
    return b;
}

uint8_t *sb_hvmctx_blob(enum xsr_byte_order o, uint32_t *len)
{
    *len = 8 + 24 + 8 + 1032 + 8;
    uint8_t *b = xmalloc(*len);
    size_t off = put_entry(b, 0, 1, 24, o);
    xsr_st32(b + off, 0x54381286u, o);
    xsr_st32(b + off + 4, 1, o);
    xsr_st64(b + off + 8, ~0ULL, o);
    xsr_st32(b + off + 16, 0x806f0, o);
    xsr_st32(b + off + 20, 2000000, o);
    off += 24;
    off = put_entry(b, off, 2, 1032, o); /* CPU, vCPU 0 */
    off += 1032;
    put_entry(b, off, 0, 0, o);
    return b;
}

/* ------------------------------------------------------------ streams */

static void add_headers(struct sb *s, uint32_t version, uint32_t dom_type)
{
    uint8_t ih[24] = { 0 }, dh[16] = { 0 };
    xsr_st64(ih, 0xffffffffffffffffULL, XSR_BIG_ENDIAN);
    xsr_st32(ih + 8, 0x58454E46u, XSR_BIG_ENDIAN);
    xsr_st32(ih + 12, version, XSR_BIG_ENDIAN);
    xsr_st16(ih + 16, s->order == XSR_BIG_ENDIAN ? 1 : 0, XSR_BIG_ENDIAN);
    sb_add(s, SB_IHDR, XSR_LAYER_LIBXC, 0, ih, sizeof(ih));
    xsr_st32(dh, dom_type, s->order);
    xsr_st16(dh + 4, 12, s->order);
    xsr_st32(dh + 8, 4, s->order);
    xsr_st32(dh + 12, 17, s->order);
    sb_add(s, SB_DHDR, XSR_LAYER_LIBXC, 0, dh, sizeof(dh));
    s->version = version;
    s->dom_type = dom_type;
}

static void add_static_data(struct sb *s)
{
    enum xsr_byte_order o = s->order;
    uint8_t cpuid[48] = { 0 }, msr[16] = { 0 };
    xsr_st32(cpuid, 0, o);
    xsr_st32(cpuid + 4, 0xffffffffu, o);
    xsr_st32(cpuid + 8, 0xd, o);
    xsr_st32(cpuid + 24, 1, o);
    xsr_st32(cpuid + 28, 0xffffffffu, o);
    xsr_st32(cpuid + 32, 0x806f0, o);
    sb_rec(s, XSR_REC_X86_CPUID_POLICY, cpuid, sizeof(cpuid));
    xsr_st32(msr, 0xce, o); /* PLATFORM_INFO */
    xsr_st64(msr + 8, 0x1234, o);
    sb_rec(s, XSR_REC_X86_MSR_POLICY, msr, sizeof(msr));
    sb_rec(s, XSR_REC_STATIC_DATA_END, NULL, 0);
}

static void add_tsc(struct sb *s)
{
    uint8_t t[24] = { 0 };
    xsr_st32(t, 0, s->order);
    xsr_st32(t + 4, 2000000, s->order);
    xsr_st64(t + 8, 987654321, s->order);
    xsr_st32(t + 16, 1, s->order);
    sb_rec(s, XSR_REC_X86_TSC_INFO, t, sizeof(t));
}

static void add_page_data(struct sb *s, const uint64_t *w, uint32_t n)
{
    uint32_t len;
    uint8_t *b = sb_page_data(s->order, w, n, &len);
    sb_rec(s, XSR_REC_PAGE_DATA, b, len);
    free(b);
}

static void add_domctx(struct sb *s, bool pv)
{
    uint32_t len;
    uint8_t *b = sb_domctx_blob(s->order, s->width, pv, &len);
    sb_rec(s, XSR_REC_DOMAIN_CONTEXT, b, len);
    free(b);
}

static void add_vcpu(struct sb *s, uint32_t type, uint32_t id, uint32_t ctx_len, uint8_t fill)
{
    uint8_t *b = xmalloc(8 + ctx_len);
    xsr_st32(b, id, s->order);
    memset(b + 8, fill, ctx_len);
    sb_rec(s, type, b, 8 + ctx_len);
    free(b);
}

void sb_pv(struct sb *s, uint32_t version, unsigned width)
{
    enum xsr_byte_order o = s->order;
    s->width = width;
    add_headers(s, version, XSR_DOM_X86_PV);

    uint8_t info[8] = { (uint8_t)width, width == 8 ? 4 : 3 };
    sb_rec(s, XSR_REC_X86_PV_INFO, info, sizeof(info));
    if (version >= 3)
        add_static_data(s);

    /* pfns 0..0x3ff: two frames for a 64-bit guest, one for a 32-bit one */
    uint32_t frames = width == 8 ? 2 : 1;
    uint8_t p2m[8 + 16] = { 0 };
    xsr_st32(p2m, 0, o);
    xsr_st32(p2m + 4, 0x3ff, o);
    for (uint32_t i = 0; i < frames; i++)
        xsr_st64(p2m + 8 + 8 * i, 0x10 + i, o);
    sb_rec(s, XSR_REC_X86_PV_P2M_FRAMES, p2m, 8 + 8 * frames);

    uint64_t w1[] = {
        xsr_pfn_word_make(XSR_PFN_NOTAB, 0), xsr_pfn_word_make(XSR_PFN_L1TAB, 1),
        xsr_pfn_word_make(width == 8 ? XSR_PFN_L4TAB_PIN : XSR_PFN_L3TAB_PIN, 2),
        xsr_pfn_word_make(XSR_PFN_XTAB, 3),
    };
    add_page_data(s, w1, 4);
    uint64_t w2[] = {
        xsr_pfn_word_make(XSR_PFN_XALLOC, 5), xsr_pfn_word_make(XSR_PFN_NOTAB, 0x10),
        xsr_pfn_word_make(XSR_PFN_NOTAB, 0x11),
    };
    add_page_data(s, w2, 3);

    if (version >= 4) {
        add_domctx(s, true);
    } else {
        add_tsc(s);
        sb_rec(s, XSR_REC_SHARED_INFO, NULL, 4096);
    }
    add_vcpu(s, XSR_REC_X86_PV_VCPU_BASIC, 0, width == 8 ? 5168 : 2800, 0x11);
    add_vcpu(s, XSR_REC_X86_PV_VCPU_EXTENDED, 0, 64, 0);
    add_vcpu(s, XSR_REC_X86_PV_VCPU_XSAVE, 0, 16 + 576, 0);
    uint8_t msrs[8 + 16] = { 0 };
    xsr_st32(msrs + 8, 0xc0000080u, o);
    xsr_st64(msrs + 16, 0x500, o);
    sb_rec(s, XSR_REC_X86_PV_VCPU_MSRS, msrs, sizeof(msrs));
    sb_rec(s, XSR_REC_END, NULL, 0);
}

void sb_hvm(struct sb *s, uint32_t version)
{
    enum xsr_byte_order o = s->order;
    s->width = 8;
    add_headers(s, version, XSR_DOM_X86_HVM);
    if (version >= 3)
        add_static_data(s);
    uint64_t w[] = {
        xsr_pfn_word_make(XSR_PFN_NOTAB, 0), xsr_pfn_word_make(XSR_PFN_NOTAB, 1),
        xsr_pfn_word_make(XSR_PFN_XTAB, 2), xsr_pfn_word_make(XSR_PFN_NOTAB, 0xfeffc),
    };
    add_page_data(s, w, 4);
    if (version >= 4)
        add_domctx(s, false);
    else
        add_tsc(s);

    uint8_t params[8 + 32] = { 0 };
    xsr_st32(params, 2, o);
    xsr_st64(params + 8, 1, o); /* STORE_PFN */
    xsr_st64(params + 16, 0xfeffc, o);
    xsr_st64(params + 24, 17, o); /* CONSOLE_PFN */
    xsr_st64(params + 32, 0xfeffd, o);
    sb_rec(s, XSR_REC_HVM_PARAMS, params, sizeof(params));
    uint32_t len;
    uint8_t *ctx = sb_hvmctx_blob(o, &len);
    sb_rec(s, XSR_REC_HVM_CONTEXT, ctx, len);
    free(ctx);
    sb_rec(s, XSR_REC_END, NULL, 0);
}

void sb_wrap_libxl(struct sb *s, enum xsr_byte_order order)
{
    uint8_t h[16];
    s->libxl_order = order;
    xsr_st64(h, 0x4c6962786c466d74ULL, XSR_BIG_ENDIAN);
    xsr_st32(h + 8, 2, XSR_BIG_ENDIAN);
    xsr_st32(h + 12, order == XSR_BIG_ENDIAN ? 1 : 0, XSR_BIG_ENDIAN);
    sb_insert(s, 0, SB_LIBXL_HDR, XSR_LAYER_LIBXL, 0, h, sizeof(h));
    sb_insert(s, 1, SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_LIBXC_CONTEXT, NULL, 0);
    if (s->dom_type == XSR_DOM_X86_HVM) {
        static const char kv[] = "physmap/f0000000/start_addr\0f0000000\0"
                                 "physmap/f0000000/size\0800000\0";
        uint8_t b[8 + sizeof(kv) - 1]; /* the literal's own NUL is not sent */
        xsr_st32(b, 2, order);
        xsr_st32(b + 4, 0, order);
        memcpy(b + 8, kv, sizeof(kv) - 1);
        sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, b, sizeof(b));
        uint8_t e[8 + 20] = { 0 };
        xsr_st32(e, 2, order);
        memcpy(e + 8, "QEVM", 4);
        sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, e, sizeof(e));
    }
    sb_libxl_rec(s, XSR_LIBXL_REC_END, NULL, 0);
}

void sb_wrap_xl(struct sb *s, enum xsr_byte_order order)
{
    static const char cfg[] = "{\"c_info\":{\"name\":\"guest\"}}";
    uint32_t cfg_len = sizeof(cfg); /* NUL included */
    uint32_t opt = 4 + cfg_len;
    uint8_t *b = xmalloc(48 + opt);
    memcpy(b, "Xen saved domain, xl format\n \0 \r", 32);
    xsr_st32(b + 32, 0x01020304u, order);
    xsr_st32(b + 36, XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2, order);
    xsr_st32(b + 40, 0, order);
    xsr_st32(b + 44, opt, order);
    xsr_st32(b + 48, cfg_len, order);
    memcpy(b + 52, cfg, cfg_len);
    sb_insert(s, 0, SB_XL_HDR, XSR_LAYER_XL, 0, b, 48 + opt);
    free(b);
}
