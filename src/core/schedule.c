/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schedule.c — mini-batch schedule files: the k,B rows that `asgd batch` writes and that the
 * simulators and the real engine read back.
 */
#include "asgd/schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/parse.h"

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
