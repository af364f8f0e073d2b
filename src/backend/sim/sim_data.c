/* SPDX-License-Identifier: MIT */
/*
 * The initial contents of data pages: a function of the seed and the pfn
 * alone (so the frame numbering does not change them), a quarter of them
 * zero.  They are written in machine-frame order with pwrite in large runs:
 * touching a gigabyte of fresh shared mapping page by page costs a fault per
 * page.  Zero pages are not written, so they stay holes in the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_internal.h"

#define RUN_FRAMES 256u

static bool has_data(const struct sim_dom *s, uint64_t pfn)
{
    return (pfn & 3) != 0 && s->pinfo[pfn] == (SIM_ROLE_DATA | XSR_PFN_NOTAB);
}

static void contents(uint64_t seed, uint64_t pfn, uint8_t *page)
{
    uint64_t st = seed ^ (pfn * 0x9e3779b97f4a7c15ull), x = sim_rand(&st), step = sim_rand(&st) | 1;
    uint64_t *w = (uint64_t *)page;
    for (unsigned i = 0; i < SIM_PAGE / 8; i++, x += step)
        w[i] = x ^ (x >> 29);
    w[SIM_PAGE / 8 - 1] = w[0]; /* a consistent A-B stamp */
}

static int flush(struct sim_dom *s, const uint8_t *buf, uint64_t first, uint64_t n,
                 struct xsr_error *err)
{
    uint64_t off = s->h->off_frames + first * SIM_PAGE, len = n * SIM_PAGE;
    while (len) {
        ssize_t w = pwrite(s->fd, buf, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return xsr_error_sys(err, w < 0 ? errno : ENOSPC, "cannot write guest memory to %s",
                                 s->tmp_path ? s->tmp_path : s->path);
        buf += w;
        off += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

int sim_fill_data(struct sim_dom *s, struct xsr_error *err)
{
    uint8_t *buf = malloc((size_t)RUN_FRAMES * SIM_PAGE);
    if (!buf)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    uint64_t run = 0, first = 0;
    int rc = 0;
    for (uint64_t mfn = 0; mfn < s->h->nr_frames && !rc; mfn++) {
        uint64_t pfn = sim_m2p(s, mfn);
        bool data = pfn != XSR_INVALID_FRAME && has_data(s, pfn);
        if (data) {
            if (!run)
                first = mfn;
            contents(s->h->seed, pfn, buf + run * SIM_PAGE);
            run++;
        }
        if (run && (!data || run == RUN_FRAMES)) {
            rc = flush(s, buf, first, run, err);
            run = 0;
        }
    }
    if (!rc && run)
        rc = flush(s, buf, first, run, err);
    free(buf);
    return rc;
}
