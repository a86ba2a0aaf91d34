/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * models.h — what the commands that put several models side by side share (`compare`, `order`):
 * the common flags (--preset, --eta, --mu, --iters, --paths, --substeps, --sigma, --threads,
 * --seed, --out, --quiet, --progress), the settings of a model run (asgd/model_run.h) built
 * from them, its progress on stderr, the head of the output JSON and the exit status.
 */
#ifndef ASGD_CLI_MODELS_H
#define ASGD_CLI_MODELS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/model.h"
#include "asgd/model_run.h"
#include "asgd/problem.h"
#include "cli.h"

struct cli_models {
	const char *spec, *out;
	const char *eta_s, *mu_s, *iters_s, *sigma_s;	/* raw values, checked by _finish */
	asgd_problem *problem;
	struct cli_problem *cp;	/* NULL, or the problem group that built @problem: its defaults
				   and --epochs */
	double eta, mu;
	uint64_t iters, paths, seed;
	unsigned substeps, threads;
	asgd_sigma sigma;	/* SME-ASGD's Σ choice */
	int quiet;
	int problem_borrowed;	/* problem was set by the caller before _finish: not ours to free */
	double t0;		/* start time, for wall_s */
	int argc;		/* the command line, for "command_line" (argv[0] the subcommand) */
	char **argv;
	struct cli_flag flags[13];
};

/* The common flags as a table for cli_flags_parse(), storing into @o (after _defaults). */
struct cli_flag *cli_models_flags(struct cli_models *o);

void cli_models_defaults(struct cli_models *o, const char *out);
/* Create the problem, apply preset defaults, validate; exits 2 on bad input. */
void cli_models_finish(const char *cmd, struct cli_models *o, int argc, char **argv);
void cli_models_free(struct cli_models *o);
/* The shared part of the output JSON: command, settings, machine. */
cJSON *cli_models_header(const struct cli_models *o, const char *cmd);
/* Move the members of @body (a library's result JSON; NULL: out of memory) to the end of @root,
 * in their order, and delete @body. */
void cli_models_append(cJSON *root, cJSON *body);

/* Where the progress of model runs is: each model's ensemble is a phase, in the order run. */
struct cli_models_progress {
	unsigned phase;		/* the phase under way or last run, from 1 (0: none yet) */
	int open;		/* its ensemble has reported paths and not ended */
};

/*
 * The common settings of @o (problem, eta, mu, iterations, paths, substeps, threads, sigma, seed)
 * into @c, with the stop flag and, unless the display is off, progress on stderr through @prog
 * (cli_models_progress) for @cmd's @phases model runs. The rest of @c is zero.
 */
void cli_models_run_config(const char *cmd, const struct cli_models *o, unsigned phases,
			   asgd_model_run_config *c, struct cli_models_progress *prog);
/* Progress of model runs, as asgd_model_run_config.progress: @arg is a cli_models_progress. */
void cli_models_progress(void *arg, const asgd_model_progress *p);

double cli_elapsed_s(const struct cli_models *o);
/* The exit status for @rc after printing what went wrong. */
int cli_models_status(const char *cmd, const struct cli_models *o, int rc);

#endif /* ASGD_CLI_MODELS_H */
