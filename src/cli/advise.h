/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise.h — what the two halves of `asgd advise` share: advise.c parses the flags, measures,
 * recommends and runs both settings; advise_out.c writes advise.json, advise.csv and the
 * per-setting msd.csv, and prints the report.
 */
#ifndef ASGD_CLI_ADVISE_H
#define ASGD_CLI_ADVISE_H

#include <stddef.h>
#include <stdint.h>

#include "asgd/advise.h"
#include "asgd/engine.h"
#include "asgd/problem.h"
#include "asgd/staleness.h"

struct advise_opts {
	const char *preset, *out, *work_spec;
	asgd_problem *problem;
	asgd_engine_config cfg;		/* the user's current setting */
	uint64_t probe_replicas, replicas;
	uint64_t probe_seed;		/* the probe's own streams: --seed + 1 */
	double target;			/* E‖x − x*‖² level for "iterations to reach" */
	double *xstar;
	int quiet, argc;
	char **argv;
};

/* One setting run in the real engine: E‖x_k − x*‖² over replicas and what it came to. */
struct advise_outcome {
	const char *name;		/* "current" or "recommended" */
	double eta, beta;
	int ran, diverged, interrupted;
	uint64_t replicas;		/* complete, finite replicas in the curve */
	uint64_t applied;
	double mu_hat;			/* this run's own staleness fit (NAN: none) */
	double *msd, *msd_se;		/* K+1 values: mean over replicas and its SE */
	size_t steps;
	double final_msd, final_se;	/* at k = K; NAN when not available */
	double k_target, t_target_s;	/* first k with msd ≤ target; NAN: not reached */
	double wall_s, updates_per_s;	/* engine time summed over replicas */
};

enum advise_verdict {
	ADVISE_NO_VERDICT = 0,		/* interrupted or failed before both settings ran */
	ADVISE_HELPED,			/* recommended final lower by more than 2 SE */
	ADVISE_NOT_HELPED,
};

struct advise_result {
	/* (a) the probe */
	int have_probe;
	asgd_staleness_summary probe;
	uint64_t probe_done, probe_applied;
	double probe_wall_s;
	/* (b) near the minimum */
	asgd_advise_local local;
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
	struct advise_outcome cur, recd;
	double diff, diff_se;			/* recommended − current final, √(se² + se²) */
	/* Early on: both at the first k where either setting reaches the target (NAN: neither
	 * does), which shows a faster transient that a higher floor hides at k = K. */
	double early_k, early_diff, early_se;
	enum advise_verdict verdict;
	char verdict_text[512];
	int partial;
	double wall_s;
};

/* advise.json, advise.csv and DIR/<setting>/msd.csv; atomically. Returns 0 or an error code. */
int advise_write(const struct advise_opts *o, const struct advise_result *r);

/* The report on stdout. */
void advise_print(const struct advise_opts *o, const struct advise_result *r);

#endif /* ASGD_CLI_ADVISE_H */
