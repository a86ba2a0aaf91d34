/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sme.c — the SDE ensembles: weak order 1 of Euler–Maruyama on an Ornstein–Uhlenbeck process,
 * moments of every model on Figure 4 against their linear moment ODEs (Appendix B), the 1-D scalar
 * loop against the vector loop, Σ clamps, thread-count independence, and the double well's basins.
 *
 * Tolerances: Monte Carlo estimates are compared with exact values within 4 standard errors
 * (se_mean, se_second of asgd_moments_get), so a correct integrator fails a given check with
 * probability < 1e-4; seeds are fixed, so the outcome is deterministic anyway.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/sme.h"

static asgd_problem *preset(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "%s", spec);
	return p;
}

static asgd_sme_config base(const asgd_problem *p, asgd_model m, asgd_sigma s, double eta,
			    double mu, uint64_t iters, unsigned substeps, uint64_t paths)
{
	return (asgd_sme_config){ .model = m, .sigma = s, .problem = p, .eta = eta, .mu = mu,
				  .iters = iters, .substeps = substeps, .paths = paths,
				  .threads = 2, .seed = 7 };
}

static asgd_moment_row row_at(const asgd_sme_result *r, size_t k, size_t c)
{
	asgd_moment_row row;

	cr_assert_eq(asgd_moments_get(&r->ens.moments, k, c, &row), ASGD_OK);
	return row;
}

/*
 * Linear moment ODEs of a damped oscillator with noise on one coordinate, integrated by RK4:
 * u = (E q, E v), w = (E q², E v², E qv) with dq = v dt (+ noise_q), dv = (−a q − γ v) dt (+ noise_v).
 * For SME-ASGD (2.11) in (X, Y): q = X, v = Y, noise on q with variance rate Σs² (Appendix B, (5.5)).
 * For SME-MSGD (2.7) in (X, P): noise on v with variance rate Ση'^½.
 */
struct osc {
	double a, gam, qn, vn;	/* qn, vn: the noise variance rates on q and on v */
};

static void osc_rhs(const struct osc *o, const double *s, double *ds)
{
	ds[0] = s[1];
	ds[1] = -o->a * s[0] - o->gam * s[1];
	ds[2] = 2 * s[4] + o->qn;
	ds[3] = -2 * o->a * s[4] - 2 * o->gam * s[3] + o->vn;
	ds[4] = s[3] - o->a * s[2] - o->gam * s[4];
}

/* Advance the state (E q, E v, E q², E v², E qv) over @t by 256 RK4 steps. */
static void osc_advance(const struct osc *o, double *s, double t)
{
	const int n = 256;
	const double h = t / n;
	double k1[5], k2[5], k3[5], k4[5], tmp[5];

	for (int i = 0; i < n; i++) {
		osc_rhs(o, s, k1);
		for (int j = 0; j < 5; j++)
			tmp[j] = s[j] + 0.5 * h * k1[j];
		osc_rhs(o, tmp, k2);
		for (int j = 0; j < 5; j++)
			tmp[j] = s[j] + 0.5 * h * k2[j];
		osc_rhs(o, tmp, k3);
		for (int j = 0; j < 5; j++)
			tmp[j] = s[j] + h * k3[j];
		osc_rhs(o, tmp, k4);
		for (int j = 0; j < 5; j++)
			s[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
	}
}

/* Compare E X, E X² at every @every-th row of @r with the ODE started from @s0. */
static void check_against_osc(const asgd_sme_result *r, const struct osc *o, const double *s0,
			      size_t coord, size_t iters, size_t every)
{
	double s[5];

	memcpy(s, s0, sizeof(s));
	for (size_t k = 0; k <= iters; k++) {
		if (k > 0)
			osc_advance(o, s, r->dt);
		if (k % every == 0 && k > 0) {
			asgd_moment_row row = row_at(r, k, coord);

			cr_expect(fabs(row.mean - s[0]) < 4 * row.se_mean,
				  "k=%zu coord %zu: E X %g vs exact %g (se %g)", k, coord, row.mean,
				  s[0], row.se_mean);
			cr_expect(fabs(row.second - s[2]) < 4 * row.se_second,
				  "k=%zu coord %zu: E X^2 %g vs exact %g (se %g)", k, coord,
				  row.second, s[2], row.se_second);
		}
	}
}

/* SME-ASGD on f = a x²/2 with constant Σ from x0: (E X, E Y, E X², E Y², E XY)(0). */
static struct osc asgd_osc(double a, double sigma, double eta, double mu, double x0, double *s0)
{
	const double c = sqrt((1 - mu) / eta), alpha = sqrt(eta / (1 - mu)), y0 = -alpha * a * x0;
	const double s2 = pow(eta, 1.5) / sqrt(1 - mu);

	s0[0] = x0;
	s0[1] = y0;
	s0[2] = x0 * x0;
	s0[3] = y0 * y0;
	s0[4] = x0 * y0;
	return (struct osc){ .a = a, .gam = c, .qn = sigma * s2, .vn = 0 };
}

/*
 * Weak order 1: SME-SGD with constant Σ on fig4 is the OU process dX = −kX dt + √(ηΣ) dB,
 * k = a + ηa²/2 (a = 2, Σ = 4, x0 = 1). Euler–Maruyama with step h has the exact second moment
 * v_{n+1} = (1 − kh)² v_n + ηΣh, whose bias against the SDE's x0²e^{−2kT} + ηΣ(1 − e^{−2kT})/(2k)
 * is O(h). η = 0.3 makes that bias (0.64 relative at one substep, 0.05 at eight) dominate the
 * Monte Carlo error (~0.4% with 2e5 paths).
 */
Test(sme, euler_maruyama_weak_order_one_on_ou)
{
	asgd_problem *p = preset("fig4");
	const double eta = 0.3, a = 2, sig = 4, k = a + eta * a * a / 2, q = eta * sig;
	const uint64_t K = 20;
	const double T = K * eta, exact = exp(-2 * k * T) + q * (1 - exp(-2 * k * T)) / (2 * k);
	const unsigned subs[] = { 1, 2, 4, 8 };
	double lx[4], ly[4], sx = 0, sy = 0, sxx = 0, sxy = 0, slope;

	for (int i = 0; i < 4; i++) {
		asgd_sme_config cfg = base(p, ASGD_MODEL_SME_SGD, ASGD_SIGMA_CONSTANT, eta, 0, K,
					   subs[i], 200000);
		asgd_sme_result r;
		const double h = eta / subs[i];
		double v = 1, bias_mc;
		asgd_moment_row row;

		cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
		cr_assert_float_eq(r.dt, eta, 1e-15);
		for (uint64_t n = 0; n < K * subs[i]; n++)
			v = (1 - k * h) * (1 - k * h) * v + q * h;
		row = row_at(&r, K, 0);
		cr_expect(fabs(row.second - v) < 4 * row.se_second,
			  "substeps %u: E X_T^2 %g vs Euler-Maruyama exact %g (se %g)", subs[i],
			  row.second, v, row.se_second);
		bias_mc = row.second - exact;
		cr_assert(bias_mc > 4 * row.se_second, "the bias must dominate the noise");
		lx[i] = log(h);
		ly[i] = log(bias_mc);
		asgd_sme_result_free(&r);
	}
	for (int i = 0; i < 4; i++) {
		sx += lx[i];
		sy += ly[i];
		sxx += lx[i] * lx[i];
		sxy += lx[i] * ly[i];
	}
	slope = (4 * sxy - sx * sy) / (4 * sxx - sx * sx);
	cr_expect(slope > 0.8 && slope < 1.2, "fitted weak order %g", slope);
	asgd_problem_destroy(p);
}

/* SME-SGD with Σ = C(X) on fig4 (C ≡ 4) is the same OU process; 16 substeps keep the bias small. */
Test(sme, sme_sgd_matches_the_ou_formula)
{
	asgd_problem *p = preset("fig4");
	const double eta = 0.01, a = 2, k = a + eta * a * a / 2, q = eta * 4;
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_SGD, ASGD_SIGMA_INSTANT, eta, 0.5, 200, 4,
				   20000);
	asgd_sme_result r;

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	for (size_t n = 25; n <= 200; n += 25) {
		const double t = n * eta, m = exp(-k * t);
		const double x2 = m * m + q * (1 - m * m) / (2 * k);
		asgd_moment_row row = row_at(&r, n, 0);

		cr_expect(fabs(row.mean - m) < 4 * row.se_mean, "k=%zu mean %g vs %g", n, row.mean, m);
		cr_expect(fabs(row.second - x2) < 4 * row.se_second, "k=%zu E X^2 %g vs %g", n,
			  row.second, x2);
	}
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/*
 * SME-ASGD (2.11) with constant Σ on fig4 against Appendix B's moment ODE (5.5); 32 substeps make
 * the Euler–Maruyama bias (O(h), h = Δt/32) far smaller than the standard errors of 20000 paths.
 */
Test(sme, sme_asgd_constant_matches_appendix_b)
{
	asgd_problem *p = preset("fig4");
	const double eta = 0.01, mu = 0.9;
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD, ASGD_SIGMA_CONSTANT, eta, mu, 300, 32,
				   20000);
	asgd_sme_result r;
	double s0[5];
	struct osc o = asgd_osc(2, 4, eta, mu, 1, s0);

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	cr_assert_float_eq(r.dt, sqrt(eta * (1 - mu)), 1e-15);
	cr_expect_eq(r.sigma_clamped, 0);
	check_against_osc(&r, &o, s0, 0, 300, 30);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/* The linear form (2.5), reported as X = M + αP, is the same process (MODELS.md §2.2). */
Test(sme, sme_asgd_linear_constant_matches_appendix_b)
{
	asgd_problem *p = preset("fig4");
	const double eta = 0.01, mu = 0.9;
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD_LINEAR, ASGD_SIGMA_CONSTANT, eta, mu,
				   300, 32, 20000);
	asgd_sme_result r;
	double s0[5];
	struct osc o = asgd_osc(2, 4, eta, mu, 1, s0);

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	check_against_osc(&r, &o, s0, 0, 300, 30);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/* SME-MSGD (2.7) with constant Σ on fig4 against its own moment ODE (noise on P, rate Σ√η'). */
Test(sme, sme_msgd_constant_matches_its_moment_ode)
{
	asgd_problem *p = preset("fig4");
	const double eta = 0.001, mu = 0.9;
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_MSGD, ASGD_SIGMA_CONSTANT, eta, mu, 300, 32,
				   20000);
	asgd_sme_result r;
	double s0[5] = { 1, 0, 1, 0, 0 };
	struct osc o = { .a = 2, .gam = (1 - mu) / sqrt(eta), .qn = 0, .vn = 4 * sqrt(eta) };

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	cr_assert_float_eq(r.dt, sqrt(eta), 1e-15);
	check_against_osc(&r, &o, s0, 0, 300, 30);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/*
 * d > 1 through the vector loop: fig6 is separable, f = Σ_j c_j x_j²/2 ∓ Σ_j x_j, so coordinate j
 * is the 1-D SME-ASGD with a = c_j and C_jj = 1 (the noise is fully correlated across coordinates,
 * which the marginals do not see). Both the constant low-rank factor and the instantaneous one.
 */
Test(sme, vector_loop_matches_per_coordinate_odes_on_fig6)
{
	asgd_problem *p = preset("fig6:d=3");
	const double eta = 0.01, mu = 0.9;
	double A[2 * 9], b[2 * 3], s0[5];
	asgd_sigma choices[] = { ASGD_SIGMA_CONSTANT, ASGD_SIGMA_INSTANT };

	cr_assert_eq(asgd_problem_quadratic_parts(p, A, b), ASGD_OK);
	for (int s = 0; s < 2; s++) {
		asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD, choices[s], eta, mu, 200, 16,
					   5000);
		asgd_sme_result r;

		cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
		for (size_t j = 0; j < 3; j++) {
			struct osc o = asgd_osc(A[j * 3 + j], 1, eta, mu, 0.5, s0);

			check_against_osc(&r, &o, s0, j, 200, 40);
		}
		asgd_sme_result_free(&r);
	}
	asgd_problem_destroy(p);
}

/* The 1-D scalar loop and the vector loop integrate the same scheme with the same draws. */
Test(sme, scalar_loop_agrees_with_vector_loop)
{
	struct {
		const char *spec;
		asgd_model m;
		asgd_sigma s;
	} cases[] = {
		{ "fig5-quartic", ASGD_MODEL_SME_ASGD, ASGD_SIGMA_CONTINUUM },
		{ "fig5-quartic", ASGD_MODEL_SME_ASGD, ASGD_SIGMA_EVOLVE },
		{ "fig4", ASGD_MODEL_SME_ASGD, ASGD_SIGMA_EVOLVE },
		{ "fig4", ASGD_MODEL_SME_ASGD_LINEAR, ASGD_SIGMA_EVOLVE },
		{ "fig5-quartic", ASGD_MODEL_SME_ASGD_LINEAR, ASGD_SIGMA_INSTANT },
		{ "fig5-quartic", ASGD_MODEL_SME_MSGD, ASGD_SIGMA_INSTANT },
		{ "fig5-quartic", ASGD_MODEL_SME_SGD, ASGD_SIGMA_INSTANT },
		{ "fig4", ASGD_MODEL_SME_SGD, ASGD_SIGMA_CONSTANT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		asgd_problem *p = preset(cases[i].spec);
		asgd_sme_config cfg = base(p, cases[i].m, cases[i].s, asgd_problem_default_eta(p),
					   0.9, 300, 2, 200);
		asgd_sme_result fast, gen;

		cr_assert_eq(asgd_sme_run(&cfg, &fast), ASGD_OK);
		cfg.generic = 1;
		cr_assert_eq(asgd_sme_run(&cfg, &gen), ASGD_OK);
		cr_expect_eq(fast.sigma_clamped, gen.sigma_clamped, "case %zu", i);
		for (size_t k = 0; k <= 300; k += 50) {
			asgd_moment_row f = row_at(&fast, k, 0), g = row_at(&gen, k, 0);

			cr_expect(fabs(f.second - g.second) <= 1e-9 * fabs(g.second),
				  "case %zu k=%zu: %.17g vs %.17g", i, k, f.second, g.second);
			cr_expect(fabs(f.mean - g.mean) <= 1e-9 * (fabs(g.mean) + 1e-3),
				  "case %zu k=%zu: mean %.17g vs %.17g", i, k, f.mean, g.mean);
		}
		asgd_sme_result_free(&fast);
		asgd_sme_result_free(&gen);
		asgd_problem_destroy(p);
	}
}

/*
 * The continuum Σ = G − c²Y² is a weighted variance of component gradients (MODELS.md §2.1) and,
 * since c·h ≤ 1, its Euler steps keep it so: on the quartic, where C(x) ≥ 16, it is never clamped.
 */
Test(sme, continuum_sigma_never_clamped_on_quartic)
{
	asgd_problem *p = preset("fig5-quartic");
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD, ASGD_SIGMA_CONTINUUM, 1e-3, 0.95, 2000,
				   2, 256);
	asgd_sme_result r;

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	cr_expect_eq(r.sigma_clamped, 0);
	cr_expect_eq(r.ens.nonfinite, 0);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/*
 * (2.12) as printed rewrites as dΣ = [−cΣ + cC(X) + (c/μ)(∇f + cY)(∇f + cY)ᵀ]dt (MODELS.md §2.1):
 * a positive semidefinite forcing, which Euler steps with c·h ≤ 1 keep, so sme-asgd's evolve is
 * never clamped. The linear form's evolution is PSD only for affine gradients; on the double well
 * at η = 0.05 it does go negative, and the clamps are counted.
 */
Test(sme, evolve_sigma_clamps_are_counted)
{
	asgd_problem *p = preset("fig5-doublewell");
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD_LINEAR, ASGD_SIGMA_EVOLVE, 0.05, 0.9,
				   500, 1, 256);
	asgd_sme_result r;

	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	cr_expect_gt(r.sigma_clamped, 0);
	asgd_sme_result_free(&r);
	cfg.model = ASGD_MODEL_SME_ASGD;
	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	cr_expect_eq(r.sigma_clamped, 0);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

/* The power sums, hence every output, are bit-identical for 1 and 3 threads. */
Test(sme, bit_identical_for_any_thread_count)
{
	asgd_problem *p = preset("fig5-quartic");
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD, ASGD_SIGMA_EVOLVE, 1e-3, 0.3, 200, 2, 700);
	asgd_sme_result one, three;
	size_t bytes = 201 * sizeof(double);

	cfg.threads = 1;
	cr_assert_eq(asgd_sme_run(&cfg, &one), ASGD_OK);
	cfg.threads = 3;
	cr_assert_eq(asgd_sme_run(&cfg, &three), ASGD_OK);
	cr_expect_eq(one.ens.moments.paths, 700);
	cr_expect(memcmp(one.ens.moments.s1, three.ens.moments.s1, bytes) == 0);
	cr_expect(memcmp(one.ens.moments.s2, three.ens.moments.s2, bytes) == 0);
	cr_expect(memcmp(one.ens.moments.s4, three.ens.moments.s4, bytes) == 0);
	cr_expect_eq(one.sigma_clamped, three.sigma_clamped);
	asgd_sme_result_free(&one);
	asgd_sme_result_free(&three);
	asgd_problem_destroy(p);
}

/* A sanity check, not a reproduction: paths from x0 = 0.1 settle in one of the two wells. */
Test(sme, doublewell_paths_settle_in_the_wells)
{
	asgd_problem *p = preset("fig5-doublewell");
	asgd_sme_config cfg = base(p, ASGD_MODEL_SME_ASGD, ASGD_SIGMA_CONTINUUM, 1e-2, 0.95, 2000,
				   1, 512);
	asgd_sme_result r;
	uint64_t near = 0;

	cfg.keep_final = 1;
	cr_assert_eq(asgd_sme_run(&cfg, &r), ASGD_OK);
	for (uint64_t i = 0; i < 512; i++)
		near += fabs(fabs(r.ens.final[i]) - 0.957504) < 0.3;
	cr_expect_geq(near, 0.95 * 512, "%llu of 512 paths near a minimum",
		      (unsigned long long)near);
	asgd_sme_result_free(&r);
	asgd_problem_destroy(p);
}

Test(sme, config_validation)
{
	asgd_problem *p = preset("fig4");
	asgd_sme_config ok = base(p, ASGD_MODEL_SME_ASGD, ASGD_SIGMA_CONTINUUM, 1e-2, 0.9, 10, 1, 1);
	asgd_sme_config c;
	char err[200];
	uint32_t zero = 0;

	cr_expect_eq(asgd_sme_check_config(&ok, err, sizeof(err)), ASGD_OK);
	c = ok, c.model = ASGD_MODEL_ASGD;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.model = ASGD_MODEL_SME_MSGD;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL, "continuum for msgd");
	c = ok, c.model = ASGD_MODEL_SME_ASGD_LINEAR;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.sigma = ASGD_SIGMA_EVOLVE, c.mu = 0;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect(strstr(err, "divides") != NULL, "%s", err);
	c = ok, c.eta = 0;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.mu = 1;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.substeps = 0;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.paths = 0;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	c = ok, c.batch.size = &zero, c.batch.len = 1;
	cr_expect_eq(asgd_sme_check_config(&c, err, sizeof(err)), ASGD_EINVAL);
	cr_expect_eq(asgd_sme_default_sigma(ASGD_MODEL_SME_ASGD, p), ASGD_SIGMA_CONTINUUM);
	cr_expect_eq(asgd_sme_default_sigma(ASGD_MODEL_SME_ASGD_LINEAR, p), ASGD_SIGMA_EVOLVE);
	cr_expect_eq(asgd_sme_default_sigma(ASGD_MODEL_SME_SGD, p), ASGD_SIGMA_INSTANT);
	asgd_problem_destroy(p);
}
