// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench - cost of page faults on /dev/shmdev against memfd
 *
 * For each of shmdev and memfd (shmem), side by side and alternating:
 *   first touch: a write to each page of a fresh, empty mapping
 *                (allocation, zeroing, page cache insertion, PTE);
 *   resident:    a read of each page of a new mapping of pages that are
 *                already allocated (fault-around maps them in batches).
 * Prints every round, then the median ns per page and the ratio
 * shmdev / memfd (below 1.0: shmdev is faster).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmdev.h>

#include "bench.h"

enum { KIND_SHMDEV, KIND_MEMFD, NR_KINDS };
enum { TEST_FIRST, TEST_RESIDENT, NR_TESTS };

static const char *const kind_name[NR_KINDS] = { "shmdev", "memfd" };
static const char *const test_name[NR_TESTS] = { "first-touch write", "resident read" };

/* An empty object of @len bytes of the given kind, or -errno. */
static int make_empty(int kind, size_t len)
{
	int fd;

	if (kind == KIND_MEMFD) {
		fd = memfd_create("fault_bench", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, len)) {
			close(fd);
			return -errno;
		}
		return fd;
	}
	fd = open("/dev/shmdev", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	__u64 zero = 0, size = len;

	if (ioctl(fd, SHMDEV_IOC_SET_SIZE, &zero) ||
	    ioctl(fd, SHMDEV_IOC_SET_SIZE, &size)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Returns ns per page for both tests, or -errno. */
static int run_once(int kind, size_t len, long psz, double out[NR_TESTS])
{
	volatile char *p;
	double t0;
	int fd, sum = 0;

	fd = make_empty(kind, len);
	if (fd < 0)
		return fd;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	t0 = now_ns();
	for (size_t i = 0; i < len; i += psz)
		p[i] = 1;
	out[TEST_FIRST] = (now_ns() - t0) / (len / psz);
	munmap((void *)p, len);

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto err;
	t0 = now_ns();
	for (size_t i = 0; i < len; i += psz)
		sum += p[i];
	out[TEST_RESIDENT] = (now_ns() - t0) / (len / psz);
	munmap((void *)p, len);
	close(fd);
	return sum == (int)(len / psz) ? 0 : -EIO;
err:
	close(fd);
	return -errno;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: fault_bench [-s MIB] [-r ROUNDS]\n"
		"Measures ns per page of page faults on /dev/shmdev and on a memfd.\n"
		"  -s MIB     size of the mapping (default 32)\n"
		"  -r ROUNDS  rounds per kind, alternating (default 9)\n"
		"  -h         this help\n");
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t mib = 32;
	int rounds = 9, c;
	double *res[NR_KINDS][NR_TESTS];

	while ((c = getopt(argc, argv, "s:r:h")) != -1) {
		switch (c) {
		case 's':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!mib || rounds < 1) {
		usage(stderr);
		return 2;
	}

	for (int k = 0; k < NR_KINDS; k++)
		for (int t = 0; t < NR_TESTS; t++)
			res[k][t] = calloc(rounds, sizeof(double));

	printf("# %zu MiB, %d rounds, ns per page\n", mib, rounds);
	printf("# round kind first-touch resident\n");
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < NR_KINDS; i++) {
			/* Alternate which kind goes first. */
			int k = (r + i) % NR_KINDS;
			double out[NR_TESTS] = { 0 };
			int err = run_once(k, mib << 20, psz, out);

			if (err) {
				fprintf(stderr, "fault_bench: %s: %s\n",
					kind_name[k], strerror(-err));
				return 1;
			}
			for (int t = 0; t < NR_TESTS; t++)
				res[k][t][r] = out[t];
			printf("%d %s %.0f %.0f\n", r, kind_name[k],
			       out[TEST_FIRST], out[TEST_RESIDENT]);
		}
	}

	printf("\n%-18s %12s %12s %8s\n", "median ns/page", "shmdev", "memfd", "ratio");
	for (int t = 0; t < NR_TESTS; t++) {
		double s = median(res[KIND_SHMDEV][t], rounds);
		double m = median(res[KIND_MEMFD][t], rounds);

		printf("%-18s %12.0f %12.0f %8.2f\n", test_name[t], s, m, s / m);
	}
	return 0;
}
