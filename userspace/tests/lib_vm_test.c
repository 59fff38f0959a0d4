// SPDX-License-Identifier: GPL-2.0
/*
 * Integration tests of libshmdev against the loaded module (in the VM).
 */

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shmdev.h"

#include "kselftest_harness.h"

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
	uint64_t seq = 0, mine;
	pid_t pid;

	ASSERT_EQ(0, shmdev_notify(&self->dev, &mine));
	ASSERT_EQ(0, shmdev_notify(&self->dev, NULL));
	/* Moved since @mine: returns at once with the current sequence. */
	seq = mine;
	EXPECT_EQ(0, shmdev_wait(&self->dev, &seq, -1));
	EXPECT_EQ(mine + 1, seq);
	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&self->dev, &seq, 1000000));
	EXPECT_EQ(mine + 1, seq);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev d;

		usleep(100000);
		_exit(shmdev_open(&d, O_RDONLY) || shmdev_notify(&d, NULL));
	}
	EXPECT_EQ(0, shmdev_wait(&self->dev, &seq, 10000000000LL));
	EXPECT_EQ(mine + 2, seq);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
}

TEST_HARNESS_MAIN
