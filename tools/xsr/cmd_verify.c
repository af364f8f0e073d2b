/* SPDX-License-Identifier: MIT */
/* xsr verify: check a save image against every rule of the format. */
#include <getopt.h>
#include <stdio.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr verify [-f auto|xl|libxl|libxc] [--lenient] [--json] [-q] FILE|-\n"
    "\n"
    "Check a save image against every rule of the format.  Prints each finding\n"
    "as 'error: <message> [rule-id]' (warnings and notes likewise), then a\n"
    "one-line verdict.\n"
    "\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "      --lenient     accept what Xen's own restore code accepts\n"
    "      --json        print one JSON document (see doc/json.md)\n"
    "  -q, --quiet       print nothing; only the exit status tells\n"
    "  -h, --help        show this help\n"
    "\n"
    "FILE '-' reads standard input.\n"
    "Exit status: 0 valid, 1 invalid (or unreadable), 2 bad usage.\n";

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "lenient", no_argument, NULL, 'L' },
        { "json", no_argument, NULL, 'J' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_report_opts o = { 0 };
    struct cli_progress progress;
    struct xsr_error err;
    struct xsr_chan *in;
    const char *path;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'L': o.lenient = true; break;
        case 'J': o.json = true; break;
        case 'q': o.quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    path = cli_one_file(argc, argv, optind);
    if (!path)
        return CLI_EXIT_USAGE;
    in = cli_open_input(argv[0], path);
    if (!in)
        return CLI_EXIT_FAIL;

    cli_progress_init(&progress, "verifying", xsr_chan_size(in), o.quiet || o.json);
    o.input_name = path;
    o.progress = cli_progress_cb;
    o.progress_clear = cli_progress_clear_cb;
    o.progress_ctx = &progress;
    xsr_error_clear(&err);
    rc = xsr_verify_report(in, &o, stdout, &err);
    cli_progress_done(&progress);
    xsr_chan_close(in, NULL);
    if (rc < 0) {
        cli_print_error(argv[0], path, &err);
        return CLI_EXIT_FAIL;
    }
    if (!cli_flush_stdout(argv[0]))
        return CLI_EXIT_FAIL;
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
