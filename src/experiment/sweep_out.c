/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_out.c — the outputs of a sweep (asgd/sweep.h): the one table of columns per quantity that
 * writes both sweep.csv and the rows of sweep.json, so that the two always say the same;
 * sweep.json; and the tables of each M's run directory.
 *
 * The two tables share their fields and differ in the names of the stationary columns: a file
 * of a loss gap never has a column called *_ex2, so that no reader takes one for the other.
 */
#include "asgd/sweep.h"

#include <stddef.h>
#include <stdio.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"
#include "asgd/work.h"

#define COL(name, field, count) ASGD_COLUMN_OF(asgd_sweep_row, name, field, count)
#define HEAD_COLUMNS                                                                            \
	COL("workers", workers, 1),		COL("replicas", replicas, 1),                   \
	COL("diverged", diverged, 1),		COL("applied", applied, 1),                     \
	COL("wall_s", wall_s, 0),		COL("updates_per_s", updates_per_s, 0),         \
	COL("mu_hat", mu_hat, 0),		COL("mu_ci95_lo", mu_lo, 0),                    \
	COL("mu_ci95_hi", mu_hi, 0),		COL("mu_queueing", mu_queueing, 0),             \
	COL("chi2_p", chi2_p, 0),		COL("tv_distance", tv, 0),                      \
	COL("lag1_autocorr", lag1, 0)
#define TAIL_COLUMNS COL("iters_to_target", k_target, 1), COL("time_to_target_s", t_target_s, 0)

/* E‖x − x*‖²: the columns of the paper's presets, with the closed forms of 1-D quadratics. */
static const asgd_column MSD_COLUMNS[] = {
	HEAD_COLUMNS,
	COL("real_ex2", real_ex2, 0),		COL("real_ex2_se", real_se, 0),
	COL("msgd_mu", msgd_mu, 0),		COL("msgd_eta", msgd_eta, 0),
	COL("msgd_ex2", msgd_ex2, 0),		COL("msgd_ex2_se", msgd_se, 0),
	COL("msgd_exact_ex2", msgd_exact, 0),	COL("appendix_b_ex2", appb_ex2, 0),
	COL("asgd_exact_ex2", asgd_exact, 0),	COL("asgd_ex2", asgd_ex2, 0),
	COL("asgd_ex2_se", asgd_se, 0),
	TAIL_COLUMNS,
};

/* E f(x) − f*: the same fields under names that say so; the closed forms are of x, not here. */
static const asgd_column GAP_COLUMNS[] = {
	HEAD_COLUMNS,
	COL("real_gap", real_ex2, 0),		COL("real_gap_se", real_se, 0),
	COL("msgd_mu", msgd_mu, 0),		COL("msgd_eta", msgd_eta, 0),
	COL("msgd_gap", msgd_ex2, 0),		COL("msgd_gap_se", msgd_se, 0),
	COL("asgd_gap", asgd_ex2, 0),		COL("asgd_gap_se", asgd_se, 0),
	TAIL_COLUMNS,
};
#undef TAIL_COLUMNS
#undef HEAD_COLUMNS
#undef COL

const asgd_column *asgd_sweep_columns(asgd_sweep_quantity q, size_t *n)
{
	if (q == ASGD_SWEEP_LOSS_GAP) {
		*n = sizeof(GAP_COLUMNS) / sizeof(*GAP_COLUMNS);
		return GAP_COLUMNS;
	}
	*n = sizeof(MSD_COLUMNS) / sizeof(*MSD_COLUMNS);
	return MSD_COLUMNS;
}

const char *asgd_sweep_quantity_name(asgd_sweep_quantity q)
{
	return q == ASGD_SWEEP_LOSS_GAP ? "loss_gap" : "msd";
}

/* What the stationary columns measure, in words, and the optimum f(x*). */
static void add_meaning(cJSON *j, const asgd_sweep_result *res)
{
	int gap = res->quantity == ASGD_SWEEP_LOSS_GAP;

	cJSON_AddStringToObject(j, "quantity", asgd_sweep_quantity_name(res->quantity));
	cJSON_AddStringToObject(j, "quantity_meaning",
				gap ? "E f(x) - f*, the mean excess loss over the optimum f* = f(x*)"
				    : "E||x - x*||^2, summed over coordinates");
	asgd_json_add_number(j, "optimum_loss", res->fstar);
}

/* The target: the level used, whether it was the default, and what it is a level of. */
static void add_target(cJSON *j, const asgd_sweep_result *res)
{
	int gap = res->quantity == ASGD_SWEEP_LOSS_GAP;

	asgd_json_add_number(j, "target", res->target);
	cJSON_AddBoolToObject(j, "target_default", res->cfg.target == 0);
	cJSON_AddStringToObject(j, "target_meaning",
				gap ? "first k with E f(x_k) <= target (a level of the loss itself; "
				      "default f* (1 + 1%))"
				    : "first k with E||x_k - x*||^2 <= target");
}

/* The longest minimizer sweep.json lists. */
#define SWEEP_JSON_MAX_XSTAR 1024

static void add_settings(cJSON *j, const asgd_sweep_result *res)
{
	const asgd_sweep_config *cfg = &res->cfg;
	size_t dim = asgd_problem_dim(cfg->problem);
	char work[64];
	cJSON *q;

	asgd_work_format(&cfg->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(cfg->problem));
	cJSON_AddNumberToObject(j, "dim", (double)dim);
	/* x* itself where it is short enough to read; a data model's can be 47 236 numbers (its
	 * loss, optimum_loss, says what a reader needs) */
	if (dim <= SWEEP_JSON_MAX_XSTAR)
		cJSON_AddItemToObject(j, "minimizer", cJSON_CreateDoubleArray(res->xstar, (int)dim));
	else
		cJSON_AddNullToObject(j, "minimizer");
	cJSON_AddStringToObject(j, "observe", cfg->observe ? cfg->observe->spec : "x");
	add_meaning(j, res);
	cJSON_AddNumberToObject(j, "eta", cfg->eta);
	cJSON_AddNumberToObject(j, "iterations", (double)cfg->iters);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)cfg->replicas);
	cJSON_AddNumberToObject(j, "msgd_paths", (double)cfg->paths);
	cJSON_AddNumberToObject(j, "asgd_paths", (double)cfg->paths);
	cJSON_AddNumberToObject(j, "seed", (double)cfg->seed);
	if (cfg->max_staleness)
		cJSON_AddNumberToObject(j, "max_staleness", (double)cfg->max_staleness);
	else
		cJSON_AddNullToObject(j, "max_staleness");
	add_target(j, res);
	cJSON_AddNumberToObject(j, "stationary_from_k", (double)(cfg->iters / 2));
	q = cJSON_AddArrayToObject(j, "workers_requested");
	for (size_t i = 0; i < cfg->nworkers; i++)
		cJSON_AddItemToArray(q, cJSON_CreateNumber((double)cfg->workers[i]));
	if (res->quad1d) {
		q = cJSON_AddObjectToObject(j, "quadratic_1d");
		cJSON_AddNumberToObject(q, "a", res->a);
		cJSON_AddNumberToObject(q, "sigma2", res->sigma2);
	} else {
		cJSON_AddNullToObject(j, "quadratic_1d");
	}
}

cJSON *asgd_sweep_result_json(const asgd_sweep_result *res, int argc, char **argv)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	size_t n;
	const asgd_column *cols = asgd_sweep_columns(res->quantity, &n);

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "command", "sweep");
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(argc, argv));
	add_settings(root, res);
	cJSON_AddBoolToObject(root, "partial", res->partial);
	cJSON_AddBoolToObject(root, "diverged", res->diverged);
	cJSON_AddNumberToObject(root, "wall_s", res->wall_s);
	arr = cJSON_AddArrayToObject(root, "rows");
	for (size_t i = 0; i < res->nrows; i++) {
		cJSON *row = cJSON_CreateObject();

		asgd_table_json_row(row, &res->rows[i], cols, n);
		cJSON_AddItemToArray(arr, row);
	}
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return root;
}

int asgd_sweep_write_csv(const char *dir, const asgd_sweep_result *res)
{
	char path[4096];
	asgd_atomic_file af;
	const asgd_column *cols;
	size_t n;
	int rc = asgd_report_path(path, sizeof(path), dir, "sweep.csv");

	if (!res)
		return ASGD_EINVAL;
	if (rc == ASGD_OK)
		rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK)
		return rc;
	cols = asgd_sweep_columns(res->quantity, &n);
	asgd_table_csv_header(af.fp, NULL, cols, n);
	for (size_t r = 0; r < res->nrows; r++)
		asgd_table_csv_row(af.fp, NULL, &res->rows[r], cols, n);
	return asgd_atomic_commit(&af);
}

/* An ensemble's moments as DIR/NAME, unless no path is done. */
static int write_ensemble(const char *dir, const char *name, const asgd_ensemble_result *ens)
{
	char path[4096];
	int rc;

	if (ens->paths_done == 0)
		return ASGD_OK;
	rc = asgd_report_path(path, sizeof(path), dir, name);
	return rc == ASGD_OK ? asgd_moments_write_csv(&ens->moments, path, 1.0) : rc;
}

int asgd_sweep_write_m(const char *dir, const asgd_sweep_m *m)
{
	if (!m)
		return ASGD_EINVAL;
	switch (m->stage) {
	case ASGD_SWEEP_REPLICAS:
		return asgd_replicas_write_tables(dir, m->replicas, m->staleness, 1.0);
	case ASGD_SWEEP_MSGD:
		return write_ensemble(dir, "msgd_moments.csv", m->msgd);
	case ASGD_SWEEP_ASGD:
		return write_ensemble(dir, "asgd_moments.csv", m->asgd);
	default:
		return ASGD_OK;
	}
}
