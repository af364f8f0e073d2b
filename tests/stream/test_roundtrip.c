/* SPDX-License-Identifier: MIT */
/* Walker events written back with xsr_writer_event reproduce the input byte for byte,
 * whatever channel the input came through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sample.h"

static void roundtrip(void (*make)(struct sample *), bool dirty_padding)
{
    struct sample s;
    make(&s);
    if (dirty_padding) {
        /* non-zero padding must come back as it was */
        for (size_t i = 0; i < s.nev; i++) {
            const struct exp_ev *e = &s.ev[i];
            if (e->kind != XSR_EV_RECORD && e->kind != XSR_EV_LIBXL_RECORD)
                continue;
            for (uint32_t j = 0; j < xsr_rec_pad(e->length); j++)
                s.buf[e->offset + 8 + e->length + j] = (uint8_t)(0xa0 + j);
        }
    }
    for (enum chan_kind k = 0; k < CK_COUNT; k++) {
        struct xsr_chan *ch = chan_over(k, s.buf, s.len);
        struct xsr_walker *w = xsr_walker_new(ch, NULL, NULL);
        struct xsr_chan *out = xsr_chan_mem_writer(NULL);
        struct xsr_writer *wr = xsr_writer_new(out, 256, NULL);
        struct xsr_event ev;
        struct xsr_error err;
        int rc;
        while ((rc = xsr_walker_next(w, &ev, &err)) == 1)
            assert_int_equal(xsr_writer_event(wr, &ev, &err), 0);
        if (rc != 0)
            fail_msg("%s: %s", chan_kind_name(k), err.message);
        assert_int_equal(xsr_writer_free(wr, &err), 0);
        size_t len;
        const uint8_t *d = xsr_chan_mem_data(out, &len);
        assert_int_equal(len, s.len);
        if (memcmp(d, s.buf, len) != 0)
            fail_msg("%s: output differs from the input", chan_kind_name(k));
        xsr_chan_close(out, NULL);
        xsr_walker_free(w);
        chan_done(ch);
    }
    sample_free(&s);
}

static void test_xl_libxl_libxc(void **state)
{
    (void)state;
    roundtrip(sample_xl_libxl_libxc, false);
    roundtrip(sample_xl_libxl_libxc, true);
}

static void test_bare_libxc_be(void **state)
{
    (void)state;
    roundtrip(sample_bare_libxc_be, true);
}

static void test_bare_libxl(void **state)
{
    (void)state;
    roundtrip(sample_bare_libxl, true);
}

static void test_checkpointed(void **state)
{
    (void)state;
    roundtrip(sample_checkpointed, false);
    roundtrip(sample_libxc_checkpoints, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xl_libxl_libxc),
        cmocka_unit_test(test_bare_libxc_be),
        cmocka_unit_test(test_bare_libxl),
        cmocka_unit_test(test_checkpointed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
