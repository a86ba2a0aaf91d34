/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/normal.h — a fast standard normal generator (ziggurat) on an asgd_rng stream.
 *
 * The SDE ensembles draw one normal per path per substep, so the normal generator is most of their
 * cost. asgd_rng_normal() (Marsaglia's polar method, in rng.h) needs two uniforms, a logarithm and
 * a square root per variate and rejects 21% of pairs; the ziggurat of Marsaglia and Tsang (2000)
 * needs one 64-bit draw, a multiplication and a comparison in 98.8% of calls, with 256 layers.
 * The rare wedge and tail cases are exact rejection samplers, so the output is exactly normal
 * (up to the 52-bit resolution of the uniform): this is not an approximation.
 *
 * One 64-bit draw gives both the layer (its low 8 bits) and the signed uniform (its top 53 bits),
 * so a stream's normals are a function of its state alone, like everything drawn from asgd_rng.
 */
#ifndef ASGD_NORMAL_H
#define ASGD_NORMAL_H

#include <math.h>
#include <stdint.h>

#include "asgd/rng.h"

#define ASGD__ZIG_LAYERS 256

/* The ziggurat's layer edges x[0..256] and f(x) = exp(−x²/2) at them (src/core/normal.c). */
extern const double asgd__zig_x[ASGD__ZIG_LAYERS + 1];
extern const double asgd__zig_f[ASGD__ZIG_LAYERS + 1];

/* The wedge and tail branches: the rejected draw (layer @i, abscissa @x) and what follows. */
double asgd__normal_slow(asgd_rng *r, unsigned i, double x);

/* A uniform on [−1, 1) from the top 53 bits of @bits (the low 8 pick the layer). */
static inline double asgd__zig_signed(uint64_t bits)
{
	return (double)(bits >> 11) * 0x1.0p-52 - 1.0;
}

/*
 * asgd_normal - a standard normal N(0, 1) variate (ziggurat, 256 layers).
 *
 * Static inline so that a hot loop keeping its stream in a local asgd_rng keeps it in registers;
 * only the 1.2% of draws outside the layers' rectangles call out of line. Draws a different
 * sequence than asgd_rng_normal() from the same stream.
 */
static inline double asgd_normal(asgd_rng *r)
{
	const uint64_t bits = asgd_rng_next(r);
	const unsigned i = (unsigned)(bits & (ASGD__ZIG_LAYERS - 1));
	const double x = asgd__zig_signed(bits) * asgd__zig_x[i];

	if (__builtin_expect(fabs(x) < asgd__zig_x[i + 1], 1))
		return x;
	return asgd__normal_slow(r, i, x);
}

#endif /* ASGD_NORMAL_H */
