/* SPDX-License-Identifier: MIT */
/*
 * Guest memory from the receiver model's batches: populate a batch's frames
 * in one call, map them, and copy each page from the input (a view into its
 * mapping or the reader's buffer) straight into its frame; page tables are
 * localised in place.  After VERIFY pages are compared, not written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "restore_internal.h"

void xsri_restore_unmap(struct xsri_restore *r)
{
    if (r->mapped && r->d)
        r->d->ops->unmap_frames(r->d, r->map_handle);
    r->mapped = false;
    r->map_handle = NULL;
}

int xsri_restore_batch(void *ctx, struct xsri_scan *s, const struct xsri_batch *b,
                       struct xsr_error *err)
{
    (void)s;
    struct xsri_restore *r = ctx;
    uint64_t pop[XSR_PAGE_BATCH_MAX], brk[XSR_PAGE_BATCH_MAX];
    uint32_t npop = 0, nbrk = 0, nmap = 0;
    int rc;

    xsri_restore_unmap(r);
    if ((rc = xsri_restore_domain(r, err)) < 0)
        return rc;
    for (uint32_t i = b->first; i < b->first + b->count; i++) {
        uint64_t w = xsr_page_data_word(b->pd, i), pfn = xsr_pfn_word_pfn(w);
        unsigned type = xsr_pfn_word_type(w);
        if (!xsr_pfn_type_valid(type))
            continue;
        if (pfn > r->max_pfn)
            return xsr_error_set(err, XSR_ELIMIT,
                                 "pfn[%" PRIu32 "] %#" PRIx64 " is beyond the new domain's last pfn %#" PRIx64
                                 " (give a larger max pfn)", i, pfn, r->max_pfn);
        if (xsr_pfn_type_has_data(type))
            r->pfns[nmap++] = pfn;
        if (b->verify)
            continue;
        if (type == XSR_PFN_BROKEN)
            brk[nbrk++] = pfn;
        else if (type != XSR_PFN_XTAB)
            pop[npop++] = pfn;
    }
    struct xsr_domain *d = r->d;
    if (npop && (rc = d->ops->populate(d, pop, npop, err)) < 0)
        return rc;
    if (nbrk && (rc = XSR_DOMAIN_CALL(d, mark_broken, err, brk, nbrk, err)) < 0)
        return rc;
    if (nmap) {
        rc = d->ops->map_frames(d, b->verify ? XSR_MAP_READ : XSR_MAP_WRITE, r->pfns, nmap, r->pages,
                                r->errs, &r->map_handle, err);
        if (rc < 0)
            return rc;
        r->mapped = true;
        for (uint32_t k = 0; k < nmap; k++)
            if (!r->pages[k])
                return xsr_error_set(err, XSR_EFAULT, "the frame of pfn %#" PRIx64 " cannot be mapped: %s",
                                     r->pfns[k], xsr_strerror(r->errs[k]));
    }
    r->cursor = 0;
    return 0;
}

static int zero_frame(struct xsri_restore *r, uint64_t pfn, struct xsr_error *err)
{
    void *page = NULL, *h = NULL;
    int e = 0;
    int rc = r->d->ops->map_frames(r->d, XSR_MAP_WRITE, &pfn, 1, &page, &e, &h, err);
    if (rc < 0)
        return rc;
    if (page)
        memset(page, 0, XSR_PAGE_SIZE);
    r->d->ops->unmap_frames(r->d, h);
    return page ? 0 : xsr_error_set(err, XSR_EFAULT, "the frame of pfn %#" PRIx64 " cannot be mapped", pfn);
}

static void verify_page(struct xsri_restore *r, const struct xsri_page *pg, const uint8_t *frame,
                        struct xsr_error *err)
{
    const uint8_t *want = pg->data;
    if (xsr_pfn_type_level(pg->type)) {
        /* the frame holds the localised table: compare it with the copy made alike */
        memcpy(r->scratch, pg->data, XSR_PAGE_SIZE);
        if (r->t->localise_page(r, pg->type, r->scratch, err) < 0)
            want = NULL;
        else
            want = r->scratch;
    }
    r->res.verified++;
    if (!want || memcmp(frame, want, XSR_PAGE_SIZE) != 0) {
        if (!r->res.verify_mismatches++)
            r->res.first_mismatch_pfn = pg->pfn;
    }
}

int xsri_restore_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg,
                      struct xsr_error *err)
{
    (void)s;
    struct xsri_restore *r = ctx;
    int rc = 0;
    if (pg->data) {
        uint8_t *frame = r->pages[r->cursor++];
        if (pg->verify) {
            verify_page(r, pg, frame, err);
        } else {
            memcpy(frame, pg->data, XSR_PAGE_SIZE);
            r->res.pages++;
            if (pg->prev & XSRI_PF_DATA)
                r->res.resent++;
            if (xsr_pfn_type_level(pg->type)) {
                r->res.tables++;
                rc = r->t->localise_page(r, pg->type, frame, err);
                if (rc < 0 && err) {
                    char why[XSR_ERROR_MSG_MAX];
                    snprintf(why, sizeof why, "%s", err->message);
                    xsr_error_set(err, rc, "page table pfn %#" PRIx64 ": %s", pg->pfn, why);
                }
            }
        }
    } else if (!pg->verify) {
        switch (pg->type) {
        case XSR_PFN_XALLOC:
            r->res.zero_pages++;
            /* the receiver model: XALLOC restores a zero page, whatever was there */
            if (pg->prev & XSRI_PF_DATA)
                rc = zero_frame(r, pg->pfn, err);
            break;
        case XSR_PFN_XTAB:
            r->res.xtab++;
            break;
        case XSR_PFN_BROKEN:
            r->res.broken++;
            break;
        default:
            break;
        }
    }
    return rc;
}

int xsri_restore_record_end(void *ctx, struct xsri_scan *s, struct xsr_error *err)
{
    (void)s;
    (void)err;
    xsri_restore_unmap(ctx);
    return 0;
}
