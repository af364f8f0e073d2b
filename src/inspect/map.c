/* SPDX-License-Identifier: MIT */
/*
 * xsr_map_svg: a picture of guest physical memory.  One cell per frame, or
 * per power-of-two run of frames when the guest has more frames than
 * max_cells, so the picture has a bounded size from 64 MiB to 64 GiB guests.
 * A cell takes the most common class among its frames that were sent
 * (absent only if none was), and is darker the more often they were sent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_scan.h"
#include "dump_emit.h"

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

static void colour(char out[16], enum xsr_map_class c, unsigned shade)
{
    uint32_t rgb = class_rgb[c];
    unsigned pct = c == XSR_MAP_ABSENT ? 100 : shade_pct[shade];
    unsigned r = ((rgb >> 16) & 0xff) * pct / 100, g = ((rgb >> 8) & 0xff) * pct / 100,
             b = (rgb & 0xff) * pct / 100;
    snprintf(out, 16, "#%02x%02x%02x", r & 0xffu, g & 0xffu, b & 0xffu);
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
    else
        snprintf(buf, n, "%.1f MiB", (double)bytes / (double)(1ull << 20));
}

int xsr_map_svg(struct xsr_chan *in, const struct xsr_map_opts *o, FILE *out,
                struct xsr_map_result *res, struct xsr_error *err)
{
    static const struct xsr_map_opts no_opts;
    struct xsr_map_result dummy;
    struct xsri_scan s;
    struct xsri_scan_cb cb = { 0 };
    int rc;

    if (!o)
        o = &no_opts;
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    rc = xsri_scan_run(in, &o->a, false, &cb, &s, err);
    if (rc < 0) {
        xsri_scan_free(&s);
        return rc;
    }

    uint64_t max_cells = o->max_cells ? o->max_cells : XSR_MAP_CELLS_DEFAULT;
    uint64_t frames = xsri_pfns_count(&s.pfns);
    uint64_t fpc = 1;
    while ((frames + fpc - 1) / fpc > max_cells)
        fpc *= 2;
    uint64_t cells = (frames + fpc - 1) / fpc;
    uint64_t cols = o->columns ? o->columns : XSR_MAP_COLUMNS_DEFAULT;
    if (cols > cells)
        cols = cells ? cells : 1;
    uint64_t rows = (cells + cols - 1) / cols;
    unsigned px = cols >= 128 ? 8 : cols >= 64 ? 12 : 16;
    unsigned margin = 10, head = 56, legend_h = 22 * (XSR_MAP_CLASS_COUNT + 2) + 20;
    uint64_t width = 2 * margin + cols * px, height = head + rows * px + legend_h;
    if (width < 520)
        width = 520;

    res->frames = frames;
    res->frames_per_cell = fpc;
    res->cells = cells;

    char size[32], fill[16];
    const char *dt = xsr_dom_type_name(s.dom_type);
    size_text(size, sizeof(size), frames * XSR_PAGE_SIZE);

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%" PRIu64
                 "\" height=\"%" PRIu64 "\" viewBox=\"0 0 %" PRIu64 " %" PRIu64 "\" "
                 "font-family=\"sans-serif\" font-size=\"12\">\n",
            width, height, width, height);
    const char *title = o->title ? o->title : "guest physical memory";
    fputs("<title>", out);
    int trc = put_escaped(out, title);
    fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fprintf(out, "<text x=\"%u\" y=\"20\" font-size=\"15\" font-weight=\"bold\">", margin);
    trc |= put_escaped(out, title);
    fputs("</text>\n", out);
    if (trc < 0) {
        xsri_scan_free(&s);
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for the title of the picture");
    }
    fprintf(out, "<text x=\"%u\" y=\"40\" id=\"summary\" data-frames=\"%" PRIu64 "\" "
                 "data-frames-per-cell=\"%" PRIu64 "\" data-cells=\"%" PRIu64 "\">%s, %" PRIu64
                 " frames (%s), %" PRIu64 " frame%s per cell, pfn 0 at the top left, rows of %"
                 PRIu64 " cells</text>\n",
            margin, frames, fpc, cells, dt ? dt : "unknown guest type", frames, size, fpc,
            fpc == 1 ? "" : "s", cols);

    fprintf(out, "<g id=\"cells\" stroke=\"none\">\n");
    for (uint64_t c = 0; c < cells; c++) {
        uint64_t first = c * fpc, last = first + fpc;
        uint64_t cnt[XSR_MAP_CLASS_COUNT] = { 0 };
        uint64_t sent = 0, seen = 0;
        if (last > frames)
            last = frames;
        for (uint64_t pfn = first; pfn < last; pfn++) {
            uint16_t st = s.pfns.st[pfn];
            enum xsr_map_class k = frame_class(st);
            cnt[k]++;
            res->by_class[k]++;
            if (k != XSR_MAP_ABSENT) {
                sent += xsri_pf_sent(st);
                seen++;
            }
        }
        enum xsr_map_class best = XSR_MAP_ABSENT;
        for (unsigned k = 1; k < XSR_MAP_CLASS_COUNT; k++)
            if (cnt[k] > cnt[best] || (best == XSR_MAP_ABSENT && cnt[k]))
                best = k;
        res->cells_by_class[best]++;
        unsigned avg10 = seen ? (unsigned)((sent * 10 + seen / 2) / seen) : 10;
        unsigned shade = avg10 < 15 ? 0 : avg10 < 25 ? 1 : avg10 < 35 ? 2 : 3;
        colour(fill, best, shade);
        fprintf(out, "<rect x=\"%" PRIu64 "\" y=\"%" PRIu64 "\" width=\"%u\" height=\"%u\" fill=\"%s\" "
                     "data-class=\"%s\" data-pfn=\"0x%" PRIx64 "\" data-frames=\"%" PRIu64 "\"",
                margin + (c % cols) * px, head + (c / cols) * px, px, px, fill, class_names[best], first,
                last - first);
        if (fpc == 1)
            fprintf(out, " data-sent=\"%" PRIu64 "\"><title>pfn 0x%" PRIx64 ": %s, sent %" PRIu64
                         " time%s</title></rect>\n", sent, first, class_labels[best], sent,
                    sent == 1 ? "" : "s");
        else {
            fprintf(out, "><title>pfn 0x%" PRIx64 "-0x%" PRIx64 ":", first, last - 1);
            for (unsigned k = 0; k < XSR_MAP_CLASS_COUNT; k++)
                if (cnt[k])
                    fprintf(out, " %" PRIu64 " %s;", cnt[k], class_names[k]);
            fprintf(out, " sent %u.%u times on average</title></rect>\n", avg10 / 10, avg10 % 10);
        }
    }
    fputs("</g>\n", out);

    /* legend: classes with their frame counts, then the shades */
    uint64_t y = head + rows * px + 24;
    fputs("<g id=\"legend\">\n", out);
    for (unsigned k = 0; k < XSR_MAP_CLASS_COUNT; k++, y += 22) {
        colour(fill, k, 0);
        fprintf(out, "<rect x=\"%u\" y=\"%" PRIu64 "\" width=\"14\" height=\"14\" fill=\"%s\" "
                     "stroke=\"#606060\"/>\n", margin, y - 11, fill);
        fprintf(out, "<text x=\"%u\" y=\"%" PRIu64 "\" data-class=\"%s\" data-frames=\"%" PRIu64
                     "\" data-cells=\"%" PRIu64 "\">%s: %" PRIu64 " frames, %" PRIu64 " cells</text>\n",
                margin + 22, y, class_names[k], res->by_class[k], res->cells_by_class[k],
                class_labels[k], res->by_class[k], res->cells_by_class[k]);
    }
    fprintf(out, "<text x=\"%u\" y=\"%" PRIu64 "\">times sent (average over the cell):</text>\n", margin, y);
    for (unsigned i = 0; i < SHADES; i++) {
        colour(fill, XSR_MAP_NORMAL, i);
        fprintf(out, "<rect x=\"%u\" y=\"%" PRIu64 "\" width=\"14\" height=\"14\" fill=\"%s\" "
                     "stroke=\"#606060\"/><text x=\"%u\" y=\"%" PRIu64 "\">%u%s</text>\n",
                margin + 230 + i * 60, y - 11, fill, margin + 250 + i * 60, y, i + 1,
                i + 1 == SHADES ? "+" : "");
    }
    fputs("</g>\n</svg>\n", out);

    xsri_scan_free(&s);
    if (fflush(out) != 0 || ferror(out))
        return xsr_error_sys(err, errno, "writing the SVG failed");
    return 0;
}
