/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_check.h — the checks the fuzz targets share: a failed check is a crash (abort()), which is
 * what libFuzzer and the corpus replay report. Header-only so that every target stays one .c.
 */
#ifndef ASGD_FUZZ_CHECK_H
#define ASGD_FUZZ_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/dataset.h"
#include "asgd/error.h"

/* Room for an error message, and the byte that marks its unwritten part. */
#define FUZZ_ERRLEN 256
#define FUZZ_POISON 0x5a

/* abort() with @what when @cond fails: assert() would vanish in a Release (NDEBUG) build. */
#define FUZZ_CHECK(cond, what)                                                        \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__,   \
				__LINE__, #cond, what);                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* A copy of @data[0..size) with a NUL after it, for the parsers that take C strings. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* @err, filled with FUZZ_POISON before the call, now holds a non-empty NUL-terminated message. */
static inline void fuzz_check_message(const char *err, size_t errlen)
{
	const char *nul = memchr(err, '\0', errlen);

	FUZZ_CHECK(nul != NULL, "message not NUL-terminated within errlen");
	FUZZ_CHECK(nul > err, "empty error message");
}

/* A reader's return code and message: every failure but ENOMEM says what went wrong. */
static inline void fuzz_check_failure(int rc, const char *err, size_t errlen)
{
	FUZZ_CHECK(rc == ASGD_EPARSE || rc == ASGD_EINVAL || rc == ASGD_EIO || rc == ASGD_ENOMEM,
		   "unexpected return code");
	if (rc != ASGD_ENOMEM)
		fuzz_check_message(err, errlen);
}

/* Every invariant asgd/dataset.h promises of a dataset, recounted from the CSR arrays. */
static inline void fuzz_check_dataset(const asgd_dataset *ds, size_t min_features)
{
	size_t *count, total = 0;

	FUZZ_CHECK(ds && ds->row_ptr && ds->col && ds->val && ds->label && ds->col_count &&
			   ds->source, "missing array");
	FUZZ_CHECK(ds->rows >= 1, "a dataset has rows");
	FUZZ_CHECK(ds->cols >= min_features, "cols below min_features");
	FUZZ_CHECK(ds->classes >= 1 && ds->classes <= ds->rows, "classes");
	FUZZ_CHECK(ds->row_ptr[0] == 0 && ds->row_ptr[ds->rows] == ds->nnz, "row_ptr ends");
	count = calloc(ds->cols ? ds->cols : 1, sizeof(*count));
	if (!count)
		abort();
	for (size_t i = 0; i < ds->rows; i++) {
		FUZZ_CHECK(ds->row_ptr[i] <= ds->row_ptr[i + 1], "row_ptr monotone");
		FUZZ_CHECK(isfinite(ds->label[i]), "label finite");
		for (size_t k = ds->row_ptr[i]; k < ds->row_ptr[i + 1]; k++) {
			FUZZ_CHECK(ds->col[k] < ds->cols, "col < cols");
			FUZZ_CHECK(k == ds->row_ptr[i] || ds->col[k] > ds->col[k - 1],
				   "cols strictly increasing in a row");
			FUZZ_CHECK(isfinite(ds->val[k]), "value finite");
			count[ds->col[k]]++;
		}
	}
	for (size_t j = 0; j < ds->cols; j++) {
		FUZZ_CHECK(ds->col_count[j] == count[j], "col_count");
		total += ds->col_count[j];
	}
	FUZZ_CHECK(total == ds->nnz, "col_count sums to nnz");
	free(count);
}

/* Two datasets hold the same rows, entries and labels (bit for bit). */
static inline void fuzz_check_same(const asgd_dataset *a, const asgd_dataset *b)
{
	FUZZ_CHECK(a->rows == b->rows && a->cols == b->cols && a->nnz == b->nnz &&
			   a->classes == b->classes, "shapes differ");
	FUZZ_CHECK(!memcmp(a->row_ptr, b->row_ptr, (a->rows + 1) * sizeof(*a->row_ptr)) &&
			   !memcmp(a->col, b->col, a->nnz * sizeof(*a->col)) &&
			   !memcmp(a->val, b->val, a->nnz * sizeof(*a->val)) &&
			   !memcmp(a->label, b->label, a->rows * sizeof(*a->label)),
		   "contents differ");
}

#endif /* ASGD_FUZZ_CHECK_H */
