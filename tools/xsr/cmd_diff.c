/* SPDX-License-Identifier: MIT */
/* xsr diff: what differs between two save images. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

/* Like diff(1) and cmp(1): trouble is 2, so that 1 always means "different". */
#define DIFF_EXIT_DIFFERENT 1
#define DIFF_EXIT_TROUBLE 2

static const char usage[] =
    "Usage: xsr diff [-f auto|xl|libxl|libxc] [--json] [--pages] [--max-lines N] A B\n"
    "\n"
    "Compare two save images as a migration between their hosts sees them:\n"
    "guest type, the xl domain configuration (JSON paths), CPUID leaves and\n"
    "MSRs of the policies (by register), TSC mode and frequency, HVM params by\n"
    "name, vCPU registers by name, other records by contents, and the guest\n"
    "memory a receiver would end with (frames whose contents differ, by XXH3\n"
    "hash, or that only one image has).  An image that ends early or is\n"
    "malformed is compared as far as it was read; the output says where it\n"
    "stopped.\n"
    "\n"
    "  --json            one JSON document (doc/json.md) instead of text\n"
    "  --pages           list the ranges of differing frames\n"
    "  --max-lines N     lines per section before '... N more' (default 100)\n"
    "  --pfn-limit N     refuse pfns >= N (default 2^28 frames)\n"
    "  -f, --format FMT  outermost layer of both: auto (default), xl, libxl, libxc\n"
    "  -q, --quiet       no progress line\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 equivalent, 1 different, 2 bad usage or failure (also when\n"
    "an image cannot be read to its end: the differences read so far are\n"
    "printed first).\n";

int cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "pages", no_argument, NULL, 'P' },
        { "json", no_argument, NULL, 'j' },
        { "max-lines", required_argument, NULL, 'm' },
        { "pfn-limit", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    struct xsr_diff_result res = XSR_DIFF_RESULT_INIT;
    struct xsr_error err;
    struct cli_progress prog;
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
        case 'P': o.pages = true; break;
        case 'j': o.json = true; break;
        case 'm':
            if (!cli_parse_u64(optarg, 1, 1000000000, &v))
                return cli_usage_error(argv[0], "--max-lines wants a positive number, not '%s'", optarg);
            o.max_lines = (unsigned)v;
            break;
        case 'L':
            if (!cli_pfn_limit_option(argv[0], optarg, &o.a.pfn_limit))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(argv[0], "expected two images A and B, got %d", argc - optind);
    if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
        return cli_usage_error(argv[0], "only one of the images can be standard input");

    struct xsr_chan *a = cli_open_input(argv[0], argv[optind]);
    if (!a)
        return DIFF_EXIT_TROUBLE;
    struct xsr_chan *b = cli_open_input(argv[0], argv[optind + 1]);
    if (!b) {
        xsr_chan_close(a, NULL);
        return DIFF_EXIT_TROUBLE;
    }
    int64_t sa = xsr_chan_size(a), sb = xsr_chan_size(b);
    cli_progress_init(&prog, "comparing", sa >= 0 && sb >= 0 ? sa + sb : -1, quiet);
    o.a.progress = cli_progress_cb;
    o.a.progress_ctx = &prog;

    o.name_a = argv[optind];
    o.name_b = argv[optind + 1];

    /* The report is written once both images are read; it goes through
     * memory so that the progress line is gone before any of it shows. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    if (!mem) {
        xsr_chan_close(a, NULL);
        xsr_chan_close(b, NULL);
        perror("xsr diff");
        return DIFF_EXIT_TROUBLE;
    }
    xsr_error_clear(&err);
    rc = xsr_diff(a, b, &o, mem, &res, &err);
    cli_progress_done(&prog);
    xsr_chan_close(a, NULL);
    xsr_chan_close(b, NULL);
    bool written = fclose(mem) == 0;
    if (written && text_len)
        written = fwrite(text, 1, text_len, stdout) == text_len;
    free(text);
    if (!cli_flush_stdout(argv[0]))
        return DIFF_EXIT_TROUBLE;
    if (rc < 0 && written && text_len &&
        (rc == XSR_ETRUNC || rc == XSR_EFORMAT || rc == XSR_ELIMIT) &&
        strncmp(err.message, "image ", 6) == 0) {
        /* the report says where and why; name the image once more */
        bool is_b = err.message[6] == 'B';
        fprintf(stderr, "%s: %s could not be read to its end; the differences cover what was read\n",
                argv[0], cli_input_name(argv[optind + is_b]));
        return DIFF_EXIT_TROUBLE;
    }
    if (rc < 0) {
        cli_print_error(argv[0], "diff", &err);
        return DIFF_EXIT_TROUBLE;
    }
    return rc == 0 ? CLI_EXIT_OK : DIFF_EXIT_DIFFERENT;
}
