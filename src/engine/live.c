/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * live.c — the live shared vector of the in-place master, Hogwild and combining modes, in either
 * precision (asgd_precision): allocation, the gather a worker's gradient reads, the
 * compare-and-swap write, and the copy out into doubles (trajectory rows, x_final).
 *
 * Each function branches on the precision once and then runs a loop of one type, so the f64
 * loops are exactly those the engine had before f32 existed, and the f32 ones convert at the
 * edges only: a float read becomes a double at the gather, a double result becomes a float at
 * the store. Why atomics at all: engine_internal.h.
 */
#include "engine_internal.h"

#include <stdlib.h>

#include "asgd/error.h"

/* Whole cache lines, so that no other object shares the vector's last line. */
static void *alloc_lines(size_t bytes)
{
	return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

int asgd__live_init(struct asgd__live *l, asgd_precision prec, const double *x0, size_t dim)
{
	l->d = NULL;
	l->f = NULL;
	if (prec == ASGD_PRECISION_F32) {
		if (!(l->f = alloc_lines(dim * sizeof(float))))
			return ASGD_ENOMEM;
		for (size_t j = 0; j < dim; j++)
			atomic_init(&l->f[j], (float)x0[j]);
		return ASGD_OK;
	}
	if (!(l->d = alloc_lines(dim * sizeof(double))))
		return ASGD_ENOMEM;
	for (size_t j = 0; j < dim; j++)
		atomic_init(&l->d[j], x0[j]);
	return ASGD_OK;
}

void asgd__live_free(struct asgd__live *l)
{
	free(l->d);
	free(l->f);
	l->d = NULL;
	l->f = NULL;
}

void asgd__live_gather(struct asgd__live live, const uint32_t *idx, size_t s, uint32_t *out_idx,
		       double *xs)
{
	/* acquire, not relaxed, for combining mode's sequence lock (engine_hogwild.c): a value
	 * written by an update orders the reader's later check of the sequence after that update
	 * began. On x86 both are plain loads. */
	if (live.f) {
		for (size_t e = 0; e < s; e++) {
			uint32_t j = idx ? idx[e] : (uint32_t)e;

			out_idx[e] = j;
			xs[e] = atomic_load_explicit(&live.f[j], memory_order_acquire);
		}
		return;
	}
	for (size_t e = 0; e < s; e++) {
		uint32_t j = idx ? idx[e] : (uint32_t)e;

		out_idx[e] = j;
		xs[e] = atomic_load_explicit(&live.d[j], memory_order_acquire);
	}
}

/* x_j += delta, atomically for this coordinate only. Returns the new value. */
static double cas_add_double(_Atomic double *xj, double delta)
{
	double old = atomic_load_explicit(xj, memory_order_relaxed), next;

	do {
		next = old + delta;
	} while (!atomic_compare_exchange_weak_explicit(xj, &old, next, memory_order_relaxed,
							memory_order_relaxed));
	return next;
}

/* The same in f32: the sum in double, rounded once, as asgd__live_sub_f32 does. */
static float cas_add_float(_Atomic float *xj, double delta)
{
	float old = atomic_load_explicit(xj, memory_order_relaxed), next;

	do {
		next = (float)(old + delta);
	} while (!atomic_compare_exchange_weak_explicit(xj, &old, next, memory_order_relaxed,
							memory_order_relaxed));
	return next;
}

int asgd__live_sub_cas(struct asgd__live x, const struct asgd__sparse_grad *sg, double eta)
{
	unsigned bad = 0;

	if (x.f) {
		for (size_t e = 0; e < sg->nnz; e++)
			bad |= asgd__not_finite_f(cas_add_float(&x.f[sg->idx[e]], -eta * sg->val[e]));
		return !bad;
	}
	for (size_t e = 0; e < sg->nnz; e++)
		bad |= asgd__not_finite(cas_add_double(&x.d[sg->idx[e]], -eta * sg->val[e]));
	return !bad;
}

void asgd__live_copy(double *x, struct asgd__live live, size_t dim)
{
	if (live.f) {
		for (size_t j = 0; j < dim; j++)
			x[j] = atomic_load_explicit(&live.f[j], memory_order_relaxed);
		return;
	}
	for (size_t j = 0; j < dim; j++)
		x[j] = atomic_load_explicit(&live.d[j], memory_order_relaxed);
}
