/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_master.c — master mode's hand-offs against no hand-off at all: the snapshot master, the
 * in-place master, combining mode (master semantics, no master thread) and Hogwild (no master,
 * dense here: every update writes all d coordinates) beside a plain sequential SGD loop on the
 * same problem, with no injected work.
 *
 * Problems: quadratic:d=D,n=10 for D = 1 and 100 (as bench_engine), M = 1 and 2 workers, K
 * updates a run, staleness recorded. Repetitions are interleaved (the repetition loop outside
 * the configurations) and medians reported: updates/s, the engine over the plain loop, and the
 * microseconds an update costs over the plain loop's. Timings never enter a test.
 *
 * With --shards S the bench instead measures the sharded snapshot master (cfg.shards) at a large
 * dimension: quadratic:d=D,n=10 (--dim, default 10000), M = 1 and 2 workers, S = 1..S shards,
 * K updates a run (default 20000 there), the same interleaved medians, and each S over S = 1.
 * Shards pay only when the master has cores for its appliers: on a 2-core machine S = 2 with
 * M = 2 already oversubscribes it.
 *
 * usage: bench_master [--reps R] [--iters K] [--csv FILE] [--shards S [--dim D]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "bench_stats.h"
#include "asgd/rng.h"

#define MAX_REPS BENCH_MAX_REPS

static const size_t dims[] = { 1, 100 };
static const unsigned counts[] = { 1, 2 };
static const asgd_engine_mode modes[] = { ASGD_ENGINE_MASTER, ASGD_ENGINE_MASTER_INPLACE,
					  ASGD_ENGINE_COMBINING, ASGD_ENGINE_HOGWILD };
#define NMODES (sizeof(modes) / sizeof(*modes))

/* Updates per second of x ← x − η ∇f_i(x), i uniform, on one thread. */
static double plain_rate(const asgd_problem *p, uint64_t iters)
{
	size_t dim = asgd_problem_dim(p), n = asgd_problem_components(p);
	double *x = malloc(dim * sizeof(double)), *g = malloc(dim * sizeof(double));
	double eta = asgd_problem_default_eta(p), t0, sink = 0;
	asgd_rng rng;

	memcpy(x, asgd_problem_x0(p), dim * sizeof(double));
	asgd_rng_init(&rng, 1, 0);
	t0 = asgd_now_ns();
	for (uint64_t k = 0; k < iters; k++) {
		asgd_problem_grad_i(p, asgd_rng_below(&rng, n), x, g);
		for (size_t j = 0; j < dim; j++)
			x[j] -= eta * g[j];
	}
	t0 = asgd_now_ns() - t0;
	for (size_t j = 0; j < dim; j++)
		sink += x[j];
	if (sink == 42.4242)	/* keeps the loop from being optimised away */
		puts("");
	free(x);
	free(g);
	return (double)iters / (t0 * 1e-9);
}

static double engine_rate(const asgd_problem *p, asgd_engine_mode mode, unsigned workers,
			  uint64_t iters, unsigned shards)
{
	asgd_engine_config cfg;
	asgd_engine_result res;
	double rate;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.mode = mode;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 1;
	cfg.record_staleness = 1;
	cfg.shards = shards;
	if (asgd_engine_run(&cfg, &res) != ASGD_OK)
		return 0;
	rate = (double)res.applied / res.wall_s;
	asgd_engine_result_free(&res);
	return rate;
}

#define MAX_SHARDS 16

/* The --shards table: master mode at d = @dim, M = 1, 2, S = 1..@shards. */
static int shards_bench(size_t dim, unsigned shards, int reps, uint64_t iters, FILE *csv)
{
	static double rate[2][MAX_SHARDS][MAX_REPS];
	asgd_problem *p;
	char spec[64];

	snprintf(spec, sizeof(spec), "quadratic:d=%zu,n=10", dim);
	if (asgd_problem_create(spec, &p) != ASGD_OK || shards > dim)
		return 1;
	for (int r = 0; r < reps; r++) {
		for (size_t ci = 0; ci < 2; ci++)
			for (unsigned s = 1; s <= shards; s++)
				rate[ci][s - 1][r] = engine_rate(p, ASGD_ENGINE_MASTER, counts[ci],
								 iters, s);
		fprintf(stderr, "bench_master: repetition %d/%d\n", r + 1, reps);
	}
	if (csv)
		fprintf(csv, "d,workers,shards,reps,updates_per_s_median,over_one_shard\n");
	printf("%s, master mode, no injected work, K = %llu updates, medians of %d interleaved "
	       "repetitions\n\n| d | M | S | updates/s | over S = 1 |\n|---|---|---|---|---|\n",
	       spec, (unsigned long long)iters, reps);
	for (size_t ci = 0; ci < 2; ci++) {
		double one = bench_median(rate[ci][0], reps);

		for (unsigned s = 1; s <= shards; s++) {
			double e = bench_median(rate[ci][s - 1], reps);

			printf("| %zu | %u | %u | %.0f | %.3f |\n", dim, counts[ci], s, e, e / one);
			if (csv)
				fprintf(csv, "%zu,%u,%u,%d,%.6g,%.6g\n", dim, counts[ci], s, reps, e,
					e / one);
		}
	}
	asgd_problem_destroy(p);
	return 0;
}

int main(int argc, char **argv)
{
	int reps = 5, iters_given = 0;
	uint64_t iters = 1000000, u, dim = 10000, shards = 0;
	const char *csv = NULL;
	asgd_problem *p[2];
	/* samples: [dim][count][mode], and the plain loop per dim */
	static double eng[2][2][NMODES][MAX_REPS], plain[2][MAX_REPS];
	asgd_atomic_file af = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--reps") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
		    u >= 1 && u <= MAX_REPS)
			reps = (int)u;
		else if (!strcmp(argv[i], "--iters") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
			 u >= 1)
			iters = u, iters_given = 1;
		else if (!strcmp(argv[i], "--shards") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
			 u >= 1 && u <= MAX_SHARDS)
			shards = u;
		else if (!strcmp(argv[i], "--dim") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
			 u >= 1 && u <= 100000000)
			dim = u;
		else if (!strcmp(argv[i], "--csv") && val)
			csv = val;
		else {
			fprintf(stderr, "usage: bench_master [--reps R (1..%d)] [--iters K] "
					"[--csv FILE] [--shards S (1..%d) [--dim D]]\n", MAX_REPS,
				MAX_SHARDS);
			return !strcmp(argv[i], "--help") ? 0 : 2;
		}
		i++;
	}
	if (shards) {
		int rc;

		if (csv && asgd_atomic_open(&af, csv) != ASGD_OK)
			return 1;
		rc = shards_bench(dim, (unsigned)shards, reps, iters_given ? iters : 20000,
				  csv ? af.fp : NULL);
		if (rc)
			fprintf(stderr, "bench_master: --shards %llu is more than d = %llu\n",
				(unsigned long long)shards, (unsigned long long)dim);
		return rc || (csv && asgd_atomic_commit(&af) != ASGD_OK);
	}
	for (size_t di = 0; di < 2; di++) {
		char spec[64];

		snprintf(spec, sizeof(spec), "quadratic:d=%zu,n=10", dims[di]);
		if (asgd_problem_create(spec, &p[di]) != ASGD_OK)
			return 1;
	}
	for (int r = 0; r < reps; r++) {
		for (size_t di = 0; di < 2; di++) {
			plain[di][r] = plain_rate(p[di], iters);
			for (size_t ci = 0; ci < 2; ci++)
				for (size_t mi = 0; mi < NMODES; mi++)
					eng[di][ci][mi][r] = engine_rate(p[di], modes[mi],
									 counts[ci], iters, 1);
		}
		fprintf(stderr, "bench_master: repetition %d/%d\n", r + 1, reps);
	}
	if (csv && asgd_atomic_open(&af, csv) != ASGD_OK)
		return 1;
	if (csv)
		fprintf(af.fp, "d,workers,mode,reps,updates_per_s_median,plain_per_s_median,"
			       "over_plain,extra_us\n");
	printf("quadratic:d=D,n=10, no injected work, K = %llu updates, medians of %d interleaved "
	       "repetitions\n\n| d | M | mode | updates/s | plain loop | engine/plain | + µs per "
	       "update |\n|---|---|---|---|---|---|---|\n", (unsigned long long)iters, reps);
	for (size_t di = 0; di < 2; di++) {
		double pl = bench_median(plain[di], reps);

		for (size_t ci = 0; ci < 2; ci++) {
			for (size_t mi = 0; mi < NMODES; mi++) {
				double e = bench_median(eng[di][ci][mi], reps);
				double extra = (1 / e - 1 / pl) * 1e6;

				printf("| %zu | %u | %s | %.0f | %.0f | %.3f | %+.3f |\n", dims[di],
				       counts[ci], asgd_engine_mode_name(modes[mi]), e, pl, e / pl, extra);
				if (csv)
					fprintf(af.fp, "%zu,%u,%s,%d,%.6g,%.6g,%.6g,%.6g\n", dims[di],
						counts[ci], asgd_engine_mode_name(modes[mi]), reps, e, pl,
						e / pl, extra);
			}
		}
	}
	if (csv && asgd_atomic_commit(&af) != ASGD_OK)
		return 1;
	asgd_problem_destroy(p[0]);
	asgd_problem_destroy(p[1]);
	return 0;
}
