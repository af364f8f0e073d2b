/* SPDX-License-Identifier: MIT */
/*
 * ELF64 core of guest memory (doc/elf-core.md).
 *
 * Layout: frame pfn's page is at XSRI_ELF_DATA_BASE + pfn * 4096, written
 * by xsr_extract while the stream is walked; absent frames are holes.  At
 * the end one PT_LOAD per run of present frames (p_paddr = p_vaddr =
 * guest-physical address) and one PT_NOTE are written: before the data when
 * they fit in the first XSRI_ELF_DATA_BASE bytes, after it otherwise.
 * Notes: per vCPU NT_PRSTATUS (x86_64 user_regs_struct) and NT_PRFPREG
 * (FXSAVE image) named "CORE", then "XSR" notes with the image facts, each
 * vCPU's raw context and the HVM context blob.  Everything little-endian.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcore.h"

#define EHDR_SIZE 64u
#define PHDR_SIZE 56u
#define SHDR_SIZE 64u
#define ET_CORE 4u
#define EM_X86_64 62u
#define PT_LOAD 1u
#define PT_NOTE 4u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u
#define PN_XNUM 0xffffu
#define NT_PRSTATUS 1u
#define NT_PRFPREG 2u
#define PRSTATUS_SIZE 336u   /* struct elf_prstatus on x86_64 */
#define PRSTATUS_PID 32u
#define PRSTATUS_REG 112u
#define PRSTATUS_FPVALID 328u
#define FXSAVE_SIZE 512u

/* "XSR" note types (doc/elf-core.md) */
#define XSR_NT_IMAGE 0x58535201u  /* "XSR" 1 */
#define XSR_NT_VCPU 0x58535202u
#define XSR_NT_HVM_CONTEXT 0x58535203u
#define XSR_NOTE_IMAGE_SIZE 72u
#define XSR_NOTE_VCPU_HDR 56u
#define XSR_VCPU_SRC_PV 1u
#define XSR_VCPU_SRC_HVM 2u

#define LE XSR_LITTLE_ENDIAN

struct pv_ctx {
    uint8_t *ctx;      /* NULL if longer than any vcpu_guest_context (not kept) */
    uint32_t len;      /* its length in the stream */
    bool seen;
};

struct xsri_elf {
    struct pv_ctx *pv;     /* indexed by vCPU id */
    uint32_t pv_n;         /* entries allocated */
    uint8_t *hvm;          /* last HVM_CONTEXT blob */
    uint32_t hvm_len;
    enum xsr_byte_order order;
};

struct xsri_elf *xsri_elf_new(struct xsr_error *err)
{
    struct xsri_elf *e = calloc(1, sizeof(*e));
    if (!e)
        xsr_error_set(err, XSR_ENOMEM, "out of memory");
    return e;
}

void xsri_elf_free(struct xsri_elf *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->pv_n; i++)
        free(e->pv[i].ctx);
    free(e->pv);
    free(e->hvm);
    free(e);
}

static int keep_copy(uint8_t **dst, uint32_t *dst_len, const uint8_t *src, uint32_t len,
                     struct xsr_error *err)
{
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for a copy of %" PRIu32 " bytes", len);
    memcpy(p, src, len);
    free(*dst);
    *dst = p;
    *dst_len = len;
    return 0;
}

int xsri_elf_event(struct xsri_elf *e, const struct xsri_scan *s, const struct xsr_event *ev,
                   struct xsr_error *err)
{
    (void)s;
    if (ev->kind != XSR_EV_RECORD)
        return 0;
    e->order = ev->order;
    if (ev->u.rec.type == XSR_REC_HVM_CONTEXT && ev->u.rec.length > 0)
        return keep_copy(&e->hvm, &e->hvm_len, ev->u.rec.body, ev->u.rec.length, err);
    if (ev->u.rec.type != XSR_REC_X86_PV_VCPU_BASIC)
        return 0;

    struct xsr_vcpu_rec v;
    int rc = xsr_vcpu_rec_decode(ev->u.rec.body, ev->u.rec.length, ev->order, &v, err);
    if (rc < 0)
        return rc;
    if (v.ctx_len == 0)
        return 0; /* errata: empty records are ignored */
    if (v.vcpu_id >= XSR_VCPU_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "vCPU id %" PRIu32 " is not below %u", v.vcpu_id,
                             XSR_VCPU_MAX);
    if (v.vcpu_id >= e->pv_n) {
        uint32_t n = v.vcpu_id + 1;
        struct pv_ctx *pv = realloc(e->pv, n * sizeof(*pv));
        if (!pv)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory");
        memset(pv + e->pv_n, 0, (n - e->pv_n) * sizeof(*pv));
        e->pv = pv;
        e->pv_n = n;
    }
    struct pv_ctx *c = &e->pv[v.vcpu_id];
    c->seen = true;
    if (v.ctx_len > XSR_PV_VCPU_CTX_SIZE_64) {
        /* malformed whatever the guest width: only its length is kept, so
         * that memory does not grow with what a stream claims */
        free(c->ctx);
        c->ctx = NULL;
        c->len = v.ctx_len;
        return 0;
    }
    return keep_copy(&c->ctx, &c->len, v.ctx, v.ctx_len, err);
}

/* ------------------------------------------------------------- notes */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static int buf_room(struct buf *b, size_t n, struct xsr_error *err)
{
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the ELF notes");
    memset(p + b->cap, 0, cap - b->cap);
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Append a note with an empty descriptor of desc_len bytes; *desc points at it. */
static int note(struct buf *b, const char *name, uint32_t type, uint32_t desc_len, uint8_t **desc,
                struct xsr_error *err)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    size_t name_pad = (namesz + 3u) & ~3u, desc_pad = (desc_len + 3u) & ~(size_t)3u;
    int rc = buf_room(b, 12 + name_pad + desc_pad, err);
    if (rc < 0)
        return rc;
    uint8_t *p = b->p + b->len;
    xsr_st32(p, namesz, LE);
    xsr_st32(p + 4, desc_len, LE);
    xsr_st32(p + 8, type, LE);
    memcpy(p + 12, name, namesz);
    *desc = p + 12 + name_pad;
    b->len += 12 + name_pad + desc_pad;
    return 0;
}

static int vcpu_notes(struct buf *b, uint32_t id, uint32_t src, const uint8_t *ctx, uint32_t len,
                      const struct xsri_vcpu_regs *r, enum xsr_byte_order order, struct xsr_error *err)
{
    uint8_t *d;
    int rc = note(b, "CORE", NT_PRSTATUS, PRSTATUS_SIZE, &d, err);
    if (rc < 0)
        return rc;
    xsr_st32(d + PRSTATUS_PID, id + 1, LE); /* pid 0 means "no thread" to debuggers */
    for (unsigned i = 0; i < XSRI_NGREG; i++)
        xsr_st64(d + PRSTATUS_REG + 8 * i, r->gr[i], LE);
    xsr_st32(d + PRSTATUS_FPVALID, 1, LE);

    if ((rc = note(b, "CORE", NT_PRFPREG, FXSAVE_SIZE, &d, err)) < 0)
        return rc;
    memcpy(d, r->fxsave, FXSAVE_SIZE);

    if ((rc = note(b, "XSR", XSR_NT_VCPU, XSR_NOTE_VCPU_HDR + len, &d, err)) < 0)
        return rc;
    xsr_st32(d, id, LE);
    xsr_st32(d + 4, src, LE);
    xsr_st32(d + 8, order == XSR_BIG_ENDIAN ? 1 : 0, LE);
    xsr_st32(d + 12, len, LE);
    xsr_st64(d + 16, r->cr[0], LE);
    xsr_st64(d + 24, r->cr[2], LE);
    xsr_st64(d + 32, r->cr[3], LE);
    xsr_st64(d + 40, r->cr[4], LE);
    xsr_st64(d + 48, r->kernel_gs_base, LE);
    memcpy(d + XSR_NOTE_VCPU_HDR, ctx, len);
    return 0;
}

/* The first vCPU whose registers cannot be written; its notes are left out
 * and the others written, so that the core stays usable. */
static void bad_vcpu(struct xsr_error *bad, uint32_t id, const struct xsr_error *why)
{
    if (bad->code == 0)
        xsr_error_set(bad, why->code, "vCPU %" PRIu32 ": %.400s; its notes are left out of the core", id,
                      why->message);
}

/* Notes into b; a context that cannot be decoded goes into bad (first one
 * only), failures to build the notes into err. */
static int build_notes(const struct xsri_elf *e, const struct xsri_scan *s, uint64_t present,
                       struct buf *b, uint32_t *vcpus, struct xsr_error *bad, struct xsr_error *err)
{
    struct xsri_vcpu_regs r;
    struct xsr_error why;
    uint8_t *d;
    int rc;

    *vcpus = 0;
    if (s->dom_type == XSR_DOM_X86_PV) {
        unsigned width = s->guest_width ? s->guest_width : 8;
        uint32_t need = width == 4 ? XSR_PV_VCPU_CTX_SIZE_32 : XSR_PV_VCPU_CTX_SIZE_64;
        for (uint32_t id = 0; id < e->pv_n; id++) {
            const struct pv_ctx *c = &e->pv[id];
            if (!c->seen)
                continue;
            xsr_error_clear(&why);
            if (!c->ctx || c->len != need) {
                xsr_error_set(&why, XSR_EFORMAT, "its X86_PV_VCPU_BASIC context has %" PRIu32 " bytes, not "
                              "the %" PRIu32 " of a %u-bit guest's vcpu_guest_context", c->len, need, width * 8);
                bad_vcpu(bad, id, &why);
                continue;
            }
            if (xsri_pv_regs(c->ctx, c->len, width, e->order, &r, &why) < 0) {
                bad_vcpu(bad, id, &why);
                continue;
            }
            if ((rc = vcpu_notes(b, id, XSR_VCPU_SRC_PV, c->ctx, c->len, &r, e->order, err)) < 0)
                return rc;
            ++*vcpus;
        }
    } else if (e->hvm) {
        struct xsr_hvmctx_iter it;
        struct xsr_hvmctx_entry en;
        xsr_error_clear(&why);
        xsr_hvmctx_iter_init(&it, e->hvm, e->hvm_len, e->order);
        while ((rc = xsr_hvmctx_next(&it, &en, &why)) == 1) {
            if (en.desc.typecode == XSR_HVMCTX_END)
                break;
            if (en.desc.typecode != XSR_HVMCTX_CPU)
                continue;
            if (xsri_hvm_regs(en.body, en.desc.length, e->order, &r, &why) < 0) {
                bad_vcpu(bad, en.desc.instance, &why);
                xsr_error_clear(&why);
                continue;
            }
            rc = vcpu_notes(b, en.desc.instance, XSR_VCPU_SRC_HVM, en.body, en.desc.length, &r,
                            e->order, err);
            if (rc < 0)
                return rc;
            ++*vcpus;
        }
        if (rc < 0 && bad->code == 0) /* the CPU entries before it are written */
            *bad = why;
    }

    if ((rc = note(b, "XSR", XSR_NT_IMAGE, XSR_NOTE_IMAGE_SIZE, &d, err)) < 0)
        return rc;
    xsr_st32(d, 1, LE); /* layout version of this note */
    xsr_st32(d + 4, s->dom_type, LE);
    xsr_st32(d + 8, s->version, LE);
    xsr_st32(d + 12, s->guest_width, LE);
    xsr_st32(d + 16, s->xen_major, LE);
    xsr_st32(d + 20, s->xen_minor, LE);
    xsr_st32(d + 24, XSR_PAGE_SIZE, LE);
    xsr_st32(d + 28, *vcpus, LE);
    xsr_st64(d + 32, xsri_pfns_count(&s->pfns), LE);
    xsr_st64(d + 40, present, LE);
    xsr_st64(d + 48, XSRI_ELF_DATA_BASE, LE);
    xsr_st64(d + 56, (s->complete ? 1u : 0u) | (s->checkpoints && !s->complete ? 2u : 0u), LE);
    xsr_st64(d + 64, s->checkpoints, LE);

    if (e->hvm && s->dom_type != XSR_DOM_X86_PV) {
        if ((rc = note(b, "XSR", XSR_NT_HVM_CONTEXT, e->hvm_len, &d, err)) < 0)
            return rc;
        memcpy(d, e->hvm, e->hvm_len);
    }
    return 0;
}

/* ------------------------------------------------------------ headers */

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off, struct xsr_error *err)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return xsr_error_sys(err, w < 0 ? errno : EIO, "writing the ELF headers at offset %#"
                                 PRIx64 " failed", off);
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* The runs of consecutive frames holding data, in pfn order. */
struct runs {
    struct xsri_pfn_iter it;
    uint64_t first, end;    /* the run found last: [first, end) */
    bool more;              /* it.pfn is the next frame with data */
};

static bool next_data(struct xsri_pfn_iter *it)
{
    while (xsri_pfns_next(it))
        if (it->st & XSRI_PF_DATA)
            return true;
    return false;
}

static void runs_start(struct runs *r, const struct xsri_pfns *p)
{
    xsri_pfns_iter(&r->it, p, 0, UINT64_MAX);
    r->more = next_data(&r->it);
}

static bool runs_next(struct runs *r)
{
    if (!r->more)
        return false;
    r->first = r->it.pfn;
    r->end = r->first + 1;
    while ((r->more = next_data(&r->it)) && r->it.pfn == r->end)
        r->end++;
    return true;
}

static void count_runs(const struct xsri_pfns *p, uint64_t *n, uint64_t *present)
{
    struct runs r;
    *n = *present = 0;
    for (runs_start(&r, p); runs_next(&r);) {
        ++*n;
        *present += r.end - r.first;
    }
}

static void phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t addr,
                 uint64_t size, uint64_t align)
{
    xsr_st32(p, type, LE);
    xsr_st32(p + 4, flags, LE);
    xsr_st64(p + 8, off, LE);
    xsr_st64(p + 16, addr, LE);
    xsr_st64(p + 24, addr, LE);
    xsr_st64(p + 32, size, LE);
    xsr_st64(p + 40, size, LE);
    xsr_st64(p + 48, align, LE);
}

#define PHDR_CHUNK 1024u

static int write_phdrs(int fd, const struct xsri_pfns *p, uint64_t off, uint64_t notes_off,
                       uint64_t notes_len, struct xsr_error *err)
{
    uint8_t *chunk = calloc(PHDR_CHUNK, PHDR_SIZE);
    struct runs r;
    size_t k = 0;
    int rc = 0;

    if (!chunk)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    phdr(chunk, PT_NOTE, 0, notes_off, 0, notes_len, 4);
    k = 1;
    for (runs_start(&r, p); rc == 0 && runs_next(&r);) {
        phdr(chunk + k * PHDR_SIZE, PT_LOAD, PF_R | PF_W | PF_X,
             XSRI_ELF_DATA_BASE + r.first * XSR_PAGE_SIZE, r.first * XSR_PAGE_SIZE,
             (r.end - r.first) * XSR_PAGE_SIZE, XSR_PAGE_SIZE);
        if (++k == PHDR_CHUNK) {
            rc = pwrite_all(fd, chunk, k * PHDR_SIZE, off, err);
            off += k * PHDR_SIZE;
            k = 0;
        }
    }
    if (rc == 0 && k)
        rc = pwrite_all(fd, chunk, k * PHDR_SIZE, off, err);
    free(chunk);
    return rc;
}

int xsri_elf_finish(struct xsri_elf *e, int fd, const struct xsri_scan *s,
                    struct xsr_extract_result *res, struct xsr_error *err)
{
    struct buf notes = { 0 };
    uint64_t nruns, present;
    struct xsr_error bad;
    uint8_t eh[EHDR_SIZE], sh[SHDR_SIZE];
    uint32_t vcpus;
    int rc;

    xsr_error_clear(&bad);
    count_runs(&s->pfns, &nruns, &present);
    rc = build_notes(e, s, present, &notes, &vcpus, &bad, err);
    if (rc < 0)
        goto out;

    uint64_t phnum = 1 + nruns;
    if (phnum > UINT32_MAX) {
        rc = xsr_error_set(err, XSR_ELIMIT, "%" PRIu64 " runs of present frames are more than an "
                           "ELF core can describe", nruns);
        goto out;
    }
    bool xnum = phnum >= PN_XNUM;
    uint64_t data_end = XSRI_ELF_DATA_BASE + xsri_pfns_count(&s->pfns) * XSR_PAGE_SIZE;
    uint64_t meta = phnum * PHDR_SIZE + notes.len + (xnum ? SHDR_SIZE : 0);
    uint64_t phoff = EHDR_SIZE + meta <= XSRI_ELF_DATA_BASE ? EHDR_SIZE : data_end;
    uint64_t notes_off = phoff + phnum * PHDR_SIZE;
    uint64_t shoff = xnum ? notes_off + ((notes.len + 7) & ~(uint64_t)7) : 0;
    uint64_t end = xnum ? shoff + SHDR_SIZE : notes_off + notes.len;

    memset(eh, 0, sizeof(eh));
    memcpy(eh, "\177ELF", 4);
    eh[4] = 2; /* ELFCLASS64 */
    eh[5] = 1; /* ELFDATA2LSB */
    eh[6] = 1; /* EV_CURRENT */
    xsr_st16(eh + 16, ET_CORE, LE);
    xsr_st16(eh + 18, EM_X86_64, LE);
    xsr_st32(eh + 20, 1, LE);
    xsr_st64(eh + 32, phoff, LE);
    xsr_st64(eh + 40, shoff, LE);
    xsr_st16(eh + 52, EHDR_SIZE, LE);
    xsr_st16(eh + 54, PHDR_SIZE, LE);
    xsr_st16(eh + 56, (uint16_t)(xnum ? PN_XNUM : phnum), LE);
    xsr_st16(eh + 58, xnum ? SHDR_SIZE : 0, LE);
    xsr_st16(eh + 60, xnum ? 1 : 0, LE);

    if ((rc = pwrite_all(fd, eh, sizeof(eh), 0, err)) < 0)
        goto out;
    if ((rc = write_phdrs(fd, &s->pfns, phoff, notes_off, notes.len, err)) < 0)
        goto out;
    if ((rc = pwrite_all(fd, notes.p, notes.len, notes_off, err)) < 0)
        goto out;
    if (xnum) { /* the real count lives in section 0's sh_info */
        memset(sh, 0, sizeof(sh));
        xsr_st32(sh + 44, (uint32_t)phnum, LE);
        if ((rc = pwrite_all(fd, sh, sizeof(sh), shoff, err)) < 0)
            goto out;
    }
    if (end < data_end)
        end = data_end;
    if (ftruncate(fd, (off_t)end) != 0) {
        rc = xsr_error_sys(err, errno, "setting the core file's size to %" PRIu64 " failed", end);
        goto out;
    }
    res->vcpus = vcpus;
    res->elf_loads = nruns;
    res->out_size = end;
    if (bad.code) { /* the core is complete without that vCPU; the stream is still malformed */
        if (err)
            *err = bad;
        rc = bad.code;
    }
out:
    free(notes.p);
    return rc;
}
