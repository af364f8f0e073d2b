/* SPDX-License-Identifier: MIT */
/* xsr verify: check a save image against every rule of the format. */
#include <getopt.h>
#include <stdio.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr verify [-f auto|xl|libxl|libxc] [--lenient] [--target xen-X.Y]\n"
    "                  [--json] [-q] FILE|-...\n"
    "\n"
    "Check save images against every rule of the format.  Prints each finding\n"
    "as 'error: <message> [rule-id]' (warnings and notes likewise), then a\n"
    "one-line verdict per file: valid or INVALID against the specification,\n"
    "and which Xen releases can restore the image.\n"
    "\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "  -t, --target xen-X.Y\n"
    "                    also say whether that Xen release's restorer accepts\n"
    "                    the image, and why not (exit 1 if it does not)\n"
    "      --lenient     accept what Xen's own restore code accepts\n"
    "      --json        print one JSON document (see doc/json.md)\n"
    "  -q, --quiet       print nothing; only the exit status tells\n"
    "  -h, --help        show this help\n"
    "\n"
    "FILE '-' reads standard input.  With several files, one verdict (or\n"
    "JSON document) per file.\n"
    "Exit status: 0 all valid (and restorable by the target), 1 any invalid,\n"
    "not restorable or unreadable, 2 bad usage.\n";

/* Verify one file: CLI_EXIT_OK, or CLI_EXIT_FAIL after saying why. */
static int verify_one(const char *prog, const char *path, struct xsr_report_opts *o)
{
    struct cli_progress progress;
    struct xsr_error err;
    struct xsr_chan *in;
    int rc;

    in = cli_open_input(prog, path);
    if (!in)
        return CLI_EXIT_FAIL;
    cli_progress_init(&progress, "verifying", xsr_chan_size(in), o->quiet || o->json);
    o->input_name = path;
    o->progress = cli_progress_cb;
    o->progress_clear = cli_progress_clear_cb;
    o->progress_ctx = &progress;
    xsr_error_clear(&err);
    rc = xsr_verify_report(in, o, stdout, &err);
    cli_progress_done(&progress);
    xsr_chan_close(in, NULL);
    if (rc < 0) {
        cli_print_error(prog, path, &err);
        return CLI_EXIT_FAIL;
    }
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "lenient", no_argument, NULL, 'L' },
        { "target", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'J' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_report_opts o = XSR_REPORT_OPTS_INIT;
    int c, status = CLI_EXIT_OK;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'L': o.lenient = true; break;
        case 't':
            o.target = xsr_xen_target_find(optarg);
            if (!o.target)
                return cli_usage_error(argv[0], "unknown target '%s': expected a Xen release from 4.6 on, "
                                       "e.g. xen-4.17", optarg);
            o.target_name = optarg;
            break;
        case 'J': o.json = true; break;
        case 'q': o.quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (optind >= argc)
        return cli_usage_error(argv[0], "expected FILE (or '-' for standard input)");
    for (int i = optind; i < argc; i++)
        if (verify_one(argv[0], argv[i], &o) != CLI_EXIT_OK)
            status = CLI_EXIT_FAIL;
    /* a failed write of a report was said with its file */
    if (status == CLI_EXIT_OK && !cli_flush_stdout(argv[0]))
        return CLI_EXIT_FAIL;
    return status;
}
