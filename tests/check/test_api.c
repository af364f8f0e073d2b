/* SPDX-License-Identifier: MIT */
/*
 * The checker's API: valid streams of every shape pass, the summary is right,
 * rules the walker never lets through are checked on hand-made events,
 * findings are bounded, the catalogue matches doc/rules.md, and I/O failures
 * are failures and not findings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/gen.h>

#include "sbuild.h"
#include "testutil.h"
#include "vcheck.h"

#define LE XSR_LITTLE_ENDIAN
#define BE XSR_BIG_ENDIAN

static struct vc_result *res(void)
{
    struct vc_result *r = malloc(sizeof(*r));
    assert_non_null(r);
    return r;
}

/* ------------------------------------------------------------ valid streams */

enum wrap { WRAP_NONE, WRAP_LIBXL, WRAP_XL };

static void build(struct sb *s, uint32_t dom, uint32_t version, unsigned width,
                  enum xsr_byte_order o, enum wrap wrap)
{
    sb_init(s, o);
    if (dom == XSR_DOM_X86_PV)
        sb_pv(s, version, width);
    else
        sb_hvm(s, version);
    if (wrap >= WRAP_LIBXL)
        sb_wrap_libxl(s, o);
    if (wrap == WRAP_XL)
        sb_wrap_xl(s, o);
}

static void test_valid_matrix(void **state)
{
    (void)state;
    struct vc_result *r = res();
    for (uint32_t v = 2; v <= 4; v++)
        for (int kind = 0; kind < 3; kind++)
            for (int oi = 0; oi < 2; oi++)
                for (int w = WRAP_NONE; w <= WRAP_XL; w++)
                    for (int lenient = 0; lenient < 2; lenient++) {
                        struct sb s;
                        uint32_t dom = kind == 2 ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV;
                        unsigned width = kind == 1 ? 4 : 8;
                        enum xsr_byte_order o = oi ? BE : LE;
                        build(&s, dom, v, width, o, (enum wrap)w);
                        vc_run_sb(&s, lenient, r);
                        if (r->rc != 0 || r->sum.errors || r->sum.warnings ||
                            (o == LE && r->n != 0)) {
                            fprintf(stderr, "v%u %s width %u %s wrap %d %s:\n", v,
                                    dom == XSR_DOM_X86_PV ? "PV" : "HVM", width,
                                    o == LE ? "LE" : "BE", w, lenient ? "lenient" : "strict");
                            vc_dump(r);
                        }
                        vc_expect_clean(r);
                        if (o == LE)
                            assert_int_equal(r->n, 0); /* not even a note */
                        else
                            assert_non_null(vc_find(r, "ihdr.big-endian"));
                        assert_true(r->sum.complete);
                        assert_int_equal(r->sum.version, v);
                        assert_int_equal(r->sum.dom_type, dom);
                        sb_free(&s);
                    }
    free(r);
}

/* ------------------------------------------------------------ summary */

static void test_summary_pv(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    size_t len;
    sb_init(&s, LE);
    sb_pv(&s, 3, 8);
    uint8_t *b = sb_bytes(&s, &len);
    vc_run(b, len, false, r);
    vc_expect_clean(r);

    const struct xsr_check_summary *m = &r->sum;
    assert_int_equal(m->format, XSR_LAYER_LIBXC);
    assert_int_equal(m->version, 3);
    assert_int_equal(m->order, LE);
    assert_int_equal(m->dom_type, XSR_DOM_X86_PV);
    assert_int_equal(m->xen_major, 4);
    assert_int_equal(m->xen_minor, 17);
    assert_int_equal(m->guest_width, 8);
    assert_int_equal(m->pt_levels, 4);
    /* PV_INFO CPUID MSR SDE P2M PD PD TSC SHINFO BASIC EXT XSAVE MSRS END */
    assert_int_equal(m->records, 14);
    assert_int_equal(m->libxl_records, 0);
    assert_int_equal(m->page_records, 2);
    assert_int_equal(m->pfn_entries, 7);
    assert_int_equal(m->data_pages, 5);
    assert_int_equal(m->pages_by_type[XSR_PFN_NOTAB], 3);
    assert_int_equal(m->pages_by_type[XSR_PFN_L1TAB], 1);
    assert_int_equal(m->pages_by_type[XSR_PFN_L4TAB_PIN], 1);
    assert_int_equal(m->pages_by_type[XSR_PFN_XTAB], 1);
    assert_int_equal(m->pages_by_type[XSR_PFN_XALLOC], 1);
    assert_int_equal(m->checkpoints, 0);
    assert_int_equal(m->vcpus, 1);
    assert_int_equal(m->bytes, len);
    uint64_t pd = 0;
    for (unsigned i = 0; i < 2; i++)
        pd += 8 + s.items[sb_find_rec(&s, XSR_REC_PAGE_DATA, i)].len;
    assert_int_equal(m->bytes_by_type[XSR_REC_PAGE_DATA], pd);
    assert_int_equal(m->bytes_by_type[XSR_REC_END], 8);
    assert_int_equal(m->bytes_by_type[XSR_REC_X86_PV_VCPU_BASIC], 8 + 8 + 5168);
    assert_int_equal(m->errors + m->warnings + m->notes, 0);
    assert_true(m->complete);
    free(b);
    sb_free(&s);
    free(r);
}

static void test_summary_wrapped_hvm(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    sb_init(&s, LE);
    sb_hvm(&s, 4);
    sb_wrap_libxl(&s, LE);
    sb_wrap_xl(&s, LE);
    /* a second vCPU in the HVM context and two checkpoints */
    size_t i = sb_find_rec(&s, XSR_REC_HVM_CONTEXT, 0);
    uint32_t len = s.items[i].len;
    uint8_t *ctx = malloc(len + 8 + 1032);
    memcpy(ctx, s.items[i].body, len - 8);
    xsr_st16(ctx + len - 8, 2, LE);
    xsr_st16(ctx + len - 6, 3, LE); /* CPU instance 3 */
    xsr_st32(ctx + len - 4, 1032, LE);
    memset(ctx + len, 0, 1032 + 8);
    sb_set_body(&s, i, ctx, len + 8 + 1032);
    free(ctx);

    vc_run_sb(&s, false, r);
    vc_expect_clean(r);
    assert_int_equal(r->sum.format, XSR_LAYER_XL);
    assert_int_equal(r->sum.version, 4);
    assert_int_equal(r->sum.dom_type, XSR_DOM_X86_HVM);
    assert_int_equal(r->sum.guest_width, 0);
    assert_int_equal(r->sum.libxl_records, 4); /* LIBXC_CONTEXT, 2 emulator, END */
    assert_int_equal(r->sum.vcpus, 2);
    assert_int_equal(r->sum.page_records, 1);
    assert_int_equal(r->sum.data_pages, 3);
    assert_true(r->sum.complete);
    sb_free(&s);
    free(r);
}

static void test_summary_checkpoints(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    sb_init(&s, LE);
    sb_pv(&s, 4, 8);
    /* checkpoint 1: everything; checkpoint 2: a page and a new DOMAIN_CONTEXT */
    size_t e = sb_find_rec(&s, XSR_REC_END, 0);
    sb_insert_rec(&s, e++, XSR_REC_CHECKPOINT, NULL, 0);
    uint32_t len;
    uint64_t w = xsr_pfn_word_make(XSR_PFN_NOTAB, 1);
    uint8_t *pd = sb_page_data(LE, &w, 1, &len);
    sb_insert_rec(&s, e++, XSR_REC_PAGE_DATA, pd, len);
    free(pd);
    uint8_t *dc = sb_domctx_blob(LE, 8, true, &len);
    sb_insert_rec(&s, e++, XSR_REC_DOMAIN_CONTEXT, dc, len);
    free(dc);
    sb_insert_rec(&s, e++, XSR_REC_CHECKPOINT, NULL, 0);

    vc_run_sb(&s, false, r);
    vc_expect_clean(r);
    assert_int_equal(r->sum.checkpoints, 2);
    assert_int_equal(r->sum.notes, 1);
    vc_expect(r, "checkpoint.stream", XSR_SEV_NOTE, "Remus/COLO");
    assert_int_equal(r->sum.page_records, 3);
    sb_free(&s);
    free(r);
}

/* ------------------------------------------------------------ hand-made events */

static void ev_ihdr(struct xsr_event *ev, uint64_t marker, uint32_t id, uint32_t version)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = XSR_EV_IMAGE_HEADER;
    ev->layer = XSR_LAYER_LIBXC;
    ev->offset = 0;
    ev->index = XSR_NO_INDEX;
    ev->raw_len = 24;
    ev->u.ihdr.marker = marker;
    ev->u.ihdr.id = id;
    ev->u.ihdr.version = version;
}

static void ev_dhdr(struct xsr_event *ev, uint32_t type)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = XSR_EV_DOMAIN_HEADER;
    ev->layer = XSR_LAYER_LIBXC;
    ev->offset = 24;
    ev->index = XSR_NO_INDEX;
    ev->raw_len = 16;
    ev->u.dhdr.type = type;
    ev->u.dhdr.page_shift = 12;
    ev->u.dhdr.xen_major = 4;
}

static void ev_rec(struct xsr_event *ev, uint64_t offset, int64_t index, uint32_t type,
                   const uint8_t *body, uint32_t len)
{
    static const uint8_t zero[8];
    memset(ev, 0, sizeof(*ev));
    ev->kind = XSR_EV_RECORD;
    ev->layer = XSR_LAYER_LIBXC;
    ev->offset = offset;
    ev->index = index;
    ev->u.rec.type = type;
    ev->u.rec.length = len;
    ev->u.rec.body = body;
    ev->u.rec.padding = zero;
    ev->u.rec.offset = offset;
}

static void test_events_ihdr_marker_id(void **state)
{
    (void)state;
    struct vc_result *r = res();
    struct xsr_event ev[3];
    ev_ihdr(&ev[0], 0xfffffffffffffffeULL, XSR_IHDR_ID, 3);
    ev_dhdr(&ev[1], XSR_DOM_X86_HVM);
    ev_rec(&ev[2], 40, 0, XSR_REC_END, NULL, 0);
    vc_feed(ev, 3, 0, false, r);
    vc_expect(r, "ihdr.marker", XSR_SEV_ERROR,
              "image header at offset 0x0: marker is 0xfffffffffffffffe");
    assert_null(vc_find(r, "ihdr.id"));

    ev_ihdr(&ev[0], XSR_IHDR_MARKER, 0x58454E47, 3);
    vc_feed(ev, 3, 0, true, r);
    vc_expect(r, "ihdr.id", XSR_SEV_ERROR, "id is 0x58454e47");
    assert_null(vc_find(r, "ihdr.marker"));
    free(r);
}

static void test_events_libxl_ident(void **state)
{
    (void)state;
    struct vc_result *r = res();
    struct xsr_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = XSR_EV_LIBXL_HEADER;
    ev.layer = XSR_LAYER_LIBXL;
    ev.index = XSR_NO_INDEX;
    ev.raw_len = 16;
    ev.u.libxl_hdr.ident = 0x4c6962786c466d75ULL;
    ev.u.libxl_hdr.version = 2;
    vc_feed(&ev, 1, XSR_ETRUNC, false, r);
    vc_expect(r, "libxl.ident", XSR_SEV_ERROR, "ident is 0x4c6962786c466d75");
    vc_expect(r, "stream.truncated", XSR_SEV_ERROR, "the walk failed here");
    free(r);
}

static void test_events_end_last_and_missing(void **state)
{
    (void)state;
    struct vc_result *r = res();
    struct xsr_event ev[4];
    uint8_t pd[16] = { 1 };
    xsr_st64(pd + 8, xsr_pfn_word_make(XSR_PFN_XTAB, 0), LE);

    /* HVM v2: PAGE_DATA, END, then another record */
    ev_ihdr(&ev[0], XSR_IHDR_MARKER, XSR_IHDR_ID, 2);
    ev_dhdr(&ev[1], XSR_DOM_ARM); /* no guest-type rules */
    ev_rec(&ev[2], 40, 0, XSR_REC_END, NULL, 0);
    ev_rec(&ev[3], 48, 1, XSR_REC_PAGE_DATA, pd, sizeof(pd));
    vc_feed(ev, 4, 0, false, r);
    vc_expect(r, "order.end-last", XSR_SEV_ERROR,
              "PAGE_DATA at offset 0x30 (record 1): follows the END record");
    vc_expect(r, "dhdr.type-unrestorable", XSR_SEV_WARNING, "ARM");

    /* a bare libxc stream whose walk ended cleanly without END */
    vc_feed(ev, 2, 0, false, r);
    vc_expect(r, "end.missing", XSR_SEV_ERROR, "no END record");
    /* ... and one whose walk was cut short: truncation, not end.missing */
    vc_feed(ev, 2, XSR_ETRUNC, false, r);
    vc_expect(r, "stream.truncated", XSR_SEV_ERROR, NULL);
    assert_null(vc_find(r, "end.missing"));
    free(r);
}

static void test_events_api_misuse(void **state)
{
    (void)state;
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_checker *k = xsr_checker_new(NULL, &err);
    assert_non_null(k);
    struct xsr_event ev;
    ev_ihdr(&ev, XSR_IHDR_MARKER, XSR_IHDR_ID, 3);
    assert_int_equal(xsr_checker_event(k, &ev, &err), 0);
    assert_int_equal(xsr_checker_event(k, NULL, &err), XSR_EINVAL);
    assert_int_equal(xsr_checker_finish(k, 0, NULL, &err), 0);
    assert_int_equal(xsr_checker_event(k, &ev, &err), XSR_ESTATE);
    assert_int_equal(xsr_checker_finish(k, 0, NULL, &err), XSR_ESTATE);
    /* no callback: findings are still counted (the domain header is missing
     * from this stream, so nothing else is known; END is missing) */
    assert_int_equal(xsr_checker_summary(k)->errors, 1);
    xsr_checker_free(k);
    xsr_checker_free(NULL);
}

/* ------------------------------------------------------------ bounds */

static void test_bounds_per_record(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    sb_init(&s, LE);
    sb_pv(&s, 3, 8);
    uint64_t w[50];
    for (unsigned i = 0; i < 50; i++)
        w[i] = xsr_pfn_word_make(XSR_PFN_XTAB, 0x100 + i) | (1ULL << 59);
    uint32_t len;
    uint8_t *pd = sb_page_data(LE, w, 50, &len);
    sb_insert_rec(&s, sb_find_rec(&s, XSR_REC_X86_PV_VCPU_BASIC, 0), XSR_REC_PAGE_DATA, pd, len);
    free(pd);
    vc_run_sb(&s, false, r);
    assert_int_equal(vc_count(r, "page-data.pfn-reserved"), 9);
    assert_int_equal(r->sum.errors, 9);
    assert_non_null(strstr(r->f[7].message, "pfn[7] has reserved bits"));
    assert_non_null(strstr(r->f[8].message, "42 more pfn words have reserved bits set"));
    assert_null(vc_find(r, "check.suppressed"));
    sb_free(&s);
    free(r);
}

static void test_bounds_per_stream(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    sb_init(&s, LE);
    sb_pv(&s, 3, 8);
    size_t at = sb_find_rec(&s, XSR_REC_X86_PV_VCPU_BASIC, 0);
    for (unsigned i = 0; i < 300; i++) {
        uint64_t w = xsr_pfn_word_make(XSR_PFN_XTAB, 0x100 + i) | (1ULL << 53);
        uint32_t len;
        uint8_t *pd = sb_page_data(LE, &w, 1, &len);
        sb_insert_rec(&s, at++, XSR_REC_PAGE_DATA, pd, len);
        free(pd);
    }
    vc_run_sb(&s, false, r);
    assert_int_equal(vc_count(r, "page-data.pfn-reserved"), 100);
    assert_int_equal(r->sum.errors, 300);
    vc_expect(r, "check.suppressed", XSR_SEV_NOTE,
              "200 further findings of rule page-data.pfn-reserved were counted");
    assert_int_equal(r->rc, 1);
    sb_free(&s);
    free(r);
}

/* ------------------------------------------------------------ strict vs lenient */

static void test_lenient_accepts_what_xen_accepts(void **state)
{
    (void)state;
    struct sb s;
    struct vc_result *r = res();
    /* non-zero padding, reserved fields, an explicit v2 STATIC_DATA_END,
     * a TOOLSTACK record: invalid strictly, restorable by Xen */
    sb_init(&s, LE);
    sb_pv(&s, 2, 8);
    xsr_st16(s.items[0].body + 18, 1, BE);                             /* ihdr reserved */
    xsr_st16(s.items[1].body + 6, 1, LE);                              /* dhdr reserved */
    xsr_st32(s.items[sb_find_rec(&s, XSR_REC_PAGE_DATA, 0)].body + 4, 1, LE);
    sb_insert_rec(&s, 3, XSR_REC_STATIC_DATA_END, NULL, 0);
    size_t e = sb_find_rec(&s, XSR_REC_END, 0);
    sb_insert_rec(&s, e, XSR_REC_TOOLSTACK, "abc", 3);
    s.items[e].pad_fill = 0xff;

    vc_run_sb(&s, false, r);
    assert_int_equal(r->rc, 1);
    assert_int_equal(r->sum.errors, 6);
    vc_run_sb(&s, true, r);
    assert_int_equal(r->rc, 0);
    assert_int_equal(r->sum.errors, 0);
    assert_int_equal(r->sum.warnings, 5);
    assert_int_equal(r->sum.notes, 1); /* static-data-end.v2 */
    sb_free(&s);
    free(r);
}

/* ------------------------------------------------------------ walk failures */

static void test_io_failure_is_not_a_finding(void **state)
{
    (void)state;
    struct sb s;
    size_t len;
    sb_init(&s, LE);
    sb_pv(&s, 3, 8);
    uint8_t *b = sb_bytes(&s, &len);
    struct xsr_error err;
    xsr_error_clear(&err);

    struct xsr_chan *mem = xsr_chan_mem_reader(b, len, &err);
    struct xsr_fault_spec f = { .size = sizeof(struct xsr_fault_spec), .fail_after = 1000, .fail_errno = EIO };
    struct xsr_chan *ch = xsr_chan_fault(mem, &f, &err);
    assert_non_null(ch);
    struct xsr_check_summary sum = XSR_CHECK_SUMMARY_INIT;
    int rc = xsr_verify(ch, XSR_LAYER_NONE, NULL, &sum, &err);
    assert_int_equal(rc, XSR_EIO);
    assert_int_equal(err.code, XSR_EIO);
    xsr_chan_close(ch, NULL);

    /* end of input at the same place: a truncated stream, reported as such */
    mem = xsr_chan_mem_reader(b, len, &err);
    f.fail_errno = 0;
    ch = xsr_chan_fault(mem, &f, &err);
    assert_non_null(ch);
    rc = xsr_verify(ch, XSR_LAYER_NONE, NULL, &sum, &err);
    assert_int_equal(rc, 1);
    assert_int_equal(sum.errors, 1);
    assert_false(sum.complete);
    xsr_chan_close(ch, NULL);
    free(b);
    sb_free(&s);
}

/* Options and summary carry their size: a size the library does not know is
 * refused before anything is read, with a message naming the structure. */
static void test_struct_sizes(void **state)
{
    (void)state;
    static const uint8_t b[64];
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_reader(b, sizeof(b), &err);
    struct xsr_check_summary sum = XSR_CHECK_SUMMARY_INIT;
    sum.size = 0;
    assert_int_equal(xsr_verify(ch, XSR_LAYER_NONE, NULL, &sum, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_check_summary"));
    assert_int_equal(xsr_chan_offset(ch), 0);
    sum.size = sizeof(sum) + 8;
    assert_int_equal(xsr_verify(ch, XSR_LAYER_NONE, NULL, &sum, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "newer"));
    struct xsr_check_opts o = XSR_CHECK_OPTS_INIT;
    o.size = 4;
    assert_null(xsr_checker_new(&o, &err));
    assert_non_null(strstr(err.message, "xsr_check_opts"));
    sum.size = sizeof(sum);
    assert_int_equal(xsr_verify(ch, XSR_LAYER_NONE, &o, &sum, &err), XSR_EINVAL);
    o.size = sizeof(o);
    assert_int_equal(xsr_verify(ch, XSR_LAYER_NONE, &o, &sum, &err), 1); /* zeroes: not a stream */
    assert_int_equal(sum.size, sizeof(sum));
    assert_int_equal(sum.errors, 1);
    xsr_chan_close(ch, NULL);

    /* a restore verdict: judged only with its size */
    struct xsr_restore_verdict v = XSR_RESTORE_VERDICT_INIT;
    const struct xsr_xen_target *t = xsr_xen_target_find("xen-4.17");
    assert_non_null(t);
    v.size = 0;
    v.restorable = true;
    assert_int_equal(xsr_xen_target_check(t, &sum, &v, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_restore_verdict"));
    assert_true(v.restorable); /* left alone */
    v.size = sizeof(v);
    assert_int_equal(xsr_xen_target_check(t, &sum, &v, &err), 0);
    assert_false(v.restorable); /* the zeroes were an error */
    assert_int_equal(v.size, sizeof(v));

    /* a caller built when there were fewer record types: its shorter array
     * is filled, nothing beyond it */
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, 3, XSR_DOM_X86_HVM);
    struct xsr_chan *out = xsr_chan_mem_writer(NULL);
    assert_int_equal(xsr_gen_write(&g, out, &err), 0);
    size_t n;
    const uint8_t *d = xsr_chan_mem_data(out, &n);
    struct {
        struct xsr_check_summary s;
        uint64_t guard;
    } older;
    memset(&older, 0xee, sizeof(older));
    older.s.size = offsetof(struct xsr_check_summary, bytes_by_type) + 2 * sizeof(uint64_t);
    ch = xsr_chan_mem_reader(d, n, &err);
    assert_int_equal(xsr_verify(ch, XSR_LAYER_NONE, NULL, &older.s, &err), 0);
    assert_true(older.s.complete);
    assert_true(older.s.bytes_by_type[XSR_REC_PAGE_DATA] > 0);
    assert_true(older.s.bytes_by_type[XSR_REC_PAGE_DATA + 1] == 0xeeeeeeeeeeeeeeeeULL);
    assert_true(older.guard == 0xeeeeeeeeeeeeeeeeULL);
    xsr_chan_close(ch, NULL);
    xsr_chan_close(out, NULL);
}

static void test_empty_input(void **state)
{
    (void)state;
    struct vc_result *r = res();
    vc_run((const uint8_t *)"", 0, false, r);
    vc_expect(r, "stream.truncated", XSR_SEV_ERROR, "empty");
    assert_false(r->sum.complete);
    free(r);
}

/* Cut inside the first header: the format was recognised all the same. */
static void test_format_of_a_cut_first_header(void **state)
{
    (void)state;
    struct vc_result *r = res();
    static const enum wrap wraps[] = { WRAP_NONE, WRAP_LIBXL, WRAP_XL };
    static const enum xsr_layer layers[] = { XSR_LAYER_LIBXC, XSR_LAYER_LIBXL, XSR_LAYER_XL };
    static const size_t cuts[] = { 20, 12, 40 };
    for (size_t i = 0; i < 3; i++) {
        struct sb s;
        size_t len;
        build(&s, XSR_DOM_X86_HVM, 3, 8, LE, wraps[i]);
        uint8_t *b = sb_bytes(&s, &len);
        assert_true(len > cuts[i]);
        vc_run(b, cuts[i], false, r);
        vc_expect(r, "stream.truncated", XSR_SEV_ERROR, NULL);
        assert_int_equal(r->sum.format, layers[i]);
        assert_false(r->sum.complete);
        free(b);
        sb_free(&s);
    }
    /* too short to tell */
    vc_run((const uint8_t *)"Xen saved", 9, false, r);
    assert_int_equal(r->sum.format, XSR_LAYER_NONE);
    free(r);
}

/* A legacy stream is not walked: its end was not reached. */
static void test_legacy_is_not_complete(void **state)
{
    (void)state;
    struct vc_result *r = res();
    static const uint8_t bare[16] = { 0x00, 0x01 }; /* p2m_size 256, then anything */
    vc_run(bare, sizeof(bare), false, r);
    vc_expect(r, "stream.legacy", XSR_SEV_ERROR, "legacy (pre-v2) stream");
    assert_int_equal(r->sum.format, XSR_LAYER_LEGACY);
    assert_false(r->sum.complete);

    /* behind an xl header without STREAMv2 */
    struct sb s;
    build(&s, XSR_DOM_X86_PV, 3, 8, LE, WRAP_XL);
    xsr_st32(s.items[0].body + 36, XSR_XL_FLAG_JSON, LE);
    vc_run_sb(&s, false, r);
    vc_expect(r, "stream.legacy", XSR_SEV_ERROR, NULL);
    assert_int_equal(r->sum.format, XSR_LAYER_XL);
    assert_false(r->sum.complete);
    sb_free(&s);
    free(r);
}

/* ------------------------------------------------------------ catalogue */

static void test_catalogue(void **state)
{
    (void)state;
    unsigned n = 0;
    const struct xsr_rule_info *rules = xsr_rules(&n);
    assert_non_null(rules);
    assert_true(n > 100);
    for (unsigned i = 0; i < n; i++) {
        assert_non_null(rules[i].id);
        assert_true(strlen(rules[i].summary) > 10);
        assert_true(rules[i].severity <= XSR_SEV_ERROR);
        assert_true(rules[i].lenient_severity >= XSR_SEV_NONE &&
                    rules[i].lenient_severity <= XSR_SEV_ERROR);
        /* lenient mode is never stricter than strict mode */
        assert_true(rules[i].lenient_severity <= (int)rules[i].severity);
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(rules[i].id, rules[j].id);
    }
    assert_string_equal(xsr_severity_name(XSR_SEV_ERROR), "error");
    assert_string_equal(xsr_severity_name(XSR_SEV_WARNING), "warning");
    assert_string_equal(xsr_severity_name(XSR_SEV_NOTE), "note");
}

/* doc/rules.md has one table row per rule: | `id` | strict | lenient | ... */
static void test_doc_matches_catalogue(void **state)
{
    (void)state;
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/doc/rules.md", tu_src_dir());
    char *doc = (char *)tu_read_file(path, &len);
    assert_non_null(doc);
    doc[len ? len - 1 : 0] = 0;

    unsigned n = 0, rows = 0;
    const struct xsr_rule_info *rules = xsr_rules(&n);
    for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        char id[80], strict[16], lenient[16];
        assert_int_equal(sscanf(line, "| `%79[^`]` | %15s | %15s |", id, strict, lenient), 3);
        unsigned i;
        for (i = 0; i < n && strcmp(rules[i].id, id) != 0; i++)
            ;
        if (i == n)
            fprintf(stderr, "doc/rules.md lists unknown rule %s\n", id);
        assert_true(i < n);
        if (strcmp(strict, xsr_severity_name(rules[i].severity)) != 0)
            fprintf(stderr, "doc/rules.md: %s is %s, the catalogue says %s\n", id, strict,
                    xsr_severity_name(rules[i].severity));
        assert_string_equal(strict, xsr_severity_name(rules[i].severity));
        const char *lsev = rules[i].lenient_severity == XSR_SEV_NONE
                              ? "—"
                              : xsr_severity_name((enum xsr_severity)rules[i].lenient_severity);
        if (strcmp(lenient, lsev) != 0)
            fprintf(stderr, "doc/rules.md: %s is %s in lenient mode, the catalogue says %s\n", id,
                    lenient, lsev);
        assert_string_equal(lenient, lsev);
        rows++;
    }
    if (rows != n)
        fprintf(stderr, "doc/rules.md has %u rule rows, the catalogue %u rules\n", rows, n);
    assert_int_equal(rows, n);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_matrix),
        cmocka_unit_test(test_summary_pv),
        cmocka_unit_test(test_summary_wrapped_hvm),
        cmocka_unit_test(test_summary_checkpoints),
        cmocka_unit_test(test_events_ihdr_marker_id),
        cmocka_unit_test(test_events_libxl_ident),
        cmocka_unit_test(test_events_end_last_and_missing),
        cmocka_unit_test(test_events_api_misuse),
        cmocka_unit_test(test_bounds_per_record),
        cmocka_unit_test(test_bounds_per_stream),
        cmocka_unit_test(test_lenient_accepts_what_xen_accepts),
        cmocka_unit_test(test_io_failure_is_not_a_finding),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test(test_format_of_a_cut_first_header),
        cmocka_unit_test(test_legacy_is_not_complete),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_doc_matches_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
