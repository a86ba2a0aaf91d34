/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_engine.c — the threaded engine: accounting, staleness semantics, equivalence with
 * sequential SGD at one worker, stop and divergence. CI also runs this file under
 * ThreadSanitizer (ctest label "engine").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgd/engine.h"
#include "asgd/error.h"
#include "asgd/problem.h"
#include "asgd/rng.h"

static asgd_problem *make(const char *spec)
{
	asgd_problem *p = NULL;

	cr_assert_eq(asgd_problem_create(spec, &p), ASGD_OK, "preset %s", spec);
	return p;
}

static asgd_engine_config config(const asgd_problem *p, unsigned workers, uint64_t iters)
{
	asgd_engine_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.problem = p;
	cfg.workers = workers;
	cfg.iters = iters;
	cfg.eta = asgd_problem_default_eta(p);
	cfg.seed = 42;
	cfg.record_staleness = 1;
	cfg.work.kind = ASGD_WORK_NONE;
	return cfg;
}

static void assert_accounting(const asgd_engine_result *res)
{
	cr_assert_eq(res->computed, res->applied + res->discarded,
		     "computed %llu != applied %llu + discarded %llu",
		     (unsigned long long)res->computed, (unsigned long long)res->applied,
		     (unsigned long long)res->discarded);
}

/* Every recorded τ_k = k − v must satisfy 0 ≤ v ≤ k, and worker ids must be < M. */
static void assert_tau_sane(const asgd_engine_result *res, unsigned workers)
{
	uint64_t k;

	for (k = 0; k < res->applied; k++) {
		cr_assert_leq(res->tau[k], k, "tau[%llu] = %llu reads a future version",
			      (unsigned long long)k, (unsigned long long)res->tau[k]);
		cr_assert_lt(res->worker[k], workers);
	}
}

Test(engine, accounting_adds_up_for_several_worker_counts, .timeout = 120)
{
	static const unsigned counts[] = { 1, 2, 3, 4, 8 };
	asgd_problem *p = make("fig4");
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
		asgd_engine_config cfg = config(p, counts[i], 20000);
		asgd_engine_result res;

		cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
		cr_assert_eq(res.applied, 20000);
		cr_assert_not(res.interrupted);
		cr_assert_not(res.diverged);
		assert_accounting(&res);
		assert_tau_sane(&res, counts[i]);
		/* Each worker holds at most one gradient, so at most M can be left over. */
		cr_assert_leq(res.discarded, counts[i]);
		asgd_engine_result_free(&res);
	}
	asgd_problem_destroy(p);
}

/* 32 workers on 2 cores, with injected work so that threads sleep and wake: the
 * oversubscribed regime, and the test CI runs under ThreadSanitizer. */
Test(engine, thirty_two_workers_on_two_cores, .timeout = 300)
{
	asgd_problem *p = make("fig6");
	asgd_engine_config cfg = config(p, 32, 5000);
	asgd_engine_result res;
	uint64_t per_worker[32] = { 0 }, k;
	unsigned w;

	cfg.work.kind = ASGD_WORK_EXP;
	cfg.work.ns = 20000;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.applied, 5000);
	assert_accounting(&res);
	assert_tau_sane(&res, 32);
	for (k = 0; k < res.applied; k++)
		per_worker[res.worker[k]]++;
	for (w = 0; w < 32; w++)
		cr_assert_gt(per_worker[w], 0, "worker %u never had a gradient applied", w);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* One worker reads again only after its gradient was applied and the result published,
 * so it always reads the newest version: every τ is 0, and the run is sequential SGD with
 * the worker's random stream — bit for bit. */
Test(engine, one_worker_is_sequential_sgd)
{
	asgd_problem *p = make("fig5-doublewell");
	asgd_engine_config cfg = config(p, 1, 3000);
	asgd_engine_result res;
	double *traj = malloc(3001 * sizeof(double));
	double x = asgd_problem_x0(p)[0], g;
	asgd_rng rng;
	uint64_t k;

	cfg.trajectory = traj;
	cfg.replica = 7;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	asgd_rng_init(&rng, 42, (uint64_t)7 << 11);
	for (k = 0; k < 3000; k++) {
		cr_assert_eq(res.tau[k], 0, "tau[%llu] = %llu with one worker",
			     (unsigned long long)k, (unsigned long long)res.tau[k]);
		asgd_problem_grad_i(p, asgd_rng_below(&rng, 2), &x, &g);
		x -= cfg.eta * g;
		cr_assert_eq(traj[k + 1], x, "x_%llu: engine %.17g, sequential %.17g",
			     (unsigned long long)(k + 1), traj[k + 1], x);
	}
	cr_assert_eq(res.x_final[0], x);
	asgd_engine_result_free(&res);
	free(traj);
	asgd_problem_destroy(p);
}

/* Explicit momentum at the master is the heavy-ball update (2.6). */
Test(engine, one_worker_with_momentum_is_msgd)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 1, 2000);
	asgd_engine_result res;
	double x = 1, v = 0, g;
	asgd_rng rng;
	uint64_t k;

	cfg.momentum = 0.9;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	asgd_rng_init(&rng, 42, 0);
	for (k = 0; k < 2000; k++) {
		asgd_problem_grad_i(p, asgd_rng_below(&rng, 2), &x, &g);
		v = 0.9 * v - cfg.eta * g;
		x += v;
	}
	cr_assert_eq(res.x_final[0], x, "engine %.17g, MSGD %.17g", res.x_final[0], x);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* A mini-batch of all n components is the full gradient: plain gradient descent. */
Test(engine, full_batch_is_gradient_descent)
{
	asgd_problem *p = make("fig8");
	asgd_engine_config cfg = config(p, 1, 500);
	asgd_engine_result res;
	double x = asgd_problem_x0(p)[0], g;
	uint64_t k;

	cfg.batch = (unsigned)asgd_problem_components(p);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	for (k = 0; k < 500; k++) {
		asgd_problem_grad(p, &x, &g);
		x -= cfg.eta * g;
	}
	/* Only the order of summation differs: a few ulps of a value of order 1. */
	cr_assert(fabs(res.x_final[0] - x) < 1e-12, "engine %.17g, GD %.17g", res.x_final[0], x);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

/* A batch schedule with one worker: every τ is 0, so the gradient of update k is the mean of
 * min(B_k, n) components drawn without replacement (a partial Fisher–Yates shuffle of a
 * permutation kept between draws, batch 1 a plain draw) — the sequential loop below, bit for
 * bit. The schedule is shorter than the run (its last value is held) and reaches past n = 100
 * (capped). */
Test(engine, one_worker_follows_a_batch_schedule)
{
	enum { K = 400, LEN = 300, N = 100 };
	asgd_problem *p = make("fig8");
	asgd_engine_config cfg = config(p, 1, K);
	asgd_engine_result res;
	uint32_t sched[LEN];
	size_t perm[N];
	double *traj = malloc((K + 1) * sizeof(double));
	double x = asgd_problem_x0(p)[0], g, gi;
	uint64_t evals = 0;
	asgd_rng rng;

	cr_assert_eq(asgd_problem_components(p), N);
	for (size_t k = 0; k < LEN; k++)
		sched[k] = k < 250 ? 1 + (uint32_t)(k % 7) * (uint32_t)(k % 3) : 150;
	for (size_t i = 0; i < N; i++)
		perm[i] = i;
	cfg.schedule = (asgd_batch_schedule){ .size = sched, .len = LEN };
	cfg.batch = 3; /* ignored with a schedule */
	cfg.trajectory = traj;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	assert_accounting(&res);
	asgd_rng_init(&rng, 42, 0);
	for (uint64_t k = 0; k < K; k++) {
		uint32_t B = asgd_batch_at(&cfg.schedule, k);

		B = B < N ? B : N;
		cr_assert_eq(res.tau[k], 0);
		if (B == 1) {
			asgd_problem_grad_i(p, asgd_rng_below(&rng, N), &x, &g);
		} else {
			g = 0;
			for (size_t b = 0; b < B; b++) {
				size_t r = b + asgd_rng_below(&rng, N - b), i = perm[r];

				perm[r] = perm[b];
				perm[b] = i;
				asgd_problem_grad_i(p, i, &x, &gi);
				g += gi;
			}
			g /= B;
		}
		x -= cfg.eta * g;
		evals += B;
		cr_assert_eq(traj[k + 1], x, "x_%llu (batch %u): engine %.17g, sequential %.17g",
			     (unsigned long long)(k + 1), B, traj[k + 1], x);
	}
	cr_assert_eq(res.evaluations, evals, "evaluations %llu, schedule %llu",
		     (unsigned long long)res.evaluations, (unsigned long long)evals);
	asgd_engine_result_free(&res);

	/* Without a schedule the constant batch counts. */
	cfg.schedule = (asgd_batch_schedule){ 0 };
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert_eq(res.evaluations, 3 * res.applied);
	asgd_engine_result_free(&res);

	/* A zero entry or an empty array is refused. */
	sched[17] = 0;
	cfg.schedule = (asgd_batch_schedule){ .size = sched, .len = LEN };
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg.schedule.len = 0;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	free(traj);
	asgd_problem_destroy(p);
}

/* The queueing model: M workers with exponential work long against the engine's own
 * overheads give geometric staleness with μ = 1 − 1/M (by memorylessness, each of the
 * other M − 1 workers finishes before a given one with probability (M−1)/M). With 4 workers
 * and 500 µs of work μ̂ should be near 0.75; the tolerance 0.05 is about 10 standard errors
 * of μ̂ at n = 4000 (SE = sqrt(μ(1−μ)²/n) ≈ 0.0034) and leaves room for the scheduling noise
 * of a shared 2-core machine, which biases μ̂ but does not hide a broken engine
 * (μ̂ = 0 for a serialised one, μ̂ → 1 for an unbounded queue). */
Test(engine, exponential_work_gives_queueing_staleness, .timeout = 120)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 4, 4000);
	asgd_engine_result res;
	double mean = 0, mu_hat;
	uint64_t k;

	cfg.work.kind = ASGD_WORK_EXP;
	cfg.work.ns = 500000;
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	for (k = 0; k < res.applied; k++)
		mean += (double)res.tau[k];
	mean /= (double)res.applied;
	mu_hat = mean / (1 + mean);
	cr_assert(fabs(mu_hat - 0.75) < 0.05, "mu_hat %.4f, queueing model 0.75", mu_hat);
	cr_assert(res.work_mean_ns >= 500000 * 0.9, "realised work mean %.0f ns", res.work_mean_ns);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

struct stopper {
	atomic_int *flag;
	long delay_ms;
};

static void *raise_stop(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { 0, s->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(s->flag, 1);
	return NULL;
}

Test(engine, stop_flag_ends_the_run_with_accounting, .timeout = 60)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 4, 1000000000);
	asgd_engine_result res;
	atomic_int flag = 0;
	struct stopper s = { &flag, 50 };
	pthread_t t;

	cfg.work.kind = ASGD_WORK_FIXED;
	cfg.work.ns = 100000;
	cfg.record_staleness = 0;
	cfg.stop = &flag;
	pthread_create(&t, NULL, raise_stop, &s);
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	pthread_join(t, NULL);
	cr_assert(res.interrupted);
	cr_assert_lt(res.applied, cfg.iters);
	assert_accounting(&res);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(engine, divergence_stops_the_run)
{
	asgd_problem *p = make("fig5-quartic");
	asgd_engine_config cfg = config(p, 2, 100000);
	asgd_engine_result res;

	cfg.eta = 1.0; /* the quartic's gradient grows like x³: η = 1 explodes in a few steps */
	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_OK);
	cr_assert(res.diverged);
	cr_assert_lt(res.applied, 100);
	assert_accounting(&res);
	asgd_engine_result_free(&res);
	asgd_problem_destroy(p);
}

Test(engine, bad_configuration_is_refused)
{
	asgd_problem *p = make("fig4");
	asgd_engine_config cfg = config(p, 0, 10);
	asgd_engine_result res;
	char err[256];

	cr_assert_eq(asgd_engine_run(&cfg, &res), ASGD_EINVAL);
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cr_assert(strstr(err, "workers 0") != NULL, "message: %s", err);
	cfg = config(p, ASGD_MAX_WORKERS + 1, 10);
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.eta = NAN;
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg.eta = -1;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.batch = 3; /* fig4 has two components */
	cr_assert_eq(asgd_engine_check_config(&cfg, err, sizeof(err)), ASGD_EINVAL);
	cfg = config(p, 1, 10);
	cfg.momentum = 1;
	cr_assert_eq(asgd_engine_check_config(&cfg, NULL, 0), ASGD_EINVAL);
	asgd_problem_destroy(p);
}
