/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sweep.c — the outputs of a sweep (asgd/sweep.h) from a result built by hand: sweep.csv
 * and the rows of sweep.json say the same from one table of columns (counts whole, reals %.10g,
 * nan or null where not finite), a loss gap's columns never say ex2, and a run directory gets
 * only what a stage has. And small real sweeps: on a data model with the loss observed, the
 * stationary loss gap of the real run and of both ensembles; on fig4, the discrete ASGD ensemble
 * at μ̂ against discrete ASGD's exact fixed point; observables and targets the sweep refuses.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/observe.h"
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
	const asgd_column *cols = asgd_sweep_columns(ASGD_SWEEP_MSD, &n);
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

Test(sweep, loss_gap_columns_say_so)
{
	uint64_t workers[2] = { 1, 4 };
	double xstar = 0;
	asgd_problem *p = NULL;
	asgd_sweep_result res;
	char dir[] = "/tmp/asgd-test-sweep-XXXXXX", path[600], *csv;
	size_t n;
	const asgd_column *cols = asgd_sweep_columns(ASGD_SWEEP_LOSS_GAP, &n);

	cr_assert(mkdtemp(dir));
	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	fill(&res, p, &xstar, workers);
	res.quantity = ASGD_SWEEP_LOSS_GAP;
	cr_expect_str_eq(asgd_sweep_quantity_name(res.quantity), "loss_gap");
	cr_expect_str_eq(asgd_sweep_quantity_name(ASGD_SWEEP_MSD), "msd");
	for (size_t i = 0; i < n; i++)
		cr_expect(!strstr(cols[i].name, "ex2"), "%s in the loss gap's columns", cols[i].name);
	cr_assert_eq(asgd_sweep_write_csv(dir, &res), ASGD_OK);
	csv = slurp(dir, "sweep.csv");
	cr_expect(strstr(csv, ",real_gap,real_gap_se,msgd_mu,msgd_eta,msgd_gap,msgd_gap_se,"
			      "asgd_gap,asgd_gap_se,iters_to_target,time_to_target_s\n") != NULL,
		  "%s", csv);
	snprintf(path, sizeof(path), "%s/sweep.csv", dir);
	unlink(path);
	rmdir(dir);
	asgd_problem_destroy(p);
}

/* Regularised logistic regression on heart_scale (270 rows, 13 features), λ = 1/n. */
static asgd_problem *heart_logistic(asgd_dataset **ds)
{
	asgd_data_model m = { ASGD_LOSS_LOGISTIC, 1.0 / 270, NAN };
	asgd_problem *p = NULL;
	char err[256] = "";
	int rc = asgd_dataset_load("heart_scale", NULL, ds, err, sizeof(err));

	if (rc == ASGD_ENOTFOUND)
		cr_skip_test("%s", err);
	cr_assert_eq(rc, ASGD_OK, "%s", err);
	cr_assert_eq(asgd_problem_create_data(*ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	return p;
}

/* A small sweep of @p: a few replicas and paths, no injected work. */
static asgd_sweep_config small_sweep(const asgd_problem *p, const uint64_t *workers, size_t n)
{
	asgd_sweep_config c = { 0 };

	c.problem = p;
	c.workers = workers;
	c.nworkers = n;
	c.work.kind = ASGD_WORK_NONE;
	c.replicas = 3;
	c.iters = 300;
	c.eta = asgd_problem_default_eta(p);
	c.paths = 32;
	c.threads = 1;
	c.seed = 5;
	return c;
}

Test(sweep, data_model_loss_gap)
{
	uint64_t workers[2] = { 1, 2 };
	asgd_dataset *ds = NULL;
	asgd_problem *p = heart_logistic(&ds);
	asgd_observable obs;
	asgd_sweep_config c = small_sweep(p, workers, 2);
	asgd_sweep_result res;
	char *argv[] = { "sweep" };
	cJSON *j;

	cr_assert_eq(asgd_observable_init(&obs, "loss", p, NULL, 0), ASGD_OK);
	c.observe = &obs;
	cr_assert_eq(asgd_sweep_run(&c, &res), ASGD_OK);
	cr_expect_eq(res.quantity, ASGD_SWEEP_LOSS_GAP);
	cr_expect(isfinite(res.fstar) && res.fstar > 0, "f* = %g", res.fstar);
	/* the default target: 1% above the optimum, a level of the loss */
	cr_expect_float_eq(res.target, res.fstar * (1 + ASGD_SWEEP_LOSS_TARGET_REL), 1e-15);
	cr_assert_eq(res.nrows, 2);
	for (size_t i = 0; i < 2; i++) {
		const asgd_sweep_row *r = &res.rows[i];

		/* x* minimizes f: every iterate's loss is above f*, so is every average */
		cr_expect(isfinite(r->real_ex2) && r->real_ex2 > 0, "real gap %g", r->real_ex2);
		cr_expect(isfinite(r->real_se) && r->real_se > 0);
		cr_expect(isfinite(r->msgd_ex2) && r->msgd_ex2 > 0, "MSGD gap %g", r->msgd_ex2);
		cr_expect(isfinite(r->asgd_ex2) && r->asgd_ex2 > 0, "ASGD gap %g", r->asgd_ex2);
		cr_expect(isfinite(r->msgd_se) && isfinite(r->asgd_se));
		/* the closed forms are of E||x - x*||^2 for 1-D quadratics: not here */
		cr_expect(isnan(r->msgd_exact) && isnan(r->appb_ex2) && isnan(r->asgd_exact));
	}
	/* one worker is never stale: discrete ASGD at mu_hat = 0 is SGD, as is MSGD(0, eta), and
	 * the two ensembles draw from the same streams */
	if (res.rows[0].mu_hat == 0)
		cr_expect_eq(res.rows[0].asgd_ex2, res.rows[0].msgd_ex2);
	j = asgd_sweep_result_json(&res, 1, argv);
	cr_assert(j);
	cr_expect_str_eq(cJSON_GetObjectItem(j, "quantity")->valuestring, "loss_gap");
	cr_expect_str_eq(cJSON_GetObjectItem(j, "observe")->valuestring, "loss");
	cr_expect_eq(cJSON_GetObjectItem(j, "optimum_loss")->valuedouble, res.fstar);
	cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(j, "target_default")));
	cr_expect(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0),
				      "real_gap") != NULL);
	cJSON_Delete(j);
	asgd_sweep_result_free(&res);
	asgd_observable_free(&obs);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/*
 * fig4 at η = 0.05 is stationary by k = 100, so the late-half average of the discrete ASGD
 * ensemble at μ̂ estimates the exact fixed point of discrete ASGD at the same μ̂, η. The exact
 * value has no error, so the combined SE is the ensemble's (a bound: the largest SE of one step).
 */
Test(sweep, asgd_ensemble_at_mu_hat_matches_exact_fixed_point)
{
	uint64_t workers[2] = { 1, 2 };
	asgd_problem *p = NULL;
	asgd_sweep_config c;
	asgd_sweep_result res;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	c = small_sweep(p, workers, 2);
	c.iters = 200;
	c.eta = 0.05;
	c.paths = 512;
	c.target = 0.1;
	cr_assert_eq(asgd_sweep_run(&c, &res), ASGD_OK);
	cr_expect_eq(res.quantity, ASGD_SWEEP_MSD);
	cr_assert_eq(res.nrows, 2);
	for (size_t i = 0; i < 2; i++) {
		const asgd_sweep_row *r = &res.rows[i];

		cr_assert(isfinite(r->asgd_exact) && isfinite(r->asgd_ex2) && r->asgd_se > 0,
			  "M = %g: exact %g, ensemble %g ± %g", r->workers, r->asgd_exact,
			  r->asgd_ex2, r->asgd_se);
		cr_expect_leq(fabs(r->asgd_ex2 - r->asgd_exact), 3 * r->asgd_se,
			      "M = %g, mu_hat %g: ensemble %g ± %g, exact %g", r->workers,
			      r->mu_hat, r->asgd_ex2, r->asgd_se, r->asgd_exact);
	}
	asgd_sweep_result_free(&res);
	asgd_problem_destroy(p);
}

Test(sweep, refuses_what_it_cannot_measure)
{
	uint64_t workers[1] = { 1 };
	asgd_problem *p = NULL, *q = NULL;
	asgd_observable coord, loss_of_q;
	asgd_sweep_config c;
	asgd_sweep_result res;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cr_assert_eq(asgd_problem_create("fig8", &q), ASGD_OK);
	c = small_sweep(p, workers, 1);
	/* E||x - x*||^2 has no default target */
	c.target = 0;
	cr_expect_eq(asgd_sweep_run(&c, &res), ASGD_EINVAL);
	c.target = 0.1;
	/* a coordinate has no optimum to measure a gap from */
	cr_assert_eq(asgd_observable_init(&coord, "coord:0", p, NULL, 0), ASGD_OK);
	c.observe = &coord;
	cr_expect_eq(asgd_sweep_run(&c, &res), ASGD_EINVAL);
	/* the loss of another problem */
	cr_assert_eq(asgd_observable_init(&loss_of_q, "loss", q, NULL, 0), ASGD_OK);
	c.observe = &loss_of_q;
	cr_expect_eq(asgd_sweep_run(&c, &res), ASGD_EINVAL);
	asgd_observable_free(&coord);
	asgd_observable_free(&loss_of_q);
	asgd_problem_destroy(q);
	asgd_problem_destroy(p);
}
