/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sme.c — `asgd sme`: the stochastic modified equations (asgd/sme.h) as an Euler–Maruyama
 * ensemble, or with --exact their exact moments (asgd/exact.h), written as moments.csv.
 *
 * SIGINT or SIGTERM ends the ensemble at a chunk boundary; the paths finished so far are written,
 * marked "partial", and the command exits 130.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/sme.h"
#include "cli.h"

static const char *const CMD = "sme";

struct sme_opts {
	struct cli_ensemble e;		/* --preset, --out, --quiet, --exact, the schedule file */
	struct cli_problem cp;		/* --preset or --loss --data, --observe */
	asgd_problem *problem;		/* cp's */
	asgd_sme_config cfg;
	asgd_geomix mixture;
	uint32_t *schedule;
};

static const struct cli_command COMMAND = {
	.name = "sme",
	.about = "Integrate a stochastic modified equation of docs/MODELS.md section 2 by "
		 "Euler-Maruyama for an ensemble of paths, and write the moments of X at the "
		 "discrete process's iterations t_k = k*dt.",
	.epilogue = "outputs in DIR: moments.csv (k,t,mean,second_moment,var,se_mean,se_second; with\n"
		    "coord after t when d > 1; t = k*dt, dt = sqrt(eta(1-mu)) for sme-asgd*, eta for\n"
		    "sme-sgd, sqrt(eta) for sme-msgd), summary.json, and final.csv (path,x: each\n"
		    "path's X at t_K) when d = 1.\n"
		    "exit status: 0 done, 1 failed or some path diverged, 2 bad usage, 130 interrupted.\n",
};

struct raw_flags {
	const char *model, *sigma, *eta, *mu, *iters, *batch, *mixture, *noise, *every;
};

static void resolve_sigma(struct sme_opts *o, const struct raw_flags *f)
{
	asgd_sme_config *c = &o->cfg;
	char allowed[64] = "";

	if (!f->sigma) {
		c->sigma = asgd_sme_default_sigma(c->model, o->problem);
		return;
	}
	if (asgd_sigma_parse(f->sigma, &c->sigma) != ASGD_OK)
		cli_usage_error(CMD, "--sigma '%s' is unknown: expected continuum, evolve, constant "
				"or instant", f->sigma);
	if (asgd_sme_sigma_allowed(c->model, c->sigma))
		return;
	for (asgd_sigma s = 0; s < ASGD_SIGMA_COUNT; s++)	/* the choices, for the message */
		if (asgd_sme_sigma_allowed(c->model, s))
			snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s%s",
				 *allowed ? ", " : "", asgd_sigma_name(s));
	cli_usage_error(CMD, "--sigma '%s' is not allowed with --model %s: allowed %s", f->sigma,
			f->model, allowed);
}

/*
 * --mixture for sme-asgd-mixture (and only there), and μ = μ̄ = m/(1+m) from it: an explicit --mu
 * must agree within 1e-9, since Δt = √(η(1 − μ̄)) (MODELS.md §5).
 */
static void resolve_mixture(struct sme_opts *o, const struct raw_flags *f)
{
	asgd_sme_config *c = &o->cfg;
	char err[256];
	double mu_bar, mu;

	if (c->model != ASGD_MODEL_SME_ASGD_MIXTURE) {
		if (f->mixture)
			cli_usage_error(CMD, "--mixture '%s' is only allowed with --model "
					"sme-asgd-mixture, not %s", f->mixture, f->model);
		return;
	}
	if (!f->mixture)
		cli_usage_error(CMD, "--model sme-asgd-mixture needs --mixture W1:MU1,W2:MU2,...");
	if (asgd_geomix_parse(f->mixture, &o->mixture, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "--mixture '%s' is not allowed: %s", f->mixture, err);
	if (o->e.job.exact)
		cli_usage_error(CMD, "--exact is not available for sme-asgd-mixture (no exact "
				"moments for it yet)");
	mu_bar = asgd_geomix_mu_bar(&o->mixture);
	if (f->mu) {
		mu = cli_double_range(CMD, "--mu", f->mu, 0, nextafter(1, 0), "a number in [0, 1)");
		if (!(fabs(mu - mu_bar) <= 1e-9))
			cli_usage_error(CMD, "--mu '%s' is not allowed with --mixture '%s': mu is "
					"the mixture's m/(1+m) = %.17g (leave --mu out)", f->mu,
					f->mixture, mu_bar);
	}
	c->mu = mu_bar;
	c->mixture = &o->mixture;
}

/* Defaults from the preset, then the flags; every combination checked. */
static void resolve(struct sme_opts *o, const struct raw_flags *f)
{
	asgd_sme_config *c = &o->cfg;
	char err[512];

	if (!f->model)
		cli_usage_error(CMD, "--model is required: sme-asgd, sme-asgd-linear, sme-msgd, "
				"sme-sgd or sme-asgd-mixture");
	if (asgd_model_parse(f->model, &c->model) != ASGD_OK || asgd_model_is_discrete(c->model))
		cli_usage_error(CMD, "--model '%s' is unknown: expected sme-asgd, sme-asgd-linear, "
				"sme-msgd, sme-sgd or sme-asgd-mixture", f->model);
	cli_problem_create(CMD, &o->cp, 0);
	o->problem = o->cp.problem;
	o->e.preset = o->cp.label;
	o->e.observed = o->cp.obs.kind == ASGD_OBSERVE_X ? NULL : o->cp.obs.spec;
	c->problem = o->problem;
	c->observe = o->cp.obs.kind == ASGD_OBSERVE_X ? NULL : &o->cp.obs;
	resolve_sigma(o, f);
	c->eta = cli_problem_eta(CMD, &o->cp, f->eta);
	if (f->mu && c->model == ASGD_MODEL_SME_SGD)
		cli_usage_error(CMD, "--mu '%s' is not allowed with --model sme-sgd (it has no "
				"staleness)", f->mu);
	c->mu = c->model == ASGD_MODEL_SME_SGD ? 0 : asgd_problem_default_mu(o->problem);
	if (f->mu)
		c->mu = cli_double_range(CMD, "--mu", f->mu, 0, nextafter(1, 0), "a number in [0, 1)");
	resolve_mixture(o, f);
	if (c->model == ASGD_MODEL_SME_ASGD && c->sigma == ASGD_SIGMA_EVOLVE && c->mu == 0)
		cli_usage_error(CMD, "--mu 0 is not allowed with --sigma evolve: (2.12) divides by "
				"mu; use --sigma continuum, its mu -> 0 limit");
	c->iters = cli_problem_iters(CMD, &o->cp, f->iters, 1, 1000000000);
	c->every = f->every ? cli_u64_range(CMD, "--record-every", f->every, 1, c->iters) : 1;
	if (c->every > 1 && o->e.job.exact)
		cli_usage_error(CMD, "--record-every %s and --exact exclude each other: the exact "
				"moments are of every step", f->every);
	cli_check_trajectory(CMD, c->iters, asgd_problem_dim(o->problem));
	if (f->batch && o->e.job.batch_schedule)
		cli_usage_error(CMD, "--batch and --batch-schedule '%s' exclude each other",
				o->e.job.batch_schedule);
	if (f->batch)
		c->batch.constant = (uint32_t)cli_u64_range(CMD, "--batch", f->batch, 1, 1000000);
	if (o->e.job.batch_schedule)
		cli_load_schedule(CMD, o->e.job.batch_schedule, 1000000, &o->schedule, &c->batch);
	if (f->noise && asgd_sme_noise_parse(f->noise, &c->noise, &c->noise_rows) != ASGD_OK)
		cli_usage_error(CMD, "--noise '%s' is not allowed: expected exact, auto or "
				"sampled:M with M >= 1", f->noise);
	if (asgd_sme_check_config(c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	cli_prepare_out(CMD, o->e.out);
	c->stop = cli_stop_flag();
}

static void parse_args(int argc, char **argv, struct sme_opts *o)
{
	struct raw_flags f = { 0 };
	struct cli_output_flags out;
	struct cli_ensemble_flags ens;
	const char *const preset_s = "the problem's";
	const struct cli_flag own[] = {
		CLI_TEXT("model", "M", &f.model, NULL, "sme-asgd | sme-asgd-linear | sme-msgd | "
			 "sme-sgd | sme-asgd-mixture (required)"),
		CLI_TEXT("mixture", "W:MU,...", &f.mixture, NULL, "sme-asgd-mixture's staleness "
			 "law (required there, and only there): P(tau = l) = sum_j W_j (1-MU_j) "
			 "MU_j^l, 1..6 components, W_j > 0 summing to 1 (within 1e-9), MU_j in [0,1). "
			 "mu is then m/(1+m), m = E tau (it sets dt)"),
		CLI_TEXT("sigma", "S", &f.sigma, "continuum for sme-asgd and sme-asgd-mixture in "
			 "1-D, evolve for sme-asgd-linear in 1-D, else instant", "the noise "
			 "covariance Sigma(t):\ncontinuum: G - c^2 YY^T, dG = c(S(X) - G)dt (sme-asgd, "
			 "sme-asgd-mixture);\nevolve: (2.12) as printed (sme-asgd, mu > 0), or the "
			 "linear form's evolution (sme-asgd-linear);\nconstant: C(x_0);\ninstant: "
			 "C(X_t)\n"),
		CLI_TEXT("eta", "ETA", &f.eta, preset_s, "step size > 0 (sme-msgd: eta')"),
		CLI_TEXT("mu", "MU", &f.mu, "the preset's; not used by sme-sgd; for sme-asgd-mixture "
			 "it must equal the mixture's m/(1+m)", "staleness (sme-asgd*) or momentum "
			 "mu' (sme-msgd), in [0,1)"),
		CLI_TEXT("iters", "K", &f.iters, preset_s, "recorded steps, rows k = 0..K"),
		CLI_TEXT("record-every", "S", &f.every, "1", "iterations between the rows kept, "
			 "k = 0, S, 2S, ... (on data each row is a pass over the rows), 1..K"),
		CLI_UINT("substeps", "S", &o->cfg.substeps, 1, 1000000,
			 "Euler-Maruyama substeps per recorded step"),
		CLI_U64("seed", "S", &o->cfg.seed, 0, UINT64_MAX,
			"seed; path p uses the stream (S, p)"),
		CLI_TEXT("batch", "B", &f.batch, NULL,
			 "(4.2): the noise covariance divided by B, 1..1000000"),
		CLI_TEXT("batch-schedule", "F", &o->e.job.batch_schedule, NULL,
			 "the same with B_k from a CSV of lines k,B (k = 0, 1, ...)"),
		CLI_TEXT("noise", "HOW", &f.noise, "exact", "how instant and constant Sigma = C "
			 "are sampled for d > 1: exact (every component) or sampled:M (M random "
			 "components a substep; same covariance, not Gaussian)"),
		CLI_SWITCH("exact", &o->e.job.exact, "exact moments instead of Monte Carlo (quadratic "
			   "presets; not for sme-asgd-mixture)"),
		CLI_END,
	};

	o->cfg.substeps = 8;
	o->cfg.seed = 1;
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		own, cli_problem_flags(&o->cp, 0), cli_ensemble_flags(&ens, &o->cfg.paths, &o->cfg.threads, 5000, 1), cli_output_flags(&out, &o->e.out, &o->e.quiet, "out/sme"), NULL },
		argc, argv);
	resolve(o, &f);
}

/* The first lines of the stdout summary (asgd/ensemble_job.h's outcome of @arg's job). */
static void print_head(const void *arg, const asgd_ensemble_outcome *r)
{
	const struct sme_opts *o = arg;
	const asgd_geomix *mix = o->cfg.mixture;

	printf("asgd sme  %s  sigma=%s  %s  eta=%g  mu=%g  iters=%llu  substeps=%u  paths=%llu%s\n",
	       asgd_model_name(o->cfg.model), asgd_sigma_name(o->cfg.sigma),
	       asgd_problem_spec(o->problem), o->cfg.eta, o->cfg.mu,
	       (unsigned long long)o->cfg.iters, o->cfg.substeps,
	       (unsigned long long)r->ens->paths_done, r->ens->interrupted ? "  (PARTIAL)" : "");
	for (size_t j = 0; mix && j < mix->count; j++)
		printf("%s%g:%g%s", j ? "," : "staleness mixture (weight:mu) ", mix->weight[j],
		       mix->mu[j], j + 1 == mix->count ? "\n" : "");
	printf("dt %g  sigma clamped at %llu substeps\n", r->dt,
	       (unsigned long long)r->sme.sigma_clamped);
}

/* The expected time of a long Monte Carlo run, before it starts (a pilot path timed). */
static void print_estimate(const struct sme_opts *o)
{
	double s;

	if (cli_progress_start(CMD, 1, o->e.quiet) && !o->e.job.exact &&
	    asgd_sme_estimate_s(&o->cfg, &s) == ASGD_OK)
		cli_estimate(CMD, asgd_model_name(o->cfg.model), s);
}

int cli_sme(int argc, char **argv)
{
	struct sme_opts o;
	int status;

	memset(&o, 0, sizeof(o));
	o.e = (struct cli_ensemble){ .cmd = CMD, .argc = argc, .argv = argv, .print_head = print_head,
				     .arg = &o, .job.sme = &o.cfg };
	parse_args(argc, argv, &o);
	print_estimate(&o);
	status = cli_ensemble(&o.e);
	free(o.schedule);
	cli_problem_free(&o.cp);
	return status;
}
