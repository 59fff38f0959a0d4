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

static long long read_ll(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atoll(line);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = atoll(line + strlen(key) + 1);
			break;
		}
	}
	fclose(f);
	return v;
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
	long long charged;
	int status;
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
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("exited with %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_LE(1, read_ll(CG "/memory.events", "oom_kill"));

	/* The pages it faulted stay in the region, charged to its cgroup. */
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	charged = read_ll(CG "/memory.current", NULL);
	TH_LOG("%llu pages resident, %lld bytes charged to the cgroup",
	       (unsigned long long)info.nr_pages, charged);
	EXPECT_LT(0ULL, info.nr_pages);
	EXPECT_GE((unsigned long long)max / self->psz, info.nr_pages);
	EXPECT_GE(max, charged);
	EXPECT_LE((long long)info.nr_pages * self->psz, charged);

	/* Freeing them uncharges them. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	EXPECT_GT(charged - (long long)info.nr_pages * self->psz + (1 << 20),
		  read_ll(CG "/memory.current", NULL));
}

SHMDEV_TEST_MAIN
