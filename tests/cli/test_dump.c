/* SPDX-License-Identifier: MIT */
/*
 * Library-level tests of xsr_dump and xsr_verify_report (the engines behind
 * `xsr dump` and `xsr verify`): output captured with open_memstream, JSON
 * parsed back with json-c, hostile strings and broken streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <json-c/json.h>

#include "testutil.h"

struct capture {
    char *buf;
    size_t len;
    int rc;
    struct xsr_error err;
};

static void dump_buf(const uint8_t *img, size_t len, const struct xsr_dump_opts *o, struct capture *c)
{
    FILE *out = open_memstream(&c->buf, &c->len);
    struct xsr_chan *in;

    assert_non_null(out);
    xsr_error_clear(&c->err);
    in = xsr_chan_mem_reader(img, len, &c->err);
    assert_non_null(in);
    c->rc = xsr_dump(in, o, out, &c->err);
    xsr_chan_close(in, NULL);
    assert_int_equal(fclose(out), 0);
}

static void report_buf(const uint8_t *img, size_t len, const struct xsr_report_opts *o, struct capture *c)
{
    FILE *out = open_memstream(&c->buf, &c->len);
    struct xsr_chan *in;

    assert_non_null(out);
    xsr_error_clear(&c->err);
    in = xsr_chan_mem_reader(img, len, &c->err);
    assert_non_null(in);
    c->rc = xsr_verify_report(in, o, out, &c->err);
    xsr_chan_close(in, NULL);
    assert_int_equal(fclose(out), 0);
}

static struct json_object *parse_strict(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;

    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, text, (int)len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success) {
        fprintf(stderr, "not valid JSON: %s\n%.*s\n", json_tokener_error_desc(json_tokener_get_error(tok)),
                (int)(len > 2000 ? 2000 : len), text);
        fail();
    }
    /* the document ends the output, but for its final newline */
    assert_true(json_tokener_get_parse_end(tok) >= len - 1);
    assert_int_equal(text[len - 1], '\n');
    assert_int_not_equal(text[len - 2], '\n');
    json_tokener_free(tok);
    return o;
}

static struct json_object *get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fprintf(stderr, "missing key %s\n", key);
        fail();
    }
    return v;
}

static uint8_t *gen(uint32_t version, uint32_t type, enum xsr_layer wrap, bool all, size_t *len)
{
    struct xsr_gen_opts o;
    uint8_t *img;

    xsr_gen_opts_init(&o, version, type);
    o.wrap = wrap;
    o.nr_pages = 48;
    o.nr_vcpus = 2;
    o.all_records = all;
    img = tu_generate(&o, len);
    assert_non_null(img);
    return img;
}

/* Offset of the first record of a layer and type (walking the image). */
static uint64_t find_record(const uint8_t *img, size_t len, enum xsr_layer layer, uint32_t type)
{
    struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_mem_reader(img, len, &err);
    struct xsr_walker *w = xsr_walker_new(ch, &wo, &err);
    struct xsr_event ev;
    uint64_t off = XSR_NO_OFFSET;

    assert_non_null(w);
    while (xsr_walker_next(w, &ev, &err) > 0) {
        if ((ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD) && ev.layer == layer &&
            ev.u.rec.type == type) {
            off = ev.offset;
            break;
        }
    }
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
    assert_true(off != XSR_NO_OFFSET);
    return off;
}

/* Every item of the JSON dump matches the walk, in order, with the keys of
 * doc/json.md; the summary agrees with the items. */
static void test_json_items_match_stream(void **state)
{
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .json = true, .input_name = "pv.xl" };
    struct capture c = { 0 };
    struct json_object *root, *items, *summary, *it, *fields;
    size_t len, n, records = 0, pages = 0;
    uint8_t *img = gen(4, XSR_DOM_X86_PV, XSR_LAYER_XL, true, &len);

    (void)state;
    dump_buf(img, len, &o, &c);
    assert_int_equal(c.rc, 0);
    root = parse_strict(c.buf, c.len);
    assert_string_equal(json_object_get_string(get(root, "command")), "dump");
    assert_int_equal(json_object_get_int(get(root, "json_version")), 1);
    assert_string_equal(json_object_get_string(get(root, "input")), "pv.xl");
    assert_true(json_object_get_boolean(get(root, "valid")));
    items = get(root, "items");
    n = json_object_array_length(items);
    assert_true(n > 10);
    it = json_object_array_get_idx(items, 0);
    assert_string_equal(json_object_get_string(get(it, "kind")), "xl_header");
    assert_int_equal(json_object_get_int(get(it, "offset")), 0);
    assert_true(json_object_is_type(get(it, "index"), json_type_null));
    for (size_t i = 0; i < n; i++) {
        const char *kind;

        it = json_object_array_get_idx(items, i);
        kind = json_object_get_string(get(it, "kind"));
        fields = get(it, "fields");
        assert_true(json_object_is_type(fields, json_type_object));
        assert_true(json_object_is_type(get(it, "findings"), json_type_array));
        get(it, "layer");
        get(it, "length");
        get(it, "optional");
        if (strcmp(kind, "record") == 0) {
            records++;
            assert_int_equal(json_object_get_int64(get(it, "index")), (int64_t)records - 1);
            if (json_object_get_int(get(it, "type")) == XSR_REC_PAGE_DATA) {
                pages += (size_t)json_object_get_int64(get(fields, "count"));
                assert_true(json_object_is_type(get(fields, "types"), json_type_object));
            }
            if (json_object_get_int(get(it, "type")) == XSR_REC_X86_PV_VCPU_BASIC) {
                struct json_object *regs = get(fields, "regs");

                /* 64-bit registers are hex strings, always */
                assert_true(json_object_is_type(get(regs, "rip"), json_type_string));
                assert_memory_equal(json_object_get_string(get(regs, "rip")), "0x", 2);
            }
        }
    }
    summary = get(root, "summary");
    assert_int_equal(json_object_get_int64(get(summary, "records")), (int64_t)records);
    assert_int_equal(json_object_get_int64(get(summary, "pfn_entries")), (int64_t)pages);
    assert_int_equal(json_object_get_int(get(summary, "vcpus")), 2);
    assert_int_equal(json_object_object_length(get(summary, "bytes_by_record_type")), XSR_REC_TYPE_COUNT);
    assert_int_equal(json_object_object_length(get(summary, "pages_by_type")), 13);
    json_object_put(root);
    free(c.buf);
    free(img);
}

/* --pages lists every pfn: as many entries as the record's count. */
static void test_json_pages(void **state)
{
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .json = true, .pages = true };
    struct capture c = { 0 };
    struct json_object *root, *items;
    size_t len, checked = 0;
    uint8_t *img = gen(3, XSR_DOM_X86_HVM, XSR_LAYER_LIBXC, false, &len);

    (void)state;
    dump_buf(img, len, &o, &c);
    assert_int_equal(c.rc, 0);
    root = parse_strict(c.buf, c.len);
    assert_true(json_object_is_type(get(root, "input"), json_type_null));
    items = get(root, "items");
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        struct json_object *it = json_object_array_get_idx(items, i), *f = get(it, "fields"), *pfns;

        if (json_object_is_type(get(it, "type"), json_type_null) ||
            json_object_get_int(get(it, "type")) != XSR_REC_PAGE_DATA)
            continue;
        pfns = get(f, "pfns");
        assert_int_equal(json_object_array_length(pfns), json_object_get_int(get(f, "count")));
        assert_true(json_object_is_type(get(json_object_array_get_idx(pfns, 0), "pfn"), json_type_int));
        get(json_object_array_get_idx(pfns, 0), "type");
        checked++;
    }
    assert_true(checked > 0);
    json_object_put(root);
    free(c.buf);
    free(img);
}

/* A libxc stream (v3, PV, little-endian) of one PAGE_DATA record with n pfn
 * words that carry no data: pfn i as XTAB, every third one with reserved
 * bits set. */
static uint8_t *one_page_record(uint32_t n, size_t *len)
{
    size_t body = 8 + (size_t)n * 8;
    uint8_t *s = calloc(1, 24 + 16 + 8 + body + 8);
    struct xsr_ihdr ih = xsr_ihdr_make(3, XSR_LITTLE_ENDIAN);

    assert_non_null(s);
    xsr_ihdr_encode(&ih, s);
    xsr_st32(s + 24, XSR_DOM_X86_PV, XSR_LITTLE_ENDIAN);
    xsr_st16(s + 28, 12, XSR_LITTLE_ENDIAN);
    xsr_st32(s + 32, 4, XSR_LITTLE_ENDIAN);
    xsr_st32(s + 36, 17, XSR_LITTLE_ENDIAN);
    xsr_st32(s + 40, XSR_REC_PAGE_DATA, XSR_LITTLE_ENDIAN);
    xsr_st32(s + 44, (uint32_t)body, XSR_LITTLE_ENDIAN);
    xsr_st32(s + 48, n, XSR_LITTLE_ENDIAN);
    for (uint32_t i = 0; i < n; i++)
        xsr_st64(s + 56 + (size_t)i * 8, xsr_pfn_word_make(XSR_PFN_XTAB, i) | (i % 3 == 2 ? 0x5ull << 52 : 0),
                 XSR_LITTLE_ENDIAN);
    *len = 24 + 16 + 8 + body + 8; /* END: zeros */
    return s;
}

static long max_rss_mib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss >> 10;
}

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

#define BIG_RECORD_PFNS 500000u

/*
 * --json --pages of a PAGE_DATA record with very many pfns (a record may
 * be 128 MiB: 16 Mi pfns) writes the list as it goes: memory does not grow
 * a hundredfold with the record as a tree of every entry would.  The list
 * is the same JSON: {pfn, type} plus reserved when non-zero.
 */
static void test_json_pages_large_record(void **state)
{
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .json = true, .pages = true };
    struct capture c = { 0 };
    struct json_object *root, *fields, *pfns, *e;
    size_t len;
    uint8_t *img = one_page_record(4, &len);

    (void)state;
    dump_buf(img, len, &o, &c);
    root = parse_strict(c.buf, c.len);
    fields = get(json_object_array_get_idx(get(root, "items"), 2), "fields");
    assert_int_equal(json_object_get_int(get(fields, "count")), 4);
    assert_int_equal(json_object_get_int(get(fields, "reserved_bits_set")), 1);
    pfns = get(fields, "pfns");
    assert_int_equal(json_object_array_length(pfns), 4);
    e = json_object_array_get_idx(pfns, 2);
    assert_int_equal(json_object_get_int(get(e, "pfn")), 2);
    assert_string_equal(json_object_get_string(get(e, "type")), "XTAB");
    assert_int_equal(json_object_get_int(get(e, "reserved")), 5);
    assert_int_equal(json_object_object_length(json_object_array_get_idx(pfns, 1)), 2);
    assert_true(json_object_is_type(get(json_object_array_get_idx(get(root, "items"), 2), "findings"),
                                    json_type_array));
    json_object_put(root);
    free(c.buf);
    free(img);

    img = one_page_record(BIG_RECORD_PFNS, &len);
    FILE *null = fopen("/dev/null", "w");
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(img, len, &err);
    long before = max_rss_mib();
    int rc = xsr_dump(in, &o, null, &err);
    long grew = max_rss_mib() - before;
    xsr_chan_close(in, NULL);
    fclose(null);
    assert_true(rc == 0 || rc == 1);
#ifdef ASAN
    const long limit = 400;
#else
    const long limit = 150;
#endif
    if (grew > limit) {
        fprintf(stderr, "the JSON dump of %u pfns took %ld MiB more\n", BIG_RECORD_PFNS, grew);
        fail();
    }
    free(img);
}

/* Bytes from the stream that are not printable come out as \xNN, in text
 * and in (valid) JSON. */
static void test_hostile_strings(void **state)
{
    struct xsr_dump_opts text = XSR_DUMP_OPTS_INIT, json = { .size = sizeof(struct xsr_dump_opts), .json = true };
    struct capture c = { 0 };
    struct json_object *root;
    size_t len;
    uint8_t *img = gen(4, XSR_DOM_X86_HVM, XSR_LAYER_LIBXL, true, &len);
    uint64_t off = find_record(img, len, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA);

    (void)state;
    /* record header (8) + emulator header (8), then the first key */
    img[off + 16] = 0x01;
    img[off + 17] = 0xff;
    img[off + 18] = '"';
    dump_buf(img, len, &text, &c);
    assert_true(c.rc == 0 || c.rc == 1);
    if (!strstr(c.buf, "key=\"\\x01\\xff\\\"")) {
        fprintf(stderr, "%s\n", c.buf);
        fail();
    }
    free(c.buf);
    memset(&c, 0, sizeof(c));
    dump_buf(img, len, &json, &c);
    root = parse_strict(c.buf, c.len);
    assert_non_null(strstr(c.buf, "\"key\":\"\\\\x01\\\\xff\\\""));
    json_object_put(root);
    free(c.buf);
    free(img);
}

/* A truncated stream: dump returns 1, says why at the end, still gives a
 * complete document with a summary. */
static void test_truncated(void **state)
{
    struct xsr_dump_opts text = XSR_DUMP_OPTS_INIT, json = { .size = sizeof(struct xsr_dump_opts), .json = true };
    struct capture c = { 0 };
    struct json_object *root, *sf;
    size_t len;
    uint8_t *img = gen(4, XSR_DOM_X86_PV, XSR_LAYER_XL, false, &len);

    (void)state;
    dump_buf(img, len - 100, &text, &c);
    assert_int_equal(c.rc, 1);
    assert_non_null(strstr(c.buf, "\nend of stream\n    error: "));
    assert_non_null(strstr(c.buf, "\nVerdict: stream: INVALID ("));
    free(c.buf);
    memset(&c, 0, sizeof(c));
    dump_buf(img, len - 100, &json, &c);
    assert_int_equal(c.rc, 1);
    root = parse_strict(c.buf, c.len);
    sf = get(root, "stream_findings");
    assert_true(json_object_array_length(sf) >= 1);
    assert_string_equal(json_object_get_string(get(json_object_array_get_idx(sf, 0), "severity")), "error");
    assert_false(json_object_get_boolean(get(root, "valid")));
    assert_false(json_object_get_boolean(get(get(root, "summary"), "complete")));
    json_object_put(root);
    free(c.buf);
    free(img);
}

/* The verify report: text findings + verdict, quiet, JSON. */
static void test_verify_report(void **state)
{
    struct xsr_report_opts text = XSR_REPORT_OPTS_INIT, quiet = XSR_REPORT_OPTS_INIT,
                           json = XSR_REPORT_OPTS_INIT;
    struct capture c = { 0 };
    struct json_object *root, *f;
    size_t len;

    text.input_name = "x";
    quiet.quiet = true;
    json.json = true;
    uint8_t *img = gen(3, XSR_DOM_X86_PV, XSR_LAYER_LIBXC, false, &len);

    (void)state;
    report_buf(img, len, &text, &c);
    assert_int_equal(c.rc, 0);
    assert_string_equal(c.buf, "x: valid (libxc, libxc stream v3, x86 PV 64-bit; 0 errors, 0 warnings, 0 notes); "
                               "restorable by Xen 4.14 and later\n");
    free(c.buf);

    img[15] = 9; /* image header version */
    memset(&c, 0, sizeof(c));
    report_buf(img, len, &text, &c);
    assert_int_equal(c.rc, 1);
    assert_memory_equal(c.buf, "error: ", 7);
    assert_non_null(strstr(c.buf, "\nx: INVALID ("));
    free(c.buf);

    memset(&c, 0, sizeof(c));
    report_buf(img, len, &quiet, &c);
    assert_int_equal(c.rc, 1);
    assert_int_equal(c.len, 0);
    free(c.buf);

    memset(&c, 0, sizeof(c));
    report_buf(img, len, &json, &c);
    assert_int_equal(c.rc, 1);
    root = parse_strict(c.buf, c.len);
    assert_string_equal(json_object_get_string(get(root, "command")), "verify");
    f = json_object_array_get_idx(get(root, "findings"), 0);
    assert_non_null(f);
    assert_string_equal(json_object_get_string(get(f, "severity")), "error");
    assert_string_equal(json_object_get_string(get(f, "layer")), "libxc");
    assert_int_equal(json_object_get_int(get(f, "offset")), 0);
    assert_true(strlen(json_object_get_string(get(f, "rule"))) > 0);
    assert_false(json_object_get_boolean(get(root, "valid")));
    json_object_put(root);
    free(c.buf);
    free(img);
}

/* --summary: no records, just the summary and the verdict. */
static void test_summary_only(void **state)
{
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .summary_only = true, .input_name = "s" };
    struct capture c = { 0 };
    size_t len;
    uint8_t *img = gen(4, XSR_DOM_X86_HVM, XSR_LAYER_XL, false, &len);

    (void)state;
    dump_buf(img, len, &o, &c);
    assert_int_equal(c.rc, 0);
    assert_memory_equal(c.buf, "Summary of s:\n    format: xl\n    version: 4\n", 44);
    assert_null(strstr(c.buf, "PAGE_DATA (0x1)"));
    assert_non_null(strstr(c.buf, "\n    guest_type: x86 HVM\n"));
    assert_non_null(strstr(c.buf, "\nVerdict: s: valid (xl, libxc stream v4, x86 HVM; 0 errors"));
    free(c.buf);
    free(img);
}

static void test_bad_arguments(void **state)
{
    struct xsr_dump_opts o = XSR_DUMP_OPTS_INIT;
    struct xsr_error err;

    (void)state;
    xsr_error_clear(&err);
    assert_int_equal(xsr_dump(NULL, &o, stdout, &err), XSR_EINVAL);
    assert_int_equal(err.code, XSR_EINVAL);
    assert_int_equal(xsr_verify_report(NULL, NULL, stdout, &err), XSR_EINVAL);

    /* options without their size (not made by the _INIT macro) are refused
     * before anything is read or written */
    static const uint8_t byte[1];
    struct xsr_dump_opts zero = { 0 };
    struct xsr_report_opts rzero = { 0 };
    struct xsr_chan *in = xsr_chan_mem_reader(byte, sizeof(byte), &err);
    assert_non_null(in);
    assert_int_equal(xsr_dump(in, &zero, stdout, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_dump_opts structure has size 0"));
    assert_int_equal(xsr_verify_report(in, &rzero, stdout, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_report_opts structure has size 0"));
    xsr_chan_close(in, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_items_match_stream),
        cmocka_unit_test(test_json_pages),
        cmocka_unit_test(test_json_pages_large_record),
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_verify_report),
        cmocka_unit_test(test_summary_only),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
