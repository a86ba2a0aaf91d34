/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sme_noise.c — the SMEs' noise on data (asgd/sme.h, docs/MODELS.md §2.1): the row route
 * realises exactly the component covariance C(x) without forming it, the sampled variant has the
 * same covariance, the row route agrees with the old dense one, evolving Σ is refused on large d,
 * and the discrete replays and SMEs run on a d = 47,236 data set without its d² or K·d.
 *
 * The noise is read off the ensemble: SME-MSGD from P_0 = 0 with two substeps of length h records
 * X = x_0 + h·P_1 = x_0 − h²∇f(x_0) + h·a·ξ, a = η^{1/4}√h the noise amplitude and ξ the first
 * substep's draw of √C(x_0) dB/√h. So ξ = (X − x_0 + h²∇f(x_0))/(h·a), path by path (keep_final).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/observe.h"
#include "asgd/sim.h"
#include "asgd/sme.h"

struct data {
	asgd_dataset *ds;
	asgd_problem *p;
};

static void data_open(struct data *t, const char *spec)
{
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 0.05, .positive = NAN };
	char err[256];

	cr_assert_eq(asgd_dataset_generate(spec, &t->ds, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_problem_create_data(t->ds, &m, &t->p, err, sizeof(err)), ASGD_OK, "%s",
		     err);
}

static void data_close(struct data *t)
{
	asgd_problem_destroy(t->p);
	asgd_dataset_destroy(t->ds);
}

/* A point away from x_0 = 0, so that C(x) has every kind of term. */
static double *point(const asgd_problem *p)
{
	size_t d = asgd_problem_dim(p);
	double *x = malloc(d * sizeof(double));

	for (size_t j = 0; j < d; j++)
		x[j] = 0.3 * sin(1.0 + 2.0 * (double)j);
	return x;
}

/* @N draws of ξ at @x for the noise choice (@kind, @m): N·d doubles, draw p at p·d. */
static double *draws(const asgd_problem *p, const double *x, uint64_t N, asgd_sme_noise kind,
		     size_t m)
{
	const size_t d = asgd_problem_dim(p);
	const double eta = 0.04;
	asgd_sme_config c = {
		.model = ASGD_MODEL_SME_MSGD, .sigma = ASGD_SIGMA_INSTANT, .problem = p,
		.eta = eta, .mu = 0.5, .iters = 1, .substeps = 2, .x0 = x, .paths = N,
		.threads = 2, .seed = 11, .keep_final = 1, .noise = kind, .noise_rows = m,
	};
	asgd_sme_result r;
	double *g = malloc(d * sizeof(double)), *xi = malloc(N * d * sizeof(double)), h, a;

	cr_assert_eq(asgd_sme_run(&c, &r), ASGD_OK);
	h = r.dt / 2;
	a = pow(eta, 0.25) * sqrt(h);
	asgd_problem_grad(p, x, g);
	for (uint64_t q = 0; q < N; q++)
		for (size_t j = 0; j < d; j++)
			xi[q * d + j] = (r.ens.final[q * d + j] - x[j] + h * h * g[j]) / (h * a);
	asgd_sme_result_free(&r);
	free(g);
	return xi;
}

/*
 * Every entry of the sample covariance of @xi (about the known mean 0) against C, and every
 * entry of the mean against 0, in standard errors. For Gaussian ξ with covariance C the estimate
 * Ĉ_rq = (1/N) Σ_p ξ_r ξ_q has variance (E[ξ_r²ξ_q²] − C_rq²)/N = (C_rr C_qq + C_rq²)/N (Isserlis:
 * E ξ_r²ξ_q² = C_rr C_qq + 2C_rq²); @gaussian picks that, else the SE is the empirical one,
 * the sample variance of ξ_r ξ_q over N, which holds for the scale mixture of the sampled rows.
 * The mean's entry r has SE √(C_rr/N). Returns the largest ratio seen.
 */
static double worst_ratio(const double *xi, uint64_t N, const double *C, size_t d, int gaussian)
{
	double worst = 0;

	for (size_t r = 0; r < d; r++) {
		double mean = 0;

		for (uint64_t q = 0; q < N; q++)
			mean += xi[q * d + r] / (double)N;
		if (C[r * d + r] > 0)
			worst = fmax(worst, fabs(mean) / sqrt(C[r * d + r] / (double)N));
		for (size_t s = 0; s <= r; s++) {
			double sum = 0, sq = 0, est, var, c = C[r * d + s];

			for (uint64_t q = 0; q < N; q++) {
				double v = xi[q * d + r] * xi[q * d + s];

				sum += v;
				sq += v * v;
			}
			est = sum / (double)N;
			var = gaussian ? (C[r * d + r] * C[s * d + s] + c * c) / (double)N
				       : (sq / (double)N - est * est) / (double)N;
			if (var > 0)
				worst = fmax(worst, fabs(est - c) / sqrt(var));
			else
				cr_assert_float_eq(est, c, 1e-12);
		}
	}
	return worst;
}

/* max over 12·13/2 + 12 = 90 entries of |z|: under 4.5 SE unless something is off (P ≈ 6e-4). */
#define WORST_SE 4.5

static void check_covariance(asgd_sme_noise kind, size_t m, int gaussian)
{
	struct data t;
	const uint64_t N = 20000;
	double *x, *C, *xi;
	size_t d;

	data_open(&t, "rcv1:n=40,d=12,nnz=4,seed=3");
	d = asgd_problem_dim(t.p);
	x = point(t.p);
	C = malloc(d * d * sizeof(double));
	cr_assert_eq(asgd_problem_covariance(t.p, x, C), ASGD_OK);
	xi = draws(t.p, x, N, kind, m);
	cr_expect_lt(worst_ratio(xi, N, C, d, gaussian), WORST_SE);
	free(xi);
	free(C);
	free(x);
	data_close(&t);
}

Test(sme_noise, exact_rows_have_the_component_covariance)
{
	check_covariance(ASGD_SME_NOISE_EXACT, 0, 1);
}

Test(sme_noise, sampled_rows_have_the_component_covariance)
{
	check_covariance(ASGD_SME_NOISE_SAMPLED, 3, 0);
}

/*
 * The row route and the old dense route (dense_noise) draw the same normals in the same order,
 * z_i for row i, so their paths differ only by rounding (Σ z_i∇f_i − (Σ z_i)∇f against
 * Σ z_i(∇f_i − ∇f)): the moments agree within combined SEs, and in fact to ~1e-12.
 */
Test(sme_noise, row_route_agrees_with_the_dense_route)
{
	struct data t;
	asgd_observable o;
	char err[128];
	asgd_sme_result r[2];

	data_open(&t, "rcv1:n=60,d=20,nnz=5,seed=4");
	cr_assert_eq(asgd_observable_init(&o, "loss", t.p, err, sizeof(err)), ASGD_OK);
	for (int dense = 0; dense < 2; dense++) {
		asgd_sme_config c = {
			.model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_INSTANT, .problem = t.p,
			.eta = 0.2, .mu = 0.5, .iters = 40, .substeps = 2, .paths = 400,
			.threads = 2, .seed = 5, .observe = &o, .dense_noise = dense,
		};

		cr_assert_eq(asgd_sme_run(&c, &r[dense]), ASGD_OK);
	}
	for (size_t k = 1; k <= 40; k++) {
		asgd_moment_row a, b;

		cr_assert_eq(asgd_moments_get(&r[0].ens.moments, k, 0, &a), ASGD_OK);
		cr_assert_eq(asgd_moments_get(&r[1].ens.moments, k, 0, &b), ASGD_OK);
		cr_expect_leq(fabs(a.mean - b.mean), 2 * hypot(a.se_mean, b.se_mean), "k=%zu", k);
		cr_expect_leq(fabs(a.second - b.second), 2 * hypot(a.se_second, b.se_second),
			      "k=%zu", k);
		cr_expect_leq(fabs(a.mean - b.mean), 1e-10 * (1 + fabs(a.mean)), "k=%zu: %.17g vs "
			      "%.17g", k, a.mean, b.mean);
	}
	asgd_sme_result_free(&r[0]);
	asgd_sme_result_free(&r[1]);
	asgd_observable_free(&o);
	data_close(&t);
}

Test(sme_noise, evolving_sigma_is_refused_on_large_d)
{
	struct data t;
	char err[512];
	asgd_sme_config c;

	data_open(&t, "rcv1:n=50,d=2000,nnz=5,seed=1");
	c = (asgd_sme_config){
		.model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONTINUUM, .problem = t.p,
		.eta = 0.1, .mu = 0.5, .iters = 2, .substeps = 1, .paths = 2,
	};
	cr_assert_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "d x d") && strstr(err, "d <= 1024"), "%s", err);
	c.sigma = ASGD_SIGMA_INSTANT;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_OK, "%s", err);
	c.noise = ASGD_SME_NOISE_SAMPLED;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	data_close(&t);
}

Test(sme_noise, parse)
{
	asgd_sme_noise k;
	size_t m = 7;

	cr_assert_eq(asgd_sme_noise_parse("exact", &k, &m), ASGD_OK);
	cr_expect(k == ASGD_SME_NOISE_EXACT && m == 0);
	cr_assert_eq(asgd_sme_noise_parse("sampled:64", &k, &m), ASGD_OK);
	cr_expect(k == ASGD_SME_NOISE_SAMPLED && m == 64);
	cr_expect_eq(asgd_sme_noise_parse("sampled:0", &k, &m), ASGD_EINVAL);
	cr_expect_eq(asgd_sme_noise_parse("sampled", &k, &m), ASGD_EINVAL);
	cr_expect_eq(asgd_sme_noise_parse("dense", &k, &m), ASGD_EINVAL);
}

/*
 * On d = 47,236 every model runs with the loss scored row by row: a path's K·d trajectory (here
 * 51 × 47,236 doubles = 19 MB a thread, 755 MB at K = 2,000) and C's d² are never allocated.
 */
Test(sme_noise, models_run_on_wide_sparse_data, .timeout = 120)
{
	struct data t;
	asgd_observable o;
	char err[128];

	data_open(&t, "rcv1:n=300,d=47236,nnz=20,seed=2");
	cr_assert_eq(asgd_observable_init(&o, "loss", t.p, err, sizeof(err)), ASGD_OK);
	for (int sme = 0; sme < 2; sme++) {
		asgd_sim_config s = {
			.model = ASGD_MODEL_ASGD, .problem = t.p, .observe = &o, .eta = 0.05,
			.mu = 0.5, .iters = 50, .paths = 8, .threads = 2, .seed = 3,
		};
		asgd_sme_config e = {
			.model = ASGD_MODEL_SME_SGD, .sigma = ASGD_SIGMA_INSTANT, .problem = t.p,
			.observe = &o, .eta = 0.05, .iters = 50, .substeps = 1, .paths = 8,
			.threads = 2, .seed = 3,
		};
		asgd_sim_result rs;
		asgd_sme_result re;
		const asgd_moments *mo;
		asgd_moment_row r0, rK;

		if (sme) {
			cr_assert_eq(asgd_sme_run(&e, &re), ASGD_OK);
			mo = &re.ens.moments;
		} else {
			cr_assert_eq(asgd_sim_run(&s, &rs), ASGD_OK);
			mo = &rs.ens.moments;
		}
		cr_assert_eq(asgd_moments_get(mo, 0, 0, &r0), ASGD_OK);
		cr_assert_eq(asgd_moments_get(mo, 50, 0, &rK), ASGD_OK);
		cr_expect_float_eq(r0.mean, log(2.0), 1e-12, "the loss at x_0 = 0 is log 2");
		cr_expect(isfinite(rK.mean) && rK.mean < r0.mean, "sme=%d: the loss goes down: %g "
			  "-> %g", sme, r0.mean, rK.mean);
		if (sme)
			asgd_sme_result_free(&re);
		else
			asgd_sim_result_free(&rs);
	}
	asgd_observable_free(&o);
	data_close(&t);
}
