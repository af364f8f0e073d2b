/* SPDX-License-Identifier: MIT */
/* Internal helpers of xsr_extract shared with the ELF writer. */
#ifndef XSR_INSPECT_EXTRACT_INT_H
#define XSR_INSPECT_EXTRACT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "analyze_scan.h"

/* Make len bytes at off read as zeros (punch a hole, or write zeros). */
int xsri_zero_range(int fd, uint64_t off, uint64_t len, struct xsr_error *err);
/* Write the pfn map (doc/analyze.md) from the final state; aux = offsets. */
int xsri_write_pfn_map(const struct xsri_scan *s, FILE *out, struct xsr_error *err);

#endif
