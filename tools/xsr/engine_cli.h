/* SPDX-License-Identifier: MIT */
/* What xsr save and xsr restore share: their progress output (engine_cli.c). */
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

#endif
