/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmdevctl: what its files share. shmdevctl.c parses the global options
 * and dispatches to a command; shmdevctl-util.c has the messages, option
 * parsing and child processes the commands share; each command family
 * has a file: shmdevctl-state.c (info, size, pages, map), -data.c (read,
 * write), -notify.c (notify, wait, watch, trace), -region.c (list,
 * create, open, rm, chmod).
 */

#ifndef SHMDEVCTL_H
#define SHMDEVCTL_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/shmdev.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 3 };

struct ctx {
	const char *device;
	const char *name;	/* --name: the named region, or NULL */
	struct shmdev dev;
};

/* Flags of struct command. */
#define CMD_REGION	0x1	/* acts on a region: takes --name NAME */
#define CMD_NO_DEVICE	0x2	/* opens nothing */
#define CMD_STOP	0x4	/* options end at the first argument */
#define CMD_RO_BARE	0x8	/* read-only when given no argument */

struct command {
	const char *name;
	const char *args;
	const char *help;
	int flags;	/* open flags: of the region, or of the node only */
	int cmd_flags;	/* CMD_* */
	int (*run)(struct ctx *c, int argc, char **argv);
};

/* shmdevctl.c */
const struct command *find_command(const char *name);

/* shmdevctl-util.c */
int fail(const char *what, int err);
int usage_error(const char *cmd, const char *fmt, const char *arg);
void command_help(const struct command *cmd, FILE *f);
const char *size_hint(int err);
int fail_region(const char *cmd, const char *name, int err);
int next_opt(const struct command *cmd, int argc, char **argv,
	     const char *shortopts, const struct option *opts);
int parse_size_arg(const char *cmd, const char *what, const char *s, uint64_t *v);
void human_bytes(uint64_t v, char *buf, size_t len);
pid_t spawn(char **argv);
int shell_status(int status);
int run_child(char **argv);

/* The commands: each returns the exit status. */
int cmd_info(struct ctx *c, int argc, char **argv);
int cmd_size(struct ctx *c, int argc, char **argv);
int cmd_pages(struct ctx *c, int argc, char **argv);
int cmd_map(struct ctx *c, int argc, char **argv);
int cmd_read(struct ctx *c, int argc, char **argv);
int cmd_write(struct ctx *c, int argc, char **argv);
int cmd_notify(struct ctx *c, int argc, char **argv);
int cmd_wait(struct ctx *c, int argc, char **argv);
int cmd_watch(struct ctx *c, int argc, char **argv);
int cmd_trace(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);
int cmd_create(struct ctx *c, int argc, char **argv);
int cmd_open(struct ctx *c, int argc, char **argv);
int cmd_rm(struct ctx *c, int argc, char **argv);
int cmd_chmod(struct ctx *c, int argc, char **argv);

#endif /* SHMDEVCTL_H */
