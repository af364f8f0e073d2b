/* SPDX-License-Identifier: MIT */
/* Internal helpers of xsr_extract shared with the ELF writer. */
#ifndef XSR_INSPECT_EXTRACT_INT_H
#define XSR_INSPECT_EXTRACT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "analyze_scan.h"

/* pwrite all of p at off. */
int xsri_write_all(int fd, const uint8_t *p, size_t n, uint64_t off, struct xsr_error *err);

/*
 * Writes of the copy from the input file, on a thread of their own where
 * there is a second CPU (extract_copy.c).  get: a free buffer of
 * XSRI_COPY_BUF_SIZE bytes to fill (waits while all are queued); put: queue
 * len bytes of it for offset off (or write them at once without the thread);
 * drain: wait until everything queued is written.  Buffers are written in
 * the order they were put.  A write error is returned by the next get or
 * drain (and every one after), so possibly while a later record is walked;
 * later buffers are then dropped.
 *
 * The buffer size keeps the data in the L2 cache between pread and pwrite:
 * 1 MiB and more made the copy up to twice as slow as 512 KiB.
 */
#define XSRI_COPY_BUF_SIZE (512u << 10)
struct xsri_copier;
struct xsri_copier *xsri_copier_new(int fd); /* NULL: out of memory */
int xsri_copier_get(struct xsri_copier *c, uint8_t **buf, struct xsr_error *err);
int xsri_copier_put(struct xsri_copier *c, size_t len, uint64_t off, struct xsr_error *err);
int xsri_copier_drain(struct xsri_copier *c, struct xsr_error *err);
/* Writes what is still queued, stops the thread, frees. NULL is allowed. */
void xsri_copier_free(struct xsri_copier *c);

/* Make len bytes at off read as zeros (punch a hole, or write zeros). */
int xsri_zero_range(int fd, uint64_t off, uint64_t len, struct xsr_error *err);
/* Write the pfn map (doc/analyze.md) from the final state; aux = offsets. */
int xsri_write_pfn_map(const struct xsri_scan *s, FILE *out, struct xsr_error *err);

#endif
