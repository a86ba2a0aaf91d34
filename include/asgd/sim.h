/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sim.h — the discrete reference processes of docs/MODELS.md §1: ASGD (2.1) with geometric
 * or given staleness, SGD, MSGD (2.6) and mini-batch ASGD (4.1), run as an ensemble of P sample
 * paths whose moments the SMEs are compared with.
 *
 * Every path starts from a constant history (x_{−l} = x_0) and draws from its own stream
 * (seed, p), so the moments are bit-identical for any thread count (asgd/ensemble.h). Staleness
 * is drawn from an alias table (asgd/sampler.h) over τ = 0..H−1 plus one tail cell τ ≥ H, which
 * is truncated to H−1 and counted; H is the smallest power of two with μ^H ≤ 10⁻¹², or less
 * when the horizon is short (then exact: a read before step 0 is x_0 either way).
 */
#ifndef ASGD_SIM_H
#define ASGD_SIM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/ensemble.h"
#include "asgd/model.h"
#include "asgd/problem.h"
#include "asgd/schedule.h"

/* The chance per step above which the geometric history is cut: μ^H ≤ this. */
#define ASGD_SIM_TRUNCATION_EPS 1e-12

/* The largest mini-batch a step may draw (with replacement, so it may exceed n). */
#define ASGD_SIM_MAX_BATCH 1000000u

/* What to simulate. Fields not set must be zero. */
typedef struct asgd_sim_config {
	asgd_model model;          /* ASGD_MODEL_ASGD, _SGD, _MSGD, _MINIBATCH */
	const asgd_problem *problem;
	double eta, mu;            /* mu: staleness (ASGD, minibatch) or momentum mu' (MSGD); ignored for SGD */
	uint64_t iters;            /* K: each path records x_0..x_K (K+1 rows of dim values) */
	uint64_t every;            /* S: only rows k = 0, S, 2S, ... are scored and summed (0 or 1:
				      all); res.ens.moments.stride is S */
	const double *x0;          /* NULL: the preset's */
	const double *tau_pmf;     /* optional (ASGD, minibatch): tau i.i.d. from this pmf over 0..tau_len-1 instead of geometric(mu) */
	size_t tau_len;
	asgd_batch_schedule batch; /* minibatch: B_k components drawn with replacement, all at the same stale read */
	uint64_t paths;            /* P */
	unsigned threads;          /* 0 = all online CPUs */
	uint64_t seed;
	int keep_final;            /* keep each path's x_K (basin fractions) */
	const asgd_observable *observe; /* optional: moments of this observable of x_k, not of x_k */
	const atomic_int *stop;    /* optional: nonzero ends the run, seen within ~0.1 ms of work
				      even inside a long path (res->ens.interrupted) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	size_t history;            /* 0: H automatic (docs/MODELS.md §1); else this H for geometric staleness
				      (tests of the truncation accounting) */
} asgd_sim_config;

/* What came out. */
typedef struct asgd_sim_result {
	asgd_ensemble_result ens;  /* moments over paths, final values, paths_done, interrupted, wall_s, threads */
	size_t history;            /* H: past iterates kept for stale reads */
	double truncation_prob;    /* P(tau >= H) per step (0 when exact: H > K or finite pmf support) */
	uint64_t truncated;        /* tau draws truncated to H-1, over all paths run (0 when exact) */
	double path_steps_per_s;   /* paths_done*iters / wall_s */
} asgd_sim_result;

/*
 * asgd_sim_check_config - validate @cfg without running it.
 * @err: receives a message naming the bad value and what is allowed (may be NULL); @errlen its
 *       size.
 *
 * Checks: a discrete model; a problem; η finite and > 0; μ in [0, 1) where used; K ≥ 1 and
 * (K+1)·dim within 2^31 values; P ≥ 1; a tau pmf only for ASGD or mini-batch, with 1..2^24
 * non-negative finite weights of positive sum; batch sizes in 1..ASGD_SIM_MAX_BATCH, and a
 * schedule only for the mini-batch model. Returns 0 or ASGD_EINVAL.
 */
int asgd_sim_check_config(const asgd_sim_config *cfg, char *err, size_t errlen);

/*
 * asgd_sim_history - the history H that @cfg gets and the truncation chance per step into
 * *@trunc_prob (either pointer may be NULL). Returns H (≥ 1); @cfg must pass the check.
 */
size_t asgd_sim_history(const asgd_sim_config *cfg, double *trunc_prob);

/*
 * asgd_sim_run - run the ensemble described by @cfg into @res.
 *
 * One-dimensional problems take a specialised loop (affine gradients inlined, generator state in
 * registers); the result is the same process. Returns 0 (also when interrupted: see
 * res->ens.interrupted); ASGD_EINVAL for a config that asgd_sim_check_config() rejects;
 * ASGD_ENOMEM; ASGD_ETHREAD. On failure @res holds nothing to free; otherwise free it with
 * asgd_sim_result_free().
 */
int asgd_sim_run(const asgd_sim_config *cfg, asgd_sim_result *res);

/* asgd_sim_result_free - release what a run allocated; NULL is a no-op. */
void asgd_sim_result_free(asgd_sim_result *res);

/*
 * asgd_sim_estimate_s - the expected wall time of asgd_sim_run(@cfg), in seconds: a pilot of one
 * path on one thread, K' = 8, 32, ... steps until it takes 50 ms or K' = K, scaled to K steps and
 * to the paths the busiest thread runs (asgd_ensemble_estimate_s). Returns ASGD_OK, ASGD_EINVAL
 * for a config asgd_sim_check_config() rejects, or what asgd_sim_run() returns (ASGD_EINTR when
 * @cfg->stop ended the pilot).
 */
int asgd_sim_estimate_s(const asgd_sim_config *cfg, double *seconds);

#endif /* ASGD_SIM_H */
