/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_work.c — work specs parse and print back exactly, sampled work times have the laws they
 * claim, and spending a work time never spends less.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <sys/prctl.h>

#include "asgd/error.h"
#include "asgd/rng.h"
#include "asgd/work.h"

struct wcase {
	const char *s;
	int ok;
	asgd_work_kind kind;
	double ns, p;
	const char *canon;	/* asgd_work_format of the result */
};

Test(work, parse_valid)
{
	static const struct wcase cases[] = {
		{ "none", 1, ASGD_WORK_NONE, 0, 0, "none" },
		{ "fixed:100us", 1, ASGD_WORK_FIXED, 100e3, 0, "fixed:100us" },
		{ "fixed:0", 1, ASGD_WORK_FIXED, 0, 0, "fixed:0ns" },
		{ "fixed:1500us", 1, ASGD_WORK_FIXED, 1.5e6, 0, "fixed:1.5ms" },
		{ "exp:100us", 1, ASGD_WORK_EXP, 100e3, 0, "exp:100us" },
		{ "exp:0.5ms", 1, ASGD_WORK_EXP, 500e3, 0, "exp:500us" },
		{ "exp:2s", 1, ASGD_WORK_EXP, 2e9, 0, "exp:2s" },
		{ "exp:1000000ns", 1, ASGD_WORK_EXP, 1e6, 0, "exp:1ms" },
		{ "exp:250ns", 1, ASGD_WORK_EXP, 250, 0, "exp:250ns" },
		{ "geom:0.9,10us", 1, ASGD_WORK_GEOM, 10e3, 0.9, "geom:0.9,10us" },
		{ "geom:0,1ms", 1, ASGD_WORK_GEOM, 1e6, 0, "geom:0,1ms" },
		{ "geom:-0,1ms", 1, ASGD_WORK_GEOM, 1e6, 0, "geom:0,1ms" },
		{ "geom:0.999,1\xc2\xb5s", 1, ASGD_WORK_GEOM, 1e3, 0.999, "geom:0.999,1us" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		asgd_work w, back;
		char buf[64], err[256] = "";

		cr_assert_eq(asgd_work_parse(cases[i].s, &w, err, sizeof(err)), ASGD_OK,
			     "'%s' rejected: %s", cases[i].s, err);
		cr_expect_eq(w.kind, cases[i].kind, "'%s'", cases[i].s);
		cr_expect_eq(w.ns, cases[i].ns, "'%s' ns = %.17g", cases[i].s, w.ns);
		cr_expect_eq(w.p, cases[i].p, "'%s' p = %.17g", cases[i].s, w.p);
		cr_assert_eq(asgd_work_format(&w, buf, sizeof(buf)), ASGD_OK);
		cr_expect_str_eq(buf, cases[i].canon, "'%s' formats as '%s'", cases[i].s, buf);
		cr_assert_eq(asgd_work_parse(buf, &back, NULL, 0), ASGD_OK, "'%s'", buf);
		cr_expect(back.kind == w.kind && back.ns == w.ns && back.p == w.p,
			  "'%s' does not read back", buf);
	}
}

struct bad {
	const char *s;
	const char *names;	/* the error must mention this */
};

Test(work, parse_invalid)
{
	static const struct bad cases[] = {
		{ "", "unknown work kind" },
		{ "None", "None" },
		{ "poisson:10us", "poisson" },
		{ "none:1us", "none" },
		{ "fixed", "fixed" },
		{ "geom", "geom:P,DUR" },
		{ "fixed:", "duration" },
		{ "fixed:100", "100" },
		{ "fixed:-1us", "-1us" },
		{ "exp:0", "positive" },
		{ "exp:0us", "positive" },
		{ "exp:10 us", "10 us" },
		{ "exp:10us,", "10us," },
		{ "exp:nanus", "nanus" },
		{ "geom:1,10us", "[0, 1)" },
		{ "geom:1.5,10us", "1.5" },
		{ "geom:-0.1,10us", "-0.1" },
		{ "geom:nan,10us", "nan" },
		{ "geom:0.9", "comma" },
		{ "geom:0.9;10us", "comma" },
		{ "geom:,10us", "probability" },
		{ "geom:0.9,", "duration" },
		{ "geom:0.9,0us", "positive" },
		{ "geom:0.9,10us,1", "10us,1" },
		{ " exp:10us", "kind" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		asgd_work w = { ASGD_WORK_FIXED, 7.0, 0.0, 0 };
		char err[256] = "";

		cr_expect_eq(asgd_work_parse(cases[i].s, &w, err, sizeof(err)), ASGD_EINVAL,
			     "'%s' should be rejected", cases[i].s);
		cr_expect(w.kind == ASGD_WORK_FIXED && w.ns == 7.0, "'%s' touched out",
			  cases[i].s);
		cr_expect(strstr(err, cases[i].names) != NULL, "'%s': error \"%s\" lacks \"%s\"",
			  cases[i].s, err, cases[i].names);
		/* err may be NULL */
		cr_expect_eq(asgd_work_parse(cases[i].s, &w, NULL, 0), ASGD_EINVAL);
	}
}

Test(work, format_round_trips_random_values)
{
	asgd_rng r;

	asgd_rng_init(&r, 1, 0);
	for (int i = 0; i < 20000; i++) {
		/* log-uniform durations from 0.1 ns to ~3 h, arbitrary mantissas */
		asgd_work w = { (asgd_work_kind)(1 + asgd_rng_below(&r, 3)),
				pow(10.0, -1.0 + 14.0 * asgd_rng_uniform(&r)), 0.0, 0 };
		asgd_work back;
		char buf[64];

		if (w.kind == ASGD_WORK_GEOM)
			w.p = asgd_rng_uniform(&r);
		cr_assert_eq(asgd_work_format(&w, buf, sizeof(buf)), ASGD_OK);
		cr_assert_eq(asgd_work_parse(buf, &back, NULL, 0), ASGD_OK, "'%s'", buf);
		cr_assert(back.kind == w.kind && back.ns == w.ns && back.p == w.p,
			  "%.17g, %.17g -> '%s' -> %.17g, %.17g", w.ns, w.p, buf, back.ns, back.p);
	}
}

Test(work, format_rejects)
{
	asgd_work bad_p = { ASGD_WORK_GEOM, 10.0, 1.0, 0 };
	asgd_work bad_ns = { ASGD_WORK_EXP, 0.0, 0.0, 0 };
	asgd_work ok = { ASGD_WORK_GEOM, 10e3, 0.9, 0 };
	char buf[64] = "untouched";

	cr_expect_eq(asgd_work_format(&bad_p, buf, sizeof(buf)), ASGD_EINVAL);
	cr_expect_eq(asgd_work_format(&bad_ns, buf, sizeof(buf)), ASGD_EINVAL);
	cr_expect_eq(asgd_work_format(&ok, buf, 5), ASGD_EINVAL, "too small a buffer");
	cr_expect_str_eq(buf, "untouched");
	cr_expect_eq(asgd_work_format(&ok, buf, strlen("geom:0.9,10us") + 1), ASGD_OK);
	cr_expect_str_eq(buf, "geom:0.9,10us");
}

Test(work, mean_closed_forms)
{
	asgd_work none = { ASGD_WORK_NONE, 0, 0, 0 }, fixed = { ASGD_WORK_FIXED, 5e3, 0, 0 },
		  ex = { ASGD_WORK_EXP, 7e3, 0, 0 }, geom = { ASGD_WORK_GEOM, 10e3, 0.9, 0 };
	asgd_rng r;

	cr_expect_eq(asgd_work_mean_ns(&none), 0.0);
	cr_expect_eq(asgd_work_mean_ns(&fixed), 5e3);
	cr_expect_eq(asgd_work_mean_ns(&ex), 7e3);
	/* trials 1 + G, E G = p/(1 − p): 10 µs / 0.1 = 100 µs */
	cr_expect_float_eq(asgd_work_mean_ns(&geom), 100e3, 1e-9);
	asgd_rng_init(&r, 3, 0);
	cr_expect_eq(asgd_work_sample_ns(&none, &r), 0.0);
	cr_expect_eq(asgd_work_sample_ns(&fixed, &r), 5e3);
}

/*
 * Exponential work, mean m: E x = m, Var x = m²; E x² = 2m², Var x² = E x⁴ − (E x²)² = 24m⁴ − 4m⁴
 * = 20m⁴. Over N draws the SEs are m/√N and √20·m²/√N; we allow 4 SE.
 */
Test(work, exp_samples_have_the_law)
{
	const int n = 200000;
	const double m = 100e3;
	asgd_work w = { ASGD_WORK_EXP, m, 0, 0 };
	asgd_rng r;
	double s1 = 0, s2 = 0, mn = INFINITY;

	asgd_rng_init(&r, 42, 7);
	for (int i = 0; i < n; i++) {
		double x = asgd_work_sample_ns(&w, &r);

		s1 += x;
		s2 += x * x;
		mn = fmin(mn, x);
	}
	cr_expect(fabs(s1 / n - m) < 4 * m / sqrt(n), "mean %g vs %g", s1 / n, m);
	cr_expect(fabs(s2 / n - 2 * m * m) < 4 * sqrt(20.0) * m * m / sqrt(n),
		  "second moment %g vs %g", s2 / n, 2 * m * m);
	cr_expect(mn >= 0.0);
}

/*
 * Geometric trials, trial time c, repeat probability p: D = c·T, T = 1 + G, P(G = l) = (1−p)p^l.
 * E D = c/(1−p); Var D = c²·Var G = c²p/(1−p)², so SE(mean) = c√p/((1−p)√N). P(T = 1) = 1 − p
 * with binomial SE √(p(1−p)/N). Every draw is a whole number of trials.
 */
Test(work, geom_samples_have_the_law)
{
	const int n = 200000;
	const double c = 10e3, p = 0.9;
	asgd_work w = { ASGD_WORK_GEOM, c, p, 0 };
	asgd_rng r;
	double s1 = 0;
	long single = 0, whole = 0;

	asgd_rng_init(&r, 42, 8);
	for (int i = 0; i < n; i++) {
		double x = asgd_work_sample_ns(&w, &r), t = x / c;

		s1 += x;
		single += x == c;
		whole += t >= 1.0 && t == floor(t);
	}
	double mean = c / (1 - p), se = c * sqrt(p) / ((1 - p) * sqrt(n));
	double frac = (double)single / n, se_frac = sqrt(p * (1 - p) / n);

	cr_expect(fabs(s1 / n - mean) < 4 * se, "mean %g vs %g (se %g)", s1 / n, mean, se);
	cr_expect(fabs(frac - (1 - p)) < 4 * se_frac, "P(one trial) %g vs %g", frac, 1 - p);
	cr_expect_eq(whole, n, "a draw was not a whole number of trials");
}

Test(work, thread_setup_sets_1ns_slack)
{
	cr_assert_eq(asgd_work_thread_setup(), ASGD_OK);
	cr_expect_eq(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1);
}

/* Only lower bounds: the realised time is never short, and never more than an outer clock saw. */
Test(work, spend_never_short)
{
	static const double asks[] = { 200e3, 500.0, 1999.0, 2000.0, 50e3 };

	cr_assert_eq(asgd_work_thread_setup(), ASGD_OK);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		double t0 = asgd_now_ns();
		double got = asgd_work_spend(asks[i]);
		double outer = asgd_now_ns() - t0;

		cr_expect(got >= asks[i], "asked %g ns, realised %g", asks[i], got);
		cr_expect(outer >= got, "realised %g exceeds the outer interval %g", got, outer);
	}
	cr_expect_eq(asgd_work_spend(0.0), 0.0);
	cr_expect_eq(asgd_work_spend(-5.0), 0.0);
	cr_expect_eq(asgd_work_spend(NAN), 0.0);
}

Test(work, now_is_monotonic)
{
	double prev = asgd_now_ns();

	for (int i = 0; i < 100000; i++) {
		double t = asgd_now_ns();

		cr_assert(t >= prev);
		prev = t;
	}
}

/* "spin:" spends any law busy: it parses into the same law with spin set, formats back to the
 * same spec, and is refused where there is nothing to spend or the prefix repeats. */
Test(work, spin_prefix)
{
	static const char *const bad[] = { "spin:none", "spin:spin:exp:1us", "spin:", "spin:exp:0" };
	asgd_work w, asleep;
	char buf[64], err[256];

	cr_assert_eq(asgd_work_parse("spin:exp:100us", &w, err, sizeof(err)), ASGD_OK, "%s", err);
	cr_assert_eq(asgd_work_parse("exp:100us", &asleep, NULL, 0), ASGD_OK);
	cr_expect(w.spin && !asleep.spin);
	cr_expect(w.kind == asleep.kind && w.ns == asleep.ns && w.p == asleep.p);
	cr_assert_eq(asgd_work_format(&w, buf, sizeof(buf)), ASGD_OK);
	cr_expect_str_eq(buf, "spin:exp:100us");
	cr_assert_eq(asgd_work_parse("spin:geom:0.5,2us", &w, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_work_format(&w, buf, sizeof(buf)), ASGD_OK);
	cr_expect_str_eq(buf, "spin:geom:0.5,2us");
	cr_expect_eq(asgd_work_format(&w, buf, 10), ASGD_EINVAL, "too small a buffer");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(asgd_work_parse(bad[i], &w, err, sizeof(err)), ASGD_EINVAL, "'%s'",
			     bad[i]);
}

/* Busy work keeps the same lower bound as sleeping, and asgd_work_do spends what the law says. */
Test(work, spin_never_short)
{
	asgd_work none = { ASGD_WORK_NONE, 0, 0, 0 }, spin = { ASGD_WORK_FIXED, 30e3, 0, 1 };
	asgd_rng r;

	asgd_rng_init(&r, 3, 0);
	cr_expect(asgd_work_spin(50e3) >= 50e3);
	cr_expect_eq(asgd_work_spin(0.0), 0.0);
	cr_expect_eq(asgd_work_spin(NAN), 0.0);
	cr_expect_eq(asgd_work_do(&none, &r), 0.0);
	cr_expect(asgd_work_do(&spin, &r) >= 30e3);
}

Test(work, cv_closed_forms)
{
	asgd_work none = { ASGD_WORK_NONE, 0, 0, 0 }, fixed = { ASGD_WORK_FIXED, 5e3, 0, 0 },
		  ex = { ASGD_WORK_EXP, 7e3, 0, 0 }, geom = { ASGD_WORK_GEOM, 10e3, 0.9, 0 };

	cr_expect(isnan(asgd_work_cv(&none)));
	cr_expect(isnan(asgd_work_cv(NULL)));
	cr_expect_eq(asgd_work_cv(&fixed), 0.0);
	cr_expect_eq(asgd_work_cv(&ex), 1.0);
	/* ns(1 + G): sd ns√p/(1 − p) over mean ns/(1 − p) */
	cr_expect_float_eq(asgd_work_cv(&geom), sqrt(0.9), 1e-15);
}

/* The realised work is off when its mean or CV strays more than 20% from the request. */
Test(work, fidelity_flags_what_is_off)
{
	asgd_work ex = { ASGD_WORK_EXP, 100e3, 0, 0 }, fixed = { ASGD_WORK_FIXED, 50e3, 0, 0 },
		  none = { ASGD_WORK_NONE, 0, 0, 0 };

	cr_expect_eq(asgd_work_fidelity(&ex, 110e3, 1.1), 0);
	cr_expect_eq(asgd_work_fidelity(&ex, 142e3, 1.0), ASGD_WORK_MEAN_OFF);
	cr_expect_eq(asgd_work_fidelity(&ex, 100e3, 1.45), ASGD_WORK_CV_OFF);
	cr_expect_eq(asgd_work_fidelity(&ex, 226e3, 2.49), ASGD_WORK_MEAN_OFF | ASGD_WORK_CV_OFF);
	cr_expect_eq(asgd_work_fidelity(&ex, 79e3, 0.79), ASGD_WORK_MEAN_OFF | ASGD_WORK_CV_OFF);
	/* a fixed request has CV 0: off when the realised one exceeds 0.2 */
	cr_expect_eq(asgd_work_fidelity(&fixed, 55e3, 0.15), 0);
	cr_expect_eq(asgd_work_fidelity(&fixed, 55e3, 0.25), ASGD_WORK_CV_OFF);
	cr_expect_eq(asgd_work_fidelity(&none, 1e6, 5), 0);
	cr_expect_eq(asgd_work_fidelity(&ex, NAN, NAN), 0);
	cr_expect_eq(asgd_work_fidelity(NULL, 1, 1), 0);
}
