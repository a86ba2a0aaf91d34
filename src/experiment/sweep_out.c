/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_out.c — the outputs of a sweep (asgd/sweep.h): the one table of columns that writes both
 * sweep.csv and the rows of sweep.json, so that the two always say the same; sweep.json; and the
 * tables of each M's run directory.
 */
#include "asgd/sweep.h"

#include <stddef.h>
#include <stdio.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"
#include "asgd/work.h"

static const asgd_column COLUMNS[] = {
#define COL(name, field, count) ASGD_COLUMN_OF(asgd_sweep_row, name, field, count)
	COL("workers", workers, 1),		COL("replicas", replicas, 1),
	COL("diverged", diverged, 1),		COL("applied", applied, 1),
	COL("wall_s", wall_s, 0),		COL("updates_per_s", updates_per_s, 0),
	COL("mu_hat", mu_hat, 0),		COL("mu_ci95_lo", mu_lo, 0),
	COL("mu_ci95_hi", mu_hi, 0),		COL("mu_queueing", mu_queueing, 0),
	COL("chi2_p", chi2_p, 0),		COL("tv_distance", tv, 0),
	COL("lag1_autocorr", lag1, 0),		COL("real_ex2", real_ex2, 0),
	COL("real_ex2_se", real_se, 0),		COL("msgd_mu", msgd_mu, 0),
	COL("msgd_eta", msgd_eta, 0),		COL("msgd_ex2", msgd_ex2, 0),
	COL("msgd_ex2_se", msgd_se, 0),		COL("msgd_exact_ex2", msgd_exact, 0),
	COL("appendix_b_ex2", appb_ex2, 0),	COL("asgd_exact_ex2", asgd_exact, 0),
	COL("iters_to_target", k_target, 1),	COL("time_to_target_s", t_target_s, 0),
#undef COL
};
#define NCOLUMNS (sizeof(COLUMNS) / sizeof(*COLUMNS))

const asgd_column *asgd_sweep_columns(size_t *n)
{
	*n = NCOLUMNS;
	return COLUMNS;
}

static void add_settings(cJSON *j, const asgd_sweep_result *res)
{
	const asgd_sweep_config *cfg = &res->cfg;
	size_t dim = asgd_problem_dim(cfg->problem);
	char work[64];
	cJSON *q;

	asgd_work_format(&cfg->work, work, sizeof(work));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(cfg->problem));
	cJSON_AddNumberToObject(j, "dim", (double)dim);
	cJSON_AddItemToObject(j, "minimizer", cJSON_CreateDoubleArray(res->xstar, (int)dim));
	cJSON_AddNumberToObject(j, "eta", cfg->eta);
	cJSON_AddNumberToObject(j, "iterations", (double)cfg->iters);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)cfg->replicas);
	cJSON_AddNumberToObject(j, "msgd_paths", (double)cfg->paths);
	cJSON_AddNumberToObject(j, "seed", (double)cfg->seed);
	cJSON_AddNumberToObject(j, "target", cfg->target);
	cJSON_AddStringToObject(j, "target_meaning", "first k with E||x_k - x*||^2 <= target");
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

		asgd_table_json_row(row, &res->rows[i], COLUMNS, NCOLUMNS);
		cJSON_AddItemToArray(arr, row);
	}
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
	return root;
}

int asgd_sweep_write_csv(const char *dir, const asgd_sweep_result *res)
{
	char path[4096];
	asgd_atomic_file af;
	int rc = asgd_report_path(path, sizeof(path), dir, "sweep.csv");

	if (!res)
		return ASGD_EINVAL;
	if (rc == ASGD_OK)
		rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK)
		return rc;
	asgd_table_csv_header(af.fp, NULL, COLUMNS, NCOLUMNS);
	for (size_t r = 0; r < res->nrows; r++)
		asgd_table_csv_row(af.fp, NULL, &res->rows[r], COLUMNS, NCOLUMNS);
	return asgd_atomic_commit(&af);
}

int asgd_sweep_write_m(const char *dir, const asgd_sweep_m *m)
{
	char path[4096];
	int rc;

	if (!m)
		return ASGD_EINVAL;
	if (m->stage == ASGD_SWEEP_REPLICAS)
		return asgd_replicas_write_tables(dir, m->replicas, m->staleness, 1.0);
	if (m->stage != ASGD_SWEEP_MSGD || m->msgd->paths_done == 0)
		return ASGD_OK;
	rc = asgd_report_path(path, sizeof(path), dir, "msgd_moments.csv");
	return rc == ASGD_OK ? asgd_moments_write_csv(&m->msgd->moments, path, 1.0) : rc;
}
