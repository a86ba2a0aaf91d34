/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_hogwild.c — what Hogwild's write costs: the racy load-and-store against the
 * compare-and-swap add, and the shared vector in f64 against f32, on the sparse SVM HogWild++ is
 * measured on.
 *
 * Workload: the hinge-loss SVM (λ = 1/n) on rcv1:n=200000,d=47236,nnz=70 (the project's
 * generator: ~70 non-zeros a row, unit-norm rows). For each write (racy, cas) and each worker
 * count M, one repetition is one engine run of K updates in hogwild mode, staleness recorded (as
 * `asgd run` does), no injected work. Reported per configuration, as medians over the
 * repetitions, which are interleaved (the repetition loop is outside the configurations, so a
 * slow spell of the machine touches every configuration alike):
 *
 *   M ex/s      applied updates per second of engine time (one example per update)
 *   M nnz/s     coordinates written per second (the gradients' support sizes): HogWild++
 *               reports this figure
 *   f(x_K)      the objective after the run: what lost additions cost, if anything
 *   racy/cas    the ratio of the two medians at equal M, clock and precision
 *   f32/f64     the ratio of the two medians at equal M, write and clock (--precision both)
 *
 * Each configuration also runs with each of Hogwild's two clocks for τ (asgd_hogwild_clock):
 * the shared counter every update increments, and per-worker timestamps merged after the run;
 * ts/counter is the ratio of their medians at equal write, precision and M.
 *
 * --write W and --clock C keep one write or one clock only, and --no-staleness turns τ
 * recording off, so that the cost of recording can be counted in instructions (callgrind;
 * scripts/instrumentation-cost.sh).
 * --precision f32 stores the shared vector as floats (asgd_precision), --precision both runs
 * f64 and f32 side by side; the default, f64, is the engine as it was.
 *
 * Timings never enter a test. usage: bench_hogwild [--reps R] [--iters K] [--workers LIST]
 *                                    [--write racy|cas] [--clock counter|timestamp]
 *                                    [--precision f64|f32|both]
 *                                    [--no-staleness] [--csv FILE]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/datamodel.h"
#include "asgd/dataset.h"
#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/parse.h"
#include "asgd/problem.h"
#include "asgd/report.h"
#include "bench_stats.h"

#define MAX_REPS BENCH_MAX_REPS
#define MAX_M 8

struct options {
	int reps;
	uint64_t iters;
	unsigned workers[MAX_M];
	size_t nworkers;
	const char *csv;
	int only_write;		/* -1: both writes, else the asgd_hogwild_write to keep */
	int only_clock;		/* -1: both clocks, else the asgd_hogwild_clock to keep */
	int only_precision;	/* -1: both precisions, else the asgd_precision to keep */
	int no_staleness;
};

/* One (write, clock, precision, M) configuration and its samples. */
struct config {
	asgd_hogwild_write write;
	asgd_hogwild_clock clock;
	asgd_precision precision;
	unsigned workers;
	double rate[MAX_REPS], nnz[MAX_REPS], loss[MAX_REPS];
};

static void usage(void)
{
	printf("usage: bench_hogwild [--reps R] [--iters K] [--workers LIST] [--write racy|cas]\n"
	       "                     [--clock counter|timestamp] [--precision f64|f32|both]\n"
	       "                     [--no-staleness] [--csv FILE]\n"
	       "Hogwild's racy write against the compare-and-swap add, and the shared vector in\n"
	       "f64 against f32 (default f64 only), on the rcv1-like SVM\n"
	       "(n = 200000, d = 47236, 70 nnz a row): medians of R interleaved repetitions\n"
	       "(default 5) of K updates (default 2000000) at each worker count (default 1,2).\n");
}

static void parse(int argc, char **argv, struct options *o)
{
	const char *list = "1,2";
	uint64_t v[MAX_M];

	o->reps = 5;
	o->iters = 2000000;
	o->only_write = -1;
	o->only_clock = -1;
	o->only_precision = ASGD_PRECISION_F64;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		asgd_hogwild_write w;
		asgd_precision pr;
		asgd_hogwild_clock c;
		uint64_t u;

		if (!strcmp(a, "--help")) {
			usage();
			exit(0);
		} else if (!strcmp(a, "--reps") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
			   u >= 1 && u <= MAX_REPS) {
			o->reps = (int)u;
		} else if (!strcmp(a, "--iters") && val && asgd_parse_u64(val, &u) == ASGD_OK &&
			   u >= 1) {
			o->iters = u;
		} else if (!strcmp(a, "--workers") && val) {
			list = val;
		} else if (!strcmp(a, "--csv") && val) {
			o->csv = val;
		} else if (!strcmp(a, "--write") && val && asgd_hogwild_write_parse(val, &w) == ASGD_OK) {
			o->only_write = (int)w;
		} else if (!strcmp(a, "--clock") && val && asgd_hogwild_clock_parse(val, &c) == ASGD_OK &&
			   (c == ASGD_HOGWILD_CLOCK_COUNTER || c == ASGD_HOGWILD_CLOCK_TIMESTAMP)) {
			o->only_clock = (int)c;
		} else if (!strcmp(a, "--precision") && val && !strcmp(val, "both")) {
			o->only_precision = -1;
		} else if (!strcmp(a, "--precision") && val &&
			   asgd_precision_parse(val, &pr) == ASGD_OK) {
			o->only_precision = (int)pr;
		} else if (!strcmp(a, "--no-staleness")) {
			o->no_staleness = 1;
			continue;
		} else {
			fprintf(stderr, "bench_hogwild: '%s' is not allowed (see --help)\n", a);
			exit(2);
		}
		i++;
	}
	if (asgd_parse_u64_list(list, v, MAX_M, &o->nworkers) != ASGD_OK || !o->nworkers) {
		fprintf(stderr, "bench_hogwild: --workers '%s': 1 to %d counts in 1..64\n", list,
			MAX_M);
		exit(2);
	}
	for (size_t i = 0; i < o->nworkers; i++) {
		if (v[i] < 1 || v[i] > 64) {
			fprintf(stderr, "bench_hogwild: --workers %llu: allowed 1..64\n",
				(unsigned long long)v[i]);
			exit(2);
		}
		o->workers[i] = (unsigned)v[i];
	}
}

static int run_once(const asgd_problem *p, struct config *c, uint64_t iters, int rep,
		    int record)
{
	asgd_engine_config cfg;
	asgd_engine_result res;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.mode = ASGD_ENGINE_HOGWILD;
	cfg.hogwild_write = c->write;
	cfg.precision = c->precision;
	cfg.hogwild_clock = c->clock;
	cfg.workers = c->workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 1;
	cfg.replica = (uint64_t)rep;
	cfg.record_staleness = record;
	rc = asgd_engine_run(&cfg, &res);
	if (rc != ASGD_OK)
		return rc;
	c->rate[rep] = (double)res.applied / res.wall_s;
	c->nnz[rep] = (double)res.coords_written / res.wall_s;
	c->loss[rep] = asgd_problem_f(p, res.x_final);
	asgd_engine_result_free(&res);
	return ASGD_OK;
}

/* @self's median rate over that of the configuration (@write, @clock, @prec) at @self's M; NAN
 * when that one was not run. */
static double ratio_to(const struct options *o, const struct config *c, size_t n,
		       const struct config *self, asgd_hogwild_write write, asgd_hogwild_clock clock,
		       asgd_precision prec)
{
	for (size_t i = 0; i < n; i++)
		if (&c[i] != self && c[i].write == write && c[i].precision == prec &&
		    c[i].clock == clock && c[i].workers == self->workers)
			return bench_median(self->rate, o->reps) / bench_median(c[i].rate, o->reps);
	return NAN;
}

static void report(const struct options *o, const struct config *c, size_t n, FILE *csv)
{
	printf("| write | clock | precision | M | M ex/s | M nnz/s | f(x_K) | racy/cas | "
	       "ts/counter | f32/f64 |\n|---|---|---|---|---|---|---|---|---|---|\n");
	if (csv)
		fprintf(csv, "write,clock,precision,workers,reps,updates_per_s_median,"
			     "nnz_per_s_median,loss_median,racy_over_cas,timestamp_over_counter,"
			     "f32_over_f64\n");
	for (size_t i = 0; i < n; i++) {
		double rate = bench_median(c[i].rate, o->reps), nnz = bench_median(c[i].nnz, o->reps);
		double loss = bench_median(c[i].loss, o->reps), ratio = NAN, fratio = NAN;
		double cratio = NAN;
		const char *clock = asgd_hogwild_clock_name(c[i].clock);

		if (c[i].write == ASGD_HOGWILD_WRITE_RACY)
			ratio = ratio_to(o, c, n, &c[i], ASGD_HOGWILD_WRITE_CAS, c[i].clock,
					 c[i].precision);
		if (c[i].clock == ASGD_HOGWILD_CLOCK_TIMESTAMP)
			cratio = ratio_to(o, c, n, &c[i], c[i].write, ASGD_HOGWILD_CLOCK_COUNTER,
					  c[i].precision);
		if (c[i].precision == ASGD_PRECISION_F32)
			fratio = ratio_to(o, c, n, &c[i], c[i].write, c[i].clock,
					  ASGD_PRECISION_F64);
		printf("| %s | %s | %s | %u | %.3f | %.1f | %.6f | %.2f | %.2f | %.2f |\n",
		       asgd_hogwild_write_name(c[i].write), clock,
		       asgd_precision_name(c[i].precision), c[i].workers, rate / 1e6, nnz / 1e6,
		       loss, ratio, cratio, fratio);
		if (csv)
			fprintf(csv, "%s,%s,%s,%u,%d,%.6g,%.6g,%.10g,%.6g,%.6g,%.6g\n",
				asgd_hogwild_write_name(c[i].write), clock,
				asgd_precision_name(c[i].precision), c[i].workers, o->reps, rate,
				nnz, loss, ratio, cratio, fratio);
	}
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct config c[8 * MAX_M];
	asgd_dataset *ds = NULL;
	asgd_problem *p = NULL;
	asgd_dataset_options dopt = { 0 };
	asgd_data_model m = { .loss = ASGD_LOSS_HINGE, .positive = NAN };
	asgd_atomic_file af = { 0 };
	char err[512];
	size_t n = 0;

	parse(argc, argv, &o);
	if (asgd_dataset_load("rcv1:n=200000,d=47236,nnz=70,seed=1", &dopt, &ds, err,
			      sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "bench_hogwild: %s\n", err);
		return 1;
	}
	m.lambda = 1.0 / (double)ds->rows;
	if (asgd_problem_create_data(ds, &m, &p, err, sizeof(err)) != ASGD_OK) {
		fprintf(stderr, "bench_hogwild: %s\n", err);
		return 1;
	}
	for (size_t w = 0; w < o.nworkers; w++)
		for (int k = 0; k < 2; k++)
			for (int t = ASGD_HOGWILD_CLOCK_COUNTER; t <= ASGD_HOGWILD_CLOCK_TIMESTAMP; t++)
				for (int pr = 0; pr < 2; pr++)
					if ((o.only_write < 0 || o.only_write == k) &&
					    (o.only_clock < 0 || o.only_clock == t) &&
					    (o.only_precision < 0 || o.only_precision == pr))
						c[n++] = (struct config){
							.write = (asgd_hogwild_write)k,
							.clock = (asgd_hogwild_clock)t,
							.precision = (asgd_precision)pr,
							.workers = o.workers[w] };
	for (int rep = 0; rep < o.reps; rep++) {
		for (size_t i = 0; i < n; i++) {
			if (run_once(p, &c[i], o.iters, rep, !o.no_staleness) != ASGD_OK) {
				fprintf(stderr, "bench_hogwild: the engine failed\n");
				return 1;
			}
		}
		fprintf(stderr, "bench_hogwild: repetition %d/%d\n", rep + 1, o.reps);
	}
	if (o.csv && asgd_atomic_open(&af, o.csv) != ASGD_OK) {
		fprintf(stderr, "bench_hogwild: cannot write %s\n", o.csv);
		return 1;
	}
	printf("hogwild on rcv1:n=200000,d=47236,nnz=70 (hinge, lambda = 1/n), K = %llu updates, "
	       "medians of %d interleaved repetitions\n\n", (unsigned long long)o.iters, o.reps);
	report(&o, c, n, o.csv ? af.fp : NULL);
	if (o.csv && asgd_atomic_commit(&af) != ASGD_OK) {
		fprintf(stderr, "bench_hogwild: cannot write %s\n", o.csv);
		return 1;
	}
	asgd_problem_destroy(p);
	asgd_dataset_destroy(ds);
	return 0;
}
