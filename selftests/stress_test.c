// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: processes at random open and close files, map and unmap ranges,
 * fault, read and write, resize up and down, notify and wait with random
 * timeouts, fork, and are killed with SIGKILL in the middle of all that,
 * for a bounded time ($SHMDEV_STRESS_SECONDS, default 10) and seeded
 * ($SHMDEV_STRESS_SEED; the seed is printed). A second test races
 * OPEN, UNLINK, resizes, faults and close on a few named regions for
 * half that time ("Named regions under races", below).
 *
 * Data integrity, exactly, under concurrent resizes
 * ==================================================
 *
 * Every page but one is a data page, owned (written) by worker
 * i % NWORKERS and checked by anyone. Its record, in a control area of
 * anonymous shared memory that the region's resizes cannot touch, says
 * what the page must hold: the image of generation gen (sd_stamp_fill():
 * a stamp of (region, index, gen), then bytes that depend on them) over
 * its first `valid` bytes, and zeroes over the rest of the page.
 *
 * Each record has a robust process-shared mutex. Whoever writes a page,
 * checks it, or resizes the region across it holds that page's lock, so:
 *
 *  - a checker reads a page that nobody writes meanwhile, and that no
 *    resize cuts or extends meanwhile: how many of its bytes lie inside
 *    the size (its coverage) is fixed while the lock is held;
 *  - a resize takes the size lock, then, in index order, the locks of
 *    the pages whose coverage it may change: from the one where the
 *    smaller size ends to the last one inside the larger size. Writers
 *    and checkers take one page's lock, or two in index order (a page's
 *    and the scratch page's), so nobody deadlocks. It resizes and
 *    updates the records: a shrink into a page zeroes its tail, so
 *    valid = min(valid, new coverage); a page wholly beyond the size is
 *    freed, so valid = 0.
 *
 * A checker then knows exactly what it must find: through a mapping,
 * SIGBUS if and only if the coverage is 0, else the whole page as
 * recorded; through pread() and read(), exactly `coverage` bytes, as
 * recorded. Zeroes where a stamp is due are a page lost (dropped and
 * refaulted fresh), another generation is a lost write, another page's
 * stamp a page mapped at the wrong place.
 *
 * A process killed while holding a lock leaves the page "writing" or
 * "resizing": the next holder gets EOWNERDEAD and marks it unknown, and
 * until its owner writes it again only its SIGBUS and byte counts are
 * checked (a checker that dies with the lock changes nothing).
 *
 * The middle page is scratch: pread() into a mapping of it and pwrite()
 * from one test user buffers that are region pages, which are EFAULT when
 * that page lies beyond the size ("A bad buffer gives EFAULT",
 * Documentation/userspace-api/shmdev.rst, read(), write() and lseek()).
 * No other EFAULT, and no error the API does not document for the call,
 * is accepted.
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include "shmdev_util.h"

#include "../../kselftest_harness.h"

#define NPAGES		64			/* pages of the region at most */
#define SCRATCH		(NPAGES / 2)		/* the page used as a buffer */
#define NWORKERS	5

enum rec_state {
	REC_STAMPED,	/* the page holds the image of gen over [0, valid) */
	REC_WRITING,	/* its owner is writing it */
	REC_RESIZING,	/* a resize across it is under way */
	REC_UNKNOWN,	/* a writer or resizer died with the lock */
};

/* How a page is read or written. */
enum view {
	V_MAP,		/* the process's mapping of the whole region */
	V_FRESH,	/* a mapping of this one page, made for the access */
	V_PREAD,	/* pread() / pwrite() into a buffer of the process */
	V_READ,		/* lseek() and read() / write() */
	V_REGION,	/* pread() into / pwrite() from the scratch page's mapping */
	V_RANGE,	/* a random mapping of a random range */
	NVIEWS
};

static const char *const view_name[NVIEWS] = {
	"mapping", "fresh mapping", "pread/pwrite", "lseek+read/write",
	"region page as buffer", "mapping of a range",
};

struct record {
	pthread_mutex_t lock;		/* robust, process-shared */
	/* Under lock: */
	int state;
	uint64_t gen;
	size_t valid;
};

/* Anonymous shared memory, inherited by every worker and child. */
struct control {
	pthread_mutex_t size_lock;	/* serialises resizes */
	struct record rec[NPAGES];
	uint64_t region;		/* the stamps' region number */
	_Atomic unsigned long ops, resizes, sigbus, efault, enospc, kills, forks;
	_Atomic unsigned long writes[NVIEWS], checks[NVIEWS], unchecked;
	_Atomic unsigned long recovered;
	struct shared_failure f;	/* the first failure */
};

/* One process's view of the region. */
struct ctx {
	struct control *c;
	struct sd_rng rng;
	int fd;		/* pread(), pwrite(), ioctls */
	int rfd;	/* lseek() with read() and write(): position of its own */
	char *p;	/* MAP_SHARED of all NPAGES pages */
	unsigned char *buf;
	double end;
};

static long psz;

#define fail(c, ...) record_failure(&(c)->f, __VA_ARGS__)

/* Bytes of page @i inside a region of @size bytes. */
static size_t coverage(uint64_t size, unsigned long i)
{
	return sd_page_coverage(size, i, psz);
}

static uint64_t get_size(struct ctx *x)
{
	__u64 size = shmdev_get_size(x->fd);

	if (size == ~0ULL)
		fail(x->c, "GET_SIZE failed: %s", strerror(errno));
	return size;
}

static void lock_rec(struct control *c, pthread_mutex_t *m, struct record *r)
{
	int err = pthread_mutex_lock(m);

	if (err == EOWNERDEAD) {
		/* Killed while writing or resizing: the page is unknown. */
		if (r && r->state != REC_STAMPED)
			r->state = REC_UNKNOWN;
		c->recovered++;
		pthread_mutex_consistent(m);
	} else if (err) {
		fail(c, "locking a record: %s", strerror(err));
	}
}

static void lock_page(struct control *c, unsigned long i)
{
	lock_rec(c, &c->rec[i].lock, &c->rec[i]);
}

static void unlock_page(struct control *c, unsigned long i)
{
	pthread_mutex_unlock(&c->rec[i].lock);
}

/* Page @i's lock, and the scratch page's for V_REGION, in index order. */
static void lock_pages(struct control *c, unsigned long i, enum view v)
{
	if (v == V_REGION && SCRATCH < i)
		lock_page(c, SCRATCH);
	lock_page(c, i);
	if (v == V_REGION && SCRATCH > i)
		lock_page(c, SCRATCH);
}

static void unlock_pages(struct control *c, unsigned long i, enum view v)
{
	if (v == V_REGION)
		unlock_page(c, SCRATCH);
	unlock_page(c, i);
}

/*
 * Reads page @i, whose lock the caller holds, through @v (@map: the page
 * in a mapping, for V_MAP and V_RANGE) and checks every byte it got
 * against the record.
 */
static void check_locked(struct ctx *x, unsigned long i, enum view v, char *map)
{
	struct control *c = x->c;
	struct record *r = &c->rec[i];
	uint64_t size = get_size(x);
	size_t cov = coverage(size, i), bad;
	unsigned char *buf = x->buf;
	off_t pos = (off_t)i * psz;
	char why[300];
	ssize_t n = 0;
	int sig;

	switch (v) {
	case V_FRESH:
		map = mmap(NULL, psz, PROT_READ, MAP_SHARED, x->fd, pos);
		if (map == MAP_FAILED) {
			fail(c, "mmap of page %lu: %s", i, strerror(errno));
			return;
		}
		/* fall through */
	case V_MAP:
	case V_RANGE:
		sig = probe_copy(buf, map, psz);
		if (v == V_FRESH)
			munmap(map, psz);
		if (sig)
			c->sigbus++;
		if (!cov && sig != SIGBUS) {
			fail(c, "page %lu via %s: %s at size %llu, where it lies beyond the size: SIGBUS expected",
			     i, view_name[v], sig ? strsignal(sig) : "readable",
			     (unsigned long long)size);
			return;
		}
		if (cov && sig) {
			fail(c, "page %lu via %s: %s at size %llu (%zu bytes of it inside)",
			     i, view_name[v], strsignal(sig),
			     (unsigned long long)size, cov);
			return;
		}
		/* The partial last page is mapped whole: its tail is zero. */
		n = cov ? psz : 0;
		break;
	case V_PREAD:
		n = pread(x->fd, buf, psz, pos);
		break;
	case V_READ:
		if (lseek(x->rfd, pos, SEEK_SET) != pos) {
			fail(c, "lseek to page %lu: %s", i, strerror(errno));
			return;
		}
		n = read(x->rfd, buf, psz);
		break;
	case V_REGION: {
		char *scratch = x->p + (size_t)SCRATCH * psz;
		size_t scov;

		scov = coverage(get_size(x), SCRATCH);
		n = pread(x->fd, scratch, psz, pos);
		/*
		 * The buffer is a region page beyond the size, which no
		 * access can reach: "A bad buffer gives EFAULT" (shmdev.rst,
		 * "read(), write() and lseek()"). Unless there is nothing to
		 * read at all: "0 (end of file) at or beyond" the size.
		 */
		if (n < 0 && errno == EFAULT && !scov && cov) {
			c->efault++;
			return;
		}
		if (n > 0 && probe_copy(buf, scratch, n))
			fail(c, "scratch page: SIGBUS after pread() wrote it");
		if (n > 0 && !scov) {
			fail(c, "page %lu via %s: %zd bytes read into a region page beyond the size, EFAULT expected",
			     i, view_name[v], n);
			return;
		}
		break;
	}
	default:
		return;
	}
	if (v != V_MAP && v != V_RANGE && v != V_FRESH && n != (ssize_t)cov) {
		fail(c, "page %lu via %s: %zd bytes (%s), %zu expected at size %llu",
		     i, view_name[v], n, n < 0 ? strerror(errno) : "no error",
		     cov, (unsigned long long)size);
		return;
	}
	if (r->state != REC_STAMPED) {
		c->unchecked++;
		return;
	}
	bad = sd_stamp_diff(buf, n, r->valid, c->region, i, r->gen);
	if (bad < (size_t)n) {
		sd_stamp_explain(why, sizeof(why), buf, n, r->valid, c->region,
				 i, r->gen, bad);
		fail(c, "page %lu via %s at size %llu: %s", i, view_name[v],
		     (unsigned long long)size, why);
		return;
	}
	c->checks[v]++;
}

static void check_page(struct ctx *x, unsigned long i, enum view v, char *map)
{
	/* The scratch page holds whatever was last copied through it. */
	if (i == SCRATCH)
		return;
	if (!map)
		map = x->p + (size_t)i * psz;
	lock_pages(x->c, i, v);
	check_locked(x, i, v, map);
	unlock_pages(x->c, i, v);
}

/* The owner writes its page @i whole, through @v. */
static void write_page(struct ctx *x, unsigned long i, enum view v)
{
	struct control *c = x->c;
	struct record *r = &c->rec[i];
	unsigned char *img = x->buf;
	off_t pos = (off_t)i * psz;
	uint64_t size, gen;
	int prev, err, sig = 0;
	ssize_t n = 0;
	size_t cov;
	char *map;

	lock_pages(c, i, v);
	size = get_size(x);
	cov = coverage(size, i);
	prev = r->state;
	gen = r->gen + 1;
	sd_stamp_fill(img, psz, c->region, i, gen);
	r->state = REC_WRITING;

	switch (v) {
	case V_MAP:
	case V_FRESH:
		/* Beyond the size a mapping raises SIGBUS. */
		map = x->p + pos;
		if (v == V_FRESH) {
			map = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED,
				   x->fd, pos);
			if (map == MAP_FAILED) {
				fail(c, "mmap of page %lu: %s", i, strerror(errno));
				map = NULL;
			}
		}
		if (map) {
			/* Whole page: the tail past the size stays zero. */
			memset(img + cov, 0, psz - cov);
			sig = probe_copy(map, img, cov ? psz : 1);
			if (v == V_FRESH)
				munmap(map, psz);
		}
		if (sig)
			c->sigbus++;
		if (map && !cov != (sig == SIGBUS))
			fail(c, "write of page %lu via %s at size %llu: %s",
			     i, view_name[v], (unsigned long long)size,
			     sig ? strsignal(sig) : "no SIGBUS beyond the size");
		n = cov && map && !sig ? (ssize_t)cov : -1;
		break;
	case V_PREAD:
	case V_READ:
		if (v == V_PREAD) {
			n = pwrite(x->fd, img, psz, pos);
		} else if (lseek(x->rfd, pos, SEEK_SET) != pos) {
			fail(c, "lseek to page %lu: %s", i, strerror(errno));
			n = -1;
		} else {
			n = write(x->rfd, img, psz);
		}
		err = errno;
		if (cov ? n != (ssize_t)cov : !(n < 0 && err == ENOSPC))
			fail(c, "write of page %lu via %s at size %llu: %zd (%s), %zu bytes expected",
			     i, v == V_PREAD ? "pwrite" : "write",
			     (unsigned long long)size, n,
			     n < 0 ? strerror(err) : "no error", cov);
		if (n < 0 && err == ENOSPC)
			c->enospc++;
		break;
	case V_REGION: {
		char *scratch = x->p + (size_t)SCRATCH * psz;
		size_t scov;

		scov = coverage(get_size(x), SCRATCH);
		if (scov && probe_copy(scratch, img, psz))
			fail(c, "scratch page: SIGBUS at size %llu", (unsigned long long)size);
		n = pwrite(x->fd, scratch, psz, pos);
		err = errno;
		if (n < 0 && ((!scov && err == EFAULT) || (!cov && err == ENOSPC))) {
			/*
			 * A region page beyond the size is a bad buffer:
			 * "A bad buffer gives EFAULT" (shmdev.rst, "read(),
			 * write() and lseek()"); as for any write(), an error
			 * means nothing was written. A position at or beyond
			 * the size is ENOSPC (same section). Either, when both
			 * hold: the page does not say which comes first.
			 */
			if (err == EFAULT)
				c->efault++;
			else
				c->enospc++;
		} else if (!scov || !cov || n != (ssize_t)cov) {
			fail(c, "pwrite of page %lu from a region mapping at size %llu: %zd (%s), %s expected",
			     i, (unsigned long long)size, n,
			     n < 0 ? strerror(err) : "no error",
			     !scov ? "EFAULT" : !cov ? "ENOSPC" : "the page");
		}
		break;
	}
	default:
		break;
	}
	/*
	 * I/O stops at the size: past it, an unknown page may keep stale
	 * bytes that a later growth would bring inside.
	 */
	if (n > 0 && prev == REC_UNKNOWN && cov < (size_t)psz &&
	    v != V_MAP && v != V_FRESH)
		n = -2;

	if (n > 0) {
		r->gen = gen;
		r->valid = cov;
		r->state = REC_STAMPED;
		c->writes[v]++;
	} else {
		/* Nothing written, or stale bytes may remain. */
		r->state = n == -2 ? REC_UNKNOWN : prev;
	}
	unlock_pages(c, i, v);
}

/* Resizes to @size: see the top comment. */
static void resize(struct ctx *x, uint64_t size)
{
	struct control *c = x->c;
	int prev[NPAGES];
	unsigned long first, last;
	uint64_t old;

	lock_rec(c, &c->size_lock, NULL);
	old = get_size(x);
	/* The pages whose coverage may change: [first, last). */
	first = (old < size ? old : size) / psz;
	last = ((old > size ? old : size) + psz - 1) / psz;
	for (unsigned long i = first; i < last; i++) {
		lock_page(c, i);
		prev[i] = c->rec[i].state;
		c->rec[i].state = REC_RESIZING;
	}
	if (shmdev_set_size(x->fd, size))
		fail(c, "SET_SIZE %llu: %s", (unsigned long long)size, strerror(errno));
	c->resizes++;
	for (unsigned long i = first; i < last; i++) {
		struct record *r = &c->rec[i];
		size_t cov = coverage(size, i);

		if (cov < r->valid)
			r->valid = cov;
		/* A page wholly beyond the size is freed: zero from now on. */
		r->state = prev[i] == REC_UNKNOWN && cov ? REC_UNKNOWN : REC_STAMPED;
		if (!cov)
			r->valid = 0;
	}
	for (unsigned long i = last; i-- > first;)
		unlock_page(c, i);
	pthread_mutex_unlock(&c->size_lock);
}

static unsigned long any_page(struct ctx *x)
{
	unsigned long i = sd_rng_below(&x->rng, NPAGES - 1);

	return i < SCRATCH ? i : i + 1;
}

/* Reads and writes go through any of V_MAP to V_REGION. */
static enum view any_view(struct ctx *x)
{
	return (enum view)sd_rng_below(&x->rng, V_REGION + 1);
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
 * A worker's child: checks pages through its own files and mapping until
 * it is killed (@doomed, which its parent does soon), or a few times.
 */
static void child(struct ctx *parent, pid_t ppid, bool doomed)
{
	struct ctx x = *parent;
	int n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != ppid)
		_exit(0);
	close(x.rfd);
	munmap(x.p, NPAGES * psz);
	open_ctx(&x);
	while (!x.c->f.failed && (doomed ? sd_now() < x.end + 5 : n++ < 10))
		check_page(&x, any_page(&x), any_view(&x), NULL);
	_exit(x.c->f.failed ? 1 : 0);
}

static void worker(struct control *c, int id, double end, uint64_t seed)
{
	struct ctx x = { .c = c, .end = end };
	int extra = -1;
	char *q = NULL;
	size_t qlen = 0, qoff = 0;
	__u64 seq = 0;

	sd_rng_seed(&x.rng, seed * NWORKERS + id);
	open_ctx(&x);

	while (sd_now() < end && !c->f.failed) {
		uint64_t op = sd_rng_below(&x.rng, 100);
		unsigned long i;

		c->ops++;
		if (op < 25) {
			/* Write one of my pages. */
			i = id + NWORKERS * sd_rng_below(&x.rng, (NPAGES - id + NWORKERS - 1) / NWORKERS);
			if (i == SCRATCH)
				continue;
			write_page(&x, i, any_view(&x));
		} else if (op < 50) {
			i = any_page(&x);
			check_page(&x, i, any_view(&x), x.p + i * psz);
		} else if (op < 55) {
			/* Anywhere from 0 to the whole region, aligned or not. */
			uint64_t size = sd_rng_below(&x.rng, NPAGES * psz + 1);

			if (sd_rng_next(&x.rng) & 1)
				size &= ~(uint64_t)(psz - 1);
			resize(&x, size);
		} else if (op < 63) {
			struct shmdev_wait w = { .seq = seq,
				.timeout_ns = (__s64)sd_rng_below(&x.rng, 2000000) };

			if (sd_rng_next(&x.rng) & 1) {
				if (ioctl(x.fd, SHMDEV_IOC_NOTIFY, &seq))
					fail(c, "NOTIFY: %s", strerror(errno));
			} else if (!ioctl(x.fd, SHMDEV_IOC_WAIT, &w)) {
				seq = w.seq;
			} else if (errno != ETIMEDOUT) {
				fail(c, "WAIT: %s", strerror(errno));
			}
		} else if (op < 71) {
			/* Map or unmap a random range, check a page through it. */
			if (q) {
				munmap(q, qlen);
				q = NULL;
			} else {
				unsigned long off = sd_rng_below(&x.rng, NPAGES);
				unsigned long len = 1 + sd_rng_below(&x.rng, NPAGES - off);
				int prot = sd_rng_next(&x.rng) & 1 ? PROT_READ : PROT_READ | PROT_WRITE;

				q = mmap(NULL, len * psz, prot, MAP_SHARED, x.fd, off * psz);
				if (q == MAP_FAILED) {
					fail(c, "mmap of pages %lu-%lu: %s", off,
					     off + len - 1, strerror(errno));
					q = NULL;
					continue;
				}
				qlen = len * psz;
				qoff = off;
				i = sd_rng_below(&x.rng, len);
				check_page(&x, off + i, V_RANGE, q + i * psz);
				if (sd_rng_next(&x.rng) & 1)
					madvise(q, qlen, MADV_DONTNEED);
				if (sd_rng_next(&x.rng) & 1)
					mprotect(q, qlen, PROT_READ);
				i = sd_rng_below(&x.rng, len);
				check_page(&x, qoff + i, V_RANGE, q + i * psz);
			}
		} else if (op < 78) {
			/* Open or close another file. */
			if (extra >= 0) {
				close(extra);
				extra = -1;
			} else {
				extra = shmdev_open(sd_rng_next(&x.rng) & 1 ? O_RDONLY : O_RDWR);
				if (extra < 0)
					fail(c, "open: %s", strerror(errno));
			}
		} else if (op < 84) {
			struct shmdev_info info;

			if (shmdev_info(x.fd, &info) || info.size > (__u64)NPAGES * psz ||
			    info.nr_pages > NPAGES)
				fail(c, "GET_INFO: size %llu, %llu pages",
				     (unsigned long long)info.size,
				     (unsigned long long)info.nr_pages);
		} else if (op < 88) {
			/* A child that checks pages, killed in the middle or not. */
			bool doomed = sd_rng_next(&x.rng) & 1;
			pid_t me = getpid(), pid = fork();

			if (pid < 0) {
				fail(c, "fork: %s", strerror(errno));
				continue;
			}
			if (pid == 0)
				child(&x, me, doomed);
			c->forks++;
			if (doomed) {
				usleep(sd_rng_below(&x.rng, 5000));
				kill(pid, SIGKILL);
				c->kills++;
				if (!child_killed_by(pid, SIGKILL))
					fail(c, "child %d not killed by SIGKILL", (int)pid);
			} else if (!child_ok(pid)) {
				fail(c, "child %d failed", (int)pid);
			}
		} else {
			/* A short pread() anywhere: no error in any case. */
			char small[64];
			off_t off = sd_rng_below(&x.rng, NPAGES * psz);
			ssize_t n = pread(x.fd, small, sizeof(small), off);

			if (n < 0 || n > (ssize_t)sizeof(small))
				fail(c, "pread of 64 bytes at %lld: %zd (%s)",
				     (long long)off, n, n < 0 ? strerror(errno) : "");
		}
	}
	_exit(c->f.failed ? 1 : 0);
}

static struct control *new_control(uint64_t seed)
{
	struct control *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;

	if (c == MAP_FAILED)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&c->size_lock, &a);
	for (int i = 0; i < NPAGES; i++)
		pthread_mutex_init(&c->rec[i].lock, &a);
	pthread_mutexattr_destroy(&a);
	/* Valid, all zero pages: the region starts empty. */
	c->region = 0x5e000000ULL ^ seed;
	return c;
}

FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

/* The run's own length is bounded by $SHMDEV_STRESS_SECONDS; this by far. */
TEST_F_TIMEOUT(stress, run, 3600)
{
	const char *s = getenv("SHMDEV_STRESS_SECONDS");
	const char *sd = getenv("SHMDEV_STRESS_SEED");
	double secs = s ? atof(s) : 10, end;
	uint64_t seed = sd ? strtoull(sd, NULL, 0) : sd_fresh_seed();
	unsigned long checks = 0, writes = 0, unknown = 0;
	struct shmdev_info info;
	pid_t pids[NWORKERS];
	struct sd_rng rng;
	struct control *c;
	struct ctx x;

	psz = page_size();
	TH_LOG("seed %llu, %.0f seconds (SHMDEV_STRESS_SEED=%llu replays)",
	       (unsigned long long)seed, secs, (unsigned long long)seed);
	sd_rng_seed(&rng, seed);
	c = new_control(seed);
	ASSERT_NE(NULL, c);
	x = (struct ctx){ .c = c };
	sd_rng_seed(&x.rng, seed);
	open_ctx(&x);
	ASSERT_EQ(0, shmdev_reset(x.fd, NPAGES * psz));

	end = sd_now() + secs;
	x.end = end;
	for (int w = 0; w < NWORKERS; w++) {
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			worker(c, w, end, seed);
	}
	/*
	 * Kill a random worker now and then, and start it again. Workers
	 * run until the end (or a failure), so one killed a second before
	 * it must have died of SIGKILL.
	 */
	for (int k = 1; sd_now() < end - 1 && !c->f.failed; k++) {
		int w = sd_rng_below(&rng, NWORKERS);

		usleep(200000 + sd_rng_below(&rng, 300000));
		if (sd_now() >= end - 1)
			break;
		kill(pids[w], SIGKILL);
		EXPECT_TRUE(child_killed_by(pids[w], SIGKILL));
		c->kills++;
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			worker(c, w, end, seed + (uint64_t)k * 1000);
	}
	EXPECT_EQ(0, sd_wait_all(pids, NWORKERS));

	/* Quiet now: every page checks out, through pread() and a mapping. */
	for (unsigned long i = 0; i < NPAGES; i++) {
		if (i == SCRATCH)
			continue;
		check_page(&x, i, V_PREAD, NULL);
		check_page(&x, i, V_FRESH, NULL);
		unknown += c->rec[i].state != REC_STAMPED;
	}
	for (int v = 0; v < NVIEWS; v++) {
		TH_LOG("%-28s %8lu writes %8lu page checks", view_name[v],
		       (unsigned long)c->writes[v], (unsigned long)c->checks[v]);
		checks += c->checks[v];
		writes += c->writes[v];
	}
	TH_LOG("%lu operations, %lu writes, %lu page checks (and %lu of unknown pages, SIGBUS and counts only), %lu resizes",
	       (unsigned long)c->ops, writes, checks,
	       (unsigned long)c->unchecked, (unsigned long)c->resizes);
	TH_LOG("%lu SIGBUS, %lu EFAULT, %lu ENOSPC, %lu forks, %lu kills, %lu locks of killed holders, %lu pages unknown at the end",
	       (unsigned long)c->sigbus, (unsigned long)c->efault,
	       (unsigned long)c->enospc, (unsigned long)c->forks,
	       (unsigned long)c->kills, (unsigned long)c->recovered, unknown);
	EXPECT_EQ(0, c->f.failed) TH_LOG("seed %llu: %s", (unsigned long long)seed, c->f.why);
	/* It did run: even a loaded debug kernel manages hundreds. */
	if (!c->f.failed) {
		EXPECT_LT(100UL, (unsigned long)c->ops);
		EXPECT_LT(100UL, checks);
	}

	/* Every page comes back; nothing stays mapped or open. */
	munmap(x.p, NPAGES * psz);
	close(x.rfd);
	ASSERT_EQ(0, shmdev_set_size(x.fd, 0));
	ASSERT_EQ(0, shmdev_info(x.fd, &info));
	EXPECT_EQ(0ULL, info.nr_pages);
	EXPECT_EQ(0U, info.nr_mappings);
	EXPECT_EQ(1U, info.nr_files);
	close(x.fd);
}

/*
 * Named regions under races
 * =========================
 *
 * Workers open, create (with and without AUTOREMOVE), unlink, resize
 * (SET_SIZE and ftruncate()), map, fault, read, write and close a few
 * names at random while a supervisor kills them with SIGKILL and starts
 * them again. Each name has a robust lock; whatever resizes or writes a
 * region, or checks it exactly, holds the lock of the name it was
 * created under, and a record per region (by id, per name) says its size
 * and what each page holds: zeroes, or the stamp of (region id, page,
 * generation). OPEN, UNLINK, close, munmap and unchecked faults take no
 * lock, and race with all of that.
 *
 * Checked under the lock, through any file of the region (opened by any
 * worker, by name): GET_INFO's id and size, the charge of the size,
 * SIGBUS exactly at and beyond the size, every page as recorded (what
 * one opener wrote, another sees). Unlocked faults may see a page being
 * written, but never another region's or another page's stamp. A holder
 * killed with the lock leaves the name's records unknown (an epoch) until
 * a region is created again or emptied. At the end every name is
 * unlinked, and the regions and per-user charges in debugfs are as before
 * the run.
 */

#define NNAMES		4
#define NMAXP		8	/* pages of a named region at most */
#define NHELD		3	/* region files a worker holds at most */
#define NNWORKERS	4
#define NRECS		256	/* records per name, by region id */
#define DEBUGFS_SHMDEV	"/sys/kernel/debug/shmdev"

struct nrec {
	uint64_t id;		/* 0: no record */
	uint64_t epoch;		/* the name's epoch it was made in */
	uint64_t size;		/* bytes, whole pages */
	uint64_t gen[NMAXP];	/* 0: a page of zeroes */
	pid_t writer[NMAXP];	/* who wrote it last */
};

struct nname {
	pthread_mutex_t lock;	/* robust, process-shared */
	uint64_t epoch;		/* moves when a holder of the lock died */
	struct nrec rec[NRECS];
};

struct ncontrol {
	struct nname name[NNAMES];
	char names[NNAMES][SHMDEV_NAME_MAX];
	_Atomic unsigned long ops, creates, opens, enoent, eexist, unlinks,
		unlink_enoent, closes, resizes, writes, checks, cross_checks,
		unknown, chaos, chaos_sigbus, sigbus, recovered, kills;
	struct shared_failure f;
};

struct held {
	int fd;			/* -1: free */
	int name;
	bool rdonly;
	uint64_t id;
	char *map;		/* NMAXP pages, MAP_SHARED */
};

struct nworker {
	struct ncontrol *c;
	struct sd_rng rng;
	int ctl;		/* /dev/shmdev, for OPEN and UNLINK */
	struct held h[NHELD];
	unsigned char *buf;
};

#define nfail(c, ...) record_failure(&(c)->f, __VA_ARGS__)

static void lock_name(struct ncontrol *c, int n)
{
	int err = pthread_mutex_lock(&c->name[n].lock);

	if (err == EOWNERDEAD) {
		/* Killed in a resize or a write: nothing of it is known. */
		c->name[n].epoch++;
		c->recovered++;
		pthread_mutex_consistent(&c->name[n].lock);
	} else if (err) {
		nfail(c, "locking name %d: %s", n, strerror(err));
	}
}

static void unlock_name(struct ncontrol *c, int n)
{
	pthread_mutex_unlock(&c->name[n].lock);
}

/* The record of region @id of name @n, when known; under the lock. */
static struct nrec *nrec_of(struct ncontrol *c, int n, uint64_t id)
{
	struct nrec *r = &c->name[n].rec[id % NRECS];

	return r->id == id && r->epoch == c->name[n].epoch ? r : NULL;
}

/* A fresh record: the region is @size bytes of zeroes. */
static void nrec_reset(struct ncontrol *c, int n, uint64_t id, uint64_t size)
{
	struct nrec *r = &c->name[n].rec[id % NRECS];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->epoch = c->name[n].epoch;
	r->size = size;
}

static void nrec_forget(struct ncontrol *c, int n, uint64_t id)
{
	struct nrec *r = &c->name[n].rec[id % NRECS];

	if (r->id == id)
		r->id = 0;
}

static int free_slot(struct nworker *x)
{
	for (int i = 0; i < NHELD; i++)
		if (x->h[i].fd < 0)
			return i;
	return -1;
}

static struct held *any_held(struct nworker *x, bool writable)
{
	int i = sd_rng_below(&x->rng, NHELD);

	for (int k = 0; k < NHELD; k++, i = (i + 1) % NHELD)
		if (x->h[i].fd >= 0 && (!writable || !x->h[i].rdonly))
			return &x->h[i];
	return NULL;
}

static void drop_held(struct nworker *x, struct held *h)
{
	/* Either order: the mapping holds the region alone for a while. */
	if (sd_rng_next(&x->rng) & 1) {
		munmap(h->map, NMAXP * psz);
		close(h->fd);
	} else {
		close(h->fd);
		munmap(h->map, NMAXP * psz);
	}
	h->fd = -1;
	x->c->closes++;
}

static void named_open(struct nworker *x)
{
	struct ncontrol *c = x->c;
	int slot = free_slot(x), n = sd_rng_below(&x->rng, NNAMES), fd, ctl;
	uint64_t how = sd_rng_below(&x->rng, 8);
	struct shmdev_open o = { .mode = 0600 };
	struct shmdev_info info;
	bool locked = false;
	struct held *h;

	if (slot < 0)
		return;
	h = &x->h[slot];
	memcpy(o.name, c->names[n], SHMDEV_NAME_MAX);
	o.flags = SHMDEV_OPEN_CLOEXEC;
	if (how < 4) {
		/* Create it, known to be new: its record starts afresh. */
		o.flags |= SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL;
		if (sd_rng_below(&x->rng, 3) == 0)
			o.flags |= SHMDEV_OPEN_AUTOREMOVE;
		o.size = sd_rng_below(&x->rng, NMAXP + 1) * psz;
		lock_name(c, n);
		locked = true;
	} else if (how == 4) {
		/* Create or open: which, nobody knows. */
		o.flags |= SHMDEV_OPEN_CREATE;
		o.size = sd_rng_below(&x->rng, NMAXP + 1) * psz;
		lock_name(c, n);
		locked = true;
	} else if (how == 5) {
		o.flags |= SHMDEV_OPEN_RDONLY;
	}
	/* OPEN works on any shmdev file: /dev/shmdev's or a region's. */
	ctl = x->ctl;
	if (sd_rng_below(&x->rng, 4) == 0 && any_held(x, false))
		ctl = any_held(x, false)->fd;
	fd = ioctl(ctl, SHMDEV_IOC_OPEN, &o);
	if (fd < 0 && errno == EEXIST && (o.flags & SHMDEV_OPEN_EXCL)) {
		c->eexist++;
		unlock_name(c, n);
		locked = false;
		o.flags &= ~(SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			     SHMDEV_OPEN_AUTOREMOVE);
		fd = ioctl(ctl, SHMDEV_IOC_OPEN, &o);
	}
	if (fd < 0) {
		if (errno == ENOENT && !(o.flags & SHMDEV_OPEN_CREATE))
			c->enoent++;
		else
			nfail(c, "OPEN %s flags %#x: %s", o.name, o.flags,
			      strerror(errno));
		goto out;
	}
	if (shmdev_info(fd, &info)) {
		nfail(c, "GET_INFO of %s: %s", o.name, strerror(errno));
		close(fd);
		goto out;
	}
	if (info.id <= 1 || info.flags & SHMDEV_INFO_DEFAULT)
		nfail(c, "region %s: id %u, flags %#x", o.name, info.id, info.flags);
	if (o.flags & SHMDEV_OPEN_EXCL) {
		c->creates++;
		/*
		 * Others may have opened it by name and faulted pages in
		 * already (zeroes), but only the lock holder resizes.
		 */
		if (info.size != o.size || info.charged != o.size)
			nfail(c, "new region %s (id %u): size %llu, charged %llu (%llu given)",
			      o.name, info.id, (unsigned long long)info.size,
			      (unsigned long long)info.charged,
			      (unsigned long long)o.size);
		nrec_reset(c, n, info.id, o.size);
	} else if (o.flags & SHMDEV_OPEN_CREATE) {
		nrec_forget(c, n, info.id);
	}
	h->map = mmap(NULL, NMAXP * psz, o.flags & SHMDEV_OPEN_RDONLY ?
		      PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h->map == MAP_FAILED) {
		nfail(c, "mmap of %s: %s", o.name, strerror(errno));
		close(fd);
		goto out;
	}
	h->fd = fd;
	h->name = n;
	h->rdonly = o.flags & SHMDEV_OPEN_RDONLY;
	h->id = info.id;
	c->opens++;
out:
	if (locked)
		unlock_name(c, n);
}

static void named_unlink(struct nworker *x)
{
	struct ncontrol *c = x->c;
	struct shmdev_name nm;

	memcpy(nm.name, c->names[sd_rng_below(&x->rng, NNAMES)], SHMDEV_NAME_MAX);
	if (!ioctl(x->ctl, SHMDEV_IOC_UNLINK, &nm))
		c->unlinks++;
	else if (errno == ENOENT)
		c->unlink_enoent++;
	else
		nfail(c, "UNLINK %s: %s", nm.name, strerror(errno));
}

static bool set_size_any(struct nworker *x, int fd, uint64_t size)
{
	if (sd_rng_next(&x->rng) & 1)
		return !shmdev_set_size(fd, size);
	return !ftruncate(fd, size);
}

/* Resizes a region, under its name's lock; an unknown one is emptied first. */
static void named_resize(struct nworker *x)
{
	struct ncontrol *c = x->c;
	struct held *h = any_held(x, true);
	uint64_t size = sd_rng_below(&x->rng, NMAXP + 1) * psz;
	struct nrec *r;

	if (!h)
		return;
	lock_name(c, h->name);
	r = nrec_of(c, h->name, h->id);
	if (!r) {
		c->unknown++;
		if (!set_size_any(x, h->fd, 0))
			nfail(c, "emptying region %llu: %s",
			      (unsigned long long)h->id, strerror(errno));
		nrec_reset(c, h->name, h->id, 0);
		r = nrec_of(c, h->name, h->id);
	}
	if (!set_size_any(x, h->fd, size)) {
		nfail(c, "resizing region %llu to %llu: %s",
		      (unsigned long long)h->id, (unsigned long long)size,
		      strerror(errno));
	} else {
		for (unsigned long p = size / psz; p < NMAXP; p++)
			r->gen[p] = 0;
		r->size = size;
		c->resizes++;
	}
	unlock_name(c, h->name);
}

/* Writes a page inside the size, through the mapping or pwrite(). */
static void named_write(struct nworker *x)
{
	struct ncontrol *c = x->c;
	struct held *h = any_held(x, true);
	unsigned long p;
	struct nrec *r;
	int sig = 0;

	if (!h)
		return;
	lock_name(c, h->name);
	r = nrec_of(c, h->name, h->id);
	if (!r || !r->size)
		goto out;
	p = sd_rng_below(&x->rng, r->size / psz);
	sd_stamp_fill(x->buf, psz, h->id, p, r->gen[p] + 1);
	if (sd_rng_next(&x->rng) & 1) {
		sig = probe_copy(h->map + p * psz, x->buf, psz);
		if (sig) {
			nfail(c, "region %llu page %lu, inside its size %llu: %s",
			      (unsigned long long)h->id, p,
			      (unsigned long long)r->size, strsignal(sig));
			goto out;
		}
	} else if (pwrite(h->fd, x->buf, psz, p * psz) != psz) {
		nfail(c, "pwrite to region %llu page %lu (size %llu): %s",
		      (unsigned long long)h->id, p, (unsigned long long)r->size,
		      strerror(errno));
		goto out;
	}
	r->gen[p]++;
	r->writer[p] = getpid();
	c->writes++;
out:
	unlock_name(c, h->name);
}

/*
 * Checks a region exactly, under its name's lock: GET_INFO, then every
 * page through the mapping or pread(): SIGBUS (or nothing read) exactly
 * at and beyond the size, the recorded bytes inside it.
 */
static void named_check(struct nworker *x)
{
	struct ncontrol *c = x->c;
	struct held *h = any_held(x, false);
	bool by_map = sd_rng_next(&x->rng) & 1;
	struct shmdev_info info;
	char why[300];
	struct nrec *r;

	if (!h)
		return;
	lock_name(c, h->name);
	r = nrec_of(c, h->name, h->id);
	if (shmdev_info(h->fd, &info)) {
		nfail(c, "GET_INFO: %s", strerror(errno));
		goto out;
	}
	if (info.id != h->id || info.size > (__u64)NMAXP * psz ||
	    info.charged != info.size || (r && info.size != r->size) ||
	    (info.size && info.charged_uid != 0)) {
		nfail(c, "region %llu: GET_INFO says id %u, size %llu (%lld recorded), charged %llu to %d",
		      (unsigned long long)h->id, info.id,
		      (unsigned long long)info.size,
		      r ? (long long)r->size : -1LL,
		      (unsigned long long)info.charged, (int)info.charged_uid);
		goto out;
	}
	for (unsigned long p = 0; p < NMAXP; p++) {
		bool inside = p < info.size / psz;
		size_t bad, n = psz;
		int sig = 0;

		if (by_map) {
			sig = probe_copy(x->buf, h->map + p * psz, psz);
			if (sig)
				c->sigbus++;
			if (inside != !sig) {
				nfail(c, "region %llu page %lu at size %llu: %s",
				      (unsigned long long)h->id, p,
				      (unsigned long long)info.size,
				      sig ? strsignal(sig) : "readable beyond the size");
				goto out;
			}
		} else {
			ssize_t got = pread(h->fd, x->buf, psz, p * psz);

			if (got != (inside ? psz : 0)) {
				nfail(c, "pread of region %llu page %lu at size %llu: %zd (%s)",
				      (unsigned long long)h->id, p,
				      (unsigned long long)info.size, got,
				      got < 0 ? strerror(errno) : "no error");
				goto out;
			}
		}
		if (!inside || !r)
			continue;
		bad = sd_stamp_diff(x->buf, n, r->gen[p] ? n : 0, h->id, p, r->gen[p]);
		if (bad < n) {
			sd_stamp_explain(why, sizeof(why), x->buf, n,
					 r->gen[p] ? n : 0, h->id, p, r->gen[p], bad);
			nfail(c, "region %llu page %lu via %s: %s",
			      (unsigned long long)h->id, p,
			      by_map ? "mapping" : "pread", why);
			goto out;
		}
		if (r->gen[p] && r->writer[p] != getpid())
			c->cross_checks++;
	}
	if (r)
		c->checks++;
	else
		c->unknown++;
out:
	unlock_name(c, h->name);
}

/* A fault with no lock, racing with resizes and writes of others. */
static void named_chaos(struct nworker *x)
{
	struct ncontrol *c = x->c;
	struct held *h = any_held(x, false);
	unsigned long p = sd_rng_below(&x->rng, NMAXP);
	enum sd_stamp_state st;

	if (!h)
		return;
	c->chaos++;
	if (probe_copy(x->buf, h->map + p * psz, psz)) {
		c->chaos_sigbus++;
		return;
	}
	st = sd_stamp_read(x->buf, h->id, p, NULL);
	if (st == SD_STAMP_MISPLACED) {
		const struct sd_stamp *s = (const void *)x->buf;

		nfail(c, "region %llu page %lu holds the stamp of region %llu page %llu",
		      (unsigned long long)h->id, p, (unsigned long long)s->region,
		      (unsigned long long)s->index);
	}
}

static void named_worker(struct ncontrol *c, int id, double end, uint64_t seed)
{
	struct nworker x = { .c = c };

	sd_rng_seed(&x.rng, seed * NNWORKERS + id);
	for (int i = 0; i < NHELD; i++)
		x.h[i].fd = -1;
	x.ctl = shmdev_open(O_RDWR);
	x.buf = malloc(psz);
	if (x.ctl < 0 || !x.buf)
		_exit(10);
	probe_install();
	while (sd_now() < end && !c->f.failed) {
		uint64_t op = sd_rng_below(&x.rng, 100);
		struct held *h;

		c->ops++;
		if (op < 15) {
			named_open(&x);
		} else if (op < 25) {
			h = any_held(&x, false);
			if (h)
				drop_held(&x, h);
		} else if (op < 32) {
			named_unlink(&x);
		} else if (op < 44) {
			named_resize(&x);
		} else if (op < 60) {
			named_write(&x);
		} else if (op < 78) {
			named_check(&x);
		} else {
			named_chaos(&x);
		}
	}
	_exit(c->f.failed ? 1 : 0);
}

/* The debugfs users table, header left out, as one string. */
static void users_table(char *out, size_t len)
{
	FILE *f = fopen(DEBUGFS_SHMDEV "/users", "re");
	size_t n = 0;
	char line[256];
	bool header = true;

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long uid, regions, bytes;

		if (header) {
			header = false;
			continue;
		}
		/* The locked_vm column moves with anything else that locks. */
		if (sscanf(line, "%lu %lu %lu", &uid, &regions, &bytes) == 3)
			n += snprintf(out + n, n < len ? len - n : 0,
				      "%lu %lu %lu\n", uid, regions, bytes);
	}
	fclose(f);
}

/* Whether a line of @path names a region @name (a token of its own). */
static bool table_names(const char *path, const char *name)
{
	char line[512];
	FILE *f = fopen(path, "re");
	bool found = false;
	size_t n = strlen(name);

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		for (char *p = strstr(line, name); p; p = strstr(p + 1, name))
			if ((p == line || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\n' || p[n] == 0)) {
				found = true;
				break;
			}
	fclose(f);
	return found;
}

TEST_F_TIMEOUT(stress, named, 3600)
{
	const char *s = getenv("SHMDEV_STRESS_SECONDS");
	const char *sd = getenv("SHMDEV_STRESS_SEED");
	double secs = s ? atof(s) / 2 : 5, end;
	uint64_t seed = sd ? strtoull(sd, NULL, 0) : sd_fresh_seed();
	char users0[2048], users1[2048];
	int rows0, rows1 = -1, ctl;
	pid_t pids[NNWORKERS];
	pthread_mutexattr_t a;
	struct shmdev_open o;
	struct shmdev_info info;
	struct ncontrol *c;
	struct sd_rng rng;
	bool debugfs;

	psz = page_size();
	if (secs < 3)
		secs = 3;
	ctl = shmdev_open(O_RDWR);
	ASSERT_LE(0, ctl);
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "st-probe-%d", (int)getpid());
	o.flags = SHMDEV_OPEN_CREATE | SHMDEV_OPEN_AUTOREMOVE | SHMDEV_OPEN_EXCL;
	o.mode = 0600;
	{
		int fd = ioctl(ctl, SHMDEV_IOC_OPEN, &o);

		if (fd < 0 && errno == EOPNOTSUPP)
			SKIP(return, "no named regions: %s", strerror(errno));
		ASSERT_LE(0, fd) TH_LOG("OPEN: %s", strerror(errno));
		close(fd);
	}
	TH_LOG("seed %llu, %.0f seconds (SHMDEV_STRESS_SEED=%llu replays)",
	       (unsigned long long)seed, secs, (unsigned long long)seed);

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (int n = 0; n < NNAMES; n++) {
		pthread_mutex_init(&c->name[n].lock, &a);
		snprintf(c->names[n], SHMDEV_NAME_MAX, "st-%d-%d", (int)getpid(), n);
	}
	pthread_mutexattr_destroy(&a);

	debugfs = !access(DEBUGFS_SHMDEV "/regions", R_OK) &&
		  !access(DEBUGFS_SHMDEV "/users", R_OK);
	rows0 = sd_table_rows(DEBUGFS_SHMDEV "/regions");
	users_table(users0, sizeof(users0));

	sd_rng_seed(&rng, seed ^ 0x6e616d6564ULL);
	end = sd_now() + secs;
	for (int w = 0; w < NNWORKERS; w++) {
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			named_worker(c, w, end, seed);
	}
	for (int k = 1; sd_now() < end - 1 && !c->f.failed; k++) {
		int w = sd_rng_below(&rng, NNWORKERS);

		usleep(100000 + sd_rng_below(&rng, 300000));
		if (sd_now() >= end - 1)
			break;
		kill(pids[w], SIGKILL);
		EXPECT_TRUE(child_killed_by(pids[w], SIGKILL));
		c->kills++;
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0)
			named_worker(c, w, end, seed + (uint64_t)k * 1000);
	}
	EXPECT_EQ(0, sd_wait_all(pids, NNWORKERS));

	TH_LOG("%lu operations: %lu creates, %lu opens (%lu ENOENT, %lu EEXIST), %lu closes, %lu unlinks (%lu ENOENT)",
	       (unsigned long)c->ops, (unsigned long)c->creates,
	       (unsigned long)c->opens, (unsigned long)c->enoent,
	       (unsigned long)c->eexist, (unsigned long)c->closes,
	       (unsigned long)c->unlinks, (unsigned long)c->unlink_enoent);
	TH_LOG("%lu resizes, %lu writes, %lu exact checks (%lu pages written by another process), %lu of unknown regions, %lu SIGBUS; %lu unlocked faults (%lu SIGBUS); %lu kills, %lu locks of killed holders",
	       (unsigned long)c->resizes, (unsigned long)c->writes,
	       (unsigned long)c->checks, (unsigned long)c->cross_checks,
	       (unsigned long)c->unknown, (unsigned long)c->sigbus,
	       (unsigned long)c->chaos, (unsigned long)c->chaos_sigbus,
	       (unsigned long)c->kills, (unsigned long)c->recovered);
	EXPECT_EQ(0, c->f.failed) TH_LOG("seed %llu: %s", (unsigned long long)seed, c->f.why);
	if (!c->f.failed) {
		EXPECT_LT(20UL, (unsigned long)c->creates);
		EXPECT_LT(20UL, (unsigned long)c->checks);
		EXPECT_LT(0UL, (unsigned long)c->cross_checks);
	}

	/* Every name unlinked: none is found, none is listed. */
	for (int n = 0; n < NNAMES; n++) {
		struct shmdev_name nm;

		memcpy(nm.name, c->names[n], SHMDEV_NAME_MAX);
		if (ioctl(ctl, SHMDEV_IOC_UNLINK, &nm))
			EXPECT_EQ(ENOENT, errno);
		memset(&o, 0, sizeof(o));
		memcpy(o.name, c->names[n], SHMDEV_NAME_MAX);
		EXPECT_EQ(-1, ioctl(ctl, SHMDEV_IOC_OPEN, &o));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_FALSE(table_names("/proc/shmdev/regions", c->names[n]));
	}
	/*
	 * Nothing holds the regions now: debugfs lists as many as before,
	 * and every user is charged as before.
	 */
	if (debugfs) {
		for (double until = sd_now() + 5; sd_now() < until; usleep(20000)) {
			rows1 = sd_table_rows(DEBUGFS_SHMDEV "/regions");
			users_table(users1, sizeof(users1));
			if (rows1 == rows0 && !strcmp(users0, users1))
				break;
		}
		EXPECT_EQ(rows0, rows1);
		EXPECT_STREQ(users0, users1);
		for (int n = 0; n < NNAMES; n++)
			EXPECT_FALSE(table_names(DEBUGFS_SHMDEV "/regions", c->names[n]));
	} else {
		TH_LOG("debugfs shmdev/regions or users unreadable: not compared");
	}
	/* The default region is charged its size. */
	ASSERT_EQ(0, shmdev_info(ctl, &info));
	EXPECT_EQ((info.size + psz - 1) / psz * psz, info.charged);
	close(ctl);
	munmap(c, sizeof(*c));
}

SHMDEV_TEST_MAIN
