/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_dataset.c — the readers give exactly the CSR of their input (fixtures in tests/data/,
 * checked entry by entry), every malformed input fails with the exact FILE:LINE:COLUMN of its
 * first bad token, gzip reads like plain, the Debian data sets have their published shapes
 * (skipped when not installed), and the generators are deterministic with the statistics they
 * promise. Stochastic checks use fixed seeds; tolerances are 4 standard errors, derived where
 * they are used.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/welford.h"
#include "testdata.h"

#define ERRLEN 512

/* A fixture under tests/data/, found next to this source file. */
static void fixture(const char *name, char *path, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');
	int dirlen = slash ? (int)(slash - __FILE__) : 1;

	snprintf(path, len, "%.*s/data/%s", dirlen, slash ? __FILE__ : ".", name);
}

static void make_tmpdir(char *dir)
{
	strcpy(dir, "/tmp/asgd-test-dataset-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void write_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(bytes, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static void write_gzip(const char *path, const char *bytes, size_t n)
{
	gzFile gz = gzopen(path, "wb");

	cr_assert_not_null(gz);
	cr_assert_eq(gzwrite(gz, bytes, (unsigned)n), (int)n);
	cr_assert_eq(gzclose(gz), Z_OK);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	cr_assert_not_null(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Every CSR invariant of asgd/dataset.h that holds for any dataset. */
static void check_invariants(const asgd_dataset *ds)
{
	size_t *count = calloc(ds->cols ? ds->cols : 1, sizeof(*count));

	cr_assert_not_null(count);
	cr_assert_eq(ds->row_ptr[0], 0);
	cr_assert_eq(ds->row_ptr[ds->rows], ds->nnz);
	for (size_t i = 0; i < ds->rows; i++) {
		cr_assert_leq(ds->row_ptr[i], ds->row_ptr[i + 1]);
		cr_assert(isfinite(ds->label[i]));
		for (size_t k = ds->row_ptr[i]; k < ds->row_ptr[i + 1]; k++) {
			cr_assert_lt(ds->col[k], ds->cols, "row %zu entry %zu", i, k);
			cr_assert(isfinite(ds->val[k]));
			if (k > ds->row_ptr[i])
				cr_assert_gt(ds->col[k], ds->col[k - 1], "row %zu: ids fall", i);
			count[ds->col[k]]++;
		}
	}
	for (size_t j = 0; j < ds->cols; j++)
		cr_assert_eq(ds->col_count[j], count[j], "col_count[%zu]", j);
	free(count);
}

/* Row @i holds exactly the @n entries (@col[t], @val[t]) and the label @label. */
static void check_row(const asgd_dataset *ds, size_t i, double label, size_t n,
		      const uint32_t *col, const double *val)
{
	size_t b = ds->row_ptr[i];

	cr_assert_eq(ds->label[i], label, "row %zu label %g, expected %g", i, ds->label[i], label);
	cr_assert_eq(ds->row_ptr[i + 1] - b, n, "row %zu has %zu entries, expected %zu", i,
		     ds->row_ptr[i + 1] - b, n);
	for (size_t t = 0; t < n; t++) {
		cr_assert_eq(ds->col[b + t], col[t], "row %zu entry %zu col %u, expected %u", i, t,
			     ds->col[b + t], col[t]);
		cr_assert_eq(ds->val[b + t], val[t], "row %zu entry %zu val %.17g, expected %.17g",
			     i, t, ds->val[b + t], val[t]);
	}
}

/* tests/data/dataset_small.svm, 1-based, read as 0-based columns (@shift = 0) or as written. */
static void check_small(const asgd_dataset *ds, uint32_t shift)
{
	const uint32_t c0[] = { 0, 2, 6 }, c1[] = { 1, 3 }, c2[] = { 0, 4 }, c4[] = { 6 },
		       c5[] = { 5 }, c6[] = { 0, 6 };
	const double v0[] = { 0.5, -2, 1e-3 }, v1[] = { 0, 4.25 }, v2[] = { 1, 250 },
		     v4[] = { -0.125 }, v5[] = { 1 }, v6[] = { 1, 2 };
	uint32_t c[3];

	cr_assert_eq(ds->rows, 7);
	cr_assert_eq(ds->nnz, 11);
#define ROW(i, label, cs, vs)                                                      \
	do {                                                                       \
		for (size_t t = 0; t < sizeof(cs) / sizeof(cs[0]); t++)            \
			c[t] = cs[t] + shift;                                      \
		check_row(ds, i, label, sizeof(cs) / sizeof(cs[0]), c, vs);        \
	} while (0)
	ROW(0, 1, c0, v0);
	ROW(1, -1, c1, v1);	/* the explicit zero is kept */
	ROW(2, 0, c2, v2);
	check_row(ds, 3, 3.5, 0, NULL, NULL);
	ROW(4, -2.25, c4, v4);
	ROW(5, 1, c5, v5);	/* "\r\n" line end */
	ROW(6, -1, c6, v6);	/* the last line has no newline */
#undef ROW
	cr_assert_eq(ds->classes, 5);
	check_invariants(ds);
}

Test(dataset, libsvm_small_every_entry)
{
	const size_t count[] = { 3, 1, 1, 1, 1, 1, 3 };
	asgd_dataset *ds = NULL;
	char path[1024], err[ERRLEN];

	fixture("dataset_small.svm", path, sizeof(path));
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	cr_assert_eq(ds->cols, 7);
	check_small(ds, 0);
	for (size_t j = 0; j < 7; j++)
		cr_expect_eq(ds->col_count[j], count[j], "col_count[%zu]", j);
	cr_assert_str_eq(ds->source, path);
	asgd_dataset_destroy(ds);
}

Test(dataset, libsvm_index_base_detected_or_forced)
{
	asgd_dataset_options opt = { 0 };
	asgd_dataset *ds = NULL;
	char path[1024], err[ERRLEN];

	fixture("dataset_small.svm", path, sizeof(path));
	opt.base = ASGD_INDEX_ONE;
	cr_assert_eq(asgd_dataset_read_libsvm(path, &opt, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(ds->cols, 7);
	check_small(ds, 0);
	asgd_dataset_destroy(ds);

	/* Read as 0-based, the ids are the columns: column 0 is empty, d = 8. */
	opt.base = ASGD_INDEX_ZERO;
	cr_assert_eq(asgd_dataset_read_libsvm(path, &opt, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(ds->cols, 8);
	check_small(ds, 1);
	cr_assert_eq(ds->col_count[0], 0);
	asgd_dataset_destroy(ds);

	opt.base = ASGD_INDEX_AUTO;
	opt.min_features = 10;
	cr_assert_eq(asgd_dataset_read_libsvm(path, &opt, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(ds->cols, 10);
	check_small(ds, 0);
	asgd_dataset_destroy(ds);

	/* An id 0 anywhere makes the file 0-based. */
	fixture("dataset_zero_based.svm", path, sizeof(path));
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(ds->cols, 3);
	check_row(ds, 0, 1, 2, (const uint32_t[]){ 0, 2 }, (const double[]){ 1, 3 });
	check_row(ds, 1, -1, 1, (const uint32_t[]){ 1 }, (const double[]){ 2 });
	asgd_dataset_destroy(ds);

	/* ... and an error when the ids are declared 1-based. */
	opt.base = ASGD_INDEX_ONE;
	opt.min_features = 0;
	ds = NULL;
	cr_assert_eq(asgd_dataset_read_libsvm(path, &opt, &ds, err, sizeof(err)), ASGD_EPARSE);
	cr_assert_null(ds);
	cr_assert(strstr(err, ":2:3: found '0:1', expected a feature id of at least 1"), "%s", err);
}

/* A malformed input and where its first bad token is. */
struct bad_case {
	const char *text;
	size_t len;	/* 0: strlen(text) */
	size_t line, col;
	const char *found;
};

static void check_bad_libsvm(const struct bad_case *c, const char *dir, size_t idx)
{
	char path[256], want[512], err[ERRLEN] = "";
	asgd_dataset *ds = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/bad%zu.svm", dir, idx);
	write_bytes(path, c->text, c->len ? c->len : strlen(c->text));
	rc = asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err));
	cr_expect_eq(rc, ASGD_EPARSE, "case %zu: rc %d (%s)", idx, rc, err);
	cr_expect_null(ds, "case %zu", idx);
	snprintf(want, sizeof(want), "%s:%zu:%zu: found '%s', expected ", path, c->line, c->col,
		 c->found);
	cr_expect_eq(strncmp(err, want, strlen(want)), 0, "case %zu:\n got  %s\n want %s...", idx,
		     err, want);
	asgd_dataset_destroy(ds);
	unlink(path);
}

Test(dataset, libsvm_malformed_inputs_name_file_line_column)
{
	static const struct bad_case cases[] = {
		{ "1 1:2 3:\n", 0, 1, 7, "3:" },		/* truncated token */
		{ "1 1:abc\n", 0, 1, 3, "1:abc" },
		{ "1 1:nan\n", 0, 1, 3, "1:nan" },
		{ "1 1:inf\n", 0, 1, 3, "1:inf" },
		{ "1 1:0x1p3\n", 0, 1, 3, "1:0x1p3" },		/* hexadecimal */
		{ "1 1:1e999\n", 0, 1, 3, "1:1e999" },		/* overflows to inf */
		{ "1 12\n", 0, 1, 3, "12" },			/* no colon */
		{ "1 -3:1\n", 0, 1, 3, "-3:1" },		/* negative id */
		{ "1 4294967296:1\n", 0, 1, 3, "4294967296:1" },	/* beyond uint32 */
		{ "1 3:1 2:1\n", 0, 1, 7, "2:1" },		/* decreasing ids */
		{ "1 3:1 3:2\n", 0, 1, 7, "3:2" },		/* repeated id */
		{ "1 1:1junk\n", 0, 1, 3, "1:1junk" },		/* trailing junk */
		{ "1 1:1,5\n", 0, 1, 3, "1:1,5" },
		{ "abc 1:1\n", 0, 1, 1, "abc" },		/* bad label */
		{ "nan 1:1\n", 0, 1, 1, "nan" },
		{ "1 1:2\n-1 2:\0\1\2\n", 15, 2, 4, "2:\\x00\\x01\\x02" },	/* binary */
		{ "1 3:25\0 4:1\n", 12, 1, 3, "3:25\\x00" },	/* a NUL right after digits */
		{ "1\0 3:2\n", 7, 1, 1, "1\\x00" },
		{ "# c\n\n  1 1:1 2:2e\n", 0, 3, 9, "2:2e" },	/* blank and comment lines count */
		{ "1\t1:1\t2:x\n", 0, 1, 7, "2:x" },		/* tabs separate too */
		{ "1 1:1\r 2:2\n", 0, 1, 3, "1:1\\x0d" },	/* a CR not at the line end */
		{ "1 qid:x 1:1\n", 0, 1, 3, "qid:x" },
		{ "1 1:1 qid:2\n", 0, 1, 7, "qid:2" },		/* qid only after the label */
		{ "1 :5\n", 0, 1, 3, ":5" },
		{ "1 1:1\n2 3:1 2:", 0, 2, 7, "2:" },		/* truncated last line */
	};
	char dir[64];

	make_tmpdir(dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_bad_libsvm(&cases[i], dir, i);
	rmdir(dir);
}

Test(dataset, libsvm_one_full_error_message_and_no_rows)
{
	char dir[64], path[256], err[ERRLEN], want[512];
	asgd_dataset *ds = NULL;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/x.svm", dir);
	write_bytes(path, "1 1:2 3:\n", 9);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	snprintf(want, sizeof(want), "%s:1:7: found '3:', expected a feature id:value pair", path);
	cr_assert_str_eq(err, want);

	write_bytes(path, "", 0);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	snprintf(want, sizeof(want), "%s:1:1: found the end of the file, expected a row", path);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);

	write_bytes(path, "# only a comment\n\n", 18);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	snprintf(want, sizeof(want), "%s:3:1: found the end of the file", path);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
	cr_assert_null(ds);
	unlink(path);
	rmdir(dir);
}

Test(dataset, libsvm_binary_fixture_and_io_errors)
{
	char path[1024], err[ERRLEN], want[1200], dir[64];
	asgd_dataset *ds = NULL;

	fixture("dataset_binary.svm", path, sizeof(path));
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	snprintf(want, sizeof(want), "%s:2:4: found '2:\\x00\\x01\\x02', expected", path);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);

	make_tmpdir(dir);
	cr_assert_eq(asgd_dataset_read_libsvm(dir, NULL, &ds, err, sizeof(err)), ASGD_EIO);
	cr_assert(strstr(err, "directory"), "%s", err);
	snprintf(path, sizeof(path), "%s/missing.svm", dir);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EIO);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert_eq(asgd_dataset_read_libsvm(NULL, NULL, &ds, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_read_csv(path, NULL, NULL, NULL, 0), ASGD_EINVAL);
	cr_assert_null(ds);
	rmdir(dir);
}

Test(dataset, libsvm_long_lines_and_many_rows)
{
	/* 300 rows of 2000 tokens: lines far beyond any fixed buffer, rows across many reads. */
	const size_t rows = 300, per = 2000;
	size_t cap = rows * per * 16 + rows * 8, len = 0;
	char *text = malloc(cap), dir[64], path[256], err[ERRLEN];
	asgd_dataset *ds = NULL;

	cr_assert_not_null(text);
	for (size_t i = 0; i < rows; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%d", (int)(i % 3));
		for (size_t t = 0; t < per; t++)
			len += (size_t)snprintf(text + len, cap - len, " %zu:%zu",
						3 * t + 1 + i % 3, (t + i) % 7);
		text[len++] = '\n';
	}
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/long.svm", dir);
	write_bytes(path, text, len);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	cr_assert_eq(ds->rows, rows);
	cr_assert_eq(ds->nnz, rows * per);
	cr_assert_eq(ds->cols, 3 * (per - 1) + 3);
	cr_assert_eq(ds->classes, 3);
	for (size_t i = 0; i < rows; i++)
		for (size_t t = 0; t < per; t += 97) {
			size_t k = ds->row_ptr[i] + t;

			cr_assert_eq(ds->col[k], 3 * t + i % 3);
			cr_assert_eq(ds->val[k], (double)((t + i) % 7));
		}
	check_invariants(ds);
	asgd_dataset_destroy(ds);
	unlink(path);
	rmdir(dir);
	free(text);
}

Test(dataset, gzip_reads_like_plain)
{
	char src[1024], dir[64], path[256], err[ERRLEN];
	asgd_dataset *ds = NULL;
	size_t n;
	char *text;

	fixture("dataset_small.svm", src, sizeof(src));
	text = slurp(src, &n);
	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/small.svm.gz", dir);
	write_gzip(path, text, n);
	cr_assert_eq(asgd_dataset_load(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s", err);
	check_small(ds, 0);
	asgd_dataset_destroy(ds);

	/* A cut gzip stream is an I/O error, not a shorter dataset. */
	cr_assert_eq(truncate(path, 30), 0);
	cr_assert_eq(asgd_dataset_read_libsvm(path, NULL, &ds, err, sizeof(err)), ASGD_EIO);
	cr_assert(strstr(err, path), "%s", err);
	unlink(path);
	free(text);

	fixture("dataset_header.csv", src, sizeof(src));
	text = slurp(src, &n);
	snprintf(path, sizeof(path), "%s/table.csv.gz", dir);
	write_gzip(path, text, n);
	cr_assert_eq(asgd_dataset_load(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(ds->rows, 3);
	cr_assert_eq(ds->cols, 2);
	asgd_dataset_destroy(ds);
	unlink(path);
	free(text);
	rmdir(dir);
}

Test(dataset, csv_header_spaces_crlf_zeros_dropped)
{
	asgd_dataset *ds = NULL;
	char path[1024], err[ERRLEN];

	fixture("dataset_header.csv", path, sizeof(path));
	cr_assert_eq(asgd_dataset_read_csv(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(ds->rows, 3);
	cr_assert_eq(ds->cols, 2);
	cr_assert_eq(ds->nnz, 4);
	check_row(ds, 0, 1, 1, (const uint32_t[]){ 0 }, (const double[]){ 1.5 });
	check_row(ds, 1, 0, 1, (const uint32_t[]){ 1 }, (const double[]){ 2.5 });
	check_row(ds, 2, 1, 2, (const uint32_t[]){ 0, 1 }, (const double[]){ -1, 40 });
	cr_assert_eq(ds->classes, 2);
	check_invariants(ds);
	asgd_dataset_destroy(ds);
}

Test(dataset, csv_without_header_and_label_column)
{
	static const struct {
		int label_column;
		double label[3];
		size_t row0_n;
		uint32_t row0_col[3];
		double row0_val[3];
	} cases[] = {
		{ 0, { 7, 8, 7 }, 2, { 0, 2 }, { 1, 2 } },	/* default: the last */
		{ -1, { 7, 8, 7 }, 2, { 0, 2 }, { 1, 2 } },
		{ 1, { 1, 0, 3 }, 2, { 1, 2 }, { 2, 7 } },
		{ -2, { 2, 0, 0 }, 2, { 0, 2 }, { 1, 7 } },
		{ -4, { 1, 0, 3 }, 2, { 1, 2 }, { 2, 7 } },
		{ 4, { 7, 8, 7 }, 2, { 0, 2 }, { 1, 2 } },
	};
	asgd_dataset_options opt = { 0 };
	asgd_dataset *ds = NULL;
	char path[1024], err[ERRLEN];

	fixture("dataset_noheader.csv", path, sizeof(path));
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		opt.label_column = cases[c].label_column;
		cr_assert_eq(asgd_dataset_read_csv(path, &opt, &ds, err, sizeof(err)), ASGD_OK,
			     "%s", err);
		cr_assert_eq(ds->rows, 3, "label column %d", opt.label_column);
		cr_assert_eq(ds->cols, 3);
		for (size_t i = 0; i < 3; i++)
			cr_assert_eq(ds->label[i], cases[c].label[i], "label column %d row %zu",
				     opt.label_column, i);
		check_row(ds, 0, cases[c].label[0], cases[c].row0_n, cases[c].row0_col,
			  cases[c].row0_val);
		check_invariants(ds);
		asgd_dataset_destroy(ds);
	}
	for (int bad = -5; bad <= 5; bad += 10) {
		opt.label_column = bad;
		ds = NULL;
		cr_assert_eq(asgd_dataset_read_csv(path, &opt, &ds, err, sizeof(err)), ASGD_EINVAL);
		cr_assert(strstr(err, "label column"), "%s", err);
		cr_assert_null(ds);
	}
	/* Through load: a .csv name picks the CSV reader, "csv:" any name. */
	cr_assert_eq(asgd_dataset_load(path, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(ds->cols, 3);
	asgd_dataset_destroy(ds);
}

static void check_bad_csv(const char *text, size_t line, size_t col, const char *what)
{
	char dir[64], path[256], err[ERRLEN], want[512];
	asgd_dataset *ds = NULL;

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/t.txt", dir);
	write_bytes(path, text, strlen(text));
	snprintf(want, sizeof(want), "csv:%s", path);
	cr_expect_eq(asgd_dataset_load(want, NULL, &ds, err, sizeof(err)), ASGD_EPARSE, "%s", text);
	snprintf(want, sizeof(want), "%s:%zu:%zu: %s", path, line, col, what);
	cr_expect_eq(strncmp(err, want, strlen(want)), 0, "\n got  %s\n want %s", err, want);
	cr_expect_null(ds);
	unlink(path);
	rmdir(dir);
}

Test(dataset, csv_malformed_and_ragged)
{
	char path[1024], err[ERRLEN], want[1200];
	asgd_dataset *ds = NULL;

	fixture("dataset_ragged.csv", path, sizeof(path));
	cr_assert_eq(asgd_dataset_read_csv(path, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	snprintf(want, sizeof(want), "%s:3:4: found 2 fields, expected 3 as on line 1", path);
	cr_assert_str_eq(err, want);

	check_bad_csv("1,2,3\n4,5,6,7\n", 2, 7, "found 4 fields, expected 3 as on line 1");
	check_bad_csv("a,b\n\n1,2,3\n4,5\n", 4, 4, "found 2 fields, expected 3 as on line 3");
	check_bad_csv("1,2,3\n1,,3\n", 2, 3, "found '', expected a number");
	check_bad_csv("1,2,3\n1, x ,3\n", 2, 4, "found 'x', expected a number");
	check_bad_csv("1,2,3\n1,nan,3\n", 2, 3, "found 'nan', expected a number");
	check_bad_csv("1,2,3\n1,2,0x10\n", 2, 5, "found '0x10', expected a number");
	check_bad_csv("1,2,3\n1;2,3,4\n", 2, 1, "found '1;2', expected a number");
	check_bad_csv("1,2,3\n1,2,3,\n", 2, 7, "found 4 fields");
	check_bad_csv("x,y,z\n", 2, 1, "found the end of the file");	/* only a header */
	check_bad_csv("5\n6\n", 1, 1, "found 1 field, expected at least 2");
}

Test(dataset, load_dispatch_and_label_values)
{
	char path[1024], spec[1100], err[ERRLEN];
	asgd_dataset *ds = NULL;
	double v[5];
	size_t count = 0;

	fixture("dataset_small.svm", path, sizeof(path));
	snprintf(spec, sizeof(spec), "libsvm:%s", path);
	cr_assert_eq(asgd_dataset_load(spec, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s", err);
	check_small(ds, 0);
	cr_assert_str_eq(ds->source, path);
	cr_assert_eq(asgd_dataset_label_values(ds, v, 5, &count), ASGD_OK);
	cr_assert_eq(count, 5);
	cr_assert(v[0] == -2.25 && v[1] == -1 && v[2] == 0 && v[3] == 1 && v[4] == 3.5);
	v[3] = 99;
	cr_assert_eq(asgd_dataset_label_values(ds, v, 3, &count), ASGD_OK);
	cr_assert_eq(count, 5);
	cr_assert(v[0] == -2.25 && v[1] == -1 && v[2] == 0 && v[3] == 99);
	cr_assert_eq(asgd_dataset_label_values(ds, NULL, 0, &count), ASGD_OK);
	cr_assert_eq(count, 5);
	cr_assert_eq(asgd_dataset_label_values(NULL, v, 5, &count), ASGD_EINVAL);
	asgd_dataset_destroy(ds);
	asgd_dataset_destroy(NULL);

	/* The CSV reader refuses the LIBSVM file: line 1 is a header, line 2 not a number. */
	snprintf(spec, sizeof(spec), "csv:%s", path);
	cr_assert_eq(asgd_dataset_load(spec, NULL, &ds, err, sizeof(err)), ASGD_EPARSE);
	cr_assert_eq(asgd_dataset_locate("no-such-set", path, sizeof(path)), ASGD_ENOTFOUND);
	cr_assert_eq(asgd_dataset_locate(NULL, path, sizeof(path)), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_load(NULL, NULL, &ds, err, sizeof(err)), ASGD_EINVAL);
}

/* Load a named Debian set, or skip the test when its package is not installed. */
static asgd_dataset *load_named_or_skip(const char *name, const char *package)
{
	char path[1024], err[ERRLEN];
	asgd_dataset *ds = NULL;
	int rc;

	if (asgd_dataset_locate(name, path, sizeof(path)) != ASGD_OK) {
		/* Then load must say which package to install. */
		cr_assert_eq(asgd_dataset_load(name, NULL, &ds, err, sizeof(err)), ASGD_ENOTFOUND);
		cr_assert(strstr(err, package), "%s", err);
		cr_skip_test("%s is not installed (Debian package %s)", name, package);
	}
	cr_assert_eq(access(path, R_OK), 0);
	rc = asgd_dataset_load(name, NULL, &ds, err, sizeof(err));
	cr_assert_eq(rc, ASGD_OK, "%s: %s", name, err);
	cr_assert_str_eq(ds->source, path);
	check_invariants(ds);
	return ds;
}

Test(dataset, debian_heart_scale)
{
	asgd_dataset *ds = load_named_or_skip("heart_scale", "liblinear-tools");
	double v[3];
	size_t count;

	cr_assert_eq(ds->rows, 270);
	cr_assert_eq(ds->cols, 13);
	cr_assert_eq(asgd_dataset_label_values(ds, v, 3, &count), ASGD_OK);
	cr_assert(count == 2 && v[0] == -1 && v[1] == 1);
	cr_assert_eq(ds->classes, 2);
	/* The file's first line: "+1 1:0.708333 2:1 3:1 4:-0.320755 ..." (1-based). */
	cr_assert_eq(ds->label[0], 1);
	cr_assert_eq(ds->col[0], 0);
	cr_assert_eq(ds->val[0], 0.708333);
	cr_assert_eq(ds->col[3], 3);
	cr_assert_eq(ds->val[3], -0.320755);
	asgd_dataset_destroy(ds);
}

Test(dataset, debian_breast_cancer)
{
	asgd_dataset *ds = load_named_or_skip("breast-cancer", "python3-sklearn");
	double v[3];
	size_t count, ones = 0;

	cr_assert_eq(ds->rows, 569);
	cr_assert_eq(ds->cols, 30);
	cr_assert_eq(ds->classes, 2);
	cr_assert_eq(asgd_dataset_label_values(ds, v, 3, &count), ASGD_OK);
	cr_assert(count == 2 && v[0] == 0 && v[1] == 1);
	for (size_t i = 0; i < ds->rows; i++)
		ones += ds->label[i] == 1;
	cr_assert_eq(ones, 357);	/* sklearn: 212 malignant (0), 357 benign (1) */
	cr_assert_eq(ds->val[0], 17.99);	/* the first data line begins "17.99,10.38" */
	cr_assert_eq(ds->val[1], 10.38);
	asgd_dataset_destroy(ds);
}

Test(dataset, debian_digits)
{
	asgd_dataset *ds = load_named_or_skip("digits", "python3-sklearn");
	double v[11];
	size_t count;

	cr_assert_eq(ds->rows, 1797);
	cr_assert_eq(ds->cols, 64);
	cr_assert_eq(ds->classes, 10);
	cr_assert_eq(asgd_dataset_label_values(ds, v, 11, &count), ASGD_OK);
	cr_assert_eq(count, 10);
	for (size_t c = 0; c < 10; c++)
		cr_assert_eq(v[c], (double)c);
	cr_assert_eq(ds->col_count[0], 0);	/* the image's corner pixel is always 0 */
	for (size_t k = 0; k < ds->nnz; k++)
		cr_assert(ds->val[k] >= 1 && ds->val[k] <= 16 && ds->val[k] == floor(ds->val[k]));
	asgd_dataset_destroy(ds);
}

static asgd_dataset *generate(const char *spec)
{
	char err[ERRLEN];
	asgd_dataset *ds = NULL;

	cr_assert_eq(asgd_dataset_load(spec, NULL, &ds, err, sizeof(err)), ASGD_OK, "%s: %s", spec,
		     err);
	check_invariants(ds);
	return ds;
}

static bool same_data(const asgd_dataset *a, const asgd_dataset *b, size_t rows)
{
	size_t nnz = a->row_ptr[rows];

	return b->row_ptr[rows] == nnz &&
	       !memcmp(a->row_ptr, b->row_ptr, (rows + 1) * sizeof(*a->row_ptr)) &&
	       !memcmp(a->col, b->col, nnz * sizeof(*a->col)) &&
	       !memcmp(a->val, b->val, nnz * sizeof(*a->val)) &&
	       !memcmp(a->label, b->label, rows * sizeof(*a->label));
}

Test(dataset, generators_are_deterministic_in_their_seed)
{
	static const char *const specs[][3] = {
		{ "rcv1:n=2000,d=5000,nnz=30,seed=7", "rcv1:n=2000,d=5000,nnz=30,seed=8",
		  "rcv1:seed=7,nnz=30,d=5000,n=1000" },
		{ "regression:n=500,d=7,noise=0.3,seed=7", "regression:n=500,d=7,noise=0.3,seed=8",
		  "regression:seed=7,d=7,noise=0.3,n=250" },
	};

	for (size_t g = 0; g < 2; g++) {
		asgd_dataset *a = generate(specs[g][0]), *b = generate(specs[g][0]);
		asgd_dataset *c = generate(specs[g][1]), *p = generate(specs[g][2]);

		cr_assert(same_data(a, b, a->rows), "%s twice differs", specs[g][0]);
		cr_assert_not(same_data(a, c, a->rows), "seeds 7 and 8 give the same data");
		/* Row i draws from its own stream: a smaller n is a prefix. */
		cr_assert(same_data(a, p, p->rows), "%s is not a prefix of %s", specs[g][2],
			  specs[g][0]);
		cr_assert_str_eq(a->source, specs[g][0]);
		asgd_dataset_destroy(a);
		asgd_dataset_destroy(b);
		asgd_dataset_destroy(c);
		asgd_dataset_destroy(p);
	}
}

Test(dataset, rcv1_statistics)
{
	const size_t n = 20000, d = 47236, nnz = 70;
	asgd_dataset *ds = generate("rcv1:n=20000,d=47236,nnz=70,seed=3");
	const size_t edges[] = { 0, 10, 100, 1000, 10000 };
	asgd_welford lens = { 0 };
	double mean, se, prev_avg = INFINITY;

	cr_assert_eq(ds->rows, n);
	cr_assert_eq(ds->cols, d);
	cr_assert_eq(ds->classes, 2);
	for (size_t i = 0; i < n; i++) {
		double len = (double)(ds->row_ptr[i + 1] - ds->row_ptr[i]), norm2 = 0;

		asgd_welford_add(&lens, len);
		for (size_t k = ds->row_ptr[i]; k < ds->row_ptr[i + 1]; k++) {
			cr_assert_gt(ds->val[k], 0);
			norm2 += ds->val[k] * ds->val[k];
		}
		cr_assert_lt(fabs(sqrt(norm2) - 1), 1e-12, "row %zu: norm %.17g", i, sqrt(norm2));
		cr_assert(ds->label[i] == 1 || ds->label[i] == -1);
	}
	/* Row lengths are random around nnz: their mean is within 4 SE of it. */
	mean = asgd_welford_mean(&lens);
	se = asgd_welford_se(&lens);
	cr_assert_lt(fabs(mean - (double)nnz), 4 * se, "mean row length %g, SE %g", mean, se);
	cr_assert_lt(fabs(mean - (double)nnz), 0.03 * (double)nnz);
	/*
	 * Power law: feature j is in a row with chance about 1 − (1 − p_j)^draws, p_j ∝ 1/(j+1), so
	 * feature 0 is in nearly every row and feature 1000 in about one row in a hundred; the
	 * average count per feature falls from each decade of ids to the next.
	 */
	cr_assert_gt(ds->col_count[0], 20 * ds->col_count[1000], "%zu vs %zu", ds->col_count[0],
		     ds->col_count[1000]);
	cr_assert_gt(ds->col_count[0], n / 2);
	for (size_t b = 0; b + 1 < sizeof(edges) / sizeof(edges[0]); b++) {
		double avg = 0;

		for (size_t j = edges[b]; j < edges[b + 1]; j++)
			avg += (double)ds->col_count[j];
		avg /= (double)(edges[b + 1] - edges[b]);
		cr_assert_lt(avg, prev_avg / 2, "ids [%zu, %zu): average count %g after %g",
			     edges[b], edges[b + 1], avg, prev_avg);
		prev_avg = avg;
	}
	asgd_dataset_destroy(ds);
}

Test(dataset, rcv1_dense_rows_are_complete)
{
	/* nnz = d: Zipf draws alone would take ~d·H·log d tries; the rest is filled uniformly. */
	asgd_dataset *ds = generate("rcv1:n=6,d=3000,nnz=3000,seed=2");
	size_t full = 0;

	for (size_t i = 0; i < ds->rows; i++) {
		size_t len = ds->row_ptr[i + 1] - ds->row_ptr[i];
		double norm2 = 0;

		cr_assert_geq(len, 1);
		cr_assert_leq(len, 3000);
		for (size_t k = ds->row_ptr[i]; k < ds->row_ptr[i + 1]; k++)
			norm2 += ds->val[k] * ds->val[k];
		cr_assert_lt(fabs(norm2 - 1), 1e-12);
		full += len == 3000;
		for (size_t k = ds->row_ptr[i]; len == 3000 && k < ds->row_ptr[i + 1]; k++)
			cr_assert_eq(ds->col[k], k - ds->row_ptr[i]);
	}
	/* Row lengths are nnz·exp(σZ − σ²/2) clamped to d: about half the rows are full. */
	cr_assert_gt(full, 0);
	asgd_dataset_destroy(ds);
}

/* Solve the d×d system @A x = @b (A symmetric positive definite) by Cholesky, in place. */
static void cholesky_solve(double *A, double *b, size_t d)
{
	for (size_t j = 0; j < d; j++) {
		for (size_t k = 0; k < j; k++)
			A[j * d + j] -= A[j * d + k] * A[j * d + k];
		cr_assert_gt(A[j * d + j], 0);
		A[j * d + j] = sqrt(A[j * d + j]);
		for (size_t i = j + 1; i < d; i++) {
			for (size_t k = 0; k < j; k++)
				A[i * d + j] -= A[i * d + k] * A[j * d + k];
			A[i * d + j] /= A[j * d + j];
		}
	}
	for (size_t i = 0; i < d; i++) {
		for (size_t k = 0; k < i; k++)
			b[i] -= A[i * d + k] * b[k];
		b[i] /= A[i * d + i];
	}
	for (size_t i = d; i-- > 0;) {
		for (size_t k = i + 1; k < d; k++)
			b[i] -= A[k * d + i] * b[k];
		b[i] /= A[i * d + i];
	}
}

/* The residual variance RSS/(n − d) of the least-squares fit of the labels on the rows. */
static double ls_residual_variance(const asgd_dataset *ds)
{
	const size_t d = ds->cols;
	double A[8 * 8] = { 0 }, w[8] = { 0 }, rss = 0;

	cr_assert_leq(d, 8);
	for (size_t i = 0; i < ds->rows; i++) {
		const double *a = ds->val + ds->row_ptr[i];

		cr_assert_eq(ds->row_ptr[i + 1] - ds->row_ptr[i], d);	/* dense */
		for (size_t j = 0; j < d; j++) {
			w[j] += a[j] * ds->label[i];
			for (size_t k = 0; k < d; k++)
				A[j * d + k] += a[j] * a[k];
		}
	}
	cholesky_solve(A, w, d);
	for (size_t i = 0; i < ds->rows; i++) {
		const double *a = ds->val + ds->row_ptr[i];
		double r = ds->label[i];

		for (size_t j = 0; j < d; j++)
			r -= a[j] * w[j];
		rss += r * r;
	}
	return rss / (double)(ds->rows - d);
}

Test(dataset, regression_is_linear_plus_noise)
{
	asgd_dataset *ds = generate("regression:n=20000,d=5,noise=0.5,seed=2");
	const double n = 20000, noise2 = 0.25;
	double s = 0, s2 = 0, mean, var, rv;

	cr_assert_eq(ds->cols, 5);
	cr_assert_eq(ds->nnz, 100000);
	cr_assert_str_eq(ds->source, "regression:n=20000,d=5,noise=0.5,seed=2");
	/* Features are N(0, 1): over N = 1e5 draws the mean has SE 1/√N, the variance √(2/N). */
	for (size_t k = 0; k < ds->nnz; k++) {
		s += ds->val[k];
		s2 += ds->val[k] * ds->val[k];
	}
	mean = s / 1e5;
	var = s2 / 1e5 - mean * mean;
	cr_assert_lt(fabs(mean), 4 / sqrt(1e5), "feature mean %g", mean);
	cr_assert_lt(fabs(var - 1), 4 * sqrt(2 / 1e5), "feature variance %g", var);
	/* The least-squares residual variance estimates noise² with SE noise²·√(2/(n − d)). */
	rv = ls_residual_variance(ds);
	cr_assert_lt(fabs(rv - noise2), 4 * noise2 * sqrt(2 / (n - 5)), "residual variance %g", rv);
	asgd_dataset_destroy(ds);

	/* Without noise the labels are exactly linear in the rows. */
	ds = generate("regression:n=200,d=4,noise=0,seed=5");
	cr_assert_lt(ls_residual_variance(ds), 1e-24);
	asgd_dataset_destroy(ds);
}

Test(dataset, generator_specs_and_errors)
{
	static const char *const bad[] = {
		"rcv1:nnz=0",		"rcv1:d=10,nnz=11",	"rcv1:n=0",
		"rcv1:d=16777217",	"regression:noise=-1",	"regression:noise=nan",
		"regression:d=0",	"regression:n=1.5",	"rcv1:n=10,n=20",
		"rcv1:n",		"rcv1:n=5,",		"rcv1:x=1",
		"rcv1:noise=1",		"regression:nnz=3",	"rcv1:n=-1",
	};
	char err[ERRLEN];
	asgd_dataset *ds = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(asgd_dataset_generate(bad[i], &ds, err, sizeof(err)), ASGD_EINVAL,
			     "%s", bad[i]);
		cr_expect_neq(err[0], '\0', "%s: no message", bad[i]);
		cr_expect_null(ds);
	}
	cr_assert_eq(asgd_dataset_generate("poisson:n=3", &ds, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "poisson"), "%s", err);
	cr_assert_eq(asgd_dataset_generate("rcv1:x=1", &ds, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "'x'") && strstr(err, "nnz"), "%s", err);

	/* Canonical sources spell out every key; min_features widens d. */
	ds = generate("regression:d=3,n=10");
	cr_assert_str_eq(ds->source, "regression:n=10,d=3,noise=0.1,seed=1");
	asgd_dataset_destroy(ds);
	ds = generate("rcv1:n=1e3,d=100,nnz=5");
	cr_assert_str_eq(ds->source, "rcv1:n=1000,d=100,nnz=5,seed=1");
	cr_assert_eq(ds->rows, 1000);
	asgd_dataset_destroy(ds);
	{
		asgd_dataset_options opt = { .min_features = 150 };

		cr_assert_eq(asgd_dataset_load("rcv1:n=10,d=100,nnz=5", &opt, &ds, err,
					       sizeof(err)), ASGD_OK);
		cr_assert_eq(ds->cols, 150);
		check_invariants(ds);
		asgd_dataset_destroy(ds);
	}
}

/* Read @path as a file and its bytes as a buffer named @path: same code, same answer. */
static void check_buffer_reads_like_file(const char *path, bool csv,
					 const asgd_dataset_options *opt)
{
	char err_file[ERRLEN], err_mem[ERRLEN];
	asgd_dataset *a = NULL, *b = NULL;
	size_t n;
	char *text = slurp(path, &n);
	int rc_file, rc_mem;

	err_file[0] = err_mem[0] = '\0';
	rc_file = csv ? asgd_dataset_read_csv(path, opt, &a, err_file, sizeof(err_file))
		      : asgd_dataset_read_libsvm(path, opt, &a, err_file, sizeof(err_file));
	rc_mem = csv ? asgd_dataset_parse_csv(path, text, n, opt, &b, err_mem, sizeof(err_mem))
		     : asgd_dataset_parse_libsvm(path, text, n, opt, &b, err_mem, sizeof(err_mem));
	cr_assert_eq(rc_mem, rc_file, "%s: buffer %d, file %d", path, rc_mem, rc_file);
	if (rc_file != ASGD_OK) {
		cr_assert_str_eq(err_mem, err_file);
		cr_assert_null(b);
	} else {
		check_invariants(b);
		cr_assert(same_data(a, b, a->rows), "%s: buffer and file data differ", path);
		cr_assert_eq(a->cols, b->cols);
		cr_assert_eq(a->classes, b->classes);
		cr_assert_str_eq(a->source, b->source);
	}
	asgd_dataset_destroy(a);
	asgd_dataset_destroy(b);
	free(text);
}

Test(dataset, buffer_readers_agree_with_file_readers)
{
	static const char *const svm[] = { "dataset_small.svm", "dataset_zero_based.svm",
					   "dataset_binary.svm" };
	static const char *const csv[] = { "dataset_header.csv", "dataset_noheader.csv",
					   "dataset_ragged.csv" };
	const asgd_dataset_options one = { .base = ASGD_INDEX_ONE },
				   label1 = { .label_column = 1, .min_features = 9 };
	char path[1024];

	for (size_t i = 0; i < sizeof(svm) / sizeof(svm[0]); i++) {
		fixture(svm[i], path, sizeof(path));
		check_buffer_reads_like_file(path, false, NULL);
		check_buffer_reads_like_file(path, false, &one);	/* 0-based: an error */
	}
	for (size_t i = 0; i < sizeof(csv) / sizeof(csv[0]); i++) {
		fixture(csv[i], path, sizeof(path));
		check_buffer_reads_like_file(path, true, NULL);
		check_buffer_reads_like_file(path, true, &label1);
	}
}

Test(dataset, buffer_readers_long_lines_names_and_limits)
{
	/* 40 rows of 30000 tokens (~8 MB): lines longer than the first line buffer. */
	const size_t rows = 40, per = 30000;
	size_t cap = rows * per * 16 + rows * 8, len = 0;
	char *text = malloc(cap), err[ERRLEN];
	asgd_dataset *ds = NULL;
	asgd_dataset_options opt = { 0 };

	cr_assert_not_null(text);
	for (size_t i = 0; i < rows; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%d", (int)(i % 2));
		for (size_t t = 0; t < per; t++)
			len += (size_t)snprintf(text + len, cap - len, " %zu:%zu", t + 1, t % 5);
		text[len++] = '\n';
	}
	cr_assert_eq(asgd_dataset_parse_libsvm(NULL, text, len, NULL, &ds, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	cr_assert_eq(ds->rows, rows);
	cr_assert_eq(ds->nnz, rows * per);
	cr_assert_eq(ds->cols, per);
	cr_assert_str_eq(ds->source, "(buffer)");
	check_invariants(ds);
	asgd_dataset_destroy(ds);

	/* The buffer is not modified (the reader cuts tokens in its own copy). */
	cr_assert_eq(text[len - 1], '\n');
	cr_assert_eq(memchr(text, '\0', len), NULL);

	/* max_feature_id bounds the ids as written, so a tiny file cannot ask for a huge d. */
	ds = NULL;
	opt.max_feature_id = 29999;
	cr_assert_eq(asgd_dataset_parse_libsvm("t", text, len, &opt, &ds, err, sizeof(err)),
		     ASGD_EPARSE);
	cr_assert(strstr(err, "t:1:") && strstr(err, "30000:") && strstr(err, "at most 29999"),
		  "%s", err);
	cr_assert_null(ds);
	free(text);
	opt.max_feature_id = 4;
	cr_assert_eq(asgd_dataset_parse_libsvm("z", "1 4:1\n", 6, &opt, &ds, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	cr_assert_eq(ds->cols, 4);
	asgd_dataset_destroy(ds);
	ds = NULL;
	cr_assert_eq(asgd_dataset_parse_libsvm("z", "1 4294967295:1", 14, &opt, &ds, err,
					       sizeof(err)), ASGD_EPARSE);

	/* Empty, NULL, unterminated and NUL-holding buffers. */
	cr_assert_eq(asgd_dataset_parse_csv("e", NULL, 0, NULL, &ds, err, sizeof(err)),
		     ASGD_EPARSE);
	cr_assert_str_eq(err, "e:1:1: found the end of the file, expected a row of "
			      "comma-separated numbers");
	cr_assert_eq(asgd_dataset_parse_csv("e", NULL, 3, NULL, &ds, err, sizeof(err)),
		     ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_parse_libsvm("e", "1 1:1", 3, NULL, &ds, err, sizeof(err)),
		     ASGD_EPARSE, "the length, not a NUL, ends the buffer");
	cr_assert_eq(asgd_dataset_parse_csv("n", "1,2\n3,\0", 7, NULL, &ds, err, sizeof(err)),
		     ASGD_EPARSE);
	cr_assert(strstr(err, "n:2:3: found '\\x00'"), "%s", err);
	cr_assert_null(ds);
}

Test(dataset, generator_refuses_overlong_values_whole)
{
	/* A value longer than the parser's copy once read as its first 63 bytes: "0.5000…" */
	char spec[160], err[ERRLEN];
	asgd_dataset *ds = NULL;

	snprintf(spec, sizeof(spec), "regression:n=5,d=3,noise=0.5%070dx", 0);
	cr_assert_eq(asgd_dataset_generate(spec, &ds, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "noise="), "%s", err);
	cr_assert_null(ds);
}

/* A small set with a sparse, a dense, a constant and a never-stored column, written out so that
 * every scaled value can be checked by hand. */
static asgd_dataset *scaling_fixture(char *dir)
{
	/* 1-based ids: column 0 sparse, 1 dense, 2 constant, 3 never stored */
	static const char text[] = "1 1:2 2:-4 3:5\n"
				   "-1 2:2 3:5\n"
				   "1 1:-1 2:6 3:5\n"
				   "-1 2:0.5 3:5\n";
	asgd_dataset_options opt = { .base = ASGD_INDEX_ONE, .min_features = 4 };
	asgd_dataset *ds = NULL;
	char path[1200], err[ERRLEN];

	make_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/scale.svm", dir);
	write_bytes(path, text, sizeof(text) - 1);
	cr_assert_eq(asgd_dataset_read_libsvm(path, &opt, &ds, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	cr_assert_eq(ds->cols, 4);
	return ds;
}

Test(dataset, maxabs_scaling_keeps_the_zeros)
{
	asgd_dataset *ds, *sc = NULL;
	char dir[64], err[ERRLEN];

	ds = scaling_fixture(dir);
	cr_assert_eq(asgd_dataset_scale(ds, ASGD_SCALE_MAXABS, &sc, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	check_invariants(sc);
	cr_assert_eq(sc->nnz, ds->nnz, "maxabs stores what was stored, nothing more");
	cr_assert_eq(sc->rows, 4);
	cr_assert_eq(sc->cols, 4);
	/* column 0: max |.| = 2; column 1: 6; column 2: 5 */
	cr_assert_float_eq(testdata_entry(sc, 0, 0), 1.0, 1e-15);
	cr_assert_float_eq(testdata_entry(sc, 2, 0), -0.5, 1e-15);
	cr_assert_float_eq(testdata_entry(sc, 0, 1), -4.0 / 6, 1e-15);
	cr_assert_float_eq(testdata_entry(sc, 3, 1), 0.5 / 6, 1e-15);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_float_eq(testdata_entry(sc, i, 2), 1.0, 1e-15);
		cr_assert_eq(sc->label[i], ds->label[i]);
	}
	cr_assert(strstr(sc->source, "(scaled: maxabs)"), "%s", sc->source);
	asgd_dataset_destroy(sc);
	asgd_dataset_destroy(ds);
}

Test(dataset, standard_scaling_centres_every_column)
{
	asgd_dataset *ds, *sc = NULL;
	char dir[64], err[ERRLEN];

	ds = scaling_fixture(dir);
	cr_assert_eq(asgd_dataset_scale(ds, ASGD_SCALE_STANDARD, &sc, err, sizeof(err)), ASGD_OK,
		     "%s", err);
	check_invariants(sc);
	cr_assert_eq(sc->nnz, 16, "dense: every row stores every column");
	for (uint32_t j = 0; j < 4; j++) {
		double mean = 0, sq = 0;

		for (size_t i = 0; i < 4; i++) {
			mean += testdata_entry(sc, i, j) / 4;
			sq += testdata_entry(sc, i, j) * testdata_entry(sc, i, j) / 4;
		}
		cr_assert_float_eq(mean, 0, 1e-14, "column %u mean %g", j, mean);
		/* unit population variance, or 0 for the constant and the empty column */
		cr_assert_float_eq(sq, j <= 1 ? 1.0 : 0.0, 1e-14, "column %u var %g", j, sq);
	}
	/* column 0 holds 2, 0, -1, 0: mean 1/4, sd sqrt(5/4 - 1/16) */
	cr_assert_float_eq(testdata_entry(sc, 0, 0), (2 - 0.25) / sqrt(1.25 - 0.0625), 1e-14);
	asgd_dataset_destroy(sc);
	asgd_dataset_destroy(ds);
}

Test(dataset, scaling_refusals)
{
	asgd_dataset *ds, *sc = NULL;
	asgd_scale s;
	char dir[64], err[ERRLEN];

	ds = scaling_fixture(dir);
	cr_assert_eq(asgd_dataset_scale(ds, ASGD_SCALE_NONE, &sc, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_scale(ds, (asgd_scale)7, &sc, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_null(sc);
	cr_assert_eq(asgd_scale_parse("maxabs", &s), ASGD_OK);
	cr_assert_eq(s, ASGD_SCALE_MAXABS);
	cr_assert_eq(asgd_scale_parse("minmax", &s), ASGD_ENOTFOUND);
	cr_assert_str_eq(asgd_scale_name(ASGD_SCALE_STANDARD), "standard");
	asgd_dataset_destroy(ds);
	/* standard scaling of the full rcv1-like set would store 200000 x 47236 entries */
	ds = generate("rcv1:n=3000,d=47236,nnz=5");
	cr_assert_eq(asgd_dataset_scale(ds, ASGD_SCALE_STANDARD, &sc, err, sizeof(err)),
		     ASGD_EINVAL);
	cr_assert(strstr(err, "maxabs"), "%s", err);
	cr_assert_eq(asgd_dataset_scale(ds, ASGD_SCALE_MAXABS, &sc, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(sc->nnz, ds->nnz);
	asgd_dataset_destroy(sc);
	asgd_dataset_destroy(ds);
}

/* ---- parts for the MPI mode: shards i ≡ r (mod W) and the evenly spread sample ---- */

/* Row @i of @a and row @k of @b: the same entries and label. */
static void assert_same_row(const asgd_dataset *a, size_t i, const asgd_dataset *b, size_t k)
{
	size_t la = a->row_ptr[i + 1] - a->row_ptr[i], lb = b->row_ptr[k + 1] - b->row_ptr[k];

	cr_assert_eq(la, lb, "row %zu has %zu entries, its copy %zu has %zu", i, la, k, lb);
	cr_assert_eq(a->label[i], b->label[k]);
	for (size_t e = 0; e < la; e++) {
		cr_assert_eq(a->col[a->row_ptr[i] + e], b->col[b->row_ptr[k] + e]);
		cr_assert_eq(a->val[a->row_ptr[i] + e], b->val[b->row_ptr[k] + e]);
	}
}

Test(dataset, shards_mod_w_hold_every_row_once)
{
	asgd_dataset *ds = NULL;
	char err[ERRLEN] = "";
	const size_t n = 301;

	cr_assert_eq(asgd_dataset_generate("rcv1:n=301,d=400,nnz=12,seed=4", &ds, err, ERRLEN),
		     ASGD_OK, "%s", err);
	for (size_t W = 1; W <= 4; W++) {
		size_t rows = 0, nnz = 0;

		for (size_t r = 0; r < W; r++) {
			asgd_dataset *part = NULL;

			cr_assert_eq(asgd_dataset_rows_mod(ds, r, W, &part, err, ERRLEN), ASGD_OK,
				     "%s", err);
			cr_assert_eq(part->rows, asgd_dataset_rows_mod_count(n, r, W));
			cr_assert(part->rows == n / W || part->rows == (n + W - 1) / W,
				  "W=%zu r=%zu: %zu rows", W, r, part->rows);
			cr_assert_eq(part->cols, ds->cols, "the dimension is the whole set's");
			for (size_t k = 0; k < part->rows; k++)
				assert_same_row(ds, r + k * W, part, k);
			for (size_t j = 0; j < part->cols; j++)
				cr_assert_leq(part->col_count[j], ds->col_count[j]);
			cr_assert_not_null(strstr(part->source, "mod"), "%s", part->source);
			rows += part->rows;
			nnz += part->nnz;
			asgd_dataset_destroy(part);
		}
		cr_assert_eq(rows, n, "W=%zu: the shards hold %zu rows", W, rows);
		cr_assert_eq(nnz, ds->nnz, "W=%zu: the shards hold %zu entries", W, nnz);
	}
	asgd_dataset_destroy(ds);
}

Test(dataset, shard_refusals)
{
	asgd_dataset *ds = NULL, *part = NULL;
	char err[ERRLEN] = "";

	cr_assert_eq(asgd_dataset_generate("rcv1:n=5,d=20,nnz=3", &ds, err, ERRLEN), ASGD_OK);
	cr_assert_eq(asgd_dataset_rows_mod(ds, 0, 0, &part, err, ERRLEN), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_rows_mod(ds, 3, 3, &part, err, ERRLEN), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_rows_mod(ds, 5, 7, &part, err, ERRLEN), ASGD_EINVAL,
		     "a shard without rows");
	cr_assert_not_null(strstr(err, "5 rows"), "%s", err);
	cr_assert_eq(asgd_dataset_rows_mod(NULL, 0, 1, &part, err, ERRLEN), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_rows_spread(ds, 0, &part, err, ERRLEN), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_rows_spread(ds, 6, &part, err, ERRLEN), ASGD_EINVAL);
	cr_assert_null(part, "nothing written on failure");
	cr_assert_eq(asgd_dataset_rows_mod_count(5, 5, 7), 0);
	cr_assert_eq(asgd_dataset_rows_mod_count(5, 0, 0), 0);
	asgd_dataset_destroy(ds);
}

Test(dataset, sample_is_spread_evenly)
{
	asgd_dataset *ds = NULL, *s = NULL;
	char err[ERRLEN] = "";

	cr_assert_eq(asgd_dataset_generate("rcv1:n=1000,d=300,nnz=8,seed=2", &ds, err, ERRLEN),
		     ASGD_OK, "%s", err);
	for (size_t m = 1; m <= 1000; m += 333) {
		size_t count = 0;

		cr_assert_eq(asgd_dataset_rows_spread(ds, m, &s, err, ERRLEN), ASGD_OK, "%s", err);
		cr_assert_eq(s->rows, m);
		cr_assert_eq(s->cols, ds->cols);
		for (size_t k = 0; k < m; k++) /* the rows floor(k n / m), in order */
			assert_same_row(ds, k * 1000 / m, s, k);
		for (size_t i = 0; i < 1000; i++)
			count += asgd_dataset_spread_has(1000, m, i);
		cr_assert_eq(count, m);
		cr_assert(asgd_dataset_spread_has(1000, m, 0), "row 0 is always in");
		asgd_dataset_destroy(s);
	}
	/* m = n: every row */
	cr_assert_eq(asgd_dataset_rows_spread(ds, 1000, &s, err, ERRLEN), ASGD_OK);
	cr_assert_eq(s->nnz, ds->nnz);
	cr_assert_not_null(strstr(s->source, "sample: 1000 of 1000 rows"), "%s", s->source);
	asgd_dataset_destroy(s);
	asgd_dataset_destroy(ds);
}

Test(dataset, widen_adds_empty_columns)
{
	asgd_dataset *ds = NULL, *w = NULL;
	char err[ERRLEN] = "";

	cr_assert_eq(asgd_dataset_generate("rcv1:n=40,d=30,nnz=4,seed=3", &ds, err, ERRLEN), ASGD_OK);
	cr_assert_eq(asgd_dataset_widen(ds, 45, &w, err, ERRLEN), ASGD_OK, "%s", err);
	cr_assert_eq(w->cols, 45);
	cr_assert_eq(w->rows, ds->rows);
	cr_assert_eq(w->nnz, ds->nnz);
	for (size_t i = 0; i < ds->rows; i++)
		assert_same_row(ds, i, w, i);
	for (size_t j = 0; j < 45; j++)
		cr_assert_eq(w->col_count[j], j < 30 ? ds->col_count[j] : 0);
	cr_assert_str_eq(w->source, ds->source);
	asgd_dataset_destroy(w);
	w = NULL;
	cr_assert_eq(asgd_dataset_widen(ds, 29, &w, err, ERRLEN), ASGD_EINVAL);
	cr_assert_null(w);
	asgd_dataset_destroy(ds);
}
