// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench - page-fault costs of /dev/shmdev against its alternatives
 *
 * Contenders: shmdev; memfd (shmem); SysV shm; anonymous MAP_SHARED;
 * memfd with transparent huge pages (where the kernel allows them).
 *
 * Fault tests, ns per 4 KiB page, each on a fresh, empty object:
 *   first-touch write, first-touch read, remap of resident pages (a new
 *   mapping of populated pages), and mmap(MAP_POPULATE).
 * Scaling (-x): mmap+munmap cost against the region size, first-touch cost
 *   against the size, and N processes mapping and reading one populated
 *   region.
 *
 * Rounds interleave the contenders, rotating who goes first. Every sample
 * is printed as a line "@sample BENCH TEST KIND PARAM VALUE UNIT", and a
 * table of medians ends the output. The data written is read back, so a
 * contender that loses a page fails the run.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

enum kind { K_SHMDEV, K_MEMFD, K_SYSV, K_ANON, K_THP, NR_KINDS };
enum test { T_WRITE, T_READ, T_REMAP, T_POPULATE, NR_TESTS };

static const char *const kind_name[NR_KINDS] = {
	"shmdev", "memfd", "sysv", "anon-shared", "memfd-thp"
};
static const char *const test_name[NR_TESTS] = {
	"first-touch-write", "first-touch-read", "remap-resident", "populate"
};

static long psz;
static bool thp_ok;

static void die(const char *what)
{
	perror(what);
	exit(1);
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
			die("open /dev/shmdev");
		if (ioctl(o->fd, SHMDEV_IOC_SET_SIZE, &zero) ||
		    ioctl(o->fd, SHMDEV_IOC_SET_SIZE, &size))
			die("SHMDEV_IOC_SET_SIZE");
		break;
	}
	case K_MEMFD:
	case K_THP:
		o->fd = memfd_create("fault_bench", MFD_CLOEXEC);
		if (o->fd < 0 || ftruncate(o->fd, len))
			die("memfd");
		break;
	case K_SYSV:
		o->shmid = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		if (o->shmid < 0)
			die("shmget");
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
			die("shmat");
		return;
	}
	if (o->kind == K_ANON)
		o->p = mmap(NULL, o->len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | flags, -1, 0);
	else
		o->p = mmap(NULL, o->len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | flags, o->fd, 0);
	if (o->p == MAP_FAILED)
		die("mmap");
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
	if (k == K_ANON && t == T_REMAP)
		return false;
	return true;
}

static void sample(const char *bench, const char *test, const char *kind,
		   unsigned long long param, double value, const char *unit)
{
	printf("@sample %s %s %s %llu %.1f %s\n", bench, test, kind, param, value, unit);
}

/* ns per page of one test on a fresh object of @kind. */
static double run_test(enum kind k, enum test t, size_t len)
{
	volatile char *p;
	struct obj o;
	double t0, dt;
	size_t pages = len / psz;
	unsigned long sum = 0;

	obj_create(&o, k, len);
	switch (t) {
	case T_WRITE:
		obj_map(&o, 0);
		p = o.p;
		t0 = now_ns();
		for (size_t i = 0; i < len; i += psz)
			p[i] = 1;
		dt = now_ns() - t0;
		break;
	case T_READ:
		obj_map(&o, 0);
		p = o.p;
		t0 = now_ns();
		for (size_t i = 0; i < len; i += psz)
			sum += p[i];
		dt = now_ns() - t0;
		if (sum)
			die("first-touch read: not zero");
		break;
	case T_REMAP:
		obj_map(&o, 0);
		for (size_t i = 0; i < len; i += psz)
			o.p[i] = (char)(i / psz) | 1;
		obj_unmap(&o);
		obj_map(&o, 0);
		p = o.p;
		t0 = now_ns();
		for (size_t i = 0; i < len; i += psz)
			sum += p[i] == ((char)(i / psz) | 1);
		dt = now_ns() - t0;
		if (sum != pages) {
			fprintf(stderr, "fault_bench: %s lost data on remap\n", kind_name[k]);
			exit(1);
		}
		break;
	case T_POPULATE:
	default:
		t0 = now_ns();
		obj_map(&o, MAP_POPULATE);
		dt = now_ns() - t0;
		break;
	}
	obj_destroy(&o);
	return dt / pages;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void fault_matrix(size_t len, int rounds)
{
	static double v[NR_KINDS][NR_TESTS][64];

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < NR_KINDS; i++) {
			enum kind k = (r + i) % NR_KINDS;

			for (int t = 0; t < NR_TESTS; t++) {
				if (!test_applies(k, t))
					continue;
				v[k][t][r] = run_test(k, t, len);
				sample("fault", test_name[t], kind_name[k], len >> 20,
				       v[k][t][r], "ns/page");
			}
		}
	}

	printf("\n# fault cost, %zu MiB, %d rounds: median ns/page [min-max]\n",
	       len >> 20, rounds);
	printf("%-18s", "test");
	for (int k = 0; k < NR_KINDS; k++)
		printf(" %20s", kind_name[k]);
	printf("\n");
	for (int t = 0; t < NR_TESTS; t++) {
		printf("%-18s", test_name[t]);
		for (int k = 0; k < NR_KINDS; k++) {
			char cell[32] = "n/a";

			if (test_applies(k, t)) {
				qsort(v[k][t], rounds, sizeof(double), cmp_d);
				snprintf(cell, sizeof(cell), "%.0f [%.0f-%.0f]",
					 median(v[k][t], rounds), v[k][t][0],
					 v[k][t][rounds - 1]);
			}
			printf(" %20s", cell);
		}
		printf("\n");
	}
}

/* mmap+munmap of a lazy region: must not depend on its size. */
static void scale_mmap(int rounds, size_t max_mib)
{
	for (int r = 0; r < rounds; r++) {
		for (size_t mib = 1; mib <= max_mib; mib *= 4) {
			for (int k = K_SHMDEV; k <= K_MEMFD; k++) {
				struct obj o;
				double t0;

				obj_create(&o, k, mib << 20);
				t0 = now_ns();
				obj_map(&o, 0);
				obj_unmap(&o);
				sample("scale-mmap", "mmap+munmap", kind_name[k], mib,
				       now_ns() - t0, "ns");
				obj_destroy(&o);
			}
		}
	}
}

/* First-touch write cost per page against the size. */
static void scale_fault(int rounds, size_t max_mib)
{
	for (int r = 0; r < rounds; r++)
		for (size_t mib = 1; mib <= max_mib; mib *= 4)
			for (int k = K_SHMDEV; k <= K_MEMFD; k++)
				sample("scale-fault", "first-touch-write", kind_name[k], mib,
				       run_test(k, T_WRITE, mib << 20), "ns/page");
}

/*
 * N processes each map a populated 16 MiB region and read every page;
 * ns per page per process, from the start of all to the end of the last.
 */
static void scale_procs(int rounds, int max_procs)
{
	const size_t len = 16 << 20;

	for (int r = 0; r < rounds; r++) {
		for (int n = 1; n <= max_procs; n *= 4) {
			for (int k = K_SHMDEV; k <= K_MEMFD; k++) {
				int go[2];
				struct obj o;
				double t0;

				obj_create(&o, k, len);
				obj_map(&o, 0);
				for (size_t i = 0; i < len; i += psz)
					o.p[i] = 1;
				if (pipe(go))
					die("pipe");
				for (int c = 0; c < n; c++) {
					pid_t pid = fork();

					if (pid < 0)
						die("fork");
					if (pid == 0) {
						struct obj mine = o;
						unsigned long sum = 0;
						char x;

						close(go[1]);
						if (read(go[0], &x, 1) < 0)
							_exit(1);
						mine.p = NULL;
						obj_map(&mine, 0);
						for (size_t i = 0; i < len; i += psz)
							sum += ((volatile char *)mine.p)[i];
						_exit(sum == len / psz ? 0 : 1);
					}
				}
				close(go[0]);
				t0 = now_ns();
				close(go[1]);	/* go: EOF for every child */
				for (int c = 0; c < n; c++) {
					int st;

					if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
						die("process scaling: a child failed");
				}
				sample("scale-procs", "map+read", kind_name[k], n,
				       (now_ns() - t0) / ((double)n * (len / psz)), "ns/page");
				obj_destroy(&o);
			}
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: fault_bench [-s MIB] [-r ROUNDS] [-x] [-M MIB] [-P N]\n"
		"Page-fault costs of /dev/shmdev against memfd, SysV shm, anonymous\n"
		"MAP_SHARED and memfd with THP.\n"
		"  -s MIB     size of each object (default 32)\n"
		"  -r ROUNDS  rounds, contenders interleaved (default 7)\n"
		"  -x         also the scaling runs (size, processes)\n"
		"  -M MIB     largest size of the scaling runs (default 256; the\n"
		"             module's max_size must allow it)\n"
		"  -P N       most processes of the scaling runs (default 64)\n"
		"  -h         this help\n");
}

static void detect_thp(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r+");
	char buf[128] = "";

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && strstr(buf, "advise")) {
		/* "advise": huge pages for mappings that ask with MADV_HUGEPAGE. */
		rewind(f);
		thp_ok = fputs("advise", f) >= 0;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t mib = 32, max_mib = 256;
	int rounds = 7, max_procs = 64, c;
	bool scaling = false;

	while ((c = getopt(argc, argv, "s:r:xM:P:h")) != -1) {
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
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!mib || rounds < 1 || rounds > 64 || !max_mib || max_procs < 1) {
		usage(stderr);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	detect_thp();
	if (!thp_ok)
		printf("# memfd-thp: no shmem THP on this kernel; skipped\n");

	fault_matrix(mib << 20, rounds);
	if (scaling) {
		scale_mmap(rounds, max_mib);
		scale_fault(rounds, max_mib);
		scale_procs(rounds, max_procs);
	}
	return 0;
}
