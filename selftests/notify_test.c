// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the notification channel: SHMDEV_IOC_NOTIFY (which needs
 * a file opened for writing), SHMDEV_IOC_WAIT with relative and absolute
 * (SHMDEV_WAIT_ABSTIME) timeouts, and poll/epoll, between threads and
 * processes; a WAIT keeps its deadline across stops, ptrace, the freezer
 * and signal handlers, and a fatal signal ends it.
 */

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define READY	(EPOLLIN | EPOLLRDNORM | EPOLLPRI)

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

/*
 * NOTIFY returns the incremented sequence, with nobody waiting too;
 * GET_INFO agrees. A file opened write-only may notify.
 */
TEST_F(notify, notify_increments)
{
	__u64 s0 = info_seq(self->fd), seq;
	int wo = shmdev_open(O_WRONLY);

	ASSERT_NE(~0ULL, s0);
	EXPECT_EQ(s0 + 1, notify(self->fd));
	EXPECT_EQ(s0 + 1, info_seq(self->fd));
	EXPECT_EQ(s0 + 2, notify(self->fd));
	ASSERT_LE(0, wo);
	EXPECT_EQ(s0 + 3, notify(wo));
	close(wo);
	EXPECT_EQ(s0 + 3, info_seq(self->fd));
	/* The NOTIFYs nobody waited for are not lost: WAIT sees them. */
	seq = s0;
	EXPECT_EQ(0, wait_seq(self->fd, &seq, 0));
	EXPECT_EQ(s0 + 3, seq);
}

/*
 * NOTIFY needs a file opened for writing: through a read-only one it
 * fails with EBADF, the sequence does not move, the result is not
 * written, nobody becomes ready and nothing is acknowledged. The
 * read-only file may still WAIT.
 */
TEST_F(notify, notify_needs_write)
{
	const __u64 poison = 0xa5a5a5a5a5a5a5a5ULL;
	struct pollfd pfd[2];
	__u64 s0, res, seq;
	int ro = shmdev_open(O_RDONLY);

	ASSERT_LE(0, ro);
	s0 = info_seq(self->fd);
	ASSERT_NE(~0ULL, s0);
	for (int i = 0; i < 3; i++) {
		res = poison;
		EXPECT_EQ(-1, ioctl(ro, SHMDEV_IOC_NOTIFY, &res));
		EXPECT_EQ(EBADF, errno);
		EXPECT_EQ(poison, res);
	}
	EXPECT_EQ(s0, info_seq(self->fd));
	pfd[0] = (struct pollfd){ .fd = self->fd, .events = POLLIN | POLLPRI };
	pfd[1] = (struct pollfd){ .fd = ro, .events = POLLIN | POLLPRI };
	EXPECT_EQ(0, poll(pfd, 2, 0));
	seq = s0;
	EXPECT_EQ(-ETIMEDOUT, wait_seq(ro, &seq, 0));

	/* A reader waits for the writer's NOTIFY, and sees it. */
	ASSERT_EQ(s0 + 1, notify(self->fd));
	EXPECT_EQ(1, poll(&pfd[1], 1, 0));
	EXPECT_EQ(0, wait_seq(ro, &seq, -1));
	EXPECT_EQ(s0 + 1, seq);
	EXPECT_EQ(0, poll(&pfd[1], 1, 0));
	res = poison;
	EXPECT_EQ(-1, ioctl(ro, SHMDEV_IOC_NOTIFY, &res));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(s0 + 1, info_seq(self->fd));
	close(ro);
}

/* The same for a named region's file opened with SHMDEV_OPEN_RDONLY. */
TEST_F(notify, notify_needs_write_named)
{
	struct shmdev_open o = {
		.size = 4096, .mode = 0600,
		.flags = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			 SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_CLOEXEC,
	};
	__u64 res = 7, s0;
	int rw, ro;

	snprintf(o.name, sizeof(o.name), "notify-ro-%d", (int)getpid());
	rw = ioctl(self->fd, SHMDEV_IOC_OPEN, &o);
	if (rw < 0 && errno == EOPNOTSUPP)
		SKIP(return, "no named regions here: %s", strerror(errno));
	ASSERT_LE(0, rw) TH_LOG("OPEN %s: %s", o.name, strerror(errno));
	o.flags = SHMDEV_OPEN_RDONLY | SHMDEV_OPEN_CLOEXEC;
	ro = ioctl(self->fd, SHMDEV_IOC_OPEN, &o);
	ASSERT_LE(0, ro) TH_LOG("OPEN %s read-only: %s", o.name, strerror(errno));
	s0 = info_seq(rw);
	ASSERT_NE(~0ULL, s0);
	EXPECT_EQ(-1, ioctl(ro, SHMDEV_IOC_NOTIFY, &res));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(7ULL, res);
	EXPECT_EQ(s0, info_seq(ro));
	EXPECT_EQ(s0 + 1, notify(rw));
	EXPECT_EQ(s0 + 1, info_seq(ro));
	close(ro);
	close(rw);
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
	/* Unknown flag bits, alone or beside SHMDEV_WAIT_ABSTIME. */
	w.flags = 2;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = SHMDEV_WAIT_ABSTIME | 2;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = SHMDEV_WAIT_ABSTIME | 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.flags = SHMDEV_WAIT_ABSTIME;
	w.pad = 1;
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

/* WAIT with SHMDEV_WAIT_ABSTIME until @abs_ns; 0 or -errno. */
static int wait_abs(int fd, __u64 *seq, __s64 abs_ns)
{
	struct shmdev_wait w = {
		.seq = *seq, .timeout_ns = abs_ns, .flags = SHMDEV_WAIT_ABSTIME,
	};

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w))
		return -errno;
	*seq = w.seq;
	return 0;
}

/*
 * An absolute deadline in the future: ETIMEDOUT at that CLOCK_MONOTONIC
 * time, not before it and not absurdly later, the argument unchanged.
 */
TEST_F(notify, abstime_future)
{
	const __s64 delays_ms[] = { 20, 300 };

	for (unsigned int i = 0; i < ARRAY_SIZE(delays_ms); i++) {
		__u64 seq = info_seq(self->fd);
		struct shmdev_wait w, copy;
		uint64_t t0 = sd_now_ns(), t1;
		__s64 deadline = t0 + delays_ms[i] * 1000000;

		w = (struct shmdev_wait){ .seq = seq, .timeout_ns = deadline,
					  .flags = SHMDEV_WAIT_ABSTIME };
		copy = w;
		EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
		EXPECT_EQ(ETIMEDOUT, errno);
		t1 = sd_now_ns();
		EXPECT_EQ(0, memcmp(&w, &copy, sizeof(w)));
		EXPECT_LE((uint64_t)deadline, t1);
		/* A deadline taken as relative would be hours away. */
		EXPECT_GT((uint64_t)deadline + 5000000000ULL, t1);
		TH_LOG("deadline %lld ms ahead: returned %.2f ms after it",
		       (long long)delays_ms[i], ((double)t1 - deadline) / 1e6);
	}
}

/*
 * A deadline already past: ETIMEDOUT at once (a time in the past read
 * as relative would sleep as long as the machine has been up), 0 when
 * the sequence moved.
 */
TEST_F(notify, abstime_past)
{
	__u64 seq = info_seq(self->fd), old;
	uint64_t now = sd_now_ns();
	const __s64 past[] = { 0, 1, (__s64)now / 2, (__s64)now - 1000000 };

	ASSERT_NE(~0ULL, seq);
	for (unsigned int i = 0; i < ARRAY_SIZE(past); i++) {
		double t0 = sd_now();
		__u64 s = seq;

		EXPECT_EQ(-ETIMEDOUT, wait_abs(self->fd, &s, past[i]))
			TH_LOG("deadline %lld", (long long)past[i]);
		EXPECT_GT(1.0, sd_now() - t0) TH_LOG("deadline %lld", (long long)past[i]);
		EXPECT_EQ(seq, s);
	}
	old = seq;
	ASSERT_EQ(seq + 1, notify(self->fd));
	for (unsigned int i = 0; i < ARRAY_SIZE(past); i++) {
		__u64 s = old;

		EXPECT_EQ(0, wait_abs(self->fd, &s, past[i]));
		EXPECT_EQ(seq + 1, s);
	}
}

/*
 * A sequence that already moved: 0 at once, with the current sequence,
 * whatever the deadline; one that moves while WAIT sleeps towards a
 * deadline: 0 as soon as it does.
 */
TEST_F(notify, abstime_wakes)
{
	__u64 seq = info_seq(self->fd), s;
	uint64_t t0;
	pid_t pid;

	ASSERT_NE(~0ULL, seq);
	ASSERT_EQ(seq + 1, notify(self->fd));
	s = seq;
	t0 = sd_now_ns();
	EXPECT_EQ(0, wait_abs(self->fd, &s, INT64_MAX));
	EXPECT_EQ(seq + 1, s);
	s = seq;
	EXPECT_EQ(0, wait_abs(self->fd, &s, t0 + 60000000000LL));
	EXPECT_EQ(seq + 1, s);
	EXPECT_GT(1.0, (sd_now_ns() - t0) / 1e9);

	/* Asleep until a deadline a minute away, woken by NOTIFY. */
	seq++;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 cs = seq;

		if (wait_abs(self->fd, &cs, sd_now_ns() + 60000000000LL))
			_exit(1);
		_exit(cs == seq + 1 ? 0 : 2);
	}
	if (!await_sleeping(pid, pid, self->fd)) {
		kill_all(&pid, 1);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	ASSERT_EQ(seq + 1, notify(self->fd));
	EXPECT_EQ(1, reap_within(&pid, 1, 10));
}

static volatile sig_atomic_t got_alarm;

static void on_alarm(int sig)
{
	got_alarm = 1;
}

/*
 * A negative absolute time is EINVAL, whether or not the sequence moved,
 * and the argument is left alone. (Were it taken as "forever", the alarm
 * would end the WAIT with EINTR instead of a hang.)
 */
TEST_F(notify, abstime_negative)
{
	const __s64 bad[] = { -1, -1000000000LL, INT64_MIN };
	struct sigaction sa = { .sa_handler = on_alarm };
	__u64 seq = info_seq(self->fd);

	ASSERT_NE(~0ULL, seq);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		for (int moved = 0; moved < 2; moved++) {
			struct shmdev_wait w = {
				.seq = moved ? seq - 1 : seq, .timeout_ns = bad[i],
				.flags = SHMDEV_WAIT_ABSTIME,
			}, copy = w;

			got_alarm = 0;
			alarm(2);
			EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
			EXPECT_EQ(EINVAL, errno) TH_LOG("deadline %lld, %s",
				(long long)bad[i], moved ? "moved" : "not moved");
			alarm(0);
			EXPECT_EQ(0, got_alarm);
			EXPECT_EQ(0, memcmp(&w, &copy, sizeof(w)));
		}
	}
	EXPECT_EQ(seq, info_seq(self->fd));
}

/*
 * A WAIT that fails acknowledges nothing: a file with news it has not
 * acknowledged stays ready after a WAIT that times out (relative or
 * absolute) and after one that cannot write its result back (the
 * argument on a read-only page: EFAULT).
 */
TEST_F(notify, failed_wait_acks_nothing)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLPRI };
	int other = shmdev_open(O_RDWR);
	struct shmdev_wait w, *ro;
	__u64 old, seq, s;
	long psz = page_size();

	ASSERT_LE(0, other);
	old = info_seq(self->fd);
	seq = notify(other);
	ASSERT_EQ(old + 1, seq);
	ASSERT_EQ(1, poll(&pfd, 1, 0));

	/* Waiting for news after seq: times out. */
	s = seq;
	EXPECT_EQ(-ETIMEDOUT, wait_seq(self->fd, &s, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(-ETIMEDOUT, wait_seq(self->fd, &s, 10000000));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(-ETIMEDOUT, wait_abs(self->fd, &s, sd_now_ns() + 10000000));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(seq, s);

	/* News found, result not writable: EFAULT, still ready. */
	for (int abs = 0; abs < 2; abs++) {
		ro = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, ro);
		w = (struct shmdev_wait){ .seq = old };
		if (abs) {
			w.flags = SHMDEV_WAIT_ABSTIME;
			w.timeout_ns = sd_now_ns() + 10000000000LL;
		}
		*ro = w;
		ASSERT_EQ(0, mprotect(ro, psz, PROT_READ));
		EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, ro));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(0, memcmp(ro, &w, sizeof(w)));
		EXPECT_EQ(1, poll(&pfd, 1, 0));
		munmap(ro, psz);
	}

	/* A WAIT that succeeds acknowledges. */
	s = old;
	EXPECT_EQ(0, wait_seq(self->fd, &s, 0));
	EXPECT_EQ(seq, s);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(other);
}

/*
 * The state of a WAIT that a child makes, in memory the test shares with
 * it: the argument as the call left it, the times around the call, and
 * after an EINTR a second call with the argument as it was rewritten.
 */
struct waiter {
	_Atomic int handled;		/* runs of the child's SIGUSR1 handler */
	_Atomic int done;		/* the first WAIT returned */
	int ret, err, ret2, err2;
	struct shmdev_wait w, w2;
	uint64_t t0, t1, t2;		/* before, after the first, after the second */
	char cgroup[128];		/* a cgroup to join first, or "" */
};

static struct waiter *cur_waiter;

static void count_usr1(int sig)
{
	atomic_fetch_add(&cur_waiter->handled, 1);
}

static struct waiter *waiter_new(void)
{
	struct waiter *wt = mmap(NULL, sizeof(*wt), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return wt == MAP_FAILED ? NULL : wt;
}

/* No SIGUSR1 handler, for spawn_waiter(). */
#define NO_HANDLER	(-1)

/*
 * A child that WAITs on @fd for @seq with @timeout_ns and @flags, with a
 * SIGUSR1 handler installed with @sa_flags (or none); after EINTR it
 * calls again with the argument as the first call left it.
 */
static pid_t spawn_waiter(int fd, struct waiter *wt, __u64 seq,
			  __s64 timeout_ns, __u32 flags, int sa_flags)
{
	pid_t pid;

	memset(wt, 0, offsetof(struct waiter, cgroup));
	wt->ret = wt->ret2 = 1;
	wt->w = (struct shmdev_wait){ .seq = seq, .timeout_ns = timeout_ns,
				      .flags = flags };
	pid = fork();
	if (pid)
		return pid;
	cur_waiter = wt;
	if (sa_flags != NO_HANDLER) {
		struct sigaction sa = { .sa_handler = count_usr1, .sa_flags = sa_flags };

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(20);
	}
	if (wt->cgroup[0]) {
		char path[160];

		snprintf(path, sizeof(path), "%s/cgroup.procs", wt->cgroup);
		if (write_text(path, "0"))
			_exit(21);
	}
	wt->t0 = sd_now_ns();
	wt->ret = ioctl(fd, SHMDEV_IOC_WAIT, &wt->w);
	wt->err = errno;
	wt->t1 = sd_now_ns();
	atomic_store(&wt->done, 1);
	if (wt->ret && wt->err == EINTR) {
		wt->w2 = wt->w;
		wt->ret2 = ioctl(fd, SHMDEV_IOC_WAIT, &wt->w2);
		wt->err2 = errno;
		wt->t2 = sd_now_ns();
	}
	_exit(0);
}

/* Sleeps until @t (CLOCK_MONOTONIC, ns). */
static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL,
			       .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Waits up to 10 s for the child's handler to have run @n times. */
static bool await_handled(struct waiter *wt, int n)
{
	for (double end = sd_now() + 10; sd_now() < end; usleep(1000))
		if (atomic_load(&wt->handled) >= n)
			return true;
	return false;
}

/*
 * The timeout of the WAITs that must keep their deadline across signals
 * and stops, and how late after it they may end (emulated machines on a
 * loaded host are slow to wake): a WAIT that took a fresh timeout when
 * it resumed, at T/3 or later, ends T after that, which the tests tell
 * apart.
 */
#define DEADLINE_NS	1500000000LL
#define LATE_NS		(DEADLINE_NS * 2 / 5)

/*
 * The argument of a WAIT with a relative timeout of DEADLINE_NS that a
 * signal interrupted: the absolute deadline, with SHMDEV_WAIT_ABSTIME, the
 * sequence and pad as given. The call began after @t0 and was seen asleep
 * by @t_end: the deadline, fixed when it began, lies between the two plus
 * DEADLINE_NS (a deadline taken afresh when the signal came would not).
 */
static bool rewritten_as_deadline(const struct shmdev_wait *w, __u64 seq,
				  uint64_t t0, uint64_t t_end)
{
	if (w->flags != SHMDEV_WAIT_ABSTIME || w->seq != seq || w->pad) {
		fprintf(stderr, "# argument after the signal: seq %llu (given %llu), timeout %lld, flags %#x, pad %u\n",
			(unsigned long long)w->seq, (unsigned long long)seq,
			(long long)w->timeout_ns, w->flags, w->pad);
		return false;
	}
	if ((uint64_t)w->timeout_ns < t0 + DEADLINE_NS ||
	    (uint64_t)w->timeout_ns > t_end + DEADLINE_NS) {
		fprintf(stderr, "# deadline %lld is %.3f s after the call began, %.3f to %.3f s expected\n",
			(long long)w->timeout_ns,
			((double)w->timeout_ns - t0) / 1e9, DEADLINE_NS / 1e9,
			((double)t_end - t0 + DEADLINE_NS) / 1e9);
		return false;
	}
	return true;
}

/*
 * A handler installed without SA_RESTART: WAIT fails with EINTR after
 * the handler ran. With no timeout, or an absolute one, the argument is
 * left alone. With a relative timeout it holds the absolute deadline and
 * SHMDEV_WAIT_ABSTIME. Either way the same call made again times out at
 * the original deadline.
 */
TEST_F(notify, eintr_without_sa_restart)
{
	__u64 seq = info_seq(self->fd);
	struct waiter *wt = waiter_new();
	uint64_t asleep, deadline;
	pid_t pid;

	ASSERT_NE(~0ULL, seq);
	ASSERT_NE(NULL, wt);

	/* Forever: EINTR, the argument as given. */
	pid = spawn_waiter(self->fd, wt, seq, -1, 0, 0);
	ASSERT_LE(0, pid);
	if (!await_sleeping(pid, pid, self->fd)) {
		kill_all(&pid, 1);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* The second call, with the same argument, waits forever: stop it. */
	ASSERT_TRUE(await_handled(wt, 1));
	for (double end = sd_now() + 10; !atomic_load(&wt->done) && sd_now() < end;)
		usleep(1000);
	EXPECT_TRUE(atomic_load(&wt->done));
	kill_all(&pid, 1);
	EXPECT_EQ(-1, wt->ret);
	EXPECT_EQ(EINTR, wt->err);
	EXPECT_EQ(1, atomic_load(&wt->handled));
	EXPECT_EQ(seq, wt->w.seq);
	EXPECT_EQ(-1, wt->w.timeout_ns);
	EXPECT_EQ(0U, wt->w.flags);

	/* A relative timeout: the deadline survives the EINTR. */
	pid = spawn_waiter(self->fd, wt, seq, DEADLINE_NS, 0, 0);
	ASSERT_LE(0, pid);
	if (!await_sleeping(pid, pid, self->fd)) {
		kill_all(&pid, 1);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	asleep = sd_now_ns();
	sleep_until(asleep + DEADLINE_NS / 3);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(1, reap_within(&pid, 1, 10));
	EXPECT_EQ(-1, wt->ret);
	EXPECT_EQ(EINTR, wt->err);
	EXPECT_EQ(1, atomic_load(&wt->handled));
	EXPECT_TRUE(rewritten_as_deadline(&wt->w, seq, wt->t0, asleep));
	EXPECT_EQ(-1, wt->ret2);
	EXPECT_EQ(ETIMEDOUT, wt->err2);
	/* Not before the deadline, nor long after it. */
	EXPECT_LE((uint64_t)wt->w.timeout_ns, wt->t2);
	EXPECT_GT((uint64_t)wt->w.timeout_ns + LATE_NS, wt->t2);
	EXPECT_EQ(0, memcmp(&wt->w, &wt->w2, sizeof(wt->w)));
	TH_LOG("EINTR after %.3f s, deadline %.3f s, timed out %.3f s after the first call began",
	       (wt->t1 - wt->t0) / 1e9, ((double)wt->w.timeout_ns - wt->t0) / 1e9,
	       (wt->t2 - wt->t0) / 1e9);

	/* An absolute deadline: EINTR, the argument as given; again: ETIMEDOUT. */
	deadline = sd_now_ns() + DEADLINE_NS;
	pid = spawn_waiter(self->fd, wt, seq, deadline, SHMDEV_WAIT_ABSTIME, 0);
	ASSERT_LE(0, pid);
	if (!await_sleeping(pid, pid, self->fd)) {
		kill_all(&pid, 1);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	sleep_until(wt->t0 + DEADLINE_NS / 3);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(1, reap_within(&pid, 1, 10));
	EXPECT_EQ(-1, wt->ret);
	EXPECT_EQ(EINTR, wt->err);
	EXPECT_EQ((__u32)SHMDEV_WAIT_ABSTIME, wt->w.flags);
	EXPECT_EQ(seq, wt->w.seq);
	EXPECT_EQ(deadline, (uint64_t)wt->w.timeout_ns);
	EXPECT_EQ(-1, wt->ret2);
	EXPECT_EQ(ETIMEDOUT, wt->err2);
	EXPECT_LE((uint64_t)wt->w.timeout_ns, wt->t2);
	EXPECT_GT((uint64_t)wt->w.timeout_ns + LATE_NS, wt->t2);
	EXPECT_EQ(seq, info_seq(self->fd));
	munmap(wt, sizeof(*wt));
}

/*
 * What a WAIT must sleep through: a stop and a continue, a ptrace attach
 * (PTRACE_SEIZE, PTRACE_INTERRUPT, then a detach), a SIGUSR1 handler
 * installed with SA_RESTART, the cgroup freezer.
 */
enum disturbance { D_STOP, D_PTRACE, D_HANDLER, D_FREEZE };

FIXTURE(disturb) {
	int fd;
	char cgroup[128];	/* the freezer's cgroup, once made */
};

FIXTURE_VARIANT(disturb) {
	enum disturbance kind;
};

FIXTURE_VARIANT_ADD(disturb, stop) { .kind = D_STOP };
FIXTURE_VARIANT_ADD(disturb, ptrace) { .kind = D_PTRACE };
FIXTURE_VARIANT_ADD(disturb, sa_restart) { .kind = D_HANDLER };
FIXTURE_VARIANT_ADD(disturb, freezer) { .kind = D_FREEZE };

#define CG_ROOT		"/sys/fs/cgroup"

FIXTURE_SETUP(disturb)
{
	char path[160];

	self->cgroup[0] = 0;
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	if (variant->kind != D_FREEZE)
		return;
	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CG_ROOT, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup v2: %s", strerror(errno));
	snprintf(self->cgroup, sizeof(self->cgroup), CG_ROOT "/shmdev-freeze-%d",
		 (int)getpid());
	if (mkdir(self->cgroup, 0755)) {
		self->cgroup[0] = 0;
		SKIP(return, "cannot make a cgroup: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/cgroup.freeze", self->cgroup);
	if (access(path, W_OK)) {
		rmdir(self->cgroup);
		self->cgroup[0] = 0;
		SKIP(return, "no cgroup freezer (cgroup.freeze)");
	}
}

FIXTURE_TEARDOWN(disturb)
{
	char path[160];

	close(self->fd);
	if (self->cgroup[0]) {
		/* Thawed, should a failed test have left it frozen. */
		snprintf(path, sizeof(path), "%s/cgroup.freeze", self->cgroup);
		write_text(path, "0");
		rmdir(self->cgroup);
	}
}

/* The freezer's cgroup.events says "frozen @want" within 10 s. */
static bool await_frozen(const char *cg, int want)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	for (double end = sd_now() + 10; sd_now() < end; usleep(1000))
		if (proc_field(path, "frozen") == want)
			return true;
	return false;
}

/*
 * Disturbs the waiting child @pid the variant's way, for @hold_ns where
 * the disturbance lasts (a stop, a ptrace stop, a freeze), and returns
 * once it is over; @resumed gets a time before which the child cannot
 * have resumed its WAIT. False, with the reason on stderr, when it could
 * not.
 */
static bool disturb_waiter(enum disturbance kind, pid_t pid, struct waiter *wt,
			   const char *cg, uint64_t hold_ns, uint64_t *resumed)
{
	char path[160];
	int status;

	switch (kind) {
	case D_STOP:
		if (kill(pid, SIGSTOP) || waitpid(pid, &status, WUNTRACED) != pid ||
		    !WIFSTOPPED(status)) {
			fprintf(stderr, "# the child did not stop\n");
			return false;
		}
		sleep_until(sd_now_ns() + hold_ns);
		*resumed = sd_now_ns();
		return !kill(pid, SIGCONT);
	case D_PTRACE:
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
			fprintf(stderr, "# PTRACE_SEIZE, PTRACE_INTERRUPT: %s\n",
				strerror(errno));
			return false;
		}
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
		    status >> 16 != PTRACE_EVENT_STOP) {
			fprintf(stderr, "# no ptrace stop: status %#x\n", status);
			return false;
		}
		sleep_until(sd_now_ns() + hold_ns);
		*resumed = sd_now_ns();
		if (ptrace(PTRACE_DETACH, pid, 0, 0)) {
			fprintf(stderr, "# PTRACE_DETACH: %s\n", strerror(errno));
			return false;
		}
		return true;
	case D_HANDLER: {
		int n = atomic_load(&wt->handled) + 1;

		*resumed = sd_now_ns();
		if (kill(pid, SIGUSR1) || !await_handled(wt, n)) {
			fprintf(stderr, "# the SIGUSR1 handler did not run\n");
			return false;
		}
		return true;
	}
	case D_FREEZE:
		snprintf(path, sizeof(path), "%s/cgroup.freeze", cg);
		if (write_text(path, "1") || !await_frozen(cg, 1)) {
			fprintf(stderr, "# the cgroup did not freeze\n");
			return false;
		}
		sleep_until(sd_now_ns() + hold_ns);
		*resumed = sd_now_ns();
		if (write_text(path, "0") || !await_frozen(cg, 0)) {
			fprintf(stderr, "# the cgroup did not thaw\n");
			return false;
		}
		return true;
	}
	return false;
}

static pid_t spawn_disturbed(FIXTURE_DATA(disturb) *self,
			     const FIXTURE_VARIANT(disturb) *variant,
			     struct waiter *wt, __u64 seq, __s64 timeout_ns)
{
	snprintf(wt->cgroup, sizeof(wt->cgroup), "%s", self->cgroup);
	return spawn_waiter(self->fd, wt, seq, timeout_ns, 0,
			    variant->kind == D_HANDLER ? SA_RESTART : NO_HANDLER);
}

/*
 * A WAIT, forever or for a minute, sleeps on through the disturbance,
 * twice: it has not returned, it sleeps in WAIT again, and a NOTIFY then
 * wakes it with 0 and the new sequence.
 */
TEST_F(disturb, then_notify)
{
	const __s64 timeouts[] = { -1, 60000000000LL };
	struct waiter *wt = waiter_new();
	uint64_t resumed;
	__u64 seq;

	ASSERT_NE(NULL, wt);
	for (unsigned int i = 0; i < ARRAY_SIZE(timeouts); i++) {
		pid_t pid;

		seq = info_seq(self->fd);
		ASSERT_NE(~0ULL, seq);
		pid = spawn_disturbed(self, variant, wt, seq, timeouts[i]);
		ASSERT_LE(0, pid);
		for (int round = 0; round < 2; round++) {
			if (!await_sleeping(pid, pid, self->fd)) {
				kill_all(&pid, 1);
				ASSERT_TRUE(false) TH_LOG("the child does not sleep in WAIT");
			}
			if (!disturb_waiter(variant->kind, pid, wt, self->cgroup,
					    100000000, &resumed)) {
				kill_all(&pid, 1);
				ASSERT_TRUE(false);
			}
		}
		if (!await_sleeping(pid, pid, self->fd)) {
			kill_all(&pid, 1);
			ASSERT_TRUE(false) TH_LOG("WAIT (timeout %lld) ended: %d, %s",
				(long long)timeouts[i], wt->ret, strerror(wt->err));
		}
		EXPECT_EQ(0, atomic_load(&wt->done));
		EXPECT_EQ(seq + 1, notify(self->fd));
		EXPECT_EQ(1, reap_within(&pid, 1, 10));
		EXPECT_EQ(0, wt->ret) TH_LOG("timeout %lld: %s",
					     (long long)timeouts[i], strerror(wt->err));
		EXPECT_EQ(seq + 1, wt->w.seq);
		if (variant->kind == D_HANDLER)
			EXPECT_EQ(2, atomic_load(&wt->handled));
		TH_LOG("timeout %lld: argument after: timeout %lld, flags %#x",
		       (long long)timeouts[i], (long long)wt->w.timeout_ns,
		       wt->w.flags);
	}
	munmap(wt, sizeof(*wt));
}

/*
 * A WAIT of DEADLINE_NS, disturbed at a third of it and again later,
 * times out at its original deadline: not before it, and not a fresh
 * timeout after the disturbance. For a handler, the argument now holds
 * the absolute deadline with SHMDEV_WAIT_ABSTIME.
 */
TEST_F(disturb, keeps_deadline)
{
	struct waiter *wt = waiter_new();
	uint64_t asleep = 0, resumed = 0, bound;
	int disturbed = 0;
	__u64 seq;
	pid_t pid;

	ASSERT_NE(NULL, wt);
	seq = info_seq(self->fd);
	ASSERT_NE(~0ULL, seq);
	pid = spawn_disturbed(self, variant, wt, seq, DEADLINE_NS);
	ASSERT_LE(0, pid);
	for (int round = 0; round < 2; round++) {
		if (!await_sleeping(pid, pid, self->fd)) {
			kill_all(&pid, 1);
			ASSERT_TRUE(false) TH_LOG("the child does not sleep in WAIT");
		}
		/*
		 * Times from when the WAIT was seen asleep, after its
		 * deadline was fixed: a loaded machine may run the child
		 * late between its clock reading and the call.
		 */
		if (!round)
			asleep = sd_now_ns();
		sleep_until(asleep + (round + 1) * DEADLINE_NS / 3);
		/* Too late to prove anything, and it might time out meanwhile. */
		if (sd_now_ns() > asleep + DEADLINE_NS * 3 / 4)
			break;
		if (!disturb_waiter(variant->kind, pid, wt, self->cgroup,
				    DEADLINE_NS / 6, &resumed)) {
			kill_all(&pid, 1);
			ASSERT_TRUE(false);
		}
		disturbed++;
	}
	EXPECT_EQ(1, reap_within(&pid, 1, 10));
	ASSERT_LT(0, disturbed) TH_LOG("the machine is too slow to disturb the WAIT in time");
	/*
	 * The deadline was fixed between t0 and asleep. A WAIT that took a
	 * fresh timeout when it resumed ends after resumed + DEADLINE_NS.
	 */
	bound = asleep + DEADLINE_NS + LATE_NS;
	if (resumed + DEADLINE_NS < bound)
		bound = resumed + DEADLINE_NS;
	TH_LOG("%d disturbances, the last resumed %.3f s in; ETIMEDOUT after %.3f s (deadline %.3f s, seen asleep %.3f s in)",
	       disturbed, (resumed - wt->t0) / 1e9, (wt->t1 - wt->t0) / 1e9,
	       DEADLINE_NS / 1e9, (asleep - wt->t0) / 1e9);
	EXPECT_EQ(-1, wt->ret);
	EXPECT_EQ(ETIMEDOUT, wt->err);
	EXPECT_LE(wt->t0 + DEADLINE_NS, wt->t1);
	EXPECT_GT(bound, wt->t1) TH_LOG("%.3f s after the last resumption",
				       ((double)wt->t1 - resumed) / 1e9);
	EXPECT_EQ(seq, wt->w.seq);
	if (variant->kind == D_HANDLER) {
		EXPECT_EQ(disturbed, atomic_load(&wt->handled));
		EXPECT_TRUE(rewritten_as_deadline(&wt->w, seq, wt->t0, asleep));
	} else {
		TH_LOG("argument after: timeout %lld, flags %#x%s",
		       (long long)wt->w.timeout_ns, wt->w.flags,
		       wt->w.flags & SHMDEV_WAIT_ABSTIME ?
		       " (the absolute deadline)" : "");
	}
	EXPECT_EQ(seq, info_seq(self->fd));
	munmap(wt, sizeof(*wt));
}

/*
 * A fatal signal ends a WAIT, forever or with a timeout, relative or
 * absolute, and the process with it, at once: SIGKILL, and SIGTERM with
 * no handler. A stopped waiter dies of SIGKILL too.
 */
TEST_F(notify, fatal_signal_ends_wait)
{
	const struct {
		int sig;
		__s64 timeout_ns;
		__u32 flags;
		bool stopped;
	} cases[] = {
		{ SIGKILL, -1, 0, false },
		{ SIGKILL, 60000000000LL, 0, false },
		{ SIGKILL, 0, SHMDEV_WAIT_ABSTIME, false },
		{ SIGTERM, 60000000000LL, 0, false },
		{ SIGTERM, -1, 0, false },
		{ SIGKILL, 60000000000LL, 0, true },
	};
	struct waiter *wt = waiter_new();
	__u64 seq = info_seq(self->fd);

	ASSERT_NE(NULL, wt);
	ASSERT_NE(~0ULL, seq);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		__s64 timeout = cases[i].timeout_ns;
		double t0;
		int status;
		pid_t pid;

		if (cases[i].flags)
			timeout = sd_now_ns() + 60000000000LL;
		pid = spawn_waiter(self->fd, wt, seq, timeout, cases[i].flags,
				   NO_HANDLER);
		ASSERT_LE(0, pid);
		if (!await_sleeping(pid, pid, self->fd)) {
			kill_all(&pid, 1);
			ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
		}
		if (cases[i].stopped) {
			ASSERT_EQ(0, kill(pid, SIGSTOP));
			ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
			ASSERT_TRUE(WIFSTOPPED(status));
		}
		t0 = sd_now();
		ASSERT_EQ(0, kill(pid, cases[i].sig));
		EXPECT_TRUE(child_killed_by(pid, cases[i].sig))
			TH_LOG("case %u: signal %d", i, cases[i].sig);
		EXPECT_GT(5.0, sd_now() - t0);
		EXPECT_EQ(0, atomic_load(&wt->done));
	}
	EXPECT_EQ(seq, info_seq(self->fd));
	munmap(wt, sizeof(*wt));
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
	other = shmdev_open(O_WRONLY);
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
