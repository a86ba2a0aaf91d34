/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_rows.c — subsets of a data set's rows for the MPI mode (issue 18): the shard a worker
 * rank keeps (rows i ≡ r mod W) and the fixed sample the parameter server scores the loss on
 * (m rows spread evenly over the set).
 *
 * Both are pure functions of (n, their arguments): every rank computes the same partition
 * without a message, and the shards of W workers cover each row exactly once. Both keep the
 * input's row order and its d, so a feature id means the same column in every part, whatever
 * features a part happens to lack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/dataset.h"
#include "asgd/error.h"
#include "dataset_internal.h"

int asgd__ds_copy_picked(const asgd_dataset *in, asgd__ds_row_pick pick, const void *arg,
			 size_t cols, size_t rows_hint, const char *source, asgd_dataset **out)
{
	asgd__ds_builder b;
	int rc = asgd__ds_builder_init(&b, rows_hint, 0);

	for (size_t i = 0; rc == ASGD_OK && i < in->rows; i++) {
		if (!pick(i, arg))
			continue;
		for (size_t e = in->row_ptr[i]; rc == ASGD_OK && e < in->row_ptr[i + 1]; e++)
			rc = asgd__ds_push(&b, in->col[e], in->val[e]);
		if (rc == ASGD_OK)
			rc = asgd__ds_end_row(&b, in->label[i]);
	}
	if (rc == ASGD_OK)
		rc = asgd__ds_finish(&b, cols, source, out, NULL);
	asgd__ds_builder_free(&b);
	return rc;
}

/* "SOURCE (WHAT)" into a new string, or NULL. */
static char *part_source(const asgd_dataset *in, const char *what)
{
	size_t len = strlen(in->source) + strlen(what) + 4;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s (%s)", in->source, what);
	return s;
}

/* Build the part @pick takes, named "SOURCE (@what)". */
static int make_part(const asgd_dataset *in, asgd__ds_row_pick pick, const void *arg, size_t rows,
		     const char *what, asgd_dataset **out, char *err, size_t errlen)
{
	char *source = part_source(in, what);
	int rc = source ? asgd__ds_copy_picked(in, pick, arg, in->cols, rows, source, out) : ASGD_ENOMEM;

	free(source);
	if (rc == ASGD_ENOMEM)
		snprintf(err, errlen, "out of memory taking %s of %s", what, in->source);
	return rc;
}

struct mod_arg {
	size_t r, W;
};

static int pick_mod(size_t i, const void *arg)
{
	const struct mod_arg *a = arg;

	return i % a->W == a->r;
}

size_t asgd_dataset_rows_mod_count(size_t n, size_t r, size_t W)
{
	if (W == 0 || r >= W || r >= n)
		return 0;
	return (n - r + W - 1) / W;
}

int asgd_dataset_rows_mod(const asgd_dataset *in, size_t r, size_t W, asgd_dataset **out,
			  char *err, size_t errlen)
{
	struct mod_arg a = { r, W };
	char what[96];

	if (!in || !out || W == 0 || r >= W || r >= in->rows) {
		snprintf(err, errlen, "cannot take the rows i = %zu mod %zu of a set of %zu rows: "
			 "allowed 0 <= r < W and r < n (every part needs a row)", r, W,
			 in ? in->rows : 0);
		return ASGD_EINVAL;
	}
	snprintf(what, sizeof(what), "rows i = %zu mod %zu: %zu of %zu", r, W,
		 asgd_dataset_rows_mod_count(in->rows, r, W), in->rows);
	return make_part(in, pick_mod, &a, asgd_dataset_rows_mod_count(in->rows, r, W), what,
			 out, err, errlen);
}

int asgd_dataset_spread_has(size_t n, size_t m, size_t i)
{
	/* The sample is the rows floor(k n / m), k < m. Row i is one of them when some integer k
	 * lies in [i m / n, (i + 1) m / n): when the ceilings of the two ends differ. 128 bits,
	 * since i·m may pass 2^64 for a set of 10^13 rows. */
	unsigned __int128 lo, hi;

	if (m == 0 || m > n || i >= n)
		return 0;
	lo = ((unsigned __int128)i * m + n - 1) / n;
	hi = ((unsigned __int128)(i + 1) * m + n - 1) / n;
	return hi > lo;
}

struct spread_arg {
	size_t n, m;
};

static int pick_spread(size_t i, const void *arg)
{
	const struct spread_arg *a = arg;

	return asgd_dataset_spread_has(a->n, a->m, i);
}

int asgd_dataset_rows_spread(const asgd_dataset *in, size_t m, asgd_dataset **out, char *err,
			     size_t errlen)
{
	struct spread_arg a = { in ? in->rows : 0, m };
	char what[96];

	if (!in || !out || m == 0 || m > in->rows) {
		snprintf(err, errlen, "cannot take a sample of %zu rows of a set of %zu: allowed "
			 "1 to %zu rows", m, in ? in->rows : 0, in ? in->rows : 0);
		return ASGD_EINVAL;
	}
	snprintf(what, sizeof(what), "sample: %zu of %zu rows, spread evenly", m, in->rows);
	return make_part(in, pick_spread, &a, m, what, out, err, errlen);
}

static int pick_all(size_t i, const void *arg)
{
	(void)i;
	(void)arg;
	return 1;
}

int asgd_dataset_widen(const asgd_dataset *in, size_t cols, asgd_dataset **out, char *err,
		       size_t errlen)
{
	int rc;

	if (!in || !out || cols < in->cols) {
		snprintf(err, errlen, "cannot widen a set of %zu columns to %zu: allowed at least "
			 "as many", in ? in->cols : 0, cols);
		return ASGD_EINVAL;
	}
	rc = asgd__ds_copy_picked(in, pick_all, NULL, cols, in->rows, in->source, out);
	if (rc == ASGD_ENOMEM)
		snprintf(err, errlen, "out of memory widening %s", in->source);
	return rc;
}
