/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble_json.c — the summary.json of `asgd simulate` and `asgd sme` (asgd/ensemble_job.h):
 * the settings of either kind of ensemble, the Monte Carlo record both share around their own
 * fields, and the basins of attraction of a problem with several local minima.
 */
#include "asgd/ensemble_job.h"

#include <math.h>
#include <stdlib.h>

#include "asgd/compare.h"
#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/report.h"

/* One basin's entry: its minimum, the paths ending nearest it, their fraction and its SE. */
static cJSON *basin_json(const double *minimum, size_t dim, double frac, double se,
			 uint64_t counted)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddItemToObject(b, "minimum", dim == 1 ? cJSON_CreateNumber(minimum[0])
						     : cJSON_CreateDoubleArray(minimum, (int)dim));
	/* frac is hits/counted, correctly rounded: rounding frac·counted gives hits back */
	cJSON_AddNumberToObject(b, "paths", round(frac * (double)counted));
	cJSON_AddNumberToObject(b, "fraction", frac);
	cJSON_AddNumberToObject(b, "se", se);
	return b;
}

cJSON *asgd_ensemble_basins_json(const asgd_problem *p, const double *final, uint64_t paths)
{
	size_t dim, count = 0;
	double *minima, *frac, *se;
	uint64_t counted = 0;
	cJSON *arr = NULL;

	if (!p || !final || asgd_problem_local_minima(p, NULL, 0, &count) != ASGD_OK || count < 2)
		return NULL;
	dim = asgd_problem_dim(p);
	minima = malloc(count * dim * sizeof(double));
	frac = malloc(count * sizeof(double));
	se = malloc(count * sizeof(double));
	if (!minima || !frac || !se ||
	    asgd_problem_local_minima(p, minima, count, &count) != ASGD_OK)
		goto out;
	arr = cJSON_CreateArray();
	/* no finite path: an empty list, not an error */
	if (asgd_basin_fractions(final, paths, dim, minima, count, frac, se, &counted) == ASGD_OK)
		for (size_t m = 0; m < count; m++)
			cJSON_AddItemToArray(arr, basin_json(minima + m * dim, dim, frac[m], se[m],
							     counted));
out:
	free(minima);
	free(frac);
	free(se);
	return arr;
}

static void add_sim_settings(cJSON *j, const asgd_ensemble_job *job)
{
	const asgd_sim_config *c = job->sim;

	cJSON_AddStringToObject(j, "model", asgd_model_name(c->model));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(c->problem));
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(c->problem));
	cJSON_AddNumberToObject(j, "eta", c->eta);
	cJSON_AddNumberToObject(j, "mu", c->mu);
	cJSON_AddNumberToObject(j, "iters", (double)c->iters);
	cJSON_AddNumberToObject(j, "dt", asgd_model_time_step(c->model, c->eta, c->mu));
	if (c->model == ASGD_MODEL_MINIBATCH) {
		if (job->batch_schedule)
			cJSON_AddStringToObject(j, "batch_schedule", job->batch_schedule);
		else
			cJSON_AddNumberToObject(j, "batch", asgd_batch_at(&c->batch, 0));
	}
	if (job->staleness)
		cJSON_AddStringToObject(j, "staleness", job->staleness);
	else if (c->model == ASGD_MODEL_ASGD || c->model == ASGD_MODEL_MINIBATCH)
		cJSON_AddStringToObject(j, "staleness", "geometric");
}

static void add_sme_settings(cJSON *j, const asgd_ensemble_job *job)
{
	const asgd_sme_config *c = job->sme;

	cJSON_AddStringToObject(j, "model", asgd_model_name(c->model));
	cJSON_AddStringToObject(j, "sigma", asgd_sigma_name(c->sigma));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(c->problem));
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(c->problem));
	cJSON_AddNumberToObject(j, "eta", c->eta);
	cJSON_AddNumberToObject(j, "mu", c->mu);
	if (c->mixture)
		cJSON_AddItemToObject(j, "mixture", asgd_geomix_json(c->mixture, NULL, 0));
	cJSON_AddNumberToObject(j, "dt", asgd_model_time_step(c->model, c->eta, c->mu));
	cJSON_AddNumberToObject(j, "iters", (double)c->iters);
	cJSON_AddNumberToObject(j, "substeps", c->substeps);
	if (job->batch_schedule)
		cJSON_AddStringToObject(j, "batch_schedule", job->batch_schedule);
	else
		cJSON_AddNumberToObject(j, "batch", asgd_batch_at(&c->batch, 0));
}

/* The Monte Carlo record, around the model's own fields. */
static void add_paths(cJSON *j, const asgd_ensemble_job *job, const asgd_ensemble_outcome *out)
{
	const asgd_ensemble_result *ens = out->ens;
	const asgd_problem *p = job->sim ? job->sim->problem : job->sme->problem;
	cJSON *basins = asgd_ensemble_basins_json(p, ens->final, ens->paths_done), *t;

	cJSON_AddNumberToObject(j, "paths", (double)(job->sim ? job->sim->paths : job->sme->paths));
	cJSON_AddNumberToObject(j, "paths_done", (double)ens->paths_done);
	cJSON_AddNumberToObject(j, "threads", ens->threads);
	cJSON_AddNumberToObject(j, "seed", (double)(job->sim ? job->sim->seed : job->sme->seed));
	if (job->sim) {
		cJSON_AddNumberToObject(j, "history", (double)out->sim.history);
		t = cJSON_AddObjectToObject(j, "truncation");
		cJSON_AddNumberToObject(t, "prob", out->sim.truncation_prob);
		cJSON_AddNumberToObject(t, "truncated", (double)out->sim.truncated);
	} else {
		cJSON_AddNumberToObject(j, "sigma_clamped", (double)out->sme.sigma_clamped);
	}
	cJSON_AddNumberToObject(j, "nonfinite_paths", (double)ens->nonfinite);
	cJSON_AddBoolToObject(j, "diverged", ens->nonfinite > 0);
	if (basins)
		cJSON_AddItemToObject(j, "basins", basins);
	cJSON_AddNumberToObject(j, "wall_s", ens->wall_s);
	cJSON_AddNumberToObject(j, "path_steps_per_s", out->path_steps_per_s);
}

cJSON *asgd_ensemble_summary_json(const char *cmd, int argc, char **argv,
				  const asgd_ensemble_job *job, const asgd_ensemble_outcome *out)
{
	cJSON *root;

	if (!cmd || !job || !out || !job->sim == !job->sme || (!job->exact && !out->ens))
		return NULL;
	root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "command", cmd);
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	if (job->sim)
		add_sim_settings(root, job);
	else
		add_sme_settings(root, job);
	cJSON_AddBoolToObject(root, "exact", job->exact);
	if (!job->exact)
		add_paths(root, job, out);
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	/* exact moments are whole or absent: never partial */
	cJSON_AddBoolToObject(root, "partial", !job->exact && out->ens->interrupted);
	return root;
}
