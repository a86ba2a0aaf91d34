/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/run.h — the experiment behind `asgd run`: R replicas of the real engine on one problem,
 * their pooled staleness fit and, for a data model, how well the last replica fits the data.
 *
 * Each replica is one engine run from x0; their trajectories give the moments over replicas (of
 * an observable of x_k), their staleness sequences are pooled into one geometric fit. For a model
 * on a data set, the last replica's final iterate is scored (loss, accuracy) beside the optimum
 * where the problem knows it. A raised stop flag ends the current replica, or the scoring of its
 * rows, or the solve for the optimum; what was measured so far stays in the result, and
 * asgd_run_result_json() says what the stop left out ("omitted").
 *
 * The module writes no file and prints nothing: asgd_run_result_json() builds summary.json and
 * asgd_replicas_write_tables() writes moments.csv and staleness.csv. No global state.
 */
#ifndef ASGD_RUN_H
#define ASGD_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/engine.h"
#include "asgd/observe.h"
#include "asgd/replicas.h"
#include "asgd/staleness.h"

/* The most values one recorded trajectory may hold: (iters/S + 1)·dim ≤ 2^27 (1 GiB). */
#define ASGD_RUN_MAX_RECORDED ((uint64_t)1 << 27)

/* What one run does. */
typedef struct asgd_run_config {
	asgd_engine_config engine;	/* the engine's settings, record_every included; its stop
					   flag also ends the scoring and the optimum's solve */
	uint64_t replicas;		/* independent runs from x0, ≥ 1 */
	const asgd_observable *observe;	/* the moments are of this observable of x_k (NULL: x_k) */
	const char *label;		/* the problem's name in the summary ("fig4", "logistic on
					   heart_scale") */
	const char *fault;		/* the fault injected, as its spec was given (NULL: none) */
	const struct asgd_dataset *test; /* NULL, or held-out rows that every replica's final
					   iterate is scored on (a data model only; the training
					   set's columns, scaled as it was) */
	int mpi_ranks;			/* the MPI job's ranks when engine.mode is MPI (the summary's
					   "mpi" object); 0 otherwise */
	const char *mpi_hosts;		/* NULL, or mpi_ranks host names, rank r's at
					   r·ASGD_MPI_HOST_LEN (asgd_mpi_hosts) */
	/* NULL, or called after each replica with (@progress_arg, done, total) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
} asgd_run_config;

/* A data model's scores of the last replica's final iterate. */
typedef struct asgd_run_data {
	double final_loss;
	double final_accuracy;		/* NAN: not a classifier */
	double optimum_loss;		/* f at the optimum; NAN: not known, or omitted */
	int optimum_omitted;		/* the stop flag kept the optimum from being computed */
	/* With the loss observed (the data models' default): its mean over the complete replicas
	 * at the last recorded update, with the mean's standard error (NAN: not observed, or
	 * fewer than 2 replicas for the SE) */
	double loss_mean, loss_se;
	uint64_t loss_at;		/* that update, k */
	uint64_t loss_replicas;		/* the replicas it averages */
	/* With a test set (cfg->test): every complete replica's final iterate scored by
	 * asgd_problem_data_eval — the mean loss WITHOUT the regulariser, and the accuracy (NAN
	 * for least squares) — on the test rows and, to compare, on the training rows: the means
	 * over those replicas and their standard errors (NAN below 2 replicas) */
	int have_test;
	uint64_t test_replicas;
	double test_loss_mean, test_loss_se, test_accuracy_mean, test_accuracy_se;
	double train_loss_mean, train_loss_se, train_accuracy_mean, train_accuracy_se;
} asgd_run_data;

/* What a run measured. */
typedef struct asgd_run_result {
	asgd_replicas replicas;		/* the replicas pooled */
	int have_staleness;		/* @staleness is filled (some gradient was applied) */
	asgd_staleness_summary staleness; /* the fit of the pooled staleness */
	int have_data;			/* the problem is a model on data: @data is filled */
	asgd_run_data data;
	int engine_failed;		/* on an error return: it came from running the replicas (the
					   engine), not from fitting their staleness (out of memory) */
} asgd_run_result;

/*
 * asgd_run_default_stride - the default record_every S for @iters updates of a problem of @dim
 * values: 1 while a replica's trajectory (iters/S + 1 rows) fits in 2^24 values (128 MiB), else
 * the smallest power of 2 that makes it fit, at most @iters (then only x_0 and x_K are kept).
 */
uint64_t asgd_run_default_stride(size_t dim, uint64_t iters);

/*
 * asgd_run_default_stride_observed - the default record_every when each recorded row is scored by
 * @obs (NULL: as asgd_run_default_stride). Scoring the loss of a data model costs a pass over
 * the data per row, which at a row per update would cost n times the run itself (165 s for
 * digits at 100 epochs); so the rows are limited to what costs about a quarter of the engine's
 * time, taking an update as ASGD_RUN_UPDATE_NS and a scored entry as 1 ns, between
 * ASGD_RUN_ROWS_MIN and ASGD_RUN_ROWS_MAX rows. The stride is a power of 2, so the last row
 * recorded is the last multiple of S up to K.
 */
#define ASGD_RUN_UPDATE_NS 300.0
#define ASGD_RUN_ROWS_MIN 16
#define ASGD_RUN_ROWS_MAX 1024
uint64_t asgd_run_default_stride_observed(const asgd_problem *p, const asgd_observable *obs,
					  uint64_t iters);

/*
 * asgd_run - run @cfg's replicas (asgd_replicas_run_observed, staleness recorded), fit their
 * pooled staleness, and score the last replica's final iterate when the problem is a data model.
 * After a stop, the fit and the two passes of the scores are still made (they are cheap); only
 * the optimum's solve is left out. A stop is not an error: see res->replicas.interrupted.
 * Returns 0; ASGD_EINVAL for NULL arguments or zero replicas; ASGD_ENOMEM; or the engine's error
 * (res->engine_failed tells an error of the replicas' run from one of the staleness fit). On
 * success free @res with asgd_run_result_free(); on failure it holds nothing but that flag.
 */
int asgd_run(const asgd_run_config *cfg, asgd_run_result *res);

/* asgd_run_result_free - release what @res holds; NULL is a no-op. */
void asgd_run_result_free(asgd_run_result *res);

/*
 * asgd_run_result_json - summary.json of @res, as `asgd run` ran it (@argc, @argv: its command
 * line, argv[0] the subcommand): asgd_replicas_summary_json's members, then "observe", "fault",
 * "mpi" (ranks, net_delay, the straggler if any, timeout_s; only when cfg->mpi_ranks > 0),
 * "data" (source, rows, features, nnz, final_loss, final_accuracy for a classifier, optimum_loss
 * or null; with a test set test_source, test_rows, test_replicas, test_loss_mean/_se,
 * train_loss_mean/_se and, for a classifier, test_accuracy_mean/_se and
 * train_accuracy_mean/_se; only for a data model) and "omitted": what a stop left out, [] when nothing —
 * "replica_scoring" (the last replica ran to its end, and is in the accounting and the staleness,
 * but not in "replicas" nor in the moments) and "data.optimum_loss"; "partial" is true when it
 * is not empty. The caller owns the result (cJSON_Delete); NULL when out of memory.
 */
cJSON *asgd_run_result_json(const asgd_run_config *cfg, const asgd_run_result *res, int argc,
			    char **argv);

#endif /* ASGD_RUN_H */
