/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the subcommands of the xsr tool: exit codes, usage
 * errors, error printing, option values and a progress line.
 */
#ifndef XSR_CLI_H
#define XSR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <xsr/xsr.h>

/* Exit codes of every subcommand. */
#define CLI_EXIT_OK 0      /* success; for checks: the stream is valid */
#define CLI_EXIT_FAIL 1    /* the stream is invalid, or the operation failed */
#define CLI_EXIT_USAGE 2   /* bad command line */

/*
 * Each subcommand is called with argv[0] = "xsr NAME" (so that getopt's own
 * messages name the subcommand) and must accept --help.
 */

/* Print usage text (to stdout) and return CLI_EXIT_OK; for --help. */
int cli_help(const char *usage);

/* Print "xsr NAME: <message>" and a hint to stderr; returns CLI_EXIT_USAGE.
 * prog is the subcommand's argv[0]. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For getopt_long's '?' (it already printed what was wrong): the hint only. */
int cli_bad_option(const char *prog);

/* Print "xsr NAME: <what>: <formatted error>" to stderr. */
void cli_print_error(const char *prog, const char *what, const struct xsr_error *err);

/* Parse -f/--format: auto, xl, libxl, libxc.  Returns false if unknown. */
bool cli_parse_format(const char *s, enum xsr_layer *out);

/* Parse an unsigned decimal (or 0x hex) number within [min, max]. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse a size with an optional K/M/G suffix (powers of 1024), e.g. "64M". */
bool cli_parse_size(const char *s, uint64_t *out);

/* Open FILE or "-" (stdin) for reading; prints the error and returns NULL
 * on failure. */
struct xsr_chan *cli_open_input(const char *prog, const char *path);

/* Flush stdout and report a write error (full disk, closed pipe); returns
 * false if output was lost. */
bool cli_flush_stdout(const char *prog);

/*
 * A progress line on stderr, only when stderr is a terminal and the caller
 * did not ask for quiet: piped or redirected output stays clean.
 */
struct cli_progress {
    bool enabled;
    const char *label;
    int64_t total;          /* bytes, -1 if unknown */
    struct timespec last;   /* last redraw */
    bool drawn;
};
void cli_progress_init(struct cli_progress *p, const char *label, int64_t total, bool quiet);
void cli_progress_update(struct cli_progress *p, uint64_t done);
void cli_progress_done(struct cli_progress *p); /* erase the line */

#endif
