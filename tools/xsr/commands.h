/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the xsr tool.  Each lives in cmd_<name>.c, is listed in
 * the command table of main.c and in meson.build, and is called with
 * argv[0] = "xsr <name>".  It returns the process exit code (cli.h).
 */
#ifndef XSR_COMMANDS_H
#define XSR_COMMANDS_H

int cmd_verify(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_convert_legacy(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_migrate_receive(int argc, char **argv);

#endif
