/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sme_exact.c — every Σ(t) choice of every SME's Monte Carlo ensemble (asgd_sme_run) against
 * the exact first and second moments of its moment ODE (asgd_exact_run), in the 1-D scalar loops
 * (sme_scalar.c) and in the vector loop (sme_vector.c, d = 2).
 *
 * Why: the evolving Σ choices are otherwise checked only against each other — the scalar loop
 * against the vector loop (test_sme.c), sme-asgd-mixture against sme-asgd (test_mixture_sme.c) —
 * and the closed forms of test_sme.c cover constant Σ alone, so a term dropped from (2.12) in
 * both loops went unnoticed. μ = 0.3 is where every term of (2.12) weighs: its factors 1/μ are 3.3 and
 * c(1−μ)/μ ∇f∇fᵀ is 2.3c∇f∇fᵀ (0.11c∇f∇fᵀ at μ = 0.9). μ = 0.9 is checked as well, where the
 * friction of SME-ASGD, c = √((1−μ)/η), is 3.2 times SME-MSGD's (1−μ)/√η.
 *
 * The problems. fig8 (d = 1, n = 100): its component covariance C = 0.021 is small beside
 * ∇f∇fᵀ = 1.6 at x_0, so the evolving Σ choices are made of their gradient terms, and its mean
 * crosses 0 near k = 80 (at μ = 0.3), where E x² is the variance alone and its standard error
 * the smallest. quadratic:d=2,n=4 with η = 0.02: the same in d = 2, both means crossing 0 before
 * k = 100. Two hand-made problems whose A_i differ, so that C(x) changes along the path (700-fold
 * in 1-D): on every preset C is constant, `instant` and `constant` coincide, and S(x) is ∇f∇fᵀ
 * plus a constant. sme-asgd-mixture has no exact moments, but with one component it is (2.11)
 * (MODELS.md §5), so its loops are checked against SME-ASGD's.
 *
 * Tolerances. At rows k = 10, 20, …, 100, every coordinate, the Monte Carlo E x and E x² over N
 * paths must lie within Z standard errors (SE = sample sd/√N: asgd_moments_get's se_mean and
 * se_second) of the exact value corrected for the Euler–Maruyama bias, plus an allowance for
 * the part of that bias not known exactly:
 *
 * - Z = 4.5: there are 1.5·10³ comparisons and P(|N(0,1)| > 4.5) = 6.8e-6, so a correct
 *   integrator fails one with probability about 1% on a fresh seed. The seeds are fixed, so the
 *   outcome is deterministic anyway.
 * - The bias of the mean is known exactly. For affine gradients the drift is affine and the noise
 *   has mean zero whatever Σ is, so E x_k of the scheme is the scheme run without noise: explicit
 *   Euler on the mean ODE (em_mean(), written from MODELS.md §2, not from src/). At 4 substeps
 *   its gap to the exact mean is O(h), h = Δt/4, and up to 16 standard errors on fig8, whose noise
 *   is small. So the reference for E x is em_mean, and for E x² the exact variance plus em_mean².
 * - What remains is the scheme's bias in the variance, weak order 1 in h. Measured over every
 *   case here with 4·10⁵ paths at 1 and 2 substeps, (substeps × bias)/Var is at most 0.041 for
 *   SME-ASGD in both forms and SME-SGD, and 0.068 for SME-MSGD, whose slow mode moves further in
 *   one recorded step (about aη/(1−μ') against aη); it is the same at 1 and 2 substeps, i.e. the
 *   bias halves with h. The allowance is var_bias(model)/substeps·Var, var_bias about twice
 *   those (0.08, 0.15): at 4 substeps at most 2 SE where Var/SE is largest (3 for SME-MSGD).
 *
 * Every case logs its largest |MC − exact|/SE before and after the correction (--verbose).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/geomix.h"
#include "asgd/sme.h"

#define Z 4.5
#define MAXD 2
#define MAXK 100

/* How a case is run and where it is checked. */
struct plan {
	double eta, mu;
	uint64_t iters, paths;	/* iters <= MAXK */
	unsigned substeps;
	size_t every;		/* check rows every, 2·every, …, iters */
};

/* The largest |z| of a case, for the log: raw (MC − exact)/SE, then against the corrected
 * reference; and the largest allowance, in SE. */
struct worst {
	double raw_mean, raw_second, mean, second, allow;
};

static asgd_problem *preset(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "%s", spec);
	return p;
}

/* The SME clock of MODELS.md §2: √(η(1−μ)) for the SME-ASGDs, √η' for SME-MSGD, η for SME-SGD. */
static double time_step(asgd_model m, double eta, double mu)
{
	if (m == ASGD_MODEL_SME_MSGD)
		return sqrt(eta);
	if (m == ASGD_MODEL_SME_SGD)
		return eta;
	return sqrt(eta * (1 - mu));
}

/* Twice the largest (substeps × Euler–Maruyama bias of Var x)/Var measured (see the top). */
static double var_bias(asgd_model m)
{
	return m == ASGD_MODEL_SME_MSGD ? 0.15 : 0.08;
}

/*
 * E x_k of the Euler–Maruyama scheme for affine gradients: the scheme without its noise, from
 * MODELS.md §2. Second-order forms (U, V): U += hV, V += h(−∇f(U) − γV) with γ = √((1−μ)/η)
 * for the SME-ASGDs and (1−μ)/√η for SME-MSGD; V_0 = −α∇f(x_0) for (2.11), 0 otherwise; the
 * linear form reports U + αV. SME-SGD: X −= h(∇f + (η/2)A∇f), A∇f = ∇f(X + ∇f) − ∇f(X).
 */
static void em_mean(const asgd_problem *p, const double *x0, asgd_model m, const struct plan *pl,
		    double *out)
{
	const size_t d = asgd_problem_dim(p);
	const double eta = pl->eta, mu = pl->mu, al = sqrt(eta / (1 - mu));
	const double gam = m == ASGD_MODEL_SME_MSGD ? (1 - mu) / sqrt(eta) : sqrt((1 - mu) / eta);
	const double h = time_step(m, eta, mu) / pl->substeps;
	double u[MAXD], v[MAXD] = { 0 }, g[MAXD], t[MAXD], g2[MAXD];

	memcpy(u, x0, d * sizeof(double));
	asgd_problem_grad(p, u, g);
	for (size_t r = 0; m == ASGD_MODEL_SME_ASGD && r < d; r++)
		v[r] = -al * g[r];
	for (uint64_t k = 0; k <= pl->iters; k++) {
		for (unsigned j = 0; k > 0 && j < pl->substeps; j++) {
			asgd_problem_grad(p, u, g);
			if (m == ASGD_MODEL_SME_SGD) {
				for (size_t r = 0; r < d; r++)
					t[r] = u[r] + g[r];
				asgd_problem_grad(p, t, g2);
				for (size_t r = 0; r < d; r++)
					u[r] -= h * (g[r] + 0.5 * eta * (g2[r] - g[r]));
				continue;
			}
			for (size_t r = 0; r < d; r++) {
				u[r] += h * v[r];
				v[r] += h * (-g[r] - gam * v[r]);
			}
		}
		for (size_t r = 0; r < d; r++)
			out[k * d + r] = u[r] + (m == ASGD_MODEL_SME_ASGD_LINEAR ? al * v[r] : 0);
	}
}

/*
 * Row k, coordinate c: E x against the scheme's mean @em, E x² against the exact variance plus
 * em², the latter with the allowance @rel·Var; the z's into @w.
 */
static void check_point(const asgd_moment_row *row, double mean, double second, double em,
			double rel, const char *what, size_t k, size_t c, struct worst *w)
{
	const double var = second - mean * mean, ref2 = var + em * em, allow = rel * var;
	const double z1 = fabs(row->mean - em) / row->se_mean;
	const double z2 = (fabs(row->second - ref2) - allow) / row->se_second;

	cr_expect(z1 <= Z, "%s k=%zu c=%zu: E x %.8g vs exact %.8g + Euler bias %.3g (se %.3g): "
		  "%.2f SE", what, k, c, row->mean, mean, em - mean, row->se_mean, z1);
	cr_expect(z2 <= Z, "%s k=%zu c=%zu: E x^2 %.8g vs exact %.8g + Euler bias %.3g (se %.3g, "
		  "allowance %.3g): %.2f SE beyond the allowance", what, k, c, row->second, second,
		  ref2 - second, row->se_second, allow, z2);
	w->mean = fmax(w->mean, z1);
	w->second = fmax(w->second, fabs(row->second - ref2) / row->se_second);
	w->raw_mean = fmax(w->raw_mean, fabs(row->mean - mean) / row->se_mean);
	w->raw_second = fmax(w->raw_second, fabs(row->second - second) / row->se_second);
	w->allow = fmax(w->allow, allow / row->se_second);
}

/* Every checked (k, coordinate) of @r against @e, corrected by the scheme's mean @em. */
static struct worst compare(const asgd_sme_result *r, const asgd_exact_moments *e,
			    const double *em, double bias, const struct plan *pl, const char *what)
{
	const size_t d = e->dim;
	struct worst w = { 0, 0, 0, 0, 0 };

	for (size_t k = pl->every; k <= pl->iters; k += pl->every)
		for (size_t c = 0; c < d; c++) {
			const size_t i = k * d + c;
			asgd_moment_row row;

			cr_assert_eq(asgd_moments_get(&r->ens.moments, k, c, &row), ASGD_OK);
			check_point(&row, e->mean[i], e->second[i], em[i], bias / pl->substeps,
				    what, k, c, &w);
		}
	return w;
}

/*
 * One (model @m, Σ @s) on @p from @x0: the ensemble (the scalar loop in 1-D) against the exact
 * moments. With @mix, the ensemble is sme-asgd-mixture with that one-component law, and @m must be
 * SME-ASGD, whose exact moments it has.
 */
static void check(const asgd_problem *p, const double *x0, asgd_model m, asgd_sigma s,
		  const asgd_geomix *mix, const struct plan *pl, const char *label)
{
	const size_t d = asgd_problem_dim(p);
	asgd_sme_config cfg = { .model = mix ? ASGD_MODEL_SME_ASGD_MIXTURE : m, .sigma = s,
				.problem = p, .eta = pl->eta, .mu = pl->mu, .mixture = mix,
				.iters = pl->iters, .substeps = pl->substeps, .x0 = x0,
				.paths = pl->paths, .threads = 2, .seed = 11 };
	asgd_exact_config ec = { .model = m, .sigma = s, .problem = p, .eta = pl->eta,
				 .mu = pl->mu, .iters = pl->iters, .x0 = x0 };
	double em[(MAXK + 1) * MAXD];
	asgd_sme_result r;
	asgd_exact_moments e;
	struct worst w;
	char what[160];

	cr_assert(d <= MAXD && pl->iters <= MAXK);
	snprintf(what, sizeof(what), "%s %s/%s mu=%g", label, asgd_model_name(cfg.model),
		 asgd_sigma_name(s), pl->mu);
	cr_assert_eq(asgd_exact_run(&ec, &e), ASGD_OK, "%s", what);
	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK, "%s", what);
	cr_assert_eq(r.ens.paths_done, pl->paths);
	cr_assert_float_eq(r.dt, time_step(m, pl->eta, pl->mu), 1e-15, "%s", what);
	em_mean(p, x0, m, pl, em);
	w = compare(&r, &e, em, var_bias(m), pl, what);
	cr_log_info("%s: max |MC - exact|/SE %.2f (E x), %.2f (E x^2); against the Euler-corrected "
		    "exact %.2f, %.2f (allowance <= %.2f SE)", what, w.raw_mean, w.raw_second,
		    w.mean, w.second, w.allow);
	asgd_exact_moments_free(&e);
	asgd_sme_result_free(&r);
}

/*
 * Every (SME, Σ) that both asgd_sme_run and asgd_exact_run take — SME-ASGD's two forms only when
 * @asgd_only — and, unless @asgd_only, sme-asgd-mixture with one component of staleness μ.
 */
static void check_all(const asgd_problem *p, const double *x0, const struct plan *pl,
		      int asgd_only, const char *label)
{
	const asgd_geomix one = { .count = 1, .weight = { 1 }, .mu = { pl->mu } };

	for (int m = ASGD_MODEL_SME_ASGD; m <= ASGD_MODEL_SME_SGD; m++) {
		if (asgd_only && m != ASGD_MODEL_SME_ASGD && m != ASGD_MODEL_SME_ASGD_LINEAR)
			continue;
		for (int s = 0; s < ASGD_SIGMA_COUNT; s++)
			if (asgd_sme_sigma_allowed(m, s))
				check(p, x0, m, s, NULL, pl, label);
	}
	if (asgd_only)
		return;
	cr_assert(fabs(asgd_geomix_mu_bar(&one) - pl->mu) < 1e-12);
	for (int s = 0; s < ASGD_SIGMA_COUNT; s++)
		if (asgd_sme_sigma_allowed(ASGD_MODEL_SME_ASGD_MIXTURE, s))
			check(p, x0, ASGD_MODEL_SME_ASGD, s, &one, pl, label);
}

/* 1-D: fig8 at μ = 0.3, every SME and Σ choice, through the scalar loops. */
Test(sme_exact, scalar_loop_fig8_mu_0_3)
{
	asgd_problem *p = preset("fig8");
	const struct plan pl = { .eta = 0.02, .mu = 0.3, .iters = 100, .paths = 20000,
				 .substeps = 4, .every = 10 };

	check_all(p, asgd_problem_x0(p), &pl, 0, "fig8");
	asgd_problem_destroy(p);
}

/* 1-D at μ = 0.9, SME-ASGD in both forms: the friction's test. */
Test(sme_exact, scalar_loop_fig8_mu_0_9)
{
	asgd_problem *p = preset("fig8");
	const struct plan pl = { .eta = 0.02, .mu = 0.9, .iters = 100, .paths = 20000,
				 .substeps = 4, .every = 10 };

	check_all(p, asgd_problem_x0(p), &pl, 1, "fig8");
	asgd_problem_destroy(p);
}

/* d = 2 through the vector loop, every SME and Σ choice (an evolving Σ factored each substep). */
Test(sme_exact, vector_loop_quadratic_mu_0_3)
{
	asgd_problem *p = preset("quadratic:d=2,n=4");
	const struct plan pl = { .eta = 0.02, .mu = 0.3, .iters = 100, .paths = 10000,
				 .substeps = 4, .every = 10 };

	check_all(p, asgd_problem_x0(p), &pl, 0, "quadratic:d=2,n=4");
	asgd_problem_destroy(p);
}

/*
 * Components of different curvature, so that C(x) = Var(A)x² − 2Cov(A, b)x + Var(b) changes along
 * the path: 0.28 at x_0 = 1, 4e-4 at the minimizer −0.25; the scalar loop's affine C(x).
 */
Test(sme_exact, scalar_loop_state_dependent_covariance)
{
	static const double A[3] = { 0.5, 1.0, 1.5 }, b[3] = { -0.1, -0.25, -0.4 }, x0[1] = { 1 };
	const struct plan pl = { .eta = 0.02, .mu = 0.3, .iters = 100, .paths = 20000,
				 .substeps = 4, .every = 10 };
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create_quadratic(1, 3, A, b, NULL, &p), ASGD_OK);
	check_all(p, x0, &pl, 0, "curvature-1d");
	asgd_problem_destroy(p);
}

/* d = 2 with dense A_i that differ (test_exact.c's dense3): the full d×d Σ, S(x) and C(x). */
Test(sme_exact, vector_loop_dense_state_dependent_covariance)
{
	static const double A[3 * 4] = { 2.0, 0.5, 0.5, 1.0,   1.0, -0.3, -0.3, 2.5,
					 3.0, 0.2, 0.2, 0.6 };
	static const double b[3 * 2] = { 1.0, -0.5,   -2.0, 0.7,   0.4, 1.5 };
	static const double x0[2] = { 1.0, -0.8 };
	const struct plan pl = { .eta = 0.02, .mu = 0.3, .iters = 100, .paths = 10000,
				 .substeps = 4, .every = 10 };
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create_quadratic(2, 3, A, b, NULL, &p), ASGD_OK);
	check_all(p, x0, &pl, 1, "dense3");
	asgd_problem_destroy(p);
}
