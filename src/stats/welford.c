/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * welford.c — a running mean and sum of squared deviations (Welford), for a quantity's mean over
 * independent samples with its standard error, free of the Σv² − (Σv)²/n cancellation.
 */
#include "asgd/welford.h"

#include <math.h>

void asgd_welford_init(asgd_welford *w)
{
	w->n = 0;
	w->mean = 0;
	w->m2 = 0;
}

void asgd_welford_add(asgd_welford *w, double v)
{
	double delta = v - w->mean;

	w->n++;
	w->mean += delta / (double)w->n;
	/* the deviation before the update times the one after: Σ (v − mean)² exactly in reals */
	w->m2 += delta * (v - w->mean);
}

double asgd_welford_mean(const asgd_welford *w)
{
	return w->n ? w->mean : NAN;
}

double asgd_welford_var(const asgd_welford *w)
{
	return w->n >= 2 ? w->m2 / (double)(w->n - 1) : NAN;
}

double asgd_welford_se(const asgd_welford *w)
{
	return w->n >= 2 ? sqrt(w->m2 / (double)(w->n - 1) / (double)w->n) : NAN;
}
