/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_data_defaults.c — a data model's default step and horizon (asgd_data_defaults_of), and the
 * minimizer a problem keeps once solved (asgd_problem_solve).
 *
 * Everything is checked against quantities computed here independently: tr C(x*) as the trace of
 * the d×d covariance asgd_problem_covariance forms (the module takes one pass over the rows and
 * never forms it), and the horizon by iterating the mean recursion e ← (I − ηH)e of least
 * squares, whose Hessian AᵀA/n + λI is formed here from the rows (the module takes an
 * eigendecomposition of a finite-difference Hessian). Deterministic: no tolerance is statistical.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"

struct fixture {
	asgd_dataset *ds;
	asgd_problem *p;
};

static struct fixture make(const char *spec, asgd_loss loss)
{
	asgd_dataset_options o = { 0 };
	asgd_data_model m = { .loss = loss, .positive = NAN };
	struct fixture f = { 0 };
	char err[256] = "";

	cr_assert_eq(asgd_dataset_load(spec, &o, &f.ds, err, sizeof(err)), ASGD_OK, "%s", err);
	m.lambda = 1.0 / (double)f.ds->rows;
	cr_assert_eq(asgd_problem_create_data(f.ds, &m, &f.p, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	return f;
}

static void release(struct fixture *f)
{
	asgd_problem_destroy(f->p);
	asgd_dataset_destroy(f->ds);
}

static double trace_of_covariance(const asgd_problem *p, const double *x)
{
	size_t d = asgd_problem_dim(p);
	double *C = malloc(d * d * sizeof(double)), t = 0;

	cr_assert_eq(asgd_problem_covariance(p, x, C), ASGD_OK);
	for (size_t j = 0; j < d; j++)
		t += C[j * d + j];
	free(C);
	return t;
}

Test(data_defaults, step_aims_at_the_gap_from_the_noise_at_the_optimum)
{
	const asgd_loss losses[] = { ASGD_LOSS_SQUARES, ASGD_LOSS_LOGISTIC };

	for (size_t l = 0; l < 2; l++) {
		struct fixture f = make(l ? "heart_scale" : "regression:n=300,d=8,noise=0.5,seed=3",
					losses[l]);
		asgd_data_defaults dd;
		size_t d = asgd_problem_dim(f.p);
		double *xs = malloc(d * sizeof(double)), tr, want;

		cr_assert_eq(asgd_data_defaults_of(f.p, NULL, 1, &dd), ASGD_OK);
		cr_assert_eq(asgd_problem_minimizer(f.p, xs), ASGD_OK);
		tr = trace_of_covariance(f.p, xs);
		cr_assert(fabs(dd.trace_c - tr) <= 1e-9 * tr, "tr C %.17g vs %.17g", dd.trace_c, tr);
		cr_assert(fabs(dd.optimum - asgd_problem_f(f.p, xs)) <= 1e-15);
		want = fmin(dd.eta_stable, 4 * ASGD_DATA_GAP_TARGET * dd.optimum / tr);
		cr_assert(fabs(dd.eta - want) <= 1e-9 * want, "eta %.17g vs %.17g", dd.eta, want);
		cr_assert(dd.eta <= dd.eta_stable);
		cr_assert(fabs(dd.predicted_gap - dd.eta * tr / (4 * dd.optimum)) <= 1e-9);
		cr_assert_eq(dd.iters, (uint64_t)ceil(dd.epochs * (double)f.ds->rows));
		free(xs);
		release(&f);
	}
}

/* ½ eᵀHe after k steps e ← (I − ηH)e from e = x_0 − x* = −x*, H = AᵀA/n + λ I (least squares). */
static double mean_bias(const asgd_dataset *ds, double lambda, const double *xs, double eta,
			uint64_t k)
{
	size_t d = ds->cols, n = ds->rows;
	double *H = calloc(d * d, sizeof(double)), *e = malloc(2 * d * sizeof(double)), *t = e + d;
	double b = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t a = ds->row_ptr[i]; a < ds->row_ptr[i + 1]; a++)
			for (size_t c = ds->row_ptr[i]; c < ds->row_ptr[i + 1]; c++)
				H[ds->col[a] * d + ds->col[c]] += ds->val[a] * ds->val[c] / (double)n;
	for (size_t j = 0; j < d; j++) {
		H[j * d + j] += lambda;
		e[j] = -xs[j];
	}
	for (uint64_t s = 0; s < k; s++) {
		for (size_t r = 0; r < d; r++) {
			t[r] = e[r];
			for (size_t c = 0; c < d; c++)
				t[r] -= eta * H[r * d + c] * e[c];
		}
		memcpy(e, t, d * sizeof(double));
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < d; c++)
			b += 0.5 * e[r] * H[r * d + c] * e[c];
	free(H);
	free(e);
	return b;
}

Test(data_defaults, horizon_is_the_fewest_epochs_that_outlive_the_bias)
{
	struct fixture f = make("regression:n=300,d=8,noise=0.5,seed=3", ASGD_LOSS_SQUARES);
	asgd_data_defaults dd;
	double xs[8], goal, lambda = 1.0 / 300;
	uint64_t n = 300;

	cr_assert_eq(asgd_problem_dim(f.p), 8);
	cr_assert_eq(asgd_data_defaults_of(f.p, NULL, 1, &dd), ASGD_OK);
	cr_assert_eq(asgd_problem_minimizer(f.p, xs), ASGD_OK);
	goal = ASGD_DATA_GAP_TARGET * dd.optimum;
	cr_assert(dd.epochs >= 1 && dd.epochs == floor(dd.epochs), "epochs %g", dd.epochs);
	/* the finite-difference Hessian is exact up to rounding here: 1e-6 relative slack */
	cr_assert(mean_bias(f.ds, lambda, xs, dd.eta, dd.iters) <= goal * (1 + 1e-6),
		  "bias after %g epochs above the goal", dd.epochs);
	if (dd.epochs > 1)
		cr_assert(mean_bias(f.ds, lambda, xs, dd.eta, (uint64_t)(dd.epochs - 1) * n) >
				  goal * (1 - 1e-6),
			  "%g epochs are more than needed", dd.epochs);
	release(&f);
}

/* digits' raw pixels (0-16) are too ill-conditioned for batch 1 within the bounds: the defaults
 * take mini-batches of B = ⌊η_stab/η⌋ at step Bη, which keep the stationary gap (noise C/B) and
 * cost B times fewer updates per epoch; a command without batches (max 1) keeps batch 1, said
 * to be capped. */
Test(data_defaults, an_ill_conditioned_set_takes_mini_batches, .timeout = 120)
{
	struct fixture f = make("digits", ASGD_LOSS_LOGISTIC);
	asgd_data_defaults one, many;
	double eta1;

	cr_assert_eq(asgd_data_defaults_of(f.p, NULL, 1, &one), ASGD_OK);
	cr_assert_eq(one.batch, 1);
	cr_assert(one.horizon_capped, "batch 1 within %g epochs", one.epochs);
	cr_assert_eq(asgd_data_defaults_of(f.p, NULL, 64, &many), ASGD_OK);
	eta1 = 4 * ASGD_DATA_GAP_TARGET * many.optimum / many.trace_c;
	cr_assert(fabs(one.eta - eta1) <= 1e-12 * eta1);
	cr_assert_eq(many.batch, (unsigned)fmin(floor(many.eta_stable / eta1), 64));
	cr_assert(many.batch > 1);
	cr_assert(fabs(many.eta - many.batch * eta1) <= 1e-12 * many.eta);
	cr_assert(many.eta <= many.eta_stable);
	cr_assert(fabs(many.predicted_gap - ASGD_DATA_GAP_TARGET) <= 1e-12);
	cr_assert_eq(many.iters, (uint64_t)ceil(many.epochs * (double)f.ds->rows / many.batch));
	cr_assert(many.iters < one.iters * many.epochs / one.epochs,
		  "a batched epoch is fewer updates");
	release(&f);
}

Test(data_defaults, a_solved_problem_keeps_its_minimizer)
{
	struct fixture f = make("heart_scale", ASGD_LOSS_LOGISTIC);
	size_t d = asgd_problem_dim(f.p);
	double a[64], b[64];

	cr_assert(d <= 64);
	cr_assert_eq(asgd_problem_minimizer(f.p, a), ASGD_OK);
	cr_assert_eq(asgd_problem_solve(f.p, NULL), ASGD_OK);
	cr_assert_eq(asgd_problem_minimizer(f.p, b), ASGD_OK);
	cr_assert_arr_eq(a, b, d * sizeof(double));
	release(&f);
}

Test(data_defaults, refuses_a_preset)
{
	asgd_problem *p = NULL;
	asgd_data_defaults dd;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cr_assert_eq(asgd_data_defaults_of(p, NULL, 1, &dd), ASGD_EINVAL);
	asgd_problem_destroy(p);
}
