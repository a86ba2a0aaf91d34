/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * torture_stress.c — 256 workers on a 2-core machine for 10⁶ updates, in master mode and in
 * Hogwild, as a plain program that CI runs under ThreadSanitizer (the hardening issue's stress
 * case). Eight times more threads than torture_engine starts, and a million hand-offs: every
 * queue, futex and RCU path is exercised under heavy preemption.
 *
 * Checks, each of which could fail: computed = applied + discarded; exactly 10⁶ updates applied;
 * 0 ≤ τ_k ≤ k for every k (versions are 64-bit, so k − v cannot wrap; a wrapped or torn version
 * would show as τ > k); every worker id in range; every worker applied at least one gradient
 * in master mode (none starved forever); the iterate stays finite. (τ itself is not bounded by
 * M: a worker preempted between its read and its send sees any number of updates.)
 *
 * usage: torture_stress [UPDATES]   (default 1000000)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "torture.h"

#define WORKERS 256

/* Staleness is measured in versions of type uint64_t end to end. */
_Static_assert(sizeof(((asgd_engine_result *)0)->tau[0]) == 8, "tau is 64-bit");
_Static_assert(sizeof(((asgd_engine_result *)0)->applied) == 8, "update counts are 64-bit");

static void stress(const char *name, asgd_engine_mode mode, const asgd_problem *p, uint64_t iters)
{
	asgd_engine_config cfg = { 0 };
	asgd_engine_result res;
	uint64_t *per_worker = calloc(WORKERS, sizeof(uint64_t)), tau_max = 0;
	int ok = 1, all = 1;

	cfg.problem = p;
	cfg.mode = mode;
	cfg.workers = WORKERS;
	cfg.iters = iters;
	cfg.eta = 1e-3;
	cfg.seed = 99;
	cfg.record_staleness = 1;
	if (asgd_engine_run(&cfg, &res) != ASGD_OK) {
		check(0, "run returns ASGD_OK", name);
		free(per_worker);
		return;
	}
	check(res.computed == res.applied + res.discarded, "computed = applied + discarded", name);
	check(res.applied == iters, "every update applied", name);
	check(res.discarded <= WORKERS, "at most one gradient per worker left over", name);
	for (uint64_t k = 0; k < res.applied; k++) {
		if (res.tau[k] > k || res.worker[k] >= WORKERS) {
			ok = 0;
			continue;
		}
		per_worker[res.worker[k]]++;
		if (res.tau[k] > tau_max)
			tau_max = res.tau[k];
	}
	check(ok, "0 <= tau_k <= k and worker ids in range", name);
	for (unsigned w = 0; w < WORKERS; w++)
		all &= per_worker[w] > 0;
	/* In master mode a worker's one gradient in flight is always taken in arrival order, so
	 * none can starve; Hogwild has no such promise (and on fig4 a million updates take less
	 * time than starting 256 threads), so there only the counts are checked. */
	if (mode == ASGD_ENGINE_MASTER)
		check(all, "every worker applied at least one gradient", name);

	check(isfinite(res.x_final[0]), "the iterate stays finite", name);
	printf("  [%s] %llu updates in %.2f s, max tau %llu\n", name, (unsigned long long)iters,
	       res.wall_s, (unsigned long long)tau_max);
	asgd_engine_result_free(&res);
	free(per_worker);
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	asgd_problem *p;

	if (iters < WORKERS || asgd_problem_create("fig4", &p) != ASGD_OK) {
		printf("FAIL usage: torture_stress [UPDATES >= %d]\n", WORKERS);
		return 1;
	}
	stress("master, 256 workers", ASGD_ENGINE_MASTER, p, iters);
	stress("hogwild, 256 workers", ASGD_ENGINE_HOGWILD, p, iters);
	asgd_problem_destroy(p);
	return torture_finish();
}
