// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl - inspect and drive /dev/shmdev from the shell
 *
 * Exit status: 0 success, 1 the operation failed (the message says why),
 * 2 bad usage, 3 a wait timed out.
 *
 * This file: the global options, the table of commands and the dispatch
 * to one; the commands are in the files shmdevctl.h lists.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "shmdevctl.h"

static const struct command commands[] = {
	{ "info", "[--json]",
	  "Print the region's size, maximum size, sequence, resident pages,\n"
	  "mappings, open files, id, owner, group, mode, charge and flags;\n"
	  "--json prints one JSON object.\n",
	  O_RDONLY, CMD_REGION, cmd_info },
	{ "size", "[BYTES]",
	  "Print the size in bytes, or set it to BYTES (4096, 4K, 16M, 1G...).\n",
	  O_RDWR, CMD_REGION | CMD_RO_BARE, cmd_size },
	{ "notify", "",
	  "Wake every waiter of the region (SHMDEV_IOC_NOTIFY); print the new\n"
	  "sequence.\n",
	  O_RDWR, CMD_REGION, cmd_notify },
	{ "wait", "[--timeout DURATION] [--seq N]",
	  "Wait for the next notification (or for the sequence to differ from N);\n"
	  "print the new sequence. DURATION: 500ms, 2s, 10us... Exit status 3 on\n"
	  "timeout.\n",
	  O_RDONLY, CMD_REGION, cmd_wait },
	{ "read", "[--offset N] [--length N] [--raw]",
	  "Print the region's bytes, as hexdump -C does, or raw with --raw.\n",
	  O_RDONLY, CMD_REGION, cmd_read },
	{ "write", "[--offset N] [--notify] [TEXT...]",
	  "Write TEXT (the arguments joined by spaces), or standard input, at\n"
	  "offset N; --notify notifies afterwards. Writes never grow the region.\n",
	  O_RDWR, CMD_REGION, cmd_write },
	{ "watch", "[--count N] [--span BYTES]",
	  "Print each notification and the bytes that changed in the first\n"
	  "BYTES of the region (default 64K), until interrupted or N seen.\n",
	  O_RDONLY, CMD_REGION, cmd_watch },
	{ "pages", "[RANGE]",
	  "Print the state of each page in RANGE (N, A-B or A-; default: every\n"
	  "page inside the size): resident, references, page table entries that\n"
	  "map it, folio order, page frame number (root only) and flags.\n",
	  O_RDONLY, CMD_REGION, cmd_pages },
	{ "map", "[--write] RANGE [-- COMMAND [ARG...]]",
	  "Map the pages in RANGE (N, A-B or A-) and touch each one, reading it\n"
	  "or, with --write, writing it; run COMMAND while they stay mapped,\n"
	  "then unmap. Exit status: COMMAND's.\n",
	  O_RDWR, CMD_REGION | CMD_STOP, cmd_map },
	{ "trace", "[--raw] [-- COMMAND [ARG...]]",
	  "Enable the shmdev trace events and print each as it happens, while\n"
	  "COMMAND runs (or until interrupted); --raw keeps tracefs's task, CPU\n"
	  "and time columns. Needs root and tracefs. Exit status: COMMAND's.\n",
	  O_RDONLY, CMD_STOP, cmd_trace },
	{ "list", "[--raw]",
	  "List the regions of this IPC namespace that have a name, and the\n"
	  "default region (name -), from " SHMDEV_REGIONS_PATH ", in aligned\n"
	  "columns: id name uid gid mode size pages mappings files seq\n"
	  "charged_uid charged flags. Names escape space, tab, newline and\n"
	  "backslash as \\ooo; charged_uid is - when nothing is charged; flags:\n"
	  "D default, A autoremove, - none. --raw prints the file as it is.\n",
	  O_RDONLY, CMD_NO_DEVICE, cmd_list },
	{ "create", "[--size BYTES] [--mode OCTAL] [--excl] [--autoremove] [--nohuge] NAME\n"
	  "       [-- COMMAND [ARG...]]",
	  "Create the region NAME (owned by you, mode OCTAL less the umask,\n"
	  "default 0600; BYTES long, default 0), or open it if it exists and\n"
	  "--excl is not given. With COMMAND, hold it open while COMMAND runs.\n"
	  "--autoremove: the name goes away when the region's last file and\n"
	  "mapping close. --nohuge: its pages are never huge (2 MiB) folios.\n"
	  "Exit status: COMMAND's, if any.\n",
	  O_RDONLY, 0, cmd_create },
	{ "open", "[--rdonly] NAME [-- COMMAND [ARG...]]",
	  "Open the region NAME (read-write, or read-only), which checks your\n"
	  "access; with COMMAND, hold it open while COMMAND runs. Exit status:\n"
	  "COMMAND's, if any.\n",
	  O_RDONLY, 0, cmd_open },
	{ "rm", "[--force] NAME...",
	  "Remove each name NAME (its owner or creator, or CAP_SYS_ADMIN). The\n"
	  "region lives on while files or mappings hold it. --force: a missing\n"
	  "name is no error.\n",
	  O_RDONLY, 0, cmd_rm },
	{ "chmod", "MODE NAME...",
	  "Set the permission bits of each region NAME to MODE (octal, at most\n"
	  "0777; its owner or CAP_FOWNER).\n",
	  O_RDONLY, 0, cmd_chmod },
};

const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: shmdevctl [--device PATH] [--name NAME] COMMAND [OPTIONS]\n"
		"Inspect and drive the shmdev shared-memory device.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].args);
	fprintf(f, "\n'shmdevctl COMMAND --help' describes a command.\n"
		"--device PATH     the device node (default %s)\n"
		"-n, --name NAME   act on the region named NAME instead of the default\n"
		"                  one (info size notify wait read write watch pages map;\n"
		"                  also as 'COMMAND --name NAME')\n\n"
		"Exit status: 0 success, 1 failure, 2 bad usage, 3 wait timed out.\n",
		SHMDEV_DEFAULT_PATH);
}

/*
 * Takes the options --name NAME and --name=NAME out of the arguments of
 * @cmd (before "--", and before the first operand for CMD_STOP commands),
 * so that every command takes them without knowing; shifts the others
 * down and updates *@argc. Returns 0 or EXIT_USAGE.
 */
static int take_name(const struct command *cmd, int *argc, char **argv,
		     const char **name)
{
	int j = 1;

	while (j < *argc) {
		int used = 0;

		if (!strcmp(argv[j], "--"))
			break;
		if ((cmd->cmd_flags & CMD_STOP) && argv[j][0] != '-')
			break;
		if (!strcmp(argv[j], "--name")) {
			if (j + 1 == *argc)
				return usage_error(cmd->name, "%s",
						   "option '--name' requires an argument");
			*name = argv[j + 1];
			used = 2;
		} else if (!strncmp(argv[j], "--name=", 7)) {
			*name = argv[j] + 7;
			used = 1;
		}
		if (!used) {
			j++;
			continue;
		}
		memmove(&argv[j], &argv[j + used], (*argc - j - used + 1) * sizeof(*argv));
		*argc -= used;
	}
	return 0;
}

/*
 * Opens what @cmd acts on into c->dev, for @mode (O_RDONLY or O_RDWR);
 * 0 or EXIT_FAIL.
 */
static int open_target(const struct command *cmd, struct ctx *c, int mode)
{
	uint32_t flags = SHMDEV_OPEN_CLOEXEC;
	int err, fd;

	if (cmd->cmd_flags & CMD_NO_DEVICE)
		return 0;
	/* A named region is reached through a read-only file of the node. */
	err = shmdev_open_path(&c->dev, c->device, c->name ? O_RDONLY : mode);
	if (err) {
		fprintf(stderr, "shmdevctl: cannot open %s: %s%s\n", c->device,
			strerror(-err), err == -ENOENT ? " (is the shmdev module loaded?)" : "");
		return EXIT_FAIL;
	}
	if (!c->name)
		return 0;
	if (mode == O_RDONLY)
		flags |= SHMDEV_OPEN_RDONLY;
	fd = shmdev_open_region(c->dev.fd, c->name, flags, 0, 0);
	shmdev_close(&c->dev);
	if (fd < 0)
		return fail_region(cmd->name, c->name, fd);
	c->dev.fd = fd;
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = { .device = SHMDEV_DEFAULT_PATH, .dev = { .fd = -1 } };
	const struct command *cmd;
	int i = 1, ret, sub_argc;
	char prog[32];

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			c.device = argv[i + 1];
			i += 2;
			continue;
		}
		if ((!strcmp(argv[i], "--name") || !strcmp(argv[i], "-n")) && i + 1 < argc) {
			c.name = argv[i + 1];
			i += 2;
			continue;
		}
		if (!strncmp(argv[i], "--name=", 7)) {
			c.name = argv[i] + 7;
			i++;
			continue;
		}
		return usage_error(NULL, "unknown option '%s'", argv[i]);
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[i]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[i]);

	/* --help needs no device. */
	for (int j = i + 1; j < argc; j++) {
		if (!strcmp(argv[j], "--"))
			break;
		if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
			command_help(cmd, stdout);
			return EXIT_OK;
		}
	}

	sub_argc = argc - i;
	ret = take_name(cmd, &sub_argc, argv + i, &c.name);
	if (ret)
		return ret;
	if (c.name && !(cmd->cmd_flags & CMD_REGION))
		return usage_error(cmd->name, "%s", "option '--name' does not apply");
	/* "size" alone only reads. */
	ret = open_target(cmd, &c, (cmd->cmd_flags & CMD_RO_BARE) && sub_argc == 1 ?
			  O_RDONLY : cmd->flags);
	if (ret)
		return ret;
	/* getopt's messages then read "shmdevctl size: ...". */
	snprintf(prog, sizeof(prog), "shmdevctl %s", cmd->name);
	argv[i] = prog;
	optind = 1;
	opterr = 1;
	ret = cmd->run(&c, sub_argc, argv + i);
	shmdev_close(&c.dev);
	if (ret == '?')
		ret = EXIT_USAGE;
	return ret;
}
