/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble.c — what the ensemble commands `simulate` and `sme` share once their flags are read:
 * running the job (asgd/ensemble_job.h) with progress, writing its files, the summary on stdout
 * and the exit status with the reason on stderr.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "cli.h"

void cli_print_moment_rows(const asgd_moments *m, uint64_t K)
{
	asgd_moment_row row;
	uint64_t last = m->steps - 1; /* = K when every iterate is a row */

	(void)K;
	for (uint64_t r = 0; r <= last; r += (last >= 4 ? last / 4 : 1)) {
		asgd_moments_get(m, r, 0, &row);
		printf("  %-8llu %9.5f ± %-9.5f  %9.5f ± %.5f\n",
		       (unsigned long long)(r * m->stride), row.mean, row.se_mean, row.second,
		       row.se_second);
	}
}

/* The end of an ensemble's stdout summary: throughput, a few moments, the output files. */
static void print_ensemble(const struct cli_ensemble *e, const asgd_ensemble_outcome *r,
			   uint64_t iters, size_t dim)
{
	const asgd_ensemble_result *ens = r->ens;

	printf("throughput %.3g path-steps/s on %u threads, %.2f s\n", r->path_steps_per_s,
	       ens->threads, ens->wall_s);
	if (ens->paths_done >= 2) {
		printf("  k        mean                  second moment   (of %s)\n",
		       e->observed ? e->observed : dim > 1 ? "x, coordinate 0" : "x");
		cli_print_moment_rows(&ens->moments, iters);
	}
	printf("outputs %s/{summary.json,moments.csv%s}\n", e->out, dim == 1 ? ",final.csv" : "");
}

/* The exit status once the outputs are written (@write_rc), saying on stderr why it is not 0. */
static int ensemble_status(const struct cli_ensemble *e, int write_rc,
			   const asgd_ensemble_result *ens, uint64_t paths, double eta)
{
	if (cli_write_failed(e->cmd, e->out, write_rc))
		return CLI_EXIT_FAIL;
	if (ens && ens->interrupted) {
		fprintf(stderr, "asgd %s: interrupted; %llu of %llu paths written to %s\n", e->cmd,
			(unsigned long long)ens->paths_done, (unsigned long long)paths, e->out);
		return CLI_EXIT_INTERRUPTED;
	}
	if (ens && ens->nonfinite > 0) {
		fprintf(stderr, "asgd %s: %llu paths diverged (eta %g too large for %s?); "
				"summary.json says \"diverged\": true\n",
			e->cmd, (unsigned long long)ens->nonfinite, eta, e->preset);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Why the job did not run: the exit status, saying so on stderr. */
static int ensemble_failed(const struct cli_ensemble *e, int rc)
{
	if (!e->job.exact) {
		fprintf(stderr, "asgd %s: the %s failed: %s\n", e->cmd,
			e->job.sim ? "simulation" : "integration", asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (rc == ASGD_ENOTFOUND)
		cli_usage_error(e->cmd, "--exact needs a quadratic preset (affine gradients), not "
				"'%s'", e->preset);
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd %s: interrupted; nothing written\n", e->cmd);
		return CLI_EXIT_INTERRUPTED;
	}
	fprintf(stderr, "asgd %s: the exact moments failed: %s\n", e->cmd, asgd_strerror(rc));
	return CLI_EXIT_FAIL;
}

int cli_ensemble(const struct cli_ensemble *e)
{
	const asgd_sim_config *sim = e->job.sim;
	const asgd_sme_config *sme = e->job.sme;
	asgd_ensemble_job job = e->job;
	asgd_ensemble_outcome r;
	char path[4096];
	cJSON *summary;
	int rc, status;

	if (cli_progress_start(e->cmd, 1, e->quiet) && !job.exact) {
		job.progress = cli_progress_cb;
		cli_progress_phase(1, "paths");
	}
	rc = asgd_ensemble_job_run(&job, &r);
	cli_progress_phase_end();
	if (rc != ASGD_OK)
		return ensemble_failed(e, rc);
	rc = asgd_ensemble_write_tables(e->out, &job, &r);
	summary = asgd_ensemble_summary_json(e->cmd, e->argc, e->argv, &job, &r);
	cli_out_path(path, sizeof(path), e->out, "summary.json");
	if (rc == ASGD_OK)
		rc = cli_write_json(path, summary);
	cJSON_Delete(summary);
	if (!e->quiet && !job.exact) {
		e->print_head(e->arg, &r);
		print_ensemble(e, &r, sim ? sim->iters : sme->iters,
			       asgd_problem_dim(sim ? sim->problem : sme->problem));
	}
	status = ensemble_status(e, rc, r.ens, sim ? sim->paths : sme->paths,
				 sim ? sim->eta : sme->eta);
	if (status == CLI_EXIT_OK && !e->quiet && job.exact)
		printf("asgd %s --exact  %s  %s: %s/{summary.json,moments.csv}\n", e->cmd,
		       asgd_model_name(sim ? sim->model : sme->model),
		       asgd_problem_spec(sim ? sim->problem : sme->problem), e->out);
	asgd_ensemble_outcome_free(&r);
	return status;
}
