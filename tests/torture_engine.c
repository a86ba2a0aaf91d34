/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture_engine.c — the engine under load, as a plain program (the liburcu habit).
 *
 * Criterion cannot start under ThreadSanitizer (its arena allocator fails: Criterion issue
 * #274), so the threaded checks that CI runs under TSan live here, with a main of their own:
 * many workers on few cores, every work mode, a stop mid-run, and divergence. Each case
 * checks the invariants — computed = applied + discarded, 0 ≤ v ≤ k for every τ_k, worker
 * ids in range, at most M gradients left over — and the program ends with the plain
 * "N passed, N failed" line.
 *
 * usage: torture_engine [SCALE]   (SCALE multiplies the iteration counts; default 1)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "torture.h"

struct tcase {
	const char *name, *preset;
	unsigned workers;
	uint64_t iters;
	asgd_work_kind work;
	double work_ns, work_p;
	double eta;     /* 0: the preset's */
	long stop_ms;   /* > 0: raise the stop flag after this long */
	int diverge;    /* expect divergence */
	int scheduled;  /* a batch schedule (see schedule_fill) indexed by the version read */
};

/* Entries of the test schedule: shorter than the runs, so its last value is held after it. */
#define SCHEDULE_LEN 4096

/* Batches 1..130 scattered over the versions, so that indexing by anything but the version a
 * worker read would miscount; fig8's n = 100 caps the larger ones. */
static void schedule_fill(uint32_t *s)
{
	for (uint32_t v = 0; v < SCHEDULE_LEN; v++)
		s[v] = 1 + (v * 7919u) % 130u;
}

static const struct tcase cases[] = {
	{ "1 worker, no work", "fig4", 1, 20000, ASGD_WORK_NONE, 0, 0, 0, 0, 0, 0 },
	{ "2 workers, no work", "fig4", 2, 50000, ASGD_WORK_NONE, 0, 0, 0, 0, 0, 0 },
	{ "4 workers, d=100, no work", "fig6", 4, 20000, ASGD_WORK_NONE, 0, 0, 0, 0, 0, 0 },
	{ "8 workers, exponential work", "fig4", 8, 10000, ASGD_WORK_EXP, 20000, 0, 0, 0, 0, 0 },
	{ "32 workers on 2 cores, exp work", "fig6", 32, 20000, ASGD_WORK_EXP, 20000, 0, 0, 0, 0, 0 },
	{ "32 workers on 2 cores, no work", "fig4", 32, 50000, ASGD_WORK_NONE, 0, 0, 0, 0, 0, 0 },
	{ "16 workers, geometric trials", "fig8", 16, 10000, ASGD_WORK_GEOM, 5000, 0.8, 0, 0, 0, 0 },
	{ "4 workers, stopped mid-run", "fig4", 4, 1000000000, ASGD_WORK_FIXED, 50000, 0, 0, 40, 0, 0 },
	{ "2 workers, diverging", "fig5-quartic", 2, 100000, ASGD_WORK_NONE, 0, 0, 1.0, 0, 1, 0 },
	{ "8 workers, batch schedule, exp work", "fig8", 8, 10000, ASGD_WORK_EXP, 20000, 0, 0, 0, 0,
	  1 },
};

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "  FAIL %s: ", c->name);                          \
			fprintf(stderr, __VA_ARGS__);                                      \
			fprintf(stderr, "\n");                                             \
			return 1;                                                          \
		}                                                                          \
	} while (0)

/* The batch of a gradient computed on version @v, as the engine must have drawn it. */
static uint64_t batch_of(const asgd_engine_config *cfg, const asgd_problem *p, uint64_t v)
{
	uint64_t b = cfg->schedule.size ? asgd_batch_at(&cfg->schedule, v)
					: (cfg->batch ? cfg->batch : 1);
	uint64_t n = asgd_problem_components(p);

	return b < n ? b : n;
}

static int check_result(const struct tcase *c, const asgd_engine_config *cfg,
			const asgd_engine_result *res)
{
	uint64_t k, evals = 0;

	CHECK(res->computed == res->applied + res->discarded,
	      "computed %llu != applied %llu + discarded %llu", (unsigned long long)res->computed,
	      (unsigned long long)res->applied, (unsigned long long)res->discarded);
	CHECK(res->discarded <= cfg->workers, "%llu discarded, more than the %u in flight",
	      (unsigned long long)res->discarded, cfg->workers);
	if (c->stop_ms > 0)
		CHECK(res->interrupted && res->applied < cfg->iters, "the stop flag was ignored");
	else if (c->diverge)
		CHECK(res->diverged, "a run with eta %g did not diverge", cfg->eta);
	else
		CHECK(res->applied == cfg->iters && !res->diverged && !res->interrupted,
		      "applied %llu of %llu", (unsigned long long)res->applied,
		      (unsigned long long)cfg->iters);
	for (k = 0; res->tau && k < res->applied; k++) {
		CHECK(res->tau[k] <= k, "tau[%llu] = %llu reads a future version",
		      (unsigned long long)k, (unsigned long long)res->tau[k]);
		CHECK(res->worker[k] < cfg->workers, "worker id %u", res->worker[k]);
		if (cfg->workers == 1)
			CHECK(res->tau[k] == 0, "tau[%llu] = %llu with one worker",
			      (unsigned long long)k, (unsigned long long)res->tau[k]);
		evals += batch_of(cfg, cfg->problem, k - res->tau[k]);
	}
	/* Each applied gradient's batch is that of the version it read, k − τ_k. */
	if (res->tau)
		CHECK(res->evaluations == evals, "evaluations %llu, but the versions read say %llu",
		      (unsigned long long)res->evaluations, (unsigned long long)evals);
	return 0;
}

static int run_case(const struct tcase *c, uint64_t scale)
{
	asgd_problem *p;
	asgd_engine_config cfg;
	asgd_engine_result res;
	atomic_int flag = 0;
	struct stopper s = { &flag, c->stop_ms };
	uint32_t sched[SCHEDULE_LEN];
	pthread_t t;
	int rc, failed;

	if (asgd_problem_create(c->preset, &p) != ASGD_OK) {
		fprintf(stderr, "  FAIL %s: no preset %s\n", c->name, c->preset);
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = c->workers;
	cfg.iters = c->stop_ms > 0 ? c->iters : c->iters * scale;
	cfg.eta = c->eta > 0 ? c->eta : asgd_problem_default_eta(p);
	cfg.work.kind = c->work;
	cfg.work.ns = c->work_ns;
	cfg.work.p = c->work_p;
	cfg.seed = 2026;
	cfg.record_staleness = c->stop_ms == 0; /* a stopped run's iters is huge: no τ arrays */
	cfg.stop = &flag;
	if (c->scheduled) {
		schedule_fill(sched);
		cfg.schedule = (asgd_batch_schedule){ .size = sched, .len = SCHEDULE_LEN };
	}
	if (c->stop_ms > 0)
		pthread_create(&t, NULL, torture_raise_later, &s);
	rc = asgd_engine_run(&cfg, &res);
	if (c->stop_ms > 0)
		pthread_join(t, NULL);
	if (rc != ASGD_OK) {
		fprintf(stderr, "  FAIL %s: %s\n", c->name, asgd_strerror(rc));
		asgd_problem_destroy(p);
		return 1;
	}
	failed = check_result(c, &cfg, &res);
	printf("  %-36s M=%-3u applied %-9llu discarded %-3llu %.0f updates/s  %s\n", c->name,
	       c->workers, (unsigned long long)res.applied, (unsigned long long)res.discarded,
	       res.wall_s > 0 ? res.applied / res.wall_s : 0, failed ? "FAIL" : "ok");
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
	return failed;
}

int main(int argc, char **argv)
{
	uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	unsigned passed = 0, failed = 0;
	size_t i;

	if (scale < 1)
		scale = 1;
	printf("torture_engine: %zu cases, scale %llu\n", sizeof(cases) / sizeof(*cases),
	       (unsigned long long)scale);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (run_case(&cases[i], scale))
			failed++;
		else
			passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
