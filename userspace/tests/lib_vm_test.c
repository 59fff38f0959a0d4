// SPDX-License-Identifier: GPL-2.0
/*
 * Integration tests of libshmdev against the loaded module (in the VM).
 */

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shmdev.h"
#include "shmdev_common.h"

#include "kselftest_harness.h"

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
		if (shmdev_open(&d, O_RDONLY))
			_exit(11);
		_exit(shmdev_notify(&d, NULL) ? 12 : 0);
	}
	EXPECT_EQ(0, shmdev_wait(&self->dev, &seq, 20000000000LL));
	EXPECT_EQ(mine + 2, seq);
	EXPECT_TRUE(child_ok(pid));
}

TEST_HARNESS_MAIN
