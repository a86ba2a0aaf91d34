/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch.c — `asgd batch`: the optimal mini-batch schedule of Section 4 (docs/MODELS.md §6)
 * computed for a 1-D quadratic preset, and tested: it runs in the discrete simulator (mini-batch
 * ASGD (4.1)) and in the real engine against a constant batch and against the constant batch
 * with the same total number of gradient evaluations, and reports E|x_K − x*|² with its standard
 * error and the gradient evaluations of each — the paper's Figure 8 as numbers.
 *
 * This file parses the flags, solves the control and builds the schedules; batch_run.c runs
 * them, batch_out.c writes and prints the results. SIGINT or SIGTERM stops the current run;
 * what is complete is written, marked "partial", and the command exits 130.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/batchctl.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/sim.h"
#include "asgd/theory.h"
#include "asgd/work.h"
#include "batch.h"
#include "cli.h"

static const char *const CMD = "batch";

static void usage(void)
{
	printf("usage: asgd batch [OPTIONS]\n\n"
	       "The optimal time-dependent mini-batch of the paper's Section 4, (4.5)-(4.11),\n"
	       "for f = a x^2/2 (docs/MODELS.md section 6): batch 1 until the transition\n"
	       "iteration k*, then B_k = round(1 + u*(k dt)) growing like exp(r k dt/2), with\n"
	       "dt = sqrt(eta(1-mu)). The schedule runs in the simulator (mini-batch ASGD (4.1),\n"
	       "components drawn with replacement, staleness mu) and in the real engine (M\n"
	       "workers, drawn without replacement), beside a constant batch and the constant\n"
	       "batch with the same total number of gradient evaluations; for each: the final\n"
	       "E|x_K - x*|^2 with its standard error and the gradient evaluations per run.\n\n"
	       "options:\n"
	       "  --preset NAME        a 1-D quadratic preset, whose a = f''(x*) and\n"
	       "                       Sigma = C(x*) define the control (default fig8: a = 1);\n"
	       "                       fig4 and fig8 qualify\n"
	       "  --gamma G            the unit cost of extra gradients in (4.5), > 0 (default\n"
	       "                       gamma*/%g: the batch grows to about 32 at the end;\n"
	       "                       gamma >= gamma* means batch 1 throughout)\n"
	       "  --horizon K          iterations, 1..10000000 (default 1000); T = K dt\n"
	       "  --eta ETA            step size > 0 (default: the preset's)\n"
	       "  --mu MU              staleness of the control and the simulator, in [0,1)\n"
	       "                       (default: the preset's; fig8's is 0 -- the paper's\n"
	       "                       Figure 8 states none -- so dt = sqrt(eta))\n"
	       "  --constant-batch B   the constant batch to beat, 1..%u (default 5)\n"
	       "  --paths P            simulated paths per schedule, 2..100000000 (default 5000)\n"
	       "  --replicas R         engine runs per schedule, 0..100000000 (default 200;\n"
	       "                       0: no engine)\n"
	       "  --workers M          engine worker threads, 1..%d (default 4). The engine's\n"
	       "                       staleness is its own, mu_hat ~ 1 - 1/M with exponential\n"
	       "                       work, reported beside --mu; for a like-for-like run pass\n"
	       "                       --workers 1 (mu_hat = 0) or --mu mu_hat\n"
	       "  --work SPEC          injected work per gradient, whatever its batch: none |\n"
	       "                       fixed:DUR | exp:DUR | geom:P,DUR (default exp:100us)\n"
	       "  --threads T          simulator threads, 0 = all CPUs (default 0)\n"
	       "  --seed S             seed of the simulator and engine streams (default 1)\n"
	       "  --out DIR            output directory (default out/batch)\n"
	       "  --quiet              no progress, no table on stdout\n"
	       "  --help               this text\n\n"
	       "outputs in DIR: control.json (gamma*, t*, k*, r, kappa, V(z0,0), settings),\n"
	       "schedule.csv (k,batch,u,t: the optimal schedule), batch.json and batch.csv (one\n"
	       "row per schedule: gradient evaluations, the control model's z_K, simulator and\n"
	       "engine E|x_K-x*|^2 +- SE, the engine's mu_hat), curves.csv (schedule,k,t,batch,\n"
	       "model,sim_msd,sim_se,engine_msd,engine_se). Figure: scripts/plot.py batch DIR.\n"
	       "The engine indexes the schedule by the version a worker read (update k uses\n"
	       "B_{k-tau_k}) and caps it at n; drawing without replacement lowers the variance by\n"
	       "(n-B)/(n-1) against the simulator (fig4 has n = 2: any batch >= 2 is the full\n"
	       "gradient there, without noise).\n"
	       "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted.\n",
	       BATCH_GAMMA_DIVISOR, ASGD_SIM_MAX_BATCH, ASGD_MAX_WORKERS);
}

/* a, Σ, x* of a 1-D quadratic preset, or a usage error. */
static void read_preset(struct batch_opts *o)
{
	if (asgd_theory_from_problem(o->problem, &o->a, &o->sigma2, &o->xstar) != ASGD_OK)
		cli_usage_error(CMD, "--preset '%s' is not allowed: the control needs a 1-D "
				     "quadratic preset with a > 0 (fig4, fig8)", o->preset);
	o->x0 = asgd_problem_x0(o->problem)[0];
}

/* The control for the flags; --gamma's default needs γ*, so solve once with γ = 1 first. */
static void solve_control(struct batch_opts *o)
{
	asgd_batchctl_params p = { o->a, o->sigma2, o->eta, o->mu, 1, 1,
				   (o->x0 - o->xstar) * (o->x0 - o->xstar) };

	p.T = (double)o->K * sqrt(o->eta * (1 - o->mu));
	if (asgd_batchctl_solve(&p, &o->ctl) != ASGD_OK)
		cli_usage_error(CMD, "eta %g, mu %g and horizon %llu give no control problem",
				o->eta, o->mu, (unsigned long long)o->K);
	if (o->gamma_default) {
		if (!(o->ctl.gamma_star > 0))
			cli_usage_error(CMD, "--preset '%s' has no gradient noise (Sigma = 0), so "
					     "gamma* = 0: give --gamma", o->preset);
		o->gamma = o->ctl.gamma_star / BATCH_GAMMA_DIVISOR;
	}
	p.gamma = o->gamma;
	if (asgd_batchctl_solve(&p, &o->ctl) != ASGD_OK)
		cli_usage_error(CMD, "--gamma %g is not allowed: expected a finite number > 0",
				o->gamma);
}

static void check_engine(const struct batch_opts *o)
{
	asgd_engine_config c = { 0 };
	char err[256];

	c.problem = o->problem;
	c.workers = o->workers;
	c.iters = o->K;
	c.eta = o->eta;
	c.work = o->work;
	if (asgd_engine_check_config(&c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
}

static void parse_args(int argc, char **argv, struct batch_opts *o)
{
	static const struct option longopts[] = {
		{ "preset", required_argument, NULL, 'p' },   { "gamma", required_argument, NULL, 'g' },
		{ "horizon", required_argument, NULL, 'K' },  { "eta", required_argument, NULL, 'e' },
		{ "mu", required_argument, NULL, 'm' },
		{ "constant-batch", required_argument, NULL, 'B' },
		{ "paths", required_argument, NULL, 'P' },    { "replicas", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },  { "work", required_argument, NULL, 'W' },
		{ "threads", required_argument, NULL, 't' },  { "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },      { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *eta = NULL, *mu = NULL;
	int c;

	o->preset = "fig8";
	o->out = "out/batch";
	o->work_spec = "exp:100us";
	o->gamma_default = 1;
	o->K = 1000;
	o->constant = 5;
	o->paths = 5000;
	o->replicas = 200;
	o->workers = 4;
	o->seed = 1;
	o->argc = argc;
	o->argv = argv;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->preset = optarg; break;
		case 'g':
			o->gamma = cli_double_positive(CMD, "--gamma", optarg);
			o->gamma_default = 0;
			break;
		case 'K': o->K = cli_u64_range(CMD, "--horizon", optarg, 1, 10000000); break;
		case 'e': eta = optarg; break;
		case 'm': mu = optarg; break;
		case 'B': o->constant = cli_u64_range(CMD, "--constant-batch", optarg, 1, ASGD_SIM_MAX_BATCH); break;
		case 'P': o->paths = cli_u64_range(CMD, "--paths", optarg, 2, 100000000); break;
		case 'r': o->replicas = cli_u64_range(CMD, "--replicas", optarg, 0, 100000000); break;
		case 'w': o->workers = (unsigned)cli_u64_range(CMD, "--workers", optarg, 1, ASGD_MAX_WORKERS); break;
		case 'W': o->work_spec = optarg; break;
		case 't': o->threads = (unsigned)cli_u64_range(CMD, "--threads", optarg, 0, ASGD_ENSEMBLE_MAX_THREADS); break;
		case 's': o->seed = cli_u64_range(CMD, "--seed", optarg, 0, UINT64_MAX); break;
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
	read_preset(o);
	o->eta = eta ? cli_double_positive(CMD, "--eta", eta)
		     : asgd_problem_default_eta(o->problem);
	o->mu = mu ? cli_double_range(CMD, "--mu", mu, 0, nextafter(1, 0), "a number in [0, 1)")
		   : asgd_problem_default_mu(o->problem);
	cli_work_option(CMD, "--work", o->work_spec, &o->work);
	check_engine(o);
	solve_control(o);
}

/* ---- the schedules ------------------------------------------------------------------- */

static uint32_t *alloc_schedule(uint64_t K)
{
	uint32_t *s = malloc(K * sizeof(*s));

	if (!s)
		cli_usage_error(CMD, "out of memory for a schedule of %llu steps",
				(unsigned long long)K);
	return s;
}

static double schedule_total(const uint32_t *s, uint64_t K)
{
	double t = 0;

	for (uint64_t k = 0; k < K; k++)
		t += s[k];
	return t;
}

static void fill_constant(uint32_t *s, uint64_t K, uint32_t b)
{
	for (uint64_t k = 0; k < K; k++)
		s[k] = b;
}

static double *alloc_curve(uint64_t K)
{
	double *c = malloc((K + 1) * sizeof(*c));

	if (!c)
		cli_usage_error(CMD, "out of memory for curves of %llu steps",
				(unsigned long long)K);
	for (uint64_t k = 0; k <= K; k++)
		c[k] = NAN;
	return c;
}

/* The optimal schedule (a usage error when --gamma makes it too large to simulate), the constant
 * one and the one with the optimal's total. */
static void make_schedules(const struct batch_opts *o, struct batch_result *res)
{
	static const char *const names[] = { "optimal", "constant", "equal-total" };
	uint32_t *opt;
	double eq;

	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		struct batch_result *r = &res[i];

		memset(r, 0, sizeof(*r));
		r->name = names[i];
		r->size = alloc_schedule(o->K);
		r->model = alloc_curve(o->K);
		r->model_engine = alloc_curve(o->K);
		r->sim_msd = alloc_curve(o->K);
		r->sim_se = alloc_curve(o->K);
		r->eng_msd = alloc_curve(o->K);
		r->eng_se = alloc_curve(o->K);
		r->sim_final = r->sim_final_se = r->eng_final = r->eng_final_se = NAN;
		r->eng_evaluations = r->eng_wall_s = r->mu_hat = r->mu_lo = r->mu_hi = NAN;
	}
	opt = res[BATCH_OPTIMAL].size;
	if (asgd_batchctl_schedule(&o->ctl, o->K, ASGD_SIM_MAX_BATCH, opt) != ASGD_OK)
		cli_usage_error(CMD, "--gamma %g is not allowed: the optimal batch would exceed %u "
				     "(u*(T) = %.3g); take gamma closer to gamma* = %.6g",
				o->gamma, ASGD_SIM_MAX_BATCH, asgd_batchctl_u(&o->ctl, o->ctl.p.T),
				o->ctl.gamma_star);
	fill_constant(res[BATCH_CONSTANT].size, o->K, (uint32_t)o->constant);
	eq = round(schedule_total(opt, o->K) / (double)o->K);
	fill_constant(res[BATCH_EQUAL_TOTAL].size, o->K, (uint32_t)(eq < 1 ? 1 : eq));
	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		res[i].evaluations = schedule_total(res[i].size, o->K);
		asgd_batchctl_model_path(&o->ctl, res[i].size, o->K, 0, res[i].model);
		asgd_batchctl_model_path(&o->ctl, res[i].size, o->K,
					 asgd_problem_components(o->problem), res[i].model_engine);
	}
}

static void free_results(struct batch_result *res)
{
	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		free(res[i].size);
		free(res[i].model);
		free(res[i].model_engine);
		free(res[i].sim_msd);
		free(res[i].sim_se);
		free(res[i].eng_msd);
		free(res[i].eng_se);
	}
}

/* ---- the command --------------------------------------------------------------------- */

/* A run whose end point is not finite (η too large for the preset?). */
static int any_diverged(const struct batch_result *res)
{
	for (int i = 0; i < BATCH_NSCHEDULES; i++)
		if (res[i].eng_diverged || (res[i].sim_paths > 0 && !isfinite(res[i].sim_final)))
			return 1;
	return 0;
}

int cli_batch(int argc, char **argv)
{
	struct batch_opts o;
	struct batch_result res[BATCH_NSCHEDULES];
	int rc, wrc, interrupted = 0, status = CLI_EXIT_OK;
	double t0 = cli_now_s();

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	make_schedules(&o, res);
	cli_prepare_out(CMD, o.out);
	wrc = batch_write_control(&o, &res[BATCH_OPTIMAL]);
	rc = wrc == ASGD_OK ? batch_run_all(&o, res, &interrupted) : ASGD_OK;
	if (wrc == ASGD_OK)
		wrc = batch_write_results(&o, res, interrupted || rc != ASGD_OK, cli_now_s() - t0);
	if (!o.quiet)
		batch_print_table(&o, res, interrupted || rc != ASGD_OK);
	if (wrc != ASGD_OK) {
		fprintf(stderr, "asgd batch: could not write the outputs in '%s': %s\n", o.out,
			asgd_strerror(wrc));
		status = CLI_EXIT_FAIL;
	} else if (rc != ASGD_OK) {
		status = CLI_EXIT_FAIL;
	} else if (interrupted) {
		fprintf(stderr, "asgd batch: interrupted; the complete runs are in %s "
				"(\"partial\": true)\n", o.out);
		status = CLI_EXIT_INTERRUPTED;
	} else if (any_diverged(res)) {
		fprintf(stderr, "asgd batch: diverged: a run's iterate became non-finite (eta %g "
				"too large for %s?)\n", o.eta, o.preset);
		status = CLI_EXIT_FAIL;
	}
	free_results(res);
	asgd_problem_destroy(o.problem);
	return status;
}
