/* SPDX-License-Identifier: MIT */
/* What the engine's commands share: progress output (xsr save, restore,
 * migrate) and the live-save knobs (xsr save, migrate); engine_cli.c. */
#ifndef XSR_ENGINE_CLI_H
#define XSR_ENGINE_CLI_H

#include <stdbool.h>

#include <xsr/xsr.h>

/* Where engine progress goes: a line on a terminal, JSON events, or nothing. */
enum engine_progress_mode { PROGRESS_AUTO = 0, PROGRESS_JSON, PROGRESS_NONE };
struct engine_progress {
    enum engine_progress_mode mode;
    const char *label;
    bool line;  /* a redrawn line on stderr (a terminal, not --quiet) */
    bool drawn;
};

/* --progress=WHAT: "line" (default: only on a terminal), "json", "none". */
bool engine_progress_option(const char *prog, const char *arg, struct engine_progress *p);
void engine_progress_setup(struct engine_progress *p, const char *label, bool quiet);
void engine_progress_cb(void *ctx, const struct xsr_progress *ev);
void engine_progress_done(struct engine_progress *p); /* erase the line */

/* The live-save knobs, as getopt_long entries, help lines and a parser. */
enum {
    OPT_LIVE_POLICY = 0x300, OPT_LIVE_DOWNTIME, OPT_LIVE_MAX_IT, OPT_LIVE_MAX_DIRTY,
    OPT_LIVE_TIMEOUT, OPT_LIVE_BW, OPT_LIVE_ABORT,
};
#define ENGINE_LIVE_LONGOPTS \
    { "policy", required_argument, NULL, OPT_LIVE_POLICY }, \
    { "downtime-ms", required_argument, NULL, OPT_LIVE_DOWNTIME }, \
    { "max-iterations", required_argument, NULL, OPT_LIVE_MAX_IT }, \
    { "max-dirty-pages", required_argument, NULL, OPT_LIVE_MAX_DIRTY }, \
    { "timeout", required_argument, NULL, OPT_LIVE_TIMEOUT }, \
    { "bandwidth-limit", required_argument, NULL, OPT_LIVE_BW }, \
    { "abort-if-not-converged", no_argument, NULL, OPT_LIVE_ABORT }
#define ENGINE_LIVE_HELP \
    "      --policy P           downtime (default: Xen's passes while they shrink the\n" \
    "                           dirty set, then stop once it fits the downtime target)\n" \
    "                           or xen (5 passes or < 50 dirty pages)\n" \
    "      --downtime-ms N      the downtime target (default 300)\n" \
    "      --max-iterations N   passes before stopping anyway (xen 5, downtime 10)\n" \
    "      --max-dirty-pages N  stop below N dirty pages (default 50)\n" \
    "      --timeout SECONDS    stop pre-copying after this long\n" \
    "      --bandwidth-limit R  send at most R bytes/s (K/M/G suffixes)\n" \
    "      --abort-if-not-converged\n" \
    "                           fail (the guest runs on) instead of a long downtime\n"
static inline bool engine_is_live_option(int opt)
{
    return opt >= OPT_LIVE_POLICY && opt <= OPT_LIVE_ABORT;
}
/* Set the knob opt of o from arg; false after a usage message. */
bool engine_live_option(const char *prog, int opt, const char *arg, struct xsr_save_opts *o);

#endif
