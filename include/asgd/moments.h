/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * asgd/moments.h — first and second moments over an ensemble of sample paths.
 *
 * Every ensemble in asgd (real runs, discrete simulations, SDE ensembles) ends as moments.csv with
 * the mean and the raw second moment of each coordinate at each step, always with standard errors
 * (DESIGN.md, "Output contract"). Paths are accumulated as power sums so that ensembles computed
 * on different threads merge exactly and the result does not depend on the thread count.
 *
 * An asgd_moments is not synchronised: give each thread its own and merge them afterwards.
 */
#ifndef ASGD_MOMENTS_H
#define ASGD_MOMENTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Power sums per (step k, coordinate c), stored row-major at index k*dim + c. The arrays are owned
 * by the object; read them, but change them only through the functions below.
 */
typedef struct asgd_moments {
	size_t steps, dim;
	uint64_t stride;	/* iterations between rows: row r is k = r·stride (1 after init;
				   set it when recording sparsely) */
	uint64_t paths;
	double *s1, *s2, *s4;	/* Σx, Σx², Σx⁴ */
} asgd_moments;

/*
 * asgd_moments_init - an empty accumulator for paths of @steps rows of @dim coordinates.
 * Returns 0, ASGD_EINVAL if @m is NULL or a size is 0 or steps*dim overflows, or ASGD_ENOMEM.
 * On failure @m is untouched and must not be freed.
 */
int asgd_moments_init(asgd_moments *m, size_t steps, size_t dim);

/* asgd_moments_reset - forget every path added, keeping the shape and the arrays. NULL is a no-op. */
void asgd_moments_reset(asgd_moments *m);

/* asgd_moments_free - release the arrays; @m may be NULL, and freeing twice is harmless. */
void asgd_moments_free(asgd_moments *m);

/*
 * asgd_moments_add_path - add one path.
 * @traj: steps*dim values, row k = x_k; read only.
 * Non-finite values are not rejected: a diverged path makes the moments non-finite, which is the
 * honest answer. Returns 0, or ASGD_EINVAL if an argument is NULL.
 */
int asgd_moments_add_path(asgd_moments *m, const double *traj);

/*
 * asgd_moments_merge - add all paths of @src to @dst (exact: power sums just add).
 * Returns 0, or ASGD_EINVAL if an argument is NULL or the shapes differ (then @dst is unchanged).
 */
int asgd_moments_merge(asgd_moments *dst, const asgd_moments *src);

/*
 * The estimates at one (k, coord) over P paths:
 * mean = Σx/P; second = Σx²/P (raw second moment E x²); var = unbiased sample variance;
 * se_mean = sqrt(var/P); se_second = sqrt(s²(x²)/P) with s²(x²) the unbiased sample variance of
 * x², which needs Σx⁴. For P < 2, var and both standard errors are NAN.
 */
typedef struct asgd_moment_row {
	double mean, second, var, se_mean, se_second;
} asgd_moment_row;

/*
 * asgd_moments_get - the estimates at step @k, coordinate @coord.
 * Returns 0, or ASGD_EINVAL if an argument is NULL, out of range, or no path was added.
 */
int asgd_moments_get(const asgd_moments *m, size_t k, size_t coord, asgd_moment_row *out);

/*
 * asgd_moments_write_csv - write the moments to @path, atomically (asgd_atomic_open).
 * Header `k,t,mean,second_moment,var,se_mean,se_second` with k = row·stride and t = k·@dt; for dim > 1 the header is
 * `k,t,coord,mean,second_moment,var,se_mean,se_second` with one row per (k, coord), coord fastest.
 * Numbers are printed with %.10g; undefined values as "nan".
 * Returns 0, ASGD_EINVAL (NULL argument or no paths), ASGD_ENOMEM or ASGD_EIO (an old file at
 * @path survives).
 */
int asgd_moments_write_csv(const asgd_moments *m, const char *path, double dt);

#endif /* ASGD_MOMENTS_H */
