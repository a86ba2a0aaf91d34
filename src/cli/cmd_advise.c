/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise.c — `asgd advise`: advice on the explicit momentum (or the step) for M workers, and a
 * real run that tests it.
 *
 * (a) A short real run at the user's setting measures μ̂: staleness depends on M and on the
 *     work per gradient, not on η or β, so the probe measures what the recommendation faces.
 * (b) Curvature a and noise Σ near the minimizer (asgd_advise_local_of).
 * (c) The recommendation of asgd/advise.h: keep M and η, set β so that the total momentum
 *     1 − (1 − μ̂)(1 − β) is (5.6)'s μ_opt; η_opt is reported as the alternative.
 * (d) Both settings in the real engine, R replicas each on the same seed streams, and a verdict
 *     on E‖x_K − x*‖² that says plainly when the recommendation did not help.
 *
 * SIGINT or SIGTERM stops the run in progress; what was measured so far is written, marked
 * "partial", and the command exits 130.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/advise.h"
#include "asgd/batchctl.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/replicas.h"
#include "asgd/staleness.h"
#include "asgd/work.h"
#include "advise.h"
#include "cli.h"

static const char *const CMD = "advise";

static void usage(void)
{
	printf("usage: asgd advise [OPTIONS]\n\n"
	       "Advice for asynchronous SGD with M workers, tested on the real engine:\n"
	       "  1. a short real run at your setting measures the staleness mu_hat (it depends\n"
	       "     on M and the work per gradient, not on eta);\n"
	       "  2. the curvature a and gradient noise Sigma near the minimizer x* (1-D: f''(x*)\n"
	       "     and C(x*); d > 1: the largest Hessian eigenvalue by power iteration and\n"
	       "     trace C(x*)/d);\n"
	       "  3. asynchrony and explicit momentum beta compose as total momentum\n"
	       "     mu_tot = 1-(1-mu_hat)(1-beta); the advice keeps M and eta and sets\n"
	       "     beta = 1-(1-mu_opt)/(1-mu_hat), so that mu_tot = mu_opt = max(1-4a eta, 0)\n"
	       "     (5.6) -- negative when asynchrony already exceeds mu_opt (Mitliagkas et al.);\n"
	       "     eta_opt = (1-mu_tot)/(4a) is reported as the alternative;\n"
	       "  4. your setting and the advice run R times each in the real engine; the report\n"
	       "     gives E|x_K-x*|^2 +- SE, iterations to --target and engine time for both,\n"
	       "     and says plainly when the advice did not help (not lower by more than 2 SE).\n\n"
	       "options:\n"
	       "  --preset NAME        problem (default fig4); one of:\n");
	cli_print_presets("                         ");
	printf("  --workers M          worker threads, 1..%d (default 8)\n"
	       "  --work SPEC          injected work per gradient: none | fixed:DUR | exp:DUR |\n"
	       "                       geom:P,DUR (default exp:100us)\n"
	       "  --eta ETA            your current step size > 0 (default: the preset's)\n"
	       "  --momentum BETA      your current explicit momentum, in (-1,1) (default 0)\n"
	       "  --probe-replicas P   runs of the probe that measures mu_hat (default 50)\n"
	       "  --replicas R         runs of each setting compared, >= 2 (default 200)\n"
	       "  --iters K            updates per run (default: the preset's)\n"
	       "  --target T           the level of E|x_k-x*|^2 (summed over coordinates) whose\n"
	       "                       first crossing is \"iterations to target\"; > 0 (default\n"
	       "                       0.02, as asgd sweep)\n"
	       "  --seed S             seed of the compared runs; the probe uses S+1 (default 1)\n"
	       "  --out DIR            output directory (default out/advise)\n"
	       "  --quiet              no progress, no report on stdout\n"
	       "  --help               this text\n\n"
	       "outputs in DIR: advise.json (settings, measurements, recommendation with the\n"
	       "model's contraction rates, both outcomes, difference, verdict), advise.csv (one\n"
	       "row per setting), and current/ and recommended/ with moments.csv, msd.csv\n"
	       "(k,msd,se: E|x_k-x*|^2 over replicas), staleness.csv and summary.json.\n"
	       "For a schedule of growing mini-batches that lowers the noise floor late in a run,\n"
	       "see 'asgd batch' (docs/MODELS.md section 6).\n"
	       "exit status: 0 done (whatever the verdict), 1 failed or your setting diverged,\n"
	       "2 bad usage, 130 interrupted (partial outputs).\n",
	       ASGD_MAX_WORKERS);
}

static void find_local(struct advise_opts *o, struct advise_result *r)
{
	int rc;

	o->xstar = malloc(asgd_problem_dim(o->problem) * sizeof(double));
	if (!o->xstar)
		cli_out_of_memory(CMD);
	if (asgd_problem_minimizer(o->problem, o->xstar) != ASGD_OK)
		cli_usage_error(CMD, "--preset '%s' is not allowed: its minimizer is not known, and "
				     "the advice is about the curvature there", o->preset);
	rc = asgd_advise_local_of(o->problem, o->xstar, &r->local);
	if (rc == ASGD_ENOTFOUND)
		cli_usage_error(CMD, "--preset '%s' is not allowed: its curvature at the minimizer "
				     "is not positive", o->preset);
	if (rc != ASGD_OK)
		cli_usage_error(CMD, "--preset '%s': %s", o->preset, asgd_strerror(rc));
}

static void check_config(const struct advise_opts *o)
{
	char err[256];

	if (asgd_engine_check_config(&o->cfg, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	/* Trajectories of every replica are summed into moments: keep one replica's in memory. */
	cli_check_trajectory(CMD, o->cfg.iters, asgd_problem_dim(o->problem));
}

static void parse_args(int argc, char **argv, struct advise_opts *o, struct advise_result *r)
{
	static const struct option longopts[] = {
		{ "preset", required_argument, NULL, 'p' },  { "workers", required_argument, NULL, 'w' },
		{ "work", required_argument, NULL, 'W' },    { "eta", required_argument, NULL, 'e' },
		{ "momentum", required_argument, NULL, 'm' },
		{ "probe-replicas", required_argument, NULL, 'P' },
		{ "replicas", required_argument, NULL, 'r' }, { "iters", required_argument, NULL, 'k' },
		{ "target", required_argument, NULL, 'T' },  { "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },     { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	const char *iters = NULL, *eta = NULL;
	int c;

	o->preset = "fig4";
	o->out = "out/advise";
	o->work_spec = "exp:100us";
	o->probe_replicas = 50;
	o->replicas = 200;
	o->target = 0.02;
	o->cfg.workers = 8;
	o->cfg.seed = 1;
	o->argc = argc;
	o->argv = argv;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->preset = optarg; break;
		case 'w': o->cfg.workers = (unsigned)cli_u64_range(CMD, "--workers", optarg, 1, ASGD_MAX_WORKERS); break;
		case 'W': o->work_spec = optarg; break;
		case 'e': eta = optarg; break;
		case 'm': o->cfg.momentum = cli_double_range(CMD, "--momentum", optarg, nextafter(-1, 0), nextafter(1, 0), "a number in (-1, 1)"); break;
		case 'P': o->probe_replicas = cli_u64_range(CMD, "--probe-replicas", optarg, 1, 100000000); break;
		case 'r': o->replicas = cli_u64_range(CMD, "--replicas", optarg, 2, 100000000); break;
		case 'k': iters = optarg; break;
		case 'T': o->target = cli_double_positive(CMD, "--target", optarg); break;
		case 's': o->cfg.seed = cli_u64_range(CMD, "--seed", optarg, 0, UINT64_MAX); break;
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'h': usage(); exit(CLI_EXIT_OK);
		default:
			cli_usage_error(CMD, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	o->problem = cli_preset(CMD, o->preset);
	o->cfg.problem = o->problem;
	o->cfg.iters = iters ? cli_u64_range(CMD, "--iters", iters, 1, 1000000000)
			     : asgd_problem_default_iters(o->problem);
	o->cfg.eta = eta ? cli_double_positive(CMD, "--eta", eta) : asgd_problem_default_eta(o->problem);
	cli_work_option(CMD, "--work", o->work_spec, &o->cfg.work);
	check_config(o);
	find_local(o, r);
	cli_prepare_out(CMD, o->out);
	o->probe_seed = o->cfg.seed + 1;
	o->cfg.record_staleness = 1;
	o->cfg.stop = cli_stop_flag();
}

/* ---- (a) the probe ---- */

static int run_probe(const struct advise_opts *o, struct advise_result *r)
{
	asgd_engine_config cfg = o->cfg;
	asgd_replicas t;
	int rc;

	cfg.seed = o->probe_seed;
	if (!o->quiet)
		fprintf(stderr, "advise: probe, %llu runs at your setting to measure mu_hat\n",
			(unsigned long long)o->probe_replicas);
	rc = asgd_replicas_run(&cfg, o->probe_replicas, o->quiet ? NULL : cli_replica_progress,
			       NULL, &t);
	if (!o->quiet)
		cli_progress_end();
	if (rc != ASGD_OK)
		return rc;
	r->probe_done = t.replicas_done;
	r->probe_applied = t.applied;
	r->probe_wall_s = t.wall_s;
	/* a diverged or interrupted probe still measured staleness up to where it stopped */
	r->have_probe = cli_summarize(CMD, &t.staleness, &r->probe);
	asgd_replicas_free(&t);
	return ASGD_OK;
}

/* ---- (c) the recommendation ---- */

/* Section 4's schedule at the recommended total momentum (docs/MODELS.md §6), summarised. */
static void recommend_batch(const struct advise_opts *o, struct advise_result *r)
{
	const double mu = asgd_advise_total_momentum(r->probe.mu_hat, r->rec.beta_rec);
	const double x0 = asgd_problem_x0(o->problem)[0] - o->xstar[0];
	asgd_batchctl_params p = { .a = r->local.a, .sigma2 = r->local.sigma2, .eta = o->cfg.eta,
				   .mu = mu, .gamma = 1, .T = 1, .z0 = x0 * x0 };
	asgd_batchctl s;

	r->have_batch = 0;
	if (!(mu >= 0 && mu < 1))
		return;
	p.T = (double)o->cfg.iters * sqrt(o->cfg.eta * (1 - mu));
	if (asgd_batchctl_solve(&p, &s) != ASGD_OK)	/* for γ*, then again at γ = γ*·10⁻³ */
		return;
	p.gamma = s.gamma_star / 1000;
	if (asgd_batchctl_solve(&p, &s) != ASGD_OK)
		return;
	r->batch_gamma_star = s.gamma_star;
	r->batch_k_star = s.k_star;
	r->batch_evaluations = 0;
	for (uint64_t k = 0; k < o->cfg.iters; k++)
		r->batch_evaluations += asgd_batchctl_batch(&s, k);
	r->batch_final = asgd_batchctl_batch(&s, o->cfg.iters - 1);
	r->have_batch = 1;
}

static int recommend(const struct advise_opts *o, struct advise_result *r)
{
	const asgd_advise_local *l = &r->local;
	int rc = asgd_advise_recommend(l->a, o->cfg.eta, o->cfg.momentum, r->probe.mu_hat, &r->rec);

	if (rc != ASGD_OK)
		return rc;
	r->have_rec = 1;
	r->floor_current = r->floor_rec = NAN;
	if (asgd_problem_dim(o->problem) == 1) {
		r->floor_current = asgd_advise_noise_floor(l->a, l->sigma2, o->cfg.eta, o->cfg.momentum);
		r->floor_rec = asgd_advise_noise_floor(l->a, l->sigma2, o->cfg.eta, r->rec.beta_rec);
		recommend_batch(o, r);
	}
	return ASGD_OK;
}

/* ---- (d) one setting in the real engine ---- */

/* Mean and SE across the independent replicas (@w, one per step), and what they come to. */
static void summarise_outcome(const struct advise_opts *o, const asgd_welford *w,
			      struct advise_outcome *out)
{
	out->replicas = w[0].n;
	out->k_target = NAN;
	for (size_t k = 0; k < out->steps; k++) {
		double m = asgd_welford_mean(&w[k]);

		out->msd[k] = m;
		out->msd_se[k] = asgd_welford_se(&w[k]);
		if (isnan(out->k_target) && m <= o->target)
			out->k_target = (double)k;
	}
	out->final_msd = out->diverged ? NAN : out->msd[out->steps - 1];
	out->final_se = out->diverged ? NAN : out->msd_se[out->steps - 1];
	out->t_target_s = out->k_target / out->updates_per_s;
}

static int write_run_files(const struct advise_opts *o, const asgd_engine_config *cfg,
			   const asgd_replicas *t, const asgd_staleness_summary *sum,
			   const char *name)
{
	char dir[4096];
	cJSON *summary;
	int rc;

	cli_out_path(dir, sizeof(dir), o->out, name);
	cli_prepare_out(CMD, dir);
	summary = cli_replicas_summary_json(CMD, o->argc, o->argv, asgd_problem_spec(o->problem),
					    cfg, o->replicas, t, sum);
	/* rows at t = k: the engine has no SME clock of its own */
	rc = cli_replicas_write(dir, t, sum, 1.0, summary);
	cJSON_Delete(summary);
	return rc;
}

static int run_setting(const struct advise_opts *o, double beta, struct advise_outcome *out)
{
	asgd_engine_config cfg = o->cfg;
	size_t steps = cfg.iters + 1;
	asgd_msd_steps s = { .xstar = o->xstar };
	asgd_staleness_summary sum;
	asgd_replicas t;
	int rc, have_sum;

	cfg.momentum = beta;
	out->eta = cfg.eta;
	out->beta = beta;
	out->steps = steps;
	out->msd = calloc(steps, sizeof(double));
	out->msd_se = calloc(steps, sizeof(double));
	s.w = calloc(steps, sizeof(*s.w));
	if (!out->msd || !out->msd_se || !s.w) {
		rc = ASGD_ENOMEM;
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr, "advise: %s setting, beta = %.6g, %llu runs\n", out->name, beta,
			(unsigned long long)o->replicas);
	rc = asgd_replicas_run_each(&cfg, o->replicas, o->quiet ? NULL : cli_replica_progress,
				    NULL, asgd_msd_steps_add, &s, &t);
	if (!o->quiet)
		cli_progress_end();
	if (rc != ASGD_OK)
		goto out;
	out->ran = 1;
	out->diverged = t.diverged;
	out->interrupted = t.interrupted;
	out->applied = t.applied;
	out->wall_s = t.wall_s;
	out->updates_per_s = t.wall_s > 0 ? (double)t.applied / t.wall_s : NAN;
	have_sum = cli_summarize(CMD, &t.staleness, &sum);
	out->mu_hat = have_sum ? sum.mu_hat : NAN;
	summarise_outcome(o, s.w, out);
	rc = write_run_files(o, &cfg, &t, have_sum ? &sum : NULL, out->name);
	if (have_sum)
		asgd_staleness_summary_free(&sum);
	asgd_replicas_free(&t);
out:
	free(s.w);
	return rc;
}

/* ---- the verdict ---- */

/*
 * Both settings at the first k where either reaches the target, appended to @txt: the speed the
 * final values cannot show. That setting is at most the target there by construction (its
 * crossing is selected on its own noise); the other one's value is an independent measurement.
 */
static void compare_early(struct advise_result *r, char *txt, size_t len)
{
	const struct advise_outcome *c = &r->cur, *d = &r->recd;
	size_t k, used = strlen(txt);
	const char *first;

	r->early_k = r->early_diff = r->early_se = NAN;
	if (d->diverged || d->replicas < 2 || used >= len)
		return;
	r->early_k = fmin(c->k_target, d->k_target);	/* fmin ignores a NAN */
	if (isnan(r->early_k))
		return;
	k = (size_t)r->early_k;
	first = d->k_target == r->early_k ? "the recommendation" : "your setting";
	r->early_diff = d->msd[k] - c->msd[k];
	r->early_se = sqrt(d->msd_se[k] * d->msd_se[k] + c->msd_se[k] * c->msd_se[k]);
	snprintf(txt + used, len - used,
		 "; early, at k = %zu where %s first reaches the target: %.4g +- %.2g against "
		 "%.4g +- %.2g (%s by %.1f SE)", k, first, d->msd[k], d->msd_se[k], c->msd[k],
		 c->msd_se[k], r->early_diff < 0 ? "lower" : "higher",
		 fabs(r->early_diff / r->early_se));
}

static void decide(struct advise_result *r)
{
	const struct advise_outcome *c = &r->cur, *d = &r->recd;
	char *txt = r->verdict_text;
	size_t len = sizeof(r->verdict_text);
	double z;

	r->early_k = r->early_diff = r->early_se = NAN;
	r->diff = d->final_msd - c->final_msd;
	r->diff_se = sqrt(d->final_se * d->final_se + c->final_se * c->final_se);
	if (!c->ran || !d->ran || c->interrupted || d->interrupted) {
		r->verdict = ADVISE_NO_VERDICT;
		snprintf(txt, len, "no verdict: the run was interrupted before both settings ran "
				   "to the end");
		return;
	}
	if (d->diverged && !c->diverged) {
		r->verdict = ADVISE_NOT_HELPED;
		snprintf(txt, len, "the recommendation did not help: it diverged");
		return;
	}
	if (c->diverged) {
		r->verdict = d->diverged ? ADVISE_NOT_HELPED : ADVISE_HELPED;
		snprintf(txt, len, d->diverged ? "the recommendation did not help: both settings "
						 "diverged"
					       : "the recommendation helped: your setting diverged, "
						 "the recommendation did not");
		return;
	}
	z = r->diff / r->diff_se;
	r->verdict = r->diff < -2 * r->diff_se ? ADVISE_HELPED : ADVISE_NOT_HELPED;
	snprintf(txt, len,
		 "the recommendation %s: final E|x_K-x*|^2 = %.4g +- %.2g against %.4g +- %.2g "
		 "now, %s by %.3g +- %.2g (%.1f SE%s)",
		 r->verdict == ADVISE_HELPED ? "helped" : "did not help", d->final_msd, d->final_se,
		 c->final_msd, c->final_se, r->diff < 0 ? "lower" : "higher", fabs(r->diff),
		 r->diff_se, fabs(z),
		 r->verdict == ADVISE_HELPED ? "" : r->diff < 0 ? ", not more than 2 SE" : "");
	compare_early(r, txt, len);
}

/* ---- the command ---- */

/* (a), (c), (d) in turn, each only when the one before completed. */
static int advise(const struct advise_opts *o, struct advise_result *r)
{
	int rc = run_probe(o, r);

	if (rc != ASGD_OK || cli_stopped() || !r->have_probe)
		return rc;
	rc = recommend(o, r);
	if (rc == ASGD_OK && !cli_stopped())
		rc = run_setting(o, o->cfg.momentum, &r->cur);
	if (rc == ASGD_OK && !cli_stopped() && !r->cur.interrupted)
		rc = run_setting(o, r->rec.beta_rec, &r->recd);
	return rc;
}

static void result_free(struct advise_result *r)
{
	if (r->have_probe)
		asgd_staleness_summary_free(&r->probe);
	free(r->cur.msd);
	free(r->cur.msd_se);
	free(r->recd.msd);
	free(r->recd.msd_se);
}

static int exit_status(const struct advise_opts *o, const struct advise_result *r, int rc,
		       int wrc)
{
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd advise: failed: %s\n", asgd_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	if (wrc != ASGD_OK) {
		fprintf(stderr, "asgd advise: could not write the outputs in '%s': %s\n", o->out,
			asgd_strerror(wrc));
		return CLI_EXIT_FAIL;
	}
	if (cli_stopped()) {
		fprintf(stderr, "asgd advise: interrupted; partial results written to %s\n", o->out);
		return CLI_EXIT_INTERRUPTED;
	}
	if (!r->have_probe) {
		fprintf(stderr, "asgd advise: the probe measured no staleness\n");
		return CLI_EXIT_FAIL;
	}
	if (r->cur.diverged) {
		fprintf(stderr, "asgd advise: your setting diverged (eta %g too large for %s?)\n",
			o->cfg.eta, o->preset);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cli_advise(int argc, char **argv)
{
	struct advise_opts o;
	struct advise_result r;
	double t0 = cli_now_s();
	int rc, wrc, status;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	r.cur.name = "current";
	r.recd.name = "recommended";
	parse_args(argc, argv, &o, &r);
	cli_catch_signals();
	rc = advise(&o, &r);
	decide(&r);
	r.partial = cli_stopped() || rc != ASGD_OK;
	r.wall_s = cli_now_s() - t0;
	wrc = advise_write(&o, &r);
	if (!o.quiet && r.have_probe)
		advise_print(&o, &r);
	status = exit_status(&o, &r, rc, wrc);
	result_free(&r);
	free(o.xstar);
	asgd_problem_destroy(o.problem);
	return status;
}
