/* SPDX-License-Identifier: MIT */
/*
 * Extract, stats, diff and map on hand-made streams whose every page and
 * count is known: last copy wins, XTAB after data, XALLOC/BROKEN, VERIFY
 * copies, iterations, unchanged re-sends, the pfn map, SVG counts.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "mkstream.h"
#include "testutil.h"

/* A sanitizer build must let an impossible allocation fail as it does
 * without one. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

#define W(t, pfn) xsr_pfn_word_make(XSR_PFN_##t, (pfn))

/* The stream of most tests here (see the expectations in each test). */
static uint8_t *semantics_stream(size_t *len)
{
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t p1[] = { W(NOTAB, 0), W(NOTAB, 1), W(L1TAB, 2), W(NOTAB, 3), W(XALLOC, 5), W(BROKEN, 6) };
    const uint8_t f1[] = { 0x11, 0x22, 0x33, 0x00 };
    const uint64_t p2[] = { W(NOTAB, 1), W(L1TAB, 2), W(XTAB, 0) }; /* pfn 1 repeats: a new pass */
    const uint8_t f2[] = { 0x44, 0x33 };
    const uint64_t p3[] = { W(NOTAB, 1), W(L1TAB, 2) };
    const uint8_t f3[] = { 0x44, 0x99 }; /* pfn 2 does not match */

    ms_pages(m, 6, p1, f1);
    ms_pages(m, 3, p2, f2);
    ms_record(m, XSR_REC_VERIFY, NULL, 0);
    ms_pages(m, 2, p3, f3);
    ms_pv_vcpu(m, 0, 0xffffffff81000010ull, 0xffffc90000001000ull, 0x5000);
    return ms_end(m, len);
}

static char tmpdir[] = "/tmp/xsr-inspect-XXXXXX";

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static void page_is(const uint8_t *mem, uint64_t pfn, uint8_t fill)
{
    uint8_t want[XSR_PAGE_SIZE];
    ms_fill(want, fill);
    if (memcmp(mem + pfn * XSR_PAGE_SIZE, want, XSR_PAGE_SIZE) != 0) {
        fprintf(stderr, "frame %#llx: expected fill %#x, got %#x\n", (unsigned long long)pfn, fill,
                mem[pfn * XSR_PAGE_SIZE]);
        fail();
    }
}

static void test_extract_semantics(void **state)
{
    (void)state;
    size_t len, got;
    uint8_t *s = semantics_stream(&len);
    const char *out = tmp_path("sem.raw"), *map = tmp_path("sem.map");
    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;

    /* stale bytes in the output must not show through the holes */
    uint8_t junk[16 * XSR_PAGE_SIZE];
    memset(junk, 0xee, sizeof(junk));
    assert_int_equal(tu_write_file(out, junk, sizeof(junk)), 0);

    int fd = open(out, O_RDWR);
    assert_true(fd >= 0);
    o.pfn_map = fopen(map, "w");
    assert_non_null(o.pfn_map);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_extract(in, fd, &o, &r, &err), 0);
    xsr_chan_close(in, NULL);
    fclose(o.pfn_map);
    close(fd);

    assert_true(r.complete);
    assert_int_equal(r.dom_type, XSR_DOM_X86_PV);
    assert_true(r.any_pfn);
    assert_int_equal(r.max_pfn, 6);
    assert_int_equal(r.frames_present, 3);   /* 1, 2 and the zero page 3 */
    assert_int_equal(r.frames_xtab, 1);
    assert_int_equal(r.frames_xalloc, 1);
    assert_int_equal(r.frames_broken, 1);
    assert_int_equal(r.invalidated, 1);      /* pfn 0 */
    assert_int_equal(r.copies, 6);
    assert_int_equal(r.resent, 2);
    assert_int_equal(r.verify_pages, 2);
    assert_int_equal(r.verify_mismatches, 1);
    assert_int_equal(r.out_size, 7 * XSR_PAGE_SIZE);

    uint8_t *mem = tu_read_file(out, &got);
    assert_non_null(mem);
    assert_int_equal(got, 7 * XSR_PAGE_SIZE);
    page_is(mem, 0, 0);    /* XTAB after data: the receiver has no data */
    page_is(mem, 1, 0x44); /* last copy wins, the VERIFY copy is not applied */
    page_is(mem, 2, 0x33); /* the mismatching VERIFY copy is not applied */
    page_is(mem, 3, 0);
    page_is(mem, 4, 0);
    page_is(mem, 5, 0);
    page_is(mem, 6, 0);
    free(mem);

    /* the pfn map: one line per frame named, offsets point at the last copy */
    char *txt = (char *)tu_read_file(map, &got);
    assert_non_null(txt);
    txt = realloc(txt, got + 1);
    txt[got] = '\0';
    assert_non_null(strstr(txt, "# pfn\ttype\tsent\toffset\tstate\n"));
    assert_non_null(strstr(txt, "0x0\tXTAB\t2\t-\tinvalidated\n"));
    assert_non_null(strstr(txt, "0x5\tXALLOC\t1\t-\tno-data\n"));
    assert_non_null(strstr(txt, "0x6\tBROKEN\t1\t-\tno-data\n"));
    assert_null(strstr(txt, "0x4\t"));
    char *l1 = strstr(txt, "0x1\tNOTAB\t2\t0x");
    assert_non_null(l1);
    unsigned long long off = strtoull(l1 + strlen("0x1\tNOTAB\t2\t"), NULL, 16);
    assert_true(off + XSR_PAGE_SIZE <= len);
    uint8_t want[XSR_PAGE_SIZE];
    ms_fill(want, 0x44);
    assert_memory_equal(s + off, want, XSR_PAGE_SIZE);
    int lines = 0;
    for (char *p = txt; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 6);
    free(txt);
    free(s);
}

/* The same with runs of pages copied from the input file (in_path). */
static void test_extract_copy_path(void **state)
{
    (void)state;
    size_t len, got;
    uint8_t *s = semantics_stream(&len);
    const char *in_path = tmp_path("sem.img"), *out = tmp_path("sem-copy.raw");
    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.in_path = in_path;

    assert_int_equal(tu_write_file(in_path, s, len), 0);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_open_read(in_path, 0, &err);
    assert_non_null(in);
    assert_int_equal(xsr_extract(in, fd, &o, &r, &err), 0);
    xsr_chan_close(in, NULL);
    close(fd);
    assert_int_equal(r.frames_present, 3);
    assert_int_equal(r.invalidated, 1);
    assert_int_equal(r.verify_pages, 2);
    assert_int_equal(r.verify_mismatches, 1);
    uint8_t *mem = tu_read_file(out, &got);
    assert_int_equal(got, 7 * XSR_PAGE_SIZE);
    page_is(mem, 0, 0);
    page_is(mem, 1, 0x44);
    page_is(mem, 2, 0x33);
    page_is(mem, 3, 0);
    free(mem);
    free(s);
}

static void test_extract_elf_small(void **state)
{
    (void)state;
    size_t len, got;
    uint8_t *s = semantics_stream(&len);
    const char *out = tmp_path("sem.elf");
    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.format = XSR_EXTRACT_ELF;

    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_extract(in, fd, &o, &r, &err), 0);
    xsr_chan_close(in, NULL);
    close(fd);
    assert_int_equal(r.vcpus, 1);
    assert_int_equal(r.elf_loads, 1); /* frames 1..3 */
    uint8_t *e = tu_read_file(out, &got);
    assert_non_null(e);
    assert_int_equal(got, r.out_size);
    assert_memory_equal(e, "\177ELF\2\1\1", 7);
    assert_int_equal(xsr_ld16(e + 16, XSR_LITTLE_ENDIAN), 4);  /* ET_CORE */
    assert_int_equal(xsr_ld16(e + 18, XSR_LITTLE_ENDIAN), 62); /* EM_X86_64 */
    assert_int_equal(xsr_ld16(e + 56, XSR_LITTLE_ENDIAN), 2);
    uint64_t phoff = xsr_ld64(e + 32, XSR_LITTLE_ENDIAN);
    const uint8_t *ph = e + phoff + 56; /* the PT_LOAD after the PT_NOTE */
    assert_int_equal(xsr_ld32(ph, XSR_LITTLE_ENDIAN), 1);
    assert_int_equal(xsr_ld64(ph + 24, XSR_LITTLE_ENDIAN), 1 * XSR_PAGE_SIZE); /* p_paddr */
    assert_int_equal(xsr_ld64(ph + 16, XSR_LITTLE_ENDIAN), 1 * XSR_PAGE_SIZE); /* p_vaddr */
    assert_int_equal(xsr_ld64(ph + 32, XSR_LITTLE_ENDIAN), 3 * XSR_PAGE_SIZE);
    uint64_t off = xsr_ld64(ph + 8, XSR_LITTLE_ENDIAN);
    page_is(e + off, 0, 0x44);
    page_is(e + off, 1, 0x33);
    page_is(e + off, 2, 0);
    /* NT_PRSTATUS: rip at pr_reg + 16 * 8, rsp at + 19 * 8, rdx (r15 + 12) */
    const uint8_t *nt = e + xsr_ld64(e + phoff + 8, XSR_LITTLE_ENDIAN);
    assert_int_equal(xsr_ld32(nt + 8, XSR_LITTLE_ENDIAN), 1);
    assert_memory_equal(nt + 12, "CORE", 5);
    const uint8_t *pr = nt + 20;
    assert_int_equal(xsr_ld32(pr + 32, XSR_LITTLE_ENDIAN), 1); /* pid = vcpu + 1 */
    assert_true(xsr_ld64(pr + 112 + 16 * 8, XSR_LITTLE_ENDIAN) == 0xffffffff81000010ull);
    assert_true(xsr_ld64(pr + 112 + 19 * 8, XSR_LITTLE_ENDIAN) == 0xffffc90000001000ull);
    assert_int_equal(xsr_ld64(pr + 112 + 0 * 8, XSR_LITTLE_ENDIAN), 0x1000);  /* r15 */
    assert_int_equal(xsr_ld64(pr + 112 + 12 * 8, XSR_LITTLE_ENDIAN), 0x100c); /* rdx */
    assert_int_equal(xsr_ld64(pr + 112 + 17 * 8, XSR_LITTLE_ENDIAN), 0xe033); /* cs */
    free(e);
    free(s);
}

static void test_extract_errors(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = semantics_stream(&len);
    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    const char *out = tmp_path("err.raw");
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);

    /* a pfn above the limit stops with a clear message */
    o.a.pfn_limit = 4;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_extract(in, fd, &o, &r, &err), XSR_ELIMIT);
    assert_non_null(strstr(err.message, "pfn 0x5 is at or above the limit of 0x4 frames"));
    assert_int_equal(err.record_type, XSR_REC_PAGE_DATA);
    xsr_chan_close(in, NULL);

    /* a truncated stream: the error, and what was read is still written */
    o.a.pfn_limit = 0;
    xsr_error_clear(&err);
    size_t cut = 24 + 16 + 8 + 8 + 6 * 8 + 4 * XSR_PAGE_SIZE + 100; /* inside the 2nd PAGE_DATA */
    in = xsr_chan_mem_reader(s, cut, &err);
    assert_int_equal(xsr_extract(in, fd, &o, &r, &err), XSR_ETRUNC);
    assert_false(r.complete);
    assert_int_equal(r.frames_present, 4);
    assert_int_equal(r.out_size, 7 * XSR_PAGE_SIZE);
    xsr_chan_close(in, NULL);
    close(fd);
    size_t got;
    uint8_t *mem = tu_read_file(out, &got);
    assert_int_equal(got, 7 * XSR_PAGE_SIZE);
    page_is(mem, 0, 0x11);
    page_is(mem, 1, 0x22);
    free(mem);

    /* the output must be a regular file */
    int p[2];
    assert_int_equal(pipe(p), 0);
    xsr_error_clear(&err);
    in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_extract(in, p[1], &o, &r, &err), XSR_EIO);
    assert_non_null(strstr(err.message, "regular file"));
    xsr_chan_close(in, NULL);
    close(p[0]);
    close(p[1]);
    free(s);
}

/* A checkpointed stream cut after a CHECKPOINT: the pages that follow are
 * reported as uncommitted; progress reaches the end of the input. */
static void test_extract_uncommitted(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_HVM, XSR_LITTLE_ENDIAN);
    const uint64_t a[] = { W(NOTAB, 0) }, b[] = { W(NOTAB, 1), W(NOTAB, 2) };
    const uint8_t f[] = { 1, 2 };
    size_t len;
    ms_pages(m, 1, a, f);
    ms_record(m, XSR_REC_CHECKPOINT, NULL, 0);
    ms_pages(m, 2, b, f);
    uint8_t *s = ms_end(m, &len);
    len -= 8; /* drop END: the stream stops inside the second checkpoint */

    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct ms_progress p = { 0 };
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.a.progress = ms_progress_cb;
    o.a.progress_ctx = &p;
    const char *out = tmp_path("ckpt.raw");
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    int rc = xsr_extract(in, fd, &o, &r, &err);
    xsr_chan_close(in, NULL);
    close(fd);
    assert_true(rc < 0);
    assert_false(r.complete);
    assert_int_equal(r.checkpoints, 1);
    assert_int_equal(r.uncommitted, 2);
    assert_int_equal(r.frames_present, 3);
    assert_true(p.calls >= 1);
    assert_false(p.backwards);
    assert_false(p.bad);
    assert_int_equal(p.last, len);
    assert_int_equal(p.total, (int64_t)len);
    free(s);
}

/* The statistics of an in-memory stream, which must be collected. */
static struct xsr_stats *stats_of(const uint8_t *s, size_t len, const struct xsr_analyze_opts *ao)
{
    struct xsr_error err;
    struct xsr_stats *st = NULL;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_stats_collect(in, ao, &st, &err), 0);
    xsr_chan_close(in, NULL);
    return st;
}

static void test_stats_exact(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = semantics_stream(&len);
    struct xsr_error err;
    struct xsr_stats *st = stats_of(s, len, NULL);

    assert_true(st->complete);
    assert_int_equal(st->n_iters, 3);
    assert_int_equal(st->iters[0].pfns, 6);
    assert_int_equal(st->iters[0].data_pages, 4);
    assert_int_equal(st->iters[0].zero_pages, 1);
    assert_int_equal(st->iters[0].resent, 0);
    assert_false(st->iters[0].verify);
    assert_int_equal(st->iters[1].pfns, 3);
    assert_int_equal(st->iters[1].data_pages, 2);
    assert_int_equal(st->iters[1].resent, 3);
    assert_int_equal(st->iters[1].unchanged, 1); /* pfn 2 sent again with the same bytes */
    assert_int_equal(st->iters[1].by_type[XSR_PFN_XTAB], 1);
    assert_true(st->iters[2].verify);
    assert_int_equal(st->iters[2].pfns, 2);
    assert_int_equal(st->iters[2].resent, 0);
    assert_int_equal(st->iters[1].bytes, 8 + 8 + 3 * 8 + 2 * XSR_PAGE_SIZE);
    assert_int_equal(st->page_records, 3);
    assert_int_equal(st->records, 3 + 3); /* + VERIFY, vCPU, END */
    assert_int_equal(st->pfn_entries, 11);
    assert_int_equal(st->data_pages, 8);
    assert_int_equal(st->frames, 6);
    assert_int_equal(st->frames_resent, 3);
    assert_int_equal(st->sent_hist[0], 3);
    assert_int_equal(st->sent_hist[1], 3);
    assert_int_equal(st->by_type[XSR_PFN_NOTAB], 5);
    assert_int_equal(st->by_type[XSR_PFN_L1TAB], 3);
    assert_int_equal(st->final_by_type[XSR_PFN_XTAB], 1);
    assert_int_equal(st->final_by_type[XSR_PFN_NOTAB], 2);
    assert_int_equal(st->max_pfn, 6);

    /* JSON: a document with the same numbers */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    assert_int_equal(xsr_stats_print(st, true, f, &err), 0);
    fclose(f);
    json_object *j = json_tokener_parse(buf);
    assert_non_null(j);
    json_object *its, *it0, *v;
    assert_true(json_object_object_get_ex(j, "iterations", &its));
    assert_int_equal(json_object_array_length(its), 3);
    it0 = json_object_array_get_idx(its, 1);
    assert_true(json_object_object_get_ex(it0, "unchanged", &v));
    assert_int_equal(json_object_get_int64(v), 1);
    assert_true(json_object_object_get_ex(j, "frames_resent", &v));
    assert_int_equal(json_object_get_int64(v), 3);
    json_object_put(j);
    free(buf);

    /* text */
    buf = NULL;
    f = open_memstream(&buf, &blen);
    assert_int_equal(xsr_stats_print(st, false, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "iterations: 3\n"));
    assert_non_null(strstr(buf, "times sent: 1=3 2=3 3=0"));
    free(buf);
    xsr_stats_free(st);
    free(s);

    /* another record between two PAGE_DATA records splits an iteration */
    struct ms *m = ms_begin(XSR_DOM_X86_HVM, XSR_BIG_ENDIAN);
    const uint64_t a[] = { W(NOTAB, 0) }, b[] = { W(NOTAB, 1) };
    const uint8_t fa[] = { 1 };
    uint8_t tsc[24] = { 0 };
    ms_pages(m, 1, a, fa);
    ms_record(m, XSR_REC_X86_TSC_INFO, tsc, sizeof(tsc));
    ms_pages(m, 1, b, fa);
    s = ms_end(m, &len);
    st = stats_of(s, len, NULL);
    assert_int_equal(st->n_iters, 2);
    assert_int_equal(st->frames_resent, 0);
    xsr_stats_free(st);
    free(s);
}

/* Every analysis refuses options and results without the sizes their
 * *_INIT macros set (or from a newer header), before reading a byte. */
static void test_struct_sizes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = semantics_stream(&len);
    struct xsr_error err;
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_non_null(in);

    struct xsr_analyze_opts ao = XSR_ANALYZE_OPTS_INIT;
    ao.size = 0;
    struct xsr_stats *st = NULL;
    assert_int_equal(xsr_stats_collect(in, &ao, &st, &err), XSR_EINVAL);
    assert_null(st);
    assert_non_null(strstr(err.message, "xsr_analyze_opts"));

    char path[] = "/tmp/xsr-sizes-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    struct xsr_extract_opts eo = XSR_EXTRACT_OPTS_INIT;
    struct xsr_extract_result er = XSR_EXTRACT_RESULT_INIT;
    eo.size = 0;
    assert_int_equal(xsr_extract(in, fd, &eo, &er, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_extract_opts"));
    eo = (struct xsr_extract_opts)XSR_EXTRACT_OPTS_INIT;
    eo.a.size = 0;
    assert_int_equal(xsr_extract(in, fd, &eo, &er, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_analyze_opts"));
    eo.a.size = sizeof(eo.a);
    er.size = sizeof(er) + 8;
    assert_int_equal(xsr_extract(in, fd, &eo, &er, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_extract_result"));
    close(fd);

    struct xsr_diff_opts dopt = XSR_DIFF_OPTS_INIT;
    struct xsr_diff_result dr = XSR_DIFF_RESULT_INIT;
    dr.size = 0;
    assert_int_equal(xsr_diff(in, in, &dopt, NULL, &dr, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_diff_result"));

    struct xsr_map_opts mo = XSR_MAP_OPTS_INIT;
    struct xsr_map_result mr = XSR_MAP_RESULT_INIT;
    mo.size = sizeof(mo) * 2;
    assert_int_equal(xsr_map_svg(in, &mo, NULL, &mr, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_map_opts"));

    assert_int_equal(xsr_chan_offset(in), 0);
    xsr_chan_close(in, NULL);
    free(s);
}

/* A stream of one-entry PAGE_DATA records, each naming pfn 0 again (a new
 * iteration every 24 bytes): past the kept iterations, the rest are counted
 * into the last one. */
static void test_stats_iterations_bounded(void **state)
{
    (void)state;
    const uint32_t extra = 3;
    struct ms *m = ms_begin(XSR_DOM_X86_HVM, XSR_LITTLE_ENDIAN);
    const uint64_t w[] = { W(XTAB, 0) };
    for (uint32_t i = 0; i < XSR_STATS_ITERS_MAX + extra; i++)
        ms_pages(m, 1, w, NULL);
    size_t len;
    uint8_t *s = ms_end(m, &len);
    struct xsr_error err;
    struct xsr_stats *st = stats_of(s, len, NULL);
    assert_int_equal(st->n_iters, XSR_STATS_ITERS_MAX);
    assert_int_equal(st->iters_merged, extra);
    assert_int_equal(st->iters[0].records, 1);
    assert_int_equal(st->iters[XSR_STATS_ITERS_MAX - 1].records, 1 + extra);
    assert_int_equal(st->iters[XSR_STATS_ITERS_MAX - 1].pfns, 1 + extra);
    assert_int_equal(st->pfn_entries, XSR_STATS_ITERS_MAX + extra);
    char *txt = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&txt, &tlen);
    assert_int_equal(xsr_stats_print(st, false, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(txt, "iterations: 65539 (the last also counts the 3 after it)"));
    free(txt);
    xsr_stats_free(st);
    free(s);
}

static uint8_t *diff_stream(size_t *len, bool variant)
{
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t p[] = { W(NOTAB, 0), W(NOTAB, 1), W(NOTAB, 2), W(NOTAB, variant ? 4 : 3) };
    const uint8_t f[] = { 1, 2, (uint8_t)(variant ? 9 : 3), 4 };
    uint8_t tsc[24] = { 0 };
    ms_pages(m, 4, p, f);
    if (!variant)
        ms_record(m, XSR_REC_X86_TSC_INFO, tsc, sizeof(tsc));
    ms_pv_vcpu(m, 0, variant ? 0xffffffff81000020ull : 0xffffffff81000010ull, 0x8000, 0x5000);
    return ms_end(m, len);
}

static int run_diff(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, bool pages,
                    struct xsr_diff_result *res, char **text)
{
    struct xsr_error err;
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    o.pages = pages;
    size_t n;
    FILE *f = open_memstream(text, &n);
    xsr_error_clear(&err);
    struct xsr_chan *ca = xsr_chan_mem_reader(a, la, &err), *cb = xsr_chan_mem_reader(b, lb, &err);
    int rc = xsr_diff(ca, cb, &o, f, res, &err);
    fclose(f);
    xsr_chan_close(ca, NULL);
    xsr_chan_close(cb, NULL);
    return rc;
}

static void test_diff_exact(void **state)
{
    (void)state;
    size_t la, lb;
    uint8_t *a = diff_stream(&la, false), *b = diff_stream(&lb, true);
    struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
    char *t;

    assert_int_equal(run_diff(a, la, a, la, true, &r, &t), 0);
    assert_non_null(strstr(t, "the images are equivalent"));
    assert_int_equal(r.pages_compared, 4);
    assert_int_equal(r.pages_differ + r.pages_only_a + r.pages_only_b + r.headers + r.records + r.vcpus, 0);
    free(t);

    assert_int_equal(run_diff(a, la, b, lb, true, &r, &t), 1);
    assert_int_equal(r.headers, 0);
    assert_int_equal(r.records, 1);
    assert_int_equal(r.vcpus, 1);
    assert_int_equal(r.pages_compared, 5);
    assert_int_equal(r.pages_differ, 1);
    assert_int_equal(r.pages_only_a, 1);
    assert_int_equal(r.pages_only_b, 1);
    assert_non_null(strstr(t, "TSC:\n  TSC info: mode=default khz=0 -> (absent)\n"));
    assert_non_null(strstr(t, "  vcpu 0 rip: 0xffffffff81000010 -> 0xffffffff81000020\n"));
    assert_null(strstr(t, "rsp"));
    assert_non_null(strstr(t, "  0x2: contents differ\n"));
    assert_non_null(strstr(t, "  0x3: only in A\n"));
    assert_non_null(strstr(t, "  0x4: only in B\n"));
    assert_non_null(strstr(t, "1 differ, 1 only in A, 1 only in B"));
    free(t);

    /* without --pages: counts only */
    assert_int_equal(run_diff(a, la, b, lb, false, &r, &t), 1);
    assert_null(strstr(t, "contents differ"));
    free(t);

    /* an unreadable B is an error naming it */
    struct xsr_error err;
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    xsr_error_clear(&err);
    struct xsr_chan *ca = xsr_chan_mem_reader(a, la, &err), *cb = xsr_chan_mem_reader(b, lb - 5, &err);
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(xsr_diff(ca, cb, &o, null, NULL, &err), XSR_ETRUNC);
    assert_true(strncmp(err.message, "image B: ", 9) == 0);
    fclose(null);
    xsr_chan_close(ca, NULL);
    xsr_chan_close(cb, NULL);
    free(a);
    free(b);
}

/* SVG checks with libxml2: well-formed, and counts by data-class. */
static long svg_count(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)xpath, x);
    long n = -1;
    if (r && r->type == XPATH_NUMBER)
        n = (long)r->floatval;
    else if (r && r->nodesetval)
        n = r->nodesetval->nodeNr;
    else if (r)
        n = 0;
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(x);
    return n;
}

static char *svg_attr(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)xpath, x);
    char *s = NULL;
    if (r && r->nodesetval && r->nodesetval->nodeNr > 0) {
        xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
        s = strdup((const char *)c);
        xmlFree(c);
    }
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(x);
    return s;
}

#define CELLS "//*[local-name()='g'][@id='cells']/*[local-name()='rect']"
#define BREAKS "//*[local-name()='g'][@id='breaks']/*[local-name()='g'][@class='break']"
#define LABELS "//*[local-name()='g'][@id='labels']/*[local-name()='text']"

static xmlDocPtr map_of(const uint8_t *s, size_t len, unsigned max_cells, struct xsr_map_result *r,
                        const char *save_as)
{
    struct xsr_error err;
    struct xsr_map_opts o = XSR_MAP_OPTS_INIT;
    o.max_cells = max_cells;
    o.title = "test <map> & more";
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_map_svg(in, &o, f, r, &err), 0);
    xsr_chan_close(in, NULL);
    fclose(f);
    assert_int_equal(tu_write_file(save_as, buf, n), 0);
    xmlDocPtr doc = xmlReadMemory(buf, (int)n, "map.svg", NULL, XML_PARSE_NONET);
    assert_non_null(doc); /* well-formed */
    free(buf);

    /* also with xmllint, the reference tool, when installed */
    if (access("/usr/bin/xmllint", X_OK) == 0) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s'", save_as);
        assert_int_equal(system(cmd), 0);
    }
    return doc;
}

static void test_map_exact(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t p[] = { W(NOTAB, 0), W(L1TAB, 1), W(L2TAB_PIN, 2), W(XTAB, 3), W(XALLOC, 4),
                           W(BROKEN, 5), W(L4TAB, 6), W(NOTAB, 8) };
    const uint64_t again[] = { W(NOTAB, 8) };
    const uint8_t f[] = { 1, 2, 3, 4, 5 };
    size_t len;
    ms_pages(m, 8, p, f);
    ms_pages(m, 1, again, f);
    uint8_t *s = ms_end(m, &len);
    struct xsr_map_result r = XSR_MAP_RESULT_INIT;

    xmlDocPtr doc = map_of(s, len, 0, &r, tmp_path("small.svg"));
    assert_int_equal(r.frames, 9);
    assert_int_equal(r.frames_per_cell, 1);
    assert_int_equal(r.cells, 9);
    assert_int_equal(r.by_class[XSR_MAP_NORMAL], 2);
    assert_int_equal(r.by_class[XSR_MAP_ABSENT], 1);
    assert_int_equal(r.by_class[XSR_MAP_PINNED], 1);
    assert_int_equal(svg_count(doc, CELLS), 9);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='normal']"), 2);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='l1']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='l2']"), 0);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='pinned']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='l4']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='xtab']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='xalloc']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='broken']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-class='absent']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-pfn='0x7'][@data-class='absent']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-pfn='0x8'][@data-sent='2']"), 1);
    /* sent twice: a darker shade than sent once */
    char *c0 = svg_attr(doc, CELLS "[@data-pfn='0x0']/@fill"), *c8 = svg_attr(doc, CELLS "[@data-pfn='0x8']/@fill");
    assert_string_not_equal(c0, c8);
    free(c0);
    free(c8);
    char *legend = svg_attr(doc, "//*[local-name()='text'][@data-class='normal']/@data-frames");
    assert_string_equal(legend, "2");
    free(legend);
    char *title = svg_attr(doc, "/*[local-name()='svg']/*[local-name()='title']");
    assert_string_equal(title, "test <map> & more");
    free(title);
    xmlFreeDoc(doc);
    free(s);

    /* a 64 GiB pfn space with two frames in it: the absent run between them
     * is a break with its range, not 16 million grey frames */
    m = ms_begin(XSR_DOM_X86_HVM, XSR_LITTLE_ENDIAN);
    const uint64_t big[] = { W(NOTAB, 0), W(XTAB, (16ull << 20) - 1) };
    ms_pages(m, 2, big, f);
    s = ms_end(m, &len);
    doc = map_of(s, len, 0, &r, tmp_path("big.svg"));
    assert_int_equal(r.frames, 16ull << 20);
    assert_int_equal(r.frames_per_cell, 1);
    assert_int_equal(r.cells, 1);
    assert_int_equal(r.by_class[XSR_MAP_ABSENT], (16ull << 20) - 2);
    assert_int_equal(svg_count(doc, CELLS), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-pfn='0x0'][@data-class='normal']"), 1);
    assert_int_equal(svg_count(doc, BREAKS), 1);
    assert_int_equal(svg_count(doc, BREAKS "[@data-first='0x1'][@data-last='0xffffff']"), 1);
    char *bt = svg_attr(doc, BREAKS "/*[local-name()='text']");
    assert_string_equal(bt, "pfn 0x1-0xffffff not drawn: 64.0 GiB, XTAB or never sent (no memory)");
    free(bt);
    char *heading = svg_attr(doc, "//*[@id='heading']");
    assert_string_equal(heading, "test <map> & more: 4 KiB of memory (1 frames)");
    free(heading);
    struct stat sb;
    assert_int_equal(stat(tmp_path("big.svg"), &sb), 0);
    assert_true(sb.st_size < 64 * 1024);
    xmlFreeDoc(doc);
    free(s);
}

/* A PVH-like layout: RAM, a hole of XTAB frames up to a few pages below
 * 4 GiB, then special pages: two segments with a labelled break between
 * them, rows labelled with their first pfn, zero pages pale, the populated
 * size in the heading. */
static void test_map_breaks(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_HVM, XSR_LITTLE_ENDIAN);
    const uint64_t hole_end = 0xfeff8, ram = 0x2000;
    uint64_t *w = malloc(XSR_PAGE_BATCH_MAX * sizeof(*w));
    uint8_t *fill = malloc(XSR_PAGE_BATCH_MAX);
    assert_non_null(w);
    assert_non_null(fill);
    /* RAM: pages 0..ram-1, the first half all zero */
    for (uint64_t base = 0; base < ram; base += XSR_PAGE_BATCH_MAX) {
        for (unsigned i = 0; i < XSR_PAGE_BATCH_MAX; i++) {
            w[i] = W(NOTAB, base + i);
            fill[i] = base + i < ram / 2 ? 0 : 7;
        }
        ms_pages(m, XSR_PAGE_BATCH_MAX, w, fill);
    }
    for (uint64_t base = ram; base < hole_end; base += XSR_PAGE_BATCH_MAX) {
        unsigned n = hole_end - base < XSR_PAGE_BATCH_MAX ? (unsigned)(hole_end - base) : XSR_PAGE_BATCH_MAX;
        for (unsigned i = 0; i < n; i++)
            w[i] = W(XTAB, base + i);
        ms_pages(m, n, w, NULL);
    }
    for (unsigned i = 0; i < 8; i++) {
        w[i] = W(NOTAB, hole_end + i);
        fill[i] = 3;
    }
    ms_pages(m, 8, w, fill);
    size_t len;
    uint8_t *s = ms_end(m, &len);
    struct xsr_map_result r = XSR_MAP_RESULT_INIT;
    xmlDocPtr doc = map_of(s, len, 0, &r, tmp_path("pvh.svg"));
    assert_int_equal(r.frames, hole_end + 8);
    assert_int_equal(r.frames_per_cell, 1);
    assert_int_equal(r.cells, ram + 8);
    assert_int_equal(svg_count(doc, BREAKS), 1);
    assert_int_equal(svg_count(doc, BREAKS "[@data-first='0x2000'][@data-last='0xfeff7']"), 1);
    char *bt = svg_attr(doc, BREAKS "/*[local-name()='text']");
    assert_string_equal(bt, "pfn 0x2000-0xfeff7 not drawn: 4.0 GiB, all XTAB (no memory)");
    free(bt);
    /* every row of 128 cells labelled (8-pixel rows: every other one), the
     * special pages' row too */
    assert_int_equal(svg_count(doc, LABELS), ram / 128 / 2 + 1);
    assert_int_equal(svg_count(doc, LABELS "[text()='0x0']"), 1);
    assert_int_equal(svg_count(doc, LABELS "[text()='0x100']"), 1);
    assert_int_equal(svg_count(doc, LABELS "[text()='0xfeff8']"), 1);
    assert_int_equal(svg_count(doc, "//*[@id='axis'][text()='pfn']"), 1);
    /* the first half of RAM is zero: pale cells; the rest is not */
    assert_int_equal(svg_count(doc, CELLS "[@data-zero='1']"), ram / 2);
    assert_int_equal(svg_count(doc, CELLS "[@data-pfn='0x0'][@data-zero='1']"), 1);
    assert_int_equal(svg_count(doc, CELLS "[@data-pfn='0x1000'][@data-zero]"), 0);
    char *zf = svg_attr(doc, "//*[@id='zero']/@data-frames");
    assert_string_equal(zf, "4096");
    free(zf);
    char *heading = svg_attr(doc, "//*[@id='heading']");
    assert_string_equal(heading, "test <map> & more: 32.0 MiB of memory (8200 frames)");
    free(heading);
    xmlFreeDoc(doc);
    free(s);
    free(w);
    free(fill);
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

/* A pfn near the top of the format's range, the limit raised to it: once
 * per-frame state that could not be allocated (stats and extract then read
 * past it), now a frame like any other for stats; extract refuses it as
 * beyond what a file's offsets can hold, cleanly. */
static void test_top_pfn(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t p[] = { W(NOTAB, XSR_PFN_MASK - 1) };
    const uint8_t f[] = { 0x5a };
    size_t len;
    ms_pages(m, 1, p, f);
    uint8_t *s = ms_end(m, &len);
    struct xsr_error err;
    struct xsr_chan *in;

    struct xsr_analyze_opts ao = XSR_ANALYZE_OPTS_INIT;
    ao.pfn_limit = XSR_PFN_MASK + 1;
    struct xsr_stats *st = NULL;
    xsr_error_clear(&err);
    in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_stats_collect(in, &ao, &st, &err), 0);
    assert_int_equal(st->frames, 1);
    assert_int_equal(st->max_pfn, XSR_PFN_MASK - 1);
    assert_int_equal(st->final_by_type[XSR_PFN_NOTAB], 1);
    xsr_chan_close(in, NULL);
    xsr_stats_free(st);

    struct xsr_extract_opts eo = XSR_EXTRACT_OPTS_INIT;
    eo.a = ao;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    int fd = open(tmp_path("enomem.raw"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    xsr_error_clear(&err);
    in = xsr_chan_mem_reader(s, len, &err);
    assert_int_equal(xsr_extract(in, fd, &eo, &r, &err), XSR_ELIMIT);
    assert_non_null(strstr(err.message, "at or above the limit"));
    assert_false(r.any_pfn);
    assert_int_equal(r.frames_present, 0);
    xsr_chan_close(in, NULL);
    close(fd);
    free(s);
}

/* A receiver populates an XALLOC frame without data: it restores as a zero
 * page.  Zero pages sent as XALLOC and the same pages sent as data are the
 * same memory. */
static void test_diff_xalloc_is_zero(void **state)
{
    (void)state;
    size_t la, lb;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t pa[] = { W(NOTAB, 0), W(XALLOC, 1), W(XALLOC, 2) };
    const uint8_t fa[] = { 7 };
    ms_pages(m, 3, pa, fa);
    uint8_t *a = ms_end(m, &la);
    m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t pb[] = { W(NOTAB, 0), W(NOTAB, 1), W(NOTAB, 2) };
    const uint8_t fb[] = { 7, 0, 0 };
    ms_pages(m, 3, pb, fb);
    uint8_t *b = ms_end(m, &lb);
    struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
    char *t;

    assert_int_equal(run_diff(a, la, b, lb, true, &r, &t), 0);
    assert_int_equal(r.pages_compared, 3);
    assert_int_equal(r.pages_differ + r.pages_only_a + r.pages_only_b, 0);
    free(t);
    assert_int_equal(run_diff(b, lb, a, la, true, &r, &t), 0);
    free(t);

    /* an XALLOC frame against a page with data is a difference, not a
     * frame missing on one side */
    m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint8_t fc[] = { 7, 3, 0 };
    ms_pages(m, 3, pb, fc);
    uint8_t *c = ms_end(m, &lb);
    assert_int_equal(run_diff(a, la, c, lb, true, &r, &t), 1);
    assert_int_equal(r.pages_differ, 1);
    assert_int_equal(r.pages_only_a + r.pages_only_b, 0);
    assert_non_null(strstr(t, "  0x1: contents differ\n"));
    free(t);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_semantics),
        cmocka_unit_test(test_extract_copy_path),
        cmocka_unit_test(test_extract_elf_small),
        cmocka_unit_test(test_extract_errors),
        cmocka_unit_test(test_extract_uncommitted),
        cmocka_unit_test(test_stats_exact),
        cmocka_unit_test(test_stats_iterations_bounded),
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test(test_diff_exact),
        cmocka_unit_test(test_diff_xalloc_is_zero),
        cmocka_unit_test(test_top_pfn),
        cmocka_unit_test(test_map_exact),
        cmocka_unit_test(test_map_breaks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
