/* SPDX-License-Identifier: MIT */
/*
 * Differential test against Xen's convert-legacy-stream: over many
 * generated legacy streams (both widths, both guest types, 32- and 64-bit
 * PV guests, every chunk type, xl header, device model, libxc and libxl
 * output) our version 3 output is byte for byte Xen's, after removing what
 * Xen's converter writes wrongly (doc/xsr-convert-legacy.1); and the output
 * passes our checker and Xen's verify-stream-v2.
 *
 * Needs Xen's reference tools: XSR_XEN_TOOLS names their bin directory
 * (scripts/test sets it up with ../shared/tools/xen-reference-tools).
 * Without them the test is skipped (exit 77).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lt_util.h"
#include "testutil.h"

static const char *tools;
static char *dir;

struct ccase {
    struct xsr_legacy_gen_opts g;
    enum xsr_layer fmt;
};

/* Parameters of case n, varied deterministically. */
static void make_case(unsigned n, struct ccase *c)
{
    uint64_t h = n * 0x9e3779b97f4a7c15ULL;
    unsigned width = (n & 1) ? 32 : 64;
    bool pv = (n >> 1) & 1;

    xsr_legacy_gen_opts_init(&c->g, width, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
    c->fmt = (n >> 2) & 1 ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC;
    c->g.seed = n;
    c->g.nr_pages = 64 + (h >> 8) % 700;
    c->g.batch = 1 + (unsigned)((h >> 20) % 1024);
    c->g.guest_width = pv && ((n >> 3) & 1) ? 4 : 8;
    c->g.all_chunks = (n >> 4) & 1;
    c->g.xtab = (n >> 5) & 1;
    c->g.toolstack = (n % 3) == 0;
    c->g.nr_vcpus = 1 + (unsigned)((h >> 30) % 4);
    c->g.max_vcpu_id = c->g.nr_vcpus - 1 + (unsigned)((h >> 34) % 3) * 60;
    c->g.xsave_size = (n % 5) == 1 ? 832 + 64 * (n % 4) : 0;
    c->g.extv = (n % 7) != 3;
    c->g.verify = (n % 11) == 4;
    c->g.last_checkpoint = (n % 6) != 5;
    c->g.dm_size = 1 + (unsigned)((h >> 40) % 30000);
    /* Xen's converter needs the device model of an HVM guest, but for a
     * libxc stream with --skip-qemu */
    c->g.device_model = !pv && (c->fmt == XSR_LAYER_LIBXL || (n % 4) != 2);
    c->g.xl_header = (n % 9) == 2;
    /* the inputs where xsr differs on purpose */
    c->g.filler_batch = (n % 13) == 7;
    c->g.toolstack_pv_entries = pv && c->g.toolstack && (n % 2) == 0;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Xen's output without the records xsr leaves out on purpose. */
static uint8_t *expected(const uint8_t *xen, size_t len, bool pv, size_t *out_len,
                         unsigned *removed)
{
    struct lt_list l;
    uint8_t *out = malloc(len + 1);
    size_t n = 0, from = 0;

    lt_walk(xen, len, &l);
    assert_true(l.walk_rc >= 0);
    *removed = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct lt_rec *r = &l.r[i];
        bool empty_pages = r->kind == XSR_EV_RECORD && r->type == XSR_REC_PAGE_DATA &&
                           r->length == 8 && xsr_ld32(r->body, XSR_LITTLE_ENDIAN) == 0;
        bool pv_xenstore = pv && r->kind == XSR_EV_LIBXL_RECORD &&
                           r->type == XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA;
        if (!empty_pages && !pv_xenstore)
            continue;
        memcpy(out + n, xen + from, r->offset - from);
        n += r->offset - from;
        from = r->offset + 8 + xsr_rec_padded(r->length);
        (*removed)++;
    }
    memcpy(out + n, xen + from, len - from);
    n += len - from;
    lt_free(&l);
    *out_len = n;
    return out;
}

static void run_case(unsigned n)
{
    struct ccase c;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    char in_path[4200], xen_path[4200], ours_path[4200], cmd[13000], msg[600];
    uint8_t *in, *ours, *xen, *want;
    size_t in_len, ours_len, xen_len, want_len, hdr_len = 0;
    unsigned removed;
    bool pv;

    make_case(n, &c);
    pv = c.g.guest == XSR_DOM_X86_PV;
    in = lt_gen(&c.g, &in_len, NULL);
    assert_non_null(in);
    o = (struct xsr_legacy_opts)XSR_LEGACY_OPTS_INIT;
    o.format = c.fmt;
    xsr_error_clear(&err);
    if (lt_convert(in, in_len, &o, &ours, &ours_len, &info, &err) != 0)
        fail_msg("case %u: %s", n, err.message);

    /* Xen's converter: its -x never works under Python 3, so an xl header is
     * stripped here and put back, as xsr writes it, in front of its output. */
    if (c.g.xl_header)
        hdr_len = 48 + xsr_ld32(in + 44, XSR_LITTLE_ENDIAN);
    snprintf(in_path, sizeof(in_path), "%s/in-%u", dir, n);
    snprintf(xen_path, sizeof(xen_path), "%s/xen-%u", dir, n);
    snprintf(ours_path, sizeof(ours_path), "%s/ours-%u", dir, n);
    assert_int_equal(tu_write_file(in_path, in + hdr_len, in_len - hdr_len), 0);
    snprintf(cmd, sizeof(cmd), "'%s/convert-legacy-stream' -i '%s' -o '%s' -w %u -g %s -f %s %s"
             ">'%s/log' 2>&1", tools, in_path, xen_path, c.g.width, pv ? "pv" : "hvm",
             c.fmt == XSR_LAYER_LIBXL ? "libxl" : "libxc",
             !pv && !c.g.device_model ? "--skip-qemu " : "", dir);
    if (run(cmd) != 0) {
        snprintf(cmd, sizeof(cmd), "cat '%s/log' >&2", dir);
        run(cmd);
        fail_msg("case %u: Xen's converter failed", n);
    }
    xen = tu_read_file(xen_path, &xen_len);
    assert_non_null(xen);
    want = expected(xen, xen_len, pv, &want_len, &removed);
    assert_int_equal(removed, info.empty_batches + (pv && info.physmap_dropped &&
                                                     c.fmt == XSR_LAYER_LIBXL ? 1 : 0));
    if (hdr_len) {
        uint8_t *w = malloc(hdr_len + want_len);
        memcpy(w, in, hdr_len);
        if (c.fmt == XSR_LAYER_LIBXL)
            xsr_st32(w + 36, xsr_ld32(in + 36, XSR_LITTLE_ENDIAN) | XSR_XL_FLAG_STREAMV2,
                     XSR_LITTLE_ENDIAN);
        else
            hdr_len = 0; /* a libxc stream leaves it out */
        memcpy(w + hdr_len, want, want_len);
        free(want);
        want = w;
        want_len += hdr_len;
    }
    if (ours_len != want_len || memcmp(ours, want, ours_len) != 0) {
        size_t i = 0;
        while (i < ours_len && i < want_len && ours[i] == want[i])
            i++;
        fail_msg("case %u (%u-bit %s, %s): %zu bytes vs Xen's %zu, first difference at %zu", n,
                 c.g.width, pv ? "PV" : "HVM", xsr_layer_name(c.fmt), ours_len, want_len, i);
    }

    /* Our checker accepts it (a bare libxc HVM stream with the device model
     * after its END has trailing data: lenient). */
    bool trailing = !pv && c.fmt == XSR_LAYER_LIBXC && info.device_model;
    if (lt_verify(ours, ours_len, trailing, msg, sizeof(msg)) != 0)
        fail_msg("case %u: our checker: %s", n, msg);

    /* So does Xen's verifier, but for its Python 3 bug: any non-empty
     * EMULATOR_XENSTORE_DATA is "not NUL terminated". */
    assert_int_equal(tu_write_file(ours_path, ours, ours_len), 0);
    const char *fmt = hdr_len ? "xl" : c.fmt == XSR_LAYER_LIBXL ? "libxl" : "libxc";
    snprintf(cmd, sizeof(cmd), "'%s/verify-stream-v2' -f %s -i '%s' >'%s/vlog' 2>&1", tools, fmt,
             ours_path, dir);
    int vrc = run(cmd);
    bool xenstore = !pv && c.fmt == XSR_LAYER_LIBXL && c.g.toolstack;
    if (xenstore) {
        snprintf(cmd, sizeof(cmd), "grep -q 'Data not NUL terminated' '%s/vlog'", dir);
        assert_int_not_equal(vrc, 0);
        assert_int_equal(run(cmd), 0);
    } else if (vrc != 0) {
        snprintf(cmd, sizeof(cmd), "tail -n 5 '%s/vlog' >&2", dir);
        run(cmd);
        fail_msg("case %u: Xen's verifier rejects our output", n);
    }

    /* Version 4 of the same passes our checker. */
    free(ours);
    o.version = 4;
    if (lt_convert(in, in_len, &o, &ours, &ours_len, NULL, &err) != 0)
        fail_msg("case %u v4: %s", n, err.message);
    if (lt_verify(ours, ours_len, trailing, msg, sizeof(msg)) != 0)
        fail_msg("case %u v4: our checker: %s", n, msg);

    unlink(in_path);
    unlink(xen_path);
    unlink(ours_path);
    free(in);
    free(ours);
    free(xen);
    free(want);
}

static void test_differential(void **state)
{
    unsigned cases = 160;
    const char *env = getenv("XSR_LEGACY_CASES");
    (void)state;

    if (env && *env)
        cases = (unsigned)atoi(env);
    for (unsigned n = 0; n < cases; n++)
        run_case(n);
    printf("%u generated legacy streams converted byte-identically to Xen's converter\n", cases);
}

int main(void)
{
    char probe[4200];
    int rc;

    tools = getenv("XSR_XEN_TOOLS");
    if (!tools || !*tools) {
        printf("skip: XSR_XEN_TOOLS is not set (Xen's reference tools are unavailable)\n");
        return TEST_SKIP_EXIT;
    }
    snprintf(probe, sizeof(probe), "'%s/convert-legacy-stream' --help >/dev/null 2>&1", tools);
    if (run(probe) != 0) {
        printf("skip: %s/convert-legacy-stream does not run\n", tools);
        return TEST_SKIP_EXIT;
    }
    dir = lt_tmpdir();
    if (!dir)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    lt_rmdir(dir);
    free(dir);
    return rc;
}
