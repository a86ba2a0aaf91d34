/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/rng.h — seeded random streams for workers, simulations and tests.
 *
 * The generator is xoshiro256** (Blackman and Vigna): 256 bits of state, period 2^256 − 1, fast
 * enough for the engine's hot path, which is why the small draws below are static inline. Each
 * stream is named by a pair (seed, stream): a worker, a sample path or a replica takes its own
 * stream id, so results never depend on how many threads share the work.
 *
 * An asgd_rng is a plain value with no hidden state: one stream must not be used by two threads
 * at once, and distinct streams need no locking. Nothing here allocates or fails.
 */
#ifndef ASGD_RNG_H
#define ASGD_RNG_H

#include <math.h>
#include <stdint.h>

/* The state of one stream (xoshiro256**). Never all zero once initialised. */
typedef struct asgd_rng {
	uint64_t s[4];
} asgd_rng;

/*
 * asgd_rng_init - start the stream named by (@seed, @stream).
 * @r:      the state to fill.
 * @seed:   the run's seed (e.g. --seed).
 * @stream: the stream id within the run (worker, path or replica index).
 *
 * The state is splitmix64 output over a hash of both numbers, so neighbouring seeds and stream ids
 * give unrelated streams. The same pair always gives the same stream, on any machine.
 */
void asgd_rng_init(asgd_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t asgd__rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/*
 * asgd_rng_next - the next 64 uniformly distributed bits of the stream.
 * Returns the output of xoshiro256** and advances @r.
 */
static inline uint64_t asgd_rng_next(asgd_rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = asgd__rotl64(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = asgd__rotl64(s[3], 45);
	return result;
}

/*
 * asgd_rng_uniform - a uniform double on [0, 1).
 * Returns a multiple of 2^-53 (the top 53 bits of one draw), so every value is exactly
 * representable and 1 is never returned.
 */
static inline double asgd_rng_uniform(asgd_rng *r)
{
	return (double)(asgd_rng_next(r) >> 11) * 0x1.0p-53;
}

/*
 * asgd_rng_below - a uniform integer on [0, @n), without bias.
 * @n: the number of outcomes, n ≥ 1 (n = 0 returns 0).
 *
 * Lemire's multiply-and-reject method: one 64x64→128-bit multiplication, and a rejection (with a
 * division) only in the rare draws that would make the low residues more likely.
 */
static inline uint64_t asgd_rng_below(asgd_rng *r, uint64_t n)
{
	__extension__ typedef unsigned __int128 u128;
	u128 m = (u128)asgd_rng_next(r) * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		const uint64_t threshold = -n % n; /* 2^64 mod n; n > 0 here */

		while (low < threshold) {
			m = (u128)asgd_rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/*
 * asgd_rng_normal - a standard normal N(0, 1) variate.
 * Marsaglia's polar method; the second variate of each accepted pair is dropped, so the stream
 * carries no cached value and stays a plain 256-bit state.
 */
double asgd_rng_normal(asgd_rng *r);

/*
 * asgd_rng_exponential - an exponential variate with the given mean.
 * @mean: the mean, > 0.
 *
 * Inversion, −mean·log(1 − U) with U on [0, 1), so the result is finite and ≥ 0.
 */
static inline double asgd_rng_exponential(asgd_rng *r, double mean)
{
	return -mean * log1p(-asgd_rng_uniform(r));
}

/*
 * asgd_rng_geometric - a geometric variate L with P(L = l) = (1 − μ)μ^l, l ≥ 0: the staleness law
 * of the paper's Assumption 1, and the number of failed trials before a success of chance 1 − μ.
 * @mu: μ in [0, 1); μ ≤ 0 always gives 0. μ ≥ 1 or NaN is not allowed.
 *
 * Inversion: L = floor(log V / log μ) with V = 1 − U on (0, 1], since P(L ≥ l) = P(V ≤ μ^l) = μ^l.
 * One uniform per draw, whatever μ is; for μ < 1 the result is below 2^59, so it never overflows.
 */
static inline uint64_t asgd_rng_geometric(asgd_rng *r, double mu)
{
	if (!(mu > 0.0))
		return 0;
	return (uint64_t)floor(log1p(-asgd_rng_uniform(r)) / log(mu));
}

#endif /* ASGD_RNG_H */
