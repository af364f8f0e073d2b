/* SPDX-License-Identifier: MIT */
/* xsr convert: rewrite a save image to another libxc stream version. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

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
    "a temporary name and renamed when complete.  The input is checked as\n"
    "xsr verify does: what breaks a rule is converted as it is, with a warning,\n"
    "or with --strict refused.\n"
    "\n"
    "  -s, --stream-version N   libxc stream version to write: 2, 3 or 4\n"
    "  -f, --format FMT         input's outermost layer: auto (default), xl,\n"
    "                           libxl, libxc\n"
    "      --allow-lossy        to v2: drop CPUID/MSR policy records; to v4: drop\n"
    "                           shared-info bytes beyond the structure\n"
    "      --max-buffer SIZE    records held while folding (default 256M)\n"
    "      --strict             refuse an input that xsr verify rejects (nothing is\n"
    "                           written)\n"
    "  -v, --verbose            describe the conversion on standard error\n"
    "  -q, --quiet              no progress line\n"
    "      --sync               flush the output to disk before renaming it\n"
    "  -h, --help               show this help\n"
    "\n"
    "IN '-' reads standard input, OUT '-' writes standard output.\n"
    "Exit status: 0 converted, 1 invalid input or failure, 2 bad usage.\n";

/* What cli_convert_files runs. */
struct job {
    struct xsr_convert_opts o;
    struct xsr_convert_info info;
};

static int run(void *ctx, struct xsr_chan *in, struct xsr_chan *out, struct cli_progress *progress,
               struct xsr_error *err)
{
    struct job *j = ctx;

    j->o.progress = cli_progress_cb;
    j->o.progress_ctx = progress;
    return xsr_convert_version(in, out, &j->o, &j->info, err);
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
        { "sync", no_argument, NULL, CLI_OPT_SYNC },
        { "strict", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct job j = { .o = XSR_CONVERT_OPTS_INIT, .info = XSR_CONVERT_INFO_INIT };
    bool verbose = false, quiet = false, sync = false;
    const char *in_path, *out_path;
    uint64_t v;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "s:f:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!cli_parse_u64(optarg, 2, 4, &v))
                return cli_usage_error(argv[0], "stream version '%s' is not 2, 3 or 4", optarg);
            j.o.version = (uint32_t)v;
            break;
        case 'f':
            if (!cli_format_option(argv[0], optarg, &j.o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'L': j.o.allow_lossy = true; break;
        case 'B':
            if (!cli_parse_size(optarg, &v) || v == 0 || v > UINT32_MAX)
                return cli_usage_error(argv[0], "buffer size '%s' is not 1 byte to 4G", optarg);
            j.o.max_buffer = (uint32_t)v;
            break;
        case 'v': verbose = true; break;
        case 'q': quiet = true; break;
        case CLI_OPT_SYNC: sync = true; break;
        case 'S': j.o.strict = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (j.o.version == 0)
        return cli_usage_error(argv[0], "missing --stream-version (2, 3 or 4)");
    if (argc - optind != 2)
        return cli_usage_error(argv[0], "need an input and an output (use - for standard "
                               "input/output)");
    in_path = argv[optind];
    out_path = argv[optind + 1];
    if (!quiet && !cli_any_release_reads(j.o.version))
        fprintf(stderr, "%s: warning: no released Xen restores libxc stream version %" PRIu32
                        " (xsr verify --target xen-X.Y tells what a release accepts)\n",
                argv[0], j.o.version);

    rc = cli_convert_files(argv[0], in_path, out_path, quiet, sync, run, &j);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (j.info.input_errors)
        fprintf(stderr, "%s: warning: %s has %u error%s that xsr verify reports; converted as it is "
                        "(--strict refuses such input)\n", argv[0],
                cli_input_name(in_path), j.info.input_errors, j.info.input_errors == 1 ? "" : "s");
    if (verbose)
        describe(argv[0], &j.info);
    return CLI_EXIT_OK;
}
