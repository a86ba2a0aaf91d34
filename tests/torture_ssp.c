/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture_ssp.c — bounded staleness (cfg.max_staleness) under stress, as a plain program that
 * CI runs under ThreadSanitizer: 64 workers on a 2-core machine, bounds s from 1 to 16, master
 * and master-inplace modes, one to four shards (on quadratic:d=16,n=10), and in every round a
 * random fault (a worker that leaves, or one that stalls), a random straggler, and in some
 * rounds the stop flag raised mid-run. The master's hold-and-admit books (engine.c, ssp_*)
 * change with every update, and a worker that leaves while the others wait for its gradient is
 * the case that would deadlock a naive bound.
 *
 * Checks per round, each of which could fail: the run returns; computed = applied + discarded;
 * every recorded τ ≤ s (and ≤ k); worker ids in range; the run applies every update unless it
 * was stopped; at most one worker left; the iterate stays finite.
 *
 * usage: torture_ssp [ROUNDS]   (default 24)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/rng.h"
#include "asgd/work.h"
#include "torture.h"

#define WORKERS 64
#define ITERS 20000

static const uint64_t BOUNDS[] = { 1, 2, 3, 5, 16 };

/* Round @r's configuration, drawn from @rng: the bound, the mode, the fault, the straggler. */
static asgd_engine_config round_config(const asgd_problem *p, asgd_rng *rng, unsigned r)
{
	asgd_engine_config cfg = { 0 };

	cfg.problem = p;
	cfg.mode = r % 2 ? ASGD_ENGINE_MASTER_INPLACE : ASGD_ENGINE_MASTER;
	cfg.shards = cfg.mode == ASGD_ENGINE_MASTER ? 1 + (unsigned)asgd_rng_below(rng, 4) : 1;
	cfg.workers = WORKERS;
	cfg.iters = ITERS;
	cfg.eta = 1e-3;
	cfg.seed = 1234;
	cfg.replica = r;
	cfg.record_staleness = 1;
	cfg.max_staleness = BOUNDS[asgd_rng_below(rng, sizeof(BOUNDS) / sizeof(*BOUNDS))];
	cfg.work = (asgd_work){ .kind = ASGD_WORK_EXP, .ns = 2000 };
	cfg.fault.kind = asgd_rng_below(rng, 3) ? ASGD_FAULT_LEAVE : ASGD_FAULT_STALL;
	cfg.fault.worker = (unsigned)asgd_rng_below(rng, WORKERS);
	cfg.fault.after = 1 + asgd_rng_below(rng, 50);
	cfg.fault.stall_ns = 5e6;
	cfg.slow_worker = (int)asgd_rng_below(rng, WORKERS);
	cfg.slow_delay = (asgd_work){ .kind = ASGD_WORK_FIXED, .ns = 50000 };
	return cfg;
}

static void torture_round(const asgd_problem *p, asgd_rng *rng, unsigned r)
{
	asgd_engine_config cfg = round_config(p, rng, r);
	asgd_engine_result res;
	atomic_int stop = 0;
	struct stopper st = { &stop, 20 + (long)asgd_rng_below(rng, 200) };
	int stopping = r % 4 == 3, ok = 1;
	pthread_t t;
	char name[96];

	snprintf(name, sizeof(name), "round %u: %s, s = %llu, %u shard(s), %s worker %u", r,
		 asgd_engine_mode_name(cfg.mode), (unsigned long long)cfg.max_staleness,
		 cfg.shards, cfg.fault.kind == ASGD_FAULT_LEAVE ? "leave" : "stall",
		 cfg.fault.worker);
	if (stopping) {
		cfg.stop = &stop;
		pthread_create(&t, NULL, torture_raise_later, &st);
	}
	if (asgd_engine_run(&cfg, &res) != ASGD_OK) {
		check(0, "run returns ASGD_OK", name);
		if (stopping)
			pthread_join(t, NULL);
		return;
	}
	if (stopping)
		pthread_join(t, NULL);
	check(res.computed == res.applied + res.discarded, "computed = applied + discarded", name);
	for (uint64_t k = 0; k < res.applied; k++)
		ok &= res.tau[k] <= cfg.max_staleness && res.tau[k] <= k &&
		      res.worker[k] < WORKERS;
	check(ok, "every tau <= s, <= k, and worker ids in range", name);
	check(res.applied == ITERS || res.interrupted, "every update applied unless stopped", name);
	check(res.workers_left <= 1, "at most the one faulty worker left", name);
	check(!res.starved, "63 workers stay: never starved", name);
	check(isfinite(res.x_final[0]), "the iterate stays finite", name);
	printf("  [%s] %llu applied, %llu held, %llu reads delayed%s\n", name,
	       (unsigned long long)res.applied, (unsigned long long)res.ssp_held,
	       (unsigned long long)res.ssp_reads_delayed, res.interrupted ? ", stopped" : "");
	asgd_engine_result_free(&res);
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 24;
	asgd_problem *p;
	asgd_rng rng;

	if (rounds < 1 || asgd_problem_create("quadratic:d=16,n=10", &p) != ASGD_OK) {
		printf("FAIL usage: torture_ssp [ROUNDS >= 1]\n");
		return 1;
	}
	asgd_rng_init(&rng, 2026, 18);
	for (unsigned r = 0; r < rounds; r++)
		torture_round(p, &rng, r);
	asgd_problem_destroy(p);
	return torture_finish();
}
