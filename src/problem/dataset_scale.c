/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_scale.c — feature scaling, as practitioners scale before they train (issue 16).
 *
 * Unscaled features make SGD's step a compromise between the largest and the smallest column:
 * breast-cancer, with values up to 4254, gets a default η of 1.6e-7 and ends far from its
 * optimum. Two scalings are offered, each computed over all n rows (stored zeros included):
 *
 *   maxabs    x_ij / max_i |x_ij|: every column within [−1, 1], zeros stay zeros, so a sparse
 *             set stays sparse (scikit-learn's MaxAbsScaler);
 *   standard  (x_ij − mean_j) / sd_j, population sd: every column centred and of unit
 *             variance; centring fills the zeros in, so the result is dense (n·d entries),
 *             refused beyond ASGD_SCALE_MAX_DENSE entries.
 *
 * A column that is constant (sd 0) or never stored (max 0) keeps its values under maxabs and
 * becomes 0 under standard. The scaled set is a new one; the input is not changed.
 *
 * Fitting (asgd_scale_fit) and applying (asgd_scale_apply) are apart so that a held-out set is
 * scaled with the training set's statistics, as a deployed model would see new data.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/dataset.h"
#include "core/names_internal.h"
#include "dataset_internal.h"

ASGD__NAMED_ENUM(asgd_scale, asgd_scale, "none", "maxabs", "standard")

/* Per column: the largest |value|, or the mean and the population sd over all n rows. */
static void column_stats(const asgd_dataset *in, asgd_scale how, double *a, double *b)
{
	size_t d = in->cols, n = in->rows;

	memset(a, 0, d * sizeof(double));
	memset(b, 0, d * sizeof(double));
	for (size_t e = 0; e < in->nnz; e++) {
		double v = in->val[e];

		if (how == ASGD_SCALE_MAXABS) {
			a[in->col[e]] = fmax(a[in->col[e]], fabs(v));
		} else {
			a[in->col[e]] += v;
			b[in->col[e]] += v * v;
		}
	}
	if (how != ASGD_SCALE_STANDARD)
		return;
	for (size_t j = 0; j < d; j++) {
		double mean = a[j] / (double)n, var = b[j] / (double)n - mean * mean;

		a[j] = mean;
		b[j] = var > 1e-300 ? sqrt(var) : 0;
	}
}

/* Row i of @in, scaled with @st, into the builder: columns at or beyond st->cols are dropped. */
static int scaled_row(asgd__ds_builder *bld, const asgd_dataset *in, size_t i,
		      const asgd_scale_stats *st)
{
	size_t e = in->row_ptr[i], end = in->row_ptr[i + 1];
	const double *a = st->a, *b = st->b;
	int rc = ASGD_OK;

	if (st->how == ASGD_SCALE_MAXABS) {
		for (; rc == ASGD_OK && e < end && in->col[e] < st->cols; e++)
			rc = asgd__ds_push(bld, in->col[e],
					   a[in->col[e]] > 0 ? in->val[e] / a[in->col[e]] : in->val[e]);
		return rc == ASGD_OK ? asgd__ds_end_row(bld, in->label[i]) : rc;
	}
	for (uint32_t j = 0; rc == ASGD_OK && j < st->cols; j++) { /* standard: every column */
		double v = e < end && in->col[e] == j ? in->val[e++] : 0;

		rc = asgd__ds_push(bld, j, b[j] > 0 ? (v - a[j]) / b[j] : 0);
	}
	return rc == ASGD_OK ? asgd__ds_end_row(bld, in->label[i]) : rc;
}

static int scale_rows(const asgd_dataset *in, const asgd_scale_stats *st, asgd_dataset **out)
{
	size_t nnz = st->how == ASGD_SCALE_STANDARD ? in->rows * st->cols : in->nnz;
	size_t len = strlen(in->source) + 32;
	char *source = malloc(len);
	asgd__ds_builder bld;
	int rc = source ? asgd__ds_builder_init(&bld, in->rows, nnz ? nnz : 1) : ASGD_ENOMEM;

	if (rc != ASGD_OK) {
		free(source);
		return rc;
	}
	snprintf(source, len, "%s (scaled: %s)", in->source, asgd_scale_name(st->how));
	for (size_t i = 0; rc == ASGD_OK && i < in->rows; i++)
		rc = scaled_row(&bld, in, i, st);
	if (rc == ASGD_OK)
		rc = asgd__ds_finish(&bld, st->cols, source, out, NULL);
	asgd__ds_builder_free(&bld);
	free(source);
	return rc;
}

/* Whether standard scaling of @in's rows over @cols columns would store too many entries
 * (then a sentence in @err). */
static int too_dense(asgd_scale how, const asgd_dataset *in, size_t cols, char *err,
		     size_t errlen)
{
	if (how != ASGD_SCALE_STANDARD || !cols || in->rows <= ASGD_SCALE_MAX_DENSE / cols)
		return 0;
	snprintf(err, errlen, "standard scaling centres every column, which would store all "
		 "%zu x %zu entries of %s (more than %llu): use maxabs, which keeps the data "
		 "sparse", in->rows, cols, in->source, (unsigned long long)ASGD_SCALE_MAX_DENSE);
	return 1;
}

static int check_how(asgd_scale how, char *err, size_t errlen)
{
	if (!asgd_scale_name(how) || how == ASGD_SCALE_NONE) {
		snprintf(err, errlen, "scale: nothing to do (allowed maxabs, standard)");
		return ASGD_EINVAL;
	}
	return ASGD_OK;
}

int asgd_scale_fit(const asgd_dataset *in, asgd_scale how, asgd_scale_stats *st, char *err,
		   size_t errlen)
{
	size_t d;

	if (!in || !st)
		return check_how(ASGD_SCALE_NONE, err, errlen);
	if (check_how(how, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	d = in->cols ? in->cols : 1;
	*st = (asgd_scale_stats){ how, in->cols, malloc(d * sizeof(double)),
				  malloc(d * sizeof(double)) };
	if (!st->a || !st->b) {
		asgd_scale_stats_free(st);
		snprintf(err, errlen, "out of memory scaling %s", in->source);
		return ASGD_ENOMEM;
	}
	column_stats(in, how, st->a, st->b);
	return ASGD_OK;
}

int asgd_scale_apply(const asgd_dataset *in, const asgd_scale_stats *st, asgd_dataset **out,
		     char *err, size_t errlen)
{
	int rc;

	if (!in || !st || !out || !st->a || !st->b)
		return check_how(ASGD_SCALE_NONE, err, errlen);
	if (check_how(st->how, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	if (too_dense(st->how, in, st->cols, err, errlen))
		return ASGD_EINVAL;
	rc = scale_rows(in, st, out);
	if (rc == ASGD_ENOMEM)
		snprintf(err, errlen, "out of memory scaling %s", in->source);
	return rc;
}

void asgd_scale_stats_free(asgd_scale_stats *st)
{
	if (!st)
		return;
	free(st->a);
	free(st->b);
	st->a = st->b = NULL;
}

int asgd_dataset_scale(const asgd_dataset *in, asgd_scale how, asgd_dataset **out, char *err,
		       size_t errlen)
{
	asgd_scale_stats st = { 0 };
	int rc;

	if (!in || !out)
		return check_how(ASGD_SCALE_NONE, err, errlen);
	if (check_how(how, err, errlen) != ASGD_OK)
		return ASGD_EINVAL;
	if (too_dense(how, in, in->cols, err, errlen)) /* before a pass over the data */
		return ASGD_EINVAL;
	rc = asgd_scale_fit(in, how, &st, err, errlen);
	if (rc == ASGD_OK)
		rc = asgd_scale_apply(in, &st, out, err, errlen);
	asgd_scale_stats_free(&st);
	return rc;
}
