/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * staleness_truncated.c — the geometric law truncated at a staleness bound s, and its
 * maximum-likelihood fit (asgd/staleness.h).
 *
 * Everything is computed in θ = log μ through expm1, so that μ near 1 (the uniform law, where
 * (1 − μ)/(1 − μ^{s+1}) is 0/0) and μ far above 1 (μ^{s+1} overflows) stay exact: with
 * a = (s + 1)θ, (1 − μ)/(1 − μ^{s+1}) = expm1(θ)/expm1(a), and for θ > 0 the mirrored form
 * P(τ = j) = ν^{s−j}(1 − ν)/(1 − ν^{s+1}), ν = 1/μ, keeps every power below 1.
 */
#include "asgd/staleness.h"

#include <math.h>
#include <stdbool.h>

#include "asgd/error.h"
#include "json_internal.h"

/* Below this |(s + 1)θ| the closed forms of the mean and variance cancel: there the law is
 * uniform to first order in θ. */
#define NEAR_UNIFORM 1e-5
/* The JSON pmf's length at most (s + 1 can be 2^24 + 1). */
#define JSON_PMF_MAX 4097

double asgd_truncated_geometric_pmf(double mu, uint64_t s, uint64_t j)
{
	double theta, a;

	if (!(mu >= 0))
		return NAN;
	if (j > s)
		return 0;
	if (mu == 0)
		return j == 0;
	if (isinf(mu))
		return j == s;
	theta = log(mu);
	a = (double)(s + 1) * theta;
	if (theta == 0) /* expm1 keeps every digit of the ratio for any other θ */
		return 1.0 / (double)(s + 1);
	if (theta < 0)
		return exp((double)j * theta) * expm1(theta) / expm1(a);
	return exp(-(double)(s - j) * theta) * expm1(-theta) / expm1(-a);
}

/* e^a/expm1(a)², written so that it neither overflows nor loses digits: even in a. */
static double g2(double a)
{
	double e = expm1(-fabs(a));

	return exp(-fabs(a)) / (e * e);
}

double asgd_truncated_geometric_mean(double mu, uint64_t s)
{
	double theta, a, n = (double)s;

	if (!(mu >= 0))
		return NAN;
	if (mu == 0 || s == 0)
		return 0;
	if (isinf(mu))
		return n;
	theta = log(mu);
	a = (n + 1) * theta;
	if (fabs(a) < NEAR_UNIFORM) /* d mean/dθ = Var, uniform's s(s + 2)/12 */
		return n / 2 + theta * n * (n + 2) / 12;
	/* μ/(1 − μ) − (s + 1)μ^{s+1}/(1 − μ^{s+1}) */
	return 1 / expm1(-theta) - (n + 1) / expm1(-a);
}

double asgd_truncated_geometric_var(double mu, uint64_t s)
{
	double theta, a, n = (double)s, v;

	if (!(mu >= 0))
		return NAN;
	if (mu == 0 || isinf(mu) || s == 0)
		return 0;
	theta = log(mu);
	a = (n + 1) * theta;
	if (fabs(a) < NEAR_UNIFORM)
		return n * (n + 2) / 12;
	v = g2(theta) - (n + 1) * (n + 1) * g2(a);	/* d mean/dθ */
	return v > 0 ? v : 0;
}

/* θ̂ with mean(e^θ̂) = @mean, 0 < mean < s: bracket, then bisect to the last bit. */
static double solve_theta(double mean, uint64_t s)
{
	double lo = -1, hi = 1;

	while (lo > -1400 && asgd_truncated_geometric_mean(exp(lo), s) > mean)
		lo *= 2;
	while (hi < 1400 && asgd_truncated_geometric_mean(exp(hi), s) < mean)
		hi *= 2;
	for (int i = 0; i < 200; i++) {
		double mid = 0.5 * (lo + hi);

		if (mid <= lo || mid >= hi)
			break;
		if (asgd_truncated_geometric_mean(exp(mid), s) < mean)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

int asgd_staleness_fit_truncated(const asgd_staleness_summary *sum, uint64_t s,
				 asgd_staleness_truncated *out)
{
	double n, tv = 0;

	if (!sum || !out || s == 0 || sum->count == 0 || sum->max > s)
		return ASGD_EINVAL;
	n = (double)sum->count;
	*out = (asgd_staleness_truncated){ .bound = s, .mu_se = NAN,
					   .mu_ci95 = { NAN, NAN } };
	if (sum->mean <= 0) {
		out->mu_hat = 0;
	} else if (sum->mean >= (double)s) {
		out->mu_hat = INFINITY;
	} else {
		out->mu_hat = exp(solve_theta(sum->mean, s));
		out->mu_se = out->mu_hat / sqrt(n * asgd_truncated_geometric_var(out->mu_hat, s));
		out->mu_ci95[0] = fmax(0, out->mu_hat - 1.96 * out->mu_se);
		out->mu_ci95[1] = out->mu_hat + 1.96 * out->mu_se;
	}
	for (uint64_t j = 0; j <= s; j++)
		tv += fabs((j < sum->pmf_len ? sum->pmf[j] : 0) -
			   asgd_truncated_geometric_pmf(out->mu_hat, s, j));
	out->tv_distance = tv / 2;
	return ASGD_OK;
}

static cJSON *pmf_array(const asgd_staleness_truncated *t)
{
	uint64_t len = t->bound + 1 < JSON_PMF_MAX ? t->bound + 1 : JSON_PMF_MAX;
	cJSON *a = cJSON_CreateArray();

	for (uint64_t j = 0; a && j < len; j++) {
		cJSON *v = cJSON_CreateNumber(asgd_truncated_geometric_pmf(t->mu_hat, t->bound, j));

		if (!v || !cJSON_AddItemToArray(a, v)) {
			cJSON_Delete(v);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *interval(const double ci[2])
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a && i < 2; i++) {
		cJSON *v = isfinite(ci[i]) ? cJSON_CreateNumber(ci[i]) : cJSON_CreateNull();

		if (!v || !cJSON_AddItemToArray(a, v)) {
			cJSON_Delete(v);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

cJSON *asgd_staleness_truncated_json(const asgd_staleness_truncated *t)
{
	cJSON *o;

	if (!t || !(o = cJSON_CreateObject()))
		return NULL;
	if (!asgd__json_num(o, "bound", (double)t->bound) || !asgd__json_num(o, "mu_hat", t->mu_hat) ||
	    !asgd__json_num(o, "mu_se", t->mu_se) || !asgd__json_item(o, "mu_ci95", interval(t->mu_ci95)) ||
	    !asgd__json_num(o, "tv_distance", t->tv_distance) || !asgd__json_item(o, "pmf", pmf_array(t))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
