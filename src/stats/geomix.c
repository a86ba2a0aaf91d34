/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * geomix.c — mixtures of geometric staleness laws: EM on a histogram, BIC, pmf tables.
 *
 * The fit works on the histogram, so one EM iteration costs O(K·len) whatever the number of
 * samples. Everything is computed in the log domain: with μ near 1 and long tails the terms
 * (1 − μ_j)μ_j^l span hundreds of orders of magnitude between components (docs/MODELS.md §5).
 */
#include "asgd/geomix.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "core/stop_internal.h"

#define EM_TOL 1e-10		/* relative change of the log-likelihood that ends EM */
#define EM_MAX_ITER 10000u
#define DROP_WEIGHT 1e-12	/* a component lighter than this has collapsed: dropped */
#define MERGE_MU 1e-9		/* components closer than this in μ are one component */
#define CHECK_SUM 1e-9		/* |Σ w − 1| allowed by asgd_geomix_check */

/* The EM state of one fit: log weight and log-pmf pieces per component. */
struct em {
	size_t k;
	double w[ASGD_GEOMIX_MAX];
	double mu[ASGD_GEOMIX_MAX];
};

/* log(w_j (1 − μ_j) μ_j^l), with μ_j = 0 giving −∞ for every l > 0 (and 0^0 = 1). */
static double log_term(double w, double mu, uint64_t l)
{
	double lt = log(w) + log1p(-mu);

	if (l == 0)
		return lt;
	if (mu <= 0)
		return -INFINITY;
	return lt + (double)l * log(mu);
}

/* log Σ_j exp(a_j), fine when every a_j is −∞ except one. */
static double log_sum_exp(const double *a, size_t k)
{
	double top = -INFINITY, s = 0;
	size_t j;

	for (j = 0; j < k; j++)
		if (a[j] > top)
			top = a[j];
	if (top == -INFINITY)
		return -INFINITY;
	for (j = 0; j < k; j++)
		s += exp(a[j] - top);
	return top + log(s);
}

/* The log-likelihood of @hist under the components of @e. */
static double em_loglik(const struct em *e, const uint64_t *hist, size_t len)
{
	double a[ASGD_GEOMIX_MAX], ll = 0;
	size_t l, j;

	for (l = 0; l < len; l++) {
		if (!hist[l])
			continue;
		for (j = 0; j < e->k; j++)
			a[j] = log_term(e->w[j], e->mu[j], l);
		ll += (double)hist[l] * log_sum_exp(a, e->k);
	}
	return ll;
}

/*
 * One EM iteration: responsibilities r_jl ∝ w_j(1 − μ_j)μ_j^l; then w_j = Σ_l h_l r_jl / n and
 * μ_j = m_j/(1 + m_j), m_j the r-weighted mean of l (the geometric MLE of the weighted data).
 * Returns the log-likelihood of the parameters it started from.
 */
static double em_step(struct em *e, const uint64_t *hist, size_t len, double n)
{
	double a[ASGD_GEOMIX_MAX], mass[ASGD_GEOMIX_MAX] = {0}, lsum[ASGD_GEOMIX_MAX] = {0};
	double ll = 0;
	size_t l, j;

	for (l = 0; l < len; l++) {
		double h = (double)hist[l], z;

		if (!hist[l])
			continue;
		for (j = 0; j < e->k; j++)
			a[j] = log_term(e->w[j], e->mu[j], l);
		z = log_sum_exp(a, e->k);
		ll += h * z;
		for (j = 0; j < e->k; j++) {
			double r = h * exp(a[j] - z);

			mass[j] += r;
			lsum[j] += r * (double)l;
		}
	}
	for (j = 0; j < e->k; j++) {
		double m = mass[j] > 0 ? lsum[j] / mass[j] : 0;

		e->w[j] = mass[j] / n;
		e->mu[j] = m / (1 + m);
	}
	return ll;
}

/* Remove component @j, keeping the rest in order. */
static void em_remove(struct em *e, size_t j)
{
	memmove(e->w + j, e->w + j + 1, (e->k - j - 1) * sizeof(double));
	memmove(e->mu + j, e->mu + j + 1, (e->k - j - 1) * sizeof(double));
	e->k--;
}

/* Drop collapsed components (weight ≈ 0) and renormalise; the rest keep valid weights. */
static void em_drop_empty(struct em *e)
{
	double s = 0;
	size_t j;

	for (j = e->k; j-- > 0;)
		if (e->k > 1 && !(e->w[j] > DROP_WEIGHT))
			em_remove(e, j);
	for (j = 0; j < e->k; j++)
		s += e->w[j];
	for (j = 0; j < e->k; j++)
		e->w[j] /= s;
}

static int by_mu(const void *pa, const void *pb)
{
	const double *a = pa, *b = pb;

	return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Sort by increasing μ and merge components that coincide (two equal μ are one geometric). */
static void em_sort_merge(struct em *e)
{
	double pair[ASGD_GEOMIX_MAX][2];
	size_t j;

	for (j = 0; j < e->k; j++) {
		pair[j][0] = e->w[j];
		pair[j][1] = e->mu[j];
	}
	qsort(pair, e->k, sizeof(pair[0]), by_mu);
	for (j = 0; j < e->k; j++) {
		e->w[j] = pair[j][0];
		e->mu[j] = pair[j][1];
	}
	for (j = e->k; j-- > 1;) {
		if (e->mu[j] - e->mu[j - 1] < MERGE_MU) {
			double w = e->w[j - 1] + e->w[j];

			e->mu[j - 1] = (e->w[j - 1] * e->mu[j - 1] + e->w[j] * e->mu[j]) / w;
			e->w[j - 1] = w;
			em_remove(e, j);
		}
	}
}

/*
 * The deterministic start: cut the sorted sample into K slices of equal count; component j starts
 * with weight 1/K and mean (mean of slice j) + (1 + j/K)/2. The offset keeps a slice of zeros from
 * starting at μ = 0, where EM could never move it, and makes the starts distinct even when slices
 * have equal means (identical components would stay identical under EM).
 */
static void em_start(struct em *e, const uint64_t *hist, size_t len, double n, size_t k)
{
	size_t l = 0, j;
	double left = (double)hist[0];

	e->k = k;
	for (j = 0; j < k; j++) {
		double need = n / (double)k, sum = 0, got = 0, m;

		while (need > 0 && l < len) {
			double take = fmin(left, need);

			sum += take * (double)l;
			got += take;
			need -= take;
			left -= take;
			if (!(left > 0) && ++l < len)
				left = (double)hist[l];
		}
		m = (got > 0 ? sum / got : (double)len - 1) + 0.5 * (1 + (double)j / (double)k);
		e->w[j] = 1.0 / (double)k;
		e->mu[j] = m / (1 + m);
	}
}

static void em_store(const struct em *e, double ll, double n, unsigned iter, asgd_geomix *out)
{
	memset(out, 0, sizeof(*out));
	out->count = e->k;
	memcpy(out->weight, e->w, e->k * sizeof(double));
	memcpy(out->mu, e->mu, e->k * sizeof(double));
	out->loglik = ll;
	out->bic = -2 * ll + (double)(2 * e->k - 1) * log(n);
	out->iterations = iter;
}

/*
 * EM from the start in @e to convergence; returns the log-likelihood, @e sorted and merged. When
 * @poll sees the stop flag (an iteration is len·k logarithms and exponentials), *@stopped is set
 * and the value means nothing.
 */
static double em_run(struct em *e, const uint64_t *hist, size_t len, double n, unsigned *iter,
		     asgd__stop_poll *poll, int *stopped)
{
	double ll, prev = -INFINITY;

	*iter = 0;
	while (*iter < EM_MAX_ITER) {
		if (asgd__stop_after(poll, 64 * (uint64_t)len * e->k)) {
			*stopped = 1;
			return NAN;
		}
		ll = em_step(e, hist, len, n);
		(*iter)++;
		em_drop_empty(e);
		if (fabs(ll - prev) <= EM_TOL * fabs(ll))
			break;
		prev = ll;
	}
	em_sort_merge(e);
	return em_loglik(e, hist, len);
}

/*
 * A start that EM's quantile start cannot reach: the best K−1 fit @prev plus one component for
 * the samples above the @q quantile, with their share as weight and their mean as mean. Real
 * staleness has a thin far tail (τ up to 100 at mean 2.5) that the quantile start, spreading
 * components over the bulk, never moves to. Returns 0 when there is no such tail.
 */
static int tail_start(struct em *e, const asgd_geomix *prev, const uint64_t *hist, size_t len,
		      double n, double q)
{
	double cum = 0, count = 0, sum = 0, m;
	size_t cut = 0, l;

	while (cut < len && (cum += (double)hist[cut]) < q * n)
		cut++;
	for (l = cut + 1; l < len; l++) {
		count += (double)hist[l];
		sum += (double)hist[l] * (double)l;
	}
	if (!(count > 0) || prev->count + 1 > ASGD_GEOMIX_MAX)
		return 0;
	e->k = prev->count + 1;
	for (size_t j = 0; j < prev->count; j++) {
		e->w[j] = prev->weight[j] * (1 - count / n);
		e->mu[j] = prev->mu[j];
	}
	m = sum / count;
	e->w[prev->count] = count / n;
	e->mu[prev->count] = m / (1 + m);
	return 1;
}

static int fit(const uint64_t *hist, size_t len, size_t k, asgd_geomix *out,
	       asgd__stop_poll *poll);

int asgd_geomix_fit(const uint64_t *hist, size_t len, size_t k, asgd_geomix *out)
{
	asgd__stop_poll poll = asgd__stop_poll_init(NULL);

	return fit(hist, len, k, out, &poll);
}

static int fit(const uint64_t *hist, size_t len, size_t k, asgd_geomix *out,
	       asgd__stop_poll *poll)
{
	static const double tail_quantiles[] = { 0.9, 0.99, 0.999 };
	int stopped = 0;
	struct em e, best;
	double n = 0, ll, best_ll;
	unsigned iter, best_iter;
	size_t l;

	if (!hist || !out || k < 1 || k > ASGD_GEOMIX_MAX)
		return ASGD_EINVAL;
	for (l = 0; l < len; l++)
		n += (double)hist[l];
	if (!(n > 0))
		return ASGD_EINVAL;
	while (len > 0 && !hist[len - 1])
		len--;
	if (len == 1) {		/* every τ = 0: the point mass, μ = 0, fits exactly */
		e.k = 1;
		e.w[0] = 1;
		e.mu[0] = 0;
		em_store(&e, 0, n, 0, out);
		return ASGD_OK;
	}
	em_start(&best, hist, len, n, k);
	best_ll = em_run(&best, hist, len, n, &best_iter, poll, &stopped);
	if (stopped)
		return ASGD_EINTR;
	if (k >= 2) {	/* EM finds local maxima: also try the K−1 fit plus a tail component */
		asgd_geomix prev;

		if (fit(hist, len, k - 1, &prev, poll) == ASGD_EINTR)
			return ASGD_EINTR;
		for (size_t i = 0; i < sizeof(tail_quantiles) / sizeof(*tail_quantiles); i++) {
			if (!tail_start(&e, &prev, hist, len, n, tail_quantiles[i]))
				continue;
			ll = em_run(&e, hist, len, n, &iter, poll, &stopped);
			if (stopped)
				return ASGD_EINTR;
			if (ll > best_ll + 1e-9 * fabs(best_ll)) {
				best = e;
				best_ll = ll;
				best_iter = iter;
			}
		}
	}
	em_store(&best, best_ll, n, best_iter, out);
	return ASGD_OK;
}

int asgd_geomix_select(const uint64_t *hist, size_t len, size_t kmax, asgd_geomix *best,
		       asgd_geomix *all)
{
	return asgd_geomix_select_stop(hist, len, kmax, best, all, NULL);
}

int asgd_geomix_select_stop(const uint64_t *hist, size_t len, size_t kmax, asgd_geomix *best,
			    asgd_geomix *all, const atomic_int *stop)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);
	asgd_geomix one, pick;
	size_t k;
	int rc;

	if (!best || kmax < 1 || kmax > ASGD_GEOMIX_MAX)
		return ASGD_EINVAL;
	for (k = 1; k <= kmax; k++) {
		rc = fit(hist, len, k, &one, &poll);
		if (rc)
			return rc;
		if (all)
			all[k - 1] = one;
		/* strict: on a tie the fewer components win */
		if (k == 1 || one.bic < pick.bic)
			pick = one;
	}
	*best = pick;
	return ASGD_OK;
}

int asgd_geomix_check(const asgd_geomix *m)
{
	double s = 0;
	size_t j;

	if (!m || m->count < 1 || m->count > ASGD_GEOMIX_MAX)
		return ASGD_EINVAL;
	for (j = 0; j < m->count; j++) {
		if (!(m->weight[j] > 0) || !(m->weight[j] <= 1))
			return ASGD_EINVAL;
		if (!(m->mu[j] >= 0) || !(m->mu[j] < 1))
			return ASGD_EINVAL;
		s += m->weight[j];
	}
	return fabs(s - 1) <= CHECK_SUM ? ASGD_OK : ASGD_EINVAL;
}

static int parse_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ASGD_EPARSE;
}

/* One number of "W:MU", strict: something parsed, finite, followed by @stop. */
static int parse_number(const char *s, char stop, double *v, const char **end)
{
	char *e;

	errno = 0;
	*v = strtod(s, &e);
	if (e == s || errno || !isfinite(*v) || *e != stop)
		return -1;
	*end = e;
	return 0;
}

/* Component @j from @item (up to ',' or the end); the message names it as it was written. */
static int parse_component(const char *item, size_t len, size_t j, asgd_geomix *m, char *err,
			   size_t errlen)
{
	char buf[128];
	const char *end;
	double w, mu;

	if (len >= sizeof(buf))
		return parse_fail(err, errlen, "component %zu is too long", j + 1);
	memcpy(buf, item, len);
	buf[len] = 0;
	if (parse_number(buf, ':', &w, &end) || parse_number(end + 1, 0, &mu, &end))
		return parse_fail(err, errlen, "component %zu '%s' is not W:MU (two numbers)",
				  j + 1, buf);
	if (!(w > 0))
		return parse_fail(err, errlen, "weight %g of component %zu '%s' is not allowed: "
				  "expected > 0", w, j + 1, buf);
	if (!(mu >= 0 && mu < 1))
		return parse_fail(err, errlen, "mu %g of component %zu '%s' is not allowed: "
				  "expected a number in [0, 1)", mu, j + 1, buf);
	m->weight[j] = w;
	m->mu[j] = mu;
	return ASGD_OK;
}

int asgd_geomix_parse(const char *s, asgd_geomix *out, char *err, size_t errlen)
{
	asgd_geomix m;
	struct em e;
	double sum = 0;
	size_t j = 0;
	int rc;

	if (!s || !out)
		return ASGD_EINVAL;
	memset(&m, 0, sizeof(m));
	for (const char *p = s;; j++) {
		size_t len = strcspn(p, ",");

		if (j == ASGD_GEOMIX_MAX)
			return parse_fail(err, errlen, "more than %d components", ASGD_GEOMIX_MAX);
		rc = parse_component(p, len, j, &m, err, errlen);
		if (rc)
			return rc;
		sum += m.weight[j];
		if (!p[len])
			break;
		p += len + 1;
	}
	m.count = j + 1;
	if (!(fabs(sum - 1) <= CHECK_SUM))
		return parse_fail(err, errlen, "the weights sum to %.17g: expected 1 (within 1e-9)",
				  sum);
	/* Weights within 1e-9 of summing to 1 are accepted and made to sum to 1, so that no weight
	 * (a lone "1.0000000005:0.5", or two merged components) exceeds 1 and the result passes
	 * asgd_geomix_check, which the SME applies. Found by fuzz/fuzz_parse.c. */
	for (j = 0; j < m.count; j++)
		m.weight[j] /= sum;
	e.k = m.count;
	memcpy(e.w, m.weight, sizeof(e.w));
	memcpy(e.mu, m.mu, sizeof(e.mu));
	em_sort_merge(&e);
	m.count = e.k;
	for (j = 0; j < ASGD_GEOMIX_MAX; j++)
		m.weight[j] = j < m.count ? fmin(e.w[j], 1.0) : 0;
	memcpy(m.mu, e.mu, sizeof(e.mu));
	*out = m;
	return ASGD_OK;
}

double asgd_geomix_pmf(const asgd_geomix *m, uint64_t l)
{
	double p = 0;
	size_t j;

	for (j = 0; j < m->count; j++)
		p += m->weight[j] * (1 - m->mu[j]) * pow(m->mu[j], (double)l);
	return p;
}

double asgd_geomix_mean(const asgd_geomix *m)
{
	double s = 0;
	size_t j;

	for (j = 0; j < m->count; j++)
		s += m->weight[j] * m->mu[j] / (1 - m->mu[j]);
	return s;
}

double asgd_geomix_mu_bar(const asgd_geomix *m)
{
	double mean = asgd_geomix_mean(m);

	return mean / (1 + mean);
}

/* P(τ ≥ l) = Σ_j w_j μ_j^l. */
static double tail(const asgd_geomix *m, double l)
{
	double t = 0;
	size_t j;

	for (j = 0; j < m->count; j++)
		t += m->weight[j] * pow(m->mu[j], l);
	return t;
}

int asgd_geomix_pmf_table(const asgd_geomix *m, double eps, double **pmf, size_t *len)
{
	double top = 0, *p;
	size_t j, l, n;

	if (!pmf || !len || asgd_geomix_check(m) || !(eps > 0 && eps < 1))
		return ASGD_EINVAL;
	for (j = 0; j < m->count; j++)	/* every μ_j^L < eps once L ≥ log eps / log μ_j */
		if (m->mu[j] > 0)
			top = fmax(top, ceil(log(eps) / log(m->mu[j])));
	if (!(top < 1e9))
		return ASGD_ENOMEM;
	for (n = 1; n < (size_t)top && !(tail(m, (double)n) < eps); n++)
		;
	p = malloc(n * sizeof(*p));
	if (!p)
		return ASGD_ENOMEM;
	for (l = 0; l < n; l++)
		p[l] = asgd_geomix_pmf(m, l);
	p[n - 1] += tail(m, (double)n);
	*pmf = p;
	*len = n;
	return ASGD_OK;
}

/* The K-component fits' BIC and the components each kept, K = 1..@kmax. */
static void add_fits(cJSON *j, const asgd_geomix *all, size_t kmax)
{
	cJSON *bic = cJSON_AddArrayToObject(j, "bic_per_k");
	cJSON *count = cJSON_AddArrayToObject(j, "count_per_k");

	for (size_t k = 0; k < kmax; k++) {
		cJSON_AddItemToArray(bic, cJSON_CreateNumber(all[k].bic));
		cJSON_AddItemToArray(count, cJSON_CreateNumber((double)all[k].count));
	}
}

int asgd_geomix_is_stall_tail(const asgd_geomix *m, size_t c)
{
	size_t body = 0;

	if (!m || c >= m->count || m->count > ASGD_GEOMIX_MAX)
		return 0;
	for (size_t i = 1; i < m->count; i++)
		if (m->weight[i] > m->weight[body])
			body = i;
	return m->weight[c] < ASGD_GEOMIX_STALL_WEIGHT && m->mu[c] > m->mu[body];
}

/* One component: weight, μ and its mean τ = μ/(1 − μ). */
static cJSON *component_json(const asgd_geomix *m, size_t c)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "weight", m->weight[c]);
	cJSON_AddNumberToObject(e, "mu", m->mu[c]);
	cJSON_AddNumberToObject(e, "mean", m->mu[c] / (1 - m->mu[c]));
	return e;
}

cJSON *asgd_geomix_json(const asgd_geomix *m, const asgd_geomix *all, size_t kmax)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *comp;
	size_t tail = m->count;

	cJSON_AddNumberToObject(j, "count", (double)m->count);
	comp = cJSON_AddArrayToObject(j, "components");
	for (size_t c = 0; c < m->count; c++) {
		cJSON *e = component_json(m, c);

		cJSON_AddBoolToObject(e, "stall_tail", asgd_geomix_is_stall_tail(m, c));
		cJSON_AddItemToArray(comp, e);
		if (asgd_geomix_is_stall_tail(m, c))
			tail = c;	/* sorted by μ: the last is the farthest */
	}
	if (tail < m->count)
		cJSON_AddItemToObject(j, "stall_tail", component_json(m, tail));
	else
		cJSON_AddNullToObject(j, "stall_tail");
	cJSON_AddNumberToObject(j, "mean", asgd_geomix_mean(m));
	cJSON_AddNumberToObject(j, "mu_bar", asgd_geomix_mu_bar(m));
	/* a mixture given on the command line has no likelihood: only a fit reports one */
	if (!all)
		return j;
	cJSON_AddNumberToObject(j, "loglik", m->loglik);
	cJSON_AddNumberToObject(j, "bic", m->bic);
	cJSON_AddNumberToObject(j, "em_iterations", m->iterations);
	cJSON_AddNumberToObject(j, "kmax", (double)kmax);
	add_fits(j, all, kmax);
	return j;
}
