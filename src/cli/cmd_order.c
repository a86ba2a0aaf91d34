/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * order.c — `asgd order`: does the gap between discrete ASGD and SME-ASGD shrink as Theorem 3
 * says, like Δt/(1−μ)? Flags, the experiment (asgd/order_run.h), order.json, order.csv, the table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/order_run.h"
#include "cli.h"
#include "models.h"

static const char *const CMD = "order";

struct order_opts {
	struct cli_models m;
	unsigned halvings;
	double horizon;		/* SME time T; 0 = the preset's iterations at the first η */
	int force_mc;
};

static const struct cli_command COMMAND = {
	.name = "order",
	.about = "Measure the gap between discrete ASGD and SME-ASGD as eta is halved at fixed mu "
		 "and fixed SME time T, fit its order in dt = sqrt(eta(1-mu)), and set it beside "
		 "Theorem 3's bound K_T dt/(1-mu). Quadratic presets use exact moments.",
	.epilogue = "outputs in DIR: order.csv (one row per eta), order.json (fitted orders).\n"
		    "exit status: 0 done, 1 failed, 2 bad usage, 130 interrupted.\n",
};

static void parse_args(int argc, char **argv, struct order_opts *o)
{
	const struct cli_flag own[] = {
		CLI_UINT("halvings", "H", &o->halvings, 1, ASGD_ORDER_MAX_HALVINGS,
			 "times eta is halved, 1..{max}: H + 1 values of eta"),
		{ "horizon", "T", "SME time horizon > 0", CLI_FLAG_REAL, &o->horizon, .lo = 0x1p-1074,
		  .hi = 1.7976931348623157e308, .allowed = "a finite number > 0",
		  .dflt = "the preset's iterations at the first eta, times its dt" },
		CLI_SWITCH("monte-carlo", &o->force_mc,
			   "use ensembles even where exact moments exist"),
		CLI_END,
	};
	struct cli_problem_refusal no_data;
	struct cli_flag *common;

	cli_models_defaults(&o->m, "out/order");
	o->halvings = 4;
	common = cli_models_flags(&o->m);
	cli_flag_reword(common, "eta", "the largest step size");
	cli_flag_reword(common, "iters", "iterations at the largest step size (when no --horizon)");
	cli_flags_parse_all(&COMMAND, (const struct cli_flag *const[]){ common, own,
		cli_problem_refusal(&no_data, "order halves eta on a preset, whose weak error it "
				    "measures against exact or long reference moments; on data, "
				    "run validate"), NULL }, argc, argv);
	cli_models_finish(CMD, &o->m, argc, argv);
	if (o->m.mu >= 1 || o->m.mu < 0)
		cli_usage_error(CMD, "--mu %g is not allowed: expected a number in [0, 1)", o->m.mu);
	if (!o->horizon)
		o->horizon = (double)o->m.iters * sqrt(o->m.eta * (1 - o->m.mu));
	if (o->horizon / sqrt(o->m.eta / (double)(1u << o->halvings) * (1 - o->m.mu)) > 1e7)
		cli_usage_error(CMD, "--horizon %g needs more than 1e7 iterations at the smallest "
				"eta; allowed: fewer halvings or a shorter horizon", o->horizon);
}

/* After each rung: why a model's run was refused, then the rung's progress line. */
static void on_rung(void *arg, const asgd_order_result *res, unsigned j)
{
	(void)arg;
	if (res->error[0])
		fprintf(stderr, "asgd: %s\n", res->error);
	cli_progress_note("order: eta %g done (%u/%u)", res->rungs[j].eta, j + 1, res->n);
}

static void print_table(const struct order_opts *o, const asgd_order_result *res)
{
	const asgd_order_rung *r = res->rungs;

	printf("asgd order  %s  mu=%g  T=%g  (%s moments)\n", asgd_problem_spec(o->m.problem),
	       o->m.mu, o->horizon, r[0].exact ? "exact" : "Monte Carlo");
	printf("  %-10s %-10s %-8s %-22s %-12s %-10s\n", "eta", "dt", "iters", "mean gap",
	       "E x^2 gap", "gap/bound");
	for (unsigned j = 0; j < res->n; j++)
		if (r[j].ok)
			printf("  %-10.4g %-10.4g %-8llu %.3e ± %-10.1e %-12.3e %-10.3g%s\n", r[j].eta,
			       r[j].dt, (unsigned long long)r[j].iters, r[j].gap.mean,
			       r[j].gap.mean_se, r[j].gap.second_abs,
			       r[j].gap.mean / (r[j].dt / (1 - o->m.mu)),
			       r[j].noisy ? "  (within noise)" : "");
	printf("fitted order in dt: mean %.3f, second moment %.3f   (Theorem 3: >= 1)\n",
	       res->mean_order, res->second_order);
}

int cli_order(int argc, char **argv)
{
	struct order_opts o;
	struct cli_models_progress prog;
	asgd_order_config cfg = { 0 };
	asgd_order_result res;
	char path[4096];
	cJSON *root;
	int rc, status;

	memset(&o, 0, sizeof(o));
	parse_args(argc, argv, &o);
	cli_models_run_config(CMD, &o.m, 2 * (o.halvings + 1), &cfg.run, &prog);
	cfg.halvings = o.halvings;
	cfg.horizon = o.horizon;
	cfg.monte_carlo = o.force_mc;
	cfg.rung_end = on_rung;
	cfg.rung_arg = &o;
	rc = asgd_order_run(&cfg, &res);
	root = cli_models_header(&o.m, CMD);
	cli_models_append(root, asgd_order_result_json(&res));
	cJSON_AddBoolToObject(root, "partial", cli_stopped() || rc != ASGD_OK);
	cJSON_AddNumberToObject(root, "wall_s", cli_elapsed_s(&o.m));
	cli_out_path(path, sizeof(path), o.m.out, "order.json");
	if (cli_write_json(path, root) != ASGD_OK && rc == ASGD_OK)
		rc = ASGD_EIO;
	if (rc == ASGD_OK) {
		cli_out_path(path, sizeof(path), o.m.out, "order.csv");
		rc = asgd_order_write_csv(&res, path);
	}
	if (rc == ASGD_OK && !o.m.quiet)
		print_table(&o, &res);
	status = cli_models_status(CMD, &o.m, rc);
	cJSON_Delete(root);
	cli_models_free(&o.m);
	return status;
}
