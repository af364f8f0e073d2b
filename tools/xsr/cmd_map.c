/* SPDX-License-Identifier: MIT */
/* xsr map: an SVG picture of a save image's guest memory. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr map [-f auto|xl|libxl|libxc] --svg OUT [--cells N] [--columns N]\n"
    "               [--title TEXT] [-q] FILE|-\n"
    "\n"
    "Draw guest physical memory as an SVG grid: one cell per frame, or per\n"
    "power-of-two run of frames when there are more frames than cells.  A cell\n"
    "is coloured by the most common class of its frames (normal, L1-L4 page\n"
    "table, pinned, XTAB, XALLOC, BROKEN, absent) and darker the more often\n"
    "they were sent; a legend gives the counts.\n"
    "\n"
    "  --svg OUT         write the picture to OUT ('-' for standard output)\n"
    "  --cells N         at most N cells (default 16384)\n"
    "  --columns N       cells per row (default 128)\n"
    "  --title TEXT      title of the picture (default: the file name)\n"
    "  --pfn-limit N     refuse pfns >= N (default 2^28 frames)\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "  -q, --quiet       no progress line and no summary\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad usage.\n";

int cmd_map(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "svg", required_argument, NULL, 'S' },
        { "cells", required_argument, NULL, 'c' },
        { "columns", required_argument, NULL, 'C' },
        { "title", required_argument, NULL, 'T' },
        { "pfn-limit", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_map_opts o = XSR_MAP_OPTS_INIT;
    struct xsr_map_result res = XSR_MAP_RESULT_INIT;
    struct xsr_error err;
    struct cli_progress prog;
    const char *out_path = NULL, *path;
    bool quiet = false;
    uint64_t v;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.a.format))
                return CLI_EXIT_USAGE;
            break;
        case 'S': out_path = optarg; break;
        case 'c':
            if (!cli_parse_u64(optarg, 1, 1u << 24, &v))
                return cli_usage_error(argv[0], "--cells wants a number from 1 to 16777216, not '%s'", optarg);
            o.max_cells = (unsigned)v;
            break;
        case 'C':
            if (!cli_parse_u64(optarg, 1, 4096, &v))
                return cli_usage_error(argv[0], "--columns wants a number from 1 to 4096, not '%s'", optarg);
            o.columns = (unsigned)v;
            break;
        case 'T': o.title = optarg; break;
        case 'L':
            if (!cli_pfn_limit_option(argv[0], optarg, &o.a.pfn_limit))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    path = cli_one_file(argc, argv, optind);
    if (!path)
        return CLI_EXIT_USAGE;
    if (!out_path)
        return cli_usage_error(argv[0], "say where to write the picture: --svg OUT");
    if (cli_output_is_input(argv[0], path, out_path))
        return CLI_EXIT_USAGE;
    bool to_stdout = strcmp(out_path, "-") == 0;
    if (to_stdout && strcmp(path, "-") == 0)
        quiet = true;
    if (!o.title)
        o.title = cli_input_name(path);

    struct xsr_chan *in = cli_open_input(argv[0], path);
    if (!in)
        return CLI_EXIT_FAIL;
    struct cli_output out;
    if (!cli_open_output(argv[0], out_path, &out)) {
        xsr_chan_close(in, NULL);
        return CLI_EXIT_FAIL;
    }
    cli_progress_init(&prog, "reading", xsr_chan_size(in), quiet);
    o.a.progress = cli_progress_cb;
    o.a.progress_ctx = &prog;
    xsr_error_clear(&err);
    rc = xsr_map_svg(in, &o, out.f, &res, &err);
    cli_progress_done(&prog);
    xsr_chan_close(in, NULL);
    if (!cli_close_output(argv[0], &out, &rc, &err))
        return CLI_EXIT_FAIL;
    if (rc < 0) {
        cli_print_error(argv[0], path, &err);
        return CLI_EXIT_FAIL;
    }
    if (!quiet)
        fprintf(to_stdout ? stderr : stdout, "%s: %" PRIu64 " frames in %" PRIu64 " cells of %" PRIu64
                " frame%s\n", out_path, res.frames, res.cells, res.frames_per_cell,
                res.frames_per_cell == 1 ? "" : "s");
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
