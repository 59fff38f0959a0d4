// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for mappings of /dev/shmdev: what mmap accepts and refuses,
 * SIGBUS beyond the size, growing and shrinking while mapped, sharing
 * between processes, and the persistence of the pages.
 */

#include <poll.h>
#include <sys/mman.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define UNEVICTABLE_ALLOWED	"/proc/sys/vm/compact_unevictable_allowed"

FIXTURE(map) {
	int fd;
	long psz;
	__u64 max;
	/* compact_unevictable_allowed before the test changed it, or -1. */
	long long unevictable_allowed;
	/* The huge_pages parameter was turned off for the test. */
	bool huge_off;
};

FIXTURE_SETUP(map)
{
	self->unevictable_allowed = -1;
	self->psz = page_size();
	self->max = shmdev_max_size();
	ASSERT_LT(0ULL, self->max);
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, 16 * self->psz));
	probe_install();
}

FIXTURE_TEARDOWN(map)
{
	char old[32];

	close(self->fd);
	if (self->huge_off)
		EXPECT_EQ(0, write_text(SHMDEV_PARAMS "/huge_pages", "1"));
	if (self->unevictable_allowed >= 0) {
		snprintf(old, sizeof(old), "%lld", self->unevictable_allowed);
		EXPECT_EQ(0, write_text(UNEVICTABLE_ALLOWED, old));
	}
}

static char *map_region(int fd, size_t len, int prot, off_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
}

/* Private mappings are refused: the pages are there to be shared. */
TEST_F(map, private_refused)
{
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->psz, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->psz, PROT_READ, MAP_PRIVATE,
				   self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
}

/* A mapping may reach the maximum size but not beyond it. */
TEST_F(map, bounds)
{
	long psz = self->psz;
	char *p;

	p = map_region(self->fd, self->max, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, self->max);
	p = map_region(self->fd, psz, PROT_READ, self->max - psz);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, psz);

	EXPECT_EQ(MAP_FAILED, map_region(self->fd, self->max + psz, PROT_READ, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_region(self->fd, psz, PROT_READ, self->max));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_region(self->fd, 2 * psz, PROT_READ, self->max - psz));
	EXPECT_EQ(EINVAL, errno);
	/* Offsets whose page number overflows with the length. */
	EXPECT_EQ(MAP_FAILED, map_region(self->fd, psz, PROT_READ,
					 INT64_MAX & ~(psz - 1)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_region(self->fd, 4 * psz, PROT_READ,
					 (off_t)((~0ULL >> 1) & ~(psz - 1)) - psz));
	EXPECT_EQ(EINVAL, errno);
	/* Unaligned offset: refused by the core with EINVAL. */
	EXPECT_EQ(MAP_FAILED, map_region(self->fd, psz, PROT_READ, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* mremap() may shrink or move a mapping, never grow it. */
TEST_F(map, mremap_no_growth)
{
	long psz = self->psz;
	char *p, *q;

	p = map_region(self->fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 7;
	EXPECT_EQ(MAP_FAILED, mremap(p, 4 * psz, 8 * psz, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(MAP_FAILED, mremap(p, 4 * psz, 8 * psz, 0));
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, 4 * psz, 2 * psz, 0);
	ASSERT_EQ(p, q);
	EXPECT_EQ(7, q[0]);
	munmap(q, 2 * psz);
}

/*
 * Region pages are never executable: mmap() with PROT_EXEC fails with
 * EPERM, whatever else is asked and whatever the file's mode, and
 * mprotect() cannot add PROT_EXEC to a shared mapping later (EACCES),
 * which stays as it was.
 */
TEST_F(map, exec_refused)
{
	const int prots[] = { PROT_EXEC, PROT_READ | PROT_EXEC,
			      PROT_READ | PROT_WRITE | PROT_EXEC };
	long psz = self->psz;
	struct shmdev_info info;
	int ro = shmdev_open(O_RDONLY);
	char *p, *q;

	ASSERT_LE(0, ro);
	for (unsigned int i = 0; i < ARRAY_SIZE(prots); i++) {
		EXPECT_EQ(MAP_FAILED, map_region(self->fd, 2 * psz, prots[i], 0));
		EXPECT_EQ(EPERM, errno) TH_LOG("prot %#x", prots[i]);
		if (prots[i] & PROT_WRITE)
			continue;
		EXPECT_EQ(MAP_FAILED, map_region(ro, 2 * psz, prots[i], 0));
		EXPECT_EQ(EPERM, errno) TH_LOG("prot %#x, read-only file", prots[i]);
	}
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(0U, info.nr_mappings);

	p = map_region(self->fd, 2 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = map_region(ro, 2 * psz, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	p[0] = 'x';
	EXPECT_EQ(-1, mprotect(p, 2 * psz, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(p, psz, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(q, psz, PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* Still mapped as before, unsplit. */
	EXPECT_EQ(0, probe_write(p + psz, 'y'));
	EXPECT_EQ('x', q[0]);
	EXPECT_EQ('y', q[psz]);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(2U, info.nr_mappings);
	/* Dropping rights works. */
	EXPECT_EQ(0, mprotect(p, psz, PROT_READ));
	munmap(p, 2 * psz);
	munmap(q, 2 * psz);
	close(ro);
}

/* The same for a named region's file. */
TEST_F(map, exec_refused_named)
{
	struct shmdev_open o = {
		.size = 2 * self->psz, .mode = 0600,
		.flags = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			 SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_CLOEXEC,
	};
	long psz = self->psz;
	char *p;
	int fd;

	snprintf(o.name, sizeof(o.name), "mmap-exec-%d", (int)getpid());
	fd = ioctl(self->fd, SHMDEV_IOC_OPEN, &o);
	if (fd < 0 && errno == EOPNOTSUPP)
		SKIP(return, "no named regions here");
	ASSERT_LE(0, fd) TH_LOG("OPEN %s: %s", o.name, strerror(errno));
	EXPECT_EQ(MAP_FAILED, map_region(fd, 2 * psz, PROT_READ | PROT_EXEC, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, map_region(fd, 2 * psz,
					 PROT_READ | PROT_WRITE | PROT_EXEC, 0));
	EXPECT_EQ(EPERM, errno);
	p = map_region(fd, 2 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[psz] = 'n';
	EXPECT_EQ(-1, mprotect(p, 2 * psz, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ('n', p[psz]);
	munmap(p, 2 * psz);
	close(fd);
}

/* A read-only shared mapping of an O_RDONLY file works and stays read-only. */
TEST_F(map, read_only)
{
	long psz = self->psz;
	char *p;
	int ro;

	ASSERT_EQ(1, pwrite(self->fd, "z", 1, psz));
	ro = shmdev_open(O_RDONLY);
	ASSERT_LE(0, ro);
	p = map_region(ro, 4 * psz, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ('z', p[psz]);

	EXPECT_EQ(-1, mprotect(p, 4 * psz, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGSEGV, probe_write(p + psz, 'y'));
	EXPECT_EQ(MAP_FAILED, map_region(ro, psz, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(EACCES, errno);
	munmap(p, 4 * psz);
	close(ro);
}

/* SIGBUS on the pages at or beyond the size, as for a file. */
TEST_F(map, sigbus_beyond_size)
{
	long psz = self->psz;
	char c, *p;

	ASSERT_EQ(0, shmdev_set_size(self->fd, 2 * psz + psz / 2));
	p = map_region(self->fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);

	EXPECT_EQ(0, probe_write(p, 1));
	EXPECT_EQ(0, probe_write(p + psz, 1));
	/* The partial last page is accessible as a whole. */
	EXPECT_EQ(0, probe_write(p + 2 * psz + psz - 1, 1));
	EXPECT_EQ(SIGBUS, probe_read(p + 3 * psz, &c));
	EXPECT_EQ(SIGBUS, probe_write(p + 3 * psz, 1));

	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	EXPECT_EQ(SIGBUS, probe_read(p, &c));
	munmap(p, 4 * psz);
}

/* Growing makes the pages of an existing mapping accessible, zeroed. */
TEST_F(map, grow_while_mapped)
{
	long psz = self->psz;
	char c, *p;

	ASSERT_EQ(0, shmdev_set_size(self->fd, psz));
	p = map_region(self->fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(SIGBUS, probe_read(p + 2 * psz, &c));

	ASSERT_EQ(0, shmdev_set_size(self->fd, 4 * psz));
	ASSERT_EQ(0, probe_read(p + 2 * psz, &c));
	EXPECT_EQ(0, c);
	EXPECT_TRUE(all_zero(p + psz, 3 * psz));
	EXPECT_EQ(0, probe_write(p + 3 * psz + 9, 'g'));
	ASSERT_EQ(1, pread(self->fd, &c, 1, 3 * psz + 9));
	EXPECT_EQ('g', c);
	munmap(p, 4 * psz);
}

/*
 * One byte from the pipe @fd within 30 s: a child that died, or hangs,
 * fails the test instead of blocking it (the other children hold the
 * pipe's write end, so a dead one gives no EOF).
 */
static bool byte_within(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, 30000) == 1 && read(fd, &c, 1) == 1;
}

static void kill_children(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		child_ok(pids[i]);
	}
}

/*
 * Three processes map the region; it shrinks to 1.5 pages under them.
 * Each gets SIGBUS beyond, keeps the bytes below, and after a regrow sees
 * zeroes where the old tail was.
 */
TEST_F(map, shrink_under_three_processes)
{
	long psz = self->psz;
	const int nproc = 3;
	int go[3][2], ready[2];
	pid_t pids[3];
	char c, *p;

	ASSERT_EQ(0, shmdev_set_size(self->fd, 4 * psz));
	p = map_region(self->fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (long i = 0; i < 4 * psz; i++)
		p[i] = pattern(i, 5);
	munmap(p, 4 * psz);
	ASSERT_EQ(0, pipe(ready));

	for (int n = 0; n < nproc; n++) {
		ASSERT_EQ(0, pipe(go[n]));
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0) {
			int fd = shmdev_open(O_RDWR);
			char *q;
			long i;

			close(go[n][1]);
			close(ready[0]);
			q = map_region(fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
			if (q == MAP_FAILED)
				_exit(10);
			/* Every page mapped in this process before the shrink. */
			for (i = 0; i < 4 * psz; i += psz)
				if (q[i] != pattern(i, 5))
					_exit(11);
			if (write(ready[1], "r", 1) != 1 || read(go[n][0], &c, 1) != 1)
				_exit(12);
			for (i = 0; i < psz + psz / 2; i++)
				if (q[i] != pattern(i, 5))
					_exit(13);
			if (probe_read(q + 2 * psz, &c) != SIGBUS ||
			    probe_read(q + 3 * psz + 1, &c) != SIGBUS)
				_exit(14);
			if (write(ready[1], "r", 1) != 1 || read(go[n][0], &c, 1) != 1)
				_exit(15);
			/* Regrown: the old tail reads as zeroes. */
			if (!all_zero(q + psz + psz / 2, 2 * psz + psz / 2))
				_exit(16);
			_exit(0);
		}
		close(go[n][0]);
	}
	close(ready[1]);
	for (int n = 0; n < nproc; n++)
		if (!byte_within(ready[0])) {
			kill_children(pids, nproc);
			ASSERT_TRUE(false) TH_LOG("a child is not ready");
		}
	ASSERT_EQ(0, shmdev_set_size(self->fd, psz + psz / 2));
	for (int n = 0; n < nproc; n++)
		ASSERT_EQ(1, write(go[n][1], "g", 1));
	for (int n = 0; n < nproc; n++)
		if (!byte_within(ready[0])) {
			kill_children(pids, nproc);
			ASSERT_TRUE(false) TH_LOG("a child failed after the shrink");
		}
	ASSERT_EQ(0, shmdev_set_size(self->fd, 4 * psz));
	for (int n = 0; n < nproc; n++)
		ASSERT_EQ(1, write(go[n][1], "g", 1));
	for (int n = 0; n < nproc; n++) {
		EXPECT_TRUE(child_ok(pids[n]));
		close(go[n][1]);
	}
	close(ready[0]);
}

/*
 * Two processes that open and map the device each on their own, with no
 * mapping inherited, see each other's writes.
 */
TEST_F(map, independent_processes)
{
	long psz = self->psz;
	int to_b[2], to_a[2];
	pid_t a, b;

	ASSERT_EQ(0, pipe(to_b));
	ASSERT_EQ(0, pipe(to_a));
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int fd = shmdev_open(O_RDWR);
		char c, *q = map_region(fd, 4 * psz, PROT_READ | PROT_WRITE, 0);

		/* Only the ends it uses: a peer that dies gives EOF. */
		close(to_b[0]);
		close(to_a[1]);
		if (q == MAP_FAILED)
			_exit(10);
		strcpy(q + psz, "from a");
		if (write(to_b[1], "a", 1) != 1 || read(to_a[0], &c, 1) != 1)
			_exit(11);
		_exit(strcmp(q + 2 * psz, "from b") ? 12 : 0);
	}
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int fd = shmdev_open(O_RDWR);
		char c, *q;

		close(to_b[1]);
		close(to_a[0]);
		if (read(to_b[0], &c, 1) != 1)
			_exit(10);
		q = map_region(fd, 4 * psz, PROT_READ | PROT_WRITE, 0);
		if (q == MAP_FAILED)
			_exit(11);
		if (strcmp(q + psz, "from a"))
			_exit(12);
		strcpy(q + 2 * psz, "from b");
		_exit(write(to_a[1], "b", 1) == 1 ? 0 : 13);
	}
	close(to_b[0]);
	close(to_b[1]);
	close(to_a[0]);
	close(to_a[1]);
	EXPECT_TRUE(child_ok(a));
	EXPECT_TRUE(child_ok(b));
}

/* A fork child shares the mapping both ways. */
TEST_F(map, fork_shares)
{
	long psz = self->psz;
	char *p, c;
	pid_t pid;

	p = map_region(self->fd, 2 * psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'p';
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (p[0] != 'p')
			_exit(10);
		p[psz] = 'c';
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	EXPECT_EQ('c', p[psz]);
	ASSERT_EQ(1, pread(self->fd, &c, 1, psz));
	EXPECT_EQ('c', c);
	munmap(p, 2 * psz);
}

/* The bytes outlive every file and mapping: a writer may exit first. */
TEST_F(map, persists_after_last_close)
{
	long psz = self->psz;
	struct shmdev_info info;
	pid_t pid;
	char *p;

	close(self->fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = shmdev_open(O_RDWR);
		char *q = map_region(fd, 16 * psz, PROT_READ | PROT_WRITE, 0);

		if (q == MAP_FAILED)
			_exit(10);
		for (long i = 0; i < 16 * psz; i++)
			q[i] = pattern(i, 6);
		_exit(0);
	}
	ASSERT_TRUE(child_ok(pid));

	self->fd = shmdev_open(O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(1U, info.nr_files);
	EXPECT_EQ(0U, info.nr_mappings);
	EXPECT_EQ(16ULL, info.nr_pages);
	p = map_region(self->fd, 16 * psz, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (long i = 0; i < 16 * psz; i++)
		ASSERT_EQ(pattern(i, 6), p[i]);
	munmap(p, 16 * psz);
}

static bool write_all(int fd, __u64 len, unsigned int seed)
{
	char *q = map_region(fd, len, PROT_READ | PROT_WRITE, 0);

	if (q == MAP_FAILED)
		return false;
	for (__u64 i = 0; i < len; i++)
		q[i] = pattern(i, seed);
	munmap(q, len);
	return true;
}

static bool check_all(int fd, __u64 len, unsigned int seed)
{
	char *q = map_region(fd, len, PROT_READ, 0);
	bool ok = q != MAP_FAILED;

	for (__u64 i = 0; ok && i < len; i++)
		ok = q[i] == pattern(i, seed);
	if (q != MAP_FAILED)
		munmap(q, len);
	return ok;
}

/* drop_caches drops clean unmapped page cache: never the region's pages. */
TEST_F(map, survives_drop_caches)
{
	__u64 len = 16 * self->psz;
	struct shmdev_info info;
	int fd;

	ASSERT_TRUE(write_all(self->fd, len, 7));
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		SKIP(return, "cannot write /proc/sys/vm/drop_caches: %s (root only)",
		     strerror(errno));
	ASSERT_EQ(2, write(fd, "3\n", 2));
	close(fd);
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ(16ULL, info.nr_pages);
	EXPECT_TRUE(check_all(self->fd, len, 7));
}

/*
 * The frame of each of the first @n pages of the region, from PAGE_INFO
 * (CAP_SYS_ADMIN sees PFNs): 0 when every page is resident and has one,
 * else -errno.
 */
static int region_pfns(int fd, __u64 n, __u64 *pfn)
{
	struct shmdev_page_info pi[256];
	__u64 i = 0;

	while (i < n) {
		struct shmdev_page_query q = {
			.index = i, .pages = (uintptr_t)pi, .count = 256,
		};

		memset(pi, 0xa5, sizeof(pi));
		if (ioctl(fd, SHMDEV_IOC_PAGE_INFO, &q))
			return -errno;
		if (!q.count || q.count > 256)
			return -EIO;
		for (__u32 j = 0; j < q.count && i < n; j++, i++) {
			if (!(pi[j].flags & SHMDEV_PAGE_RESIDENT) || !pi[j].pfn ||
			    pi[j].pfn == 0xa5a5a5a5a5a5a5a5ULL)
				return -ENODATA;
			pfn[i] = pi[j].pfn;
		}
	}
	return 0;
}

static long long vmstat(const char *key)
{
	return proc_field("/proc/vmstat", key);
}

/* Writes the pattern of @seed over [@off, @off + @len) of the region. */
static bool write_range(int fd, __u64 off, __u64 len, unsigned int seed)
{
	char *q = map_region(fd, len, PROT_READ | PROT_WRITE, off);

	if (q == MAP_FAILED)
		return false;
	for (__u64 i = 0; i < len; i++)
		q[i] = pattern(off + i, seed);
	munmap(q, len);
	return true;
}

/*
 * Compaction migrates movable pages, and the region's are (through
 * filemap_migrate_folio()); being unevictable, they are only candidates
 * while compact_unevictable_allowed is 1, which RT kernels do not set by
 * default. With it set, a full compaction must move at least one region
 * page to another frame, mapped or not, and every byte must stay where it
 * was.
 *
 * Full compaction moves the movable pages at the start of each zone into
 * free frames at its end, and leaves pages at the end where they are. So
 * the region's pages are made where it will look: a first compaction
 * packs what is movable at the end, an anonymous mapping then takes the
 * small free fragments left there (the allocator hands out the smallest
 * free blocks first), the region's pages come from the free start, and
 * the anonymous memory is given back before the second compaction. Even
 * so a compaction may end, where its two scanners meet, without having
 * taken any of them (seen on every kernel tested, most often after other
 * tests): the region then grows by another 8 MiB, made the same way while
 * the pages already there keep their frames, up to 96 MiB, before the
 * test fails. The log shows each round.
 */
TEST_F_TIMEOUT(map, survives_compaction, 300)
{
	const __u64 chunk = 8ULL << 20, max_chunks = 12;
	__u64 n = 0, moved = 0, size = 0;
	long long allowed, scanned = 0, migrated = 0, free_scanned;
	bool counters = false;
	__u64 *before, *after;
	long free_kb;
	size_t hog_len;
	char *p;

	if (geteuid())
		SKIP(return, "needs root: PFNs and /proc/sys/vm");
	if (access("/proc/sys/vm/compact_memory", W_OK))
		SKIP(return, "no /proc/sys/vm/compact_memory: kernel without CONFIG_COMPACTION");
	if (self->max < max_chunks * chunk)
		SKIP(return, "max_size below %llu bytes", max_chunks * chunk);
	ASSERT_EQ(0, read_u64(UNEVICTABLE_ALLOWED, (unsigned long long *)&allowed));
	self->unevictable_allowed = allowed;
	/* Small pages: compaction does not move huge ones into small holes. */
	if (!access(SHMDEV_PARAMS "/huge_pages", W_OK)) {
		ASSERT_EQ(0, write_text(SHMDEV_PARAMS "/huge_pages", "0"));
		self->huge_off = true;
	}
	ASSERT_EQ(0, write_text(UNEVICTABLE_ALLOWED, "1"));
	before = calloc(max_chunks * chunk / self->psz, sizeof(*before));
	after = calloc(max_chunks * chunk / self->psz, sizeof(*after));
	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));

	for (__u64 k = 1; k <= max_chunks && !moved; k++) {
		__u64 lo = ~0ULL, hi = 0;
		char *hog;

		size = k * chunk;
		n = size / self->psz;
		ASSERT_EQ(0, shmdev_set_size(self->fd, size));
		ASSERT_EQ(0, write_text("/proc/sys/vm/compact_memory", "1"));
		free_kb = meminfo_kb("MemFree");
		ASSERT_LT(0, free_kb);
		hog_len = (size_t)free_kb * 1024 / 4;
		if (hog_len > (256UL << 20))
			hog_len = 256UL << 20;
		hog = mmap(NULL, hog_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		ASSERT_NE(MAP_FAILED, hog);
		ASSERT_TRUE(write_range(self->fd, size - chunk, chunk, 9));
		munmap(hog, hog_len);

		/* Half the pages stay mapped here during compaction. */
		p = map_region(self->fd, size / 2, PROT_READ, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, region_pfns(self->fd, n, before));
		for (__u64 i = n - chunk / self->psz; i < n; i++) {
			lo = before[i] < lo ? before[i] : lo;
			hi = before[i] > hi ? before[i] : hi;
		}

		/*
		 * The event counters exist only with CONFIG_VM_EVENT_COUNTERS
		 * (not in the small debug kernel): there the PFNs alone tell.
		 */
		counters = vmstat("compact_migrate_scanned") >= 0;
		scanned = vmstat("compact_migrate_scanned");
		migrated = vmstat("pgmigrate_success");
		free_scanned = vmstat("compact_free_scanned");
		if (counters) {
			ASSERT_LE(0, migrated);
			ASSERT_LE(0, free_scanned);
		}
		ASSERT_EQ(0, write_text("/proc/sys/vm/compact_memory", "1"));
		if (counters) {
			scanned = vmstat("compact_migrate_scanned") - scanned;
			migrated = vmstat("pgmigrate_success") - migrated;
			free_scanned = vmstat("compact_free_scanned") - free_scanned;
		}

		ASSERT_EQ(0, region_pfns(self->fd, n, after));
		for (__u64 i = 0; i < n; i++)
			moved += before[i] != after[i];
		TH_LOG("%llu MiB, new pages at PFN %#llx-%#llx: compaction scanned %lld to migrate and %lld free, migrated %lld; %llu of %llu region pages moved",
		       (unsigned long long)(size >> 20), (unsigned long long)lo,
		       (unsigned long long)hi, scanned, free_scanned, migrated,
		       (unsigned long long)moved, (unsigned long long)n);

		for (__u64 i = 0; i < size / 2; i++)
			ASSERT_EQ(pattern(i, 9), p[i]);
		munmap(p, size / 2);
		EXPECT_TRUE(check_all(self->fd, size, 9));
	}
	if (counters)
		EXPECT_LT(0, scanned);
	EXPECT_LT(0ULL, moved);
	free(before);
	free(after);
}

/* What the reader of pread_during_migration shares with the test. */
struct migration_reader {
	_Atomic int stop;
	_Atomic __u64 filled;		/* bytes to read, from 0 */
	_Atomic __u64 pages_read;
	__u64 bad_off;			/* the first page read wrong */
	int bad_zero;			/* ... as zeroes */
};

/* Until told to stop: pread() every page and check its bytes. */
static int migration_reader(int fd, long psz, struct migration_reader *r)
{
	char *buf = malloc(psz);
	long j;

	if (!buf)
		return 2;
	while (!r->stop) {
		__u64 filled = r->filled;

		for (__u64 off = 0; off < filled && !r->stop; off += psz) {
			if (pread(fd, buf, psz, off) != psz)
				return 3;
			r->pages_read++;
			for (j = 0; j < psz && buf[j] == pattern(off + j, 9); j++)
				;
			if (j == psz)
				continue;
			r->bad_off = off;
			r->bad_zero = 1;
			for (j = 0; j < psz; j++)
				r->bad_zero &= !buf[j];
			return 1;
		}
	}
	return 0;
}

#define MIGRATE_PAGES	16
#define MPOL_MF_MOVE_ALL_FLAG	(1 << 2)	/* <numaif.h>'s MPOL_MF_MOVE_ALL */

/*
 * read() while the pages it reads migrate between NUMA nodes: the bytes,
 * always. read() takes no lock on a resident page, and a migration's new
 * folio may sit in the page cache, locked and not uptodate, before its
 * bytes are copied in: 6.1 swaps the page cache entry first, then copies
 * (6.12 copies first). A read that takes that folio must wait for it, or
 * it reads zeroes (module/pages.c, shmdev_find_folio()). A child pread()s
 * 16 pages in a loop while the test moves them from node to node with
 * move_pages(); it needs two nodes (scripts/vm-run --numa 2, which `make
 * check` runs it in).
 */
TEST_F_TIMEOUT(map, pread_during_migration, 120)
{
	void *pages[MIGRATE_PAGES];
	int nodes[MIGRATE_PAGES], st[MIGRATE_PAGES];
	struct migration_reader *r;
	unsigned long moved = 0;
	bool reaped = false;
	int err = 0;
	long ret;
	double end;
	int status;
	pid_t pid;
	char *p;

	if (geteuid())
		SKIP(return, "needs root: move_pages() of shared pages");
	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "one NUMA node: scripts/vm-run --numa 2 makes two");
	ASSERT_EQ(0, shmdev_reset(self->fd, MIGRATE_PAGES * self->psz));
	ASSERT_TRUE(write_range(self->fd, 0, MIGRATE_PAGES * self->psz, 9));
	p = map_region(self->fd, MIGRATE_PAGES * self->psz, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (int i = 0; i < MIGRATE_PAGES; i++) {
		pages[i] = p + i * self->psz;
		ASSERT_EQ(pattern(i * self->psz, 9), *(volatile char *)pages[i]);
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	r->filled = MIGRATE_PAGES * self->psz;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(migration_reader(self->fd, self->psz, r));

	end = sd_now() + 5;
	for (int round = 0; sd_now() < end && !reaped; round++) {
		for (int i = 0; i < MIGRATE_PAGES; i++)
			nodes[i] = round & 1;
		/*
		 * A page the reader holds at that moment may stay (the
		 * return counts those); st[] says where each one is.
		 */
		ret = syscall(__NR_move_pages, 0, MIGRATE_PAGES, pages, nodes,
			      st, MPOL_MF_MOVE_ALL_FLAG);
		if (ret < 0) {
			err = errno;
			break;
		}
		for (int i = 0; i < MIGRATE_PAGES; i++)
			moved += st[i] == (round & 1);
		/* A reader that found a wrong page has stopped. */
		reaped = waitpid(pid, &status, WNOHANG) == pid;
	}
	r->stop = 1;
	if (!reaped)
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, err) TH_LOG("move_pages(): %s", strerror(err));
	TH_LOG("%llu pages read, %lu page moves", (unsigned long long)r->pages_read, moved);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("reader: status %#x; page at %#llx read %s", status,
		       (unsigned long long)r->bad_off,
		       r->bad_zero ? "as zeroes: a folio being migrated, read before its copy" :
		       "wrong");
	}
	/* Pages that never moved prove nothing. */
	EXPECT_LT((unsigned long)MIGRATE_PAGES, moved);
	munmap(r, sizeof(*r));
	munmap(p, MIGRATE_PAGES * self->psz);
}

/*
 * Memory pressure: another process takes most of the free memory. The
 * region's pages sit on the unevictable list and keep their bytes.
 */
TEST_F(map, survives_memory_pressure)
{
	__u64 len = 32ULL << 20;
	long unevictable, avail;
	pid_t pid;

	if (len > self->max)
		len = self->max;
	ASSERT_EQ(0, shmdev_reset(self->fd, len));
	unevictable = meminfo_kb("Unevictable");
	ASSERT_TRUE(write_all(self->fd, len, 8));
	/* Less the folios still in per-CPU LRU batches. */
	EXPECT_LE(unevictable + (long)(len >> 10) - 2 * 32 * self->psz / 1024,
		  meminfo_kb("Unevictable"));

	avail = meminfo_kb("MemAvailable");
	ASSERT_LT(0, avail);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Leave 48 MiB: pressure, not the OOM killer. */
		size_t hog = (size_t)(avail - 48 * 1024) * 1024;
		char *m = mmap(NULL, hog, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			_exit(10);
		for (size_t i = 0; i < hog; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	EXPECT_TRUE(check_all(self->fd, len, 8));
}

SHMDEV_TEST_MAIN
