/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_compare.c — gaps between moment tables and basin fractions: hand-computed cases, the
 * standard errors' formulas, and that a non-finite cell is reported rather than hidden.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "asgd/compare.h"
#include "asgd/error.h"

/* A table of @steps rows, one coordinate, with mean k*a, second 1 + k*b and SEs se. */
static asgd_moment_table table(size_t steps, double a, double b, double se)
{
	asgd_exact_moments m = { .steps = steps, .dim = 1, .dt = 0.5 };
	asgd_moment_table t;
	double mean[16], second[16];

	cr_assert_leq(steps, 16);
	m.mean = mean;
	m.second = second;
	for (size_t k = 0; k < steps; k++) {
		mean[k] = (double)k * a;
		second[k] = 1 + (double)k * b;
	}
	cr_assert_eq(asgd_table_from_exact(&m, &t), 0);
	for (size_t k = 0; k < steps; k++)
		t.se_mean[k] = t.se_second[k] = se;
	return t;
}

Test(compare, largest_gaps_and_their_standard_errors)
{
	asgd_moment_table ref = table(5, 1.0, 1.0, 0.03), model = table(5, 1.5, 2.0, 0.04);
	asgd_gap g;

	cr_assert_eq(asgd_gap_compute(&model, &ref, &g), 0);
	/* mean gap 0.5k, largest at k = 4: 2.0, SE hypot(0.03, 0.04) = 0.05 */
	cr_assert_float_eq(g.mean, 2.0, 1e-12);
	cr_assert_float_eq(g.mean_se, 0.05, 1e-12);
	cr_assert_eq(g.mean_k, 4);
	/* relative second gap k/(1+k), largest at k = 4: 0.8; delta-method SE:
	 * sqrt(0.04² + (9/5)² 0.03²)/5 */
	cr_assert_float_eq(g.second_rel, 0.8, 1e-12);
	cr_assert_float_eq(g.second_rel_se, sqrt(0.04 * 0.04 + 3.24 * 0.03 * 0.03) / 5, 1e-12);
	cr_assert_float_eq(g.second_abs, 4.0, 1e-12);
	asgd_table_free(&ref);
	asgd_table_free(&model);
}

Test(compare, step_zero_is_ignored_and_nan_is_reported)
{
	asgd_moment_table ref = table(4, 0.0, 0.0, 0), model = table(4, 0.0, 0.0, 0);
	asgd_gap g;

	model.mean[0] = 100;	/* the shared initial point is not a gap */
	cr_assert_eq(asgd_gap_compute(&model, &ref, &g), 0);
	cr_assert_float_eq(g.mean, 0, 1e-15);
	model.mean[2] = NAN;	/* a diverged cell must not hide behind finite ones */
	model.second[3] = INFINITY;
	cr_assert_eq(asgd_gap_compute(&model, &ref, &g), 0);
	cr_assert(isnan(g.mean));
	cr_assert(!isfinite(g.second_rel));	/* inf: the largest gap is infinite */
	asgd_table_free(&ref);
	asgd_table_free(&model);
}

Test(compare, shapes_must_agree)
{
	asgd_moment_table a = table(4, 0, 0, 0), b = table(1, 0, 0, 0);
	asgd_gap g;

	cr_assert_eq(asgd_gap_compute(&a, &b, &g), ASGD_EINVAL);
	b.dim = 2;
	cr_assert_eq(asgd_gap_compute(&a, &b, &g), ASGD_EINVAL);
	b.dim = 1;
	cr_assert_eq(asgd_gap_compute(NULL, &b, &g), ASGD_EINVAL);
	asgd_table_free(&a);
	asgd_table_free(&b);
}

Test(compare, table_from_moments_matches_power_sums)
{
	asgd_moments m;
	asgd_moment_table t;
	double p1[2] = { 1, 3 }, p2[2] = { 3, 5 };

	cr_assert_eq(asgd_moments_init(&m, 2, 1), 0);
	asgd_moments_add_path(&m, p1);
	asgd_moments_add_path(&m, p2);
	cr_assert_eq(asgd_table_from_moments(&m, 0.1, &t), 0);
	cr_assert_float_eq(t.mean[1], 4, 1e-12);
	cr_assert_float_eq(t.second[1], 17, 1e-12);
	cr_assert_float_eq(t.se_mean[1], 1, 1e-12);	/* sample var 2, /2 paths */
	cr_assert_float_eq(t.dt, 0.1, 1e-15);
	asgd_table_free(&t);
	asgd_moments_free(&m);
}

Test(compare, basin_fractions_with_binomial_errors)
{
	double minima[2] = { -1, 1 }, frac[2], se[2];
	double final[10] = { 0.9, 1.2, -0.8, 0.1, NAN, 2.0, -3.0, 0.7, 0.95, 1.01 };
	uint64_t counted;

	cr_assert_eq(asgd_basin_fractions(final, 10, 1, minima, 2, frac, se, &counted), 0);
	cr_assert_eq(counted, 9);	/* the NaN path is not counted */
	cr_assert_float_eq(frac[0], 2.0 / 9, 1e-12);
	cr_assert_float_eq(frac[1], 7.0 / 9, 1e-12);
	cr_assert_float_eq(se[1], sqrt((7.0 / 9) * (2.0 / 9) / 9), 1e-12);
	final[0] = NAN;
	for (int i = 0; i < 10; i++)
		final[i] = NAN;
	cr_assert_eq(asgd_basin_fractions(final, 10, 1, minima, 2, frac, se, NULL), ASGD_EINVAL);
}

/* The order fit is ordinary least squares on (log x, log y): an exact power law gives its
 * exponent; three points give the textbook slope and standard error, worked by hand:
 * log x = 0, 1, 2 and log y = 0, 1.1, 1.9 have slope Σ(u−ū)(v−v̄)/Σ(u−ū)² = 1.9/2 = 0.95,
 * intercept 0.05, residuals −0.05, 0.1, −0.05, so SE = √(0.015/(3−2)/2) = √0.0075. */
Test(compare, order_fit_is_least_squares_on_logs)
{
	double x[5], y[5], slope, se;
	int use[5] = { 1, 1, 1, 1, 0 };

	for (int i = 0; i < 5; i++) {
		x[i] = pow(0.5, i);
		y[i] = 3 * pow(x[i], 1.5);
	}
	y[4] = 1e6; /* excluded by use[] */
	asgd_order_fit(x, y, use, 5, &slope, &se);
	cr_assert(fabs(slope - 1.5) < 1e-12, "slope %.17g", slope);
	cr_assert(se < 1e-6, "se %.3g of an exact power law", se);
	asgd_order_fit(x, y, NULL, 5, &slope, &se);
	cr_assert(fabs(slope - 1.5) > 0.1, "the outlier must count without use[]: slope %g", slope);

	double u[3] = { 1, exp(1), exp(2) }, v[3] = { 1, exp(1.1), exp(1.9) };

	asgd_order_fit(u, v, NULL, 3, &slope, &se);
	cr_assert(fabs(slope - 0.95) < 1e-12, "slope %.17g, expected 0.95", slope);
	cr_assert(fabs(se - sqrt(0.0075)) < 1e-12, "se %.17g, expected sqrt(0.0075)", se);
	asgd_order_fit(u, v, NULL, 2, &slope, &se);
	cr_assert(fabs(slope - 1.1) < 1e-12 && isnan(se), "two points: slope %g, se %g", slope, se);
	asgd_order_fit(u, v, NULL, 1, &slope, &se);
	cr_assert(isnan(slope) && isnan(se));
}

/* A gap's JSON keys, in their order, with the step indices as numbers and no coordinates. */
Test(compare, gap_json_keys)
{
	static const char *const keys[] = { "mean_gap", "mean_gap_se", "mean_gap_k", "second_rel_gap",
					    "second_rel_gap_se", "second_abs_gap", "second_gap_k" };
	asgd_gap g = { .mean = 0.5, .mean_se = 0.1, .mean_k = 7, .mean_coord = 2,
		       .second_rel = 0.25, .second_rel_se = 0.05, .second_abs = 3,
		       .second_k = 9, .second_coord = 1 };
	const double want[] = { 0.5, 0.1, 7, 0.25, 0.05, 3, 9 };
	cJSON *j = cJSON_CreateObject(), *item;
	int i = 0;

	asgd_gap_add_json(j, &g);
	cr_assert_eq(cJSON_GetArraySize(j), 7);
	cJSON_ArrayForEach(item, j) {
		cr_assert_str_eq(item->string, keys[i]);
		cr_assert_float_eq(item->valuedouble, want[i], 0, "%s", keys[i]);
		i++;
	}
	cJSON_Delete(j);
}
