/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/ensemble.h — run P independent sample paths on all cores and sum their moments,
 * bit-identically for any number of threads.
 *
 * Every ensemble in asgd (the discrete reference processes of `sim`, the SDEs of `sme`) is "a
 * function that fills one path's trajectory from its own random stream", run P times. This module
 * owns the threads, the order of summation and the stop flag, so that the simulators only say how
 * one path moves:
 *   - path p draws from the stream (seed, p), whichever thread runs it;
 *   - paths are grouped in chunks (asgd_ensemble_chunk: a size set by the path count alone), each
 *     summed by one thread, and chunks are merged in chunk order — so floating-point sums, hence
 *     every output, do not depend on the thread count;
 *   - a raised stop flag ends the run within a path, keeping the complete chunks merged so far
 *     (a consistent, smaller ensemble), and says so.
 */
#ifndef ASGD_ENSEMBLE_H
#define ASGD_ENSEMBLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/moments.h"
#include "asgd/observe.h"
#include "asgd/rng.h"

/* The most paths summed by one thread before its sums join the total, in order. */
#define ASGD_ENSEMBLE_CHUNK 64

/* The fewest chunks an ensemble of at least this many paths is cut into. */
#define ASGD_ENSEMBLE_MIN_CHUNKS 32

/*
 * asgd_ensemble_chunk - the paths per chunk of an ensemble of @paths paths: ⌈paths/32⌉ within
 * 1..ASGD_ENSEMBLE_CHUNK. Small ensembles of slow paths (100 SME paths on a large data set) are
 * then shared evenly by the threads, and large ones keep chunks of 64; it depends on @paths alone,
 * never on the threads, which is what keeps the sums thread-count independent.
 */
uint64_t asgd_ensemble_chunk(uint64_t paths);

/* The most threads an ensemble starts. */
#define ASGD_ENSEMBLE_MAX_THREADS 256

/*
 * asgd_path_fn - simulate one sample path.
 * @ctx:     the caller's context (asgd_ensemble_config.ctx), shared read-only by all threads.
 * @path:    the path index p in [0, paths).
 * @rng:     the stream (seed, p), freshly initialised; the path's only source of randomness.
 * @traj:    steps*dim doubles to fill, row k = the recorded state at step k.
 * @scratch: scratch_bytes bytes private to the calling thread (uninitialised; 64-byte aligned).
 *
 * Must be a function of (ctx, path, rng) only. Returns 0, or an ASGD_E* code that stops the
 * ensemble (a non-finite state is not an error: write it, and the moments say so). A path that
 * can run long should look at the stop flag it was given in @ctx (every ~0.1 ms of work) and
 * return ASGD_EINTR when it is raised: the ensemble then ends as on a stop (res->interrupted),
 * not with an error.
 */
typedef int (*asgd_path_fn)(void *ctx, uint64_t path, asgd_rng *rng, double *traj,
			    void *scratch);

/*
 * Rows handed over as they are produced (asgd_path_rows_fn), for paths whose whole trajectory
 * would not fit: at d = 47,236 one path of 2,000 rows is 755 MB, while its loss is 2,000
 * doubles. The ensemble fills this in; a path function only passes it to asgd_path_rows_put().
 */
typedef struct asgd_path_rows {
	const asgd_observable *observe;	/* NULL: rows are kept whole */
	const atomic_int *stop;
	size_t dim;			/* doubles of a state row */
	size_t steps;
	size_t every;			/* the row stride S ≥ 1: steps k = 0, S, 2S, ... are kept */
	double *out;			/* the kept rows of the observable (or of the state) */
	double *last;			/* the state at row steps − 1 (dim doubles) */
} asgd_path_rows;

/*
 * asgd_path_rows_put - record @x (dim doubles), the state at step @k < steps: when S divides k,
 * scored at once by the observable (O(nnz) for a data model's loss) or copied whole; the last row
 * is also kept as the state, for the final rows and the finiteness count. Returns ASGD_OK, or ASGD_EINTR when
 * the stop flag was raised while scoring (the path should return it).
 */
int asgd_path_rows_put(asgd_path_rows *rows, size_t k, const double *x);

/*
 * asgd_path_rows_fn - asgd_path_fn for a path that keeps only the state it needs (its own
 * history, if any, in @scratch) and records each row k = 0..steps−1, in order, through
 * asgd_path_rows_put(). Same contract otherwise.
 */
typedef int (*asgd_path_rows_fn)(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows,
				 void *scratch);

/* What to run. Fields not set must be zero. */
typedef struct asgd_ensemble_config {
	uint64_t paths;		/* P ≥ 1 */
	unsigned threads;	/* compute threads; 0 = the online CPUs; capped at the chunk count */
	uint64_t seed;
	size_t steps, dim;	/* the shape of one trajectory; both ≥ 1 */
	uint64_t every;		/* S: only rows k = 0, S, 2S, ... ≤ steps − 1 are scored and summed
				   (0 or 1: every row); the moments' stride is S. A loss row is a
				   pass over the data, so on data this sets what the rows cost */
	size_t scratch_bytes;	/* per-thread scratch for @path (0 for none) */
	asgd_path_fn path;	/* exactly one of path and path_rows */
	asgd_path_rows_fn path_rows; /* rows scored as they come: memory steps·(observable's
				   dim), not steps·dim */
	void *ctx;
	int keep_final;		/* nonzero: keep every path's last row in the result */
	const asgd_observable *observe; /* optional: the moments are of this observable of each
				   row (dim must then be the problem's), not of the row itself;
				   final rows are still the state */
	const atomic_int *stop;	/* optional: nonzero ends the run; looked at before each path
				   and while scoring each path's rows with @observe (a path
				   function looks at it itself: see asgd_path_fn) */
	/* Optional: called after each chunk is merged, from one thread at a time. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
} asgd_ensemble_config;

/* What came out. */
typedef struct asgd_ensemble_result {
	asgd_moments moments;	/* over the paths_done paths */
	uint64_t paths_done;	/* paths merged: all of them, or fewer when interrupted */
	uint64_t nonfinite;	/* of those, paths whose last row has a non-finite value */
	double *final;		/* with keep_final: paths*dim values, path p's last row at p*dim;
				   NAN for paths not merged. NULL otherwise. */
	int interrupted;	/* the stop flag ended the run early */
	unsigned threads;	/* threads actually used */
	double wall_s;		/* wall-clock time of the run */
} asgd_ensemble_result;

/*
 * asgd_ensemble_run - run the ensemble described by @cfg into @res.
 *
 * Returns 0 (also when interrupted: see res->interrupted); ASGD_EINVAL for a NULL argument, zero
 * paths, steps or dim, a NULL path function, or sizes that overflow; ASGD_ENOMEM; ASGD_ETHREAD if
 * no thread could be started; or the first error returned by @cfg->path. On failure @res holds
 * nothing to free. On success free it with asgd_ensemble_result_free().
 */
int asgd_ensemble_run(const asgd_ensemble_config *cfg, asgd_ensemble_result *res);

/* asgd_ensemble_result_free - release what a successful run allocated; NULL is a no-op. */
void asgd_ensemble_result_free(asgd_ensemble_result *res);

/* asgd_ensemble_default_threads - the number of online CPUs (at least 1). */
unsigned asgd_ensemble_default_threads(void);

/*
 * asgd_ensemble_estimate_s - the wall time of @paths paths of @path_s seconds each on @threads
 * threads (0: the online CPUs), as asgd_ensemble_run() shares them out: whole chunks of
 * asgd_ensemble_chunk(@paths) paths, so the busiest thread runs ⌈chunks/T⌉ of them.
 */
double asgd_ensemble_estimate_s(uint64_t paths, unsigned threads, double path_s);

/*
 * asgd_ensemble_estimate_pilot - the expected wall time of an ensemble of @paths paths of @iters
 * steps on @threads threads, from pilots: @pilot(@arg, K', &wall) runs one path of K' = 8, 32,
 * ... steps on one thread and says how long it took, until a pilot takes 50 ms or K' = @iters;
 * its time is then scaled to @iters steps and to the paths the busiest thread runs
 * (asgd_ensemble_estimate_s). Returns ASGD_OK or the first error @pilot returns.
 */
int asgd_ensemble_estimate_pilot(uint64_t iters, uint64_t paths, unsigned threads,
				 int (*pilot)(void *arg, uint64_t k, double *wall), void *arg,
				 double *seconds);

#endif /* ASGD_ENSEMBLE_H */
