// SPDX-License-Identifier: GPL-2.0
/*
 * notify_bench - the shmdev wake-up channel against its alternatives
 *
 * Latency: round trips of a ping-pong between two processes, through
 *   shmdev WAIT/NOTIFY, a futex on a memfd page, an eventfd pair, a pipe
 *   pair and a unix socketpair.
 * Bulk: 1 MiB messages from a producer process to a consumer process,
 *   through a ring in the shmdev region signalled with NOTIFY/WAIT,
 *   through a pipe, and, as a ceiling, single-threaded memcpy().
 *
 * Each measurement is repeated, the kinds alternating; medians and the
 * ratios to shmdev are printed.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "bench.h"

#define MSG	(1UL << 20)
#define SLOTS	4

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int shmdev_attach(size_t size, void **map)
{
	int fd = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
	__u64 zero = 0, sz = size;

	if (fd < 0)
		die("open /dev/shmdev");
	if (ioctl(fd, SHMDEV_IOC_SET_SIZE, &zero) || ioctl(fd, SHMDEV_IOC_SET_SIZE, &sz))
		die("SHMDEV_IOC_SET_SIZE");
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED)
		die("mmap /dev/shmdev");
	return fd;
}

static void sd_wait(int fd, __u64 *seq)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = -1 };

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w) == 0)
		*seq = w.seq;
	else if (errno != EINTR)
		die("SHMDEV_IOC_WAIT");
}

static void sd_notify(int fd, __u64 *seq)
{
	if (ioctl(fd, SHMDEV_IOC_NOTIFY, seq))
		die("SHMDEV_IOC_NOTIFY");
}

/* ---- latency ---------------------------------------------------------- */

enum { PP_SHMDEV, PP_FUTEX, PP_EVENTFD, PP_PIPE, PP_SOCKET, NR_PP };
static const char *const pp_name[NR_PP] = {
	"shmdev", "futex", "eventfd", "pipe", "socketpair"
};

struct pp {
	int kind;
	int fd;			/* shmdev */
	_Atomic __u64 *word;	/* shmdev counter or futex word */
	int a[2], b[2];		/* a: ping, b: pong (read end [0]) */
};

static void pp_setup(struct pp *pp, int kind)
{
	void *map;
	int mfd;

	memset(pp, 0, sizeof(*pp));
	pp->kind = kind;
	switch (kind) {
	case PP_SHMDEV:
		pp->fd = shmdev_attach(4096, &map);
		pp->word = map;
		break;
	case PP_FUTEX:
		mfd = memfd_create("notify_bench", MFD_CLOEXEC);
		if (mfd < 0 || ftruncate(mfd, 4096))
			die("memfd");
		pp->word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (pp->word == MAP_FAILED)
			die("mmap memfd");
		close(mfd);
		break;
	case PP_EVENTFD:
		pp->a[0] = pp->a[1] = eventfd(0, EFD_CLOEXEC);
		pp->b[0] = pp->b[1] = eventfd(0, EFD_CLOEXEC);
		if (pp->a[0] < 0 || pp->b[0] < 0)
			die("eventfd");
		break;
	case PP_PIPE:
		if (pipe2(pp->a, O_CLOEXEC) || pipe2(pp->b, O_CLOEXEC))
			die("pipe");
		break;
	case PP_SOCKET:
		/* a[0] <-> a[1] both ways; b unused. */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp->a))
			die("socketpair");
		break;
	}
	if (pp->word)
		*pp->word = 0;
}

static void pp_teardown(struct pp *pp)
{
	if (pp->word)
		munmap((void *)pp->word, 4096);
	if (pp->kind == PP_SHMDEV)
		close(pp->fd);
	if (pp->kind == PP_EVENTFD) {
		close(pp->a[0]);
		close(pp->b[0]);
	} else if (pp->kind == PP_PIPE || pp->kind == PP_SOCKET) {
		for (int i = 0; i < 2; i++) {
			close(pp->a[i]);
			if (pp->kind == PP_PIPE)
				close(pp->b[i]);
		}
	}
}

static long futex(_Atomic __u64 *w, int op, unsigned int val)
{
	/* The low 32 bits of the little-endian word. */
	return syscall(SYS_futex, (unsigned int *)w, op, val, NULL, NULL, 0);
}

/* One side of @rounds round trips; side 0 starts. */
static void pp_side(struct pp *pp, int side, long rounds)
{
	__u64 seq = 0, v = 1, cur;
	char c = 0;

	for (long i = 0; i < rounds; i++) {
		__u64 mine = 2 * i + side, next = mine + 1;

		switch (pp->kind) {
		case PP_SHMDEV:
			while (*pp->word != mine)
				sd_wait(pp->fd, &seq);
			*pp->word = next;
			sd_notify(pp->fd, &seq);
			break;
		case PP_FUTEX:
			/* Sleep on the very value found different. */
			while ((cur = *pp->word) != mine)
				futex(pp->word, FUTEX_WAIT, (unsigned int)cur);
			*pp->word = next;
			futex(pp->word, FUTEX_WAKE, 1);
			break;
		case PP_EVENTFD:
			if (side == 1 || i > 0)
				if (read(side ? pp->a[0] : pp->b[0], &v, 8) != 8)
					die("read eventfd");
			if (write(side ? pp->b[1] : pp->a[1], &v, 8) != 8)
				die("write eventfd");
			break;
		case PP_PIPE:
			if (side == 1 || i > 0)
				if (read(side ? pp->a[0] : pp->b[0], &c, 1) != 1)
					die("read pipe");
			if (write(side ? pp->b[1] : pp->a[1], &c, 1) != 1)
				die("write pipe");
			break;
		case PP_SOCKET:
			if (side == 1 || i > 0)
				if (read(pp->a[side], &c, 1) != 1)
					die("read socket");
			if (write(pp->a[side], &c, 1) != 1)
				die("write socket");
			break;
		}
	}
	/* Side 0 waits for the last pong. */
	if (side == 0) {
		switch (pp->kind) {
		case PP_SHMDEV:
			while (*pp->word != 2 * (__u64)rounds)
				sd_wait(pp->fd, &seq);
			break;
		case PP_FUTEX:
			while ((cur = *pp->word) != 2 * (__u64)rounds)
				futex(pp->word, FUTEX_WAIT, (unsigned int)cur);
			break;
		case PP_EVENTFD:
			if (read(pp->b[0], &v, 8) != 8)
				die("read eventfd");
			break;
		case PP_PIPE:
			if (read(pp->b[0], &c, 1) != 1)
				die("read pipe");
			break;
		case PP_SOCKET:
			if (read(pp->a[0], &c, 1) != 1)
				die("read socket");
			break;
		}
	}
}

/* ns per round trip. */
static double pp_run(int kind, long rounds)
{
	struct pp pp;
	double t0, t;
	pid_t pid;
	int st;

	pp_setup(&pp, kind);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pp_side(&pp, 1, rounds);
		_exit(0);
	}
	t0 = now_ns();
	pp_side(&pp, 0, rounds);
	t = now_ns() - t0;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("ping-pong child");
	pp_teardown(&pp);
	return t / rounds;
}

/* ---- bulk ------------------------------------------------------------- */

enum { BK_SHMDEV, BK_PIPE, BK_MEMCPY, NR_BK };
static const char *const bk_name[NR_BK] = { "shmdev ring", "pipe", "memcpy" };

struct ring {
	_Atomic __u64 head, tail;
	char pad[4096 - 16];
	char slot[SLOTS][MSG];
};

static char *buffer(unsigned char fill)
{
	char *b = aligned_alloc(4096, MSG);

	if (!b)
		die("aligned_alloc");
	memset(b, fill, MSG);
	return b;
}

static void full_write(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w <= 0)
			die("write");
		b += w;
		n -= w;
	}
}

static void full_read(int fd, char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			die("read");
		b += r;
		n -= r;
	}
}

/* MiB/s moving @msgs messages of 1 MiB. */
static double bulk_run(int kind, long msgs)
{
	char *src = buffer(0x5a), *dst = buffer(0);
	struct ring *r = NULL;
	double t0, t;
	int fd = -1, p[2];
	pid_t pid;
	int st;

	if (kind == BK_MEMCPY) {
		t0 = now_ns();
		for (long i = 0; i < msgs; i++) {
			src[0] = (char)i;
			memcpy(dst, src, MSG);
		}
		t = now_ns() - t0;
		goto out;
	}
	if (kind == BK_SHMDEV) {
		void *map;

		fd = shmdev_attach(sizeof(*r), &map);
		r = map;
		r->head = r->tail = 0;
	} else {
		if (pipe2(p, O_CLOEXEC))
			die("pipe");
		/* The largest buffer an unprivileged pipe gets by default. */
		fcntl(p[1], F_SETPIPE_SZ, MSG);
	}

	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Producer. */
		__u64 seq = 0;

		for (long i = 0; i < msgs; i++) {
			src[0] = (char)i;
			if (kind == BK_PIPE) {
				full_write(p[1], src, MSG);
				continue;
			}
			while (r->head - r->tail == SLOTS)
				sd_wait(fd, &seq);
			memcpy(r->slot[r->head % SLOTS], src, MSG);
			r->head++;
			sd_notify(fd, &seq);
		}
		_exit(0);
	}
	/* Consumer. */
	{
		__u64 seq = 0;

		for (long i = 0; i < msgs; i++) {
			if (kind == BK_PIPE) {
				full_read(p[0], dst, MSG);
			} else {
				while (r->tail == r->head)
					sd_wait(fd, &seq);
				memcpy(dst, r->slot[r->tail % SLOTS], MSG);
				r->tail++;
				sd_notify(fd, &seq);
			}
			if (dst[0] != (char)i || dst[MSG - 1] != 0x5a)
				die("bulk data mismatch");
		}
	}
	t = now_ns() - t0;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("bulk producer");
	if (kind == BK_SHMDEV) {
		munmap(r, sizeof(*r));
		close(fd);
	} else {
		close(p[0]);
		close(p[1]);
	}
out:
	free(src);
	free(dst);
	return msgs * (MSG / 1048576.0) / (t / 1e9);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: notify_bench [-r REPS] [-n ROUNDS] [-m MESSAGES]\n"
		"Ping-pong latency and bulk throughput of shmdev NOTIFY/WAIT against\n"
		"futex, eventfd, pipe, socketpair and memcpy.\n"
		"  -r REPS      repetitions of each measurement (default 7)\n"
		"  -n ROUNDS    round trips per latency measurement (default 5000)\n"
		"  -m MESSAGES  1 MiB messages per bulk measurement (default 128)\n"
		"  -h           this help\n");
}

int main(int argc, char **argv)
{
	long rounds = 5000, msgs = 128;
	int reps = 7, c;
	double *lat[NR_PP], *bulk[NR_BK];

	while ((c = getopt(argc, argv, "r:n:m:h")) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			rounds = atol(optarg);
			break;
		case 'm':
			msgs = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || rounds < 1 || msgs < 1) {
		usage(stderr);
		return 2;
	}

	for (int k = 0; k < NR_PP; k++)
		lat[k] = calloc(reps, sizeof(double));
	for (int k = 0; k < NR_BK; k++)
		bulk[k] = calloc(reps, sizeof(double));

	for (int r = 0; r < reps; r++) {
		for (int i = 0; i < NR_PP; i++) {
			int k = (r + i) % NR_PP;

			lat[k][r] = pp_run(k, rounds);
		}
		for (int i = 0; i < NR_BK; i++) {
			int k = (r + i) % NR_BK;

			bulk[k][r] = bulk_run(k, msgs);
		}
		fprintf(stderr, "notify_bench: repetition %d of %d done\n", r + 1, reps);
	}

	printf("# ping-pong round trip, %ld rounds x %d repetitions\n", rounds, reps);
	printf("%-12s %14s %16s\n", "mechanism", "median ns/rt", "shmdev / this");
	double s = median(lat[PP_SHMDEV], reps);

	for (int k = 0; k < NR_PP; k++) {
		double m = median(lat[k], reps);

		printf("%-12s %14.0f %16.2f\n", pp_name[k], m, s / m);
	}

	printf("\n# bulk, %ld messages of 1 MiB x %d repetitions\n", msgs, reps);
	printf("%-12s %14s %16s\n", "path", "median MiB/s", "shmdev / this");
	s = median(bulk[BK_SHMDEV], reps);
	for (int k = 0; k < NR_BK; k++) {
		double m = median(bulk[k], reps);

		printf("%-12s %14.0f %16.2f\n", bk_name[k], m, s / m);
	}
	return 0;
}
