/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compare_run.c — the `asgd compare` experiment (asgd/compare_run.h): ASGD, SME-ASGD and SME-SGD
 * side by side, the SMEs' gaps to ASGD, the verdict, the basins, and all of it as JSON.
 */
#include "asgd/compare_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "core/stop_internal.h"

static const asgd_model MODELS[ASGD_COMPARE_MODELS] = {
	ASGD_MODEL_ASGD, ASGD_MODEL_SME_ASGD, ASGD_MODEL_SME_SGD,
};

static int run_one(const asgd_compare_config *cfg, asgd_model_run_result *r)
{
	asgd_model_run_config c = cfg->run;
	char dir[4096];

	c.model = r->model;
	c.monte_carlo = 1;
	c.exact = 1;
	c.dir = NULL;
	if (cfg->dir) {
		if (asgd_report_path(dir, sizeof(dir), cfg->dir, asgd_model_name(r->model))) {
			snprintf(r->error, sizeof(r->error), "the path of '%s' under '%s' is too long",
				 asgd_model_name(r->model), cfg->dir);
			return ASGD_EINVAL;
		}
		c.dir = dir;
	}
	return asgd_model_run(&c, r);
}

/* The gaps of each SME to ASGD, from the ensembles [.][0] and exactly [.][1]. */
static void gaps(asgd_compare_result *res)
{
	const asgd_model_run_result *ref = &res->runs[0];

	for (int m = 0; m < 2; m++) {
		const asgd_model_run_result *r = &res->runs[1 + m];

		res->have_gap[m][0] = ref->have_mc && r->have_mc &&
				      asgd_gap_compute(&r->mc, &ref->mc, &res->gap[m][0]) == ASGD_OK;
		res->have_gap[m][1] = ref->have_exact && r->have_exact &&
				      asgd_gap_compute(&r->exact, &ref->exact, &res->gap[m][1]) ==
					      ASGD_OK;
	}
}

int asgd_compare_run(const asgd_compare_config *cfg, asgd_compare_result *res)
{
	int rc = ASGD_OK;

	if (!cfg || !res)
		return ASGD_EINVAL;
	memset(res, 0, sizeof(*res));
	res->problem = cfg->run.problem;
	for (int m = 0; m < ASGD_COMPARE_MODELS; m++) {
		asgd_model_run_result_init(&res->runs[m], MODELS[m]);
		if (rc == ASGD_OK && !asgd__stop_raised(cfg->run.stop)) {
			rc = run_one(cfg, &res->runs[m]);
			if (rc != ASGD_OK)
				memcpy(res->error, res->runs[m].error, sizeof(res->error));
		}
	}
	res->failed = rc != ASGD_OK;
	if (!res->failed)
		gaps(res);
	return rc;
}

void asgd_compare_result_free(asgd_compare_result *res)
{
	if (!res)
		return;
	for (int m = 0; m < ASGD_COMPARE_MODELS; m++)
		asgd_model_run_result_free(&res->runs[m]);
	memset(res, 0, sizeof(*res));
}

static cJSON *gap_json(const asgd_gap *g)
{
	cJSON *j = cJSON_CreateObject();

	asgd_gap_add_json(j, g);
	return j;
}

/* gaps.{sme-asgd,sme-sgd}.{monte_carlo,exact} and the verdicts on both kinds of gap. */
static void add_gaps(cJSON *root, const asgd_compare_result *res)
{
	cJSON *gaps = cJSON_AddObjectToObject(root, "gaps"), *verdict;

	for (int m = 0; m < 2; m++) {
		cJSON *j = cJSON_AddObjectToObject(gaps, asgd_model_name(res->runs[1 + m].model));

		if (res->have_gap[m][0])
			cJSON_AddItemToObject(j, "monte_carlo", gap_json(&res->gap[m][0]));
		if (res->have_gap[m][1])
			cJSON_AddItemToObject(j, "exact", gap_json(&res->gap[m][1]));
	}
	verdict = cJSON_AddObjectToObject(root, "sme_asgd_beats_sme_sgd");
	for (int e = 0; e < 2; e++) {
		const asgd_gap *a = &res->gap[0][e], *s = &res->gap[1][e];
		cJSON *v;

		if (!res->have_gap[0][e] || !res->have_gap[1][e])
			continue;
		v = cJSON_AddObjectToObject(verdict, e ? "exact" : "monte_carlo");
		cJSON_AddBoolToObject(v, "mean", a->mean < s->mean);
		cJSON_AddBoolToObject(v, "second_moment", a->second_rel < s->second_rel);
	}
}

/* basins: the fraction of each run's paths ending near each local minimum (problems with > 1). */
static void add_basins(cJSON *root, const asgd_compare_result *res)
{
	size_t dim = asgd_problem_dim(res->problem), nmin;
	double *minima, *frac, *se;
	cJSON *b, *jmin;

	if (asgd_problem_local_minima(res->problem, NULL, 0, &nmin) != ASGD_OK || nmin < 2)
		return;
	minima = malloc(nmin * dim * sizeof(double));
	frac = malloc(nmin * sizeof(double));
	se = malloc(nmin * sizeof(double));
	if (!minima || !frac || !se ||
	    asgd_problem_local_minima(res->problem, minima, nmin, &nmin) != ASGD_OK)
		goto out;
	b = cJSON_AddObjectToObject(root, "basins");
	jmin = cJSON_AddArrayToObject(b, "minima");
	for (size_t j = 0; j < nmin * dim; j++)
		cJSON_AddItemToArray(jmin, cJSON_CreateNumber(minima[j]));
	for (int m = 0; m < ASGD_COMPARE_MODELS; m++) {
		const asgd_model_run_result *r = &res->runs[m];
		uint64_t counted;
		cJSON *jm;

		if (!r->final || asgd_basin_fractions(r->final, r->paths_done, dim, minima, nmin, frac,
						      se, &counted))
			continue;
		jm = cJSON_AddObjectToObject(b, asgd_model_name(r->model));
		cJSON_AddItemToObject(jm, "fraction", cJSON_CreateDoubleArray(frac, (int)nmin));
		cJSON_AddItemToObject(jm, "se", cJSON_CreateDoubleArray(se, (int)nmin));
		cJSON_AddNumberToObject(jm, "paths", (double)counted);
	}
out:
	free(minima);
	free(frac);
	free(se);
}

cJSON *asgd_compare_result_json(const asgd_compare_result *res)
{
	cJSON *root = res ? cJSON_CreateObject() : NULL, *jm;

	if (!root)
		return NULL;
	jm = cJSON_AddObjectToObject(root, "models");
	for (int m = 0; m < ASGD_COMPARE_MODELS; m++)
		cJSON_AddItemToObject(jm, asgd_model_name(res->runs[m].model),
				      asgd_model_run_result_json(&res->runs[m]));
	if (!res->failed) {
		add_gaps(root, res);
		if (res->problem)
			add_basins(root, res);
	}
	return root;
}
