/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compare.c — `asgd compare`: the paper's Figures 4–7 as numbers. Flags, the experiment
 * (asgd/compare_run.h: ASGD, SME-ASGD and SME-SGD side by side, each model's moments.csv and
 * exact.csv under DIR/<model>/), comparison.json and the table of gaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/compare_run.h"
#include "asgd/error.h"
#include "cli.h"
#include "models.h"

static const char *const CMD = "compare";

static const struct cli_command COMMAND = {
	.name = "compare",
	.about = "Run discrete ASGD, SME-ASGD and SME-SGD on a preset with the same eta and mu and "
		 "report how far each SME's mean and second moment are from ASGD's (the paper's "
		 "Figures 4-7), with standard errors; for quadratic presets also exactly.",
	.epilogue = "outputs in DIR: asgd/, sme-asgd/, sme-sgd/ each with moments.csv (and exact.csv\n"
		    "for quadratic presets), and comparison.json.\n"
		    "exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted (partial outputs).\n",
};

static void parse_args(int argc, char **argv, struct cli_models *o)
{
	struct cli_problem_refusal no_data;

	cli_models_defaults(o, "out/compare");
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){ cli_models_flags(o),
		cli_problem_refusal(&no_data, "compare puts the models side by side on a preset, "
				    "exactly where it is quadratic; on data, run validate, which "
				    "compares them with the real run"), NULL }, argc, argv);
	cli_models_finish(CMD, o, argc, argv);
}

static void print_table(const struct cli_models *o, const asgd_compare_result *res)
{
	printf("asgd compare  %s  eta=%g  mu=%g  iters=%llu  paths=%llu\n", o->spec, o->eta, o->mu,
	       (unsigned long long)o->iters, (unsigned long long)o->paths);
	printf("%-10s %-12s %-26s %-26s\n", "model", "reference", "max |mean gap| ± SE",
	       "max rel. E x^2 gap ± SE");
	for (int m = 0; m < 2; m++) {
		const char *name = asgd_model_name(res->runs[1 + m].model);
		const asgd_gap *g = res->gap[m];

		if (res->have_gap[m][0])
			printf("%-10s %-12s %.3e ± %-14.1e %.3e ± %.1e\n", name, "monte carlo",
			       g[0].mean, g[0].mean_se, g[0].second_rel, g[0].second_rel_se);
		if (res->have_gap[m][1])
			printf("%-10s %-12s %.3e %-17s %.3e\n", name, "exact", g[1].mean, "",
			       g[1].second_rel);
	}
}

int cli_compare(int argc, char **argv)
{
	struct cli_models o;
	struct cli_models_progress prog;
	asgd_compare_config cfg = { 0 };
	asgd_compare_result res;
	cJSON *root;
	char path[4096];
	int rc, status;

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	cli_out_path(path, sizeof(path), o.out, "comparison.json");
	cli_models_run_config(CMD, &o, ASGD_COMPARE_MODELS, &cfg.run, &prog);
	cfg.dir = o.out;
	rc = asgd_compare_run(&cfg, &res);
	if (res.error[0])
		fprintf(stderr, "asgd: %s\n", res.error);
	root = cli_models_header(&o, CMD);
	cli_models_append(root, asgd_compare_result_json(&res));
	cJSON_AddBoolToObject(root, "partial", cli_stopped() || rc != ASGD_OK);
	cJSON_AddNumberToObject(root, "wall_s", cli_elapsed_s(&o));
	if (cli_write_json(path, root) != ASGD_OK && rc == ASGD_OK)
		rc = ASGD_EIO;
	if (rc == ASGD_OK && !o.quiet)
		print_table(&o, &res);
	status = cli_models_status(CMD, &o, rc);
	cJSON_Delete(root);
	asgd_compare_result_free(&res);
	cli_models_free(&o);
	return status;
}
