/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise_out.c — the outputs of `asgd advise`: one table of columns writes both advise.csv and
 * the "outcomes" of advise.json, so the two always say the same; each setting's msd.csv; and the
 * report on stdout.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "asgd/advise.h"
#include "asgd/report.h"
#include "asgd/work.h"
#include "advise.h"
#include "cli.h"

/* One setting as a row: every field a double, NAN where it does not apply. */
struct advise_row {
	double workers, eta, momentum, total_momentum, model_rho, noise_floor;
	double replicas, diverged, mu_hat, final_msd, final_se, k_target;
	double wall_s, updates_per_s, t_target_s;
};

static const struct cli_column COLUMNS[] = {
#define COL(name, field, format) CLI_COLUMN(struct advise_row, name, field, CLI_FIELD_##format)
	COL("workers", workers, INTEGER),	COL("eta", eta, REAL),
	COL("momentum", momentum, REAL),	COL("total_momentum", total_momentum, REAL),
	COL("model_rho", model_rho, REAL),	COL("noise_floor", noise_floor, REAL),
	COL("replicas", replicas, INTEGER),	COL("diverged", diverged, INTEGER),
	COL("mu_hat", mu_hat, REAL),		COL("final_msd", final_msd, REAL),
	COL("final_msd_se", final_se, REAL),	COL("iters_to_target", k_target, INTEGER),
	COL("engine_wall_s", wall_s, REAL),	COL("updates_per_s", updates_per_s, REAL),
	COL("time_to_target_s", t_target_s, REAL),
#undef COL
};
#define NCOLUMNS (sizeof(COLUMNS) / sizeof(*COLUMNS))

static void row_of(const struct advise_opts *o, const struct advise_result *r,
		   const struct advise_outcome *s, double floor, struct advise_row *row)
{
	double mu = r->probe.mu_hat;

	row->workers = o->cfg.workers;
	row->eta = s->eta;
	row->momentum = s->beta;
	row->total_momentum = asgd_advise_total_momentum(mu, s->beta);
	row->model_rho = asgd_advise_rho(r->local.a, s->eta, mu, s->beta);
	row->noise_floor = floor;
	row->replicas = (double)s->replicas;
	row->diverged = s->diverged;
	row->mu_hat = s->mu_hat;
	row->final_msd = s->final_msd;
	row->final_se = s->final_se;
	row->k_target = s->k_target;
	row->wall_s = s->wall_s;
	row->updates_per_s = s->updates_per_s;
	row->t_target_s = s->t_target_s;
}

/* The settings that ran, in order: current, then recommended. */
static size_t rows_of(const struct advise_opts *o, const struct advise_result *r,
		      struct advise_row rows[2], const char *names[2])
{
	size_t n = 0;

	if (r->cur.ran) {
		row_of(o, r, &r->cur, r->floor_current, &rows[n]);
		names[n++] = r->cur.name;
	}
	if (r->recd.ran) {
		row_of(o, r, &r->recd, r->floor_rec, &rows[n]);
		names[n++] = r->recd.name;
	}
	return n;
}

static int write_csv(const struct advise_opts *o, const struct advise_row *rows,
		     const char *const *names, size_t n)
{
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "advise.csv");

	if (rc != ASGD_OK)
		return rc;
	cli_table_csv_header(af.fp, "setting", COLUMNS, NCOLUMNS);
	for (size_t i = 0; i < n; i++)
		cli_table_csv_row(af.fp, names[i], &rows[i], COLUMNS, NCOLUMNS);
	return asgd_atomic_commit(&af);
}

/* DIR/<setting>/msd.csv: k,msd,se — E‖x_k − x*‖² over the replicas and its SE. */
static int write_msd(const struct advise_opts *o, const struct advise_outcome *s)
{
	char dir[4096];
	asgd_atomic_file af;
	int rc;

	if (!s->ran || s->replicas == 0)
		return ASGD_OK;
	cli_out_path(dir, sizeof(dir), o->out, s->name);
	rc = cli_open_out(&af, dir, "msd.csv");
	if (rc != ASGD_OK)
		return rc;
	fputs("k,msd,se\n", af.fp);
	for (size_t k = 0; k < s->steps; k++) {
		fprintf(af.fp, "%zu,", k);
		cli_print_field(af.fp, s->msd[k], CLI_FIELD_REAL);
		fputc(',', af.fp);
		cli_print_field(af.fp, s->msd_se[k], CLI_FIELD_REAL);
		fputc('\n', af.fp);
	}
	return asgd_atomic_commit(&af);
}

/* ---- advise.json ---- */

static cJSON *settings_json(const struct advise_opts *o)
{
	size_t dim = asgd_problem_dim(o->problem);
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(o->problem));
	cJSON_AddNumberToObject(j, "dim", (double)dim);
	if (dim <= 100)
		cJSON_AddItemToObject(j, "minimizer", cJSON_CreateDoubleArray(o->xstar, (int)dim));
	else
		cJSON_AddNullToObject(j, "minimizer");
	cJSON_AddNumberToObject(j, "workers", o->cfg.workers);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "eta", o->cfg.eta);
	cJSON_AddNumberToObject(j, "momentum", o->cfg.momentum);
	cJSON_AddNumberToObject(j, "iterations", (double)o->cfg.iters);
	cJSON_AddNumberToObject(j, "probe_replicas", (double)o->probe_replicas);
	cJSON_AddNumberToObject(j, "replicas", (double)o->replicas);
	cJSON_AddNumberToObject(j, "target", o->target);
	cJSON_AddStringToObject(j, "target_meaning", "first k with E||x_k - x*||^2 <= target");
	cJSON_AddNumberToObject(j, "seed", (double)o->cfg.seed);
	cJSON_AddNumberToObject(j, "probe_seed", (double)o->probe_seed);
	return j;
}

static cJSON *measurements_json(const struct advise_opts *o, const struct advise_result *r)
{
	const asgd_advise_local *l = &r->local;
	int one_d = asgd_problem_dim(o->problem) == 1;
	cJSON *j = cJSON_CreateObject(), *p;

	p = cJSON_AddObjectToObject(j, "probe");
	cJSON_AddNumberToObject(p, "replicas", (double)r->probe_done);
	cJSON_AddNumberToObject(p, "applied", (double)r->probe_applied);
	cJSON_AddNumberToObject(p, "engine_wall_s", r->probe_wall_s);
	if (r->have_probe) {
		cJSON_AddNumberToObject(j, "mu_hat", r->probe.mu_hat);
		cJSON_AddItemToObject(j, "mu_ci95",
				      cJSON_CreateDoubleArray(r->probe.mu_ci95, 2));
		cli_add_number(j, "mu_queueing", r->probe.mu_queueing);
		cJSON_AddItemToObject(j, "staleness", asgd_staleness_summary_json(&r->probe));
	} else {
		cJSON_AddNullToObject(j, "mu_hat");
	}
	cJSON_AddNumberToObject(j, "a", l->a);
	cJSON_AddNumberToObject(j, "sigma2", l->sigma2);
	cJSON_AddNumberToObject(j, "trace_c", l->trace_c);
	cJSON_AddStringToObject(j, "a_method", one_d ? "central difference of grad f at x*"
						    : "power iteration on finite-difference "
						      "Hessian-vector products at x*");
	cJSON_AddStringToObject(j, "sigma2_method", one_d ? "C(x*)" : "trace C(x*) / d");
	cJSON_AddNumberToObject(j, "fd_step", l->step);
	cJSON_AddNumberToObject(j, "power_iterations", l->power_iters);
	cJSON_AddBoolToObject(j, "power_converged", l->converged);
	return j;
}

static cJSON *recommendation_json(const struct advise_opts *o, const struct advise_result *r)
{
	const asgd_advise_rec *c = &r->rec;
	cJSON *j, *m;

	if (!r->have_rec)
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "workers", o->cfg.workers);
	cJSON_AddNumberToObject(j, "eta", o->cfg.eta);
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
	m = cJSON_AddObjectToObject(j, "model");
	cJSON_AddStringToObject(m, "meaning", "rho: contraction per iteration of E(x_k - x*) "
					      "under geometric staleness mu_hat, the spectral "
					      "radius of (z-1)(z-beta)(z-mu)+eta a(1-mu)z^2");
	cJSON_AddNumberToObject(m, "rho_current", c->rho_current);
	cJSON_AddNumberToObject(m, "rho_recommended", c->rho_rec);
	cJSON_AddNumberToObject(m, "rho_eta_opt", c->rho_eta_opt);
	cJSON_AddNumberToObject(m, "best_momentum", c->beta_best);
	cJSON_AddNumberToObject(m, "rho_best", c->rho_best);
	cli_add_number(j, "noise_floor_current", r->floor_current);
	cli_add_number(j, "noise_floor_recommended", r->floor_rec);
	if (r->have_batch) {
		cJSON *b = cJSON_AddObjectToObject(j, "batch_schedule");

		cJSON_AddStringToObject(b, "meaning", "Section 4's optimal control at the recommended "
						      "total momentum, gamma = gamma*/1000, over the "
						      "run's iterations (docs/MODELS.md section 6); "
						      "reported, not run: 'asgd batch' runs schedules");
		cJSON_AddNumberToObject(b, "gamma_star", r->batch_gamma_star);
		cJSON_AddNumberToObject(b, "k_star", r->batch_k_star);
		cJSON_AddNumberToObject(b, "final_batch", r->batch_final);
		cJSON_AddNumberToObject(b, "gradient_evaluations", r->batch_evaluations);
	} else {
		cJSON_AddNullToObject(j, "batch_schedule");
	}
	return j;
}

static cJSON *outcomes_json(const struct advise_row *rows, const char *const *names, size_t n)
{
	cJSON *j = cJSON_CreateObject();

	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_AddObjectToObject(j, names[i]);

		cli_table_json_row(r, &rows[i], COLUMNS, NCOLUMNS);
	}
	return j;
}

static cJSON *verdict_json(const struct advise_result *r)
{
	cJSON *j = cJSON_CreateObject(), *d;

	d = cJSON_AddObjectToObject(j, "difference");
	cJSON_AddStringToObject(d, "meaning", "recommended minus current final E||x_K - x*||^2; "
					      "se = sqrt(se_rec^2 + se_cur^2), independent runs");
	cli_add_number(d, "final_msd", r->diff);
	cli_add_number(d, "se", r->diff_se);
	cli_add_number(d, "z", r->diff / r->diff_se);
	d = cJSON_AddObjectToObject(j, "early");
	cJSON_AddStringToObject(d, "meaning", "recommended minus current E||x_k - x*||^2 at the "
					      "first k where either setting reaches the target (that "
					      "one is at most the target there by selection)");
	cli_add_number(d, "k", r->early_k);
	cli_add_number(d, "msd", r->early_diff);
	cli_add_number(d, "se", r->early_se);
	cli_add_number(d, "z", r->early_diff / r->early_se);
	if (r->verdict == ADVISE_NO_VERDICT)
		cJSON_AddNullToObject(j, "helped");
	else
		cJSON_AddBoolToObject(j, "helped", r->verdict == ADVISE_HELPED);
	cJSON_AddStringToObject(j, "rule", "helped when the recommended final E||x_K - x*||^2 is "
					   "lower by more than 2 SE of the difference");
	cJSON_AddStringToObject(j, "text", r->verdict_text);
	return j;
}

static int write_json(const struct advise_opts *o, const struct advise_result *r,
		      const struct advise_row *rows, const char *const *names, size_t n)
{
	cJSON *root = cJSON_CreateObject();

	cJSON_AddStringToObject(root, "command", "advise");
	cJSON_AddItemToObject(root, "command_line", cli_argv_json(o->argc, o->argv));
	cJSON_AddItemToObject(root, "settings", settings_json(o));
	cJSON_AddItemToObject(root, "measurements", measurements_json(o, r));
	cJSON_AddItemToObject(root, "recommendation", recommendation_json(o, r));
	cJSON_AddItemToObject(root, "outcomes", outcomes_json(rows, names, n));
	cJSON_AddItemToObject(root, "verdict", verdict_json(r));
	cJSON_AddBoolToObject(root, "partial", r->partial);
	cJSON_AddNumberToObject(root, "wall_s", r->wall_s);
	cJSON_AddItemToObject(root, "machine", cli_machine_json());
	return cli_write_json_out(o->out, "advise.json", root);
}

int advise_write(const struct advise_opts *o, const struct advise_result *r)
{
	struct advise_row rows[2];
	const char *names[2];
	size_t n = rows_of(o, r, rows, names);
	int rc = write_msd(o, &r->cur);

	if (rc == ASGD_OK)
		rc = write_msd(o, &r->recd);
	if (rc == ASGD_OK)
		rc = write_csv(o, rows, names, n);
	if (rc == ASGD_OK)
		rc = write_json(o, r, rows, names, n);
	return rc;
}

/* ---- the report ---- */

static void print_measurements(const struct advise_opts *o, const struct advise_result *r)
{
	const asgd_staleness_summary *s = &r->probe;
	const asgd_advise_local *l = &r->local;
	char work[64];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	printf("asgd advise  %s  M=%u  work=%s  eta=%g  momentum=%g  iters=%llu  replicas=%llu%s\n",
	       asgd_problem_spec(o->problem), o->cfg.workers, work, o->cfg.eta, o->cfg.momentum,
	       (unsigned long long)o->cfg.iters, (unsigned long long)o->replicas,
	       r->partial ? "  (PARTIAL)" : "");
	printf("measured   mu_hat %.4f  95%% [%.4f, %.4f]  (probe: %llu runs, %llu gradients; "
	       "1-1/M = %.4f)\n", s->mu_hat, s->mu_ci95[0], s->mu_ci95[1],
	       (unsigned long long)r->probe_done, (unsigned long long)s->count, s->mu_queueing);
	if (asgd_problem_dim(o->problem) == 1)
		printf("near x*    a = f''(x*) = %.6g   Sigma = C(x*) = %.6g   (x* = %.6g)\n", l->a,
		       l->sigma2, o->xstar[0]);
	else
		printf("near x*    a = largest Hessian eigenvalue = %.6g (%u power iterations%s)   "
		       "Sigma = trace C/d = %.6g\n", l->a, l->power_iters,
		       l->converged ? "" : ", NOT converged", l->sigma2);
}

static void print_recommendation(const struct advise_opts *o, const struct advise_result *r)
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

static void print_outcome(const struct advise_outcome *s)
{
	char k[32];

	if (!s->ran)
		return;
	if (isfinite(s->k_target))
		snprintf(k, sizeof(k), "%.0f", s->k_target);
	else
		snprintf(k, sizeof(k), "not reached");
	printf("           %-12s %8.4f %8.4f   %-12.5g %-10.2g %-12s %8.3f %s\n", s->name, s->beta,
	       s->mu_hat, s->final_msd, s->final_se, k, s->wall_s,
	       s->diverged ? "DIVERGED" : s->interrupted ? "(interrupted)" : "");
}

void advise_print(const struct advise_opts *o, const struct advise_result *r)
{
	print_measurements(o, r);
	if (r->have_rec)
		print_recommendation(o, r);
	if (r->cur.ran) {
		printf("outcome    %llu runs each, same seed streams; target %g\n",
		       (unsigned long long)o->replicas, o->target);
		printf("           %-12s %8s %8s   %-12s %-10s %-12s %8s\n", "setting", "beta",
		       "mu_hat", "final msd", "+- SE", "iters to T", "engine s");
		print_outcome(&r->cur);
		print_outcome(&r->recd);
	}
	printf("verdict    %s\n", r->verdict_text);
	printf("outputs    %s/{advise.json,advise.csv,current/,recommended/}\n", o->out);
}
