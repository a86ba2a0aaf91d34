/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/dataset.h — labelled examples for the data-backed models: readers and generators.
 *
 * A dataset is n rows (examples) of d features, stored sparse (CSR) whether it came from a sparse
 * LIBSVM file or a dense CSV table, with one label per row. The models of asgd/problem.h read it
 * on every gradient from every thread, so it is immutable after creation and its fields are
 * public for the hot path: read them, never write them.
 *
 * Where the data come from (asgd_dataset_load() takes any of these specs):
 *   heart_scale            Debian's liblinear-tools example (LIBSVM, 270 rows, 13 features)
 *   breast-cancer          python3-sklearn's breast_cancer.csv (569 rows, 30 features, 0/1)
 *   digits                 python3-sklearn's digits.csv.gz (1797 rows, 64 features, 10 classes)
 *   PATH                   a file: *.csv or *.csv.gz (any case) is read as CSV, anything else
 *                          as LIBSVM
 *   csv:PATH, libsvm:PATH  a file in the format named, whatever its name
 *   regression:n=..,d=..,noise=..,seed=..
 *                          dense linear regression y = a·w* + noise·ε, a ~ N(0, I), ε ~ N(0, 1),
 *                          w* ~ N(0, I/d)
 *   rcv1:n=..,d=..,nnz=..,seed=..
 *                          sparse RCV1-like classification: words j drawn with probability
 *                          p_j ∝ (j+1)^(-1) (power law) until the row has k distinct ones, k
 *                          about nnz (nnz·exp(σZ − σ²/2), σ = 0.5, rounded at random, clamped to
 *                          [1, d]); value log(1 + count)·log(1 + 1/p_j), each row scaled to unit
 *                          norm; labels ±1 = sign(a·w*) for a planted w* with ~10% of its entries
 *                          N(0, 1) and the rest 0, then 5% of them flipped
 * A generator's keys may come in any order and any may be left out (the defaults of
 * asgd_dataset_generate); "regression" or "rcv1" alone takes every default. Integers may be written
 * "2e5" (asgd_parse_u64). Files may be gzip-compressed (read through zlib).
 *
 * Generators are deterministic: row i draws only from the stream (seed, i + 1) of asgd/rng.h and
 * w* from (seed, 0): the same spec gives the same data (bit for bit under one C library), and a
 * smaller n gives a prefix of the rows.
 *
 * Errors: a reader never skips what it cannot read. The first malformed token stops it, and the
 * error message has the form "FILE:LINE:COLUMN: found 'TOKEN', expected WHAT", with LINE and
 * COLUMN counted from 1 and COLUMN in bytes (the token's first byte); control and non-ASCII
 * bytes of TOKEN are written \xHH. Only blank lines, comments and a CSV header are skipped.
 */
#ifndef ASGD_DATASET_H
#define ASGD_DATASET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/** Feature ids in a LIBSVM file: detected from the data, or fixed. */
typedef enum asgd_index_base {
	ASGD_INDEX_AUTO = 0, /**< 0-based if any row has feature id 0, else 1-based */
	ASGD_INDEX_ZERO,     /**< ids start at 0 */
	ASGD_INDEX_ONE,      /**< ids start at 1 (id 0 is then an error) */
} asgd_index_base;

/** Reader options. Zero-initialise for the defaults. */
typedef struct asgd_dataset_options {
	asgd_index_base base;    /**< LIBSVM: how feature ids map to columns */
	int label_column;        /**< CSV: the label's column counted from 1, or from the end when
	                              negative (−1 is the last); 0, the default, means the last */
	size_t min_features;     /**< d is at least this (a test file may lack the last feature) */
	uint32_t max_feature_id; /**< LIBSVM: a feature id above this (as written) is an error;
	                              0, the default, allows ids up to UINT32_MAX. It bounds the
	                              memory a small file can make the reader take: d is then
	                              at most this + 1, or min_features */
	const atomic_int *stop;  /**< NULL, or a flag that stops reading or generating when raised
	                              (a relaxed load every ~0.1 ms of work; a SIGINT handler may
	                              raise it): the call returns ASGD_EINTR with nothing made */
} asgd_dataset_options;

/** n labelled rows in CSR form. Immutable; read the fields, never write them. */
typedef struct asgd_dataset {
	size_t rows;         /**< n */
	size_t cols;         /**< d: one more than the largest 0-based feature id (LIBSVM), the
	                          fields of a row less the label (CSV), d (generators); at least
	                          options.min_features. 0 only for a LIBSVM file without a
	                          single feature */
	size_t nnz;          /**< stored entries (explicit zeros of a LIBSVM file are kept) */
	size_t *row_ptr;     /**< rows + 1 offsets: row i is entries row_ptr[i] .. row_ptr[i+1]−1 */
	uint32_t *col;       /**< nnz 0-based feature ids, strictly increasing within a row */
	double *val;         /**< nnz values, all finite */
	double *label;       /**< rows labels as read (±1, 0/1, class ids, real targets), finite */
	size_t *col_count;   /**< cols counts: the rows in which each feature is stored */
	size_t classes;      /**< distinct label values (a regression target has many) */
	char *source;        /**< where it came from: a generator's canonical spec, every key
	                          spelled out ("rcv1:n=200000,d=47236,nnz=70,seed=1"), else the
	                          path of the file read (also for a named data set) */
} asgd_dataset;

/*
 * asgd_dataset_read_libsvm - read a LIBSVM / svmlight file ("LABEL [qid:Q] ID:VALUE ... [# ...]").
 * @path: the file (gzip or plain); @opt: options, or NULL for the defaults.
 * Tokens are separated by spaces or tabs; a line may end in "\r\n"; '#' starts a comment that
 * runs to the end of the line. Blank lines and lines that are only a comment are skipped; qid:Q
 * (Q a non-negative integer) is allowed right after the label and ignored. Labels and values are
 * finite decimal numbers as asgd_parse_double reads them (no nan, inf or hex); ids are decimal
 * digits up to UINT32_MAX (or @opt->max_feature_id) and must increase strictly within a row;
 * with ASGD_INDEX_ONE an id 0 is an error. Explicit zero values are kept. The last line needs no
 * newline.
 * @err: receives "FILE:LINE:COLUMN: ..." on ASGD_EPARSE, a sentence otherwise (may be NULL).
 * Returns ASGD_OK and a new dataset in *out; ASGD_EINVAL for NULL arguments or an unknown base,
 * ASGD_EIO when the file cannot be opened or read (a directory, a truncated or corrupt gzip
 * stream included), ASGD_EPARSE for malformed content or a file without rows, ASGD_ENOMEM,
 * ASGD_EINTR when @opt->stop was raised before the end ("interrupted" in @err).
 * *out is written only on success.
 */
int asgd_dataset_read_libsvm(const char *path, const asgd_dataset_options *opt,
			     asgd_dataset **out, char *err, size_t errlen);

/*
 * asgd_dataset_read_csv - read a dense comma-separated table, one example a row.
 * The first non-blank line is a header, and skipped, when any of its fields is not a number
 * (sklearn's files begin "569,30,malignant,benign"). Every other non-blank line is a row; all rows
 * must have the number of fields of the first (at least 2), each a finite decimal number with
 * optional spaces or tabs around it (an empty field is an error); zeros are not stored. The label
 * is the field @opt->label_column (1-based; negative from the end; default the last); the others
 * are the features, in order. Lines may end in "\r\n".
 * Returns and reports as asgd_dataset_read_libsvm; a ragged row's message reads
 * "FILE:LINE:COLUMN: found F fields, expected E as on line L". A label column outside the table
 * gives ASGD_EINVAL.
 */
int asgd_dataset_read_csv(const char *path, const asgd_dataset_options *opt, asgd_dataset **out,
			  char *err, size_t errlen);

/*
 * asgd_dataset_parse_libsvm - read LIBSVM text from memory: the @len bytes at @buf, as
 * asgd_dataset_read_libsvm reads a plain (not gzip) file holding exactly these bytes. The same
 * code reads both, so the results and messages agree, with @name (NULL: "(buffer)") where the
 * file's path would be, in messages and in the dataset's source. @buf need not be NUL-terminated
 * and may hold NUL bytes (an error where a token is expected); it is not modified, and may be
 * NULL when @len is 0 (no rows: ASGD_EPARSE).
 * Returns as asgd_dataset_read_libsvm (never ASGD_EIO); ASGD_EINVAL also for NULL @buf with
 * @len > 0.
 */
int asgd_dataset_parse_libsvm(const char *name, const void *buf, size_t len,
			      const asgd_dataset_options *opt, asgd_dataset **out, char *err,
			      size_t errlen);

/*
 * asgd_dataset_parse_csv - read CSV text from memory: the @len bytes at @buf, exactly as
 * asgd_dataset_read_csv reads a plain file holding them (see asgd_dataset_parse_libsvm for @name
 * and @buf). Returns as asgd_dataset_read_csv (never ASGD_EIO).
 */
int asgd_dataset_parse_csv(const char *name, const void *buf, size_t len,
			   const asgd_dataset_options *opt, asgd_dataset **out, char *err,
			   size_t errlen);

/*
 * asgd_dataset_generate - a synthetic dataset from a spec "regression:k=v,..." or "rcv1:k=v,..."
 * (header comment). Defaults: regression n=10000, d=100, noise=0.1, seed=1; rcv1 n=200000,
 * d=47236, nnz=70, seed=1. Returns ASGD_OK; ASGD_EINVAL (with a sentence in err) for an unknown
 * generator or key, a key given twice, a malformed or out-of-range value (n ≥ 1; regression
 * 1 ≤ d ≤ UINT32_MAX and noise ≥ 0; rcv1 1 ≤ d ≤ 2^24 and 1 ≤ nnz ≤ d); ASGD_ENOMEM.
 * It cannot be stopped: asgd_dataset_load() with a generator spec and options whose stop flag is
 * set generates the same data and returns ASGD_EINTR when the flag is raised (`rcv1` builds
 * 14 million entries by default, about a second).
 */
int asgd_dataset_generate(const char *spec, asgd_dataset **out, char *err, size_t errlen);

/*
 * asgd_dataset_load - any spec of the header comment: a Debian data set by name, a generator, or
 * a file. @opt applies to the reader (base, label_column) and min_features to generators too.
 * A named data set that is not installed gives ASGD_ENOTFOUND and a sentence naming the Debian
 * package to install; otherwise returns and reports as the reader or generator it dispatches to
 * (a missing file is ASGD_EIO). @opt->stop stops readers and generators alike (ASGD_EINTR).
 */
int asgd_dataset_load(const char *spec, const asgd_dataset_options *opt, asgd_dataset **out,
		      char *err, size_t errlen);

/*
 * asgd_dataset_names - the data set names a spec may start with: the named Debian sets
 * ("heart_scale", "breast-cancer", "digits") and the generators ("regression", "rcv1"), static,
 * @count of them (for "did you mean" when a spec names none of them and no file).
 */
const char *const *asgd_dataset_names(size_t *count);

/*
 * asgd_dataset_locate - the installed path of a named Debian data set ("heart_scale",
 * "breast-cancer", "digits") into @path: /usr/share/doc/liblinear-tools/examples/heart_scale and
 * /usr/lib/python3/dist-packages/sklearn/datasets/data/{breast_cancer.csv,digits.csv.gz}.
 * Returns ASGD_OK, ASGD_ENOTFOUND (not installed or not readable, or an unknown name),
 * ASGD_EINVAL (NULL, or @len too small).
 */
int asgd_dataset_locate(const char *name, char *path, size_t len);

/** asgd_dataset_destroy - free a dataset; NULL is a no-op. */
void asgd_dataset_destroy(asgd_dataset *ds);

/*
 * asgd_dataset_label_values - the distinct label values in increasing order: the first
 * min(cap, count) into @values, their number into *count (−0 and +0 count as one). @values may
 * be NULL when @cap is 0. Returns ASGD_OK, ASGD_EINVAL or ASGD_ENOMEM.
 */
int asgd_dataset_label_values(const asgd_dataset *ds, double *values, size_t cap, size_t *count);

/*
 * Feature scaling (issue 16): what practitioners do before they train, since SGD's one step
 * size has to suit every column.
 */
typedef enum asgd_scale {
	ASGD_SCALE_NONE = 0, /**< the values as read */
	ASGD_SCALE_MAXABS,   /**< each column divided by its largest |value|: within [−1, 1],
	                          zeros stay zeros, sparse data stays sparse */
	ASGD_SCALE_STANDARD, /**< each column centred and divided by its (population) sd over all
	                          n rows, stored zeros included: dense, n·d entries */
} asgd_scale;

/** The most entries standard scaling may store (n·d): about 1.5 GiB of values and ids. */
#define ASGD_SCALE_MAX_DENSE (1ull << 27)

/** asgd_scale_name - "none", "maxabs", "standard"; NULL if unknown. */
const char *asgd_scale_name(asgd_scale s);

/** asgd_scale_parse - the scaling named @name: ASGD_OK, ASGD_ENOTFOUND or ASGD_EINVAL (NULL). */
int asgd_scale_parse(const char *name, asgd_scale *out);

/*
 * asgd_dataset_scale - a new dataset: @in with every column scaled @how (maxabs or standard);
 * labels, rows and d as in @in, source "SOURCE (scaled: HOW)". A column that is constant, or
 * never stored, keeps its values under maxabs and becomes 0 under standard. @in is unchanged.
 * Return: ASGD_OK; ASGD_EINVAL with a sentence in @err for none or an unknown @how, or standard
 * scaling of more than ASGD_SCALE_MAX_DENSE entries (use maxabs); ASGD_ENOMEM.
 */
int asgd_dataset_scale(const asgd_dataset *in, asgd_scale how, asgd_dataset **out, char *err,
		       size_t errlen);

/*
 * A scaling's statistics, fitted on one set (the training set) and applied to others (a held-out
 * set must be scaled with the training set's numbers, or its scores would see the test labels'
 * features through the scaling). Per column j < cols: maxabs keeps max_i |x_ij| in a[j] (b
 * unused); standard keeps the mean in a[j] and the population sd in b[j] (0 for a constant
 * column).
 */
typedef struct asgd_scale_stats {
	asgd_scale how;
	size_t cols;
	double *a, *b;
} asgd_scale_stats;

/*
 * asgd_scale_fit - the statistics of @how (maxabs or standard) over all rows of @in into @st
 * (free them with asgd_scale_stats_free). Returns ASGD_OK; ASGD_EINVAL with a sentence in @err
 * for NULL arguments, none or an unknown @how; ASGD_ENOMEM.
 */
int asgd_scale_fit(const asgd_dataset *in, asgd_scale how, asgd_scale_stats *st, char *err,
		   size_t errlen);

/*
 * asgd_scale_apply - a new dataset: @in scaled with @st, which may come from another set.
 * The result has st->cols columns: entries of @in in a column at or beyond st->cols are dropped
 * (there is no statistic for them, and a model fitted where they were absent has no weight for
 * them); a column of @in short of st->cols is read as all zeros (and so, under standard, becomes
 * −mean/sd). Labels and rows as in @in, source "SOURCE (scaled: HOW)". Returns as
 * asgd_dataset_scale (the dense limit is checked on rows · st->cols).
 */
int asgd_scale_apply(const asgd_dataset *in, const asgd_scale_stats *st, asgd_dataset **out,
		     char *err, size_t errlen);

/** asgd_scale_stats_free - release @st's arrays; a zeroed or NULL @st is a no-op. */
void asgd_scale_stats_free(asgd_scale_stats *st);

/*
 * asgd_dataset_split - hold out a fraction of the rows: m = round(@fraction · n) rows, at least 1
 * and at most n − 1, go to *@test and the others to *@train, each keeping the rows' order of
 * @in and @in's d (so feature ids mean the same in both). The m rows are the first m of a
 * Fisher–Yates shuffle of 0..n−1 drawn from the asgd_rng stream (@seed, 0): the same @in,
 * @fraction and @seed give the same split on any machine. Sources "SOURCE (train: n−m of n rows,
 * split seed S)" and "SOURCE (held out: m of n rows, split seed S)".
 * Returns ASGD_OK; ASGD_EINVAL with a sentence in @err for NULL arguments, @fraction outside
 * (0, 1) or a set of fewer than 2 rows; ASGD_ENOMEM. *@train and *@test are written only on
 * success.
 */
int asgd_dataset_split(const asgd_dataset *in, double fraction, uint64_t seed,
		       asgd_dataset **train, asgd_dataset **test, char *err, size_t errlen);

/*
 * Parts of a set for the MPI mode (issue 18, docs/DESIGN.md "MPI"): a worker rank keeps its
 * shard of the rows, the parameter server a fixed sample to score the loss on. Both keep @in's
 * row order and its d (cols), so a feature id means the same column in every part, and both are
 * functions of n and their arguments only: every rank computes the same partition on its own.
 */

/** asgd_dataset_rows_mod_count - how many of the rows 0..n−1 have i ≡ r (mod W): ⌈(n − r)/W⌉
 *  for r < min(n, W), else 0. */
size_t asgd_dataset_rows_mod_count(size_t n, size_t r, size_t W);

/*
 * asgd_dataset_rows_mod - a new dataset of the rows i ≡ @r (mod @W) of @in, in order: W such
 * parts, r = 0..W−1, hold every row exactly once, and each holds ⌊n/W⌋ or ⌈n/W⌉ of them.
 * Labels, values and explicit zeros as in @in; cols = @in's cols (features only other parts
 * store stay columns, with col_count 0 here); source "SOURCE (rows i = R mod W: M of N)".
 * Returns ASGD_OK; ASGD_EINVAL with a sentence in @err for NULL arguments, W = 0, r ≥ W, or
 * r ≥ n (a part without rows); ASGD_ENOMEM. *@out is written only on success.
 */
int asgd_dataset_rows_mod(const asgd_dataset *in, size_t r, size_t W, asgd_dataset **out,
			  char *err, size_t errlen);

/** asgd_dataset_spread_has - whether row @i of n is in the sample of @m rows of
 *  asgd_dataset_rows_spread (0 for m = 0, m > n or i ≥ n). */
int asgd_dataset_spread_has(size_t n, size_t m, size_t i);

/*
 * asgd_dataset_rows_spread - a new dataset of @m rows of @in spread evenly over it: the rows
 * ⌊k n / m⌋, k = 0..m−1 (all rows when m = n), in order. A fixed stride, not a random draw, so
 * that it needs no seed and a file sorted by label or by time is still sampled across its
 * length. cols as @in; source "SOURCE (sample: M of N rows, spread evenly)".
 * Returns ASGD_OK; ASGD_EINVAL with a sentence in @err for NULL arguments or m outside 1..n;
 * ASGD_ENOMEM. *@out is written only on success.
 */
int asgd_dataset_rows_spread(const asgd_dataset *in, size_t m, asgd_dataset **out, char *err,
			     size_t errlen);

/*
 * asgd_dataset_widen - a copy of @in with d = @cols ≥ @in's cols: the same rows, the new columns
 * stored in none of them. For a part read on its own (one file per MPI worker) whose last
 * features only other parts store. Source as @in's. Returns ASGD_OK; ASGD_EINVAL with a sentence
 * in @err for NULL arguments or @cols < @in's; ASGD_ENOMEM.
 */
int asgd_dataset_widen(const asgd_dataset *in, size_t cols, asgd_dataset **out, char *err,
		       size_t errlen);

#endif /* ASGD_DATASET_H */
