/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * simulate.c — `asgd simulate`: the discrete reference processes (asgd/sim.h) as an ensemble of
 * paths, or with --exact their exact moments (asgd/exact.h), written as moments.csv.
 *
 * Staleness is geometric(μ) unless --staleness gives a measured law (staleness.csv of `asgd run`,
 * or a sample/histogram as `asgd fit` reads). SIGINT or SIGTERM ends the ensemble at a chunk
 * boundary; the paths finished so far are written, marked "partial", and the command exits 130.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/sim.h"
#include "asgd/staleness.h"
#include "cli.h"

static const char *const CMD = "simulate";

struct sim_opts {
	struct cli_ensemble e;		/* --preset, --out, --quiet, --exact and the files */
	struct cli_problem cp;		/* --preset or --loss --data, --observe */
	asgd_problem *problem;		/* cp's */
	asgd_sim_config cfg;
	double *tau_pmf;
	uint32_t *schedule;
};

static const struct cli_command COMMAND = {
	.name = "simulate",
	.about = "Simulate the discrete processes of docs/MODELS.md section 1 as an ensemble of "
		 "independent paths from a constant history x_{-l} = x_0, and write their moments.",
	.epilogue = "outputs in DIR: moments.csv (k,t,mean,second_moment,var,se_mean,se_second; with\n"
		    "coord after t when d > 1; t = k*dt, dt = sqrt(eta(1-mu)) for asgd/minibatch, eta\n"
		    "for sgd, sqrt(eta) for msgd), summary.json, and final.csv (path,x: each path's x_K)\n"
		    "when d = 1.\n"
		    "exit status: 0 done, 1 failed or some path diverged, 2 bad usage, 130 interrupted.\n",
};

/* The measured law as a pmf over 0..max; its fitted mu_hat into *mu_hat. */
static void load_staleness(struct sim_opts *o, double *mu_hat)
{
	asgd_staleness acc;
	char err[512];

	if (asgd_staleness_init(&acc, 0) != ASGD_OK)
		cli_out_of_memory(CMD);
	if (asgd_staleness_read_file(&acc, o->e.job.staleness, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "--staleness '%s' is not allowed: %s", o->e.job.staleness, err);
	if (acc.count == 0)
		cli_usage_error(CMD, "--staleness '%s' is not allowed: no staleness samples",
				o->e.job.staleness);
	o->tau_pmf = malloc(acc.hist_len * sizeof(double));
	if (!o->tau_pmf)
		cli_out_of_memory(CMD);
	{
		double mean = 0;

		for (size_t l = 0; l < acc.hist_len; l++) {
			o->tau_pmf[l] = (double)acc.hist[l] / (double)acc.count;
			mean += (double)l * o->tau_pmf[l];
		}
		*mu_hat = mean / (1 + mean);
	}
	o->cfg.tau_pmf = o->tau_pmf;
	o->cfg.tau_len = acc.hist_len;
	asgd_staleness_free(&acc);
}

struct raw_flags {
	const char *model, *eta, *mu, *iters, *batch, *every;
};

/* Defaults from the preset, then the flags; every combination checked. */
static void resolve(struct sim_opts *o, const struct raw_flags *f)
{
	asgd_sim_config *c = &o->cfg;
	double mu_hat = NAN;
	char err[512];

	if (asgd_model_parse(f->model, &c->model) != ASGD_OK || !asgd_model_is_discrete(c->model))
		cli_usage_error(CMD, "--model '%s' is unknown: expected asgd, sgd, msgd or minibatch",
				f->model);
	cli_problem_create(CMD, &o->cp, 0);
	o->problem = o->cp.problem;
	o->e.preset = o->cp.label;
	o->e.observed = o->cp.obs.kind == ASGD_OBSERVE_X ? NULL : o->cp.obs.spec;
	c->problem = o->problem;
	c->observe = o->cp.obs.kind == ASGD_OBSERVE_X ? NULL : &o->cp.obs;
	c->eta = cli_problem_eta(CMD, &o->cp, f->eta);
	if (f->mu && c->model == ASGD_MODEL_SGD)
		cli_usage_error(CMD, "--mu '%s' is not allowed with --model sgd (it has no staleness)",
				f->mu);
	c->mu = c->model == ASGD_MODEL_SGD ? 0 : asgd_problem_default_mu(o->problem);
	if (f->mu)
		c->mu = cli_double_range(CMD, "--mu", f->mu, 0, nextafter(1, 0), "a number in [0, 1)");
	c->iters = cli_problem_iters(CMD, &o->cp, f->iters, 1, 1000000000);
	c->every = f->every ? cli_u64_range(CMD, "--record-every", f->every, 1, c->iters) : 1;
	if (c->every > 1 && o->e.job.exact)
		cli_usage_error(CMD, "--record-every %s and --exact exclude each other: the exact "
				"moments are of every step", f->every);
	cli_check_trajectory(CMD, c->iters, asgd_problem_dim(o->problem));
	if ((f->batch || o->e.job.batch_schedule) && c->model != ASGD_MODEL_MINIBATCH)
		cli_usage_error(CMD, "%s is only allowed with --model minibatch, not %s",
				f->batch ? "--batch" : "--batch-schedule", f->model);
	if (f->batch && o->e.job.batch_schedule)
		cli_usage_error(CMD, "--batch and --batch-schedule '%s' exclude each other",
				o->e.job.batch_schedule);
	if (f->batch)
		c->batch.constant = (uint32_t)cli_u64_range(CMD, "--batch", f->batch, 1,
							    ASGD_SIM_MAX_BATCH);
	if (o->e.job.batch_schedule)
		cli_load_schedule(CMD, o->e.job.batch_schedule, ASGD_SIM_MAX_BATCH, &o->schedule,
				  &c->batch);
	if (o->e.job.staleness) {
		if (c->model != ASGD_MODEL_ASGD && c->model != ASGD_MODEL_MINIBATCH)
			cli_usage_error(CMD, "--staleness '%s' is only allowed with --model asgd or "
					"minibatch, not %s", o->e.job.staleness, f->model);
		if (o->e.job.exact)
			cli_usage_error(CMD, "--exact and --staleness '%s' exclude each other: the "
					"exact moments assume geometric staleness", o->e.job.staleness);
		load_staleness(o, &mu_hat);
		if (!f->mu)	/* the time scale dt: the geometric fit of the measured law */
			c->mu = mu_hat < 1 ? mu_hat : nextafter(1, 0);
	}
	if (asgd_sim_check_config(c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	cli_prepare_out(CMD, o->e.out);
	c->stop = cli_stop_flag();
}

static void parse_args(int argc, char **argv, struct sim_opts *o)
{
	struct raw_flags f = { .model = "asgd" };
	struct cli_output_flags out;
	struct cli_ensemble_flags ens;
	const char *const preset_s = "the problem's";
	const struct cli_flag own[] = {
		CLI_TEXT("model", "M", &f.model, NULL, "asgd | sgd | msgd | minibatch"),
		CLI_TEXT("eta", "ETA", &f.eta, preset_s, "step size > 0 (MSGD: eta')"),
		CLI_TEXT("mu", "MU", &f.mu, "the preset's; not used by sgd", "staleness (asgd, "
			 "minibatch) or momentum mu' (msgd), in [0,1)"),
		CLI_TEXT("iters", "K", &f.iters, preset_s, "steps per path, rows k = 0..K"),
		CLI_TEXT("record-every", "S", &f.every, "1", "steps between the rows kept, k = 0, "
			 "S, 2S, ... (on data each row is a pass over the rows), 1..K"),
		CLI_U64("seed", "S", &o->cfg.seed, 0, UINT64_MAX,
			"seed; path p uses the stream (S, p)"),
		CLI_TEXT("staleness", "FILE", &o->e.job.staleness, NULL, "tau i.i.d. from a measured "
			 "law instead of geometric(mu): staleness.csv of 'asgd run', or a sample / "
			 "l,count histogram as 'asgd fit' reads (asgd, minibatch only)"),
		CLI_TEXT("batch", "B", &f.batch, NULL, "minibatch: B components per step, with "
			 "replacement, 1..1000000"),
		CLI_TEXT("batch-schedule", "F", &o->e.job.batch_schedule, NULL,
			 "minibatch: B_k from a CSV of lines k,B (k = 0, 1, ...)"),
		CLI_SWITCH("exact", &o->e.job.exact,
			   "exact moments instead of Monte Carlo (quadratic presets)"),
		CLI_END,
	};

	o->cfg.seed = 1;
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		own, cli_problem_flags(&o->cp, 0), cli_ensemble_flags(&ens, &o->cfg.paths, &o->cfg.threads, 5000, 1), cli_output_flags(&out, &o->e.out, &o->e.quiet, "out/simulate"),
		NULL }, argc, argv);
	resolve(o, &f);
}

/* The first lines of the stdout summary (asgd/ensemble_job.h's outcome of @arg's job). */
static void print_head(const void *arg, const asgd_ensemble_outcome *r)
{
	const struct sim_opts *o = arg;

	printf("asgd simulate  %s  %s  eta=%g  mu=%g  iters=%llu  paths=%llu%s\n",
	       asgd_model_name(o->cfg.model), asgd_problem_spec(o->problem), o->cfg.eta, o->cfg.mu,
	       (unsigned long long)o->cfg.iters, (unsigned long long)r->ens->paths_done,
	       r->ens->interrupted ? "  (PARTIAL)" : "");
	printf("history H=%zu  truncation P(tau>=H)=%.3g, %llu draws truncated\n", r->sim.history,
	       r->sim.truncation_prob, (unsigned long long)r->sim.truncated);
}

int cli_simulate(int argc, char **argv)
{
	struct sim_opts o;
	int status;

	memset(&o, 0, sizeof(o));
	o.e = (struct cli_ensemble){ .cmd = CMD, .argc = argc, .argv = argv, .print_head = print_head,
				     .arg = &o, .job.sim = &o.cfg };
	parse_args(argc, argv, &o);
	status = cli_ensemble(&o.e);
	free(o.tau_pmf);
	free(o.schedule);
	cli_problem_free(&o.cp);
	return status;
}
