/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the benchmark programs, on top of shmdev_common.h: medians,
 * the order of the cases in each round, the @sample and @meta lines that
 * scripts/bench-report.py reads, and CPU pinning.
 *
 * Output lines:
 *   @meta KEY VALUE...
 *   @sample BENCH TEST KIND PARAM VALUE UNIT ROUND POS
 * ROUND counts from 0; POS is the case's place in that round's order, so
 * that a reader of the samples can check that the order changed.
 */

#ifndef SHMDEV_BENCH_H
#define SHMDEV_BENCH_H

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "shmdev_common.h"

static inline void bench_die(const char *what)
{
	perror(what);
	exit(1);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @v in place. */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * bench_order() - the order of the @n cases of the next round
 *
 * A seeded Fisher-Yates shuffle of 0..@n-1 into @order, drawn again while
 * it equals @prev, the previous round's order (ignored when @first): no
 * two consecutive rounds run the cases in the same order, and which case
 * runs first, and which runs after which, changes from round to round.
 * @prev gets the new order.
 */
static inline void bench_order(struct sd_rng *rng, int *order, int *prev,
			       int n, bool first)
{
	bool same;

	do {
		for (int i = 0; i < n; i++)
			order[i] = i;
		for (int i = n - 1; i > 0; i--) {
			int j = (int)sd_rng_below(rng, (uint64_t)i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		same = !first && n > 1 && !memcmp(order, prev, n * sizeof(*order));
	} while (same);
	memcpy(prev, order, n * sizeof(*order));
}

static inline void bench_sample(const char *bench, const char *test,
				const char *kind, unsigned long long param,
				double value, const char *unit, int round, int pos)
{
	printf("@sample %s %s %s %llu %.1f %s %d %d\n", bench, test, kind,
	       param, value, unit, round, pos);
	fflush(stdout);
}

/* What the report needs to say where the samples come from. */
static inline void bench_meta(const char *prog, uint64_t seed, int rounds)
{
	struct utsname u;

	if (!uname(&u))
		printf("@meta kernel %s\n", u.release);
	printf("@meta vcpus %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("@meta memory_kib %ld\n", meminfo_kb("MemTotal"));
	printf("@meta %s_seed %llu\n", prog, (unsigned long long)seed);
	printf("@meta %s_rounds %d\n", prog, rounds);
	fflush(stdout);
}

static inline void bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bench_die("sched_setaffinity");
}

/* Lets the caller run on every online CPU again, as an unpinned program. */
static inline void bench_unpin(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bench_die("sched_setaffinity");
}

#endif /* SHMDEV_BENCH_H */
