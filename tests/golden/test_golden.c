/* SPDX-License-Identifier: MIT */
/*
 * Golden vectors (vectors/NAME.img, see README.md):
 *  - the generator reproduces each vector byte for byte;
 *  - walking a vector and re-emitting every event with xsr_writer_event gives
 *    the same bytes;
 *  - the checker finds no error and no warning in it, and its summary agrees
 *    with the options the vector was made from;
 *  - together the vectors cover every record type and variant they should.
 *
 *   test_golden                 run the tests
 *   test_golden --regen DIR     write every vector into DIR
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden_vectors.h"
#include "testutil.h"

static char vec_dir[4096];

static uint8_t *load(const char *name, size_t *len)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s.img", vec_dir, name);
    uint8_t *buf = tu_read_file(path, len);
    if (!buf)
        fail_msg("cannot read golden vector %s (regenerate with --regen, see README.md)", path);
    return buf;
}

static void test_reproduced(void **state)
{
    (void)state;
    size_t n;
    const struct golden_vector *v = golden_vectors(&n);
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t want_len, got_len;
        uint8_t *want = load(v[i].name, &want_len);
        uint8_t *got = tu_generate(&v[i].opts, &got_len);
        assert_non_null(got);
        size_t k = 0;
        while (k < want_len && k < got_len && want[k] == got[k])
            k++;
        if (k != want_len || k != got_len) {
            print_error("%s: generated %zu bytes, vector has %zu; first difference at offset %#zx\n",
                        v[i].name, got_len, want_len, k);
            bad++;
        }
        free(want);
        free(got);
    }
    assert_int_equal(bad, 0);
}

static void test_walk_rewrite(void **state)
{
    (void)state;
    size_t n;
    const struct golden_vector *v = golden_vectors(&n);
    for (size_t i = 0; i < n; i++) {
        struct xsr_error err;
        size_t len, out_len, events = 0;
        uint8_t *buf = load(v[i].name, &len);
        xsr_error_clear(&err);
        struct xsr_chan *in = xsr_chan_mem_reader(buf, len, &err);
        struct xsr_chan *out = xsr_chan_mem_writer(&err);
        assert_non_null(in);
        assert_non_null(out);
        struct xsr_walker_opts wo = XSR_WALKER_OPTS_INIT;
        wo.format = XSR_LAYER_NONE;
        struct xsr_walker *w = xsr_walker_new(in, &wo, &err);
        struct xsr_writer *wr = xsr_writer_new(out, 0, &err);
        assert_non_null(w);
        assert_non_null(wr);
        struct xsr_event ev;
        int rc;
        while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
            assert_int_equal(xsr_writer_event(wr, &ev, &err), 0);
            events++;
        }
        if (rc != 0)
            fail_msg("%s: walk failed: %s", v[i].name, err.message);
        assert_int_equal(xsr_walker_format(w), v[i].opts.wrap);
        assert_int_equal(xsr_writer_free(wr, &err), 0);
        const uint8_t *copy = xsr_chan_mem_data(out, &out_len);
        assert_int_equal(out_len, len);
        assert_memory_equal(copy, buf, len);
        assert_true(events > 5);
        xsr_walker_free(w);
        xsr_chan_close(in, NULL);
        xsr_chan_close(out, NULL);
        free(buf);
    }
}

struct severities {
    unsigned count[3];
    char first[512];
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct severities *s = ctx;
    s->count[f->severity]++;
    if (f->severity != XSR_SEV_NOTE && !s->first[0])
        snprintf(s->first, sizeof(s->first), "[%s] %s", f->rule, f->message);
}

static void test_verify(void **state)
{
    (void)state;
    size_t n;
    const struct golden_vector *v = golden_vectors(&n);
    for (size_t i = 0; i < n; i++) {
        const struct xsr_gen_opts *o = &v[i].opts;
        struct xsr_error err;
        struct xsr_check_summary sum = XSR_CHECK_SUMMARY_INIT;
        struct severities sev = { { 0 }, "" };
        size_t len;
        uint8_t *buf = load(v[i].name, &len);
        xsr_error_clear(&err);
        struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
        assert_non_null(ch);
        struct xsr_check_opts co = XSR_CHECK_OPTS_INIT;
        co.lenient = false;
        co.on_finding = on_finding;
        co.ctx = &sev;
        int rc = xsr_verify(ch, XSR_LAYER_NONE, &co, &sum, &err);
        if (rc != 0 || sev.count[XSR_SEV_WARNING] || sev.count[XSR_SEV_ERROR])
            fail_msg("%s: xsr_verify returned %d with %u errors, %u warnings: %s", v[i].name, rc,
                     sev.count[XSR_SEV_ERROR], sev.count[XSR_SEV_WARNING], sev.first);
        assert_true(sum.complete);
        assert_int_equal(sum.format, o->wrap);
        assert_int_equal(sum.version, o->version);
        assert_int_equal(sum.order, o->order);
        assert_int_equal(sum.dom_type, o->dom_type);
        assert_int_equal(sum.vcpus, o->nr_vcpus);
        assert_int_equal(sum.checkpoints, o->checkpoints);
        assert_int_equal(sum.bytes, len);
        if (o->dom_type == XSR_DOM_X86_PV) {
            assert_int_equal(sum.guest_width, o->guest_width);
            assert_int_equal(sum.pt_levels, o->guest_width == 8 ? 4 : 3);
        }
        xsr_chan_close(ch, NULL);
        free(buf);
    }
}

/* Walk a vector and note which record types and variants it has. */
struct coverage {
    bool libxc[XSR_REC_TYPE_COUNT], libxl[XSR_LIBXL_REC_TYPE_COUNT], optional;
    bool pv64, pv32, hvm, version[5], order[2], wrap[XSR_LAYER_LEGACY], live, checkpointed;
};

static void cover(struct coverage *c, const struct golden_vector *v)
{
    struct xsr_error err;
    size_t len;
    uint8_t *buf = load(v->name, &len);
    struct xsr_chan *in = xsr_chan_mem_reader(buf, len, &err);
    struct xsr_walker *w = xsr_walker_new(in, NULL, &err);
    struct xsr_event ev;
    assert_non_null(w);
    while (xsr_walker_next(w, &ev, &err) == 1) {
        if (ev.kind == XSR_EV_RECORD && ev.u.rec.type < XSR_REC_TYPE_COUNT)
            c->libxc[ev.u.rec.type] = true;
        else if (ev.kind == XSR_EV_RECORD && (ev.u.rec.type & XSR_REC_OPTIONAL))
            c->optional = true;
        else if (ev.kind == XSR_EV_LIBXL_RECORD && ev.u.rec.type < XSR_LIBXL_REC_TYPE_COUNT)
            c->libxl[ev.u.rec.type] = true;
    }
    xsr_walker_free(w);
    xsr_chan_close(in, NULL);
    free(buf);

    const struct xsr_gen_opts *o = &v->opts;
    if (o->dom_type == XSR_DOM_X86_HVM)
        c->hvm = true;
    else if (o->guest_width == 8)
        c->pv64 = true;
    else
        c->pv32 = true;
    c->version[o->version] = true;
    c->order[o->order] = true;
    c->wrap[o->wrap] = true;
    c->live |= o->live_passes > 0;
    c->checkpointed |= o->checkpoints > 0;
}

static void test_coverage(void **state)
{
    (void)state;
    size_t n;
    const struct golden_vector *v = golden_vectors(&n);
    struct coverage c;
    memset(&c, 0, sizeof(c));
    for (size_t i = 0; i < n; i++)
        cover(&c, &v[i]);
    for (uint32_t t = 0; t < XSR_REC_TYPE_COUNT; t++) {
        bool never = t == XSR_REC_TOOLSTACK || t == XSR_REC_CHECKPOINT_DIRTY_PFN_LIST;
        if (c.libxc[t] == never)
            fail_msg("libxc record %s is %s the vectors", xsr_rec_type_name(t),
                     never ? "in" : "missing from");
    }
    for (uint32_t t = 0; t < XSR_LIBXL_REC_TYPE_COUNT; t++)
        if (c.libxl[t] != (t != XSR_LIBXL_REC_CHECKPOINT_STATE))
            fail_msg("libxl record %s coverage is wrong", xsr_libxl_rec_type_name(t));
    assert_true(c.optional);
    assert_true(c.pv64 && c.pv32 && c.hvm);
    assert_true(c.version[2] && c.version[3] && c.version[4]);
    assert_true(c.order[XSR_LITTLE_ENDIAN] && c.order[XSR_BIG_ENDIAN]);
    assert_true(c.wrap[XSR_LAYER_LIBXC] && c.wrap[XSR_LAYER_LIBXL] && c.wrap[XSR_LAYER_XL]);
    assert_true(c.live && c.checkpointed);
}

/* Every file in vectors/ belongs to the table, and the set stays small. */
static void test_no_stray_files(void **state)
{
    (void)state;
    size_t n, total = 0, files = 0;
    const struct golden_vector *v = golden_vectors(&n);
    DIR *d = opendir(vec_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        bool known = false;
        for (size_t i = 0; i < n && !known; i++) {
            char want[256];
            snprintf(want, sizeof(want), "%s.img", v[i].name);
            known = strcmp(want, e->d_name) == 0;
        }
        if (!known)
            fail_msg("%s/%s is not a golden vector of the table", vec_dir, e->d_name);
        size_t len;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", vec_dir, e->d_name);
        free(tu_read_file(path, &len));
        total += len;
        files++;
    }
    closedir(d);
    assert_int_equal(files, n);
    assert_true(total < 3u << 20);
}

static int regenerate(const char *dir)
{
    size_t n;
    const struct golden_vector *v = golden_vectors(&n);
    for (size_t i = 0; i < n; i++) {
        char path[4200];
        size_t len;
        uint8_t *buf = tu_generate(&v[i].opts, &len);
        snprintf(path, sizeof(path), "%s/%s.img", dir, v[i].name);
        if (!buf || tu_write_file(path, buf, len) != 0) {
            fprintf(stderr, "cannot write %s: %s\n", path, buf ? strerror(errno) : "generator failed");
            free(buf);
            return 1;
        }
        printf("%s (%zu bytes)\n", path, len);
        free(buf);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--regen") == 0)
        return regenerate(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--regen DIR]\n", argv[0]);
        return 2;
    }
    snprintf(vec_dir, sizeof(vec_dir), "%s/tests/golden/vectors", tu_src_dir());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproduced),
        cmocka_unit_test(test_walk_rewrite),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_no_stray_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
