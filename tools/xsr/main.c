/* SPDX-License-Identifier: MIT */
/*
 * xsr: command-line front end of libxsr.
 *
 * How to add a subcommand NAME:
 *   1. write tools/xsr/cmd_NAME.c with `int cmd_NAME(int argc, char **argv)`
 *      (getopt_long over argc/argv; argv[0] is "xsr NAME"; handle --help with
 *      cli_help(); usage errors return cli_usage_error(); exit codes in cli.h);
 *   2. declare it in commands.h;
 *   3. add a line to the `commands` table below;
 *   4. add cmd_NAME.c to tools/xsr/meson.build;
 *   5. add doc/xsr-NAME.1 (and list it in doc/meson.build and in doc/xsr.1).
 */
#include <stdio.h>
#include <string.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "commands.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help; /* one line, for `xsr --help` */
};

static const struct command commands[] = {
    { "verify", cmd_verify, "check a save image against every rule of the format" },
    { "dump", cmd_dump, "print every header and record with decoded fields" },
    { "generate", cmd_generate, "write a synthetic, valid save image" },
    { "demo", cmd_demo, "generate a sample xl save image, verify and summarise it" },
    { "extract", cmd_extract, "write guest memory as a raw file or an ELF core" },
    { "diff", cmd_diff, "show what differs between two save images" },
    { "stats", cmd_stats, "page statistics per iteration of a (live) stream" },
    { "map", cmd_map, "draw guest memory as an SVG map" },
    { "convert", cmd_convert, "rewrite an image to libxc stream version 2, 3 or 4" },
    { "convert-legacy", cmd_convert_legacy, "convert a legacy (Xen <= 4.5) image to stream v3/v4" },
    { "sim", cmd_sim, "create, show, compare and run simulated domains" },
    { "save", cmd_save, "save a simulated domain as a stream, optionally live" },
    { "restore", cmd_restore, "build a simulated domain from a save image" },
    { "migrate", cmd_migrate, "migrate a simulated domain live to a receiver (xl's protocol)" },
    { "migrate-receive", cmd_migrate_receive, "receive a migrating domain" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps) of
 * two short strings, capped: enough to suggest a mistyped command. */
static unsigned distance(const char *a, const char *b)
{
    enum { MAX = 32 };
    unsigned d[MAX + 1][MAX + 1];
    size_t la = strlen(a), lb = strlen(b);

    if (la > MAX || lb > MAX)
        return MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* The command a mistyped name most likely meant, or NULL. */
static const struct command *closest_command(const char *name)
{
    const struct command *best = NULL;
    unsigned best_d = 3; /* suggest only within two edits */

    for (size_t i = 0; i < N_COMMANDS; i++) {
        unsigned d = distance(name, commands[i].name);
        if (d < best_d || (!best && strlen(name) >= 3 && strncmp(name, commands[i].name, strlen(name)) == 0)) {
            best_d = d < best_d ? d : best_d;
            best = &commands[i];
        }
    }
    return best;
}

static int unknown_command(const char *name)
{
    const struct command *guess = closest_command(name);

    if (guess)
        return cli_usage_error("xsr", "unknown command '%s'; did you mean '%s'?", name, guess->name);
    return cli_usage_error("xsr", "unknown command '%s'", name);
}

static void print_usage(FILE *f)
{
    fputs("Usage: xsr COMMAND [OPTIONS] [ARGS]\n"
          "       xsr help COMMAND | --help | --version\n"
          "\n"
          "Reads, writes and validates Xen domain save images and migration streams\n"
          "(xl save files, libxl streams, libxc migration v2 streams).\n"
          "\n"
          "Commands:\n", f);
    int width = 0;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if ((int)strlen(commands[i].name) > width)
            width = (int)strlen(commands[i].name);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-*s  %s\n", width, commands[i].name, commands[i].help);
    fputs("\n"
          "Exit status: 0 success (valid), 1 invalid or failed, 2 bad usage.\n"
          "Run 'xsr help COMMAND' for the options of a command.\n", f);
}

/* Run cmd with argv[0] replaced by "xsr NAME". */
static int run(const struct command *cmd, int argc, char **argv)
{
    char prog[64];

    snprintf(prog, sizeof(prog), "xsr %s", cmd->name);
    argv[0] = prog;
    return cmd->fn(argc, argv);
}

static int help(int argc, char **argv)
{
    const struct command *cmd;
    char *sub_argv[3];

    if (argc < 2) {
        print_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usage_error("xsr help", "expected one command name, got %d arguments", argc - 1);
    cmd = find_command(argv[1]);
    if (!cmd)
        return unknown_command(argv[1]);
    sub_argv[0] = NULL;
    sub_argv[1] = (char *)"--help";
    sub_argv[2] = NULL;
    return run(cmd, 2, sub_argv);
}

int main(int argc, char **argv)
{
    const struct command *cmd;

    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return help(1, argv + 1);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("xsr %s\n", xsr_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0)
        return help(argc - 1, argv + 1);
    cmd = find_command(argv[1]);
    if (!cmd) {
        if (argv[1][0] == '-')
            return cli_usage_error("xsr", "unknown option '%s'", argv[1]);
        return unknown_command(argv[1]);
    }
    return run(cmd, argc - 1, argv + 1);
}
