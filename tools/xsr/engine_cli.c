/* SPDX-License-Identifier: MIT */
/* Progress of the engine's commands (a line on a terminal, or JSON events)
 * and the live-save knobs of xsr save and xsr migrate. */
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

static bool knob(const char *prog, const char *name, const char *arg, uint64_t min, uint64_t max,
                 uint64_t *v)
{
    if (cli_parse_u64(arg, min, max, v))
        return true;
    cli_usage_error(prog, "bad %s '%s'", name, arg);
    return false;
}

bool engine_live_option(const char *prog, int opt, const char *arg, struct xsr_save_opts *o)
{
    uint64_t v;
    switch (opt) {
    case OPT_LIVE_POLICY:
        if (strcmp(arg, "xen") == 0)
            o->policy = XSR_POLICY_XEN;
        else if (strcmp(arg, "downtime") == 0)
            o->policy = XSR_POLICY_DOWNTIME;
        else
            return cli_usage_error(prog, "--policy must be downtime or xen, not '%s'", arg), false;
        return true;
    case OPT_LIVE_DOWNTIME:
        if (!knob(prog, "--downtime-ms", arg, 1, 3600000, &v))
            return false;
        o->downtime_ms = (uint32_t)v;
        return true;
    case OPT_LIVE_MAX_IT:
        if (!knob(prog, "--max-iterations", arg, 1, 10000, &v))
            return false;
        o->max_iterations = (uint32_t)v;
        return true;
    case OPT_LIVE_MAX_DIRTY:
        return knob(prog, "--max-dirty-pages", arg, 1, UINT64_MAX, &o->max_dirty_pages);
    case OPT_LIVE_TIMEOUT:
        if (!knob(prog, "--timeout", arg, 1, 86400, &v))
            return false;
        o->timeout_ms = (uint32_t)v * 1000u;
        return true;
    case OPT_LIVE_BW:
        if (cli_parse_size(arg, &v) && v) {
            o->bandwidth_limit = v;
            return true;
        }
        cli_usage_error(prog, "bad --bandwidth-limit '%s'", arg);
        return false;
    case OPT_LIVE_ABORT:
        o->abort_if_not_converged = true;
        return true;
    default:
        return false;
    }
}
