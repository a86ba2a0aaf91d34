/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * model.c — names of models and Σ choices, their time steps, and mini-batch schedule files.
 */
#include "asgd/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/parse.h"

static const char *const model_names[ASGD_MODEL_COUNT] = {
	[ASGD_MODEL_ASGD] = "asgd",
	[ASGD_MODEL_SGD] = "sgd",
	[ASGD_MODEL_MSGD] = "msgd",
	[ASGD_MODEL_MINIBATCH] = "minibatch",
	[ASGD_MODEL_SME_ASGD] = "sme-asgd",
	[ASGD_MODEL_SME_ASGD_LINEAR] = "sme-asgd-linear",
	[ASGD_MODEL_SME_MSGD] = "sme-msgd",
	[ASGD_MODEL_SME_SGD] = "sme-sgd",
	[ASGD_MODEL_SME_ASGD_MIXTURE] = "sme-asgd-mixture",
};

static const char *const sigma_names[ASGD_SIGMA_COUNT] = {
	[ASGD_SIGMA_CONTINUUM] = "continuum",
	[ASGD_SIGMA_EVOLVE] = "evolve",
	[ASGD_SIGMA_CONSTANT] = "constant",
	[ASGD_SIGMA_INSTANT] = "instant",
};

const char *asgd_model_name(asgd_model m)
{
	return (unsigned)m < ASGD_MODEL_COUNT ? model_names[m] : "unknown";
}

int asgd_model_parse(const char *name, asgd_model *out)
{
	for (unsigned i = 0; name && out && i < ASGD_MODEL_COUNT; i++)
		if (!strcmp(name, model_names[i])) {
			*out = (asgd_model)i;
			return ASGD_OK;
		}
	return ASGD_EINVAL;
}

int asgd_model_is_discrete(asgd_model m)
{
	return m <= ASGD_MODEL_MINIBATCH;
}

const char *asgd_sigma_name(asgd_sigma s)
{
	return (unsigned)s < ASGD_SIGMA_COUNT ? sigma_names[s] : "unknown";
}

int asgd_sigma_parse(const char *name, asgd_sigma *out)
{
	for (unsigned i = 0; name && out && i < ASGD_SIGMA_COUNT; i++)
		if (!strcmp(name, sigma_names[i])) {
			*out = (asgd_sigma)i;
			return ASGD_OK;
		}
	return ASGD_EINVAL;
}

double asgd_model_time_step(asgd_model m, double eta, double mu)
{
	switch (m) {
	case ASGD_MODEL_SGD:
	case ASGD_MODEL_SME_SGD:
		return eta;
	case ASGD_MODEL_MSGD:
	case ASGD_MODEL_SME_MSGD:
		return sqrt(eta);
	default:
		return sqrt(eta * (1 - mu));
	}
}

/* Parse "K,B" strictly: two decimal integers, then blanks, or a comma and further columns that
 * are ignored (`asgd batch` writes schedule.csv as k,batch,u,t). */
static int parse_row(const char *line, unsigned long long *k, unsigned long long *b)
{
	char *end;

	errno = 0;
	if (*line < '0' || *line > '9')
		return -1;
	*k = strtoull(line, &end, 10);
	if (errno || *end != ',' || end[1] < '0' || end[1] > '9')
		return -1;
	*b = strtoull(end + 1, &end, 10);
	if (errno)
		return -1;
	if (*end == ',')
		return 0;
	end += strspn(end, " \t\r\n");
	return *end ? -1 : 0;
}

static int grow(uint32_t **size, size_t *cap)
{
	size_t ncap = *cap ? 2 * *cap : 256;
	uint32_t *n = realloc(*size, ncap * sizeof(**size));

	if (!n)
		return ASGD_ENOMEM;
	*size = n;
	*cap = ncap;
	return ASGD_OK;
}

int asgd_batch_schedule_read(const char *path, uint32_t max_batch, uint32_t **size, size_t *len,
			     char *err, size_t errlen)
{
	char line[256];
	size_t n = 0, cap = 0, lineno = 0;
	uint32_t *v = NULL;
	int rc = ASGD_OK;
	FILE *fp;

	if (!path || !size || !len)
		return ASGD_EINVAL;
	fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return ASGD_EIO;
	}
	while (rc == ASGD_OK && fgets(line, sizeof(line), fp)) {
		unsigned long long k, b;
		const char *s = line + strspn(line, " \t");

		lineno++;
		if (*s == '\n' || *s == '\r' || *s == '#' || !*s ||
		    (lineno == 1 && !strncmp(s, "k,batch", 7)))
			continue;
		if (!strchr(line, '\n') && !feof(fp)) {
			snprintf(err, errlen, "%s:%zu: line longer than %zu characters", path, lineno,
				 sizeof(line) - 2);
			rc = ASGD_EPARSE;
		} else if (parse_row(s, &k, &b) || k != n || b < 1 || b > UINT32_MAX ||
			   (max_batch && b > max_batch)) {
			char got[200];

			asgd_quote(s, strcspn(s, "\r\n"), 40, got, sizeof(got));
			snprintf(err, errlen, "%s:%zu: found '%s', expected 'k,B' with k = %zu and an "
				 "integer batch 1 <= B <= %u", path, lineno, got, n,
				 max_batch ? max_batch : UINT32_MAX);
			rc = ASGD_EPARSE;
		} else if (n == cap && (rc = grow(&v, &cap)) == ASGD_OK) {
			v[n++] = (uint32_t)b;
		} else if (rc == ASGD_OK) {
			v[n++] = (uint32_t)b;
		}
	}
	if (rc == ASGD_OK && ferror(fp)) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		rc = ASGD_EIO;
	}
	if (rc == ASGD_OK && n == 0) {
		snprintf(err, errlen, "%s: no 'k,B' rows", path);
		rc = ASGD_EPARSE;
	}
	fclose(fp);
	if (rc) {
		free(v);
		return rc;
	}
	*size = v;
	*len = n;
	return ASGD_OK;
}
