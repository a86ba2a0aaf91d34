/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_hogwild.c — the engine without a master (Niu, Recht, Ré, Wright 2011): every worker
 * reads the shared vector, computes a sparse gradient and writes it back itself, in place.
 *
 * The story of one update, from one worker's side:
 *   1. Note the read's start: t_r, a timestamp of this core's clock, or
 *      v = completed updates so far (counter clock, acquire: every update before v is visible).
 *   2. Gather x on the components' supports with relaxed loads; compute the gradient.
 *   3. Spend the injected work time.
 *   4. Take a slot r among the iters updates: a worker reserves a chunk of them at a time (one
 *      atomic add per chunk, not per update); when none is left the gradient is counted
 *      discarded, never written.
 *   5. Add −η g coordinate by coordinate: a relaxed load and a relaxed store (Hogwild's own
 *      racy read-modify-write: two workers adding to one coordinate at once may lose one
 *      addition), or with --hogwild-write cas a relaxed compare-and-swap loop that loses none.
 *   6. Note the write's end in the worker's own log: t_w (timestamps.c turns the logs into τ
 *      after the run), or k = completed++ (release) and τ_k = k − v.
 * Step 4 before 5 is what makes exactly iters updates land; with the counter, step 6 after 5
 * is what makes v in step 1 a promise (every update with index < v is whole in memory). With
 * timestamps nothing is written per update that another worker writes too: the slot chunks are
 * the only shared counter, and with one worker τ = 0 without a clock.
 *
 * Combining mode (asgd/engine.h) runs here too, since it is Hogwild's loop with the write made
 * whole: the worker takes one lock, checks that the run is not full, marks the sequence odd,
 * writes, marks it even and counts the update (k = completed, under the lock), then lets go;
 * its read gathers x between two loads of the sequence and starts again if they differ.
 *
 * Why relaxed atomics and not plain doubles: engine_internal.h.
 */
#include "engine_internal.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/work.h"

struct hogwild;

struct hw_worker {
	struct hogwild *hw;
	uint32_t id;
	asgd_rng rng;
	struct asgd__sparse_grad sg;
	uint64_t computed, applied, discarded, evaluations, coords;
	struct asgd__work_tally work;
	uint64_t slot, slot_end;	/* reserved update slots [slot, slot_end) not yet used */
	uint64_t t_read;		/* with timestamps: when the current read began (or the
					 * last write ended, until the next read) */
	uint64_t *log;			/* per update: (k, τ_k), (t_r, t_w) or all four */
	size_t nlog, cap;
	int log_count, log_stamp;	/* what it logs per update: (k, τ_k) and/or (t_r, t_w) */
	size_t stride;			/* so many entries per update; 0: nothing is logged */
	int log_lost;			/* the log could not grow: the run reports ENOMEM */
	pthread_t thread;
} __attribute__((aligned(64)));

/* Update slots a worker reserves at once, at most. A worker that leaves for good (an injected
 * fault) would strand the rest of its chunk, so runs with that fault reserve one at a time. */
#define SLOT_CHUNK 64

struct hogwild {
	const asgd_engine_config *cfg;
	asgd_engine_result *res;
	size_t dim;
	struct asgd__live x; /* in cfg->precision */
	asgd_hogwild_clock clock; /* resolved: never AUTO */
	int count;   /* the shared counter gives k and v */
	int stamp;   /* reads and writes are stamped: timestamp τ with more than one worker */
	int tsc;     /* stamps read the TSC, not CLOCK_MONOTONIC */
	uint64_t chunk;
	_Atomic uint64_t reserved __attribute__((aligned(64)));
	_Atomic uint64_t completed __attribute__((aligned(64)));
	/* combining mode: 2k between updates, 2k + 1 while update k is written (a seqlock) */
	_Atomic uint64_t seq __attribute__((aligned(64)));
	pthread_mutex_t lock;
	atomic_int done __attribute__((aligned(64)));
	atomic_int diverged;
	atomic_uint left; /* workers that left early (an injected fault) */
	struct hw_worker *workers;
};

ASGD__NAMED_ENUM(asgd_hogwild_clock, asgd_hogwild_clock, "auto", "counter", "timestamp", "both")

asgd_hogwild_clock asgd_hogwild_clock_resolve(const asgd_engine_config *cfg)
{
	if (cfg->mode != ASGD_ENGINE_HOGWILD)
		return ASGD_HOGWILD_CLOCK_COUNTER; /* combining counts under its lock */
	if (cfg->hogwild_clock != ASGD_HOGWILD_CLOCK_AUTO)
		return cfg->hogwild_clock;
	return cfg->schedule.size ? ASGD_HOGWILD_CLOCK_COUNTER : ASGD_HOGWILD_CLOCK_TIMESTAMP;
}

int asgd__hogwild_check_config(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	if (!asgd_hogwild_clock_name(cfg->hogwild_clock)) {
		snprintf(err, errlen, "hogwild_clock %d is unknown: allowed auto, counter, "
				      "timestamp, both", (int)cfg->hogwild_clock);
		return ASGD_EINVAL;
	}
	if (cfg->hogwild_clock != ASGD_HOGWILD_CLOCK_AUTO && cfg->mode != ASGD_ENGINE_HOGWILD) {
		snprintf(err, errlen, "hogwild_clock %s is for hogwild mode only (%s mode counts "
				      "its updates in order)", asgd_hogwild_clock_name(cfg->hogwild_clock),
			 asgd_engine_mode_name(cfg->mode) ? asgd_engine_mode_name(cfg->mode) : "?");
		return ASGD_EINVAL;
	}
	if (cfg->schedule.size && (cfg->hogwild_clock == ASGD_HOGWILD_CLOCK_TIMESTAMP)) {
		snprintf(err, errlen, "hogwild_clock timestamp cannot serve a batch schedule, which "
				      "needs each read's version: use counter (or auto)");
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

/* −η g into x, η that of update @r (the slot reserved for it). */
static int write_gradient(struct hogwild *hw, const struct asgd__sparse_grad *sg, uint64_t r)
{
	const double eta = asgd__eta_at(hw->cfg, r);

	if (hw->cfg->hogwild_write != ASGD_HOGWILD_WRITE_CAS) /* another's addition may be lost */
		return asgd__live_sub(hw->x, sg, eta, memory_order_relaxed);
	return asgd__live_sub_cas(hw->x, sg, eta);
}

static int should_stop(const struct hogwild *hw)
{
	return atomic_load_explicit(&hw->done, memory_order_relaxed) ||
	       (hw->cfg->stop && atomic_load_explicit(hw->cfg->stop, memory_order_relaxed));
}

/* The next of this worker's update slots, or iters when the run has none left. */
static uint64_t take_slot(struct hw_worker *w)
{
	const asgd_engine_config *cfg = w->hw->cfg;
	uint64_t chunk = w->hw->chunk, r;

	if (w->slot == w->slot_end) {
		r = atomic_fetch_add_explicit(&w->hw->reserved, chunk, memory_order_relaxed);
		if (r >= cfg->iters)
			return cfg->iters;
		w->slot = r;
		w->slot_end = r + chunk < cfg->iters ? r + chunk : cfg->iters;
	}
	return w->slot++;
}

/* Twice the room in the worker's log; 0 when it cannot grow. Out of line: the common path
 * of log_update then saves no registers. */
static __attribute__((noinline)) int log_grow(struct hw_worker *w)
{
	size_t cap = w->cap ? 2 * w->cap : 4096;
	uint64_t *log = realloc(w->log, cap * w->stride * sizeof(uint64_t));

	if (!log) {
		w->log_lost = 1;
		return 0;
	}
	w->log = log;
	w->cap = cap;
	return 1;
}

/* The write just ended: log what the run's clock needs to know of this update. Per update on
 * every worker: the fields it needs are the worker's own, in locals. */
static inline void log_update(struct hw_worker *w, uint64_t k, uint64_t v, uint64_t t_w)
{
	const size_t stride = w->stride;
	uint64_t *e;

	if (!stride || (w->nlog == w->cap && !log_grow(w)))
		return;
	e = w->log + w->nlog++ * stride;
	if (w->log_count) {
		*e++ = k;
		*e++ = k - v;
	}
	if (w->log_stamp) {
		*e++ = w->t_read;
		/* after the read, and the next read after this write, whatever core runs them */
		*e = w->t_read = t_w > w->t_read ? t_w : w->t_read + 1;
	}
}

/* The write's end on the timestamp clock: right after the write (and its count), before any
 * bookkeeping, since a stamp taken late (a log that grows, a cache miss) would move the write
 * after others that ended in the meantime. 0 when the run does not stamp. */
static uint64_t stamp_write(const struct hogwild *hw)
{
	return hw->stamp ? asgd__stamp(hw->tsc) : 0;
}

/* After update k (the counter's index, or the slot with timestamps): the trajectory row, the
 * end of the run. Returns 0 when the worker should leave. */
static int after_update(struct hw_worker *w, uint64_t k, int finite)
{
	struct hogwild *hw = w->hw;
	const asgd_engine_config *cfg = hw->cfg;
	double *row;

	if (hw->count && k + 1 == cfg->iters)
		atomic_store_explicit(&hw->done, 1, memory_order_relaxed);
	if ((row = asgd__trajectory_row(cfg, k + 1, hw->dim)) != NULL)
		asgd__live_copy(row, hw->x, hw->dim);
	if (!finite) {
		atomic_store_explicit(&hw->diverged, 1, memory_order_relaxed);
		atomic_store_explicit(&hw->done, 1, memory_order_relaxed);
		return 0;
	}
	if (hw->count)
		return k + 1 < cfg->iters;
	return w->slot < w->slot_end || w->slot_end < cfg->iters; /* a slot may be left */
}

/* Steps 4–6 for a computed gradient; returns 0 when the worker should leave. */
static int land_update(struct hw_worker *w, uint64_t v, unsigned batch)
{
	struct hogwild *hw = w->hw;
	const asgd_engine_config *cfg = hw->cfg;
	uint64_t k, r = cfg->iters, t_w;
	int finite;

	if (should_stop(hw) || (r = take_slot(w)) >= cfg->iters) {
		w->discarded++; /* the last completion raises done; the others may still write */
		return 0;
	}
	finite = write_gradient(hw, &w->sg, r);
	k = hw->count ? atomic_fetch_add_explicit(&hw->completed, 1, memory_order_acq_rel) : r;
	t_w = stamp_write(hw);
	w->applied++;
	w->evaluations += batch;
	w->coords += w->sg.nnz;
	log_update(w, k, v, t_w);
	return after_update(w, k, finite);
}

/* ---- combining mode ------------------------------------------------------------------- */

/*
 * The gradient on one whole version: gather and compute between two loads of the sequence; if
 * an update ran in between, compute the same gradient again (the same draws: the stream and the
 * shuffle position are put back) on the version now current. Returns that version v.
 */
static uint64_t compute_whole(struct hw_worker *w, unsigned *batch)
{
	struct hogwild *hw = w->hw;

	for (;;) {
		uint64_t s = atomic_load_explicit(&hw->seq, memory_order_acquire);
		asgd_rng saved = w->rng;
		size_t pos = w->sg.rows.pos;

		if (s & 1) {
			sched_yield(); /* an update is being written: let its writer finish */
			continue;
		}
		*batch = asgd__engine_batch_for(hw->cfg, s / 2);
		/* its loads of x acquire: a value from an update that began after s makes the load
		 * below see that update's odd mark (or later), so a torn read never passes */
		asgd__sparse_grad_compute(&w->sg, hw->cfg->problem, hw->x, *batch, &w->rng);
		if (atomic_load_explicit(&hw->seq, memory_order_relaxed) == s)
			return s / 2;
		w->rng = saved;
		if (w->sg.rows.pos >= pos) /* no new pass began: the same rows again */
			w->sg.rows.pos = pos;
	}
}

/* The update, whole and in lock order; returns 0 when the worker should leave. */
static int land_whole(struct hw_worker *w, uint64_t v, unsigned batch)
{
	struct hogwild *hw = w->hw;
	const asgd_engine_config *cfg = hw->cfg;
	double *row;
	uint64_t k;
	int finite;

	pthread_mutex_lock(&hw->lock);
	k = atomic_load_explicit(&hw->completed, memory_order_relaxed);
	if (should_stop(hw) || k >= cfg->iters) {
		pthread_mutex_unlock(&hw->lock);
		w->discarded++;
		return 0;
	}
	atomic_store_explicit(&hw->seq, 2 * k + 1, memory_order_relaxed);
	/* each store a release: the odd mark before it is visible to whoever reads the value */
	finite = asgd__live_sub(hw->x, &w->sg, asgd__eta_at(cfg, k), memory_order_release);
	atomic_store_explicit(&hw->seq, 2 * k + 2, memory_order_release);
	atomic_store_explicit(&hw->completed, k + 1, memory_order_release);
	if ((row = asgd__trajectory_row(cfg, k + 1, hw->dim)) != NULL)
		asgd__live_copy(row, hw->x, hw->dim);
	if (k + 1 == cfg->iters || !finite)
		atomic_store_explicit(&hw->done, 1, memory_order_relaxed);
	pthread_mutex_unlock(&hw->lock);
	w->applied++;
	w->evaluations += batch;
	w->coords += w->sg.nnz;
	log_update(w, k, v, 0);
	if (!finite) {
		atomic_store_explicit(&hw->diverged, 1, memory_order_relaxed);
		return 0;
	}
	return k + 1 < cfg->iters;
}

/* Hogwild's read: v first (acquire), then the live coordinates, no check. Returns v. */
static uint64_t compute_racy(struct hw_worker *w, unsigned *batch)
{
	struct hogwild *hw = w->hw;
	uint64_t v;

	/* The read begins. Its stamp comes after the counter's load (rdtscp waits for it), as the
	 * write's comes after its count: then a write the counter put before this read has its
	 * stamp before this one too, except when its own stamp is delayed by more than the
	 * counter line's trip between the cores, which is what keeps the two clocks in step. */
	v = hw->count ? atomic_load_explicit(&hw->completed, memory_order_acquire) : 0;
	if (hw->stamp) {
		uint64_t t = asgd__stamp(hw->tsc);

		w->t_read = t > w->t_read ? t : w->t_read;
	}
	*batch = asgd__engine_batch_for(hw->cfg, v);
	asgd__sparse_grad_compute(&w->sg, hw->cfg->problem, hw->x, *batch, &w->rng);
	return v;
}

/* One worker of either mode: read and compute, spend the work, land the update. */
static void *hw_worker_main(void *arg)
{
	struct hw_worker *w = arg;
	struct hogwild *hw = w->hw;
	const int combining = hw->cfg->mode == ASGD_ENGINE_COMBINING;

	asgd_work_thread_setup();
	while (!should_stop(hw)) {
		unsigned batch;
		uint64_t v = combining ? compute_whole(w, &batch) : compute_racy(w, &batch);

		w->computed++;
		asgd__work_tally_spend(&w->work, &hw->cfg->work, &w->rng);
		if (asgd__fault_strike(hw->cfg, w->id, w->computed) == ASGD_FAULT_LEAVE) {
			w->discarded++; /* computed, never written */
			atomic_fetch_add(&hw->left, 1);
			break;
		}
		if (combining ? !land_whole(w, v, batch) : !land_update(w, v, batch))
			break;
	}
	return NULL;
}

/* ---- set-up, run, tear-down -------------------------------------------------------------- */

/* Which clock, what each update logs, how many slots a worker reserves at once. */
static void choose_clock(struct hogwild *hw)
{
	const asgd_engine_config *cfg = hw->cfg;
	uint64_t every = cfg->record_every ? cfg->record_every : 1;

	hw->clock = asgd_hogwild_clock_resolve(cfg);
	hw->count = hw->clock != ASGD_HOGWILD_CLOCK_TIMESTAMP;
	hw->stamp = cfg->record_staleness && hw->clock != ASGD_HOGWILD_CLOCK_COUNTER &&
		    (cfg->workers > 1 || hw->clock == ASGD_HOGWILD_CLOCK_BOTH);
	hw->tsc = hw->stamp && asgd__stamp_clock_init();
	hw->chunk = SLOT_CHUNK;
	if (cfg->fault.kind == ASGD_FAULT_LEAVE)
		hw->chunk = 1;
	else if (!hw->count && cfg->trajectory) /* rows by slot: chunks of at most S/8M */
		hw->chunk = every / (8 * (uint64_t)cfg->workers);
	hw->chunk = hw->chunk < 1 ? 1 : hw->chunk > SLOT_CHUNK ? SLOT_CHUNK : hw->chunk;
}

static int hogwild_init(struct hogwild *hw, const asgd_engine_config *cfg, asgd_engine_result *res)
{
	const double *x0 = cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem);
	unsigned max_batch = asgd__engine_max_batch(cfg);

	pthread_mutexattr_t attr;

	memset(hw, 0, sizeof(*hw));
	/* adaptive: a waiter spins briefly before sleeping, since an update holds it for little */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&hw->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	hw->cfg = cfg;
	hw->res = res;
	hw->dim = asgd_problem_dim(cfg->problem);
	choose_clock(hw);
	atomic_init(&hw->reserved, 0);
	atomic_init(&hw->completed, 0);
	atomic_init(&hw->seq, 0);
	atomic_init(&hw->done, 0);
	atomic_init(&hw->diverged, 0);
	atomic_init(&hw->left, 0);
	/* Zeroed the moment it exists: hogwild_free() frees every worker's buffers, whichever
	 * allocation below fails first, and must never see uninitialised pointers. */
	hw->workers = aligned_alloc(64, cfg->workers * sizeof(struct hw_worker));
	if (!hw->workers)
		return ASGD_ENOMEM;
	memset(hw->workers, 0, cfg->workers * sizeof(struct hw_worker));
	res->x_final = malloc(hw->dim * sizeof(double));
	if (!res->x_final || asgd__live_init(&hw->x, cfg->precision, x0, hw->dim) != ASGD_OK)
		return ASGD_ENOMEM;
	if (cfg->trajectory)
		memcpy(cfg->trajectory, x0, hw->dim * sizeof(double));
	if (asgd__staleness_alloc(cfg, res) != ASGD_OK)
		return ASGD_ENOMEM;
	if (cfg->record_staleness && hw->clock == ASGD_HOGWILD_CLOCK_BOTH &&
	    !(res->tau_timestamp = malloc(cfg->iters * sizeof(uint64_t))))
		return ASGD_ENOMEM;
	for (unsigned i = 0; i < cfg->workers; i++) {
		struct hw_worker *w = &hw->workers[i];

		w->hw = hw;
		w->id = i;
		w->log_count = cfg->record_staleness && hw->count;
		w->log_stamp = hw->stamp;
		w->stride = 2 * (size_t)w->log_count + 2 * (size_t)w->log_stamp;
		/* The same streams as master mode: (replica, worker). */
		asgd_rng_init(&w->rng, cfg->seed, (cfg->replica << 11) | i);
		if (asgd__sparse_grad_init(&w->sg, cfg->problem, max_batch) != ASGD_OK ||
		    asgd__rows_init(&w->sg.rows, cfg, i) != ASGD_OK)
			return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

static int start_threads(struct hogwild *hw, unsigned *started)
{
	for (*started = 0; *started < hw->cfg->workers; (*started)++) {
		struct hw_worker *w = &hw->workers[*started];

		int combining = hw->cfg->mode == ASGD_ENGINE_COMBINING;

		if (asgd__start_thread(&w->thread, hw_worker_main, w, combining ? "asgd-c" : "asgd-h",
				       *started,
				       hw->cfg->pin ? (int)*started : -1)) {
			atomic_store(&hw->done, 1);
			return ASGD_ETHREAD;
		}
	}
	return ASGD_OK;
}

/* Timestamp τ: merge the workers' logs (timestamps.c); with BOTH, into res->tau_timestamp at
 * each update's counter index. */
static int collect_stamps(struct hogwild *hw, unsigned started, asgd_engine_result *res)
{
	struct asgd__stamp_log *logs = calloc(started ? started : 1, sizeof(*logs));
	uint64_t *tau = res->tau, *entry = NULL;
	uint32_t *worker = res->worker;
	int both = hw->clock == ASGD_HOGWILD_CLOCK_BOTH, rc = ASGD_ENOMEM;

	if (both) {
		tau = malloc(res->applied * sizeof(uint64_t) + 1);
		worker = malloc(res->applied * sizeof(uint32_t) + 1);
		entry = malloc(res->applied * sizeof(uint64_t) + 1);
	}
	if (logs && tau && worker && (!both || entry)) {
		for (unsigned i = 0; i < started; i++) {
			const struct hw_worker *w = &hw->workers[i];

			logs[i] = (struct asgd__stamp_log){ w->log, w->nlog, w->stride, w->stride - 2 };
		}
		rc = asgd__tau_from_stamps(logs, started, tau, worker, entry);
	}
	if (rc == ASGD_OK && both) /* from merge order to the counter's */
		for (uint64_t k = 0; k < res->applied; k++) {
			const struct hw_worker *w = &hw->workers[worker[k]];

			res->tau_timestamp[w->log[entry[k] * w->stride]] = tau[k];
		}
	if (both) {
		free(tau);
		free(worker);
		free(entry);
	}
	free(logs);
	return rc;
}

/* τ and the worker of every update into res, from whichever clock the run kept. */
static int collect_staleness(struct hogwild *hw, unsigned started, asgd_engine_result *res)
{
	for (unsigned i = 0; i < started; i++)
		if (hw->workers[i].log_lost)
			return ASGD_ENOMEM;
	if (hw->count)
		for (unsigned i = 0; i < started; i++) {
			const struct hw_worker *w = &hw->workers[i];

			for (size_t e = 0; e < w->nlog; e++) {
				res->tau[w->log[e * w->stride]] = w->log[e * w->stride + 1];
				res->worker[w->log[e * w->stride]] = w->id;
			}
		}
	if (hw->stamp)
		return collect_stamps(hw, started, res);
	if (!hw->count) { /* one worker, no clock: nothing ran between its read and its write */
		memset(res->tau, 0, res->applied * sizeof(uint64_t));
		memset(res->worker, 0, res->applied * sizeof(uint32_t));
	}
	return ASGD_OK;
}

static int collect(struct hogwild *hw, unsigned started, asgd_engine_result *res)
{
	struct asgd__work_tally work = { 0 };

	for (unsigned i = 0; i < started; i++) {
		const struct hw_worker *w = &hw->workers[i];

		res->computed += w->computed;
		res->applied += w->applied;
		res->discarded += w->discarded;
		res->evaluations += w->evaluations;
		res->coords_written += w->coords;
		asgd__work_tally_add(&work, &w->work);
	}
	asgd__work_tally_finish(&work, res);
	res->diverged = atomic_load(&hw->diverged);
	res->workers_left = atomic_load(&hw->left);
	res->starved = !res->diverged && res->applied < hw->cfg->iters &&
		       res->workers_left == started;
	res->interrupted = !res->diverged && !res->starved && res->applied < hw->cfg->iters;
	asgd__check_accounting(res, "hogwild");
	asgd__live_copy(res->x_final, hw->x, hw->dim);
	return res->tau ? collect_staleness(hw, started, res) : ASGD_OK;
}

static void hogwild_free(struct hogwild *hw)
{
	if (hw->workers)
		for (unsigned i = 0; i < hw->cfg->workers; i++) {
			asgd__sparse_grad_free(&hw->workers[i].sg);
			free(hw->workers[i].log);
		}
	free(hw->workers);
	asgd__live_free(&hw->x);
	pthread_mutex_destroy(&hw->lock);
}

int asgd__hogwild_run(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	struct hogwild hw;
	unsigned started = 0;
	double t0;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = hogwild_init(&hw, cfg, res);
	t0 = asgd_now_ns();
	if (rc == ASGD_OK)
		rc = start_threads(&hw, &started);
	for (unsigned i = 0; i < started; i++)
		pthread_join(hw.workers[i].thread, NULL);
	res->wall_s = (asgd_now_ns() - t0) * 1e-9;
	if (rc == ASGD_OK || started > 0) {
		int crc = collect(&hw, started, res);

		rc = rc == ASGD_OK ? crc : rc;
	}
	hogwild_free(&hw);
	if (rc != ASGD_OK)
		asgd_engine_result_free(res);
	return rc;
}
