/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_exact.c — the exact moments against Monte Carlo of the real processes (with the project's
 * random streams), against closed forms (SGD, Appendix B), against each other where the models
 * coincide (μ = 0, μ' = 0, (2.5) ≡ (2.11) for linear gradients, separable ≡ dense), and RK4
 * against itself with twice the substeps.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/exact.h"
#include "asgd/rng.h"
#include "asgd/theory.h"

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "%s", spec);
	return p;
}

/* A 2-D problem with n = 3 different, non-diagonal A_i: exercises the dense, non-common path. */
static const double A3[3 * 4] = { 2.0, 0.5, 0.5, 1.0,   1.0, -0.3, -0.3, 2.5,   3.0, 0.2, 0.2, 0.6 };
static const double B3[3 * 2] = { 1.0, -0.5,   -2.0, 0.7,   0.4, 1.5 };
static const double X3[2] = { 1.0, -0.8 };

static asgd_problem *make_dense3(void)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create_quadratic(2, 3, A3, B3, NULL, &p), ASGD_OK);
	return p;
}

static asgd_exact_moments run(asgd_exact_config c)
{
	asgd_exact_moments m;
	int rc = asgd_exact_run(&c, &m);

	cr_assert_eq(rc, ASGD_OK, "exact_run(%s) = %s", asgd_model_name(c.model), asgd_err_name(rc));
	return m;
}

static double max_diff(const asgd_exact_moments *a, const asgd_exact_moments *b)
{
	double d = 0;

	cr_assert_eq(a->steps * a->dim, b->steps * b->dim);
	for (size_t i = 0; i < a->steps * a->dim; i++) {
		d = fmax(d, fabs(a->mean[i] - b->mean[i]));
		d = fmax(d, fabs(a->second[i] - b->second[i]));
	}
	return d;
}

/* ---- Monte Carlo of the discrete processes ------------------------------------------------ */

#define MC_PATHS 200000
#define MC_K 30
#define MC_DIM 2

/* Sums of x and x² per (k, coordinate), and of x⁴ for the standard error of x². */
struct mc {
	double s1[(MC_K + 1) * MC_DIM], s2[(MC_K + 1) * MC_DIM], s4[(MC_K + 1) * MC_DIM];
};

static void mc_add(struct mc *m, size_t k, const double *x, size_t d)
{
	for (size_t c = 0; c < d; c++) {
		double v = x[c] * x[c];

		m->s1[k * d + c] += x[c];
		m->s2[k * d + c] += v;
		m->s4[k * d + c] += v * v;
	}
}

static void grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	asgd_problem_grad_i(p, i, x, g);
}

/*
 * ASGD / mini-batch ASGD (2.1), (4.1) with a constant history x_{−l} = x_0 (the full history is
 * kept: K = 30 steps never read further back than 30) and MSGD (2.6).
 */
static void mc_run(const asgd_problem *p, asgd_model model, double eta, double mu, unsigned B,
		   struct mc *m)
{
	size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);
	const double *x0 = asgd_problem_x0(p);

	memset(m, 0, sizeof(*m));
	for (uint64_t path = 0; path < MC_PATHS; path++) {
		asgd_rng r;
		double hist[MC_K + 1][MC_DIM], v[MC_DIM] = { 0 }, g[MC_DIM], gsum[MC_DIM];

		asgd_rng_init(&r, 77, path);
		memcpy(hist[0], x0, d * sizeof(double));
		mc_add(m, 0, hist[0], d);
		for (size_t k = 0; k < MC_K; k++) {
			const double *read = hist[k];

			if (model != ASGD_MODEL_MSGD) {
				uint64_t tau = asgd_rng_geometric(&r, mu);

				read = hist[tau > k ? 0 : k - tau];
			}
			memset(gsum, 0, sizeof(gsum));
			for (unsigned j = 0; j < B; j++) {
				grad_i(p, asgd_rng_below(&r, n), read, g);
				for (size_t c = 0; c < d; c++)
					gsum[c] += g[c] / B;
			}
			for (size_t c = 0; c < d; c++) {
				if (model == ASGD_MODEL_MSGD) {
					v[c] = mu * v[c] - eta * gsum[c];
					hist[k + 1][c] = hist[k][c] + v[c];
				} else {
					hist[k + 1][c] = hist[k][c] - eta * gsum[c];
				}
			}
			mc_add(m, k + 1, hist[k + 1], d);
		}
	}
}

/* Every (k, c): |exact − MC| ≤ 4 SE for the mean and for the second moment. */
static void mc_compare(const struct mc *m, const asgd_exact_moments *e)
{
	double P = MC_PATHS;

	for (size_t k = 1; k <= MC_K; k++)
		for (size_t c = 0; c < e->dim; c++) {
			size_t i = k * e->dim + c;
			double mean = m->s1[i] / P, sec = m->s2[i] / P;
			double se1 = sqrt((sec - mean * mean) / P);
			double se2 = sqrt((m->s4[i] / P - sec * sec) / P);

			cr_expect_leq(fabs(e->mean[i] - mean), 4 * se1 + 1e-15,
				      "k=%zu c=%zu mean exact %.8g MC %.8g (se %.2g)", k, c,
				      e->mean[i], mean, se1);
			cr_expect_leq(fabs(e->second[i] - sec), 4 * se2 + 1e-15,
				      "k=%zu c=%zu second exact %.8g MC %.8g (se %.2g)", k, c,
				      e->second[i], sec, se2);
		}
}

/* The exact moments of @c against a Monte Carlo ensemble of the same model, batch @B. */
static void exact_vs_mc(asgd_exact_config c, unsigned B, struct mc *m)
{
	asgd_exact_moments e = run(c);

	mc_run(c.problem, c.model, c.eta, c.mu, B, m);
	mc_compare(m, &e);
	asgd_exact_moments_free(&e);
}

Test(exact, asgd_matches_monte_carlo_dense_problem)
{
	asgd_problem *p = make_dense3();
	struct mc *m = malloc(sizeof(*m));

	cr_assert_not_null(m);
	/* η large enough that the noise and the staleness both show within 30 steps; x0 = 0 */
	exact_vs_mc((asgd_exact_config){ .model = ASGD_MODEL_ASGD, .problem = p, .eta = 0.1,
					 .mu = 0.7, .iters = MC_K }, 1, m);
	free(m);
	asgd_problem_destroy(p);
}

Test(exact, minibatch_and_msgd_match_monte_carlo)
{
	asgd_problem *p = make_dense3();
	struct mc *m = malloc(sizeof(*m));

	cr_assert_not_null(m);
	exact_vs_mc((asgd_exact_config){ .model = ASGD_MODEL_MINIBATCH, .problem = p, .eta = 0.1,
					 .mu = 0.6, .iters = MC_K, .batch = { .constant = 3 } },
		    3, m);
	exact_vs_mc((asgd_exact_config){ .model = ASGD_MODEL_MSGD, .problem = p, .eta = 0.05,
					 .mu = 0.8, .iters = MC_K }, 1, m);
	free(m);
	asgd_problem_destroy(p);
}

Test(exact, asgd_fig4_matches_monte_carlo)
{
	asgd_problem *p = make("fig4");
	struct mc *m = malloc(sizeof(*m));

	cr_assert_not_null(m);
	exact_vs_mc((asgd_exact_config){ .model = ASGD_MODEL_ASGD, .problem = p, .eta = 0.05,
					 .mu = 0.9, .iters = MC_K }, 1, m);
	free(m);
	asgd_problem_destroy(p);
}

/* ---- coincidences --------------------------------------------------------------------------- */

/* μ = 0 is SGD: on fig4 x' = (1−2η)x ± 2η, E x_k = ρ^k x_0, E x_k² = ρ²ᵏx_0² + 4η²(1−ρ²ᵏ)/(1−ρ²). */
Test(exact, asgd_mu0_is_sgd_closed_form)
{
	asgd_problem *p = make("fig4");
	double eta = 0.03, rho = 1 - 2 * eta;
	asgd_exact_moments a = run((asgd_exact_config){ .model = ASGD_MODEL_ASGD, .problem = p,
							.eta = eta, .mu = 0, .iters = 500 });
	asgd_exact_moments s = run((asgd_exact_config){ .model = ASGD_MODEL_SGD, .problem = p,
							.eta = eta, .mu = 0.7, .iters = 500 });

	for (size_t k = 0; k <= 500; k++) {
		double r2k = pow(rho * rho, (double)k);
		double m = pow(rho, (double)k), m2 = r2k + 4 * eta * eta * (1 - r2k) / (1 - rho * rho);

		cr_assert_float_eq(a.mean[k], m, 1e-13, "k=%zu", k);
		cr_assert_float_eq(a.second[k], m2, 1e-13, "k=%zu", k);
		cr_assert_float_eq(s.second[k], m2, 1e-13, "SGD ignores mu: k=%zu", k);
	}
	cr_assert_float_eq(a.dt, sqrt(eta), 1e-15);	/* ASGD's clock, √(η(1−μ)) */
	cr_assert_float_eq(s.dt, eta, 1e-15);
	asgd_exact_moments_free(&a);
	asgd_exact_moments_free(&s);
	asgd_problem_destroy(p);
}

Test(exact, msgd_without_momentum_is_sgd)
{
	asgd_problem *p = make_dense3();
	asgd_exact_moments a = run((asgd_exact_config){ .model = ASGD_MODEL_MSGD, .problem = p,
							.eta = 0.07, .mu = 0, .iters = 200 });
	asgd_exact_moments s = run((asgd_exact_config){ .model = ASGD_MODEL_SGD, .problem = p,
							.eta = 0.07, .iters = 200 });

	cr_assert_lt(max_diff(&a, &s), 1e-13);
	asgd_exact_moments_free(&a);
	asgd_exact_moments_free(&s);
	asgd_problem_destroy(p);
}

/* SME-ASGD with constant Σ on fig4 is Appendix B with a = 2, Σ = 4: in time and stationary. */
Test(exact, sme_asgd_constant_is_appendix_b)
{
	asgd_problem *p = make("fig4");
	asgd_theory_params tp = { .a = 2, .sigma2 = 4, .eta = 0.01, .mu = 0.9 };
	asgd_theory_stationary st;
	asgd_theory_state s0, s;
	asgd_exact_moments e = run((asgd_exact_config){ .model = ASGD_MODEL_SME_ASGD,
							.sigma = ASGD_SIGMA_CONSTANT, .problem = p,
							.eta = tp.eta, .mu = tp.mu, .iters = 2000 });

	asgd_theory_initial(&tp, 1.0, &s0);
	for (size_t k = 0; k <= 2000; k += 50) {
		cr_assert_eq(asgd_theory_evolve(&tp, &s0, (double)k * e.dt, &s), ASGD_OK);
		cr_assert_float_eq(e.mean[k], s.ex, 1e-10, "k=%zu", k);
		cr_assert_float_eq(e.second[k], s.ex2, 1e-10, "k=%zu", k);
	}
	asgd_theory_stationary_of(&tp, &st);
	cr_assert_float_eq(e.second[2000], st.ex2, 1e-9, "%.12g vs %.12g", e.second[2000], st.ex2);
	cr_assert_float_eq(st.ex2, 0.012, 1e-15);
	asgd_exact_moments_free(&e);
	asgd_problem_destroy(p);
}

/* docs/MODELS.md §2.2: for linear gradients (2.5) with X = M + αP is (2.11). */
Test(exact, linear_form_equals_nonlinear_form)
{
	const char *specs[] = { "fig4", "fig8", "dense3" };

	for (size_t i = 0; i < 3; i++) {
		asgd_problem *p = i < 2 ? make(specs[i]) : make_dense3();
		const double *x0 = i < 2 ? NULL : X3;
		asgd_exact_moments a = run((asgd_exact_config){
			.model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONSTANT, .problem = p,
			.eta = 0.02, .mu = 0.8, .iters = 400, .x0 = x0 });
		asgd_exact_moments b = run((asgd_exact_config){
			.model = ASGD_MODEL_SME_ASGD_LINEAR, .sigma = ASGD_SIGMA_CONSTANT,
			.problem = p, .eta = 0.02, .mu = 0.8, .iters = 400, .x0 = x0 });

		cr_expect_lt(max_diff(&a, &b), 1e-10, "%s: %g", specs[i], max_diff(&a, &b));
		asgd_exact_moments_free(&a);
		asgd_exact_moments_free(&b);
		asgd_problem_destroy(p);
	}
}

/* Every model and Σ choice: the separable split agrees with full d×d moments. */
Test(exact, separable_equals_dense)
{
	asgd_problem *p = make("fig6:d=4");

	for (int m = 0; m < ASGD_MODEL_COUNT; m++)
		for (int s = 0; s < ASGD_SIGMA_COUNT; s++) {
			asgd_exact_config c = { .model = m, .sigma = s, .problem = p, .eta = 0.01,
						.mu = 0.9, .iters = 200, .substeps = 16 };
			asgd_exact_moments a, b;

			if (asgd_exact_run(&c, &a) != ASGD_OK)
				continue;	/* a Σ choice the model does not have */
			c.dense = 1;
			cr_assert_eq(asgd_exact_run(&c, &b), ASGD_OK);
			cr_expect_lt(max_diff(&a, &b), 1e-12, "%s/%s", asgd_model_name(m),
				     asgd_sigma_name(s));
			asgd_exact_moments_free(&a);
			asgd_exact_moments_free(&b);
		}
	asgd_problem_destroy(p);
}

/* RK4 on 64 substeps is converged: 128 change nothing above 1e-10 at the presets' settings. */
Test(exact, rk4_converged_at_preset_settings)
{
	const char *specs[] = { "fig4", "fig8", "fig6:d=2" };

	for (size_t i = 0; i < 3; i++) {
		asgd_problem *p = make(specs[i]);

		for (int m = ASGD_MODEL_SME_ASGD; m < ASGD_MODEL_COUNT; m++)
			for (int s = 0; s < ASGD_SIGMA_COUNT; s++) {
				asgd_exact_config c = {
					.model = m, .sigma = s, .problem = p,
					.eta = asgd_problem_default_eta(p),
					.mu = asgd_problem_default_mu(p),
					.iters = asgd_problem_default_iters(p),
				};
				asgd_exact_moments a, b;

				if (asgd_exact_run(&c, &a) != ASGD_OK)
					continue;
				c.substeps = 128;
				cr_assert_eq(asgd_exact_run(&c, &b), ASGD_OK);
				cr_expect_lt(max_diff(&a, &b), 1e-10, "%s %s/%s: %g", specs[i],
					     asgd_model_name(m), asgd_sigma_name(s), max_diff(&a, &b));
				asgd_exact_moments_free(&a);
				asgd_exact_moments_free(&b);
			}
		asgd_problem_destroy(p);
	}
}

/* Stationary values of the other SMEs on fig4 (a = 2, Σ = 4), from their Langevin forms. */
Test(exact, sme_stationary_closed_forms)
{
	asgd_problem *p = make("fig4");
	double eta = 0.01, mu = 0.9;
	asgd_exact_moments e;

	/* SME-MSGD: E P² = √η'Σ/(2γ), γ = (1−μ')/√η'; E X² = E P²/a */
	e = run((asgd_exact_config){ .model = ASGD_MODEL_SME_MSGD, .sigma = ASGD_SIGMA_INSTANT,
				     .problem = p, .eta = eta, .mu = mu, .iters = 3000 });
	cr_assert_float_eq(e.second[3000], sqrt(eta) * 4 / (2 * (1 - mu) / sqrt(eta)) / 2, 1e-10);
	asgd_exact_moments_free(&e);
	/* SME-SGD: dX = −â X dt + √(ηΣ) dB, â = a(1 + ηa/2): E X² = ηΣ/(2â) */
	e = run((asgd_exact_config){ .model = ASGD_MODEL_SME_SGD, .sigma = ASGD_SIGMA_CONSTANT,
				     .problem = p, .eta = eta, .iters = 3000 });
	cr_assert_float_eq(e.second[3000], eta * 4 / (2 * 2 * (1 + eta)), 1e-10);
	asgd_exact_moments_free(&e);
	/* Mini-batch B = 4 (4.2): SME-ASGD's Σ is 4 times smaller */
	e = run((asgd_exact_config){ .model = ASGD_MODEL_SME_ASGD, .sigma = ASGD_SIGMA_CONSTANT,
				     .problem = p, .eta = eta, .mu = mu, .iters = 3000,
				     .batch = { .constant = 4 } });
	cr_assert_float_eq(e.second[3000], 0.012 / 4, 1e-10);
	asgd_exact_moments_free(&e);
	asgd_problem_destroy(p);
}

/* fig6's d = 100 on the default horizon is cheap thanks to the separable split. */
Test(exact, fig6_full_size_runs)
{
	asgd_problem *p = make("fig6");
	asgd_exact_moments e = run((asgd_exact_config){ .model = ASGD_MODEL_SME_ASGD,
							.sigma = ASGD_SIGMA_EVOLVE, .problem = p,
							.eta = 0.01, .mu = 0.9, .iters = 1000 });

	cr_assert_eq(e.dim, 100);
	cr_assert_eq(e.steps, 1001);
	for (size_t i = 0; i < e.steps * e.dim; i++)
		cr_assert(isfinite(e.mean[i]) && e.second[i] >= e.mean[i] * e.mean[i] - 1e-12);
	asgd_exact_moments_free(&e);
	asgd_problem_destroy(p);
}

/* ---- API edges ------------------------------------------------------------------------------ */

Test(exact, rejects_what_it_cannot_do)
{
	asgd_problem *q = make("fig5-quartic"), *p = make("fig4");
	asgd_exact_moments e;
	asgd_exact_config c = { .model = ASGD_MODEL_ASGD, .problem = q, .eta = 0.01, .mu = 0.5,
				.iters = 10 };

	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_ENOTFOUND);
	cr_assert_not(asgd_exact_supported(q));
	cr_assert(asgd_exact_supported(p));
	c.problem = p;
	c.eta = 0;
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	c.eta = NAN;
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	c.eta = 0.01;
	c.mu = 1;
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	c.mu = 0;
	c.model = ASGD_MODEL_SME_ASGD;
	c.sigma = ASGD_SIGMA_EVOLVE;	/* (2.12) divides by μ */
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	c.model = ASGD_MODEL_SME_MSGD;
	c.sigma = ASGD_SIGMA_CONTINUUM;
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	c.model = ASGD_MODEL_SME_ASGD_LINEAR;
	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_EINVAL);
	cr_assert_eq(asgd_exact_run(NULL, &e), ASGD_EINVAL);
	cr_assert_eq(asgd_exact_run(&c, NULL), ASGD_EINVAL);
	asgd_exact_moments_free(NULL);
	asgd_problem_destroy(p);
	asgd_problem_destroy(q);
}

/* ∇f_i(x) = A_i x − b_i for every quadratic preset, at a few points. */
Test(exact, quadratic_parts_reproduce_gradients)
{
	const char *specs[] = { "fig4", "fig8:n=7", "fig6:d=5", "quadratic:d=4,n=3" };

	for (size_t s = 0; s < 4; s++) {
		asgd_problem *p = make(specs[s]);
		size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);
		double *A = malloc(n * d * d * sizeof(double)), *b = malloc(n * d * sizeof(double));
		double x[8], g[8];

		cr_assert_eq(asgd_problem_quadratic_parts(p, A, b), ASGD_OK, "%s", specs[s]);
		for (int t = 0; t < 3; t++) {
			for (size_t j = 0; j < d; j++)
				x[j] = 0.3 * t - 0.7 * (double)j + 0.1;
			for (size_t i = 0; i < n; i++) {
				asgd_problem_grad_i(p, i, x, g);
				for (size_t r = 0; r < d; r++) {
					double y = -b[i * d + r];

					for (size_t c = 0; c < d; c++)
						y += A[i * d * d + r * d + c] * x[c];
					cr_assert_float_eq(y, g[r], 1e-12, "%s i=%zu r=%zu", specs[s], i, r);
				}
			}
		}
		free(A);
		free(b);
		asgd_problem_destroy(p);
	}
	{
		asgd_problem *p = make("fig7:d=3");
		double A[18], b[6];

		cr_assert_eq(asgd_problem_quadratic_parts(p, A, b), ASGD_ENOTFOUND);
		cr_assert_eq(asgd_problem_quadratic_parts(NULL, A, b), ASGD_EINVAL);
		asgd_problem_destroy(p);
	}
}

Test(exact, csv_format)
{
	char dir[] = "/tmp/test_exact_XXXXXX", path[64], line[256];
	asgd_problem *p = make("fig6:d=2");
	asgd_exact_moments e = run((asgd_exact_config){ .model = ASGD_MODEL_SGD, .problem = p,
							.eta = 0.01, .iters = 3 });
	FILE *fp;
	int rows = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.csv", dir);
	cr_assert_eq(asgd_exact_write_csv(&e, path), ASGD_OK);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_assert_str_eq(line, "k,t,coord,mean,second_moment,var,se_mean,se_second\n");
	while (fgets(line, sizeof(line), fp)) {
		unsigned k, c;
		double t, m, s, v, a, b;

		cr_assert_eq(sscanf(line, "%u,%lf,%u,%lf,%lf,%lf,%lf,%lf", &k, &t, &c, &m, &s, &v,
				    &a, &b), 8);
		cr_assert_eq(k * 2 + c, (unsigned)rows);
		cr_assert_float_eq(t, k * 0.01, 1e-12);
		cr_assert_float_eq(v, s - m * m, 1e-9);
		cr_assert(a == 0 && b == 0);
		rows++;
	}
	fclose(fp);
	cr_assert_eq(rows, 8);
	remove(path);
	rmdir(dir);
	cr_assert_eq(asgd_exact_write_csv(NULL, path), ASGD_EINVAL);
	asgd_exact_moments_free(&e);
	asgd_problem_destroy(p);
}
