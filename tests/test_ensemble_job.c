/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_ensemble_job.c — the experiment behind `simulate` and `sme` (asgd/ensemble_job.h): the
 * basins of a double well counted by hand, which jobs are refused, the summary's fields and their
 * order for both kinds of ensemble and for exact moments, and the tables it writes.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/ensemble_job.h"
#include "asgd/error.h"

static asgd_problem *preset(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK);
	return p;
}

static void make_tmpdir(char *dir)
{
	strcpy(dir, "/tmp/asgd-test-ensemble-job-XXXXXX");
	cr_assert(mkdtemp(dir));
}

/* Lines in @dir/@name, or -1 when it cannot be opened. */
static int count_lines(const char *dir, const char *name)
{
	char path[512];
	int n = 0, c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	unlink(path);
	return n;
}

/* The keys of @j in order, comma-joined into @buf. */
static void keys(const cJSON *j, char *buf, size_t len)
{
	const cJSON *c;

	buf[0] = '\0';
	cJSON_ArrayForEach(c, j) {
		strncat(buf, c->string, len - strlen(buf) - 1);
		strncat(buf, ",", len - strlen(buf) - 1);
	}
}

Test(ensemble_job, basins_counted_by_hand)
{
	asgd_problem *p = preset("fig5-doublewell");
	const double final[5] = { -1.2, -0.1, 0.3, 2.0, NAN };
	cJSON *b = asgd_ensemble_basins_json(p, final, 5), *e;

	cr_assert_not_null(b);
	cr_assert_eq(cJSON_GetArraySize(b), 2);
	e = cJSON_GetArrayItem(b, 0);
	cr_expect_float_eq(cJSON_GetObjectItem(e, "minimum")->valuedouble, -0.9575, 1e-4);
	cr_expect_eq(cJSON_GetObjectItem(e, "paths")->valuedouble, 2);	/* the NaN is not counted */
	cr_expect_float_eq(cJSON_GetObjectItem(e, "fraction")->valuedouble, 0.5, 1e-15);
	cr_expect_float_eq(cJSON_GetObjectItem(e, "se")->valuedouble, 0.25, 1e-15);
	e = cJSON_GetArrayItem(b, 1);
	cr_expect_float_eq(cJSON_GetObjectItem(e, "minimum")->valuedouble, 0.9575, 1e-4);
	cr_expect_eq(cJSON_GetObjectItem(e, "paths")->valuedouble, 2);
	cJSON_Delete(b);
	cr_expect_null(asgd_ensemble_basins_json(p, NULL, 5));
	asgd_problem_destroy(p);
	p = preset("fig4");	/* one minimum: no basins */
	cr_expect_null(asgd_ensemble_basins_json(p, final, 5));
	asgd_problem_destroy(p);
}

Test(ensemble_job, refuses_what_it_cannot_run)
{
	asgd_problem *p = preset("fig5-quartic");
	asgd_sim_config sim = { .model = ASGD_MODEL_ASGD, .problem = p, .eta = 1e-3, .mu = 0.5,
				.iters = 10, .paths = 4, .seed = 1 };
	asgd_sme_config sme = { .model = ASGD_MODEL_SME_SGD, .problem = p, .eta = 1e-3,
				.iters = 10, .substeps = 1, .paths = 4, .seed = 1 };
	const double pmf[2] = { 0.5, 0.5 };
	asgd_ensemble_job job = { 0 };
	asgd_ensemble_outcome out;

	cr_expect_eq(asgd_ensemble_job_run(&job, &out), ASGD_EINVAL);	/* neither */
	job.sim = &sim;
	job.sme = &sme;
	cr_expect_eq(asgd_ensemble_job_run(&job, &out), ASGD_EINVAL);	/* both */
	job.sme = NULL;
	job.exact = 1;
	cr_expect_eq(asgd_ensemble_job_run(&job, &out), ASGD_ENOTFOUND); /* not affine */
	cr_expect_null(out.ens);
	sim.tau_pmf = pmf;
	sim.tau_len = 2;
	cr_expect_eq(asgd_ensemble_job_run(&job, &out), ASGD_EINVAL);	/* not geometric */
	asgd_ensemble_outcome_free(&out);
	asgd_problem_destroy(p);
}

Test(ensemble_job, discrete_paths_summary_and_tables)
{
	asgd_problem *p = preset("fig4");
	asgd_sim_config sim = { .model = ASGD_MODEL_ASGD, .problem = p, .eta = 1e-2, .mu = 0.5,
				.iters = 8, .paths = 70, .seed = 3 };
	asgd_ensemble_job job = { .sim = &sim };
	char *argv[] = { "simulate", "--paths", "70" };
	asgd_ensemble_outcome out;
	char dir[64], k[1024];
	cJSON *j;

	cr_assert_eq(asgd_ensemble_job_run(&job, &out), ASGD_OK);
	cr_assert_not_null(out.ens);
	cr_expect_eq(out.ens->paths_done, 70);
	cr_expect_not_null(out.ens->final, "a 1-D problem keeps its end points for final.csv");
	cr_expect_float_eq(out.dt, sqrt(1e-2 * 0.5), 1e-15);
	j = asgd_ensemble_summary_json("simulate", 3, argv, &job, &out);
	cr_assert_not_null(j);
	keys(j, k, sizeof(k));
	cr_expect_str_eq(k, "command,command_line,model,preset,dim,eta,mu,iters,dt,staleness,exact,paths,"
			    "paths_done,threads,seed,history,truncation,nonfinite_paths,diverged,"
			    "wall_s,path_steps_per_s,machine,partial,");
	cr_expect_str_eq(cJSON_GetObjectItem(j, "staleness")->valuestring, "geometric");
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "command_line")), 4);
	cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(j, "partial")));
	cJSON_Delete(j);
	make_tmpdir(dir);
	cr_expect_eq(asgd_ensemble_write_tables(dir, &job, &out), ASGD_OK);
	cr_expect_eq(count_lines(dir, "moments.csv"), 1 + 9);
	cr_expect_eq(count_lines(dir, "final.csv"), 1 + 70);
	rmdir(dir);
	asgd_ensemble_outcome_free(&out);
	cr_expect_null(out.ens);
	asgd_problem_destroy(p);
}

Test(ensemble_job, sme_paths_summary)
{
	asgd_problem *p = preset("fig6");
	asgd_sme_config sme = { .model = ASGD_MODEL_SME_SGD, .sigma = ASGD_SIGMA_INSTANT,
				.problem = p, .eta = 1e-2, .iters = 4, .substeps = 2, .paths = 8,
				.seed = 1, .batch.constant = 2 };
	asgd_ensemble_job job = { .sme = &sme, .batch_schedule = "b.csv" };
	asgd_ensemble_outcome out;
	char dir[64], k[1024];
	cJSON *j;

	cr_assert_eq(asgd_ensemble_job_run(&job, &out), ASGD_OK);
	cr_expect_null(out.ens->final, "d = 100 with one minimum: no end points kept");
	j = asgd_ensemble_summary_json("sme", 0, NULL, &job, &out);
	cr_assert_not_null(j);
	keys(j, k, sizeof(k));
	cr_expect_str_eq(k, "command,command_line,model,sigma,preset,dim,eta,mu,dt,iters,substeps,"
			    "batch_schedule,exact,paths,paths_done,threads,seed,sigma_clamped,"
			    "nonfinite_paths,diverged,wall_s,path_steps_per_s,machine,partial,");
	cJSON_Delete(j);
	make_tmpdir(dir);
	cr_expect_eq(asgd_ensemble_write_tables(dir, &job, &out), ASGD_OK);
	cr_expect_eq(count_lines(dir, "moments.csv"), 1 + 5 * 100);
	cr_expect_eq(count_lines(dir, "final.csv"), -1);
	rmdir(dir);
	asgd_ensemble_outcome_free(&out);
	asgd_problem_destroy(p);
}

Test(ensemble_job, exact_moments)
{
	asgd_problem *p = preset("fig4");
	asgd_sim_config sim = { .model = ASGD_MODEL_SGD, .problem = p, .eta = 0.1, .iters = 3 };
	asgd_ensemble_job job = { .sim = &sim, .exact = 1 };
	asgd_ensemble_outcome out;
	char dir[64], k[1024];
	cJSON *j;

	cr_assert_eq(asgd_ensemble_job_run(&job, &out), ASGD_OK);
	cr_expect_null(out.ens);
	/* SGD on f = x² from x0 = 1: E x_k = (1 − 2η)^k exactly */
	cr_expect_float_eq(out.exact.mean[3], pow(0.8, 3), 1e-15);
	j = asgd_ensemble_summary_json("simulate", 0, NULL, &job, &out);
	cr_assert_not_null(j);
	keys(j, k, sizeof(k));
	cr_expect_str_eq(k, "command,command_line,model,preset,dim,eta,mu,iters,dt,exact,machine,partial,");
	cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(j, "exact")));
	cJSON_Delete(j);
	make_tmpdir(dir);
	cr_expect_eq(asgd_ensemble_write_tables(dir, &job, &out), ASGD_OK);
	cr_expect_eq(count_lines(dir, "moments.csv"), 1 + 4);
	cr_expect_eq(count_lines(dir, "final.csv"), -1);
	rmdir(dir);
	asgd_ensemble_outcome_free(&out);
	asgd_problem_destroy(p);
}
