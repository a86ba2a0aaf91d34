/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_welford.c — the one-pass mean, variance and standard error of asgd/welford.h against
 * closed forms: the integers 1..n, a constant sample (variance exactly 0), and 1e9 plus a small
 * spread, where the Σv² − (Σv)²/n form loses every digit and Welford's keeps them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "asgd/welford.h"

/* |got − want| ≤ rel·|want|, with a message naming the quantity. */
static void expect_rel(double got, double want, double rel, const char *what)
{
	cr_expect(fabs(got - want) <= rel * fabs(want), "%s: %.17g, expected %.17g (rel %.3g)", what,
		  got, want, rel);
}

Test(welford, empty_and_one_sample)
{
	asgd_welford w, zero;

	memset(&w, 0xff, sizeof(w));
	asgd_welford_init(&w);
	memset(&zero, 0, sizeof(zero));
	cr_expect_eq(memcmp(&w, &zero, sizeof(w)), 0, "init is the zero-filled accumulator");
	cr_expect(isnan(asgd_welford_mean(&w)));
	cr_expect(isnan(asgd_welford_var(&w)));
	cr_expect(isnan(asgd_welford_se(&w)));
	asgd_welford_add(&w, 3.25);
	cr_expect_eq(w.n, 1);
	cr_expect_eq(asgd_welford_mean(&w), 3.25);
	/* one sample has no spread to estimate */
	cr_expect(isnan(asgd_welford_var(&w)));
	cr_expect(isnan(asgd_welford_se(&w)));
}

/* v = 1..n: mean (n+1)/2, unbiased variance n(n+1)/12, SE √(var/n). */
Test(welford, integers_closed_form)
{
	const unsigned n = 1000;
	asgd_welford w;
	double var = (double)n * (n + 1) / 12.0;

	asgd_welford_init(&w);
	for (unsigned i = 1; i <= n; i++)
		asgd_welford_add(&w, (double)i);
	cr_expect_eq(w.n, n);
	expect_rel(asgd_welford_mean(&w), (n + 1) / 2.0, 1e-15, "mean");
	expect_rel(asgd_welford_var(&w), var, 1e-14, "var");
	expect_rel(asgd_welford_se(&w), sqrt(var / n), 1e-14, "se");
}

/* Hand-checked: 2, 4, 4, 4, 5, 5, 7, 9 has mean 5 and Σ(v − 5)² = 32, so var 32/7. */
Test(welford, small_sample_exact)
{
	const double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	asgd_welford w = { 0 };

	for (size_t i = 0; i < 8; i++)
		asgd_welford_add(&w, v[i]);
	expect_rel(asgd_welford_mean(&w), 5.0, 1e-15, "mean");
	expect_rel(asgd_welford_var(&w), 32.0 / 7.0, 1e-15, "var");
	expect_rel(asgd_welford_se(&w), sqrt(32.0 / 7.0 / 8.0), 1e-15, "se");
}

/* Every replica at x0 (step k = 0 of a run): no spread at all, whatever the value. */
Test(welford, constant_sample_has_zero_spread)
{
	asgd_welford w = { 0 };

	for (int i = 0; i < 1000; i++)
		asgd_welford_add(&w, 0.1);
	cr_expect_eq(asgd_welford_mean(&w), 0.1);
	cr_expect_eq(asgd_welford_var(&w), 0.0);
	cr_expect_eq(asgd_welford_se(&w), 0.0);
}

/*
 * v = 1e9 + s_i with s_i cycling through 0, 0.25, 0.5, 0.75 (every v exact in binary): mean
 * 1e9 + 0.375 and, over n = 4m samples, Σ(v − mean)² = m·0.3125, var = m·0.3125/(n − 1).
 * Σv² is ~4e21, whose rounding unit (~5e5) dwarfs Σ(v − mean)² ≈ 78: the naive
 * Σv²/n − mean² is off by orders of magnitude, while Welford's deviations carry only the
 * rounding of the mean (~6e-8 against deviations ~0.3), so 1e-6 relative is a safe bound.
 */
Test(welford, catastrophic_cancellation)
{
	const unsigned n = 4000;
	const double base = 1e9;
	asgd_welford w = { 0 };
	double sum = 0, sum2 = 0, naive, var = (n / 4) * 0.3125 / (n - 1);

	for (unsigned i = 0; i < n; i++) {
		double v = base + 0.25 * (i % 4);

		asgd_welford_add(&w, v);
		sum += v;
		sum2 += v * v;
	}
	expect_rel(asgd_welford_mean(&w), base + 0.375, 1e-15, "mean");
	expect_rel(asgd_welford_var(&w), var, 1e-6, "var");
	expect_rel(asgd_welford_se(&w), sqrt(var / n), 1e-6, "se");
	/* the case does defeat the power sums: their variance is not even within a factor 2 */
	naive = (sum2 / n - (sum / n) * (sum / n)) * n / (n - 1);
	cr_expect(!(fabs(naive - var) <= var), "naive variance %.6g came out near %.6g: the "
		  "case no longer tests cancellation", naive, var);
}

/* A diverged sample makes the estimates non-finite rather than silently finite. */
Test(welford, non_finite_sample_propagates)
{
	asgd_welford w = { 0 };

	asgd_welford_add(&w, 1.0);
	asgd_welford_add(&w, INFINITY);
	asgd_welford_add(&w, 2.0);
	cr_expect(!isfinite(asgd_welford_mean(&w)));
	cr_expect(!isfinite(asgd_welford_se(&w)));
}
