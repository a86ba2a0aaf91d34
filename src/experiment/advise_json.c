/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise_json.c — advise.json, the result of the `asgd advise` experiment as JSON
 * (asgd_advise_result_json): the command line, the settings, what was measured, the
 * recommendation with the model's contraction rates, both outcomes (the columns of
 * asgd_advise_columns, as advise.csv), the verdict and the machine. Every key and "meaning"
 * that holds the measure names it: E||x - x*||^2 ("msd") or the loss gap f(x) - f* ("loss_gap").
 */
#include "asgd/advise_run.h"

#include <stdio.h>

#include "asgd/report.h"
#include "asgd/table.h"
#include "asgd/work.h"

static cJSON *settings_json(const asgd_advise_config *c, const asgd_advise_result *r)
{
	size_t dim = asgd_problem_dim(c->problem);
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&c->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(c->problem));
	cJSON_AddNumberToObject(j, "dim", (double)dim);
	if (dim <= 100)
		cJSON_AddItemToObject(j, "minimizer", cJSON_CreateDoubleArray(r->xstar, (int)dim));
	else
		cJSON_AddNullToObject(j, "minimizer");
	cJSON_AddNumberToObject(j, "workers", c->workers);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "eta", c->eta);
	cJSON_AddNumberToObject(j, "momentum", c->momentum);
	cJSON_AddNumberToObject(j, "iterations", (double)c->iters);
	cJSON_AddNumberToObject(j, "probe_replicas", (double)c->probe_replicas);
	cJSON_AddNumberToObject(j, "replicas", (double)c->replicas);
	asgd_json_add_number(j, "target", r->target);
	cJSON_AddBoolToObject(j, "target_default", r->target_default);
	cJSON_AddStringToObject(j, "target_meaning",
				r->measure == ASGD_ADVISE_LOSS_GAP
					? "first k with the mean loss E f(x_k) <= target (a loss, not a "
					  "gap; default f* * 1.01)"
					: "first k with E||x_k - x*||^2 <= target");
	cJSON_AddNumberToObject(j, "seed", (double)c->seed);
	cJSON_AddNumberToObject(j, "probe_seed", (double)(c->seed + 1));
	return j;
}

static void probe_json(cJSON *j, const asgd_advise_result *r)
{
	cJSON *p = cJSON_AddObjectToObject(j, "probe");

	cJSON_AddNumberToObject(p, "replicas", (double)r->probe_done);
	cJSON_AddNumberToObject(p, "applied", (double)r->probe_applied);
	cJSON_AddNumberToObject(p, "engine_wall_s", r->probe_wall_s);
	if (r->have_probe) {
		cJSON_AddNumberToObject(j, "mu_hat", r->probe.mu_hat);
		cJSON_AddItemToObject(j, "mu_ci95", cJSON_CreateDoubleArray(r->probe.mu_ci95, 2));
		asgd_json_add_number(j, "mu_queueing", r->probe.mu_queueing);
		cJSON_AddItemToObject(j, "staleness", asgd_staleness_summary_json(&r->probe));
	} else {
		cJSON_AddNullToObject(j, "mu_hat");
	}
}

static cJSON *measurements_json(const asgd_advise_config *c, const asgd_advise_result *r)
{
	const asgd_advise_local *l = &r->local;
	int one_d = asgd_problem_dim(c->problem) == 1;
	cJSON *j = cJSON_CreateObject();

	probe_json(j, r);
	cJSON_AddNumberToObject(j, "a", l->a);
	cJSON_AddNumberToObject(j, "sigma2", l->sigma2);
	cJSON_AddNumberToObject(j, "trace_c", l->trace_c);
	cJSON_AddStringToObject(j, "curvature_source", asgd_advise_curvature_name(l->source));
	cJSON_AddStringToObject(j, "a_method",
				l->source == ASGD_ADVISE_CURV_REGULARISER
					? "the regulariser's lambda: the hinge loss has no curvature "
					  "at its optimum (its Hessian is 0 almost everywhere)"
				: one_d ? "central difference of grad f at x*"
					: "power iteration on finite-difference Hessian-vector "
					  "products at x*");
	cJSON_AddStringToObject(j, "sigma2_method", one_d ? "C(x*)" : "trace C(x*) / d");
	cJSON_AddNumberToObject(j, "fd_step", l->step);
	cJSON_AddNumberToObject(j, "power_iterations", l->power_iters);
	cJSON_AddBoolToObject(j, "power_converged", l->converged);
	return j;
}

/* What the compared runs measure, and the optimum it is measured from. */
static cJSON *measure_json(const asgd_advise_result *r)
{
	cJSON *j = cJSON_CreateObject();
	int gap = r->measure == ASGD_ADVISE_LOSS_GAP;

	cJSON_AddStringToObject(j, "name", asgd_advise_measure_name(r->measure));
	cJSON_AddStringToObject(j, "meaning",
				gap ? "the loss gap f(x_k) - f*, f the model's objective, mean over "
				      "the replicas; per setting in <setting>/loss_gap.csv"
				    : "E||x_k - x*||^2 summed over coordinates, mean over the "
				      "replicas; per setting in <setting>/msd.csv");
	asgd_json_add_number(j, "fstar", r->fstar);
	return j;
}

static void model_json(cJSON *j, const asgd_advise_rec *c)
{
	cJSON *m = cJSON_AddObjectToObject(j, "model");

	cJSON_AddStringToObject(m, "meaning", "rho: contraction per iteration of E(x_k - x*) "
					      "under geometric staleness mu_hat, the spectral "
					      "radius of (z-1)(z-beta)(z-mu)+eta a(1-mu)z^2");
	cJSON_AddNumberToObject(m, "rho_current", c->rho_current);
	cJSON_AddNumberToObject(m, "rho_recommended", c->rho_rec);
	cJSON_AddNumberToObject(m, "rho_eta_opt", c->rho_eta_opt);
	cJSON_AddNumberToObject(m, "best_momentum", c->beta_best);
	cJSON_AddNumberToObject(m, "rho_best", c->rho_best);
}

static void batch_json(cJSON *j, const asgd_advise_result *r)
{
	cJSON *b;

	if (!r->have_batch) {
		cJSON_AddNullToObject(j, "batch_schedule");
		return;
	}
	b = cJSON_AddObjectToObject(j, "batch_schedule");
	cJSON_AddStringToObject(b, "meaning", "Section 4's optimal control at the recommended "
					      "total momentum, gamma = gamma*/1000, over the "
					      "run's iterations (docs/MODELS.md section 6); "
					      "reported, not run: 'asgd batch' runs schedules");
	cJSON_AddNumberToObject(b, "gamma_star", r->batch_gamma_star);
	cJSON_AddNumberToObject(b, "k_star", r->batch_k_star);
	cJSON_AddNumberToObject(b, "final_batch", r->batch_final);
	cJSON_AddNumberToObject(b, "gradient_evaluations", r->batch_evaluations);
}

static cJSON *recommendation_json(const asgd_advise_config *cfg, const asgd_advise_result *r)
{
	const asgd_advise_rec *c = &r->rec;
	cJSON *j;

	if (!r->have_rec)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "workers", cfg->workers);
	cJSON_AddNumberToObject(j, "eta", cfg->eta);
	cJSON_AddNumberToObject(j, "momentum", c->beta_rec);
	cJSON_AddStringToObject(j, "rule", asgd_advise_rule_name(c->rule));
	cJSON_AddNumberToObject(j, "momentum_closed_form", c->beta_formula);
	cJSON_AddNumberToObject(j, "total_momentum_current", c->mu_tot);
	cJSON_AddNumberToObject(j, "total_momentum_recommended", c->mu_tot_rec);
	cJSON_AddNumberToObject(j, "mu_opt", c->mu_opt);
	cJSON_AddNumberToObject(j, "eta_opt", c->eta_opt);
	cJSON_AddStringToObject(j, "formulas",
				"mu_tot = 1-(1-mu_hat)(1-beta); mu_opt = max(1-4a eta, 0); "
				"momentum_closed_form = 1-(1-mu_opt)/(1-mu_hat); "
				"eta_opt = (1-mu_tot)/(4a)");
	model_json(j, c);
	asgd_json_add_number(j, "noise_floor_current", r->floor_current);
	asgd_json_add_number(j, "noise_floor_recommended", r->floor_rec);
	batch_json(j, r);
	return j;
}

/* The settings that ran, in order: current, then recommended. */
static cJSON *outcomes_json(const asgd_advise_config *c, const asgd_advise_result *r)
{
	const asgd_advise_outcome *settings[2] = { &r->cur, &r->recd };
	cJSON *j = cJSON_CreateObject();

	for (size_t i = 0; i < 2; i++) {
		asgd_advise_row row;
		cJSON *o;

		if (!settings[i]->ran)
			continue;
		asgd_advise_row_of(c, r, settings[i], &row);
		o = cJSON_AddObjectToObject(j, settings[i]->name);
		asgd_table_json_row(o, &row, asgd_advise_columns_of(r->measure),
				    ASGD_ADVISE_NCOLUMNS);
	}
	return j;
}

static void early_json(cJSON *j, const asgd_advise_result *r, const char *what)
{
	cJSON *d = cJSON_AddObjectToObject(j, "early");
	char meaning[256];

	snprintf(meaning, sizeof(meaning), "recommended minus current %s at the first k where "
		 "either setting reaches the target (that one is at most the target there by "
		 "selection)", what);
	cJSON_AddStringToObject(d, "meaning", meaning);
	asgd_json_add_number(d, "k", r->early_k);
	asgd_json_add_number(d, asgd_advise_measure_name(r->measure), r->early_diff);
	asgd_json_add_number(d, "se", r->early_se);
	asgd_json_add_number(d, "z", r->early_diff / r->early_se);
}

static cJSON *verdict_json(const asgd_advise_result *r)
{
	const char *what = r->measure == ASGD_ADVISE_LOSS_GAP ? "loss gap f(x_K) - f*"
							       : "E||x_K - x*||^2";
	cJSON *j = cJSON_CreateObject(), *d;
	char text[256], key[32];

	d = cJSON_AddObjectToObject(j, "difference");
	snprintf(text, sizeof(text), "recommended minus current final %s; se = sqrt(se_rec^2 + "
		 "se_cur^2), independent runs", what);
	cJSON_AddStringToObject(d, "meaning", text);
	snprintf(key, sizeof(key), "final_%s", asgd_advise_measure_name(r->measure));
	asgd_json_add_number(d, key, r->diff);
	asgd_json_add_number(d, "se", r->diff_se);
	asgd_json_add_number(d, "z", r->diff / r->diff_se);
	early_json(j, r, what);
	if (r->verdict == ASGD_ADVISE_NO_VERDICT)
		cJSON_AddNullToObject(j, "helped");
	else
		cJSON_AddBoolToObject(j, "helped", r->verdict == ASGD_ADVISE_HELPED);
	snprintf(text, sizeof(text), "helped when the recommended final %s is lower by more "
		 "than 2 SE of the difference", what);
	cJSON_AddStringToObject(j, "rule", text);
	cJSON_AddStringToObject(j, "text", r->verdict_text);
	return j;
}

cJSON *asgd_advise_result_json(const asgd_advise_config *c, const asgd_advise_result *r,
			       int argc, char **argv)
{
	cJSON *j = cJSON_CreateObject();

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "command", "advise");
	cJSON_AddItemToObject(j, "command_line", asgd_report_argv_json(argc, argv));
	cJSON_AddItemToObject(j, "settings", settings_json(c, r));
	cJSON_AddItemToObject(j, "measure", measure_json(r));
	cJSON_AddItemToObject(j, "measurements", measurements_json(c, r));
	cJSON_AddItemToObject(j, "recommendation", recommendation_json(c, r));
	cJSON_AddItemToObject(j, "outcomes", outcomes_json(c, r));
	cJSON_AddItemToObject(j, "verdict", verdict_json(r));
	cJSON_AddBoolToObject(j, "partial", r->partial);
	cJSON_AddNumberToObject(j, "wall_s", r->wall_s);
	cJSON_AddItemToObject(j, "machine", asgd_report_machine_json());
	return j;
}
