/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * msd.c — E‖x − x*‖² and the loss gap f(x) − f* over the real engine's replicas, with their
 * standard errors (asgd/msd.h).
 */
#include "asgd/msd.h"

/* ‖x − x*‖² of the @dim values at @x. */
static double sq_dist(const double *x, const double *xstar, size_t dim)
{
	double v = 0;

	for (size_t c = 0; c < dim; c++) {
		double d = x[c] - xstar[c];

		v += d * d;
	}
	return v;
}

void asgd_msd_steps_add(void *arg, const double *traj, size_t steps, size_t dim)
{
	asgd_msd_steps *s = arg;

	for (size_t k = 0; k < steps; k++)
		asgd_welford_add(&s->w[k], sq_dist(traj + k * dim, s->xstar, dim));
}

void asgd_gap_steps_add(void *arg, const double *rows, size_t steps, size_t dim)
{
	asgd_gap_steps *s = arg;

	(void)dim;	/* 1: the loss observable's rows */
	for (size_t k = 0; k < steps; k++)
		asgd_welford_add(&s->w[k], rows[k] - s->fstar);
}

void asgd_msd_late_add(void *arg, const double *traj, size_t steps, size_t dim)
{
	asgd_msd_late *s = arg;
	size_t K = steps - 1, k0 = K / 2;
	double v = 0;

	for (size_t k = k0; k <= K; k++)
		v += sq_dist(traj + k * dim, s->xstar, dim);
	asgd_welford_add(&s->w, v / (double)(K - k0 + 1));
}
