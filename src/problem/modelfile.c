/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * modelfile.c — a data model's weights as text (asgd/modelfile.h has the format): written
 * atomically, read strictly.
 *
 * The reader stops at the first thing it cannot read and names its line, as the data readers
 * do: a model file that is half a model must not start a run from half the weights. Weights are
 * written %.17g, which strtod reads back to the same double, so a saved model and the model
 * read from it give the same loss to the last bit.
 */
#include "asgd/modelfile.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/report.h"

static const char MAGIC[] = "# asgd model v";
static const char SOURCE_TAG[] = "# source: ";

/* ---- writing ---- */

static void write_header(FILE *fp, const asgd_modelfile_info *info)
{
	fprintf(fp, "%s1 loss=%s d=%zu", MAGIC, info->loss, info->dim);
	if (!isnan(info->lambda))
		fprintf(fp, " lambda=%.17g", info->lambda);
	if (!isnan(info->positive))
		fprintf(fp, " positive=%.17g", info->positive);
	if (info->scale[0])
		fprintf(fp, " scale=%s", info->scale);
	if (isfinite(info->objective))
		fprintf(fp, " objective=%.17g", info->objective);
	fprintf(fp, "\n");
	if (info->source[0]) { /* one line, whatever the source holds */
		fprintf(fp, "%s", SOURCE_TAG);
		for (const char *s = info->source; *s; s++)
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
		fprintf(fp, "\n");
	}
	fprintf(fp, "# INDEX VALUE per non-zero weight; INDEX from 1 (LIBSVM's ids); weights not "
		    "listed are 0\n");
}

static int check_writable(const asgd_modelfile_info *info, const double *x, char *err,
			  size_t errlen)
{
	asgd_loss loss;

	if (asgd_loss_parse(info->loss, &loss) != ASGD_OK || info->dim < 1 ||
	    info->dim > ASGD_MODELFILE_MAX_DIM) {
		snprintf(err, errlen, "model '%s' of d = %zu cannot be written: allowed a loss "
			 "squares, logistic or hinge and 1 <= d <= %zu", info->loss, info->dim,
			 ASGD_MODELFILE_MAX_DIM);
		return ASGD_EINVAL;
	}
	for (size_t j = 0; j < info->dim; j++)
		if (!isfinite(x[j])) {
			snprintf(err, errlen, "weight %zu is %g: only finite weights are written",
				 j + 1, x[j]);
			return ASGD_EINVAL;
		}
	return ASGD_OK;
}

int asgd_modelfile_write(const char *path, const asgd_modelfile_info *info, const double *x,
			 char *err, size_t errlen)
{
	asgd_atomic_file af;
	int rc;

	if (!path || !info || !x) {
		snprintf(err, errlen, "no path, model or weights given");
		return ASGD_EINVAL;
	}
	rc = check_writable(info, x, err, errlen);
	if (rc != ASGD_OK)
		return rc;
	rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
			 rc == ASGD_ENOMEM ? "out of memory" : strerror(errno));
		return rc;
	}
	write_header(af.fp, info);
	for (size_t j = 0; j < info->dim; j++)
		if (x[j] != 0)
			fprintf(af.fp, "%zu %.17g\n", j + 1, x[j]);
	rc = asgd_atomic_commit(&af); /* a failed fprintf is caught here, through ferror */
	if (rc != ASGD_OK)
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
	return rc;
}

/* ---- reading ---- */

struct cursor {
	const char *name, *p, *end;
	size_t line;
	char *err;
	size_t errlen;
};

/* The next line [*s, *e) without its "\r\n", or 0 at the end. */
static int next_line(struct cursor *c, const char **s, const char **e)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*s = c->p;
	*e = nl ? nl : c->end;
	c->p = nl ? nl + 1 : c->end;
	if (*e > *s && (*e)[-1] == '\r')
		(*e)--;
	c->line++;
	return 1;
}

/* The next token of [*p, e), separated by spaces or tabs: its length (0: none left). */
static size_t next_token(const char **p, const char *e, const char **tok)
{
	const char *s = *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	*tok = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *tok);
}

/* "NAME:LINE: found 'TOKEN', expected WHAT" (TOKEN NULL: the end of the line). */
static int fail(struct cursor *c, const char *tok, size_t len, const char *expected)
{
	char shown[96];
	size_t n = 0;

	for (size_t i = 0; tok && i < len && n + 5 < sizeof(shown); i++) {
		unsigned char ch = (unsigned char)tok[i];

		n += (size_t)snprintf(shown + n, sizeof(shown) - n, ch < 0x20 || ch >= 0x7f ? "\\x%02X"
											: "%c", ch);
	}
	shown[n] = '\0';
	if (tok)
		snprintf(c->err, c->errlen, "%s:%zu: found '%s', expected %s", c->name, c->line, shown,
			 expected);
	else
		snprintf(c->err, c->errlen, "%s:%zu: found the end of the line, expected %s", c->name,
			 c->line, expected);
	return ASGD_EPARSE;
}

/* @tok as a NUL-terminated string in @buf, or 0 when it does not fit or holds a NUL. */
static int token_string(const char *tok, size_t len, char *buf, size_t cap)
{
	if (len >= cap || memchr(tok, '\0', len))
		return 0;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	return 1;
}

static int parse_number(struct cursor *c, const char *tok, size_t len, const char *what,
			double *out)
{
	char buf[128];

	if (!token_string(tok, len, buf, sizeof(buf)) || asgd_parse_double(buf, out) != ASGD_OK)
		return fail(c, tok, len, what);
	return ASGD_OK;
}

/* One KEY=VALUE of the header; unknown keys are a later version's, and ignored. */
static int header_field(struct cursor *c, const char *tok, size_t len, asgd_modelfile_info *info)
{
	const char *eq = memchr(tok, '=', len), *v;
	size_t klen, vlen;
	char buf[128];
	uint64_t d;
	asgd_loss loss;
	asgd_scale scale;

	if (!eq)
		return fail(c, tok, len, "KEY=VALUE (loss=, d=, lambda=, positive=, scale=, "
				 "objective=)");
	klen = (size_t)(eq - tok);
	v = eq + 1;
	vlen = len - klen - 1;
#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(tok, k, klen) == 0)
	if (KEY_IS("loss")) {
		if (!token_string(v, vlen, buf, sizeof(buf)) || asgd_loss_parse(buf, &loss) != ASGD_OK)
			return fail(c, tok, len, "loss=squares, loss=logistic or loss=hinge");
		snprintf(info->loss, sizeof(info->loss), "%s", asgd_loss_name(loss));
	} else if (KEY_IS("d")) {
		if (!token_string(v, vlen, buf, sizeof(buf)) || asgd_parse_u64(buf, &d) != ASGD_OK ||
		    d < 1 || d > ASGD_MODELFILE_MAX_DIM)
			return fail(c, tok, len, "d=D with D an integer in 1..268435456");
		info->dim = (size_t)d;
	} else if (KEY_IS("scale")) {
		if (!token_string(v, vlen, buf, sizeof(buf)) || asgd_scale_parse(buf, &scale) != ASGD_OK)
			return fail(c, tok, len, "scale=none, scale=maxabs or scale=standard");
		snprintf(info->scale, sizeof(info->scale), "%s", asgd_scale_name(scale));
	} else if (KEY_IS("lambda")) {
		return parse_number(c, v, vlen, "lambda=L with L a finite number", &info->lambda);
	} else if (KEY_IS("positive")) {
		return parse_number(c, v, vlen, "positive=LABEL with LABEL a finite number",
				    &info->positive);
	} else if (KEY_IS("objective")) {
		return parse_number(c, v, vlen, "objective=F with F a finite number", &info->objective);
	}
#undef KEY_IS
	return ASGD_OK;
}

static int parse_header(struct cursor *c, asgd_modelfile_info *info)
{
	const char *s, *e, *p, *tok;
	size_t len;
	int rc = ASGD_OK;

	static const char what[] = "'# asgd model v1 loss=LOSS d=D ...' (the first line of an "
				   "asgd model file)";

	if (!next_line(c, &s, &e)) {
		c->line = 1;
		return fail(c, NULL, 0, what); /* an empty file */
	}
	if ((size_t)(e - s) < sizeof(MAGIC) - 1 || memcmp(s, MAGIC, sizeof(MAGIC) - 1) != 0)
		return fail(c, s, (size_t)(e - s) < 40 ? (size_t)(e - s) : 40, what);
	p = s + sizeof(MAGIC) - 2; /* at the 'v' */
	len = next_token(&p, e, &tok);
	if (len != 2 || memcmp(tok, "v1", 2) != 0)
		return fail(c, tok, len, "v1 (the version this asgd reads)");
	while (rc == ASGD_OK && (len = next_token(&p, e, &tok)) > 0)
		rc = header_field(c, tok, len, info);
	if (rc == ASGD_OK && !info->loss[0])
		rc = fail(c, NULL, 0, "loss=LOSS in the header");
	if (rc == ASGD_OK && !info->dim)
		rc = fail(c, NULL, 0, "d=D in the header");
	return rc;
}

/* A weight line: INDEX VALUE, INDEX in (*last, d]. */
static int parse_weight(struct cursor *c, const char *p, const char *e, double *x, size_t dim,
			size_t *last)
{
	const char *tok;
	size_t len = next_token(&p, e, &tok);
	char buf[32];
	uint64_t j;
	double v;
	int rc;

	if (!token_string(tok, len, buf, sizeof(buf)) || asgd_parse_u64(buf, &j) != ASGD_OK ||
	    j < 1 || j > dim)
		return fail(c, tok, len, "INDEX, an integer in 1..d");
	if (j <= *last)
		return fail(c, tok, len, "an INDEX above the previous line's (indices increase)");
	len = next_token(&p, e, &tok);
	if (!len)
		return fail(c, NULL, 0, "VALUE, a finite number");
	rc = parse_number(c, tok, len, "VALUE, a finite number", &v);
	if (rc != ASGD_OK)
		return rc;
	len = next_token(&p, e, &tok);
	if (len)
		return fail(c, tok, len, "the end of the line (INDEX VALUE)");
	x[j - 1] = v;
	*last = (size_t)j;
	return ASGD_OK;
}

/* Everything after the header: blank lines, comments (the source kept), weights. */
static int parse_body(struct cursor *c, asgd_modelfile_info *info, double *x)
{
	const char *s, *e, *p, *tok;
	size_t last = 0;
	int rc = ASGD_OK;

	while (rc == ASGD_OK && next_line(c, &s, &e)) {
		p = s;
		if (!next_token(&p, e, &tok))
			continue;
		if (*tok != '#') {
			rc = parse_weight(c, s, e, x, info->dim, &last);
		} else if ((size_t)(e - s) >= sizeof(SOURCE_TAG) - 1 &&
			   memcmp(s, SOURCE_TAG, sizeof(SOURCE_TAG) - 1) == 0) {
			size_t n = (size_t)(e - s) - (sizeof(SOURCE_TAG) - 1);

			n = n < sizeof(info->source) ? n : sizeof(info->source) - 1;
			memcpy(info->source, s + sizeof(SOURCE_TAG) - 1, n);
			info->source[n] = '\0';
		}
	}
	return rc;
}

int asgd_modelfile_parse(const char *name, const char *buf, size_t len, asgd_modelfile_info *info,
			 double **x, char *err, size_t errlen)
{
	char dummy[8];
	struct cursor c = { name ? name : "(buffer)", buf, buf + len, 0, err ? err : dummy,
			    err ? errlen : sizeof(dummy) };
	asgd_modelfile_info in = { .lambda = NAN, .positive = NAN, .objective = NAN };
	double *w;
	int rc;

	if ((!buf && len) || !info || !x) {
		snprintf(c.err, c.errlen, "no buffer, model or weights given");
		return ASGD_EINVAL;
	}
	if (!buf)
		c.p = c.end = "";
	rc = parse_header(&c, &in);
	if (rc != ASGD_OK)
		return rc;
	w = calloc(in.dim, sizeof(double));
	if (!w) {
		snprintf(c.err, c.errlen, "out of memory reading %s (d = %zu)", c.name, in.dim);
		return ASGD_ENOMEM;
	}
	rc = parse_body(&c, &in, w);
	if (rc != ASGD_OK) {
		free(w);
		return rc;
	}
	*info = in;
	*x = w;
	return ASGD_OK;
}

/* The whole of @path into a new buffer. */
static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *b = NULL, *nb;

	if (!fp) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return ASGD_EIO;
	}
	for (;;) {
		if (!(nb = realloc(b, cap))) {
			free(b);
			fclose(fp);
			snprintf(err, errlen, "out of memory reading '%s'", path);
			return ASGD_ENOMEM;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, fp);
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		free(b);
		fclose(fp);
		return ASGD_EIO;
	}
	fclose(fp);
	*buf = b;
	*len = n;
	return ASGD_OK;
}

int asgd_modelfile_read(const char *path, asgd_modelfile_info *info, double **x, char *err,
			size_t errlen)
{
	char *buf, dummy[8];
	size_t len;
	int rc;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!path || !info || !x) {
		snprintf(err, errlen, "no path, model or weights given");
		return ASGD_EINVAL;
	}
	rc = slurp(path, &buf, &len, err, errlen);
	if (rc != ASGD_OK)
		return rc;
	rc = asgd_modelfile_parse(path, buf, len, info, x, err, errlen);
	free(buf);
	return rc;
}
