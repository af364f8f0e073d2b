/* SPDX-License-Identifier: MIT */
/*
 * The body of a generated legacy image: the pages of the guest (pattern
 * pages, PV page tables and p2m), page batches with XTAB/XALLOC/BROKEN
 * entries and fillers, compressed Remus checkpoints, and every chunk type.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_gen_internal.h"

#define COMP_CHUNK 10000u /* compressed data per -12 chunk: pages span chunks */

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
static unsigned pt_type(const struct xsri_lg *g, uint64_t pfn)
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

static void pt_page(const struct xsri_lg *g, uint64_t pfn, uint8_t *out)
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
static void make_page(struct xsri_lg *g, uint64_t pfn, unsigned k, uint8_t *out)
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
static unsigned entry_type(const struct xsri_lg *g, uint64_t pfn)
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
static bool dirty_in(const struct xsri_lg *g, uint64_t pfn, unsigned k)
{
    return k == 0 || xsri_mix64(g->o->seed * 7 + pfn * 131 + k) % 3 == 0;
}

/* ---------------------------------------------------- compressed data */

static int comp_reserve(struct xsri_lg *g, size_t n)
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
static int comp_block(struct xsri_lg *g)
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

static int comp_add(struct xsri_lg *g, uint64_t pfn, unsigned type)
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
static int comp_flush(struct xsri_lg *g, bool final)
{
    size_t done = 0;
    int rc = 0;

    while (rc == 0 && (g->comp_len - done >= COMP_CHUNK || (final && done < g->comp_len))) {
        size_t n = g->comp_len - done < COMP_CHUNK ? g->comp_len - done : COMP_CHUNK;
        xsri_lg_mark(g, "compressed_data");
        rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_COMPRESSED_DATA);
        if (rc == 0)
            rc = xsri_lg_put_ulong(g, n);
        if (rc == 0)
            rc = xsri_lg_put(g, g->comp + done, n);
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

static int send_batch(struct xsri_lg *g, struct batch *b, unsigned k, bool compressed)
{
    int rc;

    if (b->n == 0)
        return 0;
    xsri_lg_mark(g, "batch");
    rc = xsri_lg_put32(g, b->n);
    for (uint32_t i = 0; rc == 0 && i < b->n; i++)
        rc = xsri_lg_put_ulong(g, b->words[i]);
    if (rc == 0 && !compressed)
        xsri_lg_mark(g, "pages");
    for (uint32_t i = 0; rc == 0 && i < b->n; i++) {
        unsigned type = b->words[i] >> XSR_LEGACY_TYPE_SHIFT;
        uint64_t pfn = b->words[i] & XSR_LEGACY_PFN_MASK;
        if (type >= 0xD)
            continue;
        if (compressed) {
            rc = comp_add(g, pfn, type);
        } else {
            make_page(g, pfn, k, g->page);
            rc = xsri_lg_put(g, g->page, XSR_PAGE_SIZE);
        }
    }
    b->n = 0;
    if (rc == 0 && compressed)
        rc = comp_flush(g, false);
    return rc;
}

static int add_entry(struct xsri_lg *g, struct batch *b, uint32_t word, unsigned k, bool compressed)
{
    b->words[b->n++] = word;
    if (b->n == g->o->batch)
        return send_batch(g, b, k, compressed);
    return 0;
}

/* Every page (image 0) or the dirty ones (later images). */
static int send_memory(struct xsri_lg *g, unsigned k, bool compressed, struct batch *b)
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

static int chunk_param(struct xsri_lg *g, int32_t id, uint64_t value)
{
    int rc;

    xsri_lg_mark(g, xsr_legacy_chunk_name(id));
    rc = xsri_lg_put32(g, (uint32_t)id);
    if (rc == 0)
        rc = xsri_lg_put32(g, 0); /* padding */
    if (rc == 0)
        rc = xsri_lg_put64(g, value);
    return rc;
}

static int chunk_vcpu_info(struct xsri_lg *g)
{
    unsigned max_id = g->o->max_vcpu_id;
    int rc;

    xsri_lg_mark(g, "vcpu_info");
    rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_VCPU_INFO);
    if (rc == 0)
        rc = xsri_lg_put32(g, max_id);
    for (unsigned w = 0; rc == 0 && w <= max_id / 64; w++) {
        uint64_t word = 0;
        for (unsigned b = 0; b < 64; b++) {
            unsigned id = w * 64 + b;
            if (id < g->o->nr_vcpus)
                word |= 1ULL << b;
        }
        rc = xsri_lg_put64(g, word);
    }
    return rc;
}

static int chunk_tsc(struct xsri_lg *g, unsigned k)
{
    int rc;

    xsri_lg_mark(g, "tsc_info");
    rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_TSC_INFO);
    if (rc == 0)
        rc = xsri_lg_put32(g, 0);                                    /* mode */
    if (rc == 0)
        rc = xsri_lg_put64(g, 1000000000ULL * (40 + k) + g->o->seed % 1000); /* nsec */
    if (rc == 0)
        rc = xsri_lg_put32(g, 2793435);                              /* khz */
    if (rc == 0)
        rc = xsri_lg_put32(g, 1 + k);                                /* incarnation */
    return rc;
}

/* libxl's version 1 toolstack record: QEMU physmap entries. */
static int chunk_toolstack(struct xsri_lg *g)
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
    xsri_lg_mark(g, "toolstack");
    rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_TOOLSTACK);
    if (rc == 0)
        rc = xsri_lg_put32(g, (uint32_t)n);
    if (rc == 0)
        rc = xsri_lg_put(g, data, n);
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
static int body_end(struct xsri_lg *g, unsigned k)
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
        xsri_lg_mark(g, "last_checkpoint");
        rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_LAST_CHECKPOINT);
    }
    if (rc == 0 && o->compress && k == 0) {
        xsri_lg_mark(g, "enable_compression");
        rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_ENABLE_COMPRESSION);
    }
    if (rc == 0) {
        xsri_lg_mark(g, "end");
        rc = xsri_lg_put32(g, 0);
    }
    return rc;
}

int xsri_lg_send_body(struct xsri_lg *g, unsigned k)
{
    const struct xsr_legacy_gen_opts *o = g->o;
    bool compressed = o->compress && k > 0;
    struct batch *b = calloc(1, sizeof(*b));
    int rc = 0;

    if (!b)
        return xsr_error_set(g->err, XSR_ENOMEM, "out of memory for a page batch");
    g->image = k;
    xsri_lg_mark(g, "image");
    if (o->extra_chunk) {
        xsri_lg_mark(g, "extra_chunk");
        rc = xsri_lg_put32(g, (uint32_t)o->extra_chunk);
    }
    if (rc == 0)
        rc = send_memory(g, k, compressed, b);
    /* The saver sends TSC info when the domain is suspended, before the
     * last pass; here after the memory, with a second copy for all_chunks. */
    if (rc == 0)
        rc = chunk_tsc(g, k);
    if (rc == 0 && o->verify && k == 0) {
        xsri_lg_mark(g, "enable_verify_mode");
        rc = xsri_lg_put32(g, (uint32_t)XSR_LEGACY_CHUNK_ENABLE_VERIFY);
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

