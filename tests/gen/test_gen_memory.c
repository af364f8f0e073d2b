/* SPDX-License-Identifier: MIT */
/*
 * Memory of generated images: the pages of every pass against
 * xsr_gen_page_fill, the last copies against xsr_gen_final_page/_type, the
 * VERIFY pass, the PV page tables (walked from the vCPU's cr3), the p2m
 * frames and start_info, and the HVM special pages named by HVM_PARAMS.
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

struct copy {
    int type;              /* -1: not sent */
    const uint8_t *data;   /* NULL for types without data */
};

struct memory {
    uint64_t n;
    struct copy *last;       /* last copy before VERIFY */
    struct copy *verify;     /* copy in the VERIFY pass */
    unsigned passes;         /* passes seen (a pass starts when pfns go back) */
    uint64_t specials;       /* pages whose first copy is not page_fill(seed, pfn, 0) */
    uint64_t fill_mismatch;  /* later copies of ordinary pages unlike page_fill */
    bool verify_seen;
};

static void scan_memory(const struct xsr_gen_opts *o, const struct gp_image *img, struct memory *m)
{
    uint8_t fill[XSR_PAGE_SIZE];
    bool *special = calloc(o->nr_pages, sizeof(bool));
    bool *had_data = calloc(o->nr_pages, sizeof(bool));
    memset(m, 0, sizeof(*m));
    m->n = o->nr_pages;
    m->last = calloc(m->n, sizeof(*m->last));
    m->verify = calloc(m->n, sizeof(*m->verify));
    assert_non_null(special);
    assert_non_null(had_data);
    assert_non_null(m->last);
    assert_non_null(m->verify);
    for (uint64_t i = 0; i < m->n; i++)
        m->last[i].type = m->verify[i].type = -1;

    uint64_t prev = UINT64_MAX;
    unsigned pass = 0;
    for (size_t r = 0; r < img->n; r++) {
        const struct gp_rec *rec = &img->recs[r];
        if (rec->kind != GP_REC || rec->layer != XSR_LAYER_LIBXC)
            continue;
        if (rec->type == XSR_REC_VERIFY) {
            m->verify_seen = true;
            continue;
        }
        if (rec->type != XSR_REC_PAGE_DATA)
            continue;
        struct xsr_page_data pd;
        assert_int_equal(xsr_page_data_decode(rec->body, rec->len, img->order, &pd, NULL), 0);
        const uint8_t *data = pd.data;
        for (uint32_t i = 0; i < pd.count; i++) {
            uint64_t w = xsr_page_data_word(&pd, i);
            uint64_t pfn = xsr_pfn_word_pfn(w);
            unsigned t = xsr_pfn_word_type(w);
            assert_true(pfn < m->n);
            assert_true(xsr_pfn_type_valid(t));
            if (!m->verify_seen && prev != UINT64_MAX && pfn <= prev)
                pass++;
            prev = pfn;
            struct copy c = { (int)t, NULL };
            if (xsr_pfn_type_has_data(t)) {
                c.data = data;
                data += XSR_PAGE_SIZE;
            }
            if (m->verify_seen) {
                assert_int_equal(m->verify[pfn].type, -1); /* once per pfn */
                m->verify[pfn] = c;
                continue;
            }
            if (c.data && !had_data[pfn]) {
                had_data[pfn] = true;
                xsr_gen_page_fill(o->seed, pfn, 0, fill);
                if (memcmp(fill, c.data, XSR_PAGE_SIZE) != 0) {
                    special[pfn] = true;
                    m->specials++;
                }
            } else if (c.data && !special[pfn]) {
                xsr_gen_page_fill(o->seed, pfn, pass, fill);
                m->fill_mismatch += memcmp(fill, c.data, XSR_PAGE_SIZE) != 0;
            }
            m->last[pfn] = c;
        }
    }
    m->passes = pass + 1;
    free(special);
    free(had_data);
}

static void free_memory(struct memory *m)
{
    free(m->last);
    free(m->verify);
}

/* The last copies are what xsr_gen_final_page/_type describe. */
static void check_final(const struct xsr_gen_opts *o, const struct memory *m)
{
    uint8_t page[XSR_PAGE_SIZE];
    for (uint64_t pfn = 0; pfn < m->n; pfn++) {
        assert_int_equal(xsr_gen_final_type(o, pfn), m->last[pfn].type);
        int rc = xsr_gen_final_page(o, pfn, page);
        assert_int_equal(rc, m->last[pfn].data != NULL);
        if (rc == 1)
            assert_memory_equal(page, m->last[pfn].data, XSR_PAGE_SIZE);
        if (m->verify_seen) {
            assert_int_equal(m->verify[pfn].type, m->last[pfn].type);
            if (rc == 1)
                assert_memory_equal(m->verify[pfn].data, page, XSR_PAGE_SIZE);
        }
    }
}

static uint8_t *generate_parse(const struct xsr_gen_opts *o, struct gp_image *img)
{
    size_t len;
    uint8_t *buf = gp_generate(o, &len);
    assert_non_null(buf);
    if (gp_parse(buf, len, img) < 0)
        fail_msg("%s", img->error);
    return buf;
}

static void test_passes_and_final(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct gp_image img;
    struct memory m;

    /* 64-bit PV, 4096 pages, 3 live passes, verify, everything */
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.nr_pages = 4096;
    o.live_passes = 3;
    o.verify_pass = true;
    o.all_records = true;
    o.nr_vcpus = 2;
    o.seed = 12345;
    uint8_t *buf = generate_parse(&o, &img);
    scan_memory(&o, &img, &m);
    assert_true(m.verify_seen);
    assert_int_equal(m.passes, 4);
    assert_int_equal(m.fill_mismatch, 0);
    /* 8 p2m frames, start_info, 2 L4 + L3 + L2 + 8 L1, 2 GDT frames */
    assert_int_equal(m.specials, 8 + 1 + 12 + 2);
    check_final(&o, &m);
    free_memory(&m);
    gp_free(&img);
    free(buf);

    /* HVM, big-endian, checkpointed: the passes of later checkpoints */
    xsr_gen_opts_init(&o, 4, XSR_DOM_X86_HVM);
    o.nr_pages = 3000;
    o.order = XSR_BIG_ENDIAN;
    o.checkpoints = 3;
    o.live_passes = 1;
    o.all_records = true;
    buf = generate_parse(&o, &img);
    scan_memory(&o, &img, &m);
    assert_false(m.verify_seen);
    assert_int_equal(m.passes, 4); /* 2 in the first checkpoint, 1 in each later one */
    assert_int_equal(m.fill_mismatch, 0);
    /* the 8 special pages and 2 ioreq server pages: zero or the identity map */
    uint64_t expect = 0;
    for (uint64_t pfn = o.nr_pages - 10; pfn < o.nr_pages; pfn++) {
        uint8_t fill[XSR_PAGE_SIZE];
        xsr_gen_page_fill(o.seed, pfn, 0, fill);
        expect += pfn == o.nr_pages - 2 || !xsr_all_zero(fill, XSR_PAGE_SIZE);
    }
    assert_true(expect >= 8);
    assert_int_equal(m.specials, expect);
    check_final(&o, &m);
    free_memory(&m);
    gp_free(&img);
    free(buf);
}

static uint64_t ld_pte(const uint8_t *page, unsigned slot, enum xsr_byte_order o)
{
    return xsr_ld64(page + slot * 8, o);
}

struct walk {
    const struct xsr_gen_opts *o;
    enum xsr_byte_order order;
    bool *mapped;
    uint64_t tables[5]; /* tables seen per level */
};

static void walk_table(struct walk *w, uint64_t pfn, unsigned level)
{
    uint8_t page[XSR_PAGE_SIZE];
    unsigned t = (unsigned)xsr_gen_final_type(w->o, pfn);
    assert_int_equal(xsr_pfn_type_level(t), level);
    assert_int_equal(xsr_gen_final_page(w->o, pfn, page), 1);
    w->tables[level]++;
    bool pae = w->o->guest_width == 4;
    for (unsigned s = 0; s < 512; s++) {
        uint64_t e = ld_pte(page, s, w->order);
        if (!(e & 1)) {
            assert_int_equal(e, 0);
            continue;
        }
        /* slots Xen owns are zeroed by normalisation */
        if (!pae && level == 4)
            assert_false(s >= 256 && s < 272);
        if (pae && level == 3) {
            assert_true(s < 4);
            assert_int_equal(e & 0xfff, 1); /* PAE PDPTEs: present only */
        }
        if (pae && level == 2)
            assert_true(s < 428);
        if (level >= 2)
            assert_int_equal(e & 0x80, 0); /* no superpages */
        uint64_t target = (e & 0x000ffffffffff000ULL) >> 12;
        assert_true(target < w->o->nr_pages);
        if (level > 1) {
            walk_table(w, target, level - 1);
            continue;
        }
        int tt = xsr_gen_final_type(w->o, target);
        assert_true(xsr_pfn_type_has_data((unsigned)tt));
        /* page tables are mapped read-only */
        if (xsr_pfn_type_level((unsigned)tt))
            assert_int_equal(e & 2, 0);
        w->mapped[target] = true;
    }
}

static void check_page_tables(uint32_t version, unsigned width, uint64_t pages, unsigned vcpus)
{
    struct xsr_gen_opts o;
    struct gp_image img;
    xsr_gen_opts_init(&o, version, XSR_DOM_X86_PV);
    o.guest_width = width;
    o.nr_pages = pages;
    o.nr_vcpus = vcpus;
    o.all_records = true;
    o.order = width == 4 ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
    uint8_t *buf = generate_parse(&o, &img);
    struct walk w = { &o, img.order, calloc(pages, sizeof(bool)), { 0 } };
    assert_non_null(w.mapped);

    const uint32_t ctx_size = width == 8 ? XSR_PV_VCPU_CTX_SIZE_64 : XSR_PV_VCPU_CTX_SIZE_32;
    const uint32_t gdt_off = width == 8 ? 4832 : 2640, cr_off = width == 8 ? 4984 : 2716;
    for (unsigned v = 0; v < vcpus; v++) {
        const struct gp_rec *rec = gp_find(&img, XSR_LAYER_LIBXC, XSR_REC_X86_PV_VCPU_BASIC, v);
        assert_non_null(rec);
        struct xsr_vcpu_rec vr;
        struct xsr_pv_vcpu_regs regs;
        assert_int_equal(xsr_vcpu_rec_decode(rec->body, rec->len, img.order, &vr, NULL), 0);
        assert_int_equal(vr.vcpu_id, v);
        assert_int_equal(vr.ctx_len, ctx_size);
        assert_int_equal(xsr_pv_vcpu_regs_decode(vr.ctx, vr.ctx_len, width, img.order, &regs, NULL), 0);
        uint64_t top;
        if (width == 8) {
            top = regs.cr3 >> 12;
            /* the user page tables: PFN << 12 with the saver's bit 0 marker */
            uint64_t cr1 = xsr_ld64(vr.ctx + cr_off + 8, img.order);
            assert_int_equal(cr1 & 0xfff, 1);
            assert_int_equal(xsr_gen_final_type(&o, cr1 >> 12), XSR_PFN_L4TAB_PIN);
        } else { /* extended cr3: frame rotated left by 12 */
            uint32_t cr3 = (uint32_t)regs.cr3;
            top = (uint32_t)(cr3 >> 12 | cr3 << 20);
        }
        assert_int_equal(xsr_gen_final_type(&o, top), width == 8 ? XSR_PFN_L4TAB_PIN : XSR_PFN_L3TAB_PIN);
        if (v == 0) {
            memset(w.tables, 0, sizeof(w.tables));
            walk_table(&w, top, width == 8 ? 4 : 3);
            /* start_info: rdx of vCPU 0, a NOTAB page with the platform magic */
            uint8_t si[XSR_PAGE_SIZE];
            assert_int_equal(xsr_gen_final_type(&o, regs.rdx), XSR_PFN_NOTAB);
            assert_int_equal(xsr_gen_final_page(&o, regs.rdx, si), 1);
            assert_string_equal((const char *)si, width == 8 ? "xen-3.0-x86_64" : "xen-3.0-x86_32p");
            uint64_t store = width == 8 ? xsr_ld64(si + 56, img.order) : xsr_ld32(si + 44, img.order);
            assert_int_equal(xsr_gen_final_type(&o, store), XSR_PFN_NOTAB);
        } else {
            assert_int_equal(regs.rdx, 0);
        }
        uint64_t gdt = width == 8 ? xsr_ld64(vr.ctx + gdt_off, img.order) : xsr_ld32(vr.ctx + gdt_off, img.order);
        assert_int_equal(regs.gdt_ents, width == 8 ? 16 : 32);
        assert_int_equal(xsr_gen_final_type(&o, gdt), XSR_PFN_NOTAB);
    }
    /* every page with data is mapped, nothing else */
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        int t = xsr_gen_final_type(&o, pfn);
        assert_int_equal(w.mapped[pfn], xsr_pfn_type_has_data((unsigned)t));
    }
    assert_int_equal(w.tables[1], (pages + 511) / 512);

    /* p2m frames: cover 0..max_pfn, NOTAB pages holding distinct frames */
    const struct gp_rec *p2m = gp_find(&img, XSR_LAYER_LIBXC, XSR_REC_X86_PV_P2M_FRAMES, 0);
    struct xsr_p2m_frames f;
    assert_non_null(p2m);
    assert_int_equal(xsr_p2m_frames_decode(p2m->body, p2m->len, img.order, &f, NULL), 0);
    assert_int_equal(f.start_pfn, 0);
    assert_int_equal(f.end_pfn, pages - 1);
    assert_int_equal(f.nr_frames, xsr_p2m_frames_expected(0, (uint32_t)(pages - 1), width));
    uint64_t prev_mfn = 0;
    for (uint32_t i = 0; i < f.nr_frames; i++) {
        uint64_t frame = xsr_ld64(f.frames + i * 8, img.order);
        uint8_t page[XSR_PAGE_SIZE];
        assert_int_equal(xsr_gen_final_type(&o, frame), XSR_PFN_NOTAB);
        assert_int_equal(xsr_gen_final_page(&o, frame, page), 1);
        for (unsigned e = 0; e < XSR_PAGE_SIZE / width; e++) {
            uint64_t pfn = (uint64_t)i * (XSR_PAGE_SIZE / width) + e;
            uint64_t mfn = width == 8 ? xsr_ld64(page + e * 8, img.order) : xsr_ld32(page + e * 4, img.order);
            bool invalid = mfn == (width == 8 ? UINT64_MAX : UINT32_MAX);
            if (pfn >= pages || xsr_gen_final_type(&o, pfn) == XSR_PFN_XTAB) {
                assert_true(invalid);
            } else {
                assert_false(invalid);
                assert_true(mfn > prev_mfn);
                prev_mfn = mfn;
            }
        }
    }
    free(w.mapped);
    gp_free(&img);
    free(buf);
}

static void test_page_tables(void **state)
{
    (void)state;
    check_page_tables(3, 8, 16, 1);
    check_page_tables(4, 8, 2000, 3);
    check_page_tables(2, 4, 16, 1);
    check_page_tables(3, 4, 3000, 2);
}

static void test_hvm_specials(void **state)
{
    (void)state;
    struct xsr_gen_opts o;
    struct gp_image img;
    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_HVM);
    o.nr_pages = 512;
    o.all_records = true;
    uint8_t *buf = generate_parse(&o, &img);
    const struct gp_rec *rec = gp_find(&img, XSR_LAYER_LIBXC, XSR_REC_HVM_PARAMS, 0);
    struct xsr_hvm_params hp;
    assert_non_null(rec);
    assert_int_equal(xsr_hvm_params_decode(rec->body, rec->len, img.order, &hp, NULL), 0);
    assert_int_equal(hp.count, 11);
    static const uint64_t order[11] = { 1, 5, 6, 27, 28, 29, 17, 12, 32, 33, 38 };
    uint8_t page[XSR_PAGE_SIZE];
    for (uint32_t i = 0; i < hp.count; i++) {
        uint64_t idx, val;
        xsr_hvm_params_entry(&hp, i, &idx, &val);
        assert_int_equal(idx, order[i]); /* the saver's query order */
        if (idx == 33 || idx == 38)
            continue; /* a count and a capability */
        uint64_t pfn = idx == 12 ? val >> 12 : val;
        assert_true(pfn < o.nr_pages);
        assert_int_equal(xsr_gen_final_type(&o, pfn), XSR_PFN_NOTAB);
        assert_int_equal(xsr_gen_final_page(&o, pfn, page), 1);
        if (idx == 12) {
            assert_int_equal(val & 0xfff, 0);
            for (unsigned e = 0; e < 1024; e++)
                assert_int_equal(xsr_ld32(page + 4 * e, img.order), e << 22 | 0xe7);
        } else {
            for (size_t b = 0; b < XSR_PAGE_SIZE; b++)
                assert_int_equal(page[b], 0);
        }
    }
    gp_free(&img);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes_and_final),
        cmocka_unit_test(test_page_tables),
        cmocka_unit_test(test_hvm_specials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
