/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

const char *tu_src_dir(void)
{
    const char *s = getenv("XSR_SRCDIR");
    return s ? s : ".";
}

const char *tu_shared_dir(void)
{
    static char buf[4096];
    struct stat st;
    const char *s = getenv("XSR_SHARED");
    if (s && *s) {
        snprintf(buf, sizeof(buf), "%s", s);
    } else {
        snprintf(buf, sizeof(buf), "%s/../shared", tu_src_dir());
    }
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return buf;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap *= 2);
        if (!nb) { free(buf); buf = NULL; }
        else buf = nb;
    }
    fclose(f);
    *len = n;
    return buf;
}

int tu_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

uint8_t *tu_generate(const struct xsr_gen_opts *o, size_t *len)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_chan *ch = xsr_chan_mem_writer(&err);
    if (!ch)
        return NULL;
    uint8_t *out = NULL;
    if (xsr_gen_write(o, ch, &err) == 0) {
        size_t n;
        const uint8_t *d = xsr_chan_mem_data(ch, &n);
        out = malloc(n ? n : 1);
        if (out) {
            memcpy(out, d, n);
            *len = n;
        }
    } else {
        char msg[600];
        xsr_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "generator failed: %s\n", msg);
    }
    xsr_chan_close(ch, NULL);
    return out;
}

struct find_ctx {
    const char *rule;
    bool *found;
    char *msg;
    size_t msg_len;
};

static void on_finding(void *vctx, const struct xsr_finding *f)
{
    struct find_ctx *c = vctx;
    if (getenv("XSR_TEST_VERBOSE"))
        fprintf(stderr, "  [%s] %s: %s\n", xsr_severity_name(f->severity), f->rule, f->message);
    if (c->rule && c->found && !*c->found && strcmp(f->rule, c->rule) == 0) {
        *c->found = true;
        if (c->msg && c->msg_len)
            snprintf(c->msg, c->msg_len, "%s", f->message);
    }
}

int tu_verify_buf(const uint8_t *buf, size_t len, bool lenient, const char *rule, bool *found,
                  char *msg, size_t msg_len)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    if (found)
        *found = false;
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    if (!ch)
        return -1;
    struct find_ctx ctx = {rule, found, msg, msg_len};
    struct xsr_check_opts opts = XSR_CHECK_OPTS_INIT;
    opts.lenient = lenient;
    opts.on_finding = on_finding;
    opts.ctx = &ctx;
    int rc = xsr_verify(ch, XSR_LAYER_NONE, &opts, NULL, &err);
    xsr_chan_close(ch, NULL);
    return rc;
}

uint8_t *tu_read_zst(const char *path, size_t *len)
{
    size_t clen;
    uint8_t *c = tu_read_file(path, &clen);
    if (!c)
        return NULL;
    unsigned long long n = ZSTD_getFrameContentSize(c, clen);
    if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN) {
        free(c);
        return NULL;
    }
    uint8_t *out = malloc(n ? n : 1);
    if (out) {
        size_t r = ZSTD_decompress(out, n, c, clen);
        if (ZSTD_isError(r) || r != n) {
            free(out);
            out = NULL;
        } else {
            *len = n;
        }
    }
    free(c);
    return out;
}
