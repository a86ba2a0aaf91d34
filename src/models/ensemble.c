/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ensemble.c — P sample paths on T threads, summed in an order that does not depend on T.
 *
 * Threads claim chunks of asgd_ensemble_chunk(P) paths from an atomic counter and sum each chunk into
 * a private accumulator. The total takes chunks strictly in chunk order, so it is the same
 * sequence of floating-point additions for any T. A chunk finished ahead of its turn is not waited
 * for: its accumulator is swapped into a slot of a small window (W slots, chunk c in slot c mod W)
 * and the thread goes on with a fresh one; whoever completes the turn also merges the finished
 * chunks queued behind it. A thread waits only when the chunk it claimed is W or more ahead of the
 * turn (its slot still occupied) — never for the chunk whose turn it is, which a running thread
 * holds, so nothing deadlocks. (Waiting at every out-of-order finish instead cost a fifth of the
 * throughput on 2 cores: bench/bench_paths.c.)
 *
 * A stop request or a failing path "abandons" a chunk; when an abandoned chunk's turn comes, the
 * total is cut there: that chunk and every later one are dropped, and the result is the complete
 * chunks before the cut — still a prefix of the paths, so still independent of T. The flag is
 * looked at before every path, and inside a path by the path function itself (sim.c, sme*.c:
 * every ~0.1 ms of steps, returning ASGD_EINTR) and by the observable's scoring of its rows, so
 * that neither a long path nor a chunk of them delays a stop.
 *
 * A path function either fills a whole trajectory (steps·dim doubles, scored in place after the
 * path) or hands its rows over one at a time (path_rows), each scored as it comes: on a data
 * set of d = 47,236 features that is the difference between 755 MB a thread and 16 kB.
 */
#include "asgd/ensemble.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asgd/error.h"

struct ensemble {
	const asgd_ensemble_config *cfg;
	asgd_ensemble_result *res;
	uint64_t chunk;				/* paths per chunk */
	uint64_t chunks;
	atomic_uint_fast64_t next_claim;	/* the next chunk to hand out */
	atomic_int abandon;			/* set by a stop or an error: claim nothing more */

	pthread_mutex_t lock;			/* guards everything below */
	pthread_cond_t turn_changed;
	uint64_t turn;				/* the chunk whose sums join the total next */
	bool cut;				/* a chunk was abandoned: drop it and all later ones */
	int error;				/* the first error of a path function */
	unsigned window;			/* W */
	struct slot *slots;			/* chunks finished ahead of their turn */
};

/* A finished chunk waiting for its turn. */
struct slot {
	asgd_moments sums;
	uint64_t nonfinite;
	bool full, complete;
};

/* One thread's private state, on cache lines of its own (its path count changes every path). */
struct runner {
	_Alignas(128) struct ensemble *e;
	pthread_t thread;
	asgd_moments sums;
	double *traj;		/* the path's rows: whole states, or already scored (path_rows) */
	double *last;		/* path_rows: the last state row */
	void *scratch;
};

unsigned asgd_ensemble_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n >= 1 ? (unsigned)n : 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool stop_requested(const struct ensemble *e)
{
	return atomic_load_explicit(&e->abandon, memory_order_relaxed) ||
	       (e->cfg->stop && atomic_load_explicit(e->cfg->stop, memory_order_relaxed));
}

static bool last_row_finite(const double *row, size_t dim)
{
	for (size_t c = 0; c < dim; c++)
		if (!isfinite(row[c]))
			return false;
	return true;
}

int asgd_path_rows_put(asgd_path_rows *rows, size_t k, const double *x)
{
	if (k + 1 == rows->steps)
		memcpy(rows->last, x, rows->dim * sizeof(double));
	if (k % rows->every)
		return ASGD_OK;	/* not a recorded row: nothing to score */
	k /= rows->every;
	if (!rows->observe) {
		memcpy(rows->out + k * rows->dim, x, rows->dim * sizeof(double));
		return ASGD_OK;
	}
	return asgd_observable_rows_stop(rows->observe, x, 1,
					 rows->out + k * asgd_observable_dim(rows->observe),
					 rows->stop, NULL);
}

/* The row stride S ≥ 1 and the rows kept, k = 0, S, 2S, ... ≤ steps − 1. */
static size_t row_stride(const asgd_ensemble_config *cfg)
{
	return cfg->every > 1 ? (size_t)cfg->every : 1;
}

static size_t rows_kept(const asgd_ensemble_config *cfg)
{
	return (cfg->steps - 1) / row_stride(cfg) + 1;
}

/* A whole trajectory's kept rows moved to its front, in order (row rS to row r). */
static void keep_strided_rows(const asgd_ensemble_config *cfg, double *traj)
{
	const size_t S = row_stride(cfg), kept = rows_kept(cfg);

	for (size_t r = 1; S > 1 && r < kept; r++)
		memcpy(traj + r * cfg->dim, traj + r * S * cfg->dim, cfg->dim * sizeof(double));
}

/* One path into r->traj, its rows scored by the observable (in place or as they come). */
static int run_path(struct runner *r, uint64_t p, asgd_rng *rng, const double **last)
{
	const asgd_ensemble_config *cfg = r->e->cfg;
	asgd_path_rows rows = {
		.observe = cfg->observe, .stop = cfg->stop, .dim = cfg->dim, .steps = cfg->steps,
		.every = row_stride(cfg), .out = r->traj, .last = r->last,
	};
	int rc;

	if (cfg->path_rows) {
		*last = r->last;
		return cfg->path_rows(cfg->ctx, p, rng, &rows, r->scratch);
	}
	*last = r->traj + (cfg->steps - 1) * cfg->dim;
	rc = cfg->path(cfg->ctx, p, rng, r->traj, r->scratch);
	if (rc)
		return rc;
	memcpy(r->last, *last, cfg->dim * sizeof(double));	/* the rows below overwrite it */
	*last = r->last;
	keep_strided_rows(cfg, r->traj);
	/* in place: the raw rows are not needed any more; a loss row is a pass over the data */
	if (cfg->observe && asgd_observable_rows_stop(cfg->observe, r->traj, rows_kept(cfg),
						      r->traj, cfg->stop, NULL))
		return ASGD_EINTR;
	return ASGD_OK;
}

/*
 * Run chunk @chunk into r->sums. Returns true when every path of it ran, false when it was
 * abandoned (stop flag or a path error, recorded in e->error).
 */
static bool run_chunk(struct runner *r, uint64_t chunk, uint64_t *nonfinite)
{
	struct ensemble *e = r->e;
	const asgd_ensemble_config *cfg = e->cfg;
	uint64_t first = chunk * e->chunk;
	uint64_t end = first + e->chunk < cfg->paths ? first + e->chunk : cfg->paths;
	const double *last;

	asgd_moments_reset(&r->sums);
	*nonfinite = 0;
	for (uint64_t p = first; p < end; p++) {
		asgd_rng rng;
		int rc;

		if (stop_requested(e))
			return false;
		asgd_rng_init(&rng, cfg->seed, p);
		rc = run_path(r, p, &rng, &last);
		if (rc == ASGD_EINTR)	/* the path saw the stop flag: a stop, not an error */
			return false;
		if (rc) {
			pthread_mutex_lock(&e->lock);
			if (!e->error)
				e->error = rc;
			pthread_mutex_unlock(&e->lock);
			atomic_store(&e->abandon, 1);
			return false;
		}
		if (!last_row_finite(last, cfg->dim))
			(*nonfinite)++;
		if (e->res->final)
			memcpy(e->res->final + p * cfg->dim, last, cfg->dim * sizeof(double));
		asgd_moments_add_path(&r->sums, r->traj);
	}
	return true;
}

/* Add one finished chunk to the total, or cut the total at an abandoned one. Lock held. */
static void merge_locked(struct ensemble *e, const asgd_moments *sums, bool complete,
			 uint64_t nonfinite)
{
	if (!complete)
		e->cut = true;
	if (!e->cut) {
		asgd_moments_merge(&e->res->moments, sums);
		e->res->paths_done += sums->paths;
		e->res->nonfinite += nonfinite;
		if (e->cfg->progress)
			e->cfg->progress(e->cfg->progress_arg, e->res->paths_done, e->cfg->paths);
	}
	e->turn++;
}

/* Wait until @chunk has a free slot in the window (it is fewer than W ahead of the turn). */
static void wait_for_window(struct ensemble *e, uint64_t chunk)
{
	pthread_mutex_lock(&e->lock);
	while (chunk >= e->turn + e->window)
		pthread_cond_wait(&e->turn_changed, &e->lock);
	pthread_mutex_unlock(&e->lock);
}

/*
 * Hand in @chunk: merge it if its turn has come (and then every queued chunk behind it), else
 * swap r->sums into its slot and take the slot's empty accumulator in exchange.
 */
static void hand_in(struct runner *r, uint64_t chunk, bool complete, uint64_t nonfinite)
{
	struct ensemble *e = r->e;

	pthread_mutex_lock(&e->lock);
	if (chunk != e->turn) {
		struct slot *s = &e->slots[chunk % e->window];
		asgd_moments spare = s->sums;

		s->sums = r->sums;
		r->sums = spare;
		s->nonfinite = nonfinite;
		s->complete = complete;
		s->full = true;
		pthread_mutex_unlock(&e->lock);
		return;
	}
	merge_locked(e, &r->sums, complete, nonfinite);
	for (struct slot *s = &e->slots[e->turn % e->window]; s->full;
	     s = &e->slots[e->turn % e->window]) {
		merge_locked(e, &s->sums, s->complete, s->nonfinite);
		s->full = false;
	}
	pthread_cond_broadcast(&e->turn_changed);
	pthread_mutex_unlock(&e->lock);
}

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct ensemble *e = r->e;

	for (;;) {
		uint64_t chunk = atomic_fetch_add(&e->next_claim, 1), nonfinite;
		bool complete;

		if (chunk >= e->chunks)
			break;
		wait_for_window(e, chunk);
		complete = run_chunk(r, chunk, &nonfinite);
		if (!complete)
			atomic_store(&e->abandon, 1);
		hand_in(r, chunk, complete, nonfinite);
	}
	return NULL;
}

static int check_config(const asgd_ensemble_config *cfg, asgd_ensemble_result *res)
{
	size_t cells;

	if (!cfg || !res || !cfg->path == !cfg->path_rows || cfg->paths == 0 || cfg->steps == 0 || cfg->dim == 0)
		return ASGD_EINVAL;
	if (__builtin_mul_overflow(cfg->steps, cfg->dim, &cells) ||
	    cells > SIZE_MAX / sizeof(double) ||
	    (cfg->keep_final && cfg->paths > SIZE_MAX / sizeof(double) / cfg->dim))
		return ASGD_EINVAL;
	return ASGD_OK;
}

static void runner_free(struct runner *r)
{
	asgd_moments_free(&r->sums);
	free(r->traj);
	free(r->last);
	free(r->scratch);
}

/* The moments are of the observable when there is one, else of the recorded state. */
static size_t moment_dim(const asgd_ensemble_config *cfg)
{
	return cfg->observe ? asgd_observable_dim(cfg->observe) : cfg->dim;
}

/* Sums over the kept rows, which sit S iterations apart. */
static int moments_init(const asgd_ensemble_config *cfg, asgd_moments *m)
{
	int rc = asgd_moments_init(m, rows_kept(cfg), moment_dim(cfg));

	if (rc == ASGD_OK)
		m->stride = row_stride(cfg);
	return rc;
}

static int runner_init(struct runner *r, struct ensemble *e)
{
	const asgd_ensemble_config *cfg = e->cfg;
	size_t scratch = (cfg->scratch_bytes + 63) / 64 * 64;

	memset(r, 0, sizeof(*r));
	r->e = e;
	if (moments_init(cfg, &r->sums))
		return ASGD_ENOMEM;
	/* path_rows: rows arrive scored; else the whole states, scored in place afterwards */
	r->traj = malloc((cfg->path_rows ? rows_kept(cfg) * moment_dim(cfg) : cfg->steps * cfg->dim) *
			 sizeof(double));
	r->last = malloc(cfg->dim * sizeof(double));
	r->scratch = scratch ? aligned_alloc(64, scratch) : NULL;
	if (!r->traj || !r->last || (scratch && !r->scratch)) {
		runner_free(r);
		return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

static int result_init(const asgd_ensemble_config *cfg, asgd_ensemble_result *res)
{
	memset(res, 0, sizeof(*res));
	if (moments_init(cfg, &res->moments))
		return ASGD_ENOMEM;
	if (cfg->keep_final) {
		size_t count = (size_t)cfg->paths * cfg->dim;

		res->final = malloc(count * sizeof(double));
		if (!res->final) {
			asgd_moments_free(&res->moments);
			return ASGD_ENOMEM;
		}
		for (size_t i = 0; i < count; i++)
			res->final[i] = NAN;
	}
	return ASGD_OK;
}

/* The window: enough slots that T threads rarely wait, few enough to bound memory. */
static int slots_init(struct ensemble *e, unsigned threads)
{
	const asgd_ensemble_config *cfg = e->cfg;

	e->window = threads + 2 < 16 ? threads + 2 : 16;
	e->slots = calloc(e->window, sizeof(*e->slots));
	if (!e->slots)
		return ASGD_ENOMEM;
	for (unsigned i = 0; i < e->window; i++)
		if (moments_init(cfg, &e->slots[i].sums))
			return ASGD_ENOMEM;	/* slots_free copes with a partial set */
	return ASGD_OK;
}

static void slots_free(struct ensemble *e)
{
	for (unsigned i = 0; e->slots && i < e->window; i++)
		asgd_moments_free(&e->slots[i].sums);
	free(e->slots);
}

static unsigned thread_count(const asgd_ensemble_config *cfg, uint64_t chunks)
{
	unsigned t = cfg->threads ? cfg->threads : asgd_ensemble_default_threads();

	if (t > ASGD_ENSEMBLE_MAX_THREADS)
		t = ASGD_ENSEMBLE_MAX_THREADS;
	return (uint64_t)t > chunks ? (unsigned)chunks : t;
}

/*
 * Start up to @want runners; returns how many started. Threads block signals so that SIGINT
 * reaches the main thread, whose handler raises the stop flag.
 */
static unsigned start_runners(struct runner *rs, unsigned want)
{
	sigset_t all, old;
	unsigned started = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; started < want; started++)
		if (pthread_create(&rs[started].thread, NULL, runner_main, &rs[started]) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

int asgd_ensemble_run(const asgd_ensemble_config *cfg, asgd_ensemble_result *res)
{
	struct ensemble e = { .cfg = cfg, .res = res };
	struct runner *rs;
	unsigned want, ready = 0, started;
	double t0 = now_s();
	int rc = check_config(cfg, res);

	if (rc)
		return rc;
	e.chunk = asgd_ensemble_chunk(cfg->paths);
	e.chunks = (cfg->paths + e.chunk - 1) / e.chunk;
	want = thread_count(cfg, e.chunks);
	rs = aligned_alloc(_Alignof(struct runner), want * sizeof(*rs));
	if (rs)
		memset(rs, 0, want * sizeof(*rs));
	if (!rs || slots_init(&e, want) || result_init(cfg, res)) {
		free(rs);
		slots_free(&e);
		return ASGD_ENOMEM;
	}
	while (ready < want && runner_init(&rs[ready], &e) == ASGD_OK)
		ready++;
	pthread_mutex_init(&e.lock, NULL);
	pthread_cond_init(&e.turn_changed, NULL);
	started = ready ? start_runners(rs, ready) : 0;
	for (unsigned i = 0; i < started; i++)
		pthread_join(rs[i].thread, NULL);
	for (unsigned i = 0; i < ready; i++)
		runner_free(&rs[i]);
	free(rs);
	slots_free(&e);
	pthread_cond_destroy(&e.turn_changed);
	pthread_mutex_destroy(&e.lock);

	rc = ready == 0 ? ASGD_ENOMEM : started == 0 ? ASGD_ETHREAD : e.error;
	if (rc) {
		asgd_ensemble_result_free(res);
		return rc;
	}
	res->threads = started;
	res->interrupted = res->paths_done < cfg->paths;
	if (res->final) /* paths of dropped chunks may have written their last rows */
		for (size_t i = (size_t)res->paths_done * cfg->dim; i < cfg->paths * cfg->dim; i++)
			res->final[i] = NAN;
	res->wall_s = now_s() - t0;
	return ASGD_OK;
}

uint64_t asgd_ensemble_chunk(uint64_t paths)
{
	uint64_t c = (paths + ASGD_ENSEMBLE_MIN_CHUNKS - 1) / ASGD_ENSEMBLE_MIN_CHUNKS;

	return c < 1 ? 1 : c > ASGD_ENSEMBLE_CHUNK ? ASGD_ENSEMBLE_CHUNK : c;
}

double asgd_ensemble_estimate_s(uint64_t paths, unsigned threads, double path_s)
{
	uint64_t size = asgd_ensemble_chunk(paths), chunks = (paths + size - 1) / size;
	asgd_ensemble_config cfg = { .threads = threads };
	unsigned t = thread_count(&cfg, chunks ? chunks : 1);
	uint64_t rounds = (chunks + t - 1) / t, busiest = rounds * size;

	return path_s * (double)(busiest < paths ? busiest : paths);
}

int asgd_ensemble_estimate_pilot(uint64_t iters, uint64_t paths, unsigned threads,
				 int (*pilot)(void *arg, uint64_t k, double *wall), void *arg,
				 double *seconds)
{
	for (uint64_t k = 8;; k *= 4) {
		uint64_t kk = k < iters ? k : iters;
		double wall;
		int rc = pilot(arg, kk, &wall);

		if (rc != ASGD_OK)
			return rc;
		if (wall >= 0.05 || kk == iters) {
			*seconds = asgd_ensemble_estimate_s(paths, threads,
							    wall * (double)iters / (double)kk);
			return ASGD_OK;
		}
	}
}

void asgd_ensemble_result_free(asgd_ensemble_result *res)
{
	if (!res)
		return;
	asgd_moments_free(&res->moments);
	free(res->final);
	res->final = NULL;
}
