/* SPDX-License-Identifier: MIT */
/*
 * A restore that fails leaves nothing: no sim file, no temporary beside it,
 * and an error that says where (byte offset, record).  Every defect of the
 * differential test's mutation table, truncations at many points, and a
 * faulty channel (short reads, EINTR, read errors) at every step.
 */
#include "restore_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mutations.h"

/* Nothing but what the test put there is left in the scratch directory. */
static unsigned files_left(void)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s", ru_path(""));
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void refused(int rc, const struct xsr_error *err, const char *what)
{
    if (rc == 0)
        fail_msg("%s: restored", what);
    if (files_left())
        fail_msg("%s: a file is left behind", what);
    if (!err->message[0])
        fail_msg("%s: no message", what);
}

static void located(const struct xsr_error *err, const char *what)
{
    if (err->offset == XSR_NO_OFFSET) {
        char line[600];
        xsr_error_format(err, line, sizeof line);
        fail_msg("%s: the error says not where: %s", what, line);
    }
}

static uint8_t *base(uint32_t version, uint32_t type, unsigned width, enum xsr_layer wrap, size_t *len)
{
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, version, type);
    if (type == XSR_DOM_X86_PV)
        g.guest_width = width;
    g.wrap = wrap;
    g.nr_pages = 64;
    g.nr_vcpus = 2;
    g.all_records = true;
    uint8_t *b = tu_generate(&g, len);
    assert_non_null(b);
    return b;
}

/* Every cut of a stream is refused, and says where. */
static void test_truncation(void **state)
{
    (void)state;
    const uint32_t types[] = { XSR_DOM_X86_PV, XSR_DOM_X86_PV, XSR_DOM_X86_HVM };
    const unsigned widths[] = { 8, 4, 8 };
    for (unsigned t = 0; t < 3; t++) {
        size_t len;
        uint8_t *b = base(3 + (t == 1), types[t], widths[t], XSR_LAYER_XL, &len);
        struct xsr_error err;
        assert_int_equal(ru_restore(b, len, ru_path("t.sim"), NULL, NULL, NULL, &err), 0);
        assert_int_equal(unlink(ru_path("t.sim")), 0);
        /* every header and the first records byte by byte, then strides */
        for (size_t cut = 0; cut < len; cut += cut < 512 ? 1 : cut < 65536 ? 509 : 4093) {
            int rc = ru_restore(b, cut, ru_path("t.sim"), NULL, NULL, NULL, &err);
            char what[64];
            snprintf(what, sizeof what, "cut at %zu of %zu", cut, len);
            refused(rc, &err, what);
            if (cut)
                located(&err, what);
        }
        free(b);
    }
}

/* A rule xsr reports as an error, or a defect both verifiers agree on;
 * bytes after the END are not: a restore reads nothing after it. */
static bool invalid_for_xsr(const struct mutation *m)
{
    if (m->valid || m->op == OP_APPEND)
        return false;
    if (!m->rule)
        return m->diff == D_NONE;
    unsigned n = 0;
    const struct xsr_rule_info *r = xsr_rules(&n);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(r[i].id, m->rule) == 0)
            return r[i].severity == XSR_SEV_ERROR;
    fail_msg("unknown rule %s", m->rule);
    return false;
}

static const struct {
    uint32_t version, type;
    unsigned width;
    enum xsr_layer wrap;
} bases[] = {
    { 3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL }, { 2, XSR_DOM_X86_PV, 4, XSR_LAYER_XL },
    { 3, XSR_DOM_X86_HVM, 8, XSR_LAYER_XL },   { 2, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC },
    { 2, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC }, { 3, XSR_DOM_X86_PV, 4, XSR_LAYER_LIBXC },
};
#define NR_BASES (sizeof bases / sizeof bases[0])

/* Every defect the checker knows (the mutations that make a stream invalid)
 * is refused before anything is kept; a valid mutation restores or is
 * refused cleanly. */
static void test_mutations(void **state)
{
    (void)state;
    struct base b[NR_BASES];
    for (size_t i = 0; i < NR_BASES; i++) {
        struct xsr_gen_opts g;
        xsr_gen_opts_init(&g, bases[i].version, bases[i].type);
        if (bases[i].type == XSR_DOM_X86_PV)
            g.guest_width = bases[i].width;
        g.wrap = bases[i].wrap;
        g.nr_pages = 32;
        g.seed = 100 + i;
        b[i] = (struct base){ .name = "base", .version = bases[i].version, .dom_type = bases[i].type,
                              .width = bases[i].width, .wrap = bases[i].wrap, .order = XSR_LITTLE_ENDIAN };
        b[i].buf = tu_generate(&g, &b[i].len);
        assert_non_null(b[i].buf);
        assert_int_equal(sm_build(b[i].buf, b[i].len, &b[i].map), 0);
    }
    unsigned invalid = 0;
    for (size_t mi = 0; mi < nr_mutations; mi++) {
        const struct mutation *m = &mutations[mi];
        for (size_t bi = 0; bi < NR_BASES; bi++) {
            if (!mutation_applies(m, &b[bi]))
                continue;
            size_t len;
            uint8_t *buf = mutation_apply(m, &b[bi], &len);
            if (!buf)
                continue;
            struct xsr_error err;
            xsr_error_clear(&err);
            int rc = ru_restore(buf, len, ru_path("m.sim"), NULL, NULL, NULL, &err);
            char what[160];
            snprintf(what, sizeof what, "mutation %s on base %zu", m->name, bi);
            if (invalid_for_xsr(m)) {
                refused(rc, &err, what);
                if (m->op != OP_CUT_AT || len)
                    located(&err, what);
                invalid++;
            } else if (rc == 0) {
                assert_int_equal(unlink(ru_path("m.sim")), 0);
            } else {
                refused(rc, &err, what);
            }
            free(buf);
            break; /* one base per mutation */
        }
    }
    assert_true(invalid > 50);
    for (size_t i = 0; i < NR_BASES; i++) {
        sm_free(&b[i].map);
        free(b[i].buf);
    }
}

/* Non-zero record padding: an error of the format that Xen's restorer does
 * not look at.  Strict refuses it, naming the rule and the record; lenient
 * restores. */
static void test_lenient(void **state)
{
    (void)state;
    const struct mutation *m = NULL;
    for (size_t i = 0; i < nr_mutations; i++)
        if (strcmp(mutations[i].name, "rec-padding") == 0)
            m = &mutations[i];
    assert_non_null(m);
    struct base b = { .name = "base", .version = 3, .dom_type = XSR_DOM_X86_PV, .width = 8,
                      .wrap = XSR_LAYER_XL, .order = XSR_LITTLE_ENDIAN };
    b.buf = base(3, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, &b.len);
    assert_int_equal(sm_build(b.buf, b.len, &b.map), 0);
    size_t len;
    uint8_t *buf = mutation_apply(m, &b, &len);
    assert_non_null(buf);
    struct xsr_error err;
    int rc = ru_restore(buf, len, ru_path("l.sim"), NULL, NULL, NULL, &err);
    refused(rc, &err, "strict");
    assert_int_equal(rc, XSR_EFORMAT);
    assert_non_null(strstr(err.message, "[rec.padding"));
    assert_int_equal(err.record_type, XSR_REC_X86_PV_VCPU_EXTENDED);
    located(&err, "strict");
    struct xsr_restore_opts o = XSR_RESTORE_OPTS_INIT;
    o.lenient = true;
    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    if (ru_restore(buf, len, ru_path("l.sim"), &o, &res, NULL, &err))
        fail_msg("lenient: %s", err.message);
    assert_true(res.warnings > 0);
    assert_int_equal(unlink(ru_path("l.sim")), 0);
    free(buf);
    sm_free(&b.map);
    free(b.buf);
}

/* Short reads and EINTR change nothing; a read error at any point is a
 * clean refusal. */
static void test_fault_channel(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = base(3, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, &len);
    struct xsr_error err;
    struct xsr_restore_result want = XSR_RESTORE_RESULT_INIT, got = XSR_RESTORE_RESULT_INIT;
    assert_int_equal(ru_restore(b, len, ru_path("f.sim"), NULL, &want, NULL, &err), 0);
    assert_int_equal(unlink(ru_path("f.sim")), 0);

    struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 7, .eintr_every = 3, .fail_after = UINT64_MAX };
    struct xsr_chan *ch = xsr_chan_fault(xsr_chan_mem_reader(b, len, &err), &spec, &err);
    assert_non_null(ch);
    if (ru_restore_chan(ch, ru_path("f.sim"), NULL, &got, NULL, &err))
        fail_msg("short reads: %s", err.message);
    assert_int_equal(got.pages, want.pages);
    assert_int_equal(got.bytes, want.bytes);
    assert_int_equal(unlink(ru_path("f.sim")), 0);

    const int errnos[] = { EIO, 0 };
    for (unsigned e = 0; e < 2; e++)
        for (uint64_t at = 0; at < len; at += at < 1024 ? 13 : 3001) {
            struct xsr_fault_spec f = { .size = sizeof(struct xsr_fault_spec), .max_io = 4096, .fail_after = at, .fail_errno = errnos[e] };
            ch = xsr_chan_fault(xsr_chan_mem_reader(b, len, &err), &f, &err);
            assert_non_null(ch);
            int rc = ru_restore_chan(ch, ru_path("f.sim"), NULL, NULL, NULL, &err);
            char what[64];
            snprintf(what, sizeof what, "read %s after %llu bytes", errnos[e] ? "error" : "end",
                     (unsigned long long)at);
            refused(rc, &err, what);
            assert_int_equal(rc, errnos[e] ? XSR_EIO : XSR_ETRUNC);
        }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_lenient),
        cmocka_unit_test(test_fault_channel),
    };
    return cmocka_run_group_tests(tests, ru_setup, ru_teardown);
}
