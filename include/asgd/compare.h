/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/compare.h — how far one model's moments are from another's, with standard errors.
 *
 * The paper's claim is a comparison: "SME-ASGD predicts ASGD's first and second moments, SME-SGD
 * does not". To make such a claim a number, both sides become a moment table (mean and raw second
 * moment per step and coordinate, with standard errors — zero for exact moments), and a gap is the
 * largest difference over the horizon, reported with the standard error of that difference. A
 * gap smaller than about two of its standard errors is indistinguishable from Monte Carlo noise.
 */
#ifndef ASGD_COMPARE_H
#define ASGD_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "asgd/exact.h"
#include "asgd/moments.h"

/* Moments of one model, row-major at k*dim + coord. Standard errors are 0 for exact moments. */
typedef struct asgd_moment_table {
	size_t steps, dim;
	double dt;		/* time between rows (row r sits at t = r*dt) */
	double *mean, *second, *se_mean, *se_second;
} asgd_moment_table;

/*
 * asgd_table_from_moments - a table from an ensemble's power sums (asgd_moments_get per cell);
 * @dt is the time of one iteration, and rows m->stride iterations apart sit @dt·stride apart.
 * Returns 0, ASGD_EINVAL (NULL, or no paths), or ASGD_ENOMEM. Free with asgd_table_free().
 */
int asgd_table_from_moments(const asgd_moments *m, double dt, asgd_moment_table *out);

/* asgd_table_from_exact - a table from exact moments, standard errors 0. As above. */
int asgd_table_from_exact(const asgd_exact_moments *m, asgd_moment_table *out);

/* asgd_table_free - release a table; NULL and a freed table are harmless. */
void asgd_table_free(asgd_moment_table *t);

/*
 * The largest gaps between a model and a reference over steps k ≥ 1 (step 0 is the shared initial
 * point) and all coordinates.
 *   mean:   max |E_model x − E_ref x|, at (mean_k, mean_coord), with the SE of that difference.
 *   second: max |E_model x² − E_ref x²| / |E_ref x²| (relative), at (second_k, second_coord), with
 *           its delta-method SE; also the absolute difference there. Cells where |E_ref x²| is
 *           below 1e-300 are skipped.
 */
typedef struct asgd_gap {
	double mean, mean_se;
	size_t mean_k, mean_coord;
	double second_rel, second_rel_se, second_abs;
	size_t second_k, second_coord;
} asgd_gap;

/*
 * asgd_gap_compute - the gaps of @model against @ref over their common steps.
 * Returns 0, or ASGD_EINVAL (NULL, different dim, or fewer than 2 common steps).
 */
int asgd_gap_compute(const asgd_moment_table *model, const asgd_moment_table *ref, asgd_gap *out);

/*
 * asgd_gap_add_json - add the keys of gap @g to the JSON object @j, in this order: "mean_gap",
 * "mean_gap_se", "mean_gap_k", "second_rel_gap", "second_rel_gap_se", "second_abs_gap",
 * "second_gap_k" (the one schema of a gap in every result file).
 * Returns 0, ASGD_EINVAL (NULL argument), or ASGD_ENOMEM when a key could not be added.
 */
int asgd_gap_add_json(cJSON *j, const asgd_gap *g);

/*
 * asgd_basin_fractions - the fraction of paths whose final point is nearest each local minimum,
 * with its binomial standard error sqrt(f(1−f)/P).
 * @final:  P points of @dim values (NaN points — unfinished or diverged paths — are not counted).
 * @minima: @count points of @dim values.
 * @frac, @se: @count values each. *@counted receives the number of points counted (may be NULL).
 * Returns 0, or ASGD_EINVAL (NULL, count 0, or no finite point).
 */
int asgd_basin_fractions(const double *final, uint64_t paths, size_t dim, const double *minima,
			 size_t count, double *frac, double *se, uint64_t *counted);

/*
 * asgd_order_fit - the order p of a gap that scales as C·Δtᵖ: the least-squares slope of log @y
 * on log @x over the points i < @n with @use[i] nonzero (NULL: all) and x, y > 0, into *@slope,
 * with its standard error from the residuals into *@se (n − 2 degrees of freedom). NAN where it
 * is not defined: *slope for fewer than two usable points or no spread in x, *se for fewer than
 * three. Used by `asgd order` to set a measured order against Theorem 3's.
 */
void asgd_order_fit(const double *x, const double *y, const int *use, unsigned n, double *slope,
		    double *se);

#endif /* ASGD_COMPARE_H */
