/* SPDX-License-Identifier: MIT */
/*
 * Images saved by Xen 4.17 (../shared/fixtures): v3 -> v4 -> v3 gives back
 * the same bytes, the v4 image verifies and holds one DOMAIN_CONTEXT with the
 * image's TSC info (and, for PV, its shared info) where a v4 sender puts it;
 * v3 -> v2 -> v3 (dropping the CPUID/MSR policies) verifies.  Skipped when
 * the fixtures are absent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt_util.h"
#include "testutil.h"

static uint8_t *load(const char *name, size_t *len)
{
    char path[4200];
    const char *shared = tu_shared_dir();

    if (!shared)
        return NULL;
    snprintf(path, sizeof(path), "%s/fixtures/xen-4.17/%s", shared, name);
    return tu_read_zst(path, len);
}

static void round_trip(const char *name, bool pv)
{
    struct xsr_convert_opts o = XSR_CONVERT_OPTS_INIT;
    o.version = 4;
    struct xsr_convert_info info = XSR_CONVERT_INFO_INIT;
    struct xsr_error err;
    struct lt_list l3, l4;
    uint8_t *v3, *v4, *back, *v2;
    size_t l3_len, l4_len, back_len, v2_len;
    char msg[600];

    v3 = load(name, &l3_len);
    if (!v3) {
        print_message("skip %s: fixture not available\n", name);
        skip();
    }
    xsr_error_clear(&err);
    assert_int_equal(lt_convert_version(v3, l3_len, &o, &v4, &l4_len, &info, &err), 0);
    assert_int_equal(info.from_version, 3);
    assert_int_equal(info.contexts_folded, 1);
    assert_int_equal(info.format, XSR_LAYER_XL);
    assert_int_equal(lt_verify(v4, l4_len, false, msg, sizeof(msg)), 0);

    /* the context holds the image's TSC info and shared info */
    lt_walk(v3, l3_len, &l3);
    lt_walk(v4, l4_len, &l4);
    const struct lt_rec *tsc = lt_find(&l3, XSR_LAYER_LIBXC, XSR_REC_X86_TSC_INFO, 0);
    const struct lt_rec *dc = lt_find(&l4, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT, 0);
    assert_non_null(tsc);
    assert_non_null(dc);
    assert_int_equal(dc->offset, tsc->offset); /* where the TSC info was */
    struct xsr_domctx_parts p;
    assert_int_equal(xsr_domctx_split(dc->body, dc->length, XSR_LITTLE_ENDIAN, &p, &err), 0);
    assert_int_equal(p.xen_major, 4);
    assert_int_equal(p.xen_minor, 17);
    assert_true(p.has_tsc);
    struct xsr_tsc_info t;
    xsr_tsc_info_decode(tsc->body, XSR_LITTLE_ENDIAN, &t);
    assert_int_equal(p.tsc.khz, t.khz);
    assert_int_equal(p.tsc.nsec, t.nsec);
    assert_int_equal(p.tsc.incarnation, t.incarnation);
    assert_int_equal(p.has_shinfo, pv);
    if (pv) {
        const struct lt_rec *sh = lt_find(&l3, XSR_LAYER_LIBXC, XSR_REC_SHARED_INFO, 0);
        assert_int_equal(p.shinfo_size, 3136);
        assert_memory_equal(p.shinfo, sh->body, 3136);
    }
    assert_int_equal(lt_count(&l4, XSR_LAYER_LIBXC, XSR_REC_X86_TSC_INFO), 0);
    assert_int_equal(lt_count(&l4, XSR_LAYER_LIBXC, XSR_REC_SHARED_INFO), 0);
    lt_free(&l3);
    lt_free(&l4);

    /* and back: the bytes Xen wrote */
    o.version = 3;
    assert_int_equal(lt_convert_version(v4, l4_len, &o, &back, &back_len, &info, &err), 0);
    assert_int_equal(info.contexts_split, 1);
    assert_int_equal(back_len, l3_len);
    assert_memory_equal(back, v3, l3_len);

    /* v2 (without the policies) verifies and converts back to v3 */
    o.version = 2;
    o.allow_lossy = true;
    assert_int_equal(lt_convert_version(v3, l3_len, &o, &v2, &v2_len, &info, &err), 0);
    assert_int_equal(info.policies_dropped, 2);
    assert_int_equal(info.static_data_end_removed, 1);
    assert_int_equal(lt_verify(v2, v2_len, false, msg, sizeof(msg)), 0);
    free(back);
    o.version = 3;
    assert_int_equal(lt_convert_version(v2, v2_len, &o, &back, &back_len, &info, &err), 0);
    assert_int_equal(info.static_data_end_inserted, 1);
    assert_int_equal(lt_verify(back, back_len, false, msg, sizeof(msg)), 0);
    free(back);
    free(v2);
    free(v4);
    free(v3);
}

static void test_pv(void **state)
{
    (void)state;
    round_trip("pv1-save.xl.zst", true);
}

static void test_pvh(void **state)
{
    (void)state;
    round_trip("pvh1-save.xl.zst", false);
}

int main(void)
{
    if (!tu_shared_dir()) {
        printf("skip: the shared fixtures directory is not available\n");
        return TEST_SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv),
        cmocka_unit_test(test_pvh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
