/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.h — what the two halves of `asgd sweep` share: sweep.c parses the flags and measures
 * each worker count M into a row; sweep_out.c writes the rows (sweep.csv, sweep.json) and prints
 * them.
 */
#ifndef ASGD_CLI_SWEEP_H
#define ASGD_CLI_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "asgd/engine.h"
#include "asgd/problem.h"

/* The most worker counts one sweep takes. */
#define SWEEP_MAX_M 64

struct sweep_opts {
	const char *preset, *out, *work_spec;
	asgd_problem *problem;
	asgd_engine_config cfg;		/* the template; workers set per M */
	uint64_t workers[SWEEP_MAX_M];
	size_t nworkers;
	uint64_t replicas, paths;
	unsigned threads;
	double target;
	double *xstar;			/* the minimizer the spread is measured about */
	int quad1d;			/* a 1-D quadratic: a, Σ below give the closed forms */
	double a, sigma2;
	int quiet, argc;
	char **argv;
};

/*
 * One M's results. Every field is a double, NAN where it does not apply, so that one table of
 * columns writes both sweep.csv and the rows of sweep.json.
 */
struct sweep_row {
	double workers, replicas, diverged, applied, wall_s, updates_per_s;
	double mu_hat, mu_lo, mu_hi, mu_queueing, chi2_p, tv, lag1;
	double real_ex2, real_se;		/* late-half E‖x − x*‖² of the real run, SE over replicas */
	double msgd_mu, msgd_eta, msgd_ex2, msgd_se, msgd_exact;
	double appb_ex2, asgd_exact;		/* Appendix B; discrete ASGD's fixed point */
	double k_target, t_target_s;		/* NAN: not reached */
};

/* sweep.csv in o->out: a header of the column names, then @n rows; atomically. Returns 0 or an
 * error code. */
int sweep_write_csv(const struct sweep_opts *o, const struct sweep_row *rows, size_t n);

/* sweep.json in o->out: the settings, "partial", "diverged", the total @wall_s, the @n rows
 * (objects with the CSV's columns, null for nan) and the machine; atomically. Returns 0 or an
 * error code. */
int sweep_write_json(const struct sweep_opts *o, const struct sweep_row *rows, size_t n,
		     int partial, int diverged, double wall_s);

/* The two tables on stdout: staleness and throughput; stationary spread and time to target. */
void sweep_print_table(const struct sweep_opts *o, const struct sweep_row *rows, size_t n,
		       int partial);

#endif /* ASGD_CLI_SWEEP_H */
