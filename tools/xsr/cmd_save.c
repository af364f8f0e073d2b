/* SPDX-License-Identifier: MIT */
/* xsr save: a stream from a (simulated) domain, optionally live. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"
#include "engine_cli.h"

static const char usage[] =
    "Usage: xsr save [options] SIM OUT|-\n"
    "\n"
    "Save the domain in the sim file SIM as a stream to OUT ('-': standard output,\n"
    "not a terminal).  The guest is paused for the save and stays paused after it.\n"
    "\n"
    "  -s, --stream-version N   libxc stream version 2, 3 (default) or 4 (no released\n"
    "                           Xen restores v4)\n"
    "  -F, --output-format F    xl (default), libxl or libxc (the bare stream); also --format\n"
    "      --config FILE        the domain configuration (libxl JSON) for the xl header;\n"
    "                           default: one describing the domain's shape\n"
    "      --no-zero-elision    send zero pages with their data (default: a zero page\n"
    "                           is sent as XALLOC, which the receiver fills with zeros)\n"
    "  -c, --continue           let the guest run on after the save (xl save -c)\n"
    "      --debug              add Xen's VERIFY pass: every page again, for the\n"
    "                           receiver to compare\n"
    "  -l, --live               pre-copy while the guest runs (it is unpaused first)\n"
    "  -w, --workload SPEC      with --live: a workload that writes guest memory\n"
    "                           meanwhile (xsr sim run's SPEC, e.g. hot:10,rate=20K)\n"
    ENGINE_LIVE_HELP
    "      --progress WHAT      line (on a terminal, the default), json (one event per\n"
    "                           line on stderr) or none\n"
    "  -q, --quiet              no progress line and no summary\n"
    "  -h, --help               show this help\n"
    "\n"
    "OUT is written under a temporary name and renamed when complete.\n"
    "Exit status: 0 saved, 1 failed (nothing left at OUT), 2 bad usage.\n";

enum {
    OPT_CONFIG = 0x100, OPT_NO_ZERO, OPT_DEBUG, OPT_PROGRESS,
};

struct save_job {
    struct xsr_domain *d;
    struct xsr_save_opts o;
    struct xsr_save_result r;
};

/* Save into OUT's temporary, renamed over OUT only when complete. */
static int save_to(const char *prog, struct save_job *j, const char *out)
{
    struct xsr_error err = {0};
    struct xsr_outfile *of = xsr_outfile_open(out, &err);
    if (!of) {
        cli_print_error(prog, out, &err);
        return CLI_EXIT_FAIL;
    }
    int rc = xsr_save(j->d, xsr_outfile_chan(of), &j->o, &j->r, &err);
    if (rc < 0) {
        xsr_outfile_abort(of);
        cli_print_error(prog, "save", &err);
        return CLI_EXIT_FAIL;
    }
    if (xsr_outfile_commit(of, &err) < 0) {
        cli_print_error(prog, out, &err);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static bool parse_u32(const char *prog, const char *opt, const char *s, uint64_t min, uint64_t max,
                      uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_u64(s, min, max, &v)) {
        cli_usage_error(prog, "bad %s '%s'", opt, s);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

int cmd_save(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "stream-version", required_argument, NULL, 's' },
        { "output-format", required_argument, NULL, 'F' },
        { "format", required_argument, NULL, 'F' },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "no-zero-elision", no_argument, NULL, OPT_NO_ZERO },
        { "continue", no_argument, NULL, 'c' },
        { "debug", no_argument, NULL, OPT_DEBUG },
        { "live", no_argument, NULL, 'l' },
        { "workload", required_argument, NULL, 'w' },
        ENGINE_LIVE_LONGOPTS,
        { "progress", required_argument, NULL, OPT_PROGRESS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct save_job j = { .o = XSR_SAVE_OPTS_INIT, .r = XSR_SAVE_RESULT_INIT };
    struct engine_progress prog_out = {0};
    const char *config_path = NULL, *workload = NULL;
    bool quiet = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "s:F:clw:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!parse_u32(argv[0], "--stream-version", optarg, 2, 4, &j.o.version))
                return CLI_EXIT_USAGE;
            break;
        case 'F':
            if (!cli_parse_format(optarg, &j.o.format) || j.o.format == XSR_LAYER_NONE)
                return cli_usage_error(argv[0], "--output-format must be xl, libxl or libxc, not '%s'",
                                       optarg);
            break;
        case OPT_CONFIG: config_path = optarg; break;
        case OPT_NO_ZERO: j.o.no_zero_elision = true; break;
        case 'c': j.o.resume = true; break;
        case OPT_DEBUG: j.o.debug = true; break;
        case 'l': j.o.live = true; break;
        case 'w': workload = optarg; break;
        case OPT_PROGRESS:
            if (!engine_progress_option(argv[0], optarg, &prog_out))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default:
            if (engine_is_live_option(c)) {
                if (!engine_live_option(argv[0], c, optarg, &j.o))
                    return CLI_EXIT_USAGE;
                break;
            }
            return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(argv[0], "expected SIM and OUT");
    const char *sim = argv[optind], *out = argv[optind + 1];
    if (workload && !j.o.live)
        return cli_usage_error(argv[0], "--workload runs during a --live save");
    if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(argv[0], "refusing to write a binary stream to a terminal");
    if (cli_output_is_input(argv[0], sim, out))
        return CLI_EXIT_USAGE;

    struct xsr_error err = {0};
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    if (workload && xsr_sim_workload_parse(workload, &w, &err) < 0)
        return cli_usage_error(argv[0], "bad --workload: %s", err.message);
    uint8_t *config = NULL;
    if (config_path) {
        size_t n;
        FILE *f = fopen(config_path, "rb");
        config = f ? malloc(1u << 20) : NULL;
        n = config ? fread(config, 1, (1u << 20) - 1, f) : 0;
        if (f)
            fclose(f);
        if (!config || n == (1u << 20) - 1) {
            free(config);
            cli_print_open_error(argv[0], config_path);
            return CLI_EXIT_FAIL;
        }
        config[n] = '\0'; /* xl stores the NUL */
        j.o.xl_config = config;
        j.o.xl_config_len = (uint32_t)n + 1;
    }
    if (xsr_sim_open(sim, &j.d, &err) < 0) {
        free(config);
        cli_print_error(argv[0], sim, &err);
        return CLI_EXIT_FAIL;
    }
    int rc = 0;
    if (j.o.live) {
        rc = xsr_domain_unpause(j.d, &err);
        if (rc == 0 && workload)
            rc = xsr_sim_workload_start(j.d, &w, &err);
    }
    engine_progress_setup(&prog_out, "save", quiet);
    j.o.progress = engine_progress_cb;
    j.o.progress_ctx = &prog_out;
    int exit_code = CLI_EXIT_FAIL;
    if (rc == 0)
        exit_code = save_to(argv[0], &j, out);
    else
        cli_print_error(argv[0], sim, &err);
    engine_progress_done(&prog_out);
    if (workload)
        (void)xsr_sim_workload_stop(j.d, NULL, NULL);
    if (exit_code == CLI_EXIT_OK && !quiet)
        fprintf(stderr, "saved %s: %.1f MiB, %" PRIu64 " pages with data, %" PRIu64
                        " zero pages as XALLOC, %" PRIu32 " pass%s, downtime %" PRIu64 " ms\n",
                sim, (double)j.r.bytes / 1048576.0, j.r.pages, j.r.zero_pages, j.r.iterations,
                j.r.iterations == 1 ? "" : "es", j.r.downtime_ms);
    xsr_domain_close(j.d);
    free(config);
    return exit_code;
}
