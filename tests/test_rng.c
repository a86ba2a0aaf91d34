/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_rng.c — the random streams: the xoshiro256** reference output, moments of every variate
 * against closed forms, unbiasedness of asgd_rng_below, stream independence and reproducibility,
 * and a chi-square test of the geometric law.
 *
 * Tolerances: an estimate passes when it is within 4 standard errors of the truth. For a sample
 * mean of n draws SE = σ/√n; for the (unbiased) sample variance SE = √((μ4 − σ⁴)/n), μ4 the
 * fourth central moment; for a frequency SE = √(p(1 − p)/n). Seeds are fixed, so each test is
 * deterministic; 4 SE makes a false failure (for a correct generator) a ~6e-5 event per check.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>

#include "asgd/rng.h"
#include "asgd/welford.h"

#define N_MOMENT 1000000

/* Assert mean and variance within 4 SE; kurt = μ4/σ⁴ of the law, so SE(var) = σ²√((kurt−1)/n). */
static void check_moments(const asgd_welford *m, double mean, double var, double kurt,
			  const char *what)
{
	double n = (double)m->n;
	double se_mean = sqrt(var / n);
	double se_var = var * sqrt((kurt - 1.0) / n);

	/* one-pass mean and variance (asgd/welford.h): the variance check has no cancellation */
	cr_expect(fabs(asgd_welford_mean(m) - mean) < 4.0 * se_mean, "%s: mean %.6g, expected %.6g "
		  "± %.3g", what, asgd_welford_mean(m), mean, 4.0 * se_mean);
	cr_expect(fabs(asgd_welford_var(m) - var) < 4.0 * se_var, "%s: var %.6g, expected %.6g ± "
		  "%.3g", what, asgd_welford_var(m), var, 4.0 * se_var);
}

/* The reference sequence of xoshiro256** from the state {1, 2, 3, 4} (as in the authors' code and
 * Rust's rand_xoshiro tests): catches any slip in the shifts and rotations. */
Test(rng, xoshiro_reference_output)
{
	static const uint64_t want[] = { 11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL,
					 1216172134540287360ULL, 607988272756665600ULL };
	asgd_rng r = { { 1, 2, 3, 4 } };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_eq(asgd_rng_next(&r), want[i], "output %zu", i);
}

/* U[0,1): mean 1/2, variance 1/12, μ4 = 1/80, so kurt = 144/80 = 9/5. */
Test(rng, uniform_moments_and_range)
{
	asgd_rng r;
	asgd_welford m = { 0 };

	asgd_rng_init(&r, 1, 0);
	for (int i = 0; i < N_MOMENT; i++) {
		double u = asgd_rng_uniform(&r);

		cr_assert(u >= 0.0 && u < 1.0);
		/* 53 bits: u·2^53 is an integer. */
		cr_assert_eq(u * 0x1.0p53, floor(u * 0x1.0p53));
		asgd_welford_add(&m, u);
	}
	check_moments(&m, 0.5, 1.0 / 12.0, 9.0 / 5.0, "uniform");
}

/* N(0,1): mean 0, variance 1, kurt 3; and the shape through P(X ≤ 1) = Φ(1), a frequency. */
Test(rng, normal_moments_and_cdf)
{
	asgd_rng r;
	asgd_welford m = { 0 };
	uint64_t below_one = 0;

	asgd_rng_init(&r, 2, 0);
	for (int i = 0; i < N_MOMENT; i++) {
		double x = asgd_rng_normal(&r);

		cr_assert(isfinite(x));
		below_one += x <= 1.0;
		asgd_welford_add(&m, x);
	}
	check_moments(&m, 0.0, 1.0, 3.0, "normal");

	double p = gsl_cdf_ugaussian_P(1.0);
	double freq = (double)below_one / N_MOMENT;
	double se = sqrt(p * (1.0 - p) / N_MOMENT);

	cr_expect(fabs(freq - p) < 4.0 * se, "P(X<=1) %.6f, expected %.6f ± %.3g", freq, p, 4 * se);
}

/* Exponential of mean m: variance m², μ4 = 9m⁴, kurt 9. */
Test(rng, exponential_moments)
{
	const double mean = 2.5;
	asgd_rng r;
	asgd_welford m = { 0 };

	asgd_rng_init(&r, 3, 0);
	for (int i = 0; i < N_MOMENT; i++) {
		double x = asgd_rng_exponential(&r, mean);

		cr_assert(x >= 0.0 && isfinite(x));
		asgd_welford_add(&m, x);
	}
	check_moments(&m, mean, mean * mean, 9.0, "exponential");
}

/* Geometric P(L=l) = (1−μ)μ^l: mean μ/(1−μ), variance μ/(1−μ)², and (negative binomial with r = 1,
 * p = 1 − μ) excess kurtosis 6 + (1−μ)²/μ, so kurt = 9 + (1−μ)²/μ. */
Test(rng, geometric_moments)
{
	static const double mus[] = { 0.5, 0.9, 0.97 };

	for (size_t k = 0; k < sizeof(mus) / sizeof(mus[0]); k++) {
		double mu = mus[k];
		asgd_rng r;
		asgd_welford m = { 0 };
		char what[32];

		asgd_rng_init(&r, 4, k);
		for (int i = 0; i < N_MOMENT; i++)
			asgd_welford_add(&m, (double)asgd_rng_geometric(&r, mu));
		snprintf(what, sizeof(what), "geometric(%.2f)", mu);
		check_moments(&m, mu / (1 - mu), mu / ((1 - mu) * (1 - mu)),
			      9.0 + (1 - mu) * (1 - mu) / mu, what);
	}
}

Test(rng, geometric_mu_zero_is_zero)
{
	asgd_rng r;

	asgd_rng_init(&r, 5, 0);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(asgd_rng_geometric(&r, 0.0), 0);
}

/*
 * Chi-square goodness of fit of the geometric pmf. Bins l = 0, 1, ... while the bin's expected
 * count is ≥ 5 and so is the tail after it; the tail is one "≥ L" bin. μ is known (not fitted), so
 * df = bins − 1. A correct generator gives p ~ U(0,1); we ask p > 1e-4.
 */
static double geometric_chi2_p(double mu, uint64_t seed, unsigned *bins_out)
{
	enum { NMAX = 4096 };
	const uint64_t n = N_MOMENT;
	static uint64_t counts[NMAX];
	asgd_rng r;

	for (size_t i = 0; i < NMAX; i++)
		counts[i] = 0;
	asgd_rng_init(&r, seed, 0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t l = asgd_rng_geometric(&r, mu);

		counts[l < NMAX - 1 ? l : NMAX - 1]++;
	}

	double stat = 0.0, tail = (double)n; /* tail: expected count of L ≥ l */
	uint64_t seen = 0;
	unsigned bins = 0;
	uint64_t l = 0;

	for (;; l++) {
		double e = tail * (1.0 - mu);

		if (e < 5.0 || tail - e < 5.0)
			break;
		cr_assert_lt(l, NMAX - 1);
		stat += ((double)counts[l] - e) * ((double)counts[l] - e) / e;
		seen += counts[l];
		tail -= e;
		bins++;
	}
	double o = (double)(n - seen);

	stat += (o - tail) * (o - tail) / tail;
	bins++;
	*bins_out = bins;
	return gsl_cdf_chisq_Q(stat, bins - 1);
}

Test(rng, geometric_chi_square)
{
	static const double mus[] = { 0.5, 0.9, 0.97 };

	for (size_t k = 0; k < sizeof(mus) / sizeof(mus[0]); k++) {
		unsigned bins;
		double p = geometric_chi2_p(mus[k], 6 + k, &bins);

		cr_assert_gt(bins, 10, "mu %.2f: only %u bins", mus[k], bins);
		cr_expect_gt(p, 1e-4, "mu %.2f: chi-square p = %.3g over %u bins", mus[k], p, bins);
	}
}

/* Each outcome of asgd_rng_below(n) has frequency 1/n, within 4·√(p(1−p)/N). */
Test(rng, below_small_n_uniform)
{
	static const uint64_t ns[] = { 3, 7, 10 };

	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		uint64_t n = ns[k], counts[10] = { 0 };
		asgd_rng r;

		asgd_rng_init(&r, 7, k);
		for (int i = 0; i < N_MOMENT; i++) {
			uint64_t x = asgd_rng_below(&r, n);

			cr_assert_lt(x, n);
			counts[x]++;
		}
		double p = 1.0 / (double)n, se = sqrt(p * (1 - p) / N_MOMENT);

		for (uint64_t j = 0; j < n; j++) {
			double f = (double)counts[j] / N_MOMENT;

			cr_expect(fabs(f - p) < 4 * se,
				  "below(%lu): freq of %lu is %.5f, want %.5f ± %.2g",
				  (unsigned long)n, (unsigned long)j, f, p, 4 * se);
		}
	}
}

/*
 * n = 3·2^62 is where the rejection step matters: without it, multiply-and-shift gives
 * floor(3x/4), which hits the multiples of 3 twice as often as the other residues, so
 * P(result ≡ 0 mod 3) would be 1/2 instead of 1/3. (x mod n would fail the same check.)
 */
Test(rng, below_large_n_unbiased)
{
	const uint64_t n = 3ULL << 62;
	const int draws = 200000;
	uint64_t zero_mod3 = 0;
	asgd_rng r;

	asgd_rng_init(&r, 8, 0);
	for (int i = 0; i < draws; i++) {
		uint64_t x = asgd_rng_below(&r, n);

		cr_assert_lt(x, n);
		zero_mod3 += x % 3 == 0;
	}
	double f = (double)zero_mod3 / draws, p = 1.0 / 3.0, se = sqrt(p * (1 - p) / draws);

	cr_expect(fabs(f - p) < 4 * se, "P(x%%3==0) = %.4f, want %.4f ± %.3g", f, p, 4 * se);

	asgd_rng_init(&r, 8, 1);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(asgd_rng_below(&r, 1), 0);
}

Test(rng, streams_reproduce_exactly)
{
	asgd_rng a, b;

	asgd_rng_init(&a, 42, 3);
	asgd_rng_init(&b, 42, 3);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(asgd_rng_next(&a), asgd_rng_next(&b), "draw %d", i);
}

/* Distinct (seed, stream) pairs, including the neighbours a naive seed + stream would merge. */
Test(rng, streams_differ)
{
	static const uint64_t pairs[][2] = { { 42, 0 }, { 42, 1 }, { 43, 0 }, { 41, 2 }, { 0, 0 },
					      { 0, 1 },   { 1, 0 },   { 42, 2 } };
	enum { NP = sizeof(pairs) / sizeof(pairs[0]) };
	uint64_t first[NP][4];

	for (int i = 0; i < NP; i++) {
		asgd_rng r;

		asgd_rng_init(&r, pairs[i][0], pairs[i][1]);
		cr_assert(r.s[0] | r.s[1] | r.s[2] | r.s[3]);
		for (int j = 0; j < 4; j++)
			first[i][j] = asgd_rng_next(&r);
	}
	/* Any equal 64-bit output in the first four would be a 2^-60-ish coincidence. */
	for (int i = 0; i < NP; i++)
		for (int k = i + 1; k < NP; k++)
			for (int j = 0; j < 4; j++)
				cr_assert_neq(first[i][j], first[k][j],
					      "pairs %d and %d, draw %d", i, k, j);
}

/* Two streams of one seed are uncorrelated: the sample correlation of n independent pairs has
 * SE 1/√n. */
Test(rng, streams_uncorrelated)
{
	asgd_rng a, b;
	double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
	const int n = N_MOMENT;

	asgd_rng_init(&a, 9, 0);
	asgd_rng_init(&b, 9, 1);
	for (int i = 0; i < n; i++) {
		double x = asgd_rng_uniform(&a) - 0.5, y = asgd_rng_uniform(&b) - 0.5;

		sa += x;
		sb += y;
		saa += x * x;
		sbb += y * y;
		sab += x * y;
	}
	double cov = sab / n - (sa / n) * (sb / n);
	double corr = cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));

	cr_expect(fabs(corr) < 4.0 / sqrt(n), "corr %.5f", corr);
}
