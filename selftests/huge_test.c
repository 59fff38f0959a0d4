// SPDX-License-Identifier: GPL-2.0
/*
 * Huge pages: where the kernel has transparent huge pages, each whole,
 * 2 MiB-aligned range of a region is one PMD-size folio, mapped with one
 * PMD entry where the mapping is aligned (the module aligns the mappings
 * it places); small pages serve everywhere else, and wherever huge pages
 * are turned off. A shrink that cuts a huge folio keeps the data below
 * the new size and zeroes the rest.
 *
 * Where the kernel has no transparent huge pages (PREEMPT_RT), every page
 * is small and the module has no huge_pages parameter.
 */

#include <linux/io_uring.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define HUGE		(2UL << 20)
#define HUGE_ORDER	9
#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"

static bool have_thp(void)
{
	return !access(THP_SYSFS, F_OK);
}

static int page_info(int fd, __u64 index, struct shmdev_page_info *pi)
{
	struct shmdev_page_query q = {
		.index = index, .pages = (__u64)(uintptr_t)pi, .count = 1,
	};

	memset(pi, 0, sizeof(*pi));
	return ioctl(fd, SHMDEV_IOC_PAGE_INFO, &q) ? -errno : (int)q.count;
}

/* The order of the folio holding page @index, or -1 when not resident. */
static int order_at(int fd, __u64 index)
{
	struct shmdev_page_info pi;

	if (page_info(fd, index, &pi) != 1 || !(pi.flags & SHMDEV_PAGE_RESIDENT))
		return -1;
	return pi.order;
}

/* A debugfs shmdev/stats counter, or -1 without debugfs. */
static long long stat_value(const char *name)
{
	return proc_field(SHMDEV_DEBUGFS "/stats", name);
}

/*
 * The "FilePmdMapped:" of the VMA of /proc/self/smaps that starts at
 * @addr, in kB; -1 when not found.
 */
static long file_pmd_kb(const void *addr)
{
	char line[256], start[32];
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = !strncmp(line, start, strlen(start));
			continue;
		}
		if (in && sscanf(line, "FilePmdMapped: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The huge_pages parameter: 1 (Y), 0 (N), or -1 when there is none. */
static int huge_param(void)
{
	char buf[8] = "";
	int fd = open(SHMDEV_PARAMS "/huge_pages", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == 'Y' ? 1 : n > 0 && buf[0] == 'N' ? 0 : -2;
}

/*
 * A shared mapping of @len bytes of @fd from offset 0 at a 2 MiB-aligned
 * address. The module's get_unmapped_area aligns mappings of 64-bit
 * processes itself (fault_maps_one_pmd checks it), but the kernel's
 * thp_get_unmapped_area() leaves 32-bit (compat) processes' alone since
 * 6.7, to spare their small address space: the tests place the mapping.
 */
static void *map_huge(int fd, size_t len, int prot)
{
	char *area = mmap(NULL, len + HUGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (area == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((uintptr_t)area + HUGE - 1) & ~(HUGE - 1));
	if (p > area)
		munmap(area, p - area);
	munmap(p + len, area + len + HUGE - (p + len));
	return mmap(p, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* Reads @p, or writes @v there if @v; 1 when that raised SIGBUS, else 0. */
static int poke_bus(volatile char *p, char v)
{
	struct sigaction sa = { .sa_handler = on_bus }, old;
	int bus = 0;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		bus = 1;
	else if (v)
		*p = v;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static int touch_bus(volatile char *p)
{
	return poke_bus(p, 0);
}

FIXTURE(huge) {
	int ctl;	/* /dev/shmdev, to open and unlink names */
	int fd;		/* the test's named region */
	char name[32];
	long long param;	/* huge_pages before the test, or -1 */
};

FIXTURE_SETUP(huge)
{
	self->ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "huge-%d", getpid());
	self->fd = -1;
	self->param = huge_param();
	if (have_thp()) {
		/* Where THP exists, the switch exists, and starts on. */
		ASSERT_EQ(1, self->param);
	} else {
		ASSERT_EQ(-1, self->param);
	}
}

FIXTURE_TEARDOWN(huge)
{
	if (self->param == 1)
		sd_set_param("huge_pages", 1);
	if (self->fd >= 0)
		close(self->fd);
	shmdev_unlink_name(self->ctl, self->name);
	close(self->ctl);
}

static int create(struct __test_metadata *_metadata, FIXTURE_DATA(huge) *self,
		  __u64 size, __u32 flags)
{
	self->fd = shmdev_open_name(self->ctl, self->name, size,
				    SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL | flags, 0600);
	return self->fd;
}

/*
 * A 4 MiB mapping that the module places is 2 MiB-aligned; one touch
 * brings in a whole huge folio, mapped by one PMD: PAGE_INFO, GET_INFO
 * and smaps agree.
 */
TEST_F(huge, fault_maps_one_pmd)
{
	struct shmdev_page_info pi;
	struct shmdev_info info;
	long long before = stat_value("huge_allocated");
	char *p;

	ASSERT_LE(0, create(_metadata, self, 2 * HUGE, 0));
	p = map_huge(self->fd, 2 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[5000] = 7;
	ASSERT_EQ(1, page_info(self->fd, 1, &pi));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	if (!have_thp()) {
		EXPECT_EQ(0U, pi.order);
		EXPECT_EQ(1U, info.nr_pages);
		EXPECT_EQ(0U, pi.flags & SHMDEV_PAGE_PMD_MAPPED);
		munmap(p, 2 * HUGE);
		return;
	}
	if (sizeof(long) == 8) {
		/* The module places a mapping it chooses at an aligned address. */
		char *q = mmap(NULL, 2 * HUGE, PROT_READ, MAP_SHARED, self->fd, 0);

		ASSERT_NE(MAP_FAILED, q);
		EXPECT_EQ(0UL, (uintptr_t)q % HUGE);
		munmap(q, 2 * HUGE);
	}
	EXPECT_EQ((__u32)HUGE_ORDER, pi.order);
	EXPECT_NE(0U, pi.flags & SHMDEV_PAGE_PMD_MAPPED);
	EXPECT_EQ(1U, pi.mapcount);
	EXPECT_EQ((__u64)(HUGE / page_size()), info.nr_pages);
	EXPECT_EQ(0U, info.flags & SHMDEV_INFO_NOHUGE);
	EXPECT_EQ(2048, file_pmd_kb(p));
	if (before >= 0)
		EXPECT_EQ(before + 1, stat_value("huge_allocated"));
	/* The second 2 MiB is untouched: not resident. */
	EXPECT_EQ(-1, order_at(self->fd, HUGE / page_size()));
	/* The data is there, through the PMD and through read(). */
	char c = 0;

	EXPECT_EQ(1, pread(self->fd, &c, 1, 5000));
	EXPECT_EQ(7, c);
	munmap(p, 2 * HUGE);
}

/* Two processes map the same huge folio, each with one PMD. */
TEST_F(huge, shared_by_two_processes)
{
	struct shmdev_page_info pi;
	int ready[2], done[2];
	char *p, c;
	pid_t pid;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_LE(0, create(_metadata, self, HUGE, 0));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *q = map_huge(self->fd, HUGE, PROT_READ | PROT_WRITE);

		if (q == MAP_FAILED)
			_exit(1);
		q[0] = 42;
		if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(2);
		_exit(file_pmd_kb(q) == 2048 ? 0 : 3);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	p = map_huge(self->fd, HUGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, p[HUGE - 1]);	/* untouched: zero */
	EXPECT_EQ(42, p[0]);
	EXPECT_EQ(2048, file_pmd_kb(p));
	ASSERT_EQ(1, page_info(self->fd, 0, &pi));
	EXPECT_EQ((__u32)HUGE_ORDER, pi.order);
	EXPECT_EQ(2U, pi.mapcount);
	ASSERT_EQ(1, write(done[1], "d", 1));
	EXPECT_TRUE(child_ok(pid));
	munmap(p, HUGE);
}

/*
 * Only whole 2 MiB ranges below the size are huge: of a 3 MiB region, the
 * first 2 MiB is one folio, the last 1 MiB small pages, each of which
 * faults by itself.
 */
TEST_F(huge, partial_range_is_small)
{
	long psz = page_size();
	char *p;

	ASSERT_LE(0, create(_metadata, self, 3 * HUGE / 2, 0));
	p = map_huge(self->fd, 2 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[HUGE + 3 * psz] = 1;
	EXPECT_EQ(have_thp() ? HUGE_ORDER : 0, order_at(self->fd, 0));
	EXPECT_EQ(0, order_at(self->fd, HUGE / psz + 3));
	/* Beyond the size: SIGBUS, as for a file. */
	EXPECT_EQ(1, touch_bus(p + 3 * HUGE / 2));
	munmap(p, 2 * HUGE);
}

/*
 * Three switches turn huge pages off: the module parameter, the
 * region's SHMDEV_OPEN_NOHUGE, and madvise(MADV_NOHUGEPAGE).
 */
TEST_F(huge, switches_turn_it_off)
{
	struct shmdev_info info;
	char *p;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");

	ASSERT_LE(0, create(_metadata, self, HUGE, SHMDEV_OPEN_NOHUGE));
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_NE(0U, info.flags & SHMDEV_INFO_NOHUGE);
	p = map_huge(self->fd, HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(0, order_at(self->fd, 0));
	EXPECT_EQ(0, file_pmd_kb(p));
	munmap(p, HUGE);
	close(self->fd);
	ASSERT_EQ(0, shmdev_unlink_name(self->ctl, self->name));

	/* NOHUGE names a creation: EINVAL without CREATE, nothing made. */
	EXPECT_EQ(-1, shmdev_open_name(self->ctl, self->name, HUGE,
				       SHMDEV_OPEN_NOHUGE, 0));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, sd_set_param("huge_pages", 0));
	ASSERT_LE(0, create(_metadata, self, HUGE, 0));
	p = map_huge(self->fd, HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(0, order_at(self->fd, 0));
	munmap(p, HUGE);
	close(self->fd);
	ASSERT_EQ(0, shmdev_unlink_name(self->ctl, self->name));
	ASSERT_EQ(0, sd_set_param("huge_pages", 1));

	ASSERT_LE(0, create(_metadata, self, HUGE, 0));
	p = map_huge(self->fd, HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, HUGE, MADV_NOHUGEPAGE));
	p[0] = 1;
	EXPECT_EQ(0, order_at(self->fd, 0));
	munmap(p, HUGE);
}

/* A mapping at an offset not a multiple of 2 MiB cannot take a PMD. */
TEST_F(huge, misaligned_mapping_is_small)
{
	long psz = page_size();
	char *p;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_LE(0, create(_metadata, self, 2 * HUGE, 0));
	/* A 2 MiB-aligned address, but file offset one page. */
	p = mmap(NULL, 3 * HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	p = mmap(p, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, psz);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(0, order_at(self->fd, 1));
	EXPECT_EQ(0, file_pmd_kb(p));
	munmap(p, HUGE);
}

/* write() allocates as a fault does: a whole huge folio. */
TEST_F(huge, write_allocates_huge)
{
	long psz = page_size();
	char c = 9;

	ASSERT_LE(0, create(_metadata, self, HUGE, 0));
	ASSERT_EQ(1, pwrite(self->fd, &c, 1, 12345));
	EXPECT_EQ(have_thp() ? HUGE_ORDER : 0, order_at(self->fd, 12345 / psz));
	c = 0;
	EXPECT_EQ(1, pread(self->fd, &c, 1, 12345));
	EXPECT_EQ(9, c);
}

/*
 * Shrinking into a huge folio keeps every byte below the new size,
 * zeroes the rest of the last page, leaves small pages where the folio
 * was kept in part, and SIGBUS beyond; mappings keep working. Growing
 * back reads zeroes beyond the old cut.
 */
TEST_F(huge, shrink_cuts_huge_folio)
{
	const unsigned int seed = 5;
	const __u64 cut = HUGE + 3 * HUGE / 4 + 100;
	long long copied = stat_value("huge_copied");
	long long freed = stat_value("pages_freed");
	long psz = page_size();
	struct shmdev_info info;
	char *p;

	ASSERT_LE(0, create(_metadata, self, 2 * HUGE, 0));
	p = map_huge(self->fd, 2 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	for (unsigned long i = 0; i < 2 * HUGE; i++)
		p[i] = pattern(i, seed);
	EXPECT_EQ(have_thp() ? HUGE_ORDER : 0, order_at(self->fd, HUGE / psz));

	ASSERT_EQ(0, shmdev_set_size(self->fd, cut));
	for (unsigned long i = 0; i < cut; i++)
		if (p[i] != pattern(i, seed)) {
			ASSERT_EQ(pattern(i, seed), p[i]) TH_LOG("byte %lu", i);
		}
	EXPECT_EQ(1, touch_bus(p + ((cut + psz - 1) & ~(psz - 1))));
	if (have_thp()) {
		EXPECT_EQ(HUGE_ORDER, order_at(self->fd, 0));
		EXPECT_EQ(0, order_at(self->fd, HUGE / psz));
		EXPECT_EQ(0, order_at(self->fd, cut / psz));
		if (copied >= 0)
			EXPECT_EQ(copied + 1, stat_value("huge_copied"));
		/* The huge folio went whole: 512 pages freed. */
		if (freed >= 0)
			EXPECT_EQ(freed + (long long)(HUGE / psz), stat_value("pages_freed"));
	}
	ASSERT_EQ(0, shmdev_info(self->fd, &info));
	EXPECT_EQ((cut + psz - 1) / psz, info.nr_pages);

	/* The kept pages still map and write through. */
	p[HUGE + 10] = 'x';
	char c = 0;

	EXPECT_EQ(1, pread(self->fd, &c, 1, HUGE + 10));
	EXPECT_EQ('x', c);

	/* Grown back, the region reads zero from the cut on. */
	ASSERT_EQ(0, shmdev_set_size(self->fd, 2 * HUGE));
	EXPECT_TRUE(all_zero(p + cut, 2 * HUGE - cut));
	for (unsigned long i = HUGE; i < cut; i++)
		if (i != HUGE + 10 && p[i] != pattern(i, seed)) {
			ASSERT_EQ(pattern(i, seed), p[i]) TH_LOG("byte %lu", i);
		}
	munmap(p, 2 * HUGE);
}

/* A shrink to a 2 MiB boundary drops the folio above it whole. */
TEST_F(huge, shrink_on_boundary_drops_whole)
{
	long long copied = stat_value("huge_copied");
	long psz = page_size();
	char *p;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_LE(0, create(_metadata, self, 2 * HUGE, 0));
	p = map_huge(self->fd, 2 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[HUGE] = 2;
	ASSERT_EQ(0, shmdev_set_size(self->fd, HUGE));
	EXPECT_EQ(HUGE_ORDER, order_at(self->fd, 0));
	EXPECT_EQ(1, p[0]);
	if (copied >= 0)
		EXPECT_EQ(copied, stat_value("huge_copied"));
	EXPECT_EQ(1, touch_bus(p + HUGE));
	ASSERT_EQ(0, shmdev_set_size(self->fd, 0));
	EXPECT_EQ(-1, order_at(self->fd, 0));
	(void)psz;
	munmap(p, 2 * HUGE);
}

/*
 * Shrinks into huge folios while other processes fault and write in the
 * same range: every byte below the size at the end is the last one
 * written there or zero, and nothing crashes (the debug kernel checks the
 * rest).
 */
TEST_F(huge, shrink_races_faults)
{
	const int rounds = 200;
	long psz = page_size();
	pid_t pids[2];
	char *p;

	ASSERT_LE(0, create(_metadata, self, 4 * HUGE, 0));
	p = map_huge(self->fd, 4 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		ASSERT_LE(0, pids[c]);
		if (!pids[c]) {
			/* A write beyond the size, after a shrink, SIGBUSes. */
			for (unsigned long n = 0;; n++) {
				unsigned long off = (n * 7919 * psz + c * 64) % (4 * HUGE);

				poke_bus(p + off, 'a' + c);
			}
		}
	}
	for (int r = 0; r < rounds; r++) {
		__u64 size = (r * 2654435761u) % (4 * HUGE);

		ASSERT_EQ(0, shmdev_set_size(self->fd, size));
		ASSERT_EQ(0, shmdev_set_size(self->fd, 4 * HUGE));
	}
	for (int c = 0; c < 2; c++) {
		kill(pids[c], SIGKILL);
		EXPECT_TRUE(child_killed_by(pids[c], SIGKILL));
	}
	for (unsigned long i = 0; i < 4 * HUGE; i++)
		if (p[i] && p[i] != 'a' && p[i] != 'b') {
			ASSERT_EQ(0, p[i]) TH_LOG("byte %lu", i);
		}
	munmap(p, 4 * HUGE);
}

/* The kernel's count of THP splits, from /proc/vmstat; -1 without it. */
static long long thp_splits(void)
{
	return proc_field("/proc/vmstat", "thp_split_page");
}

/*
 * A shrink by a few bytes, into a huge folio's last page, cuts it too:
 * the folio is copied out, never split by the kernel.
 */
TEST_F(huge, shrink_into_last_page_copies)
{
	long long copied = stat_value("huge_copied"), splits = thp_splits();
	long psz = page_size();
	char *p;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_LE(0, create(_metadata, self, HUGE, 0));
	p = map_huge(self->fd, HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, HUGE);
	ASSERT_EQ(HUGE_ORDER, order_at(self->fd, 0));
	ASSERT_EQ(0, shmdev_set_size(self->fd, HUGE - 100));
	EXPECT_EQ(0, order_at(self->fd, 0));
	EXPECT_EQ(0, order_at(self->fd, HUGE / psz - 1));
	if (copied >= 0)
		EXPECT_EQ(copied + 1, stat_value("huge_copied"));
	if (splits >= 0)
		EXPECT_EQ(splits, thp_splits());
	for (unsigned long i = 0; i < HUGE - 100; i++)
		if (p[i] != 0x5a) {
			ASSERT_EQ(0x5a, p[i]) TH_LOG("byte %lu", i);
		}
	EXPECT_TRUE(all_zero(p + HUGE - 100, 100));
	munmap(p, HUGE);
}

/*
 * read() of the part a shrink keeps never returns zeroes, even in the
 * moment when the cut huge folio is gone and its copies not yet in. A
 * child makes page 510 a page of a fresh huge folio holding 0xaa, then
 * cuts the folio after page 510, again and again (page 510's copy goes in
 * last: the widest window); a generation number, odd while the page must
 * hold 0xaa, tells the reader which reads count.
 */
TEST_F(huge, read_during_cut_sees_data)
{
	const double seconds = 2;
	long psz = page_size();
	const off_t at = HUGE - 2 * psz;
	unsigned long zero = 0, reads = 0, judged = 0;
	volatile unsigned long *gen;
	char *buf = malloc(psz);
	double end;
	pid_t pid;
	int st;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_NE(NULL, buf);
	gen = mmap(NULL, sizeof(*gen), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gen);
	ASSERT_LE(0, create(_metadata, self, 0, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(buf, 0xaa, psz);
		for (;;) {
			if (shmdev_set_size(self->fd, 0) ||
			    shmdev_set_size(self->fd, 2 * HUGE) ||
			    pwrite(self->fd, buf, psz, at) != psz)
				_exit(1);
			__atomic_add_fetch(gen, 1, __ATOMIC_SEQ_CST);	/* odd */
			if (shmdev_set_size(self->fd, HUGE - psz))
				_exit(2);
			__atomic_add_fetch(gen, 1, __ATOMIC_SEQ_CST);	/* even */
		}
	}
	end = sd_now() + seconds;
	while (sd_now() < end) {
		unsigned long g = __atomic_load_n(gen, __ATOMIC_SEQ_CST);
		ssize_t n = pread(self->fd, buf, psz, at);

		reads++;
		if (!(g & 1) || __atomic_load_n(gen, __ATOMIC_SEQ_CST) != g)
			continue;
		judged++;
		if (n != psz || all_zero(buf, psz))
			zero++;
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	TH_LOG("%lu reads, %lu while page 510 held data, %lu of them wrong; %lu cuts",
	       reads, judged, zero, *gen / 2);
	EXPECT_LT(100UL, judged);
	EXPECT_EQ(0UL, zero);
	free(buf);
}

/*
 * A shrink that would cut a huge folio pinned for DMA (here an io_uring
 * registered buffer: a long-term pin_user_pages()) fails with EBUSY and
 * changes nothing, since the pin would go on using the old folio after
 * its data moved to the copies; once the pin is gone, the same shrink
 * works. 6.1's io_uring refuses to register file-backed memory at all:
 * skipped there.
 */
TEST_F(huge, shrink_of_pinned_huge_is_busy)
{
	const __u64 cut = HUGE + HUGE / 2;
	struct io_uring_params params;
	struct shmdev_info before, after;
	long psz = page_size();
	struct iovec iov;
	int ring, ret;
	char *p;

	if (!have_thp())
		SKIP(return, "no transparent huge pages in this kernel");
	ASSERT_LE(0, create(_metadata, self, 2 * HUGE, 0));
	p = map_huge(self->fd, 2 * HUGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x3c, 2 * HUGE);
	ASSERT_EQ(HUGE_ORDER, order_at(self->fd, HUGE / psz));

	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0)
		SKIP(goto out, "io_uring_setup: %s", strerror(errno));
	/* Pins the second huge folio, the one a shrink to @cut cuts. */
	iov.iov_base = p + HUGE;
	iov.iov_len = HUGE;
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1);
	if (ret && errno == EOPNOTSUPP) {
		close(ring);
		SKIP(goto out, "io_uring does not register file-backed memory here");
	}
	/*
	 * io_uring charges the pin to RLIMIT_MEMLOCK, as shmdev the region,
	 * unless the caller has CAP_IPC_LOCK.
	 */
	if (ret && errno == ENOMEM) {
		close(ring);
		SKIP(goto out, "the pin would exceed RLIMIT_MEMLOCK");
	}
	ASSERT_EQ(0, ret) TH_LOG("IORING_REGISTER_BUFFERS: %s", strerror(errno));

	ASSERT_EQ(0, shmdev_info(self->fd, &before));
	ASSERT_EQ(-1, shmdev_set_size(self->fd, cut));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, shmdev_info(self->fd, &after));
	ASSERT_EQ(2 * HUGE, after.size);
	EXPECT_EQ(before.nr_pages, after.nr_pages);
	EXPECT_EQ(HUGE_ORDER, order_at(self->fd, HUGE / psz));
	EXPECT_TRUE(p[2 * HUGE - 1] == 0x3c && p[cut] == 0x3c);

	/* The pin gone, the same shrink cuts the folio. */
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0));
	close(ring);
	EXPECT_EQ(0, shmdev_set_size(self->fd, cut));
	EXPECT_EQ(0, order_at(self->fd, HUGE / psz));
	EXPECT_TRUE(p[cut - 1] == 0x3c);
out:
	munmap(p, 2 * HUGE);
}

TEST_HARNESS_MAIN
