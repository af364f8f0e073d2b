/* SPDX-License-Identifier: MIT */
/*
 * legacy-gen: write a generated legacy (pre-v2) stream, for the shell tests
 * and the benchmark (bench/convert.sh).
 *
 *   legacy-gen [options] OUT|-
 *
 * Options mirror struct xsr_legacy_gen_opts; --marks prints "offset name"
 * for every structure written to standard error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsr/convert.h>
#include <xsr/xsr.h>

#include "xsr_testkit.h"

static void print_mark(void *ctx, const char *what, uint64_t offset)
{
    (void)ctx;
    fprintf(stderr, "%" PRIu64 " %s\n", offset, what);
}

static const char usage[] =
    "Usage: legacy-gen [--width 32|64] [--guest pv|hvm] [--guest-width 4|8] [--pages N]\n"
    "       [--vcpus N] [--max-vcpu-id N] [--batch N] [--no-extv] [--xsave N] [--xl]\n"
    "       [--dm|--no-dm] [--dm-size N] [--toolstack] [--toolstack-pv-entries]\n"
    "       [--all-chunks] [--xtab]\n"
    "       [--filler-batch] [--no-page-tables] [--verify] [--checkpoints N]\n"
    "       [--no-last-checkpoint] [--compress] [--no-vcpu-info] [--extra-chunk N]\n"
    "       [--seed N] [--marks] OUT|-\n";

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "width", required_argument, NULL, 'w' },
        { "guest", required_argument, NULL, 'g' },
        { "guest-width", required_argument, NULL, 'G' },
        { "pages", required_argument, NULL, 'p' },
        { "vcpus", required_argument, NULL, 'v' },
        { "max-vcpu-id", required_argument, NULL, 'V' },
        { "batch", required_argument, NULL, 'b' },
        { "no-extv", no_argument, NULL, 'E' },
        { "xsave", required_argument, NULL, 'X' },
        { "xl", no_argument, NULL, 'x' },
        { "dm", no_argument, NULL, 'd' },
        { "no-dm", no_argument, NULL, 'D' },
        { "dm-size", required_argument, NULL, 'S' },
        { "toolstack", no_argument, NULL, 't' },
        { "toolstack-pv-entries", no_argument, NULL, 'K' },
        { "all-chunks", no_argument, NULL, 'a' },
        { "xtab", no_argument, NULL, 'T' },
        { "filler-batch", no_argument, NULL, 'F' },
        { "no-page-tables", no_argument, NULL, 'P' },
        { "verify", no_argument, NULL, 'y' },
        { "checkpoints", required_argument, NULL, 'c' },
        { "no-last-checkpoint", no_argument, NULL, 'L' },
        { "compress", no_argument, NULL, 'z' },
        { "no-vcpu-info", no_argument, NULL, 'I' },
        { "extra-chunk", required_argument, NULL, 'e' },
        { "seed", required_argument, NULL, 's' },
        { "marks", no_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_legacy_gen_opts o;
    unsigned width = 64;
    uint32_t guest = XSR_DOM_X86_PV;
    struct xsr_error err;
    struct xsr_chan *out;
    int c, rc;

    /* First pass for the two options that pick the defaults. */
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--width") == 0)
            width = (unsigned)atoi(argv[i + 1]);
        if (strcmp(argv[i], "--guest") == 0)
            guest = strcmp(argv[i + 1], "hvm") == 0 ? XSR_DOM_X86_HVM : XSR_DOM_X86_PV;
    }
    xsr_legacy_gen_opts_init(&o, width, guest);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': case 'g': break;
        case 'G': o.guest_width = (unsigned)atoi(optarg); break;
        case 'p': o.nr_pages = strtoull(optarg, NULL, 0); break;
        case 'v': o.nr_vcpus = (unsigned)atoi(optarg); break;
        case 'V': o.max_vcpu_id = (unsigned)atoi(optarg); break;
        case 'b': o.batch = (unsigned)atoi(optarg); break;
        case 'E': o.extv = false; break;
        case 'X': o.xsave_size = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'x': o.xl_header = true; break;
        case 'd': o.device_model = true; break;
        case 'D': o.device_model = false; break;
        case 'S': o.dm_size = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 't': o.toolstack = true; break;
        case 'K': o.toolstack_pv_entries = true; break;
        case 'a': o.all_chunks = true; break;
        case 'T': o.xtab = true; break;
        case 'F': o.filler_batch = true; break;
        case 'P': o.page_tables = false; break;
        case 'y': o.verify = true; break;
        case 'c': o.checkpoints = (unsigned)atoi(optarg); break;
        case 'L': o.last_checkpoint = false; break;
        case 'z': o.compress = true; break;
        case 'I': o.no_vcpu_info = true; break;
        case 'e': o.extra_chunk = (int32_t)strtol(optarg, NULL, 0); break;
        case 's': o.seed = strtoull(optarg, NULL, 0); break;
        case 'm': o.mark = print_mark; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        fputs(usage, stderr);
        return 2;
    }
    xsr_error_clear(&err);
    out = xsr_chan_open_write(argv[optind], &err);
    if (!out) {
        fprintf(stderr, "legacy-gen: %s\n", err.message);
        return 1;
    }
    rc = xsr_legacy_gen_write(&o, out, &err);
    if (xsr_chan_close(out, rc == 0 ? &err : NULL) < 0 && rc == 0)
        rc = -1;
    if (rc < 0) {
        fprintf(stderr, "legacy-gen: %s\n", err.message);
        return 1;
    }
    return 0;
}
