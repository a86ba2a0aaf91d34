/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_out.c — the outputs of `asgd sweep`: one table of columns writes both sweep.csv and the
 * rows of sweep.json, so the two always say the same; and the tables printed on stdout.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "asgd/report.h"
#include "asgd/work.h"
#include "cli.h"
#include "sweep.h"

static const struct cli_column COLUMNS[] = {
#define COL(name, field, format) CLI_COLUMN(struct sweep_row, name, field, CLI_FIELD_##format)
	COL("workers", workers, INTEGER),	COL("replicas", replicas, INTEGER),
	COL("diverged", diverged, INTEGER),	COL("applied", applied, INTEGER),
	COL("wall_s", wall_s, REAL),		COL("updates_per_s", updates_per_s, REAL),
	COL("mu_hat", mu_hat, REAL),		COL("mu_ci95_lo", mu_lo, REAL),
	COL("mu_ci95_hi", mu_hi, REAL),		COL("mu_queueing", mu_queueing, REAL),
	COL("chi2_p", chi2_p, REAL),		COL("tv_distance", tv, REAL),
	COL("lag1_autocorr", lag1, REAL),	COL("real_ex2", real_ex2, REAL),
	COL("real_ex2_se", real_se, REAL),	COL("msgd_mu", msgd_mu, REAL),
	COL("msgd_eta", msgd_eta, REAL),	COL("msgd_ex2", msgd_ex2, REAL),
	COL("msgd_ex2_se", msgd_se, REAL),	COL("msgd_exact_ex2", msgd_exact, REAL),
	COL("appendix_b_ex2", appb_ex2, REAL),	COL("asgd_exact_ex2", asgd_exact, REAL),
	COL("iters_to_target", k_target, INTEGER), COL("time_to_target_s", t_target_s, REAL),
#undef COL
};
#define NCOLUMNS (sizeof(COLUMNS) / sizeof(*COLUMNS))

int sweep_write_csv(const struct sweep_opts *o, const struct sweep_row *rows, size_t n)
{
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "sweep.csv");

	if (rc != ASGD_OK)
		return rc;
	cli_table_csv_header(af.fp, NULL, COLUMNS, NCOLUMNS);
	for (size_t r = 0; r < n; r++)
		cli_table_csv_row(af.fp, NULL, &rows[r], COLUMNS, NCOLUMNS);
	return asgd_atomic_commit(&af);
}

static cJSON *settings_json(const struct sweep_opts *o)
{
	size_t dim = asgd_problem_dim(o->problem);
	char work[64];
	cJSON *j = cJSON_CreateObject(), *q;

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	cJSON_AddStringToObject(j, "command", "sweep");
	cJSON_AddItemToObject(j, "command_line", cli_argv_json(o->argc, o->argv));
	cJSON_AddStringToObject(j, "preset", asgd_problem_spec(o->problem));
	cJSON_AddNumberToObject(j, "dim", (double)dim);
	cJSON_AddItemToObject(j, "minimizer", cJSON_CreateDoubleArray(o->xstar, (int)dim));
	cJSON_AddNumberToObject(j, "eta", o->cfg.eta);
	cJSON_AddNumberToObject(j, "iterations", (double)o->cfg.iters);
	cJSON_AddStringToObject(j, "work", work);
	cJSON_AddNumberToObject(j, "replicas_requested", (double)o->replicas);
	cJSON_AddNumberToObject(j, "msgd_paths", (double)o->paths);
	cJSON_AddNumberToObject(j, "seed", (double)o->cfg.seed);
	cJSON_AddNumberToObject(j, "target", o->target);
	cJSON_AddStringToObject(j, "target_meaning", "first k with E||x_k - x*||^2 <= target");
	cJSON_AddNumberToObject(j, "stationary_from_k", (double)(o->cfg.iters / 2));
	q = cJSON_AddArrayToObject(j, "workers_requested");
	for (size_t i = 0; i < o->nworkers; i++)
		cJSON_AddItemToArray(q, cJSON_CreateNumber((double)o->workers[i]));
	if (o->quad1d) {
		q = cJSON_AddObjectToObject(j, "quadratic_1d");
		cJSON_AddNumberToObject(q, "a", o->a);
		cJSON_AddNumberToObject(q, "sigma2", o->sigma2);
	} else {
		cJSON_AddNullToObject(j, "quadratic_1d");
	}
	return j;
}

int sweep_write_json(const struct sweep_opts *o, const struct sweep_row *rows, size_t n,
		     int partial, int diverged, double wall_s)
{
	cJSON *root = settings_json(o), *arr, *r;

	cJSON_AddBoolToObject(root, "partial", partial);
	cJSON_AddBoolToObject(root, "diverged", diverged);
	cJSON_AddNumberToObject(root, "wall_s", wall_s);
	arr = cJSON_AddArrayToObject(root, "rows");
	for (size_t i = 0; i < n; i++) {
		r = cJSON_CreateObject();
		cli_table_json_row(r, &rows[i], COLUMNS, NCOLUMNS);
		cJSON_AddItemToArray(arr, r);
	}
	cJSON_AddItemToObject(root, "machine", cli_machine_json());
	return cli_write_json_out(o->out, "sweep.json", root);
}

/*
 * Two blanks, then @v with @prec digits after the point (%g's significant digits when @g) in a
 * field of @width, or "n/a" there.
 */
static void print_value(double v, int width, int prec, int g)
{
	if (!isfinite(v))
		printf("  %*s", width, "n/a");
	else if (g)
		printf("  %*.*g", width, prec, v);
	else
		printf("  %*.*f", width, prec, v);
}

static void print_staleness_rows(const struct sweep_row *rows, size_t n)
{
	printf("     M  mu_hat  95%% interval        1-1/M     chi2 p      TV   lag-1  updates/s\n");
	for (size_t i = 0; i < n; i++) {
		const struct sweep_row *r = &rows[i];

		printf("  %4.0f", r->workers);
		print_value(r->mu_hat, 6, 4, 0);
		if (isfinite(r->mu_hat))
			printf("  [%.4f, %.4f]", r->mu_lo, r->mu_hi);
		else
			printf("  %16s", "");
		print_value(r->mu_queueing, 6, 4, 0);
		print_value(r->chi2_p, 9, 3, 1);
		print_value(r->tv, 6, 4, 0);
		print_value(r->lag1, 6, 3, 0);
		print_value(r->updates_per_s, 9, 0, 0);
		printf("\n");
	}
}

static void print_stationary_rows(const struct sweep_row *rows, size_t n)
{
	printf("     M  real run     ± SE  MSGD sim     ± SE MSGD exact    App. B  ASGD exact"
	       "  k_target  t_target\n");
	for (size_t i = 0; i < n; i++) {
		const struct sweep_row *r = &rows[i];

		printf("  %4.0f", r->workers);
		print_value(r->real_ex2, 8, 5, 0);
		print_value(r->real_se, 7, 5, 0);
		print_value(r->msgd_ex2, 8, 5, 0);
		print_value(r->msgd_se, 7, 5, 0);
		print_value(r->msgd_exact, 9, 5, 0);
		print_value(r->appb_ex2, 8, 5, 0);
		print_value(r->asgd_exact, 10, 5, 0);
		print_value(r->k_target, 8, 0, 0);
		if (isfinite(r->t_target_s))
			printf("  %.3g s\n", r->t_target_s);
		else
			printf("  not reached\n");
	}
}

void sweep_print_table(const struct sweep_opts *o, const struct sweep_row *rows, size_t n,
		       int partial)
{
	char work[64], machine[320];

	asgd_work_format(&o->cfg.work, work, sizeof(work));
	asgd_report_machine(machine, sizeof(machine));
	printf("asgd sweep  %s  eta=%g  work=%s  iters=%llu  replicas=%llu  msgd paths=%llu%s\n",
	       asgd_problem_spec(o->problem), o->cfg.eta, work, (unsigned long long)o->cfg.iters,
	       (unsigned long long)o->replicas, (unsigned long long)o->paths,
	       partial ? "  (PARTIAL)" : "");
	printf("machine   %s\n\nstaleness and throughput\n", machine);
	print_staleness_rows(rows, n);
	printf("\nstationary E||x-x*||^2, average over k = %llu..%llu (SE: the largest of one step)\n"
	       "MSGD: mu' = mu_hat, eta' = eta(1-mu_hat) (Proposition 1); exact: the discrete\n"
	       "recursion's fixed point; k_target, t_target: first E||x_k-x*||^2 <= %g\n",
	       (unsigned long long)(o->cfg.iters / 2), (unsigned long long)o->cfg.iters, o->target);
	print_stationary_rows(rows, n);
	printf("outputs   %s/{sweep.csv,sweep.json,M<m>/}\n", o->out);
}
