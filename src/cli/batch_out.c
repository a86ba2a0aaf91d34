/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_out.c — the outputs of `asgd batch`: the control (control.json, schedule.csv) as soon
 * as it is solved, then per schedule the simulator's and the engine's results (batch.json and
 * batch.csv from one table of columns, so the two always say the same; curves.csv for the
 * figure), and the table printed on stdout.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/work.h"
#include "batch.h"
#include "cli.h"

/* ---- control.json, schedule.csv ------------------------------------------------------ */

static cJSON *settings_json(const struct batch_opts *o)
{
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&o->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "command", "batch");
	cJSON_AddItemToObject(j, "command_line", asgd_report_argv_json(o->argc, o->argv));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(o->problem));
	cJSON_AddNumberToObject(j, "a", o->a);
	cJSON_AddNumberToObject(j, "sigma2", o->sigma2);
	cJSON_AddNumberToObject(j, "minimizer", o->xstar);
	cJSON_AddNumberToObject(j, "x0", o->x0);
	cJSON_AddNumberToObject(j, "eta", o->eta);
	cJSON_AddNumberToObject(j, "mu", o->mu);
	cJSON_AddNumberToObject(j, "gamma", o->gamma);
	cJSON_AddBoolToObject(j, "gamma_default", o->gamma_default);
	cJSON_AddNumberToObject(j, "horizon", (double)o->K);
	cJSON_AddNumberToObject(j, "constant_batch", (double)o->constant);
	cJSON_AddNumberToObject(j, "paths", (double)o->paths);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)o->replicas);
	cJSON_AddNumberToObject(j, "workers", o->workers);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "seed", (double)o->seed);
	return j;
}

static cJSON *control_json(const struct batch_opts *o, const struct batch_result *opt)
{
	const asgd_batchctl *s = &o->ctl;
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "c", s->c);
	cJSON_AddNumberToObject(j, "dt", s->dt);
	cJSON_AddNumberToObject(j, "T", s->p.T);
	cJSON_AddNumberToObject(j, "r", s->r);
	cJSON_AddBoolToObject(j, "oscillating", s->oscillating);
	cJSON_AddNumberToObject(j, "kappa", s->kappa);
	cJSON_AddNumberToObject(j, "gamma_star", s->gamma_star);
	cJSON_AddNumberToObject(j, "gamma_over_gamma_star", s->p.gamma / s->gamma_star);
	cJSON_AddNumberToObject(j, "t_star", s->t_star);
	cJSON_AddNumberToObject(j, "k_star", s->k_star);
	cJSON_AddNumberToObject(j, "z0", s->p.z0);
	cJSON_AddNumberToObject(j, "value_z0_0", asgd_batchctl_value(s, s->p.z0, 0));
	cJSON_AddNumberToObject(j, "z_T_continuous", asgd_batchctl_z(s, s->p.T));
	cJSON_AddNumberToObject(j, "u_T", asgd_batchctl_u(s, s->p.T));
	cJSON_AddNumberToObject(j, "batch_first", opt->size[0]);
	cJSON_AddNumberToObject(j, "batch_last", opt->size[o->K - 1]);
	cJSON_AddNumberToObject(j, "gradient_evaluations", opt->evaluations);
	return j;
}

static int write_schedule_csv(const struct batch_opts *o, const struct batch_result *opt)
{
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "schedule.csv");

	if (rc != ASGD_OK)
		return rc;
	fprintf(af.fp, "k,batch,u,t\n");
	for (uint64_t k = 0; k < o->K; k++) {
		double t = (double)k * o->ctl.dt;

		fprintf(af.fp, "%llu,%u,%.10g,%.10g\n", (unsigned long long)k, opt->size[k],
			asgd_batchctl_u(&o->ctl, t), t);
	}
	return asgd_atomic_commit(&af);
}

int batch_write_control(const struct batch_opts *o, const struct batch_result *opt)
{
	cJSON *root = settings_json(o);
	int rc;

	cJSON_AddItemToObject(root, "control", control_json(o, opt));
	rc = cli_write_json_out(o->out, "control.json", root);
	return rc == ASGD_OK ? write_schedule_csv(o, opt) : rc;
}

/* ---- batch.json, batch.csv --------------------------------------------------------- */

/* One schedule's row: every number, NAN where not measured. */
struct batch_row {
	double constant_batch, evaluations, model_final, model_engine_final;
	double sim_paths, sim_final, sim_final_se;
	double engine_replicas, engine_final, engine_final_se, engine_evaluations;
	double engine_mu_hat, engine_mu_lo, engine_mu_hi, engine_applied, engine_discarded;
	double engine_wall_s;
};

/* Every column ASGD_FIELD_AUTO: counts stay whole at any size, measurements keep 10 digits. */
static const asgd_column COLUMNS[] = {
#define COL(name, field) ASGD_COLUMN(struct batch_row, name, field, ASGD_FIELD_AUTO)
	COL("constant_batch", constant_batch),	   COL("gradient_evaluations", evaluations),
	COL("model_final", model_final),	   COL("model_engine_final", model_engine_final),
	COL("sim_paths", sim_paths),
	COL("sim_final", sim_final),		   COL("sim_final_se", sim_final_se),
	COL("engine_replicas", engine_replicas),   COL("engine_final", engine_final),
	COL("engine_final_se", engine_final_se),   COL("engine_evaluations", engine_evaluations),
	COL("engine_mu_hat", engine_mu_hat),	   COL("engine_mu_ci95_lo", engine_mu_lo),
	COL("engine_mu_ci95_hi", engine_mu_hi),	   COL("engine_applied", engine_applied),
	COL("engine_discarded", engine_discarded), COL("engine_wall_s", engine_wall_s),
#undef COL
};
#define NCOLUMNS (sizeof(COLUMNS) / sizeof(*COLUMNS))

static void make_row(const struct batch_opts *o, const struct batch_result *r,
		     struct batch_row *row)
{
	int constant = strcmp(r->name, "optimal") != 0, engine = r->eng_ran;

	row->constant_batch = constant ? r->size[0] : NAN;
	row->evaluations = r->evaluations;
	row->model_final = r->model[o->K];
	row->model_engine_final = r->model_engine[o->K];
	row->sim_paths = r->sim_paths ? (double)r->sim_paths : NAN;
	row->sim_final = r->sim_final;
	row->sim_final_se = r->sim_final_se;
	row->engine_replicas = engine ? (double)r->eng_replicas : NAN;
	row->engine_final = r->eng_final;
	row->engine_final_se = r->eng_final_se;
	row->engine_evaluations = r->eng_evaluations;
	row->engine_mu_hat = r->mu_hat;
	row->engine_mu_lo = r->mu_lo;
	row->engine_mu_hi = r->mu_hi;
	row->engine_applied = engine ? (double)r->eng_applied : NAN;
	row->engine_discarded = engine ? (double)r->eng_discarded : NAN;
	row->engine_wall_s = r->eng_wall_s;
}

static int write_batch_csv(const struct batch_opts *o, const struct batch_result *res)
{
	asgd_atomic_file af;
	struct batch_row row;
	int rc = cli_open_out(&af, o->out, "batch.csv");

	if (rc != ASGD_OK)
		return rc;
	asgd_table_csv_header(af.fp, "schedule", COLUMNS, NCOLUMNS);
	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		make_row(o, &res[i], &row);
		asgd_table_csv_row(af.fp, res[i].name, &row, COLUMNS, NCOLUMNS);
	}
	return asgd_atomic_commit(&af);
}

static int write_batch_json(const struct batch_opts *o, const struct batch_result *res,
			    int partial, double wall_s)
{
	cJSON *root = settings_json(o), *arr;
	struct batch_row row;

	cJSON_AddItemToObject(root, "control", control_json(o, &res[BATCH_OPTIMAL]));
	cJSON_AddBoolToObject(root, "partial", partial);
	cJSON_AddNumberToObject(root, "wall_s", wall_s);
	arr = cJSON_AddArrayToObject(root, "schedules");
	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		cJSON *r = cJSON_CreateObject();

		make_row(o, &res[i], &row);
		cJSON_AddStringToObject(r, "schedule", res[i].name);
		asgd_table_json_row(r, &row, COLUMNS, NCOLUMNS);
		cJSON_AddBoolToObject(r, "sim_complete", res[i].sim_done);
		cJSON_AddBoolToObject(r, "engine_complete", res[i].eng_done);
		cJSON_AddBoolToObject(r, "engine_diverged", res[i].eng_diverged);
		cJSON_AddItemToArray(arr, r);
	}
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return cli_write_json_out(o->out, "batch.json", root);
}

/* curves.csv: one row per (schedule, k), the figure's data. */
static int write_curves_csv(const struct batch_opts *o, const struct batch_result *res)
{
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "curves.csv");

	if (rc != ASGD_OK)
		return rc;
	fputs("schedule,k,t,batch,model,model_engine,sim_msd,sim_se,engine_msd,engine_se\n",
	      af.fp);
	for (int i = 0; i < BATCH_NSCHEDULES; i++)
		for (uint64_t k = 0; k <= o->K; k++) {
			const struct batch_result *r = &res[i];
			/* the batch that makes step k → k+1; the last row repeats it */
			uint32_t b = r->size[k < o->K ? k : o->K - 1];
			double v[] = { r->model[k], r->model_engine[k], r->sim_msd[k],
				       r->sim_se[k], r->eng_msd[k], r->eng_se[k] };

			fprintf(af.fp, "%s,%llu,%.10g,%u", r->name, (unsigned long long)k,
				(double)k * o->ctl.dt, b);
			for (size_t c = 0; c < sizeof(v) / sizeof(*v); c++) {
				fputc(',', af.fp);
				asgd_table_print_field(af.fp, v[c], ASGD_FIELD_AUTO);
			}
			fputc('\n', af.fp);
		}
	return asgd_atomic_commit(&af);
}

int batch_write_results(const struct batch_opts *o, const struct batch_result *res, int partial,
			double wall_s)
{
	int rc = write_batch_csv(o, res);

	if (rc == ASGD_OK)
		rc = write_curves_csv(o, res);
	if (rc == ASGD_OK)
		rc = write_batch_json(o, res, partial, wall_s);
	return rc;
}

/* ---- the table ------------------------------------------------------------------------ */

/* "v ± se" in %.3e, or "n/a", in a field of 24. */
static void print_pm(double v, double se)
{
	char buf[64];

	if (!isfinite(v))
		snprintf(buf, sizeof(buf), "n/a");
	else if (isfinite(se))
		snprintf(buf, sizeof(buf), "%.3e +- %.1e", v, se);
	else
		snprintf(buf, sizeof(buf), "%.3e", v);
	printf("  %-21s", buf);
}

static void print_label(const struct batch_result *r)
{
	char buf[32];

	if (!strcmp(r->name, "optimal"))
		snprintf(buf, sizeof(buf), "%s", r->name);
	else
		snprintf(buf, sizeof(buf), "%s B=%u", r->name, r->size[0]);
	printf("  %-18s", buf);
}

static void print_control(const struct batch_opts *o, const struct batch_result *opt)
{
	const asgd_batchctl *s = &o->ctl;

	printf("control   a=%g  Sigma=%.6g  x*=%.6g  z0=%.6g  dt=%.6g  T=%.6g\n", o->a, o->sigma2,
	       o->xstar, s->p.z0, s->dt, s->p.T);
	printf("          r=%.6g%s  kappa=%.6g  gamma*=%.6g  gamma=%.6g (gamma*/%.4g)\n", s->r,
	       s->oscillating ? " (complex lambda: r = c)" : "", s->kappa, s->gamma_star, o->gamma,
	       s->gamma_star / o->gamma);
	printf("          t*=%.6g (%.1f iterations)  k*=%.1f  batch %u -> %u  V(z0,0)=%.6g\n",
	       s->t_star, s->t_star / s->dt, s->k_star, opt->size[0], opt->size[o->K - 1],
	       asgd_batchctl_value(s, s->p.z0, 0));
}

void batch_print_table(const struct batch_opts *o, const struct batch_result *res, int partial)
{
	char work[64];

	asgd_work_format(&o->work, work, sizeof(work));
	printf("asgd batch  %s  eta=%g  mu=%g  K=%llu  paths=%llu  replicas=%llu  M=%u  "
	       "work=%s%s\n",
	       asgd_problem_spec(o->problem), o->eta, o->mu, (unsigned long long)o->K,
	       (unsigned long long)o->paths, (unsigned long long)o->replicas, o->workers, work,
	       partial ? "  (PARTIAL)" : "");
	print_control(o, &res[BATCH_OPTIMAL]);
	printf("\nE|x_K - x*|^2 at K = %llu (+- one SE) and gradient evaluations per run\n",
	       (unsigned long long)o->K);
	printf("  %-18s  %10s  %9s  %-21s  %9s  %-21s  %10s  %6s\n", "schedule", "grad evals",
	       "model", "simulator", "model(n)", "engine", "eng evals", "mu_hat");
	for (int i = 0; i < BATCH_NSCHEDULES; i++) {
		const struct batch_result *r = &res[i];

		print_label(r);
		printf("  %10.0f  %9.3e", r->evaluations, r->model[o->K]);
		print_pm(r->sim_final, r->sim_final_se);
		printf("  %9.3e", r->model_engine[o->K]);
		print_pm(r->eng_final, r->eng_final_se);
		if (isfinite(r->eng_evaluations))
			printf("  %10.0f  %6.4f\n", r->eng_evaluations, r->mu_hat);
		else
			printf("  %10s  %6s\n", "n/a", "n/a");
	}
	printf("model: the control model (4.5) stepped with this schedule; model(n): the same with\n"
	       "the engine's draws without replacement from n = %zu, variance x (n-B)/(n-1)\n",
	       asgd_problem_components(o->problem));
	printf("simulator: mini-batch ASGD (4.1) at mu=%g, with replacement; engine: %u workers,\n"
	       "without replacement, batch B_v of the version read, its own staleness mu_hat\n",
	       o->mu, o->workers);
	printf("outputs   %s/{control.json,schedule.csv,batch.json,batch.csv,curves.csv}\n",
	       o->out);
}
