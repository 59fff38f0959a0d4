// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench - page-fault costs of /dev/shmdev against its alternatives
 *
 * Contenders: shmdev; memfd (shmem); SysV shm; anonymous MAP_SHARED;
 * memfd with transparent huge pages (where the kernel allows them).
 *
 * Fault tests, ns per 4 KiB page, each on a fresh object:
 *   first-touch write and first-touch read of an empty object; remap of
 *   resident pages (every page written through one mapping, which is
 *   dropped, then read through a new one: fault-around maps most of them);
 *   the same with writes through the new mapping (no fault-around: one
 *   call of the driver's fault handler per page, on a page it has);
 *   mmap(MAP_POPULATE).
 * Scaling (-x): mmap+munmap of a lazy region against its size, first-touch
 *   cost against the size (memfd-thp too), and N processes mapping and
 *   reading one populated region; shmdev and memfd.
 *
 * Each round runs every case (one contender, one test, one size) once, in
 * an order drawn from a seeded generator and never the previous round's,
 * so that drift and the after-effects of one case on the next hit all
 * contenders alike. Every sample is printed as a line
 * "@sample BENCH TEST KIND PARAM VALUE UNIT ROUND POS" (see bench.h), and
 * a table of medians ends the output. Data written is read back, so a
 * contender that loses a page fails the run.
 *
 * The memfd-thp contender needs shmem_enabled set to "advise"; when the
 * kernel offers that and it is set otherwise, fault_bench sets it and
 * puts the old value back when it exits, on an error or on a signal.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "bench.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define MAX_ROUNDS	64
#define MAX_CASES	128
#define MAX_PROCS	256
/* mmap+munmap pairs averaged into one scale-mmap sample. */
#define MMAP_REPS	16

enum kind { K_SHMDEV, K_MEMFD, K_SYSV, K_ANON, K_THP, NR_KINDS };
enum test { T_WRITE, T_READ, T_REMAP, T_REMAP_WRITE, T_POPULATE, NR_TESTS };

static const char *const kind_name[NR_KINDS] = {
	"shmdev", "memfd", "sysv", "anon-shared", "memfd-thp"
};
static const char *const test_name[NR_TESTS] = {
	"first-touch-write", "first-touch-read", "remap-resident",
	"remap-resident-write", "populate"
};

static long psz;
static bool thp_ok;

/*
 * The shmem THP setting found at start when fault_bench changed it, and
 * the process that changed it: only that one puts it back, not a forked
 * child that exits or dies.
 */
static char thp_saved[32];
static size_t thp_saved_len;
static pid_t thp_owner;

/* Async-signal-safe: called from atexit() and from signal handlers. */
static void thp_restore(void)
{
	int fd;

	if (!thp_saved_len || getpid() != thp_owner)
		return;
	fd = open(THP_SHMEM, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, thp_saved, thp_saved_len) != (ssize_t)thp_saved_len)
			thp_owner = 0;	/* nothing more can be done */
		close(fd);
	}
	thp_saved_len = 0;
}

static void thp_signal(int sig)
{
	thp_restore();
	/* SA_RESETHAND made the action the default: die of @sig. */
	raise(sig);
}

/*
 * Enables memfd-thp when the kernel has shmem THP: sets shmem_enabled to
 * "advise" (huge pages for mappings that ask with MADV_HUGEPAGE), after
 * arranging for the old value to be written back however the program ends
 * (SIGKILL aside).
 */
static void thp_setup(void)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGALRM, SIGUSR1,
		SIGUSR2, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGXCPU,
	};
	struct sigaction sa = { .sa_handler = thp_signal, .sa_flags = SA_RESETHAND };
	char buf[128] = "", *cur, *end;
	FILE *f = fopen(THP_SHMEM, "re");

	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* "always within_size advise [never] deny force": [] marks the current one. */
	cur = strchr(buf, '[');
	end = cur ? strchr(cur, ']') : NULL;
	if (!strstr(buf, "advise") || !end || end - cur - 1 >= (long)sizeof(thp_saved))
		return;
	*end = '\0';
	cur++;
	printf("@meta shmem_enabled %s\n", cur);
	if (!strcmp(cur, "advise")) {
		thp_ok = true;
		return;
	}
	thp_saved_len = strlen(cur);
	memcpy(thp_saved, cur, thp_saved_len + 1);
	thp_owner = getpid();
	if (atexit(thp_restore))
		bench_die("atexit");
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			bench_die("sigaction");
	if (write_text(THP_SHMEM, "advise")) {
		thp_saved_len = 0;
		return;
	}
	thp_ok = true;
	printf("# shmem_enabled: %s -> advise for memfd-thp, restored at exit\n", cur);
}

/* An object of @len bytes of @kind, attached at a new address. */
struct obj {
	enum kind kind;
	size_t len;
	int fd;		/* shmdev, memfd */
	int shmid;	/* sysv */
	char *p;
};

static void obj_create(struct obj *o, enum kind kind, size_t len)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->len = len;
	o->fd = -1;
	o->shmid = -1;
	switch (kind) {
	case K_SHMDEV: {
		__u64 zero = 0, size = len;

		o->fd = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
		if (o->fd < 0)
			bench_die("open /dev/shmdev");
		if (ioctl(o->fd, SHMDEV_IOC_SET_SIZE, &zero) ||
		    ioctl(o->fd, SHMDEV_IOC_SET_SIZE, &size))
			bench_die("SHMDEV_IOC_SET_SIZE");
		break;
	}
	case K_MEMFD:
	case K_THP:
		o->fd = memfd_create("fault_bench", MFD_CLOEXEC);
		if (o->fd < 0 || ftruncate(o->fd, len))
			bench_die("memfd");
		break;
	case K_SYSV:
		o->shmid = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		if (o->shmid < 0)
			bench_die("shmget");
		break;
	case K_ANON:
		break;
	default:
		break;
	}
}

/* Maps (or attaches) the object; @flags adds MAP_POPULATE and such. */
static void obj_map(struct obj *o, int flags)
{
	if (o->kind == K_SYSV) {
		o->p = shmat(o->shmid, NULL, 0);
		if (o->p == (void *)-1)
			bench_die("shmat");
		return;
	}
	if (o->kind == K_ANON)
		o->p = mmap(NULL, o->len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | flags, -1, 0);
	else
		o->p = mmap(NULL, o->len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | flags, o->fd, 0);
	if (o->p == MAP_FAILED)
		bench_die("mmap");
	if (o->kind == K_THP)
		madvise(o->p, o->len, MADV_HUGEPAGE);
}

static void obj_unmap(struct obj *o)
{
	if (o->kind == K_SYSV)
		shmdt(o->p);
	else
		munmap(o->p, o->len);
	o->p = NULL;
}

static void obj_destroy(struct obj *o)
{
	if (o->p)
		obj_unmap(o);
	/* The region outlives its files: free its pages for the next test. */
	if (o->kind == K_SHMDEV) {
		__u64 zero = 0;

		ioctl(o->fd, SHMDEV_IOC_SET_SIZE, &zero);
	}
	if (o->shmid >= 0)
		shmctl(o->shmid, IPC_RMID, NULL);
	if (o->fd >= 0)
		close(o->fd);
}

static bool test_applies(enum kind k, enum test t)
{
	if (k == K_THP && !thp_ok)
		return false;
	/* SysV has no MAP_POPULATE; an anonymous mapping dies with munmap. */
	if (k == K_SYSV && t == T_POPULATE)
		return false;
	if (k == K_ANON && (t == T_REMAP || t == T_REMAP_WRITE))
		return false;
	return true;
}

/* ns per page of one test on a fresh object of @kind. */
static double run_test(enum kind k, enum test t, size_t len)
{
	size_t pages = len / psz;
	unsigned long sum = 0;
	volatile char *p;
	uint64_t t0, dt;
	struct obj o;

	obj_create(&o, k, len);
	switch (t) {
	case T_WRITE:
		obj_map(&o, 0);
		p = o.p;
		t0 = sd_now_ns();
		for (size_t i = 0; i < len; i += psz)
			p[i] = 1;
		dt = sd_now_ns() - t0;
		break;
	case T_READ:
		obj_map(&o, 0);
		p = o.p;
		t0 = sd_now_ns();
		for (size_t i = 0; i < len; i += psz)
			sum += p[i];
		dt = sd_now_ns() - t0;
		if (sum)
			bench_die("first-touch read: not zero");
		break;
	case T_REMAP:
	case T_REMAP_WRITE:
		/* Every page written, the mapping dropped, a new one made. */
		obj_map(&o, 0);
		for (size_t i = 0; i < len; i += psz)
			o.p[i] = (char)(i / psz) | 1;
		obj_unmap(&o);
		obj_map(&o, 0);
		p = o.p;
		t0 = sd_now_ns();
		if (t == T_REMAP_WRITE) {
			for (size_t i = 0; i < len; i += psz)
				p[i + 1] = 2;
		} else {
			for (size_t i = 0; i < len; i += psz)
				sum += p[i] == ((char)(i / psz) | 1);
		}
		dt = sd_now_ns() - t0;
		if (t == T_REMAP_WRITE)
			for (size_t i = 0; i < len; i += psz)
				sum += p[i] == ((char)(i / psz) | 1);
		if (sum != pages) {
			fprintf(stderr, "fault_bench: %s lost data on remap\n", kind_name[k]);
			exit(1);
		}
		break;
	case T_POPULATE:
	default:
		t0 = sd_now_ns();
		obj_map(&o, MAP_POPULATE);
		dt = sd_now_ns() - t0;
		break;
	}
	obj_destroy(&o);
	return (double)dt / pages;
}

/* mmap+munmap of a lazy region, ns per pair: must not depend on its size. */
static double mmap_cost(enum kind k, size_t len)
{
	struct obj o;
	uint64_t t0, dt;

	obj_create(&o, k, len);
	t0 = sd_now_ns();
	for (int i = 0; i < MMAP_REPS; i++) {
		obj_map(&o, 0);
		obj_unmap(&o);
	}
	dt = sd_now_ns() - t0;
	obj_destroy(&o);
	return (double)dt / MMAP_REPS;
}

struct procs_arg {
	struct obj *o;
	int go[2];	/* EOF on go[0] means start */
};

static int procs_child(void *p)
{
	struct procs_arg *a = p;
	struct obj mine = *a->o;
	unsigned long sum = 0;
	char x;

	close(a->go[1]);
	if (read(a->go[0], &x, 1) < 0)
		return 1;
	mine.p = NULL;
	obj_map(&mine, 0);
	for (size_t i = 0; i < mine.len; i += psz)
		sum += ((volatile char *)mine.p)[i];
	return sum == mine.len / psz ? 0 : 1;
}

/*
 * @n processes each map a populated 16 MiB region and read every page;
 * ns per page per process, from the start of all to the end of the last.
 */
static double procs_cost(enum kind k, int n)
{
	const size_t len = 16 << 20;
	pid_t pids[MAX_PROCS];
	struct procs_arg a;
	uint64_t t0, dt;
	struct obj o;

	obj_create(&o, k, len);
	obj_map(&o, 0);
	for (size_t i = 0; i < len; i += psz)
		o.p[i] = 1;
	if (pipe(a.go))
		bench_die("pipe");
	a.o = &o;
	fflush(stdout);
	for (int c = 0; c < n; c++) {
		pids[c] = sd_spawn(procs_child, &a);
		if (pids[c] < 0)
			bench_die("fork");
	}
	close(a.go[0]);
	t0 = sd_now_ns();
	close(a.go[1]);	/* go: EOF for every child */
	if (sd_wait_all(pids, n))
		bench_die("process scaling: a child failed");
	dt = sd_now_ns() - t0;
	obj_destroy(&o);
	return (double)dt / ((double)n * (len / psz));
}

/* One measurement of a round. */
enum bench { B_FAULT, B_SCALE_MMAP, B_SCALE_FAULT, B_SCALE_PROCS };

struct fcase {
	enum bench bench;
	enum kind kind;
	enum test test;
	unsigned long param;	/* MiB, or processes */
};

static double fault_v[NR_KINDS][NR_TESTS][MAX_ROUNDS];

static void run_case(const struct fcase *c, size_t fault_mib, int round, int pos)
{
	double v;

	switch (c->bench) {
	case B_FAULT:
		v = run_test(c->kind, c->test, fault_mib << 20);
		fault_v[c->kind][c->test][round] = v;
		bench_sample("fault", test_name[c->test], kind_name[c->kind],
			     fault_mib, v, "ns/page", round, pos);
		break;
	case B_SCALE_MMAP:
		bench_sample("scale-mmap", "mmap+munmap", kind_name[c->kind], c->param,
			     mmap_cost(c->kind, c->param << 20), "ns", round, pos);
		break;
	case B_SCALE_FAULT:
		bench_sample("scale-fault", "first-touch-write", kind_name[c->kind],
			     c->param, run_test(c->kind, T_WRITE, c->param << 20),
			     "ns/page", round, pos);
		break;
	case B_SCALE_PROCS:
		bench_sample("scale-procs", "map+read", kind_name[c->kind], c->param,
			     procs_cost(c->kind, (int)c->param), "ns/page", round, pos);
		break;
	}
}

static void print_matrix(size_t mib, int rounds)
{
	printf("\n# fault cost, %zu MiB, %d rounds: median ns/page [min-max]\n",
	       mib, rounds);
	printf("%-18s", "test");
	for (int k = 0; k < NR_KINDS; k++)
		printf(" %20s", kind_name[k]);
	printf("\n");
	for (int t = 0; t < NR_TESTS; t++) {
		printf("%-18s", test_name[t]);
		for (int k = 0; k < NR_KINDS; k++) {
			char cell[48] = "n/a";

			if (test_applies(k, t)) {
				double *v = fault_v[k][t], m = median(v, rounds);

				snprintf(cell, sizeof(cell), "%.0f [%.0f-%.0f]",
					 m, v[0], v[rounds - 1]);
			}
			printf(" %20s", cell);
		}
		printf("\n");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: fault_bench [-s MIB] [-r ROUNDS] [-x] [-M MIB] [-P N] [-S SEED]\n"
		"Page-fault costs of /dev/shmdev against memfd, SysV shm, anonymous\n"
		"MAP_SHARED and memfd with THP.\n"
		"  -s MIB     size of each object of the fault tests (default 32)\n"
		"  -r ROUNDS  rounds, each running every case once in a new order\n"
		"             (default 7, at most 64)\n"
		"  -x         also the scaling runs (size, processes)\n"
		"  -M MIB     largest size of the scaling runs (default 256; the\n"
		"             module's max_size must allow it)\n"
		"  -P N       most processes of the scaling runs (default 64, at\n"
		"             most 256)\n"
		"  -S SEED    seed of the order of the cases (default: from the clock)\n"
		"  -h         this help\n"
		"When shmem THP is available but not set to \"advise\", it is set for the\n"
		"run and restored at exit.\n");
}

int main(int argc, char **argv)
{
	static struct fcase cases[MAX_CASES];
	int order[MAX_CASES], prev[MAX_CASES];
	size_t mib = 32, max_mib = 256;
	int rounds = 7, max_procs = 64, c, n = 0;
	uint64_t seed = sd_fresh_seed();
	bool scaling = false;
	struct sd_rng rng;

	while ((c = getopt(argc, argv, "s:r:xM:P:S:h")) != -1) {
		switch (c) {
		case 's':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'x':
			scaling = true;
			break;
		case 'M':
			max_mib = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			max_procs = atoi(optarg);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!mib || rounds < 1 || rounds > MAX_ROUNDS || !max_mib ||
	    max_procs < 1 || max_procs > MAX_PROCS) {
		usage(stderr);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	bench_meta("fault_bench", seed, rounds);
	thp_setup();
	if (!thp_ok) {
		printf("@meta shmem_thp absent\n");
		printf("# memfd-thp: skipped: this kernel offers no shmem THP (%s is\n"
		       "# missing or has no \"advise\", as on PREEMPT_RT kernels), so there\n"
		       "# is no memfd-thp figure and no target against it\n", THP_SHMEM);
	}

	for (int k = 0; k < NR_KINDS; k++)
		for (int t = 0; t < NR_TESTS; t++)
			if (test_applies(k, t))
				cases[n++] = (struct fcase){ B_FAULT, k, t, mib };
	for (size_t m = 1; scaling && m <= max_mib; m *= 4) {
		for (int k = K_SHMDEV; k <= K_MEMFD; k++) {
			cases[n++] = (struct fcase){ B_SCALE_MMAP, k, T_WRITE, m };
			cases[n++] = (struct fcase){ B_SCALE_FAULT, k, T_WRITE, m };
		}
		if (thp_ok)
			cases[n++] = (struct fcase){ B_SCALE_FAULT, K_THP, T_WRITE, m };
	}
	for (int p = 1; scaling && p <= max_procs; p *= 4)
		for (int k = K_SHMDEV; k <= K_MEMFD; k++)
			cases[n++] = (struct fcase){ B_SCALE_PROCS, k, T_READ, p };

	sd_rng_seed(&rng, seed);
	for (int r = 0; r < rounds; r++) {
		bench_order(&rng, order, prev, n, r == 0);
		for (int i = 0; i < n; i++)
			run_case(&cases[order[i]], mib, r, i);
		fprintf(stderr, "fault_bench: round %d of %d done\n", r + 1, rounds);
	}
	print_matrix(mib, rounds);
	return 0;
}
