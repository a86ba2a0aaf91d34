/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_problem.c — the objectives against finite differences, direct sums and the closed forms
 * of the paper's Figures 4–8.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/problem.h"

#define NPOINTS 4
#define MAXPROBLEMS 16
#define DWELL_MIN 0.9575040240772686	/* root of (x−1)e^{−(x−1)²} + (x+1)e^{−(x+1)²}, by bisection */

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;
	int rc = asgd_problem_create(spec, &p);

	cr_assert_eq(rc, ASGD_OK, "create(\"%s\") = %s", spec, asgd_err_name(rc));
	return p;
}

static double *vec(size_t n)
{
	double *v = calloc(n ? n : 1, sizeof(*v));

	cr_assert_not_null(v);
	return v;
}

static uint64_t test_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform on [−1, 1). */
static double test_unif(uint64_t *s)
{
	return 2.0 * (double)(test_rng(s) >> 11) * 0x1.0p-53 - 1.0;
}

#define DENSE_D 4
#define DENSE_N 3

/*
 * A dense quadratic with a known minimizer: A_i = M_iᵀM_i + ½I + K_i with K_i antisymmetric (which
 * f_i must ignore), b_i = sym(A_i) x* + e_i with Σ_i e_i = 0, so that (mean A_i) x* = mean b_i.
 */
static asgd_problem *make_dense(double *xstar)
{
	enum { D = DENSE_D, N = DENSE_N };
	double A[N * D * D], b[N * D], c[N], e[N * D], M[D * D];
	uint64_t s = 42;
	asgd_problem *p = NULL;

	for (size_t j = 0; j < D; j++)
		xstar[j] = test_unif(&s);
	for (size_t i = 0; i < N; i++) {
		double *Ai = A + i * D * D;

		for (size_t k = 0; k < D * D; k++)
			M[k] = test_unif(&s);
		for (size_t r = 0; r < D; r++)
			for (size_t q = 0; q < D; q++) {
				double sum = r == q ? 0.5 : 0;

				for (size_t k = 0; k < D; k++)
					sum += M[k * D + r] * M[k * D + q];
				Ai[r * D + q] = sum;
			}
		for (size_t r = 0; r < D; r++) {
			double Ax = 0;

			for (size_t q = 0; q < D; q++)
				Ax += Ai[r * D + q] * xstar[q];
			e[i * D + r] = test_unif(&s);
			b[i * D + r] = Ax;
		}
		for (size_t r = 0; r < D; r++)	/* the antisymmetric part, after using sym(A_i) */
			for (size_t q = r + 1; q < D; q++) {
				double k = 0.3 * test_unif(&s);

				Ai[r * D + q] += k;
				Ai[q * D + r] -= k;
			}
		c[i] = test_unif(&s);
	}
	for (size_t r = 0; r < D; r++) {	/* centre the e_i */
		double m = 0;

		for (size_t i = 0; i < N; i++)
			m += e[i * D + r] / N;
		for (size_t i = 0; i < N; i++)
			b[i * D + r] += e[i * D + r] - m;
	}
	cr_assert_eq(asgd_problem_create_quadratic(D, N, A, b, c, &p), ASGD_OK);
	return p;
}

/* Every preset, a few parameterised ones and the dense quadratic. */
static size_t all_problems(asgd_problem **ps)
{
	static const char *const extra[] = { "quadratic:d=7,n=5,seed=9", "fig6:d=5,seed=2",
					     "fig7:d=3", "fig8:n=7" };
	double xstar[DENSE_D];
	size_t count, k = 0;
	const char *const *names = asgd_problem_presets(&count);

	for (size_t i = 0; i < count; i++)
		ps[k++] = make(names[i]);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		ps[k++] = make(extra[i]);
	ps[k++] = make_dense(xstar);
	cr_assert_leq(k, MAXPROBLEMS);
	return k;
}

static void free_all(asgd_problem **ps, size_t k)
{
	for (size_t i = 0; i < k; i++)
		asgd_problem_destroy(ps[i]);
}

/* x0 and points spreading up to ±1.8 around it. */
static void test_point(const asgd_problem *p, int k, double *x)
{
	const double *x0 = asgd_problem_x0(p);

	for (size_t j = 0; j < asgd_problem_dim(p); j++)
		x[j] = x0[j] + 0.6 * k * sin(1.7 * (double)j + 2.3 * k);
}

/*
 * Central differences with h = 1e-5·max(1, |x_j|) err by h²|f'''|/6 (≤ 2e-9 here: |f'''| ≤ ~100
 * for the quartics at |x| ≤ 2.3) plus rounding ε·S/h, S the sum of the magnitudes of f_i's terms
 * (≤ ~1e4 for fig7's hundred quartics, so ≤ 2e-7). A tolerance of 1e-6·(1 + |g|) covers both.
 */
Test(problem, grad_i_matches_finite_differences)
{
	asgd_problem *ps[MAXPROBLEMS];
	size_t np = all_problems(ps);

	for (size_t q = 0; q < np; q++) {
		const asgd_problem *p = ps[q];
		size_t d = asgd_problem_dim(p);
		double *x = vec(d), *xh = vec(d), *g = vec(d);

		for (int k = 0; k < NPOINTS; k++) {
			test_point(p, k, x);
			for (size_t i = 0; i < asgd_problem_components(p); i++) {
				asgd_problem_grad_i(p, i, x, g);
				memcpy(xh, x, d * sizeof(*x));
				for (size_t j = 0; j < d; j++) {
					double h = 1e-5 * fmax(1, fabs(x[j])), fp, fm, fd, span;

					xh[j] = x[j] + h;
					fp = asgd_problem_fi(p, i, xh);
					span = xh[j];
					xh[j] = x[j] - h;
					fm = asgd_problem_fi(p, i, xh);
					span -= xh[j];
					xh[j] = x[j];
					fd = (fp - fm) / span;
					cr_assert(fabs(fd - g[j]) <= 1e-6 * (1 + fabs(g[j])),
						  "%s: d f_%zu/dx_%zu = %.12g, finite difference %.12g",
						  asgd_problem_spec(p), i, j, g[j], fd);
				}
			}
		}
		free(x);
		free(xh);
		free(g);
	}
	free_all(ps, np);
}

/* Both sides sum n terms: rounding ≤ n·ε·Σ|terms|, far below 1e-12 relative to the terms. */
Test(problem, f_and_grad_are_means_of_components)
{
	asgd_problem *ps[MAXPROBLEMS];
	size_t np = all_problems(ps);

	for (size_t q = 0; q < np; q++) {
		const asgd_problem *p = ps[q];
		size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);
		double *x = vec(d), *g = vec(d), *gi = vec(d), *sum = vec(d), *mag = vec(d);

		for (int k = 0; k < NPOINTS; k++) {
			double fsum = 0, fmag = 0, f;

			test_point(p, k, x);
			memset(sum, 0, d * sizeof(*sum));
			memset(mag, 0, d * sizeof(*mag));
			for (size_t i = 0; i < n; i++) {
				double fi = asgd_problem_fi(p, i, x);

				fsum += fi;
				fmag += fabs(fi);
				asgd_problem_grad_i(p, i, x, gi);
				for (size_t j = 0; j < d; j++) {
					sum[j] += gi[j];
					mag[j] += fabs(gi[j]);
				}
			}
			f = asgd_problem_f(p, x);
			cr_assert(fabs(f - fsum / n) <= 1e-12 * (1 + fmag / n),
				  "%s: f = %.15g, mean f_i = %.15g", asgd_problem_spec(p), f, fsum / n);
			asgd_problem_grad(p, x, g);
			for (size_t j = 0; j < d; j++)
				cr_assert(fabs(g[j] - sum[j] / n) <= 1e-12 * (1 + mag[j] / n),
					  "%s: grad_%zu = %.15g, mean = %.15g", asgd_problem_spec(p),
					  j, g[j], sum[j] / n);
		}
		free(x);
		free(g);
		free(gi);
		free(sum);
		free(mag);
	}
	free_all(ps, np);
}

/*
 * The covariance against a two-pass sum written here from grad_i alone. The two differ only by
 * rounding of the mean (the library takes ∇f from its closed form): ≤ ~1e-15·|g|·|dev| per term.
 */
Test(problem, covariance_matches_direct_sum)
{
	asgd_problem *ps[MAXPROBLEMS];
	size_t np = all_problems(ps);

	for (size_t q = 0; q < np; q++) {
		const asgd_problem *p = ps[q];
		size_t d = asgd_problem_dim(p), n = asgd_problem_components(p);
		double *x = vec(d), *G = vec(n * d), *m = vec(d), *cov = vec(d * d);
		double scale = 0;

		test_point(p, 2, x);
		for (size_t i = 0; i < n; i++)
			asgd_problem_grad_i(p, i, x, G + i * d);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < d; j++) {
				m[j] += G[i * d + j] / n;
				scale = fmax(scale, fabs(G[i * d + j]));
			}
		cr_assert_eq(asgd_problem_covariance(p, x, cov), ASGD_OK);
		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c < d; c++) {
				double direct = 0;

				for (size_t i = 0; i < n; i++)
					direct += (G[i * d + r] - m[r]) * (G[i * d + c] - m[c]);
				direct /= n;
				cr_assert(fabs(cov[r * d + c] - direct) <= 1e-12 * (1 + scale * scale),
					  "%s: cov[%zu][%zu] = %.15g, direct %.15g",
					  asgd_problem_spec(p), r, c, cov[r * d + c], direct);
				cr_assert_eq(cov[r * d + c], cov[c * d + r]);
			}
		free(x);
		free(G);
		free(m);
		free(cov);
	}
	free_all(ps, np);
}

/* ∇f_{1,2} = 2(x ∓ 1) around ∇f = 2x: the deviations are ∓2 wherever x is. */
Test(problem, fig4_covariance_is_four)
{
	static const double xs[] = { -3, -0.25, 0, 0.5, 1, 10 };
	asgd_problem *p = make("fig4");

	for (size_t k = 0; k < sizeof(xs) / sizeof(xs[0]); k++) {
		double cov = 0;

		cr_assert_eq(asgd_problem_covariance(p, &xs[k], &cov), ASGD_OK);
		cr_assert(fabs(cov - 4) <= 1e-12 * (1 + xs[k] * xs[k]), "cov(%g) = %.17g", xs[k], cov);
	}
	asgd_problem_destroy(p);
}

/* fig6: ∇f_i − ∇f = ∓1, so the covariance is the all-ones matrix; fig8: Var(c_i) = (n²−1)/(48n²). */
Test(problem, covariance_closed_forms)
{
	asgd_problem *p = make("fig6:d=6");
	double x[6] = { 0.3, -1, 2, 0, 5, -7 }, cov[36], c8, n = 100;

	cr_assert_eq(asgd_problem_covariance(p, x, cov), ASGD_OK);
	for (size_t k = 0; k < 36; k++)
		cr_assert(fabs(cov[k] - 1) <= 1e-14, "cov[%zu] = %.17g", k, cov[k]);
	asgd_problem_destroy(p);

	p = make("fig8");
	cr_assert_eq(asgd_problem_covariance(p, x, &c8), ASGD_OK);
	cr_assert(fabs(c8 - (n * n - 1) / (48 * n * n)) <= 1e-14, "cov = %.17g", c8);
	asgd_problem_destroy(p);

	cr_assert_eq(asgd_problem_covariance(NULL, x, cov), ASGD_EINVAL);
}

/* The means the figure captions state (fig7's up to docs/ERRATA.md §9's constant Σc_j/2). */
Test(problem, means_match_the_paper)
{
	asgd_problem *p4 = make("fig4"), *p5 = make("fig5-quartic"), *pw = make("fig5-doublewell");
	asgd_problem *p7 = make("fig7"), *p8 = make("fig8");
	double c[100], zero[100] = { 0 }, g[100], x[100], want = 0;

	for (double t = -2.5; t <= 2.5; t += 0.25) {
		double w = 1 - exp(-(t - 1) * (t - 1)) - exp(-(t + 1) * (t + 1)), s8 = 0;

		cr_assert(fabs(asgd_problem_f(p4, &t) - t * t) <= 1e-13 * (1 + t * t));
		cr_assert(fabs(asgd_problem_f(p5, &t) - (t * t * t * t + 6 * t * t)) <=
			  1e-13 * (1 + t * t * t * t));
		cr_assert(fabs(asgd_problem_f(pw, &t) - w) <= 1e-14, "doublewell f(%g)", t);
		for (int i = 1; i <= 100; i++) {
			double ci = -0.5 + i / 200.0;

			s8 += 0.5 * (t - ci) * (t - ci) / 100;
		}
		cr_assert(fabs(asgd_problem_f(p8, &t) - s8) <= 1e-13 * (1 + s8));
	}
	/* fig7's ∇f_1(0)_j = 2c_j(0 − 1)³ = −2c_j */
	asgd_problem_grad_i(p7, 0, zero, g);
	for (size_t j = 0; j < 100; j++) {
		c[j] = -g[j] / 2;
		x[j] = 0.5 + 0.01 * j;
		want += c[j] * (pow(x[j], 4) + 6 * x[j] * x[j] + 1) / 2;
	}
	cr_assert(fabs(asgd_problem_f(p7, x) - want) <= 1e-12 * want, "fig7 f = %.15g, want %.15g",
		  asgd_problem_f(p7, x), want);
	asgd_problem_destroy(p4);
	asgd_problem_destroy(p5);
	asgd_problem_destroy(pw);
	asgd_problem_destroy(p7);
	asgd_problem_destroy(p8);
}

/*
 * ∇f(x*) ≈ 0 for every problem. The root finds stop at adjacent doubles, so |∇f(x*)| is about
 * f''·ε·|x*| plus rounding of the sum; 1e-9 is far above that and far below any real error.
 */
Test(problem, minimizers_are_stationary)
{
	asgd_problem *ps[MAXPROBLEMS];
	size_t np = all_problems(ps);

	for (size_t q = 0; q < np; q++) {
		const asgd_problem *p = ps[q];
		size_t d = asgd_problem_dim(p);
		double *x = vec(d), *g = vec(d), *y = vec(d);

		cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK, "%s", asgd_problem_spec(p));
		asgd_problem_grad(p, x, g);
		for (size_t j = 0; j < d; j++)
			cr_assert(fabs(g[j]) <= 1e-9, "%s: grad_%zu f(x*) = %g", asgd_problem_spec(p),
				  j, g[j]);
		/* and a minimum: no coordinate step of 1e-3 goes lower */
		for (size_t j = 0; j < d; j++) {
			memcpy(y, x, d * sizeof(*x));
			y[j] += 1e-3;
			cr_assert_geq(asgd_problem_f(p, y), asgd_problem_f(p, x));
			y[j] -= 2e-3;
			cr_assert_geq(asgd_problem_f(p, y), asgd_problem_f(p, x));
		}
		free(x);
		free(g);
		free(y);
	}
	free_all(ps, np);
}

Test(problem, known_minimizers)
{
	static const char *const zeros[] = { "fig4", "fig5-quartic", "fig6", "fig7" };
	double x[100], ms[4];
	size_t count = 99;
	asgd_problem *p;

	for (size_t k = 0; k < sizeof(zeros) / sizeof(zeros[0]); k++) {
		p = make(zeros[k]);
		cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
		for (size_t j = 0; j < asgd_problem_dim(p); j++)
			cr_assert(fabs(x[j]) <= 1e-15, "%s: x*_%zu = %g", zeros[k], j, x[j]);
		cr_assert_eq(asgd_problem_local_minima(p, NULL, 0, &count), ASGD_OK);
		cr_assert_eq(count, 1);
		asgd_problem_destroy(p);
	}

	/* fig8: mean of c_i = −1/2 + (n+1)/(4n) */
	p = make("fig8");
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert(fabs(x[0] - (-0.5 + 101.0 / 400)) <= 1e-15, "fig8 x* = %.17g", x[0]);
	asgd_problem_destroy(p);

	/* fig5-doublewell: ±0.9575 (the paper's four decimals), the positive one global */
	p = make("fig5-doublewell");
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_assert(fabs(x[0] - 0.9575) < 5e-5, "x* = %.17g", x[0]);
	cr_assert(fabs(x[0] - DWELL_MIN) <= 1e-12, "x* = %.17g", x[0]);
	cr_assert_eq(asgd_problem_local_minima(p, NULL, 0, &count), ASGD_OK);
	cr_assert_eq(count, 2);
	ms[2] = 123;
	cr_assert_eq(asgd_problem_local_minima(p, ms, 1, &count), ASGD_OK);
	cr_assert_eq(count, 2);
	cr_assert(fabs(ms[0] + DWELL_MIN) <= 1e-12, "first minimum %.17g", ms[0]);
	cr_assert_eq(asgd_problem_local_minima(p, ms, 4, &count), ASGD_OK);
	cr_assert_eq(count, 2);
	cr_assert(fabs(ms[0] + 0.9575) < 5e-5 && fabs(ms[1] - 0.9575) < 5e-5, "%g %g", ms[0], ms[1]);
	cr_assert_eq(asgd_problem_local_minima(p, NULL, 1, &count), ASGD_EINVAL);
	asgd_problem_destroy(p);
}

Test(problem, dense_quadratic)
{
	double xstar[DENSE_D], x[DENSE_D], g[DENSE_D];
	asgd_problem *p = make_dense(xstar);
	size_t count = 0;

	cr_assert_str_eq(asgd_problem_name(p), "custom-quadratic");
	cr_assert_eq(asgd_problem_dim(p), DENSE_D);
	cr_assert_eq(asgd_problem_components(p), DENSE_N);
	/* κ(Ā) is small here (Ā ⪰ ½I, entries O(1)): the solve is good to ~1e-14 */
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	for (size_t j = 0; j < DENSE_D; j++)
		cr_assert(fabs(x[j] - xstar[j]) <= 1e-12, "x*_%zu = %.17g, want %.17g", j, x[j],
			  xstar[j]);
	cr_assert_eq(asgd_problem_local_minima(p, x, 1, &count), ASGD_OK);
	cr_assert_eq(count, 1);
	asgd_problem_destroy(p);

	/* copies its input; c = NULL is zero; an indefinite Ā has no minimizer */
	double A[4] = { -1, 0, 0, 2 }, b[2] = { 1, 1 }, zero[2] = { 0, 0 }, keep[2] = { 7, 7 };

	cr_assert_eq(asgd_problem_create_quadratic(2, 1, A, b, NULL, &p), ASGD_OK);
	A[0] = 100;
	b[0] = 100;
	asgd_problem_grad_i(p, 0, (double[]){ 1, 1 }, g);
	cr_assert(g[0] == -2 && g[1] == 1, "g = %g %g", g[0], g[1]);
	cr_assert_eq(asgd_problem_fi(p, 0, zero), 0);
	cr_assert_eq(asgd_problem_minimizer(p, keep), ASGD_ENOTFOUND);
	cr_assert(keep[0] == 7 && keep[1] == 7);
	cr_assert_eq(asgd_problem_local_minima(p, NULL, 0, &count), ASGD_ENOTFOUND);
	asgd_problem_destroy(p);
}

Test(problem, create_quadratic_rejects_bad_input)
{
	double A[1] = { 1 }, b[1] = { 0 }, bad[1] = { NAN };
	asgd_problem *p = (asgd_problem *)&p;	/* a sentinel: must stay untouched */

	cr_assert_eq(asgd_problem_create_quadratic(0, 1, A, b, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 0, A, b, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, NULL, b, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, A, NULL, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, A, b, NULL, NULL), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, bad, b, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, A, bad, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic(1, 1, A, b, bad, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create_quadratic((size_t)1 << 33, 1, A, b, NULL, &p), ASGD_EINVAL);
	cr_assert_eq(p, (asgd_problem *)&p);
}

Test(problem, presets_defaults)
{
	static const struct {
		const char *name;
		size_t dim, n;
		double x0, eta, mu;
		uint64_t iters;
		const char *spec;
	} want[] = {
		{ "fig4", 1, 2, 1, 1e-2, 0.9, 1000, "fig4" },
		{ "fig5-quartic", 1, 2, 1, 1e-3, 0.95, 2000, "fig5-quartic" },
		{ "fig5-doublewell", 1, 2, 0.1, 1e-2, 0.95, 1000, "fig5-doublewell" },
		{ "fig6", 100, 2, 0.5, 1e-2, 0.9, 1000, "fig6:d=100,seed=6" },
		{ "fig7", 100, 2, 0.5, 1e-3, 0.9, 1000, "fig7:d=100,seed=7" },
		{ "fig8", 1, 100, 1, 2e-2, 0, 1000, "fig8:n=100" },
		{ "quadratic", 10, 10, 1, 1e-2, 0, 1000, "quadratic:d=10,n=10,seed=1" },
	};
	size_t count = 0;
	const char *const *names = asgd_problem_presets(&count);

	cr_assert_eq(count, sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k < count; k++) {
		asgd_problem *p = make(names[k]);
		const double *x0 = asgd_problem_x0(p);

		cr_assert_str_eq(names[k], want[k].name);
		cr_assert_str_eq(asgd_problem_name(p), want[k].name);
		cr_assert_str_eq(asgd_problem_spec(p), want[k].spec);
		cr_assert_eq(asgd_problem_dim(p), want[k].dim, "%s", names[k]);
		cr_assert_eq(asgd_problem_components(p), want[k].n, "%s", names[k]);
		for (size_t j = 0; j < want[k].dim; j++)
			cr_assert_eq(x0[j], want[k].x0, "%s", names[k]);
		cr_assert_eq(asgd_problem_default_eta(p), want[k].eta, "%s", names[k]);
		cr_assert_eq(asgd_problem_default_mu(p), want[k].mu, "%s", names[k]);
		cr_assert_eq(asgd_problem_default_iters(p), want[k].iters, "%s", names[k]);
		cr_assert_not_null(asgd_problem_describe(names[k]));
		asgd_problem_destroy(p);
	}
	cr_assert_null(asgd_problem_describe("fig9"));
	cr_assert_null(asgd_problem_describe("quadratic:d=3"));
	cr_assert_null(asgd_problem_describe(NULL));
	cr_assert_eq(asgd_problem_presets(NULL), names);
}

/* The canonical spec names the same problem again; parameters take effect. */
Test(problem, spec_parameters)
{
	asgd_problem *p = make("quadratic:d=1000,n=10,seed=3"), *q;
	double *x = vec(1000), *g = vec(1000), *h = vec(1000);

	cr_assert_eq(asgd_problem_dim(p), 1000);
	cr_assert_eq(asgd_problem_components(p), 10);
	cr_assert_str_eq(asgd_problem_spec(p), "quadratic:d=1000,n=10,seed=3");
	q = make(asgd_problem_spec(p));
	for (size_t i = 0; i < 10; i++) {
		asgd_problem_grad_i(p, i, asgd_problem_x0(p), g);
		asgd_problem_grad_i(q, i, asgd_problem_x0(q), h);
		cr_assert_arr_eq(g, h, 1000 * sizeof(*g));
	}
	asgd_problem_destroy(q);
	q = make("quadratic:seed=4,n=10,d=1000");	/* any order; another seed, another problem */
	asgd_problem_grad_i(q, 0, asgd_problem_x0(q), h);
	asgd_problem_grad_i(p, 0, asgd_problem_x0(p), g);
	cr_assert_neq(memcmp(g, h, 1000 * sizeof(*g)), 0);
	asgd_problem_destroy(q);
	asgd_problem_destroy(p);

	p = make("fig8:n=7");
	cr_assert_eq(asgd_problem_components(p), 7);
	cr_assert_str_eq(asgd_problem_spec(p), "fig8:n=7");
	asgd_problem_destroy(p);
	p = make("fig6:d=5");
	cr_assert_eq(asgd_problem_dim(p), 5);
	cr_assert_str_eq(asgd_problem_spec(p), "fig6:d=5,seed=6");
	asgd_problem_destroy(p);
	free(x);
	free(g);
	free(h);
}

Test(problem, spec_errors)
{
	static const char *const unknown[] = { "fig9", "", "FIG4", "fig4x", "quadratic2:d=3",
					       ":d=3", "fig" };
	static const char *const bad[] = {
		"quadratic:d=0", "quadratic:zz=1", "quadratic:d=abc", "quadratic:", "quadratic:d=",
		"quadratic:d=3,d=4", "quadratic:d=-1", "quadratic:d=+1", "quadratic:d=1,",
		"quadratic:,d=1", "quadratic:d=3 ", "quadratic:d", "quadratic:n=0", "fig4:seed=1",
		"fig8:d=3", "fig6:n=3", "quadratic:d=99999999999999999999999",
		"quadratic:d=4294967296,n=4294967296", "quadratic:d=4611686018427387904,n=1",
		"fig6:d=0x10", "quadratic:seed=1.5",
	};
	asgd_problem *p = (asgd_problem *)&p;	/* a sentinel: must stay untouched */

	for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
		cr_assert_eq(asgd_problem_create(unknown[k], &p), ASGD_ENOTFOUND, "\"%s\"", unknown[k]);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		cr_assert_eq(asgd_problem_create(bad[k], &p), ASGD_EINVAL, "\"%s\"", bad[k]);
	cr_assert_eq(asgd_problem_create(NULL, &p), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create("fig4", NULL), ASGD_EINVAL);
	cr_assert_eq(p, (asgd_problem *)&p);
}

/*
 * fig6's c_j = ∇f_1(1)_j + 1. Two creates give the same bits; the values are U[0, 5): over
 * d = 10⁴ the mean has SE 5/√12/100 = 0.0144 and the variance (25/12) has SE
 * √((μ₄ − σ⁴)/d) = √((625/80 − (25/12)²)/10⁴) = 0.0186; assert within 4 SE.
 */
Test(problem, fig6_is_deterministic_and_uniform)
{
	enum { D = 10000 };
	asgd_problem *p = make("fig6:d=10000"), *q = make("fig6:d=10000");
	asgd_problem *r = make("fig6:d=10000,seed=8");
	double *ones = vec(D), *c = vec(D), *c2 = vec(D), m = 0, v = 0;

	for (size_t j = 0; j < D; j++)
		ones[j] = 1;
	asgd_problem_grad_i(p, 0, ones, c);
	asgd_problem_grad_i(q, 0, ones, c2);
	cr_assert_arr_eq(c, c2, D * sizeof(*c));
	asgd_problem_grad_i(r, 0, ones, c2);
	cr_assert_neq(memcmp(c, c2, D * sizeof(*c)), 0);
	for (size_t j = 0; j < D; j++) {
		c[j] += 1;
		cr_assert(c[j] >= 0 && c[j] < 5, "c_%zu = %g", j, c[j]);
		m += c[j] / D;
	}
	for (size_t j = 0; j < D; j++)
		v += (c[j] - m) * (c[j] - m) / (D - 1);
	cr_assert(fabs(m - 2.5) < 4 * 0.0144, "mean c = %g", m);
	cr_assert(fabs(v - 25.0 / 12) < 4 * 0.0186, "var c = %g", v);
	asgd_problem_destroy(p);
	asgd_problem_destroy(q);
	asgd_problem_destroy(r);
	free(ones);
	free(c);
	free(c2);
}

/*
 * quadratic:d=1000,n=10: a_j = ∇f_i(1)_j − ∇f_i(0)_j ∈ [0.5, 2] with mean 1.25 (SE
 * 1.5/√12/√1000 = 0.0137); b_ij = −∇f_i(0)_j are 10⁴ N(0, 1) draws: mean SE 0.01, variance SE
 * √(2/10⁴) = 0.0141, P(|b| < 1) = 0.6827 with SE √(0.6827·0.3173/10⁴) = 0.00465; all within 4 SE.
 */
Test(problem, quadratic_preset_distributions)
{
	enum { D = 1000, N = 10 };
	asgd_problem *p = make("quadratic:d=1000,n=10");
	double *zero = vec(D), *ones = vec(D), *g0 = vec(D), *g1 = vec(D);
	double am = 0, bm = 0, bv = 0, inside = 0;

	for (size_t j = 0; j < D; j++)
		ones[j] = 1;
	for (size_t i = 0; i < N; i++) {
		asgd_problem_grad_i(p, i, zero, g0);
		asgd_problem_grad_i(p, i, ones, g1);
		for (size_t j = 0; j < D; j++) {
			double a = g1[j] - g0[j], b = -g0[j];

			cr_assert(a >= 0.5 - 1e-12 && a <= 2 + 1e-12, "a_%zu = %g", j, a);
			if (i == 0)
				am += a / D;
			bm += b / (D * N);
			bv += b * b / (D * N);
			inside += fabs(b) < 1 ? 1.0 / (D * N) : 0;
		}
	}
	cr_assert(fabs(am - 1.25) < 4 * 0.0137, "mean a = %g", am);
	cr_assert(fabs(bm) < 4 * 0.01, "mean b = %g", bm);
	cr_assert(fabs(bv - bm * bm - 1) < 4 * 0.0141, "var b = %g", bv - bm * bm);
	cr_assert(fabs(inside - 0.6827) < 4 * 0.00465, "P(|b| < 1) = %g", inside);
	asgd_problem_destroy(p);
	free(zero);
	free(ones);
	free(g0);
	free(g1);
}
