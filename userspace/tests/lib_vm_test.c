// SPDX-License-Identifier: GPL-2.0
/*
 * Integration tests of libshmdev against the loaded module (in the VM):
 * the default region; wait and notify through the control page (no
 * system call to notify while nobody waits, counted by a seccomp filter
 * that traps any system call; wake-ups across processes on both
 * paths; spinning) and through the ioctls where there is none; named
 * regions (create, open, unlink, chmod,
 * autoremove, the listing, other users' access). Runs as root; the tests
 * of other users' access run in children that become uid 1000 or 1001.
 */

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shmdev.h"
#include "shmdev_common.h"
#include "no_syscalls.h"

#include "harness.h"

/* True once process @pid sleeps in ioctl(@fd, SHMDEV_IOC_WAIT). */
static bool await_wait(pid_t pid, int fd)
{
	return await_in_syscall(pid, pid, SYS_ioctl, -1, (unsigned long)fd,
				(unsigned long)SHMDEV_IOC_WAIT);
}

FIXTURE(lib) {
	struct shmdev dev;
};

FIXTURE_SETUP(lib)
{
	if (access(SHMDEV_DEFAULT_PATH, F_OK))
		SKIP(return, "%s is absent", SHMDEV_DEFAULT_PATH);
	ASSERT_EQ(0, shmdev_open(&self->dev, O_RDWR));
	ASSERT_EQ(0, shmdev_set_size(&self->dev, 0));
	ASSERT_EQ(0, shmdev_set_size(&self->dev, 8192));
}

FIXTURE_TEARDOWN(lib)
{
	shmdev_close(&self->dev);
}

TEST_F(lib, size_map_info)
{
	struct shmdev_info info;
	uint64_t size = 0;
	char *p;

	ASSERT_EQ(0, shmdev_get_size(&self->dev, &size));
	EXPECT_EQ(8192ULL, size);
	ASSERT_EQ(0, shmdev_map(&self->dev, 8192, PROT_READ | PROT_WRITE, (void **)&p));
	strcpy(p + 4096, "lib");
	/* Poison: a field left unwritten shows. */
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, shmdev_get_info(&self->dev, &info));
	EXPECT_EQ(8192ULL, info.size);
	EXPECT_EQ(1ULL, info.nr_pages);
	EXPECT_EQ(1U, info.nr_mappings);
	EXPECT_EQ(0, shmdev_unmap(p, 8192));
	EXPECT_EQ(-EINVAL, shmdev_unmap(p + 1, 8192));
	EXPECT_EQ(-EFBIG, shmdev_set_size(&self->dev, info.max_size + 1));
}

TEST_F(lib, errors)
{
	struct shmdev ro;
	void *p;

	ASSERT_EQ(0, shmdev_open(&ro, O_RDONLY));
	EXPECT_EQ(-EBADF, shmdev_set_size(&ro, 0));
	EXPECT_EQ(-EACCES, shmdev_map(&ro, 4096, PROT_READ | PROT_WRITE, &p));
	shmdev_close(&ro);
	EXPECT_EQ(-ENOENT, shmdev_open_path(&ro, "/dev/nonexistent-shmdev", O_RDWR));
}

TEST_F(lib, notify_wait)
{
	uint64_t seq = 0, mine = ~0ULL;
	pid_t pid, parent;

	ASSERT_EQ(0, shmdev_notify(&self->dev, &mine));
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	/* Moved since @mine: returns at once with the current sequence. */
	seq = mine;
	EXPECT_EQ(0, shmdev_wait(&self->dev, &seq, -1));
	EXPECT_EQ(mine + 1, seq);
	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&self->dev, &seq, 1000000));
	EXPECT_EQ(mine + 1, seq);

	/* The child notifies once it has seen this process asleep in WAIT. */
	parent = getpid();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev d;

		if (!await_wait(parent, self->dev.fd))
			_exit(10);
		/* NOTIFY needs a file open for writing. */
		if (shmdev_open(&d, O_RDWR))
			_exit(11);
		_exit(shmdev_notify(&d, NULL) ? 12 : 0);
	}
	EXPECT_EQ(0, shmdev_wait(&self->dev, &seq, 20000000000LL));
	EXPECT_EQ(mine + 2, seq);
	EXPECT_TRUE(child_ok(pid));
}

/* ---- wait and notify through the control page ------------------------- */

/* Does the module give this file a control page? Asked directly. */
static bool module_has_ctrl(int fd)
{
	long psz = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, (off_t)SHMDEV_CTRL_OFFSET);

	if (p == MAP_FAILED)
		return false;
	munmap(p, psz);
	return true;
}

/* The handle on the same file without the control page: the ioctls only. */
static struct shmdev ioctl_only(const struct shmdev *dev)
{
	struct shmdev d;

	/* As a caller that fills the handle by hand: no control page. */
	memset(&d, 0x5a, sizeof(d));
	d.fd = dev->fd;
	return d;
}

/*
 * A child that notifies @n times through @dev, and waits once on a
 * sequence that already moved, under forbid_syscalls(): exits 0 if it
 * made no system call, exits SYSCALL_SEEN if it made one.
 */
static pid_t notify_without_syscalls(struct shmdev *dev, int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint64_t seq = 0, old;

		if (!forbid_syscalls())
			_exit(20);
		for (int i = 0; i < n; i++)
			if (shmdev_notify(dev, &seq))
				_exit(21);
		old = seq - 1;
		if (shmdev_wait(dev, &old, -1) || old != seq)
			_exit(22);
		_exit(0);
	}
	return pid;
}

TEST_F(lib, ctrl_page_mapped)
{
	struct shmdev_info info;
	struct shmdev ro, d;
	uint64_t seq = 0;

	if (!module_has_ctrl(self->dev.fd)) {
		EXPECT_EQ(NULL, self->dev.ctrl);
		TH_LOG("the module has no control page: the ioctls are used");
	} else {
		ASSERT_NE(NULL, self->dev.ctrl);
		EXPECT_TRUE(self->dev.ctrl_writable);
		ASSERT_EQ(0, shmdev_notify(&self->dev, &seq));
		ASSERT_EQ(0, shmdev_get_info(&self->dev, &info));
		EXPECT_EQ(seq, info.seq);
		EXPECT_EQ(seq, self->dev.ctrl->seq);
	}
	ASSERT_EQ(0, shmdev_get_info(&self->dev, &info));
	EXPECT_EQ(info.seq, shmdev_seq(&self->dev));
	d = ioctl_only(&self->dev);
	EXPECT_EQ(info.seq, shmdev_seq(&d));
	ASSERT_EQ(0, shmdev_notify(&d, &seq));
	EXPECT_EQ(info.seq + 1, seq);
	EXPECT_EQ(seq, shmdev_seq(&self->dev));

	/* Read-only: mapped read-only, and notifying is refused. */
	ASSERT_EQ(0, shmdev_open(&ro, O_RDONLY));
	EXPECT_EQ(self->dev.ctrl != NULL, ro.ctrl != NULL);
	EXPECT_FALSE(ro.ctrl_writable);
	EXPECT_EQ(-EBADF, shmdev_notify(&ro, NULL));
	EXPECT_EQ(seq, shmdev_seq(&ro));
	shmdev_close(&ro);
	EXPECT_EQ(NULL, ro.ctrl);

	EXPECT_EQ(-EINVAL, shmdev_set_spin(&self->dev, -1));
	EXPECT_EQ(0, shmdev_set_spin(&self->dev, 0));
	setenv("SHMDEV_SPIN_NS", "12345", 1);
	ASSERT_EQ(0, shmdev_open(&ro, O_RDONLY));
	unsetenv("SHMDEV_SPIN_NS");
	EXPECT_EQ(12345, ro.spin_ns);
	shmdev_close(&ro);
}

/*
 * With the control page, notifying while nobody waits makes no system
 * call; with a waiter asleep, it calls WAKE. Without one, it makes its
 * NOTIFY ioctl: the method sees system calls.
 */
TEST_F(lib, notify_nobody_waiting_no_syscall)
{
	struct shmdev_info before, after;
	pid_t pid, waiter;

	if (!can_forbid_syscalls())
		SKIP(return, "no seccomp filters here to count system calls with");
	/*
	 * A waiter that timed out may have left the waiting word set: the
	 * next notification's WAKE clears it (the queue is empty).
	 */
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	ASSERT_EQ(0, shmdev_get_info(&self->dev, &before));
	pid = notify_without_syscalls(&self->dev, 1000);
	ASSERT_LT(0, pid);
	if (!self->dev.ctrl) {
		EXPECT_TRUE(child_made_syscall(pid));
		SKIP(return, "no control page: the ioctls are system calls");
	}
	ASSERT_TRUE(child_ok(pid));
	ASSERT_EQ(0, shmdev_get_info(&self->dev, &after));
	EXPECT_EQ(before.seq + 1000, after.seq);

	/* A waiter asleep: the notifier must call WAKE (and is stopped there). */
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (waiter == 0) {
		uint64_t seq = shmdev_seq(&self->dev);

		shmdev_set_spin(&self->dev, 0);
		_exit(shmdev_wait(&self->dev, &seq, 20000000000LL) ? 1 : 0);
	}
	ASSERT_TRUE(await_wait(waiter, self->dev.fd));
	pid = notify_without_syscalls(&self->dev, 1);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(child_made_syscall(pid));
	/* Its increment stands, unseen by the sleeper: wake it properly. */
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	EXPECT_TRUE(child_ok(waiter));
}

/*
 * A waiter asleep in shmdev_wait() is woken by shmdev_notify() from
 * another process, through the control page or the ioctls on either side.
 */
TEST_F(lib, wait_woken_by_other_process)
{
	for (int mode = 0; mode < 4; mode++) {
		bool wait_ctrl = mode & 1, notify_ctrl = mode & 2;
		struct shmdev w = wait_ctrl ? self->dev : ioctl_only(&self->dev);
		uint64_t seq = shmdev_seq(&self->dev), start = seq;
		pid_t parent = getpid(), pid;

		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct shmdev n;

			if (!await_wait(parent, self->dev.fd))
				_exit(10);
			n = notify_ctrl ? self->dev : ioctl_only(&self->dev);
			_exit(shmdev_notify(&n, NULL) ? 11 : 0);
		}
		EXPECT_EQ(0, shmdev_wait(&w, &seq, 20000000000LL)) TH_LOG("mode %d", mode);
		EXPECT_EQ(start + 1, seq) TH_LOG("mode %d", mode);
		EXPECT_TRUE(child_ok(pid)) TH_LOG("mode %d", mode);
	}
}

/* Spinning: within the timeout, and only where another CPU may run us. */
TEST_F(lib, wait_spin)
{
	uint64_t seq = shmdev_seq(&self->dev);
	int64_t t0;
	pid_t pid;

	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&self->dev, &seq, 0));
	ASSERT_EQ(0, shmdev_set_spin(&self->dev, 60000000000LL));
	t0 = sd_now_ns();
	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&self->dev, &seq, 30000000));
	EXPECT_LE(30000000, (int64_t)sd_now_ns() - t0);
	EXPECT_GT(5000000000LL, (int64_t)sd_now_ns() - t0);
	if (!self->dev.ctrl)
		SKIP(return, "no control page: no spinning");

	/* One CPU allowed: no spinning, straight to sleep despite 60 s of budget. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev d;
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		/* A new handle: the CPUs are looked at once per handle. */
		if (sched_setaffinity(0, sizeof(one), &one) || shmdev_open(&d, O_RDONLY) ||
		    shmdev_set_spin(&d, 60000000000LL))
			_exit(10);
		_exit(shmdev_wait(&d, &seq, 30000000000LL) ? 11 : 0);
	}
	ASSERT_TRUE(await_in_syscall(pid, pid, SYS_ioctl, -1, ANY_ARG,
				     (unsigned long)SHMDEV_IOC_WAIT));
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	EXPECT_TRUE(child_ok(pid));

	/* Several CPUs: it spins (never reaches WAIT) and sees the notify. */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: cannot spin");
	seq = shmdev_seq(&self->dev);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(shmdev_wait(&self->dev, &seq, 30000000000LL) ? 11 : 0);
	usleep(300000);
	{
		char state = '?';
		unsigned long args[2];
		long nr = -1;

		ASSERT_TRUE(task_where(pid, pid, &state, &nr, args));
		EXPECT_EQ('R', state);
	}
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	EXPECT_TRUE(child_ok(pid));
}

/* ---- named regions ---------------------------------------------------- */

/* A name of this process's own: no clash with a test run before. */
static const char *test_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "libvm.%s.%d", what, (int)getpid());
	return buf;
}

/*
 * The listing's entry for @name (or, with @name NULL, the default
 * region's) into @out; false when it is not listed.
 */
static bool find_listed(const char *name, struct shmdev_list_entry *out)
{
	struct shmdev_list_entry *e = NULL;
	bool found = false;
	size_t n = 0;

	if (shmdev_list(&e, &n))
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		if (name ? (e[i].flags & SHMDEV_INFO_NAMED) && !strcmp(e[i].name, name)
			 : (e[i].flags & SHMDEV_INFO_DEFAULT) != 0) {
			*out = e[i];
			found = true;
		}
	}
	free(e);
	return found;
}

/* In a child: a failed check says which and ends the child with 1. */
#define CHILD_CHECK(x) do {						\
	if (!(x)) {							\
		fprintf(stderr, "# child, line %d: %s\n", __LINE__, #x);	\
		_exit(1);						\
	}								\
} while (0)

/* Makes the calling child uid @uid, gid @uid, no other groups. */
static void become(uid_t uid)
{
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(uid, uid, uid) == 0);
	CHILD_CHECK(setresuid(uid, uid, uid) == 0);
}

FIXTURE(named) {
	char name[64];
	int node;	/* /dev/shmdev, read-only */
};

FIXTURE_SETUP(named)
{
	self->node = -1;
	if (access(SHMDEV_DEFAULT_PATH, F_OK))
		SKIP(return, "%s is absent", SHMDEV_DEFAULT_PATH);
	umask(022);
	self->node = open(SHMDEV_DEFAULT_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->node);
	test_name(self->name, sizeof(self->name), "r");
}

FIXTURE_TEARDOWN(named)
{
	if (self->node >= 0) {
		shmdev_unlink_region(self->node, self->name);
		close(self->node);
	}
}

/* Create, open again, the same region through both; then unlink. */
TEST_F(named, create_open_unlink)
{
	const uint32_t CX = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL;
	struct shmdev a = { .fd = -1 }, b = { .fd = -1 }, c = { .fd = -1 };
	struct shmdev_list_entry le;
	struct shmdev_info ia, ib;
	uint64_t size = 0;
	struct stat st;
	char buf[8], *p;

	ASSERT_EQ(0, shmdev_open_name(&a, self->name, CX, 5000, 0640));
	ASSERT_EQ(0, fstat(a.fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0640U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
	EXPECT_EQ(5000, st.st_size);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a.fd, F_GETFD) & FD_CLOEXEC);

	memset(&ia, 0xa5, sizeof(ia));
	ASSERT_EQ(0, shmdev_get_info(&a, &ia));
	EXPECT_EQ(5000ULL, ia.size);
	EXPECT_LT(1U, ia.id);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_NAMED, ia.flags);
	EXPECT_EQ(0U, ia.uid);
	EXPECT_EQ(0U, ia.gid);
	EXPECT_EQ(0640U, ia.mode);
	EXPECT_EQ(0U, ia.charged_uid);
	EXPECT_EQ(8192ULL, ia.charged);
	EXPECT_EQ(1U, ia.nr_files);

	/* It exists: EXCL fails, plain CREATE opens it, size and mode ignored. */
	EXPECT_EQ(-EEXIST, shmdev_open_name(&b, self->name, CX, 4096, 0600));
	EXPECT_EQ(-1, b.fd);
	ASSERT_EQ(0, shmdev_open_name(&b, self->name, SHMDEV_OPEN_CREATE, 4096, 0600));
	ASSERT_EQ(0, shmdev_get_size(&b, &size));
	EXPECT_EQ(5000ULL, size);

	/* One region: bytes mapped through a are read through b. */
	ASSERT_EQ(0, shmdev_map(&a, 8192, PROT_READ | PROT_WRITE, (void **)&p));
	memcpy(p + 10, "named", 6);
	EXPECT_EQ(6, pread(b.fd, buf, 6, 10));
	EXPECT_STREQ("named", buf);
	ASSERT_EQ(0, shmdev_get_info(&b, &ib));
	EXPECT_EQ(ia.id, ib.id);
	EXPECT_EQ(1U, ib.nr_mappings);

	/* Listed with what GET_INFO says. */
	ASSERT_TRUE(find_listed(self->name, &le));
	EXPECT_EQ(ia.id, le.id);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_NAMED, le.flags);
	EXPECT_EQ(0640U, le.mode);
	EXPECT_EQ(5000ULL, le.size);
	EXPECT_EQ(1ULL, le.nr_pages);
	EXPECT_EQ(1U, le.nr_mappings);
	EXPECT_EQ(0U, le.charged_uid);
	EXPECT_EQ(8192ULL, le.charged);

	/* Unlinked: the name is gone, the region lives on in a and b. */
	EXPECT_EQ(0, shmdev_unlink(self->name));
	EXPECT_EQ(-ENOENT, shmdev_unlink(self->name));
	EXPECT_EQ(-ENOENT, shmdev_open_name(&c, self->name, 0, 0, 0));
	EXPECT_FALSE(find_listed(self->name, &le));
	ASSERT_EQ(0, shmdev_get_info(&a, &ia));
	EXPECT_EQ(0U, ia.flags & SHMDEV_INFO_NAMED);
	EXPECT_EQ(6, pread(a.fd, buf, 6, 10));
	EXPECT_STREQ("named", buf);

	/* A new region under the same name at once. */
	ASSERT_EQ(0, shmdev_open_name(&c, self->name, CX, 0, 0600));
	ASSERT_EQ(0, shmdev_get_info(&c, &ib));
	EXPECT_NE(ia.id, ib.id);
	EXPECT_EQ(0ULL, ib.size);
	EXPECT_EQ(0, pread(c.fd, buf, 6, 10));

	EXPECT_EQ(0, shmdev_unmap(p, 8192));
	shmdev_close(&a);
	shmdev_close(&b);
	shmdev_close(&c);
}

TEST_F(named, missing)
{
	struct shmdev d = { .fd = -1 };

	EXPECT_EQ(-ENOENT, shmdev_open_name(&d, self->name, 0, 0, 0));
	EXPECT_EQ(-ENOENT, shmdev_open_name(&d, self->name, SHMDEV_OPEN_RDONLY, 0, 0));
	EXPECT_EQ(-ENOENT, shmdev_open_region(self->node, self->name, 0, 0, 0));
	EXPECT_EQ(-ENOENT, shmdev_unlink_region(self->node, self->name));
	EXPECT_EQ(-ENOENT, shmdev_unlink(self->name));
	EXPECT_EQ(-1, d.fd);
}

/*
 * The library refuses what the module refuses, with the same error: each
 * argument goes to the module as it is too, bypassing the library.
 */
TEST_F(named, checks_match_module)
{
	static const struct {
		const char *name;
		uint32_t flags, mode;
	} cases[] = {
		{ "x", 0x20, 0 },
		{ "x", 0x80000000U, 0 },
		{ "x", SHMDEV_OPEN_EXCL, 0 },
		{ "x", SHMDEV_OPEN_AUTOREMOVE, 0 },
		{ "x", SHMDEV_OPEN_CREATE, 01000 },
		{ "x", SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL, 04700 },
		{ "", SHMDEV_OPEN_CREATE, 0600 },
		{ "a/b", SHMDEV_OPEN_CREATE, 0600 },
		{ "/", 0, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", 0, 0 },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmdev_open o = {
			.flags = cases[i].flags, .mode = cases[i].mode,
		};
		int lib, mod;

		/* Up to SHMDEV_NAME_MAX bytes, without a NUL if that long. */
		memcpy(o.name, cases[i].name, strnlen(cases[i].name, SHMDEV_NAME_MAX));
		lib = shmdev_open_region(self->node, cases[i].name, cases[i].flags, 0,
					 cases[i].mode);
		mod = ioctl(self->node, SHMDEV_IOC_OPEN, &o) < 0 ? -errno : 0;
		EXPECT_GT(0, lib) TH_LOG("case %u", i);
		EXPECT_EQ(mod, lib) TH_LOG("case %u: library %d, module %d", i, lib, mod);
	}

	/* And the same for UNLINK. */
	for (unsigned int i = 6; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shmdev_name n = { };
		int lib, mod;

		memcpy(n.name, cases[i].name, strnlen(cases[i].name, SHMDEV_NAME_MAX));
		lib = shmdev_unlink_region(self->node, cases[i].name);
		mod = ioctl(self->node, SHMDEV_IOC_UNLINK, &n) < 0 ? -errno : 0;
		EXPECT_EQ(mod, lib) TH_LOG("case %u: library %d, module %d", i, lib, mod);
	}
}

/* RDONLY: a read-only file; CLOEXEC only when asked, at the low level. */
TEST_F(named, rdonly_cloexec)
{
	struct shmdev w = { .fd = -1 }, r = { .fd = -1 };
	void *p;
	int fd;

	ASSERT_EQ(0, shmdev_open_name(&w, self->name, SHMDEV_OPEN_CREATE, 4096, 0600));
	ASSERT_EQ(0, shmdev_open_name(&r, self->name, SHMDEV_OPEN_RDONLY, 0, 0));
	EXPECT_EQ(O_RDONLY, fcntl(r.fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_RDWR, fcntl(w.fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EBADF, shmdev_set_size(&r, 8192));
	EXPECT_EQ(-EBADF, shmdev_notify(&r, NULL));
	EXPECT_EQ(-EACCES, shmdev_map(&r, 4096, PROT_READ | PROT_WRITE, &p));
	ASSERT_EQ(0, shmdev_map(&r, 4096, PROT_READ, &p));
	EXPECT_EQ(0, shmdev_unmap(p, 4096));
	EXPECT_EQ(0, shmdev_notify(&w, NULL));

	fd = shmdev_open_region(self->node, self->name, 0, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = shmdev_open_region(w.fd, self->name, SHMDEV_OPEN_CLOEXEC, 0, 0);
	ASSERT_LE(0, fd) TH_LOG("OPEN through a region's file");
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* UNLINK through a region's file too. */
	EXPECT_EQ(0, shmdev_unlink_region(r.fd, self->name));
	shmdev_close(&r);
	shmdev_close(&w);
}

/* The default region leads the listing, as GET_INFO describes it. */
TEST_F(named, list_default)
{
	struct shmdev_list_entry *e = NULL, le;
	struct shmdev d = { .fd = -1 }, a = { .fd = -1 };
	struct shmdev_info info;
	size_t n = 0;

	ASSERT_EQ(0, shmdev_open(&d, O_RDONLY));
	ASSERT_EQ(0, shmdev_get_info(&d, &info));
	EXPECT_EQ(1U, info.id);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_DEFAULT, info.flags);
	EXPECT_EQ(0600U, info.mode);
	ASSERT_EQ(0, shmdev_open_name(&a, self->name,
				      SHMDEV_OPEN_CREATE | SHMDEV_OPEN_AUTOREMOVE, 0, 0644));

	ASSERT_EQ(0, shmdev_list(&e, &n));
	ASSERT_LE(2U, n);
	EXPECT_EQ(1U, e[0].id);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_DEFAULT, e[0].flags);
	EXPECT_STREQ("", e[0].name);
	EXPECT_EQ(info.size, e[0].size);
	EXPECT_EQ(0600U, e[0].mode);
	/* Then by id. */
	for (size_t i = 1; i < n; i++)
		EXPECT_LT(e[i - 1].id, e[i].id);
	free(e);

	ASSERT_TRUE(find_listed(self->name, &le));
	EXPECT_EQ((uint32_t)(SHMDEV_INFO_NAMED | SHMDEV_INFO_AUTOREMOVE), le.flags);
	EXPECT_EQ(0644U, le.mode);
	EXPECT_EQ(0ULL, le.size);
	EXPECT_EQ(0ULL, le.charged);
	ASSERT_EQ(0, shmdev_get_info(&a, &info));
	EXPECT_EQ((uint32_t)(SHMDEV_INFO_NAMED | SHMDEV_INFO_AUTOREMOVE), info.flags);
	shmdev_close(&a);
	shmdev_close(&d);
}

/* Names with the bytes the listing escapes come back whole. */
TEST_F(named, list_escaped_name)
{
	struct shmdev a = { .fd = -1 };
	struct shmdev_list_entry le;
	char name[64];

	snprintf(name, sizeof(name), "a b\tc\nd\\e %d", (int)getpid());
	ASSERT_EQ(0, shmdev_open_name(&a, name,
				      SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
				      SHMDEV_OPEN_AUTOREMOVE, 0, 0600));
	EXPECT_TRUE(find_listed(name, &le));
	shmdev_close(&a);
	EXPECT_FALSE(find_listed(name, &le));
}

/*
 * AUTOREMOVE: the name lasts while a file or a mapping holds the region,
 * and goes with the last of them, also when its holder is killed.
 */
TEST_F(named, autoremove)
{
	const uint32_t CA = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL | SHMDEV_OPEN_AUTOREMOVE;
	struct shmdev a = { .fd = -1 }, b = { .fd = -1 };
	struct shmdev_list_entry le;
	int pipefd[2];
	pid_t pid;
	void *p;
	char c;

	ASSERT_EQ(0, shmdev_open_name(&a, self->name, CA, 4096, 0600));
	ASSERT_EQ(0, shmdev_open_name(&b, self->name, 0, 0, 0));
	ASSERT_EQ(0, shmdev_map(&a, 4096, PROT_READ | PROT_WRITE, &p));
	shmdev_close(&a);
	shmdev_close(&b);
	/* The mapping holds it. */
	ASSERT_TRUE(find_listed(self->name, &le));
	EXPECT_EQ(1U, le.nr_mappings);
	ASSERT_EQ(0, shmdev_unmap(p, 4096));
	EXPECT_FALSE(find_listed(self->name, &le));
	EXPECT_EQ(-ENOENT, shmdev_open_name(&a, self->name, 0, 0, 0));

	/* kill -9 of the only holder. */
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev h;

		close(pipefd[0]);
		CHILD_CHECK(shmdev_open_name(&h, self->name, CA, 65536, 0600) == 0);
		CHILD_CHECK(shmdev_map(&h, 65536, PROT_READ | PROT_WRITE, &p) == 0);
		memset(p, 1, 65536);
		CHILD_CHECK(write(pipefd[1], "x", 1) == 1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	ASSERT_TRUE(find_listed(self->name, &le));
	EXPECT_EQ(16ULL, le.nr_pages);
	EXPECT_EQ(65536ULL, le.charged);
	kill(pid, SIGKILL);
	EXPECT_TRUE(child_killed_by(pid, SIGKILL));
	EXPECT_FALSE(find_listed(self->name, &le));
	EXPECT_EQ(-ENOENT, shmdev_unlink(self->name));
}

/*
 * Other users: the owner, group and mode decide as for a file; unlink is
 * the owner's or the creator's; chmod the owner's.
 */
TEST_F(named, other_users)
{
	struct shmdev a = { .fd = -1 }, d = { .fd = -1 };
	struct shmdev_info info;
	pid_t pid;
	int node = self->node;
	const char *name = self->name;

	/* Root's region, 0600: uid 1000 may neither open nor unlink it. */
	ASSERT_EQ(0, shmdev_open_name(&a, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL,
				      4096, 0600));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev r = { .fd = -1 };

		become(1000);
		/* Through root's file of the node: the caller's creds count. */
		CHILD_CHECK(shmdev_open_region(node, name, 0, 0, 0) == -EACCES);
		CHILD_CHECK(shmdev_open_region(node, name, SHMDEV_OPEN_RDONLY, 0, 0) == -EACCES);
		CHILD_CHECK(shmdev_open_region(node, name, SHMDEV_OPEN_CREATE, 0, 0600) == -EACCES);
		CHILD_CHECK(shmdev_unlink_region(node, name) == -EPERM);
		/* Nor change its mode through a file it was given. */
		r.fd = a.fd;
		CHILD_CHECK(shmdev_chmod(&r, 0666) == -EPERM);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));

	/* 0644: read-only for others; 0666: read-write. */
	ASSERT_EQ(0, shmdev_chmod(&a, 0644));
	ASSERT_EQ(0, shmdev_get_info(&a, &info));
	EXPECT_EQ(0644U, info.mode);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		become(1000);
		fd = shmdev_open_region(node, name, SHMDEV_OPEN_RDONLY, 0, 0);
		CHILD_CHECK(fd >= 0);
		close(fd);
		CHILD_CHECK(shmdev_open_region(node, name, 0, 0, 0) == -EACCES);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	ASSERT_EQ(0, shmdev_chmod(&a, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev r;

		become(1000);
		r.fd = shmdev_open_region(node, name, 0, 0, 0);
		CHILD_CHECK(r.fd >= 0);
		CHILD_CHECK(shmdev_notify(&r, NULL) == 0);
		CHILD_CHECK(pwrite(r.fd, "u1000", 5, 0) == 5);
		/* Access is not ownership. */
		CHILD_CHECK(shmdev_unlink_region(node, name) == -EPERM);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	EXPECT_EQ(0, shmdev_unlink(name));
	shmdev_close(&a);

	/* uid 1000's own region: its owner; root may open it; 1001 may not. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev r;
		struct stat st;

		become(1000);
		r.fd = shmdev_open_region(node, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL,
					  4096, 0640);
		CHILD_CHECK(r.fd >= 0);
		CHILD_CHECK(fstat(r.fd, &st) == 0);
		CHILD_CHECK(st.st_uid == 1000 && st.st_gid == 1000);
		CHILD_CHECK((st.st_mode & 0777) == 0640);
		CHILD_CHECK(shmdev_chmod(&r, 0600) == 0);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	ASSERT_EQ(0, shmdev_open_name(&d, name, 0, 0, 0));
	ASSERT_EQ(0, shmdev_get_info(&d, &info));
	EXPECT_EQ(1000U, info.uid);
	EXPECT_EQ(0600U, info.mode);
	EXPECT_EQ(1000U, info.charged_uid);
	EXPECT_EQ(4096ULL, info.charged);
	shmdev_close(&d);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		become(1001);
		CHILD_CHECK(shmdev_open_region(node, name, SHMDEV_OPEN_RDONLY, 0, 0) == -EACCES);
		CHILD_CHECK(shmdev_unlink_region(node, name) == -EPERM);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		become(1000);
		CHILD_CHECK(shmdev_unlink_region(node, name) == 0);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	EXPECT_EQ(-ENOENT, shmdev_unlink(name));
}

/* The umask takes bits off the mode of a created region. */
TEST_F(named, umask)
{
	struct shmdev a = { .fd = -1 };
	struct stat st;

	umask(027);
	ASSERT_EQ(0, shmdev_open_name(&a, self->name, SHMDEV_OPEN_CREATE, 0, 0777));
	umask(022);
	ASSERT_EQ(0, fstat(a.fd, &st));
	EXPECT_EQ(0750U, st.st_mode & 0777);
	shmdev_close(&a);
}

TEST_HARNESS_MAIN
