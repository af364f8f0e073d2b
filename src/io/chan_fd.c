/* SPDX-License-Identifier: MIT */
/* Channels over file descriptors (files, pipes, sockets) and the open helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan_internal.h"
#include "codec.h"

struct fd_ctx {
    int fd;
    bool own;
    int64_t start; /* file position when the channel was made (regular files), else -1 */
    /* bytes read from a pipe to recognise its format, handed out first */
    uint8_t head[XSRI_CODEC_SNIFF_BYTES];
    size_t head_pos, head_len;
    int null_fd; /* /dev/null, to splice skipped pipe data into; -1 until needed */
    bool no_splice;
};

/* A pipe's buffer: 1 MiB (the unprivileged maximum by default) lets the
 * writer run ahead and makes each read or splice move more at once. */
#define PIPE_BUF_WANTED (1 << 20)

/* Wait until a non-blocking fd is ready instead of spinning on EAGAIN. */
static void wait_ready(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    (void)poll(&p, 1, -1);
}

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
    struct fd_ctx *c = ctx;
    if (c->head_pos < c->head_len) {
        size_t k = c->head_len - c->head_pos;
        if (k > n)
            k = n;
        memcpy(buf, c->head + c->head_pos, k);
        c->head_pos += k;
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(c->fd, POLLIN);
            continue;
        }
        return r;
    }
}

static ssize_t fd_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct fd_ctx *c = ctx;
    if (iovcnt > IOV_MAX)
        iovcnt = IOV_MAX;
    for (;;) {
        ssize_t r = writev(c->fd, iov, iovcnt);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(c->fd, POLLOUT);
            continue;
        }
        return r;
    }
}

static int64_t fd_size(void *ctx)
{
    struct fd_ctx *c = ctx;
    struct stat st;
    if (c->start < 0 || fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < c->start)
        return -1;
    return (int64_t)st.st_size - c->start;
}

/*
 * A pipe's bytes are skipped by splicing them to /dev/null: the kernel drops
 * its buffers without copying them to this process.  UNABLE if splice does not
 * work here (nothing skipped then), so that the caller reads instead.
 */
static int pipe_skip(struct fd_ctx *c, uint64_t n, uint64_t *skipped)
{
    if (c->no_splice)
        return XSRI_SEEK_UNABLE;
    if (c->null_fd < 0) {
        c->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (c->null_fd < 0) {
            c->no_splice = true;
            return XSRI_SEEK_UNABLE;
        }
    }
    while (*skipped < n) {
        uint64_t want = n - *skipped;
        ssize_t r = splice(c->fd, NULL, c->null_fd, NULL, want > (1u << 30) ? (1u << 30) : (size_t)want,
                           SPLICE_F_MOVE);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_ready(c->fd, POLLIN);
            continue;
        }
        if (r < 0) {
            if (*skipped == 0 && (errno == EINVAL || errno == ENOSYS || errno == EBADF)) {
                c->no_splice = true;
                return XSRI_SEEK_UNABLE;
            }
            return -1;
        }
        if (r == 0)
            return XSRI_SEEK_SHORT;
        *skipped += (uint64_t)r;
    }
    return XSRI_SEEK_DONE;
}

/* Regular files are skipped with lseek, without seeking past their end;
 * pipes by splicing. */
static int fd_seek(void *ctx, uint64_t n, uint64_t *skipped)
{
    struct fd_ctx *c = ctx;
    struct stat st;
    *skipped = 0;
    if (c->head_pos < c->head_len) /* bytes looked at first: fd_read hands them out */
        return XSRI_SEEK_UNABLE;
    if (fstat(c->fd, &st) < 0)
        return XSRI_SEEK_UNABLE;
    if (S_ISFIFO(st.st_mode))
        return pipe_skip(c, n, skipped);
    if (!S_ISREG(st.st_mode))
        return XSRI_SEEK_UNABLE;
    off_t cur = lseek(c->fd, 0, SEEK_CUR);
    if (cur < 0)
        return XSRI_SEEK_UNABLE;
    uint64_t rem = st.st_size > cur ? (uint64_t)(st.st_size - cur) : 0;
    uint64_t step = n < rem ? n : rem;
    if (lseek(c->fd, (off_t)step, SEEK_CUR) < 0)
        return -1;
    *skipped = step;
    return step == n ? XSRI_SEEK_DONE : XSRI_SEEK_SHORT;
}

static int fd_close(void *ctx)
{
    struct fd_ctx *c = ctx;
    int rc = 0;
    if (c->own && close(c->fd) < 0 && errno != EINTR)
        rc = -1;
    int e = errno;
    if (c->null_fd >= 0)
        close(c->null_fd);
    free(c);
    errno = e;
    return rc;
}

struct xsr_chan *xsri_chan_fd_new(int fd, bool own, bool readable, const char *name,
                                  struct xsr_error *err)
{
    if (fd < 0) {
        xsr_error_set(err, XSR_EINVAL, "invalid file descriptor %d", fd);
        return NULL;
    }
    struct fd_ctx *c = calloc(1, sizeof(*c));
    if (!c) {
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate a channel for %s", name);
        return NULL;
    }
    c->fd = fd;
    c->own = own;
    c->start = -1;
    c->null_fd = -1;
    struct stat st;
    if (readable && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t cur = lseek(fd, 0, SEEK_CUR);
        if (cur >= 0)
            c->start = (int64_t)cur;
    }
    if (readable && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
        fcntl(fd, F_GETPIPE_SZ) < PIPE_BUF_WANTED)
        (void)fcntl(fd, F_SETPIPE_SZ, PIPE_BUF_WANTED); /* a smaller one still works */
    struct xsri_chan_ops ops = {
        .read = readable ? fd_read : NULL,
        .writev = readable ? NULL : fd_writev,
        .size = fd_size,
        .seek = readable ? fd_seek : NULL,
        .close = fd_close,
    };
    struct xsr_chan *ch = xsri_chan_new(XSRI_CHAN_FD, &ops, c, readable, name, err);
    if (!ch)
        free(c);
    return ch;
}

struct xsr_chan *xsr_chan_fd_reader(int fd, bool own, struct xsr_error *err)
{
    char name[32];
    snprintf(name, sizeof(name), "file descriptor %d", fd);
    return xsri_chan_fd_new(fd, own, true, name, err);
}

struct xsr_chan *xsr_chan_fd_writer(int fd, bool own, struct xsr_error *err)
{
    char name[32];
    snprintf(name, sizeof(name), "file descriptor %d", fd);
    return xsri_chan_fd_new(fd, own, false, name, err);
}

/*
 * The first bytes of a reading fd channel, without consuming them: read with
 * pread from a regular file, else read once into the channel's head buffer
 * (which fd_read hands out first).  Returns how many bytes were had.
 */
static size_t peek_head(struct xsr_chan *ch, uint8_t *b, size_t n)
{
    struct fd_ctx *c = ch->ctx;
    size_t got = 0;
    if (c->start >= 0) {
        while (got < n) {
            ssize_t r = pread(c->fd, b + got, n - got, (off_t)c->start + (off_t)got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        return got;
    }
    if (n > sizeof(c->head))
        n = sizeof(c->head);
    while (c->head_len < n) {
        ssize_t r = fd_read(c, c->head + c->head_len, n - c->head_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* an error shows again on the next read */
        c->head_len += (size_t)r;
    }
    memcpy(b, c->head, c->head_len);
    return c->head_len;
}

/* ch itself, or a decompressing channel over it if its bytes are compressed. */
static struct xsr_chan *maybe_decompress(struct xsr_chan *ch, unsigned flags, struct xsr_error *err)
{
    if (flags & XSR_OPEN_NO_DECOMPRESS)
        return ch;
    uint8_t head[XSRI_CODEC_SNIFF_BYTES];
    size_t n = peek_head(ch, head, sizeof(head));
    const struct xsri_codec *codec = xsri_codec_sniff(head, n);
    return codec ? xsri_chan_decomp_new(ch, codec, ch->name, err) : ch;
}

struct xsr_chan *xsri_chan_open_read_map(const char *path, unsigned flags, xsri_map_fn map,
                                         struct xsr_error *err)
{
    if (!path) {
        xsr_error_set(err, XSR_EINVAL, "no input path given");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        struct xsr_chan *in = xsri_chan_fd_new(STDIN_FILENO, false, true, "standard input", err);
        return in ? maybe_decompress(in, flags, err) : NULL;
    }
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        xsr_error_sys(err, errno, "cannot open %s for reading", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        xsr_error_sys(err, e, "cannot stat %s", path);
        return NULL;
    }
    struct xsr_chan *ch;
    if (!(flags & XSR_OPEN_NO_DECOMPRESS)) {
        /* a compressed file is read through its descriptor: mapping it
         * would gain nothing, the decoder copies every byte anyway */
        uint8_t head[XSRI_CODEC_SNIFF_BYTES];
        ssize_t n;
        do
            n = pread(fd, head, sizeof(head), 0);
        while (n < 0 && errno == EINTR);
        const struct xsri_codec *codec = n > 0 ? xsri_codec_sniff(head, (size_t)n) : NULL;
        if (codec) {
            ch = xsri_chan_fd_new(fd, true, true, path, err);
            if (!ch) {
                close(fd);
                return NULL;
            }
            return xsri_chan_decomp_new(ch, codec, path, err);
        }
    }
    /*
     * Size 0 is an empty file or a pseudo file (procfs) whose size is not
     * known: both read correctly through the descriptor.  A mapping can fail
     * where reading works (ENODEV on procfs or sysfs, a file too large for
     * the address space), so a failed mapping falls back to reading.
     */
    if (S_ISREG(st.st_mode) && st.st_size > 0 && !(flags & XSR_OPEN_NO_MMAP)) {
        ch = map(fd, path, NULL);
        if (ch) {
            close(fd); /* the mapping stays valid without the descriptor */
            return ch;
        }
    }
    ch = xsri_chan_fd_new(fd, true, true, path, err);
    if (!ch) {
        close(fd);
        return NULL;
    }
    return maybe_decompress(ch, flags, err);
}

struct xsr_chan *xsr_chan_open_read(const char *path, unsigned flags, struct xsr_error *err)
{
    return xsri_chan_open_read_map(path, flags, xsri_chan_mmap_fd, err);
}

struct xsr_chan *xsr_chan_open_write(const char *path, struct xsr_error *err)
{
    if (!path) {
        xsr_error_set(err, XSR_EINVAL, "no output path given");
        return NULL;
    }
    if (strcmp(path, "-") == 0)
        return xsri_chan_fd_new(STDOUT_FILENO, false, false, "standard output", err);
    int fd;
    do
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        xsr_error_sys(err, errno, "cannot open %s for writing", path);
        return NULL;
    }
    struct xsr_chan *ch = xsri_chan_fd_new(fd, true, false, path, err);
    if (!ch)
        close(fd);
    return ch;
}
