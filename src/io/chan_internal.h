/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the channel implementations.  Every channel is a
 * struct xsr_chan around an operations table; the generic code in chan.c does
 * the retrying, offset keeping and error reporting, so the back ends stay
 * thin wrappers around one system call or one memcpy.
 */
#ifndef XSR_SRC_IO_CHAN_INTERNAL_H
#define XSR_SRC_IO_CHAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xsr/io.h>

/* Seek results of xsri_chan_ops.seek */
#define XSRI_SEEK_DONE 0     /* skipped all n bytes */
#define XSRI_SEEK_UNABLE 1   /* cannot seek: nothing done, read instead */
#define XSRI_SEEK_SHORT 2    /* the input ended: *skipped bytes skipped */

struct xsri_chan_ops {
    /* One read of up to n bytes: bytes read, 0 at EOF, -1 with errno. */
    ssize_t (*read)(void *ctx, void *buf, size_t n);
    /* One write of up to the iovec total: bytes written or -1 with errno. */
    ssize_t (*writev)(void *ctx, const struct iovec *iov, int iovcnt);
    /* n bytes at absolute offset off, or NULL if they are not all there.
     * A channel with a view op is read through it (read is then unused). */
    const uint8_t *(*view)(void *ctx, uint64_t off, size_t n);
    /* Total size, -1 if unknown. */
    int64_t (*size)(void *ctx);
    /* Skip n bytes without reading them: XSRI_SEEK_* or -1 with errno. */
    int (*seek)(void *ctx, uint64_t n, uint64_t *skipped);
    /* Release ctx: 0, or -1 with errno if closing the underlying object failed. */
    int (*close)(void *ctx);
    /* After a failed read: an XSR_E* code and a sentence if the channel can
     * say more than errno (a decoder: corrupt data, where), else 0. */
    int (*why)(void *ctx, const char **msg);
};

enum xsri_chan_kind {
    XSRI_CHAN_FD,
    XSRI_CHAN_MEM_READER,
    XSRI_CHAN_MEM_WRITER,
    XSRI_CHAN_MMAP,
    XSRI_CHAN_CUSTOM,
    XSRI_CHAN_FAULT,
    XSRI_CHAN_DECOMP,
};

struct xsr_chan {
    struct xsri_chan_ops ops;
    void (*user_close)(void *ctx); /* custom channels: the user's close */
    void *ctx;
    enum xsri_chan_kind kind;
    bool readable;
    uint64_t off;      /* bytes read/skipped or written so far */
    uint8_t *scratch;  /* for skipping by reading; allocated on first use */
    char *name;        /* for messages: a path, "standard input", ... */
    const char *codec; /* decompressing channels: "zstd", "gzip", "xz" */
};

/* Allocate a channel; name is copied.  On failure ctx is NOT released. */
struct xsr_chan *xsri_chan_new(enum xsri_chan_kind kind, const struct xsri_chan_ops *ops, void *ctx,
                               bool readable, const char *name, struct xsr_error *err);

/* One underlying read / write, with the offset kept (for wrappers). */
ssize_t xsri_chan_read_some(struct xsr_chan *ch, void *buf, size_t n);
ssize_t xsri_chan_writev_some(struct xsr_chan *ch, const struct iovec *iov, int iovcnt);

/* Constructors of the fd channels used by the open helpers. */
struct xsr_chan *xsri_chan_fd_new(int fd, bool own, bool readable, const char *name,
                                  struct xsr_error *err);
struct xsr_chan *xsri_chan_mmap_fd(int fd, const char *name, struct xsr_error *err);

/* A channel decompressing inner with codec (struct xsri_codec, codec.h);
 * takes ownership of inner, also when it fails (inner is then closed). */
struct xsri_codec;
struct xsr_chan *xsri_chan_decomp_new(struct xsr_chan *inner, const struct xsri_codec *codec,
                                      const char *name, struct xsr_error *err);

/* How xsr_chan_open_read maps a regular file (xsri_chan_mmap_fd; fd stays open). */
typedef struct xsr_chan *(*xsri_map_fn)(int fd, const char *name, struct xsr_error *err);
/* xsr_chan_open_read with the mapping step given, so tests can make it fail. */
struct xsr_chan *xsri_chan_open_read_map(const char *path, unsigned flags, xsri_map_fn map,
                                         struct xsr_error *err);

#endif
