// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for documented corners of the API: SEEK_DATA and SEEK_HOLE,
 * POSIX_FADV_DONTNEED, mremap() moving a mapping, the exact poll mask,
 * NOTIFY and WAIT whose result cannot be written, PAGE_INFO's count on
 * EFAULT and on a fatal signal, read() and write() stopped by a fatal
 * signal, GET_INFO's owner and charge of the default region, the node's
 * mode against other users, and readv()/writev().
 *
 * Each failing call is checked for one errno and for having changed
 * nothing. Output buffers are poisoned before each call, so that what the
 * kernel wrote, or did not write, shows.
 */

#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/userfaultfd.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define POISON		0xa5
#define READY		(POLLIN | POLLRDNORM | POLLPRI)
#define ALL_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | \
			 POLLWRNORM | POLLWRBAND)

static off_t pos_of(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

/* What poll() reports for @fd, every event asked for, without blocking. */
static int revents(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = ALL_EVENTS, .revents = -1 };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

static __u64 info_pages(int fd)
{
	struct shmdev_info info;

	if (shmdev_info(fd, &info))
		return ~0ULL;
	return info.nr_pages;
}

static __u32 info_mappings(int fd)
{
	struct shmdev_info info;

	if (shmdev_info(fd, &info))
		return ~0U;
	return info.nr_mappings;
}

/* The sequence @fd acknowledged, from /proc/self/fdinfo. */
static long long acked_seq(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return proc_field(path, "shmdev-acked-seq");
}

/*
 * A copy of @len bytes at @src in private anonymous memory made
 * read-only: a pointer the kernel can read but not write. Unmap it with
 * munmap(p, @psz) (@len is at most a page here).
 */
static void *read_only_copy(const void *src, size_t len, long psz)
{
	size_t maplen = (len + psz - 1) / psz * psz;
	void *p = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, maplen, PROT_READ)) {
		munmap(p, maplen);
		return NULL;
	}
	return p;
}

static bool all_bytes(const void *p, int c, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

FIXTURE(api) {
	int fd;
	long psz;
	__u64 max;
};

FIXTURE_SETUP(api)
{
	self->psz = page_size();
	self->max = shmdev_max_size();
	ASSERT_LT(0ULL, self->max);
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, 4 * self->psz));
}

FIXTURE_TEARDOWN(api)
{
	close(self->fd);
}

/*
 * The region is a file without holes: SEEK_DATA stays where it is and
 * SEEK_HOLE goes to the size, from anywhere below the size, touched pages
 * or not; at or beyond the size, and for a negative offset, both fail
 * with ENXIO and leave the position alone.
 */
TEST_F(api, seek_data_hole)
{
	const off_t size = 2 * self->psz + 100;
	const off_t below[] = { 0, 1, self->psz - 1, self->psz, size - 1 };
	const off_t beyond[] = { size, size + 1, 3 * self->psz, (off_t)self->max,
				 (off_t)self->max + 1, -1 };
	char c = 'd';

	ASSERT_EQ(0, shmdev_set_size(self->fd, size));
	/* Page 1 allocated, pages 0 and 2 not: no difference. */
	ASSERT_EQ(1, pwrite(self->fd, &c, 1, self->psz + 7));

	for (unsigned int i = 0; i < ARRAY_SIZE(below); i++) {
		ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
		EXPECT_EQ(below[i], lseek(self->fd, below[i], SEEK_DATA));
		EXPECT_EQ(below[i], pos_of(self->fd));
		ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
		EXPECT_EQ(size, lseek(self->fd, below[i], SEEK_HOLE));
		EXPECT_EQ(size, pos_of(self->fd));
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(beyond); i++) {
		ASSERT_EQ(5, lseek(self->fd, 5, SEEK_SET));
		EXPECT_EQ(-1, lseek(self->fd, beyond[i], SEEK_DATA));
		EXPECT_EQ(ENXIO, errno) TH_LOG("SEEK_DATA %lld", (long long)beyond[i]);
		EXPECT_EQ(-1, lseek(self->fd, beyond[i], SEEK_HOLE));
		EXPECT_EQ(ENXIO, errno) TH_LOG("SEEK_HOLE %lld", (long long)beyond[i]);
		EXPECT_EQ(5, pos_of(self->fd));
	}
	/* The position SEEK_DATA gave reads the region's bytes. */
	ASSERT_EQ(self->psz + 7, lseek(self->fd, self->psz + 7, SEEK_DATA));
	c = 0;
	ASSERT_EQ(1, read(self->fd, &c, 1));
	EXPECT_EQ('d', c);
	/* The queries allocated nothing. */
	EXPECT_EQ(1ULL, info_pages(self->fd));
}

/* An empty region has neither data nor a hole; growing it makes both. */
TEST_F(api, seek_data_hole_empty)
{
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_HOLE));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(0, pos_of(self->fd));

	ASSERT_EQ(0, shmdev_set_size(self->fd, 1));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_DATA));
	EXPECT_EQ(1, lseek(self->fd, 0, SEEK_HOLE));
	EXPECT_EQ(-1, lseek(self->fd, 1, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(1, pos_of(self->fd));
}

/*
 * POSIX_FADV_DONTNEED succeeds and drops nothing: pages written with
 * write() and through a mapping, mapped or not, keep their bytes.
 */
TEST_F(api, fadvise_dontneed_keeps_data)
{
	const size_t len = 4 * self->psz;
	char *buf = malloc(len), *p, *q;

	ASSERT_NE(NULL, buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(i, 3);
	/* Pages 0-1 by write(), 2-3 through a mapping that stays. */
	ASSERT_EQ((ssize_t)(2 * self->psz), pwrite(self->fd, buf, 2 * self->psz, 0));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(p + 2 * self->psz, buf + 2 * self->psz, 2 * self->psz);
	ASSERT_EQ(4ULL, info_pages(self->fd));

	EXPECT_EQ(0, posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	EXPECT_EQ(0, posix_fadvise(self->fd, self->psz, self->psz,
				   POSIX_FADV_DONTNEED));
	EXPECT_EQ(4ULL, info_pages(self->fd));
	EXPECT_EQ(0, memcmp(p, buf, len));

	/* Unmapped and advised again: still there, read with read(). */
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	EXPECT_EQ(4ULL, info_pages(self->fd));
	q = malloc(len);
	ASSERT_NE(NULL, q);
	memset(q, POISON, len);
	ASSERT_EQ((ssize_t)len, pread(self->fd, q, len, 0));
	EXPECT_EQ(0, memcmp(q, buf, len));
	free(q);
	free(buf);
}

/*
 * A mapping moved by mremap() keeps its data and its sharing: another
 * mapping, read() and a fork() child see its writes and it sees theirs,
 * and a shrink still revokes its pages. Growing it fails with EFAULT and
 * leaves it as it was.
 */
TEST_F(api, mremap_move)
{
	const size_t len = 4 * self->psz;
	char *p, *dst, *q, *r, c;
	size_t i;
	pid_t pid;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < len; i++)
		p[i] = pattern(i, 5);
	/* A free place to move to. */
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	EXPECT_EQ(1U, info_mappings(self->fd));
	for (i = 0; i < len && q[i] == pattern(i, 5); i++)
		;
	EXPECT_EQ(len, i) TH_LOG("byte %zu differs after the move", i);
	/* The old range is gone. */
	probe_install();
	EXPECT_EQ(SIGSEGV, probe_read(p, &c));

	/* Shared with a new mapping, with read() and with a child. */
	r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, r);
	EXPECT_EQ(2U, info_mappings(self->fd));
	q[self->psz + 5] = 'Q';
	EXPECT_EQ('Q', r[self->psz + 5]);
	r[3 * self->psz] = 'R';
	EXPECT_EQ('R', q[3 * self->psz]);
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->psz + 5));
	EXPECT_EQ('Q', c);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (q[3 * self->psz] != 'R')
			_exit(1);
		q[2 * self->psz] = 'C';
		_exit(0);
	}
	ASSERT_TRUE(child_ok(pid));
	EXPECT_EQ('C', r[2 * self->psz]);

	/* Growing the moved mapping, in place or moving: EFAULT. */
	ASSERT_EQ(MAP_FAILED, mremap(q, len, 2 * len, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(MAP_FAILED, mremap(q, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(2U, info_mappings(self->fd));
	EXPECT_EQ('Q', q[self->psz + 5]);
	EXPECT_EQ('C', q[2 * self->psz]);

	/* A shrink reaches the moved mapping too. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 2 * self->psz));
	EXPECT_EQ(SIGBUS, probe_read(q + 3 * self->psz, &c));
	EXPECT_EQ(0, probe_read(q + self->psz + 5, &c));
	EXPECT_EQ('Q', c);

	munmap(q, len);
	munmap(r, len);
	EXPECT_EQ(0U, info_mappings(self->fd));
}

/* Moving one page out of a mapping splits it; each part maps its own pages. */
TEST_F(api, mremap_move_part)
{
	const size_t len = 4 * self->psz;
	char *p, *dst, *q, got[2];

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (int i = 0; i < 4; i++)
		p[i * self->psz] = 'a' + i;
	dst = mmap(NULL, self->psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	q = mremap(p + self->psz, self->psz, self->psz,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	/* [p, p + 1 page), [p + 2 pages, p + 4 pages) and q. */
	EXPECT_EQ(3U, info_mappings(self->fd));
	EXPECT_EQ('a', p[0]);
	EXPECT_EQ('b', q[0]);
	EXPECT_EQ('c', p[2 * self->psz]);
	q[1] = 'x';
	p[2 * self->psz + 1] = 'y';

	memset(got, POISON, sizeof(got));
	ASSERT_EQ(1, pread(self->fd, &got[0], 1, self->psz + 1));
	ASSERT_EQ(1, pread(self->fd, &got[1], 1, 2 * self->psz + 1));
	EXPECT_EQ('x', got[0]);
	EXPECT_EQ('y', got[1]);
	munmap(p, self->psz);
	munmap(p + 2 * self->psz, 2 * self->psz);
	munmap(q, self->psz);
	EXPECT_EQ(0U, info_mappings(self->fd));
}

/*
 * poll() reports exactly EPOLLIN | EPOLLRDNORM | EPOLLPRI or nothing,
 * whatever is asked for and however the file was opened: never EPOLLOUT,
 * EPOLLWRNORM or a band.
 */
TEST_F(api, poll_mask_exact)
{
	const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	struct pollfd pfd = {
		.events = POLLOUT | POLLWRNORM | POLLWRBAND, .revents = -1,
	};
	int fds[3], other;

	for (int i = 0; i < 3; i++) {
		fds[i] = shmdev_open(modes[i]);
		ASSERT_LE(0, fds[i]);
	}
	other = shmdev_open(O_RDWR);
	ASSERT_LE(0, other);

	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(0, revents(fds[i])) TH_LOG("mode %d, nothing new", modes[i]);
	}
	ASSERT_NE(~0ULL, notify(other));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(READY, revents(fds[i])) TH_LOG("mode %d, notified", modes[i]);
	}
	/* The notifier acknowledged its own NOTIFY. */
	EXPECT_EQ(0, revents(other));

	/* Asking for writability only: nothing, news or not. */
	pfd.fd = fds[2];
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(other);
}

/* epoll: the same exact mask, never EPOLLOUT. */
TEST_F(api, epoll_never_out)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDNORM |
			  EPOLLWRNORM | EPOLLRDBAND | EPOLLWRBAND,
		.data.u64 = 42,
	}, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), other;

	ASSERT_LE(0, ep);
	other = shmdev_open(O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));

	memset(&out, POISON, sizeof(out));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_NE(~0ULL, notify(other));
	memset(&out, POISON, sizeof(out));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_EQ((__u32)(EPOLLIN | EPOLLRDNORM | EPOLLPRI), out.events);
	EXPECT_EQ(42ULL, (unsigned long long)out.data.u64);
	close(ep);
	close(other);
}

/* select(): readable and exceptional on news, never writable. */
TEST_F(api, select_never_writable)
{
	struct timeval tv = { 0, 0 };
	fd_set r, w, x;
	int other = shmdev_open(O_RDWR);

	ASSERT_LE(0, other);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(self->fd, &r);
	FD_SET(self->fd, &w);
	FD_SET(self->fd, &x);
	EXPECT_EQ(0, select(self->fd + 1, &r, &w, &x, &tv));

	ASSERT_NE(~0ULL, notify(other));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(self->fd, &r);
	FD_SET(self->fd, &w);
	FD_SET(self->fd, &x);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	EXPECT_EQ(2, select(self->fd + 1, &r, &w, &x, &tv));
	EXPECT_TRUE(FD_ISSET(self->fd, &r));
	EXPECT_FALSE(FD_ISSET(self->fd, &w));
	EXPECT_TRUE(FD_ISSET(self->fd, &x));
	close(other);
}

/*
 * NOTIFY with a result pointer it can read but not write: EFAULT, the
 * sequence does not move, no waiter or poller is woken and the file
 * acknowledges nothing.
 */
TEST_F(api, notify_readonly_result)
{
	const __u64 poison = 0xa5a5a5a5a5a5a5a5ULL;
	int other = shmdev_open(O_RDWR);
	long long acked;
	__u64 *ro, seq;

	ASSERT_LE(0, other);
	ro = read_only_copy(&poison, sizeof(poison), self->psz);
	ASSERT_NE(NULL, ro);

	/* Nothing new for self->fd: it stays not ready. */
	seq = info_seq(self->fd);
	acked = acked_seq(self->fd);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_NOTIFY, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(seq, info_seq(self->fd));
	EXPECT_EQ(poison, *ro);
	EXPECT_EQ(0, revents(self->fd));
	EXPECT_EQ(0, revents(other));
	EXPECT_EQ(acked, acked_seq(self->fd));

	/* News from another file: self->fd stays ready after a failed NOTIFY. */
	seq = notify(other);
	ASSERT_NE(~0ULL, seq);
	ASSERT_EQ(READY, revents(self->fd));
	acked = acked_seq(self->fd);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_NOTIFY, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(seq, info_seq(self->fd));
	EXPECT_EQ(READY, revents(self->fd));
	EXPECT_EQ(0, revents(other));
	EXPECT_EQ(acked, acked_seq(self->fd));
	munmap(ro, self->psz);
	close(other);
}

/*
 * WAIT that finds news but cannot write the result: EFAULT, and the file
 * acknowledges nothing, so poll() still reports it ready. A good WAIT
 * then acknowledges, and poll() no longer does.
 */
TEST_F(api, wait_efault_acks_nothing)
{
	struct shmdev_wait w, *ro;
	int other = shmdev_open(O_RDWR);
	long long acked;
	__u64 old, seq;

	ASSERT_LE(0, other);
	old = info_seq(self->fd);
	seq = notify(other);
	ASSERT_EQ(old + 1, seq);
	ASSERT_EQ(READY, revents(self->fd));
	acked = acked_seq(self->fd);
	ASSERT_EQ((long long)old, acked);

	memset(&w, 0, sizeof(w));
	w.seq = old;
	w.timeout_ns = 0;
	ro = read_only_copy(&w, sizeof(w), self->psz);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, memcmp(ro, &w, sizeof(w)));
	EXPECT_EQ(READY, revents(self->fd));
	EXPECT_EQ(acked, acked_seq(self->fd));
	EXPECT_EQ(seq, info_seq(self->fd));

	/* The same with a timeout, the news arriving first: still nothing. */
	munmap(ro, self->psz);
	w.timeout_ns = 1000000000;
	ro = read_only_copy(&w, sizeof(w), self->psz);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(READY, revents(self->fd));
	EXPECT_EQ(acked, acked_seq(self->fd));
	munmap(ro, self->psz);

	/* A WAIT that can write its result acknowledges. */
	memset(&w, 0, sizeof(w));
	w.seq = old;
	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(seq, w.seq);
	EXPECT_EQ(0, revents(self->fd));
	EXPECT_EQ((long long)seq, acked_seq(self->fd));
	close(other);
}

struct ack_race {
	int fd;
	atomic_bool stop;
	atomic_int errors;
	atomic_long rounds;
};

static void *ack_notifier(void *arg)
{
	struct ack_race *a = arg;

	while (!atomic_load(&a->stop)) {
		if (notify(a->fd) == ~0ULL)
			atomic_fetch_add(&a->errors, 1);
		atomic_fetch_add(&a->rounds, 1);
	}
	return NULL;
}

static void *ack_waiter(void *arg)
{
	struct ack_race *a = arg;

	while (!atomic_load(&a->stop)) {
		/* Any other sequence than the current one: returns at once. */
		struct shmdev_wait w = { .seq = ~0ULL, .timeout_ns = 0 };

		if (ioctl(a->fd, SHMDEV_IOC_WAIT, &w))
			atomic_fetch_add(&a->errors, 1);
	}
	return NULL;
}

/*
 * NOTIFY and WAIT racing on one file: the acknowledged sequence, sampled
 * all along, never moves back; once both stop it is the region's
 * sequence, so the file is not ready. The window is a few instructions
 * wide and rarely hit here; the next test makes the race happen.
 */
TEST_F(api, ack_never_moves_back)
{
	struct ack_race a = { .fd = self->fd };
	long long last = -1, cur;
	uint64_t end = sd_now_ns() + 1500000000ULL;
	pthread_t n1, n2, w1, w2;
	int backwards = 0;

	ASSERT_EQ(0, pthread_create(&n1, NULL, ack_notifier, &a));
	ASSERT_EQ(0, pthread_create(&n2, NULL, ack_notifier, &a));
	ASSERT_EQ(0, pthread_create(&w1, NULL, ack_waiter, &a));
	ASSERT_EQ(0, pthread_create(&w2, NULL, ack_waiter, &a));
	while (sd_now_ns() < end) {
		cur = acked_seq(self->fd);
		if (cur < last && !backwards++)
			TH_LOG("acknowledged sequence went from %lld back to %lld",
			       last, cur);
		if (cur > last)
			last = cur;
	}
	atomic_store(&a.stop, true);
	pthread_join(n1, NULL);
	pthread_join(n2, NULL);
	pthread_join(w1, NULL);
	pthread_join(w2, NULL);
	TH_LOG("%ld NOTIFY calls", (long)atomic_load(&a.rounds));
	EXPECT_EQ(0, atomic_load(&a.errors));
	EXPECT_EQ(0, backwards);
	EXPECT_EQ((long long)info_seq(self->fd), acked_seq(self->fd));
	EXPECT_EQ(0, revents(self->fd));
}

struct stalled_wait {
	int fd;
	struct shmdev_wait *w;
	int ret, err;
};

static void *stalled_waiter(void *arg)
{
	struct stalled_wait *s = arg;

	s->ret = ioctl(s->fd, SHMDEV_IOC_WAIT, s->w);
	s->err = errno;
	return NULL;
}

/*
 * The same race, made to happen: a WAIT has found the sequence moved and
 * is writing its result to a write-protected page (userfaultfd holds it
 * there) when a NOTIFY through the same file acknowledges a later
 * sequence. The WAIT then completes, returning the older sequence, and
 * must leave the later acknowledgement in place.
 */
TEST_F(api, ack_not_moved_back_by_late_wait)
{
	struct uffdio_api uapi = {
		.api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	struct stalled_wait s = { .fd = self->fd, .ret = 1 };
	struct pollfd pfd;
	struct uffd_msg msg;
	__u64 old, seq, later;
	pthread_t th;
	char *page;
	int uffd, other;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &uapi) ||
	    !(uapi.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP)) {
		close(uffd);
		SKIP(return, "userfaultfd cannot write-protect anonymous memory");
	}
	page = mmap(NULL, self->psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 0, self->psz);
	reg.range.start = (uintptr_t)page;
	reg.range.len = self->psz;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		SKIP(return, "UFFDIO_REGISTER_MODE_WP: %s", strerror(errno));
	}

	other = shmdev_open(O_RDWR);
	ASSERT_LE(0, other);
	old = info_seq(self->fd);
	seq = notify(other);
	ASSERT_EQ(old + 1, seq);
	s.w = (struct shmdev_wait *)page;
	s.w->seq = old;
	s.w->timeout_ns = 0;
	wp.range = reg.range;
	wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));

	ASSERT_EQ(0, pthread_create(&th, NULL, stalled_waiter, &s));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 20000));
	memset(&msg, POISON, sizeof(msg));
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	EXPECT_TRUE(!!(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP));

	/* The WAIT holds seq and waits to write it. */
	later = notify(self->fd);
	EXPECT_EQ(seq + 1, later);
	EXPECT_EQ((long long)later, acked_seq(self->fd));
	wp.mode = 0;	/* write-enable and wake the WAIT */
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(th, NULL));

	EXPECT_EQ(0, s.ret) TH_LOG("WAIT: %s", strerror(s.err));
	EXPECT_EQ(seq, s.w->seq);
	EXPECT_EQ((long long)later, acked_seq(self->fd));
	EXPECT_EQ(0, revents(self->fd));
	close(other);
	close(uffd);
	munmap(page, self->psz);
}

/*
 * PAGE_INFO whose array turns read-only part way: EFAULT, the query's
 * count is not written, and each entry before the fault is either
 * written or left as it was (the documentation says they may be).
 */
TEST_F(api, page_info_efault_count)
{
	const size_t esz = sizeof(struct shmdev_page_info);
	struct shmdev_page_query q, copy;
	struct shmdev_page_info *pi;
	char *buf;

	/* Four pages, none allocated: a written entry is all zero. */
	ASSERT_EQ(0ULL, info_pages(self->fd));
	buf = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, POISON, 2 * self->psz);
	/* Entries 0 and 1 writable, 2 and 3 on the read-only page. */
	pi = (struct shmdev_page_info *)(buf + self->psz - 2 * esz);
	ASSERT_EQ(0, mprotect(buf + self->psz, self->psz, PROT_READ));

	q = (struct shmdev_page_query){
		.index = 0, .pages = (uintptr_t)pi, .count = 4,
	};
	copy = q;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &q));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, memcmp(&q, &copy, sizeof(q)));
	for (int i = 0; i < 2; i++) {
		bool written = all_bytes(&pi[i], 0, esz);

		EXPECT_TRUE(written || all_bytes(&pi[i], POISON, esz))
			TH_LOG("entry %d is neither written nor untouched", i);
		TH_LOG("entry %d before the fault: %s", i,
		       written ? "written" : "untouched");
	}
	EXPECT_TRUE(all_bytes(buf + self->psz, POISON, self->psz));
	EXPECT_EQ(0ULL, info_pages(self->fd));
	munmap(buf, 2 * self->psz);
}

/*
 * PAGE_INFO whose query can be read but not written back: EFAULT. The
 * entries may have been written; nothing was allocated.
 */
TEST_F(api, page_info_query_readonly)
{
	struct shmdev_page_info pi[4];
	struct shmdev_page_query q, *ro;

	memset(pi, POISON, sizeof(pi));
	q = (struct shmdev_page_query){ .pages = (uintptr_t)pi, .count = 4 };
	ro = read_only_copy(&q, sizeof(q), self->psz);
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, memcmp(ro, &q, sizeof(q)));
	for (int i = 0; i < 4; i++)
		EXPECT_TRUE(all_bytes(&pi[i], 0, sizeof(pi[i])) ||
			    all_bytes(&pi[i], POISON, sizeof(pi[i])));
	EXPECT_EQ(0ULL, info_pages(self->fd));
	munmap(ro, self->psz);
}

/*
 * A long PAGE_INFO query: as many entries as the region may have pages
 * (at most 64 Ki), in memory shared with the parent so that it sees what
 * a child's query wrote.
 */
struct long_query {
	struct shmdev_page_query q;
	atomic_int handled;	/* SIGUSR1 handler runs */
	atomic_int done;	/* queries the child finished */
	int ret, err;
	struct shmdev_page_info pi[];
};

static struct long_query *lq_shared;

static void lq_on_usr1(int sig)
{
	atomic_fetch_add(&lq_shared->handled, 1);
}

static __u32 long_query_pages(__u64 max, long psz)
{
	__u64 pages = max / psz;

	return pages > 65536 ? 65536 : (__u32)pages;
}

static size_t long_query_len(__u32 n)
{
	return sizeof(struct long_query) + (size_t)n * sizeof(struct shmdev_page_info);
}

static void long_query_arm(struct long_query *lq, __u32 n)
{
	memset(lq->pi, POISON, (size_t)n * sizeof(lq->pi[0]));
	lq->q = (struct shmdev_page_query){
		.index = 0, .pages = (uintptr_t)lq->pi, .count = n,
	};
	lq->ret = 1;
	lq->err = 0;
}

/* Entries of @lq written (all zero: no page is allocated) from the start. */
static __u32 long_query_written(struct long_query *lq, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (!all_bytes(&lq->pi[i], 0, sizeof(lq->pi[i])))
			break;
	return i;
}

/*
 * Signals that are not fatal do not interrupt PAGE_INFO: a child whose
 * SIGUSR1 handler runs over and over, without SA_RESTART, gets every one
 * of its long queries done, each with the full count.
 */
TEST_F(api, page_info_not_interrupted)
{
	const __u32 n = long_query_pages(self->max, self->psz);
	const int rounds = 5;
	struct sigaction sa = { .sa_handler = lq_on_usr1 };
	struct long_query *lq;
	int status = 0;
	bool reaped = false;
	pid_t pid;

	ASSERT_EQ(0, shmdev_reset(self->fd, (__u64)n * self->psz));
	lq = mmap(NULL, long_query_len(n), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, lq);
	lq_shared = lq;
	/* Installed before fork(): the child never dies of SIGUSR1. */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (int i = 0; i < rounds; i++) {
			long_query_arm(lq, n);
			if (ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &lq->q))
				_exit(10 + errno % 100);
			if (lq->q.count != n || long_query_written(lq, n) != n)
				_exit(2);
			atomic_fetch_add(&lq->done, 1);
		}
		_exit(0);
	}
	/* Signal it until it is done. */
	while (atomic_load(&lq->done) < rounds) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
			break;
		}
		kill(pid, SIGUSR1);
		usleep(200);
	}
	if (reaped) {
		EXPECT_TRUE(sd_status_ok(pid, status));
	} else {
		EXPECT_TRUE(child_ok(pid));
	}
	EXPECT_EQ(rounds, atomic_load(&lq->done));
	TH_LOG("%d queries of %u pages, %d signals handled", rounds, n,
	       atomic_load(&lq->handled));
	EXPECT_LT(0, atomic_load(&lq->handled));
	munmap(lq, long_query_len(n));
}

/*
 * A fatal signal during a long PAGE_INFO query ends it: the EINTR it
 * returns is never seen, since the process dies, but what the query left
 * in memory shared with the parent is. A query interrupted part way has
 * written the entries before the interruption and not the count; a query
 * that finished wrote them all and the count. The kill is timed to land
 * in the middle of a query, from the time one takes; attempts that land
 * before or after it prove nothing and are retried.
 */
TEST_F(api, page_info_killed)
{
	const __u32 n = long_query_pages(self->max, self->psz);
	struct long_query *lq;
	uint64_t t0, full_ns;
	int hits = 0, attempt;

	ASSERT_EQ(0, shmdev_reset(self->fd, (__u64)n * self->psz));
	lq = mmap(NULL, long_query_len(n), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, lq);

	long_query_arm(lq, n);
	t0 = sd_now_ns();
	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &lq->q));
	full_ns = sd_now_ns() - t0;
	ASSERT_EQ(n, lq->q.count);
	TH_LOG("a query of %u pages takes %.1f ms", n, full_ns / 1e6);
	if (full_ns < 2000000)
		SKIP(goto out, "a query of %u pages takes %.2f ms: too short to kill in its middle",
		     n, full_ns / 1e6);

	for (attempt = 0; attempt < 20 && hits < 3; attempt++) {
		__u32 written;
		int pipefd[2];
		pid_t pid;
		char c;

		long_query_arm(lq, n);
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(pipefd[0]);
			if (write(pipefd[1], "g", 1) != 1)
				_exit(3);
			lq->ret = ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &lq->q);
			lq->err = errno;
			_exit(0);
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		/* Kill it once the query has begun to write its entries. */
		for (double end = sd_now() + 1;
		     !long_query_written(lq, n) && sd_now() < end;)
			;
		kill(pid, SIGKILL);
		if (!child_killed_by(pid, SIGKILL)) {
			/* Finished first: then it succeeded, whole. */
			EXPECT_EQ(0, lq->ret);
			EXPECT_EQ(n, lq->q.count);
			continue;
		}
		written = long_query_written(lq, n);
		/* Entries are written in order, the rest left alone. */
		EXPECT_TRUE(all_bytes(&lq->pi[written], POISON,
				      (size_t)(n - written) * sizeof(lq->pi[0])));
		/*
		 * Interrupted part way, the count is as given; finished, it
		 * is the full count, the same number. Never the partial one.
		 */
		EXPECT_EQ(n, lq->q.count) TH_LOG("%u of %u entries written",
						 written, n);
		if (written > 0 && written < n) {
			hits++;
			TH_LOG("killed after %u of %u entries", written, n);
			EXPECT_EQ(1, lq->ret);		/* never returned */
		}
	}
	EXPECT_EQ(0ULL, info_pages(self->fd));
	/*
	 * Each kill was sent while the query was writing: a query that
	 * always ran to its end does not stop on a fatal signal.
	 */
	EXPECT_LT(0, hits) TH_LOG("no kill stopped a query part way in %d attempts",
				  attempt);
out:
	munmap(lq, long_query_len(n));
}

/* Bytes of @len at @p, from the start, that differ from @poison. */
static size_t prefix_not(const unsigned char *p, size_t len, unsigned char poison)
{
	size_t i = 0;

	/* A word at a time: tens of MiB under emulation. */
	while (i + 8 <= len) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (v != poison * 0x0101010101010101ULL)
			break;
		i += 8;
	}
	while (i < len && p[i] != poison)
		i++;
	return i;
}

/* Bytes of @len at @p, from the start, that equal @c. */
static size_t prefix_of(const unsigned char *p, size_t len, unsigned char c)
{
	size_t i = 0;

	while (i + 8 <= len) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (v != c * 0x0101010101010101ULL)
			break;
		i += 8;
	}
	while (i < len && p[i] == c)
		i++;
	return i;
}

/*
 * A fatal signal stops a long read() or write() part way ("read/write
 * stop on a fatal signal"): killed once the copy has begun, the process
 * dies before the copy is done. A read() of holes fills a buffer the test
 * shares with the child with zeroes, page by page; a write() fills the
 * region with a pattern the test sees through pread(). Attempts whose
 * kill lands before or after the copy prove nothing and are retried;
 * one of them must land in the middle.
 */
static void io_killed(struct __test_metadata *_metadata, int fd, __u64 max,
		      bool do_write)
{
	const size_t len = max < (64ULL << 20) ? (size_t)max : 64UL << 20;
	unsigned char *buf, *src = NULL;
	int hits = 0, attempt;
	uint64_t t0, full_ns;

	ASSERT_EQ(0, shmdev_reset(fd, len));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	if (do_write) {
		src = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, src);
		memset(src, 'w', len);
	}
	memset(buf, POISON, len);

	/* How long the whole copy takes here. */
	t0 = sd_now_ns();
	if (do_write) {
		ASSERT_EQ((ssize_t)len, pwrite(fd, src, len, 0));
	} else {
		ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	}
	full_ns = sd_now_ns() - t0;
	TH_LOG("%s of %zu MiB takes %.1f ms", do_write ? "write()" : "read()",
	       len >> 20, full_ns / 1e6);
	ASSERT_EQ(0, shmdev_reset(fd, len));
	memset(buf, POISON, len);
	if (full_ns < 5000000)
		SKIP(goto out, "the copy takes %.2f ms: too short to kill in its middle",
		     full_ns / 1e6);

	for (attempt = 0; attempt < 8 && hits < 2; attempt++) {
		size_t done;
		int pipefd[2];
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			ssize_t n;

			close(pipefd[0]);
			if (write(pipefd[1], "g", 1) != 1)
				_exit(3);
			n = do_write ? pwrite(fd, src, len, 0) : pread(fd, buf, len, 0);
			_exit(n == (ssize_t)len ? 0 : 4);
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		/* Kill it once the copy has begun. */
		for (double end = sd_now() + 2; sd_now() < end;) {
			if (do_write) {
				if (pread(fd, &c, 1, 0) == 1 && c == 'w')
					break;
			} else if (buf[0] != POISON) {
				break;
			}
		}
		kill(pid, SIGKILL);
		if (!child_killed_by(pid, SIGKILL))
			continue;	/* done before the kill: proves nothing */
		if (do_write) {
			/* What the region holds, through read(). */
			ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
			done = prefix_of(buf, len, 'w');
			/* Written in order: the rest is untouched. */
			EXPECT_TRUE(all_zero((char *)buf + done, len - done));
			ASSERT_EQ(0, shmdev_reset(fd, len));
		} else {
			done = prefix_not(buf, len, POISON);
			EXPECT_TRUE(all_zero((char *)buf, done));
			EXPECT_TRUE(all_bytes(buf + done, POISON, len - done));
		}
		TH_LOG("attempt %d: killed after %zu of %zu bytes", attempt, done, len);
		if (done > 0 && done < len)
			hits++;
		memset(buf, POISON, len);
	}
	EXPECT_LT(0, hits) TH_LOG("no kill stopped the copy part way in %d attempts",
				  attempt);
out:
	shmdev_reset(fd, 0);
	munmap(buf, len);
	if (src)
		munmap(src, len);
}

TEST_F_TIMEOUT(api, read_killed, 120)
{
	io_killed(_metadata, self->fd, self->max, false);
}

TEST_F_TIMEOUT(api, write_killed, 120)
{
	io_killed(_metadata, self->fd, self->max, true);
}

/*
 * GET_INFO's owner, mode and charge of the default region: id 1, flag
 * SHMDEV_INFO_DEFAULT alone, owner root, mode 0600, its size rounded up
 * to pages charged to the user who last set it (root here), through
 * files of every mode; every field written (the buffer is poisoned), the
 * reserved ones with 0.
 */
TEST_F(api, info_default_region)
{
	const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	const __u64 sizes[] = { 4 * self->psz, 3 * self->psz + 1, 1, self->psz };

	if (geteuid())
		SKIP(return, "needs root, who sizes the region here");
	for (unsigned int s = 0; s < ARRAY_SIZE(sizes); s++) {
		__u64 charged = (sizes[s] + self->psz - 1) / self->psz * self->psz;

		ASSERT_EQ(0, shmdev_set_size(self->fd, sizes[s]));
		for (unsigned int m = 0; m < ARRAY_SIZE(modes); m++) {
			struct shmdev_info info;
			int fd = shmdev_open(modes[m]);

			ASSERT_LE(0, fd);
			ASSERT_EQ(0, shmdev_info(fd, &info));
			EXPECT_EQ(sizes[s], info.size);
			EXPECT_EQ(self->max, info.max_size);
			EXPECT_EQ(1U, info.id);
			EXPECT_EQ((__u32)SHMDEV_INFO_DEFAULT, info.flags);
			EXPECT_EQ(0U, info.uid);
			EXPECT_EQ(0U, info.gid);
			EXPECT_EQ(0600U, info.mode);
			EXPECT_EQ(0U, info.charged_uid);
			EXPECT_EQ(charged, info.charged) TH_LOG("size %llu",
				(unsigned long long)sizes[s]);
			for (unsigned int i = 0; i < ARRAY_SIZE(info.reserved); i++)
				EXPECT_EQ(0ULL, info.reserved[i]);
			close(fd);
		}
	}
	EXPECT_EQ(6U, ARRAY_SIZE(((struct shmdev_info *)0)->reserved));
	EXPECT_EQ(120U, sizeof(struct shmdev_info));
}

/*
 * An empty default region has nothing reserved: charged 0, and
 * charged_uid (__u32)-1, "nothing charged".
 */
TEST_F(api, info_default_region_empty)
{
	struct shmdev_info info;

	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.size);
	EXPECT_EQ(0ULL, info.charged);
	EXPECT_EQ((__u32)-1, info.charged_uid);
	EXPECT_EQ((__u32)SHMDEV_INFO_DEFAULT, info.flags);
	ASSERT_EQ(0, shmdev_set_size(self->fd, self->psz));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ((__u64)self->psz, info.charged);
	if (!geteuid()) {
		EXPECT_EQ(0U, info.charged_uid);
	}
}

/*
 * The node is root's, mode 0600: a process of another user is refused
 * whatever it asks for, with EACCES, and the region gains no file; root
 * opens it.
 */
TEST(node_refuses_other_users)
{
	struct shmdev_info before, after;
	struct stat st;
	int fd, status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, stat(SHMDEV_PATH, &st));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	fd = shmdev_open(O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &before));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };

		/* No group, no uid 0 left, and so no capability. */
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		for (int i = 0; i < 3; i++) {
			int f = shmdev_open(modes[i]);

			if (f >= 0)
				_exit(10 + i);
			if (errno != EACCES)
				_exit(20 + i);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("1: cannot drop privileges; 1x: open mode %d succeeded; 2x: other errno",
		       WEXITSTATUS(status) % 10);

	ASSERT_EQ(0, shmdev_info(fd, &after));
	EXPECT_EQ(before.nr_files, after.nr_files);
	close(fd);
	fd = shmdev_open(O_RDWR);
	EXPECT_LE(0, fd);
	close(fd);
}

/*
 * writev() and readv() gather and scatter across a page boundary, with
 * different splits on each side, and agree with a mapping.
 */
TEST_F(api, readv_writev_round_trip)
{
	char a[7], b[20], c[5], x[13], y[19], z[8], *p;
	struct iovec out[] = { { a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) },
			       { c, sizeof(c) } };
	struct iovec in[] = { { x, sizeof(x) }, { y, sizeof(y) }, { z, sizeof(z) } };
	const off_t pos = self->psz - 10;
	char all[32];

	for (unsigned int i = 0; i < sizeof(all); i++)
		all[i] = pattern(pos + i, 9);
	memcpy(a, all, 7);
	memcpy(b, all + 7, 20);
	memcpy(c, all + 27, 5);

	ASSERT_EQ(pos, lseek(self->fd, pos, SEEK_SET));
	ASSERT_EQ(32, writev(self->fd, out, ARRAY_SIZE(out)));
	EXPECT_EQ(pos + 32, pos_of(self->fd));
	EXPECT_EQ(2ULL, info_pages(self->fd));

	memset(x, POISON, sizeof(x));
	memset(y, POISON, sizeof(y));
	memset(z, POISON, sizeof(z));
	ASSERT_EQ(pos, lseek(self->fd, pos, SEEK_SET));
	ASSERT_EQ(32 + 8, readv(self->fd, in, ARRAY_SIZE(in)));
	EXPECT_EQ(pos + 40, pos_of(self->fd));
	EXPECT_EQ(0, memcmp(x, all, 13));
	EXPECT_EQ(0, memcmp(y, all + 13, 19));
	EXPECT_TRUE(all_zero(z, sizeof(z)));	/* never written */

	p = mmap(NULL, 2 * self->psz, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p + pos, all, sizeof(all)));
	munmap(p, 2 * self->psz);

	/* preadv()/pwritev() at an offset, the position left alone. */
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(32, pwritev(self->fd, out, ARRAY_SIZE(out), 3 * self->psz - 16));
	memset(x, POISON, sizeof(x));
	memset(y, POISON, sizeof(y));
	ASSERT_EQ(32, preadv(self->fd, in, 2, 3 * self->psz - 16));
	EXPECT_EQ(0, memcmp(x, all, 13));
	EXPECT_EQ(0, memcmp(y, all + 13, 19));
	EXPECT_EQ(0, pos_of(self->fd));
}

/*
 * Across the size, writev() and readv() stop there with a short count;
 * at the size, writev() fails with ENOSPC and readv() returns 0, buffers
 * and position untouched. Nothing is written past the size.
 */
TEST_F(api, readv_writev_stop_at_size)
{
	const off_t size = 2 * self->psz + 100;
	char a[7], b[20], x[7], y[20];
	struct iovec out[] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec in[] = { { x, sizeof(x) }, { y, sizeof(y) } };
	char tail[17];

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	ASSERT_EQ(0, shmdev_set_size(self->fd, size));

	ASSERT_EQ(size - 10, lseek(self->fd, size - 10, SEEK_SET));
	EXPECT_EQ(10, writev(self->fd, out, 2));
	EXPECT_EQ(size, pos_of(self->fd));
	EXPECT_EQ(-1, writev(self->fd, out, 2));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(size, pos_of(self->fd));

	memset(x, POISON, sizeof(x));
	memset(y, POISON, sizeof(y));
	EXPECT_EQ(0, readv(self->fd, in, 2));
	EXPECT_TRUE(all_bytes(x, POISON, sizeof(x)));
	EXPECT_TRUE(all_bytes(y, POISON, sizeof(y)));
	EXPECT_EQ(size, pos_of(self->fd));

	ASSERT_EQ(size - 10, lseek(self->fd, size - 10, SEEK_SET));
	EXPECT_EQ(10, readv(self->fd, in, 2));
	EXPECT_EQ(size, pos_of(self->fd));
	EXPECT_TRUE(all_bytes(x, 'a', 7));
	EXPECT_TRUE(all_bytes(y, 'b', 3));
	EXPECT_TRUE(all_bytes(y + 3, POISON, sizeof(y) - 3));

	/* Grown, the bytes past the old size read as zeroes. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 3 * self->psz));
	memset(tail, POISON, sizeof(tail));
	ASSERT_EQ((ssize_t)sizeof(tail), pread(self->fd, tail, sizeof(tail), size));
	EXPECT_TRUE(all_zero(tail, sizeof(tail)));
}

/* A bad first buffer: EFAULT, position and bytes unchanged. */
TEST_F(api, readv_writev_bad_buffer)
{
	char good[16], got[16];
	struct iovec bad[] = { { (void *)-4096L, 16 }, { good, sizeof(good) } };

	memset(good, 'g', sizeof(good));
	ASSERT_EQ(16, pwrite(self->fd, good, sizeof(good), 100));
	memset(good, 'h', sizeof(good));
	ASSERT_EQ(100, lseek(self->fd, 100, SEEK_SET));

	EXPECT_EQ(-1, writev(self->fd, bad, 2));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(100, pos_of(self->fd));
	EXPECT_EQ(-1, readv(self->fd, bad, 2));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(100, pos_of(self->fd));
	EXPECT_TRUE(all_bytes(good, 'h', sizeof(good)));

	memset(got, POISON, sizeof(got));
	ASSERT_EQ(16, pread(self->fd, got, sizeof(got), 100));
	EXPECT_TRUE(all_bytes(got, 'g', sizeof(got)));
}

SHMDEV_TEST_MAIN
