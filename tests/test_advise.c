/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_advise.c — the numbers behind `asgd advise`: curvature and noise near the minimizer
 * against closed forms and GSL's symmetric eigensolver; the spectral radius of the expected
 * recursion against GSL's polynomial roots and against the recursion itself run long; the
 * minimiser against Polyak's heavy-ball optimum; the recommendation's formulas and its fallback;
 * and the engine's negative momentum against heavy ball step for step.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_poly.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/advise.h"
#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/rng.h"
#include "asgd/theory.h"

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

static asgd_advise_local local_at_minimum(const asgd_problem *p)
{
	size_t dim = asgd_problem_dim(p);
	double *x = malloc(dim * sizeof(double));
	asgd_advise_local l;

	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert_eq(asgd_advise_local_of(p, x, &l), ASGD_OK);
	free(x);
	return l;
}

/* ---- curvature and noise ---- */

Test(advise, fig4_and_fig5_quartic_closed_forms)
{
	asgd_problem *p = make("fig4");
	asgd_advise_local l = local_at_minimum(p);

	/* f = x², ∇f_i = 2(x ∓ 1): a = 2, C(0) = 4; the central difference is exact for linear ∇f */
	cr_assert_float_eq(l.a, 2, 1e-9);
	cr_assert_float_eq(l.sigma2, 4, 1e-12);
	cr_assert_eq(l.converged, 1);
	asgd_problem_destroy(p);
	/* f = x⁴ + 6x²: f''(0) = 12; ∇f_i = 4(x ∓ 1)³ = ∓4 at 0, so C(0) = 16. The central
	 * difference of ∇f = 4x³ + 12x is 12 + 4h², h = 1e-4. */
	p = make("fig5-quartic");
	l = local_at_minimum(p);
	cr_assert_float_eq(l.a, 12, 1e-7);
	cr_assert_float_eq(l.sigma2, 16, 1e-12);
	asgd_problem_destroy(p);
}

Test(advise, fig8_agrees_with_theory)
{
	asgd_problem *p = make("fig8");
	asgd_advise_local l = local_at_minimum(p);
	double a, s2, xs;

	cr_assert_eq(asgd_theory_from_problem(p, &a, &s2, &xs), ASGD_OK);
	cr_assert_float_eq(l.a, a, 1e-9);
	cr_assert_float_eq(l.sigma2, s2, 1e-12);
	asgd_problem_destroy(p);
}

/* The largest eigenvalue of the mean A_i and trace(cov of A_i x* − b_i)/d, by GSL and by hand. */
static void quadratic_reference(const asgd_problem *p, double *lmax, double *sigma2)
{
	size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);
	double *A = malloc(n * d * d * sizeof(double)), *b = malloc(n * d * sizeof(double));
	double *x = malloc(d * sizeof(double)), *g = calloc(n * d, sizeof(double)), tr = 0;
	gsl_matrix *m = gsl_matrix_calloc(d, d);
	gsl_vector *ev = gsl_vector_alloc(d);
	gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);

	cr_assert_eq(asgd_problem_quadratic_parts(p, A, b), ASGD_OK);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < d; r++) {
			g[i * d + r] = -b[i * d + r];
			for (size_t c = 0; c < d; c++) {
				double v = A[(i * d + r) * d + c];

				*gsl_matrix_ptr(m, r, c) += v / (double)n;
				g[i * d + r] += v * x[c];
			}
		}
	cr_assert_eq(gsl_eigen_symm(m, ev, w), 0);
	*lmax = gsl_vector_max(ev);
	for (size_t r = 0; r < d; r++) {
		double mean = 0;

		for (size_t i = 0; i < n; i++)
			mean += g[i * d + r] / (double)n;
		for (size_t i = 0; i < n; i++)
			tr += (g[i * d + r] - mean) * (g[i * d + r] - mean) / (double)n;
	}
	*sigma2 = tr / (double)d;
	gsl_eigen_symm_free(w);
	gsl_vector_free(ev);
	gsl_matrix_free(m);
	free(A);
	free(b);
	free(x);
	free(g);
}

Test(advise, power_iteration_finds_the_largest_eigenvalue)
{
	static const char *const specs[] = { "fig6", "quadratic", "quadratic:d=30,n=7,seed=5" };

	for (size_t s = 0; s < sizeof(specs) / sizeof(*specs); s++) {
		asgd_problem *p = make(specs[s]);
		asgd_advise_local l = local_at_minimum(p);
		double lmax, s2;

		quadratic_reference(p, &lmax, &s2);
		cr_assert_eq(l.converged, 1, "%s: %u iterations", specs[s], l.power_iters);
		/* the Rayleigh quotient's error is the tolerance over the eigengap's (1 − ratio²) */
		cr_assert(fabs(l.a - lmax) <= 1e-6 * lmax, "%s: a %.12g, GSL %.12g", specs[s], l.a,
			  lmax);
		cr_assert(fabs(l.sigma2 - s2) <= 1e-10 * s2, "%s: Sigma %.12g, reference %.12g",
			  specs[s], l.sigma2, s2);
		cr_assert(l.power_iters > 1);
		asgd_problem_destroy(p);
	}
}

Test(advise, curvature_must_be_positive)
{
	asgd_problem *p = make("fig5-doublewell");
	asgd_advise_local l;
	double top = 0;	/* the barrier between the wells: f'' < 0 */

	cr_assert_eq(asgd_advise_local_of(p, &top, &l), ASGD_ENOTFOUND);
	cr_assert_eq(asgd_advise_local_of(NULL, &top, &l), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_local_of(p, NULL, &l), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_local_of(p, &top, NULL), ASGD_EINVAL);
	asgd_problem_destroy(p);
}

/* ---- the expected recursion ---- */

static double gsl_radius(double a, double eta, double mu, double beta)
{
	/* (z − 1)(z − β)(z − μ) + ηa(1 − μ)z², lowest power first */
	double c[4] = { -beta * mu, beta + mu + beta * mu, -(1 + beta + mu - eta * a * (1 - mu)),
			1 };
	double z[6], r = 0;
	gsl_poly_complex_workspace *w = gsl_poly_complex_workspace_alloc(4);

	cr_assert_eq(gsl_poly_complex_solve(c, 4, w, z), 0);
	gsl_poly_complex_workspace_free(w);
	for (int i = 0; i < 3; i++)
		r = fmax(r, hypot(z[2 * i], z[2 * i + 1]));
	return r;
}

Test(advise, rho_against_gsl_roots)
{
	static const double cases[][4] = {
		{ 2, 0.01, 0.853, 0 },     { 2, 0.01, 0.853, 0.4578 }, { 2, 0.01, 0.95, -0.6 },
		{ 2, 0.01, 0, 0.7 },       { 12, 0.001, 0.67, 0.85 },  { 2, 0.2, 0.8, -0.9 },
		{ 1, 0.02, 0.5, -0.3 },    { 5, 0.05, 0.3, 0.2 },      { 2, 0.0125, 0.9, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const double *c = cases[i];
		double r = asgd_advise_rho(c[0], c[1], c[2], c[3]), g = gsl_radius(c[0], c[1], c[2], c[3]);

		/* a double root (c = 4a at β = 0) is only determined to ~√ε by either method */
		cr_assert(fabs(r - g) <= 1e-7, "case %zu: rho %.15g, GSL %.15g", i, r, g);
	}
	/* without staleness and momentum: SGD, x_{k+1} = (1 − ηa)x_k */
	cr_assert_float_eq(asgd_advise_rho(2, 0.01, 0, 0), 0.98, 1e-14);
	cr_assert_float_eq(asgd_advise_rho(2, 0.8, 0, 0), 0.6, 1e-14);
	cr_assert(isnan(asgd_advise_rho(2, 0.01, 1, 0)));
	cr_assert(isnan(asgd_advise_rho(0, 0.01, 0.5, 0)));
	cr_assert(isnan(asgd_advise_rho(2, -1, 0.5, 0)));
}

/*
 * The derivation itself: run the expected dynamics in their defining form — heavy ball on the
 * expected read G_k = (1 − μ)x_k + μG_{k−1} — and measure the contraction per step between
 * k = 1000 and 3000. A polynomial prefactor (a near-double root) changes it by at most
 * 3^{1/2000} − 1 ≈ 5.5e-4.
 */
Test(advise, rho_is_the_contraction_of_the_expected_dynamics)
{
	static const double cases[][4] = {
		{ 2, 0.01, 0.853, 0 }, { 2, 0.01, 0.853, 0.4578 }, { 2, 0.01, 0.95, -0.6 },
		{ 12, 0.001, 0.67, 0.85 }, { 1, 0.02, 0.5, -0.3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		double a = cases[i][0], eta = cases[i][1], mu = cases[i][2], beta = cases[i][3];
		double x = 1, xprev = 1, G = 1, n1000 = 0, rate;

		for (int k = 0; k <= 3000; k++) {
			double xn;

			G = (1 - mu) * x + mu * G;
			xn = x + beta * (x - xprev) - eta * a * G;
			xprev = x;
			x = xn;
			if (k == 1000)
				n1000 = sqrt(x * x + xprev * xprev + G * G);
		}
		rate = pow(sqrt(x * x + xprev * xprev + G * G) / n1000, 1.0 / 2000);
		cr_assert(fabs(rate - asgd_advise_rho(a, eta, mu, beta)) <= 1e-3,
			  "case %zu: measured %.6f, rho %.6f", i, rate, asgd_advise_rho(a, eta, mu, beta));
	}
}

/* Without staleness the minimiser is Polyak's heavy ball: β* = (1 − √(ηa))², ρ* = 1 − √(ηa). */
Test(advise, best_beta_without_staleness_is_polyak)
{
	static const double etas[] = { 0.01, 0.05, 0.001 };

	for (size_t i = 0; i < sizeof(etas) / sizeof(*etas); i++) {
		double s = sqrt(2 * etas[i]), rho, b = asgd_advise_best_beta(2, etas[i], 0, &rho);

		/* the fine grid's step is 1e-6, and ρ = √β just above β* */
		cr_assert(fabs(b - (1 - s) * (1 - s)) <= 2e-6, "eta %g: beta %.8f", etas[i], b);
		cr_assert(fabs(rho - (1 - s)) <= 2e-6, "eta %g: rho %.8f", etas[i], rho);
	}
	cr_assert(isnan(asgd_advise_best_beta(2, 0.01, 1.5, NULL)));
}

/* ---- the recommendation ---- */

Test(advise, closed_form_recommendation)
{
	asgd_advise_rec r;

	/* fig4, M = 8: μ̂ = 0.85 below μ_opt = 1 − 4·2·0.01 = 0.92: positive momentum */
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0, 0.85, &r), ASGD_OK);
	cr_assert_float_eq(r.mu_tot, 0.85, 1e-15);
	cr_assert_float_eq(r.mu_opt, 0.92, 1e-15);
	cr_assert_float_eq(r.beta_formula, 1 - 0.08 / 0.15, 1e-14);
	cr_assert_eq(r.rule, ASGD_ADVISE_CLOSED_FORM);
	cr_assert_eq(r.beta_rec, r.beta_formula);
	cr_assert_float_eq(r.mu_tot_rec, 0.92, 1e-14);
	cr_assert_float_eq(r.eta_opt, 0.15 / 8, 1e-15);
	cr_assert_float_eq(r.rho_rec, asgd_advise_rho(2, 0.01, 0.85, r.beta_rec), 0);
	cr_assert(r.rho_rec < r.rho_current, "faster: %g against %g", r.rho_rec, r.rho_current);
	cr_assert(r.rho_best <= r.rho_rec);
	/* with an explicit β already: μ_tot = 1 − 0.15·0.8 = 0.88 */
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0.2, 0.85, &r), ASGD_OK);
	cr_assert_float_eq(r.mu_tot, 0.88, 1e-14);
	cr_assert_float_eq(r.eta_opt, 0.12 / 8, 1e-14);
	cr_assert_float_eq(r.beta_formula, 1 - 0.08 / 0.15, 1e-14);	/* independent of β */
	/* μ̂ = 0.95 above μ_opt: negative momentum cancels the excess */
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0, 0.95, &r), ASGD_OK);
	cr_assert_float_eq(r.beta_rec, -0.6, 1e-13);
	cr_assert_eq(r.rule, ASGD_ADVISE_CLOSED_FORM);
	cr_assert_float_eq(r.mu_tot_rec, 0.92, 1e-14);
}

Test(advise, unusable_closed_form_falls_back_to_the_model)
{
	asgd_advise_rec r;

	/* η = 0.2 ≥ 1/(4a): μ_opt = 0 and β = 1 − 1/0.2 = −4, which no engine runs */
	cr_assert_eq(asgd_advise_recommend(2, 0.2, 0, 0.8, &r), ASGD_OK);
	cr_assert_float_eq(r.mu_opt, 0, 0);
	cr_assert_float_eq(r.beta_formula, -4, 1e-12);
	cr_assert_eq(r.rule, ASGD_ADVISE_MODEL_OPTIMUM);
	cr_assert_eq(r.beta_rec, r.beta_best);
	cr_assert(r.beta_rec > -1 && r.beta_rec < 1);
	cr_assert(r.rho_rec < 1, "rho %g", r.rho_rec);
	/* fig4 at μ̂ = 0.97: β = 1 − 0.08/0.03 = −1.67 */
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0, 0.97, &r), ASGD_OK);
	cr_assert(r.beta_formula < -1);
	cr_assert_eq(r.rule, ASGD_ADVISE_MODEL_OPTIMUM);
	cr_assert_str_eq(asgd_advise_rule_name(r.rule), "model-optimum");
	cr_assert_str_eq(asgd_advise_rule_name(ASGD_ADVISE_CLOSED_FORM), "closed-form");
}

Test(advise, bad_parameters)
{
	asgd_advise_rec r;

	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0, 0.5, NULL), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(0, 0.01, 0, 0.5, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(2, 0, 0, 0.5, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 1, 0.5, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(2, 0.01, -1, 0.5, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(2, 0.01, 0, 1, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_advise_recommend(2, NAN, 0, 0.5, &r), ASGD_EINVAL);
	cr_assert_float_eq(asgd_advise_total_momentum(0.85, 0.5), 0.925, 1e-15);
	cr_assert_float_eq(asgd_advise_total_momentum(0.9, -1), 0.8, 1e-15);
	cr_assert_float_eq(asgd_advise_noise_floor(2, 4, 0.01, 0), 0.01, 1e-15);
	cr_assert_float_eq(asgd_advise_noise_floor(2, 4, 0.01, -1), 0.005, 1e-15);
	cr_assert(isnan(asgd_advise_noise_floor(2, 4, 0.01, 1)));
}

/* ---- the engine takes the negative momentum the advice may ask for ---- */

/* One worker reads the newest iterate: the engine is heavy ball (2.6), here with β < 0. */
Test(advise, engine_negative_momentum_is_heavy_ball)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg;
	asgd_engine_result res;
	double x = 1, v = 0, g;
	asgd_rng rng;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = 1;
	cfg.iters = 2000;
	cfg.eta = 0.01;
	cfg.seed = 42;
	cfg.work.kind = ASGD_WORK_NONE;
	cfg.momentum = -0.5;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	asgd_rng_init(&rng, 42, 0);
	for (int k = 0; k < 2000; k++) {
		asgd_problem_grad_i(p, asgd_rng_below(&rng, 2), &x, &g);
		v = -0.5 * v - cfg.eta * g;
		x += v;
	}
	cr_assert_eq(res.x_final[0], x, "engine %.17g, heavy ball %.17g", res.x_final[0], x);
	asgd_engine_result_free(&res);
	cfg.momentum = -1;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "(-1, 1)") != NULL, "message: %s", err);
	asgd_problem_destroy(p);
}

/* ---- on data ---- */

/* heart_scale (Debian's liblinear-tools), or the test skipped. */
static asgd_dataset *heart_scale_or_skip(void)
{
	char path[1024], err[256];
	asgd_dataset *ds = NULL;

	if (asgd_dataset_locate("heart_scale", path, sizeof(path)) != ASGD_OK)
		cr_skip_test("heart_scale is not installed (Debian package liblinear-tools)");
	cr_assert_eq(asgd_dataset_load("heart_scale", NULL, &ds, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	return ds;
}

static asgd_problem *data_model(const asgd_dataset *ds, asgd_loss loss, double lambda)
{
	asgd_data_model m = { .loss = loss, .lambda = lambda, .positive = NAN };
	asgd_problem *p = NULL;
	char err[256];

	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	return p;
}

/* Least squares' Hessian A^T A/n + λ I (features stored somewhere) into @m, formed by hand. */
static void squares_hessian(const asgd_dataset *ds, double lambda, gsl_matrix *m)
{
	const double n = (double)ds->rows;

	gsl_matrix_set_zero(m);
	for (size_t i = 0; i < ds->rows; i++)
		for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++)
			for (size_t f = ds->row_ptr[i]; f < ds->row_ptr[i + 1]; f++)
				*gsl_matrix_ptr(m, ds->col[e], ds->col[f]) +=
					ds->val[e] * ds->val[f] / n;
	for (size_t j = 0; j < ds->cols; j++)
		if (ds->col_count[j])
			*gsl_matrix_ptr(m, j, j) += lambda;
}

static double largest_eigenvalue_gsl(const gsl_matrix *h)
{
	size_t d = h->size1;
	gsl_matrix *m = gsl_matrix_alloc(d, d);
	gsl_vector *ev = gsl_vector_alloc(d);
	gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);
	double l;

	gsl_matrix_memcpy(m, h);
	cr_assert_eq(gsl_eigen_symm(m, ev, w), 0);
	l = gsl_vector_max(ev);
	gsl_eigen_symm_free(w);
	gsl_vector_free(ev);
	gsl_matrix_free(m);
	return l;
}

/*
 * heart_scale, least squares (d = 13): the power iteration's a against the largest eigenvalue
 * of the Hessian formed by hand, A^T A/n + λI, by GSL; trace C(x*) against the trace of
 * asgd_problem_covariance's matrix; and trace(HC)/trace(C) against the product of the two.
 */
Test(advise, data_least_squares_against_gsl)
{
	asgd_dataset *ds = heart_scale_or_skip();
	const double lambda = 1.0 / (double)ds->rows;
	asgd_problem *p = data_model(ds, ASGD_LOSS_SQUARES, lambda);
	size_t d = asgd_problem_dim(p);
	double *x = malloc(d * sizeof(double)), *C = malloc(d * d * sizeof(double));
	double tr = 0, hc = 0, a_c;
	gsl_matrix *H = gsl_matrix_alloc(d, d);
	asgd_advise_local l;

	cr_assert_eq(d, 13);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert_eq(asgd_advise_local_of(p, x, &l), ASGD_OK);
	cr_assert_eq(l.source, ASGD_ADVISE_CURV_HESSIAN);
	cr_assert(l.converged);
	squares_hessian(ds, lambda, H);
	cr_expect(fabs(l.a - largest_eigenvalue_gsl(H)) <= 1e-7 * l.a, "a %.12g, GSL %.12g", l.a,
		  largest_eigenvalue_gsl(H));
	cr_assert_eq(asgd_problem_covariance(p, x, C), ASGD_OK);
	for (size_t j = 0; j < d; j++) {
		tr += C[j * d + j];
		for (size_t k = 0; k < d; k++)
			hc += gsl_matrix_get(H, j, k) * C[k * d + j];
	}
	cr_expect(fabs(l.trace_c - tr) <= 1e-9 * tr, "trace C %.12g, by the matrix %.12g",
		  l.trace_c, tr);
	cr_expect(fabs(l.sigma2 - tr / (double)d) <= 1e-9 * tr);
	cr_assert_eq(asgd_advise_noise_curvature(p, x, l.step, &a_c), ASGD_OK);
	cr_expect(fabs(a_c - hc / tr) <= 1e-6 * a_c, "trace(HC)/trace(C) %.12g, by hand %.12g",
		  a_c, hc / tr);
	cr_expect(a_c < l.a, "the noise-weighted curvature is below the largest");
	gsl_matrix_free(H);
	free(x);
	free(C);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* heart_scale, logistic: the power iteration against GSL on the Hessian formed by hand,
 * (1/n) Σ σ(m_i)σ(−m_i) a_i a_iᵀ + λI at x*, m_i = y_i a_i·x*. */
Test(advise, data_logistic_against_gsl)
{
	asgd_dataset *ds = heart_scale_or_skip();
	const double lambda = 1.0 / (double)ds->rows;
	asgd_problem *p = data_model(ds, ASGD_LOSS_LOGISTIC, lambda);
	size_t d = asgd_problem_dim(p);
	double *x = malloc(d * sizeof(double));
	gsl_matrix *H = gsl_matrix_calloc(d, d);
	asgd_advise_local l;

	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert_eq(asgd_advise_local_of(p, x, &l), ASGD_OK);
	for (size_t i = 0; i < ds->rows; i++) {
		double m = 0, s;

		for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++)
			m += ds->val[e] * x[ds->col[e]];
		s = 1 / (1 + exp(-m));		/* σ(m)σ(−m) is even in m: y drops out */
		for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++)
			for (size_t f = ds->row_ptr[i]; f < ds->row_ptr[i + 1]; f++)
				*gsl_matrix_ptr(H, ds->col[e], ds->col[f]) +=
					s * (1 - s) * ds->val[e] * ds->val[f] / (double)ds->rows;
	}
	for (size_t j = 0; j < d; j++)
		if (ds->col_count[j])
			*gsl_matrix_ptr(H, j, j) += lambda;
	/* O(h²) for a non-quadratic: h = 1e-4 max(1, |x*|) */
	cr_expect(fabs(l.a - largest_eigenvalue_gsl(H)) <= 1e-6 * l.a, "a %.12g, GSL %.12g", l.a,
		  largest_eigenvalue_gsl(H));
	gsl_matrix_free(H);
	free(x);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* The hinge loss: a = λ from the regulariser, without a Hessian; λ = 0 leaves no curvature. */
Test(advise, hinge_takes_the_regulariser)
{
	asgd_dataset *ds = NULL;
	asgd_problem *p, *q;
	asgd_advise_local l;
	double x[20] = { 0 };
	char err[256];

	cr_assert_eq(asgd_dataset_generate("rcv1:n=200,d=20,nnz=5,seed=3", &ds, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	p = data_model(ds, ASGD_LOSS_HINGE, 0.01);
	q = data_model(ds, ASGD_LOSS_HINGE, 0);
	cr_assert_eq(asgd_advise_local_of(p, x, &l), ASGD_OK);
	cr_expect_eq(l.a, 0.01);
	cr_expect_eq(l.source, ASGD_ADVISE_CURV_REGULARISER);
	cr_expect_eq(l.power_iters, 0);
	cr_expect(l.trace_c > 0 && isfinite(l.trace_c));
	cr_expect_str_eq(asgd_advise_curvature_name(l.source), "regulariser");
	cr_expect_eq(asgd_advise_local_of(q, x, &l), ASGD_ENOTFOUND);
	asgd_problem_destroy(p);
	asgd_problem_destroy(q);
	asgd_dataset_destroy(ds);
}
