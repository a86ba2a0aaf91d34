/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.c — the real threaded ASGD engine (master mode); see asgd/engine.h for the contract.
 *
 * The story of one run:
 *   1. The master publishes x_0 as snapshot version 0 and starts M workers.
 *   2. A worker reads the newest snapshot under rcu_read_lock, computes a stochastic gradient
 *      on it, spends its injected work time, and enqueues its gradient slot (one per worker,
 *      so at most one gradient in flight). Then it waits until the master frees the slot.
 *   3. The master checks the stop flag, dequeues slots in arrival order, records τ = k − v,
 *      writes x_{k+1} into a fresh snapshot (the update itself is the copy, so publishing costs
 *      no extra pass over x), publishes it, and only then frees the slot: until then the
 *      worker's version, batch and gradient are the master's to read.
 *   4. Old snapshots are retired in batches of about RETIRE_BYTES (eng->retire_batch of them)
 *      with one call_rcu each; after a grace period they return to a pool the master takes
 *      from, so the steady state allocates nothing.
 *   5. At the end the master marks every slot SHUTDOWN, joins the workers, and counts what is
 *      left in the queue, and what workers computed but never sent, as discarded.
 *
 * With shards (cfg.shards = S ≥ 2) step 3's write of x_{k+1} is split by coordinate blocks
 * (asgd/partition.h): the master fills in the update's operands (a task), bumps a generation
 * counter that S − 1 applier threads wait on, writes block 0 itself, and waits until every
 * applier has counted its block done. Only then does it publish, so the one release store of
 * the snapshot pointer comes after every block's writes: a reader never sees half an update.
 *
 * Waiting is adaptive: spin briefly when every thread has a core, yield a few times, then
 * sleep on a futex. When there are more threads than cores a spinning worker steals the core
 * the master needs, and that too would show up as staleness, so spinning is skipped then.
 */
#ifndef ASGD_TSAN
/* Inline liburcu's fast paths. The TSan build calls them in the library instead, where the
 * sanitizer does not see their internals; publication and hand-off are C11 atomics it checks,
 * and only reclamation is annotated (sync.h). */
#define _LGPL_SOURCE
#endif
#include "asgd/engine.h"
#include "asgd/datamodel.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/compiler.h>
#include <urcu/urcu-memb.h>
#include <urcu/wfcqueue.h>

#include "asgd/error.h"
#include "asgd/partition.h"
#include "asgd/rng.h"
#include "engine_internal.h"
#include "sync.h"

enum slot_state { SLOT_FREE, SLOT_SENT, SLOT_SENT_SLEEPING, SLOT_SHUTDOWN };

/* Snapshots retired per call_rcu: about 1 MiB of them, so that grace periods (each one IPIs
 * every core through membarrier) stay rare whatever the dimension. */
#define RETIRE_BYTES (1u << 20)
#define RETIRE_MIN 8
#define RETIRE_MAX 4096
/* Measured on a 2-core VM (bench/bench_engine): pause-spinning lost to yielding at every M,
 * because a spinner keeps its core from the thread it waits for whenever a third thread (the
 * call_rcu thread, another worker) is runnable. So spinning is off by default; SPIN_ROUNDS
 * applies only when every thread has a core to itself. */
#define SPIN_ROUNDS 0
#define YIELD_ROUNDS 200
#define MASTER_NAP_NS 10000000L /* bounds how late the master notices the stop flag */

struct engine;

struct snapshot {
	struct rcu_head rcu;
	struct snapshot *next; /* link in the pool, a retired batch, or the returned stack */
	struct engine *eng;
	uint64_t version;
	double x[] __attribute__((aligned(64))); /* so that shards' line-aligned blocks share
						    no cache line */
};

/* The operands of one update, for the appliers: written by the master before it bumps the
 * generation, read by them after; quit instead ends them. */
struct apply_task {
	const double *x, *g;
	double *xn;
	uint64_t k;
	int quit;
};

/* One applier thread of a sharded master, owning coordinates [lo, hi) of every update. */
struct applier {
	struct engine *eng;
	size_t lo, hi;
	int finite; /* its block of the last update stayed finite: read by the master after done */
	pthread_t thread;
} __attribute__((aligned(64)));

struct worker {
	struct cds_wfcq_node node;
	atomic_uint state;
	uint32_t id;
	uint64_t version; /* of the snapshot the gradient in g was computed on */
	unsigned batch;   /* components averaged into g: handed to the master with it */
	struct asgd__sparse_grad sg; /* in-place mode: the gradient, sparse */
	struct asgd__rows rows;      /* snapshot mode: the shard under shuffled sampling */
	double *g;
	double *scratch;
	size_t *perm;
	asgd_rng rng;
	uint64_t computed, discarded;
	struct asgd__work_tally work;
	atomic_int gone;  /* set before it leaves the run (a fault): its read is no longer out */
	struct engine *eng;
	pthread_t thread;
} __attribute__((aligned(64)));

struct engine {
	const asgd_engine_config *cfg;
	const asgd_problem *problem;
	size_t dim, n;
	unsigned spin_rounds, yield_rounds;
	unsigned retire_batch;
	_Atomic(struct snapshot *) current; /* published (release); written by the master only */
	struct snapshot *pool;     /* master-private free snapshots */
	struct snapshot *retired;  /* master-private batch awaiting call_rcu */
	unsigned n_retired;
	_Atomic(struct snapshot *) returned; /* reclaimed after a grace period */
	atomic_uint batches_pending;         /* handed to call_rcu, callback not yet run */
	double *velocity;          /* explicit momentum, or NULL */
	struct asgd__live live;    /* in-place mode: the one shared vector; unset otherwise */
	_Atomic uint64_t live_version; /* in-place mode: updates applied to live */
	struct worker *workers;
	atomic_int done;
	atomic_uint live_workers;  /* workers still in their loop: 0 means no gradient can come */
	atomic_uint left;          /* workers that left early (an injected fault) */
	atomic_uint master_sleeping;
	struct __cds_wfcq_head head __attribute__((aligned(64)));
	struct cds_wfcq_tail tail __attribute__((aligned(64)));
	/* Shards: the master does block 0 of part, appliers[s] block s + 1. */
	asgd_partition part;
	struct applier *appliers; /* n_appliers = shards − 1 of them, or NULL */
	unsigned n_appliers, appliers_started;
	unsigned blocks_target;   /* master-private: blocks_done once the current update is whole */
	struct apply_task task;   /* written by the master only while no applier reads it */
	atomic_uint gen __attribute__((aligned(64))); /* tasks handed out (release) */
	atomic_uint gen_sleepers; /* appliers asleep, or about to be, on gen */
	atomic_uint blocks_done __attribute__((aligned(64))); /* blocks finished, mod 2^32 */
	atomic_uint master_waits; /* the master sleeps, or is about to, on blocks_done */
	struct asgd__ssp ssp;     /* bounded staleness: master-private (ssp.c) */
	unsigned ssp_left_seen;   /* departures (eng->left) already taken out of its reads */
};

/* ---- configuration ------------------------------------------------------------------- */

/* Entries above n are allowed (they are capped), zeros are not: asgd_batch_at() returns them. */
static int check_schedule(const asgd_batch_schedule *s, char *err, size_t errlen)
{
	if (!s->size)
		return ASGD_OK;
	if (s->len == 0) {
		snprintf(err, errlen, "the batch schedule has no entries");
		return ASGD_EINVAL;
	}
	for (size_t k = 0; k < s->len; k++)
		if (s->size[k] == 0) {
			snprintf(err, errlen, "batch 0 at k=%zu of the schedule is not allowed: "
					      "each entry must be >= 1", k);
			return ASGD_EINVAL;
		}
	return ASGD_OK;
}

/* Only the snapshot master splits its apply; no shard may be empty. */
static int check_shards(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	size_t dim = asgd_problem_dim(cfg->problem);

	if (cfg->shards <= 1)
		return ASGD_OK;
	if (cfg->mode != ASGD_ENGINE_MASTER) {
		snprintf(err, errlen, "shards %u is not allowed in %s mode: only master mode splits "
				      "its dense apply over applier threads", cfg->shards,
			 asgd_engine_mode_name(cfg->mode));
		return ASGD_EINVAL;
	}
	if (cfg->shards > dim || cfg->shards > ASGD_MAX_SHARDS) {
		snprintf(err, errlen, "shards %u is out of range for %s: allowed 1..%zu (at most the "
				      "dimension %zu, and %d)", cfg->shards,
			 asgd_problem_name(cfg->problem),
			 dim < ASGD_MAX_SHARDS ? dim : (size_t)ASGD_MAX_SHARDS, dim, ASGD_MAX_SHARDS);
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

/* MPI's refusal of the bound, in one place: its master does not hold updates back yet. */
/* MPI: rank 0 holds gradients back; with S ≥ 2 servers the others apply each piece as it
 * arrives, so no one could hold an update back on every server. */
static int check_max_staleness_mpi(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	if (cfg->mpi_servers <= 1)
		return ASGD_OK;
	snprintf(err, errlen, "--max-staleness %llu needs one parameter server: with --servers %u "
			      "the other servers apply each piece as it arrives, and no one could "
			      "hold an update back on all of them", (unsigned long long)cfg->max_staleness,
		 cfg->mpi_servers);
	return ASGD_EINVAL;
}

/* The bound needs a master that knows every read's version and can hold an update back. */
static int check_max_staleness(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	if (cfg->max_staleness == 0)
		return ASGD_OK;
	if (cfg->max_staleness > ASGD_MAX_STALENESS) {
		snprintf(err, errlen, "max_staleness %llu is out of range: allowed 1..%llu (0: "
				      "unbounded)", (unsigned long long)cfg->max_staleness,
			 (unsigned long long)ASGD_MAX_STALENESS);
		return ASGD_EINVAL;
	}
	if (cfg->mode == ASGD_ENGINE_MPI)
		return check_max_staleness_mpi(cfg, err, errlen);
	if (cfg->mode != ASGD_ENGINE_MASTER && cfg->mode != ASGD_ENGINE_MASTER_INPLACE) {
		snprintf(err, errlen, "--max-staleness %llu is not supported in %s mode: it has no "
				      "master to hold an update back (allowed in master and "
				      "master-inplace modes)", (unsigned long long)cfg->max_staleness,
			 asgd_engine_mode_name(cfg->mode));
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

/* f32 lives only where there is one live vector to store (the snapshot master copies dense
 * snapshots; MPI ships doubles), and only for data models, whose tests of exact arithmetic
 * are not the point: presets stay the f64 reference. */
static int check_precision(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	if (!asgd_precision_name(cfg->precision)) {
		snprintf(err, errlen, "precision %d is unknown: allowed f64, f32", (int)cfg->precision);
		return ASGD_EINVAL;
	}
	if (cfg->precision == ASGD_PRECISION_F64)
		return ASGD_OK;
	if (cfg->mode != ASGD_ENGINE_MASTER_INPLACE && cfg->mode != ASGD_ENGINE_HOGWILD &&
	    cfg->mode != ASGD_ENGINE_COMBINING) {
		snprintf(err, errlen, "precision f32 is not allowed in %s mode: allowed in "
				      "master-inplace, hogwild and combining (f64 in every mode)",
			 asgd_engine_mode_name(cfg->mode));
		return ASGD_EINVAL;
	}
	if (!asgd_problem_dataset(cfg->problem)) {
		snprintf(err, errlen, "precision f32 is not allowed for %s, which is not a data "
				      "model: f32 is for models on data (f64 for every problem)",
			 asgd_problem_name(cfg->problem));
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

int asgd_engine_check_config(const asgd_engine_config *cfg, char *err, size_t errlen)
{
	char dummy[8];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!cfg || !cfg->problem) {
		snprintf(err, errlen, "no problem given");
		return ASGD_EINVAL;
	}
	if (cfg->workers < 1 || cfg->workers > ASGD_MAX_WORKERS) {
		snprintf(err, errlen, "workers %u is out of range: allowed 1..%d", cfg->workers,
			 ASGD_MAX_WORKERS);
		return ASGD_EINVAL;
	}
	if (cfg->iters < 1) {
		snprintf(err, errlen, "iters must be at least 1");
		return ASGD_EINVAL;
	}
	if (!isfinite(cfg->eta) || cfg->eta <= 0) {
		snprintf(err, errlen, "eta %g is not allowed: it must be finite and > 0", cfg->eta);
		return ASGD_EINVAL;
	}
	if (!isfinite(cfg->momentum) || cfg->momentum <= -1 || cfg->momentum >= 1) {
		snprintf(err, errlen, "momentum %g is not allowed: it must lie in (-1, 1)",
			 cfg->momentum);
		return ASGD_EINVAL;
	}
	if (cfg->fault.kind != ASGD_FAULT_NONE && cfg->fault.worker >= cfg->workers) {
		snprintf(err, errlen, "the fault strikes worker %u, but there are only %u (ids "
				      "0..%u)", cfg->fault.worker, cfg->workers, cfg->workers - 1);
		return ASGD_EINVAL;
	}
	if (cfg->record_every > cfg->iters) {
		snprintf(err, errlen, "record_every %llu is larger than iters %llu",
			 (unsigned long long)cfg->record_every, (unsigned long long)cfg->iters);
		return ASGD_EINVAL;
	}
	if (!asgd_engine_mode_name(cfg->mode)) {
		snprintf(err, errlen, "mode %d is unknown: allowed master, master-inplace, hogwild, mpi, "
				      "combining",
			 (int)cfg->mode);
		return ASGD_EINVAL;
	}
	if (!asgd_sampling_name(cfg->sampling)) {
		snprintf(err, errlen, "sampling %d is unknown: allowed uniform, shuffle",
			 (int)cfg->sampling);
		return ASGD_EINVAL;
	}
	if (!(cfg->eta_decay == 0 || (cfg->eta_decay > 0 && cfg->eta_decay <= 1))) {
		snprintf(err, errlen, "eta_decay %g is not allowed: 0 (none) or a factor in (0, 1]",
			 cfg->eta_decay);
		return ASGD_EINVAL;
	}
	if (cfg->mode == ASGD_ENGINE_MPI &&
	    (cfg->sampling != ASGD_SAMPLING_UNIFORM || (cfg->eta_decay > 0 && cfg->eta_decay < 1))) {
		snprintf(err, errlen, "shuffled sampling and the epoch decay of eta are not "
				      "implemented in mpi mode: use the threaded modes");
		return ASGD_EINVAL;
	}
	if (!asgd_hogwild_write_name(cfg->hogwild_write)) {
		snprintf(err, errlen, "hogwild_write %d is unknown: allowed racy, cas",
			 (int)cfg->hogwild_write);
		return ASGD_EINVAL;
	}
	if (asgd__hogwild_check_config(cfg, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	if (check_precision(cfg, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	if ((cfg->mode == ASGD_ENGINE_MASTER_INPLACE || cfg->mode == ASGD_ENGINE_HOGWILD ||
	     cfg->mode == ASGD_ENGINE_COMBINING) &&
	    cfg->momentum != 0) {
		snprintf(err, errlen, "momentum %g is not allowed in %s mode, which has no dense "
				      "velocity: use master mode for explicit momentum",
			 cfg->momentum, asgd_engine_mode_name(cfg->mode));
		return ASGD_EINVAL;
	}
	if (cfg->batch > asgd_problem_components(cfg->problem)) {
		snprintf(err, errlen, "batch %u is larger than the %zu components of %s",
			 cfg->batch, asgd_problem_components(cfg->problem),
			 asgd_problem_name(cfg->problem));
		return ASGD_EINVAL;
	}
	if (check_shards(cfg, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	if (check_max_staleness(cfg, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	return check_schedule(&cfg->schedule, err, errlen);
}

/* The names of the engine's enumerations, each value's at its index. */
ASGD__NAMED_ENUM(asgd_engine_mode, asgd_engine_mode, "master", "master-inplace", "hogwild", "mpi",
		 "combining")
ASGD__NAMED_ENUM(asgd_sampling, asgd_sampling, "uniform", "shuffle")
ASGD__NAMED_ENUM(asgd_precision, asgd_precision, "f64", "f32")
ASGD__NAMED_ENUM(asgd_hogwild_write, asgd_hogwild_write, "racy", "cas")

/* ---- snapshots: pool, publication, batched reclamation ------------------------------- */

static struct snapshot *snapshot_get(struct engine *eng)
{
	struct snapshot *s;

	if (!eng->pool)
		eng->pool = atomic_exchange_explicit(&eng->returned, NULL, memory_order_acquire);
	s = eng->pool;
	if (s) {
		eng->pool = s->next;
		return s;
	}
	s = aligned_alloc(64, (sizeof(*s) + eng->dim * sizeof(double) + 63) / 64 * 64);
	if (s)
		s->eng = eng;
	return s;
}

/* call_rcu callback: a grace period has passed, so no worker still reads the batch. */
static void reclaim_batch(struct rcu_head *head)
{
	struct snapshot *first = caa_container_of(head, struct snapshot, rcu);
	struct engine *eng;
	struct snapshot *last = first;
	struct snapshot *top;

	ASGD_TSAN_ACQUIRE(first);
	eng = first->eng;
	for (;;) {
		ASGD_TSAN_ACQUIRE(last);
		if (!last->next)
			break;
		last = last->next;
	}
	top = atomic_load_explicit(&eng->returned, memory_order_relaxed);
	do {
		last->next = top;
	} while (!atomic_compare_exchange_weak_explicit(&eng->returned, &top, first,
							 memory_order_release,
							 memory_order_relaxed));
	/* The last touch of eng: after this the master may free it. */
	atomic_fetch_sub_explicit(&eng->batches_pending, 1, memory_order_release);
}

static void snapshot_retire(struct engine *eng, struct snapshot *old)
{
	old->next = eng->retired;
	eng->retired = old;
	if (++eng->n_retired < eng->retire_batch)
		return;
	atomic_fetch_add_explicit(&eng->batches_pending, 1, memory_order_relaxed);
	ASGD_TSAN_RELEASE(eng->retired);
	urcu_memb_call_rcu(&eng->retired->rcu, reclaim_batch);
	eng->retired = NULL;
	eng->n_retired = 0;
}

/* The master's own view of the newest snapshot: it is the only writer, so relaxed suffices. */
static struct snapshot *snapshot_current(struct engine *eng)
{
	return atomic_load_explicit(&eng->current, memory_order_relaxed);
}

/* x_{k+1} written into s happens before any worker's read of s: the release store pairs with
 * the acquire load in compute_gradient(). No annotation: TSan checks this pairing itself. */
static void snapshot_publish(struct engine *eng, struct snapshot *s)
{
	struct snapshot *old = snapshot_current(eng);

	atomic_store_explicit(&eng->current, s, memory_order_release);
	snapshot_retire(eng, old);
}

static void free_chain(struct snapshot *s)
{
	while (s) {
		struct snapshot *next = s->next;

		free(s);
		s = next;
	}
}

/* Called once no reader is left: wait for our pending callbacks, then free everything.
 * Counting our own batches instead of calling rcu_barrier() keeps the wait to what this
 * engine queued, and keeps liburcu's internal hand-offs, which TSan cannot see, out of it. */
static void snapshots_free_all(struct engine *eng)
{
	const struct timespec nap = { 0, 50000 };

	while (atomic_load_explicit(&eng->batches_pending, memory_order_acquire) > 0)
		nanosleep(&nap, NULL);
	free_chain(eng->retired);
	free_chain(eng->pool);
	free_chain(atomic_exchange(&eng->returned, NULL));
	free(snapshot_current(eng));
}

/* ---- the worker ---------------------------------------------------------------------- */

/* ∇f_γ(x), or the mean over a mini-batch drawn without replacement (engine_common.c). */
static void sample_gradient(struct worker *w, const double *x, unsigned batch)
{
	asgd__dense_grad(w->eng->problem, x, batch, &w->rng, w->perm, &w->rows, w->g, w->scratch);
}

/* In-place mode: v first (acquire), then the live coordinates — every update before v is seen. */
static void compute_gradient_live(struct worker *w)
{
	struct engine *eng = w->eng;

	w->version = atomic_load_explicit(&eng->live_version, memory_order_acquire);
	w->batch = asgd__engine_batch_for(eng->cfg, w->version);
	asgd__sparse_grad_compute(&w->sg, eng->problem, eng->live, w->batch, &w->rng);
	w->computed++;
}

static void compute_gradient(struct worker *w)
{
	struct snapshot *s;

	if (asgd__live_is_set(w->eng->live)) {
		compute_gradient_live(w);
		return;
	}
	urcu_memb_read_lock();
	/* An acquire load, not rcu_dereference: the same mov on x86-64, but a C11 atomic that
	 * ThreadSanitizer sees pair with the master's release store (snapshot_publish), so a broken
	 * publication is reported rather than assumed correct. RCU still guards reclamation. */
	s = atomic_load_explicit(&w->eng->current, memory_order_acquire);
	w->version = s->version;
	w->batch = asgd__engine_batch_for(w->eng->cfg, w->version);
	sample_gradient(w, s->x, w->batch);
	ASGD_TSAN_RELEASE(s); /* our reads happen before the snapshot's reclamation */
	urcu_memb_read_unlock();
	w->computed++;
}

static void wake_master(struct engine *eng)
{
	ASGD_FULL_BARRIER(&eng->master_sleeping); /* pairs with the one in master_nap() */
	if (atomic_load_explicit(&eng->master_sleeping, memory_order_relaxed) &&
	    atomic_exchange(&eng->master_sleeping, 0))
		asgd__futex_wake(&eng->master_sleeping, 1);
}

/* Returns 0 when the run is over; the gradient then counts as discarded. */
static int send_gradient(struct worker *w)
{
	struct engine *eng = w->eng;
	unsigned expected = SLOT_FREE;

	if (atomic_load_explicit(&eng->done, memory_order_acquire) ||
	    !atomic_compare_exchange_strong(&w->state, &expected, SLOT_SENT)) {
		w->discarded++;
		return 0;
	}
	cds_wfcq_node_init(&w->node);
	cds_wfcq_enqueue(&eng->head, &eng->tail, &w->node);
	wake_master(eng);
	return 1;
}

/* Waits until the master took the gradient; returns 0 on shutdown. */
static int wait_taken(struct worker *w)
{
	unsigned i, s;

	for (i = 0; i < w->eng->spin_rounds + w->eng->yield_rounds; i++) {
		s = atomic_load_explicit(&w->state, memory_order_acquire);
		if (s == SLOT_FREE || s == SLOT_SHUTDOWN)
			return s == SLOT_FREE;
		if (i < w->eng->spin_rounds)
			asgd__cpu_relax();
		else
			sched_yield();
	}
	for (;;) {
		s = SLOT_SENT;
		if (atomic_compare_exchange_strong(&w->state, &s, SLOT_SENT_SLEEPING) ||
		    s == SLOT_SENT_SLEEPING)
			asgd__futex_wait(&w->state, SLOT_SENT_SLEEPING, 0);
		else
			return s == SLOT_FREE;
	}
}

/* cfg.slow_worker with a delay: that worker spends it after its work, before each send. */
static int is_straggler(const asgd_engine_config *cfg, uint32_t id)
{
	return cfg->slow_delay.kind != ASGD_WORK_NONE && cfg->slow_worker >= 0 &&
	       (uint32_t)cfg->slow_worker == id;
}

/* An injected fault: out of the run for good. gone is set before the count goes up, so that a
 * master that sees the count (acquire) sees the flag; the wake matters under a staleness bound,
 * where the master may wait for this very worker's gradient. */
static void leave(struct worker *w)
{
	atomic_store_explicit(&w->gone, 1, memory_order_relaxed);
	atomic_fetch_add(&w->eng->left, 1);
	wake_master(w->eng);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct engine *eng = w->eng;

	urcu_memb_register_thread();
	asgd_work_thread_setup();
	/* Under a staleness bound a worker starts as if its gradient were out: it reads only when
	 * the master lets it (ssp_admit). */
	int go = !eng->cfg->max_staleness || wait_taken(w);

	while (go && !atomic_load_explicit(&eng->done, memory_order_acquire)) {
		compute_gradient(w);
		asgd__work_tally_spend(&w->work, &eng->cfg->work, &w->rng);
		if (is_straggler(eng->cfg, w->id))
			asgd_work_do(&eng->cfg->slow_delay, &w->rng);
		if (asgd__fault_strike(eng->cfg, w->id, w->computed) == ASGD_FAULT_LEAVE) {
			w->discarded++; /* computed, never sent */
			leave(w);
			break;
		}
		if (!send_gradient(w) || !wait_taken(w))
			break;
	}
	/* The last worker out wakes the master, which then stops waiting for gradients. */
	if (atomic_fetch_sub_explicit(&eng->live_workers, 1, memory_order_acq_rel) == 1)
		wake_master(eng);
	urcu_memb_unregister_thread();
	return NULL;
}

/* ---- the master ---------------------------------------------------------------------- */

/* No worker is left to send anything (each one that left had no gradient in flight). */
static int starved(struct engine *eng)
{
	return atomic_load_explicit(&eng->live_workers, memory_order_acquire) == 0;
}

static void master_nap(struct engine *eng)
{
	atomic_store(&eng->master_sleeping, 1);
	ASGD_FULL_BARRIER(&eng->master_sleeping);
	if (cds_wfcq_empty(&eng->head, &eng->tail) && !starved(eng))
		asgd__futex_wait(&eng->master_sleeping, 1, MASTER_NAP_NS);
	atomic_store(&eng->master_sleeping, 0);
}

static int stop_requested(const struct engine *eng)
{
	return eng->cfg->stop && atomic_load_explicit(eng->cfg->stop, memory_order_relaxed);
}

/* The hand-off's synchronisation: the worker wrote its gradient, version and batch before its
 * CAS of the slot to SENT (send_gradient), and this acquire load reads that CAS or the worker's
 * later CAS to SENT_SLEEPING, an RMW in the same release sequence. The queue orders the same
 * accesses too, but inside liburcu's assembly, invisible to ThreadSanitizer; this C11 pairing is
 * one it checks (a plain mov on x86-64). Any other state is a bug in the engine. */
static struct worker *taken_gradient(struct worker *w)
{
	unsigned s = atomic_load_explicit(&w->state, memory_order_acquire);

	if (s != SLOT_SENT && s != SLOT_SENT_SLEEPING) {
		fprintf(stderr, "asgd engine: dequeued worker %u in slot state %u\n", w->id, s);
		abort();
	}
	return w;
}

/* Under a staleness bound: a worker left since the master last took departures out of R. */
static int departures_pending(const struct engine *eng)
{
	return eng->ssp.s &&
	       atomic_load_explicit(&eng->left, memory_order_acquire) != eng->ssp_left_seen;
}

/* The next gradient in arrival order, or NULL when the stop flag was raised, every worker
 * left, or (under a staleness bound) some worker left. */
static struct worker *next_gradient(struct engine *eng)
{
	unsigned idle = 0;

	for (;;) {
		struct cds_wfcq_node *node = __cds_wfcq_dequeue_nonblocking(&eng->head, &eng->tail);

		if (node == CDS_WFCQ_WOULDBLOCK) {
			sched_yield(); /* an enqueuer was preempted mid-append */
			continue;
		}
		if (node)
			return taken_gradient(caa_container_of(node, struct worker, node));
		if (stop_requested(eng) || starved(eng) || departures_pending(eng))
			return NULL;
		if (idle < eng->spin_rounds)
			asgd__cpu_relax();
		else if (idle < eng->spin_rounds + eng->yield_rounds)
			sched_yield();
		else
			master_nap(eng);
		idle++;
	}
}

static void release_slot(struct worker *w)
{
	if (atomic_exchange_explicit(&w->state, SLOT_FREE, memory_order_acq_rel) ==
	    SLOT_SENT_SLEEPING)
		asgd__futex_wake(&w->state, 1);
}

/* ---- bounded staleness (asgd/engine.h, "Bounded staleness") ---------------------------- */

/* Let waiting workers read, in turn, while fewer than s + 1 reads are out; @k is the version
 * published now. The slot's release is the permission: the worker then reads ≥ @k. */
static void ssp_admit(struct engine *eng, uint64_t k, asgd_engine_result *res)
{
	int32_t w;

	while ((w = asgd__ssp_admit_one(&eng->ssp, k, res)) >= 0)
		release_slot(&eng->workers[w]);
}

/* Worker @w's gradient became update k − 1, so the version is now @k: its read is no longer
 * out, and it waits for its turn to read again (at once, unless s + 1 others are out). */
static void ssp_applied(struct engine *eng, struct worker *w, uint64_t k, asgd_engine_result *res)
{
	asgd__ssp_applied(&eng->ssp, w->id, k);
	ssp_admit(eng, k, res);
}

/* Workers that left hold no read: out of R, so that nothing waits for them, and their turns
 * go to the waiting. */
static void ssp_departures(struct engine *eng, uint64_t k, asgd_engine_result *res)
{
	eng->ssp_left_seen = atomic_load_explicit(&eng->left, memory_order_acquire);
	for (unsigned w = 0; w < eng->cfg->workers; w++)
		if (atomic_load_explicit(&eng->workers[w].gone, memory_order_relaxed))
			asgd__ssp_gone(&eng->ssp, w);
	ssp_admit(eng, k, res);
}

/* The first held gradient, in arrival order, that may now be update @k; NULL if none. */
static struct worker *ssp_unhold(struct engine *eng, uint64_t k, asgd_engine_result *res)
{
	int32_t w = asgd__ssp_unhold(&eng->ssp, k, res);

	return w >= 0 ? &eng->workers[w] : NULL;
}

/* The next gradient that keeps every τ ≤ s as update @k: a held one that now may, else the
 * next arrival that may; arrivals that may not are held. NULL: stopped or starved. */
static struct worker *ssp_next(struct engine *eng, uint64_t k, asgd_engine_result *res)
{
	int changed = 1; /* k moved (or R shrank) since the held ones were last tried */

	for (;;) {
		struct worker *w = changed ? ssp_unhold(eng, k, res) : NULL;

		changed = 0;
		if (w)
			return w;
		w = next_gradient(eng);
		if (!w && !departures_pending(eng))
			return NULL;
		if (!w) {
			ssp_departures(eng, k, res);
			changed = 1;
			continue;
		}
		if (asgd__ssp_may_apply(&eng->ssp, w->id, k))
			return w;
		asgd__ssp_hold(&eng->ssp, w->id, k, res);
	}
}

/* Coordinates [lo, hi) of x_{k+1} = x_k − η g, or with momentum v_{k+1} = β v_k − η g,
 * x_{k+1} = x_k + v_{k+1} (2.6), written straight into the next snapshot (η that of update k).
 * The same expression per coordinate whichever thread owns it, so sharding changes no bit.
 * Returns 0 when some written coordinate is not finite. */
static int apply_block(struct engine *eng, const struct apply_task *t, size_t lo, size_t hi)
{
	const double eta = asgd__eta_at(eng->cfg, t->k), beta = eng->cfg->momentum;
	const double *x = t->x, *g = t->g;
	double *xn = t->xn;
	unsigned bad = 0;
	size_t j;

	if (!eng->velocity) {
		for (j = lo; j < hi; j++) {
			xn[j] = x[j] - eta * g[j];
			bad |= asgd__not_finite(xn[j]);
		}
	} else {
		for (j = lo; j < hi; j++) {
			eng->velocity[j] = beta * eng->velocity[j] - eta * g[j];
			xn[j] = x[j] + eng->velocity[j];
			bad |= asgd__not_finite(xn[j]);
		}
	}
	return !bad;
}

/* ---- shards: the appliers ----------------------------------------------------------- */

/*
 * The hand-off is two counters. gen counts tasks: the master's increment releases the task it
 * wrote, an applier's acquire load of the new value makes it visible. blocks_done counts finished
 * blocks: an applier's increment releases its block of x_{k+1} and its finite flag, the master's
 * acquire load of the total it expects makes them visible, and publication (release) passes
 * them on to every reader. Sleeping is Dekker-style with seq_cst operations on both sides, which
 * ThreadSanitizer models (it rejects fences): the sleeper registers, then re-reads the counter;
 * the waker bumps the counter, then reads the registration, so one of them sees the other, and
 * the futex re-checks the counter in the kernel.
 */

/* The waits' first phase: poll @word (acquire) through the spin and yield rounds until it is
 * @v (@equal) or is not (!@equal). Returns 1 with its value in *@got, 0 when the rounds ran out. */
static int poll_word(const struct engine *eng, atomic_uint *word, unsigned v, int equal,
		     unsigned *got)
{
	for (unsigned i = 0; i < eng->spin_rounds + eng->yield_rounds; i++) {
		*got = atomic_load_explicit(word, memory_order_acquire);
		if ((*got == v) == equal)
			return 1;
		if (i < eng->spin_rounds)
			asgd__cpu_relax();
		else
			sched_yield();
	}
	return 0;
}

/* Wait until gen moves past @seen; returns the new value. */
static unsigned wait_task(struct engine *eng, unsigned seen)
{
	unsigned g;

	if (poll_word(eng, &eng->gen, seen, 0, &g))
		return g;
	for (;;) {
		atomic_fetch_add(&eng->gen_sleepers, 1);
		if (atomic_load(&eng->gen) == seen)
			asgd__futex_wait(&eng->gen, seen, 0);
		atomic_fetch_sub(&eng->gen_sleepers, 1);
		g = atomic_load_explicit(&eng->gen, memory_order_acquire);
		if (g != seen)
			return g;
	}
}

/* The task in eng->task is ready: wake the appliers. */
static void hand_out(struct engine *eng)
{
	atomic_fetch_add(&eng->gen, 1);
	if (atomic_load(&eng->gen_sleepers))
		asgd__futex_wake(&eng->gen, INT32_MAX);
}

static void block_done(struct engine *eng)
{
	atomic_fetch_add(&eng->blocks_done, 1);
	if (atomic_load(&eng->master_waits))
		asgd__futex_wake(&eng->blocks_done, 1);
}

/* The master waits until blocks_done reaches @target (mod 2^32: it can never pass it). */
static void wait_blocks(struct engine *eng, unsigned target)
{
	unsigned d;

	if (poll_word(eng, &eng->blocks_done, target, 1, &d))
		return;
	for (;;) {
		atomic_store(&eng->master_waits, 1);
		d = atomic_load(&eng->blocks_done);
		if (d != target)
			asgd__futex_wait(&eng->blocks_done, d, 0);
		atomic_store(&eng->master_waits, 0);
		if (atomic_load_explicit(&eng->blocks_done, memory_order_acquire) == target)
			return;
	}
}

static void *applier_main(void *arg)
{
	struct applier *a = arg;
	struct engine *eng = a->eng;
	unsigned seen = 0;

	for (;;) {
		seen = wait_task(eng, seen);
		if (eng->task.quit)
			break;
		a->finite = apply_block(eng, &eng->task, a->lo, a->hi);
		block_done(eng);
	}
	return NULL;
}

/* Update @t split over the shards: block 0 here, the others on the appliers; returns 1 when
 * every block stayed finite. The snapshot is whole when this returns, and not before. */
static int apply_sharded(struct engine *eng, const struct apply_task *t)
{
	size_t lo, hi;
	int finite;

	eng->task = *t;
	hand_out(eng);
	asgd_partition_block(&eng->part, 0, &lo, &hi);
	finite = apply_block(eng, t, lo, hi);
	eng->blocks_target += eng->n_appliers;
	wait_blocks(eng, eng->blocks_target);
	for (unsigned s = 0; s < eng->n_appliers; s++)
		finite &= eng->appliers[s].finite;
	return finite;
}

/* Applier s is pinned to the s-th CPU slot, after the master's (0), before the workers'. */
static int start_appliers(struct engine *eng)
{
	for (unsigned s = 0; s < eng->n_appliers; s++) {
		struct applier *a = &eng->appliers[s];

		if (asgd__start_thread(&a->thread, applier_main, a, "asgd-a", s + 1,
				       eng->cfg->pin ? (int)s + 1 : -1) != ASGD_OK)
			return ASGD_ETHREAD;
		eng->appliers_started++;
	}
	return ASGD_OK;
}

/* After the last update (the master waited for its blocks, so no applier reads the task). */
static void stop_appliers(struct engine *eng)
{
	if (!eng->appliers_started)
		return;
	eng->task.quit = 1;
	hand_out(eng);
	for (unsigned s = 0; s < eng->appliers_started; s++)
		pthread_join(eng->appliers[s].thread, NULL);
}

/* Shards ≥ 2: the partition, and applier s owning block s + 1 (block 0 is the master's). */
static int appliers_init(struct engine *eng)
{
	unsigned shards = eng->cfg->shards;

	if (shards <= 1)
		return ASGD_OK;
	if (asgd_partition_init(&eng->part, eng->dim, shards, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	eng->appliers = aligned_alloc(64, (shards - 1) * sizeof(struct applier));
	if (!eng->appliers)
		return ASGD_ENOMEM;
	memset(eng->appliers, 0, (shards - 1) * sizeof(struct applier));
	eng->n_appliers = shards - 1;
	for (unsigned s = 0; s < eng->n_appliers; s++) {
		eng->appliers[s].eng = eng;
		asgd_partition_block(&eng->part, s + 1, &eng->appliers[s].lo, &eng->appliers[s].hi);
	}
	return ASGD_OK;
}

/* Why next_gradient() came back empty: the stop flag, or no worker left (checked after the
 * queue was found empty, so every gradient sent before the last worker left was applied). */
static void no_gradient(struct engine *eng, asgd_engine_result *res)
{
	if (starved(eng) && !stop_requested(eng))
		res->starved = 1;
	else
		res->interrupted = 1;
}

/* In-place mode: the master is the only writer, so a relaxed load and store per coordinate
 * suffice; the release store of the version publishes the whole update. */
static int apply_update_live(struct engine *eng, const struct asgd__sparse_grad *sg, uint64_t k)
{
	int finite = asgd__live_sub(eng->live, sg, asgd__eta_at(eng->cfg, k), memory_order_relaxed);

	atomic_store_explicit(&eng->live_version, k + 1, memory_order_release);
	return finite;
}

/* Snapshot mode: x_{k+1} written straight into a fresh snapshot, then published. Returns 1, 0
 * when x_{k+1} is not finite, or ASGD_ENOMEM when no snapshot could be had (nothing applied). */
static int apply_snapshot(struct engine *eng, const struct worker *w, uint64_t k)
{
	struct snapshot *next = snapshot_get(eng);
	struct apply_task t;
	int finite;

	if (!next)
		return ASGD_ENOMEM;
	next->version = k + 1;
	t = (struct apply_task){ snapshot_current(eng)->x, w->g, next->x, k, 0 };
	finite = eng->n_appliers ? apply_sharded(eng, &t) : apply_block(eng, &t, 0, eng->dim);
	snapshot_publish(eng, next);
	return finite;
}

/* x_k into its trajectory row, when it has one. */
static void record_row(struct engine *eng, uint64_t k)
{
	double *row = asgd__trajectory_row(eng->cfg, k, eng->dim);

	if (!row)
		return;
	if (asgd__live_is_set(eng->live))
		asgd__live_copy(row, eng->live, eng->dim);
	else
		memcpy(row, snapshot_current(eng)->x, eng->dim * sizeof(double));
}

static int master_loop(struct engine *eng, asgd_engine_result *res)
{
	uint64_t k = 0;

	if (eng->ssp.s)
		ssp_admit(eng, 0, res);
	while (k < eng->cfg->iters) {
		struct worker *w;
		int finite;

		/* Here and not only when the queue runs dry: a master-bound run never finds it empty,
		 * and one relaxed load per update is free beside the update itself. */
		if (stop_requested(eng)) {
			res->interrupted = 1;
			break;
		}
		w = eng->ssp.s ? ssp_next(eng, k, res) : next_gradient(eng);
		if (!w) {
			no_gradient(eng, res);
			break;
		}
		finite = asgd__live_is_set(eng->live) ? apply_update_live(eng, &w->sg, k)
						      : apply_snapshot(eng, w, k);
		if (finite < 0) {
			res->applied = k;
			res->discarded++; /* the gradient in w, dequeued but never applied */
			return ASGD_ENOMEM;
		}
		if (res->tau) {
			res->tau[k] = k - w->version;
			res->worker[k] = w->id;
		}
		res->evaluations += w->batch;
		res->coords_written += asgd__live_is_set(eng->live) ? w->sg.nnz : eng->dim;
		if (eng->ssp.s)
			ssp_applied(eng, w, k + 1, res);
		else
			release_slot(w);
		record_row(eng, ++k);
		if (!finite) {
			res->diverged = 1;
			break;
		}
	}
	res->applied = k;
	return ASGD_OK;
}

/* ---- set-up and tear-down ------------------------------------------------------------ */

static int worker_init(struct engine *eng, struct worker *w, uint32_t id)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->eng = eng;
	w->id = id;
	atomic_init(&w->state, eng->ssp.s ? SLOT_SENT : SLOT_FREE); /* bounded: waits to read */
	atomic_init(&w->gone, 0);
	/* Streams split by (replica, worker): the same seed gives the same samples per worker. */
	asgd_rng_init(&w->rng, eng->cfg->seed, (eng->cfg->replica << 11) | id);
	if (asgd__live_is_set(eng->live))
		return asgd__sparse_grad_init(&w->sg, eng->problem,
					      asgd__engine_max_batch(eng->cfg)) == ASGD_OK
			       ? asgd__rows_init(&w->sg.rows, eng->cfg, id)
			       : ASGD_ENOMEM;
	if (asgd__rows_init(&w->rows, eng->cfg, id) != ASGD_OK)
		return ASGD_ENOMEM;
	w->g = malloc(eng->dim * sizeof(double));
	w->scratch = malloc(eng->dim * sizeof(double));
	w->perm = malloc(eng->n * sizeof(size_t));
	if (!w->g || !w->scratch || !w->perm)
		return ASGD_ENOMEM;
	for (i = 0; i < eng->n; i++)
		w->perm[i] = i;
	return ASGD_OK;
}

static void worker_free(struct worker *w)
{
	asgd__sparse_grad_free(&w->sg);
	asgd__rows_free(&w->rows);
	free(w->g);
	free(w->scratch);
	free(w->perm);
}

/* Worker threads block every signal, so that signals meant for the process reach the master. */
static int start_workers(struct engine *eng, unsigned *started)
{
	for (*started = 0; *started < eng->cfg->workers; (*started)++) {
		struct worker *w = &eng->workers[*started];

		if (asgd__start_thread(&w->thread, worker_main, w, "asgd-w", *started,
				       eng->cfg->pin ? (int)(*started + eng->n_appliers) + 1 : -1) !=
		    ASGD_OK)
			return ASGD_ETHREAD;
	}
	return ASGD_OK;
}

static void stop_workers(struct engine *eng, unsigned started, asgd_engine_result *res)
{
	struct cds_wfcq_node *node;
	unsigned i;

	atomic_store(&eng->done, 1);
	for (i = 0; i < started; i++) {
		struct worker *w = &eng->workers[i];

		if (atomic_exchange(&w->state, SLOT_SHUTDOWN) == SLOT_SENT_SLEEPING)
			asgd__futex_wake(&w->state, 1);
	}
	for (i = 0; i < started; i++)
		pthread_join(eng->workers[i].thread, NULL);
	/* Gradients still queued were computed but never applied. */
	while ((node = __cds_wfcq_dequeue_blocking(&eng->head, &eng->tail)) != NULL)
		res->discarded++;
}

static void collect_worker_counts(struct engine *eng, unsigned started, asgd_engine_result *res)
{
	struct asgd__work_tally work = { 0 };

	for (unsigned i = 0; i < started; i++) {
		const struct worker *w = &eng->workers[i];

		res->computed += w->computed;
		res->discarded += w->discarded;
		asgd__work_tally_add(&work, &w->work);
	}
	res->workers_left = atomic_load(&eng->left);
	asgd__work_tally_finish(&work, res);
	asgd__check_accounting(res, "engine");
}

/* x_0 as snapshot version 0, or as the live vector in in-place mode. */
static int start_vector(struct engine *eng, const double *x0)
{
	if (eng->cfg->mode == ASGD_ENGINE_MASTER_INPLACE) {
		atomic_init(&eng->live_version, 0);
		return asgd__live_init(&eng->live, eng->cfg->precision, x0, eng->dim);
	}
	struct snapshot *s = snapshot_get(eng);

	if (!s)
		return ASGD_ENOMEM;
	s->version = 0;
	s->next = NULL;
	memcpy(s->x, x0, eng->dim * sizeof(double));
	/* Before any worker starts: thread creation orders it, relaxed suffices. */
	atomic_store_explicit(&eng->current, s, memory_order_relaxed);
	return ASGD_OK;
}

/* v_0 = 0, on cache lines like the snapshots, so that shards' blocks of it share none. */
static int velocity_init(struct engine *eng)
{
	size_t bytes = (eng->dim * sizeof(double) + 63) / 64 * 64;

	eng->velocity = aligned_alloc(64, bytes);
	if (!eng->velocity)
		return ASGD_ENOMEM;
	memset(eng->velocity, 0, bytes);
	return ASGD_OK;
}

static int engine_init(struct engine *eng, const asgd_engine_config *cfg, asgd_engine_result *res)
{
	const double *x0 = cfg->x0 ? cfg->x0 : asgd_problem_x0(cfg->problem);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned i;

	memset(eng, 0, sizeof(*eng));
	eng->cfg = cfg;
	eng->problem = cfg->problem;
	eng->dim = asgd_problem_dim(cfg->problem);
	eng->n = asgd_problem_components(cfg->problem);
	eng->spin_rounds = (long)cfg->workers + (cfg->shards > 1 ? cfg->shards : 1) <= ncpu
				   ? SPIN_ROUNDS : 0;
	eng->yield_rounds = YIELD_ROUNDS;
	eng->retire_batch = RETIRE_BYTES / (sizeof(struct snapshot) + eng->dim * sizeof(double));
	eng->retire_batch = eng->retire_batch < RETIRE_MIN ? RETIRE_MIN
			  : eng->retire_batch > RETIRE_MAX ? RETIRE_MAX : eng->retire_batch;
	atomic_init(&eng->current, NULL);
	atomic_init(&eng->returned, NULL);
	atomic_init(&eng->batches_pending, 0);
	atomic_init(&eng->done, 0);
	atomic_init(&eng->live_workers, cfg->workers);
	atomic_init(&eng->left, 0);
	atomic_init(&eng->master_sleeping, 0);
	atomic_init(&eng->gen, 0);
	atomic_init(&eng->gen_sleepers, 0);
	atomic_init(&eng->blocks_done, 0);
	atomic_init(&eng->master_waits, 0);
	__cds_wfcq_init(&eng->head, &eng->tail);

	/* Zeroed the moment it exists: engine_free() frees every worker's buffers, whichever
	 * allocation below fails first, and must never see uninitialised pointers. */
	eng->workers = aligned_alloc(64, cfg->workers * sizeof(struct worker));
	if (!eng->workers)
		return ASGD_ENOMEM;
	memset(eng->workers, 0, cfg->workers * sizeof(struct worker));
	res->x_final = malloc(eng->dim * sizeof(double));
	if (!res->x_final || start_vector(eng, x0) != ASGD_OK)
		return ASGD_ENOMEM;
	if (cfg->trajectory)
		memcpy(cfg->trajectory, x0, eng->dim * sizeof(double));
	if (cfg->momentum != 0 && velocity_init(eng) != ASGD_OK)
		return ASGD_ENOMEM;
	if (asgd__staleness_alloc(cfg, res) != ASGD_OK || appliers_init(eng) != ASGD_OK ||
	    asgd__ssp_init(&eng->ssp, cfg->max_staleness, cfg->workers) != ASGD_OK)
		return ASGD_ENOMEM;
	for (i = 0; i < cfg->workers; i++)
		if (worker_init(eng, &eng->workers[i], i) != ASGD_OK)
			return ASGD_ENOMEM;
	return ASGD_OK;
}

static void engine_free(struct engine *eng, const asgd_engine_config *cfg)
{
	unsigned i;

	if (eng->workers)
		for (i = 0; i < cfg->workers; i++)
			worker_free(&eng->workers[i]);
	free(eng->workers);
	free(eng->appliers);
	free(eng->velocity);
	asgd__ssp_free(&eng->ssp);
	asgd__live_free(&eng->live);
	if (snapshot_current(eng))
		snapshots_free_all(eng);
}

int asgd_engine_run(const asgd_engine_config *cfg, asgd_engine_result *res)
{
	struct engine eng;
	unsigned started = 0;
	cpu_set_t caller_cpus;
	int rc, pinned = 0;
	double t0;

	if (!res || asgd_engine_check_config(cfg, NULL, 0) != ASGD_OK)
		return ASGD_EINVAL;
	if (cfg->mode == ASGD_ENGINE_HOGWILD || cfg->mode == ASGD_ENGINE_COMBINING)
		return asgd__hogwild_run(cfg, res);
	if (cfg->mode == ASGD_ENGINE_MPI)
		return asgd__mpi_master_run(cfg, res);
	memset(res, 0, sizeof(*res));
	if (cfg->pin) /* the calling thread is the master for the run, and gets its mask back */
		pinned = asgd__pin_self(0, &caller_cpus);
	urcu_memb_register_thread(); /* the master calls call_rcu, which reads RCU state */
	rc = engine_init(&eng, cfg, res);
	if (rc == ASGD_OK)
		rc = start_appliers(&eng);
	if (rc == ASGD_OK)
		rc = start_workers(&eng, &started);
	t0 = asgd_now_ns();
	if (rc == ASGD_OK)
		rc = master_loop(&eng, res);
	res->wall_s = (asgd_now_ns() - t0) * 1e-9;
	stop_workers(&eng, started, res);
	res->discarded += eng.ssp.n_held; /* held back, and the run ended first */
	stop_appliers(&eng);
	collect_worker_counts(&eng, started, res);
	if (snapshot_current(&eng) && res->x_final)
		memcpy(res->x_final, snapshot_current(&eng)->x, eng.dim * sizeof(double));
	if (asgd__live_is_set(eng.live) && res->x_final)
		asgd__live_copy(res->x_final, eng.live, eng.dim);
	engine_free(&eng, cfg);
	urcu_memb_unregister_thread();
	if (pinned)
		asgd__unpin_self(&caller_cpus);
	if (rc != ASGD_OK)
		asgd_engine_result_free(res);
	return rc;
}

void asgd_engine_result_free(asgd_engine_result *res)
{
	if (!res)
		return;
	free(res->tau);
	free(res->worker);
	free(res->tau_timestamp);
	free(res->x_final);
	free(res->mpi_shard);
	res->tau = NULL;
	res->worker = NULL;
	res->tau_timestamp = NULL;
	res->x_final = NULL;
	res->mpi_shard = NULL;
}
