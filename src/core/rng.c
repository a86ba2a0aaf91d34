/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rng.c — the out-of-line half of asgd/rng.h: stream seeding and the normal variate.
 *
 * Seeding is the one place where streams could collide or correlate, so it hashes (seed, stream)
 * with two rounds of the splitmix64 finaliser before expanding the result into 256 bits; a plain
 * "seed + stream" would make (s, k + 1) and (s + 1, k) the same stream.
 */
#include <math.h>

#include "asgd/rng.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

/* The splitmix64 finaliser (Stafford's Mix13): a bijection on 64 bits with full avalanche. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t splitmix64_next(uint64_t *x)
{
	*x += GOLDEN_GAMMA;
	return mix64(*x);
}

void asgd_rng_init(asgd_rng *r, uint64_t seed, uint64_t stream)
{
	/* mix64 is a bijection, so for a fixed seed distinct streams give distinct keys. */
	uint64_t x = mix64(seed + GOLDEN_GAMMA) ^ stream;

	x = mix64(x);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&x);
	/* Only the all-zero state is forbidden; splitmix64 of distinct counters cannot give four
	 * zeros, but keep the guarantee local rather than argued. */
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = GOLDEN_GAMMA;
}

double asgd_rng_normal(asgd_rng *r)
{
	double u, v, s;

	do {
		u = 2.0 * asgd_rng_uniform(r) - 1.0;
		v = 2.0 * asgd_rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}
