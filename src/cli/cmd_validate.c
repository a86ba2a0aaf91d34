/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_validate.c — `asgd validate`: does the fitted model predict the real algorithm?
 *
 * The experiment (the real run, the staleness fit, the six models and their scores) is the
 * library's (asgd/validate.h); this file is the command: flags, MPI ranks, progress on stderr,
 * the real run's files, validation.json, the verdict table and the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/validate.h"
#include "asgd/work.h"
#include "cli.h"
#include "models.h"

static const char *const CMD = "validate";

/* On data: the paths per model and the horizon the defaults give (docs/MODELS.md §7): enough
 * paths for the models' SE to sit well under the real run's, and five epochs, which on the sets
 * we ship covers the fall of the loss to the noise floor's neighbourhood. */
#define VALIDATE_DATA_PATHS 1000
#define VALIDATE_DATA_EPOCHS 5.0
/* At the data defaults' small step the SMEs' Euler–Maruyama error is below the ensembles' SE
 * at one substep: heart_scale (sme-asgd, 400 paths, 5 epochs) at S = 1, 2 and 8, and
 * rcv1:n=2000,d=47236,nnz=70 (sme-asgd at μ = 0.6, 100 paths, 1 epoch) at S = 1 and 2 agree
 * within 2 SE at every recorded k (docs/MODELS.md §7). A substep on data is a pass over the
 * rows, so S sets the SMEs' cost: 1 keeps validate on the rcv1-like set within 10 minutes. */
#define VALIDATE_DATA_SUBSTEPS 1
/* On data a row is scored by a pass over the rows, as costly as a whole epoch of the discrete
 * models' steps: rows are kept every S updates, S the smallest power of 2 that leaves at most
 * this many (rcv1:n=2000 at one epoch: S = 8, and the three discrete models went from 40 s to
 * a few seconds each). The band rule counts cells, so it reads the same on fewer rows. */
#define VALIDATE_DATA_ROWS 256

struct validate_opts {
	struct cli_models m;		/* preset, eta, iters, paths, substeps, threads, seed, out */
	struct cli_problem cp;		/* the problem (preset or data model), observable, mode */
	struct cli_mpi mpi;		/* --mode mpi: this rank */
	int workers_given;
	asgd_engine_config cfg;
	uint64_t replicas;
	unsigned mixture_max;
	const char *noise;		/* --noise, NULL: auto */
	const char *every;		/* --record-every, NULL: by the problem */
	asgd_sme_noise noise_kind;
	size_t noise_rows;
	int argc;			/* the command line, for the real run's summary.json */
	char **argv;
};

static const struct cli_command COMMAND = {
	.name = "validate",
	.about = "Run the real threaded engine R times, fit the staleness it measured (mu_hat, and "
		 "a mixture of geometrics with K chosen by BIC), run every model with that "
		 "staleness and compare each model's mean and second moment with the real run's, "
		 "with standard errors. Models: sme-asgd (mu_hat), sme-sgd, asgd-geometric (tau "
		 "iid geometric), asgd-measured-pmf (tau iid from the measured pmf), "
		 "asgd-mixture-pmf and sme-asgd-mixture (the fitted mixture). The measured-pmf "
		 "replay separates the shape of the staleness law from its serial correlation.",
	.epilogue = "outputs in DIR: real/{summary.json,moments.csv,staleness.csv}, <model>/moments.csv\n"
		    "per model, validation.json (staleness fit, per-model gaps and band fractions, best\n"
		    "model, shape and correlation effects).\n"
		    "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted (partial).\n",
};

/* The row stride: --record-every, else 1 on a preset and on data the smallest power of 2 that
 * keeps at most VALIDATE_DATA_ROWS rows after row 0. */
static uint64_t record_stride(const struct validate_opts *o)
{
	uint64_t K = o->m.iters, S = 1;

	if (o->every)
		return cli_u64_range(CMD, "--record-every", o->every, 1, K);
	while (cli_problem_is_data(&o->cp) && K / S > VALIDATE_DATA_ROWS)
		S *= 2;
	return S;
}

static void parse_args(int argc, char **argv, struct validate_opts *o)
{
	struct cli_engine_flags eng;
	struct cli_ensemble_flags ens;
	struct cli_output_flags out;
	const char *const preset_s = "the preset's";
	const struct cli_flag own[] = {
		CLI_TEXT("iters", "K", &o->m.iters_s, preset_s, "updates per run and model steps"),
		CLI_TEXT("eta", "ETA", &o->m.eta_s, preset_s,
			 "step size > 0, for the engine and every model"),
		{ "substeps", "S", "Euler-Maruyama substeps per step of the SMEs, {min}..{max}",
		  CLI_FLAG_UINT, &o->m.substeps, .min = 1, .max = 100000,
		  .dflt = "8; 2 for a model on data" },
		CLI_TEXT("record-every", "S", &o->every,
			 "1; on data the smallest power of 2 that keeps at most 256 rows",
			 "updates between the rows compared (rows k = 0, S, 2S, ...), for the real "
			 "run and every model, 1..iters"),
		CLI_MAX_STALENESS(&o->cfg.max_staleness),
		CLI_UINT("mixture-max", "K", &o->mixture_max, 1, ASGD_GEOMIX_MAX,
			 "largest mixture tried, 1..{max}; 1 disables the mixture"),
		CLI_TEXT("noise", "HOW", &o->noise, "exact up to 65536 rows, else sampled:4096",
			 "the SMEs' noise on data, d > 1: exact (every row's gradient, O(nnz) a "
			 "substep) or sampled:M (M random rows; same covariance, not Gaussian)"),
		CLI_END,
	};
	const struct cli_flag *engine, *ensemble;
	char err[256];

	cli_models_defaults(&o->m, "out/validate");
	o->m.substeps = 0;	/* not given: by the problem, below */
	o->cp.data_epochs = VALIDATE_DATA_EPOCHS;
	o->mixture_max = 4;
	engine = cli_engine_flags(&eng, (struct cli_engine_dst){ &o->cfg.workers, &o->cfg.work,
		&o->replicas, &o->m.seed, 4, "exp:100us", 1000, 2, 200 });
	ensemble = cli_ensemble_flags(&ens, &o->m.paths, &o->m.threads, 5000, 2);
	snprintf(ens.paths_default, sizeof(ens.paths_default), "5000; %d for a model on data",
		 VALIDATE_DATA_PATHS);
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		cli_problem_flags(&o->cp, CLI_PROBLEM_MODE | CLI_PROBLEM_MODEL_ALIAS), engine, own,
		ensemble, cli_mpi_flags(&o->mpi), cli_output_flags(&out, &o->m.out, &o->m.quiet, "out/validate"), NULL },
		argc, argv);
	o->workers_given = eng.workers_given;
	cli_problem_create(CMD, &o->cp, 0);
	if (cli_problem_is_data(&o->cp)) {
		cli_engine_data_defaults(&eng);
		cli_ensemble_data_defaults(&ens, VALIDATE_DATA_PATHS);
	}
	if (!o->m.substeps)
		o->m.substeps = cli_problem_is_data(&o->cp) ? VALIDATE_DATA_SUBSTEPS : 8;
	o->m.problem = o->cp.problem;
	o->m.cp = &o->cp;
	cli_models_finish(CMD, &o->m, argc, argv);
	o->cfg.problem = o->m.problem;
	o->cfg.mode = o->cp.engine_mode;
	if (o->cfg.mode == ASGD_ENGINE_MPI && !o->mpi.on)
		cli_usage_error(CMD, "--mode mpi runs under mpirun: 'mpirun -np N asgd validate "
				"--mode mpi ...' (N−1 worker ranks)");
	cli_mpi_workers(CMD, &o->mpi, &o->cfg, o->workers_given);
	o->cfg.iters = o->m.iters;
	o->cfg.record_every = record_stride(o);
	o->cfg.eta = o->m.eta;
	o->cfg.seed = o->m.seed;
	o->cfg.record_staleness = 1;
	o->cfg.stop = cli_stop_flag();
	if (o->noise && asgd_sme_noise_parse(o->noise, &o->noise_kind, &o->noise_rows) != ASGD_OK)
		cli_usage_error(CMD, "--noise '%s' is not allowed: expected exact, auto or "
				"sampled:M with M >= 1", o->noise);
	if (asgd_engine_check_config(&o->cfg, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
}

/* ---- the experiment's callbacks ---- */

/* The phases: the real run (1, "real"), then each model by its asgd_validate_which (2..7). */
#define VALIDATE_PHASES (1 + ASGD_VALIDATE_NMODELS)

static void progress(void *arg, const asgd_validate_progress *p)
{
	(void)arg;
	switch (p->event) {
	case ASGD_VALIDATE_BEGIN:
		if (p->model == ASGD_VALIDATE_REAL)
			cli_progress_phase(1, "real");
		else
			cli_progress_phase((unsigned)p->model + 2, p->name);
		break;
	case ASGD_VALIDATE_DONE:
		cli_progress_update(p->done, p->total);
		break;
	case ASGD_VALIDATE_END:
		cli_progress_phase_end();
		break;
	case ASGD_VALIDATE_ESTIMATE:
		cli_estimate(CMD, p->name, p->estimate_s);
		break;
	}
}

/* DIR/real/{summary.json,moments.csv,staleness.csv}, as soon as the real run is fitted. */
static int write_real(void *arg, const asgd_engine_config *engine, const asgd_replicas *t,
		      const asgd_staleness_summary *sum, double dt)
{
	const struct validate_opts *o = arg;
	char dir[4096];
	cJSON *summary;
	int rc;

	cli_out_path(dir, sizeof(dir), o->m.out, "real");
	cli_prepare_out(CMD, dir);
	summary = asgd_replicas_summary_json(CMD, o->argc, o->argv, asgd_problem_spec(o->m.problem),
					    engine, o->replicas, t, sum);
	rc = cli_replicas_write(dir, t, sum, dt, summary);
	cJSON_Delete(summary);
	return rc;
}

/* ---- the verdict table ---- */

/* The observed quantity's symbol in the table: "x", "f" (the loss), "x_j" or "u.x". */
static const char *quantity(const struct validate_opts *o)
{
	switch (o->cp.obs.kind) {
	case ASGD_OBSERVE_LOSS: return "f";
	case ASGD_OBSERVE_COORD: return "x_j";
	case ASGD_OBSERVE_PROJ: return "u.x";
	default: return "x";
	}
}

/* What the moments are of, and the optimum beside a loss. */
static void print_observed(const struct validate_opts *o)
{
	size_t d = asgd_problem_dim(o->m.problem);
	double *xs;

	if (o->cp.obs.kind == ASGD_OBSERVE_X)
		return;
	printf("observed   %s", o->cp.obs.kind == ASGD_OBSERVE_LOSS ? "the loss f(x_k)"
								 : o->cp.obs.spec);
	xs = o->cp.obs.kind == ASGD_OBSERVE_LOSS ? malloc(d * sizeof(double)) : NULL;
	if (xs && asgd_problem_minimizer(o->m.problem, xs) == ASGD_OK)
		printf(", optimum f* = %.6g", asgd_problem_f(o->m.problem, xs));
	free(xs);
	printf(": the gaps below are of E %s and E %s^2\n", quantity(o), quantity(o));
}

/* The mixture's stall tails by what they are, not as a second regime of the queue. */
static void print_stall_tails(const asgd_geomix *mix)
{
	for (size_t c = 0; c < mix->count; c++)
		if (asgd_geomix_is_stall_tail(mix, c))
			printf("           stall tail: weight %.2g%%, mu %.4f, mean tau %.1f "
			       "(gradients computed across a scheduler stall)\n",
			       100 * mix->weight[c], mix->mu[c], mix->mu[c] / (1 - mix->mu[c]));
}

static void print_fit(const struct validate_opts *o, const asgd_validate_result *r)
{
	const asgd_staleness_summary *s = &r->staleness;
	char work[64], p[32];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	printf("asgd validate  %s  M=%u  work=%s  eta=%g  iters=%llu  replicas=%llu  paths=%llu%s\n",
	       o->cp.label, o->cfg.workers, work, o->m.eta,
	       (unsigned long long)o->m.iters, (unsigned long long)r->real.replicas_done,
	       (unsigned long long)o->m.paths, cli_stopped() ? "  (PARTIAL)" : "");
	print_observed(o);
	cli_print_fidelity(CMD, &o->cfg.work, &r->real, "real run   ");
	printf("staleness  mu_hat %.4f  95%% [%.4f, %.4f]  vs 1-1/M = %.4f  (%llu gradients)\n",
	       s->mu_hat, s->mu_ci95[0], s->mu_ci95[1], s->mu_queueing,
	       (unsigned long long)s->count);
	printf("           chi2 p = %s (%u df)   TV %.4f   lag-1 %.4f\n",
	       cli_format_p(s->chi2_p, p, sizeof(p)), s->chi2_df, s->tv_distance, s->lag1_autocorr);
	cli_print_between_runs(s, "           ");
	if (r->have_truncated)
		printf("bounded    tau <= %llu: truncated geometric mu_hat %.4f  95%% [%.4f, %.4f]  "
		       "TV %.4f (the asgd-geometric replay's law; the SMEs keep mu_hat %.4f)\n",
		       (unsigned long long)r->truncated.bound, r->truncated.mu_hat,
		       r->truncated.mu_ci95[0], r->truncated.mu_ci95[1], r->truncated.tv_distance,
		       s->mu_hat);
	if (!r->have_mixture)
		return;
	printf("mixture    K = %zu by BIC:", r->mixture.count);
	for (size_t c = 0; c < r->mixture.count; c++)
		printf("%s %.3g x geom(%.4f)", c ? " +" : "", r->mixture.weight[c], r->mixture.mu[c]);
	printf("   TV %.4f\n", r->mixture_tv);
	print_stall_tails(&r->mixture);
}

/* The best model by one criterion, or that none is distinguishable at these sizes, and which
 * models it cannot be told from. */
static void print_best(const char *label, const asgd_validate_model *m, int b, int second,
		       const char *what)
{
	int tied[ASGD_VALIDATE_NMODELS], n = asgd_validate_tied(m, second, tied);

	if (asgd_validate_distinguishable(m, second)) {
		printf("%s %s (smallest %s, more than 1 combined SE below every other)\n", label,
		       m[b].name, what);
		return;
	}
	printf("%s none distinguishable at these sizes: %d within 1 combined SE of the smallest %s"
	       " (", label, n, what);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", m[tied[i]].name);
	printf(")\n");
}

/* One row per scored model, then the band rule and the best model. The cells with a "±" take
 * one byte more than they have columns. */
static void print_models(const asgd_validate_model *m, const char *q)
{
	int bm = asgd_validate_best(m, 0), bs = asgd_validate_best(m, 1);
	char mu[32], mean[64], second[64], head[64];

	snprintf(head, sizeof(head), "max rel E %s^2 gap ± SE", q);
	printf("%-19s%-8s%-23s%-26sinside ±2 SE (mean, E %s^2)\n", "model", "mu",
	       "max |mean gap| ± SE", head, q);
	for (const asgd_validate_model *r = m; r < m + ASGD_VALIDATE_NMODELS; r++) {
		if (!r->have_score)
			continue;
		if (r->model != ASGD_MODEL_SME_SGD)
			snprintf(mu, sizeof(mu), "%.4f", r->mu);
		else
			snprintf(mu, sizeof(mu), "-");
		snprintf(mean, sizeof(mean), "%.2e ± %.1e", r->score.gap.mean, r->score.gap.mean_se);
		snprintf(second, sizeof(second), "%.2e ± %.1e", r->score.gap.second_rel,
			 r->score.gap.second_rel_se);
		printf("%-19s%-8s%-23s%-26s%-3s (%.1f%%, %.1f%%)\n", r->name, mu, mean, second,
		       r->score.inside_band ? "yes" : "no", 100 * r->score.inside_mean,
		       100 * r->score.inside_second);
	}
	printf("band rule  inside = at least %.0f%% of cells (k >= 1, mean and E %s^2) within 2 SE "
	       "of the difference;\n           calibration: %s\n",
	       100 * ASGD_VALIDATE_INSIDE_FRACTION, q, ASGD_VALIDATE_BAND_CALIBRATION);
	if (bm < 0)
		return;
	print_best("best model", m, bm, 0, "max |mean gap|");
	print_best("by E x^2  ", m, bs, 1, "max rel E x^2 gap");
}

/* The one-sentence answer, first; and how many replicas would settle it when it is not. */
static void print_answer(const asgd_validate_model *m, uint64_t replicas)
{
	asgd_validate_answer a;

	if (asgd_validate_answer_of(m, replicas, &a) != ASGD_OK || !a.known)
		return;
	printf("%s\n", a.text);
}

/* The effects: shape, the two replays apart, correlation and the rest. */
static void print_effects(const asgd_validate_model *m, const char *q)
{
	asgd_validate_effects e;
	const asgd_gap *s = &e.shape, *d = &e.direct, *c = &e.correlation;

	if (asgd_validate_effects_of(m, &e) != ASGD_OK)
		return;
	printf("effects    shape of the staleness law = gap(asgd-geometric) - gap(asgd-measured-pmf):\n"
	       "             mean %+.2e ± %.1e   E %s^2 %+.2e ± %.1e\n", s->mean, s->mean_se, q,
	       s->second_rel, s->second_rel_se);
	if (e.have_direct)
		printf("             (the two replays apart: mean %.2e ± %.1e   E %s^2 %.2e ± %.1e)\n",
		       d->mean, d->mean_se, q, d->second_rel, d->second_rel_se);
	printf("           correlated staleness and the rest = gap(asgd-measured-pmf):\n"
	       "             mean %.2e ± %.1e   E %s^2 %.2e ± %.1e\n", c->mean, c->mean_se, q,
	       c->second_rel, c->second_rel_se);
}

/* ---- the command ---- */

/* The exit status, saying on stderr what failed as the experiment left it. */
static int exit_status(const struct validate_opts *o, const asgd_validate_result *r, int rc)
{
	if (r->failed == ASGD_VALIDATE_FAIL_ENGINE)
		fprintf(stderr, "asgd validate: the engine failed: %s\n", asgd_strerror(rc));
	else if (r->failed == ASGD_VALIDATE_FAIL_MIXTURE)
		fprintf(stderr, "asgd validate: the mixture fit failed: %s\n", asgd_strerror(rc));
	else if (r->failed == ASGD_VALIDATE_FAIL_MODEL && r->error[0])
		fprintf(stderr, "asgd validate: %s\n", r->error);
	if (rc == ASGD_OK && r->real.diverged) {
		fprintf(stderr, "asgd validate: the real run diverged (eta %g too large for %s?); "
				"no model was run\n", o->m.eta, asgd_problem_spec(o->m.problem));
		return CLI_EXIT_FAIL;
	}
	return cli_models_status(CMD, &o->m, rc);
}

int cli_validate(int argc, char **argv)
{
	struct validate_opts o;
	asgd_validate_config c;
	asgd_validate_result r;
	int rc, wrc, status;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	cli_mpi_start(CMD, &argc, &argv, &o.mpi);
	parse_args(argc, argv, &o);
	cli_mpi_serve(CMD, &o.mpi, &o.cfg); /* worker ranks stay there, and exit */
	o.argc = argc;
	o.argv = argv;
	c = (asgd_validate_config){
		.engine = o.cfg, .observe = &o.cp.obs, .replicas = o.replicas, .paths = o.m.paths,
		.substeps = o.m.substeps, .threads = o.m.threads, .mixture_max = o.mixture_max,
		.noise = o.noise_kind, .noise_rows = o.noise_rows,
		.out = o.m.out, .stop = cli_stop_flag(),
		.progress = cli_progress_start(CMD, VALIDATE_PHASES, o.m.quiet) ? progress : NULL,
		.progress_arg = &o, .write_real = write_real, .write_real_arg = &o,
	};
	rc = asgd_validate_run(&c, &r);
	if (r.failed == ASGD_VALIDATE_FAIL_STALENESS)
		cli_out_of_memory(CMD);
	if (r.real.applied) {	/* something was measured: say what, even after a failure */
		wrc = cli_write_json_out(o.m.out, "validation.json",
					 asgd_validate_result_json(&c, &r, o.argc, o.argv));
		if (rc == ASGD_OK)
			rc = wrc;
	}
	if (!o.m.quiet && r.have_staleness) {
		print_answer(r.models, r.real.replicas_done);
		print_fit(&o, &r);
		print_models(r.models, quantity(&o));
		print_effects(r.models, quantity(&o));
		printf("outputs    %s/{validation.json,real/,<model>/moments.csv}\n", o.m.out);
	}
	status = exit_status(&o, &r, rc);
	asgd_validate_result_free(&r);
	cli_models_free(&o.m);
	cli_problem_free(&o.cp);
	cli_mpi_end(&o.mpi, status);
	return status;
}
