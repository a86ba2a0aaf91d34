/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_split.c — a held-out split of a data set (issue 16): a test set is how a practitioner
 * learns whether a model generalises, and a fraction of the training rows is the one at hand.
 *
 * The held-out rows are the first m of a Fisher–Yates shuffle drawn from one asgd_rng stream, so
 * they are a uniformly random m-subset, the same for the same seed on every machine. Both parts
 * keep the input's row order and its d: a feature id means the same column in both, and a model
 * fitted on the training part has a weight for every column of the test part.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/dataset.h"
#include "asgd/rng.h"
#include "dataset_internal.h"

/* The held-out rows: held[i] = 1 for the first @m of a shuffle of 0..n−1 from (@seed, 0). */
static int pick_held_out(size_t n, size_t m, uint64_t seed, unsigned char *held)
{
	size_t *perm = malloc(n * sizeof(size_t));
	asgd_rng r;

	if (!perm)
		return ASGD_ENOMEM;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	asgd_rng_init(&r, seed, 0);
	for (size_t i = 0; i < m; i++) { /* only the first m positions need drawing */
		size_t j = i + (size_t)asgd_rng_below(&r, n - i), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
		held[perm[i]] = 1;
	}
	free(perm);
	return ASGD_OK;
}

struct held_pick {
	const unsigned char *held;
	int want;
};

static int pick_held(size_t i, const void *arg)
{
	const struct held_pick *h = arg;

	return h->held[i] == h->want;
}

/* The rows of @in whose held[i] equals @want, in order, as a new set named @source. */
static int copy_rows(const asgd_dataset *in, const unsigned char *held, int want,
		     const char *source, asgd_dataset **out)
{
	struct held_pick h = { held, want };

	return asgd__ds_copy_picked(in, pick_held, &h, in->cols, 0, source, out);
}

static int build_parts(const asgd_dataset *in, const unsigned char *held, size_t m,
		       uint64_t seed, asgd_dataset **train, asgd_dataset **test)
{
	size_t len = strlen(in->source) + 96;
	char *source = malloc(len);
	asgd_dataset *tr = NULL, *te = NULL;
	int rc = source ? ASGD_OK : ASGD_ENOMEM;

	if (rc == ASGD_OK) {
		snprintf(source, len, "%s (train: %zu of %zu rows, split seed %llu)", in->source,
			 in->rows - m, in->rows, (unsigned long long)seed);
		rc = copy_rows(in, held, 0, source, &tr);
	}
	if (rc == ASGD_OK) {
		snprintf(source, len, "%s (held out: %zu of %zu rows, split seed %llu)",
			 in->source, m, in->rows, (unsigned long long)seed);
		rc = copy_rows(in, held, 1, source, &te);
	}
	free(source);
	if (rc != ASGD_OK) {
		asgd_dataset_destroy(tr);
		return rc;
	}
	*train = tr;
	*test = te;
	return ASGD_OK;
}

int asgd_dataset_split(const asgd_dataset *in, double fraction, uint64_t seed,
		       asgd_dataset **train, asgd_dataset **test, char *err, size_t errlen)
{
	unsigned char *held;
	double m;
	int rc;

	if (!in || !train || !test || !(fraction > 0 && fraction < 1) || in->rows < 2) {
		snprintf(err, errlen, "cannot hold out a fraction %g of %zu rows: allowed a fraction "
			 "in (0, 1) of at least 2 rows", fraction, in ? in->rows : 0);
		return ASGD_EINVAL;
	}
	m = fmin(fmax(round(fraction * (double)in->rows), 1), (double)(in->rows - 1));
	held = calloc(in->rows, 1);
	rc = held ? pick_held_out(in->rows, (size_t)m, seed, held) : ASGD_ENOMEM;
	if (rc == ASGD_OK)
		rc = build_parts(in, held, (size_t)m, seed, train, test);
	free(held);
	if (rc == ASGD_ENOMEM)
		snprintf(err, errlen, "out of memory splitting %s", in->source);
	return rc;
}
