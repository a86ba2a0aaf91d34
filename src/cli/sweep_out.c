/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sweep_out.c — the outputs of `asgd sweep`: its progress, each M's run directory, sweep.csv
 * (from the library's table of columns, which also names the rows of sweep.json, so the two
 * always say the same), sweep.json and the tables printed on stdout.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/report.h"
#include "asgd/work.h"
#include "cli.h"
#include "sweep.h"

static const char *const CMD = "sweep";

void sweep_progress(void *arg, const asgd_sweep_progress *p)
{
	struct sweep_opts *o = arg;

	switch (p->stage) {
	case ASGD_SWEEP_BEGIN:
		fprintf(stderr, "sweep: M = %u (%zu of %zu)\n", p->workers, p->index + 1, p->count);
		o->msgd = (struct cli_progress_state){ .what = "msgd paths" };
		break;
	case ASGD_SWEEP_REPLICAS:
		cli_replica_progress(NULL, p->done, p->total);
		break;
	case ASGD_SWEEP_MSGD:
		cli_progress_cb(&o->msgd, p->done, p->total);
		break;
	default:
		cli_progress_end();
	}
}

/* The real run's files, as `asgd run` writes them (rows at t = k: the engine has no SME clock). */
static int write_real(const struct sweep_opts *o, const char *dir, const asgd_sweep_m *m)
{
	cJSON *summary = asgd_replicas_summary_json(CMD, o->argc, o->argv,
						   asgd_problem_spec(o->problem), m->engine,
						   o->cfg.replicas, m->replicas, m->staleness);
	int rc = cli_replicas_write(dir, m->replicas, m->staleness, 1.0, summary);

	cJSON_Delete(summary);
	return rc;
}

int sweep_write_m(void *arg, const asgd_sweep_m *m)
{
	const struct sweep_opts *o = arg;
	char name[32], dir[4096], path[4096];

	snprintf(name, sizeof(name), "M%u", m->engine->workers);
	cli_out_path(dir, sizeof(dir), o->out, name);
	switch (m->stage) {
	case ASGD_SWEEP_BEGIN:
		cli_prepare_out(CMD, dir);
		return ASGD_OK;
	case ASGD_SWEEP_REPLICAS:
		return write_real(o, dir, m);
	case ASGD_SWEEP_MSGD:
		if (m->msgd->paths_done == 0)
			return ASGD_OK;
		cli_out_path(path, sizeof(path), dir, "msgd_moments.csv");
		return asgd_moments_write_csv(&m->msgd->moments, path, 1.0);
	default:
		return ASGD_OK;
	}
}

/* The library's columns in the CLI's table form, into @cols (room for SWEEP_MAX_COLS). */
#define SWEEP_MAX_COLS 64
static size_t columns(asgd_column *cols)
{
	size_t n;
	const asgd_sweep_column *c = asgd_sweep_columns(&n);

	for (size_t i = 0; i < n && i < SWEEP_MAX_COLS; i++)
		cols[i] = (asgd_column){ c[i].name, c[i].off,
					       c[i].integer ? ASGD_FIELD_INTEGER : ASGD_FIELD_REAL };
	return n < SWEEP_MAX_COLS ? n : SWEEP_MAX_COLS;
}

int sweep_write_csv(const struct sweep_opts *o, const asgd_sweep_result *res)
{
	asgd_column cols[SWEEP_MAX_COLS];
	size_t n = columns(cols);
	asgd_atomic_file af;
	int rc = cli_open_out(&af, o->out, "sweep.csv");

	if (rc != ASGD_OK)
		return rc;
	asgd_table_csv_header(af.fp, NULL, cols, n);
	for (size_t r = 0; r < res->nrows; r++)
		asgd_table_csv_row(af.fp, NULL, &res->rows[r], cols, n);
	return asgd_atomic_commit(&af);
}

int sweep_write_json(const struct sweep_opts *o, const asgd_sweep_result *res)
{
	cJSON *root = cJSON_CreateObject(), *body = asgd_sweep_result_json(res), *item;

	cJSON_AddStringToObject(root, "command", "sweep");
	cJSON_AddItemToObject(root, "command_line", asgd_report_argv_json(o->argc, o->argv));
	/* the library's members, in their order, between the command line and the machine */
	while (body && (item = body->child)) {
		char *key = item->string;

		cJSON_DetachItemViaPointer(body, item);
		item->string = NULL;
		cJSON_AddItemToObject(root, key, item);
		cJSON_free(key);
	}
	cJSON_Delete(body);
	cJSON_AddItemToObject(root, "machine", asgd_report_machine_json());
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

static void print_staleness_rows(const asgd_sweep_row *rows, size_t n)
{
	printf("     M  mu_hat  95%% interval        1-1/M     chi2 p      TV   lag-1  updates/s\n");
	for (size_t i = 0; i < n; i++) {
		const asgd_sweep_row *r = &rows[i];

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

static void print_stationary_rows(const asgd_sweep_row *rows, size_t n)
{
	printf("     M  real run     ± SE  MSGD sim     ± SE MSGD exact    App. B  ASGD exact"
	       "  k_target  t_target\n");
	for (size_t i = 0; i < n; i++) {
		const asgd_sweep_row *r = &rows[i];

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

void sweep_print_table(const struct sweep_opts *o, const asgd_sweep_result *res)
{
	const asgd_sweep_config *c = &res->cfg;
	char work[64], machine[320];

	asgd_work_format(&c->work, work, sizeof(work));
	asgd_report_machine(machine, sizeof(machine));
	printf("asgd sweep  %s  eta=%g  work=%s  iters=%llu  replicas=%llu  msgd paths=%llu%s\n",
	       asgd_problem_spec(c->problem), c->eta, work, (unsigned long long)c->iters,
	       (unsigned long long)c->replicas, (unsigned long long)c->paths,
	       res->partial ? "  (PARTIAL)" : "");
	printf("machine   %s\n\nstaleness and throughput\n", machine);
	print_staleness_rows(res->rows, res->nrows);
	printf("\nstationary E||x-x*||^2, average over k = %llu..%llu (SE: the largest of one step)\n"
	       "MSGD: mu' = mu_hat, eta' = eta(1-mu_hat) (Proposition 1); exact: the discrete\n"
	       "recursion's fixed point; k_target, t_target: first E||x_k-x*||^2 <= %g\n",
	       (unsigned long long)(c->iters / 2), (unsigned long long)c->iters, c->target);
	print_stationary_rows(res->rows, res->nrows);
	printf("outputs   %s/{sweep.csv,sweep.json,M<m>/}\n", o->out);
}
