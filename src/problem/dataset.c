/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset.c — the dataset object: the CSR builder that readers and generators fill, the
 * per-column and per-label summaries computed once at the end, and the dispatch from a spec
 * ("heart_scale", "csv:PATH", "rcv1:n=...", a path) to the reader or generator that makes it.
 */
#include "asgd/dataset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "asgd/error.h"
#include "dataset_internal.h"

/* The data sets Debian ships, and the package that ships each. */
enum ds_format { FORMAT_LIBSVM, FORMAT_CSV };

struct named_set {
	const char *name;
	const char *path;
	const char *package;
	enum ds_format format;
};

static const struct named_set named_sets[] = {
	{ "heart_scale", "/usr/share/doc/liblinear-tools/examples/heart_scale", "liblinear-tools",
	  FORMAT_LIBSVM },
	{ "breast-cancer", "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv",
	  "python3-sklearn", FORMAT_CSV },
	{ "digits", "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
	  "python3-sklearn", FORMAT_CSV },
};

int asgd__ds_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int asgd__ds_interrupted(char *err, size_t errlen)
{
	return asgd__ds_fail(err, errlen, ASGD_EINTR, "interrupted");
}

int asgd__ds_builder_init(asgd__ds_builder *b, size_t rows_hint, size_t nnz_hint)
{
	memset(b, 0, sizeof(*b));
	b->rows_cap = rows_hint ? rows_hint : ASGD__DS_DEFAULT_ROWS;
	b->nnz_cap = nnz_hint ? nnz_hint : ASGD__DS_DEFAULT_NNZ;
	if (b->rows_cap >= SIZE_MAX / sizeof(size_t) - 1 || b->nnz_cap > SIZE_MAX / sizeof(double))
		return ASGD_ENOMEM;
	b->row_ptr = malloc((b->rows_cap + 1) * sizeof(*b->row_ptr));
	b->label = malloc(b->rows_cap * sizeof(*b->label));
	b->col = malloc(b->nnz_cap * sizeof(*b->col));
	b->val = malloc(b->nnz_cap * sizeof(*b->val));
	if (!b->row_ptr || !b->label || !b->col || !b->val) {
		asgd__ds_builder_free(b);
		return ASGD_ENOMEM;
	}
	b->row_ptr[0] = 0;
	return ASGD_OK;
}

void asgd__ds_builder_free(asgd__ds_builder *b)
{
	if (!b)
		return;
	free(b->row_ptr);
	free(b->label);
	free(b->col);
	free(b->val);
	memset(b, 0, sizeof(*b));
}

/* realloc that leaves *p alone on failure. */
static int grow_array(void **p, size_t count, size_t size)
{
	void *q;

	if (count > SIZE_MAX / size)
		return ASGD_ENOMEM;
	q = realloc(*p, count * size);
	if (!q)
		return ASGD_ENOMEM;
	*p = q;
	return ASGD_OK;
}

int asgd__ds_reserve(asgd__ds_builder *b, size_t extra)
{
	size_t cap = b->nnz_cap;

	if (b->nnz + extra <= cap)
		return ASGD_OK;
	while (cap < b->nnz + extra)
		cap = cap < SIZE_MAX / 4 ? cap * 2 : SIZE_MAX / 2;
	if (grow_array((void **)&b->col, cap, sizeof(*b->col)) ||
	    grow_array((void **)&b->val, cap, sizeof(*b->val)))
		return ASGD_ENOMEM;
	b->nnz_cap = cap;
	return ASGD_OK;
}

int asgd__ds_end_row(asgd__ds_builder *b, double label)
{
	if (b->rows == b->rows_cap) {
		size_t cap = b->rows_cap * 2;

		if (grow_array((void **)&b->row_ptr, cap + 1, sizeof(*b->row_ptr)) ||
		    grow_array((void **)&b->label, cap, sizeof(*b->label)))
			return ASGD_ENOMEM;
		b->rows_cap = cap;
	}
	b->label[b->rows] = label;
	b->rows++;
	b->row_ptr[b->rows] = b->nnz;
	return ASGD_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The distinct values of @label[0..n) in increasing order into a new array; their number. */
static double *sorted_distinct(const double *label, size_t n, size_t *count)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	if (n)
		memcpy(v, label, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || v[i] != v[k - 1])	/* −0 and +0 are one label */
			v[k++] = v[i];
	*count = k;
	return v;
}

/* Shrink the builder's arrays to their contents: a large dataset should not keep its slack. */
static void shrink_to_fit(asgd__ds_builder *b)
{
	size_t nnz = b->nnz ? b->nnz : 1, rows = b->rows ? b->rows : 1;

	if (grow_array((void **)&b->col, nnz, sizeof(*b->col)) == ASGD_OK &&
	    grow_array((void **)&b->val, nnz, sizeof(*b->val)) == ASGD_OK)
		b->nnz_cap = nnz;
	if (grow_array((void **)&b->label, rows, sizeof(*b->label)) == ASGD_OK &&
	    grow_array((void **)&b->row_ptr, rows + 1, sizeof(*b->row_ptr)) == ASGD_OK)
		b->rows_cap = rows;
}

int asgd__ds_finish(asgd__ds_builder *b, size_t cols, const char *source, asgd_dataset **out,
		    const atomic_int *stop)
{
	asgd_dataset *ds;
	double *distinct;
	size_t classes;
	int rc = ASGD_ENOMEM;

	/* Each pass below is over all rows or entries (14 M of them for the default rcv1, tens of
	 * milliseconds): the flag is looked at between them. */
	if (asgd__stop_raised(stop)) {
		asgd__ds_builder_free(b);
		return ASGD_EINTR;
	}
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		goto fail;
	shrink_to_fit(b);
	ds->col_count = calloc(cols ? cols : 1, sizeof(*ds->col_count));
	ds->source = strdup(source ? source : "");
	distinct = sorted_distinct(b->label, b->rows, &classes);
	if (!ds->col_count || !ds->source || !distinct) {
		free(distinct);
		goto fail;
	}
	free(distinct);
	rc = ASGD_EINTR;
	if (asgd__stop_raised(stop))
		goto fail;
	for (size_t k = 0; k < b->nnz; k++)
		ds->col_count[b->col[k]]++;
	if (asgd__stop_raised(stop))
		goto fail;
	ds->rows = b->rows;
	ds->cols = cols;
	ds->nnz = b->nnz;
	ds->row_ptr = b->row_ptr;
	ds->col = b->col;
	ds->val = b->val;
	ds->label = b->label;
	ds->classes = classes;
	memset(b, 0, sizeof(*b));	/* the arrays now belong to ds */
	*out = ds;
	return ASGD_OK;
fail:
	asgd_dataset_destroy(ds);
	asgd__ds_builder_free(b);
	return rc;
}

void asgd_dataset_destroy(asgd_dataset *ds)
{
	if (!ds)
		return;
	free(ds->row_ptr);
	free(ds->col);
	free(ds->val);
	free(ds->label);
	free(ds->col_count);
	free(ds->source);
	free(ds);
}

int asgd_dataset_label_values(const asgd_dataset *ds, double *values, size_t cap, size_t *count)
{
	double *v;
	size_t k;

	if (!ds || !count || (cap && !values))
		return ASGD_EINVAL;
	v = sorted_distinct(ds->label, ds->rows, &k);
	if (!v)
		return ASGD_ENOMEM;
	if (cap)
		memcpy(values, v, (k < cap ? k : cap) * sizeof(*v));
	*count = k;
	free(v);
	return ASGD_OK;
}

static const struct named_set *find_named(const char *name)
{
	for (size_t i = 0; i < sizeof(named_sets) / sizeof(named_sets[0]); i++)
		if (strcmp(name, named_sets[i].name) == 0)
			return &named_sets[i];
	return NULL;
}

const char *const *asgd_dataset_names(size_t *count)
{
	/* named_sets and the generators of is_generator_spec */
	static const char *const names[] = { "heart_scale", "breast-cancer", "digits",
					     "regression", "rcv1" };

	if (count)
		*count = sizeof(names) / sizeof(names[0]);
	return names;
}

int asgd_dataset_locate(const char *name, char *path, size_t len)
{
	const struct named_set *s;

	if (!name || !path)
		return ASGD_EINVAL;
	s = find_named(name);
	if (!s || access(s->path, R_OK) != 0)
		return ASGD_ENOTFOUND;
	if (strlen(s->path) >= len)
		return ASGD_EINVAL;
	memcpy(path, s->path, strlen(s->path) + 1);
	return ASGD_OK;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* "regression", "rcv1", or either followed by ':' and parameters. */
static int is_generator_spec(const char *spec)
{
	static const char *const gens[] = { "regression", "rcv1" };

	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++) {
		size_t n = strlen(gens[i]);

		if (strncmp(spec, gens[i], n) == 0 && (spec[n] == '\0' || spec[n] == ':'))
			return 1;
	}
	return 0;
}

static int read_format(enum ds_format f, const char *path, const asgd_dataset_options *opt,
		       asgd_dataset **out, char *err, size_t errlen)
{
	return f == FORMAT_CSV ? asgd_dataset_read_csv(path, opt, out, err, errlen)
			       : asgd_dataset_read_libsvm(path, opt, out, err, errlen);
}

static int load_named(const struct named_set *s, const asgd_dataset_options *opt,
		      asgd_dataset **out, char *err, size_t errlen)
{
	char path[512];

	if (asgd_dataset_locate(s->name, path, sizeof(path)) != ASGD_OK)
		return asgd__ds_fail(err, errlen, ASGD_ENOTFOUND,
				     "data set %s is not installed (expected %s): install the "
				     "Debian package %s, e.g. 'sudo apt-get install %s'",
				     s->name, s->path, s->package, s->package);
	return read_format(s->format, path, opt, out, err, errlen);
}

int asgd_dataset_load(const char *spec, const asgd_dataset_options *opt, asgd_dataset **out,
		      char *err, size_t errlen)
{
	const struct named_set *named;

	if (!spec || !out)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "no data set given");
	named = find_named(spec);
	if (named)
		return load_named(named, opt, out, err, errlen);
	if (is_generator_spec(spec))
		return asgd__ds_generate(spec, opt ? opt->min_features : 0, opt ? opt->stop : NULL,
					 out, err, errlen);
	if (strncmp(spec, "csv:", 4) == 0)
		return asgd_dataset_read_csv(spec + 4, opt, out, err, errlen);
	if (strncmp(spec, "libsvm:", 7) == 0)
		return asgd_dataset_read_libsvm(spec + 7, opt, out, err, errlen);
	if (has_suffix(spec, ".csv") || has_suffix(spec, ".csv.gz"))
		return asgd_dataset_read_csv(spec, opt, out, err, errlen);
	return asgd_dataset_read_libsvm(spec, opt, out, err, errlen);
}
