/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/theory.h — closed forms for SME-ASGD on the 1-D quadratic f = a x²/2 with a constant
 * component-gradient variance Σ (docs/MODELS.md §3; the paper's Section 2, (5.4)–(5.6) and
 * Appendix B), and the discrete processes' exact stationary second moments to compare them with.
 *
 * What is here: the scales c, Δt, α, s²; the eigenvalues of A(μ,η) and B(μ,η); Appendix B's
 * stationary moments and its moment ODE solved in time by matrix exponentials; μ_opt and η_opt
 * (5.6); the temperatures of SME-ASGD and SME-MSGD and Proposition 1's parameter map; the
 * stationary E x² of discrete ASGD(μ, η) and MSGD(μ, η(1−μ)), the fixed points of the exact
 * moment recursions, which docs/ERRATA.md §6 and §7 compare with the continuous answers.
 *
 * All functions are pure: no allocation, no global state.
 */
#ifndef ASGD_THEORY_H
#define ASGD_THEORY_H

#include "asgd/problem.h"

/* The 1-D setting: f = a x²/2, component gradients a x − b_i with variance Σ = sigma2. */
typedef struct asgd_theory_params {
	double a;	/* curvature f'' > 0 */
	double sigma2;	/* Σ ≥ 0 */
	double eta;	/* step size η > 0 */
	double mu;	/* staleness μ in [0, 1) */
} asgd_theory_params;

/*
 * asgd_theory_check - 0 when every parameter is finite and in range (a > 0, Σ ≥ 0, η > 0,
 * 0 ≤ μ < 1), else ASGD_EINVAL (also for NULL).
 */
int asgd_theory_check(const asgd_theory_params *p);

/* The scales of SME-ASGD (docs/MODELS.md, notation). */
typedef struct asgd_theory_scales {
	double c;	/* friction √((1−μ)/η) */
	double dt;	/* time step √(η(1−μ)) */
	double alpha;	/* √(η/(1−μ)) = 1/c */
	double s2;	/* noise scale squared, η^{3/2}(1−μ)^{−1/2}, so that s²Δt = η² */
} asgd_theory_scales;

/* asgd_theory_scales_of - the scales for @p into @out. */
void asgd_theory_scales_of(const asgd_theory_params *p, asgd_theory_scales *out);

/* A complex eigenvalue. */
typedef struct asgd_theory_eig {
	double re, im;
} asgd_theory_eig;

/* asgd_theory_matrix_A - A(μ,η) = [[−c, −a], [1, 0]], row-major, acting on (E Y, E X). */
void asgd_theory_matrix_A(const asgd_theory_params *p, double A[4]);

/* asgd_theory_matrix_B - B(μ,η) of (5.5), row-major, acting on (E X², E Y², E XY). */
void asgd_theory_matrix_B(const asgd_theory_params *p, double B[9]);

/* asgd_theory_eig_A - (−c ± √(c² − 4a))/2: the "+" root first (the larger real part). */
void asgd_theory_eig_A(const asgd_theory_params *p, asgd_theory_eig out[2]);

/* asgd_theory_eig_B - −c, −c + √(c² − 4a), −c − √(c² − 4a) (Appendix B), in that order. */
void asgd_theory_eig_B(const asgd_theory_params *p, asgd_theory_eig out[3]);

/* Stationary moments of SME-ASGD (2.11) with constant Σ (Appendix B) and of the read M of (2.5). */
typedef struct asgd_theory_stationary {
	double ex2;	/* E X² = Ση²/(2(1−μ)) + Ση/(2a) */
	double ey2;	/* E Y² = aΣη²/(2(1−μ)) */
	double exy;	/* E XY = −Ση^{3/2}/(2√(1−μ)) */
	double em2;	/* E M² = Ση/(2a) (Proposition 1's common law) */
	double ep2;	/* E P² = Ση/2 */
} asgd_theory_stationary;

/* asgd_theory_stationary_of - the stationary moments for @p into @out. */
void asgd_theory_stationary_of(const asgd_theory_params *p, asgd_theory_stationary *out);

/* asgd_theory_mu_opt - (5.6): max(1 − 4aη, 0), the μ of the fastest decay of E X². */
double asgd_theory_mu_opt(double a, double eta);

/* asgd_theory_eta_opt - (1−μ)/(4a), the largest η without oscillation for a given μ. */
double asgd_theory_eta_opt(double a, double mu);

/* asgd_theory_temp_sme_asgd - SME-ASGD's temperature β⁻¹ = Ση/2. */
double asgd_theory_temp_sme_asgd(double sigma2, double eta);

/* asgd_theory_temp_sme_msgd - SME-MSGD's temperature β'⁻¹ = Ση'/(2(1−μ')). */
double asgd_theory_temp_sme_msgd(double sigma2, double eta_m, double mu_m);

/* asgd_theory_prop1 - Proposition 1's MSGD parameters for ASGD(μ, η): μ' = μ, η' = η(1−μ). */
void asgd_theory_prop1(double eta, double mu, double *eta_m, double *mu_m);

/*
 * asgd_theory_discrete_asgd_ex2 - the stationary E x² of discrete ASGD (2.1) with staleness μ and
 * step η on components ∇f_i = a x − b_i, b_i = ±√Σ (equal halves): the fixed point of the exact
 * moment recursion of docs/MODELS.md §4, by solving its 4×4 linear system. Returns 0;
 * ASGD_EINVAL for bad parameters; ASGD_EDIVERGED when the recursion is unstable (its spectral
 * radius is ≥ 1, so no stationary law is reached; *ex2 is still the fixed point, or NAN).
 */
int asgd_theory_discrete_asgd_ex2(const asgd_theory_params *p, double *ex2);

/*
 * asgd_theory_discrete_msgd_ex2 - the stationary E x² of discrete MSGD (2.6) with momentum
 * @p->mu and step @p->eta (pass Proposition 1's μ', η' to compare with ASGD) on the same
 * components. Returns as asgd_theory_discrete_asgd_ex2 (3×3 system).
 */
int asgd_theory_discrete_msgd_ex2(const asgd_theory_params *p, double *ex2);

/* Moments of Appendix B's SME-ASGD with constant Σ at one time. */
typedef struct asgd_theory_state {
	double ex, ey;		/* E X, E Y */
	double ex2, ey2, exy;	/* E X², E Y², E XY */
} asgd_theory_state;

/*
 * asgd_theory_initial - the deterministic start X_0 = @x0, Y_0 = −α a x0 (2.11).
 */
void asgd_theory_initial(const asgd_theory_params *p, double x0, asgd_theory_state *out);

/*
 * asgd_theory_evolve - the solution of Appendix B's moment equations at time @t ≥ 0 from @init:
 * (E Y, E X)(t) = e^{At}(E Y, E X)(0) and z(t) = z∞ + e^{Bt}(z(0) − z∞) for z = (E X², E Y², E XY),
 * z∞ the stationary moments. Returns 0, or ASGD_EINVAL (bad parameters, t < 0 or not finite).
 */
int asgd_theory_evolve(const asgd_theory_params *p, const asgd_theory_state *init, double t,
		       asgd_theory_state *out);

/*
 * asgd_theory_expm - e^{@M} for an n×n row-major @M, n ≤ 4, by scaling and squaring of a Taylor
 * series (relative error ~1e-15 for the well-scaled matrices here). Returns 0 or ASGD_EINVAL.
 */
int asgd_theory_expm(const double *M, int n, double *out);

/*
 * asgd_theory_from_problem - the 1-D quadratic model of a preset: a = f''(x*) and Σ = C(x*) at the
 * minimizer x* (fig4: a = 2, Σ = 4, x* = 0; fig8: a = 1, Σ = the variance of the c_i). Returns 0;
 * ASGD_EINVAL for NULL; ASGD_ENOTFOUND when @p is not a 1-D problem with affine gradients and
 * a > 0.
 */
int asgd_theory_from_problem(const asgd_problem *p, double *a, double *sigma2, double *xstar);

#endif /* ASGD_THEORY_H */
