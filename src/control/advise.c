/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise.c — what `asgd advise` needs between its measurement and its test run: curvature and
 * noise near the minimizer (finite differences of the gradient, power iteration), the total
 * momentum of asynchrony plus explicit momentum, the spectral radius of the expected update
 * recursion, and the recommendation (asgd/advise.h derives the model).
 */
#include "asgd/advise.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/rng.h"
#include "asgd/theory.h"

#define FD_REL_STEP 1e-4
#define POWER_MAX_ITERS 10000u
#define POWER_TOL 1e-10
/* Any fixed seed: the start vector only has to be generic, and the same in every run. */
#define POWER_SEED UINT64_C(0x616476697365)
#define BETA_COARSE 5e-4
#define BETA_FINE 1e-6

/* ---- curvature and noise near x* ---- */

static double fd_step(const double *xstar, size_t dim)
{
	double m = 1;

	for (size_t j = 0; j < dim; j++)
		m = fmax(m, fabs(xstar[j]));
	return FD_REL_STEP * m;
}

/* Hv ≈ (∇f(x* + hv) − ∇f(x* − hv))/(2h) into @hv; @w is 2·dim doubles of scratch. */
static void hess_vec(const asgd_problem *p, const double *xstar, const double *v, double h,
		     double *hv, double *w)
{
	size_t dim = asgd_problem_dim(p);
	double *x = w, *gm = w + dim;

	for (size_t j = 0; j < dim; j++)
		x[j] = xstar[j] + h * v[j];
	asgd_problem_grad(p, x, hv);
	for (size_t j = 0; j < dim; j++)
		x[j] = xstar[j] - h * v[j];
	asgd_problem_grad(p, x, gm);
	for (size_t j = 0; j < dim; j++)
		hv[j] = (hv[j] - gm[j]) / (2 * h);
}

static double dot(const double *u, const double *v, size_t n)
{
	double s = 0;

	for (size_t j = 0; j < n; j++)
		s += u[j] * v[j];
	return s;
}

/*
 * The largest Hessian eigenvalue at x*: power iteration with the Rayleigh quotient, which for a
 * symmetric matrix converges twice as fast as the iterate's direction.
 */
static int largest_eigenvalue(const asgd_problem *p, const double *xstar, asgd_advise_local *out)
{
	size_t dim = asgd_problem_dim(p);
	double *v = malloc(4 * dim * sizeof(double)), *hv, *w, lambda = NAN, next, n;
	asgd_rng rng;

	if (!v)
		return ASGD_ENOMEM;
	hv = v + dim;
	w = v + 2 * dim;
	asgd_rng_init(&rng, POWER_SEED, 0);
	for (size_t j = 0; j < dim; j++)
		v[j] = asgd_rng_normal(&rng);
	n = sqrt(dot(v, v, dim));
	for (size_t j = 0; j < dim; j++)
		v[j] /= n;
	out->converged = 0;
	for (out->power_iters = 1; out->power_iters <= POWER_MAX_ITERS; out->power_iters++) {
		hess_vec(p, xstar, v, out->step, hv, w);
		next = dot(v, hv, dim);
		n = sqrt(dot(hv, hv, dim));
		if (!(n > 0) || !isfinite(n)) {
			lambda = next;
			break;
		}
		for (size_t j = 0; j < dim; j++)
			v[j] = hv[j] / n;
		if (fabs(next - lambda) <= POWER_TOL * fabs(next)) {
			out->converged = 1;
			lambda = next;
			break;
		}
		lambda = next;
	}
	if (out->power_iters > POWER_MAX_ITERS)
		out->power_iters = POWER_MAX_ITERS;
	out->a = lambda;
	free(v);
	return ASGD_OK;
}

/* trace C(x) = (1/n) Σ_i |∇f_i(x) − ∇f(x)|², two passes as asgd_problem_covariance, no d×d. */
static int trace_covariance(const asgd_problem *p, const double *x, double *tr)
{
	size_t dim = asgd_problem_dim(p), n = asgd_problem_components(p);
	double *mean = malloc(2 * dim * sizeof(double)), *g, s = 0, d;

	if (!mean)
		return ASGD_ENOMEM;
	g = mean + dim;
	asgd_problem_grad(p, x, mean);
	for (size_t i = 0; i < n; i++) {
		asgd_problem_grad_i(p, i, x, g);
		for (size_t j = 0; j < dim; j++) {
			d = g[j] - mean[j];
			s += d * d;
		}
	}
	*tr = s / (double)n;
	free(mean);
	return ASGD_OK;
}

/* Components in the sample of asgd_advise_noise_curvature. */
#define NOISE_CURV_SAMPLE 4096u

int asgd_advise_noise_curvature(const asgd_problem *p, const double *xstar, double h,
				double *out)
{
	size_t dim, n, stride;
	double *mean, *g, *hv, *w, num = 0, den = 0;

	if (!p || !xstar || !out || !(h > 0))
		return ASGD_EINVAL;
	dim = asgd_problem_dim(p);
	n = asgd_problem_components(p);
	stride = (n + NOISE_CURV_SAMPLE - 1) / NOISE_CURV_SAMPLE;
	mean = malloc(5 * dim * sizeof(double));
	if (!mean)
		return ASGD_ENOMEM;
	g = mean + dim;
	hv = mean + 2 * dim;
	w = mean + 3 * dim;
	asgd_problem_grad(p, xstar, mean);
	for (size_t i = 0; i < n; i += stride) {
		double s;

		asgd_problem_grad_i(p, i, xstar, g);
		for (size_t j = 0; j < dim; j++)
			g[j] -= mean[j];
		s = sqrt(dot(g, g, dim));
		if (!(s > 0))
			continue;
		/* a unit direction keeps the difference step's scale; weight s² restores it */
		for (size_t j = 0; j < dim; j++)
			g[j] /= s;
		hess_vec(p, xstar, g, h, hv, w);
		num += s * s * dot(g, hv, dim);
		den += s * s;
	}
	free(mean);
	*out = num / den;
	return den > 0 && *out > 0 && isfinite(*out) ? ASGD_OK : ASGD_ENOTFOUND;
}

static int local_1d(const asgd_problem *p, const double *xstar, asgd_advise_local *out)
{
	double x, gp, gm, c;
	int rc;

	x = xstar[0] + out->step;
	asgd_problem_grad(p, &x, &gp);
	x = xstar[0] - out->step;
	asgd_problem_grad(p, &x, &gm);
	out->a = (gp - gm) / (2 * out->step);
	out->converged = 1;
	rc = asgd_problem_covariance(p, xstar, &c);
	if (rc)
		return rc;
	out->sigma2 = out->trace_c = c;
	return ASGD_OK;
}

const char *asgd_advise_curvature_name(asgd_advise_curvature c)
{
	return c == ASGD_ADVISE_CURV_REGULARISER ? "regulariser" : "hessian";
}

/* The hinge loss's curvature at its optimum: the regulariser's λ alone (asgd/advise.h). */
static int is_hinge(const asgd_problem *p, double *lambda)
{
	asgd_data_model m;

	if (asgd_problem_data_model(p, &m) != ASGD_OK || m.loss != ASGD_LOSS_HINGE)
		return 0;
	*lambda = m.lambda;
	return 1;
}

int asgd_advise_local_of(const asgd_problem *p, const double *xstar, asgd_advise_local *out)
{
	asgd_advise_local l;
	size_t dim;
	double lambda;
	int rc;

	if (!p || !xstar || !out)
		return ASGD_EINVAL;
	dim = asgd_problem_dim(p);
	memset(&l, 0, sizeof(l));
	l.step = fd_step(xstar, dim);
	if (is_hinge(p, &lambda)) {
		l.a = lambda;
		l.source = ASGD_ADVISE_CURV_REGULARISER;
		l.converged = 1;
		rc = trace_covariance(p, xstar, &l.trace_c);
		l.sigma2 = l.trace_c / (double)dim;
	} else if (dim == 1) {
		rc = local_1d(p, xstar, &l);
	} else {
		rc = largest_eigenvalue(p, xstar, &l);
		if (rc == ASGD_OK)
			rc = trace_covariance(p, xstar, &l.trace_c);
		l.sigma2 = l.trace_c / (double)dim;
	}
	if (rc)
		return rc;
	if (!(l.a > 0) || !isfinite(l.a) || !isfinite(l.sigma2))
		return ASGD_ENOTFOUND;
	*out = l;
	return ASGD_OK;
}

/* ---- the expected update recursion ---- */

double asgd_advise_total_momentum(double mu, double beta)
{
	return 1 - (1 - mu) * (1 - beta);
}

static double cubic_at(double b, double c, double d, double z)
{
	return ((z + b) * z + c) * z + d;
}

/*
 * The largest root modulus of z³ + bz² + cz + d: a real root r by bisection inside the Cauchy
 * bound (p(−R) < 0 < p(R)), then the quadratic z² + pz + q that remains after dividing out
 * z − r. Bisection, not Newton: the roots merge at exactly the β the search is after.
 */
static double cubic_radius(double b, double c, double d)
{
	double R = 1 + fmax(fabs(b), fmax(fabs(c), fabs(d))), lo = -R, hi = R, mid, r, p, q, disc;

	for (int i = 0; i < 200 && hi - lo > DBL_EPSILON * R; i++) {
		mid = 0.5 * (lo + hi);
		if (cubic_at(b, c, d, mid) < 0)
			lo = mid;
		else
			hi = mid;
	}
	r = 0.5 * (lo + hi);
	p = b + r;
	q = c + r * p;
	disc = p * p - 4 * q;
	if (disc < 0)		/* a complex pair: |z|² = their product q */
		return fmax(fabs(r), sqrt(q));
	return fmax(fabs(r), 0.5 * (fabs(p) + sqrt(disc)));
}

static int params_ok(double a, double eta, double mu, double beta)
{
	return a > 0 && isfinite(a) && eta > 0 && isfinite(eta) && mu >= 0 && mu < 1 &&
	       isfinite(beta);
}

double asgd_advise_rho(double a, double eta, double mu, double beta)
{
	if (!params_ok(a, eta, mu, beta))
		return NAN;
	/* (z − 1)(z − β)(z − μ) + ηa(1 − μ)z², expanded */
	return cubic_radius(-(1 + beta + mu - eta * a * (1 - mu)), beta + mu + beta * mu,
			    -beta * mu);
}

/* The best β on the grid center + i·step, |i| ≤ half, |β| ≤ ASGD_ADVISE_BETA_MAX. */
static void grid_search(double a, double eta, double mu, double center, double step, long half,
			double *best, double *rbest)
{
	for (long i = -half; i <= half; i++) {
		double b = center + (double)i * step, r;

		if (fabs(b) > ASGD_ADVISE_BETA_MAX)
			continue;
		r = asgd_advise_rho(a, eta, mu, b);
		if (r < *rbest) {
			*rbest = r;
			*best = b;
		}
	}
}

double asgd_advise_best_beta(double a, double eta, double mu, double *rho)
{
	double best = NAN, rbest = INFINITY, center;

	if (!params_ok(a, eta, mu, 0)) {
		if (rho)
			*rho = NAN;
		return NAN;
	}
	grid_search(a, eta, mu, 0, BETA_COARSE, (long)ceil(ASGD_ADVISE_BETA_MAX / BETA_COARSE),
		    &best, &rbest);
	center = best;
	grid_search(a, eta, mu, center, BETA_FINE, (long)(BETA_COARSE / BETA_FINE), &best,
		    &rbest);
	if (rho)
		*rho = rbest;
	return best;
}

/* ---- the recommendation ---- */

const char *asgd_advise_rule_name(asgd_advise_rule r)
{
	return r == ASGD_ADVISE_MODEL_OPTIMUM ? "model-optimum" : "closed-form";
}

int asgd_advise_recommend(double a, double eta, double beta, double mu_hat, asgd_advise_rec *out)
{
	double rho_formula;

	if (!out || !params_ok(a, eta, mu_hat, beta) || !(beta > -1 && beta < 1))
		return ASGD_EINVAL;
	memset(out, 0, sizeof(*out));
	out->mu_tot = asgd_advise_total_momentum(mu_hat, beta);
	out->mu_opt = asgd_theory_mu_opt(a, eta);		/* (5.6) */
	out->eta_opt = asgd_theory_eta_opt(a, out->mu_tot);	/* (5.6) for the total */
	/* 1 − (1 − μ̂)(1 − β) = μ_opt, solved for β */
	out->beta_formula = 1 - (1 - out->mu_opt) / (1 - mu_hat);
	out->rho_current = asgd_advise_rho(a, eta, mu_hat, beta);
	out->rho_eta_opt = asgd_advise_rho(a, out->eta_opt, mu_hat, beta);
	out->beta_best = asgd_advise_best_beta(a, eta, mu_hat, &out->rho_best);
	rho_formula = asgd_advise_rho(a, eta, mu_hat, out->beta_formula);
	/* The engine takes only β in (−1, 1), and a β whose mean dynamics grow is no advice. */
	if (out->beta_formula > -1 && out->beta_formula < 1 && rho_formula < 1) {
		out->beta_rec = out->beta_formula;
		out->rule = ASGD_ADVISE_CLOSED_FORM;
	} else {
		out->beta_rec = out->beta_best;
		out->rule = ASGD_ADVISE_MODEL_OPTIMUM;
	}
	out->rho_rec = asgd_advise_rho(a, eta, mu_hat, out->beta_rec);
	out->mu_tot_rec = asgd_advise_total_momentum(mu_hat, out->beta_rec);
	return ASGD_OK;
}

double asgd_advise_noise_floor(double a, double sigma2, double eta, double beta)
{
	if (!params_ok(a, eta, 0, beta) || !(beta < 1) || !(sigma2 >= 0) || !isfinite(sigma2))
		return NAN;
	return sigma2 * eta / (2 * a * (1 - beta));
}
