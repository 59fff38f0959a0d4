/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests, the userspace tests, the fuzzer and the
 * benchmarks: a clock, a seeded random number generator, readers and
 * writers of /proc and /sys files, children whose exit status is checked
 * (and reaped within a deadline), waiting until a task sleeps in a given
 * system call, and page stamps that tell a region page's identity from its
 * contents.
 *
 * Nothing here depends on kselftest_harness.h, so that programs outside
 * the harness (shmdev-fuzz, the benchmarks) include it too.
 */

#ifndef SHMDEV_COMMON_H
#define SHMDEV_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t sd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double sd_now(void)
{
	return sd_now_ns() / 1e9;
}

/*
 * A seeded generator (splitmix64): the same seed gives the same sequence
 * on every machine, so a failing run can be replayed from the seed it
 * printed.
 */
struct sd_rng {
	uint64_t state;
};

static inline void sd_rng_seed(struct sd_rng *r, uint64_t seed)
{
	r->state = seed;
}

static inline uint64_t sd_rng_next(struct sd_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n); 0 when n is 0. */
static inline uint64_t sd_rng_below(struct sd_rng *r, uint64_t n)
{
	return n ? sd_rng_next(r) % n : 0;
}

/* A seed for a run that was given none: time and pid. */
static inline uint64_t sd_fresh_seed(void)
{
	return (sd_now_ns() ^ ((uint64_t)getpid() * 0x9e3779b9ULL)) & 0x7fffffffULL;
}

/* Writes @s to the file at @path (sysfs, procfs, cgroupfs): 0 or -errno. */
static inline int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if (n != (ssize_t)strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

/*
 * Reads the first number of the file at @path into @v: 0, or -errno
 * (-EINVAL when the file holds no number).
 */
static inline int read_u64(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%llu", v) != 1)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

/*
 * The number after "@key" in the text file at @path (a line "key: 12" or
 * "key 12", as in /proc/meminfo, /proc/vmstat and debugfs tables), or -1.
 */
static inline long long proc_field(const char *path, const char *key)
{
	size_t n = strlen(key);
	char line[256];
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) &&
		    (line[n] == ':' || line[n] == ' ' || line[n] == '\t')) {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

/* A field of /proc/meminfo in kB, or -1. */
static inline long meminfo_kb(const char *key)
{
	return (long)proc_field("/proc/meminfo", key);
}

/*
 * Children. sd_spawn() runs @fn(@arg) in a child that exits with what it
 * returns; child_ok() reaps one and says whether it exited with 0, and
 * says on stderr why not (a signal or a status), so that a crashed child
 * is never taken for a passing one.
 */
static inline pid_t sd_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

static inline bool sd_status_ok(pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		fprintf(stderr, "# child %d killed by signal %d (%s)\n", (int)pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		fprintf(stderr, "# child %d exited with status %d\n", (int)pid,
			WEXITSTATUS(status));
	return false;
}

/* Waits for @pid; true when it exited with status 0. */
static inline bool child_ok(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r != pid) {
		fprintf(stderr, "# waitpid(%d): %s\n", (int)pid, strerror(errno));
		return false;
	}
	return sd_status_ok(pid, status);
}

/*
 * Reaps the @n children in @pids (entries 0 are skipped; a -1, a fork
 * that failed, counts as bad); returns how many did not exit with 0.
 */
static inline int sd_wait_all(const pid_t *pids, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++)
		if (pids[i] < 0 || (pids[i] > 0 && !child_ok(pids[i])))
			bad++;
	return bad;
}

/* A child killed on purpose (@sig) is fine; anything else is reported. */
static inline bool child_killed_by(pid_t pid, int sig)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r != pid)
		return false;
	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return true;
	sd_status_ok(pid, status);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		fprintf(stderr, "# child %d exited, not killed by signal %d\n",
			(int)pid, sig);
	return false;
}

/* Any value of a system call argument, for await_in_syscall(). */
#define ANY_ARG	(~0UL)

/*
 * The system call task @tid of process @pid is in, with its first two
 * arguments, from /proc/PID/task/TID/syscall (nr is -1 when it runs in
 * user space). False when the task is gone.
 */
static inline bool task_syscall(pid_t pid, pid_t tid, long *nr,
				unsigned long args[2])
{
	char path[64], buf[512];
	FILE *f;

	*nr = -1;
	args[0] = args[1] = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f) ||
	    sscanf(buf, "%ld %lx %lx", nr, &args[0], &args[1]) < 1)
		*nr = -1;
	fclose(f);
	return true;
}

/*
 * Where task @tid of process @pid is: its state letter (from .../stat),
 * the system call it is in and that call's first two arguments (from
 * .../syscall). The two files are read at different moments, so the call
 * is read before and after the state, and reported (else nr is -1) only
 * when both reads agree: the state then belongs to that call. False when
 * the task is gone.
 */
static inline bool task_where(pid_t pid, pid_t tid, char *state, long *nr,
			      unsigned long args[2])
{
	char path[64], buf[512], *p;
	unsigned long args2[2];
	bool ok = false;
	long nr2;
	FILE *f;

	if (!task_syscall(pid, tid, nr, args))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2]) {
			*state = p[2];
			ok = true;
		}
	}
	fclose(f);
	if (!ok || !task_syscall(pid, tid, &nr2, args2))
		return false;
	if (nr2 != *nr || args2[0] != args[0] || args2[1] != args[1])
		*nr = -1;
	return true;
}

/*
 * Waits up to 10 s until task @tid of @pid sleeps (state S) in system
 * call @nr or @nr2 (-1: no second one) with first arguments @a0 and @a1
 * (ANY_ARG: any). False, with the reason on stderr, when the time runs out
 * or the task exits first: a call that returned at once never slept.
 */
static inline bool await_in_syscall(pid_t pid, pid_t tid, long nr, long nr2,
				    unsigned long a0, unsigned long a1)
{
	double end = sd_now() + 10;
	unsigned long args[2];
	char state = '?';
	long cur = -1;

	while (sd_now() < end) {
		if (!task_where(pid, tid, &state, &cur, args) || state == 'Z' ||
		    state == 'X') {
			fprintf(stderr, "# task %d exited before it slept in syscall %ld\n",
				(int)tid, nr);
			return false;
		}
		if (state == 'S' && (cur == nr || (nr2 >= 0 && cur == nr2)) &&
		    (a0 == ANY_ARG || args[0] == a0) &&
		    (a1 == ANY_ARG || args[1] == a1))
			return true;
		usleep(1000);
	}
	fprintf(stderr, "# task %d not asleep in syscall %ld after 10 s (state %c, syscall %ld)\n",
		(int)tid, nr, state, cur);
	return false;
}

/* Kills and reaps the children a failed test leaves behind. */
static inline void kill_all(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
}

/*
 * Reaps the @n children in @pids within @secs seconds; returns how many
 * exited with 0. Those still running then are reported, killed and count
 * as failed: a child that never wakes fails the test instead of hanging it.
 */
static inline int reap_within(pid_t *pids, int n, int secs)
{
	double end = sd_now() + secs;
	int ok = 0, left;

	do {
		left = 0;
		for (int i = 0; i < n; i++) {
			int status;
			pid_t r;

			if (pids[i] <= 0)
				continue;
			r = waitpid(pids[i], &status, WNOHANG);
			if (r == pids[i]) {
				ok += sd_status_ok(r, status);
				pids[i] = 0;
			} else if (r < 0 && errno != EINTR) {
				fprintf(stderr, "# waitpid(%d): %s\n", (int)pids[i],
					strerror(errno));
				pids[i] = 0;
			} else {
				left++;
			}
		}
		if (left)
			usleep(1000);
	} while (left && sd_now() < end);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			fprintf(stderr, "# child %d still running after %d s\n",
				(int)pids[i], secs);
	kill_all(pids, n);
	return ok;
}

/* Bytes of page @i of @psz bytes inside a region of @size bytes. */
static inline size_t sd_page_coverage(uint64_t size, unsigned long i, long psz)
{
	uint64_t start = (uint64_t)i * psz;

	if (size <= start)
		return 0;
	return size - start < (uint64_t)psz ? size - start : (size_t)psz;
}

/* Each byte of the region's pages gets a value that depends on its offset. */
static inline char pattern(unsigned long off, unsigned int seed)
{
	return (char)((off * 131 + seed * 7 + (off >> 12)) | 1);
}

static inline bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Page stamps. A writer puts a stamp at the start of a page: which region
 * (a number of the test's choosing), which page index, which generation
 * (how many times the test has rewritten that page), and a check word
 * over the three. A reader that finds zeroes where it knows a stamp was
 * written has caught a page that was dropped and refaulted fresh; a stamp
 * with another index caught a page mapped at the wrong place.
 */
#define SD_STAMP_MAGIC	0x5348444556535450ULL	/* "SHDEVSTP" */

struct sd_stamp {
	uint64_t magic;
	uint64_t region;
	uint64_t index;
	uint64_t gen;
	uint64_t check;
};

enum sd_stamp_state {
	SD_STAMP_OK,		/* a valid stamp of this region and index */
	SD_STAMP_ZERO,		/* all zero: never stamped, or lost */
	SD_STAMP_TORN,		/* a stamp being written, or garbage */
	SD_STAMP_MISPLACED,	/* a valid stamp of another region or index */
};

static inline uint64_t sd_stamp_check(uint64_t region, uint64_t index,
				      uint64_t gen)
{
	return SD_STAMP_MAGIC ^ (region * 0x9e3779b97f4a7c15ULL) ^
	       (index * 0xc2b2ae3d27d4eb4fULL) ^ (gen * 0x165667b19e3779f9ULL);
}

/*
 * Writes the stamp with plain stores; readers in other processes may see
 * it half-written (TORN) and must only judge a page they know is quiet.
 */
static inline void sd_stamp_write(void *page, uint64_t region, uint64_t index,
				  uint64_t gen)
{
	volatile struct sd_stamp *s = page;

	s->magic = SD_STAMP_MAGIC;
	s->region = region;
	s->index = index;
	s->gen = gen;
	s->check = sd_stamp_check(region, index, gen);
}

/* Reads a stamp; @gen gets its generation when the state is OK. */
static inline enum sd_stamp_state sd_stamp_read(const void *page,
						uint64_t region, uint64_t index,
						uint64_t *gen)
{
	struct sd_stamp s;

	memcpy(&s, (const void *)page, sizeof(s));
	if (all_zero((const char *)&s, sizeof(s)))
		return SD_STAMP_ZERO;
	if (s.magic != SD_STAMP_MAGIC ||
	    s.check != sd_stamp_check(s.region, s.index, s.gen))
		return SD_STAMP_TORN;
	if (s.region != region || s.index != index)
		return SD_STAMP_MISPLACED;
	if (gen)
		*gen = s.gen;
	return SD_STAMP_OK;
}

static inline const char *sd_stamp_name(enum sd_stamp_state st)
{
	switch (st) {
	case SD_STAMP_OK: return "ok";
	case SD_STAMP_ZERO: return "zeroes (page lost)";
	case SD_STAMP_TORN: return "torn or garbage";
	case SD_STAMP_MISPLACED: return "another page's stamp";
	}
	return "?";
}

/*
 * Whole-page images. A stamped page holds, from offset 0, the stamp and
 * then bytes that depend on (region, index, gen) and the offset, so that
 * a page half of one generation and half of another, or a page whose
 * tail was lost, shows too. A test that tracks how many leading bytes of
 * a page still hold its image (@valid: a shrink into the page zeroes the
 * rest, a shrink past it leaves none) compares every byte it can read.
 */
static inline unsigned char sd_stamp_body(uint64_t region, uint64_t index,
					  uint64_t gen, size_t off)
{
	uint64_t k = sd_stamp_check(region, index, gen) + (off >> 3);

	k = (k ^ (k >> 29)) * 0xbf58476d1ce4e5b9ULL;
	return (unsigned char)(k >> ((off & 7) * 8)) | 1;
}

/* Fills @len bytes (a page or a leading part of one) with the image. */
static inline void sd_stamp_fill(void *buf, size_t len, uint64_t region,
				 uint64_t index, uint64_t gen)
{
	unsigned char *b = buf;
	struct sd_stamp s;

	sd_stamp_write(&s, region, index, gen);
	memcpy(b, &s, len < sizeof(s) ? len : sizeof(s));
	for (size_t off = sizeof(s); off < len; off++)
		b[off] = sd_stamp_body(region, index, gen, off);
}

/*
 * Compares @len bytes read from the start of a page with what it must
 * hold: the image of (region, index, gen) over [0, @valid), zeroes over
 * [@valid, @len). Returns the offset of the first wrong byte, or @len.
 */
static inline size_t sd_stamp_diff(const void *page, size_t len, size_t valid,
				   uint64_t region, uint64_t index, uint64_t gen)
{
	const unsigned char *b = page;
	unsigned char want[sizeof(struct sd_stamp)];
	size_t head = sizeof(want) < len ? sizeof(want) : len;

	sd_stamp_fill(want, sizeof(want), region, index, gen);
	for (size_t off = 0; off < len; off++) {
		unsigned char w;

		if (off >= valid)
			w = 0;
		else if (off < head)
			w = want[off];
		else
			w = sd_stamp_body(region, index, gen, off);
		if (b[off] != w)
			return off;
	}
	return len;
}

/*
 * Says in @out what a page that failed sd_stamp_diff() holds instead:
 * zeroes where a stamp was due (lost), this page's stamp of another
 * generation (a lost or stale write), another page's stamp, or garbage.
 */
static inline void sd_stamp_explain(char *out, size_t outlen, const void *page,
				    size_t len, size_t valid, uint64_t region,
				    uint64_t index, uint64_t gen, size_t bad)
{
	const unsigned char *b = page;
	const struct sd_stamp *s = page;
	enum sd_stamp_state st = SD_STAMP_TORN;
	uint64_t found = 0;

	if (len >= sizeof(*s))
		st = sd_stamp_read(page, region, index, &found);
	if (bad < valid && all_zero(page, valid < len ? valid : len))
		snprintf(out, outlen,
			 "zeroes where generation %llu's %zu stamped bytes are due: page lost",
			 (unsigned long long)gen, valid);
	else if (st == SD_STAMP_OK && found != gen)
		snprintf(out, outlen,
			 "stamp of generation %llu, %llu expected: a write lost or stale (byte %zu is %#x)",
			 (unsigned long long)found, (unsigned long long)gen,
			 bad, b[bad]);
	else if (st == SD_STAMP_MISPLACED)
		snprintf(out, outlen,
			 "stamp of region %#llx page %llu, not of page %llu",
			 (unsigned long long)s->region,
			 (unsigned long long)s->index,
			 (unsigned long long)index);
	else
		snprintf(out, outlen,
			 "byte %zu is %#x, expected %s (generation %llu, %zu bytes stamped; stamp %s)",
			 bad, b[bad], bad < valid ? "the stamp's" : "zero",
			 (unsigned long long)gen, valid, sd_stamp_name(st));
}

#endif /* SHMDEV_COMMON_H */
