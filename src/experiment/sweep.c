/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c — the experiment behind `asgd sweep` (asgd/sweep.h): per worker count M, R replicas
 * of the real engine, Proposition 1's MSGD ensemble and discrete ASGD's at the fitted μ̂, the
 * closed forms of 1-D quadratics, and the time to a target; one row per M. The stationary
 * quantity is E‖x − x*‖² when x is observed and the excess loss E f(x) − f* when the loss is.
 * Its outputs are sweep_out.c's.
 */
#include "asgd/sweep.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/run.h"
#include "asgd/sim.h"
#include "asgd/theory.h"

/* One M under way: what the callbacks are told. */
struct sweep_ctx {
	const asgd_sweep_config *cfg;
	asgd_sweep_result *res;
	size_t index;
	unsigned workers;
	asgd_sweep_stage stage;
	const asgd_engine_config *engine;	/* the engine's settings at this M */
	uint64_t real_stride, real_last;	/* the real run's rows: every stride-th update, the
						   last at row real_last */
	double *tau_pmf;			/* under a bound s: the truncated law fitted at this
						   M, s + 1 values; NULL otherwise */
};

static void tell(const struct sweep_ctx *c, asgd_sweep_stage stage, uint64_t done,
		 uint64_t total)
{
	asgd_sweep_progress p = { stage, c->index, c->cfg->nworkers, c->workers, done, total };

	if (c->cfg->progress)
		c->cfg->progress(c->cfg->progress_arg, &p);
}

/* The progress of the replicas or of the ensemble, as their callback (@arg a sweep_ctx). */
static void tell_cb(void *arg, uint64_t done, uint64_t total)
{
	const struct sweep_ctx *c = arg;

	tell(c, c->stage, done, total);
}

static int each(const struct sweep_ctx *c, asgd_sweep_m *m)
{
	m->index = c->index;
	m->engine = c->engine;
	return c->cfg->each ? c->cfg->each(c->cfg->each_arg, m) : ASGD_OK;
}

/* Each replica's average of the observed loss gap f(x_k) − f* over the late half of its rows,
 * r = R/2..R: the loss's counterpart of asgd_msd_late (the rows are observed, one value each). */
struct gap_late {
	double fstar;
	asgd_welford w;
};

static void gap_late_add(void *arg, const double *rows, size_t steps, size_t dim)
{
	struct gap_late *s = arg;
	size_t K = steps - 1, k0 = K / 2;
	double v = 0;

	(void)dim; /* 1: the loss */
	for (size_t k = k0; k <= K; k++)
		v += rows[k] - s->fstar;
	asgd_welford_add(&s->w, v / (double)(K - k0 + 1));
}

/*
 * E‖x_k − x*‖² = Σ_c (E x_c² − 2x*_c E x_c + x*_c²) at step @k, and a bound on its SE: the moments
 * keep no Σx³, so the covariance of x² and x is unknown, and sd(A + B) ≤ sd(A) + sd(B) bounds
 * each coordinate's by se_second + 2|x*_c| se_mean and the sum by the sum (exact when x* = 0 in
 * 1-D).
 */
static double msd_at(const asgd_moments *m, size_t k, const double *xstar, double *se)
{
	asgd_moment_row row;
	double v = 0, s = 0;

	for (size_t c = 0; c < m->dim; c++) {
		asgd_moments_get(m, k, c, &row);
		v += row.second - 2 * xstar[c] * row.mean + xstar[c] * xstar[c];
		s += row.se_second + 2 * fabs(xstar[c]) * row.se_mean;
	}
	*se = s;
	return v;
}

/* The pooled value at step @k of what the target is a level of, and its SE: E‖x_k − x*‖² from
 * moments of x, or E f(x_k) itself from moments of the loss. */
static double level_at(const asgd_sweep_result *res, const asgd_moments *m, size_t k, double *se)
{
	asgd_moment_row row;

	if (res->quantity == ASGD_SWEEP_MSD)
		return msd_at(m, k, res->xstar, se);
	asgd_moments_get(m, k, 0, &row);
	*se = row.se_mean;
	return row.mean;
}

/* The stationary quantity at step @k and its SE: the level, less f* for the loss (a constant,
 * so the SE is the mean's). */
static double quantity_at(const asgd_sweep_result *res, const asgd_moments *m, size_t k,
			  double *se)
{
	double v = level_at(res, m, k, se);

	return res->quantity == ASGD_SWEEP_LOSS_GAP ? v - res->fstar : v;
}

/*
 * The stationary quantity of an ensemble (a row per step): the average over the real run's late
 * half, its rows r = R/2..R at k = r·S (@stride S, @last R), so that both average the same k
 * even where the real run records every S-th update and the quantity is still falling. Its SE
 * is reported as the largest SE of a single k: the steps share their paths and are strongly
 * correlated, so the average is not √(R/2) times better than one step; sd(mean of X_k) ≤ mean
 * of sd(X_k) ≤ max sd(X_k) holds whatever the correlation, so the bound is never optimistic.
 */
static void late_half(const asgd_sweep_result *res, const asgd_moments *m, uint64_t stride,
		      uint64_t last, double *avg, double *se)
{
	double sum = 0, worst = 0, s;
	uint64_t rows = 0;

	*avg = NAN;
	*se = NAN;
	if (m->paths == 0)
		return;
	for (uint64_t r = last / 2; r <= last && r * stride < m->steps; r++, rows++) {
		sum += quantity_at(res, m, (size_t)(r * stride), &s);
		worst = isnan(s) || isnan(worst) ? NAN : fmax(worst, s);
	}
	*avg = rows ? sum / (double)rows : NAN;
	*se = isfinite(*avg) ? worst : NAN;
}

/* The first recorded k at which the target is reached (for the loss, E f(x_k) ≤ the target,
 * compared as such: no f* subtracted); NAN when none. Rows are every stride-th update. */
static double first_k_below(const asgd_sweep_result *res, const asgd_moments *m)
{
	double se;

	if (m->paths == 0)
		return NAN;
	for (size_t r = 0; r < m->steps; r++)
		if (level_at(res, m, r, &se) <= res->target)
			return (double)(r * (m->stride ? m->stride : 1));
	return NAN;
}

/* The staleness fit's fields of @row, NAN without a fit. */
static void fill_staleness(const asgd_staleness_summary *sum, asgd_sweep_row *row)
{
	row->mu_hat = sum ? sum->mu_hat : NAN;
	row->mu_lo = sum ? sum->mu_ci95[0] : NAN;
	row->mu_hi = sum ? sum->mu_ci95[1] : NAN;
	row->chi2_p = sum ? sum->chi2_p : NAN;
	row->tv = sum ? sum->tv_distance : NAN;
	row->lag1 = sum ? sum->lag1_autocorr : NAN;
}

static void fill_real(const asgd_sweep_result *res, const asgd_replicas *t,
		      const asgd_staleness_summary *sum, const asgd_welford *late,
		      asgd_sweep_row *row)
{
	row->replicas = (double)t->replicas_done;
	row->diverged = t->diverged;
	row->applied = (double)t->applied;
	row->wall_s = t->wall_s;
	row->updates_per_s = t->wall_s > 0 ? (double)t->applied / t->wall_s : NAN;
	fill_staleness(sum, row);
	row->mu_queueing = 1 - 1 / row->workers;
	/* across replicas of each one's late-half average: they are independent, so this SE is
	 * honest, where the pooled moments only bound it by one step's, several times too wide */
	row->real_ex2 = asgd_welford_mean(late);
	row->real_se = asgd_welford_se(late);
	row->k_target = first_k_below(res, &t->moments);
	row->t_target_s = row->k_target / row->updates_per_s;
}

/* Appendix B and the discrete processes' fixed points at μ̂ (E‖x − x*‖² of 1-D quadratics). */
static void fill_closed_forms(const asgd_sweep_result *res, asgd_sweep_row *row)
{
	asgd_theory_params p = { res->a, res->sigma2, res->cfg.eta, row->mu_hat };
	asgd_theory_stationary st;
	double v;

	row->appb_ex2 = row->asgd_exact = row->msgd_exact = NAN;
	if (!res->quad1d || res->quantity != ASGD_SWEEP_MSD || asgd_theory_check(&p) != ASGD_OK)
		return;
	asgd_theory_stationary_of(&p, &st);
	row->appb_ex2 = st.ex2;
	if (asgd_theory_discrete_asgd_ex2(&p, &v) == ASGD_OK)
		row->asgd_exact = v;
	p.eta = row->msgd_eta;
	p.mu = row->msgd_mu;
	if (asgd_theory_discrete_msgd_ex2(&p, &v) == ASGD_OK)
		row->msgd_exact = v;
}

static int failed(struct sweep_ctx *c, asgd_sweep_stage stage, int rc)
{
	c->res->failed_workers = c->workers;
	c->res->failed_stage = stage;
	return rc;
}

/* One model's ensemble (observed as the real run is) and where its results go. */
struct ensemble_job {
	asgd_model model;
	double eta, mu;
	asgd_sweep_stage stage, end;	/* its progress stages */
	double *avg, *se;		/* its stationary quantity in the row */
	const double *tau_pmf;		/* NULL, or τ's law (tau_len values) instead of geometric */
	size_t tau_len;
};

/*
 * The ensemble of @j, its late-half average into the row, shown to the per-M callback.
 * Returns 0 or an error; *@interrupted: the stop flag cut it short.
 */
static int run_ensemble(struct sweep_ctx *c, const struct ensemble_job *j, int *interrupted)
{
	const asgd_sweep_config *cfg = c->cfg;
	const asgd_observable *obs = c->res->quantity == ASGD_SWEEP_MSD ? NULL : cfg->observe;
	asgd_sim_config sc = { 0 };
	asgd_sim_result res;
	asgd_sweep_m m = { .stage = j->stage };
	int rc;

	sc.model = j->model;
	sc.problem = cfg->problem;
	sc.eta = j->eta;
	sc.mu = j->mu;
	sc.tau_pmf = j->tau_pmf;
	sc.tau_len = j->tau_len;
	sc.iters = cfg->iters;
	sc.paths = cfg->paths;
	sc.threads = cfg->threads;
	sc.seed = cfg->seed;
	sc.observe = obs;
	sc.stop = cfg->stop;
	c->stage = j->stage;
	if (cfg->progress) {
		sc.progress = tell_cb;
		sc.progress_arg = c;
	}
	rc = asgd_sim_run(&sc, &res);
	tell(c, j->end, 0, 0);
	if (rc != ASGD_OK)
		return rc;
	*interrupted = res.ens.interrupted;
	late_half(c->res, &res.ens.moments, c->real_stride, c->real_last, j->avg, j->se);
	if (j->model == ASGD_MODEL_MSGD)
		m.msgd = &res.ens;
	else
		m.asgd = &res.ens;
	rc = each(c, &m);
	asgd_sim_result_free(&res);
	return rc;
}

/* Proposition 1's MSGD (μ' = μ̂, η' = η(1 − μ̂)), then discrete ASGD at μ̂ with the same η and
 * geometric staleness: the two discrete models the real run is held against. */
static int run_models(struct sweep_ctx *c, asgd_sweep_row *row, int *interrupted)
{
	struct ensemble_job msgd = { ASGD_MODEL_MSGD, 0, 0, ASGD_SWEEP_MSGD, ASGD_SWEEP_MSGD_END,
				     &row->msgd_ex2, &row->msgd_se, NULL, 0 };
	struct ensemble_job asgd = { ASGD_MODEL_ASGD, c->cfg->eta, row->mu_hat, ASGD_SWEEP_ASGD,
				     ASGD_SWEEP_ASGD_END, &row->asgd_ex2, &row->asgd_se,
				     c->tau_pmf, c->tau_pmf ? c->cfg->max_staleness + 1 : 0 };
	int rc;

	asgd_theory_prop1(c->cfg->eta, row->mu_hat, &row->msgd_eta, &row->msgd_mu);
	msgd.eta = row->msgd_eta;
	msgd.mu = row->msgd_mu;
	rc = run_ensemble(c, &msgd, interrupted);
	if (rc != ASGD_OK) {
		failed(c, ASGD_SWEEP_MSGD, rc);
		return rc;
	}
	if (*interrupted)
		return ASGD_OK;
	rc = run_ensemble(c, &asgd, interrupted);
	if (rc != ASGD_OK)
		failed(c, ASGD_SWEEP_ASGD, rc);
	return rc;
}

/* The engine's settings at the M under way. */
static asgd_engine_config engine_of(const struct sweep_ctx *c)
{
	asgd_engine_config e = { 0 };

	e.problem = c->cfg->problem;
	e.workers = c->workers;
	e.iters = c->cfg->iters;
	e.eta = c->cfg->eta;
	e.work = c->cfg->work;
	e.seed = c->cfg->seed;
	e.record_staleness = 1;
	e.stop = c->cfg->stop;
	e.max_staleness = c->cfg->max_staleness;
	/* as asgd run's default: a snapshot per update would copy every feature of sparse data */
	e.mode = asgd_problem_is_sparse(e.problem) ? ASGD_ENGINE_MASTER_INPLACE : ASGD_ENGINE_MASTER;
	/* a row of the loss is a pass over the data: keep the rows scoring can afford */
	e.record_every = asgd_run_default_stride_observed(e.problem, c->cfg->observe, e.iters);
	return e;
}

/* Under a bound s, c->tau_pmf: the truncated geometric fitted to @sum (none when a τ above s
 * was recorded: the ensemble then keeps the geometric). ASGD_OK or ASGD_ENOMEM. */
static int truncated_law(struct sweep_ctx *c, const asgd_staleness_summary *sum)
{
	uint64_t s = c->cfg->max_staleness;
	asgd_staleness_truncated t;

	if (!s || asgd_staleness_fit_truncated(sum, s, &t) != ASGD_OK)
		return ASGD_OK;
	c->tau_pmf = malloc((s + 1) * sizeof(double));
	if (!c->tau_pmf)
		return ASGD_ENOMEM;
	for (uint64_t j = 0; j <= s; j++)
		c->tau_pmf[j] = asgd_truncated_geometric_pmf(t.mu_hat, s, j);
	return ASGD_OK;
}

/* After the replicas: the callback, the row, the models and the closed forms. */
static int after_replicas(struct sweep_ctx *c, asgd_sweep_m *m, const asgd_welford *late,
			  asgd_sweep_row *row, int *done)
{
	int rc, interrupted = 0;

	rc = each(c, m);
	fill_real(c->res, m->replicas, m->staleness, late, row);
	row->msgd_mu = row->msgd_eta = row->msgd_ex2 = row->msgd_se = NAN;
	row->asgd_ex2 = row->asgd_se = NAN;
	if (rc != ASGD_OK)
		failed(c, ASGD_SWEEP_MSGD, rc);
	/* without a single applied gradient there is no μ̂ to match */
	else if (!m->replicas->interrupted && m->staleness &&
		 (rc = truncated_law(c, m->staleness)) == ASGD_OK)
		rc = run_models(c, row, &interrupted);
	free(c->tau_pmf);
	c->tau_pmf = NULL;
	fill_closed_forms(c->res, row);
	*done = rc == ASGD_OK && !m->replicas->interrupted && !interrupted;
	return rc;
}

/* One M: the replicas, then the rest. Returns 0 or an error; *@done: the row is complete. */
static int sweep_one(struct sweep_ctx *c, asgd_sweep_row *row, int *done)
{
	asgd_engine_config e = engine_of(c);
	asgd_staleness_summary sum;
	asgd_replicas t;
	asgd_msd_late ra = { .xstar = c->res->xstar };
	struct gap_late ga = { .fstar = c->res->fstar };
	int msd = c->res->quantity == ASGD_SWEEP_MSD;
	asgd_sweep_m m = { .stage = ASGD_SWEEP_BEGIN };
	int rc;

	c->engine = &e;
	*done = 0;
	memset(row, 0, sizeof(*row));
	row->workers = c->workers;
	rc = each(c, &m);
	if (rc != ASGD_OK)
		return failed(c, ASGD_SWEEP_BEGIN, rc);
	tell(c, ASGD_SWEEP_BEGIN, 0, 0);
	c->stage = ASGD_SWEEP_REPLICAS;
	rc = asgd_replicas_run_observed(&e, c->cfg->replicas, msd ? NULL : c->cfg->observe,
					c->cfg->progress ? tell_cb : NULL, c,
					msd ? asgd_msd_late_add : gap_late_add,
					msd ? (void *)&ra : (void *)&ga, &t);
	tell(c, ASGD_SWEEP_REPLICAS_END, 0, 0);
	if (rc != ASGD_OK)
		return failed(c, ASGD_SWEEP_REPLICAS, rc);
	rc = asgd_staleness_summarize(&t.staleness, &sum);
	if (rc == ASGD_ENOMEM) {
		asgd_replicas_free(&t);
		return failed(c, ASGD_SWEEP_MSGD, rc);
	}
	c->real_stride = t.moments.stride ? t.moments.stride : 1;
	c->real_last = t.moments.steps ? t.moments.steps - 1 : 0;
	m.stage = ASGD_SWEEP_REPLICAS;
	m.replicas = &t;
	m.staleness = rc == ASGD_OK ? &sum : NULL;
	rc = after_replicas(c, &m, msd ? &ra.w : &ga.w, row, done);
	if (m.staleness)
		asgd_staleness_summary_free(&sum);
	asgd_replicas_free(&t);
	return rc;
}

/* What an observable makes the stationary columns measure; ASGD_EINVAL for the ones the sweep
 * does not take (a coordinate or a projection has no optimum to measure a gap from). */
static int quantity_of(const asgd_sweep_config *cfg, asgd_sweep_quantity *q)
{
	const asgd_observable *o = cfg->observe;

	*q = ASGD_SWEEP_MSD;
	if (!o || o->kind == ASGD_OBSERVE_X)
		return ASGD_OK;
	if (o->kind != ASGD_OBSERVE_LOSS || o->problem != cfg->problem)
		return ASGD_EINVAL;
	*q = ASGD_SWEEP_LOSS_GAP;
	return ASGD_OK;
}

static int check_config(const asgd_sweep_config *cfg)
{
	asgd_sweep_quantity q;

	if (!cfg->problem || !cfg->workers || cfg->nworkers < 1 ||
	    cfg->nworkers > ASGD_SWEEP_MAX_M || cfg->replicas < 1 || cfg->paths < 1 ||
	    cfg->iters < 1 || !(cfg->eta > 0) || quantity_of(cfg, &q) != ASGD_OK)
		return ASGD_EINVAL;
	/* 0 is the loss's default target; E‖x − x*‖² has none */
	if (!(cfg->target > 0) && !(q == ASGD_SWEEP_LOSS_GAP && cfg->target == 0))
		return ASGD_EINVAL;
	for (size_t i = 0; i < cfg->nworkers; i++)
		if (cfg->workers[i] < 1 || cfg->workers[i] > ASGD_MAX_WORKERS)
			return ASGD_EINVAL;
	return ASGD_OK;
}

/* x* of the problem (the caller's, or solved for here), f* = f(x*), the target, and a, Σ when
 * it is a 1-D quadratic. */
static int find_minimizer(asgd_sweep_result *res)
{
	const asgd_sweep_config *cfg = &res->cfg;
	const asgd_problem *p = cfg->problem;
	size_t dim = asgd_problem_dim(p);
	double xs;
	int rc;

	res->xstar = malloc(dim * sizeof(double));
	if (!res->xstar)
		return ASGD_ENOMEM;
	if (cfg->xstar) {
		memcpy(res->xstar, cfg->xstar, dim * sizeof(double));
	} else {
		rc = asgd_problem_minimizer_stop(p, res->xstar, cfg->stop);
		if (rc != ASGD_OK)
			return rc == ASGD_EINTR || rc == ASGD_ENOMEM ? rc : ASGD_ENOTFOUND;
	}
	res->fstar = asgd_problem_f(p, res->xstar);
	res->target = cfg->target;
	if (res->quantity == ASGD_SWEEP_LOSS_GAP && cfg->target == 0)
		res->target = res->fstar + ASGD_SWEEP_LOSS_TARGET_REL * fabs(res->fstar);
	res->quad1d = asgd_theory_from_problem(p, &res->a, &res->sigma2, &xs) == ASGD_OK;
	return ASGD_OK;
}

int asgd_sweep_run(const asgd_sweep_config *cfg, asgd_sweep_result *res)
{
	struct sweep_ctx c = { .cfg = cfg, .res = res };
	double t0 = asgd_now_ns();
	int rc, done = 1;

	if (!res)
		return ASGD_EINVAL;
	memset(res, 0, sizeof(*res));
	if (!cfg || check_config(cfg) != ASGD_OK)
		return ASGD_EINVAL;
	res->cfg = *cfg;
	quantity_of(cfg, &res->quantity);
	rc = find_minimizer(res);
	for (size_t i = 0; i < cfg->nworkers && rc == ASGD_OK && done; i++) {
		c.index = i;
		c.workers = (unsigned)cfg->workers[i];
		rc = sweep_one(&c, &res->rows[res->nrows], &done);
		if (done) {
			res->diverged |= res->rows[res->nrows].diverged != 0;
			res->nrows++;
		}
	}
	res->partial = !done;
	res->wall_s = (asgd_now_ns() - t0) * 1e-9;
	return rc != ASGD_OK ? rc : done ? ASGD_OK : ASGD_EINTR;
}

void asgd_sweep_result_free(asgd_sweep_result *res)
{
	if (!res)
		return;
	free(res->xstar);
	res->xstar = NULL;
}
