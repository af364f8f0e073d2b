/* SPDX-License-Identifier: MIT */
/* xsr generate: write a synthetic, valid save image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr generate [OPTIONS] OUT|-\n"
    "\n"
    "Write a synthetic but fully valid save image (deterministic for a given\n"
    "set of options).\n"
    "\n"
    "  -s, --stream-version N\n"
    "                        libxc stream version 2, 3 (default) or 4\n"
    "      --guest TYPE      pv (64-bit, default), pv32, hvm or pvh (an HVM\n"
    "                        stream without device model, xl type \"pvh\")\n"
    "      --wrap LAYER      outermost layer: xl (default), libxl or libxc\n"
    "      --big-endian      big-endian libxc stream\n"
    "      --pages N         guest memory in 4 KiB pages (default 256)\n"
    "      --size SIZE       guest memory as a size, e.g. 64M (K, M, G suffixes)\n"
    "      --vcpus N         number of vCPUs (default 1)\n"
    "      --live-passes N   extra memory passes re-sending dirty pages\n"
    "      --checkpoints N   a checkpointed (Remus/COLO) stream with N checkpoints\n"
    "      --verify-pass     a VERIFY record and all pages again\n"
    "      --all-records     every optional record and page type\n"
    "      --seed N          seed of the page contents (default 0)\n"
    "  -h, --help            show this help\n"
    "\n"
    "OUT '-' writes to standard output (not a terminal).\n"
    "Exit status: 0 written, 1 failed, 2 bad usage.\n";

enum {
    OPT_VERSION = 256, OPT_GUEST, OPT_WRAP, OPT_BIG_ENDIAN, OPT_PAGES, OPT_SIZE, OPT_VCPUS,
    OPT_LIVE_PASSES, OPT_CHECKPOINTS, OPT_VERIFY_PASS, OPT_ALL_RECORDS, OPT_SEED,
};

static bool parse_wrap(const char *s, enum xsr_layer *out)
{
    if (strcmp(s, "xl") == 0)
        *out = XSR_LAYER_XL;
    else if (strcmp(s, "libxl") == 0)
        *out = XSR_LAYER_LIBXL;
    else if (strcmp(s, "libxc") == 0)
        *out = XSR_LAYER_LIBXC;
    else
        return false;
    return true;
}

int cmd_generate(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "stream-version", required_argument, NULL, 's' },
        { "version", required_argument, NULL, OPT_VERSION }, /* hidden: the old spelling */
        { "guest", required_argument, NULL, OPT_GUEST },
        { "wrap", required_argument, NULL, OPT_WRAP },
        { "big-endian", no_argument, NULL, OPT_BIG_ENDIAN },
        { "pages", required_argument, NULL, OPT_PAGES },
        { "size", required_argument, NULL, OPT_SIZE },
        { "vcpus", required_argument, NULL, OPT_VCPUS },
        { "live-passes", required_argument, NULL, OPT_LIVE_PASSES },
        { "checkpoints", required_argument, NULL, OPT_CHECKPOINTS },
        { "verify-pass", no_argument, NULL, OPT_VERIFY_PASS },
        { "all-records", no_argument, NULL, OPT_ALL_RECORDS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t version = 3, pages = 0, vcpus = 0, passes = 0, checkpoints = 0, seed = 0, size;
    bool have_pages = false, have_vcpus = false, big_endian = false, all_records = false;
    bool verify_pass = false, pvh = false;
    uint32_t dom_type = XSR_DOM_X86_PV;
    unsigned width = 8;
    enum xsr_layer wrap = XSR_LAYER_XL;
    struct xsr_gen_opts o;
    struct xsr_error err;
    struct xsr_outfile *of;
    const char *path, *size_opt = NULL, *pages_opt = NULL;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
        case OPT_VERSION:
            if (!cli_parse_u64(optarg, XSR_VERSION_MIN, XSR_VERSION_MAX, &version))
                return cli_usage_error(argv[0], "--stream-version must be 2, 3 or 4, not '%s'", optarg);
            break;
        case OPT_GUEST:
            if (strcmp(optarg, "pv") == 0) {
                dom_type = XSR_DOM_X86_PV; width = 8; pvh = false;
            } else if (strcmp(optarg, "pv32") == 0) {
                dom_type = XSR_DOM_X86_PV; width = 4; pvh = false;
            } else if (strcmp(optarg, "hvm") == 0) {
                dom_type = XSR_DOM_X86_HVM; width = 8; pvh = false;
            } else if (strcmp(optarg, "pvh") == 0) {
                dom_type = XSR_DOM_X86_HVM; width = 8; pvh = true;
            } else {
                return cli_usage_error(argv[0], "unknown guest type '%s' (pv, pv32, hvm, pvh)", optarg);
            }
            break;
        case OPT_WRAP:
            if (!parse_wrap(optarg, &wrap))
                return cli_usage_error(argv[0], "unknown layer '%s' (xl, libxl, libxc)", optarg);
            break;
        case OPT_BIG_ENDIAN: big_endian = true; break;
        case OPT_PAGES:
            if (!cli_parse_u64(optarg, 1, XSR_PFN_MASK, &pages))
                return cli_usage_error(argv[0], "--pages must be a positive number, not '%s'", optarg);
            have_pages = true;
            pages_opt = optarg;
            break;
        case OPT_SIZE:
            if (!cli_parse_size(optarg, &size) || size < XSR_PAGE_SIZE || size % XSR_PAGE_SIZE)
                return cli_usage_error(argv[0], "--size must be a multiple of 4 KiB such as 64M, not '%s'",
                                       optarg);
            pages = size / XSR_PAGE_SIZE;
            have_pages = true;
            size_opt = optarg;
            break;
        case OPT_VCPUS:
            if (!cli_parse_u64(optarg, 1, XSR_VCPU_MAX, &vcpus))
                return cli_usage_error(argv[0], "--vcpus must be 1 to %u, not '%s'", XSR_VCPU_MAX, optarg);
            have_vcpus = true;
            break;
        case OPT_LIVE_PASSES:
            if (!cli_parse_u64(optarg, 0, 1000, &passes))
                return cli_usage_error(argv[0], "--live-passes must be 0 to 1000, not '%s'", optarg);
            break;
        case OPT_CHECKPOINTS:
            if (!cli_parse_u64(optarg, 0, 100000, &checkpoints))
                return cli_usage_error(argv[0], "--checkpoints must be 0 to 100000, not '%s'", optarg);
            break;
        case OPT_VERIFY_PASS: verify_pass = true; break;
        case OPT_ALL_RECORDS: all_records = true; break;
        case OPT_SEED:
            if (!cli_parse_u64(optarg, 0, UINT64_MAX, &seed))
                return cli_usage_error(argv[0], "--seed must be a number, not '%s'", optarg);
            break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(argv[0], argc == optind ? "missing OUT (use - for standard output)"
                                                       : "expected one OUT, got %d", argc - optind);
    if (size_opt && pages_opt)
        return cli_usage_error(argv[0], "give either --pages or --size, not both");
    path = argv[optind];
    if (strcmp(path, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(argv[0], "refusing to write a binary stream to a terminal");

    xsr_gen_opts_init(&o, (uint32_t)version, dom_type);
    if (dom_type == XSR_DOM_X86_PV)
        o.guest_width = width;
    o.wrap = wrap;
    o.order = big_endian ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
    if (have_pages)
        o.nr_pages = pages;
    if (have_vcpus)
        o.nr_vcpus = (unsigned)vcpus;
    o.live_passes = (unsigned)passes;
    o.checkpoints = (unsigned)checkpoints;
    o.verify_pass = verify_pass;
    o.all_records = all_records;
    o.seed = seed;
    o.pvh = pvh;

    of = cli_open_outfile(argv[0], path);
    if (!of)
        return CLI_EXIT_FAIL;
    xsr_error_clear(&err);
    rc = xsr_gen_write(&o, xsr_outfile_chan(of), &err);
    if (rc < 0)
        cli_print_error(argv[0], path, &err); /* nothing is left under the name */
    return cli_finish_outfile(argv[0], path, of, rc) < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
