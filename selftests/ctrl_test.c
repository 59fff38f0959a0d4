// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the control page (mmap at SHMDEV_CTRL_OFFSET) and
 * SHMDEV_IOC_WAKE: the mapping rules, the sequence it shows, the waiting
 * word WAIT and poll publish, in-place increments that need WAKE, fork,
 * MADV_DONTNEED, a shrink, and a stress of the userspace notify protocol
 * against sleeping waiters that fails on any lost wake-up.
 */

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define READY	(POLLIN | POLLRDNORM | POLLPRI)

typedef volatile struct shmdev_ctrl vctrl_t;

/* Maps the control page of @fd with @prot; MAP_FAILED and errno on error. */
static vctrl_t *map_ctrl(int fd, int prot)
{
	return mmap(NULL, page_size(), prot, MAP_SHARED, fd, SHMDEV_CTRL_OFFSET);
}

static __u64 ctrl_seq(vctrl_t *c)
{
	return __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
}

static __u32 ctrl_waiting(vctrl_t *c)
{
	return __atomic_load_n(&c->waiting, __ATOMIC_SEQ_CST);
}

/* The userspace notifier: increment in place, WAKE only if one may sleep. */
static __u64 notify_in_place(int fd, vctrl_t *c, bool *woke)
{
	__u64 seq = __atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);

	*woke = false;
	if (__atomic_load_n(&c->waiting, __ATOMIC_SEQ_CST)) {
		if (ioctl(fd, SHMDEV_IOC_WAKE))
			return ~0ULL;
		*woke = true;
	}
	return seq;
}

/* True once task @tid of @pid sleeps in SHMDEV_IOC_WAIT on its file @fd. */
static bool await_sleeping(pid_t pid, pid_t tid, int fd)
{
	return await_in_syscall(pid, tid, SYS_ioctl, -1, (unsigned long)fd,
				(unsigned long)SHMDEV_IOC_WAIT);
}

/* Still asleep in the same call after @ms milliseconds, and not gone. */
static bool stays_asleep(pid_t pid, int ms)
{
	unsigned long args[2];
	char state;
	long nr;

	usleep(ms * 1000);
	if (waitpid(pid, NULL, WNOHANG) != 0)
		return false;
	return task_where(pid, pid, &state, &nr, args) && state == 'S' &&
	       nr == SYS_ioctl && args[1] == (unsigned long)SHMDEV_IOC_WAIT;
}

/*
 * Every test gets a region of its own, so that it starts with a fresh
 * control page: sequence 0, nobody waiting.
 */
FIXTURE(ctrl) {
	int dev;
	int fd;
	int ro;
	char name[32];
	long psz;
};

FIXTURE_SETUP(ctrl)
{
	self->psz = page_size();
	self->dev = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "ctrl_test.%d", getpid());
	self->fd = shmdev_open_name(self->dev, self->name, self->psz,
				    SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
				    SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_CLOEXEC,
				    0600);
	ASSERT_LE(0, self->fd) TH_LOG("OPEN %s: %s", self->name, strerror(errno));
	self->ro = shmdev_open_name(self->dev, self->name, 0,
				    SHMDEV_OPEN_RDONLY | SHMDEV_OPEN_CLOEXEC, 0);
	ASSERT_LE(0, self->ro);
}

FIXTURE_TEARDOWN(ctrl)
{
	close(self->ro);
	close(self->fd);
	close(self->dev);
}

/*
 * Exactly one shared, non-executable page at SHMDEV_CTRL_OFFSET; it reads
 * as zero but for the sequence, which starts at 0. mremap() cannot grow
 * it and mprotect() cannot make it executable.
 */
TEST_F(ctrl, mapping_rules)
{
	long psz = self->psz;
	vctrl_t *c;
	void *p;

	/* Two pages, a page further, a page before reaching into it. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * psz, PROT_READ, MAP_SHARED, self->fd,
				   SHMDEV_CTRL_OFFSET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, psz, PROT_READ, MAP_SHARED, self->fd,
				   SHMDEV_CTRL_OFFSET + psz));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * psz, PROT_READ, MAP_SHARED, self->fd,
				   SHMDEV_CTRL_OFFSET - psz));
	EXPECT_EQ(EINVAL, errno);
	/* Private: EINVAL; executable: EPERM. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, psz, PROT_READ, MAP_PRIVATE, self->fd,
				   SHMDEV_CTRL_OFFSET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, psz, PROT_READ | PROT_EXEC, MAP_SHARED,
				   self->fd, SHMDEV_CTRL_OFFSET));
	EXPECT_EQ(EPERM, errno);

	c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, c) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0ULL, ctrl_seq(c));
	EXPECT_EQ(0U, ctrl_waiting(c));
	EXPECT_TRUE(all_zero((const char *)c, psz));
	EXPECT_EQ(-1, mprotect((void *)c, psz, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	p = mremap((void *)c, psz, 2 * psz, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	/* The data offsets still map as before, next to it. */
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, psz));
	EXPECT_EQ(0, munmap((void *)c, psz));
}

/*
 * A read-only file maps the page read-only, for good: PROT_WRITE fails
 * with EACCES in mmap() and mprotect(). A writable file maps it writable,
 * and an in-place store shows in GET_INFO and in the read-only mapping.
 */
TEST_F(ctrl, readonly_file_maps_readonly)
{
	long psz = self->psz;
	vctrl_t *rc, *wc;

	EXPECT_EQ(MAP_FAILED, map_ctrl(self->ro, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	rc = map_ctrl(self->ro, PROT_READ);
	ASSERT_NE(MAP_FAILED, rc);
	EXPECT_EQ(-1, mprotect((void *)rc, psz, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	probe_install();
	EXPECT_EQ(SIGSEGV, probe_write((volatile char *)rc, 1));

	wc = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, wc);
	__atomic_store_n(&wc->seq, 41, __ATOMIC_SEQ_CST);
	EXPECT_EQ(41ULL, ctrl_seq(rc));
	EXPECT_EQ(41ULL, info_seq(self->ro));
	EXPECT_EQ(42ULL, notify(self->fd));
	EXPECT_EQ(42ULL, ctrl_seq(rc));
	EXPECT_EQ(42ULL, ctrl_seq(wc));
	munmap((void *)wc, psz);
	munmap((void *)rc, psz);
}

/*
 * The page's sequence is the region's: GET_INFO, fdinfo, NOTIFY and WAIT
 * agree with it, through every file of the region, while another region
 * has a page of its own.
 */
TEST_F(ctrl, seq_is_the_regions)
{
	__u64 d0 = info_seq(self->dev), seq, s;
	vctrl_t *c, *rc, *dc;
	char path[64];
	bool woke;

	c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	rc = map_ctrl(self->ro, PROT_READ);
	dc = map_ctrl(self->dev, PROT_READ);
	ASSERT_NE(MAP_FAILED, c);
	ASSERT_NE(MAP_FAILED, rc);
	ASSERT_NE(MAP_FAILED, dc);
	ASSERT_NE(c, rc);
	for (int i = 1; i <= 5; i++) {
		seq = notify(self->fd);
		EXPECT_EQ((__u64)i, seq);
		EXPECT_EQ(seq, ctrl_seq(c));
		EXPECT_EQ(seq, ctrl_seq(rc));
		EXPECT_EQ(seq, info_seq(self->ro));
		/* The default region's page has a sequence of its own. */
		EXPECT_EQ(d0, ctrl_seq(dc));
	}
	EXPECT_EQ(d0, info_seq(self->dev));

	/* In place: GET_INFO, WAIT and the other mapping see it. */
	seq = notify_in_place(self->fd, c, &woke);
	EXPECT_EQ(6ULL, seq);
	EXPECT_FALSE(woke);
	EXPECT_EQ(6ULL, info_seq(self->fd));
	EXPECT_EQ(6ULL, ctrl_seq(rc));
	s = 5;
	EXPECT_EQ(0, wait_seq(self->ro, &s, 0));
	EXPECT_EQ(6ULL, s);
	EXPECT_EQ(7ULL, notify(self->fd));

	/* fdinfo shows it too. */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->ro);
	EXPECT_EQ(7LL, proc_field(path, "shmdev-seq"));
	munmap((void *)dc, self->psz);
	munmap((void *)rc, self->psz);
	munmap((void *)c, self->psz);
}

/*
 * An in-place increment wakes nobody: the child asleep in WAIT stays
 * asleep until WAKE, which leaves the sequence alone. waiting is 1 while
 * the child sleeps and 0 once the wake left nobody on the queue.
 */
TEST_F(ctrl, in_place_needs_wake)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	bool woke = true;
	pid_t pid;
	__u64 seq;
	int status;

	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0U, ctrl_waiting(c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 s = 0;

		/* Returns 3 only if woken with the in-place sequence. */
		_exit(wait_seq(self->ro, &s, 60LL * 1000000000) == 0 && s == 1 ? 3 : 1);
	}
	ASSERT_TRUE(await_sleeping(pid, pid, self->ro)) {
		kill_all(&pid, 1);
	}
	EXPECT_EQ(1U, ctrl_waiting(c));

	/* In place, no WAKE: the child sleeps on. */
	EXPECT_EQ(1ULL, __atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST));
	EXPECT_TRUE(stays_asleep(pid, 300));
	EXPECT_EQ(1U, ctrl_waiting(c));

	/* WAKE: the child returns the sequence, which did not move. */
	EXPECT_EQ(0, ioctl(self->fd, SHMDEV_IOC_WAKE));
	EXPECT_EQ(1ULL, ctrl_seq(c));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(0U, ctrl_waiting(c));
	EXPECT_EQ(1ULL, info_seq(self->fd));

	/* With nobody waiting, the protocol makes no WAKE. */
	seq = notify_in_place(self->fd, c, &woke);
	EXPECT_EQ(2ULL, seq);
	EXPECT_FALSE(woke);
	munmap((void *)c, self->psz);
}

/* A WAIT that times out or finds the sequence moved leaves waiting clear. */
TEST_F(ctrl, wait_leaves_waiting_clear)
{
	vctrl_t *c = map_ctrl(self->ro, PROT_READ);
	__u64 s = 0;

	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(-ETIMEDOUT, wait_seq(self->ro, &s, 20 * 1000000));
	EXPECT_EQ(0U, ctrl_waiting(c));
	EXPECT_EQ(1ULL, notify(self->fd));
	EXPECT_EQ(0, wait_seq(self->ro, &s, -1));
	EXPECT_EQ(1ULL, s);
	EXPECT_EQ(0U, ctrl_waiting(c));
	munmap((void *)c, self->psz);
}

struct poller {
	int fd;
	int ret;
	short revents;
	pid_t tid;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN | POLLPRI };

	__atomic_store_n(&p->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	p->ret = poll(&pfd, 1, 60000);
	p->revents = pfd.revents;
	return NULL;
}

/*
 * poll() publishes waiting while it sleeps; an in-place increment makes
 * the file readable but wakes no poller until WAKE; and it acknowledges
 * nothing: the file stays readable until a WAIT through it.
 */
TEST_F(ctrl, poll_sets_waiting)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	struct poller p = { .fd = self->ro, .ret = -2 };
	struct pollfd pfd = { .fd = self->ro, .events = POLLIN | POLLPRI };
	pthread_t th;
	__u64 s;

	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0U, ctrl_waiting(c));
	ASSERT_EQ(0, pthread_create(&th, NULL, poll_thread, &p));
	while (!__atomic_load_n(&p.tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	/* Asleep in poll() (ppoll() on some libcs). */
	ASSERT_TRUE(await_in_syscall(getpid(), p.tid, SYS_poll, SYS_ppoll,
				     ANY_ARG, ANY_ARG));
	EXPECT_EQ(1U, ctrl_waiting(c));
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
	usleep(300 * 1000);
	EXPECT_EQ(-2, __atomic_load_n(&p.ret, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0, ioctl(self->fd, SHMDEV_IOC_WAKE));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(1, p.ret);
	EXPECT_EQ(READY & (POLLIN | POLLPRI), p.revents & READY);

	/* Nothing acknowledged: still readable, through both files. */
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	pfd.fd = self->fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	s = 0;
	EXPECT_EQ(0, wait_seq(self->ro, &s, 0));
	EXPECT_EQ(1ULL, s);
	pfd.fd = self->ro;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	munmap((void *)c, self->psz);
}

/*
 * WAKE needs a file open for writing (EBADF, and the sleeping waiter
 * sleeps on); it never moves the sequence, and the module counts it.
 */
TEST_F(ctrl, wake_needs_write)
{
	vctrl_t *c = map_ctrl(self->ro, PROT_READ);
	long long wakes = proc_field(SHMDEV_DEBUGFS "/stats", "wakes");
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 s = 0;

		_exit(wait_seq(self->ro, &s, 60LL * 1000000000) == 0 && s == 1 ? 0 : 1);
	}
	ASSERT_TRUE(await_sleeping(pid, pid, self->ro)) {
		kill_all(&pid, 1);
	}
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(-1, ioctl(self->ro, SHMDEV_IOC_WAKE));
		EXPECT_EQ(EBADF, errno);
	}
	EXPECT_TRUE(stays_asleep(pid, 200));
	EXPECT_EQ(0ULL, ctrl_seq(c));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(0, ioctl(self->fd, SHMDEV_IOC_WAKE));
	EXPECT_EQ(0ULL, ctrl_seq(c));
	EXPECT_EQ(0ULL, info_seq(self->fd));
	/* Woken for nothing, the child went back to sleep. */
	EXPECT_TRUE(stays_asleep(pid, 200));
	EXPECT_EQ(1ULL, notify(self->fd));
	EXPECT_TRUE(child_ok(pid));
	if (wakes >= 0)
		EXPECT_EQ(wakes + 3, proc_field(SHMDEV_DEBUGFS "/stats", "wakes"));
	munmap((void *)c, self->psz);
}

/* A child of fork() shares the page both ways. */
TEST_F(ctrl, fork_shares_page)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	/* Mapped in the parent before the fork, and not only after. */
	EXPECT_EQ(1ULL, notify(self->fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		double end = sd_now() + 10;

		/* The parent's NOTIFY may already have come. */
		if (ctrl_seq(c) != 1 && ctrl_seq(c) != 2)
			_exit(1);
		/* Waits for the parent's NOTIFY, then answers in place. */
		while (ctrl_seq(c) != 2)
			if (sd_now() > end)
				_exit(2);
		__atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	EXPECT_EQ(2ULL, notify(self->fd));
	EXPECT_TRUE(child_ok(pid));
	EXPECT_EQ(3ULL, ctrl_seq(c));
	EXPECT_EQ(3ULL, info_seq(self->fd));
	munmap((void *)c, self->psz);
}

/*
 * MADV_DONTNEED drops the page table entry; the next access faults the
 * same page back in. So does a new mapping after munmap().
 */
TEST_F(ctrl, dontneed_refaults)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	unsigned char vec = 0;

	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(1ULL, notify(self->fd));
	EXPECT_EQ(1ULL, ctrl_seq(c));
	EXPECT_EQ(0, mincore((void *)c, self->psz, &vec));
	EXPECT_EQ(1, vec & 1);
	EXPECT_EQ(0, madvise((void *)c, self->psz, MADV_DONTNEED));
	EXPECT_EQ(0, mincore((void *)c, self->psz, &vec));
	EXPECT_EQ(0, vec & 1);
	EXPECT_EQ(2ULL, notify(self->fd));
	EXPECT_EQ(2ULL, ctrl_seq(c));
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(3ULL, info_seq(self->fd));
	EXPECT_EQ(0, munmap((void *)c, self->psz));
	c = map_ctrl(self->ro, PROT_READ);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(3ULL, ctrl_seq(c));
	munmap((void *)c, self->psz);
}

/*
 * The page outlives every file of its region while mapped, and unmapping
 * it last is fine.
 */
TEST_F(ctrl, outlives_files)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);

	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(1ULL, notify(self->fd));
	close(self->ro);
	close(self->fd);
	self->ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	self->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(1ULL, ctrl_seq(c));
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(2ULL, ctrl_seq(c));
	EXPECT_EQ(0, munmap((void *)c, self->psz));
}

/*
 * A shrink to 0 leaves the control mapping alone: its page table entry
 * stays (mincore), and it reads the right sequence before and after.
 */
TEST_F(ctrl, shrink_leaves_ctrl_mapped)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	unsigned char vec = 0;
	char *p;

	ASSERT_NE(MAP_FAILED, c);
	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(1ULL, notify(self->fd));
	EXPECT_EQ(1ULL, ctrl_seq(c));
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	EXPECT_EQ(0, mincore((void *)c, self->psz, &vec));
	EXPECT_EQ(1, vec & 1) TH_LOG("the shrink zapped the control page");
	EXPECT_EQ(1ULL, ctrl_seq(c));
	EXPECT_EQ(2ULL, notify(self->fd));
	EXPECT_EQ(2ULL, ctrl_seq(c));
	__atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(3ULL, info_seq(self->fd));
	munmap(p, self->psz);
	munmap((void *)c, self->psz);
}

/*
 * Garbage written into the page by a writer: the kernel stays correct.
 * A waiting word forced to 1 costs a NOTIFY a wake-up that clears it; a
 * huge sequence wraps; a waiter still wakes on NOTIFY.
 */
TEST_F(ctrl, garbage_from_writer)
{
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	struct shmdev_info info;
	__u64 s;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	c->waiting = 0xdeadbeef;
	c->pad = 0xffffffff;
	c->seq = ~0ULL;
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(~0ULL, info.seq);
	EXPECT_EQ(0ULL, notify(self->fd));
	EXPECT_EQ(0U, ctrl_waiting(c));
	c->waiting = 7;
	EXPECT_EQ(0, ioctl(self->fd, SHMDEV_IOC_WAKE));
	EXPECT_EQ(0U, ctrl_waiting(c));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 s2 = 0;

		_exit(wait_seq(self->ro, &s2, 60LL * 1000000000) == 0 && s2 == 1 ? 0 : 1);
	}
	ASSERT_TRUE(await_sleeping(pid, pid, self->ro)) {
		kill_all(&pid, 1);
	}
	/* Forced to 0 while the child sleeps: NOTIFY still wakes it. */
	c->waiting = 0;
	EXPECT_EQ(1ULL, notify(self->fd));
	EXPECT_TRUE(child_ok(pid));
	s = 0;
	EXPECT_EQ(0, wait_seq(self->fd, &s, 0));
	EXPECT_EQ(1ULL, s);
	munmap((void *)c, self->psz);
}

/*
 * The stress: N notifier threads run the userspace protocol (an in-place
 * fetch-and-add, then WAKE if waiting is set; now and then a NOTIFY
 * instead) in bursts, while M waiter processes loop on WAIT with the
 * sequence they last saw (now and then checking the page first, as the
 * library does). After each burst every waiter must see the final
 * sequence within a deadline far longer than a wake-up takes, and no WAIT
 * may time out while notifiers are active: a lost wake-up leaves a waiter
 * asleep with the sequence moved, and fails the test.
 */
enum { NOTIFIERS = 3, WAITERS = 4 };

struct stress_shared {
	_Atomic int stop;
	_Atomic __u64 seen[WAITERS];
	_Atomic __u64 waits[WAITERS];
	struct shared_failure fail;
};

struct notifier {
	int fd;
	vctrl_t *c;
	pthread_barrier_t *start, *end;
	_Atomic int *stop;
	unsigned int seed;
	unsigned long wakes, ops;
	int err;
};

static void *notifier_thread(void *arg)
{
	struct notifier *n = arg;
	struct sd_rng rng;

	sd_rng_seed(&rng, n->seed);
	for (;;) {
		pthread_barrier_wait(n->start);
		if (atomic_load(n->stop))
			return NULL;
		for (int k = sd_rng_below(&rng, 40) + 1; k > 0; k--) {
			bool woke;

			if (sd_rng_below(&rng, 8) == 0) {
				if (notify(n->fd) == ~0ULL)
					n->err = errno;
			} else if (notify_in_place(n->fd, n->c, &woke) == ~0ULL) {
				n->err = errno;
			} else {
				n->wakes += woke;
			}
			n->ops++;
			/* A short, random gap lets waiters get back to sleep. */
			for (int spin = sd_rng_below(&rng, 4000); spin > 0; spin--)
				__asm__ volatile("" ::: "memory");
			if (sd_rng_below(&rng, 4) == 0)
				usleep(sd_rng_below(&rng, 200));
		}
		pthread_barrier_wait(n->end);
	}
}

static int waiter_main(int fd, vctrl_t *c, struct stress_shared *sh, int i)
{
	__u64 seen = ctrl_seq(c);
	struct sd_rng rng;

	sd_rng_seed(&rng, getpid());
	atomic_store(&sh->seen[i], seen);
	while (!atomic_load(&sh->stop)) {
		struct shmdev_wait w = { .seq = seen, .timeout_ns = 20LL * 1000000000 };

		/* The library's fast path: no system call if it moved. */
		if (sd_rng_below(&rng, 2) && ctrl_seq(c) != seen) {
			seen = ctrl_seq(c);
			atomic_store(&sh->seen[i], seen);
			continue;
		}
		atomic_fetch_add(&sh->waits[i], 1);
		if (ioctl(fd, SHMDEV_IOC_WAIT, &w)) {
			if (atomic_load(&sh->stop))
				break;
			record_failure(&sh->fail, "waiter %d: WAIT with seq %llu: %s (page seq %llu)",
				       i, (unsigned long long)seen, strerror(errno),
				       (unsigned long long)ctrl_seq(c));
			return 1;
		}
		seen = w.seq;
		atomic_store(&sh->seen[i], seen);
	}
	return 0;
}

TEST_F_TIMEOUT(ctrl, stress_no_lost_wakeup, 120)
{
	const char *env = getenv("SHMDEV_STRESS_SECONDS");
	double secs = env ? atof(env) : 5, end, deadline;
	vctrl_t *c = map_ctrl(self->fd, PROT_READ | PROT_WRITE);
	struct notifier n[NOTIFIERS];
	pthread_t th[NOTIFIERS];
	pthread_barrier_t start, stop_b;
	struct stress_shared *sh;
	pid_t pids[WAITERS] = { 0 };
	unsigned long rounds = 0, ops = 0, wakes = 0, waits = 0;
	_Atomic int stop = 0;
	int lost = 0;

	if (secs <= 0 || secs > 10)
		secs = 5;
	ASSERT_NE(MAP_FAILED, c);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	for (int i = 0; i < WAITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			/* A mapping of its own, through the read-only file. */
			vctrl_t *rc = map_ctrl(self->ro, PROT_READ);

			_exit(rc == MAP_FAILED ? 2 : waiter_main(self->ro, rc, sh, i));
		}
		if (pids[i] < 0) {
			kill_all(pids, i);
			ASSERT_LE(0, pids[i]);
		}
	}
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, NOTIFIERS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&stop_b, NULL, NOTIFIERS + 1));
	for (int i = 0; i < NOTIFIERS; i++) {
		n[i] = (struct notifier){ .fd = self->fd, .c = c, .start = &start,
					  .end = &stop_b, .stop = &stop,
					  .seed = (unsigned int)sd_fresh_seed() + i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, notifier_thread, &n[i]));
	}

	end = sd_now() + secs;
	while (sd_now() < end && !lost && !atomic_load(&sh->fail.failed)) {
		__u64 final;

		pthread_barrier_wait(&start);
		pthread_barrier_wait(&stop_b);
		final = ctrl_seq(c);
		rounds++;
		/* A wake-up takes microseconds; 3 s is for slow debug VMs. */
		deadline = sd_now() + 3;
		for (int i = 0; i < WAITERS; i++) {
			while (atomic_load(&sh->seen[i]) != final && sd_now() < deadline)
				usleep(100);
			if (atomic_load(&sh->seen[i]) != final) {
				TH_LOG("round %lu: waiter %d still saw %llu, the sequence was %llu, waiting %u: a lost wake-up",
				       rounds, i, (unsigned long long)atomic_load(&sh->seen[i]),
				       (unsigned long long)final, ctrl_waiting(c));
				lost++;
			}
		}
	}
	atomic_store(&stop, 1);
	pthread_barrier_wait(&start);
	for (int i = 0; i < NOTIFIERS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, n[i].err);
		ops += n[i].ops;
		wakes += n[i].wakes;
	}
	atomic_store(&sh->stop, 1);
	notify(self->fd);
	EXPECT_EQ(WAITERS, reap_within(pids, WAITERS, 30));
	for (int i = 0; i < WAITERS; i++)
		waits += atomic_load(&sh->waits[i]);
	TH_LOG("%lu rounds, %lu notifications, %lu WAKE calls, %lu WAIT calls",
	       rounds, ops, wakes, waits);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, atomic_load(&sh->fail.failed)) TH_LOG("%s", sh->fail.why);
	EXPECT_GT(rounds, 10UL);
	/* The protocol skips WAKE when nobody may sleep. */
	EXPECT_LT(wakes, ops);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&stop_b);
	munmap(sh, sizeof(*sh));
	munmap((void *)c, self->psz);
}

SHMDEV_TEST_MAIN
