/* SPDX-License-Identifier: MIT */
/*
 * xsr migrate-receive: the receiving side of a migration (xl's protocol).
 * The domain is restored as OUT--incoming (xl names the domain so until the
 * sender lets it go) and becomes OUT only when the sender has handed it
 * over; any failure before leaves no OUT.
 */
#include <errno.h>
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
#include "migrate_cli.h"

static const char usage[] =
    "Usage: xsr migrate-receive [--listen HOST:PORT] [options] OUT\n"
    "\n"
    "Receive a migrating domain (from xsr migrate, or real xl migrate) into the sim\n"
    "file OUT.  Without --listen the conversation runs on standard input and output,\n"
    "as xl migrate-receive does under ssh; messages go to standard error.\n"
    "\n"
    "  -l, --listen HOST:PORT   accept one sender there (port 0: any; the address is\n"
    "                           printed).  Only loopback without TLS or --insecure\n"
    "      --tls-cert FILE      TLS: this side's certificate (PEM), with --tls-key and\n"
    "      --tls-key FILE       --tls-ca (the CA that signed the sender's); a sender\n"
    "      --tls-ca FILE        without such a certificate is refused before a byte\n"
    "                           of the stream is read\n"
    "      --insecure           plain TCP on a non-loopback address (a receiver builds\n"
    "                           whatever it is sent: only on a trusted network)\n"
    "      --compress zstd[:L]  the sender compresses (it must say so too)\n"
    "      --idle-timeout SECS  give up when the peer is silent this long (default 60)\n"
    "      --paused             leave the guest paused when it arrives\n"
    "      --lenient            accept what Xen's restorer accepts, not only valid streams\n"
    "      --progress WHAT      line (on a terminal, the default), json or none\n"
    "  -q, --quiet              no progress line and no summary\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit status: 0 the guest runs here, 1 failed (nothing is kept), 2 bad usage.\n";

enum { OPT_PAUSED = 0x100, OPT_LENIENT, OPT_PROGRESS };

struct target {
    const char *out;
    char incoming[4096];
    struct xsr_restore_opts ro;
    struct xsr_restore_result rr;
    struct xsr_domain *d;
    bool paused;
};

static int dst_receive(void *ctx, struct xsr_chan *in, struct xsr_error *err)
{
    struct target *t = ctx;
    struct xsr_domain_factory f;
    int rc = xsr_sim_factory(t->incoming, &f, err);
    if (rc < 0)
        return rc;
    rc = xsr_restore(in, &f, &t->ro, &t->rr, &t->d, err);
    if (f.release)
        f.release(&f);
    return rc;
}

static int dst_activate(void *ctx, struct xsr_error *err)
{
    struct target *t = ctx;
    if (rename(t->incoming, t->out) != 0)
        return xsr_error_sys(err, errno, "cannot rename %s to %s", t->incoming, t->out);
    return t->paused ? 0 : xsr_domain_unpause(t->d, err);
}

static void dst_discard(void *ctx)
{
    struct target *t = ctx;
    if (t->d) {
        (void)XSR_DOMAIN_CALL(t->d, destroy, NULL, NULL);
        xsr_domain_close(t->d); /* a destroyed sim domain's file goes with it */
        t->d = NULL;
    }
    (void)unlink(t->incoming);
}

int cmd_migrate_receive(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, 'l' },
        MIG_TRANSPORT_LONGOPTS,
        { "insecure", no_argument, NULL, MIG_OPT_INSECURE },
        { "paused", no_argument, NULL, OPT_PAUSED },
        { "lenient", no_argument, NULL, OPT_LENIENT },
        { "progress", required_argument, NULL, OPT_PROGRESS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct target t = { .ro = XSR_RESTORE_OPTS_INIT, .rr = XSR_RESTORE_RESULT_INIT };
    struct xsr_net_opts net = XSR_NET_OPTS_INIT;
    struct engine_progress pr = {0};
    const char *listen_at = NULL;
    bool quiet = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "l:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': listen_at = optarg; break;
        case OPT_PAUSED: t.paused = true; break;
        case OPT_LENIENT: t.ro.lenient = true; break;
        case OPT_PROGRESS:
            if (!engine_progress_option(argv[0], optarg, &pr))
                return CLI_EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(usage);
        default:
            if (mig_is_transport_option(c)) {
                if (!mig_transport_option(argv[0], c, optarg, &net))
                    return CLI_EXIT_USAGE;
                break;
            }
            return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(argv[0], "expected one OUT file");
    t.out = argv[optind];
    if (snprintf(t.incoming, sizeof(t.incoming), "%s--incoming", t.out) >= (int)sizeof(t.incoming))
        return cli_usage_error(argv[0], "OUT is too long");
    if (access(t.out, F_OK) == 0)
        return cli_usage_error(argv[0], "%s exists: a migration never replaces a domain", t.out);

    mig_ignore_sigpipe();
    struct xsr_error err = {0};
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    struct xsr_conn *conn = NULL;
    int lfd = -1;
    if (listen_at) {
        lfd = xsr_net_listen(listen_at, &net, &err);
        if (lfd < 0) {
            cli_print_error(argv[0], "listen", &err);
            return err.code == XSR_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        }
        char host[256];
        snprintf(host, sizeof(host), "%s", listen_at);
        char *colon = strrchr(host, ':');
        if (colon)
            *colon = '\0';
        fprintf(stderr, "%s: listening on %s:%d\n", argv[0], host, xsr_net_listen_port(lfd));
        conn = xsr_net_accept(lfd, &net, &err);
        close(lfd);
    } else {
        if (isatty(STDOUT_FILENO))
            return cli_usage_error(argv[0], "standard output is a terminal: run me under a "
                                            "sender (xsr migrate --pipe), or give --listen");
        conn = xsr_conn_fds(STDIN_FILENO, STDOUT_FILENO, &net, &err);
    }
    if (!conn) {
        res.outcome = XSR_MIGRATE_RESUMED; /* the sender never got a banner */
        return mig_finish(argv[0], false, NULL, err.code ? err.code : XSR_EIO, &err, &res,
                          quiet);
    }
    engine_progress_setup(&pr, "receive", quiet);
    t.ro.progress = engine_progress_cb;
    t.ro.progress_ctx = &pr;
    struct xsr_migrate_target_ops ops = XSR_MIGRATE_TARGET_OPS_INIT;
    ops.ctx = &t;
    ops.receive_stream = dst_receive;
    ops.activate = dst_activate;
    ops.discard = dst_discard;
    int rc = xsr_migrate_target(xsr_conn_in(conn), xsr_conn_out(conn), &ops, &res, &err);
    engine_progress_done(&pr);
    int status = mig_finish(argv[0], false, xsr_conn_peer(conn), rc, &err, &res, quiet);
    xsr_conn_close(conn, NULL);
    if (rc == 0 && !quiet)
        fprintf(stderr, "received %s: %.1f MiB, %" PRIu64 " pages\n", t.out,
                (double)t.rr.bytes / 1048576.0, t.rr.pages);
    xsr_domain_close(t.d);
    return status;
}
