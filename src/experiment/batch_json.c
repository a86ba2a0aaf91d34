/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * batch_json.c — the outputs of the `asgd batch` experiment (asgd/batch_run.h): the control
 * (control.json's body, schedule.csv) as soon as it is solved, then per schedule the simulator's
 * and the engine's results: batch.json's body and batch.csv from one table of columns, so that
 * the two always say the same, and curves.csv for the figure. Where a key or a column holds the
 * measure it says which: E(x − x*)² on a preset ("measure": "msd", the keys of old), the loss
 * gap f(x) − f* on data ("measure": "loss_gap", keys with "loss_gap" in them).
 */
#include "asgd/batch_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/report.h"
#include "asgd/table.h"

/* ---- control.json ---------------------------------------------------------------------- */

/* "measure" and what it means: every number below that is "final" or a curve is of it. */
static void measure_json(cJSON *j, const asgd_batch_config *c)
{
	cJSON_AddStringToObject(j, "measure", c->on_data ? "loss_gap" : "msd");
	cJSON_AddStringToObject(j, "measure_meaning",
				c->on_data ? "the loss gap f(x_k) - f* of the model's objective f; "
					     "model columns: the 1-D surrogate's (a/2) z"
					   : "E(x_k - x*)^2; model columns: z of (4.5)");
}

/* On data: the surrogate's a, Σ and z0, and where they come from (docs/MODELS.md §6). */
static void surrogate_json(cJSON *j, const asgd_batch_config *c)
{
	const asgd_advise_local *l = &c->local;
	int reg = l->source == ASGD_ADVISE_CURV_REGULARISER;

	cJSON_AddStringToObject(j, "curvature_source", asgd_advise_curvature_name(l->source));
	cJSON_AddStringToObject(j, "a_method",
				reg ? "the regulariser's lambda: the hinge loss has no curvature "
				      "at its optimum"
				    : "trace(H C)/trace(C) at x*: the noise-weighted mean curvature, "
				      "the rate at which the loss's noise floor follows the batch "
				      "(finite-difference Hessian-vector products)");
	cJSON_AddNumberToObject(j, "largest_hessian_eigenvalue", l->a);
	cJSON_AddStringToObject(j, "sigma2_method", "trace C(x*): the whole gradient noise, "
						    "whose loss-gap floor eta trace C/4 the "
						    "surrogate's (a/2) z reproduces");
	cJSON_AddNumberToObject(j, "fstar", c->fstar);
	cJSON_AddNumberToObject(j, "f_x0", c->f0);
	cJSON_AddNumberToObject(j, "z0", c->z0);
	cJSON_AddStringToObject(j, "z0_method", "2 (f(x0) - f*) / a: the surrogate's loss gap "
						"starts at the data's");
	cJSON_AddNullToObject(j, "minimizer");
	cJSON_AddNullToObject(j, "x0");
}

static cJSON *settings_json(const asgd_batch_config *c, const asgd_batch_result *r)
{
	char work[64];
	cJSON *j = cJSON_CreateObject();

	asgd_work_format(&c->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "command", "batch");
	cJSON_AddItemToObject(j, "command_line", asgd_report_argv_json(c->argc, c->argv));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(c->problem));
	measure_json(j, c);
	cJSON_AddNumberToObject(j, "a", c->a);
	cJSON_AddNumberToObject(j, "sigma2", c->sigma2);
	if (c->on_data) {
		surrogate_json(j, c);
	} else {
		cJSON_AddNumberToObject(j, "minimizer", c->xstar);
		cJSON_AddNumberToObject(j, "x0", c->x0);
	}
	cJSON_AddNumberToObject(j, "eta", c->eta);
	cJSON_AddNumberToObject(j, "mu", c->mu);
	cJSON_AddNumberToObject(j, "gamma", r->gamma);
	cJSON_AddBoolToObject(j, "gamma_default", c->gamma_default);
	cJSON_AddNumberToObject(j, "horizon", (double)c->horizon);
	cJSON_AddNumberToObject(j, "constant_batch", (double)c->constant);
	cJSON_AddNumberToObject(j, "paths", (double)c->paths);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)c->replicas);
	cJSON_AddNumberToObject(j, "workers", c->workers);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "seed", (double)c->seed);
	return j;
}

static cJSON *control_json(const asgd_batch_config *c, const asgd_batch_result *r)
{
	const asgd_batchctl *s = &r->ctl;
	const asgd_batch_outcome *opt = &r->s[ASGD_BATCH_OPTIMAL];
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
	cJSON_AddNumberToObject(j, "batch_last", opt->size[c->horizon - 1]);
	cJSON_AddNumberToObject(j, "gradient_evaluations", opt->evaluations);
	return j;
}

cJSON *asgd_batch_control_json(const asgd_batch_config *c, const asgd_batch_result *r)
{
	cJSON *root = settings_json(c, r);

	cJSON_AddItemToObject(root, "control", control_json(c, r));
	return root;
}

/* ---- CSV files ------------------------------------------------------------------------- */

static int open_out(asgd_atomic_file *af, const char *dir, const char *name)
{
	char path[4096];
	int rc = asgd_report_path(path, sizeof(path), dir, name);

	return rc == ASGD_OK ? asgd_atomic_open(af, path) : rc;
}

int asgd_batch_write_schedule_csv(const asgd_batch_config *c, const asgd_batch_result *r,
				  const char *dir)
{
	const asgd_batch_outcome *opt;
	asgd_atomic_file af;
	int rc;

	if (!c || !r || !dir)
		return ASGD_EINVAL;
	opt = &r->s[ASGD_BATCH_OPTIMAL];
	rc = open_out(&af, dir, "schedule.csv");
	if (rc != ASGD_OK)
		return rc;
	fprintf(af.fp, "k,batch,u,t\n");
	for (uint64_t k = 0; k < c->horizon; k++) {
		double t = (double)k * r->ctl.dt;

		fprintf(af.fp, "%llu,%u,%.10g,%.10g\n", (unsigned long long)k, opt->size[k],
			asgd_batchctl_u(&r->ctl, t), t);
	}
	return asgd_atomic_commit(&af);
}

/* ---- batch.json, batch.csv ------------------------------------------------------------ */

/* One schedule's row: every number, NAN where not measured. */
struct batch_row {
	double constant_batch, evaluations, model_final, model_engine_final;
	double sim_paths, sim_final, sim_final_se;
	double engine_replicas, engine_final, engine_final_se, engine_evaluations;
	double engine_mu_hat, engine_mu_lo, engine_mu_hi, engine_applied, engine_discarded;
	double engine_wall_s;
};

/*
 * Every column ASGD_FIELD_AUTO: counts stay whole at any size, measurements keep 10 digits.
 * The columns of the measure take a name that says which: @m is "" on a preset (the names of
 * old: E(x − x*)²) and "_loss_gap" on data.
 */
#define COL(name, field) ASGD_COLUMN(struct batch_row, name, field, ASGD_FIELD_AUTO)
#define BATCH_COLUMNS(m) { \
	COL("constant_batch", constant_batch),	   COL("gradient_evaluations", evaluations), \
	COL("model_final" m, model_final),	   COL("model_engine_final" m, model_engine_final), \
	COL("sim_paths", sim_paths), \
	COL("sim_final" m, sim_final),		   COL("sim_final" m "_se", sim_final_se), \
	COL("engine_replicas", engine_replicas),   COL("engine_final" m, engine_final), \
	COL("engine_final" m "_se", engine_final_se), \
	COL("engine_evaluations", engine_evaluations), \
	COL("engine_mu_hat", engine_mu_hat),	   COL("engine_mu_ci95_lo", engine_mu_lo), \
	COL("engine_mu_ci95_hi", engine_mu_hi),	   COL("engine_applied", engine_applied), \
	COL("engine_discarded", engine_discarded), COL("engine_wall_s", engine_wall_s), }
static const asgd_column COLUMNS[] = BATCH_COLUMNS("");
static const asgd_column COLUMNS_GAP[] = BATCH_COLUMNS("_loss_gap");
#undef BATCH_COLUMNS
#undef COL
#define NCOLUMNS (sizeof(COLUMNS) / sizeof(*COLUMNS))
_Static_assert(sizeof(COLUMNS) == sizeof(COLUMNS_GAP), "one row, two namings");

static const asgd_column *columns_of(const asgd_batch_config *c)
{
	return c->on_data ? COLUMNS_GAP : COLUMNS;
}

static void make_row(uint64_t K, int i, const asgd_batch_outcome *o, struct batch_row *row)
{
	int engine = o->eng_ran;

	row->constant_batch = i != ASGD_BATCH_OPTIMAL ? o->size[0] : NAN;
	row->evaluations = o->evaluations;
	row->model_final = o->model[K];
	row->model_engine_final = o->model_engine[K];
	row->sim_paths = o->sim_paths ? (double)o->sim_paths : NAN;
	row->sim_final = o->sim_final;
	row->sim_final_se = o->sim_final_se;
	row->engine_replicas = engine ? (double)o->eng_replicas : NAN;
	row->engine_final = o->eng_final;
	row->engine_final_se = o->eng_final_se;
	row->engine_evaluations = o->eng_evaluations;
	row->engine_mu_hat = o->mu_hat;
	row->engine_mu_lo = o->mu_lo;
	row->engine_mu_hi = o->mu_hi;
	row->engine_applied = engine ? (double)o->eng_applied : NAN;
	row->engine_discarded = engine ? (double)o->eng_discarded : NAN;
	row->engine_wall_s = o->eng_wall_s;
}

static int write_batch_csv(const asgd_batch_config *c, const asgd_batch_result *r,
			   const char *dir)
{
	asgd_atomic_file af;
	struct batch_row row;
	int rc = open_out(&af, dir, "batch.csv");

	if (rc != ASGD_OK)
		return rc;
	asgd_table_csv_header(af.fp, "schedule", columns_of(c), NCOLUMNS);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		make_row(c->horizon, i, &r->s[i], &row);
		asgd_table_csv_row(af.fp, r->s[i].name, &row, columns_of(c), NCOLUMNS);
	}
	return asgd_atomic_commit(&af);
}

cJSON *asgd_batch_result_json(const asgd_batch_config *c, const asgd_batch_result *r,
			      double wall_s)
{
	cJSON *root = asgd_batch_control_json(c, r), *arr;
	struct batch_row row;

	cJSON_AddBoolToObject(root, "partial", r->partial);
	cJSON_AddNumberToObject(root, "wall_s", wall_s);
	arr = cJSON_AddArrayToObject(root, "schedules");
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		const asgd_batch_outcome *o = &r->s[i];
		cJSON *j = cJSON_CreateObject();

		make_row(c->horizon, i, o, &row);
		cJSON_AddStringToObject(j, "schedule", o->name);
		asgd_table_json_row(j, &row, columns_of(c), NCOLUMNS);
		cJSON_AddBoolToObject(j, "sim_complete", o->sim_done);
		cJSON_AddBoolToObject(j, "engine_complete", o->eng_done);
		cJSON_AddBoolToObject(j, "engine_diverged", o->eng_diverged);
		cJSON_AddItemToArray(arr, j);
	}
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return root;
}

/* ---- curves.csv ----------------------------------------------------------------------- */

/* One row per (schedule, k): the figure's data. */
static int write_curves_csv(const asgd_batch_config *c, const asgd_batch_result *r,
			    const char *dir)
{
	const uint64_t K = c->horizon;
	asgd_atomic_file af;
	int rc = open_out(&af, dir, "curves.csv");

	if (rc != ASGD_OK)
		return rc;
	fputs(c->on_data ? "schedule,k,t,batch,model_loss_gap,model_engine_loss_gap,sim_loss_gap,"
			   "sim_se,engine_loss_gap,engine_se\n"
			 : "schedule,k,t,batch,model,model_engine,sim_msd,sim_se,engine_msd,engine_se\n",
	      af.fp);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++)
		for (uint64_t k = 0; k <= K; k++) {
			const asgd_batch_outcome *o = &r->s[i];
			/* the batch that makes step k → k+1; the last row repeats it */
			uint32_t b = o->size[k < K ? k : K - 1];
			double v[] = { o->model[k], o->model_engine[k], o->sim_msd[k],
				       o->sim_se[k], o->eng_msd[k], o->eng_se[k] };

			fprintf(af.fp, "%s,%llu,%.10g,%u", o->name, (unsigned long long)k,
				(double)k * r->ctl.dt, b);
			for (size_t v_i = 0; v_i < sizeof(v) / sizeof(*v); v_i++) {
				fputc(',', af.fp);
				asgd_table_print_field(af.fp, v[v_i], ASGD_FIELD_AUTO);
			}
			fputc('\n', af.fp);
		}
	return asgd_atomic_commit(&af);
}

int asgd_batch_write_tables(const asgd_batch_config *c, const asgd_batch_result *r,
			    const char *dir)
{
	int rc;

	if (!c || !r || !dir)
		return ASGD_EINVAL;
	rc = write_batch_csv(c, r, dir);
	return rc == ASGD_OK ? write_curves_csv(c, r, dir) : rc;
}
