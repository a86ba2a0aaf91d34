/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_internal.h — private to the dataset modules (dataset.c, dataset_read.c,
 * dataset_gen.c): the CSR builder that every reader and generator appends rows to, and the error
 * helper they share. Not installed; nothing outside src/ includes it.
 */
#ifndef ASGD_DATASET_INTERNAL_H
#define ASGD_DATASET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "asgd/dataset.h"
#include "asgd/error.h"
#include "core/stop_internal.h"

/*
 * Rows under construction: entries are appended to the current row, asgd__ds_end_row() closes it
 * with its label. The arrays grow geometrically, so appending is amortised O(1).
 */
typedef struct asgd__ds_builder {
	size_t rows, nnz;
	size_t rows_cap, nnz_cap;
	size_t *row_ptr;	/* rows_cap + 1 offsets; row_ptr[rows]: where the open row starts */
	uint32_t *col;
	double *val;
	double *label;
} asgd__ds_builder;

/* Rows and entries a builder starts with when the caller gives no hint. */
#define ASGD__DS_DEFAULT_ROWS 1024
#define ASGD__DS_DEFAULT_NNZ 16384

/* Start empty, with room for about @rows_hint rows and @nnz_hint entries (0: a small default). */
int asgd__ds_builder_init(asgd__ds_builder *b, size_t rows_hint, size_t nnz_hint);

/* Release whatever @b holds; a zeroed builder is a no-op. */
void asgd__ds_builder_free(asgd__ds_builder *b);

/* Make room for @extra more entries (the slow path of asgd__ds_push). */
int asgd__ds_reserve(asgd__ds_builder *b, size_t extra);

/* Append the entry (@col, @val) to the open row; the caller keeps cols increasing. */
static inline int asgd__ds_push(asgd__ds_builder *b, uint32_t col, double val)
{
	if (__builtin_expect(b->nnz == b->nnz_cap, 0)) {
		int rc = asgd__ds_reserve(b, 1);

		if (rc)
			return rc;
	}
	b->col[b->nnz] = col;
	b->val[b->nnz] = val;
	b->nnz++;
	return ASGD_OK;
}

/* Close the open row with its @label. */
int asgd__ds_end_row(asgd__ds_builder *b, double label);

/*
 * Turn @b into a dataset of @cols columns (the caller has checked that every col < @cols): fills
 * col_count, classes and a copy of @source. @b is emptied whatever happens (success, ENOMEM, or
 * EINTR when @stop, looked at between its passes over the data, is raised).
 */
int asgd__ds_finish(asgd__ds_builder *b, size_t cols, const char *source, asgd_dataset **out,
		    const atomic_int *stop);

/* ASGD_EINTR with "interrupted" in @err. */
int asgd__ds_interrupted(char *err, size_t errlen);

/* Which rows a copy takes: row i is taken when pick(i, arg) says so. */
typedef int (*asgd__ds_row_pick)(size_t i, const void *arg);

/* The rows of @in that @pick takes, in order, as a new set named @source with @cols columns
 * (≥ @in's); @rows_hint: how many, if known (0: not). ASGD_OK or ASGD_ENOMEM (dataset_rows.c). */
int asgd__ds_copy_picked(const asgd_dataset *in, asgd__ds_row_pick pick, const void *arg,
			 size_t cols, size_t rows_hint, const char *source, asgd_dataset **out);

/*
 * asgd_dataset_generate with d raised to at least @min_features and the stop flag @stop
 * (asgd_dataset_load's options).
 */
int asgd__ds_generate(const char *spec, size_t min_features, const atomic_int *stop,
		      asgd_dataset **out, char *err, size_t errlen);

/* A text file, or a buffer in memory, read line by line (dataset_lines.c). */
typedef struct asgd__line_reader {
	gzFile gz;		/* the file; NULL when reading from memory */
	const char *mem;	/* the buffer: mem[mem_pos .. mem_len) is not read yet */
	size_t mem_len, mem_pos;
	const char *path;	/* the file, or the buffer's name, for messages */
	char *buf;
	size_t cap;	/* bytes of buf; one is always kept for a terminating NUL */
	size_t pos;	/* the unread data is buf[pos .. len) */
	size_t len;
	size_t scan;	/* buf[pos .. scan) is known to hold no newline */
	bool eof;
	size_t lineno;	/* of the line handed out last, from 1 */
	const atomic_int *stop;	/* looked at before each read of at most READ_MAX bytes */
} asgd__line_reader;

/*
 * Open @path, gzip or plain (@path must outlive @lr). ASGD_EIO for a directory or an open error.
 * Set lr->stop after opening to make asgd__lines_next() return ASGD_EINTR once it is raised.
 */
int asgd__lines_open(asgd__line_reader *lr, const char *path, char *err, size_t errlen);

/*
 * Read the @len bytes at @mem as if they were a plain file named @name (both must outlive @lr):
 * the same buffering, line splitting and messages, only the bytes come from memory.
 */
int asgd__lines_open_mem(asgd__line_reader *lr, const char *name, const void *mem, size_t len);

/* Close and free; a zeroed reader is a no-op. */
void asgd__lines_close(asgd__line_reader *lr);

/*
 * The next line, without its "\n" or "\r\n", NUL-terminated in place, into @line and @n (it may
 * contain NUL bytes of its own: @n is its length). Returns 1, 0 at the end of the file, or an
 * ASGD error (EIO for a read error or a truncated gzip stream, EINTR when lr->stop was raised
 * before a read). The last line needs no newline.
 */
int asgd__lines_next(asgd__line_reader *lr, char **line, size_t *n, char *err, size_t errlen);

/*
 * ASGD_EPARSE with "FILE:LINE:COL: found 'TOKEN', expected @what" in @err, for the @n-byte token
 * @tok at byte @col (0-based) of the current line.
 */
int asgd__lines_syntax_error(const asgd__line_reader *lr, size_t col, const char *tok, size_t n,
			      char *err, size_t errlen, const char *what);

/* ASGD_EPARSE with "FILE:LINE:1: found the end of the file, expected @what": a file of no rows. */
int asgd__lines_no_rows(const asgd__line_reader *lr, char *err, size_t errlen, const char *what);

/* A finite decimal number (as parse.h reads it) filling @s[0..n), NUL at s[n], none inside. */
bool asgd__number_ok(const char *s, size_t n, double *v);

/* The separators of LIBSVM tokens; the blanks trimmed around a CSV field. */
static inline bool asgd__is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Write the printf-style message into @err (when non-NULL and @errlen > 0); returns @code. */
int asgd__ds_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* ASGD_DATASET_INTERNAL_H */
