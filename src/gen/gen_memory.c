/* SPDX-License-Identifier: MIT */
/*
 * Memory passes: PAGE_DATA records of up to XSR_PAGE_BATCH_MAX pfns, pages
 * filled straight into one batch buffer and written with a single gathered
 * record (header + pfn words, then the pages), as Xen's saver batches them.
 */
#include <stdlib.h>

#include "gen_internal.h"

struct xsri_gen_mem {
    const struct xsri_gen *g;
    uint8_t *head;   /* PAGE_DATA header + pfn words */
    uint8_t *data;   /* page contents of the batch */
    uint32_t cap;    /* pfns per batch */
    uint32_t count;
    uint32_t pages;
};

struct xsri_gen_mem *xsri_gen_mem_new(const struct xsri_gen *g, struct xsr_error *err)
{
    struct xsri_gen_mem *m = calloc(1, sizeof(*m));
    if (!m) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate the generator's memory writer");
        return NULL;
    }
    m->g = g;
    m->cap = g->n < XSR_PAGE_BATCH_MAX ? (uint32_t)g->n : XSR_PAGE_BATCH_MAX;
    m->head = malloc(XSR_PAGE_DATA_HDR_SIZE + (size_t)m->cap * 8);
    m->data = malloc((size_t)m->cap * XSR_PAGE_SIZE);
    if (!m->head || !m->data) {
        xsri_gen_mem_free(m);
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a batch of %u pages for the generator",
                      m->cap);
        return NULL;
    }
    return m;
}

void xsri_gen_mem_free(struct xsri_gen_mem *m)
{
    if (!m)
        return;
    free(m->head);
    free(m->data);
    free(m);
}

static int flush_batch(struct xsri_gen_mem *m, struct xsr_writer *w, struct xsr_error *err)
{
    if (m->count == 0)
        return 0;
    xsr_page_data_encode_hdr(m->count, m->g->o.order, m->head);
    struct iovec iov[2] = {
        { m->head, XSR_PAGE_DATA_HDR_SIZE + (size_t)m->count * 8 },
        { m->data, (size_t)m->pages * XSR_PAGE_SIZE },
    };
    /* the writer copies or writes out everything before it returns */
    int rc = xsr_writer_record_iov(w, XSR_REC_PAGE_DATA, iov, m->pages ? 2 : 1, err);
    m->count = m->pages = 0;
    return rc;
}

int xsri_gen_mem_pass(struct xsri_gen_mem *m, struct xsr_writer *w, unsigned pass, bool verify,
                      struct xsr_error *err)
{
    const struct xsri_gen *g = m->g;
    for (uint64_t pfn = 0; pfn < g->n; pfn++) {
        unsigned from = pass;
        int t = verify ? xsri_gen_final_type(g, pfn, &from) : xsri_gen_sent_type(g, pfn, pass);
        if (t < 0)
            continue;
        xsr_st64(m->head + XSR_PAGE_DATA_HDR_SIZE + (size_t)m->count * 8,
                 xsr_pfn_word_make((unsigned)t, pfn), g->o.order);
        m->count++;
        if (xsr_pfn_type_has_data((unsigned)t))
            xsri_gen_content(g, pfn, from, m->data + (size_t)m->pages++ * XSR_PAGE_SIZE);
        if (m->count == m->cap) {
            int rc = flush_batch(m, w, err);
            if (rc < 0)
                return rc;
        }
    }
    return flush_batch(m, w, err);
}
