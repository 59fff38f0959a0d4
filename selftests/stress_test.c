// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: processes at random open and close files, map and unmap ranges,
 * fault, read and write, resize up and down, notify and wait with random
 * timeouts, fork, and are killed with SIGKILL in the middle of all that,
 * for a bounded time ($SHMDEV_STRESS_SECONDS, default 10) and seeded
 * ($SHMDEV_STRESS_SEED; the seed is printed).
 *
 * Integrity under concurrent resizes: the first CTL pages are a control
 * area the resizes never cut (sizes stay page-aligned and >= CTL pages).
 * Data page i belongs to worker i % NWORKERS. Its owner marks the page's
 * record busy, writes the page, reads it back, and records its checksum
 * (or "unknown" when a shrink cut it meanwhile). Truncation only ever
 * leaves a page all zero. So a checker that finds a record idle and
 * unchanged across its read of the page must see either the recorded
 * checksum or all zeroes; anything else is a lost write, a freed page
 * mapped again, or another page's data.
 */

#include <sys/mman.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define CTL		4	/* control pages, never truncated */
#define DATA		60	/* data pages at most */
#define NPAGES		(CTL + DATA)
#define NWORKERS	5

#define REC_BUSY	1U
#define REC_UNKNOWN	2U
#define REC_VERSION	4U	/* the version counts in steps of 4 */

struct record {
	_Atomic unsigned int state;
	_Atomic unsigned int sum;
};

struct control {
	struct record rec[NPAGES];
	_Atomic unsigned long ops, checks, sigbus, kills, forks;
	_Atomic int failed;
	char why[200];
};

static long psz;

static unsigned long next_rand(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int checksum(const unsigned char *p)
{
	unsigned int s = 0x9e3779b9;

	for (long i = 0; i < psz; i++)
		s = (s ^ p[i]) * 16777619U;
	return s;
}

static void fail(struct control *c, const char *what, unsigned long page)
{
	if (!c->failed++)
		snprintf(c->why, sizeof(c->why), "%s (page %lu)", what, page);
}

/* Checks data page @i through pread(); skips it while it is being written. */
static void check_page(struct control *c, int fd, unsigned long i)
{
	unsigned char *buf = malloc(psz);
	unsigned int s1, sum, s2;
	ssize_t n;
	bool zero;

	if (!buf)
		return;
	s1 = c->rec[i].state;
	sum = c->rec[i].sum;
	n = pread(fd, buf, psz, i * psz);
	s2 = c->rec[i].state;
	if (n < 0) {
		fail(c, "pread failed", i);
	} else if (s1 == s2 && sum == c->rec[i].sum && !(s1 & (REC_BUSY | REC_UNKNOWN))) {
		/* Beyond the size reads as nothing: as good as zeroes. */
		memset(buf + n, 0, psz - n);
		zero = all_zero((char *)buf, psz);
		if (!zero && (s1 == 0 || checksum(buf) != sum))
			fail(c, "page holds data that was never committed to it", i);
		c->checks++;
	}
	free(buf);
}

/* Owner's write of page @i through mapping @p of NPAGES pages. */
static void write_page(struct control *c, char *p, unsigned long i, unsigned long *r)
{
	struct record *rec = &c->rec[i];
	unsigned int v = (rec->state & ~(REC_BUSY | REC_UNKNOWN)) + REC_VERSION;
	unsigned char seed = next_rand(r) | 1;
	unsigned int sum;
	char x;

	rec->state = v | REC_BUSY;
	for (long k = 0; k < psz; k += 64) {
		if (probe_write(p + i * psz + k, (char)(seed + k))) {
			c->sigbus++;
			rec->state = v | REC_UNKNOWN;
			return;
		}
	}
	/* Read back what the page holds now; a shrink may have cut it. */
	for (long k = 0; k < psz; k++) {
		if (probe_read(p + i * psz + k, &x)) {
			c->sigbus++;
			rec->state = v | REC_UNKNOWN;
			return;
		}
	}
	sum = checksum((unsigned char *)p + i * psz);
	rec->sum = sum;
	rec->state = v;
}

static void worker(int id, double end, unsigned long seed)
{
	int fd = shmdev_open(O_RDWR), extra = -1;
	unsigned long r = seed * 2654435761UL + id + 1;
	struct control *c;
	char *p, *q = NULL;
	size_t qlen = 0;
	__u64 seq = 0;

	if (fd < 0)
		_exit(10);
	c = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED)
		_exit(11);
	p = (char *)c;
	probe_install();

	while (now() < end && !c->failed) {
		unsigned long op = next_rand(&r) % 100, i;

		c->ops++;
		if (op < 30) {
			/* Write one of my pages. */
			i = CTL + id + NWORKERS * (next_rand(&r) % (DATA / NWORKERS));
			write_page(c, p, i, &r);
		} else if (op < 55) {
			check_page(c, fd, CTL + next_rand(&r) % DATA);
		} else if (op < 60 && id == 0) {
			/* Resize, page-aligned, never into the control area. */
			__u64 size = (CTL + next_rand(&r) % (DATA + 1)) * psz;

			if (shmdev_set_size(fd, size))
				fail(c, "SET_SIZE failed", 0);
		} else if (op < 68) {
			struct shmdev_wait w = { .seq = seq,
				.timeout_ns = (__s64)(next_rand(&r) % 2000000) };

			if (next_rand(&r) & 1) {
				ioctl(fd, SHMDEV_IOC_NOTIFY, &seq);
			} else if (!ioctl(fd, SHMDEV_IOC_WAIT, &w)) {
				seq = w.seq;
			} else if (errno != ETIMEDOUT && errno != EINTR) {
				fail(c, "WAIT failed", 0);
			}
		} else if (op < 76) {
			/* Map or unmap a random range with random protection. */
			if (q) {
				munmap(q, qlen);
				q = NULL;
			} else {
				unsigned long off = next_rand(&r) % NPAGES;
				unsigned long len = 1 + next_rand(&r) % (NPAGES - off);
				int prot = next_rand(&r) & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
				char x;

				q = mmap(NULL, len * psz, prot, MAP_SHARED, fd, off * psz);
				if (q == MAP_FAILED) {
					fail(c, "mmap failed", off);
					q = NULL;
				} else {
					qlen = len * psz;
					if (probe_read(q + (next_rand(&r) % len) * psz, &x))
						c->sigbus++;
					if (next_rand(&r) & 1)
						madvise(q, qlen, MADV_DONTNEED);
					if (next_rand(&r) & 1)
						mprotect(q, qlen, PROT_READ);
				}
			}
		} else if (op < 84) {
			/* Open or close another file. */
			if (extra >= 0) {
				close(extra);
				extra = -1;
			} else {
				extra = shmdev_open(next_rand(&r) & 1 ? O_RDONLY : O_RDWR);
			}
		} else if (op < 90) {
			struct shmdev_info info;

			if (shmdev_info(fd, &info) || info.size > (__u64)NPAGES * psz ||
			    info.nr_pages > NPAGES)
				fail(c, "GET_INFO out of bounds", info.nr_pages);
		} else if (op < 94) {
			/* A child that reads a little, killed or not. */
			pid_t pid = fork();

			c->forks++;
			if (pid == 0) {
				for (int k = 0; k < 20; k++)
					check_page(c, fd, CTL + next_rand(&r) % DATA);
				_exit(0);
			}
			if (pid > 0) {
				if (next_rand(&r) & 1) {
					kill(pid, SIGKILL);
					c->kills++;
				}
				waitpid(pid, NULL, 0);
			}
		} else {
			char buf[64];
			__u64 off = (next_rand(&r) % (NPAGES * psz));

			/* I/O into the control area's bytes must stay in bounds. */
			if (pread(fd, buf, sizeof(buf), off) < 0 && errno != EFAULT)
				fail(c, "pread failed", off / psz);
		}
	}
	_exit(c->failed ? 1 : 0);
}

FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/* The run's own length is bounded by $SHMDEV_STRESS_SECONDS; this by far. */
TEST_F_TIMEOUT(stress, run, 3600)
{
	const char *s = getenv("SHMDEV_STRESS_SECONDS");
	const char *sd = getenv("SHMDEV_STRESS_SEED");
	double secs = s ? atof(s) : 10, end;
	unsigned long seed = sd ? strtoul(sd, NULL, 0) : (unsigned long)time(NULL);
	unsigned long r = seed;
	struct shmdev_info info;
	pid_t pids[NWORKERS];
	struct control *c;
	int fd;

	psz = page_size();
	ASSERT_GE(psz * NPAGES, (long)sizeof(struct control));
	TH_LOG("seed %lu, %.0f seconds (SHMDEV_STRESS_SEED=%lu replays)", seed, secs, seed);
	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_reset(fd, NPAGES * psz));
	c = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, c);

	end = now() + secs;
	for (int w = 0; w < NWORKERS; w++) {
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			worker(w, end, seed);
	}
	/* Kill a random worker now and then, and start it again. */
	while (now() < end && !c->failed) {
		int w = next_rand(&r) % NWORKERS;

		usleep(200000 + next_rand(&r) % 300000);
		if (now() >= end)
			break;
		kill(pids[w], SIGKILL);
		waitpid(pids[w], NULL, 0);
		c->kills++;
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			worker(w, end, seed + c->kills);
	}
	for (int w = 0; w < NWORKERS; w++)
		EXPECT_TRUE(child_ok(pids[w]));

	/* Quiet now: every page must check out, but those a killed owner left busy. */
	for (unsigned long i = CTL; i < NPAGES; i++)
		check_page(c, fd, i);
	TH_LOG("%lu operations, %lu page checks, %lu SIGBUS, %lu forks, %lu kills",
	       (unsigned long)c->ops, (unsigned long)c->checks,
	       (unsigned long)c->sigbus, (unsigned long)c->forks,
	       (unsigned long)c->kills);
	EXPECT_EQ(0, c->failed) TH_LOG("%s", c->why);
	/* It did run: even a loaded debug kernel manages hundreds. */
	EXPECT_LT(100UL, (unsigned long)c->ops);

	/* Every page comes back; nothing stays mapped or open. */
	munmap(c, NPAGES * psz);
	ASSERT_EQ(0, shmdev_set_size(fd, 0));
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_EQ(0ULL, info.nr_pages);
	EXPECT_EQ(0U, info.nr_mappings);
	EXPECT_EQ(1U, info.nr_files);
	close(fd);
}

SHMDEV_TEST_MAIN
