/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_ensemble.c — the ensemble runner: results independent of the thread count, the stop flag
 * ends the run at a chunk boundary with a prefix of the paths, errors propagate, and the moments
 * of a known process come out right.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "asgd/ensemble.h"
#include "asgd/error.h"

/* A Gaussian random walk x_{k+1} = x_k + ξ_k: E x_k = 0, E x_k² = k, Var x_k² = 2k². */
static int walk(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	size_t steps = *(const size_t *)ctx;

	(void)path;
	(void)scratch;
	traj[0] = 0;
	for (size_t k = 1; k < steps; k++)
		traj[k] = traj[k - 1] + asgd_rng_normal(rng);
	return 0;
}

static asgd_ensemble_config walk_config(size_t *steps, uint64_t paths, unsigned threads)
{
	return (asgd_ensemble_config){ .paths = paths, .threads = threads, .seed = 42,
				       .steps = *steps, .dim = 1, .path = walk, .ctx = steps,
				       .keep_final = 1 };
}

Test(ensemble, bit_identical_for_any_thread_count)
{
	size_t steps = 50;
	asgd_ensemble_result ref, other;
	asgd_ensemble_config cfg = walk_config(&steps, 1000, 1);
	unsigned threads[] = { 2, 3, 7, 16 };

	cr_assert_eq(asgd_ensemble_run(&cfg, &ref), 0);
	cr_assert_eq(ref.paths_done, 1000);
	for (size_t i = 0; i < sizeof(threads) / sizeof(*threads); i++) {
		cfg.threads = threads[i];
		cr_assert_eq(asgd_ensemble_run(&cfg, &other), 0);
		cr_assert(!memcmp(ref.moments.s1, other.moments.s1, steps * sizeof(double)));
		cr_assert(!memcmp(ref.moments.s2, other.moments.s2, steps * sizeof(double)));
		cr_assert(!memcmp(ref.moments.s4, other.moments.s4, steps * sizeof(double)));
		cr_assert(!memcmp(ref.final, other.final, 1000 * sizeof(double)));
		asgd_ensemble_result_free(&other);
	}
	asgd_ensemble_result_free(&ref);
}

/* Moments of the walk within 4 standard errors (the SE the module itself reports, checked against
 * the known variance of x_k² for a Gaussian: Var = 2k²). */
Test(ensemble, random_walk_moments)
{
	size_t steps = 20;
	asgd_ensemble_result res;
	asgd_ensemble_config cfg = walk_config(&steps, 20000, 2);

	cr_assert_eq(asgd_ensemble_run(&cfg, &res), 0);
	for (size_t k = 1; k < steps; k++) {
		asgd_moment_row row;
		double P = 20000, se_second = sqrt(2.0 * (double)(k * k) / P);

		cr_assert_eq(asgd_moments_get(&res.moments, k, 0, &row), 0);
		cr_assert_lt(fabs(row.mean), 4 * sqrt((double)k / P), "k=%zu mean %g", k, row.mean);
		cr_assert_lt(fabs(row.second - (double)k), 4 * se_second, "k=%zu E x² %g", k,
			     row.second);
		cr_assert_lt(fabs(row.se_second / se_second - 1), 0.1);
	}
	asgd_ensemble_result_free(&res);
}

static atomic_int stop_after;	/* test-only: raised by the path function after N paths */
static atomic_int paths_seen;

static int walk_then_stop(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	if (atomic_fetch_add(&paths_seen, 1) + 1 >= 150)
		atomic_store(&stop_after, 1);
	return walk(ctx, path, rng, traj, scratch);
}

Test(ensemble, stop_keeps_a_prefix_of_whole_chunks)
{
	size_t steps = 10;
	asgd_ensemble_result res;
	asgd_ensemble_config cfg = walk_config(&steps, 10000, 2);

	atomic_store(&stop_after, 0);
	atomic_store(&paths_seen, 0);
	cfg.path = walk_then_stop;
	cfg.stop = &stop_after;
	cr_assert_eq(asgd_ensemble_run(&cfg, &res), 0);
	cr_assert(res.interrupted);
	cr_assert_eq(res.paths_done % asgd_ensemble_chunk(10000), 0);
	cr_assert_lt(res.paths_done, 10000);
	cr_assert_eq(res.moments.paths, res.paths_done);
	for (uint64_t p = 0; p < 10000; p++)
		cr_assert_eq(isnan(res.final[p]), p >= res.paths_done, "path %lu", (unsigned long)p);
	asgd_ensemble_result_free(&res);
}

static int fail_at_300(void *ctx, uint64_t path, asgd_rng *rng, double *traj, void *scratch)
{
	return path == 300 ? ASGD_ENOMEM : walk(ctx, path, rng, traj, scratch);
}

Test(ensemble, path_error_propagates)
{
	size_t steps = 10;
	asgd_ensemble_result res;
	asgd_ensemble_config cfg = walk_config(&steps, 1000, 2);

	cfg.path = fail_at_300;
	cr_assert_eq(asgd_ensemble_run(&cfg, &res), ASGD_ENOMEM);
}

Test(ensemble, bad_config)
{
	size_t steps = 10;
	asgd_ensemble_result res;
	asgd_ensemble_config cfg = walk_config(&steps, 0, 1);

	cr_assert_eq(asgd_ensemble_run(&cfg, &res), ASGD_EINVAL);
	cfg = walk_config(&steps, 10, 1);
	cfg.path = NULL;
	cr_assert_eq(asgd_ensemble_run(&cfg, &res), ASGD_EINVAL);
	cr_assert_eq(asgd_ensemble_run(NULL, &res), ASGD_EINVAL);
}

/* The same walk as rows put one at a time (asgd_path_rows_put). */
static int walk_rows(void *ctx, uint64_t path, asgd_rng *rng, asgd_path_rows *rows, void *scratch)
{
	size_t steps = *(const size_t *)ctx;
	double x = 0;
	int rc = asgd_path_rows_put(rows, 0, &x);

	(void)path;
	(void)scratch;
	for (size_t k = 1; k < steps && rc == ASGD_OK; k++) {
		x += asgd_rng_normal(rng);
		rc = asgd_path_rows_put(rows, k, &x);
	}
	return rc;
}

/* Rows every S: the sums at row r are the full run's at k = rS, bit for bit, for a whole
 * trajectory and for rows put one at a time; the last state is the path's last, kept or not
 * (here K = 49 is no multiple of S = 5: rows 0, 5, ..., 45). */
Test(ensemble, strided_rows_are_the_full_rows)
{
	size_t steps = 50;
	const uint64_t S = 5;
	asgd_ensemble_config cfg = walk_config(&steps, 300, 2);
	asgd_ensemble_result full, strided;

	cr_assert_eq(asgd_ensemble_run(&cfg, &full), 0);
	for (int rows = 0; rows < 2; rows++) {
		cfg.every = S;
		cfg.path = rows ? NULL : walk;
		cfg.path_rows = rows ? walk_rows : NULL;
		cr_assert_eq(asgd_ensemble_run(&cfg, &strided), 0);
		cr_assert_eq(strided.moments.steps, (steps - 1) / S + 1);
		cr_assert_eq(strided.moments.stride, S);
		for (size_t r = 0; r < strided.moments.steps; r++) {
			cr_assert_eq(strided.moments.s1[r], full.moments.s1[r * S], "row %zu", r);
			cr_assert_eq(strided.moments.s2[r], full.moments.s2[r * S], "row %zu", r);
			cr_assert_eq(strided.moments.s4[r], full.moments.s4[r * S], "row %zu", r);
		}
		cr_assert(!memcmp(strided.final, full.final, 300 * sizeof(double)));
		asgd_ensemble_result_free(&strided);
	}
	asgd_ensemble_result_free(&full);
}

/* Chunks: ⌈P/32⌉ paths, 1 to 64, so 100 paths make 25 chunks and 10 make 10. */
Test(ensemble, chunk_size_by_path_count)
{
	cr_assert_eq(asgd_ensemble_chunk(1), 1);
	cr_assert_eq(asgd_ensemble_chunk(10), 1);
	cr_assert_eq(asgd_ensemble_chunk(100), 4);
	cr_assert_eq(asgd_ensemble_chunk(1000), 32);
	cr_assert_eq(asgd_ensemble_chunk(2048), 64);
	cr_assert_eq(asgd_ensemble_chunk(1000000), 64);
	/* the estimate shares whole chunks: 100 paths of 1 s on 2 threads, 13 chunks of 4 on one */
	cr_assert_eq(asgd_ensemble_estimate_s(100, 2, 1.0), 52.0);
}
