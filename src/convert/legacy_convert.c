/* SPDX-License-Identifier: MIT */
/*
 * Legacy (pre-v2) stream -> libxc stream v3/v4, bare or in a libxl stream.
 *
 * The reading follows Xen's legacy restore code; the records written and
 * their bytes follow Xen's convert-legacy-stream for version 3.  Checkpoints
 * of a Remus stream (images following each other without a "last
 * checkpoint" chunk) become a checkpointed stream, and compressed Remus
 * checkpoints are decoded.  Where the reference converter writes records
 * that its own verifier or Xen's restore code rejects, or accepts input that
 * is corrupt, this converter refuses the input or leaves the bad record out,
 * and says so (doc/xsr-convert-legacy.1).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_internal.h"

#define MAX_PARAMS 256u               /* HVM parameter chunks in one body */
#define TOOLSTACK_MAX (16u << 20)     /* bytes of one toolstack chunk */
#define XL_OPTIONAL_MAX (64u << 20)   /* xl header optional data */
#define UNMAPPED_MAX (1u << 28)       /* as Xen's legacy restore */

struct conv {
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

static int fail(struct conv *c, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct conv *c, uint64_t off, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(c->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(c->err, off, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
    return code;
}

static int fail_xl(struct conv *c, uint64_t off, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_xl(struct conv *c, uint64_t off, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xsr_error_vset(c->err, code, fmt, ap);
    va_end(ap);
    xsr_error_locate(c->err, off, XSR_LAYER_XL, XSR_NO_INDEX, 0);
    return code;
}

static int rd32(struct conv *c, uint32_t *v, const char *what)
{
    uint8_t b[4];
    *v = 0;
    int rc = xsri_lin_read(&c->in, b, 4, what);
    if (rc == 0)
        *v = xsr_ld32(b, XSR_LITTLE_ENDIAN);
    return rc;
}

static int rd64(struct conv *c, uint64_t *v, const char *what)
{
    uint8_t b[8];
    *v = 0;
    int rc = xsri_lin_read(&c->in, b, 8, what);
    if (rc == 0)
        *v = xsr_ld64(b, XSR_LITTLE_ENDIAN);
    return rc;
}

static int rd_ulong(struct conv *c, uint64_t *v, const char *what)
{
    uint32_t w = 0;
    int rc;

    if (c->ulong == 8)
        return rd64(c, v, what);
    rc = rd32(c, &w, what);
    *v = w;
    return rc;
}

static uint64_t ld_ulong(const struct conv *c, const uint8_t *p)
{
    return c->ulong == 8 ? xsr_ld64(p, XSR_LITTLE_ENDIAN) : xsr_ld32(p, XSR_LITTLE_ENDIAN);
}

/* --------------------------------------------------------- xl header */

static int xl_header(struct conv *c, bool *present)
{
    const uint8_t *p;
    size_t got;
    struct xsr_xl_hdr h;
    int rc;

    *present = false;
    if (c->opts->xl == XSR_LEGACY_XL_ABSENT)
        return 0;
    rc = xsri_lin_peek(&c->in, XSR_XL_MAGIC_SIZE, &p, &got);
    if (rc < 0)
        return rc;
    if (got < XSR_XL_MAGIC_SIZE || memcmp(p, xsr_xl_magic, XSR_XL_MAGIC_SIZE) != 0) {
        if (c->opts->xl == XSR_LEGACY_XL_PRESENT)
            return fail(c, xsri_lin_off(&c->in), XSR_EFORMAT,
                        "no xl header at offset %" PRIu64 ": the input does not start with "
                        "the xl save-file magic", xsri_lin_off(&c->in));
        return 0;
    }
    uint64_t off = xsri_lin_off(&c->in);
    rc = xsri_lin_get(&c->in, XSR_XL_HDR_SIZE, &p, "xl header");
    if (rc < 0)
        return rc;
    rc = xsr_xl_hdr_decode(p, &h, c->err);
    if (rc < 0) {
        xsr_error_locate(c->err, off, XSR_LAYER_XL, XSR_NO_INDEX, 0);
        return rc;
    }
    if (h.mandatory_flags & XSR_XL_FLAG_STREAMV2)
        return fail_xl(c, off, XSR_EUNSUP,
                    "the xl header says a libxl (migration v2) stream follows, not a legacy "
                    "one: use 'xsr convert' to change its stream version");
    if (h.mandatory_flags & ~XSR_XL_FLAGS_KNOWN)
        return fail_xl(c, off, XSR_EUNSUP,
                    "the xl header has unknown mandatory flags %#" PRIx32,
                    h.mandatory_flags & ~XSR_XL_FLAGS_KNOWN);
    if (h.optional_data_len > XL_OPTIONAL_MAX)
        return fail_xl(c, off, XSR_ELIMIT,
                    "the xl header announces %" PRIu32 " bytes of optional data, more than "
                    "the %u MiB accepted", h.optional_data_len, XL_OPTIONAL_MAX >> 20);
    rc = xsri_lin_get(&c->in, h.optional_data_len, &p, "xl header optional data");
    if (rc < 0)
        return rc;
    *present = true;
    c->info->xl_header = true;
    /* Decide the output format now: it is the first thing written. */
    if (c->out.libxl) {
        /* What follows is now a libxl stream. */
        h.mandatory_flags |= XSR_XL_FLAG_STREAMV2;
        return xsr_writer_xl_hdr(c->out.w, &h, p, c->err);
    }
    c->info->xl_header_dropped = true;
    return 0;
}

/* ---------------------------------------------------------- detection */

static int detect(struct conv *c)
{
    const uint8_t *p;
    size_t got;
    struct xsr_legacy_probe probe;
    struct xsr_error e;
    uint64_t off = xsri_lin_off(&c->in);
    int rc = xsri_lin_peek(&c->in, 24, &p, &got), prc;

    if (rc < 0)
        return rc;
    if (got == 0)
        return fail(c, off, XSR_ETRUNC, "the legacy stream ends at offset %" PRIu64 ": the "
                    "input is empty where it should start", off);
    xsr_error_clear(&e);
    prc = xsr_legacy_probe(p, got, &probe, &e);
    if (prc == XSR_EUNSUP && got < 24 && (!c->opts->width || !c->opts->guest))
        return fail(c, off + got, XSR_ETRUNC,
                    "the legacy stream ends at offset %" PRIu64 ", too soon to tell its writer's "
                    "width and guest type", off + got);
    unsigned width = c->opts->width;
    uint32_t guest = c->opts->guest;
    if (width == 0) {
        if (!probe.width)
            return fail(c, off, prc == XSR_EFORMAT ? XSR_EFORMAT : XSR_EUNSUP,
                        "cannot tell the legacy writer's width: %s", e.message);
        width = probe.width;
        c->info->width_detected = true;
    }
    if (guest == 0) {
        if (!probe.guest || probe.width != width)
            return fail(c, off, prc == XSR_EFORMAT ? XSR_EFORMAT : XSR_EUNSUP,
                        "cannot tell the guest type of the legacy stream: %s",
                        probe.guest ? "the stream looks like one of the other width" : e.message);
        guest = probe.guest;
        c->info->guest_detected = true;
    }
    if (width != 32 && width != 64)
        return xsr_error_set(c->err, XSR_EINVAL, "toolstack width %u is neither 32 nor 64", width);
    if (guest != XSR_DOM_X86_PV && guest != XSR_DOM_X86_HVM)
        return xsr_error_set(c->err, XSR_EINVAL, "guest type %" PRIu32 " is neither x86 PV nor HVM",
                             guest);
    c->ulong = width / 8;
    c->pv = guest == XSR_DOM_X86_PV;
    c->info->width = width;
    c->info->guest = guest;
    return 0;
}

/* ------------------------------------------------------- PV header */

/* A block id for messages: non-printable bytes as '.'. */
static const char *block_id(const uint8_t id[4], char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '.';
    out[4] = 0;
    return out;
}

static int ext_info(struct conv *c)
{
    uint64_t off = xsri_lin_off(&c->in), marker;
    uint64_t all_ones = c->ulong == 8 ? UINT64_MAX : UINT32_MAX;
    uint32_t total, so_far = 0;
    bool vcpu = false;
    int rc = rd_ulong(c, &marker, "extended-info marker");

    if (rc < 0)
        return rc;
    if (marker != all_ones)
        return fail(c, off, XSR_EUNSUP,
                    "the PV stream has no extended-info block (marker %#" PRIx64 " at offset %"
                    PRIu64 "): streams older than Xen 3.0 cannot be converted", marker, off);
    rc = rd32(c, &total, "extended-info length");
    while (rc == 0 && so_far < total) {
        uint64_t boff = xsri_lin_off(&c->in);
        uint8_t id[4];
        char idtxt[5];
        uint32_t size;

        rc = xsri_lin_read(&c->in, id, 4, "extended-info block");
        if (rc == 0)
            rc = rd32(c, &size, "extended-info block");
        if (rc < 0)
            return rc;
        if ((uint64_t)so_far + 8 + size > total)
            return fail(c, boff, XSR_EFORMAT,
                        "extended-info block '%s' of %" PRIu32 " bytes at offset %" PRIu64
                        " overruns the %" PRIu32 " bytes the extended info announced",
                        block_id(id, idtxt), size, boff, total);
        so_far += 8 + size;
        if (memcmp(id, "vcpu", 4) == 0) {
            if (vcpu)
                return fail(c, boff, XSR_EFORMAT,
                            "a second 'vcpu' extended-info block at offset %" PRIu64, boff);
            vcpu = true;
            if (size == XSR_LEGACY_EXT_VCPU_64) {
                c->gw = 8;
                c->levels = 4;
            } else if (size == XSR_LEGACY_EXT_VCPU_32) {
                c->gw = 4;
                c->levels = 3;
            } else {
                return fail(c, boff, XSR_EFORMAT,
                            "the 'vcpu' extended-info block is %" PRIu32 " bytes: neither a "
                            "64-bit (%u) nor a 32-bit (%u) vcpu_guest_context",
                            size, XSR_LEGACY_EXT_VCPU_64, XSR_LEGACY_EXT_VCPU_32);
            }
            c->basic_len = size;
            /* Its content (vCPU 0's context) is sent again in the tail. */
            rc = xsri_lin_skip(&c->in, size, "extended-info block");
            if (rc == 0)
                rc = xsri_lout_pv_info(&c->out, c->gw, c->levels);
        } else if (memcmp(id, "extv", 4) == 0) {
            c->extv = true;
            rc = xsri_lin_skip(&c->in, size, "extended-info block");
        } else if (memcmp(id, "xcnt", 4) == 0) {
            if (size < 4)
                return fail(c, boff, XSR_EFORMAT,
                            "the 'xcnt' extended-info block is %" PRIu32 " bytes, too short for "
                            "its 4-byte xsave size", size);
            rc = rd32(c, &c->xsave_len, "extended-info block");
            if (rc == 0)
                rc = xsri_lin_skip(&c->in, size - 4, "extended-info block");
            if (rc < 0)
                return rc;
            if (c->xsave_len && (c->xsave_len < 16 || c->xsave_len - 16 > XSR_REC_LENGTH_MAX - 8))
                return fail(c, boff, XSR_EFORMAT,
                            "the 'xcnt' extended-info block gives an xsave size of %" PRIu32
                            " bytes per vCPU: not between 16 and the record limit", c->xsave_len);
        } else {
            return fail(c, boff, XSR_EFORMAT,
                        "unknown extended-info block '%s' at offset %" PRIu64,
                        block_id(id, idtxt), boff);
        }
    }
    if (rc < 0)
        return rc;
    if (!vcpu)
        return fail(c, off, XSR_EFORMAT,
                    "the extended info has no 'vcpu' block: the guest's width is unknown");
    return 0;
}

static int p2m_frames(struct conv *c)
{
    uint64_t fpp = XSR_PAGE_SIZE / c->gw, n = (c->p2m_size - 1) / fpp + 1;
    uint64_t body = XSR_P2M_FRAMES_HDR_SIZE + 8 * n;
    uint8_t buf[8 * 512];
    int rc;

    if (body > XSR_REC_LENGTH_MAX)
        return fail(c, xsri_lin_off(&c->in), XSR_ELIMIT,
                    "the P2M frame list of %" PRIu64 " entries does not fit in one record", n);
    struct xsr_rhdr rh = { XSR_REC_X86_PV_P2M_FRAMES, (uint32_t)body };
    xsr_rhdr_encode(&rh, XSR_LITTLE_ENDIAN, buf);
    xsr_st32(buf + 8, 0, XSR_LITTLE_ENDIAN);
    xsr_st32(buf + 12, (uint32_t)(c->p2m_size - 1), XSR_LITTLE_ENDIAN);
    rc = xsr_writer_raw(c->out.w, buf, 16, c->err);
    for (uint64_t done = 0; rc == 0 && done < n;) {
        size_t k = n - done < 512 ? (size_t)(n - done) : 512;
        const uint8_t *p;
        rc = xsri_lin_get(&c->in, k * c->ulong, &p, "P2M frame list");
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < k; i++)
            xsr_st64(buf + 8 * i, ld_ulong(c, p + i * c->ulong), XSR_LITTLE_ENDIAN);
        rc = xsr_writer_raw(c->out.w, buf, 8 * k, c->err);
        done += k;
    }
    if (rc == 0)
        c->out.records++;
    return rc;
}

/* ---------------------------------------------------------- page batch */

static int batch(struct conv *c, int32_t count, uint64_t off)
{
    uint32_t n = 0, data = 0;
    const uint8_t *p;
    uint64_t eoff = xsri_lin_off(&c->in);
    int rc;

    if ((uint32_t)count > XSR_LEGACY_MAX_BATCH)
        return fail(c, off, XSR_ELIMIT,
                    "page batch of %" PRId32 " entries at offset %" PRIu64 " exceeds the %u a "
                    "legacy saver sends", count, off, XSR_LEGACY_MAX_BATCH);
    rc = xsri_lin_get(&c->in, (size_t)count * c->ulong, &p, "page batch pfn list");
    if (rc < 0)
        return rc;
    c->info->batches++;
    if (++c->gen == 0) {
        memset(c->seen_gen, 0, sizeof(c->seen_gen));
        c->gen = 1;
    }
    for (int32_t i = 0; i < count; i++) {
        uint64_t v = ld_ulong(c, p + (size_t)i * c->ulong), at = eoff + (uint64_t)i * c->ulong;
        if (v >> 32)
            return fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %" PRIu64 " is %#" PRIx64
                        ": bits above 31 are set", i, at, v);
        uint32_t w = (uint32_t)v;
        if (w == XSR_LEGACY_XTAB_FILLER) {
            c->info->xtab_dropped++;
            continue;
        }
        unsigned type = w >> XSR_LEGACY_TYPE_SHIFT;
        uint32_t pfn = w & XSR_LEGACY_PFN_MASK;
        if (!xsr_pfn_type_valid(type))
            return fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %" PRIu64 " has the invalid page "
                        "type %#x (pfn %#" PRIx32 ")", i, at, type, pfn);
        if (pfn >= c->p2m_size)
            return fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %" PRIu64 " has pfn %#" PRIx32
                        ", beyond the p2m size %#" PRIx64, i, at, pfn, c->p2m_size);
        uint32_t h = (uint32_t)xsri_mix64(pfn) & (2 * XSR_LEGACY_MAX_BATCH - 1);
        while (c->seen_gen[h] == c->gen) {
            if (c->seen_pfn[h] == pfn)
                return fail(c, at, XSR_EFORMAT,
                            "page batch entry %" PRId32 " at offset %" PRIu64 " repeats pfn %#"
                            PRIx32 " of the same batch", i, at, pfn);
            h = (h + 1) & (2 * XSR_LEGACY_MAX_BATCH - 1);
        }
        c->seen_gen[h] = c->gen;
        c->seen_pfn[h] = pfn;
        c->words[n] = w;
        c->out_words[n] = xsr_pfn_word_make(type, pfn);
        if (type < XSR_PFN_BROKEN)
            data++;
        n++;
    }
    if (c->compressing) {
        rc = xsri_remus_batch(c->remus, &c->out, c->words, n, off, c->err);
    } else {
        rc = xsri_lin_get(&c->in, (size_t)data * XSR_PAGE_SIZE, &p, "page data");
        if (rc < 0)
            return rc;
        /* A batch of fillers only: Xen's converter writes an empty PAGE_DATA,
         * which Xen's restore rejects; leave it out. */
        if (n == 0)
            c->info->empty_batches++;
        else
            rc = xsri_lout_page_data(&c->out, n, c->out_words, p, (size_t)data * XSR_PAGE_SIZE);
    }
    if (rc == 0) {
        c->info->pfn_entries += n;
        c->info->data_pages += data;
    }
    return rc;
}

/* -------------------------------------------------------------- chunks */

static int vcpu_info(struct conv *c, uint64_t off)
{
    uint32_t max_id;
    int rc;

    if (c->vcpu_info_seen)
        return fail(c, off, XSR_EFORMAT,
                    "a second vcpu_info chunk in one checkpoint at offset %" PRIu64, off);
    rc = rd32(c, &max_id, "vcpu_info chunk");
    if (rc < 0)
        return rc;
    if ((int32_t)max_id < 0 || max_id > XSR_LEGACY_MAX_VCPU_ID)
        return fail(c, off, XSR_EFORMAT,
                    "vcpu_info chunk at offset %" PRIu64 " gives max vCPU id %" PRId32
                    ", not between 0 and %u", off, (int32_t)max_id, XSR_LEGACY_MAX_VCPU_ID);
    memset(c->vcpumap, 0, sizeof(c->vcpumap));
    for (uint32_t i = 0; i <= max_id / 64; i++) {
        rc = rd64(c, &c->vcpumap[i], "vcpu_info chunk");
        if (rc < 0)
            return rc;
    }
    unsigned high = max_id % 64;
    if (high != 63 && (c->vcpumap[max_id / 64] >> (high + 1)))
        return fail(c, off, XSR_EFORMAT,
                    "vcpu_info chunk at offset %" PRIu64 " marks vCPUs online above its max "
                    "vCPU id %" PRIu32, off, max_id);
    c->max_vcpu_id = max_id;
    c->vcpu_info_seen = true;
    return 0;
}

static int hvm_param(struct conv *c, int32_t id, uint64_t off)
{
    uint8_t b[12];
    int rc;

    if (c->pv)
        return fail(c, off, XSR_EFORMAT,
                    "HVM parameter chunk %s (%" PRId32 ") at offset %" PRIu64 " in a PV stream",
                    xsr_legacy_chunk_name(id), id, off);
    rc = xsri_lin_read(&c->in, b, sizeof(b), xsr_legacy_chunk_name(id));
    if (rc < 0)
        return rc;
    if (c->nparams == MAX_PARAMS)
        return fail(c, off, XSR_ELIMIT,
                    "more than %u HVM parameter chunks in one checkpoint", MAX_PARAMS);
    /* 4 bytes of padding, then the value. */
    c->params[2 * c->nparams] = xsr_legacy_chunk_hvm_param(id);
    c->params[2 * c->nparams + 1] = xsr_ld64(b + 4, XSR_LITTLE_ENDIAN);
    c->nparams++;
    return 0;
}

static int tsc_info(struct conv *c)
{
    uint8_t b[20];
    int rc = xsri_lin_read(&c->in, b, sizeof(b), "tsc_info chunk");

    if (rc < 0)
        return rc;
    struct xsr_tsc_info t = {
        .mode = xsr_ld32(b, XSR_LITTLE_ENDIAN),
        .nsec = xsr_ld64(b + 4, XSR_LITTLE_ENDIAN),
        .khz = xsr_ld32(b + 12, XSR_LITTLE_ENDIAN),
        .incarnation = xsr_ld32(b + 16, XSR_LITTLE_ENDIAN),
        .reserved = 0,
    };
    return xsri_lout_tsc(&c->out, &t);
}

static int xs_append(struct conv *c, const void *p, size_t n)
{
    if (c->xs_cap - c->xs_len < n) {
        size_t cap = c->xs_cap ? c->xs_cap : 1024;
        while (cap - c->xs_len < n)
            cap *= 2;
        uint8_t *q = realloc(c->xenstore, cap);
        if (!q)
            return xsr_error_set(c->err, XSR_ENOMEM, "out of memory for xenstore data");
        c->xenstore = q;
        c->xs_cap = cap;
    }
    memcpy(c->xenstore + c->xs_len, p, n);
    c->xs_len += n;
    return 0;
}

/* Append "physmap/<phys>/<leaf>" or a hex value, each with its NUL. */
static int xs_key(struct conv *c, uint64_t phys, const char *leaf)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "physmap/%" PRIx64 "/%s", phys, leaf);
    return xs_append(c, buf, (size_t)n + 1);
}

static int xs_hex(struct conv *c, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%" PRIx64, v);
    return xs_append(c, buf, (size_t)n + 1);
}

/*
 * libxl's version 1 toolstack record: QEMU physmap entries, which become
 * "physmap/<phys>/{start_addr,size,name}" xenstore keys.  The 64-bit struct
 * had 4 bytes of tail padding that ended up after each name.
 */
static int toolstack(struct conv *c, const uint8_t *d, size_t len, uint64_t off)
{
    uint32_t ver, count;
    size_t pos = 8;

    if (len < 8)
        return fail(c, off, XSR_EFORMAT,
                    "the toolstack chunk at offset %" PRIu64 " is %zu bytes, too short for "
                    "libxl's header", off, len);
    ver = xsr_ld32(d, XSR_LITTLE_ENDIAN);
    count = xsr_ld32(d + 4, XSR_LITTLE_ENDIAN);
    if (ver != 1)
        return fail(c, off, XSR_EUNSUP,
                    "the toolstack chunk at offset %" PRIu64 " has libxl version %" PRIu32
                    "; only version 1 is known", off, ver);
    for (uint32_t i = 0; i < count; i++) {
        if (len - pos < 28)
            return fail(c, off, XSR_EFORMAT,
                        "toolstack physmap entry %" PRIu32 " is truncated", i);
        uint64_t phys = xsr_ld64(d + pos, XSR_LITTLE_ENDIAN);
        uint64_t start = xsr_ld64(d + pos + 8, XSR_LITTLE_ENDIAN);
        uint64_t size = xsr_ld64(d + pos + 16, XSR_LITTLE_ENDIAN);
        uint64_t namelen = xsr_ld32(d + pos + 24, XSR_LITTLE_ENDIAN);
        pos += 28;
        if (namelen == 0)
            return fail(c, off, XSR_EFORMAT, "toolstack physmap entry %" PRIu32 " has no name", i);
        if (c->ulong == 8)
            namelen += 4;
        if (len - pos < namelen)
            return fail(c, off, XSR_EFORMAT,
                        "the name of toolstack physmap entry %" PRIu32 " is truncated", i);
        const uint8_t *name = d + pos;
        size_t nlen = (size_t)namelen - (c->ulong == 8 ? 4 : 0);
        pos += (size_t)namelen;
        if (name[nlen - 1] != 0)
            return fail(c, off, XSR_EFORMAT,
                        "the name of toolstack physmap entry %" PRIu32 " is not NUL-terminated", i);
        int rc = xs_key(c, phys, "start_addr");
        if (rc == 0)
            rc = xs_hex(c, start);
        if (rc == 0)
            rc = xs_key(c, phys, "size");
        if (rc == 0)
            rc = xs_hex(c, size);
        if (rc == 0)
            rc = xs_key(c, phys, "name");
        if (rc == 0)
            rc = xs_append(c, name, nlen); /* the name, NUL included */
        c->xs_entries++;
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int toolstack_chunk(struct conv *c, uint64_t off)
{
    uint32_t size;
    const uint8_t *d;
    int rc = rd32(c, &size, "toolstack chunk");

    if (rc < 0)
        return rc;
    c->info->toolstack_bytes += size;
    if (!c->out.libxl || size == 0)
        return xsri_lin_skip(&c->in, size, "toolstack chunk");
    if (size > TOOLSTACK_MAX)
        return fail(c, off, XSR_ELIMIT,
                    "the toolstack chunk at offset %" PRIu64 " is %" PRIu32 " bytes, more than "
                    "the %u MiB accepted", off, size, TOOLSTACK_MAX >> 20);
    rc = xsri_lin_get(&c->in, size, &d, "toolstack chunk");
    if (rc == 0)
        rc = toolstack(c, d, size, off);
    return rc;
}

static int compressed_data(struct conv *c, uint64_t off)
{
    uint64_t size;
    int rc;

    if (!c->compressing)
        return fail(c, off, XSR_EFORMAT,
                    "compressed page data at offset %" PRIu64 " outside a compressed checkpoint "
                    "(compression starts with the checkpoint after the enable_compression "
                    "chunk)", off);
    rc = rd_ulong(c, &size, "compressed_data chunk");
    if (rc == 0 && size)
        rc = xsri_remus_data(c->remus, &c->in, &c->out, size, xsri_lin_off(&c->in));
    return rc;
}

/* The chunks of one image's body, up to and including the end chunk. */
static int body(struct conv *c)
{
    for (bool first = true;; first = false) {
        uint64_t off = xsri_lin_off(&c->in);
        uint32_t raw;
        int rc = rd32(c, &raw, "chunk header");
        int32_t id = (int32_t)raw;

        if (rc < 0)
            return rc;
        if (first && c->image > 0 && (id > (int32_t)XSR_LEGACY_MAX_BATCH || id < XSR_LEGACY_CHUNK_MIN))
            return fail(c, off, XSR_EFORMAT,
                        "unknown chunk type %" PRId32 " at offset %" PRIu64 ", after the tail of "
                        "image %u (expected %sthe next Remus checkpoint)", id, off, c->image,
                        c->pv ? "" : "a device-model record or ");
        if (id > 0) {
            rc = batch(c, id, off);
        } else if (xsr_legacy_chunk_hvm_param(id)) {
            rc = hvm_param(c, id, off);
        } else {
            switch (id) {
            case XSR_LEGACY_CHUNK_END:
                if (c->compressing)
                    rc = xsri_remus_end(c->remus, off, c->err);
                if (rc == 0)
                    rc = xsri_lout_end_of_memory(&c->out);
                if (rc == 0 && c->nparams)
                    rc = xsri_lout_hvm_params(&c->out, c->params, c->nparams);
                if (rc == 0)
                    c->info->hvm_params += c->nparams;
                return rc;
            case XSR_LEGACY_CHUNK_ENABLE_VERIFY:
                c->info->verify_mode = true;
                break;
            case XSR_LEGACY_CHUNK_VCPU_INFO:
                rc = vcpu_info(c, off);
                break;
            case XSR_LEGACY_CHUNK_TMEM:
            case XSR_LEGACY_CHUNK_TMEM_EXTRA:
                return fail(c, off, XSR_EUNSUP,
                            "%s chunk at offset %" PRIu64 ": transcendent memory (tmem) state "
                            "cannot be converted; tmem was removed in Xen 4.13 and has no "
                            "record in migration v2 streams", xsr_legacy_chunk_name(id), off);
            case XSR_LEGACY_CHUNK_TSC_INFO:
                rc = tsc_info(c);
                break;
            case XSR_LEGACY_CHUNK_LAST_CHECKPOINT:
                c->last_checkpoint = true;
                c->info->last_checkpoint = true;
                break;
            case XSR_LEGACY_CHUNK_COMPRESSED_DATA:
                rc = compressed_data(c, off);
                break;
            case XSR_LEGACY_CHUNK_ENABLE_COMPRESSION:
                c->compression_enabled = true;
                break;
            case XSR_LEGACY_CHUNK_TOOLSTACK:
                rc = toolstack_chunk(c, off);
                break;
            default:
                return fail(c, off, XSR_EFORMAT, "unknown chunk type %" PRId32 " at offset %"
                            PRIu64, id, off);
            }
        }
        if (rc < 0)
            return rc;
    }
}

/* --------------------------------------------------------------- tails */

static int pv_tail(struct conv *c)
{
    uint64_t off = xsri_lin_off(&c->in);
    uint32_t n;
    const uint8_t *p;
    int rc = rd32(c, &n, "unmapped pfn count");

    if (rc < 0)
        return rc;
    if (n > UNMAPPED_MAX)
        return fail(c, off, XSR_EFORMAT,
                    "the PV tail at offset %" PRIu64 " lists %" PRIu32 " unmapped pfns, more "
                    "than the %u a legacy restore accepts", off, n, UNMAPPED_MAX);
    /* Unmapped pfns mean nothing to a v2 restore: dropped, as Xen does. */
    rc = xsri_lin_skip(&c->in, (uint64_t)n * c->ulong, "unmapped pfn list");
    if (rc < 0)
        return rc;
    if (!c->vcpu_info_seen) {
        /* No vcpu_info chunk: vCPU 0 only, as Xen's legacy restore assumes. */
        memset(c->vcpumap, 0, sizeof(c->vcpumap));
        c->vcpumap[0] = 1;
        c->max_vcpu_id = 0;
    }
    c->info->vcpus = 0;
    for (uint32_t v = 0; v <= c->max_vcpu_id; v++) {
        if (!(c->vcpumap[v / 64] >> (v % 64) & 1))
            continue;
        c->info->vcpus++;
        rc = xsri_lin_get(&c->in, c->basic_len, &p, "vCPU context");
        if (rc == 0)
            rc = xsri_lout_vcpu(&c->out, XSR_REC_X86_PV_VCPU_BASIC, v, p, c->basic_len);
        if (rc == 0 && c->extv) {
            rc = xsri_lin_get(&c->in, XSR_LEGACY_EXTV_SIZE, &p, "extended vCPU context");
            if (rc == 0)
                rc = xsri_lout_vcpu(&c->out, XSR_REC_X86_PV_VCPU_EXTENDED, v, p,
                                    XSR_LEGACY_EXTV_SIZE);
        }
        if (rc == 0 && c->xsave_len) {
            uint64_t xoff = xsri_lin_off(&c->in), mask, size;
            rc = rd64(c, &mask, "vCPU xsave header");
            if (rc == 0)
                rc = rd64(c, &size, "vCPU xsave header");
            if (rc < 0)
                return rc;
            if (size != (uint64_t)c->xsave_len - 16)
                return fail(c, xoff, XSR_EFORMAT,
                            "the xsave context of vCPU %" PRIu32 " at offset %" PRIu64 " is %"
                            PRIu64 " bytes, but the extended info announced %" PRIu32,
                            v, xoff, size, c->xsave_len - 16);
            rc = xsri_lin_get(&c->in, (size_t)size, &p, "vCPU xsave context");
            if (rc == 0)
                rc = xsri_lout_vcpu(&c->out, XSR_REC_X86_PV_VCPU_XSAVE, v, p, (uint32_t)size);
        }
        if (rc < 0)
            return rc;
    }
    off = xsri_lin_off(&c->in);
    rc = xsri_lin_get(&c->in, XSR_SHARED_INFO_SIZE, &p, "shared info page");
    if (rc == 0)
        rc = xsri_lout_shared_info(&c->out, p, off);
    return rc;
}

static int hvm_tail(struct conv *c)
{
    uint8_t b[24];
    uint64_t off;
    uint32_t len;
    const uint8_t *p;
    int rc = xsri_lin_read(&c->in, b, sizeof(b), "HVM magic pfns");

    if (rc < 0)
        return rc;
    uint64_t params[6] = {
        5, xsr_ld64(b, XSR_LITTLE_ENDIAN),      /* HVM_PARAM_IOREQ_PFN */
        6, xsr_ld64(b + 8, XSR_LITTLE_ENDIAN),  /* HVM_PARAM_BUFIOREQ_PFN */
        1, xsr_ld64(b + 16, XSR_LITTLE_ENDIAN), /* HVM_PARAM_STORE_PFN */
    };
    rc = xsri_lout_hvm_params(&c->out, params, 3);
    if (rc < 0)
        return rc;
    c->info->hvm_params += 3;
    off = xsri_lin_off(&c->in);
    rc = rd32(c, &len, "HVM context length");
    if (rc < 0)
        return rc;
    if (len == 0)
        return fail(c, off, XSR_EFORMAT, "the HVM context at offset %" PRIu64 " is empty", off);
    if (len > XSR_REC_LENGTH_MAX)
        return fail(c, off, XSR_ELIMIT,
                    "the HVM context at offset %" PRIu64 " is %" PRIu32 " bytes, more than a "
                    "record can hold", off, len);
    rc = xsri_lin_get(&c->in, len, &p, "HVM context");
    if (rc == 0)
        rc = xsri_lout_record(&c->out, XSR_REC_HVM_CONTEXT, p, len);
    return rc;
}

/* The device model after an HVM tail, if any.  Sets *to_eof when it takes
 * the rest of the input. */
static int device_model(struct conv *c, bool *to_eof)
{
    const uint8_t *p;
    size_t got;
    uint64_t off = xsri_lin_off(&c->in);
    int rc = xsri_lin_peek(&c->in, XSR_LEGACY_DM_SIG_SIZE, &p, &got);

    *to_eof = false;
    c->have_dm = false;
    if (rc < 0 || got == 0)
        return rc;
    bool len_prefixed = got == XSR_LEGACY_DM_SIG_SIZE &&
                        (memcmp(p, XSR_LEGACY_DM_SIG, XSR_LEGACY_DM_SIG_SIZE) == 0 ||
                         memcmp(p, XSR_LEGACY_DM_SIG_REMUS, XSR_LEGACY_DM_SIG_SIZE) == 0);
    bool qemu = got == XSR_LEGACY_DM_SIG_SIZE &&
                memcmp(p, XSR_LEGACY_DM_SIG_QEMU, XSR_LEGACY_DM_SIG_SIZE) == 0;
    if (!len_prefixed && !qemu) {
        if (got < XSR_LEGACY_DM_SIG_SIZE &&
            (memcmp(p, XSR_LEGACY_DM_SIG, got) == 0 || memcmp(p, XSR_LEGACY_DM_SIG_REMUS, got) == 0 ||
             memcmp(p, XSR_LEGACY_DM_SIG_QEMU, got) == 0))
            return fail(c, off, XSR_ETRUNC,
                        "the legacy stream ends at offset %" PRIu64 " inside the device-model "
                        "signature that starts at offset %" PRIu64, off + got, off);
        if (c->last_checkpoint) {
            char sig[XSR_LEGACY_DM_SIG_SIZE + 1];
            for (size_t i = 0; i < XSR_LEGACY_DM_SIG_SIZE; i++)
                sig[i] = i < got && p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
            sig[XSR_LEGACY_DM_SIG_SIZE] = 0;
            return fail(c, off, XSR_EFORMAT,
                        "unknown device-model signature '%s' at offset %" PRIu64, sig, off);
        }
        return 0; /* the next checkpoint, or an error there */
    }
    rc = xsri_lin_skip(&c->in, XSR_LEGACY_DM_SIG_SIZE, "device-model signature");
    if (rc < 0)
        return rc;
    if (len_prefixed) {
        uint32_t len;
        rc = rd32(c, &len, "device-model record length");
        if (rc < 0)
            return rc;
        if (len > XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE)
            return fail(c, off, XSR_ELIMIT,
                        "the device-model record at offset %" PRIu64 " is %" PRIu32 " bytes, "
                        "more than a record can hold", off, len);
        rc = xsri_lin_get(&c->in, len, &c->dm, "device-model record");
        if (rc < 0)
            return rc;
        c->dm_len = len;
    } else {
        /* The old live-migration record: QEMU's data up to the end. */
        size_t cap = 0, len = 0, got_now;
        do {
            if (len == cap) {
                if (cap >= XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE)
                    return fail(c, off, XSR_ELIMIT,
                                "the device-model data from offset %" PRIu64 " to the end is "
                                "more than a record can hold", off);
                cap = cap ? cap * 2 : 1u << 20;
                if (cap > XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE)
                    cap = XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE;
                uint8_t *q = realloc(c->dm_buf, cap);
                if (!q)
                    return xsr_error_set(c->err, XSR_ENOMEM, "out of memory for the device model");
                c->dm_buf = q;
            }
            rc = xsri_lin_read_some(&c->in, c->dm_buf + len, cap - len, &got_now);
            if (rc < 0)
                return rc;
            len += got_now;
        } while (got_now);
        c->dm = c->dm_buf;
        c->dm_len = (uint32_t)len;
        *to_eof = true;
    }
    c->have_dm = true;
    c->info->device_model = true;
    c->info->device_model_bytes += c->dm_len;
    return 0;
}

/* ------------------------------------------------------------ images */

static void reset_image(struct conv *c)
{
    c->vcpu_info_seen = false;
    c->nparams = 0;
    c->xs_len = 0;
    c->xs_entries = 0;
    c->have_dm = false;
    c->dm = NULL;
    c->dm_len = 0;
}

/* After an image: write its end, and tell whether another follows. */
static int end_image(struct conv *c, bool *more)
{
    bool final = false, to_eof = false;
    int rc = 0;

    if (!c->pv)
        rc = device_model(c, &to_eof);
    if (rc < 0)
        return rc;
    if (to_eof) {
        final = true;
    } else if (c->last_checkpoint) {
        /* The stream said this was its last image: what follows is not
         * part of it (Xen's restore does not read it either). */
        uint64_t n;
        rc = xsri_lin_drain(&c->in, &n);
        if (rc < 0)
            return rc;
        c->info->trailing_bytes += n;
        final = true;
    } else {
        const uint8_t *p;
        size_t got;
        rc = xsri_lin_peek(&c->in, 1, &p, &got);
        if (rc < 0)
            return rc;
        final = got == 0;
    }
    if (!final)
        c->checkpointed = true;
    if (c->checkpointed && !c->pv && c->have_dm && !c->out.libxl)
        return fail(c, xsri_lin_off(&c->in), XSR_EUNSUP,
                    "a checkpointed HVM stream carries a device model per checkpoint, which "
                    "only a libxl stream can hold: convert with the libxl format");

    /* libxc part */
    rc = xsri_lout_end_image(&c->out, !c->checkpointed);
    /* libxl part.  Physmap keys of a PV guest (which has no device model)
     * would make libxl refuse the stream: left out. */
    if (c->pv && c->xs_len) {
        c->info->physmap_dropped += c->xs_entries;
        c->xs_len = 0;
    }
    if (rc == 0 && c->out.libxl && c->xs_len)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, c->xenstore,
                             c->xs_len, true);
    if (rc == 0 && c->out.libxl && c->have_dm)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_EMULATOR_CONTEXT, c->dm, c->dm_len, true);
    if (rc == 0 && c->out.libxl && c->checkpointed)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_CHECKPOINT_END, NULL, 0, false);
    if (rc == 0 && !c->out.libxl && c->have_dm) {
        /* A bare libxc stream: the device model follows the END as it
         * did in the legacy stream. */
        uint8_t len[4];
        xsr_st32(len, c->dm_len, XSR_LITTLE_ENDIAN);
        rc = xsr_writer_raw(c->out.w, XSR_LEGACY_DM_SIG, XSR_LEGACY_DM_SIG_SIZE, c->err);
        if (rc == 0)
            rc = xsr_writer_raw(c->out.w, len, 4, c->err);
        if (rc == 0)
            rc = xsr_writer_raw(c->out.w, c->dm, c->dm_len, c->err);
    }
    if (rc == 0 && final && c->checkpointed)
        rc = xsri_lout_record(&c->out, XSR_REC_END, NULL, 0);
    if (rc == 0 && final && c->out.libxl)
        rc = xsri_lout_libxl(&c->out, XSR_LIBXL_REC_END, NULL, 0, false);
    *more = !final;
    return rc;
}

static int convert(struct conv *c)
{
    bool xl, more = true;
    uint64_t off;
    int rc;

    rc = xl_header(c, &xl);
    if (rc < 0)
        return rc;
    rc = detect(c);
    if (rc < 0)
        return rc;
    off = xsri_lin_off(&c->in);
    rc = rd_ulong(c, &c->p2m_size, "p2m size");
    if (rc < 0)
        return rc;
    if (c->p2m_size == 0 || c->p2m_size > (1ULL << 32))
        return fail(c, off, XSR_EFORMAT,
                    "the p2m size %#" PRIx64 " at offset %" PRIu64 " is not between 1 and 2^32",
                    c->p2m_size, off);
    c->info->p2m_size = c->p2m_size;
    c->out.pv = c->pv;
    rc = xsri_lout_headers(&c->out, c->pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
    if (rc == 0 && c->pv)
        rc = ext_info(c);
    if (rc == 0)
        rc = xsri_lout_record(&c->out, XSR_REC_STATIC_DATA_END, NULL, 0);
    if (rc == 0 && c->pv) {
        c->info->guest_width = c->gw;
        c->info->pt_levels = c->levels;
        rc = p2m_frames(c);
    }
    for (c->image = 0; rc == 0 && more; c->image++) {
        reset_image(c);
        rc = body(c);
        if (rc == 0)
            rc = c->pv ? pv_tail(c) : hvm_tail(c);
        if (rc == 0)
            rc = end_image(c, &more);
        if (rc == 0 && more && c->compression_enabled && !c->compressing) {
            c->remus = xsri_remus_new(c->opts->delta_cache, c->err);
            if (!c->remus)
                return XSR_ENOMEM;
            c->compressing = true;
            c->info->compressed = true;
        }
    }
    c->info->checkpoints = c->image;
    if (c->remus)
        c->info->compressed_pages = xsri_remus_pages(c->remus);
    return rc;
}

int xsr_convert_legacy(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_legacy_opts *o,
                       struct xsr_legacy_info *info, struct xsr_error *err)
{
    static const struct xsr_legacy_opts defaults;
    struct xsr_legacy_info scratch_info;
    struct conv *c;
    int rc;

    if (!o)
        o = &defaults;
    if (!info)
        info = &scratch_info;
    memset(info, 0, sizeof(*info));
    if (!in || !out)
        return xsr_error_set(err, XSR_EINVAL, "legacy conversion needs an input and an output");
    if (o->version != 0 && o->version != 3 && o->version != 4)
        return xsr_error_set(err, XSR_EINVAL,
                             "a legacy stream converts to stream version 3 or 4, not %" PRIu32,
                             o->version);
    if (o->format != XSR_LAYER_NONE && o->format != XSR_LAYER_LIBXC && o->format != XSR_LAYER_LIBXL)
        return xsr_error_set(err, XSR_EINVAL, "a legacy stream converts to a libxc or libxl stream");
    if ((o->width && o->width != 32 && o->width != 64) ||
        (o->guest && o->guest != XSR_DOM_X86_PV && o->guest != XSR_DOM_X86_HVM))
        return xsr_error_set(err, XSR_EINVAL, "width must be 32 or 64 and guest PV or HVM");
    c = calloc(1, sizeof(*c));
    if (!c)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    c->err = err;
    c->opts = o;
    c->info = info;
    xsri_lin_init(&c->in, in, err);
    c->in.progress = o->progress;
    c->in.progress_ctx = o->progress_ctx;
    c->out.err = err;
    c->out.version = o->version ? o->version : 3;
    c->out.w = xsr_writer_new(out, 0, err);
    rc = c->out.w ? 0 : XSR_ENOMEM;
    if (rc == 0) {
        /* Output format: libxl when asked, or by default when an xl header
         * comes first (xl needs a libxl stream behind its header). */
        if (o->format != XSR_LAYER_NONE) {
            c->out.libxl = o->format == XSR_LAYER_LIBXL;
        } else if (o->xl != XSR_LEGACY_XL_ABSENT) {
            const uint8_t *p;
            size_t got;
            rc = xsri_lin_peek(&c->in, XSR_XL_MAGIC_SIZE, &p, &got);
            c->out.libxl = rc == 0 && got == XSR_XL_MAGIC_SIZE &&
                           memcmp(p, xsr_xl_magic, XSR_XL_MAGIC_SIZE) == 0;
        }
    }
    if (rc == 0)
        rc = convert(c);
    if (c->out.w) {
        int frc = rc == 0 ? xsr_writer_flush(c->out.w, err) : 0;
        info->out_bytes = xsr_writer_offset(c->out.w);
        xsr_writer_free(c->out.w, NULL);
        if (rc == 0)
            rc = frc;
    }
    info->format = c->out.libxl ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC;
    info->version = c->out.version;
    info->in_bytes = xsri_lin_off(&c->in);
    if (rc == 0 && o->progress)
        o->progress(o->progress_ctx, info->in_bytes, c->in.size);
    xsri_lout_fini(&c->out);
    xsri_lin_fini(&c->in);
    xsri_remus_free(c->remus);
    free(c->xenstore);
    free(c->dm_buf);
    free(c);
    return rc;
}
