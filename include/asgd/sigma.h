/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sigma.h — the noise covariance Σ(t) of the SMEs in d dimensions: its evolution equations
 * (docs/MODELS.md §2.1–2.2) and a square-root factor of it for sampling √Σ dB.
 *
 * Matrices are d×d, row-major and kept exactly symmetric (every update writes both triangles with
 * the same value). The evolutions are explicit Euler steps, the same scheme as the SDE they
 * accompany. Factorising costs O(d³) per call: a Cholesky factorisation when Σ is positive
 * definite, otherwise a symmetric eigendecomposition (GSL) with the negative eigenvalues clamped
 * to 0 — which is the `sigma_clamped` count of the SME results. For d = 100 that is ~10⁶ flops
 * per substep and path, which is why the high-dimensional presets default to Σ = C(X).
 */
#ifndef ASGD_SIGMA_H
#define ASGD_SIGMA_H

#include <stddef.h>

#include "asgd/problem.h"

/* Workspace for asgd_sigma_factor(); one per thread (or per path). */
typedef struct asgd_sigma_factorizer {
	size_t d;
	double *a;		/* d*d copy being factorised */
	void *eig;		/* GSL eigen workspace, its vectors and values; allocated on first use */
} asgd_sigma_factorizer;

/* asgd_sigma_factorizer_init - a workspace for d×d matrices. Returns 0, ASGD_EINVAL or ASGD_ENOMEM. */
int asgd_sigma_factorizer_init(asgd_sigma_factorizer *f, size_t d);

/* asgd_sigma_factorizer_free - release the workspace; NULL and double free are harmless. */
void asgd_sigma_factorizer_free(asgd_sigma_factorizer *f);

/*
 * asgd_sigma_factor - a factor L (d*d, row-major) with L Lᵀ = Σ⁺, the positive part of @sigma.
 * @clamped: set to 1 when Σ had an eigenvalue below −10⁻¹² · max|Σ_ii| (its negative part was
 *           dropped), else 0. Eigenvalues that small are rounding, not indefiniteness.
 * Returns 0 or ASGD_ENOMEM (the eigen workspace is allocated on the first indefinite or singular Σ).
 */
int asgd_sigma_factor(asgd_sigma_factorizer *f, const double *sigma, double *L, int *clamped);

/*
 * asgd_sigma_gradients - ∇f(x) into @g and S(x) = (1/n) Σ_i ∇f_i∇f_iᵀ into @S (d*d; may be NULL),
 * with @gi (d doubles) as scratch.
 */
void asgd_sigma_gradients(const asgd_problem *p, const double *x, double *g, double *S,
			  double *gi);

/*
 * asgd_sigma_evolve_step - one Euler step of (2.12) as printed, over @h:
 * Σ += h[−cΣ + cS + c(1−μ)/μ ggᵀ + (1/μ)(c³yyᵀ + c²(gyᵀ + ygᵀ))], g = ∇f(X), S = S(X). μ > 0.
 */
void asgd_sigma_evolve_step(double *sigma, size_t d, double h, double c, double mu,
			    const double *S, const double *g, const double *y);

/* asgd_sigma_continuum_step - one Euler step of the continuum limit dG = c(S(X) − G)dt over @h. */
void asgd_sigma_continuum_step(double *G, size_t d, double h, double c, const double *S);

/* asgd_sigma_continuum_value - Σ = G − c²yyᵀ into @sigma. */
void asgd_sigma_continuum_value(double *sigma, size_t d, const double *G, double c,
				const double *y);

/*
 * asgd_sigma_linear_step - one Euler step of (2.5)'s linear Σ evolution (re-derived from (5.2)):
 * Σ += h[−cΣ − μ(∇f(M)hᵀ + h∇f(M)ᵀ) − c∇f(M)∇f(M)ᵀ + μΔt hhᵀ + cS(M + μαP)],
 * with @gm = ∇f(M), @hp = ∇f(P) − ∇f(0), @S = S(M + μαP), @dt = Δt.
 */
void asgd_sigma_linear_step(double *sigma, size_t d, double h, double c, double mu, double dt,
			    const double *S, const double *gm, const double *hp);

#endif /* ASGD_SIGMA_H */
