/* SPDX-License-Identifier: MIT */
/* xsr extract: guest memory of a save image as a raw file or an ELF core. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr extract [-f auto|xl|libxl|libxc] (--raw OUT | --elf OUT)\n"
    "                   [--pfn-map MAP] [--pfn-limit N] [-q] FILE|-\n"
    "\n"
    "Write the guest memory a receiver of the stream would end with: the last\n"
    "copy of every frame (pages after VERIFY are compared, not applied; frames\n"
    "later sent as XTAB, XALLOC or BROKEN have no data).\n"
    "\n"
    "  --raw OUT         flat file: frame pfn at offset pfn * 4096, holes sparse\n"
    "  --elf OUT         ELF64 core: PT_LOAD per run of frames, vCPU registers in\n"
    "                    NT_PRSTATUS notes (see doc/elf-core.md)\n"
    "  --pfn-map MAP     also write a TSV line per frame: pfn, type, times sent,\n"
    "                    offset of the last copy in FILE, state\n"
    "  --pfn-limit N     refuse pfns >= N (default 2^28 frames, 1 TiB)\n"
    "  -f, --format FMT  outermost layer: auto (default), xl, libxl, libxc\n"
    "  -q, --quiet       no progress line and no summary\n"
    "  -h, --help        show this help\n"
    "\n"
    "FILE '-' reads standard input.  Exit status: 0 success, 1 failure (what\n"
    "could be read is still written), 2 bad usage.\n";

int cmd_extract(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "raw", required_argument, NULL, 'R' },
        { "elf", required_argument, NULL, 'E' },
        { "pfn-map", required_argument, NULL, 'M' },
        { "pfn-limit", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    struct xsr_extract_result res = XSR_EXTRACT_RESULT_INIT;
    struct xsr_error err;
    struct cli_progress prog;
    const char *out_path = NULL, *map_path = NULL, *path;
    bool quiet = false, have_format = false;
    struct cli_output map = { 0 };
    struct xsr_outfile *of;
    struct stat st;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!cli_format_option(argv[0], optarg, &o.a.format))
                return CLI_EXIT_USAGE;
            break;
        case 'R':
        case 'E':
            if (have_format)
                return cli_usage_error(argv[0], "give one of --raw and --elf, once");
            have_format = true;
            o.format = c == 'E' ? XSR_EXTRACT_ELF : XSR_EXTRACT_RAW;
            out_path = optarg;
            break;
        case 'M': map_path = optarg; break;
        case 'L':
            if (!cli_pfn_limit_option(argv[0], optarg, &o.a.pfn_limit))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    path = cli_one_file(argc, argv, optind);
    if (!path)
        return CLI_EXIT_USAGE;
    if (!out_path)
        return cli_usage_error(argv[0], "say where to write the memory: --raw OUT or --elf OUT");
    if (strcmp(out_path, "-") == 0)
        return cli_usage_error(argv[0], "the output must be a file (it is written at random offsets)");
    if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_usage_error(argv[0], "%s is not a regular file; the memory is written at random "
                               "offsets, so it must be one", out_path);
    if (cli_output_is_input(argv[0], path, out_path) || cli_output_is_input(argv[0], path, map_path))
        return CLI_EXIT_USAGE;
    if (map_path && strcmp(map_path, "-") != 0 && cli_same_file(out_path, map_path))
        return cli_usage_error(argv[0], "--pfn-map %s is the memory output too; give it another file", map_path);
    if (strcmp(path, "-") != 0)
        o.in_path = path; /* lets pages be copied inside the kernel */

    struct xsr_chan *in = cli_open_input(argv[0], path);
    if (!in)
        return CLI_EXIT_FAIL;
    of = cli_open_outfile(argv[0], out_path);
    if (!of) {
        xsr_chan_close(in, NULL);
        return CLI_EXIT_FAIL;
    }
    if (map_path) {
        if (!cli_open_output(argv[0], map_path, &map)) {
            xsr_outfile_abort(of);
            xsr_chan_close(in, NULL);
            return CLI_EXIT_FAIL;
        }
        o.pfn_map = map.f;
    }
    cli_progress_init(&prog, "extracting", xsr_chan_size(in), quiet);
    o.a.progress = cli_progress_cb;
    o.a.progress_ctx = &prog;

    xsr_error_clear(&err);
    rc = xsr_extract(in, xsr_outfile_fd(of), &o, &res, &err);
    cli_progress_done(&prog);
    xsr_chan_close(in, NULL);
    /* Both outputs are kept after an error in the stream too: they hold what
     * was read before it (the manual says so).  Only a failure to write them
     * discards them. */
    int orc = 0;
    struct xsr_error oerr;
    xsr_error_clear(&oerr);
    if (!cli_close_output(argv[0], &map, &orc, &oerr))
        return CLI_EXIT_FAIL;
    if (orc < 0)
        xsr_outfile_abort(of);
    else
        orc = xsr_outfile_commit(of, &oerr);
    if (orc < 0) {
        cli_print_error(argv[0], out_path, &oerr);
        return CLI_EXIT_FAIL;
    }

    if (rc < 0) {
        cli_print_error(argv[0], path, &err);
        fprintf(stderr, "%s: %s holds the memory read before the error (%" PRIu64 " frames)\n",
                argv[0], out_path, res.frames_present);
        return CLI_EXIT_FAIL;
    }
    if (res.uncommitted)
        fprintf(stderr, "%s: warning: the stream ends inside a checkpoint; %" PRIu64 " pages of it are "
                "included, which a receiver would discard\n", argv[0], res.uncommitted);
    if (res.verify_mismatches)
        fprintf(stderr, "%s: warning: %" PRIu64 " of %" PRIu64 " VERIFY pages differ from the "
                "extracted memory\n", argv[0], res.verify_mismatches, res.verify_pages);
    if (!quiet) {
        FILE *f = map.f == stdout ? stderr : stdout;
        if (res.any_pfn)
            fprintf(f, "%s: %" PRIu64 " frames with data (highest pfn 0x%" PRIx64 "), %" PRIu64
                    " copies applied (%" PRIu64 " re-sent), %" PRIu64 " XTAB, %" PRIu64 " XALLOC, %"
                    PRIu64 " BROKEN, %" PRIu64 " invalidated\n", out_path, res.frames_present,
                    res.max_pfn, res.copies, res.resent, res.frames_xtab, res.frames_xalloc,
                    res.frames_broken, res.invalidated);
        else
            fprintf(f, "%s: the stream carries no memory\n", out_path);
        if (o.format == XSR_EXTRACT_ELF)
            fprintf(f, "%s: ELF core with %" PRIu64 " PT_LOAD segment%s and %" PRIu32
                    " vCPU register set%s\n", out_path, res.elf_loads, res.elf_loads == 1 ? "" : "s",
                    res.vcpus, res.vcpus == 1 ? "" : "s");
        if (res.verify_pages)
            fprintf(f, "%s: %" PRIu64 " VERIFY pages compared, %" PRIu64 " differ\n", out_path,
                    res.verify_pages, res.verify_mismatches);
    }
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
