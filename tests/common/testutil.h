/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests. */
#ifndef XSR_TESTUTIL_H
#define XSR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <xsr/xsr.h>

/* Exit code that makes meson report a test as skipped. */
#define TEST_SKIP_EXIT 77

/* Directory of the shared fixtures/tools ($XSR_SHARED, else <src>/../shared),
 * or NULL if it does not exist. */
const char *tu_shared_dir(void);
/* Path of the repo's source tree ($XSR_SRCDIR). */
const char *tu_src_dir(void);

/* Read a whole file into a malloc'd buffer; NULL on failure. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Write buf to path; 0 on success. */
int tu_write_file(const char *path, const void *buf, size_t len);

/* Generate a stream with the generator into a malloc'd buffer. */
uint8_t *tu_generate(const struct xsr_gen_opts *o, size_t *len);

/* Verify a buffer; returns xsr_verify's result.  If rule is non-NULL,
 * *found is set when a finding with that rule id was reported, and the first
 * such message is copied to msg (if non-NULL, msg_len bytes). */
int tu_verify_buf(const uint8_t *buf, size_t len, bool lenient, const char *rule, bool *found,
                  char *msg, size_t msg_len);

/* Decompress a .zst fixture into a malloc'd buffer (NULL on failure). */
uint8_t *tu_read_zst(const char *path, size_t *len);

#endif
