/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * testdata.h — hand-built datasets for the tests of the data models and the engine modes, which
 * must not depend on the readers they do not test. asgd_dataset's fields are public; these
 * helpers allocate, free and read them the same way everywhere.
 */
#ifndef ASGD_TESTDATA_H
#define ASGD_TESTDATA_H

#include <stdlib.h>
#include <string.h>

#include "asgd/dataset.h"

/* Arrays for @rows rows, @cols features and up to @cap stored entries, all zeroed. */
static inline void testdata_alloc(asgd_dataset *ds, size_t rows, size_t cols, size_t cap)
{
	memset(ds, 0, sizeof(*ds));
	ds->rows = rows;
	ds->cols = cols;
	ds->row_ptr = calloc(rows + 1, sizeof(size_t));
	ds->col = calloc(cap, sizeof(uint32_t));
	ds->val = calloc(cap, sizeof(double));
	ds->label = calloc(rows, sizeof(double));
	ds->col_count = calloc(cols, sizeof(size_t));
	ds->source = (char *)"test";
}

static inline void testdata_free(asgd_dataset *ds)
{
	free(ds->row_ptr);
	free(ds->col);
	free(ds->val);
	free(ds->label);
	free(ds->col_count);
}

/* The value stored for (row i, column j), 0 when none is. */
static inline double testdata_entry(const asgd_dataset *ds, size_t i, uint32_t j)
{
	for (size_t e = ds->row_ptr[i]; e < ds->row_ptr[i + 1]; e++)
		if (ds->col[e] == j)
			return ds->val[e];
	return 0;
}

#endif /* ASGD_TESTDATA_H */
