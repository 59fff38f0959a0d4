// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl - inspect and drive /dev/shmdev from the shell
 *
 * Exit status: 0 success, 1 the operation failed (the message says why),
 * 2 bad usage, 3 a wait timed out.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

static const struct command *find_command(const char *name);

static int fail(const char *what, int err)
{
	fprintf(stderr, "shmdevctl: %s: %s\n", what, strerror(-err));
	return EXIT_FAIL;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "shmdevctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'shmdevctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

static void command_help(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: shmdevctl [--device PATH] %s%s%s%s\n%s", cmd->name,
		cmd->cmd_flags & CMD_REGION ? " [--name NAME]" : "",
		*cmd->args ? " " : "", cmd->args, cmd->help);
	if (cmd->cmd_flags & CMD_REGION)
		fprintf(f, "--name NAME acts on the region named NAME instead of the default one.\n");
}

/* Hints for the errors of sizing a region, after strerror's text. */
static const char *size_hint(int err)
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
static int fail_region(const char *cmd, const char *name, int err)
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
static int next_opt(const struct command *cmd, int argc, char **argv,
		    const char *shortopts, const struct option *opts)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	if (c == 'h')
		command_help(cmd, stdout);
	return c;
}

static int parse_size_arg(const char *cmd, const char *what, const char *s,
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

static void human_bytes(uint64_t v, char *buf, size_t len)
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

/* ---- info --------------------------------------------------------------- */

/* "default,named,autoremove,nohuge", those set, or "-". */
static void info_flags(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ SHMDEV_INFO_DEFAULT, "default" },
		{ SHMDEV_INFO_NAMED, "named" },
		{ SHMDEV_INFO_AUTOREMOVE, "autoremove" },
		{ SHMDEV_INFO_NOHUGE, "nohuge" },
	};
	size_t used = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

/* @s as a JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int cmd_info(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("info");
	struct shmdev_info info;
	char a[32], b[32], flags[64];
	bool json = false;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "jh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc)
		return usage_error("info", "unexpected argument '%s'", argv[optind]);

	err = shmdev_get_info(&c->dev, &info);
	if (err)
		return fail("info", err);
	info_flags(info.flags, flags, sizeof(flags));
	if (json) {
		printf("{\"size\": %llu, \"max_size\": %llu, \"seq\": %llu, "
		       "\"nr_pages\": %llu, \"nr_mappings\": %u, \"nr_files\": %u, "
		       "\"id\": %u, ",
		       (unsigned long long)info.size, (unsigned long long)info.max_size,
		       (unsigned long long)info.seq, (unsigned long long)info.nr_pages,
		       info.nr_mappings, info.nr_files, info.id);
		if (c->name) {
			printf("\"name\": ");
			json_string(c->name);
			printf(", ");
		}
		printf("\"uid\": %u, \"gid\": %u, \"mode\": \"%04o\", \"charged_uid\": ",
		       info.uid, info.gid, info.mode);
		if (info.charged_uid == SHMDEV_UID_NONE)
			printf("null");
		else
			printf("%u", info.charged_uid);
		printf(", \"charged\": %llu, \"flags\": [", (unsigned long long)info.charged);
		for (char *f = flags, *comma; strcmp(f, "-"); f = comma + 1) {
			comma = strchr(f, ',');
			printf("%s\"%.*s\"", f == flags ? "" : ", ",
			       comma ? (int)(comma - f) : (int)strlen(f), f);
			if (!comma)
				break;
		}
		printf("]}\n");
		return EXIT_OK;
	}
	if (c->name) {
		char esc[4 * SHMDEV_NAME_MAX];

		shmdev_escape_name(c->name, esc, sizeof(esc));
		printf("name       %s\n", esc);
	}
	human_bytes(info.size, a, sizeof(a));
	human_bytes(info.max_size, b, sizeof(b));
	printf("size       %llu (%s)\n", (unsigned long long)info.size, a);
	printf("max_size   %llu (%s)\n", (unsigned long long)info.max_size, b);
	printf("seq        %llu\n", (unsigned long long)info.seq);
	human_bytes(info.nr_pages * (uint64_t)sysconf(_SC_PAGESIZE), a, sizeof(a));
	printf("pages      %llu (%s resident)\n", (unsigned long long)info.nr_pages, a);
	printf("mappings   %u\n", info.nr_mappings);
	printf("files      %u\n", info.nr_files);
	printf("id         %u\n", info.id);
	printf("uid        %u\n", info.uid);
	printf("gid        %u\n", info.gid);
	printf("mode       %04o\n", info.mode);
	if (info.charged_uid == SHMDEV_UID_NONE) {
		printf("charged    %llu (nobody)\n", (unsigned long long)info.charged);
	} else {
		human_bytes(info.charged, a, sizeof(a));
		printf("charged    %llu (%s) to uid %u\n",
		       (unsigned long long)info.charged, a, info.charged_uid);
	}
	printf("flags      %s\n", flags);
	return EXIT_OK;
}

/* ---- size --------------------------------------------------------------- */

static int cmd_size(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("size");
	uint64_t size;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return usage_error("size", "unexpected argument '%s'", argv[optind + 1]);
	if (optind == argc) {
		err = shmdev_get_size(&c->dev, &size);
		if (err)
			return fail("size", err);
		printf("%llu\n", (unsigned long long)size);
		return EXIT_OK;
	}
	err = parse_size_arg("size", "size", argv[optind], &size);
	if (err)
		return err;
	err = shmdev_set_size(&c->dev, size);
	if (err == -EFBIG) {
		fprintf(stderr, "shmdevctl: size: %llu is above the maximum (see 'shmdevctl info')\n",
			(unsigned long long)size);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "shmdevctl: size: %s%s\n", strerror(-err), size_hint(err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- notify, wait ------------------------------------------------------- */

static int cmd_notify(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("notify");
	uint64_t seq;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (optind < argc)
		return usage_error("notify", "unexpected argument '%s'", argv[optind]);
	/*
	 * The NOTIFY ioctl itself, not libshmdev's in-place increment: one
	 * call gains nothing from skipping the kernel, and the tool shows
	 * what the kernel does (trace events, debugfs counters).
	 */
	err = ioctl(c->dev.fd, SHMDEV_IOC_NOTIFY, &seq) ? -errno : 0;
	if (err)
		return fail("notify", err);
	printf("%llu\n", (unsigned long long)seq);
	return EXIT_OK;
}

static int cmd_wait(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "seq", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("wait");
	struct shmdev_info info;
	int64_t timeout = -1;
	bool have_seq = false;
	uint64_t seq = 0;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "t:s:h", opts)) != -1) {
		switch (o) {
		case 'h':
			return EXIT_OK;
		case 't':
			if (shmdev_parse_duration(optarg, &timeout))
				return usage_error("wait", "invalid timeout '%s' (such as 500ms, 2s)", optarg);
			break;
		case 's':
			if (shmdev_parse_size(optarg, &seq) || strpbrk(optarg, "kKmMgGtT"))
				return usage_error("wait", "invalid sequence '%s'", optarg);
			have_seq = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("wait", "unexpected argument '%s'", argv[optind]);
	if (!have_seq) {
		err = shmdev_get_info(&c->dev, &info);
		if (err)
			return fail("wait", err);
		seq = info.seq;
	}
	err = shmdev_wait(&c->dev, &seq, timeout);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "shmdevctl: wait: timed out\n");
		return EXIT_TIMEOUT;
	}
	if (err)
		return fail("wait", err);
	printf("%llu\n", (unsigned long long)seq);
	return EXIT_OK;
}

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

static int cmd_read(struct ctx *c, int argc, char **argv)
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

static int cmd_write(struct ctx *c, int argc, char **argv)
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

/* ---- watch -------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads up to @max bytes of the region into @buf; returns the count. */
static size_t snapshot(struct ctx *c, unsigned char *buf, size_t max)
{
	size_t done = 0;

	while (done < max) {
		ssize_t n = pread(c->dev.fd, buf + done, max - done, done);

		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

static void print_changes(const unsigned char *a, size_t alen,
			  const unsigned char *b, size_t blen)
{
	size_t n = alen > blen ? alen : blen, shown = 0, i = 0;

	while (i < n) {
		size_t start;

		while (i < n && i < alen && i < blen && a[i] == b[i])
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && !(i < alen && i < blen && a[i] == b[i]))
			i++;
		if (shown++ == 8) {
			printf("  ...\n");
			return;
		}
		printf("  bytes %zu-%zu changed:", start, i - 1);
		for (size_t j = start; j < i && j < start + 16 && j < blen; j++)
			printf(" %02x", b[j]);
		if (i - start > 16)
			printf(" ...");
		printf("\n");
	}
}

static int cmd_watch(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "span", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("watch");
	uint64_t count = 0, span = 65536, seen = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	unsigned char *prev, *cur;
	struct shmdev_info info;
	size_t plen, clen;
	uint64_t seq;
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "c:s:h", opts)) != -1) {
		switch (o) {
		case 'h':
			return EXIT_OK;
		case 'c':
			if (shmdev_parse_size(optarg, &count) || strpbrk(optarg, "kKmMgGtT"))
				return usage_error("watch", "invalid count '%s'", optarg);
			break;
		case 's':
			err = parse_size_arg("watch", "span", optarg, &span);
			if (err)
				return err;
			if (span > (64U << 20))
				return usage_error("watch", "span '%s' above 64M", optarg);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("watch", "unexpected argument '%s'", argv[optind]);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	prev = malloc(span ? span : 1);
	cur = malloc(span ? span : 1);
	if (!prev || !cur)
		return fail("watch", -ENOMEM);

	err = shmdev_get_info(&c->dev, &info);
	if (err)
		return fail("watch", err);
	seq = info.seq;
	plen = snapshot(c, prev, span);
	printf("watching: seq %llu, size %llu\n", (unsigned long long)seq,
	       (unsigned long long)info.size);
	fflush(stdout);

	while (!stop && (!count || seen < count)) {
		uint64_t old = seq;

		err = shmdev_wait(&c->dev, &seq, -1);
		if (err == -EINTR)
			continue;
		if (err)
			return fail("watch", err);
		seen++;
		err = shmdev_get_info(&c->dev, &info);
		if (err)
			return fail("watch", err);
		clen = snapshot(c, cur, span);
		printf("seq %llu (+%llu): size %llu, %llu pages\n",
		       (unsigned long long)seq, (unsigned long long)(seq - old),
		       (unsigned long long)info.size, (unsigned long long)info.nr_pages);
		print_changes(prev, plen, cur, clen);
		fflush(stdout);
		memcpy(prev, cur, clen);
		plen = clen;
	}
	free(prev);
	free(cur);
	return EXIT_OK;
}

/* ---- pages, map, trace -------------------------------------------------- */

/*
 * A page range: "N", "A-B" (inclusive) or "A-" (to the end). *last is
 * UINT64_MAX for an open end.
 */
static int parse_range(const char *cmd, const char *s, uint64_t *first,
		       uint64_t *last)
{
	const char *dash = strchr(s, '-');
	char head[32];

	if (!dash) {
		if (shmdev_parse_size(s, first) || strpbrk(s, "kKmMgGtTbB"))
			goto bad;
		*last = *first;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(head))
		goto bad;
	memcpy(head, s, dash - s);
	head[dash - s] = '\0';
	if (shmdev_parse_size(head, first) || strpbrk(head, "kKmMgGtTbB"))
		goto bad;
	*last = UINT64_MAX;
	if (dash[1] && (shmdev_parse_size(dash + 1, last) ||
			strpbrk(dash + 1, "kKmMgGtTbB") || *last < *first))
		goto bad;
	return 0;
bad:
	return usage_error(cmd, "invalid page range '%s' (N, A-B or A-)", s);
}

/* Pages inside the size, for clamping a range. */
static int region_pages(struct ctx *c, uint64_t *pages)
{
	uint64_t size, psz = (uint64_t)sysconf(_SC_PAGESIZE);
	int err = shmdev_get_size(&c->dev, &size);

	if (!err)
		*pages = (size + psz - 1) / psz;
	return err;
}

static void page_flags(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ SHMDEV_PAGE_UPTODATE, "uptodate" },
		{ SHMDEV_PAGE_DIRTY, "dirty" },
		{ SHMDEV_PAGE_LOCKED, "locked" },
		{ SHMDEV_PAGE_LRU, "lru" },
		{ SHMDEV_PAGE_UNEVICTABLE, "unevictable" },
		{ SHMDEV_PAGE_PMD_MAPPED, "pmd" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

static int cmd_pages(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("pages");
	uint64_t first = 0, last = UINT64_MAX, pages, index;
	struct shmdev_page_info batch[256];
	char flags[64], pfn[24];
	int o, err;

	while ((o = next_opt(cmd, argc, argv, "h", opts)) != -1)
		return o == 'h' ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1)
		return usage_error("pages", "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc) {
		err = parse_range("pages", argv[optind], &first, &last);
		if (err)
			return err;
	}
	err = region_pages(c, &pages);
	if (err)
		return fail("pages", err);

	printf("%-7s %-8s %8s %8s %5s  %-10s %s\n", "index", "resident",
	       "refcount", "mapcount", "order", "pfn", "flags");
	for (index = first; index <= last && index < pages;) {
		uint32_t n = sizeof(batch) / sizeof(batch[0]);

		err = shmdev_page_info(&c->dev, index, batch, &n);
		if (err)
			return fail("pages", err);
		if (!n)
			break;	/* the region shrank meanwhile */
		for (uint32_t i = 0; i < n && index <= last; i++, index++) {
			const struct shmdev_page_info *p = &batch[i];

			if (!(p->flags & SHMDEV_PAGE_RESIDENT)) {
				printf("%-7" PRIu64 " %s\n", index, "no");
				continue;
			}
			page_flags(p->flags, flags, sizeof(flags));
			if (p->pfn)
				snprintf(pfn, sizeof(pfn), "0x%" PRIx64, (uint64_t)p->pfn);
			else
				snprintf(pfn, sizeof(pfn), "-");
			printf("%-7" PRIu64 " %-8s %8u %8u %5u  %-10s %s\n", index,
			       "yes", p->refcount, p->mapcount, p->order, pfn, flags);
		}
	}
	return EXIT_OK;
}

/* Starts argv as a child process: its pid, or -errno if fork() failed. */
static pid_t spawn(char **argv)
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
static int shell_status(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs argv as a child process; returns its exit status as a shell would. */
static int run_child(char **argv)
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

static int cmd_map(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "write", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("map");
	uint64_t first, last, pages, psz = (uint64_t)sysconf(_SC_PAGESIZE);
	bool write = false;
	volatile unsigned char *p;
	size_t len;
	int o, err, ret = EXIT_OK;

	/* "+": options end at the range, so COMMAND keeps its own. */
	while ((o = next_opt(cmd, argc, argv, "+wh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'w')
			return EXIT_USAGE;
		write = true;
	}
	if (optind == argc)
		return usage_error("map", "%s", "missing page range");
	err = parse_range("map", argv[optind++], &first, &last);
	if (err)
		return err;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	err = region_pages(c, &pages);
	if (err)
		return fail("map", err);
	if (first >= pages) {
		fprintf(stderr, "shmdevctl map: page %" PRIu64 " is beyond the size (%" PRIu64 " pages)\n",
			first, pages);
		return EXIT_FAIL;
	}
	if (last >= pages)
		last = pages - 1;

	/* Only the range: fault-around stays inside the mapping. */
	len = (last - first + 1) * psz;
	p = mmap(NULL, len, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED,
		 c->dev.fd, first * psz);
	if (p == MAP_FAILED)
		return fail("mmap", -errno);
	/*
	 * A locked OR of 0 is a write access that changes nothing: the first
	 * access to the page is a write fault, not a read fault and then a
	 * write-protect fault.
	 */
	for (size_t off = 0; off < len; off += psz) {
		if (write)
			__atomic_fetch_or((unsigned char *)&p[off], 0, __ATOMIC_RELAXED);
		else
			(void)p[off];
	}
	if (optind < argc)
		ret = run_child(argv + optind);
	munmap((void *)p, len);
	return ret;
}

static const char *tracefs_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/shmdev/enable", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	return NULL;
}

static int write_file(const char *dir, const char *name, const char *text,
		      int flags)
{
	char path[160];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Prints the complete lines in @buf[0..*len), each as its event and fields
 * unless @raw, and keeps the incomplete tail.
 */
static void print_trace_lines(char *buf, size_t *len, bool raw)
{
	char *line = buf, *nl;

	while ((nl = memchr(line, '\n', *len - (line - buf)))) {
		char *event = strstr(line, " shmdev_");

		*nl = '\0';
		if (raw || !event)
			printf("%s\n", line);
		else
			printf("%s\n", event + 1);
		line = nl + 1;
	}
	*len -= line - buf;
	memmove(buf, line, *len);
	fflush(stdout);
}

static int cmd_trace(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const struct command *cmd = find_command("trace");
	struct sigaction sa = { .sa_handler = on_stop };
	const char *dir = tracefs_dir();
	char path[160], buf[8192];
	pid_t child = -1;
	bool raw = false, done = false;
	int o, fd, err, status, ret = EXIT_OK;
	size_t len = 0;

	(void)c;
	while ((o = next_opt(cmd, argc, argv, "+rh", opts)) != -1) {
		if (o == 'h')
			return EXIT_OK;
		if (o != 'r')
			return EXIT_USAGE;
		raw = true;
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (!dir) {
		fprintf(stderr, "shmdevctl trace: no shmdev events in tracefs (as root: mount -t tracefs nodev /sys/kernel/tracing)\n");
		return EXIT_FAIL;
	}

	err = write_file(dir, "trace", "", O_TRUNC);
	if (!err)
		err = write_file(dir, "events/shmdev/enable", "1", 0);
	if (err)
		return fail("trace", err);
	snprintf(path, sizeof(path), "%s/trace_pipe", dir);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		write_file(dir, "events/shmdev/enable", "0", 0);
		return fail(path, -errno);
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (optind < argc) {
		child = spawn(argv + optind);
		if (child < 0) {
			ret = fail("fork", child);
			done = true;
		}
	}

	/* Until the command ends (or a signal), then what is left. */
	while (!done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			ret = shell_status(status);
			child = -1;
			done = true;
		}
		if (stop)
			done = true;
		if (!done)
			poll(&pfd, 1, 100);
		while ((n = read(fd, buf + len, sizeof(buf) - len - 1)) > 0) {
			len += n;
			print_trace_lines(buf, &len, raw);
			if (len == sizeof(buf) - 1)
				len = 0;	/* a line longer than the buffer */
		}
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	close(fd);
	write_file(dir, "events/shmdev/enable", "0", 0);
	return ret;
}

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

static int cmd_list(struct ctx *c, int argc, char **argv)
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

static int cmd_create(struct ctx *c, int argc, char **argv)
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

static int cmd_open(struct ctx *c, int argc, char **argv)
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

static int cmd_rm(struct ctx *c, int argc, char **argv)
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

static int cmd_chmod(struct ctx *c, int argc, char **argv)
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

/* ---- main --------------------------------------------------------------- */

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

static const struct command *find_command(const char *name)
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
