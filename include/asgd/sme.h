/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sme.h — ensembles of the stochastic modified equations: SME-ASGD in its nonlinear (2.11)
 * and linear (2.5) forms, SME-MSGD (2.7) and second-order SME-SGD (3.3), integrated by
 * Euler–Maruyama and recorded at the discrete processes' iterations (docs/MODELS.md §2).
 *
 * Each path starts from the initial data of MODELS.md §2 and moves on its own random stream
 * (seed, p); the ensemble module sums the paths bit-identically for any thread count. In 1-D the
 * integrator is a scalar loop with the stream in registers and a ziggurat normal (asgd/normal.h),
 * specialised for affine gradients; in d > 1 the state is vectors, and the evolving Σ(t) choices
 * carry a d×d matrix per path that is factorised at every substep (O(d³): slow for d = 100, which
 * is why asgd_sme_default_sigma() picks `instant` there; see asgd/sigma.h).
 */
#ifndef ASGD_SME_H
#define ASGD_SME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/ensemble.h"
#include "asgd/geomix.h"
#include "asgd/model.h"
#include "asgd/problem.h"
#include "asgd/schedule.h"

/*
 * How the `instant` and `constant` Σ = C(x) are sampled in d > 1 (docs/MODELS.md §2.1). C is
 * never formed: ξ = (1/√m) Σ_j z_j (∇f_{i_j}(x) − ∇f(x)), z_j i.i.d. N(0, 1), over m rows.
 *   EXACT    every row once (m = n, i_j = j): ξ is exactly N(0, C(x)). On a data model each
 *            ∇f_i through its support: O(nnz + d) a substep and n normals; on a dense problem
 *            the centred sum as before, O(n·d).
 *   SAMPLED  m rows drawn uniformly with replacement: Cov ξ = C(x) exactly (over the rows and
 *            the normals), but ξ is Gaussian only given the rows, a scale mixture of normals.
 *            O(m·nnz/n + d) a substep.
 *   AUTO     EXACT up to ASGD_SME_NOISE_EXACT_MAX_N components, else SAMPLED with
 *            ASGD_SME_NOISE_AUTO_ROWS rows.
 */
typedef enum asgd_sme_noise {
	ASGD_SME_NOISE_AUTO,
	ASGD_SME_NOISE_EXACT,
	ASGD_SME_NOISE_SAMPLED,
} asgd_sme_noise;

#define ASGD_SME_NOISE_EXACT_MAX_N 65536u
#define ASGD_SME_NOISE_AUTO_ROWS 4096u

/* The largest d an evolving Σ (evolve, continuum) is allowed: it carries 4 d×d matrices per
 * thread and factorises one at every substep, O(d³) (d = 1024: 32 MB and ~10⁹ flops a substep). */
#define ASGD_SME_EVOLVING_MAX_DIM 1024u

/* What to integrate. Fields not set must be zero (except as noted). */
typedef struct asgd_sme_config {
	asgd_model model;          /* ASGD_MODEL_SME_ASGD, _SME_ASGD_LINEAR, _SME_MSGD, _SME_SGD,
				      _SME_ASGD_MIXTURE */
	asgd_sigma sigma;          /* must be allowed for the model: asgd_sme_sigma_allowed() */
	const asgd_problem *problem;
	double eta, mu;            /* mu: staleness for SME-ASGD*, momentum mu' for SME-MSGD (eta is
				      then eta'); ignored by SME-SGD; for SME-ASGD-mixture it
				      must be asgd_geomix_mu_bar(mixture), which sets dt */
	const asgd_geomix *mixture; /* the staleness law of sme-asgd-mixture (required there, NULL
				      for every other model) */
	uint64_t iters;            /* records K+1 rows at t_k = k*dt, dt = asgd_model_time_step() */
	uint64_t every;            /* S: only rows k = 0, S, 2S, ... are scored and summed (0 or 1:
				      all); res.ens.moments.stride is S */
	unsigned substeps;         /* Euler–Maruyama substeps per recorded step, >= 1 */
	const double *x0;          /* NULL: the preset's */
	asgd_batch_schedule batch; /* (4.2): the noise covariance divided by B_k on [t_k, t_{k+1}) */
	uint64_t paths;
	unsigned threads;          /* 0: the online CPUs */
	uint64_t seed;
	int keep_final;            /* keep every path's X at t_K (res->ens.final) */
	const asgd_observable *observe; /* optional: moments of this observable of X, not of X */
	const atomic_int *stop;    /* optional: nonzero ends the run, seen within ~0.1 ms of work
				      even inside a long path (res->ens.interrupted) */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	int generic;               /* nonzero: never use the 1-D scalar loop (for tests) */
	asgd_sme_noise noise;      /* instant/constant Σ in d > 1: how C is sampled (0: AUTO) */
	size_t noise_rows;         /* SAMPLED: m ≥ 1 rows a substep; else ignored */
	int dense_noise;           /* nonzero: a data model's C by dense ∇f_i and the centred
				      sum, O(n·d) a substep, as before the row route (for tests) */
} asgd_sme_config;

/* What came out. */
typedef struct asgd_sme_result {
	asgd_ensemble_result ens;  /* moments of X at t_k over the paths done, and the rest */
	double dt;                 /* the recorded step, asgd_model_time_step(model, eta, mu) */
	uint64_t sigma_clamped;    /* substeps, over the paths done, at which Σ was not positive
				      semidefinite and its negative part was clamped to 0 */
	double path_steps_per_s;   /* paths_done*iters*substeps / wall_s */
} asgd_sme_result;

/*
 * asgd_sme_sigma_allowed - whether @model takes the Σ choice @s: sme-asgd all four;
 * sme-asgd-linear evolve (its linear form of (2.5)), constant and instant; sme-asgd-mixture
 * continuum, constant and instant; sme-msgd and sme-sgd constant and instant. Zero for a model
 * that is not an SME.
 */
int asgd_sme_sigma_allowed(asgd_model model, asgd_sigma s);

/*
 * asgd_sme_default_sigma - the default Σ choice of @m on @p: continuum for sme-asgd and
 * sme-asgd-mixture in 1-D, evolve for sme-asgd-linear in 1-D, instant for all three when d > 1
 * (the evolving choices cost O(d³) per substep); instant for sme-msgd and sme-sgd.
 */
asgd_sigma asgd_sme_default_sigma(asgd_model m, const asgd_problem *p);

/*
 * asgd_sme_noise_parse - "exact", "sampled:M" (M ≥ 1) or "auto" into @kind and @rows (0 unless
 * sampled). Returns ASGD_OK or ASGD_EINVAL (outputs untouched).
 */
int asgd_sme_noise_parse(const char *spec, asgd_sme_noise *kind, size_t *rows);

/*
 * asgd_sme_noise_rows - the rows m a substep's noise sums over with @cfg's noise choice on its
 * problem: n for EXACT, noise_rows for SAMPLED, and AUTO resolved.
 */
size_t asgd_sme_noise_rows(const asgd_sme_config *cfg);

/*
 * asgd_sme_check_config - validate @cfg without running it.
 * Writes a message naming the bad field and what is allowed into @err (truncated to @errlen;
 * @err may be NULL). Returns ASGD_OK or ASGD_EINVAL: a NULL config or problem, a model that is not
 * an SME, a Σ choice the model does not take, η not finite and > 0, μ outside [0, 1) (μ = 0 with
 * sme-asgd's evolve, whose (2.12) divides by μ), zero iters, substeps or paths, a batch
 * schedule entry of 0; for sme-asgd-mixture a missing or invalid mixture (asgd_geomix_check) or a
 * μ that differs from asgd_geomix_mu_bar(mixture) by more than 1e-9; a mixture given to another
 * model; an evolving Σ (evolve, continuum) with d > ASGD_SME_EVOLVING_MAX_DIM (the message names
 * its cost); a noise choice out of range, or SAMPLED with noise_rows = 0.
 */
int asgd_sme_check_config(const asgd_sme_config *cfg, char *err, size_t errlen);

/*
 * asgd_sme_run - integrate cfg->paths paths of the SME into @res.
 * Returns ASGD_OK (also when stopped: res->ens.interrupted), ASGD_EINVAL for a config that
 * asgd_sme_check_config() rejects or sizes that overflow, ASGD_ENOMEM, or ASGD_ETHREAD. On
 * failure @res holds nothing to free; on success free it with asgd_sme_result_free().
 */
int asgd_sme_run(const asgd_sme_config *cfg, asgd_sme_result *res);

/*
 * asgd_sme_estimate_s - the expected wall time of asgd_sme_run(@cfg), in seconds: a pilot of
 * one path on one thread, K' = 8, 32, ... recorded steps until it takes 50 ms or K' = K, scaled
 * to K steps and to the paths the busiest thread runs (asgd_ensemble_estimate_s). Costs about
 * 0.1 s. Returns ASGD_OK or what asgd_sme_run() returns (ASGD_EINTR when @cfg->stop ended it).
 */
int asgd_sme_estimate_s(const asgd_sme_config *cfg, double *seconds);

/* asgd_sme_result_free - release what asgd_sme_run() allocated; NULL is a no-op. */
void asgd_sme_result_free(asgd_sme_result *res);

#endif /* ASGD_SME_H */
