/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_run.c — `asgd run`: the threaded engine on a preset, R independent replicas.
 *
 * Each replica is one engine run from x0; their trajectories give the moments over replicas
 * (moments.csv), their staleness sequences are pooled into one fit (staleness.csv and the
 * `staleness` object of summary.json). SIGINT or SIGTERM stops the current replica, or the
 * scoring of its recorded rows; what was measured so far is written, marked "partial" (and what
 * the stop left out is listed in "omitted"), and the command exits 130. The experiment is the
 * library's (asgd/run.h): this file parses the flags into its config, runs it on the only
 * process or on MPI rank 0 (the other ranks serve as workers), and writes and prints its result.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/modelfile.h"
#include "asgd/parse.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "asgd/run.h"
#include "asgd/work.h"
#include "cli.h"

static const char *const CMD = "run";

/* The largest mini-batch the data defaults may choose (asgd_data_defaults_of): enough for an
 * ill-conditioned set such as digits to reach its noise floor within the default run. */
#define RUN_DATA_MAX_BATCH 64

struct run_opts {
	const char *preset, *out, *fault_spec;
	const char *save_model;		/* --save-model FILE: the last replica's final weights */
	const char *loss_sample;	/* --loss-sample N: MPI on data, the server's sample */
	int workers_given;
	struct cli_mpi mpi;
	struct cli_problem cp;
	asgd_problem *problem;
	asgd_engine_config cfg;
	uint64_t replicas;
	int quiet;
};

static const struct cli_command COMMAND = {
	.name = "run",
	.about = "Run the real threaded ASGD engine (one master, M workers, each with one gradient "
		 "in flight) on a preset, measure the staleness of every applied gradient, fit the "
		 "geometric model P(tau=l) = (1-mu) mu^l, and write the moments over replicas.",
	.epilogue = "outputs in DIR: summary.json, moments.csv (k,t,mean,second_moment,var,se_mean,\n"
		    "se_second over replicas, of the --observe quantity), staleness.csv\n"
		    "(l,count,pmf,geometric_pmf); with --save-model FILE, FILE.\n"
		    "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted.\n",
};

static void record_stride(struct run_opts *o, const char *every)
{
	uint64_t dim = asgd_problem_dim(o->problem), K = o->cfg.iters, S;

	S = every ? cli_u64_range(CMD, "--record-every", every, 1, K)
		  : asgd_run_default_stride_observed(o->problem, &o->cp.obs, K);
	if ((K / S + 1) * dim > ASGD_RUN_MAX_RECORDED)
		cli_usage_error(CMD, "dimension %llu is too large to record: with --iters %llu and "
				"--record-every %llu a trajectory needs %llu values; allowed: "
				"(iters/S+1)*dim <= 2^27", (unsigned long long)dim,
				(unsigned long long)K, (unsigned long long)S,
				(unsigned long long)((K / S + 1) * dim));
	o->cfg.record_every = S;
}

/* --mpi-timeout DUR, positive, in seconds into *@dst. */
static void take_mpi_timeout(const char *cmd, void *dst, const char *arg)
{
	double ns;

	if (asgd_parse_duration_ns(arg, &ns) != ASGD_OK || ns <= 0)
		cli_usage_error(cmd, "--mpi-timeout '%s' is not allowed: a positive duration such "
				"as 10s or 500ms", arg);
	*(double *)dst = ns * 1e-9;
}

/* --straggler W:SPEC: worker W's messages are delayed by SPEC instead of --net-delay. */
static void take_straggler(const char *cmd, void *dst, const char *arg)
{
	asgd_engine_config *cfg = dst;
	const char *colon = strchr(arg, ':');
	char id[32];

	if (!colon || (size_t)(colon - arg) >= sizeof(id))
		cli_usage_error(cmd, "--straggler '%s' is not allowed: WORKER:DELAY, e.g. "
				"0:exp:1ms", arg);
	snprintf(id, sizeof(id), "%.*s", (int)(colon - arg), arg);
	cfg->slow_worker = (int)cli_u64_range(cmd, "--straggler", id, 0, ASGD_MAX_WORKERS - 1);
	cli_work_option(cmd, "--straggler", colon + 1, &cfg->slow_delay);
}

static void take_net_delay(const char *cmd, void *dst, const char *arg)
{
	cli_work_option(cmd, "--net-delay", arg, dst);
}

static void take_fault(const char *cmd, void *dst, const char *arg)
{
	struct run_opts *o = dst;
	char err[256];

	if (asgd_engine_fault_parse(arg, &o->cfg.fault, err, sizeof(err)))
		cli_usage_error(cmd, "--fault: %s", err);
	o->fault_spec = arg;
}

static void take_sampling(const char *cmd, void *dst, const char *arg)
{
	if (asgd_sampling_parse(arg, dst) != ASGD_OK)
		cli_usage_error(cmd, "--sampling '%s' is unknown: allowed uniform, shuffle", arg);
}

static void take_hogwild_write(const char *cmd, void *dst, const char *arg)
{
	if (asgd_hogwild_write_parse(arg, dst) != ASGD_OK)
		cli_usage_error(cmd, "--hogwild-write '%s' is unknown: allowed racy, cas", arg);
}

static void take_hogwild_clock(const char *cmd, void *dst, const char *arg)
{
	if (asgd_hogwild_clock_parse(arg, dst) != ASGD_OK)
		cli_usage_error(cmd, "--hogwild-clock '%s' is unknown: allowed auto, counter, "
				"timestamp, both", arg);
}

static void take_precision(const char *cmd, void *dst, const char *arg)
{
	if (asgd_precision_parse(arg, dst) != ASGD_OK)
		cli_usage_error(cmd, "--precision '%s' is unknown: allowed f64, f32", arg);
}

/* f32 is a property of the live vector of a data model (asgd/engine.h): say which half of that
 * a run lacks, in the flags' words, before the engine's own check does in its words. */
static void check_precision(const struct run_opts *o)
{
	if (o->cfg.precision != ASGD_PRECISION_F32)
		return;
	if (!o->cp.ds)
		cli_usage_error(CMD, "--precision f32 is for models on data (--model with --data), "
				"not --preset %s: allowed f64", o->preset);
	if (o->cfg.mode != ASGD_ENGINE_HOGWILD && o->cfg.mode != ASGD_ENGINE_COMBINING &&
	    o->cfg.mode != ASGD_ENGINE_MASTER_INPLACE)
		cli_usage_error(CMD, "--precision f32 is not allowed with --mode %s: allowed "
				"with hogwild, combining and master-inplace (f64 with every mode)",
				asgd_engine_mode_name(o->cfg.mode));
}

/* --save-model FILE: on data, and writable, before any work (a run of hours should not end in
 * a directory that does not exist). */
static void check_save_model(const struct run_opts *o)
{
	asgd_atomic_file af;

	if (!o->save_model)
		return;
	if (!o->cp.ds)
		cli_usage_error(CMD, "--save-model '%s' needs a model on data (--loss LOSS --data "
				"SPEC): a preset has no weights to keep", o->save_model);
	if (asgd_atomic_open(&af, o->save_model) != ASGD_OK)
		cli_usage_error(CMD, "--save-model '%s' cannot be written: %s", o->save_model,
				strerror(errno));
	asgd_atomic_abort(&af);
}

static void parse_args(int argc, char **argv, struct run_opts *o)
{
	const char *iters = NULL, *eta = NULL, *batch = NULL, *every = NULL;
	const char *const preset_s = "the problem's";
	struct cli_engine_flags eng;
	struct cli_output_flags out;
	const struct cli_flag own[] = {
		CLI_TEXT("iters", "K", &iters, preset_s, "updates per replica"),
		CLI_TEXT("eta", "ETA", &eta, preset_s, "step size > 0"),
		CLI_REAL("momentum", "BETA", &o->cfg.momentum, nextafter(-1, 0), nextafter(1, 0),
			 "a number in (-1, 1)", "explicit momentum at the master, in (-1,1); a "
			 "negative BETA cancels some of the momentum that asynchrony adds (Mitliagkas "
			 "et al.; see 'asgd advise')"),
		CLI_TEXT("batch", "B", &batch, "1; on data, more where the default horizon needs "
			 "it (docs/MODELS.md section 7)",
			 "components per gradient, without replacement"),
		CLI_CALL("fault", "SPEC", take_fault, o, NULL, "inject a fault in every replica: "
			 "stall:W:N:DUR (worker W sleeps DUR after computing N gradients) or "
			 "leave:W:N (it fails and leaves); when all leave the run ends, partial"),
		CLI_CALL("sampling", "HOW", take_sampling, &o->cfg.sampling, "uniform",
			 "how workers pick rows: uniform (with replacement, as the paper's SGD) or "
			 "shuffle (epochs: each worker visits its shard of the rows in a fresh order "
			 "each pass)"),
		{ "eta-decay", "F", "multiply the step size by F after each epoch of n updates, F "
		  "in (0, 1]", CLI_FLAG_REAL, &o->cfg.eta_decay, .lo = 0x1p-1074, .hi = 1,
		  .allowed = "a number in (0, 1]", .dflt = "1: none" },
		CLI_SWITCH("pin", &o->cfg.pin, "pin threads to CPUs round-robin: the master to the "
			   "first, worker i to the (i+1)-th (in hogwild, worker i to the i-th)"),
		CLI_MAX_STALENESS(&o->cfg.max_staleness),
		CLI_UINT("shards", "S", &o->cfg.shards, 1, ASGD_MAX_SHARDS, "master mode: split "
			 "each update's apply over the master and S-1 applier threads, each owning a "
			 "block of coordinates (at most d), for a large d on many cores, where one "
			 "thread applying O(d) per update is the ceiling; an update writes the same "
			 "bits for any S"),
		CLI_CALL("hogwild-write", "HOW", take_hogwild_write, &o->cfg.hogwild_write, "racy",
			 "hogwild: how a worker adds to a coordinate: racy (a load and a store, as "
			 "Hogwild; a concurrent addition may be lost) or cas (compare-and-swap: none "
			 "is)"),
		CLI_CALL("hogwild-clock", "CLOCK", take_hogwild_clock, &o->cfg.hogwild_clock, "auto",
			 "hogwild: how tau is measured: timestamp (each worker stamps its reads and "
			 "writes; merged after the run: nothing shared per update), counter (one "
			 "counter every update increments), both (the counter's tau, and how often "
			 "the two agree, in summary.json), auto (timestamp unless a batch schedule "
			 "needs the counter)"),
		CLI_CALL("precision", "P", take_precision, &o->cfg.precision, "f64",
			 "the shared vector's storage: f64, or f32 (float, 4 bytes a coordinate; "
			 "data models in hogwild, combining and master-inplace modes; gradients are "
			 "still computed in double)"),
		CLI_NOTE("mode", "mpi", "under 'mpirun -np N': ranks 0..S-1 are the parameter "
			 "servers (--servers, 1 by default: rank 0, the master), ranks S..N-1 the "
			 "workers (--workers is N-S); see also:"),
		CLI_CALL("net-delay", "SPEC", take_net_delay, &o->cfg.net_delay, "none",
			 "MPI: delay per gradient message, as --work"),
		CLI_CALL("straggler", "W:SPEC", take_straggler, &o->cfg, NULL,
			 "MPI: worker W's messages are delayed by SPEC instead"),
		CLI_CALL("mpi-timeout", "DUR", take_mpi_timeout, &o->cfg.mpi_timeout_s, "30s",
			 "MPI: a worker silent this long is lost"),
		CLI_TEXT("loss-sample", "N", &o->loss_sample, "min(n, 10000)", "MPI on data: worker "
			 "r of W keeps only the rows i = r mod W, and rank 0 only N rows spread evenly "
			 "over the set (rows floor(k n/N)), on which it scores the loss, the optimum and "
			 "the accuracy (every rank loads the whole set first, for its n, scaling and "
			 "defaults; validate keeps it whole on every rank). --data 'DIR/p{worker}.svm' "
			 "instead: worker w reads only its own file, the files in worker order being "
			 "the set (needs --eta and --iters; no --scale, --test, optimum)"),
		CLI_TEXT("save-model", "FILE", &o->save_model, NULL, "data models: write the last "
			 "replica's final weights to FILE (atomically; text: a '# asgd model v1' header, "
			 "then 'INDEX VALUE' per non-zero weight, INDEX from 1, %.17g), for --init FILE; "
			 "see docs/FORMATS.md"),
		CLI_TEXT("record-every", "S", &every, "1, or the smallest power of 2 that keeps a "
			 "trajectory within 128 MiB", "moments at every S-th update"),
		CLI_END,
	};
	char err[256];

	o->cp.max_batch = RUN_DATA_MAX_BATCH;
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		cli_problem_flags(&o->cp, CLI_PROBLEM_MODE | CLI_PROBLEM_MODEL_ALIAS | CLI_PROBLEM_HELDOUT), cli_engine_flags(&eng, (struct cli_engine_dst){
		&o->cfg.workers, &o->cfg.work, &o->replicas, &o->cfg.seed, 4, "exp:100us", 1000, 1, 5 }),
		own, cli_mpi_flags(&o->mpi), cli_output_flags(&out, &o->out, &o->quiet, "out/run"),
		NULL }, argc, argv);
	o->workers_given = eng.workers_given;

	if (o->mpi.on) { /* --data may name one file per worker */
		o->mpi.loss_sample = o->loss_sample;
		o->cp.load_parts = cli_mpi_load_parts;
		o->cp.load_parts_arg = &o->mpi;
	}
	cli_problem_create(CMD, &o->cp, o->cfg.momentum);
	if (o->cp.file_parts && (!eta || !iters))
		cli_usage_error(CMD, "--data '%s' (one file per worker) needs --eta and --iters: "
				"their defaults (and --epochs) need the optimum and n of the whole set, "
				"which no rank holds", o->cp.data);
	if (cli_problem_is_data(&o->cp))
		cli_engine_data_defaults(&eng);
	o->problem = o->cp.problem;
	o->preset = o->cp.label;
	o->cfg.mode = o->cp.engine_mode;
	if (o->cfg.shards > 1 && o->cfg.mode != ASGD_ENGINE_MASTER)
		cli_usage_error(CMD, "--shards %u needs --mode master (only the snapshot master "
				"splits its apply; --mode %s does not)", o->cfg.shards,
				asgd_engine_mode_name(o->cfg.mode));
	if (o->cfg.hogwild_write != ASGD_HOGWILD_WRITE_RACY && o->cfg.mode != ASGD_ENGINE_HOGWILD)
		cli_usage_error(CMD, "--hogwild-write %s needs --mode hogwild (the other modes add "
				"every gradient at one master)", asgd_hogwild_write_name(o->cfg.hogwild_write));
	if (o->cfg.hogwild_clock != ASGD_HOGWILD_CLOCK_AUTO && o->cfg.mode != ASGD_ENGINE_HOGWILD)
		cli_usage_error(CMD, "--hogwild-clock %s needs --mode hogwild (the other modes count "
				"their updates in order)", asgd_hogwild_clock_name(o->cfg.hogwild_clock));
	check_precision(o);
	if (o->cfg.mode == ASGD_ENGINE_MPI && !o->mpi.on)
		cli_usage_error(CMD, "--mode mpi runs under mpirun: 'mpirun -np N asgd run --mode mpi "
				"...' (N−1 worker ranks)");
	if (o->cfg.mode != ASGD_ENGINE_MPI &&
	    (o->cfg.net_delay.kind != ASGD_WORK_NONE || o->cfg.slow_delay.kind != ASGD_WORK_NONE))
		cli_usage_error(CMD, "--net-delay and --straggler delay MPI messages: they need "
				"--mode mpi");
	cli_mpi_workers(CMD, &o->mpi, &o->cfg, o->workers_given);
	o->cfg.problem = o->problem;
	o->cfg.x0 = o->cp.x0; /* --init, or NULL: the problem's x0 = 0 */
	o->cfg.batch = cli_problem_batch(CMD, &o->cp, batch, eta);
	o->cfg.iters = cli_problem_iters(CMD, &o->cp, iters, o->cfg.batch, 1000000000);
	o->cfg.eta = cli_problem_eta(CMD, &o->cp, eta);
	record_stride(o, every);
	if (asgd_engine_check_config(&o->cfg, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	if (o->loss_sample && (o->cfg.mode != ASGD_ENGINE_MPI || !o->cp.ds))
		cli_usage_error(CMD, "--loss-sample '%s' is for --mode mpi on data (--loss LOSS "
				"--data SPEC), where rank 0 holds a sample of the rows", o->loss_sample);
	cli_mpi_shard_data(CMD, &o->mpi, &o->cp);
	o->problem = o->cp.problem;
	o->cfg.problem = o->problem;
	if (o->mpi.rank == 0) { /* only rank 0 writes */
		cli_prepare_out(CMD, o->out);
		check_save_model(o);
	}
	o->cfg.stop = cli_stop_flag();
}

/* The coordinates the S ≥ 2 servers wrote, together. */
static uint64_t shard_writes(const asgd_replicas *t)
{
	uint64_t n = 0;

	for (unsigned s = 0; s < t->mpi_servers; s++)
		n += t->mpi_shard[s].coords_written;
	return n;
}

/* S ≥ 2 servers: each one's share of the writes and its own clock's staleness. */
static void print_servers(const asgd_engine_config *cfg, const asgd_replicas *t)
{
	printf("servers     %u, %s partition; per server: coordinates, share of the writes, "
	       "mean tau on its own clock (rank 0's is the run's tau)\n", t->mpi_servers,
	       asgd_partition_layout_name(cfg->mpi_partition));
	for (unsigned s = 0; s < t->mpi_servers; s++) {
		const asgd_engine_shard *sh = &t->mpi_shard[s];

		printf("  rank %-3u  %8llu coords  %5.1f%% of writes  mean tau %.3f  max %llu\n", s,
		       (unsigned long long)sh->coords,
		       sh->coords_written
			       ? 100.0 * (double)sh->coords_written / (double)shard_writes(t)
			       : 0.0,
		       sh->applied ? sh->tau_sum / (double)sh->applied : 0,
		       (unsigned long long)sh->tau_max);
	}
}

/* Each worker's updates/s (the extremes beyond 8 workers): a starved worker shows here. */
static void print_worker_rates(const asgd_replicas *t)
{
	const asgd_staleness *s = &t->staleness;
	unsigned lo = 0, hi = 0;

	if (s->workers < 2 || !s->worker_count || t->wall_s <= 0)
		return;
	if (s->workers <= 8) {
		printf("  per-worker updates/s:");
		for (unsigned w = 0; w < s->workers; w++)
			printf(" %.3g", (double)s->worker_count[w] / t->wall_s);
		printf("\n");
		return;
	}
	for (unsigned w = 1; w < s->workers; w++) {
		lo = s->worker_count[w] < s->worker_count[lo] ? w : lo;
		hi = s->worker_count[w] > s->worker_count[hi] ? w : hi;
	}
	printf("  per-worker updates/s: min %.3g (worker %u), max %.3g (worker %u)\n",
	       (double)s->worker_count[lo] / t->wall_s, lo, (double)s->worker_count[hi] / t->wall_s,
	       hi);
}

/* The mean final loss over the replicas beside the optimum, and a warning when they are far
 * apart: a user's first question on their own data. */
static void print_data_scores(const asgd_run_data *d)
{
	double gap = (d->loss_mean - d->optimum_loss) / d->optimum_loss;

	if (!isnan(d->loss_mean)) {
		printf("data      mean final loss %.6g", d->loss_mean);
		if (!isnan(d->loss_se))
			printf(" ± %.2g (SE)", d->loss_se);
		printf(" over %llu replicas at update %llu", (unsigned long long)d->loss_replicas,
		       (unsigned long long)d->loss_at);
	} else {
		printf("data      final loss %.6g (last replica)", d->final_loss);
	}
	if (!isnan(d->optimum_loss))
		printf("; optimum %.6g", d->optimum_loss);
	if (!isnan(d->loss_mean) && !isnan(d->optimum_loss) && d->optimum_loss > 0)
		printf("; gap %+.2f%%", 100 * gap);
	if (!isnan(d->final_accuracy))
		printf("; accuracy %.4f (last replica)", d->final_accuracy);
	printf("\n");
	if (!isnan(d->loss_mean) && !isnan(d->optimum_loss) && d->optimum_loss > 0 && gap > 0.05)
		printf("warning   the mean final loss is %.1f%% above the optimum: more updates, a "
		       "smaller --eta, or --scale for unscaled data may close it\n", 100 * gap);
}

/* The held-out scores beside the same scores on the training rows, over the replicas. */
static void print_test_scores(const struct run_opts *o, const asgd_run_data *d)
{
	const char *const rows[2] = { "test ", "train" };
	const double mean[2][2] = { { d->test_loss_mean, d->test_accuracy_mean },
				    { d->train_loss_mean, d->train_accuracy_mean } };
	const double se[2][2] = { { d->test_loss_se, d->test_accuracy_se },
				  { d->train_loss_se, d->train_accuracy_se } };
	const size_t n[2] = { o->cp.test_ds->rows, o->cp.ds->rows };

	for (int k = 0; k < 2; k++) {
		printf("data      %s %6zu rows: mean loss %.6g", rows[k], n[k], mean[k][0]);
		if (!isnan(se[k][0]))
			printf(" ± %.2g", se[k][0]);
		if (!isnan(mean[k][1]))
			printf(", %s accuracy %.4f", k ? "train" : "test", mean[k][1]);
		if (!isnan(mean[k][1]) && !isnan(se[k][1]))
			printf(" ± %.2g", se[k][1]);
		printf(k ? " (loss without the regulariser)\n"
			 : " (SE over %llu replicas; %s)\n", (unsigned long long)d->test_replicas,
		       o->cp.test ? "--test" : "--test-fraction");
	}
}

/* --save-model: the last replica's final iterate, after a run that ended well. */
static int save_model(const struct run_opts *o, const asgd_run_result *r)
{
	asgd_modelfile_info info = { .dim = asgd_problem_dim(o->problem),
				     .objective = r->data.final_loss };
	asgd_data_model m;
	char err[1024];

	asgd_problem_data_model(o->problem, &m);
	snprintf(info.loss, sizeof(info.loss), "%s", asgd_loss_name(m.loss));
	snprintf(info.scale, sizeof(info.scale), "%s", o->cp.scale ? o->cp.scale : "none");
	snprintf(info.source, sizeof(info.source), "%s",
		 o->cp.whole_source ? o->cp.whole_source : o->cp.ds->source);
	info.lambda = m.lambda;
	info.positive = m.positive;
	if (asgd_modelfile_write(o->save_model, &info, r->replicas.x_last, err,
				 sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "asgd run: --save-model: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	if (!o->quiet)
		printf("model     %s (the last replica's final weights, loss %.6g)\n",
		       o->save_model, r->data.final_loss);
	return CLI_EXIT_OK;
}

/* MPI on data: the rows each worker holds (mpi.rows_per_worker), and, when rank 0 scored the
 * loss on a sample, the n it is a sample of (data.sample_of). */
static void add_shard_json(const struct run_opts *o, cJSON *summary)
{
	cJSON *mpi = cJSON_GetObjectItem(summary, "mpi"), *data = cJSON_GetObjectItem(summary, "data");
	cJSON *rows;
	unsigned w, W;
	int server;

	if (!o->mpi.rows_held || !mpi)
		return;
	rows = cJSON_AddArrayToObject(mpi, "rows_per_worker");
	for (int r = 0; r < o->mpi.size; r++) {
		cli_mpi_role(&(struct cli_mpi){ .rank = r, .size = o->mpi.size,
					       .servers = o->mpi.servers }, &server, &w, &W);
		if (!server)
			cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)o->mpi.rows_held[r]));
	}
	if (data && o->mpi.loss_rows < o->mpi.whole_rows)
		cJSON_AddNumberToObject(data, "sample_of", (double)o->mpi.whole_rows);
}

/* The same on stdout. */
static void print_shards(const struct run_opts *o)
{
	unsigned w, W, lo = 0, hi = 0;
	int server, first = 1;

	if (!o->mpi.rows_held)
		return;
	for (int r = 0; r < o->mpi.size; r++) {
		unsigned h = (unsigned)o->mpi.rows_held[r];

		cli_mpi_role(&(struct cli_mpi){ .rank = r, .size = o->mpi.size,
					       .servers = o->mpi.servers }, &server, &w, &W);
		if (server)
			continue;
		lo = first || h < lo ? h : lo;
		hi = first || h > hi ? h : hi;
		first = 0;
	}
	printf("shards      each of %u worker ranks holds %u to %u of the %zu rows; ", W, lo, hi,
	       o->mpi.whole_rows);
	if (o->mpi.loss_rows < o->mpi.whole_rows)
		printf("rank 0 scores the loss on a fixed sample of %zu of them (--loss-sample)\n",
		       o->mpi.loss_rows);
	else
		printf("rank 0 scores the loss on all of them\n");
}

static void print_summary(const struct run_opts *o, const asgd_run_result *r)
{
	const asgd_replicas *t = &r->replicas;
	char work[64], machine[320];
	size_t dim = asgd_problem_dim(o->problem);
	uint64_t K = o->cfg.iters;

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	asgd_report_machine(machine, sizeof(machine));
	printf("asgd run  %s  mode=%s  M=%u  eta=%g  work=%s  iters=%llu  replicas=%llu%s\n",
	       o->preset, asgd_engine_mode_name(o->cfg.mode), o->cfg.workers, o->cfg.eta, work, (unsigned long long)K,
	       (unsigned long long)t->replicas_done, t->interrupted ? "  (PARTIAL)" : "");
	printf("machine   %s\n", machine);
	cli_print_problem_defaults(&o->cp);
	printf("accounting  computed %llu = applied %llu + discarded %llu\n",
	       (unsigned long long)t->computed, (unsigned long long)t->applied,
	       (unsigned long long)t->discarded);
	if (t->workers_lost)
		printf("faults      %llu worker rank(s) fell silent past the MPI timeout and were "
		       "given up on (summed over replicas)\n", (unsigned long long)t->workers_lost);
	if (o->mpi.on)
		printf("messages    %s: %.0f bytes/update to the workers, %.0f to the server%s\n",
		       t->mpi_sparse ? "sparse" : "dense",
		       t->applied ? (double)t->mpi_bytes_to_workers / (double)t->applied : 0,
		       t->applied ? (double)t->mpi_bytes_to_master / (double)t->applied : 0,
		       t->mpi_servers > 1 ? "s" : "");
	if (t->mpi_shard)
		print_servers(&o->cfg, t);
	print_shards(o);
	printf("throughput  %.0f updates/s over %.2f s of engine time\n",
	       t->wall_s > 0 ? t->applied / t->wall_s : 0, t->wall_s);
	print_worker_rates(t);
	cli_print_fidelity(CMD, &o->cfg.work, t, "");
	if (t->clock_compared)
		printf("  clocks: the counter's and the timestamps' tau agree on %.4f%% of %llu "
		       "updates\n", 100.0 * (double)t->clock_agreed / (double)t->clock_compared,
		       (unsigned long long)t->clock_compared);
	if (r->have_staleness)
		cli_print_staleness(&r->staleness);
	if (r->have_staleness && o->cfg.max_staleness)
		cli_print_bounded(&r->staleness, o->cfg.max_staleness, t);
	if (t->replicas_done >= 2) {
		printf("moments over %llu replicas (of %s%s)\n", (unsigned long long)t->replicas_done,
		       o->cp.obs.spec, o->cp.obs.kind == ASGD_OBSERVE_X && dim > 1 ? ", coordinate 0"
											: "");
		printf("  k        mean                  second moment\n");
		cli_print_moment_rows(&t->moments, K);
	}
	if (r->have_data)
		print_data_scores(&r->data);
	if (r->have_data && o->mpi.loss_rows < o->mpi.whole_rows)
		printf("data      loss, %s accuracy are on the fixed sample of %zu of the %zu rows "
		       "that rank 0 holds\n", o->cp.file_parts ? "and" : "optimum and",
		       o->mpi.loss_rows, o->mpi.whole_rows);
	if (r->have_data && o->cp.file_parts)
		printf("data      no optimum: each worker read only its own file, and no rank holds "
		       "the whole set to solve for x*\n");
	if (r->have_data && r->data.have_test)
		print_test_scores(o, &r->data);
	printf("outputs   %s/{summary.json,moments.csv,staleness.csv}\n", o->out);
}

/* The run itself, on the only process or on MPI rank 0. */
static int run_master(struct run_opts *o, int argc, char **argv)
{
	asgd_run_config run = {
		.engine = o->cfg, .replicas = o->replicas, .observe = &o->cp.obs, .label = o->preset,
		.fault = o->fault_spec, .mpi_ranks = o->mpi.on ? o->mpi.size : 0,
		.mpi_hosts = o->mpi.on ? o->mpi.hosts : NULL,
		.test = o->cp.test_ds,
	};
	asgd_run_result r;
	const asgd_replicas *t = &r.replicas;
	cJSON *summary;
	int rc, status;

	if (cli_progress_start(CMD, 1, o->quiet)) {
		run.progress = cli_progress_cb;
		cli_progress_phase(1, "replicas");
	}
	rc = asgd_run(&run, &r);
	cli_progress_phase_end();
	if (rc == ASGD_OK && o->cp.file_parts) /* the sample's own x* is no optimum of the set */
		r.data.optimum_loss = NAN;
	if (rc != ASGD_OK && !r.engine_failed)
		cli_out_of_memory(CMD);
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd run: the engine failed: %s\n", asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	summary = asgd_run_result_json(&run, &r, argc, argv);
	if (summary && o->cp.have_defaults)
		cJSON_AddItemToObject(summary, "data_defaults", cli_problem_defaults_json(&o->cp));
	if (summary)
		add_shard_json(o, summary);
	/* rows at t = k: the engine has no SME clock of its own */
	rc = cli_replicas_write(o->out, t, r.have_staleness ? &r.staleness : NULL, 1.0, summary);
	cJSON_Delete(summary);
	if (!o->quiet)
		print_summary(o, &r);
	status = CLI_EXIT_OK;
	if (cli_write_failed(CMD, o->out, rc)) {
		status = CLI_EXIT_FAIL;
	} else if (t->diverged) {
		fprintf(stderr, "asgd run: diverged: the iterate became non-finite (eta %g is too "
				"large for %s?); summary.json says \"diverged\": true\n",
			o->cfg.eta, o->preset);
		status = CLI_EXIT_FAIL;
	} else if (t->starved) {
		fprintf(stderr, "asgd run: every worker left or was lost (--fault %s); the run "
				"stopped after %llu updates, partial results written to %s\n",
			o->fault_spec ? o->fault_spec : "none", (unsigned long long)t->applied, o->out);
		status = CLI_EXIT_FAIL;
	} else if (t->interrupted || cli_stopped()) {
		fprintf(stderr, "asgd run: interrupted; partial results written to %s%s\n", o->out,
			t->scoring_interrupted ? " (the last replica ran to its end but was not "
						 "scored: \"omitted\" in summary.json)" : "");
		status = CLI_EXIT_INTERRUPTED;
	}
	if (o->save_model && status == CLI_EXIT_OK)
		status = save_model(o, &r);
	else if (o->save_model)
		fprintf(stderr, "asgd run: --save-model %s not written: the run did not end well\n",
			o->save_model);
	asgd_run_result_free(&r);
	return status;
}

int cli_run(int argc, char **argv)
{
	struct run_opts o;
	int status;

	memset(&o, 0, sizeof(o));
	o.cfg.slow_worker = -1;
	o.cfg.shards = 1;
	cli_mpi_start(CMD, &argc, &argv, &o.mpi);
	parse_args(argc, argv, &o);
	cli_mpi_serve(CMD, &o.mpi, &o.cfg); /* worker ranks stay there, and exit */
	status = run_master(&o, argc, argv);
	cli_problem_free(&o.cp);
	cli_mpi_end(&o.mpi, status);
	return status;
}
