// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl read and write: the bytes of a region, through read() and
 * write() on its file.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "shmdevctl.h"

/* ---- read, write -------------------------------------------------------- */

static void hexdump_line(uint64_t off, const unsigned char *p, size_t n)
{
	printf("%08llx ", (unsigned long long)off);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			printf("   ");
	}
	printf("  |");
	for (size_t i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
	printf("|\n");
}

int cmd_read(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("read");
	uint64_t off = 0, len = UINT64_MAX, size, done = 0;
	unsigned char buf[4096];
	bool raw = false, have_len = false;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "o:l:rh", opts)) != -1) {
		switch (o) {
		case 'h':
			return EXIT_OK;
		case 'o':
			err = parse_size_arg("read", "offset", optarg, &off);
			if (err)
				return err;
			break;
		case 'l':
			err = parse_size_arg("read", "length", optarg, &len);
			if (err)
				return err;
			have_len = true;
			break;
		case 'r':
			raw = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("read", "unexpected argument '%s'", argv[optind]);
	err = shmdev_get_size(&c->dev, &size);
	if (err)
		return fail("read", err);
	if (off > size || (have_len && len > size - off)) {
		fprintf(stderr, "shmdevctl: read: beyond the size (%llu bytes)\n",
			(unsigned long long)size);
		return EXIT_FAIL;
	}
	if (!have_len)
		len = size - off;

	/* Whole hexdump lines of 16 bytes, the last one short. */
	while (done < len) {
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n = pread(c->dev.fd, buf, want, off + done);

		if (n < 0)
			return fail("read", -errno);
		if (n == 0)
			break;
		if (raw) {
			if (fwrite(buf, 1, n, stdout) != (size_t)n)
				return fail("read", -EIO);
		} else {
			for (ssize_t i = 0; i < n; i += 16)
				hexdump_line(off + done + i, buf + i, n - i < 16 ? n - i : 16);
		}
		done += n;
	}
	if (!raw)
		printf("%08llx\n", (unsigned long long)(off + done));
	return EXIT_OK;
}

static int write_all(struct ctx *c, const char *p, size_t n, uint64_t *off)
{
	while (n) {
		ssize_t w = pwrite(c->dev.fd, p, n, *off);

		if (w < 0)
			return -errno;
		p += w;
		n -= w;
		*off += w;
	}
	return 0;
}

int cmd_write(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "notify", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("write");
	bool notify = false;
	uint64_t off = 0;
	int o, err = 0;

	while ((o = next_opt(cmd, argc, argv, "o:nh", opts)) != -1) {
		switch (o) {
		case 'h':
			return EXIT_OK;
		case 'o':
			err = parse_size_arg("write", "offset", optarg, &off);
			if (err)
				return err;
			break;
		case 'n':
			notify = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		for (int i = optind; i < argc && !err; i++) {
			if (i > optind)
				err = write_all(c, " ", 1, &off);
			if (!err)
				err = write_all(c, argv[i], strlen(argv[i]), &off);
		}
	} else {
		char buf[4096];
		ssize_t n;

		while (!err && (n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
			if (n < 0)
				return fail("write: stdin", -errno);
			err = write_all(c, buf, n, &off);
		}
	}
	if (err == -ENOSPC) {
		fprintf(stderr, "shmdevctl: write: no space: the region ends before offset %llu (see 'shmdevctl size')\n",
			(unsigned long long)off + 1);
		return EXIT_FAIL;
	}
	if (err)
		return fail("write", err);
	if (notify) {
		err = shmdev_notify(&c->dev, NULL);
		if (err)
			return fail("notify", err);
	}
	return EXIT_OK;
}
