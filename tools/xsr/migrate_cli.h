/* SPDX-License-Identifier: MIT */
/* What xsr migrate and xsr migrate-receive share (migrate_cli.c). */
#ifndef XSR_MIGRATE_CLI_H
#define XSR_MIGRATE_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include <xsr/xsr.h>

/* getopt values of the transport options (long options only) */
enum {
    MIG_OPT_TLS_CERT = 0x200, MIG_OPT_TLS_KEY, MIG_OPT_TLS_CA, MIG_OPT_INSECURE,
    MIG_OPT_COMPRESS, MIG_OPT_IDLE,
};

/* Both sides' transport options (the receiver adds --insecure). */
#define MIG_TRANSPORT_LONGOPTS \
    { "tls-cert", required_argument, NULL, MIG_OPT_TLS_CERT }, \
    { "tls-key", required_argument, NULL, MIG_OPT_TLS_KEY }, \
    { "tls-ca", required_argument, NULL, MIG_OPT_TLS_CA }, \
    { "compress", required_argument, NULL, MIG_OPT_COMPRESS }, \
    { "idle-timeout", required_argument, NULL, MIG_OPT_IDLE }
static inline bool mig_is_transport_option(int c)
{
    return c >= MIG_OPT_TLS_CERT && c <= MIG_OPT_IDLE;
}

/* Handle one transport option c; false after a usage error. */
bool mig_transport_option(const char *prog, int c, const char *arg, struct xsr_net_opts *o);

void mig_ignore_sigpipe(void);

/* The end of a migration: after a failure (rc < 0) the error, naming the
 * peer (NULL: unknown), then, unless quiet and successful, where the guest
 * is now; returns the exit status. */
int mig_finish(const char *prog, bool source, const char *peer, int rc,
               const struct xsr_error *err, const struct xsr_migrate_result *r, bool quiet);

#endif
