/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * validate.c — `asgd validate`: does the fitted model predict the real algorithm?
 *
 * Runs the real engine R times, fits μ̂ (and a mixture of geometrics, K by BIC) to the staleness
 * it measured, runs every model with that staleness — SME-ASGD, SME-SGD, discrete ASGD with
 * geometric, measured and mixture τ, SME-ASGD with one auxiliary variable per mixture component
 * — and compares each model's mean and second moment with the real run's, with standard errors.
 * The models are in validate_models.c; this file is the command: flags, the real run, the
 * staleness fit, validation.json and the verdict table.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/replicas.h"
#include "asgd/report.h"
#include "asgd/staleness.h"
#include "asgd/work.h"
#include "cli.h"
#include "models.h"
#include "validate.h"

static const char *const CMD = "validate";

/* The simulators' τ tables stop where the mixture's tail is below this (as sim's geometric). */
#define MIXTURE_TAIL_EPS 1e-12

struct validate_opts {
	struct cli_models m;		/* preset, eta, iters, paths, substeps, threads, seed, out */
	struct cli_problem cp;		/* the problem (preset or data model), observable, mode */
	struct cli_mpi mpi;		/* --mode mpi: this rank */
	const char *workers_flag;
	const char *work_spec;
	asgd_engine_config cfg;
	uint64_t replicas;
	unsigned mixture_max;
};

/* What the staleness fit found. */
struct validate_fit {
	asgd_staleness_summary sum;
	int have_sum;
	asgd_geomix mix, all[ASGD_GEOMIX_MAX];
	int have_mix;
	int mix_omitted;		/* the stop flag cut the mixture fit short: none */
	double *mix_pmf;		/* the mixture's pmf table for the simulators */
	size_t mix_len;
	double mix_tv;			/* TV distance of the mixture from the measured pmf */
};

static void usage(void)
{
	printf("usage: asgd validate [OPTIONS]\n\n"
	       "Run the real threaded engine R times, fit the staleness it measured (mu_hat, and a\n"
	       "mixture of geometrics with K chosen by BIC), run every model with that staleness and\n"
	       "compare each model's mean and second moment with the real run's, with standard\n"
	       "errors. Models: sme-asgd (mu_hat), sme-sgd, asgd-geometric (tau iid geometric),\n"
	       "asgd-measured-pmf (tau iid from the measured pmf), asgd-mixture-pmf and\n"
	       "sme-asgd-mixture (the fitted mixture). The measured-pmf replay separates the shape\n"
	       "of the staleness law from its serial correlation.\n\n"
	       "options:\n"
	       "  --preset NAME      problem (default fig4); one of:\n");
	cli_print_presets("                       ");
	cli_problem_usage();
	printf("  --workers M        worker threads of the real engine, 1..%d (default 4)\n"
	       "  --work SPEC        injected work per gradient: none | fixed:DUR | exp:DUR |\n"
	       "                     geom:P,DUR (default exp:100us)\n"
	       "  --replicas R       real runs from x0 (default 1000)\n"
	       "  --iters K          updates per run and model steps (default: the preset's)\n"
	       "  --eta ETA          step size > 0, for the engine and every model (default: the\n"
	       "                     preset's)\n"
	       "  --paths P          sample paths per model (default 5000)\n"
	       "  --substeps S       Euler-Maruyama substeps per step of the SMEs (default 8)\n"
	       "  --mixture-max K    largest mixture tried, 1..%d; 1 disables the mixture (default 4)\n"
	       "  --threads T        compute threads of the models, 0 = all cores (default 0)\n"
	       "  --seed S           seed of the engine and the models (default 1)\n"
	       "  --out DIR          output directory (default out/validate)\n"
	       "  --quiet            no progress, no table on stdout\n"
	       "  --help             this text\n\n"
	       "outputs in DIR: real/{summary.json,moments.csv,staleness.csv}, <model>/moments.csv\n"
	       "per model, validation.json (staleness fit, per-model gaps and band fractions, best\n"
	       "model, shape and correlation effects).\n"
	       "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted (partial).\n",
	       ASGD_MAX_WORKERS, ASGD_GEOMIX_MAX);
}

static void parse_args(int argc, char **argv, struct validate_opts *o)
{
	static const struct option longopts[] = {
		{ "preset", required_argument, NULL, 'p' },   { "eta", required_argument, NULL, 'e' },
		{ "iters", required_argument, NULL, 'k' },    { "paths", required_argument, NULL, 'P' },
		{ "substeps", required_argument, NULL, 'S' }, { "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },     { "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },          { "workers", required_argument, NULL, 'w' },
		{ "work", required_argument, NULL, 'W' },     { "replicas", required_argument, NULL, 'r' },
		{ "mixture-max", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },           CLI_PROBLEM_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;

	cli_models_defaults(&o->m, "out/validate");
	o->work_spec = "exp:100us";
	o->replicas = 1000;
	o->mixture_max = 4;
	o->cfg.workers = 4;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_problem_option(&o->cp, c, optarg))
			continue;
		switch (c) {
		case 'w':
			o->workers_flag = optarg;
			o->cfg.workers = (unsigned)cli_u64_range(CMD, "--workers", optarg, 1, ASGD_MAX_WORKERS);
			break;
		case 'W': o->work_spec = optarg; break;
		case 'r': o->replicas = cli_u64_range(CMD, "--replicas", optarg, 2, 100000000); break;
		case 'x': o->mixture_max = (unsigned)cli_u64_range(CMD, "--mixture-max", optarg, 1, ASGD_GEOMIX_MAX); break;
		case 'h': usage(); exit(CLI_EXIT_OK);
		default:
			if (!cli_models_option(CMD, &o->m, c, optarg))
				cli_usage_error(CMD, "unknown option or missing value: '%s'",
						argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	cli_work_option(CMD, "--work", o->work_spec, &o->cfg.work);
	cli_problem_create(CMD, &o->cp, 0);
	o->m.problem = o->cp.problem;
	cli_models_finish(CMD, &o->m, argc, argv);
	o->cfg.problem = o->m.problem;
	o->cfg.mode = o->cp.engine_mode;
	if (o->cfg.mode == ASGD_ENGINE_MPI && !o->mpi.on)
		cli_usage_error(CMD, "--mode mpi runs under mpirun: 'mpirun -np N asgd validate "
				"--mode mpi ...' (N−1 worker ranks)");
	cli_mpi_workers(CMD, &o->mpi, &o->cfg, o->workers_flag);
	o->cfg.iters = o->m.iters;
	o->cfg.eta = o->m.eta;
	o->cfg.seed = o->m.seed;
	o->cfg.record_staleness = 1;
	o->cfg.stop = cli_stop_flag();
	if (asgd_engine_check_config(&o->cfg, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
}

/* ---- the staleness fit ---- */

/* ½ Σ_l |p̂(l) − q(l)| over all l, q's mass beyond the measured support included. */
static double mixture_tv(const asgd_geomix *mix, const asgd_staleness_summary *s)
{
	double tv = 0, mass = 0, q;

	for (size_t l = 0; l < s->pmf_len; l++) {
		q = asgd_geomix_pmf(mix, l);
		mass += q;
		tv += fabs(s->pmf[l] - q);
	}
	return 0.5 * (tv + fmax(0, 1 - mass));
}

static int fit_staleness(const struct validate_opts *o, const asgd_replicas *t,
			 struct validate_fit *f)
{
	const asgd_staleness *st = &t->staleness;
	int rc;

	memset(f, 0, sizeof(*f));
	f->have_sum = cli_summarize(CMD, st, &f->sum);
	if (!f->have_sum || o->mixture_max < 2)
		return ASGD_OK;
	/* EM over thousands of levels takes seconds: after a stop the mixture is omitted */
	rc = asgd_geomix_select_stop(st->hist, st->hist_len, o->mixture_max, &f->mix, f->all,
				     cli_stop_flag());
	if (rc == ASGD_EINTR) {
		f->mix_omitted = 1;
		return ASGD_OK;
	}
	if (rc == ASGD_OK)
		rc = asgd_geomix_pmf_table(&f->mix, MIXTURE_TAIL_EPS, &f->mix_pmf, &f->mix_len);
	if (rc)
		return rc;
	f->have_mix = 1;
	f->mix_tv = mixture_tv(&f->mix, &f->sum);
	return ASGD_OK;
}

static void fit_free(struct validate_fit *f)
{
	if (f->have_sum)
		asgd_staleness_summary_free(&f->sum);
	free(f->mix_pmf);
	memset(f, 0, sizeof(*f));
}

/* The fitted mixture (cli_mixture_json), with how far its pmf is from the measured one and the
 * length of the table the simulators draw from. */
static cJSON *mixture_json(const struct validate_opts *o, const struct validate_fit *f)
{
	cJSON *j = asgd_geomix_json(&f->mix, f->all, o->mixture_max);

	cJSON_AddNumberToObject(j, "tv_distance", f->mix_tv);
	cJSON_AddNumberToObject(j, "pmf_table_len", (double)f->mix_len);
	return j;
}

static cJSON *staleness_json(const struct validate_opts *o, const struct validate_fit *f)
{
	cJSON *j;

	if (!f->have_sum)
		return cJSON_CreateNull();
	j = asgd_staleness_summary_json(&f->sum);
	if (f->have_mix)
		cJSON_AddItemToObject(j, "mixture", mixture_json(o, f));
	else
		cJSON_AddNullToObject(j, "mixture");
	return j;
}

/* ---- validation.json ---- */

static cJSON *settings_json(const struct validate_opts *o)
{
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(o->m.problem));
	cJSON_AddNumberToObject(j, "dim", (double)asgd_problem_dim(o->m.problem));
	cJSON_AddNumberToObject(j, "workers", o->cfg.workers);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas", (double)o->replicas);
	cJSON_AddNumberToObject(j, "iters", (double)o->m.iters);
	cJSON_AddNumberToObject(j, "eta", o->m.eta);
	cJSON_AddNumberToObject(j, "paths", (double)o->m.paths);
	cJSON_AddNumberToObject(j, "substeps", o->m.substeps);
	cJSON_AddNumberToObject(j, "mixture_max", o->mixture_max);
	cJSON_AddNumberToObject(j, "threads", o->m.threads);
	cJSON_AddNumberToObject(j, "seed", (double)o->m.seed);
	return j;
}

static cJSON *real_json(const asgd_replicas *t, double dt)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "replicas", (double)t->replicas_done);
	cJSON_AddBoolToObject(j, "diverged", t->diverged);
	cJSON_AddBoolToObject(j, "partial", t->interrupted);
	cJSON_AddNumberToObject(j, "applied", (double)t->applied);
	cJSON_AddNumberToObject(j, "engine_wall_s", t->wall_s);
	cJSON_AddNumberToObject(j, "dt", dt);
	return j;
}

/*
 * What a stop kept out (docs/DESIGN.md, "Stopping"), [] when nothing: "real.replica_scoring" (the
 * last real replica ran to its end but the stop came while its rows were scored: it is not in the
 * real moments) and "staleness.mixture" (the mixture fit was stopped: the mixture is null).
 */
static cJSON *omitted_json(const asgd_replicas *t, const struct validate_fit *f)
{
	cJSON *a = cJSON_CreateArray();

	if (t->scoring_interrupted)
		cJSON_AddItemToArray(a, cJSON_CreateString("real.replica_scoring"));
	if (f->mix_omitted)
		cJSON_AddItemToArray(a, cJSON_CreateString("staleness.mixture"));
	return a;
}

static int write_validation(const struct validate_opts *o, const asgd_replicas *t,
			    const struct validate_fit *f, const struct validate_model *m, double dt,
			    int partial)
{
	cJSON *root = cJSON_CreateObject(), *models, *effects;

	cJSON_AddStringToObject(root, "command", CMD);
	cJSON_AddStringToObject(root, "command_line", o->m.cmdline);
	cJSON_AddItemToObject(root, "settings", settings_json(o));
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	cJSON_AddItemToObject(root, "real", real_json(t, dt));
	cJSON_AddItemToObject(root, "staleness", staleness_json(o, f));
	models = cJSON_AddObjectToObject(root, "models");
	for (int i = 0; i < VALIDATE_MODELS; i++)
		if (m[i].ran)
			cJSON_AddItemToObject(models, m[i].name, validate_model_json(&m[i]));
	cJSON_AddNumberToObject(root, "inside_fraction_required", VALIDATE_INSIDE_FRACTION);
	cJSON_AddItemToObject(root, "best_model", validate_best_json(m));
	effects = validate_effects_json(m);
	cJSON_AddItemToObject(root, "effects", effects ? effects : cJSON_CreateNull());
	cJSON_AddBoolToObject(root, "partial", partial);
	cJSON_AddItemToObject(root, "omitted", omitted_json(t, f));
	cJSON_AddNumberToObject(root, "wall_s", cli_elapsed_s(&o->m));
	return cli_write_json_out(o->m.out, "validation.json", root);
}

/* ---- the verdict table ---- */

static void print_fit(const struct validate_opts *o, const asgd_replicas *t,
		      const struct validate_fit *f)
{
	const asgd_staleness_summary *s = &f->sum;
	char work[64];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	printf("asgd validate  %s  M=%u  work=%s  eta=%g  iters=%llu  replicas=%llu  paths=%llu%s\n",
	       asgd_problem_spec(o->m.problem), o->cfg.workers, work, o->m.eta,
	       (unsigned long long)o->m.iters, (unsigned long long)t->replicas_done,
	       (unsigned long long)o->m.paths, cli_stopped() ? "  (PARTIAL)" : "");
	if (!f->have_sum)
		return;
	printf("staleness  mu_hat %.4f  95%% [%.4f, %.4f]  vs 1-1/M = %.4f  (%llu gradients)\n",
	       s->mu_hat, s->mu_ci95[0], s->mu_ci95[1], s->mu_queueing,
	       (unsigned long long)s->count);
	printf("           chi2 p = %.3g (%u df)   TV %.4f   lag-1 %.4f\n", s->chi2_p, s->chi2_df,
	       s->tv_distance, s->lag1_autocorr);
	if (!f->have_mix)
		return;
	printf("mixture    K = %zu by BIC:", f->mix.count);
	for (size_t c = 0; c < f->mix.count; c++)
		printf("%s %.3f x geom(%.4f)", c ? " +" : "", f->mix.weight[c], f->mix.mu[c]);
	printf("   TV %.4f\n", f->mix_tv);
}

/* ---- the command ---- */

/* The real run, its files under DIR/real and its moments as a table at dt = √(η(1−μ̂)). */
static int run_real(struct validate_opts *o, int argc, char **argv, asgd_replicas *t,
		    struct validate_fit *f, asgd_moment_table *real, double *dt)
{
	char dir[4096];
	cJSON *summary;
	int rc;

	rc = asgd_replicas_run_observed(&o->cfg, o->replicas, &o->cp.obs,
					o->m.quiet ? NULL : cli_replica_progress, NULL, NULL, NULL,
					t);
	if (!o->m.quiet)
		cli_progress_end();
	if (rc) {
		fprintf(stderr, "asgd validate: the engine failed: %s\n", asgd_strerror(rc));
		memset(t, 0, sizeof(*t));	/* it holds nothing */
		return rc;
	}
	rc = fit_staleness(o, t, f);
	if (rc)
		fprintf(stderr, "asgd validate: the mixture fit failed: %s\n", asgd_strerror(rc));
	*dt = asgd_model_time_step(ASGD_MODEL_ASGD, o->m.eta, f->have_sum ? f->sum.mu_hat : 0);
	cli_out_path(dir, sizeof(dir), o->m.out, "real");
	cli_prepare_out(CMD, dir);
	summary = asgd_replicas_summary_json(CMD, argc, argv, asgd_problem_spec(o->m.problem),
					    &o->cfg, o->replicas, t, f->have_sum ? &f->sum : NULL);
	if (rc == ASGD_OK)
		rc = cli_replicas_write(dir, t, f->have_sum ? &f->sum : NULL, *dt, summary);
	cJSON_Delete(summary);
	if (rc == ASGD_OK && t->replicas_done >= 2 && !t->diverged)
		rc = asgd_table_from_moments(&t->moments, *dt, real);
	return rc;
}

static int run_models(const struct validate_opts *o, const struct validate_fit *f,
		      const asgd_moment_table *real, struct validate_model *m)
{
	struct validate_ctx c = {
		.problem = o->m.problem, .observe = &o->cp.obs, .eta = o->m.eta, .iters = o->m.iters,
		.paths = o->m.paths, .seed = o->m.seed, .substeps = o->m.substeps,
		.threads = o->m.threads, .quiet = o->m.quiet,
	};
	char dir[4096];
	int rc = ASGD_OK;

	validate_models_init(m, f->sum.mu_hat, f->sum.pmf, f->sum.pmf_len,
			     f->have_mix ? &f->mix : NULL, f->mix_pmf, f->mix_len);
	for (unsigned i = 0; i < VALIDATE_MODELS && rc == ASGD_OK && !cli_stopped(); i++) {
		if (!m[i].enabled)
			continue;
		cli_out_path(dir, sizeof(dir), o->m.out, m[i].name);
		rc = validate_model_run(&c, i, &m[i], dir, real);
	}
	return rc;
}

static int exit_status(const struct validate_opts *o, const asgd_replicas *t, int rc)
{
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd validate: failed: %s\n", asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (t->diverged) {
		fprintf(stderr, "asgd validate: the real run diverged (eta %g too large for %s?); "
				"no model was run\n", o->m.eta, asgd_problem_spec(o->m.problem));
		return CLI_EXIT_FAIL;
	}
	if (cli_stopped()) {
		fprintf(stderr, "asgd validate: interrupted; partial results written to %s\n",
			o->m.out);
		return CLI_EXIT_INTERRUPTED;
	}
	return CLI_EXIT_OK;
}

int cli_validate(int argc, char **argv)
{
	struct validate_opts o;
	struct validate_fit f;
	struct validate_model m[VALIDATE_MODELS];
	asgd_replicas t;
	asgd_moment_table real;
	double dt = 0;
	int rc, wrc, status;

	memset(&o, 0, sizeof(o));
	memset(&real, 0, sizeof(real));
	memset(&f, 0, sizeof(f));
	memset(m, 0, sizeof(m));
	cli_mpi_start(CMD, &argc, &argv, &o.mpi);
	parse_args(argc, argv, &o);
	cli_mpi_serve(CMD, &o.mpi, &o.cfg); /* worker ranks stay there, and exit */
	memset(&t, 0, sizeof(t));
	rc = run_real(&o, argc, argv, &t, &f, &real, &dt);
	if (rc == ASGD_OK && real.steps && f.have_sum)
		rc = run_models(&o, &f, &real, m);
	if (t.applied) {	/* something was measured: say what, even after a failure */
		wrc = write_validation(&o, &t, &f, m, dt, cli_stopped() || rc != ASGD_OK);
		if (rc == ASGD_OK)
			rc = wrc;
	}
	if (!o.m.quiet && f.have_sum) {
		print_fit(&o, &t, &f);
		validate_print_models(m);
		validate_print_effects(m);
		printf("outputs    %s/{validation.json,real/,<model>/moments.csv}\n", o.m.out);
	}
	status = exit_status(&o, &t, rc);
	validate_models_free(m);
	asgd_table_free(&real);
	fit_free(&f);
	asgd_replicas_free(&t);
	cli_models_free(&o.m);
	cli_problem_free(&o.cp);
	cli_mpi_end(&o.mpi, status);
	return status;
}
