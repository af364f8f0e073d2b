/* SPDX-License-Identifier: MIT */
/*
 * The PV parts of a save (Xen's xg_sr_save_x86_pv.c): X86_PV_INFO, the P2M
 * frame list, page tables normalised (every present entry's frame MFN ->
 * PFN, Xen's own slots cleared, every other bit kept), and the vCPU
 * records with their frame fields translated.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_FRAME 0x000ffffffffff000ull
#define PT_ENTRIES 512u

static int pv_static_data(struct xsri_save *s, struct xsr_error *err)
{
    struct xsr_pv_info pi = {.guest_width = (uint8_t)s->info.guest_width,
                             .pt_levels = (uint8_t)s->info.pt_levels};
    if ((pi.guest_width != 8 || pi.pt_levels != 4) && (pi.guest_width != 4 || pi.pt_levels != 3))
        return xsr_error_set(err, XSR_EUNSUP, "save: a PV guest of width %u with %u levels",
                             pi.guest_width, pi.pt_levels);
    uint8_t b[XSR_PV_INFO_SIZE];
    xsr_pv_info_encode(&pi, XSR_LITTLE_ENDIAN, b);
    return xsr_builder_record(s->b, XSR_REC_X86_PV_INFO, b, sizeof(b), err);
}

static int mfns_to_pfns(struct xsri_save *s, const uint64_t *mfns, uint32_t n, uint64_t *pfns,
                        struct xsr_error *err)
{
    return XSR_DOMAIN_CALL(s->d, mfn_to_pfn, err, mfns, n, pfns, err);
}

/* One X86_PV_P2M_FRAMES record for pfns 0..max_pfn, its frames as PFNs. */
static int pv_start_of_stream(struct xsri_save *s, struct xsr_error *err)
{
    if (s->info.max_pfn > UINT32_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "save: a PV max pfn above 2^32");
    uint64_t want = xsr_p2m_frames_expected(0, (uint32_t)s->info.max_pfn, s->info.guest_width);
    size_t n = 0;
    int rc = XSR_DOMAIN_CALL(s->d, get_p2m_frames, err, NULL, 0, &n, err);
    if (rc < 0)
        return rc;
    if (n != want)
        return xsr_error_set(err, XSR_EFAULT,
                             "save: the guest's P2M is held in %zu frames where %" PRIu64
                             " cover pfns 0..%#" PRIx64, n, want, s->info.max_pfn);
    size_t len = XSR_P2M_FRAMES_HDR_SIZE + n * 8;
    uint64_t *mfns = malloc(n * 8), *pfns = malloc(n * 8);
    uint8_t *body = malloc(len);
    if (!mfns || !pfns || !body)
        rc = xsr_error_set(err, XSR_ENOMEM, "save: no memory for the P2M frame list");
    if (rc == 0)
        rc = s->d->ops->get_p2m_frames(s->d, mfns, n, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i += XSR_PAGE_BATCH_MAX) {
        uint32_t k = (uint32_t)(n - i < XSR_PAGE_BATCH_MAX ? n - i : XSR_PAGE_BATCH_MAX);
        rc = mfns_to_pfns(s, mfns + i, k, pfns + i, err);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (pfns[i] == XSR_INVALID_FRAME)
            rc = xsr_error_set(err, XSR_EFAULT, "save: P2M frame %zu (mfn %#" PRIx64
                                                ") is not the guest's", i, mfns[i]);
        xsr_st64(body + XSR_P2M_FRAMES_HDR_SIZE + 8 * i, pfns[i], XSR_LITTLE_ENDIAN);
    }
    if (rc == 0) {
        xsr_st32(body, 0, XSR_LITTLE_ENDIAN);
        xsr_st32(body + 4, (uint32_t)s->info.max_pfn, XSR_LITTLE_ENDIAN);
        rc = xsr_builder_record(s->b, XSR_REC_X86_PV_P2M_FRAMES, body, (uint32_t)len, err);
    }
    free(mfns);
    free(pfns);
    free(body);
    return rc;
}

/* Xen's slots of a table, which a saver clears: [*lo, *hi). */
static int xen_slots(struct xsri_save *s, unsigned level, const uint8_t *page, unsigned *lo,
                     unsigned *hi, uint64_t pfn, struct xsr_error *err)
{
    *lo = *hi = 0;
    if (s->info.guest_width == 8) {
        if (level == 4) {
            *lo = 256;
            *hi = 272;
        }
        return 0;
    }
    if (level == 4)
        return xsr_error_set(err, XSR_EFORMAT, "save: an L4 table (pfn %#" PRIx64
                                               ") in a 32-bit guest", pfn);
    if (level == 3) {
        *lo = 4;
        *hi = PT_ENTRIES;
    } else if (level == 2) {
        uint64_t e = xsr_ld64(page + 428 * 8, XSR_LITTLE_ENDIAN);
        if ((e & PTE_PRESENT) && s->info.compat_m2p_mfn0 != XSR_INVALID_FRAME &&
            ((e & PTE_FRAME) >> 12) == s->info.compat_m2p_mfn0) {
            *lo = 428;
            *hi = PT_ENTRIES;
        }
    }
    return 0;
}

static int pv_normalise_table(struct xsri_save *s, uint64_t pfn, unsigned type, uint8_t *page,
                              bool *defer, struct xsr_error *err)
{
    unsigned level = type & 0x7u, lo, hi;
    int rc = xen_slots(s, level, page, &lo, &hi, pfn, err);
    if (rc < 0)
        return rc;
    if (hi > lo)
        memset(page + lo * 8, 0, (hi - lo) * 8);
    uint64_t mfns[PT_ENTRIES], pfns[PT_ENTRIES];
    unsigned idx[PT_ENTRIES], n = 0;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = xsr_ld64(page + i * 8, XSR_LITTLE_ENDIAN);
        if (!(e & PTE_PRESENT))
            continue;
        if (level >= 2 && (e & PTE_PSE))
            return xsr_error_set(err, XSR_EUNSUP, "save: L%u table at pfn %#" PRIx64
                                                  " maps a superpage (slot %u): cannot migrate",
                                 level, pfn, i);
        mfns[n] = (e & PTE_FRAME) >> 12;
        idx[n++] = i;
    }
    if (n && (rc = mfns_to_pfns(s, mfns, n, pfns, err)) < 0)
        return rc;
    for (unsigned j = 0; j < n; j++) {
        if (pfns[j] == XSR_INVALID_FRAME || pfns[j] > s->info.max_pfn) {
            if (!s->paused && !s->info.paused) {
                *defer = true; /* the guest is changing it: send it again paused */
                return 0;
            }
            return xsr_error_set(err, XSR_EFAULT, "save: L%u table at pfn %#" PRIx64 " slot %u "
                                                  "maps mfn %#" PRIx64 ", which is not the guest's",
                                 level, pfn, idx[j], mfns[j]);
        }
        uint64_t *slot = (uint64_t *)(void *)(page + idx[j] * 8);
        uint64_t e = xsr_ld64(page + idx[j] * 8, XSR_LITTLE_ENDIAN);
        e = (e & ~PTE_FRAME) | (pfns[j] << 12);
        xsr_st64((uint8_t *)slot, e, XSR_LITTLE_ENDIAN);
    }
    return 0;
}

static uint64_t ld_word(const uint8_t *p, unsigned word)
{
    return word == 8 ? xsr_ld64(p, XSR_LITTLE_ENDIAN) : xsr_ld32(p, XSR_LITTLE_ENDIAN);
}

static void st_word(uint8_t *p, unsigned word, uint64_t v)
{
    if (word == 8)
        xsr_st64(p, v, XSR_LITTLE_ENDIAN);
    else
        xsr_st32(p, (uint32_t)v, XSR_LITTLE_ENDIAN);
}

static int one_pfn(struct xsri_save *s, uint64_t mfn, uint64_t *pfn, const char *what, uint32_t v,
                   struct xsr_error *err)
{
    int rc = mfns_to_pfns(s, &mfn, 1, pfn, err);
    if (rc == 0 && *pfn == XSR_INVALID_FRAME)
        rc = xsr_error_set(err, XSR_EFAULT, "save: vCPU %" PRIu32 "'s %s (mfn %#" PRIx64
                                            ") is not the guest's", v, what, mfn);
    return rc;
}

/* The frame fields of vcpu_guest_context, MFN -> PFN (write_one_vcpu_basic). */
static int normalise_basic(struct xsri_save *s, uint32_t v, uint8_t *c, size_t len,
                           struct xsr_error *err)
{
    const struct xsr_pv_vcpu_layout *l = xsr_pv_vcpu_layout(s->info.guest_width);
    if (!l || len != l->size)
        return xsr_error_set(err, XSR_EFAULT, "save: vCPU %" PRIu32 "'s context is %zu bytes, "
                                              "not %" PRIu32, v, len, l ? l->size : 0);
    unsigned w = l->word;
    uint64_t pfn;
    int rc = 0;
    if (v == 0) {
        rc = one_pfn(s, ld_word(c + l->rdx, w), &pfn, "start info", v, err);
        if (rc == 0)
            st_word(c + l->rdx, w, pfn);
    }
    uint64_t ents = ld_word(c + l->gdt_ents, w);
    uint64_t frames = (ents + XSR_PV_GDT_ENTS_PER_FRAME - 1) / XSR_PV_GDT_ENTS_PER_FRAME;
    if (frames > XSR_PV_GDT_FRAMES)
        return xsr_error_set(err, XSR_EFAULT, "save: vCPU %" PRIu32 " has %" PRIu64
                                              " GDT entries", v, ents);
    for (uint64_t i = 0; rc == 0 && i < frames; i++) {
        rc = one_pfn(s, ld_word(c + l->gdt_frames + i * w, w), &pfn, "GDT frame", v, err);
        if (rc == 0)
            st_word(c + l->gdt_frames + i * w, w, pfn);
    }
    uint8_t *cr3 = c + l->ctrlreg + 3 * w;
    if (rc == 0)
        rc = one_pfn(s, xsr_pv_cr3_to_frame(ld_word(cr3, w), s->info.guest_width), &pfn, "cr3",
                     v, err);
    if (rc == 0)
        st_word(cr3, w, xsr_pv_frame_to_cr3(pfn, s->info.guest_width));
    uint8_t *cr1 = c + l->ctrlreg + 1 * w;
    if (rc == 0 && w == 8 && ld_word(cr1, w)) {
        rc = one_pfn(s, ld_word(cr1, w) >> 12, &pfn, "user page table", v, err);
        if (rc == 0)
            st_word(cr1, w, (pfn << 12) | 1u); /* bit 0: "present", dropped on restore */
    }
    return rc;
}

static int vcpu_record(struct xsri_save *s, uint32_t v, unsigned kind, uint8_t *buf, size_t cap,
                       struct xsr_error *err)
{
    size_t len = 0;
    int rc = s->d->ops->get_vcpu_context(s->d, v, kind, buf, cap, &len, err);
    if (rc < 0 || len == 0)
        return rc;
    if (kind == XSR_VCPU_BASIC && (rc = normalise_basic(s, v, buf, len, err)) < 0)
        return rc;
    uint8_t hdr[XSR_VCPU_HDR_SIZE];
    xsr_vcpu_hdr_encode(v, XSR_LITTLE_ENDIAN, hdr);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {buf, len}};
    return xsr_builder_record_iov(s->b, kind, iov, 2, err);
}

static int pv_end_of_checkpoint(struct xsri_save *s, struct xsr_error *err)
{
    static const unsigned kinds[] = {XSR_VCPU_BASIC, XSR_VCPU_EXTENDED, XSR_VCPU_XSAVE,
                                     XSR_VCPU_MSRS};
    if (!XSR_DOMAIN_OPS_HAS(s->d->ops, get_vcpu_context))
        return xsr_error_set(err, XSR_EUNSUP, "save: the back end gives no vCPU context");
    /* the largest blob: an XSAVE area is bounded by the record limit */
    size_t cap = 0;
    int rc = 0;
    for (uint32_t v = 0; rc == 0 && v <= s->info.max_vcpu_id; v++)
        for (unsigned k = 0; rc == 0 && k < 4; k++) {
            size_t n = 0;
            if (!xsr_domain_vcpu_online(&s->info, v))
                break;
            rc = s->d->ops->get_vcpu_context(s->d, v, kinds[k], NULL, 0, &n, err);
            if (n > cap)
                cap = n;
        }
    if (rc < 0)
        return rc;
    if (cap > XSR_REC_LENGTH_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "save: a vCPU context of %zu bytes", cap);
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return xsr_error_set(err, XSR_ENOMEM, "save: no memory for vCPU contexts");
    for (uint32_t v = 0; rc == 0 && v <= s->info.max_vcpu_id; v++) {
        if (!xsr_domain_vcpu_online(&s->info, v))
            continue;
        for (unsigned k = 0; rc == 0 && k < 4; k++)
            rc = vcpu_record(s, v, kinds[k], buf, cap, err);
    }
    free(buf);
    return rc;
}

const struct xsri_save_type xsri_save_pv = {
    .static_data = pv_static_data,
    .start_of_stream = pv_start_of_stream,
    .normalise_table = pv_normalise_table,
    .end_of_checkpoint = pv_end_of_checkpoint,
};
