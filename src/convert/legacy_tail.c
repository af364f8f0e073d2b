/* SPDX-License-Identifier: MIT */
/*
 * The tail of a legacy image: PV vCPU contexts and shared info, or HVM
 * magic pfns and context; then an HVM guest's device-model record.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_conv.h"

int xsri_lc_pv_tail(struct xsri_conv *c)
{
    uint64_t off = xsri_lin_off(&c->in);
    uint32_t n;
    const uint8_t *p;
    int rc = xsri_lc_rd32(c, &n, "unmapped pfn count");

    if (rc < 0)
        return rc;
    if (n > UNMAPPED_MAX)
        return xsri_lc_fail(c, off, XSR_EFORMAT,
                    "the PV tail at offset %#" PRIx64 " lists %" PRIu32 " unmapped pfns, more "
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
            rc = xsri_lc_rd64(c, &mask, "vCPU xsave header");
            if (rc == 0)
                rc = xsri_lc_rd64(c, &size, "vCPU xsave header");
            if (rc < 0)
                return rc;
            if (size != (uint64_t)c->xsave_len - 16)
                return xsri_lc_fail(c, xoff, XSR_EFORMAT,
                            "the xsave context of vCPU %" PRIu32 " at offset %#" PRIx64 " is %"
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

int xsri_lc_hvm_tail(struct xsri_conv *c)
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
    rc = xsri_lc_rd32(c, &len, "HVM context length");
    if (rc < 0)
        return rc;
    if (len == 0)
        return xsri_lc_fail(c, off, XSR_EFORMAT, "the HVM context at offset %#" PRIx64 " is empty", off);
    if (len > XSR_REC_LENGTH_MAX)
        return xsri_lc_fail(c, off, XSR_ELIMIT,
                    "the HVM context at offset %#" PRIx64 " is %" PRIu32 " bytes, more than a "
                    "record can hold", off, len);
    rc = xsri_lin_get(&c->in, len, &p, "HVM context");
    if (rc == 0)
        rc = xsri_lout_record(&c->out, XSR_REC_HVM_CONTEXT, p, len);
    return rc;
}

int xsri_lc_device_model(struct xsri_conv *c, bool *to_eof)
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
            return xsri_lc_fail(c, off, XSR_ETRUNC,
                        "the legacy stream ends at offset %#" PRIx64 " inside the device-model "
                        "signature that starts at offset %#" PRIx64, off + got, off);
        if (c->last_checkpoint) {
            char sig[XSR_LEGACY_DM_SIG_SIZE + 1];
            for (size_t i = 0; i < XSR_LEGACY_DM_SIG_SIZE; i++)
                sig[i] = i < got && p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
            sig[XSR_LEGACY_DM_SIG_SIZE] = 0;
            return xsri_lc_fail(c, off, XSR_EFORMAT,
                        "unknown device-model signature '%s' at offset %#" PRIx64, sig, off);
        }
        return 0; /* the next checkpoint, or an error there */
    }
    rc = xsri_lin_skip(&c->in, XSR_LEGACY_DM_SIG_SIZE, "device-model signature");
    if (rc < 0)
        return rc;
    if (len_prefixed) {
        uint32_t len;
        rc = xsri_lc_rd32(c, &len, "device-model record length");
        if (rc < 0)
            return rc;
        if (len > XSR_REC_LENGTH_MAX - XSR_EMULATOR_HDR_SIZE)
            return xsri_lc_fail(c, off, XSR_ELIMIT,
                        "the device-model record at offset %#" PRIx64 " is %" PRIu32 " bytes, "
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
                    return xsri_lc_fail(c, off, XSR_ELIMIT,
                                "the device-model data from offset %#" PRIx64 " to the end is "
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

