// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for /dev/shmdev: the device node, the sizing and information
 * ioctls with their errors, and read()/write()/lseek() on the region.
 *
 * They need the shmdev module loaded and run as root; without the device
 * node the whole program is skipped.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

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

	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));

	fd = shmdev_open(O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));

	fd = shmdev_open(O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

/* Ioctl numbers the driver does not know are refused with ENOTTY. */
TEST(unknown_ioctl)
{
	int fd;

	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(SHMDEV_IOC_MAGIC, 0xff)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOR('T', 0x01, int), NULL));
	EXPECT_EQ(ENOTTY, errno);
	/* A known number with another size or direction is another command. */
	EXPECT_EQ(-1, ioctl(fd, _IOR(SHMDEV_IOC_MAGIC, 0x00, __u32), NULL));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOW(SHMDEV_IOC_MAGIC, 0x01, __u64), NULL));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

FIXTURE(region) {
	int fd;
	long psz;
	__u64 max;
};

FIXTURE_SETUP(region)
{
	self->psz = page_size();
	self->max = shmdev_max_size();
	ASSERT_LT(0ULL, self->max);
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, 16 * self->psz));
}

FIXTURE_TEARDOWN(region)
{
	close(self->fd);
}

/* Any byte count from 0 to the maximum; GET_SIZE and GET_INFO agree. */
TEST_F(region, set_get_size)
{
	__u64 sizes[] = { 0, 1, self->psz - 1, self->psz, self->psz + 1,
			  3 * self->psz + 17, self->max - 1, self->max, 5 };
	struct shmdev_info info;

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(0, shmdev_set_size(self->fd, sizes[i]))
			TH_LOG("size %llu: %s", (unsigned long long)sizes[i],
			       strerror(errno));
		EXPECT_EQ(sizes[i], shmdev_get_size(self->fd));
		ASSERT_EQ(0, shmdev_info(self->fd, &info));
		EXPECT_EQ(sizes[i], info.size);
	}
}

/* Above the maximum: EFBIG, and the size is unchanged. */
TEST_F(region, set_size_over_max)
{
	__u64 bad[] = { self->max + 1, self->max + self->psz, 1ULL << 62,
			~0ULL, (__u64)INT64_MAX + 1 };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, shmdev_set_size(self->fd, bad[i]));
		EXPECT_EQ(EFBIG, errno);
		EXPECT_EQ((__u64)16 * self->psz, shmdev_get_size(self->fd));
	}
}

/* Bad argument pointers: EFAULT, nothing changed. */
TEST_F(region, bad_pointers)
{
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_SET_SIZE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_SET_SIZE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ((__u64)16 * self->psz, shmdev_get_size(self->fd));
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_GET_SIZE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* A kernel address is not a user pointer. */
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_GET_INFO, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
}

/* A file opened read-only may not resize (EBADF) but may read the size. */
TEST_F(region, set_size_needs_write)
{
	int ro = shmdev_open(O_RDONLY);

	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, shmdev_set_size(ro, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ((__u64)16 * self->psz, shmdev_get_size(ro));
	close(ro);
}

/* GET_INFO writes every field; the reserved ones are 0. */
TEST_F(region, info_fields)
{
	struct shmdev_info info;

	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ((__u64)16 * self->psz, info.size);
	EXPECT_EQ(self->max, info.max_size);
	EXPECT_EQ(0ULL, info.nr_pages);
	EXPECT_EQ(0U, info.nr_mappings);
	EXPECT_EQ(1U, info.nr_files);
	EXPECT_GT(0x8000000000000000ULL, info.seq);
	/* The default region: id 1, owner root, mode 0600, its pages charged. */
	EXPECT_EQ(1U, info.id);
	EXPECT_EQ((__u32)SHMDEV_INFO_DEFAULT, info.flags);
	EXPECT_EQ(0U, info.uid);
	EXPECT_EQ(0U, info.gid);
	EXPECT_EQ(0600U, info.mode);
	EXPECT_EQ((__u64)16 * self->psz, info.charged);
	for (unsigned int i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		EXPECT_EQ(0ULL, info.reserved[i]);
}

/* nr_files, nr_mappings and nr_pages follow open, mmap and touches. */
TEST_F(region, info_counters)
{
	struct shmdev_info info;
	int fd2, fd3;
	char *p, *q;
	pid_t pid;

	fd2 = shmdev_open(O_RDONLY);
	fd3 = shmdev_open(O_WRONLY);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(3U, info.nr_files);
	close(fd3);
	ASSERT_EQ(0, shmdev_info(fd2, &info));
	EXPECT_EQ(2U, info.nr_files);

	p = mmap(NULL, 8 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = mmap(NULL, 2 * self->psz, PROT_READ, MAP_SHARED, fd2, 4 * self->psz);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2U, info.nr_mappings);
	EXPECT_EQ(0ULL, info.nr_pages);

	/*
	 * Three pages written; reading one of them through q allocates
	 * nothing, reading page 5 (a hole) faults in a zeroed page.
	 */
	p[0] = 1;
	p[self->psz * 4] = 2;
	p[self->psz * 7 + 5] = 3;
	EXPECT_EQ(2, q[0]);
	EXPECT_EQ(0, q[self->psz]);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(4ULL, info.nr_pages);

	/* Splitting a mapping makes two VMAs. */
	ASSERT_EQ(0, mprotect(p + 2 * self->psz, self->psz, PROT_READ));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(4U, info.nr_mappings);

	/* A fork duplicates the child's VMAs. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev_info ci;

		if (shmdev_info(self->fd, &ci) || ci.nr_mappings != 8 ||
		    ci.nr_files != 2)
			_exit(1);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(4U, info.nr_mappings);

	ASSERT_EQ(0, munmap(p, 8 * self->psz));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(1U, info.nr_mappings);
	ASSERT_EQ(0, munmap(q, 2 * self->psz));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(0U, info.nr_mappings);
	/* Pages outlive their mappings. */
	EXPECT_EQ(4ULL, info.nr_pages);

	/* Shrinking frees the pages beyond the size. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 4 * self->psz + 1));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2ULL, info.nr_pages);
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(0ULL, info.nr_pages);
	close(fd2);
}

/* pwrite() and pread() access the bytes; reading a hole allocates nothing. */
TEST_F(region, pread_pwrite)
{
	long psz = self->psz;
	struct shmdev_info info;
	char buf[64], out[64];

	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i, 1);

	/* A write crossing a page boundary. */
	memset(out, 0x55, sizeof(out));
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf), psz - 10));
	ASSERT_EQ((ssize_t)sizeof(out), pread(self->fd, out, sizeof(out), psz - 10));
	EXPECT_EQ(0, memcmp(buf, out, sizeof(buf)));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2ULL, info.nr_pages);

	/* A hole reads as zeroes and stays a hole. */
	memset(out, 0x55, sizeof(out));
	ASSERT_EQ((ssize_t)sizeof(out), pread(self->fd, out, sizeof(out), 9 * psz));
	EXPECT_TRUE(all_zero(out, sizeof(out)));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2ULL, info.nr_pages);
}

/* Reads stop at the size; writes never grow the region. */
TEST_F(region, size_bounds_io)
{
	long psz = self->psz;
	__u64 size = 16 * psz;
	/* Hidden from the compiler, which would refuse the call. */
	void *volatile bad_ptr = (void *)8;
	char buf[100], in[100];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = pattern(i, 11);
	/* Writes: ENOSPC at and past the size, short across it. */
	EXPECT_EQ(-1, pwrite(self->fd, in, sizeof(in), size));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, pwrite(self->fd, in, sizeof(in), size + psz));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(30, pwrite(self->fd, in, sizeof(in), size - 30));
	EXPECT_EQ(size, shmdev_get_size(self->fd));
	/* A zero-length write at the size is no error. */
	EXPECT_EQ(0, pwrite(self->fd, in, 0, size));

	/* Reads: EOF at and past the size, short across it. */
	memset(buf, 0x55, sizeof(buf));
	EXPECT_EQ(0, pread(self->fd, buf, sizeof(buf), size));
	EXPECT_EQ(0, pread(self->fd, buf, sizeof(buf), size + 5 * psz));
	EXPECT_EQ(0x55, buf[0]);
	ASSERT_EQ(40, pread(self->fd, buf, sizeof(buf), size - 40));
	EXPECT_TRUE(all_zero(buf, 10));
	EXPECT_EQ(0, memcmp(buf + 10, in, 30));
	EXPECT_EQ(0x55, buf[40]);

	/* An unaligned size: the last partial page is bounded too. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 2 * psz + 7));
	EXPECT_EQ(7, pwrite(self->fd, in, sizeof(in), 2 * psz));
	memset(buf, 0x55, sizeof(buf));
	EXPECT_EQ(7, pread(self->fd, buf, sizeof(buf), 2 * psz));
	EXPECT_EQ(0, memcmp(buf, in, 7));
	EXPECT_EQ(0x55, buf[7]);

	/* A bad buffer: EFAULT. */
	EXPECT_EQ(-1, pwrite(self->fd, bad_ptr, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(self->fd, bad_ptr, 16, 0));
	EXPECT_EQ(EFAULT, errno);
}

/* read()/write() move the file position; readv/writev work. */
TEST_F(region, read_write_position)
{
	char a[10] = "0123456789", b[10] = "abcdefghij", out[20];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	ASSERT_EQ(100, lseek(self->fd, 100, SEEK_SET));
	ASSERT_EQ(20, writev(self->fd, iov, 2));
	EXPECT_EQ(120, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(100, lseek(self->fd, -20, SEEK_CUR));
	memset(out, 0x55, sizeof(out));
	ASSERT_EQ(20, read(self->fd, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(out, a, 10));
	EXPECT_EQ(0, memcmp(out + 10, b, 10));
}

/* SEEK_END is relative to the size; no position past the maximum. */
TEST_F(region, lseek)
{
	__u64 size = 16 * self->psz;

	EXPECT_EQ((off_t)size, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ((off_t)size - 3, lseek(self->fd, -3, SEEK_END));
	EXPECT_EQ(5, lseek(self->fd, 5, SEEK_SET));
	EXPECT_EQ(12, lseek(self->fd, 7, SEEK_CUR));
	EXPECT_EQ((off_t)self->max, lseek(self->fd, self->max, SEEK_SET));
	EXPECT_EQ(-1, lseek(self->fd, self->max + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, 42));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, shmdev_set_size(self->fd, 3));
	EXPECT_EQ(3, lseek(self->fd, 0, SEEK_END));
}

/* Bytes written with write() show in a mapping, and the other way round. */
TEST_F(region, write_and_mmap_agree)
{
	long psz = self->psz;
	char *p, buf[256];

	p = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);

	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i, 2);
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf), psz + 100));
	EXPECT_EQ(0, memcmp(p + psz + 100, buf, sizeof(buf)));

	for (unsigned int i = 0; i < sizeof(buf); i++)
		p[3 * psz + i] = pattern(i, 3);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(self->fd, buf, sizeof(buf), 3 * psz));
	for (unsigned int i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(pattern(i, 3), buf[i]);
	munmap(p, 4 * psz);
}

/*
 * write() whose source buffer is a mapping of the very page it writes
 * to, and read() into one: no deadlock on the page, correct bytes.
 */
TEST_F(region, io_from_own_mapping)
{
	long psz = self->psz;
	char *p;

	p = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (long i = 0; i < psz; i++)
		p[i] = pattern(i, 4);

	/* Page 0 onto itself, shifted, and onto page 1 not yet allocated. */
	ASSERT_EQ(100, pwrite(self->fd, p, 100, 200));
	for (long i = 0; i < 100; i++)
		ASSERT_EQ(pattern(i, 4), p[200 + i]);
	ASSERT_EQ(psz, pwrite(self->fd, p, psz, psz));
	EXPECT_EQ(0, memcmp(p, p + psz, psz));

	/* Read page 1 into page 2's mapping, never touched before. */
	ASSERT_EQ(psz, pread(self->fd, p + 2 * psz, psz, psz));
	EXPECT_EQ(0, memcmp(p + psz, p + 2 * psz, psz));
	munmap(p, 4 * psz);
}

SHMDEV_TEST_MAIN
