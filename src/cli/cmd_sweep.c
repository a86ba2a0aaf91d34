/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c — `asgd sweep`: the real engine over a list of worker counts M, and what asynchrony
 * costs at each: the fitted staleness μ̂ beside the queueing prediction 1 − 1/M, the stationary
 * spread about the minimizer of the real run beside the MSGD that Proposition 1 matches to it
 * (μ' = μ̂, η' = η(1 − μ̂)) and beside the closed forms, and how soon a target is reached, in
 * iterations and in wall time.
 *
 * Each M is `asgd run` with R replicas (its files go to DIR/M<m>/) followed by an MSGD ensemble.
 * SIGINT or SIGTERM stops the current M; the rows of the Ms done so far are written, marked
 * "partial", and the command exits 130.
 */
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/msd.h"
#include "asgd/parse.h"
#include "asgd/replicas.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/staleness.h"
#include "asgd/theory.h"
#include "asgd/work.h"
#include "cli.h"
#include "sweep.h"

static const char *const CMD = "sweep";

static void usage(void)
{
	printf("usage: asgd sweep [OPTIONS]\n\n"
	       "Run the real threaded engine for each worker count M and report, per M: the fitted\n"
	       "staleness mu_hat with its 95%% interval beside the queueing prediction 1-1/M, the\n"
	       "goodness of fit and the throughput; the stationary second moment about the\n"
	       "minimizer x*, E||x-x*||^2 averaged over the last half of the iterations, of the\n"
	       "real run, of MSGD with Proposition 1's mu' = mu_hat, eta' = eta(1-mu_hat) (an\n"
	       "ensemble and, for 1-D quadratic presets, exactly), of Appendix B's closed form and\n"
	       "of discrete ASGD exactly (both at mu_hat); and the iterations and wall time until\n"
	       "the real run's E||x_k-x*||^2 first falls to --target.\n\n"
	       "options:\n"
	       "  --workers LIST     worker counts, e.g. 1,2,4 (default 1,2,4,8,16), each 1..%d,\n"
	       "                     at most %d, no repeats\n"
	       "  --preset NAME      problem (default fig4); one of:\n",
	       ASGD_MAX_WORKERS, SWEEP_MAX_M);
	cli_print_presets("                       ");
	printf("  --work SPEC        injected work per gradient: none | fixed:DUR | exp:DUR |\n"
	       "                     geom:P,DUR (default exp:100us)\n"
	       "  --replicas R       engine runs from x0 per M (default 200)\n"
	       "  --iters K          updates per run (default: the preset's)\n"
	       "  --eta ETA          step size > 0 (default: the preset's)\n"
	       "  --target T         the level of E||x_k-x*||^2 (summed over coordinates, an\n"
	       "                     absolute value, whatever the preset) to reach; > 0 (default\n"
	       "                     0.02: on fig4, 2%% of the start's 1, and above the\n"
	       "                     stationary level, about 0.012 at M = 16)\n"
	       "  --paths P          MSGD paths per M (default 5000)\n"
	       "  --threads T        MSGD compute threads, 0 = all CPUs (default 0)\n"
	       "  --seed S           seed of the engine and MSGD streams (default 1)\n"
	       "  (--mode mpi is not taken: each M needs its own mpirun -np M+1; see\n"
	       "   scripts/mpi-compare.sh)\n"
	       "  --out DIR          output directory (default out/sweep)\n"
	       "  --quiet            no progress, no table on stdout\n"
	       "  --help             this text\n\n"
	       "outputs in DIR: sweep.csv (one row per M), sweep.json (settings, rows, machine,\n"
	       "command line), and per M in DIR/M<m>/ the real run's moments.csv, staleness.csv,\n"
	       "summary.json and the MSGD ensemble's msgd_moments.csv.\n"
	       "Stationary values are averages over k = K/2..K. The real run's SE is that of each\n"
	       "replica's own average across the (independent) replicas; the MSGD ensemble's is\n"
	       "bounded by the largest SE of one step (its paths are not kept).\n"
	       "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted.\n");
}

static void parse_workers(struct sweep_opts *o, const char *s)
{
	size_t i, j;

	if (asgd_parse_u64_list(s, o->workers, SWEEP_MAX_M, &o->nworkers) != ASGD_OK)
		cli_usage_error(CMD, "--workers '%s' is not allowed: expected up to %d integers "
				     "separated by single commas, e.g. 1,2,4", s, SWEEP_MAX_M);
	for (i = 0; i < o->nworkers; i++) {
		if (o->workers[i] < 1 || o->workers[i] > ASGD_MAX_WORKERS)
			cli_usage_error(CMD, "--workers '%s' is not allowed: %llu is not in 1..%d", s,
					(unsigned long long)o->workers[i], ASGD_MAX_WORKERS);
		for (j = 0; j < i; j++)
			if (o->workers[j] == o->workers[i])
				cli_usage_error(CMD, "--workers '%s' is not allowed: %llu repeats", s,
						(unsigned long long)o->workers[i]);
	}
}

/* x* of the preset, and a, Σ when it is a 1-D quadratic. */
static void find_minimizer(struct sweep_opts *o)
{
	double xs;

	o->xstar = malloc(asgd_problem_dim(o->problem) * sizeof(double));
	if (!o->xstar)
		cli_out_of_memory(CMD);
	if (asgd_problem_minimizer(o->problem, o->xstar) != ASGD_OK)
		cli_usage_error(CMD, "--preset '%s' is not allowed: its minimizer is not known, "
				     "and the sweep measures the spread about it", o->preset);
	o->quad1d = asgd_theory_from_problem(o->problem, &o->a, &o->sigma2, &xs) == ASGD_OK;
}

static void check_sizes(const struct sweep_opts *o)
{
	char err[256];
	asgd_engine_config c = o->cfg;

	c.workers = 1;
	if (asgd_engine_check_config(&c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	/* Trajectories of every replica are summed into moments: keep one replica's in memory. */
	cli_check_trajectory(CMD, o->cfg.iters, asgd_problem_dim(o->problem));
}

static void parse_args(int argc, char **argv, struct sweep_opts *o)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'w' }, { "preset", required_argument, NULL, 'p' },
		{ "work", required_argument, NULL, 'W' },    { "replicas", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'k' },   { "eta", required_argument, NULL, 'e' },
		{ "target", required_argument, NULL, 'T' },  { "paths", required_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 't' }, { "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },     { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },          { "mode", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *iters = NULL, *eta = NULL, *workers = "1,2,4,8,16";
	int c;

	o->preset = "fig4";
	o->out = "out/sweep";
	o->work_spec = "exp:100us";
	o->replicas = 200;
	o->paths = 5000;
	o->target = 0.02;
	o->cfg.seed = 1;
	o->argc = argc;
	o->argv = argv;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'M':
			/* One process cannot be several mpirun jobs: each M needs -np M+1 of its own. */
			cli_usage_error(CMD, "--mode '%s' is not supported by sweep, which runs the "
					"threaded master mode at every M; for MPI ranks run 'mpirun -np "
					"M+1 asgd run --mode mpi' per M, as scripts/mpi-compare.sh does",
					optarg);
		case 'w': workers = optarg; break;
		case 'p': o->preset = optarg; break;
		case 'W': o->work_spec = optarg; break;
		case 'r': o->replicas = cli_u64_range(CMD, "--replicas", optarg, 1, 100000000); break;
		case 'k': iters = optarg; break;
		case 'e': eta = optarg; break;
		case 'T': o->target = cli_double_positive(CMD, "--target", optarg); break;
		case 'P': o->paths = cli_u64_range(CMD, "--paths", optarg, 1, 100000000); break;
		case 't': o->threads = (unsigned)cli_u64_range(CMD, "--threads", optarg, 0, ASGD_ENSEMBLE_MAX_THREADS); break;
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
	parse_workers(o, workers);
	o->problem = cli_preset(CMD, o->preset);
	o->cfg.problem = o->problem;
	o->cfg.iters = iters ? cli_u64_range(CMD, "--iters", iters, 1, 1000000000)
			     : asgd_problem_default_iters(o->problem);
	o->cfg.eta = eta ? cli_double_positive(CMD, "--eta", eta) : asgd_problem_default_eta(o->problem);
	cli_work_option(CMD, "--work", o->work_spec, &o->cfg.work);
	check_sizes(o);
	find_minimizer(o);
	cli_prepare_out(CMD, o->out);
	o->cfg.record_staleness = 1;
	o->cfg.stop = cli_stop_flag();
}

/*
 * E‖x_k − x*‖² = Σ_c (E x_c² − 2x*_c E x_c + x*_c²) at step @k, and a bound on its SE: the moments
 * keep no Σx³, so the covariance of x² and x is unknown, and sd(A + B) ≤ sd(A) + sd(B) bounds
 * each coordinate's by se_second + 2|x*_c| se_mean and the sum by the sum (exact when x* = 0 in
 * 1-D).
 */
static double msd_at(const asgd_moments *m, size_t k, const double *xstar, double *se)
{
	asgd_moment_row row;
	double v = 0, s = 0;

	for (size_t c = 0; c < m->dim; c++) {
		asgd_moments_get(m, k, c, &row);
		v += row.second - 2 * xstar[c] * row.mean + xstar[c] * xstar[c];
		s += row.se_second + 2 * fabs(xstar[c]) * row.se_mean;
	}
	*se = s;
	return v;
}

/*
 * The stationary E‖x − x*‖²: the average over k = K/2..K. Its SE is reported as the largest SE
 * of a single k: the steps share their paths and are strongly correlated, so the average is not
 * √(K/2) times better than one step; sd(mean of X_k) ≤ mean of sd(X_k) ≤ max sd(X_k) holds
 * whatever the correlation, so the bound is never optimistic.
 */
static void late_half(const asgd_moments *m, const double *xstar, double *avg, double *se)
{
	size_t K = m->steps - 1, k0 = K / 2;
	double sum = 0, worst = 0, s;

	*avg = NAN;
	*se = NAN;
	if (m->paths == 0)
		return;
	for (size_t k = k0; k <= K; k++) {
		sum += msd_at(m, k, xstar, &s);
		worst = isnan(s) || isnan(worst) ? NAN : fmax(worst, s);
	}
	*avg = sum / (double)(K - k0 + 1);
	*se = isfinite(*avg) ? worst : NAN;
}

/* The first k with E‖x_k − x*‖² ≤ @target, or NAN when none. */
static double first_k_below(const asgd_moments *m, const double *xstar, double target)
{
	double se;

	if (m->paths == 0)
		return NAN;
	for (size_t k = 0; k < m->steps; k++)
		if (msd_at(m, k, xstar, &se) <= target)
			return (double)k;
	return NAN;
}

static void fill_real(const struct sweep_opts *o, const asgd_replicas *t,
		      const asgd_staleness_summary *sum, const asgd_msd_late *ra,
		      struct sweep_row *row)
{
	row->replicas = (double)t->replicas_done;
	row->diverged = t->diverged;
	row->applied = (double)t->applied;
	row->wall_s = t->wall_s;
	row->updates_per_s = t->wall_s > 0 ? (double)t->applied / t->wall_s : NAN;
	row->mu_hat = sum ? sum->mu_hat : NAN;
	row->mu_lo = sum ? sum->mu_ci95[0] : NAN;
	row->mu_hi = sum ? sum->mu_ci95[1] : NAN;
	row->mu_queueing = 1 - 1 / row->workers;
	row->chi2_p = sum ? sum->chi2_p : NAN;
	row->tv = sum ? sum->tv_distance : NAN;
	row->lag1 = sum ? sum->lag1_autocorr : NAN;
	/* across replicas of each one's late-half average: they are independent, so this SE is
	 * honest, where the pooled moments only bound it by one step's, several times too wide */
	row->real_ex2 = asgd_welford_mean(&ra->w);
	row->real_se = asgd_welford_se(&ra->w);
	row->k_target = first_k_below(&t->moments, o->xstar, o->target);
	row->t_target_s = row->k_target / row->updates_per_s;
}

/* Appendix B and the discrete processes' fixed points at μ̂ (1-D quadratics only). */
static void fill_closed_forms(const struct sweep_opts *o, struct sweep_row *row)
{
	asgd_theory_params p = { o->a, o->sigma2, o->cfg.eta, row->mu_hat };
	asgd_theory_stationary st;
	double v;

	row->appb_ex2 = row->asgd_exact = row->msgd_exact = NAN;
	if (!o->quad1d || asgd_theory_check(&p) != ASGD_OK)
		return;
	asgd_theory_stationary_of(&p, &st);
	row->appb_ex2 = st.ex2;
	if (asgd_theory_discrete_asgd_ex2(&p, &v) == ASGD_OK)
		row->asgd_exact = v;
	p.eta = row->msgd_eta;
	p.mu = row->msgd_mu;
	if (asgd_theory_discrete_msgd_ex2(&p, &v) == ASGD_OK)
		row->msgd_exact = v;
}

/* Proposition 1's MSGD as an ensemble; its moments go to @dir. Returns 0 or an error code. */
static int run_msgd(const struct sweep_opts *o, const char *dir, struct sweep_row *row,
		    int *interrupted)
{
	struct cli_progress_state prog = { .what = "msgd paths", .quiet = o->quiet };
	asgd_sim_config sc = { 0 };
	asgd_sim_result res;
	char path[4096];
	int rc;

	asgd_theory_prop1(o->cfg.eta, row->mu_hat, &row->msgd_eta, &row->msgd_mu);
	sc.model = ASGD_MODEL_MSGD;
	sc.problem = o->problem;
	sc.eta = row->msgd_eta;
	sc.mu = row->msgd_mu;
	sc.iters = o->cfg.iters;
	sc.paths = o->paths;
	sc.threads = o->threads;
	sc.seed = o->cfg.seed;
	sc.stop = cli_stop_flag();
	if (!o->quiet) {
		sc.progress = cli_progress_cb;
		sc.progress_arg = &prog;
	}
	rc = asgd_sim_run(&sc, &res);
	if (!o->quiet)
		cli_progress_end();
	if (rc != ASGD_OK)
		return rc;
	*interrupted = res.ens.interrupted;
	late_half(&res.ens.moments, o->xstar, &row->msgd_ex2, &row->msgd_se);
	if (res.ens.paths_done > 0) {
		cli_out_path(path, sizeof(path), dir, "msgd_moments.csv");
		rc = asgd_moments_write_csv(&res.ens.moments, path, 1.0);
	}
	asgd_sim_result_free(&res);
	return rc;
}

/*
 * One M: the replicas (written to DIR/M<m>/ whatever happens), then MSGD and the closed forms.
 * Returns 0 or an error code (said on stderr); *@done says whether the row is complete.
 */
static int sweep_one(const struct sweep_opts *o, size_t i, struct sweep_row *row, int *done)
{
	asgd_engine_config cfg = o->cfg;
	asgd_staleness_summary sum;
	asgd_replicas t;
	char name[32], dir[4096];
	cJSON *summary;
	int rc, have_sum, interrupted = 0;
	asgd_msd_late ra = { .xstar = o->xstar };

	*done = 0;
	memset(row, 0, sizeof(*row));
	cfg.workers = (unsigned)o->workers[i];
	row->workers = cfg.workers;
	snprintf(name, sizeof(name), "M%u", cfg.workers);
	cli_out_path(dir, sizeof(dir), o->out, name);
	cli_prepare_out(CMD, dir);
	if (!o->quiet)
		fprintf(stderr, "sweep: M = %u (%zu of %zu)\n", cfg.workers, i + 1, o->nworkers);
	rc = asgd_replicas_run_each(&cfg, o->replicas, o->quiet ? NULL : cli_replica_progress, NULL,
				    asgd_msd_late_add, &ra, &t);
	if (!o->quiet)
		cli_progress_end();
	if (rc != ASGD_OK) {
		fprintf(stderr, "asgd sweep: the engine failed at M = %u: %s\n", cfg.workers,
			asgd_strerror(rc));
		return rc;
	}
	have_sum = cli_summarize(CMD, &t.staleness, &sum);
	summary = cli_replicas_summary_json(CMD, o->argc, o->argv, asgd_problem_spec(o->problem),
					    &cfg, o->replicas, &t, have_sum ? &sum : NULL);
	/* rows at t = k: the engine has no SME clock of its own */
	rc = cli_replicas_write(dir, &t, have_sum ? &sum : NULL, 1.0, summary);
	cJSON_Delete(summary);
	fill_real(o, &t, have_sum ? &sum : NULL, &ra, row);
	row->msgd_mu = row->msgd_eta = row->msgd_ex2 = row->msgd_se = NAN;
	/* without a single applied gradient there is no μ̂ to match */
	if (rc == ASGD_OK && !t.interrupted && have_sum)
		rc = run_msgd(o, dir, row, &interrupted);
	if (rc != ASGD_OK)
		fprintf(stderr, "asgd sweep: M = %u: %s\n", cfg.workers, asgd_strerror(rc));
	fill_closed_forms(o, row);
	*done = rc == ASGD_OK && !t.interrupted && !interrupted;
	if (have_sum)
		asgd_staleness_summary_free(&sum);
	asgd_replicas_free(&t);
	return rc;
}

int cli_sweep(int argc, char **argv)
{
	struct sweep_opts o;
	struct sweep_row rows[SWEEP_MAX_M];
	size_t n = 0;
	int rc = ASGD_OK, done = 1, diverged = 0, wrc, status = CLI_EXIT_OK;
	double t0 = cli_now_s();

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	cli_catch_signals();
	for (size_t i = 0; i < o.nworkers && rc == ASGD_OK && done; i++) {
		rc = sweep_one(&o, i, &rows[n], &done);
		if (done) {
			diverged |= rows[n].diverged != 0;
			n++;
		}
	}
	wrc = sweep_write_csv(&o, rows, n);
	if (wrc == ASGD_OK)
		wrc = sweep_write_json(&o, rows, n, !done, diverged, cli_now_s() - t0);
	if (!o.quiet && n > 0)
		sweep_print_table(&o, rows, n, !done);
	if (wrc != ASGD_OK) {
		fprintf(stderr, "asgd sweep: could not write the outputs in '%s': %s\n", o.out,
			asgd_strerror(wrc));
		status = CLI_EXIT_FAIL;
	} else if (rc != ASGD_OK) {
		status = CLI_EXIT_FAIL;
	} else if (!done) {
		fprintf(stderr, "asgd sweep: interrupted; %zu of %zu rows written to %s\n", n,
			o.nworkers, o.out);
		status = CLI_EXIT_INTERRUPTED;
	} else if (diverged) {
		fprintf(stderr, "asgd sweep: diverged: an engine run's iterate became non-finite "
				"(eta %g too large for %s?); sweep.json says \"diverged\": true\n",
			o.cfg.eta, o.preset);
		status = CLI_EXIT_FAIL;
	}
	free(o.xstar);
	asgd_problem_destroy(o.problem);
	return status;
}
