/* SPDX-License-Identifier: MIT */
/* xsr stats: pages per iteration of a (live) stream. */
#include <getopt.h>
#include <stdio.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr stats [-f auto|xl|libxl|libxc] [--json] [--pfn-limit N] [-q] FILE|-\n"
    "\n"
    "Statistics of the memory a stream sends, per iteration (a run of PAGE_DATA\n"
    "records between other records, split again where a pfn repeats: the passes\n"
    "of a live save): pages, zero pages, re-sent pages and whether they changed,\n"
    "bytes; frames sent more than once; page-type histograms.\n"
    "\n"
    "  --json            print one JSON document (doc/analyze.md)\n"
    "  --pfn-limit N     refuse pfns >= N (default 2^28 frames)\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "  -q, --quiet       no progress line\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 success, 1 the stream could not be read to its end (the\n"
    "statistics of what was read are still printed), 2 bad usage.\n";

int cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "json", no_argument, NULL, 'J' },
        { "pfn-limit", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_analyze_opts o = XSR_ANALYZE_OPTS_INIT;
    struct xsr_stats *st = NULL;
    struct xsr_error err, perr;
    struct cli_progress prog;
    bool json = false, quiet = false;
    const char *path;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'J': json = true; break;
        case 'L':
            if (!cli_pfn_limit_option(argv[0], optarg, &o.pfn_limit))
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
    struct xsr_chan *in = cli_open_input(argv[0], path);
    if (!in)
        return CLI_EXIT_FAIL;
    cli_progress_init(&prog, "reading", xsr_chan_size(in), quiet);
    o.progress = cli_progress_cb;
    o.progress_ctx = &prog;
    xsr_error_clear(&err);
    rc = xsr_stats_collect(in, &o, &st, &err);
    cli_progress_done(&prog);
    xsr_chan_close(in, NULL);
    if (st) {
        xsr_error_clear(&perr);
        if (xsr_stats_print(st, json, stdout, &perr) < 0 && rc == 0) {
            err = perr;
            rc = perr.code;
        }
        xsr_stats_free(st);
    }
    if (!cli_flush_stdout(argv[0]))
        return CLI_EXIT_FAIL;
    if (rc < 0) {
        cli_print_error(argv[0], path, &err);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}
