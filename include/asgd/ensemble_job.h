/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/ensemble_job.h — the experiment behind `asgd simulate` and `asgd sme`: one model on one
 * problem, as an ensemble of sample paths (the discrete processes of asgd/sim.h or the SMEs of
 * asgd/sme.h) or as its exact moments (asgd/exact.h), and what such a run leaves: moments.csv,
 * final.csv and the summary as JSON.
 *
 * Both kinds of ensemble give the same Monte Carlo record (paths done, divergence, the basins of
 * attraction where the problem has more than one local minimum, throughput, whether the stop flag
 * cut it short) around the fields of their own model, so that one summary schema and one writer
 * serve both. The module prints nothing and writes only where asked; a raised stop flag ends an
 * ensemble early with the complete paths kept (res->ens.interrupted), and an exact run with
 * nothing kept (a moment table is whole or absent).
 */
#ifndef ASGD_ENSEMBLE_JOB_H
#define ASGD_ENSEMBLE_JOB_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/ensemble.h"
#include "asgd/exact.h"
#include "asgd/problem.h"
#include "asgd/sim.h"
#include "asgd/sme.h"

/* What to run. Fields not set must be zero. */
typedef struct asgd_ensemble_job {
	const asgd_sim_config *sim;	/* the discrete processes, or NULL */
	const asgd_sme_config *sme;	/* or an SME: exactly one of @sim and @sme is set. Their
					   keep_final is decided here (final.csv for a 1-D problem,
					   basins for one with more than one local minimum) */
	int exact;			/* nonzero: the exact moments of the same model and
					   settings instead of paths (the problem must have affine
					   gradients; @sim's staleness geometric, @sme not the
					   mixture) */
	/* optional: called as paths are merged, in place of the config's own progress */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	const char *batch_schedule;	/* recorded in the summary: the file the batch schedule came
					   from (NULL: the constant batch is recorded instead) */
	const char *staleness;		/* recorded in the summary: the file @sim's measured
					   staleness law came from (NULL: geometric) */
} asgd_ensemble_job;

/*
 * What came out. @ens points into this struct: use it where asgd_ensemble_job_run filled it,
 * not in a copy.
 */
typedef struct asgd_ensemble_outcome {
	const asgd_ensemble_result *ens; /* the paths (&sim.ens or &sme.ens); NULL with exact */
	double dt;			/* row k stands at time t_k = k·dt */
	double path_steps_per_s;	/* the ensemble's throughput; 0 with exact */
	asgd_sim_result sim;		/* the job's @sim ensemble */
	asgd_sme_result sme;		/* the job's @sme ensemble */
	asgd_exact_moments exact;	/* with exact: the moments */
} asgd_ensemble_outcome;

/*
 * asgd_ensemble_job_run - run @job into @out.
 *
 * Returns 0 (also when the stop flag ended an ensemble early: out->ens->interrupted); ASGD_EINVAL
 * for a NULL argument, a job with neither or both of @sim and @sme, an exact job the exact
 * moments do not cover, or the errors of asgd_sim_run, asgd_sme_run and asgd_exact_run: among
 * them ASGD_ENOTFOUND when an exact job's problem does not have affine gradients and ASGD_EINTR
 * when the stop flag ended an exact run. @out is zeroed first; on failure it holds nothing to
 * free. On success free it with asgd_ensemble_outcome_free().
 */
int asgd_ensemble_job_run(const asgd_ensemble_job *job, asgd_ensemble_outcome *out);

/* asgd_ensemble_outcome_free - release what a run allocated and zero @out; NULL is a no-op. */
void asgd_ensemble_outcome_free(asgd_ensemble_outcome *out);

/*
 * asgd_ensemble_write_tables - the tables of @out, the outcome of @job, in @dir, each atomically:
 * moments.csv (asgd_moments_write_csv over the paths done, with t = k·dt; or
 * asgd_exact_write_csv) and, for an ensemble on a 1-D problem, final.csv (`path,x`: each path's
 * end point). An ensemble with no path done writes neither. Returns 0 or the first error
 * (ASGD_EINVAL for a NULL argument or a path that does not fit; ASGD_EIO, ASGD_ENOMEM).
 */
int asgd_ensemble_write_tables(const char *dir, const asgd_ensemble_job *job,
			       const asgd_ensemble_outcome *out);

/*
 * asgd_ensemble_summary_json - the summary.json of @out, the outcome of @job, as the command
 * `asgd @cmd` ran it (@argc, @argv: its command line, argv[0] the subcommand, recorded as
 * "command_line"): "command", "command_line", the settings ("model", ..., "exact"), then for
 * an ensemble "paths" (as requested), "paths_done", "threads", "seed", the model's own fields
 * (@sim: "history", "truncation" {"prob", "truncated"}; @sme: "sigma_clamped"),
 * "nonfinite_paths", "diverged", "basins" (asgd_ensemble_basins_json, where the problem has
 * them), "wall_s", "path_steps_per_s", "machine", "partial"; for exact moments "machine" and "partial": false.
 * Returns the object (the caller deletes it), or NULL when it could not be made.
 */
cJSON *asgd_ensemble_summary_json(const char *cmd, int argc, char **argv,
				  const asgd_ensemble_job *job, const asgd_ensemble_outcome *out);

/*
 * asgd_ensemble_basins_json - per local minimum of @p, the paths among @paths end points @final
 * (dim values each) whose nearest minimum it is: [{"minimum", "paths", "fraction", "se"}, ...],
 * "minimum" a number in 1-D and an array otherwise (empty when no end point is finite). Returns
 * NULL when @p has fewer than 2 local minima or @final is NULL; the caller deletes the array.
 */
cJSON *asgd_ensemble_basins_json(const asgd_problem *p, const double *final, uint64_t paths);

#endif /* ASGD_ENSEMBLE_JOB_H */
