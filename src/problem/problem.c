/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * problem.c — the objectives that ASGD minimises, f = (1/n) Σ_i f_i: values, component gradients
 * (the hot path of every algorithm), the full gradient, the component-gradient covariance and
 * known minimizers; the paper's presets (Figures 4–8), a large diagonal quadratic for benchmarks,
 * and dense quadratics from user data.
 *
 * Each family of objectives is a small table of functions over the family's arrays. Every array
 * lives in one allocation right behind the struct, so a problem is one malloc and one free, and
 * nothing changes after creation: concurrent readers need no locks.
 */
#include "asgd/problem.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/rng.h"
#include "problem_internal.h"
#include "core/linalg_internal.h"
#include "core/stop_internal.h"

/* ---------------------------------------------------------------------------------------------
 * The problem object
 */

void asgd__problem_need(struct layout *l, size_t a, size_t b)
{
	size_t ab;

	if (__builtin_mul_overflow(a, b, &ab) || __builtin_add_overflow(l->count, ab, &l->count))
		l->ok = false;
}

double *asgd__problem_take(double **cursor, size_t count)
{
	double *r = *cursor;

	*cursor += count;
	return r;
}

/*
 * One allocation for the struct, x0 (dim doubles, counted here) and l->count more doubles;
 * *cursor points at the first of those. ASGD_EINVAL when the sizes overflow.
 */
int asgd__problem_alloc(const struct family *fam, size_t dim, size_t n, struct layout l,
			asgd_problem **out, double **cursor)
{
	asgd_problem *p;
	size_t bytes;

	asgd__problem_need(&l, 1, dim);
	if (!l.ok || __builtin_mul_overflow(l.count, sizeof(double), &bytes) ||
	    __builtin_add_overflow(bytes, sizeof(*p), &bytes))
		return ASGD_EINVAL;
	p = calloc(1, bytes);
	if (!p)
		return ASGD_ENOMEM;
	p->fam = fam;
	p->dim = dim;
	p->n = n;
	p->max_support = dim;
	*cursor = p->mem;
	p->x0 = asgd__problem_take(cursor, dim);
	*out = p;
	return ASGD_OK;
}

/* The root of F on [lo, hi], given F(lo) < 0 ≤ F(hi), to about the last bit. */
static double bisect(double (*F)(const asgd_problem *p, double x), const asgd_problem *p,
		     double lo, double hi)
{
	for (int it = 0; it < 200; it++) {
		double mid = lo + (hi - lo) / 2;

		if (mid <= lo || mid >= hi)
			break;
		if (F(p, mid) < 0)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static void minmax(const double *v, size_t n, double *lo, double *hi)
{
	*lo = *hi = v[0];
	for (size_t i = 1; i < n; i++) {
		*lo = fmin(*lo, v[i]);
		*hi = fmax(*hi, v[i]);
	}
}

static double mean(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

/* ---------------------------------------------------------------------------------------------
 * shift1d: f_i(x) = w·φ(x − c_i) + k
 */

static double phi(enum profile prof, double u)
{
	switch (prof) {
	case PROF_SQUARE:
		return u * u;
	case PROF_QUARTIC:
		return u * u * u * u;
	case PROF_WELL:
		return -exp(-u * u);
	}
	return NAN;
}

static double dphi(enum profile prof, double u)
{
	switch (prof) {
	case PROF_SQUARE:
		return 2 * u;
	case PROF_QUARTIC:
		return 4 * u * u * u;
	case PROF_WELL:
		return 2 * u * exp(-u * u);
	}
	return NAN;
}

static double s1_fi(const asgd_problem *p, size_t i, const double *x)
{
	const struct shift1d *s = &p->u.s1;

	return s->w * phi(s->prof, x[0] - s->center[i]) + s->k;
}

static void s1_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	const struct shift1d *s = &p->u.s1;

	g[0] = s->w * dphi(s->prof, x[0] - s->center[i]);
}

static double s1_fprime(const asgd_problem *p, double x)
{
	const struct shift1d *s = &p->u.s1;
	double sum = 0;

	for (size_t i = 0; i < p->n; i++)
		sum += dphi(s->prof, x - s->center[i]);
	return s->w * sum / (double)p->n;
}

static void s1_grad(const asgd_problem *p, const double *x, double *g)
{
	g[0] = s1_fprime(p, x[0]);
}

static double s1_f(const asgd_problem *p, double x)
{
	return asgd_problem_f(p, &x);
}

/*
 * The local minima of f, in increasing order: up to cap into xs, the deepest into *best (ties to
 * the largest); returns how many there are. φ' has the sign of u for every profile, so f' < 0
 * left of every centre and > 0 right of every centre: all critical points lie between the
 * extreme centres, and the minima are where f' crosses from − to +. A grid of SCAN_CELLS finds
 * every minimum whose neighbouring critical points are at least a cell away.
 */
#define SCAN_CELLS 4096
static size_t s1_scan(const asgd_problem *p, double *xs, size_t cap, double *best)
{
	double lo, hi, fbest = INFINITY;
	size_t count = 0;

	minmax(p->u.s1.center, p->n, &lo, &hi);
	if (lo == hi) {
		if (cap > 0)
			xs[0] = lo;
		*best = lo;
		return 1;
	}
	double step = (hi - lo) / SCAN_CELLS, a = lo, fa = s1_fprime(p, a);
	for (int c = 1; c <= SCAN_CELLS; c++) {
		double b = c == SCAN_CELLS ? hi : lo + c * step, fb = s1_fprime(p, b);

		if (fa < 0 && fb >= 0) {
			double r = fb == 0 ? b : bisect(s1_fprime, p, a, b), fr = s1_f(p, r);

			if (count < cap)
				xs[count] = r;
			count++;
			if (fr <= fbest + 1e-12 * (1 + fabs(fbest))) {
				fbest = fmin(fr, fbest);
				*best = r;
			}
		}
		a = b;
		fa = fb;
	}
	return count;
}

static int s1_minimizer(const asgd_problem *p, double *x, const atomic_int *stop)
{
	(void)stop;
	if (p->u.s1.prof == PROF_SQUARE)
		x[0] = mean(p->u.s1.center, p->n);
	else
		s1_scan(p, NULL, 0, x);
	return ASGD_OK;
}

static int s1_local_minima(const asgd_problem *p, double *x, size_t cap, size_t *count)
{
	double best;

	if (p->u.s1.prof == PROF_SQUARE) {
		if (cap > 0)
			s1_minimizer(p, x, NULL);
		*count = 1;
	} else {
		*count = s1_scan(p, x, cap, &best);
	}
	return ASGD_OK;
}

static const struct family shift1d_family = {
	.fi = s1_fi,
	.grad_i = s1_grad_i,
	.grad = s1_grad,
	.minimizer = s1_minimizer,
	.local_minima = s1_local_minima,
};

/* ---------------------------------------------------------------------------------------------
 * diagquad: f_i(x) = Σ_j (½ a_j x_j² − b_ij x_j) + c_i
 */

static double dq_fi(const asgd_problem *p, size_t i, const double *x)
{
	const struct diagquad *q = &p->u.dq;
	const double *bi = q->b + i * p->dim;
	double sum = 0;

	for (size_t j = 0; j < p->dim; j++)
		sum += (0.5 * q->a[j] * x[j] - bi[j]) * x[j];
	return sum + q->c[i];
}

static void dq_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	const struct diagquad *q = &p->u.dq;
	const double *bi = q->b + i * p->dim;

	for (size_t j = 0; j < p->dim; j++)
		g[j] = q->a[j] * x[j] - bi[j];
}

static void dq_grad(const asgd_problem *p, const double *x, double *g)
{
	const struct diagquad *q = &p->u.dq;

	for (size_t j = 0; j < p->dim; j++)
		g[j] = q->a[j] * x[j] - q->bbar[j];
}

static int dq_minimizer(const asgd_problem *p, double *x, const atomic_int *stop)
{
	const struct diagquad *q = &p->u.dq;

	(void)stop;
	for (size_t j = 0; j < p->dim; j++)
		if (!(q->a[j] > 0))
			return ASGD_ENOTFOUND;
	for (size_t j = 0; j < p->dim; j++)
		x[j] = q->bbar[j] / q->a[j];
	return ASGD_OK;
}

static const struct family diagquad_family = {
	.fi = dq_fi,
	.grad_i = dq_grad_i,
	.grad = dq_grad,
	.minimizer = dq_minimizer,
};

/* ---------------------------------------------------------------------------------------------
 * sepquartic: f_i(x) = Σ_j coef_j (x_j − s_i)⁴/2 − s_i
 */

static double sq_fi(const asgd_problem *p, size_t i, const double *x)
{
	const struct sepquartic *q = &p->u.sq;
	double s = q->s[i], sum = 0;

	for (size_t j = 0; j < p->dim; j++) {
		double u = x[j] - s;

		sum += q->coef[j] * (u * u) * (u * u);
	}
	return 0.5 * sum - s;
}

static void sq_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	const struct sepquartic *q = &p->u.sq;
	double s = q->s[i];

	for (size_t j = 0; j < p->dim; j++) {
		double u = x[j] - s;

		g[j] = 2 * q->coef[j] * u * u * u;
	}
}

/* (1/n) Σ_i (x − s_i)³: ∂f/∂x_j is 2 coef_j times this at x = x_j. */
static double sq_cubic(const asgd_problem *p, double x)
{
	double sum = 0;

	for (size_t i = 0; i < p->n; i++) {
		double u = x - p->u.sq.s[i];

		sum += u * u * u;
	}
	return sum / (double)p->n;
}

static void sq_grad(const asgd_problem *p, const double *x, double *g)
{
	for (size_t j = 0; j < p->dim; j++)
		g[j] = 2 * p->u.sq.coef[j] * sq_cubic(p, x[j]);
}

/* f is separable and every coordinate's derivative has the same increasing root. */
static int sq_minimizer(const asgd_problem *p, double *x, const atomic_int *stop)
{
	double lo, hi, r;

	(void)stop;
	for (size_t j = 0; j < p->dim; j++)
		if (!(p->u.sq.coef[j] > 0))
			return ASGD_ENOTFOUND;
	minmax(p->u.sq.s, p->n, &lo, &hi);
	r = lo == hi ? lo : bisect(sq_cubic, p, lo, hi);
	for (size_t j = 0; j < p->dim; j++)
		x[j] = r;
	return ASGD_OK;
}

static const struct family sepquartic_family = {
	.fi = sq_fi,
	.grad_i = sq_grad_i,
	.grad = sq_grad,
	.minimizer = sq_minimizer,
};

/* ---------------------------------------------------------------------------------------------
 * densequad: f_i(x) = ½ xᵀA_i x − b_iᵀx + c_i
 */

/* y = A x − b for a dim×dim row-major A. */
static void affine(const double *A, const double *b, size_t d, const double *x, double *y)
{
	for (size_t r = 0; r < d; r++) {
		const double *row = A + r * d;
		double sum = 0;

		for (size_t c = 0; c < d; c++)
			sum += row[c] * x[c];
		y[r] = sum - b[r];
	}
}

static double qd_fi(const asgd_problem *p, size_t i, const double *x)
{
	const struct densequad *q = &p->u.qd;
	size_t d = p->dim;
	const double *Ai = q->A + i * d * d, *bi = q->b + i * d;
	double sum = 0;

	for (size_t r = 0; r < d; r++) {
		double Ax = 0;

		for (size_t c = 0; c < d; c++)
			Ax += Ai[r * d + c] * x[c];
		sum += x[r] * (0.5 * Ax - bi[r]);
	}
	return sum + q->c[i];
}

static void qd_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	size_t d = p->dim;

	affine(p->u.qd.A + i * d * d, p->u.qd.b + i * d, d, x, g);
}

static void qd_grad(const asgd_problem *p, const double *x, double *g)
{
	affine(p->u.qd.Abar, p->u.qd.bbar, p->dim, x, g);
}

static int qd_minimizer(const asgd_problem *p, double *x, const atomic_int *stop)
{
	size_t d = p->dim;
	double *L = malloc((d * d + d) * sizeof(*L)), *sol = L + d * d;
	int rc;

	if (!L)
		return ASGD_ENOMEM;
	memcpy(L, p->u.qd.Abar, d * d * sizeof(*L));
	memcpy(sol, p->u.qd.bbar, d * sizeof(*sol));
	/* Ā x* = b̄ by Cholesky (the shared one: GSL's default error handler would abort the process
	 * on a matrix that is not positive definite, and switching it off is process-wide state). */
	rc = asgd__cholesky(L, d, stop);
	if (rc == ASGD_OK) {
		asgd__cholesky_solve(L, d, sol);
		memcpy(x, sol, d * sizeof(*x));
	}
	free(L);
	return rc;
}

static const struct family densequad_family = {
	.fi = qd_fi,
	.grad_i = qd_grad_i,
	.grad = qd_grad,
	.minimizer = qd_minimizer,
};

/* ---------------------------------------------------------------------------------------------
 * Coefficients: a private splitmix64 stream, so that a preset is the same problem everywhere
 * whatever the rng module does. This is a deliberate copy of rng.c's splitmix64: it must stay
 * separate, since a change to the random streams must never change a preset's coefficients.
 */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform on [0, 1). */
static double uniform(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

/* Standard normal by Box–Muller; the first factor is in (0, 1] so that the log is finite. */
static double normal(uint64_t *state)
{
	double u1 = (double)((splitmix64(state) >> 11) + 1) * 0x1.0p-53;
	double u2 = uniform(state);

	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* ---------------------------------------------------------------------------------------------
 * Presets and their specs
 */

enum { KEY_D = 1, KEY_N = 2, KEY_SEED = 4 };

struct params {
	uint64_t d, n, seed;
};

struct preset {
	const char *name, *desc;
	unsigned keys;			/* the parameters it accepts */
	struct params def;		/* their defaults */
	int (*build)(const struct preset *ps, const struct params *pa, asgd_problem **out);
	double x0, eta, mu;		/* x0 is x0·(1, ..., 1) */
	uint64_t iters;
	enum profile prof;		/* shift1d presets: f_i = w·φ(x − c_i) + k */
	double w, k;
};

static int alloc_preset(const struct preset *ps, const struct family *fam, size_t dim, size_t n,
			struct layout l, asgd_problem **out, double **cursor)
{
	int rc = asgd__problem_alloc(fam, dim, n, l, out, cursor);

	if (rc)
		return rc;
	for (size_t j = 0; j < dim; j++)
		(*out)->x0[j] = ps->x0;
	(*out)->eta = ps->eta;
	(*out)->mu = ps->mu;
	(*out)->iters = ps->iters;
	return ASGD_OK;
}

/* fig4, fig5-*: f_{1,2}(x) = w·φ(x ∓ 1) + k. */
static int build_pair1d(const struct preset *ps, const struct params *pa, asgd_problem **out)
{
	struct layout l = { 0, true };
	asgd_problem *p;
	double *cur, *center;
	int rc;

	(void)pa;	/* these presets take no parameters */
	asgd__problem_need(&l, 2, 1);
	rc = alloc_preset(ps, &shift1d_family, 1, 2, l, &p, &cur);
	if (rc)
		return rc;
	center = asgd__problem_take(&cur, 2);
	center[0] = 1;
	center[1] = -1;
	p->u.s1 = (struct shift1d){ .prof = ps->prof, .w = ps->w, .k = ps->k, .center = center };
	*out = p;
	return ASGD_OK;
}

/* fig8: f_i(x) = ½(x − c_i)², c_i = −1/2 + i/(2n), i = 1..n. */
static int build_fig8(const struct preset *ps, const struct params *pa, asgd_problem **out)
{
	struct layout l = { 0, true };
	asgd_problem *p;
	double *cur, *center;
	size_t n = pa->n;
	int rc;

	asgd__problem_need(&l, n, 1);
	rc = alloc_preset(ps, &shift1d_family, 1, n, l, &p, &cur);
	if (rc)
		return rc;
	center = asgd__problem_take(&cur, n);
	for (size_t i = 0; i < n; i++)
		center[i] = -0.5 + (double)(i + 1) / (2.0 * (double)n);
	p->u.s1 = (struct shift1d){ .prof = ps->prof, .w = ps->w, .k = ps->k, .center = center };
	*out = p;
	return ASGD_OK;
}

/* Lays out a diagonal quadratic with zero constants; a, b and bbar are filled by the caller. */
static int alloc_diagquad(const struct preset *ps, size_t d, size_t n, asgd_problem **out)
{
	struct layout l = { 0, true };
	asgd_problem *p;
	double *cur;
	int rc;

	asgd__problem_need(&l, 2, d);		/* a, bbar */
	asgd__problem_need(&l, n, d);		/* b */
	asgd__problem_need(&l, n, 1);		/* c */
	rc = alloc_preset(ps, &diagquad_family, d, n, l, &p, &cur);
	if (rc)
		return rc;
	p->u.dq.a = asgd__problem_take(&cur, d);
	p->u.dq.bbar = asgd__problem_take(&cur, d);
	p->u.dq.b = asgd__problem_take(&cur, n * d);
	p->u.dq.c = asgd__problem_take(&cur, n);	/* zero, from calloc */
	*out = p;
	return ASGD_OK;
}

static void fill_bbar(asgd_problem *p, double *bbar)
{
	size_t d = p->dim;

	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < d; j++)
			bbar[j] += p->u.dq.b[i * d + j];
	for (size_t j = 0; j < d; j++)
		bbar[j] /= (double)p->n;
}

/* fig6: f_{1,2}(x) = Σ_j c_j x_j²/2 ∓ Σ_j x_j (docs/ERRATA.md §9: caption's "∓x" is ∓Σx_j), c_j ~ U[0, 5]. */
static int build_fig6(const struct preset *ps, const struct params *pa, asgd_problem **out)
{
	size_t d = pa->d;
	uint64_t state = pa->seed;
	asgd_problem *p;
	double *a, *b;
	int rc = alloc_diagquad(ps, d, 2, &p);

	if (rc)
		return rc;
	a = (double *)p->u.dq.a;
	b = (double *)p->u.dq.b;
	for (size_t j = 0; j < d; j++) {
		a[j] = 5 * uniform(&state);
		b[j] = 1;
		b[d + j] = -1;
	}
	fill_bbar(p, (double *)p->u.dq.bbar);
	*out = p;
	return ASGD_OK;
}

/* quadratic: f_i(x) = ½ Σ_j a_j x_j² − b_i·x, a_j ~ U[0.5, 2], b_ij ~ N(0, 1). */
static int build_quadratic(const struct preset *ps, const struct params *pa, asgd_problem **out)
{
	size_t d = pa->d, n = pa->n;
	uint64_t state = pa->seed;
	asgd_problem *p;
	double *a, *b;
	int rc = alloc_diagquad(ps, d, n, &p);

	if (rc)
		return rc;
	a = (double *)p->u.dq.a;
	b = (double *)p->u.dq.b;
	for (size_t j = 0; j < d; j++)
		a[j] = 0.5 + 1.5 * uniform(&state);
	for (size_t k = 0; k < n * d; k++)
		b[k] = normal(&state);
	fill_bbar(p, (double *)p->u.dq.bbar);
	*out = p;
	return ASGD_OK;
}

/*
 * fig7: f_{1,2}(x) = Σ_j c_j (x_j ∓ 1)⁴/2 ∓ 1, c_j ~ U[0, 5], as the caption states them; their
 * mean is Σ c_j (x_j⁴ + 6x_j² + 1)/2, not the caption's f (docs/ERRATA.md §9: off by Σ c_j/2).
 */
static int build_fig7(const struct preset *ps, const struct params *pa, asgd_problem **out)
{
	struct layout l = { 0, true };
	size_t d = pa->d;
	uint64_t state = pa->seed;
	asgd_problem *p;
	double *cur, *coef, *s;
	int rc;

	asgd__problem_need(&l, 1, d);
	asgd__problem_need(&l, 2, 1);
	rc = alloc_preset(ps, &sepquartic_family, d, 2, l, &p, &cur);
	if (rc)
		return rc;
	coef = asgd__problem_take(&cur, d);
	s = asgd__problem_take(&cur, 2);
	for (size_t j = 0; j < d; j++)
		coef[j] = 5 * uniform(&state);
	s[0] = 1;
	s[1] = -1;
	p->u.sq = (struct sepquartic){ .coef = coef, .s = s };
	*out = p;
	return ASGD_OK;
}

static const struct preset presets[] = {
	{ "fig4", "Figure 4: f_1,2(x) = (x -+ 1)^2 - 1, so f = x^2; d=1, x0=1, eta=1e-2, "
		  "mu=0.9 (also 0.95, 0.97)",
	  0, { 1, 2, 0 }, build_pair1d, 1, 1e-2, 0.9, 1000, PROF_SQUARE, 1, -1 },
	{ "fig5-quartic", "Figure 5 left: f_1,2(x) = (x -+ 1)^4 - 1, so f = x^4 + 6x^2; d=1, x0=1, "
			  "eta=1e-3, mu=0.95",
	  0, { 1, 2, 0 }, build_pair1d, 1, 1e-3, 0.95, 2000, PROF_QUARTIC, 1, -1 },
	{ "fig5-doublewell", "Figure 5 right: f_1,2(x) = 1 - 2exp(-(x -+ 1)^2), a double well with "
			     "minima +-0.9575; d=1, x0=0.1, eta=1e-2, mu=0.95",
	  0, { 1, 2, 0 }, build_pair1d, 0.1, 1e-2, 0.95, 1000, PROF_WELL, 2, 1 },
	{ "fig6", "Figure 6: f_1,2(x) = sum_j c_j x_j^2/2 -+ sum_j x_j, c_j ~ U[0,5]; d=100 (d=), "
		  "x0=0.5, eta=1e-2, mu=0.9 (seed=)",
	  KEY_D | KEY_SEED, { 100, 2, 6 }, build_fig6, 0.5, 1e-2, 0.9, 1000, 0, 0, 0 },
	{ "fig7", "Figure 7: f_1,2(x) = sum_j c_j (x_j -+ 1)^4/2 -+ 1, c_j ~ U[0,5]; d=100 (d=), "
		  "x0=0.5, eta=1e-3, mu=0.9 (seed=)",
	  KEY_D | KEY_SEED, { 100, 2, 7 }, build_fig7, 0.5, 1e-3, 0.9, 1000, 0, 0, 0 },
	{ "fig8", "Figure 8: f_i(x) = (x - c_i)^2/2, c_i = -1/2 + i/(2n), n=100 (n=); x0=1, "
		  "eta=2e-2, no momentum",
	  KEY_N, { 1, 100, 0 }, build_fig8, 1, 2e-2, 0, 1000, PROF_SQUARE, 0.5, 0 },
	{ "quadratic", "benchmark: f_i(x) = sum_j a_j x_j^2/2 - b_i.x, a_j ~ U[0.5,2], "
		       "b_ij ~ N(0,1); d=10, n=10 (d=, n=, seed=), x0=1, eta=1e-2",
	  KEY_D | KEY_N | KEY_SEED, { 10, 10, 1 }, build_quadratic, 1, 1e-2, 0, 1000, 0, 0, 0 },
};

#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

static const struct preset *find_preset(const char *name, size_t len)
{
	for (size_t k = 0; k < NPRESETS; k++)
		if (strlen(presets[k].name) == len && memcmp(presets[k].name, name, len) == 0)
			return &presets[k];
	return NULL;
}

/* A decimal integer filling [s, end) exactly. */
static bool parse_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t r = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || __builtin_mul_overflow(r, 10, &r) ||
		    __builtin_add_overflow(r, (uint64_t)(*s - '0'), &r))
			return false;
	}
	*v = r;
	return true;
}

/* One "key=value" in [s, end) into pa; seen collects the keys so far, to refuse repeats. */
static int parse_param(const struct preset *ps, const char *s, const char *end,
		       struct params *pa, unsigned *seen)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} keys[] = {
		{ "d", KEY_D, offsetof(struct params, d) },
		{ "n", KEY_N, offsetof(struct params, n) },
		{ "seed", KEY_SEED, offsetof(struct params, seed) },
	};
	const char *eq = memchr(s, '=', (size_t)(end - s));
	size_t klen;

	if (!eq)
		return ASGD_EINVAL;
	klen = (size_t)(eq - s);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		uint64_t *v = (uint64_t *)((char *)pa + keys[k].off);
		unsigned bit = keys[k].bit;

		if (strlen(keys[k].key) != klen || memcmp(keys[k].key, s, klen))
			continue;
		if (!(ps->keys & bit) || (*seen & bit) || !parse_u64(eq + 1, end, v))
			return ASGD_EINVAL;
		if (bit != KEY_SEED && (*v == 0 || *v > ASGD_PROBLEM_MAX_SIZE))
			return ASGD_EINVAL;
		*seen |= bit;
		return ASGD_OK;
	}
	return ASGD_EINVAL;
}

static int parse_spec(const char *spec, const struct preset **out, struct params *pa)
{
	const char *colon = strchr(spec, ':');
	const struct preset *ps = find_preset(spec, colon ? (size_t)(colon - spec) : strlen(spec));
	unsigned seen = 0;

	if (!ps)
		return ASGD_ENOTFOUND;
	*pa = ps->def;
	if (colon) {
		const char *s = colon + 1;

		for (;;) {
			const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
			int rc = parse_param(ps, s, end, pa, &seen);

			if (rc)
				return rc;
			if (!comma)
				break;
			s = comma + 1;
		}
	}
	*out = ps;
	return ASGD_OK;
}

static void write_spec(asgd_problem *p, const struct preset *ps, const struct params *pa)
{
	size_t len;
	char sep = ':';

	snprintf(p->name, sizeof(p->name), "%s", ps->name);
	len = (size_t)snprintf(p->spec, sizeof(p->spec), "%s", ps->name);
	if (ps->keys & KEY_D) {
		len += (size_t)snprintf(p->spec + len, sizeof(p->spec) - len, "%cd=%llu", sep,
					(unsigned long long)pa->d);
		sep = ',';
	}
	if (ps->keys & KEY_N) {
		len += (size_t)snprintf(p->spec + len, sizeof(p->spec) - len, "%cn=%llu", sep,
					(unsigned long long)pa->n);
		sep = ',';
	}
	if (ps->keys & KEY_SEED)
		snprintf(p->spec + len, sizeof(p->spec) - len, "%cseed=%llu", sep,
			 (unsigned long long)pa->seed);
}

/* ---------------------------------------------------------------------------------------------
 * Public API
 */

int asgd_problem_create(const char *spec, asgd_problem **out)
{
	const struct preset *ps;
	struct params pa;
	asgd_problem *p;
	int rc;

	if (!spec || !out)
		return ASGD_EINVAL;
	rc = parse_spec(spec, &ps, &pa);
	if (rc)
		return rc;
	rc = ps->build(ps, &pa, &p);
	if (rc)
		return rc;
	write_spec(p, ps, &pa);
	*out = p;
	return ASGD_OK;
}

/* Copies the symmetric part of each A_i; false on a non-finite entry. */
static bool copy_sym(double *dst, const double *A, size_t n, size_t d)
{
	for (size_t i = 0; i < n; i++) {
		const double *Ai = A + i * d * d;
		double *Di = dst + i * d * d;

		for (size_t r = 0; r < d; r++)
			for (size_t c = 0; c < d; c++) {
				if (!isfinite(Ai[r * d + c]))
					return false;
				Di[r * d + c] = 0.5 * (Ai[r * d + c] + Ai[c * d + r]);
			}
	}
	return true;
}

static bool copy_finite(double *dst, const double *src, size_t count)
{
	for (size_t k = 0; k < count; k++) {
		if (!isfinite(src[k]))
			return false;
		dst[k] = src[k];
	}
	return true;
}

/* dst[k] = mean over i of src[i*stride + k], k < stride. */
static void mean_rows(double *dst, const double *src, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < stride; k++)
			dst[k] += src[i * stride + k];
	for (size_t k = 0; k < stride; k++)
		dst[k] /= (double)n;
}

int asgd_problem_create_quadratic(size_t dim, size_t n, const double *A, const double *b,
				  const double *c, asgd_problem **out)
{
	struct layout l = { 0, true };
	struct densequad *q;
	asgd_problem *p;
	double *cur, *Ac, *bc, *cc, *Abar, *bbar;
	size_t dd;
	int rc;

	if (!A || !b || !out || dim == 0 || n == 0 || __builtin_mul_overflow(dim, dim, &dd))
		return ASGD_EINVAL;
	asgd__problem_need(&l, n, dd);	/* A */
	asgd__problem_need(&l, n, dim);	/* b */
	asgd__problem_need(&l, n, 1);		/* c */
	asgd__problem_need(&l, 1, dd);	/* Abar */
	asgd__problem_need(&l, 1, dim);	/* bbar */
	rc = asgd__problem_alloc(&densequad_family, dim, n, l, &p, &cur);
	if (rc)
		return rc;
	Ac = asgd__problem_take(&cur, n * dd);
	bc = asgd__problem_take(&cur, n * dim);
	cc = asgd__problem_take(&cur, n);
	Abar = asgd__problem_take(&cur, dd);
	bbar = asgd__problem_take(&cur, dim);
	if (!copy_sym(Ac, A, n, dim) || !copy_finite(bc, b, n * dim) ||
	    (c && !copy_finite(cc, c, n))) {
		free(p);
		return ASGD_EINVAL;
	}
	mean_rows(Abar, Ac, n, dd);
	mean_rows(bbar, bc, n, dim);
	q = &p->u.qd;
	*q = (struct densequad){ .A = Ac, .b = bc, .c = cc, .Abar = Abar, .bbar = bbar };
	p->eta = 1e-2;
	p->mu = 0;
	p->iters = 1000;
	snprintf(p->name, sizeof(p->name), "custom-quadratic");
	snprintf(p->spec, sizeof(p->spec), "custom-quadratic");
	*out = p;
	return ASGD_OK;
}

void asgd_problem_destroy(asgd_problem *p)
{
	if (p)
		free(p->xstar);
	free(p);
}

const char *asgd_problem_name(const asgd_problem *p)
{
	return p->name;
}

const char *asgd_problem_spec(const asgd_problem *p)
{
	return p->spec;
}

size_t asgd_problem_dim(const asgd_problem *p)
{
	return p->dim;
}

size_t asgd_problem_components(const asgd_problem *p)
{
	return p->n;
}

const double *asgd_problem_x0(const asgd_problem *p)
{
	return p->x0;
}

double asgd_problem_default_eta(const asgd_problem *p)
{
	return p->eta;
}

double asgd_problem_default_mu(const asgd_problem *p)
{
	return p->mu;
}

uint64_t asgd_problem_default_iters(const asgd_problem *p)
{
	return p->iters;
}

double asgd_problem_f(const asgd_problem *p, const double *x)
{
	double sum = 0;

	if (p->fam->f)
		return p->fam->f(p, x);
	for (size_t i = 0; i < p->n; i++)
		sum += p->fam->fi(p, i, x);
	return sum / (double)p->n;
}

double asgd_problem_fi(const asgd_problem *p, size_t i, const double *x)
{
	assert(i < p->n);
	return p->fam->fi(p, i, x);
}

void asgd_problem_grad_i(const asgd_problem *p, size_t i, const double *x, double *g)
{
	assert(i < p->n);
	p->fam->grad_i(p, i, x, g);
}

void asgd_problem_grad(const asgd_problem *p, const double *x, double *g)
{
	p->fam->grad(p, x, g);
}

int asgd_problem_hess_vec(const asgd_problem *p, const double *x, const double *v, double *out)
{
	if (!p->fam->hess_vec)
		return ASGD_ENOTFOUND;
	p->fam->hess_vec(p, x, v, out);
	return ASGD_OK;
}

int asgd_problem_grad_weighted(const asgd_problem *p, const double *x, const double *z, double *g,
			       double *zg)
{
	if (!p->fam->grad_weighted)
		return ASGD_ENOTFOUND;
	p->fam->grad_weighted(p, x, z, g, zg);
	return ASGD_OK;
}

/* cov += dev·devᵀ, upper triangle only. */
static void add_outer_upper(double *cov, const double *dev, size_t d)
{
	for (size_t r = 0; r < d; r++)
		for (size_t c = r; c < d; c++)
			cov[r * d + c] += dev[r] * dev[c];
}

/* Divide the upper triangle by @divisor and mirror it: exactly symmetric. */
static void finish_symmetric(double *cov, size_t d, double divisor)
{
	for (size_t r = 0; r < d; r++)
		for (size_t c = r; c < d; c++)
			cov[c * d + r] = cov[r * d + c] /= divisor;
}

/* The centred outer products of the component gradients @pick[0..m) (all of 0..n when pick is
 * NULL) around @gbar, over @divisor, into cov; @dev is d scratch values. */
static void centred_products(const asgd_problem *p, const double *x, const size_t *pick,
			     size_t m, const double *gbar, double *dev, double divisor, double *cov)
{
	size_t d = p->dim;

	memset(cov, 0, d * d * sizeof(*cov));
	for (size_t s = 0; s < m; s++) {
		p->fam->grad_i(p, pick ? pick[s] : s, x, dev);
		for (size_t r = 0; r < d; r++)
			dev[r] -= gbar[r];
		add_outer_upper(cov, dev, d);
	}
	finish_symmetric(cov, d, divisor);
}

int asgd_problem_covariance(const asgd_problem *p, const double *x, double *cov)
{
	double *gbar;

	if (!p || !x || !cov)
		return ASGD_EINVAL;
	gbar = malloc(2 * p->dim * sizeof(*gbar));
	if (!gbar)
		return ASGD_ENOMEM;
	p->fam->grad(p, x, gbar);
	centred_products(p, x, NULL, p->n, gbar, gbar + p->dim, (double)p->n, cov);
	free(gbar);
	return ASGD_OK;
}

int asgd_problem_covariance_sample(const asgd_problem *p, const double *x, size_t m,
				   uint64_t seed, double *cov)
{
	size_t d, *pick;
	double *gbar, *dev;
	asgd_rng rng;

	if (!p || !x || !cov || m < 2)
		return ASGD_EINVAL;
	d = p->dim;
	gbar = malloc(2 * d * sizeof(*gbar));
	pick = malloc(m * sizeof(*pick));
	if (!gbar || !pick) {
		free(gbar);
		free(pick);
		return ASGD_ENOMEM;
	}
	dev = gbar + d;
	asgd_rng_init(&rng, seed, 0);
	memset(gbar, 0, d * sizeof(*gbar));
	for (size_t s = 0; s < m; s++) {
		pick[s] = (size_t)asgd_rng_below(&rng, p->n);
		p->fam->grad_i(p, pick[s], x, dev);
		for (size_t r = 0; r < d; r++)
			gbar[r] += dev[r];
	}
	for (size_t r = 0; r < d; r++)
		gbar[r] /= (double)m;
	centred_products(p, x, pick, m, gbar, dev, (double)(m - 1), cov);
	free(gbar);
	free(pick);
	return ASGD_OK;
}

size_t asgd_problem_support(const asgd_problem *p, size_t i, const uint32_t **idx)
{
	assert(i < p->n);
	if (p->fam->support)
		return p->fam->support(p, i, idx);
	*idx = NULL;
	return p->dim;
}

size_t asgd_problem_max_support(const asgd_problem *p)
{
	return p->max_support;
}

int asgd_problem_is_sparse(const asgd_problem *p)
{
	return asgd_problem_max_support(p) < p->dim;
}

void asgd_problem_prefetch(const asgd_problem *p, size_t i, int stage)
{
	if (p->fam->prefetch)
		p->fam->prefetch(p, i, stage);
}

void asgd_problem_grad_support(const asgd_problem *p, size_t i, const double *xs, double *gs)
{
	assert(i < p->n);
	if (p->fam->grad_support)
		p->fam->grad_support(p, i, xs, gs);
	else
		p->fam->grad_i(p, i, xs, gs);
}

int asgd_problem_minimizer(const asgd_problem *p, double *x)
{
	return asgd_problem_minimizer_stop(p, x, NULL);
}

int asgd_problem_minimizer_stop(const asgd_problem *p, double *x, const atomic_int *stop)
{
	if (!p || !x)
		return ASGD_EINVAL;
	if (p->xstar) {
		memcpy(x, p->xstar, p->dim * sizeof(*x));
		return ASGD_OK;
	}
	return p->fam->minimizer(p, x, stop);
}

int asgd_problem_solve(asgd_problem *p, const atomic_int *stop)
{
	double *x;
	int rc;

	if (!p)
		return ASGD_EINVAL;
	if (p->xstar)
		return ASGD_OK;
	x = malloc(p->dim * sizeof(*x));
	if (!x)
		return ASGD_ENOMEM;
	rc = p->fam->minimizer(p, x, stop);
	if (rc == ASGD_OK)
		p->xstar = x;
	else
		free(x);
	return rc;
}

int asgd_problem_keep_minimizer(asgd_problem *p, const double *x)
{
	double *copy;

	if (!p || !x)
		return ASGD_EINVAL;
	copy = malloc(p->dim * sizeof(*copy));
	if (!copy)
		return ASGD_ENOMEM;
	memcpy(copy, x, p->dim * sizeof(*copy));
	free(p->xstar);
	p->xstar = copy;
	return ASGD_OK;
}

int asgd_problem_local_minima(const asgd_problem *p, double *x, size_t cap, size_t *count)
{
	double *tmp;
	int rc;

	if (!p || !count || (cap > 0 && !x))
		return ASGD_EINVAL;
	if (p->fam->local_minima)
		return p->fam->local_minima(p, x, cap, count);
	/* Convex: the minimizer is the one local minimum, if it is known. */
	if (cap > 0) {
		rc = asgd_problem_minimizer(p, x);
	} else {
		tmp = malloc(p->dim * sizeof(*tmp));
		if (!tmp)
			return ASGD_ENOMEM;
		rc = p->fam->minimizer(p, tmp, NULL);
		free(tmp);
	}
	if (rc == ASGD_OK)
		*count = 1;
	return rc;
}

const char *const *asgd_problem_presets(size_t *count)
{
	static const char *const names[] = {
		"fig4", "fig5-quartic", "fig5-doublewell", "fig6", "fig7", "fig8", "quadratic",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == NPRESETS, "one name per preset");

	if (count)
		*count = NPRESETS;
	return names;
}

const char *asgd_problem_describe(const char *preset)
{
	const struct preset *ps = preset ? find_preset(preset, strlen(preset)) : NULL;

	return ps ? ps->desc : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Affine gradients, for exact moments (docs/MODELS.md §4)
 */

/* shift1d with the square profile: ∇f_i = 2w(x − c_i). */
static void s1_parts(const asgd_problem *p, double *A, double *b)
{
	const struct shift1d *s = &p->u.s1;

	for (size_t i = 0; i < p->n; i++) {
		A[i] = 2 * s->w;
		b[i] = 2 * s->w * s->center[i];
	}
}

static void dq_parts(const asgd_problem *p, double *A, double *b)
{
	size_t d = p->dim;

	memset(A, 0, p->n * d * d * sizeof(*A));
	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < d; j++)
			A[i * d * d + j * d + j] = p->u.dq.a[j];
	memcpy(b, p->u.dq.b, p->n * d * sizeof(*b));
}

int asgd_problem_quadratic_parts(const asgd_problem *p, double *A, double *b)
{
	if (!p || !A || !b)
		return ASGD_EINVAL;
	if (p->fam == &shift1d_family && p->u.s1.prof == PROF_SQUARE)
		s1_parts(p, A, b);
	else if (p->fam == &diagquad_family)
		dq_parts(p, A, b);
	else if (p->fam == &densequad_family) {
		memcpy(A, p->u.qd.A, p->n * p->dim * p->dim * sizeof(*A));
		memcpy(b, p->u.qd.b, p->n * p->dim * sizeof(*b));
	} else
		return ASGD_ENOTFOUND;
	return ASGD_OK;
}
