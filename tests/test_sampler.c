/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sampler.c — the alias table reproduces its pmf (exactly in its integer shares, and in a
 * chi-square test of draws), and the geometric table is the exact geometric law, tail included.
 * Stochastic checks use fixed seeds; tolerances are 4 standard errors or a chi-square quantile.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "asgd/error.h"
#include "asgd/sampler.h"

Test(sampler, alias_shares_equal_the_pmf)
{
	const double w[] = { 3, 0, 1, 2.5, 0.5, 0, 1e-9, 2 };
	const size_t n = sizeof(w) / sizeof(w[0]);
	double sum = 0;
	asgd_alias a;

	for (size_t i = 0; i < n; i++)
		sum += w[i];
	cr_assert_eq(asgd_alias_init(&a, w, n), ASGD_OK);
	cr_assert_eq(a.bits, 3);
	for (size_t i = 0; i < n; i++)
		cr_expect(fabs(asgd_alias_prob(&a, i) - w[i] / sum) < 1e-15, "cell %zu: %.17g vs %.17g",
			  i, asgd_alias_prob(&a, i), w[i] / sum);
	cr_expect_eq(asgd_alias_prob(&a, 1), 0.0);
	asgd_alias_free(&a);
}

Test(sampler, alias_draws_pass_chi_square)
{
	/* Not a power of two, so padding cells alias into the law; one outcome has weight 0. */
	const double w[] = { 0.1, 0.25, 0, 0.3, 0.05, 0.2, 0.1 };
	const size_t n = sizeof(w) / sizeof(w[0]), N = 1000000;
	uint64_t count[7] = { 0 };
	double chi2 = 0;
	asgd_alias a;
	asgd_rng r;

	cr_assert_eq(asgd_alias_init(&a, w, n), ASGD_OK);
	asgd_rng_init(&r, 11, 0);
	for (size_t k = 0; k < N; k++) {
		uint64_t i = asgd_alias_sample(&a, &r);

		cr_assert_lt(i, n);
		count[i]++;
	}
	cr_expect_eq(count[2], 0, "an outcome of weight 0 was drawn %llu times",
		     (unsigned long long)count[2]);
	for (size_t i = 0; i < n; i++) {
		double e = w[i] * (double)N;

		if (e > 0)
			chi2 += (count[i] - e) * (count[i] - e) / e;
	}
	/* 5 degrees of freedom (6 positive cells); P(chi2 > 25.7) = 1e-4. */
	cr_expect_lt(chi2, 25.7, "chi2 = %g", chi2);
	asgd_alias_free(&a);
}

/*
 * One draw for two variables: the outcome of asgd_alias_pick_spare and the spare low bits must be
 * independent, each with its own law: joint counts of (outcome, 2 spare bits) against the product
 * of the two laws, a chi-square over all 24 cells.
 */
Test(sampler, spare_bits_are_independent_of_the_outcome)
{
	const double w[] = { 0.1, 0.25, 0.3, 0.05, 0.2, 0.1 };
	const size_t n = sizeof(w) / sizeof(w[0]), N = 1200000;
	uint64_t count[6][4] = { { 0 } };
	double chi2 = 0;
	asgd_alias a;
	asgd_rng r;

	cr_assert_eq(asgd_alias_init(&a, w, n), ASGD_OK);
	asgd_rng_init(&r, 12, 0);
	for (size_t k = 0; k < N; k++) {
		uint64_t u = asgd_rng_next(&r), i = asgd_alias_pick_spare(&a, u, 2);

		cr_assert_lt(i, n);
		count[i][u & 3]++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < 4; j++) {
			double e = w[i] * 0.25 * (double)N;

			chi2 += (count[i][j] - e) * (count[i][j] - e) / e;
		}
	/* 23 df (24 cells, fixed total); P(chi2 > 52.6) = 5e-4 */
	cr_expect_lt(chi2, 52.6, "chi2 = %g", chi2);
	asgd_alias_free(&a);
}

Test(sampler, alias_rejects_bad_weights)
{
	const double neg[] = { 0.5, -0.1 }, zero[] = { 0, 0 }, nan_w[] = { 1, NAN };
	asgd_alias a;

	cr_expect_eq(asgd_alias_init(&a, neg, 2), ASGD_EINVAL);
	cr_expect_eq(asgd_alias_init(&a, zero, 2), ASGD_EINVAL);
	cr_expect_eq(asgd_alias_init(&a, nan_w, 2), ASGD_EINVAL);
	cr_expect_eq(asgd_alias_init(&a, neg, 0), ASGD_EINVAL);
	cr_expect_eq(asgd_alias_init(&a, neg, 1), ASGD_OK);	/* one outcome: always 0 */
	cr_expect_eq(asgd_alias_pick(&a, UINT64_MAX), 0);
	cr_expect_eq(asgd_alias_pick(&a, 0), 0);
	asgd_alias_free(&a);
}

Test(sampler, geometric_table_is_exact_including_the_tail)
{
	/* A short table (cut 16): the tail cell, P = 0.9^15 ≈ 0.21, is drawn often. */
	const double mu = 0.9;
	const size_t N = 400000;
	double s = 0, ss = 0, s4 = 0, mean, var, m_true = mu / (1 - mu), v_true = mu / ((1 - mu) * (1 - mu));
	uint64_t beyond = 0, *x = malloc(N * sizeof(*x));
	asgd_geom_table g;
	asgd_rng r;

	cr_assert_eq(asgd_geom_table_init(&g, mu, 16), ASGD_OK);
	asgd_rng_init(&r, 5, 1);
	for (size_t k = 0; k < N; k++) {
		x[k] = asgd_geom_table_sample(&g, &r);
		s += (double)x[k];
		beyond += x[k] >= 40;
	}
	mean = s / (double)N;
	for (size_t k = 0; k < N; k++) {
		double d = (double)x[k] - mean;

		ss += d * d;
		s4 += d * d * d * d;
	}
	var = ss / (double)(N - 1);
	/* 4 SE: of the mean sqrt(var/N), of the variance sd((L − mean)²)/sqrt(N). */
	cr_expect_lt(fabs(mean - m_true), 4 * sqrt(v_true / (double)N), "mean %g vs %g", mean, m_true);
	cr_expect_lt(fabs(var - v_true), 4 * sqrt((s4 / (double)N - var * var) / (double)N),
		     "var %g vs %g", var, v_true);
	/* Far past the table: P(L ≥ 40) = 0.9^40, a binomial count within 4 SE. */
	{
		double p = pow(mu, 40), e = p * (double)N;

		cr_expect_lt(fabs((double)beyond - e), 4 * sqrt(e * (1 - p)), "P(L>=40): %llu vs %g",
			     (unsigned long long)beyond, e);
	}
	free(x);
	asgd_geom_table_free(&g);
}

Test(sampler, geometric_cut)
{
	cr_expect_eq(asgd_geom_cut(0.0, 1e-12), 1);
	cr_expect_eq(asgd_geom_cut(0.9, 1e-12), 512);	/* 0.9^256 = 2e-12 > 1e-12 ≥ 0.9^512 */
	cr_expect_eq(asgd_geom_cut(0.5, 1e-12), 64);	/* 2^-32 > 1e-12 ≥ 2^-64 */
	cr_expect(pow(0.999, (double)asgd_geom_cut(0.999, 1e-12)) <= 1e-12);
}
