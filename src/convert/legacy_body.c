/* SPDX-License-Identifier: MIT */
/*
 * The body of a legacy image: page batches (with their pages, or in a
 * compressed Remus checkpoint their pfns only) and the metadata chunks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_conv.h"

/* ---------------------------------------------------------- page batch */

static int batch(struct xsri_conv *c, int32_t count, uint64_t off)
{
    uint32_t n = 0, data = 0;
    const uint8_t *p;
    uint64_t eoff = xsri_lin_off(&c->in);
    int rc;

    if ((uint32_t)count > XSR_LEGACY_MAX_BATCH)
        return xsri_lc_fail(c, off, XSR_ELIMIT,
                    "page batch of %" PRId32 " entries at offset %#" PRIx64 " exceeds the %u a "
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
        uint64_t v = xsri_lc_ld_ulong(c, p + (size_t)i * c->ulong), at = eoff + (uint64_t)i * c->ulong;
        if (v >> 32)
            return xsri_lc_fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %#" PRIx64 " is %#" PRIx64
                        ": bits above 31 are set", i, at, v);
        uint32_t w = (uint32_t)v;
        if (w == XSR_LEGACY_XTAB_FILLER) {
            c->info->xtab_dropped++;
            continue;
        }
        unsigned type = w >> XSR_LEGACY_TYPE_SHIFT;
        uint32_t pfn = w & XSR_LEGACY_PFN_MASK;
        if (!xsr_pfn_type_valid(type))
            return xsri_lc_fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %#" PRIx64 " has the invalid page "
                        "type %#x (pfn %#" PRIx32 ")", i, at, type, pfn);
        if (pfn >= c->p2m_size)
            return xsri_lc_fail(c, at, XSR_EFORMAT,
                        "page batch entry %" PRId32 " at offset %#" PRIx64 " has pfn %#" PRIx32
                        ", beyond the p2m size %#" PRIx64, i, at, pfn, c->p2m_size);
        uint32_t h = (uint32_t)xsri_mix64(pfn) & (2 * XSR_LEGACY_MAX_BATCH - 1);
        while (c->seen_gen[h] == c->gen) {
            if (c->seen_pfn[h] == pfn)
                return xsri_lc_fail(c, at, XSR_EFORMAT,
                            "page batch entry %" PRId32 " at offset %#" PRIx64 " repeats pfn %#"
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

static int vcpu_info(struct xsri_conv *c, uint64_t off)
{
    uint32_t max_id;
    int rc;

    if (c->vcpu_info_seen)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "a second vcpu_info chunk in one checkpoint at offset %#" PRIx64, off);
    rc = xsri_lc_rd32(c, &max_id, "vcpu_info chunk");
    if (rc < 0)
        return rc;
    if ((int32_t)max_id < 0 || max_id > XSR_LEGACY_MAX_VCPU_ID)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "vcpu_info chunk at offset %#" PRIx64 " gives max vCPU id %" PRId32
                    ", not between 0 and %u", off, (int32_t)max_id, XSR_LEGACY_MAX_VCPU_ID);
    memset(c->vcpumap, 0, sizeof(c->vcpumap));
    for (uint32_t i = 0; i <= max_id / 64; i++) {
        rc = xsri_lc_rd64(c, &c->vcpumap[i], "vcpu_info chunk");
        if (rc < 0)
            return rc;
    }
    unsigned high = max_id % 64;
    if (high != 63 && (c->vcpumap[max_id / 64] >> (high + 1)))
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "vcpu_info chunk at offset %#" PRIx64 " marks vCPUs online above its max "
                    "vCPU id %" PRIu32, off, max_id);
    c->max_vcpu_id = max_id;
    c->vcpu_info_seen = true;
    return 0;
}

static int hvm_param(struct xsri_conv *c, int32_t id, uint64_t off)
{
    uint8_t b[12];
    int rc;

    if (c->pv)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "HVM parameter chunk %s (%" PRId32 ") at offset %#" PRIx64 " in a PV stream",
                    xsr_legacy_chunk_name(id), id, off);
    rc = xsri_lin_read(&c->in, b, sizeof(b), xsr_legacy_chunk_name(id));
    if (rc < 0)
        return rc;
    if (c->nparams == MAX_PARAMS)
        return xsri_lc_fail(c, off, XSR_ELIMIT,
                    "more than %u HVM parameter chunks in one checkpoint", MAX_PARAMS);
    /* 4 bytes of padding, then the value. */
    c->params[2 * c->nparams] = xsr_legacy_chunk_hvm_param(id);
    c->params[2 * c->nparams + 1] = xsr_ld64(b + 4, XSR_LITTLE_ENDIAN);
    c->nparams++;
    return 0;
}

static int tsc_info(struct xsri_conv *c)
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

static int xs_append(struct xsri_conv *c, const void *p, size_t n)
{
    /* The keys of all toolstack chunks of the image go into one record:
     * bounded by it, however many chunks the stream holds. */
    if (n > XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE - c->xs_len)
        return xsr_error_set(c->err, XSR_ELIMIT,
                             "the physmap entries of the image's toolstack chunks need more than "
                             "the %u bytes an EMULATOR_XENSTORE_DATA record holds",
                             XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE);
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
static int xs_key(struct xsri_conv *c, uint64_t phys, const char *leaf)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "physmap/%" PRIx64 "/%s", phys, leaf);
    return xs_append(c, buf, (size_t)n + 1);
}

static int xs_hex(struct xsri_conv *c, uint64_t v)
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
static int toolstack(struct xsri_conv *c, const uint8_t *d, size_t len, uint64_t off)
{
    uint32_t ver, count;
    size_t pos = 8;

    if (len < 8)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "the toolstack chunk at offset %#" PRIx64 " is %zu bytes, too short for "
                    "libxl's header", off, len);
    ver = xsr_ld32(d, XSR_LITTLE_ENDIAN);
    count = xsr_ld32(d + 4, XSR_LITTLE_ENDIAN);
    if (ver != 1)
        return xsri_lc_fail(c, off, XSR_EUNSUP,
                    "the toolstack chunk at offset %#" PRIx64 " has libxl version %" PRIu32
                    "; only version 1 is known", off, ver);
    for (uint32_t i = 0; i < count; i++) {
        if (len - pos < 28)
            return xsri_lc_fail(c, off, XSR_EFORMAT,
                        "toolstack physmap entry %" PRIu32 " is truncated", i);
        uint64_t phys = xsr_ld64(d + pos, XSR_LITTLE_ENDIAN);
        uint64_t start = xsr_ld64(d + pos + 8, XSR_LITTLE_ENDIAN);
        uint64_t size = xsr_ld64(d + pos + 16, XSR_LITTLE_ENDIAN);
        uint64_t namelen = xsr_ld32(d + pos + 24, XSR_LITTLE_ENDIAN);
        pos += 28;
        if (namelen == 0)
            return xsri_lc_fail(c, off, XSR_EFORMAT, "toolstack physmap entry %" PRIu32 " has no name", i);
        if (c->ulong == 8)
            namelen += 4;
        if (len - pos < namelen)
            return xsri_lc_fail(c, off, XSR_EFORMAT,
                        "the name of toolstack physmap entry %" PRIu32 " is truncated", i);
        const uint8_t *name = d + pos;
        size_t nlen = (size_t)namelen - (c->ulong == 8 ? 4 : 0);
        pos += (size_t)namelen;
        if (name[nlen - 1] != 0)
            return xsri_lc_fail(c, off, XSR_EFORMAT,
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
        if (rc == XSR_ELIMIT)
            xsr_error_locate(c->err, off, XSR_LAYER_LEGACY, XSR_NO_INDEX, 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int toolstack_chunk(struct xsri_conv *c, uint64_t off)
{
    uint32_t size;
    const uint8_t *d;
    int rc = xsri_lc_rd32(c, &size, "toolstack chunk");

    if (rc < 0)
        return rc;
    c->info->toolstack_bytes += size;
    if (!c->out.libxl || size == 0)
        return xsri_lin_skip(&c->in, size, "toolstack chunk");
    if (size > TOOLSTACK_MAX)
        return xsri_lc_fail(c, off, XSR_ELIMIT,
                    "the toolstack chunk at offset %#" PRIx64 " is %" PRIu32 " bytes, more than "
                    "the %u MiB accepted", off, size, TOOLSTACK_MAX >> 20);
    rc = xsri_lin_get(&c->in, size, &d, "toolstack chunk");
    if (rc == 0)
        rc = toolstack(c, d, size, off);
    return rc;
}

static int compressed_data(struct xsri_conv *c, uint64_t off)
{
    uint64_t size;
    int rc;

    if (!c->compressing)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "compressed page data at offset %#" PRIx64 " outside a compressed checkpoint "
                    "(compression starts with the checkpoint after the enable_compression "
                    "chunk)", off);
    rc = xsri_lc_rd_ulong(c, &size, "compressed_data chunk");
    if (rc == 0 && size)
        rc = xsri_remus_data(c->remus, &c->in, &c->out, size, xsri_lin_off(&c->in));
    return rc;
}

int xsri_lc_body(struct xsri_conv *c)
{
    for (bool first = true;; first = false) {
        uint64_t off = xsri_lin_off(&c->in);
        uint32_t raw;
        int rc = xsri_lc_rd32(c, &raw, "chunk header");
        int32_t id = (int32_t)raw;

        if (rc < 0)
            return rc;
        if (first && c->image > 0 && (id > (int32_t)XSR_LEGACY_MAX_BATCH || id < XSR_LEGACY_CHUNK_MIN))
            return xsri_lc_fail(c, off, XSR_EFORMAT,
                        "unknown chunk type %" PRId32 " at offset %#" PRIx64 ", after the tail of "
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
                return xsri_lc_fail(c, off, XSR_EUNSUP,
                            "%s chunk at offset %#" PRIx64 ": transcendent memory (tmem) state "
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
                return xsri_lc_fail(c, off, XSR_EFORMAT, "unknown chunk type %" PRId32 " at offset %#"
                            PRIx64, id, off);
            }
        }
        if (rc < 0)
            return rc;
    }
}

