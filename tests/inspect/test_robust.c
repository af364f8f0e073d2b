/* SPDX-License-Identifier: MIT */
/*
 * The analyses on hostile or failing input: a write that fails part-way,
 * vCPU records that cannot be decoded, many contexts, odd strings.  Each
 * test names the behaviour it holds the code to.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>

#include "mkstream.h"
#include "testutil.h"

#define W(t, pfn) xsr_pfn_word_make(XSR_PFN_##t, (pfn))
#define LE XSR_LITTLE_ENDIAN

static char tmpdir[] = "/tmp/xsr-robust-XXXXXX";

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/*
 * A write that fails (here: beyond RLIMIT_FSIZE) stops the extraction, and
 * nothing is written after it: in particular not a page of the same record
 * that was pending when the walk stopped, whose bytes lived in the reader's
 * buffer (freed by then).
 */
static void test_extract_write_error_stops(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 10), W(NOTAB, 2) };
    const uint8_t f[] = { 0xaa, 0xbb };
    size_t len, got;
    ms_pages(m, 2, p, f);
    uint8_t *s = ms_end(m, &len);
    const char *in_path = tmp_path("wfail.img"), *out = tmp_path("wfail.raw");
    assert_int_equal(tu_write_file(in_path, s, len), 0);

    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    xsr_error_clear(&err);
    /* read, not mapped: page data lives in the reader's own buffer */
    struct xsr_chan *in = xsr_chan_open_read(in_path, XSR_OPEN_NO_MMAP, &err);
    assert_non_null(in);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 3 * XSR_PAGE_SIZE; /* frame 2 fits, frame 10 does not */
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = xsr_extract(in, fd, NULL, &r, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    xsr_chan_close(in, NULL);
    close(fd);

    assert_int_equal(rc, XSR_EIO);
    assert_non_null(strstr(err.message, "at output offset 0xa000 failed"));
    uint8_t *mem = tu_read_file(out, &got);
    assert_true(got == 0 || mem != NULL);
    if (got >= 3 * XSR_PAGE_SIZE)
        assert_true(all_zero(mem + 2 * XSR_PAGE_SIZE, XSR_PAGE_SIZE));
    free(mem);
    free(s);
}

/* An X86_PV_VCPU_BASIC record: header and a context of ctx_len bytes (rip
 * at its place when the context is long enough). */
static void pv_vcpu_raw(struct ms *m, uint32_t vcpu, uint32_t ctx_len, uint64_t rip)
{
    uint8_t *b = calloc(1, 8 + (size_t)ctx_len);
    xsr_vcpu_hdr_encode(vcpu, LE, b);
    if (ctx_len >= 520 + 136)
        xsr_st64(b + 8 + 520 + 128, rip, LE);
    ms_record(m, XSR_REC_X86_PV_VCPU_BASIC, b, 8 + ctx_len);
    free(b);
}

struct core {
    uint8_t *e;
    size_t len;
    uint64_t phoff;
    unsigned phnum;
};

static int extract_elf(const uint8_t *s, size_t len, const char *out, struct xsr_extract_result *r,
                       struct xsr_error *err, struct core *c)
{
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.format = XSR_EXTRACT_ELF;
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    xsr_error_clear(err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, err);
    int rc = xsr_extract(in, fd, &o, r, err);
    xsr_chan_close(in, NULL);
    close(fd);
    c->e = tu_read_file(out, &c->len);
    assert_non_null(c->e);
    assert_true(c->len >= 64);
    assert_memory_equal(c->e, "\177ELF\2\1\1", 7);
    c->phoff = xsr_ld64(c->e + 32, LE);
    c->phnum = xsr_ld16(c->e + 56, LE);
    return rc;
}

/* The NT_PRSTATUS notes of a core: pr_pid and rip of each, in order. */
static unsigned prstatus(const struct core *c, uint32_t *pid, uint64_t *rip, unsigned max)
{
    const uint8_t *ph = c->e + c->phoff; /* the PT_NOTE comes first */
    assert_int_equal(xsr_ld32(ph, LE), 4);
    uint64_t off = xsr_ld64(ph + 8, LE), end = off + xsr_ld64(ph + 32, LE);
    unsigned n = 0;
    assert_true(end <= c->len);
    while (off + 12 <= end) {
        const uint8_t *nt = c->e + off;
        uint32_t namesz = xsr_ld32(nt, LE), descsz = xsr_ld32(nt + 4, LE), type = xsr_ld32(nt + 8, LE);
        const uint8_t *desc = nt + 12 + ((namesz + 3) & ~3u);
        if (type == 1 && namesz == 5 && memcmp(nt + 12, "CORE", 5) == 0 && n < max) {
            pid[n] = xsr_ld32(desc + 32, LE);
            rip[n] = xsr_ld64(desc + 112 + 16 * 8, LE);
            n++;
        }
        off += 12 + ((namesz + 3) & ~3u) + ((descsz + 3) & ~3u);
    }
    return n;
}

/*
 * A vCPU context that cannot be decoded (not the size of a vcpu_guest_context)
 * makes the extraction fail, but the core is still complete: ELF header,
 * program headers for the memory, and the notes of the other vCPUs.
 */
static void test_elf_bad_vcpu_context(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 0), W(NOTAB, 1) };
    const uint8_t f[] = { 0x11, 0x22 };
    size_t len;
    ms_pages(m, 2, p, f);
    pv_vcpu_raw(m, 0, 100, 0);
    ms_pv_vcpu(m, 1, 0xffffffff81000111ull, 0x8000, 0x5000);
    pv_vcpu_raw(m, 2, XSR_PV_VCPU_CTX_SIZE_64 + 8, 0x1234); /* too long: not kept, no notes */
    uint8_t *s = ms_end(m, &len);

    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct core c;
    int rc = extract_elf(s, len, tmp_path("badvcpu.elf"), &r, &err, &c);
    assert_int_equal(rc, XSR_EFORMAT);
    assert_non_null(strstr(err.message, "vCPU 0"));
    assert_non_null(strstr(err.message, "100 bytes"));
    assert_int_equal(c.phnum, 2); /* PT_NOTE and the PT_LOAD of frames 0-1 */
    assert_int_equal(r.elf_loads, 1);
    assert_int_equal(r.vcpus, 1);
    assert_int_equal(r.out_size, c.len);
    const uint8_t *load = c.e + c.phoff + 56;
    assert_int_equal(xsr_ld32(load, LE), 1);
    assert_int_equal(xsr_ld64(load + 32, LE), 2 * XSR_PAGE_SIZE);
    uint32_t pid[4];
    uint64_t rip[4];
    assert_int_equal(prstatus(&c, pid, rip, 4), 1);
    assert_int_equal(pid[0], 2);
    assert_true(rip[0] == 0xffffffff81000111ull);
    free(c.e);
    free(s);

    /* an HVM CPU entry shorter than its compat form is read zero-extended,
     * as Xen loads it: the vCPU is in the core, with zero registers */
    m = ms_begin(XSR_DOM_X86_HVM, LE);
    ms_pages(m, 2, p, f);
    uint8_t blob[64];
    size_t off = 0;
    memset(blob, 0, sizeof(blob));
    assert_int_equal(xsr_hvmctx_put(blob, sizeof(blob), &off, XSR_HVMCTX_CPU, 0, blob + 40, 16, LE), 0);
    assert_int_equal(xsr_hvmctx_put(blob, sizeof(blob), &off, XSR_HVMCTX_END, 0, NULL, 0, LE), 0);
    ms_record(m, XSR_REC_HVM_CONTEXT, blob, (uint32_t)off);
    s = ms_end(m, &len);
    rc = extract_elf(s, len, tmp_path("shorthvm.elf"), &r, &err, &c);
    assert_int_equal(rc, 0);
    assert_int_equal(c.phnum, 2);
    assert_int_equal(r.elf_loads, 1);
    assert_int_equal(r.vcpus, 1);
    assert_int_equal(prstatus(&c, pid, rip, 4), 1);
    assert_int_equal(pid[0], 1);
    assert_true(rip[0] == 0);
    free(c.e);
    free(s);
}

static int run_diff(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, struct xsr_diff_result *res,
                    char **text, struct xsr_error *err)
{
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    size_t n;
    FILE *f = open_memstream(text, &n);
    xsr_error_clear(err);
    struct xsr_chan *ca = xsr_chan_mem_reader(a, la, err), *cb = xsr_chan_mem_reader(b, lb, err);
    int rc = xsr_diff(ca, cb, &o, f, res, err);
    fclose(f);
    xsr_chan_close(ca, NULL);
    xsr_chan_close(cb, NULL);
    return rc;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define MANY_ENTRIES 200000u

/* An HVM stream whose HVM_CONTEXT has MANY_ENTRIES empty entries, all of
 * different (typecode, instance), and one 4-byte entry with body tag. */
static uint8_t *many_entries(size_t *len, uint8_t tag)
{
    size_t cap = (MANY_ENTRIES + 2) * 8 + 16, off = 0;
    uint8_t *blob = calloc(1, cap), body[4] = { 'a', 'b', 'c', tag };
    for (uint32_t i = 0; i < MANY_ENTRIES; i++)
        assert_int_equal(xsr_hvmctx_put(blob, cap, &off, (uint16_t)(100 + i / 60000), (uint16_t)(i % 60000),
                                        NULL, 0, LE), 0);
    assert_int_equal(xsr_hvmctx_put(blob, cap, &off, 99, 7, body, 4, LE), 0);
    assert_int_equal(xsr_hvmctx_put(blob, cap, &off, XSR_HVMCTX_END, 0, NULL, 0, LE), 0);
    struct ms *m = ms_begin(XSR_DOM_X86_HVM, LE);
    ms_record(m, XSR_REC_HVM_CONTEXT, blob, (uint32_t)off);
    free(blob);
    return ms_end(m, len);
}

/*
 * The contexts diff compares are looked up by kind and id, not by a linear
 * search per record: images with hundreds of thousands of HVM context
 * entries (a few MB) are compared in well under a second, not in hours.
 */
static void test_diff_many_contexts(void **state)
{
    (void)state;
    size_t la, lb;
    uint8_t *a = many_entries(&la, 'd'), *b = many_entries(&lb, 'e');
    struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
    struct xsr_error err;
    char *t;

    double t0 = now_s();
    assert_int_equal(run_diff(a, la, a, la, &r, &t, &err), 0);
    free(t);
    assert_int_equal(run_diff(a, la, b, lb, &r, &t, &err), 1);
    double took = now_s() - t0;
    assert_int_equal(r.vcpus, 1);
    assert_int_equal(r.records, 0);
    assert_non_null(strstr(t, "instance 7 HVM "));
    assert_non_null(strstr(t, "contents differ (4 vs 4 bytes)"));
    free(t);
    if (took > 20) {
        fprintf(stderr, "two diffs of %u context entries took %.1f s\n", MANY_ENTRIES, took);
        fail();
    }
    free(a);
    free(b);
}

/* A vCPU record diff cannot use as a vCPU's state (shorter than its header,
 * or a vCPU id of 4096 or more) is compared as a record, not refused; so is
 * an HVM_CONTEXT blob that does not parse to its end. */
static void test_diff_odd_vcpu_records(void **state)
{
    (void)state;
    uint8_t *img[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
        uint8_t msrs[8 + 16] = { 0 }, tiny[4] = { 1, 2, 3, (uint8_t)k };
        xsr_vcpu_hdr_encode(5000, LE, msrs);
        msrs[8] = (uint8_t)(0x10 + k);
        ms_record(m, XSR_REC_X86_PV_VCPU_MSRS, msrs, sizeof(msrs));
        ms_record(m, XSR_REC_X86_PV_VCPU_EXTENDED, tiny, sizeof(tiny));
        ms_pv_vcpu(m, 0, 0xffffffff81000000ull, 0x8000, 0x5000);
        img[k] = ms_end(m, &len[k]);
    }
    struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
    struct xsr_error err;
    char *t;
    assert_int_equal(run_diff(img[0], len[0], img[0], len[0], &r, &t, &err), 0);
    free(t);
    assert_int_equal(run_diff(img[0], len[0], img[1], len[1], &r, &t, &err), 1);
    assert_int_equal(r.records, 2);
    assert_int_equal(r.vcpus, 0);
    assert_non_null(strstr(t, "  libxc X86_PV_VCPU_MSRS #0: bodies differ (24 vs 24 bytes)\n"));
    assert_non_null(strstr(t, "  libxc X86_PV_VCPU_EXTENDED #0: bodies differ (4 vs 4 bytes)\n"));
    free(t);
    free(img[0]);
    free(img[1]);

    /* an HVM_CONTEXT whose second descriptor runs past the blob: the entry
     * before it is a context, the whole blob is compared as a record */
    for (int k = 0; k < 2; k++) {
        struct ms *m = ms_begin(XSR_DOM_X86_HVM, LE);
        uint8_t blob[40] = { 0 }, body[4] = { 1, 2, 3, 4 };
        size_t off = 0;
        assert_int_equal(xsr_hvmctx_put(blob, sizeof(blob), &off, 99, 0, body, 4, LE), 0);
        xsr_st16(blob + off, 98, LE);
        xsr_st32(blob + off + 4, 1000, LE); /* length beyond the blob */
        blob[off + 8] = (uint8_t)k;
        ms_record(m, XSR_REC_HVM_CONTEXT, blob, sizeof(blob));
        img[k] = ms_end(m, &len[k]);
    }
    assert_int_equal(run_diff(img[0], len[0], img[0], len[0], &r, &t, &err), 0);
    free(t);
    assert_int_equal(run_diff(img[0], len[0], img[1], len[1], &r, &t, &err), 1);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.vcpus, 0);
    assert_non_null(strstr(t, "  libxc HVM_CONTEXT #0: bodies differ (40 vs 40 bytes)\n"));
    free(t);
    free(img[0]);
    free(img[1]);
}

/*
 * The title of a map (by default the input's file name, which can hold any
 * byte) leaves a well-formed SVG: bytes that are not UTF-8, control
 * characters and the non-characters XML forbids are written as "\xNN".
 */
static void test_map_title_any_bytes(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 0) };
    const uint8_t f[] = { 1 };
    size_t len;
    ms_pages(m, 1, p, f);
    uint8_t *s = ms_end(m, &len);
    struct xsr_map_opts o = XSR_MAP_OPTS_INIT;
    o.title = "guest-\xff\xfe-\x01-\xef\xbf\xbe-\xc3\xa9-<&>.xl";
    struct xsr_error err;
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_map_svg(in, &o, out, NULL, &err), 0);
    xsr_chan_close(in, NULL);
    fclose(out);
    xmlDocPtr doc = xmlReadMemory(buf, (int)n, "map.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!doc)
        fprintf(stderr, "not well-formed:\n%.400s\n", buf);
    assert_non_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr title = root->children;
    while (title && !(title->type == XML_ELEMENT_NODE && strcmp((const char *)title->name, "title") == 0))
        title = title->next;
    assert_non_null(title);
    xmlChar *text = xmlNodeGetContent(title);
    assert_string_equal((const char *)text, "guest-\\xff\\xfe-\\x01-\\xef\\xbf\\xbe-\xc3\xa9-<&>.xl");
    xmlFree(text);
    xmlFreeDoc(doc);
    free(buf);
    free(s);
}

/* diff's progress covers A then B (analyze.h): it never goes back, and ends
 * at the size of both against a total of both. */
static void test_diff_progress(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 0), W(NOTAB, 1) };
    const uint8_t f[] = { 1, 2 };
    size_t la, lb;
    ms_pages(m, 2, p, f);
    uint8_t *a = ms_end(m, &la);
    m = ms_begin(XSR_DOM_X86_PV, LE);
    ms_pages(m, 1, p, f);
    uint8_t *b = ms_end(m, &lb);

    struct ms_progress pr = { 0 };
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    o.a.progress = ms_progress_cb;
    o.a.progress_ctx = &pr;
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *ca = xsr_chan_mem_reader(a, la, &err), *cb = xsr_chan_mem_reader(b, lb, &err);
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(xsr_diff(ca, cb, &o, null, NULL, &err), 1);
    fclose(null);
    xsr_chan_close(ca, NULL);
    xsr_chan_close(cb, NULL);
    assert_true(pr.calls >= 2);
    assert_false(pr.backwards);
    assert_false(pr.bad);
    assert_int_equal(pr.last, la + lb);
    assert_int_equal(pr.total, (int64_t)(la + lb));
    free(a);
    free(b);
}

/* stats --json of three PAGE_DATA records naming frame 0 (three iterations) */
static void m_stats_small_json(char **buf, size_t *n)
{
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 0) };
    const uint8_t f[] = { 1 };
    size_t len;
    for (int i = 0; i < 3; i++)
        ms_pages(m, 1, p, f);
    uint8_t *s = ms_end(m, &len);
    struct xsr_stats *st;
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_stats_collect(in, NULL, &st, &err), 0);
    xsr_chan_close(in, NULL);
    FILE *f2 = open_memstream(buf, n);
    assert_int_equal(xsr_stats_print(st, true, f2, &err), 0);
    fclose(f2);
    xsr_stats_free(st);
    free(s);
}

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static long max_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss >> 10;
}

#define MANY_ITERS 300000u

/*
 * `xsr stats --json` of a stream with very many iterations (each PAGE_DATA
 * record re-sends the frame of the one before: 24 bytes of stream per
 * iteration) is written one iteration at a time: printing does not build a
 * tree of the whole document, whose size grew a hundredfold from the input;
 * and only the first XSR_STATS_ITERS_MAX of them are kept one by one.
 */
static void test_stats_json_many_iterations(void **state)
{
    (void)state;
    size_t len = 24 + 16 + (size_t)MANY_ITERS * 24 + 8, off = 0;
    uint8_t *s = calloc(1, len);
    struct xsr_ihdr ih = xsr_ihdr_make(3, LE);
    xsr_ihdr_encode(&ih, s);
    xsr_st32(s + 24, XSR_DOM_X86_PV, LE);
    xsr_st16(s + 28, 12, LE);
    xsr_st32(s + 32, 4, LE);
    xsr_st32(s + 36, 17, LE);
    off = 40;
    for (uint32_t i = 0; i < MANY_ITERS; i++, off += 24) {
        xsr_st32(s + off, XSR_REC_PAGE_DATA, LE);
        xsr_st32(s + off + 4, 16, LE);
        xsr_st32(s + off + 8, 1, LE);
        xsr_st64(s + off + 16, W(XTAB, 0), LE);
    }
    /* END: zeros */

    struct xsr_stats *st;
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_stats_collect(in, NULL, &st, &err), 0);
    xsr_chan_close(in, NULL);
    /* the iterations past the ones kept are counted into the last */
    assert_int_equal(st->n_iters, XSR_STATS_ITERS_MAX);
    assert_int_equal(st->iters_merged, MANY_ITERS - XSR_STATS_ITERS_MAX);

    long before = max_rss_mib();
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(xsr_stats_print(st, true, null, &err), 0);
    fclose(null);
    long grew = max_rss_mib() - before;
#ifdef ASAN
    const long limit = 600; /* freed memory is held in quarantine for a while */
#else
    const long limit = 300;
#endif
    if (grew > limit) {
        fprintf(stderr, "printing %u iterations as JSON took %ld MiB more\n", XSR_STATS_ITERS_MAX, grew);
        fail();
    }
    xsr_stats_free(st);

    /* the document is still one valid JSON object with every iteration */
    char *buf = NULL;
    size_t n = 0;
    m_stats_small_json(&buf, &n);
    json_object *j = json_tokener_parse(buf);
    assert_non_null(j);
    json_object *its, *v;
    assert_true(json_object_object_get_ex(j, "iterations", &its));
    assert_int_equal(json_object_array_length(its), 3);
    assert_true(json_object_object_get_ex(json_object_array_get_idx(its, 2), "resent", &v));
    assert_int_equal(json_object_get_int64(v), 1);
    assert_true(json_object_object_get_ex(j, "frames", &v));
    assert_int_equal(json_object_get_int64(v), 1);
    json_object_put(j);
    free(buf);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_write_error_stops),
        cmocka_unit_test(test_elf_bad_vcpu_context),
        cmocka_unit_test(test_diff_many_contexts),
        cmocka_unit_test(test_diff_odd_vcpu_records),
        cmocka_unit_test(test_map_title_any_bytes),
        cmocka_unit_test(test_diff_progress),
        cmocka_unit_test(test_stats_json_many_iterations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
