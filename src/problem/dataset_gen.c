/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dataset_gen.c — synthetic datasets: dense linear regression and sparse RCV1-like
 * classification, deterministic in their seed.
 *
 * Row i draws only from the stream (seed, i + 1) and the planted w* from (seed, 0), so a row
 * does not depend on how many rows come before it: "n=1000" is a prefix of "n=2000". A raised
 * stop flag ends a generator with ASGD_EINTR (looked at every ~0.1 ms of rows, stop_internal.h).
 *
 * The rcv1 generator imitates the shape of the real RCV1 (Lewis et al. 2004: 47 236 tf-idf
 * features, ~75 non-zeros a row, rows of unit norm) closely enough to exercise sparse code paths:
 * a row is a "document" whose words are drawn from a Zipf law p_j ∝ 1/(j+1) until it has its k
 * distinct words, so frequent features appear in most rows and rare ones in almost none. The
 * value of word j is log(1 + tf)·idf_j with idf_j = log(1 + 1/p_j), rare words weighing more,
 * and the row is scaled to unit L2 norm. Labels are sign(a·w*) for a w* with about 10% of its
 * entries N(0, 1) and the rest 0, then 5% flipped, so no classifier gets them all.
 */
#include "asgd/dataset.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/rng.h"
#include "asgd/sampler.h"
#include "dataset_internal.h"

/* rcv1: the share of planted features, of flipped labels, and the spread of row lengths. */
#define RCV1_PLANTED 0.1
#define RCV1_FLIP 0.05
#define RCV1_LEN_SIGMA 0.5
/* rcv1: Zipf draws a row may take before its missing words are chosen uniformly. */
#define RCV1_DRAWS(k) (4 * (k) + 1000)
/* The longest spec a generator accepts, and the most parameters one has. */
#define SPEC_MAX 512
#define MAX_PARAMS 4

/* One key=value parameter of a generator. */
struct param {
	const char *key;
	bool real;		/* a double (else an unsigned integer) */
	uint64_t u;
	double x;
	bool seen;
};

struct generator {
	const char *name;
	size_t nparams;
	struct param params[MAX_PARAMS];
};

/* The parameters of every generator, with their defaults. */
static const struct generator generators[] = {
	{ "regression", 4, { { "n", false, 10000, 0, false }, { "d", false, 100, 0, false },
			     { "noise", true, 0, 0.1, false }, { "seed", false, 1, 0, false } } },
	{ "rcv1", 4, { { "n", false, 200000, 0, false }, { "d", false, 47236, 0, false },
		       { "nnz", false, 70, 0, false }, { "seed", false, 1, 0, false } } },
};

static struct param *find_param(struct generator *g, const char *key, size_t len)
{
	for (size_t i = 0; i < g->nparams; i++)
		if (strlen(g->params[i].key) == len && memcmp(g->params[i].key, key, len) == 0)
			return &g->params[i];
	return NULL;
}

static void list_keys(const struct generator *g, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->nparams && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", g->params[i].key);
}

/* One "key=value" item, @item[0..len), into its parameter of @g. */
static int parse_item(struct generator *g, const char *spec, const char *item, size_t len,
		      char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	char value[64], keys[64];
	struct param *p;
	size_t vlen;
	int ok;

	list_keys(g, keys, sizeof(keys));
	if (!eq)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "'%.*s' in '%s' is not key=value (keys: %s)", (int)len, item,
				     spec, keys);
	p = find_param(g, item, (size_t)(eq - item));
	if (!p)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "unknown key '%.*s' in '%s': %s takes %s", (int)(eq - item),
				     item, spec, g->name, keys);
	if (p->seen)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "key %s is given twice in '%s'",
				     p->key, spec);
	vlen = len - (size_t)(eq - item) - 1;
	/* A value too long for the copy is refused whole: cutting it could turn junk into a
	 * number ("0.5000...0junk" would read as 0.5). */
	ok = vlen < sizeof(value);
	if (!ok)
		vlen = sizeof(value) - 1;	/* what the message quotes */
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';
	ok = ok && (p->real ? asgd_parse_double(value, &p->x) == ASGD_OK
			    : asgd_parse_u64(value, &p->u) == ASGD_OK);
	if (!ok)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "%s=%s in '%s' is not %s", p->key, value, spec,
				     p->real ? "a finite decimal number"
					     : "a non-negative integer");
	p->seen = true;
	return ASGD_OK;
}

/* "NAME" or "NAME:k=v,k=v,..." into @g, a copy of NAME's defaults with the values given. */
static int parse_spec(const char *spec, struct generator *g, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *s;
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	const struct generator *found = NULL;

	for (size_t i = 0; i < sizeof(generators) / sizeof(generators[0]); i++)
		if (strlen(generators[i].name) == nlen &&
		    memcmp(generators[i].name, spec, nlen) == 0)
			found = &generators[i];
	if (!found)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "unknown generator '%.*s' in '%s': allowed regression, rcv1",
				     (int)nlen, spec, spec);
	if (strlen(spec) > SPEC_MAX)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "generator spec is too long");
	*g = *found;
	if (!colon || colon[1] == '\0')
		return ASGD_OK;
	for (s = colon + 1;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		int rc = parse_item(g, spec, s, len, err, errlen);

		if (rc)
			return rc;
		if (!comma)
			return ASGD_OK;
		s = comma + 1;
	}
}

/* The shortest %g form of @x that reads back as @x (0.1 prints "0.1", not 0.1000...01). */
static void shortest_double(double x, char *buf, size_t len)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* The canonical spec: every key spelled out, in the generator's order. */
static void canonical_spec(const struct generator *g, char *buf, size_t len)
{
	size_t k = (size_t)snprintf(buf, len, "%s:", g->name);

	for (size_t i = 0; i < g->nparams && k < len; i++) {
		const struct param *p = &g->params[i];
		char num[32];

		if (p->real)
			shortest_double(p->x, num, sizeof(num));
		else
			snprintf(num, sizeof(num), "%" PRIu64, p->u);
		k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", i ? "," : "", p->key, num);
	}
}

/* y = a·w* + noise·ε with a, ε ~ N(0, 1) and w* ~ N(0, I/d). */
static int gen_regression(const struct generator *g, size_t min_features,
			  const atomic_int *stop, asgd_dataset **out, char *err, size_t errlen)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);
	const uint64_t n = g->params[0].u, d = g->params[1].u, seed = g->params[3].u;
	const double noise = g->params[2].x;
	asgd__ds_builder b;
	char spec[SPEC_MAX];
	double *w;
	asgd_rng r;
	int rc;

	if (n < 1 || d < 1 || d > UINT32_MAX || !(noise >= 0))
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "regression needs n >= 1, 1 <= d <= %" PRIu32
				     " and noise >= 0 (got n=%" PRIu64 ", d=%" PRIu64 ", noise=%g)",
				     UINT32_MAX, n, d, noise);
	if (n > SIZE_MAX / 16 / d)
		return asgd__ds_fail(err, errlen, ASGD_ENOMEM, "regression with n=%" PRIu64
				     " and d=%" PRIu64 " has too many entries", n, d);
	w = malloc(d * sizeof(*w));
	if (!w)
		return ASGD_ENOMEM;
	asgd_rng_init(&r, seed, 0);
	for (uint64_t j = 0; j < d; j++)
		w[j] = asgd_rng_normal(&r) / sqrt((double)d);
	rc = asgd__ds_builder_init(&b, n, n * d);
	for (uint64_t i = 0; i < n && rc == ASGD_OK; i++) {
		double y = 0;

		asgd_rng_init(&r, seed, i + 1);
		for (uint64_t j = 0; j < d && rc == ASGD_OK; j++) {
			double a = asgd_rng_normal(&r);

			y += a * w[j];
			rc = asgd__ds_push(&b, (uint32_t)j, a);
		}
		if (rc == ASGD_OK)
			rc = asgd__ds_end_row(&b, y + noise * asgd_rng_normal(&r));
		if (rc == ASGD_OK && asgd__stop_after(&poll, 16 * d))	/* a normal: ~16 units */
			rc = ASGD_EINTR;
	}
	free(w);
	canonical_spec(g, spec, sizeof(spec));
	if (rc == ASGD_OK)
		rc = asgd__ds_finish(&b, d > min_features ? d : min_features, spec, out, stop);
	asgd__ds_builder_free(&b);
	return rc == ASGD_EINTR ? asgd__ds_interrupted(err, errlen) : rc;
}

/* What the rcv1 generator shares between rows. */
struct rcv1 {
	uint64_t d, nnz;
	asgd_alias zipf;	/* p_j ∝ 1/(j+1) */
	double *idf;		/* log(1 + 1/p_j) */
	double *w;		/* the planted w*: ~10% N(0, 1), the rest 0 */
	uint32_t *slot;		/* d: 1 + the word's index in the row being drawn, 0 if absent */
	uint32_t *word;		/* the row's distinct words, then sorted */
	uint32_t *tf;		/* their counts, by draw order */
	double *val;		/* the row's values, in sorted order */
	size_t cap;		/* of word, tf and val */
};

static void rcv1_free(struct rcv1 *g)
{
	asgd_alias_free(&g->zipf);
	free(g->idf);
	free(g->w);
	free(g->slot);
	free(g->word);
	free(g->tf);
	free(g->val);
}

static int rcv1_init(struct rcv1 *g, uint64_t d, uint64_t nnz, uint64_t seed,
		     const atomic_int *stop)
{
	double *pmf = malloc(d * sizeof(*pmf)), h = 0;
	asgd_rng r;
	int rc;

	memset(g, 0, sizeof(*g));
	g->d = d;
	g->nnz = nnz;
	g->idf = malloc(d * sizeof(*g->idf));
	g->w = malloc(d * sizeof(*g->w));
	g->slot = calloc(d, sizeof(*g->slot));
	if (!pmf || !g->idf || !g->w || !g->slot) {
		free(pmf);
		return ASGD_ENOMEM;
	}
	/* Each pass is O(d), ~0.1–0.4 s at the largest d (2^24): the flag is looked at within. */
	for (uint64_t j = 0; j < d; j++) {
		pmf[j] = 1.0 / (double)(j + 1);
		h += pmf[j];
	}
	for (uint64_t j = 0; j < d; j++) {
		g->idf[j] = log1p(h * (double)(j + 1));	/* log(1 + 1/p_j) */
		if ((j & 0xffff) == 0xffff && asgd__stop_raised(stop)) {
			free(pmf);
			return ASGD_EINTR;
		}
	}
	rc = asgd_alias_init_stop(&g->zipf, pmf, d, stop);
	free(pmf);
	if (rc)
		return rc;
	asgd_rng_init(&r, seed, 0);
	for (uint64_t j = 0; j < d; j++) {
		g->w[j] = asgd_rng_uniform(&r) < RCV1_PLANTED ? asgd_rng_normal(&r) : 0.0;
		if ((j & 0xffff) == 0xffff && asgd__stop_raised(stop))
			return ASGD_EINTR;
	}
	return rc;
}

static int rcv1_reserve(struct rcv1 *g, size_t k)
{
	uint32_t *word, *tf;
	double *val;

	if (k <= g->cap)
		return ASGD_OK;
	word = realloc(g->word, k * sizeof(*word));
	if (word)
		g->word = word;
	tf = realloc(g->tf, k * sizeof(*tf));
	if (tf)
		g->tf = tf;
	val = realloc(g->val, k * sizeof(*val));
	if (val)
		g->val = val;
	if (!word || !tf || !val)
		return ASGD_ENOMEM;
	g->cap = k;
	return ASGD_OK;
}

/* A row's number of distinct words: nnz·exp(σZ − σ²/2) (mean nnz), rounded at random, in [1, d]. */
static size_t rcv1_row_length(const struct rcv1 *g, asgd_rng *r)
{
	double x = (double)g->nnz *
		   exp(RCV1_LEN_SIGMA * asgd_rng_normal(r) - 0.5 * RCV1_LEN_SIGMA * RCV1_LEN_SIGMA);
	double k = floor(x + asgd_rng_uniform(r));

	if (k < 1)
		return 1;
	return k > (double)g->d ? (size_t)g->d : (size_t)k;
}

/*
 * Complete a row that the Zipf draws did not fill in their budget (only when k is a sizeable
 * share of d): the missing words are drawn uniformly from those not yet in the row, once each.
 */
static int rcv1_fill_uniform(struct rcv1 *g, asgd_rng *r, size_t m, size_t k)
{
	uint32_t *rest = malloc((size_t)(g->d - m) * sizeof(*rest));
	size_t nrest = 0;

	if (!rest)
		return ASGD_ENOMEM;
	for (uint64_t j = 0; j < g->d; j++)
		if (!g->slot[j])
			rest[nrest++] = (uint32_t)j;
	for (; m < k; m++) {
		size_t pick = (size_t)asgd_rng_below(r, nrest);
		uint32_t j = rest[pick];

		rest[pick] = rest[--nrest];
		g->word[m] = j;
		g->tf[m] = 1;
		g->slot[j] = (uint32_t)m + 1;
	}
	free(rest);
	return ASGD_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Draw row @i into the builder; its work counts on @poll (ASGD_EINTR when the flag is up). */
static int rcv1_row(struct rcv1 *g, uint64_t seed, uint64_t i, asgd__ds_builder *b,
		    asgd__stop_poll *poll)
{
	asgd_rng r;
	size_t k, m = 0, draws = 0;
	double norm2 = 0, score = 0, label;
	int rc;

	asgd_rng_init(&r, seed, i + 1);
	k = rcv1_row_length(g, &r);
	rc = rcv1_reserve(g, k);
	if (rc)
		return rc;
	for (; m < k && draws < RCV1_DRAWS(k); draws++) {
		uint32_t j = (uint32_t)asgd_alias_sample(&g->zipf, &r);

		if (g->slot[j]) {
			g->tf[g->slot[j] - 1]++;
			continue;
		}
		g->word[m] = j;
		g->tf[m] = 1;
		g->slot[j] = (uint32_t)++m;
	}
	if (m < k && (rc = rcv1_fill_uniform(g, &r, m, k)))
		return rc;
	/* ~200 ns an entry (alias draws, sorting, logarithms), and O(d) to fill uniformly */
	if (asgd__stop_after(poll, 64 * k + (m < k ? g->d : 0)))
		return ASGD_EINTR;
	qsort(g->word, k, sizeof(*g->word), cmp_u32);
	for (size_t t = 0; t < k; t++) {
		uint32_t j = g->word[t];

		g->val[t] = log1p((double)g->tf[g->slot[j] - 1]) * g->idf[j];
		norm2 += g->val[t] * g->val[t];
		score += g->val[t] * g->w[j];
		g->slot[j] = 0;
	}
	rc = asgd__ds_reserve(b, k);
	for (size_t t = 0; t < k && rc == ASGD_OK; t++)
		rc = asgd__ds_push(b, g->word[t], g->val[t] / sqrt(norm2)); /* tf, idf > 0 */
	/* A row that meets no planted feature carries no signal: its label is a coin. */
	label = score > 0 ? 1 : score < 0 ? -1 : (asgd_rng_uniform(&r) < 0.5 ? 1 : -1);
	if (asgd_rng_uniform(&r) < RCV1_FLIP)
		label = -label;
	return rc ? rc : asgd__ds_end_row(b, label);
}

static int gen_rcv1(const struct generator *spec, size_t min_features, const atomic_int *stop,
		    asgd_dataset **out, char *err, size_t errlen)
{
	asgd__stop_poll poll = asgd__stop_poll_init(stop);
	const uint64_t n = spec->params[0].u, d = spec->params[1].u, nnz = spec->params[2].u;
	const uint64_t seed = spec->params[3].u;
	const uint64_t dmax = (uint64_t)1 << ASGD_ALIAS_MAX_BITS;
	asgd__ds_builder b;
	struct rcv1 g;
	char canon[SPEC_MAX];
	int rc;

	if (n < 1 || d < 1 || d > dmax || nnz < 1 || nnz > d)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL,
				     "rcv1 needs n >= 1, 1 <= d <= %" PRIu64 " and 1 <= nnz <= d "
				     "(got n=%" PRIu64 ", d=%" PRIu64 ", nnz=%" PRIu64 ")",
				     dmax, n, d, nnz);
	if (n > SIZE_MAX / 32 / nnz)
		return asgd__ds_fail(err, errlen, ASGD_ENOMEM, "rcv1 with n=%" PRIu64
				     " and nnz=%" PRIu64 " has too many entries", n, nnz);
	rc = rcv1_init(&g, d, nnz, seed, stop);
	if (rc == ASGD_OK)
		rc = asgd__ds_builder_init(&b, n, n * nnz + n * nnz / 8);
	else
		memset(&b, 0, sizeof(b));
	for (uint64_t i = 0; i < n && rc == ASGD_OK; i++)
		rc = rcv1_row(&g, seed, i, &b, &poll);
	rcv1_free(&g);
	canonical_spec(spec, canon, sizeof(canon));
	if (rc == ASGD_OK)
		rc = asgd__ds_finish(&b, d > min_features ? d : min_features, canon, out, stop);
	asgd__ds_builder_free(&b);
	return rc == ASGD_EINTR ? asgd__ds_interrupted(err, errlen) : rc;
}

int asgd__ds_generate(const char *spec, size_t min_features, const atomic_int *stop,
		      asgd_dataset **out, char *err, size_t errlen)
{
	struct generator g;
	int rc;

	if (!spec || !out)
		return asgd__ds_fail(err, errlen, ASGD_EINVAL, "no generator spec given");
	rc = parse_spec(spec, &g, err, errlen);
	if (rc)
		return rc;
	return strcmp(g.name, "rcv1") == 0
		       ? gen_rcv1(&g, min_features, stop, out, err, errlen)
		       : gen_regression(&g, min_features, stop, out, err, errlen);
}

int asgd_dataset_generate(const char *spec, asgd_dataset **out, char *err, size_t errlen)
{
	return asgd__ds_generate(spec, 0, NULL, out, err, errlen);
}
