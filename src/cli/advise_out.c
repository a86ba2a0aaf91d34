/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * advise_out.c — the outputs of `asgd advise`: advise.csv from the library's table of columns
 * (asgd_advise_columns, which also writes the "outcomes" of advise.json, so the two always say
 * the same); advise.json, the library's result between the command line and the machine; each
 * setting's msd.csv; and the report on stdout.
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

/* advise.csv: one row per setting that ran, the columns of asgd_advise_columns. */
static void csv_rows(FILE *fp, const struct advise_opts *o, const asgd_advise_result *r)
{
	const asgd_advise_outcome *settings[2] = { &r->cur, &r->recd };

	fputs("setting", fp);
	for (size_t c = 0; c < ASGD_ADVISE_NCOLUMNS; c++)
		fprintf(fp, ",%s", asgd_advise_columns[c].name);
	fputc('\n', fp);
	for (size_t i = 0; i < 2; i++) {
		asgd_advise_row row;

		if (!settings[i]->ran)
			continue;
		asgd_advise_row_of(&o->cfg, r, settings[i], &row);
		fputs(settings[i]->name, fp);
		for (size_t c = 0; c < ASGD_ADVISE_NCOLUMNS; c++) {
			const asgd_advise_column *col = &asgd_advise_columns[c];

			fputc(',', fp);
			asgd_table_print_field(fp, *(const double *)((const char *)&row + col->off),
					col->integer ? ASGD_FIELD_INTEGER : ASGD_FIELD_REAL);
		}
		fputc('\n', fp);
	}
}

static int write_csv(const struct advise_opts *o, const asgd_advise_result *r)
{
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "advise.csv");

	if (rc != ASGD_OK)
		return rc;
	csv_rows(af.fp, o, r);
	return asgd_atomic_commit(&af);
}

/* DIR/<setting>/msd.csv: k,msd,se — E‖x_k − x*‖² over the replicas and its SE. */
static int write_msd(const struct advise_opts *o, const asgd_advise_outcome *s)
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
		asgd_table_print_field(af.fp, s->msd[k], ASGD_FIELD_REAL);
		fputc(',', af.fp);
		asgd_table_print_field(af.fp, s->msd_se[k], ASGD_FIELD_REAL);
		fputc('\n', af.fp);
	}
	return asgd_atomic_commit(&af);
}

/* advise.json: the command line, the library's result, the machine. */
static int write_json(const struct advise_opts *o, const asgd_advise_result *r)
{
	cJSON *root = cJSON_CreateObject(), *body = asgd_advise_result_json(&o->cfg, r);

	cJSON_AddStringToObject(root, "command", "advise");
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(o->argc, o->argv));
	while (body && body->child) {
		cJSON *item = cJSON_DetachItemViaPointer(body, body->child);

		if (!cJSON_AddItemToObject(root, item->string, item))
			cJSON_Delete(item);	/* out of memory: cli_write_json refuses the rest */
	}
	cJSON_Delete(body);
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return cli_write_json_out(o->out, "advise.json", root);
}

int advise_write(const struct advise_opts *o, const asgd_advise_result *r)
{
	int rc = write_msd(o, &r->cur);

	if (rc == ASGD_OK)
		rc = write_msd(o, &r->recd);
	if (rc == ASGD_OK)
		rc = write_csv(o, r);
	if (rc == ASGD_OK)
		rc = write_json(o, r);
	return rc;
}

/* ---- the report ---- */

static void print_measurements(const struct advise_opts *o, const asgd_advise_result *r)
{
	const asgd_staleness_summary *s = &r->probe;
	const asgd_advise_local *l = &r->local;
	char work[64];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	printf("asgd advise  %s  M=%u  work=%s  eta=%g  momentum=%g  iters=%llu  replicas=%llu%s\n",
	       asgd_problem_spec(o->cfg.problem), o->cfg.workers, work, o->cfg.eta, o->cfg.momentum,
	       (unsigned long long)o->cfg.iters, (unsigned long long)o->cfg.replicas,
	       r->partial ? "  (PARTIAL)" : "");
	printf("measured   mu_hat %.4f  95%% [%.4f, %.4f]  (probe: %llu runs, %llu gradients; "
	       "1-1/M = %.4f)\n", s->mu_hat, s->mu_ci95[0], s->mu_ci95[1],
	       (unsigned long long)r->probe_done, (unsigned long long)s->count, s->mu_queueing);
	if (asgd_problem_dim(o->cfg.problem) == 1)
		printf("near x*    a = f''(x*) = %.6g   Sigma = C(x*) = %.6g   (x* = %.6g)\n", l->a,
		       l->sigma2, r->xstar[0]);
	else
		printf("near x*    a = largest Hessian eigenvalue = %.6g (%u power iterations%s)   "
		       "Sigma = trace C/d = %.6g\n", l->a, l->power_iters,
		       l->converged ? "" : ", NOT converged", l->sigma2);
}

static void print_recommendation(const struct advise_opts *o, const asgd_advise_result *r)
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

static void print_outcome(const asgd_advise_outcome *s)
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

void advise_print(const struct advise_opts *o, const asgd_advise_result *r)
{
	print_measurements(o, r);
	if (r->have_rec)
		print_recommendation(o, r);
	if (r->cur.ran) {
		printf("outcome    %llu runs each, same seed streams; target %g\n",
		       (unsigned long long)o->cfg.replicas, o->cfg.target);
		printf("           %-12s %8s %8s   %-12s %-10s %-12s %8s\n", "setting", "beta",
		       "mu_hat", "final msd", "+- SE", "iters to T", "engine s");
		print_outcome(&r->cur);
		print_outcome(&r->recd);
	}
	printf("verdict    %s\n", r->verdict_text);
	printf("outputs    %s/{advise.json,advise.csv,current/,recommended/}\n", o->out);
}
