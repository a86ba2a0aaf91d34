/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c — the experiment behind `asgd sweep` (asgd/sweep.h): per worker count M, R replicas
 * of the real engine, Proposition 1's MSGD ensemble at the fitted μ̂, the closed forms of 1-D
 * quadratics, and the time to a target; one row per M. Its outputs are sweep_out.c's.
 */
#include "asgd/sweep.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/msd.h"
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

/*
 * The stationary E‖x − x*‖²: the average over k = K/2..K. Its SE is reported as the largest SE
 * of a single k: the steps share their paths and are strongly correlated, so the average is not
 * √(K/2) times better than one step; sd(mean of X_k) ≤ mean of sd(X_k) ≤ max sd(X_k) holds
 * whatever the correlation, so the bound is never optimistic.
 */
static void late_half(const asgd_moments *m, const double *xstar, double *avg, double *se)
{
	size_t K = m->steps - 1, k0 = K / 2;
	double sum = 0, worst = 0, s;

	*avg = NAN;
	*se = NAN;
	if (m->paths == 0)
		return;
	for (size_t k = k0; k <= K; k++) {
		sum += msd_at(m, k, xstar, &s);
		worst = isnan(s) || isnan(worst) ? NAN : fmax(worst, s);
	}
	*avg = sum / (double)(K - k0 + 1);
	*se = isfinite(*avg) ? worst : NAN;
}

/* The first k with E‖x_k − x*‖² ≤ @target, or NAN when none. */
static double first_k_below(const asgd_moments *m, const double *xstar, double target)
{
	double se;

	if (m->paths == 0)
		return NAN;
	for (size_t k = 0; k < m->steps; k++)
		if (msd_at(m, k, xstar, &se) <= target)
			return (double)k;
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
		      const asgd_staleness_summary *sum, const asgd_msd_late *ra,
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
	row->real_ex2 = asgd_welford_mean(&ra->w);
	row->real_se = asgd_welford_se(&ra->w);
	row->k_target = first_k_below(&t->moments, res->xstar, res->cfg.target);
	row->t_target_s = row->k_target / row->updates_per_s;
}

/* Appendix B and the discrete processes' fixed points at μ̂ (1-D quadratics only). */
static void fill_closed_forms(const asgd_sweep_result *res, asgd_sweep_row *row)
{
	asgd_theory_params p = { res->a, res->sigma2, res->cfg.eta, row->mu_hat };
	asgd_theory_stationary st;
	double v;

	row->appb_ex2 = row->asgd_exact = row->msgd_exact = NAN;
	if (!res->quad1d || asgd_theory_check(&p) != ASGD_OK)
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

/* Proposition 1's MSGD as an ensemble, shown to the per-M callback. Returns 0 or an error. */
static int run_msgd(struct sweep_ctx *c, asgd_sweep_row *row, int *interrupted)
{
	const asgd_sweep_config *cfg = c->cfg;
	asgd_sim_config sc = { 0 };
	asgd_sim_result res;
	asgd_sweep_m m = { .stage = ASGD_SWEEP_MSGD };
	int rc;

	asgd_theory_prop1(cfg->eta, row->mu_hat, &row->msgd_eta, &row->msgd_mu);
	sc.model = ASGD_MODEL_MSGD;
	sc.problem = cfg->problem;
	sc.eta = row->msgd_eta;
	sc.mu = row->msgd_mu;
	sc.iters = cfg->iters;
	sc.paths = cfg->paths;
	sc.threads = cfg->threads;
	sc.seed = cfg->seed;
	sc.stop = cfg->stop;
	c->stage = ASGD_SWEEP_MSGD;
	if (cfg->progress) {
		sc.progress = tell_cb;
		sc.progress_arg = c;
	}
	rc = asgd_sim_run(&sc, &res);
	tell(c, ASGD_SWEEP_MSGD_END, 0, 0);
	if (rc != ASGD_OK)
		return rc;
	*interrupted = res.ens.interrupted;
	late_half(&res.ens.moments, c->res->xstar, &row->msgd_ex2, &row->msgd_se);
	m.msgd = &res.ens;
	rc = each(c, &m);
	asgd_sim_result_free(&res);
	return rc;
}

static int failed(struct sweep_ctx *c, asgd_sweep_stage stage, int rc)
{
	c->res->failed_workers = c->workers;
	c->res->failed_stage = stage;
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
	return e;
}

/* After the replicas: the callback, the row, MSGD and the closed forms. */
static int after_replicas(struct sweep_ctx *c, asgd_sweep_m *m, const asgd_msd_late *ra,
			  asgd_sweep_row *row, int *done)
{
	int rc, interrupted = 0;

	rc = each(c, m);
	fill_real(c->res, m->replicas, m->staleness, ra, row);
	row->msgd_mu = row->msgd_eta = row->msgd_ex2 = row->msgd_se = NAN;
	/* without a single applied gradient there is no μ̂ to match */
	if (rc == ASGD_OK && !m->replicas->interrupted && m->staleness)
		rc = run_msgd(c, row, &interrupted);
	if (rc != ASGD_OK)
		failed(c, ASGD_SWEEP_MSGD, rc);
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
	rc = asgd_replicas_run_each(&e, c->cfg->replicas, c->cfg->progress ? tell_cb : NULL, c,
				    asgd_msd_late_add, &ra, &t);
	tell(c, ASGD_SWEEP_REPLICAS_END, 0, 0);
	if (rc != ASGD_OK)
		return failed(c, ASGD_SWEEP_REPLICAS, rc);
	rc = asgd_staleness_summarize(&t.staleness, &sum);
	if (rc == ASGD_ENOMEM) {
		asgd_replicas_free(&t);
		return failed(c, ASGD_SWEEP_MSGD, rc);
	}
	m.stage = ASGD_SWEEP_REPLICAS;
	m.replicas = &t;
	m.staleness = rc == ASGD_OK ? &sum : NULL;
	rc = after_replicas(c, &m, &ra, row, done);
	if (m.staleness)
		asgd_staleness_summary_free(&sum);
	asgd_replicas_free(&t);
	return rc;
}

static int check_config(const asgd_sweep_config *cfg)
{
	if (!cfg->problem || !cfg->workers || cfg->nworkers < 1 ||
	    cfg->nworkers > ASGD_SWEEP_MAX_M || cfg->replicas < 1 || cfg->paths < 1 ||
	    cfg->iters < 1 || !(cfg->eta > 0) || !(cfg->target > 0))
		return ASGD_EINVAL;
	for (size_t i = 0; i < cfg->nworkers; i++)
		if (cfg->workers[i] < 1 || cfg->workers[i] > ASGD_MAX_WORKERS)
			return ASGD_EINVAL;
	return ASGD_OK;
}

/* x* of the problem, and a, Σ when it is a 1-D quadratic. */
static int find_minimizer(asgd_sweep_result *res)
{
	const asgd_problem *p = res->cfg.problem;
	double xs;

	res->xstar = malloc(asgd_problem_dim(p) * sizeof(double));
	if (!res->xstar)
		return ASGD_ENOMEM;
	if (asgd_problem_minimizer(p, res->xstar) != ASGD_OK)
		return ASGD_ENOTFOUND;
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
