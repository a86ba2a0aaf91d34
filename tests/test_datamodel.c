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
#include "../src/problem/datamodel_internal.h"

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
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* ---- the minimizer for every loss and size ---------------------------------------------- */

/* @A (n×d, row-major) with its zeros left out, labels @y, the classes counted. */
static void dense_to_dataset(asgd_dataset *ds, size_t n, size_t d, const double *A,
			     const double *y)
{
	size_t e = 0;

	testdata_alloc(ds, n, d, n * d);
	for (size_t i = 0; i < n; i++) {
		ds->row_ptr[i] = e;
		ds->label[i] = y[i];
		for (size_t j = 0; j < d; j++)
			if (A[i * d + j] != 0) {
				ds->col[e] = (uint32_t)j;
				ds->val[e++] = A[i * d + j];
				ds->col_count[j]++;
			}
		for (size_t k = 0; k < i && ds->classes == 0; k++)
			if (y[k] != y[i])
				ds->classes = 2;
	}
	ds->row_ptr[n] = e;
	ds->nnz = e;
	if (ds->classes == 0)
		ds->classes = 1;
}

/* A random problem with what the solvers must get right at the edges: feature @d−1 stored by
 * no row, and row 0 empty. Labels ±1 from a planted w with 10% flipped. */
static void gappy_dataset(asgd_dataset *ds, size_t n, size_t d, double density, uint64_t seed)
{
	double *A = calloc(n * d, sizeof(double)), *y = malloc(n * sizeof(double)), m;
	asgd_rng r;

	asgd_rng_init(&r, seed, 0);
	for (size_t i = 0; i < n; i++) {
		m = 0;
		for (size_t j = 0; i > 0 && j + 1 < d; j++)
			if (asgd_rng_uniform(&r) < density) {
				A[i * d + j] = asgd_rng_normal(&r);
				m += A[i * d + j] * (j % 3 ? 1.0 : -0.5);
			}
		y[i] = (m > 0) != (asgd_rng_uniform(&r) < 0.1) ? 1 : -1;
	}
	dense_to_dataset(ds, n, d, A, y);
	free(A);
	free(y);
}

/*
 * The hinge minimizer x with its dual α: 0 ≤ α ≤ C = 1/(nλ); x = Σ α_i y_i a_i; α_i = C where
 * the margin y_i a_i·x is below 1, 0 where above, either where it is 1 — so that β_i = nλα_i is
 * a subgradient weight of the loss at each row and (1/n) Σ −β_i y_i a_i + λx = 0 ∈ ∂f(x). And
 * the duality gap f(x) − λ(Σα − ½‖x‖²) ≥ 0, a certificate that needs no trust in the solver,
 * must be ~0. Labels: 1 is the positive class (the largest of ±1 and of 0/1). Returns f(x).
 */
static double check_hinge_optimality(const asgd_problem *p, const asgd_dataset *ds,
				     double lambda, double *x)
{
	size_t n = asgd_problem_components(p), d = asgd_problem_dim(p);
	double C = 1 / ((double)n * lambda), f, dual = 0, xx = 0;
	double *alpha = malloc(n * sizeof(double)), *w = calloc(d, sizeof(double));

	cr_assert_eq(asgd__dm_hinge_dual(p, x, alpha, NULL), ASGD_OK);
	for (size_t i = 0; i < n; i++) {
		double yi = ds->label[i] == 1 ? 1 : -1, m = 0;

		cr_assert(alpha[i] >= 0 && alpha[i] <= C, "alpha[%zu] = %g outside [0, %g]", i,
			  alpha[i], C);
		for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++) {
			w[ds->col[e]] += alpha[i] * yi * ds->val[e];
			m += ds->val[e] * x[ds->col[e]];
		}
		m *= yi;
		if (m < 1 - 1e-8)
			cr_assert_eq(alpha[i], C, "row %zu: margin %.12g < 1 but alpha %g < C", i, m,
				     alpha[i]);
		if (m > 1 + 1e-8)
			cr_assert_eq(alpha[i], 0, "row %zu: margin %.12g > 1 but alpha %g", i, m,
				     alpha[i]);
		dual += alpha[i];
	}
	for (size_t j = 0; j < d; j++) {
		cr_assert(fabs(w[j] - x[j]) <= 1e-12 * (1 + fabs(x[j])), "x[%zu] %.15g, Σαya %.15g",
			  j, x[j], w[j]);
		if (!ds->col_count[j])
			cr_assert_eq(x[j], 0, "feature %zu is stored by no row", j);
		xx += x[j] * x[j];
	}
	f = asgd_problem_f(p, x);
	dual = lambda * (dual - 0.5 * xx);
	cr_assert(f - dual >= -1e-12 && f - dual <= 1e-9 * f, "duality gap %.3g (f %.15g)",
		  f - dual, f);
	free(alpha);
	free(w);
	return f;
}

/* 1-D by hand, labels ±1, one empty row (loss 1 whatever x) and feature 1 stored by no row.
 * f = (1/3)[max(0, 1 − 2x) + max(0, 1 − x) + 1] + (λ/2)x²: for ½ < x < 1 f' = −1/3 + λx, zero
 * at x = 1/(3λ) = 0.625 for λ = 8/15, where f = (1/3)(0.375 + 1) + (4/15)·0.390625 = 0.5625.
 * Then f = (1/3)[2 max(0, 1 − x) + 1] + (λ/2)x² with λ = 0.1: the kink x = 1 is the minimizer
 * (f' = −2/3 + 0.1x < 0 left of it, 0.1x > 0 right), f = 1/3 + 0.05, and both rows are on the
 * margin with α inside the box. */
Test(datamodel, hinge_minimizer_by_hand)
{
	const double A1[] = { 2, 0, -1, 0, 0, 0 }, y1[] = { 1, -1, 1 };
	const double A2[] = { 1, 0, -1, 0, 0, 0 }, y2[] = { 1, -1, -1 };
	asgd_dataset ds;
	asgd_problem *p;
	double x[2] = { NAN, NAN };

	dense_to_dataset(&ds, 3, 2, A1, y1);
	p = make_problem(&ds, ASGD_LOSS_HINGE, 8.0 / 15);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert(fabs(x[0] - 0.625) < 1e-12 && x[1] == 0, "x* = (%.15g, %g)", x[0], x[1]);
	cr_assert(fabs(check_hinge_optimality(p, &ds, 8.0 / 15, x) - 0.5625) < 1e-12);
	asgd_problem_destroy(p);
	testdata_free(&ds);

	dense_to_dataset(&ds, 3, 2, A2, y2);
	p = make_problem(&ds, ASGD_LOSS_HINGE, 0.1);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert(fabs(x[0] - 1) < 1e-9 && x[1] == 0, "x* = (%.15g, %g)", x[0], x[1]);
	cr_assert(fabs(check_hinge_optimality(p, &ds, 0.1, x) - (1.0 / 3 + 0.05)) < 1e-9);
	asgd_problem_destroy(p);
	p = make_problem(&ds, ASGD_LOSS_HINGE, 0);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_ENOTFOUND, "λ = 0: the box is unbounded");
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, hinge_minimizer_satisfies_optimality)
{
	asgd_dataset ds;
	double x[30], xp[30], f;

	gappy_dataset(&ds, 400, 30, 0.3, 41);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_HINGE, 1e-3);
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	f = check_hinge_optimality(p, &ds, 1e-3, x);
	/* and no step along a coordinate lowers f (f is convex: a local check suffices) */
	for (size_t j = 0; j + 1 < 30; j++)
		for (int sgn = -1; sgn <= 1; sgn += 2) {
			memcpy(xp, x, sizeof(x));
			xp[j] += sgn * 1e-4;
			cr_assert_geq(asgd_problem_f(p, xp), f - 1e-15, "x_%zu %+g lowers f", j,
				      sgn * 1e-4);
		}
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* Newton-CG, forced where Cholesky also works, must agree with it to the solvers' precision,
 * empty row and unused feature included; and its gradient must be tiny. */
static void check_newton_cg_agrees(asgd_loss loss, double lambda)
{
	enum { N = 300, D = 40 };
	asgd_dataset ds;
	double chol[D], ncg[D], g[D], g0[D] = { 0 }, gn = 0, gn0 = 0, scale = 0;

	gappy_dataset(&ds, N, D, 0.25, 7);
	asgd_problem *p = make_problem(&ds, loss, lambda);
	cr_assert_eq(asgd__dm_minimizer(p, chol, NULL, ASGD__DM_CHOLESKY_MAX_DIM), ASGD_OK);
	cr_assert_eq(asgd__dm_minimizer(p, ncg, NULL, 0), ASGD_OK);
	for (size_t j = 0; j < D; j++)
		scale = fmax(scale, fabs(chol[j]));
	for (size_t j = 0; j < D; j++)
		cr_assert(fabs(chol[j] - ncg[j]) <= 1e-8 * scale, "%s x[%zu]: Cholesky %.15g, CG %.15g",
			  asgd_loss_name(loss), j, chol[j], ncg[j]);
	cr_assert_eq(ncg[D - 1], 0, "feature %d is stored by no row", D - 1);
	cr_assert(fabs(asgd_problem_f(p, chol) - asgd_problem_f(p, ncg)) <=
		  1e-14 * asgd_problem_f(p, chol));
	asgd_problem_grad(p, ncg, g);
	asgd_problem_grad(p, (double[D]){ 0 }, g0);
	for (size_t j = 0; j < D; j++) {
		gn += g[j] * g[j];
		gn0 += g0[j] * g0[j];
	}
	cr_assert(sqrt(gn) <= 1e-9 * sqrt(gn0), "‖∇f‖ %.3g, at 0 %.3g", sqrt(gn), sqrt(gn0));
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, newton_cg_agrees_with_cholesky_squares)
{
	check_newton_cg_agrees(ASGD_LOSS_SQUARES, 1e-3);
}

Test(datamodel, newton_cg_agrees_with_cholesky_logistic)
{
	check_newton_cg_agrees(ASGD_LOSS_LOGISTIC, 1e-3);
	check_newton_cg_agrees(ASGD_LOSS_LOGISTIC, 1.0 / 300); /* liblinear's C = 1 */
}

/* d = 47 236 > 4096, rcv1-like rows of ~70 entries: every loss has its minimizer (about 0.05 s
 * each on 2 EPYC cores; the timeout only catches a solver that does not end), with ∇f ≈ 0 for
 * the smooth losses and the optimality conditions for the hinge loss. */
Test(datamodel, large_sparse_minimizers, .timeout = 60)
{
	asgd_dataset *ds;
	asgd_loss losses[] = { ASGD_LOSS_SQUARES, ASGD_LOSS_LOGISTIC, ASGD_LOSS_HINGE };

	cr_assert_eq(asgd_dataset_load("rcv1:n=2000,d=47236,nnz=70", NULL, &ds, NULL, 0), ASGD_OK);
	for (size_t k = 0; k < 3; k++) {
		asgd_problem *p = make_problem(ds, losses[k], 1.0 / 2000);
		size_t d = asgd_problem_dim(p);
		double *x = malloc(d * sizeof(double)), *g = malloc(d * sizeof(double));
		double *zero = calloc(d, sizeof(double)), gn = 0, gn0 = 0;

		cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK, "%s", asgd_loss_name(losses[k]));
		if (losses[k] == ASGD_LOSS_HINGE) {
			check_hinge_optimality(p, ds, 1.0 / 2000, x);
		} else {
			asgd_problem_grad(p, x, g);
			asgd_problem_grad(p, zero, zero);
			for (size_t j = 0; j < d; j++) {
				gn += g[j] * g[j];
				gn0 += zero[j] * zero[j];
			}
			cr_assert(sqrt(gn) <= 1e-9 * sqrt(gn0), "%s: ‖∇f‖ %.3g, at 0 %.3g",
				  asgd_loss_name(losses[k]), sqrt(gn), sqrt(gn0));
		}
		free(x);
		free(g);
		free(zero);
		asgd_problem_destroy(p);
	}
	asgd_dataset_destroy(ds);
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

/* The one-pass forms against their definitions: f as the mean of f_i, ∇²f v against a central
 * difference of ∇f (error O(h²) ≈ 1e-10 at h = 1e-5; the hinge's is λv off its kinks, where
 * the difference agrees unless a margin crosses 1 within h), and ∇f with Σ z_i ∇f_i against
 * the sums of grad_i. Features 11 and 12 are never stored: they stay out of every sum. */
static void check_one_pass_forms(asgd_loss loss)
{
	enum { N = 40, D = 13 };
	asgd_dataset ds;
	double x[D], v[D], hv[D], gp[D], gm[D], xp[D], g[D], zg[D], gi[D], mean[D] = { 0 },
	       zsum[D] = { 0 }, z[N], fmean = 0;
	const double h = 1e-5;
	asgd_rng r;

	make_dataset(&ds, N, D - 2, 0.4, loss == ASGD_LOSS_SQUARES ? 1 : 0, 8);
	ds.cols = D; /* two trailing features no row stores */
	ds.col_count = realloc(ds.col_count, D * sizeof(*ds.col_count));
	ds.col_count[D - 2] = ds.col_count[D - 1] = 0;
	asgd_problem *p = make_problem(&ds, loss, 0.05);
	random_x(x, D, 3);
	random_x(v, D, 4);
	asgd_rng_init(&r, 6, 0);
	for (size_t i = 0; i < N; i++) {
		z[i] = asgd_rng_normal(&r);
		fmean += asgd_problem_fi(p, i, x) / N;
		asgd_problem_grad_i(p, i, x, gi);
		for (size_t j = 0; j < D; j++) {
			mean[j] += gi[j] / N;
			zsum[j] += z[i] * gi[j];
		}
	}
	cr_assert(fabs(asgd_problem_f(p, x) - fmean) < 1e-13 * (1 + fabs(fmean)),
		  "%s: f %.17g vs mean of f_i %.17g", asgd_loss_name(loss), asgd_problem_f(p, x),
		  fmean);
	cr_assert_eq(asgd_problem_grad_weighted(p, x, z, g, zg), ASGD_OK);
	for (size_t j = 0; j < D; j++) {
		cr_assert(fabs(g[j] - mean[j]) < 1e-13, "%s: grad %zu: %.17g vs %.17g",
			  asgd_loss_name(loss), j, g[j], mean[j]);
		cr_assert(fabs(zg[j] - zsum[j]) < 1e-12, "%s: sum z_i grad_i %zu: %.17g vs %.17g",
			  asgd_loss_name(loss), j, zg[j], zsum[j]);
	}
	cr_assert_eq(asgd_problem_hess_vec(p, x, v, hv), ASGD_OK);
	for (size_t j = 0; j < D; j++)
		xp[j] = x[j] + h * v[j];
	asgd_problem_grad(p, xp, gp);
	for (size_t j = 0; j < D; j++)
		xp[j] = x[j] - h * v[j];
	asgd_problem_grad(p, xp, gm);
	for (size_t j = 0; j < D; j++)
		cr_assert(fabs((gp[j] - gm[j]) / (2 * h) - hv[j]) < 1e-7,
			  "%s: Hv %zu: difference %.12g, exact %.12g", asgd_loss_name(loss), j,
			  (gp[j] - gm[j]) / (2 * h), hv[j]);
	cr_assert_eq(hv[D - 1], 0.0, "an unstored feature has no curvature");
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

Test(datamodel, one_pass_forms_squares) { check_one_pass_forms(ASGD_LOSS_SQUARES); }
Test(datamodel, one_pass_forms_logistic) { check_one_pass_forms(ASGD_LOSS_LOGISTIC); }
Test(datamodel, one_pass_forms_hinge) { check_one_pass_forms(ASGD_LOSS_HINGE); }

/* The presets have no closed-form ∇²f v or weighted pass: both say so and write nothing. */
Test(datamodel, one_pass_forms_absent_on_presets)
{
	asgd_problem *p = NULL;
	double x = 0.3, v = 1, out = 42, z[2] = { 1, 1 };

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cr_assert_eq(asgd_problem_hess_vec(p, &x, &v, &out), ASGD_ENOTFOUND);
	cr_assert_eq(asgd_problem_grad_weighted(p, &x, z, &out, &v), ASGD_ENOTFOUND);
	cr_assert_eq(out, 42.0);
	asgd_problem_destroy(p);
}

/*
 * A mini-batch in place, one worker: every τ is 0 and the worker's B rows (drawn without
 * replacement, the partial Fisher–Yates shuffle of the engine's stream) are merged to one entry
 * per coordinate before the master applies them. The trajectory is then minibatch SGD, to a few
 * ulps (the merged sums add (1/B)∇f_i in row order), and the coordinates written are the union
 * of each batch's supports, not the sum of their sizes.
 */
Test(datamodel, engine_inplace_batches_are_merged_minibatch_sgd)
{
	enum { N = 30, D = 9, K = 300, B = 6 };
	asgd_dataset ds;
	asgd_engine_config cfg = { 0 };
	asgd_engine_result res;
	double x[D] = { 0 }, acc[D], gi[D], *traj = malloc((K + 1) * D * sizeof(double));
	size_t perm[N];
	uint64_t written = 0;
	asgd_rng rng;

	make_dataset(&ds, N, D, 0.3, 0, 12);
	asgd_problem *p = make_problem(&ds, ASGD_LOSS_LOGISTIC, 0.05);
	cfg = (asgd_engine_config){ .problem = p, .mode = ASGD_ENGINE_MASTER_INPLACE, .workers = 1,
				    .iters = K, .eta = 0.2, .seed = 7, .batch = B,
				    .trajectory = traj, .record_staleness = 1 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, K);
	for (size_t i = 0; i < N; i++)
		perm[i] = i;
	asgd_rng_init(&rng, 7, 0);
	for (uint64_t k = 0; k < K; k++) {
		int touched[D] = { 0 };

		cr_assert_eq(res.tau[k], 0);
		memset(acc, 0, sizeof(acc));
		for (size_t b = 0; b < B; b++) {
			size_t r = b + asgd_rng_below(&rng, N - b), i = perm[r];
			const uint32_t *idx;
			size_t s = asgd_problem_support(p, i, &idx);

			perm[r] = perm[b];
			perm[b] = i;
			asgd_problem_grad_i(p, i, x, gi);
			for (size_t e = 0; e < s; e++) {
				acc[idx[e]] += gi[idx[e]] * (1.0 / B);
				touched[idx[e]] = 1;
			}
		}
		for (size_t j = 0; j < D; j++) {
			x[j] -= cfg.eta * acc[j];
			written += (uint64_t)touched[j];
			cr_assert(fabs(traj[(k + 1) * D + j] - x[j]) < 1e-13,
				  "x_%llu[%zu]: engine %.17g, minibatch SGD %.17g",
				  (unsigned long long)(k + 1), j, traj[(k + 1) * D + j], x[j]);
		}
	}
	cr_assert_eq(res.coords_written, written, "coordinates written %llu, batch unions %llu",
		     (unsigned long long)res.coords_written, (unsigned long long)written);
	asgd_engine_result_free(&res);
	free(traj);
	asgd_problem_destroy(p);
	testdata_free(&ds);
}

/* ---- a part of a set with the whole set's statistics (MPI shards and samples) ---- */

static asgd_data_whole whole_of(const asgd_dataset *ds, const asgd_problem *p)
{
	return (asgd_data_whole){ .rows = ds->rows, .cols = ds->cols,
				  .col_count = ds->col_count,
				  .max_support = asgd_problem_max_support(p) };
}

Test(datamodel, a_shard_has_the_whole_sets_components)
{
	asgd_dataset *ds = NULL, *part = NULL;
	asgd_problem *whole, *p = NULL;
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 0.01, .positive = 1 };
	char err[256] = "";
	double x[300], g[300], gp[300];
	const size_t W = 3;

	cr_assert_eq(asgd_dataset_generate("rcv1:n=200,d=300,nnz=6,seed=7", &ds, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &whole, err, sizeof(err)), ASGD_OK, "%s", err);
	asgd_data_whole w = whole_of(ds, whole);

	random_x(x, 300, 3);
	for (size_t r = 0; r < W; r++) {
		cr_assert_eq(asgd_dataset_rows_mod(ds, r, W, &part, err, sizeof(err)), ASGD_OK);
		cr_assert_eq(asgd_problem_create_data_part(part, &m, &w, &p, err, sizeof(err)),
			     ASGD_OK, "%s", err);
		cr_assert_eq(asgd_problem_dim(p), 300);
		cr_assert_eq(asgd_problem_components(p), part->rows);
		cr_assert_eq(asgd_problem_max_support(p), asgd_problem_max_support(whole),
			     "every rank agrees on the widest row");
		for (size_t k = 0; k < part->rows; k++) { /* bit for bit the whole set's f_i */
			asgd_problem_grad_i(whole, r + k * W, x, g);
			asgd_problem_grad_i(p, k, x, gp);
			cr_assert_arr_eq(g, gp, sizeof(g), "shard %zu row %zu", r, k);
			cr_assert_eq(asgd_problem_fi(whole, r + k * W, x), asgd_problem_fi(p, k, x));
		}
		asgd_problem_destroy(p);
		asgd_dataset_destroy(part);
	}
	/* its own statistics would differ: the split regulariser's weights λ n_r / c_j(r) */
	cr_assert_eq(asgd_dataset_rows_mod(ds, 1, W, &part, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(part, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	asgd_problem_grad_i(whole, 1, x, g);
	asgd_problem_grad_i(p, 0, x, gp);
	cr_assert(memcmp(g, gp, sizeof(g)) != 0, "the test would not notice the whole set's n");
	asgd_problem_destroy(p);
	asgd_dataset_destroy(part);
	asgd_problem_destroy(whole);
	asgd_dataset_destroy(ds);
}

Test(datamodel, a_sample_estimates_the_whole_objective)
{
	asgd_dataset *ds = NULL, *s = NULL;
	asgd_problem *whole, *p = NULL;
	asgd_data_model m = { .loss = ASGD_LOSS_HINGE, .lambda = 0.02, .positive = 1 };
	char err[256] = "";
	double x[300], xs[300], loss, acc, reg = 0;

	cr_assert_eq(asgd_dataset_generate("rcv1:n=200,d=300,nnz=6,seed=7", &ds, err, sizeof(err)),
		     ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &whole, err, sizeof(err)), ASGD_OK, "%s", err);
	asgd_data_whole w = whole_of(ds, whole);

	random_x(x, 300, 5);
	/* all rows as a "sample": the whole objective, exactly */
	cr_assert_eq(asgd_dataset_rows_spread(ds, 200, &s, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data_part(s, &m, &w, &p, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_f(p, x), asgd_problem_f(whole, x));
	asgd_problem_destroy(p);
	asgd_dataset_destroy(s);
	/* 50 rows: their mean loss plus the whole set's regulariser (λ/2 on every stored feature,
	 * including those no sampled row stores) */
	cr_assert_eq(asgd_dataset_rows_spread(ds, 50, &s, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data_part(s, &m, &w, &p, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_data_eval(p, s, x, &loss, &acc), ASGD_OK);
	for (size_t j = 0; j < 300; j++)
		reg += ds->col_count[j] ? x[j] * x[j] : 0;
	cr_assert_float_eq(asgd_problem_f(p, x), loss + 0.5 * m.lambda * reg, 1e-12);
	/* it keeps the whole set's minimizer when told to */
	cr_assert_eq(asgd_problem_minimizer(whole, xs), ASGD_OK);
	cr_assert_eq(asgd_problem_keep_minimizer(p, xs), ASGD_OK);
	memset(x, 0, sizeof(x));
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert_arr_eq(x, xs, sizeof(x));
	asgd_problem_destroy(p);
	asgd_dataset_destroy(s);
	asgd_problem_destroy(whole);
	asgd_dataset_destroy(ds);
}

Test(datamodel, part_refusals)
{
	asgd_dataset *ds = NULL, *part = NULL;
	asgd_problem *whole, *p = NULL;
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 0.01, .positive = NAN };
	char err[256] = "";

	cr_assert_eq(asgd_dataset_generate("rcv1:n=60,d=50,nnz=4,seed=1", &ds, err, sizeof(err)),
		     ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &whole, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_dataset_rows_mod(ds, 0, 2, &part, err, sizeof(err)), ASGD_OK);
	asgd_data_whole w = whole_of(ds, whole);

	cr_assert_eq(asgd_problem_create_data_part(part, &m, &w, &p, err, sizeof(err)),
		     ASGD_EINVAL, "a classifier's part needs the positive class given");
	cr_assert_not_null(strstr(err, "positive"), "%s", err);
	m.positive = 1;
	w.cols = 49;
	cr_assert_eq(asgd_problem_create_data_part(part, &m, &w, &p, err, sizeof(err)),
		     ASGD_EINVAL, "other columns");
	w = whole_of(part, whole); /* the part's own counts with more rows: fine */
	w.rows = ds->rows;
	cr_assert_eq(asgd_problem_create_data_part(part, &m, &w, &p, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	asgd_problem_destroy(p);
	w = whole_of(part, whole);
	w.rows = part->rows - 1;
	cr_assert_eq(asgd_problem_create_data_part(part, &m, &w, &p, err, sizeof(err)),
		     ASGD_EINVAL, "a whole smaller than its part");
	asgd_problem_destroy(whole);
	asgd_dataset_destroy(part);
	asgd_dataset_destroy(ds);
}
