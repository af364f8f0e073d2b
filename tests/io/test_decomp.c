/* SPDX-License-Identifier: MIT */
/*
 * Compressed input: xsr_chan_open_read recognises zstd, gzip and xz by their
 * magic (files and pipes), yields the original bytes (concatenated frames
 * too), and reports a truncated or corrupt compressed input as a located
 * XSR_EFORMAT error; plain input through a pipe loses none of the bytes
 * looked at to recognise it.
 */
#include <errno.h>
#include <lzma.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include <xsr/io.h>

#define DATA_LEN (3u << 20)
static uint8_t *data;

enum codec { ZSTD, GZIP, XZ };
static const char *const names[] = { "zstd", "gzip", "xz" };

/* Compressible bytes that are no Xen header: words of a slow counter. */
static void make_data(void)
{
    data = malloc(DATA_LEN);
    assert_non_null(data);
    uint32_t x = 12345;
    for (size_t i = 0; i < DATA_LEN; i++) {
        if (i % 64 == 0)
            x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)((x >> 16) + i % 7);
    }
}

static uint8_t *pack(enum codec c, const uint8_t *in, size_t n, size_t *out_len)
{
    size_t cap = n + n / 2 + 65536;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    if (c == ZSTD) {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        assert_non_null(cc);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        size_t r = ZSTD_compress2(cc, out, cap, in, n);
        assert_false(ZSTD_isError(r));
        ZSTD_freeCCtx(cc);
        *out_len = r;
    } else if (c == GZIP) {
        z_stream z = { 0 };
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        *out_len = z.total_out;
        deflateEnd(&z);
    } else {
        size_t pos = 0;
        assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap),
                         LZMA_OK);
        *out_len = pos;
    }
    return out;
}

static char *write_temp(const uint8_t *b, size_t n)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/xsr-decomp-test.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
    return path;
}

struct feeder {
    int fd;
    const uint8_t *buf;
    size_t len;
};

static void *feed(void *arg)
{
    struct feeder *f = arg;
    size_t off = 0;
    while (off < f->len) {
        ssize_t r = write(f->fd, f->buf + off, f->len - off > 4096 ? 4096 : f->len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(f->fd);
    return NULL;
}

/* Read all of ch into a buffer; returns the code of the read that ended it. */
static int read_all(struct xsr_chan *ch, uint8_t *buf, size_t cap, size_t *len, struct xsr_error *err)
{
    *len = 0;
    for (;;) {
        size_t got = 0, want = cap - *len > 100000 ? 100000 : cap - *len;
        int rc = xsr_chan_read(ch, buf + *len, want, &got, err);
        *len += got;
        if (rc == XSR_ETRUNC)
            return 0;
        if (rc < 0 || want == 0)
            return rc;
    }
}

/* Open bytes as a file or, through a pipe fed by a thread, as /dev/fd/N. */
struct opened {
    struct xsr_chan *ch;
    char *path;
    pthread_t t;
    struct feeder f;
    bool piped;
};

static void open_bytes(struct opened *o, const uint8_t *b, size_t n, bool piped, unsigned flags)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    memset(o, 0, sizeof(*o));
    o->piped = piped;
    if (piped) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        o->f = (struct feeder){ .fd = p[1], .buf = b, .len = n };
        assert_int_equal(pthread_create(&o->t, NULL, feed, &o->f), 0);
        char path[32];
        snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
        o->ch = xsr_chan_open_read(path, flags, &err);
        close(p[0]);
    } else {
        o->path = write_temp(b, n);
        o->ch = xsr_chan_open_read(o->path, flags, &err);
    }
    if (!o->ch)
        fail_msg("open: %s", err.message);
}

static void close_bytes(struct opened *o)
{
    xsr_chan_close(o->ch, NULL);
    if (o->piped)
        pthread_join(o->t, NULL);
    else
        unlink(o->path);
}

static void round_trip(enum codec c, bool piped)
{
    size_t n1, n2;
    uint8_t *z1 = pack(c, data, DATA_LEN / 2, &n1);
    uint8_t *z2 = pack(c, data + DATA_LEN / 2, DATA_LEN / 2, &n2);
    uint8_t *z = malloc(n1 + n2); /* two frames (members, streams) one after the other */
    assert_non_null(z);
    memcpy(z, z1, n1);
    memcpy(z + n1, z2, n2);
    struct opened o;
    open_bytes(&o, z, n1 + n2, piped, 0);
    assert_string_equal(xsr_chan_compression(o.ch), names[c]);
    assert_false(xsr_chan_can_view(o.ch));
    uint8_t *out = malloc(DATA_LEN + 1);
    size_t len;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(read_all(o.ch, out, DATA_LEN + 1, &len, &err), 0);
    assert_int_equal(len, DATA_LEN);
    assert_memory_equal(out, data, DATA_LEN);
    assert_int_equal(xsr_chan_offset(o.ch), DATA_LEN);
    close_bytes(&o);
    free(out);
    free(z);
    free(z1);
    free(z2);
}

/* Truncated (cut) or corrupt (bytes flipped in the middle) compressed input. */
static void damaged(enum codec c, bool piped, bool cut)
{
    size_t n;
    uint8_t *z = pack(c, data, DATA_LEN, &n);
    if (cut)
        n = n * 2 / 3;
    else
        for (size_t i = n / 2; i < n / 2 + 16; i++)
            z[i] ^= 0x5a;
    struct opened o;
    open_bytes(&o, z, n, piped, 0);
    /* room for more than the original: gzip finds a corruption only by the
     * checksum at the end, after whatever the damaged data decoded to */
    uint8_t *out = malloc(4 * DATA_LEN);
    size_t len;
    struct xsr_error err;
    xsr_error_clear(&err);
    assert_int_equal(read_all(o.ch, out, 4 * DATA_LEN, &len, &err), XSR_EFORMAT);
    if (cut)
        assert_true(len < DATA_LEN);
    assert_memory_equal(out, data, len > 4096 ? 4096 : len); /* what came first is right */
    assert_non_null(strstr(err.message, names[c]));
    assert_non_null(strstr(err.message, cut ? "truncated" : "corrupt"));
    assert_non_null(strstr(err.message, "compressed offset 0x"));
    assert_int_equal(err.offset, len); /* located where the good bytes end */
    /* the failure stays: a later read fails the same way */
    assert_int_equal(xsr_chan_read(o.ch, out, 1, NULL, &err), XSR_EFORMAT);
    close_bytes(&o);
    free(out);
    free(z);
}

#define CODEC_TESTS(c)                                                                    \
    static void test_##c##_file(void **s) { (void)s; round_trip(c, false); }              \
    static void test_##c##_pipe(void **s) { (void)s; round_trip(c, true); }               \
    static void test_##c##_truncated_file(void **s) { (void)s; damaged(c, false, true); } \
    static void test_##c##_truncated_pipe(void **s) { (void)s; damaged(c, true, true); }  \
    static void test_##c##_corrupt_file(void **s) { (void)s; damaged(c, false, false); }  \
    static void test_##c##_corrupt_pipe(void **s) { (void)s; damaged(c, true, false); }
CODEC_TESTS(ZSTD)
CODEC_TESTS(GZIP)
CODEC_TESTS(XZ)

/* Plain bytes through a pipe: the bytes read to look for a magic come first. */
static void test_plain_pipe_loses_nothing(void **state)
{
    (void)state;
    struct opened o;
    open_bytes(&o, data, DATA_LEN, true, 0);
    assert_null(xsr_chan_compression(o.ch));
    uint8_t *out = malloc(DATA_LEN + 1);
    size_t len;
    struct xsr_error err;
    xsr_error_clear(&err);
    uint8_t one;
    assert_int_equal(xsr_chan_read(o.ch, &one, 1, NULL, &err), 0); /* a short first read */
    assert_int_equal(one, data[0]);
    assert_int_equal(read_all(o.ch, out, DATA_LEN, &len, &err), 0);
    assert_int_equal(len, DATA_LEN - 1);
    assert_memory_equal(out, data + 1, DATA_LEN - 1);
    close_bytes(&o);
    free(out);
}

/* XSR_OPEN_NO_DECOMPRESS reads the compressed bytes as they are. */
static void test_no_decompress(void **state)
{
    (void)state;
    size_t n;
    uint8_t *z = pack(ZSTD, data, DATA_LEN, &n);
    for (int piped = 0; piped < 2; piped++) {
        struct opened o;
        open_bytes(&o, z, n, piped, XSR_OPEN_NO_DECOMPRESS);
        assert_null(xsr_chan_compression(o.ch));
        uint8_t *out = malloc(n + 1);
        size_t len;
        struct xsr_error err;
        xsr_error_clear(&err);
        assert_int_equal(read_all(o.ch, out, n + 1, &len, &err), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, z, n);
        close_bytes(&o);
        free(out);
    }
    free(z);
}

static int setup(void **state)
{
    (void)state;
    make_data();
    return 0;
}

#define CODEC_ENTRIES(c)                                                                   \
    cmocka_unit_test(test_##c##_file), cmocka_unit_test(test_##c##_pipe),                  \
        cmocka_unit_test(test_##c##_truncated_file), cmocka_unit_test(test_##c##_truncated_pipe), \
        cmocka_unit_test(test_##c##_corrupt_file), cmocka_unit_test(test_##c##_corrupt_pipe)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_ENTRIES(ZSTD),
        CODEC_ENTRIES(GZIP),
        CODEC_ENTRIES(XZ),
        cmocka_unit_test(test_plain_pipe_loses_nothing),
        cmocka_unit_test(test_no_decompress),
    };
    signal(SIGPIPE, SIG_IGN); /* a reader that stops early leaves its feeder an EPIPE */
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    free(data);
    return rc;
}
