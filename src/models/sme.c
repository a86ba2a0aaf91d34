/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme.c — Euler–Maruyama ensembles of the SMEs (docs/MODELS.md §2, §5): checking a configuration,
 * fixing the model's constants and the problem's noise data once, and handing one path function
 * to the ensemble module, which runs P of them on all cores.
 *
 * Two integrators compute the same scheme: the scalar loops of sme_scalar.c for d = 1 (the
 * common case: Figures 4 and 5) and the vector loop of sme_vector.c for any d, where the evolving
 * Σ(t) choices carry a d×d matrix (asgd/sigma.h). Both draw one normal per substep in 1-D, so for
 * the same seed they give the same paths up to rounding (tests/test_sme.c checks it).
 */
#include "asgd/sme.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "sme_internal.h"
#include "core/stop_internal.h"

int asgd_sme_sigma_allowed(asgd_model model, asgd_sigma s)
{
	switch (model) {
	case ASGD_MODEL_SME_ASGD:
		return s < ASGD_SIGMA_COUNT;
	case ASGD_MODEL_SME_ASGD_LINEAR:
		return s == ASGD_SIGMA_EVOLVE || s == ASGD_SIGMA_CONSTANT || s == ASGD_SIGMA_INSTANT;
	case ASGD_MODEL_SME_ASGD_MIXTURE:
		return s != ASGD_SIGMA_EVOLVE && s < ASGD_SIGMA_COUNT;
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

	if ((m == ASGD_MODEL_SME_ASGD || m == ASGD_MODEL_SME_ASGD_MIXTURE) && one_d)
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

/* sme-asgd-mixture needs a valid mixture, and μ = μ̄ so that Δt = √(η(1 − μ̄)) (MODELS.md §5). */
static int check_mixture(const asgd_sme_config *cfg, char *err, size_t errlen)
{
	double mu_bar;

	if (cfg->model != ASGD_MODEL_SME_ASGD_MIXTURE)
		return cfg->mixture ? fail(err, errlen, "a staleness mixture is only for "
						   "sme-asgd-mixture") : ASGD_OK;
	if (!cfg->mixture)
		return fail(err, errlen, "sme-asgd-mixture needs a staleness mixture");
	if (asgd_geomix_check(cfg->mixture) != ASGD_OK)
		return fail(err, errlen, "the staleness mixture must have 1..6 components, weights "
					 "> 0 summing to 1 (within 1e-9) and every mu in [0, 1)");
	mu_bar = asgd_geomix_mu_bar(cfg->mixture);
	if (!(fabs(cfg->mu - mu_bar) <= 1e-9)) {
		if (err && errlen)
			snprintf(err, errlen, "mu %.17g is not allowed for sme-asgd-mixture: "
				 "expected the mixture's mu_bar = m/(1+m) = %.17g (within 1e-9), m "
				 "its mean staleness", cfg->mu, mu_bar);
		return ASGD_EINVAL;
	}
	return ASGD_OK;
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

/*
 * An evolving Σ is a d×d matrix per path, factorised at every substep: refused beyond
 * ASGD_SME_EVOLVING_MAX_DIM rather than allocated (at d = 47,236 it would be 4 × 17.9 GB a
 * thread and ~10¹⁴ flops a substep). The noise choice must be one of the three.
 */
static int check_noise(const asgd_sme_config *cfg, char *err, size_t errlen)
{
	size_t d = asgd_problem_dim(cfg->problem);

	if (asgd__sme_evolving(cfg->sigma) && d > ASGD_SME_EVOLVING_MAX_DIM) {
		if (err && errlen)
			snprintf(err, errlen, "sigma %s is not allowed for d = %zu: it carries a "
				 "d x d matrix per path (%.3g GB a thread) and factorises it at "
				 "every substep (O(d^3) = %.3g flops); allowed for d <= %u, use "
				 "sigma instant or constant", asgd_sigma_name(cfg->sigma), d,
				 4.0 * (double)d * (double)d * 8 / 1e9,
				 (double)d * (double)d * (double)d / 3, ASGD_SME_EVOLVING_MAX_DIM);
		return ASGD_EINVAL;
	}
	if ((unsigned)cfg->noise > ASGD_SME_NOISE_SAMPLED)
		return fail(err, errlen, "noise must be auto, exact or sampled:M");
	if (cfg->noise == ASGD_SME_NOISE_SAMPLED && cfg->noise_rows == 0)
		return fail(err, errlen, "noise sampled:M needs M >= 1 rows");
	return ASGD_OK;
}

int asgd_sme_noise_parse(const char *spec, asgd_sme_noise *kind, size_t *rows)
{
	uint64_t m;

	if (!spec || !kind || !rows)
		return ASGD_EINVAL;
	if (strcmp(spec, "exact") == 0 || strcmp(spec, "auto") == 0) {
		*kind = spec[0] == 'e' ? ASGD_SME_NOISE_EXACT : ASGD_SME_NOISE_AUTO;
		*rows = 0;
		return ASGD_OK;
	}
	if (strncmp(spec, "sampled:", 8) != 0 || asgd_parse_u64(spec + 8, &m) != ASGD_OK ||
	    m == 0 || m > SIZE_MAX / 16)
		return ASGD_EINVAL;
	*kind = ASGD_SME_NOISE_SAMPLED;
	*rows = (size_t)m;
	return ASGD_OK;
}

size_t asgd_sme_noise_rows(const asgd_sme_config *cfg)
{
	size_t n = asgd_problem_components(cfg->problem);

	switch (cfg->noise) {
	case ASGD_SME_NOISE_EXACT: return n;
	case ASGD_SME_NOISE_SAMPLED: return cfg->noise_rows;
	default: return n <= ASGD_SME_NOISE_EXACT_MAX_N ? n : ASGD_SME_NOISE_AUTO_ROWS;
	}
}

int asgd_sme_check_config(const asgd_sme_config *cfg, char *err, size_t errlen)
{
	if (!cfg || !cfg->problem)
		return fail(err, errlen, "no config or no problem");
	if (asgd_model_is_discrete(cfg->model) || cfg->model >= ASGD_MODEL_COUNT)
		return fail(err, errlen, "the model must be sme-asgd, sme-asgd-linear, sme-msgd, "
					 "sme-sgd or sme-asgd-mixture");
	if (!asgd_sme_sigma_allowed(cfg->model, cfg->sigma))
		return fail(err, errlen, cfg->model == ASGD_MODEL_SME_ASGD_LINEAR
				 ? "sigma for sme-asgd-linear must be evolve, constant or instant"
				 : cfg->model == ASGD_MODEL_SME_ASGD_MIXTURE
				 ? "sigma for sme-asgd-mixture must be continuum, constant or "
				   "instant"
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
	if (check_noise(cfg, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	return check_mixture(cfg, err, errlen);
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

/*
 * How C is sampled in d > 1 (asgd/sme.h): the row route for a data model (each ∇f_i on its
 * support) or whenever rows are sampled; the dense centred sum otherwise.
 */
static void ctx_noise_route(struct sme_ctx *cx, const asgd_sme_config *cfg)
{
	size_t m = asgd_sme_noise_rows(cfg);

	cx->max_support = asgd_problem_max_support(cx->p);
	cx->sampled = cfg->noise == ASGD_SME_NOISE_SAMPLED ||
		      (cfg->noise == ASGD_SME_NOISE_AUTO && m < cx->n);
	cx->rows = cx->d > 1 && !asgd__sme_evolving(cx->sigma) &&
		   (cx->sampled || (asgd_problem_dataset(cx->p) && !cfg->dense_noise));
	cx->noise_m = cx->rows ? (cx->sampled ? m : cx->n) : cx->n;
}

/* The row route's constant Σ = C(x_0): every ∇f_i(x_0) on its support, and ∇f(x_0). */
static int ctx_rows_at_x0(struct sme_ctx *cx)
{
	const size_t n = cx->n, d = cx->d;
	double *xs = malloc((cx->max_support + 1) * sizeof(double));
	const uint32_t *idx;
	size_t s;

	cx->Fs_at = malloc((n + 1) * sizeof(size_t));
	cx->g0 = malloc(d * sizeof(double));
	if (!xs || !cx->Fs_at || !cx->g0)
		goto nomem;
	cx->Fs_at[0] = 0;
	for (size_t i = 0; i < n; i++)
		cx->Fs_at[i + 1] = cx->Fs_at[i] + asgd_problem_support(cx->p, i, &idx);
	cx->Fs = malloc((cx->Fs_at[n] + 1) * sizeof(double));
	if (!cx->Fs)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		s = asgd_problem_support(cx->p, i, &idx);
		for (size_t e = 0; idx && e < s; e++)
			xs[e] = cx->x0[idx[e]];
		asgd_problem_grad_support(cx->p, i, idx ? xs : cx->x0, cx->Fs + cx->Fs_at[i]);
	}
	asgd_problem_grad(cx->p, cx->x0, cx->g0);
	free(xs);
	return ASGD_OK;
nomem:
	free(xs);
	return ASGD_ENOMEM;
}

/* C(x_0): a scalar in 1-D, for a constant Σ in d > 1 its low-rank factor (dense F0 or the rows'
 * gradients at x_0); and ∇f(0). */
static int ctx_noise_data(struct sme_ctx *cx)
{
	const size_t d = cx->d, n = cx->n;
	const int dense_f0 = d > 1 && cx->sigma == ASGD_SIGMA_CONSTANT && !cx->rows;
	double *g = malloc(d * sizeof(double)), *zero = calloc(d, sizeof(double));
	int rc = ASGD_ENOMEM;

	cx->grad0 = malloc(d * sizeof(double));
	if (dense_f0)
		cx->F0 = malloc(n * d * sizeof(double));
	if (!g || !zero || !cx->grad0 || (dense_f0 && !cx->F0))
		goto out;
	asgd_problem_grad(cx->p, zero, cx->grad0);
	if (d == 1) {
		asgd__sme_grad1_general(cx, cx->x0[0], &cx->C0);
	} else if (dense_f0) {
		asgd_problem_grad(cx->p, cx->x0, g);
		for (size_t i = 0; i < n; i++) {
			asgd_problem_grad_i(cx->p, i, cx->x0, cx->F0 + i * d);
			for (size_t r = 0; r < d; r++)
				cx->F0[i * d + r] = (cx->F0[i * d + r] - g[r]) / sqrt((double)n);
		}
	} else if (cx->rows && cx->sigma == ASGD_SIGMA_CONSTANT) {
		rc = ctx_rows_at_x0(cx);
		goto out;
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
	free(cx->Fs);
	free(cx->Fs_at);
	free(cx->g0);
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
	case ASGD_MODEL_SME_ASGD_MIXTURE:	/* α = η/Δt, s = η/√Δt with μ = μ̄ (§5) */
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

/* The mixture's weights and rates c_j = (1 − μ_j)/Δt of dȳ_j = c_j(∇f − ȳ_j)dt (MODELS.md §5). */
static void ctx_mixture(struct sme_ctx *cx, const asgd_geomix *m)
{
	cx->mix_k = m->count;
	for (size_t j = 0; j < m->count; j++) {
		cx->mix_w[j] = m->weight[j];
		cx->mix_c[j] = (1 - m->mu[j]) / cx->dt;
	}
}

/*
 * The stop flag and the work between two looks at it: a substep costs a few units with affine
 * 1-D gradients, O(n) with general ones (C(x) sums every component); in d > 1 up to O(n·d²) (a
 * component gradient of a dense quadratic is O(d²): an overestimate elsewhere only makes the
 * looks more frequent) and O(d³) more with an evolving Σ (its factorisation).
 */
static void ctx_stop(struct sme_ctx *cx, const asgd_sme_config *cfg)
{
	const uint64_t d = cx->d, n = cx->n;

	cx->stop = cfg->stop;
	if (d == 1 && !cfg->generic)
		cx->substep_cost = cx->affine ? 8 : 8 * n + 8;
	else if (asgd_problem_dataset(cx->p) && !asgd__sme_evolving(cx->sigma))
		/* two passes over the data (∇f, the noise's rows) and a few over x; SME-SGD's H∇f
		 * two more */
		cx->substep_cost = 16 * ((uint64_t)asgd_problem_dataset(cx->p)->nnz + n + d) +
				   8 * cx->noise_m;
	else
		cx->substep_cost = 8 * (d + n) + 4 * d * d * (n + 1) +
				   (asgd__sme_evolving(cx->sigma) ? d * d * d : 0);
	cx->stop_every = asgd__stop_every(cx->substep_cost * cx->S);
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
	if (cfg->mixture)
		ctx_mixture(cx, cfg->mixture);
	if (cx->K + 1 == 0 || (cx->K + 1) > SIZE_MAX / cx->d / sizeof(double))
		return ASGD_EINVAL;
	ctx_noise_route(cx, cfg);
	rc = ctx_affine(cx);
	if (rc == ASGD_OK)
		rc = ctx_noise_data(cx);
	if (rc == ASGD_OK)
		rc = ctx_batch(cx, &cfg->batch);
	if (rc == ASGD_OK && asgd__sme_evolving(cx->sigma)) {
		cx->clamps = calloc(cfg->paths, sizeof(uint64_t));
		if (!cx->clamps)
			rc = ASGD_ENOMEM;
	}
	ctx_stop(cx, cfg);
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
	ec.every = cfg->every;
	ec.dim = cx.d;
	ec.ctx = &cx;
	ec.keep_final = cfg->keep_final;
	ec.observe = cfg->observe;
	ec.stop = cfg->stop;
	ec.progress = cfg->progress;
	ec.progress_arg = cfg->progress_arg;
	if (cx.d == 1 && !cfg->generic) {
		ec.path = cx.affine ? asgd__sme_path_1d_affine : asgd__sme_path_1d_general;
	} else {
		ec.path_rows = asgd__sme_path_generic;
		ec.scratch_bytes = asgd__sme_scratch_doubles(&cx) * sizeof(double);
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

/* One pilot path of @k recorded steps on one thread (asgd_ensemble_estimate_pilot's callback). */
static int sme_pilot(void *arg, uint64_t k, double *wall)
{
	asgd_sme_config pilot = *(const asgd_sme_config *)arg;
	asgd_sme_result res;
	int rc;

	pilot.iters = k;
	pilot.paths = 1;
	pilot.threads = 1;
	pilot.keep_final = 0;
	pilot.progress = NULL;
	rc = asgd_sme_run(&pilot, &res);
	if (rc != ASGD_OK)
		return rc;
	*wall = res.ens.wall_s;
	rc = res.ens.interrupted ? ASGD_EINTR : ASGD_OK;
	asgd_sme_result_free(&res);
	return rc;
}

int asgd_sme_estimate_s(const asgd_sme_config *cfg, double *seconds)
{
	if (!cfg || !seconds || asgd_sme_check_config(cfg, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	return asgd_ensemble_estimate_pilot(cfg->iters, cfg->paths, cfg->threads, sme_pilot,
					    (void *)cfg, seconds);
}

void asgd_sme_result_free(asgd_sme_result *res)
{
	if (!res)
		return;
	asgd_ensemble_result_free(&res->ens);
	memset(res, 0, sizeof(*res));
}
