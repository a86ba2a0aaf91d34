/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model_run.c — one model as a Monte Carlo ensemble (sim or sme) and exactly (exact), its moment
 * tables, its files and its JSON (asgd/model_run.h): what `compare` and `order` run per model.
 */
#include "asgd/model_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/ensemble.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "core/stop_internal.h"

/* Each model draws from its own streams, so that the gaps' standard errors may add in quadrature. */
static uint64_t model_seed(uint64_t seed, asgd_model m)
{
	return seed + 0x9E3779B97F4A7C15ull * ((uint64_t)m + 1);
}

static asgd_sigma model_sigma(const asgd_model_run_config *c)
{
	return c->model == ASGD_MODEL_SME_ASGD ? c->sigma : asgd_sme_default_sigma(c->model, c->problem);
}

/* The ensemble's progress, told as the model's. */
static void on_paths(void *arg, uint64_t done, uint64_t total)
{
	const asgd_model_run_config *c = arg;
	asgd_model_progress p = { .event = ASGD_MODEL_PATHS, .model = c->model, .done = done,
				  .total = total };

	c->progress(c->progress_arg, &p);
}

/* The run's counts, and its end points, which the run takes over from @ens (no copy). */
static void keep_final(asgd_model_run_result *r, asgd_ensemble_result *ens)
{
	r->paths_done = ens->paths_done;
	r->nonfinite = ens->nonfinite;
	r->interrupted = ens->interrupted;
	r->wall_s = ens->wall_s;
	r->final = ens->final;
	ens->final = NULL;
	r->ran = 1;
}

/* The ensemble's table and, with a directory, DIR/moments.csv; fewer than 2 paths give neither. */
static int keep_moments(const asgd_model_run_config *c, asgd_model_run_result *r,
			const asgd_moments *m, double dt)
{
	char path[4096];
	int rc;

	if (r->paths_done < 2)
		return ASGD_OK;
	rc = asgd_table_from_moments(m, dt, &r->mc);
	r->have_mc = rc == ASGD_OK;
	if (rc != ASGD_OK || !c->dir)
		return rc;
	rc = asgd_report_path(path, sizeof(path), c->dir, "moments.csv");
	return rc ? rc : asgd_moments_write_csv(m, path, dt);
}

static int run_sim(const asgd_model_run_config *c, asgd_model_run_result *r)
{
	asgd_sim_config cfg = {
		.model = c->model, .problem = c->problem, .eta = c->eta, .mu = c->mu,
		.iters = c->iters, .paths = c->paths, .threads = c->threads,
		.seed = model_seed(c->seed, c->model), .keep_final = 1, .stop = c->stop,
		.progress = c->progress ? on_paths : NULL, .progress_arg = (void *)c,
	};
	asgd_sim_result res;
	char err[256];
	int rc = asgd_sim_check_config(&cfg, err, sizeof(err));

	if (rc) {
		snprintf(r->error, sizeof(r->error), "%s: %s", asgd_model_name(c->model), err);
		return rc;
	}
	rc = asgd_sim_run(&cfg, &res);
	if (rc)
		return rc;
	r->history = res.history;
	r->truncation_prob = res.truncation_prob;
	r->truncated = res.truncated;
	r->path_steps_per_s = res.path_steps_per_s;
	keep_final(r, &res.ens);
	rc = keep_moments(c, r, &res.ens.moments, asgd_model_time_step(c->model, c->eta, c->mu));
	asgd_sim_result_free(&res);
	return rc;
}

static int run_sme(const asgd_model_run_config *c, asgd_model_run_result *r)
{
	asgd_sme_config cfg = {
		.model = c->model, .sigma = model_sigma(c), .problem = c->problem,
		.eta = c->eta, .mu = c->mu, .iters = c->iters, .substeps = c->substeps,
		.paths = c->paths, .threads = c->threads, .seed = model_seed(c->seed, c->model),
		.keep_final = 1, .stop = c->stop, .progress = c->progress ? on_paths : NULL,
		.progress_arg = (void *)c,
	};
	asgd_sme_result res;
	char err[256];
	int rc = asgd_sme_check_config(&cfg, err, sizeof(err));

	if (rc) {
		snprintf(r->error, sizeof(r->error), "%s: %s", asgd_model_name(c->model), err);
		return rc;
	}
	rc = asgd_sme_run(&cfg, &res);
	if (rc)
		return rc;
	r->sigma = cfg.sigma;
	r->sigma_clamped = res.sigma_clamped;
	r->path_steps_per_s = res.path_steps_per_s;
	keep_final(r, &res.ens);
	rc = keep_moments(c, r, &res.ens.moments, res.dt);
	asgd_sme_result_free(&res);
	return rc;
}

static int run_exact(const asgd_model_run_config *c, asgd_model_run_result *r)
{
	asgd_exact_config cfg = {
		.model = c->model, .sigma = model_sigma(c), .problem = c->problem,
		.eta = c->eta, .mu = c->mu, .iters = c->iters, .stop = c->stop,
	};
	asgd_exact_moments m;
	char path[4096];
	int rc;

	if (!asgd_exact_supported(c->problem))
		return ASGD_OK;
	rc = asgd_exact_run(&cfg, &m);
	if (rc == ASGD_EINTR)	/* stopped: no exact table (have_exact stays 0), not a failure */
		return ASGD_OK;
	if (rc)
		return rc;
	rc = asgd_table_from_exact(&m, &r->exact);
	r->have_exact = rc == ASGD_OK;
	if (rc == ASGD_OK && c->dir) {
		rc = asgd_report_path(path, sizeof(path), c->dir, "exact.csv");
		if (rc == ASGD_OK)
			rc = asgd_exact_write_csv(&m, path);
	}
	asgd_exact_moments_free(&m);
	return rc;
}

void asgd_model_run_result_init(asgd_model_run_result *r, asgd_model m)
{
	memset(r, 0, sizeof(*r));
	r->model = m;
}

int asgd_model_run(const asgd_model_run_config *cfg, asgd_model_run_result *res)
{
	int rc = ASGD_OK;

	if (!res)
		return ASGD_EINVAL;
	asgd_model_run_result_init(res, cfg ? cfg->model : ASGD_MODEL_ASGD);
	if (!cfg || !cfg->problem)
		return ASGD_EINVAL;
	if (cfg->dir && asgd_report_prepare_dir(cfg->dir, res->error, sizeof(res->error)) != ASGD_OK)
		return ASGD_EIO;
	if (cfg->monte_carlo) {
		rc = asgd_model_is_discrete(cfg->model) ? run_sim(cfg, res) : run_sme(cfg, res);
		if (cfg->progress) {
			asgd_model_progress p = { .event = ASGD_MODEL_DONE, .model = cfg->model };

			cfg->progress(cfg->progress_arg, &p);
		}
	}
	if (rc == ASGD_OK && cfg->exact && !asgd__stop_raised(cfg->stop))
		rc = run_exact(cfg, res);
	return rc;
}

void asgd_model_run_result_free(asgd_model_run_result *r)
{
	if (!r)
		return;
	asgd_table_free(&r->mc);
	asgd_table_free(&r->exact);
	free(r->final);
	memset(r, 0, sizeof(*r));
}

cJSON *asgd_model_run_result_json(const asgd_model_run_result *r)
{
	cJSON *j = r ? cJSON_CreateObject() : NULL;

	if (!j)
		return NULL;
	if (r->ran && asgd_model_is_discrete(r->model)) {
		cJSON_AddNumberToObject(j, "history", (double)r->history);
		cJSON_AddNumberToObject(j, "truncation_prob", r->truncation_prob);
		cJSON_AddNumberToObject(j, "truncated", (double)r->truncated);
	} else if (r->ran) {
		cJSON_AddStringToObject(j, "sigma", asgd_sigma_name(r->sigma));
		cJSON_AddNumberToObject(j, "sigma_clamped", (double)r->sigma_clamped);
	}
	cJSON_AddNumberToObject(j, "paths_done", (double)r->paths_done);
	cJSON_AddNumberToObject(j, "nonfinite_paths", (double)r->nonfinite);
	cJSON_AddNumberToObject(j, "wall_s", r->wall_s);
	cJSON_AddNumberToObject(j, "path_steps_per_s", r->path_steps_per_s);
	cJSON_AddBoolToObject(j, "exact_available", r->have_exact);
	return j;
}
