/* SPDX-License-Identifier: MIT */
/*
 * Memory passes: PAGE_DATA records of up to XSR_PAGE_BATCH_MAX pfns, pages
 * filled straight into one batch buffer and handed to the stream builder
 * with their pfn words (written without a copy), as Xen's saver batches them.
 */
#include <stdlib.h>

#include "gen_internal.h"

struct xsri_gen_mem {
    const struct xsri_gen *g;
    uint64_t *words; /* pfn words of the batch */
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
    m->words = malloc((size_t)m->cap * sizeof(*m->words));
    m->data = malloc((size_t)m->cap * XSR_PAGE_SIZE);
    if (!m->words || !m->data) {
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
    free(m->words);
    free(m->data);
    free(m);
}

static int flush_batch(struct xsri_gen_mem *m, struct xsr_builder *b, struct xsr_error *err)
{
    if (m->count == 0)
        return 0;
    struct iovec pages = { m->data, (size_t)m->pages * XSR_PAGE_SIZE };
    /* the builder copies or writes out everything before it returns */
    int rc = xsr_builder_page_data(b, m->words, m->count, &pages, 1, err);
    m->count = m->pages = 0;
    return rc;
}

int xsri_gen_mem_pass(struct xsri_gen_mem *m, struct xsr_builder *b, unsigned pass, bool verify,
                      struct xsr_error *err)
{
    const struct xsri_gen *g = m->g;
    for (uint64_t pfn = 0; pfn < g->n; pfn++) {
        unsigned from = pass;
        int t = verify ? xsri_gen_final_type(g, pfn, &from) : xsri_gen_sent_type(g, pfn, pass);
        if (t < 0)
            continue;
        m->words[m->count++] = xsr_pfn_word_make((unsigned)t, pfn);
        if (xsr_pfn_type_has_data((unsigned)t))
            xsri_gen_content(g, pfn, from, m->data + (size_t)m->pages++ * XSR_PAGE_SIZE);
        if (m->count == m->cap) {
            int rc = flush_batch(m, b, err);
            if (rc < 0)
                return rc;
        }
    }
    return flush_batch(m, b, err);
}
