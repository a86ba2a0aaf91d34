/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch.h — what the three parts of `asgd batch` share: batch.c parses the flags, solves the
 * control and builds the schedules; batch_run.c runs each schedule in the simulator and the
 * engine; batch_out.c writes the results (control.json, schedule.csv, batch.json, batch.csv,
 * curves.csv) and prints them.
 */
#ifndef ASGD_CLI_BATCH_H
#define ASGD_CLI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "asgd/batchctl.h"
#include "asgd/problem.h"
#include "asgd/work.h"

/* The three schedules every run compares, in this order. */
enum { BATCH_OPTIMAL, BATCH_CONSTANT, BATCH_EQUAL_TOTAL, BATCH_NSCHEDULES };

struct batch_opts {
	const char *preset, *out, *work_spec;
	asgd_problem *problem;
	double a, sigma2, xstar, x0;	/* the preset as a 1-D quadratic (theory_from_problem) */
	double eta, mu, gamma;
	int gamma_default;		/* --gamma not given: γ = γ* / BATCH_GAMMA_DIVISOR */
	uint64_t K, constant, paths, replicas, seed;
	unsigned workers, threads;
	asgd_work work;
	asgd_batchctl ctl;
	int quiet, argc;
	char **argv;
};

/* --gamma's default, as a fraction of γ*: the batch grows over the last ln(1000)/r of SME time
 * to √1000 ≈ 32 (fig8: from k* ≈ 831 of 1000). */
#define BATCH_GAMMA_DIVISOR 1000.0

/* What one schedule gave. Curves have K + 1 entries; NAN where not measured. */
struct batch_result {
	const char *name;
	uint32_t *size;			/* B_k, K entries */
	double evaluations;		/* Σ_k B_k: component gradients per path */
	double *model;			/* z_k of the control model (4.5) under this schedule */
	double *model_engine;		/* the same, drawn without replacement as the engine */
	/* the simulator: mini-batch ASGD (4.1), with replacement, μ = --mu */
	int sim_done;
	uint64_t sim_paths;
	double sim_final, sim_final_se;
	double *sim_msd, *sim_se;
	/* the real engine: M workers, without replacement, its own staleness μ̂ */
	int eng_ran, eng_done, eng_diverged;	/* ran at all; all replicas; a replica diverged */
	uint64_t eng_replicas, eng_applied, eng_discarded;
	double eng_final, eng_final_se, eng_evaluations, eng_wall_s;
	double mu_hat, mu_lo, mu_hi;
	double *eng_msd, *eng_se;
};

/*
 * Every schedule of @res in the simulator and then, unless --replicas 0, in the engine, until
 * done or interrupted (*@interrupted set; the runs complete so far are kept). Returns 0 or the
 * error code of a failed run, said on stderr.
 */
int batch_run_all(const struct batch_opts *o, struct batch_result *res, int *interrupted);

/* control.json and schedule.csv: the control alone, written before any run. Returns 0 or an
 * error code. */
int batch_write_control(const struct batch_opts *o, const struct batch_result *opt);

/* batch.json, batch.csv and curves.csv for the three results (some maybe incomplete);
 * atomically. Returns 0 or an error code. */
int batch_write_results(const struct batch_opts *o, const struct batch_result *res, int partial,
			double wall_s);

/* The table on stdout. */
void batch_print_table(const struct batch_opts *o, const struct batch_result *res, int partial);

#endif /* ASGD_CLI_BATCH_H */
