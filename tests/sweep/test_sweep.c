/* SPDX-License-Identifier: MIT */
/*
 * Truncation and bit-flip sweeps over small generated streams, for every
 * wrapping (bare libxc, libxl, xl), PV and HVM, versions 3 and 4:
 *
 * - every prefix (length 0 .. N-1) is rejected cleanly: xsr_verify returns 1
 *   with a stream.truncated (or, before the format can be told, a
 *   stream.framing) error, located no further than the cut;
 * - every single-bit flip in every header (xl, libxl, image, domain, each
 *   record header) and in the first bytes of every record body is either
 *   rejected, or accepted with the changed value visible in the dump (bytes
 *   of opaque payloads, such as the guest's shared-info page, are only
 *   required not to crash anything).
 *
 * Each variant is verified from an exactly sized heap copy, so that the ASan
 * build catches any read beyond the input; leaks are caught at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streammap.h"
#include "testutil.h"

/* Bytes of each record body (from its start) whose bits are flipped. */
#define BODY_FLIP_BYTES 16u
/* Bytes of the xl optional data (config length and config start) flipped. */
#define XL_OPT_FLIP_BYTES 8u

struct verdict {
    int rc;
    unsigned errors;
    bool truncated, framing;
    uint64_t worst_offset; /* largest located offset of an error */
    char first_error[160];
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct verdict *v = ctx;
    if (f->severity != XSR_SEV_ERROR)
        return;
    if (v->errors++ == 0)
        snprintf(v->first_error, sizeof(v->first_error), "%s: %s", f->rule, f->message);
    if (strcmp(f->rule, "stream.truncated") == 0)
        v->truncated = true;
    if (strcmp(f->rule, "stream.framing") == 0)
        v->framing = true;
    if (f->offset != XSR_NO_OFFSET && (v->worst_offset == XSR_NO_OFFSET || f->offset > v->worst_offset))
        v->worst_offset = f->offset;
}

/* Verify len bytes of buf from an exactly sized copy. */
static void verify_copy(const uint8_t *buf, size_t len, struct verdict *v)
{
    struct xsr_error err;
    uint8_t *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, buf, len);
    memset(v, 0, sizeof(*v));
    v->worst_offset = XSR_NO_OFFSET;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(exact, len, &err);
    assert_non_null(ch);
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.on_finding = on_finding;
    opts.ctx = v;
    v->rc = xsr_verify(ch, XSR_LAYER_NONE, &opts, NULL, &err);
    xsr_chan_close(ch, NULL);
    free(exact);
}

/* Text dump (every pfn) of buf, malloc'd; NULL-terminated. */
static char *dump_text(const uint8_t *buf, size_t len)
{
    struct xsr_error err;
    char *text = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    assert_non_null(out);
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    assert_non_null(ch);
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .pages = true};
    int rc = xsr_dump(ch, &o, out, &err);
    xsr_chan_close(ch, NULL);
    assert_int_equal(fclose(out), 0);
    assert_true(rc == 0 || rc == 1);
    return text;
}

struct sweep_case {
    const char *name;
    enum xsr_layer wrap;
    uint32_t dom_type;
    uint32_t version;
};

static uint8_t *generate(const struct sweep_case *c, size_t *len)
{
    struct xsr_gen_opts o;
    xsr_gen_opts_init(&o, c->version, c->dom_type);
    o.wrap = c->wrap;
    o.nr_pages = 16; /* the generator's minimum */
    o.seed = 7;
    uint8_t *full = tu_generate(&o, len);
    assert_non_null(full);
    /* One page of memory is enough to have every kind of record. */
    uint8_t *buf = sm_shrink(full, len, 1);
    assert_non_null(buf);
    free(full);
    return buf;
}

static void sweep_truncations(const struct sweep_case *c, const uint8_t *buf, size_t len)
{
    struct verdict v;
    for (size_t cut = 0; cut < len; cut++) {
        verify_copy(buf, cut, &v);
        if (v.rc != 1 || !(v.truncated || v.framing) ||
            (cut >= XSR_XL_MAGIC_SIZE && !v.truncated) ||
            (v.worst_offset != XSR_NO_OFFSET && v.worst_offset > cut))
            fail_msg("%s cut to %zu of %zu bytes: result %d, %u errors, first: %s "
                     "(want result 1 with stream.truncated located at or before the cut)",
                     c->name, cut, len, v.rc, v.errors, v.first_error);
    }
}

/* The byte ranges to flip: [start, end), and what they belong to. */
struct range {
    uint64_t start, end;
    uint64_t opaque;  /* bytes from here on are an opaque payload */
    char what[64];
};

/*
 * Where the opaque payload of a record body starts (bytes a dump does not
 * decode: a flipped bit there cannot show, and nothing checks it), or
 * UINT32_MAX if the flipped part of the body is all decoded fields.
 */
static uint32_t opaque_from(const struct sm_item *it)
{
    if (it->kind == XSR_EV_RECORD) {
        switch (it->type) {
        case XSR_REC_SHARED_INFO: return 0;                       /* the guest's page */
        case XSR_REC_X86_PV_VCPU_BASIC: return XSR_VCPU_HDR_SIZE; /* starts with FPU state */
        default: return UINT32_MAX;
        }
    }
    if (it->kind == XSR_EV_LIBXL_RECORD && it->type == XSR_LIBXL_REC_EMULATOR_CONTEXT)
        return XSR_EMULATOR_HDR_SIZE; /* the device model's own state */
    return UINT32_MAX;
}

static void describe(const struct sm_item *it, char *buf, size_t n)
{
    const char *name = NULL;
    if (it->kind == XSR_EV_RECORD)
        name = xsr_rec_type_name(it->type);
    else if (it->kind == XSR_EV_LIBXL_RECORD)
        name = xsr_libxl_rec_type_name(it->type);
    if (it->kind == XSR_EV_RECORD || it->kind == XSR_EV_LIBXL_RECORD)
        snprintf(buf, n, "%s record %s (0x%x) at %llu", xsr_layer_name(it->layer),
                 name ? name : "?", it->type, (unsigned long long)it->offset);
    else
        snprintf(buf, n, "%s header (event %d) at %llu", xsr_layer_name(it->layer), (int)it->kind,
                 (unsigned long long)it->offset);
}

static size_t flip_ranges(const struct sm_map *m, struct range *r, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n && n < max; i++) {
        const struct sm_item *it = &m->items[i];
        switch (it->kind) {
        case XSR_EV_XL_HEADER:
            r[n] = (struct range){.start = it->offset,
                                  .end = it->offset + XSR_XL_HDR_SIZE +
                                      (it->size > XSR_XL_HDR_SIZE + XL_OPT_FLIP_BYTES
                                           ? XL_OPT_FLIP_BYTES : it->size - XSR_XL_HDR_SIZE),
                                  .opaque = UINT64_MAX};
            describe(it, r[n].what, sizeof(r[n].what));
            n++;
            break;
        case XSR_EV_LIBXL_HEADER:
        case XSR_EV_IMAGE_HEADER:
        case XSR_EV_DOMAIN_HEADER:
            r[n] = (struct range){.start = it->offset, .end = it->offset + it->size,
                                  .opaque = UINT64_MAX};
            describe(it, r[n].what, sizeof(r[n].what));
            n++;
            break;
        case XSR_EV_RECORD:
        case XSR_EV_LIBXL_RECORD: {
            uint64_t body = it->size - XSR_RHDR_SIZE;
            uint32_t op = opaque_from(it);
            r[n] = (struct range){.start = it->offset,
                                  .end = it->offset + XSR_RHDR_SIZE +
                                         (body < BODY_FLIP_BYTES ? body : BODY_FLIP_BYTES),
                                  .opaque = op == UINT32_MAX ? UINT64_MAX
                                                             : it->offset + XSR_RHDR_SIZE + op};
            describe(it, r[n].what, sizeof(r[n].what));
            n++;
            break;
        }
        default:
            break;
        }
    }
    return n;
}

static void sweep_flips(const struct sweep_case *c, const uint8_t *buf, size_t len)
{
    struct sm_map m;
    struct range ranges[4096];
    struct verdict v;
    unsigned rejected = 0, accepted = 0, opaque = 0;

    assert_int_equal(sm_build(buf, len, &m), 0);
    assert_int_equal(m.walk_rc, 0);
    size_t nr = flip_ranges(&m, ranges, sizeof(ranges) / sizeof(ranges[0]));
    assert_true(nr < sizeof(ranges) / sizeof(ranges[0]));
    sm_free(&m);

    char *orig_dump = dump_text(buf, len);
    uint8_t *work = malloc(len);
    assert_non_null(work);
    memcpy(work, buf, len);
    for (size_t i = 0; i < nr; i++) {
        for (uint64_t at = ranges[i].start; at < ranges[i].end; at++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                work[at] ^= (uint8_t)(1u << bit);
                verify_copy(work, len, &v);
                if (v.rc == 1) {
                    rejected++;
                } else if (v.rc == 0 && at >= ranges[i].opaque) {
                    opaque++;
                } else if (v.rc == 0) {
                    /* Accepted: the changed value must show in the dump. */
                    char *d = dump_text(work, len);
                    if (strcmp(d, orig_dump) == 0)
                        fail_msg("%s: flipping bit %u of byte %llu (%s) is accepted but the "
                                 "dump does not change", c->name, bit, (unsigned long long)at,
                                 ranges[i].what);
                    free(d);
                    accepted++;
                } else {
                    fail_msg("%s: flipping bit %u of byte %llu (%s) gives result %d", c->name,
                             bit, (unsigned long long)at, ranges[i].what, v.rc);
                }
                work[at] ^= (uint8_t)(1u << bit);
            }
        }
    }
    assert_memory_equal(work, buf, len);
    /* Most flips in headers break something: a sweep that rejects nothing
     * would mean the verifier checks nothing. */
    assert_true(rejected > accepted);
    if (getenv("XSR_TEST_VERBOSE"))
        fprintf(stderr, "%s: %u flips rejected, %u accepted and shown, %u in opaque payloads\n",
                c->name, rejected, accepted, opaque);
    free(work);
    free(orig_dump);
}

static void test_sweep(void **state)
{
    const struct sweep_case *c = *state;
    size_t len;
    uint8_t *buf = generate(c, &len);
    struct verdict v;

    /* The unbroken stream is valid, else the sweep proves nothing. */
    verify_copy(buf, len, &v);
    if (v.rc != 0)
        fail_msg("%s: the generated stream is invalid: %s", c->name, v.first_error);
    sweep_truncations(c, buf, len);
    sweep_flips(c, buf, len);
    free(buf);
}

#define CASE(wrap_, guest_, ver_)                                                             \
    {#wrap_ "-" #guest_ "-v" #ver_, XSR_LAYER_##wrap_, XSR_DOM_X86_##guest_, ver_}

static const struct sweep_case cases[] = {
    CASE(LIBXC, PV, 3), CASE(LIBXC, PV, 4), CASE(LIBXC, HVM, 3), CASE(LIBXC, HVM, 4),
    CASE(LIBXL, PV, 3), CASE(LIBXL, PV, 4), CASE(LIBXL, HVM, 3), CASE(LIBXL, HVM, 4),
    CASE(XL, PV, 3),    CASE(XL, PV, 4),    CASE(XL, HVM, 3),    CASE(XL, HVM, 4),
};

int main(void)
{
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tests[i] = (struct CMUnitTest){.name = cases[i].name, .test_func = test_sweep,
                                       .initial_state = (void *)&cases[i]};
    return cmocka_run_group_tests_name("sweep", tests, NULL, NULL);
}
