/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_advise.c — `asgd advise`: advice on the explicit momentum (or the step) for M workers, and
 * a real run that tests it. The flags fill an asgd_advise_config; the experiment (probe,
 * recommendation, both settings in the real engine, verdict) is asgd_advise_run's
 * (asgd/advise_run.h), and so are its files; this file reports its progress, writes each
 * setting's run summary as it goes, and prints the report.
 *
 * On a model on data (--loss --data) the same experiment runs on the data problem: x* is the
 * model's minimizer, a the largest Hessian eigenvalue there (the hinge loss, which has none:
 * the regulariser's λ, said in the report), and the settings are compared on the loss gap
 * f(x_K) − f*, the observable's; a problem whose x* is not known is refused with exit 2.
 *
 * SIGINT or SIGTERM stops the run in progress; what was measured so far is written, marked
 * "partial", and the command exits 130.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/advise_run.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/work.h"
#include "cli.h"

static const char *const CMD = "advise";

struct advise_opts {
	const char *preset, *out;	/* preset: the problem's label */
	struct cli_problem cp;		/* --preset or --loss --data, --observe, --mode */
	asgd_advise_config cfg;		/* the user's current setting and the experiment */
	int quiet, argc;
	char **argv;
};

static const struct cli_command COMMAND = {
	.name = "advise",
	.about = "Advice for asynchronous SGD with M workers, tested on the real engine:\n"
		 "  1. a short real run at your setting measures the staleness mu_hat (it depends\n"
		 "     on M and the work per gradient, not on eta);\n"
		 "  2. the curvature a and gradient noise Sigma near the minimizer x* (1-D: f''(x*)\n"
		 "     and C(x*); d > 1: the largest Hessian eigenvalue by power iteration and\n"
		 "     trace C(x*)/d; the hinge loss, with no curvature at its optimum: a = lambda,\n"
		 "     the regulariser's);\n"
		 "  3. asynchrony and explicit momentum beta compose as total momentum\n"
		 "     mu_tot = 1-(1-mu_hat)(1-beta); the advice keeps M and eta and sets\n"
		 "     beta = 1-(1-mu_opt)/(1-mu_hat), so that mu_tot = mu_opt = max(1-4a eta, 0)\n"
		 "     (5.6) -- negative when asynchrony already exceeds mu_opt (Mitliagkas et al.);\n"
		 "     eta_opt = (1-mu_tot)/(4a) is reported as the alternative;\n"
		 "  4. your setting and the advice run R times each in the real engine; the report\n"
		 "     gives E|x_K-x*|^2 +- SE (on data: the loss gap f(x_K)-f* +- SE), iterations\n"
		 "     to --target and engine time for both, and says plainly when the advice did\n"
		 "     not help (not lower by more than 2 SE).\n",
	.epilogue = "outputs in DIR: advise.json (settings, measurements, recommendation with the\n"
		    "model's contraction rates, both outcomes, difference, verdict), advise.csv (one\n"
		    "row per setting), and current/ and recommended/ with moments.csv, msd.csv\n"
		    "(k,msd,se: E|x_k-x*|^2 over replicas; on data loss_gap.csv, k,loss,loss_gap,se:\n"
		    "the loss and f(x_k)-f*), staleness.csv and summary.json. On data --work\n"
		    "defaults to none; a problem without a known minimizer (--loss hinge today, or\n"
		    "d > 4096) is refused with exit 2.\n"
		    "For a schedule of growing mini-batches that lowers the noise floor late in a run,\n"
		    "see 'asgd batch' (docs/MODELS.md section 6).\n"
		    "exit status: 0 done (whatever the verdict), 1 failed or your setting diverged,\n"
		    "2 bad usage, 130 interrupted (partial outputs).\n",
};

/* Step (b) before --out is created, so that a problem it cannot advise on is bad usage. */
static void find_local(const struct advise_opts *o, asgd_advise_result *r)
{
	int rc = asgd_advise_locate(&o->cfg, r);

	if (rc == ASGD_ENOMEM && !r->xstar)
		cli_out_of_memory(CMD);
	if (rc != ASGD_OK && !r->have_xstar)
		cli_no_minimizer(CMD, &o->cp, "the advice is about the curvature and noise there");
	if (rc == ASGD_ENOTFOUND && r->local.source == ASGD_ADVISE_CURV_REGULARISER)
		cli_usage_error(CMD, "%s is not allowed: the hinge loss has no curvature at its "
				     "optimum, and lambda = 0 gives the regulariser none either",
				o->cp.named);
	if (rc == ASGD_ENOTFOUND)
		cli_usage_error(CMD, "%s is not allowed: its curvature at the minimizer "
				     "is not positive", o->cp.named);
	if (rc != ASGD_OK)
		cli_usage_error(CMD, "%s: %s", o->cp.named, asgd_strerror(rc));
}

static void check_config(const struct advise_opts *o)
{
	asgd_engine_config cfg;
	char err[256];

	asgd_advise_engine_config(&o->cfg, &cfg);
	if (asgd_engine_check_config(&cfg, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	/* Trajectories of every replica are summed into moments: keep one replica's in memory. */
	cli_check_trajectory(CMD, o->cfg.iters, asgd_problem_dim(o->cfg.problem));
}

static void parse_args(int argc, char **argv, struct advise_opts *o, asgd_advise_result *r)
{
	const char *iters = NULL, *eta = NULL;
	struct cli_engine_flags eng;
	struct cli_output_flags out;
	const struct cli_flag own[] = {
		CLI_TEXT("eta", "ETA", &eta, "the problem's", "your current step size > 0"),
		CLI_REAL("momentum", "BETA", &o->cfg.momentum, nextafter(-1, 0), nextafter(1, 0),
			 "a number in (-1, 1)", "your current explicit momentum, in (-1,1)"),
		CLI_U64("probe-replicas", "P", &o->cfg.probe_replicas, 1, 100000000,
			"runs of the probe that measures mu_hat"),
		CLI_TEXT("iters", "K", &iters, "the problem's", "updates per run"),
		CLI_REAL("target", "T", &o->cfg.target, 0x1p-1074, 1.7976931348623157e308,
			 "a finite number > 0", "the level of E|x_k-x*|^2 (summed over coordinates) "
			 "whose first crossing is \"iterations to target\"; > 0 (default 0.02, as "
			 "asgd sweep). On data: a level of the loss f itself (default f* * 1.01)"),
		CLI_END,
	};
	struct cli_flag *engine;

	o->cfg.probe_replicas = 50;
	o->cfg.target = NAN;	/* the measure's default: asgd_advise_locate */
	o->argc = argc;
	o->argv = argv;
	engine = (struct cli_flag *)cli_engine_flags(&eng, (struct cli_engine_dst){
		&o->cfg.workers, &o->cfg.work, &o->cfg.replicas, &o->cfg.seed, 8, "exp:100us", 200,
		2, 20 });
	cli_flag_reword(engine, "replicas", "runs of each setting compared, {min}..{max}");
	cli_flag_reword(engine, "seed", "seed of the compared runs; the probe uses S+1");
	cli_flag_reword(engine, "work", "injected work per gradient: none | fixed:DUR | exp:DUR | "
			"geom:P,DUR (DUR like 100us, 1.5ms); none on data, where the gradient is "
			"the work");
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		own, cli_problem_flags(&o->cp, 0), engine,
		cli_output_flags(&out, &o->out, &o->quiet, "out/advise"), NULL }, argc,
		argv);
	cli_problem_create(CMD, &o->cp, o->cfg.momentum);
	if (cli_problem_is_data(&o->cp))
		cli_engine_data_defaults(&eng);
	o->cfg.problem = o->cp.problem;
	o->cfg.obs = &o->cp.obs;
	if (asgd_advise_measure_of(o->cfg.obs, &(asgd_advise_measure){ 0 }) != ASGD_OK)
		cli_usage_error(CMD, "--observe %s is not allowed: advise compares E|x-x*|^2 "
				     "(--observe x) or the loss gap f(x)-f* (--observe loss)",
				o->cp.obs.spec);
	o->preset = o->cp.label;
	o->cfg.iters = cli_problem_iters(CMD, &o->cp, iters, 1, 1000000000);
	o->cfg.eta = cli_problem_eta(CMD, &o->cp, eta);
	check_config(o);
	find_local(o, r);
	cli_prepare_out(CMD, o->out);
	o->cfg.stop = cli_stop_flag();
}

/* ---- what the experiment reports as it goes ---- */

static const char *const STAGE[] = { "probe", "current", "recommended" };

static void progress(void *arg, const asgd_advise_progress *p)
{
	(void)arg;
	if (p->event == ASGD_ADVISE_REPLICA) {
		cli_progress_update(p->done, p->total);
		return;
	}
	if (p->event == ASGD_ADVISE_END) {
		cli_progress_phase_end();
		return;
	}
	if (p->stage == ASGD_ADVISE_PROBE)
		cli_progress_note("advise: probe, %llu runs at your setting to measure mu_hat",
				  (unsigned long long)p->total);
	else
		cli_progress_note("advise: %s setting, beta = %.6g, %llu runs", STAGE[p->stage],
				  p->beta, (unsigned long long)p->total);
	cli_progress_phase((unsigned)p->stage + 1, STAGE[p->stage]);
}

/* DIR/<setting>/: moments.csv, staleness.csv and summary.json, as soon as the setting ran. */
static int write_run(void *arg, const char *name, const asgd_engine_config *cfg,
		     const asgd_replicas *t, const asgd_staleness_summary *sum)
{
	const struct advise_opts *o = arg;
	char dir[4096];
	int rc;

	cli_out_path(dir, sizeof(dir), o->out, name);
	cli_prepare_out(CMD, dir);
	rc = asgd_replicas_write_tables(dir, t, sum, 1.0); /* rows at t = k: no SME clock */
	if (rc != ASGD_OK)
		return rc;
	return cli_write_json_out(dir, "summary.json",
				  asgd_replicas_summary_json(CMD, o->argc, o->argv,
							     asgd_problem_spec(o->cfg.problem), cfg,
							     o->cfg.replicas, t, sum));
}

/* ---- the report ---- */

static void print_measurements(const struct advise_opts *o, const asgd_advise_result *r)
{
	const asgd_staleness_summary *s = &r->probe;
	const asgd_advise_local *l = &r->local;
	char work[64];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	printf("asgd advise  %s  M=%u  work=%s  eta=%g  momentum=%g  iters=%llu  replicas=%llu%s\n",
	       asgd_problem_spec(o->cfg.problem), o->cfg.workers, work, o->cfg.eta, o->cfg.momentum,
	       (unsigned long long)o->cfg.iters, (unsigned long long)o->cfg.replicas,
	       r->partial ? "  (PARTIAL)" : "");
	printf("measured   mu_hat %.4f  95%% [%.4f, %.4f]  (probe: %llu runs, %llu gradients; "
	       "1-1/M = %.4f)\n", s->mu_hat, s->mu_ci95[0], s->mu_ci95[1],
	       (unsigned long long)r->probe_done, (unsigned long long)s->count, s->mu_queueing);
	if (l->source == ASGD_ADVISE_CURV_REGULARISER)
		printf("near x*    a = lambda = %.6g (the regulariser's: the hinge loss has no "
		       "curvature at its optimum)   Sigma = trace C/d = %.6g\n", l->a, l->sigma2);
	else if (asgd_problem_dim(o->cfg.problem) == 1)
		printf("near x*    a = f''(x*) = %.6g   Sigma = C(x*) = %.6g   (x* = %.6g)\n", l->a,
		       l->sigma2, r->xstar[0]);
	else
		printf("near x*    a = largest Hessian eigenvalue = %.6g (%u power iterations%s)   "
		       "Sigma = trace C/d = %.6g\n", l->a, l->power_iters,
		       l->converged ? "" : ", NOT converged", l->sigma2);
}

static void print_recommendation(const struct advise_opts *o, const asgd_advise_result *r)
{
	const asgd_advise_rec *c = &r->rec;

	printf("now        total momentum mu_tot = 1-(1-mu_hat)(1-beta) = %.4f\n", c->mu_tot);
	printf("optimum    mu_opt = max(1-4a eta, 0) = %.4f at eta = %g   (5.6)\n", c->mu_opt,
	       o->cfg.eta);
	printf("advice     keep M = %u and eta = %g; set the explicit momentum to beta = %.4f\n",
	       o->cfg.workers, o->cfg.eta, c->beta_rec);
	if (c->rule == ASGD_ADVISE_CLOSED_FORM)
		printf("           (1-(1-mu_opt)/(1-mu_hat): total momentum %.4f = mu_opt%s)\n",
		       c->mu_tot_rec, c->beta_rec < 0 ? "; negative: asynchrony alone exceeds "
							"mu_opt" : "");
	else
		printf("           (the closed form 1-(1-mu_opt)/(1-mu_hat) = %.4f is unusable; "
		       "this is the model's best beta)\n", c->beta_formula);
	printf("           alternative: keep beta = %g, set eta = eta_opt = (1-mu_tot)/(4a) = "
	       "%.4g\n", o->cfg.momentum, c->eta_opt);
	printf("model      contraction of E(x_k-x*) per iteration under geometric staleness:\n"
	       "           rho %.4f now, %.4f advised, %.4f with eta_opt; best %.4f at beta = "
	       "%.4f\n", c->rho_current, c->rho_rec, c->rho_eta_opt, c->rho_best, c->beta_best);
	if (isfinite(r->floor_current))
		printf("           noise floor Sigma eta/(2a(1-beta)): %.4g now, %.4g advised\n",
		       r->floor_current, r->floor_rec);
	if (r->have_batch)
		printf("batch      to lower the floor late in the run: batch 1 until k* = %.0f, then "
		       "growing to %u at k = K-1\n           (%.0f gradient evaluations for %llu "
		       "iterations; Section 4 at gamma = gamma*/1000, run it with 'asgd batch')\n",
		       r->batch_k_star, r->batch_final, r->batch_evaluations,
		       (unsigned long long)o->cfg.iters);
	else
		printf("batch      to lower the floor late in a run: 'asgd batch' (docs/MODELS.md "
		       "section 6)\n");
}

static void print_outcome(const asgd_advise_outcome *s)
{
	char k[32];

	if (!s->ran)
		return;
	if (isfinite(s->k_target))
		snprintf(k, sizeof(k), "%.0f", s->k_target);
	else
		snprintf(k, sizeof(k), "not reached");
	printf("           %-12s %8.4f %8.4f   %-12.5g %-10.2g %-12s %8.3f %s\n", s->name, s->beta,
	       s->mu_hat, s->final, s->final_se, k, s->wall_s,
	       s->diverged ? "DIVERGED" : s->interrupted ? "(interrupted)" : "");
}

/* What the outcome table measures, and its target. */
static void print_outcome_head(const struct advise_opts *o, const asgd_advise_result *r)
{
	if (r->measure == ASGD_ADVISE_MSD) {
		printf("outcome    %llu runs each, same seed streams; target %g\n",
		       (unsigned long long)o->cfg.replicas, r->target);
		return;
	}
	printf("outcome    %llu runs each, same seed streams; measured: the loss gap "
	       "f(x_K)-f*, f* = %.10g\n           target: the loss %.8g%s, iterations until "
	       "the mean loss first reaches it\n", (unsigned long long)o->cfg.replicas, r->fstar,
	       r->target, r->target_default ? " (f* * 1.01, the default)" : "");
}

/* The report on stdout. */
static void advise_print(const struct advise_opts *o, const asgd_advise_result *r)
{
	print_measurements(o, r);
	if (r->have_rec)
		print_recommendation(o, r);
	if (r->cur.ran) {
		print_outcome_head(o, r);
		printf("           %-12s %8s %8s   %-12s %-10s %-12s %8s\n", "setting", "beta",
		       "mu_hat", r->measure == ASGD_ADVISE_LOSS_GAP ? "final gap" : "final msd",
		       "+- SE", "iters to T", "engine s");
		print_outcome(&r->cur);
		print_outcome(&r->recd);
	}
	printf("verdict    %s\n", r->verdict_text);
	printf("outputs    %s/{advise.json,advise.csv,current/,recommended/}\n", o->out);
}

static int exit_status(const struct advise_opts *o, const asgd_advise_result *r, int rc,
		       int wrc)
{
	if (rc != ASGD_OK)
		return cli_say(CLI_EXIT_FAIL, CMD, "failed: %s", asgd_strerror(rc));
	if (cli_write_failed(CMD, o->out, wrc))
		return CLI_EXIT_FAIL;
	if (cli_stopped())
		return cli_say(CLI_EXIT_INTERRUPTED, CMD, "interrupted; partial results written to %s",
			       o->out);
	if (!r->have_probe)
		return cli_say(CLI_EXIT_FAIL, CMD, "the probe measured no staleness");
	if (r->cur.diverged)
		return cli_say(CLI_EXIT_FAIL, CMD, "your setting diverged (eta %g too large for %s?)",
			       o->cfg.eta, o->preset);
	return CLI_EXIT_OK;
}

int cli_advise(int argc, char **argv)
{
	struct advise_opts o;
	asgd_advise_result r;
	int rc, wrc, status;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	parse_args(argc, argv, &o, &r);
	if (cli_progress_start(CMD, 3, o.quiet))	/* probe, current, recommended */
		o.cfg.progress = progress;
	o.cfg.write_run = write_run;
	o.cfg.write_run_arg = &o;
	rc = asgd_advise_run(&o.cfg, &r);
	wrc = asgd_advise_write_tables(o.out, &o.cfg, &r);
	if (wrc == ASGD_OK)
		wrc = cli_write_json_out(o.out, "advise.json",
					 asgd_advise_result_json(&o.cfg, &r, argc, argv));
	if (!o.quiet && r.have_probe)
		advise_print(&o, &r);
	status = exit_status(&o, &r, rc, wrc);
	asgd_advise_result_free(&r);
	cli_problem_free(&o.cp);
	return status;
}
