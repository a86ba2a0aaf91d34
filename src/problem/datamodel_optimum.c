/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * datamodel_optimum.c — the minimizer of a data model (asgd/datamodel.h), computed independently
 * of any SGD: the reference `asgd run` reports its gap to, and the tests hold the engine to.
 *
 *     loss       d ≤ 4096 (ASGD__DM_CHOLESKY_MAX_DIM)       d > 4096
 *     squares    the normal equations, one Cholesky        Newton-CG (PCG on the normal eqs.)
 *     logistic   Newton + backtracking, Cholesky           Newton-CG (Hessian-vector products)
 *     hinge      dual coordinate descent, any d
 *
 * Cholesky is kept where it fits: it is exact to rounding, needs no tolerance, and at small d
 * it is faster than any iteration. But it needs d² doubles and O(d³) time. Newton-CG needs
 * O(nnz + n + d): it never forms the Hessian H = (1/n) Aᵀ D A + λ I_used (D the loss's
 * curvature at each margin: 1 for squares, σ(1−σ) for logistic), only products Hv, one pass
 * over the data each, and solves H step = −∇f by conjugate gradients preconditioned with H's
 * diagonal (Jacobi), which evens out columns of very different norms (tf-idf). Least squares
 * is one Newton step with CG driven to a relative residual of 10⁻¹² (and a second step should
 * CG's recursive residual have drifted from the true one); logistic takes inexact steps, CG to
 * min(½, √(‖∇f‖/‖∇f(0)‖))·‖∇f‖ (superlinear near the end), with backtracking on f. Both stop
 * when ‖∇f‖ ≤ 10⁻¹⁰ ‖∇f(0)‖: f − f* ≤ ‖∇f‖²/(2λ) is then far inside the 10⁻⁷ relative that
 * tests/cli_liblinear.sh asks of the agreement with liblinear (it sees 10⁻¹⁵).
 *
 * The hinge loss is not smooth; its minimizer is the primal image x = Σ_i α_i y_i a_i of the
 * dual's solution, found by dual coordinate descent (Hsieh et al. 2008; liblinear -s 3):
 * min ½ αᵀQα − Σ α, Q_ij = y_i y_j a_i·a_j, over the box 0 ≤ α_i ≤ C = 1/(nλ) (f = liblinear's
 * primal / (nC)). One pass visits every active row once, in a fresh random order (a fixed seed:
 * the result is reproducible), each an exact 1-D minimisation clipped to the box: O(nnz) a
 * pass, whatever d. liblinear's shrinking drops rows held at a bound (10× faster on rcv1, where
 * most are), and a last pass over every row confirms. It stops when the projected gradients
 * of a pass over every row span at most 10⁻¹⁰ (they are margins minus 1: the tolerance is on
 * the scale of the margin) — and then x ∈ argmin f to that precision: α_i = C where the margin is below 1, α_i = 0 where above,
 * and 0 ∈ ∂f with the subgradient (1/n) Σ (nλ α_i) y_i a_i. A row with no entries has
 * Q_ii = 0: its loss is 1 whatever x, and α_i = C from the start. Features no row stores stay
 * 0 in every solver (no a_i moves them; the Cholesky path gives them a unit diagonal).
 *
 * Every solve looks at the caller's stop flag within ~0.1 ms of work (core/stop_internal.h):
 * the Hessian by rows, the factorisation by tiles (linalg.c), every pass over the data by rows.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/rng.h"
#include "core/linalg_internal.h"
#include "core/stop_internal.h"
#include "datamodel_internal.h"

#define NEWTON_MAX_ITERS 100
#define CG_SQUARES_TOL 1e-12	/* CG's relative residual for least squares' one step */
#define GRAD_TOL 1e-10		/* Newton-CG's end: ‖∇f‖ ≤ GRAD_TOL ‖∇f(0)‖ */
#define DCD_GAP_TOL 1e-10	/* dual CD's end: the pass's projected gradients span ≤ this */
#define DCD_MAX_PASSES 20000
#define DCD_SEED 0x5eedc0deu

static double dot(const double *u, const double *v, size_t d)
{
	double s = 0;

	for (size_t j = 0; j < d; j++)
		s += u[j] * v[j];
	return s;
}

/* The loss's curvature ∂²ℓ/∂m² at row i's margin m: 1 for squares, σ(z)σ(−z) for logistic. */
static double curvature(const struct datamodel *dm, double m, double y)
{
	double e;

	if (dm->loss != ASGD_LOSS_LOGISTIC)
		return 1;
	e = exp(-fabs(y * m)); /* no overflow for either sign */
	return e / ((1 + e) * (1 + e));
}

/* f(x), after which the flag is looked at (one f is a pass over every stored entry). */
static int f_or_stop(const asgd_problem *p, const double *x, asgd__stop_poll *poll, double *f)
{
	*f = asgd_problem_f(p, x);
	return asgd__stop_after(poll, p->u.dm.ds->nnz + p->dim) ? ASGD_EINTR : ASGD_OK;
}

/* ---- Newton with Cholesky: d ≤ ASGD__DM_CHOLESKY_MAX_DIM ----------------------------------- */

/* The Hessian of f (or the normal matrix for least squares) at x into H (dim²), with a unit
 * diagonal on features no row stores, which stay at 0. ASGD_EINTR when @poll sees the flag. */
static int dense_hessian(const asgd_problem *p, const double *x, double *H, asgd__stop_poll *poll)
{
	const struct datamodel *dm = &p->u.dm;
	size_t d = p->dim;

	memset(H, 0, d * d * sizeof(*H));
	for (size_t i = 0; i < p->n; i++) {
		const double *a;
		const uint32_t *col;
		size_t s = asgd__dm_row(dm, i, &a, &col);
		double w = curvature(dm, asgd__dm_margin(dm, i, x), dm->y[i]);

		for (size_t e = 0; e < s; e++)
			for (size_t f = 0; f < s; f++)
				H[col[e] * d + col[f]] += w * a[e] * a[f];
		if (asgd__stop_after(poll, s * s + s))
			return ASGD_EINTR;
	}
	for (size_t r = 0; r < d * d; r++)
		H[r] /= (double)p->n;
	for (size_t j = 0; j < d; j++)
		H[j * d + j] += dm->ds->col_count[j] ? dm->lambda : 1;
	return ASGD_OK;
}

/* One damped Newton step from x (least squares: the exact solution in one step). */
static int cholesky_newton_step(const asgd_problem *p, double *x, double *H, double *g,
				double *trial, double *decrement, asgd__stop_poll *poll)
{
	size_t d = p->dim;
	double f0, ft, t = 1;
	int rc = f_or_stop(p, x, poll, &f0);

	if (rc)
		return rc;
	asgd_problem_grad(p, x, g);
	rc = dense_hessian(p, x, H, poll);
	if (rc)
		return rc;
	for (size_t j = 0; j < d; j++)
		if (!p->u.dm.ds->col_count[j])
			g[j] = 0;
	rc = asgd__cholesky(H, d, poll->flag);
	if (rc)
		return rc;
	asgd__cholesky_solve(H, d, g);
	*decrement = dot(g, g, d);
	/* Near the minimum f is flat to rounding and cannot judge a step: take it whole. */
	if (*decrement < 1e-12 * (1 + dot(x, x, d))) {
		for (size_t j = 0; j < d; j++)
			x[j] -= g[j];
		return ASGD_OK;
	}
	for (int halvings = 0; halvings < 60; halvings++, t /= 2) {
		for (size_t j = 0; j < d; j++)
			trial[j] = x[j] - t * g[j];
		rc = f_or_stop(p, trial, poll, &ft);
		if (rc)
			return rc;
		if (ft <= f0)
			break;
	}
	memcpy(x, trial, d * sizeof(*x));
	return ASGD_OK;
}

/* Newton's method from 0 until the squared step is below 10⁻²⁴(1 + ‖x‖²). */
static int cholesky_newton(const asgd_problem *p, double *out, asgd__stop_poll *poll)
{
	size_t d = p->dim;
	double *H, *g, *trial, *x, dec = INFINITY;
	int rc = ASGD_ENOTFOUND, step;

	H = malloc((d * d + 3 * d) * sizeof(*H));
	if (!H)
		return ASGD_ENOMEM;
	g = H + d * d;
	trial = g + d;
	x = trial + d;
	memset(x, 0, d * sizeof(*x));
	for (int it = 0; it < NEWTON_MAX_ITERS; it++) {
		step = cholesky_newton_step(p, x, H, g, trial, &dec, poll);
		if (step == ASGD_EINTR || step == ASGD_ENOMEM)
			rc = step;
		if (step != ASGD_OK)
			break;
		if (p->u.dm.loss == ASGD_LOSS_SQUARES || dec < 1e-24 * (1 + dot(x, x, d))) {
			rc = ASGD_OK;
			break;
		}
	}
	if (rc == ASGD_OK)
		memcpy(out, x, d * sizeof(*out));
	free(H);
	return rc;
}

/* ---- Newton-CG: any d, O(nnz + n + d) memory ----------------------------------------------- */

struct newton_cg {
	const asgd_problem *p;
	const struct datamodel *dm;
	size_t n, d;
	double *curv;		/* n: the loss's curvature at each margin, over n */
	double *diag;		/* d: H's diagonal, the preconditioner */
	double *x, *g, *step, *r, *z, *q, *hq, *trial; /* d each */
	asgd__stop_poll poll;
};

/* The regulariser's weight on feature j: λ where some row stores it, 1 where none does (its
 * gradient is 0, so it stays 0, and H stays positive definite there). */
static double reg_weight(const struct datamodel *dm, size_t j)
{
	return dm->ds->col_count[j] ? dm->lambda : 1;
}

/* The curvature at x's margins, and H's diagonal from it. */
static int ncg_curvature(struct newton_cg *s)
{
	const struct datamodel *dm = s->dm;

	for (size_t j = 0; j < s->d; j++)
		s->diag[j] = reg_weight(dm, j);
	for (size_t i = 0; i < s->n; i++) {
		const double *a;
		const uint32_t *col;
		size_t len = asgd__dm_row(dm, i, &a, &col);

		s->curv[i] = curvature(dm, asgd__dm_margin(dm, i, s->x), dm->y[i]) / (double)s->n;
		for (size_t e = 0; e < len; e++)
			s->diag[col[e]] += s->curv[i] * a[e] * a[e];
		if (asgd__stop_after(&s->poll, 2 * len + 1))
			return ASGD_EINTR;
	}
	return ASGD_OK;
}

/* out = H v: (1/n) Aᵀ D (A v) + λ v, one pass over the rows. */
static int ncg_hessian_times(struct newton_cg *s, const double *v, double *out)
{
	const struct datamodel *dm = s->dm;

	for (size_t j = 0; j < s->d; j++)
		out[j] = reg_weight(dm, j) * v[j];
	for (size_t i = 0; i < s->n; i++) {
		const double *a;
		const uint32_t *col;
		size_t len = asgd__dm_row(dm, i, &a, &col);
		double t = s->curv[i] * asgd__dm_margin(dm, i, v);

		for (size_t e = 0; e < len; e++)
			out[col[e]] += t * a[e];
		if (asgd__stop_after(&s->poll, 2 * len + 1))
			return ASGD_EINTR;
	}
	return ASGD_OK;
}

/* H step = −g by preconditioned CG from step = 0, until ‖residual‖ ≤ @tol or d + 100 iterations
 * (far more than the well-conditioned problems here need; CG in exact arithmetic ends by d). */
static int ncg_solve(struct newton_cg *s, double tol)
{
	size_t d = s->d, cap = d + 100;
	double rz, rz_next, alpha, qhq;
	int rc;

	memset(s->step, 0, d * sizeof(double));
	for (size_t j = 0; j < d; j++) {
		s->r[j] = -s->g[j];
		s->z[j] = s->r[j] / s->diag[j];
	}
	memcpy(s->q, s->z, d * sizeof(double));
	rz = dot(s->r, s->z, d);
	for (size_t k = 0; k < cap && sqrt(dot(s->r, s->r, d)) > tol; k++) {
		rc = ncg_hessian_times(s, s->q, s->hq);
		if (rc)
			return rc;
		qhq = dot(s->q, s->hq, d);
		if (!(qhq > 0))
			return ASGD_ENOTFOUND; /* H is not positive definite: λ = 0, rank-deficient */
		alpha = rz / qhq;
		for (size_t j = 0; j < d; j++) {
			s->step[j] += alpha * s->q[j];
			s->r[j] -= alpha * s->hq[j];
			s->z[j] = s->r[j] / s->diag[j];
		}
		rz_next = dot(s->r, s->z, d);
		for (size_t j = 0; j < d; j++)
			s->q[j] = s->z[j] + rz_next / rz * s->q[j];
		rz = rz_next;
	}
	return ASGD_OK;
}

/* x += t·step, t halved from 1 until f falls enough (Armijo); f flat to rounding takes it whole. */
static int ncg_line_search(struct newton_cg *s)
{
	size_t d = s->d;
	double f0, ft = INFINITY, t = 1, slope = dot(s->g, s->step, d);
	int rc = f_or_stop(s->p, s->x, &s->poll, &f0);

	if (rc)
		return rc;
	if (-slope <= 1e-15 * (1 + fabs(f0))) {
		for (size_t j = 0; j < d; j++)
			s->x[j] += s->step[j];
		return ASGD_OK;
	}
	for (int halvings = 0; halvings < 60; halvings++, t /= 2) {
		for (size_t j = 0; j < d; j++)
			s->trial[j] = s->x[j] + t * s->step[j];
		rc = f_or_stop(s->p, s->trial, &s->poll, &ft);
		if (rc)
			return rc;
		if (ft <= f0 + 1e-4 * t * slope)
			break;
	}
	if (!(ft <= f0))
		return ASGD_ENOTFOUND;
	memcpy(s->x, s->trial, d * sizeof(double));
	return ASGD_OK;
}

/* The gradient at x, 0 on features no row stores (dm_grad makes it so already: x is 0 there). */
static int ncg_gradient(struct newton_cg *s, double *norm)
{
	asgd_problem_grad(s->p, s->x, s->g);
	*norm = sqrt(dot(s->g, s->g, s->d));
	return asgd__stop_after(&s->poll, s->dm->ds->nnz + s->d) ? ASGD_EINTR : ASGD_OK;
}

static int ncg_iterate(struct newton_cg *s)
{
	double gnorm, g0;
	int rc = ncg_gradient(s, &g0);

	gnorm = g0;
	for (int it = 0; rc == ASGD_OK && it < NEWTON_MAX_ITERS; it++) {
		double forcing = s->dm->loss == ASGD_LOSS_SQUARES ? CG_SQUARES_TOL
								  : fmin(0.5, sqrt(gnorm / g0));

		if (gnorm <= GRAD_TOL * g0)
			return ASGD_OK; /* g0 = 0 too: x = 0 is the minimizer */
		rc = ncg_curvature(s);
		if (!rc)
			rc = ncg_solve(s, forcing * gnorm);
		if (!rc)
			rc = ncg_line_search(s);
		if (!rc)
			rc = ncg_gradient(s, &gnorm);
	}
	return rc ? rc : gnorm <= GRAD_TOL * g0 ? ASGD_OK : ASGD_ENOTFOUND;
}

static int newton_cg(const asgd_problem *p, double *out, asgd__stop_poll *poll)
{
	size_t n = p->n, d = p->dim;
	struct newton_cg s = { .p = p, .dm = &p->u.dm, .n = n, .d = d, .poll = *poll };
	double *mem = calloc(n + 9 * d, sizeof(double));
	int rc;

	if (!mem)
		return ASGD_ENOMEM;
	s.curv = mem;
	s.diag = s.curv + n;
	s.x = s.diag + d;
	s.g = s.x + d;
	s.step = s.g + d;
	s.r = s.step + d;
	s.z = s.r + d;
	s.q = s.z + d;
	s.hq = s.q + d;
	s.trial = s.hq + d;
	rc = ncg_iterate(&s);
	if (rc == ASGD_OK)
		memcpy(out, s.x, d * sizeof(double));
	*poll = s.poll;
	free(mem);
	return rc;
}

/* ---- the hinge loss: dual coordinate descent ----------------------------------------------- */

struct dual_cd {
	const struct datamodel *dm;
	size_t n, d;
	double C;
	double *alpha;		/* n */
	double *qd;		/* n: Q_ii = ‖a_i‖² */
	size_t *order;		/* n: the active rows first, in this pass's order */
	size_t active;		/* rows not shrunk away */
	size_t nonempty;	/* rows with an entry: the empty ones are never active */
	double pg_max_old, pg_min_old; /* the last pass's extremes, the shrinking thresholds */
	double *w;		/* d: Σ α_i y_i a_i, kept up to date */
	asgd__stop_poll poll;
};

/* α_i to the exact minimum of the dual along it, clipped to [0, C]; w follows. */
static void dcd_update(struct dual_cd *s, size_t i, double G)
{
	const double *a;
	const uint32_t *col;
	size_t len = asgd__dm_row(s->dm, i, &a, &col);
	double next = fmin(fmax(s->alpha[i] - G / s->qd[i], 0), s->C);
	double delta = (next - s->alpha[i]) * s->dm->y[i];

	s->alpha[i] = next;
	for (size_t e = 0; e < len; e++)
		s->w[col[e]] += delta * a[e];
}

static size_t row_length(const struct datamodel *dm, size_t i)
{
	return dm->ds->row_ptr[i + 1] - dm->ds->row_ptr[i];
}

/*
 * Whether α_i, at a bound, is to leave the active set: its gradient pushes it into the bound by
 * more than the last pass's projected gradients spanned (liblinear's shrinking; a wrong guess
 * is undone by the final pass over every row).
 */
static bool shrinkable(const struct dual_cd *s, size_t i, double G)
{
	return (s->alpha[i] <= 0 && G > s->pg_max_old) || (s->alpha[i] >= s->C && G < s->pg_min_old);
}

/* The dual gradient's projection on the box at α_i, given G = ∂D/∂α_i = y_i w·a_i − 1. */
static double projected_gradient(const struct dual_cd *s, size_t i, double G)
{
	if (s->alpha[i] <= 0)
		return fmin(G, 0);
	if (s->alpha[i] >= s->C)
		return fmax(G, 0);
	return G;
}

static void shuffle(size_t *v, size_t len, asgd_rng *rng)
{
	for (size_t k = len; k > 1; k--) { /* Fisher-Yates */
		size_t r = (size_t)asgd_rng_below(rng, k), t = v[k - 1];

		v[k - 1] = v[r];
		v[r] = t;
	}
}

/* One pass over the active rows in a fresh random order, shrinking as it goes; *pg_max and
 * *pg_min receive the extremes of the projected gradients of the rows it kept. */
static int dcd_pass(struct dual_cd *s, asgd_rng *rng, double *pg_max, double *pg_min)
{
	*pg_max = -INFINITY;
	*pg_min = INFINITY;
	shuffle(s->order, s->active, rng);
	for (size_t k = 0; k < s->active; k++) {
		size_t i = s->order[k];
		double G = s->dm->y[i] * asgd__dm_margin(s->dm, i, s->w) - 1, pg;

		if (asgd__stop_after(&s->poll, 2 * row_length(s->dm, i) + 1))
			return ASGD_EINTR;
		if (shrinkable(s, i, G)) {
			s->order[k--] = s->order[--s->active];
			s->order[s->active] = i;
			continue;
		}
		pg = projected_gradient(s, i, G);
		*pg_max = fmax(*pg_max, pg);
		*pg_min = fmin(*pg_min, pg);
		if (pg != 0)
			dcd_update(s, i, G);
	}
	return ASGD_OK;
}

/* w = Σ α_i y_i a_i afresh, without the drift of many small updates. */
static void dcd_primal(struct dual_cd *s)
{
	memset(s->w, 0, s->d * sizeof(double));
	for (size_t i = 0; i < s->n; i++) {
		const double *a;
		const uint32_t *col;
		size_t len = asgd__dm_row(s->dm, i, &a, &col);

		for (size_t e = 0; e < len; e++)
			s->w[col[e]] += s->alpha[i] * s->dm->y[i] * a[e];
	}
}

/* Q_ii, α = 0 but C on empty rows (optimal there: their loss is 1 whatever x), every row
 * active but the empty ones. */
static void dcd_start(struct dual_cd *s)
{
	s->active = 0;
	for (size_t i = 0; i < s->n; i++) {
		const double *a;
		const uint32_t *col;
		size_t len = asgd__dm_row(s->dm, i, &a, &col);

		s->qd[i] = dot(a, a, len);
		s->alpha[i] = s->qd[i] == 0 ? s->C : 0;
		if (s->qd[i] > 0)
			s->order[s->active++] = i;
	}
	s->nonempty = s->active;
}

/* Passes until the projected gradients of one pass over every non-empty row span at most
 * DCD_GAP_TOL: a pass over the shrunk set that gets there is followed by one over them all. */
static int dcd_iterate(struct dual_cd *s)
{
	asgd_rng rng;
	double pg_max, pg_min;

	asgd_rng_init(&rng, DCD_SEED, 0);
	dcd_start(s);
	s->pg_max_old = INFINITY;
	s->pg_min_old = -INFINITY;
	for (int pass = 0; pass < DCD_MAX_PASSES; pass++) {
		int rc = dcd_pass(s, &rng, &pg_max, &pg_min);

		if (rc)
			return rc;
		if (!(pg_max - pg_min > DCD_GAP_TOL)) { /* -∞ − ∞ too: nothing was kept */
			if (s->active == s->nonempty) {
				dcd_primal(s);
				return ASGD_OK;
			}
			s->active = s->nonempty;
			s->pg_max_old = INFINITY;
			s->pg_min_old = -INFINITY;
			continue;
		}
		s->pg_max_old = pg_max > 0 ? pg_max : INFINITY;
		s->pg_min_old = pg_min < 0 ? pg_min : -INFINITY;
	}
	return ASGD_ENOTFOUND;
}

static int dual_cd(const asgd_problem *p, double *x, double *alpha_out, asgd__stop_poll *poll)
{
	size_t n = p->n, d = p->dim;
	struct dual_cd s = { .dm = &p->u.dm, .n = n, .d = d, .poll = *poll };
	double *mem;
	int rc;

	if (!(p->u.dm.lambda > 0))
		return ASGD_ENOTFOUND; /* C = ∞: the box is open, the minimizer not unique */
	s.C = 1 / ((double)n * p->u.dm.lambda);
	mem = calloc(2 * n + d, sizeof(double));
	s.order = malloc(n * sizeof(size_t));
	if (!mem || !s.order) {
		free(mem);
		free(s.order);
		return ASGD_ENOMEM;
	}
	s.alpha = mem;
	s.qd = s.alpha + n;
	s.w = s.qd + n;
	rc = dcd_iterate(&s);
	if (rc == ASGD_OK) {
		memcpy(x, s.w, d * sizeof(double));
		if (alpha_out)
			memcpy(alpha_out, s.alpha, n * sizeof(double));
	}
	*poll = s.poll;
	free(s.order);
	free(mem);
	return rc;
}

/* ---- the entry points ---------------------------------------------------------------------- */

int asgd__dm_hinge_dual(const asgd_problem *p, double *x, double *alpha, const atomic_int *stop)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);

	if (!p || !x || !asgd_problem_dataset(p) || p->u.dm.loss != ASGD_LOSS_HINGE)
		return ASGD_EINVAL;
	if (asgd__stop_raised(stop))
		return ASGD_EINTR;
	return dual_cd(p, x, alpha, &poll);
}

int asgd__dm_minimizer(const asgd_problem *p, double *x, const atomic_int *stop,
		       size_t cholesky_max_dim)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);

	if (p->u.dm.loss == ASGD_LOSS_HINGE)
		return asgd__dm_hinge_dual(p, x, NULL, stop);
	if (asgd__stop_raised(stop))
		return ASGD_EINTR;
	if (p->dim <= cholesky_max_dim)
		return cholesky_newton(p, x, &poll);
	return newton_cg(p, x, &poll);
}
