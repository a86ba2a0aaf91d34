/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep.c — `asgd sweep`: the real engine over a list of worker counts M, and what asynchrony
 * costs at each: the fitted staleness μ̂ beside the queueing prediction 1 − 1/M, a stationary
 * quantity of the real run beside the MSGD that Proposition 1 matches to it (μ' = μ̂,
 * η' = η(1 − μ̂)), beside discrete ASGD at μ̂ and beside the closed forms, and how soon a target
 * is reached, in iterations and in wall time. On presets the quantity is the spread
 * E‖x − x*‖² about the minimizer; on data models (the loss observed) it is the mean excess
 * loss E f(x) − f*, and the target is a level of the loss.
 *
 * Each M is `asgd run` with R replicas (its files go to DIR/M<m>/) followed by an MSGD ensemble
 * and a discrete ASGD ensemble.
 * SIGINT or SIGTERM stops the current M; the rows of the Ms done so far are written, marked
 * "partial", and the command exits 130.
 *
 * The experiment and its files are the library's (asgd/sweep.h): this file parses the flags into
 * its config, runs it, says its progress, and prints the tables.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/sweep.h"
#include "asgd/work.h"
#include "cli.h"

static const char *const CMD = "sweep";

/* On data, paths per M of each ensemble by default: every path's rows are scored by the loss,
 * a pass over the data each, so the presets' 5000 would cost minutes per M. */
#define SWEEP_DATA_PATHS 500

struct sweep_opts {
	const char *preset, *out;	/* preset: the problem's label */
	struct cli_problem cp;		/* --preset or --loss --data, --observe */
	asgd_problem *problem;		/* cp's */
	asgd_sweep_config cfg;		/* workers points into @workers, xstar into @xstar */
	uint64_t workers[ASGD_SWEEP_MAX_M];
	double *xstar;			/* the minimizer, solved for once (check_minimizer) */
	int open_stage;			/* the stage whose progress phase is open; -1: none */
	char phase[32];			/* its name: "M4:real", "M4:msgd", "M4:asgd" */
	int quiet, argc;
	char **argv;
};

static const struct cli_command COMMAND = {
	.name = "sweep",
	.about = "Run the real threaded engine for each worker count M and report, per M: the "
		 "fitted staleness mu_hat with its 95% interval beside the queueing prediction "
		 "1-1/M, the goodness of fit and the throughput; a stationary quantity averaged "
		 "over the last half of the iterations, of the real run, of MSGD with Proposition "
		 "1's mu' = mu_hat, eta' = eta(1-mu_hat) and of discrete ASGD at mu_hat with the "
		 "same eta (geometric staleness; both ensembles of --paths); and the iterations and "
		 "wall time until the real run reaches --target. On presets the quantity is the "
		 "spread about the minimizer x*, E||x-x*||^2, also exactly for 1-D quadratics "
		 "(MSGD's and discrete ASGD's fixed points, Appendix B's closed form). On a data "
		 "model (--loss --data; the loss is observed) it is the stationary loss gap "
		 "E[f(x)-f*], the mean excess loss over the optimum f* = f(x*), and --target is a "
		 "level of the loss f itself.",
	.epilogue = "outputs in DIR: sweep.csv (one row per M), sweep.json (settings, rows, machine,\n"
		    "command line), and per M in DIR/M<m>/ the real run's moments.csv, staleness.csv,\n"
		    "summary.json and the ensembles' msgd_moments.csv and asgd_moments.csv (all of\n"
		    "the observable: f(x_k) for data models).\n"
		    "Columns: sweep.json's \"quantity\" is \"msd\" (E||x-x*||^2: real_ex2, msgd_ex2,\n"
		    "asgd_ex2, each with _se, and the closed forms msgd_exact_ex2, appendix_b_ex2,\n"
		    "asgd_exact_ex2) or \"loss_gap\" (E f(x) - f*: real_gap, msgd_gap, asgd_gap, each\n"
		    "with _se; \"optimum_loss\" is f*); iters_to_target, time_to_target_s in both.\n"
		    "Stationary values are averages over k = K/2..K. The real run's SE is that of each\n"
		    "replica's own average across the (independent) replicas; an ensemble's is bounded\n"
		    "by the largest SE of one step (its paths are not kept).\n"
		    "exit status: 0 done, 1 failed or diverged, 2 bad usage, 130 interrupted.\n",
};

static void parse_workers(struct sweep_opts *o, const char *s)
{
	size_t i, j, n;

	if (asgd_parse_u64_list(s, o->workers, ASGD_SWEEP_MAX_M, &n) != ASGD_OK)
		cli_usage_error(CMD, "--workers '%s' is not allowed: expected up to %d integers "
				     "separated by single commas, e.g. 1,2,4", s, ASGD_SWEEP_MAX_M);
	for (i = 0; i < n; i++) {
		if (o->workers[i] < 1 || o->workers[i] > ASGD_MAX_WORKERS)
			cli_usage_error(CMD, "--workers '%s' is not allowed: %llu is not in 1..%d", s,
					(unsigned long long)o->workers[i], ASGD_MAX_WORKERS);
		for (j = 0; j < i; j++)
			if (o->workers[j] == o->workers[i])
				cli_usage_error(CMD, "--workers '%s' is not allowed: %llu repeats", s,
						(unsigned long long)o->workers[i]);
	}
	o->cfg.workers = o->workers;
	o->cfg.nworkers = n;
}

/* The sweep measures the spread about x*, or the loss gap f(x) − f(x*): the problem must know
 * its minimizer. Solved once here, before any output, and handed to the library. */
static void check_minimizer(struct sweep_opts *o)
{
	int rc;

	o->xstar = malloc(asgd_problem_dim(o->problem) * sizeof(double));
	if (!o->xstar)
		cli_out_of_memory(CMD);
	rc = asgd_problem_minimizer_stop(o->problem, o->xstar, cli_stop_flag());
	if (rc == ASGD_ENOMEM)
		cli_out_of_memory(CMD);
	if (rc == ASGD_EINTR)
		exit(cli_say(CLI_EXIT_INTERRUPTED, CMD, "interrupted while solving for x*"));
	if (rc != ASGD_OK && cli_problem_is_data(&o->cp))
		cli_usage_error(CMD, "%s is not allowed: its minimizer is not known here, and the "
				     "sweep measures the loss gap f(x) - f(x*) from it", o->cp.named);
	if (rc != ASGD_OK)
		cli_usage_error(CMD, "%s is not allowed: its minimizer is not known, "
				     "and the sweep measures the spread about it", o->cp.named);
	o->cfg.xstar = o->xstar;
}

/* The spread of x, or the loss gap: a coordinate or a projection has no optimum to measure a
 * gap from. The default --target is the quantity's. */
static void check_observable(struct sweep_opts *o)
{
	asgd_observe_kind k = o->cp.obs.kind;

	if (k != ASGD_OBSERVE_X && k != ASGD_OBSERVE_LOSS)
		cli_usage_error(CMD, "--observe '%s' is not allowed: sweep measures E||x-x*||^2 "
				     "(--observe x) or the loss gap E f(x) - f* (--observe loss)",
				o->cp.obs.spec);
	o->cfg.observe = &o->cp.obs;
	if (o->cfg.target == 0 && k == ASGD_OBSERVE_X)
		o->cfg.target = 0.02;
}

static void check_sizes(const struct sweep_opts *o)
{
	char err[256];
	asgd_engine_config c = { .problem = o->problem, .workers = 1, .iters = o->cfg.iters,
				 .eta = o->cfg.eta, .work = o->cfg.work, .seed = o->cfg.seed };

	if (asgd_engine_check_config(&c, err, sizeof(err)) != ASGD_OK)
		cli_usage_error(CMD, "%s", err);
	/* Trajectories of every replica are summed into moments: keep one replica's in memory. */
	cli_check_trajectory(CMD, o->cfg.iters, asgd_problem_dim(o->problem));
}

/* Each M's three phases: the real run's replicas, the MSGD ensemble, the discrete ASGD one. */
#define SWEEP_PHASES_PER_M 3

/* The progress phase of a counting @stage at the M of @p: opened at its first count. */
static void sweep_count(struct sweep_opts *o, const asgd_sweep_progress *p, int stage)
{
	static const char *const NAME[SWEEP_PHASES_PER_M] = { "real", "msgd", "asgd" };

	if (o->open_stage != stage) {
		snprintf(o->phase, sizeof(o->phase), "M%u:%s", p->workers, NAME[stage]);
		cli_progress_phase((unsigned)(p->index * SWEEP_PHASES_PER_M) + (unsigned)stage + 1,
				   o->phase);
		o->open_stage = stage;
	}
	cli_progress_update(p->done, p->total);
}

/* The sweep's progress on stderr, as asgd_sweep_config.progress (@arg the sweep_opts). */
static void sweep_progress(void *arg, const asgd_sweep_progress *p)
{
	struct sweep_opts *o = arg;

	switch (p->stage) {
	case ASGD_SWEEP_BEGIN:
		cli_progress_note("sweep: M = %u (%zu of %zu)", p->workers, p->index + 1, p->count);
		o->open_stage = -1;
		break;
	case ASGD_SWEEP_REPLICAS:
		sweep_count(o, p, 0);
		break;
	case ASGD_SWEEP_MSGD:
		sweep_count(o, p, 1);
		break;
	case ASGD_SWEEP_ASGD:
		sweep_count(o, p, 2);
		break;
	default:
		cli_progress_phase_end();
		o->open_stage = -1;
	}
}

/* DIR/M<m>/ as asgd_sweep_config.each (@arg the sweep_opts): created at the M's start (or exit
 * 2), then the library's tables and, after the replicas, their summary.json as `asgd run`'s. */
static int sweep_write_m(void *arg, const asgd_sweep_m *m)
{
	const struct sweep_opts *o = arg;
	char name[32], dir[4096];
	int rc;

	snprintf(name, sizeof(name), "M%u", m->engine->workers);
	cli_out_path(dir, sizeof(dir), o->out, name);
	if (m->stage == ASGD_SWEEP_BEGIN)
		cli_prepare_out(CMD, dir);
	rc = asgd_sweep_write_m(dir, m);
	if (rc != ASGD_OK || m->stage != ASGD_SWEEP_REPLICAS)
		return rc;
	snprintf(name, sizeof(name), "M=%u", m->engine->workers);
	cli_warn_fidelity(CMD, name, &m->engine->work, m->replicas);
	return cli_write_json_out(dir, "summary.json",
				  asgd_replicas_summary_json(CMD, o->argc, o->argv,
							     asgd_problem_spec(o->problem), m->engine,
							     o->cfg.replicas, m->replicas, m->staleness));
}

/* One process cannot be several mpirun jobs: each M needs -np M+1 of its own. */
static void refuse_mode(const char *cmd, void *dst, const char *arg)
{
	(void)dst;
	cli_usage_error(cmd, "--mode '%s' is not supported by sweep, which runs the threaded "
			"master mode at every M; for MPI ranks run 'mpirun -np M+1 asgd run --mode "
			"mpi' per M, as scripts/mpi-compare.sh does", arg);
}

static void parse_args(int argc, char **argv, struct sweep_opts *o)
{
	const char *iters = NULL, *eta = NULL, *workers = "1,2,4,8,16";
	const char *const preset_s = "the problem's";
	struct cli_engine_flags eng;
	struct cli_ensemble_flags ens;
	struct cli_output_flags out;
	const struct cli_flag own[] = {
		CLI_TEXT("workers", "LIST", &workers, NULL, "worker counts, e.g. 1,2,4, each "
			 "1..1024, at most 64, no repeats"),
		CLI_TEXT("iters", "K", &iters, preset_s, "updates per run"),
		CLI_TEXT("eta", "ETA", &eta, preset_s, "step size > 0"),
		CLI_REAL("target", "T", &o->cfg.target, 0x1p-1074, 1.7976931348623157e308,
			 "a finite number > 0", "the level to reach, an absolute value: on presets "
			 "of E||x_k-x*||^2 summed over coordinates (default 0.02: on fig4, 2% of the "
			 "start's 1, and above the stationary level, about 0.012 at M = 16); with the "
			 "loss observed (data models) of the loss E f(x_k) itself, not of its gap "
			 "(default f*(1 + 1%), 1% above the optimum)"),
		CLI_MAX_STALENESS(&o->cfg.max_staleness),
		CLI_CALL("mode", "MODE", refuse_mode, NULL, NULL, "not taken: each M needs its own "
			 "mpirun -np M+1; see scripts/mpi-compare.sh"),
		CLI_END,
	};
	struct cli_flag *engine, *ensemble;

	_Static_assert(ASGD_MAX_WORKERS == 1024 && ASGD_SWEEP_MAX_M == 64,
		       "--workers' help states the limits");
	o->cfg.target = 0; /* the quantity's default: see check_observable */
	o->argc = argc;
	o->argv = argv;
	engine = (struct cli_flag *)cli_engine_flags(&eng, (struct cli_engine_dst){
		NULL, &o->cfg.work, &o->cfg.replicas, &o->cfg.seed, 0, "exp:100us", 200, 1, 10 });
	ensemble = (struct cli_flag *)cli_ensemble_flags(&ens, &o->cfg.paths, &o->cfg.threads,
							 5000, 1);
	cli_flag_reword(engine, "replicas", "engine runs from x0 per M, {min}..{max}");
	cli_flag_reword(ensemble, "paths", "paths per M of each ensemble (MSGD, discrete ASGD)");
	snprintf(ens.paths_default, sizeof(ens.paths_default), "5000; %d for a model on data",
		 SWEEP_DATA_PATHS);
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){
		own, cli_problem_flags(&o->cp, 0), engine, ensemble, cli_output_flags(&out, &o->out, &o->quiet, "out/sweep"), NULL }, argc, argv);
	parse_workers(o, workers);
	cli_problem_create(CMD, &o->cp, 0);
	if (cli_problem_is_data(&o->cp)) {
		cli_engine_data_defaults(&eng);
		cli_ensemble_data_defaults(&ens, SWEEP_DATA_PATHS);
	}
	o->problem = o->cp.problem;
	o->preset = o->cp.label;
	o->cfg.problem = o->problem;
	o->cfg.iters = cli_problem_iters(CMD, &o->cp, iters, 1, 1000000000);
	o->cfg.eta = cli_problem_eta(CMD, &o->cp, eta);
	check_observable(o);
	check_sizes(o);
	check_minimizer(o);
	cli_prepare_out(CMD, o->out);
	o->cfg.stop = cli_stop_flag();
	o->cfg.each = sweep_write_m;
	o->cfg.each_arg = o;
	if (cli_progress_start(CMD, (unsigned)o->cfg.nworkers * SWEEP_PHASES_PER_M, o->quiet)) {
		o->cfg.progress = sweep_progress;
		o->cfg.progress_arg = o;
	}
}

/*
 * Two blanks, then @v with @prec digits after the point (%g's significant digits when @g) in a
 * field of @width, or "n/a" there.
 */
static void print_value(double v, int width, int prec, int g)
{
	if (!isfinite(v))
		printf("  %*s", width, "n/a");
	else if (g)
		printf("  %*.*g", width, prec, v);
	else
		printf("  %*.*f", width, prec, v);
}

static void print_staleness_rows(const asgd_sweep_row *rows, size_t n)
{
	printf("     M  mu_hat  95%% interval        1-1/M     chi2 p      TV   lag-1  updates/s\n");
	for (size_t i = 0; i < n; i++) {
		const asgd_sweep_row *r = &rows[i];
		char p[32];

		printf("  %4.0f", r->workers);
		print_value(r->mu_hat, 6, 4, 0);
		if (isfinite(r->mu_hat))
			printf("  [%.4f, %.4f]", r->mu_lo, r->mu_hi);
		else
			printf("  %16s", "");
		print_value(r->mu_queueing, 6, 4, 0);
		printf("  %9s", cli_format_p(r->chi2_p, p, sizeof(p)));
		print_value(r->tv, 6, 4, 0);
		print_value(r->lag1, 6, 3, 0);
		print_value(r->updates_per_s, 9, 0, 0);
		printf("\n");
	}
}

/* A value and its SE, %g-style when @g (a loss gap spans decades), else with 5 decimals. */
static void print_with_se(double v, double se, int g)
{
	print_value(v, g ? 9 : 8, g ? 4 : 5, g);
	print_value(se, g ? 8 : 7, g ? 3 : 5, g);
}

/* Iterations and wall time to the target, ending the line. */
static void print_target(const asgd_sweep_row *r)
{
	print_value(r->k_target, 8, 0, 0);
	if (isfinite(r->t_target_s))
		printf("  %.3g s\n", r->t_target_s);
	else
		printf("  not reached\n");
}

/* E||x-x*||^2: the real run, the two ensembles and, for 1-D quadratics, the closed forms. */
static void print_msd_rows(const asgd_sweep_row *rows, size_t n)
{
	printf("     M  real run     ± SE  MSGD sim     ± SE MSGD exact    App. B  ASGD exact"
	       "  ASGD sim     ± SE  k_target  t_target\n");
	for (size_t i = 0; i < n; i++) {
		const asgd_sweep_row *r = &rows[i];

		printf("  %4.0f", r->workers);
		print_with_se(r->real_ex2, r->real_se, 0);
		print_with_se(r->msgd_ex2, r->msgd_se, 0);
		print_value(r->msgd_exact, 9, 5, 0);
		print_value(r->appb_ex2, 8, 5, 0);
		print_value(r->asgd_exact, 10, 5, 0);
		print_with_se(r->asgd_ex2, r->asgd_se, 0);
		print_target(r);
	}
}

/* E f(x) - f*: the real run and the two ensembles (no closed forms: they are of x). */
static void print_gap_rows(const asgd_sweep_row *rows, size_t n)
{
	printf("     M   real run      ± SE   MSGD sim      ± SE   ASGD sim      ± SE"
	       "  k_target  t_target\n");
	for (size_t i = 0; i < n; i++) {
		const asgd_sweep_row *r = &rows[i];

		printf("  %4.0f", r->workers);
		print_with_se(r->real_ex2, r->real_se, 1);
		print_with_se(r->msgd_ex2, r->msgd_se, 1);
		print_with_se(r->asgd_ex2, r->asgd_se, 1);
		print_target(r);
	}
}

/* What the second table measures, the models, and what the target is a level of. */
static void print_stationary_heading(const asgd_sweep_result *res)
{
	unsigned long long K = res->cfg.iters;

	if (res->quantity == ASGD_SWEEP_LOSS_GAP)
		printf("\nstationary loss gap E f(x) - f* (the mean excess loss), average over "
		       "k = %llu..%llu; optimum f* = f(x*) = %.10g\n", K / 2, K, res->fstar);
	else
		printf("\nstationary E||x-x*||^2, average over k = %llu..%llu\n", K / 2, K);
	printf("SE: the real run's across its replicas; an ensemble's the largest of one step\n");
	printf("MSGD: mu' = mu_hat, eta' = eta(1-mu_hat) (Proposition 1); ASGD: discrete ASGD at "
	       "mu_hat, eta\n(%s); sim: an ensemble of %llu paths%s\n",
	       res->cfg.max_staleness ? "staleness: the geometric truncated at --max-staleness, "
					"fitted at each M; exact and App. B: untruncated"
				      : "geometric staleness",
	       (unsigned long long)res->cfg.paths,
	       res->quantity == ASGD_SWEEP_MSD ? "; exact: the discrete recursion's fixed point"
					       : "");
	if (res->quantity == ASGD_SWEEP_LOSS_GAP)
		printf("k_target, t_target: first E f(x_k) <= %.10g (the loss%s)\n", res->target,
		       res->cfg.target == 0 ? ", f*(1 + 1%): the default" : "");
	else
		printf("k_target, t_target: first E||x_k-x*||^2 <= %g\n", res->target);
}

/* When no M reached the target and the real run's stationary level stays above it, say so: the
 * default target of a loss (1% above f*) is below the noise floor of a large step size, and a
 * short run may not get near it at all. */
static void print_target_note(const asgd_sweep_result *res)
{
	double floor = INFINITY;
	int gap = res->quantity == ASGD_SWEEP_LOSS_GAP;

	for (size_t i = 0; i < res->nrows; i++) {
		if (isfinite(res->rows[i].k_target))
			return;
		if (isfinite(res->rows[i].real_ex2))
			floor = fmin(floor, res->rows[i].real_ex2 + (gap ? res->fstar : 0));
	}
	if (res->nrows > 0 && isfinite(floor) && floor > res->target)
		printf("note      no M reached the target %.6g: the real run's stationary %s is at "
		       "least %.6g;\n          a higher --target, or a smaller --eta with more "
		       "--iters, may reach it\n",
		       res->target, gap ? "loss" : "E||x-x*||^2", floor);
}

/* The two tables on stdout: staleness and throughput; the stationary quantity and the time to
 * the target. */
static void sweep_print_table(const struct sweep_opts *o, const asgd_sweep_result *res)
{
	const asgd_sweep_config *c = &res->cfg;
	char work[64], machine[320];

	asgd_work_format(&c->work, work, sizeof(work));
	asgd_report_machine(machine, sizeof(machine));
	printf("asgd sweep  %s  eta=%g  work=%s  iters=%llu  replicas=%llu  paths=%llu%s\n",
	       asgd_problem_spec(c->problem), c->eta, work, (unsigned long long)c->iters,
	       (unsigned long long)c->replicas, (unsigned long long)c->paths,
	       res->partial ? "  (PARTIAL)" : "");
	printf("machine   %s\n\nstaleness and throughput\n", machine);
	print_staleness_rows(res->rows, res->nrows);
	print_stationary_heading(res);
	if (res->quantity == ASGD_SWEEP_LOSS_GAP)
		print_gap_rows(res->rows, res->nrows);
	else
		print_msd_rows(res->rows, res->nrows);
	print_target_note(res);
	printf("outputs   %s/{sweep.csv,sweep.json,M<m>/}\n", o->out);
}

/* The exit status after the outputs were written with @wrc, saying on stderr why it is not 0
 * (@stopped: the stop flag, not an error, ended the sweep at @rc). */
static int sweep_status(const struct sweep_opts *o, const asgd_sweep_result *res, int rc,
			int stopped, int wrc)
{
	if (cli_write_failed(CMD, o->out, wrc))
		return CLI_EXIT_FAIL;
	if (stopped)
		return cli_say(CLI_EXIT_INTERRUPTED, CMD, "interrupted; %zu of %zu rows written to %s",
			       res->nrows, o->cfg.nworkers, o->out);
	if (rc != ASGD_OK)
		return CLI_EXIT_FAIL;
	if (res->diverged)
		return cli_say(CLI_EXIT_FAIL, CMD, "diverged: an engine run's iterate became "
			       "non-finite (eta %g too large for %s?); sweep.json says \"diverged\": "
			       "true", o->cfg.eta, o->preset);
	return CLI_EXIT_OK;
}

int cli_sweep(int argc, char **argv)
{
	struct sweep_opts o;
	asgd_sweep_result res;
	int rc, wrc, stopped, status = CLI_EXIT_FAIL;

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	rc = asgd_sweep_run(&o.cfg, &res);
	stopped = rc == ASGD_EINTR && res.failed_workers == 0;
	if (rc != ASGD_OK && !stopped && res.failed_workers == 0) {
		/* refused before any M: parse_args checked what the library checks */
		fprintf(stderr, "asgd sweep: %s\n", asgd_strerror(rc));
		goto out;
	}
	if (rc != ASGD_OK && !stopped) /* what went wrong at which M: the run itself says nothing */
		fprintf(stderr, "asgd sweep: %sM = %u: %s\n", res.failed_stage == ASGD_SWEEP_REPLICAS ?
			"the engine failed at " : "", res.failed_workers, asgd_strerror(rc));
	wrc = asgd_sweep_write_csv(o.out, &res);
	if (wrc == ASGD_OK)
		wrc = cli_write_json_out(o.out, "sweep.json", asgd_sweep_result_json(&res, argc, argv));
	if (!o.quiet && res.nrows > 0)
		sweep_print_table(&o, &res);
	status = sweep_status(&o, &res, rc, stopped, wrc);
out:
	asgd_sweep_result_free(&res);
	free(o.xstar);
	cli_problem_free(&o.cp);
	return status;
}
