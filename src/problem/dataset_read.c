/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_read.c — the LIBSVM and CSV readers, of files gzip or plain and of buffers in memory
 * (both through dataset_lines.c, so a buffer reads exactly as a plain file of the same bytes).
 *
 * Lines come NUL-terminated and in place from the line reader, and tokens are cut in place too:
 * the blank or comma after a token is overwritten by a NUL, which is safe because the scan has
 * already moved past it, so numbers are converted where they lie without copying. The first bad
 * token stops a reader with "FILE:LINE:COLUMN: found 'TOKEN', expected WHAT"; nothing is skipped
 * but blank lines, comments and a CSV header. A raised stop flag (the options') ends a reader with
 * ASGD_EINTR: the line reader looks at it before every read, the parsers every 4096 tokens of a
 * line.
 */
#include "asgd/dataset.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "dataset_internal.h"

/* What messages and the dataset's source call a buffer given no name. */
#define BUFFER_NAME "(buffer)"
/* Within one line, the stop flag is looked at every 4096 tokens or fields (the line reader looks
 * before every read; only a very long line needs more). */
#define LINE_STOP_MASK 4095u

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits only, at most UINT32_MAX, filling @s[0..n). */
static bool id_ok(const char *s, size_t n, uint32_t *id)
{
	uint64_t v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*id = (uint32_t)v;
	return true;
}

/* What the LIBSVM reader carries from row to row. */
struct libsvm_state {
	asgd__line_reader lr;
	asgd__ds_builder b;
	asgd_index_base base;
	bool saw_zero;		/* some feature id is 0 */
	uint32_t max_id;	/* the largest feature id read, as written */
	uint32_t max_feature_id; /* from the options; 0: no limit */
	char *err;
	size_t errlen;
};

/* "qid:Q" with Q a non-negative integer (its value is not used). */
static bool is_qid(const char *tok, size_t n)
{
	if (n < 4 || memcmp(tok, "qid:", 4) != 0)
		return false;
	if (n == 4)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!is_digit(tok[i]))
			return false;
	return true;
}

/* One "ID:VALUE" token of @line at byte @at; @prev is the row's previous id (or −1). */
static int libsvm_feature(struct libsvm_state *st, char *line, size_t at, size_t n,
			  int64_t *prev)
{
	char *tok = line + at;
	char *colon = memchr(tok, ':', n);
	uint32_t id;
	double v;
	char what[96];

	if (!colon || !id_ok(tok, (size_t)(colon - tok), &id) ||
	    !asgd__number_ok(colon + 1, n - (size_t)(colon - tok) - 1, &v))
		return asgd__lines_syntax_error(&st->lr, at, tok, n, st->err, st->errlen,
						"a feature id:value pair");
	if (id == 0 && st->base == ASGD_INDEX_ONE)
		return asgd__lines_syntax_error(&st->lr, at, tok, n, st->err, st->errlen,
						"a feature id of at least 1 (ids are read as 1-based)");
	if (st->max_feature_id && id > st->max_feature_id) {
		snprintf(what, sizeof(what), "a feature id of at most %" PRIu32
			 " (the reader's limit)", st->max_feature_id);
		return asgd__lines_syntax_error(&st->lr, at, tok, n, st->err, st->errlen, what);
	}
	if ((int64_t)id <= *prev) {
		snprintf(what, sizeof(what),
			 "a feature id above %lld (ids increase in a row)", (long long)*prev);
		return asgd__lines_syntax_error(&st->lr, at, tok, n, st->err, st->errlen, what);
	}
	*prev = id;
	st->saw_zero |= id == 0;
	if (id > st->max_id)
		st->max_id = id;
	return asgd__ds_push(&st->b, id, v);
}

/* One line: "LABEL [qid:Q] ID:VALUE ... [# comment]", or blank, or only a comment. */
static int libsvm_line(struct libsvm_state *st, char *line, size_t n)
{
	char *hash = memchr(line, '#', n);
	size_t i = 0, tokens = 0;
	int64_t prev = -1;
	double label = 0;

	if (hash) {
		n = (size_t)(hash - line);
		line[n] = '\0';
	}
	for (;;) {
		size_t start;
		int rc;

		while (i < n && asgd__is_blank(line[i]))
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && !asgd__is_blank(line[i]))
			i++;
		line[i] = '\0';	/* the blank (or the end) after the token */
		if (tokens == 0) {
			if (!asgd__number_ok(line + start, i - start, &label))
				return asgd__lines_syntax_error(&st->lr, start, line + start,
								i - start, st->err, st->errlen,
								"a label (a decimal number)");
		} else if (!(tokens == 1 && is_qid(line + start, i - start))) {
			rc = libsvm_feature(st, line, start, i - start, &prev);
			if (rc)
				return rc;
		}
		tokens++;
		if (i < n)
			i++;
		/* A line may be megabytes long (a corrupt file, no newline): look at the flag. */
		if ((tokens & LINE_STOP_MASK) == 0 && asgd__stop_raised(st->lr.stop))
			return asgd__ds_interrupted(st->err, st->errlen);
	}
	return tokens ? asgd__ds_end_row(&st->b, label) : ASGD_OK;
}

/* Map the ids as written to 0-based columns; the number of columns. */
static size_t libsvm_columns(struct libsvm_state *st, size_t min_features)
{
	bool one_based = st->base == ASGD_INDEX_ONE ||
			 (st->base == ASGD_INDEX_AUTO && !st->saw_zero);
	size_t cols = 0;

	if (st->b.nnz > 0)
		cols = (size_t)st->max_id + (one_based ? 0 : 1);
	if (one_based)
		for (size_t k = 0; k < st->b.nnz; k++)
			st->b.col[k]--;
	return cols > min_features ? cols : min_features;
}

static const asgd_dataset_options default_options;

/*
 * The builder's first size for @def (rows or entries) when reading @lr: the default for a file,
 * but no more than a buffer can hold (a row or an entry takes at least two bytes), so that many
 * small buffers (a fuzzer's) do not each allocate room for thousands of rows.
 */
static size_t size_hint(const asgd__line_reader *lr, size_t def)
{
	return lr->gz || lr->mem_len / 2 + 1 > def ? def : lr->mem_len / 2 + 1;
}

/* The file or buffer @name for a reader, or why there is none; @opt NULL means the defaults. */
static int check_args(const char *name, asgd_dataset **out, const asgd_dataset_options **opt,
		      char *err, size_t errlen)
{
	if (!name || !out)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "no file or no output given");
	if (!*opt)
		*opt = &default_options;
	return ASGD_OK;
}

/* check_args and a known index base: what the LIBSVM reader needs before it opens anything. */
static int libsvm_check_args(const char *name, asgd_dataset **out,
			     const asgd_dataset_options **opt, char *err, size_t errlen)
{
	int rc = check_args(name, out, opt, err, errlen);

	if (rc == ASGD_OK && (*opt)->base != ASGD_INDEX_AUTO && (*opt)->base != ASGD_INDEX_ZERO &&
	    (*opt)->base != ASGD_INDEX_ONE)
		rc = asgd__ds_fail(err, errlen, ASGD_EINVAL, "unknown index base %d",
				   (int)(*opt)->base);
	return rc;
}

/* The LIBSVM reader proper, over st->lr (open, a file or a buffer), which it closes. */
static int libsvm_read(struct libsvm_state *st, const asgd_dataset_options *opt,
		       asgd_dataset **out)
{
	char *line;
	size_t n;
	int rc;

	st->base = opt->base;
	st->max_feature_id = opt->max_feature_id;
	st->lr.stop = opt->stop;
	rc = asgd__ds_builder_init(&st->b, size_hint(&st->lr, ASGD__DS_DEFAULT_ROWS),
				   size_hint(&st->lr, ASGD__DS_DEFAULT_NNZ));
	while (rc == ASGD_OK &&
	       (rc = asgd__lines_next(&st->lr, &line, &n, st->err, st->errlen)) == 1)
		rc = libsvm_line(st, line, n);
	if (rc == ASGD_OK && st->b.rows == 0)
		rc = asgd__lines_no_rows(&st->lr, st->err, st->errlen,
					 "a row 'LABEL ID:VALUE ...'");
	if (rc == ASGD_OK)
		rc = asgd__ds_finish(&st->b, libsvm_columns(st, opt->min_features), st->lr.path,
				     out, opt->stop);
	if (rc == ASGD_EINTR)
		asgd__ds_interrupted(st->err, st->errlen);
	asgd__ds_builder_free(&st->b);
	asgd__lines_close(&st->lr);
	return rc;
}

int asgd_dataset_read_libsvm(const char *path, const asgd_dataset_options *opt,
			     asgd_dataset **out, char *err, size_t errlen)
{
	struct libsvm_state st = { .err = err, .errlen = errlen };
	int rc = libsvm_check_args(path, out, &opt, err, errlen);

	if (rc == ASGD_OK)
		rc = asgd__lines_open(&st.lr, path, err, errlen);
	return rc ? rc : libsvm_read(&st, opt, out);
}

int asgd_dataset_parse_libsvm(const char *name, const void *buf, size_t len,
			      const asgd_dataset_options *opt, asgd_dataset **out, char *err,
			      size_t errlen)
{
	struct libsvm_state st = { .err = err, .errlen = errlen };
	int rc;

	if (!name)
		name = BUFFER_NAME;
	if (!buf && len)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "no buffer given");
	rc = libsvm_check_args(name, out, &opt, err, errlen);
	if (rc == ASGD_OK)
		rc = asgd__lines_open_mem(&st.lr, name, buf, len);
	return rc ? rc : libsvm_read(&st, opt, out);
}

/* What the CSV reader carries from row to row. */
struct csv_state {
	asgd__line_reader lr;
	asgd__ds_builder b;
	int label_column;	/* from the options */
	bool first;		/* no non-blank line seen yet: it may be a header */
	size_t fields;		/* of every data row; 0 until the first one */
	size_t first_data_line;
	size_t label;		/* 0-based field of the label */
	double *vals;		/* one row's fields */
	size_t vals_cap;
	char *err;
	size_t errlen;
};

/* The 0-based label field of a @fields-field table, from the option; EINVAL if out of range. */
static int csv_label_field(struct csv_state *st, size_t fields)
{
	long long c = st->label_column;

	if (c == 0)
		c = -1;
	if (c < 0)
		c += (long long)fields + 1;
	if (c < 1 || c > (long long)fields)
		return asgd__ds_fail(st->err, st->errlen, ASGD_EINVAL,
				     "label column %d is out of range for %s, whose rows have %zu "
				     "fields: allowed 1..%zu (from the first) or -1..-%zu (from the "
				     "last)",
				     st->label_column, st->lr.path, fields, fields, fields);
	st->label = (size_t)(c - 1);
	return ASGD_OK;
}

static int csv_reserve_fields(struct csv_state *st, size_t k)
{
	double *v;

	if (k < st->vals_cap)
		return ASGD_OK;
	v = realloc(st->vals, 2 * (k + 1) * sizeof(*v));
	if (!v)
		return ASGD_ENOMEM;
	st->vals = v;
	st->vals_cap = 2 * (k + 1);
	return ASGD_OK;
}

/* The occurrences of @c in @s[0..n). */
static size_t count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (const char *p = s; (p = memchr(p, c, n - (size_t)(p - s))) != NULL; p++)
		k++;
	return k;
}

/* A data row whose field count differs from the first one's. */
static int csv_count_error(struct csv_state *st, size_t col, size_t found)
{
	return asgd__ds_fail(st->err, st->errlen, ASGD_EPARSE,
			     "%s:%zu:%zu: found %zu field%s, expected %zu as on line %zu",
			     st->lr.path, st->lr.lineno, col + 1, found, found == 1 ? "" : "s",
			     st->fields, st->first_data_line);
}

/*
 * Parse the fields of @line into st->vals; their number into *count. With @header_ok, a field
 * that is not a number makes the line a header (*header set), not an error.
 */
static int csv_fields(struct csv_state *st, char *line, size_t n, bool header_ok, size_t *count,
		      bool *header)
{
	size_t i = 0, k = 0;

	*header = false;
	for (;; k++) {
		char *comma = memchr(line + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - line) : n, a = i, z = end;
		int rc;

		while (a < z && asgd__is_blank(line[a]))
			a++;
		while (z > a && asgd__is_blank(line[z - 1]))
			z--;
		if (st->fields && k == st->fields)
			return csv_count_error(st, i, k + count_char(line + i, n - i, ',') + 1);
		rc = csv_reserve_fields(st, k);
		if (rc)
			return rc;
		line[z] = '\0';
		if (!asgd__number_ok(line + a, z - a, &st->vals[k])) {
			if (header_ok) {
				*header = true;
				return ASGD_OK;
			}
			return asgd__lines_syntax_error(&st->lr, a, line + a, z - a, st->err,
							st->errlen, "a number (a finite decimal)");
		}
		if (!comma)
			break;
		i = end + 1;
		if ((k & LINE_STOP_MASK) == LINE_STOP_MASK && asgd__stop_raised(st->lr.stop))
			return asgd__ds_interrupted(st->err, st->errlen);
	}
	*count = k + 1;
	return ASGD_OK;
}

/* One line: a header (first line only), a data row, or blank. */
static int csv_line(struct csv_state *st, char *line, size_t n)
{
	size_t count = 0, i = 0;
	bool header;
	int rc;

	while (i < n && asgd__is_blank(line[i]))
		i++;
	if (i == n)
		return ASGD_OK;
	rc = csv_fields(st, line, n, st->first, &count, &header);
	st->first = false;
	if (rc || header)
		return rc;
	if (st->fields == 0) {
		if (count < 2)
			return asgd__ds_fail(st->err, st->errlen, ASGD_EPARSE,
					     "%s:%zu:1: found 1 field, expected at least 2 (the "
					     "features and the label)", st->lr.path, st->lr.lineno);
		rc = csv_label_field(st, count);
		if (rc)
			return rc;
		st->fields = count;
		st->first_data_line = st->lr.lineno;
	} else if (count != st->fields) {
		return csv_count_error(st, n, count);
	}
	for (size_t k = 0, c = 0; k < count; k++) {
		if (k == st->label)
			continue;
		if (st->vals[k] != 0.0 && (rc = asgd__ds_push(&st->b, (uint32_t)c, st->vals[k])))
			return rc;
		c++;
	}
	return asgd__ds_end_row(&st->b, st->vals[st->label]);
}

/* The CSV reader proper, over st->lr (open, a file or a buffer), which it closes. */
static int csv_read(struct csv_state *st, const asgd_dataset_options *opt, asgd_dataset **out)
{
	char *line;
	size_t n, cols;
	int rc;

	st->label_column = opt->label_column;
	st->lr.stop = opt->stop;
	rc = asgd__ds_builder_init(&st->b, size_hint(&st->lr, ASGD__DS_DEFAULT_ROWS),
				   size_hint(&st->lr, ASGD__DS_DEFAULT_NNZ));
	while (rc == ASGD_OK &&
	       (rc = asgd__lines_next(&st->lr, &line, &n, st->err, st->errlen)) == 1)
		rc = csv_line(st, line, n);
	if (rc == ASGD_OK && st->b.rows == 0)
		rc = asgd__lines_no_rows(&st->lr, st->err, st->errlen,
					 "a row of comma-separated numbers");
	if (rc == ASGD_OK) {
		cols = st->fields - 1;
		rc = asgd__ds_finish(&st->b, cols > opt->min_features ? cols : opt->min_features,
				     st->lr.path, out, opt->stop);
	}
	if (rc == ASGD_EINTR)
		asgd__ds_interrupted(st->err, st->errlen);
	free(st->vals);
	asgd__ds_builder_free(&st->b);
	asgd__lines_close(&st->lr);
	return rc;
}

int asgd_dataset_read_csv(const char *path, const asgd_dataset_options *opt, asgd_dataset **out,
			  char *err, size_t errlen)
{
	struct csv_state st = { .first = true, .err = err, .errlen = errlen };
	int rc = check_args(path, out, &opt, err, errlen);

	if (rc == ASGD_OK)
		rc = asgd__lines_open(&st.lr, path, err, errlen);
	return rc ? rc : csv_read(&st, opt, out);
}

int asgd_dataset_parse_csv(const char *name, const void *buf, size_t len,
			   const asgd_dataset_options *opt, asgd_dataset **out, char *err,
			   size_t errlen)
{
	struct csv_state st = { .first = true, .err = err, .errlen = errlen };
	int rc;

	if (!name)
		name = BUFFER_NAME;
	if (!buf && len)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "no buffer given");
	rc = check_args(name, out, &opt, err, errlen);
	if (rc == ASGD_OK)
		rc = asgd__lines_open_mem(&st.lr, name, buf, len);
	return rc ? rc : csv_read(&st, opt, out);
}
