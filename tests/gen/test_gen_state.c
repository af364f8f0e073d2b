/* SPDX-License-Identifier: MIT */
/*
 * Bodies of the non-memory records: headers and static data, PV vCPU
 * records, the HVM context and emulator records, the xl/libxl wrapping, the
 * v4 DOMAIN_CONTEXT against the v3 records it replaces, and big- against
 * little-endian images.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/gen.h>

#include "gen_parse.h"

struct image {
    uint8_t *buf;
    size_t len;
    struct gp_image img;
};

static void make(struct image *im, const struct xsr_gen_opts *o)
{
    im->buf = gp_generate(o, &im->len);
    assert_non_null(im->buf);
    if (gp_parse(im->buf, im->len, &im->img) < 0)
        fail_msg("%s", im->img.error);
}

static void drop(struct image *im)
{
    gp_free(&im->img);
    free(im->buf);
}

static const struct gp_rec *rec(const struct image *im, uint32_t type, size_t i)
{
    return gp_find(&im->img, XSR_LAYER_LIBXC, type, i);
}

static void test_headers_and_static_data(void **state)
{
    (void)state;
    for (uint32_t v = 2; v <= 4; v++) {
        struct xsr_gen_opts o;
        struct image im;
        xsr_gen_opts_init(&o, v, XSR_DOM_X86_PV);
        o.nr_pages = 16;
        o.guest_width = v == 2 ? 4 : 8;
        o.order = v == 3 ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
        make(&im, &o);
        assert_int_equal(im.img.ihdr.options, v == 3 ? XSR_IHDR_OPT_BIG_ENDIAN : 0);
        assert_int_equal(im.img.ihdr.reserved1, 0);
        assert_int_equal(im.img.ihdr.reserved2, 0);
        assert_int_equal(im.img.dhdr.type, XSR_DOM_X86_PV);
        assert_int_equal(im.img.dhdr.page_shift, 12);
        assert_int_equal(im.img.dhdr.reserved, 0);
        assert_int_equal(im.img.dhdr.xen_major, 4);
        assert_int_equal(im.img.dhdr.xen_minor, v == 2 ? 13 : 17);

        const struct gp_rec *r = rec(&im, XSR_REC_X86_PV_INFO, 0);
        struct xsr_pv_info pi;
        assert_int_equal(r->len, XSR_PV_INFO_SIZE);
        xsr_pv_info_decode(r->body, im.img.order, &pi);
        assert_int_equal(pi.guest_width, o.guest_width);
        assert_int_equal(pi.pt_levels, o.guest_width == 8 ? 4 : 3);
        assert_int_equal(pi.reserved1 | pi.reserved2, 0);

        if (v >= 3) {
            r = rec(&im, XSR_REC_X86_CPUID_POLICY, 0);
            assert_int_equal(r->len, 18 * XSR_CPUID_LEAF_SIZE);
            struct xsr_cpuid_leaf leaf;
            xsr_cpuid_leaf_decode(r->body, im.img.order, &leaf);
            assert_int_equal(leaf.leaf, 0);
            assert_int_equal(leaf.subleaf, XSR_CPUID_NO_SUBLEAF);
            assert_int_equal(leaf.b, 0x756e6547); /* "Genu" */
            r = rec(&im, XSR_REC_X86_MSR_POLICY, 0);
            assert_int_equal(r->len, 2 * XSR_MSR_ENTRY_SIZE);
            for (unsigned i = 0; i < 2; i++) {
                struct xsr_msr_entry e;
                xsr_msr_entry_decode(r->body + i * XSR_MSR_ENTRY_SIZE, im.img.order, &e);
                assert_int_equal(e.flags, 0);
                assert_int_equal(e.index, i == 0 ? 0xce : 0x10a);
            }
            assert_int_equal(rec(&im, XSR_REC_STATIC_DATA_END, 0)->len, 0);
        } else {
            assert_null(rec(&im, XSR_REC_X86_CPUID_POLICY, 0));
            assert_null(rec(&im, XSR_REC_STATIC_DATA_END, 0));
        }
        drop(&im);
    }
}

static void test_pv_vcpu_records(void **state)
{
    (void)state;
    for (unsigned width = 4; width <= 8; width += 4) {
        struct xsr_gen_opts o;
        struct image im;
        xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
        o.guest_width = width;
        o.nr_pages = 64;
        o.nr_vcpus = 3;
        o.all_records = true;
        make(&im, &o);
        for (unsigned v = 0; v < 3; v++) {
            struct xsr_vcpu_rec vr;
            const struct gp_rec *r = rec(&im, XSR_REC_X86_PV_VCPU_EXTENDED, v);
            assert_int_equal(xsr_vcpu_rec_decode(r->body, r->len, im.img.order, &vr, NULL), 0);
            assert_int_equal(vr.vcpu_id, v);
            assert_int_equal(vr.reserved, 0);
            assert_int_equal(vr.ctx_len, 64);
            assert_int_equal(xsr_ld32(vr.ctx, im.img.order), v);   /* embedded vcpu */
            assert_int_equal(xsr_ld32(vr.ctx + 4, im.img.order), 64); /* size */

            r = rec(&im, XSR_REC_X86_PV_VCPU_XSAVE, v);
            assert_int_equal(xsr_vcpu_rec_decode(r->body, r->len, im.img.order, &vr, NULL), 0);
            assert_int_equal(vr.vcpu_id, v);
            assert_int_equal(vr.ctx_len, 16 + 832); /* as Xen 4.17 sends for XCR0 = 7 */
            assert_int_equal(xsr_ld64(vr.ctx, im.img.order), 7);
            assert_int_equal(xsr_ld64(vr.ctx + 8, im.img.order), 7);
            assert_int_equal(xsr_ld32(vr.ctx + 16 + 24, im.img.order), 0x1f80); /* MXCSR */

            r = rec(&im, XSR_REC_X86_PV_VCPU_MSRS, v);
            assert_int_equal(xsr_vcpu_rec_decode(r->body, r->len, im.img.order, &vr, NULL), 0);
            assert_int_equal(vr.ctx_len % XSR_MSR_ENTRY_SIZE, 0);
            assert_true(vr.ctx_len > 0);
            for (uint32_t i = 0; i < vr.ctx_len; i += XSR_MSR_ENTRY_SIZE) {
                struct xsr_msr_entry e;
                xsr_msr_entry_decode(vr.ctx + i, im.img.order, &e);
                assert_int_equal(e.flags, 0);
            }

            struct xsr_pv_vcpu_regs regs;
            r = rec(&im, XSR_REC_X86_PV_VCPU_BASIC, v);
            assert_int_equal(xsr_vcpu_rec_decode(r->body, r->len, im.img.order, &vr, NULL), 0);
            assert_int_equal(xsr_pv_vcpu_regs_decode(vr.ctx, vr.ctx_len, width, im.img.order,
                                                     &regs, NULL), 0);
            assert_int_equal(regs.flags, 0x25);
            assert_int_equal(regs.rflags, 0x246);
            assert_int_equal(regs.kernel_ss, width == 8 ? 0xe02b : 0xe021);
            assert_int_equal(regs.ldt_base, 0);
            assert_true(regs.kernel_sp != 0 && regs.rip != 0);
        }
        assert_null(rec(&im, XSR_REC_X86_PV_VCPU_BASIC, 3));
        drop(&im);
    }
}

/* HVM_CONTEXT as hvm_save() writes it. */
static void check_hvm_context(const struct gp_rec *r, enum xsr_byte_order order, unsigned nv,
                              bool all)
{
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    unsigned seen[XSR_HVMCTX_CODE_MAX + 1] = { 0 };
    int prev = -1, rc;
    bool end = false;

    xsr_hvmctx_iter_init(&it, r->body, r->len, order);
    while ((rc = xsr_hvmctx_next(&it, &e, NULL)) == 1) {
        assert_false(end); /* nothing after END */
        uint16_t t = e.desc.typecode;
        assert_true(t <= XSR_HVMCTX_CODE_MAX);
        if (t == XSR_HVMCTX_END) {
            assert_int_equal(e.desc.length, 0);
            end = true;
            continue;
        }
        if (prev == -1)
            assert_int_equal(t, XSR_HVMCTX_HEADER);
        assert_true((int)t >= prev);
        /* per-vCPU types: instance = vCPU, in order; PIC: master then slave */
        if (xsr_hvmctx_type_per_vcpu(t))
            assert_int_equal(e.desc.instance, seen[t]);
        else if (t == XSR_HVMCTX_PIC)
            assert_int_equal(e.desc.instance, seen[t]);
        else
            assert_int_equal(e.desc.instance, 0);
        if (xsr_hvmctx_type_size(t))
            assert_int_equal(e.desc.length, xsr_hvmctx_type_size(t));
        if (t == XSR_HVMCTX_HEADER) {
            struct xsr_hvmctx_header h;
            xsr_hvmctx_header_decode(e.body, order, &h);
            assert_int_equal(h.magic, XSR_HVMCTX_MAGIC);
            assert_int_equal(h.version, XSR_HVMCTX_VERSION);
            assert_int_equal(h.gtsc_khz, 2793435);
        }
        if (t == XSR_HVMCTX_CPU_XSAVE)
            assert_int_equal(e.desc.length, 24 + 832);
        if (t == XSR_HVMCTX_CPU_MSR)
            assert_int_equal(e.desc.length, 8 + 16 * xsr_ld32(e.body, order));
        seen[t]++;
        prev = t;
    }
    assert_int_equal(rc, 0);
    assert_true(end);
    static const uint16_t always[] = {
        XSR_HVMCTX_CPU, XSR_HVMCTX_LAPIC, XSR_HVMCTX_LAPIC_REGS, XSR_HVMCTX_MTRR,
        XSR_HVMCTX_CPU_XSAVE, XSR_HVMCTX_VMCE_VCPU, XSR_HVMCTX_TSC_ADJUST,
    };
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        assert_int_equal(seen[always[i]], nv);
    assert_int_equal(seen[XSR_HVMCTX_HEADER], 1);
    assert_int_equal(seen[XSR_HVMCTX_PIC], 2);
    static const uint16_t once[] = {
        XSR_HVMCTX_IOAPIC, XSR_HVMCTX_PCI_IRQ, XSR_HVMCTX_ISA_IRQ, XSR_HVMCTX_PCI_LINK,
        XSR_HVMCTX_PIT, XSR_HVMCTX_RTC, XSR_HVMCTX_HPET, XSR_HVMCTX_PMTIMER,
    };
    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
        assert_int_equal(seen[once[i]], 1);
    assert_int_equal(seen[XSR_HVMCTX_VIRIDIAN_DOMAIN], all ? 1 : 0);
    assert_int_equal(seen[XSR_HVMCTX_VIRIDIAN_VCPU], all ? nv : 0);
    assert_int_equal(seen[XSR_HVMCTX_CPU_MSR], all ? nv : 0);
}

static void test_hvm_records(void **state)
{
    (void)state;
    for (int all = 0; all < 2; all++) {
        struct xsr_gen_opts o;
        struct image im;
        xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
        o.nr_pages = 32;
        o.nr_vcpus = 4;
        o.all_records = all;
        o.checkpoints = 2;
        o.order = all ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
        o.wrap = XSR_LAYER_LIBXL;
        make(&im, &o);
        const struct gp_rec *c0 = rec(&im, XSR_REC_HVM_CONTEXT, 0);
        const struct gp_rec *c1 = rec(&im, XSR_REC_HVM_CONTEXT, 1);
        check_hvm_context(c0, im.img.order, 4, all);
        check_hvm_context(c1, im.img.order, 4, all);
        /* the state moves on between checkpoints: CPU tsc at offset 1008 of vCPU 0 */
        assert_int_equal(c0->len, c1->len);
        const size_t tsc_off = 8 + XSR_HVMCTX_HEADER_SIZE + 8 + 1008;
        assert_true(xsr_ld64(c1->body + tsc_off, im.img.order) >
                    xsr_ld64(c0->body + tsc_off, im.img.order));

        /* emulator records of each checkpoint */
        assert_int_equal(gp_count(&im.img, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT), 2);
        for (size_t i = 0; i < 2; i++) {
            const struct gp_rec *x = gp_find(&im.img, XSR_LAYER_LIBXL,
                                             XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, i);
            struct xsr_emulator_rec er;
            assert_int_equal(xsr_emulator_rec_decode(x->body, x->len, im.img.order, &er, NULL), 0);
            assert_int_equal(er.id, XSR_EMU_QEMU_UPSTREAM);
            assert_int_equal(er.index, 0);
            unsigned strings = 0;
            for (uint32_t off = 0; off < er.data_len; strings++) {
                const char *s = (const char *)er.data + off;
                size_t n = strnlen(s, er.data_len - off);
                assert_true(n < er.data_len - off); /* NUL-terminated */
                if (strings % 2 == 0)
                    assert_memory_equal(s, "physmap/", 8);
                off += (uint32_t)n + 1;
            }
            assert_int_equal(strings, 6);
            x = gp_find(&im.img, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT, i);
            assert_int_equal(xsr_emulator_rec_decode(x->body, x->len, im.img.order, &er, NULL), 0);
            assert_int_equal(er.id, XSR_EMU_QEMU_UPSTREAM);
            assert_memory_equal(er.data, "QEVM", 4);
        }
        drop(&im);
    }
}

/* v4 DOMAIN_CONTEXT carries exactly what v3's SHARED_INFO and X86_TSC_INFO did. */
static void check_v3_v4(uint32_t dom_type, unsigned width, unsigned checkpoints)
{
    struct xsr_gen_opts o;
    struct image v3, v4;
    xsr_gen_opts_init(&o, 3, dom_type);
    o.guest_width = width;
    o.nr_pages = 48;
    o.nr_vcpus = 2;
    o.checkpoints = checkpoints;
    o.all_records = true;
    make(&v3, &o);
    o.version = 4;
    make(&v4, &o);
    const bool compat = dom_type == XSR_DOM_X86_PV && width == 4;
    const uint32_t shsize = compat ? 2344 : 3136;
    enum xsr_byte_order bo = v4.img.order;

    assert_int_equal(gp_count(&v4.img, XSR_LAYER_LIBXC, XSR_REC_SHARED_INFO), 0);
    assert_int_equal(gp_count(&v4.img, XSR_LAYER_LIBXC, XSR_REC_X86_TSC_INFO), 0);
    assert_int_equal(gp_count(&v3.img, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT), 0);
    unsigned nck = checkpoints ? checkpoints : 1;
    assert_int_equal(gp_count(&v4.img, XSR_LAYER_LIBXC, XSR_REC_DOMAIN_CONTEXT), nck);

    /* everything but those records is identical */
    size_t i3 = 0, i4 = 0;
    while (i3 < v3.img.n && i4 < v4.img.n) {
        const struct gp_rec *a = &v3.img.recs[i3], *b = &v4.img.recs[i4];
        if (a->kind == GP_REC && (a->type == XSR_REC_SHARED_INFO || a->type == XSR_REC_X86_TSC_INFO)) {
            i3++;
            continue;
        }
        if (b->kind == GP_REC && b->type == XSR_REC_DOMAIN_CONTEXT) {
            i4++;
            continue;
        }
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->len, b->len);
        if (a->kind == GP_REC) {
            assert_int_equal(a->type, b->type);
            assert_memory_equal(a->body, b->body, a->len);
        }
        i3++;
        i4++;
    }
    assert_int_equal(i3, v3.img.n);
    assert_int_equal(i4, v4.img.n);

    uint64_t prev_nsec = 0;
    for (unsigned k = 0; k < nck; k++) {
        const struct gp_rec *dc = rec(&v4, XSR_REC_DOMAIN_CONTEXT, k);
        const struct gp_rec *tsc = rec(&v3, XSR_REC_X86_TSC_INFO, k);
        const struct gp_rec *sh = rec(&v3, XSR_REC_SHARED_INFO, k);
        assert_int_equal(dc->len, compat ? 2424 : 3216);
        struct xsr_domctx_iter it;
        struct xsr_domctx_entry e;
        static const uint16_t types[4] = { XSR_DOMCTX_HEADER, XSR_DOMCTX_SHARED_INFO,
                                           XSR_DOMCTX_TSC_INFO, XSR_DOMCTX_END };
        xsr_domctx_iter_init(&it, dc->body, dc->len, bo);
        for (unsigned n = 0; n < 4; n++) {
            assert_int_equal(xsr_domctx_next(&it, &e, NULL), 1);
            assert_int_equal(e.desc.typecode, types[n]);
            assert_int_equal(e.desc.instance, 0);
            assert_int_equal(e.desc.length % 8, 0);
            if (types[n] == XSR_DOMCTX_HEADER) {
                struct xsr_domctx_header h;
                assert_int_equal(e.desc.length, XSR_DOMCTX_HEADER_SIZE);
                xsr_domctx_header_decode(e.body, bo, &h);
                assert_int_equal(h.magic, XSR_DOMCTX_MAGIC);
                assert_int_equal(h.version, 1);
                assert_int_equal(h.xen_major, v4.img.dhdr.xen_major);
                assert_int_equal(h.xen_minor, v4.img.dhdr.xen_minor);
                assert_int_equal(h.pad, 0);
            } else if (types[n] == XSR_DOMCTX_SHARED_INFO) {
                struct xsr_domctx_shinfo s;
                assert_int_equal(xsr_domctx_shinfo_decode(e.body, e.desc.length, bo, &s, NULL), 0);
                assert_int_equal(s.flags, compat ? XSR_DOMCTX_SHINFO_32BIT : 0);
                assert_int_equal(s.buffer_size, shsize);
                if (sh) {
                    assert_int_equal(sh->len, XSR_SHARED_INFO_SIZE);
                    assert_memory_equal(s.buffer, sh->body, shsize);
                    assert_true(xsr_all_zero(sh->body + shsize, XSR_SHARED_INFO_SIZE - shsize));
                } else {
                    assert_int_equal(dom_type, XSR_DOM_X86_HVM);
                }
            } else if (types[n] == XSR_DOMCTX_TSC_INFO) {
                struct xsr_domctx_tsc d;
                struct xsr_tsc_info t;
                assert_int_equal(e.desc.length, XSR_DOMCTX_TSC_SIZE);
                xsr_domctx_tsc_decode(e.body, bo, &d);
                xsr_tsc_info_decode(tsc->body, v3.img.order, &t);
                assert_int_equal(d.mode, t.mode);
                assert_int_equal(d.khz, t.khz);
                assert_int_equal(d.elapsed_nsec, t.nsec);
                assert_int_equal(d.incarnation, t.incarnation);
                assert_int_equal(d.tail, 0);
                assert_int_equal(t.reserved, 0);
                assert_true(t.nsec > prev_nsec);
                prev_nsec = t.nsec;
            } else {
                assert_int_equal(e.desc.length, 0);
            }
        }
        assert_int_equal(xsr_domctx_next(&it, &e, NULL), 0); /* END is last */
    }
    drop(&v3);
    drop(&v4);
}

static void test_v3_v4(void **state)
{
    (void)state;
    check_v3_v4(XSR_DOM_X86_PV, 8, 0);
    check_v3_v4(XSR_DOM_X86_PV, 4, 3);
    check_v3_v4(XSR_DOM_X86_HVM, 8, 0);
    check_v3_v4(XSR_DOM_X86_HVM, 8, 2);
}

static void test_xl_libxl(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        struct xsr_gen_opts o;
        struct image im;
        xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
        o.nr_pages = 16;
        o.nr_vcpus = 2;
        o.wrap = XSR_LAYER_XL;
        o.order = be ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
        make(&im, &o);
        assert_int_equal(im.img.outer, XSR_LAYER_XL);
        assert_int_equal(im.img.xl.order, o.order);
        assert_int_equal(im.img.xl.mandatory_flags, XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2);
        assert_int_equal(im.img.xl.optional_flags, 0);
        /* the raw byteorder field: 04 03 02 01 little-endian, 01 02 03 04 big */
        assert_int_equal(im.buf[32], be ? 1 : 4);
        uint32_t cfg = xsr_ld32(im.img.xl_opt, o.order);
        assert_int_equal(cfg + 4, im.img.xl.optional_data_len);
        const char *json = (const char *)im.img.xl_opt + 4;
        assert_int_equal(json[cfg - 1], '\0');
        assert_int_equal(strlen(json), cfg - 1);
        assert_non_null(strstr(json, "\"type\": \"hvm\""));
        assert_non_null(strstr(json, "\"max_vcpus\": 2,"));
        assert_non_null(strstr(json, "\"max_memkb\": 64,"));
        assert_int_equal(im.img.libxl.options, be ? XSR_LIBXL_OPT_BIG_ENDIAN : 0);
        const struct gp_rec *r = gp_find(&im.img, XSR_LAYER_LIBXL, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
        assert_int_equal(r->len, 0);
        assert_int_equal(r->offset, XSR_XL_HDR_SIZE + im.img.xl.optional_data_len + XSR_LIBXL_HDR_SIZE);
        drop(&im);
    }
}

/* Big- and little-endian images say the same thing. */
static void test_byte_orders(void **state)
{
    (void)state;
    for (int hvm = 0; hvm < 2; hvm++) {
        struct xsr_gen_opts o;
        struct image le, be;
        xsr_gen_opts_init(&o, 4, hvm ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV);
        o.guest_width = 4;
        o.nr_pages = 40;
        o.all_records = true;
        o.live_passes = 1;
        o.wrap = XSR_LAYER_LIBXL;
        make(&le, &o);
        o.order = XSR_BIG_ENDIAN;
        make(&be, &o);
        assert_int_equal(le.len, be.len);
        assert_int_equal(le.img.n, be.img.n);
        unsigned differ = 0;
        for (size_t i = 0; i < le.img.n; i++) {
            const struct gp_rec *a = &le.img.recs[i], *b = &be.img.recs[i];
            assert_int_equal(a->kind, b->kind);
            assert_int_equal(a->type, b->type);
            assert_int_equal(a->len, b->len);
            assert_int_equal(a->offset, b->offset);
            differ += memcmp(a->body, b->body, a->len) != 0;
            if (a->kind == GP_REC && a->layer == XSR_LAYER_LIBXC && a->type == XSR_REC_PAGE_DATA) {
                struct xsr_page_data pa, pb;
                assert_int_equal(xsr_page_data_decode(a->body, a->len, XSR_LITTLE_ENDIAN, &pa, NULL), 0);
                assert_int_equal(xsr_page_data_decode(b->body, b->len, XSR_BIG_ENDIAN, &pb, NULL), 0);
                for (uint32_t k = 0; k < pa.count; k++)
                    assert_int_equal(xsr_page_data_word(&pa, k), xsr_page_data_word(&pb, k));
            }
        }
        assert_true(differ > 0);
        /* ordinary pages are raw guest bytes: identical in both orders */
        uint8_t pl[XSR_PAGE_SIZE], pb2[XSR_PAGE_SIZE];
        struct xsr_gen_opts ol = o;
        ol.order = XSR_LITTLE_ENDIAN;
        assert_int_equal(xsr_gen_final_page(&ol, 0, pl), 1);
        assert_int_equal(xsr_gen_final_page(&o, 0, pb2), 1);
        assert_memory_equal(pl, pb2, XSR_PAGE_SIZE);
        drop(&le);
        drop(&be);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_static_data),
        cmocka_unit_test(test_pv_vcpu_records),
        cmocka_unit_test(test_hvm_records),
        cmocka_unit_test(test_v3_v4),
        cmocka_unit_test(test_xl_libxl),
        cmocka_unit_test(test_byte_orders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
