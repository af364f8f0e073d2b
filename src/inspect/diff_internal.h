/* SPDX-License-Identifier: MIT */
/*
 * Internal to xsr_diff (src/inspect/diff*.c): the differences found, kept
 * per section (at most max_lines entries each, the rest counted), and
 * rendered once all are known, as text or as one JSON document.
 */
#ifndef XSR_INSPECT_DIFF_INTERNAL_H
#define XSR_INSPECT_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xsr/analyze.h>

#include "analyze_scan.h"

struct json_object;

enum xsri_dsec {
    XSRI_DS_HEADERS,    /* framing: layers, versions, flags, domain header */
    XSRI_DS_GUEST,      /* guest type, width, saving Xen */
    XSRI_DS_CONFIG,     /* xl domain configuration, as a JSON diff */
    XSRI_DS_CPUID,      /* X86_CPUID_POLICY, per leaf/subleaf and register */
    XSRI_DS_MSR,        /* X86_MSR_POLICY, per MSR */
    XSRI_DS_TSC,        /* X86_TSC_INFO (or the DOMAIN_CONTEXT TSC entry) */
    XSRI_DS_HVM_PARAMS, /* HVM_PARAMS, per parameter */
    XSRI_DS_RECORDS,    /* other records: counts and bodies */
    XSRI_DS_VCPUS,      /* vCPU state: registers by name, other contexts */
    XSRI_DS_PAGES,      /* ranges of differing frames (with --pages) */
    XSRI_DS_COUNT
};

struct xsri_dent {
    char *what;               /* the label in text: a path, a register... */
    struct json_object *keys; /* JSON: the entry's own keys; may be NULL */
    struct json_object *a, *b;
    bool has_a, has_b;        /* false: absent from that image */
    char *note;               /* text: said after the values; may be NULL */
};

struct xsri_dsection {
    struct xsri_dent *v;
    unsigned n;       /* kept (at most max) */
    uint64_t total;   /* found */
};

struct xsri_diffout {
    unsigned max;
    struct xsri_dsection sec[XSRI_DS_COUNT];
    bool oom;
};

/* One difference.  Takes keys, a and b (which may be NULL: JSON null when
 * has_a/has_b; ignored otherwise) whether it keeps the entry or not. */
void xsri_diff_add(struct xsri_diffout *d, enum xsri_dsec s, struct json_object *keys,
                   const char *what, bool has_a, struct json_object *a, bool has_b,
                   struct json_object *b, const char *note);
void xsri_diff_free(struct xsri_diffout *d);

/* JSON values: "0x..." strings for 64-bit quantities, numbers below 2^53. */
struct json_object *xsri_jhex(uint64_t v);
struct json_object *xsri_jnum(uint64_t v);
struct json_object *xsri_jstr(const char *s); /* NULL s: JSON null */

/* What is known of one image, for both renderings. */
struct xsri_diff_image {
    const char *name;        /* as the user named it */
    const char *format;      /* outermost layer, or NULL */
    uint32_t version;        /* libxc stream version, 0 if unknown */
    const char *byte_order;
    uint32_t dom_type;
    const char *guest_type;  /* "PV", "PVH", "HVM" or NULL */
    unsigned guest_width;    /* PV: 4 or 8, else 0 */
    uint32_t xen_major, xen_minor;
    bool has_dhdr;
    bool complete;           /* read to its end */
    uint64_t bytes;          /* read */
    const char *stopped;     /* why the walk stopped early, or NULL */
};

/* Write the whole report; false if writing failed. */
bool xsri_diff_render(FILE *f, bool json, const struct xsri_diffout *d,
                      const struct xsri_diff_image *a, const struct xsri_diff_image *b,
                      const struct xsr_diff_result *res);

/* TSC state as both record forms carry it. */
struct xsri_diff_tsc {
    bool present;
    uint32_t mode, khz, incarnation;
    uint64_t nsec;
};

/* ------------------------------------------------------ one image, loaded */

struct xsri_diff_rec {
    enum xsr_layer layer;
    uint32_t type;
    uint32_t length;
    uint64_t seq;   /* order within the image */
    uint64_t hash;
};

/* A per-vCPU record (PV) or per-instance HVM context entry: the last one of
 * its kind and id.  Contents are compared by hash; a body is kept only where
 * registers are decoded from it. */
struct xsri_diff_ctx {
    uint32_t kind;     /* PV record type, or XSRI_HVM_KIND(HVM typecode) */
    uint32_t id;       /* vCPU id / instance */
    uint32_t len;
    uint32_t seq;      /* order of arrival: the last of a kind and id wins */
    uint64_t hash;     /* XXH3-64 of the body */
    const uint8_t *body; /* PV BASIC: a copy (owned); HVM CPU: in img.hvm.p; else NULL */
};
#define XSRI_HVM_KIND(t) (0x10000u + (t))

/* The last body of a record type compared entry by entry: a view of the
 * input when its views last until it is closed (a mapped file, memory),
 * else a copy (owned). */
struct xsri_diff_blob {
    const uint8_t *p;
    uint32_t len;
    bool owned;
    uint64_t count;   /* records of the type */
};

struct xsri_diff_img {
    const char *label;  /* "A" or "B" */
    const char *name;   /* as the user named it; may be NULL */
    struct xsri_scan s;
    bool has_xl, has_libxl, has_ihdr, has_dhdr;
    struct xsr_xl_hdr xl;
    bool has_config;
    bool config_json;
    uint64_t config_hash;
    struct json_object *config; /* parsed JSON configuration, or NULL */
    struct xsr_libxl_hdr libxl;
    struct xsr_ihdr ihdr;
    struct xsr_dhdr dhdr;
    struct xsri_diff_rec *recs;
    size_t nrecs, caprecs;
    uint64_t page_records, pfn_entries;
    struct xsri_diff_ctx *ctx;  /* sorted by kind and id once loaded */
    size_t nctx, capctx;
    uint32_t *pv_slot; /* [PV kinds * XSR_VCPU_MAX]: index + 1 in ctx of a PV context */
    bool views;    /* the input's views last until it is closed */
    struct xsri_diff_blob hvm, cpuid, msr, params;
    struct xsri_diff_tsc tsc;
    enum xsr_byte_order order;
    bool complete;
    char stopped[XSR_ERROR_MSG_MAX + 64]; /* why the walk stopped early */
};

/* The header, guest, records and vCPU sections and the memory. */
void xsri_diff_headers(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b);
void xsri_diff_guest(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b);
void xsri_diff_records(struct xsri_diffout *d, struct xsri_diff_img *a, struct xsri_diff_img *b);
unsigned xsri_diff_vcpus(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b);
void xsri_diff_pages(struct xsri_diffout *d, const struct xsri_diff_img *a, const struct xsri_diff_img *b,
                     bool list, struct xsr_diff_result *res);
/* "PV", "PVH", "HVM" or NULL. */
const char *xsri_diff_guest_type(const struct xsri_diff_img *m);

/* ----------------------------------------------- what each section compares */

/* The last X86_CPUID_POLICY / X86_MSR_POLICY / HVM_PARAMS bodies of A and B
 * (NULL if absent), entry by entry. */
void xsri_diff_cpuid(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                     uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob);
void xsri_diff_msr_policy(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                          uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob);
void xsri_diff_hvm_params(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                          uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob);

void xsri_diff_tsc(struct xsri_diffout *d, const struct xsri_diff_tsc *a, const struct xsri_diff_tsc *b);

/* The xl domain configurations (NULL: none) as a JSON diff by path; text
 * configurations (no JSON flag) line by line count. */
void xsri_diff_config(struct xsri_diffout *d, struct json_object *a, struct json_object *b);

#endif
