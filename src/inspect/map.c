/* SPDX-License-Identifier: MIT */
/*
 * xsr_map_svg: a picture of guest physical memory.  One cell per frame, or
 * per power-of-two run of frames when the guest has more frames than
 * max_cells, so the picture has a bounded size from 64 MiB to 64 GiB guests.
 * A cell takes the most common class among its frames that were sent
 * (absent only if none was), is darker the more often they were sent, and
 * lighter when most of its memory is all-zero pages.  Long runs of frames
 * without memory (never sent, or XTAB: an HVM guest's MMIO hole, the pfns
 * between a PVH guest's RAM and its special pages) are not drawn: a break
 * with their pfn range stands in their place, so the memory a guest has gets
 * the picture.  Each row is labelled with its first pfn.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_scan.h"
#include "dump_emit.h"

/* A run of frames without memory is collapsed from 8 MiB on; at most this
 * many runs (the longest) are, so that a sparse guest keeps a readable map. */
#define GAP_MIN_FRAMES 2048u
#define MAX_BREAKS 16u
/* Room at the left for the pfn labels of the rows, and a break's height. */
#define LABEL_W 74u
#define BREAK_H 30u

static const char *const class_names[XSR_MAP_CLASS_COUNT] = {
    "absent", "normal", "l1", "l2", "l3", "l4", "pinned", "xtab", "xalloc", "broken",
};
static const char *const class_labels[XSR_MAP_CLASS_COUNT] = {
    "absent (never sent)", "normal (NOTAB)", "L1 page table", "L2 page table", "L3 page table",
    "L4 page table", "pinned page table", "XTAB (invalid)", "XALLOC (allocated, no data)",
    "BROKEN",
};
static const uint32_t class_rgb[XSR_MAP_CLASS_COUNT] = {
    0xe4e4e4, 0x4c9be8, 0x9ad46e, 0x5cb85c, 0x2e8b57, 0x1b5e20, 0xa46fd4, 0xf0a030, 0xe8cf4a,
    0xd9534f,
};
/* Shade for frames sent 1, 2, 3, 4+ times (percent of the base colour). */
#define SHADES 4
static const unsigned shade_pct[SHADES] = { 100, 78, 60, 44 };

const char *xsr_map_class_name(enum xsr_map_class c)
{
    return (unsigned)c < XSR_MAP_CLASS_COUNT ? class_names[c] : "unknown";
}

static enum xsr_map_class frame_class(uint16_t st)
{
    if (!(st & XSRI_PF_SEEN))
        return XSR_MAP_ABSENT;
    unsigned t = st & XSRI_PF_TYPE;
    switch (t) {
    case XSR_PFN_NOTAB: return XSR_MAP_NORMAL;
    case XSR_PFN_L1TAB: return XSR_MAP_L1;
    case XSR_PFN_L2TAB: return XSR_MAP_L2;
    case XSR_PFN_L3TAB: return XSR_MAP_L3;
    case XSR_PFN_L4TAB: return XSR_MAP_L4;
    case XSR_PFN_BROKEN: return XSR_MAP_BROKEN;
    case XSR_PFN_XALLOC: return XSR_MAP_XALLOC;
    case XSR_PFN_XTAB: return XSR_MAP_XTAB;
    default: return XSR_MAP_PINNED; /* 9..C; 5..8 never reach the state */
    }
}

/* zero: mostly all-zero pages, drawn as a pale tint of the colour */
static void colour(char out[16], enum xsr_map_class c, unsigned shade, bool zero)
{
    uint32_t rgb = class_rgb[c];
    unsigned pct = c == XSR_MAP_ABSENT ? 100 : shade_pct[shade];
    unsigned v[3] = { ((rgb >> 16) & 0xff) * pct / 100, ((rgb >> 8) & 0xff) * pct / 100,
                      (rgb & 0xff) * pct / 100 };
    for (unsigned i = 0; zero && i < 3; i++)
        v[i] = v[i] + (255 - v[i]) * 70 / 100;
    snprintf(out, 16, "#%02x%02x%02x", v[0] & 0xffu, v[1] & 0xffu, v[2] & 0xffu);
}

/* Text for the document: the title is the input's file name by default,
 * which may hold any byte.  Bytes that are not UTF-8 and control characters
 * become "\xNN" (xsri_clean_string), and so do U+FFFE and U+FFFF, valid
 * UTF-8 that XML does not allow. */
static int put_escaped(FILE *f, const char *text)
{
    char *clean = xsri_clean_string(text, strlen(text));
    if (!clean)
        return -1;
    for (const char *s = clean; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if (memcmp(s, "\xef\xbf", 2) == 0 && (s[2] == '\xbe' || s[2] == '\xbf')) {
                fprintf(f, "\\xef\\xbf\\x%02x", (unsigned char)s[2]);
                s += 2;
            } else {
                fputc(*s, f);
            }
        }
    }
    free(clean);
    return 0;
}

static void size_text(char *buf, size_t n, uint64_t bytes)
{
    if (bytes >= (1ull << 30))
        snprintf(buf, n, "%.1f GiB", (double)bytes / (double)(1ull << 30));
    else if (bytes >= (1ull << 20))
        snprintf(buf, n, "%.1f MiB", (double)bytes / (double)(1ull << 20));
    else
        snprintf(buf, n, "%" PRIu64 " KiB", bytes >> 10);
}

/* Which frames hold all-zero pages now (the last copy of each counts): the
 * client bit of the frame's state. */
static int on_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg, struct xsr_error *err)
{
    (void)ctx;
    (void)err;
    if (pg->data && !pg->verify)
        xsri_pfns_set_mark(&s->pfns, pg->pfn, xsr_all_zero(pg->data, XSR_PAGE_SIZE));
    return 0;
}

/* No memory after a restore, nothing to draw: never sent, or XTAB. */
static bool empty_frame(uint16_t st)
{
    enum xsr_map_class k = frame_class(st);
    return k == XSR_MAP_ABSENT || k == XSR_MAP_XTAB;
}

/* What the frames [first, end) hold, by class; frames the stream never
 * named are absent. */
struct tally {
    uint64_t cnt[XSR_MAP_CLASS_COUNT];
    uint64_t sent, seen;    /* times sent, over the frames seen */
    uint64_t mem, zmem;     /* frames with memory, those of them all zero */
};

static void tally(const struct xsri_pfns *p, uint64_t first, uint64_t end, struct tally *t)
{
    struct xsri_pfn_iter it;
    uint64_t named = 0;
    memset(t, 0, sizeof(*t));
    for (xsri_pfns_iter(&it, p, first, end); xsri_pfns_next(&it); named++) {
        enum xsr_map_class k = frame_class(it.st);
        t->cnt[k]++;
        if (k != XSR_MAP_ABSENT) {
            t->sent += xsri_pf_sent(it.st);
            t->seen++;
        }
        if (xsri_pf_memory(it.st)) {
            t->mem++;
            t->zmem += xsri_pfn_iter_mark(&it);
        }
    }
    t->cnt[XSR_MAP_ABSENT] += end - first - named;
}

/* A run of frames drawn as cells, [first, end). */
struct seg {
    uint64_t first, end;
};

static int cmp_len(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y); /* longest first */
}

/*
 * The drawn runs: everything but the runs of at least GAP_MIN_FRAMES empty
 * frames, the MAX_BREAKS longest of them if there are more.
 */
static struct seg *find_segments(const struct xsri_scan *s, uint64_t frames, size_t *n,
                                 struct xsr_error *err)
{
    struct seg *gaps = NULL, *v = NULL;
    uint64_t *lens = NULL;
    size_t ng = 0, cap = 0;
    struct xsri_pfn_iter it;
    uint64_t first = 0; /* after the last frame drawn */
    xsri_pfns_iter(&it, &s->pfns, 0, frames);
    for (bool more = true; more;) {
        uint64_t pfn = frames;
        if ((more = xsri_pfns_next(&it))) {
            if (empty_frame(it.st))
                continue;
            pfn = it.pfn;
        }
        uint64_t gap = first;
        first = pfn + 1;
        if (pfn - gap < GAP_MIN_FRAMES)
            continue;
        if (ng == cap) {
            cap = cap ? 2 * cap : 16;
            struct seg *w = realloc(gaps, cap * sizeof(*w));
            if (!w)
                goto nomem;
            gaps = w;
        }
        gaps[ng++] = (struct seg){ gap, pfn };
    }
    uint64_t keep_from = 0; /* gaps at least this long become breaks */
    if (ng > MAX_BREAKS) {
        lens = malloc(ng * sizeof(*lens));
        if (!lens)
            goto nomem;
        for (size_t i = 0; i < ng; i++)
            lens[i] = gaps[i].end - gaps[i].first;
        qsort(lens, ng, sizeof(*lens), cmp_len);
        keep_from = lens[MAX_BREAKS - 1];
    }
    v = malloc((ng + 1) * sizeof(*v));
    if (!v)
        goto nomem;
    *n = 0;
    uint64_t start = 0;
    size_t kept = 0;
    for (size_t i = 0; i < ng; i++) {
        if (gaps[i].end - gaps[i].first < keep_from || kept == MAX_BREAKS)
            continue;
        kept++;
        if (gaps[i].first > start)
            v[(*n)++] = (struct seg){ start, gaps[i].first };
        start = gaps[i].end;
    }
    if (start < frames || *n == 0)
        v[(*n)++] = (struct seg){ start < frames ? start : 0, frames };
    free(gaps);
    free(lens);
    return v;
nomem:
    free(gaps);
    free(lens);
    xsr_error_set(err, XSR_ENOMEM, "out of memory for the map's layout");
    return NULL;
}

/* A break in place of the frames [first, end): a zigzag line, the pfn range
 * and what fills it, drawn at *y (advanced past it). */
static void draw_break(FILE *f, const struct xsri_scan *s, uint64_t first, uint64_t end,
                       uint64_t x0, uint64_t w, uint64_t *y)
{
    struct tally t;
    tally(&s->pfns, first, end, &t);
    uint64_t xtab = t.cnt[XSR_MAP_XTAB];
    char size[32];
    size_text(size, sizeof(size), (end - first) * XSR_PAGE_SIZE);
    fprintf(f, "<g class=\"break\" data-first=\"0x%" PRIx64 "\" data-last=\"0x%" PRIx64
               "\" data-frames=\"%" PRIu64 "\">\n<polyline fill=\"none\" stroke=\"#808080\" points=\"",
            first, end - 1, end - first);
    for (uint64_t x = x0, i = 0; x <= x0 + w; x += 8, i++)
        fprintf(f, "%" PRIu64 ",%" PRIu64 " ", x, *y + 5 + (i & 1) * 6);
    fprintf(f, "\"/>\n<text x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" font-size=\"11\">pfn 0x%" PRIx64
               "-0x%" PRIx64 " not drawn: %s, %s</text>\n</g>\n",
            x0, *y + 25, first, end - 1, size,
            xtab == end - first ? "all XTAB (no memory)"
            : xtab             ? "XTAB or never sent (no memory)"
                               : "never sent (no memory)");
    *y += BREAK_H;
}

/* Cells of a segment with fpc frames per cell, aligned to multiples of fpc. */
static uint64_t seg_cells(const struct seg *g, uint64_t fpc)
{
    return (g->end + fpc - 1) / fpc - g->first / fpc;
}

_Static_assert(XSR_MAP_CLASS_COUNT <= XSR_MAP_CLASS_SLOTS, "xsr_map_result has room for every class");

int xsr_map_svg(struct xsr_chan *in, const struct xsr_map_opts *o, FILE *out,
                struct xsr_map_result *res, struct xsr_error *err)
{
    static const struct xsr_map_opts no_opts = XSR_MAP_OPTS_INIT;
    struct xsr_map_result dummy = XSR_MAP_RESULT_INIT;
    struct xsri_scan s;
    struct xsri_scan_cb cb = { .page = on_page };
    int rc;

    if (!o)
        o = &no_opts;
    if (!res)
        res = &dummy;
    if (xsri_analysis_sizes("xsr_map_opts", o->size, sizeof(*o), &o->a, "xsr_map_result", res->size,
                            sizeof(*res), err) < 0)
        return XSR_EINVAL;
    memset(res, 0, sizeof(*res));
    res->size = sizeof(*res);
    rc = xsri_scan_run(in, &o->a, false, &cb, &s, err);
    if (rc < 0) {
        xsri_scan_free(&s);
        return rc;
    }

    uint64_t frames = xsri_pfns_count(&s.pfns);
    struct tally all;
    tally(&s.pfns, 0, frames, &all);
    memcpy(res->by_class, all.cnt, sizeof(all.cnt));
    uint64_t populated = all.mem, zero = all.zmem;
    size_t nseg = 0;
    struct seg *seg = find_segments(&s, frames, &nseg, err);
    if (!seg) {
        xsri_scan_free(&s);
        return XSR_ENOMEM;
    }

    uint64_t max_cells = o->max_cells ? o->max_cells : XSR_MAP_CELLS_DEFAULT;
    uint64_t fpc = 1, cells;
    for (;;) {
        cells = 0;
        for (size_t i = 0; i < nseg; i++)
            cells += seg_cells(&seg[i], fpc);
        if (cells <= max_cells || fpc >= (1ull << 40))
            break;
        fpc *= 2;
    }
    if (frames == 0)
        cells = 0;
    uint64_t cols = o->columns ? o->columns : XSR_MAP_COLUMNS_DEFAULT;
    uint64_t widest = 1;
    for (size_t i = 0; i < nseg && frames; i++)
        if (seg_cells(&seg[i], fpc) > widest)
            widest = seg_cells(&seg[i], fpc);
    if (cols > widest)
        cols = widest;
    uint64_t rows = 0;
    for (size_t i = 0; i < nseg && frames; i++)
        rows += (seg_cells(&seg[i], fpc) + cols - 1) / cols;
    unsigned px = cols >= 128 ? 8 : cols >= 64 ? 12 : 16;
    /* a label on every row, or every other one when rows are thin */
    unsigned label_every = px >= 12 ? 1 : 2;
    unsigned margin = 10, head = 78, legend_h = 22 * (XSR_MAP_CLASS_COUNT + 3) + 20;
    uint64_t grid_x = margin + LABEL_W;
    uint64_t breaks = nseg > 1 ? nseg - 1 : 0;
    if (frames && seg[0].first > 0)
        breaks++;
    if (frames && seg[nseg - 1].end < frames)
        breaks++;
    uint64_t width = grid_x + cols * px + margin, height = head + rows * px + breaks * BREAK_H + legend_h;
    if (width < 620)
        width = 620;

    res->frames = frames;
    res->frames_per_cell = fpc;
    res->cells = cells;

    char size[32], fill[16], pop[32];
    const char *dt = xsr_dom_type_name(s.dom_type);
    size_text(size, sizeof(size), frames * XSR_PAGE_SIZE);
    size_text(pop, sizeof(pop), populated * XSR_PAGE_SIZE);

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%" PRIu64
                 "\" height=\"%" PRIu64 "\" viewBox=\"0 0 %" PRIu64 " %" PRIu64 "\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n",
            width, height, width, height);
    const char *title = o->title ? o->title : "guest physical memory";
    fputs("<title>", out);
    int trc = put_escaped(out, title);
    fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fprintf(out, "<text x=\"%u\" y=\"20\" font-size=\"15\" font-weight=\"bold\" id=\"heading\" "
                 "data-populated-frames=\"%" PRIu64 "\">", margin, populated);
    trc |= put_escaped(out, title);
    fprintf(out, ": %s of memory (%" PRIu64 " frames)</text>\n", pop, populated);
    if (trc < 0) {
        xsri_scan_free(&s);
        free(seg);
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the title of the picture");
    }
    fprintf(out, "<text x=\"%u\" y=\"40\" id=\"summary\" data-frames=\"%" PRIu64 "\" "
                 "data-frames-per-cell=\"%" PRIu64 "\" data-cells=\"%" PRIu64 "\" data-breaks=\"%"
                 PRIu64 "\">%s, pfn 0x0-0x%" PRIx64 " (%s), %" PRIu64 " frame%s per cell, rows of %"
                 PRIu64 " cells (%" PRIu64 " frames)</text>\n",
            margin, frames, fpc, cells, breaks, dt ? dt : "unknown guest type",
            frames ? frames - 1 : 0, size, fpc, fpc == 1 ? "" : "s", cols, cols * fpc);
    fprintf(out, "<text x=\"%u\" y=\"58\" fill=\"#505050\">%" PRIu64 " all-zero page%s (%.0f%% of the "
                 "memory) drawn pale; long runs of frames without memory not drawn</text>\n",
            margin, zero, zero == 1 ? "" : "s", populated ? 100.0 * (double)zero / (double)populated : 0.0);
    fprintf(out, "<text x=\"%u\" y=\"%u\" font-size=\"11\" fill=\"#505050\" id=\"axis\">pfn</text>\n",
            margin, head - 6);

    uint64_t y = head;
    fprintf(out, "<g id=\"cells\" stroke=\"none\">\n");
    char *labels = NULL, *brk = NULL;
    size_t labels_len = 0, brk_len = 0;
    FILE *lf = open_memstream(&labels, &labels_len), *bf = open_memstream(&brk, &brk_len);
    if (!lf || !bf) {
        if (lf)
            fclose(lf);
        if (bf)
            fclose(bf);
        free(labels);
        free(brk);
        xsri_scan_free(&s);
        free(seg);
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the labels of the picture");
    }
    for (size_t i = 0; i < nseg && frames; i++) {
        if (seg[i].first > (i ? seg[i - 1].end : 0))
            draw_break(bf, &s, i ? seg[i - 1].end : 0, seg[i].first, grid_x, cols * px, &y);
        uint64_t c0 = seg[i].first / fpc, n = seg_cells(&seg[i], fpc);
        for (uint64_t j = 0; j < n; j++) {
            uint64_t first = (c0 + j) * fpc, last = first + fpc;
            if (first < seg[i].first)
                first = seg[i].first;
            if (last > seg[i].end)
                last = seg[i].end;
            struct tally t;
            tally(&s.pfns, first, last, &t);
            const uint64_t *cnt = t.cnt;
            uint64_t sent = t.sent, seen = t.seen, mem = t.mem, zmem = t.zmem;
            enum xsr_map_class best = XSR_MAP_ABSENT;
            for (unsigned k = 1; k < XSR_MAP_CLASS_COUNT; k++)
                if (cnt[k] > cnt[best] || (best == XSR_MAP_ABSENT && cnt[k]))
                    best = k;
            res->cells_by_class[best]++;
            unsigned avg10 = seen ? (unsigned)((sent * 10 + seen / 2) / seen) : 10;
            unsigned shade = avg10 < 15 ? 0 : avg10 < 25 ? 1 : avg10 < 35 ? 2 : 3;
            bool pale = mem && zmem * 2 > mem;
            colour(fill, best, shade, pale);
            uint64_t cx = grid_x + (j % cols) * px, cy = y + (j / cols) * px;
            if (j % cols == 0 && ((j / cols) % label_every == 0))
                fprintf(lf, "<text x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" text-anchor=\"end\">0x%"
                            PRIx64 "</text>\n", grid_x - 6, cy + px - 1, first);
            fprintf(out, "<rect x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" width=\"%u\" height=\"%u\" fill=\"%s\" "
                         "data-class=\"%s\" data-pfn=\"0x%" PRIx64 "\" data-frames=\"%" PRIu64 "\"",
                    cx, cy, px, px, fill, class_names[best], first, last - first);
            if (pale)
                fputs(" data-zero=\"1\"", out);
            if (fpc == 1)
                fprintf(out, " data-sent=\"%" PRIu64 "\"><title>pfn 0x%" PRIx64 ": %s%s, sent %" PRIu64
                             " time%s</title></rect>\n", sent, first, class_labels[best],
                        pale ? ", all zero" : "", sent, sent == 1 ? "" : "s");
            else {
                fprintf(out, "><title>pfn 0x%" PRIx64 "-0x%" PRIx64 ":", first, last - 1);
                for (unsigned k = 0; k < XSR_MAP_CLASS_COUNT; k++)
                    if (cnt[k])
                        fprintf(out, " %" PRIu64 " %s;", cnt[k], class_names[k]);
                if (zmem)
                    fprintf(out, " %" PRIu64 " all zero;", zmem);
                fprintf(out, " sent %u.%u times on average</title></rect>\n", avg10 / 10, avg10 % 10);
            }
        }
        y += (n + cols - 1) / cols * px;
    }
    if (frames && seg[nseg - 1].end < frames)
        draw_break(bf, &s, seg[nseg - 1].end, frames, grid_x, cols * px, &y);
    fputs("</g>\n", out);
    bool lab_ok = fclose(lf) == 0;
    lab_ok &= fclose(bf) == 0;
    fprintf(out, "<g id=\"breaks\" fill=\"#404040\">\n%s</g>\n", lab_ok && brk ? brk : "");
    fprintf(out, "<g id=\"labels\" font-size=\"%u\" fill=\"#404040\">\n%s</g>\n", px >= 12 ? 11 : 9,
            lab_ok && labels ? labels : "");
    free(labels);
    free(brk);

    /* legend: classes with their frame counts, then the shades */
    y += 24;
    fputs("<g id=\"legend\">\n", out);
    for (unsigned k = 0; k < XSR_MAP_CLASS_COUNT; k++, y += 22) {
        colour(fill, k, 0, false);
        fprintf(out, "<rect x=\"%u\" y=\"%" PRIu64 "\" width=\"14\" height=\"14\" fill=\"%s\" "
                     "stroke=\"#606060\"/>\n", margin, y - 11, fill);
        fprintf(out, "<text x=\"%u\" y=\"%" PRIu64 "\" data-class=\"%s\" data-frames=\"%" PRIu64
                     "\" data-cells=\"%" PRIu64 "\">%s: %" PRIu64 " frames, %" PRIu64 " cells</text>\n",
                margin + 22, y, class_names[k], res->by_class[k], res->cells_by_class[k],
                class_labels[k], res->by_class[k], res->cells_by_class[k]);
    }
    colour(fill, XSR_MAP_NORMAL, 0, true);
    fprintf(out, "<rect x=\"%u\" y=\"%" PRIu64 "\" width=\"14\" height=\"14\" fill=\"%s\" "
                 "stroke=\"#606060\"/>\n<text x=\"%u\" y=\"%" PRIu64 "\" id=\"zero\" data-frames=\"%"
                 PRIu64 "\">pale: mostly all-zero pages (%" PRIu64 " frames)</text>\n",
            margin, y - 11, fill, margin + 22, y, zero, zero);
    y += 22;
    fprintf(out, "<text x=\"%u\" y=\"%" PRIu64 "\">times sent (average over the cell):</text>\n", margin, y);
    for (unsigned i = 0; i < SHADES; i++) {
        colour(fill, XSR_MAP_NORMAL, i, false);
        fprintf(out, "<rect x=\"%u\" y=\"%" PRIu64 "\" width=\"14\" height=\"14\" fill=\"%s\" "
                     "stroke=\"#606060\"/><text x=\"%u\" y=\"%" PRIu64 "\">%u%s</text>\n",
                margin + 230 + i * 60, y - 11, fill, margin + 250 + i * 60, y, i + 1,
                i + 1 == SHADES ? "+" : "");
    }
    fputs("</g>\n</svg>\n", out);

    xsri_scan_free(&s);
    free(seg);
    if (!lab_ok)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the labels of the picture");
    if (fflush(out) != 0 || ferror(out))
        return xsr_error_sys(err, errno, "writing the SVG failed");
    return 0;
}
