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
				       .mu_hat = 0.5, .msd = msd, .msd_se = se, .steps = 2,
				       .final_msd = 0.5, .final_se = NAN, .k_target = NAN,
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
