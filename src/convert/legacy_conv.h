/* SPDX-License-Identifier: MIT */
/*
 * The legacy converter's state, shared by its files: legacy_convert.c (the
 * stream as a whole: xl header, detection, PV header, images),
 * legacy_body.c (page batches and chunks) and legacy_tail.c (the PV and
 * HVM tails and the device model).
 */
#ifndef XSR_LEGACY_CONV_H
#define XSR_LEGACY_CONV_H

#include "legacy_internal.h"

#define MAX_PARAMS 256u               /* HVM parameter chunks in one body */
#define TOOLSTACK_MAX (16u << 20)     /* bytes of one toolstack chunk */
#define XL_OPTIONAL_MAX (64u << 20)   /* xl header optional data */
#define UNMAPPED_MAX (1u << 28)       /* as Xen's legacy restore */

struct xsri_conv {
    struct xsri_lin in;
    struct xsri_lout out;
    struct xsr_error *err;
    const struct xsr_legacy_opts *opts;
    struct xsr_legacy_info *info;
    unsigned ulong;             /* bytes of the writer's unsigned long */
    bool pv;
    unsigned gw, levels;        /* PV guest width (bytes) and paging levels */
    uint32_t basic_len;
    bool extv;
    uint32_t xsave_len;         /* "xcnt": per-vCPU xsave bytes incl. mask/size */
    uint64_t p2m_size;
    bool checkpointed;          /* more than one image */
    unsigned image;             /* being read */
    /* per image */
    bool vcpu_info_seen;
    uint32_t max_vcpu_id;
    uint64_t vcpumap[(XSR_LEGACY_MAX_VCPU_ID + 1) / 64];
    uint64_t params[2 * MAX_PARAMS];
    uint32_t nparams;
    uint8_t *xenstore;          /* libxl: EMULATOR_XENSTORE_DATA of the image */
    size_t xs_len, xs_cap;
    uint32_t xs_entries;        /* physmap entries in it */
    const uint8_t *dm;          /* device model of the image */
    uint8_t *dm_buf;
    uint32_t dm_len;
    bool have_dm;
    /* whole stream */
    bool last_checkpoint;
    bool compression_enabled;
    bool compressing;
    struct xsri_remus *remus;
    /* one batch */
    uint32_t words[XSR_LEGACY_MAX_BATCH];
    uint64_t out_words[XSR_LEGACY_MAX_BATCH];
    uint32_t seen_pfn[2 * XSR_LEGACY_MAX_BATCH]; /* duplicate check, by generation */
    uint32_t seen_gen[2 * XSR_LEGACY_MAX_BATCH];
    uint32_t gen;
};


/* A format error of the legacy stream located at off; returns code. */
int xsri_lc_fail(struct xsri_conv *c, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Little-endian reads of the legacy stream; the ulong is the writer's. */
int xsri_lc_rd32(struct xsri_conv *c, uint32_t *v, const char *what);
int xsri_lc_rd64(struct xsri_conv *c, uint64_t *v, const char *what);
int xsri_lc_rd_ulong(struct xsri_conv *c, uint64_t *v, const char *what);
static inline uint64_t xsri_lc_ld_ulong(const struct xsri_conv *c, const uint8_t *p)
{
    return c->ulong == 8 ? xsr_ld64(p, XSR_LITTLE_ENDIAN) : xsr_ld32(p, XSR_LITTLE_ENDIAN);
}

/* The chunks of one image's body, up to and including its end chunk. */
int xsri_lc_body(struct xsri_conv *c);
/* The tails of one image. */
int xsri_lc_pv_tail(struct xsri_conv *c);
int xsri_lc_hvm_tail(struct xsri_conv *c);
/* The device model after an HVM tail, if any; *to_eof when it took the
 * rest of the input. */
int xsri_lc_device_model(struct xsri_conv *c, bool *to_eof);

#endif
