// SPDX-License-Identifier: GPL-2.0
/*
 * shmdevctl notify, wait, watch and trace: notifications, the changes
 * they announce, and the trace events of the module.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmdevctl.h"

/* ---- notify, wait ------------------------------------------------------- */

int cmd_notify(struct ctx *c, int argc, char **argv)
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

int cmd_wait(struct ctx *c, int argc, char **argv)
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

int cmd_watch(struct ctx *c, int argc, char **argv)
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

/* ---- trace ------------------------------------------------------------- */

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

int cmd_trace(struct ctx *c, int argc, char **argv)
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
