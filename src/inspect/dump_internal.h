/* SPDX-License-Identifier: MIT */
/* Internal interface between the files of the dump (src/inspect/dump*.c). */
#ifndef XSR_INSPECT_DUMP_INTERNAL_H
#define XSR_INSPECT_DUMP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/check.h>
#include <xsr/stream.h>
#include <xsr/wire.h>

#include "dump_emit.h"

/* Longest list a dump prints of one record (entries, leaves, MSRs...); the
 * rest is counted in "<list>_not_shown".  --pages lists are not capped. */
#define XSRI_DUMP_LIST_MAX 4096u
/* Frames/pfns shown of P2M_FRAMES and CHECKPOINT_DIRTY_PFN_LIST. */
#define XSRI_DUMP_FIRST_MAX 8u

/* What decoders of later records need to know from earlier ones. */
struct xsri_dump_state {
    bool pages;           /* list every pfn of PAGE_DATA */
    uint32_t dom_type;    /* from the domain header, 0 before */
    unsigned guest_width; /* from X86_PV_INFO, 0 before */
    char cfg_type[8];     /* c_info.type of the xl configuration ("pvh"), "" if none */
};

/* Decoded fields of one walker event, into the current object. */
void xsri_dump_xl_header(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev);
void xsri_dump_libxl_header(struct xsri_emit *e, const struct xsr_event *ev);
void xsri_dump_libxl_record(struct xsri_emit *e, const struct xsr_event *ev);
void xsri_dump_image_header(struct xsri_emit *e, const struct xsr_event *ev);
void xsri_dump_domain_header(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev);
void xsri_dump_libxc_record(struct xsri_emit *e, struct xsri_dump_state *s, const struct xsr_event *ev);

/* The "wallclock" object of a shared_info page (the 32-bit layout if
 * compat), which must hold xsri_dump_wallclock_end(compat) bytes. */
void xsri_dump_wallclock(struct xsri_emit *e, const uint8_t *shinfo, bool compat, enum xsr_byte_order o);
uint32_t xsri_dump_wallclock_end(bool compat);

/* JSON --pages: the "pfns" list of a PAGE_DATA record, written to out as it
 * is decoded (the item holds XSRI_JSON_SPLICE in its place).  False if the
 * record does not decode (the item then has no placeholder either). */
bool xsri_dump_pfns_json(FILE *out, const struct xsr_event *ev);

/* Bodies of HVM_CONTEXT and DOMAIN_CONTEXT records. */
void xsri_dump_hvm_context(struct xsri_emit *e, const uint8_t *blob, uint32_t len, enum xsr_byte_order o);
void xsri_dump_domain_context(struct xsri_emit *e, const uint8_t *blob, uint32_t len, enum xsr_byte_order o);

/* Name of a record type of either layer, or NULL (unknown/optional). */
const char *xsri_dump_rec_name(enum xsr_layer layer, uint32_t type);

/* One finding as an object (in a list, key NULL) with the keys of doc/json.md. */
void xsri_dump_finding(struct xsri_emit *e, const char *key, const struct xsr_finding *f);
/* "error: <message> [rule-id]" */
void xsri_dump_finding_line(FILE *out, const char *indent, const struct xsr_finding *f);
/* The summary object (doc/json.md "summary"). */
void xsri_dump_summary(struct xsri_emit *e, const char *key, const struct xsr_check_summary *s);
/* One-line verdict for text output, e.g. "valid (xl, libxc stream v4, x86 PV)". */
void xsri_dump_verdict(FILE *out, const char *input, const struct xsr_check_summary *s);
void xsri_print_restorable_by(FILE *out, const struct xsr_check_summary *s);

/* Write a json-c value compactly to out (no newline); false on failure. */
bool xsri_json_write(FILE *out, struct json_object *o);
/* Write a string as a JSON string literal. */
bool xsri_json_write_str(FILE *out, const char *s);

#endif
