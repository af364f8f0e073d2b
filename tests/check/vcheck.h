/* SPDX-License-Identifier: MIT */
/* Running the checker in tests and looking at what it found. */
#ifndef XSR_TEST_VCHECK_H
#define XSR_TEST_VCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/xsr.h>

#include "sbuild.h"

#define VC_MAX_FINDINGS 512

struct vc_finding {
    char rule[64];
    int severity;
    enum xsr_layer layer;
    uint64_t offset;
    int64_t record_index;
    uint32_t record_type;
    char message[XSR_ERROR_MSG_MAX];
};

struct vc_result {
    int rc;
    unsigned n;           /* findings delivered */
    struct vc_finding f[VC_MAX_FINDINGS];
    struct xsr_check_summary sum;
};

/* Verify a buffer (auto-detected format). */
void vc_run(const uint8_t *buf, size_t len, bool lenient, struct vc_result *r);
/* Serialise s and verify it. */
void vc_run_sb(const struct sb *s, bool lenient, struct vc_result *r);
/* First finding of rule, or NULL. */
const struct vc_finding *vc_find(const struct vc_result *r, const char *rule);
unsigned vc_count(const struct vc_result *r, const char *rule);
/* Print every finding to stderr (for failing tests). */
void vc_dump(const struct vc_result *r);

/* Assert that rule is reported with severity sev (or not at all if sev < 0)
 * and, if substr is non-NULL, that its message contains substr. */
void vc_expect(const struct vc_result *r, const char *rule, int sev, const char *substr);
/* Assert no error and no warning was reported. */
void vc_expect_clean(const struct vc_result *r);

/* Feed hand-made events straight to a checker (for what the walker never
 * lets through).  Returns the result after finish(walk_rc). */
void vc_feed(const struct xsr_event *ev, size_t n, int walk_rc, bool lenient, struct vc_result *r);

#endif
