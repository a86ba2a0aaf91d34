/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sigma.c — Σ(t) for the SMEs in d dimensions: Euler steps of its evolutions and a factor of its
 * positive part (docs/MODELS.md §2.1–2.2).
 */
#include "asgd/sigma.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>

#include "asgd/error.h"
#include "core/linalg_internal.h"

/* What the eigen route needs, allocated together on first use. */
struct eig {
	gsl_eigen_symmv_workspace *ws;
	gsl_vector *eval;
	gsl_matrix *evec;
};

int asgd_sigma_factorizer_init(asgd_sigma_factorizer *f, size_t d)
{
	if (!f || d == 0 || d > ((size_t)1 << 28) / d)
		return ASGD_EINVAL;
	memset(f, 0, sizeof(*f));
	f->a = malloc(d * d * sizeof(double));
	if (!f->a)
		return ASGD_ENOMEM;
	f->d = d;
	return ASGD_OK;
}

static void eig_free(struct eig *e)
{
	if (!e)
		return;
	if (e->ws)
		gsl_eigen_symmv_free(e->ws);
	if (e->eval)
		gsl_vector_free(e->eval);
	if (e->evec)
		gsl_matrix_free(e->evec);
	free(e);
}

void asgd_sigma_factorizer_free(asgd_sigma_factorizer *f)
{
	if (!f)
		return;
	free(f->a);
	eig_free(f->eig);
	f->a = NULL;
	f->eig = NULL;
}

static struct eig *eig_get(asgd_sigma_factorizer *f)
{
	struct eig *e = f->eig;

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ws = gsl_eigen_symmv_alloc(f->d);
	e->eval = gsl_vector_alloc(f->d);
	e->evec = gsl_matrix_alloc(f->d, f->d);
	if (!e->ws || !e->eval || !e->evec) {
		eig_free(e);
		return NULL;
	}
	f->eig = e;
	return e;
}

static double max_abs_diag(const double *m, size_t d)
{
	double s = 0;

	for (size_t i = 0; i < d; i++)
		s = fmax(s, fabs(m[i * d + i]));
	return s;
}

/* The lower Cholesky factor of f->a into L (its strict upper triangle zero); 0 if every pivot
 * exceeds @tol, else −1. */
static int cholesky(const asgd_sigma_factorizer *f, double *L, double tol)
{
	const size_t d = f->d;

	memcpy(L, f->a, d * d * sizeof(double));
	if (asgd__cholesky_tol(L, d, tol, NULL) != ASGD_OK)
		return -1;
	for (size_t i = 0; i < d; i++)
		memset(L + i * d + i + 1, 0, (d - i - 1) * sizeof(double));
	return 0;
}

/* L = V diag(√λ⁺): a factor of Σ⁺ (not triangular, which sampling does not need). */
static int eigen_factor(asgd_sigma_factorizer *f, double *L, double tol, int *clamped)
{
	const size_t d = f->d;
	struct eig *e = eig_get(f);
	gsl_matrix_view A = gsl_matrix_view_array(f->a, d, d);

	if (!e)
		return ASGD_ENOMEM;
	gsl_eigen_symmv(&A.matrix, e->eval, e->evec, e->ws);
	*clamped = 0;
	for (size_t j = 0; j < d; j++) {
		double lam = gsl_vector_get(e->eval, j), r;

		if (lam < -tol)
			*clamped = 1;
		r = lam > 0 ? sqrt(lam) : 0.0;
		for (size_t i = 0; i < d; i++)
			L[i * d + j] = gsl_matrix_get(e->evec, i, j) * r;
	}
	return ASGD_OK;
}

int asgd_sigma_factor(asgd_sigma_factorizer *f, const double *sigma, double *L, int *clamped)
{
	const size_t d = f->d;
	const double tol = 1e-12 * max_abs_diag(sigma, d);

	*clamped = 0;
	memcpy(f->a, sigma, d * d * sizeof(double));
	if (cholesky(f, L, tol) == 0)
		return ASGD_OK;
	memcpy(f->a, sigma, d * d * sizeof(double));	/* the eigen route destroys its input */
	return eigen_factor(f, L, tol, clamped);
}

void asgd_sigma_gradients(const asgd_problem *p, const double *x, double *g, double *S,
			  double *gi)
{
	const size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);

	asgd_problem_grad(p, x, g);
	if (!S)
		return;
	memset(S, 0, d * d * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		asgd_problem_grad_i(p, i, x, gi);
		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c <= r; c++)
				S[r * d + c] += gi[r] * gi[c];
	}
	for (size_t r = 0; r < d; r++)
		for (size_t c = 0; c <= r; c++)
			S[c * d + r] = S[r * d + c] /= (double)n;
}

void asgd_sigma_evolve_step(double *sigma, size_t d, double h, double c, double mu,
			    const double *S, const double *g, const double *y)
{
	/* (2.12) */
	const double kg = c * (1 - mu) / mu, ky = c * c * c / mu, kgy = c * c / mu;

	for (size_t r = 0; r < d; r++)
		for (size_t q = 0; q <= r; q++) {
			double rhs = -c * sigma[r * d + q] + c * S[r * d + q] + kg * g[r] * g[q] +
				     ky * y[r] * y[q] + kgy * (g[r] * y[q] + y[r] * g[q]);

			sigma[r * d + q] += h * rhs;
			sigma[q * d + r] = sigma[r * d + q];
		}
}

void asgd_sigma_continuum_step(double *G, size_t d, double h, double c, const double *S)
{
	for (size_t i = 0; i < d * d; i++)
		G[i] += h * c * (S[i] - G[i]);
}

void asgd_sigma_continuum_value(double *sigma, size_t d, const double *G, double c,
				const double *y)
{
	for (size_t r = 0; r < d; r++)
		for (size_t q = 0; q < d; q++)
			sigma[r * d + q] = G[r * d + q] - c * c * y[r] * y[q];
}

void asgd_sigma_linear_step(double *sigma, size_t d, double h, double c, double mu, double dt,
			    const double *S, const double *gm, const double *hp)
{
	for (size_t r = 0; r < d; r++)
		for (size_t q = 0; q <= r; q++) {
			double rhs = -c * sigma[r * d + q] - mu * (gm[r] * hp[q] + hp[r] * gm[q]) -
				     c * gm[r] * gm[q] + mu * dt * hp[r] * hp[q] + c * S[r * d + q];

			sigma[r * d + q] += h * rhs;
			sigma[q * d + r] = sigma[r * d + q];
		}
}
