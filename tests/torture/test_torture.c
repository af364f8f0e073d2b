/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure torture: each operation runs once to count the
 * allocations it makes, then once for every N with the Nth allocation
 * failing.  Each such run must either fail cleanly (a negative return and
 * XSR_ENOMEM in the error) or, where the library has a fallback, succeed
 * with exactly the output of the undisturbed run.  Leaks and wild accesses
 * on the error paths are the sanitizer build's to find.
 *
 * The test is linked with --wrap for the allocator: every reference from the
 * statically linked library reaches the counting wrappers below, which pass
 * on to the real allocator (the sanitizer's, when built with it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsr/analyze.h>
#include <xsr/check.h>
#include <xsr/convert.h>
#include <xsr/gen.h>

#include "mkstream.h"
#include "testutil.h"
#include "xsr_testkit.h"

/* ------------------------------------------------ counting allocator */

static long fail_at;  /* 1-based allocation to fail; 0 = none */
static long n_alloc;  /* allocations since armed */
static int armed;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
int __wrap_posix_memalign(void **p, size_t align, size_t n);

static int fail_now(void)
{
    if (!__atomic_load_n(&armed, __ATOMIC_SEQ_CST))
        return 0;
    long k = __atomic_add_fetch(&n_alloc, 1, __ATOMIC_SEQ_CST);
    return k == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
    return fail_now() ? 12 /* ENOMEM */ : __real_posix_memalign(p, align, n);
}

static void arm(long n)
{
    __atomic_store_n(&n_alloc, 0, __ATOMIC_SEQ_CST);
    fail_at = n;
    __atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
}

static long disarm(void)
{
    __atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&n_alloc, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------- operations */

/* What one run produced: the return code, the error, and its output bytes. */
struct outcome {
    int rc;
    struct xsr_error err;
    uint8_t *out;
    size_t out_len;
};

struct op {
    const char *name;
    void (*run)(const struct op *op, struct outcome *o);
    const uint8_t *in, *in2; /* the input stream(s) */
    size_t in_len, in2_len;
    const char *in_path;     /* the input as a file (extract's block copy) */
    int variant;
};

static char tmpdir[] = "/tmp/xsr-torture-XXXXXX";

/* Read what fd holds from its start into o->out. */
static void take_file(int fd, struct outcome *o)
{
    off_t end = lseek(fd, 0, SEEK_END);
    assert_true(end >= 0);
    o->out_len = (size_t)end;
    o->out = __real_malloc(o->out_len + 1);
    assert_non_null(o->out);
    assert_int_equal(pread(fd, o->out, o->out_len, 0), (ssize_t)o->out_len);
}

static FILE *scratch(void)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    return f;
}

/* Serialise the summary fields that do not depend on the walk's timing. */
static void take_summary(const struct xsr_check_summary *s, struct outcome *o)
{
    o->out_len = sizeof(*s);
    o->out = __real_malloc(o->out_len);
    assert_non_null(o->out);
    memcpy(o->out, s, sizeof(*s));
}

static void run_verify(const struct op *op, struct outcome *o)
{
    struct xsr_chan *in = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    if (!in) {
        o->rc = o->err.code;
        return;
    }
    struct xsr_check_opts co = XSR_CHECK_OPTS_INIT;
    struct xsr_check_summary s = XSR_CHECK_SUMMARY_INIT;
    co.lenient = op->variant != 0;
    o->rc = xsr_verify(in, XSR_LAYER_NONE, &co, &s, &o->err);
    xsr_chan_close(in, NULL);
    if (o->rc >= 0)
        take_summary(&s, o);
}

static void run_extract(const struct op *op, struct outcome *o)
{
    FILE *f = scratch(), *map = op->variant == 2 ? scratch() : NULL;
    struct xsr_chan *in = op->in_path ? xsr_chan_open_read(op->in_path, 0, &o->err)
                                      : xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    if (!in) {
        o->rc = o->err.code;
    } else {
        struct xsr_extract_opts eo = XSR_EXTRACT_OPTS_INIT;
        eo.a.format = XSR_LAYER_NONE;
        eo.format = op->variant == 1 ? XSR_EXTRACT_ELF : XSR_EXTRACT_RAW;
        eo.pfn_map = map;
        eo.in_path = op->in_path;
        struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
        o->rc = xsr_extract(in, fileno(f), &eo, &r, &o->err);
        xsr_chan_close(in, NULL);
        if (o->rc >= 0) {
            if (map) {
                fflush(map);
                take_file(fileno(map), o);
                free(o->out); /* compare the map, which covers the frames too */
            }
            take_file(fileno(map ? map : f), o);
        }
    }
    fclose(f);
    if (map)
        fclose(map);
}

static void run_stats(const struct op *op, struct outcome *o)
{
    struct xsr_chan *in = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    if (!in) {
        o->rc = o->err.code;
        return;
    }
    struct xsr_stats *s = NULL;
    o->rc = xsr_stats_collect(in, NULL, &s, &o->err);
    xsr_chan_close(in, NULL);
    if (o->rc >= 0) {
        FILE *f = scratch();
        o->rc = xsr_stats_print(s, op->variant != 0, f, &o->err);
        fflush(f);
        if (o->rc >= 0)
            take_file(fileno(f), o);
        fclose(f);
    }
    xsr_stats_free(s);
}

static void run_diff(const struct op *op, struct outcome *o)
{
    struct xsr_chan *a = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    struct xsr_chan *b = a ? xsr_chan_mem_reader(op->in2, op->in2_len, &o->err) : NULL;
    if (a && b) {
        FILE *f = scratch();
        struct xsr_diff_opts d = XSR_DIFF_OPTS_INIT;
        d.pages = true;
        struct xsr_diff_result r = XSR_DIFF_RESULT_INIT;
        o->rc = xsr_diff(a, b, &d, f, &r, &o->err);
        fflush(f);
        if (o->rc >= 0)
            take_file(fileno(f), o);
        fclose(f);
    } else {
        o->rc = o->err.code;
    }
    xsr_chan_close(b, NULL);
    xsr_chan_close(a, NULL);
}

static void run_map(const struct op *op, struct outcome *o)
{
    struct xsr_chan *in = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    if (!in) {
        o->rc = o->err.code;
        return;
    }
    FILE *f = scratch();
    struct xsr_map_opts mo = XSR_MAP_OPTS_INIT;
    mo.title = "t";
    struct xsr_map_result r = XSR_MAP_RESULT_INIT;
    o->rc = xsr_map_svg(in, &mo, f, &r, &o->err);
    xsr_chan_close(in, NULL);
    fflush(f);
    if (o->rc >= 0)
        take_file(fileno(f), o);
    fclose(f);
}

static void take_chan(struct xsr_chan *out, struct outcome *o)
{
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(out, &len);
    o->out = __real_malloc(len + 1);
    assert_non_null(o->out);
    memcpy(o->out, d, len);
    o->out_len = len;
}

static void run_convert(const struct op *op, struct outcome *o)
{
    struct xsr_chan *in = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    struct xsr_chan *out = in ? xsr_chan_mem_writer(&o->err) : NULL;
    if (in && out) {
        struct xsr_convert_opts co = XSR_CONVERT_OPTS_INIT;
        struct xsr_convert_info ci = XSR_CONVERT_INFO_INIT;
        co.version = (uint32_t)op->variant;
        co.allow_lossy = true;
        o->rc = xsr_convert_version(in, out, &co, &ci, &o->err);
        if (o->rc >= 0)
            take_chan(out, o);
    } else {
        o->rc = o->err.code;
    }
    xsr_chan_close(out, NULL);
    xsr_chan_close(in, NULL);
}

static void run_legacy(const struct op *op, struct outcome *o)
{
    struct xsr_chan *in = xsr_chan_mem_reader(op->in, op->in_len, &o->err);
    struct xsr_chan *out = in ? xsr_chan_mem_writer(&o->err) : NULL;
    if (in && out) {
        struct xsr_legacy_opts lo = XSR_LEGACY_OPTS_INIT;
        struct xsr_legacy_info li = XSR_LEGACY_INFO_INIT;
        o->rc = xsr_convert_legacy(in, out, &lo, &li, &o->err);
        if (o->rc >= 0)
            take_chan(out, o);
    } else {
        o->rc = o->err.code;
    }
    xsr_chan_close(out, NULL);
    xsr_chan_close(in, NULL);
}

/* ------------------------------------------------------------ driver */

static void outcome_free(struct outcome *o)
{
    free(o->out);
    memset(o, 0, sizeof(*o));
}

static void run_once(const struct op *op, long n, struct outcome *o, long *count)
{
    memset(o, 0, sizeof(*o));
    xsr_error_clear(&o->err);
    arm(n);
    op->run(op, o);
    *count = disarm();
}

/* Fail each allocation of op in turn; returns how many there were. */
static long torture(const struct op *op)
{
    struct outcome ref, o;
    long total, count;
    run_once(op, 0, &ref, &total);
    if (ref.rc < 0)
        fail_msg("%s: fails without a fault: %s", op->name, ref.err.message);
    assert_true(total > 0);
    for (long n = 1; n <= total; n++) {
        run_once(op, n, &o, &count);
        if (o.rc < 0) {
            if (o.err.code != XSR_ENOMEM || !o.err.message[0])
                fail_msg("%s: allocation %ld of %ld failed, and the error says (%d) \"%s\"", op->name,
                         n, total, o.err.code, o.err.message);
        } else if (o.rc != ref.rc || o.out_len != ref.out_len || memcmp(o.out, ref.out, o.out_len)) {
            fail_msg("%s: allocation %ld of %ld failed, and the run succeeded (%d) with a different "
                     "output", op->name, n, total, o.rc);
        }
        outcome_free(&o);
    }
    outcome_free(&ref);
    return total;
}

/* ----------------------------------------------------------- streams */

static uint8_t *gen(uint32_t version, uint32_t type, enum xsr_layer wrap, size_t *len)
{
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, version, type);
    g.wrap = wrap;
    g.nr_pages = 24;
    g.nr_vcpus = 2;
    g.live_passes = 1;
    g.all_records = true;
    uint8_t *s = tu_generate(&g, len);
    assert_non_null(s);
    return s;
}

static void each(struct op *op, const char *what)
{
    long n = torture(op);
    printf("%-28s %s: %ld allocations, each failed once\n", op->name, what, n);
}

/* Every operation on the stream s (and a diff against s2). */
/* Which operations run: all, or not those reading back a raw image (large
 * for a sparse stream) and not ELF (which needs vCPU state). */
enum { ALL_OPS, NO_RAW_NO_ELF };

static void torture_ops(const uint8_t *s, size_t len, const uint8_t *s2, size_t len2, int which,
                        const char *what)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/in.img", tmpdir);
    assert_int_equal(tu_write_file(path, s, len), 0);

    struct op ops[] = {
        { .name = "verify", .run = run_verify, .variant = 0 },
        { .name = "verify --lenient", .run = run_verify, .variant = 1 },
        { .name = "extract --raw", .run = run_extract, .variant = 0 },
        { .name = "extract --raw (file)", .run = run_extract, .variant = 0, .in_path = path },
        { .name = "extract --pfn-map", .run = run_extract, .variant = 2 },
        { .name = "stats", .run = run_stats, .variant = 0 },
        { .name = "stats --json", .run = run_stats, .variant = 1 },
        { .name = "map", .run = run_map, .variant = 0 },
        { .name = "diff", .run = run_diff, .variant = 0 },
        { .name = "convert -s 2", .run = run_convert, .variant = 2 },
        { .name = "convert -s 3", .run = run_convert, .variant = 3 },
        { .name = "convert -s 4", .run = run_convert, .variant = 4 },
        { .name = "extract --elf", .run = run_extract, .variant = 1 },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (which == NO_RAW_NO_ELF && ops[i].run == run_extract && ops[i].variant != 2)
            continue;
        ops[i].in = s;
        ops[i].in_len = len;
        ops[i].in2 = s2;
        ops[i].in2_len = len2;
        each(&ops[i], what);
    }
    unlink(path);
}

static void torture_stream(uint32_t version, uint32_t type, enum xsr_layer wrap, const char *what)
{
    size_t len, len2;
    uint8_t *s = gen(version, type, wrap, &len);
    /* diff against the same image with a different seed */
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, version, type);
    g.wrap = wrap;
    g.nr_pages = 24;
    g.seed = 7;
    uint8_t *s2 = tu_generate(&g, &len2);
    assert_non_null(s2);
    torture_ops(s, len, s2, len2, ALL_OPS, what);
    free(s2);
    free(s);
}

static void test_pv_v3_xl(void **state)
{
    (void)state;
    torture_stream(3, XSR_DOM_X86_PV, XSR_LAYER_XL, "PV v3 xl");
}

static void test_hvm_v4_libxl(void **state)
{
    (void)state;
    torture_stream(4, XSR_DOM_X86_HVM, XSR_LAYER_LIBXL, "HVM v4 libxl");
}

/* Frames far apart and sent again: the per-frame state grows several times
 * (its directory too), blocks of a few frames without data become dense on
 * their sixth frame or a data page, and the iterations split. */
static void test_sparse(void **state)
{
    (void)state;
#define W(t, pfn) xsr_pfn_word_make(XSR_PFN_##t, (pfn))
    struct ms *m = ms_begin(XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    const uint64_t p1[] = { W(NOTAB, 3), W(NOTAB, 70000), W(XTAB, 5), W(XALLOC, 6),
                            W(XTAB, 1000), W(XTAB, 1001), W(XTAB, 1002), W(XTAB, 1003),
                            W(XTAB, 1004), W(XTAB, 2000) };
    const uint64_t p2[] = { W(NOTAB, 3), W(NOTAB, 300000), W(BROKEN, 70000), W(XTAB, 1005),
                            W(NOTAB, 2001) };
    uint64_t p3[40];
    for (unsigned i = 0; i < 40; i++)
        p3[i] = W(XALLOC, 400000 + 64 * i); /* a block each */
    const uint8_t f1[] = { 1, 2 }, f2[] = { 0, 4, 5 };
    ms_pages(m, 10, p1, f1);
    ms_pages(m, 5, p2, f2);
    ms_pages(m, 40, p3, NULL);
    size_t len;
    uint8_t *s = ms_end(m, &len);
#undef W
    size_t len2;
    uint8_t *s2 = gen(3, XSR_DOM_X86_PV, XSR_LAYER_LIBXC, &len2);
    torture_ops(s, len, s2, len2, NO_RAW_NO_ELF, "sparse PV");
    free(s2);
    free(s);
}

static void test_legacy(void **state)
{
    (void)state;
    static const uint32_t guests[] = { XSR_DOM_X86_PV, XSR_DOM_X86_HVM };
    for (unsigned i = 0; i < 2; i++) {
        struct xsr_legacy_gen_opts lg;
        xsr_legacy_gen_opts_init(&lg, 64, guests[i]);
        lg.nr_pages = 24;
        lg.all_chunks = true;
        lg.xtab = true;
        lg.xl_header = true;
        lg.toolstack = true;
        lg.device_model = guests[i] == XSR_DOM_X86_HVM;
        lg.page_tables = guests[i] == XSR_DOM_X86_PV;
        struct xsr_error err;
        struct xsr_chan *w = xsr_chan_mem_writer(&err);
        assert_non_null(w);
        assert_int_equal(xsr_legacy_gen_write(&lg, w, &err), 0);
        struct op op = { .name = "convert-legacy", .run = run_legacy };
        struct outcome keep;
        take_chan(w, &keep);
        xsr_chan_close(w, NULL);
        op.in = keep.out;
        op.in_len = keep.out_len;
        each(&op, i ? "legacy HVM" : "legacy PV");
        free(keep.out);
    }
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv_v3_xl),
        cmocka_unit_test(test_hvm_v4_libxl),
        cmocka_unit_test(test_sparse),
        cmocka_unit_test(test_legacy),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(tmpdir);
    return rc;
}
