/* SPDX-License-Identifier: MIT */
/*
 * xsr_map_svg on arbitrary bytes, into memory, with a cell count and a width
 * taken from the input's length.
 *
 * Invariants: the result is 0 or a verdict on the input with err set; the
 * frames per class add up to the frames, the cells to the cells; the
 * picture is an SVG document that holds no NUL or control character; a
 * stream that lenient verify accepts gets a picture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int valid = fz_verify(data, size, true);
    if (valid == XSR_ENOMEM)
        return 0;

    char *svg = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&svg, &len);
    FZ_CHECK(out, "open_memstream failed");
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_map_opts o = XSR_MAP_OPTS_INIT;
    o.a.pfn_limit = FZ_PFN_LIMIT;
    o.max_cells = (unsigned)(size % 5) * 7; /* 0: the default */
    o.columns = (unsigned)(size % 3) * 3;
    o.title = size % 2 ? "<a title & \"quotes\">" : NULL;
    struct xsr_map_result res = XSR_MAP_RESULT_INIT;
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    int rc = ch ? xsr_map_svg(ch, &o, out, &res, &err) : err.code;
    xsr_chan_close(ch, NULL);
    FZ_CHECK(fclose(out) == 0, "closing the memstream failed");
    fz_check_analysis("map", rc, false, &err);

    if (rc == 0) {
        uint64_t frames = 0, cells = 0;
        for (int c = 0; c < XSR_MAP_CLASS_COUNT; c++) {
            frames += res.by_class[c];
            cells += res.cells_by_class[c];
        }
        FZ_CHECK(frames == res.frames, "classes hold %llu frames of %llu",
                 (unsigned long long)frames, (unsigned long long)res.frames);
        FZ_CHECK(cells == res.cells, "classes hold %llu cells of %llu", (unsigned long long)cells,
                 (unsigned long long)res.cells);
        FZ_CHECK(res.frames <= FZ_PFN_LIMIT, "%llu frames beyond the limit",
                 (unsigned long long)res.frames);
        FZ_CHECK(len > 0 && strstr(svg, "<svg") && strstr(svg, "</svg>"),
                 "the picture is not an SVG document");
        for (size_t i = 0; i < len; i++)
            FZ_CHECK((unsigned char)svg[i] >= 0x20 || svg[i] == '\n' || svg[i] == '\t',
                     "the picture holds 0x%02x at %zu", (unsigned char)svg[i], i);
    }
    fz_check_accepts("map", valid, rc, &err);
    free(svg);
    return 0;
}
