// SPDX-License-Identifier: GPL-2.0
/*
 * ring_bench - libshmdev's zero-copy ring against one memcpy and a pipe
 *
 * The ring is libshmdev's (shmdev_ring_create() and the rest, in a shmdev
 * region): the producer writes each message in place between
 * shmdev_ring_reserve() and shmdev_ring_commit(), the consumer reads it in
 * place between shmdev_ring_peek() and shmdev_ring_release(); the two
 * sides wake each other through the library's adaptive wait and notify.
 * Producer and consumer are two processes, not pinned, on a machine of
 * two CPUs or more.
 *
 * 1 MiB messages, MiB/s:
 *   ring    the producer stamps the message (its number in the first
 *           word, a byte derived from it at the end) and copies it from
 *           its own buffer into the reserved space: one copy; the consumer
 *           checks the length and both stamps in place.
 *   memcpy  one process stamping and copying each message into the next
 *           slot of a shmdev region as large as the ring's, checking the
 *           stamps there: the copy the ring cannot avoid, into the same
 *           kind of memory, and nothing else.
 *   pipe    the producer writes each message with write(), the consumer
 *           reads it into its own buffer and checks it there.
 * 64-byte messages, messages per second:
 *   ring    as above, one reserve/commit and one peek/release per message.
 *   pipe    one write() per message; the consumer reads what is there, up
 *           to 64 KiB at a time, and checks each message of it.
 * A lost, repeated, reordered or torn message fails the run.
 *
 * Timing starts when both processes are set up (the producer attached to
 * the ring, or holding the pipe) and ends when the consumer has checked the
 * last message.
 *
 * Each round runs every case once, in an order drawn from a seeded
 * generator and never the previous round's. Every sample is printed as
 * "@sample BENCH TEST KIND PARAM VALUE UNIT ROUND POS" (see bench.h), then
 * medians and ratios.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "lib/shmdev.h"

#define MAX_REPS	64
#define PIPE_CHUNK	65536

enum { K_RING, K_MEMCPY, K_PIPE, NR_KINDS };
static const char *const kind_name[NR_KINDS] = { "ring", "memcpy", "pipe" };

enum { S_1M, S_64B, NR_SIZES };
static const size_t msg_size[NR_SIZES] = { 1 << 20, 64 };
static const char *const size_test[NR_SIZES] = { "1M", "64B" };
static const char *const size_unit[NR_SIZES] = { "MiB/s", "msg/s" };

/*
 * The ring's data area (@ring_data, a power of two) and the region that
 * holds it: one page more, for the ring's header.
 */
static size_t ring_data = 8 << 20, ring_len;

static void die_err(const char *what, int err)
{
	errno = -err;
	bench_die(what);
}

static void stamp(char *m, size_t len, uint64_t i)
{
	memcpy(m, &i, sizeof(i));
	m[len - 1] = (char)(i * 7 + 1);
}

static void check(const char *m, size_t len, size_t want_len, uint64_t i)
{
	uint64_t got;

	memcpy(&got, m, sizeof(got));
	if (len != want_len || got != i || m[len - 1] != (char)(i * 7 + 1)) {
		fprintf(stderr,
			"ring_bench: message %llu lost, torn or out of order (length %zu, number %llu)\n",
			(unsigned long long)i, len, (unsigned long long)got);
		exit(1);
	}
}

static void full_write(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w <= 0)
			bench_die("write");
		b += w;
		n -= w;
	}
}

static size_t full_read(int fd, char *b, size_t n, bool some)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0)
			bench_die("read");
		got += r;
		if (some)
			break;
	}
	return got;
}

/*
 * A handle of the caller's own on the default region, emptied and given
 * @len bytes, and those mapped.
 */
static void *region_map(struct shmdev *dev, size_t len)
{
	void *base;
	int err;

	err = shmdev_open(dev, O_RDWR);
	if (err)
		die_err("shmdev_open", err);
	err = shmdev_set_size(dev, 0);
	if (!err)
		err = shmdev_set_size(dev, len);
	if (err)
		die_err("shmdev_set_size", err);
	err = shmdev_map(dev, len, PROT_READ | PROT_WRITE, &base);
	if (err)
		die_err("shmdev_map", err);
	return base;
}

/*
 * memcpy: one process, the stamp, one copy, the check, into the same kind
 * of memory as the ring's: a region as large, touched before the clock
 * starts, the slots where the ring's data area would be.
 */
static uint64_t memcpy_run(char *src, size_t msg, long msgs)
{
	size_t slots = ring_data / msg;
	struct shmdev dev;
	uint64_t t0, t;
	char *base, *buf;

	base = region_map(&dev, ring_len);
	memset(base, 0, ring_len);
	buf = base + (ring_len - ring_data);
	t0 = sd_now_ns();
	for (long i = 0; i < msgs; i++) {
		char *slot = buf + (i % slots) * msg;

		stamp(src, msg, i);
		memcpy(slot, src, msg);
		check(slot, msg, msg, i);
	}
	t = sd_now_ns() - t0;
	shmdev_unmap(base, ring_len);
	shmdev_set_size(&dev, 0);
	shmdev_close(&dev);
	return t;
}

static void ring_produce(char *src, size_t msg, long msgs, int ready, int go)
{
	struct shmdev_ring ring;
	struct shmdev dev;
	void *base, *m;
	char c = 0;
	int err;

	err = shmdev_open(&dev, O_RDWR);
	if (err)
		die_err("shmdev_open", err);
	/*
	 * Populated, as the consumer's mapping is by its memset(): the ring is
	 * set up once, and the faults of a new mapping are not part of the
	 * transfer.
	 */
	base = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    dev.fd, 0);
	if (base == MAP_FAILED)
		bench_die("mmap");
	err = shmdev_ring_attach(&ring, &dev, base, ring_len);
	if (err)
		die_err("shmdev_ring_attach", err);
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		bench_die("start");
	for (long i = 0; i < msgs; i++) {
		err = shmdev_ring_reserve(&ring, msg, -1, &m);
		if (err)
			die_err("shmdev_ring_reserve", err);
		stamp(src, msg, i);
		memcpy(m, src, msg);
		err = shmdev_ring_commit(&ring, m);
		if (err)
			die_err("shmdev_ring_commit", err);
	}
}

static void ring_consume(struct shmdev_ring *ring, size_t msg, long msgs)
{
	const void *m;
	size_t len;
	int err;

	for (long i = 0; i < msgs; i++) {
		err = shmdev_ring_peek(ring, -1, &m, &len);
		if (err)
			die_err("shmdev_ring_peek", err);
		check(m, len, msg, i);
		err = shmdev_ring_release(ring, m);
		if (err)
			die_err("shmdev_ring_release", err);
	}
}

static void pipe_consume(int fd, char *dst, size_t msg, long msgs)
{
	size_t have = 0;
	long i = 0;

	if (msg >= PIPE_CHUNK) {
		for (; i < msgs; i++) {
			full_read(fd, dst, msg, false);
			check(dst, msg, msg, i);
		}
		return;
	}
	/* Small messages: whatever is there, whole messages checked. */
	while (i < msgs) {
		size_t off = 0;

		have += full_read(fd, dst + have, PIPE_CHUNK - have, true);
		for (; have - off >= msg; off += msg, i++)
			check(dst + off, msg, msg, i);
		memmove(dst, dst + off, have - off);
		have -= off;
	}
}

/* ns to move @msgs messages of @msg bytes by @kind. */
static uint64_t transfer(int kind, size_t msg, long msgs)
{
	size_t buf_len = msg > PIPE_CHUNK ? msg : PIPE_CHUNK;
	char *src = aligned_alloc(4096, buf_len), *dst = aligned_alloc(4096, buf_len);
	int ready[2], go[2], p[2] = { -1, -1 };
	struct shmdev_ring ring;
	struct shmdev dev;
	uint64_t t0, t;
	void *base = NULL;
	pid_t pid;
	char c;
	int err;

	if (!src || !dst)
		bench_die("aligned_alloc");
	memset(src, 0x5a, buf_len);
	memset(dst, 0, buf_len);
	if (kind == K_MEMCPY) {
		t = memcpy_run(src, msg, msgs);
		goto out;
	}
	if (kind == K_RING) {
		base = region_map(&dev, ring_len);
		/* Resident before the clock starts, as a ring set up once is. */
		memset(base, 0, ring_len);
		err = shmdev_ring_create(&ring, &dev, base, ring_len, 0);
		if (err)
			die_err("shmdev_ring_create", err);
		if (shmdev_ring_max_msg(&ring) < msg) {
			fprintf(stderr,
				"ring_bench: a ring of %zu bytes takes messages of %zu bytes at most, not %zu\n",
				ring_len, shmdev_ring_max_msg(&ring), msg);
			exit(1);
		}
	} else {
		if (pipe2(p, O_CLOEXEC))
			bench_die("pipe");
		/* As large as an unprivileged pipe gets by default. */
		fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	}
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		bench_die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		if (kind == K_RING) {
			ring_produce(src, msg, msgs, ready[1], go[0]);
			_exit(0);
		}
		close(p[0]);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			bench_die("start");
		for (long i = 0; i < msgs; i++) {
			stamp(src, msg, i);
			full_write(p[1], src, msg);
		}
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		bench_die("producer did not start");
	t0 = sd_now_ns();
	if (write(go[1], &c, 1) != 1)
		bench_die("start");
	if (kind == K_RING)
		ring_consume(&ring, msg, msgs);
	else
		pipe_consume(p[0], dst, msg, msgs);
	t = sd_now_ns() - t0;
	if (!child_ok(pid))
		bench_die("producer");
	for (int i = 0; i < 2; i++) {
		close(ready[i]);
		close(go[i]);
		if (p[i] >= 0)
			close(p[i]);
	}
	if (kind == K_RING) {
		shmdev_unmap(base, ring_len);
		shmdev_set_size(&dev, 0);
		shmdev_close(&dev);
	}
out:
	free(src);
	free(dst);
	return t;
}

struct rcase {
	int kind;
	int size;
};

static double res[NR_SIZES][NR_KINDS][MAX_REPS];

static void run_case(const struct rcase *c, long mib, long small, int r, int pos)
{
	size_t msg = msg_size[c->size];
	long msgs = c->size == S_1M ? (long)((mib << 20) / msg) : small;
	uint64_t t;
	double v;

	bench_unpin();
	t = transfer(c->kind, msg, msgs);
	if (c->size == S_1M)
		v = msgs * (msg / 1048576.0) / (t / 1e9);
	else
		v = msgs / (t / 1e9);
	res[c->size][c->kind][r] = v;
	bench_sample("ring", size_test[c->size], kind_name[c->kind], msg, v,
		     size_unit[c->size], r, pos);
}

static bool case_applies(int size, int kind)
{
	return size == S_1M || kind != K_MEMCPY;
}

static void print_summary(long mib, long small, int reps)
{
	for (int z = 0; z < NR_SIZES; z++) {
		double s = median(res[z][K_RING], reps);

		if (z == S_1M)
			printf("\n# 1 MiB messages, %ld MiB x %d\n", mib, reps);
		else
			printf("\n# 64-byte messages, %ld x %d\n", small, reps);
		printf("%-12s %14s %14s\n", "path", size_unit[z], "ring / this");
		for (int k = 0; k < NR_KINDS; k++) {
			double m;

			if (!case_applies(z, k))
				continue;
			m = median(res[z][k], reps);
			printf("%-12s %14.0f %14.2f\n", kind_name[k], m, s / m);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ring_bench [-r REPS] [-m MIB] [-n MSGS] [-R RING_MIB] [-S SEED]\n"
		"Throughput of libshmdev's ring against one memcpy and a pipe.\n"
		"  -r REPS      rounds, each running every case once in a new order\n"
		"               (default 5, at most 64)\n"
		"  -m MIB       MiB moved in 1 MiB messages per measurement (default 32)\n"
		"  -n MSGS      64-byte messages per measurement (default 50000)\n"
		"  -R RING_MIB  size of the ring's data, a power of two (default 8;\n"
		"               the region is a page larger, and the module's\n"
		"               max_size must allow it)\n"
		"  -S SEED      seed of the order of the cases (default: from the clock)\n"
		"  -h           this help\n");
}

int main(int argc, char **argv)
{
	struct rcase cases[NR_SIZES * NR_KINDS];
	int order[NR_SIZES * NR_KINDS], prev[NR_SIZES * NR_KINDS];
	int reps = 5, c, n = 0;
	long mib = 32, small = 50000, ring_mib = 8;
	uint64_t seed = sd_fresh_seed();
	struct sd_rng rng;

	while ((c = getopt(argc, argv, "r:m:n:R:S:h")) != -1) {
		switch (c) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'm':
			mib = atol(optarg);
			break;
		case 'n':
			small = atol(optarg);
			break;
		case 'R':
			ring_mib = atol(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || mib < 1 || small < 1 || ring_mib < 4 ||
	    (ring_mib & (ring_mib - 1))) {
		usage(stderr);
		return 2;
	}
	ring_data = (size_t)ring_mib << 20;
	ring_len = ring_data + sysconf(_SC_PAGESIZE);
	bench_meta("ring_bench", seed, reps);
	printf("@meta ring_bytes %zu\n", ring_data);

	for (int z = 0; z < NR_SIZES; z++)
		for (int k = 0; k < NR_KINDS; k++)
			if (case_applies(z, k))
				cases[n++] = (struct rcase){ k, z };

	sd_rng_seed(&rng, seed);
	for (int r = 0; r < reps; r++) {
		bench_order(&rng, order, prev, n, r == 0);
		for (int i = 0; i < n; i++)
			run_case(&cases[order[i]], mib, small, r, i);
		fprintf(stderr, "ring_bench: round %d of %d done\n", r + 1, reps);
	}
	print_summary(mib, small, reps);
	return 0;
}
