// SPDX-License-Identifier: GPL-2.0
/*
 * Memory limits: the region's pages are charged to the memory cgroup of
 * the task that faults them in. A task in a cgroup limited to 64 MiB that
 * faults past the limit is killed by that cgroup's OOM killer; the kernel
 * and the region carry on, and freeing the pages uncharges them.
 *
 * Needs cgroup v2 with the memory controller; skipped without it.
 */

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define CG_ROOT	"/sys/fs/cgroup"
#define CG	CG_ROOT "/shmdev-limits"

/* A file of one number (memory.current): the number, or -1. */
static long long cg_value(const char *path)
{
	unsigned long long v;

	return read_u64(path, &v) ? -1 : (long long)v;
}

FIXTURE(limits) {
	int fd;
	long psz;
};

FIXTURE_SETUP(limits)
{
	self->psz = page_size();
	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CG_ROOT, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup v2");
	if (write_text(CG_ROOT "/cgroup.subtree_control", "+memory"))
		SKIP(return, "no memory controller");
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	ASSERT_EQ(0, write_text(CG "/memory.max", "64M"));
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, 128ULL << 20));
}

FIXTURE_TEARDOWN(limits)
{
	if (self->fd > 0) {
		shmdev_set_size(self->fd, 0);
		close(self->fd);
	}
	rmdir(CG);
}

TEST_F(limits, memcg_limit_kills_the_faulting_task)
{
	const long long max = 64LL << 20;
	struct shmdev_info info;
	long long charged, after;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[32], *p;

		snprintf(buf, sizeof(buf), "%d", getpid());
		if (write_text(CG "/cgroup.procs", buf))
			_exit(10);
		p = mmap(NULL, 128 << 20, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
		if (p == MAP_FAILED)
			_exit(11);
		/* Twice the limit: the cgroup's OOM killer stops this. */
		for (long i = 0; i < (128 << 20); i += self->psz)
			p[i] = 1;
		_exit(12);
	}
	ASSERT_TRUE(child_killed_by(pid, SIGKILL));
	EXPECT_LE(1, proc_field(CG "/memory.events", "oom_kill"));

	/* The pages it faulted stay in the region, charged to its cgroup. */
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	charged = cg_value(CG "/memory.current");
	ASSERT_LE(0, charged);
	TH_LOG("%llu pages resident, %lld bytes charged to the cgroup",
	       (unsigned long long)info.nr_pages, charged);
	EXPECT_LT(0ULL, info.nr_pages);
	EXPECT_GE((unsigned long long)max / self->psz, info.nr_pages);
	EXPECT_GE(max, charged);
	EXPECT_LE((long long)info.nr_pages * self->psz, charged);

	/* Freeing them uncharges them. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	after = cg_value(CG "/memory.current");
	ASSERT_LE(0, after);
	EXPECT_GT(charged - (long long)info.nr_pages * self->psz + (1 << 20), after);
}

SHMDEV_TEST_MAIN
