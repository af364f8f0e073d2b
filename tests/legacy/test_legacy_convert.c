/* SPDX-License-Identifier: MIT */
/*
 * The legacy converter on generated streams: every combination of writer
 * width, guest type and width, output format and version converts to a
 * stream our checker accepts, with the records and page contents the legacy
 * stream holds; Remus checkpoints (compressed or not) keep each checkpoint's
 * pages; streaming through pipes and short reads gives the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lt_util.h"
#include "testutil.h"

struct variant {
    const char *name;
    void (*apply)(struct xsr_legacy_gen_opts *o);
};

static void v_plain(struct xsr_legacy_gen_opts *o) { (void)o; }
static void v_all(struct xsr_legacy_gen_opts *o)
{
    o->all_chunks = true;
    o->xtab = true;
    o->toolstack = true;
}
static void v_vcpus(struct xsr_legacy_gen_opts *o)
{
    o->nr_vcpus = 3;
    o->max_vcpu_id = 70;
    o->xsave_size = 848;
}
static void v_verify(struct xsr_legacy_gen_opts *o)
{
    o->verify = true;
    o->batch = 97;
}
static void v_old(struct xsr_legacy_gen_opts *o)
{
    o->extv = false;
    o->last_checkpoint = false;
    o->device_model = false;
}

static const struct variant variants[] = {
    { "plain", v_plain }, { "all", v_all }, { "vcpus", v_vcpus },
    { "verify", v_verify }, { "old", v_old },
};

static bool is_special_pfn(const struct xsr_legacy_gen_opts *o, uint64_t pfn)
{
    /* page tables (PV) and the guest's p2m frames are not pattern pages */
    if (o->guest != XSR_DOM_X86_PV)
        return false;
    uint64_t fpp = 4096 / o->guest_width, frames = (o->nr_pages - 1) / fpp + 1;
    return pfn <= 5 || pfn >= o->nr_pages - frames;
}

/* Every page of every PAGE_DATA equals what the generator sent for that pfn
 * in that checkpoint. */
static void check_pages(const struct lt_list *l, const struct xsr_legacy_gen_opts *o,
                        uint64_t *pages_out)
{
    uint8_t want[4096];
    uint64_t pages = 0;

    for (size_t i = 0; i < l->n; i++) {
        const struct lt_rec *r = &l->r[i];
        if (r->kind != XSR_EV_RECORD || r->type != XSR_REC_PAGE_DATA)
            continue;
        uint32_t count = xsr_ld32(r->body, XSR_LITTLE_ENDIAN), d = 0;
        const uint8_t *data = r->body + 8 + 8 * (size_t)count;
        assert_true(count >= 1 && count <= 1024);
        for (uint32_t k = 0; k < count; k++) {
            uint64_t w = xsr_ld64(r->body + 8 + 8 * (size_t)k, XSR_LITTLE_ENDIAN);
            unsigned t = xsr_pfn_word_type(w);
            uint64_t pfn = xsr_pfn_word_pfn(w);
            assert_true(xsr_pfn_type_valid(t));
            assert_int_equal(xsr_pfn_word_reserved(w), 0);
            assert_true(pfn < o->nr_pages);
            if (!xsr_pfn_type_has_data(t))
                continue;
            if (!is_special_pfn(o, pfn)) {
                xsr_legacy_gen_page(o->seed, pfn, r->checkpoint, want);
                if (memcmp(want, data + 4096 * (size_t)d, 4096) != 0)
                    fail_msg("pfn %#" PRIx64 " of checkpoint %u differs", pfn, r->checkpoint);
            }
            d++;
        }
        assert_int_equal(r->length, 8 + 8 * (size_t)count + 4096 * (size_t)d);
        pages += d;
    }
    *pages_out = pages;
}

static void run_one(unsigned width, uint32_t guest, unsigned gw, enum xsr_layer fmt,
                    uint32_t version, const struct variant *v)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.format = fmt;
    o.version = version;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    struct lt_list l;
    uint8_t *in, *out;
    size_t in_len, out_len;
    char msg[600];
    bool pv = guest == XSR_DOM_X86_PV;

    xsr_legacy_gen_opts_init(&g, width, guest);
    g.guest_width = gw;
    g.nr_pages = 1500;
    g.seed = width * 7 + gw + version;
    v->apply(&g);
    in = lt_gen(&g, &in_len, NULL);
    assert_non_null(in);
    xsr_error_clear(&err);
    int rc = lt_convert(in, in_len, &o, &out, &out_len, &info, &err);
    if (rc != 0)
        fail_msg("%u-bit %s gw %u %s v%u %s: %s", width, pv ? "PV" : "HVM", gw,
                 xsr_layer_name(fmt), version, v->name, err.message);
    /* what was detected */
    assert_int_equal(info.width, width);
    assert_true(info.width_detected);
    assert_int_equal(info.guest, guest);
    assert_true(info.guest_detected);
    assert_int_equal(info.version, version);
    assert_int_equal(info.format, fmt);
    assert_int_equal(info.checkpoints, 1);
    assert_int_equal(info.in_bytes, in_len);
    assert_int_equal(info.out_bytes, out_len);
    if (pv) {
        assert_int_equal(info.guest_width, gw);
        assert_int_equal(info.pt_levels, gw == 8 ? 4 : 3);
    }

    /* our checker accepts it (a bare libxc HVM stream carries the device
     * model after its END, as Xen's converter writes it: trailing data) */
    bool trailing = !pv && fmt == XSR_LAYER_LIBXC && g.device_model;
    rc = lt_verify(out, out_len, trailing, msg, sizeof(msg));
    if (rc != 0)
        fail_msg("%u-bit %s gw %u %s v%u %s: %s", width, pv ? "PV" : "HVM", gw,
                 xsr_layer_name(fmt), version, v->name, msg);

    lt_walk(out, out_len, &l);
    assert_int_equal(l.walk_rc, 0);
    uint64_t pages;
    check_pages(&l, &g, &pages);
    assert_int_equal(pages, info.data_pages);
    enum xsr_layer X = XSR_LAYER_LIBXC;
    assert_int_equal(lt_count(&l, X, XSR_REC_END), 1);
    assert_int_equal(lt_count(&l, X, XSR_REC_STATIC_DATA_END), 1);
    assert_int_equal(lt_count(&l, X, XSR_REC_CHECKPOINT), 0);
    unsigned tscs = g.all_chunks ? 2 : 1;
    if (version == 3) {
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_TSC_INFO), tscs);
        assert_int_equal(lt_count(&l, X, XSR_REC_DOMAIN_CONTEXT), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_SHARED_INFO), pv ? 1 : 0);
    } else {
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_TSC_INFO), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_SHARED_INFO), 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_DOMAIN_CONTEXT), 1);
    }
    if (pv) {
        unsigned vcpus = g.nr_vcpus;
        assert_int_equal(info.vcpus, vcpus);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_PV_INFO), 1);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_PV_P2M_FRAMES), 1);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_PV_VCPU_BASIC), vcpus);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_PV_VCPU_EXTENDED), g.extv ? vcpus : 0);
        assert_int_equal(lt_count(&l, X, XSR_REC_X86_PV_VCPU_XSAVE), g.xsave_size ? vcpus : 0);
        const struct lt_rec *b = lt_find(&l, X, XSR_REC_X86_PV_VCPU_BASIC, 0);
        assert_int_equal(b->length, 8 + (gw == 8 ? 5168 : 2800));
        /* v4: the DOMAIN_CONTEXT comes before the first vCPU record */
        if (version == 4)
            assert_true(lt_find(&l, X, XSR_REC_DOMAIN_CONTEXT, 0)->offset < b->offset);
        /* the online vCPU ids, in order */
        for (unsigned k = 0; k < vcpus; k++)
            assert_int_equal(xsr_ld32(lt_find(&l, X, XSR_REC_X86_PV_VCPU_BASIC, k)->body,
                                      XSR_LITTLE_ENDIAN), k);
    } else {
        assert_int_equal(lt_count(&l, X, XSR_REC_HVM_CONTEXT), 1);
        assert_int_equal(lt_count(&l, X, XSR_REC_HVM_PARAMS), 2);
        assert_int_equal(info.hvm_params, g.all_chunks ? 3 + 12 : 3 + 4);
        if (version == 4)
            assert_true(lt_find(&l, X, XSR_REC_DOMAIN_CONTEXT, 0)->offset <
                        lt_find(&l, X, XSR_REC_HVM_PARAMS, 0)->offset);
    }
    if (fmt == XSR_LAYER_LIBXL) {
        assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT),
                         !pv && g.device_model ? 1 : 0);
        assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA),
                         !pv && g.toolstack ? 1 : 0);
        assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_END), 1);
    }
    lt_free(&l);
    free(in);
    free(out);
}

static void test_matrix(void **state)
{
    (void)state;
    for (unsigned width = 32; width <= 64; width += 32)
        for (int pv = 0; pv <= 1; pv++)
            for (unsigned gw = 4; gw <= 8; gw += 4) {
                if (!pv && gw == 4)
                    continue;
                for (int f = 0; f < 2; f++)
                    for (uint32_t ver = 3; ver <= 4; ver++)
                        for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
                            run_one(width, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM, gw,
                                    f ? XSR_LAYER_LIBXL : XSR_LAYER_LIBXC, ver, &variants[v]);
            }
}

/* Direct conversion to v4 = conversion to v3, then v3 -> v4. */
static void test_v4_is_v3_folded(void **state)
{
    (void)state;
    for (int pv = 0; pv <= 1; pv++)
        for (unsigned cps = 1; cps <= 3; cps += 2)
            for (int gw = 4; gw <= 8; gw += 4) {
                struct xsr_legacy_gen_opts g;
                struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
                o.format = XSR_LAYER_LIBXL;
                o.version = 3;
                struct xsr_convert_opts co = XSR_CONVERT_OPTS_INIT;
                co.version = 4;
                struct xsr_error err;
                uint8_t *in, *v3, *v4, *v3v4;
                size_t in_len, l3, l4, l34;
                xsr_legacy_gen_opts_init(&g, 64, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
                g.guest_width = (unsigned)gw;
                g.checkpoints = cps;
                g.last_checkpoint = cps == 1;
                g.all_chunks = true;
                in = lt_gen(&g, &in_len, NULL);
                xsr_error_clear(&err);
                assert_int_equal(lt_convert(in, in_len, &o, &v3, &l3, NULL, &err), 0);
                o.version = 4;
                assert_int_equal(lt_convert(in, in_len, &o, &v4, &l4, NULL, &err), 0);
                assert_int_equal(lt_convert_version(v3, l3, &co, &v3v4, &l34, NULL, &err), 0);
                assert_int_equal(l4, l34);
                assert_memory_equal(v4, v3v4, l4);
                free(in);
                free(v3);
                free(v4);
                free(v3v4);
            }
}

static void check_remus(uint32_t guest, bool compress, uint32_t version)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    o.version = version;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    struct lt_list l;
    uint8_t *in, *out;
    size_t in_len, out_len;
    char msg[600];

    xsr_legacy_gen_opts_init(&g, 64, guest);
    g.checkpoints = 4;
    g.compress = compress;
    g.last_checkpoint = false;
    g.nr_pages = 3000;
    g.batch = 333;
    g.xtab = true;
    g.toolstack = true;
    in = lt_gen(&g, &in_len, NULL);
    xsr_error_clear(&err);
    if (lt_convert(in, in_len, &o, &out, &out_len, &info, &err) != 0)
        fail_msg("remus: %s", err.message);
    assert_int_equal(info.checkpoints, 4);
    assert_int_equal(info.compressed, compress);
    if (compress)
        assert_true(info.compressed_pages > 0);
    assert_int_equal(lt_verify(out, out_len, false, msg, sizeof(msg)), 0);
    lt_walk(out, out_len, &l);
    assert_int_equal(l.walk_rc, 0);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_CHECKPOINT), 4);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_END), 1);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_CHECKPOINT_END), 4);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_END), 1);
    if (version == 4)
        assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT), 4);
    if (guest == XSR_DOM_X86_HVM)
        assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT), 4);
    uint64_t pages;
    check_pages(&l, &g, &pages);
    assert_int_equal(pages, info.data_pages);
    lt_free(&l);
    free(in);
    free(out);
}

static void test_remus(void **state)
{
    (void)state;
    for (int pv = 0; pv <= 1; pv++)
        for (int z = 0; z <= 1; z++)
            for (uint32_t v = 3; v <= 4; v++)
                check_remus(pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM, z, v);
}

/* A small delta cache cannot hold what the sender's held: the conversion
 * fails cleanly instead of writing wrong pages. */
static void test_remus_small_cache(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    o.delta_cache = 16;
    struct xsr_error err;
    uint8_t *in, *out;
    size_t in_len, out_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_HVM);
    g.checkpoints = 3;
    g.compress = true;
    g.last_checkpoint = false;
    g.nr_pages = 2000;
    in = lt_gen(&g, &in_len, NULL);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, NULL, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "previous copy"));
    assert_int_equal(err.layer, XSR_LAYER_LEGACY);
    assert_true(err.offset < in_len);
    free(in);
    free(out);
}

/* ------------------------------------------------------------ streaming */

struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t done = 0;
    while (done < f->len) {
        size_t n = f->len - done < 65536 ? f->len - done : 65536;
        ssize_t w = write(f->fd, f->buf + done, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

static void test_pipe_and_short_reads(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    struct xsr_error err;
    uint8_t *in, *ref;
    size_t in_len, ref_len;
    (void)state;

    for (int pv = 0; pv <= 1; pv++) {
        xsr_legacy_gen_opts_init(&g, pv ? 32 : 64, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
        g.xl_header = true;
        g.all_chunks = true;
        g.toolstack = true;
        g.xtab = true;
        g.checkpoints = 2;
        g.compress = true;
        g.last_checkpoint = false;
        in = lt_gen(&g, &in_len, NULL);
        xsr_error_clear(&err);
        assert_int_equal(lt_convert(in, in_len, &o, &ref, &ref_len, NULL, &err), 0);

        /* through a pipe (no views, no size) */
        int fds[2];
        pthread_t t;
        assert_int_equal(pipe(fds), 0);
        struct feeder f = { fds[1], in, in_len };
        assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
        struct xsr_chan *ic = xsr_chan_fd_reader(fds[0], true, &err);
        struct xsr_chan *oc = xsr_chan_mem_writer(&err);
        assert_int_equal(xsr_convert_legacy(ic, oc, &o, NULL, &err), 0);
        pthread_join(t, NULL);
        size_t n;
        const uint8_t *d = xsr_chan_mem_data(oc, &n);
        assert_int_equal(n, ref_len);
        assert_memory_equal(d, ref, n);
        xsr_chan_close(ic, NULL);
        xsr_chan_close(oc, NULL);

        /* reads of at most 7 bytes, EINTR every third call */
        struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 7, .eintr_every = 3, .fail_after = UINT64_MAX };
        ic = xsr_chan_fault(xsr_chan_mem_reader(in, in_len, &err), &spec, &err);
        oc = xsr_chan_mem_writer(&err);
        assert_non_null(ic);
        assert_int_equal(xsr_convert_legacy(ic, oc, &o, NULL, &err), 0);
        d = xsr_chan_mem_data(oc, &n);
        assert_int_equal(n, ref_len);
        assert_memory_equal(d, ref, n);
        xsr_chan_close(ic, NULL);
        xsr_chan_close(oc, NULL);
        free(in);
        free(ref);
    }
}

/* ------------------------------------------------------------- details */

static void test_xl_header(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    uint8_t *in, *out, *plain, *plain_out;
    size_t in_len, out_len, plain_len, plain_out_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_HVM);
    g.xl_header = true;
    in = lt_gen(&g, &in_len, NULL);
    g.xl_header = false;
    plain = lt_gen(&g, &plain_len, NULL);
    size_t hdr_len = in_len - plain_len;
    assert_memory_equal(in + hdr_len, plain, plain_len);

    /* default: libxl output behind the same header, STREAMv2 now set */
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_true(info.xl_header);
    assert_false(info.xl_header_dropped);
    assert_int_equal(info.format, XSR_LAYER_LIBXL);
    struct xsr_xl_hdr h;
    assert_int_equal(xsr_xl_hdr_decode(out, &h, &err), 0);
    assert_int_equal(h.mandatory_flags, XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2);
    assert_memory_equal(out + 48, in + 48, hdr_len - 48); /* the configuration */
    assert_memory_equal(out, in, 36);
    o.format = XSR_LAYER_LIBXL;
    assert_int_equal(lt_convert(plain, plain_len, &o, &plain_out, &plain_out_len, NULL, &err), 0);
    assert_int_equal(out_len, hdr_len + plain_out_len);
    assert_memory_equal(out + hdr_len, plain_out, plain_out_len);
    free(out);
    free(plain_out);

    /* libxc output cannot carry it: left out */
    o.format = XSR_LAYER_LIBXC;
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_true(info.xl_header_dropped);
    assert_int_equal(lt_convert(plain, plain_len, &o, &plain_out, &plain_out_len, NULL, &err), 0);
    assert_int_equal(out_len, plain_out_len);
    assert_memory_equal(out, plain_out, out_len);
    free(out);
    free(plain_out);

    /* told there is none: the header is read as a legacy stream and fails */
    o.xl = XSR_LEGACY_XL_ABSENT;
    assert_int_not_equal(lt_convert(in, in_len, &o, &out, &out_len, NULL, &err), 0);
    free(out);
    /* told there is one where there is none */
    o.xl = XSR_LEGACY_XL_PRESENT;
    assert_int_equal(lt_convert(plain, plain_len, &o, &out, &out_len, NULL, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "no xl header"));
    free(out);
    free(in);
    free(plain);
}

static void test_overrides(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.width = 64;
    o.guest = XSR_DOM_X86_PV;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    uint8_t *in, *out;
    size_t in_len, out_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    in = lt_gen(&g, &in_len, NULL);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_false(info.width_detected);
    assert_false(info.guest_detected);
    free(out);
    /* the wrong guest type: the HVM reading of a PV stream fails */
    o.guest = XSR_DOM_X86_HVM;
    assert_true(lt_convert(in, in_len, &o, &out, &out_len, &info, &err) < 0);
    free(out);
    free(in);
}

static void test_old_streams(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    struct lt_list l;
    uint8_t *in, *out;
    size_t in_len, out_len;
    (void)state;

    /* no vcpu_info chunk: vCPU 0 only, as Xen's legacy restore read it */
    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    g.no_vcpu_info = true;
    in = lt_gen(&g, &in_len, NULL);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_int_equal(info.vcpus, 1);
    lt_walk(out, out_len, &l);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_BASIC), 1);
    lt_free(&l);
    free(in);
    free(out);

    /* a batch of fillers only writes no (empty) record */
    xsr_legacy_gen_opts_init(&g, 32, XSR_DOM_X86_HVM);
    g.filler_batch = true;
    in = lt_gen(&g, &in_len, NULL);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_int_equal(info.empty_batches, 1);
    assert_int_equal(info.xtab_dropped, 3);
    assert_int_equal(info.batches, 2);
    lt_walk(out, out_len, &l);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_PAGE_DATA), 1);
    lt_free(&l);
    free(in);
    free(out);

    /* PV physmap keys would make libxl refuse the stream: left out */
    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    g.toolstack = true;
    g.toolstack_pv_entries = true;
    in = lt_gen(&g, &in_len, NULL);
    o.format = XSR_LAYER_LIBXL;
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, &info, &err), 0);
    assert_int_equal(info.physmap_dropped, 2);
    lt_walk(out, out_len, &l);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA), 0);
    lt_free(&l);
    free(in);
    free(out);
}

static void test_empty_xsave(void **state)
{
    /* An "xcnt" of 16: each vCPU's xsave state is its 16-byte header and no
     * data.  Xen's converter writes an X86_PV_VCPU_XSAVE record holding the
     * vCPU id only; so do we, in version 3 and (held back until the shared
     * info) version 4. */
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct xsr_convert_opts co = XSR_CONVERT_OPTS_INIT;
    co.version = 4;
    struct lt_marks *m = calloc(1, sizeof(*m));
    struct xsr_error err;
    struct lt_list l;
    uint8_t *in, *v3, *v4, *v3v4;
    size_t in_len, l3, l4, l34;
    (void)state;

    assert_non_null(m);
    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    g.xsave_size = 8;
    g.nr_vcpus = 2;
    in = lt_gen(&g, &in_len, m);
    xsr_st32(in + lt_mark(m, "ext_xcnt", 0) + 8, 16, XSR_LITTLE_ENDIAN);
    for (unsigned v = 2; v-- > 0;) {
        uint64_t x = lt_mark(m, "vcpu_xsave", v);
        xsr_st64(in + x + 8, 0, XSR_LITTLE_ENDIAN);
        memmove(in + x + 16, in + x + 24, in_len - x - 24);
        in_len -= 8;
    }
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &v3, &l3, NULL, &err), 0);
    lt_walk(v3, l3, &l);
    assert_int_equal(lt_count(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_XSAVE), 2);
    assert_int_equal(lt_find(&l, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_XSAVE, 1)->length, 8);
    lt_free(&l);
    o.version = 4;
    assert_int_equal(lt_convert(in, in_len, &o, &v4, &l4, NULL, &err), 0);
    assert_int_equal(lt_convert_version(v3, l3, &co, &v3v4, &l34, NULL, &err), 0);
    assert_int_equal(l4, l34);
    assert_memory_equal(v4, v3v4, l4);
    free(in);
    free(v3);
    free(v4);
    free(v3v4);
    free(m);
}

static void test_trailing_after_last(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    uint8_t *in, *out, *ref;
    size_t in_len, out_len, ref_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_PV);
    in = lt_gen(&g, &in_len, NULL);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &ref, &ref_len, NULL, &err), 0);
    in = realloc(in, in_len + 1000);
    memset(in + in_len, 0xa5, 1000);
    assert_int_equal(lt_convert(in, in_len + 1000, &o, &out, &out_len, &info, &err), 0);
    assert_int_equal(info.trailing_bytes, 1000);
    assert_int_equal(out_len, ref_len);
    assert_memory_equal(out, ref, ref_len);
    free(in);
    free(out);
    free(ref);
}

/* The device model to the end of the stream (QemuDeviceModelRecord) and the
 * Remus signature convert like the length-prefixed record. */
static void test_device_model_signatures(void **state)
{
    static struct lt_marks m;
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.format = XSR_LAYER_LIBXL;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    struct lt_list l;
    uint8_t *in, *out, *ref;
    size_t in_len, out_len, ref_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_HVM);
    g.dm_size = 10000;
    in = lt_gen(&g, &in_len, &m);
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &ref, &ref_len, NULL, &err), 0);
    uint64_t dm = lt_mark(&m, "device_model", 0);
    assert_int_equal(dm + 21 + 4 + 10000, in_len);

    memcpy(in + dm, XSR_LEGACY_DM_SIG_REMUS, 21);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, NULL, &err), 0);
    assert_int_equal(out_len, ref_len);
    assert_memory_equal(out, ref, ref_len);
    free(out);

    /* the old record: no length, data up to the end */
    memcpy(in + dm, XSR_LEGACY_DM_SIG_QEMU, 21);
    memmove(in + dm + 21, in + dm + 25, 10000);
    assert_int_equal(lt_convert(in, in_len - 4, &o, &out, &out_len, &info, &err), 0);
    assert_int_equal(info.device_model_bytes, 10000);
    assert_int_equal(out_len, ref_len);
    assert_memory_equal(out, ref, ref_len);
    lt_walk(out, out_len, &l);
    const struct lt_rec *e = lt_find(&l, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT, 0);
    assert_non_null(e);
    assert_int_equal(e->length, 8 + 10000);
    assert_memory_equal(e->body + 8, "QEVM", 4);
    lt_free(&l);
    free(out);
    free(ref);
    free(in);
}

struct progress_log {
    uint64_t last;
    int64_t total;
    unsigned calls;
    bool monotonic;
};

static void on_progress(void *ctx, const struct xsr_progress *r)
{
    struct progress_log *p = ctx;
    if (r->bytes < p->last || r->phase != XSR_PHASE_READ)
        p->monotonic = false;
    p->last = r->bytes;
    p->total = (int64_t)r->total_bytes;
    p->calls++;
}

/* Progress is reported as the input is consumed, last with all of it. */
static void test_progress(void **state)
{
    struct xsr_legacy_gen_opts g;
    struct xsr_legacy_opts o = XSR_LEGACY_OPTS_INIT;
    o.progress = on_progress;
    struct progress_log p = { 0, 0, 0, true };
    struct xsr_error err;
    uint8_t *in, *out;
    size_t in_len, out_len;
    (void)state;

    xsr_legacy_gen_opts_init(&g, 64, XSR_DOM_X86_HVM);
    g.nr_pages = 12000; /* 47 MiB: a few 16 MiB steps */
    in = lt_gen(&g, &in_len, NULL);
    o.progress_ctx = &p;
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(in, in_len, &o, &out, &out_len, NULL, &err), 0);
    assert_true(p.calls >= 3);
    assert_true(p.monotonic);
    assert_int_equal(p.last, in_len);
    assert_int_equal(p.total, (int64_t)in_len);
    free(in);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_v4_is_v3_folded),
        cmocka_unit_test(test_remus),
        cmocka_unit_test(test_remus_small_cache),
        cmocka_unit_test(test_pipe_and_short_reads),
        cmocka_unit_test(test_xl_header),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_old_streams),
        cmocka_unit_test(test_empty_xsave),
        cmocka_unit_test(test_trailing_after_last),
        cmocka_unit_test(test_device_model_signatures),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
