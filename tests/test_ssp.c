/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_ssp.c — bounded staleness (cfg.max_staleness, asgd/engine.h "Bounded staleness"): every
 * applied gradient has τ ≤ s, the bound binds (mass at s), the accounting holds, a straggler's
 * gradients still land, a worker that leaves does not block the run, and the modes without a
 * master refuse it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/work.h"

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

/* M workers with exponential work of mean 200 µs: more workers than the two cores, so that
 * without the bound τ reaches well past s (μ ≈ 1 − 1/M). */
static asgd_engine_config bounded(const asgd_problem *p, unsigned workers, uint64_t iters,
				  uint64_t s)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 7;
	cfg.record_staleness = 1;
	cfg.work.kind = ASGD_WORK_EXP;
	cfg.work.ns = 200000;
	cfg.max_staleness = s;
	cfg.slow_worker = -1;
	return cfg;
}

/* τ ≤ s for every applied gradient, computed = applied + discarded; returns the count at τ = s
 * and fills per-worker counts into @per_worker (length M, may be NULL). */
static uint64_t check_bound(const asgd_engine_result *res, uint64_t s, unsigned workers,
			    uint64_t *per_worker)
{
	uint64_t at_s = 0;

	cr_assert_eq(res->computed, res->applied + res->discarded,
		     "computed %llu != applied %llu + discarded %llu",
		     (unsigned long long)res->computed, (unsigned long long)res->applied,
		     (unsigned long long)res->discarded);
	for (uint64_t k = 0; k < res->applied; k++) {
		cr_assert_leq(res->tau[k], s, "tau[%llu] = %llu exceeds the bound %llu",
			      (unsigned long long)k, (unsigned long long)res->tau[k],
			      (unsigned long long)s);
		cr_assert_lt(res->worker[k], workers);
		at_s += res->tau[k] == s;
		if (per_worker)
			per_worker[res->worker[k]]++;
	}
	return at_s;
}

static void check_mode_binds(asgd_engine_mode mode)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 8, 3000, 2);
	asgd_engine_result res;
	uint64_t at_s;

	cfg.mode = mode;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 3000);
	at_s = check_bound(&res, 2, 8, NULL);
	/* 8 workers, at most 3 reads out: the third of a round has τ = 2 unless a read came late */
	cr_assert_gt(at_s, 300, "%s: only %llu of 3000 gradients at tau = 2: the bound never binds",
		     asgd_engine_mode_name(mode), (unsigned long long)at_s);
	cr_assert_gt(res.ssp_reads_delayed, 0, "8 workers, s = 2: some must wait to read");
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(ssp, eight_workers_on_two_cores_keep_tau_at_most_s, .timeout = 120)
{
	check_mode_binds(ASGD_ENGINE_MASTER);
}

Test(ssp, master_inplace_keeps_tau_at_most_s, .timeout = 120)
{
	check_mode_binds(ASGD_ENGINE_MASTER_INPLACE);
}

/* Worker 0 is 20× slower: the others' gradients are held while its read is the oldest, and its
 * own gradients are applied (the oldest reader's always may be). */
Test(ssp, a_straggler_is_waited_for_and_applied, .timeout = 120)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 6, 2000, 3);
	asgd_engine_result res;
	uint64_t per_worker[6] = { 0 };

	cfg.slow_worker = 0;
	cfg.slow_delay = (asgd_work){ .kind = ASGD_WORK_FIXED, .ns = 4e6 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 2000);
	check_bound(&res, 3, 6, per_worker);
	cr_assert_gt(per_worker[0], 0, "the straggler's gradients were never applied");
	cr_assert_gt(res.ssp_held, 0, "a 20x straggler with s = 3 must hold the others back");
	cr_assert_gt(res.ssp_held_versions, 0);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* Without the bound the same straggler's τ goes far past s: the bound is what keeps it. */
Test(ssp, the_straggler_without_the_bound_exceeds_it, .timeout = 120)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 6, 2000, 0);
	asgd_engine_result res;
	uint64_t max = 0;

	cfg.slow_worker = 0;
	cfg.slow_delay = (asgd_work){ .kind = ASGD_WORK_FIXED, .ns = 4e6 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	for (uint64_t k = 0; k < res.applied; k++)
		max = res.tau[k] > max ? res.tau[k] : max;
	cr_assert_gt(max, 3, "unbounded, the straggler's tau stayed at %llu",
		     (unsigned long long)max);
	cr_assert_eq(res.ssp_held + res.ssp_reads_delayed, 0);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* The oldest reader leaves with its gradient unsent: its read stops being outstanding, the run
 * goes on to the end, and the bound still holds. */
Test(ssp, a_worker_that_leaves_does_not_block_the_run, .timeout = 120)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 5, 1500, 1);
	asgd_engine_result res;

	cfg.slow_worker = 2;
	cfg.slow_delay = (asgd_work){ .kind = ASGD_WORK_FIXED, .ns = 2e6 };
	cfg.fault = (asgd_engine_fault){ .kind = ASGD_FAULT_LEAVE, .worker = 2, .after = 3 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 1500, "the run stopped at %llu", (unsigned long long)res.applied);
	cr_assert_eq(res.workers_left, 1);
	check_bound(&res, 1, 5, NULL);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* Every worker leaves: the run ends starved, whatever was held, and the books balance. */
Test(ssp, all_workers_leaving_ends_the_run, .timeout = 60)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 1, 1000, 1);
	asgd_engine_result res;

	cfg.fault = (asgd_engine_fault){ .kind = ASGD_FAULT_LEAVE, .worker = 0, .after = 10 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert(res.starved);
	cr_assert_eq(res.applied, 9);
	check_bound(&res, 1, 1, NULL);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* s ≥ M − 1 with equal workers: nobody waits to read, and τ ≤ M − 1 ≤ s. */
Test(ssp, a_loose_bound_lets_every_worker_read, .timeout = 60)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 3, 1000, 1000);
	asgd_engine_result res;

	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	check_bound(&res, 1000, 3, NULL);
	cr_assert_eq(res.ssp_reads_delayed, 0);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(ssp, modes_without_a_master_refuse_the_bound)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = bounded(p, 2, 100, 2);
	char err[256];

	cfg.mode = ASGD_ENGINE_HOGWILD;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "hogwild"), "%s", err);
	cfg.mode = ASGD_ENGINE_COMBINING;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg.mode = ASGD_ENGINE_MPI; /* one server holds updates back; two could not */
	cfg.mpi_servers = 2;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "needs one parameter server"), "%s", err);
	cfg.mpi_servers = 1;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_OK, "%s", err);
	cfg.mode = ASGD_ENGINE_MASTER;
	cfg.max_staleness = ASGD_MAX_STALENESS + 1;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg.max_staleness = ASGD_MAX_STALENESS;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_OK, "%s", err);
	asgd_problem_destroy(p);
}
