/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * run.c — the experiment behind `asgd run` (asgd/run.h): R replicas of the real engine, the fit
 * of their pooled staleness, a data model's scores of the last iterate (and of every replica's
 * on a test set), and summary.json.
 */
#include "asgd/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/mpi.h"
#include "asgd/problem.h"
#include "asgd/welford.h"
#include "asgd/work.h"

/* Trajectories of every replica are summed into moments, one replica's rows in memory at a time:
 * by default a row per update while that fits in TRAJ_BUDGET doubles, else evenly fewer. */
#define TRAJ_BUDGET ((uint64_t)1 << 24)

uint64_t asgd_run_default_stride(size_t dim, uint64_t iters)
{
	uint64_t S;

	for (S = 1; (iters / S + 1) * dim > TRAJ_BUDGET && S < iters; S *= 2)
		;
	return S < iters ? S : iters; /* x_0 and x_K: the fewest rows there are */
}

/* The rows whose scoring costs about a quarter of the engine's K updates. */
static uint64_t affordable_rows(const asgd_problem *p, uint64_t iters)
{
	const asgd_dataset *ds = asgd_problem_dataset(p);
	double per_row = (double)(ds->nnz + asgd_problem_dim(p));
	double rows = 0.25 * (double)iters * ASGD_RUN_UPDATE_NS / per_row;

	return (uint64_t)fmin(fmax(rows, ASGD_RUN_ROWS_MIN), ASGD_RUN_ROWS_MAX);
}

uint64_t asgd_run_default_stride_observed(const asgd_problem *p, const asgd_observable *obs,
					  uint64_t iters)
{
	uint64_t S = asgd_run_default_stride(asgd_problem_dim(p), iters), rows;

	if (!obs || obs->kind != ASGD_OBSERVE_LOSS || !asgd_problem_dataset(p))
		return S;
	rows = affordable_rows(p, iters);
	while (iters / S > rows && S < iters)
		S *= 2;
	return S < iters ? S : iters;
}

/*
 * Two passes over the data, cheap even after a stop (tens of milliseconds for rcv1). The optimum
 * is a Newton or normal-equations solve that can take seconds: it looks at the stop flag, and is
 * omitted when the flag is up.
 */
static void score_data(const asgd_engine_config *e, const double *x, asgd_run_data *ds)
{
	size_t d = asgd_problem_dim(e->problem);
	double *xs = malloc(d * sizeof(double));
	int rc = xs ? asgd_problem_minimizer_stop(e->problem, xs, e->stop) : ASGD_ENOMEM;

	ds->final_loss = asgd_problem_f(e->problem, x);
	ds->final_accuracy = asgd_problem_accuracy(e->problem, x);
	ds->optimum_loss = rc == ASGD_OK ? asgd_problem_f(e->problem, xs) : NAN;
	ds->optimum_omitted = rc == ASGD_EINTR;
	free(xs);
}

/* The observed loss at the last recorded update, over the replicas: what a user compares with
 * the optimum (one replica's last value is one draw of a noisy process). */
static void mean_final_loss(const asgd_run_config *cfg, const asgd_replicas *t, asgd_run_data *ds)
{
	asgd_moment_row row;

	ds->loss_mean = ds->loss_se = NAN;
	if (!cfg->observe || cfg->observe->kind != ASGD_OBSERVE_LOSS || t->replicas_done < 1 ||
	    asgd_moments_get(&t->moments, t->moments.steps - 1, 0, &row) != ASGD_OK)
		return;
	ds->loss_mean = row.mean;
	ds->loss_se = row.se_mean;
	ds->loss_at = (uint64_t)(t->moments.steps - 1) * t->moments.stride;
	ds->loss_replicas = t->replicas_done;
}

/* Each replica's model on the test and the training rows, as the replicas finish. */
struct held_out {
	const asgd_problem *p;
	const asgd_dataset *test;
	asgd_welford test_loss, test_acc, train_loss, train_acc;
};

static void score_replica(void *arg, const double *x, size_t dim)
{
	struct held_out *h = arg;
	double loss, acc;

	(void)dim;
	if (asgd_problem_data_eval(h->p, h->test, x, &loss, &acc) == ASGD_OK) {
		asgd_welford_add(&h->test_loss, loss);
		asgd_welford_add(&h->test_acc, acc);
	}
	if (asgd_problem_data_eval(h->p, asgd_problem_dataset(h->p), x, &loss, &acc) == ASGD_OK) {
		asgd_welford_add(&h->train_loss, loss);
		asgd_welford_add(&h->train_acc, acc);
	}
}

static void held_out_scores(const struct held_out *h, asgd_run_data *ds)
{
	ds->have_test = 1;
	ds->test_replicas = h->test_loss.n;
	ds->test_loss_mean = asgd_welford_mean(&h->test_loss);
	ds->test_loss_se = asgd_welford_se(&h->test_loss);
	ds->test_accuracy_mean = asgd_welford_mean(&h->test_acc);
	ds->test_accuracy_se = asgd_welford_se(&h->test_acc);
	ds->train_loss_mean = asgd_welford_mean(&h->train_loss);
	ds->train_loss_se = asgd_welford_se(&h->train_loss);
	ds->train_accuracy_mean = asgd_welford_mean(&h->train_acc);
	ds->train_accuracy_se = asgd_welford_se(&h->train_acc);
}

int asgd_run(const asgd_run_config *cfg, asgd_run_result *res)
{
	struct held_out held = { 0 };
	asgd_replicas_hooks hooks;
	asgd_engine_config e;
	int rc;

	if (!res)
		return ASGD_EINVAL;
	memset(res, 0, sizeof(*res));
	if (!cfg)
		return ASGD_EINVAL;
	e = cfg->engine; /* the replicas set its replica and trajectory fields */
	e.record_staleness = 1;
	hooks = (asgd_replicas_hooks){ .progress = cfg->progress, .progress_arg = cfg->progress_arg };
	if (cfg->test && asgd_problem_dataset(e.problem)) {
		held = (struct held_out){ .p = e.problem, .test = cfg->test };
		hooks.final = score_replica;
		hooks.final_arg = &held;
	}
	rc = asgd_replicas_run_hooked(&e, cfg->replicas, cfg->observe, &hooks, &res->replicas);
	if (rc != ASGD_OK) {
		res->engine_failed = 1;
		return rc;
	}
	/* After a stop the flag is still up: what follows is what stays cheap. */
	rc = asgd_staleness_summarize(&res->replicas.staleness, &res->staleness);
	if (rc == ASGD_ENOMEM) {
		asgd_replicas_free(&res->replicas);
		return rc;
	}
	res->have_staleness = rc == ASGD_OK;
	if (asgd_problem_dataset(e.problem)) {
		score_data(&e, res->replicas.x_last, &res->data);
		mean_final_loss(cfg, &res->replicas, &res->data);
		if (held.test)
			held_out_scores(&held, &res->data);
		res->have_data = 1;
	}
	return ASGD_OK;
}

void asgd_run_result_free(asgd_run_result *res)
{
	if (!res)
		return;
	if (res->have_staleness)
		asgd_staleness_summary_free(&res->staleness);
	asgd_replicas_free(&res->replicas);
	memset(res, 0, sizeof(*res));
}

/* Bytes per applied update, 0 when none was applied. */
static double per_update(uint64_t bytes, uint64_t applied)
{
	return applied ? (double)bytes / (double)applied : 0;
}

/* Where the ranks ran: each one's host, and how many distinct ones. */
static void add_hosts_json(cJSON *j, const asgd_run_config *cfg)
{
	cJSON *arr = cJSON_AddArrayToObject(j, "hosts");

	for (int r = 0; arr && r < cfg->mpi_ranks; r++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cfg->mpi_hosts +
							    (size_t)r * ASGD_MPI_HOST_LEN));
	cJSON_AddNumberToObject(j, "nodes", asgd_mpi_nodes(cfg->mpi_hosts, cfg->mpi_ranks));
}

/* S ≥ 2 servers: the layout, and per server its share and its own clock's staleness. */
static void add_shards_json(cJSON *j, const asgd_engine_config *e, const asgd_replicas *t)
{
	cJSON *arr = cJSON_AddArrayToObject(j, "shards");

	cJSON_AddStringToObject(j, "partition", asgd_partition_layout_name(e->mpi_partition));
	for (unsigned s = 0; arr && s < t->mpi_servers; s++) {
		const asgd_engine_shard *sh = &t->mpi_shard[s];
		cJSON *o = cJSON_CreateObject();
		double n = (double)sh->applied, mean = n > 0 ? sh->tau_sum / n : 0;

		cJSON_AddNumberToObject(o, "rank", s);
		cJSON_AddNumberToObject(o, "coords", (double)sh->coords);
		cJSON_AddNumberToObject(o, "applied", n);
		cJSON_AddNumberToObject(o, "coords_written", (double)sh->coords_written);
		cJSON_AddNumberToObject(o, "bytes_in", (double)sh->bytes_in);
		cJSON_AddNumberToObject(o, "bytes_out", (double)sh->bytes_out);
		cJSON_AddNumberToObject(o, "tau_mean", mean);
		cJSON_AddNumberToObject(o, "tau_sd",
					n > 1 ? sqrt(fmax(0, (sh->tau_sumsq - n * mean * mean) / (n - 1)))
					      : 0);
		cJSON_AddNumberToObject(o, "tau_max", (double)sh->tau_max);
		cJSON_AddItemToArray(arr, o);
	}
}

/* How the MPI run was set up (ranks, delays) and what its messages cost. */
static cJSON *mpi_json(const asgd_run_config *cfg, const asgd_replicas *t)
{
	const asgd_engine_config *e = &cfg->engine;
	cJSON *j = cJSON_CreateObject();
	char buf[64];

	cJSON_AddNumberToObject(j, "ranks", cfg->mpi_ranks);
	asgd_work_format(&e->net_delay, buf, sizeof(buf));
	cJSON_AddStringToObject(j, "net_delay", buf);
	if (e->slow_delay.kind != ASGD_WORK_NONE) {
		cJSON_AddNumberToObject(j, "straggler", e->slow_worker);
		asgd_work_format(&e->slow_delay, buf, sizeof(buf));
		cJSON_AddStringToObject(j, "straggler_delay", buf);
	}
	cJSON_AddNumberToObject(j, "timeout_s", e->mpi_timeout_s > 0 ? e->mpi_timeout_s : 30.0);
	cJSON_AddStringToObject(j, "messages", t->mpi_sparse ? "sparse" : "dense");
	cJSON_AddNumberToObject(j, "bytes_to_workers", (double)t->mpi_bytes_to_workers);
	cJSON_AddNumberToObject(j, "bytes_to_master", (double)t->mpi_bytes_to_master);
	cJSON_AddNumberToObject(j, "bytes_per_update_to_workers",
				per_update(t->mpi_bytes_to_workers, t->applied));
	cJSON_AddNumberToObject(j, "bytes_per_update_to_master",
				per_update(t->mpi_bytes_to_master, t->applied));
	cJSON_AddNumberToObject(j, "servers", t->mpi_servers ? t->mpi_servers : 1);
	cJSON_AddNumberToObject(j, "rank0_cpu_s", t->mpi_rank0_cpu_s);
	cJSON_AddNumberToObject(j, "rank0_cpu_us_per_update",
				t->applied ? 1e6 * t->mpi_rank0_cpu_s / (double)t->applied : 0);
	cJSON_AddNumberToObject(j, "rank0_service_us",
				t->mpi_service_n ? 1e6 * t->mpi_service_s / (double)t->mpi_service_n
						 : 0);
	if (cfg->mpi_hosts)
		add_hosts_json(j, cfg);
	if (t->mpi_shard)
		add_shards_json(j, e, t);
	return j;
}

/* A data model's fit: the last replica's final loss and accuracy, beside the optimum when the
 * problem knows it (Newton or the normal equations, computed independently of any SGD). */
static cJSON *data_json(const asgd_problem *p, const asgd_run_data *sc)
{
	const asgd_dataset *ds = asgd_problem_dataset(p);
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "source", ds->source);
	cJSON_AddNumberToObject(j, "rows", (double)ds->rows);
	cJSON_AddNumberToObject(j, "features", (double)ds->cols);
	cJSON_AddNumberToObject(j, "nnz", (double)ds->nnz);
	cJSON_AddNumberToObject(j, "final_loss", sc->final_loss);
	if (!isnan(sc->final_accuracy))
		cJSON_AddNumberToObject(j, "final_accuracy", sc->final_accuracy);
	if (!isnan(sc->optimum_loss))
		cJSON_AddNumberToObject(j, "optimum_loss", sc->optimum_loss);
	else
		cJSON_AddNullToObject(j, "optimum_loss");
	if (!isnan(sc->loss_mean)) {
		cJSON_AddNumberToObject(j, "final_loss_mean", sc->loss_mean);
		if (!isnan(sc->loss_se))
			cJSON_AddNumberToObject(j, "final_loss_se", sc->loss_se);
		cJSON_AddNumberToObject(j, "final_loss_at", (double)sc->loss_at);
		cJSON_AddNumberToObject(j, "final_loss_replicas", (double)sc->loss_replicas);
		if (!isnan(sc->optimum_loss) && sc->optimum_loss > 0)
			cJSON_AddNumberToObject(j, "relative_gap",
						(sc->loss_mean - sc->optimum_loss) / sc->optimum_loss);
	}
	return j;
}

static void add_mean_se(cJSON *j, const char *key, double mean, double se)
{
	char name[64];

	if (isnan(mean))
		return;
	snprintf(name, sizeof(name), "%s_mean", key);
	cJSON_AddNumberToObject(j, name, mean);
	snprintf(name, sizeof(name), "%s_se", key);
	if (isnan(se))
		cJSON_AddNullToObject(j, name);
	else
		cJSON_AddNumberToObject(j, name, se);
}

/* The held-out scores beside the same scores on the training rows, over the replicas. */
static void add_test_json(cJSON *j, const asgd_dataset *test, const asgd_run_data *sc)
{
	cJSON_AddStringToObject(j, "test_source", test->source);
	cJSON_AddNumberToObject(j, "test_rows", (double)test->rows);
	cJSON_AddNumberToObject(j, "test_replicas", (double)sc->test_replicas);
	add_mean_se(j, "test_loss", sc->test_loss_mean, sc->test_loss_se);
	add_mean_se(j, "test_accuracy", sc->test_accuracy_mean, sc->test_accuracy_se);
	add_mean_se(j, "train_loss", sc->train_loss_mean, sc->train_loss_se);
	add_mean_se(j, "train_accuracy", sc->train_accuracy_mean, sc->train_accuracy_se);
}

/* "omitted": what a stop kept out of the summary (docs/DESIGN.md, "Stopping"), [] when nothing. */
static cJSON *omitted_json(const asgd_run_result *res)
{
	cJSON *a = cJSON_CreateArray();

	if (res->replicas.scoring_interrupted)
		cJSON_AddItemToArray(a, cJSON_CreateString("replica_scoring"));
	if (res->have_data && res->data.optimum_omitted)
		cJSON_AddItemToArray(a, cJSON_CreateString("data.optimum_loss"));
	return a;
}

cJSON *asgd_run_result_json(const asgd_run_config *cfg, const asgd_run_result *res, int argc,
			    char **argv)
{
	cJSON *root, *omitted;

	if (!cfg || !res)
		return NULL;
	root = asgd_replicas_summary_json("run", argc, argv, cfg->label, &cfg->engine,
					  cfg->replicas, &res->replicas,
					  res->have_staleness ? &res->staleness : NULL);
	if (!root)
		return NULL;
	omitted = omitted_json(res);
	cJSON_AddStringToObject(root, "observe", cfg->observe ? cfg->observe->spec : "x");
	cJSON_AddStringToObject(root, "fault", cfg->fault ? cfg->fault : "none");
	if (cfg->mpi_ranks > 0)
		cJSON_AddItemToObject(root, "mpi", mpi_json(cfg, &res->replicas));
	if (res->have_data) {
		cJSON *data = data_json(cfg->engine.problem, &res->data);

		if (res->data.have_test)
			add_test_json(data, cfg->test, &res->data);
		cJSON_AddItemToObject(root, "data", data);
	}
	if (cJSON_GetArraySize(omitted) > 0) /* something is missing: the outputs are partial */
		cJSON_ReplaceItemInObject(root, "partial", cJSON_CreateTrue());
	cJSON_AddItemToObject(root, "omitted", omitted);
	return root;
}
