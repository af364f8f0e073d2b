/* SPDX-License-Identifier: MIT */
#include "streammap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct sm_map *m, size_t *cap, const struct sm_item *it)
{
    if (m->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct sm_item *ni = realloc(m->items, nc * sizeof(*ni));
        if (!ni)
            return -1;
        m->items = ni;
        *cap = nc;
    }
    m->items[m->n++] = *it;
    return 0;
}

int sm_build(const uint8_t *buf, size_t len, struct sm_map *m)
{
    struct xsr_error err;
    struct xsr_event ev;
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    wo.format = XSR_LAYER_NONE;
    size_t cap = 0;
    int rc;

    memset(m, 0, sizeof(*m));
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    struct xsr_walker *w = ch ? xsr_walker_new(ch, &wo, &err) : NULL;
    if (!w) {
        xsr_chan_close(ch, NULL);
        return -1;
    }
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
        struct sm_item it = {.kind = ev.kind, .layer = ev.layer, .offset = ev.offset,
                             .index = ev.index};
        if (ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD) {
            it.type = ev.u.rec.type;
            it.length = ev.u.rec.length;
            it.size = XSR_RHDR_SIZE + xsr_rec_padded(ev.u.rec.length);
        } else {
            it.length = (uint32_t)ev.raw_len;
            it.size = ev.raw_len;
        }
        if (push(m, &cap, &it) < 0) {
            rc = XSR_ENOMEM;
            break;
        }
    }
    m->walk_rc = rc;
    if (rc < 0)
        xsr_error_format(&err, m->walk_msg, sizeof(m->walk_msg));
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
    return 0;
}

void sm_free(struct sm_map *m)
{
    free(m->items);
    memset(m, 0, sizeof(*m));
}

const struct sm_item *sm_record(const struct sm_map *m, enum xsr_layer layer, uint32_t type,
                                unsigned nth)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct sm_item *it = &m->items[i];
        bool rec = it->kind == XSR_EV_RECORD || it->kind == XSR_EV_LIBXL_RECORD;
        if (rec && it->layer == layer && it->type == type && nth-- == 0)
            return it;
    }
    return NULL;
}

const struct sm_item *sm_kind(const struct sm_map *m, enum xsr_event_kind kind)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->items[i].kind == kind)
            return &m->items[i];
    return NULL;
}

unsigned sm_count(const struct sm_map *m, enum xsr_layer layer, uint32_t type)
{
    unsigned n = 0;
    while (sm_record(m, layer, type, n))
        n++;
    return n;
}

uint8_t *ed_splice(const uint8_t *buf, size_t *len, uint64_t at, uint64_t remove,
                   const void *insert, size_t insert_len)
{
    if (at > *len || remove > *len - at)
        return NULL;
    size_t n = *len - remove + insert_len;
    uint8_t *out = malloc(n ? n : 1);
    if (!out)
        return NULL;
    memcpy(out, buf, at);
    if (insert_len)
        memcpy(out + at, insert, insert_len);
    memcpy(out + at + insert_len, buf + at + remove, *len - at - remove);
    *len = n;
    return out;
}

uint8_t *ed_record(uint32_t type, const void *body, uint32_t body_len, enum xsr_byte_order o,
                   size_t *out_len)
{
    size_t n = XSR_RHDR_SIZE + xsr_rec_padded(body_len);
    uint8_t *out = calloc(1, n);
    if (!out)
        return NULL;
    struct xsr_rhdr h = {.type = type, .length = body_len};
    xsr_rhdr_encode(&h, o, out);
    if (body_len)
        memcpy(out + XSR_RHDR_SIZE, body, body_len);
    *out_len = n;
    return out;
}

/* Byte order of the libxc stream in buf (from its image header). */
static enum xsr_byte_order libxc_order(const uint8_t *buf, const struct sm_map *m)
{
    const struct sm_item *ih = sm_kind(m, XSR_EV_IMAGE_HEADER);
    if (!ih)
        return XSR_LITTLE_ENDIAN;
    struct xsr_ihdr h;
    xsr_ihdr_decode(buf + ih->offset, &h);
    return xsr_ihdr_order(&h);
}

/* Rewrite one PAGE_DATA record into out (at *off), keeping data pages while
 * *budget lasts.  Writes nothing if no pfn is left. */
static void shrink_page_data(const uint8_t *rec, uint32_t length, enum xsr_byte_order o,
                             unsigned *budget, uint8_t *out, size_t *off)
{
    struct xsr_page_data pd;
    if (xsr_page_data_decode(rec + XSR_RHDR_SIZE, length, o, &pd, NULL) != 0 || pd.count == 0)
        return;
    uint8_t *hdr = out + *off, *words = hdr + XSR_RHDR_SIZE + XSR_PAGE_DATA_HDR_SIZE;
    uint32_t kept = 0, kept_data = 0, data_index = 0;
    /* First the kept pfn words, then the pages (moved down after the count
     * is known). */
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i);
        bool data = xsr_pfn_type_has_data(xsr_pfn_word_type(w));
        if (data && *budget == 0) {
            data_index++;
            continue;
        }
        memcpy(words + (size_t)kept * 8, pd.pfns + (size_t)i * 8, 8);
        kept++;
        if (data) {
            /* Pages are parked beyond the largest possible word list. */
            memcpy(words + (size_t)pd.count * 8 + (size_t)kept_data * XSR_PAGE_SIZE,
                   pd.data + (size_t)data_index * XSR_PAGE_SIZE, XSR_PAGE_SIZE);
            kept_data++;
            data_index++;
            (*budget)--;
        }
    }
    if (kept == 0)
        return;
    memmove(words + (size_t)kept * 8, words + (size_t)pd.count * 8,
            (size_t)kept_data * XSR_PAGE_SIZE);
    uint32_t body = XSR_PAGE_DATA_HDR_SIZE + kept * 8 + kept_data * XSR_PAGE_SIZE;
    struct xsr_rhdr rh = {.type = XSR_REC_PAGE_DATA, .length = body};
    xsr_rhdr_encode(&rh, o, hdr);
    xsr_page_data_encode_hdr(kept, o, hdr + XSR_RHDR_SIZE);
    *off += XSR_RHDR_SIZE + body; /* body is a multiple of 8: no padding */
}

uint8_t *sm_shrink(const uint8_t *buf, size_t *len, unsigned keep_pages)
{
    struct sm_map m;
    if (sm_build(buf, *len, &m) != 0 || m.walk_rc != 0) {
        sm_free(&m);
        return NULL;
    }
    enum xsr_byte_order o = libxc_order(buf, &m);
    uint8_t *out = malloc(*len ? *len : 1);
    size_t off = 0, pos = 0;
    unsigned budget = keep_pages;
    for (size_t i = 0; out && i < m.n; i++) {
        const struct sm_item *it = &m.items[i];
        if (it->offset != pos) { /* the map must cover every byte */
            free(out);
            out = NULL;
            break;
        }
        if (it->kind == XSR_EV_RECORD && it->type == XSR_REC_PAGE_DATA) {
            shrink_page_data(buf + it->offset, it->length, o, &budget, out, &off);
        } else {
            memcpy(out + off, buf + it->offset, it->size);
            off += it->size;
        }
        pos = it->offset + it->size;
    }
    sm_free(&m);
    if (out && pos != *len) {
        free(out);
        return NULL;
    }
    if (out)
        *len = off;
    return out;
}
