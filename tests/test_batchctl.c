/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_batchctl.c — the optimal batch control (docs/MODELS.md §6) against independent
 * computations: the HJB equation (4.7) by finite differences with the minimum over u found
 * numerically, the value function against the cost of the optimal schedule integrated by RK4
 * (docs/ERRATA.md §1), V(0, t) > 0 (§2), the paper's a = 2 formulas, theory.h's spectrum and
 * stationary moment, and the closed-form z(t) against RK4.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "asgd/batchctl.h"
#include "asgd/error.h"
#include "asgd/theory.h"

/* Problems with γ = 1 as a placeholder; each test sets γ as a multiple of γ*. */
static const asgd_batchctl_params BASE[] = {
	/* fig8: a = 1, Σ = var c_i = (n² − 1)/(48n²) at n = 100, μ = 0, K = 1000 (T = 1000√η) */
	{ 1, 9999.0 / 480000.0, 0.02, 0, 1, 1000 * 0.1414213562373095, 1.5562562500000001 },
	/* fig4: a = 2, Σ = 4, μ = 0.9, real spectrum (c² = 10 > 8) */
	{ 2, 4, 0.01, 0.9, 1, 60, 1 },
	/* complex spectrum: c² = 5 < 8, so r = c */
	{ 2, 4, 0.01, 0.95, 1, 40, 1 },
	/* a = 3, a start below the stationary level */
	{ 3, 1.3, 0.05, 0.3, 1, 25, 1e-4 },
};
#define NBASE (sizeof(BASE) / sizeof(BASE[0]))

/* The control for BASE[i] with γ = @ratio · γ*. */
static asgd_batchctl solve_at(size_t i, double ratio)
{
	asgd_batchctl s;
	asgd_batchctl_params p = BASE[i];

	cr_assert_eq(asgd_batchctl_solve(&p, &s), ASGD_OK);
	p.gamma = ratio * s.gamma_star;
	cr_assert_eq(asgd_batchctl_solve(&p, &s), ASGD_OK, "case %zu ratio %g", i, ratio);
	return s;
}

static void expect_close(double got, double want, double rel, const char *what)
{
	cr_assert(fabs(got - want) <= rel * fmax(fabs(want), 1e-300), "%s: got %.17g, want %.17g",
		  what, got, want);
}

Test(batchctl, rejects_bad_parameters)
{
	const asgd_batchctl_params ok = BASE[0];
	asgd_batchctl s;
	asgd_batchctl_params p;

	cr_assert_eq(asgd_batchctl_solve(&ok, &s), ASGD_OK);
	cr_assert_eq(asgd_batchctl_solve(NULL, &s), ASGD_EINVAL);
	cr_assert_eq(asgd_batchctl_solve(&ok, NULL), ASGD_EINVAL);
#define BAD(field, value)                                                                  \
	do {                                                                               \
		p = ok;                                                                    \
		p.field = (value);                                                         \
		cr_assert_eq(asgd_batchctl_solve(&p, &s), ASGD_EINVAL, #field " = %g",     \
			     (double)(value));                                             \
	} while (0)
	BAD(a, 0); BAD(a, -1); BAD(a, NAN); BAD(a, INFINITY);
	BAD(sigma2, -1e-9); BAD(sigma2, NAN);
	BAD(eta, 0); BAD(eta, -0.1); BAD(eta, INFINITY);
	BAD(mu, 1); BAD(mu, -0.01); BAD(mu, NAN);
	BAD(gamma, 0); BAD(gamma, -1); BAD(gamma, NAN);
	BAD(T, 0); BAD(T, INFINITY);
	BAD(z0, -1); BAD(z0, NAN);
#undef BAD
}

/* γ ≥ γ*: an extra gradient never pays, u ≡ 0, and the schedule is all ones. */
Test(batchctl, gamma_above_gamma_star_never_batches)
{
	static const double ratios[] = { 1.0, 1.5, 1e6 };
	uint32_t size[2000];

	for (size_t i = 0; i < NBASE; i++)
		for (size_t j = 0; j < 3; j++) {
			asgd_batchctl s = solve_at(i, ratios[j]);

			cr_assert_eq(s.t_star, 0);
			cr_assert_eq(s.k_star, s.p.T / s.dt);
			for (int g = 0; g <= 1000; g++)
				cr_assert_eq(asgd_batchctl_u(&s, s.p.T * g / 1000), 0, "t = %g",
					     s.p.T * g / 1000);
			cr_assert_eq(asgd_batchctl_schedule(&s, 2000, 0, size), ASGD_OK);
			for (size_t k = 0; k < 2000; k++) /* past T too: the last value is held */
				cr_assert_eq(size[k], 1);
		}
}

/* u* is 0 up to T − t*, positive after, continuous at the switch, √(γ* / γ) − 1 at T. */
Test(batchctl, control_is_continuous_at_the_switch)
{
	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);
		double ts = s.p.T - s.t_star, eps = 1e-12 * s.p.T;

		cr_assert_gt(s.t_star, 0);
		cr_assert_lt(s.t_star, s.p.T, "case %zu: t* %g must lie inside the horizon", i,
			     s.t_star);
		expect_close(s.t_star, log(1e3) / s.r, 1e-14, "t*");
		cr_assert_eq(asgd_batchctl_u(&s, ts), 0);
		cr_assert_eq(asgd_batchctl_u(&s, ts - eps), 0);
		cr_assert_lt(fabs(asgd_batchctl_u(&s, ts + eps)), 1e-9);
		cr_assert_gt(asgd_batchctl_u(&s, ts + 1e-3 * s.t_star), 0);
		cr_assert_eq(asgd_batchctl_u(&s, 0.5 * ts), 0);
		expect_close(asgd_batchctl_u(&s, s.p.T), sqrt(1e3) - 1, 1e-12, "u*(T)");
	}
}

/* min over u ≥ 0 of F(u, z)V_z + (γ/η)u, F = −r(z − κ/(1+u)), found by golden section on
 * v = ln(1+u) in [0, 40] — no use of the closed-form u*. h is convex in u, so unimodal in v. */
static double hamiltonian_min(const asgd_batchctl *s, double z, double Vz)
{
	const double phi = (sqrt(5.0) - 1) / 2, g_eta = s->p.gamma / s->p.eta;
	double lo = 0, hi = 40;

#define H(v) (-s->r * (z - s->kappa * exp(-(v))) * Vz + g_eta * expm1(v))
	for (int it = 0; it < 200; it++) {
		double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);

		if (H(a) <= H(b))
			hi = b;
		else
			lo = a;
	}
	return fmin(H(0.0), H((lo + hi) / 2));
#undef H
}

/*
 * (4.7): V_t + min_u{F V_z + (γ/η)u} = 0 at points on both sides of the switch, at times to go
 * d with rd ≤ 10 (further back V_z = e^{−rd} is so small that V_t drowns in the rounding of V).
 * V_t by central differences with step h = 1e-3/r: truncation ~ (hr)²/6 ≈ 2e-7 relative,
 * rounding ~ 1e-16·V/(h·V_t) ≤ 1e-7. V is linear in z, so V_z is a difference over a step of 1.
 */
Test(batchctl, value_function_solves_the_hjb_equation)
{
	static const double rd[] = { 0.03, 0.5, 2, 10 };

	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);
		double zs[] = { 0, 0.1 * s.kappa, s.kappa, s.p.z0, 10 * s.p.z0 + 1 };
		double d[6];

		for (int j = 0; j < 4; j++)
			d[j] = rd[j] / s.r;
		d[4] = 0.98 * s.t_star;
		d[5] = 1.02 * s.t_star;
		for (int j = 0; j < 6; j++)
			for (int q = 0; q < 5; q++) {
				double t = s.p.T - d[j], z = zs[q], h = 1e-3 / s.r;
				double Vt = (asgd_batchctl_value(&s, z, t + h) -
					     asgd_batchctl_value(&s, z, t - h)) / (2 * h);
				double Vz = asgd_batchctl_value(&s, z + 1, t) -
					    asgd_batchctl_value(&s, z, t);
				double H = hamiltonian_min(&s, z, Vz);
				double scale = fabs(Vt) + fabs(s.r * z * Vz) + fabs(H);

				cr_assert_gt(t - h, 0);
				cr_assert(fabs(Vt + H) <= 1e-6 * scale,
					  "case %zu t=%g z=%g: V_t %.12g + H %.12g = %.3g (scale %.3g)",
					  i, t, z, Vt, H, Vt + H, scale);
			}
	}
}

/* The cost to go of the optimal schedule from (z, t), integrated by RK4: dz/ds = F(u*(s), z),
 * dc/ds = (γ/η)u*(s), split at the switch (u* has a kink there). */
static void rk4_piece(const asgd_batchctl *s, double t0, double t1, int n, double *z, double *c)
{
	const double h = (t1 - t0) / n, g_eta = s->p.gamma / s->p.eta;

#define FZ(t, zz) (-s->r * ((zz) - s->kappa / (1 + asgd_batchctl_u(s, (t)))))
#define FC(t) (g_eta * asgd_batchctl_u(s, (t)))
	for (int k = 0; k < n; k++) {
		double t = t0 + k * h;
		double k1 = FZ(t, *z), k2 = FZ(t + h / 2, *z + h / 2 * k1);
		double k3 = FZ(t + h / 2, *z + h / 2 * k2), k4 = FZ(t + h, *z + h * k3);

		*z += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
		*c += h / 6 * (FC(t) + 4 * FC(t + h / 2) + FC(t + h));
	}
#undef FZ
#undef FC
}

/* z(T) and the running cost from (z, t) under u*. */
static void direct_cost(const asgd_batchctl *s, double z, double t, double *zT, double *cost)
{
	double ts = s->p.T - s->t_star;

	*cost = 0;
	if (t < ts) {
		rk4_piece(s, t, ts, 20000, &z, cost);
		t = ts;
	}
	rk4_piece(s, t, s->p.T, 20000, &z, cost);
	*zT = z;
}

/* docs/ERRATA.md §1: V is the cost of the schedule it implies, integrated directly. */
Test(batchctl, value_equals_the_cost_of_the_optimal_schedule)
{
	static const double ratios[] = { 2.0, 1e-3, 1e-30 }; /* none, inside, t* > T for some */

	for (size_t i = 0; i < NBASE; i++)
		for (size_t j = 0; j < 3; j++) {
			asgd_batchctl s = solve_at(i, ratios[j]);
			double zs[] = { 0, s.kappa, s.p.z0 };
			double tf[] = { 0, 0.5, 0.9 };

			for (int a = 0; a < 3; a++)
				for (int b = 0; b < 3; b++) {
					double t = tf[b] * s.p.T, zT, cost;
					double V = asgd_batchctl_value(&s, zs[a], t);

					direct_cost(&s, zs[a], t, &zT, &cost);
					cr_assert(fabs(V - (zT + cost)) <= 1e-8 * fabs(V),
						  "case %zu ratio %g z=%g t=%g: V %.15g, direct %.15g",
						  i, ratios[j], zs[a], t, V, zT + cost);
				}
		}
}

/* V(z, T) = z; V(0, t) > 0 before T (docs/ERRATA.md §2: the noise drives z up from 0); V ≥ 0. */
Test(batchctl, value_boundary_conditions)
{
	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);

		for (int q = 0; q < 5; q++) {
			double z = q * 0.3;

			cr_assert_eq(asgd_batchctl_value(&s, z, s.p.T), z);
		}
		for (int g = 0; g < 100; g++) {
			double t = s.p.T * g / 100;

			cr_assert_gt(asgd_batchctl_value(&s, 0, t), 0, "case %zu: V(0, %g) = %g", i,
				     t, asgd_batchctl_value(&s, 0, t));
		}
	}
}

/* At a = 2 the paper's own expressions: λ = −√((1−μ)/η) + √((1−μ−8η)/η), (4.4)'s z∞ at
 * u = 0, (4.9)'s γ* = −Re λ Ση²/2 (η/(1−μ) + 1/2), t* = log(γ/γ*)/Re λ, and (4.11). */
Test(batchctl, a_two_reproduces_the_paper)
{
	for (size_t i = 1; i <= 2; i++) {
		asgd_batchctl s = solve_at(i, 1e-2);
		double e = s.p.eta, m = 1 - s.p.mu, S = s.p.sigma2;
		double re = -sqrt(m / e) + (m - 8 * e >= 0 ? sqrt((m - 8 * e) / e) : 0);
		double zinf = S * e / 2 * (e / m + 0.5);
		double gstar = -re * S * e * e / 2 * (e / m + 0.5);
		double t = s.p.T - 0.3 * s.t_star;

		cr_assert_eq(s.p.a, 2);
		cr_assert_eq(s.oscillating, i == 2);
		expect_close(-s.r, re, 1e-12, "Re lambda");
		expect_close(s.kappa, zinf, 1e-14, "(4.4)");
		expect_close(s.gamma_star, gstar, 1e-12, "gamma* (4.9)");
		expect_close(s.t_star, log(s.p.gamma / gstar) / re, 1e-12, "t*");
		expect_close(asgd_batchctl_u(&s, t),
			     sqrt(gstar / s.p.gamma) * exp(re * (s.p.T - t) / 2) - 1, 1e-12, "(4.11)");
		expect_close(s.k_star, (s.p.T - s.t_star) / sqrt(e * m), 1e-14, "k* (docs/ERRATA.md §3)");
	}
}

/* The rate is the slowest mode of (5.5) and κ Appendix B's stationary E X² (theory.h). */
Test(batchctl, agrees_with_theory)
{
	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);
		asgd_theory_params tp = { s.p.a, s.p.sigma2, s.p.eta, s.p.mu };
		asgd_theory_eig eig[3];
		asgd_theory_stationary st;
		asgd_theory_scales sc;

		asgd_theory_eig_B(&tp, eig);
		asgd_theory_stationary_of(&tp, &st);
		asgd_theory_scales_of(&tp, &sc);
		expect_close(s.r, -eig[1].re, 1e-12, "r");
		expect_close(s.kappa, st.ex2, 1e-14, "kappa");
		expect_close(s.dt, sc.dt, 1e-15, "dt");
		expect_close(s.c, sc.c, 1e-15, "c");
	}
}

/* The closed-form z(t) under u* against RK4, before, across and after the switch, and when the
 * batching phase covers the whole horizon (t* > T). */
Test(batchctl, moment_under_the_control_matches_rk4)
{
	static const double ratios[] = { 2.0, 1e-3, 1e-30 };

	for (size_t i = 0; i < NBASE; i++)
		for (size_t j = 0; j < 3; j++) {
			asgd_batchctl s = solve_at(i, ratios[j]);
			double z = s.p.z0, c = 0, t = 0;

			expect_close(asgd_batchctl_z(&s, 0), s.p.z0, 1e-15, "z(0)");
			for (int g = 1; g <= 20; g++) {
				double t1 = s.p.T * g / 20, ts = s.p.T - s.t_star;

				if (t < ts && ts < t1) {
					rk4_piece(&s, t, ts, 4000, &z, &c);
					t = ts;
				}
				rk4_piece(&s, t, t1, 4000, &z, &c);
				t = t1;
				expect_close(asgd_batchctl_z(&s, t), z, 1e-9, "z(t)");
			}
		}
}

/* k* = (T − t*)/Δt, and the integer schedule: 1 through k*, non-decreasing, round(1 + u*) at
 * the end; a batch over the limit is refused. */
Test(batchctl, schedule_and_transition_iteration)
{
	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);
		size_t K = (size_t)floor(s.p.T / s.dt + 0.5);
		uint32_t *size = malloc(K * sizeof(*size));

		expect_close(s.k_star, (s.p.T - s.t_star) / s.dt, 1e-15, "k*");
		cr_assert_eq(asgd_batchctl_schedule(&s, K, 0, size), ASGD_OK);
		for (size_t k = 0; k < K; k++) {
			if ((double)k <= s.k_star)
				cr_assert_eq(size[k], 1, "case %zu: B_%zu = %u before k* = %g", i, k,
					     size[k], s.k_star);
			if (k > 0)
				cr_assert_geq(size[k], size[k - 1]);
			cr_assert_eq(size[k], asgd_batchctl_batch(&s, k));
		}
		cr_assert_eq(size[K - 1],
			     (uint32_t)lround(1 + asgd_batchctl_u(&s, (double)(K - 1) * s.dt)));
		cr_assert_gt(size[K - 1], 20); /* √1000 ≈ 31.6 at T, a little less one step earlier */
		cr_assert_eq(asgd_batchctl_schedule(&s, K, 10, size), ASGD_EINVAL);
		cr_assert_eq(asgd_batchctl_schedule(&s, 0, 0, size), ASGD_EINVAL);
		free(size);
	}
	{
		asgd_batchctl s = solve_at(0, 1e-30); /* t* > T: batching from the start */

		cr_assert_gt(s.t_star, s.p.T);
		cr_assert_eq(s.k_star, 0);
		cr_assert_gt(asgd_batchctl_u(&s, 0), 0);
		cr_assert_gt(asgd_batchctl_batch(&s, 0), 1);
	}
}

/* The per-step model: a constant batch B gives κ/B + (z0 − κ/B)e^{−rKΔt}; the optimal
 * schedule's prediction is near the continuous z(T) (rounding u* and holding it over a step). */
Test(batchctl, model_path_of_a_schedule)
{
	for (size_t i = 0; i < NBASE; i++) {
		asgd_batchctl s = solve_at(i, 1e-3);
		size_t K = (size_t)floor(s.p.T / s.dt + 0.5);
		uint32_t *size = malloc(K * sizeof(*size));
		double *z = malloc((K + 1) * sizeof(*z));
		double zT, lv, decay = exp(-s.r * s.dt * (double)K);

		for (size_t k = 0; k < K; k++)
			size[k] = 5;
		zT = asgd_batchctl_model_path(&s, size, K, 0, z);
		expect_close(zT, s.kappa / 5 + (s.p.z0 - s.kappa / 5) * decay, 1e-10, "constant batch");
		cr_assert_eq(z[0], s.p.z0);
		cr_assert_eq(z[K], zT);
		/* without replacement from n = 100: the level is κ/5 · 95/99; from n = 5, no noise */
		lv = s.kappa / 5 * 95.0 / 99.0;
		expect_close(asgd_batchctl_model_path(&s, size, K, 100, NULL),
			     lv + (s.p.z0 - lv) * decay, 1e-10, "without replacement");
		expect_close(asgd_batchctl_model_path(&s, size, K, 5, NULL), s.p.z0 * decay, 1e-10,
			     "full batch");
		cr_assert_eq(asgd_batchctl_model_path(&s, size, 0, 0, NULL), s.p.z0);
		cr_assert_eq(asgd_batchctl_schedule(&s, K, 0, size), ASGD_OK);
		zT = asgd_batchctl_model_path(&s, size, K, 0, NULL);
		/* B_k is rounded (2% at B ≈ 30) and held over a step, over which u* grows by a
		 * factor e^{rΔt/2}: within rΔt/2 + 2% */
		cr_assert(fabs(zT / asgd_batchctl_z(&s, (double)K * s.dt) - 1) <
			  s.r * s.dt / 2 + 0.02,
			  "case %zu: per-step %g, continuous %g", i, zT,
			  asgd_batchctl_z(&s, (double)K * s.dt));
		free(size);
		free(z);
	}
}
