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
    struct xsri_pfn_iter f;

    fputs("# pfn\ttype\tsent\toffset\tstate\n", out);
    for (xsri_pfns_iter(&f, &s->pfns, 0, UINT64_MAX); xsri_pfns_next(&f);) {
        uint64_t pfn = f.pfn;
        uint16_t st = f.st;
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
                    xsr_pfn_type_name(st & XSRI_PF_TYPE), xsri_pf_sent(st), xsri_pfn_iter_aux(&f), state);
        else
            fprintf(out, "0x%" PRIx64 "\t%s\t%u\t-\t%s\n", pfn, xsr_pfn_type_name(st & XSRI_PF_TYPE),
                    xsri_pf_sent(st), state);
    }
    if (fflush(out) != 0 || ferror(out))
        return xsr_error_sys(err, errno, "writing the pfn map failed");
    return 0;
}
