/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * problem_opts.c — the problem a command runs on: --preset SPEC, or --model LOSS --data SPEC
 * with the model's options, plus what is observed (--observe) and how the engine runs (--mode).
 *
 * Shared by `run` and `validate`, so that a flag means the same in both and a bad value gets
 * the same message. Defaults follow the problem: a preset's moments are of x and its engine
 * keeps snapshots; a data model's moments are of the loss, and its engine works in place when
 * the gradients are sparse (a snapshot per update would copy every feature).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "cli.h"

struct cli_flag cli_preset_flag(const char **dst)
{
	return (struct cli_flag){ "preset", "NAME", "problem (default fig4); one of:",
				  CLI_FLAG_TEXT, dst, .more = cli_print_presets };
}

const struct cli_flag *cli_problem_flags(struct cli_problem *cp)
{
	const struct cli_flag rows[] = {
		cli_preset_flag(&cp->preset),
		CLI_TEXT("model", "LOSS", &cp->model, NULL, "a model on data instead of a preset: "
			 "squares, logistic or hinge (L2-regularised; needs --data)"),
		CLI_TEXT("data", "SPEC", &cp->data, NULL, "heart_scale | breast-cancer | digits "
			 "(Debian's copies), FILE (LIBSVM, or CSV when named *.csv[.gz]), csv:FILE, "
			 "libsvm:FILE, regression:n=,d=,noise=,seed= or rcv1:n=,d=,nnz=,seed= "
			 "(synthetic)"),
		CLI_TEXT("lambda", "L", &cp->lambda, "1/n, liblinear's C = 1", "L2 weight >= 0"),
		CLI_TEXT("C", "C", &cp->C, NULL, "liblinear's C > 0 instead: lambda = 1/(n C)"),
		CLI_TEXT("positive", "LABEL", &cp->positive, "the largest label",
			 "the class mapped to +1"),
		CLI_TEXT("index-base", "B", &cp->base, "auto", "LIBSVM feature ids: auto, 0 or 1; "
			 "ids up to 16777215"),
		CLI_TEXT("label-column", "J", &cp->label_column, "-1",
			 "CSV label column from 1, negative from the end"),
		CLI_TEXT("scale", "HOW", &cp->scale, "none", "scale the data's columns first: none, "
			 "maxabs (each within [-1, 1]; keeps sparse data sparse) or standard (centred, "
			 "unit variance; dense)"),
		CLI_TEXT("observe", "WHAT", &cp->observe, "x for presets, loss for data models",
			 "moments of: x | loss | coord:J | proj[:SEED]"),
		CLI_TEXT("mode", "MODE", &cp->mode, "master-inplace for sparse data models without "
			 "momentum, else master", "master | master-inplace | hogwild | combining (master "
			 "semantics without a master thread: each worker applies its own update under "
			 "one lock)"),
		CLI_END,
	};

	_Static_assert(sizeof(rows) <= sizeof(cp->flags), "struct cli_problem: flags[] too small");
	memcpy(cp->flags, rows, sizeof(rows));
	return cp->flags;
}

/* LIBSVM feature ids the command accepts: a stray huge id would otherwise ask for a vector of
 * billions of coordinates (and the memory for them) before anything else could complain. */
#define CLI_MAX_FEATURE_ID ((1u << 24) - 1)

static void data_options(const char *cmd, const struct cli_problem *cp, asgd_dataset_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_feature_id = CLI_MAX_FEATURE_ID;
	if (cp->base) {
		if (strcmp(cp->base, "auto") == 0)
			o->base = ASGD_INDEX_AUTO;
		else if (strcmp(cp->base, "0") == 0)
			o->base = ASGD_INDEX_ZERO;
		else if (strcmp(cp->base, "1") == 0)
			o->base = ASGD_INDEX_ONE;
		else
			cli_usage_error(cmd, "--index-base '%s' is not allowed: auto, 0 or 1", cp->base);
	}
	if (cp->label_column) {
		double j = cli_double_range(cmd, "--label-column", cp->label_column, -1e6, 1e6,
					    "a non-zero integer");

		if (j == 0 || j != floor(j))
			cli_usage_error(cmd, "--label-column '%s' is not allowed: a non-zero integer "
					"(1 is the first column, -1 the last)", cp->label_column);
		o->label_column = (int)j;
	}
}

static double model_lambda(const char *cmd, const struct cli_problem *cp, size_t n)
{
	if (cp->lambda && cp->C)
		cli_usage_error(cmd, "--lambda and --C both given: choose one (lambda = 1/(n C))");
	if (cp->lambda)
		return cli_double_range(cmd, "--lambda", cp->lambda, 0, 1e300, "a number >= 0");
	if (cp->C)
		return 1.0 / ((double)n * cli_double_positive(cmd, "--C", cp->C));
	return 1.0 / (double)n;
}

/* --scale: the loaded set replaced by its scaled copy. */
static void scale_data(const char *cmd, struct cli_problem *cp)
{
	asgd_scale how = ASGD_SCALE_NONE;
	asgd_dataset *scaled = NULL;
	char err[512];
	int rc;

	if (cp->scale && asgd_scale_parse(cp->scale, &how) != ASGD_OK)
		cli_usage_error(cmd, "--scale '%s' is unknown: allowed none, maxabs, standard",
				cp->scale);
	if (how == ASGD_SCALE_NONE)
		return;
	rc = asgd_dataset_scale(cp->ds, how, &scaled, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--scale %s: %s", cp->scale, err);
	asgd_dataset_destroy(cp->ds);
	cp->ds = scaled;
}

static void create_data_model(const char *cmd, struct cli_problem *cp)
{
	asgd_dataset_options dopt;
	asgd_data_model m = { .positive = NAN };
	char err[1024];
	int rc;

	if (!cp->data)
		cli_usage_error(cmd, "--model %s needs --data: a data set, a file or a generator",
				cp->model);
	if (asgd_loss_parse(cp->model, &m.loss) != ASGD_OK)
		cli_usage_error(cmd, "--model '%s' is unknown: allowed squares, logistic, hinge",
				cp->model);
	data_options(cmd, cp, &dopt);
	/* Reading or generating a large data set takes seconds: SIGINT stops it, and since nothing
	 * was measured yet, nothing is written. */
	dopt.stop = cli_stop_flag();
	rc = asgd_dataset_load(cp->data, &dopt, &cp->ds, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd %s: interrupted while loading --data '%s'; nothing written\n",
			cmd, cp->data);
		exit(CLI_EXIT_INTERRUPTED);
	}
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--data '%s': %s", cp->data, err);
	scale_data(cmd, cp);
	m.lambda = model_lambda(cmd, cp, cp->ds->rows);
	if (cp->positive && asgd_parse_double(cp->positive, &m.positive) != ASGD_OK)
		cli_usage_error(cmd, "--positive '%s' is not allowed: a label value, a number",
				cp->positive);
	rc = asgd_problem_create_data(cp->ds, &m, &cp->problem, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--model %s --data %s: %s", cp->model, cp->data, err);
	snprintf(cp->label, sizeof(cp->label), "%s on %s", asgd_loss_name(m.loss), cp->data);
}

static void pick_mode(const char *cmd, struct cli_problem *cp, double momentum)
{
	if (!cp->mode) {
		cp->engine_mode = asgd_problem_is_sparse(cp->problem) && momentum == 0
					  ? ASGD_ENGINE_MASTER_INPLACE
					  : ASGD_ENGINE_MASTER;
		return;
	}
	if (asgd_engine_mode_parse(cp->mode, &cp->engine_mode) != ASGD_OK)
		cli_usage_error(cmd, "--mode '%s' is unknown: allowed master, master-inplace, "
				"hogwild, combining (and mpi, under mpirun)", cp->mode);
}

void cli_problem_create(const char *cmd, struct cli_problem *cp, double momentum)
{
	char err[256];
	int rc;

	if (cp->model && cp->preset)
		cli_usage_error(cmd, "--preset and --model both given: a preset or a model on data");
	if (!cp->model && (cp->data || cp->lambda || cp->C || cp->positive || cp->scale))
		cli_usage_error(cmd, "--data, --lambda, --C, --positive and --scale need --model");
	if (cp->model) {
		create_data_model(cmd, cp);
	} else {
		cp->problem = cli_preset(cmd, cp->preset ? cp->preset : "fig4");
		snprintf(cp->label, sizeof(cp->label), "%s", cp->preset ? cp->preset : "fig4");
	}
	rc = asgd_observable_init(&cp->obs, cp->observe ? cp->observe : cp->model ? "loss" : "x",
				  cp->problem, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--observe: %s", err);
	pick_mode(cmd, cp, momentum);
}

void cli_problem_free(struct cli_problem *cp)
{
	asgd_observable_free(&cp->obs);
	asgd_problem_destroy(cp->problem);
	asgd_dataset_destroy(cp->ds);
	cp->problem = NULL;
	cp->ds = NULL;
}
