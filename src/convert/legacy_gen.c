/* SPDX-License-Identifier: MIT */
/*
 * Legacy stream generator: writes what a pre-v2 saver (xc_domain_save of
 * Xen 4.x) writes, for a synthetic guest: PV or HVM, 32- or 64-bit toolstack,
 * every chunk type, Remus checkpoints with or without compression, an xl
 * header, a device-model record.  Deterministic for a given option set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/convert.h>
#include <xsr/io.h>

#include "convert_internal.h"

#define OUT_BUF (1u << 20)
#define COMP_CHUNK 10000u /* compressed data per -12 chunk: pages span chunks */

/* Where the PV page tables live (pfns), when page_tables is set. */
#define PT_TOP 1u   /* L4 (64-bit guest) or L3 (32-bit PAE guest), pinned */
#define PT_L3 2u    /* 64-bit only */
#define PT_L2 3u
#define PT_L1 4u
#define START_INFO_PFN 5u

struct lg {
    const struct xsr_legacy_gen_opts *o;
    struct xsr_chan *out;
    struct xsr_error *err;
    uint8_t *buf;
    size_t len;
    uint64_t off;            /* bytes emitted */
    unsigned ulong;          /* bytes of an unsigned long: 4 or 8 */
    bool pv;
    unsigned gw;             /* guest width (PV) */
    uint32_t basic_len;
    uint8_t *page;           /* scratch page */
    struct xsri_dcache *cache;
    uint8_t *comp;           /* compressed data not sent yet */
    size_t comp_len, comp_cap;
    struct { uint64_t pfn; unsigned type; } *pend; /* pages added, not compressed */
    uint32_t npend;
    unsigned image;          /* being sent */
    uint64_t p2m_first, p2m_count; /* pfns holding the guest's p2m */
};

/* ------------------------------------------------------------- output */

static int flush(struct lg *g)
{
    int rc = 0;

    if (g->len)
        rc = xsr_chan_write(g->out, g->buf, g->len, g->err);
    g->len = 0;
    return rc;
}

static int put(struct lg *g, const void *p, size_t n)
{
    const uint8_t *s = p;

    while (n) {
        if (g->len == OUT_BUF) {
            int rc = flush(g);
            if (rc < 0)
                return rc;
        }
        size_t k = OUT_BUF - g->len < n ? OUT_BUF - g->len : n;
        memcpy(g->buf + g->len, s, k);
        g->len += k;
        g->off += k;
        s += k;
        n -= k;
    }
    return 0;
}

static int put32(struct lg *g, uint32_t v)
{
    uint8_t b[4];
    xsr_st32(b, v, XSR_LITTLE_ENDIAN);
    return put(g, b, 4);
}

static int put64(struct lg *g, uint64_t v)
{
    uint8_t b[8];
    xsr_st64(b, v, XSR_LITTLE_ENDIAN);
    return put(g, b, 8);
}

static int put_ulong(struct lg *g, uint64_t v)
{
    return g->ulong == 8 ? put64(g, v) : put32(g, (uint32_t)v);
}

static void mark(struct lg *g, const char *what)
{
    if (g->o->mark)
        g->o->mark(g->o->mark_ctx, what, g->off);
}

/* -------------------------------------------------------------- pages */

void xsr_legacy_gen_page(uint64_t seed, uint64_t pfn, unsigned image, uint8_t out[XSR_PAGE_SIZE])
{
    uint64_t s = xsri_mix64(seed ^ (pfn * 0x9e3779b97f4a7c15ULL));

    for (unsigned i = 0; i < XSR_PAGE_SIZE / 8; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        xsr_st64(out + 8 * i, s, XSR_LITTLE_ENDIAN);
    }
    /* Later images change a run of words of some pages, so that Remus
     * deltas have both changed and unchanged parts. */
    for (unsigned k = 1; k <= image; k++) {
        uint64_t h = xsri_mix64(seed + pfn * 31 + k);
        if (h % 4 == 0)
            continue;
        unsigned start = (unsigned)(h >> 8) % 900, words = 1 + (unsigned)(h >> 20) % 200;
        for (unsigned w = start; w < start + words && w < XSR_PAGE_SIZE / 4; w++)
            xsr_st32(out + 4 * w, (uint32_t)xsri_mix64(h + w), XSR_LITTLE_ENDIAN);
    }
}

/* Page-table type of a PV pfn (legacy type nibble), 0 for data pages. */
static unsigned pt_type(const struct lg *g, uint64_t pfn)
{
    if (!g->pv || !g->o->page_tables)
        return 0;
    if (g->gw == 8) {
        if (pfn == PT_TOP) return 0xC; /* pinned L4 */
        if (pfn == PT_L3) return 0x3;
        if (pfn == PT_L2) return 0x2;
        if (pfn == PT_L1) return 0x1;
    } else {
        if (pfn == PT_TOP) return 0xB; /* pinned L3 */
        if (pfn == PT_L2) return 0x2;
        if (pfn == PT_L1) return 0x1;
    }
    return 0;
}

static void pt_page(const struct lg *g, uint64_t pfn, uint8_t *out)
{
    const uint64_t flags = 0x67; /* present, rw, user, accessed, dirty */
    uint64_t n = g->o->nr_pages;

    memset(out, 0, XSR_PAGE_SIZE);
    if (pfn == PT_TOP && g->gw == 8)
        xsr_st64(out, (uint64_t)PT_L3 << 12 | flags, XSR_LITTLE_ENDIAN);
    else if (pfn == PT_TOP) /* PAE L3: the low four slots only */
        xsr_st64(out, (uint64_t)PT_L2 << 12 | 1, XSR_LITTLE_ENDIAN);
    else if (pfn == PT_L3)
        xsr_st64(out, (uint64_t)PT_L2 << 12 | flags, XSR_LITTLE_ENDIAN);
    else if (pfn == PT_L2)
        xsr_st64(out, (uint64_t)PT_L1 << 12 | flags, XSR_LITTLE_ENDIAN);
    else /* L1: map the first pages of the guest */
        for (uint64_t i = 0; i < 512 && i < n; i++)
            xsr_st64(out + 8 * i, i << 12 | flags, XSR_LITTLE_ENDIAN);
}

/* The page pfn holds in image k. */
static void make_page(struct lg *g, uint64_t pfn, unsigned k, uint8_t *out)
{
    if (pt_type(g, pfn)) {
        pt_page(g, pfn, out);
        return;
    }
    if (g->pv && pfn >= g->p2m_first && pfn < g->p2m_first + g->p2m_count) {
        /* The guest's own p2m: one entry per pfn, guest-width words. */
        uint64_t first = (pfn - g->p2m_first) * (XSR_PAGE_SIZE / g->gw);
        for (unsigned i = 0; i < XSR_PAGE_SIZE / g->gw; i++) {
            uint64_t e = first + i < g->o->nr_pages ? 0x100000 + first + i : ~0ULL;
            if (g->gw == 8)
                xsr_st64(out + 8 * i, e, XSR_LITTLE_ENDIAN);
            else
                xsr_st32(out + 4 * i, (uint32_t)e, XSR_LITTLE_ENDIAN);
        }
        return;
    }
    xsr_legacy_gen_page(g->o->seed, pfn, k, out);
}

/* Legacy type nibble of pfn's entry in image k (0xF/0xE/0xD: no data). */
static unsigned entry_type(const struct lg *g, uint64_t pfn)
{
    unsigned t = pt_type(g, pfn);

    if (t)
        return t;
    if (g->o->xtab && pfn > START_INFO_PFN && !(g->pv && pfn >= g->p2m_first)) {
        if (!g->pv && pfn >= 0xa0 && pfn < 0xc0)
            return 0xF; /* the VGA hole of an HVM guest */
        if (pfn % 97 == 13)
            return 0xF;
        if (pfn % 89 == 17)
            return 0xE;
        if (pfn % 83 == 19)
            return 0xD;
    }
    return 0;
}

/* Whether pfn is sent in image k (every page in image 0). */
static bool dirty_in(const struct lg *g, uint64_t pfn, unsigned k)
{
    return k == 0 || xsri_mix64(g->o->seed * 7 + pfn * 131 + k) % 3 == 0;
}

/* ---------------------------------------------------- compressed data */

static int comp_reserve(struct lg *g, size_t n)
{
    if (g->comp_cap - g->comp_len >= n)
        return 0;
    size_t cap = g->comp_cap ? g->comp_cap * 2 : (1u << 16);
    while (cap - g->comp_len < n)
        cap *= 2;
    uint8_t *p = realloc(g->comp, cap);
    if (!p)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory for compressed page data");
    g->comp = p;
    g->comp_cap = cap;
    return 0;
}

/*
 * The Remus sender adds the pages of a checkpoint to a buffer of
 * XSRI_REMUS_BLOCK pages (dropping page tables from its cache as they are
 * added), and compresses the buffer when it is full and at the end of the
 * checkpoint: page tables whole, other pages against the cached copy.
 */
static int comp_block(struct lg *g)
{
    for (uint32_t i = 0; i < g->npend; i++) {
        uint64_t pfn = g->pend[i].pfn;
        uint8_t *base = NULL;
        int rc = comp_reserve(g, XSRI_DELTA_MAX);

        if (rc < 0)
            return rc;
        make_page(g, pfn, g->image, g->page);
        if (!(g->pend[i].type & 0x7)) {
            base = xsri_dcache_get(g->cache, pfn);
            if (!base) {
                uint8_t *slot = xsri_dcache_put(g->cache, pfn);
                if (!slot)
                    return xsr_error_set(g->err, XSR_ENOMEM, "out of memory for the delta cache");
                memcpy(slot, g->page, XSR_PAGE_SIZE);
            }
        }
        g->comp_len += xsri_delta_encode(g->page, base, g->comp + g->comp_len);
        if (base)
            memcpy(base, g->page, XSR_PAGE_SIZE);
    }
    g->npend = 0;
    return 0;
}

static int comp_add(struct lg *g, uint64_t pfn, unsigned type)
{
    if (type & 0x7)
        xsri_dcache_drop(g->cache, pfn);
    g->pend[g->npend].pfn = pfn;
    g->pend[g->npend].type = type;
    if (++g->npend == XSRI_REMUS_BLOCK)
        return comp_block(g);
    return 0;
}

/* Send compressed data in -12 chunks of COMP_CHUNK bytes (all if final). */
static int comp_flush(struct lg *g, bool final)
{
    size_t done = 0;
    int rc = 0;

    while (rc == 0 && (g->comp_len - done >= COMP_CHUNK || (final && done < g->comp_len))) {
        size_t n = g->comp_len - done < COMP_CHUNK ? g->comp_len - done : COMP_CHUNK;
        mark(g, "compressed_data");
        rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_COMPRESSED_DATA);
        if (rc == 0)
            rc = put_ulong(g, n);
        if (rc == 0)
            rc = put(g, g->comp + done, n);
        done += n;
    }
    if (done) {
        memmove(g->comp, g->comp + done, g->comp_len - done);
        g->comp_len -= done;
    }
    return rc;
}

/* ---------------------------------------------------------- page batches */

struct batch {
    uint32_t n;
    uint32_t words[XSR_LEGACY_MAX_BATCH];
};

static int send_batch(struct lg *g, struct batch *b, unsigned k, bool compressed)
{
    int rc;

    if (b->n == 0)
        return 0;
    mark(g, "batch");
    rc = put32(g, b->n);
    for (uint32_t i = 0; rc == 0 && i < b->n; i++)
        rc = put_ulong(g, b->words[i]);
    if (rc == 0 && !compressed)
        mark(g, "pages");
    for (uint32_t i = 0; rc == 0 && i < b->n; i++) {
        unsigned type = b->words[i] >> XSR_LEGACY_TYPE_SHIFT;
        uint64_t pfn = b->words[i] & XSR_LEGACY_PFN_MASK;
        if (type >= 0xD)
            continue;
        if (compressed) {
            rc = comp_add(g, pfn, type);
        } else {
            make_page(g, pfn, k, g->page);
            rc = put(g, g->page, XSR_PAGE_SIZE);
        }
    }
    b->n = 0;
    if (rc == 0 && compressed)
        rc = comp_flush(g, false);
    return rc;
}

static int add_entry(struct lg *g, struct batch *b, uint32_t word, unsigned k, bool compressed)
{
    b->words[b->n++] = word;
    if (b->n == g->o->batch)
        return send_batch(g, b, k, compressed);
    return 0;
}

/* Every page (image 0) or the dirty ones (later images). */
static int send_memory(struct lg *g, unsigned k, bool compressed, struct batch *b)
{
    int rc = 0;
    uint64_t n = 0;

    for (uint64_t pfn = 0; rc == 0 && pfn < g->o->nr_pages; pfn++) {
        if (!dirty_in(g, pfn, k))
            continue;
        rc = add_entry(g, b, (uint32_t)entry_type(g, pfn) << XSR_LEGACY_TYPE_SHIFT | (uint32_t)pfn,
                       k, compressed);
        /* The saver leaves "XTAB, pfn 0" fillers for pfns it cannot map. */
        if (rc == 0 && g->o->xtab && ++n % 100 == 50)
            rc = add_entry(g, b, XSR_LEGACY_XTAB_FILLER, k, compressed);
    }
    if (rc == 0)
        rc = send_batch(g, b, k, compressed);
    if (rc == 0 && g->o->filler_batch && k == 0) {
        for (unsigned i = 0; i < 3; i++)
            b->words[b->n++] = XSR_LEGACY_XTAB_FILLER;
        rc = send_batch(g, b, k, compressed);
    }
    return rc;
}

/* ------------------------------------------------------------- chunks */

static int chunk_param(struct lg *g, int32_t id, uint64_t value)
{
    int rc;

    mark(g, xsr_legacy_chunk_name(id));
    rc = put32(g, (uint32_t)id);
    if (rc == 0)
        rc = put32(g, 0); /* padding */
    if (rc == 0)
        rc = put64(g, value);
    return rc;
}

static int chunk_vcpu_info(struct lg *g)
{
    unsigned max_id = g->o->max_vcpu_id;
    int rc;

    mark(g, "vcpu_info");
    rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_VCPU_INFO);
    if (rc == 0)
        rc = put32(g, max_id);
    for (unsigned w = 0; rc == 0 && w <= max_id / 64; w++) {
        uint64_t word = 0;
        for (unsigned b = 0; b < 64; b++) {
            unsigned id = w * 64 + b;
            if (id < g->o->nr_vcpus)
                word |= 1ULL << b;
        }
        rc = put64(g, word);
    }
    return rc;
}

static int chunk_tsc(struct lg *g, unsigned k)
{
    int rc;

    mark(g, "tsc_info");
    rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_TSC_INFO);
    if (rc == 0)
        rc = put32(g, 0);                                    /* mode */
    if (rc == 0)
        rc = put64(g, 1000000000ULL * (40 + k) + g->o->seed % 1000); /* nsec */
    if (rc == 0)
        rc = put32(g, 2793435);                              /* khz */
    if (rc == 0)
        rc = put32(g, 1 + k);                                /* incarnation */
    return rc;
}

/* libxl's version 1 toolstack record: QEMU physmap entries. */
static int chunk_toolstack(struct lg *g)
{
    static const char *names[] = { "vga.vram", "xen.rom" };
    uint8_t data[256];
    size_t n = 0;
    int rc;

    /* libxl saved the device model's physmap: nothing for a PV guest. */
    unsigned count = g->pv && !g->o->toolstack_pv_entries ? 0 : 2;
    xsr_st32(data, 1, XSR_LITTLE_ENDIAN); /* version */
    xsr_st32(data + 4, count, XSR_LITTLE_ENDIAN);
    n = 8;
    for (unsigned i = 0; i < count; i++) {
        uint32_t namelen = (uint32_t)strlen(names[i]) + 1;
        xsr_st64(data + n, 0xf0000000ULL + i * 0x1000000, XSR_LITTLE_ENDIAN);
        xsr_st64(data + n + 8, 0xfc000000ULL + i * 0x800000, XSR_LITTLE_ENDIAN);
        xsr_st64(data + n + 16, 0x800000ULL >> i, XSR_LITTLE_ENDIAN);
        xsr_st32(data + n + 24, namelen, XSR_LITTLE_ENDIAN);
        n += 28;
        memcpy(data + n, names[i], namelen);
        n += namelen;
        if (g->ulong == 8) { /* the 64-bit struct's tail padding follows */
            memset(data + n, 0, 4);
            n += 4;
        }
    }
    mark(g, "toolstack");
    rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_TOOLSTACK);
    if (rc == 0)
        rc = put32(g, (uint32_t)n);
    if (rc == 0)
        rc = put(g, data, n);
    return rc;
}

static const struct { int32_t id; uint64_t value; } hvm_chunks[] = {
    { XSR_LEGACY_CHUNK_HVM_GENERATION_ID, 0xfeffe000 },
    { XSR_LEGACY_CHUNK_HVM_IDENT_PT, 0xfeffd000 },
    { XSR_LEGACY_CHUNK_HVM_PAGING_RING, 0xfeff8 },
    { XSR_LEGACY_CHUNK_HVM_MONITOR_RING, 0xfeff9 },
    { XSR_LEGACY_CHUNK_HVM_SHARING_RING, 0xfeffa },
    { XSR_LEGACY_CHUNK_HVM_VM86_TSS, 0xfeffb000 },
    { XSR_LEGACY_CHUNK_HVM_CONSOLE_PFN, 0xfefff },
    { XSR_LEGACY_CHUNK_HVM_ACPI_IOPORTS, 1 },
    { XSR_LEGACY_CHUNK_HVM_VIRIDIAN, 1 },
    { XSR_LEGACY_CHUNK_HVM_IOREQ_SERVER_PFN, 0xfeff0 },
    { XSR_LEGACY_CHUNK_HVM_NR_IOREQ_SERVER_PAGES, 8 },
};

/* The chunks after the memory of image k, up to and including the 0. */
static int body_end(struct lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    int rc = 0;

    if (!o->no_vcpu_info)
        rc = chunk_vcpu_info(g);
    if (rc == 0 && !g->pv) {
        for (size_t i = 0; rc == 0 && i < sizeof(hvm_chunks) / sizeof(hvm_chunks[0]); i++) {
            bool basic = hvm_chunks[i].id == XSR_LEGACY_CHUNK_HVM_IDENT_PT ||
                         hvm_chunks[i].id == XSR_LEGACY_CHUNK_HVM_VM86_TSS ||
                         hvm_chunks[i].id == XSR_LEGACY_CHUNK_HVM_CONSOLE_PFN ||
                         hvm_chunks[i].id == XSR_LEGACY_CHUNK_HVM_ACPI_IOPORTS;
            if (basic || o->all_chunks)
                rc = chunk_param(g, hvm_chunks[i].id, hvm_chunks[i].value + k);
        }
        if (rc == 0 && o->all_chunks) /* a parameter sent twice */
            rc = chunk_param(g, XSR_LEGACY_CHUNK_HVM_IDENT_PT, 0xfeffd000);
    }
    if (rc == 0 && o->toolstack)
        rc = chunk_toolstack(g);
    if (rc == 0 && o->last_checkpoint && o->checkpoints <= 1) {
        mark(g, "last_checkpoint");
        rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_LAST_CHECKPOINT);
    }
    if (rc == 0 && o->compress && k == 0) {
        mark(g, "enable_compression");
        rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_ENABLE_COMPRESSION);
    }
    if (rc == 0) {
        mark(g, "end");
        rc = put32(g, 0);
    }
    return rc;
}

static int send_body(struct lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    bool compressed = o->compress && k > 0;
    struct batch *b = calloc(1, sizeof(*b));
    int rc = 0;

    if (!b)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory for a page batch");
    g->image = k;
    mark(g, "image");
    if (o->extra_chunk) {
        mark(g, "extra_chunk");
        rc = put32(g, (uint32_t)o->extra_chunk);
    }
    if (rc == 0)
        rc = send_memory(g, k, compressed, b);
    /* The saver sends TSC info when the domain is suspended, before the
     * last pass; here after the memory, with a second copy for all_chunks. */
    if (rc == 0)
        rc = chunk_tsc(g, k);
    if (rc == 0 && o->verify && k == 0) {
        mark(g, "enable_verify_mode");
        rc = put32(g, (uint32_t)XSR_LEGACY_CHUNK_ENABLE_VERIFY);
        for (uint64_t pfn = 0; rc == 0 && pfn < o->nr_pages; pfn++)
            if (entry_type(g, pfn) < 0xD)
                rc = add_entry(g, b, (uint32_t)entry_type(g, pfn) << XSR_LEGACY_TYPE_SHIFT |
                                         (uint32_t)pfn, k, false);
        if (rc == 0)
            rc = send_batch(g, b, k, false);
    }
    if (rc == 0 && compressed)
        rc = comp_block(g);
    if (rc == 0 && compressed)
        rc = comp_flush(g, true);
    if (rc == 0 && o->all_chunks)
        rc = chunk_tsc(g, k);
    free(b);
    if (rc == 0)
        rc = body_end(g, k);
    return rc;
}

/* ---------------------------------------------------------- PV parts */

/* A vcpu_guest_context: mostly a pattern, with the fields a restorer
 * follows pointing at the right pages. */
static void vcpu_context(struct lg *g, unsigned vcpu, unsigned k, uint8_t *ctx)
{
    uint64_t s = xsri_mix64(g->o->seed + vcpu * 1000 + k);

    for (uint32_t i = 0; i + 8 <= g->basic_len; i += 8) {
        s = xsri_mix64(s);
        xsr_st64(ctx + i, s, XSR_LITTLE_ENDIAN);
    }
    if (g->gw == 8) {
        xsr_st64(ctx + 512, 1u << 1 | 1u << 2, XSR_LITTLE_ENDIAN); /* flags: in kernel, failsafe */
        xsr_st64(ctx + 520 + 96, vcpu == 0 ? START_INFO_PFN : 0, XSR_LITTLE_ENDIAN); /* rdx */
        memset(ctx + 4816, 0, 4984 - 4816);    /* ldt, gdt frames and count, kernel ss/sp */
        memset(ctx + 4984, 0, 16 * 8);         /* ctrlreg, debugreg */
        xsr_st64(ctx + 4984 + 3 * 8, (uint64_t)PT_TOP << 12, XSR_LITTLE_ENDIAN); /* cr3 */
        xsr_st64(ctx + 4968, 0xe02b, XSR_LITTLE_ENDIAN); /* kernel_ss */
    } else {
        xsr_st32(ctx + 512, 1u << 1 | 1u << 2, XSR_LITTLE_ENDIAN);
        xsr_st32(ctx + 516 + 8, vcpu == 0 ? START_INFO_PFN : 0, XSR_LITTLE_ENDIAN); /* edx */
        memset(ctx + 2632, 0, 2716 - 2632);
        memset(ctx + 2716, 0, 16 * 4);
        /* 32-bit guests keep cr3 in the "extended cr3" rotation. */
        uint32_t cr3 = (uint32_t)(PT_TOP << 12 | PT_TOP >> 20);
        xsr_st32(ctx + 2716 + 3 * 4, cr3, XSR_LITTLE_ENDIAN);
        xsr_st32(ctx + 2708, 0xe021, XSR_LITTLE_ENDIAN);
    }
}

/* The extended context as XEN_DOMCTL_get_ext_vcpucontext returns it, in the
 * 128 bytes the legacy tail reserves. */
static void vcpu_extended(unsigned vcpu, uint8_t *ext)
{
    memset(ext, 0, XSR_LEGACY_EXTV_SIZE);
    xsr_st32(ext, vcpu, XSR_LITTLE_ENDIAN);
    xsr_st32(ext + 4, 64, XSR_LITTLE_ENDIAN);
    xsr_st64(ext + 8, 0xffffffff81000000ULL + vcpu, XSR_LITTLE_ENDIAN);
    xsr_st64(ext + 16, 0xffffffff81000100ULL, XSR_LITTLE_ENDIAN);
    xsr_st16(ext + 24, 0xe033, XSR_LITTLE_ENDIAN);
    xsr_st16(ext + 26, 0xe033, XSR_LITTLE_ENDIAN);
}

static int pv_header(struct lg *g)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    uint32_t total = 8 + g->basic_len + (o->extv ? 8 : 0) + (o->xsave_size ? 12 : 0);
    uint8_t *ctx = calloc(1, g->basic_len);
    int rc;

    if (!ctx)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
    mark(g, "extended_info");
    rc = put_ulong(g, UINT64_MAX);
    if (rc == 0)
        rc = put32(g, total);
    if (rc == 0) {
        mark(g, "ext_vcpu");
        rc = put(g, "vcpu", 4);
    }
    if (rc == 0)
        rc = put32(g, g->basic_len);
    if (rc == 0) {
        vcpu_context(g, 0, 0, ctx);
        rc = put(g, ctx, g->basic_len);
    }
    if (rc == 0 && o->extv) {
        mark(g, "ext_extv");
        rc = put(g, "extv", 4);
        if (rc == 0)
            rc = put32(g, 0);
    }
    if (rc == 0 && o->xsave_size) {
        mark(g, "ext_xcnt");
        rc = put(g, "xcnt", 4);
        if (rc == 0)
            rc = put32(g, 4);
        if (rc == 0)
            rc = put32(g, o->xsave_size + 16);
    }
    free(ctx);
    if (rc < 0)
        return rc;
    mark(g, "p2m_frames");
    for (uint64_t i = 0; rc == 0 && i < g->p2m_count; i++)
        rc = put_ulong(g, g->p2m_first + i);
    return rc;
}

static int pv_tail(struct lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    uint8_t *ctx = malloc(g->basic_len > XSR_PAGE_SIZE ? g->basic_len : XSR_PAGE_SIZE);
    int rc;

    if (!ctx)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
    mark(g, "tail");
    /* Unmapped pfns: bogus, and dropped by converters. */
    rc = put32(g, o->all_chunks ? 2 : 0);
    if (rc == 0 && o->all_chunks) {
        rc = put_ulong(g, o->nr_pages + 1);
        if (rc == 0)
            rc = put_ulong(g, o->nr_pages + 7);
    }
    unsigned vcpus = o->no_vcpu_info ? 1 : o->nr_vcpus;
    for (unsigned v = 0; rc == 0 && v < vcpus; v++) {
        mark(g, "vcpu_basic");
        vcpu_context(g, v, k, ctx);
        rc = put(g, ctx, g->basic_len);
        if (rc == 0 && o->extv) {
            mark(g, "vcpu_extended");
            vcpu_extended(v, ctx);
            rc = put(g, ctx, XSR_LEGACY_EXTV_SIZE);
        }
        if (rc == 0 && o->xsave_size) {
            mark(g, "vcpu_xsave");
            rc = put64(g, 0x7);                 /* xfeature mask */
            if (rc == 0)
                rc = put64(g, o->xsave_size);
            /* the domctl buffer: xcr0, xcr0_accum, XSAVE image */
            for (uint32_t i = 0; rc == 0 && i < o->xsave_size; i += 8) {
                uint64_t w = i == 0 ? 0x7 : i == 8 ? 0x7 : xsri_mix64(o->seed + v * 77 + i + k);
                uint8_t b[8];
                xsr_st64(b, w, XSR_LITTLE_ENDIAN);
                rc = put(g, b, o->xsave_size - i < 8 ? o->xsave_size - i : 8);
            }
        }
    }
    if (rc == 0) {
        /* Shared info: the structure, zero beyond it (as Xen keeps it). */
        uint32_t size = xsri_shinfo_size(g->gw);
        memset(ctx, 0, XSR_PAGE_SIZE);
        for (uint32_t i = 0; i + 8 <= size; i += 8)
            xsr_st64(ctx + i, xsri_mix64(o->seed + 0x5a + i + k) & 0x0101010101010101ULL,
                     XSR_LITTLE_ENDIAN);
        mark(g, "shared_info");
        rc = put(g, ctx, XSR_PAGE_SIZE);
    }
    free(ctx);
    return rc;
}

/* --------------------------------------------------------- HVM parts */

static int hvm_tail(struct lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    size_t cap = 0, len = 0;
    uint8_t *blob = NULL;
    int rc;

    mark(g, "tail");
    rc = put64(g, 0xfeff1 + k); /* ioreq */
    if (rc == 0)
        rc = put64(g, 0xfeff2);  /* buffered ioreq */
    if (rc == 0)
        rc = put64(g, 0xfeffc);  /* xenstore */
    if (rc < 0)
        return rc;

    /* An HVM context blob: HEADER, per-vCPU CPU and LAPIC, a PIT, END. */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t hdr[XSR_HVMCTX_HEADER_SIZE], body[1032];
        struct xsr_hvmctx_header h = { XSR_HVMCTX_MAGIC, XSR_HVMCTX_VERSION, 0x4005, 0x306c3,
                                       2793435 };
        len = 0;
        xsr_hvmctx_header_encode(&h, XSR_LITTLE_ENDIAN, hdr);
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_HEADER, 0, hdr, sizeof(hdr), XSR_LITTLE_ENDIAN);
        for (unsigned v = 0; v < o->nr_vcpus; v++) {
            for (uint32_t i = 0; i < sizeof(body); i++)
                body[i] = (uint8_t)xsri_mix64(o->seed + v * 4096 + i + k);
            xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_CPU, (uint16_t)v, body,
                           xsr_hvmctx_type_size(XSR_HVMCTX_CPU), XSR_LITTLE_ENDIAN);
            xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_LAPIC, (uint16_t)v, body,
                           xsr_hvmctx_type_size(XSR_HVMCTX_LAPIC), XSR_LITTLE_ENDIAN);
        }
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_PIT, 0, body,
                       xsr_hvmctx_type_size(XSR_HVMCTX_PIT), XSR_LITTLE_ENDIAN);
        xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_END, 0, NULL, 0, XSR_LITTLE_ENDIAN);
        if (pass == 0) {
            cap = len;
            blob = malloc(cap);
            if (!blob)
                return xsr_error_set(g->err, XSR_ENOMEM, "out of memory");
        }
    }
    mark(g, "hvm_context");
    rc = put32(g, (uint32_t)len);
    if (rc == 0)
        rc = put(g, blob, len);
    free(blob);
    if (rc == 0 && o->device_model) {
        /* Remus checkpoints carry the device model with its own signature. */
        const char *sig = o->checkpoints > 1 ? XSR_LEGACY_DM_SIG_REMUS : XSR_LEGACY_DM_SIG;
        mark(g, "device_model");
        rc = put(g, sig, XSR_LEGACY_DM_SIG_SIZE);
        if (rc == 0)
            rc = put32(g, o->dm_size);
        for (uint32_t i = 0; rc == 0 && i < o->dm_size; i++) {
            uint8_t c = i < 4 ? (uint8_t)"QEVM"[i] : (uint8_t)xsri_mix64(o->seed + i + k * 3);
            rc = put(g, &c, 1);
        }
    }
    return rc;
}

/* ----------------------------------------------------------- xl header */

static int xl_header(struct lg *g)
{
    char cfg[256];
    uint8_t hdr[XSR_XL_HDR_SIZE];
    int n = snprintf(cfg, sizeof(cfg),
                     "{\n    \"c_info\": {\n        \"type\": \"%s\",\n"
                     "        \"name\": \"legacy-%s\"\n    }\n}\n",
                     g->pv ? "pv" : "hvm", g->pv ? "pv" : "hvm");
    struct xsr_xl_hdr h = { XSR_LITTLE_ENDIAN, XSR_XL_FLAG_JSON, 0, 4 + (uint32_t)n + 1 };
    int rc;

    mark(g, "xl_header");
    xsr_xl_hdr_encode(&h, hdr);
    rc = put(g, hdr, sizeof(hdr));
    if (rc == 0)
        rc = put32(g, (uint32_t)n + 1);
    if (rc == 0)
        rc = put(g, cfg, (size_t)n + 1);
    return rc;
}

/* ------------------------------------------------------------ the lot */

void xsr_legacy_gen_opts_init(struct xsr_legacy_gen_opts *o, unsigned width, uint32_t guest)
{
    memset(o, 0, sizeof(*o));
    o->width = width == 32 ? 32 : 64;
    o->guest = guest == XSR_DOM_X86_HVM ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV;
    o->guest_width = 8;
    o->nr_pages = 256;
    o->nr_vcpus = 1;
    o->batch = XSR_LEGACY_MAX_BATCH;
    o->extv = true;
    o->page_tables = o->guest == XSR_DOM_X86_PV;
    o->last_checkpoint = true;
    o->dm_size = 4096;
    o->device_model = o->guest == XSR_DOM_X86_HVM;
    o->seed = 1;
}

static int check_opts(const struct xsr_legacy_gen_opts *o, struct xsr_error *err)
{
    if (o->width != 32 && o->width != 64)
        return xsr_error_set(err, XSR_EINVAL, "toolstack width %u is neither 32 nor 64", o->width);
    if (o->guest != XSR_DOM_X86_PV && o->guest != XSR_DOM_X86_HVM)
        return xsr_error_set(err, XSR_EINVAL, "guest type %" PRIu32 " is neither PV nor HVM",
                             o->guest);
    if (o->guest == XSR_DOM_X86_PV && o->guest_width != 4 && o->guest_width != 8)
        return xsr_error_set(err, XSR_EINVAL, "guest width %u is neither 4 nor 8", o->guest_width);
    /* PV: page tables and start info in pfns 1..5, the p2m at the end */
    if (o->nr_pages < 8 || o->nr_pages > XSR_LEGACY_PFN_MASK)
        return xsr_error_set(err, XSR_EINVAL, "%" PRIu64 " pages: need 8 to 2^28 - 1",
                             o->nr_pages);
    if (o->nr_vcpus < 1 || o->max_vcpu_id + 1 < o->nr_vcpus ||
        o->max_vcpu_id > XSR_LEGACY_MAX_VCPU_ID)
        return xsr_error_set(err, XSR_EINVAL, "%u vCPUs with max id %u: need 1 <= vCPUs <= "
                             "max id + 1 <= 4096", o->nr_vcpus, o->max_vcpu_id);
    if (o->batch < 1 || o->batch > XSR_LEGACY_MAX_BATCH)
        return xsr_error_set(err, XSR_EINVAL, "batch of %u entries: need 1 to 1024", o->batch);
    if (o->compress && o->checkpoints < 2)
        return xsr_error_set(err, XSR_EINVAL, "compression needs at least 2 checkpoints");
    if (o->xsave_size > (1u << 20))
        return xsr_error_set(err, XSR_EINVAL, "xsave size %" PRIu32 " above 1 MiB", o->xsave_size);
    if (o->dm_size > (64u << 20))
        return xsr_error_set(err, XSR_EINVAL, "device model size %" PRIu32 " above 64 MiB",
                             o->dm_size);
    return 0;
}

int xsr_legacy_gen_write(const struct xsr_legacy_gen_opts *opts, struct xsr_chan *out,
                         struct xsr_error *err)
{
    struct xsr_legacy_gen_opts o = *opts;
    struct lg g = { 0 };
    int rc;

    if (o.max_vcpu_id + 1 < o.nr_vcpus)
        o.max_vcpu_id = o.nr_vcpus ? o.nr_vcpus - 1 : 0;
    rc = check_opts(&o, err);
    if (rc < 0)
        return rc;
    g.o = &o;
    g.out = out;
    g.err = err;
    g.ulong = o.width / 8;
    g.pv = o.guest == XSR_DOM_X86_PV;
    g.gw = g.pv ? o.guest_width : 8;
    g.basic_len = g.gw == 8 ? XSR_LEGACY_EXT_VCPU_64 : XSR_LEGACY_EXT_VCPU_32;
    if (g.pv) {
        uint64_t fpp = XSR_PAGE_SIZE / g.gw;
        g.p2m_count = (o.nr_pages - 1) / fpp + 1;
        g.p2m_first = o.nr_pages - g.p2m_count;
    }
    g.buf = malloc(OUT_BUF);
    g.page = malloc(XSR_PAGE_SIZE);
    if (o.compress) {
        g.cache = xsri_dcache_new(XSRI_REMUS_CACHE);
        g.pend = malloc(sizeof(*g.pend) * XSRI_REMUS_BLOCK);
    }
    if (!g.buf || !g.page || (o.compress && (!g.cache || !g.pend))) {
        rc = xsr_error_set(err, XSR_ENOMEM, "out of memory for the legacy generator");
        goto out;
    }

    if (o.xl_header)
        rc = xl_header(&g);
    if (rc == 0) {
        mark(&g, "p2m_size");
        rc = put_ulong(&g, o.nr_pages);
    }
    if (rc == 0 && g.pv)
        rc = pv_header(&g);
    unsigned images = o.checkpoints > 1 ? o.checkpoints : 1;
    for (unsigned k = 0; rc == 0 && k < images; k++) {
        rc = send_body(&g, k);
        if (rc == 0)
            rc = g.pv ? pv_tail(&g, k) : hvm_tail(&g, k);
    }
    if (rc == 0)
        rc = flush(&g);
out:
    free(g.buf);
    free(g.page);
    free(g.comp);
    free(g.pend);
    xsri_dcache_free(g.cache);
    return rc;
}
