/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_lines.c — the line reader under the LIBSVM and CSV readers, and their error messages.
 *
 * zlib reads gzip and plain files alike; a buffer in memory (the asgd_dataset_parse_* entries)
 * is copied into the same line buffer a slice at a time, so that both take one code path. The
 * buffer grows until the longest line fits (an rcv1 row has hundreds of tokens; a corrupt file
 * may have no newline at all), and each line is handed out NUL-terminated and in place, so that
 * the readers convert numbers where they lie. A truncated or corrupt gzip stream is an I/O
 * error, never a silently shorter file.
 *
 * A stop flag (lr->stop) is looked at before every read, so a reader sees a stop within one
 * read of at most READ_MAX bytes and the parsing of what it brought.
 *
 * Syntax errors name the byte where the bad token starts, "FILE:LINE:COLUMN" with both counted
 * from 1 and columns in bytes, and quote the token with control and non-ASCII bytes escaped
 * (binary junk must not garble a terminal) and long tokens cut.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "asgd/error.h"
#include "asgd/parse.h"
#include "dataset_internal.h"

/* The line buffer's first size, and the most one read asks zlib for: a read is also the work
 * between two looks at the stop flag (4 MiB, ~10 ms of inflating). */
#define LINE_BUF_START (256 * 1024)
#define READ_MAX (1 << 22)
/* zlib's own input buffer: larger than the 8 KiB default, fewer system calls. */
#define GZ_BUFFER (128 * 1024)
/* Bytes of a bad token quoted in an error message. */
#define QUOTE_MAX 40

int asgd__lines_open(asgd__line_reader *lr, const char *path, char *err, size_t errlen)
{
	struct stat st;

	memset(lr, 0, sizeof(*lr));
	lr->path = path;
	if (stat(path, &st) != 0)
		return asgd__ds_fail(err, errlen, ASGD_EIO, "cannot open %s: %s", path,
				     strerror(errno));
	if (S_ISDIR(st.st_mode))
		return asgd__ds_fail(err, errlen, ASGD_EIO, "cannot read %s: it is a directory",
				     path);
	lr->gz = gzopen(path, "rb");
	if (!lr->gz)
		return asgd__ds_fail(err, errlen, errno == ENOMEM ? ASGD_ENOMEM : ASGD_EIO,
				     "cannot open %s: %s", path,
				     errno ? strerror(errno) : "out of memory");
	gzbuffer(lr->gz, GZ_BUFFER);
	lr->cap = LINE_BUF_START;
	lr->buf = malloc(lr->cap);
	if (!lr->buf) {
		gzclose(lr->gz);
		lr->gz = NULL;
		return ASGD_ENOMEM;
	}
	return ASGD_OK;
}

int asgd__lines_open_mem(asgd__line_reader *lr, const char *name, const void *mem, size_t len)
{
	memset(lr, 0, sizeof(*lr));
	lr->path = name;
	lr->mem = mem;
	lr->mem_len = len;
	/* No bigger than a file's first buffer, nor much bigger than the text: fuzzers call this
	 * for many tiny inputs. */
	lr->cap = len < LINE_BUF_START ? (len < 64 ? 64 : len + 1) : LINE_BUF_START;
	lr->buf = malloc(lr->cap);
	return lr->buf ? ASGD_OK : ASGD_ENOMEM;
}

void asgd__lines_close(asgd__line_reader *lr)
{
	if (lr->gz)
		gzclose(lr->gz);
	free(lr->buf);
	memset(lr, 0, sizeof(*lr));
}

/* The zlib error after a read, as an ASGD code with a sentence; ASGD_OK when there is none. */
static int gz_status(asgd__line_reader *lr, char *err, size_t errlen)
{
	int zerr;
	const char *msg = gzerror(lr->gz, &zerr);

	if (zerr == Z_OK || zerr == Z_STREAM_END)
		return ASGD_OK;
	if (zerr == Z_ERRNO)
		return asgd__ds_fail(err, errlen, ASGD_EIO, "cannot read %s: %s", lr->path,
				     strerror(errno));
	if (zerr == Z_MEM_ERROR)
		return ASGD_ENOMEM;
	/* Z_BUF_ERROR is a truncated gzip stream; Z_DATA_ERROR a corrupt one. */
	return asgd__ds_fail(err, errlen, ASGD_EIO, "cannot read %s: %s%s", lr->path, msg,
			     zerr == Z_BUF_ERROR ? " (the gzip file is truncated)" : "");
}

/* reader_fill for a buffer in memory: copy up to @room more bytes of it. */
static int mem_fill(asgd__line_reader *lr, size_t room)
{
	size_t got = lr->mem_len - lr->mem_pos;

	if (got > room)
		got = room;
	if (got == 0) {
		lr->eof = true;
		return ASGD_OK;
	}
	memcpy(lr->buf + lr->len, lr->mem + lr->mem_pos, got);
	lr->mem_pos += got;
	lr->len += got;
	return ASGD_OK;
}

/* Append more of the file to the buffer, growing it when most of it is one unfinished line. */
static int reader_fill(asgd__line_reader *lr, char *err, size_t errlen)
{
	size_t room;
	int got;

	if (asgd__stop_raised(lr->stop))
		return asgd__ds_interrupted(err, errlen);
	if (lr->pos > 0) {
		memmove(lr->buf, lr->buf + lr->pos, lr->len - lr->pos);
		lr->len -= lr->pos;
		lr->scan -= lr->pos;
		lr->pos = 0;
	}
	if (lr->cap - lr->len - 1 < lr->cap / 4) {
		char *nb;

		if (lr->cap > SIZE_MAX / 2)
			return ASGD_ENOMEM;
		nb = realloc(lr->buf, lr->cap * 2);
		if (!nb)
			return ASGD_ENOMEM;
		lr->buf = nb;
		lr->cap *= 2;
	}
	room = lr->cap - lr->len - 1;
	if (room > READ_MAX)
		room = READ_MAX;
	if (!lr->gz)
		return mem_fill(lr, room);
	got = gzread(lr->gz, lr->buf + lr->len, (unsigned)room);
	if (got < 0) {
		int rc = gz_status(lr, err, errlen);

		return rc ? rc : asgd__ds_fail(err, errlen, ASGD_EIO, "cannot read %s", lr->path);
	}
	if (got == 0) {
		lr->eof = true;
		return gz_status(lr, err, errlen);
	}
	lr->len += (size_t)got;
	return ASGD_OK;
}

int asgd__lines_next(asgd__line_reader *lr, char **line, size_t *n, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(lr->buf + lr->scan, '\n', lr->len - lr->scan);
		size_t end;

		if (nl) {
			end = (size_t)(nl - lr->buf);
		} else if (lr->eof) {
			if (lr->pos == lr->len)
				return 0;
			end = lr->len;
		} else {
			int rc;

			lr->scan = lr->len;
			rc = reader_fill(lr, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		*line = lr->buf + lr->pos;
		*n = end - lr->pos;
		lr->buf[end] = '\0';
		if (*n > 0 && (*line)[*n - 1] == '\r')
			(*line)[--*n] = '\0';
		lr->pos = lr->scan = end < lr->len ? end + 1 : end;
		lr->lineno++;
		return 1;
	}
}

int asgd__lines_syntax_error(const asgd__line_reader *lr, size_t col, const char *tok, size_t n,
			      char *err, size_t errlen, const char *what)
{
	char q[QUOTE_MAX * 4 + 8];

	asgd_quote(tok, n, QUOTE_MAX, q, sizeof(q));
	return asgd__ds_fail(err, errlen, ASGD_EPARSE, "%s:%zu:%zu: found '%s', expected %s",
			     lr->path, lr->lineno, col + 1, q, what);
}

int asgd__lines_no_rows(const asgd__line_reader *lr, char *err, size_t errlen, const char *what)
{
	return asgd__ds_fail(err, errlen, ASGD_EPARSE,
			     "%s:%zu:1: found the end of the file, expected %s", lr->path,
			     lr->lineno + 1, what);
}

bool asgd__number_ok(const char *s, size_t n, double *v)
{
	return n > 0 && !memchr(s, '\0', n) && asgd_parse_double(s, v) == ASGD_OK;
}
