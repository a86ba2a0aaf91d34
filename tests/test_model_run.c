/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_model_run.c — the experiments that put models side by side (asgd/model_run.h,
 * asgd/compare_run.h, asgd/order_run.h): a run's exact table is asgd_exact_run's, refusals say
 * which model and why, progress ends once per ensemble, the files and JSON have their keys, a
 * failure leaves no gaps, a raised stop flag runs nothing, and the ladder of η is halved.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgd/compare_run.h"
#include "asgd/error.h"
#include "asgd/exact.h"
#include "asgd/model_run.h"
#include "asgd/order_run.h"

static asgd_problem *preset(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "%s", spec);
	return p;
}

static asgd_model_run_config settings(const asgd_problem *p, asgd_model m, uint64_t iters)
{
	return (asgd_model_run_config){
		.problem = p, .model = m, .eta = asgd_problem_default_eta(p),
		.mu = asgd_problem_default_mu(p), .iters = iters, .paths = 32, .substeps = 2,
		.threads = 1, .sigma = ASGD_SIGMA_CONTINUUM, .seed = 7,
	};
}

struct events {
	int paths, done, after_done;	/* after_done: PATHS events after a DONE */
};

static void count(void *arg, const asgd_model_progress *p)
{
	struct events *e = arg;

	if (p->event == ASGD_MODEL_DONE) {
		e->done++;
	} else {
		e->paths++;
		e->after_done += e->done > 0;
	}
}

static int exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

Test(model_run, exact_table_is_exact_run)
{
	asgd_problem *p = preset("fig4");
	asgd_model_run_config c = settings(p, ASGD_MODEL_ASGD, 50);
	asgd_exact_config ec = { .model = c.model, .problem = p, .eta = c.eta, .mu = c.mu,
				 .iters = c.iters };
	asgd_model_run_result r;
	asgd_exact_moments m;
	cJSON *j;

	c.exact = 1;
	cr_assert_eq(asgd_model_run(&c, &r), ASGD_OK);
	cr_assert(r.have_exact && !r.have_mc && !r.ran && !r.final);
	cr_assert_eq(asgd_exact_run(&ec, &m), ASGD_OK);
	cr_assert_eq(r.exact.steps, m.steps);
	for (size_t k = 0; k < m.steps; k++) {
		cr_assert_eq(r.exact.mean[k], m.mean[k], "k=%zu", k);
		cr_assert_eq(r.exact.second[k], m.second[k], "k=%zu", k);
	}
	j = asgd_model_run_result_json(&r);
	cr_assert_null(cJSON_GetObjectItem(j, "history"));	/* no ensemble: no facts of one */
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "exact_available")));
	cJSON_Delete(j);
	asgd_exact_moments_free(&m);
	asgd_model_run_result_free(&r);
	asgd_problem_destroy(p);
}

Test(model_run, ensemble_files_progress_and_json)
{
	asgd_problem *p = preset("fig4");
	asgd_model_run_config c = settings(p, ASGD_MODEL_ASGD, 20);
	char dir[] = "/tmp/asgd-model-run-XXXXXX", sub[64];
	struct events e = { 0 };
	asgd_model_run_result r;
	cJSON *j;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/asgd", dir);
	c.monte_carlo = c.exact = 1;
	c.dir = sub;
	c.progress = count;
	c.progress_arg = &e;
	cr_assert_eq(asgd_model_run(&c, &r), ASGD_OK);
	cr_assert(r.have_mc && r.have_exact && r.ran && r.final);
	cr_assert_eq(r.paths_done, 32);
	cr_assert_eq(r.mc.steps, 21);
	cr_assert(e.paths > 0 && e.done == 1 && e.after_done == 0, "%d %d", e.paths, e.done);
	cr_assert(exists(sub, "moments.csv") && exists(sub, "exact.csv"));
	j = asgd_model_run_result_json(&r);
	cr_assert_str_eq(j->child->string, "history");	/* the discrete model's facts first */
	cr_assert_eq(cJSON_GetObjectItem(j, "paths_done")->valuedouble, 32);
	cJSON_Delete(j);
	asgd_model_run_result_free(&r);
	cr_assert_null(r.final);
	asgd_problem_destroy(p);
}

Test(model_run, refusal_names_the_model)
{
	asgd_problem *p = preset("fig4");
	asgd_model_run_config c = settings(p, ASGD_MODEL_SME_ASGD, 20);
	struct events e = { 0 };
	asgd_model_run_result r;

	c.mu = 0;
	c.sigma = ASGD_SIGMA_EVOLVE;	/* (2.12) divides by μ */
	c.monte_carlo = 1;
	c.progress = count;
	c.progress_arg = &e;
	cr_assert_eq(asgd_model_run(&c, &r), ASGD_EINVAL);
	cr_assert_eq(strncmp(r.error, "sme-asgd: ", 10), 0, "%s", r.error);
	cr_assert_eq(e.done, 1);	/* the ensemble asked for is over, though it never ran */
	asgd_model_run_result_free(&r);
	asgd_problem_destroy(p);
}

Test(compare_run, gaps_verdict_and_basins)
{
	asgd_problem *p = preset("fig5-doublewell");
	asgd_compare_config c = { .run = settings(p, ASGD_MODEL_ASGD, 30) };
	asgd_compare_result r;
	cJSON *j, *b;

	cr_assert_eq(asgd_compare_run(&c, &r), ASGD_OK);
	cr_assert(!r.failed);
	for (int m = 0; m < 2; m++)	/* not quadratic: ensembles only */
		cr_assert(r.have_gap[m][0] && !r.have_gap[m][1]);
	j = asgd_compare_result_json(&r);
	cr_assert_str_eq(j->child->string, "models");
	cr_assert_not_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "gaps"), "sme-sgd"));
	cr_assert_not_null(cJSON_GetObjectItem(j, "sme_asgd_beats_sme_sgd"));
	b = cJSON_GetObjectItem(j, "basins");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(b, "minima")), 2);
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "sme-asgd"), "paths")->valuedouble,
		     32);
	cJSON_Delete(j);
	asgd_compare_result_free(&r);
	asgd_problem_destroy(p);
}

Test(compare_run, a_failed_model_stops_the_rest_and_leaves_no_gaps)
{
	asgd_problem *p = preset("fig4");
	asgd_compare_config c = { .run = settings(p, ASGD_MODEL_ASGD, 20) };
	char dir[] = "/tmp/asgd-compare-run-XXXXXX", file[64];
	asgd_compare_result r;
	FILE *f;
	cJSON *j;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/sme-asgd", dir);	/* a file where a directory goes */
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	c.dir = dir;
	cr_assert_eq(asgd_compare_run(&c, &r), ASGD_EIO);
	cr_assert(r.failed && strstr(r.error, "sme-asgd"), "%s", r.error);
	cr_assert(r.runs[0].have_mc && r.runs[2].paths_done == 0);
	j = asgd_compare_result_json(&r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "models")), 3);
	cr_assert_null(cJSON_GetObjectItem(j, "gaps"));
	cJSON_Delete(j);
	asgd_compare_result_free(&r);
	asgd_problem_destroy(p);
}

static void rung_seen(void *arg, const asgd_order_result *res, unsigned j)
{
	int *seen = arg;

	cr_assert_eq((int)j, *seen);
	cr_assert_eq(res->rungs[j].eta, res->rungs[0].eta / (double)(1u << j));
	++*seen;
}

Test(order_run, ladder_of_exact_gaps)
{
	asgd_problem *p = preset("fig4");
	asgd_order_config c = { .run = settings(p, ASGD_MODEL_ASGD, 0), .halvings = 2,
				.rung_end = rung_seen };
	char dir[] = "/tmp/asgd-order-run-XXXXXX", path[64], line[512];
	asgd_order_result r;
	int seen = 0, lines = 0;
	FILE *f;
	cJSON *j;

	c.rung_arg = &seen;
	c.run.mu = 0.9;
	c.horizon = 2;
	cr_assert_eq(asgd_order_run(&c, &r), ASGD_OK);
	cr_assert_eq(seen, 3);
	cr_assert_eq(r.rungs[0].eta, c.run.eta);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert(r.rungs[i].ok && r.rungs[i].exact && !r.rungs[i].noisy);
		cr_assert_eq(r.rungs[i].iters, (uint64_t)llround(2 / r.rungs[i].dt));
		if (i)
			cr_assert_lt(r.rungs[i].gap.mean, r.rungs[i - 1].gap.mean);
	}
	cr_assert(r.mean_order > 0 && isfinite(r.mean_order_se));
	j = asgd_order_result_json(&r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rungs")), 3);
	cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "fit"), "mean_gap_order")->valuedouble,
		     r.mean_order);
	cJSON_Delete(j);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/order.csv", dir);
	cr_assert_eq(asgd_order_write_csv(&r, path), ASGD_OK);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	cr_assert_eq(lines, 4);		/* the header and a row per rung */
	asgd_problem_destroy(p);
}

Test(order_run, refusal_ends_the_ladder_at_its_rung)
{
	asgd_problem *p = preset("fig4");
	asgd_order_config c = { .run = settings(p, ASGD_MODEL_ASGD, 0), .halvings = 3,
				.horizon = 1, .monte_carlo = 1, .rung_end = rung_seen };
	asgd_order_result r;
	int seen = 0;

	c.rung_arg = &seen;
	c.run.mu = 0;
	c.run.sigma = ASGD_SIGMA_EVOLVE;	/* ASGD runs, SME-ASGD refuses */
	cr_assert_eq(asgd_order_run(&c, &r), ASGD_EINVAL);
	cr_assert_eq(seen, 1);
	cr_assert_eq(strncmp(r.error, "sme-asgd: ", 10), 0, "%s", r.error);
	cr_assert(!r.rungs[0].ok && isnan(r.mean_order));
	asgd_problem_destroy(p);
}

Test(order_run, raised_stop_flag_runs_nothing)
{
	asgd_problem *p = preset("fig4");
	atomic_int stop = 1;
	asgd_compare_config cc = { .run = settings(p, ASGD_MODEL_ASGD, 20) };
	asgd_order_config oc = { .run = cc.run, .halvings = 2, .horizon = 1, .rung_end = rung_seen };
	asgd_compare_result cr;
	asgd_order_result orr;
	int seen = 0;

	cc.run.stop = oc.run.stop = &stop;
	oc.rung_arg = &seen;
	cr_assert_eq(asgd_compare_run(&cc, &cr), ASGD_OK);
	cr_assert(!cr.failed && cr.runs[0].paths_done == 0 && !cr.runs[0].ran);
	asgd_compare_result_free(&cr);
	cr_assert_eq(asgd_order_run(&oc, &orr), ASGD_OK);
	cr_assert_eq(seen, 0);
	asgd_problem_destroy(p);
}
