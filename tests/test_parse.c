/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_parse.c — the strict value parsers accept exactly what they document.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "asgd/error.h"
#include "asgd/parse.h"

struct dcase {
	const char *s;
	int ok;
	double v;
};

Test(parse, double_table)
{
	static const struct dcase cases[] = {
		{ "1", 1, 1.0 },
		{ "1e-2", 1, 1e-2 },
		{ "-0", 1, -0.0 },
		{ "+2.5", 1, 2.5 },
		{ ".5", 1, 0.5 },
		{ "3.", 1, 3.0 },
		{ "1E3", 1, 1000.0 },
		{ "-1.25e+2", 1, -125.0 },
		{ "1e-400", 1, 0.0 },	/* underflow is finite */
		{ "0.1", 1, 0.1 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "1x", 0, 0 },
		{ "", 0, 0 },
		{ "nan", 0, 0 },
		{ "NaN", 0, 0 },
		{ "inf", 0, 0 },
		{ "-inf", 0, 0 },
		{ "infinity", 0, 0 },
		{ "1e400", 0, 0 },
		{ "-1e400", 0, 0 },
		{ "0x10", 0, 0 },
		{ "0x1p3", 0, 0 },
		{ ".", 0, 0 },
		{ "+", 0, 0 },
		{ "-", 0, 0 },
		{ "1e", 0, 0 },
		{ "1e+", 0, 0 },
		{ "e5", 0, 0 },
		{ "1.2.3", 0, 0 },
		{ "--1", 0, 0 },
		{ "1,5", 0, 0 },
		{ "100us", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = 42.0;
		int rc = asgd_parse_double(cases[i].s, &v);

		if (cases[i].ok) {
			cr_expect_eq(rc, ASGD_OK, "'%s' should parse", cases[i].s);
			cr_expect_eq(v, cases[i].v, "'%s' gave %.17g", cases[i].s, v);
		} else {
			cr_expect_eq(rc, ASGD_EINVAL, "'%s' should be rejected", cases[i].s);
			cr_expect_eq(v, 42.0, "'%s' touched out on failure", cases[i].s);
		}
	}
	{
		double v;

		cr_assert_eq(asgd_parse_double("-0", &v), ASGD_OK);
		cr_expect(signbit(v), "-0 keeps its sign");
		cr_expect_eq(asgd_parse_double(NULL, &v), ASGD_EINVAL);
	}
}

struct ucase {
	const char *s;
	int ok;
	uint64_t v;
};

Test(parse, u64_table)
{
	static const struct ucase cases[] = {
		{ "0", 1, 0 },
		{ "42", 1, 42 },
		{ "007", 1, 7 },
		{ "1e6", 1, 1000000 },
		{ "1E6", 1, 1000000 },
		{ "2.5e3", 1, 2500 },
		{ "100e-2", 1, 1 },
		{ "1.0", 1, 1 },
		{ "0e999", 1, 0 },
		{ "0.000e5", 1, 0 },
		{ "1e+3", 1, 1000 },
		{ "18446744073709551615", 1, UINT64_MAX },
		{ "1.8446744073709551615e19", 1, UINT64_MAX },
		{ "1e19", 1, 10000000000000000000u },
		{ "18446744073709551616", 0, 0 },	/* UINT64_MAX + 1 */
		{ "99999999999999999999", 0, 0 },
		{ "1e20", 0, 0 },
		{ "1e999999999", 0, 0 },
		{ "1.5", 0, 0 },
		{ "1e-2", 0, 0 },
		{ "15e-1", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ "", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "1x", 0, 0 },
		{ ".5e1", 0, 0 },
		{ "1.", 0, 0 },
		{ "1e", 0, 0 },
		{ "0x10", 0, 0 },
		{ "nan", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 4242;
		int rc = asgd_parse_u64(cases[i].s, &v);

		if (cases[i].ok) {
			cr_expect_eq(rc, ASGD_OK, "'%s' should parse", cases[i].s);
			cr_expect_eq(v, cases[i].v, "'%s' gave %llu", cases[i].s,
				     (unsigned long long)v);
		} else {
			cr_expect_eq(rc, ASGD_EINVAL, "'%s' should be rejected", cases[i].s);
			cr_expect_eq(v, 4242, "'%s' touched out on failure", cases[i].s);
		}
	}
}

Test(parse, duration_table)
{
	static const struct dcase cases[] = {
		{ "100us", 1, 100e3 },
		{ "1.5ms", 1, 1.5e6 },
		{ "2s", 1, 2e9 },
		{ "500ns", 1, 500.0 },
		{ "0", 1, 0.0 },
		{ "0.0", 1, 0.0 },
		{ "0s", 1, 0.0 },
		{ "-0us", 1, 0.0 },
		{ "1e3us", 1, 1e6 },
		{ "10\xc2\xb5s", 1, 10e3 },	/* micro sign */
		{ "10\xce\xbcs", 1, 10e3 },	/* Greek mu */
		{ ".5s", 1, 0.5e9 },
		{ "100", 0, 0 },
		{ "-1us", 0, 0 },
		{ "10 us", 0, 0 },
		{ " 10us", 0, 0 },
		{ "10us ", 0, 0 },
		{ "", 0, 0 },
		{ "us", 0, 0 },
		{ "10", 0, 0 },
		{ "10m", 0, 0 },
		{ "10min", 0, 0 },
		{ "10US", 0, 0 },
		{ "10uss", 0, 0 },
		{ "nanus", 0, 0 },
		{ "infs", 0, 0 },
		{ "1e400s", 0, 0 },
		{ "1e300s", 0, 0 },	/* finite number, infinite ns */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = 42.0;
		int rc = asgd_parse_duration_ns(cases[i].s, &v);

		if (cases[i].ok) {
			cr_expect_eq(rc, ASGD_OK, "'%s' should parse", cases[i].s);
			cr_expect_eq(v, cases[i].v, "'%s' gave %.17g", cases[i].s, v);
			cr_expect(!signbit(v), "'%s' gave a negative zero", cases[i].s);
		} else {
			cr_expect_eq(rc, ASGD_EINVAL, "'%s' should be rejected", cases[i].s);
			cr_expect_eq(v, 42.0, "'%s' touched out on failure", cases[i].s);
		}
	}
}

Test(parse, u64_list)
{
	uint64_t out[4] = { 9, 9, 9, 9 };
	size_t n = 99;

	cr_assert_eq(asgd_parse_u64_list("1,2,4,8", out, 4, &n), ASGD_OK);
	cr_expect_eq(n, 4);
	cr_expect(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 8);

	cr_assert_eq(asgd_parse_u64_list("1e3", out, 4, &n), ASGD_OK);
	cr_expect_eq(n, 1);
	cr_expect_eq(out[0], 1000);

	/* Each failure leaves both out and n alone. */
	static const char *bad[] = { "",      ",",     "1,",   ",1",    "1,,2", "1, 2",
				     "1 ,2",  "1;2",   "a",    "1,-2",  "1,2,3,4,5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t o[4] = { 7, 7, 7, 7 };
		size_t m = 99;

		cr_expect_eq(asgd_parse_u64_list(bad[i], o, 4, &m), ASGD_EINVAL,
			     "'%s' should be rejected", bad[i]);
		cr_expect(m == 99 && o[0] == 7 && o[1] == 7 && o[2] == 7 && o[3] == 7,
			  "'%s' touched the outputs", bad[i]);
	}
	cr_expect_eq(asgd_parse_u64_list("1", out, 0, &n), ASGD_EINVAL, "cap 0 takes nothing");
}
