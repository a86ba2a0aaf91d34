/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sweep.c — the outputs of a sweep (asgd/sweep.h) from a result built by hand: sweep.csv
 * and the rows of sweep.json say the same from one table of columns (counts whole, reals %.10g,
 * nan or null where not finite), and a run directory gets only what a stage has.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/sweep.h"

static char *slurp(const char *dir, const char *name)
{
	char path[512];
	static char buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	cr_assert(f, "no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Two rows: every field NAN but a few, so that a column out of place shows. */
static void fill(asgd_sweep_result *res, asgd_problem *p, double *xstar, uint64_t *workers)
{
	memset(res, 0, sizeof(*res));
	res->cfg.problem = p;
	res->cfg.workers = workers;
	res->cfg.nworkers = 2;
	res->cfg.iters = 100;
	res->cfg.eta = 0.1;
	res->cfg.target = 0.02;
	res->xstar = xstar;
	res->nrows = 2;
	for (size_t i = 0; i < 2; i++) {
		double *f = (double *)&res->rows[i];

		for (size_t k = 0; k < sizeof(asgd_sweep_row) / sizeof(double); k++)
			f[k] = NAN;
		res->rows[i].workers = (double)workers[i];
		res->rows[i].replicas = 10;
		res->rows[i].diverged = 0;
		res->rows[i].applied = 12345678901.0;	/* a count: never with an exponent */
		res->rows[i].mu_hat = 0.25 * (double)(i + 1);
		res->rows[i].k_target = 42;
	}
}

Test(sweep, csv_and_json_from_one_table)
{
	uint64_t workers[2] = { 1, 4 };
	double xstar = 0;
	asgd_problem *p = NULL;
	asgd_sweep_result res;
	char dir[] = "/tmp/asgd-test-sweep-XXXXXX", path[600], *csv, *line2;
	const cJSON *rows, *row;
	cJSON *j;
	size_t n;
	const asgd_column *cols = asgd_sweep_columns(&n);
	char *argv[] = { "sweep", "--quiet" };

	cr_assert(mkdtemp(dir));
	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	fill(&res, p, &xstar, workers);
	cr_assert_eq(asgd_sweep_write_csv(dir, &res), ASGD_OK);
	csv = slurp(dir, "sweep.csv");
	cr_expect_eq(strncmp(csv, "workers,replicas,diverged,applied,wall_s,", 41), 0, "%s", csv);
	line2 = strchr(csv, '\n') + 1;
	cr_expect_eq(strncmp(line2, "1,10,0,12345678901,nan,nan,0.25,", 32), 0, "%s", line2);
	cr_expect(strstr(line2, ",42,nan\n4,10,0,") != NULL, "%s", line2);
	j = asgd_sweep_result_json(&res, 2, argv);
	cr_assert(j);
	cr_expect_str_eq(cJSON_GetObjectItem(j, "command")->valuestring, "sweep");
	cr_expect(cJSON_GetObjectItem(j, "machine") != NULL);
	rows = cJSON_GetObjectItem(j, "rows");
	cr_assert_eq(cJSON_GetArraySize(rows), 2);
	row = cJSON_GetArrayItem(rows, 1);
	cr_expect_eq(cJSON_GetArraySize(row), (int)n);
	cr_expect_str_eq(row->child->string, cols[0].name);
	cr_expect_eq(cJSON_GetObjectItem(row, "mu_hat")->valuedouble, 0.5);
	cr_expect(cJSON_IsNull(cJSON_GetObjectItem(row, "wall_s")));
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "%s/sweep.csv", dir);
	unlink(path);
	rmdir(dir);
	asgd_problem_destroy(p);
}

Test(sweep, run_directory_by_stage)
{
	char dir[] = "/tmp/asgd-test-sweep-XXXXXX", path[600];
	asgd_engine_config e = { .workers = 2 };
	asgd_ensemble_result ens;
	asgd_sweep_m m = { .stage = ASGD_SWEEP_BEGIN, .engine = &e };

	cr_assert(mkdtemp(dir));
	cr_expect_eq(asgd_sweep_write_m(dir, &m), ASGD_OK);
	/* an MSGD ensemble with no path done: no msgd_moments.csv */
	memset(&ens, 0, sizeof(ens));
	m.stage = ASGD_SWEEP_MSGD;
	m.msgd = &ens;
	cr_expect_eq(asgd_sweep_write_m(dir, &m), ASGD_OK);
	snprintf(path, sizeof(path), "%s/msgd_moments.csv", dir);
	cr_expect_neq(access(path, F_OK), 0, "nothing to write, yet msgd_moments.csv exists");
	cr_expect_eq(rmdir(dir), 0, "the directory is not empty");
}
