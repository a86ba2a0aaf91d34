/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_stats.h — the median the benchmarks report (header-only: each bench is one program).
 */
#ifndef ASGD_BENCH_STATS_H
#define ASGD_BENCH_STATS_H

#include <stdlib.h>
#include <string.h>

/* The most repetitions a benchmark keeps. */
#define BENCH_MAX_REPS 64

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n ≤ BENCH_MAX_REPS samples, @v left as it was. */
static inline double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), bench_cmp_double);
	return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

#endif /* ASGD_BENCH_STATS_H */
