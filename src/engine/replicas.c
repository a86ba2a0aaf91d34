/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * replicas.c — the real engine run R times from x0: moments over replicas, pooled staleness,
 * accounting that must add up. A stop is seen by the engine, between replicas, and while a
 * finished replica's rows are scored (asgd_observable_rows_stop).
 */
#include "asgd/replicas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/problem.h"
#include "core/stop_internal.h"

/* Trajectory rows: x_0 and every record_every-th iterate after it. */
static size_t rows(const asgd_engine_config *cfg)
{
	return (size_t)(cfg->iters / (cfg->record_every ? cfg->record_every : 1)) + 1;
}

static int totals_init(asgd_replicas *t, const asgd_engine_config *cfg,
		       const asgd_observable *obs)
{
	size_t dim = asgd_problem_dim(cfg->problem);

	memset(t, 0, sizeof(*t));
	t->x_last = calloc(dim, sizeof(double));
	if (!t->x_last ||
	    asgd_moments_init(&t->moments, rows(cfg), obs ? asgd_observable_dim(obs) : dim) ||
	    asgd_staleness_init(&t->staleness, cfg->workers) != ASGD_OK) {
		asgd_replicas_free(t);
		return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

/* One replica; only complete, finite replicas enter the moments. */
struct each {
	void (*fn)(void *arg, const double *traj, size_t steps, size_t dim);
	void *arg;
	const asgd_observable *obs;
};

static int run_one(asgd_engine_config *cfg, asgd_replicas *t, uint64_t r, double *work_sum,
		   double *cv_sum, uint64_t *work_runs, const struct each *each)
{
	asgd_engine_result res;
	int rc;

	cfg->replica = r;
	rc = asgd_engine_run(cfg, &res);
	if (rc != ASGD_OK)
		return rc;
	t->computed += res.computed;
	t->applied += res.applied;
	t->discarded += res.discarded;
	t->evaluations += res.evaluations;
	t->wall_s += res.wall_s;
	if (!isnan(res.work_mean_ns)) {
		*work_sum += res.work_mean_ns;
		*cv_sum += res.work_cv;
		(*work_runs)++;
	}
	rc = asgd_staleness_add_run(&t->staleness, res.tau, res.worker, res.applied);
	memcpy(t->x_last, res.x_final, asgd_problem_dim(cfg->problem) * sizeof(double));
	t->workers_left += res.workers_left;
	t->workers_lost += res.workers_lost;
	if (res.diverged)
		t->diverged = 1;
	else if (res.interrupted)
		t->interrupted = 1;
	else if (res.starved)
		t->starved = 1;
	else if (rc == ASGD_OK && each->obs &&
		 asgd_observable_rows_stop(each->obs, cfg->trajectory, rows(cfg), cfg->trajectory,
					   cfg->stop, NULL) == ASGD_EINTR) {
		t->interrupted = 1;	/* scored in part: not a replica of the moments */
		t->scoring_interrupted = 1;
	} else if (rc == ASGD_OK) {
		rc = asgd_moments_add_path(&t->moments, cfg->trajectory);
		t->replicas_done++;
		if (each->fn)
			each->fn(each->arg, cfg->trajectory, rows(cfg), t->moments.dim);
	}
	asgd_engine_result_free(&res);
	return rc;
}

int asgd_replicas_run(asgd_engine_config *cfg, uint64_t replicas,
		      void (*progress)(void *arg, uint64_t done, uint64_t total), void *arg,
		      asgd_replicas *out)
{
	return asgd_replicas_run_each(cfg, replicas, progress, arg, NULL, NULL, out);
}

int asgd_replicas_run_each(asgd_engine_config *cfg, uint64_t replicas,
			   void (*progress)(void *arg, uint64_t done, uint64_t total), void *arg,
			   void (*each_fn)(void *arg, const double *traj, size_t steps, size_t dim),
			   void *each_arg, asgd_replicas *out)
{
	return asgd_replicas_run_observed(cfg, replicas, NULL, progress, arg, each_fn, each_arg,
					  out);
}

int asgd_replicas_run_observed(asgd_engine_config *cfg, uint64_t replicas,
			       const asgd_observable *obs,
			       void (*progress)(void *arg, uint64_t done, uint64_t total),
			       void *arg,
			       void (*each_fn)(void *arg, const double *traj, size_t steps,
					       size_t dim),
			       void *each_arg, asgd_replicas *out)
{
	const struct each each = { each_fn, each_arg, obs };
	double work_sum = 0, cv_sum = 0, *traj;
	uint64_t work_runs = 0;
	int rc;

	if (!cfg || !out || !cfg->problem || replicas == 0)
		return ASGD_EINVAL;
	rc = totals_init(out, cfg, obs);
	if (rc)
		return rc;
	out->moments.stride = cfg->record_every ? cfg->record_every : 1;
	traj = malloc(rows(cfg) * asgd_problem_dim(cfg->problem) * sizeof(double));
	if (!traj) {
		asgd_replicas_free(out);
		return ASGD_ENOMEM;
	}
	cfg->trajectory = traj;
	for (uint64_t r = 0; r < replicas && !out->diverged && !out->interrupted && !out->starved;
	     r++) {
		if (r > 0 && asgd__stop_raised(cfg->stop)) {	/* the first one says it itself */
			out->interrupted = 1;
			break;
		}
		rc = run_one(cfg, out, r, &work_sum, &cv_sum, &work_runs, &each);
		if (rc != ASGD_OK)
			break;
		if (progress)
			progress(arg, r + 1, replicas);
	}
	cfg->trajectory = NULL;
	free(traj);
	if (rc != ASGD_OK) {
		asgd_replicas_free(out);
		return rc;
	}
	out->work_mean_ns = work_runs ? work_sum / (double)work_runs : NAN;
	out->work_cv = work_runs ? cv_sum / (double)work_runs : NAN;
	return ASGD_OK;
}

void asgd_replicas_free(asgd_replicas *r)
{
	if (!r)
		return;
	asgd_moments_free(&r->moments);
	asgd_staleness_free(&r->staleness);
	free(r->x_last);
	r->x_last = NULL;
}
