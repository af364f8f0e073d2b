/* SPDX-License-Identifier: MIT */
/*
 * Differential test against Xen's reference verifier, verify-stream-v2
 * ($XSR_XEN_TOOLS; skipped when it is not set up).
 *
 * Many generated streams (PV 64-bit, PV 32-bit, HVM; versions 2 and 3; bare
 * libxc, libxl and xl wrapped; live passes, VERIFY, several vCPUs, every
 * optional extra) and targeted mutations of them (one per rule) are given to
 * both xsr verify (strict) and the reference.  They must agree on
 * valid/invalid, except where a documented deliberate difference applies
 * (differences.c, doc/differences.md): then they must disagree exactly as
 * documented, and every difference must be shown by at least one stream on
 * its own, so the list stays true.  Mutations also name the xsr rule that
 * must fire.  Only little-endian streams are compared (the reference cannot
 * validate big-endian ones; that, too, is a listed difference).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "differences.h"
#include "mutations.h"
#include "refrun.h"
#include "testutil.h"

struct dcase {
    char name[128];
    uint8_t *buf;
    size_t len;
    const char *format;   /* for the reference: libxc, libxl or xl */
    unsigned diffs;       /* bit per enum diff_id that applies */
    bool valid;           /* the verdict both give when no difference applies */
    const char *rule;     /* xsr must report it (or NULL) */
    /* results */
    int xsr_rc;
    int rule_severity;    /* highest severity the rule was reported with, -1 none */
    char xsr_first[256];
    struct ref_job job;
    char path[512], log[512];
};

static struct {
    const char *tools;
    char dir[256];
    struct dcase *cases;
    size_t n, cap;
    bool shown[D_COUNT]; /* a stream showed the difference alone, as expected */
    struct base bases[16]; /* of the mutations; freed in teardown (also after a failure) */
    size_t nr_bases;
} g;

static const char *format_of(enum xsr_layer wrap)
{
    return wrap == XSR_LAYER_XL ? "xl" : wrap == XSR_LAYER_LIBXL ? "libxl" : "libxc";
}

static struct dcase *add_case(const char *name, uint8_t *buf, size_t len, const char *format)
{
    if (g.n == g.cap) {
        g.cap = g.cap ? g.cap * 2 : 256;
        g.cases = realloc(g.cases, g.cap * sizeof(*g.cases));
        assert_non_null(g.cases);
    }
    struct dcase *c = &g.cases[g.n++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->buf = buf;
    c->len = len;
    c->format = format;
    return c;
}

static void free_cases(void)
{
    for (size_t i = 0; i < g.n; i++) {
        free(g.cases[i].buf);
        if (g.cases[i].path[0])
            unlink(g.cases[i].path);
        if (g.cases[i].log[0])
            unlink(g.cases[i].log);
    }
    g.n = 0;
}

/* ------------------------------------------------------------ verdicts */

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct dcase *c = ctx;
    if (c->rule && strcmp(f->rule, c->rule) == 0 && (int)f->severity > c->rule_severity)
        c->rule_severity = (int)f->severity;
    if (f->severity == XSR_SEV_ERROR && !c->xsr_first[0])
        snprintf(c->xsr_first, sizeof(c->xsr_first), "[%s] %s", f->rule, f->message);
}

static void run_xsr(struct dcase *c)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(c->buf, c->len, &err);
    assert_non_null(ch);
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.on_finding = on_finding;
    opts.ctx = c;
    c->rule_severity = -1;
    c->xsr_rc = xsr_verify(ch, XSR_LAYER_NONE, &opts, NULL, &err);
    xsr_chan_close(ch, NULL);
}

/* Verify every case with both tools and check the verdicts. */
static void run_and_compare(void)
{
    struct ref_job *jobs = calloc(g.n, sizeof(*jobs));
    assert_non_null(jobs);
    for (size_t i = 0; i < g.n; i++) {
        struct dcase *c = &g.cases[i];
        snprintf(c->path, sizeof(c->path), "%s/%03zu.bin", g.dir, i);
        snprintf(c->log, sizeof(c->log), "%s/%03zu.log", g.dir, i);
        assert_int_equal(tu_write_file(c->path, c->buf, c->len), 0);
        jobs[i] = (struct ref_job){.path = c->path, .format = c->format, .log = c->log};
        run_xsr(c);
    }
    assert_int_equal(ref_run_all(g.tools, jobs, g.n, 2), 0);

    unsigned bad = 0;
    for (size_t i = 0; i < g.n; i++) {
        struct dcase *c = &g.cases[i];
        bool want_xsr = c->valid, want_ref = c->valid;
        /* Every difference that applies must point the same way. */
        for (unsigned d = 1; d < D_COUNT; d++) {
            if (!(c->diffs & (1u << d)))
                continue;
            want_xsr = differences[d].xsr_valid;
            want_ref = differences[d].ref_valid;
        }
        for (unsigned d = 1; d < D_COUNT; d++)
            if (c->diffs & (1u << d))
                assert_true(differences[d].xsr_valid == want_xsr &&
                            differences[d].ref_valid == want_ref);
        int st = jobs[i].status;
        bool xsr_ok = c->xsr_rc == 0, ref_ok = st == 0;
        const char *problem = NULL;
        if (c->xsr_rc < 0)
            problem = "xsr failed to verify";
        else if (st < 0)
            problem = "the reference verifier died";
        else if (xsr_ok != want_xsr || ref_ok != want_ref)
            problem = "unexpected verdicts";
        else if (c->rule && c->rule_severity < (want_xsr ? (int)XSR_SEV_NOTE : (int)XSR_SEV_ERROR))
            problem = want_xsr ? "xsr did not report the expected rule"
                               : "xsr did not report the expected rule as an error";
        if (problem) {
            char tail[300] = "";
            size_t ll;
            uint8_t *log = tu_read_file(c->log, &ll);
            if (log) {
                size_t from = ll > 250 ? ll - 250 : 0;
                snprintf(tail, sizeof(tail), "%.*s", (int)(ll - from), (char *)log + from);
                free(log);
            }
            fprintf(stderr,
                    "MISMATCH %s: %s\n  xsr: %s (rc %d) %s\n  reference (-f %s): %s (exit %d) "
                    "...%s\n  expected: xsr %s, reference %s%s%s\n",
                    c->name, problem, xsr_ok ? "valid" : "invalid", c->xsr_rc, c->xsr_first,
                    c->format, ref_ok ? "valid" : "invalid", st, tail,
                    want_xsr ? "valid" : "invalid", want_ref ? "valid" : "invalid",
                    c->rule ? ", rule " : "", c->rule ? c->rule : "");
            bad++;
        } else {
            for (unsigned d = 1; d < D_COUNT; d++)
                if (c->diffs == 1u << d)
                    g.shown[d] = true;
        }
    }
    free(jobs);
    if (bad)
        fail_msg("%u of %zu streams do not give the expected verdicts (see above)", bad, g.n);
}

/* Differences a generated stream shows by what it contains. */
static unsigned classify(const uint8_t *buf, const struct sm_map *m)
{
    unsigned d = 0;
    const struct sm_item *ih = sm_kind(m, XSR_EV_IMAGE_HEADER);
    if (ih) {
        struct xsr_ihdr h;
        xsr_ihdr_decode(buf + ih->offset, &h);
        if (h.version >= 4)
            d |= 1u << D_V4;
        if (xsr_ihdr_order(&h) == XSR_BIG_ENDIAN)
            d |= 1u << D_BIG_ENDIAN;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct sm_item *it = &m->items[i];
        if (it->kind == XSR_EV_RECORD && (it->type & XSR_REC_OPTIONAL))
            d |= 1u << D_OPTIONAL;
        if (it->kind == XSR_EV_LIBXL_RECORD && it->type == XSR_LIBXL_REC_CHECKPOINT_END)
            d |= 1u << D_CHECKPOINTED;
        if (it->kind == XSR_EV_LIBXL_RECORD &&
            it->type == XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA && it->length > XSR_EMULATOR_HDR_SIZE)
            d |= 1u << D_XENSTORE;
    }
    return d;
}

/* Records only xsr can verify: optional libxc records, non-empty xenstore data. */
static bool only_xsr_reads(const struct sm_item *it)
{
    return (it->kind == XSR_EV_RECORD && (it->type & XSR_REC_OPTIONAL)) ||
           (it->kind == XSR_EV_LIBXL_RECORD && it->type == XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA &&
            it->length > XSR_EMULATOR_HDR_SIZE);
}

static uint8_t *generate(const struct xsr_gen_opts *o, size_t *len)
{
    uint8_t *buf = tu_generate(o, len);
    assert_non_null(buf);
    return buf;
}

static void add_stream(const char *name, uint8_t *buf, size_t len, const char *format)
{
    struct sm_map m;
    assert_int_equal(sm_build(buf, len, &m), 0);
    if (m.walk_rc != 0)
        fail_msg("%s: the stream cannot be walked: %s", name, m.walk_msg);
    struct dcase *c = add_case(name, buf, len, format);
    c->valid = true;
    c->diffs = classify(buf, &m);

    /* The same stream without the records only xsr reads, so that the rest
     * of it is compared too. */
    if (c->diffs & (1u << D_OPTIONAL | 1u << D_XENSTORE)) {
        uint8_t *s = ed_splice(buf, &len, 0, 0, NULL, 0);
        assert_non_null(s);
        for (size_t i = m.n; i-- > 0;) {
            if (!only_xsr_reads(&m.items[i]))
                continue;
            uint8_t *t = ed_splice(s, &len, m.items[i].offset, m.items[i].size, NULL, 0);
            assert_non_null(t);
            free(s);
            s = t;
        }
        char stripped[160];
        snprintf(stripped, sizeof(stripped), "%s-stripped", name);
        add_stream(stripped, s, len, format);
    }
    sm_free(&m);
}

static void add_generated(const char *name, const struct xsr_gen_opts *o)
{
    size_t len;
    uint8_t *buf = generate(o, &len);
    add_stream(name, buf, len, format_of(o->wrap));
}

static const struct {
    const char *name;
    uint32_t dom_type;
    unsigned width;
} guests[] = {
    {"pv64", XSR_DOM_X86_PV, 8},
    {"pv32", XSR_DOM_X86_PV, 4},
    {"hvm", XSR_DOM_X86_HVM, 8},
};
static const enum xsr_layer wraps[] = {XSR_LAYER_LIBXC, XSR_LAYER_LIBXL, XSR_LAYER_XL};

static void init_opts(struct xsr_gen_opts *o, uint32_t version, unsigned guest, enum xsr_layer wrap)
{
    xsr_gen_opts_init(o, version, guests[guest].dom_type);
    if (guests[guest].dom_type == XSR_DOM_X86_PV)
        o->guest_width = guests[guest].width;
    o->wrap = wrap;
    o->nr_pages = 32;
}

/* ------------------------------------------------------------- tests */

static void test_generated(void **state)
{
    (void)state;
    char name[128];
    struct xsr_gen_opts o;
    unsigned variant_seed = 1;

    for (uint32_t v = 2; v <= 3; v++) {
        for (unsigned gi = 0; gi < 3; gi++) {
            for (unsigned wi = 0; wi < 3; wi++) {
                const char *w = format_of(wraps[wi]);
                init_opts(&o, v, gi, wraps[wi]);
                o.seed = variant_seed++;
                snprintf(name, sizeof(name), "v%u-%s-%s", v, guests[gi].name, w);
                add_generated(name, &o);

                init_opts(&o, v, gi, wraps[wi]);
                o.all_records = true;
                o.nr_vcpus = 2;
                snprintf(name, sizeof(name), "v%u-%s-%s-all-records", v, guests[gi].name, w);
                add_generated(name, &o);

                init_opts(&o, v, gi, wraps[wi]);
                o.live_passes = 2;
                o.nr_vcpus = 3;
                o.nr_pages = 48;
                o.seed = variant_seed++;
                snprintf(name, sizeof(name), "v%u-%s-%s-live", v, guests[gi].name, w);
                add_generated(name, &o);

                init_opts(&o, v, gi, wraps[wi]);
                o.live_passes = 1;
                o.verify_pass = true;
                snprintf(name, sizeof(name), "v%u-%s-%s-verify", v, guests[gi].name, w);
                add_generated(name, &o);
            }
        }
    }
    /* Streams only xsr accepts: v4, big-endian, checkpointed libxl. */
    for (unsigned gi = 0; gi < 3; gi++) {
        init_opts(&o, 4, gi, wraps[gi]);
        snprintf(name, sizeof(name), "v4-%s-%s", guests[gi].name, format_of(wraps[gi]));
        add_generated(name, &o);
    }
    init_opts(&o, 3, 0, XSR_LAYER_LIBXC);
    o.order = XSR_BIG_ENDIAN;
    add_generated("v3-pv64-libxc-big-endian", &o);
    init_opts(&o, 2, 2, XSR_LAYER_LIBXC);
    o.order = XSR_BIG_ENDIAN;
    add_generated("v2-hvm-libxc-big-endian", &o);
    init_opts(&o, 3, 0, XSR_LAYER_LIBXL);
    o.checkpoints = 2;
    add_generated("v3-pv64-libxl-checkpoints", &o);
    init_opts(&o, 3, 2, XSR_LAYER_XL);
    o.checkpoints = 1;
    add_generated("v3-hvm-xl-checkpoint", &o);

    run_and_compare();
    free_cases();
}

static const struct {
    const char *name;
    uint32_t version;
    unsigned guest;
    enum xsr_layer wrap;
} base_kinds[] = {
    {"v3-pv64-libxl", 3, 0, XSR_LAYER_LIBXL},
    {"v2-pv32-xl", 2, 1, XSR_LAYER_XL},
    {"v3-hvm-xl", 3, 2, XSR_LAYER_XL},
    {"v2-hvm-libxc", 2, 2, XSR_LAYER_LIBXC},
    {"v2-pv64-libxc", 2, 0, XSR_LAYER_LIBXC},
    {"v3-hvm-libxl", 3, 2, XSR_LAYER_LIBXL},
    {"v3-pv32-libxc", 3, 1, XSR_LAYER_LIBXC},
};
#define NR_BASES (sizeof(base_kinds) / sizeof(base_kinds[0]))
/* Each mutation is applied to this many of the bases it fits. */
#define BASES_PER_MUTATION 2

static void free_bases(void)
{
    for (size_t i = 0; i < g.nr_bases; i++) {
        sm_free(&g.bases[i].map);
        free(g.bases[i].buf);
    }
    g.nr_bases = 0;
}

static void test_mutations(void **state)
{
    (void)state;
    struct base *bases = g.bases;
    char name[160];

    assert_true(NR_BASES <= sizeof(g.bases) / sizeof(g.bases[0]));
    for (size_t i = 0; i < NR_BASES; i++) {
        struct base *b = &bases[i];
        g.nr_bases = i + 1;
        struct xsr_gen_opts o;
        init_opts(&o, base_kinds[i].version, base_kinds[i].guest, base_kinds[i].wrap);
        o.seed = 100 + i;
        *b = (struct base){.name = base_kinds[i].name, .version = base_kinds[i].version,
                           .dom_type = guests[base_kinds[i].guest].dom_type,
                           .width = guests[base_kinds[i].guest].width,
                           .wrap = base_kinds[i].wrap, .order = XSR_LITTLE_ENDIAN};
        b->buf = generate(&o, &b->len);
        assert_int_equal(sm_build(b->buf, b->len, &b->map), 0);
        assert_int_equal(b->map.walk_rc, 0);
        /* Without xenstore data, which the reference cannot verify: the
         * bases must be valid for both. */
        const struct sm_item *xs =
            sm_record(&b->map, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0);
        if (xs) {
            uint8_t *nb = ed_splice(b->buf, &b->len, xs->offset, xs->size, NULL, 0);
            assert_non_null(nb);
            free(b->buf);
            b->buf = nb;
            sm_free(&b->map);
            assert_int_equal(sm_build(b->buf, b->len, &b->map), 0);
            assert_int_equal(b->map.walk_rc, 0);
        }
        size_t len = b->len;
        uint8_t *copy = ed_splice(b->buf, &len, 0, 0, NULL, 0);
        assert_non_null(copy);
        snprintf(name, sizeof(name), "base-%s", b->name);
        add_case(name, copy, len, format_of(b->wrap))->valid = true;
    }

    for (size_t mi = 0; mi < nr_mutations; mi++) {
        const struct mutation *m = &mutations[mi];
        unsigned applied = 0;
        for (size_t bi = 0; bi < NR_BASES && applied < BASES_PER_MUTATION; bi++) {
            if (!mutation_applies(m, &bases[bi]))
                continue;
            size_t len;
            uint8_t *buf = mutation_apply(m, &bases[bi], &len);
            if (!buf)
                continue;
            snprintf(name, sizeof(name), "%s@%s", m->name, bases[bi].name);
            struct dcase *c = add_case(name, buf, len, format_of(bases[bi].wrap));
            c->diffs = m->diff ? 1u << m->diff : 0;
            c->valid = m->valid;
            c->rule = m->rule;
            applied++;
        }
        /* A mutation that fits no base tests nothing. */
        if (applied == 0)
            fail_msg("mutation %s applies to none of the base streams", m->name);
    }
    run_and_compare();
    free_cases();
    free_bases();
}

/* Each listed difference was shown, on its own, by a stream of the tests
 * above (a generated one or a mutation), so the list stays true. */
static void test_each_difference_shown(void **state)
{
    (void)state;
    for (unsigned d = 1; d < D_COUNT; d++)
        if (!g.shown[d])
            fail_msg("difference %s was shown by no stream on its own: add a mutation or a "
                     "generated stream for it, or drop it from the list", differences[d].id);
}

/* doc/differences.md lists exactly the ids of differences.c. */
static void test_doc_lists_the_differences(void **state)
{
    (void)state;
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/doc/differences.md", tu_src_dir());
    uint8_t *doc = tu_read_file(path, &len);
    assert_non_null(doc);
    char *text = calloc(1, len + 1);
    assert_non_null(text);
    memcpy(text, doc, len);
    free(doc);

    for (unsigned d = 1; d < D_COUNT; d++) {
        char needle[96];
        snprintf(needle, sizeof(needle), "| `%s` |", differences[d].id);
        if (!strstr(text, needle))
            fail_msg("doc/differences.md has no table row for `%s`", differences[d].id);
    }
    /* And nothing else: every table row id is one of ours. */
    unsigned rows = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        char *end = strchr(line + 3, '`');
        assert_non_null(end);
        *end = '\0';
        bool known = false;
        for (unsigned d = 1; d < D_COUNT; d++)
            known |= strcmp(line + 3, differences[d].id) == 0;
        if (!known)
            fail_msg("doc/differences.md lists `%s`, which the test does not know", line + 3);
        rows++;
    }
    assert_int_equal(rows, D_COUNT - 1);
    free(text);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g.dir, sizeof(g.dir), "%s/xsr-differential-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(g.dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free_cases();
    free_bases();
    free(g.cases);
    rmdir(g.dir);
    return 0;
}

int main(void)
{
    char why[512];
    g.tools = ref_tools_dir(why, sizeof(why));
    if (!g.tools) {
        printf("skipped: Xen's reference verifier is not available: %s\n", why);
        return TEST_SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_lists_the_differences),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_each_difference_shown),
    };
    return cmocka_run_group_tests_name("differential", tests, setup, teardown);
}
