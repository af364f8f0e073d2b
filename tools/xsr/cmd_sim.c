/* SPDX-License-Identifier: MIT */
/* xsr sim: create, show, compare and run simulated domains (xsr/sim.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "Usage: xsr sim create --type pv|pv32|hvm --memory SIZE [--vcpus N] [--balloon SIZE]\n"
    "                      [--broken N] [--seed S] [--frame-seed S] FILE\n"
    "       xsr sim show FILE\n"
    "       xsr sim diff [--max N] A B\n"
    "       xsr sim run [--workload SPEC] --seconds N FILE\n"
    "\n"
    "A simulated domain lives in FILE, mapped into memory by whoever uses it.\n"
    "\n"
    "  create   a new guest: PV 64-bit, PV 32-bit PAE or HVM, SIZE bytes of memory\n"
    "           (K/M/G suffixes), SIZE of it ballooned out, N broken frames;\n"
    "           --seed chooses contents and holes, --frame-seed alone the\n"
    "           machine-frame numbering\n"
    "  show     its shape and state\n"
    "  diff     compare two domains (memory by pfn, page types, P2M, page tables\n"
    "           and vCPU state modulo machine-frame numbering, HVM and platform\n"
    "           state); up to --max differences are listed (default 20)\n"
    "  run      unpause it and run a workload for N seconds, then pause it.\n"
    "           SPEC: uniform | hot[:PCT] | sweep, rate=N[K|M]|max (pages/s),\n"
    "           pt=N (every N-th write rewrites a page-table entry); default\n"
    "           \"uniform,rate=10K,pt=64\"\n"
    "\n"
    "Exit status: 0 success (diff: the same), 1 failure (diff: different),\n"
    "2 bad usage.\n";

static int fail(const char *prog, const char *what, const struct xsr_error *err)
{
    cli_print_error(prog, what, err);
    return CLI_EXIT_FAIL;
}

static int sim_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "type", required_argument, NULL, 't' },
        { "memory", required_argument, NULL, 'm' },
        { "vcpus", required_argument, NULL, 'v' },
        { "balloon", required_argument, NULL, 'b' },
        { "broken", required_argument, NULL, 'B' },
        { "seed", required_argument, NULL, 's' },
        { "frame-seed", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_sim_create_opts o = XSR_SIM_CREATE_OPTS_INIT;
    bool have_type = false, have_mem = false;
    uint64_t v;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "t:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            have_type = true;
            if (strcmp(optarg, "pv") == 0)
                o.type = XSR_SIM_PV;
            else if (strcmp(optarg, "pv32") == 0)
                o.type = XSR_SIM_PV32;
            else if (strcmp(optarg, "hvm") == 0 || strcmp(optarg, "pvh") == 0)
                o.type = XSR_SIM_HVM;
            else
                return cli_usage_error(argv[0], "--type must be pv, pv32 or hvm, not '%s'", optarg);
            break;
        case 'm':
            if (!cli_parse_size(optarg, &o.memory))
                return cli_usage_error(argv[0], "bad --memory size '%s'", optarg);
            have_mem = true;
            break;
        case 'b':
            if (!cli_parse_size(optarg, &o.balloon))
                return cli_usage_error(argv[0], "bad --balloon size '%s'", optarg);
            break;
        case 'v':
            if (!cli_parse_u64(optarg, 1, XSR_VCPU_MAX, &v))
                return cli_usage_error(argv[0], "--vcpus must be from 1 to %u", XSR_VCPU_MAX);
            o.vcpus = (uint32_t)v;
            break;
        case 'B':
            if (!cli_parse_u64(optarg, 0, 64, &v))
                return cli_usage_error(argv[0], "--broken must be from 0 to 64");
            o.broken = (uint32_t)v;
            break;
        case 's':
            if (!cli_parse_u64(optarg, 0, UINT64_MAX, &o.seed))
                return cli_usage_error(argv[0], "bad --seed '%s'", optarg);
            break;
        case 'F':
            if (!cli_parse_u64(optarg, 1, UINT64_MAX, &o.frame_seed))
                return cli_usage_error(argv[0], "bad --frame-seed '%s'", optarg);
            break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (!have_type || !have_mem)
        return cli_usage_error(argv[0], "create needs --type and --memory");
    if (optind != argc - 1)
        return cli_usage_error(argv[0], "create needs one FILE");
    struct xsr_error err;
    xsr_error_clear(&err);
    if (xsr_sim_create(argv[optind], &o, &err) < 0)
        return fail(argv[0], argv[optind], &err);
    return CLI_EXIT_OK;
}

static int sim_show(int argc, char **argv)
{
    static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        return c == 'h' ? cli_help(usage) : cli_bad_option(argv[0]);
    if (optind != argc - 1)
        return cli_usage_error(argv[0], "show needs one FILE");
    struct xsr_error err;
    struct xsr_domain *d;
    xsr_error_clear(&err);
    if (xsr_sim_open(argv[optind], &d, &err) < 0)
        return fail(argv[0], argv[optind], &err);
    int rc = xsr_sim_show(d, stdout, &err);
    xsr_domain_close(d);
    if (rc < 0)
        return fail(argv[0], argv[optind], &err);
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int sim_diff(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "max", required_argument, NULL, 'M' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t max = 20;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'M':
            if (!cli_parse_u64(optarg, 0, 1000000, &max))
                return cli_usage_error(argv[0], "--max must be from 0 to 1000000");
            break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (optind != argc - 2)
        return cli_usage_error(argv[0], "diff needs two FILEs");
    struct xsr_error err;
    struct xsr_domain *a = NULL, *b = NULL;
    uint64_t n = 0;
    xsr_error_clear(&err);
    if (xsr_sim_open(argv[optind], &a, &err) < 0)
        return fail(argv[0], argv[optind], &err);
    if (xsr_sim_open(argv[optind + 1], &b, &err) < 0) {
        xsr_domain_close(a);
        return fail(argv[0], argv[optind + 1], &err);
    }
    int rc = xsr_sim_diff(a, b, stdout, (unsigned)max, &n, &err);
    xsr_domain_close(a);
    xsr_domain_close(b);
    if (rc < 0)
        return fail(argv[0], "diff", &err);
    if (n == 0)
        printf("the domains are the same\n");
    else
        printf("%" PRIu64 " difference%s\n", n, n == 1 ? "" : "s");
    if (!cli_flush_stdout(argv[0]))
        return CLI_EXIT_FAIL;
    return n ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int sim_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "workload", required_argument, NULL, 'w' },
        { "seconds", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    struct xsr_error err;
    uint64_t secs = 0;
    bool have_secs = false;
    int c;
    optind = 0;
    xsr_error_clear(&err);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (xsr_sim_workload_parse(optarg, &w, &err) < 0)
                return cli_usage_error(argv[0], "%s", err.message);
            break;
        case 'S':
            if (!cli_parse_u64(optarg, 0, 86400, &secs))
                return cli_usage_error(argv[0], "--seconds must be from 0 to 86400");
            have_secs = true;
            break;
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (!have_secs)
        return cli_usage_error(argv[0], "run needs --seconds");
    if (optind != argc - 1)
        return cli_usage_error(argv[0], "run needs one FILE");
    struct xsr_domain *d;
    if (xsr_sim_open(argv[optind], &d, &err) < 0)
        return fail(argv[0], argv[optind], &err);
    uint64_t writes = 0;
    int rc = xsr_domain_unpause(d, &err);
    if (rc == 0)
        rc = xsr_sim_workload_start(d, &w, &err);
    if (rc == 0) {
        struct timespec t = { (time_t)secs, 0 };
        while (nanosleep(&t, &t) != 0 && errno == EINTR)
            ;
        rc = xsr_sim_workload_stop(d, &writes, &err);
    }
    struct xsr_error perr;
    if (xsr_domain_pause(d, &perr) < 0 && rc == 0) {
        err = perr;
        rc = perr.code;
    }
    xsr_domain_close(d);
    if (rc < 0)
        return fail(argv[0], argv[optind], &err);
    printf("%" PRIu64 " page writes in %" PRIu64 " s\n", writes, secs);
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(argv[0], "which sim command: create, show, diff or run?");
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)
        return cli_help(usage);
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = { { "create", sim_create }, { "show", sim_show }, { "diff", sim_diff }, { "run", sim_run } };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i].name) == 0) {
            char prog[64];
            snprintf(prog, sizeof prog, "xsr sim %s", sub);
            argv[1] = prog;
            return subs[i].fn(argc - 1, argv + 1);
        }
    return cli_usage_error(argv[0], "unknown sim command '%s' (create, show, diff, run)", sub);
}
