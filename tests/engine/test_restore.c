/* SPDX-License-Identifier: MIT */
/*
 * Restore of generated streams into sim domains: every guest type, stream
 * version, framing, live passes and a VERIFY pass; the memory is what the
 * generator says a receiver holds (page tables after localisation: mapping
 * the same pfns through the new machine frames), the tables pin, and the
 * vCPU state names the new frames.
 */
#include "restore_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The restored memory against the generator's final pages: data pages
 * byte-exact, tables equal once their entries are read back as pfns. */
static void check_memory(struct xsr_domain *d, const struct xsr_gen_opts *g)
{
    uint8_t want[XSR_PAGE_SIZE], got[XSR_PAGE_SIZE];
    struct xsr_error err;
    unsigned localised = 0;
    for (uint64_t pfn = 0; pfn < g->nr_pages + 64; pfn++) {
        int has = xsr_gen_final_page(g, pfn, want);
        assert_true(has >= 0);
        int type = xsr_gen_final_type(g, pfn);
        bool frame = ru_page(d, pfn, got);
        if (!has) {
            if (frame && type == XSR_PFN_XALLOC)
                for (unsigned k = 0; k < XSR_PAGE_SIZE; k++)
                    if (got[k])
                        fail_msg("pfn %#llx: XALLOC page not zero", (unsigned long long)pfn);
            continue;
        }
        if (!frame)
            fail_msg("pfn %#llx has no frame", (unsigned long long)pfn);
        if (g->dom_type == XSR_DOM_X86_PV && xsr_pfn_type_level((unsigned)type)) {
            for (unsigned k = 0; k < 512; k++) {
                uint64_t w, h;
                memcpy(&w, want + k * 8, 8);
                memcpy(&h, got + k * 8, 8);
                uint64_t mfn = (h & 0x000ffffffffff000ull) >> 12, back;
                assert_int_equal(d->ops->mfn_to_pfn(d, &mfn, 1, &back, &err), 0);
                if (!(w & 1)) {
                    /* a slot of Xen's, which pinning filled with its own frames */
                    if (w != h && !(w == 0 && (h & 1) && back == XSR_INVALID_FRAME))
                        fail_msg("pfn %#llx entry %u: %#llx restored as %#llx", (unsigned long long)pfn, k,
                                 (unsigned long long)w, (unsigned long long)h);
                    continue;
                }
                if (back != (w & 0x000ffffffffff000ull) >> 12 || (w & ~0x000ffffffffff000ull) != (h & ~0x000ffffffffff000ull))
                    fail_msg("pfn %#llx entry %u: %#llx restored as %#llx", (unsigned long long)pfn, k,
                             (unsigned long long)w, (unsigned long long)h);
            }
        } else if (memcmp(want, got, XSR_PAGE_SIZE) != 0) {
            /* PV: the P2M frame and the start info page hold the new mfns */
            if (g->dom_type != XSR_DOM_X86_PV || ++localised > 2)
                fail_msg("pfn %#llx differs", (unsigned long long)pfn);
        }
    }
}

static void one(uint32_t version, uint32_t type, unsigned width, enum xsr_layer wrap, unsigned live,
                bool verify, bool all)
{
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, version, type);
    if (type == XSR_DOM_X86_PV)
        g.guest_width = width;
    g.wrap = wrap;
    g.nr_pages = 512;
    g.nr_vcpus = 2;
    g.live_passes = live;
    g.verify_pass = verify;
    g.all_records = all;
    g.seed = 7 + version;
    size_t len;
    uint8_t *buf = tu_generate(&g, &len);
    assert_non_null(buf);
    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    struct xsr_error err;
    struct xsr_domain *d = NULL;
    const char *path = ru_path("gen.sim");
    int rc = ru_restore(buf, len, path, NULL, &res, &d, &err);
    if (rc) {
        char line[600];
        xsr_error_format(&err, line, sizeof line);
        fail_msg("v%u type %u width %u wrap %d live %u verify %d all %d: %s", version, type, width, wrap, live,
                 verify, all, line);
    }
    assert_true(exists(path));
    assert_int_equal(res.version, version);
    assert_int_equal(res.verify_mismatches, 0);
    if (verify)
        assert_true(res.verified > 0);
    if (live)
        assert_true(res.iterations > 1 && res.resent > 0);
    check_memory(d, &g);
    if (type == XSR_DOM_X86_PV) {
        /* the generator's tables map the guest but not every special page */
        assert_true(ru_check_tables(d) <= 4);
        assert_true(res.pinned > 0);
        assert_int_equal(res.vcpus, 2);
    }
    xsr_domain_close(d);
    assert_true(exists(path));
    assert_int_equal(unlink(path), 0);
    free(buf);
}

static void test_pv64(void **state)
{
    (void)state;
    for (uint32_t v = 2; v <= 4; v++)
        one(v, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC, 0, false, false);
    one(3, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, 2, true, true);
    one(3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL, 1, false, false);
}

static void test_pv32(void **state)
{
    (void)state;
    for (uint32_t v = 2; v <= 4; v++)
        one(v, XSR_DOM_X86_PV, 4, XSR_LAYER_LIBXC, 0, false, false);
    one(4, XSR_DOM_X86_PV, 4, XSR_LAYER_XL, 2, true, true);
}

static void test_hvm(void **state)
{
    (void)state;
    for (uint32_t v = 2; v <= 4; v++)
        one(v, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC, 0, false, false);
    one(3, XSR_DOM_X86_HVM, 8, XSR_LAYER_XL, 2, true, true);
    one(4, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXL, 1, false, true);
}

/* A restore from a connection reads nothing after the END: the peer keeps
 * it open and goes on with its conversation (xl's migration), which is left
 * unread for the caller. */
struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t n = write(f->fd, f->buf + off, f->len - off);
        if (n <= 0)
            return NULL;
        off += (size_t)n;
    }
    static const char more[] = "domain is yours";
    if (write(f->fd, more, sizeof more) != (ssize_t)sizeof more)
        return NULL;
    return f; /* the connection stays open */
}

static void test_stop_at_end(void **state)
{
    (void)state;
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, 3, XSR_DOM_X86_PV);
    g.wrap = XSR_LAYER_XL;
    size_t len;
    uint8_t *buf = tu_generate(&g, &len);
    assert_non_null(buf);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct feeder f = { .fd = sv[1], .buf = buf, .len = len };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
    struct xsr_error err;
    struct xsr_chan *ch = xsr_chan_fd_reader(sv[0], false, &err);
    assert_non_null(ch);
    if (ru_restore_chan(ch, ru_path("sock.sim"), NULL, NULL, NULL, &err))
        fail_msg("%s", err.message);
    void *ok = NULL;
    assert_int_equal(pthread_join(t, &ok), 0);
    assert_non_null(ok);
    char rest[32] = "";
    assert_int_equal(read(sv[0], rest, sizeof rest), 16);
    assert_string_equal(rest, "domain is yours");
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(unlink(ru_path("sock.sim")), 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv64),
        cmocka_unit_test(test_pv32),
        cmocka_unit_test(test_hvm),
        cmocka_unit_test(test_stop_at_end),
    };
    return cmocka_run_group_tests(tests, ru_setup, ru_teardown);
}
