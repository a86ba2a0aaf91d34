/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate.c — the validate experiment (asgd/validate.h): the real run, the fit of the staleness
 * it measured, and the models run with that staleness (validate_models.c) in turn.
 */
#include "asgd/validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/work.h"
#include "core/stop_internal.h"
#include "experiment/validate_internal.h"

double asgd_validate_mixture_tv(const asgd_geomix *mix, const asgd_staleness_summary *s)
{
	double tv = 0, mass = 0, q;

	for (size_t l = 0; l < s->pmf_len; l++) {
		q = asgd_geomix_pmf(mix, l);
		mass += q;
		tv += fabs(s->pmf[l] - q);
	}
	return 0.5 * (tv + fmax(0, 1 - mass));
}

/* The real run's progress, as asgd_replicas_run's callback. */
static void replica_done(void *arg, uint64_t done, uint64_t total)
{
	const asgd_validate_config *c = arg;
	asgd_validate_progress p = { ASGD_VALIDATE_REAL, "replica", ASGD_VALIDATE_DONE, done,
				     total, 0 };

	c->progress(c->progress_arg, &p);
}

static void report_real(const asgd_validate_config *c, asgd_validate_event e)
{
	asgd_validate_progress p = { ASGD_VALIDATE_REAL, "replica", e, 0, 0, 0 };

	if (c->progress)
		c->progress(c->progress_arg, &p);
}

/* μ̂ and the mixture of the pooled staleness; a stop during the EM leaves the mixture out. */
/* Under a bound s: the truncated geometric's fit and its pmf table over 0..s. A τ above s (the
 * engine broke its bound) leaves the geometric replay as it is, and "truncated" null. */
static int fit_truncated(const asgd_validate_config *c, asgd_validate_result *r)
{
	uint64_t s = c->engine.max_staleness;

	if (asgd_staleness_fit_truncated(&r->staleness, s, &r->truncated) != ASGD_OK)
		return ASGD_OK;
	r->truncated_pmf = malloc((s + 1) * sizeof(double));
	if (!r->truncated_pmf)
		return ASGD_ENOMEM;
	for (uint64_t j = 0; j <= s; j++)
		r->truncated_pmf[j] = asgd_truncated_geometric_pmf(r->truncated.mu_hat, s, j);
	r->have_truncated = 1;
	return ASGD_OK;
}

static int fit_staleness(const asgd_validate_config *c, asgd_validate_result *r)
{
	const asgd_staleness *st = &r->real.staleness;
	int rc = asgd_staleness_summarize(st, &r->staleness);

	if (rc == ASGD_ENOMEM) {
		r->failed = ASGD_VALIDATE_FAIL_STALENESS;
		return rc;
	}
	r->have_staleness = rc == ASGD_OK;	/* otherwise nothing was measured */
	if (r->have_staleness && c->engine.max_staleness && fit_truncated(c, r) != ASGD_OK) {
		r->failed = ASGD_VALIDATE_FAIL_STALENESS;
		return ASGD_ENOMEM;
	}
	if (!r->have_staleness || c->mixture_max < 2)
		return ASGD_OK;
	/* EM over thousands of levels takes seconds: after a stop the mixture is omitted */
	rc = asgd_geomix_select_stop(st->hist, st->hist_len, c->mixture_max, &r->mixture,
				     r->mixture_all, c->stop);
	if (rc == ASGD_EINTR) {
		r->mixture_omitted = 1;
		return ASGD_OK;
	}
	if (rc == ASGD_OK)
		rc = asgd_geomix_pmf_table(&r->mixture, ASGD_VALIDATE_MIXTURE_TAIL_EPS,
					   &r->mixture_pmf, &r->mixture_len);
	if (rc) {
		r->failed = ASGD_VALIDATE_FAIL_MIXTURE;
		return rc;
	}
	/* under a bound s the replay draws the mixture conditioned on τ ≤ s (the simulator's
	 * table need not sum to 1): the cells above s go, cell s keeps P(τ = s) alone */
	if (c->engine.max_staleness && r->mixture_len > c->engine.max_staleness + 1)
		r->mixture_len = (size_t)c->engine.max_staleness + 1;
	r->have_mixture = 1;
	r->mixture_tv = asgd_validate_mixture_tv(&r->mixture, &r->staleness);
	return ASGD_OK;
}

/* The real run, its fit, its files and its moments as a table at dt = √(η(1−μ̂)). */
static int run_real(const asgd_validate_config *c, asgd_validate_result *r)
{
	asgd_engine_config engine = c->engine;
	const asgd_staleness_summary *sum;
	int rc;

	engine.record_staleness = 1;
	engine.stop = c->stop;
	report_real(c, ASGD_VALIDATE_BEGIN);
	rc = asgd_replicas_run_observed(&engine, c->replicas, c->observe,
					c->progress ? replica_done : NULL, (void *)c, NULL, NULL,
					&r->real);
	report_real(c, ASGD_VALIDATE_END);
	if (rc) {
		memset(&r->real, 0, sizeof(r->real));	/* it holds nothing */
		r->failed = ASGD_VALIDATE_FAIL_ENGINE;
		return rc;
	}
	rc = fit_staleness(c, r);
	sum = r->have_staleness ? &r->staleness : NULL;
	r->dt = asgd_model_time_step(ASGD_MODEL_ASGD, c->engine.eta, sum ? sum->mu_hat : 0);
	if (rc)
		return rc;
	if (c->write_real)
		rc = c->write_real(c->write_real_arg, &engine, &r->real, sum, r->dt);
	if (rc == ASGD_OK && r->real.replicas_done >= 2 && !r->real.diverged)
		rc = asgd_table_from_moments(&r->real.moments, r->dt, &r->moments);
	if (rc)
		r->failed = ASGD_VALIDATE_FAIL_WRITE_REAL;
	return rc;
}

static int run_models(const asgd_validate_config *c, asgd_validate_result *r)
{
	const asgd_staleness_summary *s = &r->staleness;
	asgd_validate_model *m = r->models;
	int rc = ASGD_OK;

	asgd__validate_models_init(m, s->mu_hat, s->pmf, s->pmf_len,
				   r->have_mixture ? &r->mixture : NULL, r->mixture_pmf,
				   r->mixture_len);
	if (r->have_truncated) /* the replay draws the bounded run's law; the SMEs keep μ̂ */
		asgd__validate_models_truncate(&m[ASGD_VALIDATE_ASGD_GEOMETRIC], r->truncated_pmf,
					       c->engine.max_staleness);
	if (c->engine.max_staleness)
		m[ASGD_VALIDATE_ASGD_MIXTURE].staleness = "iid from the fitted mixture, "
							   "conditioned on tau <= s";
	for (unsigned i = 0; i < ASGD_VALIDATE_NMODELS && !asgd__stop_raised(c->stop); i++) {
		if (!m[i].enabled)
			continue;
		rc = asgd__validate_model_run(c, i, &m[i], &r->moments, r->error,
					      sizeof(r->error));
		if (rc) {
			r->failed = ASGD_VALIDATE_FAIL_MODEL;
			r->failed_model = (int)i;
			break;
		}
	}
	return rc;
}

int asgd_validate_run(const asgd_validate_config *cfg, asgd_validate_result *res)
{
	double t0 = asgd_now_ns();
	int rc;

	if (!cfg || !res)
		return ASGD_EINVAL;
	rc = run_real(cfg, res);
	if (rc == ASGD_OK && res->moments.steps && res->have_staleness)
		rc = run_models(cfg, res);
	res->partial = asgd__stop_raised(cfg->stop) || rc != ASGD_OK;
	res->wall_s = (asgd_now_ns() - t0) * 1e-9;
	return rc;
}

void asgd_validate_result_free(asgd_validate_result *res)
{
	if (!res)
		return;
	for (unsigned i = 0; i < ASGD_VALIDATE_NMODELS; i++)
		asgd_table_free(&res->models[i].table);
	asgd_table_free(&res->moments);
	if (res->have_staleness)
		asgd_staleness_summary_free(&res->staleness);
	free(res->mixture_pmf);
	free(res->truncated_pmf);
	asgd_replicas_free(&res->real);
	memset(res, 0, sizeof(*res));
}
