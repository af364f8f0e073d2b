/* SPDX-License-Identifier: MIT */
#include "mkstream.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct ms {
    struct xsr_chan *ch;
    struct xsr_writer *w;
    enum xsr_byte_order o;
};

static void ok(int rc, const struct xsr_error *e)
{
    if (rc < 0) {
        fprintf(stderr, "mkstream: %s\n", e->message);
        abort();
    }
}

struct ms *ms_begin(uint32_t dom_type, enum xsr_byte_order o)
{
    struct xsr_error e;
    struct ms *m = calloc(1, sizeof(*m));
    struct xsr_ihdr ih = xsr_ihdr_make(3, o);
    struct xsr_dhdr dh = { .type = dom_type, .page_shift = 12, .xen_major = 4, .xen_minor = 17 };

    xsr_error_clear(&e);
    m->o = o;
    m->ch = xsr_chan_mem_writer(&e);
    m->w = m->ch ? xsr_writer_new(m->ch, 0, &e) : NULL;
    ok(m->w ? 0 : -1, &e);
    ok(xsr_writer_ihdr(m->w, &ih, &e), &e);
    ok(xsr_writer_dhdr(m->w, &dh, &e), &e);
    return m;
}

void ms_record(struct ms *m, uint32_t type, const void *body, uint32_t len)
{
    struct xsr_error e;
    xsr_error_clear(&e);
    ok(xsr_writer_record(m->w, type, body, len, &e), &e);
}

void ms_fill(uint8_t *page, uint8_t b)
{
    memset(page, b, XSR_PAGE_SIZE);
    if (b) /* make pages of different frames distinguishable beyond one byte */
        page[7] = (uint8_t)(b ^ 0x5a);
}

void ms_pages(struct ms *m, uint32_t n, const uint64_t *words, const uint8_t *fill)
{
    uint32_t data = 0;
    for (uint32_t i = 0; i < n; i++)
        data += xsr_pfn_type_has_data(xsr_pfn_word_type(words[i]));
    size_t len = 8 + 8 * (size_t)n + (size_t)data * XSR_PAGE_SIZE;
    uint8_t *b = calloc(1, len);
    xsr_page_data_encode_hdr(n, m->o, b);
    for (uint32_t i = 0; i < n; i++)
        xsr_st64(b + 8 + 8 * i, words[i], m->o);
    for (uint32_t k = 0; k < data; k++)
        ms_fill(b + 8 + 8 * (size_t)n + (size_t)k * XSR_PAGE_SIZE, fill[k]);
    ms_record(m, XSR_REC_PAGE_DATA, b, (uint32_t)len);
    free(b);
}

void ms_pv_vcpu(struct ms *m, uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t cr3)
{
    uint8_t b[8 + XSR_PV_VCPU_CTX_SIZE_64];
    memset(b, 0, sizeof(b));
    xsr_vcpu_hdr_encode(vcpu, m->o, b);
    uint8_t *ctx = b + 8;
    for (unsigned i = 0; i < 15; i++) /* r15..rdi = 0x1000 + index */
        xsr_st64(ctx + 520 + 8 * i, 0x1000 + i, m->o);
    xsr_st64(ctx + 520 + 128, rip, m->o);
    xsr_st16(ctx + 520 + 136, 0xe033, m->o);
    xsr_st64(ctx + 520 + 152, rsp, m->o);
    xsr_st64(ctx + 4984 + 3 * 8, cr3, m->o);
    ms_record(m, XSR_REC_X86_PV_VCPU_BASIC, b, sizeof(b));
}

uint8_t *ms_end(struct ms *m, size_t *len)
{
    struct xsr_error e;
    size_t n;
    xsr_error_clear(&e);
    ms_record(m, XSR_REC_END, NULL, 0);
    ok(xsr_writer_free(m->w, &e), &e);
    const uint8_t *d = xsr_chan_mem_data(m->ch, &n);
    uint8_t *out = malloc(n);
    memcpy(out, d, n);
    *len = n;
    xsr_chan_close(m->ch, NULL);
    free(m);
    return out;
}

void ms_progress_cb(void *ctx, const struct xsr_progress *r)
{
    struct ms_progress *p = ctx;
    p->backwards |= r->bytes < p->last;
    p->calls++;
    p->last = r->bytes;
    p->total = (int64_t)r->total_bytes;
    p->bad |= r->size != sizeof(*r) || r->phase != XSR_PHASE_READ;
}
