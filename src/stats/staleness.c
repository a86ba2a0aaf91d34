/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * staleness.c — how stale the gradients were, and whether the paper's geometric law fits.
 *
 * Everything but the lag-1 and per-worker statistics is computed from the histogram at summary
 * time, so a histogram added with asgd_staleness_add_count gives exactly (bit for bit) the same
 * summary as the same samples added in order. The lag-1 pairs are kept as centred sums per run
 * and merged (Chan, Golub and LeVeque's pairwise update), so long runs of large τ lose no precision
 * to cancellation.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "asgd/error.h"
#include "json_internal.h"
#include "asgd/parse.h"
#include "asgd/report.h"
#include "asgd/staleness.h"
#include "core/stop_internal.h"

/* Two-sided 95% normal quantile, Φ⁻¹(0.975). */
#define Z95 1.959963984540054

/* The chi-square rule of thumb: every bin expects at least this many samples. */
#define CHI2_MIN_EXPECTED 5.0

int asgd_staleness_init(asgd_staleness *s, unsigned workers)
{
	asgd_staleness t = { 0 };

	if (!s)
		return ASGD_EINVAL;
	t.workers = workers;
	if (workers) {
		t.worker_count = calloc(workers, sizeof(*t.worker_count));
		t.worker_sum = calloc(workers, sizeof(*t.worker_sum));
		if (!t.worker_count || !t.worker_sum) {
			free(t.worker_count);
			free(t.worker_sum);
			return ASGD_ENOMEM;
		}
	}
	*s = t;
	return ASGD_OK;
}

void asgd_staleness_free(asgd_staleness *s)
{
	if (!s)
		return;
	free(s->hist);
	free(s->worker_count);
	free(s->worker_sum);
	*s = (asgd_staleness){ 0 };
}

/* Make room for levels 0..len−1 (new counters zeroed); the only step that can fail, so callers
 * do it before changing anything. */
static int reserve(asgd_staleness *s, size_t len)
{
	size_t cap;
	uint64_t *h;

	if (len <= s->hist_cap)
		return ASGD_OK;
	cap = s->hist_cap ? s->hist_cap : 64;
	while (cap < len)
		cap *= 2;
	h = realloc(s->hist, cap * sizeof(*h));
	if (!h)
		return ASGD_ENOMEM;
	memset(h + s->hist_cap, 0, (cap - s->hist_cap) * sizeof(*h));
	s->hist = h;
	s->hist_cap = cap;
	return ASGD_OK;
}

/* Merge a block of m pairs with the given means and centred sums into the pooled pairs. */
static void merge_pairs(asgd_staleness *s, uint64_t m, double mx, double my, double sxx,
			double syy, double sxy)
{
	double na = (double)s->pairs, nb = (double)m, n = na + nb;
	double dx = mx - s->pair_mean_x, dy = my - s->pair_mean_y;
	double w = na * nb / n;

	s->pair_mean_x += dx * nb / n;
	s->pair_mean_y += dy * nb / n;
	s->pair_sxx += sxx + dx * dx * w;
	s->pair_syy += syy + dy * dy * w;
	s->pair_sxy += sxy + dx * dy * w;
	s->pairs += m;
}

/* The run's total for the between-run variance of τ̄ (batch means, one batch per run). */
static void add_run_sum(asgd_staleness *s, const uint64_t *tau, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)tau[i];
	s->runs++;
	s->run_samples += n;
	s->run_s2 += sum * sum;
	s->run_ns += (double)n * sum;
	s->run_n2 += (double)n * (double)n;
}

static void add_run_lag1(asgd_staleness *s, double r)
{
	s->lag1_runs++;
	s->lag1_run_sum += r;
	s->lag1_run_sumsq += r * r;
}

int asgd_staleness_add_run(asgd_staleness *s, const uint64_t *tau, const uint32_t *worker,
			   size_t n)
{
	uint64_t max = 0;
	int err;

	if (!s || (n && !tau))
		return ASGD_EINVAL;
	if (!n)
		return ASGD_OK;
	if ((uint64_t)n > UINT64_MAX - s->count)
		return ASGD_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (tau[i] > ASGD_STALENESS_TAU_MAX)
			return ASGD_EINVAL;
		if (tau[i] > max)
			max = tau[i];
		if (worker && worker[i] >= s->workers)
			return ASGD_EINVAL;
	}
	err = reserve(s, (size_t)max + 1);
	if (err)
		return err;

	for (size_t i = 0; i < n; i++)
		s->hist[tau[i]]++;
	s->count += n;
	if ((size_t)max + 1 > s->hist_len)
		s->hist_len = (size_t)max + 1;
	if (worker) {
		for (size_t i = 0; i < n; i++) {
			s->worker_count[worker[i]]++;
			s->worker_sum[worker[i]] += (double)tau[i];
		}
	}

	if (n >= 2) {
		/* Two passes over this run's pairs (means, then centred sums), then one merge. */
		size_t m = n - 1;
		double sx = 0, sy = 0, mx, my, sxx = 0, syy = 0, sxy = 0;

		for (size_t i = 0; i < m; i++) {
			sx += (double)tau[i];
			sy += (double)tau[i + 1];
		}
		mx = sx / (double)m;
		my = sy / (double)m;
		for (size_t i = 0; i < m; i++) {
			double dx = (double)tau[i] - mx, dy = (double)tau[i + 1] - my;

			sxx += dx * dx;
			syy += dy * dy;
			sxy += dx * dy;
		}
		merge_pairs(s, m, mx, my, sxx, syy, sxy);
		if (sxx > 0 && syy > 0)
			add_run_lag1(s, sxy / sqrt(sxx * syy));
	}
	add_run_sum(s, tau, n);
	return ASGD_OK;
}

int asgd_staleness_add_count(asgd_staleness *s, uint64_t l, uint64_t count)
{
	int err;

	if (!s || l > ASGD_STALENESS_TAU_MAX || count > UINT64_MAX - (s ? s->count : 0))
		return ASGD_EINVAL;
	if (!count)
		return ASGD_OK;
	err = reserve(s, (size_t)l + 1);
	if (err)
		return err;
	s->hist[l] += count;
	s->count += count;
	if ((size_t)l + 1 > s->hist_len)
		s->hist_len = (size_t)l + 1;
	return ASGD_OK;
}

double asgd_geometric_pmf(double mu, uint64_t l)
{
	if (!(mu >= 0.0 && mu < 1.0))
		return NAN;
	return (1.0 - mu) * pow(mu, (double)l);
}

/*
 * Pearson's chi-square against Geometric(mu) with n·q·μ^l expected at level l (q = 1 − μ, passed
 * separately because 1/(1 + τ̄) is more accurate than 1 − μ̂ when μ̂ is near 1). Bins close when
 * they expect ≥ 5 and so does the tail after them; the last bin is the tail. The loop runs
 * to the level where the tail expects < 5, about τ̄·log(n/5) levels; beyond the largest τ the
 * observed counts are zero.
 */
static void chi_square(const asgd_staleness *s, double mu, double q, double *stat_out,
		       unsigned *bins_out)
{
	const double n = (double)s->count;
	double tail = n; /* expected count of τ ≥ l */
	double cur_o = 0, cur_e = 0, seen = 0, stat = 0;
	unsigned bins = 0;

	for (size_t l = 0;; l++) {
		double e = tail * q;

		cur_e += e;
		cur_o += l < s->hist_len ? (double)s->hist[l] : 0.0;
		tail *= mu;
		if (tail < CHI2_MIN_EXPECTED)
			break;
		if (cur_e >= CHI2_MIN_EXPECTED) {
			stat += (cur_o - cur_e) * (cur_o - cur_e) / cur_e;
			seen += cur_o;
			bins++;
			cur_o = cur_e = 0;
		}
	}
	/* The last bin: everything from its first level on, observed and expected. */
	cur_e += tail;
	cur_o = n - seen;
	stat += (cur_o - cur_e) * (cur_o - cur_e) / cur_e;
	bins++;
	*stat_out = stat;
	*bins_out = bins;
}

/*
 * The intervals over runs (the runs are independent however τ is correlated within one): μ̂'s
 * from the ratio estimator's variance of τ̄, lag-1's from the spread of the runs' own values.
 * Needs r->mean, r->mu_hat and r->count.
 */
static void between_runs(const asgd_staleness *s, asgd_staleness_summary *r)
{
	double R = (double)s->runs, n = (double)r->count, m = r->mean, ss, se, q, half;

	r->runs = s->runs;
	r->mu_ci95_runs[0] = r->mu_ci95_runs[1] = NAN;
	/* only when every sample came from a run: a histogram has no runs to spread over */
	if (s->runs >= 2 && s->run_samples == r->count) {
		ss = fmax(0, s->run_s2 - 2 * m * s->run_ns + m * m * s->run_n2);
		se = sqrt(R / (R - 1) * ss) / n;
		q = 1 - r->mu_hat;
		half = Z95 * se * q * q;
		r->mu_ci95_runs[0] = fmax(0.0, r->mu_hat - half);
		r->mu_ci95_runs[1] = fmin(1.0, r->mu_hat + half);
	}
	r->lag1_iid_half = s->pairs ? Z95 / sqrt((double)s->pairs) : NAN;
	r->lag1_runs_mean = s->lag1_runs ? s->lag1_run_sum / (double)s->lag1_runs : NAN;
	r->lag1_ci95_runs[0] = r->lag1_ci95_runs[1] = NAN;
	if (s->lag1_runs >= 2) {
		double k = (double)s->lag1_runs, mean = r->lag1_runs_mean;
		double var = fmax(0, (s->lag1_run_sumsq - k * mean * mean) / (k - 1));

		half = Z95 * sqrt(var / k);
		r->lag1_ci95_runs[0] = mean - half;
		r->lag1_ci95_runs[1] = mean + half;
	}
}

int asgd_staleness_summarize(const asgd_staleness *s, asgd_staleness_summary *out)
{
	asgd_staleness_summary r = { 0 };
	long double sum = 0, ss = 0;
	double n, q, mu, half, tv, pw;
	unsigned bins;

	if (!s || !out || !s->count)
		return ASGD_EINVAL;

	r.count = s->count;
	r.max = s->hist_len - 1;
	r.pmf_len = s->hist_len;
	r.pmf = malloc(r.pmf_len * sizeof(*r.pmf));
	if (!r.pmf)
		goto nomem;
	r.workers = s->workers;
	if (s->workers) {
		r.worker_count = malloc(s->workers * sizeof(*r.worker_count));
		r.worker_mean = malloc(s->workers * sizeof(*r.worker_mean));
		if (!r.worker_count || !r.worker_mean)
			goto nomem;
		for (unsigned w = 0; w < s->workers; w++) {
			r.worker_count[w] = s->worker_count[w];
			r.worker_mean[w] = s->worker_count[w]
						   ? s->worker_sum[w] / (double)s->worker_count[w]
						   : NAN;
		}
	}

	/* Two passes over the histogram: the mean, then the centred second moment. */
	n = (double)s->count;
	for (size_t l = 0; l < s->hist_len; l++)
		sum += (long double)l * s->hist[l];
	r.mean = (double)(sum / n);
	for (size_t l = 0; l < s->hist_len; l++) {
		long double d = (long double)l - r.mean;

		ss += d * d * s->hist[l];
	}
	r.var = s->count > 1 ? (double)(ss / (n - 1)) : 0.0;

	/* The geometric MLE: the log-likelihood n·log(1−μ) + Σl·log μ peaks at μ = τ̄/(1 + τ̄). */
	q = 1.0 / (1.0 + r.mean);
	mu = r.mean * q;
	half = Z95 * sqrt(mu * q * q / n); /* 1/√(n·I(μ)), I(μ) = 1/(μ(1−μ)²) */
	r.mu_hat = mu;
	r.mu_ci95[0] = fmax(0.0, mu - half);
	r.mu_ci95[1] = fmin(1.0, mu + half);
	r.mu_queueing = s->workers ? 1.0 - 1.0 / s->workers : NAN;

	chi_square(s, mu, q, &r.chi2_stat, &bins);
	if (bins >= 3) {
		r.chi2_df = bins - 2;
		r.chi2_p = gsl_cdf_chisq_Q(r.chi2_stat, r.chi2_df);
	} else {
		r.chi2_df = 0;
		r.chi2_p = NAN;
	}

	tv = 0;
	pw = 1.0; /* μ^l */
	for (size_t l = 0; l < s->hist_len; l++) {
		r.pmf[l] = (double)s->hist[l] / n;
		tv += fabs(r.pmf[l] - q * pw);
		pw *= mu;
	}
	r.tv_distance = 0.5 * (tv + pw); /* pw is now μ^(max+1), the model's mass beyond max */

	if (s->pairs && s->pair_sxx > 0 && s->pair_syy > 0)
		r.lag1_autocorr = s->pair_sxy / sqrt(s->pair_sxx * s->pair_syy);
	else
		r.lag1_autocorr = NAN;
	between_runs(s, &r);

	*out = r;
	return ASGD_OK;

nomem:
	asgd_staleness_summary_free(&r);
	return ASGD_ENOMEM;
}

void asgd_staleness_summary_free(asgd_staleness_summary *sum)
{
	if (!sum)
		return;
	free(sum->pmf);
	free(sum->worker_count);
	free(sum->worker_mean);
	*sum = (asgd_staleness_summary){ 0 };
}

/* JSON has no NaN: a quantity that does not exist is null. */
bool asgd__json_num(cJSON *obj, const char *name, double v)
{
	cJSON *item = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();

	if (!item)
		return false;
	if (!cJSON_AddItemToObject(obj, name, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

bool asgd__json_item(cJSON *obj, const char *name, cJSON *arr)
{
	if (!arr)
		return false;
	if (!cJSON_AddItemToObject(obj, name, arr)) {
		cJSON_Delete(arr);
		return false;
	}
	return true;
}

cJSON *asgd_staleness_summary_json(const asgd_staleness_summary *sum)
{
	cJSON *o, *a;
	bool ok;

	if (!sum || sum->pmf_len > (size_t)INT32_MAX)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ok = asgd__json_num(o, "count", (double)sum->count) && asgd__json_num(o, "mean", sum->mean) &&
	     asgd__json_num(o, "var", sum->var) && asgd__json_num(o, "mu_hat", sum->mu_hat) &&
	     asgd__json_item(o, "mu_ci95", cJSON_CreateDoubleArray(sum->mu_ci95, 2)) &&
	     asgd__json_num(o, "mu_queueing", sum->mu_queueing) &&
	     asgd__json_num(o, "chi2_stat", sum->chi2_stat) && asgd__json_num(o, "chi2_df", sum->chi2_df) &&
	     asgd__json_num(o, "chi2_p", sum->chi2_p) && asgd__json_num(o, "tv_distance", sum->tv_distance) &&
	     asgd__json_num(o, "lag1_autocorr", sum->lag1_autocorr) &&
	     asgd__json_item(o, "mu_ci95_runs", cJSON_CreateDoubleArray(sum->mu_ci95_runs, 2)) &&
	     asgd__json_num(o, "runs", (double)sum->runs) &&
	     asgd__json_num(o, "lag1_runs_mean", sum->lag1_runs_mean) &&
	     asgd__json_item(o, "lag1_ci95_runs", cJSON_CreateDoubleArray(sum->lag1_ci95_runs, 2)) &&
	     asgd__json_num(o, "lag1_iid_half95", sum->lag1_iid_half) &&
	     asgd__json_num(o, "max", (double)sum->max) &&
	     asgd__json_item(o, "pmf", cJSON_CreateDoubleArray(sum->pmf, (int)sum->pmf_len));
	if (ok && sum->workers) {
		a = cJSON_CreateArray();
		ok = asgd__json_item(o, "workers", a);
		for (unsigned w = 0; ok && w < sum->workers; w++) {
			cJSON *wo = cJSON_CreateObject();

			ok = wo && cJSON_AddItemToArray(a, wo);
			if (!ok) {
				cJSON_Delete(wo);
				break;
			}
			ok = asgd__json_num(wo, "worker", w) &&
			     asgd__json_num(wo, "count", (double)sum->worker_count[w]) &&
			     asgd__json_num(wo, "mean", sum->worker_mean[w]);
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* ---- reading staleness files ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A non-negative decimal integer filling [b, e) but for blanks around it: digits only, so "-1",
 * "+1", "1.5", "1e3" and "0x10" are all rejected rather than half-read.
 */
static bool parse_u64_field(const char *b, const char *e, uint64_t *out)
{
	uint64_t v = 0;

	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	if (b == e)
		return false;
	for (; b < e; b++) {
		unsigned d = (unsigned char)*b - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* The offending text for an error message, cut short so that a binary file gives one line. */
static const char *shown(const char *line, char *buf, size_t len)
{
	return asgd_quote(line, strlen(line), len - 8, buf, len);
}

struct tau_vec {
	uint64_t *v;
	size_t n, cap;
};

static int tau_push(struct tau_vec *t, uint64_t x)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		uint64_t *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return ASGD_ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = x;
	return ASGD_OK;
}

/* Add a histogram accumulator (no pairs, no workers) to s; all or nothing. */
static int merge_hist(asgd_staleness *s, const asgd_staleness *h)
{
	int err;

	if (h->count > UINT64_MAX - s->count)
		return ASGD_EINVAL;
	err = reserve(s, h->hist_len);
	if (err)
		return err;
	for (size_t l = 0; l < h->hist_len; l++)
		s->hist[l] += h->hist[l];
	s->count += h->count;
	if (h->hist_len > s->hist_len)
		s->hist_len = h->hist_len;
	return ASGD_OK;
}

/* FMT_TABLE: `asgd run`'s staleness.csv, "l,count,pmf,geometric_pmf": l and count are used. */
enum file_format { FMT_UNKNOWN, FMT_SAMPLE, FMT_HIST, FMT_TABLE };

/*
 * One data line [p, end) of a file of the given format: τ = *l with *count = 1 for a sample,
 * (l, count) for a histogram. Returns NULL, or what was expected, for the error message.
 */
static const char *parse_data_line(enum file_format fmt, const char *p, const char *end,
				   uint64_t *l, uint64_t *count)
{
	static const char max_tau[] = "a staleness <= 16777216";
	const char *comma;

	_Static_assert(ASGD_STALENESS_TAU_MAX == 16777216, "max_tau names the limit");
	if (fmt == FMT_SAMPLE) {
		if (!parse_u64_field(p, end, l))
			return "a non-negative integer staleness";
		*count = 1;
	} else {
		const char *count_end;

		comma = strchr(p, ',');
		count_end = comma ? strchr(comma + 1, ',') : NULL;
		if (fmt == FMT_HIST ? count_end != NULL : count_end == NULL)
			return fmt == FMT_HIST ? "'l,count' with non-negative integers"
					       : "'l,count,...' with non-negative integers";
		if (!comma || !parse_u64_field(p, comma, l) ||
		    !parse_u64_field(comma + 1, count_end ? count_end : end, count))
			return "'l,count' with non-negative integers";
	}
	return *l > ASGD_STALENESS_TAU_MAX ? max_tau : NULL;
}

int asgd_staleness_read_file(asgd_staleness *s, const char *path, char *err, size_t errlen)
{
	return asgd_staleness_read_file_stop(s, path, NULL, err, errlen);
}

int asgd_staleness_read_file_stop(asgd_staleness *s, const char *path, const atomic_int *stop,
				  char *err, size_t errlen)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);
	enum file_format fmt = FMT_UNKNOWN;
	struct tau_vec taus = { 0 };
	asgd_staleness hist = { 0 }; /* histogram lines, merged into s only at the end */
	char *line = NULL, buf[64];
	const char *expected;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	uint64_t l, count;
	FILE *f;
	int rc = ASGD_OK;

	if (!s || !path)
		return ASGD_EINVAL;
	f = fopen(path, "r");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return ASGD_EIO;
	}

	errno = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		char *p = line, *end = line + len;

		lineno++;
		if (asgd__stop_after(&poll, (uint64_t)len + 16)) {
			set_err(err, errlen, "%s: interrupted", path);
			rc = ASGD_EINTR;
			goto out;
		}
		if (memchr(line, '\0', (size_t)len)) {
			set_err(err, errlen, "%s:%lu: expected text, got a NUL byte", path, lineno);
			rc = ASGD_EPARSE;
			goto out;
		}
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' || is_blank(end[-1])))
			end--;
		*end = '\0';
		while (is_blank(*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (fmt == FMT_UNKNOWN) {
			fmt = strchr(p, ',') ? FMT_HIST : FMT_SAMPLE;
			if (isalpha((unsigned char)*p)) {
				/* a header such as "l,count" or "tau"; more columns: a table */
				if (fmt == FMT_HIST && strchr(strchr(p, ',') + 1, ','))
					fmt = FMT_TABLE;
				continue;
			}
		}

		expected = parse_data_line(fmt, p, end, &l, &count);
		if (expected) {
			set_err(err, errlen, "%s:%lu: expected %s, got '%s'", path, lineno,
				expected, shown(p, buf, sizeof(buf)));
			rc = ASGD_EPARSE;
			goto out;
		}
		if (fmt == FMT_SAMPLE) {
			rc = tau_push(&taus, l);
		} else {
			rc = asgd_staleness_add_count(&hist, l, count);
			if (rc == ASGD_EINVAL) {
				set_err(err, errlen,
					"%s:%lu: expected a total count below 2^64, got '%s'", path,
					lineno, shown(p, buf, sizeof(buf)));
				rc = ASGD_EPARSE;
			}
		}
		if (rc)
			goto out;
		errno = 0;
	}
	if (ferror(f)) {
		set_err(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		rc = ASGD_EIO;
		goto out;
	}

	if (taus.n == 0 && hist.count == 0) {
		set_err(err, errlen, "%s: no staleness samples", path);
		rc = ASGD_EPARSE;
		goto out;
	}
	if (fmt == FMT_SAMPLE)
		rc = asgd_staleness_add_run(s, taus.v, NULL, taus.n);
	else
		rc = merge_hist(s, &hist);
	if (rc == ASGD_EINVAL)
		set_err(err, errlen, "%s: too many samples (the count would pass 2^64)", path);

out:
	if (rc == ASGD_ENOMEM)
		set_err(err, errlen, "%s: %s", path, asgd_strerror(rc));
	free(line);
	free(taus.v);
	asgd_staleness_free(&hist);
	fclose(f);
	return rc;
}

int asgd_staleness_write_csv(const char *path, const asgd_staleness_summary *s)
{
	asgd_atomic_file af;
	int rc;

	if (!path || !s)
		return ASGD_EINVAL;
	rc = asgd_atomic_open(&af, path);
	if (rc != ASGD_OK)
		return rc;
	fprintf(af.fp, "l,count,pmf,geometric_pmf\n");
	for (size_t l = 0; l < s->pmf_len; l++)
		fprintf(af.fp, "%zu,%.0f,%.10g,%.10g\n", l, s->pmf[l] * (double)s->count, s->pmf[l],
			asgd_geometric_pmf(s->mu_hat, l));
	return asgd_atomic_commit(&af);
}
