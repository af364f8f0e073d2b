/* SPDX-License-Identifier: MIT */
/*
 * The sim file: layout, creation under a temporary name, commit by rename,
 * open with validation of every field, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_internal.h"

#define SIM_MAX_PFN_LIMIT ((64ull << 30) / SIM_PAGE * 2) /* 2^25 pfns */

static uint64_t page_up(uint64_t v) { return (v + SIM_PAGE - 1) & ~(uint64_t)(SIM_PAGE - 1); }

static uint64_t slot_bytes(uint32_t cap) { return 8 + ((cap + 7ull) & ~7ull); }

/* Fill every derived field of h from its shape; XSR_ELIMIT if out of range. */
static int layout(struct sim_hdr *h, struct xsr_error *err)
{
    if (h->max_pfn >= SIM_MAX_PFN_LIMIT || h->nr_frames == 0 || h->nr_frames > SIM_MAX_PFN_LIMIT ||
        h->max_vcpus == 0 || h->max_vcpus > XSR_VCPU_MAX)
        return xsr_error_set(err, XSR_ELIMIT,
                             "sim domain shape out of range (max pfn %#" PRIx64 ", %" PRIu64
                             " frames, %" PRIu32 " vCPUs)",
                             h->max_pfn, h->nr_frames, h->max_vcpus);
    bool pv = h->dom_type == XSR_DOM_X86_PV;
    h->slot_cap[SIM_SLOT_BASIC] = pv ? (h->guest_width == 8 ? XSR_PV_VCPU_CTX_SIZE_64
                                                            : XSR_PV_VCPU_CTX_SIZE_32) : 0;
    h->slot_cap[SIM_SLOT_EXT] = pv ? XSR_PV_VCPU_EXT_MAX : 0;
    h->slot_cap[SIM_SLOT_XSAVE] = pv ? 4096 : 0;
    h->slot_cap[SIM_SLOT_MSRS] = pv ? 2048 : 0;
    h->slot_cap[SIM_SLOT_HVMCTX] = pv ? 0 : 8192 + h->max_vcpus * 4096u;
    h->slot_cap[SIM_SLOT_CPUID] = 256 * XSR_CPUID_LEAF_SIZE;
    h->slot_cap[SIM_SLOT_MSRPOL] = 128 * XSR_MSR_ENTRY_SIZE;
    h->slot_cap[SIM_SLOT_SHINFO] = pv ? XSR_SHARED_INFO_SIZE : 0;
    h->vcpu_stride = 0;
    for (unsigned k = 0; k < SIM_SLOTS_PER_VCPU; k++)
        h->vcpu_stride += slot_bytes(h->slot_cap[k]);
    uint64_t npfn = h->max_pfn + 1;
    h->p2mlist_cap = npfn / 512 + 2;
    uint64_t off = SIM_PAGE;
    h->off_p2m = off;     off = page_up(off + npfn * 8);
    h->off_m2p = off;     off = page_up(off + h->nr_frames * 8);
    h->off_free = off;    off = page_up(off + h->nr_frames * 8);
    h->off_pinfo = off;   off = page_up(off + npfn);
    h->off_p2mlist = off; off = page_up(off + h->p2mlist_cap * 8);
    h->off_state = off;
    off += h->vcpu_stride * h->max_vcpus;
    for (unsigned k = SIM_SLOTS_PER_VCPU; k < SIM_SLOTS_DOMAIN_END; k++)
        off += slot_bytes(h->slot_cap[k]);
    off = page_up(off);
    h->off_frames = off;
    h->file_size = off + h->nr_frames * SIM_PAGE;
    h->xen_mfn_base = h->nr_frames;
    return 0;
}

uint8_t *sim_slot(struct sim_dom *s, unsigned kind, uint32_t vcpu, uint32_t **len)
{
    uint64_t off;
    if (kind < SIM_SLOTS_PER_VCPU) {
        off = s->h->vcpu_stride * vcpu;
        for (unsigned k = 0; k < kind; k++)
            off += slot_bytes(s->h->slot_cap[k]);
    } else {
        off = s->h->vcpu_stride * s->h->max_vcpus;
        for (unsigned k = SIM_SLOTS_PER_VCPU; k < kind; k++)
            off += slot_bytes(s->h->slot_cap[k]);
    }
    *len = (uint32_t *)(s->state + off);
    return s->state + off + 8;
}

static void bind(struct sim_dom *s)
{
    s->h = (struct sim_hdr *)s->base;
    s->p2m = (uint64_t *)(s->base + s->h->off_p2m);
    s->m2p = (uint64_t *)(s->base + s->h->off_m2p);
    s->freel = (uint64_t *)(s->base + s->h->off_free);
    s->pinfo = s->base + s->h->off_pinfo;
    s->p2mlist = (uint64_t *)(s->base + s->h->off_p2mlist);
    s->state = s->base + s->h->off_state;
    s->frames = s->base + s->h->off_frames;
}

static int init_common(struct sim_dom *s, const char *path, struct xsr_error *err)
{
    s->dom.ops = &sim_ops;
    s->dom.priv = s;
    s->fd = -1;
    if (pthread_mutex_init(&s->run_lock, NULL) != 0)
        return xsr_error_set(err, XSR_ENOMEM, "cannot create a mutex");
    s->lock_ok = true;
    s->path = strdup(path);
    if (!s->path)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    return 0;
}

static int alloc_dirty(struct sim_dom *s, struct xsr_error *err)
{
    s->dirty_words = (s->h->max_pfn + 64) / 64;
    s->dirty = calloc(s->dirty_words, sizeof(uint64_t));
    return s->dirty ? 0 : xsr_error_set(err, XSR_ENOMEM, "out of memory for the dirty log");
}

static int map_fd(struct sim_dom *s, uint64_t size, struct xsr_error *err)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED)
        return xsr_error_sys(err, errno, "cannot map %s", s->path);
    s->base = p;
    s->size = size;
    return 0;
}

int sim_file_new(const char *path, const struct sim_layout_req *r, struct sim_dom **out,
                 struct xsr_error *err)
{
    struct sim_hdr h = { .version = SIM_VERSION, .hdr_size = sizeof h,
                         .sim_type = r->sim_type, .dom_type = r->dom_type,
                         .guest_width = r->guest_width, .pt_levels = r->pt_levels,
                         .max_vcpus = r->max_vcpus, .paused = 1, .max_pfn = r->max_pfn,
                         .nr_frames = r->nr_frames, .seed = r->seed,
                         .start_info_pfn = UINT64_MAX, .xen_version = 4u << 16 | 17u };
    memcpy(h.magic, SIM_MAGIC, 8);
    int rc = layout(&h, err);
    if (rc)
        return rc;
    struct sim_dom *s = calloc(1, sizeof *s);
    if (!s)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    rc = init_common(s, path, err);
    size_t n = strlen(path) + 16;
    s->tmp_path = rc ? NULL : malloc(n);
    if (!rc && !s->tmp_path)
        rc = xsr_error_set(err, XSR_ENOMEM, "out of memory");
    if (!rc) {
        snprintf(s->tmp_path, n, "%s.tmpXXXXXX", path);
        s->fd = mkstemp(s->tmp_path);
        if (s->fd < 0) {
            rc = xsr_error_sys(err, errno, "cannot create a temporary file beside %s", path);
            free(s->tmp_path);
            s->tmp_path = NULL;
        }
    }
    if (!rc && ftruncate(s->fd, (off_t)h.file_size) != 0)
        rc = xsr_error_sys(err, errno, "cannot size %s to %" PRIu64 " bytes", s->tmp_path,
                           h.file_size);
    if (!rc)
        rc = map_fd(s, h.file_size, err);
    if (!rc) {
        memcpy(s->base, &h, sizeof h);
        bind(s);
        rc = alloc_dirty(s, err);
    }
    if (!rc) {
        /* every frame free, in an order the seed shuffles */
        uint64_t st = r->frame_seed ? r->frame_seed : r->seed ^ 0x5eed;
        for (uint64_t i = 0; i < h.nr_frames; i++)
            s->freel[i] = i;
        for (uint64_t i = h.nr_frames - 1; i > 0; i--) {
            uint64_t j = sim_rand(&st) % (i + 1), t = s->freel[i];
            s->freel[i] = s->freel[j];
            s->freel[j] = t;
        }
        s->h->nr_free = h.nr_frames;
        for (uint64_t p = 0; p <= h.max_pfn; p++)
            s->pinfo[p] = XSR_PFN_XTAB;
    }
    if (rc) {
        sim_file_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int sim_populate_one(struct sim_dom *s, uint64_t pfn, struct xsr_error *err)
{
    if (pfn > s->h->max_pfn)
        return xsr_error_set(err, XSR_ELIMIT, "pfn %#" PRIx64 " is beyond the domain's max pfn %#" PRIx64,
                             pfn, s->h->max_pfn);
    if (s->p2m[pfn])
        return 0;
    if (s->h->nr_free == 0)
        return xsr_error_set(err, XSR_ELIMIT, "no free frame left for pfn %#" PRIx64, pfn);
    /* frames never go back to the free list, so a free one is still zero */
    uint64_t mfn = s->freel[--s->h->nr_free];
    s->p2m[pfn] = mfn + 1;
    s->m2p[mfn] = pfn + 1;
    s->pinfo[pfn] = XSR_PFN_NOTAB | SIM_ROLE_DATA;
    s->h->nr_pages++;
    return 0;
}

int sim_file_commit(struct sim_dom *s, struct xsr_error *err)
{
    if (!s->tmp_path)
        return 0;
    if (s->destroyed)
        return xsr_error_set(err, XSR_ESTATE, "the domain was destroyed");
    if (rename(s->tmp_path, s->path) != 0)
        return xsr_error_sys(err, errno, "cannot rename %s to %s", s->tmp_path, s->path);
    free(s->tmp_path);
    s->tmp_path = NULL;
    return 0;
}

void sim_file_close(struct sim_dom *s)
{
    if (!s)
        return;
    sim_workload_stop_all(s);
    if (s->base)
        munmap(s->base, s->size);
    if (s->fd >= 0)
        close(s->fd);
    if (s->tmp_path)
        unlink(s->tmp_path);
    else if (s->destroyed && s->path)
        unlink(s->path);
    if (s->lock_ok)
        pthread_mutex_destroy(&s->run_lock);
    free(s->tmp_path);
    free(s->path);
    free(s->dirty);
    free(s);
}

/* Every stored number must stay inside the file before anything trusts it. */
static int validate(struct sim_dom *s, uint64_t fsize, struct xsr_error *err)
{
    const char *p = s->path;
    struct sim_hdr want;
    memcpy(&want, s->base, sizeof want);
    if (memcmp(want.magic, SIM_MAGIC, 8) != 0)
        return xsr_error_set(err, XSR_EFORMAT, "%s is not a sim domain file", p);
    if (want.version != SIM_VERSION || want.hdr_size != sizeof want)
        return xsr_error_set(err, XSR_EUNSUP, "%s: sim file version %" PRIu32 " is not supported",
                             p, want.version);
    bool shape_ok =
        (want.sim_type == XSR_SIM_PV && want.dom_type == XSR_DOM_X86_PV && want.guest_width == 8 &&
         want.pt_levels == 4) ||
        (want.sim_type == XSR_SIM_PV32 && want.dom_type == XSR_DOM_X86_PV &&
         want.guest_width == 4 && want.pt_levels == 3) ||
        (want.sim_type == XSR_SIM_HVM && want.dom_type == XSR_DOM_X86_HVM &&
         want.guest_width == 8 && want.pt_levels == 0);
    if (!shape_ok)
        return xsr_error_set(err, XSR_EFORMAT, "%s: bad domain type/width/levels", p);
    struct sim_hdr got = want;
    int rc = layout(&want, err);
    if (rc)
        return rc;
    if (memcmp(&want, &got, sizeof want) != 0 || got.file_size != fsize)
        return xsr_error_set(err, XSR_EFORMAT, "%s: the layout in the header does not match its shape or the file size", p);
    if (got.nr_free > got.nr_frames || got.nr_pages > got.max_pfn + 1 ||
        got.nr_p2m_frames > got.p2mlist_cap || got.paused > SIM_SUSPENDED ||
        (got.start_info_pfn != UINT64_MAX && got.start_info_pfn > got.max_pfn))
        return xsr_error_set(err, XSR_EFORMAT, "%s: counts in the header are out of range", p);
    bind(s);
    for (uint64_t i = 0; i <= got.max_pfn; i++)
        if (s->p2m[i] > got.nr_frames || (s->p2m[i] && s->m2p[s->p2m[i] - 1] != i + 1) ||
            !xsr_pfn_type_valid(s->pinfo[i] & SIM_TYPE_MASK))
            return xsr_error_set(err, XSR_EFORMAT, "%s: P2M entry of pfn %#" PRIx64 " is inconsistent", p, i);
    for (uint64_t i = 0; i < got.nr_frames; i++)
        if (s->m2p[i] > got.max_pfn + 1)
            return xsr_error_set(err, XSR_EFORMAT, "%s: M2P entry of mfn %#" PRIx64 " is out of range", p, i);
    for (uint64_t i = 0; i < got.nr_free; i++)
        if (s->freel[i] >= got.nr_frames || s->m2p[s->freel[i]])
            return xsr_error_set(err, XSR_EFORMAT, "%s: free frame list is inconsistent", p);
    for (uint64_t i = 0; i < got.nr_p2m_frames; i++)
        if (s->p2mlist[i] >= got.nr_frames)
            return xsr_error_set(err, XSR_EFORMAT, "%s: P2M frame list is out of range", p);
    for (uint32_t v = 0; v <= got.max_vcpus; v++)
        for (unsigned k = v < got.max_vcpus ? 0 : SIM_SLOTS_PER_VCPU;
             k < (v < got.max_vcpus ? (unsigned)SIM_SLOTS_PER_VCPU : (unsigned)SIM_SLOTS_DOMAIN_END); k++) {
            uint32_t *len;
            sim_slot(s, k, v, &len);
            if (*len > got.slot_cap[k])
                return xsr_error_set(err, XSR_EFORMAT, "%s: a state blob is longer than its slot", p);
        }
    return 0;
}

int xsr_sim_open(const char *path, struct xsr_domain **out, struct xsr_error *err)
{
    if (!path || !out)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_open: NULL argument");
    struct sim_dom *s = calloc(1, sizeof *s);
    if (!s)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    int rc = init_common(s, path, err);
    struct stat st;
    if (!rc) {
        s->fd = open(path, O_RDWR | O_CLOEXEC);
        if (s->fd < 0)
            rc = xsr_error_sys(err, errno, "cannot open %s", path);
    }
    if (!rc && fstat(s->fd, &st) != 0)
        rc = xsr_error_sys(err, errno, "cannot stat %s", path);
    if (!rc && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(struct sim_hdr)))
        rc = xsr_error_set(err, XSR_EFORMAT, "%s is not a sim domain file", path);
    if (!rc)
        rc = map_fd(s, (uint64_t)st.st_size, err);
    if (!rc)
        rc = validate(s, (uint64_t)st.st_size, err);
    if (!rc)
        rc = alloc_dirty(s, err);
    if (rc) {
        sim_file_close(s);
        return rc;
    }
    *out = &s->dom;
    return 0;
}

bool xsr_sim_is(const struct xsr_domain *d)
{
    return d && d->ops == &sim_ops;
}
