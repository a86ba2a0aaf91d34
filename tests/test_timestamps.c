/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_timestamps.c — Hogwild's staleness from per-worker timestamps (src/engine/timestamps.c)
 * against a brute-force count, and against the shared counter in one run.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/engine_internal.h"
#include "asgd/error.h"
#include "asgd/problem.h"

/* τ of each update straight from the definition: its rank by (t_w, worker) minus the writes
 * that ended no later than its read began. O(N²). */
static void brute_tau(uint64_t *const *log, const size_t *n, unsigned m, uint64_t *tau,
		      uint32_t *worker)
{
	for (unsigned w = 0; w < m; w++)
		for (size_t i = 0; i < n[w]; i++) {
			uint64_t tr = log[w][2 * i], tw = log[w][2 * i + 1], k = 0, v = 0;

			for (unsigned u = 0; u < m; u++)
				for (size_t j = 0; j < n[u]; j++) {
					uint64_t t = log[u][2 * j + 1];

					k += t < tw || (t == tw && u < w);
					v += t <= tr;
				}
			tau[k] = k - v;
			worker[k] = w;
		}
}

/* M workers with random read and write gaps (ties included: the clock is coarse). */
static void random_logs(unsigned m, size_t per, unsigned seed, uint64_t **log, size_t *n)
{
	srand(seed);
	for (unsigned w = 0; w < m; w++) {
		uint64_t t = (uint64_t)(rand() % 5);

		n[w] = per - (size_t)(rand() % 5);
		log[w] = malloc(2 * n[w] * sizeof(uint64_t));
		for (size_t i = 0; i < n[w]; i++) {
			t += (uint64_t)(rand() % 3);	/* the read begins */
			log[w][2 * i] = t;
			t += 1 + (uint64_t)(rand() % 20);	/* compute, work, write */
			log[w][2 * i + 1] = t;
		}
	}
}

Test(timestamps, merge_matches_the_definition)
{
	enum { M = 5, PER = 400 };
	uint64_t *log[M], tau[M * PER], want[M * PER], entry[M * PER];
	uint32_t worker[M * PER], want_worker[M * PER];
	size_t n[M], total = 0;
	struct asgd__stamp_log logs[M];

	for (unsigned seed = 1; seed <= 20; seed++) {
		unsigned m = 1 + seed % M; /* 2..5 workers, and 1 */

		random_logs(m, PER, seed, log, n);
		total = 0;
		for (unsigned w = 0; w < m; w++) {
			logs[w] = (struct asgd__stamp_log){ log[w], n[w], 2, 0 };
			total += n[w];
		}
		brute_tau(log, n, m, want, want_worker);
		cr_assert_eq(asgd__tau_from_stamps(logs, m, tau, worker, entry), ASGD_OK);
		for (size_t k = 0; k < total; k++) {
			cr_assert_eq(worker[k], want_worker[k], "seed %u, k %zu", seed, k);
			cr_assert_eq(tau[k], want[k], "seed %u, k %zu: tau %llu, by definition %llu",
				     seed, k, (unsigned long long)tau[k],
				     (unsigned long long)want[k]);
			/* the entry names the log line whose write has rank k */
			cr_assert_lt(entry[k], n[worker[k]]);
		}
		for (unsigned w = 0; w < m; w++)
			free(log[w]);
	}
}

Test(timestamps, one_worker_is_never_stale)
{
	uint64_t log[] = { 0, 3, 3, 9, 10, 10, 11, 40 }, tau[4];
	uint32_t worker[4];
	struct asgd__stamp_log one = { log, 4, 2, 0 };

	cr_assert_eq(asgd__tau_from_stamps(&one, 1, tau, worker, NULL), ASGD_OK);
	for (int k = 0; k < 4; k++)
		cr_assert_eq(tau[k], 0, "k %d: tau %llu", k, (unsigned long long)tau[k]);
}

static asgd_engine_config hogwild(const asgd_problem *p, unsigned workers, uint64_t iters)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.mode = ASGD_ENGINE_HOGWILD;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 7;
	cfg.record_staleness = 1;
	return cfg;
}

/*
 * Both clocks in one run, each worker on a core of its own (two workers, busy work). They can
 * differ only for an update whose read starts, or whose write ends, while another worker's
 * write is between its count and its stamp: a few nanoseconds (a first version grew its log
 * in between, and 0.1% of updates differed). Measured on the 2-core VM: 0 of 20,000 differ at
 * 100 µs of work, 0–3 of 50,000 at 10 µs; the bound, 0.1% as issue 15 asks, is 15× the worst.
 * With more threads than cores (no work, M = 4) they differ on 0.01–0.2% of updates, once 5%:
 * a thread preempted between its count and its stamp; that regime is measured in
 * results/bench/, not asserted. (Their means can differ more than their counts suggest: such
 * an update's τ is larger by every write made meanwhile, thousands, on one clock only.)
 */
static void check_clocks_agree(unsigned workers, uint64_t iters, const char *work)
{
	asgd_problem *p = NULL;
	asgd_engine_config cfg;
	asgd_engine_result res;
	uint64_t same = 0;

	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cfg = hogwild(p, workers, iters);
	cfg.hogwild_clock = ASGD_HOGWILD_CLOCK_BOTH;
	cr_assert_eq(asgd_work_parse(work, &cfg.work, NULL, 0), ASGD_OK);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, iters);
	cr_assert_not_null(res.tau_timestamp);
	for (uint64_t k = 0; k < res.applied; k++) {
		same += res.tau[k] == res.tau_timestamp[k];
	}
	cr_assert_geq(same, iters - iters / 1000, "M = %u, work %s: the clocks agree on %llu of "
		      "%llu updates (%.3f%%)", workers, work, (unsigned long long)same,
		      (unsigned long long)iters, 100.0 * (double)same / (double)iters);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(timestamps, agree_with_the_counter, .timeout = 120)
{
	check_clocks_agree(2, 20000, "spin:exp:100us");
	check_clocks_agree(2, 50000, "spin:exp:10us");
}

/* With one worker the timestamp clock stamps nothing and every τ is 0; the iterates are those
 * of the counter's run, bit for bit, since the clock changes no arithmetic. */
Test(timestamps, one_worker_same_bits_as_the_counter)
{
	asgd_problem *p = NULL;
	asgd_engine_result a, b;
	asgd_engine_config cfg;
	double *ta, *tb;
	enum { K = 3000, EVERY = 10 };

	cr_assert_eq(asgd_problem_create("fig6", &p), ASGD_OK);
	ta = malloc((K / EVERY + 1) * asgd_problem_dim(p) * sizeof(double));
	tb = malloc((K / EVERY + 1) * asgd_problem_dim(p) * sizeof(double));
	cfg = hogwild(p, 1, K);
	cfg.record_every = EVERY;
	cfg.trajectory = ta;
	cfg.hogwild_clock = ASGD_HOGWILD_CLOCK_TIMESTAMP;
	cr_assert_eq(asgd_engine_run(&cfg, &a), ASGD_OK);
	cfg.trajectory = tb;
	cfg.hogwild_clock = ASGD_HOGWILD_CLOCK_COUNTER;
	cr_assert_eq(asgd_engine_run(&cfg, &b), ASGD_OK);
	for (uint64_t k = 0; k < K; k++)
		cr_assert_eq(a.tau[k], 0, "k %llu", (unsigned long long)k);
	cr_assert_eq(memcmp(ta, tb, (K / EVERY + 1) * asgd_problem_dim(p) * sizeof(double)), 0);
	cr_assert_eq(memcmp(a.x_final, b.x_final, asgd_problem_dim(p) * sizeof(double)), 0);
	asgd_engine_result_free(&a);
	asgd_engine_result_free(&b);
	free(ta);
	free(tb);
	asgd_problem_destroy(p);
}

/* Several workers, timestamps, a trajectory every 50 updates: every update lands once, each
 * worker's τ log merges into iters entries, and τ < the updates there were. */
Test(timestamps, accounting_with_a_trajectory)
{
	asgd_problem *p = NULL;
	asgd_engine_config cfg;
	asgd_engine_result res;
	double *traj;
	enum { K = 20000, EVERY = 50 };

	cr_assert_eq(asgd_problem_create("fig6", &p), ASGD_OK);
	traj = malloc((K / EVERY + 1) * asgd_problem_dim(p) * sizeof(double));
	cfg = hogwild(p, 3, K);
	cfg.record_every = EVERY;
	cfg.trajectory = traj;
	cr_assert_eq(asgd_hogwild_clock_resolve(&cfg), ASGD_HOGWILD_CLOCK_TIMESTAMP);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, K);
	cr_assert_eq(res.computed, res.applied + res.discarded);
	cr_assert_leq(res.discarded, 3);
	for (uint64_t k = 0; k < K; k++) {
		cr_assert_leq(res.tau[k], k);
		cr_assert_lt(res.worker[k], 3);
	}
	for (size_t j = 0; j < (K / EVERY + 1) * asgd_problem_dim(p); j++)
		cr_assert(isfinite(traj[j]), "trajectory value %zu", j);
	asgd_engine_result_free(&res);
	free(traj);
	asgd_problem_destroy(p);
}

Test(timestamps, clock_names_and_refusals)
{
	asgd_problem *p = NULL;
	asgd_engine_config cfg;
	asgd_hogwild_clock c;
	uint32_t sizes[] = { 1, 2 };
	char err[256];

	cr_assert_eq(asgd_hogwild_clock_parse("both", &c), ASGD_OK);
	cr_assert_eq(c, ASGD_HOGWILD_CLOCK_BOTH);
	cr_assert_eq(asgd_hogwild_clock_parse("tsc", &c), ASGD_ENOTFOUND);
	cr_assert_str_eq(asgd_hogwild_clock_name(ASGD_HOGWILD_CLOCK_TIMESTAMP), "timestamp");
	cr_assert_null(asgd_hogwild_clock_name((asgd_hogwild_clock)9));
	cr_assert_eq(asgd_problem_create("fig4", &p), ASGD_OK);
	cfg = hogwild(p, 2, 100);
	cfg.schedule = (asgd_batch_schedule){ .size = sizes, .len = 2 };
	cr_assert_eq(asgd_hogwild_clock_resolve(&cfg), ASGD_HOGWILD_CLOCK_COUNTER);
	cfg.hogwild_clock = ASGD_HOGWILD_CLOCK_TIMESTAMP;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "batch schedule"), "%s", err);
	cfg.schedule = (asgd_batch_schedule){ 0 };
	cfg.mode = ASGD_ENGINE_MASTER;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "hogwild mode only"), "%s", err);
	asgd_problem_destroy(p);
}
