/* SPDX-License-Identifier: MIT */
/*
 * Benchmark helper (not a test): writes a valid libxc stream of a hostile
 * shape, for bench/shapes.sh to run every analysis command on.
 *
 * Usage: xsr-bench-shapes SHAPE N OUT
 *
 *   high-pfn N         two data pages, at pfn 0 and at pfn N (a few KB naming
 *                      frame N; the largest N the commands accept by default
 *                      is 0x0FFFFFFF)
 *   spread N           N PAGE_DATA records of 1024 XTAB pfns (no data), 4096
 *                      frames apart, below 2^28: many frames, a small stream
 *   tiny-records N     N PAGE_DATA records of one data page each, pfns 0..N-1
 *                      (consecutive, so they make one pass)
 *   dense N            N data pages, pfns 0..N-1, in records of 1024 (the
 *                      reference shape: a normal guest)
 *   big-optional N     the guest's own memory, then an optional record of an
 *                      unknown type of N MiB (at most 128)
 *   big-hvm-context N  the guest's own memory, and an HVM_CONTEXT of N MiB
 *                      (at most 127): its entries repeated until it is
 *
 * Every stream is the generator's default HVM guest (xsr_gen_write: version
 * 3, 256 pages, one vCPU, bare libxc) walked record by record and written
 * again with the builder, its memory (PAGE_DATA records) replaced by the
 * shape's where the shape has its own.  Page contents are the generator's
 * (xsr_gen_page_fill: zero, sparse, repeating and random pages).
 *
 * Prints the body length of the largest record written, for the RSS bound.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/xsr.h>

#define BATCH XSR_PAGE_BATCH_MAX
#define PFN_LIMIT (1ULL << 28)       /* the commands' default --pfn-limit */
#define SPREAD_STRIDE 4096u
#define SPREAD_SHIFT 64u             /* each further sweep of the 2^28 frames */
#define OPTIONAL_TYPE 0x80005348u    /* optional bit + a type nothing defines */
#define MIB (1u << 20)

enum shape { HIGH_PFN, SPREAD, TINY_RECORDS, DENSE, BIG_OPTIONAL, BIG_HVM_CONTEXT, SHAPES };
static const char *const shape_names[SHAPES] = {
    "high-pfn", "spread", "tiny-records", "dense", "big-optional", "big-hvm-context",
};

struct out {
    enum shape shape;
    uint64_t n;
    struct xsr_builder *b;
    uint8_t *pages;         /* BATCH pages of scratch */
    uint64_t words[BATCH];
    uint32_t largest;       /* body length of the largest record written */
    struct xsr_error err;
};

static void fail(struct out *o, const char *what)
{
    char msg[XSR_ERROR_MSG_MAX + 64];
    xsr_error_format(&o->err, msg, sizeof(msg));
    fprintf(stderr, "xsr-bench-shapes: %s: %s\n", what, msg);
    exit(1);
}

static void note(struct out *o, uint64_t len)
{
    if (len > o->largest)
        o->largest = (uint32_t)len;
}

static void record(struct out *o, uint32_t type, const uint8_t *body, uint32_t len)
{
    note(o, len);
    if (xsr_builder_record(o->b, type, body, len, &o->err) < 0)
        fail(o, "writing a record");
}

/* One PAGE_DATA of the count words in o->words; the first ndata carry the
 * pages in o->pages, the rest none. */
static void page_data(struct out *o, uint32_t count, uint32_t ndata)
{
    struct iovec iov = { o->pages, (size_t)ndata * XSR_PAGE_SIZE };
    note(o, XSR_PAGE_DATA_HDR_SIZE + (uint64_t)count * 8 + iov.iov_len);
    if (xsr_builder_page_data(o->b, o->words, count, &iov, ndata ? 1 : 0, &o->err) < 0)
        fail(o, "writing PAGE_DATA");
}

/* Data pages for pfns first..first+count-1 in one record. */
static void data_run(struct out *o, uint64_t first, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        o->words[i] = xsr_pfn_word_make(XSR_PFN_NOTAB, first + i);
        xsr_gen_page_fill(0, first + i, 0, o->pages + (size_t)i * XSR_PAGE_SIZE);
    }
    page_data(o, count, count);
}

/* The shape's memory, in place of the guest's. */
static void memory(struct out *o)
{
    switch (o->shape) {
    case HIGH_PFN:
        o->words[0] = xsr_pfn_word_make(XSR_PFN_NOTAB, 0);
        o->words[1] = xsr_pfn_word_make(XSR_PFN_NOTAB, o->n);
        xsr_gen_page_fill(0, 0, 0, o->pages);
        xsr_gen_page_fill(0, o->n, 0, o->pages + XSR_PAGE_SIZE);
        page_data(o, 2, 2);
        break;
    case SPREAD: {
        /* Frame k at (k mod sweep) * 4096, one sweep of 2^28 frames after
         * another, each shifted by 64: no two frames share a 64-frame block,
         * so a structure by blocks of frames has one per frame. */
        const uint64_t sweep = PFN_LIMIT / SPREAD_STRIDE;
        for (uint64_t r = 0; r < o->n; r++) {
            for (uint32_t i = 0; i < BATCH; i++) {
                uint64_t k = r * BATCH + i;
                uint64_t pfn = k % sweep * SPREAD_STRIDE + k / sweep * SPREAD_SHIFT;
                o->words[i] = xsr_pfn_word_make(XSR_PFN_XTAB, pfn);
            }
            page_data(o, BATCH, 0);
        }
        break;
    }
    case TINY_RECORDS:
        for (uint64_t pfn = 0; pfn < o->n; pfn++)
            data_run(o, pfn, 1);
        break;
    case DENSE:
        for (uint64_t pfn = 0; pfn < o->n; pfn += BATCH)
            data_run(o, pfn, (uint32_t)(o->n - pfn < BATCH ? o->n - pfn : BATCH));
        break;
    default:
        break;
    }
}

/* An optional record of o->n MiB: one MiB of page contents, n times. */
static void big_optional(struct out *o)
{
    struct iovec iov[128];
    for (uint32_t i = 0; i < MIB / XSR_PAGE_SIZE; i++)
        xsr_gen_page_fill(1, i, 0, o->pages + (size_t)i * XSR_PAGE_SIZE);
    for (uint64_t i = 0; i < o->n; i++)
        iov[i] = (struct iovec){ o->pages, MIB };
    note(o, o->n * MIB);
    if (xsr_builder_record_iov(o->b, OPTIONAL_TYPE, iov, (int)o->n, &o->err) < 0)
        fail(o, "writing the optional record");
}

/*
 * The guest's HVM_CONTEXT grown to about o->n MiB: its HEADER, then its other
 * entries again and again (each valid; Xen's loader loads them in turn, the
 * last copy winning), then END.  Many small entries, as a context of many
 * vCPUs has, rather than one large one.
 */
static void big_hvm_context(struct out *o, const struct xsr_record *rec, enum xsr_byte_order order)
{
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    size_t first = 0, end = 0;
    int rc;

    xsr_hvmctx_iter_init(&it, rec->body, rec->length, order);
    while ((rc = xsr_hvmctx_next(&it, &e, &o->err)) == 1) {
        if (e.desc.typecode == XSR_HVMCTX_HEADER)
            first = it.off;
        if (e.desc.typecode == XSR_HVMCTX_END) {
            end = e.offset;
            break;
        }
    }
    if (rc < 0 || end <= first)
        fail(o, "the generator's HVM_CONTEXT has no HEADER and END");

    size_t cap = (size_t)o->n * MIB, len = first, unit = end - first;
    uint8_t *blob = malloc(cap);
    if (!blob)
        fail(o, "allocating the HVM context");
    memcpy(blob, rec->body, first);
    while (len + unit + XSR_HVMCTX_DESC_SIZE <= cap) {
        memcpy(blob + len, rec->body + first, unit);
        len += unit;
    }
    if (xsr_hvmctx_put(blob, cap, &len, XSR_HVMCTX_END, 0, NULL, 0, order) < 0)
        fail(o, "ending the HVM context");
    record(o, XSR_REC_HVM_CONTEXT, blob, (uint32_t)len);
    free(blob);
}

static uint64_t parse_n(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    return *s && !*end ? (uint64_t)v : 0;
}

int main(int argc, char **argv)
{
    struct out o = { .shape = SHAPES };

    if (argc == 4)
        for (int i = 0; i < SHAPES; i++)
            if (strcmp(argv[1], shape_names[i]) == 0)
                o.shape = (enum shape)i;
    o.n = argc == 4 ? parse_n(argv[2]) : 0;
    /* the limits keep every record under XSR_REC_LENGTH_MAX and every pfn
     * under 2^28 */
    static const uint64_t max[SHAPES] = {
        [HIGH_PFN] = PFN_LIMIT - 1,
        [SPREAD] = PFN_LIMIT / SPREAD_STRIDE * (SPREAD_STRIDE / SPREAD_SHIFT) / BATCH,
        [TINY_RECORDS] = PFN_LIMIT,
        [DENSE] = PFN_LIMIT,
        [BIG_OPTIONAL] = XSR_REC_LENGTH_MAX / MIB,
        [BIG_HVM_CONTEXT] = XSR_REC_LENGTH_MAX / MIB - 1,
    };
    if (o.shape == SHAPES || o.n == 0 || o.n > max[o.shape]) {
        fprintf(stderr, "usage: xsr-bench-shapes SHAPE N OUT\n"
                        "  SHAPE: high-pfn, spread, tiny-records, dense, big-optional,"
                        " big-hvm-context (see bench/shapes.c for N)\n");
        return 2;
    }

    /* the guest whose records frame the shape, in memory */
    struct xsr_gen_opts go;
    xsr_gen_opts_init(&go, 3, XSR_DOM_X86_HVM);
    struct xsr_chan *tmpl = xsr_chan_mem_writer(&o.err);
    if (!tmpl || xsr_gen_write(&go, tmpl, &o.err) < 0)
        fail(&o, "generating the guest");
    size_t tlen;
    const uint8_t *tdata = xsr_chan_mem_data(tmpl, &tlen);
    struct xsr_chan *in = xsr_chan_mem_reader(tdata, tlen, &o.err);
    struct xsr_walker *w = in ? xsr_walker_new(in, NULL, &o.err) : NULL;
    struct xsr_chan *out = xsr_chan_open_write(argv[3], &o.err);
    o.pages = malloc((size_t)BATCH * XSR_PAGE_SIZE);
    if (!w || !out || !o.pages)
        fail(&o, "setting up");

    const bool own_memory = o.shape != BIG_OPTIONAL && o.shape != BIG_HVM_CONTEXT;
    struct xsr_ihdr ihdr = { 0 };
    struct xsr_event ev;
    bool in_memory = false, memory_done = false;
    int rc;
    while ((rc = xsr_walker_next(w, &ev, &o.err)) == 1) {
        if (ev.kind == XSR_EV_IMAGE_HEADER) {
            ihdr = ev.u.ihdr;
            continue;
        }
        if (ev.kind == XSR_EV_DOMAIN_HEADER) {
            struct xsr_builder_opts bo = XSR_BUILDER_OPTS_INIT;
            bo.version = ihdr.version;
            bo.order = xsr_ihdr_order(&ihdr);
            bo.domain = ev.u.dhdr;
            if (!(o.b = xsr_builder_new(out, &bo, &o.err)))
                fail(&o, "starting the stream");
            continue;
        }
        if (ev.kind != XSR_EV_RECORD || ev.u.rec.type == XSR_REC_END)
            continue; /* the builder writes the END */
        const struct xsr_record *rec = &ev.u.rec;
        if (rec->type == XSR_REC_PAGE_DATA) {
            in_memory = true;
            if (!own_memory)
                record(&o, rec->type, rec->body, rec->length);
            else if (!memory_done)
                memory(&o);
            memory_done = true;
            continue;
        }
        if (in_memory && o.shape == BIG_OPTIONAL)
            big_optional(&o); /* right after the memory, before the vCPU state */
        in_memory = false;
        if (rec->type == XSR_REC_HVM_CONTEXT && o.shape == BIG_HVM_CONTEXT)
            big_hvm_context(&o, rec, ev.order);
        else
            record(&o, rec->type, rec->body, rec->length);
    }
    if (rc < 0 || !o.b)
        fail(&o, "reading the generated guest");
    if (xsr_builder_end(o.b, &o.err) < 0 || xsr_builder_free(o.b, &o.err) < 0 ||
        xsr_chan_close(out, &o.err) < 0)
        fail(&o, argv[3]);
    xsr_walker_free(w);
    xsr_chan_close(in, NULL);
    xsr_chan_close(tmpl, NULL);
    free(o.pages);
    printf("%" PRIu32 "\n", o.largest);
    return 0;
}
