/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * order_run.c — the `asgd order` experiment (asgd/order_run.h): the ladder of halved η, the gap
 * of SME-ASGD to ASGD at each rung, the fitted orders, and the result as JSON and CSV.
 */
#include "asgd/order_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/report.h"
#include "core/stop_internal.h"

/* ASGD and SME-ASGD at one η; the gap from exact moments where available. */
static int measure(const asgd_order_config *cfg, asgd_order_result *res, asgd_order_rung *r)
{
	asgd_model_run_config c = cfg->run;
	asgd_model_run_result asgd, sme;
	int exact = asgd_exact_supported(c.problem) && !cfg->monte_carlo, rc;

	c.eta = r->eta;
	c.iters = r->iters;
	c.exact = exact;
	c.monte_carlo = !exact;
	c.dir = NULL;
	c.model = ASGD_MODEL_ASGD;
	asgd_model_run_result_init(&sme, ASGD_MODEL_SME_ASGD);
	rc = asgd_model_run(&c, &asgd);
	if (rc == ASGD_OK && !asgd__stop_raised(c.stop)) {
		c.model = ASGD_MODEL_SME_ASGD;
		rc = asgd_model_run(&c, &sme);
	}
	if (rc != ASGD_OK)
		memcpy(res->error, asgd.error[0] ? asgd.error : sme.error, sizeof(res->error));
	if (rc == ASGD_OK && !asgd__stop_raised(c.stop)) {
		const asgd_moment_table *a = exact ? &asgd.exact : &asgd.mc;
		const asgd_moment_table *s = exact ? &sme.exact : &sme.mc;

		r->ok = (exact ? asgd.have_exact && sme.have_exact : asgd.have_mc && sme.have_mc) &&
			!asgd.interrupted && !sme.interrupted &&
			asgd_gap_compute(s, a, &r->gap) == ASGD_OK;
		r->exact = exact;
		r->noisy = !exact && r->gap.mean < 2 * r->gap.mean_se;
	}
	asgd_model_run_result_free(&asgd);
	asgd_model_run_result_free(&sme);
	return rc;
}

/* The orders in Δt of the mean and the absolute second-moment gaps, over the rungs not in noise. */
static void fit(asgd_order_result *res)
{
	double dt[ASGD_ORDER_MAX_HALVINGS + 1], gm[ASGD_ORDER_MAX_HALVINGS + 1];
	double gs[ASGD_ORDER_MAX_HALVINGS + 1];
	int use[ASGD_ORDER_MAX_HALVINGS + 1];

	for (unsigned i = 0; i < res->n; i++) {
		const asgd_order_rung *r = &res->rungs[i];

		dt[i] = r->dt;
		gm[i] = r->gap.mean;
		gs[i] = r->gap.second_abs;
		use[i] = r->ok && !r->noisy;
	}
	asgd_order_fit(dt, gm, use, res->n, &res->mean_order, &res->mean_order_se);
	asgd_order_fit(dt, gs, use, res->n, &res->second_order, &res->second_order_se);
}

int asgd_order_run(const asgd_order_config *cfg, asgd_order_result *res)
{
	int rc = ASGD_OK;

	if (!res)
		return ASGD_EINVAL;
	memset(res, 0, sizeof(*res));
	if (!cfg || cfg->halvings < 1 || cfg->halvings > ASGD_ORDER_MAX_HALVINGS)
		return ASGD_EINVAL;
	res->mu = cfg->run.mu;
	res->horizon = cfg->horizon;
	res->halvings = cfg->halvings;
	res->n = cfg->halvings + 1;
	for (unsigned j = 0; j < res->n && rc == ASGD_OK && !asgd__stop_raised(cfg->run.stop); j++) {
		asgd_order_rung *r = &res->rungs[j];

		r->eta = cfg->run.eta / (double)(1u << j);
		r->dt = sqrt(r->eta * (1 - res->mu));
		r->iters = (uint64_t)llround(res->horizon / r->dt);
		if (r->iters < 1)
			r->iters = 1;
		rc = measure(cfg, res, r);
		if (cfg->rung_end)
			cfg->rung_end(cfg->rung_arg, res, j);
	}
	fit(res);
	return rc;
}

static cJSON *rung_json(const asgd_order_rung *r, double mu)
{
	cJSON *row = cJSON_CreateObject();

	cJSON_AddNumberToObject(row, "eta", r->eta);
	cJSON_AddNumberToObject(row, "dt", r->dt);
	cJSON_AddNumberToObject(row, "iters", (double)r->iters);
	cJSON_AddBoolToObject(row, "exact", r->exact);
	cJSON_AddNumberToObject(row, "mean_gap", r->gap.mean);
	cJSON_AddNumberToObject(row, "mean_gap_se", r->gap.mean_se);
	cJSON_AddNumberToObject(row, "second_abs_gap", r->gap.second_abs);
	cJSON_AddNumberToObject(row, "second_rel_gap", r->gap.second_rel);
	cJSON_AddNumberToObject(row, "theorem3_bound", r->dt / (1 - mu));
	return row;
}

cJSON *asgd_order_result_json(const asgd_order_result *res)
{
	cJSON *root = res ? cJSON_CreateObject() : NULL, *rows, *j;

	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, "horizon", res->horizon);
	cJSON_AddNumberToObject(root, "halvings", res->halvings);
	rows = cJSON_AddArrayToObject(root, "rungs");
	for (unsigned i = 0; i < res->n; i++)
		if (res->rungs[i].ok)
			cJSON_AddItemToArray(rows, rung_json(&res->rungs[i], res->mu));
	j = cJSON_AddObjectToObject(root, "fit");
	cJSON_AddNumberToObject(j, "mean_gap_order", res->mean_order);
	cJSON_AddNumberToObject(j, "mean_gap_order_se", res->mean_order_se);
	cJSON_AddNumberToObject(j, "second_gap_order", res->second_order);
	cJSON_AddNumberToObject(j, "second_gap_order_se", res->second_order_se);
	cJSON_AddNumberToObject(j, "theorem3_order", 1);
	cJSON_AddStringToObject(j, "fit", "least squares of log gap on log dt over the rungs "
					  "whose gap exceeds 2 standard errors");
	return root;
}

int asgd_order_write_csv(const asgd_order_result *res, const char *path)
{
	asgd_atomic_file af;
	int rc;

	if (!res || !path)
		return ASGD_EINVAL;
	rc = asgd_atomic_open(&af, path);
	if (rc)
		return rc;
	fprintf(af.fp, "j,eta,dt,iters,exact,mean_gap,mean_gap_se,second_abs_gap,second_rel_gap,"
		       "second_rel_gap_se,theorem3_bound,mean_gap_over_bound\n");
	for (unsigned j = 0; j < res->n; j++) {
		const asgd_order_rung *r = &res->rungs[j];
		double bound = r->dt / (1 - res->mu);

		if (!r->ok)
			continue;
		fprintf(af.fp, "%u,%.10g,%.10g,%llu,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n",
			j, r->eta, r->dt, (unsigned long long)r->iters, r->exact, r->gap.mean,
			r->gap.mean_se, r->gap.second_abs, r->gap.second_rel, r->gap.second_rel_se,
			bound, r->gap.mean / bound);
	}
	return asgd_atomic_commit(&af);
}
