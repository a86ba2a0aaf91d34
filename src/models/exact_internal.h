/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * exact_internal.h — private to the exact-moment modules (exact.c, exact_discrete.c,
 * exact_sme.c): the discrete recursions that exact.c dispatches to, and the one matrix piece they
 * share beyond the public ones of asgd/exact.h. Not installed; nothing outside src/ includes it.
 */
#ifndef ASGD_EXACT_INTERNAL_H
#define ASGD_EXACT_INTERNAL_H

#include "asgd/exact.h"
#include "core/stop_internal.h"

/*
 * The work of one evaluation of the moment equations' right-hand side, in the units of
 * stop_internal.h: d×d products are O(d²) for a diagonal Ā and O(d³) otherwise, and S(x) takes
 * one per component unless every A_i is Ā.
 */
static inline uint64_t asgd__exact_step_cost(const asgd_exact_affine *q)
{
	const uint64_t d = q->dim, mat = q->diagonal ? d * d : d * d * d;

	return 8 * mat * (q->common ? 2 : (uint64_t)q->n + 1) + 16;
}

/* @out = Abar·@v (d values; @out must not alias @v). */
void asgd__exact_mul_vec(const asgd_exact_affine *q, const double *v, double *out);

/*
 * The ASGD moment recursion of docs/MODELS.md §4 from the constant history x_0 into the allocated
 * @out: staleness @mu (0 gives SGD), batch B_k from cfg->batch when @batched, else 1. Like every
 * recursion here, ASGD_EINTR when cfg->stop was raised.
 */
int asgd__exact_run_asgd(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			 const double *x0, double mu, int batched, asgd_exact_moments *out);

/* The MSGD (2.6) moment recursion over (x, v) from x_0, v_0 = 0 into the allocated @out. */
int asgd__exact_run_msgd(const asgd_exact_config *cfg, const asgd_exact_affine *q,
			 const double *x0, asgd_exact_moments *out);

#endif /* ASGD_EXACT_INTERNAL_H */
