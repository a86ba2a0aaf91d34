/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models.h — what the commands that put several models side by side share (`compare`, `order`):
 * the common flags (--preset, --eta, --mu, --iters, --paths, --substeps, --sigma, --threads,
 * --seed, --out, --quiet), running one model as an ensemble and, where the preset is quadratic,
 * exactly, writing its moments under DIR/<model>/, and the JSON that describes it.
 */
#ifndef ASGD_CLI_MODELS_H
#define ASGD_CLI_MODELS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/compare.h"
#include "asgd/model.h"
#include "asgd/problem.h"

struct cli_models {
	const char *spec, *out;
	const char *eta_s, *mu_s, *iters_s, *sigma_s;	/* raw values, checked by _finish */
	asgd_problem *problem;
	double eta, mu;
	uint64_t iters, paths, seed;
	unsigned substeps, threads;
	asgd_sigma sigma;	/* SME-ASGD's Σ choice */
	int quiet;
	int problem_borrowed;	/* problem was set by the caller before _finish: not ours to free */
	double t0;		/* start time, for wall_s */
	char cmdline[1024];
};

/* One model's run. */
struct cli_model_run {
	asgd_model model;
	const char *name;
	asgd_moment_table mc, exact;
	int have_mc, have_exact, interrupted;
	double *final;		/* paths*dim end points of the ensemble, NaN where not run */
	uint64_t paths_done, nonfinite;
	double wall_s, path_steps_per_s;
	cJSON *extra;		/* model-specific facts for the JSON (truncation, Σ choice...) */
};

/* What to run: the model's own η, iterations and output directory (NULL: write nothing). */
struct cli_model_params {
	double eta;
	uint64_t iters;
	const char *dir;
	int monte_carlo, exact;	/* exact is skipped silently where the preset is not quadratic */
};

void cli_models_defaults(struct cli_models *o, const char *out);
/* Handle getopt code @c (see the option letters in models.c); returns 0 if it is not common. */
int cli_models_option(const char *cmd, struct cli_models *o, int c, const char *arg);
/* Create the problem, apply preset defaults, validate; exits 2 on bad input. */
void cli_models_finish(const char *cmd, struct cli_models *o, int argc, char **argv);
void cli_models_free(struct cli_models *o);
/* The shared part of the output JSON: command, settings, machine. */
cJSON *cli_models_header(const struct cli_models *o, const char *cmd);

void cli_model_run_init(struct cli_model_run *r, asgd_model m);
/* Run @r's model with the settings of @o and @p. Returns 0 (also when interrupted) or an error. */
int cli_model_run(const struct cli_models *o, const struct cli_model_params *p,
		  struct cli_model_run *r);
cJSON *cli_model_run_json(const struct cli_model_run *r);
void cli_model_run_free(struct cli_model_run *r);

/* basins: the fraction of each run's paths ending near each local minimum (presets with > 1). */
void cli_models_add_basins(cJSON *root, const struct cli_models *o, struct cli_model_run *runs,
			   int count);

double cli_elapsed_s(const struct cli_models *o);
/* The exit status for @rc after printing what went wrong. */
int cli_models_status(const char *cmd, const struct cli_models *o, int rc);

/* The long options every such command takes, to splice into its own table. */
#define CLI_MODELS_LONGOPTS                                                                        \
	{ "preset", required_argument, NULL, 'p' }, { "mu", required_argument, NULL, 'm' },        \
	{ "eta", required_argument, NULL, 'e' },    { "iters", required_argument, NULL, 'k' },     \
	{ "paths", required_argument, NULL, 'P' },  { "substeps", required_argument, NULL, 'S' },  \
	{ "sigma", required_argument, NULL, 'g' },  { "threads", required_argument, NULL, 't' },   \
	{ "seed", required_argument, NULL, 's' },   { "out", required_argument, NULL, 'o' },       \
	{ "quiet", no_argument, NULL, 'q' }

#endif /* ASGD_CLI_MODELS_H */
