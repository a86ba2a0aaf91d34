/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture_shards.c — the sharded master (cfg.shards) under load, as a plain program that CI runs
 * under ThreadSanitizer (label "engine"; Criterion cannot start under TSan).
 *
 * TSan is the point: the appliers write blocks of a snapshot that workers read once it is
 * published, and read the master's task while the master may write the next one, so a hand-off
 * that does not order those accesses (the master publishing before its appliers are done, say)
 * is reported as a race. Each case also checks what can be checked without it: computed =
 * applied + discarded, every update applied (or a stop or a divergence seen), 0 ≤ τ_k ≤ k,
 * worker ids in range; with one worker, the bits of S = 1. Cases mix more threads than cores
 * (appliers then sleep on their futex between updates), momentum, a stop mid-run and a
 * divergence only an applier's block can see.
 *
 * usage: torture_shards [SCALE]   (SCALE multiplies the iteration counts; default 1)
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
	unsigned workers, shards;
	uint64_t iters;
	double work_ns; /* > 0: exponential injected work of this mean */
	double momentum;
	long stop_ms;   /* > 0: raise the stop flag after this long */
	int diverge;    /* start the last coordinate far out, where fig7's quartic explodes */
};

static const struct tcase cases[] = {
	{ "1 worker, S=4, d=500", "fig6:d=500", 1, 4, 2000, 0, 0, 0, 0 },
	{ "4 workers, S=3, d=500", "fig6:d=500", 4, 3, 5000, 0, 0, 0, 0 },
	{ "8 workers, S=4, exp work", "fig6:d=200", 8, 4, 3000, 20000, 0, 0, 0 },
	{ "2 workers, S=2, momentum", "fig6:d=100", 2, 2, 5000, 0, 0.5, 0, 0 },
	{ "16 workers, S=8 on 2 cores", "fig6:d=64", 16, 8, 5000, 0, 0, 0, 0 },
	{ "3 workers, S=20 single coordinates", "fig6:d=20", 3, 20, 2000, 0, 0, 0, 0 },
	{ "4 workers, S=3, stopped mid-run", "fig6:d=500", 4, 3, 1000000000, 50000, 0, 40, 0 },
	{ "2 workers, S=3, an applier diverges", "fig7", 2, 3, 100000, 0, 0, 0, 1 },
};

static void check_result(const struct tcase *c, const asgd_engine_config *cfg,
			 const asgd_engine_result *res)
{
	int sane = 1;

	check(res->computed == res->applied + res->discarded, "computed = applied + discarded",
	      c->name);
	check(res->discarded <= cfg->workers, "at most one gradient per worker left over", c->name);
	if (c->stop_ms > 0)
		check(res->interrupted && res->applied < cfg->iters, "the stop flag ends the run",
		      c->name);
	else if (c->diverge)
		check(res->diverged && res->applied < 100, "the applier's block reports divergence",
		      c->name);
	else
		check(res->applied == cfg->iters && !res->diverged && !res->interrupted,
		      "every update applied", c->name);
	for (uint64_t k = 0; res->tau && k < res->applied; k++)
		sane &= res->tau[k] <= k && res->worker[k] < cfg->workers;
	check(sane, "0 <= tau_k <= k and worker ids in range", c->name);
}

/* With one worker the run must give the bits of S = 1. */
static void check_one_shard_bits(const struct tcase *c, asgd_engine_config cfg,
				 const asgd_engine_result *res)
{
	asgd_engine_result one;
	size_t dim = asgd_problem_dim(cfg.problem);

	cfg.shards = 1;
	cfg.stop = NULL;
	if (asgd_engine_run(&cfg, &one) != ASGD_OK) {
		check(0, "the S = 1 run", c->name);
		return;
	}
	check(memcmp(one.x_final, res->x_final, dim * sizeof(double)) == 0,
	      "x_final has the bits of S = 1", c->name);
	asgd_engine_result_free(&one);
}

static void run_case(const struct tcase *c, uint64_t scale)
{
	asgd_problem *p;
	asgd_engine_config cfg = { 0 };
	asgd_engine_result res;
	atomic_int flag = 0;
	struct stopper s = { &flag, c->stop_ms };
	double *x0 = NULL;
	pthread_t t;

	if (asgd_problem_create(c->preset, &p) != ASGD_OK) {
		check(0, "the preset exists", c->name);
		return;
	}
	cfg.problem = p;
	cfg.workers = c->workers;
	cfg.shards = c->shards;
	cfg.iters = c->stop_ms > 0 ? c->iters : c->iters * scale;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.momentum = c->momentum;
	cfg.work.kind = c->work_ns > 0 ? ASGD_WORK_EXP : ASGD_WORK_NONE;
	cfg.work.ns = c->work_ns;
	cfg.seed = 2026;
	cfg.record_staleness = c->stop_ms == 0;
	cfg.stop = &flag;
	if (c->diverge) {
		x0 = calloc(asgd_problem_dim(p), sizeof(double));
		x0[asgd_problem_dim(p) - 1] = 1e3;
		cfg.x0 = x0;
	}
	if (c->stop_ms > 0)
		pthread_create(&t, NULL, torture_raise_later, &s);
	if (asgd_engine_run(&cfg, &res) != ASGD_OK) {
		check(0, "the run returns ASGD_OK", c->name);
	} else {
		check_result(c, &cfg, &res);
		if (c->workers == 1)
			check_one_shard_bits(c, cfg, &res);
		printf("  %-38s M=%-2u S=%-2u applied %-8llu discarded %llu\n", c->name, c->workers,
		       c->shards, (unsigned long long)res.applied, (unsigned long long)res.discarded);
		asgd_engine_result_free(&res);
	}
	if (c->stop_ms > 0)
		pthread_join(t, NULL);
	free(x0);
	asgd_problem_destroy(p);
}

int main(int argc, char **argv)
{
	uint64_t scale = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;

	if (scale < 1)
		scale = 1;
	printf("torture_shards: %zu cases, scale %llu\n", sizeof(cases) / sizeof(*cases),
	       (unsigned long long)scale);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		run_case(&cases[i], scale);
	return torture_finish();
}
