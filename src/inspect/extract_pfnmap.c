/* SPDX-License-Identifier: MIT */
/*
 * The pfn map of xsr extract: one TSV line per frame named in the stream,
 * in pfn order, written from the final per-frame state (doc/analyze.md).
 */
#include <errno.h>
#include <inttypes.h>

#include "extract_int.h"

int xsri_write_pfn_map(const struct xsri_scan *s, FILE *out, struct xsr_error *err)
{
    const struct xsri_pfns *p = &s->pfns;
    uint64_t n = xsri_pfns_count(p);

    fputs("# pfn\ttype\tsent\toffset\tstate\n", out);
    for (uint64_t pfn = 0; pfn < n; pfn++) {
        uint16_t st = p->st[pfn];
        const char *state;

        if (!(st & XSRI_PF_SEEN))
            continue;
        if (st & XSRI_PF_DATA)
            state = "data";
        else if (st & XSRI_PF_HAD_DATA)
            state = "invalidated";
        else
            state = "no-data";
        if (st & XSRI_PF_DATA)
            fprintf(out, "0x%" PRIx64 "\t%s\t%u\t0x%" PRIx64 "\t%s\n", pfn,
                    xsr_pfn_type_name(st & XSRI_PF_TYPE), xsri_pf_sent(st), p->aux[pfn], state);
        else
            fprintf(out, "0x%" PRIx64 "\t%s\t%u\t-\t%s\n", pfn, xsr_pfn_type_name(st & XSRI_PF_TYPE),
                    xsri_pf_sent(st), state);
    }
    if (fflush(out) != 0 || ferror(out))
        return xsr_error_sys(err, errno, "writing the pfn map failed");
    return 0;
}
