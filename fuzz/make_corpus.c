/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of the fuzz targets:
 *
 *   make_corpus DIR      (normally: make_corpus fuzz/corpus)
 *
 * DIR/verify/ and DIR/dump/: small generated streams, valid ones of every
 * kind and slightly broken variants of them; DIR/domctx/: DOMAIN_CONTEXT and
 * HVM_CONTEXT blobs taken from generated streams, behind the selector byte
 * of fuzz_domctx; DIR/extract/, DIR/stats/, DIR/map/ and DIR/restore/: the
 * seeds of fuzz_dump; DIR/convert/: a few streams behind each selector of
 * fuzz_convert; DIR/diff/: pairs of streams (equal, one byte apart, of other
 * kinds, one cut short) in fuzz_diff's layout.  Every seed is below 64 KiB.  The output is deterministic,
 * so re-running it after a generator change shows up as a plain git diff.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xsr/xsr.h>

#include "streammap.h"

#define SEED_MAX (64u * 1024u)

static const char *outdir;
static int failures;

/* Seeds already written (target, content hash): identical ones are skipped. */
struct seed_id {
    const char *target;
    uint64_t hash;
};
static struct seed_id written[1024];
static size_t nr_written;

static bool seen_before(const char *target, const uint8_t *buf, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ len;
    for (size_t i = 0; i < len; i++)
        h = (h ^ buf[i]) * 0x100000001b3ULL;
    for (size_t i = 0; i < nr_written; i++)
        if (written[i].hash == h && strcmp(written[i].target, target) == 0)
            return true;
    if (nr_written < sizeof(written) / sizeof(written[0]))
        written[nr_written++] = (struct seed_id){target, h};
    return false;
}

static void write_one(const char *target, const char *name, const uint8_t *buf, size_t len);

/* The seeds of fuzz_dump are those of the other one-stream analyses too. */
static void write_seed(const char *target, const char *name, const uint8_t *buf, size_t len)
{
    static const char *const analyses[] = {"dump", "extract", "stats", "map", "restore"};
    if (strcmp(target, "dump") != 0) {
        write_one(target, name, buf, len);
        return;
    }
    for (size_t i = 0; i < sizeof(analyses) / sizeof(analyses[0]); i++)
        write_one(analyses[i], name, buf, len);
}

static void write_one(const char *target, const char *name, const uint8_t *buf, size_t len)
{
    char path[4096];
    if (seen_before(target, buf, len))
        return;
    if (len >= SEED_MAX) {
        fprintf(stderr, "make_corpus: %s/%s is %zu bytes, above the %u-byte limit\n", target,
                name, len, SEED_MAX);
        failures++;
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", outdir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        failures++;
        return;
    }
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        failures++;
    }
}

struct kind {
    const char *name;
    uint32_t version, dom_type;
    unsigned width;
    enum xsr_layer wrap;
    enum xsr_byte_order order;
    bool all_records;
    unsigned checkpoints, live_passes;
    bool verify_pass;
    bool dump;   /* also a seed of fuzz_dump */
    bool broken; /* also write broken variants of it */
};

#define PV XSR_DOM_X86_PV
#define HVM XSR_DOM_X86_HVM
static const struct kind kinds[] = {
    {"pv-v2-libxc", 2, PV, 8, XSR_LAYER_LIBXC, .dump = true, .broken = true},
    {"pv-v3-libxl", 3, PV, 8, XSR_LAYER_LIBXL, .order = XSR_LITTLE_ENDIAN},
    {"pv-v4-xl", 4, PV, 8, XSR_LAYER_XL, .dump = true, .broken = true},
    {"pv32-v3-xl", 3, PV, 4, XSR_LAYER_XL, .order = XSR_LITTLE_ENDIAN, .dump = true},
    {"hvm-v2-libxc", 2, HVM, 8, XSR_LAYER_LIBXC, .order = XSR_LITTLE_ENDIAN},
    {"hvm-v3-libxl", 3, HVM, 8, XSR_LAYER_LIBXL, .dump = true, .broken = true},
    {"hvm-v4-xl", 4, HVM, 8, XSR_LAYER_XL, .order = XSR_LITTLE_ENDIAN},
    {"pv-v4-all-libxc", 4, PV, 8, XSR_LAYER_LIBXC, .all_records = true, .dump = true},
    {"hvm-v4-all-libxl", 4, HVM, 8, XSR_LAYER_LIBXL, .all_records = true, .dump = true},
    {"pv-v3-checkpoints-libxl", 3, PV, 8, XSR_LAYER_LIBXL, .checkpoints = 2},
    {"hvm-v4-checkpoint-xl", 4, HVM, 8, XSR_LAYER_XL, .checkpoints = 1, .dump = true},
    {"pv-v3-live-verify-libxc", 3, PV, 8, XSR_LAYER_LIBXC, .live_passes = 1, .verify_pass = true},
    {"pv-v4-be-libxc", 4, PV, 8, XSR_LAYER_LIBXC, .order = XSR_BIG_ENDIAN},
    {"hvm-v3-be-all-libxl", 3, HVM, 8, XSR_LAYER_LIBXL, .order = XSR_BIG_ENDIAN, .all_records = true},
};

/* Generate a small stream of a kind: the generator's smallest guest, with
 * all but two pages of memory dropped from the PAGE_DATA records. */
static uint8_t *generate(const struct kind *k, size_t *len)
{
    struct xsr_gen_opts o;
    struct xsr_error err;
    uint8_t *out = NULL, *small = NULL;

    xsr_gen_opts_init(&o, k->version, k->dom_type);
    if (k->dom_type == XSR_DOM_X86_PV)
        o.guest_width = k->width;
    o.wrap = k->wrap;
    o.order = k->order;
    o.nr_pages = 16;
    o.all_records = k->all_records;
    o.checkpoints = k->checkpoints;
    o.live_passes = k->live_passes;
    o.verify_pass = k->verify_pass;
    o.seed = 1;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    if (ch && xsr_gen_write(&o, ch, &err) == 0) {
        const uint8_t *d = xsr_chan_mem_data(ch, len);
        out = malloc(*len);
        if (out)
            memcpy(out, d, *len);
    }
    xsr_chan_close(ch, NULL);
    if (out) {
        small = sm_shrink(out, len, 2);
        free(out);
        if (small)
            return small;
        xsr_error_set(&err, XSR_EFORMAT, "the generated stream cannot be walked");
    }
    char msg[XSR_ERROR_MSG_MAX + 128];
    xsr_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "make_corpus: cannot generate %s: %s\n", k->name, msg);
    failures++;
    return NULL;
}

/* Broken variants of a valid stream: one seed per kind of damage. */
static void write_broken(const char *base, const uint8_t *buf, size_t len, bool dump)
{
    struct sm_map m;
    char name[256];
    uint8_t *b;
    size_t n;

    if (sm_build(buf, len, &m) != 0 || m.walk_rc != 0) {
        fprintf(stderr, "make_corpus: cannot walk %s: %s\n", base, m.walk_msg);
        failures++;
        sm_free(&m);
        return;
    }
    const struct sm_item *ih = sm_kind(&m, XSR_EV_IMAGE_HEADER);
    enum xsr_byte_order o = XSR_LITTLE_ENDIAN;
    if (ih && (buf[ih->offset + 17] & XSR_IHDR_OPT_BIG_ENDIAN))
        o = XSR_BIG_ENDIAN;

    /* Cut in the middle. */
    snprintf(name, sizeof(name), "broken-truncated-%s", base);
    write_seed("verify", name, buf, len * 3 / 5);
    if (dump)
        write_seed("dump", name, buf, len * 3 / 5);

    /* Stream version 5. */
    if (ih) {
        n = len;
        b = ed_splice(buf, &n, 0, 0, NULL, 0);
        b[ih->offset + 15] = 5;
        snprintf(name, sizeof(name), "broken-version-%s", base);
        write_seed("verify", name, b, n);
        free(b);
    }

    /* A record's length one larger: the framing goes astray. */
    const struct sm_item *r = sm_record(&m, XSR_LAYER_LIBXC, XSR_REC_PAGE_DATA, 0);
    if (r) {
        n = len;
        b = ed_splice(buf, &n, 0, 0, NULL, 0);
        xsr_st32(b + r->offset + 4, r->length + 1, o);
        snprintf(name, sizeof(name), "broken-length-%s", base);
        write_seed("verify", name, b, n);
        if (dump)
            write_seed("dump", name, b, n);
        free(b);

        /* A reserved pfn bit. */
        n = len;
        b = ed_splice(buf, &n, 0, 0, NULL, 0);
        size_t w = r->offset + XSR_RHDR_SIZE + XSR_PAGE_DATA_HDR_SIZE;
        xsr_st64(b + w, xsr_ld64(b + w, o) | (1ULL << 55), o);
        snprintf(name, sizeof(name), "broken-pfn-reserved-%s", base);
        write_seed("verify", name, b, n);
        free(b);
    }

    /* Non-zero padding after the first record with padding. */
    for (size_t i = 0; i < m.n; i++) {
        const struct sm_item *it = &m.items[i];
        if (it->kind == XSR_EV_RECORD && xsr_rec_pad(it->length)) {
            n = len;
            b = ed_splice(buf, &n, 0, 0, NULL, 0);
            b[it->offset + XSR_RHDR_SIZE + it->length] = 0x5a;
            snprintf(name, sizeof(name), "broken-padding-%s", base);
            write_seed("verify", name, b, n);
            free(b);
            break;
        }
    }

    /* An unknown mandatory and an unknown optional record before END. */
    const struct sm_item *end = sm_record(&m, XSR_LAYER_LIBXC, XSR_REC_END, 0);
    if (end) {
        static const uint8_t body[12] = "seed record";
        size_t rl;
        uint8_t *rec = ed_record(0x7f, body, sizeof(body), o, &rl);
        n = len;
        b = ed_splice(buf, &n, end->offset, 0, rec, rl);
        snprintf(name, sizeof(name), "broken-unknown-record-%s", base);
        write_seed("verify", name, b, n);
        free(b);
        free(rec);
        rec = ed_record(XSR_REC_OPTIONAL | 0x7f, body, sizeof(body), o, &rl);
        n = len;
        b = ed_splice(buf, &n, end->offset, 0, rec, rl);
        snprintf(name, sizeof(name), "optional-record-%s", base);
        write_seed("verify", name, b, n);
        free(b);
        free(rec);
    }

    /* Bytes after the end. */
    static const uint8_t tail[16] = "trailing bytes!";
    n = len;
    b = ed_splice(buf, &n, len, 0, tail, sizeof(tail));
    snprintf(name, sizeof(name), "trailing-%s", base);
    write_seed("verify", name, b, n);
    free(b);
    sm_free(&m);
}

/* The blobs of a stream as fuzz_domctx seeds. */
static void write_blobs(const char *base, const uint8_t *buf, size_t len, uint8_t selector)
{
    struct sm_map m;
    char name[256];
    static const uint32_t types[] = {XSR_REC_DOMAIN_CONTEXT, XSR_REC_HVM_CONTEXT};
    static const char *const tnames[] = {"domctx", "hvmctx"};

    if (sm_build(buf, len, &m) != 0)
        return;
    for (size_t t = 0; t < 2; t++) {
        const struct sm_item *r = sm_record(&m, XSR_LAYER_LIBXC, types[t], 0);
        if (!r)
            continue;
        size_t n = 1 + r->length;
        uint8_t *s = malloc(n);
        s[0] = selector;
        memcpy(s + 1, buf + r->offset + XSR_RHDR_SIZE, r->length);
        snprintf(name, sizeof(name), "%s-%s", tnames[t], base);
        write_seed("domctx", name, s, n);
        /* Cut inside the last entry. */
        if (r->length > 12) {
            snprintf(name, sizeof(name), "%s-cut-%s", tnames[t], base);
            write_seed("domctx", name, s, n - 5);
        }
        free(s);
    }
    sm_free(&m);
}

/* fuzz_convert: a selector byte (target version, lossy) before the stream. */
static void write_convert(const char *base, const uint8_t *buf, size_t len)
{
    static const struct {
        uint8_t sel;
        const char *name;
    } to[] = {{0, "to4"}, {2, "to2-lossy"}, {3, "to3"}};
    for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
        char name[256];
        uint8_t *s = malloc(len + 1);
        if (!s)
            continue;
        s[0] = to[i].sel | (to[i].sel == 2 ? 4 : 0);
        memcpy(s + 1, buf, len);
        snprintf(name, sizeof(name), "%s-%s", to[i].name, base);
        write_seed("convert", name, s, len + 1);
        free(s);
    }
}

/* fuzz_diff: two bytes giving A's length, A, then B. */
static void write_pair(const char *name, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    if (na + nb + 2 >= SEED_MAX || na >= 0xff00)
        return;
    uint8_t *s = malloc(na + nb + 2);
    if (!s)
        return;
    s[0] = (uint8_t)(na >> 8);
    s[1] = (uint8_t)na;
    memcpy(s + 2, a, na);
    memcpy(s + 2 + na, b, nb);
    write_seed("diff", name, s, na + nb + 2);
    free(s);
}

/* Pairs of a stream with itself, with a copy one byte apart (in its
 * memory, past the middle), with the previous kind, and cut short. */
static void write_diffs(const char *base, const uint8_t *buf, size_t len, const uint8_t *prev,
                        size_t prev_len)
{
    char name[256];
    snprintf(name, sizeof(name), "same-%s", base);
    write_pair(name, buf, len, buf, len);
    uint8_t *b = malloc(len);
    if (b) {
        memcpy(b, buf, len);
        b[len * 3 / 5] ^= 0x10;
        snprintf(name, sizeof(name), "byte-%s", base);
        write_pair(name, buf, len, b, len);
        free(b);
    }
    snprintf(name, sizeof(name), "cut-%s", base);
    write_pair(name, buf, len, buf, len / 2);
    if (prev) {
        snprintf(name, sizeof(name), "other-%s", base);
        write_pair(name, prev, prev_len, buf, len);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR   (e.g. make_corpus fuzz/corpus)\n");
        return 2;
    }
    outdir = argv[1];
    if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
        perror(outdir);
        return 1;
    }
    uint8_t *prev = NULL;
    size_t prev_len = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct kind *k = &kinds[i];
        size_t len;
        uint8_t *buf = generate(k, &len);
        if (!buf)
            continue;
        if (k->dump || k->broken) {
            write_convert(k->name, buf, len);
            write_diffs(k->name, buf, len, prev, prev_len);
        }
        write_seed("verify", k->name, buf, len);
        if (k->dump)
            write_seed("dump", k->name, buf, len);
        if (k->broken)
            write_broken(k->name, buf, len, k->dump);
        uint8_t sel = (k->order == XSR_BIG_ENDIAN ? 1 : 0) |
                      (k->dom_type == XSR_DOM_X86_HVM ? 2 : 0) | (k->all_records ? 4 : 0);
        write_blobs(k->name, buf, len, sel);
        free(prev);
        prev = buf;
        prev_len = len;
    }
    free(prev);
    /* A few bytes that look like the start of a legacy stream. */
    static const uint8_t legacy[16] = {0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff};
    write_seed("verify", "legacy-start", legacy, sizeof(legacy));
    return failures ? 1 : 0;
}
