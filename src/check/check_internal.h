/* SPDX-License-Identifier: MIT */
/* Checker internals shared by the files of src/check/. */
#ifndef XSR_CHECK_INTERNAL_H
#define XSR_CHECK_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/check.h>

/* Rule numbers, generated from rules.def. */
enum xsri_rule {
#define RULE(name, id, strict, lenient, summary) XSRI_R_##name,
#include "rules.def"
#undef RULE
    XSRI_RULE_COUNT
};

/* A severity, or "not reported" in that mode. */
#define XSRI_SEV_OFF XSR_SEV_NONE

/* Severity of rule r in the given mode (XSRI_SEV_OFF if not reported). */
int xsri_rule_severity(enum xsri_rule r, bool lenient);
const char *xsri_rule_id(enum xsri_rule r);

/* Findings of one rule reported one by one per record / per stream. */
#define XSRI_MAX_PER_RECORD 10u
#define XSRI_MAX_PER_RULE 100u
/* Items (pfns, entries) of one record listed individually per rule. */
#define XSRI_MAX_ITEMS 8u
/* The duplicate-pfn check copies every pfn of a record; a copy bigger than this
 * is freed after its record (Xen batches 1024). */
#define XSRI_DUP_SCRATCH_KEEP (1u << 20)

#define XSRI_MSG_MAX 512

/* Where the finding being reported is. */
struct xsri_loc {
    enum xsr_layer layer;
    uint64_t offset;
    int64_t index;
    uint32_t type;
    char what[64]; /* "PAGE_DATA", "image header", "libxl record END", ... */
};

struct xsri_checker {
    struct xsr_check_opts opts;
    struct xsr_check_summary sum;
    struct xsri_loc loc;
    bool finished;

    /* finding accounting */
    uint16_t rec_count[XSRI_RULE_COUNT];   /* this event */
    uint32_t rule_count[XSRI_RULE_COUNT];  /* whole stream, reported */
    uint64_t suppressed[XSRI_RULE_COUNT];
    char msg[XSRI_MSG_MAX];

    /* outer layers */
    bool seen_first;
    bool libxl_seen;
    enum xsr_byte_order libxl_order;
    bool libxc_context_seen;
    bool libxl_in_checkpoint;  /* libxc CHECKPOINT seen, no CHECKPOINT_END yet */
    bool libxl_end_seen;
    bool legacy_seen;          /* a legacy stream starts here and is not walked */

    /* libxc stream (reset at each image header) */
    struct xsri_libxc {
        bool ihdr_seen;
        uint32_t version;          /* 0 if the header's version is unusable */
        enum xsr_byte_order order;
        uint32_t dom_type;
        bool end_seen;
        bool end_last_reported;

        bool sde_seen;             /* explicit or inferred */
        bool sde_inferred;
        bool sde_missing_reported;
        bool verify_seen;

        bool pv_info_seen;
        bool width_ok;             /* width/levels below are a valid pair */
        unsigned width, levels;
        bool p2m_seen;
        bool p2m_range_ok;         /* p2m_max_end is from a valid range */
        uint64_t p2m_max_end;
        bool page_data_seen;
        bool vcpu0_basic_seen;
        bool hvm_context_seen;
        bool order_pv_page_noted;  /* order.pv reported for PAGE_DATA */
        bool order_pv_vcpu_noted;  /* ... for a vCPU record */
        bool order_pv_p2m_noted;   /* ... for X86_PV_P2M_FRAMES */

        /* this checkpoint (the whole stream if it has none) */
        bool hvm_params_seen_cp;
        bool hvm_context_seen_cp;
        bool vcpu_seen_cp;
        unsigned domctx_cp;
        uint64_t records_since_cp;

        bool hvm_order_noted;
        bool checkpoint_noted;
    } x;

    uint64_t vcpu_bitmap[XSR_VCPU_MAX / 64];
    uint64_t trailing_bytes, trailing_offset;

    /* scratch for the duplicate-pfn check (grows to the largest record) */
    uint64_t *scratch;
    size_t scratch_cap;
};

/* Report a finding of rule r at c->loc, with the mode's severity. */
void xsri_report(struct xsri_checker *c, enum xsri_rule r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same with an explicit severity (for rules whose severity depends on the case). */
void xsri_report_sev(struct xsri_checker *c, enum xsri_rule r, int sev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The severity rule r has in the current mode. */
int xsri_sev(const struct xsri_checker *c, enum xsri_rule r);
/* At the end: one note per rule whose findings were partly suppressed. */
void xsri_report_suppressed(struct xsri_checker *c);

/* Point c->loc at an event (resets the per-record counters). */
void xsri_loc_event(struct xsri_checker *c, const struct xsr_event *ev);
/* Point c->loc at the end of the stream. */
void xsri_loc_end(struct xsri_checker *c);

/* Per-area checks (one event each). */
void xsri_check_xl_header(struct xsri_checker *c, const struct xsr_event *ev);
void xsri_check_libxl_header(struct xsri_checker *c, const struct xsr_event *ev);
void xsri_check_libxl_record(struct xsri_checker *c, const struct xsr_event *ev);
void xsri_check_ihdr(struct xsri_checker *c, const struct xsr_event *ev);
void xsri_check_dhdr(struct xsri_checker *c, const struct xsr_event *ev);
int xsri_check_record(struct xsri_checker *c, const struct xsr_event *ev);
void xsri_libxc_finish(struct xsri_checker *c, bool clean);

/* Record bodies (c->loc already points at the record). */
int xsri_check_page_data(struct xsri_checker *c, const struct xsr_record *rec,
                         enum xsr_byte_order o);
void xsri_check_p2m_frames(struct xsri_checker *c, const struct xsr_record *rec,
                           enum xsr_byte_order o);
void xsri_check_pv_info(struct xsri_checker *c, const struct xsr_record *rec,
                        enum xsr_byte_order o);
void xsri_check_vcpu(struct xsri_checker *c, const struct xsr_record *rec,
                     enum xsr_byte_order o);
void xsri_check_shared_info(struct xsri_checker *c, const struct xsr_record *rec);
void xsri_check_hvm_params(struct xsri_checker *c, const struct xsr_record *rec,
                           enum xsr_byte_order o);
void xsri_check_hvm_context(struct xsri_checker *c, const struct xsr_record *rec,
                            enum xsr_byte_order o);
void xsri_check_domain_context(struct xsri_checker *c, const struct xsr_record *rec,
                               enum xsr_byte_order o);

/* Helpers. */
bool xsri_is_pv(const struct xsri_checker *c);
bool xsri_is_hvm(const struct xsri_checker *c);
/* Mark vCPU id as seen (ids >= XSR_VCPU_MAX are ignored). */
void xsri_vcpu_seen(struct xsri_checker *c, uint32_t id);

#endif
