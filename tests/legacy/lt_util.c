/* SPDX-License-Identifier: MIT */
#include "lt_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add_mark(void *ctx, const char *what, uint64_t offset)
{
    struct lt_marks *m = ctx;

    if (m->n < sizeof(m->off) / sizeof(m->off[0])) {
        snprintf(m->what[m->n], sizeof(m->what[0]), "%s", what);
        m->off[m->n++] = offset;
    }
}

uint8_t *lt_gen(const struct xsr_legacy_gen_opts *o, size_t *len, struct lt_marks *marks)
{
    struct xsr_legacy_gen_opts g = *o;
    struct xsr_error err;
    struct xsr_chan *ch;
    uint8_t *out = NULL;

    xsr_error_clear(&err);
    if (marks) {
        marks->n = 0;
        g.mark = add_mark;
        g.mark_ctx = marks;
    }
    ch = xsr_chan_mem_writer(&err);
    if (ch && xsr_legacy_gen_write(&g, ch, &err) == 0) {
        size_t n;
        const uint8_t *d = xsr_chan_mem_data(ch, &n);
        out = malloc(n ? n : 1);
        if (out) {
            memcpy(out, d, n);
            *len = n;
        }
    } else {
        fprintf(stderr, "legacy generator failed: %s\n", err.message);
    }
    xsr_chan_close(ch, NULL);
    return out;
}

uint64_t lt_mark(const struct lt_marks *m, const char *what, unsigned nth)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->what[i], what) == 0 && nth-- == 0)
            return m->off[i];
    return UINT64_MAX;
}

static uint8_t *take(struct xsr_chan *ch, size_t *len)
{
    size_t n = 0;
    const uint8_t *d = ch ? xsr_chan_mem_data(ch, &n) : NULL;
    uint8_t *out = malloc(n ? n : 1);

    if (out && n)
        memcpy(out, d, n);
    *len = n;
    return out;
}

int lt_convert(const uint8_t *in, size_t len, const struct xsr_legacy_opts *o, uint8_t **out,
               size_t *out_len, struct xsr_legacy_info *info, struct xsr_error *err)
{
    struct xsr_chan *ic = xsr_chan_mem_reader(in, len, err);
    struct xsr_chan *oc = xsr_chan_mem_writer(err);
    int rc = ic && oc ? xsr_convert_legacy(ic, oc, o, info, err) : XSR_ENOMEM;

    *out = take(oc, out_len);
    xsr_chan_close(ic, NULL);
    xsr_chan_close(oc, NULL);
    return rc;
}

int lt_convert_version(const uint8_t *in, size_t len, const struct xsr_convert_opts *o,
                       uint8_t **out, size_t *out_len, struct xsr_convert_info *info,
                       struct xsr_error *err)
{
    struct xsr_chan *ic = xsr_chan_mem_reader(in, len, err);
    struct xsr_chan *oc = xsr_chan_mem_writer(err);
    int rc = ic && oc ? xsr_convert_version(ic, oc, o, info, err) : XSR_ENOMEM;

    *out = take(oc, out_len);
    xsr_chan_close(ic, NULL);
    xsr_chan_close(oc, NULL);
    return rc;
}

void lt_walk(const uint8_t *buf, size_t len, struct lt_list *l)
{
    struct xsr_error err;
    struct xsr_chan *ch;
    struct xsr_walker *w;
    struct xsr_event ev;
    size_t cap = 0;
    unsigned cp = 0;
    int rc;

    memset(l, 0, sizeof(*l));
    xsr_error_clear(&err);
    ch = xsr_chan_mem_reader(buf, len, &err);
    w = ch ? xsr_walker_new(ch, NULL, &err) : NULL;
    if (!w) {
        l->walk_rc = err.code ? err.code : XSR_ENOMEM;
        xsr_chan_close(ch, NULL);
        return;
    }
    while ((rc = xsr_walker_next(w, &ev, &err)) == 1) {
        if (l->n == cap) {
            cap = cap ? 2 * cap : 256;
            l->r = realloc(l->r, cap * sizeof(*l->r));
        }
        struct lt_rec *r = &l->r[l->n++];
        memset(r, 0, sizeof(*r));
        r->kind = ev.kind;
        r->layer = ev.layer;
        r->offset = ev.offset;
        r->checkpoint = cp;
        if (ev.kind == XSR_EV_RECORD || ev.kind == XSR_EV_LIBXL_RECORD) {
            r->type = ev.u.rec.type;
            r->length = ev.u.rec.length;
            /* mem reader views point into buf */
            r->body = ev.u.rec.body;
            if (ev.kind == XSR_EV_RECORD && ev.u.rec.type == XSR_REC_CHECKPOINT)
                cp++;
        } else {
            r->body = ev.raw;
            r->length = (uint32_t)ev.raw_len;
        }
    }
    l->walk_rc = rc;
    if (rc < 0)
        xsr_error_format(&err, l->walk_msg, sizeof(l->walk_msg));
    xsr_walker_free(w);
    xsr_chan_close(ch, NULL);
}

void lt_free(struct lt_list *l)
{
    free(l->r);
    l->r = NULL;
    l->n = 0;
}

size_t lt_count(const struct lt_list *l, enum xsr_layer layer, uint32_t type)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if ((l->r[i].kind == XSR_EV_RECORD || l->r[i].kind == XSR_EV_LIBXL_RECORD) &&
            l->r[i].layer == layer && l->r[i].type == type)
            n++;
    return n;
}

const struct lt_rec *lt_find(const struct lt_list *l, enum xsr_layer layer, uint32_t type,
                             unsigned nth)
{
    for (size_t i = 0; i < l->n; i++)
        if ((l->r[i].kind == XSR_EV_RECORD || l->r[i].kind == XSR_EV_LIBXL_RECORD) &&
            l->r[i].layer == layer && l->r[i].type == type && nth-- == 0)
            return &l->r[i];
    return NULL;
}

struct first_error {
    char *msg;
    size_t len;
    bool seen;
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct first_error *fe = ctx;
    if (f->severity == XSR_SEV_ERROR && !fe->seen && fe->msg) {
        snprintf(fe->msg, fe->len, "%s [%s]", f->message, f->rule);
        fe->seen = true;
    }
}

int lt_verify(const uint8_t *buf, size_t len, bool lenient, char *msg, size_t msg_len)
{
    struct first_error fe = { msg, msg_len, false };
    struct xsr_check_opts o = XSR_CHECK_OPTS_INIT;
    o.lenient = lenient;
    o.on_finding = on_finding;
    o.ctx = &fe;
    struct xsr_error err;
    struct xsr_chan *ch;
    int rc;

    if (msg && msg_len)
        msg[0] = 0;
    xsr_error_clear(&err);
    ch = xsr_chan_mem_reader(buf, len, &err);
    rc = ch ? xsr_verify(ch, XSR_LAYER_NONE, &o, NULL, &err) : -1;
    xsr_chan_close(ch, NULL);
    if (rc < 0 && msg)
        snprintf(msg, msg_len, "verify failed: %s", err.message);
    return rc;
}

char *lt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = malloc(4096);

    snprintf(path, 4096, "%s/xsr-legacy-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

void lt_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int lt_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}
