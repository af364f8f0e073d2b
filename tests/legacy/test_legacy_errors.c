/* SPDX-License-Identifier: MIT */
/*
 * Every error path of the legacy converter: truncation at every structure
 * (and between), oversized batches, duplicate and bad pfns, unknown and
 * unsupported chunks, inconsistent sizes, bad vCPU maps, device-model
 * signatures, detection ambiguity, what versions and formats cannot carry,
 * I/O failures, and that a failed conversion leaves no output file.
 * Each error is checked for its code, its message and its byte offset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lt_util.h"
#include "testutil.h"

static struct lt_marks marks;

#define ANY_OFFSET UINT64_MAX

static void expect_fail(const uint8_t *in, size_t len, const struct xsr_legacy_opts *o, int code,
                        const char *substr, uint64_t offset)
{
    struct xsr_error err;
    uint8_t *out;
    size_t out_len;

    xsr_error_clear(&err);
    int rc = lt_convert(in, len, o, &out, &out_len, NULL, &err);
    free(out);
    if (rc != code || !strstr(err.message, substr) ||
        (offset != ANY_OFFSET && err.offset != offset))
        fail_msg("expected code %d with '%s' at offset %" PRIu64 ", got %d at offset %" PRIu64
                 ": %s", code, substr, offset, rc, err.offset, err.message);
}

static uint8_t *gen(struct xsr_legacy_gen_opts *o, size_t *len)
{
    uint8_t *b = lt_gen(o, len, &marks);
    assert_non_null(b);
    return b;
}

/* -------------------------------------------------------- truncation */

static bool is_valid_end(const struct lt_marks *m, uint64_t cut, bool hvm)
{
    /* An HVM image may end without a device model, and a Remus stream
     * after any complete image. */
    for (unsigned k = 0;; k++) {
        uint64_t dm = lt_mark(m, "device_model", k), img = lt_mark(m, "image", k + 1);
        if (dm == UINT64_MAX && img == UINT64_MAX)
            return false;
        if ((hvm && cut == dm) || cut == img)
            return true;
    }
}

static void truncate_everywhere(struct xsr_legacy_gen_opts *o, enum xsr_layer fmt)
{
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    co.format = fmt;
    size_t len;
    uint8_t *b = gen(o, &len);
    static struct lt_marks m;
    char want[64];
    unsigned tried = 0;

    m = marks;
    for (uint64_t cut = 0; cut < len; cut++) {
        bool at_mark = false;
        for (size_t i = 0; i < m.n; i++)
            if (cut == m.off[i] || cut == m.off[i] + 1 || cut == m.off[i] + 5)
                at_mark = true;
        if (!at_mark && cut % 251 != 0 && cut != len - 1)
            continue;
        tried++;
        struct xsr_error err;
        uint8_t *out;
        size_t out_len;
        xsr_error_clear(&err);
        int rc = lt_convert(b, (size_t)cut, &co, &out, &out_len, NULL, &err);
        free(out);
        if (is_valid_end(&m, cut, o->guest == XSR_DOM_X86_HVM)) {
            if (rc != 0)
                fail_msg("cut at %" PRIu64 " (a valid end) failed: %s", cut, err.message);
            continue;
        }
        snprintf(want, sizeof(want), "ends at offset %#" PRIx64, cut);
        if (rc != XSR_ETRUNC || !strstr(err.message, want) || err.offset > cut ||
            err.layer != XSR_LAYER_LEGACY)
            fail_msg("cut at %" PRIu64 " of %zu: got %d at offset %" PRIu64 ": %s", cut, len, rc,
                     err.offset, err.message);
    }
    assert_true(tried > 50);
    free(b);
}

static void test_truncation(void **state)
{
    struct xsr_legacy_gen_opts o;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.nr_pages = 40;
    o.batch = 8;
    o.all_chunks = true;
    o.xtab = true;
    o.xsave_size = 64;
    o.nr_vcpus = 2;
    truncate_everywhere(&o, XSR_LAYER_LIBXC);

    xsr_legacy_gen_opts_init(&o, 32, XSR_DOM_X86_PV);
    o.guest_width = 4;
    o.nr_pages = 40;
    o.batch = 16;
    truncate_everywhere(&o, XSR_LAYER_LIBXL);

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_HVM);
    o.nr_pages = 40;
    o.batch = 8;
    o.all_chunks = true;
    o.toolstack = true;
    o.dm_size = 300;
    truncate_everywhere(&o, XSR_LAYER_LIBXL);

    /* Remus, compressed: each complete image is a valid end */
    xsr_legacy_gen_opts_init(&o, 32, XSR_DOM_X86_HVM);
    o.nr_pages = 40;
    o.batch = 8;
    o.checkpoints = 3;
    o.compress = true;
    o.last_checkpoint = false;
    o.dm_size = 100;
    truncate_everywhere(&o, XSR_LAYER_LIBXL);
}

/* ------------------------------------------------------------- chunks */

static void test_bad_chunks(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    size_t len;
    uint8_t *b;
    (void)state;

    static const struct {
        int32_t id;
        int code;
        const char *msg;
    } cases[] = {
        { 1025, XSR_ELIMIT, "page batch of 1025 entries" },
        { 0x7fffffff, XSR_ELIMIT, "exceeds the 1024" },
        { -21, XSR_EFORMAT, "unknown chunk type -21" },
        { -1000, XSR_EFORMAT, "unknown chunk type -1000" },
        { -5, XSR_EUNSUP, "tmem" },
        { -6, XSR_EUNSUP, "tmem_extra chunk" },
        { -12, XSR_EFORMAT, "outside a compressed checkpoint" },
    };
    for (int pv = 0; pv <= 1; pv++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            /* given: an implausible first chunk would fail detection */
            co.width = pv ? 32 : 64;
            co.guest = pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM;
            xsr_legacy_gen_opts_init(&o, pv ? 32 : 64, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
            o.extra_chunk = cases[i].id;
            b = gen(&o, &len);
            expect_fail(b, len, &co, cases[i].code, cases[i].msg, lt_mark(&marks, "extra_chunk", 0));
            free(b);
        }
    /* an HVM parameter in a PV stream */
    co.width = 0;
    co.guest = 0;
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.extra_chunk = XSR_LEGACY_CHUNK_HVM_CONSOLE_PFN;
    b = gen(&o, &len);
    expect_fail(b, len, &co, XSR_EFORMAT, "hvm_console_pfn (-8)", lt_mark(&marks, "extra_chunk", 0));
    free(b);
}

/* --------------------------------------------------------- batch entries */

static void test_batch_entries(void **state)
{
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    (void)state;

    for (unsigned width = 32; width <= 64; width += 32) {
        struct xsr_legacy_gen_opts o;
        size_t len;
        unsigned ul = width / 8;
        xsr_legacy_gen_opts_init(&o, width, XSR_DOM_X86_HVM);
        o.batch = 8;
        uint8_t *b = gen(&o, &len);
        uint64_t e0 = lt_mark(&marks, "batch", 1) + 4; /* the second batch: pfns 8..15 */
        uint8_t *copy = malloc(len);

        /* the same pfn twice */
        memcpy(copy, b, len);
        memcpy(copy + e0 + ul, copy + e0, 4);
        expect_fail(copy, len, &co, XSR_EFORMAT, "repeats pfn 0x8 of the same batch", e0 + ul);
        /* the same pfn twice with different types */
        memcpy(copy, b, len);
        xsr_st32(copy + e0 + 2 * ul, 0xe0000008u, XSR_LITTLE_ENDIAN);
        expect_fail(copy, len, &co, XSR_EFORMAT, "repeats pfn", e0 + 2 * ul);
        /* an invalid page type */
        for (unsigned t = 5; t <= 8; t++) {
            memcpy(copy, b, len);
            xsr_st32(copy + e0 + 3 * ul, t << 28 | 11, XSR_LITTLE_ENDIAN);
            expect_fail(copy, len, &co, XSR_EFORMAT, "invalid page type", e0 + 3 * ul);
        }
        /* a pfn beyond the p2m size */
        memcpy(copy, b, len);
        xsr_st32(copy + e0 + 4 * ul, 256, XSR_LITTLE_ENDIAN);
        expect_fail(copy, len, &co, XSR_EFORMAT, "beyond the p2m size 0x100", e0 + 4 * ul);
        if (width == 64) {
            memcpy(copy, b, len);
            copy[e0 + 5 * ul + 4] = 1;
            expect_fail(copy, len, &co, XSR_EFORMAT, "bits above 31", e0 + 5 * ul);
        }
        free(copy);
        free(b);
    }
}

/* ---------------------------------------------------- inconsistent sizes */

static void test_inconsistent_sizes(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    size_t len;
    uint8_t *b;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.xsave_size = 64;
    o.nr_vcpus = 2;
    b = gen(&o, &len);
    uint64_t x1 = lt_mark(&marks, "vcpu_xsave", 1);
    uint64_t ext = lt_mark(&marks, "extended_info", 0);
    uint64_t vb = lt_mark(&marks, "ext_vcpu", 0);
    uint64_t xc = lt_mark(&marks, "ext_xcnt", 0);
    uint8_t *c = malloc(len);

    /* a vCPU's xsave size differs from the extended info's */
    memcpy(c, b, len);
    xsr_st64(c + x1 + 8, 63, XSR_LITTLE_ENDIAN);
    expect_fail(c, len, &co, XSR_EFORMAT, "xsave context of vCPU 1", x1);
    /* a block overruns the extended info */
    memcpy(c, b, len);
    xsr_st32(c + ext + 8, xsr_ld32(c + ext + 8, XSR_LITTLE_ENDIAN) - 1, XSR_LITTLE_ENDIAN);
    expect_fail(c, len, &co, XSR_EFORMAT, "overruns", xc);
    /* the vcpu block is neither context size */
    memcpy(c, b, len);
    xsr_st32(c + vb + 4, 0x1428, XSR_LITTLE_ENDIAN);
    xsr_st32(c + ext + 8, xsr_ld32(c + ext + 8, XSR_LITTLE_ENDIAN) - 8, XSR_LITTLE_ENDIAN);
    expect_fail(c, len, &co, XSR_EFORMAT, "neither a 64-bit", vb);
    /* an xsave size below its own 16-byte header */
    memcpy(c, b, len);
    xsr_st32(c + xc + 8, 8, XSR_LITTLE_ENDIAN);
    expect_fail(c, len, &co, XSR_EFORMAT, "xsave size of 8", xc);
    /* an unknown block (guest type given: detection would call it ambiguous) */
    memcpy(c, b, len);
    memcpy(c + vb, "zzzz", 4);
    expect_fail(c, len, &co, XSR_EUNSUP, "ambiguous", 0);
    co.guest = XSR_DOM_X86_PV;
    expect_fail(c, len, &co, XSR_EFORMAT, "unknown extended-info block 'zzzz'", vb);
    co.guest = 0;
    /* no extended info at all */
    memcpy(c, b, len);
    memset(c + ext, 0x11, 8);
    co.guest = XSR_DOM_X86_PV;
    expect_fail(c, len, &co, XSR_EUNSUP, "no extended-info block", ext);
    co.guest = 0;
    /* a p2m size of 0 */
    memcpy(c, b, len);
    memset(c, 0, 8);
    expect_fail(c, len, &co, XSR_EFORMAT, "p2m size 0 at offset 0", 0);
    free(c);
    free(b);
}

/* Hand-built 64-bit HVM streams: p2m size, chunks, end, tail. */
struct sb {
    uint8_t b[16384];
    size_t n;
};
static void sb32(struct sb *s, uint32_t v) { xsr_st32(s->b + s->n, v, XSR_LITTLE_ENDIAN); s->n += 4; }
static void sb64(struct sb *s, uint64_t v) { xsr_st64(s->b + s->n, v, XSR_LITTLE_ENDIAN); s->n += 8; }
static void sb_tail(struct sb *s, uint32_t ctx_len)
{
    sb32(s, 0);                /* end of body */
    sb64(s, 1); sb64(s, 2); sb64(s, 3); /* magic pfns */
    sb32(s, ctx_len);
    memset(s->b + s->n, 0x5a, ctx_len);
    s->n += ctx_len;
}

static void test_hand_built(void **state)
{
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    struct sb s;
    (void)state;

    /* two vcpu_info chunks in one image */
    s.n = 0;
    sb64(&s, 0x100);
    sb32(&s, (uint32_t)-2); sb32(&s, 0); sb64(&s, 1);
    sb32(&s, (uint32_t)-2); sb32(&s, 0); sb64(&s, 1);
    sb_tail(&s, 16);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "second vcpu_info", 24);
    /* a negative or too large max vCPU id */
    s.n = 0;
    sb64(&s, 0x100);
    sb32(&s, (uint32_t)-2); sb32(&s, (uint32_t)-1);
    sb_tail(&s, 16);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "max vCPU id -1", 8);
    s.n = 0;
    sb64(&s, 0x100);
    sb32(&s, (uint32_t)-2); sb32(&s, 4096);
    sb_tail(&s, 16);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "max vCPU id 4096", 8);
    /* online vCPUs above the max id */
    s.n = 0;
    sb64(&s, 0x100);
    sb32(&s, (uint32_t)-2); sb32(&s, 2); sb64(&s, 0xf);
    sb_tail(&s, 16);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "above its max", 8);
    /* an empty HVM context */
    s.n = 0;
    sb64(&s, 0x100);
    sb_tail(&s, 0);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "is empty", 8 + 4 + 24);
    /* an HVM context larger than a record */
    s.n = 0;
    sb64(&s, 0x100);
    sb_tail(&s, 16);
    xsr_st32(s.b + 8 + 4 + 24, 200u << 20, XSR_LITTLE_ENDIAN);
    expect_fail(s.b, s.n, &co, XSR_ELIMIT, "more than a record", 8 + 4 + 24);
    /* the stream said it is the last image, then an unknown signature */
    s.n = 0;
    sb64(&s, 0x100);
    sb32(&s, (uint32_t)-9);
    sb_tail(&s, 16);
    size_t dm = s.n;
    memcpy(s.b + s.n, "NotADeviceModelRecord", 21);
    s.n += 21;
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "unknown device-model signature 'NotADeviceModelRecord'",
                dm);
    /* no "last checkpoint": what follows is read as the next image */
    memmove(s.b + 8, s.b + 12, s.n - 12);
    s.n -= 4;
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "after the tail of image 1", dm - 4);
    /* a signature cut short */
    s.n = dm - 4 + 10;
    memcpy(s.b + dm - 4, XSR_LEGACY_DM_SIG, 10);
    expect_fail(s.b, s.n, &co, XSR_ETRUNC, "inside the device-model signature", dm - 4);
    /* a device-model record larger than a record */
    s.n = dm - 4;
    memcpy(s.b + s.n, XSR_LEGACY_DM_SIG, 21);
    s.n += 21;
    sb32(&s, XSR_REC_LENGTH_MAX);
    expect_fail(s.b, s.n, &co, XSR_ELIMIT, "device-model record", dm - 4);
}

static void test_toolstack_limit(void **state)
{
    /* The physmap entries of all toolstack chunks of an image become one
     * EMULATOR_XENSTORE_DATA record: the conversion stops at the chunk that
     * would take it past what a record holds, not after reading them all. */
    const uint32_t name = 15u << 20, body = 8 + 28 + name + 4; /* 64-bit: 4 bytes pad */
    const unsigned chunks = 10;
    size_t cap = 8 + chunks * (8 + (size_t)body) + 4 + 24 + 4 + 16, n = 0;
    uint8_t *b = malloc(cap);
    uint64_t at[10];
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    co.format = XSR_LAYER_LIBXL;
    (void)state;

    assert_non_null(b);
    xsr_st64(b, 0x100, XSR_LITTLE_ENDIAN);
    n = 8;
    for (unsigned i = 0; i < chunks; i++) {
        at[i] = n;
        xsr_st32(b + n, (uint32_t)XSR_LEGACY_CHUNK_TOOLSTACK, XSR_LITTLE_ENDIAN);
        xsr_st32(b + n + 4, body, XSR_LITTLE_ENDIAN);
        xsr_st32(b + n + 8, 1, XSR_LITTLE_ENDIAN);    /* version */
        xsr_st32(b + n + 12, 1, XSR_LITTLE_ENDIAN);   /* entries */
        xsr_st64(b + n + 16, i, XSR_LITTLE_ENDIAN);   /* phys */
        xsr_st64(b + n + 24, 0xf0000000, XSR_LITTLE_ENDIAN);
        xsr_st64(b + n + 32, 0x1000, XSR_LITTLE_ENDIAN);
        xsr_st32(b + n + 40, name, XSR_LITTLE_ENDIAN);
        memset(b + n + 44, 'n', name - 1);
        memset(b + n + 44 + name - 1, 0, 5);
        n += 8 + body;
    }
    xsr_st32(b + n, 0, XSR_LITTLE_ENDIAN);            /* end of body */
    memset(b + n + 4, 0, 24);                         /* magic pfns */
    xsr_st32(b + n + 28, 16, XSR_LITTLE_ENDIAN);
    memset(b + n + 32, 0x5a, 16);
    n += 48;
    assert_int_equal(n, cap);
    /* 8 names of 15 MiB fit in 128 MiB, the 9th does not */
    expect_fail(b, n, &co, XSR_ELIMIT, "EMULATOR_XENSTORE_DATA", at[8]);
    free(b);
}

static void test_trailing_garbage(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    size_t len;
    (void)state;

    /* without a "last checkpoint" chunk, bytes after the image must be the
     * next (Remus) image */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.last_checkpoint = false;
    uint8_t *b = gen(&o, &len);
    b = realloc(b, len + 64);
    memset(b + len, 0xa5, 64);
    expect_fail(b, len + 64, &co, XSR_EFORMAT, "after the tail of image 1", len);
    free(b);
}

/* -------------------------------------------------- detection and layers */

static void test_xl_and_detection(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    struct xsr_error err;
    size_t len;
    uint8_t *b;
    (void)state;

    /* an xl header announcing a libxl stream: not a legacy image */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    o.xl_header = true;
    b = gen(&o, &len);
    xsr_st32(b + 36, XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2, XSR_LITTLE_ENDIAN);
    expect_fail(b, len, &co, XSR_EUNSUP, "not a legacy one", 0);
    xsr_st32(b + 36, XSR_XL_FLAG_JSON | 0x40, XSR_LITTLE_ENDIAN);
    expect_fail(b, len, &co, XSR_EUNSUP, "unknown mandatory flags 0x40", 0);
    free(b);

    /* an empty input, and one too short to detect */
    uint8_t z[8] = { 1 };
    expect_fail(z, 0, &co, XSR_ETRUNC, "empty", 0);
    expect_fail(z, 6, &co, XSR_ETRUNC, "ends at offset 0x6", 6);

    /* a v2 stream is not legacy */
    struct xsr_gen_opts g;
    xsr_gen_opts_init(&g, 3, XSR_DOM_X86_PV);
    g.wrap = XSR_LAYER_LIBXC;
    b = tu_generate(&g, &len);
    xsr_error_clear(&err);
    uint8_t *out;
    size_t out_len;
    assert_true(lt_convert(b, len, &co, &out, &out_len, NULL, &err) < 0);
    free(out);
    free(b);

    /* bad arguments */
    struct xsr_legacy_opts bad = XSR_LEGACY_OPTS_INIT;
    bad.version = 2;
    expect_fail(z, 8, &bad, XSR_EINVAL, "version 3 or 4", ANY_OFFSET);
    bad.version = 0;
    bad.width = 48;
    expect_fail(z, 8, &bad, XSR_EINVAL, "32 or 64", ANY_OFFSET);
}

/* ------------------------------------------- what the output cannot carry */

static void test_output_limits(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    co.version = 4;
    struct xsr_error err;
    uint8_t *out;
    size_t len, out_len;
    uint8_t *b;
    (void)state;

    /* a shared info page with bytes beyond the structure: fine for v3,
     * not for v4's DOMAIN_CONTEXT */
    for (unsigned gw = 4; gw <= 8; gw += 4) {
        xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
        o.guest_width = gw;
        b = gen(&o, &len);
        uint64_t sh = lt_mark(&marks, "shared_info", 0);
        b[sh + 4000] = 1;
        expect_fail(b, len, &co, XSR_EUNSUP, gw == 8 ? "first 3136 bytes" : "first 2344 bytes", sh);
        co.version = 3;
        xsr_error_clear(&err);
        assert_int_equal(lt_convert(b, len, &co, &out, &out_len, NULL, &err), 0);
        free(out);
        co.version = 4;
        free(b);
    }

    /* a checkpointed HVM stream with a device model needs libxl output */
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_HVM);
    o.checkpoints = 2;
    o.last_checkpoint = false;
    b = gen(&o, &len);
    co.format = XSR_LAYER_LIBXC;
    co.version = 3;
    expect_fail(b, len, &co, XSR_EUNSUP, "libxl format", lt_mark(&marks, "image", 1));
    free(b);
}

/* ------------------------------------------------------- Remus payloads */

static void test_remus_corrupt(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    co.format = XSR_LAYER_LIBXL;
    size_t len;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_HVM);
    o.checkpoints = 3;
    o.compress = true;
    o.last_checkpoint = false;
    o.nr_pages = 100;
    uint8_t *b = gen(&o, &len);
    uint64_t cd = lt_mark(&marks, "compressed_data", 0), data = cd + 4 + 8;
    uint8_t *c = malloc(len);

    /* the first compressed page of all says "unchanged": against what? */
    memcpy(c, b, len);
    assert_int_equal(c[data], 0x80);
    c[data] = 0x00;
    expect_fail(c, len, &co, XSR_EFORMAT, "never sent in compressed form", data);
    /* a zero-length run after a run of one word */
    memcpy(c, b, len);
    c[data] = 0x01;
    c[data + 5] = 0x00;
    expect_fail(c, len, &co, XSR_EFORMAT, "zero-length run", data);
    /* a compressed chunk missing: the checkpoint ends with pages missing */
    uint64_t img2 = lt_mark(&marks, "image", 2), last = 0, end1 = lt_mark(&marks, "end", 1);
    for (unsigned k = 0; lt_mark(&marks, "compressed_data", k) < img2; k++)
        last = lt_mark(&marks, "compressed_data", k);
    assert_true(last > cd && end1 > last);
    size_t cut = (size_t)(4 + 8 + xsr_ld64(b + last + 4, XSR_LITTLE_ENDIAN));
    memcpy(c, b, len);
    memmove(c + last, c + last + cut, len - last - cut);
    /* (chunks split pages: either pages are missing or one is cut) */
    expect_fail(c, len - cut, &co, XSR_EFORMAT, "compressed data", end1 - cut);
    /* one compressed chunk too many */
    memcpy(c, b, len);
    c = realloc(c, len + cut);
    memmove(c + end1 + cut, c + end1, len - end1);
    memcpy(c + end1, b + last, cut);
    expect_fail(c, len + cut, &co, XSR_EFORMAT, "more pages than the page batches", end1 + 12);
    free(c);
    free(b);
}

/*
 * A hand-built Remus stream: image 0 sends pfn 0 whole and enables
 * compression; image 1 announces pfn 0 and sends its page in one or two
 * compressed-data chunks (d1, then d2 if n2).  Returns the offset of d1.
 */
static uint64_t remus_stream(struct sb *s, const uint8_t *d1, size_t n1, const uint8_t *d2, size_t n2)
{
    uint64_t at;

    s->n = 0;
    sb64(s, 0x100);
    sb32(s, 1); sb64(s, 0);                 /* batch: pfn 0 */
    memset(s->b + s->n, 0x33, XSR_PAGE_SIZE);
    s->n += XSR_PAGE_SIZE;
    sb32(s, (uint32_t)XSR_LEGACY_CHUNK_ENABLE_COMPRESSION);
    sb_tail(s, 16);
    sb32(s, 1); sb64(s, 0);                 /* image 1: batch announcing pfn 0 */
    sb32(s, (uint32_t)XSR_LEGACY_CHUNK_COMPRESSED_DATA); sb64(s, n1);
    at = s->n;
    memcpy(s->b + s->n, d1, n1);
    s->n += n1;
    if (n2) {
        sb32(s, (uint32_t)XSR_LEGACY_CHUNK_COMPRESSED_DATA); sb64(s, n2);
        memcpy(s->b + s->n, d2, n2);
        s->n += n2;
    }
    sb_tail(s, 16);
    return at;
}

static void test_remus_hand_built(void **state)
{
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    static struct sb s;
    static uint8_t runs[1024 * 5];
    uint8_t whole[1 + XSR_PAGE_SIZE];
    uint64_t at;
    (void)state;

    /* the reference: the page sent whole, split across two chunks */
    whole[0] = 0x80; /* "whole page follows" */
    memset(whole + 1, 0x44, XSR_PAGE_SIZE);
    remus_stream(&s, whole, 100, whole + 100, sizeof(whole) - 100);
    uint8_t *out;
    size_t out_len;
    struct xsr_legacy_info info = XSR_LEGACY_INFO_INIT;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(lt_convert(s.b, s.n, &co, &out, &out_len, &info, &err), 0);
    assert_true(info.compressed);
    assert_int_equal(info.compressed_pages, 1);
    free(out);

    /* 1024 runs of one word: longer than any sender's encoding of a page */
    for (unsigned i = 0; i < 1024; i++) {
        runs[5 * i] = 1;
        memset(runs + 5 * i + 1, (int)i, 4);
    }
    at = remus_stream(&s, runs, sizeof(runs), NULL, 0);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "longer than", at);
    /* ... split across two chunks, the first holding more than the longest
     * encoding of a page */
    at = remus_stream(&s, runs, 5000, runs + 5000, sizeof(runs) - 5000);
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "longer than", at);
    /* a bad encoding that starts in one chunk and ends in the next: located
     * where it starts, not counting the second chunk's header */
    uint8_t bad[2] = { 0x00, 0x00 };
    at = remus_stream(&s, runs, 5, bad, sizeof(bad));
    expect_fail(s.b, s.n, &co, XSR_EFORMAT, "zero-length run", at);
}

/* --------------------------------------------------------- I/O failures */

static void test_io_failures(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    struct xsr_error err;
    size_t len;
    (void)state;

    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_HVM);
    uint8_t *b = gen(&o, &len);
    /* output fails after 100000 bytes */
    struct xsr_fault_spec ospec = { .size = sizeof(struct xsr_fault_spec), .fail_after = 100000, .fail_errno = ENOSPC };
    struct xsr_chan *ic = xsr_chan_mem_reader(b, len, &err);
    struct xsr_chan *oc = xsr_chan_fault(xsr_chan_mem_writer(&err), &ospec, &err);
    xsr_error_clear(&err);
    assert_int_equal(xsr_convert_legacy(ic, oc, &co, NULL, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, ENOSPC);
    xsr_chan_close(ic, NULL);
    xsr_chan_close(oc, NULL);
    /* input fails after 50000 bytes */
    struct xsr_fault_spec ispec = { .size = sizeof(struct xsr_fault_spec), .fail_after = 50000, .fail_errno = EIO };
    ic = xsr_chan_fault(xsr_chan_mem_reader(b, len, &err), &ispec, &err);
    oc = xsr_chan_mem_writer(&err);
    xsr_error_clear(&err);
    assert_int_equal(xsr_convert_legacy(ic, oc, &co, NULL, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, EIO);
    assert_true(err.offset <= 50000);
    xsr_chan_close(ic, NULL);
    xsr_chan_close(oc, NULL);
    free(b);
}

/* ------------------------------------------------------ the output file */

static void test_outfile(void **state)
{
    struct xsr_legacy_gen_opts o;
    struct xsr_legacy_opts co = XSR_LEGACY_OPTS_INIT;
    struct xsr_error err;
    char path[4200];
    size_t len;
    (void)state;

    char *dir = lt_tmpdir();
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/out.img", dir);
    xsr_legacy_gen_opts_init(&o, 64, XSR_DOM_X86_PV);
    uint8_t *b = gen(&o, &len);

    /* a failed conversion leaves nothing: not the name, not the temporary */
    xsr_error_clear(&err);
    struct xsr_outfile *f = xsr_outfile_open(path, &err);
    assert_non_null(f);
    assert_non_null(xsr_outfile_temp_path(f));
    assert_ptr_not_equal(strstr(xsr_outfile_temp_path(f), "/.out.img."), NULL);
    assert_int_equal(lt_dir_entries(dir), 1);
    struct xsr_chan *ic = xsr_chan_mem_reader(b, len - 100, &err);
    assert_int_equal(xsr_convert_legacy(ic, xsr_outfile_chan(f), &co, NULL, &err), XSR_ETRUNC);
    xsr_chan_close(ic, NULL);
    xsr_outfile_abort(f);
    assert_int_equal(lt_dir_entries(dir), 0);

    /* success: the file appears complete under its name */
    uint8_t *ref;
    size_t ref_len;
    assert_int_equal(lt_convert(b, len, &co, &ref, &ref_len, NULL, &err), 0);
    f = xsr_outfile_open(path, &err);
    ic = xsr_chan_mem_reader(b, len, &err);
    assert_int_equal(xsr_convert_legacy(ic, xsr_outfile_chan(f), &co, NULL, &err), 0);
    xsr_chan_close(ic, NULL);
    assert_int_equal(access(path, F_OK), -1); /* not before the commit */
    assert_int_equal(xsr_outfile_commit(f, &err), 0);
    assert_int_equal(lt_dir_entries(dir), 1);
    size_t got_len;
    uint8_t *got = tu_read_file(path, &got_len);
    assert_int_equal(got_len, ref_len);
    assert_memory_equal(got, ref, ref_len);
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    free(got);
    free(ref);

    /* a directory that does not exist */
    snprintf(path, sizeof(path), "%s/no/such/dir/out", dir);
    assert_null(xsr_outfile_open(path, &err));
    assert_int_equal(err.code, XSR_EIO);
    free(b);
    lt_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_batch_entries),
        cmocka_unit_test(test_inconsistent_sizes),
        cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_toolstack_limit),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_xl_and_detection),
        cmocka_unit_test(test_output_limits),
        cmocka_unit_test(test_remus_corrupt),
        cmocka_unit_test(test_remus_hand_built),
        cmocka_unit_test(test_io_failures),
        cmocka_unit_test(test_outfile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
