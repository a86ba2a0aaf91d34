/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/compare_run.h — the experiment behind `asgd compare`: the paper's Figures 4–7 as numbers.
 *
 * Discrete ASGD (2.1), SME-ASGD (2.11) and SME-SGD (3.3) run on one problem with the same η and
 * μ (asgd/model_run.h: an ensemble each, and exact moments where the problem is quadratic), and
 * each SME's gap to ASGD (asgd_gap_compute) is measured both ways: the exact gaps are free of
 * Monte Carlo error, the ensemble gaps show what the paths can see. The verdict says whether
 * SME-ASGD is the closer of the two. For problems with several local minima, the fraction of each
 * model's paths that end in each basin. Prints nothing; no global state.
 */
#ifndef ASGD_COMPARE_RUN_H
#define ASGD_COMPARE_RUN_H

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/model_run.h"

/* The models compared, in this order: the reference ASGD, then SME-ASGD and SME-SGD. */
#define ASGD_COMPARE_MODELS 3

/* What to compare. */
typedef struct asgd_compare_config {
	asgd_model_run_config run;	/* the common settings; model, monte_carlo, exact and dir
					   are set here per model */
	const char *dir;		/* NULL, or where each model's files go: DIR/<model>/ */
} asgd_compare_config;

/* What the comparison found. */
typedef struct asgd_compare_result {
	const asgd_problem *problem;	/* borrowed from the config, for the basins */
	asgd_model_run_result runs[ASGD_COMPARE_MODELS]; /* every model's, run or not */
	int failed;			/* a model's run failed: the ones after it did not run, and
					   there are no gaps and no basins */
	asgd_gap gap[2][2];		/* [sme-asgd, sme-sgd][monte carlo, exact], against ASGD */
	int have_gap[2][2];		/* which of gap[][] exist */
	char error[512];		/* why a model's run was refused ("" otherwise) */
} asgd_compare_result;

/*
 * asgd_compare_run - run the models of @cfg in order, until the last, a failure, or the stop
 * flag (no model starts after it is raised), then the gaps of the SMEs to ASGD where both sides
 * have a table. Returns 0 (also when stopped), or the first model's error (asgd_model_run; the
 * reason in res->error where it was refused). @res holds what was done on every return but
 * NULL arguments (ASGD_EINVAL): free it with asgd_compare_result_free().
 */
int asgd_compare_run(const asgd_compare_config *cfg, asgd_compare_result *res);

/* asgd_compare_result_free - release what @res holds; NULL is a no-op. */
void asgd_compare_result_free(asgd_compare_result *res);

/*
 * asgd_compare_result_json - @res as a JSON object: "models" (each model's
 * asgd_model_run_result_json by name); unless a run failed, "gaps" (per SME: "monte_carlo" and
 * "exact", each the keys of asgd_gap_add_json, where they exist), "sme_asgd_beats_sme_sgd" (per
 * kind of gap that both SMEs have: "mean" and "second_moment", whether SME-ASGD's gap is the
 * smaller) and, for problems with more than one local minimum, "basins" ("minima", the points,
 * and per model run: "fraction" and "se" per minimum and "paths", the paths counted).
 * Returns the object (the caller deletes it), or NULL when out of memory.
 */
cJSON *asgd_compare_result_json(const asgd_compare_result *res);

#endif /* ASGD_COMPARE_RUN_H */
