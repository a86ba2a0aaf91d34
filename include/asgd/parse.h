/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/parse.h — strict parsing of command-line values.
 *
 * These functions only say yes or no: the caller (the CLI) names the bad value and what is
 * allowed. "Strict" means the whole string must be the value: no leading or trailing blanks, no
 * trailing junk, no empty string, no nan or inf, no hexadecimal. All functions are pure and
 * thread-safe, and fill their out-parameters only on success.
 */
#ifndef ASGD_PARSE_H
#define ASGD_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * asgd_parse_double - parse a finite decimal number.
 * @s:   the whole string, e.g. "1e-2", "-0", ".5", "3."; characters allowed are digits, one
 *       leading sign, '.', and an exponent 'e'/'E' with an optional sign.
 * @out: receives the value.
 *
 * Values that overflow to ±inf are rejected; values that underflow are accepted (they are finite).
 * Returns 0, or ASGD_EINVAL if @s is NULL, empty, malformed or not finite.
 */
int asgd_parse_double(const char *s, double *out);

/*
 * asgd_parse_u64 - parse a non-negative integer.
 * @s:   decimal digits ("42", "007"), or an exact integer in scientific notation ("1e6",
 *       "2.5e3", "100e-2"); no sign, no blanks.
 * @out: receives the value.
 *
 * Returns 0, or ASGD_EINVAL if @s is NULL, empty, malformed, not an integer ("1.5", "1e-2") or
 * greater than UINT64_MAX.
 */
int asgd_parse_u64(const char *s, uint64_t *out);

/*
 * asgd_parse_duration_ns - parse a duration into nanoseconds.
 * @s:  a number (as asgd_parse_double) immediately followed by a unit: "ns", "us", "µs" (also
 *      spelled with U+03BC "μs"), "ms" or "s", e.g. "100us", "1.5ms", "2s". The unit may be left
 *      out only when the number is zero ("0", "0.0").
 * @ns: receives the duration in nanoseconds (-0 is stored as +0).
 *
 * Returns 0, or ASGD_EINVAL if @s is NULL, malformed, has an unknown or missing unit, is negative,
 * or the duration is not finite.
 */
int asgd_parse_duration_ns(const char *s, double *ns);

/*
 * asgd_parse_u64_list - parse a comma-separated list of integers, e.g. "1,2,4,8".
 * @s:   items as in asgd_parse_u64, separated by single commas; no blanks, no empty items (so no
 *       empty string, leading, trailing or doubled comma).
 * @out: receives the values; the caller owns it, with room for @cap entries.
 * @cap: capacity of @out.
 * @n:   receives the number of items.
 *
 * Returns 0, or ASGD_EINVAL if any item is bad or there are more than @cap items; on failure
 * neither @out nor @n is touched.
 */
int asgd_parse_u64_list(const char *s, uint64_t *out, size_t cap, size_t *n);

/*
 * asgd_quote - the text @s[0..n) as an error message may quote it, into @out (@len bytes).
 * Printable ASCII is kept, except ' and \ (which would make the quoting ambiguous); every other
 * byte is written \xHH, so that a binary file puts no control character on the terminal. At most
 * @max input bytes are shown, then "..."; @out is always NUL-terminated (@len ≥ 8). Returns @out.
 */
char *asgd_quote(const char *s, size_t n, size_t max, char *out, size_t len);

#endif /* ASGD_PARSE_H */
