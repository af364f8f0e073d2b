/* SPDX-License-Identifier: MIT */
/* Reader internals used by the walker (and by white-box tests). */
#ifndef XSR_SRC_STREAM_READER_INTERNAL_H
#define XSR_SRC_STREAM_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/stream.h>

/* Bytes the reader can look ahead on a channel without views. */
#define XSRI_LOOKAHEAD_MAX 64u
/* Largest fixed header xsr_reader_fixed accepts. */
#define XSRI_FIXED_MAX 4096u

/*
 * Look at up to n (<= XSRI_LOOKAHEAD_MAX) next bytes without consuming them;
 * *avail < n only at the end of the input.
 */
int xsri_reader_peek(struct xsr_reader *r, size_t n, const uint8_t **view, size_t *avail,
                     struct xsr_error *err);

/*
 * Consume n bytes (a view, or a copy in the internal buffer, which grows to n:
 * the caller bounds n).  what names the structure for the truncation message.
 */
int xsri_reader_take(struct xsr_reader *r, size_t n, const char *what, const uint8_t **view,
                     struct xsr_error *err);

/* Consume up to max bytes; *got = 0 only at the end of the input. */
int xsri_reader_take_upto(struct xsr_reader *r, size_t max, const uint8_t **view, size_t *got,
                          struct xsr_error *err);

/* xsr_reader_fixed with a name for the truncation message. */
int xsri_reader_fixed(struct xsr_reader *r, size_t n, const char *what, const uint8_t **view,
                      struct xsr_error *err);

/* xsr_reader_record, but the pages of a PAGE_DATA record are passed over in
 * the channel (struct xsr_record.skipped) when it has no views. */
int xsri_reader_record_skim(struct xsr_reader *r, struct xsr_record *rec, struct xsr_error *err);

/* The 8 header bytes of the last record read (valid until the next read). */
const uint8_t *xsri_reader_rhdr(const struct xsr_reader *r);

/* Type of the record being read when the last xsr_reader_record failed after
 * its header was complete; false if the header itself was not complete. */
bool xsri_reader_failed_type(const struct xsr_reader *r, uint32_t *type);

/* Bytes allocated for record bodies and blobs (for tests of the memory bound). */
size_t xsri_reader_buffer_capacity(const struct xsr_reader *r);

#endif
