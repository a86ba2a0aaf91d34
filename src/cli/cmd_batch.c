/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_batch.c — `asgd batch`: the optimal mini-batch schedule of Section 4 (docs/MODELS.md §6)
 * computed for a 1-D quadratic preset, and tested: it runs in the discrete simulator (mini-batch
 * ASGD (4.1)) and in the real engine against a constant batch and against the constant batch
 * with the same total number of gradient evaluations, and reports E|x_K − x*|² with its standard
 * error and the gradient evaluations of each — the paper's Figure 8 as numbers. On a model on
 * data (--loss --data) the control is that of a 1-D surrogate (asgd_batch_read_problem) and the
 * runs report the loss gap f(x_K) − f* instead; a problem whose minimizer is not known (the
 * hinge loss today) is refused with exit 2.
 *
 * This file parses the flags into an asgd_batch_config and prints the table; the experiment
 * (the control, the schedules, the runs, the files) is asgd/batch_run.h's. SIGINT or SIGTERM
 * stops the current run; what is complete is written, marked "partial", and the command exits
 * 130.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/batch_run.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/sim.h"
#include "asgd/work.h"
#include "cli.h"

static const char *const CMD = "batch";

struct batch_opts {
	const char *preset, *out;	/* preset: the problem's label */
	struct cli_problem cp;		/* --preset or --loss --data, --observe */
	asgd_problem *problem;		/* cp's */
	int quiet;
	unsigned phase;			/* the progress phase open, from 1; 0: none */
	char phase_name[32];		/* its name: "optimal:sim", "optimal:engine" */
	asgd_batch_config cfg;
};

static const struct cli_command COMMAND = {
	.name = "batch",
	.about = "The optimal time-dependent mini-batch of the paper's Section 4, (4.5)-(4.11), for "
		 "f = a x^2/2 (docs/MODELS.md section 6): batch 1 until the transition iteration "
		 "k*, then B_k = round(1 + u*(k dt)) growing like exp(r k dt/2), with dt = "
		 "sqrt(eta(1-mu)). The schedule runs in the simulator (mini-batch ASGD (4.1), "
		 "components drawn with replacement, staleness mu) and in the real engine (M "
		 "workers, drawn without replacement), beside a constant batch and the constant "
		 "batch with the same total number of gradient evaluations; for each: the final "
		 "E|x_K - x*|^2 with its standard error and the gradient evaluations per run. On "
		 "data (--loss --data): the control of a 1-D surrogate with a = trace(HC)/trace(C) "
		 "at x*, the noise-weighted curvature (the hinge loss: lambda, the regulariser's), Sigma = "
		 "trace C(x*) and z0 = 2(f(x0)-f*)/a, whose loss gap (a/2)z has the data's start "
		 "and noise floor; the runs report the loss gap f(x_K)-f* instead.",
	.epilogue = "outputs in DIR: control.json (gamma*, t*, k*, r, kappa, V(z0,0), settings),\n"
		    "schedule.csv (k,batch,u,t: the optimal schedule), batch.json and batch.csv (one\n"
		    "row per schedule: gradient evaluations, the control model's z_K, simulator and\n"
		    "engine E|x_K-x*|^2 +- SE, the engine's mu_hat), curves.csv (schedule,k,t,batch,\n"
		    "model,sim_msd,sim_se,engine_msd,engine_se). Figure: scripts/plot.py batch DIR.\n"
		    "The engine indexes the schedule by the version a worker read (update k uses\n"
		    "B_{k-tau_k}) and caps it at n; drawing without replacement lowers the variance by\n"
		    "(n-B)/(n-1) against the simulator (fig4 has n = 2: any batch >= 2 is the full\n"
		    "gradient there, without noise).\n"
		    "On data the measure columns are named *_loss_gap (batch.csv, curves.csv) and\n"
		    "--work defaults to none; a problem without a known minimizer (--loss hinge\n"
		    "today, or d > 4096) is refused with exit 2.\n"
		    "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted.\n",
};

/* a, Σ, x* of a 1-D quadratic preset, or of a data model's surrogate; or a usage error. */
static void read_problem(struct batch_opts *o)
{
	int data = cli_problem_is_data(&o->cp), rc;

	if (data && o->cp.obs.kind != ASGD_OBSERVE_LOSS)
		cli_usage_error(CMD, "--observe %s is not allowed: on data batch measures the loss "
				     "gap f(x)-f* (--observe loss)", o->cp.obs.spec);
	o->cfg.loss = data ? &o->cp.obs : NULL;
	rc = asgd_batch_read_problem(&o->cfg);
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(CMD);
	if (rc == ASGD_OK)
		return;
	if (!data)
		cli_usage_error(CMD, "%s is not allowed: the control needs a 1-D "
				     "quadratic preset with a > 0 (fig4, fig8) or a model on data",
				o->cp.named);
	if (isnan(o->cfg.fstar))
		cli_no_minimizer(CMD, &o->cp, "the control's curvature and noise are taken there");
	if (o->cfg.local.source == ASGD_ADVISE_CURV_REGULARISER)
		cli_usage_error(CMD, "%s is not allowed: the hinge loss has no curvature at its "
				     "optimum, and lambda = 0 gives the regulariser none either",
				o->cp.named);
	cli_usage_error(CMD, "%s is not allowed: its curvature at the minimizer is not positive",
			o->cp.named);
}

static void check_engine(const struct batch_opts *o)
{
	asgd_engine_config c;
	char err[256];

	asgd_batch_engine_config(&o->cfg, NULL, &c);
	if (asgd_engine_check_config(&c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
}

/* --gamma G: γ itself instead of the default, γ* divided by ASGD_BATCH_GAMMA_DIVISOR. */
static void take_gamma(const char *cmd, void *dst, const char *value)
{
	asgd_batch_config *c = dst;

	c->gamma = cli_double_positive(cmd, "--gamma", value);
	c->gamma_default = 0;
}

static void parse_args(int argc, char **argv, struct batch_opts *o)
{
	const char *eta = NULL, *mu = NULL;
	struct cli_engine_flags eng;
	struct cli_ensemble_flags ens;
	struct cli_output_flags out;
	const struct cli_flag own[] = {
		CLI_CALL("gamma", "G", take_gamma, &o->cfg, "gamma*/1000: the batch grows to about "
			 "32 at the end", "the unit cost of extra gradients in (4.5), > 0; gamma >= "
			 "gamma* means batch 1 throughout"),
		CLI_U64("horizon", "K", &o->cfg.horizon, 1, 10000000,
			"iterations, {min}..{max}; T = K dt"),
		CLI_TEXT("eta", "ETA", &eta, "the problem's", "step size > 0"),
		CLI_TEXT("mu", "MU", &mu, "the preset's; fig8's is 0 -- the paper's Figure 8 "
			 "states none -- so dt = sqrt(eta)",
			 "staleness of the control and the simulator, in [0,1)"),
		CLI_U64("constant-batch", "B", &o->cfg.constant, 1, ASGD_SIM_MAX_BATCH,
			"the constant batch to beat, {min}..{max}"),
		CLI_END,
	};
	struct cli_flag *engine;

	_Static_assert(ASGD_BATCH_GAMMA_DIVISOR == 1000.0, "--gamma's help says gamma*/1000");
	o->cp.preset_default = "fig8";
	o->cfg.gamma_default = 1;
	o->cfg.horizon = 1000;
	o->cfg.constant = 5;
	o->cfg.argc = argc;
	o->cfg.argv = argv;
	engine = (struct cli_flag *)cli_engine_flags(&eng, (struct cli_engine_dst){
		&o->cfg.workers, &o->cfg.work, &o->cfg.replicas, &o->cfg.seed, 4, "exp:100us", 200,
		0, 20 });
	cli_flag_reword(engine, "workers", "worker threads of the real engine, 1..{max}. The "
			"engine's staleness is its own, mu_hat ~ 1 - 1/M with exponential work, "
			"reported beside --mu; for a like-for-like run pass --workers 1 (mu_hat = 0) "
			"or --mu mu_hat");
	cli_flag_reword(engine, "replicas", "engine runs per schedule, {min}..{max} (0: no engine)");
	cli_flag_reword(engine, "work", "injected work per gradient: none | fixed:DUR | exp:DUR | "
			"geom:P,DUR (DUR like 100us, 1.5ms); none on data, where the gradient is "
			"the work");
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		own, cli_problem_flags(&o->cp, 0), cli_ensemble_flags(&ens, &o->cfg.paths, &o->cfg.threads, 5000, 2), engine,
		cli_output_flags(&out, &o->out, &o->quiet, "out/batch"), NULL }, argc, argv);
	cli_problem_create(CMD, &o->cp, 0);
	if (cli_problem_is_data(&o->cp))
		cli_engine_data_defaults(&eng);
	o->cfg.problem = o->problem = o->cp.problem;
	o->preset = o->cp.label;
	read_problem(o);
	o->cfg.eta = cli_problem_eta(CMD, &o->cp, eta);
	o->cfg.mu = mu ? cli_double_range(CMD, "--mu", mu, 0, nextafter(1, 0), "a number in [0, 1)")
		       : asgd_problem_default_mu(o->problem);
	check_engine(o);
}

/* ---- the table on stdout ------------------------------------------------------------- */

/* "v ± se" in %.3e, or "n/a", in a field of 24. */
static void print_pm(double v, double se)
{
	char buf[64];

	if (!isfinite(v))
		snprintf(buf, sizeof(buf), "n/a");
	else if (isfinite(se))
		snprintf(buf, sizeof(buf), "%.3e +- %.1e", v, se);
	else
		snprintf(buf, sizeof(buf), "%.3e", v);
	printf("  %-21s", buf);
}

static void print_label(const asgd_batch_outcome *r)
{
	char buf[32];

	if (!strcmp(r->name, "optimal"))
		snprintf(buf, sizeof(buf), "%s", r->name);
	else
		snprintf(buf, sizeof(buf), "%s B=%u", r->name, r->size[0]);
	printf("  %-18s", buf);
}

/* On data: the surrogate f = a x^2/2 and where its a, Σ and z0 come from. */
static void print_surrogate(const asgd_batch_config *c, const asgd_batchctl *s)
{
	printf("control   the 1-D surrogate f = a x^2/2 of the data problem (docs/MODELS.md "
	       "section 6):\n");
	if (c->local.source == ASGD_ADVISE_CURV_REGULARISER)
		printf("          a=%.6g = lambda (the regulariser's: the hinge loss has no "
		       "curvature at its optimum)\n", c->a);
	else
		printf("          a=%.6g = trace(HC)/trace(C) at x*, the noise-weighted curvature "
		       "(largest eigenvalue %.6g)\n", c->a, c->local.a);
	printf("          Sigma=%.6g = trace C(x*)  f*=%.10g  f(x0)=%.6g  z0=2(f(x0)-f*)/a=%.6g\n"
	       "          dt=%.6g  T=%.6g\n", c->sigma2, c->fstar, c->f0, s->p.z0, s->dt, s->p.T);
}

static void print_control(const asgd_batch_config *c, const asgd_batch_result *r)
{
	const asgd_batchctl *s = &r->ctl;
	const asgd_batch_outcome *opt = &r->s[ASGD_BATCH_OPTIMAL];

	if (c->on_data)
		print_surrogate(c, s);
	else
		printf("control   a=%g  Sigma=%.6g  x*=%.6g  z0=%.6g  dt=%.6g  T=%.6g\n", c->a,
		       c->sigma2, c->xstar, s->p.z0, s->dt, s->p.T);
	printf("          r=%.6g%s  kappa=%.6g  gamma*=%.6g  gamma=%.6g (gamma*/%.4g)\n", s->r,
	       s->oscillating ? " (complex lambda: r = c)" : "", s->kappa, s->gamma_star, r->gamma,
	       s->gamma_star / r->gamma);
	printf("          t*=%.6g (%.1f iterations)  k*=%.1f  batch %u -> %u  V(z0,0)=%.6g\n",
	       s->t_star, s->t_star / s->dt, s->k_star, opt->size[0], opt->size[c->horizon - 1],
	       asgd_batchctl_value(s, s->p.z0, 0));
}

static void print_table(const struct batch_opts *o, const asgd_batch_result *res)
{
	const asgd_batch_config *c = &o->cfg;
	char work[64];

	asgd_work_format(&c->work, work, sizeof(work));
	printf("asgd batch  %s  eta=%g  mu=%g  K=%llu  paths=%llu  replicas=%llu  M=%u  "
	       "work=%s%s\n",
	       asgd_problem_spec(c->problem), c->eta, c->mu, (unsigned long long)c->horizon,
	       (unsigned long long)c->paths, (unsigned long long)c->replicas, c->workers, work,
	       res->partial ? "  (PARTIAL)" : "");
	print_control(c, res);
	if (c->on_data)
		printf("\nloss gap f(x_K) - f* at K = %llu (+- one SE; f* = %.10g) and gradient "
		       "evaluations per run\n", (unsigned long long)c->horizon, c->fstar);
	else
		printf("\nE|x_K - x*|^2 at K = %llu (+- one SE) and gradient evaluations per run\n",
		       (unsigned long long)c->horizon);
	printf("  %-18s  %10s  %9s  %-21s  %9s  %-21s  %10s  %6s\n", "schedule", "grad evals",
	       "model", "simulator", "model(n)", "engine", "eng evals", "mu_hat");
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		const asgd_batch_outcome *r = &res->s[i];

		print_label(r);
		printf("  %10.0f  %9.3e", r->evaluations, r->model[c->horizon]);
		print_pm(r->sim_final, r->sim_final_se);
		printf("  %9.3e", r->model_engine[c->horizon]);
		print_pm(r->eng_final, r->eng_final_se);
		if (isfinite(r->eng_evaluations))
			printf("  %10.0f  %6.4f\n", r->eng_evaluations, r->mu_hat);
		else
			printf("  %10s  %6s\n", "n/a", "n/a");
	}
	printf("model: the control model (4.5) stepped with this schedule; model(n): the same with\n"
	       "the engine's draws without replacement from n = %zu, variance x (n-B)/(n-1)\n",
	       asgd_problem_components(c->problem));
	if (c->on_data)
		printf("(on data both as the surrogate's loss gap (a/2) z: a model of the slowest\n"
		       "directions' share only through a; docs/MODELS.md section 6)\n");
	printf("simulator: mini-batch ASGD (4.1) at mu=%g, with replacement; engine: %u workers,\n"
	       "without replacement, batch B_v of the version read, its own staleness mu_hat\n",
	       c->mu, c->workers);
	printf("outputs   %s/{control.json,schedule.csv,batch.json,batch.csv,curves.csv}\n",
	       o->out);
}

/* ---- the command --------------------------------------------------------------------- */

/* The control and the schedules, or a usage error saying why not. */
static void prepare(const struct batch_opts *o, asgd_batch_result *r)
{
	const asgd_batch_config *c = &o->cfg;

	if (asgd_batch_prepare(c, r) == ASGD_OK)
		return;
	switch (r->refused) {
	case ASGD_BATCH_NO_CONTROL:
		cli_usage_error(CMD, "eta %g, mu %g and horizon %llu give no control problem",
				c->eta, c->mu, (unsigned long long)c->horizon);
	case ASGD_BATCH_NO_NOISE:
		cli_usage_error(CMD, "%s has no gradient noise (Sigma = 0), so "
				     "gamma* = 0: give --gamma", o->cp.named);
	case ASGD_BATCH_BAD_GAMMA:
		cli_usage_error(CMD, "--gamma %g is not allowed: expected a finite number > 0",
				r->gamma);
	case ASGD_BATCH_OOM_SCHEDULES:
		cli_usage_error(CMD, "out of memory for a schedule of %llu steps",
				(unsigned long long)c->horizon);
	case ASGD_BATCH_OOM_CURVES:
		cli_usage_error(CMD, "out of memory for curves of %llu steps",
				(unsigned long long)c->horizon);
	default:
		cli_usage_error(CMD, "--gamma %g is not allowed: the optimal batch would exceed %u "
				     "(u*(T) = %.3g); take gamma closer to gamma* = %.6g",
				r->gamma, ASGD_SIM_MAX_BATCH, asgd_batchctl_u(&r->ctl, r->ctl.p.T),
				r->ctl.gamma_star);
	}
}

/* Each schedule's two phases: its simulated paths (in groups), then the engine's replicas. */
#define BATCH_PHASES_PER_SCHEDULE 2

/* Count @p in phase @k (0: sim, 1: engine) of its schedule, opened at its first count. */
static void batch_count(struct batch_opts *o, const asgd_batch_progress *p, unsigned k)
{
	unsigned phase = (unsigned)p->schedule * BATCH_PHASES_PER_SCHEDULE + k + 1;

	if (o->phase != phase) {
		snprintf(o->phase_name, sizeof(o->phase_name), "%s:%s", p->name,
			 k ? "engine" : "sim");
		cli_progress_phase(phase, o->phase_name);
		o->phase = phase;
	}
	cli_progress_update(p->done, p->total);
}

/* The schedule under way, the simulator's groups and the engine's replicas, on stderr. */
static void progress(void *arg, const asgd_batch_progress *p)
{
	struct batch_opts *o = arg;

	if (p->event == ASGD_BATCH_BEGIN) {
		cli_progress_note("batch: %s schedule (%d of %d)", p->name, p->schedule + 1,
				  ASGD_BATCH_NSCHEDULES);
	} else if (p->event == ASGD_BATCH_SIM_GROUP) {
		batch_count(o, p, 0);
	} else if (p->event == ASGD_BATCH_REPLICA) {
		batch_count(o, p, 1);
	} else {
		cli_progress_phase_end();
		o->phase = 0;
	}
}

/* control.json and schedule.csv: the control alone, written before any run. */
static int write_control(const struct batch_opts *o, const asgd_batch_result *r)
{
	int rc = cli_write_json_out(o->out, "control.json", asgd_batch_control_json(&o->cfg, r));

	return rc == ASGD_OK ? asgd_batch_write_schedule_csv(&o->cfg, r, o->out) : rc;
}

/* batch.csv, curves.csv and batch.json, each atomically. */
static int write_results(const struct batch_opts *o, const asgd_batch_result *r, double wall_s)
{
	int rc = asgd_batch_write_tables(&o->cfg, r, o->out);

	return rc == ASGD_OK ? cli_write_json_out(o->out, "batch.json",
						  asgd_batch_result_json(&o->cfg, r, wall_s))
			     : rc;
}

int cli_batch(int argc, char **argv)
{
	struct batch_opts o;
	asgd_batch_result r;
	int rc = ASGD_OK, wrc, status = CLI_EXIT_OK;
	double t0 = cli_now_s();

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	parse_args(argc, argv, &o);
	prepare(&o, &r);
	cli_prepare_out(CMD, o.out);
	wrc = write_control(&o, &r);
	if (wrc == ASGD_OK) {
		o.cfg.stop = cli_stop_flag();
		if (cli_progress_start(CMD, ASGD_BATCH_NSCHEDULES * BATCH_PHASES_PER_SCHEDULE,
				       o.quiet)) {
			o.cfg.progress = progress;
			o.cfg.progress_arg = &o;
		}
		rc = asgd_batch_run(&o.cfg, &r);
		if (rc != ASGD_OK)
			fprintf(stderr, "asgd batch: a run failed: %s\n", asgd_strerror(rc));
		wrc = write_results(&o, &r, cli_now_s() - t0);
	}
	if (!o.quiet)
		print_table(&o, &r);
	if (cli_write_failed(CMD, o.out, wrc)) {
		status = CLI_EXIT_FAIL;
	} else if (rc != ASGD_OK) {
		status = CLI_EXIT_FAIL;
	} else if (r.interrupted) {
		fprintf(stderr, "asgd batch: interrupted; the complete runs are in %s "
				"(\"partial\": true)\n", o.out);
		status = CLI_EXIT_INTERRUPTED;
	} else if (r.diverged) {
		fprintf(stderr, "asgd batch: diverged: a run's iterate became non-finite (eta %g "
				"too large for %s?)\n", o.cfg.eta, o.preset);
		status = CLI_EXIT_FAIL;
	}
	asgd_batch_result_free(&r);
	cli_problem_free(&o.cp);
	return status;
}
