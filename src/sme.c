/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme.c — Euler–Maruyama ensembles of the SMEs (docs/MODELS.md §2).
 *
 * One path is one function of its random stream: the ensemble module runs P of them on all cores.
 * Two integrators compute the same scheme:
 *   - a scalar loop for d = 1 (the common case: Figures 4 and 5), with the stream copied into a
 *     local so that it lives in registers, a ziggurat normal, and the gradient inlined as a·x − b
 *     when the problem is affine — each (model, Σ choice, affine?) gets its own compiled loop;
 *   - a vector loop for any d, where the evolving Σ(t) choices carry a d×d matrix (asgd/sigma.h).
 * Both draw one normal per substep in 1-D, so for the same seed they give the same paths up to
 * rounding (tests/test_sme.c checks it).
 *
 * Within a substep of length h every coefficient is taken at the substep's start (explicit,
 * Itô): the noise uses Σ before Σ moves, and the state and Σ both step from the old values.
 */
#include "asgd/sme.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/normal.h"
#include "asgd/sigma.h"

/* Everything a path needs, fixed before the ensemble starts; read-only while it runs. */
struct sme_ctx {
	const asgd_problem *p;
	asgd_model model;
	asgd_sigma sigma;
	size_t d, n;
	uint64_t K;
	unsigned S;
	double eta, mu, dt, h;
	double fric;		/* c for the SME-ASGDs, (1−μ')/√η' for SME-MSGD */
	double alpha;		/* α = √(η/(1−μ)) */
	double noise;		/* the coefficient of √Σ dB: s, (η(1−μ))^¼, η'^¼ or √η */
	const double *x0;
	double *bscale;		/* 1/√B_k for k < K, or NULL when every B_k = 1 */
	uint64_t *clamps;	/* per path, for the evolving Σ choices; else NULL */
	/* 1-D, affine gradients: ∇f = a x − b, C(x) = va x² − 2 cab x + vb */
	int affine;
	double a, b, va, cab, vb;
	double C0;		/* 1-D: C(x_0) */
	double *F0;		/* d > 1: n*d, the low-rank factor of C(x_0), rows (∇f_i − ∇f)/√n */
	double *grad0;		/* ∇f(0), for the linear form's h = ∇f(P) − ∇f(0) */
};

int asgd_sme_sigma_allowed(asgd_model model, asgd_sigma s)
{
	switch (model) {
	case ASGD_MODEL_SME_ASGD:
		return s < ASGD_SIGMA_COUNT;
	case ASGD_MODEL_SME_ASGD_LINEAR:
		return s == ASGD_SIGMA_EVOLVE || s == ASGD_SIGMA_CONSTANT || s == ASGD_SIGMA_INSTANT;
	case ASGD_MODEL_SME_MSGD:
	case ASGD_MODEL_SME_SGD:
		return s == ASGD_SIGMA_CONSTANT || s == ASGD_SIGMA_INSTANT;
	default:
		return 0;
	}
}

asgd_sigma asgd_sme_default_sigma(asgd_model m, const asgd_problem *p)
{
	int one_d = p && asgd_problem_dim(p) == 1;

	if (m == ASGD_MODEL_SME_ASGD && one_d)
		return ASGD_SIGMA_CONTINUUM;
	if (m == ASGD_MODEL_SME_ASGD_LINEAR && one_d)
		return ASGD_SIGMA_EVOLVE;
	return ASGD_SIGMA_INSTANT;
}

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return ASGD_EINVAL;
}

static int check_batch(const asgd_batch_schedule *b)
{
	if (!b->size)
		return ASGD_OK;
	for (size_t i = 0; i < b->len; i++)
		if (b->size[i] == 0)
			return ASGD_EINVAL;
	return ASGD_OK;
}

int asgd_sme_check_config(const asgd_sme_config *cfg, char *err, size_t errlen)
{
	if (!cfg || !cfg->problem)
		return fail(err, errlen, "no config or no problem");
	if (cfg->model < ASGD_MODEL_SME_ASGD || cfg->model > ASGD_MODEL_SME_SGD)
		return fail(err, errlen, "the model must be sme-asgd, sme-asgd-linear, sme-msgd or "
					 "sme-sgd");
	if (!asgd_sme_sigma_allowed(cfg->model, cfg->sigma))
		return fail(err, errlen, cfg->model == ASGD_MODEL_SME_ASGD_LINEAR
				 ? "sigma for sme-asgd-linear must be evolve, constant or instant"
				 : "sigma for sme-msgd and sme-sgd must be constant or instant");
	if (!(cfg->eta > 0) || !isfinite(cfg->eta))
		return fail(err, errlen, "eta must be a finite number > 0");
	if (cfg->model != ASGD_MODEL_SME_SGD && !(cfg->mu >= 0 && cfg->mu < 1))
		return fail(err, errlen, "mu must be in [0, 1)");
	if (cfg->model == ASGD_MODEL_SME_ASGD && cfg->sigma == ASGD_SIGMA_EVOLVE && cfg->mu == 0)
		return fail(err, errlen, "mu = 0 is not allowed with sigma evolve: (2.12) divides "
					 "by mu; use sigma continuum, its mu -> 0 limit");
	if (cfg->iters == 0 || cfg->substeps == 0 || cfg->paths == 0)
		return fail(err, errlen, "iters, substeps and paths must be >= 1");
	if (check_batch(&cfg->batch) != ASGD_OK)
		return fail(err, errlen, "batch sizes must be >= 1");
	return ASGD_OK;
}

/* ---- gradients and covariances in 1-D ---- */

/* ∇f(x) and, when @C is not NULL, C(x) for any problem: shifted sums keep C's digits. */
static double grad1_general(const struct sme_ctx *cx, double x, double *C)
{
	double g0, gi, m1 = 0, m2 = 0;

	if (!C) {
		asgd_problem_grad(cx->p, &x, &g0);
		return g0;
	}
	asgd_problem_grad_i(cx->p, 0, &x, &g0);
	for (size_t i = 1; i < cx->n; i++) {
		asgd_problem_grad_i(cx->p, i, &x, &gi);
		m1 += gi - g0;
		m2 += (gi - g0) * (gi - g0);
	}
	m1 /= (double)cx->n;
	m2 /= (double)cx->n;
	*C = m2 - m1 * m1;
	return g0 + m1;
}

/* ∇f(x), and C(x) into *C when C is not NULL; @affine is a constant after inlining. */
static inline double grad1(const struct sme_ctx *cx, const int affine, double x, double *C)
{
	if (affine) {
		if (C)
			*C = (cx->va * x - 2 * cx->cab) * x + cx->vb;
		return cx->a * x - cx->b;
	}
	return grad1_general(cx, x, C);
}

/* H(x)g by a central difference of ∇f along g (3.3); exact for affine gradients. */
static double hess_grad1(const struct sme_ctx *cx, const int affine, double x, double g)
{
	double delta, up, down;

	if (affine)
		return cx->a * g;
	if (g == 0)
		return 0;
	delta = 6e-6 * (1 + fabs(x));	/* ≈ ε^⅓: balances truncation against rounding */
	up = grad1(cx, 0, x + delta, NULL);
	down = grad1(cx, 0, x - delta, NULL);
	return (up - down) / (2 * delta) * g;
}

static inline double batch_scale(const struct sme_ctx *cx, uint64_t k)
{
	return cx->bscale ? cx->bscale[k] : 1.0;
}

/* The noise amplitude √Σ⁺ for an evolving Σ, counting a clamp when Σ < 0 (NaN stays NaN). */
static inline double root_clamped(double s2, uint64_t *ncl)
{
	if (s2 < 0) {
		(*ncl)++;
		return 0;
	}
	return sqrt(s2);
}

/* ---- 1-D scalar loops: one per model, specialised on (affine, Σ choice) ---- */

/* SME-ASGD (2.11) with Σ per @mode; Y_0 = −α∇f(x_0), Σ_0 = C(x_0), G_0 = S(x_0). */
static inline void asgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, uint64_t *clamps,
			 const int affine, const asgd_sigma mode)
{
	asgd_rng r = *rs;
	const double h = cx->h, c = cx->fric, ch = c * h, mu = cx->mu, amp0 = cx->noise * sqrt(h);
	const double kg = mode == ASGD_SIGMA_EVOLVE ? c * (1 - mu) / mu : 0;
	const double ky = mode == ASGD_SIGMA_EVOLVE ? c * c * c / mu : 0;
	const double kgy = mode == ASGD_SIGMA_EVOLVE ? 2 * c * c / mu : 0;
	double x = cx->x0[0], C, g = grad1(cx, affine, x, &C);
	double y = -cx->alpha * g, sig = C, G = C + g * g;
	const double sqc = sqrt(fmax(cx->C0, 0));
	uint64_t ncl = 0;

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		const double amp = amp0 * batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < cx->S; j++) {
			const double z = asgd_normal(&r);
			double dx, xn;

			switch (mode) {
			case ASGD_SIGMA_CONSTANT:
				g = grad1(cx, affine, x, NULL);
				dx = ampc * z;
				break;
			case ASGD_SIGMA_INSTANT:
				g = grad1(cx, affine, x, &C);
				dx = amp * sqrt(fmax(C, 0)) * z;
				break;
			case ASGD_SIGMA_CONTINUUM:
				g = grad1(cx, affine, x, &C);
				dx = amp * root_clamped(G - c * c * y * y, &ncl) * z;
				G += ch * (C + g * g - G);
				break;
			default: /* evolve: (2.12) */
				g = grad1(cx, affine, x, &C);
				dx = amp * root_clamped(sig, &ncl) * z;
				sig += h * (-c * sig + c * (C + g * g) + kg * g * g + ky * y * y +
					    kgy * g * y);
				break;
			}
			xn = x + h * y + dx;
			y += h * (-g - c * y);
			x = xn;
		}
		traj[k + 1] = x;
	}
	*rs = r;
	if (clamps)
		*clamps = ncl;
}

/* SME-ASGD, linear form (2.5): M_0 = x_0, P_0 = 0, X = M + αP recorded. */
static inline void linear1(const struct sme_ctx *cx, asgd_rng *rs, double *traj,
			   uint64_t *clamps, const int affine, const asgd_sigma mode)
{
	asgd_rng r = *rs;
	const double h = cx->h, c = cx->fric, mu = cx->mu, al = cx->alpha, dt = cx->dt;
	const double amp0 = cx->noise * sqrt(h), g00 = affine ? 0 : cx->grad0[0];
	const double sqc = sqrt(fmax(cx->C0, 0));
	double m = cx->x0[0], pv = 0, sig = cx->C0;
	uint64_t ncl = 0;

	traj[0] = m;
	for (uint64_t k = 0; k < cx->K; k++) {
		const double amp = amp0 * batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < cx->S; j++) {
			const double z = asgd_normal(&r);
			double g = grad1(cx, affine, m, NULL), dp, C, hp, gr;

			switch (mode) {
			case ASGD_SIGMA_CONSTANT:
				dp = ampc * z;
				break;
			case ASGD_SIGMA_INSTANT:
				grad1(cx, affine, m + al * pv, &C);
				dp = amp * sqrt(fmax(C, 0)) * z;
				break;
			default: /* evolve: the linear Σ equation of MODELS.md §2.2 */
				dp = amp * root_clamped(sig, &ncl) * z;
				hp = affine ? cx->a * pv : grad1(cx, 0, pv, NULL) - g00;
				gr = grad1(cx, affine, m + mu * al * pv, &C);
				sig += h * (-c * sig - 2 * mu * g * hp - c * g * g + mu * dt * hp * hp +
					    c * (C + gr * gr));
				break;
			}
			m += h * pv;
			pv += h * (-g - c * pv) + dp;
		}
		traj[k + 1] = m + al * pv;
	}
	*rs = r;
	if (clamps)
		*clamps = ncl;
}

/* SME-MSGD (2.7): X_0 = x_0, P_0 = 0, friction (1−μ')/√η'. */
static inline void msgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, const int affine,
			 const asgd_sigma mode)
{
	asgd_rng r = *rs;
	const double h = cx->h, gam = cx->fric, amp0 = cx->noise * sqrt(h);
	const double sqc = sqrt(fmax(cx->C0, 0));
	double x = cx->x0[0], pv = 0;

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		const double amp = amp0 * batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < cx->S; j++) {
			const double z = asgd_normal(&r);
			double C, g, dp;

			if (mode == ASGD_SIGMA_CONSTANT) {
				g = grad1(cx, affine, x, NULL);
				dp = ampc * z;
			} else {
				g = grad1(cx, affine, x, &C);
				dp = amp * sqrt(fmax(C, 0)) * z;
			}
			x += h * pv;
			pv += h * (-g - gam * pv) + dp;
		}
		traj[k + 1] = x;
	}
	*rs = r;
}

/* SME-SGD (3.3): dX = −(∇f + (η/2)H∇f)dt + √(ηΣ) dB. */
static inline void sgd1(const struct sme_ctx *cx, asgd_rng *rs, double *traj, const int affine,
			const asgd_sigma mode)
{
	asgd_rng r = *rs;
	const double h = cx->h, half_eta = 0.5 * cx->eta, amp0 = cx->noise * sqrt(h);
	const double sqc = sqrt(fmax(cx->C0, 0));
	double x = cx->x0[0];

	traj[0] = x;
	for (uint64_t k = 0; k < cx->K; k++) {
		const double amp = amp0 * batch_scale(cx, k), ampc = amp * sqc;

		for (unsigned j = 0; j < cx->S; j++) {
			const double z = asgd_normal(&r);
			double C, g, dx;

			if (mode == ASGD_SIGMA_CONSTANT) {
				g = grad1(cx, affine, x, NULL);
				dx = ampc * z;
			} else {
				g = grad1(cx, affine, x, &C);
				dx = amp * sqrt(fmax(C, 0)) * z;
			}
			x += -h * (g + half_eta * hess_grad1(cx, affine, x, g)) + dx;
		}
		traj[k + 1] = x;
	}
	*rs = r;
}

/* The 1-D loop of the configured (model, Σ), instantiated for affine and general gradients. */
#define SME_DISPATCH_SIGMA(fn, aff, extra)                                                     \
	switch (cx->sigma) {                                                                   \
	case ASGD_SIGMA_CONSTANT: fn(cx, rng, traj, extra aff, ASGD_SIGMA_CONSTANT); break;   \
	case ASGD_SIGMA_INSTANT: fn(cx, rng, traj, extra aff, ASGD_SIGMA_INSTANT); break;     \
	case ASGD_SIGMA_CONTINUUM: fn(cx, rng, traj, extra aff, ASGD_SIGMA_CONTINUUM); break; \
	default: fn(cx, rng, traj, extra aff, ASGD_SIGMA_EVOLVE); break;                      \
	}

#define SME_COMMA ,

static int path_1d_affine(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	const struct sme_ctx *cx = ctx;
	uint64_t *cl = cx->clamps ? &cx->clamps[path] : NULL;

	(void)scratch;
	switch (cx->model) {
	case ASGD_MODEL_SME_ASGD: SME_DISPATCH_SIGMA(asgd1, 1, cl SME_COMMA) break;
	case ASGD_MODEL_SME_ASGD_LINEAR: SME_DISPATCH_SIGMA(linear1, 1, cl SME_COMMA) break;
	case ASGD_MODEL_SME_MSGD: SME_DISPATCH_SIGMA(msgd1, 1, ) break;
	default: SME_DISPATCH_SIGMA(sgd1, 1, ) break;
	}
	return ASGD_OK;
}

static int path_1d_general(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	const struct sme_ctx *cx = ctx;
	uint64_t *cl = cx->clamps ? &cx->clamps[path] : NULL;

	(void)scratch;
	switch (cx->model) {
	case ASGD_MODEL_SME_ASGD: SME_DISPATCH_SIGMA(asgd1, 0, cl SME_COMMA) break;
	case ASGD_MODEL_SME_ASGD_LINEAR: SME_DISPATCH_SIGMA(linear1, 0, cl SME_COMMA) break;
	case ASGD_MODEL_SME_MSGD: SME_DISPATCH_SIGMA(msgd1, 0, ) break;
	default: SME_DISPATCH_SIGMA(sgd1, 0, ) break;
	}
	return ASGD_OK;
}

/* ---- the vector loop, any d ---- */

/* One path's vectors and matrices, carved from the thread's scratch. */
struct nd_state {
	double *x, *y;		/* (X, Y), (M, P) or (X, P) */
	double *g, *gi, *dx, *xr, *t1, *t2, *z;
	double *sig, *S, *L, *sv;	/* evolving Σ only: Σ or G, S(·), factor, Σ value */
	asgd_sigma_factorizer fac;
	uint64_t clamps;
};

static int evolving(asgd_sigma s)
{
	return s == ASGD_SIGMA_CONTINUUM || s == ASGD_SIGMA_EVOLVE;
}

static size_t nd_znormals(const struct sme_ctx *cx)
{
	if (cx->d == 1)
		return 1;
	return evolving(cx->sigma) ? cx->d : cx->n;
}

static size_t nd_scratch_doubles(const struct sme_ctx *cx)
{
	size_t d = cx->d, zn = cx->d > cx->n ? cx->d : cx->n;

	return 8 * d + zn + (evolving(cx->sigma) ? 4 * d * d : 0);
}

static void nd_carve(const struct sme_ctx *cx, struct nd_state *st, double *s)
{
	size_t d = cx->d, zn = cx->d > cx->n ? cx->d : cx->n;

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
	st->clamps = 0;
}

/* C(x) (d = 1) via the same shifted sums as the scalar loop. */
static double cov1(const struct sme_ctx *cx, double x)
{
	double C;

	grad1_general(cx, x, &C);
	return C;
}

/* dx = amp·√Σ z for the state's Σ; @xr is where `instant` evaluates C. */
static int nd_noise(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d, n = cx->n;
	const double c = cx->fric;
	int cl, rc;

	if (d == 1) {
		double s;

		switch (cx->sigma) {
		case ASGD_SIGMA_CONSTANT: s = sqrt(fmax(cx->C0, 0)); break;
		case ASGD_SIGMA_INSTANT: s = sqrt(fmax(cov1(cx, st->xr[0]), 0)); break;
		case ASGD_SIGMA_CONTINUUM:
			s = root_clamped(st->sig[0] - c * c * st->y[0] * st->y[0], &st->clamps);
			break;
		default: s = root_clamped(st->sig[0], &st->clamps); break;
		}
		st->dx[0] = amp * s * st->z[0];
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
	if (cx->sigma == ASGD_SIGMA_CONTINUUM)
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

		g[0] = grad1_general(cx, x[0], S ? &C : NULL);
		if (S)
			S[0] = C + g[0] * g[0];
		return;
	}
	asgd_sigma_gradients(cx->p, x, g, S, st->gi);
}

/* H(x)g by a central difference of ∇f along g (3.3), into @out; t1, t2 are scratch. */
static void nd_hess_grad(const struct sme_ctx *cx, struct nd_state *st, double *out)
{
	const size_t d = cx->d;
	double gn = 0, xn = 0, delta;

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
	if (!evolving(cx->sigma))
		return;
	/* Σ_0 = C(x_0) = S(x_0) − ∇f∇fᵀ; the continuum choice carries G_0 = S(x_0) */
	nd_grad(cx, st, st->x, st->g, st->sig);
	if (cx->sigma == ASGD_SIGMA_EVOLVE)
		for (size_t r = 0; r < d; r++)
			for (size_t q = 0; q < d; q++)
				st->sig[r * d + q] -= st->g[r] * st->g[q];
}

static void nd_record(const struct sme_ctx *cx, const struct nd_state *st, double *row)
{
	for (size_t r = 0; r < cx->d; r++)
		row[r] = cx->model == ASGD_MODEL_SME_ASGD_LINEAR ? st->x[r] + cx->alpha * st->y[r]
							       : st->x[r];
}

/* One Euler–Maruyama substep of SME-ASGD (2.11) and its Σ. */
static int nd_step_asgd(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d;
	const double h = cx->h, c = cx->fric;
	int rc;

	nd_grad(cx, st, st->x, st->g, evolving(cx->sigma) ? st->S : NULL);
	memcpy(st->xr, st->x, d * sizeof(double));
	rc = nd_noise(cx, st, amp);
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

/* One substep of the linear form (2.5): x holds M, y holds P. */
static int nd_step_linear(const struct sme_ctx *cx, struct nd_state *st, double amp)
{
	const size_t d = cx->d;
	const double h = cx->h, c = cx->fric, al = cx->alpha;
	int rc;

	nd_grad(cx, st, st->x, st->g, NULL);
	for (size_t r = 0; r < d; r++)
		st->xr[r] = st->x[r] + al * st->y[r];
	rc = nd_noise(cx, st, amp);
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
	int rc;

	nd_grad(cx, st, st->x, st->g, NULL);
	memcpy(st->xr, st->x, cx->d * sizeof(double));
	rc = nd_noise(cx, st, amp);
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
	int rc;

	nd_grad(cx, st, st->x, st->g, NULL);
	memcpy(st->xr, st->x, cx->d * sizeof(double));
	rc = nd_noise(cx, st, amp);
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
	default: return nd_step_sgd(cx, st, amp);
	}
}

static int path_generic(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	const struct sme_ctx *cx = ctx;
	const size_t d = cx->d, zn = nd_znormals(cx);
	const double amp0 = cx->noise * sqrt(cx->h);
	struct nd_state st;
	int rc = ASGD_OK;

	nd_carve(cx, &st, scratch);
	memset(&st.fac, 0, sizeof(st.fac));
	if (evolving(cx->sigma) && d > 1) {
		rc = asgd_sigma_factorizer_init(&st.fac, d);
		if (rc != ASGD_OK)
			return rc;
	}
	nd_start(cx, &st);
	nd_record(cx, &st, traj);
	for (uint64_t k = 0; k < cx->K && rc == ASGD_OK; k++) {
		const double amp = amp0 * batch_scale(cx, k);

		for (unsigned j = 0; j < cx->S && rc == ASGD_OK; j++) {
			for (size_t i = 0; i < zn; i++)
				st.z[i] = asgd_normal(rng);
			rc = nd_step(cx, &st, amp);
		}
		nd_record(cx, &st, traj + (k + 1) * d);
	}
	asgd_sigma_factorizer_free(&st.fac);
	if (cx->clamps)
		cx->clamps[path] = st.clamps;
	return rc;
}

/* ---- setting up and running ---- */

/* The affine 1-D coefficients, when ∇f_i(x) = A_i x − b_i; otherwise cx->affine stays 0. */
static int ctx_affine(struct sme_ctx *cx)
{
	const size_t n = cx->n;
	double *A, *b, ma = 0, mb = 0;
	int rc;

	if (cx->d != 1)
		return ASGD_OK;
	A = malloc(n * sizeof(double));
	b = malloc(n * sizeof(double));
	if (!A || !b) {
		free(A);
		free(b);
		return ASGD_ENOMEM;
	}
	rc = asgd_problem_quadratic_parts(cx->p, A, b);
	if (rc == ASGD_OK) {
		for (size_t i = 0; i < n; i++) {
			ma += A[i] / (double)n;
			mb += b[i] / (double)n;
		}
		/* C(x) = Var(A)x² − 2Cov(A, b)x + Var(b), centred sums */
		for (size_t i = 0; i < n; i++) {
			cx->va += (A[i] - ma) * (A[i] - ma) / (double)n;
			cx->cab += (A[i] - ma) * (b[i] - mb) / (double)n;
			cx->vb += (b[i] - mb) * (b[i] - mb) / (double)n;
		}
		cx->a = ma;
		cx->b = mb;
		cx->affine = 1;
	}
	free(A);
	free(b);
	return rc == ASGD_ENOMEM ? rc : ASGD_OK;
}

/* C(x_0): a scalar in 1-D, the low-rank factor F0 in d > 1; and ∇f(0). */
static int ctx_noise_data(struct sme_ctx *cx)
{
	const size_t d = cx->d, n = cx->n;
	double *g = malloc(d * sizeof(double)), *zero = calloc(d, sizeof(double));
	int rc = ASGD_ENOMEM;

	cx->grad0 = malloc(d * sizeof(double));
	if (d > 1)
		cx->F0 = malloc(n * d * sizeof(double));
	if (!g || !zero || !cx->grad0 || (d > 1 && !cx->F0))
		goto out;
	asgd_problem_grad(cx->p, zero, cx->grad0);
	if (d == 1) {
		grad1_general(cx, cx->x0[0], &cx->C0);
	} else {
		asgd_problem_grad(cx->p, cx->x0, g);
		for (size_t i = 0; i < n; i++) {
			asgd_problem_grad_i(cx->p, i, cx->x0, cx->F0 + i * d);
			for (size_t r = 0; r < d; r++)
				cx->F0[i * d + r] = (cx->F0[i * d + r] - g[r]) / sqrt((double)n);
		}
	}
	rc = ASGD_OK;
out:
	free(g);
	free(zero);
	return rc;
}

static int ctx_batch(struct sme_ctx *cx, const asgd_batch_schedule *b)
{
	if (asgd_batch_at(b, 0) == 1 && (!b->size || b->len <= 1))
		return ASGD_OK;	/* every B_k = 1 */
	cx->bscale = malloc(cx->K * sizeof(double));
	if (!cx->bscale)
		return ASGD_ENOMEM;
	for (uint64_t k = 0; k < cx->K; k++)
		cx->bscale[k] = 1.0 / sqrt((double)asgd_batch_at(b, k));
	return ASGD_OK;
}

static void ctx_free(struct sme_ctx *cx)
{
	free(cx->bscale);
	free(cx->clamps);
	free(cx->F0);
	free(cx->grad0);
}

/* The constants of MODELS.md §2 for the configured model. */
static void ctx_constants(struct sme_ctx *cx, const asgd_sme_config *cfg)
{
	const double eta = cfg->eta, mu = cx->model == ASGD_MODEL_SME_SGD ? 0 : cfg->mu;

	cx->eta = eta;
	cx->mu = mu;
	cx->dt = asgd_model_time_step(cx->model, eta, mu);
	cx->h = cx->dt / cx->S;
	cx->alpha = sqrt(eta / (1 - mu));
	switch (cx->model) {
	case ASGD_MODEL_SME_ASGD:
		cx->fric = sqrt((1 - mu) / eta);
		cx->noise = pow(eta, 0.75) * pow(1 - mu, -0.25);	/* s, s²Δt = η² */
		break;
	case ASGD_MODEL_SME_ASGD_LINEAR:
		cx->fric = sqrt((1 - mu) / eta);
		cx->noise = pow(eta * (1 - mu), 0.25);
		break;
	case ASGD_MODEL_SME_MSGD:
		cx->fric = (1 - mu) / sqrt(eta);
		cx->noise = pow(eta, 0.25);
		break;
	default:
		cx->fric = 0;
		cx->noise = sqrt(eta);
		break;
	}
}

static int ctx_init(struct sme_ctx *cx, const asgd_sme_config *cfg)
{
	int rc;

	memset(cx, 0, sizeof(*cx));
	cx->p = cfg->problem;
	cx->model = cfg->model;
	cx->sigma = cfg->sigma;
	cx->d = asgd_problem_dim(cfg->problem);
	cx->n = asgd_problem_components(cfg->problem);
	cx->K = cfg->iters;
	cx->S = cfg->substeps;
	cx->x0 = cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem);
	ctx_constants(cx, cfg);
	if (cx->K + 1 == 0 || (cx->K + 1) > SIZE_MAX / cx->d / sizeof(double))
		return ASGD_EINVAL;
	rc = ctx_affine(cx);
	if (rc == ASGD_OK)
		rc = ctx_noise_data(cx);
	if (rc == ASGD_OK)
		rc = ctx_batch(cx, &cfg->batch);
	if (rc == ASGD_OK && evolving(cx->sigma)) {
		cx->clamps = calloc(cfg->paths, sizeof(uint64_t));
		if (!cx->clamps)
			rc = ASGD_ENOMEM;
	}
	return rc;
}

int asgd_sme_run(const asgd_sme_config *cfg, asgd_sme_result *res)
{
	asgd_ensemble_config ec;
	struct sme_ctx cx;
	int rc;

	if (!res || asgd_sme_check_config(cfg, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	memset(res, 0, sizeof(*res));
	rc = ctx_init(&cx, cfg);
	if (rc != ASGD_OK) {
		ctx_free(&cx);
		return rc;
	}
	memset(&ec, 0, sizeof(ec));
	ec.paths = cfg->paths;
	ec.threads = cfg->threads;
	ec.seed = cfg->seed;
	ec.steps = (size_t)cfg->iters + 1;
	ec.dim = cx.d;
	ec.ctx = &cx;
	ec.keep_final = cfg->keep_final;
	ec.stop = cfg->stop;
	ec.progress = cfg->progress;
	ec.progress_arg = cfg->progress_arg;
	if (cx.d == 1 && !cfg->generic) {
		ec.path = cx.affine ? path_1d_affine : path_1d_general;
	} else {
		ec.path = path_generic;
		ec.scratch_bytes = nd_scratch_doubles(&cx) * sizeof(double);
	}
	rc = asgd_ensemble_run(&ec, &res->ens);
	if (rc == ASGD_OK) {
		res->dt = cx.dt;
		/* merged paths are a prefix of 0..P−1: count the clamps of exactly those */
		for (uint64_t p = 0; cx.clamps && p < res->ens.paths_done; p++)
			res->sigma_clamped += cx.clamps[p];
		if (res->ens.wall_s > 0)
			res->path_steps_per_s = (double)res->ens.paths_done * (double)cfg->iters *
						(double)cfg->substeps / res->ens.wall_s;
	}
	ctx_free(&cx);
	return rc;
}

void asgd_sme_result_free(asgd_sme_result *res)
{
	if (!res)
		return;
	asgd_ensemble_result_free(&res->ens);
	memset(res, 0, sizeof(*res));
}
