// SPDX-License-Identifier: GPL-2.0
/*
 * Resize against fault: one process resizes the region up and down in a
 * loop while others fault pages in, write and read them through their own
 * mappings and through pread()/pwrite(), for a bounded time.
 *
 * Every byte of page i is either 0 or tag(i). A freed page mapped again,
 * a page of another index, or stale data after a shrink would show as any
 * other value. The run must leave no kernel report (checked by the VM
 * runner) and no page beyond the size.
 */

#include <sys/mman.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define NPAGES		64
#define SECONDS		3

static char tag(unsigned long page)
{
	return (char)(page * 2 + 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift: cheap, and each child seeds its own. */
static unsigned long next_rand(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void resizer(long psz, double end)
{
	int fd = shmdev_open(O_RDWR);
	unsigned long r = 0x9e3779b97f4a7c15UL;

	if (fd < 0)
		_exit(10);
	while (now() < end) {
		/* Page-aligned and not, down to 0 and up to the whole mapping. */
		__u64 size = next_rand(&r) % (NPAGES * psz + 1);

		if (next_rand(&r) & 1)
			size &= ~(__u64)(psz - 1);
		if (shmdev_set_size(fd, size))
			_exit(11);
	}
	_exit(0);
}

static void faulter(long psz, double end, unsigned long seed)
{
	int fd = shmdev_open(O_RDWR);
	unsigned long r = seed;
	char *p;

	if (fd < 0)
		_exit(10);
	p = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(11);
	probe_install();
	while (now() < end) {
		unsigned long page = next_rand(&r) % NPAGES;
		unsigned long off = next_rand(&r) % psz;
		char c;
		int sig;

		if (next_rand(&r) & 1) {
			sig = probe_write(p + page * psz + off, tag(page));
		} else {
			sig = probe_read(p + page * psz + off, &c);
			if (!sig && c && c != tag(page))
				_exit(12);
		}
		if (sig && sig != SIGBUS)
			_exit(13);
	}
	_exit(0);
}

static void io_worker(long psz, double end, unsigned long seed)
{
	int fd = shmdev_open(O_RDWR);
	unsigned long r = seed;
	char buf[64];

	if (fd < 0)
		_exit(10);
	while (now() < end) {
		unsigned long page = next_rand(&r) % NPAGES;
		unsigned long off = next_rand(&r) % (psz - sizeof(buf));
		ssize_t n;

		if (next_rand(&r) & 1) {
			memset(buf, tag(page), sizeof(buf));
			n = pwrite(fd, buf, sizeof(buf), page * psz + off);
			if (n < 0 && errno != ENOSPC)
				_exit(11);
		} else {
			n = pread(fd, buf, sizeof(buf), page * psz + off);
			if (n < 0)
				_exit(12);
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] && buf[i] != tag(page))
					_exit(13);
		}
	}
	_exit(0);
}

TEST(resize_against_fault)
{
	long psz = page_size();
	struct shmdev_info info;
	double end = now() + SECONDS;
	pid_t pids[4];
	int fd;
	char *p;

	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_reset(fd, NPAGES * psz));

	for (int n = 0; n < 4; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0) {
			if (n == 0)
				resizer(psz, end);
			else if (n == 3)
				io_worker(psz, end, 0x1234567UL);
			else
				faulter(psz, end, 0xabcdefUL * n);
		}
	}
	for (int n = 0; n < 4; n++)
		EXPECT_TRUE(child_ok(pids[n]));

	/* Whatever the last size, no page lies beyond it. */
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_LE(info.nr_pages, (info.size + psz - 1) / psz);

	ASSERT_EQ(0, shmdev_set_size(fd, NPAGES * psz));
	p = mmap(NULL, NPAGES * psz, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (long i = 0; i < NPAGES * psz; i++) {
		char c = p[i];

		if (c && c != tag(i / psz)) {
			TH_LOG("byte %ld of page %ld is %#x", i % psz, i / psz, c & 0xff);
			ASSERT_TRUE(false);
		}
	}
	munmap(p, NPAGES * psz);

	ASSERT_EQ(0, shmdev_set_size(fd, 0));
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_EQ(0ULL, info.nr_pages);
	close(fd);
}

SHMDEV_TEST_MAIN
