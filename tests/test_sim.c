/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sim.c — the discrete reference processes against exact moment recursions written here
 * from docs/MODELS.md §4 (so that this test does not lean on the exact module), plus the
 * invariants: thread-count independence, ASGD(μ=0) = SGD = MSGD(μ'=0) step for step, the 1-D and
 * general loops agree, and the truncation accounting. Monte Carlo checks use fixed seeds and a
 * tolerance of 4 standard errors of the ensemble estimate (asgd_moments_get's se_mean and
 * se_second) at every 10th step, plus 1e-12 for the exactly known step 0.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/sim.h"

/* 1-D affine problem data ∇f_i = A_i x − b_i for fig4: f_{1,2} = (x ∓ 1)² − 1. */
static const double FIG4_A[2] = { 2, 2 }, FIG4_B[2] = { 2, -2 };

struct ref {
	double *e, *p;	/* E x_k, E x_k², k = 0..K */
};

static void ref_alloc(struct ref *r, uint64_t K)
{
	r->e = calloc(K + 1, sizeof(double));
	r->p = calloc(K + 1, sizeof(double));
	cr_assert(r->e && r->p);
}

static void ref_free(struct ref *r)
{
	free(r->e);
	free(r->p);
}

/* (1/n)Σ_i E[(A_i x_r − b_i)²] given E x_r = m, E x_r² = d: the noise term N_k for batch 1. */
static double component_square(double m, double d)
{
	double s = 0;

	for (int i = 0; i < 2; i++)
		s += FIG4_A[i] * FIG4_A[i] * d - 2 * FIG4_A[i] * FIG4_B[i] * m + FIG4_B[i] * FIG4_B[i];
	return s / 2;
}

/* Mini-batch ASGD (batch B, or sched[k] when given; B = 1 is ASGD) in 1-D: docs/MODELS.md §4. */
static void ref_asgd_sched(struct ref *r, double x0, double eta, double mu, double B,
			   const uint32_t *sched, uint64_t K)
{
	const double A = (FIG4_A[0] + FIG4_A[1]) / 2, b = (FIG4_B[0] + FIG4_B[1]) / 2;
	double e = x0, P = x0 * x0, Q = P, R = P, D = P, m = x0;

	for (uint64_t k = 0;; k++) {
		double T, N, full;

		r->e[k] = e;
		r->p[k] = P;
		if (k == K)
			break;
		if (sched)
			B = sched[k];
		T = Q - eta * (A * R - b * m);
		full = A * A * D - 2 * A * m * b + b * b;
		N = component_square(m, D) / B + (1 - 1 / B) * full;
		P = P - 2 * eta * (A * Q - b * e) + eta * eta * N;
		e = e - eta * (A * m - b);
		Q = (1 - mu) * P + mu * T;
		R = (1 - mu) * (1 - mu) * P + 2 * (1 - mu) * mu * T + mu * mu * R;
		D = (1 - mu) * P + mu * D;
		m = (1 - mu) * e + mu * m;
	}
}

static void ref_asgd(struct ref *r, double x0, double eta, double mu, double B, uint64_t K)
{
	ref_asgd_sched(r, x0, eta, mu, B, NULL, K);
}

/* MSGD (2.6) in 1-D: the exact moments of z = (x, v). */
static void ref_msgd(struct ref *r, double x0, double eta, double mu, uint64_t K)
{
	const double A = (FIG4_A[0] + FIG4_A[1]) / 2, b = (FIG4_B[0] + FIG4_B[1]) / 2;
	double ex = x0, ev = 0, xx = x0 * x0, vv = 0, xv = 0;

	for (uint64_t k = 0;; k++) {
		double ev1, vv1, xv1;

		r->e[k] = ex;
		r->p[k] = xx;
		if (k == K)
			break;
		ev1 = mu * ev - eta * (A * ex - b);
		vv1 = mu * mu * vv - 2 * mu * eta * (A * xv - b * ev) +
		      eta * eta * component_square(ex, xx);
		xv1 = mu * xv - eta * (A * xx - b * ex);	/* E[x_k v_{k+1}] */
		ex += ev1;
		xx = xx + 2 * xv1 + vv1;
		xv = xv1 + vv1;
		ev = ev1;
		vv = vv1;
	}
}

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

static asgd_sim_config base(const asgd_problem *p, asgd_model m, double eta, double mu,
			    uint64_t K, uint64_t P)
{
	asgd_sim_config c;

	memset(&c, 0, sizeof(c));
	c.model = m;
	c.problem = p;
	c.eta = eta;
	c.mu = mu;
	c.iters = K;
	c.paths = P;
	c.threads = 2;
	c.seed = 42;
	return c;
}

static void run(const asgd_sim_config *c, asgd_sim_result *r)
{
	char err[256] = "";

	cr_assert_eq(asgd_sim_check_config(c, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_sim_run(c, r), ASGD_OK);
	cr_assert_eq(r->ens.paths_done, c->paths);
}

/* Rows 0, 10, 20, ..., K of coordinate 0 within 4 SE of the reference. */
static void expect_moments(const asgd_sim_result *r, const struct ref *ref, uint64_t K,
			   const char *what)
{
	for (uint64_t k = 0; k <= K; k += 10) {
		asgd_moment_row row;

		asgd_moments_get(&r->ens.moments, k, 0, &row);
		cr_expect_leq(fabs(row.mean - ref->e[k]), 4 * row.se_mean + 1e-12,
			      "%s: E x_%llu = %g ± %g, exact %g", what, (unsigned long long)k,
			      row.mean, row.se_mean, ref->e[k]);
		cr_expect_leq(fabs(row.second - ref->p[k]), 4 * row.se_second + 1e-12,
			      "%s: E x_%llu^2 = %g ± %g, exact %g", what, (unsigned long long)k,
			      row.second, row.se_second, ref->p[k]);
	}
}

static int same_sums(const asgd_moments *a, const asgd_moments *b)
{
	size_t n = a->steps * a->dim * sizeof(double);

	return a->paths == b->paths && !memcmp(a->s1, b->s1, n) && !memcmp(a->s2, b->s2, n) &&
	       !memcmp(a->s4, b->s4, n);
}

Test(sim, moments_do_not_depend_on_thread_count)
{
	const char *specs[] = { "fig4", "fig6:d=8" };
	const asgd_model models[] = { ASGD_MODEL_ASGD, ASGD_MODEL_MINIBATCH, ASGD_MODEL_MSGD };

	for (size_t s = 0; s < 2; s++) {
		asgd_problem *p = make(specs[s]);

		for (size_t m = 0; m < 3; m++) {
			asgd_sim_config c = base(p, models[m], 0.01, 0.9, 100, 700);
			asgd_sim_result r1, r2, r5;

			c.batch.constant = models[m] == ASGD_MODEL_MINIBATCH ? 3 : 0;
			c.threads = 1;
			run(&c, &r1);
			c.threads = 2;
			run(&c, &r2);
			c.threads = 5;
			run(&c, &r5);
			cr_expect(same_sums(&r1.ens.moments, &r2.ens.moments), "%s %s: 1 vs 2 threads",
				  specs[s], asgd_model_name(models[m]));
			cr_expect(same_sums(&r1.ens.moments, &r5.ens.moments), "%s %s: 1 vs 5 threads",
				  specs[s], asgd_model_name(models[m]));
			asgd_sim_result_free(&r1);
			asgd_sim_result_free(&r2);
			asgd_sim_result_free(&r5);
		}
		asgd_problem_destroy(p);
	}
}

/* One path of @m: its moments' Σx is the trajectory itself. */
static void one_path(const asgd_problem *p, asgd_model m, double mu, asgd_sim_result *r)
{
	asgd_sim_config c = base(p, m, 0.05, mu, 300, 1);

	c.seed = 7;
	run(&c, r);
}

Test(sim, zero_staleness_and_zero_momentum_are_sgd_step_for_step)
{
	const char *specs[] = { "fig4", "fig5-doublewell", "fig6:d=5" };

	for (size_t s = 0; s < 3; s++) {
		asgd_problem *p = make(specs[s]);
		asgd_sim_result sgd, asgd0, msgd0, mb1;

		one_path(p, ASGD_MODEL_SGD, 0.5, &sgd); /* μ is ignored for SGD */
		one_path(p, ASGD_MODEL_ASGD, 0.0, &asgd0);
		one_path(p, ASGD_MODEL_MSGD, 0.0, &msgd0);
		one_path(p, ASGD_MODEL_MINIBATCH, 0.0, &mb1);
		cr_expect(same_sums(&sgd.ens.moments, &asgd0.ens.moments), "%s: ASGD(0) != SGD",
			  specs[s]);
		cr_expect(same_sums(&sgd.ens.moments, &msgd0.ens.moments), "%s: MSGD(0) != SGD",
			  specs[s]);
		cr_expect(same_sums(&sgd.ens.moments, &mb1.ens.moments), "%s: minibatch(0,1) != SGD",
			  specs[s]);
		cr_expect_neq(sgd.ens.moments.s1[300 * asgd_problem_dim(p)],
			      sgd.ens.moments.s1[0], "%s: SGD did not move", specs[s]);
		asgd_sim_result_free(&sgd);
		asgd_sim_result_free(&asgd0);
		asgd_sim_result_free(&msgd0);
		asgd_sim_result_free(&mb1);
		asgd_problem_destroy(p);
	}
}

Test(sim, one_dimensional_loop_matches_the_general_loop)
{
	/* Two uncoupled copies of fig4 in 2-D take the general loop and the same draws. */
	const double A[8] = { 2, 0, 0, 2, 2, 0, 0, 2 }, b[4] = { 2, 2, -2, -2 }, x0[2] = { 1, 1 };
	asgd_problem *p1 = make("fig4"), *p2;
	const asgd_model models[] = { ASGD_MODEL_ASGD, ASGD_MODEL_MINIBATCH, ASGD_MODEL_MSGD };

	cr_assert_eq(asgd_problem_create_quadratic(2, 2, A, b, NULL, &p2), ASGD_OK);
	for (size_t m = 0; m < 3; m++) {
		asgd_sim_config c1 = base(p1, models[m], 0.01, 0.9, 200, 64);
		asgd_sim_config c2 = base(p2, models[m], 0.01, 0.9, 200, 64);
		asgd_sim_result r1, r2;

		c2.x0 = x0;
		c1.batch.constant = c2.batch.constant = models[m] == ASGD_MODEL_MINIBATCH ? 2 : 0;
		run(&c1, &r1);
		run(&c2, &r2);
		for (size_t k = 0; k <= 200; k++)
			for (size_t d = 0; d < 2; d++)
				cr_assert(fabs(r1.ens.moments.s1[k] - r2.ens.moments.s1[2 * k + d]) <=
						  1e-12 * (1 + fabs(r1.ens.moments.s1[k])),
					  "%s k=%zu coord %zu: %.17g vs %.17g",
					  asgd_model_name(models[m]), k, d, r1.ens.moments.s1[k],
					  r2.ens.moments.s1[2 * k + d]);
		asgd_sim_result_free(&r1);
		asgd_sim_result_free(&r2);
	}
	asgd_problem_destroy(p1);
	asgd_problem_destroy(p2);
}

Test(sim, asgd_fig4_matches_the_exact_recursion)
{
	const uint64_t K = 200;
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_ASGD, 0.01, 0.9, K, 20000);
	asgd_sim_result r, rp;
	struct ref ref;
	double pmf[256];

	ref_alloc(&ref, K);
	ref_asgd(&ref, 1.0, 0.01, 0.9, 1, K);
	run(&c, &r);
	cr_expect_eq(r.history, 256, "H %zu: capped to cover K+1 = 201", r.history);
	cr_expect_eq(r.truncation_prob, 0.0);
	cr_expect_eq(r.truncated, 0);
	expect_moments(&r, &ref, K, "asgd geometric");

	/* The same law as an explicit pmf, tail folded into the last cell (reads x_0 anyway). */
	for (int l = 0; l < 256; l++)
		pmf[l] = 0.1 * pow(0.9, l);
	pmf[255] = pow(0.9, 255);
	c.tau_pmf = pmf;
	c.tau_len = 256;
	c.seed = 43;
	run(&c, &rp);
	cr_expect_eq(rp.history, 256);
	expect_moments(&rp, &ref, K, "asgd pmf");
	for (uint64_t k = 0; k <= K; k += 10) {
		asgd_moment_row a, b;

		asgd_moments_get(&r.ens.moments, k, 0, &a);
		asgd_moments_get(&rp.ens.moments, k, 0, &b);
		cr_expect_leq(fabs(a.mean - b.mean),
			      4 * sqrt(a.se_mean * a.se_mean + b.se_mean * b.se_mean) + 1e-12,
			      "k=%llu: geometric %g vs pmf %g", (unsigned long long)k, a.mean, b.mean);
		cr_expect_leq(fabs(a.second - b.second),
			      4 * sqrt(a.se_second * a.se_second + b.se_second * b.se_second) + 1e-12,
			      "k=%llu: geometric %g vs pmf %g", (unsigned long long)k, a.second,
			      b.second);
	}
	asgd_sim_result_free(&r);
	asgd_sim_result_free(&rp);
	ref_free(&ref);
	asgd_problem_destroy(p);
}

Test(sim, msgd_fig4_matches_the_exact_recursion)
{
	const uint64_t K = 200;
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_MSGD, 0.005, 0.8, K, 20000);
	asgd_sim_result r;
	struct ref ref;

	ref_alloc(&ref, K);
	ref_msgd(&ref, 1.0, 0.005, 0.8, K);
	run(&c, &r);
	cr_expect_eq(r.history, 1);
	expect_moments(&r, &ref, K, "msgd");
	asgd_sim_result_free(&r);
	ref_free(&ref);
	asgd_problem_destroy(p);
}

Test(sim, minibatch_divides_the_noise_by_B)
{
	const uint64_t K = 600;
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_MINIBATCH, 0.02, 0.5, K, 10000);
	asgd_sim_result r;
	struct ref ref, ref1;

	ref_alloc(&ref, K);
	ref_alloc(&ref1, K);
	ref_asgd(&ref, 1.0, 0.02, 0.5, 4, K);
	ref_asgd(&ref1, 1.0, 0.02, 0.5, 1, K);
	/* Stationary: E x² of batch 4 is a quarter of batch 1's (the mean has decayed to ~0). */
	cr_expect(fabs(ref.p[K] / ref1.p[K] - 0.25) < 1e-6, "ratio %g", ref.p[K] / ref1.p[K]);
	c.batch.constant = 4;
	run(&c, &r);
	expect_moments(&r, &ref, K, "minibatch B=4");
	{
		asgd_moment_row row;

		/* and it is not the batch-1 value: 4 SE away from it. */
		asgd_moments_get(&r.ens.moments, K, 0, &row);
		cr_expect_gt(fabs(row.second - ref1.p[K]), 4 * row.se_second);
	}
	asgd_sim_result_free(&r);
	ref_free(&ref);
	ref_free(&ref1);
	asgd_problem_destroy(p);
}

Test(sim, minibatch_schedule_follows_the_steps)
{
	/* B = 1 for 150 steps, then 8 (the schedule ends early: its last value holds). */
	const uint64_t K = 300;
	uint32_t sched[300];
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_MINIBATCH, 0.02, 0.5, K, 10000);
	asgd_sim_result r;
	struct ref ref;

	for (int k = 0; k < 300; k++)
		sched[k] = k < 150 ? 1 : 8;
	c.batch.size = sched;
	c.batch.len = 200;
	ref_alloc(&ref, K);
	ref_asgd_sched(&ref, 1.0, 0.02, 0.5, 1, sched, K);
	run(&c, &r);
	expect_moments(&r, &ref, K, "minibatch schedule 1 then 8");
	asgd_sim_result_free(&r);
	ref_free(&ref);
	asgd_problem_destroy(p);
}

Test(sim, truncation_is_counted)
{
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_ASGD, 0.01, 0.9, 1000, 500);
	asgd_sim_result r;
	double q = pow(0.9, 16), e;

	/* A forced short history: τ ≥ 16 has chance 0.9^16 ≈ 0.185 per step. */
	c.history = 16;
	run(&c, &r);
	cr_expect_eq(r.history, 16);
	cr_expect(fabs(r.truncation_prob - q) < 1e-15, "truncation_prob %g", r.truncation_prob);
	e = 500.0 * 1000.0 * q;
	/* A binomial count: 4 SE. */
	cr_expect_lt(fabs((double)r.truncated - e), 4 * sqrt(e * (1 - q)), "truncated %llu vs %g",
		     (unsigned long long)r.truncated, e);
	asgd_sim_result_free(&r);

	/* Automatic H at μ = 0.999 over a horizon past it: H = 32768 < K+1, chance ≤ 1e-12. */
	c = base(p, ASGD_MODEL_ASGD, 1e-4, 0.999, 40000, 2);
	run(&c, &r);
	cr_expect_eq(r.history, 32768);
	cr_expect(r.truncation_prob > 0 && r.truncation_prob <= 1e-12);
	cr_expect(fabs(r.truncation_prob - pow(0.999, 32768)) < 1e-20);
	/* Poisson mean 2·40000·6e-15: any count would be a bug. */
	cr_expect_eq(r.truncated, 0);
	asgd_sim_result_free(&r);
	asgd_problem_destroy(p);
}

Test(sim, check_config_names_the_bad_value)
{
	asgd_problem *p = make("fig4");
	asgd_sim_config c = base(p, ASGD_MODEL_ASGD, 0.01, 0.9, 10, 10);
	const double bad_pmf[] = { 0.5, -1 };
	char err[256];

	c.eta = 0;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "eta"), "%s", err);
	c.eta = 0.01;
	c.mu = 1;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "mu 1"), "%s", err);
	c.mu = 0.9;
	c.paths = 0;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c.paths = 10;
	c.batch.constant = 2;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "minibatch"), "%s", err);
	c.batch.constant = 0;
	c.tau_pmf = bad_pmf;
	c.tau_len = 2;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "tau=1"), "%s", err);
	c.model = ASGD_MODEL_MSGD;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c.tau_pmf = NULL;
	c.tau_len = 0;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_OK);
	c.model = ASGD_MODEL_SME_ASGD;
	cr_expect_eq(asgd_sim_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	asgd_problem_destroy(p);
}
