// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libshmdev that need no kernel module: size and duration
 * parsing, and the errors of a device that is not there.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/shmdev.h"

#include "kselftest_harness.h"

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

TEST_HARNESS_MAIN
