/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the subcommands of the xsr tool: exit codes, usage
 * errors, error printing, option values, inputs and outputs, a progress
 * line, and the file-to-file conversion run of convert and convert-legacy.
 */
#ifndef XSR_CLI_H
#define XSR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

/* The -f/--format option of a command: false after the usage error. */
bool cli_format_option(const char *prog, const char *arg, enum xsr_layer *out);

/* The --pfn-limit option (1 to 2^52): false after the usage error. */
bool cli_pfn_limit_option(const char *prog, const char *arg, uint64_t *out);

/* The single FILE operand of a command that reads one image (argv[first],
 * the last argument), or NULL after the usage error. */
const char *cli_one_file(int argc, char **argv, int first);

/* Whether some deployed Xen release's restorer reads this libxc stream version. */
bool cli_any_release_reads(uint32_t version);

/* Parse an unsigned decimal (or 0x hex) number within [min, max]. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse a size with an optional K/M/G suffix (powers of 1024), e.g. "64M". */
bool cli_parse_size(const char *s, uint64_t *out);

/* How messages name an input: "standard input" for "-", else the path. */
const char *cli_input_name(const char *path);

/* Open FILE or "-" (stdin) for reading; prints the error and returns NULL
 * on failure.  flags as for xsr_chan_open_read (XSR_OPEN_NO_MMAP). */
struct xsr_chan *cli_open_input(const char *prog, const char *path);
struct xsr_chan *cli_open_input_flags(const char *prog, const char *path, unsigned flags);

/* Whether two paths name one file (the same string, or the same inode). */
bool cli_same_file(const char *a, const char *b);
/* An output path that names the input (FILE, or standard input for "-"):
 * opening it for writing would truncate the input while it is read (and a
 * mapped input would fault).  Prints the usage error and returns true if
 * so; "-" as output and paths that do not exist yet are never the input. */
bool cli_output_is_input(const char *prog, const char *in_path, const char *out_path);

/* "xsr NAME: cannot open PATH for writing: <strerror(errno)>" */
void cli_print_open_error(const char *prog, const char *path);

/* An output written in order: standard output for "-", else an xsr_outfile
 * (a temporary renamed on success; a device, FIFO or socket written through)
 * with a stream over a copy of its descriptor. */
struct cli_output {
    FILE *f;
    struct xsr_outfile *of;
    const char *path;
};
/* Open o for path; prints the error and returns false on failure. */
bool cli_open_output(const char *prog, const char *path, struct cli_output *o);

/* Done with an output of cli_open_output (o->f NULL: none): the stream is
 * closed, and the file committed if *rc is 0, else discarded; a failure to
 * close or commit becomes *rc and *err unless *rc already tells of an error.
 * Standard output is flushed.  Returns false if the flush failed (reported
 * already). */
bool cli_close_output(const char *prog, struct cli_output *o, int *rc, struct xsr_error *err);

/* Open a binary output (xsr_outfile_open), printing the error; NULL if it
 * cannot be opened. */
struct xsr_outfile *cli_open_outfile(const char *prog, const char *path);
/* Commit of (on rc == 0) or abort it; prints a commit error.  Returns rc, or
 * the commit's error. */
int cli_finish_outfile(const char *prog, const char *path, struct xsr_outfile *of, int rc);

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

/* The library's progress callbacks, for a struct cli_progress as ctx. */
void cli_progress_cb(void *ctx, const struct xsr_progress *p);
void cli_progress_clear_cb(void *ctx);

/*
 * Convert IN to OUT: the input is read without mapping it, OUT is written
 * under a temporary name and renamed once complete (removed on failure),
 * with a "converting" progress line unless quiet.  fn runs the conversion,
 * passing progress to the library's progress callbacks.  Prints what went
 * wrong; returns CLI_EXIT_OK or CLI_EXIT_FAIL.
 */
typedef int (*cli_convert_fn)(void *ctx, struct xsr_chan *in, struct xsr_chan *out,
                              struct cli_progress *progress, struct xsr_error *err);
/* getopt value of --sync (long option only) */
#define CLI_OPT_SYNC 0x100

int cli_convert_files(const char *prog, const char *in_path, const char *out_path, bool quiet,
                      bool sync, cli_convert_fn fn, void *ctx);

#endif
