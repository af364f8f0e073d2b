/* SPDX-License-Identifier: MIT */
/* What the restore tests share: a scratch directory for sim files, a
 * restore of a buffer into one, and the checks of a restored PV domain. */
#ifndef XSR_TEST_RESTORE_UTIL_H
#define XSR_TEST_RESTORE_UTIL_H

#include "testutil.h"

/* A scratch directory (in /dev/shm when there is one); ru_path names a file in it. */
int ru_setup(void **state);
int ru_teardown(void **state);
const char *ru_path(const char *name);

/* Restore buf into a sim file at path (opts may be NULL); the domain is
 * returned open in *d when d is non-NULL. */
int ru_restore(const uint8_t *buf, size_t len, const char *path, const struct xsr_restore_opts *o,
               struct xsr_restore_result *res, struct xsr_domain **d, struct xsr_error *err);
/* The same from a channel the caller made (closed here). */
int ru_restore_chan(struct xsr_chan *ch, const char *path, const struct xsr_restore_opts *o,
                    struct xsr_restore_result *res, struct xsr_domain **d, struct xsr_error *err);

/* Every present entry of every page table of d maps a frame of the guest
 * (PV); returns how many populated pfns no entry maps. */
uint64_t ru_check_tables(struct xsr_domain *d);
/* Page pfn of d (4096 bytes) into out; false if it has no frame. */
bool ru_page(struct xsr_domain *d, uint64_t pfn, uint8_t *out);

#endif
