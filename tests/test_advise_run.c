/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_advise_run.c — the tables of `asgd advise` (asgd/advise_run.h) from a result built by
 * hand: a setting's msd.csv, and advise.csv with a line per setting that ran.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgd/advise_run.h"
#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert(f, "no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(advise_run, tables)
{
	char dir[] = "/tmp/asgd-test-advise-XXXXXX", path[600];
	double msd[2] = { 1, 0.5 }, se[2] = { 0.1, NAN };
	asgd_advise_config c = { .workers = 3, .eta = 0.1 };
	asgd_advise_result r;
	char *csv;

	memset(&r, 0, sizeof(r));
	r.probe.mu_hat = 0.5;
	r.local.a = 2;
	r.floor_current = r.floor_rec = NAN;
	r.cur = (asgd_advise_outcome){ .name = "current", .eta = 0.1, .ran = 1, .replicas = 7,
				       .mu_hat = 0.5, .curve = msd, .curve_se = se, .steps = 2,
				       .final = 0.5, .final_se = NAN, .k_target = NAN,
				       .t_target_s = NAN };
	r.recd = (asgd_advise_outcome){ .name = "recommended" };	/* did not run */
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/current", dir);
	cr_assert_eq(mkdir(path, 0777), 0);
	cr_assert_eq(asgd_advise_write_tables(dir, &c, &r), ASGD_OK);
	snprintf(path, sizeof(path), "%s/current/msd.csv", dir);
	cr_expect_str_eq(slurp(path), "k,msd,se\n0,1,0.1\n1,0.5,nan\n");
	unlink(path);
	snprintf(path, sizeof(path), "%s/recommended/msd.csv", dir);
	cr_expect_neq(access(path, F_OK), 0, "a setting that did not run has no msd.csv");
	snprintf(path, sizeof(path), "%s/advise.csv", dir);
	csv = slurp(path);
	cr_expect_eq(strncmp(csv, "setting,workers,eta,momentum,total_momentum,", 44), 0, "%s", csv);
	csv = strchr(csv, '\n') + 1;
	/* total momentum 1 − (1 − 0.5)(1 − 0) = 0.5; replicas 7 and diverged 0 are counts */
	cr_expect_eq(strncmp(csv, "current,3,0.1,0,0.5,", 20), 0, "%s", csv);
	cr_expect(strstr(csv, ",nan,7,0,0.5,0.5,nan,nan,") != NULL, "%s", csv);
	cr_expect(strchr(csv, '\n') && strchr(csv, '\n')[1] == '\0', "one line per setting that ran");
	unlink(path);
	snprintf(path, sizeof(path), "%s/current", dir);
	rmdir(path);
	rmdir(dir);
}

/*
 * On data the settings are compared on the loss: heart_scale, logistic, a small run. The verdict
 * is on the loss gap f(x_K) − f* and says so; the target is f*·1.01 by default; the curve file
 * is loss_gap.csv with the loss beside its gap, and advise.csv's keys name the gap.
 */
Test(advise_run, data_verdict_on_the_loss)
{
	char dir[] = "/tmp/asgd-test-advise-data-XXXXXX", path[600], err[256];
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 1.0 / 270, .positive = NAN };
	asgd_dataset *ds = NULL;
	asgd_problem *p = NULL;
	asgd_observable obs = { 0 };
	asgd_advise_config c = { 0 };
	asgd_advise_result r;
	char *txt;

	if (asgd_dataset_locate("heart_scale", path, sizeof(path)) != ASGD_OK)
		cr_skip_test("heart_scale is not installed (Debian package liblinear-tools)");
	cr_assert_eq(asgd_dataset_load("heart_scale", NULL, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_problem_create_data(ds, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_observable_init(&obs, "loss", p, err, sizeof(err)), ASGD_OK);
	c = (asgd_advise_config){ .problem = p, .obs = &obs, .workers = 2, .eta = 0.05,
				  .probe_replicas = 2, .replicas = 4, .iters = 300,
				  .target = NAN, .seed = 5 };
	memset(&r, 0, sizeof(r));
	cr_assert_eq(asgd_advise_locate(&c, &r), ASGD_OK);
	cr_expect_eq(r.measure, ASGD_ADVISE_LOSS_GAP);
	cr_expect(r.target_default);
	cr_expect_float_eq(r.fstar, asgd_problem_f(p, r.xstar), 1e-15);
	cr_expect_float_eq(r.target, r.fstar * ASGD_ADVISE_TARGET_LOSS_FACTOR, 1e-15);
	cr_assert_eq(asgd_advise_run(&c, &r), ASGD_OK);
	cr_assert(r.cur.ran && r.recd.ran && !r.partial);
	cr_expect_neq(r.verdict, ASGD_ADVISE_NO_VERDICT);
	cr_expect(strstr(r.verdict_text, "loss gap f(x_K)-f*"), "%s", r.verdict_text);
	/* the gap at k = 0 is f(x0) − f* in every replica */
	cr_expect_float_eq(r.cur.curve[0], asgd_problem_f(p, asgd_problem_x0(p)) - r.fstar, 1e-12);
	cr_expect_eq(r.cur.curve_se[0], 0);
	cr_expect(r.cur.final > 0 && isfinite(r.cur.final_se), "a gap above the optimum");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/current", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/recommended", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_assert_eq(asgd_advise_write_tables(dir, &c, &r), ASGD_OK);
	snprintf(path, sizeof(path), "%s/current/loss_gap.csv", dir);
	txt = slurp(path);
	cr_expect_eq(strncmp(txt, "k,loss,loss_gap,se\n0,", 21), 0, "%.40s", txt);
	snprintf(path, sizeof(path), "%s/advise.csv", dir);
	txt = slurp(path);
	cr_expect(strstr(txt, ",final_loss_gap,final_loss_gap_se,"), "%.300s", txt);
	cr_expect(!strstr(txt, "final_msd"));
	for (const char *const *f = (const char *const[]){ "current/loss_gap.csv",
			"recommended/loss_gap.csv", "advise.csv", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	for (const char *const *f = (const char *const[]){ "current", "recommended", "", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		rmdir(path);
	}
	asgd_advise_result_free(&r);
	asgd_observable_free(&obs);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
}
