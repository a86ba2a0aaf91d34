/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sampler.c — Walker/Vose alias tables and the exact geometric table built on them.
 *
 * Vose's construction in doubles: scale the pmf to mean 1 over the T cells, then repeatedly let a
 * cell below 1 ("small") keep its share and borrow the rest from a cell above 1 ("large"). The
 * share is finally rounded to an integer threshold of 64 − t bits. Cells that end with share 1
 * (rounding leftovers included) alias themselves, so the threshold never needs a 65th bit.
 */
#include "asgd/sampler.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "asgd/error.h"
#include "core/stop_internal.h"

static unsigned bits_for(size_t len)
{
	unsigned t = 1;

	while (((size_t)1 << t) < len)
		t++;
	return t;
}

/* Every STOP_MASK + 1 cells, a look at the stop flag. */
#define STOP_MASK 0xffffu

static bool stopped_at(size_t i, const atomic_int *stop)
{
	return (i & STOP_MASK) == STOP_MASK && asgd__stop_raised(stop);
}

/* Normalised, scaled shares q[i] = T·p[i]; returns ASGD_EINVAL for bad weights. */
static int scaled_shares(const double *pmf, size_t len, size_t cells, double *q,
			 const atomic_int *stop)
{
	double sum = 0;

	for (size_t i = 0; i < len; i++) {
		if (!(pmf[i] >= 0) || !isfinite(pmf[i]))
			return ASGD_EINVAL;
		sum += pmf[i];
		if (stopped_at(i, stop))
			return ASGD_EINTR;
	}
	if (!(sum > 0) || !isfinite(sum))
		return ASGD_EINVAL;
	for (size_t i = 0; i < cells; i++)
		q[i] = i < len ? pmf[i] / sum * (double)cells : 0.0;
	return ASGD_OK;
}

/* Pack share @q (in [0, 1]) of cell @i with alias @alias into one word. */
static uint64_t pack(unsigned t, uint64_t i, double q, uint64_t alias)
{
	const double scale = ldexp(1.0, 64 - (int)t);
	double thr = floor(q * scale + 0.5);

	if (thr >= scale || alias == i)
		return i;	/* share 1: alias itself, any threshold */
	return ((uint64_t)thr << t) | alias;
}

/* Vose's pairing of small and large cells; @q is consumed, @a->cell filled. */
static int vose(asgd_alias *a, double *q, size_t cells, size_t *small, size_t *large,
		const double *pmf, const atomic_int *stop)
{
	size_t ns = 0, nl = 0, any_positive = 0, pairs = 0;

	for (size_t i = 0; i < cells; i++) {
		if (q[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
		if (i < a->len && pmf[i] > 0)
			any_positive = i;
	}
	while (ns > 0 && nl > 0) {
		size_t s = small[--ns], l = large[nl - 1];

		if (stopped_at(pairs++, stop))
			return ASGD_EINTR;
		a->cell[s] = pack(a->bits, s, q[s], l);
		q[l] -= 1.0 - q[s];
		if (q[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl > 0) {
		size_t l = large[--nl];

		a->cell[l] = l;
	}
	/* Leftover small cells have share ≈ 1 up to rounding, unless their weight is zero. */
	while (ns > 0) {
		size_t s = small[--ns];
		int zero = s >= a->len || pmf[s] == 0;

		a->cell[s] = zero ? pack(a->bits, s, 0.0, any_positive) : s;
	}
	return ASGD_OK;
}

int asgd_alias_init(asgd_alias *a, const double *pmf, size_t len)
{
	return asgd_alias_init_stop(a, pmf, len, NULL);
}

int asgd_alias_init_stop(asgd_alias *a, const double *pmf, size_t len, const atomic_int *stop)
{
	size_t cells, *small, *large;
	double *q;
	int rc;

	if (!a || !pmf || len == 0 || len > ((size_t)1 << ASGD_ALIAS_MAX_BITS))
		return ASGD_EINVAL;
	a->len = len;
	a->bits = bits_for(len);
	cells = (size_t)1 << a->bits;
	a->cell = malloc(cells * sizeof(*a->cell));
	q = malloc(cells * sizeof(*q));
	small = malloc(cells * sizeof(*small));
	large = malloc(cells * sizeof(*large));
	rc = a->cell && q && small && large ? scaled_shares(pmf, len, cells, q, stop)
					     : ASGD_ENOMEM;
	if (rc == ASGD_OK)
		rc = vose(a, q, cells, small, large, pmf, stop);
	free(q);
	free(small);
	free(large);
	if (rc != ASGD_OK) {
		free(a->cell);
		a->cell = NULL;
	}
	return rc;
}

void asgd_alias_free(asgd_alias *a)
{
	if (!a)
		return;
	free(a->cell);
	a->cell = NULL;
	a->len = 0;
}

double asgd_alias_prob(const asgd_alias *a, uint64_t i)
{
	const unsigned t = a->bits;
	const uint64_t amask = ((uint64_t)1 << t) - 1, full = (uint64_t)1 << (64 - t);
	size_t cells = (size_t)1 << t;
	double share = 0;	/* in units of 2^(64−t) ... summed as doubles: exact below 2^53 cells */

	if (i >= a->len)
		return 0.0;
	for (size_t c = 0; c < cells; c++) {
		uint64_t w = a->cell[c], alias = w & amask, thr = w >> t;

		if (alias == c)
			thr = full;
		if (c == i)
			share += ldexp((double)thr, -64);
		if (alias == i && alias != c)
			share += ldexp((double)(full - thr), -64);
	}
	return share;
}

int asgd_geom_table_init(asgd_geom_table *g, double mu, uint64_t cut)
{
	double *pmf;
	int rc;

	if (!g || !(mu >= 0 && mu < 1) || cut == 0 || cut > ((uint64_t)1 << ASGD_ALIAS_MAX_BITS))
		return ASGD_EINVAL;
	pmf = malloc(cut * sizeof(*pmf));
	if (!pmf)
		return ASGD_ENOMEM;
	for (uint64_t l = 0; l + 1 < cut; l++)
		pmf[l] = (1 - mu) * pow(mu, (double)l);
	pmf[cut - 1] = pow(mu, (double)(cut - 1));	/* the tail P(L ≥ cut − 1); 0^0 = 1 */
	rc = asgd_alias_init(&g->alias, pmf, cut);
	free(pmf);
	g->mu = mu;
	g->cut = cut;
	return rc;
}

void asgd_geom_table_free(asgd_geom_table *g)
{
	if (g)
		asgd_alias_free(&g->alias);
}

uint64_t asgd_geom_cut(double mu, double eps)
{
	uint64_t h = 1;

	if (!(mu > 0))
		return 1;
	while (h < ((uint64_t)1 << ASGD_ALIAS_MAX_BITS) && pow(mu, (double)h) > eps)
		h <<= 1;
	return h;
}
