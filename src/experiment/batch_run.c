/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_run.c — the `asgd batch` experiment (asgd/batch_run.h): the control and its three
 * schedules, then each schedule in the simulator (batch_sim.c) and in the real engine (M workers,
 * without replacement, its own staleness), reduced to E(x_k − x*)² — on data to the loss gap
 * f(x_k) − f* — with standard errors at every k: the engine's exact at every k, from every
 * replica's trajectory. The outputs are batch_json.c's.
 */
#include "asgd/batch_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/replicas.h"
#include "asgd/sim.h"
#include "asgd/staleness.h"
#include "asgd/theory.h"
#include "asgd/welford.h"
#include "batch_internal.h"

static const char *const NAMES[ASGD_BATCH_NSCHEDULES] = { "optimal", "constant", "equal-total" };

void asgd__batch_report(const asgd_batch_config *c, asgd_batch_event e, int i, uint64_t done,
			uint64_t total)
{
	asgd_batch_progress p = { e, i, NAMES[i], done, total };

	if (c->progress)
		c->progress(c->progress_arg, &p);
}

/* ---- the settings ---------------------------------------------------------------------- */

/*
 * The 1-D surrogate of a model on data (docs/MODELS.md §6, "On data"): a = trace(HC)/trace(C),
 * the rate at which the loss's noise floor follows the batch (the hinge loss: λ), Σ = trace C(x*) — the whole noise, since the loss gap's floor η·trace C/4 does not depend on
 * how the curvature spreads over directions — and z0 that gives the surrogate the data's
 * initial loss gap.
 */
static int read_data_problem(asgd_batch_config *c)
{
	const asgd_problem *p = c->problem;
	double *xstar = malloc(asgd_problem_dim(p) * sizeof(double));
	int rc;

	if (!xstar)
		return ASGD_ENOMEM;
	c->fstar = c->f0 = c->xstar = c->x0 = NAN;
	rc = asgd_problem_minimizer(p, xstar);
	if (rc == ASGD_OK) {
		c->fstar = asgd_problem_f(p, xstar);
		c->f0 = asgd_problem_f(p, asgd_problem_x0(p));
		rc = asgd_advise_local_of(p, xstar, &c->local);
	}
	c->a = c->local.a;	/* the hinge loss: λ, with no Hessian */
	if (rc == ASGD_OK && c->local.source == ASGD_ADVISE_CURV_HESSIAN)
		rc = asgd_advise_noise_curvature(p, xstar, c->local.step, &c->a);
	free(xstar);
	if (rc != ASGD_OK)
		return rc == ASGD_ENOMEM ? rc : ASGD_ENOTFOUND;
	c->sigma2 = c->local.trace_c;
	c->z0 = 2 * fmax(c->f0 - c->fstar, 0) / c->a;
	return ASGD_OK;
}

int asgd_batch_read_problem(asgd_batch_config *c)
{
	int rc;

	if (!c || !c->problem)
		return ASGD_EINVAL;
	c->on_data = asgd_problem_dataset(c->problem) != NULL;
	if (c->on_data)
		return read_data_problem(c);
	rc = asgd_theory_from_problem(c->problem, &c->a, &c->sigma2, &c->xstar);
	if (rc != ASGD_OK)
		return rc == ASGD_EINVAL ? rc : ASGD_ENOTFOUND;
	c->x0 = asgd_problem_x0(c->problem)[0];
	c->z0 = (c->x0 - c->xstar) * (c->x0 - c->xstar);
	return ASGD_OK;
}

void asgd_batch_engine_config(const asgd_batch_config *c, const uint32_t *size,
			      asgd_engine_config *out)
{
	memset(out, 0, sizeof(*out));
	out->problem = c->problem;
	out->workers = c->workers;
	out->iters = c->horizon;
	out->eta = c->eta;
	out->work = c->work;
	if (size)
		out->schedule = (asgd_batch_schedule){ .size = size, .len = c->horizon };
	out->seed = c->seed;
	out->record_staleness = 1;
	out->stop = c->stop;
}

/* ---- the control and the schedules ---------------------------------------------------- */

/* The control for @c; γ's default needs γ*, so solve once with γ = 1 first. */
static int solve_control(const asgd_batch_config *c, asgd_batch_result *r)
{
	asgd_batchctl_params p = { c->a, c->sigma2, c->eta, c->mu, 1, 1,
				   c->on_data ? c->z0 : (c->x0 - c->xstar) * (c->x0 - c->xstar) };

	p.T = (double)c->horizon * sqrt(c->eta * (1 - c->mu));
	if (asgd_batchctl_solve(&p, &r->ctl) != ASGD_OK) {
		r->refused = ASGD_BATCH_NO_CONTROL;
		return ASGD_EINVAL;
	}
	r->gamma = c->gamma;
	if (c->gamma_default) {
		if (!(r->ctl.gamma_star > 0)) {
			r->refused = ASGD_BATCH_NO_NOISE;
			return ASGD_EINVAL;
		}
		r->gamma = r->ctl.gamma_star / ASGD_BATCH_GAMMA_DIVISOR;
	}
	p.gamma = r->gamma;
	if (asgd_batchctl_solve(&p, &r->ctl) != ASGD_OK) {
		r->refused = ASGD_BATCH_BAD_GAMMA;
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

static double schedule_total(const uint32_t *s, uint64_t K)
{
	double t = 0;

	for (uint64_t k = 0; k < K; k++)
		t += s[k];
	return t;
}

static void fill_constant(uint32_t *s, uint64_t K, uint32_t b)
{
	for (uint64_t k = 0; k < K; k++)
		s[k] = b;
}

/* The curves of @o, in one list for allocating and freeing them. */
#define CURVES(o) { &(o)->model, &(o)->model_engine, &(o)->sim_msd, &(o)->sim_se, \
		    &(o)->eng_msd, &(o)->eng_se }
#define NCURVES 6

/* The arrays of one schedule, its curves NAN. */
static int alloc_outcome(uint64_t K, asgd_batch_outcome *o, asgd_batch_refusal *why)
{
	double **curves[NCURVES] = CURVES(o);

	o->size = malloc(K * sizeof(*o->size));
	if (!o->size) {
		*why = ASGD_BATCH_OOM_SCHEDULES;
		return ASGD_ENOMEM;
	}
	for (int j = 0; j < NCURVES; j++) {
		double *v = *curves[j] = malloc((K + 1) * sizeof(*v));

		if (!v) {
			*why = ASGD_BATCH_OOM_CURVES;
			return ASGD_ENOMEM;
		}
		for (uint64_t k = 0; k <= K; k++)
			v[k] = NAN;
	}
	o->sim_final = o->sim_final_se = o->eng_final = o->eng_final_se = NAN;
	o->eng_evaluations = o->eng_wall_s = o->mu_hat = o->mu_lo = o->mu_hi = NAN;
	return ASGD_OK;
}

/* On data the model's z is the surrogate's: its loss gap is (a/2)z (docs/MODELS.md §6). */
static void model_as_gap(const asgd_batch_config *c, uint64_t K, asgd_batch_outcome *o)
{
	for (uint64_t k = 0; k <= K; k++) {
		o->model[k] *= c->a / 2;
		o->model_engine[k] *= c->a / 2;
	}
}

int asgd_batch_prepare(const asgd_batch_config *c, asgd_batch_result *r)
{
	const uint64_t K = c ? c->horizon : 0;
	uint32_t *opt;
	double eq;
	int rc;

	if (!c || !r || !c->problem || K < 1 || (c->on_data && !c->loss))
		return ASGD_EINVAL;
	rc = solve_control(c, r);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES && rc == ASGD_OK; i++) {
		r->s[i].name = NAMES[i];
		rc = alloc_outcome(K, &r->s[i], &r->refused);
	}
	if (rc != ASGD_OK)
		return rc;
	opt = r->s[ASGD_BATCH_OPTIMAL].size;
	if (asgd_batchctl_schedule(&r->ctl, K, ASGD_SIM_MAX_BATCH, opt) != ASGD_OK) {
		r->refused = ASGD_BATCH_TOO_LARGE;
		return ASGD_EINVAL;
	}
	fill_constant(r->s[ASGD_BATCH_CONSTANT].size, K, (uint32_t)c->constant);
	eq = round(schedule_total(opt, K) / (double)K);
	fill_constant(r->s[ASGD_BATCH_EQUAL_TOTAL].size, K, (uint32_t)(eq < 1 ? 1 : eq));
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		asgd_batch_outcome *o = &r->s[i];

		o->evaluations = schedule_total(o->size, K);
		asgd_batchctl_model_path(&r->ctl, o->size, K, 0, o->model);
		asgd_batchctl_model_path(&r->ctl, o->size, K, asgd_problem_components(c->problem),
					 o->model_engine);
		if (c->on_data)
			model_as_gap(c, K, o);
	}
	return ASGD_OK;
}

void asgd_batch_result_free(asgd_batch_result *r)
{
	if (!r)
		return;
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		double **curves[NCURVES] = CURVES(&r->s[i]);

		free(r->s[i].size);
		for (int j = 0; j < NCURVES; j++)
			free(*curves[j]);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- the engine ----------------------------------------------------------------------- */

static void engine_staleness(const asgd_replicas *t, asgd_batch_outcome *o)
{
	asgd_staleness_summary sum;

	if (asgd_staleness_summarize(&t->staleness, &sum) != ASGD_OK)
		return;
	o->mu_hat = sum.mu_hat;
	o->mu_lo = sum.mu_ci95[0];
	o->mu_hi = sum.mu_ci95[1];
	asgd_staleness_summary_free(&sum);
}

/* Per step (x_k − x*)² over the complete replicas (@w, K + 1 of them): the exact SE. */
static void fill_engine(uint64_t K, const asgd_replicas *t, const asgd_welford *w,
			asgd_batch_outcome *o)
{
	for (uint64_t k = 0; k <= K && w[0].n > 0; k++) {
		o->eng_msd[k] = asgd_welford_mean(&w[k]);
		o->eng_se[k] = asgd_welford_se(&w[k]);
	}
	o->eng_final = o->eng_msd[K];
	o->eng_final_se = o->eng_se[K];
	o->eng_replicas = t->replicas_done;
	o->eng_applied = t->applied;
	o->eng_discarded = t->discarded;
	o->eng_diverged = t->diverged;
	o->eng_wall_s = t->wall_s;
	/* per K updates, so that an interrupted last replica does not bias it */
	o->eng_evaluations = t->applied ? (double)t->evaluations * (double)K / (double)t->applied
					: NAN;
	engine_staleness(t, o);
}

struct replica_ctx {
	const asgd_batch_config *c;
	int i;
};

static void replica_done(void *arg, uint64_t done, uint64_t total)
{
	const struct replica_ctx *x = arg;

	asgd__batch_report(x->c, ASGD_BATCH_REPLICA, x->i, done, total);
}

/* Schedule @i in the real engine, @c->replicas runs. Returns 0 or an error code. */
static int run_engine(const asgd_batch_config *c, asgd_batch_result *r, int i)
{
	asgd_batch_outcome *o = &r->s[i];
	struct replica_ctx x = { c, i };
	asgd_engine_config cfg;
	asgd_msd_steps a = { .xstar = &c->xstar };	/* 1-D: asgd_batch_read_problem */
	asgd_gap_steps g = { .fstar = c->fstar };	/* on data */
	asgd_welford *w = calloc(c->horizon + 1, sizeof(*w));
	asgd_replicas t;
	int rc;

	if (!w)
		return ASGD_ENOMEM;
	a.w = g.w = w;
	asgd_batch_engine_config(c, o->size, &cfg);
	rc = asgd_replicas_run_observed(&cfg, c->replicas, c->on_data ? c->loss : NULL,
					c->progress ? replica_done : NULL, &x,
					c->on_data ? asgd_gap_steps_add : asgd_msd_steps_add,
					c->on_data ? (void *)&g : (void *)&a, &t);
	asgd__batch_report(c, ASGD_BATCH_ENGINE_END, i, 0, c->replicas);
	if (rc == ASGD_OK) {
		fill_engine(c->horizon, &t, w, o);
		o->eng_ran = 1;
		r->interrupted = t.interrupted;
		o->eng_done = !t.interrupted && !t.diverged;
		asgd_replicas_free(&t);
	}
	free(w);
	return rc;
}

/* A run whose end point is not finite (η too large for the preset?). */
static int any_diverged(const asgd_batch_result *r)
{
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++)
		if (r->s[i].eng_diverged || (r->s[i].sim_paths > 0 && !isfinite(r->s[i].sim_final)))
			return 1;
	return 0;
}

int asgd_batch_run(const asgd_batch_config *c, asgd_batch_result *r)
{
	int rc = ASGD_OK;

	if (!c || !r || !r->s[ASGD_BATCH_OPTIMAL].size)
		return ASGD_EINVAL;
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES && rc == ASGD_OK && !r->interrupted; i++) {
		asgd__batch_report(c, ASGD_BATCH_BEGIN, i, 0, 0);
		rc = asgd__batch_run_sim(c, r, i);
		if (rc == ASGD_OK && !r->interrupted && c->replicas > 0)
			rc = run_engine(c, r, i);
	}
	r->partial = r->interrupted || rc != ASGD_OK;
	r->diverged = any_diverged(r);
	return rc;
}
