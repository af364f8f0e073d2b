/* SPDX-License-Identifier: MIT */
/*
 * xsr migrate: send a running (simulated) domain to a receiver, live, over
 * xl's migration protocol — TCP (optionally TLS), or the stdin/stdout of a
 * command such as "ssh host xsr migrate-receive FILE" — and destroy it here
 * only once the receiver runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"
#include "engine_cli.h"
#include "migrate_cli.h"

static const char usage[] =
    "Usage: xsr migrate (--to HOST:PORT | --pipe 'COMMAND') [options] SIM\n"
    "\n"
    "Migrate the domain in the sim file SIM, live, to a receiver (xsr migrate-receive,\n"
    "or real xl migrate-receive: the conversation is xl's, byte for byte).  The guest\n"
    "is destroyed here (SIM removed) only after the receiver says it runs it; any\n"
    "failure before that leaves it running here.\n"
    "\n"
    "  -t, --to HOST:PORT       connect to a receiver listening there\n"
    "  -p, --pipe COMMAND       run COMMAND (sh -c) and talk to its stdin/stdout, e.g.\n"
    "                           'ssh host xsr migrate-receive /var/lib/g.sim'\n"
    "      --tls-cert FILE      TLS: this side's certificate (PEM), with --tls-key and\n"
    "      --tls-key FILE       --tls-ca (the CA that signed the receiver's); the\n"
    "      --tls-ca FILE        receiver checks this side's certificate against its CA\n"
    "      --compress zstd[:L]  compress the connection (the receiver must say so too)\n"
    "      --idle-timeout SECS  give up when the peer is silent this long (default 60)\n"
    "      --no-live            pause the guest for the whole transfer\n"
    "  -w, --workload SPEC      a workload that writes guest memory meanwhile\n"
    "                           (xsr sim run's SPEC, e.g. hot:10,rate=20K)\n"
    "  -s, --stream-version N   libxc stream version 2, 3 (default) or 4\n"
    ENGINE_LIVE_HELP
    "      --debug              add Xen's VERIFY pass\n"
    "      --progress WHAT      line (on a terminal, the default), json or none\n"
    "  -q, --quiet              no progress line and no summary\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit status: 0 the receiver runs the guest, 1 failed (the last line says where\n"
    "the guest is), 2 bad usage.\n";

enum {
    OPT_NO_LIVE = 0x100, OPT_DEBUG, OPT_PROGRESS,
};

struct source {
    struct xsr_domain *d;
    struct xsr_save_opts o;
    struct xsr_save_result r;
};

static int src_send(void *ctx, struct xsr_chan *out, struct xsr_error *err)
{
    struct source *s = ctx;
    return xsr_save(s->d, out, &s->o, &s->r, err);
}

static int src_resume(void *ctx, struct xsr_error *err)
{
    struct source *s = ctx;
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    int rc = xsr_domain_get_info(s->d, &i, err);
    return rc < 0 || !i.paused ? rc : xsr_domain_unpause(s->d, err);
}

static int src_destroy(void *ctx, struct xsr_error *err)
{
    struct source *s = ctx;
    return XSR_DOMAIN_CALL(s->d, destroy, err, err);
}

static void close_pipes(int a[2], int b[2])
{
    for (int i = 0; i < 2; i++) {
        if (a[i] >= 0)
            close(a[i]);
        if (b[i] >= 0)
            close(b[i]);
    }
}

/* COMMAND with its stdin and stdout on two pipes. */
static pid_t spawn(const char *cmd, int *from, int *to, struct xsr_error *err)
{
    int a[2] = {-1, -1}, b[2] = {-1, -1};
    pid_t pid = -1;
    if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
        xsr_error_sys(err, errno, "cannot make pipes for '%s'", cmd);
    else if ((pid = fork()) < 0)
        xsr_error_sys(err, errno, "cannot start '%s'", cmd);
    if (pid < 0) {
        close_pipes(a, b);
        return -1;
    }
    if (pid == 0) {
        dup2(b[0], STDIN_FILENO);
        dup2(a[1], STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(a[1]);
    close(b[0]);
    *from = a[0];
    *to = b[1];
    return pid;
}

int cmd_migrate(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "to", required_argument, NULL, 't' },
        { "pipe", required_argument, NULL, 'p' },
        MIG_TRANSPORT_LONGOPTS,
        { "no-live", no_argument, NULL, OPT_NO_LIVE },
        { "workload", required_argument, NULL, 'w' },
        { "stream-version", required_argument, NULL, 's' },
        ENGINE_LIVE_LONGOPTS,
        { "debug", no_argument, NULL, OPT_DEBUG },
        { "progress", required_argument, NULL, OPT_PROGRESS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct source src = { .o = XSR_SAVE_OPTS_INIT, .r = XSR_SAVE_RESULT_INIT };
    struct xsr_net_opts net = XSR_NET_OPTS_INIT;
    struct engine_progress pr = {0};
    const char *to = NULL, *pipe_cmd = NULL, *workload = NULL;
    bool quiet = false;
    uint64_t v;
    int c;
    src.o.live = true;
    optind = 0;
    while ((c = getopt_long(argc, argv, "t:p:w:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't': to = optarg; break;
        case 'p': pipe_cmd = optarg; break;
        case OPT_NO_LIVE: src.o.live = false; break;
        case 'w': workload = optarg; break;
        case 's':
            if (!cli_parse_u64(optarg, 2, 4, &v))
                return cli_usage_error(argv[0], "bad --stream-version '%s'", optarg);
            src.o.version = (uint32_t)v;
            break;
        case OPT_DEBUG: src.o.debug = true; break;
        case OPT_PROGRESS:
            if (!engine_progress_option(argv[0], optarg, &pr))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default:
            if (engine_is_live_option(c)) {
                if (!engine_live_option(argv[0], c, optarg, &src.o))
                    return CLI_EXIT_USAGE;
                break;
            }
            if (mig_is_transport_option(c)) {
                if (!mig_transport_option(argv[0], c, optarg, &net))
                    return CLI_EXIT_USAGE;
                break;
            }
            return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(argv[0], "expected one SIM file");
    if (!!to == !!pipe_cmd)
        return cli_usage_error(argv[0], "give exactly one of --to HOST:PORT and --pipe COMMAND");
    if (workload && !src.o.live)
        return cli_usage_error(argv[0], "--workload runs during a live migration");
    const char *sim = argv[optind];
    struct xsr_error err = {0};
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    if (workload && xsr_sim_workload_parse(workload, &w, &err) < 0)
        return cli_usage_error(argv[0], "bad --workload: %s", err.message);

    mig_ignore_sigpipe();
    if (xsr_sim_open(sim, &src.d, &err) < 0) {
        cli_print_error(argv[0], sim, &err);
        return CLI_EXIT_FAIL;
    }
    int rc = 0;
    if (src.o.live) {
        rc = xsr_domain_unpause(src.d, &err);
        if (rc == 0 && workload)
            rc = xsr_sim_workload_start(src.d, &w, &err);
    }
    struct xsr_conn *conn = NULL;
    pid_t child = -1;
    int pipe_fds[2] = {-1, -1};
    if (rc == 0 && to) {
        conn = xsr_net_connect(to, &net, &err);
    } else if (rc == 0) {
        int from_fd, to_fd;
        child = spawn(pipe_cmd, &from_fd, &to_fd, &err);
        if (child > 0) {
            conn = xsr_conn_fds(from_fd, to_fd, &net, &err);
            pipe_fds[0] = from_fd;
            pipe_fds[1] = to_fd;
        }
    }
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    if (rc == 0 && conn) {
        engine_progress_setup(&pr, "migrate", quiet);
        src.o.progress = engine_progress_cb;
        src.o.progress_ctx = &pr;
        struct xsr_migrate_source_ops ops = XSR_MIGRATE_SOURCE_OPS_INIT;
        ops.ctx = &src;
        ops.send_stream = src_send;
        ops.resume = src_resume;
        ops.destroy = src_destroy;
        rc = xsr_migrate_source(xsr_conn_in(conn), xsr_conn_out(conn), &ops, &res, &err);
        engine_progress_done(&pr);
    } else if (rc == 0) {
        rc = err.code ? err.code : XSR_EIO;
        (void)src_resume(&src, NULL);
        res.outcome = XSR_MIGRATE_RESUMED;
    } else {
        (void)src_resume(&src, NULL);
        res.outcome = XSR_MIGRATE_RESUMED;
    }
    if (workload)
        (void)xsr_sim_workload_stop(src.d, NULL, NULL);
    xsr_conn_close(conn, NULL);
    for (int i = 0; i < 2; i++)
        if (pipe_fds[i] >= 0)
            close(pipe_fds[i]);
    if (child > 0) {
        int st;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
            ;
    }
    int status = mig_finish(argv[0], true, to ? to : pipe_cmd, rc, &err, &res, quiet);
    if (rc == 0 && !quiet)
        fprintf(stderr, "migrated %s: %.1f MiB sent, %" PRIu32 " pass%s, downtime %" PRIu64 " ms\n",
                sim, (double)src.r.bytes / 1048576.0, src.r.iterations,
                src.r.iterations == 1 ? "" : "es", src.r.downtime_ms);
    /* a destroyed sim domain's file goes with its handle */
    xsr_domain_close(src.d);
    return status;
}
