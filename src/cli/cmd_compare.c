/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compare.c — `asgd compare`: the paper's Figures 4–7 as numbers.
 *
 * Runs discrete ASGD (2.1), SME-ASGD (2.11) and SME-SGD (3.3) on one preset with the same η and
 * μ, writes each model's moments.csv, and says in comparison.json how far each SME is from ASGD:
 * the largest gap in the mean and the largest relative gap in the second moment over the
 * horizon, with standard errors. Where the preset is quadratic the exact moments of all three
 * models are computed as well (exact.csv beside each moments.csv) and the gaps are given both ways:
 * the exact gaps are free of Monte Carlo error, the ensemble gaps show what 5000 paths can see.
 * For presets with several local minima, the fraction of paths ending in each basin.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/compare.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "asgd/sim.h"
#include "asgd/sme.h"
#include "cli.h"
#include "models.h"

static const char *const CMD = "compare";

static void usage(void)
{
	printf("usage: asgd compare [OPTIONS]\n\n"
	       "Run discrete ASGD, SME-ASGD and SME-SGD on a preset with the same eta and mu and\n"
	       "report how far each SME's mean and second moment are from ASGD's (the paper's\n"
	       "Figures 4-7), with standard errors; for quadratic presets also exactly.\n\n"
	       "options:\n"
	       "  --preset NAME      problem (default fig4); one of:\n");
	cli_print_presets("                       ");
	printf("  --mu M             staleness in [0,1) (default: the preset's)\n"
	       "  --eta ETA          step size > 0 (default: the preset's)\n"
	       "  --iters K          iterations (default: the preset's)\n"
	       "  --paths P          sample paths per model (default 5000)\n"
	       "  --substeps S       Euler-Maruyama substeps per step of the SMEs (default 8)\n"
	       "  --sigma CHOICE     SME-ASGD's Sigma(t): continuum | evolve | constant | instant\n"
	       "                     (default continuum in 1-D, instant for d > 1)\n"
	       "  --threads T        compute threads, 0 = all cores (default 0)\n"
	       "  --seed S           seed (default 1)\n"
	       "  --out DIR          output directory (default out/compare)\n"
	       "  --quiet            no progress, no table on stdout\n"
	       "  --help             this text\n\n"
	       "outputs in DIR: asgd/, sme-asgd/, sme-sgd/ each with moments.csv (and exact.csv\n"
	       "for quadratic presets), and comparison.json.\n"
	       "exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted (partial outputs).\n");
}

static void parse_args(int argc, char **argv, struct cli_models *o)
{
	static const struct option longopts[] = {
		CLI_MODELS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_models_defaults(o, "out/compare");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage();
			exit(CLI_EXIT_OK);
		}
		if (!cli_models_option(CMD, o, c, optarg))
			cli_usage_error(CMD, "unknown option or missing value: '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	cli_models_finish(CMD, o, argc, argv);
}

static cJSON *gap_json(const asgd_gap *g)
{
	cJSON *j = cJSON_CreateObject();

	asgd_gap_add_json(j, g);
	return j;
}

/* gaps.{sme-asgd,sme-sgd}.{monte_carlo,exact} and the one-line verdicts. */
static void add_gaps(cJSON *root, const struct cli_models *o, struct cli_model_run *runs)
{
	cJSON *gaps = cJSON_AddObjectToObject(root, "gaps"), *verdict;
	asgd_gap g[2][2];	/* [sme-asgd, sme-sgd][monte carlo, exact] */
	int have[2][2] = { { 0 } };

	for (int m = 0; m < 2; m++) {
		struct cli_model_run *r = &runs[1 + m];
		cJSON *j = cJSON_AddObjectToObject(gaps, r->name);

		if (runs[0].have_mc && r->have_mc &&
		    asgd_gap_compute(&r->mc, &runs[0].mc, &g[m][0]) == ASGD_OK) {
			cJSON_AddItemToObject(j, "monte_carlo", gap_json(&g[m][0]));
			have[m][0] = 1;
		}
		if (runs[0].have_exact && r->have_exact &&
		    asgd_gap_compute(&r->exact, &runs[0].exact, &g[m][1]) == ASGD_OK) {
			cJSON_AddItemToObject(j, "exact", gap_json(&g[m][1]));
			have[m][1] = 1;
		}
	}
	verdict = cJSON_AddObjectToObject(root, "sme_asgd_beats_sme_sgd");
	for (int e = 0; e < 2; e++) {
		cJSON *v;

		if (!have[0][e] || !have[1][e])
			continue;
		v = cJSON_AddObjectToObject(verdict, e ? "exact" : "monte_carlo");
		cJSON_AddBoolToObject(v, "mean", g[0][e].mean < g[1][e].mean);
		cJSON_AddBoolToObject(v, "second_moment", g[0][e].second_rel < g[1][e].second_rel);
	}
	(void)o;
}

static void print_table(const struct cli_models *o, struct cli_model_run *runs)
{
	printf("asgd compare  %s  eta=%g  mu=%g  iters=%llu  paths=%llu\n", o->spec, o->eta, o->mu,
	       (unsigned long long)o->iters, (unsigned long long)o->paths);
	printf("%-10s %-12s %-26s %-26s\n", "model", "reference", "max |mean gap| ± SE",
	       "max rel. E x^2 gap ± SE");
	for (int m = 1; m < 3; m++) {
		asgd_gap g;

		if (runs[0].have_mc && runs[m].have_mc &&
		    asgd_gap_compute(&runs[m].mc, &runs[0].mc, &g) == ASGD_OK)
			printf("%-10s %-12s %.3e ± %-14.1e %.3e ± %.1e\n", runs[m].name,
			       "monte carlo", g.mean, g.mean_se, g.second_rel, g.second_rel_se);
		if (runs[0].have_exact && runs[m].have_exact &&
		    asgd_gap_compute(&runs[m].exact, &runs[0].exact, &g) == ASGD_OK)
			printf("%-10s %-12s %.3e %-17s %.3e\n", runs[m].name, "exact", g.mean, "",
			       g.second_rel);
	}
}

int cli_compare(int argc, char **argv)
{
	struct cli_models o;
	struct cli_model_run runs[3];
	const asgd_model models[3] = { ASGD_MODEL_ASGD, ASGD_MODEL_SME_ASGD, ASGD_MODEL_SME_SGD };
	cJSON *root, *jm;
	char path[4096];
	int rc = ASGD_OK, status;

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	root = cli_models_header(&o, CMD);
	jm = cJSON_AddObjectToObject(root, "models");
	for (int m = 0; m < 3; m++) {
		char dir[4096];
		struct cli_model_params p = { .eta = o.eta, .iters = o.iters, .dir = dir,
					      .monte_carlo = 1, .exact = 1 };

		cli_model_run_init(&runs[m], models[m]);
		cli_out_path(dir, sizeof(dir), o.out, runs[m].name);
		if (rc == ASGD_OK && !cli_stopped())
			rc = cli_model_run(&o, &p, &runs[m]);
		cJSON_AddItemToObject(jm, runs[m].name, cli_model_run_json(&runs[m]));
	}
	if (rc == ASGD_OK)
		add_gaps(root, &o, runs);
	if (rc == ASGD_OK)
		cli_models_add_basins(root, &o, runs, 3);
	cJSON_AddBoolToObject(root, "partial", cli_stopped() || rc != ASGD_OK);
	cJSON_AddNumberToObject(root, "wall_s", cli_elapsed_s(&o));
	cli_out_path(path, sizeof(path), o.out, "comparison.json");
	if (cli_write_json(path, root) != ASGD_OK && rc == ASGD_OK)
		rc = ASGD_EIO;
	if (rc == ASGD_OK && !o.quiet)
		print_table(&o, runs);
	status = cli_models_status(CMD, &o, rc);
	cJSON_Delete(root);
	for (int m = 0; m < 3; m++)
		cli_model_run_free(&runs[m]);
	cli_models_free(&o);
	return status;
}
