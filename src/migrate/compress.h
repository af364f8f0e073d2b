/* SPDX-License-Identifier: MIT */
/* zstd compression of a connection's bytes (compress.c). */
#ifndef XSR_MIGRATE_COMPRESS_H
#define XSR_MIGRATE_COMPRESS_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xsr/error.h>

struct xsri_zconn;

struct xsri_zconn *xsri_zconn_new(int level, ssize_t (*raw_read)(void *, void *, size_t),
                                  ssize_t (*raw_writev)(void *, const struct iovec *, int),
                                  void *raw, struct xsr_error *err);
void xsri_zconn_free(struct xsri_zconn *z);
ssize_t xsri_zconn_read(struct xsri_zconn *z, void *buf, size_t n);
ssize_t xsri_zconn_writev(struct xsri_zconn *z, const struct iovec *iov, int iovcnt);

#endif
