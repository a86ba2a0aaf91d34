/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sweep.h — the experiment behind `asgd sweep`: the real threaded engine over a list of
 * worker counts M, and what asynchrony costs at each.
 *
 * For every M this module runs R replicas of the engine from x0 and measures: the fitted
 * staleness μ̂ with its 95% interval beside the queueing prediction 1 − 1/M, the goodness of fit
 * and the throughput; a stationary quantity (each replica's average over k = K/2..K, with its SE
 * across the independent replicas) beside the MSGD that Proposition 1 matches to it (μ' = μ̂,
 * η' = η(1 − μ̂), an ensemble), beside discrete ASGD at μ̂ (the same η, geometric staleness, an
 * ensemble) and, for 1-D quadratics, beside the closed forms (Appendix B, and the fixed points
 * of discrete ASGD and MSGD); and the first iteration, and the wall time, at which the pooled
 * mean reaches a target.
 *
 * The stationary quantity depends on the observable (asgd/observe.h): of x (the paper's presets)
 * it is the spread E‖x − x*‖² about the minimizer; of the loss (data models) it is the mean
 * excess loss E f(x) − f*, f* = f(x*), and the target is a level of E f(x_k) itself.
 * The engine runs as `asgd run`'s default: in place on sparse data (a snapshot per update would
 * copy every feature), the snapshot master otherwise; its rows are the ones scoring the
 * observable can afford (asgd_run_default_stride_observed).
 *
 * The run prints nothing: a per-M callback sees each M's replicas and ensembles while they
 * exist (asgd_sweep_write_m writes their tables in DIR/M<m>/ there), a progress callback sees the
 * work under way; asgd_sweep_result_json() gives sweep.json and asgd_sweep_write_csv() writes
 * sweep.csv, both from one table of columns, so that they always say the same.
 * A raised stop flag ends the current M; the rows of the Ms done before it are kept.
 */
#ifndef ASGD_SWEEP_H
#define ASGD_SWEEP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/engine.h"
#include "asgd/ensemble.h"
#include "asgd/observe.h"
#include "asgd/problem.h"
#include "asgd/replicas.h"
#include "asgd/staleness.h"
#include "asgd/table.h"

/* The most worker counts one sweep takes. */
#define ASGD_SWEEP_MAX_M 64

/* The default target of a loss: this fraction above the optimum, E f(x_k) ≤ f*·(1 + it). */
#define ASGD_SWEEP_LOSS_TARGET_REL 0.01

/* What the stationary columns, and the target, measure. */
typedef enum asgd_sweep_quantity {
	ASGD_SWEEP_MSD,		/* E‖x − x*‖², summed over coordinates; the target is a level of it */
	ASGD_SWEEP_LOSS_GAP,	/* E f(x) − f*, the mean excess loss; the target is a level of
				   E f(x) (the loss itself, not its gap) */
} asgd_sweep_quantity;

/* Where in one M a callback is called. */
typedef enum asgd_sweep_stage {
	ASGD_SWEEP_BEGIN,	/* the M is about to start: nothing has run */
	ASGD_SWEEP_REPLICAS,	/* the engine's replicas: progress (done, total replicas); for the
				   per-M callback, they are done */
	ASGD_SWEEP_REPLICAS_END, /* progress only: the replicas are over (whatever happened) */
	ASGD_SWEEP_MSGD,	/* the MSGD ensemble: progress (done, total paths); for the per-M
				   callback, it is done */
	ASGD_SWEEP_MSGD_END,	/* progress only: the MSGD ensemble is over (whatever happened) */
	ASGD_SWEEP_ASGD,	/* the discrete ASGD ensemble at μ̂: progress (done, total paths);
				   for the per-M callback, it is done */
	ASGD_SWEEP_ASGD_END,	/* progress only: the ASGD ensemble is over (whatever happened) */
} asgd_sweep_stage;

/* What a progress callback is told. */
typedef struct asgd_sweep_progress {
	asgd_sweep_stage stage;
	size_t index;		/* the M's position in the list, from 0 */
	size_t count;		/* the number of Ms */
	unsigned workers;	/* M */
	uint64_t done, total;	/* replicas or paths (stages REPLICAS, MSGD, ASGD; 0 otherwise) */
} asgd_sweep_progress;

/* What the per-M callback sees: pointers valid during the call only. */
typedef struct asgd_sweep_m {
	asgd_sweep_stage stage;			/* BEGIN, REPLICAS, MSGD or ASGD */
	size_t index;				/* the M's position in the list, from 0 */
	const asgd_engine_config *engine;	/* the engine's settings at this M */
	const asgd_replicas *replicas;		/* REPLICAS: the replicas (NULL otherwise) */
	const asgd_staleness_summary *staleness; /* REPLICAS: their fit, or NULL when nothing
						    was applied */
	const asgd_ensemble_result *msgd;	/* MSGD: the ensemble (NULL otherwise) */
	const asgd_ensemble_result *asgd;	/* ASGD: the ensemble (NULL otherwise) */
} asgd_sweep_m;

/* What one sweep does. */
typedef struct asgd_sweep_config {
	const asgd_problem *problem;	/* it must know its minimizer x* */
	const double *xstar;		/* NULL: asgd_problem_minimizer() finds x*; else x* (dim
					   values), for a caller that already solved for it */
	const asgd_observable *observe;	/* NULL or ASGD_OBSERVE_X: the quantity is E‖x − x*‖²;
					   ASGD_OBSERVE_LOSS (of @problem): E f(x) − f*; other
					   kinds are refused */
	const uint64_t *workers;	/* the worker counts, each 1..ASGD_MAX_WORKERS, no repeats */
	size_t nworkers;		/* 1..ASGD_SWEEP_MAX_M */
	asgd_work work;			/* injected work per gradient */
	uint64_t replicas;		/* engine runs from x0 per M, ≥ 1 */
	uint64_t iters;			/* updates per run K, ≥ 1 */
	double eta;			/* step size > 0 */
	double target;			/* the level to reach: of E‖x_k − x*‖², > 0; for the loss,
					   of E f(x_k), > 0, or 0 for the default (1 + 1%)·f*
					   (ASGD_SWEEP_LOSS_TARGET_REL) */
	uint64_t paths;			/* paths per M of each ensemble (MSGD, ASGD), ≥ 1 */
	unsigned threads;		/* ensemble compute threads, 0 = all CPUs */
	uint64_t seed;			/* seed of the engine and ensemble streams */
	uint64_t max_staleness;		/* 0: unbounded; s ≥ 1: the engine keeps τ ≤ s
					   (asgd/engine.h) and the discrete ASGD ensemble draws τ
					   from the geometric law truncated at s fitted at each M
					   (asgd/staleness.h); MSGD and the closed forms keep μ̂ */
	const atomic_int *stop;		/* NULL, or a flag that ends the sweep when nonzero */
	/* NULL, or called as the work goes (with @progress_arg) */
	void (*progress)(void *arg, const asgd_sweep_progress *p);
	void *progress_arg;
	/* NULL, or called at each M's stages BEGIN, REPLICAS, MSGD and ASGD (with @each_arg): 0,
	   or an error code that ends the sweep at that M (the M's row is not kept) */
	int (*each)(void *arg, const asgd_sweep_m *m);
	void *each_arg;
} asgd_sweep_config;

/*
 * One M's results. Every field is a double, NAN where it does not apply, so that one table of
 * columns (asgd_sweep_columns) names them all for CSV and JSON alike. The *_ex2 fields hold the
 * result's quantity: E‖x − x*‖² or, for the loss, the gap E f(x) − f*.
 */
typedef struct asgd_sweep_row {
	double workers, replicas, diverged, applied, wall_s, updates_per_s;
	double mu_hat, mu_lo, mu_hi, mu_queueing, chi2_p, tv, lag1;
	double real_ex2, real_se;		/* the real run's late-half average, SE over replicas */
	double msgd_mu, msgd_eta, msgd_ex2, msgd_se, msgd_exact;
	double appb_ex2, asgd_exact;		/* Appendix B; discrete ASGD's fixed point (E‖x − x*‖²
						   of 1-D quadratics only) */
	double asgd_ex2, asgd_se;		/* the discrete ASGD ensemble at μ̂ */
	double k_target, t_target_s;		/* NAN: not reached */
} asgd_sweep_row;

/* What a sweep measured. */
typedef struct asgd_sweep_result {
	asgd_sweep_config cfg;		/* a copy of the settings (its pointers borrowed) */
	double *xstar;			/* the minimizer the spread is measured about (dim values) */
	asgd_sweep_quantity quantity;	/* what the stationary columns and the target measure */
	double fstar;			/* f(x*), the optimum of the loss */
	double target;			/* the level reached for: cfg.target, or its default */
	int quad1d;			/* a 1-D quadratic: a, sigma2 below give the closed forms */
	double a, sigma2;
	asgd_sweep_row rows[ASGD_SWEEP_MAX_M];
	size_t nrows;			/* the Ms done, in order */
	int partial;			/* the sweep ended before its last M (stop flag or error) */
	int diverged;			/* some row's engine run diverged */
	double wall_s;			/* the whole sweep's wall time */
	unsigned failed_workers;	/* the M at which an error ended the sweep (0: none) */
	asgd_sweep_stage failed_stage;	/* and where: BEGIN the per-M callback at the start,
					   REPLICAS the engine run itself, MSGD the callback after
					   it or the MSGD ensemble, ASGD the ASGD ensemble */
} asgd_sweep_result;

/*
 * asgd_sweep_columns - the columns of asgd_sweep_row for the quantity @q (asgd/table.h: counts
 * as integers, the rest as reals) in their written order; *@n their count. For ASGD_SWEEP_MSD
 * the stationary columns are real_ex2, real_ex2_se, msgd_ex2, msgd_ex2_se, msgd_exact_ex2,
 * appendix_b_ex2, asgd_exact_ex2, asgd_ex2, asgd_ex2_se; for ASGD_SWEEP_LOSS_GAP they are
 * real_gap, real_gap_se, msgd_gap, msgd_gap_se, asgd_gap, asgd_gap_se (no closed forms: they
 * are of E‖x − x*‖²).
 */
const asgd_column *asgd_sweep_columns(asgd_sweep_quantity q, size_t *n);

/* asgd_sweep_quantity_name - "msd" or "loss_gap", as sweep.json's "quantity" says it. */
const char *asgd_sweep_quantity_name(asgd_sweep_quantity q);

/*
 * asgd_sweep_run - sweep the Ms of @cfg in order, a row per M into @res, until the last, an
 * error, or the stop flag (seen by the engine, by the MSGD ensemble and between Ms).
 * Returns 0 (see res->diverged), ASGD_EINTR when the stop flag ended it, ASGD_EINVAL for bad
 * settings (an observable other than x or the loss, or of another problem, among them),
 * ASGD_ENOTFOUND when the problem's minimizer is not known, ASGD_ENOMEM, or the error
 * of the engine, of the ensemble or of @cfg->each (res->failed_workers says at which M). Unless
 * the settings are refused, @res holds the rows of the Ms done on every return: free it with
 * asgd_sweep_result_free().
 */
int asgd_sweep_run(const asgd_sweep_config *cfg, asgd_sweep_result *res);

/* asgd_sweep_result_free - release what @res holds; NULL is a no-op. */
void asgd_sweep_result_free(asgd_sweep_result *res);

/*
 * asgd_sweep_result_json - sweep.json of @res, as the command `asgd sweep` ran it (@argc, @argv:
 * its command line, argv[0] the subcommand): "command", "command_line", the settings ("preset",
 * "dim", "minimizer", "observe", "quantity" ("msd" or "loss_gap"), "quantity_meaning",
 * "optimum_loss" (f(x*)), "eta", "iterations", "work", "replicas_requested", "msgd_paths",
 * "asgd_paths", "seed", "target" (the level used), "target_default" (whether it was the
 * default), "target_meaning", "stationary_from_k", "workers_requested", "quadratic_1d" {a,
 * sigma2} or null), "partial", "diverged", "wall_s", "rows" (objects of the quantity's columns,
 * null where not finite) and "machine". @res is one that asgd_sweep_run filled without refusing its
 * settings. The caller owns the result (cJSON_Delete); NULL when out of memory.
 */
cJSON *asgd_sweep_result_json(const asgd_sweep_result *res, int argc, char **argv);

/*
 * asgd_sweep_write_csv - sweep.csv in the directory @dir, atomically: a header of the column
 * names, then a line per row of @res (asgd_sweep_columns of res->quantity). Returns 0,
 * ASGD_EINVAL for NULL arguments or a path that does not fit, ASGD_ENOMEM, or ASGD_EIO.
 */
int asgd_sweep_write_csv(const char *dir, const asgd_sweep_result *res);

/*
 * asgd_sweep_write_m - the tables of one M in its run directory @dir (which must exist), from a
 * per-M callback's @m, atomically: at stage REPLICAS the real run's moments.csv and staleness.csv
 * (asgd_replicas_write_tables, row k at t = k: the engine has no SME clock); at stage MSGD the
 * ensemble's msgd_moments.csv, at ASGD asgd_moments.csv, when any path is done (all of the
 * observable: f(x_k) for the loss); at BEGIN nothing. Returns 0 or the first
 * error (ASGD_EINVAL for NULL arguments or a path that does not fit, ASGD_ENOMEM, ASGD_EIO).
 */
int asgd_sweep_write_m(const char *dir, const asgd_sweep_m *m);

#endif /* ASGD_SWEEP_H */
