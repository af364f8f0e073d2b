/* SPDX-License-Identifier: MIT */
/* What xsr migrate and xsr migrate-receive share: transport options and the
 * end of a migration (the error, where the guest is, the exit status). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "migrate_cli.h"

bool mig_transport_option(const char *prog, int c, const char *arg, struct xsr_net_opts *o)
{
    uint64_t v;
    switch (c) {
    case MIG_OPT_TLS_CERT: o->tls_cert = arg; return true;
    case MIG_OPT_TLS_KEY: o->tls_key = arg; return true;
    case MIG_OPT_TLS_CA: o->tls_ca = arg; return true;
    case MIG_OPT_INSECURE: o->insecure = true; return true;
    case MIG_OPT_IDLE:
        if (!cli_parse_u64(arg, 1, 86400, &v)) {
            cli_usage_error(prog, "bad --idle-timeout '%s' (seconds)", arg);
            return false;
        }
        o->idle_timeout_ms = (unsigned)v * 1000u;
        return true;
    case MIG_OPT_COMPRESS:
        if (strcmp(arg, "zstd") == 0) {
            o->compress = 3;
            return true;
        }
        if (strncmp(arg, "zstd:", 5) == 0 && cli_parse_u64(arg + 5, 1, 19, &v)) {
            o->compress = (int)v;
            return true;
        }
        cli_usage_error(prog, "--compress must be zstd or zstd:LEVEL (1-19), not '%s'", arg);
        return false;
    }
    return false;
}

static void say_outcome(const char *prog, bool source, const struct xsr_migrate_result *r)
{
    const char *what = "";
    switch (r->outcome) {
    case XSR_MIGRATE_DONE:
        what = source ? "the guest runs on the receiver; the source's copy is destroyed"
                      : "the guest runs here";
        break;
    case XSR_MIGRATE_RESUMED:
        what = source ? "the guest runs on here (resumed); the receiver has nothing"
                      : "nothing was kept here; the sender resumes its guest";
        break;
    case XSR_MIGRATE_UNDEFINED:
        what = source ? "DOMAIN STATE IS NOW UNDEFINED: the receiver may run the guest; the "
                        "source's copy is kept paused — check the receiver before resuming or "
                        "destroying it"
                      : "DOMAIN STATE IS NOW UNDEFINED: the sender was not told the outcome";
        break;
    case XSR_MIGRATE_NONE:
        what = "nothing happened";
        break;
    }
    fprintf(stderr, "%s: %s\n", prog, what);
}

void mig_ignore_sigpipe(void)
{
    /* a peer that hangs up is an error to report, not a signal to die of */
    signal(SIGPIPE, SIG_IGN);
}

int mig_finish(const char *prog, bool source, const char *peer, int rc,
               const struct xsr_error *err, const struct xsr_migrate_result *r, bool quiet)
{
    if (rc < 0) {
        char what[512];
        snprintf(what, sizeof(what), "migration %s %s", source ? "to" : "from",
                 peer ? peer : "the peer");
        cli_print_error(prog, what, err);
    }
    if (rc < 0 || !quiet)
        say_outcome(prog, source, r);
    return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
