// SPDX-License-Identifier: GPL-2.0
/*
 * Resize against fault: one process resizes the region up and down in a
 * loop, to page-aligned sizes and not, down to 0 and up to the whole
 * mapping, while others fault pages in and write and read them through
 * their own mappings, fresh one-page mappings, pread()/pwrite() and
 * lseek() with read()/write(), for a bounded time ($SHMDEV_RACE_SECONDS,
 * default 3), seeded ($SHMDEV_RACE_SEED; the seed is printed).
 *
 * Every page has one owner, which writes it whole: the image of
 * generation gen (sd_stamp_fill(): a stamp of (region, index, gen), then
 * bytes that depend on them). A record per page, in anonymous shared
 * memory the resizes cannot touch, says what the page holds: that image
 * over its first `valid` bytes and zeroes after them (STAMPED), or that
 * nobody knows (UNKNOWN: a write raced with a resize), or that its owner
 * is writing it (WRITING).
 *
 * Nobody waits for anybody: resizes race with faults on the very pages
 * they cut. A per-page sequence makes the checks exact anyway (a
 * seqlock): the resizer makes the sequence of every page whose coverage
 * (bytes inside the size) may change odd (pages wholly beyond both the
 * old and the new size keep theirs: they hold nothing, and keep it), resizes, updates those pages'
 * records (a shrink zeroes a page's tail: valid = min(valid, coverage);
 * a page wholly beyond the size is freed: valid = 0, whatever it held;
 * a page being written becomes RACED, which later resizes leave alone, as
 * the write may still land), and makes the sequences even again. A writer
 * publishes its record only if its page's sequence has not moved since it
 * began, and by an exchange from WRITING, which fails when a resize got
 * there first; then it says UNKNOWN. A checker reads the sequence and
 * the record, the size, the page, then the record and the sequence
 * again; if neither moved, no resize and no write touched the page
 * meanwhile, and it knows exactly what it must have read:
 *
 *  - through a mapping, SIGBUS if and only if the page lies beyond the
 *    size; otherwise the whole page, as recorded;
 *  - through pread() or read(), exactly the bytes inside the size, as
 *    recorded.
 *
 * Zeroes where a stamp is due are a page lost (dropped and refaulted
 * fresh), another generation a lost write, another page's stamp a page
 * mapped at the wrong place, stale bytes past a shrink a tail not
 * zeroed. A write whose sequence did not move is judged the same way
 * (SIGBUS, ENOSPC, short counts); one that raced leaves the page UNKNOWN
 * until its owner writes it again. No error other than these is
 * accepted, EFAULT included: every buffer is the process's own.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define NPAGES		64
#define NOWNERS		3	/* writers: two through mappings, one through I/O */

/* A record packs a state, the valid length and the generation. */
/* RACED: still being written, and a resize reached the page meanwhile. */
enum rec_state { REC_STAMPED, REC_WRITING, REC_UNKNOWN, REC_RACED };

#define REC(st, valid, gen)	((uint64_t)(st) | (uint64_t)(valid) << 2 | (uint64_t)(gen) << 22)
#define REC_STATE(r)		((int)((r) & 3))
#define REC_VALID(r)		((size_t)((r) >> 2 & 0xfffff))
#define REC_GEN(r)		((r) >> 22)

enum view { V_MAP, V_FRESH, V_PREAD, V_READ, NVIEWS };

static const char *const view_name[NVIEWS] = {
	"mapping", "fresh mapping", "pread/pwrite", "lseek+read/write",
};

struct control {
	_Atomic uint32_t seq[NPAGES];	/* odd while a resize may change the page */
	_Atomic uint64_t rec[NPAGES];
	uint64_t region;
	_Atomic unsigned long writes[NVIEWS], checks[NVIEWS], raced;
	_Atomic unsigned long resizes, sigbus, enospc;
	struct shared_failure f;	/* the first failure */
};

struct ctx {
	struct control *c;
	struct sd_rng rng;
	int fd, rfd;
	char *p;
	unsigned char *buf;
};

static long psz;

#define fail(c, ...) record_failure(&(c)->f, __VA_ARGS__)

/* Bytes of page @i inside a region of @size bytes. */
static size_t coverage(uint64_t size, unsigned long i)
{
	return sd_page_coverage(size, i, psz);
}

static void resizer(struct control *c, double end, uint64_t seed)
{
	int fd = shmdev_open(O_RDWR);
	uint64_t old = NPAGES * psz;
	struct sd_rng rng;

	if (fd < 0)
		_exit(10);
	sd_rng_seed(&rng, seed);
	while (sd_now() < end && !c->f.failed) {
		/* Page-aligned and not, down to 0 and up to the whole mapping. */
		uint64_t size = sd_rng_below(&rng, NPAGES * psz + 1);
		unsigned long first, last;

		if (sd_rng_next(&rng) & 1)
			size &= ~(uint64_t)(psz - 1);
		/* The pages whose coverage may change: [first, last). */
		first = (size < old ? size : old) / psz;
		last = ((size > old ? size : old) + psz - 1) / psz;
		for (unsigned long i = first; i < last; i++)
			c->seq[i]++;
		if (shmdev_set_size(fd, size)) {
			fail(c, "SET_SIZE %llu: %s", (unsigned long long)size,
			     strerror(errno));
			break;
		}
		c->resizes++;
		for (unsigned long i = first; i < last; i++) {
			size_t cov = coverage(size, i);
			uint64_t r = c->rec[i], n;

			do {
				if (REC_STATE(r) == REC_RACED)
					break;	/* its writer will say UNKNOWN */
				if (REC_STATE(r) == REC_WRITING)
					/* Its writer's publication will fail. */
					n = REC(REC_RACED, 0, REC_GEN(r));
				else if (!cov)
					n = REC(REC_STAMPED, 0, REC_GEN(r));
				else if (REC_STATE(r) == REC_STAMPED && REC_VALID(r) > cov)
					n = REC(REC_STAMPED, cov, REC_GEN(r));
				else
					break;
			} while (!atomic_compare_exchange_weak(&c->rec[i], &r, n));
		}
		for (unsigned long i = first; i < last; i++)
			c->seq[i]++;
		old = size;
		/* Let faults in between resizes too, not only during them. */
		sched_yield();
	}
	_exit(c->f.failed ? 1 : 0);
}

/*
 * Reads page @i through @v and, if no resize and no write touched it
 * meanwhile, checks every byte read against its record.
 */
static void check_page(struct ctx *x, unsigned long i, enum view v)
{
	struct control *c = x->c;
	uint32_t s1 = c->seq[i];
	uint64_t r1 = c->rec[i], size;
	off_t pos = (off_t)i * psz;
	char *map = x->p + pos, why[300];
	ssize_t n = 0;
	size_t cov, bad;
	int sig = 0, err = 0;

	if ((s1 & 1) || REC_STATE(r1) != REC_STAMPED) {
		c->raced++;
		sched_yield();
		return;
	}
	size = shmdev_get_size(x->fd);
	cov = coverage(size, i);
	switch (v) {
	case V_FRESH:
		map = mmap(NULL, psz, PROT_READ, MAP_SHARED, x->fd, pos);
		if (map == MAP_FAILED) {
			fail(c, "mmap of page %lu: %s", i, strerror(errno));
			return;
		}
		/* fall through */
	case V_MAP:
		sig = probe_copy(x->buf, map, psz);
		if (v == V_FRESH)
			munmap(map, psz);
		n = sig ? -1 : psz;
		break;
	case V_PREAD:
		n = pread(x->fd, x->buf, psz, pos);
		break;
	case V_READ:
		if (lseek(x->rfd, pos, SEEK_SET) != pos) {
			fail(c, "lseek to page %lu: %s", i, strerror(errno));
			return;
		}
		n = read(x->rfd, x->buf, psz);
		break;
	default:
		return;
	}
	err = errno;
	if (sig)
		c->sigbus++;
	if (c->seq[i] != s1 || c->rec[i] != r1) {
		c->raced++;
		return;
	}

	if (v == V_MAP || v == V_FRESH) {
		if (!cov != (sig == SIGBUS) || (cov && sig)) {
			fail(c, "page %lu via %s at size %llu: %s",
			     i, view_name[v], (unsigned long long)size,
			     sig ? strsignal(sig) : "readable beyond the size, SIGBUS expected");
			return;
		}
		/* The partial last page is mapped whole: its tail is zero. */
		n = cov ? psz : 0;
	} else if (n != (ssize_t)cov) {
		fail(c, "page %lu via %s at size %llu: %zd bytes (%s), %zu expected",
		     i, view_name[v], (unsigned long long)size, n,
		     n < 0 ? strerror(err) : "no error", cov);
		return;
	}
	bad = sd_stamp_diff(x->buf, n, REC_VALID(r1), c->region, i, REC_GEN(r1));
	if (bad < (size_t)n) {
		sd_stamp_explain(why, sizeof(why), x->buf, n, REC_VALID(r1),
				 c->region, i, REC_GEN(r1), bad);
		fail(c, "page %lu via %s at size %llu: %s", i, view_name[v],
		     (unsigned long long)size, why);
		return;
	}
	c->checks[v]++;
}

/* The owner writes its page @i whole through @v. */
static void write_page(struct ctx *x, unsigned long i, enum view v)
{
	struct control *c = x->c;
	uint32_t s1 = c->seq[i];
	off_t pos = (off_t)i * psz;
	uint64_t prev, gen, size, next, expect;
	char *map = x->p + pos;
	int sig = 0, err = 0;
	bool ok = false;
	ssize_t n = -1;
	size_t cov;

	if (s1 & 1) {
		c->raced++;
		sched_yield();
		return;
	}
	prev = c->rec[i];
	gen = REC_GEN(prev) + 1;
	c->rec[i] = REC(REC_WRITING, 0, gen);
	size = shmdev_get_size(x->fd);
	cov = coverage(size, i);
	sd_stamp_fill(x->buf, psz, c->region, i, gen);

	switch (v) {
	case V_FRESH:
		map = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd, pos);
		if (map == MAP_FAILED) {
			fail(c, "mmap of page %lu: %s", i, strerror(errno));
			c->rec[i] = REC(REC_UNKNOWN, 0, gen);
			return;
		}
		/* fall through */
	case V_MAP:
		/* Whole page, the tail past the size zero; one byte beyond it. */
		memset(x->buf + cov, 0, psz - cov);
		sig = probe_copy(map, x->buf, cov ? psz : 1);
		if (v == V_FRESH)
			munmap(map, psz);
		if (sig)
			c->sigbus++;
		ok = cov ? !sig : sig == SIGBUS;
		n = cov && !sig ? psz : 0;
		break;
	case V_PREAD:
	case V_READ:
		if (v == V_PREAD)
			n = pwrite(x->fd, x->buf, psz, pos);
		else if (lseek(x->rfd, pos, SEEK_SET) == pos)
			n = write(x->rfd, x->buf, psz);
		err = errno;
		if (n < 0 && err == ENOSPC)
			c->enospc++;
		ok = cov ? n == (ssize_t)cov : n < 0 && err == ENOSPC;
		break;
	default:
		break;
	}

	if (n > 0 && REC_STATE(prev) == REC_UNKNOWN && n < psz)
		next = REC(REC_UNKNOWN, 0, gen);	/* stale bytes may follow */
	else if (n > 0)
		next = REC(REC_STAMPED, cov, gen);
	else
		next = prev;				/* nothing written */
	/*
	 * Publish only a write that no resize raced with. A checker that
	 * read a record published before a correction would judge a page
	 * that a resize cut under the write. A resize whose sequence moves
	 * after this check began after the write ended, and updates the
	 * record as any other; one that reached the record first turned it
	 * UNKNOWN, and the exchange fails.
	 */
	if (c->seq[i] != s1) {
		/* A resize may have cut the page under the write. */
		c->rec[i] = REC(REC_UNKNOWN, 0, gen);
		c->raced++;
		return;
	}
	expect = REC(REC_WRITING, 0, gen);
	if (!atomic_compare_exchange_strong(&c->rec[i], &expect, next)) {
		/* RACED: a resize reached the page under the write. */
		c->rec[i] = REC(REC_UNKNOWN, 0, gen);
		c->raced++;
		return;
	}
	if (!ok && (v == V_MAP || v == V_FRESH)) {
		fail(c, "write of page %lu via %s at size %llu: %s", i,
		     view_name[v], (unsigned long long)size,
		     sig ? strsignal(sig) : "no SIGBUS beyond the size");
		return;
	}
	if (!ok) {
		fail(c, "write of page %lu via %s at size %llu: %zd (%s), %s expected",
		     i, view_name[v], (unsigned long long)size, n,
		     n < 0 ? strerror(err) : "no error",
		     cov ? "the bytes inside the size" : "ENOSPC");
		return;
	}
	if (n > 0)
		c->writes[v]++;
}

static void open_ctx(struct ctx *x)
{
	x->fd = shmdev_open(O_RDWR);
	x->rfd = shmdev_open(O_RDWR);
	if (x->fd < 0 || x->rfd < 0)
		_exit(10);
	x->p = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, x->fd, 0);
	x->buf = malloc(psz);
	if (x->p == MAP_FAILED || !x->buf)
		_exit(11);
	probe_install();
}

/*
 * Owner @id writes pages i with i % NOWNERS == id; owners 0 and 1 go
 * through mappings, owner 2 through I/O. Every owner checks every page.
 */
static void owner(struct control *c, int id, double end, uint64_t seed)
{
	struct ctx x = { .c = c };

	sd_rng_seed(&x.rng, seed);
	open_ctx(&x);
	while (sd_now() < end && !c->f.failed) {
		enum view v = (id == 2 ? V_PREAD : V_MAP) + sd_rng_below(&x.rng, 2);

		if (sd_rng_below(&x.rng, 10) < 4) {
			unsigned long i = id + NOWNERS * sd_rng_below(&x.rng, (NPAGES - id + NOWNERS - 1) / NOWNERS);

			write_page(&x, i, v);
		} else {
			check_page(&x, sd_rng_below(&x.rng, NPAGES), v);
		}
	}
	_exit(c->f.failed ? 1 : 0);
}

TEST(resize_against_fault)
{
	const char *s = getenv("SHMDEV_RACE_SECONDS");
	const char *sd = getenv("SHMDEV_RACE_SEED");
	double secs = s ? atof(s) : 3, end;
	uint64_t seed = sd ? strtoull(sd, NULL, 0) : sd_fresh_seed();
	unsigned long checks = 0, writes = 0, unknown = 0;
	struct shmdev_info info;
	pid_t pids[NOWNERS + 1];
	struct control *c;
	struct ctx x;

	psz = page_size();
	ASSERT_GE(0xfffff, psz);
	TH_LOG("seed %llu, %.0f seconds (SHMDEV_RACE_SEED=%llu replays)",
	       (unsigned long long)seed, secs, (unsigned long long)seed);
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	/* Every record STAMPED with 0 valid bytes: the region starts empty. */
	c->region = 0x7ace0000ULL ^ seed;
	x = (struct ctx){ .c = c };
	open_ctx(&x);
	ASSERT_EQ(0, shmdev_reset(x.fd, NPAGES * psz));

	end = sd_now() + secs;
	for (int n = 0; n <= NOWNERS; n++) {
		pids[n] = fork();
		ASSERT_LE(0, pids[n]);
		if (pids[n] == 0) {
			if (n == NOWNERS)
				resizer(c, end, seed);
			else
				owner(c, n, end, seed * 7 + n + 1);
		}
	}
	EXPECT_EQ(0, sd_wait_all(pids, NOWNERS + 1));

	/* Quiet now: whatever the last size, no page lies beyond it... */
	ASSERT_EQ(0, shmdev_info(x.fd, &info));
	EXPECT_LE(info.nr_pages, (info.size + psz - 1) / psz);
	/* ...and every page holds what its record says, by every view. */
	for (unsigned long i = 0; i < NPAGES; i++) {
		for (int v = 0; v < NVIEWS; v++)
			check_page(&x, i, v);
		unknown += REC_STATE(c->rec[i]) != REC_STAMPED;
	}
	for (int v = 0; v < NVIEWS; v++) {
		TH_LOG("%-18s %8lu writes %8lu page checks", view_name[v],
		       (unsigned long)c->writes[v], (unsigned long)c->checks[v]);
		checks += c->checks[v];
		writes += c->writes[v];
	}
	TH_LOG("%lu resizes, %lu writes, %lu page checks, %lu raced with a resize or write and not judged, %lu SIGBUS, %lu ENOSPC, %lu pages unknown at the end",
	       (unsigned long)c->resizes, writes, checks,
	       (unsigned long)c->raced, (unsigned long)c->sigbus,
	       (unsigned long)c->enospc, unknown);
	EXPECT_EQ(0, c->f.failed) TH_LOG("seed %llu: %s", (unsigned long long)seed, c->f.why);
	/* It did run (a failure stops it early). */
	if (!c->f.failed) {
		EXPECT_LT(100UL, checks);
		EXPECT_LT(10UL, (unsigned long)c->resizes);
	}

	munmap(x.p, NPAGES * psz);
	close(x.rfd);
	ASSERT_EQ(0, shmdev_set_size(x.fd, 0));
	ASSERT_EQ(0, shmdev_info(x.fd, &info));
	EXPECT_EQ(0ULL, info.nr_pages);
	close(x.fd);
}

SHMDEV_TEST_MAIN
