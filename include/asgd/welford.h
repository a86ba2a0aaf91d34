/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/welford.h — a quantity's mean over independent samples with its standard error, in one
 * pass (Welford's running mean and sum of squared deviations).
 *
 * The commands estimate E‖x − x*‖² over replicas of the engine, at every step k or as a time
 * average, with its standard error. The textbook Σv, Σv² form computes the variance as
 * Σv²/n − (Σv/n)², which cancels catastrophically when the spread is small against the mean:
 * at k = 0 every replica sits at x0, and the difference of two equal large numbers rounds to
 * ±1e-16·mean², a spurious SE of ~1e-8·mean. Welford's update keeps the deviations themselves,
 * so a constant sample has variance exactly 0 and the relative error stays ~1e-16 whatever the
 * ratio of mean to spread (Welford 1962; Chan, Golub & LeVeque 1983).
 *
 * The power sums of asgd/moments.h remain the right tool for ensembles split over threads (they
 * merge exactly); this is for a sequence of samples added one at a time.
 *
 * An asgd_welford is not synchronised, and every function takes a valid, non-NULL one. All zero
 * bytes is the empty accumulator, so an array of them from calloc() is ready for per-step use
 * without asgd_welford_init().
 */
#ifndef ASGD_WELFORD_H
#define ASGD_WELFORD_H

#include <stdint.h>

/* The running state after n samples v_1..v_n. Read it through the functions below. */
typedef struct asgd_welford {
	uint64_t n;	/* samples added */
	double mean;	/* their mean (0 while n = 0) */
	double m2;	/* Σ (v_i − mean)², the sum of squared deviations */
} asgd_welford;

/* asgd_welford_init - make @w empty (the same as zero-filling it). */
void asgd_welford_init(asgd_welford *w);

/*
 * asgd_welford_add - add the sample @v to @w.
 * Non-finite samples are not rejected: an infinite or NaN sample makes the mean and variance
 * non-finite from then on, which is the honest answer for a diverged run.
 */
void asgd_welford_add(asgd_welford *w, double v);

/* asgd_welford_mean - the sample mean, or NAN when no sample was added. */
double asgd_welford_mean(const asgd_welford *w);

/* asgd_welford_var - the unbiased sample variance m2/(n − 1), or NAN below two samples. */
double asgd_welford_var(const asgd_welford *w);

/*
 * asgd_welford_se - the standard error of the mean, √(m2/(n − 1)/n) (the samples independent),
 * or NAN below two samples.
 */
double asgd_welford_se(const asgd_welford *w);

#endif /* ASGD_WELFORD_H */
