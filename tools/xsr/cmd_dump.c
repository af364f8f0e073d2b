/* SPDX-License-Identifier: MIT */
/* xsr dump: print every header and record of a save image. */
#include <getopt.h>
#include <stdio.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr dump [-f auto|xl|libxl|libxc] [--json] [--pages] [--summary] [--lenient]\n"
    "                FILE|-\n"
    "\n"
    "Print every header and record of a save image with its offset, layer,\n"
    "index, type and decoded fields, the checker's findings after the record\n"
    "they concern, and a summary.\n"
    "\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "      --json        print one JSON document (see doc/json.md)\n"
    "      --pages       show every PAGE_DATA record (text folds runs of them)\n"
    "                    with every pfn\n"
    "      --summary     print only the summary and the verdict\n"
    "      --lenient     check in lenient mode\n"
    "  -h, --help        show this help\n"
    "\n"
    "FILE '-' reads standard input.\n"
    "Exit status: 0 valid, 1 invalid (the dump is still printed) or failed,\n"
    "2 bad usage.\n";

int cmd_dump(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "json", no_argument, NULL, 'J' },
        { "pages", no_argument, NULL, 'P' },
        { "summary", no_argument, NULL, 'S' },
        { "lenient", no_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_dump_opts o = XSR_DUMP_OPTS_INIT;
    struct xsr_error err;
    struct xsr_chan *in;
    const char *path;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'J': o.json = true; break;
        case 'P': o.pages = true; break;
        case 'S': o.summary_only = true; break;
        case 'L': o.lenient = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    path = cli_one_file(argc, argv, optind);
    if (!path)
        return CLI_EXIT_USAGE;
    if (o.json && o.summary_only)
        return cli_usage_error(argv[0], "--summary applies to the text dump only");
    in = cli_open_input(argv[0], path);
    if (!in)
        return CLI_EXIT_FAIL;
    o.input_name = path;
    xsr_error_clear(&err);
    rc = xsr_dump(in, &o, stdout, &err);
    xsr_chan_close(in, NULL);
    if (!cli_flush_stdout(argv[0]))
        return CLI_EXIT_FAIL;
    if (rc < 0) {
        cli_print_error(argv[0], path, &err);
        return CLI_EXIT_FAIL;
    }
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
