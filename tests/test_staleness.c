/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_staleness.c — the staleness analytics against closed forms and synthetic data.
 *
 * Synthetic staleness comes from asgd/rng.h with fixed seeds. A stochastic check passes when the
 * estimate is within 4 standard errors of the truth; each test says how its SE was derived.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asgd/error.h"
#include "asgd/rng.h"
#include "asgd/staleness.h"

#define N_FIT 100000

static uint64_t *geometric_sample(double mu, size_t n, uint64_t seed)
{
	uint64_t *tau = malloc(n * sizeof(*tau));
	asgd_rng r;

	cr_assert_not_null(tau);
	asgd_rng_init(&r, seed, 0);
	for (size_t i = 0; i < n; i++)
		tau[i] = asgd_rng_geometric(&r, mu);
	return tau;
}

static void summarize_run(const uint64_t *tau, size_t n, asgd_staleness_summary *sum)
{
	asgd_staleness s;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, tau, NULL, n), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, sum), ASGD_OK);
	asgd_staleness_free(&s);
}

/*
 * How large the TV distance of n geometric samples from their pmf p may be. Each |p̂(l) − p(l)| is
 * about half-normal with SD s_l = √(p(1 − p)/n), so it has mean s_l·√(2/π) and variance
 * s_l²(1 − 2/π); treating levels as independent, E[TV] ≈ ½Σ s_l√(2/π) and
 * SD[TV] ≈ ½√((1 − 2/π)Σ s_l²). The limit is E + 4 SD. (For n = 10^5 and μ = 0.5, 0.9, 0.97:
 * E ≈ 0.0027, 0.0076, 0.0144 and SD ≈ 0.0008, 0.0009, 0.0009; 50 seeds gave 0.0023, 0.0073,
 * 0.0142 ± 0.0009, 0.0009, 0.0008, so the approximation holds.)
 */
static double tv_limit(double mu, double n)
{
	double e = 0, v = 0, p = 1 - mu;

	for (int l = 0; l < 100000 && p > 1e-300; l++, p *= mu) {
		e += sqrt(p * (1 - p) / n);
		v += p * (1 - p) / n;
	}
	return 0.5 * e * sqrt(2 / M_PI) + 4 * 0.5 * sqrt((1 - 2 / M_PI) * v);
}

/*
 * Geometric samples fit: the true μ lies in the 95% interval, the chi-square does not reject
 * (p > 1e-3), the TV distance is small, and mean and variance match μ/(1−μ) and μ/(1−μ)² within
 * 4 SE: SE(mean) = σ/√n; SE(var) = σ²√((κ − 1)/n) with the geometric's kurtosis
 * κ = 9 + (1−μ)²/μ. The lag-1 autocorrelation of i.i.d. samples has SE 1/√n (Bartlett).
 * TV must be below tv_limit(); for μ = 0.5 also below 0.01 (E + 9 SD). For μ = 0.9 a bound of
 * 0.01 would be only E + 2.6 SD, and for μ = 0.97 it is below E, so it is not asked there.
 */
Test(staleness, geometric_fit)
{
	static const double mus[] = { 0.5, 0.9, 0.97 };

	for (size_t k = 0; k < sizeof(mus) / sizeof(mus[0]); k++) {
		const double mu = mus[k], n = N_FIT;
		uint64_t *tau = geometric_sample(mu, N_FIT, 100 + k);
		asgd_staleness_summary sum;

		summarize_run(tau, N_FIT, &sum);

		double mean = mu / (1 - mu), var = mu / ((1 - mu) * (1 - mu));
		double kurt = 9 + (1 - mu) * (1 - mu) / mu;

		cr_expect_eq(sum.count, N_FIT);
		cr_expect(sum.mu_ci95[0] <= mu && mu <= sum.mu_ci95[1],
			  "mu %.2f not in [%.5f, %.5f]", mu, sum.mu_ci95[0], sum.mu_ci95[1]);
		cr_expect_float_eq(sum.mu_hat, sum.mean / (1 + sum.mean), 1e-15);
		cr_expect_gt(sum.chi2_p, 1e-3, "mu %.2f: chi2 %.2f df %u p %.3g", mu, sum.chi2_stat,
			     sum.chi2_df, sum.chi2_p);
		cr_expect_gt(sum.chi2_df, 5);
		cr_expect(fabs(sum.mean - mean) < 4 * sqrt(var / n),
			  "mu %.2f: mean %.5f vs %.5f", mu, sum.mean, mean);
		cr_expect(fabs(sum.var - var) < 4 * var * sqrt((kurt - 1) / n),
			  "mu %.2f: var %.4f vs %.4f", mu, sum.var, var);
		cr_expect_lt(sum.tv_distance, tv_limit(mu, n), "mu %.2f: tv %.4f limit %.4f", mu,
			     sum.tv_distance, tv_limit(mu, n));
		if (mu == 0.5)
			cr_expect_lt(sum.tv_distance, 0.01, "tv %.4f", sum.tv_distance);
		cr_expect(fabs(sum.lag1_autocorr) < 4 / sqrt(n), "mu %.2f: lag1 %.4f", mu,
			  sum.lag1_autocorr);
		cr_expect(isnan(sum.mu_queueing));
		cr_expect_eq(sum.workers, 0);
		cr_expect_null(sum.worker_count);
		asgd_staleness_summary_free(&sum);
		free(tau);
	}
}

/*
 * Calibration over R independent replicates of n geometric samples: the 95% interval covers the
 * true μ with frequency 0.95, and the chi-square p-value is uniform, so P(p < 0.05) = 0.05 and
 * E[p] = 1/2. Frequencies have SE √(f(1 − f)/R) and the mean of R uniforms SE √(1/(12R)); each
 * must be within 4 SE. (A per-seed check as above cannot tell a right interval from one twice too
 * wide, nor a chi-square with the wrong df from a right one.) Using df = bins − 2 for a μ fitted
 * to ungrouped data makes the true rejection rate slightly above 0.05; 4000 replicates measured
 * 0.052–0.055, well inside the tolerance.
 */
Test(staleness, calibration_over_replicates)
{
	enum { R = 1000, NR = 1000 };
	const double mu = 0.9;
	unsigned covered = 0, rejected = 0;
	double psum = 0;
	uint64_t tau[NR];
	asgd_rng r;

	asgd_rng_init(&r, 200, 0);
	for (int rep = 0; rep < R; rep++) {
		asgd_staleness_summary sum;

		for (int i = 0; i < NR; i++)
			tau[i] = asgd_rng_geometric(&r, mu);
		summarize_run(tau, NR, &sum);
		covered += sum.mu_ci95[0] <= mu && mu <= sum.mu_ci95[1];
		cr_assert(sum.chi2_df >= 1 && isfinite(sum.chi2_p));
		rejected += sum.chi2_p < 0.05;
		psum += sum.chi2_p;
		asgd_staleness_summary_free(&sum);
	}
	double cov = (double)covered / R, rej = (double)rejected / R, pmean = psum / R;

	cr_expect(fabs(cov - 0.95) < 4 * sqrt(0.95 * 0.05 / R), "coverage %.3f", cov);
	cr_expect(fabs(rej - 0.05) < 4 * sqrt(0.05 * 0.95 / R), "rejection rate %.3f", rej);
	cr_expect(fabs(pmean - 0.5) < 4 * sqrt(1.0 / (12.0 * R)), "mean p %.3f", pmean);
}

/*
 * A 50/50 mixture of Geometric(0.5) and Geometric(0.95) is not geometric: its mean is 10, so
 * μ̂ = 10/11, and the fitted pmf at 0 is 1/11 against the mixture's 0.275, which alone makes the
 * TV distance ≥ 0.09. The chi-square must reject at p < 1e-6.
 */
Test(staleness, mixture_rejected)
{
	uint64_t *tau = malloc(N_FIT * sizeof(*tau));
	asgd_staleness_summary sum;
	asgd_rng r;

	cr_assert_not_null(tau);
	asgd_rng_init(&r, 300, 0);
	for (size_t i = 0; i < N_FIT; i++)
		tau[i] = asgd_rng_geometric(&r, asgd_rng_below(&r, 2) ? 0.95 : 0.5);
	summarize_run(tau, N_FIT, &sum);
	cr_expect_lt(sum.chi2_p, 1e-6, "chi2 %.1f df %u p %.3g", sum.chi2_stat, sum.chi2_df,
		     sum.chi2_p);
	cr_expect_gt(sum.tv_distance, 0.05, "tv %.4f", sum.tv_distance);
	asgd_staleness_summary_free(&sum);
	free(tau);
}

/* @runs runs of @per τ_i = g_i + g_{i+1}, g i.i.d. geometric(0.8), from stream (@seed, 0), into a
 * fresh @s (@tau: @per scratch values): an MA(1) sequence with lag-1 correlation 1/2. */
static void add_ma1_runs(asgd_staleness *s, uint64_t seed, int runs, int per, uint64_t *tau)
{
	asgd_rng r;

	cr_assert_eq(asgd_staleness_init(s, 0), ASGD_OK);
	asgd_rng_init(&r, seed, 0);
	for (int run = 0; run < runs; run++) {
		uint64_t g = asgd_rng_geometric(&r, 0.8);

		for (int i = 0; i < per; i++) {
			uint64_t next = asgd_rng_geometric(&r, 0.8);

			tau[i] = g + next;
			g = next;
		}
		cr_assert_eq(asgd_staleness_add_run(s, tau, NULL, (size_t)per), ASGD_OK);
	}
}

/*
 * A correlated sequence with known lag-1 correlation: τ_k = G_k + G_{k+1} with G i.i.d.
 * geometric is an MA(1) process, Cov(τ_k, τ_{k+1}) = Var G and Var τ = 2 Var G, so ρ1 = 1/2 and
 * ρh = 0 for h ≥ 2. Its marginal is not geometric, but that does not matter here. Bartlett's
 * formula (valid for linear processes with i.i.d. innovations of finite fourth moment, whatever
 * their law) gives Var(r1) ≈ (1 − 3ρ1² + 4ρ1⁴)/n = 0.5/n. The sequence is fed as 10 runs, so
 * pooling across runs is exercised too.
 */
Test(staleness, lag1_ma1)
{
	enum { RUNS = 10, PER = N_FIT / RUNS };
	uint64_t tau[PER];
	asgd_staleness s;
	asgd_staleness_summary sum;

	add_ma1_runs(&s, 400, RUNS, PER, tau);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	double se = sqrt(0.5 / N_FIT);

	cr_expect(fabs(sum.lag1_autocorr - 0.5) < 4 * se, "lag1 %.4f, want 0.5 ± %.4f",
		  sum.lag1_autocorr, 4 * se);
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

/* Lag-1 pairs stay within a run: runs {0, 10} and {10, 0} give the pairs (0,10), (10,0) and
 * r = −1 exactly; a pair across the boundary, (10, 10), would make r = −1/2. */
Test(staleness, lag1_not_across_runs)
{
	static const uint64_t a[] = { 0, 10 }, b[] = { 10, 0 };
	asgd_staleness s;
	asgd_staleness_summary sum;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, a, NULL, 2), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, b, NULL, 2), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	cr_expect_float_eq(sum.lag1_autocorr, -1.0, 1e-12);
	asgd_staleness_summary_free(&sum);

	/* One-sample runs have no pairs at all. */
	asgd_staleness_free(&s);
	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, a, NULL, 1), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, b, NULL, 1), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	cr_expect(isnan(sum.lag1_autocorr));
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

Test(staleness, per_worker_exact)
{
	static const uint64_t tau1[] = { 1, 2, 3, 4, 5, 9, 7 };
	static const uint32_t w1[] = { 0, 1, 0, 2, 0, 1, 0 };
	static const uint64_t tau2[] = { 8, 0 };
	static const uint32_t w2[] = { 2, 1 };
	static const uint32_t bad[] = { 0, 4 };
	asgd_staleness s;
	asgd_staleness_summary sum;

	cr_assert_eq(asgd_staleness_init(&s, 4), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, tau1, w1, 7), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&s, tau2, w2, 2), ASGD_OK);
	/* An id out of range is refused and changes nothing. */
	cr_assert_eq(asgd_staleness_add_run(&s, tau2, bad, 2), ASGD_EINVAL);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);

	cr_expect_eq(sum.count, 9);
	cr_expect_eq(sum.max, 9);
	cr_expect_eq(sum.workers, 4);
	cr_expect_eq(sum.worker_count[0], 4); /* 1, 3, 5, 7 */
	cr_expect_eq(sum.worker_mean[0], 4.0);
	cr_expect_eq(sum.worker_count[1], 3); /* 2, 9, 0 */
	cr_expect_eq(sum.worker_mean[1], 11.0 / 3.0);
	cr_expect_eq(sum.worker_count[2], 2); /* 4, 8 */
	cr_expect_eq(sum.worker_mean[2], 6.0);
	cr_expect_eq(sum.worker_count[3], 0);
	cr_expect(isnan(sum.worker_mean[3]));
	cr_expect_float_eq(sum.mean, 39.0 / 9.0, 1e-15);
	cr_expect_eq(sum.mu_queueing, 0.75);

	cJSON *j = asgd_staleness_summary_json(&sum);
	cJSON *ws = cJSON_GetObjectItemCaseSensitive(j, "workers");

	cr_assert(cJSON_IsArray(ws));
	cr_expect_eq(cJSON_GetArraySize(ws), 4);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 1), "worker")->valuedouble, 1);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 2), "count")->valuedouble, 2);
	cr_expect_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 2), "mean")->valuedouble, 6);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(ws, 3), "mean")));
	cr_expect_eq(cJSON_GetObjectItem(j, "mu_queueing")->valuedouble, 0.75);
	cJSON_Delete(j);
	asgd_staleness_summary_free(&sum);

	/* With the workers unknown, ids are refused. */
	asgd_staleness_free(&s);
	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_expect_eq(asgd_staleness_add_run(&s, tau2, w2, 2), ASGD_EINVAL);
	cr_expect_eq(s.count, 0);
	asgd_staleness_free(&s);
}

/*
 * A hand-worked histogram: n = 48 with counts 22, 14, 6, 3, 2, 1 at l = 0..5 has τ̄ = 1, so
 * μ̂ = 1/2 and the expected counts are 24, 12, 6, 3, 1.5, ... The bins are {0}, {1}, {2} and
 * {≥3} (expected 24, 12, 6, 6; observed 22, 14, 6, 6), so χ² = 4/24 + 4/12 = 1/2 with
 * df = 4 − 2 = 2 and p = e^(−1/4). TV = ½(2 + 2 + 0 + 0 + 0.5 + 0.25 + 0.75)/48 (the last term
 * the model's mass beyond 5). var = Σc(l−1)²/47 = 74/47.
 */
Test(staleness, hand_worked_histogram)
{
	static const uint64_t c[] = { 22, 14, 6, 3, 2, 1 };
	asgd_staleness s;
	asgd_staleness_summary sum;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	for (uint64_t l = 0; l < 6; l++)
		cr_assert_eq(asgd_staleness_add_count(&s, l, c[l]), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);

	cr_expect_eq(sum.count, 48);
	cr_expect_eq(sum.max, 5);
	cr_expect_float_eq(sum.mean, 1.0, 1e-15);
	cr_expect_float_eq(sum.var, 74.0 / 47.0, 1e-14);
	cr_expect_float_eq(sum.mu_hat, 0.5, 1e-15);
	double half = 1.959963984540054 * sqrt(0.5 * 0.25 / 48);

	cr_expect_float_eq(sum.mu_ci95[0], 0.5 - half, 1e-12);
	cr_expect_float_eq(sum.mu_ci95[1], 0.5 + half, 1e-12);
	cr_expect_eq(sum.chi2_df, 2);
	cr_expect_float_eq(sum.chi2_stat, 0.5, 1e-12);
	cr_expect_float_eq(sum.chi2_p, exp(-0.25), 1e-12);
	cr_expect_float_eq(sum.tv_distance, 2.75 / 48, 1e-12);
	cr_expect(isnan(sum.lag1_autocorr));
	cr_expect(isnan(sum.mu_queueing));
	cr_assert_eq(sum.pmf_len, 6);
	for (int l = 0; l < 6; l++)
		cr_expect_eq(sum.pmf[l], c[l] / 48.0);

	cJSON *j = asgd_staleness_summary_json(&sum);
	char *text = cJSON_PrintUnformatted(j);
	cJSON *back = cJSON_Parse(text);

	cr_assert_not_null(back);
	cr_expect_eq(cJSON_GetObjectItem(back, "count")->valuedouble, 48);
	cr_expect_eq(cJSON_GetObjectItem(back, "max")->valuedouble, 5);
	cr_expect_float_eq(cJSON_GetObjectItem(back, "chi2_p")->valuedouble, exp(-0.25), 1e-12);
	cr_expect_eq(cJSON_GetObjectItem(back, "chi2_df")->valuedouble, 2);
	cr_expect_float_eq(cJSON_GetObjectItem(back, "tv_distance")->valuedouble, 2.75 / 48, 1e-12);
	cr_expect_float_eq(cJSON_GetObjectItem(back, "mu_hat")->valuedouble, 0.5, 1e-15);
	cr_expect_float_eq(cJSON_GetObjectItem(back, "var")->valuedouble, 74.0 / 47, 1e-14);
	cr_expect_eq(cJSON_GetObjectItem(back, "mean")->valuedouble, 1.0);
	cr_expect_float_eq(cJSON_GetObjectItem(back, "chi2_stat")->valuedouble, 0.5, 1e-12);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(back, "mu_queueing")));
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(back, "lag1_autocorr")));
	cr_expect_null(cJSON_GetObjectItem(back, "workers"));
	cJSON *ci = cJSON_GetObjectItem(back, "mu_ci95");

	cr_assert_eq(cJSON_GetArraySize(ci), 2);
	cr_expect_float_eq(cJSON_GetArrayItem(ci, 0)->valuedouble, 0.5 - half, 1e-12);
	cJSON *pmf = cJSON_GetObjectItem(back, "pmf");

	cr_assert_eq(cJSON_GetArraySize(pmf), 6);
	cr_expect_float_eq(cJSON_GetArrayItem(pmf, 1)->valuedouble, 14.0 / 48, 1e-15);
	cJSON_Delete(back);
	free(text);
	cJSON_Delete(j);
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

/* Identical histograms give identical summaries (bit for bit), however they were added; only
 * the ordered input has a lag-1 autocorrelation. */
Test(staleness, histogram_equals_run)
{
	enum { N = 20000 };
	uint64_t *tau = geometric_sample(0.8, N, 500);
	uint64_t counts[512] = { 0 };
	asgd_staleness a, b;
	asgd_staleness_summary sa, sb;
	uint64_t max = 0;

	for (size_t i = 0; i < N; i++) {
		cr_assert_lt(tau[i], 512);
		counts[tau[i]]++;
		max = tau[i] > max ? tau[i] : max;
	}
	cr_assert_eq(asgd_staleness_init(&a, 0), ASGD_OK);
	cr_assert_eq(asgd_staleness_init(&b, 0), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&a, tau, NULL, N / 3), ASGD_OK);
	cr_assert_eq(asgd_staleness_add_run(&a, tau + N / 3, NULL, N - N / 3), ASGD_OK);
	/* Largest level first, and each count in two parts, to exercise growth and adding. */
	for (uint64_t l = max + 1; l-- > 0;) {
		cr_assert_eq(asgd_staleness_add_count(&b, l, counts[l] / 2), ASGD_OK);
		cr_assert_eq(asgd_staleness_add_count(&b, l, counts[l] - counts[l] / 2), ASGD_OK);
	}
	cr_assert_eq(asgd_staleness_summarize(&a, &sa), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&b, &sb), ASGD_OK);

	cr_expect_eq(sa.count, sb.count);
	cr_expect_eq(sa.max, sb.max);
	cr_expect_eq(sa.mean, sb.mean);
	cr_expect_eq(sa.var, sb.var);
	cr_expect_eq(sa.mu_hat, sb.mu_hat);
	cr_expect_eq(sa.mu_ci95[0], sb.mu_ci95[0]);
	cr_expect_eq(sa.mu_ci95[1], sb.mu_ci95[1]);
	cr_expect_eq(sa.chi2_stat, sb.chi2_stat);
	cr_expect_eq(sa.chi2_df, sb.chi2_df);
	cr_expect_eq(sa.chi2_p, sb.chi2_p);
	cr_expect_eq(sa.tv_distance, sb.tv_distance);
	cr_assert_eq(sa.pmf_len, sb.pmf_len);
	cr_expect_eq(memcmp(sa.pmf, sb.pmf, sa.pmf_len * sizeof(double)), 0);
	cr_expect(isfinite(sa.lag1_autocorr));
	cr_expect(isnan(sb.lag1_autocorr));

	asgd_staleness_summary_free(&sa);
	asgd_staleness_summary_free(&sb);
	asgd_staleness_free(&a);
	asgd_staleness_free(&b);
	free(tau);
}

Test(staleness, empty_and_invalid)
{
	asgd_staleness s;
	asgd_staleness_summary sum = { 0 };
	static const uint64_t big[] = { 3, ASGD_STALENESS_TAU_MAX + 1 };

	cr_assert_eq(asgd_staleness_init(&s, 2), ASGD_OK);
	cr_expect_eq(asgd_staleness_summarize(&s, &sum), ASGD_EINVAL);
	cr_expect_null(sum.pmf);
	cr_expect_eq(asgd_staleness_add_run(&s, NULL, NULL, 0), ASGD_OK);
	cr_expect_eq(asgd_staleness_add_count(&s, 5, 0), ASGD_OK);
	cr_expect_eq(asgd_staleness_summarize(&s, &sum), ASGD_EINVAL);
	cr_expect_eq(asgd_staleness_add_run(&s, big, NULL, 2), ASGD_EINVAL);
	cr_expect_eq(asgd_staleness_add_count(&s, ASGD_STALENESS_TAU_MAX + 1, 1), ASGD_EINVAL);
	cr_expect_eq(s.count, 0);
	cr_expect_eq(asgd_staleness_summarize(&s, &sum), ASGD_EINVAL);
	cr_expect_eq(asgd_staleness_summarize(NULL, &sum), ASGD_EINVAL);
	cr_expect_eq(asgd_staleness_init(NULL, 0), ASGD_EINVAL);
	cr_expect_eq(asgd_staleness_add_count(&s, 0, UINT64_MAX), ASGD_OK);
	cr_expect_eq(asgd_staleness_add_count(&s, 0, 1), ASGD_EINVAL); /* count would overflow */
	asgd_staleness_free(&s);
	asgd_staleness_free(&s); /* twice is fine */
	asgd_staleness_summary_free(NULL);
	cr_expect_null(asgd_staleness_summary_json(NULL));
}

/* One sample, and all-zero staleness: no variance, no chi-square test, μ̂ = 0 fits exactly. */
Test(staleness, degenerate_samples)
{
	static const uint64_t one[] = { 3 }, zeros[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	asgd_staleness_summary sum;

	summarize_run(one, 1, &sum);
	cr_expect_eq(sum.var, 0.0);
	cr_expect_eq(sum.mean, 3.0);
	cr_expect_float_eq(sum.mu_hat, 0.75, 1e-15);
	cr_expect_eq(sum.chi2_df, 0);
	cr_expect(isnan(sum.chi2_p));
	asgd_staleness_summary_free(&sum);

	summarize_run(zeros, 10, &sum);
	cr_expect_eq(sum.mu_hat, 0.0);
	cr_expect_eq(sum.mu_ci95[0], 0.0);
	cr_expect_eq(sum.mu_ci95[1], 0.0);
	cr_expect_eq(sum.tv_distance, 0.0);
	cr_expect(isnan(sum.chi2_p));
	cr_expect(isnan(sum.lag1_autocorr)); /* constant: no correlation to speak of */
	cJSON *j = asgd_staleness_summary_json(&sum);

	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "chi2_p")));
	cJSON_Delete(j);
	asgd_staleness_summary_free(&sum);
}

Test(staleness, geometric_pmf)
{
	double total = 0;

	cr_expect_float_eq(asgd_geometric_pmf(0.5, 3), 1.0 / 16, 1e-17);
	cr_expect_float_eq(asgd_geometric_pmf(0.9, 0), 0.1, 1e-16);
	cr_expect_eq(asgd_geometric_pmf(0.0, 0), 1.0);
	cr_expect_eq(asgd_geometric_pmf(0.0, 1), 0.0);
	cr_expect(isnan(asgd_geometric_pmf(1.0, 0)));
	cr_expect(isnan(asgd_geometric_pmf(-0.1, 0)));
	cr_expect(isnan(asgd_geometric_pmf(NAN, 0)));
	for (uint64_t l = 0; l < 2000; l++)
		total += asgd_geometric_pmf(0.97, l);
	cr_expect_float_eq(total, 1.0 - pow(0.97, 2000), 1e-12);
}

/* ---- files ---- */

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/asgd_test_staleness_XXXXXX");
	int fd;

	cr_assert_not_null(path);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static int read_content(const char *content, asgd_staleness *s, char *err, size_t errlen)
{
	char *path = write_temp(content);
	int rc = asgd_staleness_read_file(s, path, err, errlen);

	unlink(path);
	free(path);
	return rc;
}

/* A sample file is one run: same summary as add_run on the same sequence, lag-1 included. */
Test(staleness, read_sample_file)
{
	static const uint64_t tau[] = { 3, 0, 1, 4, 1, 5, 9, 2, 6 };
	const char *content = "# staleness of run 7\n"
			      "tau\n"
			      "3\n0\n\n  1 \r\n4\n# comment\n1\n5\t\n9\n"
			      "   # indented comment\n2\n6";
	asgd_staleness s;
	asgd_staleness_summary got, want;
	char err[256] = "";

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_assert_eq(read_content(content, &s, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_staleness_summarize(&s, &got), ASGD_OK);
	summarize_run(tau, 9, &want);
	cr_expect_eq(got.count, 9);
	cr_expect_eq(got.mean, want.mean);
	cr_expect_eq(got.var, want.var);
	cr_expect_eq(got.max, 9);
	cr_expect_eq(got.lag1_autocorr, want.lag1_autocorr);
	cr_expect(isfinite(got.lag1_autocorr));
	asgd_staleness_summary_free(&got);
	asgd_staleness_summary_free(&want);
	asgd_staleness_free(&s);
}

Test(staleness, read_histogram_file)
{
	const char *content = "# a histogram\n"
			      "l,count\n"
			      "0,22\n"
			      " 1 , 14\r\n"
			      "\n"
			      "2,6\n"
			      "3,1\n"
			      "4,2\n"
			      "5,1\n"
			      "3,2\n"; /* a repeated level adds */
	asgd_staleness s;
	asgd_staleness_summary sum;
	char err[256] = "";

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	cr_assert_eq(read_content(content, &s, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	/* The hand-worked histogram of hand_worked_histogram. */
	cr_expect_eq(sum.count, 48);
	cr_expect_eq(sum.pmf[3], 3.0 / 48);
	cr_expect_float_eq(sum.chi2_stat, 0.5, 1e-12);
	cr_expect(isnan(sum.lag1_autocorr));
	asgd_staleness_summary_free(&sum);

	/* Without a header, and read twice into the same accumulator: counts add. */
	cr_assert_eq(read_content("0,1\n2,1\n", &s, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	cr_expect_eq(sum.count, 50);
	cr_expect_eq(sum.pmf[0], 23.0 / 50);
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

struct bad_file {
	const char *content;
	int line;
	const char *says;
};

/* Each malformed file fails with EPARSE, names the line, and leaves the accumulator as it was. */
Test(staleness, read_malformed_files)
{
	static const struct bad_file bad[] = {
		{ "1\n2\n-3\n", 3, "non-negative integer" },
		{ "1\n1.5\n", 2, "got '1.5'" },
		{ "# c\n\n4\nabc\n", 4, "got 'abc'" },
		{ "4\n5x\n", 2, "got '5x'" },
		{ "4\n1e3\n", 2, "got '1e3'" },
		{ "4\n2,3\n", 2, "got '2,3'" },
		{ "99999999999999999999999\n", 1, "non-negative integer" },
		{ "16777217\n", 1, "16777216" },
		{ "l,count\n0,5\n1,\n", 3, "expected 'l,count'" },
		{ "0,5\n1\n", 2, "got '1'" },
		{ "0,5\n1,2,3\n", 2, "got '1,2,3'" },
		{ "0,5\n-1,2\n", 2, "got '-1,2'" },
		{ "0,5\n1,x\n", 2, "got '1,x'" },
		{ "0,5\n,4\n", 2, "expected 'l,count'" },
		{ "0,5\nl,count\n", 2, "got 'l,count'" },
		{ "16777217,1\n", 1, "16777216" },
	};
	asgd_staleness s;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "", where[32];
		int rc = read_content(bad[i].content, &s, err, sizeof(err));

		snprintf(where, sizeof(where), ":%d: expected ", bad[i].line);
		cr_expect_eq(rc, ASGD_EPARSE, "case %zu: rc %d", i, rc);
		cr_expect_not_null(strstr(err, where), "case %zu: '%s' lacks '%s'", i, err, where);
		cr_expect_not_null(strstr(err, bad[i].says), "case %zu: '%s' lacks '%s'", i, err,
				   bad[i].says);
		cr_expect_not_null(strstr(err, "/tmp/asgd_test_staleness_"), "case %zu: '%s'", i,
				   err);
		cr_expect_eq(s.count, 0, "case %zu changed the accumulator", i);
		cr_expect_eq(s.pairs, 0);
	}
	asgd_staleness_free(&s);
}

Test(staleness, read_empty_and_missing_files)
{
	static const char *empties[] = {
		"", "\n\n", "# nothing\n   \n", "l,count\n", "l,count\n3,0\n", "tau\n",
	};
	asgd_staleness s;
	char err[256];

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(read_content(empties[i], &s, err, sizeof(err)), ASGD_EPARSE,
			     "case %zu", i);
		cr_expect_not_null(strstr(err, "no staleness samples"), "case %zu: '%s'", i, err);
	}

	const char *missing = "/tmp/asgd_test_staleness_does_not_exist/x.txt";

	cr_expect_eq(asgd_staleness_read_file(&s, missing, err, sizeof(err)), ASGD_EIO);
	cr_expect_not_null(strstr(err, missing), "'%s'", err);
	cr_expect_not_null(strstr(err, strerror(ENOENT)), "'%s'", err);
	/* A directory opens but cannot be read. */
	cr_expect_eq(asgd_staleness_read_file(&s, "/tmp", err, sizeof(err)), ASGD_EIO);
	cr_expect_not_null(strstr(err, "/tmp: "), "'%s'", err);
	/* No err buffer is fine. */
	cr_expect_eq(asgd_staleness_read_file(&s, missing, NULL, 0), ASGD_EIO);
	cr_expect_eq(s.count, 0);
	asgd_staleness_free(&s);
}

/*
 * The interval over runs, by hand: runs of constant τ = 0, 1, 2, 3 (10 samples each) have
 * τ̄ = 1.5, μ̂ = 0.6, S_r − n_r τ̄ = 10(r − 1.5), Σ of squares 500, Var τ̄ = 4/3·500/40², and
 * the half-width 1.96·√Var·(1 − μ̂)². Constant runs have no lag-1 of their own. A histogram has
 * no runs: no such interval.
 */
Test(staleness, interval_over_runs_by_hand)
{
	uint64_t tau[10];
	asgd_staleness s;
	asgd_staleness_summary sum;
	double half = 1.959963984540054 * sqrt(4.0 / 3 * 500) / 40 * 0.16;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	for (uint64_t r = 0; r < 4; r++) {
		for (int i = 0; i < 10; i++)
			tau[i] = r;
		cr_assert_eq(asgd_staleness_add_run(&s, tau, NULL, 10), ASGD_OK);
	}
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	cr_assert_eq(sum.runs, 4);
	cr_assert_float_eq(sum.mu_hat, 0.6, 1e-15);
	cr_assert_float_eq(sum.mu_ci95_runs[0], 0.6 - half, 1e-12);
	cr_assert_float_eq(sum.mu_ci95_runs[1], 0.6 + half, 1e-12);
	cr_assert(isnan(sum.lag1_runs_mean) && isnan(sum.lag1_ci95_runs[0]));
	cr_assert_float_eq(sum.lag1_iid_half, 1.959963984540054 / 6, 1e-12); /* 36 pairs */
	asgd_staleness_summary_free(&sum);
	/* one histogram sample more: not every sample came from a run */
	cr_assert_eq(asgd_staleness_add_count(&s, 1, 1), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	cr_assert(isnan(sum.mu_ci95_runs[0]) && isnan(sum.mu_ci95_runs[1]));
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

/*
 * Under correlation the interval over runs has the right width and the i.i.d. one does not.
 * τ_i = g_i + g_{i+1}, g i.i.d. geometric(0.8) (variance μ/(1 − μ)² = 20): Var τ = 40, lag-1
 * 1/2, so a run of n has Var τ̄_run ≈ (40 + 2·20)/n = 80/n, twice what i.i.d. samples give.
 * E τ = 8, μ = 8/9, and the half-width is 1.96·√(80/N)·(1 − μ)². Over 200 runs the SD of a
 * run mean is estimated to about 1/√400 = 5%: the width must be within 20%. The runs' own lag-1
 * average 1/2 up to their O(1/n) bias; their interval must hold it.
 */
Test(staleness, interval_over_runs_holds_under_correlation)
{
	enum { RUNS = 200, PER = 2000 };
	static uint64_t tau[PER];
	asgd_staleness s;
	asgd_staleness_summary sum;
	double want = 1.959963984540054 * sqrt(80.0 / (RUNS * PER)) / 81, half;

	add_ma1_runs(&s, 401, RUNS, PER, tau);
	cr_assert_eq(asgd_staleness_summarize(&s, &sum), ASGD_OK);
	half = (sum.mu_ci95_runs[1] - sum.mu_ci95_runs[0]) / 2;
	cr_expect(fabs(half / want - 1) < 0.2, "half-width %g, want %g", half, want);
	cr_expect(sum.mu_ci95_runs[0] <= 8.0 / 9 && 8.0 / 9 <= sum.mu_ci95_runs[1]);
	cr_expect(sum.lag1_ci95_runs[0] <= 0.5 && 0.5 <= sum.lag1_ci95_runs[1] + 0.01,
		  "lag-1 [%g, %g]", sum.lag1_ci95_runs[0], sum.lag1_ci95_runs[1]);
	cr_expect(fabs(sum.lag1_runs_mean - 0.5) < 0.02, "lag-1 mean %g", sum.lag1_runs_mean);
	asgd_staleness_summary_free(&sum);
	asgd_staleness_free(&s);
}

/* ---- the geometric law truncated at a staleness bound ---- */

/* A summary of the histogram @counts (levels 0..len−1), as a bounded run's would be. */
static void summary_of_counts(const uint64_t *counts, size_t len, asgd_staleness_summary *sum)
{
	asgd_staleness s;

	cr_assert_eq(asgd_staleness_init(&s, 0), ASGD_OK);
	for (size_t l = 0; l < len; l++)
		cr_assert_eq(asgd_staleness_add_count(&s, l, counts[l]), ASGD_OK);
	cr_assert_eq(asgd_staleness_summarize(&s, sum), ASGD_OK);
	asgd_staleness_free(&s);
}

Test(truncated, pmf_sums_to_one_and_has_its_limits)
{
	static const double mus[] = { 0.1, 0.5, 0.999999, 1.0, 1.000001, 2.0, 30.0 };
	static const uint64_t bounds[] = { 1, 2, 7, 100 };

	for (size_t i = 0; i < sizeof(mus) / sizeof(*mus); i++)
		for (size_t b = 0; b < sizeof(bounds) / sizeof(*bounds); b++) {
			double total = 0, mean = 0, m2 = 0, s = (double)bounds[b];

			for (uint64_t j = 0; j <= bounds[b]; j++) {
				double p = asgd_truncated_geometric_pmf(mus[i], bounds[b], j);

				total += p;
				mean += (double)j * p;
				m2 += (double)j * (double)j * p;
			}
			cr_assert_float_eq(total, 1.0, 1e-12, "mu %g, s %g", mus[i], s);
			cr_assert_float_eq(asgd_truncated_geometric_mean(mus[i], bounds[b]), mean,
					   1e-9 * (1 + s), "mu %g, s %g", mus[i], s);
			cr_assert_float_eq(asgd_truncated_geometric_var(mus[i], bounds[b]),
					   m2 - mean * mean, 1e-7 * (1 + s * s), "mu %g, s %g",
					   mus[i], s);
		}
	/* μ = 1 is uniform; μ and 1/μ mirror each other; the ends put all mass at 0 or s */
	cr_assert_float_eq(asgd_truncated_geometric_pmf(1.0, 4, 3), 0.2, 1e-15);
	cr_assert_float_eq(asgd_truncated_geometric_pmf(3.0, 5, 1),
			   asgd_truncated_geometric_pmf(1.0 / 3, 5, 4), 1e-15);
	cr_assert_eq(asgd_truncated_geometric_pmf(0.0, 3, 0), 1.0);
	cr_assert_eq(asgd_truncated_geometric_pmf(INFINITY, 3, 3), 1.0);
	cr_assert_eq(asgd_truncated_geometric_pmf(0.5, 3, 4), 0.0);
	cr_assert(isnan(asgd_truncated_geometric_pmf(-0.5, 3, 1)));
	/* s = 1 by hand: P(1) = μ/(1 + μ) */
	cr_assert_float_eq(asgd_truncated_geometric_pmf(0.25, 1, 1), 0.2, 1e-15);
}

/* s = 1: τ is Bernoulli with p = μ/(1 + μ), so μ̂ = n₁/n₀ and, with Var τ = p(1 − p),
 * SE(μ̂) = μ̂/√(n p(1 − p)). s = 2: the likelihood equation (μ + 2μ²)/(1 + μ + μ²) = τ̄ is the
 * quadratic (2 − τ̄)μ² + (1 − τ̄)μ − τ̄ = 0. Both closed forms, to the solver's last bits. */
Test(truncated, mle_matches_the_closed_forms)
{
	asgd_staleness_summary sum;
	asgd_staleness_truncated t;
	uint64_t c1[] = { 300, 100 }, c2[] = { 500, 300, 200 };
	double p = 0.25, tb, mu2;

	summary_of_counts(c1, 2, &sum);
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 1, &t), ASGD_OK);
	cr_assert_float_eq(t.mu_hat, 1.0 / 3, 1e-12);
	cr_assert_float_eq(t.mu_se, (1.0 / 3) / sqrt(400 * p * (1 - p)), 1e-9);
	cr_assert_float_eq(t.tv_distance, 0, 1e-12, "the fit of s = 1 reproduces the histogram");
	cr_assert_float_eq(t.mu_ci95[0], t.mu_hat - 1.96 * t.mu_se, 1e-12);
	asgd_staleness_summary_free(&sum);

	summary_of_counts(c2, 3, &sum);
	tb = (300.0 + 400.0) / 1000;
	mu2 = (-(1 - tb) + sqrt((1 - tb) * (1 - tb) + 4 * (2 - tb) * tb)) / (2 * (2 - tb));
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 2, &t), ASGD_OK);
	cr_assert_float_eq(t.mu_hat, mu2, 1e-12, "mu_hat %.15g, closed form %.15g", t.mu_hat, mu2);
	asgd_staleness_summary_free(&sum);
}

/* Samples of known μ (fixed seed, n = 20000), below and above μ = 1: μ̂ within 4 Fisher SEs
 * (the SE is the fit's own, μ̂/√(n Var τ); 4 SEs fail a correct fit with probability 6e-5),
 * and the interval covers μ. A fit that ignored the truncation (τ̄/(1 + τ̄)) misses by far more. */
Test(truncated, mle_recovers_a_known_mu)
{
	static const double mus[] = { 0.6, 1.5 };
	static const uint64_t bounds[] = { 3, 5 };
	asgd_rng rng;

	asgd_rng_init(&rng, 2026, 3);
	for (size_t i = 0; i < 2; i++) {
		uint64_t counts[8] = { 0 }, s = bounds[i];
		asgd_staleness_summary sum;
		asgd_staleness_truncated t;

		for (int n = 0; n < 20000; n++) {
			double u = asgd_rng_uniform(&rng), c = 0;
			uint64_t j = 0;

			for (; j < s; j++) {
				c += asgd_truncated_geometric_pmf(mus[i], s, j);
				if (u < c)
					break;
			}
			counts[j]++;
		}
		summary_of_counts(counts, s + 1, &sum);
		cr_assert_eq(asgd_staleness_fit_truncated(&sum, s, &t), ASGD_OK);
		cr_assert(fabs(t.mu_hat - mus[i]) < 4 * t.mu_se, "mu %g: mu_hat %.4f, SE %.4f",
			  mus[i], t.mu_hat, t.mu_se);
		cr_assert(t.mu_ci95[0] <= mus[i] && mus[i] <= t.mu_ci95[1]);
		cr_assert(t.tv_distance < 0.02, "TV %.4f against its own law", t.tv_distance);
		cr_assert(fabs(sum.mu_hat - mus[i]) > 8 * t.mu_se,
			  "the untruncated fit %.4f should miss mu %g", sum.mu_hat, mus[i]);
		asgd_staleness_summary_free(&sum);
	}
}

Test(truncated, fit_refuses_samples_above_the_bound_and_has_its_ends)
{
	asgd_staleness_summary sum;
	asgd_staleness_truncated t;
	uint64_t above[] = { 5, 5, 1 }, zeros[] = { 9 }, top[] = { 0, 0, 7 };

	summary_of_counts(above, 3, &sum);
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 1, &t), ASGD_EINVAL);
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 0, &t), ASGD_EINVAL);
	asgd_staleness_summary_free(&sum);
	summary_of_counts(zeros, 1, &sum);
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 2, &t), ASGD_OK);
	cr_assert_eq(t.mu_hat, 0);
	cr_assert(isnan(t.mu_se));
	asgd_staleness_summary_free(&sum);
	summary_of_counts(top, 3, &sum);
	cr_assert_eq(asgd_staleness_fit_truncated(&sum, 2, &t), ASGD_OK);
	cr_assert(isinf(t.mu_hat));
	cr_assert_float_eq(t.tv_distance, 0, 1e-15);
	asgd_staleness_summary_free(&sum);
}
