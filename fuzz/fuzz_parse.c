/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_parse.c — libFuzzer target for the value parsers of asgd/parse.h and the list parsers
 * the CLI takes lists with: asgd_parse_double, asgd_parse_u64, asgd_parse_duration_ns,
 * asgd_parse_u64_list (`asgd sweep --workers`) and asgd_geomix_parse (`asgd sme --mixture`).
 *
 * The first byte picks the parser, the rest is the string (cut at its first NUL, as a C string
 * from argv would be). Round trips and promised invariants are checked where they are cheap: a
 * number printed with %.17g reads back bit for bit, a duration is finite, ≥ 0 and never −0, a
 * list has one more item than commas and each item reads alone as in the list, and a parsed
 * mixture passes asgd_geomix_check, sorted by μ; on failure the out-parameters are untouched.
 */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/geomix.h"
#include "asgd/parse.h"
#include "fuzz_check.h"

/* More than any command takes, fewer than a fuzz input can write. */
#define LIST_CAP 64
#define SENTINEL 0xa5a5a5a5a5a5a5a5ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_double(const char *s)
{
	double v = -12345.5, w;
	char buf[64];

	if (asgd_parse_double(s, &v) != ASGD_OK) {
		FUZZ_CHECK(v == -12345.5, "failure wrote the output");
		return;
	}
	FUZZ_CHECK(isfinite(v), "a parsed double is finite");
	snprintf(buf, sizeof(buf), "%.17g", v);
	FUZZ_CHECK(asgd_parse_double(buf, &w) == ASGD_OK, "%.17g of a parsed double reads back");
	FUZZ_CHECK(memcmp(&v, &w, sizeof(v)) == 0, "round trip is bit for bit");
}

static void fuzz_u64(const char *s)
{
	uint64_t v = SENTINEL, w;
	char buf[32];

	if (asgd_parse_u64(s, &v) != ASGD_OK) {
		FUZZ_CHECK(v == SENTINEL, "failure wrote the output");
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	FUZZ_CHECK(asgd_parse_u64(buf, &w) == ASGD_OK && w == v, "u64 round trip");
	if (strspn(s, "0123456789") == strlen(s))
		FUZZ_CHECK(strtoull(s, NULL, 10) == v, "plain digits read as strtoull reads them");
}

static void fuzz_duration(const char *s)
{
	double ns = -1;

	if (asgd_parse_duration_ns(s, &ns) != ASGD_OK) {
		FUZZ_CHECK(ns == -1, "failure wrote the output");
		return;
	}
	FUZZ_CHECK(isfinite(ns) && ns >= 0 && !signbit(ns), "a duration is finite and >= +0");
}

/* @s with a cap taken from @c: lists longer than the cap must be refused. */
static void fuzz_list(const char *s, uint8_t c)
{
	uint64_t out[LIST_CAP];
	size_t cap = 1 + c % LIST_CAP, n = SIZE_MAX, commas = 0;
	const char *item = s;

	for (size_t i = 0; i < LIST_CAP; i++)
		out[i] = SENTINEL;
	if (asgd_parse_u64_list(s, out, cap, &n) != ASGD_OK) {
		FUZZ_CHECK(n == SIZE_MAX, "failure wrote the count");
		for (size_t i = 0; i < LIST_CAP; i++)
			FUZZ_CHECK(out[i] == SENTINEL, "failure wrote the list");
		return;
	}
	for (const char *p = s; *p; p++)
		commas += *p == ',';
	FUZZ_CHECK(n >= 1 && n <= cap && n == commas + 1, "item count");
	for (size_t i = 0; i < LIST_CAP; i++)
		FUZZ_CHECK(i < n || out[i] == SENTINEL, "wrote past the items");
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(item, ",");
		char *one = fuzz_strndup((const uint8_t *)item, len);
		uint64_t v;

		FUZZ_CHECK(asgd_parse_u64(one, &v) == ASGD_OK && v == out[i],
			   "an item reads alone as in the list");
		free(one);
		item += len + 1;
	}
}

static void fuzz_geomix(const char *s)
{
	asgd_geomix m;
	char err[FUZZ_ERRLEN];
	int rc;

	memset(&m, FUZZ_POISON, sizeof(m));
	memset(err, FUZZ_POISON, sizeof(err));
	rc = asgd_geomix_parse(s, &m, err, sizeof(err));
	if (rc != ASGD_OK) {
		FUZZ_CHECK(rc == ASGD_EPARSE, "malformed text is EPARSE");
		fuzz_check_message(err, sizeof(err));
		return;
	}
	/* fuzz/crashes/parse-geomix-*: this once failed for weights summing to 1 only as written,
	 * before components of equal mu were merged. */
	FUZZ_CHECK(asgd_geomix_check(&m) == ASGD_OK, "a parsed mixture is valid");
	for (size_t j = 1; j < m.count; j++)
		FUZZ_CHECK(m.mu[j] > m.mu[j - 1], "components sorted by mu");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 5) {
	case 0:
		fuzz_double(s);
		break;
	case 1:
		fuzz_u64(s);
		break;
	case 2:
		fuzz_duration(s);
		break;
	case 3:
		fuzz_list(s, data[0] / 5);
		break;
	default:
		fuzz_geomix(s);
		break;
	}
	free(s);
	return 0;
}
