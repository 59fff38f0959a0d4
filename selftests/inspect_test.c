// SPDX-License-Identifier: GPL-2.0
/*
 * Seeing inside the region: SHMDEV_IOC_PAGE_INFO, /proc/PID/fdinfo,
 * debugfs shmdev/regions and shmdev/stats, and the trace events.
 *
 * Reference counts, exactly. A page of the region that is resident and on
 * its LRU list holds one reference of the page cache, plus one per page
 * table entry (PTE) that maps it; its mapcount is the number of those
 * PTEs. A page that was just allocated also waits in a per-CPU batch, with
 * a reference, before it is put on the LRU list; drain_lru() empties every
 * CPU's batch (through /proc/sys/vm/compact_memory) so that the counts
 * below are exact. Compaction must then leave the region's pages alone: a
 * page it migrates goes back through such a batch, with a reference. So
 * while the tests run, compaction does not migrate unevictable pages (the
 * region's; RT kernels default to that) and does not run in the
 * background.
 */

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define DEBUGFS		"/sys/kernel/debug/shmdev"
/* Settings the tests change, and the value each gets. */
static const struct { const char *path, *value; } quiet_compaction[] = {
	{ "/proc/sys/vm/compaction_proactiveness", "0" },
	{ "/proc/sys/vm/compact_unevictable_allowed", "0" },
};

#define NR_QUIET	(sizeof(quiet_compaction) / sizeof(quiet_compaction[0]))

/* What a resident page of the region looks like once on its LRU list. */
#define ON_LRU	(0U | SHMDEV_PAGE_RESIDENT | SHMDEV_PAGE_DIRTY | SHMDEV_PAGE_UPTODATE | \
		 SHMDEV_PAGE_LRU | SHMDEV_PAGE_UNEVICTABLE)

/* Reads a whole (small) file into a static buffer; NULL on error. */
static const char *read_text(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Puts every page waiting in a per-CPU LRU batch on its LRU list. */
static int drain_lru(void)
{
	return write_text("/proc/sys/vm/compact_memory", "1");
}

/* One page's state; returns the number of entries filled (0 or 1). */
static int page_info(int fd, __u64 index, struct shmdev_page_info *pi)
{
	struct shmdev_page_query q = {
		.index = index, .pages = (uintptr_t)pi, .count = 1,
	};

	memset(pi, 0xa5, sizeof(*pi));
	if (ioctl(fd, SHMDEV_IOC_PAGE_INFO, &q))
		return -errno;
	return q.count;
}

/* A module-wide counter of debugfs shmdev/stats, or -1. */
static long long stat_value(const char *name)
{
	return proc_field(DEBUGFS "/stats", name);
}

/*
 * A child that maps page @index of the region on its own and reads it,
 * then waits for a byte on @go before it exits. Returns its pid once the
 * page is mapped.
 */
static pid_t spawn_mapper(int fd, long psz, __u64 index, int go[2])
{
	int ready[2];
	char c;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		volatile char *p = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd,
					index * psz);

		if (p == MAP_FAILED)
			_exit(1);
		c = *p;
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid > 0 && read(ready[0], &c, 1) != 1) {
		/* It died before mapping: say how, and reap it. */
		child_ok(pid);
		pid = -1;
	}
	close(ready[0]);
	if (pid < 0)
		close(go[1]);
	return pid;
}

/* Lets a spawn_mapper() child exit, and reaps it: its PTEs are gone. */
static bool release_mapper(pid_t pid, int go[2])
{
	bool ok = write(go[1], "x", 1) == 1;

	close(go[1]);
	return child_ok(pid) && ok;
}

FIXTURE(inspect) {
	int fd;
	long psz;
	char saved[NR_QUIET][32];
};

FIXTURE_SETUP(inspect)
{
	size_t i;

	self->psz = page_size();
	for (i = 0; i < NR_QUIET; i++) {
		const char *old = read_text(quiet_compaction[i].path);

		snprintf(self->saved[i], sizeof(self->saved[i]), "%s", old ? old : "");
		if (old)
			ASSERT_EQ(0, write_text(quiet_compaction[i].path,
						quiet_compaction[i].value));
	}
	self->fd = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, shmdev_reset(self->fd, 4 * self->psz));
}

FIXTURE_TEARDOWN(inspect)
{
	shmdev_set_size(self->fd, 0);
	close(self->fd);
	for (size_t i = 0; i < NR_QUIET; i++)
		if (self->saved[i][0])
			write_text(quiet_compaction[i].path, self->saved[i]);
}

/*
 * One write fault in one process: the page cache's reference and the
 * PTE's, one mapping. Before the fault, nothing: the entry is all zero.
 */
TEST_F(inspect, one_fault)
{
	struct shmdev_page_info pi;
	char *p;

	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(0U, pi.flags);
	EXPECT_EQ(0U, pi.refcount);
	EXPECT_EQ(0U, pi.mapcount);
	EXPECT_EQ(0U, pi.pfn);

	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, drain_lru());

	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(ON_LRU, pi.flags);
	EXPECT_EQ(2U, pi.refcount);	/* page cache + 1 PTE */
	EXPECT_EQ(1U, pi.mapcount);
	EXPECT_EQ(0U, pi.order);
	munmap(p, self->psz);

	/* The page stays in the page cache, unmapped. */
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(ON_LRU, pi.flags);
	EXPECT_EQ(1U, pi.refcount);
	EXPECT_EQ(0U, pi.mapcount);
}

/*
 * The same page mapped by three processes: three PTEs, each with its
 * reference. munmap (here: exit) in one drops one of each.
 */
TEST_F(inspect, three_processes_then_munmap)
{
	struct shmdev_page_info pi;
	int go1[2], go2[2];
	pid_t c1, c2;
	char *p;

	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	c1 = spawn_mapper(self->fd, self->psz, 0, go1);
	ASSERT_LT(0, c1);
	c2 = spawn_mapper(self->fd, self->psz, 0, go2);
	ASSERT_LT(0, c2);
	ASSERT_EQ(0, drain_lru());

	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(3U, pi.mapcount);
	EXPECT_EQ(4U, pi.refcount);	/* page cache + 3 PTEs */

	ASSERT_TRUE(release_mapper(c1, go1));
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(2U, pi.mapcount);
	EXPECT_EQ(3U, pi.refcount);

	ASSERT_TRUE(release_mapper(c2, go2));
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(1U, pi.mapcount);
	EXPECT_EQ(2U, pi.refcount);
	munmap(p, self->psz);
}

/*
 * fork() copies no PTE of a shared file mapping (it has no anonymous pages
 * to copy): the child inherits the VMA but maps the page only when it
 * touches it, through fault-around, since the page is in the page cache.
 */
TEST_F(inspect, fork_maps_on_touch)
{
	struct shmdev_page_info pi;
	volatile char *p;
	pid_t pid;

	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, drain_lru());

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		if (page_info(self->fd, 0, &pi) != 1 || pi.mapcount != 1 ||
		    pi.refcount != 2)
			_exit(1);
		c = p[0];
		if (page_info(self->fd, 0, &pi) != 1 || pi.mapcount != 2 ||
		    pi.refcount != 3 || c != 1)
			_exit(2);
		_exit(0);
	}
	ASSERT_TRUE(child_ok(pid));
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(1U, pi.mapcount);
	EXPECT_EQ(2U, pi.refcount);
	munmap((void *)p, self->psz);
}

/*
 * A shrink past a mapped page unmaps it from every process (rmap, through
 * unmap_mapping_range()) and removes it from the page cache: it is freed.
 * Grown again, the index is empty until touched.
 */
TEST_F(inspect, shrink_frees_mapped_page)
{
	long long freed = stat_value("pages_freed");
	struct shmdev_page_info pi;
	char *p;

	ASSERT_LE(0, freed);
	p = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[self->psz] = 2;
	ASSERT_EQ(0, drain_lru());
	ASSERT_EQ(1, page_info(self->fd, 1, &pi));
	EXPECT_EQ(1U, pi.mapcount);

	ASSERT_EQ(0, shmdev_set_size(self->fd, self->psz));
	/* Beyond the size: no entry at all. */
	ASSERT_EQ(0, page_info(self->fd, 1, &pi));
	EXPECT_EQ(freed + 1, stat_value("pages_freed"));
	/* The page below the size keeps its mapping. */
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ(1U, pi.mapcount);
	EXPECT_EQ(2U, pi.refcount);

	ASSERT_EQ(0, shmdev_set_size(self->fd, 2 * self->psz));
	ASSERT_EQ(1, page_info(self->fd, 1, &pi));
	EXPECT_EQ(0U, pi.flags);
	munmap(p, 2 * self->psz);
}

/* The physical frame behind a virtual address, from /proc/self/pagemap. */
static __u64 pagemap_pfn(const void *addr, long psz)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	__u64 e = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / psz * sizeof(e)) != sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * The PFN is for CAP_SYS_ADMIN only. As root it is the frame pagemap shows
 * for our mapping; after dropping privileges it reads 0, and the rest of
 * the entry is unchanged.
 */
TEST_F(inspect, pfn_for_admin_only)
{
	struct shmdev_page_info root_pi, pi;
	char *p;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	p = mmap(NULL, self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, drain_lru());

	ASSERT_EQ(1, page_info(self->fd, 0, &root_pi));
	ASSERT_NE(0U, root_pi.pfn);
	EXPECT_EQ(pagemap_pfn(p, self->psz), root_pi.pfn);
	ASSERT_EQ(1, page_info(self->fd, 1, &pi));
	EXPECT_EQ(0U, pi.pfn);	/* not resident */

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A non-root uid without keepcaps has no capability left. */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		if (page_info(self->fd, 0, &pi) != 1)
			_exit(2);
		if (pi.pfn != 0)
			_exit(3);
		if (pi.flags != root_pi.flags || pi.mapcount != root_pi.mapcount ||
		    pi.refcount != root_pi.refcount || pi.order != root_pi.order)
			_exit(4);
		_exit(0);
	}
	EXPECT_TRUE(child_ok(pid));
	munmap(p, self->psz);
}

/* Entries a query of @count pages from @index fills, or -errno. */
static long filled(int fd, __u64 index, __u32 count, struct shmdev_page_info *pi)
{
	struct shmdev_page_query q = {
		.index = index, .pages = (uintptr_t)pi, .count = count,
	};

	if (ioctl(fd, SHMDEV_IOC_PAGE_INFO, &q))
		return -errno;
	return q.count;
}

/* A whole region in one call; the count stops at the size. */
TEST_F(inspect, batch_and_bounds)
{
	struct shmdev_page_info pi[8];
	struct shmdev_page_query q = { .pages = (uintptr_t)pi, .count = 8 };
	char *p;

	/* Poison: an entry the kernel forgot to write shows. */
	memset(pi, 0xa5, sizeof(pi));
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[2 * self->psz] = 1;

	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &q));
	ASSERT_EQ(4U, q.count);
	EXPECT_TRUE(!!(pi[0].flags & SHMDEV_PAGE_RESIDENT));
	EXPECT_EQ(0U, pi[1].flags);
	EXPECT_TRUE(!!(pi[2].flags & SHMDEV_PAGE_RESIDENT));
	EXPECT_EQ(0U, pi[3].flags);
	EXPECT_EQ(0U, pi[3].refcount);
	EXPECT_EQ(0ULL, pi[3].pfn);
	/* Entries past the count are not written. */
	EXPECT_EQ(0xa5a5a5a5U, pi[4].flags);

	/* From the last page: one entry. At or past the size: none. */
	EXPECT_EQ(1, filled(self->fd, 3, 8, pi));
	EXPECT_EQ(0, filled(self->fd, 4, 8, pi));
	EXPECT_EQ(0, filled(self->fd, ~0ULL, 8, pi));
	EXPECT_EQ(0, filled(self->fd, 0, 0, pi));
	munmap(p, 4 * self->psz);
}

/* Bad input: a precise errno, and the query's count left alone. */
TEST_F(inspect, bad_queries)
{
	struct shmdev_page_info pi[2];
	struct shmdev_page_query q = {
		.pages = (uintptr_t)pi, .count = 2, .flags = 1,
	};
	char *ro;

	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &q));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(2U, q.count);

	q.flags = 0;
	q.pages = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &q));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(2U, q.count);

	/* A read-only array cannot take the entries. */
	ro = mmap(NULL, self->psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	q.pages = (uintptr_t)ro;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, &q));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, self->psz);

	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_PAGE_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* A "key:\tvalue" line of /proc/self/fdinfo/FD, or ~0. */
static unsigned long long fdinfo_value(int fd, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return (unsigned long long)proc_field(path, key);
}

/*
 * fdinfo agrees with GET_INFO, and shows each file's own acknowledged
 * sequence: NOTIFY through one file acknowledges it for that file only.
 */
TEST_F(inspect, fdinfo)
{
	struct shmdev_info info;
	__u64 seq = ~0ULL, before;
	int fd2;

	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	before = info.seq;
	fd2 = shmdev_open(O_RDONLY);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_NOTIFY, &seq));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));

	EXPECT_NE(~0ULL, fdinfo_value(self->fd, "shmdev-region"));
	EXPECT_EQ(fdinfo_value(self->fd, "shmdev-region"),
		  fdinfo_value(fd2, "shmdev-region"));
	EXPECT_EQ(info.size, fdinfo_value(self->fd, "shmdev-size"));
	EXPECT_EQ(info.max_size, fdinfo_value(self->fd, "shmdev-max-size"));
	EXPECT_EQ(info.seq, fdinfo_value(self->fd, "shmdev-seq"));
	EXPECT_EQ(seq, info.seq);
	EXPECT_EQ(seq, fdinfo_value(self->fd, "shmdev-acked-seq"));
	EXPECT_EQ(before, fdinfo_value(fd2, "shmdev-acked-seq"));
	close(fd2);
}

/* The line of debugfs shmdev/regions for region @id, parsed; false if none. */
static bool region_row(unsigned long long id, unsigned long long v[10])
{
	const char *text = read_text(DEBUGFS "/regions");
	const char *p = text ? strchr(text, '\n') : NULL;	/* skip the header */

	for (; p && p[1]; p = strchr(p + 1, '\n')) {
		if (sscanf(p + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			   &v[8], &v[9]) == 10 && v[0] == id)
			return true;
	}
	return false;
}

/* debugfs shmdev/regions agrees with GET_INFO, column by column. */
TEST_F(inspect, debugfs_regions)
{
	unsigned long long v[10], id;
	struct shmdev_info info;
	char *p;

	if (access(DEBUGFS "/regions", R_OK))
		SKIP(return, "debugfs is not mounted or not readable");
	p = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[self->psz] = 1;
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	id = fdinfo_value(self->fd, "shmdev-region");

	ASSERT_TRUE(region_row(id, v));
	EXPECT_EQ(info.size, v[1]);
	EXPECT_EQ(info.max_size, v[2]);
	EXPECT_EQ(info.nr_pages, v[3]);
	EXPECT_EQ(2ULL, v[3]);
	EXPECT_EQ(info.nr_mappings, v[4]);
	EXPECT_EQ(info.nr_files, v[5]);
	EXPECT_EQ(info.seq, v[6]);
	munmap(p, 2 * self->psz);
}

/*
 * The counters of debugfs shmdev/stats and shmdev/regions are exact: each
 * operation below moves them by a known amount.
 */
TEST_F(inspect, debugfs_counters_exact)
{
	static const char *const names[] = {
		"pages_allocated", "pages_freed", "faults", "sigbus", "resizes",
		"notifies", "waits",
	};
	unsigned long long rb[10], ra[10], id;
	long long before[7], after[7];
	struct shmdev_wait w = { .timeout_ns = 0 };
	__u64 seq;
	char *p;
	size_t i;

	if (access(DEBUGFS "/stats", R_OK))
		SKIP(return, "debugfs is not mounted or not readable");
	id = fdinfo_value(self->fd, "shmdev-region");
	ASSERT_TRUE(region_row(id, rb));
	for (i = 0; i < 7; i++) {
		before[i] = stat_value(names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no counter %s", names[i]);
	}

	ASSERT_EQ(0, shmdev_set_size(self->fd, 3 * self->psz));	/* resizes +1 */
	p = mmap(NULL, 4 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Write faults take no fault-around: one fault, one page each. */
	for (i = 0; i < 3; i++)
		p[i * self->psz] = 1;
	probe_install();
	EXPECT_EQ(SIGBUS, probe_write(p + 3 * self->psz, 1));	/* fault, sigbus */
	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_NOTIFY, &seq));
	w.seq = seq;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(ETIMEDOUT, errno);
	munmap(p, 4 * self->psz);
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));		/* frees 3 */

	for (i = 0; i < 7; i++)
		after[i] = stat_value(names[i]);
	EXPECT_EQ(before[0] + 3, after[0]);
	EXPECT_EQ(before[1] + 3, after[1]);
	EXPECT_EQ(before[2] + 4, after[2]);
	EXPECT_EQ(before[3] + 1, after[3]);
	EXPECT_EQ(before[4] + 2, after[4]);
	EXPECT_EQ(before[5] + 1, after[5]);
	EXPECT_EQ(before[6] + 1, after[6]);

	ASSERT_TRUE(region_row(id, ra));
	EXPECT_EQ(rb[7] + 4, ra[7]);	/* faults */
	EXPECT_EQ(rb[8] + 1, ra[8]);	/* notifies */
	EXPECT_EQ(rb[9] + 1, ra[9]);	/* waits */
}

static const char *tracefs(void)
{
	if (!access("/sys/kernel/tracing/events/shmdev/enable", W_OK))
		return "/sys/kernel/tracing";
	if (!access("/sys/kernel/debug/tracing/events/shmdev/enable", W_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

/* The first line of @text with "EVENT: " that holds every one of @fields. */
static const char *find_event(const char *text, const char *event,
			      const char *fields)
{
	char key[64], want[256], *f, *save;
	const char *p;

	snprintf(key, sizeof(key), " %s: ", event);
	for (p = strstr(text, key); p; p = strstr(p + 1, key)) {
		const char *eol = strchr(p, '\n');
		bool all = true;

		snprintf(want, sizeof(want), "%s", fields);
		for (f = strtok_r(want, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
			const char *hit = strstr(p, f);

			if (!hit || (eol && hit > eol) ||
			    (hit[strlen(f)] && hit[strlen(f)] != ' ' && hit[strlen(f)] != '\n')) {
				all = false;
				break;
			}
		}
		if (all)
			return p;
	}
	return NULL;
}

/* True once process @pid sleeps in ioctl(@fd, SHMDEV_IOC_WAIT). */
static bool await_wait(pid_t pid, int fd)
{
	return await_in_syscall(pid, pid, SYS_ioctl, -1, (unsigned long)fd,
				(unsigned long)SHMDEV_IOC_WAIT);
}

/*
 * Every trace event fires with the documented fields: a resize, a write
 * fault that allocates (page_alloc, fault), a shrink that drops the page
 * (page_free with the same PFN, resize with dropped=1), a fault beyond the
 * size (SIGBUS), a WAIT that times out, and a NOTIFY that wakes exactly the
 * one task sleeping in WAIT.
 */
TEST_F(inspect, trace_events)
{
	struct shmdev_wait w = { .timeout_ns = 1000000 };
	struct shmdev_page_info pi;
	char path[128], want[128];
	const char *dir = tracefs(), *text, *event, *slept;
	long long waits;
	__u64 seq;
	char *p;
	pid_t pid;

	if (geteuid() || !dir)
		SKIP(return, "needs root and tracefs with the shmdev events");
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	snprintf(path, sizeof(path), "%s/trace", dir);
	ASSERT_EQ(0, write_text(path, ""));
	snprintf(path, sizeof(path), "%s/events/shmdev/enable", dir);
	ASSERT_EQ(0, write_text(path, "1"));

	ASSERT_EQ(0, shmdev_set_size(self->fd, self->psz));
	p = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	probe_install();
	EXPECT_EQ(SIGBUS, probe_write(p + self->psz, 1));
	munmap(p, 2 * self->psz);

	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_NOTIFY, &seq));
	w.seq = seq;
	EXPECT_EQ(-1, ioctl(self->fd, SHMDEV_IOC_WAIT, &w));
	EXPECT_EQ(ETIMEDOUT, errno);

	/* A task asleep in WAIT: counted in, then sleeping on the queue. */
	waits = stat_value("waits");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shmdev_wait cw = { .seq = seq, .timeout_ns = -1 };

		_exit(ioctl(self->fd, SHMDEV_IOC_WAIT, &cw) ? 1 : 0);
	}
	if (!await_wait(pid, self->fd)) {
		kill(pid, SIGKILL);
		child_ok(pid);
		ASSERT_TRUE(false) TH_LOG("the child never slept in WAIT");
	}
	EXPECT_EQ(waits + 1, stat_value("waits"));
	ASSERT_EQ(0, ioctl(self->fd, SHMDEV_IOC_NOTIFY, &seq));
	ASSERT_TRUE(child_ok(pid));

	ASSERT_EQ(0, write_text(path, "0"));
	snprintf(path, sizeof(path), "%s/trace", dir);
	text = read_text(path);
	ASSERT_NE(NULL, text);

	snprintf(want, sizeof(want), "old=0 new=%ld dropped=0", self->psz);
	EXPECT_NE(NULL, find_event(text, "shmdev_resize", want));
	snprintf(want, sizeof(want), "index=0 pfn=0x%llx", (unsigned long long)pi.pfn);
	EXPECT_NE(NULL, find_event(text, "shmdev_page_alloc", want));
	EXPECT_NE(NULL, find_event(text, "shmdev_page_free", want));
	EXPECT_NE(NULL, find_event(text, "shmdev_fault",
				   "index=0 result=LOCKED allocated=1"));
	snprintf(want, sizeof(want), "old=%ld new=0 dropped=1", self->psz);
	EXPECT_NE(NULL, find_event(text, "shmdev_resize", want));
	EXPECT_NE(NULL, find_event(text, "shmdev_fault",
				   "index=1 result=SIGBUS allocated=0"));
	EXPECT_NE(NULL, find_event(text, "shmdev_wait", "result=-110"));
	EXPECT_NE(NULL, find_event(text, "shmdev_wait", "result=0"));
	snprintf(want, sizeof(want), "seq=%llu woken=1", (unsigned long long)seq);
	EXPECT_NE(NULL, find_event(text, "shmdev_notify", want));
	snprintf(want, sizeof(want), "seq=%llu woken=0", (unsigned long long)seq - 1);
	EXPECT_NE(NULL, find_event(text, "shmdev_notify", want));
	/* The timed-out WAIT slept at least its 1 ms. */
	event = find_event(text, "shmdev_wait", "result=-110");
	slept = event ? strstr(event, "slept_ns=") : NULL;
	ASSERT_NE(NULL, slept);
	EXPECT_LE(1000000, atoll(slept + 9));
}

SHMDEV_TEST_MAIN
