/* SPDX-License-Identifier: MIT */
/*
 * Options and result structures that callers allocate begin with a
 * `size_t size` member set by their *_INIT macro to the sizeof the caller
 * was built with.  Members are only ever appended, so a smaller size is an
 * older layout: the members it lacks read as zero (their default).  A size
 * larger than the library knows comes from a newer header and is refused.
 */
#ifndef XSR_SRC_UTIL_OPTS_H
#define XSR_SRC_UTIL_OPTS_H

#include <stddef.h>

#include <xsr/error.h>

/*
 * Copy the caller's structure `in` (its first member is its size) into `out`
 * (`cur` bytes, this library's layout), zero-filling what an older layout
 * lacks.  `min` is the size of the first published layout.  NULL in gives
 * all defaults (zeroes) with out's size set.  Returns 0 or XSR_EINVAL.
 */
int xsri_opts_load(void *out, size_t cur, const void *in, size_t min, const char *name,
                   struct xsr_error *err);

/* Check the size of a caller's result structure before it is filled:
 * 0 if min <= size <= cur, else XSR_EINVAL. */
int xsri_opts_check(size_t size, size_t cur, size_t min, const char *name, struct xsr_error *err);

#endif
