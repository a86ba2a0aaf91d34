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
#include "asgd/report.h"
#include "asgd/work.h"
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
	void (*final)(void *arg, const double *x, size_t dim);
	void *final_arg;
};

/* The servers' tallies of one replica into the run's (MPI with S ≥ 2). */
static int add_shards(asgd_replicas *t, const asgd_engine_result *res)
{
	if (!res->mpi_shard)
		return ASGD_OK;
	if (!t->mpi_shard && !(t->mpi_shard = calloc(res->mpi_servers, sizeof(*t->mpi_shard))))
		return ASGD_ENOMEM;
	t->mpi_servers = res->mpi_servers;
	for (unsigned s = 0; s < res->mpi_servers; s++) {
		asgd_engine_shard *a = &t->mpi_shard[s];
		const asgd_engine_shard *b = &res->mpi_shard[s];

		a->coords = b->coords;
		a->applied += b->applied;
		a->coords_written += b->coords_written;
		a->bytes_in += b->bytes_in;
		a->bytes_out += b->bytes_out;
		a->tau_sum += b->tau_sum;
		a->tau_sumsq += b->tau_sumsq;
		a->tau_max = b->tau_max > a->tau_max ? b->tau_max : a->tau_max;
	}
	return ASGD_OK;
}

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
	for (uint64_t k = 0; res.tau_timestamp && k < res.applied; k++)
		t->clock_agreed += res.tau[k] == res.tau_timestamp[k];
	t->clock_compared += res.tau_timestamp ? res.applied : 0;
	memcpy(t->x_last, res.x_final, asgd_problem_dim(cfg->problem) * sizeof(double));
	t->workers_left += res.workers_left;
	t->workers_lost += res.workers_lost;
	t->mpi_bytes_to_workers += res.mpi_bytes_to_workers;
	t->mpi_bytes_to_master += res.mpi_bytes_to_master;
	t->mpi_sparse |= res.mpi_sparse;
	t->mpi_servers = res.mpi_servers;
	t->mpi_rank0_cpu_s += res.mpi_rank0_cpu_s;
	t->mpi_service_s += res.mpi_service_s;
	t->mpi_service_n += res.mpi_service_n;
	if (add_shards(t, &res) != ASGD_OK)
		rc = ASGD_ENOMEM;
	t->ssp_held += res.ssp_held;
	t->ssp_held_versions += res.ssp_held_versions;
	t->ssp_reads_delayed += res.ssp_reads_delayed;
	t->ssp_read_wait_versions += res.ssp_read_wait_versions;
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
		if (each->final)
			each->final(each->final_arg, res.x_final, asgd_problem_dim(cfg->problem));
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
	const asgd_replicas_hooks h = { progress, arg, each_fn, each_arg, NULL, NULL };

	return asgd_replicas_run_hooked(cfg, replicas, obs, &h, out);
}

int asgd_replicas_run_hooked(asgd_engine_config *cfg, uint64_t replicas,
			     const asgd_observable *obs, const asgd_replicas_hooks *hooks,
			     asgd_replicas *out)
{
	const asgd_replicas_hooks none = { 0 }, *h = hooks ? hooks : &none;
	const struct each each = { h->each, h->each_arg, obs, h->final, h->final_arg };
	double work_sum = 0, cv_sum = 0, *traj;
	uint64_t work_runs = 0;
	asgd_sysload_sample load0, load1;
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
	asgd_sysload_read(&load0);
	for (uint64_t r = 0; r < replicas && !out->diverged && !out->interrupted && !out->starved;
	     r++) {
		if (r > 0 && asgd__stop_raised(cfg->stop)) {	/* the first one says it itself */
			out->interrupted = 1;
			break;
		}
		rc = run_one(cfg, out, r, &work_sum, &cv_sum, &work_runs, &each);
		if (rc != ASGD_OK)
			break;
		if (h->progress)
			h->progress(h->progress_arg, r + 1, replicas);
	}
	asgd_sysload_read(&load1);
	asgd_sysload_between(&load0, &load1, &out->sysload);
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
	free(r->mpi_shard);
	r->x_last = NULL;
	r->mpi_shard = NULL;
}

/* ---- outputs ---- */

static void add_engine_settings(cJSON *j, const char *preset, const asgd_engine_config *cfg,
				uint64_t requested)
{
	char work[64];

	asgd_work_format(&cfg->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", preset);
	cJSON_AddStringToObject(j, "problem", asgd_problem_spec(cfg->problem));
	cJSON_AddStringToObject(j, "mode", asgd_engine_mode_name(cfg->mode));
	if (cfg->mode == ASGD_ENGINE_HOGWILD) {
		cJSON_AddStringToObject(j, "hogwild_write", asgd_hogwild_write_name(cfg->hogwild_write));
		cJSON_AddStringToObject(j, "hogwild_clock",
					asgd_hogwild_clock_name(asgd_hogwild_clock_resolve(cfg)));
	}
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(cfg->problem));
	cJSON_AddNumberToObject(j, "workers", cfg->workers);
	cJSON_AddNumberToObject(j, "iterations", (double)cfg->iters);
	cJSON_AddNumberToObject(j, "eta", cfg->eta);
	cJSON_AddNumberToObject(j, "eta_decay", cfg->eta_decay > 0 ? cfg->eta_decay : 1);
	cJSON_AddStringToObject(j, "sampling", asgd_sampling_name(cfg->sampling));
	cJSON_AddStringToObject(j, "precision", asgd_precision_name(cfg->precision));
	cJSON_AddBoolToObject(j, "pin", cfg->pin);
	cJSON_AddNumberToObject(j, "shards", cfg->shards > 1 ? cfg->shards : 1);
	if (cfg->max_staleness)
		cJSON_AddNumberToObject(j, "max_staleness", (double)cfg->max_staleness);
	else
		cJSON_AddNullToObject(j, "max_staleness");
	cJSON_AddNumberToObject(j, "momentum", cfg->momentum);
	cJSON_AddNumberToObject(j, "batch", cfg->batch ? cfg->batch : 1);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)requested);
	cJSON_AddNumberToObject(j, "seed", (double)cfg->seed);
}

/* Each worker's applied updates and its rate over the engine time: who kept up. */
static void add_worker_throughput(cJSON *thr, const asgd_replicas *t)
{
	cJSON *a;

	if (!t->staleness.workers || !t->staleness.worker_count)
		return;
	a = cJSON_AddArrayToObject(thr, "workers");
	for (unsigned w = 0; a && w < t->staleness.workers; w++) {
		cJSON *o = cJSON_CreateObject();
		double n = (double)t->staleness.worker_count[w];

		cJSON_AddNumberToObject(o, "worker", w);
		cJSON_AddNumberToObject(o, "updates", n);
		cJSON_AddNumberToObject(o, "updates_per_s", t->wall_s > 0 ? n / t->wall_s : 0);
		cJSON_AddItemToArray(a, o);
	}
}

/* Under a staleness bound, what it cost: held gradients and delayed reads; null without one. */
static void add_held(cJSON *root, const asgd_engine_config *cfg, const asgd_replicas *t)
{
	cJSON *h;

	if (!cfg->max_staleness) {
		cJSON_AddNullToObject(root, "held");
		return;
	}
	h = cJSON_AddObjectToObject(root, "held");
	cJSON_AddNumberToObject(h, "gradients", (double)t->ssp_held);
	cJSON_AddNumberToObject(h, "versions", (double)t->ssp_held_versions);
	cJSON_AddNumberToObject(h, "reads_delayed", (double)t->ssp_reads_delayed);
	cJSON_AddNumberToObject(h, "read_wait_versions", (double)t->ssp_read_wait_versions);
}

/* The staleness object, with the truncated law's fit beside the geometric's under a bound. */
static cJSON *staleness_json(const asgd_engine_config *cfg, const asgd_staleness_summary *sum)
{
	cJSON *j = asgd_staleness_summary_json(sum);
	asgd_staleness_truncated tr;

	if (!j || !cfg->max_staleness)
		return j;
	if (asgd_staleness_fit_truncated(sum, cfg->max_staleness, &tr) == ASGD_OK)
		cJSON_AddItemToObject(j, "truncated", asgd_staleness_truncated_json(&tr));
	else /* a τ above the bound: the engine broke its contract, and the output says so */
		cJSON_AddNullToObject(j, "truncated");
	return j;
}

static void add_engine_measures(cJSON *root, const asgd_engine_config *cfg,
				const asgd_replicas *t)
{
	cJSON *acc, *thr, *work;

	acc = cJSON_AddObjectToObject(root, "accounting");
	cJSON_AddNumberToObject(acc, "computed", (double)t->computed);
	cJSON_AddNumberToObject(acc, "applied", (double)t->applied);
	cJSON_AddNumberToObject(acc, "discarded", (double)t->discarded);
	thr = cJSON_AddObjectToObject(root, "throughput");
	cJSON_AddNumberToObject(thr, "updates_per_s", t->wall_s > 0 ? t->applied / t->wall_s : 0);
	cJSON_AddNumberToObject(thr, "wall_s", t->wall_s);
	add_worker_throughput(thr, t);
	if (t->clock_compared) {
		cJSON *c = cJSON_AddObjectToObject(root, "hogwild_clock_agreement");

		cJSON_AddNumberToObject(c, "compared", (double)t->clock_compared);
		cJSON_AddNumberToObject(c, "agreed", (double)t->clock_agreed);
		cJSON_AddNumberToObject(c, "fraction",
					(double)t->clock_agreed / (double)t->clock_compared);
	}
	add_held(root, cfg, t);
	work = cJSON_AddObjectToObject(root, "work_realised");
	if (!isnan(t->work_mean_ns)) {
		cJSON_AddNumberToObject(work, "mean_ns", t->work_mean_ns);
		cJSON_AddNumberToObject(work, "cv", t->work_cv);
	}
	cJSON_AddNumberToObject(work, "requested_mean_ns", asgd_work_mean_ns(&cfg->work));
	if (!isnan(asgd_work_cv(&cfg->work)))
		cJSON_AddNumberToObject(work, "requested_cv", asgd_work_cv(&cfg->work));
	cJSON_AddStringToObject(work, "spent", cfg->work.spin ? "busy" : "asleep");
	if (!isnan(t->work_mean_ns))
		cJSON_AddBoolToObject(work, "off_request",
				      asgd_work_fidelity(&cfg->work, t->work_mean_ns, t->work_cv) != 0);
	cJSON_AddItemToObject(root, "sysload", asgd_sysload_json(&t->sysload));
}

cJSON *asgd_replicas_summary_json(const char *cmd, int argc, char **argv, const char *preset,
				 const asgd_engine_config *cfg, uint64_t requested,
				 const asgd_replicas *t, const asgd_staleness_summary *sum)
{
	cJSON *root = cJSON_CreateObject();

	add_engine_settings(root, preset, cfg, requested);
	cJSON_AddStringToObject(root, "command", cmd);
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	cJSON_AddNumberToObject(root, "replicas", (double)t->replicas_done);
	cJSON_AddBoolToObject(root, "diverged", t->diverged);
	cJSON_AddBoolToObject(root, "partial", t->interrupted || t->starved);
	cJSON_AddBoolToObject(root, "starved", t->starved);
	cJSON_AddNumberToObject(root, "workers_left", (double)t->workers_left);
	cJSON_AddNumberToObject(root, "workers_lost", (double)t->workers_lost);
	if (sum)
		cJSON_AddItemToObject(root, "staleness", staleness_json(cfg, sum));
	else
		cJSON_AddNullToObject(root, "staleness");
	add_engine_measures(root, cfg, t);
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return root;
}

int asgd_replicas_write_tables(const char *dir, const asgd_replicas *t,
			       const asgd_staleness_summary *sum, double dt)
{
	char path[4096];
	int rc = ASGD_OK;

	if (t->replicas_done >= 1) {
		rc = asgd_report_path(path, sizeof(path), dir, "moments.csv");
		if (rc == ASGD_OK)
			rc = asgd_moments_write_csv(&t->moments, path, dt);
	}
	if (rc == ASGD_OK && sum) {
		rc = asgd_report_path(path, sizeof(path), dir, "staleness.csv");
		if (rc == ASGD_OK)
			rc = asgd_staleness_write_csv(path, sum);
	}
	return rc;
}
