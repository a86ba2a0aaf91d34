/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_normal.c — the ziggurat normal: moments, tail probabilities (including the tail sampler
 * beyond r = 3.654) and a chi-square fit over bins that straddle the layer edges.
 *
 * Tolerances: each estimate within 4 standard errors of its exact value (the SE of a frequency p
 * over N draws is √(p(1−p)/N)); the chi-square statistic within 5 standard deviations of its mean.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "asgd/normal.h"

#define N_DRAWS 8000000

Test(normal, moments_and_tails)
{
	asgd_rng r;
	const double t[] = { 0.5, 1, 2, 3, 3.654152885361009, 4, 4.5 };
	double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	uint64_t over[7] = { 0 };

	asgd_rng_init(&r, 11, 0);
	for (long i = 0; i < N_DRAWS; i++) {
		double x = asgd_normal(&r), ax = fabs(x);

		s1 += x;
		s2 += x * x;
		s3 += x * x * x;
		s4 += x * x * x * x;
		for (int j = 0; j < 7; j++)
			over[j] += ax > t[j];
	}
	/* Var x = 1, Var x² = 2, Var x³ = 15, Var x⁴ = 96 */
	cr_expect(fabs(s1 / N_DRAWS) < 4 * sqrt(1.0 / N_DRAWS), "mean %g", s1 / N_DRAWS);
	cr_expect(fabs(s2 / N_DRAWS - 1) < 4 * sqrt(2.0 / N_DRAWS), "E x^2 %g", s2 / N_DRAWS);
	cr_expect(fabs(s3 / N_DRAWS) < 4 * sqrt(15.0 / N_DRAWS), "E x^3 %g", s3 / N_DRAWS);
	cr_expect(fabs(s4 / N_DRAWS - 3) < 4 * sqrt(96.0 / N_DRAWS), "E x^4 %g", s4 / N_DRAWS);
	for (int j = 0; j < 7; j++) {
		double p = erfc(t[j] / sqrt(2)), f = (double)over[j] / N_DRAWS;

		cr_expect(fabs(f - p) < 4 * sqrt(p * (1 - p) / N_DRAWS), "P(|x| > %g) = %g, exact %g",
			  t[j], f, p);
	}
}

/* 400 equiprobable-width bins on [−5, 5] plus two tails: chi-square with 401 degrees of freedom. */
Test(normal, chi_square_fit)
{
	enum { BINS = 400 };
	const double lo = -5, hi = 5, w = (hi - lo) / BINS;
	static uint64_t count[BINS + 2];
	double chi2 = 0;
	asgd_rng r;

	asgd_rng_init(&r, 12, 3);
	for (long i = 0; i < N_DRAWS; i++) {
		double x = asgd_normal(&r);
		size_t b = x < lo ? 0 : x >= hi ? BINS + 1 : 1 + (size_t)((x - lo) / w);

		count[b < BINS + 2 ? b : BINS + 1]++;
	}
	for (size_t b = 0; b < BINS + 2; b++) {
		double a = b == 0 ? -INFINITY : lo + (double)(b - 1) * w;
		double z = b == BINS + 1 ? INFINITY : lo + (double)b * w;
		double p = 0.5 * (erfc(-z / sqrt(2)) - erfc(-a / sqrt(2))), e = p * N_DRAWS;

		chi2 += (count[b] - e) * (count[b] - e) / e;
	}
	cr_expect(chi2 < (BINS + 1) + 5 * sqrt(2.0 * (BINS + 1)), "chi2 = %g over %d dof", chi2,
		  BINS + 1);
}

/* A stream's normals depend only on its state: the same (seed, stream) gives the same values. */
Test(normal, reproducible)
{
	asgd_rng a, b;

	asgd_rng_init(&a, 5, 9);
	asgd_rng_init(&b, 5, 9);
	for (int i = 0; i < 100000; i++)
		cr_assert_eq(asgd_normal(&a), asgd_normal(&b));
}
