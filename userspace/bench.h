/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the benchmark programs: medians, and a clock in double
 * nanoseconds on top of shmdev_common.h's.
 */

#ifndef SHMDEV_BENCH_H
#define SHMDEV_BENCH_H

#include <stdlib.h>

#include "shmdev_common.h"

static inline double now_ns(void)
{
	return (double)sd_now_ns();
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @v in place. */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* SHMDEV_BENCH_H */
