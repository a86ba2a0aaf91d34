/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/batch_run.h — the experiment behind `asgd batch`: Section 4's optimal mini-batch schedule
 * (asgd/batchctl.h, docs/MODELS.md §6) for a 1-D quadratic, tested against a constant batch and
 * against the constant batch with the same total number of gradient evaluations — the paper's
 * Figure 8 as numbers — or for a model on data through a 1-D surrogate (docs/MODELS.md §6, "On
 * data"): a the noise-weighted curvature trace(HC)/trace(C) at x* (the hinge loss: λ),
 * Σ = trace C(x*), and the schedules compared on the loss gap f(x_k) − f* instead of
 * E(x_k − x*)².
 *
 * asgd_batch_prepare() solves the control and builds the three schedules with what the control
 * model (4.5) predicts for each; asgd_batch_run() runs each in the discrete simulator (mini-batch
 * ASGD (4.1), components drawn with replacement, staleness μ) and in the real engine (M workers,
 * drawn without replacement, its own staleness μ̂), reduced to E(x_k − x*)² with standard errors
 * at every k. The writers give control.json, schedule.csv, batch.json, batch.csv and curves.csv.
 *
 * The module prints nothing: a progress callback sees the work under way. A raised stop flag ends
 * the run in progress; the runs complete before it are kept and the result is marked partial.
 * Not thread-safe for one result; no global state.
 */
#ifndef ASGD_BATCH_RUN_H
#define ASGD_BATCH_RUN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/advise.h"
#include "asgd/batchctl.h"
#include "asgd/engine.h"
#include "asgd/observe.h"
#include "asgd/problem.h"
#include "asgd/work.h"

/* The three schedules every run compares, in this order (asgd_batch_result.s). */
enum { ASGD_BATCH_OPTIMAL, ASGD_BATCH_CONSTANT, ASGD_BATCH_EQUAL_TOTAL, ASGD_BATCH_NSCHEDULES };

/* γ's default as a fraction of γ*: the batch grows over the last ln(1000)/r of SME time to
 * √1000 ≈ 32 (fig8: from k* ≈ 831 of 1000). */
#define ASGD_BATCH_GAMMA_DIVISOR 1000.0

/* What a progress call reports. */
typedef enum asgd_batch_event {
	ASGD_BATCH_BEGIN = 0,		/* a schedule starts (done = 0) */
	ASGD_BATCH_SIM_GROUP,		/* a group of simulated paths is done (done of total groups) */
	ASGD_BATCH_SIM_END,		/* the groups are over: all done or stopped (not after an
					   error) */
	ASGD_BATCH_REPLICA,		/* an engine replica is done (done of total replicas) */
	ASGD_BATCH_ENGINE_END,		/* the engine's replicas are over, whatever happened */
} asgd_batch_event;

/* One progress report. */
typedef struct asgd_batch_progress {
	asgd_batch_event event;
	int schedule;			/* ASGD_BATCH_OPTIMAL ... */
	const char *name;		/* "optimal", "constant" or "equal-total" */
	uint64_t done, total;		/* groups or replicas; 0 at BEGIN */
} asgd_batch_progress;

/* The experiment. a, σ², x* and x0 come from the problem (asgd_batch_read_problem). */
typedef struct asgd_batch_config {
	const asgd_problem *problem;	/* a 1-D quadratic preset or a model on data; not owned */
	double a, sigma2, xstar, x0;	/* f''(x*), C(x*), the minimizer, the start; on data a and
					   Σ of the surrogate, x* and x0 NAN */
	/* On data (set by asgd_batch_read_problem, but @loss by the caller): */
	int on_data;			/* the measure is the loss gap f(x_k) − f* */
	const asgd_observable *loss;	/* the loss observable of @problem; not owned */
	asgd_advise_local local;	/* `advise`'s a (λ_max) and Σ, and where a comes from */
	double fstar, f0;		/* f(x*) and f(x0) */
	double z0;			/* the control's z(0): 2(f(x0) − f*)/a on data, (x0 − x*)²
					   on a preset */
	double eta;			/* step size > 0 */
	double mu;			/* staleness of the control and of the simulator, in [0, 1) */
	double gamma;			/* the unit cost of extra gradients in (4.5), > 0 */
	int gamma_default;		/* nonzero: ignore @gamma, use γ* / ASGD_BATCH_GAMMA_DIVISOR */
	uint64_t horizon;		/* iterations K, ≥ 1; SME time T = K·√(η(1 − μ)) */
	uint64_t constant;		/* the constant batch to beat, 1..ASGD_SIM_MAX_BATCH */
	uint64_t paths;			/* simulated paths per schedule, ≥ 2 */
	uint64_t replicas;		/* engine runs per schedule; 0: no engine */
	unsigned workers;		/* engine worker threads M */
	unsigned threads;		/* simulator threads, 0 = all CPUs */
	asgd_work work;			/* injected work per gradient in the engine */
	uint64_t seed;			/* seed of the simulator and engine streams */
	int argc;			/* the command line the JSON outputs record ("command_line", */
	char **argv;			/* asgd_report_argv_json): argv[0] the subcommand */
	const atomic_int *stop;		/* NULL, or a flag that ends the runs when nonzero */
	/* NULL, or called as the work goes (with @progress_arg) */
	void (*progress)(void *arg, const asgd_batch_progress *p);
	void *progress_arg;
} asgd_batch_config;

/* What one schedule gave. Curves have K + 1 entries, NAN where not measured. */
typedef struct asgd_batch_outcome {
	const char *name;		/* "optimal", "constant" or "equal-total" */
	uint32_t *size;			/* B_k, K entries */
	double evaluations;		/* Σ_k B_k: component gradients per path */
	double *model;			/* z_k of the control model (4.5) under this schedule; on
					   data its loss gap (a/2)z_k */
	double *model_engine;		/* the same, drawn without replacement as the engine */
	/* the simulator: mini-batch ASGD (4.1), with replacement, at the config's μ */
	int sim_done;			/* every group of paths ran */
	uint64_t sim_paths;		/* the paths in the results */
	double sim_final, sim_final_se;	/* E(x_K − x*)² (on data the loss gap) and its SE, NAN
					   when none ran; the curves likewise */
	double *sim_msd, *sim_se;
	/* the real engine: M workers, without replacement, its own staleness μ̂ */
	int eng_ran, eng_done, eng_diverged;	/* ran at all; all replicas; a replica diverged */
	uint64_t eng_replicas, eng_applied, eng_discarded;
	double eng_final, eng_final_se;	/* E(x_K − x*)² (on data the loss gap) over the complete
					   replicas, its SE */
	double eng_evaluations;		/* component gradients per K updates */
	double eng_wall_s;
	double mu_hat, mu_lo, mu_hi;	/* the fitted staleness and its 95% interval */
	double *eng_msd, *eng_se;
} asgd_batch_outcome;

/* Why asgd_batch_prepare refused a configuration (asgd_batch_result.refused). */
typedef enum asgd_batch_refusal {
	ASGD_BATCH_ACCEPTED = 0,
	ASGD_BATCH_NO_CONTROL,		/* η, μ and K give no control problem */
	ASGD_BATCH_NO_NOISE,		/* γ by default, but Σ = 0 makes γ* = 0 */
	ASGD_BATCH_BAD_GAMMA,		/* γ refused by asgd_batchctl_solve */
	ASGD_BATCH_OOM_SCHEDULES,	/* no memory for the schedules (ASGD_ENOMEM) */
	ASGD_BATCH_OOM_CURVES,		/* no memory for the curves (ASGD_ENOMEM) */
	ASGD_BATCH_TOO_LARGE,		/* the optimal batch would exceed ASGD_SIM_MAX_BATCH */
} asgd_batch_refusal;

/* The control, the schedules and what each gave. Zero it before asgd_batch_prepare. */
typedef struct asgd_batch_result {
	asgd_batchctl ctl;		/* the control at @gamma */
	double gamma;			/* the γ used: the config's, or its default */
	asgd_batch_refusal refused;	/* why asgd_batch_prepare failed; 0 when it did not */
	asgd_batch_outcome s[ASGD_BATCH_NSCHEDULES];
	int interrupted;		/* the stop flag ended a run */
	int partial;			/* not everything ran: interrupted, or a run failed */
	int diverged;			/* a run's end point is not finite (η too large?) */
} asgd_batch_result;

/*
 * asgd_batch_read_problem - a, σ², x* (asgd_theory_from_problem), x0 and z0 of @c->problem into
 * @c. On a model on data (@c->on_data set): x* by asgd_problem_minimizer, a and Σ of the 1-D
 * surrogate, a = asgd_advise_noise_curvature (the hinge loss: λ, asgd_advise_local_of's) and
 * Σ = trace C(x*), f*, f(x0) and z0 = 2(f(x0) − f*)/a, so that the surrogate's loss gap (a/2)z
 * starts at the data's and has its leading-order floor η·trace C(x*)/4 (docs/MODELS.md §6).
 * Returns 0; ASGD_EINVAL for NULL; ASGD_ENOMEM; ASGD_ENOTFOUND when the problem is neither a 1-D
 * quadratic with a > 0 nor a model on data with a known minimizer and positive curvature there
 * (on data @c->fstar then says which: NAN when no minimizer is known, else the curvature).
 */
int asgd_batch_read_problem(asgd_batch_config *c);

/*
 * asgd_batch_engine_config - the engine configuration of @c running the schedule @size (NULL:
 * none, for asgd_engine_check_config), staleness recorded, @c's stop flag, into @out.
 */
void asgd_batch_engine_config(const asgd_batch_config *c, const uint32_t *size,
			      asgd_engine_config *out);

/*
 * asgd_batch_prepare - solve the control for @c (first at γ = 1 for γ* when @c->gamma_default)
 * and build the three schedules into @r: the optimal one, the constant @c->constant, and the
 * constant with the optimal's total (rounded, at least 1); with their totals and the model
 * curves, the measured curves NAN.
 * Returns 0; ASGD_EINVAL for NULL, or when refused (@r->refused says why: NO_CONTROL, NO_NOISE,
 * BAD_GAMMA, TOO_LARGE, checked in that order with the allocations between BAD_GAMMA and
 * TOO_LARGE); ASGD_ENOMEM (@r->refused OOM_SCHEDULES or OOM_CURVES). Free @r with
 * asgd_batch_result_free either way.
 */
int asgd_batch_prepare(const asgd_batch_config *c, asgd_batch_result *r);

/*
 * asgd_batch_run - every schedule of @r, which asgd_batch_prepare filled, in the simulator
 * (@c->paths paths in up to 32 groups, whose spread gives the per-step SE) and then, unless
 * @c->replicas is 0, in the engine; until done, an error or the stop flag. Sets @r->interrupted,
 * @r->partial and @r->diverged; the runs complete so far are kept either way.
 * Returns 0 (a stop is not an error), ASGD_EINVAL for NULL, ASGD_ENOMEM, or the simulator's or
 * engine's error.
 */
int asgd_batch_run(const asgd_batch_config *c, asgd_batch_result *r);

/* asgd_batch_result_free - release what @r holds and zero it; NULL is a no-op. */
void asgd_batch_result_free(asgd_batch_result *r);

/*
 * asgd_batch_control_json - the body of control.json: the settings ("command", "command_line",
 * "preset", "a", "sigma2", "minimizer", "x0", "eta", "mu", "gamma", "gamma_default", "horizon",
 * "constant_batch", "paths", "replicas_requested", "workers", "work", "seed") and "control"
 * (c, dt, T, r, kappa, gamma*, t*, k*, V(z0, 0), the optimal batch's ends and total). @r is
 * one that asgd_batch_prepare accepted. The caller owns the result (cJSON_Delete); cJSON's
 * allocation failures are the caller's to detect (cJSON_InitHooks).
 */
cJSON *asgd_batch_control_json(const asgd_batch_config *c, const asgd_batch_result *r);

/*
 * asgd_batch_result_json - the body of batch.json: asgd_batch_control_json's, then "partial",
 * "wall_s" (@wall_s), "schedules" (per schedule the columns of batch.csv, null where not
 * finite, and "sim_complete", "engine_complete", "engine_diverged") and "machine". Ownership
 * and allocation failures as asgd_batch_control_json.
 */
cJSON *asgd_batch_result_json(const asgd_batch_config *c, const asgd_batch_result *r,
			      double wall_s);

/*
 * asgd_batch_write_schedule_csv - @dir/schedule.csv, atomically: k,batch,u,t of the optimal
 * schedule (u = u*(t), t = kΔt). Returns 0, ASGD_EINVAL (NULL, or a path that does not fit),
 * ASGD_ENOMEM or ASGD_EIO.
 */
int asgd_batch_write_schedule_csv(const asgd_batch_config *c, const asgd_batch_result *r,
				  const char *dir);

/*
 * asgd_batch_write_tables - @dir/batch.csv (one row per schedule, the columns of batch.json's
 * "schedules") and @dir/curves.csv (schedule,k,t,batch,model,model_engine,sim_msd,sim_se,
 * engine_msd,engine_se: one row per schedule and k = 0..K), each atomically. Returns 0 or the
 * first error, as asgd_batch_write_schedule_csv.
 */
int asgd_batch_write_tables(const asgd_batch_config *c, const asgd_batch_result *r,
			    const char *dir);

#endif /* ASGD_BATCH_RUN_H */
