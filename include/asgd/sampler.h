/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/sampler.h — draw from a fixed discrete law in a few nanoseconds: a Walker/Vose alias table
 * read with one 64-bit draw and no branch, and on top of it the geometric staleness law of
 * Assumption 1 with an exactly sampled tail.
 *
 * The discrete simulators (`sim`) draw one staleness τ per step; inversion of the geometric law
 * costs a logarithm (~20 ns), an alias table costs a load and a compare. The table has T = 2^t
 * cells; a draw u picks cell u >> (64 − t) with its top t bits and compares its low 64 − t bits
 * with the cell's threshold: below it the cell itself is returned, otherwise the cell's alias.
 * Threshold and alias share one 64-bit word (threshold in the top 64 − t bits, alias in the low
 * t), so a table of 2^t cells takes 8·2^t bytes. Probabilities are represented to 2^−(64−t)
 * per cell, i.e. exactly up to rounding of the pmf itself for any practical t (≤ 24).
 *
 * Tables are immutable after building: any number of threads may sample one at once.
 */
#ifndef ASGD_SAMPLER_H
#define ASGD_SAMPLER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "asgd/rng.h"

/* The largest table: 2^24 cells (128 MiB). */
#define ASGD_ALIAS_MAX_BITS 24

/* A Walker/Vose alias table over the outcomes 0..len−1 (padded to 2^bits cells). */
typedef struct asgd_alias {
	uint64_t *cell;		/* 2^bits words: threshold << bits | alias */
	size_t len;		/* outcomes 0..len−1 */
	unsigned bits;		/* t ≥ 1: the table has 2^t cells */
} asgd_alias;

/*
 * asgd_alias_init - build the table of the law P(i) ∝ @pmf[i], i < @len.
 * @pmf: @len non-negative finite weights with a positive sum (normalised here). An outcome of
 *       weight 0 is never drawn.
 *
 * Vose's construction, O(len) time. Returns 0; ASGD_EINVAL for a NULL argument, @len 0 or above
 * 2^ASGD_ALIAS_MAX_BITS, a negative or non-finite weight, or weights summing to 0; ASGD_ENOMEM.
 * On failure @a holds nothing to free.
 */
int asgd_alias_init(asgd_alias *a, const double *pmf, size_t len);

/*
 * asgd_alias_init_stop - asgd_alias_init, looking at @stop (NULL: never) every 2^16 cells: a
 * table of 2^24 cells takes ~0.4 s. ASGD_EINTR (@a holding nothing) when it was raised first.
 */
int asgd_alias_init_stop(asgd_alias *a, const double *pmf, size_t len, const atomic_int *stop);

/* asgd_alias_free - release a table; NULL or a zeroed table is a no-op. */
void asgd_alias_free(asgd_alias *a);

/*
 * asgd_alias_pick - the outcome that the 64 random bits @u select (branch-free: a conditional
 * move chooses between the cell and its alias).
 */
static inline uint64_t asgd_alias_pick(const asgd_alias *a, uint64_t u)
{
	const unsigned t = a->bits;
	const uint64_t idx = u >> (64 - t);
	const uint64_t low = u << t;	/* the other 64 − t bits, at the top */
	const uint64_t c = a->cell[idx];
	const uint64_t amask = ((uint64_t)1 << t) - 1;

	return low < (c & ~amask) ? idx : (c & amask);
}

/*
 * asgd_alias_pick_spare - as asgd_alias_pick, but blind to the lowest @spare bits of @u, which
 * are then free to make a second draw exactly independent of the outcome (the 1-D simulators take
 * the component index from them: one generator call per step instead of two). The price: the
 * threshold comparison resolves each cell's probability to 2^−(64−bits−spare) rather than
 * 2^−(64−bits). @spare < 64 − a->bits.
 */
static inline uint64_t asgd_alias_pick_spare(const asgd_alias *a, uint64_t u, unsigned spare)
{
	return asgd_alias_pick(a, u & ~(((uint64_t)1 << spare) - 1));
}

/* asgd_alias_sample - one outcome, from one draw of @r. */
static inline uint64_t asgd_alias_sample(const asgd_alias *a, asgd_rng *r)
{
	return asgd_alias_pick(a, asgd_rng_next(r));
}

/*
 * asgd_alias_prob - the probability the table gives outcome @i (for tests and reports): the sum
 * over cells of their exact integer shares, divided by 2^64. 0 for i ≥ len.
 */
double asgd_alias_prob(const asgd_alias *a, uint64_t i);

/*
 * The geometric law P(L = l) = (1 − μ)μ^l, l ≥ 0, as a table of @cut cells: cells 0..cut−2 hold
 * the law, the last cell the tail P(L ≥ cut − 1) = μ^(cut−1). A draw in the tail is completed
 * exactly by the memoryless property: L = cut − 1 + geometric(μ) by inversion. The tail is rare
 * (μ^(cut−1)), so draws cost one table lookup almost always, and the law is exact.
 */
typedef struct asgd_geom_table {
	asgd_alias alias;
	double mu;
	uint64_t cut;		/* cells, ≥ 1; outcome cut − 1 is the tail */
} asgd_geom_table;

/*
 * asgd_geom_table_init - the table of the geometric law with parameter @mu in [0, 1), with @cut
 * cells (1 ≤ cut ≤ 2^ASGD_ALIAS_MAX_BITS). Returns 0, ASGD_EINVAL or ASGD_ENOMEM.
 */
int asgd_geom_table_init(asgd_geom_table *g, double mu, uint64_t cut);

/* asgd_geom_table_free - release it; NULL or zeroed is a no-op. */
void asgd_geom_table_free(asgd_geom_table *g);

/*
 * asgd_geom_table_sample - one exact geometric(μ) variate: one draw, and a second one only in the
 * tail cell.
 */
static inline uint64_t asgd_geom_table_sample(const asgd_geom_table *g, asgd_rng *r)
{
	uint64_t l = asgd_alias_sample(&g->alias, r);

	if (__builtin_expect(l == g->cut - 1, 0))
		l += asgd_rng_geometric(r, g->mu);
	return l;
}

/*
 * asgd_geom_cut - the smallest power of two H with μ^H ≤ @eps (1 for μ = 0), at most
 * 2^ASGD_ALIAS_MAX_BITS: the history the simulators keep so that a staleness beyond it has
 * chance ≤ eps per step.
 */
uint64_t asgd_geom_cut(double mu, double eps);

#endif /* ASGD_SAMPLER_H */
