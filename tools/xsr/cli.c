/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return CLI_EXIT_OK;
}

int cli_bad_option(const char *prog)
{
    const char *sp = strchr(prog, ' ');
    /* the command's name: "xsr verify" -> "verify", "xsr sim diff" -> "sim" */
    if (sp)
        fprintf(stderr, "Try 'xsr help %.*s' for more information.\n", (int)strcspn(sp + 1, " "),
                sp + 1);
    else
        fprintf(stderr, "Try 'xsr --help' for more information.\n");
    return CLI_EXIT_USAGE;
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return cli_bad_option(prog);
}

/* Whether msg says word on its own (between spaces, punctuation or the ends). */
static bool names_word(const char *msg, const char *word)
{
    size_t n = strlen(word);

    if (!n)
        return false;
    for (const char *p = strstr(msg, word); p; p = strstr(p + 1, word)) {
        char after = p[n];
        if ((p == msg || p[-1] == ' ' || p[-1] == '\'') &&
            (after == '\0' || after == ' ' || after == ':' || after == ',' || after == '\''))
            return true;
    }
    return false;
}

void cli_print_error(const char *prog, const char *what, const struct xsr_error *err)
{
    char buf[XSR_ERROR_MSG_MAX + 128];

    xsr_error_format(err, buf, sizeof(buf));
    if (what && !names_word(buf, what)) /* a file named once per error */
        fprintf(stderr, "%s: %s: %s\n", prog, what, buf);
    else
        fprintf(stderr, "%s: %s\n", prog, buf);
}

bool cli_parse_format(const char *s, enum xsr_layer *out)
{
    static const struct { const char *name; enum xsr_layer layer; } formats[] = {
        { "auto", XSR_LAYER_NONE },
        { "xl", XSR_LAYER_XL },
        { "libxl", XSR_LAYER_LIBXL },
        { "libxc", XSR_LAYER_LIBXC },
    };

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(s, formats[i].name) == 0) {
            *out = formats[i].layer;
            return true;
        }
    }
    return false;
}

bool cli_format_option(const char *prog, const char *arg, enum xsr_layer *out)
{
    if (cli_parse_format(arg, out))
        return true;
    cli_usage_error(prog, "unknown format '%s' (auto, xl, libxl, libxc)", arg);
    return false;
}

bool cli_pfn_limit_option(const char *prog, const char *arg, uint64_t *out)
{
    if (cli_parse_u64(arg, 1, XSR_PFN_MASK + 1, out))
        return true;
    cli_usage_error(prog, "--pfn-limit wants a number from 1 to 2^52, not '%s'", arg);
    return false;
}

const char *cli_one_file(int argc, char **argv, int first)
{
    if (argc - first != 1) {
        cli_usage_error(argv[0], argc == first ? "missing FILE (use - for standard input)"
                                               : "expected one FILE, got %d", argc - first);
        return NULL;
    }
    return argv[first];
}

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (*s == '\0' || *s == '-' || *s == '+')
        return false;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return false;
    if (*end != '\0') {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return false;
        }
        end++;
        /* accept "64M", "64MB", "64MiB" */
        if (strcasecmp(end, "") != 0 && strcasecmp(end, "b") != 0 && strcasecmp(end, "ib") != 0)
            return false;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

void cli_progress_init(struct cli_progress *p, const char *label, int64_t total, bool quiet)
{
    memset(p, 0, sizeof(*p));
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    clock_gettime(CLOCK_MONOTONIC, &p->last);
}

/* Milliseconds from a to b. */
static long long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

void cli_progress_update(struct cli_progress *p, uint64_t done)
{
    struct timespec now;
    long long ms;

    if (!p->enabled)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = ms_between(&p->last, &now);
    /* a few redraws a second are enough; a job done within the first half
     * second (any small input) never draws, so no "0% (0 of 0 MiB)" */
    if (ms < (p->drawn ? 200 : 500))
        return;
    p->last = now;
    p->drawn = true;
    if (p->total > 0)
        fprintf(stderr, "\r%s: %3u%% (%" PRIu64 " of %" PRId64 " MiB)\033[K", p->label,
                (unsigned)(done * 100 / (uint64_t)p->total), (done + (1u << 19)) >> 20,
                (p->total + (1 << 19)) >> 20);
    else
        fprintf(stderr, "\r%s: %" PRIu64 " MiB\033[K", p->label, (done + (1u << 19)) >> 20);
    fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = false;
}

void cli_progress_cb(void *ctx, const struct xsr_progress *p)
{
    cli_progress_update(ctx, p->bytes); /* the total is known since cli_progress_init */
}

void cli_progress_clear_cb(void *ctx)
{
    cli_progress_done(ctx);
}

const char *cli_input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

struct xsr_chan *cli_open_input_flags(const char *prog, const char *path, unsigned flags)
{
    struct xsr_error err;
    struct xsr_chan *ch;

    xsr_error_clear(&err);
    ch = xsr_chan_open_read(path, flags, &err);
    if (!ch)
        cli_print_error(prog, cli_input_name(path), &err);
    return ch;
}

struct xsr_chan *cli_open_input(const char *prog, const char *path)
{
    return cli_open_input_flags(prog, path, 0);
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (strcmp(a, b) == 0)
        return true;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool cli_output_is_input(const char *prog, const char *in_path, const char *out_path)
{
    struct stat in, out;

    if (!out_path || strcmp(out_path, "-") == 0 || stat(out_path, &out) != 0)
        return false;
    if ((strcmp(in_path, "-") == 0 ? fstat(STDIN_FILENO, &in) : stat(in_path, &in)) != 0)
        return false;
    if (in.st_dev != out.st_dev || in.st_ino != out.st_ino)
        return false;
    cli_usage_error(prog, "%s is the input; write the output to another file", out_path);
    return true;
}

void cli_print_open_error(const char *prog, const char *path)
{
    fprintf(stderr, "%s: cannot open %s for writing: %s\n", prog, path, strerror(errno));
}

bool cli_open_output(const char *prog, const char *path, struct cli_output *o)
{
    struct xsr_error err;
    int fd;

    *o = (struct cli_output){ .path = path };
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return true;
    }
    xsr_error_clear(&err);
    o->of = xsr_outfile_open(path, &err);
    if (!o->of) {
        cli_print_error(prog, path, &err);
        return false;
    }
    fd = dup(xsr_outfile_fd(o->of));
    o->f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!o->f) {
        cli_print_open_error(prog, path);
        if (fd >= 0)
            close(fd);
        xsr_outfile_abort(o->of);
        o->of = NULL;
        return false;
    }
    return true;
}

bool cli_close_output(const char *prog, struct cli_output *o, int *rc, struct xsr_error *err)
{
    if (o->f == stdout)
        return cli_flush_stdout(prog);
    if (!o->f)
        return true;
    if (fclose(o->f) != 0 && *rc == 0)
        *rc = xsr_error_sys(err, errno, "writing %s failed", o->path);
    o->f = NULL;
    if (*rc == 0) {
        *rc = xsr_outfile_commit(o->of, err);
    } else {
        xsr_outfile_abort(o->of);
    }
    o->of = NULL;
    return true;
}

struct xsr_outfile *cli_open_outfile(const char *prog, const char *path)
{
    struct xsr_error err;
    struct xsr_outfile *of;

    xsr_error_clear(&err);
    of = xsr_outfile_open(path, &err);
    if (!of)
        cli_print_error(prog, path, &err);
    return of;
}

int cli_finish_outfile(const char *prog, const char *path, struct xsr_outfile *of, int rc)
{
    struct xsr_error err;

    if (rc < 0) {
        xsr_outfile_abort(of);
        return rc;
    }
    xsr_error_clear(&err);
    rc = xsr_outfile_commit(of, &err);
    if (rc < 0)
        cli_print_error(prog, path, &err);
    return rc;
}

bool cli_flush_stdout(const char *prog)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: writing standard output failed: %s\n", prog, strerror(errno));
        return false;
    }
    return true;
}

int cli_convert_files(const char *prog, const char *in_path, const char *out_path, bool quiet,
                      bool sync, cli_convert_fn fn, void *ctx)
{
    struct cli_progress progress;
    struct xsr_error err;
    struct xsr_outfile *of;
    struct xsr_chan *in;
    int rc;

    if (strcmp(out_path, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(prog, "refusing to write a binary stream to a terminal");
    if (cli_output_is_input(prog, in_path, out_path))
        return CLI_EXIT_USAGE;

    /* Read without mapping: a conversion reads everything once, and reading
     * keeps the process's memory at one batch, where a mapping of the whole
     * input would count as resident. */
    in = cli_open_input_flags(prog, in_path, XSR_OPEN_NO_MMAP);
    if (!in)
        return CLI_EXIT_FAIL;
    of = cli_open_outfile(prog, out_path);
    if (!of) {
        xsr_chan_close(in, NULL);
        return CLI_EXIT_FAIL;
    }
    xsr_outfile_set_sync(of, sync);
    cli_progress_init(&progress, "converting", xsr_chan_size(in), quiet);
    rc = fn(ctx, in, xsr_outfile_chan(of), &progress, &err);
    cli_progress_done(&progress);
    xsr_chan_close(in, NULL);
    if (rc < 0) {
        xsr_outfile_abort(of);
        cli_print_error(prog, cli_input_name(in_path), &err);
        return CLI_EXIT_FAIL;
    }
    return cli_finish_outfile(prog, out_path, of, 0) < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

bool cli_any_release_reads(uint32_t version)
{
    unsigned n;
    const struct xsr_xen_target *t = xsr_xen_targets(&n);

    for (unsigned i = 0; i < n; i++)
        if (version >= t[i].min_version && version <= t[i].max_version)
            return true;
    return false;
}
