/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sim.c — the discrete reference processes (docs/MODELS.md §1) as path functions of the ensemble.
 *
 * A path keeps no ring buffer: its own trajectory x_0..x_k, which the ensemble hands it anyway,
 * is the history, and a read at k − τ < 0 reads x_0 (the constant history). H therefore only
 * sets the staleness table: cells 0..H−1 carry the law and, when the horizon is longer than H, one
 * more cell carries the tail τ ≥ H, read as H−1 and counted.
 *
 * One-dimensional problems (fig4, fig5-*, fig8) get their own loops: the generator copied into
 * locals, affine gradients a_i x − b_i inlined, and the general gradient only through the
 * problem's function otherwise. Every loop draws in the same order — τ (when there is staleness),
 * then the components — so the 1-D and general loops give the same numbers for the same stream.
 *
 * A path may be long (K up to 2^31): every loop looks at the stop flag once per stop_every steps
 * (~0.1 ms of work, one compare a step otherwise) and returns ASGD_EINTR, which the ensemble takes
 * as a stop.
 */
#include "asgd/sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/sampler.h"
#include "core/stop_internal.h"

struct sim_ctx {
	const asgd_sim_config *cfg;
	size_t dim, n;
	const double *x0;
	asgd_alias tau;			/* staleness table; unused when !stale */
	int stale;			/* draws τ at all (no: SGD, MSGD, μ = 0, a pmf of one cell) */
	uint64_t history;		/* H */
	double *a, *b;			/* 1-D affine gradients a_i x − b_i, or NULL */
	double *ea, *eb;		/* η a_i and η b_i: the ASGD step is x − (ηa_i x_r − ηb_i) */
	unsigned gamma_bits;		/* n = 2^gamma_bits: γ from the τ draw's spare bits; 0: no */
	size_t ring;			/* rows a general path keeps (a power of two) */
	int sparse;			/* component gradients through their supports (data) */
	uint64_t stop_every;		/* steps between two looks at cfg->stop (stop_internal.h) */
	atomic_uint_fast64_t truncated;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ASGD_EINVAL;
}

static int uses_staleness(asgd_model m)
{
	return m == ASGD_MODEL_ASGD || m == ASGD_MODEL_MINIBATCH;
}

static int check_pmf(const asgd_sim_config *cfg, char *err, size_t errlen)
{
	double sum = 0;

	if (!uses_staleness(cfg->model))
		return fail(err, errlen, "a staleness pmf is only allowed for asgd and minibatch, "
			    "not %s", asgd_model_name(cfg->model));
	if (cfg->tau_len == 0 || cfg->tau_len > ((size_t)1 << ASGD_ALIAS_MAX_BITS))
		return fail(err, errlen, "staleness pmf length %zu is not allowed: expected 1..%zu",
			    cfg->tau_len, (size_t)1 << ASGD_ALIAS_MAX_BITS);
	for (size_t l = 0; l < cfg->tau_len; l++) {
		if (!(cfg->tau_pmf[l] >= 0) || !isfinite(cfg->tau_pmf[l]))
			return fail(err, errlen, "staleness pmf value %g at tau=%zu is not allowed: "
				    "expected a finite number >= 0", cfg->tau_pmf[l], l);
		sum += cfg->tau_pmf[l];
	}
	if (!(sum > 0))
		return fail(err, errlen, "staleness pmf sums to %g: expected a positive sum", sum);
	return ASGD_OK;
}

static int check_batch(const asgd_sim_config *cfg, char *err, size_t errlen)
{
	const asgd_batch_schedule *b = &cfg->batch;

	if (cfg->model != ASGD_MODEL_MINIBATCH) {
		if ((b->size && b->len) || b->constant > 1)
			return fail(err, errlen, "a batch size is only allowed for minibatch, not %s",
				    asgd_model_name(cfg->model));
		return ASGD_OK;
	}
	if (b->constant > ASGD_SIM_MAX_BATCH)
		return fail(err, errlen, "batch %u is not allowed: expected 1..%u", b->constant,
			    ASGD_SIM_MAX_BATCH);
	for (size_t k = 0; b->size && k < b->len; k++)
		if (b->size[k] < 1 || b->size[k] > ASGD_SIM_MAX_BATCH)
			return fail(err, errlen, "batch %u at k=%zu is not allowed: expected 1..%u",
				    b->size[k], k, ASGD_SIM_MAX_BATCH);
	return ASGD_OK;
}

int asgd_sim_check_config(const asgd_sim_config *cfg, char *err, size_t errlen)
{
	size_t dim;

	if (!cfg || !cfg->problem)
		return fail(err, errlen, "no configuration or no problem");
	if ((unsigned)cfg->model > ASGD_MODEL_MINIBATCH)
		return fail(err, errlen, "model %d is not allowed: expected asgd, sgd, msgd or "
			    "minibatch", (int)cfg->model);
	if (!(cfg->eta > 0) || !isfinite(cfg->eta))
		return fail(err, errlen, "eta %g is not allowed: expected a finite number > 0",
			    cfg->eta);
	if (cfg->model != ASGD_MODEL_SGD && !(cfg->mu >= 0 && cfg->mu < 1))
		return fail(err, errlen, "mu %g is not allowed: expected a number in [0, 1)", cfg->mu);
	dim = asgd_problem_dim(cfg->problem);
	if (cfg->iters < 1 || cfg->iters >= ((uint64_t)1 << 31) / dim)
		return fail(err, errlen, "iters %llu is not allowed: expected 1..%llu for dimension "
			    "%zu", (unsigned long long)cfg->iters,
			    (unsigned long long)(((uint64_t)1 << 31) / dim - 1), dim);
	if (cfg->paths < 1)
		return fail(err, errlen, "paths 0 is not allowed: expected at least 1");
	if (cfg->tau_pmf && check_pmf(cfg, err, errlen))
		return ASGD_EINVAL;
	if (!cfg->tau_pmf && cfg->tau_len)
		return fail(err, errlen, "tau_len %zu without a pmf", cfg->tau_len);
	if (cfg->history > ((size_t)1 << ASGD_ALIAS_MAX_BITS) - 1)
		return fail(err, errlen, "history %zu is not allowed: expected 0..%zu", cfg->history,
			    ((size_t)1 << ASGD_ALIAS_MAX_BITS) - 1);
	return check_batch(cfg, err, errlen);
}

static uint64_t next_pow2(uint64_t v)
{
	uint64_t h = 1;

	while (h < v)
		h <<= 1;
	return h;
}

/* H for geometric staleness, and whether a tail cell beyond it is needed (H ≤ K). */
static uint64_t geometric_history(const asgd_sim_config *cfg, int *tail)
{
	uint64_t h = cfg->history ? cfg->history : asgd_geom_cut(cfg->mu, ASGD_SIM_TRUNCATION_EPS);
	uint64_t cover = next_pow2(cfg->iters + 1);

	if (!cfg->history && cover < h)
		h = cover;
	*tail = h <= cfg->iters && cfg->mu > 0;
	return h;
}

size_t asgd_sim_history(const asgd_sim_config *cfg, double *trunc_prob)
{
	uint64_t h = 1;
	int tail = 0;

	if (uses_staleness(cfg->model) && cfg->tau_pmf)
		h = cfg->tau_len;
	else if (uses_staleness(cfg->model))
		h = geometric_history(cfg, &tail);
	if (trunc_prob)
		*trunc_prob = tail ? pow(cfg->mu, (double)h) : 0.0;
	return (size_t)h;
}

/*
 * The staleness table: the pmf as given, or w_l = (1−μ)μ^l for l < H with the tail μ^H either
 * folded into cell H−1 (exact: H > K) or given its own cell H (truncated and counted).
 */
static int build_tau_table(struct sim_ctx *c)
{
	const asgd_sim_config *cfg = c->cfg;
	uint64_t h;
	int tail, rc;
	double *pmf;

	if (cfg->tau_pmf) {
		c->history = cfg->tau_len;
		c->stale = cfg->tau_len > 1;
		return asgd_alias_init(&c->tau, cfg->tau_pmf, cfg->tau_len);
	}
	h = geometric_history(cfg, &tail);
	c->history = h;
	c->stale = cfg->mu > 0 && (h > 1 || tail);
	pmf = malloc((h + 1) * sizeof(*pmf));
	if (!pmf)
		return ASGD_ENOMEM;
	for (uint64_t l = 0; l < h; l++)
		pmf[l] = (1 - cfg->mu) * pow(cfg->mu, (double)l);
	if (tail)
		pmf[h] = pow(cfg->mu, (double)h);
	else
		pmf[h - 1] = pow(cfg->mu, (double)(h - 1));	/* P(τ ≥ H−1): reads x_0 anyway */
	rc = asgd_alias_init(&c->tau, pmf, tail ? h + 1 : h);
	free(pmf);
	return rc;
}

/* 1-D affine gradients a_i x − b_i, when the problem has them. */
static int fetch_affine_1d(struct sim_ctx *c)
{
	if (c->dim != 1)
		return ASGD_OK;
	c->a = malloc(c->n * sizeof(double));
	c->b = malloc(c->n * sizeof(double));
	if (!c->a || !c->b)
		return ASGD_ENOMEM;
	if (asgd_problem_quadratic_parts(c->cfg->problem, c->a, c->b) != ASGD_OK) {
		free(c->a);
		free(c->b);
		c->a = c->b = NULL;
		return ASGD_OK;
	}
	c->ea = malloc(c->n * sizeof(double));
	c->eb = malloc(c->n * sizeof(double));
	if (!c->ea || !c->eb)
		return ASGD_ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		c->ea[i] = c->cfg->eta * c->a[i];
		c->eb[i] = c->cfg->eta * c->b[i];
	}
	return ASGD_OK;
}

/*
 * The work of one step: B component gradients, each O(dim) for a data model (it clears dim) and
 * up to O(dim²) for a dense quadratic (counted so for every preset: an overestimate only makes
 * the looks more frequent).
 */
static uint64_t step_cost(const struct sim_ctx *c)
{
	const asgd_batch_schedule *b = &c->cfg->batch;
	const uint64_t d = c->dim;
	uint64_t batch = asgd_batch_at(b, 0);

	for (size_t k = 0; b->size && k < b->len; k++)
		if (b->size[k] > batch)
			batch = b->size[k];
	return batch * (asgd_problem_dataset(c->cfg->problem) ? 2 * d + 4 : d * d + 4);
}

static void ctx_free(struct sim_ctx *c)
{
	asgd_alias_free(&c->tau);
	free(c->a);
	free(c->b);
	free(c->ea);
	free(c->eb);
}

static int ctx_init(struct sim_ctx *c, const asgd_sim_config *cfg)
{
	int rc = ASGD_OK;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->dim = asgd_problem_dim(cfg->problem);
	c->n = asgd_problem_components(cfg->problem);
	c->x0 = cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem);
	c->sparse = asgd_problem_dataset(cfg->problem) != NULL;
	c->history = 1;
	atomic_init(&c->truncated, 0);
	if (uses_staleness(cfg->model))
		rc = build_tau_table(c);
	if (rc == ASGD_OK)
		rc = fetch_affine_1d(c);
	c->stop_every = asgd__stop_every(step_cost(c));
	if (rc != ASGD_OK)
		ctx_free(c);
	return rc;
}

/* ---- one-dimensional loops ------------------------------------------------------------- */

/* ∇f_i(x) in 1-D: inlined for affine gradients, else through the problem. */
static inline __attribute__((always_inline)) double grad_1d(const struct sim_ctx *c, int affine,
							    uint64_t i, double x)
{
	double g;

	if (affine)
		return c->a[i] * x - c->b[i];
	asgd_problem_grad_i(c->cfg->problem, (size_t)i, &x, &g);
	return g;
}

/*
 * ASGD (2.1) and mini-batch ASGD (4.1) in 1-D. @stale: draw τ; @batched: B_k components at the
 * same read. Constant flags: each caller below is its own specialisation.
 */
static inline __attribute__((always_inline)) int walk_1d(struct sim_ctx *c, asgd_rng *rng,
							 double *traj, int stale, int affine,
							 int batched, int shared)
{
	const uint64_t gamma_mask = ((uint64_t)1 << c->gamma_bits) - 1;
	const asgd_sim_config *cfg = c->cfg;
	const asgd_alias tab = c->tau;
	const uint64_t K = cfg->iters, hmax = c->history - 1, n = c->n;
	const double eta = cfg->eta;
	const atomic_int *stop = cfg->stop;
	const uint64_t every = c->stop_every;
	asgd_rng r = *rng;
	uint64_t truncated = 0, look = every;
	double x = c->x0[0];
	int rc = ASGD_OK;

	traj[0] = x;
	for (uint64_t k = 0; k < K; k++) {
		double xr = x, g;

		if (k == look) {
			look += every;
			if (asgd__stop_raised(stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}

		if (shared) {	/* one draw: τ from its high bits, γ from its low ones */
			uint64_t u = asgd_rng_next(&r);
			uint64_t tau = asgd_alias_pick_spare(&tab, u, c->gamma_bits);

			truncated += tau > hmax;
			tau = tau > hmax ? hmax : tau;
			xr = traj[tau > k ? 0 : k - tau];
			if (affine) /* the step pre-multiplied: one multiply-subtract on the chain */
				x -= c->ea[u & gamma_mask] * xr - c->eb[u & gamma_mask];
			else
				x -= eta * grad_1d(c, affine, u & gamma_mask, xr);
			traj[k + 1] = x;
			continue;
		}
		if (stale) {
			uint64_t tau = asgd_alias_sample(&tab, &r);

			truncated += tau > hmax;
			tau = tau > hmax ? hmax : tau;
			xr = traj[tau > k ? 0 : k - tau];
		}
		if (batched) {
			uint32_t B = asgd_batch_at(&cfg->batch, k);

			g = 0;
			for (uint32_t j = 0; j < B; j++)
				g += grad_1d(c, affine, asgd_rng_below(&r, n), xr);
			g /= (double)B;
		} else {
			g = grad_1d(c, affine, asgd_rng_below(&r, n), xr);
		}
		x -= eta * g;
		traj[k + 1] = x;
	}
	*rng = r;
	if (truncated)
		atomic_fetch_add_explicit(&c->truncated, truncated, memory_order_relaxed);
	return rc;
}

/* MSGD (2.6) in 1-D: v ← μ'v − η'∇f_γ(x), x ← x + v, v_0 = 0. */
static inline __attribute__((always_inline)) int walk_msgd_1d(struct sim_ctx *c, asgd_rng *rng,
							      double *traj, int affine)
{
	const uint64_t K = c->cfg->iters, n = c->n, every = c->stop_every;
	const double eta = c->cfg->eta, mu = c->cfg->mu;
	asgd_rng r = *rng;
	double x = c->x0[0], v = 0;
	uint64_t look = every;
	int rc = ASGD_OK;

	traj[0] = x;
	for (uint64_t k = 0; k < K; k++) {
		if (k == look) {
			look += every;
			if (asgd__stop_raised(c->cfg->stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}
		v = mu * v - eta * grad_1d(c, affine, asgd_rng_below(&r, n), x);
		x += v;
		traj[k + 1] = x;
	}
	*rng = r;
	return rc;
}

#define SIM_1D_PATH(name, body)                                                              \
	static int name(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch) \
	{                                                                                    \
		(void)path;                                                                  \
		(void)scratch;                                                               \
		return body;                                                                 \
	}

SIM_1D_PATH(path_1d_shared_affine, walk_1d(ctx, rng, traj, 1, 1, 0, 1))
SIM_1D_PATH(path_1d_shared, walk_1d(ctx, rng, traj, 1, 0, 0, 1))
SIM_1D_PATH(path_1d_stale_affine, walk_1d(ctx, rng, traj, 1, 1, 0, 0))
SIM_1D_PATH(path_1d_stale, walk_1d(ctx, rng, traj, 1, 0, 0, 0))
SIM_1D_PATH(path_1d_fresh_affine, walk_1d(ctx, rng, traj, 0, 1, 0, 0))
SIM_1D_PATH(path_1d_fresh, walk_1d(ctx, rng, traj, 0, 0, 0, 0))
SIM_1D_PATH(path_1d_batch_affine, walk_1d(ctx, rng, traj, 1, 1, 1, 0))
SIM_1D_PATH(path_1d_batch, walk_1d(ctx, rng, traj, 1, 0, 1, 0))
SIM_1D_PATH(path_1d_fresh_batch_affine, walk_1d(ctx, rng, traj, 0, 1, 1, 0))
SIM_1D_PATH(path_1d_fresh_batch, walk_1d(ctx, rng, traj, 0, 0, 1, 0))
SIM_1D_PATH(path_1d_msgd_affine, walk_msgd_1d(ctx, rng, traj, 1))
SIM_1D_PATH(path_1d_msgd, walk_msgd_1d(ctx, rng, traj, 0))

static asgd_path_fn pick_1d(const struct sim_ctx *c)
{
	int affine = c->a != NULL;

	if (c->cfg->model == ASGD_MODEL_MSGD)
		return affine ? path_1d_msgd_affine : path_1d_msgd;
	if (c->cfg->model == ASGD_MODEL_MINIBATCH) {
		if (c->stale)
			return affine ? path_1d_batch_affine : path_1d_batch;
		return affine ? path_1d_fresh_batch_affine : path_1d_fresh_batch;
	}
	if (c->stale && c->gamma_bits)
		return affine ? path_1d_shared_affine : path_1d_shared;
	if (c->stale)
		return affine ? path_1d_stale_affine : path_1d_stale;
	return affine ? path_1d_fresh_affine : path_1d_fresh;
}

/*
 * log2 n when one 64-bit draw can carry both τ and γ — n a power of two, and at least 32 bits
 * left to resolve the staleness probabilities — else 0.
 */
static unsigned shared_gamma_bits(const struct sim_ctx *c)
{
	unsigned bits = 0;

	if (!c->stale || c->n == 0 || (c->n & (c->n - 1)))
		return 0;
	while (((size_t)1 << bits) < c->n)
		bits++;
	return bits >= 1 && 64 - c->tau.bits - bits >= 32 ? bits : 0;
}

/* ---- any dimension ---------------------------------------------------------------------- */

/*
 * A general path keeps the last R rows in a ring (R a power of two ≥ H, or ≥ K + 1 when that is
 * smaller; 1 when nothing reads a stale row): every read x_{k−τ}, τ ≤ H − 1, is still there when
 * it is needed, and the rows go to the ensemble as they are made. On a data set the whole
 * trajectory would be K·d doubles (755 MB for 2,000 rows of d = 47,236); the ring is R·d.
 */
static size_t ring_rows(const struct sim_ctx *c)
{
	uint64_t need = c->history < c->cfg->iters + 1 ? c->history : c->cfg->iters + 1;

	return c->cfg->model == ASGD_MODEL_MSGD || !c->stale ? 1 : (size_t)next_pow2(need);
}

/* Doubles of scratch a general path needs: the ring, g and gi, and a gathered support. */
static size_t general_scratch(const struct sim_ctx *c)
{
	return (c->ring + 2) * c->dim + 2 * asgd_problem_max_support(c->cfg->problem);
}

/* The average of B_k component gradients at @xr into @g; @gi is scratch. */
static void batch_gradient(const struct sim_ctx *c, asgd_rng *r, uint32_t B, const double *xr,
			   double *g, double *gi)
{
	const size_t dim = c->dim;

	asgd_problem_grad_i(c->cfg->problem, (size_t)asgd_rng_below(r, c->n), xr, g);
	for (uint32_t j = 1; j < B; j++) {
		asgd_problem_grad_i(c->cfg->problem, (size_t)asgd_rng_below(r, c->n), xr, gi);
		for (size_t d = 0; d < dim; d++)
			g[d] += gi[d];
	}
	if (B > 1)
		for (size_t d = 0; d < dim; d++)
			g[d] /= (double)B;
}

/* next = x − η g for the average @g of a batch (dense: O(dim)); next may be x. */
static void step_dense(const struct sim_ctx *c, const double *x, const double *g, double *next)
{
	for (size_t d = 0; d < c->dim; d++)
		next[d] = x[d] - c->cfg->eta * g[d];
}

/*
 * next = x − η∇f_i(xr) with one component: on a data model through its support, O(nnz of row i)
 * (plus a copy of x when next is another row). Off the support ∇f_i is 0 and x − η·0 = x, and
 * on it the gradient is the same sum in the same order, so this is bit-identical to the dense
 * step. @sc: dim + 2·max_support doubles.
 */
static void step_one(const struct sim_ctx *c, size_t i, const double *xr, const double *x,
		     double *next, double *sc)
{
	const asgd_problem *p = c->cfg->problem;
	const uint32_t *idx;
	size_t s;
	double *xs = sc + c->dim, *gs = xs + asgd_problem_max_support(p);

	if (!c->sparse) {
		asgd_problem_grad_i(p, i, xr, sc);
		step_dense(c, x, sc, next);
		return;
	}
	s = asgd_problem_support(p, i, &idx);
	for (size_t e = 0; e < s; e++)
		xs[e] = xr[idx[e]];
	asgd_problem_grad_support(p, i, xs, gs);
	if (next != x)
		memcpy(next, x, c->dim * sizeof(double));
	for (size_t e = 0; e < s; e++)
		next[idx[e]] = x[idx[e]] - c->cfg->eta * gs[e];
}

/* ASGD, SGD and mini-batch ASGD in any dimension, rows handed over as they come. */
static int path_general(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows,
			void *scratch)
{
	struct sim_ctx *c = ctx;
	const asgd_sim_config *cfg = c->cfg;
	const size_t dim = c->dim, mask = c->ring - 1;
	const uint64_t hmax = c->history - 1;
	double *ring = scratch, *g = ring + c->ring * dim, *gi = g + dim;
	uint64_t truncated = 0, look = c->stop_every;
	int rc;

	(void)path;
	memcpy(ring, c->x0, dim * sizeof(double));
	rc = asgd_path_rows_put(rows, 0, ring);
	for (uint64_t k = 0; k < cfg->iters && rc == ASGD_OK; k++) {
		const double *x = ring + (k & mask) * dim, *xr = x;
		double *next = ring + ((k + 1) & mask) * dim;
		uint64_t tau = 0, i = 0;
		uint32_t B = 1;

		if (k == look) {
			look += c->stop_every;
			if (asgd__stop_raised(cfg->stop)) {
				rc = ASGD_EINTR;
				break;
			}
		}

		if (c->gamma_bits) {	/* one draw for τ and γ, exactly as the 1-D loop */
			uint64_t u = asgd_rng_next(rng);

			tau = asgd_alias_pick_spare(&c->tau, u, c->gamma_bits);
			i = u & (c->n - 1);
		} else if (c->stale) {
			tau = asgd_alias_sample(&c->tau, rng);
		}
		truncated += tau > hmax;
		tau = tau > hmax ? hmax : tau;
		xr = tau > k ? c->x0 : ring + ((k - tau) & mask) * dim;
		if (!c->gamma_bits) {
			B = asgd_batch_at(&cfg->batch, k);
			if (B == 1)
				i = asgd_rng_below(rng, c->n);
		}
		if (B == 1) {
			step_one(c, (size_t)i, xr, x, next, g);
		} else {	/* the batch's average is dense anyway */
			batch_gradient(c, rng, B, xr, g, gi);
			step_dense(c, x, g, next);
		}
		rc = asgd_path_rows_put(rows, (size_t)k + 1, next);
	}
	if (truncated)
		atomic_fetch_add_explicit(&c->truncated, truncated, memory_order_relaxed);
	return rc;
}

/* MSGD in any dimension; scratch: 3·dim doubles (x, gradient, velocity). The velocity decays
 * every coordinate, so a step is O(dim) whatever the gradient's support. */
static int path_msgd(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows,
		     void *scratch)
{
	struct sim_ctx *c = ctx;
	const asgd_sim_config *cfg = c->cfg;
	const size_t dim = c->dim;
	double *x = scratch, *g = x + dim, *v = g + dim;
	uint64_t look = c->stop_every;
	int rc;

	(void)path;
	memcpy(x, c->x0, dim * sizeof(double));
	memset(v, 0, dim * sizeof(double));
	rc = asgd_path_rows_put(rows, 0, x);
	for (uint64_t k = 0; k < cfg->iters && rc == ASGD_OK; k++) {
		if (k == look) {
			look += c->stop_every;
			if (asgd__stop_raised(cfg->stop))
				return ASGD_EINTR;
		}

		asgd_problem_grad_i(cfg->problem, (size_t)asgd_rng_below(rng, c->n), x, g);
		for (size_t d = 0; d < dim; d++) {
			v[d] = cfg->mu * v[d] - cfg->eta * g[d];
			x[d] += v[d];
		}
		rc = asgd_path_rows_put(rows, (size_t)k + 1, x);
	}
	return rc;
}

/* The ensemble's path function: a 1-D loop (whole trajectories) or a general one (rows). */
static void pick_path(const struct sim_ctx *c, asgd_ensemble_config *ec)
{
	if (c->dim == 1) {
		ec->path = pick_1d(c);
		return;
	}
	ec->path_rows = c->cfg->model == ASGD_MODEL_MSGD ? path_msgd : path_general;
	ec->scratch_bytes = general_scratch(c) * sizeof(double);
}

int asgd_sim_run(const asgd_sim_config *cfg, asgd_sim_result *res)
{
	struct sim_ctx c;
	asgd_ensemble_config ec;
	int rc;

	if (!res || asgd_sim_check_config(cfg, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	rc = ctx_init(&c, cfg);
	if (rc != ASGD_OK)
		return rc;
	c.gamma_bits = cfg->model == ASGD_MODEL_ASGD ? shared_gamma_bits(&c) : 0;
	c.ring = ring_rows(&c);
	memset(&ec, 0, sizeof(ec));
	ec.paths = cfg->paths;
	ec.threads = cfg->threads;
	ec.seed = cfg->seed;
	ec.steps = (size_t)cfg->iters + 1;
	ec.every = cfg->every;
	ec.dim = c.dim;
	pick_path(&c, &ec);
	ec.ctx = &c;
	ec.keep_final = cfg->keep_final;
	ec.observe = cfg->observe;
	ec.stop = cfg->stop;
	ec.progress = cfg->progress;
	ec.progress_arg = cfg->progress_arg;

	memset(res, 0, sizeof(*res));
	rc = asgd_ensemble_run(&ec, &res->ens);
	if (rc == ASGD_OK) {
		res->history = asgd_sim_history(cfg, &res->truncation_prob);
		res->truncated = atomic_load(&c.truncated);
		res->path_steps_per_s = res->ens.wall_s > 0
			? (double)res->ens.paths_done * (double)cfg->iters / res->ens.wall_s : 0;
	}
	ctx_free(&c);
	return rc;
}

/* One pilot path of @k steps on one thread (asgd_ensemble_estimate_pilot's callback). */
static int sim_pilot(void *arg, uint64_t k, double *wall)
{
	asgd_sim_config pilot = *(const asgd_sim_config *)arg;
	asgd_sim_result res;
	int rc;

	pilot.iters = k;
	pilot.paths = 1;
	pilot.threads = 1;
	pilot.keep_final = 0;
	pilot.progress = NULL;
	if (pilot.batch.size && pilot.batch.len > pilot.iters)
		pilot.batch.len = (size_t)pilot.iters;
	rc = asgd_sim_run(&pilot, &res);
	if (rc != ASGD_OK)
		return rc;
	*wall = res.ens.wall_s;
	rc = res.ens.interrupted ? ASGD_EINTR : ASGD_OK;
	asgd_sim_result_free(&res);
	return rc;
}

int asgd_sim_estimate_s(const asgd_sim_config *cfg, double *seconds)
{
	if (!cfg || !seconds || asgd_sim_check_config(cfg, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	return asgd_ensemble_estimate_pilot(cfg->iters, cfg->paths, cfg->threads, sim_pilot,
					    (void *)cfg, seconds);
}

void asgd_sim_result_free(asgd_sim_result *res)
{
	if (!res)
		return;
	asgd_ensemble_result_free(&res->ens);
	memset(res, 0, sizeof(*res));
}
