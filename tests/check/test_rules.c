/* SPDX-License-Identifier: MIT */
/*
 * One negative test per rule: build a valid stream, break exactly that rule,
 * and check that the rule is reported with the expected severity in strict
 * mode and in lenient mode (or not at all), with a telling message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbuild.h"
#include "vcheck.h"

#define E XSR_SEV_ERROR
#define W XSR_SEV_WARNING
#define N XSR_SEV_NOTE
#define NONE (-1)

#define LE XSR_LITTLE_ENDIAN
#define BE XSR_BIG_ENDIAN

struct rcase {
    const char *name;
    const char *rule;
    int strict, lenient; /* expected severities, NONE = not reported */
    const char *substr;  /* expected in the message (strict mode) */
    void (*build)(struct sb *s);
};

/* ------------------------------------------------------------ helpers */

static size_t must(size_t i)
{
    assert_true(i != SB_NONE);
    return i;
}

static uint8_t *body(struct sb *s, uint32_t type, unsigned nth)
{
    return s->items[must(sb_find_rec(s, type, nth))].body;
}

static void pv(struct sb *s, uint32_t version)
{
    sb_init(s, LE);
    sb_pv(s, version, 8);
}

static void hvm(struct sb *s, uint32_t version)
{
    sb_init(s, LE);
    sb_hvm(s, version);
}

static size_t end_idx(struct sb *s)
{
    return must(sb_find_rec(s, XSR_REC_END, 0));
}

static void insert_before_end(struct sb *s, uint32_t type, const void *b, uint32_t len)
{
    sb_insert_rec(s, end_idx(s), type, b, len);
}

static void set_u32(struct sb *s, uint32_t type, unsigned nth, size_t off, uint32_t v)
{
    xsr_st32(body(s, type, nth) + off, v, s->order);
}

static size_t libxl_end(struct sb *s)
{
    return must(sb_find(s, SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_END, 0));
}

static void add_page_data_at(struct sb *s, size_t at, const uint64_t *w, uint32_t n)
{
    uint32_t len;
    uint8_t *b = sb_page_data(s->order, w, n, &len);
    sb_insert_rec(s, at, XSR_REC_PAGE_DATA, b, len);
    free(b);
}

/* Layout of the 64-bit PV blob sb_domctx_blob makes (offsets in bytes). */
#define DC_HDR 0u
#define DC_SH 24u
#define DC_TSC 3176u
#define DC_END 3208u
#define DC_LEN 3216u

static uint8_t *dc(struct sb *s)
{
    size_t i = must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0));
    assert_int_equal(s->items[i].len, DC_LEN);
    return s->items[i].body;
}

/* Replace the blob by its first n bytes followed by extra. */
static void dc_splice(struct sb *s, uint32_t n, const void *extra, uint32_t extra_len)
{
    size_t i = must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0));
    uint8_t *b = malloc(n + extra_len + 1);
    assert_non_null(b);
    memcpy(b, s->items[i].body, n);
    if (extra_len)
        memcpy(b + n, extra, extra_len);
    sb_set_body(s, i, b, n + extra_len);
    free(b);
}

static void dc_desc(uint8_t *p, uint16_t type, uint16_t inst, uint32_t len)
{
    xsr_st16(p, type, LE);
    xsr_st16(p + 2, inst, LE);
    xsr_st32(p + 4, len, LE);
}

/* ------------------------------------------------------------ stream */

static void b_truncated(struct sb *s)
{
    pv(s, 3);
    sb_remove(s, end_idx(s));
    sb_add(s, SB_RAW, XSR_LAYER_NONE, 0, "\0\0\0", 3);
}

static void b_framing(struct sb *s)
{
    pv(s, 3);
    uint8_t h[8];
    xsr_st32(h, XSR_REC_PAGE_DATA, LE);
    xsr_st32(h + 4, 0x10000000u, LE); /* 256 MiB: over the limit */
    sb_remove(s, end_idx(s));
    sb_add(s, SB_RAW, XSR_LAYER_NONE, 0, h, sizeof(h));
}

static void b_trailing(struct sb *s)
{
    pv(s, 3);
    sb_add(s, SB_RAW, XSR_LAYER_NONE, 0, "junk!", 5);
}

static void b_legacy(struct sb *s)
{
    pv(s, 3);
    sb_wrap_libxl(s, LE);
    sb_wrap_xl(s, LE);
    xsr_st32(s->items[0].body + 36, XSR_XL_FLAG_JSON, LE); /* no STREAMv2 */
}

static void b_suppressed(struct sb *s)
{
    pv(s, 3);
    size_t at = must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0));
    for (unsigned i = 0; i < 110; i++) {
        uint64_t w = xsr_pfn_word_make(XSR_PFN_XTAB, 0x100 + i) | (1ULL << 55);
        add_page_data_at(s, at++, &w, 1);
    }
}

/* ------------------------------------------------------------ xl */

static void xl(struct sb *s)
{
    pv(s, 3);
    sb_wrap_libxl(s, LE);
    sb_wrap_xl(s, LE);
}

static void b_xl_mandatory(struct sb *s)
{
    xl(s);
    xsr_st32(s->items[0].body + 36, XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2 | 0x10, LE);
}

static void b_xl_optional(struct sb *s)
{
    xl(s);
    xsr_st32(s->items[0].body + 40, 1, LE);
}

static void b_xl_config_length(struct sb *s)
{
    xl(s);
    uint32_t opt = xsr_ld32(s->items[0].body + 44, LE);
    xsr_st32(s->items[0].body + 48, opt - 3, LE); /* one byte more than is there */
}

static void b_xl_json(struct sb *s)
{
    xl(s);
    struct sb_item *it = &s->items[0];
    it->body[it->len - 1] = '}';
}

static void b_xl_no_config(struct sb *s)
{
    xl(s);
    xsr_st32(s->items[0].body + 44, 0, LE);
    sb_set_body(s, 0, s->items[0].body, 48);
}

static void b_xl_big_endian(struct sb *s)
{
    pv(s, 3);
    sb_wrap_libxl(s, LE);
    sb_wrap_xl(s, BE);
}

/* ------------------------------------------------------------ libxl */

static void lx(struct sb *s)
{
    pv(s, 3);
    sb_wrap_libxl(s, LE);
}

static void lx_hvm(struct sb *s)
{
    hvm(s, 3);
    sb_wrap_libxl(s, LE);
}

static void b_libxl_version(struct sb *s)
{
    lx(s);
    xsr_st32(s->items[0].body + 8, 3, BE);
}

static void b_libxl_options(struct sb *s)
{
    lx(s);
    xsr_st32(s->items[0].body + 12, 0x4, BE);
}

static void b_libxl_big_endian(struct sb *s)
{
    pv(s, 3);
    sb_wrap_libxl(s, BE);
}

static void b_libxl_converted(struct sb *s)
{
    lx(s);
    xsr_st32(s->items[0].body + 12, XSR_LIBXL_OPT_LEGACY, BE);
}

static void b_libxl_unknown(struct sb *s)
{
    lx(s);
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, 6, NULL, 0);
}

static void b_libxl_unknown_optional(struct sb *s)
{
    lx(s);
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, 0x80000006u, NULL, 8);
}

static void b_libxl_length(struct sb *s)
{
    lx(s);
    sb_set_body(s, libxl_end(s), "\0\0\0\0", 4);
}

static size_t emu(struct sb *s, uint32_t type, unsigned nth)
{
    return must(sb_find(s, SB_REC, XSR_LAYER_LIBXL, type, nth));
}

static void b_libxl_emu_short(struct sb *s)
{
    lx_hvm(s);
    sb_set_body(s, emu(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 0), "\2\0\0\0", 4);
}

static void b_libxl_emu_id(struct sb *s)
{
    lx_hvm(s);
    xsr_st32(s->items[emu(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 0)].body, 3, LE);
}

static void b_libxl_emu_pv(struct sb *s)
{
    lx(s);
    uint8_t e[12] = { 2 };
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_EMULATOR_CONTEXT, e, 12);
}

static void b_libxl_xs_nul(struct sb *s)
{
    lx_hvm(s);
    struct sb_item *it = &s->items[emu(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0)];
    it->body[it->len - 1] = 'x';
}

static void b_libxl_xs_odd(struct sb *s)
{
    lx_hvm(s);
    static const char kv[] = "a\0b\0c";
    uint8_t b[8 + sizeof(kv)] = { 2 };
    memcpy(b + 8, kv, sizeof(kv));
    sb_set_body(s, emu(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0), b, sizeof(b));
}

/* libxl refuses an empty key, and a key that is not relative */
static void b_libxl_xs_empty_key(struct sb *s)
{
    lx_hvm(s);
    static const char kv[] = "a\0b\0\0c";
    uint8_t b[8 + sizeof(kv)] = { 2 };
    memcpy(b + 8, kv, sizeof(kv));
    sb_set_body(s, emu(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0), b, sizeof(b));
}

static void b_libxl_xs_absolute_key(struct sb *s)
{
    lx_hvm(s);
    static const char kv[] = "a\0/b\0/local/domain/0/x\0d\0/e\0f";
    uint8_t b[8 + sizeof(kv)] = { 2 };
    memcpy(b + 8, kv, sizeof(kv));
    sb_set_body(s, emu(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0), b, sizeof(b));
}

static void b_libxl_cp_state(struct sb *s)
{
    lx(s);
    uint8_t b[4];
    xsr_st32(b, 7, LE);
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_CHECKPOINT_STATE, b, 4);
}

static void b_libxl_cp_state_len(struct sb *s)
{
    lx(s);
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_CHECKPOINT_STATE, "\1", 1);
}

static void b_libxl_cp_end_outside(struct sb *s)
{
    lx(s);
    sb_insert(s, libxl_end(s), SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_CHECKPOINT_END, NULL, 0);
}

/* The libxl stream ends while the libxc stream is paused at a CHECKPOINT. */
static void b_libxl_cp_end_missing(struct sb *s)
{
    lx(s);
    s->items[end_idx(s)].type = XSR_REC_CHECKPOINT;
}

static void b_libxl_libxc_dup(struct sb *s)
{
    sb_init(s, LE);
    sb_pv(s, 3, 8);
    size_t first = s->n;
    sb_pv(s, 3, 8);
    sb_wrap_libxl(s, LE);
    sb_insert(s, first + 2, SB_REC, XSR_LAYER_LIBXL, XSR_LIBXL_REC_LIBXC_CONTEXT, NULL, 0);
}

static void b_libxl_libxc_missing(struct sb *s)
{
    lx(s);
    while (s->n > 1 && s->items[1].kind != SB_REC)
        sb_remove(s, 1);
    while (s->n > 2)
        sb_remove(s, 1); /* keep the header and the libxl END */
}

static void b_libxl_order(struct sb *s)
{
    lx_hvm(s);
    sb_move(s, emu(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 0), 1);
}

static void b_libxl_padding(struct sb *s)
{
    lx_hvm(s);
    s->items[emu(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 0)].pad_fill = 0xee;
}

/* ------------------------------------------------------------ headers */

static void b_ihdr_version(struct sb *s)
{
    pv(s, 3);
    xsr_st32(s->items[0].body + 12, 5, BE);
}

static void b_ihdr_options(struct sb *s)
{
    pv(s, 3);
    xsr_st16(s->items[0].body + 16, 0x4, BE);
}

static void b_ihdr_reserved(struct sb *s)
{
    pv(s, 3);
    xsr_st32(s->items[0].body + 20, 1, BE);
}

static void b_ihdr_big_endian(struct sb *s)
{
    sb_init(s, BE);
    sb_pv(s, 4, 8);
}

static void b_dhdr_type(struct sb *s)
{
    pv(s, 3);
    xsr_st32(s->items[1].body, 7, LE);
}

static void b_dhdr_pvh(struct sb *s)
{
    pv(s, 3);
    xsr_st32(s->items[1].body, XSR_DOM_X86_PVH, LE);
}

static void b_dhdr_page_shift(struct sb *s)
{
    pv(s, 3);
    xsr_st16(s->items[1].body + 4, 13, LE);
}

/* page_shift written big-endian in a stream whose image header says
 * little-endian: the message names the byte-order bit */
static void b_dhdr_page_shift_swapped(struct sb *s)
{
    pv(s, 3);
    xsr_st16(s->items[1].body + 4, XSR_PAGE_SHIFT, BE);
}

static void b_dhdr_reserved(struct sb *s)
{
    pv(s, 3);
    xsr_st16(s->items[1].body + 6, 1, LE);
}

static void b_dhdr_converted(struct sb *s)
{
    pv(s, 3);
    xsr_st32(s->items[1].body + 8, 0, LE);
    xsr_st32(s->items[1].body + 12, 1, LE);
}

/* ------------------------------------------------------------ records */

static void b_rec_padding(struct sb *s)
{
    pv(s, 3);
    insert_before_end(s, 0x80000010u, "abcde", 5);
    s->items[end_idx(s) - 1].pad_fill = 0x01;
}

static void b_rec_unknown(struct sb *s)
{
    pv(s, 3);
    insert_before_end(s, 0x14, "12345678", 8);
}

static void b_rec_optional(struct sb *s)
{
    pv(s, 3);
    insert_before_end(s, 0x80000001u, "12345678", 8);
}

static void b_rec_not_empty(struct sb *s)
{
    pv(s, 3);
    sb_set_body(s, end_idx(s), "\0\0\0\0\0\0\0\0", 8);
}

static void b_version_record_cpuid(struct sb *s)
{
    pv(s, 2);
    uint8_t leaf[24] = { 0 };
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)) + 1,
                  XSR_REC_X86_CPUID_POLICY, leaf, 24);
}

static void b_version_record_domctx(struct sb *s)
{
    pv(s, 3);
    uint32_t len;
    uint8_t *b = sb_domctx_blob(LE, 8, true, &len);
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)),
                  XSR_REC_DOMAIN_CONTEXT, b, len);
    free(b);
}

static void b_pv_in_hvm(struct sb *s)
{
    hvm(s, 3);
    insert_before_end(s, XSR_REC_SHARED_INFO, NULL, 4096);
}

static void b_hvm_in_pv(struct sb *s)
{
    pv(s, 3);
    uint8_t p[8] = { 0 };
    insert_before_end(s, XSR_REC_HVM_PARAMS, p, 8 + 0);
    xsr_st32(body(s, XSR_REC_HVM_PARAMS, 0), 0, LE);
}

static void b_order_pv(struct sb *s)
{
    pv(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_PV_P2M_FRAMES, 0)),
            must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)));
}

static void b_order_pv_vcpu(struct sb *s)
{
    pv(s, 3);
    /* a vCPU record before the memory */
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_MSRS, 0)),
            must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0)));
}

/* ------------------------------------------------------------ PAGE_DATA */

static void b_pd_length(struct sb *s)
{
    pv(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0));
    uint32_t len = s->items[i].len;
    uint8_t *b = calloc(1, len + 8);
    memcpy(b, s->items[i].body, len);
    sb_set_body(s, i, b, len + 8);
    free(b);
}

static void b_pd_short(struct sb *s)
{
    pv(s, 3);
    uint8_t b[16] = { 0 };
    xsr_st32(b, 2, LE); /* two pfns announced, one word present */
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0)), b, 16);
}

static void b_pd_count_zero(struct sb *s)
{
    pv(s, 3);
    uint8_t b[8] = { 0 };
    insert_before_end(s, XSR_REC_PAGE_DATA, b, 8);
    sb_move(s, end_idx(s) - 1, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)));
}

static void b_pd_reserved(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_PAGE_DATA, 1, 4, 0x100);
}

static void b_pd_pfn_reserved(struct sb *s)
{
    pv(s, 3);
    uint8_t *b = body(s, XSR_REC_PAGE_DATA, 0);
    xsr_st64(b + 8, xsr_ld64(b + 8, LE) | (1ULL << 52), LE);
}

static void b_pd_pfn_type(struct sb *s)
{
    pv(s, 3);
    uint64_t w = xsr_pfn_word_make(5, 7);
    add_page_data_at(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)), &w, 1);
}

static void b_pd_duplicate(struct sb *s)
{
    pv(s, 3);
    uint64_t w[] = { xsr_pfn_word_make(XSR_PFN_NOTAB, 7), xsr_pfn_word_make(XSR_PFN_XTAB, 6),
                     xsr_pfn_word_make(XSR_PFN_NOTAB, 7) };
    add_page_data_at(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)), w, 3);
}

static void b_pd_large(struct sb *s)
{
    pv(s, 3);
    uint64_t w[1025];
    for (unsigned i = 0; i < 1025; i++)
        w[i] = xsr_pfn_word_make(XSR_PFN_XTAB, i);
    add_page_data_at(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)), w, 1025);
}

/* A duplicate past the first 1048576 pfns of one record. */
static void b_pd_duplicate_far(struct sb *s)
{
    pv(s, 3);
    uint32_t n = (1u << 20) + 2;
    uint64_t *w = malloc(n * sizeof(*w));
    assert_non_null(w);
    for (uint32_t i = 0; i < n; i++)
        w[i] = xsr_pfn_word_make(XSR_PFN_XTAB, n - i); /* descending: sorted copy */
    w[n - 1] = xsr_pfn_word_make(XSR_PFN_XTAB, 7);
    add_page_data_at(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)), w, n);
    free(w);
}

static void b_pd_beyond(struct sb *s)
{
    pv(s, 3);
    uint64_t w = xsr_pfn_word_make(XSR_PFN_XTAB, 0x400);
    add_page_data_at(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)), &w, 1);
}

/* ------------------------------------------------------------ PV */

static void set_pv_info(struct sb *s, const uint8_t *b, uint32_t len)
{
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)), b, len);
}

static void b_pvi_long(struct sb *s)
{
    pv(s, 3);
    uint8_t b[16] = { 8, 4 };
    set_pv_info(s, b, 16);
}

static void b_pvi_short(struct sb *s)
{
    pv(s, 3);
    uint8_t b[4] = { 8, 4 };
    set_pv_info(s, b, 4);
}

static void b_pvi_width(struct sb *s)
{
    pv(s, 3);
    uint8_t b[8] = { 6, 4 };
    set_pv_info(s, b, 8);
}

static void b_pvi_levels(struct sb *s)
{
    pv(s, 3);
    uint8_t b[8] = { 8, 3 };
    set_pv_info(s, b, 8);
}

static void b_pvi_reserved(struct sb *s)
{
    pv(s, 3);
    uint8_t b[8] = { 8, 4, 0, 0, 1 };
    set_pv_info(s, b, 8);
}

static void b_pvi_duplicate(struct sb *s)
{
    pv(s, 3);
    uint8_t b[8] = { 8, 4 };
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)) + 1, XSR_REC_X86_PV_INFO, b, 8);
}

static void b_pvi_missing(struct sb *s)
{
    pv(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)));
}

static void b_p2m_before_pvi(struct sb *s)
{
    pv(s, 2);
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)),
            must(sb_find_rec(s, XSR_REC_X86_PV_P2M_FRAMES, 0)) + 1);
}

static void b_p2m_range(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_X86_PV_P2M_FRAMES, 0, 0, 0x400);
}

static void b_p2m_length(struct sb *s)
{
    pv(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_X86_PV_P2M_FRAMES, 0));
    sb_set_body(s, i, s->items[i].body, 16);
}

static void b_p2m_length_32(struct sb *s)
{
    /* A 32-bit guest: 1024 entries per frame, so 0..0x7ff needs 2 frames. */
    sb_init(s, LE);
    sb_pv(s, 3, 4);
    set_u32(s, XSR_REC_X86_PV_P2M_FRAMES, 0, 4, 0x7ff);
}

static void b_p2m_missing(struct sb *s)
{
    pv(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_X86_PV_P2M_FRAMES, 0)));
}

static void set_vcpu(struct sb *s, uint32_t type, uint32_t id, uint32_t reserved, uint32_t ctx_len,
                     uint8_t fill)
{
    uint8_t *b = calloc(1, 8 + ctx_len + 1);
    xsr_st32(b, id, LE);
    xsr_st32(b + 4, reserved, LE);
    memset(b + 8, fill, ctx_len);
    sb_set_body(s, must(sb_find_rec(s, type, 0)), b, 8 + ctx_len);
    free(b);
}

static void b_vcpu_length(struct sb *s)
{
    pv(s, 3);
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_EXTENDED, 0)), "\0\0\0\0", 4);
}

static void b_vcpu_id(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_EXTENDED, 4096, 0, 64, 0);
}

static void b_vcpu_reserved(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_EXTENDED, 0, 1, 64, 0);
}

static void b_vcpu_basic_size(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_BASIC, 0, 0, 2800, 0x11);
}

static void b_vcpu_basic_empty(struct sb *s)
{
    pv(s, 3);
    /* vCPU 1: empty; vCPU 0 stays valid */
    uint8_t b[8] = { 1 };
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)) + 1,
                  XSR_REC_X86_PV_VCPU_BASIC, b, 8);
}

static void b_vcpu_ext_size(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_EXTENDED, 0, 0, 136, 0);
}

static void b_vcpu_xsave_size(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_XSAVE, 0, 0, 8, 0);
}

static void b_vcpu_msrs_size(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_MSRS, 0, 0, 20, 0);
}

static void b_vcpu_msrs_reserved(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_X86_PV_VCPU_MSRS, 0, 8 + 4, 1);
}

static void b_vcpu_empty(struct sb *s)
{
    pv(s, 3);
    set_vcpu(s, XSR_REC_X86_PV_VCPU_XSAVE, 0, 0, 0, 0);
}

static void b_vcpu_basic_missing(struct sb *s)
{
    pv(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0)));
}

static void b_shinfo_length(struct sb *s)
{
    pv(s, 3);
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_SHARED_INFO, 0)), NULL, 4095);
}

static void b_shinfo_before_pvi(struct sb *s)
{
    pv(s, 2);
    sb_move(s, must(sb_find_rec(s, XSR_REC_SHARED_INFO, 0)), 2);
}

/* ------------------------------------------------------------ common */

static void b_tsc_length(struct sb *s)
{
    pv(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_X86_TSC_INFO, 0));
    sb_set_body(s, i, s->items[i].body, 20);
}

static void b_tsc_reserved(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_X86_TSC_INFO, 0, 20, 1);
}

static void b_tsc_mode(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_X86_TSC_INFO, 0, 0, 3);
}

static void b_cpuid_length(struct sb *s)
{
    pv(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_X86_CPUID_POLICY, 0));
    sb_set_body(s, i, s->items[i].body, 25);
}

static void b_msrp_length(struct sb *s)
{
    pv(s, 3);
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_X86_MSR_POLICY, 0)), NULL, 0);
}

static void b_msrp_flags(struct sb *s)
{
    pv(s, 3);
    set_u32(s, XSR_REC_X86_MSR_POLICY, 0, 4, 1);
}

static void b_toolstack(struct sb *s)
{
    hvm(s, 3);
    insert_before_end(s, XSR_REC_TOOLSTACK, "physmap!", 8);
}

static void b_dirty_pfn_list(struct sb *s)
{
    pv(s, 3);
    insert_before_end(s, XSR_REC_CHECKPOINT_DIRTY_PFN_LIST, NULL, 8);
}

static void b_checkpoint_after_verify(struct sb *s)
{
    pv(s, 3);
    size_t basic = must(sb_find_rec(s, XSR_REC_X86_PV_VCPU_BASIC, 0));
    sb_insert_rec(s, basic, XSR_REC_VERIFY, NULL, 0);
    insert_before_end(s, XSR_REC_CHECKPOINT, NULL, 0);
}

static void b_checkpoint_early(struct sb *s)
{
    pv(s, 3);
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)) + 1, XSR_REC_CHECKPOINT, NULL, 0);
}

static void b_checkpoint_stream(struct sb *s)
{
    pv(s, 3);
    insert_before_end(s, XSR_REC_CHECKPOINT, NULL, 0);
}

/* ------------------------------------------------------------ HVM */

static void b_hvmctx_empty(struct sb *s)
{
    hvm(s, 3);
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0)), NULL, 0);
}

static void b_hvmctx_missing(struct sb *s)
{
    hvm(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0)));
}

static void b_hvmctx_no_end(struct sb *s)
{
    hvm(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0));
    sb_set_body(s, i, s->items[i].body, s->items[i].len - 8);
}

static void b_hvmctx_past_end(struct sb *s)
{
    hvm(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0));
    xsr_st32(s->items[i].body + 8 + 24 + 4, 5000, LE); /* CPU entry length */
}

static void b_hvmctx_header(struct sb *s)
{
    hvm(s, 3);
    xsr_st32(body(s, XSR_REC_HVM_CONTEXT, 0) + 8, 0x12345678, LE);
}

static void b_hvmctx_unknown(struct sb *s)
{
    hvm(s, 3);
    xsr_st16(body(s, XSR_REC_HVM_CONTEXT, 0) + 8 + 24, 25, LE);
}

static void b_hvmctx_trailing(struct sb *s)
{
    hvm(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0));
    uint32_t len = s->items[i].len;
    uint8_t *b = calloc(1, len + 8);
    memcpy(b, s->items[i].body, len);
    sb_set_body(s, i, b, len + 8);
    free(b);
}

/* Rebuild the HVM context with the first entry of type t given len bytes
 * (its body cut, or zero-extended; added before END if there is none), and a second HEADER after the first if
 * header_again. */
static void hvmctx_edit(struct sb *s, uint16_t t, uint32_t len, bool header_again)
{
    size_t i = must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0));
    size_t cap = s->items[i].len + 4096, off = 0;
    uint8_t *b = calloc(1, cap), *zero = calloc(1, 4096);
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    struct xsr_error err;
    bool done = false;
    assert_non_null(b);
    assert_non_null(zero);
    xsr_hvmctx_iter_init(&it, s->items[i].body, s->items[i].len, LE);
    while (xsr_hvmctx_next(&it, &e, &err) == 1) {
        const uint8_t *body = e.body;
        uint32_t n = e.desc.length;
        if (e.desc.typecode == t && !done) {
            done = true;
            if (len > n) {
                memcpy(zero, e.body, n);
                body = zero;
            }
            n = len;
        }
        assert_int_equal(xsr_hvmctx_put(b, cap, &off, e.desc.typecode, e.desc.instance, body, n, LE), 0);
        if (e.desc.typecode == XSR_HVMCTX_HEADER && header_again) {
            header_again = false;
            assert_int_equal(xsr_hvmctx_put(b, cap, &off, XSR_HVMCTX_HEADER, 0, zero, 24, LE), 0);
        }
        if (e.desc.typecode == XSR_HVMCTX_END)
            break;
    }
    if (!done) { /* not in the blob: add it, all zero, before END */
        off -= XSR_HVMCTX_DESC_SIZE;
        assert_int_equal(xsr_hvmctx_put(b, cap, &off, t, 0, zero, len, LE), 0);
        assert_int_equal(xsr_hvmctx_put(b, cap, &off, XSR_HVMCTX_END, 0, NULL, 0, LE), 0);
    }
    sb_set_body(s, i, b, (uint32_t)off);
    free(zero);
    free(b);
}

static void b_hvmctx_cpu_long(struct sb *s)
{
    hvm(s, 3);
    hvmctx_edit(s, XSR_HVMCTX_CPU, 1040, false);
}

static void b_hvmctx_pic_short(struct sb *s)
{
    hvm(s, 3);
    hvmctx_edit(s, XSR_HVMCTX_PIC, 0, false);
}

static void b_hvmctx_xsave_short(struct sb *s)
{
    hvm(s, 3);
    hvmctx_edit(s, XSR_HVMCTX_CPU_XSAVE, 100, false);
}

static void b_hvmctx_header_again(struct sb *s)
{
    hvm(s, 3);
    hvmctx_edit(s, XSR_HVMCTX_END, 0, true);
}

static void b_hvmp_length(struct sb *s)
{
    hvm(s, 3);
    set_u32(s, XSR_REC_HVM_PARAMS, 0, 0, 3);
}

static void b_hvmp_reserved(struct sb *s)
{
    hvm(s, 3);
    set_u32(s, XSR_REC_HVM_PARAMS, 0, 4, 1);
}

static void b_hvmp_empty(struct sb *s)
{
    hvm(s, 3);
    uint8_t b[8] = { 0 };
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_HVM_PARAMS, 0)), XSR_REC_HVM_PARAMS, b, 8);
}

static void b_hvm_order(struct sb *s)
{
    hvm(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_HVM_PARAMS, 0)), end_idx(s));
}

/* ------------------------------------------------------------ static data */

static void b_sde_v2(struct sb *s)
{
    pv(s, 2);
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)) + 1, XSR_REC_STATIC_DATA_END,
                  NULL, 0);
}

static void b_sde_missing(struct sb *s)
{
    pv(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0)));
}

static void b_sde_missing_hvm_nomem(struct sb *s)
{
    /* no memory at all: the END finds it missing */
    hvm(s, 3);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0)));
    sb_remove(s, must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0)));
}

static void b_sde_duplicate(struct sb *s)
{
    pv(s, 3);
    size_t i = must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0));
    sb_insert_rec(s, i, XSR_REC_STATIC_DATA_END, NULL, 0);
}

static void b_sde_after_inferred(struct sb *s)
{
    pv(s, 2);
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0)) + 1, XSR_REC_STATIC_DATA_END,
                  NULL, 0);
}

static void b_static_after_end(struct sb *s)
{
    pv(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_CPUID_POLICY, 0)),
            must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0)) + 1);
}

static void b_pvi_after_end(struct sb *s)
{
    pv(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_PV_INFO, 0)),
            must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0)) + 1);
}

static size_t sde_idx(struct sb *s)
{
    return must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0));
}

static void b_order_static_hvm_context(struct sb *s)
{
    hvm(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0)), sde_idx(s));
}

static void b_order_static_hvm_params(struct sb *s)
{
    hvm(s, 4);
    sb_move(s, must(sb_find_rec(s, XSR_REC_HVM_PARAMS, 0)), sde_idx(s));
}

static void b_order_static_tsc(struct sb *s)
{
    hvm(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_X86_TSC_INFO, 0)), sde_idx(s));
}

static void b_order_static_shinfo(struct sb *s)
{
    pv(s, 3);
    sb_move(s, must(sb_find_rec(s, XSR_REC_SHARED_INFO, 0)), sde_idx(s));
}

static void b_order_static_v2(struct sb *s)
{
    /* version 2 has no STATIC_DATA_END to come after */
    hvm(s, 2);
    sb_move(s, must(sb_find_rec(s, XSR_REC_HVM_CONTEXT, 0)),
            must(sb_find_rec(s, XSR_REC_PAGE_DATA, 0)));
}

static void b_order_static_sde_missing(struct sb *s)
{
    /* only static-data-end.missing, at the memory: no finding per later record */
    hvm(s, 3);
    sb_remove(s, sde_idx(s));
}

/* ------------------------------------------------------------ v4 */

static void b_v4_tsc(struct sb *s)
{
    pv(s, 4);
    uint8_t t[24] = { 0 };
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0)), XSR_REC_X86_TSC_INFO, t, 24);
}

static void b_v4_shinfo(struct sb *s)
{
    pv(s, 4);
    sb_insert_rec(s, must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0)), XSR_REC_SHARED_INFO, NULL,
                  4096);
}

static void b_v4_missing(struct sb *s)
{
    pv(s, 4);
    sb_remove(s, must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0)));
}

static void b_v4_missing_cp(struct sb *s)
{
    /* checkpoint 1 has its DOMAIN_CONTEXT, checkpoint 2 has memory but none */
    pv(s, 4);
    size_t e = end_idx(s);
    sb_insert_rec(s, e, XSR_REC_CHECKPOINT, NULL, 0);
    uint64_t w = xsr_pfn_word_make(XSR_PFN_NOTAB, 0);
    add_page_data_at(s, e + 1, &w, 1);
    sb_insert_rec(s, e + 2, XSR_REC_CHECKPOINT, NULL, 0);
}

static void b_v4_duplicate(struct sb *s)
{
    pv(s, 4);
    size_t i = must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0));
    sb_insert_rec(s, i, XSR_REC_DOMAIN_CONTEXT, s->items[i].body, s->items[i].len);
}

static void b_order_domctx(struct sb *s)
{
    hvm(s, 4);
    sb_move(s, must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0)),
            must(sb_find_rec(s, XSR_REC_STATIC_DATA_END, 0)));
}

/* ------------------------------------------------------------ DOMAIN_CONTEXT */

static void v4pv(struct sb *s)
{
    pv(s, 4);
}

static void b_dc_empty(struct sb *s)
{
    v4pv(s);
    sb_set_body(s, must(sb_find_rec(s, XSR_REC_DOMAIN_CONTEXT, 0)), NULL, 0);
}

static void b_dc_framing(struct sb *s)
{
    v4pv(s);
    dc_splice(s, 20, NULL, 0); /* HEADER says 16 bytes follow, 12 do */
}

static void b_dc_header_first(struct sb *s)
{
    v4pv(s);
    /* drop the HEADER entry: the blob starts with SHARED_INFO */
    uint8_t *b = dc(s);
    uint8_t rest[DC_LEN - DC_SH];
    memcpy(rest, b + DC_SH, sizeof(rest));
    dc_splice(s, 0, rest, sizeof(rest));
}

static void b_dc_header_length(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t rest[8 + 8 + DC_LEN - DC_SH];
    dc_desc(rest, 1, 0, 8);
    memcpy(rest + 8, b + 8, 8);
    memcpy(rest + 16, b + DC_SH, DC_LEN - DC_SH);
    dc_splice(s, 0, rest, sizeof(rest));
}

static void b_dc_magic(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + 8, 0x45564153, LE);
}

static void b_dc_version(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + 8 + 8, 2, LE);
}

static void b_dc_header_padding(struct sb *s)
{
    v4pv(s);
    dc(s)[8 + 13] = 1;
}

static void b_dc_instance(struct sb *s)
{
    v4pv(s);
    xsr_st16(dc(s) + DC_SH + 2, 1, LE);
}

static void b_dc_unknown(struct sb *s)
{
    v4pv(s);
    uint8_t tail[8 + 8 + 8];
    dc_desc(tail, 9, 0, 8);
    memset(tail + 8, 0, 8);
    dc_desc(tail + 16, 0, 0, 0);
    dc_splice(s, DC_END, tail, sizeof(tail));
}

static void b_dc_length_align(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t rest[8 + 12 + DC_LEN - DC_SH];
    dc_desc(rest, 1, 0, 12); /* HEADER without its padding */
    memcpy(rest + 8, b + 8, 12);
    memcpy(rest + 20, b + DC_SH, DC_LEN - DC_SH);
    dc_splice(s, 0, rest, sizeof(rest));
}

static void b_dc_duplicate(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t tail[32 + 8];
    memcpy(tail, b + DC_TSC, 32); /* TSC_INFO again */
    dc_desc(tail + 32, 0, 0, 0);
    dc_splice(s, DC_END, tail, sizeof(tail));
}

static void b_dc_duplicate_header(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t tail[24 + 8];
    memcpy(tail, b, 24); /* HEADER again */
    dc_desc(tail + 24, 0, 0, 0);
    dc_splice(s, DC_END, tail, sizeof(tail));
}

static void b_dc_shinfo_flags(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + DC_SH + 8, 2, LE);
}

static void b_dc_shinfo_size(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + DC_SH + 12, 4000, LE);
}

static void b_dc_shinfo_fit(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + DC_SH + 4, 1000, LE); /* length too small for buffer_size */
    /* keep the walk aligned: the next entry now starts inside the buffer,
     * so end the blob there with an END */
    uint8_t end[8];
    dc_desc(end, 0, 0, 0);
    dc_splice(s, DC_SH + 8 + 1000, end, 8);
}

static void shinfo_short_buffer(struct sb *s)
{
    /* buffer_size 3130 in a 3144-byte entry: 6 bytes after the content */
    xsr_st32(dc(s) + DC_SH + 12, 3130, LE);
}

static void b_dc_padding_pv(struct sb *s)
{
    v4pv(s);
    shinfo_short_buffer(s); /* the buffer's 0x5a bytes stay after the content */
}

static void b_dc_padding_hvm(struct sb *s)
{
    sb_init(s, LE);
    sb_hvm(s, 4);
    shinfo_short_buffer(s);
}

static void b_dc_tsc_length(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t tail[8 + 32 + 8] = { 0 };
    dc_desc(tail, 3, 0, 32);
    memcpy(tail + 8, b + DC_TSC + 8, 24);
    dc_desc(tail + 40, 0, 0, 0);
    dc_splice(s, DC_TSC, tail, sizeof(tail));
}

static void b_dc_tsc_mode(struct sb *s)
{
    v4pv(s);
    xsr_st32(dc(s) + DC_TSC + 8, 5, LE);
}

static void b_dc_end_missing(struct sb *s)
{
    v4pv(s);
    dc_splice(s, DC_END, NULL, 0);
}

static void b_dc_end_length(struct sb *s)
{
    v4pv(s);
    uint8_t end[16] = { 0 };
    dc_desc(end, 0, 0, 8);
    dc_splice(s, DC_END, end, sizeof(end));
}

static void b_dc_end_length_nonzero(struct sb *s)
{
    v4pv(s);
    uint8_t end[16] = { 0 };
    dc_desc(end, 0, 0, 8);
    end[12] = 1;
    dc_splice(s, DC_END, end, sizeof(end));
}

static void b_dc_trailing(struct sb *s)
{
    v4pv(s);
    uint8_t *b = dc(s);
    uint8_t tail[8 + 8] = { 0 };
    memcpy(tail, b + DC_END, 8);
    dc_splice(s, DC_END, tail, sizeof(tail));
}

static void b_dc_content_missing(struct sb *s)
{
    v4pv(s);
    uint8_t end[8];
    dc_desc(end, 0, 0, 0);
    dc_splice(s, DC_TSC, end, sizeof(end)); /* no TSC_INFO */
}

/* ------------------------------------------------------------ the table */

#define C(name, rule, st, le, sub) { #name, rule, st, le, sub, b_##name }
/* a second case built the same way, about another rule */
#define C2(name, builder, rule, st, le, sub) { #name, rule, st, le, sub, b_##builder }

static const struct rcase cases[] = {
    C(truncated, "stream.truncated", E, E, "ended"),
    C(framing, "stream.framing", E, E, "268435456"),
    C(trailing, "stream.trailing", E, W, "5 bytes follow the end of the libxc stream"),
    C(legacy, "stream.legacy", E, E, "legacy (pre-v2) stream"),
    C(suppressed, "check.suppressed", N, N, "rule page-data.pfn-reserved"),

    C(xl_mandatory, "xl.mandatory-flags", E, E, "unknown bits 0x00000010"),
    C(xl_optional, "xl.optional-flags", W, W, "optional_flags is 0x00000001"),
    C(xl_config_length, "xl.config-length", E, E, "exceeds"),
    C(xl_json, "xl.json-config", E, E, "does not end with a NUL"),
    C(xl_no_config, "xl.no-config", W, W, "no domain configuration"),
    C(xl_big_endian, "xl.big-endian", N, N, "big-endian"),

    C(libxl_version, "libxl.version", E, E, "version is 3"),
    C(libxl_options, "libxl.options-reserved", E, W, "reserved bits 0x00000004"),
    C(libxl_big_endian, "libxl.big-endian", N, N, "big-endian"),
    C(libxl_converted, "libxl.converted", N, N, "converted from a legacy"),
    C(libxl_unknown, "libxl.unknown-record", E, E, "0x00000006"),
    C(libxl_unknown_optional, "libxl.unknown-record", E, E, "0x80000006"),
    C(libxl_length, "libxl.length", E, W, "a body of 4 bytes"),
    C(libxl_emu_short, "libxl.emulator-short", E, E, "length 4"),
    C(libxl_emu_id, "libxl.emulator-id", E, E, "emulator id 3"),
    C(libxl_emu_pv, "libxl.emulator-in-pv", E, E, "x86 PV"),
    C(libxl_xs_nul, "libxl.xenstore-data", E, E, "not NUL-terminated"),
    C(libxl_xs_odd, "libxl.xenstore-data", E, E, "holds 3 strings"),
    C(libxl_xs_empty_key, "libxl.xenstore-data", E, E, "key 1 (string 2) is empty"),
    C(libxl_xs_absolute_key, "libxl.xenstore-data", E, E,
      "key 1 (string 2) starts with '/' (2 keys do)"),
    C(libxl_cp_state, "libxl.checkpoint-state", E, E, "control id 7"),
    C(libxl_cp_state_len, "libxl.checkpoint-state", E, E, "length 1"),
    C(libxl_cp_end_outside, "libxl.checkpoint-end-outside", E, E, "without a preceding"),
    C(libxl_cp_end_missing, "libxl.checkpoint-end-missing", E, E, "inside a checkpoint"),
    C(libxl_libxc_dup, "libxl.libxc-context-duplicate", E, E, "second LIBXC_CONTEXT"),
    C(libxl_libxc_missing, "libxl.libxc-context-missing", E, E, "no domain"),
    C(libxl_order, "libxl.order", E, W, "before LIBXC_CONTEXT"),
    C(libxl_padding, "rec.padding", E, W, "padding bytes"),

    C(ihdr_version, "ihdr.version", E, E, "version 5"),
    C(ihdr_options, "ihdr.reserved", E, W, "options bits 1-15 0x0004"),
    C(ihdr_reserved, "ihdr.reserved", E, W, "0x00000001"),
    C(ihdr_big_endian, "ihdr.big-endian", N, N, "big-endian"),
    C(dhdr_type, "dhdr.type", E, E, "domain type 7"),
    C(dhdr_pvh, "dhdr.type-unrestorable", W, W, "x86 PVH"),
    C(dhdr_page_shift, "dhdr.page-shift", E, E, "page_shift is 13"),
    C(dhdr_page_shift_swapped, "dhdr.page-shift", E, E, "byte-order bit (options bit 0) does not match"),
    C(dhdr_reserved, "dhdr.reserved", E, W, "0x0001"),
    C(dhdr_converted, "dhdr.converted", N, N, "converter version 1"),

    C(rec_padding, "rec.padding", E, W, "the 3 padding bytes after the 5-byte body"),
    C(rec_unknown, "rec.unknown-mandatory", E, E, "0x00000014"),
    C(rec_optional, "rec.optional-skipped", N, N, "0x80000001"),
    C(rec_not_empty, "rec.not-empty", E, W, "a body of 8 bytes"),
    C2(end_missing_libxl, libxl_cp_end_missing, "end.missing", E, E, "no END record"),
    C(version_record_cpuid, "version.record", E, W, "X86_CPUID_POLICY"),
    C(version_record_domctx, "version.record", E, W, "version 4 only"),
    C(pv_in_hvm, "guest-type.pv-record-in-hvm", E, E, "PV guests only"),
    C(hvm_in_pv, "guest-type.hvm-record-in-pv", E, E, "HVM guests only"),
    C(order_pv, "order.pv", E, W, "PAGE_DATA before any X86_PV_P2M_FRAMES"),
    C(order_pv_vcpu, "order.pv", E, W, "vCPU record before any PAGE_DATA"),

    C(pd_length, "page-data.length", E, E, "expected"),
    C(pd_short, "page-data.length", E, E, "too short for 2 pfns"),
    C(pd_count_zero, "page-data.count-zero", E, E, "count is 0"),
    C(pd_reserved, "page-data.reserved", E, W, "0x00000100"),
    C(pd_pfn_reserved, "page-data.pfn-reserved", E, W,
      "pfn[0] has reserved bits 52-59 set: 0x0010000000000000"),
    C(pd_pfn_type, "page-data.pfn-type-invalid", E, E, "invalid page type 5"),
    C(pd_duplicate, "page-data.duplicate-pfn", E, W, "pfn 0x7 appears 2 times"),
    C(pd_large, "page-data.large-batch", N, N, "1025 pfns"),
    C(pd_duplicate_far, "page-data.duplicate-pfn", E, W, "pfn 0x7 appears 2 times"),
    C(pd_beyond, "page-data.pfn-beyond-p2m", W, W, "0x400"),

    C(pvi_long, "pv-info.length", E, W, "length 16"),
    C(pvi_short, "pv-info.length", E, E, "shorter than 8"),
    C(pvi_width, "pv-info.width", E, E, "guest_width 6"),
    C(pvi_levels, "pv-info.width-levels", E, E, "pt_levels 3"),
    C(pvi_reserved, "pv-info.reserved", E, W, "0x00000001"),
    C(pvi_duplicate, "pv-info.duplicate", E, E, "second X86_PV_INFO"),
    C(pvi_missing, "pv-info.missing", E, E, "without X86_PV_INFO"),
    C(p2m_before_pvi, "p2m.before-pv-info", E, E, "before X86_PV_INFO"),
    C(p2m_range, "p2m.range", E, E, "0x400 is greater than"),
    C(p2m_length, "p2m.length", E, E, "carries 1 frame, but pfns 0x0..0x3ff of a 64-bit guest (512 entries per frame) need 2"),
    C(p2m_length_32, "p2m.length", E, E, "need 2"),
    C(p2m_missing, "p2m.missing", E, E, "without X86_PV_P2M_FRAMES"),
    C(vcpu_length, "vcpu.length", E, E, "length 4"),
    C(vcpu_id, "vcpu.id-range", E, E, "vcpu_id 4096"),
    C(vcpu_reserved, "vcpu.reserved", E, W, "0x00000001"),
    C(vcpu_basic_size, "vcpu.basic-size", E, E, "2800 bytes"),
    C(vcpu_basic_empty, "vcpu.basic-size", E, NONE, "vcpu 1 has no context"),
    C(vcpu_ext_size, "vcpu.ext-size", E, E, "136 bytes"),
    C(vcpu_xsave_size, "vcpu.xsave-size", E, E, "8 bytes"),
    C(vcpu_msrs_size, "vcpu.msrs-size", E, E, "20 bytes"),
    C(vcpu_msrs_reserved, "vcpu.msrs-reserved", E, E, "MSR 0xc0000080"),
    C(vcpu_empty, "vcpu.empty", W, W, "no context"),
    C2(vcpu_basic_empty_lenient, vcpu_basic_empty, "vcpu.empty", NONE, W, NULL),
    C(vcpu_basic_missing, "vcpu.basic-missing", E, E, "vCPU 0"),
    C(shinfo_length, "shared-info.length", E, E, "length 4095"),
    C(shinfo_before_pvi, "shared-info.before-pv-info", E, E, "before X86_PV_INFO"),

    C(tsc_length, "tsc-info.length", E, E, "length 20"),
    C(tsc_reserved, "tsc-info.reserved", E, W, "0x00000001"),
    C(tsc_mode, "tsc-info.mode", E, E, "TSC mode 3"),
    C(cpuid_length, "cpuid.length", E, E, "length 25"),
    C(msrp_length, "msr-policy.length", E, E, "length 0"),
    C(msrp_flags, "msr-policy.flags", E, E, "flags 0x00000001"),
    C(toolstack, "toolstack.deprecated", E, W, "deprecated"),
    C(dirty_pfn_list, "dirty-pfn-list.main-stream", E, E, "back channel"),
    C(checkpoint_after_verify, "checkpoint.unexpected", E, E, "after VERIFY"),
    C(checkpoint_early, "checkpoint.unexpected", E, E, "before the static data is complete"),
    C(checkpoint_stream, "checkpoint.stream", N, N, "checkpointed"),

    C(hvmctx_empty, "hvm-context.empty", E, E, "no body"),
    C(hvmctx_missing, "hvm-context.missing", E, E, "without HVM_CONTEXT"),
    C(hvmctx_no_end, "hvm-context.framing", E, E, "no END entry"),
    C(hvmctx_past_end, "hvm-context.framing", E, E, "5000"),
    C(hvmctx_header, "hvm-context.header", E, E, "magic is 0x12345678"),
    C(hvmctx_unknown, "hvm-context.unknown-type", E, E, "type 25"),
    C(hvmctx_trailing, "hvm-context.trailing", E, W, "8 bytes follow the END entry"),
    C(hvmctx_cpu_long, "hvm-context.entry-length", E, E, "is 1040 bytes; Xen loads at most 1032"),
    C(hvmctx_pic_short, "hvm-context.entry-length", E, E, "(PIC, instance 0) is 0 bytes; Xen loads exactly 8"),
    C(hvmctx_xsave_short, "hvm-context.entry-length", E, E, "(CPU_XSAVE, vCPU 0) is 100 bytes"),
    C(hvmctx_header_again, "hvm-context.header-repeated", E, E, "a second HEADER"),
    C(hvmp_length, "hvm-params.length", E, E, "count 3"),
    C(hvmp_reserved, "hvm-params.reserved", E, W, "0x00000001"),
    C(hvmp_empty, "hvm-params.empty", W, W, "count is 0"),
    C(hvm_order, "hvm-order", N, N, "HVM_PARAMS follows HVM_CONTEXT"),

    C(sde_v2, "static-data-end.v2", E, N, "version 3 on"),
    C(sde_missing, "static-data-end.missing", E, E, "before STATIC_DATA_END"),
    C(sde_missing_hvm_nomem, "static-data-end.missing", E, E, "ends without STATIC_DATA_END"),
    C(sde_duplicate, "static-data-end.duplicate", E, E, "second STATIC_DATA_END"),
    C(sde_after_inferred, "static-data-end.duplicate", E, E, "inferred"),
    C(static_after_end, "static-data.after-end", E, W, "X86_CPUID_POLICY is static data"),
    C(pvi_after_end, "static-data.after-end", E, W, "X86_PV_INFO is static data"),
    C(order_static_hvm_context, "order.static-data", E, W,
      "HVM_CONTEXT at offset 0x78 (record 2): comes before STATIC_DATA_END"),
    C(order_static_hvm_params, "order.static-data", E, W,
      "HVM_PARAMS at offset 0x78 (record 2): comes before STATIC_DATA_END"),
    C(order_static_tsc, "order.static-data", E, W,
      "X86_TSC_INFO at offset 0x78 (record 2): comes before STATIC_DATA_END"),
    C(order_static_shinfo, "order.static-data", E, W, "SHARED_INFO at offset"),
    C(order_static_v2, "order.static-data", NONE, NONE, NULL),
    C(order_static_sde_missing, "order.static-data", NONE, NONE, NULL),

    C(v4_tsc, "v4.deprecated", E, W, "X86_TSC_INFO is deprecated"),
    C(v4_shinfo, "v4.deprecated", E, W, "SHARED_INFO is deprecated"),
    C(v4_missing, "v4.domain-context-missing", E, W, "ends without DOMAIN_CONTEXT"),
    C(v4_missing_cp, "v4.domain-context-missing", E, W, "checkpoint 2 has no DOMAIN_CONTEXT"),
    C(v4_duplicate, "v4.domain-context-duplicate", E, W, "second DOMAIN_CONTEXT"),
    C(order_domctx, "order.domain-context", E, W, "before STATIC_DATA_END"),

    C(dc_empty, "domctx.empty", E, E, "no body"),
    C(dc_framing, "domctx.framing", E, E, "length 16"),
    C(dc_header_first, "domctx.header-first", E, E, "entry 0 (SHARED_INFO) at blob offset 0x0"),
    C(dc_header_length, "domctx.header-length", E, E, "length 8"),
    C(dc_magic, "domctx.magic", E, E, "0x45564153"),
    C(dc_version, "domctx.version", E, E, "version is 2"),
    C(dc_header_padding, "domctx.header-padding", E, E, "not zero"),
    C(dc_instance, "domctx.instance", E, E, "entry 1 (SHARED_INFO) at blob offset 0x18: instance 1"),
    C(dc_unknown, "domctx.unknown-type", E, E, "typecode 9"),
    C(dc_length_align, "domctx.length-align", E, W, "length 12"),
    C(dc_duplicate, "domctx.duplicate", E, W, "second TSC_INFO"),
    C(dc_duplicate_header, "domctx.duplicate", E, E, "second HEADER"),
    C(dc_shinfo_flags, "domctx.shinfo-flags", E, E, "flags 0x00000002"),
    C(dc_shinfo_size, "domctx.shinfo-size", E, E, "buffer_size 4000"),
    C(dc_shinfo_fit, "domctx.shinfo-size", E, E, "does not fit"),
    C(dc_padding_pv, "domctx.padding", E, E, "the 6 bytes after its 3138 bytes"),
    C(dc_padding_hvm, "domctx.padding", E, W, "the 6 bytes after its 3138 bytes"),
    C(dc_tsc_length, "domctx.tsc-length", E, W, "length 32"),
    C(dc_tsc_mode, "domctx.tsc-mode", E, E, "TSC mode 5"),
    C(dc_end_missing, "domctx.end-missing", E, E, "no END entry"),
    C(dc_end_length, "domctx.end-length", E, W, "(all zero)"),
    C(dc_end_length_nonzero, "domctx.end-length", E, E, "not all zero"),
    C(dc_trailing, "domctx.trailing", E, W, "8 bytes follow the END entry"),
    C(dc_content_missing, "domctx.content-missing", W, W, "no TSC_INFO entry"),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void run_case(void **state)
{
    const struct rcase *c = *state;
    struct sb s;
    struct vc_result *r = malloc(sizeof(*r));
    assert_non_null(r);

    c->build(&s);
    vc_run_sb(&s, false, r);
    if (getenv("XSR_TEST_VERBOSE"))
        vc_dump(r);
    vc_expect(r, c->rule, c->strict, c->substr);
    vc_run_sb(&s, true, r);
    vc_expect(r, c->rule, c->lenient, NULL);
    sb_free(&s);
    free(r);
}

/* Rules the walker never lets through are tested on hand-made events in
 * test_api.c. */
static const char *const event_tested[] = {
    "ihdr.marker", "ihdr.id", "libxl.ident", "order.end-last",
};

/* Every rule of the catalogue has a negative test. */
static void every_rule_has_a_case(void **state)
{
    (void)state;
    unsigned n, missing = 0;
    const struct xsr_rule_info *rules = xsr_rules(&n);
    for (unsigned i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < NCASES && !found; j++)
            found = strcmp(cases[j].rule, rules[i].id) == 0;
        for (size_t j = 0; j < sizeof(event_tested) / sizeof(event_tested[0]) && !found; j++)
            found = strcmp(event_tested[j], rules[i].id) == 0;
        if (!found) {
            fprintf(stderr, "rule %s has no negative test\n", rules[i].id);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    /* and every case names a rule of the catalogue, with its strict severity */
    for (size_t j = 0; j < NCASES; j++) {
        unsigned i;
        for (i = 0; i < n && strcmp(cases[j].rule, rules[i].id) != 0; i++)
            ;
        assert_true(i < n);
    }
}

int main(void)
{
    static struct CMUnitTest tests[NCASES + 1];
    for (size_t i = 0; i < NCASES; i++) {
        tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
                                        .initial_state = (void *)&cases[i] };
    }
    tests[NCASES] = (struct CMUnitTest){ .name = "every_rule_has_a_case",
                                         .test_func = every_rule_has_a_case };
    return _cmocka_run_group_tests("check_rules", tests, NCASES + 1, NULL, NULL);
}
