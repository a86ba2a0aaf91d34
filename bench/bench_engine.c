/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_engine.c — engine throughput against its ceiling, a plain sequential SGD loop.
 *
 * For each dimension d and worker count M the engine runs with no injected work; beside it,
 * in the same process and interleaved rep by rep, a plain loop x ← x − η ∇f_i(x) on the
 * same problem gives the ceiling one core reaches with no threads at all. Staleness
 * instrumentation (recording τ and the worker of every update) is measured on and off,
 * interleaved the same way. Reported: medians over reps, and ratios of medians. Timings
 * never enter a test; this program only measures.
 *
 * usage: bench_engine [--reps N] [--csv FILE] [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "asgd/rng.h"
#include "asgd/work.h"

#define MAX_REPS 64

static const size_t dims[] = { 1, 100, 1000, 10000 };
static const unsigned worker_counts[] = { 1, 2, 4, 8, 16 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Updates per second of the plain sequential loop; the sink keeps x alive. */
static double plain_sgd(const asgd_problem *p, uint64_t iters, double *sink)
{
	size_t dim = asgd_problem_dim(p), n = asgd_problem_components(p), j;
	double *x = malloc(dim * sizeof(double)), *g = malloc(dim * sizeof(double));
	double eta = asgd_problem_default_eta(p), t0;
	asgd_rng rng;
	uint64_t k;

	memcpy(x, asgd_problem_x0(p), dim * sizeof(double));
	asgd_rng_init(&rng, 1, 0);
	t0 = asgd_now_ns();
	for (k = 0; k < iters; k++) {
		asgd_problem_grad_i(p, asgd_rng_below(&rng, n), x, g);
		for (j = 0; j < dim; j++)
			x[j] -= eta * g[j];
	}
	t0 = asgd_now_ns() - t0;
	*sink += x[0];
	free(x);
	free(g);
	return iters / (t0 * 1e-9);
}

static double engine_rate(const asgd_problem *p, unsigned workers, uint64_t iters, int record)
{
	asgd_engine_config cfg;
	asgd_engine_result res;
	double rate;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 1;
	cfg.record_staleness = record;
	if (asgd_engine_run(&cfg, &res) != ASGD_OK) {
		fprintf(stderr, "bench_engine: engine run failed\n");
		exit(1);
	}
	rate = res.applied / res.wall_s;
	asgd_engine_result_free(&res);
	return rate;
}

struct row {
	size_t dim;
	unsigned workers;
	double plain, engine, engine_noinstr;
};

static void measure(const asgd_problem *p, unsigned workers, int reps, uint64_t iters,
		    struct row *r, double *sink)
{
	double plain[MAX_REPS], on[MAX_REPS], off[MAX_REPS];
	int i;

	for (i = 0; i < reps; i++) { /* interleaved, so drifts in machine load hit all three */
		plain[i] = plain_sgd(p, iters, sink);
		on[i] = engine_rate(p, workers, iters, 1);
		off[i] = engine_rate(p, workers, iters, 0);
	}
	r->workers = workers;
	r->plain = median(plain, reps);
	r->engine = median(on, reps);
	r->engine_noinstr = median(off, reps);
}

static void print_row(const struct row *r)
{
	double overhead_us = (1.0 / r->engine - 1.0 / r->plain) * 1e6;

	printf("%6zu %4u %12.0f %12.0f %12.0f %7.3f %+9.3f %+8.1f%%\n", r->dim, r->workers,
	       r->plain, r->engine, r->engine_noinstr, r->engine / r->plain, overhead_us,
	       (r->engine_noinstr / r->engine - 1) * 100);
}

static int write_csv(const char *path, const struct row *rows, size_t n, const char *machine)
{
	asgd_atomic_file af;
	size_t i;

	if (asgd_atomic_open(&af, path) != ASGD_OK)
		return 1;
	fprintf(af.fp, "# bench_engine on %s\n", machine);
	fprintf(af.fp, "dim,workers,plain_updates_per_s,engine_updates_per_s,"
		       "engine_noinstr_updates_per_s,ratio_to_plain,overhead_us_per_update,"
		       "instrumentation_cost_pct\n");
	for (i = 0; i < n; i++)
		fprintf(af.fp, "%zu,%u,%.0f,%.0f,%.0f,%.4f,%.4f,%.2f\n", rows[i].dim,
			rows[i].workers, rows[i].plain, rows[i].engine, rows[i].engine_noinstr,
			rows[i].engine / rows[i].plain,
			(1.0 / rows[i].engine - 1.0 / rows[i].plain) * 1e6,
			(rows[i].engine_noinstr / rows[i].engine - 1) * 100);
	return asgd_atomic_commit(&af) != ASGD_OK;
}

int main(int argc, char **argv)
{
	struct row rows[sizeof(dims) / sizeof(*dims) * sizeof(worker_counts) / sizeof(*worker_counts)];
	const char *csv = NULL;
	char spec[64], machine[320];
	int reps = 5, quick = 0, i;
	size_t nrows = 0, di, wi;
	double sink = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else {
			fprintf(stderr, "usage: bench_engine [--reps N] [--csv FILE] [--quick]\n");
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "bench_engine: --reps %d is not allowed: 1..%d\n", reps, MAX_REPS);
		return 2;
	}
	asgd_report_machine(machine, sizeof(machine));
	printf("bench_engine: %s; medians of %d interleaved reps, no injected work\n", machine,
	       reps);
	printf("%6s %4s %12s %12s %12s %7s %9s %9s\n", "d", "M", "plain/s", "engine/s",
	       "no-instr/s", "ratio", "+us/upd", "instr");
	for (di = 0; di < sizeof(dims) / sizeof(*dims); di++) {
		asgd_problem *p;
		/* About 0.1-0.3 s per measurement at every d. */
		uint64_t iters = (quick ? 20000 : 200000) / (dims[di] >= 100 ? dims[di] / 10 : 1);

		snprintf(spec, sizeof(spec), "quadratic:d=%zu,n=10", dims[di]);
		if (asgd_problem_create(spec, &p) != ASGD_OK)
			return 1;
		for (wi = 0; wi < sizeof(worker_counts) / sizeof(*worker_counts); wi++) {
			rows[nrows].dim = dims[di];
			measure(p, worker_counts[wi], reps, iters < 2000 ? 2000 : iters,
				&rows[nrows], &sink);
			print_row(&rows[nrows++]);
			fflush(stdout);
		}
		asgd_problem_destroy(p);
	}
	printf("ratio = engine/plain; +us/upd = engine time per update minus plain; instr = "
	       "throughput gained by turning staleness recording off\n");
	if (sink == 12345.678)
		printf("\n");
	if (csv && write_csv(csv, rows, nrows, machine)) {
		fprintf(stderr, "bench_engine: could not write %s\n", csv);
		return 1;
	}
	return 0;
}
