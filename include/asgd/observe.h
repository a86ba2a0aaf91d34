/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/observe.h — what a moment table is of: the iterate itself, or one number computed from it.
 *
 * On the paper's one-dimensional presets the moments of x say everything. On a data model with
 * d features one looks instead at a scalar: the objective f(x), one coordinate, or a projection
 * u·x on a fixed random direction (a linear functional, whose moments any of the SMEs predicts
 * as well as those of a coordinate, without singling out one feature). An observable maps each
 * recorded row x_k to its value, after the run, so recording costs the run nothing more than
 * the trajectory copy it already makes.
 */
#ifndef ASGD_OBSERVE_H
#define ASGD_OBSERVE_H

#include <stdatomic.h>
#include <stddef.h>

#include "asgd/problem.h"

/** What is observed. */
typedef enum asgd_observe_kind {
	ASGD_OBSERVE_X,     /**< every coordinate of x (dim values a row) */
	ASGD_OBSERVE_LOSS,  /**< f(x), the full objective */
	ASGD_OBSERVE_COORD, /**< x_j */
	ASGD_OBSERVE_PROJ,  /**< u·x, u a unit vector with N(0,1) directions from a seed */
} asgd_observe_kind;

/** An observable; initialise with asgd_observable_init(), release with asgd_observable_free(). */
typedef struct asgd_observable {
	asgd_observe_kind kind;
	const asgd_problem *problem; /**< not owned */
	size_t coord;                /**< ASGD_OBSERVE_COORD: j */
	double *u;                   /**< ASGD_OBSERVE_PROJ: dim values, unit norm */
	char spec[64];               /**< canonical spec, e.g. "proj:seed=1" */
} asgd_observable;

/*
 * asgd_observable_init - parse @spec for @p: "x", "loss", "coord:J" (0 ≤ J < dim), "proj" or
 * "proj:SEED". Returns ASGD_OK; ASGD_EINVAL with a sentence in @err (naming the value and what
 * is allowed) for anything else; ASGD_ENOMEM.
 */
int asgd_observable_init(asgd_observable *o, const char *spec, const asgd_problem *p, char *err,
			 size_t errlen);

/** asgd_observable_free - release; safe on a zeroed or freed observable. */
void asgd_observable_free(asgd_observable *o);

/** asgd_observable_dim - values per row: dim for ASGD_OBSERVE_X, else 1. */
size_t asgd_observable_dim(const asgd_observable *o);

/*
 * asgd_observable_rows - @steps rows of x (dim values each, @traj) into @steps rows of the
 * observable (@out, asgd_observable_dim() values each). @out may equal @traj (in place: every
 * row's value depends only on that row, and rows are taken in order). Thread-safe.
 */
void asgd_observable_rows(const asgd_observable *o, const double *traj, size_t steps,
			  double *out);

/*
 * asgd_observable_rows_stop - asgd_observable_rows, looking at @stop (NULL: never) every ~0.1 ms
 * of work: a row of the loss is a pass over every component (the 14 M entries of the default
 * rcv1), so scoring a recorded trajectory can take seconds. Returns ASGD_OK with every row done,
 * or ASGD_EINTR when @stop was raised first: the rows before *@done (may be NULL) are done and the
 * rest are not (in place: they still hold x).
 */
int asgd_observable_rows_stop(const asgd_observable *o, const double *traj, size_t steps,
			      double *out, const atomic_int *stop, size_t *done);

#endif /* ASGD_OBSERVE_H */
