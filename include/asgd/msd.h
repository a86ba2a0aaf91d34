/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/msd.h — E‖x − x*‖² over the real engine's independent replicas, with its standard error.
 *
 * The pooled moments (asgd/moments.h) cannot give this SE when x* ≠ 0 (they keep no Σx³), but the
 * replicas are independent, so the spread of each replica's own value across them can. Both
 * accumulators are asgd_replicas_run_each callbacks (@arg the struct), built on asgd_welford so
 * that k = 0, where every replica sits at x0, has no cancellation. Used by `advise` and `batch`
 * (at every step k) and `sweep` (each replica's late-half average).
 *
 * On a data model the quantity that matters is the objective, not the distance to x*: the loss
 * gap f(x_k) − f* per step, from rows of the loss observable (asgd/observe.h) that
 * asgd_replicas_run_observed hands over, with its SE over the replicas just the same.
 */
#ifndef ASGD_MSD_H
#define ASGD_MSD_H

#include <stddef.h>

#include "asgd/welford.h"

/** Per step k: ‖x_k − x*‖² over the replicas. */
typedef struct asgd_msd_steps {
	const double *xstar; /**< the minimizer, dim values */
	asgd_welford *w;     /**< one per step: zero-filled (calloc) before the first replica */
} asgd_msd_steps;

/** asgd_msd_steps_add - add one replica's trajectory (@steps rows of @dim values). */
void asgd_msd_steps_add(void *arg, const double *traj, size_t steps, size_t dim);

/** Per step k: the loss gap f(x_k) − f* over the replicas, from rows of f(x_k) (dim 1). */
typedef struct asgd_gap_steps {
	double fstar;        /**< f(x*), the optimum */
	asgd_welford *w;     /**< one per step: zero-filled (calloc) before the first replica */
} asgd_gap_steps;

/** asgd_gap_steps_add - add one replica's loss rows (@steps rows; @dim must be 1). */
void asgd_gap_steps_add(void *arg, const double *rows, size_t steps, size_t dim);

/** Each replica's average of ‖x_k − x*‖² over its late half k = K/2..K (K = steps − 1). */
typedef struct asgd_msd_late {
	const double *xstar; /**< the minimizer, dim values */
	asgd_welford w;      /**< zero-filled before the first replica */
} asgd_msd_late;

/** asgd_msd_late_add - add one replica's late-half average (@steps ≥ 1 rows of @dim values). */
void asgd_msd_late_add(void *arg, const double *traj, size_t steps, size_t dim);

#endif /* ASGD_MSD_H */
