/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_theory.c — the closed forms against independent computations: eigenvalues against GSL,
 * the stationary moments against (5.5)'s residual, the time solution against RK4, (5.6) against a
 * scan, Proposition 1, and the discrete fixed points against the exact moment recursion run long.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "asgd/exact.h"
#include "asgd/theory.h"
#include "asgd/theory_report.h"
#include "asgd/error.h"

static const asgd_theory_params CASES[] = {
	{ 2, 4, 0.01, 0.9 },	/* fig4: real spectrum (c² = 10 > 4a = 8) */
	{ 2, 4, 0.01, 0.95 },	/* complex */
	{ 1, 0.02, 0.02, 0 },	/* fig8 */
	{ 3.0, 1.3, 0.05, 0.3 },	/* c² = 14 > 4a = 12 */
	{ 2, 4, 0.0125, 0.9 },	/* c² = 4a: the double root */
};
#define NCASES (sizeof(CASES) / sizeof(CASES[0]))

static void gsl_eigs(const double *M, int n, asgd_theory_eig *out)
{
	gsl_matrix *m = gsl_matrix_alloc((size_t)n, (size_t)n);
	gsl_vector_complex *ev = gsl_vector_complex_alloc((size_t)n);
	gsl_eigen_nonsymm_workspace *w = gsl_eigen_nonsymm_alloc((size_t)n);

	for (int i = 0; i < n * n; i++)
		m->data[(i / n) * m->tda + i % n] = M[i];
	cr_assert_eq(gsl_eigen_nonsymm(m, ev, w), 0);
	for (int i = 0; i < n; i++) {
		gsl_complex z = gsl_vector_complex_get(ev, (size_t)i);

		out[i] = (asgd_theory_eig){ GSL_REAL(z), GSL_IMAG(z) };
	}
	gsl_eigen_nonsymm_free(w);
	gsl_vector_complex_free(ev);
	gsl_matrix_free(m);
}

/* Each eigenvalue of @a has a distinct partner in @b within @tol (nearest match). */
static void expect_same_eigs(const asgd_theory_eig *a, const asgd_theory_eig *b, int n, double tol)
{
	int used[3] = { 0, 0, 0 };

	for (int i = 0; i < n; i++) {
		int best = -1;
		double bd = INFINITY;

		for (int j = 0; j < n; j++) {
			double dd = hypot(a[i].re - b[j].re, a[i].im - b[j].im);

			if (!used[j] && dd < bd) {
				bd = dd;
				best = j;
			}
		}
		cr_assert_geq(best, 0);
		used[best] = 1;
		cr_expect_leq(bd, tol, "eigenvalue %.12g%+.12gi: nearest GSL one is %g away", a[i].re,
			      a[i].im, bd);
	}
}

Test(theory, eigenvalues_match_gsl)
{
	for (size_t c = 0; c < NCASES - 1; c++) {	/* GSL is inexact at the double root */
		double A[4], B[9];
		asgd_theory_eig f[3], g[3];

		asgd_theory_matrix_A(&CASES[c], A);
		asgd_theory_matrix_B(&CASES[c], B);
		asgd_theory_eig_A(&CASES[c], f);
		gsl_eigs(A, 2, g);
		expect_same_eigs(f, g, 2, 1e-9);
		asgd_theory_eig_B(&CASES[c], f);
		gsl_eigs(B, 3, g);
		expect_same_eigs(f, g, 3, 1e-9);
	}
}

/* The stationary moments make (5.5)'s right-hand side vanish; Appendix B's numbers for fig4. */
Test(theory, stationary_solves_5_5)
{
	for (size_t c = 0; c < NCASES; c++) {
		const asgd_theory_params *p = &CASES[c];
		asgd_theory_stationary st;
		asgd_theory_scales sc;
		double B[9], z[3], r[3];

		asgd_theory_stationary_of(p, &st);
		asgd_theory_scales_of(p, &sc);
		asgd_theory_matrix_B(p, B);
		z[0] = st.ex2; z[1] = st.ey2; z[2] = st.exy;
		for (int i = 0; i < 3; i++)
			r[i] = B[3 * i] * z[0] + B[3 * i + 1] * z[1] + B[3 * i + 2] * z[2];
		r[0] += p->sigma2 * sc.s2;
		for (int i = 0; i < 3; i++)
			cr_expect_float_eq(r[i], 0, 1e-15, "case %zu row %d: %g", c, i, r[i]);
		cr_expect_float_eq(sc.s2 * sc.dt, p->eta * p->eta, 1e-17);
		cr_expect_float_eq(sc.c * sc.alpha, 1, 1e-15);
		/* X = M + αP with M ⟂ P in the Gibbs law: E X² = E M² + α² E P² */
		cr_expect_float_eq(st.ex2, st.em2 + sc.alpha * sc.alpha * st.ep2, 1e-15);
	}
	{
		asgd_theory_stationary st;

		asgd_theory_stationary_of(&CASES[0], &st);
		cr_assert_float_eq(st.ex2, 0.012, 1e-15);
		cr_assert_float_eq(st.ey2, 0.004, 1e-15);
	}
}

/* RK4 of (5.4) and of A's system with 20000 steps against the matrix exponentials. */
Test(theory, time_solution_matches_rk4)
{
	for (size_t c = 0; c < NCASES; c++) {
		const asgd_theory_params *p = &CASES[c];
		asgd_theory_scales sc;
		asgd_theory_state s0, s;
		double y[5], k[4][5], t = 3.0, h = t / 20000;

		asgd_theory_scales_of(p, &sc);
		asgd_theory_initial(p, 0.8, &s0);
		/* y = (E X, E Y, E X², E Y², E XY) */
		y[0] = s0.ex; y[1] = s0.ey; y[2] = s0.ex2; y[3] = s0.ey2; y[4] = s0.exy;
		for (int step = 0; step < 20000; step++) {
			double tmp[5];

			for (int st = 0; st < 4; st++) {
				const double *u = st == 0 ? y : tmp;
				double *dk = k[st];

				dk[0] = u[1];
				dk[1] = -p->a * u[0] - sc.c * u[1];
				dk[2] = 2 * u[4] + p->sigma2 * sc.s2;
				dk[3] = -2 * p->a * u[4] - 2 * sc.c * u[3];
				dk[4] = -p->a * u[2] + u[3] - sc.c * u[4];
				for (int i = 0; i < 5 && st < 3; i++)
					tmp[i] = y[i] + (st == 2 ? h : h / 2) * dk[i];
			}
			for (int i = 0; i < 5; i++)
				y[i] += h / 6 * (k[0][i] + 2 * k[1][i] + 2 * k[2][i] + k[3][i]);
		}
		cr_assert_eq(asgd_theory_evolve(p, &s0, t, &s), ASGD_OK);
		cr_expect_float_eq(s.ex, y[0], 1e-11, "case %zu", c);
		cr_expect_float_eq(s.ey, y[1], 1e-11, "case %zu", c);
		cr_expect_float_eq(s.ex2, y[2], 1e-11, "case %zu", c);
		cr_expect_float_eq(s.ey2, y[3], 1e-11, "case %zu", c);
		cr_expect_float_eq(s.exy, y[4], 1e-11, "case %zu", c);
	}
}

Test(theory, expm_known_cases)
{
	double R[4] = { 0, -2, 2, 0 }, E[4], D[9] = { -1, 0, 0, 0, 3, 0, 0, 0, 0.5 }, F[9];

	cr_assert_eq(asgd_theory_expm(R, 2, E), ASGD_OK);	/* a rotation by 2 radians */
	cr_assert_float_eq(E[0], cos(2), 1e-14);
	cr_assert_float_eq(E[1], -sin(2), 1e-14);
	cr_assert_float_eq(E[2], sin(2), 1e-14);
	cr_assert_float_eq(E[3], cos(2), 1e-14);
	cr_assert_eq(asgd_theory_expm(D, 3, F), ASGD_OK);
	cr_assert_float_eq(F[0], exp(-1), 1e-15);
	cr_assert_float_eq(F[4] / exp(3), 1, 1e-14);
	cr_assert_float_eq(F[8], exp(0.5), 1e-14);
	cr_assert_float_eq(F[1], 0, 1e-15);
	cr_assert_eq(asgd_theory_expm(D, 5, F), ASGD_EINVAL);
}

/* max Re of B's spectrum, the decay rate of E X²: smallest at μ_opt (5.6). */
static double slowest(double a, double eta, double mu)
{
	asgd_theory_params p = { a, 1, eta, mu };
	asgd_theory_eig e[3];

	asgd_theory_eig_B(&p, e);
	return fmax(e[0].re, fmax(e[1].re, e[2].re));
}

Test(theory, optimal_mu_and_eta)
{
	double a = 2, eta = 0.01, mo = asgd_theory_mu_opt(a, eta);

	cr_assert_float_eq(mo, 0.92, 1e-15);
	for (double d = 1e-3; d < 0.05; d *= 2) {
		cr_expect_lt(slowest(a, eta, mo), slowest(a, eta, mo + d));
		cr_expect_lt(slowest(a, eta, mo), slowest(a, eta, mo - d));
	}
	cr_assert_float_eq(asgd_theory_mu_opt(2, 1), 0, 0);
	/* at η_opt the discriminant c² − 4a vanishes */
	cr_assert_float_eq((1 - 0.9) / asgd_theory_eta_opt(a, 0.9), 4 * a, 1e-12);
}

Test(theory, proposition1_temperatures)
{
	for (size_t c = 0; c < NCASES; c++) {
		const asgd_theory_params *p = &CASES[c];
		double em, mm;

		asgd_theory_prop1(p->eta, p->mu, &em, &mm);
		cr_assert_eq(mm, p->mu);
		cr_assert_float_eq(em, p->eta * (1 - p->mu), 1e-17);
		cr_assert_float_eq(asgd_theory_temp_sme_asgd(p->sigma2, p->eta),
				   asgd_theory_temp_sme_msgd(p->sigma2, em, mm), 1e-15);
		/* and the same friction: (1−μ')/√η' = c */
		cr_assert_float_eq((1 - mm) / sqrt(em), sqrt((1 - p->mu) / p->eta), 1e-12);
	}
}

/* The 1-D problem of the discrete formulas: components a x ∓ √Σ. */
static asgd_problem *pm_problem(double a, double S)
{
	double A[2] = { a, a }, b[2] = { sqrt(S), -sqrt(S) };
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create_quadratic(1, 2, A, b, NULL, &p), ASGD_OK);
	return p;
}

static double exact_last(asgd_problem *pr, asgd_model m, double eta, double mu)
{
	double x0 = 0.5;
	asgd_exact_moments e;
	asgd_exact_config c = { .model = m, .problem = pr, .eta = eta, .mu = mu, .iters = 20000,
				.x0 = &x0 };
	double v;

	cr_assert_eq(asgd_exact_run(&c, &e), ASGD_OK);
	v = e.second[20000];
	asgd_exact_moments_free(&e);
	return v;
}

Test(theory, discrete_fixed_points_match_exact_recursion)
{
	for (size_t c = 0; c < NCASES; c++) {
		const asgd_theory_params *p = &CASES[c];
		asgd_problem *pr = pm_problem(p->a, p->sigma2);
		asgd_theory_params m = *p;
		double xa, xm;

		cr_assert_eq(asgd_theory_discrete_asgd_ex2(p, &xa), ASGD_OK, "case %zu", c);
		cr_expect_float_eq(xa, exact_last(pr, ASGD_MODEL_ASGD, p->eta, p->mu), 1e-12 * xa,
				   "case %zu", c);
		asgd_theory_prop1(p->eta, p->mu, &m.eta, &m.mu);
		cr_assert_eq(asgd_theory_discrete_msgd_ex2(&m, &xm), ASGD_OK);
		cr_expect_float_eq(xm, exact_last(pr, ASGD_MODEL_MSGD, m.eta, m.mu), 1e-12 * xm,
				   "case %zu", c);
		asgd_problem_destroy(pr);
	}
}

/* docs/ERRATA.md §6 (about 20% at μ = 0.9) and §7 (Appendix B ~1% high for small μ) on fig4. */
Test(theory, errata_gaps)
{
	asgd_theory_params p = { 2, 4, 0.01, 0.9 }, m = p;
	asgd_theory_stationary st;
	double xa, xm;

	asgd_theory_discrete_asgd_ex2(&p, &xa);
	asgd_theory_prop1(p.eta, p.mu, &m.eta, &m.mu);
	asgd_theory_discrete_msgd_ex2(&m, &xm);
	cr_expect(xa / xm - 1 > 0.15 && xa / xm - 1 < 0.25, "gap %g", xa / xm - 1);
	p.mu = 0.1;
	asgd_theory_discrete_asgd_ex2(&p, &xa);
	asgd_theory_stationary_of(&p, &st);
	cr_expect(st.ex2 / xa - 1 > 0.005 && st.ex2 / xa - 1 < 0.015, "gap %g", st.ex2 / xa - 1);
	/* SGD's exact value is Ση²/(1 − (1−aη)²) */
	p.mu = 0;
	asgd_theory_discrete_asgd_ex2(&p, &xa);
	cr_assert_float_eq(xa, 4e-4 / (1 - 0.98 * 0.98), 1e-15);
}

Test(theory, instability_and_bad_input)
{
	asgd_theory_params p = { 2, 4, 2, 0 };
	double x;

	cr_assert_eq(asgd_theory_discrete_asgd_ex2(&p, &x), ASGD_EDIVERGED);	/* |1 − aη| = 3 */
	cr_assert_eq(asgd_theory_discrete_msgd_ex2(&p, &x), ASGD_EDIVERGED);
	p.eta = 0.01;
	p.a = 0;
	cr_assert_eq(asgd_theory_check(&p), ASGD_EINVAL);
	p.a = 2;
	p.mu = 1;
	cr_assert_eq(asgd_theory_check(&p), ASGD_EINVAL);
	p.mu = NAN;
	cr_assert_eq(asgd_theory_check(&p), ASGD_EINVAL);
	p.mu = 0.5;
	p.sigma2 = -1;
	cr_assert_eq(asgd_theory_discrete_asgd_ex2(&p, &x), ASGD_EINVAL);
	cr_assert_eq(asgd_theory_check(NULL), ASGD_EINVAL);
}

Test(theory, from_presets)
{
	asgd_problem *p;
	double a, S, xs;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cr_assert_eq(asgd_theory_from_problem(p, &a, &S, &xs), ASGD_OK);
	cr_assert(a == 2 && S == 4 && xs == 0, "%g %g %g", a, S, xs);
	asgd_problem_destroy(p);
	cr_assert_eq(asgd_problem_create("fig8:n=10", &p), ASGD_OK);
	cr_assert_eq(asgd_theory_from_problem(p, &a, &S, &xs), ASGD_OK);
	/* c_i = −1/2 + i/20: mean −0.225, variance (n² − 1)/(48 n²) */
	cr_assert_float_eq(a, 1, 1e-15);
	cr_assert_float_eq(S, 99.0 / 4800, 1e-15);
	cr_assert_float_eq(xs, -0.225, 1e-15);
	asgd_problem_destroy(p);
	cr_assert_eq(asgd_problem_create("fig6:d=2", &p), ASGD_OK);
	cr_assert_eq(asgd_theory_from_problem(p, &a, &S, &xs), ASGD_ENOTFOUND);
	asgd_problem_destroy(p);
	cr_assert_eq(asgd_problem_create("fig5-quartic", &p), ASGD_OK);
	cr_assert_eq(asgd_theory_from_problem(p, &a, &S, &xs), ASGD_ENOTFOUND);
	asgd_problem_destroy(p);
}

/* The report gathers the closed forms: its gaps are the ERRATA §6/§7 ratios of its own numbers,
 * its CSV starts at (x0, x0²) and its JSON carries what the table prints. */
Test(theory, report_gathers_the_closed_forms)
{
	asgd_theory_report_config c = { .preset = "fig4", .p = { 2, 4, 0.01, 0.9 },
					.x0 = 1, .xstar = 0, .iters = 3 };
	asgd_theory_report r;
	char dir[] = "/tmp/asgd_theory_report_XXXXXX", path[256];
	double k, t, mean, second;
	cJSON *j;
	FILE *fp;

	asgd_theory_report_compute(&c, &r);
	cr_assert_float_eq(r.mu_opt, asgd_theory_mu_opt(2, 0.01), 0);
	cr_assert(r.asgd_stable && r.msgd_stable);
	cr_assert_float_eq(r.gap_asgd_msgd, (r.asgd_ex2 - r.msgd_ex2) / r.msgd_ex2, 1e-15);
	cr_assert_float_eq(r.gap_appb, (r.st.ex2 - r.asgd_ex2) / r.asgd_ex2, 1e-15);
	cr_assert_float_eq(r.mu_m, 0.9, 1e-15);
	cr_assert_float_eq(r.eta_m, 0.01 * (1 - 0.9), 1e-15);

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/theory.csv", dir);
	cr_assert_eq(asgd_theory_report_write_csv(&c, &r, path), ASGD_OK);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	cr_assert_eq(fscanf(fp, "k,t,mean,second_moment\n%lf,%lf,%lf,%lf", &k, &t, &mean, &second), 4);
	fclose(fp);
	cr_assert(k == 0 && t == 0);
	cr_assert_float_eq(mean, 1, 1e-12);
	cr_assert_float_eq(second, 1, 1e-12);
	remove(path);
	rmdir(dir);

	j = asgd_theory_report_json(&c, &r, 0, NULL, 0);
	cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "optimal"), "mu_opt")->valuedouble,
			   r.mu_opt, 0);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "discrete"), "asgd_stable")));
	cJSON_Delete(j);
}
