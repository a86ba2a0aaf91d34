/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_batch_run.c — the `asgd batch` experiment (asgd/batch_run.h): the schedules it builds
 * against their definitions (the constant, the constant with the optimal's total, the control's
 * own), its refusals, a small run in the simulator and the engine, a stop raised before the run,
 * and the JSON and CSV outputs against the result they come from.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/batch_run.h"
#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/sim.h"

static asgd_problem *problem(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

/* fig8 at its own η and μ, K = 50, γ by default, a small run. */
static asgd_batch_config config(asgd_problem *p)
{
	asgd_batch_config c = { 0 };

	c.problem = p;
	cr_assert_eq(asgd_batch_read_problem(&c), ASGD_OK);
	c.eta = asgd_problem_default_eta(p);
	c.mu = asgd_problem_default_mu(p);
	c.gamma_default = 1;
	c.horizon = 50;
	c.constant = 3;
	c.paths = 40;
	c.replicas = 2;
	c.workers = 1;
	c.threads = 1;
	c.seed = 7;
	return c;
}

Test(batch_run, schedules)
{
	asgd_problem *p = problem("fig8");
	asgd_batch_config c = config(p);
	asgd_batch_result r = { 0 };
	const asgd_batch_outcome *opt = &r.s[ASGD_BATCH_OPTIMAL];
	double total = 0;

	cr_assert_eq(c.a, 1);
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_OK);
	cr_assert_eq(r.refused, ASGD_BATCH_ACCEPTED);
	cr_assert_float_eq(r.gamma, r.ctl.gamma_star / ASGD_BATCH_GAMMA_DIVISOR, 1e-15);
	for (uint64_t k = 0; k < c.horizon; k++) {
		cr_assert_eq(opt->size[k], asgd_batchctl_batch(&r.ctl, k));
		cr_assert_eq(r.s[ASGD_BATCH_CONSTANT].size[k], 3);
		total += opt->size[k];
	}
	cr_assert_eq(opt->evaluations, total);
	cr_assert_eq(r.s[ASGD_BATCH_CONSTANT].evaluations, 3.0 * 50);
	cr_assert_eq(r.s[ASGD_BATCH_EQUAL_TOTAL].size[0],
		     (uint32_t)fmax(1, round(total / 50)));
	cr_assert_str_eq(r.s[ASGD_BATCH_EQUAL_TOTAL].name, "equal-total");
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		const asgd_batch_outcome *o = &r.s[i];

		/* z0 = (x0 − x*)², then the model; nothing measured yet */
		cr_assert_float_eq(o->model[0], (c.x0 - c.xstar) * (c.x0 - c.xstar), 1e-15);
		cr_assert(isfinite(o->model[c.horizon]) && isfinite(o->model_engine[c.horizon]));
		cr_assert(isnan(o->sim_msd[0]) && isnan(o->eng_msd[c.horizon]));
		cr_assert(isnan(o->sim_final) && isnan(o->mu_hat));
	}
	asgd_batch_result_free(&r);
	cr_assert_null(r.s[0].size);
	asgd_problem_destroy(p);
}

Test(batch_run, refusals)
{
	asgd_problem *p = problem("fig8"), *q = problem("fig5-quartic");
	asgd_batch_config c = config(p), d = { 0 };
	asgd_batch_result r = { 0 };

	c.gamma_default = 0;
	c.gamma = 1e-300;	/* the batch would grow past ASGD_SIM_MAX_BATCH */
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_EINVAL);
	cr_assert_eq(r.refused, ASGD_BATCH_TOO_LARGE);
	cr_assert_gt(asgd_batchctl_u(&r.ctl, r.ctl.p.T), ASGD_SIM_MAX_BATCH);
	asgd_batch_result_free(&r);
	c.gamma = NAN;
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_EINVAL);
	cr_assert_eq(r.refused, ASGD_BATCH_BAD_GAMMA);
	asgd_batch_result_free(&r);
	d.problem = q;
	cr_assert_eq(asgd_batch_read_problem(&d), ASGD_ENOTFOUND);
	cr_assert_eq(asgd_batch_read_problem(NULL), ASGD_EINVAL);
	asgd_problem_destroy(p);
	asgd_problem_destroy(q);
}

struct events {
	int begins, groups, replicas, ends;
};

static void count(void *arg, const asgd_batch_progress *p)
{
	struct events *e = arg;

	e->begins += p->event == ASGD_BATCH_BEGIN;
	e->groups += p->event == ASGD_BATCH_SIM_GROUP;
	e->replicas += p->event == ASGD_BATCH_REPLICA;
	e->ends += p->event == ASGD_BATCH_SIM_END || p->event == ASGD_BATCH_ENGINE_END;
}

/* The whole run, and its files read back. */
Test(batch_run, run_and_outputs)
{
	asgd_problem *p = problem("fig8");
	asgd_batch_config c = config(p);
	asgd_batch_result r = { 0 };
	struct events e = { 0 };
	char dir[] = "/tmp/test_batch_run.XXXXXX", path[256], line[512];
	cJSON *j, *s;
	FILE *fp;
	int rows = 0;

	c.progress = count;
	c.progress_arg = &e;
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_OK);
	cr_assert_eq(asgd_batch_run(&c, &r), ASGD_OK);
	cr_assert(!r.partial && !r.interrupted && !r.diverged);
	/* 40 paths in 32 groups, 2 replicas, per schedule */
	cr_assert_eq(e.begins, 3);
	cr_assert_eq(e.groups, 3 * 32);
	cr_assert_eq(e.replicas, 3 * 2);
	cr_assert_eq(e.ends, 3 * 2);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		const asgd_batch_outcome *o = &r.s[i];

		cr_assert(o->sim_done && o->eng_ran && o->eng_done);
		cr_assert_eq(o->sim_paths, 40);
		cr_assert_eq(o->eng_replicas, 2);
		cr_assert(isfinite(o->sim_final) && o->sim_final_se > 0);
		cr_assert_float_eq(o->sim_final, o->sim_msd[c.horizon], 1e-9 * o->sim_final,
				   "the end point is the curve's end");
		cr_assert(isfinite(o->eng_final) && o->mu_hat == 0, "one worker: no staleness");
	}

	j = asgd_batch_result_json(&c, &r, 1.5);
	cr_assert_eq(cJSON_GetObjectItem(j, "gamma")->valuedouble, r.gamma);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "partial")));
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "control"), "batch_first")->valuedouble,
		     r.s[ASGD_BATCH_OPTIMAL].size[0]);
	s = cJSON_GetObjectItem(j, "schedules");
	cr_assert_eq(cJSON_GetArraySize(s), 3);
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(s, 1), "schedule")->valuestring,
			 "constant");
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(s, 1), "constant_batch")->valuedouble, 3);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(s, 0), "constant_batch")));
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(s, 2), "sim_final")->valuedouble,
		     r.s[2].sim_final);
	cJSON_Delete(j);

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(asgd_batch_write_schedule_csv(&c, &r, dir), ASGD_OK);
	cr_assert_eq(asgd_batch_write_tables(&c, &r, dir), ASGD_OK);
	snprintf(path, sizeof(path), "%s/batch.csv", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_assert_eq(strncmp(line, "schedule,constant_batch,gradient_evaluations,", 45), 0);
	while (fgets(line, sizeof(line), fp))
		rows++;
	fclose(fp);
	cr_assert_eq(rows, 3);
	snprintf(path, sizeof(path), "%s/curves.csv", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	for (rows = 0; fgets(line, sizeof(line), fp); rows++)
		;
	fclose(fp);
	cr_assert_eq(rows, 1 + 3 * 51, "a header, then k = 0..K per schedule");
	snprintf(path, sizeof(path), "%s/schedule.csv", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_assert_str_eq(line, "k,batch,u,t\n");
	fclose(fp);
	for (const char *f = "batch.csv\0curves.csv\0schedule.csv\0"; *f; f += strlen(f) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, f);
		unlink(path);
	}
	rmdir(dir);
	asgd_batch_result_free(&r);
	asgd_problem_destroy(p);
}

/* A stop raised before the run: the first schedule's simulator is interrupted, nothing else runs. */
Test(batch_run, stopped)
{
	asgd_problem *p = problem("fig8");
	asgd_batch_config c = config(p);
	asgd_batch_result r = { 0 };
	atomic_int stop = 1;

	c.stop = &stop;
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_OK);
	cr_assert_eq(asgd_batch_run(&c, &r), ASGD_OK);
	cr_assert(r.interrupted && r.partial);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++)
		cr_assert(!r.s[i].sim_done && !r.s[i].eng_ran);
	asgd_batch_result_free(&r);
	asgd_problem_destroy(p);
}

/*
 * On data (heart_scale, least squares): the surrogate's a is trace(HC)/trace(C), Σ = trace
 * C(x*), z0 = 2(f(x0) − f*)/a, so the model's loss gap (a/2)z starts at the data's; a small run
 * in the simulator and the engine reports a loss gap, finite and positive, at K.
 */
Test(batch_run, data_surrogate_and_loss_gap)
{
	asgd_data_model m = { .loss = ASGD_LOSS_SQUARES, .lambda = 1.0 / 270, .positive = NAN };
	asgd_dataset *ds = NULL;
	asgd_problem *p = NULL;
	asgd_observable obs = { 0 };
	asgd_batch_config c = { 0 };
	asgd_batch_result r = { 0 };
	double *x, a_c;
	char path[1024], err[256];

	if (asgd_dataset_locate("heart_scale", path, sizeof(path)) != ASGD_OK)
		cr_skip_test("heart_scale is not installed (Debian package liblinear-tools)");
	cr_assert_eq(asgd_dataset_load("heart_scale", NULL, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_observable_init(&obs, "loss", p, err, sizeof(err)), ASGD_OK);
	c.problem = p;
	c.loss = &obs;
	cr_assert_eq(asgd_batch_read_problem(&c), ASGD_OK);
	cr_assert(c.on_data);
	x = malloc(asgd_problem_dim(p) * sizeof(double));
	cr_assert_eq(asgd_problem_minimizer(p, x), ASGD_OK);
	cr_expect_float_eq(c.fstar, asgd_problem_f(p, x), 1e-15);
	cr_assert_eq(asgd_advise_noise_curvature(p, x, c.local.step, &a_c), ASGD_OK);
	cr_expect_float_eq(c.a, a_c, 1e-15);
	cr_expect_float_eq(c.sigma2, c.local.trace_c, 1e-15);
	cr_expect_float_eq(c.z0, 2 * (c.f0 - c.fstar) / c.a, 1e-12);
	c.eta = 0.02;
	c.gamma_default = 1;
	c.horizon = 40;
	c.constant = 3;
	c.paths = 8;
	c.replicas = 2;
	c.workers = 1;
	c.threads = 1;
	c.seed = 3;
	cr_assert_eq(asgd_batch_prepare(&c, &r), ASGD_OK);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++)
		cr_expect_float_eq(r.s[i].model[0], c.f0 - c.fstar, 1e-12);
	cr_assert_eq(asgd_batch_run(&c, &r), ASGD_OK);
	for (int i = 0; i < ASGD_BATCH_NSCHEDULES; i++) {
		const asgd_batch_outcome *o = &r.s[i];

		cr_expect_float_eq(o->sim_msd[0], c.f0 - c.fstar, 1e-12);
		cr_expect_float_eq(o->eng_msd[0], c.f0 - c.fstar, 1e-12);
		cr_expect(o->sim_final > 0 && o->eng_final > 0, "%s: %g %g", o->name, o->sim_final,
			  o->eng_final);
		cr_expect(o->sim_final < c.f0 - c.fstar, "%s: the gap fell", o->name);
	}
	asgd_batch_result_free(&r);
	free(x);
	asgd_observable_free(&obs);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}

/* The hinge loss has no minimizer yet: refused, and fstar NAN says why. */
Test(batch_run, data_without_minimizer)
{
	asgd_data_model m = { .loss = ASGD_LOSS_HINGE, .lambda = 0.01, .positive = NAN };
	asgd_dataset *ds = NULL;
	asgd_problem *p = NULL;
	asgd_batch_config c = { 0 };
	char err[256];

	cr_assert_eq(asgd_dataset_generate("rcv1:n=100,d=10,nnz=3", &ds, err, sizeof(err)),
		     ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	c.problem = p;
	if (asgd_problem_minimizer(p, (double[10]){ 0 }) == ASGD_OK) {
		/* a hinge minimizer has landed: the regulariser's curvature */
		cr_assert_eq(asgd_batch_read_problem(&c), ASGD_OK);
		cr_expect_eq(c.local.source, ASGD_ADVISE_CURV_REGULARISER);
		cr_expect_eq(c.a, 0.01);
	} else {
		cr_expect_eq(asgd_batch_read_problem(&c), ASGD_ENOTFOUND);
		cr_expect(isnan(c.fstar));
	}
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}
