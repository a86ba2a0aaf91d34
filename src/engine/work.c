/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * work.c — the injected work time per gradient: its law, its spec string, and spending it.
 *
 * The queueing model predicts geometric staleness only if the work time really has the law asked
 * for. Two things on Linux get in the way and are handled here: timer slack, which stretches short
 * sleeps by a roughly constant amount (so exponential work stops being memoryless), and relative
 * sleeps, which lose time to signals and scheduling. Workers therefore run with 1 ns slack, sleep to
 * absolute deadlines, and measure what they actually spent.
 */
#include "asgd/work.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "asgd/error.h"
#include "asgd/parse.h"

/* Below this a sleep syscall costs more than the wait itself; spin on the clock instead. */
#define SPIN_BELOW_NS 2000.0

/* Deadlines beyond ~3 years are clamped so that t0 + ns stays inside int64_t. */
#define MAX_SPEND_NS 1e17

#define WORK_ALLOWED "allowed are none, fixed:DUR, exp:DUR or geom:P,DUR, each maybe after " \
	"spin: (DUR a number with unit ns, us, ms or s, e.g. 100us; P in [0, 1))"

static int fail(char *err, size_t errlen, const char *what, const char *bad, const char *allowed)
{
	if (err && errlen > 0)
		snprintf(err, errlen, "%s '%s': %s", what, bad, allowed);
	return ASGD_EINVAL;
}

/* Parses the duration d of a work spec: positive, or non-negative if zero_ok. */
static int parse_dur(const char *d, int zero_ok, double *ns, char *err, size_t errlen)
{
	double v;

	if (asgd_parse_duration_ns(d, &v) != ASGD_OK)
		return fail(err, errlen, "bad work duration", d,
			    "expected a number with unit ns, us, ms or s, e.g. 100us or 1.5ms");
	if (v == 0.0 && !zero_ok)
		return fail(err, errlen, "bad work duration", d,
			    "exp and geom work need a positive duration");
	*ns = v;
	return ASGD_OK;
}

int asgd_work_parse(const char *s, asgd_work *out, char *err, size_t errlen)
{
	asgd_work w = { ASGD_WORK_NONE, 0.0, 0.0, 0 };
	const char *colon, *arg;
	size_t klen;
	int rc;

	if (!s || !out)
		return fail(err, errlen, "work spec", s ? s : "(null)", WORK_ALLOWED);
	if (strncmp(s, "spin:", 5) == 0) {
		if (strncmp(s + 5, "none", 4) == 0 || strncmp(s + 5, "spin:", 5) == 0)
			return fail(err, errlen, "spin: needs a law of positive time in work", s,
				    WORK_ALLOWED);
		rc = asgd_work_parse(s + 5, &w, err, errlen);
		if (rc != ASGD_OK)
			return rc;
		w.spin = 1;
		*out = w;
		return ASGD_OK;
	}
	if (strcmp(s, "none") == 0) {
		*out = w;
		return ASGD_OK;
	}
	colon = strchr(s, ':');
	klen = colon ? (size_t)(colon - s) : strlen(s);
	arg = colon ? colon + 1 : NULL;
	if (klen == 5 && strncmp(s, "fixed", 5) == 0) {
		w.kind = ASGD_WORK_FIXED;
	} else if (klen == 3 && strncmp(s, "exp", 3) == 0) {
		w.kind = ASGD_WORK_EXP;
	} else if (klen == 4 && strncmp(s, "geom", 4) == 0) {
		w.kind = ASGD_WORK_GEOM;
	} else if (klen == 4 && strncmp(s, "none", 4) == 0) {
		return fail(err, errlen, "no parameters allowed after 'none' in work", s, WORK_ALLOWED);
	} else {
		char kind[32];

		snprintf(kind, sizeof(kind), "%.*s", (int)(klen < 31 ? klen : 31), s);
		return fail(err, errlen, "unknown work kind", kind, WORK_ALLOWED);
	}
	if (!arg) {
		return fail(err, errlen, "missing parameters in work", s,
			    w.kind == ASGD_WORK_GEOM ? "write geom:P,DUR, e.g. geom:0.9,10us"
						     : "write KIND:DUR, e.g. exp:100us");
	}
	if (w.kind != ASGD_WORK_GEOM) {
		rc = parse_dur(arg, w.kind == ASGD_WORK_FIXED, &w.ns, err, errlen);
		if (rc != ASGD_OK)
			return rc;
	} else {
		const char *comma = strchr(arg, ',');
		char pbuf[64];
		size_t plen;

		if (!comma)
			return fail(err, errlen, "missing comma in work", s,
				    "write geom:P,DUR, e.g. geom:0.9,10us (P in [0, 1))");
		plen = (size_t)(comma - arg);
		if (plen >= sizeof(pbuf))
			plen = sizeof(pbuf) - 1;	/* a number this long is rejected anyway */
		memcpy(pbuf, arg, plen);
		pbuf[plen] = '\0';
		if (asgd_parse_double(pbuf, &w.p) != ASGD_OK || !(w.p >= 0.0 && w.p < 1.0))
			return fail(err, errlen, "bad geom probability", pbuf,
				    "the chance that another trial follows must be a number in [0, 1)");
		w.p += 0.0;	/* -0 → +0, so format prints "0" */
		rc = parse_dur(comma + 1, 0, &w.ns, err, errlen);
		if (rc != ASGD_OK)
			return rc;
	}
	*out = w;
	return ASGD_OK;
}

/*
 * The shortest spelling of x that strtod reads back exactly: plain decimals ("100", "0.9") where
 * that is possible, since %g would write 100 as "1e+02"; %g with up to 17 digits otherwise.
 */
static void shortest(char *buf, size_t len, double x)
{
	if (x == 0.0 || (fabs(x) >= 1e-4 && fabs(x) < 1e15)) {
		for (int prec = 0; prec <= 17; prec++) {
			snprintf(buf, len, "%.*f", prec, x);
			if (strtod(buf, NULL) == x)
				return;
		}
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* The duration in the largest unit that asgd_parse_duration_ns reads back as exactly ns. */
static void format_dur(char *buf, size_t len, double ns)
{
	static const struct {
		const char *name;
		double scale;
	} units[] = { { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "ns", 1.0 } };
	char num[40];

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double x = ns / units[i].scale, back;

		if (x < 1.0 && units[i].scale > 1.0)
			continue;	/* 500us reads better than 0.5ms */
		shortest(num, sizeof(num), x);
		snprintf(buf, len, "%s%s", num, units[i].name);
		/* In ns the scale is 1, so this holds at the latest there. */
		if (asgd_parse_duration_ns(buf, &back) == ASGD_OK && back == ns)
			return;
	}
}

static int work_valid(const asgd_work *w)
{
	switch (w->kind) {
	case ASGD_WORK_NONE:
		return 1;
	case ASGD_WORK_FIXED:
		return isfinite(w->ns) && w->ns >= 0.0;
	case ASGD_WORK_EXP:
		return isfinite(w->ns) && w->ns > 0.0;
	case ASGD_WORK_GEOM:
		return isfinite(w->ns) && w->ns > 0.0 && w->p >= 0.0 && w->p < 1.0;
	}
	return 0;
}

int asgd_work_format(const asgd_work *w, char *buf, size_t len)
{
	char dur[64], p[40], out[160];
	int n;

	if (!w || !buf || !work_valid(w))
		return ASGD_EINVAL;
	if (w->spin && w->kind != ASGD_WORK_NONE) {
		asgd_work asleep = *w;

		asleep.spin = 0;
		if (asgd_work_format(&asleep, out, sizeof(out)) != ASGD_OK)
			return ASGD_EINVAL;
		n = snprintf(buf, len, "spin:%s", out);
		return n < 0 || (size_t)n >= len ? ASGD_EINVAL : ASGD_OK;
	}
	switch (w->kind) {
	case ASGD_WORK_FIXED:
	case ASGD_WORK_EXP:
		format_dur(dur, sizeof(dur), w->ns);
		n = snprintf(out, sizeof(out), "%s:%s",
			     w->kind == ASGD_WORK_FIXED ? "fixed" : "exp", dur);
		break;
	case ASGD_WORK_GEOM:
		format_dur(dur, sizeof(dur), w->ns);
		shortest(p, sizeof(p), w->p);
		n = snprintf(out, sizeof(out), "geom:%s,%s", p, dur);
		break;
	default:
		n = snprintf(out, sizeof(out), "none");
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return ASGD_EINVAL;
	memcpy(buf, out, (size_t)n + 1);
	return ASGD_OK;
}

double asgd_work_mean_ns(const asgd_work *w)
{
	if (!w)
		return NAN;
	switch (w->kind) {
	case ASGD_WORK_NONE:
		return 0.0;
	case ASGD_WORK_FIXED:
	case ASGD_WORK_EXP:
		return w->ns;
	case ASGD_WORK_GEOM:
		/* E[1 + G] = 1 + p/(1 − p) = 1/(1 − p) for P(G = l) = (1 − p)p^l. */
		return w->ns / (1.0 - w->p);
	}
	return NAN;
}

double asgd_work_cv(const asgd_work *w)
{
	if (!w)
		return NAN;
	switch (w->kind) {
	case ASGD_WORK_NONE:
		return NAN;
	case ASGD_WORK_FIXED:
		return 0.0;
	case ASGD_WORK_EXP:
		return 1.0;
	case ASGD_WORK_GEOM:
		return sqrt(w->p);
	}
	return NAN;
}

/* Whether @got is more than the tolerance off @want (absolutely when @want is 0). */
static int off_request(double got, double want)
{
	double scale = want > 0 ? want : 1;

	return fabs(got - want) > ASGD_WORK_FIDELITY_TOL * scale;
}

int asgd_work_fidelity(const asgd_work *w, double mean_ns, double cv)
{
	int off = 0;

	if (!w || w->kind == ASGD_WORK_NONE)
		return 0;
	if (!isnan(mean_ns) && off_request(mean_ns, asgd_work_mean_ns(w)))
		off |= ASGD_WORK_MEAN_OFF;
	if (!isnan(cv) && off_request(cv, asgd_work_cv(w)))
		off |= ASGD_WORK_CV_OFF;
	return off;
}

double asgd_work_sample_ns(const asgd_work *w, asgd_rng *r)
{
	if (!w)
		return NAN;
	switch (w->kind) {
	case ASGD_WORK_NONE:
		return 0.0;
	case ASGD_WORK_FIXED:
		return w->ns;
	case ASGD_WORK_EXP:
		return asgd_rng_exponential(r, w->ns);
	case ASGD_WORK_GEOM:
		return w->ns * (double)(1 + asgd_rng_geometric(r, w->p));
	}
	return NAN;
}

int asgd_work_thread_setup(void)
{
	return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0 ? ASGD_OK : ASGD_EIO;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double asgd_now_ns(void)
{
	return (double)mono_ns();
}

double asgd_work_spend(double ns)
{
	int64_t t0 = mono_ns(), now, deadline;
	int sleep_ok = ns >= SPIN_BELOW_NS;
	struct timespec ts;

	if (!(ns > 0.0))
		return 0.0;
	if (ns > MAX_SPEND_NS)
		ns = MAX_SPEND_NS;
	/* Rounding up makes the realised time at least ns, not merely close to it. */
	deadline = t0 + (int64_t)ceil(ns);
	ts.tv_sec = (time_t)(deadline / 1000000000);
	ts.tv_nsec = (long)(deadline % 1000000000);
	for (;;) {
		now = mono_ns();
		if (now >= deadline)
			break;
		/* EINTR just loops; any other failure falls back to spinning to keep the bound. */
		if (sleep_ok) {
			int e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

			if (e != 0 && e != EINTR)
				sleep_ok = 0;
		}
	}
	return (double)(now - t0);
}

double asgd_work_spin(double ns)
{
	int64_t t0 = mono_ns(), now, deadline;

	if (!(ns > 0.0))
		return 0.0;
	if (ns > MAX_SPEND_NS)
		ns = MAX_SPEND_NS;
	deadline = t0 + (int64_t)ceil(ns);
	do
		now = mono_ns();
	while (now < deadline);
	return (double)(now - t0);
}

double asgd_work_do(const asgd_work *w, asgd_rng *r)
{
	double ns;

	if (w->kind == ASGD_WORK_NONE)
		return 0.0;
	ns = asgd_work_sample_ns(w, r);
	return w->spin ? asgd_work_spin(ns) : asgd_work_spend(ns);
}
