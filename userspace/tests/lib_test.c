// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libshmdev that need no kernel module: size, duration and
 * mode parsing, the errors of a device that is not there, the checks of a
 * region name, the parsing of the listing /proc/shmdev/regions, and wait
 * and notify through a control page faked by a memfd (in place, no system
 * call while nobody waits: counted under a seccomp filter; spinning).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "lib/shmdev.h"
#include "shmdev_common.h"
#include "no_syscalls.h"

#include "harness.h"

TEST(parse_size_valid)
{
	const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "1", 1 }, { "4096", 4096 }, { "4K", 4096 },
		{ "4k", 4096 }, { "16M", 16ULL << 20 }, { "16MB", 16ULL << 20 },
		{ "16MiB", 16ULL << 20 }, { "1G", 1ULL << 30 }, { "1g", 1ULL << 30 },
		{ "2T", 2ULL << 40 }, { "007", 7 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};

	for (unsigned int i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;

		EXPECT_EQ(0, shmdev_parse_size(ok[i].s, &v)) TH_LOG("%s", ok[i].s);
		EXPECT_EQ(ok[i].v, v) TH_LOG("%s", ok[i].s);
	}
}

TEST(parse_size_invalid)
{
	const struct {
		const char *s;
		int err;
	} bad[] = {
		{ "", -EINVAL }, { "-1", -EINVAL }, { "+1", -EINVAL },
		{ " 1", -EINVAL }, { "1 ", -EINVAL }, { "abc", -EINVAL },
		{ "1X", -EINVAL }, { "1KK", -EINVAL }, { "1Kb2", -EINVAL },
		{ "K", -EINVAL }, { "1.5M", -EINVAL }, { "0x10", -EINVAL },
		{ "18446744073709551616", -ERANGE },
		{ "16777216T", -ERANGE }, { "99999999999999999999G", -ERANGE },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 12345;

		EXPECT_EQ(bad[i].err, shmdev_parse_size(bad[i].s, &v)) TH_LOG("%s", bad[i].s);
		/* Left alone on failure. */
		EXPECT_EQ(12345ULL, v) TH_LOG("%s", bad[i].s);
	}
	EXPECT_EQ(-EINVAL, shmdev_parse_size(NULL, NULL));
}

TEST(parse_duration)
{
	int64_t ns = -7;

	EXPECT_EQ(0, shmdev_parse_duration("2", &ns));
	EXPECT_EQ(2000000000LL, ns);
	EXPECT_EQ(0, shmdev_parse_duration("2s", &ns));
	EXPECT_EQ(2000000000LL, ns);
	EXPECT_EQ(0, shmdev_parse_duration("500ms", &ns));
	EXPECT_EQ(500000000LL, ns);
	EXPECT_EQ(0, shmdev_parse_duration("10us", &ns));
	EXPECT_EQ(10000LL, ns);
	EXPECT_EQ(0, shmdev_parse_duration("0ns", &ns));
	EXPECT_EQ(0LL, ns);
	EXPECT_EQ(0, shmdev_parse_duration("9223372036854775807ns", &ns));
	EXPECT_EQ(INT64_MAX, ns);

	ns = -7;
	EXPECT_EQ(-ERANGE, shmdev_parse_duration("9223372036854775808ns", &ns));
	EXPECT_EQ(-ERANGE, shmdev_parse_duration("9223372037s", &ns));
	EXPECT_EQ(-EINVAL, shmdev_parse_duration("-1s", &ns));
	EXPECT_EQ(-EINVAL, shmdev_parse_duration("1h", &ns));
	EXPECT_EQ(-EINVAL, shmdev_parse_duration("ms", &ns));
	EXPECT_EQ(-EINVAL, shmdev_parse_duration("", &ns));
	EXPECT_EQ(-7LL, ns);
}

/* A missing device node gives -ENOENT; a non-device node -ENOTTY. */
TEST(open_errors)
{
	struct shmdev dev = { .fd = -1 };
	struct shmdev_info info;
	uint64_t v;

	EXPECT_EQ(-ENOENT, shmdev_open_path(&dev, "/nonexistent/shmdev", O_RDWR));
	EXPECT_EQ(-1, dev.fd);

	ASSERT_EQ(0, shmdev_open_path(&dev, "/dev/null", O_RDWR));
	EXPECT_LE(0, dev.fd);
	EXPECT_EQ(-ENOTTY, shmdev_get_size(&dev, &v));
	EXPECT_EQ(-ENOTTY, shmdev_set_size(&dev, 1));
	EXPECT_EQ(-ENOTTY, shmdev_notify(&dev, NULL));
	EXPECT_EQ(-ENOTTY, shmdev_get_info(&dev, &info));
	v = 0;
	EXPECT_EQ(-ENOTTY, shmdev_wait(&dev, &v, 0));
	shmdev_close(&dev);
	EXPECT_EQ(-1, dev.fd);
	/* Closing twice is harmless. */
	shmdev_close(&dev);
}

TEST(parse_mode)
{
	static const char *const bad[] = {
		"", "8", "0800", "1000", "00777", "-1", "+7", "0x1", "7 ", "rw",
	};
	uint32_t mode = 12345;

	EXPECT_EQ(0, shmdev_parse_mode("0640", &mode));
	EXPECT_EQ(0640U, mode);
	EXPECT_EQ(0, shmdev_parse_mode("600", &mode));
	EXPECT_EQ(0600U, mode);
	EXPECT_EQ(0, shmdev_parse_mode("0", &mode));
	EXPECT_EQ(0U, mode);
	EXPECT_EQ(0, shmdev_parse_mode("777", &mode));
	EXPECT_EQ(0777U, mode);
	mode = 12345;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, shmdev_parse_mode(bad[i], &mode)) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(-EINVAL, shmdev_parse_mode(NULL, &mode));
	EXPECT_EQ(12345U, mode);
}

/* The lowest free descriptor: shows a descriptor left open. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A name of @len bytes of 'a', with '/' at @slash unless it is -1. */
static char *make_name(char *buf, size_t len, int slash)
{
	memset(buf, 'a', len);
	buf[len] = '\0';
	if (slash >= 0)
		buf[slash] = '/';
	return buf;
}

/*
 * The arguments the module refuses fail the same way in the library,
 * before any system call: on /dev/null, valid ones get ENOTTY instead.
 */
TEST(open_region_checks)
{
	const uint32_t C = SHMDEV_OPEN_CREATE;
	char name[200];
	int fd, free_fd;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	free_fd = lowest_free_fd();

	/* Flags. */
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", 0x40, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", 0x80000000U, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", SHMDEV_OPEN_EXCL, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", SHMDEV_OPEN_AUTOREMOVE, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x",
					      SHMDEV_OPEN_EXCL | SHMDEV_OPEN_RDONLY, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", C | SHMDEV_OPEN_EXCL, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", C | SHMDEV_OPEN_AUTOREMOVE, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", C | SHMDEV_OPEN_EXCL |
					      SHMDEV_OPEN_RDONLY | SHMDEV_OPEN_CLOEXEC |
					      SHMDEV_OPEN_AUTOREMOVE, 1 << 20, 0640));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", SHMDEV_OPEN_RDONLY, 0, 0));

	/* The mode counts only with CREATE. */
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", C, 0, 01000));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "x", C, 0, 04755));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", C, 0, 0777));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "x", 0, 0, 01000));

	/* Names: 1 to 63 bytes, no '/'. */
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "", C, 0, 0600));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, NULL, C, 0, 0600));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "/", 0, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "a/b", 0, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, "ab/", 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "a", 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "with space\ttab\nnewline\\", 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, "-", 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_region(fd, make_name(name, SHMDEV_NAME_MAX - 1, -1),
					      0, 0, 0));
	EXPECT_EQ(-ENAMETOOLONG, shmdev_open_region(fd, make_name(name, SHMDEV_NAME_MAX, -1),
						    0, 0, 0));
	EXPECT_EQ(-ENAMETOOLONG, shmdev_open_region(fd, make_name(name, 199, -1), 0, 0, 0));
	/* Too long comes first, as in the module, '/' or not. */
	EXPECT_EQ(-ENAMETOOLONG, shmdev_open_region(fd, make_name(name, 199, 10), 0, 0, 0));
	EXPECT_EQ(-ENAMETOOLONG, shmdev_open_region(fd, make_name(name, SHMDEV_NAME_MAX,
								   SHMDEV_NAME_MAX - 1),
						    0, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, make_name(name, SHMDEV_NAME_MAX - 1,
							   SHMDEV_NAME_MAX - 2), 0, 0, 0));
	/* Flags are checked before the name, as the module does. */
	EXPECT_EQ(-EINVAL, shmdev_open_region(fd, make_name(name, 199, -1), 0x80, 0, 0));

	EXPECT_EQ(-EBADF, shmdev_open_region(-1, "x", 0, 0, 0));
	EXPECT_EQ(free_fd, lowest_free_fd());
	close(fd);
}

TEST(unlink_region_checks)
{
	char name[200];
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, shmdev_unlink_region(fd, "x"));
	EXPECT_EQ(-EINVAL, shmdev_unlink_region(fd, ""));
	EXPECT_EQ(-EINVAL, shmdev_unlink_region(fd, NULL));
	EXPECT_EQ(-EINVAL, shmdev_unlink_region(fd, "a/b"));
	EXPECT_EQ(-ENOTTY, shmdev_unlink_region(fd, make_name(name, SHMDEV_NAME_MAX - 1, -1)));
	EXPECT_EQ(-ENAMETOOLONG, shmdev_unlink_region(fd, make_name(name, SHMDEV_NAME_MAX, -1)));
	EXPECT_EQ(-EBADF, shmdev_unlink_region(-1, "x"));
	close(fd);
}

/*
 * Through a node: bad arguments fail before the node is opened, a missing
 * node is ENOENT, and the node's descriptor is closed on every path.
 */
TEST(open_name_path)
{
	struct shmdev dev = { .fd = -7 };
	char name[100];
	int free_fd = lowest_free_fd();

	EXPECT_EQ(-ENOENT, shmdev_open_name_path(&dev, "/nonexistent/shmdev", "x",
						 SHMDEV_OPEN_CREATE, 4096, 0600));
	EXPECT_EQ(-EINVAL, shmdev_open_name_path(&dev, "/nonexistent/shmdev", "a/b", 0, 0, 0));
	EXPECT_EQ(-EINVAL, shmdev_open_name_path(&dev, "/nonexistent/shmdev", "x",
						 SHMDEV_OPEN_EXCL, 0, 0));
	EXPECT_EQ(-ENAMETOOLONG, shmdev_open_name_path(&dev, "/nonexistent/shmdev",
						       make_name(name, 64, -1), 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_name_path(&dev, "/dev/null", "x", 0, 0, 0));
	EXPECT_EQ(-ENOTTY, shmdev_open_name_path(&dev, "/dev/null", "x",
						 SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL, 0, 0600));
	EXPECT_EQ(-7, dev.fd);
	EXPECT_EQ(free_fd, lowest_free_fd());

	EXPECT_EQ(-ENOENT, shmdev_unlink_path("/nonexistent/shmdev", "x"));
	EXPECT_EQ(-EINVAL, shmdev_unlink_path("/nonexistent/shmdev", ""));
	EXPECT_EQ(-ENOTTY, shmdev_unlink_path("/dev/null", "x"));
	EXPECT_EQ(free_fd, lowest_free_fd());
}

TEST(chmod_checks)
{
	struct shmdev dev = { .fd = -1 };

	EXPECT_EQ(-EINVAL, shmdev_chmod(&dev, 01000));
	EXPECT_EQ(-EINVAL, shmdev_chmod(&dev, 04700));
	EXPECT_EQ(-EBADF, shmdev_chmod(&dev, 0600));
}

#define HEADER "id name uid gid mode size pages mappings files seq charged_uid charged flags\n"

TEST(parse_list)
{
	const char *text = HEADER
		"1 - 0 0 0600 16384 2 1 3 7 0 16384 D\n"
		"2 demo 1000 1000 0640 65536 0 0 0 0 1000 65536 A\n"
		"5 a\\040b\\011c\\012d\\134e 0 0 0666 0 0 0 1 0 - 0 -\n"
		"9 - 4294967295 65534 0000 18446744073709551615 0 0 0 18446744073709551615 4294967294 0 -\n";
	struct shmdev_list_entry *e = NULL;
	size_t n = 0;

	ASSERT_EQ(0, shmdev_parse_list(text, &e, &n));
	ASSERT_EQ(4U, n);

	EXPECT_STREQ("", e[0].name);
	EXPECT_EQ(1U, e[0].id);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_DEFAULT, e[0].flags);
	EXPECT_EQ(0U, e[0].uid);
	EXPECT_EQ(0600U, e[0].mode);
	EXPECT_EQ(16384ULL, e[0].size);
	EXPECT_EQ(2ULL, e[0].nr_pages);
	EXPECT_EQ(1U, e[0].nr_mappings);
	EXPECT_EQ(3U, e[0].nr_files);
	EXPECT_EQ(7ULL, e[0].seq);
	EXPECT_EQ(0U, e[0].charged_uid);
	EXPECT_EQ(16384ULL, e[0].charged);

	EXPECT_STREQ("demo", e[1].name);
	EXPECT_EQ(2U, e[1].id);
	EXPECT_EQ((uint32_t)(SHMDEV_INFO_NAMED | SHMDEV_INFO_AUTOREMOVE), e[1].flags);
	EXPECT_EQ(1000U, e[1].uid);
	EXPECT_EQ(1000U, e[1].gid);
	EXPECT_EQ(0640U, e[1].mode);
	EXPECT_EQ(65536ULL, e[1].size);
	EXPECT_EQ(1000U, e[1].charged_uid);
	EXPECT_EQ(65536ULL, e[1].charged);

	EXPECT_STREQ("a b\tc\nd\\e", e[2].name);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_NAMED, e[2].flags);
	EXPECT_EQ(0666U, e[2].mode);
	EXPECT_EQ(SHMDEV_UID_NONE, e[2].charged_uid);

	/* Without D, "-" is a region's name. */
	EXPECT_STREQ("-", e[3].name);
	EXPECT_EQ((uint32_t)SHMDEV_INFO_NAMED, e[3].flags);
	EXPECT_EQ(UINT32_MAX, e[3].uid);
	EXPECT_EQ(65534U, e[3].gid);
	EXPECT_EQ(0U, e[3].mode);
	EXPECT_EQ(UINT64_MAX, e[3].size);
	EXPECT_EQ(UINT64_MAX, e[3].seq);
	EXPECT_EQ(4294967294U, e[3].charged_uid);
	free(e);

	/* The header alone: no region. */
	e = (void *)1;
	ASSERT_EQ(0, shmdev_parse_list(HEADER, &e, &n));
	EXPECT_EQ(0U, n);
	EXPECT_EQ(NULL, e);
	free(e);
}

/*
 * Columns are found by name: another order, an added column and padding
 * (the aligned table of shmdevctl list) parse the same; blank lines and a
 * missing final newline are fine.
 */
TEST(parse_list_layout)
{
	const char *text =
		"flags  id new_column name   charged charged_uid seq files mappings pages size  mode gid uid\n"
		"A      3  xyz        r1     4096    0           1   2     0        1     100   0600 0   0\n"
		"\n"
		"-      4  xyz        r\\0402  0       -           0   0     0        0     0     0644 1   2";
	struct shmdev_list_entry *e = NULL;
	size_t n = 0;

	ASSERT_EQ(0, shmdev_parse_list(text, &e, &n));
	ASSERT_EQ(2U, n);
	EXPECT_STREQ("r1", e[0].name);
	EXPECT_EQ(3U, e[0].id);
	EXPECT_EQ((uint32_t)(SHMDEV_INFO_NAMED | SHMDEV_INFO_AUTOREMOVE), e[0].flags);
	EXPECT_EQ(100ULL, e[0].size);
	EXPECT_EQ(1ULL, e[0].nr_pages);
	EXPECT_EQ(2U, e[0].nr_files);
	EXPECT_EQ(1ULL, e[0].seq);
	EXPECT_EQ(4096ULL, e[0].charged);
	EXPECT_STREQ("r 2", e[1].name);
	EXPECT_EQ(1U, e[1].gid);
	EXPECT_EQ(2U, e[1].uid);
	EXPECT_EQ(0644U, e[1].mode);
	free(e);
}

TEST(parse_list_invalid)
{
	static const char *const bad[] = {
		"",
		"\n",
		/* A column missing. */
		"id name uid gid mode size pages mappings files seq charged_uid charged\n",
		/* Too few, too many fields. */
		HEADER "1 - 0 0 0600 0 0 0 0 0 - 0\n",
		HEADER "1 - 0 0 0600 0 0 0 0 0 - 0 D x\n",
		/* Numbers. */
		HEADER "x - 0 0 0600 0 0 0 0 0 - 0 D\n",
		HEADER "1 - 0 0 0800 0 0 0 0 0 - 0 D\n",
		HEADER "1 - 0 0 0600 -1 0 0 0 0 - 0 D\n",
		HEADER "1 - 4294967296 0 0600 0 0 0 0 0 - 0 D\n",
		HEADER "1 - 0 0 0600 18446744073709551616 0 0 0 0 - 0 D\n",
		HEADER "1 - 0 0 0600 0 0 0 0 0 -1 0 D\n",
		HEADER "1 - 0 0 0600 0 0 0 0 0 4294967295 0 D\n",
		/* Names: bad escapes, '/', longer than a name. */
		HEADER "2 a\\04 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 a\\9xx 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 a\\000 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 a\\ 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 a/b 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 a\\057b 0 0 0600 0 0 0 0 0 - 0 -\n",
		HEADER "2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0 0 0600 0 0 0 0 0 - 0 -\n",
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shmdev_list_entry *e = (void *)1;
		size_t n = 77;

		EXPECT_EQ(-EBADMSG, shmdev_parse_list(bad[i], &e, &n)) TH_LOG("%s", bad[i]);
		/* Left alone on failure. */
		EXPECT_EQ((void *)1, e);
		EXPECT_EQ(77U, n);
	}
	EXPECT_EQ(-EINVAL, shmdev_parse_list(NULL, NULL, NULL));
}

/* The longest name: 63 bytes, or 63 escaped bytes. */
TEST(parse_list_long_names)
{
	char text[1024], name[64], esc[4 * SHMDEV_NAME_MAX];
	struct shmdev_list_entry *e = NULL;
	size_t n = 0;

	memset(name, ' ', 63);
	name[63] = '\0';
	ASSERT_EQ(63 * 4, shmdev_escape_name(name, esc, sizeof(esc)));
	snprintf(text, sizeof(text), HEADER "2 %s 0 0 0600 0 0 0 0 0 - 0 -\n", esc);
	ASSERT_EQ(0, shmdev_parse_list(text, &e, &n));
	ASSERT_EQ(1U, n);
	EXPECT_STREQ(name, e[0].name);
	free(e);
}

TEST(escape_name)
{
	char buf[4 * SHMDEV_NAME_MAX];

	EXPECT_EQ(4, shmdev_escape_name("demo", buf, sizeof(buf)));
	EXPECT_STREQ("demo", buf);
	EXPECT_EQ(20, shmdev_escape_name("a b\tc\nd\\", buf, sizeof(buf)));
	EXPECT_STREQ("a\\040b\\011c\\012d\\134", buf);
	/* Other bytes stay as they are, as seq_escape() leaves them. */
	EXPECT_EQ(5, shmdev_escape_name("\xc3\xa9-\x01z", buf, sizeof(buf)));
	EXPECT_STREQ("\xc3\xa9-\x01z", buf);
	EXPECT_EQ(0, shmdev_escape_name("", buf, 1));
	EXPECT_STREQ("", buf);
	/* Room for the text and its NUL, or -ENOSPC. */
	EXPECT_EQ(4, shmdev_escape_name("demo", buf, 5));
	EXPECT_EQ(-ENOSPC, shmdev_escape_name("demo", buf, 4));
	EXPECT_EQ(4, shmdev_escape_name(" ", buf, 5));
	EXPECT_EQ(-ENOSPC, shmdev_escape_name(" ", buf, 4));
	EXPECT_EQ(-ENOSPC, shmdev_escape_name("", buf, 0));
}

TEST(read_file)
{
	char path[] = "/tmp/lib_test.XXXXXX", *text = NULL, big[10000];
	size_t len = 0;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	memset(big, 'x', sizeof(big));
	ASSERT_EQ((ssize_t)sizeof(big), write(fd, big, sizeof(big)));
	close(fd);
	ASSERT_EQ(0, shmdev_read_file(path, &text, &len));
	EXPECT_EQ(sizeof(big), len);
	EXPECT_EQ(sizeof(big), strlen(text));
	free(text);
	unlink(path);
	EXPECT_EQ(-ENOENT, shmdev_read_file(path, &text, &len));
	EXPECT_EQ(-ENOENT, shmdev_list_path(path, NULL, NULL));
}

/* ---- the control page, faked ------------------------------------------ */

/*
 * A handle on a memfd as large as the control page's offset and a page:
 * mmap at SHMDEV_CTRL_OFFSET works on it as on a region with a control
 * page, and every ioctl fails ENOTTY, so that a call that returns ENOTTY
 * is one that made its ioctl.
 */
static int fake_ctrl_open(struct shmdev *dev, int flags)
{
	char path[64];
	int fd = memfd_create("fake-ctrl", MFD_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, SHMDEV_CTRL_OFFSET + 4096)) {
		close(fd);
		return -errno;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = shmdev_open_path(dev, path, flags);
	close(fd);
	return err;
}

TEST(ctrl_notify_in_place)
{
	struct shmdev dev, ro;
	uint64_t seq = 0;

	ASSERT_EQ(0, fake_ctrl_open(&dev, O_RDWR));
	ASSERT_NE(NULL, dev.ctrl);
	EXPECT_TRUE(dev.ctrl_writable);
	dev.ctrl->seq = 41;
	/* Nobody waiting: the increment alone. */
	EXPECT_EQ(0, shmdev_notify(&dev, &seq));
	EXPECT_EQ(42ULL, seq);
	EXPECT_EQ(42ULL, dev.ctrl->seq);
	EXPECT_EQ(42ULL, shmdev_seq(&dev));
	/* Someone may sleep: WAKE (ENOTTY here), after the increment. */
	dev.ctrl->waiting = 1;
	EXPECT_EQ(-ENOTTY, shmdev_notify(&dev, &seq));
	EXPECT_EQ(43ULL, dev.ctrl->seq);
	dev.ctrl->waiting = 0;

	/* Read-only: mapped read-only; NOTIFY is the ioctl's to refuse. */
	ASSERT_EQ(0, fake_ctrl_open(&ro, O_RDONLY));
	ASSERT_NE(NULL, ro.ctrl);
	EXPECT_FALSE(ro.ctrl_writable);
	EXPECT_EQ(-ENOTTY, shmdev_notify(&ro, NULL));
	shmdev_close(&ro);
	EXPECT_EQ(NULL, ro.ctrl);
	EXPECT_EQ(-1, ro.fd);
	shmdev_close(&dev);
}

TEST(ctrl_wait)
{
	struct shmdev dev;
	uint64_t seq = 7;
	int64_t t0;

	ASSERT_EQ(0, fake_ctrl_open(&dev, O_RDWR));
	ASSERT_NE(NULL, dev.ctrl);
	dev.ctrl->seq = 9;
	/* Moved: taken from the page. */
	EXPECT_EQ(0, shmdev_wait(&dev, &seq, -1));
	EXPECT_EQ(9ULL, seq);
	/* Not moved, no blocking: no ioctl either. */
	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&dev, &seq, 0));
	/* Not moved: a spin within the timeout, and it ends there. */
	ASSERT_EQ(0, shmdev_set_spin(&dev, 10 * 1000000000LL));
	t0 = sd_now_ns();
	EXPECT_EQ(-ETIMEDOUT, shmdev_wait(&dev, &seq, 20000000));
	EXPECT_LE(20000000, (int64_t)sd_now_ns() - t0);
	EXPECT_GT(2000000000LL, (int64_t)sd_now_ns() - t0);
	/* A spin shorter than the timeout ends in WAIT (ENOTTY here). */
	ASSERT_EQ(0, shmdev_set_spin(&dev, 1000000));
	EXPECT_EQ(-ENOTTY, shmdev_wait(&dev, &seq, -1));
	ASSERT_EQ(0, shmdev_set_spin(&dev, 0));
	EXPECT_EQ(-ENOTTY, shmdev_wait(&dev, &seq, 1000000000));
	EXPECT_EQ(-EINVAL, shmdev_set_spin(&dev, -1));
	shmdev_close(&dev);
}

/* A spinning waiter sees another process's in-place notification. */
TEST(ctrl_spin_sees_other_process)
{
	struct shmdev dev;
	uint64_t seq;
	pid_t pid;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU");
	ASSERT_EQ(0, fake_ctrl_open(&dev, O_RDWR));
	seq = shmdev_seq(&dev);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(20000);
		_exit(shmdev_notify(&dev, NULL) ? 1 : 0);
	}
	ASSERT_EQ(0, shmdev_set_spin(&dev, 20 * 1000000000LL));
	EXPECT_EQ(0, shmdev_wait(&dev, &seq, -1));
	EXPECT_EQ(1ULL, seq);
	EXPECT_TRUE(child_ok(pid));
	shmdev_close(&dev);
}

/* With the page and nobody waiting, notify makes no system call at all. */
TEST(ctrl_notify_no_syscall)
{
	struct shmdev dev;
	pid_t pid;

	ASSERT_EQ(0, fake_ctrl_open(&dev, O_RDWR));
	for (int waiting = 0; waiting < 2; waiting++) {
		dev.ctrl->waiting = waiting;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint64_t seq = 0, old;

			if (!forbid_syscalls())
				_exit(20);
			for (int i = 0; i < 1000; i++)
				if (shmdev_notify(&dev, &seq))
					_exit(21);
			old = seq - 1;
			_exit(shmdev_wait(&dev, &old, -1) || old != seq ? 22 : 0);
		}
		if (waiting) {
			EXPECT_TRUE(child_made_syscall(pid));
		} else {
			EXPECT_TRUE(child_ok(pid));
		}
	}
	/* The second child's first increment happened before its WAKE. */
	EXPECT_EQ(1001ULL, dev.ctrl->seq);
	shmdev_close(&dev);
}

/* A handle filled by hand has no control page, whatever its other bytes. */
TEST(handle_by_hand)
{
	struct shmdev dev, good;

	ASSERT_EQ(0, fake_ctrl_open(&good, O_RDWR));
	memset(&dev, 0xa5, sizeof(dev));
	dev.ctrl = good.ctrl;
	dev.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev.fd);
	EXPECT_EQ(-ENOTTY, shmdev_notify(&dev, NULL));
	EXPECT_EQ(0ULL, good.ctrl->seq);
	shmdev_close(&dev);
	EXPECT_EQ(-1, dev.fd);
	/* good's page is still mapped: close did not unmap it. */
	EXPECT_EQ(0ULL, good.ctrl->seq);
	/* A copy of a handle is a handle. */
	dev = good;
	EXPECT_EQ(0, shmdev_notify(&dev, NULL));
	EXPECT_EQ(1ULL, good.ctrl->seq);
	shmdev_close(&good);
}

TEST_HARNESS_MAIN
