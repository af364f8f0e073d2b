/* SPDX-License-Identifier: MIT */
/* xsr restore: build a simulated domain from a save image (xsr/engine.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"
#include "engine_cli.h"

static const char usage[] =
    "Usage: xsr restore [-f auto|xl|libxl|libxc] [--lenient] [--unpause]\n"
    "                   [--max-pfn N] [--vcpus N] [--progress line|json|none] [-q]\n"
    "                   IN|- SIM\n"
    "\n"
    "Restore the save image IN (stream v2, v3 or v4; xl, libxl or bare libxc)\n"
    "into a new simulated domain SIM.  Every record is checked before it is\n"
    "applied; PV page tables, the P2M and the vCPUs' frames are moved to the\n"
    "new machine frames and the tables pinned.  SIM is written under a temporary\n"
    "name and renamed once the domain is complete: on any error nothing is left.\n"
    "\n"
    "  --lenient         accept what Xen's restorer accepts, not only valid streams\n"
    "  --unpause         let the guest run once it is restored (default: paused)\n"
    "  --max-pfn N       the domain's highest pfn (default: from the stream, or\n"
    "                    0xfffff when it cannot be known before its memory arrives)\n"
    "  --vcpus N         the domain's vCPU count (default: from the stream, or 64)\n"
    "  --progress WHAT   line: on a terminal (default); json: one event per line\n"
    "                    on stderr; none\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "  -q, --quiet       no progress line and no summary\n"
    "  -h, --help        show this help\n"
    "\n"
    "IN '-' reads standard input.  Exit status: 0 success, 1 the image was\n"
    "refused or the restore failed, 2 bad usage.\n";

struct run {
    const char *prog;
    bool quiet;
};

static void on_finding(void *ctx, const struct xsr_finding *f)
{
    struct run *r = ctx;
    if (f->severity == XSR_SEV_WARNING && !r->quiet)
        fprintf(stderr, "%s: warning: %s [%s]\n", r->prog, f->message, f->rule);
}

int cmd_restore(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "lenient", no_argument, NULL, 'l' },
        { "unpause", no_argument, NULL, 'u' },
        { "max-pfn", required_argument, NULL, 'P' },
        { "vcpus", required_argument, NULL, 'V' },
        { "progress", required_argument, NULL, 'G' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_restore_opts o = XSR_RESTORE_OPTS_INIT;
    struct run run = { .prog = argv[0] };
    struct engine_progress progress = { 0 };
    uint64_t v;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.format))
                return CLI_EXIT_USAGE;
            break;
        case 'l': o.lenient = true; break;
        case 'u': o.unpause = true; break;
        case 'P':
            if (!cli_parse_u64(optarg, 0, (1ull << 40) - 1, &o.max_pfn))
                return cli_usage_error(argv[0], "bad --max-pfn '%s'", optarg);
            break;
        case 'V':
            if (!cli_parse_u64(optarg, 1, XSR_VCPU_MAX, &v))
                return cli_usage_error(argv[0], "--vcpus must be 1 to %u, not '%s'", XSR_VCPU_MAX, optarg);
            o.max_vcpus = (uint32_t)v;
            break;
        case 'G':
            if (!engine_progress_option(argv[0], optarg, &progress))
                return CLI_EXIT_USAGE;
            break;
        case 'q': run.quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(argv[0], "give the image to restore and the sim file to create");
    const char *in_path = argv[optind], *sim_path = argv[optind + 1];
    if (strcmp(sim_path, "-") == 0)
        return cli_usage_error(argv[0], "the domain must be a file, not standard output");
    if (cli_output_is_input(argv[0], in_path, sim_path))
        return CLI_EXIT_USAGE;

    struct xsr_chan *in = cli_open_input(argv[0], in_path);
    if (!in)
        return CLI_EXIT_FAIL;
    struct xsr_error err;
    struct xsr_domain_factory f;
    xsr_error_clear(&err);
    if (xsr_sim_factory(sim_path, &f, &err) < 0) {
        xsr_chan_close(in, NULL);
        cli_print_error(argv[0], sim_path, &err);
        return CLI_EXIT_FAIL;
    }
    engine_progress_setup(&progress, "restore", run.quiet);
    o.progress = engine_progress_cb;
    o.progress_ctx = &progress;
    o.on_finding = on_finding;
    o.finding_ctx = &run;

    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    int rc = xsr_restore(in, &f, &o, &res, NULL, &err);
    engine_progress_done(&progress);
    f.release(&f);
    xsr_chan_close(in, NULL);
    if (rc < 0) {
        cli_print_error(argv[0], cli_input_name(in_path), &err);
        fprintf(stderr, "%s: nothing was restored\n", argv[0]);
        return CLI_EXIT_FAIL;
    }
    if (res.verify_mismatches)
        fprintf(stderr, "%s: warning: %" PRIu64 " of %" PRIu64 " VERIFY pages differ from the restored "
                "memory (the first: pfn %#" PRIx64 ")\n", argv[0], res.verify_mismatches, res.verified,
                res.first_mismatch_pfn);
    if (!run.quiet)
        printf("%s: %s%s guest, stream v%" PRIu32 ": %" PRIu64 " pages written (%" PRIu64 " re-sent, %" PRIu64
               " passes), %" PRIu64 " XALLOC, %" PRIu64 " XTAB, %" PRIu64 " BROKEN, %" PRIu64
               " page tables pinned, %" PRIu32 " vCPUs; %s\n",
               sim_path, res.dom_type == XSR_DOM_X86_PV ? "PV" : "HVM",
               res.dom_type == XSR_DOM_X86_PV ? (res.guest_width == 4 ? " 32-bit" : " 64-bit") : "",
               res.version, res.pages, res.resent, res.iterations, res.zero_pages, res.xtab, res.broken,
               res.pinned, res.vcpus, o.unpause ? "running" : "paused");
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
