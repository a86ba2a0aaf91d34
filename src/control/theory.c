/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * theory.c — closed forms for the 1-D quadratic f = a x²/2 with constant Σ (docs/MODELS.md §3):
 * SME-ASGD's scales, the spectra of A(μ,η) and B(μ,η), Appendix B's stationary and time-dependent
 * moments, (5.6), the temperatures of Proposition 1, and the discrete processes' exact stationary
 * E x², so that the continuous predictions can be held against the algorithms they model.
 */
#include "asgd/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "core/linalg_internal.h"

int asgd_theory_check(const asgd_theory_params *p)
{
	if (!p || !(p->a > 0) || !isfinite(p->a) || !(p->sigma2 >= 0) || !isfinite(p->sigma2) ||
	    !(p->eta > 0) || !isfinite(p->eta) || !(p->mu >= 0 && p->mu < 1))
		return ASGD_EINVAL;
	return ASGD_OK;
}

void asgd_theory_scales_of(const asgd_theory_params *p, asgd_theory_scales *out)
{
	double e = p->eta, m = 1 - p->mu;

	out->c = sqrt(m / e);
	out->dt = sqrt(e * m);
	out->alpha = sqrt(e / m);
	out->s2 = pow(e, 1.5) / sqrt(m);
}

void asgd_theory_matrix_A(const asgd_theory_params *p, double A[4])
{
	double c = sqrt((1 - p->mu) / p->eta);

	A[0] = -c; A[1] = -p->a;
	A[2] = 1;  A[3] = 0;
}

void asgd_theory_matrix_B(const asgd_theory_params *p, double B[9])
{
	double c = sqrt((1 - p->mu) / p->eta);

	/* (5.5) */
	B[0] = 0;     B[1] = 0;      B[2] = 2;
	B[3] = 0;     B[4] = -2 * c; B[5] = -2 * p->a;
	B[6] = -p->a; B[7] = 1;      B[8] = -c;
}

/* √(c² − 4a) as a complex number (re, im), the discriminant both spectra share. */
static asgd_theory_eig discriminant_root(const asgd_theory_params *p)
{
	double c2 = (1 - p->mu) / p->eta, disc = c2 - 4 * p->a;

	return disc >= 0 ? (asgd_theory_eig){ sqrt(disc), 0 } : (asgd_theory_eig){ 0, sqrt(-disc) };
}

void asgd_theory_eig_A(const asgd_theory_params *p, asgd_theory_eig out[2])
{
	double c = sqrt((1 - p->mu) / p->eta);
	asgd_theory_eig r = discriminant_root(p);

	out[0] = (asgd_theory_eig){ (-c + r.re) / 2, r.im / 2 };
	out[1] = (asgd_theory_eig){ (-c - r.re) / 2, r.im > 0 ? -r.im / 2 : 0 };
}

void asgd_theory_eig_B(const asgd_theory_params *p, asgd_theory_eig out[3])
{
	double c = sqrt((1 - p->mu) / p->eta);
	asgd_theory_eig r = discriminant_root(p);

	/* The sums of pairs of A's eigenvalues: λ₊+λ₋, 2λ₊, 2λ₋. */
	out[0] = (asgd_theory_eig){ -c, 0 };
	out[1] = (asgd_theory_eig){ -c + r.re, r.im };
	out[2] = (asgd_theory_eig){ -c - r.re, r.im > 0 ? -r.im : 0 };
}

void asgd_theory_stationary_of(const asgd_theory_params *p, asgd_theory_stationary *out)
{
	double S = p->sigma2, e = p->eta, m = 1 - p->mu, a = p->a;

	/* Appendix B, re-derived: the right-hand side of (5.5) vanishes. */
	out->exy = -S * pow(e, 1.5) / (2 * sqrt(m));
	out->ey2 = a * S * e * e / (2 * m);
	out->ex2 = S * e * e / (2 * m) + S * e / (2 * a);
	/* (2.5) with constant Σ: Gibbs law ∝ exp(−β(p²/2 + f(m))), β⁻¹ = Ση/2 */
	out->em2 = S * e / (2 * a);
	out->ep2 = S * e / 2;
}

double asgd_theory_mu_opt(double a, double eta)
{
	double m = 1 - 4 * a * eta;

	return m > 0 ? m : 0;	/* (5.6) */
}

double asgd_theory_eta_opt(double a, double mu)
{
	return (1 - mu) / (4 * a);
}

double asgd_theory_temp_sme_asgd(double sigma2, double eta)
{
	return sigma2 * eta / 2;
}

double asgd_theory_temp_sme_msgd(double sigma2, double eta_m, double mu_m)
{
	return sigma2 * eta_m / (2 * (1 - mu_m));
}

void asgd_theory_prop1(double eta, double mu, double *eta_m, double *mu_m)
{
	*mu_m = mu;
	*eta_m = eta * (1 - mu);
}

/* ---------------------------------------------------------------------------------------------
 * Discrete stationary second moments: fixed points of affine maps z ↦ Mz + k, n ≤ 4
 */

/* Solves L x = r (n×n, row-major, destroyed) by elimination with partial pivoting. */
static int solve_small(double *L, double *r, int n, double *x)
{
	for (int col = 0; col < n; col++) {
		int piv = col;

		for (int i = col + 1; i < n; i++)
			if (fabs(L[i * n + col]) > fabs(L[piv * n + col]))
				piv = i;
		if (!(fabs(L[piv * n + col]) > 0))
			return ASGD_EINVAL;
		if (piv != col) {
			double t = r[col];

			r[col] = r[piv];
			r[piv] = t;
			for (int j = 0; j < n; j++) {
				t = L[col * n + j];
				L[col * n + j] = L[piv * n + j];
				L[piv * n + j] = t;
			}
		}
		for (int i = col + 1; i < n; i++) {
			double f = L[i * n + col] / L[col * n + col];

			for (int j = col; j < n; j++)
				L[i * n + j] -= f * L[col * n + j];
			r[i] -= f * r[col];
		}
	}
	for (int i = n - 1; i >= 0; i--) {
		double s = r[i];

		for (int j = i + 1; j < n; j++)
			s -= L[i * n + j] * x[j];
		x[i] = s / L[i * n + i];
	}
	return ASGD_OK;
}

static double max_abs(const double *X, int n)
{
	double m = 0;

	for (int i = 0; i < n * n; i++)
		m = fmax(m, fabs(X[i]));
	return m;
}

/*
 * log ρ(M) from ‖M^{2^j}‖^{1/2^j} after 48 normalised squarings: far past any polynomial factor
 * of a defective eigenvalue, and without an eigen-solver that could abort the process.
 */
static double log_spectral_radius(const double *M, int n)
{
	double X[16], Y[16], logscale = 0, w = 1;

	memcpy(X, M, (size_t)(n * n) * sizeof(double));
	for (int j = 0; j < 48; j++) {
		double s = max_abs(X, n);

		if (!(s > 0))
			return -INFINITY;
		for (int i = 0; i < n * n; i++)
			X[i] /= s;
		/* invariant: M^{2^j} = exp(2^j·logscale)·X, so logscale → log ρ */
		logscale += w * log(s);
		asgd__matmul(X, X, Y, (size_t)n);
		memcpy(X, Y, (size_t)(n * n) * sizeof(double));
		w /= 2;
	}
	return logscale + w * log(max_abs(X, n));
}

/* The fixed point of z ↦ M z + k and whether the map contracts. */
static int affine_fixed_point(const double *M, const double *k, int n, double *z)
{
	double L[16], r[4];

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++)
			L[i * n + j] = (i == j) - M[i * n + j];
		r[i] = k[i];
	}
	if (solve_small(L, r, n, z) != ASGD_OK) {
		for (int i = 0; i < n; i++)
			z[i] = NAN;
		return ASGD_EDIVERGED;
	}
	return log_spectral_radius(M, n) < 0 ? ASGD_OK : ASGD_EDIVERGED;
}

/*
 * One step of the ASGD recursion (§4) in 1-D with mean 0 (b̄ = 0): z = (P, Q, R, D),
 * N = a²D + Σ, T = Q − ηaR, P' = P − 2ηaQ + η²N, Q' = (1−μ)P' + μT,
 * R' = (1−μ)²P' + 2(1−μ)μT + μ²R, D' = (1−μ)P' + μD.
 */
static void asgd_moment_step(const asgd_theory_params *p, double S, const double *z, double *o)
{
	double a = p->a, e = p->eta, mu = p->mu, w = 1 - mu;
	double P = z[0], Q = z[1], R = z[2], D = z[3];
	double T = Q - e * a * R, P1 = P - 2 * e * a * Q + e * e * (a * a * D + S);

	o[0] = P1;
	o[1] = w * P1 + mu * T;
	o[2] = w * w * P1 + 2 * w * mu * T + mu * mu * R;
	o[3] = w * P1 + mu * D;
}

/*
 * One step of MSGD's moment recursion in 1-D with mean 0: z = (XX, XV, VV),
 * xv = μXV − ηa XX, VV' = μ²VV − 2μηa XV + η²(a²XX + Σ), XV' = xv + VV', XX' = XX + 2xv + VV'.
 */
static void msgd_moment_step(const asgd_theory_params *p, double S, const double *z, double *o)
{
	double a = p->a, e = p->eta, mu = p->mu;
	double xv = mu * z[1] - e * a * z[0];
	double vv = mu * mu * z[2] - 2 * mu * e * a * z[1] + e * e * (a * a * z[0] + S);

	o[0] = z[0] + 2 * xv + vv;
	o[1] = xv + vv;
	o[2] = vv;
}

typedef void (*moment_step_fn)(const asgd_theory_params *p, double S, const double *z, double *o);

/* M and k of an affine moment step, read off by applying it to 0 and to the unit vectors. */
static int stationary_of_step(const asgd_theory_params *p, moment_step_fn step, int n, double *x2)
{
	double M[16], k[4], z[4], e[4], o[4];
	int rc;

	if (asgd_theory_check(p) != ASGD_OK || !x2)
		return ASGD_EINVAL;
	memset(e, 0, sizeof(e));
	step(p, p->sigma2, e, k);
	for (int j = 0; j < n; j++) {
		e[j] = 1;
		step(p, 0, e, o);
		for (int i = 0; i < n; i++)
			M[i * n + j] = o[i];
		e[j] = 0;
	}
	rc = affine_fixed_point(M, k, n, z);
	*x2 = z[0];
	return rc;
}

int asgd_theory_discrete_asgd_ex2(const asgd_theory_params *p, double *ex2)
{
	return stationary_of_step(p, asgd_moment_step, 4, ex2);
}

int asgd_theory_discrete_msgd_ex2(const asgd_theory_params *p, double *ex2)
{
	return stationary_of_step(p, msgd_moment_step, 3, ex2);
}

/* ---------------------------------------------------------------------------------------------
 * Appendix B in time
 */

int asgd_theory_expm(const double *M, int n, double *out)
{
	double X[16], term[16], tmp[16], norm = 0;
	int s = 0;

	if (!M || !out || n < 1 || n > 4)
		return ASGD_EINVAL;
	for (int i = 0; i < n; i++) {
		double row = 0;

		for (int j = 0; j < n; j++)
			row += fabs(M[i * n + j]);
		norm = fmax(norm, row);
	}
	if (!isfinite(norm))
		return ASGD_EINVAL;
	/* Scale to norm ≤ 1/2: 20 Taylor terms then leave < 1e-20 relative. */
	while (norm > 0.5) {
		norm /= 2;
		s++;
	}
	for (int i = 0; i < n * n; i++)
		X[i] = M[i] / ldexp(1.0, s);
	for (int i = 0; i < n * n; i++)
		out[i] = term[i] = (i % (n + 1) == 0);
	for (int k = 1; k <= 20; k++) {
		asgd__matmul(term, X, tmp, (size_t)n);
		for (int i = 0; i < n * n; i++) {
			term[i] = tmp[i] / k;
			out[i] += term[i];
		}
	}
	for (; s > 0; s--) {
		asgd__matmul(out, out, tmp, (size_t)n);
		memcpy(out, tmp, (size_t)(n * n) * sizeof(double));
	}
	return ASGD_OK;
}

void asgd_theory_initial(const asgd_theory_params *p, double x0, asgd_theory_state *out)
{
	double y0 = -sqrt(p->eta / (1 - p->mu)) * p->a * x0;	/* Y_0 = −α∇f(x_0) */

	*out = (asgd_theory_state){ x0, y0, x0 * x0, y0 * y0, x0 * y0 };
}

int asgd_theory_evolve(const asgd_theory_params *p, const asgd_theory_state *init, double t,
		       asgd_theory_state *out)
{
	double A[4], B[9], eA[4], eB[9], dz[3];
	asgd_theory_stationary st;

	if (asgd_theory_check(p) != ASGD_OK || !init || !out || !(t >= 0) || !isfinite(t))
		return ASGD_EINVAL;
	asgd_theory_matrix_A(p, A);
	asgd_theory_matrix_B(p, B);
	for (int i = 0; i < 4; i++)
		A[i] *= t;
	for (int i = 0; i < 9; i++)
		B[i] *= t;
	if (asgd_theory_expm(A, 2, eA) || asgd_theory_expm(B, 3, eB))
		return ASGD_EINVAL;
	asgd_theory_stationary_of(p, &st);
	dz[0] = init->ex2 - st.ex2;
	dz[1] = init->ey2 - st.ey2;
	dz[2] = init->exy - st.exy;
	out->ey = eA[0] * init->ey + eA[1] * init->ex;
	out->ex = eA[2] * init->ey + eA[3] * init->ex;
	out->ex2 = st.ex2 + eB[0] * dz[0] + eB[1] * dz[1] + eB[2] * dz[2];
	out->ey2 = st.ey2 + eB[3] * dz[0] + eB[4] * dz[1] + eB[5] * dz[2];
	out->exy = st.exy + eB[6] * dz[0] + eB[7] * dz[1] + eB[8] * dz[2];
	return ASGD_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Presets
 */

int asgd_theory_from_problem(const asgd_problem *p, double *a, double *sigma2, double *xstar)
{
	size_t n;
	double *A, *b, abar = 0, bbar = 0, x, var = 0, g = 0;
	int rc, common = 1;

	if (!p || !a || !sigma2 || !xstar)
		return ASGD_EINVAL;
	if (asgd_problem_dim(p) != 1)
		return ASGD_ENOTFOUND;
	n = asgd_problem_components(p);
	A = malloc(n * sizeof(*A));
	b = malloc(n * sizeof(*b));
	if (!A || !b) {
		free(A);
		free(b);
		return ASGD_ENOMEM;
	}
	rc = asgd_problem_quadratic_parts(p, A, b);
	for (size_t i = 0; rc == ASGD_OK && i < n; i++) {
		abar += A[i] / (double)n;
		bbar += b[i] / (double)n;
		common = common && A[i] == A[0];
	}
	if (rc == ASGD_OK && common)
		abar = A[0];	/* exactly, not a rounded mean of n copies */
	if (rc == ASGD_OK && !(abar > 0))
		rc = ASGD_ENOTFOUND;
	if (rc == ASGD_OK) {
		x = bbar / abar;
		/* C(x*) in two passes: the mean gradient, then the centred spread. */
		for (size_t i = 0; i < n; i++)
			g += (A[i] * x - b[i]) / (double)n;
		for (size_t i = 0; i < n; i++) {
			double u = A[i] * x - b[i] - g;

			var += u * u / (double)n;
		}
		*a = abar;
		*sigma2 = var;
		*xstar = x;
	}
	free(A);
	free(b);
	return rc;
}
