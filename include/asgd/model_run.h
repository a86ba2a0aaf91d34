/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/model_run.h — one model run the way `compare` and `order` put models side by side: a
 * discrete simulator (asgd/sim.h) or an SME (asgd/sme.h) as a Monte Carlo ensemble, and, where
 * the preset is quadratic (asgd_exact_supported), exactly (asgd/exact.h); both as moment tables
 * (asgd/compare.h) ready for asgd_gap_compute().
 *
 * Each model draws from its own streams (a seed derived from the common seed and the model), so
 * that the standard errors of two models' gaps may add in quadrature. When given a directory, the
 * run writes its moments there as soon as each is computed — DIR/moments.csv of the ensemble and
 * DIR/exact.csv of the exact moments — so that the raw power sums need not outlive the run.
 * Prints nothing; no global state.
 */
#ifndef ASGD_MODEL_RUN_H
#define ASGD_MODEL_RUN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/model.h"
#include "asgd/problem.h"

/* What a progress callback is told. */
typedef enum asgd_model_event {
	ASGD_MODEL_PATHS,	/* paths of the model's ensemble done: done of total */
	ASGD_MODEL_DONE,	/* the model's ensemble is over, whatever happened (sent whenever
				   an ensemble was asked for) */
} asgd_model_event;

/* One progress report. */
typedef struct asgd_model_progress {
	asgd_model_event event;
	asgd_model model;
	uint64_t done, total;	/* ASGD_MODEL_PATHS: paths; 0 otherwise */
} asgd_model_progress;

/* What to run. */
typedef struct asgd_model_run_config {
	const asgd_problem *problem;
	asgd_model model;		/* a discrete model or an SME */
	double eta, mu;
	uint64_t iters, paths;		/* paths ≥ 2 for a moment table with standard errors */
	unsigned substeps;		/* Euler–Maruyama substeps per step of an SME */
	unsigned threads;		/* 0: all CPUs */
	asgd_sigma sigma;		/* SME-ASGD's Σ choice; the other SMEs take their default
					   (asgd_sme_default_sigma) */
	uint64_t seed;			/* the common seed; the model's streams derive from it */
	int monte_carlo;		/* run the ensemble */
	int exact;			/* compute the exact moments; skipped without a word where the
					   problem is not quadratic or the stop flag is up */
	const char *dir;		/* NULL, or where the files go (created if missing) */
	const atomic_int *stop;		/* NULL, or a flag that ends the run when nonzero */
	/* NULL, or called as the ensemble goes (with @progress_arg) */
	void (*progress)(void *arg, const asgd_model_progress *p);
	void *progress_arg;
} asgd_model_run_config;

/* What one run gave. */
typedef struct asgd_model_run_result {
	asgd_model model;
	asgd_moment_table mc, exact;	/* valid where have_mc, have_exact */
	int have_mc, have_exact;
	int interrupted;		/* the stop flag ended the ensemble early */
	double *final;			/* paths*dim end points of the ensemble (NaN where a path
					   did not finish), or NULL */
	uint64_t paths_done, nonfinite;
	double wall_s, path_steps_per_s; /* of the ensemble */
	int ran;			/* the ensemble ran: the facts below are set */
	size_t history;			/* discrete: the history H kept for stale reads */
	double truncation_prob;		/* discrete: P(τ ≥ H) per step */
	uint64_t truncated;		/* discrete: τ draws cut to H − 1 */
	asgd_sigma sigma;		/* SME: the Σ choice used */
	uint64_t sigma_clamped;		/* SME: substeps at which Σ was not positive */
	char error[512];		/* why the run was refused ("" otherwise): the directory, or
					   "MODEL: what is wrong with the settings" */
} asgd_model_run_result;

/*
 * asgd_model_run_result_init - an empty result for model @m (nothing run), so that a model
 * never run still has its JSON. @r must not be NULL.
 */
void asgd_model_run_result_init(asgd_model_run_result *r, asgd_model m);

/*
 * asgd_model_run - run @cfg: the ensemble when @cfg->monte_carlo, then the exact moments when
 * @cfg->exact (unless the ensemble failed), into @res (initialised here).
 * Returns 0 — also when the stop flag ended it (res->interrupted, or no exact table) —,
 * ASGD_EINVAL for settings the model refuses or NULL arguments, ASGD_EIO when @cfg->dir cannot
 * be made or a file cannot be written, or ASGD_ENOMEM; res->error says why a run was refused.
 * Whatever the outcome @res holds what was done: free it with asgd_model_run_result_free().
 */
int asgd_model_run(const asgd_model_run_config *cfg, asgd_model_run_result *res);

/* asgd_model_run_result_free - release what @r holds and empty it; NULL is a no-op. */
void asgd_model_run_result_free(asgd_model_run_result *r);

/*
 * asgd_model_run_result_json - @r as a JSON object: where the ensemble ran, a discrete model's
 * "history", "truncation_prob", "truncated" or an SME's "sigma", "sigma_clamped"; then always
 * "paths_done", "nonfinite_paths", "wall_s", "path_steps_per_s", "exact_available".
 * Returns the object (the caller deletes it), or NULL when out of memory.
 */
cJSON *asgd_model_run_result_json(const asgd_model_run_result *r);

#endif /* ASGD_MODEL_RUN_H */
