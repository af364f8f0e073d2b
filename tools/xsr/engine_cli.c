/* SPDX-License-Identifier: MIT */
/* Progress of xsr save and xsr restore: a line on a terminal, or JSON events. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine_cli.h"

bool engine_progress_option(const char *prog, const char *arg, struct engine_progress *p)
{
    if (strcmp(arg, "json") == 0) {
        p->mode = PROGRESS_JSON;
    } else if (strcmp(arg, "none") == 0) {
        p->mode = PROGRESS_NONE;
    } else if (strcmp(arg, "line") == 0) {
        p->mode = PROGRESS_AUTO;
    } else {
        cli_usage_error(prog, "--progress must be line, json or none, not '%s'", arg);
        return false;
    }
    return true;
}

void engine_progress_setup(struct engine_progress *p, const char *label, bool quiet)
{
    p->drawn = false;
    p->line = p->mode == PROGRESS_AUTO && !quiet && isatty(STDERR_FILENO);
    p->label = label;
}

static const char *phase_name(enum xsr_phase ph)
{
    switch (ph) {
    case XSR_PHASE_READ: return "read";
    case XSR_PHASE_LIVE: return "live";
    case XSR_PHASE_FINAL: return "final";
    case XSR_PHASE_RESTORE: return "restore";
    case XSR_PHASE_DONE: return "done";
    }
    return "?";
}

void engine_progress_cb(void *ctx, const struct xsr_progress *ev)
{
    struct engine_progress *p = ctx;
    if (p->mode == PROGRESS_JSON) {
        fprintf(stderr,
                "{\"event\":\"progress\",\"phase\":\"%s\",\"iteration\":%" PRIu32
                ",\"bytes\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"dirty\":%" PRIu64
                ",\"bandwidth\":%.0f,\"dirty_rate\":%.0f,\"elapsed_ms\":%" PRIu64
                ",\"eta_ms\":%" PRId64 ",\"downtime_ms\":%" PRId64 "}\n",
                phase_name(ev->phase), ev->iteration, ev->bytes, ev->pages, ev->dirty,
                ev->bandwidth, ev->dirty_rate, ev->elapsed_ms, ev->eta_ms, ev->downtime_ms);
        return;
    }
    if (!p->line || ev->phase == XSR_PHASE_DONE)
        return;
    char pass[32] = "";
    if (ev->iteration)
        snprintf(pass, sizeof(pass), "pass %" PRIu32 ", ", ev->iteration);
    char dirty[48] = "";
    if (ev->phase == XSR_PHASE_LIVE && ev->dirty)
        snprintf(dirty, sizeof(dirty), ", %" PRIu64 " pages dirty", ev->dirty);
    char of[32] = "";
    if (ev->total_bytes)
        snprintf(of, sizeof(of), " of %.0f", (double)ev->total_bytes / 1048576.0);
    fprintf(stderr, "\r\033[K%s: %s%s%.0f%s MiB%s", p->label, phase_name(ev->phase),
            ev->phase == XSR_PHASE_RESTORE ? " " : ", ", (double)ev->bytes / 1048576.0, of, dirty);
    (void)pass;
    if (ev->iteration && ev->phase != XSR_PHASE_RESTORE)
        fprintf(stderr, " (%s%.0f MiB/s)", pass, ev->bandwidth / 1048576.0);
    p->drawn = true;
}

void engine_progress_done(struct engine_progress *p)
{
    if (p->drawn && p->line)
        fputs("\r\033[K", stderr);
    p->drawn = false;
}
