/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * data_defaults.c — what a data model runs with when the user names no step or horizon
 * (asgd/datamodel.h has the argument for the step; docs/MODELS.md §7 the measurements).
 *
 * A newcomer who types `asgd run --loss logistic --data heart_scale` should get an answer within
 * 1% of the optimum in seconds. The stability scale 1/max L_i is not that answer: its stationary
 * noise leaves logistic regression on heart_scale 5-9% above the optimum. So the default step is
 * chosen from the data's own noise at the optimum, and the horizon from the step.
 */
#include "asgd/datamodel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>

#include "asgd/error.h"

/* The horizon, in epochs: within these bounds, and at most UPDATES_MAX updates (about 4.5 s of
 * the in-place master on the default rcv1 on 2 cores, times 5 replicas, plus the data's
 * generation, the optimum and the scoring: the 30 s a default run may take). */
#define EPOCHS_MIN 1.0
#define EPOCHS_MAX 1000.0
#define EPOCHS_MAX_BATCHED 100000.0
#define UPDATES_MAX 3000000.0
/* and at most this many component gradients (mini-batches: about 2 s of one replica's) */
#define GRADIENTS_MAX 40000000.0
/* Without a spectrum (d > SPECTRUM_MAX_DIM, or no x*): a rule of thumb, ten epochs at the
 * stability scale and proportionally more at a smaller step. */
#define SPECTRUM_MAX_DIM 512
#define FALLBACK_EPOCHS 10.0

/* tr C(x) = (1/n) Σ_i ‖∇f_i(x)‖² − ‖∇f(x)‖², one pass over every row's support. */
static int trace_covariance(const asgd_problem *p, const double *x, double *out)
{
	size_t n = asgd_problem_components(p), d = asgd_problem_dim(p);
	size_t cap = asgd_problem_max_support(p);
	double *buf = malloc((2 * cap + d) * sizeof(double)), *xs, *gs, *g, sum = 0, mean2 = 0;

	if (!buf)
		return ASGD_ENOMEM;
	xs = buf;
	gs = xs + cap;
	g = gs + cap;
	for (size_t i = 0; i < n; i++) {
		const uint32_t *idx;
		size_t s = asgd_problem_support(p, i, &idx);

		for (size_t e = 0; e < s; e++)
			xs[e] = x[idx[e]];
		asgd_problem_grad_support(p, i, xs, gs);
		for (size_t e = 0; e < s; e++)
			sum += gs[e] * gs[e];
	}
	asgd_problem_grad(p, x, g);
	for (size_t j = 0; j < d; j++)
		mean2 += g[j] * g[j];
	free(buf);
	*out = sum / (double)n - mean2;
	return ASGD_OK;
}

/* H = ∇²f(x*) by central differences of ∇f along each axis (d gradients, O(d·nnz)), symmetrised:
 * exact up to rounding for least squares, O(h²) otherwise. */
static int hessian_at(const asgd_problem *p, const double *xs, double *H)
{
	size_t d = asgd_problem_dim(p);
	double *buf = malloc(3 * d * sizeof(double)), *x, *gp, *gm;

	if (!buf)
		return ASGD_ENOMEM;
	x = buf;
	gp = x + d;
	gm = gp + d;
	memcpy(x, xs, d * sizeof(double));
	for (size_t j = 0; j < d; j++) {
		double h = 1e-5 * fmax(1, fabs(xs[j]));

		x[j] = xs[j] + h;
		asgd_problem_grad(p, x, gp);
		x[j] = xs[j] - h;
		asgd_problem_grad(p, x, gm);
		x[j] = xs[j];
		for (size_t r = 0; r < d; r++)
			H[r * d + j] = (gp[r] - gm[r]) / (2 * h);
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c < r; c++)
			H[r * d + c] = H[c * d + r] = 0.5 * (H[r * d + c] + H[c * d + r]);
	free(buf);
	return ASGD_OK;
}

/* The quadratic model's excess loss of the mean iterate after k updates of step η from x_0:
 * ½ Σ_j h_j c_j² (1 − ηh_j)^{2k}, c = Vᵀ(x_0 − x*) in H's eigenbasis. */
static double bias_after(const double *h, const double *c, size_t d, double eta, double k)
{
	double sum = 0;

	for (size_t j = 0; j < d; j++)
		if (h[j] > 0)
			sum += 0.5 * h[j] * c[j] * c[j] * exp(2 * k * log1p(-fmin(eta * h[j], 1)));
	return sum;
}

/* The eigenvalues of H into @h and x_0 − x* in its eigenbasis into @c (d values each). */
static int spectrum(const asgd_problem *p, const double *xs, double *h, double *c)
{
	size_t d = asgd_problem_dim(p);
	gsl_matrix *H = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
	gsl_vector *ev = gsl_vector_alloc(d);
	gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
	const double *x0 = asgd_problem_x0(p);
	int rc = H && V && ev && ws ? hessian_at(p, xs, H->data) : ASGD_ENOMEM;

	if (rc == ASGD_OK && gsl_eigen_symmv(H, ev, V, ws) != 0)
		rc = ASGD_ENOTFOUND;
	for (size_t j = 0; rc == ASGD_OK && j < d; j++) {
		h[j] = gsl_vector_get(ev, j);
		c[j] = 0;
		for (size_t r = 0; r < d; r++)
			c[j] += gsl_matrix_get(V, r, j) * (x0[r] - xs[r]);
	}
	gsl_eigen_symmv_free(ws);
	gsl_vector_free(ev);
	gsl_matrix_free(V);
	gsl_matrix_free(H);
	return rc;
}

/*
 * The fewest whole epochs, of @per_epoch updates of step @eta each, after which the quadratic
 * model's bias (the mean iterate's excess loss) is below @goal, the stationary gap the step aims
 * at, so that the run ends where its noise, not its start, decides the loss; INFINITY beyond
 * @emax. Bisection on whole epochs (the bias falls with k), keeping bias(lo) above the goal and
 * bias(hi) at or below it.
 */
static double bias_epochs(const double *h, const double *c, size_t d, double goal, double eta,
			  double per_epoch, double emax)
{
	double lo = EPOCHS_MIN, hi = emax;

	if (bias_after(h, c, d, eta, hi * per_epoch) > goal)
		return INFINITY;
	if (bias_after(h, c, d, eta, lo * per_epoch) <= goal)
		return lo;
	while (hi - lo > 1) {
		double mid = floor(0.5 * (lo + hi));

		if (bias_after(h, c, d, eta, mid * per_epoch) > goal)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* The horizon at batch @batch and step @eta, capped; *@capped: the model asked for more. */
static double capped_epochs(double want, double n, double batch, int *capped)
{
	double per_epoch = ceil(n / batch), e = fmin(want, batch > 1 ? EPOCHS_MAX_BATCHED
								      : EPOCHS_MAX);

	if (e * per_epoch > UPDATES_MAX)
		e = fmax(EPOCHS_MIN, floor(UPDATES_MAX / per_epoch));
	if (e * n > GRADIENTS_MAX)
		e = fmax(EPOCHS_MIN, floor(GRADIENTS_MAX / n));
	*capped = want > e;
	return e;
}

/*
 * The horizon, and the batch where one needs it: at batch 1 the bias model's epochs (or, for
 * d > SPECTRUM_MAX_DIM or without x*, the rule of thumb); when those are more than a default run
 * affords and @max_batch allows, mini-batches of B = ⌊η_stab/η⌋ at step Bη: the noise, C/B, keeps
 * the same stationary gap, the bias falls by the same factor per epoch (BηH over n/B updates),
 * and an epoch costs n/B updates instead of n, which is what a run is short of.
 */
static void default_horizon(const asgd_problem *p, const double *xs, unsigned max_batch,
			    asgd_data_defaults *dd)
{
	size_t d = asgd_problem_dim(p);
	double n = (double)asgd_problem_components(p), e = NAN, goal, *h = NULL;

	dd->batch = 1;
	if (xs && d <= SPECTRUM_MAX_DIM && dd->optimum > 0 && (h = malloc(2 * d * sizeof(double))) &&
	    spectrum(p, xs, h, h + d) == ASGD_OK) {
		goal = ASGD_DATA_GAP_TARGET * dd->optimum;
		e = bias_epochs(h, h + d, d, goal, dd->eta, n, EPOCHS_MAX);
		dd->epochs = capped_epochs(e, n, 1, &dd->horizon_capped);
		if (dd->horizon_capped && max_batch > 1 && dd->eta < dd->eta_stable) {
			double B = fmin(fmin(floor(dd->eta_stable / dd->eta), max_batch), n);

			if (B > 1) {
				dd->batch = (unsigned)B;
				dd->eta *= B;
				e = bias_epochs(h, h + d, d, goal, dd->eta, ceil(n / B),
						EPOCHS_MAX_BATCHED);
				dd->epochs = capped_epochs(e, n, B, &dd->horizon_capped);
			}
		}
	} else {
		e = fmax(FALLBACK_EPOCHS * dd->eta_stable / dd->eta, EPOCHS_MIN);
		dd->epochs = capped_epochs(e, n, 1, &dd->horizon_capped);
	}
	free(h);
}

int asgd_data_defaults_of(asgd_problem *p, const atomic_int *stop, unsigned max_batch,
			  asgd_data_defaults *out)
{
	double *xs = NULL;
	int rc;

	if (!p || !out || !asgd_problem_dataset(p))
		return ASGD_EINVAL;
	*out = (asgd_data_defaults){ .eta_stable = asgd_problem_default_eta(p), .optimum = NAN,
				     .trace_c = NAN, .predicted_gap = NAN };
	out->eta = out->eta_stable;
	rc = asgd_problem_solve(p, stop);
	if (rc == ASGD_EINTR || rc == ASGD_ENOMEM)
		return rc;
	if (rc == ASGD_OK) {
		xs = malloc(asgd_problem_dim(p) * sizeof(double));
		if (!xs)
			return ASGD_ENOMEM;
		asgd_problem_minimizer(p, xs);
		out->optimum = asgd_problem_f(p, xs);
		rc = trace_covariance(p, xs, &out->trace_c);
		if (rc != ASGD_OK) {
			free(xs);
			return rc;
		}
		if (out->optimum > 0 && out->trace_c > 0) {
			out->eta = fmin(out->eta_stable,
					4 * ASGD_DATA_GAP_TARGET * out->optimum / out->trace_c);
			out->predicted_gap = out->eta * out->trace_c / (4 * out->optimum);
		}
	}
	default_horizon(p, xs, max_batch, out);
	out->iters = (uint64_t)ceil(out->epochs * (double)asgd_problem_components(p) /
				    (double)out->batch);
	free(xs);
	return ASGD_OK;
}
