/* SPDX-License-Identifier: MIT */
/*
 * xsr_extract: guest memory of a save image as a flat raw file or an ELF64
 * core.  Pages are written with pwrite at their frame's place as they
 * arrive (runs of consecutive frames in one call), so memory use does not
 * grow with the guest; the receiver's semantics come from the scanner.
 * With the input's path, runs are read again from the file into a few
 * buffers that another thread writes (extract_copy.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze_scan.h"
#include "elfcore.h"
#include "extract_int.h"

/* Pending run of pages: consecutive in the output and in the input. */
struct run {
    uint64_t off;
    const uint8_t *src;
    uint64_t in_off;   /* offset of src in the input */
    size_t len;
    size_t zero_tail;  /* trailing all-zero pages of frames that had no data */
    bool fresh;        /* no frame of the run had data before: nothing there yet */
};

/* All-zero pages of frames without data stay holes, but short stretches of
 * them inside a run are written with it: far fewer calls for a little less
 * sparseness.  A stretch this long ends the run. */
#define ZERO_STRETCH (16u * XSR_PAGE_SIZE)

/* Frames an output file can place: 2^50 frames end at 4 EiB, well inside
 * off_t, with the ELF core's headers before them. */
#define PFN_END (1ull << 50)

/* Fresh runs at least this long get their blocks with fallocate first. */
#define FALLOC_MIN (64u << 10)

struct extract {
    int fd;
    uint64_t base;                 /* file offset of frame 0 */
    const struct xsr_extract_opts *o;
    struct xsr_extract_result *res;
    struct xsri_elf *elf;
    struct run run;
    int in_fd;                     /* the input file to copy runs from, or -1 */
    struct xsri_copier *cp;        /* its writes, if in_fd >= 0 */
    uint8_t cmp[XSR_PAGE_SIZE];
};

/* Read the first bytes of a run from the input file into the copier's
 * buffers and queue them for writing; returns how many were queued (at most
 * len), or a negative write error.  A failed read only turns this off: the
 * rest goes through pwrite from the walker's buffer.
 *
 * Why not copy_file_range(2) or pwrite from the mapped input: the pages sit
 * at an offset in the input that is not page-aligned, which makes the
 * kernel's splice copy (and so copy_file_range) work on partial pages, and
 * pwrite from the mapping pays a page fault per few input pages.  pread into
 * an aligned buffer copies whole large folios on both sides. */
static int64_t copy_bounced(struct extract *x, struct xsr_error *err)
{
    uint64_t done = 0;

    while (done < x->run.len) {
        size_t want = x->run.len - done < XSRI_COPY_BUF_SIZE ? x->run.len - done : XSRI_COPY_BUF_SIZE;
        size_t got = 0;
        uint8_t *buf;
        int rc = xsri_copier_get(x->cp, &buf, err);
        if (rc < 0)
            return rc;
        while (got < want) {
            ssize_t r = pread(x->in_fd, buf + got, want - got, (off_t)(x->run.in_off + done + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                close(x->in_fd);
                x->in_fd = -1;
                return (int64_t)done;
            }
            got += (size_t)r;
        }
        rc = xsri_copier_put(x->cp, want, x->run.off + done, err);
        if (rc < 0)
            return rc;
        done += want;
    }
    return (int64_t)done;
}

/* Wait for the queued writes, before the output is written or read in any
 * other way: the last write of a frame must stay the last. */
static int settle(struct extract *x, struct xsr_error *err)
{
    return x->cp ? xsri_copier_drain(x->cp, err) : 0;
}

static int flush_run(struct extract *x, struct xsr_error *err)
{
    int rc = 0;
    x->run.len -= x->run.zero_tail; /* holes read as zeros already */
    x->run.zero_tail = 0;
    if (x->run.len) {
        /* Blocks allocated in one go make the page cache writes cheaper
         * (ext4: no delayed allocation to reserve page by page; about a
         * third off the time of a large extraction).  Only where nothing
         * was written yet, and only a hint: pwrite reports the real errors. */
        if (x->run.fresh && x->run.len >= FALLOC_MIN)
            (void)fallocate(x->fd, 0, (off_t)x->run.off, (off_t)x->run.len);
        int64_t done = x->in_fd >= 0 ? copy_bounced(x, err) : 0;
        if (done < 0)
            rc = (int)done;
        else if ((uint64_t)done < x->run.len && (rc = settle(x, err)) == 0)
            rc = xsri_write_all(x->fd, x->run.src + done, x->run.len - done, x->run.off + done, err);
    }
    x->run.len = 0;
    return rc;
}

static bool extends_run(const struct extract *x, uint64_t off, const uint8_t *src, uint64_t in_off)
{
    return x->run.len && x->run.off + x->run.len == off && x->run.src + x->run.len == src &&
           x->run.in_off + x->run.len == in_off && x->run.len <= (64u << 20);
}

/* A zero page of a frame that had no data: only ever part of a run. */
static int put_zero_page(struct extract *x, uint64_t off, const uint8_t *src, uint64_t in_off,
                         struct xsr_error *err)
{
    if (!extends_run(x, off, src, in_off))
        return 0;
    x->run.len += XSR_PAGE_SIZE;
    x->run.zero_tail += XSR_PAGE_SIZE;
    return x->run.zero_tail >= ZERO_STRETCH ? flush_run(x, err) : 0;
}

static int put_page(struct extract *x, uint64_t off, const uint8_t *src, uint64_t in_off,
                    bool fresh, struct xsr_error *err)
{
    if (extends_run(x, off, src, in_off)) {
        x->run.len += XSR_PAGE_SIZE;
        x->run.zero_tail = 0;
        x->run.fresh = x->run.fresh && fresh;
        return 0;
    }
    int rc = flush_run(x, err);
    if (rc < 0)
        return rc; /* the walk stops: a run started now would outlive the record's bytes */
    x->run.off = off;
    x->run.src = src;
    x->run.in_off = in_off;
    x->run.len = XSR_PAGE_SIZE;
    x->run.zero_tail = 0;
    x->run.fresh = fresh;
    return 0;
}

int xsri_zero_range(int fd, uint64_t off, uint64_t len, struct xsr_error *err)
{
    static const uint8_t zero[XSR_PAGE_SIZE];

    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return xsr_error_sys(err, errno, "punching a hole of %" PRIu64 " bytes at output offset %#"
                             PRIx64 " failed", len, off);
    while (len) {
        size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);
        int rc = xsri_write_all(fd, zero, n, off, err);
        if (rc < 0)
            return rc;
        off += n;
        len -= n;
    }
    return 0;
}

static int read_page(int fd, uint64_t off, uint8_t *buf, struct xsr_error *err)
{
    size_t got = 0;
    while (got < XSR_PAGE_SIZE) {
        ssize_t r = pread(fd, buf + got, XSR_PAGE_SIZE - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return xsr_error_sys(err, errno, "reading back the output at offset %#" PRIx64
                                 " failed (the output must be readable to check VERIFY pages)", off);
        }
        if (r == 0) { /* beyond the end: zeros */
            memset(buf + got, 0, XSR_PAGE_SIZE - got);
            break;
        }
        got += (size_t)r;
    }
    return 0;
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[XSR_PAGE_SIZE];
    /* most pages fail on the first byte; memcmp is vectorised for the rest */
    return p[0] == 0 && memcmp(p, zero, XSR_PAGE_SIZE) == 0;
}

static int on_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err)
{
    struct extract *x = ctx;
    uint64_t off = x->base + pg->pfn * XSR_PAGE_SIZE;
    int rc;

    if (pg->verify) {
        if (!pg->data)
            return 0;
        x->res->verify_pages++;
        if ((rc = flush_run(x, err)) < 0 || (rc = settle(x, err)) < 0)
            return rc;
        if (!(pg->prev & XSRI_PF_DATA)) {
            x->res->verify_mismatches++;
            return 0;
        }
        if ((rc = read_page(x->fd, off, x->cmp, err)) < 0)
            return rc;
        if (memcmp(x->cmp, pg->data, XSR_PAGE_SIZE) != 0)
            x->res->verify_mismatches++;
        return 0;
    }
    if (pg->data) {
        x->res->copies++;
        if (pg->prev & XSRI_PF_DATA)
            x->res->resent++;
        if (s->pfns.want_aux)
            *xsri_pfns_aux(&s->pfns, pg->pfn) = pg->offset;
        /* A hole already reads as zeros: leave zero pages sparse.  Not when
         * copying from the input file: looking at the page would fault in
         * the mapped input, and holes between the pages of a run split the
         * output into small folios, which costs more than the copy. */
        if (x->in_fd < 0 && !(pg->prev & XSRI_PF_DATA) && page_is_zero(pg->data))
            return put_zero_page(x, off, pg->data, pg->offset, err);
        return put_page(x, off, pg->data, pg->offset, !(pg->prev & XSRI_PF_DATA), err);
    }
    if (pg->prev & XSRI_PF_DATA) { /* the frame lost its data */
        if ((rc = flush_run(x, err)) < 0 || (rc = settle(x, err)) < 0)
            return rc;
        return xsri_zero_range(x->fd, off, XSR_PAGE_SIZE, err);
    }
    return 0;
}

static int on_record_end(void *ctx, struct xsri_scan *s, struct xsr_error *err)
{
    (void)s;
    return flush_run(ctx, err);
}

static int on_event(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    struct extract *x = ctx;
    return x->elf ? xsri_elf_event(x->elf, s, ev, err) : 0;
}

static void count_frames(const struct xsri_scan *s, struct xsr_extract_result *res)
{
    const struct xsri_pfns *p = &s->pfns;
    struct xsri_pfn_iter f;

    res->any_pfn = p->any;
    res->max_pfn = p->max_pfn;
    for (xsri_pfns_iter(&f, p, 0, UINT64_MAX); xsri_pfns_next(&f);) {
        uint16_t st = f.st;
        if (!(st & XSRI_PF_SEEN))
            continue;
        if (st & XSRI_PF_DATA) {
            res->frames_present++;
            continue;
        }
        if (st & XSRI_PF_HAD_DATA)
            res->invalidated++;
        switch (st & XSRI_PF_TYPE) {
        case XSR_PFN_XTAB: res->frames_xtab++; break;
        case XSR_PFN_XALLOC: res->frames_xalloc++; break;
        case XSR_PFN_BROKEN: res->frames_broken++; break;
        default: break;
        }
    }
}

int xsr_extract(struct xsr_chan *in, int out_fd, const struct xsr_extract_opts *o,
                struct xsr_extract_result *res, struct xsr_error *err)
{
    static const struct xsr_extract_opts no_opts = XSR_EXTRACT_OPTS_INIT;
    struct xsr_extract_result dummy = XSR_EXTRACT_RESULT_INIT;
    struct xsri_scan s;
    struct extract *x;
    int rc, rc2;

    if (!o)
        o = &no_opts;
    if (!res)
        res = &dummy;
    if (xsri_analysis_sizes("xsr_extract_opts", o->size, sizeof(*o), &o->a, "xsr_extract_result", res->size,
                            sizeof(*res), err) < 0)
        return XSR_EINVAL;
    memset(res, 0, sizeof(*res));
    res->size = sizeof(*res);
    if (!in || out_fd < 0)
        return xsr_error_set(err, XSR_EINVAL, "xsr_extract needs an input channel and an output file");
    if (o->format != XSR_EXTRACT_RAW && o->format != XSR_EXTRACT_ELF)
        return xsr_error_set(err, XSR_EINVAL, "unknown extraction format %d", (int)o->format);
    /* Old contents would show through the holes.  An empty file is left
     * alone: truncating it would make ext4 flush it on close. */
    struct stat ost;
    if (fstat(out_fd, &ost) != 0 || !S_ISREG(ost.st_mode))
        return xsr_error_set(err, XSR_EIO, "the output must be a regular file");
    if (ost.st_size != 0 && ftruncate(out_fd, 0) != 0)
        return xsr_error_sys(err, errno, "the output cannot be truncated");

    x = calloc(1, sizeof(*x));
    if (!x)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    x->fd = out_fd;
    x->in_fd = -1;
    /* offsets of a decompressed channel are not offsets in the file */
    if (o->in_path && !xsr_chan_compression(in)) {
        struct stat st;
        x->in_fd = open(o->in_path, O_RDONLY | O_CLOEXEC);
        if (x->in_fd >= 0 && (fstat(x->in_fd, &st) != 0 || !S_ISREG(st.st_mode) ||
                              !(x->cp = xsri_copier_new(out_fd)))) {
            close(x->in_fd);
            x->in_fd = -1;
        }
    }
    x->o = o;
    x->res = res;
    if (o->format == XSR_EXTRACT_ELF) {
        x->base = XSRI_ELF_DATA_BASE;
        x->elf = xsri_elf_new(err);
        if (!x->elf) {
            if (x->in_fd >= 0)
                close(x->in_fd);
            xsri_copier_free(x->cp);
            free(x);
            return XSR_ENOMEM;
        }
    }

    struct xsri_scan_cb cb = {
        .ctx = x, .event = on_event, .page = on_page, .record_end = on_record_end,
    };
    struct xsr_analyze_opts ao = o->a;
    if (ao.pfn_limit > PFN_END)
        ao.pfn_limit = PFN_END;
    rc = xsri_scan_run(in, &ao, o->pfn_map != NULL, &cb, &s, err);
    if (rc < 0) /* never pending after a clean record end; after an error its bytes are gone */
        x->run.len = x->run.zero_tail = 0;
    rc2 = flush_run(x, rc < 0 ? NULL : err);
    if (rc == 0)
        rc = rc2;
    rc2 = settle(x, rc < 0 ? NULL : err);
    if (rc == 0)
        rc = rc2;

    res->dom_type = s.dom_type;
    res->version = s.version;
    res->guest_width = s.guest_width;
    res->checkpoints = s.checkpoints;
    res->complete = s.complete;
    if (s.checkpoints && !s.complete)
        res->uncommitted = s.since_checkpoint;
    count_frames(&s, res);

    /* Headers and the final size are written even after a walk error, so
     * that what was extracted is usable. */
    struct xsr_error err2;
    struct xsr_error *ferr = rc < 0 ? &err2 : err;
    xsr_error_clear(&err2);
    if (x->elf) {
        rc2 = xsri_elf_finish(x->elf, out_fd, &s, res, ferr);
    } else {
        uint64_t size = xsri_pfns_count(&s.pfns) * XSR_PAGE_SIZE;
        rc2 = ftruncate(out_fd, (off_t)size) == 0
                  ? 0 : xsr_error_sys(ferr, errno, "setting the output size to %" PRIu64 " failed", size);
        res->out_size = size;
    }
    if (rc == 0)
        rc = rc2;
    if (rc2 == 0 && o->pfn_map) {
        rc2 = xsri_write_pfn_map(&s, o->pfn_map, ferr);
        if (rc == 0)
            rc = rc2;
    }

    if (x->in_fd >= 0)
        close(x->in_fd);
    xsri_copier_free(x->cp);
    xsri_elf_free(x->elf);
    free(x);
    xsri_scan_free(&s);
    return rc;
}
