/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_internal.h — what the engine's modes share (engine_common.c): the sparse gradient of a
 * worker that reads a live, concurrently written vector (the in-place master mode of engine.c
 * and the Hogwild mode of engine_hogwild.c), the tally of injected work, starting a worker
 * thread, the accounting check, and the Hogwild entry point.
 *
 * Why the live vector is _Atomic double: in those modes one thread writes a coordinate while
 * another reads it. With a plain double that is a data race, undefined behaviour in C11
 * (5.1.2.4p25), which the compiler may exploit (tearing, re-reading, hoisting a load out of a
 * loop) and ThreadSanitizer rightly reports. A relaxed atomic load or store of an aligned double
 * costs the same single mov on x86-64 and AArch64, and says exactly what Hogwild means: no order,
 * but no torn or invented values.
 *
 * Why a struct asgd__live and not the pointer: under cfg->precision f32 the same vector is
 * _Atomic float (half the bytes, so twice the coordinates per cache line). Exactly one of its
 * two pointers is set for a run, and every read and write of the live vector goes through the
 * asgd__live_* helpers here and in live.c, which branch once per call, not per coordinate, so
 * the modes' code is the same for both precisions and the f64 loops are the ones they were.
 */
#ifndef ASGD_ENGINE_INTERNAL_H
#define ASGD_ENGINE_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/problem.h"
#include "asgd/rng.h"
#include "asgd/work.h"
#include "../core/names_internal.h"

#include <math.h>
#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif
#include <sched.h>

/* The rows a worker visits under ASGD_SAMPLING_SHUFFLE: its shard, in a fresh order each pass
 * (asgd/engine.h). order is NULL under uniform sampling. */
struct asgd__rows {
	size_t *order;
	size_t len, pos;
};

/* Worker @worker's shard of @cfg's rows when it samples by shuffling; nothing (order NULL) when
 * it samples uniformly. ASGD_OK or ASGD_ENOMEM. */
int asgd__rows_init(struct asgd__rows *r, const asgd_engine_config *cfg, unsigned worker);
void asgd__rows_free(struct asgd__rows *r);

/* The next row of the shard, reshuffled (Fisher–Yates from @rng) at the start of each pass. */
size_t asgd__rows_next(struct asgd__rows *r, asgd_rng *rng);

/* The step size of update @k: η, or η·decay^⌊k/n⌋ under an epoch decay. */
static inline double asgd__eta_at(const asgd_engine_config *cfg, uint64_t k)
{
	if (!(cfg->eta_decay > 0 && cfg->eta_decay < 1))
		return cfg->eta;
	return cfg->eta * pow(cfg->eta_decay,
			      (double)(k / asgd_problem_components(cfg->problem)));
}

/* A worker's sparse gradient: nnz (index, value) pairs, indices possibly repeated (a mini-batch
 * concatenates its components' supports; updates add, so repeats are harmless). */
struct asgd__sparse_grad {
	uint32_t *idx;
	double *val;
	double *xs;    /* one component's gathered x */
	size_t *perm;  /* for drawing a mini-batch without replacement */
	struct asgd__rows rows; /* shuffled epochs instead (asgd__rows_init; freed with sg) */
	size_t nnz, cap;
	int prefetch; /* the problem's rows are worth fetching one gradient ahead */
	uint32_t *slot; /* mini-batches: 1 + where coordinate j's sum sits while a batch's entries
			   are merged, 0 elsewhere (all 0 between batches); NULL: not merged */
};

/* The shared vector of the in-place master, Hogwild and combining modes: d under f64, f under
 * f32, the other NULL (both NULL: no live vector, as in snapshot mode). Passed by value: two
 * pointers, in registers. */
struct asgd__live {
	_Atomic double *d;
	_Atomic float *f;
};

/* @dim coordinates from @x0 in @prec: ASGD_OK or ASGD_ENOMEM (free with asgd__live_free). */
int asgd__live_init(struct asgd__live *l, asgd_precision prec, const double *x0, size_t dim);
void asgd__live_free(struct asgd__live *l);

/* 1 when @v is ±∞ or NaN (every exponent bit set). An integer test, so that a loop ORing it
 * over the coordinates it writes carries no floating-point dependency: summing v·0 instead, a
 * 4-cycle addition per coordinate in one chain, cost more than the update itself at d = 100. */
static inline unsigned asgd__not_finite(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return (u & 0x7ff0000000000000u) == 0x7ff0000000000000u;
}

static inline unsigned asgd__not_finite_f(float v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof(u));
	return (u & 0x7f800000u) == 0x7f800000u;
}

static inline int asgd__live_is_set(struct asgd__live l)
{
	return l.d || l.f;
}

/* asgd__live_sub in f32: the new value is computed in double from the float, then rounded to
 * float once; the finiteness probe looks at the float stored, which overflows sooner. */
static inline int asgd__live_sub_f32(_Atomic float *x, const struct asgd__sparse_grad *sg,
				     double eta, memory_order order)
{
	const uint32_t *idx = sg->idx; /* in locals: the atomic stores would reload them */
	const double *val = sg->val;
	const size_t nnz = sg->nnz;
	unsigned bad = 0;

	for (size_t e = 0; e < nnz; e++) {
		_Atomic float *xj = &x[idx[e]];
		float v = (float)(atomic_load_explicit(xj, memory_order_relaxed) - eta * val[e]);

		atomic_store_explicit(xj, v, order);
		bad |= asgd__not_finite_f(v);
	}
	return !bad;
}

/* x −= η g on the support of @sg: a relaxed load and a store of @order per coordinate. Whole
 * when the caller is the only writer (the in-place master, a combining worker holding the
 * lock); Hogwild's racy add otherwise (another writer's addition in between may be lost).
 * Returns 0 when some written value is not finite. */
static inline int asgd__live_sub(struct asgd__live x, const struct asgd__sparse_grad *sg,
				 double eta, memory_order order)
{
	const uint32_t *idx = sg->idx; /* in locals: the atomic stores would reload them */
	const double *val = sg->val;
	const size_t nnz = sg->nnz;
	unsigned bad = 0;

	if (x.f)
		return asgd__live_sub_f32(x.f, sg, eta, order);
	for (size_t e = 0; e < nnz; e++) {
		_Atomic double *xj = &x.d[idx[e]];
		double v = atomic_load_explicit(xj, memory_order_relaxed) - eta * val[e];

		atomic_store_explicit(xj, v, order);
		bad |= asgd__not_finite(v);
	}
	return !bad;
}

/* asgd__live_sub with a relaxed compare-and-swap loop per coordinate, so that no concurrent
 * addition is lost (Hogwild's --hogwild-write cas). */
int asgd__live_sub_cas(struct asgd__live x, const struct asgd__sparse_grad *sg, double eta);

/* x on one component's support into @xs (as double) and its indices into @out_idx: the @s
 * coordinates @idx lists, or 0..s−1 when @idx is NULL (a dense problem). Acquire loads: see
 * add_component in engine_common.c. */
void asgd__live_gather(struct asgd__live live, const uint32_t *idx, size_t s, uint32_t *out_idx,
		       double *xs);

/* Buffers for batches of up to @max_batch components of @p. ASGD_OK or ASGD_ENOMEM. */
int asgd__sparse_grad_init(struct asgd__sparse_grad *sg, const asgd_problem *p,
			   unsigned max_batch);
void asgd__sparse_grad_free(struct asgd__sparse_grad *sg);

/* The mean gradient of @batch components drawn without replacement (or the next @batch rows of
 * sg->rows when it has an order), each on x gathered from @live with relaxed loads. */
void asgd__sparse_grad_compute(struct asgd__sparse_grad *sg, const asgd_problem *p,
			       struct asgd__live live, unsigned batch, asgd_rng *rng);

/* asgd__sparse_grad_compute in two steps, for a worker that must name the coordinates it will
 * read before it reads them (MPI's sparse messages): draw the @batch components into @rows (the
 * draws asgd__sparse_grad_compute makes from @rng, without sg->rows' shuffled order), then the
 * gradient on them, x gathered from @live. */
void asgd__sparse_grad_draw(struct asgd__sparse_grad *sg, const asgd_problem *p, unsigned batch,
			    asgd_rng *rng, size_t *rows);
void asgd__sparse_grad_of_rows(struct asgd__sparse_grad *sg, const asgd_problem *p,
			       struct asgd__live live, const size_t *rows, unsigned batch);

/* ∇f_γ(x) into g for one component γ, or the mean over @batch components drawn without
 * replacement (a partial Fisher–Yates shuffle of @perm, n entries, which stays a permutation
 * between draws), or the next rows of @rows when it is not NULL and has an order; @scratch has
 * dim values. Used by master mode and by MPI workers, so that both draw the same samples from
 * the same stream. */
void asgd__dense_grad(const asgd_problem *p, const double *x, unsigned batch, asgd_rng *rng,
		      size_t *perm, struct asgd__rows *rows, double *g, double *scratch);

/* The largest batch a run can draw: the constant batch, or the schedule's largest entry, at
 * most n. */
unsigned asgd__engine_max_batch(const asgd_engine_config *cfg);

/* The batch of a gradient computed on version @v. */
unsigned asgd__engine_batch_for(const asgd_engine_config *cfg, uint64_t v);

/* The trajectory row that receives x_k: NULL when no trajectory is kept or k is not a multiple
 * of record_every (0 meaning 1). */
static inline double *asgd__trajectory_row(const asgd_engine_config *cfg, uint64_t k, size_t dim)
{
	uint64_t stride = cfg->record_every ? cfg->record_every : 1;

	if (!cfg->trajectory || k % stride != 0)
		return NULL;
	return cfg->trajectory + k / stride * dim;
}

/* Copy @live (dim values) into @x with relaxed loads; from f32, exactly (double holds every
 * float). */
void asgd__live_copy(double *x, struct asgd__live live, size_t dim);

/* The injected work one worker spent: count, sum and sum of squares of its times. */
struct asgd__work_tally {
	uint64_t n;
	double sum, sumsq;
};

/* Spend one work time drawn from @work with @rng (nothing for ASGD_WORK_NONE), and tally it. */
void asgd__work_tally_spend(struct asgd__work_tally *t, const asgd_work *work, asgd_rng *rng);

/* Add @t into @total. */
void asgd__work_tally_add(struct asgd__work_tally *total, const struct asgd__work_tally *t);

/* The realised mean and coefficient of variation into res (NAN when nothing was spent). */
void asgd__work_tally_finish(const struct asgd__work_tally *total, asgd_engine_result *res);

/* Start @fn(@arg) as a thread named PREFIX<id>, with every signal blocked in it, so that
 * process-directed signals reach the caller; pinned to the @slot-th CPU this process may use
 * (round-robin) when @slot ≥ 0. ASGD_OK or ASGD_ETHREAD. */
int asgd__start_thread(pthread_t *thread, void *(*fn)(void *), void *arg, const char *prefix,
		       unsigned id, int slot);

/* Pin the calling thread to the @slot-th CPU this process may use (round-robin), keeping its
 * previous mask in *@old for asgd__unpin_self. Returns 1 when it pinned, 0 when it could not. */
int asgd__pin_self(int slot, cpu_set_t *old);
void asgd__unpin_self(const cpu_set_t *old);

/* What the fault of @cfg does to a worker with id @id that has just computed its @computed-th
 * gradient: ASGD_FAULT_NONE (carry on), ASGD_FAULT_STALL (after having slept) or
 * ASGD_FAULT_LEAVE (the caller must count the gradient discarded and leave). */
asgd_fault_kind asgd__fault_strike_slow(const asgd_engine_config *cfg, unsigned id,
					uint64_t computed);

static inline asgd_fault_kind asgd__fault_strike(const asgd_engine_config *cfg, unsigned id,
						 uint64_t computed)
{
	/* Per gradient, on every worker: the common case (no fault) costs one compare. */
	if (cfg->fault.kind == ASGD_FAULT_NONE)
		return ASGD_FAULT_NONE;
	return asgd__fault_strike_slow(cfg, id, computed);
}

/* With cfg->record_staleness, room in res for the τ and the worker of every update:
 * ASGD_OK or ASGD_ENOMEM (what was allocated is freed by asgd_engine_result_free). */
int asgd__staleness_alloc(const asgd_engine_config *cfg, asgd_engine_result *res);

/* computed = applied + discarded, or abort naming @who: a broken invariant is a bug in the
 * engine, not a condition to handle. */
void asgd__check_accounting(const asgd_engine_result *res, const char *who);

/* asgd_engine_run() for ASGD_ENGINE_MPI, on rank 0 (mpi.c). */
int asgd__mpi_master_run(const asgd_engine_config *cfg, asgd_engine_result *res);

/* The part of asgd_engine_check_config() about Hogwild's own fields (the write, the clock). */
int asgd__hogwild_check_config(const asgd_engine_config *cfg, char *err, size_t errlen);

/* asgd_engine_run() for ASGD_ENGINE_HOGWILD, after the configuration was checked. */
int asgd__hogwild_run(const asgd_engine_config *cfg, asgd_engine_result *res);

/* ---- Hogwild's staleness from timestamps (timestamps.c) ---------------------------------- */

/* Nonzero when the CPU has a TSC that is one clock for every core (an invariant TSC): read it
 * with asgd__stamp(1); otherwise asgd__stamp(0), CLOCK_MONOTONIC. */
int asgd__stamp_clock_init(void);
uint64_t asgd__stamp_slow(void);

/* A timestamp, taken after every earlier instruction of this thread has executed (rdtscp waits
 * for them, the stores of a write included). */
static inline uint64_t asgd__stamp(int tsc)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned aux;

	if (tsc)
		return __rdtscp(&aux);
#else
	(void)tsc;
#endif
	return asgd__stamp_slow();
}

/* One worker's updates in write order: entry i's read time t_r at entries[i·stride + offset],
 * its write time t_w right after it, with t_w(i−1) ≤ t_r(i) < t_w(i): each read begins after
 * the worker's previous write ended, and each write ends after its read began. */
struct asgd__stamp_log {
	const uint64_t *entries;
	size_t n, stride, offset;
};

/* Merge the logs of @workers workers into write order: update k's τ (the writes between its
 * read and its write), its worker and, when @entry is not NULL, its index in that worker's log.
 * Each output has as many entries as the logs together. ASGD_OK or ASGD_ENOMEM. */
int asgd__tau_from_stamps(const struct asgd__stamp_log *logs, unsigned workers, uint64_t *tau,
			  uint32_t *worker, uint64_t *entry);

/* ---- bounded staleness: the master's books (ssp.c; asgd/engine.h, "Bounded staleness") ---- */

enum asgd__ssp_state { ASGD__SSP_WAITING, ASGD__SSP_OUT, ASGD__SSP_HELD, ASGD__SSP_GONE };

struct asgd__ssp {
	uint64_t s;            /* the bound; 0: off */
	unsigned workers;
	unsigned n_out;        /* |R|: outstanding reads, held ones included */
	int32_t head, tail;    /* R, oldest first; −1: empty */
	int32_t *prev, *next;  /* R's links, by worker id */
	uint64_t *L;           /* the version a worker was let read at (in R) */
	uint64_t *since;       /* when its gradient was held, or it began to wait to read */
	uint8_t *state;        /* enum asgd__ssp_state, by worker id */
	uint32_t *held;        /* held gradients' workers, in arrival order */
	unsigned n_held;
	uint32_t *waiting;     /* workers waiting to read, a FIFO ring of capacity workers */
	unsigned wait_head, n_waiting;
};

/* Books for bound @s (0: off, nothing allocated) over @workers, every one waiting its turn to
 * read x_0. ASGD_OK or ASGD_ENOMEM (free with asgd__ssp_free either way). */
int asgd__ssp_init(struct asgd__ssp *p, uint64_t s, unsigned workers);
void asgd__ssp_free(struct asgd__ssp *p);

/* The next waiting worker that may read now, at version @k (it joins R: the caller lets it
 * read), counting a delayed read into @res; −1 when none may (none waits, or s + 1 are out). */
int32_t asgd__ssp_admit_one(struct asgd__ssp *p, uint64_t k, asgd_engine_result *res);

/* Worker @w's gradient was applied and the version is now @k: its read leaves R, and it waits
 * its turn to read again (call asgd__ssp_admit_one). */
void asgd__ssp_applied(struct asgd__ssp *p, uint32_t w, uint64_t k);

/* Worker @w left the run: if its read was out it leaves R (returns 1; admit others). */
int asgd__ssp_gone(struct asgd__ssp *p, uint32_t w);

/* Whether worker @w's gradient may be update @k: R without it stays schedulable from k + 1. */
int asgd__ssp_may_apply(const struct asgd__ssp *p, uint32_t w, uint64_t k);

/* Hold worker @w's gradient, which arrived when @k updates were applied. */
void asgd__ssp_hold(struct asgd__ssp *p, uint32_t w, uint64_t k, asgd_engine_result *res);

/* The first held gradient, in arrival order, that may now be update @k (no longer held); −1
 * if none. */
int32_t asgd__ssp_unhold(struct asgd__ssp *p, uint64_t k, asgd_engine_result *res);

#endif /* ASGD_ENGINE_INTERNAL_H */
