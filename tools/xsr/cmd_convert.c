/* SPDX-License-Identifier: MIT */
/* xsr convert: rewrite a save image to another libxc stream version. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsr/convert.h>
#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr convert --stream-version 2|3|4 [OPTIONS] IN OUT\n"
    "\n"
    "Rewrite a save image (xl save file, libxl stream or bare libxc stream,\n"
    "checkpointed or not) to another libxc stream version; everything else is\n"
    "copied byte for byte.  To version 3 from 2, STATIC_DATA_END is inserted;\n"
    "to version 4, each checkpoint's X86_TSC_INFO and SHARED_INFO become one\n"
    "DOMAIN_CONTEXT; from version 4 they are split back.  OUT is written under\n"
    "a temporary name and renamed when complete.\n"
    "\n"
    "  -s, --stream-version N   libxc stream version to write: 2, 3 or 4\n"
    "  -f, --format FMT         input's outermost layer: auto (default), xl,\n"
    "                           libxl, libxc\n"
    "      --allow-lossy        to v2: drop CPUID/MSR policy records; to v4: drop\n"
    "                           shared-info bytes beyond the structure\n"
    "      --max-buffer SIZE    records held while folding (default 256M)\n"
    "  -v, --verbose            describe the conversion on standard error\n"
    "  -q, --quiet              no progress line\n"
    "  -h, --help               show this help\n"
    "\n"
    "IN '-' reads standard input, OUT '-' writes standard output.\n"
    "Exit status: 0 converted, 1 invalid input or failure, 2 bad usage.\n";

/* Read files without mapping them: a conversion reads everything once, and
 * reading keeps the process's memory at one batch, where a mapping of the
 * whole input would count as resident. */
static struct xsr_chan *open_input(const char *prog, const char *path)
{
    struct xsr_error err;
    struct xsr_chan *ch;

    xsr_error_clear(&err);
    ch = xsr_chan_open_read(path, XSR_OPEN_NO_MMAP, &err);
    if (!ch)
        cli_print_error(prog, strcmp(path, "-") == 0 ? "standard input" : path, &err);
    return ch;
}

static void on_progress(void *ctx, uint64_t done, int64_t total)
{
    (void)total;
    cli_progress_update(ctx, done);
}

static void describe(const char *prog, const struct xsr_convert_info *i)
{
    fprintf(stderr, "%s: %s image, libxc stream version %" PRIu32 " -> %" PRIu32 ", %" PRIu64
            " records in, %" PRIu64 " out, %" PRIu64 " checkpoints\n", prog,
            xsr_layer_name(i->format), i->from_version, i->to_version, i->records_in,
            i->records_out, i->checkpoints);
    if (i->static_data_end_inserted || i->static_data_end_removed)
        fprintf(stderr, "%s: STATIC_DATA_END %s\n", prog,
                i->static_data_end_inserted ? "inserted" : "removed");
    if (i->contexts_folded)
        fprintf(stderr, "%s: %" PRIu32 " DOMAIN_CONTEXT records made from X86_TSC_INFO and "
                "SHARED_INFO\n", prog, i->contexts_folded);
    if (i->contexts_split)
        fprintf(stderr, "%s: %" PRIu32 " DOMAIN_CONTEXT records split into X86_TSC_INFO and "
                "SHARED_INFO\n", prog, i->contexts_split);
    if (i->policies_dropped)
        fprintf(stderr, "%s: %" PRIu32 " CPUID/MSR policy records dropped\n", prog,
                i->policies_dropped);
    if (i->records_dropped)
        fprintf(stderr, "%s: %" PRIu32 " HVM shared-info entries dropped (v3 HVM streams have "
                "none)\n", prog, i->records_dropped);
}

int cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "stream-version", required_argument, NULL, 's' },
        { "format", required_argument, NULL, 'f' },
        { "allow-lossy", no_argument, NULL, 'L' },
        { "max-buffer", required_argument, NULL, 'B' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_convert_opts o = { 0 };
    struct xsr_convert_info info;
    struct cli_progress progress;
    struct xsr_error err;
    bool verbose = false, quiet = false;
    struct xsr_outfile *of;
    struct xsr_chan *in;
    const char *in_path, *out_path;
    uint64_t v;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "s:f:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!cli_parse_u64(optarg, 2, 4, &v))
                return cli_usage_error(argv[0], "stream version '%s' is not 2, 3 or 4", optarg);
            o.version = (uint32_t)v;
            break;
        case 'f':
            if (!cli_parse_format(optarg, &o.format))
                return cli_usage_error(argv[0], "unknown format '%s' (auto, xl, libxl, libxc)",
                                       optarg);
            break;
        case 'L': o.allow_lossy = true; break;
        case 'B':
            if (!cli_parse_size(optarg, &v) || v == 0 || v > UINT32_MAX)
                return cli_usage_error(argv[0], "buffer size '%s' is not 1 byte to 4G", optarg);
            o.max_buffer = (uint32_t)v;
            break;
        case 'v': verbose = true; break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (o.version == 0)
        return cli_usage_error(argv[0], "missing --stream-version (2, 3 or 4)");
    if (argc - optind != 2)
        return cli_usage_error(argv[0], "need an input and an output (use - for standard "
                               "input/output)");
    in_path = argv[optind];
    out_path = argv[optind + 1];

    in = open_input(argv[0], in_path);
    if (!in)
        return CLI_EXIT_FAIL;
    xsr_error_clear(&err);
    of = xsr_outfile_open(out_path, &err);
    if (!of) {
        cli_print_error(argv[0], out_path, &err);
        xsr_chan_close(in, NULL);
        return CLI_EXIT_FAIL;
    }
    cli_progress_init(&progress, "converting", xsr_chan_size(in), quiet);
    o.progress = on_progress;
    o.progress_ctx = &progress;
    rc = xsr_convert_version(in, xsr_outfile_chan(of), &o, &info, &err);
    cli_progress_done(&progress);
    xsr_chan_close(in, NULL);
    if (rc < 0) {
        xsr_outfile_abort(of);
        cli_print_error(argv[0], strcmp(in_path, "-") == 0 ? "standard input" : in_path, &err);
        return CLI_EXIT_FAIL;
    }
    rc = xsr_outfile_commit(of, &err);
    if (rc < 0) {
        cli_print_error(argv[0], out_path, &err);
        return CLI_EXIT_FAIL;
    }
    if (verbose)
        describe(argv[0], &info);
    return CLI_EXIT_OK;
}
