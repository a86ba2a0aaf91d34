/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme_vector.c — the Euler–Maruyama loop of the SMEs (docs/MODELS.md §2) for any dimension d.
 *
 * One path's vectors live in the thread's scratch (struct nd_state); the evolving Σ(t) choices
 * carry a d×d matrix, stepped and factored by asgd/sigma.h, while constant and instant Σ use the
 * low-rank factor (∇f_i − ∇f)/√n of C and draw n normals instead of factoring. On a data model
 * that factor is never formed: the noise sums z_i ∇f_i over the rows, each on its support, and
 * subtracts (Σ z_i)∇f once — O(nnz + d) a substep instead of O(n·d) — or over m sampled rows
 * (asgd/sme.h, MODELS.md §2.1). Rows are handed to the ensemble as they are recorded, so a path
 * never holds more than its state. SME-ASGD for mixture
 * staleness carries K gradient averages ȳ_j and, for the continuum Σ, K matrices G_j (MODELS.md
 * §5). In 1-D it computes
 * the scheme of sme_scalar.c with the same draws. Within a substep of length h every coefficient
 * is taken at the substep's start (explicit, Itô): the noise uses Σ before Σ moves, and the state
 * and Σ both step from the old values. The stop flag is looked at every ~0.1 ms of substeps.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/normal.h"
#include "asgd/sigma.h"
#include "sme_internal.h"
#include "core/stop_internal.h"

/* One path's vectors and matrices, carved from the thread's scratch. */
struct nd_state {
	double *x, *y;		/* (X, Y), (M, P) or (X, P) */
	double *g, *gi, *dx, *xr, *t1, *t2, *z;
	double *sig, *S, *L, *sv;	/* evolving Σ only: Σ or G, S(·), factor, Σ value */
	double *yb, *Gm;	/* mixture: ȳ_j (K·d), and G_j (K·d·d) for the continuum Σ */
	double *xs, *gs;	/* row route: a row's support gathered, and ∇f_i on it */
	uint64_t *pick;		/* row route, sampled: the m rows of this substep */
	asgd_sigma_factorizer fac;
	uint64_t clamps;
};

static size_t nd_znormals(const struct sme_ctx *cx)
{
	if (cx->d == 1)
		return 1;
	return asgd__sme_evolving(cx->sigma) ? cx->d : cx->noise_m;
}

/* The doubles of the row route: a gathered support, ∇f_i on it, and the sampled rows. */
static size_t nd_rows_doubles(const struct sme_ctx *cx)
{
	return cx->rows ? 2 * cx->max_support + (cx->sampled ? cx->noise_m : 0) : 0;
}

/* The doubles of the mixture's ȳ_j and G_j. */
static size_t nd_mixture_doubles(const struct sme_ctx *cx)
{
	if (cx->model != ASGD_MODEL_SME_ASGD_MIXTURE)
		return 0;
	return cx->mix_k * cx->d * (1 + (asgd__sme_evolving(cx->sigma) ? cx->d : 0));
}

size_t asgd__sme_scratch_doubles(const struct sme_ctx *cx)
{
	size_t d = cx->d, zn = cx->d > cx->noise_m ? cx->d : cx->noise_m;

	return 8 * d + zn + (asgd__sme_evolving(cx->sigma) ? 4 * d * d : 0) +
	       nd_mixture_doubles(cx) + nd_rows_doubles(cx);
}

static void nd_carve(const struct sme_ctx *cx, struct nd_state *st, double *s)
{
	size_t d = cx->d, zn = cx->d > cx->noise_m ? cx->d : cx->noise_m;

	st->x = s;
	st->y = s + d;
	st->g = s + 2 * d;
	st->gi = s + 3 * d;
	st->dx = s + 4 * d;
	st->xr = s + 5 * d;
	st->t1 = s + 6 * d;
	st->t2 = s + 7 * d;
	st->z = s + 8 * d;
	st->sig = st->z + zn;
	st->S = st->sig + d * d;
	st->L = st->S + d * d;
	st->sv = st->L + d * d;
	st->yb = st->sig + (asgd__sme_evolving(cx->sigma) ? 4 * d * d : 0);
	st->Gm = st->yb + cx->mix_k * d;
	st->xs = s + asgd__sme_scratch_doubles(cx) - nd_rows_doubles(cx);
	st->gs = st->xs + cx->max_support;
	st->pick = (uint64_t *)(st->gs + cx->max_support);	/* scratch has no declared type */
	st->clamps = 0;
}

/* C(x) (d = 1) via the same shifted sums as the scalar loop. */
static double cov1(const struct sme_ctx *cx, double x)
{
	double C;

	asgd__sme_grad1_general(cx, x, &C);
	return C;
}

/* The mixture's Σ = Σ_j π_j G_j − ḡḡᵀ into sv, with ḡ = Σ_j π_j ȳ_j in y (MODELS.md §5). */
static void nd_mixture_sigma(const struct sme_ctx *cx, struct nd_state *st)
{
	const size_t d = cx->d;

	for (size_t i = 0; i < d * d; i++) {
		double gb = 0;

		for (size_t j = 0; j < cx->mix_k; j++)
			gb += cx->mix_w[j] * st->Gm[j * d * d + i];
		st->sv[i] = gb - st->y[i / d] * st->y[i % d];
	}
}

/*
 * ∇f_i on row i's support into *gs (at x_0 from the stored rows for a constant Σ, else at xr,
 * gathered into xs); returns the support's size and its indices in *idx (NULL: all of 0..d−1).
 */
static size_t nd_row_grad(const struct sme_ctx *cx, struct nd_state *st, size_t i,
			  const uint32_t **idx, const double **gs)
{
	size_t s = asgd_problem_support(cx->p, i, idx);

	if (cx->sigma == ASGD_SIGMA_CONSTANT) {
		*gs = cx->Fs + cx->Fs_at[i];
		return s;
	}
	for (size_t e = 0; *idx && e < s; e++)
		st->xs[e] = st->xr[(*idx)[e]];
	asgd_problem_grad_support(cx->p, i, *idx ? st->xs : st->xr, st->gs);
	*gs = st->gs;
	return s;
}

/*
 * The row route: dx = amp·(1/√m) Σ_j z_j (∇f_{i_j} − ∇f) = amp/√m · (Σ_j z_j ∇f_{i_j} − (Σ_j z_j)∇f),
 * rows i_j = j (exact, m = n) or sampled; ∇f = @gbar at the same point. Its covariance is
 * amp²·C exactly: for the exact rows because Σ_i (∇f_i − ∇f)(∇f_i − ∇f)ᵀ/n = C, for sampled ones
 * because each term has covariance C over the row's draw and the terms are uncorrelated. Summing
 * the uncentred gradients and subtracting once loses digits only where the spread of the ∇f_i is
 * far below |∇f|, i.e. far from any minimiser, where the noise does not matter.
 */
static void nd_noise_rows(const struct sme_ctx *cx, struct nd_state *st, double amp,
			  const double *gbar)
{
	const size_t d = cx->d, m = cx->noise_m;
	const double w = amp / sqrt((double)m);
	double zs = 0;

	memset(st->dx, 0, d * sizeof(double));
	for (size_t j = 0; j < m; j++) {
		size_t i = cx->sampled ? (size_t)st->pick[j] : j;
		const double z = st->z[j], *gs;
		const uint32_t *idx;
		size_t s = nd_row_grad(cx, st, i, &idx, &gs);

		zs += z;
		if (idx)
			for (size_t e = 0; e < s; e++)
				st->dx[idx[e]] += z * gs[e];
		else
			for (size_t e = 0; e < s; e++)
				st->dx[e] += z * gs[e];
	}
	for (size_t r = 0; r < d; r++)
		st->dx[r] = w * (st->dx[r] - zs * gbar[r]);
}

/* dx = amp·√Σ z for the state's Σ; @xr is where `instant` evaluates C, @gxr ∇f there (NULL:
 * not known yet). */
static int nd_noise(const struct sme_ctx *cx, struct nd_state *st, double amp, const double *gxr)
{
	const size_t d = cx->d, n = cx->n;
	const double c = cx->fric;
	const int mixture = cx->model == ASGD_MODEL_SME_ASGD_MIXTURE;
	int cl, rc;

	if (mixture && cx->sigma == ASGD_SIGMA_CONTINUUM)
		nd_mixture_sigma(cx, st);
	if (d == 1) {
		double s;

		switch (cx->sigma) {
		case ASGD_SIGMA_CONSTANT: s = sqrt(fmax(cx->C0, 0)); break;
		case ASGD_SIGMA_INSTANT: s = sqrt(fmax(cov1(cx, st->xr[0]), 0)); break;
		case ASGD_SIGMA_CONTINUUM:
			s = asgd__sme_root_clamped(mixture ? st->sv[0]
						   : st->sig[0] - c * c * st->y[0] * st->y[0],
						   &st->clamps);
			break;
		default: s = asgd__sme_root_clamped(st->sig[0], &st->clamps); break;
		}
		st->dx[0] = amp * s * st->z[0];
		return ASGD_OK;
	}
	if (cx->rows) {
		if (cx->sigma == ASGD_SIGMA_CONSTANT) {
			gxr = cx->g0;
		} else if (!gxr) {
			asgd_problem_grad(cx->p, st->xr, st->t1);
			gxr = st->t1;
		}
		nd_noise_rows(cx, st, amp, gxr);
		return ASGD_OK;
	}
	memset(st->dx, 0, d * sizeof(double));
	if (cx->sigma == ASGD_SIGMA_CONSTANT) {
		for (size_t i = 0; i < n; i++)
			for (size_t r = 0; r < d; r++)
				st->dx[r] += amp * st->z[i] * cx->F0[i * d + r];
		return ASGD_OK;
	}
	if (cx->sigma == ASGD_SIGMA_INSTANT) {
		/* C(x) = FFᵀ, F_i = (∇f_i − ∇f)/√n: n normals instead of a factorisation */
		const double w = amp / sqrt((double)n);

		asgd_problem_grad(cx->p, st->xr, st->t1);
		for (size_t i = 0; i < n; i++) {
			asgd_problem_grad_i(cx->p, i, st->xr, st->gi);
			for (size_t r = 0; r < d; r++)
				st->dx[r] += w * st->z[i] * (st->gi[r] - st->t1[r]);
		}
		return ASGD_OK;
	}
	if (mixture)
		;	/* nd_mixture_sigma above */
	else if (cx->sigma == ASGD_SIGMA_CONTINUUM)
		asgd_sigma_continuum_value(st->sv, d, st->sig, c, st->y);
	else
		memcpy(st->sv, st->sig, d * d * sizeof(double));
	rc = asgd_sigma_factor(&st->fac, st->sv, st->L, &cl);
	if (rc != ASGD_OK)
		return rc;
	st->clamps += (uint64_t)cl;
	for (size_t r = 0; r < d; r++)
		for (size_t q = 0; q < d; q++)
			st->dx[r] += amp * st->L[r * d + q] * st->z[q];
	return ASGD_OK;
}

/* ∇f at x into g and, for an evolving Σ, S(x) into S (1-D: S = C + g², as the scalar loop). */
static void nd_grad(const struct sme_ctx *cx, struct nd_state *st, const double *x, double *g,
		    double *S)
{
	if (cx->d == 1) {
		double C;

		g[0] = asgd__sme_grad1_general(cx, x[0], S ? &C : NULL);
		if (S)
			S[0] = C + g[0] * g[0];
		return;
	}
	asgd_sigma_gradients(cx->p, x, g, S, st->gi);
}

/*
 * H(x)g into @out: exactly where the problem has it (the data models), else by a central
 * difference of ∇f along g (3.3); t1, t2 are scratch. On data the exact product is two passes
 * over the rows where the difference was two gradients, and it has no truncation error.
 */
static void nd_hess_grad(const struct sme_ctx *cx, struct nd_state *st, double *out)
{
	const size_t d = cx->d;
	double gn = 0, xn = 0, delta;

	if (asgd_problem_hess_vec(cx->p, st->x, st->g, out) == ASGD_OK)
		return;
	for (size_t r = 0; r < d; r++) {
		gn = fmax(gn, fabs(st->g[r]));
		xn = fmax(xn, fabs(st->x[r]));
	}
	if (gn == 0) {
		memset(out, 0, d * sizeof(double));
		return;
	}
	delta = 6e-6 * (1 + xn) / gn;	/* the step along g; ≈ ε^⅓ relative to x */
	for (size_t r = 0; r < d; r++)
		st->xr[r] = st->x[r] + delta * st->g[r];
	asgd_problem_grad(cx->p, st->xr, st->t1);
	for (size_t r = 0; r < d; r++)
		st->xr[r] = st->x[r] - delta * st->g[r];
	asgd_problem_grad(cx->p, st->xr, st->t2);
	for (size_t r = 0; r < d; r++)
		out[r] = (st->t1[r] - st->t2[r]) / (2 * delta);
}

/* ȳ_j(0) = ∇f(x_0) and, for the continuum Σ, G_j(0) = S(x_0) (MODELS.md §5). */
static void nd_start_mixture(const struct sme_ctx *cx, struct nd_state *st)
{
	const size_t d = cx->d;
	const int cont = cx->sigma == ASGD_SIGMA_CONTINUUM;

	nd_grad(cx, st, st->x, st->g, cont ? st->S : NULL);
	for (size_t j = 0; j < cx->mix_k; j++) {
		memcpy(st->yb + j * d, st->g, d * sizeof(double));
		if (cont)
			memcpy(st->Gm + j * d * d, st->S, d * d * sizeof(double));
	}
}

/* Initial data (MODELS.md §2) and the recorded X of the state. */
static void nd_start(const struct sme_ctx *cx, struct nd_state *st)
{
	const size_t d = cx->d;

	memcpy(st->x, cx->x0, d * sizeof(double));
	memset(st->y, 0, d * sizeof(double));
	if (cx->model == ASGD_MODEL_SME_ASGD) {
		nd_grad(cx, st, st->x, st->g, NULL);
		for (size_t r = 0; r < d; r++)
			st->y[r] = -cx->alpha * st->g[r];
	}
	if (cx->model == ASGD_MODEL_SME_ASGD_MIXTURE) {
		nd_start_mixture(cx, st);
		return;
	}
	if (!asgd__sme_evolving(cx->sigma))
		return;
	/* Σ_0 = C(x_0) = S(x_0) − ∇f∇fᵀ; the continuum choice carries G_0 = S(x_0) */
	nd_grad(cx, st, st->x, st->g, st->sig);
	if (cx->sigma == ASGD_SIGMA_EVOLVE)
		for (size_t r = 0; r < d; r++)
			for (size_t q = 0; q < d; q++)
				st->sig[r * d + q] -= st->g[r] * st->g[q];
}

/* Row k: X, or M + αP for the linear form (built in gi, free between substeps). */
static int nd_record(const struct sme_ctx *cx, struct nd_state *st, asgd_path_rows *rows,
		     uint64_t k)
{
	if (cx->model != ASGD_MODEL_SME_ASGD_LINEAR)
		return asgd_path_rows_put(rows, (size_t)k, st->x);
	for (size_t r = 0; r < cx->d; r++)
		st->gi[r] = st->x[r] + cx->alpha * st->y[r];
	return asgd_path_rows_put(rows, (size_t)k, st->gi);
}

/* This substep's normals and, for sampled rows, the rows (after the normals). */
static void nd_draw(const struct sme_ctx *cx, struct nd_state *st, asgd_rng *rng, size_t zn)
{
	for (size_t i = 0; i < zn; i++)
		st->z[i] = asgd_normal(rng);
	if (cx->rows && cx->sampled)
		for (size_t j = 0; j < cx->noise_m; j++)
			st->pick[j] = asgd_rng_below(rng, cx->n);
}

/*
 * The drift's ∇f and the exact row noise at the same x in one pass over the rows: each ∇f_i is
 * made once and goes both into ∇f = (1/n) Σ ∇f_i (the decomposition's mean, equal to
 * asgd_problem_grad up to rounding) and into Σ z_i ∇f_i. The margins are the cost of either
 * sum, so this halves a substep's work on data (the drift and the noise each were a pass). The
 * data models have the pass as asgd_problem_grad_weighted (a margin and one add per entry);
 * other sparse families build each ∇f_i on its support here.
 */
static void nd_grad_noise_fused(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d, n = cx->n;
	const double w = amp / sqrt((double)n), inv_n = 1 / (double)n;
	double zs = 0;

	for (size_t i = 0; i < n; i++)
		zs += st->z[i];
	if (asgd_problem_grad_weighted(cx->p, st->x, st->z, st->g, st->dx) != ASGD_OK) {
		memset(st->g, 0, d * sizeof(double));
		memset(st->dx, 0, d * sizeof(double));
		for (size_t i = 0; i < n; i++) {
			const double z = st->z[i], *gs;
			const uint32_t *idx;
			size_t s = nd_row_grad(cx, st, i, &idx, &gs);

			for (size_t e = 0; e < s; e++) {
				size_t r = idx ? idx[e] : e;

				st->g[r] += inv_n * gs[e];
				st->dx[r] += z * gs[e];
			}
		}
	}
	for (size_t r = 0; r < d; r++)
		st->dx[r] = w * (st->dx[r] - zs * st->g[r]);
}

/* ∇f at x into g (and S(x) into S unless @S is NULL), then the noise at xr = x into dx. */
static int nd_grad_noise(const struct sme_ctx *cx, struct nd_state *st, double amp, double *S)
{
	if (cx->d > 1 && cx->rows && !cx->sampled && cx->sigma == ASGD_SIGMA_INSTANT && !S) {
		nd_grad_noise_fused(cx, st, amp);	/* at x itself: xr is not needed */
		return ASGD_OK;
	}
	nd_grad(cx, st, st->x, st->g, S);
	memcpy(st->xr, st->x, cx->d * sizeof(double));
	return nd_noise(cx, st, amp, st->g);
}

/* One Euler–Maruyama substep of SME-ASGD (2.11) and its Σ. */
static int nd_step_asgd(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d;
	const double h = cx->h, c = cx->fric;
	int rc = nd_grad_noise(cx, st, amp, asgd__sme_evolving(cx->sigma) ? st->S : NULL);

	if (rc != ASGD_OK)
		return rc;
	if (cx->sigma == ASGD_SIGMA_CONTINUUM)
		asgd_sigma_continuum_step(st->sig, d, h, c, st->S);
	else if (cx->sigma == ASGD_SIGMA_EVOLVE)
		asgd_sigma_evolve_step(st->sig, d, h, c, cx->mu, st->S, st->g, st->y);
	for (size_t r = 0; r < d; r++) {
		double xn = st->x[r] + h * st->y[r] + st->dx[r];

		st->y[r] += h * (-st->g[r] - c * st->y[r]);
		st->x[r] = xn;
	}
	return ASGD_OK;
}

/*
 * One substep of SME-ASGD for mixture staleness (MODELS.md §5): y holds ḡ = Σ_j π_j ȳ_j;
 * dX = −αḡ dt + s√Σ dB, dȳ_j = c_j(∇f − ȳ_j)dt, dG_j = c_j(S − G_j)dt.
 */
static int nd_step_mixture(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d, K = cx->mix_k;
	const int cont = cx->sigma == ASGD_SIGMA_CONTINUUM;
	const double h = cx->h, al = cx->alpha;
	int rc;

	/* ḡ first: the continuum Σ is built from it, and the gradient and noise share a pass */
	for (size_t r = 0; r < d; r++) {
		st->y[r] = 0;
		for (size_t j = 0; j < K; j++)
			st->y[r] += cx->mix_w[j] * st->yb[j * d + r];
	}
	rc = nd_grad_noise(cx, st, amp, cont ? st->S : NULL);
	if (rc != ASGD_OK)
		return rc;
	for (size_t j = 0; j < K; j++) {
		double *yb = st->yb + j * d, ch = cx->mix_c[j] * h;

		if (cont)
			asgd_sigma_continuum_step(st->Gm + j * d * d, d, h, cx->mix_c[j], st->S);
		for (size_t r = 0; r < d; r++)
			yb[r] += ch * (st->g[r] - yb[r]);
	}
	for (size_t r = 0; r < d; r++)
		st->x[r] += st->dx[r] - h * al * st->y[r];
	return ASGD_OK;
}

/* One substep of the linear form (2.5): x holds M, y holds P. */
static int nd_step_linear(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d;
	const double h = cx->h, c = cx->fric, al = cx->alpha;
	int rc;

	nd_grad(cx, st, st->x, st->g, NULL);
	for (size_t r = 0; r < d; r++)
		st->xr[r] = st->x[r] + al * st->y[r];
	rc = nd_noise(cx, st, amp, NULL);
	if (rc != ASGD_OK)
		return rc;
	if (cx->sigma == ASGD_SIGMA_EVOLVE) {
		/* h = ∇f(P) − ∇f(0) into t2; S(M + μαP) into S (t1 is the gradient there) */
		nd_grad(cx, st, st->y, st->t2, NULL);
		for (size_t r = 0; r < d; r++) {
			st->t2[r] -= cx->grad0[r];
			st->xr[r] = st->x[r] + cx->mu * al * st->y[r];
		}
		nd_grad(cx, st, st->xr, st->t1, st->S);
		asgd_sigma_linear_step(st->sig, d, h, c, cx->mu, cx->dt, st->S, st->g, st->t2);
	}
	for (size_t r = 0; r < d; r++) {
		st->x[r] += h * st->y[r];
		st->y[r] += h * (-st->g[r] - c * st->y[r]) + st->dx[r];
	}
	return ASGD_OK;
}

/* One substep of SME-MSGD (2.7): x holds X, y holds P. */
static int nd_step_msgd(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const double h = cx->h, gam = cx->fric;
	int rc = nd_grad_noise(cx, st, amp, NULL);

	if (rc != ASGD_OK)
		return rc;
	for (size_t r = 0; r < cx->d; r++) {
		st->x[r] += h * st->y[r];
		st->y[r] += h * (-st->g[r] - gam * st->y[r]) + st->dx[r];
	}
	return ASGD_OK;
}

/* One substep of SME-SGD (3.3). */
static int nd_step_sgd(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const double h = cx->h, half_eta = 0.5 * cx->eta;
	int rc = nd_grad_noise(cx, st, amp, NULL);

	if (rc != ASGD_OK)
		return rc;
	nd_hess_grad(cx, st, st->y);	/* y is free in this model */
	for (size_t r = 0; r < cx->d; r++)
		st->x[r] += -h * (st->g[r] + half_eta * st->y[r]) + st->dx[r];
	return ASGD_OK;
}

static int nd_step(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	switch (cx->model) {
	case ASGD_MODEL_SME_ASGD: return nd_step_asgd(cx, st, amp);
	case ASGD_MODEL_SME_ASGD_LINEAR: return nd_step_linear(cx, st, amp);
	case ASGD_MODEL_SME_MSGD: return nd_step_msgd(cx, st, amp);
	case ASGD_MODEL_SME_ASGD_MIXTURE: return nd_step_mixture(cx, st, amp);
	default: return nd_step_sgd(cx, st, amp);
	}
}

int asgd__sme_path_generic(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows,
			   void *scratch)
{
	const struct sme_ctx *cx = ctx;
	const size_t d = cx->d, zn = nd_znormals(cx);
	const double amp0 = cx->noise * sqrt(cx->h);
	asgd__stop_poll poll = asgd__stop_poll_init(cx->stop);
	struct nd_state st;
	int rc = ASGD_OK;

	nd_carve(cx, &st, scratch);
	memset(&st.fac, 0, sizeof(st.fac));
	if (asgd__sme_evolving(cx->sigma) && d > 1) {
		rc = asgd_sigma_factorizer_init(&st.fac, d);
		if (rc != ASGD_OK)
			return rc;
	}
	nd_start(cx, &st);
	rc = nd_record(cx, &st, rows, 0);
	for (uint64_t k = 0; k < cx->K && rc == ASGD_OK; k++) {
		const double amp = amp0 * asgd__sme_batch_scale(cx, k);

		for (unsigned j = 0; j < cx->S && rc == ASGD_OK; j++) {
			nd_draw(cx, &st, rng, zn);
			rc = nd_step(cx, &st, amp);
			if (rc == ASGD_OK && asgd__stop_after(&poll, cx->substep_cost))
				rc = ASGD_EINTR;
		}
		if (rc == ASGD_OK)
			rc = nd_record(cx, &st, rows, k + 1);
	}
	asgd_sigma_factorizer_free(&st.fac);
	if (cx->clamps)
		cx->clamps[path] = st.clamps;
	return rc;
}
