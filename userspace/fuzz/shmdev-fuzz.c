// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-fuzz - a fuzzer of /dev/shmdev that knows the one right answer
 *
 * One driver process makes every call that is checked. It keeps a model
 * of the regions it uses: the default region of /dev/shmdev and the named
 * regions it creates with SHMDEV_IOC_OPEN under names of its own
 * (fuzz_names.c). For each region: its size, max_size (from the module
 * parameter), the notification sequence, owner, mode and charge, the
 * bytes of its first SHADOW_PAGES pages, which of those pages are surely
 * resident; and for each of its files and mappings, the region, the open
 * mode, file position, acknowledged sequence, offset, length and
 * protection; a mapping of the control page (at SHMDEV_CTRL_OFFSET)
 * shows the model's sequence, and a store to it is the in-place notify
 * (an atomic increment, then WAKE if the page says a task may wait).
 * From the model and the arguments it computes the one
 * outcome each call must have (a return value and the data it returns,
 * or one errno, or for a touch of a mapped page: no signal, SIGBUS or
 * SIGSEGV) and stops at the first difference, printing the call, what was
 * expected, what happened and the seed.
 *
 * The driver is the only process that resizes, notifies or writes. Beside
 * it, --chaos workers (forked processes) share one more file of the
 * default region, opened read-only, and map, touch, read, poll, query and
 * wait on it, racing with the driver's resizes. Their calls change
 * nothing the model depends on, so they make no outcome of the driver's
 * calls uncertain. Their own outcomes depend on the interleaving, so they
 * are checked only loosely: a failing call must fail with an errno the
 * API documents, and SIGBUS and SIGSEGV in their mappings are caught.
 *
 * Replay: the driver's calls and their expected outcomes depend only on
 * the seed and the model, never on time, addresses or the PID (which the
 * names hold, and the log leaves out), so --seed S --calls N makes the
 * same N calls each time; --trace FILE logs each one.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "fuzz.h"

#define HOLE_SIZE	(1UL << 30)
/*
 * Checked calls per second below which a --seconds run fails: about a
 * third of what the debug kernel (KASAN, lockdep) clears under QEMU's
 * software emulation on a loaded machine.
 */
#define DEFAULT_MIN_RATE	80

const char *const ptr_names[] = {
	[P_BUF] = "buf", [P_NULL] = "NULL", [P_HOLE] = "unmapped",
	[P_KERNEL] = "kernel", [P_RO] = "read-only", [P_STRADDLE] = "straddling",
};

struct fuzz_model m;
long psz;
static char *ro_page;		/* read-only zeroes, between PROT_NONE pages */
static char *hole;		/* HOLE_SIZE bytes of PROT_NONE */
static volatile int probing;
static sigjmp_buf probe_env;

uint64_t R(uint64_t n)
{
	return sd_rng_below(&m.rng, n);
}

uint64_t pages_of(uint64_t bytes)
{
	return (bytes + psz - 1) / psz;
}

const char *mode_name(int mode)
{
	return mode == O_RDONLY ? "r" : mode == O_WRONLY ? "w" : "rw";
}

bool can_read(int mode)
{
	return mode != O_WRONLY;
}

bool can_write(int mode)
{
	return mode != O_RDONLY;
}

/* Bytes reserved (and charged) for the region: its size in whole pages. */
uint64_t reserved_of(const struct region_model *rg)
{
	return pages_of(rg->size) * psz;
}

/* "f4:rw/r7": the file, its mode and, for a region file, its region. */
const char *file_name(int fi)
{
	static char s[4][32];
	static int k;
	const struct mfile *f = &m.file[fi];

	k = (k + 1) % 4;
	if (f->reg)
		snprintf(s[k], sizeof(s[k]), "f%d:%s/r%u", fi, mode_name(f->mode),
			 m.reg[f->reg].serial);
	else
		snprintf(s[k], sizeof(s[k]), "f%d:%s", fi, mode_name(f->mode));
	return s[k];
}

static void on_fault(int sig)
{
	if (probing)
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void stop_chaos(void)
{
	if (m.stop)
		*m.stop = 1;
}

void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.desc, sizeof(m.desc), fmt, ap);
	va_end(ap);
}

static void outcome_str(const struct outcome *o, char *s, size_t n)
{
	if (o->sig)
		snprintf(s, n, "%s", o->sig == -1 ? "no signal" : strsignal(o->sig));
	else if (o->err && o->alt)
		snprintf(s, n, "-1 %s or %s", strerrorname_np(o->err) ?: "?",
			 strerrorname_np(o->alt) ?: "?");
	else if (o->alt)
		snprintf(s, n, "%lld or -1 %s", o->ret, strerrorname_np(o->alt) ?: "?");
	else if (o->err)
		snprintf(s, n, "-1 %s", strerrorname_np(o->err) ?: "?");
	else
		snprintf(s, n, "%lld", o->ret);
}

static void __attribute__((noreturn)) fail_run(void)
{
	stop_chaos();
	names_abandon();
	fprintf(stderr, "shmdev-fuzz: FAIL (seed %" PRIu64 "; --seed %" PRIu64
		" --calls %lu replays up to this call)\n", m.seed, m.seed, m.calls);
	if (m.trace)
		fflush(m.trace);
	exit(1);
}

/* A difference in what a successful call returned. */
void data_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "shmdev-fuzz: call %lu: %s: ", m.calls, m.desc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fail_run();
}

/*
 * Counts the call described by m.desc, logs it with its expected outcome,
 * and fails the run when what happened differs.
 */
void check(const struct outcome *want, const struct outcome *got)
{
	char w[64], g[64];
	struct outcome alt = *want;

	m.calls++;
	outcome_str(want, w, sizeof(w));
	if (m.trace)
		fprintf(m.trace, "%lu %s = %s\n", m.calls, m.desc, w);
	if (want->alt && got->err == want->alt)
		alt.err = want->alt;
	if (alt.sig == got->sig && alt.err == got->err &&
	    (alt.err || alt.sig || alt.ret == got->ret))
		return;
	outcome_str(got, g, sizeof(g));
	fprintf(stderr, "shmdev-fuzz: call %lu: %s: expected %s, got %s\n",
		m.calls, m.desc, w, g);
	fail_run();
}

struct outcome ok(long long ret)
{
	return (struct outcome){ .ret = ret };
}

struct outcome error(int err)
{
	return (struct outcome){ .ret = -1, .err = err };
}

void check_ret(struct outcome want, long long ret)
{
	struct outcome got = { .ret = ret, .err = ret < 0 ? errno : 0 };

	if (ret < 0)
		got.ret = -1;
	check(&want, &got);
}

/* ---- Pointers ---- */

enum ptr_kind pick_ptr(void)
{
	switch (R(10)) {
	case 0: return P_NULL;
	case 1: return P_HOLE;
	case 2: return P_KERNEL;
	case 3: return P_RO;
	case 4: return P_STRADDLE;
	default: return P_BUF;
	}
}

/* Readable bytes at a straddling pointer for an argument of @need bytes. */
static size_t straddle_half(size_t need)
{
	return need / 2 < (size_t)psz ? need / 2 : (size_t)psz;
}

void *ptr_of(enum ptr_kind k, size_t need)
{
	switch (k) {
	case P_BUF: return m.buf;
	case P_NULL: return NULL;
	case P_HOLE: return hole + R(HOLE_SIZE - BUF_SIZE);
	case P_KERNEL: return (void *)-4096L;
	case P_RO: return ro_page;
	case P_STRADDLE: return ro_page + psz - straddle_half(need);
	}
	return NULL;
}

/* Bytes readable from the pointer on, for an argument of @need bytes. */
size_t readable(enum ptr_kind k, size_t need)
{
	switch (k) {
	case P_BUF: return BUF_SIZE;
	case P_RO: return psz;
	case P_STRADDLE: return straddle_half(need);
	default: return 0;
	}
}

static size_t writable(enum ptr_kind k)
{
	return k == P_BUF ? BUF_SIZE : 0;
}

/* ---- The model's data ---- */

/* Shrinking zeroes the tail of the last page and frees the pages beyond. */
void model_resize(struct region_model *rg, uint64_t size)
{
	if (size < rg->size && size < SHADOW_BYTES)
		memset(rg->shadow + size, 0, SHADOW_BYTES - size);
	for (uint64_t i = pages_of(size); i < SHADOW_PAGES; i++)
		rg->resident[i] = false;
	rg->size = size;
	rg->charged_uid = size ? getuid() : (uint32_t)-1;
}

static void model_write(struct region_model *rg, uint64_t off, const unsigned char *src,
			size_t len)
{
	for (size_t i = 0; i < len && off + i < SHADOW_BYTES; i++)
		rg->shadow[off + i] = src ? src[i] : 0;
	for (uint64_t p = off / psz; len && p <= (off + len - 1) / psz && p < SHADOW_PAGES; p++)
		rg->resident[p] = true;
}

static void model_check_read(const struct region_model *rg, uint64_t off,
			     const unsigned char *got, size_t len)
{
	for (size_t i = 0; i < len && off + i < SHADOW_BYTES; i++)
		if (got[i] != rg->shadow[off + i])
			data_fail("byte at offset %" PRIu64 ": expected 0x%02x, got 0x%02x",
				  off + i, rg->shadow[off + i], got[i]);
}

/* ---- The control page ---- */

#define CTRL_PGOFF	(SHMDEV_CTRL_OFFSET / (uint64_t)psz)

/* Whether the mapping is of the control page rather than of data. */
static bool is_ctrl(const struct mmap_model *mm)
{
	return mm->pgoff == CTRL_PGOFF;
}

/* A writable file of region @reg, for WAKE, or -1. */
static int writer_of(int reg)
{
	for (int j = 0; j < NFILES; j++)
		if (m.file[j].fd >= 0 && m.file[j].reg == reg && can_write(m.file[j].mode))
			return j;
	return -1;
}

/* Every readable control mapping of region @reg shows the sequence. */
static void check_ctrl_maps(int reg)
{
	for (int i = 0; i < NMAPS; i++) {
		const struct mmap_model *mm = &m.map[i];
		uint64_t seq;

		if (!mm->p || mm->reg != reg || !is_ctrl(mm) || !(mm->prot & PROT_READ))
			continue;
		seq = __atomic_load_n(&((volatile struct shmdev_ctrl *)mm->p)->seq,
				      __ATOMIC_SEQ_CST);
		if (seq != m.reg[reg].seq)
			data_fail("map%d: control page sequence %+" PRId64 ", expected %+" PRId64,
				  i, (int64_t)(seq - m.reg[reg].seq0),
				  (int64_t)(m.reg[reg].seq - m.reg[reg].seq0));
	}
}

/* ---- ioctls ---- */

static const unsigned int known_cmds[] = {
	SHMDEV_IOC_SET_SIZE, SHMDEV_IOC_GET_SIZE, SHMDEV_IOC_NOTIFY,
	SHMDEV_IOC_WAIT, SHMDEV_IOC_GET_INFO, SHMDEV_IOC_PAGE_INFO,
	SHMDEV_IOC_OPEN, SHMDEV_IOC_UNLINK, SHMDEV_IOC_WAKE,
};

/*
 * A random command for the driver, not one the VFS answers itself
 * (FIOCLEX, FIONBIO, FIFREEZE, FICLONE, FS_IOC_*...): their type codes
 * are avoided.
 */
static unsigned int random_cmd(void)
{
	for (;;) {
		unsigned int cmd = (unsigned int)R(1ULL << 32);

		switch (_IOC_TYPE(cmd)) {
		case 0x00: case 'T': case 'X': case 'f': case 0x94: case 0x15:
			continue;
		}
		return cmd;
	}
}

static const char *cmd_name(unsigned int cmd)
{
	static char s[32];

	switch (cmd) {
	case SHMDEV_IOC_SET_SIZE: return "SET_SIZE";
	case SHMDEV_IOC_GET_SIZE: return "GET_SIZE";
	case SHMDEV_IOC_NOTIFY: return "NOTIFY";
	case SHMDEV_IOC_WAIT: return "WAIT";
	case SHMDEV_IOC_GET_INFO: return "GET_INFO";
	case SHMDEV_IOC_PAGE_INFO: return "PAGE_INFO";
	case SHMDEV_IOC_WAKE: return "WAKE";
	}
	snprintf(s, sizeof(s), "0x%08x", cmd);
	return s;
}

uint64_t random_size(void)
{
	switch (R(8)) {
	case 0: return m.max_size;
	case 1: return m.max_size + 1 + R(psz);
	case 2: return R(UINT64_MAX);
	case 3: return R(m.max_size);
	case 4: return R(SHADOW_PAGES + 1) * psz;
	default: return R(SHADOW_BYTES + psz);
	}
}

static void check_page_entries(const struct region_model *rg, uint64_t index, uint32_t n)
{
	for (uint32_t i = 0; i < NPAGEINFO; i++) {
		const struct shmdev_page_info *e = &m.pages[i];
		uint64_t page = index + i;
		bool known = page < SHADOW_PAGES && rg->resident[page];
		/*
		 * A page being added by a chaos worker's fault is in the page
		 * cache a moment before it is marked dirty.
		 */
		uint32_t need = SHMDEV_PAGE_RESIDENT | SHMDEV_PAGE_UPTODATE |
				(known ? SHMDEV_PAGE_DIRTY : 0);

		if (i >= n) {
			if (e->flags != 0xa5a5a5a5)
				data_fail("entry %u beyond the count %u was written", i, n);
			continue;
		}
		if (!e->flags) {
			if (e->pfn || e->refcount || e->mapcount || e->order)
				data_fail("page %" PRIu64 ": not resident, yet fields set", page);
			if (known)
				data_fail("page %" PRIu64 " was written, yet not resident", page);
			continue;
		}
		/* Small pages, or PMD-size folios (order 9 with 4 KiB pages). */
		if ((e->flags & need) != need || (e->order && e->order != 9) ||
		    !e->refcount ||
		    (m.root ? !e->pfn : e->pfn))
			data_fail("page %" PRIu64 ": flags 0x%x order %u refcount %u pfn %s",
				  page, e->flags, e->order, e->refcount,
				  e->pfn ? "set" : "0");
	}
}

/*
 * GET_INFO against the model: everything exact but the counts that the
 * chaos workers and the kernel's reclaim move (pages and mappings, which
 * are bounded), and the id, which the module chooses and the model learns.
 */
static void check_info(struct region_model *rg, int reg, const struct shmdev_info *in)
{
	uint32_t flags = !reg ? SHMDEV_INFO_DEFAULT :
		(rg->name >= 0 ? SHMDEV_INFO_NAMED : 0) |
		(rg->autoremove ? SHMDEV_INFO_AUTOREMOVE : 0) |
		(rg->nohuge ? SHMDEV_INFO_NOHUGE : 0);
	int nmaps = model_maps(reg), nres = model_resident(reg);

	if (in->size != rg->size || in->max_size != m.max_size ||
	    in->seq != rg->seq || (int)in->nr_files != model_files(reg) ||
	    in->nr_pages > pages_of(rg->size) || in->nr_pages < (uint64_t)nres ||
	    in->nr_mappings < (uint32_t)nmaps)
		data_fail("size %llu max_size %llu seq %+lld files %u pages %llu mappings %u; "
			  "expected %" PRIu64 " %" PRIu64 " %+" PRId64 " %d, pages in [%d, %" PRIu64
			  "], mappings >= %d",
			  (unsigned long long)in->size, (unsigned long long)in->max_size,
			  (long long)(in->seq - rg->seq0), in->nr_files,
			  (unsigned long long)in->nr_pages, in->nr_mappings,
			  rg->size, m.max_size, (int64_t)(rg->seq - rg->seq0),
			  model_files(reg), nres, pages_of(rg->size), nmaps);
	if (in->flags != flags || in->uid != rg->uid || in->gid != rg->gid ||
	    in->mode != rg->mode || in->charged != reserved_of(rg) ||
	    in->charged_uid != (in->charged ? rg->charged_uid : (uint32_t)-1))
		data_fail("flags 0x%x uid %u gid %u mode 0%o charged %llu to %d; expected "
			  "0x%x %u %u 0%o %" PRIu64 " to %d", in->flags, in->uid, in->gid,
			  in->mode, (unsigned long long)in->charged, (int)in->charged_uid, flags,
			  rg->uid, rg->gid, rg->mode, reserved_of(rg),
			  reserved_of(rg) ? (int)rg->charged_uid : -1);
	if (!reg && in->id != 1)
		data_fail("the default region's id is %u, not 1", in->id);
	if (reg && in->id <= 1)
		data_fail("a named region's id is %u", in->id);
	if (rg->id && in->id != rg->id)
		data_fail("id %u, earlier %u", in->id, rg->id);
	for (int i = 0; i < NREGIONS; i++)
		if (reg && i != reg && m.reg[i].used && m.reg[i].id == in->id)
			data_fail("id %u is r%u's too", in->id, m.reg[i].serial);
	rg->id = in->id;
	for (int i = 0; i < 6; i++)
		if (in->reserved[i])
			data_fail("reserved[%d] is not 0", i);
}

/* The expected outcome of WAIT with the argument @w. */
static struct outcome wait_expect(const struct region_model *rg, const struct shmdev_wait *w)
{
	if (w->flags & ~SHMDEV_WAIT_ABSTIME || w->pad)
		return error(EINVAL);
	if ((w->flags & SHMDEV_WAIT_ABSTIME) && w->timeout_ns < 0)
		return error(EINVAL);
	if (w->seq == rg->seq)
		return error(ETIMEDOUT);
	return ok(0);
}

/*
 * A WAIT argument that never sleeps for long (no one else notifies), with
 * a relative or an absolute timeout; @what says which, without the time,
 * so that the log does not depend on the clock.
 */
static struct shmdev_wait random_wait(const struct region_model *rg, char *what, size_t n)
{
	struct shmdev_wait w = { 0 };
	int64_t now = (int64_t)sd_now_ns();

	switch (R(4)) {
	case 0: w.seq = rg->seq; break;
	case 1: w.seq = rg->seq0 + R(UINT64_MAX); break;	/* logged as relative */
	default: w.seq = rg->seq - 1 - R(3); break;
	}
	switch (R(8)) {
	case 0:
		w.flags = (uint32_t)R(1ULL << 32);
		break;
	case 1: case 2:
		w.flags = SHMDEV_WAIT_ABSTIME;
		break;
	}
	if (w.flags == SHMDEV_WAIT_ABSTIME) {
		switch (R(6)) {
		case 0:
			w.timeout_ns = 0;
			snprintf(what, n, "abs 0");
			break;
		case 1:
			w.timeout_ns = -1 - (int64_t)R(1000);
			snprintf(what, n, "abs %" PRId64, (int64_t)w.timeout_ns);
			break;
		case 2: {
			uint64_t ago = R(1000000000);

			w.timeout_ns = now > (int64_t)ago ? now - (int64_t)ago : 0;
			snprintf(what, n, "abs now-%" PRIu64, ago);
			break;
		}
		default: {
			/* The future: far only when the call must not sleep. */
			uint64_t ahead = w.seq == rg->seq ? R(200000) : R(10000000000ULL);

			w.timeout_ns = now + (int64_t)ahead;
			snprintf(what, n, "abs now+%" PRIu64, ahead);
			break;
		}
		}
	} else {
		if (w.seq == rg->seq)
			w.timeout_ns = R(3) ? 0 : (int64_t)R(200000);
		else
			w.timeout_ns = R(2) ? (int64_t)R(1000000) : -(int64_t)R(1000);
		snprintf(what, n, "%" PRId64, (int64_t)w.timeout_ns);
	}
	w.pad = R(8) ? 0 : (uint32_t)R(1ULL << 32);
	return w;
}

static void fuzz_ioctl(void)
{
	int fi = pick_file();
	struct mfile *f = &m.file[fi];
	struct region_model *rg = &m.reg[f->reg];
	unsigned int cmd;
	enum ptr_kind k = pick_ptr(), pk = P_BUF;
	struct outcome want = error(ENOTTY);
	char extra[200] = "";
	uint64_t val = 0;
	void *arg;
	long ret;

	switch (R(8)) {
	case 0:
		cmd = random_cmd();
		break;
	case 1:	/* Our type, another number, size or direction. */
		cmd = _IOC(R(4), SHMDEV_IOC_MAGIC, R(16), R(256));
		break;
	default:
		cmd = known_cmds[R(sizeof(known_cmds) / sizeof(known_cmds[0]))];
		break;
	}
	if (cmd == SHMDEV_IOC_OPEN) {
		fuzz_open(fi);
		return;
	}
	if (cmd == SHMDEV_IOC_UNLINK) {
		fuzz_unlink(fi);
		return;
	}
	arg = ptr_of(k, 128);
	memset(m.buf, 0xa5, 256);
	memset(m.pages, 0xa5, sizeof(m.pages));

	switch (cmd) {
	case SHMDEV_IOC_SET_SIZE:
		if (k == P_BUF)
			memcpy(m.buf, &(uint64_t){ random_size() }, 8);
		val = k == P_BUF ? *(uint64_t *)m.buf : 0;
		if (k == P_BUF || k == P_RO)
			snprintf(extra, sizeof(extra), " [%" PRIu64 "]", val);
		if (!can_write(f->mode))
			want = error(EBADF);
		else if (readable(k, 128) < 8)
			want = error(EFAULT);
		else
			want = resize_expect(rg, val);
		break;
	case SHMDEV_IOC_GET_SIZE:
		want = writable(k) >= 8 ? ok(0) : error(EFAULT);
		break;
	case SHMDEV_IOC_NOTIFY:
		if (!can_write(f->mode))
			want = error(EBADF);
		else
			want = writable(k) >= 8 ? ok(0) : error(EFAULT);
		break;
	case SHMDEV_IOC_GET_INFO:
		want = writable(k) >= sizeof(struct shmdev_info) ? ok(0) : error(EFAULT);
		break;
	case SHMDEV_IOC_WAKE:
		/* No argument: the pointer is ignored. */
		want = can_write(f->mode) ? ok(0) : error(EBADF);
		break;
	case SHMDEV_IOC_WAIT: {
		struct shmdev_wait w = { 0 };
		char what[48] = "";

		if (k == P_BUF) {
			w = random_wait(rg, what, sizeof(what));
			memcpy(m.buf, &w, sizeof(w));
			memcpy(m.buf + 128, &w, sizeof(w));
		}
		if (k == P_RO)
			snprintf(extra, sizeof(extra), " [zeroes]");
		if (k == P_BUF)
			snprintf(extra, sizeof(extra), " [seq %+" PRId64 " timeout %s"
				 " flags 0x%x pad 0x%x]", (int64_t)(w.seq - rg->seq0),
				 what, w.flags, w.pad);
		if (readable(k, 128) < sizeof(w))
			want = error(EFAULT);
		else
			want = wait_expect(rg, &w);
		if (!want.err && writable(k) < 8)
			want = error(EFAULT);
		break;
	}
	case SHMDEV_IOC_PAGE_INFO: {
		struct shmdev_page_query q = { 0 };
		uint64_t end = pages_of(rg->size), n = 0;

		if (k == P_BUF) {
			q.pages = (uintptr_t)m.pages;
			q.count = R(NPAGEINFO + 1);
			if (!R(4)) {
				/* Never our buffer: the count may be large. */
				do
					pk = pick_ptr();
				while (pk == P_BUF);
				q.pages = (uintptr_t)ptr_of(pk, 2 * sizeof(struct shmdev_page_info));
				q.count = R(3) ? R(64) : R(1ULL << 32);
			}
			q.index = R(4) ? R(SHADOW_PAGES + 8) : R(UINT64_MAX);
			q.flags = R(8) ? 0 : (uint32_t)R(1ULL << 32);
			memcpy(m.buf, &q, sizeof(q));
		}
		if (k == P_BUF || k == P_RO)
			snprintf(extra, sizeof(extra), " [index %" PRIu64 " pages %s count %u flags 0x%x]",
				 (uint64_t)q.index, k == P_BUF ? ptr_names[pk] : "NULL",
				 q.count, q.flags);
		if (q.index < end)
			n = q.count < end - q.index ? q.count : end - q.index;
		if (readable(k, 128) < sizeof(q))
			want = error(EFAULT);
		else if (q.flags)
			want = error(EINVAL);
		else if (n && (k != P_BUF || pk != P_BUF))
			want = error(EFAULT);
		else
			want = writable(k) ? ok(0) : error(EFAULT);
		val = n;
		break;
	}
	}

	describe("ioctl(%s, %s, %s)%s", file_name(fi), cmd_name(cmd), ptr_names[k], extra);
	ret = ioctl(f->fd, cmd, arg);
	check_ret(want, ret);
	if (ret < 0) {
		/* Known ioctls leave the argument untouched on failure... */
		if (cmd == SHMDEV_IOC_WAIT && k == P_BUF &&
		    memcmp(m.buf, m.buf + 128, sizeof(struct shmdev_wait)))
			data_fail("a failed WAIT changed its argument");
		/* ...and acknowledge nothing: poll still reports the news. */
		return;
	}

	switch (cmd) {
	case SHMDEV_IOC_SET_SIZE:
		model_resize(rg, val);
		break;
	case SHMDEV_IOC_GET_SIZE:
		if (*(uint64_t *)m.buf != rg->size)
			data_fail("size %" PRIu64 ", expected %" PRIu64,
				  *(uint64_t *)m.buf, rg->size);
		break;
	case SHMDEV_IOC_NOTIFY:
		rg->seq++;
		f->acked = rg->seq;
		if (*(uint64_t *)m.buf != rg->seq)
			data_fail("sequence %+" PRId64 ", expected %+" PRId64,
				  (int64_t)(*(uint64_t *)m.buf - rg->seq0),
				  (int64_t)(rg->seq - rg->seq0));
		break;
	case SHMDEV_IOC_WAIT:
		f->acked = rg->seq;
		if (((struct shmdev_wait *)m.buf)->seq != rg->seq)
			data_fail("sequence written back %+" PRId64 ", expected %+" PRId64,
				  (int64_t)(((struct shmdev_wait *)m.buf)->seq - rg->seq0),
				  (int64_t)(rg->seq - rg->seq0));
		break;
	case SHMDEV_IOC_GET_INFO:
		check_info(rg, f->reg, (const struct shmdev_info *)m.buf);
		check_ctrl_maps(f->reg);
		break;
	case SHMDEV_IOC_WAKE:
		/* Wakes, and leaves the sequence alone. */
		check_ctrl_maps(f->reg);
		break;
	case SHMDEV_IOC_PAGE_INFO: {
		const struct shmdev_page_query *q = (const void *)m.buf;

		if (q->count != val)
			data_fail("count %u, expected %" PRIu64, q->count, val);
		check_page_entries(rg, q->index, val);
		break;
	}
	}
}

/* ---- Mappings ---- */

/* What touching page @i of mapping @mm must do. */
static int touch_expect(const struct mmap_model *mm, uint64_t i, bool write)
{
	if (!(mm->prot & (PROT_READ | PROT_WRITE)) || (write && !(mm->prot & PROT_WRITE)))
		return SIGSEGV;
	/* The control page is there whatever the size. */
	if (!is_ctrl(mm) && mm->pgoff + i >= pages_of(m.reg[mm->reg].size))
		return SIGBUS;
	return -1;
}

static int probe(volatile unsigned char *p, bool write, unsigned char val,
		 unsigned char *got)
{
	int sig;

	probing = 1;
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		if (write)
			*p = val;
		else
			*got = *p;
		sig = -1;
	}
	probing = 0;
	return sig;
}

/*
 * A touch of a control mapping: a load of the sequence, which must be the
 * model's, or of a byte past the header, which must be 0; or a store,
 * which is the in-place notify: a sequentially consistent increment, then
 * WAKE through a writable file of the region if the page says a task may
 * wait. It acknowledges nothing for any file.
 */
static void fuzz_touch_ctrl(int slot)
{
	struct mmap_model *mm = &m.map[slot];
	volatile struct shmdev_ctrl *c = (volatile struct shmdev_ctrl *)mm->p;
	struct region_model *rg = &m.reg[mm->reg];
	bool write = R(2);
	uint64_t off = sizeof(struct shmdev_ctrl) + R(psz - sizeof(struct shmdev_ctrl));
	struct outcome want = { .sig = touch_expect(mm, 0, write) }, res = { 0 };
	volatile unsigned char got = 0;
	volatile uint64_t seq = 0;
	int wf;

	if (write)
		describe("notify in place(map%d)", slot);
	else
		describe("load(map%d control page)", slot);
	probing = 1;
	res.sig = sigsetjmp(probe_env, 1);
	if (!res.sig) {
		if (write) {
			seq = __atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
		} else {
			seq = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
			got = ((volatile unsigned char *)c)[off];
		}
		res.sig = -1;
	}
	probing = 0;
	check(&want, &res);
	if (res.sig != -1)
		return;
	if (write)
		rg->seq++;
	if (seq != rg->seq)
		data_fail("control page sequence %+" PRId64 ", expected %+" PRId64,
			  (int64_t)(seq - rg->seq0), (int64_t)(rg->seq - rg->seq0));
	if (!write && got)
		data_fail("control page byte %" PRIu64 " is 0x%02x, not 0", off, got);
	wf = writer_of(mm->reg);
	if (write && __atomic_load_n(&c->waiting, __ATOMIC_SEQ_CST) && wf >= 0) {
		describe("ioctl(%s, WAKE) after notify in place(map%d)", file_name(wf), slot);
		check_ret(ok(0), ioctl(m.file[wf].fd, SHMDEV_IOC_WAKE));
	}
}

static void fuzz_touch(int slot)
{
	struct mmap_model *mm = &m.map[slot];
	uint64_t i = R(4) ? R(mm->pages < 128 ? mm->pages : 128) : R(mm->pages);
	uint64_t off = R(3) ? R(psz) : R(2) * (psz - 1);
	uint64_t foff = (mm->pgoff + i) * psz + off;
	bool write = R(2);
	unsigned char val = (unsigned char)R(256), got = 0;
	struct outcome want = { .sig = touch_expect(mm, i, write) }, res = { 0 };

	if (is_ctrl(mm)) {
		fuzz_touch_ctrl(slot);
		return;
	}
	if (write)
		describe("store(map%d page %" PRIu64 " + %" PRIu64 ", 0x%02x)", slot, i, off, val);
	else
		describe("load(map%d page %" PRIu64 " + %" PRIu64 ")", slot, i, off);
	res.sig = probe((unsigned char *)mm->p + i * psz + off, write, val, &got);
	check(&want, &res);
	if (res.sig != -1)
		return;
	if (write) {
		model_write(&m.reg[mm->reg], foff, &val, 1);
	} else {
		if (mm->pgoff + i < SHADOW_PAGES)
			m.reg[mm->reg].resident[mm->pgoff + i] = true;
		model_check_read(&m.reg[mm->reg], foff, &got, 1);
	}
}

static void fuzz_mmap(int slot)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE };
	uint64_t max_pages = m.max_size / psz;
	int fi = pick_file();
	struct mfile *f = &m.file[fi];
	uint64_t pages = R(16) ? 1 + R(64) : 1 + R(1 << 18);
	uint64_t off;
	int prot = R(4) ? PROT_READ | PROT_WRITE : prots[R(4)];
	bool exec = !R(16);
	int flags;
	const char *fname;
	struct outcome want;
	char *p;

	switch (R(9)) {
	case 0: off = (max_pages - R(80)) * psz; break;
	case 1: off = R(1ULL << 40); break;	/* mostly unaligned */
	case 2:
		/* The control page: one page, mostly; or a page off it. */
		off = SHMDEV_CTRL_OFFSET + (R(4) ? 0 : R(3) * psz) - (R(8) ? 0 : psz);
		if (R(4))
			pages = 1;
		break;
	default: off = R(SHADOW_PAGES) * psz; break;
	}
	switch (R(10)) {
	case 0: flags = MAP_PRIVATE; fname = "PRIVATE"; break;
	case 1: flags = MAP_SHARED_VALIDATE; fname = "SHARED_VALIDATE"; break;
	case 2:
		if (pages <= 64) {
			flags = MAP_SHARED | MAP_POPULATE;
			fname = "SHARED|POPULATE";
			break;
		}
		/* fallthrough */
	default: flags = MAP_SHARED; fname = "SHARED"; break;
	}
	/*
	 * A writable private mapping is charged to the commit limit before
	 * the driver sees it: ENOMEM when larger than the VM's memory.
	 */
	if ((flags & MAP_TYPE) == MAP_PRIVATE && pages > 64)
		pages = 1 + pages % 64;

	if (off % psz)
		want = error(EINVAL);
	else if (!can_read(f->mode) ||
		 ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && !can_write(f->mode)))
		want = error(EACCES);
	else if ((flags & MAP_TYPE) == MAP_PRIVATE)
		want = error(EINVAL);
	else if (off / psz == CTRL_PGOFF)
		want = pages == 1 ? ok(0) : error(EINVAL);
	else if (off / psz + pages > max_pages)
		want = error(EINVAL);
	else
		want = ok(0);
	/*
	 * PROT_EXEC is refused (EPERM); only where no other check fails,
	 * since the module may make its check before or after those.
	 */
	if (exec && !want.err) {
		prot |= PROT_EXEC;
		want = error(EPERM);
	}

	describe("mmap(map%d, %" PRIu64 " pages, prot %d, %s, %s, page %" PRIu64 "%s)",
		 slot, pages, prot, fname, file_name(fi), off / psz,
		 off % psz ? " + unaligned" : "");
	p = mmap(NULL, pages * psz, prot, flags, f->fd, off);
	check_ret(want, p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	m.map[slot] = (struct mmap_model){
		.p = p, .reg = f->reg, .pages = pages, .pgoff = off / psz, .prot = prot,
		.maywrite = can_write(f->mode), .gen = f->gen,
	};
}

static void fuzz_map(void)
{
	static const struct { int advice; const char *name; } advice[] = {
		{ MADV_NORMAL, "NORMAL" }, { MADV_RANDOM, "RANDOM" },
		{ MADV_SEQUENTIAL, "SEQUENTIAL" }, { MADV_WILLNEED, "WILLNEED" },
		{ MADV_DONTNEED, "DONTNEED" }, { MADV_COLD, "COLD" },
		{ MADV_PAGEOUT, "PAGEOUT" }, { MADV_FREE, "FREE" },
		{ MADV_POPULATE_READ, "POPULATE_READ" },
		{ MADV_POPULATE_WRITE, "POPULATE_WRITE" },
	};
	int slot = R(NMAPS);
	struct mmap_model *mm = &m.map[slot];
	uint64_t op = R(10);

	if (!mm->p) {
		fuzz_mmap(slot);
		return;
	}
	if (op == 0) {
		describe("munmap(map%d)", slot);
		check_ret(ok(0), munmap(mm->p, mm->pages * psz));
		mm->p = NULL;
		region_gc();
	} else if (op == 1) {
		uint64_t npages = 1 + R(64);
		bool move = R(2);
		char *q;

		describe("mremap(map%d, %" PRIu64 " -> %" PRIu64 " pages%s)", slot,
			 mm->pages, npages, move ? ", MAYMOVE" : "");
		q = mremap(mm->p, mm->pages * psz, npages * psz, move ? MREMAP_MAYMOVE : 0);
		/* VM_DONTEXPAND: a shared mapping of the region never grows. */
		check_ret(npages > mm->pages ? error(EFAULT) : ok(0), q == MAP_FAILED ? -1 : 0);
		if (q != MAP_FAILED) {
			if (q != mm->p)
				data_fail("a shrinking mremap moved the mapping");
			mm->pages = npages;
		}
	} else if (op == 2) {
		int prot = R(4) | (R(8) ? 0 : PROT_EXEC);
		/* A mapping of the region may never become executable. */
		bool refused = ((prot & PROT_WRITE) && !mm->maywrite) || (prot & PROT_EXEC);

		describe("mprotect(map%d, prot %d)", slot, prot);
		check_ret(refused ? error(EACCES) : ok(0), mprotect(mm->p, mm->pages * psz, prot));
		if (!refused)
			mm->prot = prot;
	} else if (op == 3) {
		int a = R(sizeof(advice) / sizeof(advice[0]));
		uint64_t i = R(mm->pages < 128 ? mm->pages : 128), n = 1 + R(4);
		struct outcome want = ok(0);
		bool populate = advice[a].advice == MADV_POPULATE_READ ||
				advice[a].advice == MADV_POPULATE_WRITE;

		if (i + n > mm->pages)
			n = mm->pages - i;
		if (advice[a].advice == MADV_FREE) {
			want = error(EINVAL);	/* anonymous memory only */
		} else if (populate) {
			/* Not where the protection forbids: kernels differ there. */
			if (mm->prot != (PROT_READ | PROT_WRITE))
				a = 4;	/* DONTNEED instead */
			else if (!is_ctrl(mm) &&
				 mm->pgoff + i + n > pages_of(m.reg[mm->reg].size))
				want = error(EFAULT);
		}
		describe("madvise(map%d page %" PRIu64 ", %" PRIu64 " pages, %s)", slot, i, n,
			 advice[a].name);
		check_ret(want, madvise(mm->p + i * psz, n * psz, advice[a].advice));
		if (populate && a != 4 && !want.err)
			for (uint64_t j = mm->pgoff + i; j < mm->pgoff + i + n && j < SHADOW_PAGES; j++)
				m.reg[mm->reg].resident[j] = true;
	} else {
		for (int k = 0; k < 4; k++)
			fuzz_touch(slot);
	}
}

/* ---- read, write, lseek, poll ---- */

static struct outcome read_expect(const struct region_model *rg, int mode, enum ptr_kind k,
				  size_t len, uint64_t pos)
{
	uint64_t n;

	if (!can_read(mode))
		return error(EBADF);
	if (k == P_KERNEL)
		return error(EFAULT);	/* access_ok() */
	if (!len || pos >= rg->size)
		return ok(0);
	n = rg->size - pos < len ? rg->size - pos : len;
	return writable(k) >= n ? ok(n) : error(EFAULT);
}

/*
 * write(): page by page, each chunk's source faulted in first (EFAULT when
 * none of it is readable), then the size checked (ENOSPC), then copied
 * as far as the source is readable.
 */
static struct outcome write_expect(const struct region_model *rg, int mode, enum ptr_kind k,
				   size_t len, uint64_t pos)
{
	size_t rd = k == P_KERNEL ? 0 : readable(k, len), done = 0;
	int err = 0;

	if (!can_write(mode))
		return error(EBADF);
	if (k == P_KERNEL)
		return error(EFAULT);
	while (done < len) {
		size_t chunk = psz - pos % psz, bytes, copied;

		if (chunk > len - done)
			chunk = len - done;
		if (done >= rd) {
			err = EFAULT;
			break;
		}
		if (pos >= rg->size) {
			err = ENOSPC;
			break;
		}
		bytes = rg->size - pos < chunk ? rg->size - pos : chunk;
		copied = rd - done < bytes ? rd - done : bytes;
		pos += copied;
		done += copied;
	}
	return done ? ok(done) : err ? error(err) : ok(0);
}

static void fuzz_io(void)
{
	int fi = pick_file();
	struct mfile *f = &m.file[fi];
	struct region_model *rg = &m.reg[f->reg];
	enum ptr_kind k = pick_ptr();
	size_t len = R(3) ? R(BUF_SIZE + 1) : R(1 << 20);
	int64_t off;
	uint64_t op = R(6);
	struct outcome want;
	void *buf;
	long long ret;

	switch (R(8)) {
	case 0: off = -1 - (int64_t)R(1000); break;
	case 1: off = (int64_t)R(2 * m.max_size); break;
	case 2: off = (int64_t)(rg->size - R(2 * psz)); break;
	default: off = (int64_t)R(SHADOW_BYTES + psz); break;
	}
	if (k == P_BUF && len > BUF_SIZE)
		len = BUF_SIZE;
	buf = ptr_of(k, len);
	if (k == P_BUF && (op == 2 || op == 3))
		for (size_t i = 0; i < BUF_SIZE; i += 8)
			memcpy(m.buf + i, &(uint64_t){ sd_rng_next(&m.rng) }, 8);

	if (op == 0 || op == 1) {	/* read, pread */
		bool pos = op == 1;
		uint64_t at = pos ? (uint64_t)off : f->pos;

		describe("%s(%s, %s, %zu%s%" PRId64 ")", pos ? "pread" : "read", file_name(fi),
			 ptr_names[k], len, pos ? ", " : " at ", (int64_t)at);
		want = pos && off < 0 ? error(EINVAL) : read_expect(rg, f->mode, k, len, at);
		ret = pos ? pread(f->fd, buf, len, off) : read(f->fd, buf, len);
		check_ret(want, ret);
		if (ret > 0) {
			model_check_read(rg, at, m.buf, ret);
			if (!pos)
				f->pos += ret;
		}
	} else if (op == 2 || op == 3) {	/* write, pwrite */
		bool pos = op == 3;
		uint64_t at = pos ? (uint64_t)off : f->pos;

		describe("%s(%s, %s, %zu%s%" PRId64 ")", pos ? "pwrite" : "write", file_name(fi),
			 ptr_names[k], len, pos ? ", " : " at ", (int64_t)at);
		want = pos && off < 0 ? error(EINVAL) : write_expect(rg, f->mode, k, len, at);
		ret = pos ? pwrite(f->fd, buf, len, off) : write(f->fd, buf, len);
		check_ret(want, ret);
		if (ret > 0) {
			model_write(rg, at, k == P_BUF ? m.buf : NULL, ret);
			if (!pos)
				f->pos += ret;
		}
	} else if (op == 4) {		/* lseek */
		static const char *const whences[] = {
			"SET", "CUR", "END", "DATA", "HOLE", "5",
		};
		int whence = R(6);
		int64_t to = 0;

		if (whence == SEEK_CUR && R(4) == 0)
			off = 0;
		else if (whence == SEEK_CUR || whence == SEEK_END)
			off = (int64_t)R(2 * m.max_size) - (int64_t)m.max_size;
		switch (whence) {
		case SEEK_SET: to = off; break;
		case SEEK_CUR: to = (int64_t)f->pos + off; break;
		case SEEK_END: to = (int64_t)rg->size + off; break;
		case SEEK_DATA: to = off; break;
		case SEEK_HOLE: to = (int64_t)rg->size; break;
		}
		if (whence > SEEK_HOLE)
			want = error(EINVAL);
		else if (whence == SEEK_CUR && !off)
			want = ok(f->pos);
		else if ((whence == SEEK_DATA || whence == SEEK_HOLE) && (uint64_t)off >= rg->size)
			want = error(ENXIO);
		else if (to < 0 || (uint64_t)to > m.max_size)
			want = error(EINVAL);
		else
			want = ok(to);
		describe("lseek(%s at %" PRIu64 ", %" PRId64 ", SEEK_%s)", file_name(fi),
			 f->pos, off, whences[whence]);
		ret = lseek(f->fd, off, whence);
		check_ret(want, ret);
		if (ret >= 0)
			f->pos = ret;
	} else {			/* poll */
		struct pollfd p = {
			.fd = f->fd,
			.events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM,
		};
		bool news = f->acked != rg->seq;

		describe("poll(%s acked %+" PRId64 ")", file_name(fi),
			 (int64_t)(f->acked - rg->seq0));
		check_ret(ok(news), poll(&p, 1, 0));
		if (p.revents != (news ? POLLIN | POLLPRI | POLLRDNORM : 0))
			data_fail("revents 0x%x", p.revents);
	}
}

/* ---- Files and children ---- */

/*
 * Closes a device file and opens /dev/shmdev again in that slot, or
 * closes a region file (whose region may go away with it: see
 * region_gc()).
 */
static void fuzz_reopen(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	int fi = pick_file(), mode = modes[R(3)];
	struct mfile *f = &m.file[fi];

	if (f->reg) {
		close_file(fi);
		return;
	}
	describe("close(%s)", file_name(fi));
	check_ret(ok(0), close(f->fd));
	describe("open(f%d:%s)", fi, mode_name(mode));
	f->fd = open("/dev/shmdev", mode | O_CLOEXEC);
	check_ret(ok(0), f->fd < 0 ? -1 : 0);
	f->mode = mode;
	f->pos = 0;
	f->acked = m.reg[0].seq;
	f->gen = ++m.gens;
}

/*
 * Files of region @reg: the driver's, the others' (chaos workers'), and
 * those the driver closed that a mapping still holds.
 */
int model_files(int reg)
{
	int n = m.reg[reg].nfiles_other;

	for (int j = 0; j < NFILES; j++)
		n += m.file[j].fd >= 0 && m.file[j].reg == reg;
	for (int i = 0; i < NMAPS; i++) {
		bool counted = !m.map[i].p || m.map[i].reg != reg;

		for (int j = 0; j < NFILES && !counted; j++)
			counted = m.file[j].fd >= 0 && m.map[i].gen == m.file[j].gen;
		for (int j = 0; j < i && !counted; j++)
			counted = m.map[j].p && m.map[j].gen == m.map[i].gen;
		n += !counted;
	}
	return n;
}

/* The driver's mappings of region @reg's data (not its control page). */
int model_maps(int reg)
{
	int n = 0;

	for (int i = 0; i < NMAPS; i++)
		n += m.map[i].p && m.map[i].reg == reg && !is_ctrl(&m.map[i]);
	return n;
}

/* Pages of region @reg that are surely resident. */
int model_resident(int reg)
{
	int n = 0;

	for (int i = 0; i < SHADOW_PAGES; i++)
		n += m.reg[reg].resident[i];
	return n;
}

struct child_touch {
	int slot;
	uint64_t i, off;
	bool write;
	unsigned char val;	/* to store, or expected */
	int sig;
};

/*
 * A fork()ed child makes touches of the mappings it inherited, which the
 * model predicts (data included); the driver then sees its stores.
 */
static void fuzz_fork(void)
{
	struct child_touch t[8];
	const struct region_model *rg;
	struct outcome rd;
	int n = 0, fi;
	uint64_t at;
	pid_t pid;

	for (int k = 0; k < 8; k++) {
		int slot = R(NMAPS);
		struct mmap_model *mm = &m.map[slot];

		if (!mm->p)
			continue;
		t[n].slot = slot;
		t[n].i = R(mm->pages < 128 ? mm->pages : 128);
		t[n].off = R(psz);
		t[n].write = R(2);
		t[n].val = (unsigned char)R(256);
		/* A control page: a load of the sequence only. */
		if (is_ctrl(mm)) {
			t[n].i = 0;
			t[n].write = false;
		}
		t[n].sig = touch_expect(mm, t[n].i, t[n].write);
		n++;
	}
	/* And a pread() through an inherited file. */
	fi = pick_file();
	rg = &m.reg[m.file[fi].reg];
	at = R(SHADOW_BYTES - 64);
	rd = read_expect(rg, m.file[fi].mode, P_BUF, 64, at);
	describe("fork(%d touches, pread(%s, 64, %" PRIu64 ") = %lld)", n, file_name(fi), at,
		 rd.ret);
	pid = fork();
	if (pid == 0) {
		unsigned char buf[64];
		ssize_t got = pread(m.file[fi].fd, buf, sizeof(buf), at);

		if (got != rd.ret || (got > 0 && memcmp(buf, rg->shadow + at, got))) {
			fprintf(stderr, "shmdev-fuzz: child pread of %s at %" PRIu64 ": %zd, expected "
				"%lld%s\n", file_name(fi), at, got, rd.ret,
				got == rd.ret ? ", other bytes" : "");
			_exit(1);
		}
		for (int k = 0; k < n; k++) {
			struct mmap_model *mm = &m.map[t[k].slot];
			const unsigned char *shadow = m.reg[mm->reg].shadow;
			uint64_t foff = (mm->pgoff + t[k].i) * psz + t[k].off;
			unsigned char got = 0;
			int sig = probe((unsigned char *)mm->p + t[k].i * psz + t[k].off,
					t[k].write, t[k].val, &got);

			if (sig != t[k].sig) {
				fprintf(stderr, "shmdev-fuzz: child touch %d of map%d page %" PRIu64
					": expected %s, got %s\n", k, t[k].slot, t[k].i,
					t[k].sig == -1 ? "no signal" : strsignal(t[k].sig),
					sig == -1 ? "no signal" : strsignal(sig));
				_exit(1);
			}
			if (sig == -1 && is_ctrl(mm) &&
			    ((volatile struct shmdev_ctrl *)mm->p)->seq != m.reg[mm->reg].seq) {
				fprintf(stderr, "shmdev-fuzz: child load of map%d: not the sequence\n",
					t[k].slot);
				_exit(1);
			}
			if (sig == -1 && !t[k].write && foff < SHADOW_BYTES &&
			    got != shadow[foff]) {
				fprintf(stderr, "shmdev-fuzz: child load at offset %" PRIu64
					": expected 0x%02x, got 0x%02x\n", foff, shadow[foff], got);
				_exit(1);
			}
		}
		_exit(0);
	}
	if (pid < 0) {
		check_ret(ok(0), -1);
	} else if (!child_ok(pid)) {
		errno = ECHILD;	/* the child said what differed */
		check_ret(ok(0), -1);
	} else {
		check_ret(ok(0), 0);
	}
	for (int k = 0; k < n; k++) {
		struct mmap_model *mm = &m.map[t[k].slot];
		uint64_t foff = (mm->pgoff + t[k].i) * psz + t[k].off;

		if (t[k].sig != -1)
			continue;
		if (t[k].write)
			model_write(&m.reg[mm->reg], foff, &t[k].val, 1);
		else if (mm->pgoff + t[k].i < SHADOW_PAGES)
			m.reg[mm->reg].resident[mm->pgoff + t[k].i] = true;
	}
}

/* ---- Chaos workers ---- */

static bool documented(int err)
{
	static const int errs[] = {
		EINVAL, EFAULT, ENOTTY, EBADF, ETIMEDOUT, EACCES, ENOMEM,
		ENXIO, EOPNOTSUPP, 0
	};

	for (const int *e = errs; *e; e++)
		if (err == *e)
			return true;
	return false;
}

/*
 * Maps, touches, reads, polls and queries a read-only file of the region
 * while the driver resizes it; changes nothing the driver's model holds.
 * Exits 1 on an error the API does not document.
 */
static int chaos(int fd, uint64_t seed)
{
	struct { char *p; uint64_t pages; } map[4] = { { 0 } };
	struct shmdev_page_info pi[8];
	unsigned char buf[4096];
	struct sd_rng r;
	int bad = 0;

	sd_rng_seed(&r, seed);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (!*m.stop && bad < 10) {
		int s = sd_rng_below(&r, 4);
		long ret = 0;
		const char *what = "";

		switch (sd_rng_below(&r, 10)) {
		case 0:
			if (map[s].p) {
				munmap(map[s].p, map[s].pages * psz);
				map[s].p = NULL;
			} else {
				uint64_t pages = 1 + sd_rng_below(&r, 80);
				void *p = mmap(NULL, pages * psz, PROT_READ, MAP_SHARED, fd,
					       sd_rng_below(&r, SHADOW_PAGES) * psz);

				what = "mmap";
				ret = p == MAP_FAILED ? -1 : 0;
				if (p != MAP_FAILED) {
					map[s].p = p;
					map[s].pages = pages;
				}
			}
			break;
		case 1: case 2: case 3:
			if (map[s].p) {
				unsigned char got;

				for (int k = 0; k < 16; k++)
					probe((unsigned char *)map[s].p +
					      sd_rng_below(&r, map[s].pages * psz), false, 0, &got);
			}
			break;
		case 4:
			if (map[s].p) {
				static const int adv[] = {
					MADV_DONTNEED, MADV_PAGEOUT, MADV_COLD, MADV_WILLNEED,
					MADV_POPULATE_READ, MADV_RANDOM,
				};
				uint64_t i = sd_rng_below(&r, map[s].pages);

				what = "madvise";
				ret = madvise(map[s].p + i * psz,
					      (1 + sd_rng_below(&r, map[s].pages - i)) * psz,
					      adv[sd_rng_below(&r, 6)]);
				/* POPULATE_READ beyond the size: EFAULT */
			}
			break;
		case 5:
			if (map[s].p) {
				what = "mprotect";
				ret = mprotect(map[s].p, map[s].pages * psz,
					       sd_rng_below(&r, 2) ? PROT_READ : PROT_NONE);
			}
			break;
		case 6:
			what = "pread";
			ret = pread(fd, buf, sd_rng_below(&r, sizeof(buf)),
				    sd_rng_below(&r, SHADOW_BYTES + psz));
			break;
		case 7: {
			struct shmdev_page_query q = {
				.index = sd_rng_below(&r, SHADOW_PAGES), .pages = (uintptr_t)pi,
				.count = 8,
			};
			struct shmdev_info info;

			what = "ioctl";
			ret = ioctl(fd, sd_rng_below(&r, 2) ? SHMDEV_IOC_PAGE_INFO :
				    SHMDEV_IOC_GET_INFO, sd_rng_below(&r, 2) ? (void *)&q : (void *)&info);
			break;
		}
		case 8: {
			struct shmdev_wait w = { .seq = sd_rng_next(&r) };

			what = "WAIT";
			ret = ioctl(fd, SHMDEV_IOC_WAIT, &w);
			break;
		}
		default: {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			what = "poll";
			ret = poll(&p, 1, 0);
			break;
		}
		}
		if (ret < 0 && !documented(errno)) {
			fprintf(stderr, "shmdev-fuzz: chaos %s: undocumented %s\n", what,
				strerror(errno));
			bad++;
		}
	}
	return bad ? 1 : 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shmdev-fuzz [OPTIONS]\n"
		"Fuzzes /dev/shmdev from one process whose every call is checked against\n"
		"a model of the regions: the default one and named ones it creates under\n"
		"names of its own (shmdev-fuzz.PID.*, all unlinked at the end): the exact\n"
		"return value, data or errno, and for each touch of a mapping, no signal,\n"
		"SIGBUS or SIGSEGV. Stops at the first difference and exits 1; exit 2 for\n"
		"bad options.\n"
		"\n"
		"  --seed N          random seed (default: time and pid); the same seed\n"
		"                    makes the same calls with the same expected outcomes\n"
		"  --seconds S       run for S seconds (default 10)\n"
		"  --calls N         make N checked calls instead, whatever the time\n"
		"  --trace FILE      log each checked call and its expected outcome\n"
		"  --chaos N         N unchecked worker processes that map, touch, read\n"
		"                    and query a read-only file meanwhile (default 2)\n"
		"  --threads N       the same as --chaos N\n"
		"                    from the documented one: the length of a name\n"
		"                    before its '/', OPEN's size before the lookup\n"
		"  --min-rate R      with --seconds, fail when fewer than R checked calls\n"
		"                    per second were made (default %d)\n"
		"  -h, --help        this text\n", DEFAULT_MIN_RATE);
}

static int setup(void)
{
	struct shmdev_info info;
	unsigned long long max;
	uint64_t zero = 0, seq;

	if (read_u64("/sys/module/shmdev/parameters/max_size", &max)) {
		perror("shmdev-fuzz: /sys/module/shmdev/parameters/max_size");
		return -1;
	}
	m.max_size = max;
	for (int i = 0; i < NREGIONS; i++) {
		m.reg[i].shadow = calloc(SHADOW_PAGES, psz);
		if (!m.reg[i].shadow)
			return -1;
	}
	ro_page = mmap(NULL, 3 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, HOLE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (ro_page == MAP_FAILED || hole == MAP_FAILED)
		return -1;
	ro_page += psz;
	mprotect(ro_page, psz, PROT_READ);

	for (int i = NDEV; i < NFILES; i++)
		m.file[i].fd = -1;
	for (int i = 0; i < NDEV; i++) {
		m.file[i].mode = O_RDWR;
		m.file[i].gen = ++m.gens;
		m.file[i].fd = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
		if (m.file[i].fd < 0) {
			perror("shmdev-fuzz: /dev/shmdev");
			return -1;
		}
	}
	/*
	 * A known start: size 0 (no data), and a sequence that is not 0, so
	 * that a WAIT argument of zeroes (a read-only page) never matches it.
	 */
	if (ioctl(m.file[0].fd, SHMDEV_IOC_SET_SIZE, &zero) ||
	    ioctl(m.file[0].fd, SHMDEV_IOC_NOTIFY, &seq) ||
	    ioctl(m.file[0].fd, SHMDEV_IOC_GET_INFO, &info)) {
		perror("shmdev-fuzz: setting up the region");
		return -1;
	}
	m.reg[0] = (struct region_model){
		.used = true, .name = -1, .id = 1, .size = 0, .seq = info.seq,
		.seq0 = info.seq, .uid = 0, .gid = 0, .mode = 0600,
		.charged_uid = (uint32_t)-1, .nfiles_other = (int)info.nr_files - NDEV,
		.path = "/dev/shmdev", .shadow = m.reg[0].shadow,
	};
	for (int i = 0; i < NDEV; i++)
		m.file[i].acked = i ? seq - 1 : seq;
	m.root = geteuid() == 0;
	return names_setup();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "calls", required_argument, NULL, 'c' },
		{ "trace", required_argument, NULL, 'T' },
		{ "chaos", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 'n' },
		{ "min-rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
	unsigned long max_calls = 0;
	double seconds = 10, min_rate = DEFAULT_MIN_RATE, start, elapsed;
	const char *trace = NULL;
	int c, chaos_fd = -1;
	uint64_t zero = 0;

	m.seed = sd_fresh_seed();
	m.nchaos = 2;
	while ((c = getopt_long(argc, argv, "s:t:c:T:n:r:Lh", opts, NULL)) != -1) {
		switch (c) {
		case 's': m.seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 'c': max_calls = strtoul(optarg, NULL, 0); break;
		case 'T': trace = optarg; break;
		case 'n': m.nchaos = atoi(optarg); break;
		case 'r': min_rate = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || m.nchaos < 0 || m.nchaos > MAX_CHAOS || seconds <= 0) {
		usage(stderr);
		return 2;
	}
	if (trace) {
		m.trace = fopen(trace, "we");
		if (!m.trace) {
			perror(trace);
			return 2;
		}
	}
	psz = sysconf(_SC_PAGESIZE);
	sd_rng_seed(&m.rng, m.seed);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (max_calls)
		printf("shmdev-fuzz: seed %" PRIu64 ", %lu calls, %d chaos workers "
		       "(--seed %" PRIu64 " replays)\n", m.seed, max_calls, m.nchaos, m.seed);
	else
		printf("shmdev-fuzz: seed %" PRIu64 ", %.0f s, %d chaos workers "
		       "(--seed %" PRIu64 " replays)\n", m.seed, seconds, m.nchaos, m.seed);
	fflush(stdout);

	m.stop = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m.stop == MAP_FAILED) {
		m.stop = NULL;
		return 1;
	}
	if (m.nchaos) {
		chaos_fd = open("/dev/shmdev", O_RDONLY | O_CLOEXEC);
		if (chaos_fd < 0) {
			perror("shmdev-fuzz: /dev/shmdev");
			return 1;
		}
	}
	/* Before the driver opens its files: the workers hold only theirs. */
	for (int i = 0; i < m.nchaos; i++) {
		m.chaos[i] = fork();
		if (m.chaos[i] == 0)
			_exit(chaos(chaos_fd, m.seed ^ (0x5851f42d4c957f2dULL * (i + 1))));
	}
	if (setup()) {
		stop_chaos();
		return 1;
	}
	if (m.trace)
		fprintf(m.trace, "0 start: max_size %" PRIu64 ", %d other files, umask %03o\n",
			m.max_size, m.reg[0].nfiles_other, (unsigned int)m.umask);

	start = sd_now();
	while (max_calls ? m.calls < max_calls : sd_now() < start + seconds) {
		uint64_t op = R(100);

		if (op < 32)
			fuzz_ioctl();
		else if (op < 60)
			fuzz_map();
		else if (op < 86)
			fuzz_io();
		else if (op < 89)
			fuzz_reopen();
		else if (op < 91)
			fuzz_fork();
		else
			fuzz_names_op();
	}
	elapsed = sd_now() - start;

	stop_chaos();
	for (int i = 0; i < m.nchaos; i++)
		if (m.chaos[i] > 0 && !child_ok(m.chaos[i])) {
			fprintf(stderr, "shmdev-fuzz: chaos worker %d failed\n", i);
			fail_run();
		}
	for (int i = 0; i < NMAPS; i++)
		if (m.map[i].p)
			munmap(m.map[i].p, m.map[i].pages * psz);
	for (int i = 0; i < NFILES; i++)
		if (m.file[i].fd >= 0)
			close(m.file[i].fd);
	/* Free the pages: the driver's files may all be read-only by now. */
	c = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
	if (c < 0 || ioctl(c, SHMDEV_IOC_SET_SIZE, &zero))
		perror("shmdev-fuzz: emptying the region");
	if (c >= 0)
		close(c);
	names_finish();
	if (m.trace)
		fclose(m.trace);
	printf("shmdev-fuzz: %lu checked calls in %.1f s (%.0f/s), all as the model expected\n",
	       m.calls, elapsed, m.calls / elapsed);
	if (!max_calls && m.calls < min_rate * seconds) {
		fprintf(stderr, "shmdev-fuzz: FAIL: %lu calls, below the floor of %.0f/s x %.0f s\n",
			m.calls, min_rate, seconds);
		return 1;
	}
	return 0;
}
