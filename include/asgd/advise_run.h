/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/advise_run.h — the `asgd advise` experiment: advice on the explicit momentum (or the step)
 * for M workers, and a real run that tests it.
 *
 * (a) A short real run at the user's setting measures μ̂: staleness depends on M and on the
 *     work per gradient, not on η or β, so the probe measures what the recommendation faces.
 * (b) Curvature a and noise Σ near the minimizer (asgd_advise_local_of).
 * (c) The recommendation of asgd/advise.h: keep M and η, set β so that the total momentum
 *     1 − (1 − μ̂)(1 − β) is (5.6)'s μ_opt; η_opt is reported as the alternative.
 * (d) Both settings in the real engine, R replicas each on the same seed streams, and a verdict
 *     on the measure that says plainly when the recommendation did not help. The measure is
 *     E‖x_K − x*‖² when the iterate is observed (the presets' default), and the loss gap
 *     E f(x_K) − f* when the loss is (data models' default: on data one asks for a low loss, and
 *     ‖x − x*‖ weighs flat directions that do not change the loss as much as steep ones).
 *
 * The stop flag ends the run in progress; what was measured so far stays in the result, marked
 * partial. Not thread-safe for one result; no global state.
 */
#ifndef ASGD_ADVISE_RUN_H
#define ASGD_ADVISE_RUN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/advise.h"
#include "asgd/engine.h"
#include "asgd/observe.h"
#include "asgd/problem.h"
#include "asgd/replicas.h"
#include "asgd/staleness.h"
#include "asgd/table.h"
#include "asgd/work.h"

/* The default target of the E‖x − x*‖² measure, as `asgd sweep`'s. */
#define ASGD_ADVISE_TARGET_MSD 0.02
/* The default target of the loss measure, relative to the optimum: f(x_k) ≤ 1.01 f*. */
#define ASGD_ADVISE_TARGET_LOSS_FACTOR 1.01

/* What the compared runs measure (asgd_advise_result.measure). */
typedef enum asgd_advise_measure {
	ASGD_ADVISE_MSD = 0,		/* E‖x_k − x*‖²: the iterate observed */
	ASGD_ADVISE_LOSS_GAP = 1,	/* E f(x_k) − f*: the loss observed */
} asgd_advise_measure;

/* asgd_advise_measure_name - "msd" or "loss_gap": the stem of the keys and files that hold it. */
const char *asgd_advise_measure_name(asgd_advise_measure m);

/* asgd_advise_measure_label - "E|x_k-x*|^2" or "loss gap f(x_k)-f*", for tables and figures. */
const char *asgd_advise_measure_label(asgd_advise_measure m);

/*
 * asgd_advise_measure_of - the measure of observable @obs (NULL: the iterate) into *@out.
 * Returns 0, or ASGD_EINVAL for an observable that has none here (a coordinate, a projection).
 */
int asgd_advise_measure_of(const asgd_observable *obs, asgd_advise_measure *out);

/* The stages of the experiment that run the engine. */
typedef enum asgd_advise_stage {
	ASGD_ADVISE_PROBE = 0,		/* (a): @probe_replicas runs at the current setting */
	ASGD_ADVISE_CURRENT = 1,	/* (d): @replicas runs at the current setting */
	ASGD_ADVISE_RECOMMENDED = 2,	/* (d): @replicas runs at the recommendation */
} asgd_advise_stage;

/* What a progress call reports. */
typedef enum asgd_advise_event {
	ASGD_ADVISE_BEGIN = 0,		/* a stage starts (done = 0) */
	ASGD_ADVISE_REPLICA = 1,	/* a replica of the stage is done */
	ASGD_ADVISE_END = 2,		/* the stage ended, whatever its outcome */
} asgd_advise_event;

/* One progress report. */
typedef struct asgd_advise_progress {
	asgd_advise_stage stage;
	asgd_advise_event event;
	double beta;			/* the stage's explicit momentum */
	uint64_t done, total;		/* replicas */
} asgd_advise_progress;

/* The experiment: the user's current setting and how much to measure. */
typedef struct asgd_advise_config {
	asgd_problem *problem;		/* its minimizer must be known (asgd_problem_minimizer) */
	const asgd_observable *obs;	/* what is measured (asgd_advise_measure_of): NULL or x for
					   E‖x − x*‖², the loss for f(x) − f*; not owned */
	unsigned workers;
	asgd_work work;			/* injected work per gradient */
	double eta, momentum;		/* the current step and explicit momentum */
	uint64_t probe_replicas;	/* runs of the probe, ≥ 1 */
	uint64_t replicas;		/* runs of each compared setting, ≥ 2 */
	uint64_t iters;			/* updates per run */
	double target;			/* the level for "iterations to reach", on the measured
					   quantity's own scale: E‖x − x*‖², or the loss f itself
					   (not the gap); NAN: the default, ASGD_ADVISE_TARGET_MSD or
					   f*·ASGD_ADVISE_TARGET_LOSS_FACTOR */
	uint64_t seed;			/* the compared runs; the probe uses seed + 1 */
	const atomic_int *stop;		/* NULL, or a flag that ends the experiment when nonzero */
	/* NULL, or called at each stage's begin, after each of its replicas, and at its end */
	void (*progress)(void *arg, const asgd_advise_progress *p);
	void *progress_arg;
	/*
	 * NULL, or called once per compared setting that ran, as soon as it ran, with its name
	 * ("current" or "recommended"), the engine configuration, the replicas and their staleness
	 * (NULL: none measured), to write that setting's run files; an error it returns ends the
	 * experiment with that code.
	 */
	int (*write_run)(void *arg, const char *name, const asgd_engine_config *cfg,
			 const asgd_replicas *t, const asgd_staleness_summary *sum);
	void *write_run_arg;
} asgd_advise_config;

/* One setting run in the real engine: the measure (E‖x_k − x*‖² or the loss gap) over replicas
 * and what it came to. */
typedef struct asgd_advise_outcome {
	const char *name;		/* "current" or "recommended" */
	double eta, beta;
	int ran, diverged, interrupted;
	uint64_t replicas;		/* complete, finite replicas in the curve */
	uint64_t applied;
	double mu_hat;			/* this run's own staleness fit (NAN: none) */
	double *curve, *curve_se;	/* K+1 values of the measure: mean over replicas, its SE */
	size_t steps;
	double final, final_se;		/* the measure at k = K; NAN when not available */
	double k_target, t_target_s;	/* first k at or below the target; NAN: not reached */
	double wall_s, updates_per_s;	/* engine time summed over replicas */
} asgd_advise_outcome;

/* The verdict on the recommendation. */
typedef enum asgd_advise_verdict {
	ASGD_ADVISE_NO_VERDICT = 0,	/* interrupted or failed before both settings ran */
	ASGD_ADVISE_HELPED,		/* recommended final measure lower by more than 2 SE */
	ASGD_ADVISE_NOT_HELPED,
} asgd_advise_verdict;

/* What the experiment measured and concluded. Zero it before asgd_advise_locate. */
typedef struct asgd_advise_result {
	/* (b) near the minimum */
	int have_xstar;			/* the minimizer is known */
	double *xstar;			/* dim values */
	asgd_advise_local local;
	/* what is measured, set by asgd_advise_locate */
	asgd_advise_measure measure;
	double fstar;			/* f(x*) */
	double target;			/* the config's target, or its default */
	int target_default;		/* the default was taken */
	double target_gap;		/* the target on the measure's scale: target − f* for the gap */
	/* (a) the probe */
	int have_probe;
	asgd_staleness_summary probe;
	uint64_t probe_done, probe_applied;
	double probe_wall_s;
	/* (c) the recommendation */
	int have_rec;
	asgd_advise_rec rec;
	double floor_current, floor_rec;	/* 1-D: Ση/(2a(1 − β)); NAN for d > 1 */
	/*
	 * The batch schedule for the recommended setting (1-D): Section 4's optimal control at the
	 * recommended total momentum, γ = γ*·10⁻³ as `asgd batch` uses by default, over the run's
	 * K iterations. Reported, not run: `asgd batch` runs and tests schedules.
	 */
	int have_batch;
	double batch_k_star, batch_gamma_star;
	unsigned batch_final;
	double batch_evaluations;		/* Σ_k B_k over the K iterations */
	/* (d) both settings and the verdict */
	asgd_advise_outcome cur, recd;
	double diff, diff_se;			/* recommended − current final measure, √(se² + se²) */
	/* Early on: both at the first k where either setting reaches the target (NAN: neither
	 * does), which shows a faster transient that a higher floor hides at k = K. */
	double early_k, early_diff, early_se;
	asgd_advise_verdict verdict;
	char verdict_text[512];
	int partial;				/* stopped, or failed: not everything ran */
	double wall_s;				/* of asgd_advise_run */
} asgd_advise_result;

/*
 * asgd_advise_engine_config - the engine configuration of @c's current setting (staleness
 * recorded, @c's stop flag), for checking with asgd_engine_check_config.
 */
void asgd_advise_engine_config(const asgd_advise_config *c, asgd_engine_config *out);

/*
 * asgd_advise_locate - step (b): x* of @c's problem into @r->xstar (have_xstar set when found),
 * a, Σ there into @r->local, and what is measured: the measure of @c->obs, f* and the target.
 * Returns 0; ASGD_ENOMEM; ASGD_EINVAL for an observable without a measure; ASGD_ENOTFOUND when
 * the minimizer is not known (have_xstar 0) or the curvature there is not positive; or
 * asgd_advise_local_of's error. @r keeps what it got either way: free it with
 * asgd_advise_result_free.
 */
int asgd_advise_locate(const asgd_advise_config *c, asgd_advise_result *r);

/*
 * asgd_advise_run - steps (a), (c), (d) in turn, each only when the one before completed, then
 * the verdict, into @r, which asgd_advise_locate filled. A stop is not an error: it returns 0
 * with the stage's outcome interrupted and @r->partial set.
 * Returns 0; ASGD_EINVAL for NULL arguments or @r without x*; ASGD_ENOMEM; an engine error; or
 * @c->write_run's error. @r holds what was measured either way (partial on failure).
 */
int asgd_advise_run(const asgd_advise_config *c, asgd_advise_result *r);

/* asgd_advise_result_free - release what @r holds and zero it; NULL is a no-op. */
void asgd_advise_result_free(asgd_advise_result *r);

/* One compared setting as a row of numbers, NAN where one does not apply. */
typedef struct asgd_advise_row {
	double workers, eta, momentum, total_momentum, model_rho, noise_floor;
	double replicas, diverged, mu_hat, final, final_se, k_target;
	double wall_s, updates_per_s, t_target_s;
} asgd_advise_row;

/* The number of columns of asgd_advise_columns. */
#define ASGD_ADVISE_NCOLUMNS 15

/* The columns of a row (asgd/table.h: counts as integers, the rest as reals), in order: one
 * table for advise.csv and the JSON outcomes. The final measure is "final_msd", "final_msd_se". */
extern const asgd_column asgd_advise_columns[ASGD_ADVISE_NCOLUMNS];

/* The same columns with the final measure named "final_loss_gap", "final_loss_gap_se". */
extern const asgd_column asgd_advise_columns_gap[ASGD_ADVISE_NCOLUMNS];

/* asgd_advise_columns_of - the columns for measure @m. */
const asgd_column *asgd_advise_columns_of(asgd_advise_measure m);

/* asgd_advise_row_of - the row of @s, which is @r->cur or @r->recd, under @c. */
void asgd_advise_row_of(const asgd_advise_config *c, const asgd_advise_result *r,
			const asgd_advise_outcome *s, asgd_advise_row *row);

/*
 * asgd_advise_result_json - advise.json of @r, as the command `asgd advise` ran it (@argc, @argv:
 * its command line, argv[0] the subcommand): "command", "command_line", "settings", "measure"
 * (what the runs measure: "name" msd or loss_gap, "meaning", "fstar"), "measurements" (with
 * "curvature_source": "hessian" or "regulariser"), "recommendation", "outcomes" (the settings
 * that ran, under asgd_advise_columns_of's keys), "verdict", "partial", "wall_s" and "machine". Non-finite numbers are null. The caller owns the result
 * (cJSON_Delete); cJSON's allocation failures are the caller's to detect (cJSON_InitHooks).
 */
cJSON *asgd_advise_result_json(const asgd_advise_config *c, const asgd_advise_result *r,
			       int argc, char **argv);

/*
 * asgd_advise_write_tables - the tables of @r under @c in the directory @dir, each atomically:
 * DIR/<setting>/msd.csv (k,msd,se: E‖x_k − x*‖² over the replicas and its SE) or, for the loss
 * gap, DIR/<setting>/loss_gap.csv (k,loss,loss_gap,se: E f(x_k), E f(x_k) − f*, its SE) for each
 * compared setting with complete replicas (its directory must exist), then advise.csv (a
 * "setting" column, then asgd_advise_columns_of(@r->measure); a line per setting that ran). Returns 0 or the first error
 * (ASGD_EINVAL for NULL arguments or a path that does not fit, ASGD_ENOMEM, ASGD_EIO).
 */
int asgd_advise_write_tables(const char *dir, const asgd_advise_config *c,
			     const asgd_advise_result *r);

#endif /* ASGD_ADVISE_RUN_H */
