/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_run.c — the experiment behind `asgd run` (asgd/run.h): the default recording stride
 * against its closed form, a small run's result and summary.json, a data model's scores against
 * its optimum, and what a stop leaves out ("omitted", "partial").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/run.h"

Test(run, default_stride)
{
	/* fits: a row per update */
	cr_expect_eq(asgd_run_default_stride(1, 1000), 1);
	/* (100/S + 1)·2^20 ≤ 2^24 first holds at S = 8 (13 rows; S = 4 needs 26) */
	cr_expect_eq(asgd_run_default_stride((size_t)1 << 20, 100), 8);
	/* never fits: only x_0 and x_K, S = K */
	cr_expect_eq(asgd_run_default_stride((size_t)1 << 25, 100), 100);
}

static asgd_run_config small_config(const asgd_problem *p)
{
	asgd_run_config c;

	memset(&c, 0, sizeof(c));
	c.engine.problem = p;
	c.engine.workers = 1;
	c.engine.iters = 50;
	c.engine.eta = asgd_problem_default_eta(p);
	c.engine.seed = 1;
	c.replicas = 3;
	c.label = "test";
	return c;
}

static const cJSON *get(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	cr_assert(v, "no \"%s\" in the summary", key);
	return v;
}

Test(run, preset_result_and_summary)
{
	asgd_problem *p = NULL;
	asgd_run_config c;
	asgd_run_result r;
	cJSON *j;
	char *argv[] = { "run", "--quiet" };

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	c = small_config(p);
	c.fault = "stall:0:5:1ms";
	c.mpi_ranks = 3;
	cr_assert_eq(asgd_run(&c, &r), ASGD_OK);
	cr_expect_eq(r.replicas.replicas_done, 3);
	cr_expect_eq(r.replicas.applied, 150);
	cr_expect(r.have_staleness);
	cr_expect(!r.have_data);
	j = asgd_run_result_json(&c, &r, 2, argv);
	cr_assert(j);
	cr_expect_str_eq(get(j, "command")->valuestring, "run");
	cr_expect_str_eq(get(j, "preset")->valuestring, "test");
	cr_expect_eq(get(j, "replicas")->valuedouble, 3);
	cr_expect_str_eq(get(j, "observe")->valuestring, "x");
	cr_expect_str_eq(get(j, "fault")->valuestring, "stall:0:5:1ms");
	cr_expect_eq(get(get(j, "mpi"), "ranks")->valuedouble, 3);
	cr_expect_eq(get(get(j, "mpi"), "timeout_s")->valuedouble, 30);
	cr_expect(cJSON_IsFalse(get(j, "partial")));
	cr_expect_eq(cJSON_GetArraySize(get(j, "omitted")), 0);
	cr_expect(!cJSON_GetObjectItem(j, "data"));
	cJSON_Delete(j);
	asgd_run_result_free(&r);
	/* without MPI, no "mpi" object */
	c.mpi_ranks = 0;
	cr_assert_eq(asgd_run(&c, &r), ASGD_OK);
	j = asgd_run_result_json(&c, &r, 2, argv);
	cr_expect(!cJSON_GetObjectItem(j, "mpi"));
	cJSON_Delete(j);
	asgd_run_result_free(&r);
	asgd_problem_destroy(p);
}

static asgd_problem *squares(asgd_dataset **ds)
{
	asgd_data_model m = { ASGD_LOSS_SQUARES, 1e-3, NAN };
	asgd_problem *p = NULL;
	char err[256];

	cr_assert_eq(asgd_dataset_generate("regression:n=60,d=3", ds, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	cr_assert_eq(asgd_problem_create_data(*ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	return p;
}

Test(run, data_scores)
{
	asgd_dataset *ds = NULL;
	asgd_problem *p = squares(&ds);
	asgd_run_config c = small_config(p);
	asgd_run_result r;
	const cJSON *d;
	cJSON *j;
	char *argv[] = { "run" };

	cr_assert_eq(asgd_run(&c, &r), ASGD_OK);
	cr_assert(r.have_data);
	/* the optimum is the minimizer of f: no iterate does better */
	cr_expect(isfinite(r.data.optimum_loss));
	cr_expect_geq(r.data.final_loss, r.data.optimum_loss - 1e-12);
	cr_expect(isnan(r.data.final_accuracy), "least squares is not a classifier");
	cr_expect(!r.data.optimum_omitted);
	j = asgd_run_result_json(&c, &r, 1, argv);
	d = get(j, "data");
	cr_expect_eq(get(d, "rows")->valuedouble, 60);
	cr_expect_eq(get(d, "features")->valuedouble, 3);
	cr_expect_float_eq(get(d, "optimum_loss")->valuedouble, r.data.optimum_loss, 1e-15);
	cr_expect(!cJSON_GetObjectItem(d, "final_accuracy"));
	cJSON_Delete(j);
	asgd_run_result_free(&r);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* Every replica's final iterate is scored on the test rows: with the training rows as the test
 * set, the test and training scores agree exactly, and with one replica they are the last
 * replica's own scores (the mean loss without the regulariser). */
Test(run, held_out_scores_every_replica)
{
	asgd_dataset *ds = NULL;
	asgd_problem *p = squares(&ds);
	asgd_run_config c = small_config(p);
	asgd_run_result r;
	double loss, acc;
	const cJSON *d;
	cJSON *j;
	char *argv[] = { "run" };

	c.test = ds;
	cr_assert_eq(asgd_run(&c, &r), ASGD_OK);
	cr_assert(r.data.have_test);
	cr_expect_eq(r.data.test_replicas, 3);
	cr_expect_eq(r.data.test_loss_mean, r.data.train_loss_mean);
	cr_expect(r.data.test_loss_se > 0, "three replicas differ");
	cr_expect(isnan(r.data.test_accuracy_mean), "least squares has no accuracy");
	j = asgd_run_result_json(&c, &r, 1, argv);
	d = get(j, "data");
	cr_expect_eq(get(d, "test_rows")->valuedouble, 60);
	cr_expect_float_eq(get(d, "test_loss_mean")->valuedouble, r.data.test_loss_mean, 1e-15);
	get(d, "test_loss_se");
	get(d, "test_source");
	cr_expect(!cJSON_GetObjectItem(d, "test_accuracy_mean"));
	cJSON_Delete(j);
	asgd_run_result_free(&r);
	c.replicas = 1;
	cr_assert_eq(asgd_run(&c, &r), ASGD_OK);
	cr_assert_eq(asgd_problem_data_eval(p, ds, r.replicas.x_last, &loss, &acc), ASGD_OK);
	cr_expect_eq(r.data.test_loss_mean, loss);
	cr_expect(isnan(r.data.test_loss_se), "no SE of one replica");
	cr_expect_lt(loss, r.data.final_loss, "f adds the regulariser");
	asgd_run_result_free(&r);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

Test(run, stop_omits_the_optimum)
{
	asgd_dataset *ds = NULL;
	asgd_problem *p = squares(&ds);
	asgd_run_config c = small_config(p);
	atomic_int stop = 1;
	asgd_run_result r;
	const cJSON *omitted;
	cJSON *j;
	char *argv[] = { "run" };

	c.engine.stop = &stop;
	cr_assert_eq(asgd_run(&c, &r), ASGD_OK, "a stop is not an error");
	cr_expect(r.replicas.interrupted);
	cr_assert(r.have_data);
	cr_expect(r.data.optimum_omitted);
	cr_expect(isnan(r.data.optimum_loss));
	cr_expect(isfinite(r.data.final_loss), "the final loss is cheap: scored after a stop too");
	j = asgd_run_result_json(&c, &r, 1, argv);
	omitted = get(j, "omitted");
	cr_assert_eq(cJSON_GetArraySize(omitted), 1);
	cr_expect_str_eq(cJSON_GetArrayItem(omitted, 0)->valuestring, "data.optimum_loss");
	cr_expect(cJSON_IsTrue(get(j, "partial")));
	cr_expect(cJSON_IsNull(get(get(j, "data"), "optimum_loss")));
	cJSON_Delete(j);
	asgd_run_result_free(&r);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

Test(run, refuses_null_and_zero_replicas)
{
	asgd_run_result r;
	asgd_problem *p = NULL;
	asgd_run_config c;

	cr_expect_eq(asgd_run(NULL, &r), ASGD_EINVAL);
	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	c = small_config(p);
	c.replicas = 0;
	cr_expect_eq(asgd_run(&c, &r), ASGD_EINVAL);
	cr_expect(r.engine_failed);
	asgd_run_result_free(&r);
	asgd_problem_destroy(p);
}
