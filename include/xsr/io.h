/* SPDX-License-Identifier: MIT */
/*
 * Channels: where stream bytes come from and go to.  A channel is either for
 * reading or for writing.  Reads are exact (short reads and EINTR are retried
 * internally); a channel over memory or an mmap'd file can also hand out
 * zero-copy views of the next bytes.
 */
#ifndef XSR_IO_H
#define XSR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xsr/error.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xsr_chan;

/*
 * Operations of a custom channel; unsupported ones may be NULL.  version is
 * XSR_CHAN_OPS_VERSION of the header the caller was built with (a later
 * version may append operations; older tables keep working).
 */
#define XSR_CHAN_OPS_VERSION 1u
struct xsr_chan_ops {
    unsigned int version;
    /* Read up to n bytes; return bytes read (0 = EOF) or -1 with errno. */
    ssize_t (*read)(void *ctx, void *buf, size_t n);
    /* Write up to the iovec total; return bytes written or -1 with errno. */
    ssize_t (*writev)(void *ctx, const struct iovec *iov, int iovcnt);
    /* Zero-copy: pointer to n bytes at absolute offset off, or NULL. */
    const uint8_t *(*view)(void *ctx, uint64_t off, size_t n);
    /* Total size if known (memory, regular file), else -1. */
    int64_t (*size)(void *ctx);
    void (*close)(void *ctx);
};
#define XSR_CHAN_OPS_INIT { .version = XSR_CHAN_OPS_VERSION }

/* ---- constructors (all return NULL and fill err on failure) ---- */

/* Over a file descriptor (file, pipe, socket).  own: close fd on close. */
struct xsr_chan *xsr_chan_fd_reader(int fd, bool own, struct xsr_error *err);
struct xsr_chan *xsr_chan_fd_writer(int fd, bool own, struct xsr_error *err);

/* Read from memory the caller keeps alive; zero-copy views. */
struct xsr_chan *xsr_chan_mem_reader(const void *buf, size_t len, struct xsr_error *err);

/* Write into a growing memory buffer (for tests and conversion pipelines). */
struct xsr_chan *xsr_chan_mem_writer(struct xsr_error *err);
/* The bytes written so far (valid until the next write or close). */
const uint8_t *xsr_chan_mem_data(const struct xsr_chan *ch, size_t *len);

/* mmap a regular file read-only; zero-copy views of any part of it. */
struct xsr_chan *xsr_chan_mmap_reader(const char *path, struct xsr_error *err);

/*
 * Open path for reading: "-" is stdin; a regular file is mmap'd unless
 * XSR_OPEN_NO_MMAP; anything else (pipe, device) is read through its fd, and
 * so is a regular file that cannot be mapped (mmap fails, e.g. ENODEV on
 * procfs/sysfs) or has size 0 (empty, or a pseudo file of unknown size).
 * Input compressed with zstd, gzip or xz (recognised by its magic bytes, not
 * its name; also on a pipe) is decompressed as it is read, unless
 * XSR_OPEN_NO_DECOMPRESS: the channel then yields the decompressed bytes, has
 * no views and no size, and a failure of the compressed data is an
 * XSR_EFORMAT error naming the compressed and decompressed offsets.
 */
#define XSR_OPEN_NO_MMAP 0x1u
#define XSR_OPEN_NO_DECOMPRESS 0x2u
struct xsr_chan *xsr_chan_open_read(const char *path, unsigned flags, struct xsr_error *err);
/* The compression a channel reads through ("zstd", "gzip", "xz"), or NULL. */
const char *xsr_chan_compression(const struct xsr_chan *ch);
/* Open path for writing (create/truncate, mode 0644); "-" is stdout. */
struct xsr_chan *xsr_chan_open_write(const char *path, struct xsr_error *err);

/* A channel over user operations. ctx is passed to every op.  An ops
 * version this library does not know is refused (XSR_EINVAL). */
struct xsr_chan *xsr_chan_custom(const struct xsr_chan_ops *ops, void *ctx, bool readable,
                                 struct xsr_error *err);

/*
 * Fault injection (tests): wraps inner.  The wrapper takes ownership of inner
 * in all cases: closing the wrapper closes inner, and if the wrapper cannot
 * be made (NULL returned: bad arguments, no memory) inner is closed at once.
 * So "ch = xsr_chan_fault(ch, ...)" never leaks; inner must not be used or
 * closed by the caller after the call.
 * Reads and writes return at most max_io bytes per call (0 = no limit), every
 * eintr_every-th call fails with EINTR first (0 = never), and after fail_after
 * bytes the next read/write fails with fail_errno (fail_after = UINT64_MAX:
 * never; fail_errno 0 means "end of file" for reads and "no byte accepted" for
 * writes, which xsr_chan_write reports as XSR_EIO).  Views are disabled so
 * that the copying paths are exercised.
 */
struct xsr_fault_spec {
    size_t size;            /* sizeof(struct xsr_fault_spec): XSR_FAULT_SPEC_INIT */
    size_t max_io;
    unsigned eintr_every;
    uint64_t fail_after;
    int fail_errno;
};
/* No fault at all until members say otherwise (fail_after = never). */
#define XSR_FAULT_SPEC_INIT { .size = sizeof(struct xsr_fault_spec), .fail_after = UINT64_MAX }
struct xsr_chan *xsr_chan_fault(struct xsr_chan *inner, const struct xsr_fault_spec *spec,
                                struct xsr_error *err);

/* ---- operations ---- */

/*
 * Read exactly n bytes into buf.  Returns 0, XSR_ETRUNC if the input ended
 * first (*got, if non-NULL, says how many bytes were read), or XSR_EIO.
 */
int xsr_chan_read(struct xsr_chan *ch, void *buf, size_t n, size_t *got, struct xsr_error *err);

/*
 * Zero-copy read: if the channel can view, point *view at the next n bytes and
 * advance; returns 0.  XSR_EUNSUP if the channel cannot view (nothing
 * consumed), XSR_ETRUNC if fewer than n bytes remain (nothing consumed).
 * Views stay valid until the channel is closed.
 */
int xsr_chan_view(struct xsr_chan *ch, size_t n, const uint8_t **view, struct xsr_error *err);
bool xsr_chan_can_view(const struct xsr_chan *ch);

/*
 * Zero-copy look at the next bytes without consuming them: *view points at
 * *avail = min(n, bytes left) bytes.  XSR_EUNSUP if the channel cannot view.
 */
int xsr_chan_peek(struct xsr_chan *ch, size_t n, const uint8_t **view, size_t *avail,
                  struct xsr_error *err);

/* Skip n bytes (seeks or views where possible, reads otherwise). */
int xsr_chan_skip(struct xsr_chan *ch, uint64_t n, struct xsr_error *err);

/* Write all of buf / all iovecs (short writes and EINTR retried). */
int xsr_chan_write(struct xsr_chan *ch, const void *buf, size_t n, struct xsr_error *err);
int xsr_chan_writev(struct xsr_chan *ch, const struct iovec *iov, int iovcnt, struct xsr_error *err);

/* Bytes read from / written to the channel so far. */
uint64_t xsr_chan_offset(const struct xsr_chan *ch);
/* Total input size if known, else -1. */
int64_t xsr_chan_size(const struct xsr_chan *ch);

/* Close and free (NULL allowed).  Returns XSR_EIO if closing an fd failed. */
int xsr_chan_close(struct xsr_chan *ch, struct xsr_error *err);

/* ------------------------------------------------------ output files */
/*
 * An output that never destroys what it replaces, for every writer of a file.
 * A regular file or a new name is written under a temporary name in the same
 * directory and renamed over the name only by xsr_outfile_commit, so a
 * failure never leaves a half-written file.  A character device, FIFO or
 * socket is written through (no temporary, no rename: the node stays).  A
 * symlink is followed and the rule applied to its target; the link stays.
 * A directory or block device is refused.  Path "-" is standard output,
 * written through.  Messages name the path as given.
 */
struct xsr_outfile;
struct xsr_outfile *xsr_outfile_open(const char *path, struct xsr_error *err);
struct xsr_chan *xsr_outfile_chan(struct xsr_outfile *f);
/* The descriptor written (read-write for a temporary, for writers at offsets). */
int xsr_outfile_fd(const struct xsr_outfile *f);
/* Written through (no temporary): "-", a device, FIFO or socket. */
bool xsr_outfile_direct(const struct xsr_outfile *f);
const char *xsr_outfile_temp_path(const struct xsr_outfile *f); /* NULL when direct */
/*
 * Ask commit to flush the data to disk (fsync) before the rename, so that the
 * file also survives a power loss right after the commit.  Off by default,
 * as for cp: the rename alone already guarantees that a failure leaves no
 * half-written file under the name.
 */
void xsr_outfile_set_sync(struct xsr_outfile *f, bool sync);
/* Close (flushing to disk if asked), rename over the name; frees f.  On
 * failure the temporary file is removed. */
int xsr_outfile_commit(struct xsr_outfile *f, struct xsr_error *err);
/* Close and remove the temporary file; frees f.  NULL allowed. */
void xsr_outfile_abort(struct xsr_outfile *f);

#ifdef __cplusplus
}
#endif
#endif
