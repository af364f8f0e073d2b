/* SPDX-License-Identifier: MIT */
/* Read-only mmap of a regular file: every byte is a zero-copy view. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan_internal.h"

struct map_ctx {
    uint8_t *base; /* NULL for an empty file */
    size_t len;
    size_t released; /* pages below this offset were handed back */
    int fd;          /* kept to notice the file shrinking; -1 for an empty file */
    char why[160];   /* set when it did */
};

/*
 * A mapped byte past the end of a file that was truncated after it was
 * mapped raises SIGBUS (a save still being written, a file on a network
 * share).  A library cannot own that signal, so each view first checks the
 * file's current size and is refused (an I/O error: "input changed while
 * reading") when it no longer holds the bytes.  What remains is the window
 * between that check and the use of the view.
 */
static bool still_there(struct map_ctx *m, uint64_t off, size_t n)
{
    struct stat st = {0};
    if (m->fd < 0 || (fstat(m->fd, &st) == 0 && (uint64_t)st.st_size >= off + n))
        return true;
    if (!m->why[0])
        snprintf(m->why, sizeof(m->why),
                 "input changed while reading: the file now has %" PRIu64
                 " bytes, not %zu, at offset %#" PRIx64,
                 (uint64_t)(st.st_size < 0 ? 0 : st.st_size), m->len, off);
    return false;
}

static int map_why(void *ctx, const char **msg)
{
    struct map_ctx *m = ctx;
    if (!m->why[0])
        return 0;
    *msg = m->why;
    return XSR_EIO;
}

/*
 * Touched pages of a mapping count as resident memory, so a sequential pass
 * over a large file would keep growing.  Every RELEASE_STEP bytes, the pages
 * well behind the current position are dropped from the mapping: the file is
 * mapped private and never written, so a later access to an old view simply
 * faults the same bytes in again from the page cache.  RELEASE_KEEP stays
 * above the 4 MiB PAGE_DATA records a writer sends, which are still read
 * while the next view is taken: with 4 MiB kept, a map or a diff of a
 * 1 GiB stream ran 30 % slower.
 */
#define RELEASE_STEP (8u << 20)
#define RELEASE_KEEP (8u << 20)

static void release_behind(struct map_ctx *m, uint64_t off)
{
    if (off < (uint64_t)m->released + RELEASE_STEP + RELEASE_KEEP)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = (size_t)(off - RELEASE_KEEP) & ~(page - 1);
    if (end > m->released && madvise(m->base + m->released, end - m->released, MADV_DONTNEED) == 0)
        m->released = end;
}

static const uint8_t empty_file[1];

static const uint8_t *map_view(void *ctx, uint64_t off, size_t n)
{
    struct map_ctx *m = ctx;
    if (off > m->len || n > m->len - off)
        return NULL;
    if (!m->base)
        return empty_file;
    if (!still_there(m, off, n))
        return NULL;
    release_behind(m, off);
    return m->base + off;
}

static int64_t map_size(void *ctx)
{
    const struct map_ctx *m = ctx;
    return (int64_t)m->len;
}

static int map_close(void *ctx)
{
    struct map_ctx *m = ctx;
    int rc = 0;
    if (m->base && munmap(m->base, m->len) < 0)
        rc = -1;
    if (m->fd >= 0)
        close(m->fd);
    int e = errno;
    free(m);
    errno = e;
    return rc;
}

struct xsr_chan *xsri_chan_mmap_fd(int fd, const char *name, struct xsr_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        xsr_error_sys(err, errno, "cannot stat %s", name);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        xsr_error_set(err, XSR_EINVAL, "%s is not a regular file and cannot be mapped", name);
        return NULL;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX) {
        xsr_error_set(err, XSR_ELIMIT, "%s is too large to be mapped", name);
        return NULL;
    }
    struct map_ctx *m = calloc(1, sizeof(*m));
    if (!m) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a channel for %s", name);
        return NULL;
    }
    m->len = (size_t)st.st_size;
    m->fd = -1;
    if (m->len) { /* mmap refuses a length of 0: an empty file has no mapping */
        void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            free(m);
            xsr_error_sys(err, e, "cannot map %s", name);
            return NULL;
        }
        (void)madvise(p, m->len, MADV_SEQUENTIAL);
        m->base = p;
        m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (m->fd < 0) {
            int e = errno;
            map_close(m);
            xsr_error_sys(err, e, "cannot keep a descriptor of %s", name);
            return NULL;
        }
    }
    static const struct xsri_chan_ops ops = {
        .view = map_view,
        .size = map_size,
        .close = map_close,
        .why = map_why,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_MMAP, &ops, m, true, name, err);
    if (!ch)
        map_close(m);
    return ch;
}

struct xsr_chan *xsr_chan_mmap_reader(const char *path, struct xsr_error *err)
{
    if (!path) {
        xsr_error_set(err, XSR_EINVAL, "no path given to map");
        return NULL;
    }
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        xsr_error_sys(err, errno, "cannot open %s for reading", path);
        return NULL;
    }
    struct xsr_chan *ch = xsri_chan_mmap_fd(fd, path, err);
    close(fd);
    return ch;
}
