/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/replicas.h — R independent runs of the real threaded engine from the same x0, pooled.
 *
 * One engine run is one sample path of real asynchronous SGD; its staleness is one sequence of
 * τ_k. Everything that compares the real algorithm with a model (`asgd run`, `validate`, `sweep`)
 * needs many such runs: their trajectories give the moments over replicas, their staleness
 * sequences are pooled into one fit, and their counts must add up. This module runs them one
 * after the other (each already uses every core) and keeps the totals.
 */
#ifndef ASGD_REPLICAS_H
#define ASGD_REPLICAS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/engine.h"
#include "asgd/moments.h"
#include "asgd/observe.h"
#include "asgd/staleness.h"
#include "asgd/sysload.h"

/* What R replicas measured together. */
typedef struct asgd_replicas {
	asgd_moments moments;		/* over the complete, finite replicas: K+1 rows of dim (or
					   of the observable's dimension) */
	asgd_staleness staleness;	/* every applied gradient's τ, one run per replica */
	uint64_t computed, applied, discarded;
	uint64_t evaluations;		/* component gradients in the applied updates (batch sizes) */
	uint64_t replicas_done;		/* complete replicas in the moments */
	double wall_s;			/* engine time summed over replicas */
	double work_mean_ns, work_cv;	/* realised injected work, averaged over replicas (NAN: none) */
	asgd_sysload sysload;		/* the machine's load from the first replica's start to the
					   last one's end */
	int diverged;			/* a replica's iterate became non-finite: the run stopped there */
	int interrupted;		/* the stop flag ended a replica early, or came between two
					   replicas or while one was scored: the run stopped there */
	int scoring_interrupted;	/* the stop flag came while the last replica's recorded rows
					   were being scored by the observable (a loss row is a pass
					   over the data: seconds for a large data set): that replica
					   ran to its end and is in the accounting and the staleness,
					   but not in the moments nor in replicas_done */
	int starved;			/* every worker of a replica left (an injected fault): the run
					   stopped there */
	uint64_t workers_left;		/* workers that left early, summed over replicas */
	uint64_t workers_lost;		/* MPI worker ranks given up on (silent past the timeout),
					   summed over replicas */
	uint64_t mpi_bytes_to_workers;	/* MPI: bytes the servers sent the workers, summed over
					   replicas (every applied, discarded, … gradient's answer) */
	uint64_t mpi_bytes_to_master;	/* MPI: bytes the workers sent the servers, likewise */
	int mpi_sparse;			/* MPI: the messages were sparse (asgd/mpi.h) */
	unsigned mpi_servers;		/* MPI: S, the parameter servers */
	double mpi_rank0_cpu_s;		/* MPI: rank 0's CPU time in the runs, summed */
	double mpi_service_s;		/* MPI: rank 0's sampled service times, summed … */
	uint64_t mpi_service_n;		/* … over this many updates */
	asgd_engine_shard *mpi_shard;	/* MPI, S ≥ 2: per server, summed over replicas
					   (tau_max: the largest); else NULL */
	uint64_t ssp_held, ssp_held_versions;	/* a staleness bound's held gradients and
					   their waits, summed over replicas (asgd/engine.h) */
	uint64_t ssp_reads_delayed, ssp_read_wait_versions; /* its delayed reads, likewise */
	uint64_t clock_compared;	/* ASGD_HOGWILD_CLOCK_BOTH: updates whose τ both clocks gave */
	uint64_t clock_agreed;		/* … and of those, the ones where the two agree */
	double *x_last;			/* the last replica's final iterate (dim values) */
} asgd_replicas;

/*
 * asgd_replicas_run - run replicas r = 0..@replicas−1 of the engine configured by @cfg (its
 * replica and trajectory fields are set here), stopping early at divergence or at the stop flag
 * (cfg->stop: seen by the engine, between replicas, and while a replica's rows are scored).
 * @progress, if not NULL, is called after each replica with (arg, done, total).
 * Returns 0 (see diverged/interrupted), ASGD_EINVAL for NULL or zero replicas, ASGD_ENOMEM, or an
 * engine error. On success free @out with asgd_replicas_free(); on failure it holds nothing.
 */
int asgd_replicas_run(asgd_engine_config *cfg, uint64_t replicas,
		      void (*progress)(void *arg, uint64_t done, uint64_t total), void *arg,
		      asgd_replicas *out);

/*
 * asgd_replicas_run_each - as asgd_replicas_run, and @each (if not NULL) is called with every
 * complete, finite replica's trajectory (@steps rows of @dim values) as soon as it is done — for
 * statistics the pooled moments cannot give, such as the spread across replicas of a time
 * average.
 */
int asgd_replicas_run_each(asgd_engine_config *cfg, uint64_t replicas,
			   void (*progress)(void *arg, uint64_t done, uint64_t total), void *arg,
			   void (*each)(void *arg, const double *traj, size_t steps, size_t dim),
			   void *each_arg, asgd_replicas *out);

/*
 * asgd_replicas_run_observed - as asgd_replicas_run_each, with the moments (and the rows given
 * to @each) of the observable @obs of every recorded x_k instead of x_k itself (NULL: of x_k).
 */
int asgd_replicas_run_observed(asgd_engine_config *cfg, uint64_t replicas,
			       const asgd_observable *obs,
			       void (*progress)(void *arg, uint64_t done, uint64_t total),
			       void *arg,
			       void (*each_fn)(void *arg, const double *traj, size_t steps,
					       size_t dim),
			       void *each_arg, asgd_replicas *out);

/* What asgd_replicas_run_hooked calls; every member may be NULL. */
typedef struct asgd_replicas_hooks {
	/* after each replica, with (progress_arg, done, total) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	/* every complete, finite replica's rows, as asgd_replicas_run_each's @each */
	void (*each)(void *arg, const double *traj, size_t steps, size_t dim);
	void *each_arg;
	/* every complete, finite replica's final iterate x_K (dim values, the problem's
	   dimension), as soon as it is done: for scores of each replica's model (held-out loss) */
	void (*final)(void *arg, const double *x, size_t dim);
	void *final_arg;
} asgd_replicas_hooks;

/*
 * asgd_replicas_run_hooked - as asgd_replicas_run_observed, with its callbacks in @hooks (NULL:
 * none). The complete, finite replicas are those of the moments: @each and @final are called
 * for the same ones, in order.
 */
int asgd_replicas_run_hooked(asgd_engine_config *cfg, uint64_t replicas,
			     const asgd_observable *obs, const asgd_replicas_hooks *hooks,
			     asgd_replicas *out);

/* asgd_replicas_free - release a result; NULL is a no-op. */
void asgd_replicas_free(asgd_replicas *r);

/*
 * asgd_replicas_summary_json - the summary.json of replicas @t of the engine @cfg, as the command
 * `asgd @cmd` ran them (@argc, @argv: its command line, argv[0] the subcommand, recorded as
 * "command_line"; @preset: the problem's label): settings, "replicas" done of @requested, "diverged",
 * "partial", the `staleness` object (null when @sum is NULL), accounting, throughput, the
 * realised work beside the request ("work_realised", with "off_request" per asgd_work_fidelity),
 * the machine's load ("sysload", asgd_sysload_json) and the machine. The caller owns the result (cJSON_Delete).
 */
cJSON *asgd_replicas_summary_json(const char *cmd, int argc, char **argv, const char *preset,
				  const asgd_engine_config *cfg, uint64_t requested,
				  const asgd_replicas *t, const asgd_staleness_summary *sum);

/*
 * asgd_replicas_write_tables - the replicas' tables in @dir, each atomically: moments.csv over the
 * complete replicas (row k at t = k·@dt; none when no replica is complete) and, when @sum is not
 * NULL, staleness.csv (asgd_staleness_write_csv). Returns 0 or the first error (ASGD_EINVAL when
 * a path does not fit).
 */
int asgd_replicas_write_tables(const char *dir, const asgd_replicas *t,
			       const asgd_staleness_summary *sum, double dt);

#endif /* ASGD_REPLICAS_H */
