/* SPDX-License-Identifier: MIT */
/*
 * struct xsr_domain_ops of the sim back end.  Changes to the domain's
 * metadata are made under run_lock, which the workload holds while it
 * writes a page, so pause really stops it and nothing moves under a walk.
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <xsr/domctx.h>

#include "sim_internal.h"
#include "util/opts.h"

#define LOCKED(s, expr)                                                                  \
    ({                                                                                   \
        pthread_mutex_lock(&(s)->run_lock);                                              \
        int rc_ = (expr);                                                                \
        pthread_mutex_unlock(&(s)->run_lock);                                            \
        rc_;                                                                             \
    })

static int need_pv(struct sim_dom *s, const char *what, struct xsr_error *err)
{
    return sim_is_pv(s) ? 0 : xsr_error_set(err, XSR_EUNSUP, "%s: not for an HVM domain", what);
}
static int need_hvm(struct sim_dom *s, const char *what, struct xsr_error *err)
{
    return !sim_is_pv(s) ? 0 : xsr_error_set(err, XSR_EUNSUP, "%s: not for a PV domain", what);
}

static int blob_out(const uint8_t *src, size_t len, uint8_t *buf, size_t cap, size_t *out,
                    struct xsr_error *err)
{
    *out = len;
    if (!buf)
        return 0;
    if (cap < len)
        return xsr_error_set(err, XSR_ELIMIT, "a buffer of %zu bytes is too small for %zu", cap, len);
    memcpy(buf, src, len);
    return 0;
}

static int slot_set(struct sim_dom *s, unsigned kind, uint32_t vcpu, const uint8_t *buf,
                    size_t len, struct xsr_error *err)
{
    uint32_t *l;
    uint8_t *dst = sim_slot(s, kind, vcpu, &l);
    if (len > s->h->slot_cap[kind])
        return xsr_error_set(err, XSR_ELIMIT, "a blob of %zu bytes exceeds the %" PRIu32 " the domain keeps",
                             len, s->h->slot_cap[kind]);
    if (len && !buf)
        return xsr_error_set(err, XSR_EINVAL, "NULL buffer");
    if (len)
        memcpy(dst, buf, len);
    *l = (uint32_t)len;
    return 0;
}

/* ---------------------------------------------------------------- domain */

static void hvm_online(struct sim_dom *s, struct xsr_domain_info *i)
{
    uint32_t *len;
    const uint8_t *ctx = sim_slot(s, SIM_SLOT_HVMCTX, 0, &len);
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    xsr_hvmctx_iter_init(&it, ctx, *len, XSR_LITTLE_ENDIAN);
    while (xsr_hvmctx_next(&it, &e, NULL) == 1)
        if (e.desc.typecode == XSR_HVMCTX_CPU && e.desc.instance < s->h->max_vcpus)
            i->vcpu_online[e.desc.instance / 64] |= 1ull << (e.desc.instance % 64);
}

static int op_get_info(struct xsr_domain *d, struct xsr_domain_info *i, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (!i)
        return xsr_error_set(err, XSR_EINVAL, "get_info: NULL info");
    size_t size = i->size;
    int rc = xsri_opts_check(size, sizeof *i, sizeof *i, "xsr_domain_info", err);
    if (rc)
        return rc;
    struct xsr_domain_info full = { .size = size }, *out = i;
    i = &full;
    const struct sim_hdr *h = s->h;
    i->type = h->dom_type;
    i->guest_width = h->guest_width;
    i->pt_levels = h->pt_levels;
    i->max_pfn = h->max_pfn;
    i->nr_pages = h->nr_pages;
    i->max_mfn = sim_is_pv(s) ? h->nr_frames - 1 : 0;
    i->max_vcpu_id = h->max_vcpus - 1;
    if (sim_is_pv(s)) {
        for (uint32_t v = 0; v < h->max_vcpus; v++) {
            uint32_t *len;
            sim_slot(s, SIM_SLOT_BASIC, v, &len);
            if (*len)
                i->vcpu_online[v / 64] |= 1ull << (v % 64);
        }
    } else {
        hvm_online(s, i);
    }
    for (unsigned w = 0; w < XSR_VCPU_MAX / 64; w++)
        i->nr_online_vcpus += (uint32_t)__builtin_popcountll(i->vcpu_online[w]);
    i->xen_major = h->xen_version >> 16;
    i->xen_minor = h->xen_version & 0xffff;
    i->paused = h->paused != 0;
    i->dying = s->destroyed;
    i->compat_m2p_mfn0 = h->pt_levels == 3 ? sim_xen_mfn(s, 16) : XSR_INVALID_FRAME;
    memcpy(out, &full, size);
    return 0;
}

static int op_pause(struct xsr_domain *d, struct xsr_error *err)
{
    (void)err;
    struct sim_dom *s = sim_of(d);
    return LOCKED(s, (s->h->paused = s->h->paused ? s->h->paused : 1, 0));
}

/* A suspended PV guest names its store and console frames by pfn in its
 * start info (Linux's xen_pre_suspend / xen_post_suspend); to_pfn says which
 * way to rewrite them. */
static void start_info_frames(struct sim_dom *s, bool to_pfn)
{
    uint64_t mfn = sim_is_pv(s) ? sim_p2m(s, s->h->start_info_pfn) : XSR_INVALID_FRAME;
    if (mfn == XSR_INVALID_FRAME)
        return;
    const struct sim_start_info_layout *l = sim_start_info_layout(s->h->guest_width);
    uint8_t *si = sim_frame(s, mfn);
    const uint32_t at[] = { l->store_mfn, l->console_mfn };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t v = sim_ld_word(si + at[i], l->word);
        uint64_t t = to_pfn ? sim_m2p(s, v) : sim_p2m(s, v);
        if (t != XSR_INVALID_FRAME)
            sim_st_word(si + at[i], l->word, t);
    }
    /* the guest wrote its page: a live save sends it again */
    sim_mark_dirty(s, s->h->start_info_pfn);
}

static int suspend_locked(struct sim_dom *s)
{
    if (s->h->paused != SIM_SUSPENDED)
        start_info_frames(s, true);
    s->h->paused = SIM_SUSPENDED;
    return 0;
}

static int op_suspend(struct xsr_domain *d, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (s->destroyed)
        return xsr_error_set(err, XSR_ESTATE, "the domain was destroyed");
    return LOCKED(s, suspend_locked(s));
}

static int unpause_locked(struct sim_dom *s)
{
    if (s->h->paused == SIM_SUSPENDED)
        start_info_frames(s, false);
    s->h->paused = 0;
    return 0;
}

static int op_unpause(struct xsr_domain *d, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (s->destroyed)
        return xsr_error_set(err, XSR_ESTATE, "the domain was destroyed");
    return LOCKED(s, unpause_locked(s));
}

static int op_destroy(struct xsr_domain *d, struct xsr_error *err)
{
    (void)err;
    struct sim_dom *s = sim_of(d);
    sim_workload_stop_all(s);
    s->h->paused = 1;
    s->destroyed = true;
    return 0;
}

static int op_commit(struct xsr_domain *d, struct xsr_error *err)
{
    return sim_file_commit(sim_of(d), err);
}

static void op_close(struct xsr_domain *d)
{
    if (d)
        sim_file_close(sim_of(d));
}

/* ---------------------------------------------------------------- memory */

/*
 * The first map of frames once most of them are in use maps every frame at
 * once (one madvise instead of a fault per page: the frames are used in
 * shuffled order, so the kernel's fault-around does not help, and a save or
 * restore touches them all).
 */
static void prefault(struct sim_dom *s, int prot)
{
#if defined(MADV_POPULATE_READ) && defined(MADV_POPULATE_WRITE)
    int want = prot & XSR_MAP_WRITE ? 2 : 1;
    if (__atomic_load_n(&s->prefaulted, __ATOMIC_RELAXED) >= want || !sim_mostly_used(s))
        return;
    __atomic_store_n(&s->prefaulted, want, __ATOMIC_RELAXED);
    /* best effort: an older kernel faults the pages in one by one */
    (void)madvise(s->frames, s->h->nr_frames * SIM_PAGE,
                  want == 2 ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
#else
    (void)s;
    (void)prot;
#endif
}

static int op_map(struct xsr_domain *d, int prot, const uint64_t *pfns, uint32_t n, void **pages,
                  int *errs, void **handle, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (!(prot & (XSR_MAP_READ | XSR_MAP_WRITE)) || (n && (!pfns || !pages || !errs)))
        return xsr_error_set(err, XSR_EINVAL, "map_frames: bad arguments");
    if (n)
        prefault(s, prot);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t mfn = sim_p2m(s, pfns[i]);
        bool ok = mfn != XSR_INVALID_FRAME && sim_type(s, pfns[i]) != XSR_PFN_BROKEN;
        pages[i] = ok ? sim_frame(s, mfn) : NULL;
        errs[i] = ok ? 0 : XSR_EFAULT;
    }
    if (handle)
        *handle = NULL; /* the whole file stays mapped */
    return 0;
}

static void op_unmap(struct xsr_domain *d, void *handle)
{
    (void)d;
    (void)handle;
}

static int populate(struct sim_dom *s, const uint64_t *pfns, uint32_t n, struct xsr_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = sim_populate_one(s, pfns[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

static int op_populate(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (n && !pfns)
        return xsr_error_set(err, XSR_EINVAL, "populate: NULL pfns");
    return LOCKED(s, populate(s, pfns, n, err));
}

static int broken(struct sim_dom *s, const uint64_t *pfns, uint32_t n, struct xsr_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        int rc = sim_populate_one(s, pfns[i], err);
        if (rc)
            return rc;
        if (sim_type(s, pfns[i]) != XSR_PFN_BROKEN)
            s->h->broken_pages++;
        s->pinfo[pfns[i]] = SIM_ROLE_SPECIAL | XSR_PFN_BROKEN;
    }
    return 0;
}

static int op_mark_broken(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (n && !pfns)
        return xsr_error_set(err, XSR_EINVAL, "mark_broken: NULL pfns");
    return LOCKED(s, broken(s, pfns, n, err));
}

static int op_types(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, uint32_t *types,
                    struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (n && (!pfns || !types))
        return xsr_error_set(err, XSR_EINVAL, "get_page_types: NULL argument");
    for (uint32_t i = 0; i < n; i++)
        types[i] = sim_p2m(s, pfns[i]) == XSR_INVALID_FRAME ? XSR_PFN_XTAB : sim_type(s, pfns[i]);
    return 0;
}

static int op_p2m(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, uint64_t *mfns,
                  struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "pfn_to_mfn", err);
    for (uint32_t i = 0; !rc && i < n; i++)
        mfns[i] = sim_p2m(s, pfns[i]);
    return rc;
}

static int op_m2p(struct xsr_domain *d, const uint64_t *mfns, uint32_t n, uint64_t *pfns,
                  struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "mfn_to_pfn", err);
    for (uint32_t i = 0; !rc && i < n; i++)
        pfns[i] = sim_m2p(s, mfns[i]);
    return rc;
}

static int pin(struct sim_dom *s, const uint64_t *pfns, const uint32_t *types, uint32_t n,
               struct xsr_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned t = types[i], lvl = t >= XSR_PFN_L1TAB_PIN && t <= XSR_PFN_L4TAB_PIN ? t - 8 : 0;
        uint64_t pfn = pfns[i];
        if (!lvl || lvl > s->h->pt_levels)
            return xsr_error_set(err, XSR_EINVAL, "pin_tables: type %#x is not a pinned table type of this guest", t);
        if (sim_p2m(s, pfn) == XSR_INVALID_FRAME)
            return xsr_error_set(err, XSR_EFAULT, "pin_tables: pfn %#" PRIx64 " has no frame", pfn);
        unsigned have = sim_type(s, pfn);
        if (have != XSR_PFN_NOTAB && xsr_pfn_type_level(have) != lvl)
            return xsr_error_set(err, XSR_EFAULT, "pin_tables: pfn %#" PRIx64 " is already a %s page",
                                 pfn, xsr_pfn_type_name(have));
        sim_set_type(s, pfn, t);
        if (lvl == s->h->pt_levels)
            sim_pt_fill_xen(s, pfn);
        int rc = sim_pt_validate(s, pfn, lvl, err);
        if (rc) {
            sim_set_type(s, pfn, have);
            if (err)
                err->code = XSR_EFAULT; /* the hypervisor refuses the table */
            return XSR_EFAULT;
        }
    }
    return 0;
}

static int op_pin(struct xsr_domain *d, const uint64_t *pfns, const uint32_t *types, uint32_t n,
                  struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "pin_tables", err);
    if (!rc && n && (!pfns || !types))
        rc = xsr_error_set(err, XSR_EINVAL, "pin_tables: NULL argument");
    return rc ? rc : LOCKED(s, pin(s, pfns, types, n, err));
}

static int op_get_p2m_frames(struct xsr_domain *d, uint64_t *mfns, size_t cap, size_t *n,
                             struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "get_p2m_frames", err);
    if (rc)
        return rc;
    *n = s->h->nr_p2m_frames;
    if (!mfns)
        return 0;
    if (cap < *n)
        return xsr_error_set(err, XSR_ELIMIT, "get_p2m_frames: room for %zu of %zu frames", cap, *n);
    memcpy(mfns, s->p2mlist, *n * 8);
    return 0;
}

static int set_p2m_frames(struct sim_dom *s, const uint64_t *mfns, size_t n, struct xsr_error *err)
{
    if (n > s->h->p2mlist_cap)
        return xsr_error_set(err, XSR_ELIMIT, "set_p2m_frames: %zu frames, room for %" PRIu64, n,
                             s->h->p2mlist_cap);
    for (size_t i = 0; i < n; i++)
        if (sim_m2p(s, mfns[i]) == XSR_INVALID_FRAME)
            return xsr_error_set(err, XSR_EFAULT, "set_p2m_frames: mfn %#" PRIx64 " is not the guest's", mfns[i]);
    for (size_t i = 0; i < n; i++) {
        s->p2mlist[i] = mfns[i];
        uint64_t pfn = sim_m2p(s, mfns[i]);
        s->pinfo[pfn] |= SIM_ROLE_SPECIAL;
    }
    s->h->nr_p2m_frames = n;
    return 0;
}

static int op_set_p2m_frames(struct xsr_domain *d, const uint64_t *mfns, size_t n, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "set_p2m_frames", err);
    if (!rc && n && !mfns)
        rc = xsr_error_set(err, XSR_EINVAL, "set_p2m_frames: NULL mfns");
    return rc ? rc : LOCKED(s, set_p2m_frames(s, mfns, n, err));
}

/* ------------------------------------------------------------- dirty log */

static int op_dirty_enable(struct xsr_domain *d, struct xsr_error *err)
{
    (void)err;
    struct sim_dom *s = sim_of(d);
    for (uint64_t w = 0; w < s->dirty_words; w++)
        __atomic_store_n(&s->dirty[w], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->logging, 1, __ATOMIC_RELEASE);
    return 0;
}

static int op_dirty_read(struct xsr_domain *d, unsigned flags, uint64_t *bitmap, uint64_t nbits,
                         uint64_t *count, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    if (!__atomic_load_n(&s->logging, __ATOMIC_ACQUIRE))
        return xsr_error_set(err, XSR_ESTATE, "dirty_log_read: the dirty log is not enabled");
    if (!bitmap || nbits < s->h->max_pfn + 1)
        return xsr_error_set(err, XSR_EINVAL, "dirty_log_read: the bitmap needs %" PRIu64 " bits",
                             s->h->max_pfn + 1);
    uint64_t c = 0;
    for (uint64_t w = 0; w < s->dirty_words; w++) {
        uint64_t v = (flags & XSR_DIRTY_PEEK) ? __atomic_load_n(&s->dirty[w], __ATOMIC_ACQUIRE)
                                              : __atomic_exchange_n(&s->dirty[w], 0, __ATOMIC_ACQ_REL);
        bitmap[w] |= v;
        c += (uint64_t)__builtin_popcountll(v);
    }
    if (count)
        *count = c;
    return 0;
}

static int op_dirty_disable(struct xsr_domain *d, struct xsr_error *err)
{
    (void)err;
    __atomic_store_n(&sim_of(d)->logging, 0, __ATOMIC_RELEASE);
    return 0;
}

/* ----------------------------------------------------------------- vCPUs */

static int vcpu_kind(unsigned kind, unsigned *slot, struct xsr_error *err)
{
    switch (kind) {
    case XSR_VCPU_BASIC: *slot = SIM_SLOT_BASIC; return 0;
    case XSR_VCPU_EXTENDED: *slot = SIM_SLOT_EXT; return 0;
    case XSR_VCPU_XSAVE: *slot = SIM_SLOT_XSAVE; return 0;
    case XSR_VCPU_MSRS: *slot = SIM_SLOT_MSRS; return 0;
    default: return xsr_error_set(err, XSR_EINVAL, "unknown vCPU context kind %#x", kind);
    }
}

static int op_get_vcpu(struct xsr_domain *d, uint32_t vcpu, unsigned kind, uint8_t *buf, size_t cap,
                       size_t *len, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    unsigned slot = 0;
    int rc = need_pv(s, "get_vcpu_context", err);
    if (!rc)
        rc = vcpu_kind(kind, &slot, err);
    if (!rc && vcpu >= s->h->max_vcpus)
        rc = xsr_error_set(err, XSR_ELIMIT, "vCPU %" PRIu32 " does not exist", vcpu);
    if (rc)
        return rc;
    uint32_t *l;
    const uint8_t *src = sim_slot(s, slot, vcpu, &l);
    return blob_out(src, *l, buf, cap, len, err);
}

static int set_vcpu(struct sim_dom *s, uint32_t vcpu, unsigned slot, const uint8_t *buf, size_t len,
                    struct xsr_error *err)
{
    const unsigned w = s->h->guest_width;
    const uint32_t size = xsr_vcpu_ctx_size(xsr_vcpu_kind_pv(w));
    if (slot == SIM_SLOT_BASIC && len && len != size)
        return xsr_error_set(err, XSR_EINVAL, "a vcpu_guest_context of this guest has %" PRIu32 " bytes, not %zu",
                             size, len);
    int rc = slot_set(s, slot, vcpu, buf, len, err);
    if (rc || slot != SIM_SLOT_BASIC || vcpu != 0 || !len)
        return rc;
    /* vCPU 0's rdx names the start-info frame */
    uint64_t pfn = sim_m2p(s, sim_vcpu_get(buf, w, XSR_VCPU_RDX, 0));
    s->h->start_info_pfn = pfn == XSR_INVALID_FRAME ? UINT64_MAX : pfn;
    if (pfn != XSR_INVALID_FRAME)
        s->pinfo[pfn] |= SIM_ROLE_SPECIAL;
    return 0;
}

static int op_set_vcpu(struct xsr_domain *d, uint32_t vcpu, unsigned kind, const uint8_t *buf,
                       size_t len, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    unsigned slot = 0;
    int rc = need_pv(s, "set_vcpu_context", err);
    if (!rc)
        rc = vcpu_kind(kind, &slot, err);
    if (!rc && vcpu >= s->h->max_vcpus)
        rc = xsr_error_set(err, XSR_ELIMIT, "vCPU %" PRIu32 " does not exist", vcpu);
    return rc ? rc : LOCKED(s, set_vcpu(s, vcpu, slot, buf, len, err));
}

/* ------------------------------------------------------------------- HVM */

static int op_get_hvm_ctx(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                          struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_hvm(s, "get_hvm_context", err);
    if (rc)
        return rc;
    uint32_t *l;
    const uint8_t *src = sim_slot(s, SIM_SLOT_HVMCTX, 0, &l);
    return blob_out(src, *l, buf, cap, len, err);
}

/* As hvm_load: HEADER first with Xen's magic and version, entries, END. */
static int check_hvm_ctx(const uint8_t *buf, size_t len, struct xsr_error *err)
{
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    xsr_hvmctx_iter_init(&it, buf, len, XSR_LITTLE_ENDIAN);
    int rc, n = 0;
    while ((rc = xsr_hvmctx_next(&it, &e, err)) == 1) {
        if (n++ == 0) {
            struct xsr_hvmctx_header h;
            if (e.desc.typecode != XSR_HVMCTX_HEADER || e.desc.length != XSR_HVMCTX_HEADER_SIZE)
                return xsr_error_set(err, XSR_EFAULT, "HVM context does not start with its HEADER");
            xsr_hvmctx_header_decode(e.body, XSR_LITTLE_ENDIAN, &h);
            if (h.magic != XSR_HVMCTX_MAGIC || h.version != XSR_HVMCTX_VERSION)
                return xsr_error_set(err, XSR_EFAULT, "HVM context header has a bad magic or version");
        } else if (e.desc.typecode == XSR_HVMCTX_END) {
            return 0;
        } else if (e.desc.typecode > XSR_HVMCTX_CODE_MAX) {
            return xsr_error_set(err, XSR_EFAULT, "HVM context entry of unknown type %u", e.desc.typecode);
        }
    }
    if (rc < 0) {
        if (err)
            err->code = XSR_EFAULT;
        return XSR_EFAULT;
    }
    return xsr_error_set(err, XSR_EFAULT, "HVM context has no END entry");
}

static int op_set_hvm_ctx(struct xsr_domain *d, const uint8_t *buf, size_t len, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_hvm(s, "set_hvm_context", err);
    if (!rc && !buf)
        rc = xsr_error_set(err, XSR_EINVAL, "set_hvm_context: NULL buffer");
    if (!rc)
        rc = check_hvm_ctx(buf, len, err);
    return rc ? rc : LOCKED(s, slot_set(s, SIM_SLOT_HVMCTX, 0, buf, len, err));
}

static int op_get_param(struct xsr_domain *d, uint32_t index, uint64_t *value, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_hvm(s, "get_hvm_param", err);
    if (!rc && index >= SIM_NR_PARAMS)
        rc = xsr_error_set(err, XSR_ELIMIT, "HVM param %" PRIu32 " does not exist", index);
    if (!rc)
        *value = s->h->hvm_params[index];
    return rc;
}

static int op_set_param(struct xsr_domain *d, uint32_t index, uint64_t value, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_hvm(s, "set_hvm_param", err);
    if (!rc && index >= SIM_NR_PARAMS)
        rc = xsr_error_set(err, XSR_ELIMIT, "HVM param %" PRIu32 " does not exist", index);
    if (!rc)
        s->h->hvm_params[index] = value;
    return rc;
}

/* -------------------------------------------------------------- platform */

static int policy_slot(unsigned kind, unsigned *slot, uint32_t *entry, struct xsr_error *err)
{
    if (kind == XSR_POLICY_CPUID)
        return *slot = SIM_SLOT_CPUID, *entry = XSR_CPUID_LEAF_SIZE, 0;
    if (kind == XSR_POLICY_MSR)
        return *slot = SIM_SLOT_MSRPOL, *entry = XSR_MSR_ENTRY_SIZE, 0;
    return xsr_error_set(err, XSR_EINVAL, "unknown CPU policy kind %#x", kind);
}

static int op_get_policy(struct xsr_domain *d, unsigned kind, uint8_t *buf, size_t cap, size_t *len,
                         struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    unsigned slot = 0;
    uint32_t entry = 0, *l;
    int rc = policy_slot(kind, &slot, &entry, err);
    if (rc)
        return rc;
    const uint8_t *src = sim_slot(s, slot, 0, &l);
    return blob_out(src, *l, buf, cap, len, err);
}

static int op_set_policy(struct xsr_domain *d, unsigned kind, const uint8_t *buf, size_t len,
                         struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    unsigned slot = 0;
    uint32_t entry = 1;
    int rc = policy_slot(kind, &slot, &entry, err);
    if (!rc && len % entry)
        rc = xsr_error_set(err, XSR_EINVAL, "a policy of %zu bytes is not a whole number of entries", len);
    return rc ? rc : LOCKED(s, slot_set(s, slot, 0, buf, len, err));
}

static int op_get_tsc(struct xsr_domain *d, struct xsr_tsc_info *t, struct xsr_error *err)
{
    (void)err;
    const struct sim_hdr *h = sim_of(d)->h;
    *t = (struct xsr_tsc_info){ .mode = h->tsc_mode, .khz = h->tsc_khz, .nsec = h->tsc_nsec,
                                .incarnation = h->tsc_incarnation };
    return 0;
}

static int op_set_tsc(struct xsr_domain *d, const struct xsr_tsc_info *t, struct xsr_error *err)
{
    (void)err;
    struct sim_hdr *h = sim_of(d)->h;
    h->tsc_mode = t->mode;
    h->tsc_khz = t->khz;
    h->tsc_nsec = t->nsec;
    h->tsc_incarnation = t->incarnation;
    return 0;
}

static int op_get_shinfo(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                         struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    uint32_t *l;
    int rc = need_pv(s, "get_shared_info", err);
    if (rc)
        return rc;
    const uint8_t *src = sim_slot(s, SIM_SLOT_SHINFO, 0, &l);
    return blob_out(src, *l, buf, cap, len, err);
}

static int op_set_shinfo(struct xsr_domain *d, const uint8_t *buf, size_t len, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    int rc = need_pv(s, "set_shared_info", err);
    if (!rc && len != XSR_SHARED_INFO_SIZE)
        rc = xsr_error_set(err, XSR_EINVAL, "shared info has %u bytes, not %zu", XSR_SHARED_INFO_SIZE, len);
    return rc ? rc : LOCKED(s, slot_set(s, SIM_SLOT_SHINFO, 0, buf, len, err));
}

static void domctx_parts(struct sim_dom *s, struct xsr_domctx_parts *p)
{
    uint32_t *l;
    *p = (struct xsr_domctx_parts){ .xen_major = (uint16_t)(s->h->xen_version >> 16),
                                    .xen_minor = (uint16_t)s->h->xen_version, .has_tsc = true };
    op_get_tsc(&s->dom, &p->tsc, NULL);
    const uint8_t *sh = sim_slot(s, SIM_SLOT_SHINFO, 0, &l);
    if (sim_is_pv(s) && *l) {
        p->has_shinfo = true;
        p->shinfo = sh;
        p->shinfo_size = xsr_shinfo_size(s->h->guest_width);
        p->shinfo_flags = s->h->guest_width == 4 ? XSR_DOMCTX_SHINFO_32BIT : 0;
    }
}

static int op_get_domctx(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                         struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    struct xsr_domctx_parts p;
    domctx_parts(s, &p);
    return xsr_domctx_build(&p, XSR_LITTLE_ENDIAN, buf, buf ? cap : 0, len, err);
}

static int set_domctx(struct sim_dom *s, const struct xsr_domctx_parts *p, struct xsr_error *err)
{
    /* Xen loads the shared info of a PV domain only; an HVM domain's is skipped */
    if (p->has_shinfo && sim_is_pv(s)) {
        uint32_t *l;
        uint8_t *dst = sim_slot(s, SIM_SLOT_SHINFO, 0, &l);
        memset(dst, 0, XSR_SHARED_INFO_SIZE);
        memcpy(dst, p->shinfo, p->shinfo_size);
        *l = XSR_SHARED_INFO_SIZE;
    }
    if (p->has_tsc)
        op_set_tsc(&s->dom, &p->tsc, err);
    return 0;
}

static int op_set_domctx(struct xsr_domain *d, const uint8_t *buf, size_t len, struct xsr_error *err)
{
    struct sim_dom *s = sim_of(d);
    struct xsr_domctx_parts p;
    if (!buf)
        return xsr_error_set(err, XSR_EINVAL, "set_domain_context: NULL buffer");
    int rc = xsr_domctx_split(buf, len, XSR_LITTLE_ENDIAN, &p, err);
    return rc ? rc : LOCKED(s, set_domctx(s, &p, err));
}

const struct xsr_domain_ops sim_ops = {
    .version = XSR_DOMAIN_OPS_VERSION,
    .size = sizeof(struct xsr_domain_ops),
    .name = "sim",
    .get_info = op_get_info,
    .pause = op_pause,
    .unpause = op_unpause,
    .destroy = op_destroy,
    .suspend = op_suspend,
    .commit = op_commit,
    .close = op_close,
    .map_frames = op_map,
    .unmap_frames = op_unmap,
    .populate = op_populate,
    .mark_broken = op_mark_broken,
    .get_page_types = op_types,
    .pfn_to_mfn = op_p2m,
    .mfn_to_pfn = op_m2p,
    .pin_tables = op_pin,
    .get_p2m_frames = op_get_p2m_frames,
    .set_p2m_frames = op_set_p2m_frames,
    .dirty_log_enable = op_dirty_enable,
    .dirty_log_read = op_dirty_read,
    .dirty_log_disable = op_dirty_disable,
    .get_vcpu_context = op_get_vcpu,
    .set_vcpu_context = op_set_vcpu,
    .get_hvm_context = op_get_hvm_ctx,
    .set_hvm_context = op_set_hvm_ctx,
    .get_hvm_param = op_get_param,
    .set_hvm_param = op_set_param,
    .get_cpu_policy = op_get_policy,
    .set_cpu_policy = op_set_policy,
    .get_tsc_info = op_get_tsc,
    .set_tsc_info = op_set_tsc,
    .get_shared_info = op_get_shinfo,
    .set_shared_info = op_set_shinfo,
    .get_domain_context = op_get_domctx,
    .set_domain_context = op_set_domctx,
};
