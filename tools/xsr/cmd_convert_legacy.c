/* SPDX-License-Identifier: MIT */
/* xsr convert-legacy: a pre-v2 (Xen <= 4.5) save image to a v3 or v4 stream. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsr/convert.h>
#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr convert-legacy [OPTIONS] IN OUT\n"
    "       xsr convert-legacy [OPTIONS] -i IN -o OUT\n"
    "\n"
    "Convert a legacy save image or migration stream (Xen 4.5 and older) to a\n"
    "libxc stream of version 3 (what Xen 4.14 and later restore) or 4.  The\n"
    "writer's width and the guest type are read from the stream where it tells\n"
    "them.  OUT is written under a temporary name and renamed when complete.\n"
    "\n"
    "  -w, --width 32|64        toolstack width of the writer (default: detect)\n"
    "  -g, --guest pv|hvm       guest type (default: detect)\n"
    "  -F, --output-format libxc|libxl\n"
    "                           output stream (default: libxl when the input has\n"
    "                           an xl header, else libxc)\n"
    "  -s, --stream-version 3|4 libxc stream version to write (default 3)\n"
    "  -x, --xl                 the input starts with an xl header (default: detect)\n"
    "      --no-xl              the input has no xl header\n"
    "      --delta-cache PAGES  cache for Remus compressed checkpoints (default 8192)\n"
    "  -v, --verbose            describe the conversion on standard error\n"
    "  -q, --quiet              no progress line\n"
    "      --sync               flush the output to disk before renaming it\n"
    "  -h, --help               show this help\n"
    "\n"
    "  -i, --in IN, -o, --out OUT\n"
    "                           the input and output, as options\n"
    "\n"
    "IN '-' reads standard input, OUT '-' writes standard output.\n"
    "Exit status: 0 converted, 1 invalid input or failure, 2 bad usage.\n";

/* What cli_convert_files runs. */
struct job {
    struct xsr_legacy_opts o;
    struct xsr_legacy_info info;
};

static int run(void *ctx, struct xsr_chan *in, struct xsr_chan *out, struct cli_progress *progress,
               struct xsr_error *err)
{
    struct job *j = ctx;

    j->o.progress = cli_progress_cb;
    j->o.progress_ctx = progress;
    return xsr_convert_legacy(in, out, &j->o, &j->info, err);
}

static const char *guest_name(uint32_t g)
{
    return g == XSR_DOM_X86_PV ? "PV" : g == XSR_DOM_X86_HVM ? "HVM" : "?";
}

static void describe(const char *prog, const struct xsr_legacy_info *i)
{
    fprintf(stderr, "%s: %u-bit toolstack%s, x86 %s guest%s", prog, i->width,
            i->width_detected ? " (detected)" : "", guest_name(i->guest),
            i->guest_detected ? " (detected)" : "");
    if (i->guest == XSR_DOM_X86_PV)
        fprintf(stderr, ", %u-bit with %u page-table levels", i->guest_width * 8, i->pt_levels);
    fprintf(stderr, ", p2m size %#" PRIx64 "\n", i->p2m_size);
    fprintf(stderr, "%s: %" PRIu64 " image%s%s, %" PRIu64 " batches, %" PRIu64 " pfn entries, %"
            PRIu64 " pages", prog, i->checkpoints, i->checkpoints == 1 ? "" : "s",
            i->checkpoints > 1 ? " (Remus checkpoints)" : "", i->batches, i->pfn_entries,
            i->data_pages);
    if (i->guest == XSR_DOM_X86_PV)
        fprintf(stderr, ", %" PRIu32 " vCPUs", i->vcpus);
    else
        fprintf(stderr, ", %" PRIu32 " HVM parameters", i->hvm_params);
    fputc('\n', stderr);
    if (i->xtab_dropped || i->empty_batches)
        fprintf(stderr, "%s: dropped %" PRIu64 " 'XTAB, pfn 0' fillers and %" PRIu64
                " batches of nothing else\n", prog, i->xtab_dropped, i->empty_batches);
    if (i->compressed)
        fprintf(stderr, "%s: decoded %" PRIu64 " pages of compressed Remus checkpoints\n", prog,
                i->compressed_pages);
    if (i->verify_mode)
        fprintf(stderr, "%s: the pages the stream resent for verification are kept as page "
                "data\n", prog);
    if (i->device_model)
        fprintf(stderr, "%s: device model: %" PRIu64 " bytes\n", prog, i->device_model_bytes);
    if (i->xl_header_dropped)
        fprintf(stderr, "%s: the xl header (and the domain configuration in it) was left out: "
                "a libxc stream cannot carry it\n", prog);
    if (i->trailing_bytes)
        fprintf(stderr, "%s: ignored %" PRIu64 " bytes after the end of the legacy stream\n",
                prog, i->trailing_bytes);
    fprintf(stderr, "%s: wrote a %s stream, version %" PRIu32 ", %" PRIu64 " bytes from %" PRIu64
            "\n", prog, i->format == XSR_LAYER_LIBXL ? "libxl" : "libxc", i->version,
            i->out_bytes, i->in_bytes);
}

int cmd_convert_legacy(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "width", required_argument, NULL, 'w' },
        { "guest", required_argument, NULL, 'g' },
        { "output-format", required_argument, NULL, 'F' },
        { "stream-version", required_argument, NULL, 's' },
        { "xl", no_argument, NULL, 'x' },
        { "no-xl", no_argument, NULL, 'X' },
        { "delta-cache", required_argument, NULL, 'C' },
        { "in", required_argument, NULL, 'i' },
        { "out", required_argument, NULL, 'o' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "sync", no_argument, NULL, CLI_OPT_SYNC },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct job j = { .o = XSR_LEGACY_OPTS_INIT, .info = XSR_LEGACY_INFO_INIT };
    const char *in_path = NULL, *out_path = NULL;
    bool verbose = false, quiet = false, sync = false;
    uint64_t v;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "w:g:F:s:xi:o:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (strcmp(optarg, "32") && strcmp(optarg, "64"))
                return cli_usage_error(argv[0], "width '%s' is neither 32 nor 64", optarg);
            j.o.width = optarg[0] == '3' ? 32 : 64;
            break;
        case 'g':
            if (strcmp(optarg, "pv") == 0)
                j.o.guest = XSR_DOM_X86_PV;
            else if (strcmp(optarg, "hvm") == 0)
                j.o.guest = XSR_DOM_X86_HVM;
            else
                return cli_usage_error(argv[0], "guest type '%s' is neither pv nor hvm", optarg);
            break;
        case 'F':
            if (strcmp(optarg, "libxc") == 0)
                j.o.format = XSR_LAYER_LIBXC;
            else if (strcmp(optarg, "libxl") == 0)
                j.o.format = XSR_LAYER_LIBXL;
            else
                return cli_usage_error(argv[0], "output format '%s' is neither libxc nor libxl", optarg);
            break;
        case 's':
            if (!cli_parse_u64(optarg, 3, 4, &v))
                return cli_usage_error(argv[0], "a legacy stream converts to stream version 3 or "
                                       "4, not '%s'", optarg);
            j.o.version = (uint32_t)v;
            break;
        case 'x': j.o.xl = XSR_LEGACY_XL_PRESENT; break;
        case 'X': j.o.xl = XSR_LEGACY_XL_ABSENT; break;
        case 'C':
            if (!cli_parse_u64(optarg, 1, 1u << 26, &v))
                return cli_usage_error(argv[0], "delta cache '%s' is not 1 to 2^26 pages", optarg);
            j.o.delta_cache = (uint32_t)v;
            break;
        case 'i': in_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'v': verbose = true; break;
        case 'q': quiet = true; break;
        case CLI_OPT_SYNC: sync = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (!in_path && optind < argc)
        in_path = argv[optind++];
    if (!out_path && optind < argc)
        out_path = argv[optind++];
    if (optind < argc)
        return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
    if (!in_path || !out_path)
        return cli_usage_error(argv[0], "need an input and an output (use - for standard "
                               "input/output)");

    rc = cli_convert_files(argv[0], in_path, out_path, quiet, sync, run, &j);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (verbose)
        describe(argv[0], &j.info);
    else if (j.info.trailing_bytes)
        fprintf(stderr, "%s: warning: ignored %" PRIu64 " bytes after the end of the legacy "
                "stream\n", argv[0], j.info.trailing_bytes);
    return CLI_EXIT_OK;
}
