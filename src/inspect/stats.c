/* SPDX-License-Identifier: MIT */
/*
 * xsr_stats: what a (live) stream spent its bytes on, per iteration.
 * An iteration is a run of PAGE_DATA records between other records, split
 * again where a pfn repeats (Xen's live passes follow each other with
 * nothing in between).  A 64-bit hash per frame tells re-sent pages that
 * did not change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <xxhash.h>

#include "analyze_scan.h"

struct stats_ctx {
    struct xsr_stats *st;
    uint64_t cap;
};

static struct xsr_stats_iter *cur(struct stats_ctx *c)
{
    return c->st->n_iters ? &c->st->iters[c->st->n_iters - 1] : NULL;
}

static int on_iter(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    struct stats_ctx *c = ctx;
    if (c->st->n_iters == XSR_STATS_ITERS_MAX) {
        c->st->iters_merged++;
        return 0;
    }
    if (c->st->n_iters == c->cap) {
        uint64_t ncap = c->cap ? c->cap * 2 : 16;
        struct xsr_stats_iter *it = realloc(c->st->iters, ncap * sizeof(*it));
        if (!it)
            return xsr_error_set(err, XSR_ENOMEM, "out of memory for %" PRIu64 " iterations", ncap);
        c->st->iters = it;
        c->cap = ncap;
    }
    struct xsr_stats_iter *it = &c->st->iters[c->st->n_iters++];
    memset(it, 0, sizeof(*it));
    it->offset = ev->offset;
    it->checkpoint = s->checkpoints;
    it->verify = s->verify;
    return 0;
}

static int on_event(void *ctx, struct xsri_scan *s, const struct xsr_event *ev, struct xsr_error *err)
{
    struct stats_ctx *c = ctx;
    (void)s;
    (void)err;
    if (ev->kind == XSR_EV_RECORD && ev->u.rec.type == XSR_REC_PAGE_DATA) {
        struct xsr_stats_iter *it = cur(c);
        uint64_t bytes = XSR_RHDR_SIZE + xsr_rec_padded(ev->u.rec.length);
        it->records++;
        it->bytes += bytes;
        c->st->page_bytes += bytes;
    }
    return 0;
}

static int on_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err)
{
    struct stats_ctx *c = ctx;
    struct xsr_stats_iter *it = cur(c);
    struct xsr_stats *st = c->st;
    (void)err;

    it->pfns++;
    it->by_type[pg->type]++;
    st->by_type[pg->type]++;
    if (!pg->verify && (pg->prev & XSRI_PF_SEEN)) {
        it->resent++;
        st->resent++;
    }
    if (!pg->data)
        return 0;
    it->data_pages++;
    if (xsr_all_zero(pg->data, XSR_PAGE_SIZE)) {
        it->zero_pages++;
        st->zero_pages++;
    }
    if (pg->verify)
        return 0;
    uint64_t h = XXH3_64bits(pg->data, XSR_PAGE_SIZE);
    uint64_t *last = xsri_pfns_aux(&s->pfns, pg->pfn);
    if ((pg->prev & XSRI_PF_DATA) && *last == h) {
        it->unchanged++;
        st->unchanged++;
    }
    *last = h;
    return 0;
}

static void finish(struct xsr_stats *st, const struct xsri_scan *s)
{
    const struct xsri_pfns *p = &s->pfns;
    struct xsri_pfn_iter f;

    st->dom_type = s->dom_type;
    st->version = s->version;
    st->complete = s->complete;
    st->input_bytes = s->bytes;
    st->records = s->records + s->page_records;
    st->page_records = s->page_records;
    st->checkpoints = s->checkpoints;
    st->any_pfn = p->any;
    st->max_pfn = p->max_pfn;
    for (uint64_t i = 0; i < st->n_iters; i++) {
        st->pfn_entries += st->iters[i].pfns;
        st->data_pages += st->iters[i].data_pages;
    }
    for (xsri_pfns_iter(&f, p, 0, UINT64_MAX); xsri_pfns_next(&f);) {
        uint16_t v = f.st;
        if (!(v & XSRI_PF_SEEN))
            continue;
        unsigned sent = xsri_pf_sent(v);
        st->frames++;
        if (sent > 1)
            st->frames_resent++;
        st->sent_hist[(sent > XSR_STATS_SENT_BUCKETS ? XSR_STATS_SENT_BUCKETS : sent) - 1]++;
        st->final_by_type[v & XSRI_PF_TYPE]++;
    }
}

int xsr_stats_collect(struct xsr_chan *in, const struct xsr_analyze_opts *o, struct xsr_stats **out,
                      struct xsr_error *err)
{
    struct stats_ctx c = { 0 };
    struct xsri_scan s;
    int rc;

    *out = NULL;
    if (xsri_analysis_sizes(NULL, 0, 0, o, NULL, 0, 0, err) < 0)
        return XSR_EINVAL;
    c.st = calloc(1, sizeof(*c.st));
    if (!c.st)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    struct xsri_scan_cb cb = { .ctx = &c, .event = on_event, .iter_begin = on_iter, .page = on_page };
    rc = xsri_scan_run(in, o, true, &cb, &s, err);
    finish(c.st, &s);
    xsri_scan_free(&s);
    *out = c.st;
    return rc;
}

void xsr_stats_free(struct xsr_stats *s)
{
    if (s) {
        free(s->iters);
        free(s);
    }
}

/* -------------------------------------------------------------- output */

static void print_types(FILE *f, const char *label, const uint64_t t[16])
{
    bool any = false;
    fprintf(f, "%s:", label);
    for (unsigned i = 0; i < 16; i++) {
        if (!t[i])
            continue;
        fprintf(f, "%s %s %" PRIu64, any ? "," : "", xsr_pfn_type_name(i), t[i]);
        any = true;
    }
    fputs(any ? "\n" : " none\n", f);
}

static void print_text(const struct xsr_stats *s, FILE *f)
{
    const char *dt = xsr_dom_type_name(s->dom_type);

    fprintf(f, "stream: %s, libxc version %" PRIu32 ", %s\n", dt ? dt : "unknown guest type",
            s->version, s->complete ? "complete" : "incomplete (ended early)");
    fprintf(f, "input: %" PRIu64 " bytes, %" PRIu64 " libxc records, %" PRIu64
            " PAGE_DATA records (%" PRIu64 " bytes)\n", s->input_bytes, s->records, s->page_records,
            s->page_bytes);
    if (s->checkpoints)
        fprintf(f, "checkpoints: %" PRIu64 "\n", s->checkpoints);
    fprintf(f, "pages: %" PRIu64 " pfn entries, %" PRIu64 " with data, %" PRIu64 " all-zero\n",
            s->pfn_entries, s->data_pages, s->zero_pages);
    if (s->any_pfn)
        fprintf(f, "frames: %" PRIu64 " named (highest pfn 0x%" PRIx64 "), %" PRIu64
                " sent in more than one iteration\n", s->frames, s->max_pfn, s->frames_resent);
    else
        fputs("frames: none\n", f);
    fprintf(f, "re-sent: %" PRIu64 " entries, %" PRIu64 " of them identical to the previous copy\n",
            s->resent, s->unchanged);
    fputs("times sent:", f);
    for (unsigned i = 0; i < XSR_STATS_SENT_BUCKETS; i++)
        fprintf(f, " %u%s=%" PRIu64, i + 1, i + 1 == XSR_STATS_SENT_BUCKETS ? "+" : "", s->sent_hist[i]);
    fputc('\n', f);
    print_types(f, "types sent", s->by_type);
    print_types(f, "final types", s->final_by_type);
    if (s->iters_merged)
        fprintf(f, "iterations: %" PRIu64 " (the last also counts the %" PRIu64 " after it)\n",
                s->n_iters + s->iters_merged, s->iters_merged);
    else
        fprintf(f, "iterations: %" PRIu64 "\n", s->n_iters);
    if (!s->n_iters)
        return;
    fprintf(f, "  %5s %12s %5s %6s %8s %9s %9s %8s %9s %9s %12s\n", "iter", "offset", "ckpt", "verify",
            "records", "pfns", "data", "zero", "resent", "unchanged", "bytes");
    for (uint64_t i = 0; i < s->n_iters; i++) {
        const struct xsr_stats_iter *it = &s->iters[i];
        fprintf(f, "  %5" PRIu64 " %#12" PRIx64 " %5" PRIu64 " %6s %8" PRIu64 " %9" PRIu64 " %9" PRIu64
                " %8" PRIu64 " %9" PRIu64 " %9" PRIu64 " %12" PRIu64 "\n", i + 1, it->offset,
                it->checkpoint, it->verify ? "yes" : "no", it->records, it->pfns, it->data_pages,
                it->zero_pages, it->resent, it->unchanged, it->bytes);
    }
}

static json_object *types_json(const uint64_t t[16])
{
    json_object *o = json_object_new_object();
    for (unsigned i = 0; i < 16; i++)
        if (t[i])
            json_object_object_add(o, xsr_pfn_type_name(i), json_object_new_int64((int64_t)t[i]));
    return o;
}

#define J64(v) json_object_new_int64((int64_t)(v))

/* Everything but the iterations (written one by one, see print_json). */
static json_object *head_json(const struct xsr_stats *s)
{
    json_object *o = json_object_new_object();
    const char *dt = xsr_dom_type_name(s->dom_type);

    json_object_object_add(o, "guest_type", dt ? json_object_new_string(dt) : NULL);
    json_object_object_add(o, "version", J64(s->version));
    json_object_object_add(o, "complete", json_object_new_boolean(s->complete));
    json_object_object_add(o, "input_bytes", J64(s->input_bytes));
    json_object_object_add(o, "records", J64(s->records));
    json_object_object_add(o, "page_records", J64(s->page_records));
    json_object_object_add(o, "page_bytes", J64(s->page_bytes));
    json_object_object_add(o, "pfn_entries", J64(s->pfn_entries));
    json_object_object_add(o, "data_pages", J64(s->data_pages));
    json_object_object_add(o, "zero_pages", J64(s->zero_pages));
    json_object_object_add(o, "checkpoints", J64(s->checkpoints));
    json_object_object_add(o, "max_pfn", s->any_pfn ? J64(s->max_pfn) : NULL);
    json_object_object_add(o, "frames", J64(s->frames));
    json_object_object_add(o, "frames_resent", J64(s->frames_resent));
    json_object_object_add(o, "resent", J64(s->resent));
    json_object_object_add(o, "unchanged", J64(s->unchanged));
    json_object *h = json_object_new_array();
    for (unsigned i = 0; i < XSR_STATS_SENT_BUCKETS; i++)
        json_object_array_add(h, J64(s->sent_hist[i]));
    json_object_object_add(o, "times_sent", h);
    json_object_object_add(o, "types_sent", types_json(s->by_type));
    json_object_object_add(o, "final_types", types_json(s->final_by_type));
    json_object_object_add(o, "iterations_merged", J64(s->iters_merged));
    return o;
}

static json_object *iter_json(const struct xsr_stats_iter *it)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "offset", J64(it->offset));
    json_object_object_add(j, "checkpoint", J64(it->checkpoint));
    json_object_object_add(j, "verify", json_object_new_boolean(it->verify));
    json_object_object_add(j, "records", J64(it->records));
    json_object_object_add(j, "bytes", J64(it->bytes));
    json_object_object_add(j, "pfns", J64(it->pfns));
    json_object_object_add(j, "data_pages", J64(it->data_pages));
    json_object_object_add(j, "zero_pages", J64(it->zero_pages));
    json_object_object_add(j, "resent", J64(it->resent));
    json_object_object_add(j, "unchanged", J64(it->unchanged));
    json_object_object_add(j, "types", types_json(it->by_type));
    return j;
}

/* One document, the iterations written one object (and line) at a time:
 * a tree of the whole document took about a hundred times the bytes of a
 * stream of many short iterations. */
static bool print_json(const struct xsr_stats *s, FILE *out)
{
    const int fl = JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;
    json_object *o = head_json(s);
    const char *txt = o ? json_object_to_json_string_ext(o, fl | JSON_C_TO_STRING_PRETTY) : NULL;
    const char *close = txt ? strrchr(txt, '}') : NULL;
    bool ok = close != NULL;

    while (ok && close > txt && (close[-1] == '\n' || close[-1] == ' '))
        close--;
    if (ok) /* the head without its closing brace */
        fprintf(out, "%.*s,\n  \"iterations\": [", (int)(close - txt), txt);
    json_object_put(o);
    for (uint64_t i = 0; ok && i < s->n_iters; i++) {
        json_object *j = iter_json(&s->iters[i]);
        txt = j ? json_object_to_json_string_ext(j, fl) : NULL;
        if (txt)
            fprintf(out, "%s\n    %s", i ? "," : "", txt);
        ok = txt != NULL;
        json_object_put(j);
    }
    if (ok)
        fputs(s->n_iters ? "\n  ]\n}\n" : "]\n}\n", out);
    return ok;
}

int xsr_stats_print(const struct xsr_stats *s, bool json, FILE *out, struct xsr_error *err)
{
    if (json) {
        if (!print_json(s, out))
            return xsr_error_set(err, XSR_ENOMEM, "out of memory writing the statistics as JSON");
    } else {
        print_text(s, out);
    }
    if (ferror(out))
        return xsr_error_sys(err, errno, "writing the statistics failed");
    return 0;
}
