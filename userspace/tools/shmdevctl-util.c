// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl: what the commands share: error and usage messages, option
 * and size parsing, and running a command as a child process.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmdevctl.h"

int fail(const char *what, int err)
{
	fprintf(stderr, "shmdevctl: %s: %s\n", what, strerror(-err));
	return EXIT_FAIL;
}

int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "shmdevctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'shmdevctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

void command_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: shmdevctl [--device PATH] %s%s%s%s\n%s", cmd->name,
		cmd->cmd_flags & CMD_REGION ? " [--name NAME]" : "",
		*cmd->args ? " " : "", cmd->args, cmd->help);
	if (cmd->cmd_flags & CMD_REGION)
		fprintf(f, "--name NAME acts on the region named NAME instead of the default one.\n");
}

/* Hints for the errors of sizing a region, after strerror's text. */
const char *size_hint(int err)
{
	switch (err) {
	case -EFBIG:
		return " (above the module's max_size)";
	case -ENOMEM:
		return " (above your locked-memory limit: see ulimit -l)";
	case -ENOSPC:
		return " (the module's limit on regions or on their total size is reached)";
	default:
		return "";
	}
}

/* "shmdevctl: CMD NAME: MESSAGE", for an error about a named region. */
int fail_region(const char *cmd, const char *name, int err)
{
	fprintf(stderr, "shmdevctl: %s %s: %s%s\n", cmd, name, strerror(-err),
		size_hint(err));
	return EXIT_FAIL;
}

/*
 * Parses the options of a subcommand: --help and those in @opts. Returns
 * the option character, -1 at the end, or '?' after printing a usage
 * error; 'h' was handled by printing the help.
 */
int next_opt(const struct command *cmd, int argc, char **argv,
		    const char *shortopts, const struct option *opts)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	if (c == 'h')
		command_help(cmd, stdout);
	return c;
}

int parse_size_arg(const char *cmd, const char *what, const char *s,
			  uint64_t *v)
{
	int err = shmdev_parse_size(s, v);

	if (err == -ERANGE)
		return usage_error(cmd, "%s: too large", s);
	if (err) {
		fprintf(stderr, "shmdevctl %s: invalid %s '%s' (a byte count such as 4096, 4K, 16M, 1G)\n",
			cmd, what, s);
		return EXIT_USAGE;
	}
	return 0;
}

void human_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
}

/* Starts argv as a child process: its pid, or -errno if fork() failed. */
pid_t spawn(char **argv)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "shmdevctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* A child's wait status as a shell reports it. */
int shell_status(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs argv as a child process; returns its exit status as a shell would. */
int run_child(char **argv)
{
	pid_t pid = spawn(argv);
	int status;

	if (pid < 0)
		return fail("fork", pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("waitpid", -errno);
	return shell_status(status);
}
