/* SPDX-License-Identifier: MIT */
/*
 * xsr demo: the built-in default job.  Generates a sample xl save image of a
 * 64-bit PV guest (libxc stream version 3, which Xen 4.14 on restores),
 * verifies it and prints the summary of its dump; then moves a simulated
 * guest: live save, restore, compare (demo_live.c).  It says what it does
 * at each step.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"
#include "demo.h"

/* How to run this very program again: "xsr" when that is what PATH finds,
 * else its path (relative to the working directory when below it). */
static const char *program_path(char *buf, size_t n)
{
    char cwd[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return "xsr";
    buf[len] = '\0';
    const char *path_env = getenv("PATH");
    for (const char *d = path_env; d && *d;) {
        const char *end = strchrnul(d, ':');
        char cand[PATH_MAX], real[PATH_MAX];
        snprintf(cand, sizeof(cand), "%.*s/xsr", (int)(end - d), d);
        if (realpath(cand, real) && strcmp(real, buf) == 0)
            return "xsr";
        d = *end ? end + 1 : end;
    }
    size_t cl;
    if (getcwd(cwd, sizeof(cwd)) && (cl = strlen(cwd)) > 1 && strncmp(buf, cwd, cl) == 0 &&
        buf[cl] == '/')
        return buf + cl + 1;
    return buf;
}

static const char usage[] =
    "Usage: xsr demo [DIR]\n"
    "\n"
    "Generate a sample xl save image of a 64-bit PV guest (libxc stream\n"
    "version 3, 2 vCPUs, 4 MiB of memory, one live pass, every optional\n"
    "record) into DIR (created if needed; default: a new temporary\n"
    "directory under $TMPDIR or /tmp), verify it and print the summary of\n"
    "its dump.  Then create a simulated 64-bit PV guest (32 MiB) there, save\n"
    "it live while a workload writes its memory, restore the stream into a\n"
    "new domain and compare it with the guest that was saved.\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 bad usage.\n";

#define DEMO_FILE "sample-pv64-v3.xl"

static int generate(const char *prog, const char *path, const struct xsr_gen_opts *o)
{
    struct xsr_error err;
    struct xsr_outfile *of = cli_open_outfile(prog, path);
    int rc;

    if (!of)
        return -1;
    xsr_error_clear(&err);
    rc = xsr_gen_write(o, xsr_outfile_chan(of), &err);
    if (rc < 0)
        cli_print_error(prog, path, &err);
    return cli_finish_outfile(prog, path, of, rc) < 0 ? -1 : 0;
}

/* What steps 2 and 3 print about the image at path: 0, 1 (invalid) or < 0. */
typedef int (*show_fn)(struct xsr_chan *in, const char *path, struct xsr_error *err);

static int show_verify(struct xsr_chan *in, const char *path, struct xsr_error *err)
{
    struct xsr_report_opts o = { .size = sizeof(struct xsr_report_opts), .input_name = path };

    return xsr_verify_report(in, &o, stdout, err);
}

static int show_summary(struct xsr_chan *in, const char *path, struct xsr_error *err)
{
    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .summary_only = true, .input_name = path };

    return xsr_dump(in, &o, stdout, err);
}

static int show(const char *prog, const char *path, show_fn fn)
{
    struct xsr_error err;
    struct xsr_chan *in;
    int rc;

    in = cli_open_input(prog, path);
    if (!in)
        return -1;
    xsr_error_clear(&err);
    rc = fn(in, path, &err);
    xsr_chan_close(in, NULL);
    if (rc < 0)
        cli_print_error(prog, path, &err);
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char tmpl[PATH_MAX];
    char path[PATH_MAX];
    const char *tmpdir = getenv("TMPDIR");
    const char *dir;
    struct xsr_gen_opts o;
    struct stat st;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': return cli_help(usage);
        default: return cli_bad_option(argv[0]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(argv[0], "expected at most one DIR, got %d arguments", argc - optind);

    if (argc - optind == 1) {
        dir = argv[optind];
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "%s: cannot create directory %s: %s\n", argv[0], dir, strerror(errno));
            return CLI_EXIT_FAIL;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "%s: %s is not a directory\n", argv[0], dir);
            return CLI_EXIT_FAIL;
        }
    } else {
        if (!tmpdir || !*tmpdir)
            tmpdir = "/tmp";
        if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/xsr-demo.XXXXXX", tmpdir) >= sizeof(tmpl)) {
            fprintf(stderr, "%s: TMPDIR is too long\n", argv[0]);
            return CLI_EXIT_FAIL;
        }
        dir = mkdtemp(tmpl);
        if (!dir) {
            fprintf(stderr, "%s: cannot create a temporary directory: %s\n", argv[0], strerror(errno));
            return CLI_EXIT_FAIL;
        }
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DEMO_FILE) >= sizeof(path)) {
        fprintf(stderr, "%s: directory name too long: %s\n", argv[0], dir);
        return CLI_EXIT_FAIL;
    }

    xsr_gen_opts_init(&o, 3, XSR_DOM_X86_PV);
    o.guest_width = 8;
    o.wrap = XSR_LAYER_XL;
    o.order = XSR_LITTLE_ENDIAN;
    o.nr_pages = 1024;
    o.nr_vcpus = 2;
    o.live_passes = 1;
    o.all_records = true;
    o.seed = 1;

    printf("xsr %s demo\n\n", xsr_version());
    printf("1. Generating an xl save image of a 64-bit PV guest (libxc stream version 3,\n"
           "   %u vCPUs, %" PRIu64 " pages of memory, %u live pass, every optional record):\n"
           "   %s\n", o.nr_vcpus, o.nr_pages, o.live_passes, path);
    fflush(stdout);
    if (generate(argv[0], path, &o) < 0)
        return CLI_EXIT_FAIL;
    if (stat(path, &st) == 0)
        printf("   wrote %lld bytes\n", (long long)st.st_size);

    printf("\n2. Verifying it against every rule of the format (xsr verify):\n");
    fflush(stdout);
    if (show(argv[0], path, show_verify) != 0) {
        fprintf(stderr, "%s: the generated image did not verify\n", argv[0]);
        return CLI_EXIT_FAIL;
    }

    printf("\n3. Summary of its dump (xsr dump --summary):\n");
    fflush(stdout);
    if (show(argv[0], path, show_summary) != 0)
        return CLI_EXIT_FAIL;

    if (demo_live(argv[0], dir, 4) < 0)
        return CLI_EXIT_FAIL;

    char self[PATH_MAX];
    const char *prog = program_path(self, sizeof(self));
    printf("\nDone.  Try next:\n"
           "  %s dump %s | less     every header and record\n"
           "  %s verify --json %s   findings as JSON\n"
           "  %s sim show %s/guest.sim              the simulated guest\n",
           prog, path, prog, path, prog, dir);
    return cli_flush_stdout(argv[0]) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
