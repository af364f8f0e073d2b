/* SPDX-License-Identifier: MIT */
/*
 * Checker: every rule of the format, per record and across the stream.
 * Feed it walker events; it reports findings through a callback.  Strict by
 * default; lenient mode accepts what Xen's own C restore code accepts.
 */
#ifndef XSR_CHECK_H
#define XSR_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xsr_severity { XSR_SEV_NOTE = 0, XSR_SEV_WARNING = 1, XSR_SEV_ERROR = 2 };
const char *xsr_severity_name(enum xsr_severity s); /* "note", "warning", "error" */

struct xsr_finding {
    enum xsr_severity severity;
    const char *rule;      /* stable id, e.g. "page-data.pfn-reserved" (see doc/rules.md) */
    enum xsr_layer layer;
    uint64_t offset;       /* of the header/record concerned, XSR_NO_OFFSET if none */
    int64_t record_index;  /* XSR_NO_INDEX if not about a record */
    uint32_t record_type;
    const char *message;   /* full sentence with location, valid during the callback */
};
typedef void (*xsr_finding_fn)(void *ctx, const struct xsr_finding *f);

/* Make err (XSR_EFORMAT) say what the finding f says, with its rule id and
 * then note (may be NULL) in the text and its location in err's fields.
 * Returns XSR_EFORMAT. */
int xsr_finding_error(const struct xsr_finding *f, const char *note, struct xsr_error *err);

struct xsr_check_opts {
    size_t size;               /* sizeof(struct xsr_check_opts): XSR_CHECK_OPTS_INIT */
    bool lenient;
    xsr_finding_fn on_finding; /* may be NULL */
    void *ctx;
};
#define XSR_CHECK_OPTS_INIT { .size = sizeof(struct xsr_check_opts) }

/* What the checker learnt about the stream (for summaries and consumers). */
struct xsr_check_summary {
    size_t size;                 /* sizeof(struct xsr_check_summary): XSR_CHECK_SUMMARY_INIT */
    enum xsr_layer format;       /* outermost layer */
    uint32_t version;            /* libxc stream version, 0 if none seen */
    enum xsr_byte_order order;
    uint32_t dom_type;           /* XSR_DOM_*, 0 if none seen */
    uint32_t xen_major, xen_minor;
    unsigned guest_width;        /* PV: 4/8, 0 unknown */
    unsigned pt_levels;
    uint64_t records;            /* libxc records */
    uint64_t libxl_records;
    uint64_t page_records, pfn_entries, data_pages;
    uint64_t pages_by_type[16];
    uint64_t checkpoints;
    uint32_t vcpus;              /* distinct vCPU ids seen */
    uint64_t bytes;              /* bytes walked */
    unsigned errors, warnings, notes; /* stop at UINT_MAX, never wrap */
    bool complete;               /* the outermost END was reached */
    /* Last, because XSR_REC_TYPE_COUNT grows with the format: a caller built
     * with a smaller count gets the first entries (the library fills only
     * the caller's size).  Members added later go into a new structure. */
    uint64_t bytes_by_type[XSR_REC_TYPE_COUNT];
};
#define XSR_CHECK_SUMMARY_INIT { .size = sizeof(struct xsr_check_summary) }

struct xsr_checker;
struct xsr_checker *xsr_checker_new(const struct xsr_check_opts *opts, struct xsr_error *err);
void xsr_checker_free(struct xsr_checker *c);
/* Feed one event.  Returns 0 (findings go to the callback) or <0 on an
 * internal failure (allocation). */
int xsr_checker_event(struct xsr_checker *c, const struct xsr_event *ev, struct xsr_error *err);
/*
 * End of input.  walk_rc is what xsr_walker_next returned last (0 for a clean
 * end, <0 if the walk failed with walk_err): the checker turns it into a
 * finding and runs the end-of-stream rules.
 */
int xsr_checker_finish(struct xsr_checker *c, int walk_rc, const struct xsr_error *walk_err,
                       struct xsr_error *err);
const struct xsr_check_summary *xsr_checker_summary(const struct xsr_checker *c);

/* Walk and check a whole stream.  Returns 0 if valid, 1 if invalid (errors
 * found), <0 on a failure of the check itself (I/O, allocation).  opts NULL =
 * strict, no callback; summary (may be NULL) must carry its size. */
int xsr_verify(struct xsr_chan *ch, enum xsr_layer format, const struct xsr_check_opts *opts,
               struct xsr_check_summary *summary, struct xsr_error *err);

/* The rule catalogue, for docs and tests. */
struct xsr_rule_info {
    const char *id;
    enum xsr_severity severity; /* in strict mode */
    const char *summary;
    int lenient_severity;       /* an enum xsr_severity in lenient mode, or
                                 * XSR_SEV_NONE if not reported there */
};
#define XSR_SEV_NONE (-1)
const struct xsr_rule_info *xsr_rules(unsigned *count);

/*
 * Which deployed Xen releases restore an image.  Being valid against the
 * specification is not enough: each release's restorer (libxenguest) reads
 * only some stream versions, only little-endian streams, no checkpoint
 * framing in a plain restore, and refuses mandatory records it does not know.
 * One entry per group of releases whose rules are the same, oldest first.
 */
struct xsr_xen_target {
    const char *name;            /* "xen-4.6": the group's first release */
    const char *releases;        /* "Xen 4.6-4.13", "Xen 4.14 and later" */
    unsigned first_minor;        /* Xen 4.first_minor ... */
    unsigned last_minor;         /* ... 4.last_minor (UINT_MAX: no upper bound) */
    uint32_t min_version, max_version; /* libxc stream versions it reads */
    uint32_t known_records;      /* bit t: mandatory record type t is handled */
};
const struct xsr_xen_target *xsr_xen_targets(unsigned *count);
/* The group of "xen-4.17", "4.17" or "xen-4.17.2"; NULL if not a deployed
 * release this table models (before 4.6, or not 4.x). */
const struct xsr_xen_target *xsr_xen_target_find(const char *name);

#define XSR_RESTORE_MAX_REASONS 8
struct xsr_restore_verdict {
    size_t size;                 /* XSR_RESTORE_VERDICT_INIT */
    bool restorable;
    unsigned n_reasons;          /* why not: one sentence each */
    char reasons[XSR_RESTORE_MAX_REASONS][192];
};
#define XSR_RESTORE_VERDICT_INIT { .size = sizeof(struct xsr_restore_verdict) }
/* Whether t's restorer accepts the image that the checker summarised in s
 * (an image with errors, or incomplete, is never counted restorable).
 * Returns 0, or XSR_EINVAL for a verdict without XSR_RESTORE_VERDICT_INIT's
 * size (err says so; v is left alone). */
int xsr_xen_target_check(const struct xsr_xen_target *t, const struct xsr_check_summary *s,
                         struct xsr_restore_verdict *v, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
