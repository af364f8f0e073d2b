/* SPDX-License-Identifier: MIT */
/*
 * PAGE_DATA and X86_PV_P2M_FRAMES.  PAGE_DATA is the bulk of a stream, so
 * only its pfn words are read (never the page data), in one pass; the
 * duplicate check sorts a copy only when the pfns are not already ascending,
 * as Xen's saver sends them.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "check_internal.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int reserve_scratch(struct xsri_checker *c, size_t n)
{
    if (n <= c->scratch_cap)
        return 0;
    size_t cap = c->scratch_cap ? c->scratch_cap : 1024;
    while (cap < n)
        cap *= 2;
    uint64_t *p = realloc(c->scratch, cap * sizeof(*p));
    if (!p)
        return XSR_ENOMEM;
    c->scratch = p;
    c->scratch_cap = cap;
    return 0;
}

static int check_duplicates(struct xsri_checker *c, const uint8_t *words, uint32_t count,
                            enum xsr_byte_order o)
{
    size_t n = count; /* all of them: the copy is no bigger than the record's pfn words */
    int rc = reserve_scratch(c, n);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        c->scratch[i] = xsr_pfn_word_pfn(xsr_ld64(words + i * 8, o));
    qsort(c->scratch, n, sizeof(*c->scratch), cmp_u64);

    uint32_t dups = 0;
    for (size_t i = 1; i < n;) {
        if (c->scratch[i] != c->scratch[i - 1]) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && c->scratch[j] == c->scratch[i])
            j++;
        if (dups++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_PD_DUPLICATE, "pfn 0x%" PRIx64 " appears %zu times",
                        c->scratch[i], j - i + 1);
        i = j;
    }
    if (dups > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_PD_DUPLICATE, "%" PRIu32 " more pfns appear more than once",
                    dups - XSRI_MAX_ITEMS);
    if (c->scratch_cap > XSRI_DUP_SCRATCH_KEEP) { /* a rare huge record: do not keep its copy */
        free(c->scratch);
        c->scratch = NULL;
        c->scratch_cap = 0;
    }
    return 0;
}

int xsri_check_page_data(struct xsri_checker *c, const struct xsr_record *rec,
                         enum xsr_byte_order o)
{
    uint32_t len = rec->length;
    const uint8_t *b = rec->body;

    if (len < XSR_PAGE_DATA_HDR_SIZE) {
        xsri_report(c, XSRI_R_PD_LENGTH, "length %" PRIu32 " is shorter than the %u-byte header",
                    len, XSR_PAGE_DATA_HDR_SIZE);
        return 0;
    }
    uint32_t count = xsr_ld32(b, o);
    uint32_t reserved = xsr_ld32(b + 4, o);
    if (reserved)
        xsri_report(c, XSRI_R_PD_RESERVED, "reserved word is 0x%08" PRIx32 ", expected 0",
                    reserved);
    if (count == 0)
        xsri_report(c, XSRI_R_PD_COUNT_ZERO, "count is 0; a PAGE_DATA record carries at least "
                                             "one pfn");
    uint64_t words_end = XSR_PAGE_DATA_HDR_SIZE + (uint64_t)count * 8;
    if (words_end > len) {
        xsri_report(c, XSRI_R_PD_LENGTH,
                    "length %" PRIu32 " is too short for %" PRIu32 " pfns (%" PRIu64
                    " bytes needed for the pfn words alone)",
                    len, count, words_end);
        return 0;
    }
    if (count > XSR_PAGE_BATCH_MAX)
        xsri_report(c, XSRI_R_PD_LARGE_BATCH,
                    "%" PRIu32 " pfns in one record, more than the %u Xen's saver batches",
                    count, XSR_PAGE_BATCH_MAX);

    const uint8_t *words = b + XSR_PAGE_DATA_HDR_SIZE;
    bool check_p2m = xsri_is_pv(c) && c->x.p2m_range_ok;
    bool ascending = true;
    uint64_t prev = 0, data_pages = 0;
    uint32_t n_res = 0, n_type = 0, n_beyond = 0;

    for (uint32_t i = 0; i < count; i++) {
        uint64_t w = xsr_ld64(words + (size_t)i * 8, o);
        unsigned t = xsr_pfn_word_type(w);
        uint64_t pfn = xsr_pfn_word_pfn(w);

        c->sum.pages_by_type[t]++;
        if (xsr_pfn_type_has_data(t))
            data_pages++;
        if (xsr_pfn_word_reserved(w) && n_res++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_PD_PFN_RESERVED,
                        "pfn[%" PRIu32 "] has reserved bits 52-59 set: 0x%016" PRIx64, i, w);
        if (!xsr_pfn_type_valid(t) && n_type++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_PD_PFN_TYPE,
                        "pfn[%" PRIu32 "] (pfn 0x%" PRIx64 ") has invalid page type %u "
                        "(types 5-8 are not defined)",
                        i, pfn, t);
        if (check_p2m && pfn > c->x.p2m_max_end && n_beyond++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_PD_BEYOND_P2M,
                        "pfn[%" PRIu32 "] = 0x%" PRIx64 " lies beyond the last pfn 0x%" PRIx64
                        " covered by X86_PV_P2M_FRAMES",
                        i, pfn, c->x.p2m_max_end);
        if (i && pfn <= prev)
            ascending = false;
        prev = pfn;
    }
    if (n_res > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_PD_PFN_RESERVED,
                    "%" PRIu32 " more pfn words have reserved bits set", n_res - XSRI_MAX_ITEMS);
    if (n_type > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_PD_PFN_TYPE, "%" PRIu32 " more pfn words have an invalid type",
                    n_type - XSRI_MAX_ITEMS);
    if (n_beyond > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_PD_BEYOND_P2M, "%" PRIu32 " more pfns lie beyond the P2M",
                    n_beyond - XSRI_MAX_ITEMS);

    c->sum.page_records++;
    c->sum.pfn_entries += count;
    c->sum.data_pages += data_pages;

    uint64_t expected = words_end + data_pages * XSR_PAGE_SIZE;
    if (expected != len)
        xsri_report(c, XSRI_R_PD_LENGTH,
                    "length %" PRIu32 " does not match %" PRIu32 " pfns with %" PRIu64
                    " pages of data: expected %" PRIu64,
                    len, count, data_pages, expected);

    if (!ascending)
        return check_duplicates(c, words, count, o);
    return 0;
}

void xsri_check_p2m_frames(struct xsri_checker *c, const struct xsr_record *rec,
                           enum xsr_byte_order o)
{
    uint32_t len = rec->length;

    if (len < XSR_P2M_FRAMES_HDR_SIZE) {
        xsri_report(c, XSRI_R_P2M_LENGTH, "length %" PRIu32 " is shorter than the %u-byte header",
                    len, XSR_P2M_FRAMES_HDR_SIZE);
        return;
    }
    uint32_t start = xsr_ld32(rec->body, o), end = xsr_ld32(rec->body + 4, o);
    c->x.p2m_seen = true; /* present, even if broken: no follow-on findings */
    if (start > end) {
        xsri_report(c, XSRI_R_P2M_RANGE,
                    "p2m_start_pfn 0x%" PRIx32 " is greater than p2m_end_pfn 0x%" PRIx32
                    " (the range is inclusive)",
                    start, end);
        return;
    }
    if ((len - XSR_P2M_FRAMES_HDR_SIZE) % 8) {
        xsri_report(c, XSRI_R_P2M_LENGTH,
                    "length %" PRIu32 " is not 8 plus a multiple of 8 (frames are 8 bytes each)",
                    len);
    } else if (c->x.width_ok) {
        uint64_t have = (len - XSR_P2M_FRAMES_HDR_SIZE) / 8;
        uint64_t need = xsr_p2m_frames_expected(start, end, c->x.width);
        if (have != need)
            xsri_report(c, XSRI_R_P2M_LENGTH,
                        "carries %" PRIu64 " frame%s, but pfns 0x%" PRIx32 "..0x%" PRIx32
                        " of a %u-bit guest (%u entries per frame) need %" PRIu64,
                        have, have == 1 ? "" : "s", start, end, c->x.width * 8, XSR_PAGE_SIZE / c->x.width, need);
    }
    if (end > c->x.p2m_max_end || !c->x.p2m_range_ok) {
        c->x.p2m_max_end = end;
        c->x.p2m_range_ok = true;
    }
}
