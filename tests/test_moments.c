/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_moments.c — ensemble moments are exact on hand-made paths, their standard errors match
 * the real spread of the estimates, and moments.csv has the contract's shape.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/error.h"
#include "asgd/moments.h"
#include "asgd/rng.h"

/* Four paths of two steps: x_0 ∈ {1, 2, 3, 4}, x_1 = 5 on every path. */
static void add_hand_paths(asgd_moments *m)
{
	for (int i = 1; i <= 4; i++) {
		double traj[2] = { (double)i, 5.0 };

		cr_assert_eq(asgd_moments_add_path(m, traj), ASGD_OK);
	}
}

Test(moments, hand_made_paths_exact)
{
	asgd_moments m;
	asgd_moment_row r;

	cr_assert_eq(asgd_moments_init(&m, 2, 1), ASGD_OK);
	add_hand_paths(&m);
	cr_assert_eq(m.paths, 4);
	cr_assert_eq(asgd_moments_get(&m, 0, 0, &r), ASGD_OK);
	/*
	 * x = 1..4: mean 5/2, E x² = 30/4, unbiased var = (9/4+1/4+1/4+9/4)/3 = 5/3.
	 * x² = 1,4,9,16: mean 15/2, unbiased var = (6.5² + 3.5² + 1.5² + 8.5²)/3 = 129/3 = 43.
	 */
	cr_expect_float_eq(r.mean, 2.5, 1e-15);
	cr_expect_float_eq(r.second, 7.5, 1e-15);
	cr_expect_float_eq(r.var, 5.0 / 3.0, 1e-14);
	cr_expect_float_eq(r.se_mean, sqrt(5.0 / 12.0), 1e-14);
	cr_expect_float_eq(r.se_second, sqrt(43.0 / 4.0), 1e-14);
	/* A constant coordinate: no spread at all. */
	cr_assert_eq(asgd_moments_get(&m, 1, 0, &r), ASGD_OK);
	cr_expect_eq(r.mean, 5.0);
	cr_expect_eq(r.second, 25.0);
	cr_expect_eq(r.var, 0.0);
	cr_expect_eq(r.se_mean, 0.0);
	cr_expect_eq(r.se_second, 0.0);
	/* Out of range */
	cr_expect_eq(asgd_moments_get(&m, 2, 0, &r), ASGD_EINVAL);
	cr_expect_eq(asgd_moments_get(&m, 0, 1, &r), ASGD_EINVAL);
	asgd_moments_free(&m);
	asgd_moments_free(&m);	/* harmless twice */
}

Test(moments, few_paths)
{
	asgd_moments m;
	asgd_moment_row r = { 9, 9, 9, 9, 9 };
	double x = 3.0;

	cr_assert_eq(asgd_moments_init(&m, 1, 1), ASGD_OK);
	cr_expect_eq(asgd_moments_get(&m, 0, 0, &r), ASGD_EINVAL, "no paths: nothing to report");
	cr_expect_eq(r.mean, 9.0, "out touched on failure");
	asgd_moments_add_path(&m, &x);
	cr_assert_eq(asgd_moments_get(&m, 0, 0, &r), ASGD_OK);
	cr_expect_eq(r.mean, 3.0);
	cr_expect_eq(r.second, 9.0);
	cr_expect(isnan(r.var) && isnan(r.se_mean) && isnan(r.se_second), "P = 1 has no spread");
	asgd_moments_free(&m);
}

Test(moments, init_rejects)
{
	asgd_moments m;

	cr_expect_eq(asgd_moments_init(&m, 0, 1), ASGD_EINVAL);
	cr_expect_eq(asgd_moments_init(&m, 1, 0), ASGD_EINVAL);
	cr_expect_eq(asgd_moments_init(&m, SIZE_MAX / 2, 3), ASGD_EINVAL);
	cr_expect_eq(asgd_moments_init(NULL, 1, 1), ASGD_EINVAL);
}

/* Integer-valued paths: every sum is exact, so merging must equal one accumulator bit for bit. */
Test(moments, merge_equals_single)
{
	asgd_moments all, a, b, wrong;
	asgd_rng r;

	cr_assert_eq(asgd_moments_init(&all, 3, 2), ASGD_OK);
	cr_assert_eq(asgd_moments_init(&a, 3, 2), ASGD_OK);
	cr_assert_eq(asgd_moments_init(&b, 3, 2), ASGD_OK);
	cr_assert_eq(asgd_moments_init(&wrong, 2, 3), ASGD_OK);
	asgd_rng_init(&r, 5, 0);
	for (int p = 0; p < 50; p++) {
		double traj[6];

		for (int i = 0; i < 6; i++)
			traj[i] = (double)asgd_rng_below(&r, 21) - 10.0;
		asgd_moments_add_path(&all, traj);
		asgd_moments_add_path(p % 3 ? &a : &b, traj);
	}
	cr_assert_eq(asgd_moments_merge(&a, &b), ASGD_OK);
	cr_expect_eq(a.paths, 50);
	cr_expect(memcmp(a.s1, all.s1, 6 * sizeof(double)) == 0);
	cr_expect(memcmp(a.s2, all.s2, 6 * sizeof(double)) == 0);
	cr_expect(memcmp(a.s4, all.s4, 6 * sizeof(double)) == 0);
	cr_expect_eq(asgd_moments_merge(&a, &wrong), ASGD_EINVAL, "shapes differ");
	cr_expect_eq(a.paths, 50, "a failed merge changes nothing");
	asgd_moments_free(&all);
	asgd_moments_free(&a);
	asgd_moments_free(&b);
	asgd_moments_free(&wrong);
}

/*
 * N(0,1) samples. (1) One coordinate with P = 20000: se_mean must be ≈ 1/√P and se_second ≈
 * √(Var x²/P) = √(2/P) within 10%. The estimated sd has relative SE ≈ 1/√(2P) = 0.5%; for x² ~ χ²₁
 * (central 4th moment 60, variance 2) the estimated Var x² has relative SE √(56/P)/2 ≈ 2.6%, so the
 * se has ≈ 1.3%: 10% is > 7 SE.
 * (2) The SEs must predict the actual spread: 2000 independent coordinates of 200 paths each give
 * 2000 estimates of the mean and of E x²; their empirical sd must match the average reported SE
 * within 10%. The empirical sd of 2000 near-normal values has relative SE ≈ 1/√(2·2000) = 1.6%.
 */
Test(moments, standard_errors_match_spread)
{
	const size_t dim = 2000, P = 200, P1 = 20000;
	asgd_moments m, one;
	asgd_moment_row row;
	asgd_rng r;
	double *traj = malloc(dim * sizeof(*traj));
	double sm = 0, smm = 0, ss = 0, sss = 0, se_m = 0, se_s = 0;

	cr_assert(traj);
	asgd_rng_init(&r, 11, 0);
	cr_assert_eq(asgd_moments_init(&one, 1, 1), ASGD_OK);
	for (size_t p = 0; p < P1; p++) {
		double x = asgd_rng_normal(&r);

		asgd_moments_add_path(&one, &x);
	}
	cr_assert_eq(asgd_moments_get(&one, 0, 0, &row), ASGD_OK);
	cr_expect(fabs(row.se_mean * sqrt((double)P1) - 1.0) < 0.1, "se_mean·√P = %g",
		  row.se_mean * sqrt((double)P1));
	cr_expect(fabs(row.se_second / sqrt(2.0 / P1) - 1.0) < 0.1, "se_second/√(2/P) = %g",
		  row.se_second / sqrt(2.0 / P1));
	cr_expect(fabs(row.mean) < 4 * row.se_mean, "mean %g", row.mean);
	cr_expect(fabs(row.second - 1.0) < 4 * row.se_second, "second %g", row.second);
	asgd_moments_free(&one);

	cr_assert_eq(asgd_moments_init(&m, 1, dim), ASGD_OK);
	for (size_t p = 0; p < P; p++) {
		for (size_t c = 0; c < dim; c++)
			traj[c] = asgd_rng_normal(&r);
		asgd_moments_add_path(&m, traj);
	}
	for (size_t c = 0; c < dim; c++) {
		cr_assert_eq(asgd_moments_get(&m, 0, c, &row), ASGD_OK);
		sm += row.mean;
		smm += row.mean * row.mean;
		ss += row.second;
		sss += row.second * row.second;
		se_m += row.se_mean;
		se_s += row.se_second;
	}
	double n = (double)dim;
	double sd_mean = sqrt((smm - sm * sm / n) / (n - 1));
	double sd_second = sqrt((sss - ss * ss / n) / (n - 1));

	cr_expect(fabs(sd_mean / (se_m / n) - 1.0) < 0.1, "spread of means %g, mean se %g",
		  sd_mean, se_m / n);
	cr_expect(fabs(sd_second / (se_s / n) - 1.0) < 0.1, "spread of seconds %g, mean se %g",
		  sd_second, se_s / n);
	asgd_moments_free(&m);
	free(traj);
}

/* Reads a whole small file into a malloc'd string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	cr_assert(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc((size_t)len + 1, 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void tmpdir(char *dir)
{
	strcpy(dir, "/tmp/asgd-test-moments-XXXXXX");
	cr_assert(mkdtemp(dir));
}

Test(moments, csv_scalar)
{
	char dir[64], path[128], *text;
	asgd_moments m;
	asgd_moment_row r;
	double k2[3];

	tmpdir(dir);
	snprintf(path, sizeof(path), "%s/moments.csv", dir);
	cr_assert_eq(asgd_moments_init(&m, 5, 1), ASGD_OK);
	cr_expect_eq(asgd_moments_write_csv(&m, path, 0.1), ASGD_EINVAL, "no paths");
	cr_expect_neq(access(path, F_OK), 0, "nothing written");
	for (int p = 0; p < 3; p++) {
		double traj[5];

		for (int k = 0; k < 5; k++)
			traj[k] = 0.1 * p + k / 3.0;
		asgd_moments_add_path(&m, traj);
	}
	cr_assert_eq(asgd_moments_write_csv(&m, path, 0.1), ASGD_OK);
	text = slurp(path);
	cr_expect_eq(strncmp(text, "k,t,mean,second_moment,var,se_mean,se_second\n", 45), 0,
		     "header: %.60s", text);
	cr_expect_eq(count_lines(text), 6, "header and one row per step");
	/* Row k = 2 holds t = 0.2 and the numbers of asgd_moments_get to 10 digits. */
	const char *row = strstr(text, "\n2,");
	cr_assert(row);
	int k;
	double t;
	cr_assert_eq(sscanf(row + 1, "%d,%lf,%lf,%lf,%lf", &k, &t, &k2[0], &k2[1], &k2[2]), 5);
	cr_assert_eq(asgd_moments_get(&m, 2, 0, &r), ASGD_OK);
	cr_expect_float_eq(t, 0.2, 1e-12);
	cr_expect_float_eq(k2[0], r.mean, 1e-9 * fabs(r.mean));
	cr_expect_float_eq(k2[1], r.second, 1e-9 * fabs(r.second));
	cr_expect_float_eq(k2[2], r.var, 1e-9 * fabs(r.var));
	free(text);
	asgd_moments_free(&m);
	unlink(path);
	rmdir(dir);
}

Test(moments, csv_vector_and_nan)
{
	char dir[64], path[128], *text;
	asgd_moments m;
	double traj[12] = { 0 };

	tmpdir(dir);
	snprintf(path, sizeof(path), "%s/m.csv", dir);
	cr_assert_eq(asgd_moments_init(&m, 4, 3), ASGD_OK);
	asgd_moments_add_path(&m, traj);	/* one path: var and SEs are NaN */
	cr_assert_eq(asgd_moments_write_csv(&m, path, 0.5), ASGD_OK);
	text = slurp(path);
	cr_expect_eq(strncmp(text, "k,t,coord,mean,second_moment,var,se_mean,se_second\n", 51), 0,
		     "header: %.60s", text);
	cr_expect_eq(count_lines(text), 1 + 4 * 3, "one row per (k, coord)");
	cr_expect(strstr(text, "\n3,1.5,2,0,0,nan,nan,nan\n") != NULL, "last row: %s", text);
	cr_expect(strstr(text, "-nan") == NULL);
	free(text);
	/* An unwritable destination fails without leaving anything behind. */
	char bad[160];

	snprintf(bad, sizeof(bad), "%s/missing/m.csv", dir);
	cr_expect_eq(asgd_moments_write_csv(&m, bad, 0.5), ASGD_EIO);
	asgd_moments_free(&m);
	unlink(path);
	cr_expect_eq(rmdir(dir), 0, "no stray temporaries left in the directory");
}
