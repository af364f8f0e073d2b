/* SPDX-License-Identifier: MIT */
/*
 * The legacy stream generator: layout of what it writes for both widths and
 * guest types, every chunk type, the xl header and the device model, read
 * back with an independent parser written from the format description; and
 * detection of the writer's width and guest type.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt_util.h"
#include "testutil.h"

/* ----------------------------------------- an independent legacy reader */

struct rd {
    const uint8_t *b;
    size_t len, pos;
    unsigned ul;
};

static uint64_t take(struct rd *r, size_t n)
{
    uint64_t v = 0;
    assert_true(r->pos + n <= r->len);
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)r->b[r->pos + i] << (8 * i);
    r->pos += n;
    return v;
}

struct seen {
    unsigned chunks[32];     /* by -id */
    uint64_t batches, entries, pages, fillers;
    unsigned vcpus, images;
    bool extv, xcnt, xl, dm;
    uint32_t xsave;
};

/* Parse a generated stream following seed 003 / format.md section 4. */
static void parse(const uint8_t *b, size_t len, unsigned width, bool pv, struct seen *s)
{
    struct rd r = { b, len, 0, width / 8 };
    uint32_t basic = 0;

    memset(s, 0, sizeof(*s));
    if (len >= 32 && memcmp(b, xsr_xl_magic, 32) == 0) {
        s->xl = true;
        r.pos = 44;
        r.pos = 48 + (size_t)take(&r, 4);
    }
    uint64_t p2m = take(&r, r.ul);
    assert_true(p2m > 0);
    if (pv) {
        assert_int_equal(take(&r, r.ul), r.ul == 8 ? UINT64_MAX : UINT32_MAX);
        uint32_t total = (uint32_t)take(&r, 4), done = 0;
        while (done < total) {
            char id[5] = { 0 };
            memcpy(id, b + r.pos, 4);
            r.pos += 4;
            uint32_t size = (uint32_t)take(&r, 4);
            if (strcmp(id, "vcpu") == 0)
                basic = size;
            else if (strcmp(id, "extv") == 0)
                s->extv = true;
            else if (strcmp(id, "xcnt") == 0) {
                s->xcnt = true;
                s->xsave = xsr_ld32(b + r.pos, XSR_LITTLE_ENDIAN) - 16;
            } else
                fail_msg("unknown block %s", id);
            r.pos += size;
            done += 8 + size;
        }
        assert_true(basic == 0x1430 || basic == 0xaf0);
        unsigned gw = basic == 0x1430 ? 8 : 4;
        r.pos += ((p2m - 1) / (4096 / gw) + 1) * r.ul;
    }
    bool compressing = false, last = false, enable = false;
    for (;;) {
        uint64_t max_id = 0, map[64] = { 1 };
        bool vinfo = false;
        s->images++;
        for (;;) {
            int32_t c = (int32_t)take(&r, 4);
            if (c > 0) {
                unsigned data = 0;
                s->batches++;
                for (int32_t i = 0; i < c; i++) {
                    uint32_t w = (uint32_t)take(&r, r.ul);
                    s->entries++;
                    if (w == 0xf0000000u)
                        s->fillers++;
                    else if (w >> 28 < 0xd)
                        data++;
                }
                s->pages += data;
                if (!compressing)
                    r.pos += (size_t)data * 4096;
                continue;
            }
            assert_true(c >= -20);
            s->chunks[-c]++;
            if (c == 0)
                break;
            switch (c) {
            case -2:
                vinfo = true;
                max_id = take(&r, 4);
                for (uint64_t i = 0; i <= max_id / 64; i++)
                    map[i] = take(&r, 8);
                break;
            case -7: r.pos += 20; break;
            case -9: last = true; break;
            case -12: r.pos += (size_t)take(&r, r.ul); break;
            case -13: enable = true; break;
            case -18: r.pos += (size_t)take(&r, 4); break;
            case -1: break;
            default: r.pos += 12; break; /* HVM parameters */
            }
        }
        if (pv) {
            r.pos += (size_t)take(&r, 4) * r.ul;
            s->vcpus = 0;
            for (uint64_t v = 0; v <= (vinfo ? max_id : 0); v++) {
                if (!(map[v / 64] >> (v % 64) & 1))
                    continue;
                s->vcpus++;
                r.pos += basic + (s->extv ? 128 : 0);
                if (s->xcnt) {
                    take(&r, 8);
                    assert_int_equal(take(&r, 8), s->xsave);
                    r.pos += s->xsave;
                }
            }
            r.pos += 4096;
        } else {
            r.pos += 24;
            r.pos += (size_t)take(&r, 4);
            if (r.pos + 21 <= len && (memcmp(b + r.pos, "DeviceModelRecord0002", 21) == 0 ||
                                      memcmp(b + r.pos, "RemusDeviceModelState", 21) == 0)) {
                s->dm = true;
                r.pos += 21;
                r.pos += (size_t)take(&r, 4);
            }
        }
        assert_true(r.pos <= len);
        if (r.pos == len || last)
            break;
        compressing = enable;
    }
    assert_int_equal(r.pos, len);
}

/* --------------------------------------------------------------- tests */

static void test_layouts(void **state)
{
    (void)state;
    for (unsigned width = 32; width <= 64; width += 32) {
        for (int pv = 0; pv <= 1; pv++) {
            struct xsr_legacy_gen_opts o;
            struct seen s;
            size_t len;
            xsr_legacy_gen_opts_init(&o, width, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
            o.all_chunks = true;
            o.toolstack = true;
            o.xtab = true;
            o.filler_batch = true;
            o.xl_header = true;
            o.nr_pages = 600;
            o.batch = 100;
            o.nr_vcpus = 3;
            o.max_vcpu_id = 65;
            o.xsave_size = 832;
            uint8_t *b = lt_gen(&o, &len, NULL);
            assert_non_null(b);
            parse(b, len, width, pv, &s);
            assert_true(s.xl);
            assert_int_equal(s.images, 1);
            assert_int_equal(s.chunks[0], 1);
            assert_int_equal(s.chunks[2], 1);
            assert_int_equal(s.chunks[7], 2);  /* TSC twice with all_chunks */
            assert_int_equal(s.chunks[9], 1);  /* last checkpoint */
            assert_int_equal(s.chunks[18], 1); /* toolstack */
            assert_true(s.fillers > 3);
            if (pv) {
                assert_true(s.extv);
                assert_int_equal(s.xsave, 832);
                assert_int_equal(s.vcpus, 3);
                assert_false(s.dm);
            } else {
                /* every HVM parameter chunk, -3 twice */
                for (int c = 3; c <= 20; c++) {
                    if (c == 5 || c == 6 || c == 7 || c == 9 || c == 12 || c == 13 || c == 18)
                        continue;
                    assert_int_equal(s.chunks[c], c == 3 ? 2 : 1);
                }
                assert_true(s.dm);
            }
            free(b);
        }
    }
}

static void test_chunks_by_option(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct seen s;
    size_t len;
    uint8_t *b;
    (void)state;

    /* verify mode resends every page with data */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.verify = true;
    b = lt_gen(&o, &len, NULL);
    parse(b, len, 64, true, &s);
    assert_int_equal(s.chunks[1], 1);
    assert_int_equal(s.pages, 2 * 256);
    free(b);

    /* Remus: compressed checkpoints carry pfns only, then -12 chunks */
    xsr_legacy_gen_opts_init(&o, 32, XSR_DOM_X86_HVM);
    o.checkpoints = 3;
    o.compress = true;
    o.last_checkpoint = false;
    b = lt_gen(&o, &len, NULL);
    parse(b, len, 32, false, &s);
    assert_int_equal(s.images, 3);
    assert_int_equal(s.chunks[13], 1);
    assert_true(s.chunks[12] >= 2);
    assert_int_equal(s.chunks[9], 0);
    assert_true(s.dm);
    free(b);

    /* no vcpu_info: one vCPU in the tail; no extv/xcnt blocks */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.no_vcpu_info = true;
    o.extv = false;
    o.nr_vcpus = 4;
    b = lt_gen(&o, &len, NULL);
    parse(b, len, 64, true, &s);
    assert_int_equal(s.chunks[2], 0);
    assert_int_equal(s.vcpus, 1);
    assert_false(s.extv);
    free(b);

    /* an extra chunk id lands in the body */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_HVM);
    o.extra_chunk = -5;
    o.device_model = false;
    b = lt_gen(&o, &len, NULL);
    assert_int_equal(xsr_ld32(b + 8, XSR_LITTLE_ENDIAN), (uint32_t)-5);
    free(b);
}

static void test_deterministic_and_marks(void **state)
{
    static struct lt_marks m;
    struct xsr_legacy_gen_opts o;
    size_t l1, l2;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.seed = 42;
    uint8_t *a = lt_gen(&o, &l1, &m);
    uint8_t *b = lt_gen(&o, &l2, NULL);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    /* marks name where each structure starts */
    assert_int_equal(lt_mark(&m, "p2m_size", 0), 0);
    assert_int_equal(lt_mark(&m, "extended_info", 0), 8);
    uint64_t sh = lt_mark(&m, "shared_info", 0);
    assert_int_equal(sh + 4096, l1);
    assert_int_equal(xsr_ld32(a + lt_mark(&m, "vcpu_info", 0), XSR_LITTLE_ENDIAN), (uint32_t)-2);
    /* another seed, other pages */
    o.seed = 43;
    uint8_t *c = lt_gen(&o, &l2, NULL);
    assert_int_equal(l1, l2);
    assert_memory_not_equal(a, c, l1);
    free(a);
    free(b);
    free(c);
    /* the page function: image 0 is the base, later images change runs */
    uint8_t p0[4096], p1[4096];
    xsr_legacy_gen_page(9, 100, 0, p0);
    xsr_legacy_gen_page(9, 100, 0, p1);
    assert_memory_equal(p0, p1, 4096);
}

static void test_bad_options(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_error err;
    struct xsr_chan *ch;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.batch = 1025;
    xsr_error_clear(&err);
    ch = xsr_chan_mem_writer(&err);
    assert_int_equal(xsr_legacy_gen_write(&o, ch, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "1024"));
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.compress = true;
    assert_int_equal(xsr_legacy_gen_write(&o, ch, &err), XSR_EINVAL);
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.width = 16;
    assert_int_equal(xsr_legacy_gen_write(&o, ch, &err), XSR_EINVAL);
    xsr_chan_close(ch, NULL);
}

static void test_probe(void **state)
{
    (void)state;
    for (unsigned width = 32; width <= 64; width += 32) {
        for (int pv = 0; pv <= 1; pv++) {
            for (int variant = 0; variant < 3; variant++) {
                struct xsr_legacy_gen_opts o;
                struct xsr_legacy_probe p = XSR_LEGACY_PROBE_INIT;
                struct xsr_error err;
                size_t len;
                xsr_legacy_gen_opts_init(&o, width, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
                o.extv = variant != 1;
                o.xsave_size = variant == 2 ? 512 : 0;
                o.all_chunks = variant == 2;
                uint8_t *b = lt_gen(&o, &len, NULL);
                xsr_error_clear(&err);
                assert_int_equal(xsr_legacy_probe(b, 24, &p, &err), 0);
                assert_int_equal(p.width, width);
                assert_int_equal(p.guest, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
                free(b);
            }
        }
    }
}

static void test_probe_ambiguous(void **state)
{
    struct xsr_legacy_probe p = XSR_LEGACY_PROBE_INIT;
    struct xsr_error err;
    uint8_t b[24];
    (void)state;

    /* a result without its size (not made by XSR_LEGACY_PROBE_INIT) is
     * refused and left alone */
    struct xsr_legacy_probe z = { 0 };
    memset(b, 0, sizeof(b));
    assert_int_equal(xsr_legacy_probe(b, sizeof(b), &z, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "xsr_legacy_probe"));
    assert_int_equal(z.width, 0);

    /* 64-bit: all ones at 8..15 but no known block: two "enable verify"
     * chunks of an HVM stream, or a PV marker? */
    memset(b, 0, sizeof(b));
    b[0] = 0x10;
    memset(b + 8, 0xff, 8);
    memcpy(b + 20, "abcd", 4);
    xsr_error_clear(&err);
    assert_int_equal(xsr_legacy_probe(b, sizeof(b), &p, &err), XSR_EUNSUP);
    assert_int_equal(p.width, 64);
    assert_int_equal(p.guest, 0);
    assert_non_null(strstr(err.message, "ambiguous"));

    /* 32-bit: octets 4-7 all ones, no block id */
    memset(b, 0, sizeof(b));
    b[0] = 0x10;
    memset(b + 4, 0xff, 4);
    memset(b + 8, 0xff, 8);
    assert_int_equal(xsr_legacy_probe(b, sizeof(b), &p, &err), XSR_EUNSUP);
    assert_int_equal(p.width, 32);

    /* 32-bit HVM: a negative chunk id at 4..7 */
    memset(b, 0, sizeof(b));
    b[0] = 0x10;
    xsr_st32(b + 4, (uint32_t)-3, XSR_LITTLE_ENDIAN);
    assert_int_equal(xsr_legacy_probe(b, sizeof(b), &p, &err), 0);
    assert_int_equal(p.width, 32);
    assert_int_equal(p.guest, XSR_DOM_X86_HVM);

    /* neither: a chunk id that does not exist */
    xsr_st32(b + 4, (uint32_t)-77, XSR_LITTLE_ENDIAN);
    assert_int_equal(xsr_legacy_probe(b, sizeof(b), &p, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "not a legacy stream"));

    /* too short */
    assert_int_equal(xsr_legacy_probe(b, 6, &p, &err), XSR_EUNSUP);
}

static void test_chunk_names(void **state)
{
    (void)state;
    assert_string_equal(xsr_legacy_chunk_name(XSR_LEGACY_CHUNK_TSC_INFO), "tsc_info");
    assert_string_equal(xsr_legacy_chunk_name(0), "end");
    assert_null(xsr_legacy_chunk_name(-21));
    assert_null(xsr_legacy_chunk_name(5));
    assert_int_equal(xsr_legacy_chunk_hvm_param(XSR_LEGACY_CHUNK_HVM_IDENT_PT), 12);
    assert_int_equal(xsr_legacy_chunk_hvm_param(XSR_LEGACY_CHUNK_HVM_VM86_TSS), 15);
    assert_int_equal(xsr_legacy_chunk_hvm_param(XSR_LEGACY_CHUNK_HVM_NR_IOREQ_SERVER_PAGES), 33);
    assert_int_equal(xsr_legacy_chunk_hvm_param(XSR_LEGACY_CHUNK_TSC_INFO), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_chunks_by_option),
        cmocka_unit_test(test_deterministic_and_marks),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_ambiguous),
        cmocka_unit_test(test_chunk_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
