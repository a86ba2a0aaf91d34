/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble_job.c — the experiment behind `asgd simulate` and `asgd sme` (asgd/ensemble_job.h):
 * a discrete or SME ensemble, or its exact moments, and the tables it leaves. The summary's JSON
 * is in ensemble_json.c.
 */
#include "asgd/ensemble_job.h"

#include <stdio.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"

/*
 * The end points are kept for final.csv (1-D) and for the basins (more than one local minimum);
 * otherwise not: P·d doubles would be spent on nothing.
 */
static int keep_final(const asgd_problem *p)
{
	size_t count = 0;

	return asgd_problem_dim(p) == 1 ||
	       (asgd_problem_local_minima(p, NULL, 0, &count) == ASGD_OK && count > 1);
}

/* The exact moments' settings from a sim or an SME config: the fields they share by name. */
#define EXACT_CONFIG(c)                                                                         \
	((asgd_exact_config){ .model = (c)->model, .problem = (c)->problem, .eta = (c)->eta,  \
			      .mu = (c)->mu, .iters = (c)->iters, .x0 = (c)->x0,               \
			      .batch = (c)->batch, .stop = (c)->stop })

/* The same model and settings, exactly: the moments the ensemble estimates. */
static int run_exact(const asgd_ensemble_job *job, asgd_ensemble_outcome *out)
{
	asgd_exact_config ec;
	int rc;

	if (job->sim) {
		if (job->sim->tau_pmf)	/* the exact recursions assume geometric staleness */
			return ASGD_EINVAL;
		ec = EXACT_CONFIG(job->sim);
	} else {
		if (job->sme->mixture)	/* no moment equations for the mixture yet */
			return ASGD_EINVAL;
		ec = EXACT_CONFIG(job->sme);
		ec.sigma = job->sme->sigma;
	}
	rc = asgd_exact_run(&ec, &out->exact);
	out->dt = out->exact.dt;
	return rc;
}

/* What the job decides for either config: the end points kept, and its progress callback. */
static void adapt(const asgd_ensemble_job *job, const asgd_problem *p, int *keep,
		  void (**progress)(void *, uint64_t, uint64_t), void **progress_arg)
{
	*keep = keep_final(p);
	if (job->progress) {
		*progress = job->progress;
		*progress_arg = job->progress_arg;
	}
}

static int run_paths(const asgd_ensemble_job *job, asgd_ensemble_outcome *out)
{
	int rc;

	if (job->sim) {
		asgd_sim_config c = *job->sim;

		adapt(job, c.problem, &c.keep_final, &c.progress, &c.progress_arg);
		rc = asgd_sim_run(&c, &out->sim);
		out->ens = &out->sim.ens;
		out->dt = asgd_model_time_step(c.model, c.eta, c.mu);
		out->path_steps_per_s = out->sim.path_steps_per_s;
	} else {
		asgd_sme_config c = *job->sme;

		adapt(job, c.problem, &c.keep_final, &c.progress, &c.progress_arg);
		rc = asgd_sme_run(&c, &out->sme);
		out->ens = &out->sme.ens;
		out->dt = out->sme.dt;
		out->path_steps_per_s = out->sme.path_steps_per_s;
	}
	return rc;
}

int asgd_ensemble_job_run(const asgd_ensemble_job *job, asgd_ensemble_outcome *out)
{
	int rc;

	if (!out)
		return ASGD_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!job || !job->sim == !job->sme)
		return ASGD_EINVAL;
	rc = job->exact ? run_exact(job, out) : run_paths(job, out);
	if (rc != ASGD_OK)	/* the runs leave nothing to free when they fail */
		memset(out, 0, sizeof(*out));
	return rc;
}

void asgd_ensemble_outcome_free(asgd_ensemble_outcome *out)
{
	if (!out)
		return;
	asgd_sim_result_free(&out->sim);
	asgd_sme_result_free(&out->sme);
	asgd_exact_moments_free(&out->exact);
	memset(out, 0, sizeof(*out));
}

/* final.csv: path,x — each path's end point, for a 1-D problem. */
static int write_final_csv(const char *path, const asgd_ensemble_result *ens)
{
	asgd_atomic_file af;
	int rc = asgd_atomic_open(&af, path);

	if (rc != ASGD_OK)
		return rc;
	fputs("path,x\n", af.fp);
	for (uint64_t p = 0; p < ens->paths_done; p++)
		fprintf(af.fp, "%llu,%.17g\n", (unsigned long long)p, ens->final[p]);
	return asgd_atomic_commit(&af);
}

int asgd_ensemble_write_tables(const char *dir, const asgd_ensemble_job *job,
			       const asgd_ensemble_outcome *out)
{
	const asgd_problem *p;
	char path[4096];
	int rc;

	if (!dir || !job || !out || !job->sim == !job->sme)
		return ASGD_EINVAL;
	p = job->sim ? job->sim->problem : job->sme->problem;
	rc = asgd_report_path(path, sizeof(path), dir, "moments.csv");
	if (job->exact)
		return rc == ASGD_OK ? asgd_exact_write_csv(&out->exact, path) : rc;
	if (!out->ens)
		return ASGD_EINVAL;
	if (out->ens->paths_done == 0)
		return ASGD_OK;
	if (rc == ASGD_OK)
		rc = asgd_moments_write_csv(&out->ens->moments, path, out->dt);
	if (rc == ASGD_OK && asgd_problem_dim(p) == 1 && out->ens->final) {
		rc = asgd_report_path(path, sizeof(path), dir, "final.csv");
		if (rc == ASGD_OK)
			rc = write_final_csv(path, out->ens);
	}
	return rc;
}
