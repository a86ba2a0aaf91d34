/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_geomix.c — the mixture-of-geometrics fit against samples from known mixtures.
 *
 * Samples come from asgd/rng.h with fixed seeds: a component j is picked with chance w_j, then
 * τ = asgd_rng_geometric(μ_j). A recovered parameter passes when it is within 4 standard errors
 * of the truth, the SE being √(diag(I⁻¹)/n) with I the Fisher information of one sample under the
 * true mixture, summed over l exactly (fisher_se below): EM finds the MLE, which for n this large
 * is normal with that covariance.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_linalg.h>

#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/rng.h"

/* The histogram of n draws from @m (len 4096, τ clipped there; nothing here reaches it). */
#define HIST_LEN 4096

static uint64_t *mixture_hist(const asgd_geomix *m, size_t n, uint64_t seed)
{
	uint64_t *h = calloc(HIST_LEN, sizeof(*h));
	asgd_rng r;

	cr_assert_not_null(h);
	asgd_rng_init(&r, seed, 0);
	for (size_t i = 0; i < n; i++) {
		double u = asgd_rng_uniform(&r), c = 0;
		size_t j = 0;
		uint64_t t;

		while (j + 1 < m->count && u >= (c += m->weight[j]))
			j++;
		t = asgd_rng_geometric(&r, m->mu[j]);
		h[t < HIST_LEN ? t : HIST_LEN - 1]++;
	}
	return h;
}

static asgd_geomix mixture(size_t k, const double *w, const double *mu)
{
	asgd_geomix m = {.count = k};

	for (size_t j = 0; j < k; j++) {
		m.weight[j] = w[j];
		m.mu[j] = mu[j];
	}
	return m;
}

/*
 * Standard errors of the MLE from n samples: parameters θ = (w_1..w_{K−1}, μ_1..μ_K), with
 * w_K = 1 − Σ w_j; I = Σ_l p(l)·∇log p(l)∇log p(l)ᵀ, where ∂p/∂w_j = g_j − g_K and
 * ∂p/∂μ_j = w_j g_j (l/μ_j − 1/(1 − μ_j)), g_j(l) = (1 − μ_j)μ_j^l. se_w[K−1] is the SE of
 * w_K = 1 − Σ w_j, from the sum of the w block of I⁻¹.
 */
static void fisher_se(const asgd_geomix *m, double n, double *se_w, double *se_mu)
{
	size_t k = m->count, p = 2 * k - 1;
	gsl_matrix *info = gsl_matrix_calloc(p, p);
	double grad[2 * ASGD_GEOMIX_MAX], sum_w = 0;

	for (uint64_t l = 0; l < 200000; l++) {
		double g[ASGD_GEOMIX_MAX], pl = 0;

		for (size_t j = 0; j < k; j++) {
			g[j] = (1 - m->mu[j]) * pow(m->mu[j], (double)l);
			pl += m->weight[j] * g[j];
		}
		if (pl < 1e-300)
			break;
		for (size_t j = 0; j + 1 < k; j++)
			grad[j] = (g[j] - g[k - 1]) / pl;
		for (size_t j = 0; j < k; j++)
			grad[k - 1 + j] = m->weight[j] * g[j] *
					  ((double)l / m->mu[j] - 1 / (1 - m->mu[j])) / pl;
		for (size_t a = 0; a < p; a++)
			for (size_t b = 0; b < p; b++)
				*gsl_matrix_ptr(info, a, b) += pl * grad[a] * grad[b];
	}
	cr_assert_eq(gsl_linalg_cholesky_decomp1(info), 0);
	cr_assert_eq(gsl_linalg_cholesky_invert(info), 0);
	for (size_t j = 0; j + 1 < k; j++) {
		se_w[j] = sqrt(gsl_matrix_get(info, j, j) / n);
		for (size_t b = 0; b + 1 < k; b++)
			sum_w += gsl_matrix_get(info, j, b);
	}
	se_w[k - 1] = sqrt(sum_w / n);
	for (size_t j = 0; j < k; j++)
		se_mu[j] = sqrt(gsl_matrix_get(info, k - 1 + j, k - 1 + j) / n);
	gsl_matrix_free(info);
}

/* Fit @truth's K to n draws and check every weight and μ within 4 SE. */
static void check_recovery(const asgd_geomix *truth, size_t n, uint64_t seed)
{
	double se_w[ASGD_GEOMIX_MAX], se_mu[ASGD_GEOMIX_MAX];
	uint64_t *h = mixture_hist(truth, n, seed);
	asgd_geomix fit;

	fisher_se(truth, (double)n, se_w, se_mu);
	cr_assert_eq(asgd_geomix_fit(h, HIST_LEN, truth->count, &fit), ASGD_OK);
	cr_assert_eq(fit.count, truth->count);
	for (size_t j = 0; j < fit.count; j++) {
		cr_log_info("K=%zu n=%zu: w[%zu] = %.5f (true %.3f, SE %.5f), mu[%zu] = %.5f "
			    "(true %.3f, SE %.5f), %u iterations", truth->count, n, j,
			    fit.weight[j], truth->weight[j], se_w[j], j, fit.mu[j], truth->mu[j],
			    se_mu[j], fit.iterations);
		cr_expect_leq(fabs(fit.weight[j] - truth->weight[j]), 4 * se_w[j],
			      "w[%zu] = %g, true %g, 4 SE = %g", j, fit.weight[j],
			      truth->weight[j], 4 * se_w[j]);
		cr_expect_leq(fabs(fit.mu[j] - truth->mu[j]), 4 * se_mu[j],
			      "mu[%zu] = %g, true %g, 4 SE = %g", j, fit.mu[j], truth->mu[j],
			      4 * se_mu[j]);
	}
	free(h);
}

Test(geomix, recovers_two_components)
{
	asgd_geomix m = mixture(2, (double[]){0.6, 0.4}, (double[]){0.3, 0.9});

	check_recovery(&m, 1000000, 11);
}

Test(geomix, recovers_the_sme_test_mixture)
{
	asgd_geomix m = mixture(2, (double[]){0.5, 0.5}, (double[]){0.5, 0.95});

	check_recovery(&m, 1000000, 12);
}

Test(geomix, recovers_three_components)
{
	asgd_geomix m = mixture(3, (double[]){0.5, 0.3, 0.2}, (double[]){0.1, 0.6, 0.95});

	check_recovery(&m, 1000000, 13);
}

/* One geometric: the K = 1 fit is the closed-form MLE μ̂ = τ̄/(1 + τ̄), and BIC keeps K = 1. */
Test(geomix, bic_keeps_one_geometric)
{
	asgd_geomix m = mixture(1, (double[]){1}, (double[]){0.7}), best, all[4];
	uint64_t *h = mixture_hist(&m, 200000, 21);
	double s = 0, n = 0;

	for (size_t l = 0; l < HIST_LEN; l++) {
		s += (double)l * (double)h[l];
		n += (double)h[l];
	}
	cr_assert_eq(asgd_geomix_select(h, HIST_LEN, 4, &best, all), ASGD_OK);
	cr_assert_eq(best.count, 1, "BIC chose K = %zu (bic %g %g %g %g)", best.count, all[0].bic,
		     all[1].bic, all[2].bic, all[3].bic);
	cr_assert_float_eq(best.mu[0], (s / n) / (1 + s / n), 1e-12);
	cr_assert_eq(best.weight[0], 1);
	/* more components never fit worse (EM from the quantile start reaches the MLE region) */
	for (size_t k = 1; k < 4; k++)
		cr_expect_geq(all[k].loglik, all[0].loglik - 1e-6 * fabs(all[0].loglik));
	free(h);
}

Test(geomix, bic_picks_two_separated_components)
{
	asgd_geomix m = mixture(2, (double[]){0.6, 0.4}, (double[]){0.3, 0.9}), best, all[6];
	uint64_t *h = mixture_hist(&m, 100000, 22);

	cr_assert_eq(asgd_geomix_select(h, HIST_LEN, 6, &best, all), ASGD_OK);
	cr_assert_eq(best.count, 2, "BIC chose K = %zu", best.count);
	cr_expect_lt(all[1].bic, all[0].bic);
	free(h);
}

/*
 * A thin far tail, like descheduled workers give real staleness: 3e-5 of the samples from
 * geometric(0.98) under a geometric(0.7) bulk. EM started on the quantiles of the data never puts
 * a component out there; the fit must still find it (it raises the log-likelihood by far more
 * than BIC's penalty) and BIC must keep it.
 */
Test(geomix, finds_a_thin_far_tail)
{
	asgd_geomix m = mixture(2, (double[]){1 - 3e-5, 3e-5}, (double[]){0.7, 0.98}), best;
	uint64_t *h = mixture_hist(&m, 1000000, 23);

	cr_assert_eq(asgd_geomix_select(h, HIST_LEN, 4, &best, NULL), ASGD_OK);
	cr_assert_eq(best.count, 2, "BIC chose K = %zu", best.count);
	/* 30 tail samples: their μ to within the spread of a 30-sample geometric mean (~20%) */
	cr_expect(fabs(best.mu[1] - 0.98) < 0.01, "tail mu %g", best.mu[1]);
	cr_expect(best.weight[1] > 1e-5 && best.weight[1] < 1e-4, "tail weight %g", best.weight[1]);
	free(h);
}

/* Every fit keeps a valid mixture: weights in (0, 1] summing to 1, μ increasing in [0, 1). */
static void check_valid(const asgd_geomix *f)
{
	cr_assert_eq(asgd_geomix_check(f), ASGD_OK);
	for (size_t j = 1; j < f->count; j++)
		cr_assert_lt(f->mu[j - 1], f->mu[j]);
}

Test(geomix, all_zero_is_a_point_mass)
{
	uint64_t h[5] = {1000, 0, 0, 0, 0};
	asgd_geomix f;

	for (size_t k = 1; k <= ASGD_GEOMIX_MAX; k++) {
		cr_assert_eq(asgd_geomix_fit(h, 5, k, &f), ASGD_OK);
		cr_assert_eq(f.count, 1);
		cr_assert_eq(f.mu[0], 0);
		cr_assert_eq(f.weight[0], 1);
		cr_assert_eq(f.loglik, 0);
		cr_assert_float_eq(f.bic, log(1000.0), 1e-12);
	}
}

/* Two levels only, more components than the data can carry: they collapse or merge, validly. */
Test(geomix, degenerate_data_keep_valid_weights)
{
	uint64_t two[2] = {700, 300}, spike[40] = {0};
	asgd_geomix f;

	for (size_t k = 1; k <= ASGD_GEOMIX_MAX; k++) {
		cr_assert_eq(asgd_geomix_fit(two, 2, k, &f), ASGD_OK);
		check_valid(&f);
		cr_assert(isfinite(f.loglik) && isfinite(f.bic));
	}
	spike[0] = 500;		/* a spike at 0 over a geometric tail: a μ ≈ 0 component */
	for (size_t l = 0; l < 40; l++)
		spike[l] += (uint64_t)(500 * 0.2 * pow(0.8, (double)l));
	for (size_t k = 1; k <= ASGD_GEOMIX_MAX; k++) {
		cr_assert_eq(asgd_geomix_fit(spike, 40, k, &f), ASGD_OK);
		check_valid(&f);
	}
	cr_assert_eq(asgd_geomix_fit(spike, 40, 2, &f), ASGD_OK);
	cr_expect_lt(f.mu[0], 0.05, "spike component mu %g", f.mu[0]);
}

Test(geomix, rejects_bad_input)
{
	uint64_t h[3] = {1, 2, 3}, z[3] = {0};
	asgd_geomix f, bad = mixture(2, (double[]){0.5, 0.6}, (double[]){0.1, 0.2});

	cr_assert_eq(asgd_geomix_fit(NULL, 3, 1, &f), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_fit(h, 3, 0, &f), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_fit(h, 3, ASGD_GEOMIX_MAX + 1, &f), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_fit(z, 3, 1, &f), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_fit(h, 3, 1, NULL), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_select(h, 3, 0, &f, NULL), ASGD_EINVAL);
	cr_assert_eq(asgd_geomix_check(&bad), ASGD_EINVAL);
	bad.weight[1] = 0.5;
	cr_assert_eq(asgd_geomix_check(&bad), ASGD_OK);
	bad.mu[1] = 1;
	cr_assert_eq(asgd_geomix_check(&bad), ASGD_EINVAL);
}

/* The table holds the pmf, its last cell the tail, so it sums to 1; its length is the first L
 * with P(τ ≥ L) < eps; Σ l p(l) is the mean formula Σ w_j μ_j/(1 − μ_j). */
Test(geomix, pmf_table_and_mean)
{
	asgd_geomix m = mixture(3, (double[]){0.2, 0.5, 0.3}, (double[]){0, 0.5, 0.97});
	double *p, s = 0, mean = 0, tail_prev = 0, tail_at = 0;
	size_t len;

	cr_assert_eq(asgd_geomix_pmf_table(&m, 1e-10, &p, &len), ASGD_OK);
	for (size_t l = 0; l < len; l++)
		s += p[l];
	cr_assert_float_eq(s, 1, 1e-12);
	for (size_t j = 0; j < 3; j++) {
		tail_at += m.weight[j] * pow(m.mu[j], (double)len);
		tail_prev += m.weight[j] * pow(m.mu[j], (double)len - 1);
	}
	cr_assert_lt(tail_at, 1e-10);
	cr_assert_geq(tail_prev, 1e-10);
	cr_assert_float_eq(p[0], 0.2 + 0.5 * 0.5 + 0.3 * 0.03, 1e-15);
	free(p);
	for (uint64_t l = 0; l < 5000; l++)
		mean += (double)l * asgd_geomix_pmf(&m, l);
	cr_assert_float_eq(asgd_geomix_mean(&m), 0.5 / 0.5 * 0.5 + 0.3 * 0.97 / 0.03, 1e-12);
	cr_assert_float_eq(mean, asgd_geomix_mean(&m), 1e-9);
	cr_assert_float_eq(asgd_geomix_mu_bar(&m), mean / (1 + mean), 1e-9);
	cr_assert_eq(asgd_geomix_pmf_table(&m, 0, &p, &len), ASGD_EINVAL);
}

Test(geomix, parse)
{
	asgd_geomix m;
	char err[200];
	const char *bad[] = { "", "0.5", "0.5:", ":0.3", "0.5:0.3,", "0.5:0.3;0.5:0.9", "x:0.3",
			      "0.5:0.3x,0.5:0.9", "0:0.3,1:0.9", "-0.5:0.3,1.5:0.9", "1:1",
			      "1:-0.1", "0.5:0.3,0.4:0.9", "nan:0.3", "1:inf",
			      "0.1:0,0.1:0.1,0.1:0.2,0.1:0.3,0.1:0.4,0.1:0.5,0.4:0.6" };

	cr_assert_eq(asgd_geomix_parse("0.4:0.9,0.6:0.3", &m, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	cr_assert_eq(m.count, 2);
	cr_assert_eq(m.mu[0], 0.3);	/* sorted by mu */
	cr_assert_eq(m.weight[0], 0.6);
	cr_assert_eq(m.mu[1], 0.9);
	cr_assert_eq(asgd_geomix_check(&m), ASGD_OK);
	cr_assert_eq(asgd_geomix_parse("1:0", &m, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(m.count, 1);
	cr_assert_eq(asgd_geomix_parse("0.5:0.7,0.5:0.7", &m, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(m.count, 1, "equal mu merged");
	cr_assert_eq(m.weight[0], 1);
	cr_assert_eq(asgd_geomix_parse("0.3333333333:0.1,0.6666666667:0.5", &m, err, sizeof(err)),
		     ASGD_OK, "within 1e-9: %s", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		cr_expect_eq(asgd_geomix_parse(bad[i], &m, err, sizeof(err)), ASGD_EPARSE,
			     "'%s' accepted", bad[i]);
		cr_expect(err[0] != 0, "'%s': no message", bad[i]);
	}
	cr_assert_eq(asgd_geomix_parse("0.5:0.3,0.4:0.9", &m, err, sizeof(err)), ASGD_EPARSE);
	cr_expect(strstr(err, "0.9") && strstr(err, "sum"), "%s", err);
	cr_assert_eq(asgd_geomix_parse(NULL, &m, err, sizeof(err)), ASGD_EINVAL);
}

/* A stall tail is a light component (< 1%) with μ above the heaviest one's; nothing else is. */
Test(geomix, stall_tail_classification)
{
	asgd_geomix m = mixture(2, (double[]){ 1 - 5e-4, 5e-4 }, (double[]){ 0.71, 0.986 });
	asgd_geomix near = mixture(2, (double[]){ 0.99, 0.01 }, (double[]){ 0.7, 0.98 });
	asgd_geomix low = mixture(2, (double[]){ 0.005, 0.995 }, (double[]){ 0.1, 0.7 });
	asgd_geomix three = mixture(3, (double[]){ 0.3, 0.695, 0.005 },
				    (double[]){ 0.2, 0.7, 0.99 });
	cJSON *j;

	cr_assert_not(asgd_geomix_is_stall_tail(&m, 0));
	cr_assert(asgd_geomix_is_stall_tail(&m, 1));
	cr_assert_not(asgd_geomix_is_stall_tail(&m, 2));	/* out of range */
	cr_assert_not(asgd_geomix_is_stall_tail(NULL, 0));
	cr_assert_not(asgd_geomix_is_stall_tail(&near, 1));	/* weight 1% is not below 1% */
	cr_assert_not(asgd_geomix_is_stall_tail(&low, 0));	/* light, but below the body */
	cr_assert(asgd_geomix_is_stall_tail(&three, 2));
	cr_assert_not(asgd_geomix_is_stall_tail(&three, 0));
	/* the JSON names it, with its mean τ = μ/(1 − μ) */
	j = asgd_geomix_json(&m, NULL, 0);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(j, "components"), 1), "stall_tail")));
	cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "stall_tail"), "mean")
				   ->valuedouble, 0.986 / 0.014, 1e-9);
	cJSON_Delete(j);
	j = asgd_geomix_json(&near, NULL, 0);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "stall_tail")));
	cJSON_Delete(j);
}
