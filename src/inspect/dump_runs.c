/* SPDX-License-Identifier: MIT */
/* Runs of PAGE_DATA records in the text dump (dump_runs.h). */
#include <inttypes.h>
#include <string.h>

#include <xsr/wire.h>

#include "dump_runs.h"

bool xsri_page_run_add(struct xsri_page_run *r, const struct xsr_event *ev)
{
    struct xsr_page_data pd;

    if (xsr_page_data_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &pd, NULL) < 0) {
        r->open = false; /* shown whole, with why it does not decode */
        return false;
    }
    if (!r->open) {
        memset(r, 0, sizeof(*r));
        r->open = true;
        return false;
    }
    if (r->n == 0) {
        r->first_off = ev->offset;
        r->first_idx = ev->index;
        r->pfn_min = UINT64_MAX;
    }
    r->n++;
    r->last_idx = ev->index;
    r->bytes += ev->u.rec.length;
    r->pfns += pd.count;
    r->data_pages += pd.data_pages;
    for (uint32_t i = 0; i < pd.count; i++) {
        uint64_t w = xsr_page_data_word(&pd, i), pfn = xsr_pfn_word_pfn(w);
        r->types[xsr_pfn_word_type(w)]++;
        r->pfn_min = pfn < r->pfn_min ? pfn : r->pfn_min;
        r->pfn_max = pfn > r->pfn_max ? pfn : r->pfn_max;
    }
    return true;
}

void xsri_page_run_end(struct xsri_page_run *r, FILE *out)
{
    if (r->open && r->n) {
        fprintf(out, "0x%08" PRIx64 "  %-6s #%" PRId64 "..#%" PRId64 " PAGE_DATA (0x1): %" PRIu64
                " more record%s, %" PRIu64 " bytes (--pages shows each)\n", r->first_off, "libxc",
                r->first_idx, r->last_idx, r->n, r->n == 1 ? "" : "s", r->bytes);
        fprintf(out, "    count: %" PRIu64 "\n", r->pfns);
        fprintf(out, "    data_pages: %" PRIu64 " (%.1f MiB)\n", r->data_pages,
                (double)r->data_pages * XSR_PAGE_SIZE / (1024.0 * 1024.0));
        if (r->pfns)
            fprintf(out, "    pfn_min: 0x%" PRIx64 "\n    pfn_max: 0x%" PRIx64 "\n", r->pfn_min, r->pfn_max);
        fputs("    types:", out);
        uint64_t invalid = r->types[5] + r->types[6] + r->types[7] + r->types[8];
        for (unsigned t = 0; t < 16; t++) {
            if (xsr_pfn_type_valid(t) && r->types[t])
                fprintf(out, " %s=%" PRIu64, xsr_pfn_type_name(t), r->types[t]);
        }
        if (invalid)
            fprintf(out, " INVALID=%" PRIu64, invalid);
        fputc('\n', out);
    }
    memset(r, 0, sizeof(*r));
}
