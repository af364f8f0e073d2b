/* SPDX-License-Identifier: MIT */
/*
 * The PV part of a restore (Xen's xg_sr_restore_x86_pv.c): X86_PV_INFO,
 * the P2M frame list and the vCPU records; page tables localised as they
 * arrive (every present entry's pfn -> the new domain's mfn, the frame
 * populated first if it has none yet); at the end the guest's P2M written
 * into its frames, the pinned tables pinned, and the vCPUs' frames (cr3,
 * GDT frames, vCPU 0's start info and what it names) localised; the
 * vCPU context's offsets are wire's (xsr_pv_vcpu_layout).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "restore_internal.h"

#define PTE_PRESENT 0x1ull
#define PTE_FRAME 0x000ffffffffff000ull
#define PT_ENTRIES 512u
#define FIRST_RESERVED_GDT_ENTRY (14u * XSR_PV_GDT_ENTS_PER_FRAME)
#define VCPU_KINDS 4u

/* Where start_info keeps the store and console frames (Xen's public
 * xen.h; a 64-bit guest's words are 8 bytes, a 32-bit guest's 4). */
static uint32_t si_store_mfn(unsigned w) { return w == 8 ? 56 : 44; }
static uint32_t si_console_mfn(unsigned w) { return w == 8 ? 72 : 52; }

static const unsigned kinds[VCPU_KINDS] = { XSR_VCPU_BASIC, XSR_VCPU_EXTENDED, XSR_VCPU_XSAVE,
                                            XSR_VCPU_MSRS };

struct pv_priv {
    uint64_t *p2m_pfns;   /* the frames of the guest's P2M, by slot */
    uint64_t nr_p2m, cap_p2m;
    struct xsri_stash p2m_at;
    struct xsri_stash (*vcpus)[VCPU_KINDS]; /* records of each vCPU */
    uint32_t nr_vcpus;
};

static struct pv_priv *priv(struct xsri_restore *r, struct xsr_error *err)
{
    if (!r->type_priv && !(r->type_priv = calloc(1, sizeof(struct pv_priv))))
        xsr_error_set(err, XSR_ENOMEM, "cannot allocate the PV restore's state");
    return r->type_priv;
}

static const struct xsr_pv_vcpu_layout *layout(const struct xsri_restore *r)
{
    return xsr_pv_vcpu_layout(r->guest_width);
}

static uint64_t ld_word(const uint8_t *p, unsigned w)
{
    return w == 4 ? xsr_ld32(p, XSR_LITTLE_ENDIAN) : xsr_ld64(p, XSR_LITTLE_ENDIAN);
}

static void st_word(uint8_t *p, unsigned w, uint64_t v)
{
    if (w == 4)
        xsr_st32(p, (uint32_t)v, XSR_LITTLE_ENDIAN);
    else
        xsr_st64(p, v, XSR_LITTLE_ENDIAN);
}

static uint64_t invalid_word(unsigned w) { return w == 4 ? UINT32_MAX : UINT64_MAX; }

/* ------------------------------------------------------------- records */

static int pv_info(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    if (r->pv_info)
        return xsr_error_set(err, XSR_EFORMAT, "a second X86_PV_INFO");
    if (ev->u.rec.length < XSR_PV_INFO_SIZE)
        return xsr_error_set(err, XSR_EFORMAT, "X86_PV_INFO has %" PRIu32 " bytes, fewer than %u",
                             ev->u.rec.length, XSR_PV_INFO_SIZE);
    struct xsr_pv_info pi;
    xsr_pv_info_decode(ev->u.rec.body, ev->order, &pi);
    if (!((pi.guest_width == 8 && pi.pt_levels == 4) || (pi.guest_width == 4 && pi.pt_levels == 3)))
        return xsr_error_set(err, XSR_EFORMAT, "a PV guest of width %u with %u page-table levels",
                             pi.guest_width, pi.pt_levels);
    r->guest_width = pi.guest_width;
    r->pt_levels = pi.pt_levels;
    r->res.guest_width = pi.guest_width;
    r->pv_info = true;
    return 0;
}

static int p2m_frames(struct xsri_restore *r, struct pv_priv *p, const struct xsr_event *ev,
                      struct xsr_error *err)
{
    if (!r->pv_info)
        return xsr_error_set(err, XSR_EFORMAT, "X86_PV_P2M_FRAMES before X86_PV_INFO");
    struct xsr_p2m_frames f;
    int rc = xsr_p2m_frames_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &f, err);
    if (rc < 0)
        return rc;
    uint64_t fpp = XSR_PAGE_SIZE / r->guest_width;
    if (f.start_pfn > f.end_pfn ||
        f.nr_frames != xsr_p2m_frames_expected(f.start_pfn, f.end_pfn, r->guest_width))
        return xsr_error_set(err, XSR_EFORMAT, "X86_PV_P2M_FRAMES for pfns %#" PRIx32 "-%#" PRIx32
                             " with %" PRIu32 " frames", f.start_pfn, f.end_pfn, f.nr_frames);
    if (r->d && f.end_pfn > r->max_pfn)
        return xsr_error_set(err, XSR_ELIMIT, "the P2M reaches pfn %#" PRIx32 ", beyond the domain's last %#" PRIx64,
                             f.end_pfn, r->max_pfn);
    uint64_t first = f.start_pfn / fpp, end = first + f.nr_frames;
    if (end > p->cap_p2m) {
        uint64_t *np = realloc(p->p2m_pfns, end * sizeof(uint64_t));
        if (!np)
            return xsr_error_set(err, XSR_ENOMEM, "cannot keep %" PRIu64 " P2M frames", end);
        for (uint64_t k = p->cap_p2m; k < end; k++)
            np[k] = XSR_INVALID_FRAME;
        p->p2m_pfns = np;
        p->cap_p2m = end;
    }
    for (uint64_t k = 0; k < f.nr_frames; k++)
        p->p2m_pfns[first + k] = xsr_ld64(f.frames + k * 8, ev->order);
    if (end > p->nr_p2m)
        p->nr_p2m = end;
    if (!r->d && f.end_pfn > r->max_pfn)
        r->max_pfn = f.end_pfn;
    p->p2m_at = (struct xsri_stash){ .set = true, .offset = ev->offset, .index = ev->index,
                                     .type = ev->u.rec.type };
    return 0;
}

static int vcpu_record(struct xsri_restore *r, struct pv_priv *p, unsigned k,
                       const struct xsr_event *ev, struct xsr_error *err)
{
    struct xsr_vcpu_rec v;
    int rc = xsr_vcpu_rec_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &v, err);
    if (rc < 0)
        return rc;
    if (v.vcpu_id >= XSR_VCPU_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "vCPU %" PRIu32 " (at most %u)", v.vcpu_id, XSR_VCPU_MAX);
    if (!v.ctx_len)
        return 0; /* empty records are skipped (the spec's errata) */
    if (v.vcpu_id >= p->nr_vcpus) {
        uint32_t n = v.vcpu_id + 1;
        void *nv = realloc(p->vcpus, n * sizeof(*p->vcpus));
        if (!nv)
            return xsr_error_set(err, XSR_ENOMEM, "cannot keep the state of %" PRIu32 " vCPUs", n);
        p->vcpus = nv;
        memset(p->vcpus + p->nr_vcpus, 0, (n - p->nr_vcpus) * sizeof(*p->vcpus));
        p->nr_vcpus = n;
    }
    (void)r;
    return xsri_stash_set(&p->vcpus[v.vcpu_id][k], ev, err);
}

static int pv_record(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err)
{
    struct pv_priv *p = priv(r, err);
    if (!p)
        return XSR_ENOMEM;
    switch (ev->u.rec.type) {
    case XSR_REC_X86_PV_INFO:
        return pv_info(r, ev, err);
    case XSR_REC_X86_PV_P2M_FRAMES:
        return p2m_frames(r, p, ev, err);
    default:
        break;
    }
    for (unsigned k = 0; k < VCPU_KINDS; k++)
        if (ev->u.rec.type == kinds[k]) {
            if (!r->pv_info)
                return xsr_error_set(err, XSR_EFORMAT, "a vCPU record before X86_PV_INFO");
            return vcpu_record(r, p, k, ev, err);
        }
    return 1;
}

/* ------------------------------------------------------- translation */

/* pfns -> the new domain's mfns; a pfn without a frame gets one when
 * populate is set (a table may name a frame the stream sends later). */
static int to_mfns(struct xsri_restore *r, const uint64_t *pfns, uint32_t n, uint64_t *mfns,
                   bool populate, struct xsr_error *err)
{
    for (uint32_t i = 0; i < n; i++)
        if (pfns[i] > r->max_pfn)
            return xsr_error_set(err, XSR_EFORMAT, "pfn %#" PRIx64 " is beyond the domain's last %#" PRIx64,
                                 pfns[i], r->max_pfn);
    int rc = XSR_DOMAIN_CALL(r->d, pfn_to_mfn, err, pfns, n, mfns, err);
    if (rc < 0)
        return rc;
    uint64_t missing[PT_ENTRIES];
    uint32_t nm = 0;
    for (uint32_t i = 0; i < n; i++)
        if (mfns[i] == XSR_INVALID_FRAME) {
            if (!populate)
                return xsr_error_set(err, XSR_EFORMAT, "pfn %#" PRIx64 " has no frame", pfns[i]);
            if (nm < PT_ENTRIES)
                missing[nm++] = pfns[i];
        }
    if (!nm)
        return 0;
    if ((rc = r->d->ops->populate(r->d, missing, nm, err)) < 0)
        return rc;
    return XSR_DOMAIN_CALL(r->d, pfn_to_mfn, err, pfns, n, mfns, err);
}

static int pv_localise(struct xsri_restore *r, unsigned type, uint8_t *page, struct xsr_error *err)
{
    (void)type;
    uint64_t pfns[PT_ENTRIES], mfns[PT_ENTRIES];
    uint16_t slot[PT_ENTRIES];
    uint32_t n = 0;
    for (unsigned k = 0; k < PT_ENTRIES; k++) {
        uint64_t e = xsr_ld64(page + k * 8, XSR_LITTLE_ENDIAN);
        if (!(e & PTE_PRESENT))
            continue;
        slot[n] = (uint16_t)k;
        pfns[n++] = (e & PTE_FRAME) >> XSR_PAGE_SHIFT;
    }
    if (!n)
        return 0;
    int rc = to_mfns(r, pfns, n, mfns, true, err);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *p = page + slot[i] * 8u;
        uint64_t e = xsr_ld64(p, XSR_LITTLE_ENDIAN);
        if (mfns[i] << XSR_PAGE_SHIFT & ~PTE_FRAME)
            return xsr_error_set(err, XSR_ELIMIT, "mfn %#" PRIx64 " does not fit an entry", mfns[i]);
        xsr_st64(p, (e & ~PTE_FRAME) | mfns[i] << XSR_PAGE_SHIFT, XSR_LITTLE_ENDIAN);
    }
    return 0;
}

static int one_mfn(struct xsri_restore *r, uint64_t pfn, uint64_t *mfn, struct xsr_error *err)
{
    return to_mfns(r, &pfn, 1, mfn, false, err);
}

/* The receiver model's last type for pfn (XSR_PFN_XTAB if it has no memory). */
static unsigned stream_type(const struct xsri_restore *r, uint64_t pfn)
{
    uint16_t st = xsri_pfns_get(&r->scan->pfns, pfn);
    return xsri_pf_memory(st) ? st & XSRI_PF_TYPE : XSR_PFN_XTAB;
}

/* ------------------------------------------------------------- the P2M */

static int write_p2m(struct xsri_restore *r, struct pv_priv *p, struct xsr_error *err)
{
    unsigned w = r->guest_width;
    uint64_t fpp = XSR_PAGE_SIZE / w;
    uint64_t *mfns = calloc(p->nr_p2m ? p->nr_p2m : 1, sizeof(uint64_t));
    if (!mfns)
        return xsr_error_set(err, XSR_ENOMEM, "cannot hold %" PRIu64 " P2M frames", p->nr_p2m);
    int rc = 0;
    uint64_t pfns[PT_ENTRIES], got[PT_ENTRIES];
    for (uint64_t k = 0; k < p->nr_p2m && rc == 0; k++) {
        uint64_t pfn = p->p2m_pfns[k];
        if (pfn == XSR_INVALID_FRAME || stream_type(r, pfn) != XSR_PFN_NOTAB) {
            rc = xsr_error_set(err, XSR_EFORMAT, "P2M frame %" PRIu64 " (pfn %#" PRIx64 ") is not a data page of the stream",
                               k, pfn);
            break;
        }
        if ((rc = one_mfn(r, pfn, &mfns[k], err)) < 0)
            break;
        void *page = NULL, *h = NULL;
        int e = 0;
        if ((rc = r->d->ops->map_frames(r->d, XSR_MAP_WRITE, &pfn, 1, &page, &e, &h, err)) < 0)
            break;
        if (!page) {
            rc = xsr_error_set(err, XSR_EFAULT, "P2M frame pfn %#" PRIx64 " cannot be mapped", pfn);
            break;
        }
        /* the P2M's entries for this frame, PT_ENTRIES pfns per call */
        for (uint64_t j = 0; j < fpp && rc == 0; j += PT_ENTRIES) {
            uint32_t n = 0;
            for (uint64_t q = j; q < j + PT_ENTRIES && q < fpp; q++)
                pfns[n++] = k * fpp + q;
            for (uint32_t i = 0; i < n; i++)
                got[i] = pfns[i] <= r->max_pfn ? 0 : XSR_INVALID_FRAME;
            uint32_t in = 0;
            while (in < n && pfns[in] <= r->max_pfn)
                in++;
            if (in && (rc = XSR_DOMAIN_CALL(r->d, pfn_to_mfn, err, pfns, in, got, err)) < 0)
                break;
            for (uint32_t i = 0; i < n; i++)
                st_word((uint8_t *)page + (j + i) * w, w,
                        got[i] == XSR_INVALID_FRAME ? invalid_word(w) : got[i]);
        }
        r->d->ops->unmap_frames(r->d, h);
    }
    if (rc == 0 && p->nr_p2m)
        rc = XSR_DOMAIN_CALL(r->d, set_p2m_frames, err, mfns, p->nr_p2m, err);
    if (rc < 0)
        xsri_stash_locate(&p->p2m_at, err);
    free(mfns);
    return rc;
}

/* ------------------------------------------------------------- pinning */

static int pin(struct xsri_restore *r, struct xsr_error *err)
{
    uint32_t types[XSR_PAGE_BATCH_MAX];
    uint32_t k = 0;
    struct xsri_pfn_iter it;
    xsri_pfns_iter(&it, &r->scan->pfns, 0, UINT64_MAX);
    for (bool more = true; more;) {
        if ((more = xsri_pfns_next(&it))) {
            unsigned t = it.st & XSRI_PF_TYPE;
            if (!(it.st & XSRI_PF_DATA) || t < XSR_PFN_L1TAB_PIN || t > XSR_PFN_L4TAB_PIN)
                continue;
            r->pfns[k] = it.pfn;
            types[k++] = t;
        }
        if (k == XSR_PAGE_BATCH_MAX || (!more && k)) {
            int rc = XSR_DOMAIN_CALL(r->d, pin_tables, err, r->pfns, types, k, err);
            if (rc < 0)
                return rc;
            r->res.pinned += k;
            k = 0;
        }
    }
    return 0;
}

/* -------------------------------------------------------------- vCPUs */

static int localise_word(struct xsri_restore *r, uint8_t *p, unsigned w, struct xsr_error *err)
{
    uint64_t v = ld_word(p, w), mfn;
    if (v == invalid_word(w))
        return 0;
    int rc = one_mfn(r, v, &mfn, err);
    if (rc == 0)
        st_word(p, w, mfn);
    return rc;
}

/* vCPU 0's start info: its frame (rdx) and the store and console frames it names. */
static int start_info(struct xsri_restore *r, const struct xsr_pv_vcpu_layout *l, uint8_t *ctx,
                      struct xsr_error *err)
{
    uint64_t pfn = ld_word(ctx + l->rdx, l->word), mfn;
    if (stream_type(r, pfn) != XSR_PFN_NOTAB)
        return xsr_error_set(err, XSR_EFORMAT, "vCPU 0's start info pfn %#" PRIx64 " is not a data page", pfn);
    int rc = one_mfn(r, pfn, &mfn, err);
    if (rc < 0)
        return rc;
    st_word(ctx + l->rdx, l->word, mfn);
    void *page = NULL, *h = NULL;
    int e = 0;
    if ((rc = r->d->ops->map_frames(r->d, XSR_MAP_WRITE, &pfn, 1, &page, &e, &h, err)) < 0)
        return rc;
    if (!page)
        return xsr_error_set(err, XSR_EFAULT, "the start info frame cannot be mapped");
    if ((rc = localise_word(r, (uint8_t *)page + si_store_mfn(l->word), l->word, err)) == 0)
        rc = localise_word(r, (uint8_t *)page + si_console_mfn(l->word), l->word, err);
    r->d->ops->unmap_frames(r->d, h);
    return rc;
}

static int vcpu_basic(struct xsri_restore *r, uint32_t v, uint8_t *ctx, uint32_t len,
                      struct xsr_error *err)
{
    const struct xsr_pv_vcpu_layout *l = layout(r);
    unsigned w = l->word;
    if (len != l->size)
        return xsr_error_set(err, XSR_EFORMAT, "a vcpu_guest_context of this guest has %" PRIu32 " bytes, not %" PRIu32,
                             l->size, len);
    int rc;
    if (v == 0 && (rc = start_info(r, l, ctx, err)) < 0)
        return rc;
    uint64_t gdt_ents = ld_word(ctx + l->gdt_ents, w);
    if (gdt_ents > FIRST_RESERVED_GDT_ENTRY)
        return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 " has %" PRIu64 " GDT entries (at most %u)", v,
                             gdt_ents, FIRST_RESERVED_GDT_ENTRY);
    for (uint64_t k = 0; k < (gdt_ents + XSR_PV_GDT_ENTS_PER_FRAME - 1) / XSR_PV_GDT_ENTS_PER_FRAME; k++) {
        uint8_t *p = ctx + l->gdt_frames + k * w;
        if (stream_type(r, ld_word(p, w)) != XSR_PFN_NOTAB)
            return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 "'s GDT frame %" PRIu64 " (pfn %#" PRIx64
                                 ") is not a data page", v, k, ld_word(p, w));
        if ((rc = localise_word(r, p, w, err)) < 0)
            return rc;
    }
    uint8_t *cr3p = ctx + l->ctrlreg + 3 * w;
    uint64_t cr3 = ld_word(cr3p, w);
    uint64_t pfn = xsr_pv_cr3_to_frame(cr3, w), mfn;
    if (xsr_pfn_type_level(stream_type(r, pfn)) != r->pt_levels)
        return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 "'s cr3 names pfn %#" PRIx64 ", not an L%u table",
                             v, pfn, r->pt_levels);
    if ((rc = one_mfn(r, pfn, &mfn, err)) < 0)
        return rc;
    st_word(cr3p, w, xsr_pv_frame_to_cr3(mfn, w));
    if (w == 8) {
        uint8_t *cr1p = ctx + l->ctrlreg + 1 * w;
        uint64_t cr1 = ld_word(cr1p, w);
        if (cr1) {
            /* the user page table travels as pfn << 12 | 1 */
            if (!(cr1 & 1))
                return xsr_error_set(err, XSR_EFORMAT, "vCPU %" PRIu32 "'s user page table %#" PRIx64
                                     " lacks its marker bit", v, cr1);
            if ((rc = one_mfn(r, cr1 >> XSR_PAGE_SHIFT, &mfn, err)) < 0)
                return rc;
            st_word(cr1p, w, mfn << XSR_PAGE_SHIFT);
        }
    }
    st_word(ctx + l->flags, w, ld_word(ctx + l->flags, w) | XSR_PV_VGCF_ONLINE);
    return 0;
}

static int vcpus(struct xsri_restore *r, struct pv_priv *p, struct xsr_error *err)
{
    if (!p->nr_vcpus || !p->vcpus[0][0].set)
        return xsr_error_set(err, XSR_EFORMAT, "the stream has no basic state for vCPU 0");
    for (uint32_t v = 0; v < p->nr_vcpus; v++) {
        if (!p->vcpus[v][0].set && (p->vcpus[v][1].set || p->vcpus[v][2].set || p->vcpus[v][3].set))
            continue; /* no basic state: the vCPU stays down, the rest is dropped */
        for (unsigned k = 0; k < VCPU_KINDS; k++) {
            struct xsri_stash *st = &p->vcpus[v][k];
            if (!st->set)
                continue;
            uint8_t *ctx = st->body + XSR_VCPU_HDR_SIZE;
            uint32_t len = st->len - XSR_VCPU_HDR_SIZE;
            int rc = 0;
            if (kinds[k] == XSR_VCPU_BASIC)
                rc = vcpu_basic(r, v, ctx, len, err);
            if (rc == 0)
                rc = XSR_DOMAIN_CALL(r->d, set_vcpu_context, err, v, kinds[k], ctx, len, err);
            if (rc < 0) {
                xsri_stash_locate(st, err);
                return rc;
            }
        }
        r->res.vcpus++;
    }
    return 0;
}

static int pv_complete(struct xsri_restore *r, struct xsr_error *err)
{
    struct pv_priv *p = priv(r, err);
    if (!p)
        return XSR_ENOMEM;
    int rc = write_p2m(r, p, err);
    if (rc == 0)
        rc = pin(r, err);
    if (rc == 0)
        rc = vcpus(r, p, err);
    return rc;
}

static void pv_free(struct xsri_restore *r)
{
    struct pv_priv *p = r->type_priv;
    if (!p)
        return;
    for (uint32_t v = 0; v < p->nr_vcpus; v++)
        for (unsigned k = 0; k < VCPU_KINDS; k++)
            xsri_stash_free(&p->vcpus[v][k]);
    free(p->vcpus);
    free(p->p2m_pfns);
    free(p);
    r->type_priv = NULL;
}

const struct xsri_restore_type xsri_restore_pv = {
    .record = pv_record, .localise_page = pv_localise, .complete = pv_complete, .free = pv_free,
};
