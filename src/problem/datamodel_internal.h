/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * datamodel_internal.h — the minimizer of a data model, by solver (datamodel_optimum.c), for
 * datamodel.c's family and for the tests, which force a solver where the size would pick
 * another. Not installed, not public.
 */
#ifndef ASGD_DATAMODEL_INTERNAL_H
#define ASGD_DATAMODEL_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "problem_internal.h"

/* The smooth losses' minimizer by Cholesky up to this many features (d² doubles: 128 MiB),
 * by Newton-CG beyond. */
#define ASGD__DM_CHOLESKY_MAX_DIM 4096

/* Row i of @dm's data: its length; *a its values, *col their features. */
static inline size_t asgd__dm_row(const struct datamodel *dm, size_t i, const double **a,
				  const uint32_t **col)
{
	size_t start = dm->ds->row_ptr[i];

	*a = dm->ds->val + start;
	*col = dm->ds->col + start;
	return dm->ds->row_ptr[i + 1] - start;
}

/* The margin a_i·x, x dense. */
static inline double asgd__dm_margin(const struct datamodel *dm, size_t i, const double *x)
{
	const double *a;
	const uint32_t *col;
	size_t s = asgd__dm_row(dm, i, &a, &col);
	double m = 0;

	for (size_t e = 0; e < s; e++)
		m += a[e] * x[col[e]];
	return m;
}

/*
 * asgd__dm_minimizer - the minimizer of the data model @p into @x (dim values): the hinge loss by
 * dual coordinate descent whatever d; squares and logistic by Cholesky when d ≤
 * @cholesky_max_dim, by Newton-CG otherwise. Returns ASGD_OK; ASGD_ENOTFOUND where there is
 * none to find (a Hessian that is not positive definite, the hinge loss at λ = 0) or the solver
 * did not reach its tolerance within its cap; ASGD_EINTR when @stop (may be NULL) was raised;
 * ASGD_ENOMEM. @x is written only on ASGD_OK.
 */
int asgd__dm_minimizer(const asgd_problem *p, double *x, const atomic_int *stop,
		       size_t cholesky_max_dim);

/*
 * asgd__dm_hinge_dual - the hinge model's minimizer into @x and, when @alpha is not NULL, the
 * dual solution into @alpha (n values, each in [0, C], C = 1/(nλ)), with x = Σ_i α_i y_i a_i
 * exactly as computed here. Returns as asgd__dm_minimizer; ASGD_EINVAL for another loss.
 */
int asgd__dm_hinge_dual(const asgd_problem *p, double *x, double *alpha, const atomic_int *stop);

#endif /* ASGD_DATAMODEL_INTERNAL_H */
