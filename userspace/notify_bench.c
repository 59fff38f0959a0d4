// SPDX-License-Identifier: GPL-2.0
/*
 * notify_bench - the shmdev wake-up channel against its alternatives
 *
 * Latency: round trips of a ping-pong between two processes, through
 *   shmdev WAIT/NOTIFY, a futex on a memfd page, an eventfd pair, a pipe
 *   pair and a unix socketpair; the two processes on different vCPUs and
 *   on the same one.
 * Bulk: 4 KiB, 64 KiB and 1 MiB messages from a producer process to a
 *   consumer process, through a ring in the shmdev region signalled with
 *   NOTIFY/WAIT, through a pipe and a unix socket, and, as a ceiling,
 *   single-threaded memcpy(). The producer copies each message in (or
 *   write()s it); the consumer reads every word of it, in place in the
 *   ring or after read(), which checks its number and contents: a lost or
 *   corrupted message fails the run.
 * Wake-all: time from one NOTIFY until the last of N sleeping waiters
 *   runs, N = 1 to 256.
 *
 * Each measurement is repeated, the kinds alternating; every sample is
 * printed as "@sample BENCH TEST KIND PARAM VALUE UNIT", then medians and
 * the ratios to shmdev.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
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
	/* Populated: a ring is set up once, its first-touch faults are not
	 * part of the transfer. */
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
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

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ns per round trip; @same_cpu: both processes on vCPU 0, else 0 and 1. */
static double pp_run(int kind, long rounds, bool same_cpu)
{
	struct pp pp;
	double t0, t;
	pid_t pid;
	int st;

	pp_setup(&pp, kind);
	pin(0);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(same_cpu ? 0 : 1);
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

enum { BK_SHMDEV, BK_PIPE, BK_SOCKET, BK_MEMCPY, NR_BK };
static const char *const bk_name[NR_BK] = { "shmdev-ring", "pipe", "socket", "memcpy" };

/* The ring: a header page, then @slots slots of @msg bytes. */
struct ring {
	_Atomic __u64 head, tail;
};

static char *slot_of(struct ring *r, size_t msg, size_t slots, __u64 n)
{
	return (char *)r + 4096 + (n % slots) * msg;
}

/*
 * Message @i: the source pattern with @i in its first word and a byte
 * derived from @i at its end. The consumer sums every word, which both
 * reads the whole message and checks it.
 */
static void stamp(char *m, size_t msg, __u64 i)
{
	memcpy(m, &i, sizeof(i));
	m[msg - 1] = (char)(i * 7 + 1);
}

static __u64 sum_words(const char *m, size_t msg)
{
	const __u64 *w = (const __u64 *)m;
	__u64 sum = 0;

	for (size_t k = 0; k < msg / 8; k++)
		sum += w[k];
	return sum;
}

/* @base: the sum of the unstamped source, whose first and last words are 0. */
static void check_msg(const char *m, size_t msg, __u64 i, __u64 base)
{
	__u64 want = base + i + ((__u64)(unsigned char)(i * 7 + 1) << 56);

	if (sum_words(m, msg) != want) {
		fprintf(stderr, "notify_bench: message %llu lost or corrupted\n",
			(unsigned long long)i);
		exit(1);
	}
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

/* MiB/s moving @msgs messages of @msg bytes from one process to another. */
static double bulk_run(int kind, size_t msg, long msgs)
{
	size_t slots = msg >= (1 << 20) ? 4 : (4 << 20) / msg;
	char *src = aligned_alloc(4096, msg), *dst = aligned_alloc(4096, msg);
	size_t ring_len = 4096 + slots * msg;
	struct ring *r = NULL;
	int fd = -1, p[2] = { -1, -1 };
	double t0, t;
	pid_t pid;
	int st;

	__u64 base;

	if (!src || !dst)
		die("aligned_alloc");
	memset(src, 0x5a, msg);
	memset(src, 0, 8);
	memset(src + msg - 8, 0, 8);
	memset(dst, 0, msg);
	base = sum_words(src, msg);

	if (kind == BK_MEMCPY) {
		/* The ceiling: one copy, no check. */
		t0 = now_ns();
		for (long i = 0; i < msgs; i++) {
			stamp(src, msg, i);
			memcpy(dst, src, msg);
		}
		t = now_ns() - t0;
		check_msg(dst, msg, msgs - 1, base);
		goto out;
	}
	if (kind == BK_SHMDEV) {
		void *map;

		fd = shmdev_attach(ring_len, &map);
		r = map;
		r->head = r->tail = 0;
	} else if (kind == BK_PIPE) {
		if (pipe2(p, O_CLOEXEC))
			die("pipe");
		/* As large as an unprivileged pipe gets by default. */
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
			die("socketpair");
	}

	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* Producer, on the other vCPU. */
		__u64 seq = 0;

		pin(1);
		for (long i = 0; i < msgs; i++) {
			stamp(src, msg, i);
			if (kind != BK_SHMDEV) {
				full_write(p[1], src, msg);
				continue;
			}
			while (r->head - r->tail == slots)
				sd_wait(fd, &seq);
			memcpy(slot_of(r, msg, slots, r->head), src, msg);
			r->head++;
			sd_notify(fd, &seq);
		}
		_exit(0);
	}
	/* Consumer. */
	pin(0);
	{
		__u64 seq = 0;

		for (long i = 0; i < msgs; i++) {
			if (kind != BK_SHMDEV) {
				full_read(p[0], dst, msg);
				check_msg(dst, msg, i, base);
				continue;
			}
			/* Shared memory: consumed in place, no copy out. */
			while (r->tail == r->head)
				sd_wait(fd, &seq);
			check_msg(slot_of(r, msg, slots, r->tail), msg, i, base);
			r->tail++;
			sd_notify(fd, &seq);
		}
	}
	t = now_ns() - t0;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("bulk producer");
	if (kind == BK_SHMDEV) {
		munmap(r, ring_len);
		close(fd);
	} else {
		close(p[0]);
		close(p[1]);
	}
out:
	free(src);
	free(dst);
	return msgs * (msg / 1048576.0) / (t / 1e9);
}

/* ---- wake-all --------------------------------------------------------- */

struct wake_area {
	_Atomic int ready;	/* waiters about to sleep */
	_Atomic int woken;	/* waiters that ran after the NOTIFY */
	_Atomic __u64 last_ns;	/* when the last of them ran */
};

/*
 * ns from one NOTIFY until the last of @n sleeping waiters runs. A waiter
 * stamps the time and then blocks on a pipe, so that the exits of the
 * first ones do not delay the wake-up of the last ones.
 */
static double wake_all_run(int n)
{
	struct wake_area *w;
	double t0, dt;
	int fd, release[2];
	void *map;
	__u64 seq;

	fd = shmdev_attach(4096, &map);
	w = map;
	w->ready = 0;
	w->woken = 0;
	w->last_ns = 0;
	if (ioctl(fd, SHMDEV_IOC_NOTIFY, &seq))
		die("SHMDEV_IOC_NOTIFY");
	if (pipe(release))
		die("pipe");
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			struct shmdev_wait wt = { .seq = seq, .timeout_ns = -1 };
			__u64 now, last;
			char c;

			close(release[1]);
			w->ready++;
			if (ioctl(fd, SHMDEV_IOC_WAIT, &wt))
				_exit(1);
			now = (__u64)now_ns();
			last = w->last_ns;
			while (now > last && !atomic_compare_exchange_weak(&w->last_ns, &last, now))
				;
			w->woken++;
			_exit(read(release[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	close(release[0]);
	while (w->ready < n)
		usleep(1000);
	/* Let the last of them reach its sleep. */
	usleep(100000);
	t0 = now_ns();
	if (ioctl(fd, SHMDEV_IOC_NOTIFY, &seq))
		die("SHMDEV_IOC_NOTIFY");
	while (w->woken < n)
		usleep(100);
	dt = (double)w->last_ns - t0;
	close(release[1]);
	for (int i = 0; i < n; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("wake-all waiter");
	}
	munmap(map, 4096);
	close(fd);
	return dt;
}

/* ---- main ------------------------------------------------------------- */

static void sample(const char *bench, const char *test, const char *kind,
		   unsigned long long param, double value, const char *unit)
{
	printf("@sample %s %s %s %llu %.1f %s\n", bench, test, kind, param, value, unit);
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: notify_bench [-r REPS] [-n ROUNDS] [-m MIB] [-w MAXWAITERS]\n"
		"Ping-pong latency, bulk throughput and wake-all time of shmdev\n"
		"NOTIFY/WAIT against futex, eventfd, pipe, socketpair and memcpy.\n"
		"  -r REPS        repetitions of each measurement (default 5)\n"
		"  -n ROUNDS      round trips per latency measurement (default 2000)\n"
		"  -m MIB         MiB moved per bulk measurement (default 32)\n"
		"  -w MAXWAITERS  largest number of waiters woken at once (default 256)\n"
		"  -h             this help\n");
}

#define MAX_REPS 64

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 65536, 1 << 20 };
	static double lat[2][NR_PP][MAX_REPS], bulk[3][NR_BK][MAX_REPS];
	long rounds = 2000, mib = 32;
	int reps = 5, max_waiters = 256, c;

	while ((c = getopt(argc, argv, "r:n:m:w:h")) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			rounds = atol(optarg);
			break;
		case 'm':
			mib = atol(optarg);
			break;
		case 'w':
			max_waiters = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || rounds < 1 || mib < 1 || max_waiters < 1) {
		usage(stderr);
		return 2;
	}

	for (int r = 0; r < reps; r++) {
		for (int same = 0; same < 2; same++) {
			for (int i = 0; i < NR_PP; i++) {
				int k = (r + i) % NR_PP;

				lat[same][k][r] = pp_run(k, rounds, same);
				sample("rtt", same ? "same-cpu" : "two-cpus", pp_name[k],
				       rounds, lat[same][k][r], "ns");
			}
		}
		for (int z = 0; z < 3; z++) {
			long msgs = (mib << 20) / sizes[z];

			for (int i = 0; i < NR_BK; i++) {
				int k = (r + i) % NR_BK;

				bulk[z][k][r] = bulk_run(k, sizes[z], msgs);
				sample("bulk", z == 0 ? "4K" : z == 1 ? "64K" : "1M",
				       bk_name[k], sizes[z], bulk[z][k][r], "MiB/s");
			}
		}
		for (int n = 1; n <= max_waiters; n *= 4) {
			sample("wake-all", "notify", "shmdev", n, wake_all_run(n), "ns");
			if (n < max_waiters && n * 4 > max_waiters)
				sample("wake-all", "notify", "shmdev", max_waiters,
				       wake_all_run(max_waiters), "ns");
		}
		fprintf(stderr, "notify_bench: repetition %d of %d done\n", r + 1, reps);
	}

	for (int same = 0; same < 2; same++) {
		double s = median(lat[same][PP_SHMDEV], reps);

		printf("\n# ping-pong round trip, %s, %ld rounds x %d\n",
		       same ? "same vCPU" : "two vCPUs", rounds, reps);
		printf("%-12s %14s %16s\n", "mechanism", "median ns", "shmdev / this");
		for (int k = 0; k < NR_PP; k++) {
			double m = median(lat[same][k], reps);

			printf("%-12s %14.0f %16.2f\n", pp_name[k], m, s / m);
		}
	}
	for (int z = 0; z < 3; z++) {
		double s = median(bulk[z][BK_SHMDEV], reps);

		printf("\n# bulk, %zu-byte messages, %ld MiB x %d\n", sizes[z], mib, reps);
		printf("%-12s %14s %16s\n", "path", "median MiB/s", "shmdev / this");
		for (int k = 0; k < NR_BK; k++) {
			double m = median(bulk[z][k], reps);

			printf("%-12s %14.0f %16.2f\n", bk_name[k], m, s / m);
		}
	}
	return 0;
}
