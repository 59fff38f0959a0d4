// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for /dev/shmdev.
 *
 * They need the shmdev module loaded and run as root; without the device
 * node the whole program is skipped.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "../../kselftest_harness.h"

#define SHMDEV_PATH	"/dev/shmdev"
#define SHMDEV_SYSFS	"/sys/class/misc/shmdev/dev"

/* The node is the misc device of sysfs, owned by root with mode 0600. */
TEST(device_node)
{
	unsigned int major, minor;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat(SHMDEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);

	f = fopen(SHMDEV_SYSFS, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &major, &minor));
	fclose(f);
	EXPECT_EQ(major, major(st.st_rdev));
	EXPECT_EQ(minor, minor(st.st_rdev));
}

TEST(open_close)
{
	int fd;

	fd = open(SHMDEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));

	fd = open(SHMDEV_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));

	fd = open(SHMDEV_PATH, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

/* An ioctl number of another driver is refused with ENOTTY. */
TEST(unknown_ioctl)
{
	int fd;

	fd = open(SHMDEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(SHMDEV_IOC_MAGIC, 0xff)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOR('T', 0x01, int), NULL));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

int main(int argc, char **argv)
{
	if (access(SHMDEV_PATH, F_OK))
		ksft_exit_skip("%s is absent: is the shmdev module loaded?\n",
			       SHMDEV_PATH);
	return test_harness_run(argc, argv);
}
