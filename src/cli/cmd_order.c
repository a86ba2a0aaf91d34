/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * order.c — `asgd order`: does the gap between discrete ASGD and SME-ASGD shrink as Theorem 3
 * says, like Δt/(1−μ)?
 *
 * η is halved H times (default 4) at fixed μ and fixed SME time horizon T, so Δt = √(η(1−μ))
 * shrinks by √2 each time and the iteration count grows by √2. At each η the largest gaps in mean
 * and second moment between ASGD and SME-ASGD are measured — exactly (no Monte Carlo error) where
 * the preset is quadratic, from ensembles otherwise — and the order p of gap ∝ Δt^p is fitted by
 * least squares on the log–log points. Theorem 3 bounds the strong error by K_T Δt/(1−μ), so a
 * weak gap of order ≥ 1 is consistent with it; the ratio gap/(Δt/(1−μ)) estimates K_T.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/compare.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/report.h"
#include "cli.h"
#include "models.h"

static const char *const CMD = "order";

#define MAX_HALVINGS 8

struct order_opts {
	struct cli_models m;
	unsigned halvings;
	double horizon;		/* SME time T; 0 = the preset's iterations at the first η */
	int force_mc;
};

/* One η of the ladder. */
struct rung {
	double eta, dt;
	uint64_t iters;
	asgd_gap gap;
	int ok, exact, noisy;	/* noisy: the mean gap is within 2 SE of zero */
};

static void usage(void)
{
	printf("usage: asgd order [OPTIONS]\n\n"
	       "Measure the gap between discrete ASGD and SME-ASGD as eta is halved at fixed mu\n"
	       "and fixed SME time T, fit its order in dt = sqrt(eta(1-mu)), and set it beside\n"
	       "Theorem 3's bound K_T dt/(1-mu). Quadratic presets use exact moments.\n\n"
	       "options:\n"
	       "  --preset NAME      problem (default fig4); one of:\n");
	cli_print_presets("                       ");
	printf("  --mu M             staleness in [0,1) (default: the preset's)\n"
	       "  --eta ETA          the largest step size (default: the preset's)\n"
	       "  --halvings H       times eta is halved, 1..%d (default 4: five values)\n"
	       "  --horizon T        SME time horizon > 0 (default: the preset's iterations at the\n"
	       "                     first eta, times its dt)\n"
	       "  --monte-carlo      use ensembles even where exact moments exist\n"
	       "  --paths P          paths per ensemble (default 5000)\n"
	       "  --substeps S       Euler-Maruyama substeps per step (default 8)\n"
	       "  --sigma CHOICE     SME-ASGD's Sigma(t) (default continuum in 1-D)\n"
	       "  --threads T, --seed S, --quiet, --help\n"
	       "  --out DIR          output directory (default out/order)\n\n"
	       "outputs in DIR: order.csv (one row per eta), order.json (fitted orders).\n"
	       "exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n", MAX_HALVINGS);
}

static void parse_args(int argc, char **argv, struct order_opts *o)
{
	static const struct option longopts[] = {
		CLI_MODELS_LONGOPTS,
		{ "halvings", required_argument, NULL, 'H' },
		{ "horizon", required_argument, NULL, 'T' },
		{ "monte-carlo", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_models_defaults(&o->m, "out/order");
	o->halvings = 4;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(CLI_EXIT_OK);
		} else if (c == 'H') {
			o->halvings = (unsigned)cli_u64_range(CMD, "--halvings", optarg, 1, MAX_HALVINGS);
		} else if (c == 'T') {
			o->horizon = cli_double_positive(CMD, "--horizon", optarg);
		} else if (c == 'M') {
			o->force_mc = 1;
		} else if (!cli_models_option(CMD, &o->m, c, optarg)) {
			cli_usage_error(CMD, "unknown option or missing value: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	cli_models_finish(CMD, &o->m, argc, argv);
	if (o->m.mu >= 1 || o->m.mu < 0)
		cli_usage_error(CMD, "--mu %g is not allowed: expected a number in [0, 1)", o->m.mu);
	if (!o->horizon)
		o->horizon = (double)o->m.iters * sqrt(o->m.eta * (1 - o->m.mu));
	if (o->horizon / sqrt(o->m.eta / (double)(1u << o->halvings) * (1 - o->m.mu)) > 1e7)
		cli_usage_error(CMD, "--horizon %g needs more than 1e7 iterations at the smallest "
				"eta; allowed: fewer halvings or a shorter horizon", o->horizon);
}

/* ASGD and SME-ASGD at one η; the gap from exact moments where available. */
static int measure(struct order_opts *o, struct rung *r)
{
	struct cli_model_run asgd, sme;
	struct cli_model_params p = { .eta = r->eta, .iters = r->iters };
	int exact = asgd_exact_supported(o->m.problem) && !o->force_mc, rc;

	p.exact = exact;
	p.monte_carlo = !exact;
	cli_model_run_init(&asgd, ASGD_MODEL_ASGD);
	cli_model_run_init(&sme, ASGD_MODEL_SME_ASGD);
	rc = cli_model_run(&o->m, &p, &asgd);
	if (rc == ASGD_OK && !cli_stopped())
		rc = cli_model_run(&o->m, &p, &sme);
	if (rc == ASGD_OK && !cli_stopped()) {
		const asgd_moment_table *a = exact ? &asgd.exact : &asgd.mc;
		const asgd_moment_table *s = exact ? &sme.exact : &sme.mc;

		r->ok = (exact ? asgd.have_exact && sme.have_exact : asgd.have_mc && sme.have_mc) &&
			!asgd.interrupted && !sme.interrupted &&
			asgd_gap_compute(s, a, &r->gap) == ASGD_OK;
		r->exact = exact;
		r->noisy = !exact && r->gap.mean < 2 * r->gap.mean_se;
	}
	cli_model_run_free(&asgd);
	cli_model_run_free(&sme);
	return rc;
}

static int write_csv(const struct order_opts *o, const struct rung *r, unsigned n)
{
	char path[4096];
	asgd_atomic_file af;
	double one_minus_mu = 1 - o->m.mu;
	int rc;

	cli_out_path(path, sizeof(path), o->m.out, "order.csv");
	rc = asgd_atomic_open(&af, path);
	if (rc)
		return rc;
	fprintf(af.fp, "j,eta,dt,iters,exact,mean_gap,mean_gap_se,second_abs_gap,second_rel_gap,"
		       "second_rel_gap_se,theorem3_bound,mean_gap_over_bound\n");
	for (unsigned j = 0; j < n; j++) {
		double bound = r[j].dt / one_minus_mu;

		if (!r[j].ok)
			continue;
		fprintf(af.fp, "%u,%.10g,%.10g,%llu,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g\n",
			j, r[j].eta, r[j].dt, (unsigned long long)r[j].iters, r[j].exact,
			r[j].gap.mean, r[j].gap.mean_se, r[j].gap.second_abs, r[j].gap.second_rel,
			r[j].gap.second_rel_se, bound, r[j].gap.mean / bound);
	}
	return asgd_atomic_commit(&af);
}

static cJSON *fits_json(const struct rung *r, unsigned n, double *p_mean, double *p_second)
{
	double dt[MAX_HALVINGS + 1], gm[MAX_HALVINGS + 1], gs[MAX_HALVINGS + 1], se;
	int use[MAX_HALVINGS + 1];
	cJSON *j = cJSON_CreateObject();

	for (unsigned i = 0; i < n; i++) {
		dt[i] = r[i].dt;
		gm[i] = r[i].gap.mean;
		gs[i] = r[i].gap.second_abs;
		use[i] = r[i].ok && !r[i].noisy;
	}
	asgd_order_fit(dt, gm, use, n, p_mean, &se);
	cJSON_AddNumberToObject(j, "mean_gap_order", *p_mean);
	cJSON_AddNumberToObject(j, "mean_gap_order_se", se);
	asgd_order_fit(dt, gs, use, n, p_second, &se);
	cJSON_AddNumberToObject(j, "second_gap_order", *p_second);
	cJSON_AddNumberToObject(j, "second_gap_order_se", se);
	cJSON_AddNumberToObject(j, "theorem3_order", 1);
	cJSON_AddStringToObject(j, "fit", "least squares of log gap on log dt over the rungs "
					  "whose gap exceeds 2 standard errors");
	return j;
}

static void print_table(const struct order_opts *o, const struct rung *r, unsigned n,
			double p_mean, double p_second)
{
	printf("asgd order  %s  mu=%g  T=%g  (%s moments)\n", asgd_problem_spec(o->m.problem),
	       o->m.mu, o->horizon, r[0].exact ? "exact" : "Monte Carlo");
	printf("  %-10s %-10s %-8s %-22s %-12s %-10s\n", "eta", "dt", "iters", "mean gap",
	       "E x^2 gap", "gap/bound");
	for (unsigned j = 0; j < n; j++)
		if (r[j].ok)
			printf("  %-10.4g %-10.4g %-8llu %.3e ± %-10.1e %-12.3e %-10.3g%s\n", r[j].eta,
			       r[j].dt, (unsigned long long)r[j].iters, r[j].gap.mean,
			       r[j].gap.mean_se, r[j].gap.second_abs,
			       r[j].gap.mean / (r[j].dt / (1 - o->m.mu)),
			       r[j].noisy ? "  (within noise)" : "");
	printf("fitted order in dt: mean %.3f, second moment %.3f   (Theorem 3: >= 1)\n", p_mean,
	       p_second);
}

int cli_order(int argc, char **argv)
{
	struct order_opts o;
	struct rung r[MAX_HALVINGS + 1];
	unsigned n;
	double p_mean = NAN, p_second = NAN;
	char path[4096];
	cJSON *root, *rows;
	int rc = ASGD_OK, status;

	memset(&o, 0, sizeof(o));
	memset(r, 0, sizeof(r));
	parse_args(argc, argv, &o);
	n = o.halvings + 1;
	for (unsigned j = 0; j < n && rc == ASGD_OK && !cli_stopped(); j++) {
		r[j].eta = o.m.eta / (double)(1u << j);
		r[j].dt = sqrt(r[j].eta * (1 - o.m.mu));
		r[j].iters = (uint64_t)llround(o.horizon / r[j].dt);
		if (r[j].iters < 1)
			r[j].iters = 1;
		rc = measure(&o, &r[j]);
		if (!o.m.quiet)
			fprintf(stderr, "order: eta %g done (%u/%u)\n", r[j].eta, j + 1, n);
	}
	root = cli_models_header(&o.m, CMD);
	cJSON_AddNumberToObject(root, "horizon", o.horizon);
	cJSON_AddNumberToObject(root, "halvings", o.halvings);
	rows = cJSON_AddArrayToObject(root, "rungs");
	for (unsigned j = 0; j < n; j++) {
		cJSON *row;

		if (!r[j].ok)
			continue;
		row = cJSON_CreateObject();
		cJSON_AddNumberToObject(row, "eta", r[j].eta);
		cJSON_AddNumberToObject(row, "dt", r[j].dt);
		cJSON_AddNumberToObject(row, "iters", (double)r[j].iters);
		cJSON_AddBoolToObject(row, "exact", r[j].exact);
		cJSON_AddNumberToObject(row, "mean_gap", r[j].gap.mean);
		cJSON_AddNumberToObject(row, "mean_gap_se", r[j].gap.mean_se);
		cJSON_AddNumberToObject(row, "second_abs_gap", r[j].gap.second_abs);
		cJSON_AddNumberToObject(row, "second_rel_gap", r[j].gap.second_rel);
		cJSON_AddNumberToObject(row, "theorem3_bound", r[j].dt / (1 - o.m.mu));
		cJSON_AddItemToArray(rows, row);
	}
	cJSON_AddItemToObject(root, "fit", fits_json(r, n, &p_mean, &p_second));
	cJSON_AddBoolToObject(root, "partial", cli_stopped() || rc != ASGD_OK);
	cJSON_AddNumberToObject(root, "wall_s", cli_elapsed_s(&o.m));
	cli_out_path(path, sizeof(path), o.m.out, "order.json");
	if (cli_write_json(path, root) != ASGD_OK && rc == ASGD_OK)
		rc = ASGD_EIO;
	if (rc == ASGD_OK)
		rc = write_csv(&o, r, n);
	if (rc == ASGD_OK && !o.m.quiet)
		print_table(&o, r, n, p_mean, p_second);
	status = cli_models_status(CMD, &o.m, rc);
	cJSON_Delete(root);
	cli_models_free(&o.m);
	return status;
}
