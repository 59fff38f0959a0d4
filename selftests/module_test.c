// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: rmmod is refused while a file or a mapping of the
 * device or of a named region is alive, unloading returns every page to
 * the system and frees the named regions nobody holds, and the max_size
 * parameter is validated at load.
 *
 * The tests unload and reload the module: they need its object file,
 * $SHMDEV_KO or /lib/modules/shmdev.ko, and are skipped without it. Each
 * leaves the module loaded with default parameters.
 */

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

static const char *ko_path(void)
{
	const char *p = getenv("SHMDEV_KO");

	return p ? p : "/lib/modules/shmdev.ko";
}

static int unload(void)
{
	return syscall(SYS_delete_module, "shmdev", O_NONBLOCK);
}

static int load(const char *params)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* Writes @s to the file at @path: 0, or -errno of open() or write(). */
static int write_errno(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static bool loaded(void)
{
	return access("/sys/module/shmdev", F_OK) == 0;
}

FIXTURE(mod) {
	long psz;
	__u64 max0;	/* max_size before the test */
};

FIXTURE_SETUP(mod)
{
	self->psz = page_size();
	if (access(ko_path(), R_OK))
		SKIP(return, "no module object at %s (set SHMDEV_KO)", ko_path());
	if (!loaded())
		ASSERT_EQ(0, load(""));
	self->max0 = shmdev_max_size();
}

/*
 * The module as the test found it, also after a test that failed while
 * it had the module loaded with other parameters.
 */
FIXTURE_TEARDOWN(mod)
{
	struct shmdev_name nm = { "module-test-named" };
	char params[64];
	int ctl;

	/* A named region a failed test left: it would keep the module. */
	if (loaded()) {
		ctl = shmdev_open(O_RDWR);
		if (ctl >= 0) {
			ioctl(ctl, SHMDEV_IOC_UNLINK, &nm);
			close(ctl);
		}
	}
	if (loaded() && shmdev_max_size() == self->max0)
		return;
	if (loaded())
		unload();
	snprintf(params, sizeof(params), "max_size=%llu",
		 (unsigned long long)self->max0);
	load(self->max0 ? params : "");
}

TEST_F(mod, unload_refused_while_open)
{
	int fd = shmdev_open(O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(loaded());
	close(fd);
	ASSERT_EQ(0, unload());
	EXPECT_FALSE(loaded());
	EXPECT_NE(0, access(SHMDEV_PATH, F_OK));
	ASSERT_EQ(0, load(""));
}

/* A mapping keeps the module after its file descriptor is closed. */
TEST_F(mod, unload_refused_while_mapped)
{
	int fd = shmdev_open(O_RDWR);
	char *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_reset(fd, self->psz));
	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	p[0] = 'm';

	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ('m', p[0]);
	ASSERT_EQ(0, munmap(p, self->psz));
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
}

/* A task asleep in WAIT keeps the module. */
TEST_F(mod, unload_refused_while_waiting)
{
	struct shmdev_wait w = { .timeout_ns = -1 };
	int fd = shmdev_open(O_RDONLY);
	struct shmdev_info info;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &info));
	w.seq = info.seq;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ioctl(fd, SHMDEV_IOC_WAIT, &w) ? 1 : 0);
	close(fd);
	/* Asleep or not yet, the child holds the file: never unloadable. */
	for (int i = 0; i < 20; i++) {
		EXPECT_EQ(-1, unload());
		EXPECT_EQ(EWOULDBLOCK, errno);
		usleep(10000);
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
}

/* OPEN of @name through @ctl with @flags and @size: the fd or -1. */
static int open_named(int ctl, const char *name, __u32 flags, __u64 size)
{
	struct shmdev_open o = { .size = size, .flags = flags | SHMDEV_OPEN_CLOEXEC,
				 .mode = 0600 };

	snprintf(o.name, sizeof(o.name), "%s", name);
	return ioctl(ctl, SHMDEV_IOC_OPEN, &o);
}

/*
 * A named region's file or mapping keeps the module, like the device's;
 * a named region that nobody holds persists (its bytes with it) and keeps
 * the module too, until it is unlinked; then unloading leaves nothing.
 */
TEST_F(mod, named_region_lifetime)
{
	const char *name = "module-test-named";	/* also in the teardown */
	struct shmdev_name nm = { { 0 } };
	int ctl, fd, ret, err;
	char *p, c;

	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, ctl);
	fd = open_named(ctl, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL,
			4 * self->psz);
	if (fd < 0 && errno == EOPNOTSUPP)
		SKIP(return, "no named regions here");
	ASSERT_LE(0, fd) TH_LOG("OPEN: %s", strerror(errno));
	close(ctl);
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[3 * self->psz] = 'N';
	close(fd);
	/* The mapping alone holds the region and the module. */
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, munmap(p, 4 * self->psz));

	/* Unheld, it persists with its bytes. */
	ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, ctl);
	fd = open_named(ctl, name, 0, 0);
	ASSERT_LE(0, fd) TH_LOG("reopening: %s", strerror(errno));
	c = 0;
	EXPECT_EQ(1, pread(fd, &c, 1, 3 * self->psz));
	EXPECT_EQ('N', c);
	close(fd);
	close(ctl);
	if (!access("/sys/kernel/debug/shmdev/regions", R_OK)) {
		EXPECT_EQ(2, sd_table_rows("/sys/kernel/debug/shmdev/regions"));
		EXPECT_EQ(1, sd_table_rows("/sys/kernel/debug/shmdev/users"));
	}

	/*
	 * A named region keeps the module even when nobody holds it (its
	 * inode's superblock pins the module): unloading would take data
	 * that nobody asked to remove. Once unlinked, the module may go.
	 */
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	snprintf(nm.name, sizeof(nm.name), "%s", name);
	ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, ioctl(ctl, SHMDEV_IOC_UNLINK, &nm));
	close(ctl);
	ret = unload();
	err = errno;
	ASSERT_EQ(0, ret) TH_LOG("unload once unlinked: %s", strerror(err));
	ASSERT_EQ(0, load(""));
	ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, ctl);
	EXPECT_EQ(-1, open_named(ctl, name, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	close(ctl);
	if (!access("/sys/kernel/debug/shmdev/regions", R_OK)) {
		/* The default region alone, empty: nobody is charged. */
		EXPECT_EQ(1, sd_table_rows("/sys/kernel/debug/shmdev/regions"));
		EXPECT_EQ(0, sd_table_rows("/sys/kernel/debug/shmdev/users"));
	}
}

/*
 * 64 MiB populated, unmapped and closed stay allocated (the region keeps
 * them); unloading the module gives them all back.
 *
 * The region's pages are the only unevictable ones in the VM (nothing
 * else there mlocks), so "Unevictable" in /proc/meminfo counts exactly
 * them: it rises by the region's size and falls back when the module
 * goes. A page whose reference leaked stays on the unevictable LRU and
 * keeps the count up. MemFree would also move with whatever else the
 * system allocates or frees meanwhile (the debug kernel's kmemleak and
 * KASAN quarantine move it by megabytes), so it only shows in the log.
 */
TEST_F(mod, unload_frees_pages)
{
	const __u64 len = 64ULL << 20;
	const long len_kb = len >> 10, slack_kb = 1 << 10;
	long before, populated, after, free_before, free_after;
	struct shmdev_info info;
	char *p;
	int fd;

	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	before = meminfo_kb("Unevictable");
	free_before = meminfo_kb("MemFree");
	ASSERT_LE(0, before);
	ASSERT_LT(len_kb + (8 << 10), free_before);

	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_set_size(fd, len));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (__u64 i = 0; i < len; i += self->psz)
		p[i] = 1;
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_EQ(len / self->psz, info.nr_pages);
	close(fd);

	/* Folios reach the LRU through small per-CPU batches: allow 1 MiB. */
	populated = meminfo_kb("Unevictable");
	EXPECT_GE(populated - before, len_kb - slack_kb);
	ASSERT_EQ(0, unload());
	/*
	 * Freeing is synchronous in the unload, but a folio still in a
	 * per-CPU LRU batch leaves the count when the batch drains:
	 * compaction drains them. Give the debug kernel up to 10 s.
	 */
	for (int i = 0; i < 100; i++) {
		write_text("/proc/sys/vm/compact_memory", "1");
		after = meminfo_kb("Unevictable");
		if (after <= before + slack_kb)
			break;
		usleep(100000);
	}
	free_after = meminfo_kb("MemFree");
	TH_LOG("Unevictable: %ld kB before, %ld populated, %ld after unload; MemFree %ld -> %ld kB",
	       before, populated, after, free_before, free_after);
	EXPECT_LE(after, before + slack_kb);
	ASSERT_EQ(0, load(""));
}

/* Invalid max_size values fail the load: EINVAL, ERANGE past 64 bits. */
TEST_F(mod, max_size_parameter)
{
	const struct {
		const char *params;
		int err;
	} bad[] = {
		{ "max_size=0", EINVAL },
		{ "max_size=4097", EINVAL },
		{ "max_size=abc", EINVAL },
		{ "max_size=-4096", EINVAL },
		{ "max_size=1099511631872", EINVAL },
		{ "max_size=18446744073709551616", ERANGE },
	};
	int fd;

	ASSERT_EQ(0, unload());
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, load(bad[i].params));
		EXPECT_EQ(bad[i].err, errno) TH_LOG("%s", bad[i].params);
		EXPECT_FALSE(loaded());
	}

	ASSERT_EQ(0, load("max_size=8192"));
	EXPECT_EQ(8192ULL, shmdev_max_size());
	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, shmdev_set_size(fd, 8192));
	EXPECT_EQ(-1, shmdev_set_size(fd, 8193));
	EXPECT_EQ(EFBIG, errno);
	close(fd);
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(256ULL << 20, shmdev_max_size());
}

/*
 * The largest max_size is 1 TiB: exactly 1 TiB loads, and a region of
 * that size works to its last byte; one page more, or any value that is
 * not a multiple of the page size, is refused with EINVAL and leaves the
 * module unloaded.
 */
TEST_F(mod, max_size_limit_1tib)
{
	const __u64 tib = 1ULL << 40;
	const __u64 bad[] = { tib + self->psz, tib + 1, tib - 1, tib * 2 };
	struct shmdev_info info;
	char params[96], c;
	char *p;
	int fd;

	ASSERT_EQ(0, unload());
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(params, sizeof(params), "max_size=%llu",
			 (unsigned long long)bad[i]);
		EXPECT_EQ(-1, load(params));
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", params);
		EXPECT_FALSE(loaded());
	}

	/* The module-wide limit (the machine's RAM by default) must not stop it. */
	snprintf(params, sizeof(params), "max_size=%llu max_total_size=%llu",
		 (unsigned long long)tib, (unsigned long long)tib * 2);
	ASSERT_EQ(0, load(params));
	EXPECT_EQ(tib, shmdev_max_size());
	fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_EQ(tib, info.max_size);

	ASSERT_EQ(0, shmdev_set_size(fd, tib)) TH_LOG("SET_SIZE 1 TiB: %s", strerror(errno));
	EXPECT_EQ(-1, shmdev_set_size(fd, tib + 1));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(tib, shmdev_get_size(fd));
	EXPECT_EQ((off_t)tib, lseek(fd, 0, SEEK_END));
	EXPECT_EQ((off_t)tib - 1, lseek(fd, tib - 1, SEEK_DATA));
	EXPECT_EQ((off_t)tib, lseek(fd, tib - 1, SEEK_HOLE));

	/* The last byte, by write() and through a mapping of the last page. */
	c = 'L';
	EXPECT_EQ(1, pwrite(fd, &c, 1, tib - 1));
	EXPECT_EQ(-1, pwrite(fd, &c, 1, tib));
	EXPECT_EQ(ENOSPC, errno);
	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 tib - self->psz);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at 1 TiB - 1 page: %s", strerror(errno));
	EXPECT_EQ('L', p[self->psz - 1]);
	p[self->psz - 2] = 'M';
	c = 0;
	EXPECT_EQ(1, pread(fd, &c, 1, tib - 2));
	EXPECT_EQ('M', c);
	munmap(p, self->psz);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->psz, PROT_READ, MAP_SHARED, fd, tib));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, shmdev_info(fd, &info));
	/* One page; or, with huge pages, the 2 MiB folio that holds it. */
	EXPECT_TRUE(info.nr_pages == 1 || info.nr_pages == (__u64)((2 << 20) / self->psz))
		TH_LOG("%llu pages", (unsigned long long)info.nr_pages);

	ASSERT_EQ(0, shmdev_set_size(fd, 0));
	close(fd);
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
}

/*
 * max_size is read-only once loaded, even for root: its sysfs file
 * cannot be opened for writing (EACCES); made writable by chmod, the
 * write fails (EIO: the parameter has no store method). The value shown
 * and the region's maximum stay.
 */
TEST_F(mod, max_size_read_only)
{
	const __u64 before = shmdev_max_size();
	struct shmdev_info info;
	struct stat st;
	int fd;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, stat(SHMDEV_MAX_SIZE_PATH, &st));
	EXPECT_EQ(0444U, st.st_mode & 07777);
	EXPECT_EQ(-EACCES, write_errno(SHMDEV_MAX_SIZE_PATH, "8192\n"));
	EXPECT_EQ(before, shmdev_max_size());

	ASSERT_EQ(0, chmod(SHMDEV_MAX_SIZE_PATH, 0644));
	EXPECT_EQ(-EIO, write_errno(SHMDEV_MAX_SIZE_PATH, "8192\n"));
	EXPECT_EQ(-EIO, write_errno(SHMDEV_MAX_SIZE_PATH, "0\n"));
	EXPECT_EQ(0, chmod(SHMDEV_MAX_SIZE_PATH, 0444));
	EXPECT_EQ(before, shmdev_max_size());

	fd = shmdev_open(O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmdev_info(fd, &info));
	EXPECT_EQ(before, info.max_size);
	close(fd);
}

SHMDEV_TEST_MAIN
