/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/advise.h — what `asgd advise` computes between measuring the staleness μ̂ of a real run
 * and running its recommendation: the curvature a and noise Σ of a problem near its minimizer,
 * the total momentum of a setting, and a recommended explicit momentum β (or step η).
 *
 * The model. Under the paper's Assumption 1 (τ_k i.i.d. geometric with parameter μ) and
 * explicit momentum β at the master, v_{k+1} = βv_k − η g_k, x_{k+1} = x_k + v_{k+1}, take
 * expectations on a quadratic with curvature a (x* = 0) — the idea of Mitliagkas et al.'s
 * Theorem 3 (the paper's [16]), which does this for β = 0 and finds the momentum μ. The expected
 * read G_k = Σ_l (1−μ)μ^l x_{k−l} obeys G_k = (1−μ)x_k + μG_{k−1}, so
 * the updates Δ_k = x_{k+1} − x_k obey, exactly,
 *
 *     Δ_k = (β + μ)Δ_{k−1} − βμ Δ_{k−2} − η(1−μ) a x_k.
 *
 * Its momentum coefficients sum to β + μ − βμ = 1 − (1−β)(1−μ): asynchrony and explicit momentum
 * compose multiplicatively in the friction 1 − μ_tot,
 *
 *     μ_tot = 1 − (1 − μ)(1 − β),
 *
 * which reduces to Proposition 1's μ' = μ at β = 0 and to β without staleness. The recommendation
 * then asks (5.6) for the total: keep η and M, and choose β so that μ_tot = μ_opt = max(1 − 4aη, 0),
 * i.e. β = 1 − (1 − μ_opt)/(1 − μ̂) — negative when asynchrony alone already exceeds μ_opt, as
 * Mitliagkas et al. suggest; or keep β and take η_opt = (1 − μ_tot)/(4a).
 *
 * That rule is a first-order reading of the recursion (it ignores the "mass" 1 − βμ of the
 * second difference and the third mode of the staleness filter), so this module also gives the
 * recursion's own answer: its characteristic polynomial
 *
 *     p(z) = (z − 1)(z − β)(z − μ) + ηa(1 − μ) z²
 *
 * has spectral radius ρ, the factor by which E x_k contracts per iteration, and the β that
 * minimises ρ. Where the closed-form β is unusable (outside (−1, 1), or ρ ≥ 1) the recommendation
 * falls back to that minimiser. Without staleness (μ = 0) the minimiser is Polyak's heavy-ball
 * β* = (1 − √(ηa))² with ρ* = 1 − √(ηa) (tested).
 *
 * All functions are pure except asgd_advise_local_of, which evaluates the problem's gradients;
 * no global state.
 */
#ifndef ASGD_ADVISE_H
#define ASGD_ADVISE_H

#include <stddef.h>

#include "asgd/problem.h"

/* The largest |β| the model's search tries: β ∈ [−ASGD_ADVISE_BETA_MAX, ASGD_ADVISE_BETA_MAX]. */
#define ASGD_ADVISE_BETA_MAX 0.999

/* Where the curvature a comes from. */
typedef enum asgd_advise_curvature {
	ASGD_ADVISE_CURV_HESSIAN = 0,	/* the Hessian of f at x* (finite differences of ∇f) */
	ASGD_ADVISE_CURV_REGULARISER,	/* the hinge loss: the regulariser's λ (see below) */
} asgd_advise_curvature;

/* asgd_advise_curvature_name - "hessian" or "regulariser". */
const char *asgd_advise_curvature_name(asgd_advise_curvature c);

/* Curvature and noise near a minimizer x*. */
typedef struct asgd_advise_local {
	double a;		/* 1-D: f''(x*); d > 1: the largest eigenvalue of the Hessian at x*;
				   the hinge loss: λ */
	asgd_advise_curvature source;	/* where a comes from */
	double sigma2;		/* 1-D: C(x*); d > 1: trace(C(x*))/d, the mean variance per coordinate */
	double trace_c;		/* trace(C(x*)) */
	double step;		/* the finite-difference step h used */
	unsigned power_iters;	/* power iterations (0 in 1-D) */
	int converged;		/* the power iteration met its tolerance (always 1 in 1-D) */
} asgd_advise_local;

/*
 * asgd_advise_local_of - a and Σ of @p near @xstar (dim values, a minimizer).
 *
 * 1-D: a = (∇f(x* + h) − ∇f(x* − h))/(2h), the central difference, and Σ = C(x*) by
 * asgd_problem_covariance. d > 1: a = the largest Hessian eigenvalue, by power iteration on the
 * central-difference Hessian-vector products Hv ≈ (∇f(x* + hv) − ∇f(x* − hv))/(2h) (Rayleigh
 * quotient, from a fixed pseudo-random start, until it changes by less than 1e-10 relatively, at
 * most 10000 steps), and Σ = trace(C(x*))/d, computed from the component gradients directly so
 * that no d×d matrix is formed. The stiffest direction is the one (5.6) must not let oscillate;
 * Σ per coordinate is what the 1-D formulas take. h = 1e-4·max(1, |x*|∞): exact up to rounding
 * for quadratics, O(h²) otherwise.
 * The hinge loss (a data model, asgd/datamodel.h): its loss part is piecewise linear, so its
 * Hessian is 0 almost everywhere, and at the optimum the margins of the support vectors sit on
 * the kinks, where a difference of subgradients measures the jump, not a curvature. The only
 * curvature there is the regulariser's, (λ/2)‖x‖² on the stored features: a = λ (source
 * ASGD_ADVISE_CURV_REGULARISER), with no Hessian-vector product; Σ as above, from subgradients.
 * Returns 0; ASGD_EINVAL for NULL arguments; ASGD_ENOMEM; ASGD_ENOTFOUND when the curvature is
 * not positive (x* is not a strict minimum; the hinge loss with λ = 0) or not finite.
 */
int asgd_advise_local_of(const asgd_problem *p, const double *xstar, asgd_advise_local *out);

/*
 * asgd_advise_noise_curvature - the noise-weighted mean curvature at @xstar,
 *
 *     a_C = trace(H C) / trace(C) = Σ_j λ_j c_j / Σ_j c_j   (c_j: C's weight on H's eigenvector j),
 *
 * by central-difference Hessian-vector products on the centred component gradients
 * g_i − ∇f(x*), each of whose quadratic forms is (g_i − ∇f)ᵀH(g_i − ∇f); all n of them, or every
 * ⌈n/4096⌉-th for larger n. Why this curvature: on a quadratic each eigendirection's share of
 * the loss gap relaxes at its own rate ∝ λ_j towards a floor ∝ η c_j that does not depend on
 * λ_j, so the rate at which the noise floor of the loss follows a change of batch is the c-weighted
 * mean of the λ_j (docs/MODELS.md §6, "On data"). @h: the difference step (asgd_advise_local's).
 * Returns 0 with *@out; ASGD_EINVAL for NULL; ASGD_ENOMEM; ASGD_ENOTFOUND when C(x*) = 0 or the
 * result is not positive and finite.
 */
int asgd_advise_noise_curvature(const asgd_problem *p, const double *xstar, double h,
				double *out);

/* asgd_advise_total_momentum - μ_tot = 1 − (1 − @mu)(1 − @beta). */
double asgd_advise_total_momentum(double mu, double beta);

/*
 * asgd_advise_rho - the spectral radius of p(z) = (z − 1)(z − β)(z − μ) + ηa(1 − μ)z², the
 * contraction per iteration of E(x_k − x*) for step @eta, staleness @mu in [0, 1), explicit
 * momentum @beta and curvature @a > 0. NAN for parameters out of range.
 */
double asgd_advise_rho(double a, double eta, double mu, double beta);

/*
 * asgd_advise_best_beta - the β in [−ASGD_ADVISE_BETA_MAX, ASGD_ADVISE_BETA_MAX] that minimises
 * asgd_advise_rho (a grid of step 5e-4, then one of step 1e-6 about the best point: ρ has kinks
 * where roots merge, so no derivative is used). *@rho, if not NULL, receives its ρ. NAN for
 * parameters out of range.
 */
double asgd_advise_best_beta(double a, double eta, double mu, double *rho);

/* How the recommended β was chosen. */
typedef enum asgd_advise_rule {
	ASGD_ADVISE_CLOSED_FORM = 0,	/* β = 1 − (1 − μ_opt)/(1 − μ̂) */
	ASGD_ADVISE_MODEL_OPTIMUM = 1,	/* the closed form was unusable: the minimiser of ρ */
} asgd_advise_rule;

/* asgd_advise_rule_name - "closed-form" or "model-optimum". */
const char *asgd_advise_rule_name(asgd_advise_rule r);

/* The recommendation for one measured setting. */
typedef struct asgd_advise_rec {
	double mu_tot;		/* total momentum of the current setting, 1 − (1 − μ̂)(1 − β) */
	double mu_opt;		/* max(1 − 4aη, 0) at the current η (5.6) */
	double eta_opt;		/* (1 − μ_tot)/(4a): the alternative, keeping β (5.6) */
	double beta_formula;	/* 1 − (1 − μ_opt)/(1 − μ̂), whether usable or not */
	double beta_rec;	/* the recommended explicit momentum, in (−1, 1) */
	asgd_advise_rule rule;
	double mu_tot_rec;	/* total momentum of the recommendation (= μ_opt by the closed form) */
	double rho_current;	/* ρ of (η, μ̂, β) */
	double rho_rec;		/* ρ of (η, μ̂, β_rec) */
	double rho_eta_opt;	/* ρ of (η_opt, μ̂, β) */
	double beta_best;	/* the minimiser of ρ at (η, μ̂) */
	double rho_best;
} asgd_advise_rec;

/*
 * asgd_advise_recommend - the recommendation for curvature @a > 0, the current step @eta > 0 and
 * explicit momentum @beta in (−1, 1), and the measured staleness @mu_hat in [0, 1).
 * Returns 0, or ASGD_EINVAL (NULL @out, or a parameter out of range or not finite).
 */
int asgd_advise_recommend(double a, double eta, double beta, double mu_hat, asgd_advise_rec *out);

/*
 * asgd_advise_noise_floor - the leading-order stationary E(x − x*)² in 1-D, Ση/(2a(1 − β)): the
 * update recursion passes a constant force with gain η/(1 − β) whatever μ (its DC gain), so the
 * staleness enters only at O(η²) (Appendix B's Ση²/(2(1 − μ)) at β = 0), and a positive β raises
 * the floor that a negative one lowers. NAN for parameters out of range.
 */
double asgd_advise_noise_floor(double a, double sigma2, double eta, double beta);

#endif /* ASGD_ADVISE_H */
