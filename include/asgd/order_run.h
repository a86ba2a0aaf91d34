/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/order_run.h — the experiment behind `asgd order`: does the gap between discrete ASGD and
 * SME-ASGD shrink as Theorem 3 says, like Δt/(1−μ)?
 *
 * η is halved H times at fixed μ and fixed SME time horizon T, so Δt = √(η(1−μ)) shrinks by √2
 * each time and the iteration count round(T/Δt) grows by √2. At each η (a rung of the ladder) the
 * largest gaps in mean and second moment between ASGD and SME-ASGD are measured — exactly (no
 * Monte Carlo error) where the problem is quadratic, from ensembles otherwise — and the order p
 * of gap ∝ Δtᵖ is fitted by least squares on the log–log points (asgd_order_fit) over the rungs
 * whose mean gap is not within noise. Theorem 3 bounds the strong error by K_T Δt/(1−μ), so a
 * weak gap of order ≥ 1 is consistent with it; the ratio gap/(Δt/(1−μ)) estimates K_T.
 * Prints nothing; no global state.
 */
#ifndef ASGD_ORDER_RUN_H
#define ASGD_ORDER_RUN_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/model_run.h"

/* The most halvings of η one ladder takes. */
#define ASGD_ORDER_MAX_HALVINGS 8

struct asgd_order_result;

/* What to measure. */
typedef struct asgd_order_config {
	asgd_model_run_config run;	/* the common settings, run.eta the largest step; model,
					   iters, monte_carlo, exact and dir are set per rung */
	unsigned halvings;		/* 1..ASGD_ORDER_MAX_HALVINGS: halvings + 1 rungs */
	double horizon;			/* the SME time T > 0 of every rung */
	int monte_carlo;		/* ensembles even where exact moments exist */
	/* NULL, or called after each rung measured, whatever the outcome (with @rung_arg): @res
	   holds the rungs so far, and res->error why a model's run was refused, if it was */
	void (*rung_end)(void *arg, const struct asgd_order_result *res, unsigned j);
	void *rung_arg;
} asgd_order_config;

/* One η of the ladder. */
typedef struct asgd_order_rung {
	double eta, dt;			/* η_j = η/2ʲ, Δt_j = √(η_j(1−μ)) */
	uint64_t iters;			/* round(T/Δt_j), at least 1 */
	asgd_gap gap;			/* SME-ASGD against ASGD */
	int ok;				/* measured: both runs complete and the gap computed */
	int exact;			/* from exact moments */
	int noisy;			/* the mean gap is within 2 standard errors of zero */
} asgd_order_rung;

/* What the ladder measured. */
typedef struct asgd_order_result {
	double mu, horizon;
	unsigned halvings, n;		/* n = halvings + 1 rungs; those not reached have ok = 0 */
	asgd_order_rung rungs[ASGD_ORDER_MAX_HALVINGS + 1];
	double mean_order, mean_order_se;	/* fitted order of the mean gap in Δt (NAN: none) */
	double second_order, second_order_se;	/* of the absolute second-moment gap */
	char error[512];		/* why a model's run was refused ("" otherwise) */
} asgd_order_result;

/*
 * asgd_order_run - measure the rungs of @cfg in order, until the last, a failure, or the stop
 * flag, then fit the orders over the rungs measured. Returns 0 (also when stopped), ASGD_EINVAL
 * for NULL arguments or halvings out of range, or the error of a model's run (asgd_model_run;
 * the reason in res->error where it was refused). @res owns nothing: there is nothing to free.
 */
int asgd_order_run(const asgd_order_config *cfg, asgd_order_result *res);

/*
 * asgd_order_result_json - @res as a JSON object: "horizon", "halvings", "rungs" (the measured
 * ones: "eta", "dt", "iters", "exact", "mean_gap", "mean_gap_se", "second_abs_gap",
 * "second_rel_gap", "theorem3_bound" = Δt/(1−μ)) and "fit" ("mean_gap_order",
 * "mean_gap_order_se", "second_gap_order", "second_gap_order_se", "theorem3_order" and how it
 * was fitted). Returns the object (the caller deletes it), or NULL when out of memory.
 */
cJSON *asgd_order_result_json(const asgd_order_result *res);

/*
 * asgd_order_write_csv - the measured rungs as CSV at @path, atomically: columns j, eta, dt, iters,
 * exact, mean_gap, mean_gap_se, second_abs_gap, second_rel_gap, second_rel_gap_se,
 * theorem3_bound, mean_gap_over_bound; numbers with %.10g. Returns 0, ASGD_EINVAL (NULL
 * argument) or ASGD_EIO (an old file at @path survives).
 */
int asgd_order_write_csv(const asgd_order_result *res, const char *path);

#endif /* ASGD_ORDER_RUN_H */
