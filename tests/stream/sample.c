/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sample.h"

static void expect(struct sample *s, enum xsr_event_kind kind, enum xsr_layer layer, int64_t index,
                   uint32_t type, uint32_t length)
{
    assert_true(s->nev < SAMPLE_MAX_EVENTS);
    struct exp_ev *e = &s->ev[s->nev++];
    e->kind = kind;
    e->layer = layer;
    e->index = index;
    e->type = type;
    e->length = length;
    e->offset = xsr_writer_offset(s->w);
}

void sb_begin(struct sample *s, size_t batch)
{
    memset(s, 0, sizeof(*s));
    s->ch = xsr_chan_mem_writer(NULL);
    assert_non_null(s->ch);
    s->w = xsr_writer_new(s->ch, batch, NULL);
    assert_non_null(s->w);
}

void sb_xl(struct sample *s, enum xsr_byte_order o, bool streamv2, uint32_t optional_len)
{
    struct xsr_xl_hdr h = {
        .order = o,
        .mandatory_flags = XSR_XL_FLAG_JSON | (streamv2 ? XSR_XL_FLAG_STREAMV2 : 0),
        .optional_data_len = optional_len,
    };
    uint8_t *opt = malloc(optional_len + 1);
    assert_non_null(opt);
    for (uint32_t i = 0; i < optional_len; i++)
        opt[i] = (uint8_t)('a' + i % 26);
    expect(s, XSR_EV_XL_HEADER, XSR_LAYER_XL, XSR_NO_INDEX, 0, optional_len);
    assert_int_equal(xsr_writer_xl_hdr(s->w, &h, opt, NULL), 0);
    free(opt);
}

void sb_libxl_hdr(struct sample *s, enum xsr_byte_order o)
{
    struct xsr_libxl_hdr h = {
        .ident = XSR_LIBXL_IDENT,
        .version = XSR_LIBXL_VERSION,
        .options = o == XSR_BIG_ENDIAN ? XSR_LIBXL_OPT_BIG_ENDIAN : 0,
    };
    expect(s, XSR_EV_LIBXL_HEADER, XSR_LAYER_LIBXL, XSR_NO_INDEX, 0, 0);
    assert_int_equal(xsr_writer_libxl_hdr(s->w, &h, NULL), 0);
    assert_int_equal(xsr_writer_order(s->w), o);
    s->libxl_order = o;
}

static void write_rec(struct sample *s, uint32_t type, uint32_t len)
{
    uint8_t *body = malloc(len + 1);
    assert_non_null(body);
    for (uint32_t i = 0; i < len; i++)
        body[i] = sample_body_byte(type, i);
    assert_int_equal(xsr_writer_record(s->w, type, body, len, NULL), 0);
    free(body);
}

void sb_libxl_rec(struct sample *s, uint32_t type, uint32_t len)
{
    expect(s, XSR_EV_LIBXL_RECORD, XSR_LAYER_LIBXL, s->libxl_idx++, type, len);
    xsr_writer_set_order(s->w, s->libxl_order);
    write_rec(s, type, len);
}

void sb_ihdr(struct sample *s, uint32_t version, enum xsr_byte_order o)
{
    struct xsr_ihdr h = xsr_ihdr_make(version, o);
    expect(s, XSR_EV_IMAGE_HEADER, XSR_LAYER_LIBXC, XSR_NO_INDEX, 0, 0);
    assert_int_equal(xsr_writer_ihdr(s->w, &h, NULL), 0);
    assert_int_equal(xsr_writer_order(s->w), o);
    s->libxc_order = o;
}

void sb_dhdr(struct sample *s)
{
    struct xsr_dhdr h = { .type = XSR_DOM_X86_HVM, .page_shift = 12, .xen_major = 4, .xen_minor = 17 };
    expect(s, XSR_EV_DOMAIN_HEADER, XSR_LAYER_LIBXC, XSR_NO_INDEX, 0, 0);
    xsr_writer_set_order(s->w, s->libxc_order);
    assert_int_equal(xsr_writer_dhdr(s->w, &h, NULL), 0);
}

void sb_rec(struct sample *s, uint32_t type, uint32_t len)
{
    expect(s, XSR_EV_RECORD, XSR_LAYER_LIBXC, s->libxc_idx++, type, len);
    xsr_writer_set_order(s->w, s->libxc_order);
    write_rec(s, type, len);
}

void sb_raw(struct sample *s, const void *buf, size_t n)
{
    assert_int_equal(xsr_writer_raw(s->w, buf, n, NULL), 0);
}

void sb_expect(struct sample *s, enum xsr_event_kind kind, enum xsr_layer layer)
{
    expect(s, kind, layer, XSR_NO_INDEX, 0, 0);
}

void sb_finish(struct sample *s)
{
    assert_int_equal(xsr_writer_free(s->w, NULL), 0);
    s->w = NULL;
    size_t len;
    const uint8_t *d = xsr_chan_mem_data(s->ch, &len);
    s->buf = malloc(len + 1);
    assert_non_null(s->buf);
    memcpy(s->buf, d, len);
    s->len = len;
    assert_int_equal(xsr_chan_close(s->ch, NULL), 0);
    s->ch = NULL;
}

void sample_free(struct sample *s)
{
    free(s->buf);
    s->buf = NULL;
}

/* A libxc body of mixed record sizes (padding 0..7). */
static void libxc_records(struct sample *s)
{
    sb_rec(s, XSR_REC_X86_CPUID_POLICY, 48);
    sb_rec(s, XSR_REC_STATIC_DATA_END, 0);
    sb_rec(s, XSR_REC_PAGE_DATA, 8 + 8 + 4096);
    sb_rec(s, 0x80000123u, 5);
    sb_rec(s, XSR_REC_HVM_PARAMS, 24);
    sb_rec(s, XSR_REC_HVM_CONTEXT, 13);
}

void sample_xl_libxl_libxc(struct sample *s)
{
    sb_begin(s, 0);
    sb_xl(s, XSR_LITTLE_ENDIAN, true, 37);
    sb_libxl_hdr(s, XSR_LITTLE_ENDIAN);
    sb_libxl_rec(s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(s, 3, XSR_LITTLE_ENDIAN);
    sb_dhdr(s);
    libxc_records(s);
    sb_rec(s, XSR_REC_END, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, 21);
    sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 100);
    sb_libxl_rec(s, XSR_LIBXL_REC_END, 0);
    sb_finish(s);
}

void sample_bare_libxc_be(struct sample *s)
{
    sb_begin(s, 0);
    sb_ihdr(s, 4, XSR_BIG_ENDIAN);
    sb_dhdr(s);
    libxc_records(s);
    sb_rec(s, XSR_REC_DOMAIN_CONTEXT, 70);
    sb_rec(s, XSR_REC_END, 0);
    sb_finish(s);
}

void sample_bare_libxl(struct sample *s)
{
    sb_begin(s, 0);
    sb_libxl_hdr(s, XSR_LITTLE_ENDIAN);
    sb_libxl_rec(s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(s, 2, XSR_LITTLE_ENDIAN);
    sb_dhdr(s);
    libxc_records(s);
    sb_rec(s, XSR_REC_END, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_END, 0);
    sb_finish(s);
}

void sample_checkpointed(struct sample *s)
{
    sb_begin(s, 0);
    sb_libxl_hdr(s, XSR_LITTLE_ENDIAN);
    sb_libxl_rec(s, XSR_LIBXL_REC_LIBXC_CONTEXT, 0);
    sb_ihdr(s, 3, XSR_LITTLE_ENDIAN);
    sb_dhdr(s);
    libxc_records(s);
    sb_rec(s, XSR_REC_CHECKPOINT, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_EMULATOR_CONTEXT, 44);
    sb_libxl_rec(s, XSR_LIBXL_REC_CHECKPOINT_END, 0);
    sb_rec(s, XSR_REC_PAGE_DATA, 8 + 8 + 4096);
    sb_rec(s, XSR_REC_HVM_CONTEXT, 13);
    sb_rec(s, XSR_REC_CHECKPOINT, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_CHECKPOINT_STATE, 4);
    sb_libxl_rec(s, XSR_LIBXL_REC_CHECKPOINT_END, 0);
    sb_rec(s, XSR_REC_HVM_CONTEXT, 13);
    sb_rec(s, XSR_REC_END, 0);
    sb_libxl_rec(s, XSR_LIBXL_REC_END, 0);
    sb_finish(s);
}

void sample_libxc_checkpoints(struct sample *s)
{
    sb_begin(s, 0);
    sb_ihdr(s, 3, XSR_LITTLE_ENDIAN);
    sb_dhdr(s);
    libxc_records(s);
    sb_rec(s, XSR_REC_CHECKPOINT, 0);
    sb_rec(s, XSR_REC_PAGE_DATA, 8 + 8 + 4096);
    sb_rec(s, XSR_REC_CHECKPOINT, 0);
    sb_rec(s, XSR_REC_END, 0);
    sb_finish(s);
}

/* ---------------------------------------------------------------- channels */

const char *chan_kind_name(enum chan_kind k)
{
    static const char *const names[] = { "mem", "mmap", "fd-file", "pipe", "fault" };
    return k < CK_COUNT ? names[k] : "?";
}

struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
    pthread_t thread;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    unsigned k = 0;
    while (off < f->len) {
        size_t n = (k++ % 13) * 11 + 1;
        if (n > f->len - off)
            n = f->len - off;
        ssize_t r = write(f->fd, f->buf + off, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(f->fd);
    return NULL;
}

/* One pipe feeder at a time is enough for these tests. */
static struct feeder the_feeder;
static bool feeding;

static int temp_file(const uint8_t *buf, size_t len, char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/xsr-stream-test-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t r = write(fd, buf + off, len - off);
        assert_true(r > 0);
        off += (size_t)r;
    }
    return fd;
}

struct xsr_chan *chan_over(enum chan_kind k, const uint8_t *buf, size_t len)
{
    struct xsr_chan *ch = NULL;
    char path[512];
    int fd;
    switch (k) {
    case CK_MEM:
        ch = xsr_chan_mem_reader(buf, len, NULL);
        break;
    case CK_MMAP:
        fd = temp_file(buf, len, path, sizeof(path));
        close(fd);
        ch = xsr_chan_open_read(path, 0, NULL);
        unlink(path); /* the mapping outlives the name */
        /* an empty file is read through its descriptor: nothing to map */
        assert_true(xsr_chan_can_view(ch) == (len > 0));
        break;
    case CK_FD_FILE:
        fd = temp_file(buf, len, path, sizeof(path));
        unlink(path);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        ch = xsr_chan_fd_reader(fd, true, NULL);
        break;
    case CK_PIPE: {
        int p[2];
        assert_false(feeding);
        signal(SIGPIPE, SIG_IGN); /* a test that stops early closes the pipe */
        assert_int_equal(pipe(p), 0);
        the_feeder.fd = p[1];
        the_feeder.buf = buf;
        the_feeder.len = len;
        assert_int_equal(pthread_create(&the_feeder.thread, NULL, feed, &the_feeder), 0);
        feeding = true;
        ch = xsr_chan_fd_reader(p[0], true, NULL);
        break;
    }
    case CK_FAULT: {
        struct xsr_fault_spec spec = { .size = sizeof(struct xsr_fault_spec), .max_io = 3, .eintr_every = 2, .fail_after = UINT64_MAX };
        ch = xsr_chan_fault(xsr_chan_mem_reader(buf, len, NULL), &spec, NULL);
        break;
    }
    default:
        break;
    }
    assert_non_null(ch);
    return ch;
}

void chan_done(struct xsr_chan *ch)
{
    /* closing the read end first lets a feeder blocked in write() finish */
    assert_int_equal(xsr_chan_close(ch, NULL), 0);
    if (feeding) {
        pthread_join(the_feeder.thread, NULL);
        feeding = false;
    }
}

static void check_event(const struct sample *s, size_t i, const struct xsr_event *ev)
{
    assert_true(i < s->nev);
    const struct exp_ev *e = &s->ev[i];
    if (ev->kind != e->kind || ev->layer != e->layer || ev->index != e->index ||
        ev->offset != e->offset)
        fail_msg("event %zu: kind %d layer %d index %lld offset %llu, expected %d %d %lld %llu", i,
                 ev->kind, ev->layer, (long long)ev->index, (unsigned long long)ev->offset,
                 e->kind, e->layer, (long long)e->index, (unsigned long long)e->offset);
    if (ev->kind == XSR_EV_RECORD || ev->kind == XSR_EV_LIBXL_RECORD) {
        assert_int_equal(ev->u.rec.type, e->type);
        assert_int_equal(ev->u.rec.length, e->length);
        assert_int_equal(ev->u.rec.offset, e->offset);
        for (uint32_t j = 0; j < ev->u.rec.length; j++)
            if (ev->u.rec.body[j] != sample_body_byte(e->type, j))
                fail_msg("event %zu: body byte %u differs", i, j);
        assert_true(xsr_all_zero(ev->u.rec.padding, xsr_rec_pad(ev->u.rec.length)));
        assert_int_equal(ev->raw_len, XSR_RHDR_SIZE);
        assert_memory_equal(ev->raw, s->buf + e->offset, XSR_RHDR_SIZE);
    } else if (ev->kind != XSR_EV_LEGACY) {
        assert_true(ev->raw_len > 0);
        assert_memory_equal(ev->raw, s->buf + e->offset, ev->raw_len);
    }
    if (ev->kind == XSR_EV_XL_HEADER) {
        assert_int_equal(ev->raw_len, XSR_XL_HDR_SIZE + e->length);
        assert_int_equal(ev->u.xl.hdr.optional_data_len, e->length);
        assert_ptr_equal(ev->u.xl.optional_data, ev->raw + XSR_XL_HDR_SIZE);
    }
}

int walk_and_check(const struct sample *s, struct xsr_chan *ch, size_t trailing_chunk,
                   uint8_t **out, size_t *out_len)
{
    struct xsr_error err;
    struct xsr_walker_opts o = XSR_WALKER_OPTS_INIT;
    o.trailing_chunk = trailing_chunk;
    struct xsr_walker *w = xsr_walker_new(ch, &o, &err);
    assert_non_null(w);
    struct xsr_chan *och = NULL;
    struct xsr_writer *wr = NULL;
    if (out) {
        och = xsr_chan_mem_writer(NULL);
        wr = xsr_writer_new(och, 4096, NULL);
        assert_non_null(wr);
    }
    struct xsr_event ev;
    size_t i = 0, trailing = 0;
    uint64_t next_trailing = 0;
    int rc;
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
        if (ev.kind == XSR_EV_TRAILING) {
            /* trailing bytes: contiguous chunks up to the end */
            assert_true(trailing_chunk == 0 || ev.raw_len <= trailing_chunk);
            if (trailing)
                assert_int_equal(ev.offset, next_trailing);
            assert_true(ev.offset + ev.raw_len <= s->len);
            assert_memory_equal(ev.raw, s->buf + ev.offset, ev.raw_len);
            trailing += ev.raw_len;
            next_trailing = ev.offset + ev.raw_len;
        } else {
            assert_int_equal(trailing, 0);
            check_event(s, i++, &ev);
        }
        if (wr)
            assert_int_equal(xsr_writer_event(wr, &ev, &err), 0);
    }
    if (rc < 0)
        fail_msg("walk failed (%d): %s", rc, err.message);
    assert_int_equal(i, s->nev);
    if (trailing)
        assert_int_equal(next_trailing, s->len);
    /* done means done */
    assert_int_equal(xsr_walker_next(w, &ev, &err), 0);
    xsr_walker_free(w);
    if (wr) {
        assert_int_equal(xsr_writer_free(wr, NULL), 0);
        size_t len;
        const uint8_t *d = xsr_chan_mem_data(och, &len);
        *out = malloc(len + 1);
        assert_non_null(*out);
        memcpy(*out, d, len);
        *out_len = len;
        xsr_chan_close(och, NULL);
    }
    return rc;
}
