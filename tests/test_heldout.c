/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_heldout.c — what a practitioner's held-out evaluation rests on (issue 16): the split
 * (disjoint, complete, of the promised sizes, the same for the same seed), a test set scaled
 * with the training set's statistics (against hand-computed values), a model's scores on rows
 * it was not built on (hand-computed), and the model file (a round trip that gives back the same
 * doubles, every malformed file rejected with its line number).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/modelfile.h"
#include "testdata.h"

#define ERRLEN 512

static asgd_dataset *parse(const char *text)
{
	asgd_dataset_options opt = { .base = ASGD_INDEX_ONE };
	asgd_dataset *ds = NULL;
	char err[ERRLEN];

	cr_assert_eq(asgd_dataset_parse_libsvm("t", text, strlen(text), &opt, &ds, err,
					       sizeof(err)), ASGD_OK, "%s", err);
	return ds;
}

/* Rows of 10 distinct labels 0..9 and one feature equal to the label: a row is its label. */
static asgd_dataset *numbered_rows(void)
{
	return parse("0 1:0\n1 1:1\n2 1:2\n3 1:3\n4 1:4\n5 1:5\n6 1:6\n7 1:7\n8 1:8\n9 1:9 2:1\n");
}

/* ---- the split ---- */

Test(split, disjoint_complete_and_of_the_promised_sizes)
{
	asgd_dataset *ds = numbered_rows(), *tr, *te;
	int seen[10] = { 0 };
	char err[ERRLEN];

	cr_assert_eq(asgd_dataset_split(ds, 0.3, 1, &tr, &te, err, sizeof(err)), ASGD_OK, "%s",
		     err);
	cr_assert_eq(te->rows, 3, "round(0.3 * 10)");
	cr_assert_eq(tr->rows, 7);
	cr_assert_eq(tr->cols, ds->cols, "both keep d");
	cr_assert_eq(te->cols, ds->cols);
	for (size_t i = 0; i < tr->rows; i++)
		seen[(int)tr->label[i]]++;
	for (size_t i = 0; i < te->rows; i++)
		seen[(int)te->label[i]] += 10;
	for (int k = 0; k < 10; k++)
		cr_assert(seen[k] == 1 || seen[k] == 10, "row %d in exactly one part (%d)", k, seen[k]);
	for (size_t i = 0; i + 1 < te->rows; i++)
		cr_assert_lt(te->label[i], te->label[i + 1], "rows keep their order");
	for (size_t i = 0; i < tr->rows; i++) /* each row whole: its feature is its label */
		cr_assert_eq(testdata_entry(tr, i, 0), tr->label[i]);
	cr_assert(strstr(te->source, "held out: 3 of 10 rows, split seed 1"), "%s", te->source);
	cr_assert(strstr(tr->source, "train: 7 of 10 rows"), "%s", tr->source);
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
	asgd_dataset_destroy(ds);
}

Test(split, the_same_seed_gives_the_same_rows)
{
	asgd_dataset *ds = numbered_rows(), *tr[3], *te[3];
	const uint64_t seeds[3] = { 7, 7, 8 };
	char err[ERRLEN];
	int same_78 = 1;

	for (int k = 0; k < 3; k++)
		cr_assert_eq(asgd_dataset_split(ds, 0.5, seeds[k], &tr[k], &te[k], err, sizeof(err)),
			     ASGD_OK);
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(te[0]->label[i], te[1]->label[i], "seed 7 twice");
		same_78 &= te[0]->label[i] == te[2]->label[i];
	}
	/* 7 and 8 agree by chance with probability 1/C(10,5) = 1/252: fixed seeds, checked once */
	cr_assert_not(same_78, "seeds 7 and 8 hold out the same rows");
	for (int k = 0; k < 3; k++) {
		asgd_dataset_destroy(tr[k]);
		asgd_dataset_destroy(te[k]);
	}
	asgd_dataset_destroy(ds);
}

Test(split, extremes_keep_a_row_on_each_side_and_refusals)
{
	asgd_dataset *ds = numbered_rows(), *tr = NULL, *te = NULL, *one;
	char err[ERRLEN];

	cr_assert_eq(asgd_dataset_split(ds, 0.01, 1, &tr, &te, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(te->rows, 1, "round(0.1) is 0: at least one row is held out");
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
	cr_assert_eq(asgd_dataset_split(ds, 0.99, 1, &tr, &te, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(tr->rows, 1, "at least one row is left to train on");
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
	tr = te = NULL;
	cr_assert_eq(asgd_dataset_split(ds, 0, 1, &tr, &te, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_split(ds, 1, 1, &tr, &te, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_eq(asgd_dataset_split(ds, NAN, 1, &tr, &te, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "(0, 1)"), "%s", err);
	one = parse("1 1:1\n");
	cr_assert_eq(asgd_dataset_split(one, 0.5, 1, &tr, &te, err, sizeof(err)), ASGD_EINVAL);
	cr_assert_null(tr);
	cr_assert_null(te);
	asgd_dataset_destroy(one);
	asgd_dataset_destroy(ds);
}

/* ---- scaling a test set with the training set's statistics ---- */

/* Training columns: 0 holds 1, 2, 3 (mean 2, population sd sqrt(2/3)); 1 holds 0, 0, 6 (mean 2,
 * sd sqrt(8)). The test set stores column 2, which the training set lacks. */
static const char TRAIN[] = "1 1:1\n-1 1:2\n1 1:3 2:6\n";
static const char TEST[] = "1 1:5\n-1 2:2 3:7\n1 1:0\n";

Test(scale, standard_uses_the_training_mean_and_sd)
{
	asgd_dataset *tr = parse(TRAIN), *te = parse(TEST), *sc = NULL;
	asgd_scale_stats st;
	char err[ERRLEN];

	cr_assert_eq(asgd_scale_fit(tr, ASGD_SCALE_STANDARD, &st, err, sizeof(err)), ASGD_OK);
	cr_assert_float_eq(st.a[0], 2, 1e-15);
	cr_assert_float_eq(st.b[0], sqrt(2.0 / 3), 1e-15);
	cr_assert_float_eq(st.a[1], 2, 1e-15);
	cr_assert_float_eq(st.b[1], sqrt(8.0), 1e-15);
	cr_assert_eq(asgd_scale_apply(te, &st, &sc, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(sc->cols, 2, "the test set's extra column is dropped");
	cr_assert_eq(sc->nnz, 6, "dense over the training set's columns");
	cr_assert_float_eq(testdata_entry(sc, 0, 0), (5 - 2) / sqrt(2.0 / 3), 1e-14);
	cr_assert_float_eq(testdata_entry(sc, 0, 1), (0 - 2) / sqrt(8.0), 1e-14);
	cr_assert_float_eq(testdata_entry(sc, 1, 0), (0 - 2) / sqrt(2.0 / 3), 1e-14);
	cr_assert_float_eq(testdata_entry(sc, 1, 1), (2 - 2) / sqrt(8.0), 1e-14);
	cr_assert_eq(sc->label[1], -1);
	asgd_dataset_destroy(sc);
	asgd_scale_stats_free(&st);
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
}

Test(scale, maxabs_uses_the_training_maxima)
{
	asgd_dataset *tr = parse(TRAIN), *te = parse(TEST), *sc = NULL, *self = NULL;
	asgd_scale_stats st;
	char err[ERRLEN];

	cr_assert_eq(asgd_scale_fit(tr, ASGD_SCALE_MAXABS, &st, err, sizeof(err)), ASGD_OK);
	cr_assert_eq(asgd_scale_apply(te, &st, &sc, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(sc->cols, 2);
	cr_assert_eq(sc->nnz, 3, "sparse stays sparse: the 4 stored entries less the one in the "
		     "extra column (row 2's explicit 0 is kept)");
	cr_assert_float_eq(testdata_entry(sc, 0, 0), 5.0 / 3, 1e-15, "beyond [-1, 1]: not its own max");
	cr_assert_float_eq(testdata_entry(sc, 1, 1), 2.0 / 6, 1e-15);
	/* fit + apply on one set is asgd_dataset_scale */
	cr_assert_eq(asgd_dataset_scale(tr, ASGD_SCALE_MAXABS, &self, err, sizeof(err)), ASGD_OK);
	cr_assert_float_eq(testdata_entry(self, 2, 1), 1, 1e-15);
	asgd_dataset_destroy(self);
	asgd_dataset_destroy(sc);
	asgd_scale_stats_free(&st);
	cr_assert_eq(asgd_scale_fit(tr, ASGD_SCALE_NONE, &st, err, sizeof(err)), ASGD_EINVAL);
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
}

/* ---- scores on other rows ---- */

Test(eval, held_out_loss_and_accuracy_by_hand)
{
	asgd_dataset *tr = parse(TRAIN), *te = parse(TEST);
	asgd_data_model m = { .loss = ASGD_LOSS_LOGISTIC, .lambda = 0.5, .positive = NAN };
	asgd_problem *p = NULL;
	const double x[2] = { 1, -1 };
	double loss, acc;
	char err[ERRLEN];

	cr_assert_eq(asgd_problem_create_data(tr, &m, &p, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_problem_data_eval(p, te, x, &loss, &acc), ASGD_OK);
	/* margins 5 (label +1), -2 (label -1; column 2 ignored), 0 (label +1: wrong) */
	cr_assert_float_eq(loss, (log1p(exp(-5)) + log1p(exp(-2)) + log(2)) / 3, 1e-15);
	cr_assert_float_eq(acc, 2.0 / 3, 1e-15);
	/* on its own rows: no regulariser, unlike asgd_problem_f */
	cr_assert_eq(asgd_problem_data_eval(p, tr, x, &loss, &acc), ASGD_OK);
	/* margins 1 (label +1), 2 (label -1), -3 (label +1) */
	cr_assert_float_eq(loss, (log1p(exp(-1)) + log1p(exp(2)) + log1p(exp(3))) / 3, 1e-15);
	cr_assert_float_eq(asgd_problem_f(p, x) - loss, 0.5 / 2 * 2, 1e-14, "f = mean + λ/2 |x|²");
	cr_assert_eq(asgd_problem_data_model(p, &m), ASGD_OK);
	cr_assert_eq(m.positive, 1);
	asgd_problem_destroy(p);
	asgd_dataset_destroy(tr);
	asgd_dataset_destroy(te);
}

/* ---- the model file ---- */

static void tmp_path(char *path, size_t len, const char *name)
{
	char dir[] = "/tmp/asgd-test-heldout-XXXXXX";

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, len, "%s/%s", dir, name);
}

Test(modelfile, round_trip_gives_the_same_doubles)
{
	const double x[8] = { 1.0 / 3, -M_PI, 0, 1e-310, -1.7976931348623157e308, 0.1, 0, 2 };
	asgd_modelfile_info in = { .loss = "hinge", .dim = 8, .lambda = 1.0 / 270,
				   .positive = 1, .objective = 0.123456789012345678,
				   .scale = "maxabs", .source = "heart_scale (scaled: maxabs)" };
	asgd_modelfile_info out;
	double *y = NULL;
	char path[128], err[ERRLEN];

	tmp_path(path, sizeof(path), "m.txt");
	cr_assert_eq(asgd_modelfile_write(path, &in, x, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_modelfile_read(path, &out, &y, err, sizeof(err)), ASGD_OK, "%s", err);
	for (int j = 0; j < 8; j++)
		cr_assert(memcmp(&x[j], &y[j], sizeof(double)) == 0, "weight %d: %.17g vs %.17g", j,
			  x[j], y[j]);
	cr_assert_str_eq(out.loss, "hinge");
	cr_assert_eq(out.dim, 8);
	cr_assert(out.lambda == in.lambda && out.positive == 1 &&
		  out.objective == in.objective, "header numbers exact");
	cr_assert_str_eq(out.scale, "maxabs");
	cr_assert_str_eq(out.source, in.source);
	free(y);
	unlink(path);
	in.loss[0] = 'x';
	cr_assert_eq(asgd_modelfile_write(path, &in, x, err, sizeof(err)), ASGD_EINVAL);
	snprintf(in.loss, sizeof(in.loss), "logistic");
	cr_assert_eq(asgd_modelfile_write(path, &in, (double[8]){ [3] = NAN }, err, sizeof(err)),
		     ASGD_EINVAL);
	cr_assert(strstr(err, "weight 4"), "%s", err);
	cr_assert_eq(access(path, F_OK), -1, "nothing written");
}

Test(modelfile, optional_keys_comments_and_crlf)
{
	static const char text[] = "# asgd model v1 loss=svm d=3 future=1\r\n\r\n# a note\r\n"
				   "  2\t-0.5\r\n3 1e-3";
	asgd_modelfile_info info;
	double *x = NULL;
	char err[ERRLEN];

	cr_assert_eq(asgd_modelfile_parse("m", text, sizeof(text) - 1, &info, &x, err, sizeof(err)),
		     ASGD_OK, "%s", err);
	cr_assert_str_eq(info.loss, "hinge", "the canonical name");
	cr_assert(isnan(info.lambda) && isnan(info.positive) && isnan(info.objective));
	cr_assert_eq(info.scale[0], '\0');
	cr_assert(x[0] == 0 && x[1] == -0.5 && x[2] == 1e-3);
	free(x);
}

Test(modelfile, malformed_files_name_their_line)
{
	static const struct {
		const char *text, *expect;
	} cases[] = {
		{ "", "m:1: found the end of the line, expected '# asgd model v1" },
		{ "1 0.5\n", "m:1: found '1 0.5', expected '# asgd model v1" },
		{ "# asgd model v2 loss=logistic d=3\n", "m:1: found 'v2', expected v1" },
		{ "# asgd model v1 d=3\n", "m:1: found the end of the line, expected loss=" },
		{ "# asgd model v1 loss=logistic\n", "m:1: found the end of the line, expected d=" },
		{ "# asgd model v1 loss=lasso d=3\n", "m:1: found 'loss=lasso'" },
		{ "# asgd model v1 loss=logistic d=0\n", "m:1: found 'd=0'" },
		{ "# asgd model v1 loss=logistic d=3 lambda=x\n", "m:1: found 'x', expected lambda=" },
		{ "# asgd model v1 loss=logistic d=3 scale=minmax\n", "m:1: found 'scale=minmax'" },
		{ "# asgd model v1 loss=logistic d=3 junk\n", "m:1: found 'junk', expected KEY=VALUE" },
		{ "# asgd model v1 loss=logistic d=3\n1 0.5\n4 1\n", "m:3: found '4', expected INDEX" },
		{ "# asgd model v1 loss=logistic d=3\n0 1\n", "m:2: found '0', expected INDEX" },
		{ "# asgd model v1 loss=logistic d=3\n2 0.5\n2 1\n", "m:3: found '2', expected an INDEX "
								      "above" },
		{ "# asgd model v1 loss=logistic d=3\n# c\n\n1 abc\n", "m:4: found 'abc', expected VALUE" },
		{ "# asgd model v1 loss=logistic d=3\n1 nan\n", "m:2: found 'nan'" },
		{ "# asgd model v1 loss=logistic d=3\n1 1e999\n", "m:2: found '1e999'" },
		{ "# asgd model v1 loss=logistic d=3\n1\n", "m:2: found the end of the line, expected "
							     "VALUE" },
		{ "# asgd model v1 loss=logistic d=3\n1 2 3\n", "m:2: found '3', expected the end" },
		{ "# asgd model v1 loss=logistic d=3\n1 0.5x\n", "m:2: found '0.5x'" },
		{ "# asgd model v1 loss=logistic d=3\n-1 0.5\n", "m:2: found '-1'" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		asgd_modelfile_info info;
		double *x = NULL;
		char err[ERRLEN] = "";

		cr_assert_eq(asgd_modelfile_parse("m", cases[k].text, strlen(cases[k].text), &info,
						  &x, err, sizeof(err)), ASGD_EPARSE,
			     "case %zu accepted", k);
		cr_assert_null(x);
		cr_assert(strstr(err, cases[k].expect), "case %zu: '%s' lacks '%s'", k, err,
			  cases[k].expect);
	}
}

Test(modelfile, a_missing_file_is_an_io_error)
{
	asgd_modelfile_info info;
	double *x = NULL;
	char err[ERRLEN];

	cr_assert_eq(asgd_modelfile_read("/tmp/asgd-no-such-dir/m.txt", &info, &x, err,
					 sizeof(err)), ASGD_EIO);
	cr_assert(strstr(err, "cannot open '/tmp/asgd-no-such-dir/m.txt'"), "%s", err);
	cr_assert_eq(asgd_modelfile_parse("m", "# asgd model v1 loss=logistic d=1", 33, NULL, &x,
					  err, sizeof(err)), ASGD_EINVAL);
}
