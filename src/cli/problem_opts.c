/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * problem_opts.c — the problem a command runs on: --preset SPEC, or --loss LOSS --data SPEC
 * with the model's options, plus what is observed (--observe) and, for the commands that run
 * the engine, how it runs (--mode).
 *
 * Shared by every command that takes a problem (run, validate, sweep, advise, batch, simulate,
 * sme), so that a flag means the same everywhere and a bad value gets the same message; the
 * commands whose answers are closed forms of a quadratic (theory, order, compare) take the
 * refusal rows instead, which name the flags and say why. `--model` keeps one meaning, the
 * algorithm or equation: `run` and `validate` still read `--model LOSS` for a release, with a
 * note that it is deprecated. Defaults follow the problem: a preset's moments are of x and its
 * engine keeps snapshots; a data model's moments are of the loss, and its engine works in place
 * when the gradients are sparse (a snapshot per update would copy every feature). A data problem
 * may hold rows out (--test, --test-fraction) and start from saved weights (--init): every
 * command has the rows, only `run` (CLI_PROBLEM_HELDOUT) takes them yet.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/modelfile.h"
#include "asgd/parse.h"
#include "cli.h"

struct cli_flag cli_preset_flag(const char **dst)
{
	return (struct cli_flag){ "preset", "NAME", "problem (default fig4); one of:",
				  CLI_FLAG_TEXT, dst, .more = cli_print_presets };
}

/* The rows of a data problem, after --preset: the loss, the data and their options. */
static size_t data_rows(struct cli_problem *cp, struct cli_flag *rows)
{
	const struct cli_flag data[] = {
		CLI_TEXT("loss", "LOSS", &cp->loss, NULL, "a model on data instead of a preset: "
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
		CLI_TEXT("epochs", "E", &cp->epochs, cp->epochs_help, "the horizon in epochs "
			 "instead of --iters: E n component gradients, whatever the batch, E > 0"),
	};

	memcpy(rows, data, sizeof(data));
	return sizeof(data) / sizeof(data[0]);
}

/* The held-out rows (--test, --test-fraction) and --init: in every command's group, so that
 * they mean one thing everywhere; only `run` takes them yet, the others refuse (exit 2). */
static size_t heldout_rows(struct cli_problem *cp, struct cli_flag *rows)
{
	const struct cli_flag heldout[] = {
		CLI_TEXT("test", "SPEC", &cp->test, NULL, "held-out data, any --data SPEC, read with "
			 "the same options (its feature ids must mean the training set's columns; ids "
			 "beyond them are ignored, with a note) and scaled with the TRAINING set's "
			 "statistics; run reports every replica's mean loss (no regulariser) and "
			 "accuracy on it, mean +- SE (other commands refuse it, exit 2)"),
		CLI_TEXT("test-fraction", "F", &cp->test_fraction, NULL, "hold out round(F n) rows "
			 "of --data, 0 < F < 1, chosen by a shuffle with the fixed split seed 1 (the "
			 "same rows whatever --seed), and train on the rest; reported as --test"),
		CLI_TEXT("init", "FILE", &cp->init, NULL, "start every replica from the weights of "
			 "FILE, an 'asgd run --save-model' file of the same d (a different loss or "
			 "scaling is used, with a note); run only (other commands refuse it, exit 2)"),
	};

	memcpy(rows, heldout, sizeof(heldout));
	return sizeof(heldout) / sizeof(heldout[0]);
}

const struct cli_flag *cli_problem_flags(struct cli_problem *cp, unsigned parts)
{
	struct cli_flag *rows = cp->flags;
	size_t n = 0;

	_Static_assert(sizeof(cp->flags) / sizeof(cp->flags[0]) >= 18,
		       "struct cli_problem: flags[] too small");
	cp->parts = parts;
	if (!cp->preset_default)
		cp->preset_default = "fig4";
	rows[n] = cli_preset_flag(&cp->preset);
	snprintf(cp->preset_help, sizeof(cp->preset_help), "problem (default %s); one of:",
		 cp->preset_default);
	rows[n++].help = cp->preset_help;
	if (cp->data_epochs > 0)
		snprintf(cp->epochs_help, sizeof(cp->epochs_help), "%g on a model on data",
			 cp->data_epochs);
	else
		snprintf(cp->epochs_help, sizeof(cp->epochs_help), "on a model on data, as many "
			 "as its step needs (1 to 1000, docs/MODELS.md section 7)");
	n += data_rows(cp, rows + n);
	n += heldout_rows(cp, rows + n);
	if (parts & CLI_PROBLEM_MODEL_ALIAS)
		rows[n++] = (struct cli_flag)CLI_TEXT("model", "LOSS", &cp->model, NULL,
						      "deprecated: the same as --loss LOSS");
	if (parts & CLI_PROBLEM_MODE)
		rows[n++] = (struct cli_flag)CLI_TEXT("mode", "MODE", &cp->mode,
			"master-inplace for sparse data models without momentum, else master",
			"master | master-inplace | hogwild | combining (master semantics without "
			"a master thread: each worker applies its own update under one lock)");
	rows[n] = (struct cli_flag)CLI_END;
	return rows;
}

/* A --data SPEC that could not be read, as a usage error: "did you mean" a known name when SPEC
 * is no file and a name of asgd_dataset_names is near it (up to its first ':'). */
static void data_error(const char *cmd, const char *spec, int rc, const char *err)
{
	size_t n;
	const char *const *names = asgd_dataset_names(&n);
	const char *near = NULL;
	char name[64];

	if (rc == ASGD_EIO && access(spec, F_OK) != 0 && !strchr(spec, '/')) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ":"), spec);
		near = cli_nearest(name, names, n);
	}
	if (near)
		cli_usage_error(cmd, "--data '%s': %s; did you mean '%s'?", spec, err, near);
	cli_usage_error(cmd, "--data '%s': %s", spec, err);
}

/* ---- the refusal rows of the commands that cannot take data ---- */

static void refuse(const char *cmd, const char *flag, const char *value, const char *why)
{
	cli_usage_error(cmd, "%s '%s' is not allowed: %s", flag, value, why);
}

static void refuse_loss(const char *cmd, void *why, const char *value)
{
	refuse(cmd, "--loss", value, why);
}

static void refuse_data(const char *cmd, void *why, const char *value)
{
	refuse(cmd, "--data", value, why);
}

const struct cli_flag *cli_problem_refusal(struct cli_problem_refusal *r, const char *why)
{
	const struct cli_flag rows[] = {
		CLI_CALL("loss", "LOSS", refuse_loss, (void *)why, NULL, NULL),
		CLI_CALL("data", "SPEC", refuse_data, (void *)why, NULL, NULL),
		CLI_END,
	};

	snprintf(r->help, sizeof(r->help), "not allowed here (exit 2): %s", why);
	memcpy(r->flags, rows, sizeof(rows));
	r->flags[0].help = r->flags[1].help = r->help;
	return r->flags;
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

/* *@ds replaced by its copy scaled with @st. */
static void scale_with(const char *cmd, const struct cli_problem *cp, const asgd_scale_stats *st,
		       asgd_dataset **ds)
{
	asgd_dataset *scaled = NULL;
	char err[512];
	int rc = asgd_scale_apply(*ds, st, &scaled, err, sizeof(err));

	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--scale %s: %s", cp->scale, err);
	asgd_dataset_destroy(*ds);
	*ds = scaled;
}

/* --scale: the loaded set replaced by its scaled copy, and the test set by its copy scaled with
 * the training set's statistics (a held-out row must not move the scaling). */
static void scale_data(const char *cmd, struct cli_problem *cp)
{
	asgd_scale how = ASGD_SCALE_NONE;
	asgd_scale_stats st;
	char err[512];
	int rc;

	if (cp->scale && asgd_scale_parse(cp->scale, &how) != ASGD_OK)
		cli_usage_error(cmd, "--scale '%s' is unknown: allowed none, maxabs, standard",
				cp->scale);
	if (how == ASGD_SCALE_NONE)
		return;
	rc = asgd_scale_fit(cp->ds, how, &st, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--scale %s: %s", cp->scale, err);
	scale_with(cmd, cp, &st, &cp->ds);
	if (cp->test_ds)
		scale_with(cmd, cp, &st, &cp->test_ds);
	asgd_scale_stats_free(&st);
}

/* The fixed seed of --test-fraction's shuffle: the split is part of the problem, the same in
 * every run whatever --seed (which seeds the engine). */
#define CLI_SPLIT_SEED 1

static void split_data(const char *cmd, struct cli_problem *cp)
{
	double f = cli_double_range(cmd, "--test-fraction", cp->test_fraction, 0x1p-1074,
				    nextafter(1, 0), "a number in (0, 1)");
	asgd_dataset *train, *test;
	char err[512];
	int rc = asgd_dataset_split(cp->ds, f, CLI_SPLIT_SEED, &train, &test, err, sizeof(err));

	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--test-fraction %s of --data '%s': %s", cp->test_fraction,
				cp->data, err);
	asgd_dataset_destroy(cp->ds);
	cp->ds = train;
	cp->test_ds = test;
}

/* Test entries in features the training set lacks: the model has no weight for them. */
static void note_extra_features(const char *cmd, const struct cli_problem *cp)
{
	const asgd_dataset *te = cp->test_ds;
	size_t extra = 0;

	for (size_t e = 0; e < te->nnz; e++)
		extra += te->col[e] >= cp->ds->cols;
	if (extra)
		fprintf(stderr, "asgd %s: note: --test '%s' has %zu entries in features beyond the "
			"training set's %zu (0-based ids >= %zu); they are ignored: the model has no "
			"weight for them\n", cmd, cp->test, extra, cp->ds->cols, cp->ds->cols);
}

/* --test SPEC: read as --data is, with at least the training set's d. */
static void load_test(const char *cmd, struct cli_problem *cp, asgd_dataset_options dopt)
{
	char err[1024];
	int rc;

	dopt.min_features = cp->ds->cols;
	rc = asgd_dataset_load(cp->test, &dopt, &cp->test_ds, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd %s: interrupted while loading --test '%s'; nothing written\n",
			cmd, cp->test);
		exit(CLI_EXIT_INTERRUPTED);
	}
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--test '%s': %s", cp->test, err);
	note_extra_features(cmd, cp);
}

/* --test or --test-fraction, before any scaling (whose statistics are the training set's). */
static void hold_out(const char *cmd, struct cli_problem *cp, const asgd_dataset_options *dopt)
{
	if (cp->test && cp->test_fraction)
		cli_usage_error(cmd, "--test '%s' and --test-fraction '%s' both given: choose one (a "
				"test set, or a fraction of --data held out)", cp->test,
				cp->test_fraction);
	if (cp->test_fraction)
		split_data(cmd, cp);
	else if (cp->test)
		load_test(cmd, cp, *dopt);
}

/* --init FILE: the weights of a saved model, of this problem's d. A different loss or scaling
 * is a legitimate warm start (a logistic model for a hinge run), so it is noted, not refused. */
static void read_init(const char *cmd, struct cli_problem *cp, asgd_loss loss)
{
	asgd_modelfile_info info;
	const char *scale = cp->scale ? cp->scale : "none";
	char err[1024];
	int rc;

	if (!cp->init)
		return;
	rc = asgd_modelfile_read(cp->init, &info, &cp->x0, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--init '%s': %s", cp->init, err);
	if (info.dim != cp->ds->cols)
		cli_usage_error(cmd, "--init %s:1: the model has d=%zu, --data '%s' has %zu "
				"features: allowed a model saved from the same data and options",
				cp->init, info.dim, cp->data, cp->ds->cols);
	if (strcmp(info.loss, asgd_loss_name(loss)) != 0)
		fprintf(stderr, "asgd %s: note: --init %s:1: a loss=%s model starts this --loss %s "
			"run; its weights are used as they are\n", cmd, cp->init, info.loss,
			asgd_loss_name(loss));
	if (info.scale[0] && strcmp(info.scale, scale) != 0)
		fprintf(stderr, "asgd %s: note: --init %s:1: the model's weights are of scale=%s "
			"features, this run's are --scale %s\n", cmd, cp->init, info.scale, scale);
}

/* The whole set's model on this rank's part, when each MPI worker read only its own file: λ and
 * the positive class from the statistics the ranks agreed on (cli_mpi_load_parts). */
static void create_from_parts(const char *cmd, struct cli_problem *cp, asgd_data_model *m,
			      const asgd_dataset_options *dopt)
{
	char err[1024];
	int rc;

	if (!cp->load_parts)
		cli_usage_error(cmd, "--data '%s' names one file per MPI worker (" CLI_DATA_WORKER
				"): allowed only with 'mpirun -np N asgd run --mode mpi'", cp->data);
	if (cp->test || cp->test_fraction || (cp->scale && strcmp(cp->scale, "none") != 0))
		cli_usage_error(cmd, "--data '%s' (one file per worker) takes no --test, "
				"--test-fraction or --scale: they need every row in one place; split "
				"and scale the files before", cp->data);
	cp->load_parts(cmd, cp, dopt, cp->load_parts_arg);
	m->lambda = model_lambda(cmd, cp, cp->file_parts->whole.rows);
	if (m->loss != ASGD_LOSS_SQUARES && cp->file_parts->label_min == cp->file_parts->label_max)
		cli_usage_error(cmd, "--loss %s needs at least two classes, and every row of the "
				"files of --data '%s' has label %g", cp->loss, cp->data,
				cp->file_parts->label_min);
	if (m->loss != ASGD_LOSS_SQUARES && isnan(m->positive))
		m->positive = cp->file_parts->label_max;
	rc = asgd_problem_create_data_part(cp->ds, m, &cp->file_parts->whole, &cp->problem, err,
					   sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--loss %s --data %s: %s", cp->loss, cp->data, err);
	cp->whole_rows = cp->file_parts->whole.rows;
	if (!(cp->whole_source = strdup(cp->data)))
		cli_out_of_memory(cmd);
}

/* The whole set, loaded here, and its model. */
static void create_from_whole(const char *cmd, struct cli_problem *cp, asgd_data_model *m,
			      const asgd_dataset_options *dopt)
{
	char err[1024];
	int rc = asgd_dataset_load(cp->data, dopt, &cp->ds, err, sizeof(err));

	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc == ASGD_EINTR) {
		fprintf(stderr, "asgd %s: interrupted while loading --data '%s'; nothing written\n",
			cmd, cp->data);
		exit(CLI_EXIT_INTERRUPTED);
	}
	if (rc != ASGD_OK)
		data_error(cmd, cp->data, rc, err);
	hold_out(cmd, cp, dopt);
	scale_data(cmd, cp);
	m->lambda = model_lambda(cmd, cp, cp->ds->rows);
	rc = asgd_problem_create_data(cp->ds, m, &cp->problem, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--loss %s --data %s: %s", cp->loss, cp->data, err);
}

static void create_data_model(const char *cmd, struct cli_problem *cp)
{
	asgd_dataset_options dopt;
	asgd_data_model m = { .positive = NAN };

	if (!cp->data)
		cli_usage_error(cmd, "--loss %s needs --data: a data set, a file or a generator",
				cp->loss);
	if (asgd_loss_parse(cp->loss, &m.loss) != ASGD_OK)
		cli_usage_error(cmd, "--loss '%s' is unknown: allowed squares, logistic, hinge",
				cp->loss);
	if (cp->positive && asgd_parse_double(cp->positive, &m.positive) != ASGD_OK)
		cli_usage_error(cmd, "--positive '%s' is not allowed: a label value, a number",
				cp->positive);
	data_options(cmd, cp, &dopt);
	/* Reading or generating a large data set takes seconds: SIGINT stops it, and since nothing
	 * was measured yet, nothing is written. */
	dopt.stop = cli_stop_flag();
	if (strstr(cp->data, CLI_DATA_WORKER))
		create_from_parts(cmd, cp, &m, &dopt);
	else
		create_from_whole(cmd, cp, &m, &dopt);
	read_init(cmd, cp, m.loss);
	snprintf(cp->label, sizeof(cp->label), "%s on %s", asgd_loss_name(m.loss), cp->data);
	snprintf(cp->named, sizeof(cp->named), "--loss %s --data '%s'", cp->loss, cp->data);
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

/* --model LOSS, the deprecated spelling of --loss LOSS, where the command still reads it. */
static void read_model_alias(const char *cmd, struct cli_problem *cp)
{
	if (!cp->model)
		return;
	if (cp->loss)
		cli_usage_error(cmd, "--model '%s' and --loss '%s' both given: --model LOSS is the "
				"deprecated spelling of --loss LOSS; give --loss only", cp->model,
				cp->loss);
	fprintf(stderr, "asgd %s: note: --model %s is deprecated here: use --loss %s (--model "
		"names the algorithm or equation in simulate and sme)\n", cmd, cp->model, cp->model);
	cp->loss = cp->model;
}

/* --test, --test-fraction and --init: on data, and where the command reports or uses them. */
static void check_heldout_flags(const char *cmd, const struct cli_problem *cp)
{
	const char *flag = cp->test ? "--test" : cp->test_fraction ? "--test-fraction" : "--init";
	const char *value = cp->test ? cp->test : cp->test_fraction ? cp->test_fraction : cp->init;

	if (!value)
		return;
	if (!cp->loss)
		cli_usage_error(cmd, "%s '%s' needs a model on data: --loss squares|logistic|hinge "
				"--data SPEC", flag, value);
	if (!(cp->parts & CLI_PROBLEM_HELDOUT))
		cli_usage_error(cmd, "%s '%s' is not allowed here: only 'asgd run' reports held-out "
				"scores and starts from a saved model, for now", flag, value);
}

void cli_problem_create(const char *cmd, struct cli_problem *cp, double momentum)
{
	char err[256];
	int rc;

	read_model_alias(cmd, cp);
	check_heldout_flags(cmd, cp);
	if (cp->loss && cp->preset)
		cli_usage_error(cmd, "--preset '%s' and --loss '%s' both given: a preset or a model "
				"on data", cp->preset, cp->loss);
	if (!cp->loss && (cp->data || cp->lambda || cp->C || cp->positive || cp->scale ||
			  cp->base || cp->label_column))
		cli_usage_error(cmd, "--data, --lambda, --C, --positive, --index-base, "
				"--label-column and --scale need --loss squares|logistic|hinge");
	if (cp->loss) {
		create_data_model(cmd, cp);
	} else {
		const char *name = cp->preset ? cp->preset : cp->preset_default;

		cp->problem = cli_preset(cmd, name);
		snprintf(cp->label, sizeof(cp->label), "%s", name);
		snprintf(cp->named, sizeof(cp->named), "--preset '%s'", name);
	}
	rc = asgd_observable_init(&cp->obs, cp->observe ? cp->observe : cp->loss ? "loss" : "x",
				  cp->problem, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--observe: %s", err);
	pick_mode(cmd, cp, momentum);
}

/* The whole set's statistics that its part needs (asgd/datamodel.h), read from @ds. */
static asgd_data_whole whole_of(const asgd_dataset *ds, const asgd_problem *p)
{
	return (asgd_data_whole){ .rows = ds->rows, .cols = ds->cols, .col_count = ds->col_count,
				  .max_support = asgd_problem_max_support(p) };
}

/* The whole problem's minimizer kept in its part @p, when it has one (a stop, or none known,
 * leave @p its own: the optimum is then omitted or the part's). */
static void keep_whole_minimizer(const char *cmd, struct cli_problem *cp, asgd_problem *p)
{
	double *x;

	if (asgd_problem_solve(cp->problem, cli_stop_flag()) != ASGD_OK)
		return;
	x = malloc(asgd_problem_dim(p) * sizeof(double));
	if (!x || asgd_problem_minimizer(cp->problem, x) != ASGD_OK ||
	    asgd_problem_keep_minimizer(p, x) != ASGD_OK)
		cli_out_of_memory(cmd);
	free(x);
}

void cli_problem_take_part(const char *cmd, struct cli_problem *cp, asgd_dataset *part,
			   int whole_optimum)
{
	asgd_data_whole whole = whole_of(cp->ds, cp->problem);
	asgd_problem *p = NULL;
	asgd_data_model m;
	char err[1024];
	int rc;

	asgd_problem_data_model(cp->problem, &m); /* the whole set's λ and positive class */
	rc = asgd_problem_create_data_part(part, &m, &whole, &p, err, sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--data '%s': its part %s: %s", cp->data, part->source, err);
	if (whole_optimum)
		keep_whole_minimizer(cmd, cp, p);
	cp->whole_rows = cp->ds->rows;
	if (!cp->whole_source && !(cp->whole_source = strdup(cp->ds->source)))
		cli_out_of_memory(cmd);
	asgd_observable_free(&cp->obs);
	asgd_problem_destroy(cp->problem);
	asgd_dataset_destroy(cp->ds);
	cp->ds = part;
	cp->problem = p;
	rc = asgd_observable_init(&cp->obs, cp->observe ? cp->observe : "loss", p, err,
				  sizeof(err));
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(cmd);
	if (rc != ASGD_OK)
		cli_usage_error(cmd, "--observe: %s", err);
}

void cli_no_minimizer(const char *cmd, const struct cli_problem *cp, const char *why)
{
	if (cli_problem_is_data(cp))
		cli_usage_error(cmd, "%s is not allowed: its minimizer x* could not be solved for "
				"(with --lambda 0 it need not be unique), and %s", cp->named, why);
	cli_usage_error(cmd, "%s is not allowed: its minimizer is not known, and %s", cp->named,
			why);
}

void cli_problem_free(struct cli_problem *cp)
{
	asgd_observable_free(&cp->obs);
	asgd_problem_destroy(cp->problem);
	asgd_dataset_destroy(cp->ds);
	asgd_dataset_destroy(cp->test_ds);
	free(cp->x0);
	free(cp->whole_source);
	cp->whole_source = NULL;
	if (cp->file_parts)
		free(cp->file_parts->col_count);
	free(cp->file_parts);
	cp->file_parts = NULL;
	cp->problem = NULL;
	cp->ds = cp->test_ds = NULL;
	cp->x0 = NULL;
}
