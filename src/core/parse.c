/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * parse.c — strict parsing of command-line values.
 *
 * strtod and strtoull are too forgiving for a command line: they skip leading blanks, accept
 * "inf", "nan" and hexadecimal, and strtoull silently negates "-1". A typo in a flag must be an
 * error, not a different experiment, so every parser here first checks the characters itself and
 * only then converts.
 */
#include "asgd/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "core/names_internal.h"

/* Longest number we copy out of a larger string (a duration or a list item). */
#define NUMBUF 64

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Checks the grammar [+-]? (D+ ('.' D*)? | '.' D+) ([eE] [+-]? D+)? so that strtod, which
 * agrees with it on this subset, cannot wander into inf, nan or hex.
 */
static int decimal_syntax_ok(const char *s)
{
	const char *p = s;
	int mant = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (is_digit(*p)) {
		p++;
		mant = 1;
	}
	if (*p == '.') {
		p++;
		while (is_digit(*p)) {
			p++;
			mant = 1;
		}
	}
	if (!mant)
		return 0;
	if (*p == 'e' || *p == 'E') {
		int exp = 0;

		p++;
		if (*p == '+' || *p == '-')
			p++;
		while (is_digit(*p)) {
			p++;
			exp = 1;
		}
		if (!exp)
			return 0;
	}
	return *p == '\0';
}

int asgd_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !out || !decimal_syntax_ok(s))
		return ASGD_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v))
		return ASGD_EINVAL;
	/* ERANGE with a finite result is underflow: the value is tiny but well defined. */
	*out = v;
	return ASGD_OK;
}

int asgd_parse_u64(const char *s, uint64_t *out)
{
	/*
	 * The value is D × 10^shift, where D is the digit string with leading zeros dropped and
	 * trailing zeros moved into shift. D then ends in a nonzero digit, so the value is an
	 * integer iff shift ≥ 0, and it fits iff digits(D) + shift ≤ 20 and the product does not
	 * overflow. Everything stays in integers: "1e6" is exact, not a rounded double.
	 */
	char dig[21];
	size_t nd = 0;
	long shift = 0, zeros = 0, exp = 0;
	int frac = 0, nint = 0, nfrac = 0, eneg = 0;
	const char *p = s;
	uint64_t v = 0;

	if (!s || !out)
		return ASGD_EINVAL;
	for (;; p++) {
		if (*p == '.' && !frac && nint > 0) {
			frac = 1;
			continue;
		}
		if (!is_digit(*p))
			break;
		if (frac) {
			nfrac++;
			shift--;
		} else {
			nint++;
		}
		if (*p == '0') {
			if (nd > 0)
				zeros++;
			continue;
		}
		/* Too many digits: ≥ 10^21 > UINT64_MAX, or not an integer (D ends in *p ≠ 0). */
		if (nd + (size_t)zeros + 1 > sizeof(dig))
			return ASGD_EINVAL;
		for (; zeros > 0; zeros--)
			dig[nd++] = '0';
		dig[nd++] = *p;
	}
	if (nint == 0 || (frac && nfrac == 0))
		return ASGD_EINVAL;
	shift += zeros;
	if (*p == 'e' || *p == 'E') {
		int nexp = 0;

		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for (; is_digit(*p); p++, nexp++) {
			/* Clamp: beyond this the value overflows or is not an integer anyway. */
			if (exp < 1000000)
				exp = exp * 10 + (*p - '0');
		}
		if (nexp == 0)
			return ASGD_EINVAL;
	}
	if (*p != '\0')
		return ASGD_EINVAL;
	if (nd == 0) {
		*out = 0;
		return ASGD_OK;
	}
	shift += eneg ? -exp : exp;
	if (shift < 0 || (long)nd + shift > 20)
		return ASGD_EINVAL;
	for (size_t i = 0; i < nd; i++) {
		unsigned d = (unsigned)(dig[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return ASGD_EINVAL;
		v = v * 10 + d;
	}
	for (long i = 0; i < shift; i++) {
		if (v > UINT64_MAX / 10)
			return ASGD_EINVAL;
		v *= 10;
	}
	*out = v;
	return ASGD_OK;
}

static const struct {
	const char *name;
	double ns;
} units[] = {
	{ "ns", 1.0 },
	{ "us", 1e3 },
	{ "\xc2\xb5s", 1e3 },	/* U+00B5 MICRO SIGN */
	{ "\xce\xbcs", 1e3 },	/* U+03BC GREEK SMALL LETTER MU, what most keyboards produce */
	{ "ms", 1e6 },
	{ "s", 1e9 },
};

int asgd_parse_duration_ns(const char *s, double *ns)
{
	char num[NUMBUF];
	size_t len;
	double v, scale = 0.0;

	if (!s || !ns)
		return ASGD_EINVAL;
	/* No unit starts with a character of a number, so the number is the longest such prefix. */
	len = strspn(s, "0123456789+-.eE");
	if (len == 0 || len >= sizeof(num))
		return ASGD_EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (asgd_parse_double(num, &v) != ASGD_OK || v < 0.0)
		return ASGD_EINVAL;
	if (s[len] == '\0') {
		if (v != 0.0)
			return ASGD_EINVAL;	/* "100" is ambiguous: 100 what? */
		scale = 1.0;
	} else {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(s + len, units[i].name) == 0) {
				scale = units[i].ns;
				break;
			}
		}
		if (scale == 0.0)
			return ASGD_EINVAL;
	}
	v = v * scale + 0.0;	/* + 0.0 turns -0 into +0 */
	if (!isfinite(v))
		return ASGD_EINVAL;
	*ns = v;
	return ASGD_OK;
}

/* Parses one list item s[0..len) into *v. */
static int parse_item(const char *s, size_t len, uint64_t *v)
{
	char buf[NUMBUF];

	if (len == 0 || len >= sizeof(buf))
		return ASGD_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return asgd_parse_u64(buf, v);
}

int asgd_parse_u64_list(const char *s, uint64_t *out, size_t cap, size_t *n)
{
	size_t count = 0;
	const char *p;

	if (!s || !n || (cap > 0 && !out))
		return ASGD_EINVAL;
	/* Validate everything first so that a bad list leaves *out untouched. */
	for (p = s;; p++) {
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (parse_item(p, len, &v) != ASGD_OK || ++count > cap)
			return ASGD_EINVAL;
		p += len;
		if (*p == '\0')
			break;
	}
	count = 0;
	for (p = s;; p++) {
		size_t len = strcspn(p, ",");

		parse_item(p, len, &out[count++]);
		p += len;
		if (*p == '\0')
			break;
	}
	*n = count;
	return ASGD_OK;
}

char *asgd_quote(const char *s, size_t n, size_t max, char *out, size_t len)
{
	size_t k = 0, i;

	for (i = 0; i < n && i < max && k + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, len - k, "\\x%02x", c);
	}
	if (i < n && k + 4 < len) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

const char *asgd__enum_name(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : NULL;
}

int asgd__enum_parse(const char *const *names, unsigned n, const char *name, unsigned *out)
{
	if (!name || !out)
		return ASGD_EINVAL;
	for (unsigned v = 0; v < n; v++)
		if (strcmp(name, names[v]) == 0) {
			*out = v;
			return ASGD_OK;
		}
	return ASGD_ENOTFOUND;
}
