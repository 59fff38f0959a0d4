// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the notification channel: SHMDEV_IOC_NOTIFY,
 * SHMDEV_IOC_WAIT and poll/epoll, between threads and processes.
 */

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define READY	(EPOLLIN | EPOLLRDNORM | EPOLLPRI)

static __u64 notify(int fd)
{
	__u64 seq = ~0ULL;

	if (ioctl(fd, SHMDEV_IOC_NOTIFY, &seq))
		return ~0ULL;
	return seq;
}

/* WAIT for @*seq to move; 0 or -errno, @*seq updated on success. */
static int wait_seq(int fd, __u64 *seq, __s64 timeout_ns)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = timeout_ns };

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w))
		return -errno;
	*seq = w.seq;
	return 0;
}

static __u64 info_seq(int fd)
{
	struct shmdev_info info;

	if (shmdev_info(fd, &info))
		return ~0ULL;
	return info.seq;
}

/* True once task @tid of @pid sleeps in SHMDEV_IOC_WAIT on its file @fd. */
static bool await_sleeping(pid_t pid, pid_t tid, int fd)
{
	return await_in_syscall(pid, tid, SYS_ioctl, -1, (unsigned long)fd,
				(unsigned long)SHMDEV_IOC_WAIT);
}

FIXTURE(notify) {
	int fd;
};

FIXTURE_SETUP(notify)
{
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, page_size()));
}

FIXTURE_TEARDOWN(notify)
{
	close(self->fd);
}

/* NOTIFY returns the incremented sequence; GET_INFO agrees. */
TEST_F(notify, notify_increments)
{
	__u64 s0 = info_seq(self->fd);
	int ro = shmdev_open(O_RDONLY);

	ASSERT_NE(~0ULL, s0);
	EXPECT_EQ(s0 + 1, notify(self->fd));
	EXPECT_EQ(s0 + 2, notify(self->fd));
	/* Any open file may notify, a read-only one too. */
	ASSERT_LE(0, ro);
	EXPECT_EQ(s0 + 3, notify(ro));
	close(ro);
	EXPECT_EQ(s0 + 3, info_seq(self->fd));
}

/* WAIT returns at once, with the current sequence, once it has moved. */
TEST_F(notify, wait_when_moved)
{
	__u64 old = info_seq(self->fd), cur;

	ASSERT_NE(~0ULL, old);
	ASSERT_EQ(old + 1, notify(self->fd));
	cur = notify(self->fd);
	ASSERT_EQ(old + 2, cur);
	EXPECT_EQ(0, wait_seq(self->fd, &old, -1));
	EXPECT_EQ(cur, old);
	/* Any other value than the current one counts as moved. */
	old = cur + 1000;
	EXPECT_EQ(0, wait_seq(self->fd, &old, 0));
	EXPECT_EQ(cur, old);
}

/* Timeout 0 does not block: ETIMEDOUT and the argument left alone. */
TEST_F(notify, wait_nonblocking)
{
	struct shmdev_wait w = { .seq = info_seq(self->fd), .timeout_ns = 0 };
	struct shmdev_wait copy = w;

	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(0, memcmp(&w, &copy, sizeof(w)));
}

/* ETIMEDOUT no earlier than asked, and not absurdly later. */
TEST_F(notify, wait_timeout_accuracy)
{
	const __s64 timeouts_ms[] = { 1, 20, 100 };

	for (unsigned int i = 0; i < sizeof(timeouts_ms) / sizeof(timeouts_ms[0]); i++) {
		__u64 seq = info_seq(self->fd);
		double t0 = sd_now() * 1e3, dt;

		EXPECT_EQ(-ETIMEDOUT, wait_seq(self->fd, &seq, timeouts_ms[i] * 1000000));
		dt = sd_now() * 1e3 - t0;
		EXPECT_LE(timeouts_ms[i], dt);
		/*
		 * Emulated machines on a loaded host are slow, but five
		 * seconds late is a timeout taken in the wrong unit.
		 */
		EXPECT_GT(timeouts_ms[i] + 5000, dt);
		TH_LOG("timeout %lld ms: returned after %.2f ms",
		       (long long)timeouts_ms[i], dt);
	}
}

/* Reserved fields and bad pointers: EINVAL, EFAULT, nothing changed. */
TEST_F(notify, bad_input)
{
	__u64 seq = info_seq(self->fd);
	struct shmdev_wait w = { .seq = seq - 1, .timeout_ns = 0 };

	ASSERT_NE(~0ULL, seq);
	w.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = 0;
	w.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	/* Not written back on failure. */
	EXPECT_EQ(seq - 1, w.seq);

	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_NOTIFY, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_NOTIFY, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	/* A rejected NOTIFY does not move the sequence. */
	EXPECT_EQ(seq, info_seq(self->fd));
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = 1;
}

/* Exit codes of the child of wait_interrupted. */
enum {
	INTR_OK,
	INTR_SIGACTION = 20,	/* could not install the handler */
	INTR_NOT_EINTR,		/* WAIT ended with something else */
	INTR_NO_SIGNAL,		/* EINTR, but the handler never ran */
	INTR_WROTE_SEQ,		/* EINTR, but the argument was written */
};

/*
 * A signal ends an infinite WAIT with EINTR, with or without SA_RESTART.
 * The child is seen asleep in WAIT before the signal is sent, its handler
 * must have run, and each way the child can fail has its own exit code,
 * apart from a child killed by a signal.
 */
TEST_F(notify, wait_interrupted)
{
	const int flags[] = { 0, SA_RESTART };
	__u64 seq = info_seq(self->fd);

	ASSERT_NE(~0ULL, seq);
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct sigaction sa = {
				.sa_handler = on_usr1, .sa_flags = flags[i],
			};
			struct shmdev_wait w = { .seq = seq, .timeout_ns = -1 };
			int ret;

			sigemptyset(&sa.sa_mask);
			if (sigaction(SIGUSR1, &sa, NULL))
				_exit(INTR_SIGACTION);
			ret = ioctl(self->fd, SHMDEV_IOC_WAIT, &w);
			if (ret != -1 || errno != EINTR)
				_exit(INTR_NOT_EINTR);
			if (!got_usr1)
				_exit(INTR_NO_SIGNAL);
			if (w.seq != seq || w.timeout_ns != -1)
				_exit(INTR_WROTE_SEQ);
			_exit(INTR_OK);
		}
		TH_LOG("%s", flags[i] ? "SA_RESTART" : "no SA_RESTART");
		if (!await_sleeping(pid, pid, self->fd)) {
			kill_all(&pid, 1);
			ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
		}
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		/* A WAIT restarted after the handler would sleep on. */
		EXPECT_EQ(1, reap_within(&pid, 1, 10));
	}
	EXPECT_EQ(seq, info_seq(self->fd));
}

/* SIGKILL ends a waiter; its file goes away with it. */
TEST_F(notify, waiter_killed)
{
	__u64 seq = info_seq(self->fd);
	struct shmdev_info info;
	int fd;
	pid_t pid;

	ASSERT_NE(~0ULL, seq);
	fd = shmdev_open(O_RDONLY);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 s = seq;

		/* Not reached unless WAIT returns: the parent kills us. */
		_exit(10 - wait_seq(fd, &s, -1));
	}
	close(fd);
	if (!await_sleeping(pid, pid, fd)) {
		kill_all(&pid, 1);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2U, info.nr_files);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_TRUE(child_killed_by(pid, SIGKILL));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(1U, info.nr_files);
	EXPECT_EQ(seq, info.seq);
}

struct waiter_arg {
	int fd;
	__u64 seq;
	int ret;
	_Atomic pid_t tid;
};

static void *waiter_thread(void *p)
{
	struct waiter_arg *a = p;

	a->tid = syscall(SYS_gettid);
	a->ret = wait_seq(a->fd, &a->seq, -1);
	return NULL;
}

/*
 * Another thread closes the file a WAIT sleeps on: the waiter keeps the
 * file until it returns, and a NOTIFY through another file wakes it.
 */
TEST_F(notify, close_while_waiting)
{
	struct waiter_arg a = { .ret = 1 };
	struct shmdev_info info;
	pthread_t th;
	pid_t tid = 0;
	__u64 seq;

	a.fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, a.fd);
	a.seq = info_seq(a.fd);
	ASSERT_NE(~0ULL, a.seq);
	ASSERT_EQ(0, pthread_create(&th, NULL, waiter_thread, &a));
	for (int i = 0; i < 20000 && !tid; i++) {
		tid = a.tid;
		usleep(1000);
	}
	ASSERT_LT(0, tid);
	ASSERT_TRUE(await_sleeping(getpid(), tid, a.fd));
	ASSERT_EQ(0, close(a.fd));
	/* The sleeping WAIT still holds the file. */
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2U, info.nr_files);
	seq = notify(self->fd);
	ASSERT_NE(~0ULL, seq);
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(seq, a.seq);
	/* Released once WAIT returned. */
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(1U, info.nr_files);
}

/* One NOTIFY wakes 200 processes asleep in WAIT. */
TEST_F_TIMEOUT(notify, wake_all_200, 120)
{
	enum { N = 200 };
	__u64 seq = info_seq(self->fd), woke;
	pid_t pids[N] = { 0 };

	ASSERT_NE(~0ULL, seq);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			kill_all(pids, i);
			ASSERT_LE(0, pids[i]);
		}
		if (pids[i] == 0) {
			__u64 s = seq;

			_exit(wait_seq(self->fd, &s, -1) == 0 && s == seq + 1 ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++)
		if (!await_sleeping(pids[i], pids[i], self->fd)) {
			kill_all(pids, N);
			ASSERT_TRUE(false) TH_LOG("child %d never slept in WAIT", i);
		}
	woke = notify(self->fd);
	EXPECT_EQ(seq + 1, woke);
	/* Every child wakes, or the rest are killed and the test fails. */
	EXPECT_EQ(N, reap_within(pids, N, 60));
}

/*
 * Ping-pong between two processes that open the device on their own:
 * 20000 rounds, each passing a counter through the region. A lost
 * wake-up hangs the test (and its timeout fails it). Under software
 * emulation a round trip costs tens of microseconds to milliseconds, so
 * that more rounds would make this the longest test of the suite;
 * stress_test and shmdev-fuzz race WAIT against NOTIFY for longer.
 */
TEST_F_TIMEOUT(notify, ping_pong, 300)
{
	enum { ROUNDS = 20000 };
	volatile __u64 *shared;
	pid_t pids[2] = { 0 };

	shared = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED,
		      self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	shared[0] = 0;
	shared[1] = info_seq(self->fd);
	ASSERT_NE(~0ULL, shared[1]);

	for (int side = 0; side < 2; side++) {
		pids[side] = fork();
		if (pids[side] < 0) {
			kill_all(pids, side);
			ASSERT_LE(0, pids[side]);
		}
		if (pids[side] == 0) {
			int fd = shmdev_open(O_RDWR);
			volatile __u64 *m;
			__u64 seq;

			if (fd < 0)
				_exit(9);
			m = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (m == MAP_FAILED)
				_exit(10);
			seq = m[1];
			for (__u64 i = side; i < 2 * ROUNDS; i += 2) {
				/* Wait for our turn: counter == i. */
				while (m[0] != i)
					if (wait_seq(fd, &seq, -1))
						_exit(11);
				m[0] = i + 1;
				seq = notify(fd);
				if (seq == ~0ULL)
					_exit(12);
			}
			_exit(0);
		}
	}
	EXPECT_EQ(2, reap_within(pids, 2, 280));
	EXPECT_EQ((__u64)2 * ROUNDS, shared[0]);
	munmap((void *)shared, page_size());
}

/*
 * A child that waits until @pid (the test) sleeps in epoll_wait() on @ep,
 * or in poll() when @ep is -1, then notifies through a file of its own.
 * So the NOTIFY can only come after the sleep, and the test sees the
 * wake-up rather than readiness it would have found anyway.
 */
static pid_t notify_when_asleep(pid_t pid, int ep)
{
	pid_t child = fork();

	if (child == 0) {
		bool asleep;
		int fd;

		if (ep >= 0)
			asleep = await_in_syscall(pid, pid, SYS_epoll_wait,
						  SYS_epoll_pwait,
						  (unsigned long)ep, ANY_ARG);
		else
			asleep = await_in_syscall(pid, pid, SYS_poll, SYS_ppoll,
						  ANY_ARG, ANY_ARG);
		if (!asleep)
			_exit(10);
		fd = shmdev_open(O_RDWR);
		if (fd < 0)
			_exit(11);
		_exit(notify(fd) == ~0ULL ? 12 : 0);
	}
	return child;
}

/*
 * epoll on two files of the region sees a NOTIFY from a third process;
 * each file stays ready until it acknowledges.
 */
TEST_F(notify, epoll_two_files)
{
	struct epoll_event ev[4];
	int fd1, fd2, ep, n;
	__u64 seq, before;
	pid_t pid;

	fd1 = shmdev_open(O_RDONLY);
	fd2 = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLPRI, .data.fd = fd1 };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd1, &ev[0]));
	ev[0] = (struct epoll_event){ .events = EPOLLIN | EPOLLPRI, .data.fd = fd2 };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd2, &ev[0]));

	/* Fresh files acknowledge the current sequence: nothing ready. */
	EXPECT_EQ(0, epoll_wait(ep, ev, 4, 0));

	before = info_seq(self->fd);
	ASSERT_NE(~0ULL, before);
	pid = notify_when_asleep(getpid(), ep);
	ASSERT_LE(0, pid);
	n = epoll_wait(ep, ev, 4, 10000);
	EXPECT_LE(1, n);
	EXPECT_TRUE(child_ok(pid));
	ASSERT_LE(1, n);
	EXPECT_EQ(before + 1, info_seq(self->fd));
	n = epoll_wait(ep, ev, 4, 0);
	ASSERT_EQ(2, n);
	EXPECT_NE(ev[0].data.fd, ev[1].data.fd);
	for (int i = 0; i < n; i++)
		EXPECT_EQ((__u32)(EPOLLIN | EPOLLPRI), ev[i].events);

	/* A successful WAIT acknowledges: fd1 is no longer ready. */
	seq = before;
	ASSERT_EQ(0, wait_seq(fd1, &seq, 0));
	EXPECT_EQ(before + 1, seq);
	n = epoll_wait(ep, ev, 4, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(fd2, ev[0].data.fd);

	/* A NOTIFY through fd2 acknowledges its own: now fd1 is ready. */
	ASSERT_EQ(before + 2, notify(fd2));
	n = epoll_wait(ep, ev, 4, 0);
	ASSERT_EQ(1, n);
	EXPECT_EQ(fd1, ev[0].data.fd);

	close(ep);
	close(fd1);
	close(fd2);
}

/* poll() and select() report the same readiness with all three bits. */
TEST_F(notify, poll_and_select)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLPRI | POLLRDNORM };
	struct timeval tv = { 0, 0 };
	fd_set rfds, xfds;
	__u64 seq = 0, before;
	int other;
	pid_t pid;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	other = shmdev_open(O_RDONLY);
	ASSERT_LE(0, other);
	before = info_seq(self->fd);
	ASSERT_EQ(before + 1, notify(other));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLPRI | POLLRDNORM, pfd.revents);

	FD_ZERO(&rfds);
	FD_ZERO(&xfds);
	FD_SET(self->fd, &rfds);
	FD_SET(self->fd, &xfds);
	EXPECT_EQ(2, select(self->fd + 1, &rfds, NULL, &xfds, &tv));
	EXPECT_TRUE(FD_ISSET(self->fd, &rfds));
	EXPECT_TRUE(FD_ISSET(self->fd, &xfds));

	ASSERT_EQ(0, wait_seq(self->fd, &seq, 0));
	EXPECT_EQ(before + 1, seq);
	pfd.revents = 0xff;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);
	/* A blocking poll wakes on the next NOTIFY. */
	pid = notify_when_asleep(getpid(), -1);
	ASSERT_LE(0, pid);
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLIN | POLLPRI | POLLRDNORM, pfd.revents);
	EXPECT_TRUE(child_ok(pid));
	EXPECT_EQ(before + 2, info_seq(self->fd));
	close(other);
}

SHMDEV_TEST_MAIN
