// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl list, create, open, rm and chmod: the named regions.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shmdevctl.h"

/* ---- named regions: list, create, open, rm, chmod ------------------------ */

/* The listing's columns, as /proc/shmdev/regions names them. */
enum { L_ID, L_NAME, L_UID, L_GID, L_MODE, L_SIZE, L_PAGES, L_MAPPINGS,
       L_FILES, L_SEQ, L_CHARGED_UID, L_CHARGED, L_FLAGS, L_COLS };

static const char *const list_cols[L_COLS] = {
	"id", "name", "uid", "gid", "mode", "size", "pages", "mappings",
	"files", "seq", "charged_uid", "charged", "flags",
};

/* The fields of @e as the listing writes them, in @f[L_COLS][...]. */
static void list_fields(const struct shmdev_list_entry *e, char f[L_COLS][4 * SHMDEV_NAME_MAX])
{
	const size_t len = 4 * SHMDEV_NAME_MAX;

	snprintf(f[L_ID], len, "%u", e->id);
	if (e->flags & SHMDEV_INFO_NAMED)
		shmdev_escape_name(e->name, f[L_NAME], len);
	else
		snprintf(f[L_NAME], len, "-");
	snprintf(f[L_UID], len, "%u", e->uid);
	snprintf(f[L_GID], len, "%u", e->gid);
	snprintf(f[L_MODE], len, "%04o", e->mode);
	snprintf(f[L_SIZE], len, "%" PRIu64, e->size);
	snprintf(f[L_PAGES], len, "%" PRIu64, e->nr_pages);
	snprintf(f[L_MAPPINGS], len, "%u", e->nr_mappings);
	snprintf(f[L_FILES], len, "%u", e->nr_files);
	snprintf(f[L_SEQ], len, "%" PRIu64, e->seq);
	if (e->charged_uid == SHMDEV_UID_NONE)
		snprintf(f[L_CHARGED_UID], len, "-");
	else
		snprintf(f[L_CHARGED_UID], len, "%u", e->charged_uid);
	snprintf(f[L_CHARGED], len, "%" PRIu64, e->charged);
	snprintf(f[L_FLAGS], len, "%s%s%s",
		 e->flags & SHMDEV_INFO_DEFAULT ? "D" : "",
		 e->flags & SHMDEV_INFO_AUTOREMOVE ? "A" : "",
		 e->flags & (SHMDEV_INFO_DEFAULT | SHMDEV_INFO_AUTOREMOVE) ? "" : "-");
}

int cmd_list(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("list");
	struct shmdev_list_entry *e = NULL;
	char (*f)[L_COLS][4 * SHMDEV_NAME_MAX];
	size_t n = 0, width[L_COLS];
	bool raw = false;
	char *text;
	int o, err;

	(void)c;
	while ((o = next_opt(cmd, argc, argv, "rh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'r')
			return EXIT_USAGE;
		raw = true;
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);

	err = shmdev_read_file(SHMDEV_REGIONS_PATH, &text, NULL);
	if (err) {
		fprintf(stderr, "shmdevctl: list: %s: %s%s\n", SHMDEV_REGIONS_PATH,
			strerror(-err), err == -ENOENT ? " (is the shmdev module loaded?)" : "");
		return EXIT_FAIL;
	}
	if (raw) {
		fputs(text, stdout);
		free(text);
		return EXIT_OK;
	}
	err = shmdev_parse_list(text, &e, &n);
	free(text);
	if (err) {
		fprintf(stderr, "shmdevctl: list: %s: %s (not the listing this program knows)\n",
			SHMDEV_REGIONS_PATH, strerror(-err));
		return EXIT_FAIL;
	}

	/* Columns as wide as their widest field, two spaces apart. */
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
		free(e);
		return fail("list", -ENOMEM);
	}
	for (int k = 0; k < L_COLS; k++)
		width[k] = strlen(list_cols[k]);
	for (size_t i = 0; i < n; i++) {
		list_fields(&e[i], f[i]);
		for (int k = 0; k < L_COLS; k++)
			if (strlen(f[i][k]) > width[k])
				width[k] = strlen(f[i][k]);
	}
	for (int k = 0; k < L_COLS; k++)
		printf("%-*s%s", k < L_COLS - 1 ? (int)width[k] : 0, list_cols[k],
		       k < L_COLS - 1 ? "  " : "\n");
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < L_COLS; k++)
			printf("%-*s%s", k < L_COLS - 1 ? (int)width[k] : 0, f[i][k],
			       k < L_COLS - 1 ? "  " : "\n");
	free(f);
	free(e);
	return EXIT_OK;
}

/*
 * For a command that takes [-- COMMAND [ARG...]], before getopt runs: the
 * number of arguments after "--", or -1 without "--". After getopt, the
 * operands before "--" are the first argc - optind - that number from
 * argv[optind], and COMMAND follows them.
 */
static int args_after_dashes(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return argc - i - 1;
	return -1;
}

/*
 * Holds @dev open while COMMAND (@argv) runs, or, with no COMMAND, does
 * nothing; closes @dev. Returns COMMAND's status.
 */
static int hold_and_run(struct shmdev *dev, int tail, char **argv)
{
	int ret = tail > 0 ? run_child(argv) : EXIT_OK;

	shmdev_close(dev);
	return ret;
}

int cmd_create(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "excl", no_argument, NULL, 'x' },
		{ "autoremove", no_argument, NULL, 'a' },
		{ "nohuge", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("create");
	uint32_t flags = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_CLOEXEC, mode = 0600;
	int tail = args_after_dashes(argc, argv), o, err, fd, nargs;
	struct shmdev region;
	uint64_t size = 0;
	const char *name;

	while ((o = next_opt(cmd, argc, argv, "s:m:xaHh", opts)) != -1) {
		switch (o) {
		case 'h':
			return EXIT_OK;
		case 's':
			err = parse_size_arg("create", "size", optarg, &size);
			if (err)
				return err;
			break;
		case 'm':
			if (shmdev_parse_mode(optarg, &mode))
				return usage_error("create", "invalid mode '%s' (octal, at most 0777)",
						   optarg);
			break;
		case 'x':
			flags |= SHMDEV_OPEN_EXCL;
			break;
		case 'a':
			flags |= SHMDEV_OPEN_AUTOREMOVE;
			break;
		case 'H':
			flags |= SHMDEV_OPEN_NOHUGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	nargs = argc - optind - (tail > 0 ? tail : 0);
	if (nargs < 1)
		return usage_error("create", "%s", "missing region name");
	if (nargs > 1)
		return usage_error("create", "unexpected argument '%s' (a command goes after --)",
				   argv[optind + 1]);
	name = argv[optind];
	fd = shmdev_open_region(c->dev.fd, name, flags, size, mode);
	if (fd < 0)
		return fail_region("create", name, fd);
	region.fd = fd;
	return hold_and_run(&region, tail, argv + optind + 1);
}

int cmd_open(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rdonly", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("open");
	int tail = args_after_dashes(argc, argv), o, fd, nargs;
	uint32_t flags = SHMDEV_OPEN_CLOEXEC;
	struct shmdev region;
	const char *name;

	while ((o = next_opt(cmd, argc, argv, "rh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'r')
			return EXIT_USAGE;
		flags |= SHMDEV_OPEN_RDONLY;
	}
	nargs = argc - optind - (tail > 0 ? tail : 0);
	if (nargs < 1)
		return usage_error("open", "%s", "missing region name");
	if (nargs > 1)
		return usage_error("open", "unexpected argument '%s' (a command goes after --)",
				   argv[optind + 1]);
	name = argv[optind];
	fd = shmdev_open_region(c->dev.fd, name, flags, 0, 0);
	if (fd < 0)
		return fail_region("open", name, fd);
	region.fd = fd;
	return hold_and_run(&region, tail, argv + optind + 1);
}

int cmd_rm(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("rm");
	int o, err, ret = EXIT_OK;
	bool force = false;

	while ((o = next_opt(cmd, argc, argv, "fh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'f')
			return EXIT_USAGE;
		force = true;
	}
	if (optind == argc)
		return usage_error("rm", "%s", "missing region name");
	for (int i = optind; i < argc; i++) {
		err = shmdev_unlink_region(c->dev.fd, argv[i]);
		if (err && !(force && err == -ENOENT))
			ret = fail_region("rm", argv[i], err);
	}
	return ret;
}

int cmd_chmod(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("chmod");
	int o, err, ret = EXIT_OK;
	uint32_t mode;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (optind == argc)
		return usage_error("chmod", "%s", "missing mode");
	if (shmdev_parse_mode(argv[optind], &mode))
		return usage_error("chmod", "invalid mode '%s' (octal, at most 0777)",
				   argv[optind]);
	if (optind + 1 == argc)
		return usage_error("chmod", "%s", "missing region name");
	for (int i = optind + 1; i < argc; i++) {
		struct shmdev region;

		/* fchmod() asks for no access mode: read-only does. */
		region.fd = shmdev_open_region(c->dev.fd, argv[i],
					       SHMDEV_OPEN_RDONLY | SHMDEV_OPEN_CLOEXEC, 0, 0);
		err = region.fd < 0 ? region.fd : shmdev_chmod(&region, mode);
		if (err)
			ret = fail_region("chmod", argv[i], err);
		shmdev_close(&region);
	}
	return ret;
}
