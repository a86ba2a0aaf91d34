/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_datamodel.c — least squares, logistic regression and the hinge SVM over data.
 *
 * Gradients are checked against central finite differences of f_i (error O(h²) ≈ 1e-10 at
 * h = 1e-5 for these smooth losses; the tolerance 1e-6 leaves room for rounding ≈ 1e-16/h).
 * The minimizers are checked by their gradient, and against an independent solve (the normal
 * equations by GSL's LU, not the Cholesky/Newton the module uses). The real engine, in every
 * mode, must reach them: exactly for an interpolating least-squares problem, and in the mean of
 * the late iterates for a noisy one, within 5 standard errors of that mean (batch means over
 * 20 blocks, which absorb the iterates' autocorrelation).
 */
#include <criterion/criterion.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/rng.h"
#include "testdata.h"

/* A random dataset: each feature stored with probability @density, N(0,1)/sqrt(d) values;
 * labels from @label_kind: 0 ±1 from a planted w with 10% flipped, 1 real y = a·w + 0.3 ε,
 * 2 exactly a·w (interpolation), 3 classes 0/1/2. */
static void make_dataset(asgd_dataset *ds, size_t n, size_t d, double density, int label_kind,
			 uint64_t seed)
{
	asgd_rng r;
	double *w = malloc(d * sizeof(double));
	size_t e = 0;

	asgd_rng_init(&r, seed, 0);
	testdata_alloc(ds, n, d, n * d);
	for (size_t j = 0; j < d; j++)
		w[j] = asgd_rng_normal(&r);
	for (size_t i = 0; i < n; i++) {
		double m = 0;

		ds->row_ptr[i] = e;
		for (size_t j = 0; j < d; j++) {
			if (asgd_rng_uniform(&r) >= density && !(j == i % d))
				continue;
			ds->col[e] = (uint32_t)j;
			ds->val[e] = asgd_rng_normal(&r) / sqrt((double)d * density);
			ds->col_count[j]++;
			m += ds->val[e] * w[j];
			e++;
		}
		switch (label_kind) {
		case 0:
			ds->label[i] = (m > 0) != (asgd_rng_uniform(&r) < 0.1) ? 1 : -1;
			break;
		case 1:
			ds->label[i] = m + 0.3 * asgd_rng_normal(&r);
			break;
		case 2:
			ds->label[i] = m;
			break;
		default:
			ds->label[i] = (double)(i % 3);
		}
	}
	ds->row_ptr[n] = e;
	ds->nnz = e;
	ds->classes = label_kind == 0 ? 2 : label_kind == 3 ? 3 : n;
	free(w);
}

static asgd_problem *make_problem(const asgd_dataset *ds, asgd_loss loss, double lambda)
{
	asgd_data_model m = { .loss = loss, .lambda = lambda, .positive = NAN };
	asgd_problem *p = NULL;
	char err[256] = "";

	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	return p;
}

static void random_x(double *x, size_t d, uint64_t seed)
{
	asgd_rng r;

	asgd_rng_init(&r, seed, 1);
	for (size_t j = 0; j < d; j++)
		x[j] = 0.5 * asgd_rng_normal(&r);
}

/* Every component: grad_i against central differences of f_i, and grad_support against
 * grad_i on the support (and zero off it). */
static void check_gradients(asgd_loss loss)
{
	asgd_dataset ds;
	const size_t n = 30, d = 8;
	double x[8], g[8], xp[8], gs[8], xs[8];
	const double h = 1e-5;

	make_dataset(&ds, n, d, 0.5, loss == ASGD_LOSS_SQUARES ? 1 : 0, 3);
	asgd_problem *p = make_problem(&ds, loss, 0.05);
	random_x(x, d, 9);
	for (size_t i = 0; i < n; i++) {
		const uint32_t *idx;
		size_t s = asgd_problem_support(p, i, &idx);
		double m = 0;

		for (size_t e = ds.row_ptr[i]; e < ds.row_ptr[i + 1]; e++)
			m += ds.val[e] * x[ds.col[e]];
		if (loss == ASGD_LOSS_HINGE && fabs(fabs(m) - 1) < 1e-3)
			continue; /* the kink: no derivative there */
		asgd_problem_grad_i(p, i, x, g);
		for (size_t j = 0; j < d; j++) {
			memcpy(xp, x, sizeof(x));
			xp[j] = x[j] + h;
			double fp = asgd_problem_fi(p, i, xp);
			xp[j] = x[j] - h;
			double fm = asgd_problem_fi(p, i, xp);
			cr_assert(fabs((fp - fm) / (2 * h) - g[j]) < 1e-6,
				  "%s: component %zu coord %zu: fd %.12g vs grad %.12g",
				  asgd_loss_name(loss), i, j, (fp - fm) / (2 * h), g[j]);
		}
		cr_assert_not_null(idx);
		for (size_t e = 0; e < s; e++)
			xs[e] = x[idx[e]];
		asgd_problem_grad_support(p, i, xs, gs);
		for (size_t e = 0; e < s; e++)
			cr_assert_eq(gs[e], g[idx[e]], "support gradient differs at %zu", e);
		for (size_t j = 0, e = 0; j < d; j++) {
			if (e < s && idx[e] == j) {
				e++;
				continue;
			}
			cr_assert_eq(g[j], 0.0, "gradient non-zero off the support at %zu", j);
		}
	}
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, gradients_squares) { check_gradients(ASGD_LOSS_SQUARES); }
Test(datamodel, gradients_logistic) { check_gradients(ASGD_LOSS_LOGISTIC); }
Test(datamodel, gradients_hinge) { check_gradients(ASGD_LOSS_HINGE); }

/* The split regulariser sums to the usual one: f = mean loss + λ/2 ‖x‖², and ∇f = mean ∇f_i. */
Test(datamodel, decomposition_sums_to_objective)
{
	asgd_dataset ds;
	const size_t n = 50, d = 10;
	const double lambda = 0.3;
	double x[10], g[10], gi[10], mean[10] = { 0 }, loss = 0, sq = 0;

	make_dataset(&ds, n, d, 0.3, 0, 5);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_LOGISTIC, lambda);
	asgd_problem *p0 = make_problem(&ds, ASGD_LOSS_LOGISTIC, 0);
	random_x(x, d, 4);
	for (size_t i = 0; i < n; i++) {
		loss += asgd_problem_fi(p0, i, x) / n;
		asgd_problem_grad_i(p, i, x, gi);
		for (size_t j = 0; j < d; j++)
			mean[j] += gi[j] / n;
	}
	for (size_t j = 0; j < d; j++)
		sq += x[j] * x[j];
	cr_assert(fabs(asgd_problem_f(p, x) - (loss + 0.5 * lambda * sq)) < 1e-12,
		  "f %.15g vs loss + reg %.15g", asgd_problem_f(p, x), loss + 0.5 * lambda * sq);
	asgd_problem_grad(p, x, g);
	for (size_t j = 0; j < d; j++)
		cr_assert(fabs(g[j] - mean[j]) < 1e-12, "grad %zu: %.15g vs %.15g", j, g[j], mean[j]);
	asgd_problem_destroy(p);
	asgd_problem_destroy(p0);
	testdata_free(&ds);
}

/* Least squares: the module's minimizer against GSL's LU solve of the normal equations. */
Test(datamodel, least_squares_minimizer_solves_normal_equations)
{
	asgd_dataset ds;
	const size_t n = 80, d = 6;
	const double lambda = 0.01;
	double x[6], N[36] = { 0 }, rhs[6] = { 0 }, sol[6];
	int sign;

	make_dataset(&ds, n, d, 0.7, 1, 8);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_SQUARES, lambda);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	for (size_t i = 0; i < n; i++)
		for (size_t e = ds.row_ptr[i]; e < ds.row_ptr[i + 1]; e++) {
			rhs[ds.col[e]] += ds.val[e] * ds.label[i] / n;
			for (size_t f = ds.row_ptr[i]; f < ds.row_ptr[i + 1]; f++)
				N[ds.col[e] * d + ds.col[f]] += ds.val[e] * ds.val[f] / n;
		}
	for (size_t j = 0; j < d; j++)
		N[j * d + j] += lambda;
	gsl_matrix_view Nv = gsl_matrix_view_array(N, d, d);
	gsl_vector_view bv = gsl_vector_view_array(rhs, d), xv = gsl_vector_view_array(sol, d);
	gsl_permutation *perm = gsl_permutation_alloc(d);
	gsl_linalg_LU_decomp(&Nv.matrix, perm, &sign);
	gsl_linalg_LU_solve(&Nv.matrix, perm, &bv.vector, &xv.vector);
	gsl_permutation_free(perm);
	for (size_t j = 0; j < d; j++)
		cr_assert(fabs(x[j] - sol[j]) < 1e-10, "x*[%zu] %.15g vs LU %.15g", j, x[j], sol[j]);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, logistic_minimizer_has_zero_gradient)
{
	asgd_dataset ds;
	double x[12], g[12], xp[12];

	make_dataset(&ds, 200, 12, 0.4, 0, 12);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_LOGISTIC, 1e-2);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	asgd_problem_grad(p, x, g);
	for (size_t j = 0; j < 12; j++)
		cr_assert(fabs(g[j]) < 1e-10, "grad %zu = %g at the minimizer", j, g[j]);
	/* and it is a minimum: moving any coordinate raises f */
	for (size_t j = 0; j < 12; j++) {
		memcpy(xp, x, sizeof(x));
		xp[j] += 1e-3;
		cr_assert_gt(asgd_problem_f(p, xp), asgd_problem_f(p, x));
	}
	asgd_problem *hinge = make_problem(&ds, ASGD_LOSS_HINGE, 1e-2);
	cr_assert_eq(asgd_problem_minimizer(hinge, x), ASGD_ENOTFOUND,
		     "the hinge loss has no minimizer here");
	asgd_problem_destroy(hinge);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, labels_and_accuracy)
{
	asgd_dataset ds;
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 0, .positive = 7 };
	asgd_problem *p = NULL;
	char err[256] = "";
	double x[5] = { 0 };

	make_dataset(&ds, 30, 5, 0.5, 3, 2); /* classes 0, 1, 2 */
	cr_assert_eq(asgd_problem_create_data(&ds, &m, &p, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "positive class 7") != NULL, "message: %s", err);
	m.lambda = -1;
	m.positive = NAN;
	cr_assert_eq(asgd_problem_create_data(&ds, &m, &p, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "lambda -1") != NULL, "message: %s", err);
	m.lambda = 0;
	p = make_problem(&ds, ASGD_LOSS_LOGISTIC, 0);
	/* class 2 (the largest) is +1: a third of the rows; at x = 0 every margin is 0: wrong */
	cr_assert_eq(asgd_problem_accuracy(p, x), 0.0);
	cr_assert(strstr(asgd_problem_spec(p), "positive=2") != NULL, "%s", asgd_problem_spec(p));
	cr_assert_str_eq(asgd_problem_name(p), "logistic");
	asgd_problem_destroy(p);
	p = make_problem(&ds, ASGD_LOSS_SQUARES, 0);
	cr_assert(isnan(asgd_problem_accuracy(p, x)));
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* @traj, when not NULL, receives x_k for every k that is a multiple of @every. */
static void run_engine_every(const asgd_problem *p, asgd_engine_mode mode, unsigned workers,
			     uint64_t iters, double eta, double *traj, uint64_t every,
			     double *x_final)
{
	asgd_engine_config cfg = { 0 };
	asgd_engine_result res;

	cfg.problem = p;
	cfg.mode = mode;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = eta;
	cfg.seed = 5;
	cfg.trajectory = traj;
	cfg.record_every = every;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, iters);
	cr_assert_eq(res.computed, res.applied + res.discarded);
	memcpy(x_final, res.x_final, asgd_problem_dim(p) * sizeof(double));
	asgd_engine_result_free(&res);
}

static void run_engine(const asgd_problem *p, asgd_engine_mode mode, unsigned workers,
		       uint64_t iters, double eta, double *traj, double *x_final)
{
	run_engine_every(p, mode, workers, iters, eta, traj, 1, x_final);
}

/* Interpolating least squares: every component gradient vanishes at w*, so each mode's iterates
 * must reach the normal-equation solution itself. Not necessarily the last one: a worker that
 * the scheduler keeps off its core for a time slice (4 workers on 2 cores) comes back with a
 * gradient thousands of updates stale and knocks x off x* by ~1e-3 near the end of a 60 ms
 * run (seen on a loaded machine). So the test asks for a late iterate — one of the rows
 * recorded in the last fifth of the run — within 1e-8 of x* in every coordinate. */
Test(datamodel, engine_reaches_interpolating_optimum_in_every_mode)
{
	enum { K = 60000, EVERY = 100, ROWS = K / EVERY + 1, D = 10 };
	asgd_dataset ds;
	double xstar[D], x[D];
	double *traj = malloc(ROWS * D * sizeof(double));

	make_dataset(&ds, 400, D, 0.4, 2, 21);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_SQUARES, 0);
	cr_assert_eq(asgd_problem_minimizer(p, xstar), ASGD_OK);
	for (int mode = 0; mode < 3; mode++) {
		double best = INFINITY;

		run_engine_every(p, (asgd_engine_mode)mode, 4, K, 0.3, traj, EVERY, x);
		for (size_t r = ROWS - ROWS / 5; r < ROWS; r++) {
			double err = 0;

			for (size_t j = 0; j < D; j++)
				err = fmax(err, fabs(traj[r * D + j] - xstar[j]));
			best = fmin(best, err);
		}
		cr_assert(best < 1e-8, "mode %s: no late iterate within 1e-8 of x* (closest %.3g)",
			  asgd_engine_mode_name((asgd_engine_mode)mode), best);
	}
	free(traj);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* Noisy least squares: the gradient is affine, so the stationary mean is x* whatever the
 * staleness; the mean of the late iterates must be within 5 SE (20 batch means) of x*. */
Test(datamodel, engine_mean_iterate_matches_normal_equations)
{
	asgd_dataset ds;
	const size_t d = 5, iters = 200000, burn = 20000, blocks = 20;
	double xstar[5], x[5];
	double *traj = malloc((iters + 1) * d * sizeof(double));

	make_dataset(&ds, 300, d, 0.8, 1, 33);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_SQUARES, 0.01);
	cr_assert_eq(asgd_problem_minimizer(p, xstar), ASGD_OK);
	for (int mode = 0; mode < 3; mode++) {
		run_engine(p, (asgd_engine_mode)mode, 4, iters, 0.05, traj, x);
		for (size_t j = 0; j < d; j++) {
			size_t per = (iters - burn) / blocks;
			double bm[20], mean = 0, var = 0;

			for (size_t b = 0; b < blocks; b++) {
				bm[b] = 0;
				for (size_t k = 0; k < per; k++)
					bm[b] += traj[(burn + 1 + b * per + k) * d + j] / per;
				mean += bm[b] / blocks;
			}
			for (size_t b = 0; b < blocks; b++)
				var += (bm[b] - mean) * (bm[b] - mean) / (blocks - 1);
			double se = sqrt(var / blocks);
			cr_assert(fabs(mean - xstar[j]) < 5 * se + 1e-12,
				  "mode %s coord %zu: mean %.6g vs x* %.6g (SE %.2g)",
				  asgd_engine_mode_name((asgd_engine_mode)mode), j, mean, xstar[j], se);
		}
	}
	free(traj);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, covariance_sample_estimates_covariance)
{
	asgd_dataset ds;
	const size_t d = 4;
	double x[4], full[16], est[16];

	make_dataset(&ds, 500, d, 0.9, 1, 44);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_SQUARES, 0.1);
	random_x(x, d, 3);
	cr_assert_eq(asgd_problem_covariance(p, x, full), ASGD_OK);
	cr_assert_eq(asgd_problem_covariance_sample(p, x, 20000, 1, est), ASGD_OK);
	/* An entry of an m-sample covariance has SE ≈ sqrt((Σ_rr Σ_cc + Σ_rc²)(1 + κ/2)/m) with κ
	 * the excess kurtosis; at m = 20000 and κ ≤ 6 that is ≤ 0.02·sqrt(Σ_rr Σ_cc), so the
	 * bound 0.05·sqrt(Σ_rr Σ_cc) is at least 2.5 SE and in practice ~5. */
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			cr_assert(fabs(est[r * d + c] - full[r * d + c]) <
					  0.05 * sqrt(full[r * d + r] * full[c * d + c]),
				  "cov[%zu,%zu] sample %.6g vs full %.6g", r, c, est[r * d + c],
				  full[r * d + c]);
	cr_assert_eq(asgd_problem_covariance_sample(p, x, 1, 1, est), ASGD_EINVAL);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}
